//! CSV profile reader: XLSX renderings read like their CSV, user profiles from a directory,
//! profile validation errors, and error locations for bad rows.

// `ReadError` is the crate's (large, cold-path) error type; see lib.rs.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use kasda_core::money::Direction;
use kasda_core::statement::{EntryStatus, StatementFile, StatementFormat};
use kasda_statement::csv_profile::{
    self, bundled_profile, bundled_profiles, load_profile_file, load_profiles, parse_profile,
    read_with_profiles,
};
use kasda_statement::{read_bytes, ReadError};
use rust_decimal_macros::dec;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements/csv")
}

fn sample(id: &str) -> Vec<u8> {
    let p = samples().join(format!("synthetic__{id}.csv"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The CSV's records as the csv crate splits them (flexible: preamble lines are short).
fn csv_rows(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn xlsx_from_rows(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn same_statement(csv: &StatementFile, xlsx: &StatementFile, what: &str) {
    assert_eq!(csv.format, xlsx.format, "{what}");
    assert_eq!(csv.version, xlsx.version, "{what}");
    assert_eq!(csv.statements, xlsx.statements, "{what}");
}

#[test]
fn xlsx_with_text_cells_reads_like_the_csv_for_every_layout() {
    for p in bundled_profiles() {
        let bytes = sample(&p.id);
        let from_csv = csv_profile::read(&p.id, &bytes, p).unwrap();
        // The synthetic samples have no blank preamble rows inside quotes, so the csv crate's
        // records line up with physical lines (blank lines are skipped by it, so put them back).
        let text = String::from_utf8(bytes.clone()).unwrap();
        let mut rows = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                rows.push(Vec::new());
            } else {
                rows.extend(csv_rows(line.as_bytes(), p.delimiter.as_bytes()[0]));
            }
        }
        let xlsx = xlsx_from_rows(&rows);
        let from_xlsx = csv_profile::read_xlsx(&p.id, &xlsx, p).unwrap();
        same_statement(&from_csv, &from_xlsx, &p.id);
        // The front door detects the workbook and reads it with the same profile.
        let detected = read_bytes("x.xlsx", &xlsx).unwrap();
        assert_eq!(detected.format, Some(StatementFormat::Csv(p.id.clone())));
        assert_eq!(detected.statements, from_csv.statements, "{}", p.id);
    }
}

#[test]
fn xlsx_with_number_and_date_cells_reads_like_the_csv() {
    let p = bundled_profile("bank-jatim").unwrap();
    let bytes = sample("bank-jatim");
    let from_csv = csv_profile::read("jatim.csv", &bytes, p).unwrap();
    let rows = csv_rows(&bytes, b',');
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c16) = (r as u32, c as u16);
            if r == 0 || ![0, 1, 6, 7, 8].contains(&c) {
                sheet.write_string(r, c16, cell).unwrap();
            } else if c <= 1 {
                let parts: Vec<u16> = cell.split('/').map(|x| x.parse().unwrap()).collect();
                let d = ExcelDateTime::from_ymd(parts[2], parts[1] as u8, parts[0] as u8).unwrap();
                sheet
                    .write_datetime_with_format(r, c16, d, &date_format)
                    .unwrap();
            } else {
                // Building the test workbook needs an f64 (that is what a sheet stores); the
                // reader must turn it back into the exact decimal.
                let n: f64 = cell.replace(',', "").parse().unwrap();
                sheet.write_number(r, c16, n).unwrap();
            }
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let from_xlsx = csv_profile::read_xlsx("jatim.xlsx", &xlsx, p).unwrap();
    same_statement(&from_csv, &from_xlsx, "typed bank-jatim");
}

#[test]
fn xlsx_time_and_iso_date_cells_read_like_the_csv() {
    let p = bundled_profile("bri-cms").unwrap();
    let bytes = sample("bri-cms");
    let from_csv = csv_profile::read("bri.csv", &bytes, p).unwrap();
    let rows = csv_rows(&bytes, b',');
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let time_format = Format::new().set_num_format("hh:mm:ss");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c16) = (r as u32, c as u16);
            if r > 0 && (c == 2 || c == 3) {
                let v: Vec<u16> = cell.split('-').map(|x| x.parse().unwrap()).collect();
                let d = ExcelDateTime::from_ymd(v[0], v[1] as u8, v[2] as u8).unwrap();
                sheet
                    .write_datetime_with_format(r, c16, d, &date_format)
                    .unwrap();
            } else if r > 0 && c == 4 {
                let v: Vec<u16> = cell.split(':').map(|x| x.parse().unwrap()).collect();
                let t = ExcelDateTime::from_hms(v[0], v[1] as u8, v[2]).unwrap();
                sheet
                    .write_datetime_with_format(r, c16, t, &time_format)
                    .unwrap();
            } else {
                sheet.write_string(r, c16, cell).unwrap();
            }
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let from_xlsx = csv_profile::read_xlsx("bri.xlsx", &xlsx, p).unwrap();
    assert!(from_xlsx.statements[0]
        .entries
        .iter()
        .all(|e| e.booked_at.is_some()));
    same_statement(&from_csv, &from_xlsx, "typed bri-cms");
}

#[test]
fn not_a_workbook_is_an_error_not_a_panic() {
    let p = bundled_profile("bni").unwrap();
    let e = csv_profile::read_xlsx("x.xlsx", b"PK\x03\x04garbage", p).unwrap_err();
    assert_eq!(e.code, "bad-xlsx");
    assert!(csv_profile::sniff(b"PK\x03\x04garbage").is_none());
}

const USER_PROFILE: &str = r#"
id = "bank-contoh-tab"
bank = "Bank Contoh"
description = "tab-separated export with a signed amount column and Windows-1252 text"
source = "written for kasda tests"
encoding = "windows-1252"
delimiter = "\t"
quote = ""
header = ["Tanggal", "Uraian", "Nominal", "Saldo"]
number_format = "indonesian"
date_formats = ["%d-%m-%Y"]

[columns]
booking_date = 1
description = [2]
amount = 3
amount_signed = true
balance_after = 4
"#;

#[test]
fn user_profiles_load_from_a_directory_and_read_their_files() {
    let dir = std::env::temp_dir().join(format!("kasda-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("contoh.toml"), USER_PROFILE).unwrap();
    std::fs::write(dir.join("README.txt"), "not a profile").unwrap();
    let profiles = load_profiles(&dir).unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(
        load_profile_file(&dir.join("contoh.toml")).unwrap(),
        profiles[0]
    );
    let body = b"Tanggal\tUraian\tNominal\tSaldo\r\n02-01-2026\tSETORAN CAF\xc9\t1.000,00\t11.000,00\r\n03-01-2026\tBIAYA\t-2.500,00\t8.400,00\r\n";
    let f = read_with_profiles("contoh.txt", body, &profiles).unwrap();
    assert_eq!(f.version.as_deref(), Some("bank-contoh-tab"));
    let e = &f.statements[0].entries;
    assert_eq!(e.len(), 2);
    assert_eq!(
        e[0].remittance.unstructured,
        vec!["SETORAN CAFÉ".to_string()]
    );
    assert_eq!(
        (e[1].amount, e[1].direction),
        (dec!(2500.00), Some(Direction::Debit))
    );
    let s = &f.statements[0];
    assert_eq!(s.opening().map(|b| b.amount), Some(dec!(10000.00)));
    assert_eq!(s.closing().map(|b| b.amount), Some(dec!(8400.00)));
    // Balance 11.000 − 2.500 ≠ 8.400: the break is reported with its line.
    assert!(
        f.warnings.contains(&"running-balance-break:3".to_string()),
        "{:?}",
        f.warnings
    );
    // A second profile with the same id is refused.
    std::fs::write(dir.join("zz-copy.toml"), USER_PROFILE).unwrap();
    assert_eq!(
        load_profiles(&dir).unwrap_err().code,
        "duplicate-profile-id"
    );
    // Bundled profiles do not know this layout.
    assert!(csv_profile::sniff(body).is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn profile_error(text: &str) -> ReadError {
    parse_profile("p.toml", text).unwrap_err()
}

#[test]
fn invalid_profiles_are_refused_with_the_field_named() {
    let e = profile_error(&USER_PROFILE.replace("balance_after = 4", "balance_after = 5"));
    assert_eq!(e.code, "invalid-profile");
    assert!(e.field.contains("columns.balance_after"), "{e}");
    let e = profile_error(&USER_PROFILE.replace("amount_signed = true", ""));
    assert!(e.expected.contains("direction column"), "{e}");
    let e = profile_error(&USER_PROFILE.replace("amount = 3", "amount = 3\ndebit = 3\ncredit = 3"));
    assert!(e.found.contains("both"), "{e}");
    let e = profile_error(&format!(
        "{USER_PROFILE}\n[footer]\nopening_balance = \"([\"\n"
    ));
    assert!(e.field.contains("footer.opening_balance"), "{e}");
    let e = profile_error(&format!(
        "{USER_PROFILE}\n[footer]\nopening_balance = \"Saldo\"\n"
    ));
    assert!(e.expected.contains("capture group"), "{e}");
    let e =
        profile_error(&USER_PROFILE.replace("id = \"bank-contoh-tab\"", "id = \"Bank Contoh\""));
    assert!(e.field.ends_with("id"), "{e}");
    let e = profile_error(&USER_PROFILE.replace("%d-%m-%Y", "%Y"));
    assert!(e.field.contains("date_formats"), "{e}");
    let e = profile_error(&USER_PROFILE.replace("delimiter = \"\\t\"", "delimiter = \";;\""));
    assert!(e.field.contains("delimiter"), "{e}");
    // Unknown keys are typos, not silently ignored settings.
    let e = profile_error(&USER_PROFILE.replace("[columns]", "[columns]\nbalanse = 4"));
    assert!(e.found.contains("balanse"), "{e}");
    assert!(e.location.line.is_some());
}

fn jatim(rows: &str) -> Result<StatementFile, ReadError> {
    let p = bundled_profile("bank-jatim").unwrap();
    let text = format!(
        "Post Date,Effective Date,Account,Name,Description,Currency,Debit,Credit,Balance,Reference No\r\n{rows}"
    );
    csv_profile::read("j.csv", text.as_bytes(), p)
}

#[test]
fn header_only_export_is_an_empty_statement() {
    let f = jatim("").unwrap();
    assert!(f.statements[0].entries.is_empty());
    assert!(f.statements[0].balances.is_empty());
}

#[test]
fn bad_rows_name_line_column_and_header() {
    let ok = "02/01/2026,02/01/2026,0007,RKUD,SETORAN,IDR,0.00,100.00,1100.00,R1\r\n";
    let e = jatim(&format!(
        "{ok}32/01/2026,02/01/2026,0007,RKUD,X,IDR,0.00,1.00,1101.00,R2\r\n"
    ))
    .unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.location.line, e.location.column),
        ("bad-date", Some(3), Some(1))
    );
    assert!(e.field.contains("Post Date"), "{e}");
    assert_eq!(e.location.entry, Some(1));
    let e = jatim(&format!(
        "{ok}02/01/2026,02/01/2026,0008,RKUD,X,IDR,0.00,1.00,1101.00,R2\r\n"
    ))
    .unwrap_err();
    assert_eq!(e.code, "mixed-accounts");
    let e = jatim(&format!(
        "{ok}02/01/2026,02/01/2026,0007,RKUD,X,USD,0.00,1.00,1101.00,R2\r\n"
    ))
    .unwrap_err();
    assert_eq!(e.code, "mixed-currencies");
    let e = jatim("02/01/2026,02/01/2026,0007,RKUD,X,IDR,5.00,1.00,1101.00,R2\r\n").unwrap_err();
    assert_eq!(e.code, "debit-and-credit");
    let e = jatim("02/01/2026,02/01/2026,0007,RKUD,A,B,IDR,0.00,1.00,1101.00,R2\r\n").unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.location.column),
        ("extra-columns", Some(11))
    );
    let e = jatim("02/01/2026,02/01/2026,0007,RKUD,X,IDR,0.00,1.001,1101.00,R2\r\n").unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.location.column),
        ("bad-number", Some(8))
    );
    assert!(e.expected.contains("at most 2 decimals"), "{e}");
    let e = jatim("02/01/2026,02/01/2026,0007,RKUD,\"X,IDR,0.00\r\n").unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.location.line),
        ("csv-unterminated-quote", Some(2))
    );
    let p = bundled_profile("bni").unwrap();
    let e = csv_profile::read("n.csv", b"Tanggal,Jumlah\n1,2\n", p).unwrap_err();
    assert_eq!(e.code, "csv-header-not-found");
    assert_eq!(e.file, "n.csv");
}

#[test]
fn negative_running_balance_and_zero_rows() {
    let f = jatim(
        "02/01/2026,02/01/2026,0007,RKUD,SP2D,IDR,\"1,500.00\",0.00,-500.00,R1\r\n\
         02/01/2026,02/01/2026,0007,RKUD,KOREKSI,IDR,0.00,0.00,-500.00,R2\r\n",
    )
    .unwrap();
    let s = &f.statements[0];
    assert_eq!(s.opening().map(|b| b.amount), Some(dec!(1000.00)));
    assert_eq!(s.closing().map(|b| b.amount), Some(dec!(-500.00)));
    assert_eq!(s.entries[1].direction, None);
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
}

#[test]
fn pending_rows_and_footer_through_the_front_door() {
    let bytes = std::fs::read(samples().join("edge__year-end-pending-footer.csv")).unwrap();
    let f = read_bytes("bca.csv", &bytes).unwrap();
    let s = &f.statements[0];
    assert_eq!(
        s.entries
            .iter()
            .filter(|e| e.status == EntryStatus::Pending)
            .count(),
        1
    );
    assert_eq!(s.opening().map(|b| b.amount), Some(dec!(1000000.00)));
    assert!(f
        .warnings
        .contains(&"non-booked-entries-excluded-from-balance-check".to_string()));
}
