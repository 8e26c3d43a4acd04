-- kasda PostgreSQL schema, migration 0014: natural keys unique through hash indexes.
--
-- Until here a statement line, a document and an entry were each unique per ledger by a B-tree
-- over (ledger_id, natural_key): every index tuple carried the whole key text (a statement line's
-- is ~50 bytes), and since an import appends at the end of many key ranges at once (one per
-- account and day) those pages stayed about half full: 155 bytes per line in each of the two
-- B-trees a statement line costs (its own and its entry's), 157 bytes per posting of the
-- 1M-posting bench. A hash index keeps a 4-byte hash code per row (≈ 38 bytes per row on disk
-- with its free space) and rechecks the text in the heap, so an EXCLUDE constraint over it keeps
-- uniqueness exact: a second row with the same (ledger, key) is refused (SQLSTATE 23P01), two
-- keys that only share a hash code are both accepted. Hash indexes take one column, so the
-- constraint is on the expression `ledger_id || ' ' || natural_key`, which is one-to-one because
-- a ledger code has no space (CHECK on ledgers.ledger_id).
--
-- Lookups by natural key must name that expression to use the index:
--     t.ledger_id || ' ' || t.natural_key = ANY ($1)    -- $1 holds 'ledger key' per key
-- kasda_append_small and kasda_append_group are patched below to do so (their lookup line only);
-- kasda_report_aggregate_range is redefined (below); the store's own statements do the same. Opening balances are found by a range
-- of their keys, which a hash index cannot serve: a small partial B-tree keeps those.
--
-- The constraints are built over the rows already stored (a second (ledger, key) would stop the
-- migration, which a unique index made impossible). No row is changed: the append-only triggers,
-- row-level security, grants and the chain are untouched.

ALTER TABLE statement_lines DROP CONSTRAINT statement_lines_pkey;
ALTER TABLE statement_lines ADD CONSTRAINT statement_lines_natural_key
    EXCLUDE USING hash ((ledger_id || ' ' || natural_key) WITH =);

ALTER TABLE documents DROP CONSTRAINT documents_pkey;
ALTER TABLE documents ADD CONSTRAINT documents_natural_key
    EXCLUDE USING hash ((ledger_id || ' ' || natural_key) WITH =);

ALTER TABLE entries DROP CONSTRAINT entries_ledger_id_natural_key_key;
ALTER TABLE entries ADD CONSTRAINT entries_natural_key
    EXCLUDE USING hash ((ledger_id || ' ' || natural_key) WITH =);
CREATE INDEX entries_opening_balances ON entries (ledger_id, natural_key)
    WHERE kind = 'opening_balance';

-- The functions' natural-key lookups, rewritten in place in their current definitions (one exact
-- text each; a definition without it stops the migration rather than keep a lookup no index
-- serves).
DO $$
DECLARE
    fix record;
    def text;
BEGIN
    FOR fix IN
        SELECT * FROM (VALUES
            ('public.kasda_append_small'::text,
             'WHERE e.ledger_id = p_ledger AND e.natural_key = e_key[i]',
             'WHERE e.ledger_id || '' '' || e.natural_key = p_ledger || '' '' || e_key[i]'),
            ('public.kasda_append_group',
             'WHERE e.ledger_id = p_ledger AND e.natural_key = ANY (e_key)',
             'WHERE e.ledger_id || '' '' || e.natural_key
                           = ANY (ARRAY(SELECT p_ledger || '' '' || k FROM unnest(e_key) AS k))')
        ) AS f(fn, old, new)
    LOOP
        SELECT pg_get_functiondef(p.oid) INTO def
          FROM pg_proc p
         WHERE p.oid = to_regproc(fix.fn);
        IF def IS NULL OR position(fix.old IN def) = 0 THEN
            RAISE EXCEPTION 'kasda 0014: % has no natural-key lookup written %; nothing was changed',
                fix.fn, fix.old;
        END IF;
        EXECUTE replace(def, fix.old, fix.new);
    END LOOP;
END;
$$;

-- The report aggregates kept at COMMIT (0012), with the closing dates found in one statement.
-- 0012 recomputed the closing date of every fact the statement's entries add, join or reverse by
-- calling kasda_fact_closed_on once per fact and rewrote each of those report_facts rows even
-- when nothing closes it: for an import that is every new suspense line (a 500,000-line file:
-- 500,000 function calls, 500,000 non-HOT updates and as many new index entries; most of the
-- import's server time). Now one statement finds the closers of each touched fact (an entry
-- joining the fact's entry's natural key, or reversing it with a posting to the account: the
-- same rule as kasda_fact_closed_on) by index probes from that fact: a LATERAL subquery whose
-- key is a scalar subquery and whose EXISTS is fenced (OFFSET 0), with sequential and bitmap
-- scans off as in 0013. Rows written in the same transaction have no statistics, and plans made
-- for an emptier table read a ledger's joins or postings once per fact. It then
-- updates only the rows whose earliest closing date changes. A
-- closing date never goes back to NULL (entries and joins are append-only and facts are inserted
-- open), so a fact nothing closes keeps its row as it is.
CREATE FUNCTION kasda_report_close_facts(l text, lo bigint, hi bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET enable_seqscan = off SET enable_bitmapscan = off AS $$
    WITH touched AS MATERIALIZED (
        SELECT x.seq, x.account_id
          FROM public.report_facts x
         WHERE x.ledger_id = l AND x.seq BETWEEN lo AND hi
        UNION
        SELECT x.seq, x.account_id
          FROM public.entry_joins j
          JOIN public.entries t
            ON t.ledger_id || ' ' || t.natural_key = j.ledger_id || ' ' || j.joined_key
          JOIN public.report_facts x ON x.ledger_id = t.ledger_id AND x.seq = t.seq
         WHERE j.ledger_id = l AND j.seq BETWEEN lo AND hi
        UNION
        SELECT x.seq, x.account_id
          FROM public.entries r
          JOIN public.report_facts x ON x.ledger_id = r.ledger_id AND x.seq = r.reverses
         WHERE r.ledger_id = l AND r.seq BETWEEN lo AND hi AND r.reverses IS NOT NULL
    ), closed AS MATERIALIZED (
        SELECT k.seq, k.account_id, min(c.day) AS day
          FROM touched k
         CROSS JOIN LATERAL (
                SELECT m.booked_on AS day
                  FROM public.entry_joins j
                  JOIN public.entries m ON m.ledger_id = j.ledger_id AND m.seq = j.seq
                 WHERE j.ledger_id = l
                   AND j.joined_key = (SELECT f.natural_key FROM public.entries f
                                        WHERE f.ledger_id = l AND f.seq = k.seq)
                UNION ALL
                SELECT r.booked_on
                  FROM public.entries r
                 WHERE r.ledger_id = l AND r.reverses = k.seq
                   AND EXISTS (SELECT 1 FROM public.postings rp
                                WHERE rp.ledger_id = r.ledger_id AND rp.seq = r.seq
                                  AND rp.account_id = k.account_id
                               OFFSET 0)) c
         GROUP BY k.seq, k.account_id
    )
    UPDATE public.report_facts f
       SET closed_on = c.day
      FROM closed c
     WHERE f.ledger_id = l AND f.seq = c.seq AND f.account_id = c.account_id
       AND f.closed_on IS DISTINCT FROM c.day
$$;
REVOKE ALL ON FUNCTION kasda_report_close_facts(text, bigint, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION kasda_report_aggregate_range(l text, lo bigint, hi bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO public.report_flows AS f
           (ledger_id, account_id, day, kind, currency, recorded_at, debit, credit)
    SELECT n.ledger_id, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at,
           coalesce(sum(n.net) FILTER (WHERE n.net > 0), 0),
           coalesce(-sum(n.net) FILTER (WHERE n.net < 0), 0)
      FROM (SELECT e.ledger_id, e.seq, e.booked_on, e.kind, e.recorded_at, p.account_id,
                   p.currency,
                   sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) AS net
              FROM public.entries e
              JOIN public.postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
             WHERE e.ledger_id = l AND e.seq BETWEEN lo AND hi
               AND p.ledger_id = l AND p.seq BETWEEN lo AND hi
             GROUP BY e.ledger_id, e.seq, e.booked_on, e.kind, e.recorded_at, p.account_id,
                      p.currency) n
     GROUP BY n.ledger_id, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at
    ON CONFLICT (ledger_id, account_id, day, kind, currency, recorded_at)
    DO UPDATE SET debit = f.debit + EXCLUDED.debit, credit = f.credit + EXCLUDED.credit;

    INSERT INTO public.report_facts (ledger_id, seq, account_id, kind, booked_on, closed_on)
    SELECT DISTINCT e.ledger_id, e.seq, p.account_id, e.kind, e.booked_on, NULL::date
      FROM public.entries e
      JOIN public.postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
      JOIN public.accounts a ON a.ledger_id = p.ledger_id AND a.account_id = p.account_id
     WHERE e.ledger_id = l AND e.seq BETWEEN lo AND hi
       AND e.kind IN ('sp2d', 'statement_line', 'sts')
       AND ((e.kind = 'sp2d' AND a.kind = 'sp2d-belum-dicairkan')
         OR (e.kind = 'statement_line'
             AND a.kind IN ('penerimaan-belum-teridentifikasi', 'pengeluaran-belum-teridentifikasi'))
         OR (e.kind = 'sts' AND a.kind = 'kas-bendahara-penerimaan'))
    ON CONFLICT (ledger_id, seq, account_id) DO NOTHING;

    PERFORM public.kasda_report_close_facts(l, lo, hi);
END;
$$;
