//! The camt reader's streaming contract, limits, encodings, detection and error reporting.

use std::io::{BufReader, Read};

use kasda_core::statement::{Entry, Statement};
use kasda_statement::camt::{self, CamtHeader, CamtSink};
use kasda_statement::ReadError;

fn doc(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-01-02T03:04:05</CreDtTm></GrpHdr>
<Stmt>
<Id>S1</Id>
<Acct><Id><Othr><Id>0012345678</Id></Othr></Id><Ccy>IDR</Ccy></Acct>
{body}
</Stmt>
</BkToCstmrStmt>
</Document>
"#
    )
}

const ENTRY: &str = r#"<Ntry><Amt Ccy="IDR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-01</Dt></BookgDt></Ntry>"#;

fn read(xml: &str) -> Result<kasda_core::statement::StatementFile, Box<ReadError>> {
    camt::read("t.xml", xml.as_bytes()).map_err(Box::new)
}

fn code(xml: &[u8]) -> String {
    match camt::read("t.xml", xml) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code,
    }
}

#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
}

impl CamtSink for Recorder {
    fn statement(&mut self, header: &CamtHeader, statement: &Statement) -> Result<(), ReadError> {
        assert!(statement.entries.is_empty());
        self.calls.push(format!(
            "statement {} {:?} msg={:?}",
            header.format.id(),
            statement.id,
            header.message_id
        ));
        Ok(())
    }
    fn entry(&mut self, entry: Entry) -> Result<(), ReadError> {
        self.calls
            .push(format!("entry {} {}", entry.pos.index, entry.amount));
        Ok(())
    }
    fn statement_end(&mut self, statement: &Statement) -> Result<(), ReadError> {
        self.calls.push(format!(
            "end {:?} {:?}",
            statement.id, statement.additional_info
        ));
        Ok(())
    }
}

#[test]
fn sink_sees_statements_and_entries_in_file_order() {
    let xml = doc(&format!("{ENTRY}{ENTRY}<AddtlStmtInf>tail</AddtlStmtInf>"));
    let mut sink = Recorder::default();
    let header = camt::read_stream("t.xml", xml.as_bytes(), &mut sink).expect("reads");
    assert_eq!(
        sink.calls,
        vec![
            "statement camt.053 Some(\"S1\") msg=Some(\"M1\")",
            "entry 0 1000.00",
            "entry 1 1000.00",
            "end Some(\"S1\") Some(\"tail\")",
        ]
    );
    assert_eq!((header.statements, header.entries), (1, 2));
}

#[test]
fn a_statement_without_entries_is_still_announced() {
    let mut sink = Recorder::default();
    camt::read_stream("t.xml", doc("").as_bytes(), &mut sink).expect("reads");
    assert_eq!(sink.calls.len(), 2);
}

#[test]
fn sink_errors_stop_the_read() {
    struct Refuse;
    impl CamtSink for Refuse {
        fn statement(&mut self, _: &CamtHeader, _: &Statement) -> Result<(), ReadError> {
            Ok(())
        }
        fn entry(&mut self, _: Entry) -> Result<(), ReadError> {
            Err(ReadError::new(
                "t.xml",
                Default::default(),
                "refused",
                "Ntry",
                "x",
                "y",
            ))
        }
        fn statement_end(&mut self, _: &Statement) -> Result<(), ReadError> {
            Ok(())
        }
    }
    let err = camt::read_stream("t.xml", doc(ENTRY).as_bytes(), &mut Refuse).unwrap_err();
    assert_eq!(err.code, "refused");
}

/// Produces a camt.053 with `n` entries on demand, never holding more than one entry.
struct Generated {
    n: u64,
    next: u64,
    pending: Vec<u8>,
    at: usize,
    stage: u8,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            match self.stage {
                0 => {
                    let head = doc("@@");
                    let cut = head.find("@@").unwrap_or(0);
                    self.pending.extend_from_slice(&head.as_bytes()[..cut]);
                    self.stage = 1;
                }
                1 if self.next < self.n => {
                    let amount = self.next % 1000 + 1;
                    self.pending.extend_from_slice(
                        format!(
                            "<Ntry><Amt Ccy=\"IDR\">{amount}.00</Amt><CdtDbtInd>{}</CdtDbtInd><Sts>BOOK</Sts>\
                             <NtryDtls><TxDtls><Refs><EndToEndId>E{}</EndToEndId></Refs>\
                             <RmtInf><Ustrd>PAJAK RESTORAN {}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
                            match self.next % 3 {
                                0 => "DBIT",
                                _ => "CRDT",
                            },
                            self.next,
                            self.next
                        )
                        .as_bytes(),
                    );
                    self.next += 1;
                }
                1 => {
                    let tail = doc("@@");
                    let cut = tail.find("@@").map_or(tail.len(), |i| i + 2);
                    self.pending.extend_from_slice(&tail.as_bytes()[cut..]);
                    self.stage = 2;
                }
                _ => return Ok(0),
            }
        }
        let n = (self.pending.len() - self.at).min(out.len());
        out[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn streams_a_large_file_without_holding_it() {
    let n = 20_000;
    let source = BufReader::new(Generated {
        n,
        next: 0,
        pending: Vec::new(),
        at: 0,
        stage: 0,
    });
    let (header, summary) = camt::scan("big.xml", source).expect("reads");
    assert_eq!(header.entries, n);
    assert_eq!(summary.entries, n);
    assert_eq!(summary.transaction_details, n);
    let debits = (0..n)
        .filter(|i| i % 3 == 0)
        .map(|i| i % 1000 + 1)
        .sum::<u64>();
    let credits = (0..n)
        .filter(|i| i % 3 != 0)
        .map(|i| i % 1000 + 1)
        .sum::<u64>();
    assert_eq!(summary.sum_debit, rust_decimal::Decimal::from(debits));
    assert_eq!(summary.sum_credit, rust_decimal::Decimal::from(credits));
}

#[test]
fn scan_agrees_with_read() {
    let xml = doc(&format!("{ENTRY}{ENTRY}"));
    let file = read(&xml).expect("reads");
    let (_, summary) = camt::scan("t.xml", xml.as_bytes()).expect("scans");
    let credit: rust_decimal::Decimal = file.statements[0].entries.iter().map(|e| e.amount).sum();
    assert_eq!(summary.sum_credit, credit);
    assert_eq!(summary.booked_entries, 2);
}

#[test]
fn oversized_entry_is_refused_with_the_limit() {
    let big = "X".repeat(200);
    let lines: String = (0..6000).map(|_| format!("<Ustrd>{big}</Ustrd>")).collect();
    let entry = format!(
        r#"<Ntry><Amt Ccy="IDR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><NtryDtls><TxDtls><RmtInf>{lines}</RmtInf></TxDtls></NtryDtls></Ntry>"#
    );
    let xml = doc(&entry);
    // A 1.3 MB entry is within the default limit (batch entries are large)…
    assert_eq!(code(xml.as_bytes()), "ok");
    // …and refused, naming the limit, when the limit is lower.
    let limits = camt::Limits {
        max_element_bytes: 1 << 20,
        ..camt::Limits::default()
    };
    let err = camt::read_with_limits("t.xml", xml.as_bytes(), limits).unwrap_err();
    assert_eq!(err.code, "entry-too-large");
    assert!(err.expected.contains(&(1 << 20).to_string()), "{err}");
    assert_eq!(err.location.line, Some(8));
}

#[test]
fn entries_kept_in_memory_are_bounded() {
    let limits = camt::Limits {
        max_entries_in_memory: 2,
        ..camt::Limits::default()
    };
    let xml = doc(&ENTRY.repeat(3));
    let err = camt::read_with_limits("t.xml", xml.as_bytes(), limits).unwrap_err();
    assert_eq!(err.code, "too-many-entries");
    let ok = doc(&ENTRY.repeat(2));
    assert!(camt::read_with_limits("t.xml", ok.as_bytes(), limits).is_ok());
}

#[test]
fn deep_nesting_is_refused() {
    let open: String = (0..100).map(|_| "<X>").collect();
    let close: String = (0..100).map(|_| "</X>").collect();
    let entry = format!(r#"<Ntry><Amt Ccy="IDR">1.00</Amt>{open}{close}</Ntry>"#);
    assert_eq!(read(&doc(&entry)).unwrap_err().code, "nesting-too-deep");
    let skeleton = format!("{open}{close}");
    assert_eq!(code(skeleton.as_bytes()), "nesting-too-deep");
    let shallow = camt::Limits {
        max_depth: 5,
        ..camt::Limits::default()
    };
    let err = camt::read_with_limits("t.xml", doc(ENTRY).as_bytes(), shallow).unwrap_err();
    assert_eq!(err.code, "nesting-too-deep");
    assert!(err.expected.contains("at most 5"), "{err}");
}

#[test]
fn a_huge_token_is_refused_before_it_is_buffered() {
    let mut bytes = b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">".to_vec();
    bytes.extend_from_slice(&vec![b'a'; 3 << 20]);
    assert_eq!(code(&bytes), "event-too-large");
}

#[test]
fn declared_latin1_is_decoded() {
    let xml = doc(&ENTRY.replace(
        "</BookgDt>",
        "</BookgDt><AddtlNtryInf>CAF\u{e9} PASAR</AddtlNtryInf>",
    ))
    .replace("UTF-8", "ISO-8859-1");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&xml);
    assert!(std::str::from_utf8(&bytes).is_err(), "really Latin-1 bytes");
    let file = camt::read("t.xml", &bytes).expect("reads");
    assert_eq!(
        file.statements[0].entries[0].additional_info.as_deref(),
        Some("CAF\u{e9} PASAR")
    );
    assert!(file
        .warnings
        .contains(&"decoded-from-windows-1252".to_string()));
}

#[test]
fn utf16_with_bom_is_decoded() {
    let xml = doc(ENTRY).replace("UTF-8", "UTF-16");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in xml.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let file = camt::read("t.xml", &bytes).expect("reads");
    assert_eq!(file.statements[0].entries.len(), 1);
    assert!(file.warnings.contains(&"decoded-from-utf16".to_string()));
    // Already transcoded by a caller, the declaration still says UTF-16: accepted as is.
    assert_eq!(code(xml.as_bytes()), "ok");
}

#[test]
fn unknown_encoding_label_is_an_error() {
    let xml = doc(ENTRY).replace("UTF-8", "X-KASDA-NONE");
    let err = read(&xml).unwrap_err();
    assert_eq!(err.code, "unsupported-encoding");
    assert!(err.found.contains("X-KASDA-NONE"));
}

#[test]
fn invalid_utf8_is_reported_where_it_is() {
    let xml = doc(&ENTRY.replace("</BookgDt>", "</BookgDt><AddtlNtryInf>\u{1}</AddtlNtryInf>"));
    let mut bytes = xml.into_bytes();
    let at = bytes.iter().position(|&b| b == 1).expect("marker");
    bytes[at] = 0xFF;
    let err = camt::read("t.xml", &bytes).unwrap_err();
    assert_eq!(err.code, "bad-encoding");
    assert_eq!(err.location.line, Some(8));
}

#[test]
fn errors_name_field_line_expected_and_found() {
    let bad_date = doc(
        "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"IDR\">1.00</Amt>\n<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-13-01</Dt></Dt></Bal>",
    );
    let err = read(&bad_date).unwrap_err();
    assert_eq!(err.code, "bad-date");
    assert_eq!(err.field, "Stmt[1]/Bal[1]/Dt/Dt");
    assert_eq!(err.location.line, Some(9));
    assert!(err.found.contains("2024-13-01"));
    assert!(err.to_string().starts_with("t.xml: line 9"), "{err}");

    let err = read(&doc(&ENTRY.replace("CRDT", "CREDIT"))).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.field.as_str()),
        ("bad-direction", "Stmt[1]/Ntry/CdtDbtInd")
    );
    assert_eq!(err.location.entry, Some(0));

    let err = read(&doc(&ENTRY.replace(r#"<Amt Ccy="IDR">1000.00</Amt>"#, ""))).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.found.as_str()),
        ("missing-field", "nothing")
    );

    let err = read(&doc(&ENTRY.replace("1000.00", "10.005"))).unwrap_err();
    assert_eq!(err.code, "bad-amount");
    assert!(err.expected.contains("at most 2 decimals"), "{err}");

    let err = read(&doc(&ENTRY.replace("BOOK", "DONE"))).unwrap_err();
    assert_eq!(err.code, "bad-status");

    let err = read(&doc(&ENTRY.replace(r#"Ccy="IDR""#, r#"Ccy="rupiah""#))).unwrap_err();
    assert_eq!(err.code, "bad-currency");
}

#[test]
fn structural_errors_have_stable_codes() {
    assert_eq!(code(b""), "empty-file");
    assert_eq!(code(b"hello"), "no-message-element");
    assert_eq!(code(b"<Document/>"), "no-message-element");
    assert_eq!(
        code(b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt/></Document>"),
        "no-statement"
    );
    assert_eq!(
        code(
            b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt\"><BkToCstmrStmt/></Document>"
        ),
        "unrecognised-namespace"
    );
    assert_eq!(
        code(b"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrAcctRpt/></Document>"),
        "namespace-mismatch"
    );
    assert_eq!(
        code(b"<Document><BkToCstmrStmt><Stmt></BkToCstmrStmt></Document>"),
        "xml-syntax"
    );
    assert_eq!(
        code(doc(ENTRY).split("</Stmt>").next().unwrap_or("").as_bytes()),
        "truncated"
    );
}

#[test]
fn message_without_document_and_other_wrappers() {
    let bare = doc(ENTRY)
        .replace(
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">",
            "",
        )
        .replace("</Document>", "");
    let file = read(&bare).expect("reads");
    assert!(file.warnings.contains(&"no-Document-element".to_string()));
    assert_eq!(file.statements[0].entries.len(), 1);

    let wrapped = format!(
        "<DataPDU><Body>{}</Body></DataPDU>",
        doc(ENTRY).replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
    );
    let file = read(&wrapped).expect("reads");
    assert_eq!(file.warnings, vec!["wrapped-in-DataPDU".to_string()]);
}

#[test]
fn header_message_definition_is_compared_with_the_namespace() {
    let xml = format!(
        "<Envelope><AppHdr><MsgDefIdr>camt.053.001.08</MsgDefIdr></AppHdr>{}</Envelope>",
        doc(ENTRY).replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
    );
    let file = read(&xml).expect("reads");
    assert_eq!(
        file.warnings,
        vec![
            "wrapped-in-Envelope".to_string(),
            "header-MsgDefIdr-differs:camt.053.001.08".to_string()
        ]
    );
}

#[test]
fn balance_without_indicator_is_a_credit_with_a_warning() {
    let file = read(&doc(
        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"IDR\">5.00</Amt></Bal>",
    ))
    .expect("reads");
    assert_eq!(file.statements[0].balances[0].amount.to_string(), "5.00");
    assert_eq!(
        file.warnings,
        vec!["balance-without-CdtDbtInd:CLBD".to_string()]
    );
}

#[test]
fn sniff_recognises_camt_and_nothing_else() {
    let ours = doc(ENTRY);
    assert_eq!(
        camt::sniff(ours.as_bytes()).map(|(f, v)| (f.id(), v)),
        Some(("camt.053".to_string(), "053.001.02".to_string()))
    );
    let prefixed = "<x:Document xmlns:x='urn:iso:std:iso:20022:tech:xsd:camt.054.001.12'/>";
    assert_eq!(
        camt::sniff(prefixed.as_bytes()).map(|(f, v)| (f.id(), v)),
        Some(("camt.054".to_string(), "054.001.12".to_string()))
    );
    let bare = "<Document><ns:BkToCstmrAcctRpt xmlns:ns='x'>";
    assert_eq!(
        camt::sniff(bare.as_bytes()).map(|(f, v)| (f.id(), v)),
        Some(("camt.052".to_string(), String::new()))
    );
    assert_eq!(camt::sniff(b":20:STARTUMS\n:25:123/456\n"), None);
    assert_eq!(
        camt::sniff(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'/>"),
        None
    );
    assert_eq!(camt::sniff(b"Tanggal,Keterangan,BkToCstmrStmtX"), None);
    // Only a schema location names camt.053: not enough.
    assert_eq!(
        camt::sniff(b"<Document xsi:schemaLocation='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 x.xsd'/>"),
        None
    );
}

/// Collects like `camt::read`, but through `read_stream` over any `BufRead`.
#[derive(Default)]
struct Collect(Vec<Statement>);

impl CamtSink for Collect {
    fn statement(&mut self, _: &CamtHeader, statement: &Statement) -> Result<(), ReadError> {
        self.0.push(statement.clone());
        Ok(())
    }
    fn entry(&mut self, entry: Entry) -> Result<(), ReadError> {
        if let Some(s) = self.0.last_mut() {
            s.entries.push(entry);
        }
        Ok(())
    }
    fn statement_end(&mut self, statement: &Statement) -> Result<(), ReadError> {
        if let Some(s) = self.0.last_mut() {
            s.additional_info = statement.additional_info.clone();
        }
        Ok(())
    }
}

#[test]
fn tiny_read_buffers_give_the_same_result_and_positions() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements");
    for name in [
        "camt/envelope-appHdr.camt053.v08.xml",
        "camt/multi-stmt-charges-records.camt053.v06.xml",
        "public/camt/viafintech__053_valid_example_v4.xml",
    ] {
        let bytes = std::fs::read(root.join(name)).expect("fixture");
        let whole = camt::read(name, &bytes).expect("reads");
        for capacity in [1, 7, 64] {
            let mut sink = Collect::default();
            let source = BufReader::with_capacity(capacity, bytes.as_slice());
            let header = camt::read_stream(name, source, &mut sink).expect("streams");
            assert_eq!(
                sink.0, whole.statements,
                "{name} with {capacity}-byte buffer"
            );
            assert_eq!(header.warnings, whole.warnings);
        }
        // And through the decoder: the same file declared and encoded as windows-1252.
        let text = String::from_utf8(bytes.clone()).expect("utf-8 fixture");
        if text.is_ascii() && text.contains("encoding=\"UTF-8\"") {
            let latin = text.replace("encoding=\"UTF-8\"", "encoding=\"windows-1252\"");
            let mut sink = Collect::default();
            let source = BufReader::with_capacity(3, latin.as_bytes());
            camt::read_stream(name, source, &mut sink).expect("streams");
            assert_eq!(sink.0, whole.statements, "{name} decoded");
        }
    }
}

#[test]
fn namespaces_resolve_through_ancestors_and_prefixes() {
    let body = "<c:BkToCstmrStmt><c:Stmt><c:Id>S</c:Id></c:Stmt></c:BkToCstmrStmt>";
    let declared_above = format!(
        "<Envelope xmlns:c=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.04\"><c:Document>{body}</c:Document></Envelope>"
    );
    let file = read(&declared_above).expect("reads");
    assert_eq!(file.version.as_deref(), Some("053.001.04"));
    assert_eq!(
        file.warnings,
        vec![
            "wrapped-in-Envelope".to_string(),
            "namespace-prefix:c".to_string()
        ]
    );
    // The nearest declaration wins.
    let shadowed = declared_above.replace(
        "<c:Document>",
        "<c:Document xmlns:c=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.13\">",
    );
    assert_eq!(
        read(&shadowed).expect("reads").version.as_deref(),
        Some("053.001.13")
    );
    // A declaration on a sibling that has closed does not apply.
    let out_of_scope = format!(
        "<Envelope><Hdr xmlns:c=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.04\"/><c:Document>{body}</c:Document></Envelope>"
    );
    assert_eq!(
        read(&out_of_scope).unwrap_err().code,
        "unrecognised-namespace"
    );
    // `xmlns=""` undeclares the default namespace.
    let undeclared = "<Envelope xmlns=\"urn:swift:xsd:envelope\"><Document xmlns=\"\"><BkToCstmrStmt><Stmt/></BkToCstmrStmt></Document></Envelope>";
    let file = read(undeclared).expect("reads");
    assert_eq!(file.version, None);
    assert!(file.warnings.contains(&"no-namespace".to_string()));
    // An inherited non-camt default namespace is refused.
    let foreign = "<Envelope xmlns=\"urn:swift:xsd:envelope\"><Document><BkToCstmrStmt><Stmt/></BkToCstmrStmt></Document></Envelope>";
    assert_eq!(read(foreign).unwrap_err().code, "unrecognised-namespace");
}

#[test]
fn escaped_text_and_cdata_are_unescaped() {
    let xml = doc(&ENTRY.replace(
        "</BookgDt>",
        "</BookgDt><NtryDtls><TxDtls><RmtInf><Ustrd>PT A &amp; B &lt;CV&gt;</Ustrd>\
         <Ustrd><![CDATA[SP2D <001>]]></Ustrd></RmtInf></TxDtls></NtryDtls>",
    ));
    let file = read(&xml).expect("reads");
    assert_eq!(
        file.statements[0].entries[0].remittance.unstructured,
        vec!["PT A & B <CV>".to_string(), "SP2D <001>".to_string()]
    );
}

#[test]
fn every_version_of_every_message_is_read() {
    let kinds = [
        ("052", "BkToCstmrAcctRpt", "Rpt"),
        ("053", "BkToCstmrStmt", "Stmt"),
        ("054", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
    ];
    for (number, message, statement) in kinds {
        for version in 1..=13 {
            let message = if version == 1 {
                format!("{message}V01")
            } else {
                message.to_string()
            };
            let v = format!("{number}.001.{version:02}");
            let xml = format!(
                "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.{v}\"><{message}>\
                 <GrpHdr><MsgId>M</MsgId></GrpHdr><{statement}><Id>S</Id>{ENTRY}</{statement}>\
                 </{message}></Document>"
            );
            let file = read(&xml).unwrap_or_else(|e| panic!("camt.{v}: {e}"));
            assert_eq!(file.version.as_deref(), Some(v.as_str()));
            assert_eq!(file.format.map(|f| f.id()), Some(format!("camt.{number}")));
            assert_eq!(file.statements[0].entries.len(), 1, "camt.{v}");
            assert_eq!(
                camt::sniff(xml.as_bytes()).map(|(_, version)| version),
                Some(v.clone())
            );
        }
    }
}

#[test]
fn a_second_message_is_refused_not_dropped() {
    let one = doc(ENTRY).replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "");
    let two_documents = format!("<Envelope>{one}{one}</Envelope>");
    assert_eq!(read(&two_documents).unwrap_err().code, "multiple-messages");
    let two_messages = doc(ENTRY).replace(
        "</BkToCstmrStmt>",
        "</BkToCstmrStmt><BkToCstmrStmt><Stmt/></BkToCstmrStmt>",
    );
    assert_eq!(read(&two_messages).unwrap_err().code, "multiple-messages");
}
