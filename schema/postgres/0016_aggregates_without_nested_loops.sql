-- kasda PostgreSQL schema, migration 0016: the COMMIT-time report aggregates of a large range
-- (an import) never join by nested loop (issues #6, #9, #10).
--
-- 0015's kasda_report_aggregates gives a range of 64 entries or more plans made for that range.
-- Those plans are made at COMMIT, inside the transaction that wrote the rows, before any ANALYZE
-- has seen them: on a new ledger (or any table whose statistics predate the import) the planner
-- takes the range of entries and the range of postings for a handful of rows each and joins them
-- by a nested loop over a materialised inner side, which re-reads every posting of the range for
-- every entry. A province's first statement file (≈ 130k entries, 260k postings) then spent more
-- than eight minutes of server CPU in its COMMIT instead of seconds.
--
-- Now the trigger also turns nested loops off for a large range, so the two range scans of
-- kasda_report_aggregate_range are joined by hash or merge, whose cost is linear whatever the
-- estimates. kasda_report_close_facts (0014), which is built from per-fact index probes (LATERAL),
-- keeps nested loops through a SET clause of its own. Small ranges keep 0015's generic plans.
-- The setting is made with set_config(…, true) inside a function whose SET clause restores it
-- on exit, so nothing after the trigger sees it. What is written is unchanged.

CREATE OR REPLACE FUNCTION kasda_report_aggregates() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan SET enable_seqscan = on
    SET enable_nestloop = on AS $$
DECLARE
    ignored text;
BEGIN
    IF NEW.to_seq - NEW.from_seq < 64 THEN
        ignored := set_config('plan_cache_mode', 'force_generic_plan', true);
        ignored := set_config('enable_seqscan', 'off', true);
    ELSE
        ignored := set_config('enable_nestloop', 'off', true);
    END IF;
    PERFORM public.kasda_report_aggregate_range(NEW.ledger_id, NEW.from_seq, NEW.to_seq);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_report_aggregates() FROM PUBLIC;

ALTER FUNCTION kasda_report_close_facts(text, bigint, bigint) SET enable_nestloop = on;
