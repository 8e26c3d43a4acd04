//! The one error type of this crate, and the per-row problem it lists.

use std::fmt;

/// One problem found in one row: where (row = line number in the file, header = 1 for CSV and
/// XLSX; JSONL lines count from 1), which column, what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub column: String,
    pub expected: String,
    pub found: String,
}

/// Longest `found` text kept in an error; longer input is cut (with `…`) so one huge cell cannot
/// make the error report unbounded.
pub const MAX_FOUND_CHARS: usize = 80;

impl RowError {
    pub fn new(row: u64, column: &str, expected: impl Into<String>, found: &str) -> Self {
        RowError {
            row,
            column: column.to_string(),
            expected: expected.into(),
            found: clip(found),
        }
    }
}

/// Cuts `text` to [`MAX_FOUND_CHARS`] characters.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_FOUND_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, column {}: expected {}, found {:?}",
            self.row, self.column, self.expected, self.found
        )
    }
}

/// Renders up to the kept errors, then "and N more".
fn list_rows(errors: &[RowError], more: &usize) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str("\n  ");
        out.push_str(&e.to_string());
    }
    if *more > 0 {
        out.push_str(&format!("\n  and {more} more"));
    }
    out
}

/// Everything that can go wrong reading a document file. Messages name the file and, for row
/// problems, every bad row (up to the configured limit).
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    #[error("{file}: file is {size} bytes; the limit for {container} files is {limit} bytes")]
    FileTooLarge {
        file: String,
        container: &'static str,
        size: usize,
        limit: usize,
    },
    #[error("{file}: more than {limit} rows; split the file")]
    TooManyRows { file: String, limit: usize },
    #[error("{file}: file is empty (expected a header line or a JSON object)")]
    Empty { file: String },
    #[error("{file}: {message}")]
    Encoding { file: String, message: String },
    #[error("{file}: cannot tell the document kind from {found:?}; expected a header with `ntpd` (receipts), `nomor_sts` (sts), `nomor_sp2d` (sp2d) or `pemilik` + `uraian` (bku), or JSON Lines of kasda documents; pass the kind explicitly")]
    UnknownKind { file: String, found: String },
    #[error("{file}: header (row {row}): {problems}")]
    Header {
        file: String,
        row: u64,
        problems: String,
    },
    #[error("{file}: cannot read XLSX: {message}")]
    Xlsx { file: String, message: String },
    #[error("{file}: {count} invalid {kind} row(s) of {rows_in}; the file was rejected whole:{}", list_rows(.errors, .more))]
    InvalidRows {
        file: String,
        kind: &'static str,
        rows_in: usize,
        /// Bad rows (distinct), not errors.
        count: usize,
        /// The first `max_errors` problems, in row order.
        errors: Vec<RowError>,
        /// Problems not listed.
        more: usize,
    },
}
