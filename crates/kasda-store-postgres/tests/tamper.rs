//! Tampering below the API: a superuser disables the triggers (ALTER TABLE … DISABLE TRIGGER
//! ALL) and changes one amount, date or account, or deletes a row; `verify` must fail at that
//! entry and say why. Without disabling the triggers, the same statements are refused.

use kasda_store::{LedgerInfo, Store, StoreError};
use kasda_store_postgres::{bench, testing, PgStore};

const LEDGER: &str = "kota-tamper";

fn store_with_entries(n: usize) -> PgStore {
    let mut s = testing::fresh_store();
    s.migrate().expect("migrate");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Tamper".into(),
    })
    .expect("ledger");
    s.import_file(LEDGER, bench::synthetic_batch("t", "0011223344", n))
        .expect("import");
    let r = s.verify(LEDGER).expect("verify");
    assert!(r.first_bad.is_none(), "clean ledger must verify: {r:?}");
    s
}

fn assert_first_bad(s: &mut PgStore, seq: i64, reason_part: &str) {
    let r = s.verify(LEDGER).expect("verify");
    let bad = r
        .first_bad
        .unwrap_or_else(|| panic!("tampering with entry {seq} went unnoticed"));
    assert_eq!(bad.seq, seq, "verify must name entry {seq}: {}", bad.reason);
    assert!(
        bad.reason.contains(reason_part),
        "reason for entry {seq} should mention {reason_part:?}: {}",
        bad.reason
    );
}

#[test]
fn changed_amount_is_found() {
    let mut s = store_with_entries(20);
    let n = s
        .with_triggers_disabled(
            &["postings"],
            "UPDATE postings SET amount = amount + 1 WHERE ledger_id = $1 AND seq = 5",
            &[&LEDGER],
        )
        .expect("tamper");
    assert_eq!(n, 2);
    assert_first_bad(&mut s, 5, "content altered");
}

#[test]
fn changed_date_is_found() {
    let mut s = store_with_entries(20);
    s.with_triggers_disabled(
        &["entries"],
        "UPDATE entries SET booked_on = booked_on + 1 WHERE ledger_id = $1 AND seq = 7",
        &[&LEDGER],
    )
    .expect("tamper");
    assert_first_bad(&mut s, 7, "content altered");
}

#[test]
fn changed_account_is_found() {
    let mut s = store_with_entries(20);
    let n = s
        .with_triggers_disabled(
            &["postings"],
            "UPDATE postings p SET account_id = (
                 SELECT a.account_id FROM accounts a
                  WHERE a.ledger_id = p.ledger_id AND a.account_id <> p.account_id LIMIT 1)
              WHERE ledger_id = $1 AND seq = 9 AND idx = 0",
            &[&LEDGER],
        )
        .expect("tamper");
    assert_eq!(n, 1);
    assert_first_bad(&mut s, 9, "content altered");
}

#[test]
fn deleted_posting_is_found() {
    let mut s = store_with_entries(20);
    s.with_triggers_disabled(
        &["postings"],
        "DELETE FROM postings WHERE ledger_id = $1 AND seq = 11 AND idx = 1",
        &[&LEDGER],
    )
    .expect("tamper");
    assert_first_bad(&mut s, 11, "no longer valid");
}

#[test]
fn deleted_entry_is_found() {
    let mut s = store_with_entries(20);
    s.with_triggers_disabled(
        &["entries", "postings"],
        "WITH p AS (DELETE FROM postings WHERE ledger_id = $1 AND seq = 13)
         DELETE FROM entries WHERE ledger_id = $1 AND seq = 13",
        &[&LEDGER],
    )
    .expect("tamper");
    assert_first_bad(&mut s, 14, "sequence gap");
}

#[test]
fn rewritten_hash_is_found() {
    // Recomputing one entry's hash to match its altered content still breaks the next link.
    let mut s = store_with_entries(20);
    s.with_triggers_disabled(
        &["entries"],
        "UPDATE entries SET memo = 'forged', hash = decode(repeat('a', 64), 'hex') WHERE ledger_id = $1 AND seq = 3",
        &[&LEDGER],
    )
    .expect("tamper");
    assert_first_bad(&mut s, 3, "content altered");
}

#[test]
fn plain_mutations_are_refused_even_for_the_owner() {
    let mut s = store_with_entries(5);
    for (sql, table, op) in [
        ("UPDATE entries SET memo = 'x'", "entries", "UPDATE"),
        ("DELETE FROM postings", "postings", "DELETE"),
        ("TRUNCATE entries CASCADE", "entries", "TRUNCATE"),
        (
            "TRUNCATE account_day_deltas",
            "account_day_deltas",
            "TRUNCATE",
        ),
        (
            "UPDATE account_day_deltas SET debit = 0",
            "account_day_deltas",
            "UPDATE",
        ),
        ("DELETE FROM ledgers", "ledgers", "DELETE"),
        ("UPDATE runs SET actor = 'x'", "runs", "UPDATE"),
        ("DELETE FROM period_locks", "period_locks", "DELETE"),
    ] {
        match s.execute_sql(sql) {
            Err(StoreError::AppendOnly {
                table: t,
                operation,
            }) => {
                assert_eq!((t.as_str(), operation.as_str()), (table, op), "{sql}");
            }
            other => panic!("{sql} must be refused as append-only, got {other:?}"),
        }
    }
    let r = s.verify(LEDGER).expect("verify");
    assert!(r.first_bad.is_none());
    assert_eq!(r.entries, 5);
}
