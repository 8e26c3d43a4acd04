//! MT940 reader throughput on one generated file (`KASDA_BENCH_ENTRIES` entries, default
//! 100 000, in statements of 1 000), every reader beside the others in the same run:
//! - `baseline_memchr_line_split`: a bare memchr pass finding every line of the same bytes, the
//!   floor no line-based reader can beat;
//! - `kasda_read_stream`: `mt940::read_stream`, each entry handed to a sink that sums it;
//! - `kasda_read`: `mt940::read`, the whole normalized model (statements holding their entries);
//! - `peer_mt940_crate`: the `mt940` crate's `parse_mt940` on the same text (its UTF-8 check is
//!   done once outside the timing, which favours it).
//!
//! The file comes from `crates/kasda-statement/examples/mt940_file/`, the same generator the peer
//! script `benches/peers/mt940_peers.sh` uses for the `x940` comparison.

#[path = "../crates/kasda-statement/examples/mt940_file/mod.rs"]
mod mt940_file;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kasda_core::statement::{Entry, Statement};
use kasda_statement::mt940::Sink;
use kasda_statement::ReadError;
use rust_decimal::Decimal;

fn entries() -> usize {
    std::env::var("KASDA_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Counts and sums the streamed entries so that nothing is optimized away.
#[derive(Default)]
struct Totals {
    entries: usize,
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

fn mt940_readers(c: &mut Criterion) {
    let n = entries();
    let (bytes, statements) = mt940_file::generate(n);
    let text = std::str::from_utf8(&bytes).expect("the generator writes ASCII");

    // Every reader must accept the whole file before it is timed.
    let peer = mt940::parse_mt940(text).expect("the mt940 crate parses the bench file");
    assert_eq!(peer.len(), statements);
    assert_eq!(
        peer.iter().map(|m| m.statement_lines.len()).sum::<usize>(),
        n
    );
    let ours = kasda_statement::mt940::read("bench.sta", &bytes).expect("kasda reads");
    assert_eq!(ours.statements.len(), statements);

    let mut g = c.benchmark_group("mt940");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_memchr_line_split", |b| {
        b.iter(|| black_box(memchr::memchr_iter(b'\n', black_box(&bytes)).count()))
    });
    g.bench_function("kasda_read_stream", |b| {
        b.iter(|| {
            let mut totals = Totals::default();
            kasda_statement::mt940::read_stream("bench.sta", bytes.as_slice(), &mut totals)
                .expect("reads");
            assert_eq!(totals.entries, n);
            black_box(totals.sum)
        })
    });
    g.bench_function("kasda_read", |b| {
        b.iter(|| {
            let f = kasda_statement::mt940::read("bench.sta", &bytes).expect("reads");
            black_box(f.statements.len())
        })
    });
    g.bench_function("peer_mt940_crate", |b| {
        b.iter(|| {
            let m = mt940::parse_mt940(black_box(text)).expect("parses");
            black_box(m.len())
        })
    });
    g.finish();
}

criterion_group!(benches, mt940_readers);
criterion_main!(benches);
