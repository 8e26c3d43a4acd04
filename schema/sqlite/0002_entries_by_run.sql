-- The run's rows are checked against `runs` when the run row goes in at the end of its
-- transaction (deferred foreign key): this index makes that check a range over the run's own
-- entries instead of a scan of the whole ledger on every import.
CREATE INDEX entries_by_run ON entries (ledger, run_id);
