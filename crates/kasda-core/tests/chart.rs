//! Bundled chart: coverage of the codes a treasury ledger needs, lookups, unknown codes, fiscal
//! year validity, pemda additions and the system-account mapping of every ledger kind.

use kasda_core::chart::{Chart, ChartAddition, ChartError, LakActivity, Origin, Status};
use kasda_core::kode_rekening::{KodeRekening, Level};
use kasda_core::ledger::{AccountKey, AccountKind};

fn k(s: &str) -> KodeRekening {
    KodeRekening::parse(s).unwrap()
}

#[test]
fn bundled_chart_loads_and_covers_the_treasury_codes() {
    let chart = Chart::bundled();
    assert!(chart.len() > 100, "{}", chart.len());
    for code in [
        "1.1.01.01.01.0001",
        "1.1.01.02.01.0001",
        "1.1.01.03.01.0001",
        "1.1.01.04",
        "1.1.01.08",
        "4",
        "4.1",
        "4.1.01",
        "4.1.01.01",
        "4.1.01.05",
        "4.1.01.06",
        "4.1.01.11",
        "4.1.01.09",
        "4.1.01.12",
        "4.1.01.13",
        "4.1.01.14",
        "4.1.01.15.01.0001",
        "4.1.01.16.01.0001",
        "4.1.01.16.02",
        "4.1.01.18",
        "4.1.01.19.01.0001",
        "4.1.01.19.05.0001",
        "4.1.01.20",
        "4.1.01.21",
        "4.1.02.01.01",
        "4.1.02.01.04",
        "4.1.02.01.05",
        "4.1.02.01.14",
        "4.1.02.02.07",
        "4.1.02.02.20",
        "4.1.02.03.07",
        "4.1.03",
        "4.1.04.05.01.0001",
        "4.1.04.07",
        "4.1.04.08",
        "4.1.04.15",
        "4.1.04.16",
        "4.2.01.05",
        "4.2.01.09",
        "4.2.02.01.01.0003",
        "4.2.02.01.01.0005",
        "5.1.01",
        "5.1.06",
        "5.2",
        "5.3",
        "5.4",
        "6.1",
        "6.2",
    ] {
        assert!(chart.lookup(code).is_ok(), "{code} missing");
    }
    let pbb = chart.lookup("4.1.01.15.01.0001").unwrap();
    assert_eq!(pbb.level, Level::SubRincianObjek);
    assert_eq!(pbb.status, Status::Confirmed);
    assert_eq!(pbb.origin, Origin::Bundled);
    assert!(pbb.name.contains("PBB-P2"));
    assert_eq!(chart.lookup("4.1.01.01").unwrap().status, Status::Verify);
}

#[test]
fn three_digit_sub_rincian_finds_the_same_row() {
    let chart = Chart::bundled();
    let short = chart.lookup("4.1.01.15.01.001").unwrap();
    assert_eq!(short.code.to_string(), "4.1.01.15.01.0001");
}

#[test]
fn unknown_and_invalid_codes_are_errors_naming_the_code() {
    let chart = Chart::bundled();
    let e = chart.lookup("4.1.01.99").unwrap_err();
    assert_eq!(
        e,
        ChartError::UnknownCode {
            code: "4.1.01.99".into()
        }
    );
    assert!(e.to_string().contains("4.1.01.99"));
    let e = chart.lookup("4.1.1").unwrap_err();
    assert!(matches!(e, ChartError::InvalidCode { .. }));
    assert!(e.to_string().contains("segment 3 (jenis)"), "{e}");
    assert!(!chart.contains("4.1.01.09.01.0001"));
}

#[test]
fn fiscal_year_validity() {
    let y2023 = Chart::bundled().for_year(2023);
    let e = y2023.lookup("4.1.01.19.03").unwrap_err();
    assert!(
        matches!(e, ChartError::NotValidInYear { year: 2023, .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("from 2024"), "{e}");
    assert!(y2023.lookup("4.1.01.20").is_err());
    assert!(y2023.lookup("4.1.01.06").is_ok());
    let y2025 = Chart::bundled().for_year(2025);
    assert!(y2025.lookup("4.1.01.20").is_ok());
    assert!(y2025.lookup("4.1.01.19.03.0001").is_ok());
    // Pre-HKPD taxes stay bookable for arrears.
    assert!(y2025.lookup("4.1.01.06").is_ok());
    assert_eq!(y2025.fiscal_year(), Some(2025));
}

#[test]
fn lak_activities_inherit_from_groups() {
    let chart = Chart::bundled();
    assert_eq!(
        chart.lak_activity(&k("4.1.01.15.01.0001")),
        Some(LakActivity::Operasi)
    );
    assert_eq!(
        chart.lak_activity(&k("5.2.02")),
        Some(LakActivity::Investasi)
    );
    assert_eq!(
        chart.lak_activity(&k("6.1.04")),
        Some(LakActivity::Pendanaan)
    );
    assert_eq!(
        chart.lak_activity(&k("2.1.01")),
        Some(LakActivity::Transitoris)
    );
    assert_eq!(chart.lak_activity(&k("1.1.01.01.01.0001")), None);
    assert_eq!(chart.lak_activity(&k("6.1.01")), None);
    // A code deeper than the chart inherits from its nearest ancestor.
    assert_eq!(
        chart.lak_activity(&k("5.1.02.01.01.0024")),
        Some(LakActivity::Operasi)
    );
    assert_eq!(
        chart.nearest(&k("5.1.02.01.01.0024")).unwrap().code,
        k("5.1.02")
    );
}

#[test]
fn children_in_chart_order() {
    let chart = Chart::bundled();
    let kids: Vec<String> = chart
        .children(&k("4.1.04.05"))
        .map(|a| a.code.to_string())
        .collect();
    assert_eq!(kids, ["4.1.04.05.01"]);
    let jenis: Vec<String> = chart
        .children(&k("4.1"))
        .map(|a| a.code.to_string())
        .collect();
    assert_eq!(jenis, ["4.1.01", "4.1.02", "4.1.03", "4.1.04"]);
    // A parent not in the chart still lists the codes under it.
    assert_eq!(chart.children(&k("4.1.01.17")).count(), 0);
}

#[test]
fn pemda_additions_extend_the_chart() {
    let adds = vec![
        ChartAddition {
            code: "4.1.01.09.01".into(),
            name: "Pajak Reklame Papan/Billboard/Videotron/Megatron".into(),
            lak_activity: None,
            valid_from_year: None,
            valid_to_year: None,
        },
        ChartAddition {
            code: "4.1.01.09.01.0001".into(),
            name: "Pajak Reklame Papan/Billboard".into(),
            lak_activity: None,
            valid_from_year: Some(2025),
            valid_to_year: None,
        },
    ];
    let chart = Chart::bundled().with_additions(&adds).unwrap();
    let row = chart.lookup("4.1.01.09.01.0001").unwrap();
    assert_eq!(row.origin, Origin::Pemda);
    assert_eq!(chart.lak_activity(&row.code), Some(LakActivity::Operasi));

    let orphan = Chart::bundled().with_additions(&adds[1..]).unwrap_err();
    assert!(
        orphan
            .to_string()
            .contains("parent 4.1.01.09.01 is not in the chart"),
        "{orphan}"
    );
    let dup = Chart::bundled()
        .with_additions(&[ChartAddition {
            code: "4.1.01.09".into(),
            name: "x".into(),
            lak_activity: None,
            valid_from_year: None,
            valid_to_year: None,
        }])
        .unwrap_err();
    assert!(dup.to_string().contains("already in the chart"), "{dup}");
    let bad = Chart::bundled()
        .with_additions(&[ChartAddition {
            code: "4.1.01.9".into(),
            name: "x".into(),
            lak_activity: None,
            valid_from_year: None,
            valid_to_year: None,
        }])
        .unwrap_err();
    assert!(
        matches!(bad, ChartError::Addition { index: 1, .. }),
        "{bad:?}"
    );
}

#[test]
fn every_ledger_kind_has_a_report_mapping() {
    let chart = Chart::bundled();
    for kind in AccountKind::ALL {
        let s = chart
            .system_account(kind)
            .unwrap_or_else(|| panic!("{kind:?} unmapped"));
        if kind.is_cash() {
            assert!(s.code.starts_with("1.1.01."), "{kind:?} -> {}", s.code);
            assert!(!s.system);
        }
    }
    for kind in [
        AccountKind::DanaDalamPerjalanan,
        AccountKind::PenerimaanBelumMasukRkud,
        AccountKind::PenerimaanBelumTeridentifikasi,
        AccountKind::PengeluaranBelumTeridentifikasi,
        AccountKind::Sp2dBelumDicairkan,
        AccountKind::KirimanUang,
    ] {
        let s = chart.system_account(kind).unwrap();
        assert!(
            s.system && s.code.starts_with("K.1."),
            "{kind:?} -> {}",
            s.code
        );
    }
    let mut codes: Vec<&str> = chart
        .system_accounts()
        .iter()
        .map(|s| s.code.as_str())
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(
        codes.len(),
        AccountKind::ALL.len(),
        "codes must be distinct"
    );
}

#[test]
fn report_lines_for_account_keys() {
    let chart = Chart::bundled();
    let line = chart
        .report_line(&AccountKey::new(
            AccountKind::PendapatanLra,
            "4.1.01.15.01.0001",
        ))
        .unwrap();
    assert_eq!(line.code, "4.1.01.15.01.0001");
    assert!(!line.system);
    let line = chart
        .report_line(&AccountKey::new(AccountKind::KasDaerah, "0012345678"))
        .unwrap();
    assert_eq!(
        (line.code.as_str(), line.name.as_str()),
        ("1.1.01.01.01.0001", "Kas di Kas Daerah")
    );
    let line = chart
        .report_line(&AccountKey::new(
            AccountKind::PenerimaanBelumMasukRkud,
            "4.1.01.16.01.0001",
        ))
        .unwrap();
    assert!(line.system && line.name.contains("BPHTB"), "{line:?}");
    let line = chart
        .report_line(&AccountKey::new(AccountKind::Belanja, "UP"))
        .unwrap();
    assert_eq!(line.code, "5");
    let e = chart
        .report_line(&AccountKey::new(AccountKind::PendapatanLra, "4.1.01.99"))
        .unwrap_err();
    assert!(matches!(e, ChartError::UnknownCode { .. }));
    let line = chart
        .report_line(&AccountKey::new(AccountKind::DanaDalamPerjalanan, "qris"))
        .unwrap();
    assert_eq!(line.code, "K.1.01");
}

#[test]
fn malformed_chart_files_are_rejected_with_line_and_field() {
    let sys = "kind\tcode\tname\tqualifier\tnote\n";
    let header = "code\tlevel\tname\tlak_activity\tstatus\tvalid_from_year\tvalid_to_year\tnote\n";
    let ok = format!("{header}4\t1\tPendapatan\toperasi\tconfirmed\t\t\t\n");
    assert_eq!(
        Chart::from_tsv("c.tsv", &ok, "s.tsv", sys).unwrap().len(),
        1
    );
    let cases = [
        (
            format!("{header}4\t2\tPendapatan\t\tconfirmed\t\t\t\n"),
            "level",
        ),
        (format!("{header}4\t1\t\t\tconfirmed\t\t\t\n"), "name"),
        (
            format!("{header}4\t1\tP\tkas\tconfirmed\t\t\t\n"),
            "lak_activity",
        ),
        (format!("{header}4\t1\tP\t\tsure\t\t\t\n"), "status"),
        (
            format!("{header}4\t1\tP\t\tconfirmed\t2026\t2024\t\n"),
            "valid_to_year",
        ),
        (
            format!("{header}4\t1\tP\t\tconfirmed\tsoon\t\t\n"),
            "valid_from_year",
        ),
        (format!("{header}4.1\t2\tP\t\tconfirmed\t\t\t\n"), "code"),
        (format!("{header}4\t1\tP\n"), "row"),
        (
            format!("{header}4\t1\tP\t\tconfirmed\t\t\t\n4\t1\tQ\t\tconfirmed\t\t\t\n"),
            "code",
        ),
    ];
    for (text, field) in cases {
        match Chart::from_tsv("c.tsv", &text, "s.tsv", sys) {
            Err(ChartError::Data { field: f, line, .. }) => {
                assert_eq!(f, field, "{text:?}");
                assert!(line >= 2);
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let bad_sys = format!("{sys}kas-daerah\t9.9\tKas\trkud_account\t\n");
    assert!(Chart::from_tsv("c.tsv", &ok, "s.tsv", &bad_sys).is_err());
}
