//! Reconciliation at scale, stores included: the `scale` example's workload (N receipts, their
//! statement lines) imported into a fresh SQLite store, then the stages of `kasda reconcile`
//! timed separately — load the period through `kasda_recon::load::load_input` (the loader
//! `kasda reconcile` and `kasda demo` use), reconcile turning each match into its entries as it
//! is handed out (as `kasda reconcile` does), append them, and record the findings — beside a
//! bare hash join of the same references over the loaded facts, in the same process. Wall and
//! CPU time per stage, and the peak resident memory after each. The import itself is timed but
//! not counted, and the peak is reset after it where Linux allows.
//!
//! `cargo run --release -p kasda-recon --example scale_store -- 100000`

use std::hint::black_box;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use kasda_recon::load::{load_input, LoadOptions};
use kasda_recon::{workload, ReconConfig, WeekdayCalendar};
use kasda_store::{FindingInput, LedgerInfo, NewEntry, RunInfo, RunKind, Store};
use kasda_store_sqlite::SqliteStore;

/// Peak resident set size of this process so far, in MiB (`VmHWM`), when the OS reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time this thread has run so far, in seconds (`/proc/thread-self/schedstat`, ns).
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// CPU seconds since `start` (NaN when the OS does not report it).
fn cpu_since(start: Option<f64>) -> f64 {
    thread_cpu_s().zip(start).map_or(f64::NAN, |(b, a)| b - a)
}

const LEDGER: &str = "36.73";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = SqliteStore::open(dir.path().join("kasda.db")).expect("open");
    store.migrate().expect("migrate");
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "bench".into(),
        })
        .expect("ledger");
    let t = Instant::now();
    workload::import_into(&mut store, LEDGER, n, "recon-bench").expect("import the workload");
    let import = t.elapsed();
    let import_peak = peak_rss_mib().unwrap_or(f64::NAN);
    // The import is not counted: start the peak over (Linux: `5` to clear_refs resets VmHWM).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();

    let cfg = ReconConfig::default();
    let cal = WeekdayCalendar::new(Vec::new());
    let from = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
    let as_of = NaiveDate::from_ymd_opt(2026, 4, 10).expect("date");

    let t = Instant::now();
    let c = thread_cpu_s();
    let input =
        load_input(&mut store, LEDGER, from, to, as_of, LoadOptions::default()).expect("load");
    let load = t.elapsed().as_secs_f64();
    let load_cpu = cpu_since(c);
    let load_peak = peak_rss_mib().unwrap_or(f64::NAN);

    // The baseline over the loaded facts: the NTB in each narrative joined to the receipts.
    let t = Instant::now();
    let c = thread_cpu_s();
    black_box(workload::bare_ntb_join(&input));
    let baseline = t.elapsed().as_secs_f64();
    let baseline_cpu = cpu_since(c);

    // As `kasda reconcile` runs it: each match turned into its entries as it is handed out.
    let t = Instant::now();
    let c = thread_cpu_s();
    let mut entries = Vec::new();
    let mut n_matches = 0usize;
    let out = kasda_recon::reconcile_each(&input, &cfg, &cal, |m| {
        n_matches += 1;
        let built = kasda_recon::match_entries(&m).expect("match entries");
        for (i, entry) in built.into_iter().enumerate() {
            let joins = if i == 0 {
                m.line_ids.iter().chain(&m.document_ids).cloned().collect()
            } else {
                Vec::new()
            };
            entries.push(NewEntry { entry, joins });
        }
    });
    let reconcile = t.elapsed().as_secs_f64();
    let reconcile_cpu = cpu_since(c);
    let reconcile_peak = peak_rss_mib().unwrap_or(f64::NAN);
    let n_lines = input.lines.len();
    drop(input);
    let t = Instant::now();
    let appended = store
        .append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "bench"), entries)
        .expect("append");
    let append = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let findings: Vec<FindingInput> = out
        .findings
        .iter()
        .map(|f| FindingInput {
            id: f.id.clone(),
            rule: f.finding_type.as_str().to_string(),
            severity: f.severity.as_str().to_string(),
            status: kasda_store::FindingStatus::Open,
            summary: f.explanation.clone(),
            amount: Some(f.amount),
            as_of: f.first_seen,
            details: serde_json::to_value(f).unwrap_or_default(),
        })
        .collect();
    store
        .record_findings(LEDGER, appended.run_id, &findings)
        .expect("record findings");
    let record = t.elapsed().as_secs_f64();
    let total = load + reconcile + append + record;
    let peak = peak_rss_mib().unwrap_or(f64::NAN);
    println!(
        "stores included (SQLite), {n} receipts, {n_lines} lines: load {load:.3} s (cpu {load_cpu:.3} s) | reconcile with match entries {reconcile:.3} s (cpu {reconcile_cpu:.3} s; {n_matches} matches, {} findings) | append {append:.3} s ({} entries) | record findings {record:.3} s | total {total:.3} s = {:.1}x the bare hash join ({baseline:.3} s, cpu {baseline_cpu:.3} s); import (not counted) {:.1} s, peak RSS then {import_peak:.0} MiB{}; peak RSS after load {load_peak:.0} MiB, after reconcile {reconcile_peak:.0} MiB, at the end {peak:.0} MiB; {}",
        out.findings.len(),
        appended.appended.len(),
        total / baseline.max(1e-9),
        import.as_secs_f64(),
        if reset { " (reset after it)" } else { " (could not reset: later peaks include it)" },
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
}
