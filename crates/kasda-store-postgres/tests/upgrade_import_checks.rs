//! `kasda db migrate` on a database of the schema before the import-checks migration (the
//! statement triggers of entries and postings check distinct runs, seq ranges and accounts
//! instead of probing per row): files imported before and after the upgrade form one chain
//! that verifies, every answer is the memory store's, and the database still refuses, with the
//! same messages, a posting without its entry, a posting added to a recorded entry, a posting
//! naming an unknown account and an entry naming an unknown run.

use kasda_store::memory::MemoryStore;
use kasda_store::{LedgerInfo, Store, StoreError};
use kasda_store_postgres::{bench, testing, PgStore, MIGRATIONS};

const LEDGER: &str = "kota-import";
const RKUD: &str = "0011223344";

/// The version of the migration under test and of the schema before it.
fn versions() -> (u32, u32) {
    let m = MIGRATIONS
        .iter()
        .find(|m| m.name.ends_with("_import_checks.sql"))
        .expect("the import-checks migration is embedded");
    (m.version, m.version - 1)
}

fn ledger(s: &mut dyn Store) {
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Import".into(),
    })
    .expect("ledger");
}

fn refused_with(r: Result<(), StoreError>, part: &str) {
    match r {
        Ok(()) => panic!("the database accepted what it must refuse ({part})"),
        Err(e) => assert!(e.to_string().contains(part), "expected {part:?} in: {e}"),
    }
}

/// Runs `sql` (a transaction) and rolls back what a refusal left open.
fn raw(s: &mut PgStore, sql: &str) -> Result<(), StoreError> {
    let r = s.execute_sql(sql);
    if r.is_err() {
        let _ = s.execute_sql("ROLLBACK");
    }
    r
}

fn entry_sql(seq: i64, run: i64, prev_hash: &str, key: &str) -> String {
    format!(
        "INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES ('{LEDGER}', {seq}, 'opening', '2026-03-10', '2026-03-10', '{key}', '', '',
                 NULL, NULL, {run}, now(), decode('{prev_hash}', 'hex'), decode(repeat('b', 64), 'hex'));"
    )
}

#[test]
fn migrating_keeps_imports_and_every_refusal_of_the_statement_triggers() {
    let (version, previous) = versions();
    let mut s = testing::fresh_store();
    s.migrate_through(previous)
        .expect("migrate through the previous schema");
    let mut m = MemoryStore::new();
    ledger(&mut s);
    ledger(&mut m);
    let first = bench::synthetic_batch("before", RKUD, 300);
    s.import_file(LEDGER, first.clone()).expect("import before");
    m.import_file(LEDGER, first).expect("memory import before");

    let applied = s.migrate().expect("migrate to the latest schema");
    assert!(
        applied.iter().any(|a| a.version == version),
        "the import-checks migration was applied: {applied:?}"
    );
    let second = bench::synthetic_batch("after", RKUD, 300);
    let out = s.import_file(LEDGER, second.clone()).expect("import after");
    let want = m.import_file(LEDGER, second).expect("memory import after");
    assert_eq!(out.entries_appended, 300);
    assert_eq!(out.first_seq, want.first_seq);
    assert_eq!(out.last_seq, want.last_seq);

    let report = s.verify(LEDGER).expect("verify");
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 600);
    assert_eq!(
        report.head_hash,
        m.verify(LEDGER).expect("memory verify").head_hash
    );
    let chain = |s: &mut dyn Store| {
        s.entries(LEDGER, 0, 1_000)
            .expect("entries")
            .into_iter()
            .map(|e| (e.seq, e.entry, e.source_sha256, e.prev_hash, e.hash))
            .collect::<Vec<_>>()
    };
    assert_eq!(chain(&mut s), chain(&mut m));

    // The triggers still refuse what they refused before, naming the row.
    let head = s.entries(LEDGER, 599, 1).expect("head")[0].hash.clone();
    let no_entry = raw(
        &mut s,
        &format!(
            "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
             VALUES ('{LEDGER}', 601, 0, 1, 'debit', 5, 'IDR'), ('{LEDGER}', 601, 1, 2, 'credit', 5, 'IDR')"
        ),
    );
    refused_with(
        no_entry,
        "posting names entry 601 of ledger kota-import, which does not exist",
    );
    let recorded = raw(
        &mut s,
        &format!(
            "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
             VALUES ('{LEDGER}', 450, 2, 1, 'debit', 1, 'IDR'), ('{LEDGER}', 450, 3, 2, 'credit', 1, 'IDR')"
        ),
    );
    refused_with(
        recorded,
        "entry 450 of ledger kota-import is already recorded",
    );
    let unknown_account = raw(
        &mut s,
        &format!(
            "BEGIN; {}
             INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
             VALUES ('{LEDGER}', 601, 0, 1, 'debit', 5, 'IDR'), ('{LEDGER}', 601, 1, 4242, 'credit', 5, 'IDR');
             COMMIT;",
            entry_sql(601, 1, &head, "raw:account")
        ),
    );
    refused_with(unknown_account, "posting names account 4242");
    let unknown_run = raw(&mut s, &entry_sql(601, 999, &head, "raw:run"));
    refused_with(unknown_run, "entry 601 names run 999");
    assert_eq!(s.verify(LEDGER).expect("verify").entries, 600);
}
