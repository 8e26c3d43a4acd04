-- One account's postings in seq order: what the reports' open-items read (`Store::open_items`:
-- the facts still open on a clearing account) and one account's flows (`Store::account_flows_of`)
-- walk, instead of every entry of the ledger up to the date. PostgreSQL has had the same index
-- since 0001.
CREATE INDEX postings_by_account ON postings (ledger, account_id, seq);
