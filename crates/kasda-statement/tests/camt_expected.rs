//! The camt reader against the shared oracle: every `camt/` row of
//! `sample-statements/EXPECTED.tsv` (public sample files from other camt implementations).
//!
//! The shared folder is `../../../shared/sample-statements` from this crate, or the directory in
//! `KASDA_SHARED_SAMPLES`. A missing folder fails the test: silently skipping would let the
//! reader drift from the oracle.

use std::path::PathBuf;

use rust_decimal::Decimal;

use kasda_core::money::Direction;
use kasda_core::statement::{Statement, StatementFile};
use kasda_statement::camt;

/// Warnings the camt reader itself is responsible for; the others in EXPECTED.tsv
/// (balance checks, reversal counts) are added by the cross-format checks.
const READER_WARNINGS: &[&str] = &[
    "wrapped-in-",
    "namespace-prefix:",
    "no-namespace",
    "no-Document-element",
    "header-MsgDefIdr-differs:",
    "balance-without-CdtDbtInd:",
    "entry-without-CdtDbtInd",
];

fn shared_dir() -> PathBuf {
    match std::env::var_os("KASDA_SHARED_SAMPLES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-statements"),
    }
}

struct Row {
    file: String,
    format: String,
    version: String,
    statements: String,
    entries: String,
    sum_credit: String,
    sum_debit: String,
    opening: String,
    closing: String,
    currency: String,
    status: String,
    warnings: Vec<String>,
}

fn rows() -> Vec<Row> {
    let dir = shared_dir();
    let path = dir.join("EXPECTED.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("shared samples missing: {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("EXPECTED.tsv has no column {name}"))
    };
    let cols = [
        "file",
        "format",
        "version",
        "statements",
        "entries",
        "sum_credit",
        "sum_debit",
        "opening_balance",
        "closing_balance",
        "currency",
        "status",
        "warnings",
    ]
    .map(col);
    lines
        .filter(|l| l.starts_with("camt/"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(cols[i]).copied().unwrap_or("").to_string();
            Row {
                file: get(0),
                format: get(1),
                version: get(2),
                statements: get(3),
                entries: get(4),
                sum_credit: get(5),
                sum_debit: get(6),
                opening: get(7),
                closing: get(8),
                currency: get(9),
                status: get(10),
                warnings: get(11)
                    .split(';')
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect(),
            }
        })
        .collect()
}

fn dec(s: &str) -> Decimal {
    s.parse()
        .unwrap_or_else(|e| panic!("bad decimal {s:?} in EXPECTED.tsv: {e}"))
}

fn sums(file: &StatementFile) -> (Decimal, Decimal) {
    let mut credit = Decimal::ZERO;
    let mut debit = Decimal::ZERO;
    for e in file.statements.iter().flat_map(|s| &s.entries) {
        // Booked and pending alike; a reversal counts in the direction it is written with.
        match e.direction {
            Some(Direction::Credit) => credit += e.amount,
            Some(Direction::Debit) => debit += e.amount,
            None => {}
        }
    }
    (credit, debit)
}

fn balance_text(b: Option<&kasda_core::statement::Balance>) -> Option<Decimal> {
    b.map(|b| b.amount)
}

fn check_row(row: &Row, failures: &mut Vec<String>) {
    let path = shared_dir().join(&row.file);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            failures.push(format!("{}: cannot read: {e}", row.file));
            return;
        }
    };
    let mut fail = |what: String| failures.push(format!("{}: {what}", row.file));

    // Detection agrees with the oracle's format/version columns for every row it names.
    let sniffed = camt::sniff(&bytes);
    match (&sniffed, row.format.as_str()) {
        (None, "unknown") => {}
        (Some((f, v)), fmt) if f.id() == fmt && v == &row.version => {}
        (got, _) => fail(format!(
            "sniff: expected {} {}, got {got:?}",
            row.format, row.version
        )),
    }

    let result = camt::read(&row.file, &bytes);
    if let Some(code) = row.status.strip_prefix("error:") {
        match result {
            Err(e) if e.code == code => {}
            Err(e) => fail(format!("expected error {code}, got {e}")),
            Ok(_) => fail(format!("expected error {code}, read fine")),
        }
        return;
    }
    let file = match result {
        Ok(f) => f,
        Err(e) => {
            fail(format!("unexpected error: {e}"));
            return;
        }
    };
    let format = file.format.as_ref().map(|f| f.id()).unwrap_or_default();
    if format != row.format {
        fail(format!("format {format} != {}", row.format));
    }
    if file.version.as_deref().unwrap_or("") != row.version {
        fail(format!("version {:?} != {}", file.version, row.version));
    }
    if file.statements.len().to_string() != row.statements {
        fail(format!(
            "statements {} != {}",
            file.statements.len(),
            row.statements
        ));
    }
    let entries: usize = file.statements.iter().map(|s| s.entries.len()).sum();
    if entries.to_string() != row.entries {
        fail(format!("entries {entries} != {}", row.entries));
    }
    let (credit, debit) = sums(&file);
    if credit != dec(&row.sum_credit) {
        fail(format!("sum_credit {credit} != {}", row.sum_credit));
    }
    if debit != dec(&row.sum_debit) {
        fail(format!("sum_debit {debit} != {}", row.sum_debit));
    }
    let first: Option<&Statement> = file.statements.first();
    let opening = balance_text(first.and_then(|s| s.opening()));
    let closing = balance_text(first.and_then(|s| s.closing()));
    let expect_opt = |s: &str| (!s.is_empty()).then(|| dec(s));
    if opening != expect_opt(&row.opening) {
        fail(format!("opening {opening:?} != {:?}", row.opening));
    }
    if closing != expect_opt(&row.closing) {
        fail(format!("closing {closing:?} != {:?}", row.closing));
    }
    let currency = first
        .and_then(|s| {
            s.account
                .currency
                .or_else(|| s.balances.first().map(|b| b.currency))
                .or_else(|| s.entries.first().map(|e| e.currency))
        })
        .map(|c| c.to_string())
        .unwrap_or_default();
    if currency != row.currency {
        fail(format!("currency {currency} != {}", row.currency));
    }
    let mine = |w: &String| READER_WARNINGS.iter().any(|p| w.starts_with(p));
    for w in &file.warnings {
        if !row.warnings.contains(w) {
            fail(format!("warning {w} not in EXPECTED {:?}", row.warnings));
        }
    }
    for w in row.warnings.iter().filter(|w| mine(w)) {
        if !file.warnings.contains(w) {
            fail(format!("expected warning {w}, got {:?}", file.warnings));
        }
    }
    // Entries carry their position: ordinal in the file and a line inside it.
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    for (i, e) in file.statements.iter().flat_map(|s| &s.entries).enumerate() {
        if e.pos.index as usize != i || e.pos.line == 0 || e.pos.line > lines {
            fail(format!("entry {i} has position {:?}", e.pos));
            break;
        }
    }
}

#[test]
fn every_camt_row_of_the_shared_oracle() {
    let rows = rows();
    assert_eq!(rows.len(), 63, "EXPECTED.tsv camt rows");
    let mut failures = Vec::new();
    for row in &rows {
        check_row(row, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn entry_lines_point_at_the_ntry_tag() {
    let path = shared_dir().join("camt/kedder__simple.xml");
    let bytes = std::fs::read(&path).expect("shared sample");
    let file = camt::read("kedder__simple.xml", &bytes).expect("reads");
    let text = String::from_utf8_lossy(&bytes);
    let ntry_lines: Vec<u32> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("<Ntry>"))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    let got: Vec<u32> = file.statements[0]
        .entries
        .iter()
        .map(|e| e.pos.line)
        .collect();
    assert_eq!(got, ntry_lines);
}
