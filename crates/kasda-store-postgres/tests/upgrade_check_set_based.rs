//! `kasda db migrate` on a database through 0012: migration 0013 makes the COMMIT-time entry
//! check one set-based statement. Imports made before and after the upgrade form one chain that
//! verifies, and the check refuses what it refused before with the same messages, in the same
//! order when one statement holds several faults (postings count first, then balance, then the
//! link), also for an entry that mixes currencies.

use kasda_store::{LedgerInfo, Store, StoreError};
use kasda_store_postgres::{bench, testing, PgStore};

const LEDGER: &str = "kota-setcheck";

/// One entry of a raw write: seq, prev_hash and hash (hex), postings (side, amount, currency).
type RawEntry<'a> = (i64, String, String, &'a [(&'a str, &'a str, &'a str)]);

/// Writes the entries in ONE statement and their postings in another, in one transaction, the
/// way an import does; returns the COMMIT's verdict and leaves the session clean.
fn raw_write(s: &mut PgStore, entries: &[RawEntry]) -> Result<(), StoreError> {
    let rows: Vec<String> = entries
        .iter()
        .map(|(seq, prev, hash, _)| {
            format!(
                "('{LEDGER}', {seq}, 'opening', '2026-03-10', '2026-03-10', 'raw:{seq}', '', '',
                  NULL, NULL, 1, now(), decode('{prev}', 'hex'), decode('{hash}', 'hex'))"
            )
        })
        .collect();
    let postings: Vec<String> = entries
        .iter()
        .flat_map(|(seq, _, _, ps)| {
            ps.iter().enumerate().map(move |(i, (side, amount, cur))| {
                format!(
                    "('{LEDGER}', {seq}, {i}, {}, '{side}', {amount}, '{cur}')",
                    i % 2 + 1
                )
            })
        })
        .collect();
    let sql = format!(
        "BEGIN;
         INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                              memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
         VALUES {};
         INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
         VALUES {};
         COMMIT;",
        rows.join(", "),
        postings.join(", ")
    );
    let r = s.execute_sql(&sql);
    if r.is_err() {
        let _ = s.execute_sql("ROLLBACK");
    }
    r
}

fn refused_with(r: Result<(), StoreError>, message: &str) {
    match r {
        Ok(()) => panic!("the database accepted what it must refuse ({message})"),
        Err(e) => assert!(
            e.to_string().contains(message),
            "expected {message:?} in: {e}"
        ),
    }
}

fn head(s: &mut PgStore) -> (i64, String) {
    let e = s.entries(LEDGER, 0, 1_000).expect("entries");
    let last = e.last().expect("entries exist");
    (last.seq, last.hash.clone())
}

#[test]
fn migrating_a_0012_database_keeps_the_chain_and_the_refusals() {
    let mut s = testing::fresh_store();
    s.migrate_through(12).expect("migrate through 0012");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Set Check".into(),
    })
    .expect("ledger");
    s.import_file(LEDGER, bench::synthetic_batch("a", "0011223344", 40))
        .expect("import before the upgrade");

    s.migrate().expect("migrate to the latest schema");
    s.import_file(LEDGER, bench::synthetic_batch("b", "0011223344", 60))
        .expect("import after the upgrade");
    let report = s.verify(LEDGER).expect("verify");
    assert_eq!(report.first_bad, None);
    let (seq, hash) = head(&mut s);
    assert_eq!(report.entries, seq as u64);

    let b = "b".repeat(64);
    let c = "c".repeat(64);
    let d = "d".repeat(64);
    let ok: &[(&str, &str, &str)] = &[("debit", "5", "IDR"), ("credit", "5", "IDR")];
    let unbalanced: &[(&str, &str, &str)] = &[("debit", "5", "IDR"), ("credit", "4", "IDR")];
    let single: &[(&str, &str, &str)] = &[("debit", "5", "IDR")];
    // Balanced in IDR, not in USD: the entry mixes currencies.
    let mixed: &[(&str, &str, &str)] = &[
        ("debit", "5", "IDR"),
        ("credit", "5", "IDR"),
        ("debit", "7", "USD"),
        ("credit", "6", "USD"),
    ];
    let (n1, n2, n3) = (seq + 1, seq + 2, seq + 3);

    // A later entry with one posting is named before an earlier one that does not balance.
    refused_with(
        raw_write(
            &mut s,
            &[
                (n1, hash.clone(), b.clone(), unbalanced),
                (n2, b.clone(), c.clone(), single),
            ],
        ),
        &format!("kasda: entry {n2} of ledger {LEDGER} has 1 postings; at least 2 are required"),
    );
    // An entry with no postings at all.
    refused_with(
        raw_write(
            &mut s,
            &[
                (n1, hash.clone(), b.clone(), ok),
                (n2, b.clone(), c.clone(), &[]),
            ],
        ),
        &format!("kasda: entry {n2} of ledger {LEDGER} has 0 postings; at least 2 are required"),
    );
    // A later unbalanced entry is named before an earlier broken link.
    refused_with(
        raw_write(
            &mut s,
            &[
                (n1, c.clone(), b.clone(), ok),
                (n2, b.clone(), c.clone(), unbalanced),
            ],
        ),
        &format!(
            "kasda: entry {n2} of ledger {LEDGER} does not balance in IDR: debits differ from credits"
        ),
    );
    refused_with(
        raw_write(
            &mut s,
            &[(n1, hash.clone(), b.clone(), ok), (n2, b.clone(), c.clone(), mixed)],
        ),
        &format!(
            "kasda: entry {n2} of ledger {LEDGER} does not balance in USD: debits differ from credits"
        ),
    );
    refused_with(
        raw_write(
            &mut s,
            &[
                (n1, hash.clone(), b.clone(), ok),
                (n2, d.clone(), c.clone(), ok),
            ],
        ),
        &format!("kasda: entry {n2} of ledger {LEDGER} does not link to the previous entry's hash"),
    );
    refused_with(
        raw_write(
            &mut s,
            &[
                (n1, hash.clone(), b.clone(), ok),
                (n3, b.clone(), c.clone(), ok),
            ],
        ),
        &format!("kasda: entry {n3} of ledger {LEDGER} leaves a gap: entry {n2} does not exist"),
    );

    // A balanced, linked multi-currency pair is accepted, and the chain still verifies up to it.
    raw_write(
        &mut s,
        &[
            (n1, hash.clone(), b.clone(), ok),
            (n2, b.clone(), c.clone(), &mixed[..2]),
        ],
    )
    .expect("balanced linked entries are accepted");
    assert_eq!(head(&mut s).0, n2);
}
