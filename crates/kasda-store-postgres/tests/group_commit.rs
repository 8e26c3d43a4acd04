//! Group commit: 16 threads, each with its own clone of one store (`PgStore::try_clone`),
//! append single entries on one hot account. Some appends are bad — a reversal of an entry
//! that does not exist, an entry in the closed period — and must fail alone with the exact
//! error while every other append of their group is committed. Afterwards nothing is lost or
//! doubled, the chain verifies, the balance aggregates match the postings, runs are gap-free,
//! and appends really were written together (fewer transactions than entries).

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
use kasda_store_postgres::{bench, testing};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-group";
const HOT: &str = "0011223344";
const THREADS: usize = 16;
const EACH: usize = 40;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

fn fee(thread: usize, k: usize, booked: NaiveDate, reverses: Option<i64>) -> NewEntry {
    let amount = Decimal::new(250_000 + thread as i64 * 100 + k as i64, 2);
    NewEntry::from(
        JournalEntry::new(
            if reverses.is_some() {
                EntryKind::Reversal
            } else {
                EntryKind::Fee
            },
            booked,
            booked,
            format!("fee:t{thread}:{k}"),
            "",
            "biaya administrasi",
            reverses,
            vec![
                Posting::debit(AccountKey::new(AccountKind::BebanBank, HOT), amount),
                Posting::credit(AccountKey::new(AccountKind::KasDaerah, HOT), amount),
            ],
        )
        .expect("valid fee"),
    )
}

/// What append `k` of a thread is: every 7th reverses a missing entry, every 11th falls in
/// the closed period, the rest are good.
enum Kind {
    Good,
    MissingReversal,
    Closed,
}

fn kind(k: usize) -> Kind {
    if k % 7 == 3 {
        Kind::MissingReversal
    } else if k % 11 == 5 {
        Kind::Closed
    } else {
        Kind::Good
    }
}

#[test]
fn sixteen_threads_share_one_group_commit_and_bad_appends_fail_alone() {
    let mut store = testing::fresh_store();
    store.migrate().expect("migrate");
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Berkelompok".into(),
        })
        .expect("ledger");
    store
        .close_period(LEDGER, day(1), "kepala")
        .expect("close March 1st");
    let clones: Vec<_> = (0..THREADS)
        .map(|_| store.try_clone().expect("clone"))
        .collect();

    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = clones
            .into_iter()
            .enumerate()
            .map(|(t, mut s)| {
                scope.spawn(move || {
                    let mut good = 0;
                    let mut problems = Vec::new();
                    for k in 0..EACH {
                        let (entry, want) = match kind(k) {
                            Kind::Good => (fee(t, k, day(2 + (k % 27) as u32), None), None),
                            Kind::MissingReversal => (
                                fee(t, k, day(3), Some(1_000_000 + k as i64)),
                                Some("reversal"),
                            ),
                            Kind::Closed => (fee(t, k, day(1), None), Some("closed")),
                        };
                        let run = RunInfo::new(RunKind::Reconcile, format!("t{t}"));
                        match (s.append_entries(LEDGER, run, vec![entry]), want) {
                            (Ok(o), None) if o.appended.len() == 1 => good += 1,
                            (
                                Err(StoreError::UnknownReversedEntry { reverses, .. }),
                                Some("reversal"),
                            ) if reverses == 1_000_000 + k as i64 => {}
                            (Err(StoreError::PeriodClosed { .. }), Some("closed")) => {}
                            (got, want) => {
                                problems.push(format!("t{t} k{k}: want {want:?}, got {got:?}"))
                            }
                        }
                    }
                    (good, problems)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread panicked"))
            .collect()
    });

    let problems: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let good_each = (0..EACH).filter(|k| matches!(kind(*k), Kind::Good)).count();
    let good: usize = results.iter().map(|r| r.0).sum();
    assert_eq!(good, THREADS * good_each);

    let report = store.verify(LEDGER).expect("verify");
    assert!(report.first_bad.is_none(), "chain broken: {report:?}");
    assert_eq!(report.entries, good as u64, "entries lost or doubled");
    assert!(
        store
            .check_aggregates(LEDGER)
            .expect("aggregates")
            .is_empty(),
        "balance aggregate differs from the postings"
    );
    let runs = store.runs(LEDGER).expect("runs");
    let ids: Vec<i64> = runs.iter().map(|r| r.run_id).collect();
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "run ids gap-free"
    );
    // One run per good append (a refused append records none) and whatever close and
    // ledger creation record.
    let fees: Vec<_> = runs.iter().filter(|r| r.actor.starts_with('t')).collect();
    assert_eq!(fees.len(), good, "one run per good append");

    // Appends were written together: the entries came in fewer transactions than entries.
    let txs = bench::entry_transactions(&mut store, LEDGER).expect("transactions");
    assert!(
        txs < good as i64,
        "no two appends shared a transaction ({txs} for {good} entries)"
    );
}
