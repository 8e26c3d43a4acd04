//! Bulk import throughput against a bare binary COPY of the same rows.
//!
//! `cargo run --release -p kasda-store-postgres --example pg_bulk_import -- [lines]`
//! (server from KASDA_TEST_DATABASE_URL; a fresh database is created and dropped).
//! Prints lines/s for `import_file` (planning, hashing, keys, triggers, indexes, RLS-free
//! direct COPY) and for `bench::bare_copy`, and their ratio (goal ≥ 0.5).

use std::time::Instant;

use kasda_store::{LedgerInfo, Store};
use kasda_store_postgres::{bench, testing};

fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let mut store = testing::fresh_store();
    if let Err(e) = store.migrate().and_then(|_| {
        store.ensure_ledger(&LedgerInfo {
            code: "bench".into(),
            name: "Bench".into(),
        })
    }) {
        eprintln!("setup failed: {e}");
        std::process::exit(1);
    }
    // Warm up (catalog caches, first COPY) with a small file.
    let warm = bench::synthetic_batch("warm", "0099887766", 1_000);
    if let Err(e) = store.import_file("bench", warm) {
        eprintln!("warm-up import failed: {e}");
        std::process::exit(1);
    }
    let batch = bench::synthetic_batch("bulk", "0011223344", lines);
    let bare = match bench::bare_copy(&mut store, &batch, bench::BareTarget::Logged) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bare copy failed: {e}");
            std::process::exit(1);
        }
    };
    if std::env::var_os("KASDA_PG_EXPLAIN").is_some() {
        // Plans and timings of every statement over 200 ms, triggers included, in the server
        // log (superuser only).
        if let Err(e) = store.execute_sql(
            "LOAD 'auto_explain';
             SET auto_explain.log_min_duration = '200ms';
             SET auto_explain.log_analyze = on;
             SET auto_explain.log_nested_statements = on;",
        ) {
            eprintln!("auto_explain: {e}");
        }
    }
    let start = Instant::now();
    let mut stages = Vec::new();
    let mut hook = |stage| stages.push((stage, start.elapsed()));
    let out = match store.import_file_with_hook("bench", batch, &mut hook) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("import failed: {e}");
            std::process::exit(1);
        }
    };
    let import = start.elapsed();
    let rate = |d: std::time::Duration| lines as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "bare COPY : {lines} lines, {} entries, {} postings in {:.3}s = {:.0} lines/s",
        bare.entries,
        bare.postings,
        bare.elapsed.as_secs_f64(),
        rate(bare.elapsed)
    );
    println!(
        "import    : {} lines, {} entries in {:.3}s = {:.0} lines/s",
        out.lines_new,
        out.entries_appended,
        import.as_secs_f64(),
        rate(import)
    );
    for (stage, at) in &stages {
        println!("  {stage:?} at {:.3}s", at.as_secs_f64());
    }
    println!(
        "ratio     : {:.2} × bare COPY",
        bare.elapsed.as_secs_f64() / import.as_secs_f64().max(1e-9)
    );
}
