-- Opening balances (saldo awal) of kas accounts, booked through maker-checker as proposals of kind
-- 'opening_balance'. An opening-balance entry has kind 'opening_balance' and the natural key
-- 'opening_balance:<kas account key>:<n>', n counting the account's opening balances from 1.

-- The proposal kinds (0001 listed three).
ALTER TABLE proposals DROP CONSTRAINT proposals_kind_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_kind_check
    CHECK (kind IN ('manual_match', 'write_off', 'correction', 'opening_balance'));

-- The store checks the rule before it writes (kasda_store::opening_balance_claim and the
-- PostgreSQL store's opening_balance_free): one opening balance per kas account that is approved
-- and not reversed, and one open proposal per account. This trigger repeats the essential part in
-- the database: approving an opening_balance proposal is refused while another opening-balance
-- entry of the same account (same key up to the trailing number), written by an earlier run, is
-- recorded and not reversed. The decision row is inserted after the run appended the proposal's
-- entry, so only runs before the decision's own count (run ids increase): that leaves out the
-- proposal's own entry, and a ledger copied by `kasda db export` (entries first, then decisions)
-- passes when a reversed opening balance was followed by a later one. Lookups are ranges over the entries'
-- natural-key index; nothing here runs for imports or reconciliation, only for approvals.
CREATE FUNCTION kasda_one_opening_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prefix text;
    clash bigint;
BEGIN
    SELECT rtrim(p.entries -> 0 -> 'entry' ->> 'natural_key', '0123456789') INTO prefix
      FROM proposals p
     WHERE p.ledger_id = NEW.ledger_id AND p.proposal_id = NEW.proposal_id
       AND p.kind = 'opening_balance';
    IF prefix IS NULL OR prefix NOT LIKE 'opening_balance:%:' THEN
        RETURN NEW;
    END IF;
    SELECT e.seq INTO clash
      FROM entries e
     WHERE e.ledger_id = NEW.ledger_id
       AND e.natural_key >= prefix
       AND e.natural_key < left(prefix, -1) || ';'
       AND rtrim(e.natural_key, '0123456789') = prefix
       AND e.kind = 'opening_balance'
       AND e.run_id < NEW.run_id
       AND NOT EXISTS (SELECT 1 FROM entries r
                        WHERE r.ledger_id = e.ledger_id AND r.reverses = e.seq)
     ORDER BY e.seq
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: proposal % would book a second opening balance of the account (entry % is not reversed)',
            NEW.proposal_id, clash USING ERRCODE = 'KD006';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER proposal_decisions_one_opening_balance BEFORE INSERT ON proposal_decisions
    FOR EACH ROW WHEN (NEW.decision = 'approved') EXECUTE FUNCTION kasda_one_opening_balance();
