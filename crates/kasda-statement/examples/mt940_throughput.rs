//! Writes the MT940 benchmark file, or times kasda reading it (used by
//! `benches/peers/mt940_peers.sh` beside the `mt940` crate and `x940` on the same file).
//!
//! ```text
//! cargo run --release -p kasda-statement --example mt940_throughput -- gen FILE [ENTRIES]
//! cargo run --release -p kasda-statement --example mt940_throughput -- read|stream FILE [ROUNDS]
//! ```
//!
//! `read` is `mt940::read` (the whole normalized model, statements with their entries);
//! `stream` is `mt940::read_stream` handing each entry to a sink that sums it. Each round reads
//! the file's bytes already in memory; the output line gives the best and the median round.

mod mt940_file;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use kasda_core::statement::{Entry, Statement};
use kasda_statement::mt940::{self, Sink};
use kasda_statement::ReadError;
use rust_decimal::Decimal;

/// Counts and sums what the streaming reader hands over, so nothing is optimized away.
#[derive(Default)]
struct Totals {
    entries: u64,
    sum: Decimal,
}

impl Sink for Totals {
    fn entry(&mut self, _statement_index: usize, entry: Entry) -> Result<(), ReadError> {
        self.entries += 1;
        self.sum += entry.amount;
        Ok(())
    }
    fn statement_end(&mut self, _index: usize, _statement: Statement) -> Result<(), ReadError> {
        Ok(())
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: mt940_throughput gen FILE [ENTRIES]\n       mt940_throughput read|stream FILE [ROUNDS]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(path)) = (args.first(), args.get(1)) else {
        return usage();
    };
    let number = |default: usize| -> Option<usize> {
        match args.get(2) {
            None => Some(default),
            Some(v) => v.parse().ok(),
        }
    };
    match mode.as_str() {
        "gen" => {
            let Some(n) = number(100_000) else {
                return usage();
            };
            let (bytes, statements) = mt940_file::generate(n);
            if let Err(e) = std::fs::write(path, &bytes) {
                eprintln!("{path}: cannot write: {e}");
                return ExitCode::FAILURE;
            }
            println!(
                "wrote {path}: {n} entries in {statements} statements, {} bytes",
                bytes.len()
            );
            ExitCode::SUCCESS
        }
        "read" | "stream" => {
            let Some(rounds) = number(5).filter(|r| *r > 0) else {
                return usage();
            };
            let bytes = match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{path}: cannot read: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let mut times = Vec::with_capacity(rounds);
            let mut entries = 0u64;
            for _ in 0..rounds {
                let started = Instant::now();
                let result = if mode == "read" {
                    mt940::read(path, &bytes)
                        .map(|f| f.statements.iter().map(|s| s.entries.len() as u64).sum())
                } else {
                    let mut totals = Totals::default();
                    mt940::read_stream(path, bytes.as_slice(), &mut totals)
                        .map(|_| std::hint::black_box(totals).entries)
                };
                times.push(started.elapsed());
                match result {
                    Ok(n) => entries = n,
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            times.sort();
            let best = times[0];
            let median = times[times.len() / 2];
            let rate = |d: Duration| entries as f64 / d.as_secs_f64();
            println!(
                "kasda-{mode} entries={entries} rounds={rounds} best_s={:.6} median_s={:.6} \
                 best_entries_per_s={:.0} median_entries_per_s={:.0}",
                best.as_secs_f64(),
                median.as_secs_f64(),
                rate(best),
                rate(median)
            );
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}
