//! kasda-documents: reads the government side of the reconciliation — tax / retribution receipts,
//! STS deposit slips, SP2D disbursement orders and BKU cash-book lines — from CSV, JSON Lines and
//! XLSX, validates every row and hands back `kasda_core::document` values.
//!
//! The column specs are in `schema/documents/<kind>.csv.md`; JSON Lines are exactly `serde_json`
//! of the core types. Validation never reads the clock (`now` is passed in) and never touches a
//! store: "already stored" questions go through the [`ExistingKeys`] hook and the pemda's chart
//! of accounts through [`KodeRekeningLookup`].
//!
//! A file is all or nothing by default: any bad row rejects it, and the error lists every bad
//! row (row number, column, expected, found). In quarantine mode good rows go on and bad rows
//! are kept, byte for byte, for [`write_quarantine`].
//!
//! Receipts CSV, the large files, are read in one streaming pass ([`scan_receipts_csv`]): each
//! row is parsed and checked borrowed ([`ReceiptView`]) and handed to a visitor, and the rules
//! across rows keep 16 bytes per key; [`read_documents`] builds owned receipts through it.
//!
//! This crate must never panic on input bytes, never guess an amount notation per cell and never
//! round an amount.

mod columns;
mod csvin;
mod error;
mod jsonl;
mod quarantine;
pub mod sample;
mod scan;
mod split;
pub mod text;
mod validate;
mod view;
pub mod write;
mod xlsx;

use std::collections::HashSet;
use std::ops::Range;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::{Document, ReceiptStatus};
use kasda_core::money::NumberFormat;
use rust_decimal::Decimal;

pub use error::{DocumentsError, RowError, MAX_FOUND_CHARS};
pub use quarantine::{quarantine_reason_column, write_quarantine, write_scan_quarantine};
pub use scan::{scan_receipts_csv, ScanSummary};
pub use view::{LinesView, ReceiptView, RevenueLineView};
pub use write::{write_csv, write_csv_with, write_jsonl};

/// Largest CSV or JSON Lines file accepted, in bytes.
pub const MAX_TEXT_FILE_BYTES: usize = 1 << 30;
/// Largest XLSX file accepted, in bytes (it is unpacked in memory).
pub const MAX_XLSX_FILE_BYTES: usize = 256 << 20;
/// Default cap on rows per file ([`ReadOptions::max_rows`]).
pub const DEFAULT_MAX_ROWS: usize = 20_000_000;
/// Largest CSV record (all its cells) in bytes.
pub const MAX_RECORD_BYTES: usize = 64 << 10;
/// Largest JSON Lines line in bytes.
pub const MAX_JSON_LINE_BYTES: usize = 1 << 20;
/// Largest single cell in bytes.
pub const MAX_CELL_BYTES: usize = 4096;

/// The four kinds of document file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Receipts,
    Sts,
    Sp2d,
    Bku,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Receipts, Kind::Sts, Kind::Sp2d, Kind::Bku];

    /// Name used in file names, summaries and the CLI: `receipts`, `sts`, `sp2d`, `bku`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receipts => "receipts",
            Kind::Sts => "sts",
            Kind::Sp2d => "sp2d",
            Kind::Bku => "bku",
        }
    }

    /// The `kind` tag of [`Document`] in JSON: `receipt`, `sts`, `sp2d`, `bku`.
    pub fn document_tag(self) -> &'static str {
        match self {
            Kind::Receipts => "receipt",
            other => other.as_str(),
        }
    }

    /// Accepts both the file name form and the JSON tag (`receipts` / `receipt`).
    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.document_tag() == s)
    }

    /// Kind of a document value.
    pub fn of(doc: &Document) -> Kind {
        match doc {
            Document::Receipt(_) => Kind::Receipts,
            Document::Sts(_) => Kind::Sts,
            Document::Sp2d(_) => Kind::Sp2d,
            Document::Bku(_) => Kind::Bku,
        }
    }

    /// CSV column names, in the order [`write_csv`] writes them.
    pub fn columns(self) -> Vec<&'static str> {
        columns::spec(self).iter().map(|c| c.name).collect()
    }
}

/// Guesses the kind from a CSV header line or the first JSON Lines object. `None` when it
/// matches no kind. XLSX needs the whole file: [`read_documents`] detects it there.
pub fn detect_kind(header_or_first_line: &[u8]) -> Option<Kind> {
    let line = header_or_first_line
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(header_or_first_line);
    let first = line.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first == b'{' {
        let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
        jsonl::detect(line.get(..end)?).map(|(kind, _)| kind)
    } else {
        let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
        let header = line.get(..end)?;
        let names = csvin::header_names(header, csvin::sniff_delimiter(header));
        columns::detect_from_names(&names)
    }
}

/// Answers "does the pemda's chart of accounts hold this kode rekening?". Any
/// `Fn(&str) -> bool` is one.
pub trait KodeRekeningLookup {
    fn exists(&self, kode_rekening: &str) -> bool;
}

impl<F: Fn(&str) -> bool> KodeRekeningLookup for F {
    fn exists(&self, kode_rekening: &str) -> bool {
        self(kode_rekening)
    }
}

/// The pemda's chart from `kasda-core` (bundled or loaded per fiscal year): a code must be
/// listed, and valid in the chart's fiscal year when one is set.
impl KodeRekeningLookup for kasda_core::chart::Chart {
    fn exists(&self, kode_rekening: &str) -> bool {
        self.contains(kode_rekening)
    }
}

/// What the store already holds, so a file cannot repeat an earlier import's document and a
/// reversal may point to a receipt imported before.
pub trait ExistingKeys {
    /// `natural_key` in the form of [`Document::natural_key`] (`receipt:<ntpd>`, `sts:<no>`, …).
    fn contains_key(&self, natural_key: &str) -> bool;
    /// A paid, unreversed receipt with this kode billing is already stored.
    fn contains_kode_billing(&self, kode_billing: &str) -> bool;
}

/// An in-memory [`ExistingKeys`]: the test double, and what a caller can build from a store
/// query.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub natural_keys: HashSet<String>,
    pub kode_billing: HashSet<String>,
}

impl KeySet {
    /// Keys of already accepted documents (e.g. an earlier batch).
    pub fn from_documents<'d>(docs: impl IntoIterator<Item = &'d Document>) -> KeySet {
        let mut set = KeySet::default();
        let mut reversed = HashSet::new();
        let mut billing = Vec::new();
        for doc in docs {
            set.natural_keys.insert(doc.natural_key());
            if let Document::Receipt(r) = doc {
                match r.status {
                    ReceiptStatus::Reversed => {
                        if let Some(t) = &r.reverses_ntpd {
                            reversed.insert(t.clone());
                        }
                    }
                    ReceiptStatus::Paid => {
                        if let Some(kb) = &r.kode_billing {
                            billing.push((r.ntpd.clone(), kb.clone()));
                        }
                    }
                }
            }
        }
        set.kode_billing = billing
            .into_iter()
            .filter(|(ntpd, _)| !reversed.contains(ntpd))
            .map(|(_, kb)| kb)
            .collect();
        set
    }
}

impl ExistingKeys for KeySet {
    fn contains_key(&self, natural_key: &str) -> bool {
        self.natural_keys.contains(natural_key)
    }
    fn contains_kode_billing(&self, kode_billing: &str) -> bool {
        self.kode_billing.contains(kode_billing)
    }
}

/// What to do with bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadRows {
    /// Any bad row rejects the whole file (the default: an import is all or nothing).
    #[default]
    Reject,
    /// Good rows are accepted; bad rows go to [`DocumentBatch::quarantined`].
    Quarantine,
}

/// What to do with a document whose natural key (NTPD, STS / SP2D number, BKU line) repeats
/// within the file, or with a kode billing paid twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Duplicates {
    /// The later row is a bad row (the default).
    #[default]
    Reject,
    /// Both rows are accepted and the repeat is listed in [`DocumentBatch::duplicates`], for the
    /// reconciliation's `duplicate_receipt` finding. Keys already in the store are still rejected.
    Report,
}

/// How to read and validate one file.
pub struct ReadOptions<'a> {
    /// The kind, when the caller knows it; otherwise detected from the header / first line.
    pub kind: Option<Kind>,
    /// "Now" for plausibility checks; validation never reads the clock.
    pub now: DateTime<Utc>,
    /// How far past `now` a date or timestamp may lie (clock skew, next-day settlement).
    pub future_tolerance_days: i64,
    /// Dates before this are implausible.
    pub earliest_date: NaiveDate,
    /// The pemda's chart; when `None` only the shape of kode rekening is checked.
    pub kode_lookup: Option<&'a dyn KodeRekeningLookup>,
    /// What the store already holds; when `None` only the file itself is checked.
    pub existing: Option<&'a dyn ExistingKeys>,
    /// The pemda's NPWPD pattern (anchored by the caller); default 1–30 of `A-Za-z0-9.-`.
    pub npwpd_pattern: Option<regex::Regex>,
    /// Amount notation override. Default: `;`-delimited CSV is Indonesian, everything else plain.
    pub number_format: Option<NumberFormat>,
    pub bad_rows: BadRows,
    pub duplicates: Duplicates,
    /// Row problems listed in [`DocumentsError::InvalidRows`] before "and N more".
    pub max_errors: usize,
    pub max_rows: usize,
}

impl<'a> ReadOptions<'a> {
    /// Defaults: auto kind, 1 day of future tolerance, dates from 2000-01-01, reject bad rows
    /// and duplicates, list up to 1000 problems.
    pub fn new(now: DateTime<Utc>) -> Self {
        ReadOptions {
            kind: None,
            now,
            future_tolerance_days: 1,
            earliest_date: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN),
            kode_lookup: None,
            existing: None,
            npwpd_pattern: None,
            number_format: None,
            bad_rows: BadRows::Reject,
            duplicates: Duplicates::Reject,
            max_errors: 1000,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}

/// The container a file came in, with what was sniffed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Csv {
        delimiter: u8,
        encoding: TextEncoding,
        number_format: NumberFormat,
    },
    JsonLines {
        /// Lines are `Document` objects tagged with `kind` (otherwise bare structs).
        tagged: bool,
    },
    Xlsx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

/// Where a row came from: its line (CSV / JSONL) or sheet row (XLSX, header = 1) and, for text
/// files, its byte range in the input (terminator included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRef {
    pub line: u64,
    pub bytes: Option<Range<usize>>,
}

/// A bad row kept aside in quarantine mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedRow {
    pub row: RowRef,
    /// The original bytes (CSV record or JSONL line without its terminator; XLSX cells
    /// rendered as CSV).
    pub raw: Vec<u8>,
    pub errors: Vec<RowError>,
}

impl QuarantinedRow {
    /// All problems of the row in one line: `column: expected X, found "Y"; …`.
    pub fn reason(&self) -> String {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: expected {}, found {:?}", e.column, e.expected, e.found))
            .collect();
        parts.join("; ")
    }
}

/// A repeated key accepted under [`Duplicates::Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRow {
    /// `receipt:<ntpd>`, `kode_billing:<kb>`, `sts:<no>`, …
    pub key: String,
    pub row: u64,
    pub first_row: u64,
}

/// What one file yielded.
#[derive(Debug, Clone)]
pub struct DocumentBatch {
    pub file_name: String,
    pub kind: Kind,
    pub container: Container,
    /// Data rows read (blank rows are not rows). Always `documents.len() + quarantined.len()`.
    pub rows_in: usize,
    pub documents: Vec<(RowRef, Document)>,
    pub quarantined: Vec<QuarantinedRow>,
    pub duplicates: Vec<DuplicateRow>,
    /// The header as it was in the file (CSV: raw bytes without terminator; XLSX: cells as
    /// CSV; JSONL: empty).
    pub header_raw: Vec<u8>,
}

impl DocumentBatch {
    /// Σ of the main amount of the accepted documents: receipt `total` (paid minus reversed),
    /// STS `total`, SP2D `gross`, BKU `amount` (credits minus debits).
    pub fn total_amount(&self) -> Decimal {
        use kasda_core::money::Direction;
        let mut sum = Decimal::ZERO;
        for (_, d) in &self.documents {
            let signed = match d {
                Document::Receipt(r) => match r.status {
                    ReceiptStatus::Paid => r.total,
                    ReceiptStatus::Reversed => -r.total,
                },
                Document::Sts(s) => s.total,
                Document::Sp2d(s) => s.gross,
                Document::Bku(b) => match b.direction {
                    Direction::Credit => b.amount,
                    Direction::Debit => -b.amount,
                },
            };
            // Amounts are bounded to 18 integer digits, so a file cannot overflow 28 digits
            // short of ~10^10 rows; saturate rather than panic all the same.
            sum = sum.checked_add(signed).unwrap_or(Decimal::MAX);
        }
        sum
    }
}

/// `{"file", "kind", "rows", "valid", "invalid", "duplicates", "total_amount"}` for logs and
/// the CLI's JSON output. `total_amount` is a canonical 2-decimal string.
pub fn summary_json(batch: &DocumentBatch) -> serde_json::Value {
    serde_json::json!({
        "file": batch.file_name,
        "kind": batch.kind.as_str(),
        "rows": batch.rows_in,
        "valid": batch.documents.len(),
        "invalid": batch.quarantined.len(),
        "duplicates": batch.duplicates.len(),
        "total_amount": kasda_core::money::canonical(batch.total_amount(), kasda_core::Currency::IDR),
    })
}

/// Reads and validates one document file (CSV, JSON Lines or XLSX, told apart by content).
pub fn read_documents(
    file_name: &str,
    bytes: &[u8],
    opts: &ReadOptions<'_>,
) -> Result<DocumentBatch, DocumentsError> {
    let parsed = if bytes.starts_with(b"PK\x03\x04") {
        xlsx::read(file_name, bytes, opts)?
    } else {
        if bytes.len() > MAX_TEXT_FILE_BYTES {
            return Err(DocumentsError::FileTooLarge {
                file: file_name.to_string(),
                container: "CSV / JSON Lines",
                size: bytes.len(),
                limit: MAX_TEXT_FILE_BYTES,
            });
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            None => {
                return Err(DocumentsError::Empty {
                    file: file_name.to_string(),
                })
            }
            Some(b'{') => jsonl::read(file_name, bytes, opts)?,
            Some(_) if opts.kind.or_else(|| detect_kind(bytes)) == Some(Kind::Receipts) => {
                return scan::read_owned(file_name, bytes, opts);
            }
            Some(_) => csvin::read(file_name, bytes, opts)?,
        }
    };
    validate::finish(file_name, parsed, opts)
}

/// Whether [`read_documents`] reads `bytes` as a receipts CSV (not XLSX, not JSON Lines, and
/// `kind` or the header says receipts): then [`scan_receipts_csv`] reads it the same way,
/// streaming, with the same rules and errors.
pub fn is_receipts_csv(bytes: &[u8], kind: Option<Kind>) -> bool {
    if bytes.starts_with(b"PK\x03\x04") || bytes.len() > MAX_TEXT_FILE_BYTES {
        return false;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None | Some(b'{') => false,
        Some(_) => kind.or_else(|| detect_kind(bytes)) == Some(Kind::Receipts),
    }
}

/// Reads and validates a receipts CSV with default options (as of `now`) and returns how many
/// receipts were accepted, building no documents: [`scan_receipts_csv`] with a visitor that
/// keeps nothing (every rule of [`read_documents`] applies).
pub fn read_receipts_csv_count(bytes: &[u8], now: DateTime<Utc>) -> Result<usize, DocumentsError> {
    let opts = ReadOptions::new(now);
    scan_receipts_csv("bench.csv", bytes, &opts, |_, _| {}).map(|s| s.accepted)
}

/// What a container reader hands to the file-level checks.
pub(crate) struct Parsed<'b> {
    pub kind: Kind,
    /// Bytes that row spans point into: the input for CSV / JSONL, the rows rendered as CSV for
    /// XLSX.
    pub source: std::borrow::Cow<'b, [u8]>,
    pub container: Container,
    pub header_raw: Vec<u8>,
    pub rows: Rows,
    /// Names the checks use for columns: CSV names or JSON field names.
    pub naming: validate::Naming,
}

/// Rows as read, in file order within each list: the documents that passed the per-row checks
/// and the rows that did not.
#[derive(Default)]
pub(crate) struct Rows {
    pub good: Vec<(RowRef, Document)>,
    pub bad: Vec<(RowRef, Vec<RowError>)>,
}

impl Rows {
    pub fn with_capacity(rows: usize) -> Self {
        Rows {
            good: Vec::with_capacity(rows),
            bad: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.good.len() + self.bad.len()
    }
}
