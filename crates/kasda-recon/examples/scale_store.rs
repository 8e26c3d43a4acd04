//! Reconciliation at scale, stores included: the `scale` example's workload (N receipts, their
//! statement lines) imported into a fresh SQLite store, then the stages of `kasda reconcile`
//! timed separately — load the period through `kasda_recon::load::load_input` (the loader
//! `kasda reconcile` and `kasda demo` use), reconcile, build the match entries, append them, and
//! record the findings — beside a bare hash join of the same references in the same process.
//! The import itself is timed but not counted.
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

const LEDGER: &str = "36.73";

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let inp = workload::scale_input(n);
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
    workload::import_into(&mut store, LEDGER, &inp, "recon-bench").expect("import the workload");
    let import = t.elapsed();

    let t = Instant::now();
    black_box(workload::bare_ntb_join(&inp));
    let baseline = t.elapsed().as_secs_f64();
    drop(inp);

    let cfg = ReconConfig::default();
    let cal = WeekdayCalendar::new(Vec::new());
    let from = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2026, 3, 31).expect("date");
    let as_of = NaiveDate::from_ymd_opt(2026, 4, 10).expect("date");

    let t = Instant::now();
    let input =
        load_input(&mut store, LEDGER, from, to, as_of, LoadOptions::default()).expect("load");
    let load = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let out = kasda_recon::reconcile(&input, &cfg, &cal);
    let reconcile = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut entries = Vec::new();
    for m in &out.matches {
        let built = kasda_recon::match_entries(m).expect("match entries");
        for (i, entry) in built.into_iter().enumerate() {
            let joins = if i == 0 {
                m.line_ids.iter().chain(&m.document_ids).cloned().collect()
            } else {
                Vec::new()
            };
            entries.push(NewEntry { entry, joins });
        }
    }
    let build = t.elapsed().as_secs_f64();
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
    let total = load + reconcile + build + append + record;
    let peak = peak_rss_mib().unwrap_or(f64::NAN);
    println!(
        "stores included (SQLite), {n} receipts, {} lines: load {load:.3} s | reconcile {reconcile:.3} s ({} matches, {} findings) | match entries {build:.3} s | append {append:.3} s ({} entries) | record findings {record:.3} s | total {total:.3} s = {:.1}x the bare hash join ({baseline:.3} s); import (not counted) {:.1} s; peak RSS {peak:.0} MiB; {}",
        input.lines.len(),
        out.matches.len(),
        out.findings.len(),
        appended.appended.len(),
        total / baseline.max(1e-9),
        import.as_secs_f64(),
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
}
