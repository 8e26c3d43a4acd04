//! The three storage-bound goals of issue #6 in one run, each beside its same-run baseline:
//! bulk import against a bare binary COPY of the same rows, bytes per posting per table and
//! per index, and `verify` against a bare binary `COPY … TO STDOUT` of the columns it reads.
//!
//! `cargo run --release -p kasda-store-postgres --example pg_storage -- [lines] [verify_entries]`
//! (defaults 500,000 lines = 1,000,000 postings, and 1,000,000 entries for verify: a second
//! file tops the ledger up). Server from KASDA_TEST_DATABASE_URL; a fresh database is created
//! and dropped.

use std::time::{Duration, Instant};

use kasda_store::{LedgerInfo, Store};
use kasda_store_postgres::{bench, testing, ImportStage};

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-9)
}

/// The process id of this session's server process.
fn backend_pid(store: &mut kasda_store_postgres::PgStore) -> Option<i64> {
    store.query_i64("SELECT pg_backend_pid()::bigint", &[]).ok()
}

/// CPU time (user + system) server process `pid` has used so far, from `/proc/<pid>/stat`:
/// known only when the server runs on this machine.
fn proc_cpu(pid: Option<i64>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The difference of two [`server_cpu`] readings, as text.
fn cpu_between(before: Option<f64>, after: Option<f64>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!("{:.2}s", a - b),
        _ => "n/a (server not local)".into(),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let lines = arg(1, 500_000);
    let verify_entries = arg(2, 1_000_000);
    let mut store = testing::fresh_store();
    store.migrate().expect("migrate");
    store
        .ensure_ledger(&LedgerInfo {
            code: "bulk".into(),
            name: "Bulk".into(),
        })
        .expect("ledger");
    store
        .import_file("bulk", bench::synthetic_batch("warm", "0099887766", 1_000))
        .expect("warm-up import");

    // 1. Import beside bare COPYs before and after it.
    let batch = bench::synthetic_batch("bulk", "0011223344", lines);
    let pid = backend_pid(&mut store);
    let cpu0 = proc_cpu(pid);
    let bare1 = bench::bare_copy(&mut store, &batch, bench::BareTarget::Logged).expect("bare");
    let cpu1 = proc_cpu(pid);
    // The server's CPU at each stage of the import's transaction; the last step is COMMIT with
    // its deferred checks and report aggregates.
    let mut stages: Vec<(&str, Option<f64>)> = Vec::new();
    let start = Instant::now();
    let out = store
        .import_file_with_hook("bulk", batch.clone(), &mut |stage| {
            let name = match stage {
                ImportStage::Planned => "plan",
                ImportStage::LinesWritten => "lines",
                ImportStage::DocumentsWritten => "documents",
                ImportStage::EntriesWritten => "entries",
            };
            stages.push((name, proc_cpu(pid)));
        })
        .expect("import");
    let import = start.elapsed();
    let cpu2 = proc_cpu(pid);
    stages.push(("commit", cpu2));
    let bare2 = bench::bare_copy(&mut store, &batch, bench::BareTarget::Logged).expect("bare");
    let cpu3 = proc_cpu(pid);
    store
        .execute_sql("DROP TABLE IF EXISTS bare_lines, bare_entries, bare_postings")
        .expect("drop bare");
    drop(batch);
    let postings = bare1.postings as f64;
    let bare = (bare1.elapsed + bare2.elapsed) / 2;
    println!(
        "import: {} lines, {} postings in {:.3}s = {:.0} postings/s; bare COPY {:.3}s and {:.3}s = {:.0} postings/s; ratio {:.3}",
        out.lines_new,
        bare1.postings,
        secs(import),
        postings / secs(import),
        secs(bare1.elapsed),
        secs(bare2.elapsed),
        postings / secs(bare),
        secs(bare) / secs(import)
    );
    println!(
        "import server CPU: {} (bare COPY {} and {}; the bare COPYs include creating and dropping their tables)",
        cpu_between(cpu1, cpu2),
        cpu_between(cpu0, cpu1),
        cpu_between(cpu2, cpu3)
    );
    let mut prev = cpu1;
    let by_stage: Vec<String> = stages
        .iter()
        .map(|(name, cpu)| {
            let part = format!("{name} {}", cpu_between(prev, *cpu));
            prev = *cpu;
            part
        })
        .collect();
    println!("import server CPU by stage: {}", by_stage.join(", "));

    // 2. Storage, per table and per index.
    let parts = bench::storage_breakdown(&mut store).expect("storage");
    let n = store
        .query_i64("SELECT count(*) FROM postings", &[])
        .expect("count") as f64;
    let total: i64 = parts.iter().map(|p| p.2).sum();
    println!(
        "storage: {n} postings, {total} bytes = {:.1} bytes/posting",
        total as f64 / n
    );
    let mut table = String::new();
    let mut sum = 0i64;
    for (t, rel, b) in &parts {
        if *t != table {
            if sum > 0 {
                println!("  {table:<20} total {:>7.1} B/posting", sum as f64 / n);
            }
            table = t.clone();
            sum = 0;
        }
        sum += b;
        if *b > 1 << 16 {
            println!("    {t:<20} {rel:<36} {:>7.1} B/posting", *b as f64 / n);
        }
    }
    println!("  {table:<20} total {:>7.1} B/posting", sum as f64 / n);

    // 3. Verify beside a bare COPY TO of what it reads.
    let have = store.verify("bulk").expect("verify").entries as usize;
    if have < verify_entries {
        store
            .import_file(
                "bulk",
                bench::synthetic_batch("verify", "0011223344", verify_entries - have),
            )
            .expect("top-up import");
    }
    let (mut runs, mut bare, mut bytes, mut count) = (Vec::new(), Vec::new(), 0, 0);
    for _ in 0..3 {
        let b = bench::bare_copy_out(&mut store, "bulk").expect("bare copy out");
        bare.push(b.elapsed);
        bytes = b.bytes;
        let start = Instant::now();
        let r = store.verify("bulk").expect("verify");
        runs.push(start.elapsed());
        assert!(r.first_bad.is_none(), "{:?}", r.first_bad);
        count = r.entries;
    }
    let (k, b) = (median(runs), median(bare));
    println!(
        "verify: {count} entries in {:.3}s = {:.0} entries/s; bare COPY TO ({:.1} MiB) {:.3}s = {:.0} entries/s; ratio {:.3}",
        secs(k),
        count as f64 / secs(k),
        bytes as f64 / (1 << 20) as f64,
        secs(b),
        count as f64 / secs(b),
        secs(b) / secs(k)
    );
}
