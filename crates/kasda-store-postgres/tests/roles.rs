//! Roles and row-level security: each test logs in as a fresh LOGIN role that is a member of
//! kasda_importer, kasda_treasurer or kasda_auditor and has been granted one ledger, and shows
//! what it may and may not do. The login roles are dropped at the end (even on failure).

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{
    FindingInput, FindingStatus, LedgerInfo, NewEntry, NewProposal, ProposalKind, RunInfo, RunKind,
    Store, StoreError,
};
use kasda_store_postgres::{bench, roles, testing, PgStore};
use rust_decimal::Decimal;

const A: &str = "kota-a";
const B: &str = "kab-b";
const RKUD: &str = "0011223344";

/// Drops the test login roles when the test ends (after their connections are gone).
struct Logins {
    names: Vec<String>,
}

impl Drop for Logins {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgStore::connect(&testing::admin_url()) {
            for n in &self.names {
                let _ = admin.execute_sql(&format!("DROP ROLE IF EXISTS {n}"));
            }
        }
    }
}

fn setup() -> (testing::TestDatabase, PgStore) {
    let db = testing::fresh_database();
    let mut admin = db.connect().expect("connect as admin");
    admin.migrate().expect("migrate");
    for (code, name) in [(A, "Kota A"), (B, "Kabupaten B")] {
        admin
            .ensure_ledger(&LedgerInfo {
                code: code.into(),
                name: name.into(),
            })
            .expect("ledger");
        admin
            .import_file(code, bench::synthetic_batch(&format!("{code}-1"), RKUD, 20))
            .expect("admin import");
    }
    (db, admin)
}

fn login(
    db: &testing::TestDatabase,
    admin: &mut PgStore,
    logins: &mut Logins,
    group: &str,
) -> PgStore {
    let name = testing::unique_name("kasda_login");
    admin.create_login(&name, group).expect("create login");
    logins.names.push(name.clone());
    admin.grant_ledger(A, &name).expect("grant ledger a");
    PgStore::connect(&db.url_as(&name)).expect("connect as login role")
}

fn refused<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>, expect: &[&str]) {
    match r {
        Ok(v) => panic!("{what} must be refused, got {v:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                expect.iter().any(|x| msg.contains(x)),
                "{what}: unexpected error {msg}"
            );
        }
    }
}

fn unknown<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::UnknownLedger { .. })),
        "{what}: ledger {B} must be invisible, got {r:?}"
    );
}

const DENIED: &[&str] = &["permission denied"];

fn fee_entry(key: &str) -> NewEntry {
    let day = NaiveDate::from_ymd_opt(2026, 3, 20).expect("date");
    NewEntry::from(
        JournalEntry::new(
            EntryKind::Fee,
            day,
            day,
            key,
            "",
            "bank fee",
            None,
            vec![
                Posting::debit(
                    AccountKey::new(AccountKind::BebanBank, RKUD),
                    Decimal::new(500000, 2),
                ),
                Posting::credit(
                    AccountKey::new(AccountKind::KasDaerah, RKUD),
                    Decimal::new(500000, 2),
                ),
            ],
        )
        .expect("valid fee entry"),
    )
}

fn finding() -> FindingInput {
    FindingInput {
        id: "f-1".into(),
        rule: "unremitted_receipt".into(),
        severity: "high".into(),
        status: FindingStatus::Open,
        summary: "receipt not remitted".into(),
        amount: Some(Decimal::new(100, 0)),
        as_of: NaiveDate::from_ymd_opt(2026, 3, 20).expect("date"),
        details: serde_json::json!({ "ntpd": "X" }),
    }
}

#[test]
fn auditor_reads_its_ledger_only_and_writes_nothing() {
    let (db, mut admin) = setup();
    let mut logins = Logins { names: Vec::new() };
    let mut aud = login(&db, &mut admin, &mut logins, roles::AUDITOR);

    let ledgers = aud.ledgers().expect("ledgers");
    assert_eq!(
        ledgers.len(),
        1,
        "the auditor sees only ledger {A}: {ledgers:?}"
    );
    assert_eq!(ledgers[0].code, A);
    assert_eq!(aud.entries(A, 0, 100).expect("entries").len(), 20);
    assert!(aud.verify(A).expect("verify").first_bad.is_none());
    unknown("entries of b", aud.entries(B, 0, 100));
    unknown(
        "balance of b",
        aud.balance(
            B,
            &AccountKey::new(AccountKind::KasDaerah, RKUD),
            None,
            None,
        ),
    );

    refused(
        "import as auditor",
        aud.import_file(A, bench::synthetic_batch("aud", RKUD, 5)),
        DENIED,
    );
    refused(
        "append as auditor",
        aud.append_entries(
            A,
            RunInfo::new(RunKind::Reconcile, "aud"),
            vec![fee_entry("fee:aud")],
        ),
        DENIED,
    );
    refused(
        "UPDATE as auditor",
        aud.execute_sql("UPDATE entries SET memo = 'x'"),
        DENIED,
    );
    refused(
        "DELETE as auditor",
        aud.execute_sql("DELETE FROM postings"),
        DENIED,
    );
    refused(
        "INSERT as auditor",
        aud.execute_sql(
            "INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
             VALUES ('kota-a', 99, 'reconcile', 'aud', now(), 'null')",
        ),
        DENIED,
    );
    refused(
        "TRUNCATE as auditor",
        aud.execute_sql("TRUNCATE entries"),
        DENIED,
    );
    refused(
        "reading the access list",
        aud.execute_sql("SELECT * FROM ledger_access"),
        DENIED,
    );
    refused(
        "refreshing statistics as auditor",
        aud.refresh_statistics(),
        DENIED,
    );
    drop(aud);
    assert_eq!(admin.entries(A, 0, 100).expect("entries").len(), 20);
}

#[test]
fn importer_imports_into_its_ledger_only() {
    let (db, mut admin) = setup();
    let mut logins = Logins { names: Vec::new() };
    let mut imp = login(&db, &mut admin, &mut logins, roles::IMPORTER);

    let out = imp
        .import_file(A, bench::synthetic_batch("imp", RKUD, 50))
        .expect("import as importer (through staged COPY)");
    assert_eq!(out.entries_appended, 50);
    assert_eq!(out.first_seq, Some(21));
    let again = imp
        .import_file(A, bench::synthetic_batch("imp", RKUD, 50))
        .expect("re-import");
    assert!(again.file_already_imported);
    // After a large import the importer refreshes the planner's statistics (migration 0006),
    // through a function that runs as the tables' owner: ANALYZE itself needs ownership.
    let analyzed = "SELECT count(*) FROM pg_stat_user_tables
                     WHERE relname IN ('entries', 'postings', 'statement_lines')
                       AND last_analyze IS NOT NULL";
    let before = admin.query_i64(analyzed, &[]).expect("analyzed before");
    imp.refresh_statistics()
        .expect("refresh statistics as importer");
    // Statistics counters reach the view when the importer's session reports them.
    let mut after = before;
    for _ in 0..50 {
        after = admin.query_i64(analyzed, &[]).expect("analyzed after");
        if after == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!((before, after), (0, 3), "tables analyzed by the refresh");
    unknown(
        "import into b",
        imp.import_file(B, bench::synthetic_batch("imp-b", RKUD, 5)),
    );
    assert_eq!(imp.ledgers().expect("ledgers").len(), 1);

    // Row-level security refuses rows for another ledger even when written by hand.
    refused(
        "run for ledger b",
        imp.execute_sql(
            "INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
             VALUES ('kab-b', 99, 'import', 'imp', now(), 'null')",
        ),
        &["row-level security"],
    );
    let run = out.run_id;
    refused(
        "findings as importer",
        imp.record_findings(A, run, &[finding()]),
        DENIED,
    );
    refused(
        "close as importer",
        imp.close_period(
            A,
            NaiveDate::from_ymd_opt(2026, 1, 31).expect("date"),
            "imp",
        ),
        DENIED,
    );
    refused(
        "UPDATE as importer",
        imp.execute_sql("UPDATE entries SET memo = 'x'"),
        DENIED,
    );
    refused(
        "DELETE as importer",
        imp.execute_sql("DELETE FROM statement_lines"),
        DENIED,
    );
    drop(imp);

    let report = admin.verify(A).expect("verify");
    assert!(report.first_bad.is_none(), "{report:?}");
    assert_eq!(report.entries, 70);
    assert!(admin.check_aggregates(A).expect("aggregates").is_empty());
    assert_eq!(admin.entries(B, 0, 100).expect("b untouched").len(), 20);
}

#[test]
fn treasurer_appends_matches_findings_and_proposals() {
    let (db, mut admin) = setup();
    let mut logins = Logins { names: Vec::new() };
    let mut tre = login(&db, &mut admin, &mut logins, roles::TREASURER);

    let out = tre
        .append_entries(
            A,
            RunInfo::new(RunKind::Reconcile, "tre"),
            vec![fee_entry("fee:1")],
        )
        .expect("append as treasurer");
    assert_eq!(out.appended, vec![21]);
    tre.record_findings(A, out.run_id, &[finding()])
        .expect("findings as treasurer");
    let id = tre
        .propose(
            A,
            NewProposal {
                kind: ProposalKind::Correction,
                reason: "fee booked twice".into(),
                proposed_by: "tre".into(),
                entries: vec![fee_entry("fee:2")],
            },
        )
        .expect("propose");
    refused(
        "self approval",
        tre.approve(A, id, "tre"),
        &["maker-checker"],
    );
    tre.approve(A, id, "other-treasurer").expect("approve");
    tre.close_period(
        A,
        NaiveDate::from_ymd_opt(2026, 2, 28).expect("date"),
        "tre",
    )
    .expect("close");
    refused(
        "import as treasurer",
        tre.import_file(A, bench::synthetic_batch("tre", RKUD, 5)),
        DENIED,
    );
    unknown(
        "append into b",
        tre.append_entries(
            B,
            RunInfo::new(RunKind::Reconcile, "tre"),
            vec![fee_entry("fee:b")],
        ),
    );
    refused(
        "UPDATE as treasurer",
        tre.execute_sql("UPDATE findings SET rule = 'x'"),
        DENIED,
    );
    refused(
        "DELETE as treasurer",
        tre.execute_sql("DELETE FROM proposals"),
        DENIED,
    );
    drop(tre);

    let report = admin.verify(A).expect("verify");
    assert!(report.first_bad.is_none(), "{report:?}");
    assert_eq!(report.entries, 22);
    assert_eq!(admin.findings(A, true).expect("findings").len(), 1);
}

#[test]
fn revoked_access_hides_the_ledger_again() {
    let (db, mut admin) = setup();
    let mut logins = Logins { names: Vec::new() };
    let mut aud = login(&db, &mut admin, &mut logins, roles::AUDITOR);
    assert_eq!(aud.ledgers().expect("ledgers").len(), 1);
    let name = logins.names[0].clone();
    admin.revoke_ledger(A, &name).expect("revoke");
    assert!(aud.ledgers().expect("ledgers").is_empty());
    unknown("entries after revoke", aud.entries(A, 0, 10));
    // A group grant works for every member.
    admin
        .grant_ledger(B, roles::AUDITOR)
        .expect("grant to group");
    let seen: Vec<String> = aud
        .ledgers()
        .expect("ledgers")
        .into_iter()
        .map(|l| l.code)
        .collect();
    assert_eq!(seen, vec![B.to_string()]);
    assert!(admin.grant_ledger(A, "no_such_role_here").is_err());
    assert!(admin.create_login("Bad Name", roles::AUDITOR).is_err());
}
