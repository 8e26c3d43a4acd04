-- Bulk import: entry inserts without a statement journal again, and no JSON parse per stored body.
--
-- * The opening-balance key check of 0006 moves from `entries` into the run's seal. SQLite decides
--   at compile time whether an INSERT may need undoing on its own, and any SQL function in the
--   statement's program counts, even in a trigger WHEN that never fires: the GLOB, rtrim, substr
--   and length calls of `entries_opening_balance_key` made every entry INSERT open a statement
--   journal again (each page an entry touched was copied to it first: 11% of the instructions of
--   the entry and posting inserts of a bulk import). Entry inserts now fire no trigger that calls
--   a function; `runs_seal_entries` (which already raises ABORT, once per run) checks the key form
--   with the same rule and message, entry by entry, before the balance and chain checks.
-- * `statement_lines.body` and `documents.body` lose their `json_valid` CHECK: the store writes
--   them with serde_json, and the CHECK parsed every body again inside SQLite (≈ 6% of a bulk
--   import's instructions). A body that is not JSON (a raw write from a shell) is still refused by
--   every read, as a corrupt row naming table, key and column. The two tables are rebuilt with
--   the same columns, keys, indexes and triggers; rows are copied unchanged.
--
-- The runner applies this with foreign keys off and runs `PRAGMA foreign_key_check` before
-- committing.

DROP TRIGGER entries_opening_balance_key;
DROP TRIGGER runs_seal_entries;

-- 0005's seal, with the key check first (the entries' natural key and kind are read from the same
-- row the seal already visits).
CREATE TRIGGER runs_seal_entries AFTER INSERT ON runs
BEGIN
    SELECT CASE
        WHEN b.kind = 'opening_balance'
         AND NOT (
                (b.natural_key GLOB 'opening_balance:kas-daerah/?*:[1-9]*'
                 OR b.natural_key GLOB 'opening_balance:kas-penampungan/?*:[1-9]*')
            AND rtrim(b.natural_key, '0123456789') GLOB '*:'
            AND substr(b.natural_key, length(rtrim(b.natural_key, '0123456789')) + 1, 1) BETWEEN '1' AND '9')
        THEN RAISE(ABORT, 'kasda: an opening_balance entry must be keyed opening_balance:<kas account>:<n>')
        WHEN b.verdict = 1 THEN RAISE(ABORT, 'kasda: entry has fewer than two postings')
        WHEN b.verdict = 2
        THEN RAISE(ABORT, 'kasda: entry does not balance (debits differ from credits)')
        WHEN b.verdict = 3 THEN RAISE(ABORT, 'kasda: posting currency is not a three-letter code')
        WHEN length(b.prev_hash) <> 64 OR length(b.hash) <> 64
        THEN RAISE(ABORT, 'kasda: entry hash is not 64 hex digits')
        WHEN b.seq > 1 AND b.before IS NULL
        THEN RAISE(ABORT, 'kasda: entry seq is not the next in the ledger chain')
        WHEN b.prev_hash IS NOT coalesce(b.before,
            '0000000000000000000000000000000000000000000000000000000000000000')
        THEN RAISE(ABORT, 'kasda: entry prev_hash does not link to the previous entry')
        WHEN b.booked_on <= (SELECT max(through_date) FROM period_locks WHERE ledger = NEW.ledger)
        THEN RAISE(ABORT, 'kasda: entry is booked in a closed period')
    END
    FROM (SELECT e.seq AS seq, e.prev_hash AS prev_hash, e.hash AS hash, e.booked_on AS booked_on,
                 e.kind AS kind, e.natural_key AS natural_key,
                 (SELECT hash FROM entries AS q WHERE q.ledger = e.ledger AND q.seq = e.seq - 1) AS before,
                 -- 1: fewer than two postings; 2: unbalanced (per currency when they mix);
                 -- 3: a currency code that is not three characters; 0: fine.
                 (SELECT CASE
                     WHEN count(*) < 2 THEN 1
                     WHEN min(p.currency) = max(p.currency)
                      AND sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0 THEN 2
                     WHEN min(p.currency) <> max(p.currency) AND EXISTS (
                         SELECT 1 FROM postings AS m WHERE m.ledger = e.ledger AND m.seq = e.seq
                         GROUP BY m.currency
                         HAVING sum(CASE m.side WHEN 'debit' THEN m.amount ELSE -m.amount END) <> 0) THEN 2
                     WHEN min(length(p.currency)) <> 3 OR max(length(p.currency)) <> 3 THEN 3
                     ELSE 0
                  END
                  FROM postings AS p WHERE p.ledger = e.ledger AND p.seq = e.seq) AS verdict
          FROM entries AS e INDEXED BY entries_by_run
          WHERE e.ledger = NEW.ledger AND e.run_id = NEW.run_id
          -- OFFSET keeps SQLite from flattening this into the CASE above (see 0005).
          LIMIT -1 OFFSET 0) AS b;
END;

CREATE TABLE statement_lines_rebuilt (
    ledger        TEXT    NOT NULL,
    line_id       INTEGER NOT NULL CHECK (line_id > 0),
    natural_key   TEXT    NOT NULL,
    file_sha256   TEXT    NOT NULL,
    run_id        INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    statement_idx INTEGER NOT NULL,
    line          INTEGER NOT NULL,
    entry_index   INTEGER NOT NULL,
    account       TEXT    NOT NULL,
    booking_date  TEXT    NOT NULL,
    value_date    TEXT,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    currency      TEXT    NOT NULL,
    direction     TEXT    CHECK (direction IN ('credit', 'debit')),
    status        TEXT    NOT NULL,
    reversal      INTEGER NOT NULL CHECK (reversal IN (0, 1)),
    text          TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    entry_seq     INTEGER,
    PRIMARY KEY (ledger, line_id),
    UNIQUE (ledger, natural_key),
    FOREIGN KEY (ledger, file_sha256, statement_idx)
        REFERENCES statements (ledger, file_sha256, idx)
);
INSERT INTO statement_lines_rebuilt
    SELECT ledger, line_id, natural_key, file_sha256, run_id, recorded_at, statement_idx, line,
           entry_index, account, booking_date, value_date, amount, currency, direction, status,
           reversal, text, body, entry_seq
    FROM statement_lines ORDER BY ledger, line_id;
DROP TABLE statement_lines;
ALTER TABLE statement_lines_rebuilt RENAME TO statement_lines;
CREATE INDEX statement_lines_by_date ON statement_lines (ledger, booking_date, account);
CREATE TRIGGER statement_lines_no_update BEFORE UPDATE ON statement_lines BEGIN SELECT RAISE(ABORT, 'kasda: statement_lines is append-only'); END;
CREATE TRIGGER statement_lines_no_delete BEFORE DELETE ON statement_lines BEGIN SELECT RAISE(ABORT, 'kasda: statement_lines is append-only'); END;

CREATE TABLE documents_rebuilt (
    ledger        TEXT    NOT NULL,
    doc_id        INTEGER NOT NULL CHECK (doc_id > 0),
    kind          TEXT    NOT NULL,
    natural_key   TEXT    NOT NULL,
    file_sha256   TEXT    NOT NULL,
    run_id        INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    row           INTEGER NOT NULL,
    date          TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    entry_seq     INTEGER,
    ntpd          TEXT,
    kode_billing  TEXT,
    number        TEXT,
    amount        INTEGER,
    PRIMARY KEY (ledger, doc_id),
    UNIQUE (ledger, natural_key),
    FOREIGN KEY (ledger, file_sha256) REFERENCES source_files (ledger, sha256)
);
INSERT INTO documents_rebuilt
    SELECT ledger, doc_id, kind, natural_key, file_sha256, run_id, recorded_at, row, date, body,
           entry_seq, ntpd, kode_billing, number, amount
    FROM documents ORDER BY ledger, doc_id;
DROP TABLE documents;
ALTER TABLE documents_rebuilt RENAME TO documents;
CREATE INDEX documents_by_kind_date ON documents (ledger, kind, date);
CREATE INDEX documents_by_ntpd ON documents (ledger, ntpd) WHERE ntpd IS NOT NULL;
CREATE INDEX documents_by_billing ON documents (ledger, kode_billing) WHERE kode_billing IS NOT NULL;
CREATE INDEX documents_by_number ON documents (ledger, number) WHERE number IS NOT NULL;
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents BEGIN SELECT RAISE(ABORT, 'kasda: documents is append-only'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'kasda: documents is append-only'); END;
