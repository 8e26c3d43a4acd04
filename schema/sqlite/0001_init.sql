-- kasda SQLite schema, migration 0001: the whole ledger.
--
-- Conventions (the PostgreSQL schema follows the same shape):
-- * Every table is keyed by `ledger` first (one pemda's data lives together).
-- * Money is INTEGER minor units of the row's currency (sen for IDR): exact, and the fastest
--   thing SQLite can sum. Never REAL. `sum()` over INTEGER raises on overflow instead of
--   wrapping, so a balance cannot silently go wrong.
-- * Timestamps are INTEGER microseconds since the Unix epoch, UTC. Dates are TEXT `YYYY-MM-DD`
--   (they sort as dates).
-- * Ledger tables are append-only: a BEFORE UPDATE and a BEFORE DELETE trigger on each raises
--   `kasda: <table> is append-only`. Only the two balance aggregates at the end are updated in
--   place; they are derived from `postings` and `SqliteStore::check_aggregates` recomputes them.
-- * Tables whose rows carry JSON bodies (statements, lines, documents, duplicates, findings,
--   proposals) are ordinary rowid tables: a WITHOUT ROWID row over ~1 KB goes to an overflow
--   page of its own, which made a statement line cost a whole page. Narrow, hot tables
--   (entries, postings, accounts, aggregates) stay WITHOUT ROWID, clustered by their key.
-- * The migration runner applies this file inside one transaction and records its sha256 in
--   `schema_migrations`; editing it after it was applied is refused.

CREATE TABLE ledgers (
    ledger      TEXT    NOT NULL PRIMARY KEY CHECK (length(ledger) BETWEEN 1 AND 64),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- Accounts get a small integer id per ledger so postings and aggregates stay narrow.
CREATE TABLE accounts (
    ledger      TEXT    NOT NULL REFERENCES ledgers (ledger),
    account_id  INTEGER NOT NULL CHECK (account_id > 0),
    key         TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    qualifier   TEXT    NOT NULL,
    PRIMARY KEY (ledger, account_id),
    UNIQUE (ledger, key),
    CHECK (key = kind || '/' || qualifier)
) WITHOUT ROWID;

-- One row per import, reconcile or manual run. Written at the end of the run's transaction
-- (rows that name the run use deferred foreign keys), so a run row exists only for work that
-- committed and `finished_at` never has to be filled in later.
CREATE TABLE runs (
    ledger       TEXT    NOT NULL REFERENCES ledgers (ledger),
    run_id       INTEGER NOT NULL CHECK (run_id > 0),
    kind         TEXT    NOT NULL CHECK (kind IN ('import', 'reconcile', 'manual', 'close')),
    actor        TEXT    NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL CHECK (finished_at >= started_at),
    details      TEXT    NOT NULL DEFAULT 'null' CHECK (json_valid(details)),
    PRIMARY KEY (ledger, run_id)
) WITHOUT ROWID;

CREATE TABLE source_files (
    ledger       TEXT    NOT NULL REFERENCES ledgers (ledger),
    sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
    name         TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    format       TEXT    NOT NULL,
    imported_at  INTEGER NOT NULL,
    imported_by  TEXT    NOT NULL,
    run_id       INTEGER NOT NULL,
    PRIMARY KEY (ledger, sha256),
    FOREIGN KEY (ledger, run_id) REFERENCES runs (ledger, run_id) DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;

-- A statement (camt Stmt/Rpt/Ntfctn, one MT940 message, one CSV export) as read from a file.
CREATE TABLE statements (
    ledger          TEXT    NOT NULL,
    file_sha256     TEXT    NOT NULL,
    idx             INTEGER NOT NULL CHECK (idx >= 0),
    run_id          INTEGER NOT NULL,
    account         TEXT    NOT NULL,
    statement_id    TEXT,
    electronic_seq  TEXT,
    legal_seq       TEXT,
    page            INTEGER,
    from_at         TEXT,
    to_at           TEXT,
    body            TEXT    NOT NULL CHECK (json_valid(body)),
    PRIMARY KEY (ledger, file_sha256, idx),
    FOREIGN KEY (ledger, file_sha256) REFERENCES source_files (ledger, sha256)
);
CREATE INDEX statements_by_account ON statements (ledger, account, run_id, idx);

-- One bank statement line, unique per ledger by its natural key so that an overlapping
-- statement sent again adds nothing twice.
CREATE TABLE statement_lines (
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
    body          TEXT    NOT NULL CHECK (json_valid(body)),
    entry_seq     INTEGER,
    PRIMARY KEY (ledger, line_id),
    UNIQUE (ledger, natural_key),
    FOREIGN KEY (ledger, file_sha256, statement_idx)
        REFERENCES statements (ledger, file_sha256, idx)
);
CREATE INDEX statement_lines_by_date ON statement_lines (ledger, booking_date, account);

-- Government-side documents (receipts, STS, SP2D, BKU lines) with the fields recon looks up.
CREATE TABLE documents (
    ledger        TEXT    NOT NULL,
    doc_id        INTEGER NOT NULL CHECK (doc_id > 0),
    kind          TEXT    NOT NULL,
    natural_key   TEXT    NOT NULL,
    file_sha256   TEXT    NOT NULL,
    run_id        INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    row           INTEGER NOT NULL,
    date          TEXT    NOT NULL,
    body          TEXT    NOT NULL CHECK (json_valid(body)),
    entry_seq     INTEGER,
    ntpd          TEXT,
    kode_billing  TEXT,
    number        TEXT,
    amount        INTEGER,
    PRIMARY KEY (ledger, doc_id),
    UNIQUE (ledger, natural_key),
    FOREIGN KEY (ledger, file_sha256) REFERENCES source_files (ledger, sha256)
);
CREATE INDEX documents_by_kind_date ON documents (ledger, kind, date);
CREATE INDEX documents_by_ntpd ON documents (ledger, ntpd) WHERE ntpd IS NOT NULL;
CREATE INDEX documents_by_billing ON documents (ledger, kode_billing) WHERE kode_billing IS NOT NULL;
CREATE INDEX documents_by_number ON documents (ledger, number) WHERE number IS NOT NULL;

-- A line or document seen again (same natural key) in another file or position: the evidence
-- a duplicate-receipt finding cites.
CREATE TABLE duplicates (
    ledger        TEXT    NOT NULL,
    dup_id        INTEGER NOT NULL CHECK (dup_id > 0),
    what          TEXT    NOT NULL CHECK (what IN ('line', 'document')),
    natural_key   TEXT    NOT NULL,
    file_sha256   TEXT    NOT NULL,
    position      TEXT    NOT NULL,
    run_id        INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    first_file_sha256 TEXT NOT NULL,
    same_content  INTEGER NOT NULL CHECK (same_content IN (0, 1)),
    document      TEXT    CHECK (document IS NULL OR json_valid(document)),
    PRIMARY KEY (ledger, dup_id),
    FOREIGN KEY (ledger, file_sha256) REFERENCES source_files (ledger, sha256)
);
CREATE INDEX duplicates_by_key ON duplicates (ledger, natural_key);
CREATE INDEX duplicates_by_run ON duplicates (ledger, run_id, natural_key, position);

-- Journal entries: the hash chain. `seq` is 1-based and gap-free per ledger, `prev_hash` links
-- to the previous entry's `hash`; both are checked by the insert trigger below. The hash itself
-- is sha256 over kasda_core::ledger::canonical_encoding, computed in Rust, identical to the
-- PostgreSQL store's by construction.
CREATE TABLE entries (
    ledger         TEXT    NOT NULL REFERENCES ledgers (ledger),
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
    prev_hash      TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash           TEXT    NOT NULL CHECK (length(hash) = 64),
    PRIMARY KEY (ledger, seq),
    UNIQUE (ledger, natural_key),
    FOREIGN KEY (ledger, run_id) REFERENCES runs (ledger, run_id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (ledger, reverses) REFERENCES entries (ledger, seq)
) WITHOUT ROWID;
CREATE INDEX entries_by_booked_on ON entries (ledger, booked_on);
CREATE INDEX entries_by_reverses ON entries (ledger, reverses) WHERE reverses IS NOT NULL;

-- Postings are inserted before their entry row, in the same transaction (hence the deferred
-- foreign key); the entry's insert trigger then checks that they balance.
CREATE TABLE postings (
    ledger      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    account_id  INTEGER NOT NULL,
    side        TEXT    NOT NULL CHECK (side IN ('debit', 'credit')),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    currency    TEXT    NOT NULL CHECK (length(currency) = 3),
    PRIMARY KEY (ledger, seq, idx),
    FOREIGN KEY (ledger, seq) REFERENCES entries (ledger, seq) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (ledger, account_id) REFERENCES accounts (ledger, account_id)
) WITHOUT ROWID;

-- The facts (natural keys) a derived entry joins, e.g. the receipts and the statement line a
-- match clears. Outside the hash chain, protected by the append-only triggers; what `trail`
-- walks.
CREATE TABLE entry_joins (
    ledger      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    idx         INTEGER NOT NULL CHECK (idx >= 0),
    joined_key  TEXT    NOT NULL,
    PRIMARY KEY (ledger, seq, idx),
    FOREIGN KEY (ledger, seq) REFERENCES entries (ledger, seq)
) WITHOUT ROWID;
CREATE INDEX entry_joins_by_key ON entry_joins (ledger, joined_key);

-- Findings are append-only: the first sighting is a row here, every later status change is a
-- row in finding_events.
CREATE TABLE findings (
    ledger       TEXT    NOT NULL,
    finding_key  TEXT    NOT NULL,
    rule         TEXT    NOT NULL,
    first_seen   INTEGER NOT NULL,
    first_run    INTEGER NOT NULL,
    -- The finding as first reported (kasda_store::FindingInput as JSON).
    body         TEXT    NOT NULL CHECK (json_valid(body)),
    PRIMARY KEY (ledger, finding_key),
    FOREIGN KEY (ledger, first_run) REFERENCES runs (ledger, run_id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX findings_by_rule ON findings (ledger, rule);
CREATE INDEX findings_by_first_run ON findings (ledger, first_run, finding_key);

CREATE TABLE finding_events (
    ledger       TEXT    NOT NULL,
    finding_key  TEXT    NOT NULL,
    event_idx    INTEGER NOT NULL CHECK (event_idx >= 0),
    status       TEXT    NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    at           INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    PRIMARY KEY (ledger, finding_key, event_idx),
    FOREIGN KEY (ledger, finding_key) REFERENCES findings (ledger, finding_key),
    FOREIGN KEY (ledger, run_id) REFERENCES runs (ledger, run_id) DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;

-- Maker-checker: a proposal (manual match, write-off, correction) is applied only after a
-- different person approves it; the database refuses a self-approval too.
CREATE TABLE proposals (
    ledger       TEXT    NOT NULL REFERENCES ledgers (ledger),
    proposal_id  INTEGER NOT NULL CHECK (proposal_id > 0),
    kind         TEXT    NOT NULL,
    proposer     TEXT    NOT NULL,
    proposed_at  INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    -- The proposed entries with their joins (Vec<kasda_store::NewEntry> as JSON).
    entries      TEXT    NOT NULL CHECK (json_valid(entries)),
    PRIMARY KEY (ledger, proposal_id)
);

CREATE TABLE approvals (
    ledger       TEXT    NOT NULL,
    proposal_id  INTEGER NOT NULL,
    decision     TEXT    NOT NULL CHECK (decision IN ('approved', 'rejected')),
    approver     TEXT    NOT NULL,
    decided_at   INTEGER NOT NULL,
    -- The run that appended the entries (approved) or the reason (rejected).
    run_id       INTEGER,
    reason       TEXT    NOT NULL DEFAULT '',
    CHECK ((decision = 'approved') = (run_id IS NOT NULL)),
    PRIMARY KEY (ledger, proposal_id),
    FOREIGN KEY (ledger, proposal_id) REFERENCES proposals (ledger, proposal_id)
) WITHOUT ROWID;

-- (A proposer may withdraw, i.e. reject, their own proposal.)
CREATE TRIGGER approvals_four_eyes BEFORE INSERT ON approvals
WHEN NEW.decision = 'approved'
 AND lower(trim(NEW.approver)) = (SELECT lower(trim(proposer)) FROM proposals
                                  WHERE ledger = NEW.ledger AND proposal_id = NEW.proposal_id)
BEGIN
    SELECT RAISE(ABORT, 'kasda: a proposal cannot be approved by its proposer');
END;

-- A closed period: no entry may be booked on or before `through_date` once this row exists.
CREATE TABLE period_locks (
    ledger        TEXT    NOT NULL REFERENCES ledgers (ledger),
    through_date  TEXT    NOT NULL,
    locked_at     INTEGER NOT NULL,
    actor         TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (ledger, through_date)
) WITHOUT ROWID;

-- Closing is monotonic: a period once closed is never reopened or closed again earlier.
CREATE TRIGGER period_locks_monotonic BEFORE INSERT ON period_locks
WHEN NEW.through_date <= (SELECT max(through_date) FROM period_locks WHERE ledger = NEW.ledger)
BEGIN
    SELECT RAISE(ABORT, 'kasda: the ledger is already closed through this date or later');
END;

-- Balanced entries, inside the database. SQLite has no deferred constraint triggers, so the
-- store inserts an entry's postings first and the entry row last; this trigger then sees all
-- postings of the entry and refuses the entry unless there are at least two and debits equal
-- credits per currency. It also refuses a broken chain link (seq gap or wrong prev_hash) and a
-- booking inside a closed period. Every lookup here is a primary-key probe: no scans.
CREATE TRIGGER entries_checks BEFORE INSERT ON entries
BEGIN
    -- One pass over the entry's postings; the per-currency grouping runs only for the rare
    -- entry that mixes currencies.
    SELECT CASE
        WHEN n < 2 THEN RAISE(ABORT, 'kasda: entry has fewer than two postings')
        WHEN lo = hi AND net <> 0 THEN RAISE(ABORT, 'kasda: entry does not balance (debits differ from credits)')
        WHEN lo <> hi AND EXISTS (
            SELECT 1 FROM postings WHERE ledger = NEW.ledger AND seq = NEW.seq
            GROUP BY currency HAVING sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) <> 0)
        THEN RAISE(ABORT, 'kasda: entry does not balance (debits differ from credits)')
    END
    FROM (SELECT count(*) AS n,
                 coalesce(sum(CASE side WHEN 'debit' THEN amount ELSE -amount END), 0) AS net,
                 min(currency) AS lo, max(currency) AS hi
          FROM postings WHERE ledger = NEW.ledger AND seq = NEW.seq);
    SELECT RAISE(ABORT, 'kasda: entry seq is not the next in the ledger chain')
    WHERE NEW.seq <> coalesce((SELECT max(seq) FROM entries WHERE ledger = NEW.ledger), 0) + 1;
    SELECT RAISE(ABORT, 'kasda: entry prev_hash does not link to the previous entry')
    WHERE NEW.prev_hash <> coalesce(
        (SELECT hash FROM entries WHERE ledger = NEW.ledger AND seq = NEW.seq - 1),
        '0000000000000000000000000000000000000000000000000000000000000000');
    SELECT RAISE(ABORT, 'kasda: entry is booked in a closed period')
    WHERE NEW.booked_on <= (SELECT max(through_date) FROM period_locks WHERE ledger = NEW.ledger);
END;

-- Once an entry row exists its postings are final: a posting added later would unbalance it
-- behind the trigger's back.
CREATE TRIGGER postings_entry_open BEFORE INSERT ON postings
WHEN EXISTS (SELECT 1 FROM entries WHERE ledger = NEW.ledger AND seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'kasda: postings cannot be added to an entry that is already recorded');
END;

-- Bi-temporal balance aggregates, maintained by the store in the same transaction as the
-- postings (aggregated per batch in Rust, one upsert per touched account/day, so no per-row
-- trigger work).
--
-- * account_day_balances: debits and credits per (account, currency, booked day), everything
--   known now. Balance as of day D = sum(debit - credit) over days <= D: a range over one
--   account's days in the primary key, never over postings. Day movements read it directly.
-- * account_day_known: the same movement split by the `recorded_at` of the transaction that
--   wrote it. Balance as of D known at T = (balance as of D) - sum of movement recorded after T
--   on days <= D: a range over the primary key (account, currency, recorded_at > T), so its cost
--   is proportional to what was learned after T, not to the ledger's size.
CREATE TABLE account_day_balances (
    ledger      TEXT    NOT NULL,
    account_id  INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    debit       INTEGER NOT NULL CHECK (debit >= 0),
    credit      INTEGER NOT NULL CHECK (credit >= 0),
    PRIMARY KEY (ledger, account_id, currency, day)
) WITHOUT ROWID;

CREATE TABLE account_day_known (
    ledger       TEXT    NOT NULL,
    account_id   INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    recorded_at  INTEGER NOT NULL,
    day          TEXT    NOT NULL,
    debit        INTEGER NOT NULL CHECK (debit >= 0),
    credit       INTEGER NOT NULL CHECK (credit >= 0),
    PRIMARY KEY (ledger, account_id, currency, recorded_at, day)
) WITHOUT ROWID;

-- Append-only enforcement for every ledger table.
CREATE TRIGGER ledgers_no_update BEFORE UPDATE ON ledgers BEGIN SELECT RAISE(ABORT, 'kasda: ledgers is append-only'); END;
CREATE TRIGGER ledgers_no_delete BEFORE DELETE ON ledgers BEGIN SELECT RAISE(ABORT, 'kasda: ledgers is append-only'); END;
CREATE TRIGGER accounts_no_update BEFORE UPDATE ON accounts BEGIN SELECT RAISE(ABORT, 'kasda: accounts is append-only'); END;
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts BEGIN SELECT RAISE(ABORT, 'kasda: accounts is append-only'); END;
CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'kasda: runs is append-only'); END;
CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs BEGIN SELECT RAISE(ABORT, 'kasda: runs is append-only'); END;
CREATE TRIGGER source_files_no_update BEFORE UPDATE ON source_files BEGIN SELECT RAISE(ABORT, 'kasda: source_files is append-only'); END;
CREATE TRIGGER source_files_no_delete BEFORE DELETE ON source_files BEGIN SELECT RAISE(ABORT, 'kasda: source_files is append-only'); END;
CREATE TRIGGER statements_no_update BEFORE UPDATE ON statements BEGIN SELECT RAISE(ABORT, 'kasda: statements is append-only'); END;
CREATE TRIGGER statements_no_delete BEFORE DELETE ON statements BEGIN SELECT RAISE(ABORT, 'kasda: statements is append-only'); END;
CREATE TRIGGER statement_lines_no_update BEFORE UPDATE ON statement_lines BEGIN SELECT RAISE(ABORT, 'kasda: statement_lines is append-only'); END;
CREATE TRIGGER statement_lines_no_delete BEFORE DELETE ON statement_lines BEGIN SELECT RAISE(ABORT, 'kasda: statement_lines is append-only'); END;
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents BEGIN SELECT RAISE(ABORT, 'kasda: documents is append-only'); END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'kasda: documents is append-only'); END;
CREATE TRIGGER duplicates_no_update BEFORE UPDATE ON duplicates BEGIN SELECT RAISE(ABORT, 'kasda: duplicates is append-only'); END;
CREATE TRIGGER duplicates_no_delete BEFORE DELETE ON duplicates BEGIN SELECT RAISE(ABORT, 'kasda: duplicates is append-only'); END;
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'kasda: entries is append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'kasda: entries is append-only'); END;
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings BEGIN SELECT RAISE(ABORT, 'kasda: postings is append-only'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings BEGIN SELECT RAISE(ABORT, 'kasda: postings is append-only'); END;
CREATE TRIGGER findings_no_update BEFORE UPDATE ON findings BEGIN SELECT RAISE(ABORT, 'kasda: findings is append-only'); END;
CREATE TRIGGER findings_no_delete BEFORE DELETE ON findings BEGIN SELECT RAISE(ABORT, 'kasda: findings is append-only'); END;
CREATE TRIGGER finding_events_no_update BEFORE UPDATE ON finding_events BEGIN SELECT RAISE(ABORT, 'kasda: finding_events is append-only'); END;
CREATE TRIGGER finding_events_no_delete BEFORE DELETE ON finding_events BEGIN SELECT RAISE(ABORT, 'kasda: finding_events is append-only'); END;
CREATE TRIGGER proposals_no_update BEFORE UPDATE ON proposals BEGIN SELECT RAISE(ABORT, 'kasda: proposals is append-only'); END;
CREATE TRIGGER proposals_no_delete BEFORE DELETE ON proposals BEGIN SELECT RAISE(ABORT, 'kasda: proposals is append-only'); END;
CREATE TRIGGER approvals_no_update BEFORE UPDATE ON approvals BEGIN SELECT RAISE(ABORT, 'kasda: approvals is append-only'); END;
CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals BEGIN SELECT RAISE(ABORT, 'kasda: approvals is append-only'); END;
CREATE TRIGGER period_locks_no_update BEFORE UPDATE ON period_locks BEGIN SELECT RAISE(ABORT, 'kasda: period_locks is append-only'); END;
CREATE TRIGGER entry_joins_no_update BEFORE UPDATE ON entry_joins BEGIN SELECT RAISE(ABORT, 'kasda: entry_joins is append-only'); END;
CREATE TRIGGER entry_joins_no_delete BEFORE DELETE ON entry_joins BEGIN SELECT RAISE(ABORT, 'kasda: entry_joins is append-only'); END;
CREATE TRIGGER period_locks_no_delete BEFORE DELETE ON period_locks BEGIN SELECT RAISE(ABORT, 'kasda: period_locks is append-only'); END;
