//! Concurrent writers into one ledger: 8 threads, each with its own store and connection,
//! import their own files and append fee entries against one hot account, and all race to
//! import the same shared file. The per-ledger advisory lock makes the chain serial: no
//! deadlock, no error, nothing lost or doubled, the shared file imported exactly once.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store};
use kasda_store_postgres::{bench, testing};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-busy";
const HOT: &str = "0011223344";
const WRITERS: usize = 8;
const FILES_EACH: usize = 3;
const LINES_EACH: usize = 150;
const FEES_PER_FILE: usize = 2;
const SHARED_LINES: usize = 200;

fn fee(writer: usize, k: usize) -> NewEntry {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1 + (k % 28) as u32).expect("date");
    let amount = Decimal::new(250_000 + writer as i64 * 100 + k as i64, 2);
    NewEntry::from(
        JournalEntry::new(
            EntryKind::Fee,
            day,
            day,
            format!("fee:w{writer}:{k}"),
            "",
            "biaya administrasi",
            None,
            vec![
                Posting::debit(AccountKey::new(AccountKind::BebanBank, HOT), amount),
                Posting::credit(AccountKey::new(AccountKind::KasDaerah, HOT), amount),
            ],
        )
        .expect("valid fee"),
    )
}

#[test]
fn eight_writers_one_hot_account() {
    let db = testing::fresh_database();
    let mut admin = db.connect().expect("connect");
    admin.migrate().expect("migrate");
    admin
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Sibuk".into(),
        })
        .expect("ledger");

    let shared_first: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let url = db.url().to_string();
                scope.spawn(move || {
                    let mut s = kasda_store_postgres::PgStore::connect(&url).expect("connect");
                    // Every writer also ensures the ledger and migrates: both are idempotent
                    // under concurrency.
                    s.migrate().expect("migrate");
                    s.ensure_ledger(&LedgerInfo {
                        code: LEDGER.into(),
                        name: "Kota Sibuk".into(),
                    })
                    .expect("ensure ledger");
                    let mut shared_was_new = false;
                    for f in 0..FILES_EACH {
                        let out = s
                            .import_file(
                                LEDGER,
                                bench::synthetic_batch(&format!("w{w}-f{f}"), HOT, LINES_EACH),
                            )
                            .expect("import");
                        assert_eq!(out.entries_appended, LINES_EACH as u64);
                        let fees: Vec<NewEntry> =
                            (0..FEES_PER_FILE).map(|k| fee(w, f * 10 + k)).collect();
                        s.append_entries(
                            LEDGER,
                            RunInfo::new(RunKind::Reconcile, format!("w{w}")),
                            fees,
                        )
                        .expect("append");
                        if f == 1 {
                            let out = s
                                .import_file(
                                    LEDGER,
                                    bench::synthetic_batch("shared", HOT, SHARED_LINES),
                                )
                                .expect("shared import");
                            shared_was_new = !out.file_already_imported;
                        }
                    }
                    shared_was_new
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread panicked"))
            .collect()
    });

    assert_eq!(
        shared_first.iter().filter(|x| **x).count(),
        1,
        "exactly one writer imports the shared file: {shared_first:?}"
    );
    let fees_each = FILES_EACH * FEES_PER_FILE;
    let expected = (WRITERS * (FILES_EACH * LINES_EACH + fees_each) + SHARED_LINES) as u64;
    let report = admin.verify(LEDGER).expect("verify");
    assert!(report.first_bad.is_none(), "chain broken: {report:?}");
    assert_eq!(report.entries, expected, "entries lost or doubled");
    assert!(
        admin
            .check_aggregates(LEDGER)
            .expect("aggregates")
            .is_empty(),
        "balance aggregate differs from the postings"
    );
    let runs = admin.runs(LEDGER).expect("runs");
    let ids: Vec<i64> = runs.iter().map(|r| r.run_id).collect();
    let want: Vec<i64> = (1..=ids.len() as i64).collect();
    assert_eq!(ids, want, "run ids must be gap-free");
    assert_eq!(runs.len(), WRITERS * FILES_EACH * 2 + 1);
    // Recording times never go backwards along the chain.
    let mut after = 0;
    let mut last = None;
    loop {
        let page = admin.entries(LEDGER, after, 1000).expect("entries");
        let Some(tail) = page.last() else { break };
        after = tail.seq;
        for e in &page {
            if let Some(prev) = last {
                assert!(
                    e.recorded_at >= prev,
                    "recorded_at went backwards at {}",
                    e.seq
                );
            }
            last = Some(e.recorded_at);
        }
    }
}
