//! Small hand-built scenarios: one RKUD, one holding account (T+1 sweep), one OPD receiving
//! account, channels with and without fees, a Monday–Friday calendar in January 2026.
#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use kasda_core::document::{
    BkuLine, BkuOwner, Channel, Deduction, Receipt, ReceiptStatus, RevenueLine, Sp2d, Sp2dType, Sts,
};
use kasda_core::money::Direction;
use kasda_core::statement::EntryStatus;
use kasda_recon::*;
use rust_decimal::Decimal;

pub const RKUD: &str = "1001001";
pub const HOLD: &str = "2002002";
pub const RECV: &str = "3003003";
pub const PBB: &str = "4.1.01.15.01.0001";

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn rp(v: i64) -> Decimal {
    Decimal::from(v)
}

pub fn cal() -> WeekdayCalendar {
    WeekdayCalendar::default()
}

pub fn cfg() -> ReconConfig {
    let channel =
        |channel: Channel, lag: u32, fee: Fee, settles_to: &str, markers: &[&str]| ChannelRule {
            channel,
            bank: None,
            settlement_lag_days: lag,
            fee,
            tolerance: Decimal::ZERO,
            is_qris: channel == Channel::Qris,
            settles_to: Some(settles_to.to_string()),
            markers: markers.iter().map(|m| m.to_string()).collect(),
            max_shortfall_percent: rp(10),
        };
    ReconConfig {
        channels: vec![
            channel(Channel::Qris, 0, Fee::None, RKUD, &["QRIS"]),
            channel(Channel::Teller, 0, Fee::None, RKUD, &[]),
            channel(
                Channel::Retail,
                1,
                Fee::None,
                RKUD,
                &["ALFAMART", "INDOMARET"],
            ),
            channel(
                Channel::Ecommerce,
                1,
                Fee::Flat { amount: rp(2500) },
                RKUD,
                &["TOKOPEDIA"],
            ),
            channel(Channel::Mobile, 1, Fee::None, HOLD, &["MOBILE"]),
        ],
        accounts: vec![
            AccountRule {
                number: RKUD.into(),
                role: AccountRole::Rkud,
                sweep_lag_days: 0,
                sweep_to: None,
            },
            AccountRule {
                number: HOLD.into(),
                role: AccountRole::Holding,
                sweep_lag_days: 1,
                sweep_to: Some(RKUD.into()),
            },
            AccountRule {
                number: RECV.into(),
                role: AccountRole::OpdReceiving,
                sweep_lag_days: 0,
                sweep_to: Some(RKUD.into()),
            },
        ],
        ..ReconConfig::default()
    }
}

fn line(
    id: &str,
    account: &str,
    date: &str,
    amount: i64,
    direction: Direction,
    texts: &[&str],
) -> Line {
    Line {
        id: id.to_string(),
        account: account.into(),
        booking_date: d(date),
        value_date: d(date),
        amount: rp(amount),
        direction,
        reversal: false,
        status: EntryStatus::Booked,
        texts: texts.iter().map(|t| t.to_string()).collect(),
        counterparty: None,
        counterparty_name: None,
        bank_ref: Some(format!("BR-{id}").into()),
        statement_id: Some(format!("st:{account}:{date}").into()),
        seq: 0,
    }
}

pub fn credit(id: &str, account: &str, date: &str, amount: i64, texts: &[&str]) -> Line {
    line(id, account, date, amount, Direction::Credit, texts)
}

pub fn debit(id: &str, account: &str, date: &str, amount: i64, texts: &[&str]) -> Line {
    line(id, account, date, amount, Direction::Debit, texts)
}

/// A paid receipt at 10:00 WIB on `date`.
pub fn receipt(ntpd: &str, channel: Channel, date: &str, total: i64) -> (String, Receipt) {
    let day = d(date);
    let paid_at = Utc.from_utc_datetime(&day.and_hms_opt(3, 0, 0).unwrap());
    (
        format!("receipt:{ntpd}"),
        Receipt {
            ntpd: ntpd.to_string(),
            kode_billing: None,
            ntb: Some(format!("NTB{ntpd}")),
            nop: None,
            npwpd: None,
            taxpayer_name: None,
            jenis_pajak: Some("PBB-P2".into()),
            lines: vec![RevenueLine {
                kode_rekening: PBB.into(),
                amount: rp(total),
            }],
            masa_pajak: None,
            tahun_pajak: Some(2026),
            pokok: rp(total),
            denda: Decimal::ZERO,
            total: rp(total),
            channel,
            bank: Some("BANK BANTEN".into()),
            account: None,
            paid_at,
            paid_zone: Some("WIB".into()),
            settlement_date: None,
            status: ReceiptStatus::Paid,
            reverses_ntpd: None,
            opd: None,
        },
    )
}

/// The reversal record of `original`, made on `date`.
pub fn reversal_of(original: &(String, Receipt), ntpd: &str, date: &str) -> (String, Receipt) {
    let mut r = original.1.clone();
    r.ntpd = ntpd.to_string();
    r.ntb = None;
    r.status = ReceiptStatus::Reversed;
    r.reverses_ntpd = Some(original.1.ntpd.clone());
    r.paid_at = Utc.from_utc_datetime(&d(date).and_hms_opt(4, 0, 0).unwrap());
    (format!("receipt-reversal:{ntpd}"), r)
}

pub fn sts(number: &str, opd: &str, date: &str, total: i64) -> Sts {
    Sts {
        number: number.to_string(),
        opd: opd.to_string(),
        bendahara: None,
        date: d(date),
        account: RKUD.to_string(),
        lines: vec![RevenueLine {
            kode_rekening: "4.1.02.01.05.0001".into(),
            amount: rp(total),
        }],
        total: rp(total),
        collected_from: Some(d(date)),
        collected_to: Some(d(date)),
        tbp_numbers: Vec::new(),
    }
}

pub fn sp2d(number: &str, date: &str, net: i64, deductions: &[i64]) -> Sp2d {
    let ded: i64 = deductions.iter().sum();
    Sp2d {
        number: number.to_string(),
        date: d(date),
        opd: "1.02.0.00.0.00.01.0000".into(),
        sp2d_type: Sp2dType::Ls,
        kode_rekening: Some("5.1.02.01.01.0024".into()),
        gross: rp(net + ded),
        deductions: deductions
            .iter()
            .map(|a| Deduction {
                kind: "PPh".into(),
                amount: rp(*a),
            })
            .collect(),
        net: rp(net),
        beneficiary_name: "CV MAJU JAYA".into(),
        beneficiary_bank: None,
        beneficiary_account: None,
        account: RKUD.to_string(),
    }
}

pub fn bku(
    owner: BkuOwner,
    number: u64,
    date: &str,
    amount: i64,
    direction: Direction,
    document: Option<&str>,
) -> BkuLine {
    BkuLine {
        owner,
        number,
        date: d(date),
        document: document.map(str::to_string),
        description: "uraian".into(),
        kode_rekening: None,
        amount: rp(amount),
        direction,
        account: Some(RKUD.to_string()),
        balance_after: None,
    }
}

pub fn header(
    id: &str,
    account: &str,
    seq: u64,
    from: &str,
    to: &str,
    opening: i64,
    closing: i64,
) -> StatementHeader {
    StatementHeader {
        statement_id: id.to_string(),
        account: account.to_string(),
        sequence: Some(seq.to_string()),
        page: None,
        from_date: Some(d(from)),
        to_date: Some(d(to)),
        opening: Some(rp(opening)),
        closing: Some(rp(closing)),
        source: format!("{id}.sta"),
    }
}

pub fn input(as_of: &str) -> ReconInput {
    ReconInput::new(d(as_of))
}

pub fn run(input: &ReconInput) -> ReconOutput {
    reconcile(input, &cfg(), &cal())
}

pub fn of_type(out: &ReconOutput, ty: FindingType) -> Vec<&Finding> {
    out.findings
        .iter()
        .filter(|f| f.finding_type == ty)
        .collect()
}

pub fn rules(out: &ReconOutput) -> Vec<MatchRule> {
    out.matches.iter().map(|m| m.rule).collect()
}

/// Deterministic synthetic month for scale tests: `n` receipts and about `n` statement lines.
/// Half are QRIS paid per payment with the NTB in the narrative, a fifth teller payments
/// credited without a reference, the rest retail receipts settled in daily batches; a few
/// unremitted receipts and unidentified credits are left in. No `rand`: a small LCG keeps it
/// reproducible.
pub fn synth(n: usize, seed: u64) -> ReconInput {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let days: Vec<NaiveDate> = (5..=30)
        .map(|day| NaiveDate::from_ymd_opt(2026, 1, day).unwrap())
        .filter(|d| chrono::Datelike::weekday(d).number_from_monday() <= 5)
        .collect();
    let mut inp = input("2026-02-06");
    inp.documents.receipts.reserve(n);
    inp.lines.reserve(n);
    let mut retail: std::collections::BTreeMap<NaiveDate, i64> = Default::default();
    for i in 0..n {
        let day = days[(next() as usize) % days.len()];
        let amount = 10_000 + (next() % 5_000) as i64 * 100;
        let kind = next() % 10;
        let ntpd = format!("36{i:010}");
        let channel = match kind {
            0..=4 => Channel::Qris,
            5..=6 => Channel::Teller,
            _ => Channel::Retail,
        };
        let mut r = receipt(&ntpd, channel, &day.format("%Y-%m-%d").to_string(), amount);
        r.1.ntb = Some(format!("{:012}", 900_000_000_000u64 + i as u64));
        let lost = next() % 500 == 0;
        if !lost {
            let date = day.format("%Y-%m-%d").to_string();
            match channel {
                Channel::Qris => inp.lines.push(credit(
                    &format!("q{i}"),
                    RKUD,
                    &date,
                    amount,
                    &[&format!(
                        "QRIS PBB {}",
                        r.1.ntb.as_deref().unwrap_or_default()
                    )],
                )),
                Channel::Teller => inp.lines.push(credit(
                    &format!("t{i}"),
                    RKUD,
                    &date,
                    amount,
                    &["SETORAN PAJAK DAERAH"],
                )),
                _ => *retail.entry(day).or_default() += amount,
            }
        }
        inp.documents.receipts.push(r);
    }
    for (day, total) in retail {
        let next_day = days
            .iter()
            .copied()
            .find(|d| *d > day)
            .unwrap_or(day + chrono::Duration::days(3));
        inp.lines.push(credit(
            &format!("b{day}"),
            RKUD,
            &next_day.format("%Y-%m-%d").to_string(),
            total,
            &["SETTLEMENT ALFAMART"],
        ));
    }
    for k in 0..(n / 1000).max(1) {
        inp.lines.push(credit(
            &format!("x{k}"),
            RKUD,
            "2026-01-12",
            7_777 + k as i64,
            &["TRANSFER"],
        ));
    }
    inp
}
