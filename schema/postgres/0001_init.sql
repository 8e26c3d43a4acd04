-- kasda PostgreSQL schema, migration 0001: the whole ledger.
--
-- Conventions:
-- * Every table is keyed by `ledger_id` first: one pemda's rows sit together, and the schema is
--   ready to be distributed by that column on Citus-style engines (every unique key and every
--   foreign key includes it).
-- * Money is NUMERIC(20,3): exact decimal, never float. Three decimals rather than two because
--   ISO 4217 gives KWD/BHD/OMR/JOD/IQD/LYD/TND three minor digits and kasda_core accepts them;
--   NUMERIC(20,2) would round those silently. IDR amounts keep two decimals; the store reads
--   every amount back at its currency's scale.
-- * Every text column is COLLATE "C": keys compare and sort by bytes, as the trait orders them,
--   whatever the database locale, and B-tree maintenance skips locale-aware comparison.
-- * Timestamps are timestamptz (microseconds, UTC from the store's clock); dates are date.
-- * JSON bodies (`json`, not `jsonb`) keep the exact text the store wrote, so facts round-trip
--   byte for byte and search sees the same text on every store.
-- * Ledger tables are append-only, enforced here: statement-level BEFORE UPDATE/DELETE/TRUNCATE
--   triggers refuse with SQLSTATE KD001. Corrections are reversing entries.
-- * An entry is checked by the database at COMMIT (deferred constraint trigger, fired once per
--   INSERT/COPY statement on entries, see below): at least two
--   postings, debits = credits per currency, gap-free seq, prev_hash linking to the previous
--   entry, not booked in a closed period. Postings cannot be added to an entry recorded by an
--   earlier transaction or already checked.
-- * The schema lives in `public` (the SECURITY DEFINER functions name their tables with it).
-- * Hashes are computed in Rust (kasda_core::ledger::chain_hash), identical across stores.
-- * Roles kasda_importer / kasda_treasurer / kasda_auditor (NOLOGIN group roles) get the least
--   privileges they need; row-level security shows a login role only the ledgers listed for it
--   in ledger_access. The schema owner (the migrating user) bypasses RLS.

-- Ledgers: one per pemda.
CREATE TABLE ledgers (
    ledger_id   text COLLATE "C"        NOT NULL PRIMARY KEY CHECK (ledger_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    name        text COLLATE "C"        NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Which login (or group) role may see which ledger. Not append-only: access is revoked by
-- deleting the row. Read only through kasda_ledger_visible (SECURITY DEFINER).
CREATE TABLE ledger_access (
    ledger_id   text COLLATE "C"        NOT NULL REFERENCES ledgers (ledger_id),
    grantee     name        NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (ledger_id, grantee)
);

-- Chart: every account a posting names, numbered per ledger so postings stay narrow.
CREATE TABLE accounts (
    ledger_id    text COLLATE "C"    NOT NULL REFERENCES ledgers (ledger_id),
    account_id   integer NOT NULL CHECK (account_id > 0),
    account_key  text COLLATE "C"    NOT NULL,
    kind         text COLLATE "C"    NOT NULL,
    qualifier    text COLLATE "C"    NOT NULL,
    PRIMARY KEY (ledger_id, account_id),
    UNIQUE (ledger_id, account_key),
    CHECK (account_key = kind || '/' || qualifier)
);

-- One row per import, reconcile, manual (approved proposal) or close run.
CREATE TABLE runs (
    ledger_id   text COLLATE "C"        NOT NULL REFERENCES ledgers (ledger_id),
    run_id      bigint      NOT NULL CHECK (run_id > 0),
    kind        text COLLATE "C"        NOT NULL CHECK (kind IN ('import', 'reconcile', 'manual', 'close')),
    actor       text COLLATE "C"        NOT NULL,
    started_at  timestamptz NOT NULL,
    details     json        NOT NULL,
    PRIMARY KEY (ledger_id, run_id)
);
CREATE INDEX runs_by_time ON runs (ledger_id, started_at);

CREATE TABLE source_files (
    ledger_id    text COLLATE "C"        NOT NULL,
    sha256       text COLLATE "C"        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    name         text COLLATE "C"        NOT NULL,
    size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
    format       text COLLATE "C"        NOT NULL,
    imported_by  text COLLATE "C"        NOT NULL,
    imported_at  timestamptz NOT NULL,
    run_id       bigint      NOT NULL,
    PRIMARY KEY (ledger_id, sha256),
    UNIQUE (ledger_id, run_id),
    FOREIGN KEY (ledger_id, run_id) REFERENCES runs (ledger_id, run_id)
);

-- A statement (camt Stmt/Rpt/Ntfctn, MT940 message, CSV export) header as read.
CREATE TABLE statements (
    ledger_id    text COLLATE "C"    NOT NULL,
    file_sha256  text COLLATE "C"    NOT NULL,
    idx          integer NOT NULL CHECK (idx >= 0),
    run_id       bigint  NOT NULL,
    account      text COLLATE "C"    NOT NULL,
    header       json    NOT NULL,
    PRIMARY KEY (ledger_id, file_sha256, idx),
    FOREIGN KEY (ledger_id, file_sha256) REFERENCES source_files (ledger_id, sha256)
);
CREATE INDEX statements_by_account ON statements (ledger_id, account, run_id, idx);

-- One bank statement line, unique per ledger by natural key (an overlapping statement adds
-- nothing twice). `facts` is kasda_store::LineFacts as JSON; the columns beside it are what
-- queries filter and sort on.
CREATE TABLE statement_lines (
    ledger_id      text COLLATE "C"           NOT NULL,
    natural_key    text COLLATE "C"           NOT NULL,
    file_sha256    text COLLATE "C"           NOT NULL,
    run_id         bigint         NOT NULL,
    recorded_at    timestamptz    NOT NULL,
    statement_idx  integer        NOT NULL,
    pos_index      bigint         NOT NULL,
    account        text COLLATE "C"           NOT NULL,
    booking_date   date           NOT NULL,
    amount         numeric(20, 3) NOT NULL CHECK (amount >= 0),
    currency       char(3)        NOT NULL,
    search_text    text COLLATE "C"           NOT NULL,
    facts          json           NOT NULL,
    entry_seq      bigint,
    PRIMARY KEY (ledger_id, natural_key)
);
CREATE INDEX statement_lines_by_date ON statement_lines (ledger_id, booking_date, account);

-- Government-side documents (receipts, STS, SP2D, BKU lines). `body` is the Document as the
-- compact JSON text serde writes; search matches inside it.
CREATE TABLE documents (
    ledger_id    text COLLATE "C"        NOT NULL,
    natural_key  text COLLATE "C"        NOT NULL,
    kind         text COLLATE "C"        NOT NULL CHECK (kind IN ('receipt', 'sts', 'sp2d', 'bku')),
    file_sha256  text COLLATE "C"        NOT NULL,
    run_id       bigint      NOT NULL,
    recorded_at  timestamptz NOT NULL,
    row_no       bigint      NOT NULL,
    doc_date     date        NOT NULL,
    body         json        NOT NULL,
    entry_seq    bigint,
    PRIMARY KEY (ledger_id, natural_key)
);
CREATE INDEX documents_by_date ON documents (ledger_id, doc_date, kind);

-- A line or document received again under a stored natural key: duplicate evidence.
CREATE TABLE duplicates (
    ledger_id          text COLLATE "C"        NOT NULL,
    dup_id             bigint      NOT NULL CHECK (dup_id > 0),
    what               text COLLATE "C"        NOT NULL CHECK (what IN ('line', 'document')),
    natural_key        text COLLATE "C"        NOT NULL,
    file_sha256        text COLLATE "C"        NOT NULL,
    position           text COLLATE "C"        NOT NULL,
    run_id             bigint      NOT NULL,
    recorded_at        timestamptz NOT NULL,
    first_file_sha256  text COLLATE "C"        NOT NULL,
    same_content       boolean     NOT NULL,
    document           json,
    PRIMARY KEY (ledger_id, dup_id)
);
CREATE INDEX duplicates_by_key ON duplicates (ledger_id, natural_key);

-- Journal entries: the hash chain. seq is 1-based and gap-free per ledger.
-- (Hashes are checked with decode(…, 'hex') rather than a regular expression: a regex per
-- column per row was the largest single cost of a bulk COPY.)
CREATE TABLE entries (
    ledger_id      text COLLATE "C"        NOT NULL,
    seq            bigint      NOT NULL CHECK (seq > 0),
    kind           text COLLATE "C"        NOT NULL,
    booked_on      date        NOT NULL,
    value_date     date        NOT NULL,
    natural_key    text COLLATE "C"        NOT NULL,
    position       text COLLATE "C"        NOT NULL,
    memo           text COLLATE "C"        NOT NULL,
    reverses       bigint,
    source_sha256  text,
    run_id         bigint      NOT NULL,
    recorded_at    timestamptz NOT NULL,
    prev_hash      text COLLATE "C"        NOT NULL CHECK (octet_length(decode(prev_hash, 'hex')) = 32 AND prev_hash = lower(prev_hash)),
    hash           text COLLATE "C"        NOT NULL CHECK (octet_length(decode(hash, 'hex')) = 32 AND hash = lower(hash)),
    PRIMARY KEY (ledger_id, seq),
    UNIQUE (ledger_id, natural_key)
    -- run_id and reverses are checked per statement by entries_refs (below), set-based, instead
    -- of by per-row foreign keys: an import COPYs tens of thousands of entries at once.
);
CREATE INDEX entries_by_booked_on ON entries (ledger_id, booked_on);
CREATE INDEX entries_by_reverses ON entries (ledger_id, reverses) WHERE reverses IS NOT NULL;

-- Postings are written after their entry, in the same transaction; postings_sealed (below)
-- checks per statement, set-based, that each names an entry of this transaction that has not
-- been checked yet and an existing account (what per-row foreign keys would do, at a fraction of
-- the cost for a bulk COPY). The deferred balance check then sees them all at COMMIT.
CREATE TABLE postings (
    ledger_id   text COLLATE "C"           NOT NULL,
    seq         bigint         NOT NULL,
    idx         integer        NOT NULL CHECK (idx >= 0),
    account_id  integer        NOT NULL,
    side        text COLLATE "C"           NOT NULL CHECK (side IN ('debit', 'credit')),
    amount      numeric(20, 3) NOT NULL CHECK (amount > 0),
    currency    char(3)        NOT NULL,
    PRIMARY KEY (ledger_id, seq, idx)
);
CREATE INDEX postings_by_account ON postings (ledger_id, account_id, seq);

-- Natural keys of the facts a derived entry joins (what trail walks). Outside the chain.
CREATE TABLE entry_joins (
    ledger_id   text COLLATE "C"    NOT NULL,
    seq         bigint  NOT NULL,
    idx         integer NOT NULL CHECK (idx >= 0),
    joined_key  text COLLATE "C"    NOT NULL,
    PRIMARY KEY (ledger_id, seq, idx),
    FOREIGN KEY (ledger_id, seq) REFERENCES entries (ledger_id, seq) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX entry_joins_by_key ON entry_joins (ledger_id, joined_key);

-- Bi-temporal balance aggregate, append-only: one row per (account, booking day, run) holding
-- what that run's transaction added. Every entry-writing transaction is exactly one run, so
-- run_id orders the rows by recording time too.
--   balance(account, as of D, known at T) = Σ(debit - credit) WHERE day <= D AND recorded_at <= T
-- reads one account's rows by the primary key: its cost grows with the number of (day, run)
-- pairs that touched the account, never with the number of postings (a busy RKUD account with
-- 8 000 lines a day imported daily has ~250 rows a year). No row is ever updated, so the
-- aggregate is as append-only as the postings it summarises and needs no UPDATE privilege.
CREATE TABLE account_day_deltas (
    ledger_id    text COLLATE "C"           NOT NULL,
    account_id   integer        NOT NULL,
    day          date           NOT NULL,
    run_id       bigint         NOT NULL,
    recorded_at  timestamptz    NOT NULL,
    debit        numeric(24, 3) NOT NULL CHECK (debit >= 0),
    credit       numeric(24, 3) NOT NULL CHECK (credit >= 0),
    PRIMARY KEY (ledger_id, account_id, day, run_id),
    FOREIGN KEY (ledger_id, account_id) REFERENCES accounts (ledger_id, account_id)
);

-- Findings: the first sighting here, each later status change in finding_events.
CREATE TABLE findings (
    ledger_id       text COLLATE "C"        NOT NULL,
    finding_id      text COLLATE "C"        NOT NULL,
    rule            text COLLATE "C"        NOT NULL,
    first_seen_at   timestamptz NOT NULL,
    first_seen_run  bigint      NOT NULL,
    body            json        NOT NULL,
    PRIMARY KEY (ledger_id, finding_id),
    FOREIGN KEY (ledger_id, first_seen_run) REFERENCES runs (ledger_id, run_id)
);

CREATE TABLE finding_events (
    ledger_id   text COLLATE "C"        NOT NULL,
    finding_id  text COLLATE "C"        NOT NULL,
    event_no    integer     NOT NULL CHECK (event_no >= 0),
    run_id      bigint      NOT NULL,
    at          timestamptz NOT NULL,
    status      text COLLATE "C"        NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    PRIMARY KEY (ledger_id, finding_id, event_no),
    FOREIGN KEY (ledger_id, finding_id) REFERENCES findings (ledger_id, finding_id),
    FOREIGN KEY (ledger_id, run_id) REFERENCES runs (ledger_id, run_id)
);
CREATE INDEX finding_events_by_time ON finding_events (ledger_id, at);

-- Maker-checker proposals and their one decision.
CREATE TABLE proposals (
    ledger_id    text COLLATE "C"        NOT NULL REFERENCES ledgers (ledger_id),
    proposal_id  bigint      NOT NULL CHECK (proposal_id > 0),
    kind         text COLLATE "C"        NOT NULL CHECK (kind IN ('manual_match', 'write_off', 'correction')),
    reason       text COLLATE "C"        NOT NULL,
    proposed_by  text COLLATE "C"        NOT NULL,
    proposed_at  timestamptz NOT NULL,
    entries      json        NOT NULL,
    PRIMARY KEY (ledger_id, proposal_id)
);
CREATE INDEX proposals_by_time ON proposals (ledger_id, proposed_at);

CREATE TABLE proposal_decisions (
    ledger_id    text COLLATE "C"        NOT NULL,
    proposal_id  bigint      NOT NULL,
    decision     text COLLATE "C"        NOT NULL CHECK (decision IN ('approved', 'rejected')),
    decided_by   text COLLATE "C"        NOT NULL,
    decided_at   timestamptz NOT NULL,
    run_id       bigint,
    reason       text COLLATE "C"        NOT NULL,
    PRIMARY KEY (ledger_id, proposal_id),
    CHECK ((decision = 'approved') = (run_id IS NOT NULL)),
    FOREIGN KEY (ledger_id, proposal_id) REFERENCES proposals (ledger_id, proposal_id),
    FOREIGN KEY (ledger_id, run_id) REFERENCES runs (ledger_id, run_id)
);
CREATE INDEX proposal_decisions_by_time ON proposal_decisions (ledger_id, decided_at);

-- Closed periods: nothing may be booked on or before through_date once the row exists.
CREATE TABLE period_locks (
    ledger_id     text COLLATE "C"        NOT NULL REFERENCES ledgers (ledger_id),
    through_date  date        NOT NULL,
    locked_at     timestamptz NOT NULL,
    actor         text COLLATE "C"        NOT NULL,
    run_id        bigint      NOT NULL,
    PRIMARY KEY (ledger_id, through_date),
    FOREIGN KEY (ledger_id, run_id) REFERENCES runs (ledger_id, run_id)
);

-- ---------------------------------------------------------------------------------------------
-- Append-only enforcement
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION kasda_refuse_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kasda: % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'KD001', DETAIL = TG_TABLE_NAME, HINT = TG_OP;
END;
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledgers', 'accounts', 'runs', 'source_files', 'statements',
        'statement_lines', 'documents', 'duplicates', 'entries', 'postings', 'entry_joins',
        'account_day_deltas', 'findings', 'finding_events', 'proposals', 'proposal_decisions',
        'period_locks']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION kasda_refuse_mutation()',
                       t || '_append_only', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION kasda_refuse_mutation()',
                       t || '_no_truncate', t);
    END LOOP;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Entry checks at COMMIT
-- ---------------------------------------------------------------------------------------------

-- Checking entries at COMMIT, once per INSERT/COPY statement rather than once per row (an
-- import COPYs tens of thousands of entries; a per-row trigger costs ~20 µs a row):
-- 1. entries_refs, an AFTER … FOR EACH STATEMENT trigger on entries (every INSERT or COPY fires
--    it; only a superuser can switch it off), checks the statement's run and reversal links
--    and queues the statement's seq range per ledger in kasda_pending_checks;
-- 2. pending_checks_at_commit, a DEFERRABLE INITIALLY DEFERRED constraint trigger on that
--    queue, runs kasda_check_entries for each queued range at COMMIT (or SET CONSTRAINTS …
--    IMMEDIATE), when all the transaction's postings are in: at least two postings,
--    Σ debit = Σ credit per currency, seq gap-free, prev_hash = the previous entry's hash, not
--    booked in a closed period — set-based over the range;
-- 3. the checked range moves to kasda_entry_checks, so postings_sealed can refuse postings
--    added to an entry after its check.
-- Both tables are written only by SECURITY DEFINER functions (no role may touch them, so a
-- check can be neither skipped nor forged). The functions name tables schema-qualified: a
-- SECURITY DEFINER function must not resolve names through the caller's search_path.
CREATE UNLOGGED TABLE kasda_pending_checks (
    ledger_id  text COLLATE "C"    NOT NULL,
    xid        xid8    NOT NULL,
    from_seq   bigint  NOT NULL,
    to_seq     bigint  NOT NULL
);
REVOKE ALL ON kasda_pending_checks FROM PUBLIC;

CREATE UNLOGGED TABLE kasda_entry_checks (
    ledger_id  text COLLATE "C"    NOT NULL,
    xid        xid8    NOT NULL,
    from_seq   bigint  NOT NULL,
    to_seq     bigint  NOT NULL,
    PRIMARY KEY (ledger_id, xid, from_seq)
);
REVOKE ALL ON kasda_entry_checks FROM PUBLIC;

CREATE FUNCTION kasda_check_entries() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    lo bigint := NEW.from_seq;
    hi bigint := NEW.to_seq;
    bad record;
    closed date;
BEGIN
    SELECT e.seq, count(p.seq) AS n INTO bad
      FROM public.entries e
      LEFT JOIN public.postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
     WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo AND hi
     GROUP BY e.seq HAVING count(p.seq) < 2
     ORDER BY e.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % of ledger % has % postings; at least 2 are required',
            bad.seq, NEW.ledger_id, bad.n USING ERRCODE = 'KD002';
    END IF;

    SELECT p.seq, p.currency INTO bad
      FROM public.postings p
     WHERE p.ledger_id = NEW.ledger_id AND p.seq BETWEEN lo AND hi
     GROUP BY p.seq, p.currency
    HAVING sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0
     ORDER BY p.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % of ledger % does not balance in %: debits differ from credits',
            bad.seq, NEW.ledger_id, bad.currency USING ERRCODE = 'KD002';
    END IF;

    SELECT e.seq, prev.seq IS NULL AS gap INTO bad
      FROM public.entries e
      LEFT JOIN public.entries prev ON prev.ledger_id = e.ledger_id AND prev.seq = e.seq - 1
     WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo AND hi
       AND CASE WHEN e.seq = 1
                THEN e.prev_hash <> '0000000000000000000000000000000000000000000000000000000000000000'
                ELSE prev.seq IS NULL OR e.prev_hash <> prev.hash END
     ORDER BY e.seq LIMIT 1;
    IF FOUND THEN
        IF bad.gap AND bad.seq > 1 THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % leaves a gap: entry % does not exist',
                bad.seq, NEW.ledger_id, bad.seq - 1 USING ERRCODE = 'KD003';
        END IF;
        RAISE EXCEPTION 'kasda: entry % of ledger % does not link to the previous entry''s hash',
            bad.seq, NEW.ledger_id USING ERRCODE = 'KD003';
    END IF;

    SELECT max(l.through_date) INTO closed FROM public.period_locks l
     WHERE l.ledger_id = NEW.ledger_id;
    IF closed IS NOT NULL THEN
        SELECT e.seq, e.booked_on INTO bad FROM public.entries e
         WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo AND hi
           AND e.booked_on <= closed
         ORDER BY e.seq LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % is booked on %, in the period closed through %',
                bad.seq, NEW.ledger_id, bad.booked_on, closed USING ERRCODE = 'KD004';
        END IF;
    END IF;

    DELETE FROM public.kasda_entry_checks c
     WHERE c.ledger_id = NEW.ledger_id AND c.xid <> NEW.xid
       AND pg_xact_status(c.xid) IS DISTINCT FROM 'in progress';
    DELETE FROM public.kasda_pending_checks c
     WHERE c.ledger_id = NEW.ledger_id AND c.xid <> NEW.xid
       AND pg_xact_status(c.xid) IS DISTINCT FROM 'in progress';
    INSERT INTO public.kasda_entry_checks (ledger_id, xid, from_seq, to_seq)
    VALUES (NEW.ledger_id, NEW.xid, lo, hi)
    ON CONFLICT (ledger_id, xid, from_seq) DO UPDATE SET to_seq = greatest(
        public.kasda_entry_checks.to_seq, EXCLUDED.to_seq);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_check_entries() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER pending_checks_at_commit AFTER INSERT ON kasda_pending_checks
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION kasda_check_entries();

-- Per INSERT/COPY statement on entries: the run exists, a reversed entry exists; then queue
-- the statement's seq range per ledger for the COMMIT-time check.
CREATE FUNCTION kasda_entries_refs() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.seq, n.run_id INTO bad
      FROM new_entries n
      LEFT JOIN public.runs r ON r.ledger_id = n.ledger_id AND r.run_id = n.run_id
     WHERE r.run_id IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % names run %, which does not exist', bad.seq, bad.run_id
            USING ERRCODE = '23503';
    END IF;
    SELECT n.seq, n.reverses INTO bad
      FROM new_entries n
     WHERE n.reverses IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM public.entries e
                        WHERE e.ledger_id = n.ledger_id AND e.seq = n.reverses)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % reverses entry %, which does not exist', bad.seq, bad.reverses
            USING ERRCODE = '23503';
    END IF;
    INSERT INTO public.kasda_pending_checks (ledger_id, xid, from_seq, to_seq)
    SELECT n.ledger_id, pg_current_xact_id(), min(n.seq), max(n.seq)
      FROM new_entries n GROUP BY n.ledger_id;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_entries_refs() FROM PUBLIC;

CREATE TRIGGER entries_refs AFTER INSERT ON entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION kasda_entries_refs();

-- Per INSERT/COPY statement on postings: each posting names an entry written by this same
-- transaction whose checks have not run yet (once an entry is recorded or checked its postings
-- are final: a posting added later would unbalance it behind the check's back) and an
-- existing account.
CREATE FUNCTION kasda_postings_sealed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    me xid8 := pg_current_xact_id();
    bad record;
BEGIN
    SELECT n.ledger_id, n.seq, e.seq IS NULL AS missing INTO bad
      FROM new_postings n
      LEFT JOIN public.entries e ON e.ledger_id = n.ledger_id AND e.seq = n.seq
     WHERE e.seq IS NULL OR e.xmin <> me::xid
     LIMIT 1;
    IF NOT FOUND THEN
        -- Entries of this transaction already checked (SET CONSTRAINTS … IMMEDIATE); the
        -- table holds a handful of rows, so look only when this transaction has any.
        SELECT n.ledger_id, n.seq, false AS missing INTO bad
          FROM public.kasda_entry_checks c
          JOIN new_postings n ON n.ledger_id = c.ledger_id AND n.seq BETWEEN c.from_seq AND c.to_seq
         WHERE c.xid = me
         LIMIT 1;
    END IF;
    IF FOUND THEN
        IF bad.missing THEN
            RAISE EXCEPTION 'kasda: posting names entry % of ledger %, which does not exist (write the entry first)',
                bad.seq, bad.ledger_id USING ERRCODE = '23503';
        END IF;
        RAISE EXCEPTION 'kasda: entry % of ledger % is already recorded; its postings are final',
            bad.seq, bad.ledger_id USING ERRCODE = 'KD002';
    END IF;
    SELECT n.ledger_id, n.account_id INTO bad
      FROM new_postings n
      LEFT JOIN public.accounts a ON a.ledger_id = n.ledger_id AND a.account_id = n.account_id
     WHERE a.account_id IS NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: posting names account % of ledger %, which does not exist',
            bad.account_id, bad.ledger_id USING ERRCODE = '23503';
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_postings_sealed() FROM PUBLIC;

CREATE TRIGGER postings_sealed AFTER INSERT ON postings
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION kasda_postings_sealed();

-- Maker-checker in the database too: the proposer cannot approve (may withdraw = reject).
CREATE FUNCTION kasda_four_eyes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.decision = 'approved' AND EXISTS (
        SELECT 1 FROM proposals p
         WHERE p.ledger_id = NEW.ledger_id AND p.proposal_id = NEW.proposal_id
           AND lower(btrim(p.proposed_by)) = lower(btrim(NEW.decided_by))) THEN
        RAISE EXCEPTION 'kasda: proposal % cannot be approved by its proposer', NEW.proposal_id
            USING ERRCODE = 'KD005';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER proposal_decisions_four_eyes BEFORE INSERT ON proposal_decisions
    FOR EACH ROW EXECUTE FUNCTION kasda_four_eyes();

-- Closing is monotonic.
CREATE FUNCTION kasda_close_monotonic() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed date;
BEGIN
    SELECT max(through_date) INTO closed FROM period_locks WHERE ledger_id = NEW.ledger_id;
    IF closed IS NOT NULL AND NEW.through_date <= closed THEN
        RAISE EXCEPTION 'kasda: ledger % is already closed through %', NEW.ledger_id, closed
            USING ERRCODE = 'KD004';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER period_locks_monotonic BEFORE INSERT ON period_locks
    FOR EACH ROW EXECUTE FUNCTION kasda_close_monotonic();

-- ---------------------------------------------------------------------------------------------
-- Roles and row-level security
-- ---------------------------------------------------------------------------------------------

-- Group roles are cluster-wide; create them once, tolerating a concurrent migrate in another
-- database creating the same role at the same moment.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['kasda_importer', 'kasda_treasurer', 'kasda_auditor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END;
$$;

-- Whether `who` may see ledger `l`: a row in ledger_access naming `who` or a role `who` is a
-- member of. SECURITY DEFINER so that ledger_access itself stays unreadable to the roles.
CREATE FUNCTION kasda_ledger_visible(l text, who name) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.ledger_access a
         WHERE a.ledger_id = l AND pg_catalog.pg_has_role(who, a.grantee, 'MEMBER'))
$$;
REVOKE ALL ON FUNCTION kasda_ledger_visible(text, name) FROM PUBLIC;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledgers', 'accounts', 'runs', 'source_files', 'statements',
        'statement_lines', 'documents', 'duplicates', 'entries', 'postings', 'entry_joins',
        'account_day_deltas', 'findings', 'finding_events', 'proposals', 'proposal_decisions',
        'period_locks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (kasda_ledger_visible(ledger_id, current_user))
                        WITH CHECK (kasda_ledger_visible(ledger_id, current_user))',
                       t || '_by_ledger', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON %I TO kasda_auditor, kasda_treasurer, kasda_importer', t);
    END LOOP;
END;
$$;
REVOKE ALL ON ledger_access FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kasda_ledger_visible(text, name)
    TO kasda_auditor, kasda_treasurer, kasda_importer;

-- Importer: appends imports (files, statements, lines, documents, duplicates, their entries).
GRANT INSERT ON accounts, runs, source_files, statements, statement_lines, documents,
    duplicates, entries, postings, account_day_deltas TO kasda_importer;
-- Treasurer: appends matches, corrections, findings, proposals, decisions and period closes.
GRANT INSERT ON accounts, runs, entries, postings, entry_joins, account_day_deltas, findings,
    finding_events, proposals, proposal_decisions, period_locks TO kasda_treasurer;
-- Auditor: SELECT only (above). Nobody but the owner gets UPDATE, DELETE or TRUNCATE, and the
-- triggers refuse those even to the owner.
