//! Bulk import into the embedded SQLite store beside a bare rusqlite insert loop of the same
//! postings in the same run (see BENCHMARKS.md). Both use a fresh database file per iteration,
//! WAL and `synchronous=FULL`, one transaction and prepared statements.
//!
//! `KASDA_BENCH_LINES` sets the statement lines per import (default 500 000 = 1 000 000 postings).

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kasda_store::{LedgerInfo, Store};
use kasda_store_sqlite::SqliteStore;

fn lines() -> usize {
    std::env::var("KASDA_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000)
}

fn bulk_import(c: &mut Criterion) {
    let n = lines();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let batch = kasda_store_sqlite::synthetic::statement_batch("bench", "1020010000001", n, start);
    let postings: u64 = batch
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .map(|e| e.postings.len() as u64)
        .sum();
    // The same rows as plain tuples for the baseline.
    let rows: Vec<(i64, i64, String, &'static str, i64)> = batch
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .enumerate()
        .flat_map(|(seq, e)| {
            e.postings.iter().enumerate().map(move |(idx, p)| {
                let sen = (p.amount * rust_decimal::Decimal::from(100))
                    .try_into()
                    .unwrap_or(0i64);
                (
                    seq as i64 + 1,
                    idx as i64,
                    p.account.to_string(),
                    p.side.as_str(),
                    sen,
                )
            })
        })
        .collect();

    let mut g = c.benchmark_group("sqlite_bulk_import");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    g.throughput(Throughput::Elements(postings));
    g.bench_function("baseline_rusqlite_insert_loop", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let mut conn = rusqlite::Connection::open(dir.path().join("bare.db")).expect("open");
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

criterion_group!(benches, bulk_import);
criterion_main!(benches);
