//! kasda.toml: the example loads, helpers answer, and each validation rule reports its key path.

use chrono::NaiveDate;
use kasda_core::calendar::Zone;
use kasda_core::config::{
    check_nip, AccountRole, Config, ConfigError, Fee, HoldingOwner, PemdaKind, SignatoryRole,
    SweepRule,
};
use kasda_core::document::Channel;
use rust_decimal_macros::dec;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The example text with each `(from, to)` replaced once (each `from` must occur).
fn edited(edits: &[(&str, &str)]) -> String {
    let mut text = Config::example().to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "example does not contain {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// Validation problems (as `path: message`) of the edited example.
fn problems(edits: &[(&str, &str)]) -> Vec<String> {
    match Config::from_str(&edited(edits)) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(other) => panic!("expected validation problems, got {other}"),
    }
}

fn assert_problem(edits: &[(&str, &str)], path: &str, needle: &str) {
    let found = problems(edits);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&format!("{path}: ")) && p.contains(needle)),
        "no problem at {path} containing {needle:?}; got {found:#?}"
    );
}

#[test]
fn example_loads_without_problems() {
    let config = Config::from_str(Config::example()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.fiscal_year, 2026);
    assert_eq!(config.pemda.kind, PemdaKind::Kota);
    assert_eq!(config.pemda.zone, Zone::Wib);
    assert_eq!(config.rkud.len(), 2);
    assert!(config.holding.len() >= 2 && config.opd.len() >= 5 && config.channel.len() >= 7);
    assert_eq!(
        config.holding[0].sweep,
        SweepRule::DailyBy(chrono::NaiveTime::from_hms_opt(16, 0, 0).unwrap())
    );
    assert_eq!(config.holding[1].sweep, SweepRule::T1);
    assert_eq!(config.holding[1].owner, HoldingOwner::BankInternal);
    assert!(config.validate().is_empty());
    for (name, channel) in [
        ("qris", Channel::Qris),
        ("teller", Channel::Teller),
        ("atm", Channel::Atm),
        ("mobile", Channel::Mobile),
        ("retail", Channel::Retail),
        ("ecommerce", Channel::Ecommerce),
        ("post_office", Channel::PostOffice),
    ] {
        assert!(config.channel(channel, None).is_some(), "{name}");
    }
    for short in ["Bapenda", "Dishub", "Disperindag", "DLH", "RSUD"] {
        assert!(
            config
                .opd
                .iter()
                .any(|o| o.short_name.as_deref() == Some(short)),
            "{short}"
        );
    }
    assert!(config.signatory(SignatoryRole::Bud).is_some());
    assert_eq!(
        config.targets.get("4.1.01.15.01.0001"),
        Some(&dec!(38000000000))
    );
}

#[test]
fn account_roles_compare_digits_only() {
    let config = Config::from_str(Config::example()).unwrap();
    assert_eq!(
        config.account_role("0101.01.000123-4"),
        Some(AccountRole::Rkud)
    );
    assert_eq!(
        config.account_role("0101010001234"),
        Some(AccountRole::Rkud)
    );
    assert_eq!(
        config.account_role("0001234567100"),
        Some(AccountRole::Rkud)
    );
    assert_eq!(
        config.account_role("0101-01-000777-1"),
        Some(AccountRole::Holding)
    );
    assert_eq!(
        config.account_role("0101.01.000802-8"),
        Some(AccountRole::OpdReceiving)
    );
    assert_eq!(config.account_role("9999999999"), None);
    assert_eq!(config.account_role(""), None);
    assert_eq!(
        config
            .opd_by_account("0101010008028")
            .unwrap()
            .short_name
            .as_deref(),
        Some("Dishub")
    );
    assert_eq!(
        config
            .opd("2.15.0.00.0.00.01.0000")
            .unwrap()
            .deposit_deadline_working_days,
        1
    );
    assert_eq!(
        config.rkud_account("0001234567100").unwrap().bank,
        "bank bjb"
    );
    assert_eq!(
        config.holding_account("0001234567999").unwrap().sweep,
        SweepRule::T1
    );
}

#[test]
fn mid_year_rkud_cut_over() {
    let config = Config::from_str(Config::example()).unwrap();
    assert_eq!(config.rkud_active_on(d("2026-06-30")).len(), 2);
    let after = config.rkud_active_on(d("2026-07-01"));
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].bank, "Bank Banten");
}

#[test]
fn channel_lookup_and_fees() {
    let config = Config::from_str(Config::example()).unwrap();
    let bjb_teller = config.channel(Channel::Teller, Some("BANK BJB")).unwrap();
    assert_eq!(bjb_teller.settles_to, "0001234567100");
    let qris = config.channel(Channel::Qris, None).unwrap();
    assert!(qris.is_qris());
    assert_eq!(qris.fee, Fee::None);
    let pos = config.channel(Channel::PostOffice, None).unwrap();
    assert_eq!(
        pos.fee,
        Fee::Percent {
            rate: dec!(0.5),
            cap: Some(dec!(10000))
        }
    );
    assert_eq!(pos.fee.on(dec!(150000)), dec!(750));
    assert_eq!(pos.fee.on(dec!(5000000)), dec!(10000));
    assert_eq!(pos.fee.on(dec!(333)), dec!(1.67));
    assert_eq!(
        config
            .channel(Channel::Ecommerce, None)
            .unwrap()
            .fee
            .on(dec!(1)),
        dec!(1500)
    );
    assert_eq!(pos.tolerance, dec!(100));
}

#[test]
fn chart_and_calendar_come_from_the_config() {
    let config = Config::from_str(Config::example()).unwrap();
    let chart = config.chart().unwrap();
    assert!(chart.lookup("4.1.02.01.05.0001").is_ok());
    assert_eq!(chart.fiscal_year(), Some(2026));
    let calendar = config.calendar().unwrap();
    assert_eq!(
        calendar.add_working_days(d("2026-03-17"), 1).unwrap(),
        d("2026-03-25")
    );
    let with_local = edited(&[(
        "local_holidays = []",
        "local_holidays = [ { date = 2026-08-10, name = \"Hari Jadi Kota Serang\" } ]",
    )]);
    let config = Config::from_str(&with_local).unwrap();
    assert!(!config
        .calendar()
        .unwrap()
        .is_working_day(d("2026-08-10"))
        .unwrap());
    assert!(config
        .calendar()
        .unwrap()
        .is_bank_business_day(d("2026-08-10"))
        .unwrap());
}

#[test]
fn serializes_back_to_an_equal_config() {
    let config = Config::from_str(Config::example()).unwrap();
    let text = config.to_toml().unwrap();
    let again = Config::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again, config);
}

#[test]
fn load_reads_files_and_reports_io_errors() {
    let dir = std::env::temp_dir().join(format!("kasda-core-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kasda.toml");
    std::fs::write(&path, Config::example()).unwrap();
    assert_eq!(Config::load(&path).unwrap().pemda.code, "36.73");
    let big = dir.join("big.toml");
    std::fs::write(&big, vec![b'#'; 2 * 1024 * 1024]).unwrap();
    assert!(matches!(
        Config::load(&big),
        Err(ConfigError::TooLarge { .. })
    ));
    let missing = Config::load(&dir.join("nope.toml")).unwrap_err();
    assert!(matches!(missing, ConfigError::Io { .. }));
    assert!(missing.to_string().contains("nope.toml"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn syntax_type_and_unknown_key_errors_name_the_place() {
    let float = edited(&[("amount = \"1500\"", "amount = 1500.0")]);
    let e = Config::from_str(&float).unwrap_err();
    assert!(matches!(e, ConfigError::Parse { .. }));
    assert!(e.to_string().contains("float"), "{e}");
    let unknown = edited(&[("deposit_deadline_working_days = 2", "deposit_deadline = 2")]);
    let e = Config::from_str(&unknown).unwrap_err();
    assert!(e.to_string().contains("deposit_deadline"), "{e}");
    let sweep = edited(&[("sweep = \"t1\"", "sweep = \"weekly\"")]);
    let e = Config::from_str(&sweep).unwrap_err();
    assert!(e.to_string().contains("daily_by HH:MM"), "{e}");
    let zone = edited(&[("zone = \"WIB\"", "zone = \"CET\"")]);
    assert!(Config::from_str(&zone).is_err());
    let channel = edited(&[("id = \"atm\"", "id = \"pigeon\"")]);
    assert!(Config::from_str(&channel).is_err());
    let negative = edited(&[("tolerance = \"100\"", "tolerance = -100")]);
    assert!(Config::from_str(&negative)
        .unwrap_err()
        .to_string()
        .contains("non-negative"));
    let scale = edited(&[("tolerance = \"100\"", "tolerance = \"100.005\"")]);
    assert!(Config::from_str(&scale).is_err());
    let date = edited(&[("active_to = 2026-06-30", "active_to = 2026-06-31")]);
    assert!(Config::from_str(&date).is_err());
}

#[test]
fn rule_fiscal_year_needs_a_calendar() {
    assert_problem(
        &[("fiscal_year = 2026", "fiscal_year = 2031")],
        "fiscal_year",
        "no holiday calendar for 2031",
    );
}

#[test]
fn rule_pemda_code_matches_kind() {
    assert_problem(
        &[("code = \"36.73\"", "code = \"3673\"")],
        "pemda.code",
        "expected a kode wilayah NN.NN",
    );
    assert_problem(
        &[("kind = \"kota\"", "kind = \"provinsi\"")],
        "pemda.code",
        "NN (e.g. 36 for Banten)",
    );
}

#[test]
fn rule_pemda_name_required() {
    assert_problem(
        &[("name = \"Pemerintah Kota Serang\"", "name = \" \"")],
        "pemda.name",
        "non-empty",
    );
}

#[test]
fn rule_at_least_one_rkud() {
    let text = Config::example().replace("[[rkud]]", "[[unused]]");
    // Removing the tables makes their keys unknown; build a config without RKUD instead.
    assert!(Config::from_str(&text).is_err());
    let mut config = Config::from_str(Config::example()).unwrap();
    config.rkud.clear();
    let found: Vec<String> = config.validate().iter().map(|p| p.to_string()).collect();
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("rkud: expected at least one")),
        "{found:#?}"
    );
}

#[test]
fn rule_rkud_every_day_covered() {
    assert_problem(
        &[(
            "active_from = 2026-01-01\n# Statement",
            "active_from = 2026-07-02\n# Statement",
        )],
        "rkud",
        "found none on 2026-07-01",
    );
}

#[test]
fn rule_rkud_period_ordered() {
    assert_problem(
        &[("active_to = 2026-06-30", "active_to = 2025-12-31")],
        "rkud[1].active_to",
        "on or after active_from 2026-01-01",
    );
}

#[test]
fn rule_bank_code_format() {
    assert_problem(
        &[("bank_code = \"PDJBIDJA\"", "bank_code = \"bjb\"")],
        "rkud[1].bank_code",
        "BIC",
    );
}

#[test]
fn rule_account_number_format() {
    assert_problem(
        &[(
            "account_number = \"0001234567999\"",
            "account_number = \"ABC-123\"",
        )],
        "holding[1].account_number",
        "6–34 digits",
    );
}

#[test]
fn rule_account_numbers_unique_by_digits() {
    assert_problem(
        &[(
            "account_number = \"0001234567999\"",
            "account_number = \"0001-2345-67100\"",
        )],
        "holding[1].account_number",
        "already registered at rkud[1].account_number",
    );
    assert_problem(
        &[(
            "receiving_account = \"0101.01.000803-6\"",
            "receiving_account = \"0101.01.000802-8\"",
        )],
        "opd[2].receiving_account",
        "already registered at opd[1].receiving_account",
    );
}

#[test]
fn rule_sweep_to_must_be_rkud() {
    assert_problem(
        &[(
            "sweep = \"t1\"\nsweep_to = \"0101.01.000123-4\"",
            "sweep = \"t1\"\nsweep_to = \"0101.01.000777-1\"",
        )],
        "holding[1].sweep_to",
        "expected the account number of an [[rkud]] account, found \"0101.01.000777-1\"",
    );
}

#[test]
fn rule_holding_channels_once() {
    assert_problem(
        &[(
            "channels = [\"retail\", \"ecommerce\", \"post_office\"]",
            "channels = [\"retail\", \"retail\"]",
        )],
        "holding[1].channels[1]",
        "listed twice",
    );
}

#[test]
fn rule_opd_codes_valid_and_unique() {
    assert_problem(
        &[(
            "code = \"2.15.0.00.0.00.01.0000\"",
            "code = \"5.02.0.00.0.00.01.0000\"",
        )],
        "opd[1].code",
        "already used by opd[0]",
    );
    assert_problem(
        &[(
            "code = \"2.15.0.00.0.00.01.0000\"",
            "code = \"Dinas Perhubungan\"",
        )],
        "opd[1].code",
        "letters, digits",
    );
}

#[test]
fn rule_nip_is_checked() {
    assert_problem(
        &[(
            "nip = \"198507222010011003\"",
            "nip = \"19850722201001100\"",
        )],
        "opd[1].bendahara_penerimaan.nip",
        "18-digit NIP",
    );
    assert_problem(
        &[(
            "nip = \"197004121995031002\"",
            "nip = \"197013121995031002\"",
        )],
        "signatory[0].nip",
        "birth date",
    );
    assert!(check_nip("198203142006042011").is_ok());
    assert!(check_nip("198203142006132011").unwrap_err().contains("TMT"));
    assert!(check_nip("198203142006043011")
        .unwrap_err()
        .contains("digit 15"));
}

#[test]
fn rule_deposit_deadline_bounded() {
    assert_problem(
        &[(
            "deposit_deadline_working_days = 2",
            "deposit_deadline_working_days = 15",
        )],
        "opd[4].deposit_deadline_working_days",
        "found 15",
    );
}

#[test]
fn rule_revenue_codes_in_chart() {
    assert_problem(
        &[(
            "revenue_codes = [\"4.1.02.01.04.0001\"]",
            "revenue_codes = [\"4.1.02.01.04.0009\"]",
        )],
        "opd[1].revenue_codes[0]",
        "unknown kode rekening 4.1.02.01.04.0009",
    );
}

#[test]
fn rule_channel_settles_to_registered_account() {
    assert_problem(
        &[(
            "settles_to = \"0001234567100\"",
            "settles_to = \"0101.01.000805-2\"",
        )],
        "channel[4].settles_to",
        "[[rkud]] or [[holding]]",
    );
}

#[test]
fn rule_fee_rate_is_a_percentage() {
    let found = problems(&[("rate = \"0.5\", cap", "rate = \"150\", cap")]);
    assert!(
        found.contains(
            &"channel[7].fee.rate: expected a percentage between 0 and 100, found 150".to_string()
        ),
        "{found:#?}"
    );
    assert_problem(
        &[("cap = \"10000\" }\ntolerance", "cap = \"0\" }\ntolerance")],
        "channel[7].fee.cap",
        "positive cap",
    );
}

#[test]
fn rule_qris_has_no_fee() {
    assert_problem(
        &[(
            "fee = { kind = \"none\" }\ntolerance = \"0\"\nqris = true",
            "fee = { kind = \"flat\", amount = \"700\" }\ntolerance = \"0\"\nqris = true",
        )],
        "channel[3].fee",
        "P2G MDR is 0%",
    );
    assert_problem(
        &[(
            "tolerance = \"0\"\nqris = true",
            "tolerance = \"0\"\nqris = false",
        )],
        "channel[3].qris",
        "MDR 0%",
    );
}

#[test]
fn rule_channel_once_per_bank() {
    assert_problem(
        &[("id = \"atm\"", "id = \"teller\"")],
        "channel[1].id",
        "already configured at channel[0]",
    );
}

#[test]
fn rule_settlement_lag_bounded() {
    assert_problem(
        &[("settlement_lag_days = 2", "settlement_lag_days = 20")],
        "channel[7].settlement_lag_days",
        "0–10 bank business days",
    );
}

#[test]
fn rule_tolerances_bounded() {
    assert_problem(
        &[("date_window_days = 3", "date_window_days = 40")],
        "tolerances.date_window_days",
        "0–31",
    );
    assert_problem(
        &[("unidentified_after_days = 5", "unidentified_after_days = 0")],
        "tolerances.unidentified_after_days",
        "1–365",
    );
    assert_problem(
        &[("amount = \"0\"", "amount = \"5000000\"")],
        "tolerances.amount",
        "hides leakage",
    );
    assert_problem(
        &[("sweep_grace_days = 0", "sweep_grace_days = 31")],
        "tolerances.sweep_grace_days",
        "0–30",
    );
    assert_problem(
        &[("min_reference_prefix = 6", "min_reference_prefix = 1")],
        "tolerances.min_reference_prefix",
        "3–35",
    );
}

#[test]
fn rule_local_holidays_in_range_and_once() {
    assert_problem(
        &[(
            "local_holidays = []",
            "local_holidays = [ { date = 2031-08-10, name = \"X\" } ]",
        )],
        "calendar.local_holidays[0].date",
        "loaded calendar years 2024–2027",
    );
    assert_problem(
        &[(
            "local_holidays = []",
            "local_holidays = [ { date = 2026-08-10, name = \"X\" }, { date = 2026-08-10, name = \"Y\" } ]",
        )],
        "calendar.local_holidays[1].date",
        "listed twice",
    );
}

#[test]
fn rule_pemda_working_days_override_listed_holidays() {
    assert_problem(
        &[(
            "pemda_working_days = []",
            "pemda_working_days = [2026-05-13]",
        )],
        "calendar.pemda_working_days[0]",
        "national holiday or cuti bersama",
    );
    assert!(problems(&[(
        "pemda_working_days = []",
        "pemda_working_days = [2026-05-15]"
    )])
    .is_empty());
}

#[test]
fn rule_chart_additions_need_parents() {
    assert_problem(
        &[("code = \"4.1.01.12.01\"\n", "code = \"4.1.01.17.01\"\n")],
        "chart.account[2]",
        "parent 4.1.01.17 is not in the chart",
    );
    // Every refused row is reported, and later rows still see the accepted ones.
    let found = problems(&[
        ("code = \"4.1.01.12.01\"\n", "code = \"4.1.01.17.01\"\n"),
        (
            "code = \"4.1.02.01.14.0001\"",
            "code = \"4.1.02.01.99.0001\"",
        ),
    ]);
    let chart_problems: Vec<&String> = found
        .iter()
        .filter(|p| p.starts_with("chart.account["))
        .collect();
    assert_eq!(chart_problems.len(), 3, "{found:#?}");
    assert!(
        found.iter().any(|p| p.starts_with("chart.account[3]: ")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with("chart.account[6]: ")),
        "{found:#?}"
    );
}

#[test]
fn rule_targets_use_known_codes() {
    assert_problem(
        &[(
            "\"4.1.01.21\" = \"31000000000\"",
            "\"4.1.01.99\" = \"31000000000\"",
        )],
        "targets.\"4.1.01.99\"",
        "unknown kode rekening",
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let found = problems(&[
        ("fiscal_year = 2026", "fiscal_year = 2026"),
        ("code = \"36.73\"", "code = \"36\""),
        ("rate = \"0.5\", cap", "rate = \"101\", cap"),
        ("date_window_days = 3", "date_window_days = 99"),
        (
            "sweep = \"t1\"\nsweep_to = \"0101.01.000123-4\"",
            "sweep = \"t1\"\nsweep_to = \"12345678\"",
        ),
    ]);
    assert_eq!(found.len(), 4, "{found:#?}");
    let e = Config::from_str(&edited(&[("code = \"36.73\"", "code = \"36\"")])).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("kasda.toml: 1 problem(s):\n  pemda.code: "),
        "{text}"
    );
}

#[test]
fn rule_statement_format_known() {
    assert_problem(
        &[("statement_format = \"mt940\"", "statement_format = \"pdf\"")],
        "rkud[1].statement_format",
        "csv:<profile>",
    );
}

#[test]
fn warnings_flag_what_an_operator_should_confirm() {
    let config = Config::from_str(Config::example()).unwrap();
    let warnings: Vec<String> = config.warnings().iter().map(|w| w.to_string()).collect();
    // The example has a bank-internal holding account and targets on codes marked verify.
    assert!(
        warnings.iter().any(|w| w.starts_with("holding[1].owner: ")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("targets.\"4.1.01.20\": ") && w.contains("verify")),
        "{warnings:#?}"
    );
    assert!(
        !warnings.iter().any(|w| w.starts_with("fiscal_year")),
        "{warnings:#?}"
    );

    let text = edited(&[
        ("fiscal_year = 2026", "fiscal_year = 2027"),
        (
            "channels = [\"teller\", \"atm\", \"mobile\", \"internet\"]",
            "channels = [\"teller\", \"atm\"]",
        ),
    ]);
    let config = Config::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let warnings: Vec<String> = config.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("fiscal_year: ") && w.contains("provisional")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("rkud[1]: ") && w.contains("not active")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("channel[2].settles_to: ") && w.contains("mobile")),
        "{warnings:#?}"
    );
}

#[test]
fn due_dates_follow_the_right_calendar() {
    let config = Config::from_str(Config::example()).unwrap();
    let calendar = config.calendar().unwrap();
    // Retail settles T+1 bank business day; cuti bersama are bank business days.
    let retail = config.channel(Channel::Retail, None).unwrap();
    assert_eq!(
        retail
            .expected_settlement(&calendar, d("2026-03-17"))
            .unwrap(),
        d("2026-03-18")
    );
    // Paid on Saturday 21 Mar (Idul Fitri): processed Monday 23 (cuti, banks open), settles 24.
    assert_eq!(
        retail
            .expected_settlement(&calendar, d("2026-03-21"))
            .unwrap(),
        d("2026-03-24")
    );
    let pos = config.channel(Channel::PostOffice, None).unwrap();
    assert_eq!(
        pos.expected_settlement(&calendar, d("2026-03-18")).unwrap(),
        d("2026-03-23")
    );
    let teller = config.channel(Channel::Teller, None).unwrap();
    assert_eq!(
        teller
            .expected_settlement(&calendar, d("2026-03-19"))
            .unwrap(),
        d("2026-03-20")
    );
    // Holding sweeps: daily_by = same business day, t1 = next.
    assert_eq!(
        config.holding[0]
            .sweep_due(&calendar, d("2026-03-17"))
            .unwrap(),
        d("2026-03-17")
    );
    assert_eq!(
        config.holding[1]
            .sweep_due(&calendar, d("2026-03-17"))
            .unwrap(),
        d("2026-03-18")
    );
    // Bendahara deposits use the pemda calendar: collected 17 Mar, due 25 Mar.
    let dishub = config.opd("2.15.0.00.0.00.01.0000").unwrap();
    assert_eq!(
        dishub.deposit_due(&calendar, d("2026-03-17")).unwrap(),
        d("2026-03-25")
    );
    let rsud = &config.opd[4];
    assert_eq!(rsud.deposit_deadline_working_days, 2);
    assert_eq!(
        rsud.deposit_due(&calendar, d("2026-03-13")).unwrap(),
        d("2026-03-17")
    );
    let mut same_day = dishub.clone();
    same_day.deposit_deadline_working_days = 0;
    assert_eq!(
        same_day.deposit_due(&calendar, d("2026-03-16")).unwrap(),
        d("2026-03-16")
    );
    assert_eq!(
        same_day.deposit_due(&calendar, d("2026-03-21")).unwrap(),
        d("2026-03-25")
    );
    assert!(dishub.deposit_due(&calendar, d("2023-12-29")).is_err());
}

#[test]
fn rule_texts_are_bounded_and_printable() {
    assert_problem(
        &[("short_name = \"Dishub\"", "short_name = \"Dis\\nhub\"")],
        "opd[1].short_name",
        "control characters",
    );
    let long = format!("name = \"{}\"", "x".repeat(201));
    assert_problem(
        &[("name = \"Dinas Perhubungan\"", long.as_str())],
        "opd[1].name",
        "at most 200",
    );
}

#[test]
fn fee_tables_are_strict() {
    let extra = edited(&[(
        "fee = { kind = \"flat\", amount = \"1500\" }",
        "fee = { kind = \"flat\", amount = \"1500\", rate = \"1\" }",
    )]);
    assert!(Config::from_str(&extra).is_err());
    let missing = edited(&[(
        "fee = { kind = \"flat\", amount = \"1500\" }",
        "fee = { kind = \"percent\" }",
    )]);
    assert!(Config::from_str(&missing)
        .unwrap_err()
        .to_string()
        .contains("rate"));
    let unknown = edited(&[(
        "fee = { kind = \"flat\", amount = \"1500\" }",
        "fee = { kind = \"mdr\" }",
    )]);
    assert!(Config::from_str(&unknown).is_err());
    let fine = edited(&[(
        "fee = { kind = \"flat\", amount = \"1500\" }",
        "fee = { kind = \"percent\", rate = 1 }",
    )]);
    let config = Config::from_str(&fine).unwrap();
    assert_eq!(
        config.channel[6].fee,
        Fee::Percent {
            rate: dec!(1),
            cap: None
        }
    );
}
