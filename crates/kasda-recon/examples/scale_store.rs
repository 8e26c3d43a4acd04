//! Reconciliation at scale, stores included: the `scale` example's workload (N receipts, their
//! statement lines) imported into a SQLite store, then the stages of `kasda reconcile` timed
//! separately — load the period through `kasda_recon::load::load_input` (the loader `kasda
//! reconcile` and `kasda demo` use; the store hands rows out one by one), run the rules
//! (`Reconciled::new`), build every match's entries (once on their own, to time them), build
//! them again and append them, and record the findings — beside a bare hash join of the same
//! references over the loaded facts, in the same process. Wall and CPU time per stage, and the
//! peak resident memory after each.
//!
//! The measured stages run in a process of their own, started on the imported database: the
//! import's freed memory stays in a process's heap, and would count in every later peak.
//!
//! Append modes: `stream` (default) writes each match's entries while the store appends them
//! (`Store::append_entries_from`), so they are never all held; `collect` builds every entry
//! first and appends the list (`Store::append_entries`). `rows` measures only what the loader
//! read before it streamed: every line and document of the period as full rows
//! (`Store::statement_lines`, `Store::documents`), held together.
//!
//! ```text
//! cargo run --release -p kasda-recon --example scale_store -- 1000000 [stream|collect|rows]
//! scale_store import N DB               # import the workload into a new database file DB
//! scale_store run N DB [stream|collect|rows]   # measure on DB (appends to it)
//! ```

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use kasda_recon::load::{load_input, new_entries, LoadOptions};
use kasda_recon::{workload, Match, ReconConfig, Reconciled, WeekdayCalendar};
use kasda_store::{FindingInput, LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
use kasda_store_sqlite::SqliteStore;

/// Peak resident set size of this process so far, in MiB (`VmHWM`), when the OS reports it.
fn peak_rss_mib() -> f64 {
    let read = || -> Option<f64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    read().unwrap_or(f64::NAN)
}

/// CPU time this thread has run so far, in seconds (`/proc/thread-self/schedstat`, ns).
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Wall and CPU seconds of one stage.
struct Stage {
    wall: Instant,
    cpu: Option<f64>,
}

impl Stage {
    fn start() -> Self {
        Stage {
            wall: Instant::now(),
            cpu: thread_cpu_s(),
        }
    }

    /// `(wall, cpu)` seconds since the start (cpu NaN when the OS does not report it).
    fn done(&self) -> (f64, f64) {
        let cpu = thread_cpu_s()
            .zip(self.cpu)
            .map_or(f64::NAN, |(b, a)| b - a);
        (self.wall.elapsed().as_secs_f64(), cpu)
    }
}

const LEDGER: &str = "36.73";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |s: Option<&String>| s.and_then(|a| a.parse::<usize>().ok());
    match args.first().map(String::as_str) {
        Some("import") => {
            let (Some(n), Some(db)) = (number(args.get(1)), args.get(2)) else {
                usage()
            };
            import(n, Path::new(db));
        }
        Some("run") => {
            let (Some(n), Some(db)) = (number(args.get(1)), args.get(2)) else {
                usage()
            };
            measure(
                n,
                Path::new(db),
                args.get(3).map_or("stream", String::as_str),
            );
        }
        _ => {
            let n = number(args.first()).unwrap_or(100_000);
            let mode = args.get(1).map_or("stream", String::as_str);
            let dir = tempfile::tempdir().expect("tempdir");
            let db = dir.path().join("kasda.db");
            import(n, &db);
            let exe = std::env::current_exe().expect("own path");
            let status = std::process::Command::new(exe)
                .args(["run", &n.to_string()])
                .arg(&db)
                .arg(mode)
                .status()
                .expect("start the measuring process");
            if !status.success() {
                std::process::exit(status.code().unwrap_or(1));
            }
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: scale_store [N [stream|collect|rows]] | import N DB | run N DB [stream|collect|rows]");
    std::process::exit(2)
}

/// The workload of `n` receipts imported into a new database `db`.
fn import(n: usize, db: &Path) {
    let mut store = SqliteStore::open(db).expect("open");
    store.migrate().expect("migrate");
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "bench".into(),
        })
        .expect("ledger");
    let t = Stage::start();
    workload::import_into(&mut store, LEDGER, n, "recon-bench").expect("import the workload");
    let (wall, cpu) = t.done();
    println!(
        "import of {n} receipts (not counted): {wall:.1} s (cpu {cpu:.1} s), peak RSS {:.0} MiB",
        peak_rss_mib()
    );
}

/// The stages of `kasda reconcile` on the imported database `db`.
fn measure(n: usize, db: &Path, mode: &str) {
    let collect = match mode {
        "stream" => false,
        "collect" => true,
        "rows" => return full_rows(db),
        other => {
            eprintln!("mode {other:?}: expected stream, collect or rows");
            std::process::exit(2);
        }
    };
    let mut store = SqliteStore::open(db).expect("open");
    let cfg = ReconConfig::default();
    let cal = WeekdayCalendar::new(Vec::new());
    let (from, to, as_of) = period();
    let start_peak = peak_rss_mib();

    let t = Stage::start();
    let input =
        load_input(&mut store, LEDGER, from, to, as_of, LoadOptions::default()).expect("load");
    let (load, load_cpu) = t.done();
    let load_peak = peak_rss_mib();

    // The baseline over the loaded facts: the NTB in each narrative joined to the receipts.
    let t = Stage::start();
    black_box(workload::bare_ntb_join(&input));
    let (baseline, baseline_cpu) = t.done();

    // The rules, findings and stats: everything but writing the matches out.
    let t = Stage::start();
    let run = Reconciled::new(&input, &cfg, &cal);
    let (rules, rules_cpu) = t.done();
    let rules_peak = peak_rss_mib();
    let n_matches = run.match_count();

    // Every match written out and turned into its entries, which are dropped: the cost of
    // making the entries, apart from the store's.
    let t = Stage::start();
    let mut n_entries = 0usize;
    run.try_each_match(|m| {
        n_entries += black_box(entries_of(&m)?).len();
        Ok::<(), StoreError>(())
    })
    .expect("match entries");
    let (entries, entries_cpu) = t.done();

    // Made again and appended, as `kasda reconcile` does.
    let t = Stage::start();
    let appended = if collect {
        let mut all = Vec::with_capacity(n_entries);
        run.try_each_match(|m| {
            all.extend(entries_of(&m)?);
            Ok::<(), StoreError>(())
        })
        .expect("match entries");
        store
            .append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "bench"), all)
            .expect("append")
    } else {
        store
            .append_entries_from(
                LEDGER,
                RunInfo::new(RunKind::Reconcile, "bench"),
                &mut |sink| {
                    run.try_each_match(|m| entries_of(&m)?.into_iter().try_for_each(&mut *sink))
                },
            )
            .expect("append")
    };
    let (write, write_cpu) = t.done();
    let write_peak = peak_rss_mib();
    let out = run.into_report();
    let n_lines = input.lines.len();
    drop(input);

    let t = Stage::start();
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
    let (record, record_cpu) = t.done();
    // The product path: load, rules, entries made and appended, findings recorded.
    let total = load + rules + write + record;
    let total_cpu = load_cpu + rules_cpu + write_cpu + record_cpu;
    println!(
        "stores included (SQLite, {mode}), {n} receipts, {n_lines} lines, {n_matches} matches, {} entries appended, {} findings; wall s (cpu s):\n  load {load:.3} ({load_cpu:.3}) | rules and findings {rules:.3} ({rules_cpu:.3}) | match entries made and appended {write:.3} ({write_cpu:.3}), of which making them {entries:.3} ({entries_cpu:.3}) and the store's append the rest, {:.3} ({:.3}) | record findings {record:.3} ({record_cpu:.3})\n  total {total:.3} ({total_cpu:.3}) = {:.1}x the bare hash join {baseline:.3} ({baseline_cpu:.3}) by wall, {:.1}x by cpu\n  peak RSS: at start {start_peak:.0} MiB, after load {load_peak:.0}, after the rules {rules_peak:.0}, after the append {write_peak:.0}, at the end {:.0}; {}",
        appended.appended.len(),
        out.findings.len(),
        write - entries,
        write_cpu - entries_cpu,
        total / baseline.max(1e-9),
        total_cpu / baseline_cpu.max(1e-9),
        peak_rss_mib(),
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
}

/// What the loader read before it streamed: the period's lines and documents as full rows,
/// all held at once (the loader then converted them beside these rows).
fn full_rows(db: &Path) {
    let mut store = SqliteStore::open(db).expect("open");
    let (from, to, _) = period();
    let start_peak = peak_rss_mib();
    let t = Stage::start();
    let lines = store
        .statement_lines(LEDGER, None, from, to)
        .expect("lines");
    let docs = store
        .documents(LEDGER, None, Some(from), Some(to))
        .expect("documents");
    let (wall, cpu) = t.done();
    println!(
        "full rows (the loader's reads before streaming): {} lines and {} documents read in {wall:.3} s (cpu {cpu:.3} s); peak RSS at start {start_peak:.0} MiB, holding them {:.0} MiB; {}",
        lines.len(),
        docs.len(),
        peak_rss_mib(),
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
}

/// The workload's month and the date the run reasons about.
fn period() -> (NaiveDate, NaiveDate, NaiveDate) {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
    (d(3, 1), d(3, 31), d(4, 10))
}

/// The entries of one match, ready to append.
fn entries_of(m: &Match) -> Result<Vec<NewEntry>, StoreError> {
    new_entries(m).map_err(|e| StoreError::backend("match entries", e))
}
