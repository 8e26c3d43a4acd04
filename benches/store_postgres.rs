//! PostgreSQL store benchmarks (issue #6), each beside a baseline measured in the same run on
//! the same server (see BENCHMARKS.md):
//!
//! 1. bulk import of 1,000,000 postings (`import_file`) beside a bare binary COPY of the same
//!    rows into tables of the same columns, and beside single-row INSERTs;
//! 2. 8 writers appending single entries on one hot RKUD account (sharing one store's group
//!    commit, and for comparison each with its own store, one and two round trips) beside the
//!    same 8 writers inserting the same rows into a plain table; then count and chain are checked;
//! 3. bytes per posting of all ledger tables (`pg_total_relation_size` / postings);
//! 4. `verify` over 1,000,000 entries beside a bare binary `COPY … TO STDOUT` of the same rows;
//! 5. balance as of a day, known at a time, with 10,000,000 postings in the ledger, beside a
//!    primary-key lookup on the same database.
//!
//! A bench binary rather than criterion: each workload is built once (the 10M-posting ledger
//! takes minutes) and measured a few times. It creates a fresh database on the server named by
//! `KASDA_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and drops
//! it at the end. Scale with `KASDA_BENCH_PG_LINES` (bulk import lines; 2 postings each,
//! default 500,000), `KASDA_BENCH_PG_VERIFY_ENTRIES` (default 1,000,000),
//! `KASDA_BENCH_PG_HOT` (entries per writer, default 1,000) and `KASDA_BENCH_PG_BIG_POSTINGS`
//! (default 10,000,000; 0 skips the balance part).
//!
//! `cargo bench --bench store_postgres`

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{AppendOutcome, LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
use kasda_store_postgres::bench::{self, BareTarget};
use kasda_store_postgres::{testing, PgStore};
use rust_decimal::Decimal;

const RKUD: &str = "0011223344";
const WRITERS: usize = 8;

/// One way of appending entries (the store's, or a bench hook).
type AppendFn = fn(&mut PgStore, &str, RunInfo, Vec<NewEntry>) -> Result<AppendOutcome, StoreError>;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn ledger(store: &mut PgStore, code: &str) {
    store
        .ensure_ledger(&LedgerInfo {
            code: code.into(),
            name: format!("bench {code}"),
        })
        .expect("ledger");
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-9)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn main() {
    let lines = env("KASDA_BENCH_PG_LINES", 500_000);
    let verify_entries = env("KASDA_BENCH_PG_VERIFY_ENTRIES", 1_000_000);
    let hot = env("KASDA_BENCH_PG_HOT", 1_000);
    let big_postings = env("KASDA_BENCH_PG_BIG_POSTINGS", 10_000_000);

    let db = testing::fresh_database();
    println!("database {} (dropped at the end)", db.name());
    let mut store = db.connect().expect("connect");
    store.migrate().expect("migrate");

    bulk_import(&mut store, lines);
    storage(&mut store, "after the bulk import");
    verify(&mut store, verify_entries);
    hot_writers(&mut store, db.url(), hot);
    if big_postings > 0 {
        balance(&mut store, big_postings);
        storage(&mut store, "with the 10M-posting ledger");
    }
    drop(store);
    drop(db);
}

/// Goal 1: import ≥ 0.5 × bare binary COPY of the same rows; ratio to single-row inserts.
fn bulk_import(store: &mut PgStore, lines: usize) {
    ledger(store, "bulk");
    // Warm caches and plans with a small file first.
    store
        .import_file("bulk", bench::synthetic_batch("warm", "0099887766", 1_000))
        .expect("warm-up import");
    let batch = bench::synthetic_batch("bulk", RKUD, lines);
    let postings: usize = batch
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .map(|e| e.postings.len())
        .sum();

    let bare1 = bench::bare_copy(store, &batch, BareTarget::Logged).expect("bare copy");
    let temp = bench::bare_copy(store, &batch, BareTarget::Temp).expect("bare temp copy");
    let single = bench::single_row_inserts(store, &batch, 25_000.min(lines)).expect("inserts");
    let start = Instant::now();
    let out = store.import_file("bulk", batch.clone()).expect("import");
    let import = start.elapsed();
    assert_eq!(out.lines_new as usize, lines);
    let bare2 = bench::bare_copy(store, &batch, BareTarget::Logged).expect("bare copy");
    drop(batch);

    let bare = (bare1.elapsed + bare2.elapsed) / 2;
    let rate = |n: u64, d: Duration| n as f64 / secs(d);
    let kasda_rate = rate(postings as u64, import);
    let bare_rate = rate(bare1.postings, bare);
    let single_rate = rate(single.postings, single.elapsed);
    println!("\n## bulk import: {lines} lines, {postings} postings, one file");
    println!(
        "bare COPY (logged tables, same columns, no keys/indexes/triggers): {:.3}s and {:.3}s = {:.0} postings/s",
        secs(bare1.elapsed),
        secs(bare2.elapsed),
        bare_rate
    );
    println!(
        "bare COPY (temporary tables, no WAL, rolled back): {:.3}s = {:.0} postings/s",
        secs(temp.elapsed),
        rate(temp.postings, temp.elapsed)
    );
    println!(
        "single-row INSERTs (same rows, first {} lines, one transaction): {:.3}s = {:.0} postings/s",
        single.lines,
        secs(single.elapsed),
        single_rate
    );
    println!(
        "kasda import_file: {:.3}s = {:.0} postings/s ({} entries)",
        secs(import),
        kasda_rate,
        out.entries_appended
    );
    println!(
        "RESULT bulk_import kasda={kasda_rate:.0}/s bare_copy={bare_rate:.0}/s ratio={:.3} (goal >= 0.5); vs temp-table COPY {:.3}; vs single-row inserts {:.1}x",
        kasda_rate / bare_rate,
        kasda_rate / rate(temp.postings, temp.elapsed),
        kasda_rate / single_rate
    );
}

/// Goal 3: bytes per posting, all ledger tables with TOAST and indexes.
fn storage(store: &mut PgStore, when: &str) {
    let (sizes, postings) = bench::ledger_storage(store).expect("storage");
    let total: i64 = sizes.iter().map(|(_, b)| b).sum();
    println!("\n## storage {when}: {postings} postings, {total} bytes in ledger tables");
    for (t, b) in sizes.iter().filter(|(_, b)| *b > 1 << 20) {
        println!(
            "  {t:<20} {:>8.1} MiB  {:>6.1} bytes/posting",
            *b as f64 / (1 << 20) as f64,
            *b as f64 / postings.max(1) as f64
        );
    }
    println!(
        "RESULT storage ({when}) bytes_per_posting={:.1} (goal <= 300)",
        total as f64 / postings.max(1) as f64
    );
}

/// Goal 4b: verify ≥ 500,000 entries/s over 1,000,000 entries, beside a bare COPY TO STDOUT.
fn verify(store: &mut PgStore, entries: usize) {
    let have = store.verify("bulk").expect("verify").entries as usize;
    if have < entries {
        store
            .import_file(
                "bulk",
                bench::synthetic_batch("verify", RKUD, entries - have),
            )
            .expect("import for verify");
    }
    let mut runs = Vec::new();
    let mut bare = Vec::new();
    let mut count = 0;
    for _ in 0..3 {
        let b = bench::bare_copy_out(store, "bulk").expect("bare copy out");
        bare.push((b.elapsed, b.bytes));
        let start = Instant::now();
        let r = store.verify("bulk").expect("verify");
        runs.push(start.elapsed());
        assert!(r.first_bad.is_none(), "chain broken: {:?}", r.first_bad);
        count = r.entries;
    }
    let bytes = bare[0].1;
    let bare_t = median(bare.into_iter().map(|b| b.0).collect());
    let kasda_t = median(runs);
    println!("\n## verify: {count} entries");
    println!(
        "bare COPY TO STDOUT (binary, entries + postings, {:.1} MiB): {:.3}s = {:.0} entries/s",
        bytes as f64 / (1 << 20) as f64,
        secs(bare_t),
        count as f64 / secs(bare_t)
    );
    println!(
        "RESULT verify kasda={:.0} entries/s ({:.3}s) bare_copy_out={:.0} entries/s ratio={:.3} (goal >= 500000/s)",
        count as f64 / secs(kasda_t),
        secs(kasda_t),
        count as f64 / secs(bare_t),
        secs(bare_t) / secs(kasda_t)
    );
}

/// One single-entry append by writer `w`: bank fee debited from the hot RKUD account.
fn fee(w: usize, n: usize) -> NewEntry {
    let day = NaiveDate::from_ymd_opt(2026, 3, 1 + (n % 28) as u32).expect("date");
    let amount = Decimal::new(250_000 + n as i64, 2);
    NewEntry::from(
        JournalEntry::new(
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
        .expect("valid fee"),
    )
}

/// 8 writers, `per_writer` single-entry appends each into `ledger`, through `append`.
/// Returns (entries appended, errors, elapsed).
/// With `shared`, the writers are clones of one store (`PgStore::try_clone`) and share its
/// group commit; otherwise each connects on its own. Connected before the clock starts.
fn run_writers(
    url: &str,
    ledger: &str,
    per_writer: usize,
    append: AppendFn,
    shared: bool,
) -> (usize, Vec<String>, Duration) {
    let first = PgStore::connect(url).expect("connect");
    let mut stores: Vec<PgStore> = (1..WRITERS)
        .map(|_| {
            if shared {
                first.try_clone().expect("clone")
            } else {
                PgStore::connect(url).expect("connect")
            }
        })
        .collect();
    stores.push(first);
    let start = Instant::now();
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .into_iter()
            .enumerate()
            .map(|(w, mut s)| {
                scope.spawn(move || {
                    let mut ok = 0;
                    let mut errors = Vec::new();
                    for n in 0..per_writer {
                        match append(
                            &mut s,
                            ledger,
                            RunInfo::new(RunKind::Reconcile, format!("w{w}")),
                            vec![fee(w, n)],
                        ) {
                            Ok(o) if o.appended.len() == 1 => ok += 1,
                            Ok(o) => errors.push(format!("appended {:?}", o.appended)),
                            Err(e) => errors.push(e.to_string()),
                        }
                    }
                    (ok, errors)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect()
    });
    let elapsed = start.elapsed();
    let ok = results.iter().map(|r| r.0).sum();
    let errors = results.into_iter().flat_map(|r| r.1).collect();
    (ok, errors, elapsed)
}

/// Goal 2: 8 writers, single entries on one hot account, ≥ 4,000 entries/s; none lost or
/// doubled; the chain verifies. Beside a plain-table baseline and, in the same run, the
/// previous two-round-trip small append.
fn hot_writers(store: &mut PgStore, url: &str, per_writer: usize) {
    let base = bench::hot_writers_baseline(url, WRITERS, per_writer).expect("baseline");
    assert_eq!(base.rows as usize, WRITERS * per_writer);
    let base_rate = base.rows as f64 / secs(base.elapsed);
    println!("\n## hot account: {WRITERS} writers x {per_writer} single-entry appends");
    println!(
        "baseline (plain table with a primary key, one autocommit INSERT per row): {} rows in {:.3}s = {:.0} rows/s",
        base.rows,
        secs(base.elapsed),
        base_rate
    );
    let mut rates = Vec::new();
    let store_append: AppendFn = |s: &mut PgStore, l: &str, r, e| s.append_entries(l, r, e);
    for (code, label, append, shared) in [
        (
            "hot2",
            "two round trips (before migration 0002)",
            bench::append_two_trips as AppendFn,
            false,
        ),
        (
            "hot1",
            "one round trip (0002), a store per writer",
            store_append,
            false,
        ),
        (
            "hot",
            "kasda append_entries, group commit (0005): the writers share one store",
            store_append,
            true,
        ),
    ] {
        ledger(store, code);
        let (ok, errors, elapsed) = run_writers(url, code, per_writer, append, shared);
        let deadlocks = errors.iter().filter(|e| e.contains("deadlock")).count();
        let report = store.verify(code).expect("verify hot");
        let off = store.check_aggregates(code).expect("aggregates");
        let txs = bench::entry_transactions(store, code).expect("transactions");
        println!(
            "{label}: {ok} entries in {:.3}s = {:.0} entries/s in {txs} transactions; {} errors ({deadlocks} deadlocks); chain {} entries, {}; aggregates {}",
            secs(elapsed),
            ok as f64 / secs(elapsed),
            errors.len(),
            report.entries,
            match &report.first_bad {
                None => "verifies".to_string(),
                Some(f) => format!("BROKEN at {}", f.seq),
            },
            if off.is_empty() { "match postings".to_string() } else { format!("OFF in {} accounts", off.len()) }
        );
        for e in errors.iter().take(3) {
            println!("  error: {e}");
        }
        rates.push((
            ok as f64 / secs(elapsed),
            (report.entries as i64 - (WRITERS * per_writer) as i64).abs(),
            deadlocks,
        ));
    }
    let (before, _, _) = rates[0];
    let (one_trip, _, _) = rates[1];
    let (rate, lost, deadlocks) = rates[2];
    println!(
        "RESULT hot_writers kasda={rate:.0} entries/s baseline={base_rate:.0} rows/s ratio={:.3} one_round_trip={one_trip:.0} entries/s ({:.2}x) two_round_trips={before:.0} entries/s ({:.2}x) lost_or_doubled={lost} deadlocks={deadlocks} (goal >= 4000/s)",
        rate / base_rate,
        rate / one_trip.max(1e-9),
        rate / before.max(1e-9)
    );
}

/// Goal 4a: balance and as-of with 10M postings < 5 ms, beside a primary-key lookup.
fn balance(store: &mut PgStore, postings: usize) {
    ledger(store, "big");
    const FILE_LINES: usize = 250_000;
    let files = postings.div_ceil(2 * FILE_LINES);
    let start = Instant::now();
    for f in 0..files {
        let t = Instant::now();
        store
            .import_file(
                "big",
                bench::synthetic_batch(&format!("big-{f:03}"), RKUD, FILE_LINES),
            )
            .expect("build import");
        println!(
            "  built file {}/{files} in {:.1}s",
            f + 1,
            secs(t.elapsed())
        );
    }
    let built = start.elapsed();
    let entries = (files * FILE_LINES) as i64;
    let account = AccountKey::new(AccountKind::KasDaerah, RKUD);
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
    let known_at = chrono::Utc::now();
    let mut kasda = Vec::new();
    let mut pk = Vec::new();
    let mut value = Decimal::ZERO;
    for i in 0..200i64 {
        let t = Instant::now();
        value = store
            .balance("big", &account, Some(as_of), Some(known_at))
            .expect("balance");
        kasda.push(t.elapsed());
        pk.push(bench::pk_lookup(store, "big", 1 + (i * 7919) % entries).expect("pk lookup"));
    }
    let t = Instant::now();
    let now_value = store.balance("big", &account, None, None).expect("balance");
    let plain = t.elapsed();
    println!(
        "\n## balance: {} postings in ledger big (built in {:.0}s)",
        files * FILE_LINES * 2,
        secs(built)
    );
    println!(
        "balance of {account} as of {as_of} known at {known_at}: {value}; today: {now_value} ({:.3} ms)",
        secs(plain) * 1e3
    );
    let ms = |d: Duration| secs(d) * 1e3;
    println!(
        "RESULT balance kasda median={:.3} ms p95={:.3} ms; pk lookup median={:.3} ms p95={:.3} ms; ratio={:.2} (goal < 5 ms)",
        ms(median(kasda.clone())),
        ms(percentile(kasda.clone(), 0.95)),
        ms(median(pk.clone())),
        ms(percentile(pk.clone(), 0.95)),
        secs(median(kasda)) / secs(median(pk))
    );
}
