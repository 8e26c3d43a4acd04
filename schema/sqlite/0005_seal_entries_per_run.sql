-- Balance and chain checks once per run, and single-row inserts without a statement journal.
--
-- Until now every entry row ran `entries_checks` (a trigger program with four lookups: its
-- postings, the ledger's last seq, the previous hash, the latest period lock), and every entry
-- and posting INSERT kept a statement journal: a statement that fires a trigger and may abort
-- (an immediate foreign key, a CHECK calling a function, RAISE(ABORT)) copies each page it
-- touches so the statement alone can be undone. A profile put the two at about a third of the
-- row phase of a bulk import; moving them here saves about 15% of an import's instructions.
--
-- * Checks per run. Every writer inserts a run's entries first and its `runs` row last (the
--   entries' foreign key to `runs` is deferred), so the run row seals the run:
--   `runs_seal_entries` (AFTER INSERT ON runs) walks the run's entries once and refuses the run,
--   with the messages `entries_checks` used, if an entry has fewer than two postings, does not
--   balance per currency, leaves a gap in `seq`, does not link to the previous entry's hash, is
--   booked inside a closed period, or carries a malformed hash or currency.
-- * Nothing behind a seal. `entries_run_open` refuses an entry whose run is already recorded;
--   `postings_entry_open` (as before) a posting of a recorded entry. An entry whose run row is
--   never written is refused at COMMIT by the deferred foreign key to `runs`.
-- * No statement journal. `entries` and `postings` are rebuilt with every foreign key deferred
--   and without the `length()` CHECKs (now in the seal), their two insert triggers raise FAIL,
--   and the store inserts with INSERT OR FAIL: such a statement can stop but never needs undoing
--   on its own, and the store rolls the whole transaction back on any error.
--
-- Rows, hashes and index contents are copied unchanged; the runner applies this with foreign
-- keys off and runs `PRAGMA foreign_key_check` before committing.

-- Refers to `entries`; put back unchanged below.
DROP TRIGGER approvals_one_opening_balance;

CREATE TABLE entries_rebuilt (
    ledger         TEXT    NOT NULL,
    seq            INTEGER NOT NULL CHECK (seq > 0),
    kind           TEXT    NOT NULL,
    booked_on      TEXT    NOT NULL,
    value_date     TEXT    NOT NULL,
    natural_key    TEXT    NOT NULL,
    position       TEXT    NOT NULL,
    memo           TEXT    NOT NULL,
    reverses       INTEGER,
    source_sha256  TEXT,
    run_id         INTEGER NOT NULL,
    recorded_at    INTEGER NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    PRIMARY KEY (ledger, seq),
    UNIQUE (ledger, natural_key),
    FOREIGN KEY (ledger) REFERENCES ledgers (ledger) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (ledger, run_id) REFERENCES runs (ledger, run_id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (ledger, reverses) REFERENCES entries (ledger, seq) DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;
INSERT INTO entries_rebuilt
    SELECT ledger, seq, kind, booked_on, value_date, natural_key, position, memo, reverses,
           source_sha256, run_id, recorded_at, prev_hash, hash
    FROM entries ORDER BY ledger, seq;

CREATE TABLE postings_rebuilt (
    ledger      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    account_id  INTEGER NOT NULL,
    side        TEXT    NOT NULL CHECK (side IN ('debit', 'credit')),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    currency    TEXT    NOT NULL,
    PRIMARY KEY (ledger, seq, idx),
    FOREIGN KEY (ledger, seq) REFERENCES entries (ledger, seq) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (ledger, account_id) REFERENCES accounts (ledger, account_id) DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;
INSERT INTO postings_rebuilt
    SELECT ledger, seq, idx, account_id, side, amount, currency
    FROM postings ORDER BY ledger, seq, idx;

-- Dropping a table drops its triggers and indexes; all are created again below.
DROP TABLE postings;
DROP TABLE entries;
ALTER TABLE entries_rebuilt RENAME TO entries;
ALTER TABLE postings_rebuilt RENAME TO postings;

CREATE INDEX entries_by_booked_on ON entries (ledger, booked_on);
CREATE INDEX entries_by_reverses ON entries (ledger, reverses) WHERE reverses IS NOT NULL;
CREATE INDEX entries_by_run ON entries (ledger, run_id);
CREATE INDEX postings_by_account ON postings (ledger, account_id, seq);

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'kasda: entries is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'kasda: entries is append-only'); END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings BEGIN SELECT RAISE(ABORT, 'kasda: postings is append-only'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings BEGIN SELECT RAISE(ABORT, 'kasda: postings is append-only'); END;

CREATE TRIGGER entries_run_open BEFORE INSERT ON entries
WHEN EXISTS (SELECT 1 FROM runs WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
BEGIN
    SELECT RAISE(FAIL, 'kasda: an entry cannot be added to a run that is already recorded');
END;

CREATE TRIGGER postings_entry_open BEFORE INSERT ON postings
WHEN EXISTS (SELECT 1 FROM entries WHERE ledger = NEW.ledger AND seq = NEW.seq)
BEGIN
    SELECT RAISE(FAIL, 'kasda: postings cannot be added to an entry that is already recorded');
END;

-- One pass over the run's entries in seq order (`entries_by_run` is (ledger, run_id, seq), named
-- with INDEXED BY because without statistics the planner prefers the ledger's primary key, i.e.
-- every entry of the ledger). Per entry: one range over its postings giving a verdict, one
-- primary-key probe for the previous hash; the latest lock is read once.
CREATE TRIGGER runs_seal_entries AFTER INSERT ON runs
BEGIN
    SELECT CASE
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
          -- OFFSET keeps SQLite from flattening this into the CASE above, which would run the
          -- verdict and the previous-hash probe once per WHEN that names them.
          LIMIT -1 OFFSET 0) AS b;
END;

CREATE TRIGGER approvals_one_opening_balance BEFORE INSERT ON approvals
WHEN NEW.decision = 'approved'
 AND (SELECT kind FROM proposals
      WHERE ledger = NEW.ledger AND proposal_id = NEW.proposal_id) = 'opening_balance'
BEGIN
    SELECT RAISE(ABORT, 'kasda: the kas account already has an opening balance that is not reversed')
    WHERE EXISTS (
        SELECT 1
        FROM (SELECT rtrim(json_extract(entries, '$[0].entry.natural_key'), '0123456789') AS prefix
              FROM proposals
              WHERE ledger = NEW.ledger AND proposal_id = NEW.proposal_id) AS p
        JOIN entries AS e
          ON e.ledger = NEW.ledger
         AND e.natural_key >= p.prefix
         AND e.natural_key < substr(p.prefix, 1, length(p.prefix) - 1) || ';'
        WHERE p.prefix LIKE 'opening_balance:%:'
          AND rtrim(e.natural_key, '0123456789') = p.prefix
          AND e.kind = 'opening_balance'
          AND e.run_id < NEW.run_id
          AND NOT EXISTS (SELECT 1 FROM entries AS r
                          WHERE r.ledger = e.ledger AND r.reverses = e.seq));
END;
