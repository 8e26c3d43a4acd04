//! ISO 20022 bank-to-customer cash management messages: camt.052 (account report), camt.053
//! (statement) and camt.054 (debit/credit notification), every version from 001.01 to 001.13.
//!
//! The reader streams: it follows the message skeleton event by event and reads one statement
//! child at a time (each `Bal`, each `Ntry` with its `TxDtls`), so memory is bounded by the
//! largest single element ([`Limits::max_element_bytes`]) whether the file holds ten entries or
//! ten million. Entries, the hot path, are built by hand-written readers from the events seen
//! while buffering them (the usual entry straight into the shared [`Entry`], others into the
//! entry model); serde reads the other statement children and any entry of an unusual shape,
//! to the same models (debug builds check every entry read by hand against the slower readings). [`read_stream`] hands statements and entries to a [`CamtSink`];
//! [`read`] builds the whole [`StatementFile`]; [`scan`] only counts and sums (the throughput
//! path for benchmarks and quick summaries); [`sniff`] recognises camt content for format
//! detection.
//!
//! What the reader accepts, beyond the plain schema: a default namespace, prefixed elements
//! (`camt:`, `ns2:`), no namespace at all, a SWIFT `Envelope` (or any other wrapper) around the
//! `Document` with an `AppHdr`, the 001.01 message names (`BkToCstmrStmtV01`) and layout,
//! `BIC` and `BICFI`, `Sts` as text or `Sts/Cd`, parties with and without the `Pty` wrapper,
//! charges in the 001.02 and the 001.03+ shape, a declared non-UTF-8 encoding
//! (`ISO-8859-1`, `windows-1252`, …) and UTF-16 with a byte-order mark, decoded as it streams.
//! Facts about the file that are not errors become warnings (`wrapped-in-Envelope`,
//! `namespace-prefix:camt`, `no-namespace`, `no-Document-element`,
//! `header-MsgDefIdr-differs:<id>`, `balance-without-CdtDbtInd:<code>`,
//! `entry-without-CdtDbtInd`, `decoded-from-<encoding>`). An entry without `Sts` is read as
//! booked; a balance without `CdtDbtInd` as a credit.
//!
//! The reader checks form, not arithmetic: balance and control-total checks across formats live
//! with the caller. Within an entry it does note (in `amount_notes`) where the entry amount and
//! its details disagree: `details-sum-differs:<sum>`, `instructed-differs:<amount> <ccy>` (entry
//! level) or `instructed-differs:TxDtls[n]:<amount> <ccy>`, `charges:<total> <ccy>`,
//! `batch-total-differs:<amount>`.
//!
//! Error codes ([`ReadError::code`]): `empty-file`, `no-message-element`, `no-statement`,
//! `multiple-messages`,
//! `unrecognised-namespace`, `namespace-mismatch`, `xml-syntax`, `truncated`, `bad-encoding`,
//! `unsupported-encoding`, `io-error`, `bad-structure`, `missing-field`, `bad-amount`,
//! `bad-currency`, `bad-date`, `bad-direction`, `bad-boolean`, `bad-number`, `bad-status`, and
//! the limits: `entry-too-large`, `element-too-large`, `event-too-large`, `nesting-too-deep`,
//! `too-many-entries`. Each names the file, line, column and byte (and entry ordinal inside an
//! entry), the field path (`Stmt[2]/Ntry/NtryDtls[1]/TxDtls[3]/AmtDtls/TxAmt/Amt`), what was
//! expected and what was found. With a decoded encoding, bytes and columns count the decoded
//! UTF-8 text; lines are exact either way.
//!
//! Times are kept as the wall-clock time the bank wrote; a time-zone offset is dropped, so a
//! booking at 23:30 WIB stays on its Jakarta date.

// `ReadError` is the crate-wide error (file, place, field, expected, found): large, and only
// ever built once per failed file, so returning it unboxed costs nothing that matters.
#![allow(clippy::result_large_err)]

mod convert;
mod direct;
mod fast;
mod inplace;
mod model;
mod source;
mod stream;

use std::io::BufRead;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use kasda_core::money::Direction;
use kasda_core::statement::{Entry, EntryStatus, Statement, StatementFile, StatementFormat};

use crate::error::{Location, ReadError};

/// Bounds on what one file may make the reader hold. Every limit hit is an error that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single element buffered: one `Ntry` with all its `TxDtls`, one `Bal`, the
    /// `GrpHdr`. A batch entry of a few thousand transactions (a payroll SP2D, a day of PBB
    /// payments) is several MiB, hence the default of 16 MiB.
    pub max_element_bytes: usize,
    /// Largest single XML token (a tag or a run of text); default 1 MiB.
    pub max_token_bytes: u64,
    /// Deepest element nesting; the deepest camt path is about 15, default 64.
    pub max_depth: usize,
    /// Most entries [`read`] keeps in memory (streaming has no such limit); default 2 000 000.
    pub max_entries_in_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_element_bytes: 16 << 20,
            max_token_bytes: 1 << 20,
            max_depth: 64,
            max_entries_in_memory: 2_000_000,
        }
    }
}

/// How much of a file [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// File-level facts: which message, which version, the group header, and the warnings so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CamtHeader {
    pub format: StatementFormat,
    /// `053.001.02`; `None` when the file has no namespace.
    pub version: Option<String>,
    /// `GrpHdr/MsgId`.
    pub message_id: Option<String>,
    /// `GrpHdr/CreDtTm`.
    pub created_at: Option<chrono::NaiveDateTime>,
    /// `GrpHdr/MsgPgntn`.
    pub page: Option<u32>,
    pub last_page: Option<bool>,
    pub warnings: Vec<String>,
    /// Statements (reports, notifications) begun so far.
    pub statements: u64,
    /// Entries read so far.
    pub entries: u64,
}

/// Receives a camt file as it is read. Calls come in file order:
/// `statement` once per `Stmt`/`Rpt`/`Ntfctn` (header fields filled, `entries` empty), then
/// `entry` for each of its entries, then `statement_end` (now also with the fields that follow
/// the entries, such as `AddtlStmtInf`; `entries` still empty). An error returned by the sink
/// stops the read and is passed through.
pub trait CamtSink {
    fn statement(&mut self, header: &CamtHeader, statement: &Statement) -> Result<(), ReadError>;
    fn entry(&mut self, entry: Entry) -> Result<(), ReadError>;
    fn statement_end(&mut self, statement: &Statement) -> Result<(), ReadError>;
}

/// Streams a camt.052/053/054 file into `sink`; returns the file header with the final warnings
/// and counts. Memory is bounded by one entry.
pub fn read_stream<R: BufRead>(
    file_name: &str,
    reader: R,
    sink: &mut dyn CamtSink,
) -> Result<CamtHeader, ReadError> {
    stream::run(file_name, reader, sink, Limits::default())
}

/// [`read_stream`] with explicit [`Limits`].
pub fn read_stream_with_limits<R: BufRead>(
    file_name: &str,
    reader: R,
    sink: &mut dyn CamtSink,
    limits: Limits,
) -> Result<CamtHeader, ReadError> {
    stream::run(file_name, reader, sink, limits)
}

/// Collects everything into the model (what [`read`] uses).
struct Collect {
    file: String,
    max_entries: u64,
    statements: Vec<Statement>,
    entries: u64,
}

impl CamtSink for Collect {
    fn statement(&mut self, _header: &CamtHeader, statement: &Statement) -> Result<(), ReadError> {
        self.statements.push(statement.clone());
        Ok(())
    }

    fn entry(&mut self, entry: Entry) -> Result<(), ReadError> {
        self.entries += 1;
        if self.entries > self.max_entries {
            return Err(ReadError::new(
                &self.file,
                Location {
                    line: Some(u64::from(entry.pos.line)),
                    entry: Some(u64::from(entry.pos.index)),
                    ..Location::default()
                },
                "too-many-entries",
                "Ntry",
                format!("at most {} entries (stream larger files)", self.max_entries),
                "more",
            ));
        }
        if let Some(s) = self.statements.last_mut() {
            s.entries.push(entry);
        }
        Ok(())
    }

    fn statement_end(&mut self, statement: &Statement) -> Result<(), ReadError> {
        if let Some(s) = self.statements.last_mut() {
            let entries = std::mem::take(&mut s.entries);
            *s = statement.clone();
            s.entries = entries;
        }
        Ok(())
    }
}

/// Reads a whole camt file into the shared statement model.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<StatementFile, ReadError> {
    read_with_limits(file_name, bytes, Limits::default())
}

/// [`read`] with explicit [`Limits`].
pub fn read_with_limits(
    file_name: &str,
    bytes: &[u8],
    limits: Limits,
) -> Result<StatementFile, ReadError> {
    let mut collect = Collect {
        file: file_name.to_string(),
        max_entries: limits.max_entries_in_memory,
        statements: Vec::new(),
        entries: 0,
    };
    let header = read_stream_with_limits(file_name, bytes, &mut collect, limits)?;
    Ok(StatementFile {
        format: Some(header.format),
        version: header.version,
        message_id: header.message_id,
        created_at: header.created_at,
        page: header.page,
        last_page: header.last_page,
        statements: collect.statements,
        warnings: header.warnings,
    })
}

/// Counts and entry-level sums of a file, as [`scan`] returns them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub statements: u64,
    pub entries: u64,
    pub booked_entries: u64,
    /// Sum of credit entries (booked and pending; a reversal counts in the direction it is
    /// written with), in the file's currencies mixed: meant for one-currency files.
    pub sum_credit: Decimal,
    pub sum_debit: Decimal,
    pub transaction_details: u64,
}

struct Summing(ScanSummary, String);

impl CamtSink for Summing {
    fn statement(&mut self, _header: &CamtHeader, _statement: &Statement) -> Result<(), ReadError> {
        self.0.statements += 1;
        Ok(())
    }

    fn entry(&mut self, entry: Entry) -> Result<(), ReadError> {
        let s = &mut self.0;
        s.entries += 1;
        if entry.status == EntryStatus::Booked {
            s.booked_entries += 1;
        }
        s.transaction_details += entry.details.len() as u64;
        let total = match entry.direction {
            Some(Direction::Credit) => &mut s.sum_credit,
            Some(Direction::Debit) => &mut s.sum_debit,
            None => return Ok(()),
        };
        *total = total.checked_add(entry.amount).ok_or_else(|| {
            ReadError::new(
                &self.1,
                Location {
                    line: Some(u64::from(entry.pos.line)),
                    entry: Some(u64::from(entry.pos.index)),
                    ..Location::default()
                },
                "sum-overflow",
                "Ntry/Amt",
                "sums that fit in a decimal",
                entry.amount.to_string(),
            )
        })?;
        Ok(())
    }

    fn statement_end(&mut self, _statement: &Statement) -> Result<(), ReadError> {
        Ok(())
    }
}

/// Streams `reader` and returns only counts and sums: the throughput path (no entry is kept).
pub fn scan<R: BufRead>(
    file_name: &str,
    reader: R,
) -> Result<(CamtHeader, ScanSummary), ReadError> {
    let mut sink = Summing(ScanSummary::default(), file_name.to_string());
    let header = read_stream(file_name, reader, &mut sink)?;
    Ok((header, sink.0))
}

/// Recognises camt content: `Some((format, version))` when the first [`SNIFF_BYTES`] declare a
/// camt.052/053/054 namespace (version `053.001.02`) or, without a versioned namespace, contain
/// one of the three message elements (version empty).
pub fn sniff(bytes: &[u8]) -> Option<(StatementFormat, String)> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    // Only a namespace declaration counts: its value ends with a quote right after the
    // version, unlike `xsi:schemaLocation`, which continues with the schema file name.
    let stem = b"urn:iso:std:iso:20022:tech:xsd:camt.";
    for at in memchr::memmem::find_iter(head, stem) {
        let rest = &head[at..];
        let Some(end) = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\'' || b.is_ascii_whitespace())
        else {
            continue;
        };
        if !matches!(rest[end], b'"' | b'\'') {
            continue;
        }
        if let Ok(ns) = std::str::from_utf8(&rest[..end]) {
            if let Some(found) = stream::parse_namespace(ns) {
                return Some(found);
            }
        }
    }
    for (element, format) in [
        (&b"BkToCstmrStmt"[..], StatementFormat::Camt053),
        (&b"BkToCstmrAcctRpt"[..], StatementFormat::Camt052),
        (&b"BkToCstmrDbtCdtNtfctn"[..], StatementFormat::Camt054),
    ] {
        for at in memchr::memmem::find_iter(head, element) {
            // Preceded by `<` or `<prefix:` and followed by `>`, `/` or a blank.
            let before = &head[..at];
            let opens_tag = match before.iter().rposition(|&b| b == b'<') {
                Some(lt) => {
                    before[lt + 1..]
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == b':' || b == b'_' || b == b'-')
                        && (lt + 1 == at || before.last() == Some(&b':'))
                }
                None => false,
            };
            let closes = head
                .get(at + element.len())
                .is_some_and(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace());
            if opens_tag && closes {
                return Some((format, String::new()));
            }
        }
    }
    None
}
