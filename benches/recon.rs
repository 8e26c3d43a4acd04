//! Reconciliation throughput (stores excluded): N receipts against their statement lines — most
//! credited one by one with the NTB in the narrative, a share settled in daily batches per
//! channel — beside a baseline in the same run: a bare hash join of the same references, the
//! least any 1:1 matcher must do. `KASDA_BENCH_RECEIPTS` sets N (default 100 000); run with
//! 1 000 000 to see the scale. Measures the streaming form `kasda reconcile` uses
//! (`reconcile_each`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kasda_recon::{workload, ReconConfig, WeekdayCalendar};

fn receipts() -> usize {
    std::env::var("KASDA_BENCH_RECEIPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn recon(c: &mut Criterion) {
    let n = receipts();
    let inp = workload::scale_input(n);
    let cfg = ReconConfig::default();
    let cal = WeekdayCalendar::new(Vec::new());
    let mut g = c.benchmark_group("reconcile");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_hash_join_on_reference", |b| {
        b.iter(|| black_box(workload::bare_ntb_join(&inp)))
    });
    // The form `kasda reconcile` runs: matches handed out one by one (each is written out and
    // dropped here), findings and stats returned. `reconcile`, which collects every match,
    // holds them all beside the engine (1.5 GiB at 1M); the `scale` example measures both.
    g.bench_function("kasda_reconcile", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let report = kasda_recon::reconcile_each(&inp, &cfg, &cal, |m| {
                black_box(&m);
                n += 1;
            });
            black_box((n, report.findings.len()))
        })
    });
    g.finish();
}

criterion_group!(benches, recon);
criterion_main!(benches);
