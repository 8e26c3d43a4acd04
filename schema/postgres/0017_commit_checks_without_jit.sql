-- kasda PostgreSQL schema, migration 0017: the COMMIT-time functions run without JIT, and the
-- report facts' closing dates are updated by key probes (issues #6, #9).
--
-- The COMMIT-time functions turn sequential scans off so that plans made on rows no ANALYZE has
-- seen still walk index ranges (0013, 0014, 0015). PostgreSQL adds its "disabled" cost to every
-- plan that still weighs such a path, so their estimated costs sit far above jit_above_cost, and
-- with JIT on (PostgreSQL's default where it is built with LLVM) each call compiled its statements
-- before running them: in kasda_report_close_facts that was ≈ 400 of the ≈ 480 ms a daily file's
-- COMMIT spent there (EXPLAIN ANALYZE on a 255k-entry bench ledger: 485 ms with JIT, 67 ms
-- without), on every import, whatever its size. These statements read a range of keys or probe one;
-- compiling them never pays. JIT is now off inside both COMMIT-time triggers (a SET clause is kept
-- for the functions they call) and inside the fact closer itself.
--
-- The closer's UPDATE joined the closed facts to report_facts by hash, reading every fact of the
-- ledger through an index once per COMMIT (82k rows on that ledger, growing with it). Hash and
-- merge joins are now off inside the closer, which is built from per-fact key probes anyway, so the
-- UPDATE probes report_facts' primary key once per closed fact. What is written is unchanged.

ALTER FUNCTION kasda_report_aggregates() SET jit = off;
ALTER FUNCTION kasda_check_entries() SET jit = off;
ALTER FUNCTION kasda_report_close_facts(text, bigint, bigint)
    SET jit = off SET enable_hashjoin = off SET enable_mergejoin = off;
