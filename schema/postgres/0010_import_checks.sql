-- kasda PostgreSQL schema, migration 0010: the statement triggers of a bulk import check sets, not rows.
--
-- kasda_entries_refs and kasda_postings_sealed (0001) asked each of their
-- questions with `… LEFT JOIN … LIMIT 1` over the statement's transition table. LIMIT 1 made
-- the planner expect an early hit, so it chose a nested loop: one index probe into runs per new
-- entry, and one into entries and one into accounts per new posting. An import of 500,000
-- statement lines (1,000,000 postings) paid 2.2 million probes for questions about one run, a
-- few accounts and one range of seqs.
--
-- Now:
-- * the run check looks up each distinct (ledger, run) of the statement once;
-- * the posting check takes, per ledger, the distinct seqs the new postings name and joins them
--   with the entries of their seq range in one hash join, then names the smallest seq that has
--   no entry and the smallest whose entry an earlier transaction recorded;
-- * the account check looks up each distinct (ledger, account) once.
-- What is refused, with which SQLSTATE and message, is unchanged. The reversal check (rows with
-- a reversal link only) is as before; the check for entries this transaction already checked
-- (SET CONSTRAINTS … IMMEDIATE) first asks whether it has any, so a bulk write skips it.

CREATE OR REPLACE FUNCTION kasda_entries_refs() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.ledger_id, n.run_id INTO bad
      FROM (SELECT DISTINCT x.ledger_id, x.run_id FROM new_entries x) n
     WHERE NOT EXISTS (SELECT 1 FROM public.runs r
                        WHERE r.ledger_id = n.ledger_id AND r.run_id = n.run_id)
     LIMIT 1;
    IF FOUND THEN
        SELECT min(n.seq) AS seq, bad.run_id AS run_id INTO bad
          FROM new_entries n WHERE n.ledger_id = bad.ledger_id AND n.run_id = bad.run_id;
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

CREATE OR REPLACE FUNCTION kasda_postings_sealed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    me xid8 := pg_current_xact_id();
    l record;
    missing bigint;
    recorded bigint;
    bad record;
BEGIN
    -- Each posting names an entry written by this transaction.
    FOR l IN SELECT n.ledger_id, min(n.seq) AS lo, max(n.seq) AS hi
               FROM new_postings n GROUP BY n.ledger_id LOOP
        SELECT min(s.seq) FILTER (WHERE e.seq IS NULL),
               min(s.seq) FILTER (WHERE e.seq IS NOT NULL AND e.xmin <> me::xid)
          INTO missing, recorded
          FROM (SELECT DISTINCT n.seq FROM new_postings n WHERE n.ledger_id = l.ledger_id) s
          LEFT JOIN public.entries e
            ON e.ledger_id = l.ledger_id AND e.seq BETWEEN l.lo AND l.hi AND e.seq = s.seq;
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'kasda: posting names entry % of ledger %, which does not exist (write the entry first)',
                missing, l.ledger_id USING ERRCODE = '23503';
        END IF;
        IF recorded IS NOT NULL THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % is already recorded; its postings are final',
                recorded, l.ledger_id USING ERRCODE = 'KD002';
        END IF;
    END LOOP;
    -- … whose check has not run yet (SET CONSTRAINTS … IMMEDIATE checks early); looked for only
    -- when this transaction has a checked range.
    SELECT n.ledger_id, n.seq INTO bad
      FROM public.kasda_entry_checks c
      JOIN new_postings n ON n.ledger_id = c.ledger_id AND n.seq BETWEEN c.from_seq AND c.to_seq
     WHERE c.xid = me
       AND EXISTS (SELECT 1 FROM public.kasda_entry_checks x WHERE x.xid = me)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % of ledger % is already recorded; its postings are final',
            bad.seq, bad.ledger_id USING ERRCODE = 'KD002';
    END IF;
    -- Each posting names an existing account.
    SELECT n.ledger_id, n.account_id INTO bad
      FROM (SELECT DISTINCT x.ledger_id, x.account_id FROM new_postings x) n
     WHERE NOT EXISTS (SELECT 1 FROM public.accounts a
                        WHERE a.ledger_id = n.ledger_id AND a.account_id = n.account_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: posting names account % of ledger %, which does not exist',
            bad.account_id, bad.ledger_id USING ERRCODE = '23503';
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_postings_sealed() FROM PUBLIC;
