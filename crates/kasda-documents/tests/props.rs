//! Property tests: breakdown sums hold exactly when the file says they do, writer and reader
//! agree on any valid receipt, and no input bytes make a reader panic.

use chrono::{DateTime, Duration, Utc};
use kasda_core::document::*;
use kasda_documents::write::CsvStyle;
use kasda_documents::{
    detect_kind, read_documents, write_csv_with, BadRows, DocumentsError, Kind, ReadOptions,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn now() -> DateTime<Utc> {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

fn sen(max: i64) -> impl Strategy<Value = Decimal> {
    (1..max).prop_map(|s| Decimal::new(s, 2))
}

prop_compose! {
    fn receipt()(
        parts in prop::collection::vec(sen(10_000_000_000), 1..5),
        denda in 0i64..1_000_000,
        channel in prop::sample::select(Channel::ALL.to_vec()),
        zone in prop::sample::select(vec![Some("WIB"), Some("WITA"), Some("WIT"), Some("+07:00"), None]),
        seconds in 0i64..(60 * 86_400),
        n in 0u32..1_000_000,
        name in "[A-Za-z ,;\"'é]{0,20}",
    ) -> Receipt {
        let total: Decimal = parts.iter().copied().sum();
        let denda = Decimal::new(denda, 2).min(total);
        let lines = parts
            .iter()
            .enumerate()
            .map(|(i, a)| RevenueLine { kode_rekening: format!("4.1.01.19.0{}.0001", i + 1), amount: *a })
            .collect();
        let paid_at = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(seconds);
        Receipt {
            ntpd: format!("NTPD{n}"),
            kode_billing: Some(format!("KB{n}")),
            ntb: None,
            nop: None,
            npwpd: None,
            taxpayer_name: (!name.trim().is_empty()).then(|| name.trim().to_string()),
            jenis_pajak: None,
            lines,
            masa_pajak: Some(1 + n % 12),
            tahun_pajak: Some(2026),
            pokok: total - denda,
            denda,
            total,
            channel,
            bank: None,
            account: None,
            paid_at,
            paid_zone: zone.map(str::to_string),
            settlement_date: None,
            status: ReceiptStatus::Paid,
            reverses_ntpd: None,
            opd: None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any valid receipt survives write → read in both CSV styles.
    #[test]
    fn receipts_round_trip(r in receipt(), indonesian in any::<bool>()) {
        let docs = vec![Document::Receipt(r)];
        let mut out = Vec::new();
        let style = if indonesian { CsvStyle::Indonesian } else { CsvStyle::Plain };
        write_csv_with(Kind::Receipts, &docs, &mut out, style).unwrap();
        let batch = read_documents("p.csv", &out, &ReadOptions::new(now())).unwrap();
        let back: Vec<Document> = batch.documents.into_iter().map(|(_, d)| d).collect();
        prop_assert_eq!(back, docs);
    }

    /// Nudging one line by any non-zero number of sen breaks Σ lines = total, and only that.
    #[test]
    fn breakdown_sum_is_exact(r in receipt(), which in any::<prop::sample::Index>(), delta in prop_oneof![-50i64..0, 1i64..50]) {
        let mut r = r;
        let i = which.index(r.lines.len());
        let moved = r.lines[i].amount + Decimal::new(delta, 2);
        prop_assume!(moved > Decimal::ZERO);
        r.lines[i].amount = moved;
        let mut out = Vec::new();
        write_csv_with(Kind::Receipts, &[Document::Receipt(r)], &mut out, CsvStyle::Plain).unwrap();
        match read_documents("p.csv", &out, &ReadOptions::new(now())) {
            Err(DocumentsError::InvalidRows { errors, .. }) => {
                prop_assert_eq!(errors.len(), 1);
                prop_assert_eq!(errors[0].column.as_str(), "kode_rekening");
                prop_assert!(errors[0].expected.starts_with("line amounts summing to total"));
            }
            other => prop_assert!(false, "expected a sum error, got {:?}", other),
        }
    }

    /// SP2D: net = gross − Σ deductions is accepted exactly when it holds.
    #[test]
    fn sp2d_net_rule(deductions in prop::collection::vec(sen(1_000_000), 0..6), extra in sen(1_000_000_000), off in -3i64..3) {
        let sum: Decimal = deductions.iter().copied().sum();
        let gross = sum + extra;
        let net = gross - sum + Decimal::new(off, 2);
        let doc = Document::Sp2d(Sp2d {
            number: "P".into(),
            date: "2026-03-02".parse().unwrap(),
            opd: "O".into(),
            sp2d_type: Sp2dType::Ls,
            kode_rekening: None,
            gross,
            deductions: deductions.iter().enumerate().map(|(i, a)| Deduction { kind: format!("D{i}"), amount: *a }).collect(),
            net,
            beneficiary_name: "N".into(),
            beneficiary_bank: None,
            beneficiary_account: None,
            account: "R".into(),
        });
        let mut out = Vec::new();
        write_csv_with(Kind::Sp2d, &[doc], &mut out, CsvStyle::Indonesian).unwrap();
        let r = read_documents("p.csv", &out, &ReadOptions::new(now()));
        prop_assert_eq!(r.is_ok(), off == 0, "{:?}", r.err());
    }

    /// Arbitrary bytes: an answer (batch or error), never a panic, and rows add up.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), kind in prop::option::of(prop::sample::select(Kind::ALL.to_vec()))) {
        let mut opts = ReadOptions::new(now());
        opts.kind = kind;
        opts.bad_rows = BadRows::Quarantine;
        if let Ok(batch) = read_documents("x", &bytes, &opts) {
            prop_assert_eq!(batch.rows_in, batch.documents.len() + batch.quarantined.len());
        }
        let _ = detect_kind(&bytes);
    }

    /// Mutated valid files (the inputs most likely to reach deep code) never panic either.
    #[test]
    fn mutated_files_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), which in 0usize..4) {
        let files: [&[u8]; 4] = [
            include_bytes!("../../../sample-statements/documents/receipts-plain.csv"),
            include_bytes!("../../../sample-statements/documents/receipts-tagged.jsonl"),
            include_bytes!("../../../sample-statements/documents/bku.csv"),
            include_bytes!("../../../sample-statements/documents/receipts-indonesian-1252.csv"),
        ];
        let mut bytes = files[which].to_vec();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        let mut opts = ReadOptions::new(now());
        opts.bad_rows = BadRows::Quarantine;
        if let Ok(batch) = read_documents("m", &bytes, &opts) {
            prop_assert_eq!(batch.rows_in, batch.documents.len() + batch.quarantined.len());
        }
    }
}
