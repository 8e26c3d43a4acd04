//! Bulk import into the embedded SQLite store beside a bare rusqlite insert loop of the same
//! postings in the same run (see BENCHMARKS.md). Both use a fresh database file per iteration,
//! WAL and `synchronous=FULL`, one transaction and prepared statements.
//!
//! `KASDA_BENCH_LINES` sets the statement lines per import (default 500 000 = 1 000 000 postings).
//!
//! Two more groups:
//! * `sqlite_balance_10m`: `balance(account, as_of)` and `balance(account, as_of, known_at)` on a
//!   ledger of 10 000 000 postings (`KASDA_BENCH_BALANCE_POSTINGS`), beside a bare one-row
//!   primary-key `SELECT` on the same database. The database is built once and kept under
//!   `target/kasda-bench/`, its name keyed by the schema's checksum and the size.
//! * Storage (printed, not timed): database bytes per posting after one import of the bulk
//!   workload, with every index and with the secondary indexes dropped, beside the bare table.

use std::hint::black_box;
use std::time::Duration;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kasda_core::ledger::{AccountKey, AccountKind};
use kasda_store::{LedgerInfo, Store};
use kasda_store_sqlite::{migrate, OpenOptions, SqliteStore, Synchronous};

const LEDGER: &str = "36.73";
const BANK_ACCOUNT: &str = "1020010000001";

fn lines() -> usize {
    std::env::var("KASDA_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000)
}

fn bulk_import(c: &mut Criterion) {
    let n = lines();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let batch = kasda_store_sqlite::synthetic::statement_batch("bench", BANK_ACCOUNT, n, start);
    let postings: u64 = batch
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .map(|e| e.postings.len() as u64)
        .sum();
    // The same rows as plain tuples for the baseline.
    let rows = kasda_store_sqlite::synthetic::bare_posting_rows(&batch);

    let mut g = c.benchmark_group("sqlite_bulk_import");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.throughput(Throughput::Elements(postings));
    g.bench_function("baseline_rusqlite_insert_loop", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let mut conn = rusqlite::Connection::open(dir.path().join("bare.db")).expect("open");
                // The store's page size, so the two differ only in what is written.
                conn.pragma_update(None, "page_size", kasda_store_sqlite::NEW_DATABASE_PAGE_SIZE)
                    .expect("page size");
                conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
                conn.pragma_update(None, "synchronous", "FULL").expect("sync");
                conn.execute_batch(
                    "CREATE TABLE postings (ledger TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL,
                       account TEXT NOT NULL, side TEXT NOT NULL, amount INTEGER NOT NULL,
                       PRIMARY KEY (ledger, seq, idx))",
                )
                .expect("schema");
                let tx = conn.transaction().expect("tx");
                {
                    let mut st = tx
                        .prepare("INSERT INTO postings VALUES ('36.73', ?1, ?2, ?3, ?4, ?5)")
                        .expect("prepare");
                    for r in &rows {
                        st.execute(rusqlite::params![r.0, r.1, r.2, r.3, r.4]).expect("insert");
                    }
                }
                tx.commit().expect("commit");
                black_box(dir)
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("kasda_import_file", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let mut store = SqliteStore::open(dir.path().join("kasda.db")).expect("open");
                store.migrate().expect("migrate");
                store
                    .ensure_ledger(&LedgerInfo {
                        code: "36.73".into(),
                        name: "bench".into(),
                    })
                    .expect("ledger");
                (dir, store, batch.clone())
            },
            |(dir, mut store, batch)| {
                let out = store.import_file("36.73", batch).expect("import");
                assert_eq!(out.lines_new as usize, n);
                black_box((dir, out))
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Bytes of a database file once its WAL is folded in.
fn db_bytes(conn: &rusqlite::Connection) -> u64 {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page_count");
    let size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page_size");
    (pages * size) as u64
}

/// Database bytes per posting after importing the bulk workload once (kasda, with and without
/// its secondary indexes) beside the bare table of the same postings. Printed, not timed.
fn storage(_c: &mut Criterion) {
    let n = lines();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let batch = kasda_store_sqlite::synthetic::statement_batch("bench", BANK_ACCOUNT, n, start);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(dir.path().join("kasda.db")).expect("open");
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "bench".into(),
        })
        .expect("ledger");
    let out = store.import_file(LEDGER, batch).expect("import");
    let postings = out.entries_appended * 2;
    let with_indexes = db_bytes(store.connection());
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("kasda.db")).expect("reopen");
    let indexes: Vec<String> = {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")
            .expect("indexes");
        let names = st
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<Vec<String>, _>>()
            .expect("names");
        names
    };
    for name in &indexes {
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))
            .expect("drop index");
    }
    conn.execute_batch("VACUUM").expect("vacuum");
    let without = db_bytes(&conn);
    drop(conn);

    let bare = rusqlite::Connection::open(dir.path().join("bare.db")).expect("bare");
    bare.pragma_update(
        None,
        "page_size",
        kasda_store_sqlite::NEW_DATABASE_PAGE_SIZE,
    )
    .expect("page size");
    bare.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE postings (ledger TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL,
           account TEXT NOT NULL, side TEXT NOT NULL, amount INTEGER NOT NULL,
           PRIMARY KEY (ledger, seq, idx));
         BEGIN;",
    )
    .expect("bare schema");
    {
        let mut st = bare
            .prepare("INSERT INTO postings VALUES ('36.73', ?1, ?2, ?3, ?4, ?5)")
            .expect("prepare");
        for seq in 1..=(postings / 2) as i64 {
            for idx in 0..2i64 {
                let account = if idx == 0 {
                    "kas/1020010000001"
                } else {
                    "suspense/1020010000001"
                };
                let side = if idx == 0 { "debit" } else { "credit" };
                st.execute(rusqlite::params![seq, idx, account, side, 1_000_000 + seq])
                    .expect("insert");
            }
        }
    }
    bare.execute_batch("COMMIT").expect("commit");
    let bare_bytes = db_bytes(&bare);
    let per = |b: u64| b as f64 / postings.max(1) as f64;
    println!(
        "storage after importing {n} lines ({postings} postings): kasda {with_indexes} bytes = {:.0} bytes/posting \
         with every index ({} secondary indexes), {without} bytes = {:.0} bytes/posting without them; \
         bare postings table {bare_bytes} bytes = {:.0} bytes/posting (ratio {:.2} with indexes)",
        per(with_indexes),
        indexes.len(),
        per(without),
        per(bare_bytes),
        per(with_indexes) / per(bare_bytes)
    );
}

fn balance_postings() -> usize {
    std::env::var("KASDA_BENCH_BALANCE_POSTINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000)
}

/// The cached ledger of `postings` postings: built by importing files of up to 500,000 lines
/// (one per 500 days, all on the same bank account, so the RKUD account has a long history),
/// under a name keyed by the schema checksum; written to a temporary name and renamed when
/// complete, so an interrupted build is never reused.
fn balance_db(postings: usize) -> PathBuf {
    let schema: String = migrate::MIGRATIONS
        .iter()
        .map(|m| migrate::checksum(m.sql))
        .collect::<Vec<_>>()
        .join("");
    let key = &migrate::checksum(&schema)[..16];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/kasda-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("sqlite-balance-{key}-{postings}.db"));
    if path.exists() {
        return path;
    }
    let partial = dir.join(format!("sqlite-balance-{key}-{postings}.partial.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    let mut store = SqliteStore::open_with(
        &partial,
        OpenOptions {
            synchronous: Synchronous::Normal,
            ..OpenOptions::default()
        },
    )
    .expect("open");
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "bench".into(),
        })
        .expect("ledger");
    let mut left = postings / 2;
    let mut start = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let mut file = 0;
    while left > 0 {
        let n = left.min(500_000);
        let batch = kasda_store_sqlite::synthetic::statement_batch(
            &format!("balance-{file}"),
            BANK_ACCOUNT,
            n,
            start,
        );
        store.import_file(LEDGER, batch).expect("import");
        left -= n;
        file += 1;
        start += chrono::Duration::days(500);
    }
    store
        .connection()
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    drop(store);
    std::fs::rename(&partial, &path).expect("rename");
    path
}

fn balance_10m(c: &mut Criterion) {
    let postings = balance_postings();
    let path = balance_db(postings);
    let mut store = SqliteStore::open(&path).expect("open");
    let entries = store.entry_count(LEDGER).expect("count");
    assert_eq!(entries as usize * 2, postings, "cached ledger size");
    let kas = AccountKey::new(AccountKind::KasDaerah, BANK_ACCOUNT);
    let (last_day, runs): (String, i64) = store
        .connection()
        .query_row(
            "SELECT (SELECT max(booked_on) FROM entries WHERE ledger = ?1),
                    (SELECT count(*) FROM runs WHERE ledger = ?1)",
            [LEDGER],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("ledger facts");
    // Known at: when the middle import committed, so the later imports' movements are removed.
    let mid_run_at: i64 = store
        .connection()
        .query_row(
            "SELECT finished_at FROM runs WHERE ledger = ?1 ORDER BY run_id LIMIT 1 OFFSET ?2",
            rusqlite::params![LEDGER, runs / 2],
            |r| r.get(0),
        )
        .expect("middle run");
    let last = NaiveDate::parse_from_str(&last_day, "%Y-%m-%d").expect("day");
    // Late in the history: the as-of sum covers nearly every day of the account.
    let as_of = last - chrono::Duration::days(30);
    let known_at = DateTime::from_timestamp_micros(mid_run_at).expect("time");
    let bare =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("bare open");
    let account_id: i64 = bare
        .query_row(
            "SELECT account_id FROM accounts WHERE ledger = ?1 AND key = ?2",
            rusqlite::params![LEDGER, kas.to_string()],
            |r| r.get(0),
        )
        .expect("account id");
    let day = as_of.format("%Y-%m-%d").to_string();
    let now = store
        .balance(LEDGER, &kas, Some(as_of), None)
        .expect("balance");
    let then = store
        .balance(LEDGER, &kas, Some(as_of), Some(known_at))
        .expect("balance known at");
    println!(
        "balance ledger: {entries} entries / {} postings in {}; kas balance as of {as_of}: {now}, \
         as known at {known_at}: {then}",
        entries * 2,
        path.display()
    );

    let mut g = c.benchmark_group("sqlite_balance_10m");
    g.sample_size(100).measurement_time(Duration::from_secs(5));
    g.bench_function("baseline_primary_key_select", |b| {
        let mut st = bare
            .prepare(
                "SELECT debit FROM account_day_balances
                 WHERE ledger = ?1 AND account_id = ?2 AND currency = 'IDR' AND day = ?3",
            )
            .expect("prepare");
        b.iter(|| {
            let v: i64 = st
                .query_row(rusqlite::params![LEDGER, account_id, day], |r| r.get(0))
                .expect("row");
            black_box(v)
        })
    });
    g.bench_function("kasda_balance_as_of", |b| {
        b.iter(|| {
            black_box(
                store
                    .balance(LEDGER, &kas, Some(as_of), None)
                    .expect("balance"),
            )
        })
    });
    g.bench_function("kasda_balance_as_of_known_at", |b| {
        b.iter(|| {
            black_box(
                store
                    .balance(LEDGER, &kas, Some(as_of), Some(known_at))
                    .expect("balance"),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bulk_import, storage, balance_10m);
criterion_main!(benches);
