//! 8 writers appending single fee entries on one hot account, in one run: a bare baseline (8
//! connections, one autocommit INSERT per row into a plain table), the previous two-round-trip
//! append and the one-round-trip append (migration 0002) with a connection per writer, and
//! group commit (migration 0005: the 8 writers share one store through `PgStore::try_clone`,
//! as threads of one server process would). Each path writes its own ledger; every chain is
//! verified and counted, and the transactions the entries came in are counted.
//!
//! `cargo run --release -p kasda-store-postgres --example pg_hot_writers -- [per_writer]`
//! (server from KASDA_TEST_DATABASE_URL; a fresh database is created and dropped). The full
//! bench with its plain-table baseline is `cargo bench --bench store_postgres`.

use std::time::Instant;

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{AppendOutcome, LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
use kasda_store_postgres::{bench, testing, PgStore};
use rust_decimal::Decimal;

const WRITERS: usize = 8;
const RKUD: &str = "0011223344";

type AppendFn = fn(&mut PgStore, &str, RunInfo, Vec<NewEntry>) -> Result<AppendOutcome, StoreError>;

fn fee(w: usize, n: usize) -> Result<NewEntry, String> {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1 + (n % 28) as u32).ok_or("date")?;
    let amount = Decimal::new(250_000 + n as i64, 2);
    let entry = JournalEntry::new(
        EntryKind::Fee,
        day,
        day,
        format!("hot:w{w}:{n}"),
        "",
        "biaya administrasi",
        None,
        vec![
            Posting::debit(AccountKey::new(AccountKind::BebanBank, RKUD), amount),
            Posting::credit(AccountKey::new(AccountKind::KasDaerah, RKUD), amount),
        ],
    )
    .map_err(|e| e.to_string())?;
    Ok(NewEntry::from(entry))
}

fn two_trips(
    s: &mut PgStore,
    l: &str,
    r: RunInfo,
    e: Vec<NewEntry>,
) -> Result<AppendOutcome, StoreError> {
    bench::append_two_trips(s, l, r, e)
}

fn one_trip(
    s: &mut PgStore,
    l: &str,
    r: RunInfo,
    e: Vec<NewEntry>,
) -> Result<AppendOutcome, StoreError> {
    s.append_entries(l, r, e)
}

/// Runs `per_writer` appends on each of `stores` (one thread each, connected before the clock
/// starts): (appended, failed, seconds).
fn run(
    stores: Vec<PgStore>,
    ledger: &str,
    per_writer: usize,
    append: AppendFn,
) -> (usize, usize, f64) {
    let start = Instant::now();
    let results: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .into_iter()
            .enumerate()
            .map(|(w, mut s)| {
                scope.spawn(move || {
                    let (mut ok, mut bad) = (0, 0);
                    for n in 0..per_writer {
                        let r = fee(w, n)
                            .map_err(|e| StoreError::backend("fee", e))
                            .and_then(|e| {
                                append(
                                    &mut s,
                                    ledger,
                                    RunInfo::new(RunKind::Reconcile, format!("w{w}")),
                                    vec![e],
                                )
                            });
                        match r {
                            Ok(o) if o.appended.len() == 1 => ok += 1,
                            Ok(_) => bad += 1,
                            Err(e) => {
                                eprintln!("writer {w}: {e}");
                                bad += 1
                            }
                        }
                    }
                    (ok, bad)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, per_writer)))
            .collect()
    });
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let ok = results.iter().map(|r| r.0).sum();
    let bad = results.iter().map(|r| r.1).sum();
    (ok, bad, secs)
}

/// `WRITERS` stores: each on its own connection, or clones of `first` sharing its group
/// commit.
fn stores(url: &str, shared: bool) -> Result<Vec<PgStore>, String> {
    let first = PgStore::connect(url).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(WRITERS);
    for _ in 1..WRITERS {
        let s = if shared {
            first.try_clone()
        } else {
            PgStore::connect(url)
        };
        out.push(s.map_err(|e| e.to_string())?);
    }
    out.push(first);
    Ok(out)
}

fn main() {
    let per_writer: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let db = testing::fresh_database();
    let mut store = match db.connect() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connect: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = store.migrate() {
        eprintln!("migrate: {e}");
        std::process::exit(1);
    }
    let base = match bench::hot_writers_baseline(db.url(), WRITERS, per_writer) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("baseline: {e}");
            std::process::exit(1);
        }
    };
    let base_rate = base.rows as f64 / base.elapsed.as_secs_f64().max(1e-9);
    println!(
        "bare: {WRITERS} connections, one autocommit INSERT per row into a plain table: {} rows in {:.3}s = {base_rate:.0} rows/s",
        base.rows,
        base.elapsed.as_secs_f64()
    );
    let mut rates = Vec::new();
    for (ledger, label, shared, append) in [
        (
            "hot2",
            "two round trips (before 0002), a connection per writer",
            false,
            two_trips as AppendFn,
        ),
        (
            "hot",
            "one round trip (0002), a connection per writer",
            false,
            one_trip as AppendFn,
        ),
        (
            "hotg",
            "group commit (0005), the writers share one store",
            true,
            one_trip as AppendFn,
        ),
    ] {
        if let Err(e) = store.ensure_ledger(&LedgerInfo {
            code: ledger.into(),
            name: ledger.into(),
        }) {
            eprintln!("ledger: {e}");
            std::process::exit(1);
        }
        let writers = match stores(db.url(), shared) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("connect: {e}");
                std::process::exit(1);
            }
        };
        let (ok, bad, secs) = run(writers, ledger, per_writer, append);
        let verified = store
            .verify(ledger)
            .map(|r| (r.entries, r.first_bad.is_none()));
        let txs = bench::entry_transactions(&mut store, ledger);
        println!(
            "{label}: {ok} entries ({bad} failed) in {secs:.3}s = {:.0} entries/s; verify (entries, ok) {verified:?}; committed in {txs:?} transactions",
            ok as f64 / secs
        );
        rates.push(ok as f64 / secs);
    }
    println!(
        "RESULT hot_writers group={:.0}/s one_trip={:.0}/s two_trips={:.0}/s bare_insert={base_rate:.0}/s group/bare={:.2} group/one_trip={:.2}",
        rates[2],
        rates[1],
        rates[0],
        rates[2] / base_rate.max(1e-9),
        rates[2] / rates[1].max(1e-9)
    );
}
