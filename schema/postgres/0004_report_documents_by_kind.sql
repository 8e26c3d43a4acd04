-- kasda PostgreSQL schema, migration 0004: documents of one kind up to a date.
--
-- The BAR reads every STS up to the period's end (`Store::documents(kind = sts, to = …)`) to
-- find deposits still in transit. documents_by_date (ledger_id, doc_date, kind) leads with the
-- date, so that read walked every document of the year up to the date — receipts included,
-- hundreds of times more rows than the STS — or the planner chose a sequential scan of the
-- table and its JSON bodies. Leading with the kind reads the STS rows only, in date order,
-- as SQLite's documents_by_kind_date (its migration 0001) does.
CREATE INDEX documents_by_kind_date ON documents (ledger_id, kind, doc_date);
