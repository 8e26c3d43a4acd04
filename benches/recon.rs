//! Reconciliation throughput (stores excluded): N receipts against their statement lines — most
//! credited one by one with the NTB in the narrative, a share settled in daily batches per
//! channel — beside a baseline in the same run: a bare hash join of the same references, the
//! least any 1:1 matcher must do. `KASDA_BENCH_RECEIPTS` sets N (default 100 000); run with
//! 1 000 000 to see the scale.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kasda_core::document::{Channel, Receipt, ReceiptStatus, RevenueLine};
use kasda_core::money::Direction;
use kasda_core::statement::EntryStatus;
use kasda_recon::{Line, ReconConfig, ReconInput, WeekdayCalendar};
use rust_decimal::Decimal;

fn receipts() -> usize {
    std::env::var("KASDA_BENCH_RECEIPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

const RKUD: &str = "1020010000001";

fn input(n: usize) -> ReconInput {
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let mut inp = ReconInput::new(NaiveDate::from_ymd_opt(2026, 4, 10).expect("date"));
    let mut batches: HashMap<(u32, Channel), Decimal> = HashMap::new();
    for i in 0..n {
        let day = (i % 28) as u32;
        let date = start + chrono::Duration::days(i64::from(day));
        let amount = Decimal::from(10_000 + (i as i64 * 7919) % 5_000_000);
        let channel = if i % 10 == 0 {
            Channel::Retail
        } else {
            Channel::Teller
        };
        let paid_at: DateTime<Utc> = date.and_hms_opt(3, 0, 0).expect("time").and_utc();
        let ntb = format!("NTB{i:010}");
        inp.documents.receipts.push((
            format!("receipt:{i}"),
            Receipt {
                ntpd: format!("3673{i:012}"),
                kode_billing: None,
                ntb: Some(ntb.clone()),
                nop: None,
                npwpd: None,
                taxpayer_name: None,
                jenis_pajak: None,
                lines: vec![RevenueLine {
                    kode_rekening: "4.1.01.15.01.0001".into(),
                    amount,
                }],
                masa_pajak: None,
                tahun_pajak: Some(2026),
                pokok: amount,
                denda: Decimal::ZERO,
                total: amount,
                channel,
                bank: Some("Bank Banten".into()),
                account: Some(RKUD.into()),
                paid_at,
                paid_zone: Some("WIB".into()),
                settlement_date: Some(date),
                status: ReceiptStatus::Paid,
                reverses_ntpd: None,
                opd: None,
            },
        ));
        if channel == Channel::Retail {
            *batches.entry((day, channel)).or_default() += amount;
            continue;
        }
        inp.lines.push(Line {
            id: format!("line:{i}"),
            account: RKUD.into(),
            booking_date: date,
            value_date: date,
            amount,
            direction: Direction::Credit,
            reversal: false,
            status: EntryStatus::Booked,
            texts: vec![format!("SETORAN PBB-P2 {ntb}")],
            counterparty: None,
            counterparty_name: None,
            bank_ref: Some(format!("BBTN{i:010}")),
            statement_id: Some(format!("stmt:{day}")),
            seq: i as u32,
        });
    }
    let mut keys: Vec<_> = batches.into_iter().collect();
    keys.sort_by_key(|((d, _), _)| *d);
    for ((day, _), total) in keys {
        let date = start + chrono::Duration::days(i64::from(day));
        inp.lines.push(Line {
            id: format!("batch:{day}"),
            account: RKUD.into(),
            booking_date: date,
            value_date: date,
            amount: total,
            direction: Direction::Credit,
            reversal: false,
            status: EntryStatus::Booked,
            texts: vec!["SETORAN RETAIL ALFAMART".into()],
            counterparty: None,
            counterparty_name: None,
            bank_ref: Some(format!("BATCH{day}")),
            statement_id: Some(format!("stmt:{day}")),
            seq: 9_000_000 + day,
        });
    }
    inp
}

fn recon(c: &mut Criterion) {
    let n = receipts();
    let inp = input(n);
    let cfg = ReconConfig::default();
    let cal = WeekdayCalendar::new(Vec::new());
    let mut g = c.benchmark_group("reconcile");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_hash_join_on_reference", |b| {
        b.iter(|| {
            let by_ntb: HashMap<&str, usize> = inp
                .documents
                .receipts
                .iter()
                .enumerate()
                .filter_map(|(i, (_, r))| r.ntb.as_deref().map(|t| (t, i)))
                .collect();
            let mut joined = 0usize;
            for l in &inp.lines {
                for t in &l.texts {
                    if let Some(ntb) = t.split_whitespace().last() {
                        joined += usize::from(by_ntb.contains_key(ntb));
                    }
                }
            }
            black_box(joined)
        })
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
