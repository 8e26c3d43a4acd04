//! Reader behaviour on small inline messages; whole-file cases live in
//! `sample-statements/mt940/` with their `.expected.json`.

use super::*;
use kasda_core::money::Direction;
use rust_decimal_macros::dec;

const BASIC: &str = "{1:F01BANKIDJAXXX0000000000}{2:I940PEMDAIDJAXXXN}{4:
:20:20240102235959
:25:000000000000001
:28C:240102/00001
:60F:C240102IDR1500000
:61:240102C250000NTRF
:86:SETORAN PAJAK 12:30: STS 0000001
:61:2401020102D75000,00NTRFNONREF//240102000000001
:86:SP2D 0280/LS-GJ/2024
:62F:C240102IDR1675000
-}";

#[test]
fn reads_indonesian_host_to_host_message() {
    let f = read("h2h.sta", BASIC.as_bytes()).unwrap();
    assert_eq!(f.format, Some(StatementFormat::Mt940));
    let s = &f.statements[0];
    assert_eq!(s.account.number.as_deref(), Some("000000000000001"));
    assert_eq!(s.electronic_seq.as_deref(), Some("240102"));
    assert_eq!(s.page, Some(1));
    assert_eq!(s.entries.len(), 2);
    let e = &s.entries[0];
    assert_eq!(
        (e.amount, e.direction),
        (dec!(250000), Some(Direction::Credit))
    );
    // "12:30:" inside :86: is text, not a tag.
    assert_eq!(
        e.remittance.unstructured,
        ["SETORAN PAJAK 12:30: STS 0000001"]
    );
    assert!(e.remittance.structured.contains(&"sts:0000001".to_string()));
    assert_eq!(
        s.entries[1].refs.account_servicer.as_deref(),
        Some("240102000000001")
    );
    assert_eq!(s.entries[1].pos, SourcePos { line: 8, index: 1 });
    for w in [
        "swift-block-envelope",
        "amount-without-decimal-comma",
        "61-without-reference",
    ] {
        assert!(
            f.warnings.iter().any(|x| x == w),
            "{w} missing from {:?}",
            f.warnings
        );
    }
}

struct Events(Vec<String>);

impl Sink for Events {
    fn statement_start(&mut self, index: usize, header: &Statement) -> Result<(), ReadError> {
        assert!(header.entries.is_empty());
        self.0.push(format!(
            "start {index} {}",
            header
                .opening()
                .map(|b| b.amount.to_string())
                .unwrap_or_default()
        ));
        Ok(())
    }
    fn entry(&mut self, statement_index: usize, entry: Entry) -> Result<(), ReadError> {
        self.0.push(format!(
            "entry {statement_index} {} {}",
            entry.amount,
            entry.remittance.unstructured.join("|")
        ));
        Ok(())
    }
    fn statement_end(&mut self, index: usize, statement: Statement) -> Result<(), ReadError> {
        self.0.push(format!(
            "end {index} {}",
            statement
                .closing()
                .map(|b| b.amount.to_string())
                .unwrap_or_default()
        ));
        Ok(())
    }
}

#[test]
fn streams_header_entries_and_end_in_order() {
    let two = format!("{BASIC}\n{}", BASIC.replace("20240102235959", "SECOND"));
    let mut sink = Events(Vec::new());
    let out = read_stream(
        "s.sta",
        std::io::BufReader::with_capacity(7, two.as_bytes()),
        &mut sink,
    )
    .unwrap();
    assert_eq!(out.statements, 2);
    assert_eq!(out.entries, 4);
    assert_eq!(
        sink.0[..4],
        [
            "start 0 1500000",
            "entry 0 250000 SETORAN PAJAK 12:30: STS 0000001",
            "entry 0 75000.00 SP2D 0280/LS-GJ/2024",
            "end 0 1675000"
        ]
    );
    assert_eq!(sink.0.len(), 8);
}

#[test]
fn sink_errors_stop_the_read() {
    struct Refuse;
    impl Sink for Refuse {
        fn entry(&mut self, _: usize, _: Entry) -> Result<(), ReadError> {
            Err(ReadError::new(
                "s",
                Location::default(),
                "sink-full",
                "entry",
                "room",
                "none",
            ))
        }
        fn statement_end(&mut self, _: usize, _: Statement) -> Result<(), ReadError> {
            Ok(())
        }
    }
    let e = read_stream("s", BASIC.as_bytes(), &mut Refuse).unwrap_err();
    assert_eq!(e.code, "sink-full");
}

fn code(text: &str) -> String {
    read("t.sta", text.as_bytes())
        .map(|_| String::from("ok"))
        .unwrap_or_else(|e| e.code)
}

#[test]
fn structural_errors_have_stable_codes() {
    assert_eq!(
        code(":20:A\n:28C:1\n:60F:C240101IDR1,\n:62F:C240101IDR1,\n"),
        "missing-25"
    );
    assert_eq!(
        code(":20:A\n:25:1\n:61:240101C1,NTRF\n"),
        "missing-opening-balance"
    );
    assert_eq!(
        code(":20:A\n:25:1\n:60F:C240101IDR1,\n:61:240101C1,NTRF\n"),
        "missing-closing-balance"
    );
    assert_eq!(
        code(":20:A\n:25:1\n:60F:C240101IDR1,\n:25:2\n:62F:C240101IDR1,\n"),
        "field-25-after-balance-or-entries"
    );
    assert_eq!(
        code(":20:A\n:25:1\n:60F:C240101IDR1,\n:62F:C240101IDR1,\n-\n:61:240101C1,NTRF\n"),
        "field-61-before-any-20"
    );
    assert_eq!(code("hello\nworld\n"), "no-statement");
    assert_eq!(code(""), "no-statement");
    assert_eq!(
        code(":20:A\n:25:1\n:60F:C241301IDR1,\n:62F:C240101IDR1,\n"),
        "invalid-date"
    );
    assert_eq!(
        code(":20:A\n:25:1\n:60F:C240101IDR1,001\n:62F:C240101IDR1,\n"),
        "amount-over-scale"
    );
    assert_eq!(
        code(":20:A\n:25:1\n:60F:C240101IDR1,\n:61:240101X1,NTRF\n:62F:C240101IDR1,\n"),
        "invalid-61-mark"
    );
}

#[test]
fn error_names_file_line_field_expected_and_found() {
    let e = read("bank.sta", b":20:A\n:25:1\n:60F:C240101IDRx\n").unwrap_err();
    assert_eq!(e.file, "bank.sta");
    assert_eq!(e.location.line, Some(3));
    assert_eq!(e.field, ":60F:");
    assert!(e.found.contains('x'), "{e}");
}

#[test]
fn reversals_keep_statement_direction() {
    let t = ":20:A\n:25:1\n:60F:C240101IDR100,\n:61:240101RC10,NTRFX\n:61:240101RD4,NTRFY\n:62F:C240101IDR94,\n";
    let f = read("r.sta", t.as_bytes()).unwrap();
    let e = &f.statements[0].entries;
    assert_eq!(
        (e[0].direction, e[0].reversal),
        (Some(Direction::Debit), true)
    );
    assert_eq!(
        (e[1].direction, e[1].reversal),
        (Some(Direction::Credit), true)
    );
}

#[test]
fn dash_line_inside_86_is_text_and_dash_before_tag_ends_message() {
    let t = ":20:A\n:25:1\n:60F:C240101IDR0,\n:61:240101C1,NTRFX\n:86:ONE\n-\nTWO\n:62F:C240101IDR1,\n-\n:20:B\n:25:1\n:60F:C240101IDR1,\n:62F:C240101IDR1,\n-";
    let f = read("d.sta", t.as_bytes()).unwrap();
    assert_eq!(f.statements.len(), 2);
    assert_eq!(
        f.statements[0].entries[0].remittance.unstructured,
        ["ONE", "-", "TWO"]
    );
    assert!(f
        .warnings
        .contains(&"dash-line-inside-field-text".to_string()));
}

#[test]
fn field_size_is_bounded() {
    let mut t = String::from(":20:A\n:25:1\n:60F:C240101IDR0,\n:61:240101C1,NTRFX\n:86:");
    let line = "X".repeat(1000);
    for _ in 0..300 {
        t.push_str(&line);
        t.push('\n');
    }
    let e = read("big.sta", t.as_bytes()).unwrap_err();
    assert_eq!(e.code, "field-too-large");
    assert!(e.expected.contains(&MAX_FIELD_BYTES.to_string()));
}

#[test]
fn windows_1252_text_is_decoded_and_reported() {
    let t = b":20:A\n:25:1\n:60F:C240101EUR0,\n:61:240101C1,NTRFX\n:86:Stra\xDFe M\xFCller\n:62F:C240101EUR1,\n";
    let f = read("w.sta", t).unwrap();
    assert_eq!(
        f.statements[0].entries[0].remittance.unstructured,
        ["Straße Müller"]
    );
    assert!(f.warnings.contains(&"decoded-as-windows-1252".to_string()));
}

#[test]
fn sniff_tells_mt940_from_mt942_and_others() {
    assert_eq!(sniff(BASIC.as_bytes()), Some(StatementFormat::Mt940));
    assert_eq!(
        sniff(b"{1:F01X}{2:O942X}{4:\n:20:A\n"),
        Some(StatementFormat::Mt942)
    );
    assert_eq!(sniff(b"<?xml version=\"1.0\"?><Document/>"), None);
    assert_eq!(sniff(b"Tanggal,Keterangan\n"), None);
}

#[test]
fn braces_in_text_are_not_blocks_and_mt942_is_a_report() {
    let t =
        ":20:A\n:25:1\n:34F:IDR0,\n:61:240101C1,NTRFX\n:86:KODE\n{REF-1} LANJUTAN\n:90C:1IDR1,\n";
    let f = read("b.sta", t.as_bytes()).unwrap();
    assert_eq!(f.format, Some(StatementFormat::Mt942));
    assert_eq!(
        f.statements[0].kind,
        kasda_core::statement::StatementKind::Report
    );
    assert_eq!(
        f.statements[0].entries[0].remittance.unstructured,
        ["KODE", "{REF-1} LANJUTAN"]
    );
    assert!(!f.warnings.contains(&"swift-block-envelope".to_string()));
}

#[test]
fn statement_header_memory_is_bounded() {
    let mut t = String::from(":20:A\n:25:1\n:60F:C240101IDR0,\n");
    for _ in 0..=MAX_STATEMENT_FIELDS {
        t.push_str(":64:C240101IDR0,\n");
    }
    t.push_str(":62F:C240101IDR0,\n");
    assert_eq!(
        read("m.sta", t.as_bytes()).unwrap_err().code,
        "statement-too-large"
    );
}
