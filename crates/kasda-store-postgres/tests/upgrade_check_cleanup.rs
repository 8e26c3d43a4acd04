//! `kasda db migrate` on a database through 0010: migration 0011 makes the COMMIT-time entry
//! check delete its own queue row and clean up finished transactions' check rows a few at a
//! time. Appends made before and after the upgrade form one chain that verifies, and the check
//! tables hold no rows of finished transactions' queues afterwards (and, since 0015, check
//! rows only of the transactions since the last sweep).

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store};
use kasda_store_postgres::{testing, PgStore};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-checks";
const RKUD: &str = "0011223344";

fn fee(n: u32) -> NewEntry {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1 + n % 28).expect("date");
    let amount = Decimal::new(1_000 + i64::from(n), 2);
    NewEntry::from(
        JournalEntry::new(
            EntryKind::Fee,
            day,
            day,
            format!("fee:{n}"),
            "",
            "biaya administrasi",
            None,
            vec![
                Posting::debit(AccountKey::new(AccountKind::BebanBank, RKUD), amount),
                Posting::credit(AccountKey::new(AccountKind::KasDaerah, RKUD), amount),
            ],
        )
        .expect("valid fee"),
    )
}

fn append(s: &mut PgStore, from: u32, to: u32) {
    for n in from..to {
        let out = s
            .append_entries(
                LEDGER,
                RunInfo::new(RunKind::Reconcile, "kasir"),
                vec![fee(n)],
            )
            .expect("append");
        assert_eq!(out.appended, vec![i64::from(n) + 1]);
    }
}

fn count(s: &mut PgStore, table: &str) -> i64 {
    s.query_i64(&format!("SELECT count(*) FROM {table}"), &[])
        .expect(table)
}

#[test]
fn migrating_a_0010_database_keeps_the_checks_and_cleans_up_after_them() {
    let mut s = testing::fresh_store();
    s.migrate_through(10).expect("migrate through 0010");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Checks".into(),
    })
    .expect("ledger");
    append(&mut s, 0, 5);
    // The check of 0001/0008 left the last transaction's rows for the next one to delete.
    assert_eq!(count(&mut s, "kasda_pending_checks"), 1);
    assert_eq!(count(&mut s, "kasda_entry_checks"), 1);

    s.migrate().expect("migrate to the latest schema");
    assert_eq!(
        count(&mut s, "kasda_pending_checks"),
        0,
        "the queue rows of finished transactions are gone"
    );
    append(&mut s, 5, 45);
    assert_eq!(
        count(&mut s, "kasda_pending_checks"),
        0,
        "every check consumed its own queue row"
    );
    // Since 0015 finished transactions' rows are swept when a checked range crosses a
    // multiple of 16 seqs (here at seq 32): the rows of seqs 32..=45 are left, not one per
    // transaction since the upgrade.
    let left = count(&mut s, "kasda_entry_checks");
    assert!(
        (1..=16).contains(&left),
        "{left} check rows left: at most those since the last sweep"
    );
    let report = s.verify(LEDGER).expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 45);
}
