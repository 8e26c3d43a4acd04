-- 1. An entry of kind 'opening_balance' is an opening balance only under its account's standard
--    natural key 'opening_balance:<kas-daerah|kas-penampungan>/<number>:<n>' (n from 1, no
--    leading zero): the reports read an account's saldo awal by that key range, so an entry of that
--    kind under any other key would be booked but never shown. The store refuses such an entry
--    before it writes (kasda_store::check_entry, which also checks that the key names the entry's
--    own kas account); this trigger repeats the key's form in the database. The WHEN clause keeps
--    it out of every other insert (a bulk COPY of statement lines never enters the function).
CREATE FUNCTION kasda_refuse_opening_balance_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kasda: entry % of ledger % has kind opening_balance under the key %, expected opening_balance:<kas account>:<n>',
        NEW.seq, NEW.ledger_id, NEW.natural_key USING ERRCODE = 'KD007';
END;
$$;

CREATE TRIGGER entries_opening_balance_key BEFORE INSERT ON entries
    FOR EACH ROW
    WHEN (NEW.kind = 'opening_balance'
          AND NEW.natural_key !~ '^opening_balance:(kas-daerah|kas-penampungan)/.+:[1-9][0-9]*$')
    EXECUTE FUNCTION kasda_refuse_opening_balance_key();

-- 2. Planner statistics after a large import. A ledger freshly filled by an import has no
--    statistics until autovacuum's next analyze, and the daily job's reports run right after the
--    import: the position report's flow query was planned for 5 rows where there were 128,201 and
--    read 42 times the pages it reads once the tables are analyzed. ANALYZE needs the tables'
--    owner; this function runs as the owner (SECURITY DEFINER, fixed search_path) and may be
--    called by the importer and the treasurer after a large import. It changes no data; it
--    samples a bounded number of rows per table (default_statistics_target), so its cost does not
--    grow with the ledger.
CREATE FUNCTION kasda_refresh_statistics() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    ANALYZE public.statement_lines;
    ANALYZE public.documents;
    ANALYZE public.entries;
    ANALYZE public.postings;
    ANALYZE public.entry_joins;
    ANALYZE public.account_day_deltas;
END;
$$;
REVOKE ALL ON FUNCTION kasda_refresh_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kasda_refresh_statistics() TO kasda_importer, kasda_treasurer;
