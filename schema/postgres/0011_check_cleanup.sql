-- kasda PostgreSQL schema, migration 0011: the COMMIT-time entry check cleans up after itself
-- without walking every removed row.
--
-- kasda_check_entries (0001, 0008) ended every check by deleting the rows of all finished
-- transactions from kasda_pending_checks and kasda_entry_checks. Those DELETEs were a sequential
-- scan and a bitmap scan, and neither marks the rows it finds already removed as dead, so each
-- commit visited every row removed since the last VACUUM: with autovacuum off, or between its
-- runs, a transaction's check cost grew with the number of transactions before it (a third of
-- the server's time for hot writers after a few thousand group commits).
--
-- Now a check deletes its own queue row, found through a new primary key on
-- kasda_pending_checks (nothing else reads a queue row once its check has run, and a row of a
-- transaction that rolled back is gone with it), and removes the rows of finished transactions
-- from kasda_entry_checks only among the 256 xids before its own (all of them when its xid is a
-- multiple of 256), through kasda_forget_checks, an index scan of the primary key.
-- kasda_postings_sealed (0010) first asks whether the transaction has any checked range; a new
-- index by xid answers that without reading the table's pages, which only VACUUM gives back.
-- What is checked, and when, is unchanged.
DELETE FROM kasda_pending_checks c WHERE pg_xact_status(c.xid) IS DISTINCT FROM 'in progress';
ALTER TABLE kasda_pending_checks ADD PRIMARY KEY (ledger_id, xid, from_seq);
CREATE INDEX kasda_entry_checks_by_xid ON kasda_entry_checks (xid);

-- Removes the check rows of `ledger` left by finished transactions with an xid between `above`
-- and `below` (both excluded). A bitmap scan never marks the index entries of removed rows dead,
-- so the planner is told to walk the primary key: that scan marks them as it passes.
CREATE FUNCTION kasda_forget_checks(ledger text, above xid8, below xid8) RETURNS void
LANGUAGE sql SECURITY DEFINER
SET enable_bitmapscan = off SET enable_seqscan = off AS $$
    DELETE FROM public.kasda_entry_checks c
     WHERE c.ctid = ANY (ARRAY(
           SELECT o.ctid FROM public.kasda_entry_checks o
            WHERE o.ledger_id = ledger AND o.xid > above AND o.xid < below
              AND pg_xact_status(o.xid) IS DISTINCT FROM 'in progress'));
$$;
REVOKE ALL ON FUNCTION kasda_forget_checks(text, xid8, xid8) FROM PUBLIC;

CREATE OR REPLACE FUNCTION kasda_check_entries() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
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
                THEN e.prev_hash <> '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
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

    -- The check's own queue row is consumed (a lookup by its full key). Check rows of
    -- finished transactions are removed from kasda_entry_checks among the 256 xids before this
    -- one, and all of them once every 256 xids: no commit walks every row removed since the
    -- last VACUUM.
    DELETE FROM public.kasda_pending_checks c
     WHERE c.ledger_id = NEW.ledger_id AND c.xid = NEW.xid AND c.from_seq = NEW.from_seq;
    PERFORM public.kasda_forget_checks(NEW.ledger_id,
        CASE WHEN NEW.xid::text::bigint % 256 = 0 THEN '0'::xid8
             ELSE greatest(NEW.xid::text::bigint - 256, 0)::text::xid8 END,
        NEW.xid);
    INSERT INTO public.kasda_entry_checks (ledger_id, xid, from_seq, to_seq)
    VALUES (NEW.ledger_id, NEW.xid, lo, hi)
    ON CONFLICT (ledger_id, xid, from_seq) DO UPDATE SET to_seq = greatest(
        public.kasda_entry_checks.to_seq, EXCLUDED.to_seq);
    RETURN NULL;
END;
$$;
