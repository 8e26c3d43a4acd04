//! Recon driven by the real pemda configuration and working-day calendar of kasda-core.

mod common;

use chrono::{TimeZone, Utc};
use common::{credit, d, receipt, rp, sts};
use kasda_core::calendar::Calendar;
use kasda_core::config::Config;
use kasda_core::document::Channel;
use kasda_recon::*;

fn example() -> (Config, ReconConfig) {
    let config = Config::from_str(Config::example()).expect("example config loads");
    let recon = ReconConfig::from_config(&config);
    (config, recon)
}

#[test]
fn from_config_takes_channels_accounts_and_tolerances() {
    let (config, recon) = example();
    assert_eq!(recon.channels.len(), config.channel.len());
    let pos = recon
        .channels
        .iter()
        .find(|c| c.channel == Channel::PostOffice)
        .unwrap();
    assert_eq!(pos.settlement_lag_days, 2);
    assert_eq!(
        pos.fee,
        Fee::Percent {
            rate: rp(5) / rp(10),
            cap: Some(rp(10_000))
        }
    );
    assert_eq!(pos.tolerance, rp(100));
    assert!(recon
        .channels
        .iter()
        .any(|c| c.channel == Channel::Qris && c.is_qris));
    let rkud = recon
        .accounts
        .iter()
        .filter(|a| a.role == AccountRole::Rkud)
        .count();
    assert_eq!(rkud, config.rkud.len());
    let t1 = recon
        .accounts
        .iter()
        .find(|a| a.number == "0001234567999")
        .unwrap();
    assert_eq!((t1.role, t1.sweep_lag_days), (AccountRole::Holding, 1));
    assert_eq!(recon.date_window_days, config.tolerances.date_window_days);
    assert_eq!(
        recon.unidentified_after_days,
        config.tolerances.unidentified_after_days
    );
}

#[test]
fn calendar_implements_working_days_across_idul_fitri_2026() {
    let cal = Calendar::bundled();
    assert_eq!(
        WorkingDays::add_working_days(&cal, d("2026-03-17"), 1),
        d("2026-03-25")
    );
    assert_eq!(
        WorkingDays::working_days_between(&cal, d("2026-03-17"), d("2026-03-25")),
        1
    );
    // T+0 on a holiday settles on the next bank business day.
    let next = WorkingDays::add_bank_days(&cal, d("2026-03-21"), 0);
    assert!(WorkingDays::is_bank_business_day(&cal, next));
    assert!(next > d("2026-03-21"));
    assert!(WorkingDays::covers(&cal, d("2026-03-17")));
    assert!(!WorkingDays::covers(&cal, d("2031-01-01")));
}

#[test]
fn deposit_around_the_holiday_is_on_time_with_the_real_calendar() {
    let (_, recon) = example();
    let rkud = "0101.01.000123-4";
    let mut inp = ReconInput::new(d("2026-03-27"));
    let mut s = sts("STS/DISHUB/2026/0301", "DISHUB", "2026-03-25", 750_000);
    s.account = rkud.to_string();
    s.collected_from = Some(d("2026-03-17"));
    inp.documents.sts.push(s);
    inp.lines.push(credit(
        "C1",
        "0101010001234",
        "2026-03-25",
        750_000,
        &["STS/DISHUB/2026/0301"],
    ));
    let out = reconcile(&inp, &recon, &Calendar::bundled());
    assert_eq!(out.matches.len(), 1, "{:#?}", out);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);

    // On a plain Monday–Friday calendar the same deposit looks six working days late.
    let out = reconcile(&inp, &recon, &WeekdayCalendar::default());
    assert_eq!(
        out.findings
            .iter()
            .filter(|f| f.finding_type == FindingType::LateDeposit)
            .count(),
        1
    );
}

#[test]
fn channel_rule_follows_the_collecting_bank() {
    let (_, recon) = example();
    // Teller at bank bjb settles to bjb's RKUD; at Bank Banten to the holding account.
    let mut inp = ReconInput::new(d("2026-02-03"));
    let mut r = receipt("BJB1", Channel::Teller, "2026-02-02", 40_000);
    r.1.bank = Some("bank bjb".into());
    r.1.ntb = None;
    r.1.paid_at = Utc.with_ymd_and_hms(2026, 2, 2, 3, 0, 0).unwrap();
    inp.documents.receipts.push(r);
    inp.lines.push(credit(
        "C1",
        "0001234567100",
        "2026-02-02",
        40_000,
        &["SETORAN PAJAK"],
    ));
    let out = reconcile(&inp, &recon, &Calendar::bundled());
    assert_eq!(out.matches.len(), 1, "{:#?}", out);
    assert_eq!(out.matches[0].rule, MatchRule::AmountDate);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

#[test]
fn transfer_rules_come_from_the_config_before_the_built_in_ones() {
    let (config, recon) = example();
    assert!(!config.transfer_in.is_empty());
    assert_eq!(recon.transfers[0].label, config.transfer_in[0].label);
    assert_eq!(
        recon.transfers.len(),
        config.transfer_in.len() + default_transfer_rules().len()
    );
    // A rule that would book a transfer on a non-revenue code is refused, naming its key.
    let mut bad = config.clone();
    bad.transfer_in[0].kode_rekening = "5.1.01".into();
    let problems = bad.validate();
    assert!(
        problems
            .iter()
            .any(|p| p.path == "transfer_in[0].kode_rekening" && p.message.contains("5.1.01")),
        "{problems:?}"
    );
}
