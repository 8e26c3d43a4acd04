//! `mt940-crate-runner FILE [ROUNDS]`: times `mt940::parse_mt940` on FILE (already in memory and
//! checked as UTF-8 before the clock starts) and prints one line in the format of kasda's
//! `mt940_throughput` example, so the peer script can set them side by side.

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: mt940-crate-runner FILE [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = match args.get(1).map(|r| r.parse()) {
        None => 5,
        Some(Ok(r)) if r > 0 => r,
        Some(_) => {
            eprintln!("usage: mt940-crate-runner FILE [ROUNDS]");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: cannot read as UTF-8 text: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut times = Vec::with_capacity(rounds);
    let mut entries = 0usize;
    for _ in 0..rounds {
        let started = Instant::now();
        let parsed = mt940::parse_mt940(std::hint::black_box(&text));
        times.push(started.elapsed());
        match parsed {
            Ok(messages) => entries = messages.iter().map(|m| m.statement_lines.len()).sum(),
            Err(e) => {
                eprintln!("{path}: the mt940 crate cannot parse it: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    times.sort();
    let best = times[0];
    let median = times[times.len() / 2];
    let rate = |d: Duration| entries as f64 / d.as_secs_f64();
    println!(
        "mt940-crate entries={entries} rounds={rounds} best_s={:.6} median_s={:.6} \
         best_entries_per_s={:.0} median_entries_per_s={:.0}",
        best.as_secs_f64(),
        median.as_secs_f64(),
        rate(best),
        rate(median)
    );
    ExitCode::SUCCESS
}
