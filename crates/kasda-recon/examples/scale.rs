//! Reconciliation at scale, stores excluded: N receipts against their statement lines (most
//! credited one by one with the NTB in the narrative, every tenth settled in a daily retail
//! batch), the same workload as `benches/recon.rs`. Prints the time (wall and CPU) of one
//! `reconcile_each` (matches streamed to a sink that drops them), of a bare hash join of the same
//! references in the same process, and the peak resident memory (Linux `VmHWM`) before and after;
//! then of one `reconcile` collecting every match, whose output the digest fingerprints.
//!
//! `cargo run --release -p kasda-recon --example scale -- 1000000`

use std::hint::black_box;
use std::time::Instant;

use kasda_recon::{workload, ReconConfig, ReconOutput, WeekdayCalendar};
use sha2::{Digest, Sha256};

/// Peak resident set size of this process so far, in MiB (`VmHWM`), when the OS reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time this thread has run so far, in seconds (`/proc/thread-self/schedstat`, ns), when
/// the OS reports it. On a shared machine wall time includes waiting for a core; this does not.
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
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
    let c = thread_cpu_s();
    black_box(workload::bare_ntb_join(&inp));
    let baseline = t.elapsed().as_secs_f64();
    let baseline_cpu = thread_cpu_s().zip(c).map(|(b, a)| b - a);

    // Timed: the streaming form, matches handed out one by one (counted, then dropped), as a
    // caller that writes them to a store uses it.
    let t = Instant::now();
    let c = thread_cpu_s();
    let mut n_matches = 0usize;
    let report = kasda_recon::reconcile_each(&inp, &cfg, &cal, |m| {
        black_box(&m);
        n_matches += 1;
    });
    let secs = t.elapsed().as_secs_f64();
    let cpu = thread_cpu_s().zip(c).map(|(b, a)| b - a);
    let peak = peak_rss_mib();
    println!(
        "receipts {n} lines {} | reconcile {secs:.3} s ({n_matches} matches, {} findings) | bare hash join {baseline:.3} s | ratio {:.1}x | peak RSS input {:.0} MiB, after reconcile {:.0} MiB",
        inp.lines.len(),
        report.findings.len(),
        secs / baseline.max(1e-9),
        input_peak.unwrap_or(f64::NAN),
        peak.unwrap_or(f64::NAN),
    );
    if let (Some(cpu), Some(base)) = (cpu, baseline_cpu) {
        println!(
            "cpu time: reconcile {cpu:.3} s, bare hash join {base:.3} s, ratio {:.1}x",
            cpu / base.max(1e-9)
        );
    }
    drop(report);

    // Then `reconcile`, which collects every match in its output (the form the digest reads).
    let t = Instant::now();
    let c = thread_cpu_s();
    let out = kasda_recon::reconcile(&inp, &cfg, &cal);
    let collect_secs = t.elapsed().as_secs_f64();
    let collect_cpu = thread_cpu_s().zip(c).map(|(b, a)| b - a);
    println!(
        "reconcile collecting all matches: {collect_secs:.3} s, cpu {:.3} s, ratio to the join {:.1}x (cpu), peak RSS after {:.0} MiB",
        collect_cpu.unwrap_or(f64::NAN),
        collect_cpu.unwrap_or(f64::NAN) / baseline_cpu.unwrap_or(f64::NAN).max(1e-9),
        peak_rss_mib().unwrap_or(f64::NAN),
    );
    // Fingerprint of everything the run returns, to compare the output of two builds (a change
    // that only makes recon faster must print the same digest for the same N).
    println!("output digest {}", digest(&out));
}

/// SHA-256 over the JSON of every match, finding, the stats and the warnings, in order.
fn digest(out: &ReconOutput) -> String {
    let mut h = Sha256::new();
    let mut buf = Vec::new();
    let mut feed = |v: &dyn erased::Json| {
        buf.clear();
        v.write(&mut buf);
        h.update(&buf);
        h.update(b"\n");
    };
    for m in &out.matches {
        feed(m);
    }
    for f in &out.findings {
        feed(f);
    }
    feed(&out.stats);
    feed(&out.warnings);
    hex::encode(h.finalize())
}

mod erased {
    /// Object-safe JSON writer, so one closure can hash values of every output type.
    pub trait Json {
        fn write(&self, buf: &mut Vec<u8>);
    }
    impl<T: serde::Serialize> Json for T {
        fn write(&self, buf: &mut Vec<u8>) {
            // Serialising plain data into memory cannot fail; an error would print as such.
            if let Err(e) = serde_json::to_writer(&mut *buf, self) {
                buf.extend_from_slice(format!("<unserialisable: {e}>").as_bytes());
            }
        }
    }
}
