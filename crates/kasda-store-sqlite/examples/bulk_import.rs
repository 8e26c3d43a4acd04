//! Bulk write throughput on a database file:
//!
//! `cargo run --release -p kasda-store-sqlite --example bulk_import -- <lines> [import|append] [full|normal]`
//!
//! `import` (default) imports one synthetic statement of `<lines>` lines in one transaction:
//! each line is stored with its facts and one entry of two postings. `append` appends the same
//! entries without statement lines (the matching / opening-balance path). `bare` is the
//! benchmark's baseline: the same postings through a bare rusqlite insert loop into one table
//! (WAL, the same `synchronous` and page size, one transaction, one prepared statement). `normal` runs with
//! `synchronous=NORMAL` for comparison; the ledger's default is FULL. With `KASDA_BULK_TABLES`
//! set it folds the WAL in and prints the bytes per posting of every table and index (SQLite's
//! `dbstat`), which is where the write volume of an import goes. An import also prints its row
//! phase and its commit apart, with the process CPU and the time spent waiting for a core (on a
//! shared machine most of the wall time can be that wait), and the CPU of the SQLite thread alone
//! (a file of new lines is prepared on a second thread), the import's critical path. The lead's criterion benchmarks are
//! the reference figures; this is the quick check.

use std::time::Instant;

use chrono::NaiveDate;
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store};
use kasda_store_sqlite::{synthetic, OpenOptions, SqliteStore, Synchronous};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let lines: usize = args
        .get(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(500_000);
    let append = args.get(2).map(String::as_str) == Some("append");
    let bare = args.get(2).map(String::as_str) == Some("bare");
    let synchronous = match args.get(3).map(String::as_str) {
        Some("normal") => Synchronous::Normal,
        _ => Synchronous::Full,
    };
    let dir = std::env::temp_dir().join(format!("kasda-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bulk.db");
    let start = NaiveDate::from_ymd_opt(2026, 1, 2).ok_or("bad start date")?;
    let batch = synthetic::statement_batch("bulk", "0012345678", lines, start);
    if bare {
        let r = bare_loop(&path, &batch, synchronous);
        std::fs::remove_dir_all(&dir)?;
        return r;
    }
    let mut store = SqliteStore::open_with(
        &path,
        OpenOptions {
            synchronous,
            ..OpenOptions::default()
        },
    )?;
    store.ensure_ledger(&LedgerInfo {
        code: "bulk".into(),
        name: "Bulk".into(),
    })?;
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let thread0 = thread_cpu_seconds();
    let wait0 = run_queue_wait();
    let entries = if append {
        let entries: Vec<NewEntry> = batch
            .statements
            .iter()
            .flat_map(|s| s.lines.iter())
            .filter_map(|l| l.entry.clone())
            .map(NewEntry::from)
            .collect();
        let t = Instant::now();
        let out =
            store.append_entries("bulk", RunInfo::new(RunKind::Reconcile, "bulk"), entries)?;
        println!(
            "append: {} entries in {:.2} s",
            out.appended.len(),
            t.elapsed().as_secs_f64()
        );
        out.appended.len() as u64
    } else {
        // The hook runs inside the transaction after the last row, so the rows and the commit
        // (WAL write, fsync and the checkpoint it triggers) are timed apart.
        let mut rows_done = None;
        let out = store.import_with_hook("bulk", &batch, |_| {
            rows_done = Some((
                t.elapsed().as_secs_f64(),
                cpu_seconds(),
                thread_cpu_seconds(),
                run_queue_wait(),
            ));
        })?;
        if let Some((at, cpu, thread, waited)) = rows_done {
            let commit = t.elapsed().as_secs_f64() - at;
            let cpu = cpu.zip(cpu0).map(|(b, a)| b - a);
            let thread = thread.zip(thread0).map(|(b, a)| b - a);
            let waited = waited.zip(wait0).map(|(b, a)| b - a);
            let show = |v: Option<f64>| v.map_or("unknown".to_string(), |c| format!("{c:.2} s"));
            println!(
                "rows written in {at:.2} s (process CPU {}, SQLite thread CPU {}, waiting for a core {}), commit {commit:.2} s",
                show(cpu),
                show(thread),
                show(waited)
            );
            if let Some(th) = thread {
                // The rows on the SQLite thread's CPU, plus the commit as measured.
                let critical = th + commit;
                println!(
                    "critical path (SQLite thread CPU + commit) {critical:.2} s = {:.0} postings/s with a free second core",
                    (out_postings(&batch)) as f64 / critical
                );
            }
        }
        out.entries_appended
    };
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    println!(
        "{} entries, {} postings in {:.2} s: {:.0} postings/s (synchronous {:?}); process CPU {}",
        entries,
        entries * 2,
        secs,
        (entries * 2) as f64 / secs,
        synchronous,
        cpu.map_or("unknown".to_string(), |c| format!(
            "{c:.2} s = {:.0} postings per CPU second",
            (entries * 2) as f64 / c
        ))
    );
    let size: u64 = ["bulk.db", "bulk.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "database + WAL: {} bytes = {:.0} bytes/posting",
        size,
        size as f64 / (entries * 2).max(1) as f64
    );
    if std::env::var_os("KASDA_BULK_TABLES").is_some() {
        table_bytes(store.connection(), entries * 2)?;
    }
    let t = Instant::now();
    let report = store.verify("bulk")?;
    println!(
        "verify: {} entries in {:.2} s, clean: {}",
        report.entries,
        t.elapsed().as_secs_f64(),
        report.first_bad.is_none()
    );
    drop(store);
    if std::env::var_os("KASDA_BULK_KEEP").is_some() {
        println!("kept {}", path.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// Postings of the batch's entries.
fn out_postings(batch: &kasda_store::ImportBatch) -> usize {
    batch
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .map(|e| e.postings.len())
        .sum()
}

/// The baseline: every posting of the batch as one row of a plain table, inserted in a loop.
fn bare_loop(
    path: &std::path::Path,
    batch: &kasda_store::ImportBatch,
    synchronous: Synchronous,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = kasda_store_sqlite::synthetic::bare_posting_rows(batch);
    let mut conn = rusqlite::Connection::open(path)?;
    // The store's page size, so the two differ only in what is written.
    conn.pragma_update(
        None,
        "page_size",
        kasda_store_sqlite::NEW_DATABASE_PAGE_SIZE,
    )?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    let sync = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.execute_batch(
        "CREATE TABLE postings (ledger TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL,
           account TEXT NOT NULL, side TEXT NOT NULL, amount INTEGER NOT NULL,
           PRIMARY KEY (ledger, seq, idx))",
    )?;
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare("INSERT INTO postings VALUES ('bulk', ?1, ?2, ?3, ?4, ?5)")?;
        for r in &rows {
            st.execute(rusqlite::params![r.0, r.1, r.2, r.3, r.4])?;
        }
    }
    tx.commit()?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    println!(
        "bare loop: {} postings in {secs:.2} s: {:.0} postings/s (synchronous {synchronous:?}); process CPU {}",
        rows.len(),
        rows.len() as f64 / secs,
        cpu.map_or("unknown".to_string(), |c| format!(
            "{c:.2} s = {:.0} postings per CPU second",
            rows.len() as f64 / c
        ))
    );
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`), so a figure taken
/// on a busy machine can be read without the time spent waiting for a core.
fn cpu_seconds() -> Option<f64> {
    stat_cpu_seconds("/proc/self/stat")
}

/// User + system CPU seconds of the calling thread so far (`/proc/thread-self/stat`). An import
/// of new lines runs SQLite on this thread and prepares rows on a second one: this thread is the
/// critical path, the wall time of the rows when the second thread has a core of its own.
fn thread_cpu_seconds() -> Option<f64> {
    stat_cpu_seconds("/proc/thread-self/stat")
}

fn stat_cpu_seconds(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Seconds this thread spent runnable but waiting for a core (Linux `/proc/thread-self/schedstat`,
/// second field, nanoseconds): on a shared machine, the part of the wall time that is neither
/// this import's CPU nor its I/O.
fn run_queue_wait() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().nth(1)?.parse().ok()?;
    Some(ns / 1e9)
}

/// Bytes per posting of each table and index after folding the WAL into the database file.
fn table_bytes(
    conn: &rusqlite::Connection,
    postings: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mut st = conn.prepare(
        "SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name ORDER BY 2 DESC",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let per = |b: i64| b as f64 / postings.max(1) as f64;
    let total: i64 = rows.iter().map(|r| r.1).sum();
    println!(
        "database after checkpoint: {total} bytes = {:.0} bytes/posting",
        per(total)
    );
    for (name, pages, payload) in rows.iter().filter(|r| per(r.1) >= 0.5) {
        println!(
            "  {name:<40} {:>7.1} bytes/posting in pages ({:.1} payload)",
            per(*pages),
            per(*payload)
        );
    }
    Ok(())
}
