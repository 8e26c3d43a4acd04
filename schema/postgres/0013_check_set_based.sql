-- kasda PostgreSQL schema, migration 0013: the COMMIT-time entry check asks its questions in one
-- set-based statement.
--
-- kasda_check_entries (0011) ran three queries over the statement's seq range, each a nested loop
-- of index probes: the postings of every entry counted through postings_pkey, the balance per
-- entry and currency sorted per entry, and every entry's predecessor looked up through a second
-- entries_pkey probe. Now one statement reads the range once from each table: the entries of
-- lo - 1 .. hi in seq order with lag() giving each entry its predecessor's seq and hash, and the
-- postings of lo .. hi grouped by seq (count, net amount, lowest and highest currency; an entry
-- that mixes currencies is summed per currency on its own), joined by a FULL JOIN, so the plan
-- is a join of two range scans whatever the row estimates of rows written in this very
-- transaction say (a FULL JOIN cannot become a nested loop of probes). The function runs with
-- sequential and bitmap scans off (its every query is a range of a primary key, which comes out
-- of the index in seq order, so the plan is a merge join with no sort) and with generic plans:
-- that plan does not depend on the range, and a commit of one entry does not pay for planning
-- the statement again (custom plans made it slower than 0011 for hot writers).
-- The refusals are the same, in the same order (an entry with fewer than two postings anywhere in
-- the range first, then the first entry that does not balance, with the lowest such currency,
-- then the first gap or broken link), with the same codes and messages; the period check and
-- 0011's bookkeeping are unchanged.

CREATE OR REPLACE FUNCTION kasda_check_entries() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET enable_seqscan = off SET enable_bitmapscan = off SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    lo bigint := NEW.from_seq;
    hi bigint := NEW.to_seq;
    bad record;
    closed date;
BEGIN
    SELECT coalesce(x.seq, s.seq) AS seq, coalesce(s.n, 0) AS n, s.bad_currency,
           x.prev_seq IS DISTINCT FROM x.seq - 1 AS gap,
           CASE WHEN x.seq IS NOT NULL AND coalesce(s.n, 0) < 2 THEN 1
                WHEN s.bad_currency IS NOT NULL THEN 2 ELSE 3 END AS fault
      INTO bad
      FROM (SELECT l.* FROM (SELECT e.seq, e.prev_hash, lag(e.seq) OVER w AS prev_seq, lag(e.hash) OVER w AS prev_hash_of
                               FROM public.entries e
                              WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo - 1 AND hi
                             WINDOW w AS (ORDER BY e.seq)) l
             WHERE l.seq >= lo) x
      FULL JOIN (SELECT g.seq, g.n,
                        CASE WHEN g.cur_lo = g.cur_hi THEN CASE WHEN g.net <> 0 THEN g.cur_lo END
                             ELSE (SELECT min(b.currency) FROM (
                                     SELECT q.currency FROM public.postings q
                                      WHERE q.ledger_id = NEW.ledger_id AND q.seq = g.seq
                                      GROUP BY q.currency
                                     HAVING sum(CASE q.side WHEN 'debit' THEN q.amount ELSE -q.amount END) <> 0) b)
                        END AS bad_currency
                   FROM (SELECT p.seq, count(*) AS n, min(p.currency) AS cur_lo, max(p.currency) AS cur_hi,
                                sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) AS net
                           FROM public.postings p
                          WHERE p.ledger_id = NEW.ledger_id AND p.seq BETWEEN lo AND hi
                          GROUP BY p.seq) g) s ON s.seq = x.seq
     WHERE (x.seq IS NOT NULL AND coalesce(s.n, 0) < 2)
        OR s.bad_currency IS NOT NULL
        OR (x.seq IS NOT NULL AND CASE WHEN x.seq = 1
                 THEN x.prev_hash <> '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                 ELSE x.prev_seq IS DISTINCT FROM x.seq - 1 OR x.prev_hash <> x.prev_hash_of END)
     ORDER BY fault, seq LIMIT 1;
    IF FOUND THEN
        IF bad.fault = 1 THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % has % postings; at least 2 are required',
                bad.seq, NEW.ledger_id, bad.n USING ERRCODE = 'KD002';
        ELSIF bad.fault = 2 THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % does not balance in %: debits differ from credits',
                bad.seq, NEW.ledger_id, bad.bad_currency USING ERRCODE = 'KD002';
        ELSIF bad.gap AND bad.seq > 1 THEN
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
