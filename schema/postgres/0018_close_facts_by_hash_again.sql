-- kasda PostgreSQL schema, migration 0018: the report-fact closer may join by hash again (issue #6).
--
-- 0017 turned hash and merge joins off inside kasda_report_close_facts so that its UPDATE would
-- probe report_facts' primary key once per closed fact. On a growing ledger whose statistics are
-- stale the planner probed report_facts_open by (ledger, account) instead and filtered the seq,
-- reading every fact of the account for each closed fact (10.6 s for one daily COMMIT at 360k
-- entries, EXPLAIN ANALYZE). The hash join of 0014 reads the ledger's facts once per COMMIT, which
-- is linear and bounded; it is restored. 0017's jit = off stays.
ALTER FUNCTION kasda_report_close_facts(text, bigint, bigint)
    RESET enable_hashjoin RESET enable_mergejoin;
