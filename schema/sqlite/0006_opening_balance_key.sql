-- An entry of kind 'opening_balance' is an opening balance only under its account's standard
-- natural key 'opening_balance:<kas-daerah|kas-penampungan>/<number>:<n>' (n from 1, no leading
-- zero): the reports read an account's saldo awal by that key range, so an entry of that kind under
-- any other key would be booked but never shown. The store refuses such an entry before it writes
-- (kasda_store::check_entry, which also checks that the key names the entry's own kas account);
-- this trigger repeats the key's form in the database. RAISE(FAIL), like 0005's insert triggers,
-- so an insert keeps needing no statement journal: any error rolls the whole transaction back.
CREATE TRIGGER entries_opening_balance_key BEFORE INSERT ON entries
WHEN NEW.kind = 'opening_balance'
 AND NOT (
        (NEW.natural_key GLOB 'opening_balance:kas-daerah/?*:[1-9]*'
         OR NEW.natural_key GLOB 'opening_balance:kas-penampungan/?*:[1-9]*')
    AND rtrim(NEW.natural_key, '0123456789') GLOB '*:'
    AND substr(NEW.natural_key, length(rtrim(NEW.natural_key, '0123456789')) + 1, 1) BETWEEN '1' AND '9')
BEGIN
    SELECT RAISE(FAIL, 'kasda: an opening_balance entry must be keyed opening_balance:<kas account>:<n>');
END;
