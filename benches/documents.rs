//! Receipts CSV read + validate at 1,000,000 rows (issue #5), beside a bare `csv::ByteRecord`
//! loop over the same bytes in the same run (see BENCHMARKS.md):
//! - `baseline_csv_byte_records`: the csv crate reading every record, nothing else;
//! - `kasda_scan_receipts`: `kasda_documents::scan_receipts_csv` (every rule, no documents kept),
//!   the path `read_receipts_csv_count` and the importer's streaming use take;
//! - `kasda_read_documents`: the owned API (`read_documents`, every receipt built) for reference.
//!
//! The file is `kasda_documents::sample` (deterministic: several channels, kode rekening, zones,
//! punctuated NOPs, split breakdowns, quoted names, one reversal per thousand rows).
//! `KASDA_BENCH_RECEIPTS` sets the row count (default 1 000 000). Peak memory is measured by the
//! `receipts_scale` example of kasda-documents (VmHWM, 100k vs 1M rows).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn rows() -> u64 {
    std::env::var("KASDA_BENCH_RECEIPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn receipts(c: &mut Criterion) {
    let n = rows();
    let bytes = kasda_documents::sample::sample_receipts_csv(n);
    let now = kasda_documents::sample::SAMPLE_NOW
        .parse::<chrono::DateTime<chrono::Utc>>()
        .expect("valid instant");
    let opts = kasda_documents::ReadOptions::new(now);
    let mut g = c.benchmark_group("receipts_csv_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(n));
    g.bench_function("baseline_csv_byte_records", |b| {
        b.iter(|| {
            let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
            let mut rec = csv::ByteRecord::new();
            let mut rows = 0u64;
            while r.read_byte_record(&mut rec).expect("csv") {
                rows += 1;
            }
            assert_eq!(rows, n);
            black_box(rows)
        })
    });
    g.bench_function("kasda_scan_receipts", |b| {
        b.iter(|| {
            let s = kasda_documents::scan_receipts_csv("bench.csv", &bytes, &opts, |_, v| {
                black_box(v);
            })
            .expect("valid receipts");
            assert_eq!(s.accepted as u64, n);
            black_box(s.accepted)
        })
    });
    g.bench_function("kasda_read_documents", |b| {
        b.iter(|| {
            let batch = kasda_documents::read_documents("bench.csv", &bytes, &opts).expect("valid");
            assert_eq!(batch.documents.len() as u64, n);
            black_box(batch.documents.len())
        })
    });
    g.finish();
}

criterion_group!(benches, receipts);
criterion_main!(benches);
