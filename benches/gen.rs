//! Generator throughput (issue #10: ≥ 1,000,000 receipts/s): one day of the `provinsi` profile
//! (~185,000 receipts at 100% volume) with every output — camt.053, MT940 and two CSV statement
//! layouts, receipts/STS/SP2D/BKU as JSON Lines and CSV, kasda.toml, ground truth — written to a
//! temporary directory on disk, beside a baseline in the same run: a bare `csv::Writer` writing as
//! many rows as there were receipts, each as wide as the generator's output per receipt (all its
//! files' bytes divided by the receipts), to a file in the same directory. The baseline is the
//! floor of writing that many bytes through a buffered writer; the ratio says how much the
//! simulation and the formats cost on top of it.
//!
//! `KASDA_BENCH_VOLUME_PERCENT` scales the day (default 100).

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kasda_gen::{GenOptions, Profile};

#[path = "../crates/kasda-gen/examples/support/floor.rs"]
mod floor;

fn volume_percent() -> u32 {
    std::env::var("KASDA_BENCH_VOLUME_PERCENT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

fn options() -> GenOptions {
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a valid date");
    let mut o = GenOptions::new(Profile::Provinsi, day, 1, 7);
    o.leak_rate_ppm = 1_000;
    o.volume_percent = volume_percent();
    o
}

fn bench(c: &mut Criterion) {
    let opts = options();
    // One run outside the measurement gives the receipt count and the output size.
    let probe = tempfile::tempdir().expect("temporary directory");
    let report = kasda_gen::generate(&opts, probe.path()).expect("generation");
    let receipts = report.counts.get("receipts").copied().unwrap_or(0);
    let bytes = floor::dir_bytes(probe.path()).expect("output size");
    drop(probe);
    assert!(receipts > 0, "the profile generated no receipts");
    let row_bytes = (bytes / receipts) as usize;
    eprintln!(
        "gen bench: {receipts} receipts, {bytes} bytes of output ({row_bytes} bytes per receipt)"
    );

    let mut g = c.benchmark_group("gen_provinsi_day");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(receipts));
    g.bench_function("kasda_gen_all_formats", |b| {
        b.iter_with_setup(
            || tempfile::tempdir().expect("temporary directory"),
            |dir| {
                let r = kasda_gen::generate(&opts, dir.path()).expect("generation");
                black_box(r.counts.len());
                dir
            },
        )
    });
    g.bench_function("baseline_csv_writer_same_bytes", |b| {
        b.iter_with_setup(
            || tempfile::tempdir().expect("temporary directory"),
            |dir| {
                black_box(
                    floor::baseline(&dir.path().join("rows.csv"), receipts, row_bytes)
                        .expect("baseline rows"),
                );
                dir
            },
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
