-- Opening balances (saldo awal) of kas accounts, booked through maker-checker as proposals of kind
-- 'opening_balance' (proposals.kind carries no CHECK in this schema, so the new kind needs no
-- change there). An opening-balance entry has kind 'opening_balance' and the natural key
-- 'opening_balance:<kas account key>:<n>', n counting the account's opening balances from 1.
--
-- The store checks the rule before it writes (kasda_store::opening_balance_claim and the SQLite
-- store's opening_balance_free): one opening balance per kas account that is approved and not
-- reversed, and one open proposal per account. This trigger repeats the essential part in the
-- database: approving an opening_balance proposal is refused while another opening-balance entry
-- of the same account (same key up to the trailing number), written by an earlier run, is recorded
-- and not reversed. The approval row is inserted after the run appended the proposal's entry, so
-- only runs before the approval's own count (run ids increase): that leaves out the proposal's
-- own entry, and a ledger copied by `kasda db export` (entries first, then approvals) passes
-- when a reversed opening balance was followed by a later one. Lookups are ranges over the entries' natural-key
-- index; nothing here runs for imports or reconciliation, only for approvals.
CREATE TRIGGER approvals_one_opening_balance BEFORE INSERT ON approvals
WHEN NEW.decision = 'approved'
 AND (SELECT kind FROM proposals
      WHERE ledger = NEW.ledger AND proposal_id = NEW.proposal_id) = 'opening_balance'
BEGIN
    SELECT RAISE(ABORT, 'kasda: the kas account already has an opening balance that is not reversed')
    WHERE EXISTS (
        SELECT 1
        FROM (SELECT rtrim(json_extract(entries, '$[0].entry.natural_key'), '0123456789') AS prefix
              FROM proposals
              WHERE ledger = NEW.ledger AND proposal_id = NEW.proposal_id) AS p
        JOIN entries AS e
          ON e.ledger = NEW.ledger
         AND e.natural_key >= p.prefix
         AND e.natural_key < substr(p.prefix, 1, length(p.prefix) - 1) || ';'
        WHERE p.prefix LIKE 'opening_balance:%:'
          AND rtrim(e.natural_key, '0123456789') = p.prefix
          AND e.kind = 'opening_balance'
          AND e.run_id < NEW.run_id
          AND NOT EXISTS (SELECT 1 FROM entries AS r
                          WHERE r.ledger = e.ledger AND r.reverses = e.seq));
END;
