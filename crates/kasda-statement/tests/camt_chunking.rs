//! The camt reader gives the same result, and the same error to the byte, however the source
//! hands it its bytes. Whole entries that lie in the reader's current chunk are read from it in
//! place; an element cut by a chunk boundary, and every shape the in-place reader leaves alone,
//! go through the buffered walk. A source that gives one byte at a time never lets the in-place
//! reader take anything, so it is the reference every other chunking is held to.

use std::io::BufReader;
use std::path::PathBuf;

use proptest::prelude::*;

use kasda_statement::camt::{self, Limits};

fn shared_dir() -> PathBuf {
    match std::env::var_os("KASDA_SHARED_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-statements"),
    }
}

/// Every camt sample: the repository's own fixtures and the shared public ones.
fn sample_paths() -> Vec<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements");
    let mut out = Vec::new();
    for dir in [
        repo.join("camt"),
        repo.join("public/camt"),
        shared_dir().join("camt"),
    ] {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        paths.sort();
        out.extend(paths);
    }
    assert!(out.len() > 100, "samples found: {}", out.len());
    out
}

fn small_samples() -> Vec<Vec<u8>> {
    sample_paths()
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 100_000))
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The whole outcome of a read, errors included with every field, as text.
fn outcome(bytes: &[u8], capacity: Option<usize>, limits: Limits) -> String {
    let result = match capacity {
        None => camt::read_with_limits("t.xml", bytes, limits),
        Some(n) => {
            // `read_with_limits` takes a slice; go through the streaming entry point to
            // control the chunking.
            let mut sink = Collect::default();
            camt::read_stream_with_limits(
                "t.xml",
                BufReader::with_capacity(n, bytes),
                &mut sink,
                limits,
            )
            .map(|header| (header, sink.0))
            .map(|(h, statements)| kasda_core::statement::StatementFile {
                format: Some(h.format),
                version: h.version,
                message_id: h.message_id,
                created_at: h.created_at,
                page: h.page,
                last_page: h.last_page,
                statements,
                warnings: h.warnings,
            })
        }
    };
    match result {
        Ok(file) => format!("{file:?}"),
        Err(e) => format!("ERROR {e:?}"),
    }
}

#[derive(Default)]
struct Collect(Vec<kasda_core::statement::Statement>);

impl camt::CamtSink for Collect {
    fn statement(
        &mut self,
        _header: &camt::CamtHeader,
        statement: &kasda_core::statement::Statement,
    ) -> Result<(), kasda_statement::ReadError> {
        self.0.push(statement.clone());
        Ok(())
    }
    fn entry(
        &mut self,
        entry: kasda_core::statement::Entry,
    ) -> Result<(), kasda_statement::ReadError> {
        if let Some(s) = self.0.last_mut() {
            s.entries.push(entry);
        }
        Ok(())
    }
    fn statement_end(
        &mut self,
        statement: &kasda_core::statement::Statement,
    ) -> Result<(), kasda_statement::ReadError> {
        if let Some(s) = self.0.last_mut() {
            let entries = std::mem::take(&mut s.entries);
            *s = statement.clone();
            s.entries = entries;
        }
        Ok(())
    }
}

/// Reads `bytes` one byte at a time (the reference), whole, and through chunks of each size in
/// `capacities`; all must agree.
fn agree(name: &str, bytes: &[u8], capacities: &[usize], limits: Limits) {
    let reference = outcome(bytes, Some(1), limits);
    let whole = outcome(bytes, None, limits);
    assert_eq!(whole, reference, "{name}: read whole vs one byte at a time");
    for &n in capacities {
        let chunked = outcome(bytes, Some(n), limits);
        assert_eq!(
            chunked, reference,
            "{name}: chunks of {n} vs one byte at a time"
        );
    }
}

#[test]
fn every_sample_reads_the_same_through_any_chunking() {
    let mut read = 0;
    for path in sample_paths() {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let capacities: &[usize] = if bytes.len() > 100_000 {
            &[4096]
        } else {
            &[2, 7, 64, 333, 4096]
        };
        agree(
            &path.display().to_string(),
            &bytes,
            capacities,
            Limits::default(),
        );
        read += 1;
    }
    assert!(read > 100);
}

/// Comments, CDATA, processing instructions and entities inside entries are left to the
/// buffered walk: the same reading whichever reader took the entry.
#[test]
fn markup_the_in_place_reader_leaves_alone_reads_the_same() {
    let entry = |inside: &str| {
        format!(
            "<Ntry><NtryRef>1</NtryRef>{inside}<Amt Ccy=\"IDR\">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
             <NtryDtls><TxDtls><RmtInf><Ustrd>A{inside}B</Ustrd></RmtInf></TxDtls></NtryDtls>\n  </Ntry>"
        )
    };
    for inside in [
        "",
        "<!-- note -->",
        "<![CDATA[x]]>",
        "<?pi x?>",
        "&amp;",
        "&bogus;",
        "\n\t",
        "<X/>",
        "<X a='1'><Y/></X>",
        "</Ntry>",
        "<Ntry>",
        "\u{feff}",
    ] {
        let body: String = (0..5).map(|_| entry(inside)).collect();
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\
             <BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S</Id>\n{body}\n</Stmt></BkToCstmrStmt></Document>\n"
        );
        agree(
            inside,
            xml.as_bytes(),
            &[2, 5, 40, 150, 600],
            Limits::default(),
        );
    }
}

/// The nesting and size limits stop the read at the same element, with the same error,
/// whichever reader met the element.
#[test]
fn limits_are_met_at_the_same_place() {
    let samples = small_samples();
    for limits in [
        Limits {
            max_depth: 6,
            ..Limits::default()
        },
        Limits {
            max_depth: 9,
            ..Limits::default()
        },
        Limits {
            max_element_bytes: 300,
            ..Limits::default()
        },
        Limits {
            max_element_bytes: 1500,
            ..Limits::default()
        },
    ] {
        for (i, bytes) in samples.iter().enumerate() {
            agree(&format!("sample {i} {limits:?}"), bytes, &[3, 256], limits);
        }
    }
}

const SNIPPETS: &[&str] = &[
    "<Ntry>",
    "</Ntry>",
    "<Amt Ccy=\"IDR\">",
    "</Amt>",
    "<Stmt>",
    "<![CDATA[x]]>",
    "&amp;",
    "&bogus;",
    "<!-- c -->",
    "<?pi x?>",
    "\u{0}",
    "\u{feff}",
    "\n",
    "9999999999999999999999999.99",
    "2024-02-30",
    "<CdtDbtInd>DBIT</CdtDbtInd>",
    "<Sts><Cd>PDNG</Cd></Sts>",
    "<X/>",
    "</X>",
    "<",
    ">",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Broken and odd files fail (or read) the same way through any chunking: the error names
    /// the same line, column, byte, entry and field.
    #[test]
    fn spliced_samples_read_the_same_through_any_chunking(
        sample in any::<prop::sample::Index>(),
        splices in proptest::collection::vec(
            (any::<prop::sample::Index>(), proptest::sample::select(SNIPPETS)),
            1..4,
        ),
        capacity in 2usize..700,
    ) {
        let all = small_samples();
        let mut bytes = all[sample.index(all.len())].clone();
        for (at, snippet) in splices {
            let i = at.index(bytes.len() + 1);
            bytes.splice(i..i, snippet.bytes());
        }
        agree("spliced", &bytes, &[capacity], Limits::default());
    }

    #[test]
    fn cut_samples_read_the_same_through_any_chunking(
        sample in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        capacity in 2usize..700,
    ) {
        let all = small_samples();
        let bytes = &all[sample.index(all.len())];
        let cut = cut.index(bytes.len() + 1);
        agree("cut", &bytes[..cut], &[capacity], Limits::default());
    }
}
