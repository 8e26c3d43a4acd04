//! Bulk write throughput on a database file:
//!
//! `cargo run --release -p kasda-store-sqlite --example bulk_import -- <lines> [import|append] [full|normal]`
//!
//! `import` (default) imports one synthetic statement of `<lines>` lines in one transaction:
//! each line is stored with its facts and one entry of two postings. `append` appends the same
//! entries without statement lines (the matching / opening-balance path). `normal` runs with
//! `synchronous=NORMAL` for comparison; the ledger's default is FULL. The lead's criterion
//! benchmarks are the reference figures; this is the quick check.

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
    let synchronous = match args.get(3).map(String::as_str) {
        Some("normal") => Synchronous::Normal,
        _ => Synchronous::Full,
    };
    let dir = std::env::temp_dir().join(format!("kasda-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bulk.db");
    let start = NaiveDate::from_ymd_opt(2026, 1, 2).ok_or("bad start date")?;
    let batch = synthetic::statement_batch("bulk", "0012345678", lines, start);
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
        store.import_file("bulk", batch)?.entries_appended
    };
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} entries, {} postings in {:.2} s: {:.0} postings/s (synchronous {:?})",
        entries,
        entries * 2,
        secs,
        (entries * 2) as f64 / secs,
        synchronous
    );
    let t = Instant::now();
    let report = store.verify("bulk")?;
    println!(
        "verify: {} entries in {:.2} s, clean: {}",
        report.entries,
        t.elapsed().as_secs_f64(),
        report.first_bad.is_none()
    );
    drop(store);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
