//! Idempotency at scale: the same file twice adds nothing; the same lines under another file
//! are recorded as duplicates (same content) and post nothing; balances stay put.

use kasda_core::ledger::{AccountKey, AccountKind};
use kasda_store::{conformance::sha_of, LedgerInfo, Store};
use kasda_store_postgres::{bench, testing};

const LEDGER: &str = "kota-idem";
const RKUD: &str = "0011223344";
const LINES: usize = 4_000;

#[test]
fn same_file_and_same_lines_add_nothing() {
    let mut s = testing::fresh_store();
    s.migrate().expect("migrate");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Idem".into(),
    })
    .expect("ledger");
    let batch = bench::synthetic_batch("big", RKUD, LINES);
    let first = s.import_file(LEDGER, batch.clone()).expect("first import");
    assert_eq!(first.lines_new, LINES as u64);
    assert_eq!(first.entries_appended, LINES as u64);
    let kas = AccountKey::new(AccountKind::KasDaerah, RKUD);
    let balance = s.balance(LEDGER, &kas, None, None).expect("balance");

    let again = s
        .import_file(LEDGER, batch.clone())
        .expect("same file again");
    assert!(again.file_already_imported);
    assert_eq!(again.run_id, first.run_id);
    assert_eq!(again.entries_appended, 0);

    let mut copy = batch;
    copy.file.sha256 = sha_of("big-resent");
    copy.file.name = "big-resent.dat".into();
    let resent = s.import_file(LEDGER, copy).expect("same lines, new file");
    assert!(!resent.file_already_imported);
    assert_eq!(resent.lines_new, 0);
    assert_eq!(resent.lines_duplicate, LINES as u64);
    assert_eq!(resent.entries_appended, 0);
    let dups = s.duplicates(LEDGER, None).expect("duplicates");
    assert_eq!(dups.len(), LINES);
    assert!(dups
        .iter()
        .all(|d| d.same_content && d.run_id == resent.run_id));

    assert_eq!(
        s.balance(LEDGER, &kas, None, None).expect("balance"),
        balance
    );
    let r = s.verify(LEDGER).expect("verify");
    assert!(r.first_bad.is_none());
    assert_eq!(r.entries, LINES as u64);
    assert!(s.check_aggregates(LEDGER).expect("aggregates").is_empty());
}
