//! Reconciliation throughput (stores excluded): N receipts against their statement lines — most
//! credited one by one with the NTB in the narrative, a share settled in daily batches per
//! channel — beside a baseline in the same run: a bare hash join of the same references, the
//! least any 1:1 matcher must do. `KASDA_BENCH_RECEIPTS` sets N (default 100 000); run with
//! 1 000 000 to see the scale.

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
    g.bench_function("kasda_reconcile", |b| {
        b.iter(|| {
            let out = kasda_recon::reconcile(&inp, &cfg, &cal);
            black_box(out.matches.len())
        })
    });
    g.finish();
}

criterion_group!(benches, recon);
criterion_main!(benches);
