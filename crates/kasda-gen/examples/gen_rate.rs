//! Generator throughput beside its floor, in one process, with CPU time next to wall time (the
//! shared machines are loaded, and wall time alone says more about the neighbours than about the
//! generator).
//!
//! Each round generates one `provinsi` day (seed 7, leak rate 0.1%, every format, documents as
//! JSON Lines and CSV) into a fresh directory, then writes the same number of bytes through a
//! bare `csv::Writer` — one 20-field row per receipt, each as wide as the generator's output per
//! receipt — into another; both under `DIR`, so both pay the same file system. "Receipts/s"
//! counts the day's receipts (payment events; reversal and duplicate records are extra rows)
//! per second of the whole run, every file of the day written. CPU time is the process's user +
//! system time (all threads, from `/proc/self/stat`, 10 ms ticks).
//!
//! `cargo run --release -p kasda-gen --example gen_rate -- [ROUNDS=5] [DIR=$TMPDIR] [VOLUME%=100]`

use std::time::Instant;

use chrono::NaiveDate;
use kasda_gen::{GenOptions, Profile};

#[path = "support/floor.rs"]
mod floor;

/// User + system CPU seconds of this process so far (all threads), or `None` off Linux.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After "(comm) " the first field is field 3 (state); utime is 14, stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // CLK_TCK is 100 on every Linux this runs on.
    Some((utime + stime) / 100.0)
}

/// Wall and CPU seconds of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let c0 = cpu_seconds().unwrap_or(0.0);
    let t0 = Instant::now();
    let out = f();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds().unwrap_or(0.0) - c0;
    (out, wall, cpu)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let rounds: usize = a.get(1).map_or(Ok(5), |s| s.parse())?;
    let base = a
        .get(2)
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().to_string_lossy().into_owned());
    let volume: u32 = a.get(3).map_or(Ok(100), |s| s.parse())?;
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).ok_or("bad date")?;
    let mut opts = GenOptions::new(Profile::Provinsi, day, 1, 7);
    opts.leak_rate_ppm = 1_000;
    opts.volume_percent = volume;

    let (mut gw, mut gc, mut bw, mut bc) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut receipts = 0;
    let mut bytes = 0;
    for round in 0..rounds.max(1) {
        let dir = tempfile::tempdir_in(&base)?;
        let (report, wall, cpu) = timed(|| kasda_gen::generate(&opts, dir.path()));
        let report = report?;
        receipts = report.counts.get("receipts").copied().unwrap_or(0);
        bytes = floor::dir_bytes(dir.path())?;
        drop(dir);
        let row_bytes = (bytes / receipts.max(1)) as usize;
        let bdir = tempfile::tempdir_in(&base)?;
        let (written, bwall, bcpu) =
            timed(|| floor::baseline(&bdir.path().join("rows.csv"), receipts, row_bytes));
        written?;
        drop(bdir);
        eprintln!(
            "round {round}: generator {wall:.3} s wall / {cpu:.2} s CPU; baseline {bwall:.3} s wall / {bcpu:.2} s CPU"
        );
        gw.push(wall);
        gc.push(cpu);
        bw.push(bwall);
        bc.push(bcpu);
    }
    let (gw, gc, bw, bc) = (median(gw), median(gc), median(bw), median(bc));
    let n = receipts as f64;
    println!(
        "provinsi day: {receipts} receipts, {bytes} bytes written ({} bytes per receipt); medians of {} rounds",
        bytes / receipts.max(1),
        rounds.max(1)
    );
    println!(
        "generator: {gw:.3} s wall = {:.0} receipts/s; {gc:.2} s CPU = {:.0} receipts per CPU-second",
        n / gw,
        n / gc.max(0.01)
    );
    println!(
        "bare csv::Writer, same bytes: {bw:.3} s wall = {:.0} rows/s; {bc:.2} s CPU = {:.0} rows per CPU-second",
        n / bw,
        n / bc.max(0.01)
    );
    println!(
        "ratio generator / baseline (rate): wall {:.2}, CPU {:.2}",
        bw / gw,
        bc / gc.max(0.01)
    );
    Ok(())
}
