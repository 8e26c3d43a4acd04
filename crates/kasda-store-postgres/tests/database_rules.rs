//! Rules PostgreSQL enforces by itself, shown with raw SQL that bypasses the store's Rust
//! checks: balanced entries with at least two postings (deferred constraint trigger at
//! COMMIT), sealed postings, gap-free linked chains, closed periods, maker-checker, monotonic
//! closes; and the migration runner's checksum guard.

use kasda_store::{LedgerInfo, Store, StoreError};
use kasda_store_postgres::{bench, migrate, testing, PgStore};

const LEDGER: &str = "kota-rules";

fn store() -> PgStore {
    let mut s = testing::fresh_store();
    s.migrate().expect("migrate");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Rules".into(),
    })
    .expect("ledger");
    s.import_file(LEDGER, bench::synthetic_batch("r", "0011223344", 3))
        .expect("import");
    s
}

fn head(s: &mut PgStore) -> (i64, String) {
    let e = s.entries(LEDGER, 0, 100).expect("entries");
    let last = e.last().expect("entries exist");
    (last.seq, last.hash.clone())
}

/// Writes one entry and its postings (account ids 1 and 2 exist after the import) in one
/// explicit transaction; returns the COMMIT's verdict and leaves the session clean.
fn raw_entry(
    s: &mut PgStore,
    seq: i64,
    prev_hash: &str,
    booked_on: &str,
    postings: &[(&str, &str)],
) -> Result<(), StoreError> {
    raw_entry_of_kind(
        s,
        seq,
        prev_hash,
        booked_on,
        ("opening", &format!("raw:{seq}")),
        postings,
    )
}

/// [`raw_entry`] with the entry's kind and natural key given.
fn raw_entry_of_kind(
    s: &mut PgStore,
    seq: i64,
    prev_hash: &str,
    booked_on: &str,
    (kind, natural_key): (&str, &str),
    postings: &[(&str, &str)],
) -> Result<(), StoreError> {
    let values: Vec<String> = postings
        .iter()
        .enumerate()
        .map(|(i, (side, amount))| {
            format!(
                "('{LEDGER}', {seq}, {i}, {}, '{side}', {amount}, 'IDR')",
                i % 2 + 1
            )
        })
        .collect();
    let sql = format!(
        "BEGIN;
         INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES ('{LEDGER}', {seq}, '{kind}', '{booked_on}', '{booked_on}', '{natural_key}', '', '',
                 NULL, NULL, 1, now(), decode('{prev_hash}', 'hex'), decode(repeat('b', 64), 'hex'));
         INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES {};
         COMMIT;",
        values.join(", ")
    );
    let r = s.execute_sql(&sql);
    if r.is_err() {
        let _ = s.execute_sql("ROLLBACK");
    }
    r
}

fn refused_with(r: Result<(), StoreError>, part: &str) {
    match r {
        Ok(()) => panic!("the database accepted what it must refuse ({part})"),
        Err(e) => assert!(e.to_string().contains(part), "expected {part:?} in: {e}"),
    }
}

#[test]
fn balanced_linked_entry_is_accepted() {
    let mut s = store();
    let (seq, hash) = head(&mut s);
    raw_entry(
        &mut s,
        seq + 1,
        &hash,
        "2026-03-10",
        &[("debit", "5"), ("credit", "5")],
    )
    .expect("a balanced, linked entry commits");
}

#[test]
fn opening_balance_entries_need_their_standard_key() {
    let mut s = store();
    let (seq, hash) = head(&mut s);
    let balanced = [("debit", "5"), ("credit", "5")];
    for key in [
        "saldo-awal:kas-daerah/0011223344",
        "opening_balance:kas-daerah/0011223344:0",
        "opening_balance:kas-daerah/0011223344:1x",
        "opening_balance:belanja/0011223344:1",
    ] {
        refused_with(
            raw_entry_of_kind(
                &mut s,
                seq + 1,
                &hash,
                "2026-03-10",
                ("opening_balance", key),
                &balanced,
            ),
            "expected opening_balance:<kas account>:<n>",
        );
    }
    raw_entry_of_kind(
        &mut s,
        seq + 1,
        &hash,
        "2026-03-10",
        ("opening_balance", "opening_balance:kas-daerah/0011223344:1"),
        &balanced,
    )
    .expect("the standard key passes the database's key check");
}

#[test]
fn single_posting_is_refused_at_commit() {
    let mut s = store();
    let (seq, hash) = head(&mut s);
    refused_with(
        raw_entry(&mut s, seq + 1, &hash, "2026-03-10", &[("debit", "5")]),
        "at least 2",
    );
}

#[test]
fn unbalanced_entry_is_refused_at_commit() {
    let mut s = store();
    let (seq, hash) = head(&mut s);
    refused_with(
        raw_entry(
            &mut s,
            seq + 1,
            &hash,
            "2026-03-10",
            &[("debit", "5"), ("credit", "4.99")],
        ),
        "does not balance",
    );
}

#[test]
fn gap_and_broken_link_are_refused() {
    let mut s = store();
    let (seq, hash) = head(&mut s);
    refused_with(
        raw_entry(
            &mut s,
            seq + 2,
            &hash,
            "2026-03-10",
            &[("debit", "5"), ("credit", "5")],
        ),
        "leaves a gap",
    );
    refused_with(
        raw_entry(
            &mut s,
            seq + 1,
            &"c".repeat(64),
            "2026-03-10",
            &[("debit", "5"), ("credit", "5")],
        ),
        "does not link",
    );
}

#[test]
fn postings_of_a_recorded_entry_are_final() {
    let mut s = store();
    let r = s.execute_sql(&format!(
        "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES ('{LEDGER}', 1, 2, 1, 'debit', 1, 'IDR'), ('{LEDGER}', 1, 3, 2, 'credit', 1, 'IDR')"
    ));
    refused_with(r, "postings are final");
}

#[test]
fn closed_period_is_enforced_by_the_database() {
    let mut s = store();
    s.close_period(
        LEDGER,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 15).expect("date"),
        "kabid",
    )
    .expect("close");
    let (seq, hash) = head(&mut s);
    refused_with(
        raw_entry(
            &mut s,
            seq + 1,
            &hash,
            "2026-03-15",
            &[("debit", "5"), ("credit", "5")],
        ),
        "closed through",
    );
    refused_with(
        s.execute_sql(&format!(
            "INSERT INTO period_locks (ledger_id, through_date, locked_at, actor, run_id)
             VALUES ('{LEDGER}', '2026-03-01', now(), 'x', 1)"
        )),
        "already closed",
    );
}

#[test]
fn self_approval_is_refused_by_the_database() {
    let mut s = store();
    let r = s.execute_sql(&format!(
        "BEGIN;
         INSERT INTO proposals (ledger_id, proposal_id, kind, reason, proposed_by, proposed_at, entries)
         VALUES ('{LEDGER}', 1, 'correction', 'r', 'Ani', now(), '[]');
         INSERT INTO proposal_decisions (ledger_id, proposal_id, decision, decided_by, decided_at, run_id, reason)
         VALUES ('{LEDGER}', 1, 'approved', ' ani ', now(), 1, '');
         COMMIT;"
    ));
    if r.is_err() {
        let _ = s.execute_sql("ROLLBACK");
    }
    refused_with(r, "cannot be approved by its proposer");
}

#[test]
fn changed_migration_is_refused_naming_both_checksums() {
    let mut s = store();
    let status = s.migration_status().expect("status");
    assert_eq!(status.len(), migrate::MIGRATIONS.len());
    assert!(status.iter().all(|m| m.applied_at.is_some()));
    s.execute_sql(
        "UPDATE kasda_schema_migrations SET checksum = repeat('0', 64) WHERE version = 1",
    )
    .expect("simulate an edited migration");
    let expected = migrate::checksum(migrate::MIGRATIONS[0].sql);
    for r in [s.migrate().map(|_| ()), s.migration_status().map(|_| ())] {
        match r {
            Err(StoreError::MigrationChanged {
                name,
                recorded,
                found,
            }) => {
                assert_eq!(name, "0001_init.sql");
                assert_eq!(recorded, "0".repeat(64));
                assert_eq!(found, expected);
            }
            other => panic!("a changed migration must be refused, got {other:?}"),
        }
    }
}

#[test]
fn concurrent_migrations_apply_once() {
    let db = testing::fresh_database();
    let applied: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut s = db.connect().expect("connect");
                    s.migrate().expect("concurrent migrate").len()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("migrate thread"))
            .collect()
    });
    assert_eq!(
        applied.iter().sum::<usize>(),
        migrate::MIGRATIONS.len(),
        "{applied:?}"
    );
}

#[test]
fn postings_after_an_immediate_check_are_refused() {
    // Checking early (SET CONSTRAINTS … IMMEDIATE) seals the entry: a posting added later in
    // the same transaction would otherwise unbalance it unseen.
    let mut s = store();
    let (seq, hash) = head(&mut s);
    let next = seq + 1;
    let r = s.execute_sql(&format!(
        "BEGIN;
         INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES ('{LEDGER}', {next}, 'opening', '2026-03-10', '2026-03-10', 'raw:late', '', '',
                 NULL, NULL, 1, now(), decode('{hash}', 'hex'), decode(repeat('b', 64), 'hex'));
         INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES ('{LEDGER}', {next}, 0, 1, 'debit', 5, 'IDR'), ('{LEDGER}', {next}, 1, 2, 'credit', 5, 'IDR');
         SET CONSTRAINTS ALL IMMEDIATE;
         INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES ('{LEDGER}', {next}, 2, 1, 'debit', 7, 'IDR');
         COMMIT;"
    ));
    if r.is_err() {
        let _ = s.execute_sql("ROLLBACK");
    }
    refused_with(r, "postings are final");
    assert_eq!(
        head(&mut s).0,
        seq,
        "nothing of the refused transaction is kept"
    );
}

#[test]
fn dangling_references_are_refused() {
    let mut s = store();
    let (seq, hash) = head(&mut s);
    let next = seq + 1;
    let posting_first = s.execute_sql(&format!(
        "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES ('{LEDGER}', {next}, 0, 1, 'debit', 5, 'IDR')"
    ));
    refused_with(posting_first, "does not exist");
    let unknown_run = s.execute_sql(&format!(
        "INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES ('{LEDGER}', {next}, 'opening', '2026-03-10', '2026-03-10', 'raw:run', '', '',
                 NULL, NULL, 999, now(), decode('{hash}', 'hex'), decode(repeat('b', 64), 'hex'))"
    ));
    refused_with(unknown_run, "names run 999");
    let unknown_reversal = s.execute_sql(&format!(
        "INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES ('{LEDGER}', {next}, 'reversal', '2026-03-10', '2026-03-10', 'raw:rev', '', '',
                 777, NULL, 1, now(), decode('{hash}', 'hex'), decode(repeat('b', 64), 'hex'))"
    ));
    refused_with(unknown_reversal, "reverses entry 777");
    let unknown_account = s.execute_sql(&format!(
        "BEGIN;
         INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES ('{LEDGER}', {next}, 'opening', '2026-03-10', '2026-03-10', 'raw:acct', '', '',
                 NULL, NULL, 1, now(), decode('{hash}', 'hex'), decode(repeat('b', 64), 'hex'));
         INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES ('{LEDGER}', {next}, 0, 4242, 'debit', 5, 'IDR');
         COMMIT;"
    ));
    if unknown_account.is_err() {
        let _ = s.execute_sql("ROLLBACK");
    }
    refused_with(unknown_account, "account 4242");
}
