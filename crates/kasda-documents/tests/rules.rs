//! One test per rule and per option, on small inline files, asserting the row, column and
//! wording of each problem.

use chrono::{DateTime, Utc};
use kasda_core::document::{Document, ReceiptStatus};
use kasda_core::money::NumberFormat;
use kasda_documents::{
    detect_kind, read_documents, BadRows, Container, DocumentsError, Duplicates, KeySet, Kind,
    ReadOptions, RowError, TextEncoding,
};
use rust_decimal_macros::dec;

const RECEIPT_HEADER: &str =
    "ntpd,kode_billing,nop,npwpd,kode_rekening,pokok,denda,total,channel,dibayar_pada,zona,tanggal_settlement,status,membatalkan_ntpd\n";

fn now() -> DateTime<Utc> {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

fn receipt_row(ntpd: &str, kb: &str, total: &str) -> String {
    format!(
        "{ntpd},{kb},,,4.1.01.15.01.0001,{total},0,{total},teller,2026-03-02 10:00:00,WIB,,paid,\n"
    )
}

fn errors_of(
    r: Result<kasda_documents::DocumentBatch, DocumentsError>,
) -> (Vec<RowError>, usize, usize) {
    match r {
        Err(DocumentsError::InvalidRows {
            errors,
            count,
            more,
            ..
        }) => (errors, count, more),
        other => panic!("expected InvalidRows, got {other:?}"),
    }
}

fn only_error(csv: &str, opts: &ReadOptions<'_>) -> RowError {
    let (errors, count, _) = errors_of(read_documents("t.csv", csv.as_bytes(), opts));
    assert_eq!(count, 1, "{errors:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn a_bad_row_rejects_the_whole_file_and_every_bad_row_is_listed() {
    let mut csv = RECEIPT_HEADER.to_string();
    csv += &receipt_row("A", "KA", "100");
    csv += &receipt_row("B", "KB", "0");
    csv += &receipt_row("C", "KC", "100");
    csv += &receipt_row("D", "KD", "abc");
    let e = read_documents("day.csv", csv.as_bytes(), &ReadOptions::new(now())).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("day.csv: 2 invalid receipts row(s) of 4"),
        "{text}"
    );
    let (errors, count, more) = errors_of(Err(e));
    assert_eq!((count, more), (2, 0));
    assert!(errors
        .iter()
        .any(|e| e.row == 3 && e.column == "total" && e.expected == "an amount greater than 0"));
    assert!(errors
        .iter()
        .any(|e| e.row == 5 && e.column == "pokok" && e.found == "abc"));
    assert!(errors
        .iter()
        .any(|e| e.row == 5 && e.column == "total" && e.found == "abc"));
    assert!(errors.windows(2).all(|w| w[0].row <= w[1].row), "row order");
}

#[test]
fn error_list_is_capped_with_and_n_more() {
    let mut csv = RECEIPT_HEADER.to_string();
    for i in 0..30 {
        csv += &receipt_row(&format!("N{i}"), &format!("K{i}"), "-5");
    }
    let mut opts = ReadOptions::new(now());
    opts.max_errors = 10;
    let e = read_documents("t.csv", csv.as_bytes(), &opts).unwrap_err();
    assert!(e.to_string().ends_with("and 50 more"), "{e}");
    let (errors, count, more) = errors_of(Err(e));
    assert_eq!((errors.len(), count, more), (10, 30, 50));
}

#[test]
fn total_must_equal_pokok_plus_denda() {
    let csv = format!(
        "{RECEIPT_HEADER}X,K,,,4.1.01.15.01.0001,100,10,100,teller,2026-03-02 10:00:00,WIB,,paid,\n"
    );
    let e = only_error(&csv, &ReadOptions::new(now()));
    assert_eq!(
        (
            e.row,
            e.column.as_str(),
            e.expected.as_str(),
            e.found.as_str()
        ),
        (2, "total", "pokok + denda = 110", "100")
    );
}

#[test]
fn revenue_lines_must_sum_to_total_and_be_pendapatan() {
    let csv = format!(
        "{RECEIPT_HEADER}X,K,,,\"4.1.01.19.01.0001=60;4.1.01.19.02.0001=30\",100,0,100,teller,2026-03-02 10:00:00,WIB,,paid,\n"
    );
    let e = only_error(&csv, &ReadOptions::new(now()));
    assert_eq!(
        (e.column.as_str(), e.found.as_str()),
        ("kode_rekening", "sum 90")
    );
    let csv = format!(
        "{RECEIPT_HEADER}X,K,,,\"4.1.01.19.01.0001=60;4.1.01.19.01.0001=40\",100,0,100,teller,2026-03-02 10:00:00,WIB,,paid,\n"
    );
    assert_eq!(
        only_error(&csv, &ReadOptions::new(now())).expected,
        "each kode rekening once"
    );
    let csv = format!("{RECEIPT_HEADER}X,K,,,\"4.1.01.19.01.0001;4.1.01.19.02.0001\",100,0,100,teller,2026-03-02 10:00:00,WIB,,paid,\n");
    let (errors, count, _) = errors_of(read_documents(
        "t.csv",
        csv.as_bytes(),
        &ReadOptions::new(now()),
    ));
    assert_eq!(count, 1);
    assert!(
        errors.iter().all(|e| e.expected.contains("key=amount")),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 2, "each bare code is named");
}

#[test]
fn kode_rekening_must_exist_in_the_chart_when_one_is_given() {
    let chart = |k: &str| k == "4.1.01.15.01.0001";
    let mut opts = ReadOptions::new(now());
    opts.kode_lookup = Some(&chart);
    let ok = format!("{RECEIPT_HEADER}{}", receipt_row("A", "K", "100"));
    assert_eq!(
        read_documents("t.csv", ok.as_bytes(), &opts)
            .unwrap()
            .documents
            .len(),
        1
    );
    let bad = ok.replace("4.1.01.15.01.0001", "4.1.01.15.01.0009");
    let e = only_error(&bad, &opts);
    assert_eq!(
        (e.expected.as_str(), e.found.as_str()),
        ("a kode rekening in the pemda's chart", "4.1.01.15.01.0009")
    );
}

#[test]
fn keys_unique_within_the_file_for_every_kind() {
    let csv = format!(
        "{RECEIPT_HEADER}{}{}",
        receipt_row("A", "K1", "1"),
        receipt_row("A", "K2", "1")
    );
    let e = only_error(&csv, &ReadOptions::new(now()));
    assert_eq!(
        (e.row, e.column.as_str(), e.found.as_str()),
        (3, "ntpd", "receipt:A")
    );
    assert!(e.expected.contains("first at row 2"));

    let sts = "nomor_sts,opd,tanggal,rekening,kode_rekening,total\nS1,O,2026-03-02,R,4.1.02.01.01.0004,5\nS1,O,2026-03-03,R,4.1.02.01.01.0004,6\n";
    assert_eq!(only_error(sts, &ReadOptions::new(now())).found, "sts:S1");
    let sp2d = "nomor_sp2d,tanggal,opd,jenis,bruto,netto,nama_penerima,rekening\nP1,2026-03-02,O,UP,5,5,N,R\nP1,2026-03-02,O,UP,5,5,N,R\n";
    assert_eq!(only_error(sp2d, &ReadOptions::new(now())).found, "sp2d:P1");
    // BKU numbers restart per book: the same number in two books is fine.
    let bku = "pemilik,opd,nomor,tanggal,uraian,penerimaan\nbud,,1,2026-03-02,a,5\nbp,X,1,2026-03-02,b,5\nbp,X,1,2026-03-02,c,5\n";
    assert_eq!(
        only_error(bku, &ReadOptions::new(now())).found,
        "bku:X:2026:1"
    );
}

#[test]
fn kode_billing_paid_twice_unless_the_first_was_reversed() {
    let twice = format!(
        "{RECEIPT_HEADER}{}{}",
        receipt_row("A", "KB", "1"),
        receipt_row("B", "KB", "1")
    );
    let e = only_error(&twice, &ReadOptions::new(now()));
    assert_eq!((e.row, e.column.as_str()), (3, "kode_billing"));
    let reversed =
        format!("{twice}R,,,,4.1.01.15.01.0001,1,0,1,teller,2026-03-02 10:05:00,WIB,,reversed,A\n");
    let batch = read_documents("t.csv", reversed.as_bytes(), &ReadOptions::new(now())).unwrap();
    assert_eq!(batch.documents.len(), 3);
}

#[test]
fn duplicates_can_be_reported_instead_of_rejected() {
    let csv = format!(
        "{RECEIPT_HEADER}{}{}",
        receipt_row("A", "K1", "1"),
        receipt_row("A", "K1", "1")
    );
    let mut opts = ReadOptions::new(now());
    opts.duplicates = Duplicates::Report;
    let batch = read_documents("t.csv", csv.as_bytes(), &opts).unwrap();
    assert_eq!(batch.documents.len(), 2);
    let keys: Vec<(&str, u64, u64)> = batch
        .duplicates
        .iter()
        .map(|d| (d.key.as_str(), d.row, d.first_row))
        .collect();
    assert_eq!(keys, vec![("receipt:A", 3, 2), ("kode_billing:K1", 3, 2)]);
}

#[test]
fn existing_keys_reject_repeats_and_satisfy_reversals() {
    let first = format!("{RECEIPT_HEADER}{}", receipt_row("A", "KA", "100"));
    let batch = read_documents("d1.csv", first.as_bytes(), &ReadOptions::new(now())).unwrap();
    let stored = KeySet::from_documents(batch.documents.iter().map(|(_, d)| d));
    let mut opts = ReadOptions::new(now());
    opts.existing = Some(&stored);

    let again = only_error(&first, &opts);
    assert_eq!(
        (again.column.as_str(), again.found.as_str()),
        ("ntpd", "receipt:A")
    );
    assert_eq!(again.expected, "a key not already stored");

    let rebill = format!("{RECEIPT_HEADER}{}", receipt_row("B", "KA", "100"));
    let e = only_error(&rebill, &opts);
    assert_eq!(
        (e.column.as_str(), e.found.as_str()),
        ("kode_billing", "KA")
    );

    let reversal = format!("{RECEIPT_HEADER}R,,,,4.1.01.15.01.0001,100,0,100,teller,2026-03-03 10:00:00,WIB,,reversed,A\n");
    let batch = read_documents("d2.csv", reversal.as_bytes(), &opts).unwrap();
    let Document::Receipt(r) = &batch.documents[0].1 else {
        panic!()
    };
    assert_eq!(
        (r.status, r.reverses_ntpd.as_deref()),
        (ReceiptStatus::Reversed, Some("A"))
    );
    // Without the store the same reversal points nowhere.
    let e = only_error(&reversal, &ReadOptions::new(now()));
    assert_eq!(
        (e.column.as_str(), e.found.as_str()),
        ("membatalkan_ntpd", "A")
    );
}

#[test]
fn a_receipt_is_reversed_at_most_once_and_for_its_own_total() {
    let base = format!("{RECEIPT_HEADER}{}", receipt_row("A", "KA", "100"));
    let rev = |ntpd: &str, total: &str| {
        format!("{ntpd},,,,4.1.01.15.01.0001,{total},0,{total},teller,2026-03-02 11:00:00,WIB,,reversed,A\n")
    };
    let twice = format!("{base}{}{}", rev("R1", "100"), rev("R2", "100"));
    let e = only_error(&twice, &ReadOptions::new(now()));
    assert_eq!((e.row, e.column.as_str()), (4, "membatalkan_ntpd"));
    assert!(e.expected.contains("reversed at row 3"));
    let wrong = format!("{base}{}", rev("R1", "90"));
    let e = only_error(&wrong, &ReadOptions::new(now()));
    assert_eq!(
        (e.column.as_str(), e.expected.as_str()),
        ("total", "the reversed receipt's total 100")
    );
    let reversed_without_target = format!(
        "{RECEIPT_HEADER}R,,,,4.1.01.15.01.0001,1,0,1,teller,2026-03-02 11:00:00,WIB,,reversed,\n"
    );
    assert_eq!(
        only_error(&reversed_without_target, &ReadOptions::new(now())).column,
        "membatalkan_ntpd"
    );
}

#[test]
fn dates_are_plausible_relative_to_now_and_tolerance() {
    let at = |ts: &str, settle: &str| {
        format!("{RECEIPT_HEADER}X,K,,,4.1.01.15.01.0001,1,0,1,teller,{ts},WIB,{settle},paid,\n")
    };
    // 2026-03-11 06:00 WIB = 2026-03-10T23:00Z: inside one day of tolerance.
    assert!(read_documents(
        "t.csv",
        at("2026-03-11 06:00:00", "").as_bytes(),
        &ReadOptions::new(now())
    )
    .is_ok());
    let e = only_error(&at("2026-03-11 08:00:00", ""), &ReadOptions::new(now()));
    assert_eq!(e.column, "dibayar_pada");
    let mut strict = ReadOptions::new(now());
    strict.future_tolerance_days = 0;
    assert_eq!(
        only_error(&at("2026-03-10 08:00:00", ""), &strict).column,
        "dibayar_pada"
    );
    assert_eq!(
        only_error(&at("1999-12-31 08:00:00", ""), &ReadOptions::new(now())).column,
        "dibayar_pada"
    );
    // Settlement: not before the local payment date (00:30 WIB on the 2nd is the 1st in UTC).
    assert!(read_documents(
        "t.csv",
        at("2026-03-02 00:30:00", "2026-03-02").as_bytes(),
        &ReadOptions::new(now())
    )
    .is_ok());
    assert_eq!(
        only_error(
            &at("2026-03-02 10:00:00", "2026-03-01"),
            &ReadOptions::new(now())
        )
        .column,
        "tanggal_settlement"
    );
    let late = only_error(
        &at("2026-01-02 10:00:00", "2026-02-03"),
        &ReadOptions::new(now()),
    );
    assert!(late.expected.contains("at most 31 days"), "{late}");
}

#[test]
fn amounts_positive_with_at_most_two_decimals() {
    let row = |p: &str| {
        format!("{RECEIPT_HEADER}X,K,,,4.1.01.15.01.0001,{p},0,{p},teller,2026-03-02 10:00:00,WIB,,paid,\n")
    };
    assert!(read_documents("t.csv", row("10.50").as_bytes(), &ReadOptions::new(now())).is_ok());
    for bad in ["10.505", "-10", "1e3", "10.000"] {
        let (errors, _, _) = errors_of(read_documents(
            "t.csv",
            row(bad).as_bytes(),
            &ReadOptions::new(now()),
        ));
        assert!(
            errors.iter().any(|e| e.column == "pokok" && e.found == bad),
            "{bad}: {errors:?}"
        );
    }
}

#[test]
fn nop_is_normalized_to_digits_and_npwpd_checked() {
    let row = |nop: &str, npwpd: &str| {
        format!("{RECEIPT_HEADER}X,K,{nop},{npwpd},4.1.01.15.01.0001,1,0,1,teller,2026-03-02 10:00:00,WIB,,paid,\n")
    };
    let batch = read_documents(
        "t.csv",
        row("32.04.010.001.002-0003.0", "P-1.2").as_bytes(),
        &ReadOptions::new(now()),
    )
    .unwrap();
    let Document::Receipt(r) = &batch.documents[0].1 else {
        panic!()
    };
    assert_eq!(r.nop.as_deref(), Some("320401000100200030"));
    assert_eq!(
        only_error(&row("3204010001002000300", ""), &ReadOptions::new(now())).column,
        "nop"
    );
    assert_eq!(
        only_error(&row("", "P 1"), &ReadOptions::new(now())).column,
        "npwpd"
    );
    let mut opts = ReadOptions::new(now());
    opts.npwpd_pattern = Some(regex::Regex::new(r"^P\.\d\.\d{7}\.\d{2}\.\d{2}$").unwrap());
    assert!(read_documents("t.csv", row("", "P.2.0000123.36.73").as_bytes(), &opts).is_ok());
    let e = only_error(&row("", "P-1.2"), &opts);
    assert!(e.expected.contains(r"^P\.\d"), "{e}");
}

#[test]
fn zones_convert_to_utc() {
    let csv = format!(
        "{RECEIPT_HEADER}A,,,,4.1.01.15.01.0001,1,0,1,teller,2026-03-02 10:00:00,WITA,,paid,\nB,,,,4.1.01.15.01.0001,1,0,1,teller,2026-03-02T10:00:00+09:00,,,paid,\nC,,,,4.1.01.15.01.0001,1,0,1,teller,2026-03-02T10:00:00+09:00,wit,,paid,\n"
    );
    let batch = read_documents("t.csv", csv.as_bytes(), &ReadOptions::new(now())).unwrap();
    let got: Vec<(String, Option<String>)> = batch
        .documents
        .iter()
        .map(|(_, d)| match d {
            Document::Receipt(r) => (r.paid_at.to_rfc3339(), r.paid_zone.clone()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2026-03-02T02:00:00+00:00".to_string(),
                Some("WITA".to_string())
            ),
            (
                "2026-03-02T01:00:00+00:00".to_string(),
                Some("+09:00".to_string())
            ),
            (
                "2026-03-02T01:00:00+00:00".to_string(),
                Some("WIT".to_string())
            ),
        ]
    );
}

#[test]
fn sp2d_net_is_gross_minus_deductions() {
    let csv = "nomor_sp2d,tanggal,opd,jenis,kode_rekening,bruto,potongan,netto,nama_penerima,rekening\nP1,2026-03-02,O,LS,5.1.01.01.01.0001,1000,PPh21=100;IWP=50,850,N,R\nP2,2026-03-02,O,LS,5.1.01.01.01.0001,1000,PPh21=100;IWP=50,900,N,R\nP3,2026-03-02,O,LS,5.1.1.01.01.0001,1000,,1000,N,R\nP4,2026-03-02,O,LS,,1000,PPh21=0,1000,N,R\n";
    let (errors, count, _) = errors_of(read_documents(
        "t.csv",
        csv.as_bytes(),
        &ReadOptions::new(now()),
    ));
    assert_eq!(count, 3);
    assert!(errors
        .iter()
        .any(|e| e.row == 3 && e.column == "netto" && e.expected == "bruto - potongan = 850"));
    assert!(errors
        .iter()
        .any(|e| e.row == 4 && e.column == "kode_rekening"));
    assert!(errors
        .iter()
        .any(|e| e.row == 5 && e.column == "potongan" && e.expected == "an amount greater than 0"));
}

#[test]
fn sts_total_and_collection_dates() {
    let csv = "nomor_sts,opd,tanggal,rekening,kode_rekening,total,tbp_dari,tbp_sampai\nS1,O,2026-03-02,R,\"4.1.02.01.01.0004=5;4.1.02.01.01.0005=5\",10,2026-03-01,2026-03-02\nS2,O,2026-03-02,R,\"4.1.02.01.01.0004=5;4.1.02.01.01.0005=5\",11,,\nS3,O,2026-03-02,R,4.1.02.01.01.0004,10,2026-03-02,2026-03-03\n";
    let (errors, count, _) = errors_of(read_documents(
        "t.csv",
        csv.as_bytes(),
        &ReadOptions::new(now()),
    ));
    assert_eq!(count, 2, "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| e.row == 3 && e.column == "kode_rekening" && e.found == "sum 10"));
    assert!(errors
        .iter()
        .any(|e| e.row == 4 && e.column == "tbp_sampai"));
}

#[test]
fn bku_running_balance_per_book_and_account() {
    let csv = "pemilik,opd,nomor,tanggal,uraian,penerimaan,pengeluaran,rekening,saldo\nbud,,1,2026-03-02,a,100,,R1,100\nbud,,2,2026-03-02,b,50,,R2,50\nbud,,3,2026-03-02,c,,30,R1,70\nbud,,4,2026-03-02,d,,30,R1,50\nbud,,5,2026-03-02,e,5,,R1,\nbud,,6,2026-03-02,f,5,,R1,1000\n";
    let e = only_error(csv, &ReadOptions::new(now()));
    assert_eq!(
        (e.row, e.column.as_str(), e.found.as_str()),
        (5, "saldo", "50")
    );
    assert_eq!(e.expected, "saldo = previous saldo 70 - 30 = 40");
}

#[test]
fn header_problems_reject_the_file_even_in_quarantine_mode() {
    let mut opts = ReadOptions::new(now());
    opts.bad_rows = BadRows::Quarantine;
    opts.kind = Some(Kind::Receipts);
    let e = read_documents("h.csv", b"ntpd,total,total\nA,1,1\n", &opts).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, DocumentsError::Header { row: 1, .. }));
    assert!(text.contains("\"total\" appears twice"), "{text}");
    assert!(text.contains("missing required column \"pokok\""), "{text}");
    let e = read_documents("h.csv", b"foo,bar\n1,2\n", &ReadOptions::new(now())).unwrap_err();
    assert!(matches!(e, DocumentsError::UnknownKind { .. }), "{e}");
    assert!(matches!(
        read_documents("e.csv", b"  \n", &ReadOptions::new(now())),
        Err(DocumentsError::Empty { .. })
    ));
}

#[test]
fn encodings_delimiters_and_notation() {
    // Windows-1252 with ';' and Indonesian amounts.
    let csv = b"ntpd;nama_wajib_pajak;kode_rekening;pokok;total;channel;dibayar_pada;zona\nA;Jos\xe9;4.1.01.15.01.0001;1.500,50;1.500,50;atm;2026-03-02 10:00:00;WIB\n";
    let batch = read_documents("t.csv", csv, &ReadOptions::new(now())).unwrap();
    assert_eq!(
        batch.container,
        Container::Csv {
            delimiter: b';',
            encoding: TextEncoding::Windows1252,
            number_format: NumberFormat::Indonesian
        }
    );
    let Document::Receipt(r) = &batch.documents[0].1 else {
        panic!()
    };
    assert_eq!(
        (r.total, r.taxpayer_name.as_deref()),
        (dec!(1500.50), Some("José"))
    );
    // Tab-delimited, plain.
    let tsv = "ntpd\tkode_rekening\tpokok\ttotal\tchannel\tdibayar_pada\tzona\nA\t4.1.01.15.01.0001\t1500.50\t1500.50\tatm\t2026-03-02 10:00:00\tWIB\n";
    assert_eq!(
        read_documents("t.tsv", tsv.as_bytes(), &ReadOptions::new(now()))
            .unwrap()
            .documents
            .len(),
        1
    );
    // Override: a ','-delimited file written with English grouping.
    let en = "ntpd,kode_rekening,pokok,total,channel,dibayar_pada,zona\nA,4.1.01.15.01.0001,\"1,500.50\",\"1,500.50\",atm,2026-03-02 10:00:00,WIB\n";
    let mut opts = ReadOptions::new(now());
    opts.number_format = Some(NumberFormat::English);
    assert_eq!(
        read_documents("t.csv", en.as_bytes(), &opts)
            .unwrap()
            .documents
            .len(),
        1
    );
    // UTF-16 is refused with advice.
    let e = read_documents("u.csv", b"\xFF\xFEn\0t\0", &ReadOptions::new(now())).unwrap_err();
    assert!(e.to_string().contains("UTF-16"), "{e}");
}

#[test]
fn blank_lines_are_not_rows_and_unknown_columns_are_ignored() {
    let csv = format!("{}catatan\n\n", RECEIPT_HEADER.trim_end().to_string() + ",")
        + &receipt_row("A", "K", "1").replace('\n', ",apa saja\n")
        + ",,,,,,,,,,,,,,\n\n"
        + &receipt_row("B", "K2", "1").replace('\n', ",\n");
    let batch = read_documents("t.csv", csv.as_bytes(), &ReadOptions::new(now())).unwrap();
    assert_eq!(batch.rows_in, 2);
    let lines: Vec<u64> = batch.documents.iter().map(|(r, _)| r.line).collect();
    assert_eq!(lines, vec![3, 6]);
}

#[test]
fn limits_are_enforced_and_named() {
    let mut opts = ReadOptions::new(now());
    opts.max_rows = 2;
    let csv = format!(
        "{RECEIPT_HEADER}{}{}{}",
        receipt_row("A", "1", "1"),
        receipt_row("B", "2", "1"),
        receipt_row("C", "3", "1")
    );
    let e = read_documents("t.csv", csv.as_bytes(), &opts).unwrap_err();
    assert_eq!(e.to_string(), "t.csv: more than 2 rows; split the file");
    let big = "x".repeat(5000);
    let csv = format!("{RECEIPT_HEADER}{}", receipt_row("A", &big, "1"));
    let e = only_error(&csv, &ReadOptions::new(now()));
    assert_eq!(
        (e.column.as_str(), e.expected.as_str(), e.found.as_str()),
        ("kode_billing", "a cell of at most 4096 bytes", "5000 bytes")
    );
    let long_id = "N".repeat(65);
    let csv = format!("{RECEIPT_HEADER}{}", receipt_row(&long_id, "K", "1"));
    assert_eq!(only_error(&csv, &ReadOptions::new(now())).column, "ntpd");
}

#[test]
fn detect_kind_from_header_or_first_json_line() {
    assert_eq!(detect_kind(RECEIPT_HEADER.as_bytes()), Some(Kind::Receipts));
    assert_eq!(
        detect_kind(b"\xEF\xBB\xBFNomor STS;OPD;Tanggal\r\n"),
        Some(Kind::Sts)
    );
    assert_eq!(detect_kind(b"nomor_sp2d,tanggal"), Some(Kind::Sp2d));
    assert_eq!(detect_kind(b"Pemilik,Nomor,Uraian"), Some(Kind::Bku));
    assert_eq!(
        detect_kind(b"{\"kind\":\"sts\",\"number\":\"1\"}\n{}"),
        Some(Kind::Sts)
    );
    assert_eq!(
        detect_kind(b"{\"owner\":{\"kind\":\"bud\"},\"number\":1}"),
        Some(Kind::Bku)
    );
    assert_eq!(detect_kind(b"{\"sp2d_type\":\"LS\"}"), Some(Kind::Sp2d));
    assert_eq!(detect_kind(b"tanggal,jumlah"), None);
    assert_eq!(detect_kind(b""), None);
    assert_eq!(detect_kind(b"{not json"), None);
}

#[test]
fn jsonl_rows_are_validated_like_csv_rows() {
    let good = r#"{"kind":"sts","number":"S1","opd":"O","bendahara":null,"date":"2026-03-02","account":"R","lines":[{"kode_rekening":"4.1.02.01.01.0004","amount":"10"}],"total":"10","collected_from":null,"collected_to":null,"tbp_numbers":[]}"#;
    let bad_total = good
        .replace(r#""total":"10""#, r#""total":"11""#)
        .replace("S1", "S2");
    let receipt = r#"{"kind":"receipt","ntpd":"X"}"#;
    let text = format!("{good}\n{bad_total}\r\nnot json\n{receipt}\n");
    let (errors, count, _) = errors_of(read_documents(
        "s.jsonl",
        text.as_bytes(),
        &ReadOptions::new(now()),
    ));
    assert_eq!(count, 3, "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| e.row == 2 && e.column == "lines" && e.found == "sum 10"));
    assert!(errors
        .iter()
        .any(|e| e.row == 3 && e.column == "json" && e.expected.contains("sts.schema.json")));
    assert!(errors.iter().any(|e| e.row == 4 && e.column == "json"));
    let typed = format!("{receipt}\n");
    let mut opts = ReadOptions::new(now());
    opts.kind = Some(Kind::Sts);
    let (errors, _, _) = errors_of(read_documents(
        "s.jsonl",
        format!("{good}\n{typed}").as_bytes(),
        &opts,
    ));
    assert!(errors.iter().all(|e| e.row == 2), "{errors:?}");
}

#[test]
fn the_bundled_core_chart_is_a_lookup() {
    let chart = kasda_core::chart::Chart::bundled();
    let mut opts = ReadOptions::new(now());
    opts.kode_lookup = Some(&chart);
    let ok = format!("{RECEIPT_HEADER}{}", receipt_row("A", "K", "100"));
    assert_eq!(
        read_documents("t.csv", ok.as_bytes(), &opts)
            .unwrap()
            .documents
            .len(),
        1
    );
    let unknown = ok.replace("4.1.01.15.01.0001", "4.1.01.15.09.0009");
    assert_eq!(
        only_error(&unknown, &opts).expected,
        "a kode rekening in the pemda's chart"
    );
}

#[test]
fn a_reversal_pointing_nowhere_does_not_excuse_a_second_payment() {
    let csv = format!(
        "{RECEIPT_HEADER}{}{}R,,,,4.1.01.15.01.0001,1,0,1,teller,2026-03-02 10:05:00,WIB,,reversed,NOWHERE\n",
        receipt_row("A", "KB", "1"),
        receipt_row("B", "KB", "1")
    );
    let (errors, count, _) = errors_of(read_documents(
        "t.csv",
        csv.as_bytes(),
        &ReadOptions::new(now()),
    ));
    assert_eq!(count, 2, "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| e.row == 3 && e.column == "kode_billing"));
    assert!(errors
        .iter()
        .any(|e| e.row == 4 && e.column == "membatalkan_ntpd"));
}
