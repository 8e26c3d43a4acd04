//! The store-neutral stream that moves a whole ledger between stores (`kasda db export --to …`).
//!
//! The stream is JSON Lines, one [`ExportRecord`] per line, in a fixed order: a header, then
//! runs, files, statements, statement lines, documents, duplicates, entries (with their joins, in
//! seq order), findings, proposals, period closes, and an end record carrying the counts and the
//! chain's head hash. Every type in it is a `kasda_store` (or `kasda_core`) type, so any store
//! can write or read it; each store implements the export and import against its own tables.
//!
//! Importing writes the whole ledger in ONE transaction into a ledger that must not exist yet
//! (or exist empty), keeps every sequence number, hash, run id and time stamp, then recomputes
//! the hash chain and the balance aggregates inside the same transaction and commits only if
//! both check out. The ledger code is part of every hash, so a ledger keeps its code when moved.

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::ledger::StoredEntry;
use serde::{Deserialize, Serialize};

use crate::{
    DuplicateRecord, FindingRecord, LedgerInfo, Proposal, RunRecord, StoredDocument, StoredFile,
    StoredLine, StoredStatement,
};

/// Identifies the stream format in its header.
pub const EXPORT_FORMAT: &str = "kasda-ledger-export";
/// Version of the stream format this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;
/// Longest single record accepted when importing (a proposal with many entries is the largest).
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// One line of the export stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum ExportRecord {
    Header {
        format: String,
        version: u32,
        ledger: LedgerInfo,
    },
    Run(RunRecord),
    File(StoredFile),
    Statement(StoredStatement),
    Line(StoredLine),
    Document(StoredDocument),
    Duplicate(DuplicateRecord),
    Entry {
        entry: StoredEntry,
        joins: Vec<String>,
    },
    Finding(FindingRecord),
    Proposal(Proposal),
    PeriodClose {
        through: NaiveDate,
        actor: String,
        locked_at: DateTime<Utc>,
    },
    End {
        /// Records before this one, header included.
        records: u64,
        entries: u64,
        head_hash: String,
    },
}

/// What an export or import moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferSummary {
    pub ledger: String,
    pub records: u64,
    pub entries: u64,
    pub lines: u64,
    pub documents: u64,
    pub head_hash: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_tagged_snake_case_and_round_trip() {
        let r = ExportRecord::PeriodClose {
            through: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap_or_default(),
            actor: "bud".into(),
            locked_at: DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        };
        let text = serde_json::to_string(&r).unwrap_or_default();
        assert!(text.starts_with(r#"{"record":"period_close","through":"2025-01-31""#));
        let back: ExportRecord = serde_json::from_str(&text).expect("parses back");
        assert_eq!(back, r);
    }
}
