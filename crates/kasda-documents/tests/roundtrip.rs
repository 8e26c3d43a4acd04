//! write → read gives back the same documents, for every kind, CSV style and JSON Lines form;
//! XLSX written with rust_xlsxwriter reads like the CSV; quarantine files keep bad rows intact.

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::*;
use kasda_core::money::Direction;
use kasda_documents::write::{synthetic_receipts_csv, CsvStyle};
use kasda_documents::{
    read_documents, read_receipts_csv_count, summary_json, write_csv, write_csv_with, write_jsonl,
    write_quarantine, BadRows, Container, Kind, ReadOptions,
};
use rust_decimal_macros::dec;

fn now() -> DateTime<Utc> {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn receipts() -> Vec<Document> {
    let base = Receipt {
        ntpd: "NTPD-1".into(),
        kode_billing: Some("KB-1".into()),
        ntb: Some("NTB;with,separators\"".into()),
        nop: Some("367301000100200030".into()),
        npwpd: Some("P.2.0000123.36.73".into()),
        taxpayer_name: Some("Rumah Makan \"Sari\", Cabang; Dua".into()),
        jenis_pajak: Some("PBJT".into()),
        lines: vec![
            RevenueLine {
                kode_rekening: "4.1.01.19.01.0001".into(),
                amount: dec!(1500000.50),
            },
            RevenueLine {
                kode_rekening: "4.1.01.20.01.0001".into(),
                amount: dec!(500000),
            },
        ],
        masa_pajak: Some(2),
        tahun_pajak: Some(2026),
        pokok: dec!(1950000.50),
        denda: dec!(50000),
        total: dec!(2000000.50),
        channel: Channel::Qris,
        bank: Some("BANK BANTEN".into()),
        account: Some("0011223344".into()),
        paid_at: "2026-03-02T03:15:00Z".parse().unwrap(),
        paid_zone: Some("WIB".into()),
        settlement_date: Some(d("2026-03-03")),
        status: ReceiptStatus::Paid,
        reverses_ntpd: None,
        opd: Some("1.02.0.00.0.00.01.0000".into()),
    };
    let mut plain = base.clone();
    plain.ntpd = "NTPD-2".into();
    plain.kode_billing = None;
    plain.ntb = None;
    plain.nop = None;
    plain.npwpd = None;
    plain.taxpayer_name = None;
    plain.jenis_pajak = None;
    plain.lines = vec![RevenueLine {
        kode_rekening: "4.1.01.15.01.0001".into(),
        amount: dec!(80000),
    }];
    plain.masa_pajak = None;
    plain.tahun_pajak = None;
    plain.pokok = dec!(80000);
    plain.denda = dec!(0);
    plain.total = dec!(80000);
    plain.channel = Channel::PostOffice;
    plain.bank = None;
    plain.account = None;
    plain.paid_at = "2026-03-02T12:45:10.250Z".parse().unwrap();
    plain.paid_zone = Some("WITA".into());
    plain.settlement_date = None;
    plain.opd = None;
    let mut offset = plain.clone();
    offset.ntpd = "NTPD-3".into();
    offset.paid_zone = Some("+09:00".into());
    let mut utc = plain.clone();
    utc.ntpd = "NTPD-4".into();
    utc.paid_zone = None;
    let mut reversal = base.clone();
    reversal.ntpd = "NTPD-1".into();
    reversal.status = ReceiptStatus::Reversed;
    reversal.reverses_ntpd = Some("NTPD-1".into());
    reversal.paid_at = "2026-03-02T03:20:00Z".parse().unwrap();
    vec![base, plain, offset, utc, reversal]
        .into_iter()
        .map(Document::Receipt)
        .collect()
}

fn sts() -> Vec<Document> {
    vec![
        Document::Sts(Sts {
            number: "STS/0012/DISHUB/2026".into(),
            opd: "2.09.0.00.0.00.01.0000".into(),
            bendahara: Some("Siti".into()),
            date: d("2026-03-02"),
            account: "0011223344".into(),
            lines: vec![
                RevenueLine {
                    kode_rekening: "4.1.02.01.01.0004".into(),
                    amount: dec!(1250000),
                },
                RevenueLine {
                    kode_rekening: "4.1.02.01.01.0005".into(),
                    amount: dec!(500000.25),
                },
            ],
            total: dec!(1750000.25),
            collected_from: Some(d("2026-03-01")),
            collected_to: Some(d("2026-03-02")),
            tbp_numbers: vec!["TBP/001".into(), "TBP/002".into()],
        }),
        Document::Sts(Sts {
            number: "STS/0013".into(),
            opd: "RSUD".into(),
            bendahara: None,
            date: d("2026-03-03"),
            account: "0011223344".into(),
            lines: vec![RevenueLine {
                kode_rekening: "4.1.04.16.01.0001".into(),
                amount: dec!(98500000),
            }],
            total: dec!(98500000),
            collected_from: None,
            collected_to: None,
            tbp_numbers: vec![],
        }),
    ]
}

fn sp2d() -> Vec<Document> {
    vec![
        Document::Sp2d(Sp2d {
            number: "0280/LS-GJ/2026".into(),
            date: d("2026-03-02"),
            opd: "DINKES".into(),
            sp2d_type: Sp2dType::Ls,
            kode_rekening: Some("5.1.01.01.01.0001".into()),
            gross: dec!(10000000),
            deductions: vec![
                Deduction {
                    kind: "PPh21".into(),
                    amount: dec!(100000),
                },
                Deduction {
                    kind: "IWP".into(),
                    amount: dec!(50000.50),
                },
            ],
            net: dec!(9849999.50),
            beneficiary_name: "Bendahara Gaji".into(),
            beneficiary_bank: Some("BJB".into()),
            beneficiary_account: Some("0099".into()),
            account: "0011223344".into(),
        }),
        Document::Sp2d(Sp2d {
            number: "0017/UP/2026".into(),
            date: d("2026-03-03"),
            opd: "DISHUB".into(),
            sp2d_type: Sp2dType::Up,
            kode_rekening: None,
            gross: dec!(25000000),
            deductions: vec![],
            net: dec!(25000000),
            beneficiary_name: "Bendahara Pengeluaran".into(),
            beneficiary_bank: None,
            beneficiary_account: None,
            account: "0011223344".into(),
        }),
    ]
}

fn bku() -> Vec<Document> {
    let line = |owner: BkuOwner, number: u64, amount, direction, balance| {
        Document::Bku(BkuLine {
            owner,
            number,
            date: d("2026-03-02"),
            document: Some(format!("DOC/{number}")),
            description: "Uraian, dengan \"kutip\"".into(),
            kode_rekening: Some("4.1.02.01.01.0004".into()),
            amount,
            direction,
            account: None,
            balance_after: balance,
        })
    };
    let bp = || BkuOwner::BendaharaPenerimaan("DISHUB".into());
    vec![
        line(
            bp(),
            1,
            dec!(1250000),
            Direction::Credit,
            Some(dec!(1250000)),
        ),
        line(bp(), 2, dec!(1250000), Direction::Debit, Some(dec!(0))),
        line(
            BkuOwner::Bud,
            1,
            dec!(5000.75),
            Direction::Debit,
            Some(dec!(-5000.75)),
        ),
        line(BkuOwner::Bud, 2, dec!(10), Direction::Credit, None),
    ]
}

fn all() -> Vec<(Kind, Vec<Document>)> {
    vec![
        (Kind::Receipts, receipts()),
        (Kind::Sts, sts()),
        (Kind::Sp2d, sp2d()),
        (Kind::Bku, bku()),
    ]
}

fn read_back(name: &str, bytes: &[u8]) -> Vec<Document> {
    let batch = read_documents(name, bytes, &ReadOptions::new(now()))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    batch.documents.into_iter().map(|(_, d)| d).collect()
}

#[test]
fn csv_both_styles_round_trip() {
    for (kind, docs) in all() {
        for style in [CsvStyle::Plain, CsvStyle::Indonesian] {
            let mut out = Vec::new();
            write_csv_with(kind, &docs, &mut out, style).unwrap();
            assert_eq!(
                read_back("t.csv", &out),
                docs,
                "{kind:?} {style:?}\n{}",
                String::from_utf8_lossy(&out)
            );
        }
    }
}

#[test]
fn csv_header_is_the_documented_column_list() {
    let mut out = Vec::new();
    write_csv(Kind::Receipts, &[], &mut out).unwrap();
    let header = String::from_utf8(out).unwrap();
    assert_eq!(header.trim_end(), Kind::Receipts.columns().join(","));
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/documents/receipts.csv.md"
    ))
    .unwrap();
    for kind in Kind::ALL {
        let spec = std::fs::read_to_string(format!(
            "{}/../../schema/documents/{}.csv.md",
            env!("CARGO_MANIFEST_DIR"),
            kind.as_str()
        ))
        .unwrap();
        for col in kind.columns() {
            assert!(
                spec.contains(&format!("| {col} |")),
                "{col} undocumented in {}.csv.md",
                kind.as_str()
            );
        }
    }
    assert!(spec.contains("| ntpd | yes |"));
}

#[test]
fn writing_the_wrong_kind_is_an_error() {
    let e = write_csv(Kind::Sts, &receipts(), Vec::new()).unwrap_err();
    assert!(
        e.to_string().contains("document 1 is a receipts, not sts"),
        "{e}"
    );
}

#[test]
fn jsonl_tagged_and_bare_round_trip() {
    for (kind, docs) in all() {
        for tagged in [true, false] {
            let mut out = Vec::new();
            write_jsonl(&docs, &mut out, tagged).unwrap();
            let batch = read_documents("t.jsonl", &out, &ReadOptions::new(now())).unwrap();
            assert_eq!(batch.kind, kind);
            assert_eq!(batch.container, Container::JsonLines { tagged });
            let back: Vec<Document> = batch.documents.into_iter().map(|(_, d)| d).collect();
            assert_eq!(back, docs, "{kind:?} tagged={tagged}");
        }
    }
}

/// Writes a CSV's cells into an XLSX sheet: numbers as numbers where the column is an amount,
/// dates as real Excel dates, everything else as text.
fn csv_to_xlsx(csv_bytes: &[u8], numeric: &[&str], dates: &[&str]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_bytes);
    let mut header: Vec<String> = Vec::new();
    for (r, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        if r == 0 {
            header = rec.iter().map(str::to_string).collect();
        }
        for (c, cell) in rec.iter().enumerate() {
            let (row, col) = (r as u32 + 2, c as u16 + 1); // start at B3: ranges need not start at A1
            let name = header[c].as_str();
            if r > 0 && numeric.contains(&name) && !cell.is_empty() {
                sheet
                    .write_number(row, col, cell.parse::<f64>().unwrap())
                    .unwrap();
            } else if r > 0 && dates.contains(&name) && !cell.is_empty() {
                let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(cell).unwrap();
                sheet
                    .write_datetime_with_format(row, col, &date, &date_format)
                    .unwrap();
            } else if !cell.is_empty() {
                sheet.write_string(row, col, cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// Kind, documents, columns written as Excel numbers, columns written as Excel dates.
type XlsxCase = (
    Kind,
    Vec<Document>,
    &'static [&'static str],
    &'static [&'static str],
);

#[test]
fn xlsx_reads_like_csv() {
    let cases: Vec<XlsxCase> = vec![
        (
            Kind::Receipts,
            receipts(),
            &["pokok", "denda", "total", "tahun_pajak"],
            &["tanggal_settlement"],
        ),
        (Kind::Sts, sts(), &["total"], &["tanggal", "tbp_dari"]),
        (Kind::Sp2d, sp2d(), &["bruto", "netto"], &["tanggal"]),
        (
            Kind::Bku,
            bku(),
            &["nomor", "penerimaan", "pengeluaran", "saldo"],
            &["tanggal"],
        ),
    ];
    for (kind, docs, numeric, dates) in cases {
        let mut csv_bytes = Vec::new();
        write_csv(kind, &docs, &mut csv_bytes).unwrap();
        let xlsx = csv_to_xlsx(&csv_bytes, numeric, dates);
        let batch = read_documents("t.xlsx", &xlsx, &ReadOptions::new(now()))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(batch.container, Container::Xlsx);
        assert_eq!(batch.kind, kind);
        assert_eq!(
            batch.documents.first().map(|(r, _)| r.line),
            Some(4),
            "sheet row numbers"
        );
        let back: Vec<Document> = batch.documents.into_iter().map(|(_, d)| d).collect();
        assert_eq!(back, docs, "{kind:?}");
    }
}

#[test]
fn xlsx_bad_rows_are_quarantined_as_csv_text() {
    let csv_text = "nomor_sts,opd,tanggal,rekening,kode_rekening,total\nS1,O,2026-03-02,R,4.1.02.01.01.0004,10\nS2,O,2026-03-02,R,4.1.02.01.01.0004,11.001\n";
    let xlsx = csv_to_xlsx(csv_text.as_bytes(), &["total"], &[]);
    let mut opts = ReadOptions::new(now());
    opts.bad_rows = BadRows::Quarantine;
    let batch = read_documents("t.xlsx", &xlsx, &opts).unwrap();
    assert_eq!(
        (
            batch.rows_in,
            batch.documents.len(),
            batch.quarantined.len()
        ),
        (2, 1, 1)
    );
    let q = &batch.quarantined[0];
    assert_eq!(q.row.line, 5);
    assert_eq!(q.raw, b"S2,O,2026-03-02,R,4.1.02.01.01.0004,11.001");
    let dir = tempfile::tempdir().unwrap();
    let path = write_quarantine(&batch, dir.path(), "t.xlsx").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(path.ends_with("t.xlsx.quarantine.csv"));
    assert!(
        text.starts_with("nomor_sts,opd,tanggal,rekening,kode_rekening,total,alasan_karantina\n"),
        "{text}"
    );
    assert!(
        text.contains("S2,O,2026-03-02,R,4.1.02.01.01.0004,11.001,\"total: expected amount"),
        "{text}"
    );
}

#[test]
fn xlsx_garbage_is_an_error_not_a_panic() {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    let e = read_documents("x.xlsx", &bytes, &ReadOptions::new(now())).unwrap_err();
    assert!(e.to_string().starts_with("x.xlsx: cannot read XLSX"), "{e}");
}

#[test]
fn csv_quarantine_keeps_original_bytes_and_reimports() {
    let original = "ntpd;kode_rekening;pokok;total;channel;dibayar_pada;zona\r\nA;4.1.01.15.01.0001;1.000,00;1.000,00;atm;2026-03-02 10:00:00;WIB\r\nB;4.1.01.15.01.0001;1.000,001;1.000,001;atm;2026-03-02 10:00:00;WIB\r\n\"C\";4.1.01.15.01.0001;5;5;\"merpati\npos\";2026-03-02 10:00:00;WIB\r\nD;4.1.01.15.01.0001;7;7;atm;2026-03-02 10:00:00;WIB\r\n";
    let mut opts = ReadOptions::new(now());
    opts.bad_rows = BadRows::Quarantine;
    let batch = read_documents("day.csv", original.as_bytes(), &opts).unwrap();
    assert_eq!(
        (
            batch.rows_in,
            batch.documents.len(),
            batch.quarantined.len()
        ),
        (4, 2, 2)
    );
    assert_eq!(
        batch.quarantined[0].raw,
        b"B;4.1.01.15.01.0001;1.000,001;1.000,001;atm;2026-03-02 10:00:00;WIB"
    );
    assert_eq!(
        batch.quarantined[1].raw,
        b"\"C\";4.1.01.15.01.0001;5;5;\"merpati\npos\";2026-03-02 10:00:00;WIB"
    );
    assert_eq!(batch.quarantined[1].row.line, 4);
    assert_eq!(
        batch.documents[1].0.line, 6,
        "line numbers count the newline inside quotes"
    );
    let summary = summary_json(&batch);
    assert_eq!(summary["rows"], 4);
    assert_eq!(summary["valid"], 2);
    assert_eq!(summary["invalid"], 2);
    assert_eq!(summary["total_amount"], "1007.00");

    let dir = tempfile::tempdir().unwrap();
    let path = write_quarantine(&batch, dir.path(), "/in/day.csv").unwrap();
    assert_eq!(path, dir.path().join("day.csv.quarantine.csv"));
    let q = std::fs::read(&path).unwrap();
    let text = String::from_utf8(q.clone()).unwrap();
    assert!(text.starts_with(
        "ntpd;kode_rekening;pokok;total;channel;dibayar_pada;zona;alasan_karantina\n"
    ));
    assert!(text.contains("B;4.1.01.15.01.0001;1.000,001;1.000,001;atm;2026-03-02 10:00:00;WIB;\"pokok: expected amount"));
    // Re-reading the quarantine file finds the same two bad rows (the reason column is ignored).
    let again = read_documents("day.csv.quarantine.csv", &q, &opts).unwrap();
    assert_eq!((again.rows_in, again.documents.len()), (2, 0));
    assert_eq!(
        again.quarantined[0].errors,
        batch.quarantined[0]
            .errors
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.row = 2;
                e
            })
            .collect::<Vec<_>>()
    );
}

#[test]
fn jsonl_quarantine_wraps_the_original_line() {
    let text = "{\"kind\":\"sts\",\"number\":\"S\"}\n";
    let mut opts = ReadOptions::new(now());
    opts.bad_rows = BadRows::Quarantine;
    opts.kind = Some(Kind::Sts);
    let batch = read_documents("s.jsonl", text.as_bytes(), &opts).unwrap();
    assert_eq!(batch.quarantined.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = write_quarantine(&batch, dir.path(), "s.jsonl").unwrap();
    let line = std::fs::read_to_string(path).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
    assert_eq!(v["baris"], 1);
    assert_eq!(v["asli"], "{\"kind\":\"sts\",\"number\":\"S\"}");
    assert!(v["alasan_karantina"]
        .as_str()
        .unwrap()
        .starts_with("json: expected a sts object"));
}

#[test]
fn synthetic_receipts_read_back_whole() {
    let csv = synthetic_receipts_csv(5000, d("2026-03-02"));
    assert_eq!(read_receipts_csv_count(&csv, now()).unwrap(), 5000);
}

#[test]
fn json_schemas_name_every_serialized_field() {
    for (kind, docs) in all() {
        let path = format!(
            "{}/../../schema/documents/{}.schema.json",
            env!("CARGO_MANIFEST_DIR"),
            kind.as_str()
        );
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let props = schema["properties"].as_object().unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(props["kind"]["const"], kind.document_tag());
        for doc in &docs {
            let v = serde_json::to_value(doc).unwrap();
            let obj = v.as_object().unwrap();
            for key in obj.keys() {
                assert!(props.contains_key(key), "{path}: no property {key}");
            }
            for key in &required {
                assert!(
                    obj.contains_key(*key),
                    "{path}: required {key} not serialized"
                );
            }
        }
    }
}

#[test]
fn xlsx_identifiers_typed_as_numbers_are_refused() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "ntpd",
        "nop",
        "kode_rekening",
        "pokok",
        "total",
        "channel",
        "dibayar_pada",
        "zona",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 12345.0).unwrap(); // a short numeric NTPD is exact: accepted
    sheet.write_number(1, 1, 367301000100200030.0).unwrap(); // 18 digits: not exact
    for (c, v) in [
        (2u16, "4.1.01.15.01.0001"),
        (5, "atm"),
        (6, "2026-03-02 10:00:00"),
        (7, "WIB"),
    ] {
        sheet.write_string(1, c, v).unwrap();
    }
    sheet.write_number(1, 3, 100.0).unwrap();
    sheet.write_number(1, 4, 100.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let mut opts = ReadOptions::new(now());
    opts.bad_rows = BadRows::Quarantine;
    let batch = read_documents("n.xlsx", &bytes, &opts).unwrap();
    assert_eq!(batch.quarantined.len(), 1);
    let e = &batch.quarantined[0].errors[0];
    assert_eq!((e.row, e.column.as_str()), (2, "nop"));
    assert!(e.expected.starts_with("a text cell"), "{e:?}");
}
