//! Reconciliation at scale, stores excluded: N receipts against their statement lines (most
//! credited one by one with the NTB in the narrative, every tenth settled in a daily retail
//! batch), the same workload as `benches/recon.rs`. Prints the time of one `reconcile`, of a
//! bare hash join of the same references in the same process, and the peak resident memory
//! (Linux `VmHWM`) before and after.
//!
//! `cargo run --release -p kasda-recon --example scale -- 1000000`

use std::hint::black_box;
use std::time::Instant;

use kasda_recon::{workload, ReconConfig, WeekdayCalendar};

/// Peak resident set size of this process so far, in MiB (`VmHWM`), when the OS reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let inp = workload::scale_input(n);
    let input_peak = peak_rss_mib();
    let cfg = ReconConfig::default();
    let cal = WeekdayCalendar::new(Vec::new());

    let t = Instant::now();
    black_box(workload::bare_ntb_join(&inp));
    let baseline = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let out = kasda_recon::reconcile(&inp, &cfg, &cal);
    let secs = t.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    println!(
        "receipts {n} lines {} | reconcile {secs:.3} s ({} matches, {} findings) | bare hash join {baseline:.3} s | ratio {:.1}x | peak RSS input {:.0} MiB, after reconcile {:.0} MiB",
        inp.lines.len(),
        out.matches.len(),
        out.findings.len(),
        secs / baseline.max(1e-9),
        input_peak.unwrap_or(f64::NAN),
        peak.unwrap_or(f64::NAN),
    );
}
