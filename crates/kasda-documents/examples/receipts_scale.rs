//! Receipts CSV at scale: rows per second of kasda's read + validate beside a bare
//! `csv::ByteRecord` loop over the same bytes, and the peak memory (VmHWM) the read adds.
//!
//! `cargo run --release -p kasda-documents --example receipts_scale -- [ROWS] [speed|memory|memory-owned|memory-bare|kasda|write PATH]`
//!
//! `speed` prints rows per second by wall time and, where Linux tells a thread's CPU time, by
//! CPU time too (on a machine shared with other jobs the wall time mostly measures waiting).
//!
//! `memory` writes the sample to a temporary file, reads it back (the input itself), notes
//! VmHWM, then reads and validates it and notes VmHWM again: the difference is what reading
//! holds beyond the input, so 100k and 1M rows show whether it stays flat per row.

use std::time::Instant;

use chrono::{DateTime, Utc};
use kasda_documents::sample::{sample_receipts_csv, write_sample_receipts_csv, SAMPLE_NOW};

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time this thread has run, in seconds (Linux schedstat), when the kernel tells it: on a
/// machine shared with other builds wall time mostly measures the wait for a core.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    (ns > 0).then(|| ns as f64 / 1e9)
}

/// Wall and CPU seconds of `f`, with its result.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    let cpu = thread_cpu_s();
    let t = Instant::now();
    let out = f();
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu.zip(thread_cpu_s()).map(|(a, b)| b - a);
    (out, wall, cpu)
}

fn bare_rows(bytes: &[u8]) -> u64 {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut rows = 0u64;
    while r.read_byte_record(&mut rec).unwrap_or(false) {
        rows += 1;
    }
    rows
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let mode = args.next().unwrap_or_else(|| "speed".into());
    let now: DateTime<Utc> = SAMPLE_NOW.parse()?;
    match mode.as_str() {
        "memory" | "memory-owned" | "memory-bare" => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("receipts.csv");
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            write_sample_receipts_csv(rows, &mut out)?;
            drop(out);
            let bytes = std::fs::read(&path)?;
            let before = vm_hwm_kib();
            let accepted = match mode.as_str() {
                // The owned API: every receipt built and kept.
                "memory-owned" => {
                    let opts = kasda_documents::ReadOptions::new(now);
                    kasda_documents::read_documents("receipts.csv", &bytes, &opts)?
                        .documents
                        .len()
                }
                // The baseline: the csv crate alone.
                "memory-bare" => bare_rows(&bytes) as usize,
                _ => kasda_documents::read_receipts_csv_count(&bytes, now)?,
            };
            let after = vm_hwm_kib();
            let added = after.saturating_sub(before);
            println!(
                "{mode}: rows={rows} accepted={accepted} input_bytes={} vmhwm_before_kib={before} vmhwm_after_kib={after} added_kib={added} added_bytes_per_row={:.1}",
                bytes.len(),
                added as f64 * 1024.0 / rows as f64
            );
        }
        "write" => {
            // The sample file itself, for an end-to-end `kasda import`.
            let path = args.next().ok_or("write needs a PATH")?;
            let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
            write_sample_receipts_csv(rows, &mut out)?;
            std::io::Write::flush(&mut out)?;
            println!("wrote {rows} receipts to {path}");
        }
        "kasda" => {
            // kasda's read alone, for a profiler.
            let bytes = sample_receipts_csv(rows);
            for _ in 0..3 {
                let accepted = kasda_documents::read_receipts_csv_count(&bytes, now)?;
                assert_eq!(accepted as u64, rows);
            }
        }
        _ => {
            let bytes = sample_receipts_csv(rows);
            for round in 0..3 {
                let (bare, bare_s, bare_cpu) = timed(|| bare_rows(&bytes));
                let (accepted, kasda_s, kasda_cpu) =
                    timed(|| kasda_documents::read_receipts_csv_count(&bytes, now));
                let accepted = accepted?;
                let cpu = match (kasda_cpu, bare_cpu) {
                    (Some(k), Some(b)) => format!(
                        " | cpu: kasda={:.0} rows/s bare={:.0} rows/s ratio={:.3}",
                        rows as f64 / k,
                        rows as f64 / b,
                        b / k
                    ),
                    _ => String::new(),
                };
                println!(
                    "round {round}: rows={bare} accepted={accepted} wall: kasda={:.0} rows/s bare={:.0} rows/s ratio={:.3}{cpu}",
                    rows as f64 / kasda_s,
                    rows as f64 / bare_s,
                    bare_s / kasda_s
                );
            }
        }
    }
    Ok(())
}
