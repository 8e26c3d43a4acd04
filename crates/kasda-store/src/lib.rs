//! kasda-store: what a kasda ledger store is.
//!
//! This crate defines the [`Store`] trait every backend implements (SQLite, PostgreSQL), the
//! plain data that crosses it, the pure import pipeline that turns reader output into an
//! [`ImportBatch`] ([`batch`]), the in-memory store that serves as the test oracle
//! ([`memory`]) and the conformance suite every store must pass ([`conformance`]).
//!
//! What a store guarantees (the conformance suite checks each point):
//! * **Append-only.** There is no update or delete in this API. A correction is a new entry
//!   that reverses the old one ([`kasda_core::ledger::JournalEntry::reversal`]). SQL stores also
//!   refuse UPDATE/DELETE in the database itself (triggers).
//! * **Balanced.** Every entry is validated ([`JournalEntry::validate`]) before it is written;
//!   SQL stores check Σ debit = Σ credit once more inside the database.
//! * **Atomic, idempotent imports.** [`Store::import_file`] runs in one transaction. The same
//!   file (by sha256) twice adds nothing and says so; statement lines and documents are
//!   idempotent by natural key, entries by their natural key.
//! * **Hash chain per ledger.** Entry `seq` is 1-based and gap-free per ledger; its hash is
//!   [`kasda_core::ledger::chain_hash`] of the previous hash and the entry, so two stores given
//!   the same imports in the same order produce bit-identical chains.
//! * **Bi-temporal balances.** A balance can be asked "as of" a booking date and "as known at" a
//!   recording time. Stores keep a per-(ledger, account, day) aggregate so that a balance never
//!   scans all postings (see [`Store::balance`]).
//! * **Provenance.** Every entry names its source file (sha256), its position in it and the run
//!   that wrote it; [`Store::trail`] walks from any entry or reference to everything related.
//!
//! The trait is synchronous; the PostgreSQL store blocks on its runtime internally. All methods
//! take `&mut self` so that a store can hold one connection and its prepared statements.
//!
//! This crate must never contain SQL or talk to a database.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use kasda_core::document::Document;
use kasda_core::ledger::{
    AccountKey, AccountKind, ChainVerifier, EntryKind, JournalEntry, LedgerError, StoredEntry,
    VerifyReport,
};
use kasda_core::ledger::{MAX_ACCOUNT_KEY_LEN, MAX_ENTRY_TEXT};
use kasda_core::money::{Currency, Direction};
use kasda_core::statement::{
    Balance, ControlTotals, EntryStatus, Party, References, SourcePos, StatementKind,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod batch;
pub mod conformance;
pub mod export;
pub mod memory;

pub use batch::{build_document_batch, build_import_batch, rebook_into_open_period, BatchError};
pub use memory::MemoryStore;

// ---------------------------------------------------------------------------------------------
// Limits. Every input that crosses the trait is bounded; stores check these and name them.
// ---------------------------------------------------------------------------------------------

/// Most statement lines one import may carry (a year of a busy RKUD is ~2 million lines).
pub const MAX_LINES_PER_IMPORT: usize = 5_000_000;
/// Most documents one import may carry.
pub const MAX_DOCUMENTS_PER_IMPORT: usize = 5_000_000;
/// Most statements one file may carry.
pub const MAX_STATEMENTS_PER_IMPORT: usize = 100_000;
/// Most entries one [`Store::append_entries`] call (or proposal) may carry.
pub const MAX_ENTRIES_PER_APPEND: usize = 1_000_000;
/// Largest page [`Store::entries`] returns; larger requests are clamped to it.
pub const MAX_PAGE: usize = 10_000;
/// Most keys or sequence numbers one lookup call may carry.
pub const MAX_KEYS_PER_LOOKUP: usize = 100_000;
/// Most entries a trail collects before it stops and says it was truncated.
pub const MAX_TRAIL_STEPS: usize = 10_000;
/// Most findings one [`Store::record_findings`] call may carry.
pub const MAX_FINDINGS_PER_CALL: usize = 1_000_000;
/// Longest ledger code.
pub const MAX_LEDGER_CODE: usize = 64;
/// Longest free text kept with a statement line ([`LineFacts::text`]).
pub const MAX_LINE_TEXT: usize = 4_000;
/// Longest actor name, reason, summary or file name.
pub const MAX_LABEL: usize = 1_000;
/// Longest search text for [`TrailQuery::Reference`].
pub const MAX_REFERENCE_QUERY: usize = 200;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Everything a store can refuse or fail at. Backends map their driver errors to
/// [`StoreError::Backend`] (with the operation) and their lock/contention errors to
/// [`StoreError::Locked`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ledger {ledger:?} does not exist (create it with ensure_ledger)")]
    UnknownLedger { ledger: String },
    #[error("invalid ledger code {found:?}: expected 1-{MAX_LEDGER_CODE} characters of A-Z a-z 0-9 . _ -")]
    InvalidLedgerCode { found: String },
    #[error("ledger {ledger:?} already exists with name {existing:?}, not {requested:?}")]
    LedgerNameConflict {
        ledger: String,
        existing: String,
        requested: String,
    },
    #[error("entry {natural_key:?} refused: {source}")]
    InvalidEntry {
        natural_key: String,
        #[source]
        source: LedgerError,
    },
    #[error("entry {natural_key:?} refused: booked on {booked_on}, but ledger {ledger:?} is closed through {closed_through}")]
    PeriodClosed {
        ledger: String,
        natural_key: String,
        booked_on: NaiveDate,
        closed_through: NaiveDate,
    },
    #[error("ledger {ledger:?} is closed through {closed_through}; a period cannot be reopened or closed again earlier (asked {requested})")]
    PeriodAlreadyClosed {
        ledger: String,
        closed_through: NaiveDate,
        requested: NaiveDate,
    },
    #[error("entry {natural_key:?} reverses entry {reverses}, which does not exist in ledger {ledger:?}")]
    UnknownReversedEntry {
        ledger: String,
        natural_key: String,
        reverses: i64,
    },
    #[error("{what}: {found} exceeds the limit of {limit}")]
    LimitExceeded {
        what: String,
        limit: usize,
        found: usize,
    },
    #[error("invalid input: {field}: expected {expected}, found {found}")]
    InvalidInput {
        field: String,
        expected: String,
        found: String,
    },
    #[error("proposal {id} does not exist in ledger {ledger:?}")]
    UnknownProposal { ledger: String, id: i64 },
    #[error("proposal {id} is {status}, not open")]
    ProposalNotOpen { id: i64, status: String },
    #[error(
        "proposal {id} was proposed by {user:?}; the same user cannot approve it (maker-checker)"
    )]
    SameUserApproval { id: i64, user: String },
    #[error("opening balance of {account} refused: {existing}; an account has one opening balance (reverse it to book another)")]
    OpeningBalanceExists { account: String, existing: String },
    #[error("migration {name} was changed after it was applied: recorded checksum {recorded}, file checksum {found}")]
    MigrationChanged {
        name: String,
        recorded: String,
        found: String,
    },
    #[error("{table} is append-only: {operation} refused")]
    AppendOnly { table: String, operation: String },
    #[error("database {path} is locked by another process (waited {waited_ms} ms)")]
    Locked { path: String, waited_ms: u64 },
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("store error during {operation}: {message}")]
    Backend { operation: String, message: String },
}

impl StoreError {
    pub fn backend(operation: impl Into<String>, message: impl ToString) -> Self {
        StoreError::Backend {
            operation: operation.into(),
            message: message.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ledgers, migrations, runs, files
// ---------------------------------------------------------------------------------------------

/// One ledger = one pemda. `code` keys every table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerInfo {
    /// Short stable code, e.g. `kota-serang` or the Kemendagri region code `36.73`.
    pub code: String,
    pub name: String,
}

/// Checks a ledger code: 1..=[`MAX_LEDGER_CODE`] characters of `A-Z a-z 0-9 . _ -`.
pub fn validate_ledger_code(code: &str) -> Result<(), StoreError> {
    let ok = !code.is_empty()
        && code.len() <= MAX_LEDGER_CODE
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidLedgerCode {
            found: code.to_string(),
        })
    }
}

/// One schema migration. Memory stores have none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationInfo {
    pub version: u32,
    /// File name, e.g. `0001_init.sql`.
    pub name: String,
    /// sha256 of the migration text, hex.
    pub checksum: String,
    /// When it was applied; `None` for a pending migration in [`Store::migration_status`].
    pub applied_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A file import ([`Store::import_file`]).
    Import,
    /// A reconciliation run appending matches and recording findings.
    Reconcile,
    /// An approved maker-checker proposal.
    Manual,
    /// A period close.
    Close,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Import => "import",
            RunKind::Reconcile => "reconcile",
            RunKind::Manual => "manual",
            RunKind::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<RunKind> {
        [
            RunKind::Import,
            RunKind::Reconcile,
            RunKind::Manual,
            RunKind::Close,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Who does what, handed to the store; the store numbers it and stamps the time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub kind: RunKind,
    /// User or service account.
    pub actor: String,
    /// Free-form, store-neutral details (matcher version, parameters, proposal id…).
    pub details: serde_json::Value,
}

impl RunInfo {
    pub fn new(kind: RunKind, actor: impl Into<String>) -> Self {
        RunInfo {
            kind,
            actor: actor.into(),
            details: serde_json::Value::Null,
        }
    }
}

/// A run as recorded. `run_id` is 1-based per ledger, increasing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: i64,
    pub kind: RunKind,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub details: serde_json::Value,
}

/// The imported file, identified by its sha256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// File name as given (no directories needed).
    pub name: String,
    /// sha256 of the file bytes, lower-case hex (64 characters).
    pub sha256: String,
    pub size_bytes: u64,
    /// Reader format id: `camt.053`, `mt940`, `csv:<profile>`, `snap`, `receipts-csv`, …
    pub format: String,
    pub imported_by: String,
}

/// A file as recorded, with the run that imported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub file: SourceFile,
    pub run_id: i64,
    pub imported_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Import batches
// ---------------------------------------------------------------------------------------------

/// Everything one file contributes, built by [`build_import_batch`] / [`build_document_batch`].
/// A store writes all of it in one transaction or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub file: SourceFile,
    pub statements: Vec<StatementRecord>,
    pub documents: Vec<DocumentRecord>,
}

/// Header facts of one statement (camt Stmt/Rpt/Ntfctn, one MT940 message, one CSV export),
/// kept for continuity checks (sequence numbers, opening = previous closing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementHeader {
    /// Account key ([`kasda_core::statement::AccountId::key`]): IBAN or local number.
    pub account: String,
    pub kind: StatementKind,
    pub statement_id: Option<String>,
    pub electronic_seq: Option<String>,
    pub legal_seq: Option<String>,
    pub page: Option<u32>,
    pub last_page: Option<bool>,
    pub created_at: Option<NaiveDateTime>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub currency: Currency,
    pub opening: Option<Balance>,
    pub closing: Option<Balance>,
    /// Every balance the statement carries, as read.
    pub balances: Vec<Balance>,
    pub totals: Option<ControlTotals>,
    /// Number of entries the statement carries (booked, pending and info).
    pub line_count: u32,
    pub pos: SourcePos,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementRecord {
    /// 0-based index of the statement within its file.
    pub index: u32,
    pub header: StatementHeader,
    pub lines: Vec<LineRecord>,
}

/// What reconciliation needs to know about one statement line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineFacts {
    /// Idempotency key (see [`kasda_core::posting::statement_line_key`]), with `:pending` or
    /// `:info` appended for lines that are not booked; unique per ledger.
    pub natural_key: String,
    pub account: String,
    /// Index of the statement within the file.
    pub statement_index: u32,
    pub pos: SourcePos,
    /// Booking date; falls back to the value date, then the statement date, when the bank
    /// sends none (pending lines).
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub booked_at: Option<NaiveDateTime>,
    /// Non-negative.
    pub amount: Decimal,
    pub currency: Currency,
    pub direction: Direction,
    pub status: EntryStatus,
    pub reversal: bool,
    /// The bank's own reference (account-servicer reference, else entry reference, else
    /// end-to-end id, else transaction id).
    pub bank_ref: Option<String>,
    pub refs: References,
    /// Bank transaction code, `domain/family/sub-family` or the proprietary code.
    pub bank_tx_code: Option<String>,
    pub counterparty: Party,
    /// Every free text of the line joined by ` | `, at most [`MAX_LINE_TEXT`] bytes.
    pub text: String,
    pub balance_after: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRecord {
    pub facts: LineFacts,
    /// The line's journal entry (booked lines only), natural key = the line's natural key.
    pub entry: Option<JournalEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Receipt,
    Sts,
    Sp2d,
    Bku,
}

impl DocKind {
    pub fn of(d: &Document) -> DocKind {
        match d {
            Document::Receipt(_) => DocKind::Receipt,
            Document::Sts(_) => DocKind::Sts,
            Document::Sp2d(_) => DocKind::Sp2d,
            Document::Bku(_) => DocKind::Bku,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Receipt => "receipt",
            DocKind::Sts => "sts",
            DocKind::Sp2d => "sp2d",
            DocKind::Bku => "bku",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        [DocKind::Receipt, DocKind::Sts, DocKind::Sp2d, DocKind::Bku]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// 1-based row (or line) of the document in its file.
    pub row: u32,
    /// [`Document::natural_key`]; unique per ledger.
    pub natural_key: String,
    /// The date the document is filed under ([`kasda_core::posting::document_date`]).
    pub date: NaiveDate,
    pub document: Document,
    /// Its journal entry (receipts, STS, SP2D; BKU lines have none), natural key = the
    /// document's natural key.
    pub entry: Option<JournalEntry>,
}

/// Counts of one import. When the file was already imported, everything is zero,
/// `file_already_imported` is true and `run_id` is the run that imported it the first time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub run_id: i64,
    pub file_already_imported: bool,
    pub statements_new: u64,
    pub lines_new: u64,
    pub lines_duplicate: u64,
    pub documents_new: u64,
    pub documents_duplicate: u64,
    pub entries_appended: u64,
    /// Entries skipped because an entry with the same natural key already exists.
    pub entries_duplicate: u64,
    /// Sequence numbers of the first and last entry appended.
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Stored facts
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredStatement {
    pub file_sha256: String,
    pub file_name: String,
    pub run_id: i64,
    pub index: u32,
    pub header: StatementHeader,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLine {
    pub file_sha256: String,
    pub run_id: i64,
    pub recorded_at: DateTime<Utc>,
    pub facts: LineFacts,
    /// Sequence number of the line's entry, when it was posted.
    pub entry_seq: Option<i64>,
}

/// A statement line as reconciliation reads it ([`Store::each_recon_line`]): the facts its
/// rules and findings use and nothing else — no run, recording time, entry, currency, booking
/// time, bank transaction code, balance, and no references apart from the bank's own (`text`
/// holds every free text of the line, references and counterparty name included). The values
/// many lines repeat (account, file) are lent for the call, so a reader that shares them
/// copies nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconLine<'a> {
    pub natural_key: String,
    pub account: &'a str,
    /// The file the line was read from, and the statement's index within it.
    pub file_sha256: &'a str,
    pub statement_index: u32,
    /// Position of the line within its statement ([`SourcePos::index`]).
    pub index: u32,
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// Non-negative.
    pub amount: Decimal,
    pub direction: Direction,
    pub status: EntryStatus,
    pub reversal: bool,
    pub bank_ref: Option<String>,
    /// The counterparty's account number, else its IBAN.
    pub counterparty: Option<String>,
    pub counterparty_name: Option<String>,
    /// [`LineFacts::text`].
    pub text: String,
}

impl ReconLine<'_> {
    /// Hands `line` to `each` as reconciliation reads it: what a store without a narrower read
    /// of its own gives.
    pub fn from_stored(
        line: StoredLine,
        each: &mut dyn FnMut(ReconLine<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let StoredLine {
            file_sha256, facts, ..
        } = line;
        let LineFacts {
            natural_key,
            account,
            statement_index,
            pos,
            booking_date,
            value_date,
            amount,
            direction,
            status,
            reversal,
            bank_ref,
            counterparty,
            text,
            ..
        } = facts;
        each(ReconLine {
            natural_key,
            account: &account,
            file_sha256: &file_sha256,
            statement_index,
            index: pos.index,
            booking_date,
            value_date,
            amount,
            direction,
            status,
            reversal,
            bank_ref,
            counterparty: counterparty.account.or(counterparty.iban),
            counterparty_name: counterparty.name,
            text,
        })
    }
}

/// A receipt as reconciliation reads it ([`Store::each_recon_receipt`]): the fields of
/// [`kasda_core::document::Receipt`] its rules and findings use. The NPWPD, the taxpayer's name,
/// the pokok/denda split and the OPD are not read. Deserialises from a stored receipt's JSON
/// (the other fields are skipped without being kept).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ReconReceipt {
    pub ntpd: String,
    pub kode_billing: Option<String>,
    pub ntb: Option<String>,
    pub nop: Option<String>,
    pub jenis_pajak: Option<String>,
    pub lines: Vec<kasda_core::document::RevenueLine>,
    pub masa_pajak: Option<u32>,
    pub tahun_pajak: Option<i32>,
    pub total: Decimal,
    pub channel: kasda_core::document::Channel,
    pub bank: Option<String>,
    pub account: Option<String>,
    pub paid_at: DateTime<Utc>,
    pub paid_zone: Option<String>,
    pub settlement_date: Option<NaiveDate>,
    pub status: kasda_core::document::ReceiptStatus,
    pub reverses_ntpd: Option<String>,
}

impl From<kasda_core::document::Receipt> for ReconReceipt {
    fn from(r: kasda_core::document::Receipt) -> Self {
        ReconReceipt {
            ntpd: r.ntpd,
            kode_billing: r.kode_billing,
            ntb: r.ntb,
            nop: r.nop,
            jenis_pajak: r.jenis_pajak,
            lines: r.lines,
            masa_pajak: r.masa_pajak,
            tahun_pajak: r.tahun_pajak,
            total: r.total,
            channel: r.channel,
            bank: r.bank,
            account: r.account,
            paid_at: r.paid_at,
            paid_zone: r.paid_zone,
            settlement_date: r.settlement_date,
            status: r.status,
            reverses_ntpd: r.reverses_ntpd,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDocument {
    pub file_sha256: String,
    pub run_id: i64,
    pub recorded_at: DateTime<Utc>,
    pub row: u32,
    pub natural_key: String,
    pub kind: DocKind,
    pub date: NaiveDate,
    pub document: Document,
    pub entry_seq: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateKind {
    Line,
    Document,
}

/// Evidence of a fact that arrived again under a natural key already stored: an overlapping
/// statement, a re-sent receipt file, or a *different* record reusing an NTPD (then
/// `same_content` is false and reconciliation flags `duplicate_receipt`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRecord {
    pub kind: DuplicateKind,
    pub natural_key: String,
    /// File that carried the duplicate.
    pub file_sha256: String,
    /// `line:index` of a statement line, `row N` of a document.
    pub pos: String,
    pub run_id: i64,
    pub recorded_at: DateTime<Utc>,
    /// File holding the first (stored) occurrence.
    pub first_file_sha256: String,
    /// Whether the duplicate equals the stored fact. For lines: same facts except position,
    /// statement index and free text; for documents: equal [`Document`].
    pub same_content: bool,
    /// The duplicate document as received (documents only), kept as evidence.
    pub document: Option<Document>,
}

// ---------------------------------------------------------------------------------------------
// Entries, balances
// ---------------------------------------------------------------------------------------------

/// An entry to append plus the natural keys of the facts it joins (the receipts and the
/// statement line a match clears, say). Joins are what [`Store::trail`] walks; they are kept
/// beside the entry, outside the hash chain (the entry's natural key and memo, which are hashed,
/// name the match too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    pub entry: JournalEntry,
    pub joins: Vec<String>,
}

impl From<JournalEntry> for NewEntry {
    fn from(entry: JournalEntry) -> Self {
        NewEntry {
            entry,
            joins: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendOutcome {
    pub run_id: i64,
    /// Sequence numbers given to the new entries, in input order.
    pub appended: Vec<i64>,
    /// Natural keys skipped because they were already in the ledger (or earlier in the call).
    pub duplicates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBalance {
    pub account: AccountKey,
    /// Debit-positive.
    pub balance: Decimal,
}

/// Movements of one account on one booking day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayMovement {
    pub day: NaiveDate,
    pub debits: Decimal,
    pub credits: Decimal,
    /// Debit-positive balance at the end of the day (all earlier days included).
    pub closing: Decimal,
}

/// What entries of one kind did to one account on one booking day: see [`Store::account_flows`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountFlow {
    pub account: AccountKey,
    pub day: NaiveDate,
    pub entry_kind: EntryKind,
    /// Σ of each entry's net effect on the account where that effect is a debit (positive).
    pub debits: Decimal,
    /// Σ of each entry's net effect on the account where that effect is a credit, shown
    /// positive.
    pub credits: Decimal,
}

/// One line of an account's cash book (BKU): an entry posting to the account, narrowed to what
/// the book shows. See [`Store::book_lines`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookLine {
    pub seq: i64,
    pub kind: EntryKind,
    pub booked_on: NaiveDate,
    pub natural_key: String,
    pub memo: String,
    /// The entry's debit-positive effect on the account (Σ over its postings to it).
    pub effect: Decimal,
    /// Qualifiers of the accounts of the asked kinds the entry posts to, one per such posting,
    /// in posting order.
    pub kode: Vec<String>,
    /// The natural keys the entry joins, in join order; then, for a statement line, the keys
    /// joined by each entry known at the cut-off that joins the line's natural key, in (seq,
    /// join order).
    pub documents: Vec<String>,
}

/// A fact still open on a clearing account: see [`Store::open_items`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    pub seq: i64,
    pub natural_key: String,
    pub booked_on: NaiveDate,
    pub memo: String,
    /// The entry's debit-positive effect on the account (Σ over its postings to it).
    pub effect: Decimal,
}

/// An entry that joins a natural key, narrowed to what a report asks of it: see
/// [`Store::joining_entries`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoiningEntry {
    /// The joined natural key.
    pub key: String,
    pub seq: i64,
    pub booked_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    Resolved,
    /// Accepted as explained (e.g. a legitimate reconciling item) by a user.
    Dismissed,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Resolved => "resolved",
            FindingStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<FindingStatus> {
        [
            FindingStatus::Open,
            FindingStatus::Resolved,
            FindingStatus::Dismissed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A finding as a reconciliation run reports it. `id` is stable across runs (derived from the
/// rule and the facts), so the store can tell a new finding from one seen before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingInput {
    pub id: String,
    /// Rule id, e.g. `unremitted_receipt`, `duplicate_receipt`, `debit_without_sp2d`.
    pub rule: String,
    /// `info`, `low`, `medium`, `high`, `critical`.
    pub severity: String,
    pub status: FindingStatus,
    pub summary: String,
    pub amount: Option<Decimal>,
    /// The date the finding is about (the business date it was detected for).
    pub as_of: NaiveDate,
    /// Evidence: natural keys, entry seqs, amounts, rule parameters.
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingEvent {
    pub run_id: i64,
    pub at: DateTime<Utc>,
    pub status: FindingStatus,
}

/// A finding as stored: the content first reported, the latest status, and every status
/// change as an appended event. Re-reporting a finding with an unchanged status adds nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRecord {
    pub finding: FindingInput,
    pub first_seen_at: DateTime<Utc>,
    pub first_seen_run: i64,
    /// Status after the latest event; `finding.status` is the status first reported.
    pub status: FindingStatus,
    /// Every status event in order, the first report included.
    pub events: Vec<FindingEvent>,
}

// ---------------------------------------------------------------------------------------------
// Maker-checker
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    ManualMatch,
    WriteOff,
    Correction,
    /// The agreed opening balance (saldo awal) of one kas account: exactly one entry built by
    /// `kasda_core::posting::opening_balance`. See [`opening_balance_claim`].
    OpeningBalance,
}

impl ProposalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::ManualMatch => "manual_match",
            ProposalKind::WriteOff => "write_off",
            ProposalKind::Correction => "correction",
            ProposalKind::OpeningBalance => "opening_balance",
        }
    }

    pub fn parse(s: &str) -> Option<ProposalKind> {
        [
            ProposalKind::ManualMatch,
            ProposalKind::WriteOff,
            ProposalKind::Correction,
            ProposalKind::OpeningBalance,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The kas account an opening-balance proposal books, and its entry's natural key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningBalanceClaim {
    pub account: AccountKey,
    pub natural_key: String,
    /// Debit-positive effect on the kas account.
    pub amount: Decimal,
}

/// Checks the shape rule of opening balances, the same in every store, before any store-specific
/// check: a proposal of kind [`ProposalKind::OpeningBalance`] carries exactly one entry, of the
/// shape `kasda_core::posting::opening_balance` builds (see
/// `kasda_core::posting::opening_balance_parts`), and no other proposal carries an
/// opening-balance entry. Returns the claim of an opening-balance proposal, `None` for the
/// other kinds. The store then refuses the proposal (at propose and at approve time, with
/// [`StoreError::OpeningBalanceExists`]) when the account already has an opening balance that
/// is approved and not reversed, or another open opening-balance proposal.
pub fn opening_balance_claim(
    kind: ProposalKind,
    entries: &[NewEntry],
) -> Result<Option<OpeningBalanceClaim>, StoreError> {
    let opening_entries = entries
        .iter()
        .filter(|n| n.entry.kind == EntryKind::OpeningBalance)
        .count();
    if kind != ProposalKind::OpeningBalance {
        if opening_entries > 0 {
            return Err(StoreError::InvalidInput {
                field: "proposal entries".into(),
                expected: format!(
                    "no opening_balance entry in a {} proposal (an opening balance is proposed on its own, as kind opening_balance)",
                    kind.as_str()
                ),
                found: format!("{opening_entries} opening_balance entries"),
            });
        }
        return Ok(None);
    }
    let [only] = entries else {
        return Err(StoreError::InvalidInput {
            field: "opening_balance proposal entries".into(),
            expected: "exactly one opening_balance entry".into(),
            found: format!("{} entries", entries.len()),
        });
    };
    let (account, amount) =
        kasda_core::posting::opening_balance_parts(&only.entry).ok_or_else(|| {
            StoreError::InvalidInput {
                field: format!("opening_balance proposal entry {:?}", only.entry.natural_key),
                expected: "an opening_balance entry: Dr/Cr one kas-daerah or kas-penampungan account against saldo-awal-kas of the same number, natural key opening_balance:<account>:<n>".into(),
                found: format!(
                    "kind {} with postings to {}",
                    only.entry.kind.as_str(),
                    only.entry
                        .postings
                        .iter()
                        .map(|p| p.account.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        })?;
    Ok(Some(OpeningBalanceClaim {
        account,
        natural_key: only.entry.natural_key.clone(),
        amount,
    }))
}

impl OpeningBalanceClaim {
    /// Refusal: entry `seq`, an opening balance of the account booked on `booked_on`, is approved
    /// and not reversed.
    pub fn refuse_booked(&self, seq: i64, booked_on: NaiveDate) -> StoreError {
        StoreError::OpeningBalanceExists {
            account: self.account.to_string(),
            existing: format!(
                "entry {seq} (booked on {booked_on}) already books it and is not reversed"
            ),
        }
    }

    /// Refusal: the claim's natural key is already entry `seq` (a reversed opening balance keeps
    /// its key; the next one counts one further).
    pub fn refuse_key_taken(&self, seq: i64) -> StoreError {
        StoreError::OpeningBalanceExists {
            account: self.account.to_string(),
            existing: format!(
                "its natural key {} is already entry {seq}; propose it with the next occurrence",
                self.natural_key
            ),
        }
    }

    /// Refusal: proposal `id` by `proposer`, an opening balance of the same account, is open.
    pub fn refuse_open(&self, id: i64, proposer: &str) -> StoreError {
        StoreError::OpeningBalanceExists {
            account: self.account.to_string(),
            existing: format!(
                "proposal {id} by {proposer:?} already proposes one and is open (approve or reject it first)"
            ),
        }
    }
}

/// Whether an entry of `kind` keyed `natural_key` can be a fact of `account` in
/// [`Store::open_items`]: opening balances only under the account's opening-balance keys.
pub(crate) fn open_item_key_fits(kind: EntryKind, account: &AccountKey, natural_key: &str) -> bool {
    if kind != EntryKind::OpeningBalance {
        return true;
    }
    let (lo, hi) = opening_balance_key_range(account);
    natural_key >= lo.as_str() && natural_key < hi.as_str()
}

/// The range of natural keys of every opening-balance entry of `account`:
/// `opening_balance:<account>:` inclusive to `opening_balance:<account>;` exclusive (`;` follows
/// `:`), for an index range scan.
pub fn opening_balance_key_range(account: &AccountKey) -> (String, String) {
    (
        format!("opening_balance:{account}:"),
        format!("opening_balance:{account};"),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProposal {
    pub kind: ProposalKind,
    pub reason: String,
    pub proposed_by: String,
    pub entries: Vec<NewEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ProposalStatus {
    Open,
    Approved {
        by: String,
        at: DateTime<Utc>,
        run_id: i64,
    },
    Rejected {
        by: String,
        at: DateTime<Utc>,
        reason: String,
    },
}

impl ProposalStatus {
    pub fn label(&self) -> &'static str {
        match self {
            ProposalStatus::Open => "open",
            ProposalStatus::Approved { .. } => "approved",
            ProposalStatus::Rejected { .. } => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// 1-based per ledger.
    pub id: i64,
    pub kind: ProposalKind,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub entries: Vec<NewEntry>,
    pub status: ProposalStatus,
}

// ---------------------------------------------------------------------------------------------
// Trail
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum TrailQuery {
    /// Start from one entry.
    Entry { seq: i64 },
    /// Start from every entry whose natural key or memo contains the text, and every entry of a
    /// line or document whose key or content contains it (NTPD, NTB, kode billing, NOP, SP2D or
    /// STS number, bank reference). Case-insensitive, at most [`MAX_REFERENCE_QUERY`] bytes.
    Reference { text: String },
    /// Start from every entry posting to the account booked within the dates (inclusive).
    Account {
        account: AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    },
}

/// Why an entry is in a trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "relation", content = "of")]
pub enum TrailRelation {
    /// Matched the query.
    Origin,
    /// Reverses the entry with this seq, which is in the trail.
    Reverses(i64),
    /// Is reversed by the entry with this seq, which is in the trail.
    ReversedBy(i64),
    /// Joins (clears) the fact with this natural key, whose entry is in the trail.
    Joins(String),
    /// Is the fact joined by the entry with this seq, which is in the trail.
    JoinedBy(i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailStep {
    pub entry: StoredEntry,
    pub joins: Vec<String>,
    /// How the walk reached this entry (first reason found).
    pub relation: TrailRelation,
    /// The source file, for entries that came from one.
    pub file: Option<StoredFile>,
    /// The run that wrote the entry (who, when).
    pub run: Option<RunRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    pub query: TrailQuery,
    /// Entries in sequence order.
    pub steps: Vec<TrailStep>,
    /// The statement lines behind the steps' entries and, for a reference query, every line
    /// that matched it, posted or not (a pending line has no entry).
    pub lines: Vec<StoredLine>,
    /// The documents behind the steps' entries and, for a reference query, every document
    /// that matched it (a BKU line has no entry).
    pub documents: Vec<StoredDocument>,
    /// Duplicates received for any of those facts.
    pub duplicates: Vec<DuplicateRecord>,
    /// True when the walk stopped at [`MAX_TRAIL_STEPS`].
    pub truncated: bool,
}

/// Whether an entry records a match: its kind, or a natural key written by
/// `kasda_core::posting::match_key` (`match:<rule>:…`, also on sweep, jasa giro and bank charge
/// entries). What [`Store::match_entry_keys`] returns.
pub fn is_match_entry(entry: &JournalEntry) -> bool {
    entry.kind == EntryKind::Match || entry.natural_key.starts_with("match:")
}

// ---------------------------------------------------------------------------------------------
// The trait
// ---------------------------------------------------------------------------------------------

/// Where [`Store::append_entries_from`]'s producer hands each entry to append.
pub type EntrySink<'s> = &'s mut dyn FnMut(NewEntry) -> Result<(), StoreError>;

/// A kasda ledger store. See the crate docs for the guarantees; [`conformance`] checks them.
///
/// Every method that takes `ledger` fails with [`StoreError::UnknownLedger`] when the ledger was
/// not created with [`Store::ensure_ledger`]. Lists come back in a defined order (stated per
/// method) so that all stores return the same answers for the same data.
///
/// **Time.** The store stamps `recorded_at`, `started_at`, `imported_at`… from its own clock
/// (UTC, truncated to whole microseconds), never from the caller, and never lets a ledger's
/// `recorded_at` go backwards (it uses the later of the clock and the last stamp).
pub trait Store {
    /// Applies pending schema migrations in order and returns the ones applied now. A migration
    /// that was applied with a different checksum is an error
    /// ([`StoreError::MigrationChanged`]) and nothing is applied.
    fn migrate(&mut self) -> Result<Vec<MigrationInfo>, StoreError>;

    /// Every known migration, applied (with `applied_at`) or pending.
    fn migration_status(&mut self) -> Result<Vec<MigrationInfo>, StoreError>;

    /// Creates the ledger if missing. Idempotent for the same name; a different name for an
    /// existing code is [`StoreError::LedgerNameConflict`]. Validates the code
    /// ([`validate_ledger_code`]).
    fn ensure_ledger(&mut self, ledger: &LedgerInfo) -> Result<(), StoreError>;

    /// Every ledger, ordered by code.
    fn ledgers(&mut self) -> Result<Vec<LedgerInfo>, StoreError>;

    /// Imports one file in ONE transaction: records a run (kind import, actor
    /// `file.imported_by`), the file, its statements, lines, documents and entries.
    ///
    /// * A file whose sha256 is already recorded for the ledger adds nothing:
    ///   `file_already_imported = true`, counts zero, `run_id` of the first import.
    /// * A line or document whose natural key is already stored (by an earlier file or earlier
    ///   in this batch) is not stored again; it is counted as duplicate and a
    ///   [`DuplicateRecord`] is appended; its entry is skipped.
    /// * An entry whose natural key is already in the ledger is skipped and counted.
    /// * The batch is checked first ([`check_batch_limits`]: sizes, sha256 form, text limits,
    ///   each fact's entry carrying the fact's natural key).
    /// * Entries are validated; any invalid entry, a booking date inside a closed period or a
    ///   limit exceeded fails the whole import and nothing is written.
    /// * Entries are appended in batch order: all statement lines (statement by statement),
    ///   then all documents. Entries get `source_sha256 = file.sha256`.
    fn import_file(
        &mut self,
        ledger: &str,
        batch: ImportBatch,
    ) -> Result<ImportOutcome, StoreError>;

    /// Appends derived entries (matches, fees, sweeps, reversals) in one transaction under a
    /// new run. Idempotent by natural key: already present keys are skipped and reported.
    /// Entries are validated; `reverses` must name an existing entry; closed periods refuse.
    /// `source_sha256` is `None` for these entries. An empty call still records the run.
    fn append_entries(
        &mut self,
        ledger: &str,
        run: RunInfo,
        entries: Vec<NewEntry>,
    ) -> Result<AppendOutcome, StoreError>;

    /// [`Store::append_entries`] with the entries made while the store writes them: `fill` is
    /// called once, inside the append, with a sink; every entry it hands the sink is appended
    /// in order under the one new run exactly as [`Store::append_entries`] would append the
    /// same list (validation, idempotency by natural key, limits, closed periods, outcome), so a
    /// caller producing many entries (reconciliation's matches) never holds them all. An error
    /// from `fill` or from the sink fails the whole call and nothing is written. The default
    /// collects the entries and calls [`Store::append_entries`]; a store may write each entry
    /// as it arrives.
    fn append_entries_from(
        &mut self,
        ledger: &str,
        run: RunInfo,
        fill: &mut dyn FnMut(EntrySink<'_>) -> Result<(), StoreError>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut entries = Vec::new();
        fill(&mut |e| {
            entries.push(e);
            Ok(())
        })?;
        self.append_entries(ledger, run, entries)
    }

    /// Debit-positive balance of one account: Σ debits − Σ credits of postings with
    /// `booked_on ≤ as_of` (all dates if `None`) and `recorded_at ≤ known_at` (everything if
    /// `None`). Zero for an account never posted to.
    ///
    /// Stores keep a per-(ledger, account, booking day) aggregate maintained on append, with the
    /// recording time of each delta, so that a balance reads that aggregate and never scans all
    /// postings; the memory oracle may compute it from postings.
    fn balance(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Decimal, StoreError>;

    /// Balances of every account (of `kind`, when given) that has at least one posting within
    /// the same filters as [`Store::balance`], zero balances included, ordered by the account
    /// key's text (`kind/qualifier`, byte order).
    fn balances(
        &mut self,
        ledger: &str,
        kind: Option<AccountKind>,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountBalance>, StoreError>;

    /// Per booking day in `from..=to` on which the account moved: debits, credits and the
    /// closing balance (which includes every day before `from`). Ordered by day.
    fn day_movements(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayMovement>, StoreError>;

    /// One aggregate read over a period: per (account, booking day, entry kind), for accounts of
    /// `kinds` (every kind when empty), the net effect of each entry booked within `from..=to`
    /// and recorded at or before `known_at` (everything when `None`), split by its sign: an
    /// entry's debits minus credits to the account (per currency) adds to `debits` when positive
    /// and to `credits` when negative. Only combinations with at least one such entry are
    /// returned, ordered by the account key's text (byte order), then day, then the entry kind's
    /// text. Reports use it instead of reading entries account by account.
    fn account_flows(
        &mut self,
        ledger: &str,
        kinds: &[AccountKind],
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountFlow>, StoreError>;

    /// [`Store::account_flows`] of one account: the same rows, for `account` only. The default
    /// filters [`Store::account_flows`]; stores read the account's own postings instead, so the
    /// cost follows the account's history, not the ledger's.
    fn account_flows_of(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountFlow>, StoreError> {
        let mut flows = self.account_flows(ledger, &[account.kind()], from, to, known_at)?;
        flows.retain(|f| &f.account == account);
        Ok(flows)
    }

    /// The facts of `kind` posted to `account` that are still open at the end of `as_of` as known
    /// at `known_at` (everything recorded when `None`): entries of that kind posting to the
    /// account, booked on or before `as_of` and recorded by `known_at`, that
    ///
    /// * no entry recorded by `known_at` and booked on or before `as_of` joins (its natural key
    ///   is among that entry's joins), and
    /// * no entry recorded by `known_at`, booked on or before `as_of` and posting to the account
    ///   reverses.
    ///
    /// Opening balances ([`EntryKind::OpeningBalance`]) are the entries under the account's
    /// opening-balance keys ([`opening_balance_key_range`], the rule the stores identify an
    /// account's opening balances by), read by those keys rather than by walking every posting
    /// the kas account ever had.
    ///
    /// Ordered by (booking date, seq). What the BAR lists as reconciling items. The default is
    /// written over [`Store::account_entries`] and the join lookups ([`open_items_by_lookups`]);
    /// stores answer it with one query over the account's postings.
    fn open_items(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        kind: EntryKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<OpenItem>, StoreError> {
        open_items_by_lookups(self, ledger, account, kind, as_of, known_at)
    }

    /// The cash book of `account` over `from..=to`: every entry posting to it booked within the
    /// period and recorded at or before `known_at` (everything when `None`), ordered by
    /// (booking date, seq), with its effect on the account, the qualifiers of its postings to
    /// accounts of `kode_kinds`, and the document keys behind it (its own joins and, for a
    /// statement line, the joins of the entries known at the cut-off that clear it). What a BKU
    /// lists. The default is written over [`Store::account_entries`] and the join lookups
    /// ([`book_lines_by_lookups`]); stores answer it with one read of the account's postings in
    /// the period, without building whole entries.
    fn book_lines(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
        kode_kinds: &[AccountKind],
    ) -> Result<Vec<BookLine>, StoreError> {
        book_lines_by_lookups(self, ledger, account, from, to, known_at, kode_kinds)
    }

    /// For each of `keys` (at most [`MAX_KEYS_PER_LOOKUP`]), the entries that join it, with
    /// their booking date and recording time only (no postings), ordered by (key, seq). What
    /// a report needs to tell whether a fact was cleared by a date and cut-off. The default is
    /// written over the lookups ([`joining_entries_by_lookups`]); stores answer it with one
    /// read of the joins by key.
    fn joining_entries(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<JoiningEntry>, StoreError> {
        joining_entries_by_lookups(self, ledger, keys)
    }

    /// Documents of `kind` dated on or before `as_of` that posted an entry, recorded by
    /// `known_at` (everything recorded when `None`), whose natural key no entry booked on or
    /// before `as_of` and recorded by `known_at` joins: the deposits still in transit at a
    /// date (the BAR's STS), in [`Store::documents`] order. The default is written over
    /// [`Store::documents`] and [`Store::joining_entries`] ([`open_documents_by_lookups`]);
    /// stores answer it with one query, so only the open documents are decoded.
    fn open_documents(
        &mut self,
        ledger: &str,
        kind: DocKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        open_documents_by_lookups(self, ledger, kind, as_of, known_at)
    }

    /// Entries with `seq > after_seq`, in seq order, at most `limit` (clamped to [`MAX_PAGE`]).
    fn entries(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, StoreError>;

    /// Entries with these seqs (unknown ones are left out), in seq order.
    fn entries_by_seq(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<StoredEntry>, StoreError>;

    /// Entries with these natural keys (unknown ones are left out), in seq order.
    fn entries_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredEntry>, StoreError>;

    /// Entries with a posting to `account` booked within `from..=to`, in seq order.
    fn account_entries(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredEntry>, StoreError>;

    /// `(seq, joined natural key)` recorded for these entries, ordered by seq then the order
    /// the keys were given.
    fn entry_joins(&mut self, ledger: &str, seqs: &[i64])
        -> Result<Vec<(i64, String)>, StoreError>;

    /// Seqs of entries that join any of these natural keys, ascending, no repeats.
    fn entries_joining(&mut self, ledger: &str, keys: &[String]) -> Result<Vec<i64>, StoreError>;

    /// Seqs of entries whose `reverses` is one of these seqs, ascending.
    fn entries_reversing(&mut self, ledger: &str, seqs: &[i64]) -> Result<Vec<i64>, StoreError>;

    /// `(seq, natural key)` of the match entries (kind [`EntryKind::Match`], or a natural key
    /// starting `match:`) with `seq > after_seq`, in seq order, at most `limit` (clamped to
    /// [`MAX_PAGE`]). Reconciliation reads these to honour the ledger's existing matches. The
    /// default pages through [`Store::entries`]; a store answers from its own tables without
    /// reading the other entries or any posting.
    fn match_entry_keys(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let limit = limit.min(MAX_PAGE);
        let mut out = Vec::new();
        let mut after = after_seq;
        while out.len() < limit {
            let page = self.entries(ledger, after, MAX_PAGE)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in page {
                if is_match_entry(&e.entry) {
                    out.push((e.seq, e.entry.natural_key));
                    if out.len() == limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Natural keys of entries, lines and documents matching a reference search (see
    /// [`TrailQuery::Reference`]): entry natural key or memo, line natural key or
    /// [`LineFacts::text`], document natural key or its `serde_json::to_string` text contains
    /// `text`, ASCII case-insensitively. Sorted, no repeats, at most `limit`.
    fn search_keys(
        &mut self,
        ledger: &str,
        text: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// Recomputes the hash chain. The default pages through [`Store::entries`].
    fn verify(&mut self, ledger: &str) -> Result<VerifyReport, StoreError> {
        let mut verifier = ChainVerifier::new(ledger);
        let mut after = 0;
        loop {
            let page = self.entries(ledger, after, MAX_PAGE)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                verifier.push(e);
            }
        }
        Ok(verifier.finish())
    }

    /// Walks from the query to everything related: each entry's source file and run, the
    /// entries it reverses or that reverse it, the facts it joins and the entries that join it —
    /// transitively, at most [`MAX_TRAIL_STEPS`] entries. The default is written over the
    /// lookup methods above so every store answers identically.
    fn trail(&mut self, ledger: &str, query: &TrailQuery) -> Result<Trail, StoreError> {
        walk_trail(self, ledger, query)
    }

    /// Statements, ordered by (account, file import run, index); of one account when given.
    fn statements(
        &mut self,
        ledger: &str,
        account: Option<&str>,
    ) -> Result<Vec<StoredStatement>, StoreError>;

    /// Statement lines booked within `from..=to` (of one account when given), ordered by
    /// (booking date, account, file import run, statement index, pos.index).
    fn statement_lines(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredLine>, StoreError>;

    /// Lines with these natural keys, ordered as [`Store::statement_lines`].
    fn lines_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredLine>, StoreError>;

    /// Documents (of `kind`, when given) dated within the bounds (inclusive, open when `None`),
    /// ordered by (date, kind, natural key).
    fn documents(
        &mut self,
        ledger: &str,
        kind: Option<DocKind>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<StoredDocument>, StoreError>;

    /// [`Store::statement_lines`] handed to `each` one at a time, in the same order, so a reader
    /// that keeps only part of each line (reconciliation's loader) never holds the period's
    /// lines as full rows at once. Stops at the first error `each` returns and returns it. The
    /// default reads [`Store::statement_lines`]; stores hand out the rows of one query as they
    /// come.
    fn each_statement_line(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        each: &mut dyn FnMut(StoredLine) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for line in self.statement_lines(ledger, account, from, to)? {
            each(line)?;
        }
        Ok(())
    }

    /// The documents of `kind` that [`Store::documents`] returns for these bounds, handed to
    /// `each` one at a time in the same order (date, then natural key), as
    /// [`Store::each_statement_line`] does for lines. The default reads [`Store::documents`];
    /// stores hand out the rows of one query as they come.
    fn each_document(
        &mut self,
        ledger: &str,
        kind: DocKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        each: &mut dyn FnMut(StoredDocument) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for doc in self.documents(ledger, Some(kind), from, to)? {
            each(doc)?;
        }
        Ok(())
    }

    /// The lines [`Store::each_statement_line`] hands out for the period (every account), as
    /// reconciliation reads them ([`ReconLine`]), in the same order. The default converts
    /// [`Store::each_statement_line`]'s rows; a store may read only the columns it needs.
    fn each_recon_line(
        &mut self,
        ledger: &str,
        from: NaiveDate,
        to: NaiveDate,
        each: &mut dyn FnMut(ReconLine<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.each_statement_line(ledger, None, from, to, &mut |line| {
            ReconLine::from_stored(line, each)
        })
    }

    /// The receipts [`Store::each_document`] hands out for these bounds, each with its natural
    /// key, as reconciliation reads them ([`ReconReceipt`]), in the same order. The default
    /// converts [`Store::each_document`]'s rows; a store may decode only the fields it needs.
    fn each_recon_receipt(
        &mut self,
        ledger: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        each: &mut dyn FnMut(String, ReconReceipt) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.each_document(
            ledger,
            DocKind::Receipt,
            from,
            to,
            &mut |d| match d.document {
                Document::Receipt(r) => each(d.natural_key, r.into()),
                _ => Err(StoreError::Corrupt(format!(
                    "document {} is listed as a receipt but its body is another kind",
                    d.natural_key
                ))),
            },
        )
    }

    /// Documents with these natural keys, ordered as [`Store::documents`].
    fn documents_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredDocument>, StoreError>;

    /// Which of these document natural keys are stored.
    fn existing_document_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<HashSet<String>, StoreError>;

    /// Duplicate evidence, of these natural keys when given, ordered by (run, natural key, pos).
    fn duplicates(
        &mut self,
        ledger: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<DuplicateRecord>, StoreError>;

    /// Every imported file, ordered by import run.
    fn files(&mut self, ledger: &str) -> Result<Vec<StoredFile>, StoreError>;

    /// One file by sha256.
    fn file(&mut self, ledger: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError>;

    /// Every run, ordered by run id.
    fn runs(&mut self, ledger: &str) -> Result<Vec<RunRecord>, StoreError>;

    /// One run.
    fn run(&mut self, ledger: &str, run_id: i64) -> Result<Option<RunRecord>, StoreError>;

    /// Records a reconciliation run's findings under `run_id` (a run of this ledger). A new id
    /// is stored with its first-seen time and an `Open`/… event; a known id whose status
    /// differs from its latest status gets one more event; otherwise nothing is added. The
    /// content first reported is kept (append-only).
    fn record_findings(
        &mut self,
        ledger: &str,
        run_id: i64,
        findings: &[FindingInput],
    ) -> Result<(), StoreError>;

    /// Findings ordered by (first_seen_run, id); only those whose latest status is `Open` when
    /// `open_only`.
    fn findings(&mut self, ledger: &str, open_only: bool)
        -> Result<Vec<FindingRecord>, StoreError>;

    /// Records a proposal for a manual match, write-off or correction; its entries are validated
    /// now and appended only on approval. Returns the proposal id.
    fn propose(&mut self, ledger: &str, proposal: NewProposal) -> Result<i64, StoreError>;

    /// Approves an open proposal and appends its entries under a new run (kind manual, actor =
    /// approver, details naming the proposal and the proposer) in one transaction. The proposer
    /// cannot approve ([`StoreError::SameUserApproval`], compared after trimming,
    /// case-insensitively); a blank approver is refused too ([`StoreError::InvalidInput`] in the
    /// memory store; `SameUserApproval` is accepted by the suite). If appending fails
    /// (closed period, say) the proposal stays open.
    fn approve(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        approver: &str,
    ) -> Result<AppendOutcome, StoreError>;

    /// Rejects an open proposal. The proposer may withdraw their own.
    fn reject(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        user: &str,
        reason: &str,
    ) -> Result<(), StoreError>;

    /// Proposals ordered by id; only open ones when `open_only`.
    fn proposals(&mut self, ledger: &str, open_only: bool) -> Result<Vec<Proposal>, StoreError>;

    /// Closes the books through `through` (inclusive): from then on no entry booked on or
    /// before it can be appended. Records a run (kind close). Closing is monotonic: a date not
    /// after the current close is [`StoreError::PeriodAlreadyClosed`].
    fn close_period(
        &mut self,
        ledger: &str,
        through: NaiveDate,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// The date the ledger is closed through, if any.
    fn closed_through(&mut self, ledger: &str) -> Result<Option<NaiveDate>, StoreError>;

    /// Brings the database planner's statistics up to date after a large write, such as a batch
    /// import of many files, so that the reports and reconciliation run right after it are
    /// planned for the rows now present. Changes no data. A store whose queries do not depend on
    /// statistics does nothing (the default): the memory model, and SQLite, whose report plans
    /// are pinned to indexes and which keeps no `sqlite_stat1` table.
    fn refresh_statistics(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Whether `date` lies in a closed period.
    fn is_closed(&mut self, ledger: &str, date: NaiveDate) -> Result<bool, StoreError> {
        Ok(self.closed_through(ledger)?.is_some_and(|c| date <= c))
    }
}

/// Hooks for the conformance suite to attack a store from underneath its API. Implemented by
/// each store's *test support*, never used by the application.
pub trait TamperHook {
    /// Multiplies every posting amount of entry `seq` by `factor` behind the store's back (the
    /// entry stays balanced), bypassing append-only protection (memory: direct mutation; SQL:
    /// triggers disabled as superuser). `verify` must then report `seq` as the first bad entry.
    fn tamper_amount(&mut self, ledger: &str, seq: i64, factor: Decimal) -> Result<(), StoreError>;

    /// Removes entry `seq` and its postings behind the store's back.
    fn delete_entry(&mut self, ledger: &str, seq: i64) -> Result<(), StoreError>;

    /// Tries to write an unbalanced entry (debit 100, credit 99) straight into storage,
    /// bypassing [`JournalEntry::validate`]. The store (for SQL: the database itself) must
    /// refuse; the hook returns that refusal as `Err`, and `Ok` if it was accepted.
    fn insert_raw_unbalanced(&mut self, ledger: &str) -> Result<(), StoreError>;

    /// Tries an ordinary update or delete through the store's normal connection (SQL: plain
    /// `UPDATE`/`DELETE` statements). Must be refused with `Err` (SQL: by triggers).
    fn try_mutation(&mut self, ledger: &str, mutation: Mutation) -> Result<(), StoreError>;
}

/// Ordinary mutations the append-only guarantee forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    UpdateEntryMemo { seq: i64 },
    DeleteEntry { seq: i64 },
    UpdatePostingAmount { seq: i64 },
    DeletePosting { seq: i64 },
    DeleteStatementLines,
    DeleteDocuments,
    DeleteFiles,
    DeleteRuns,
    DeleteFindings,
}

impl Mutation {
    /// Every mutation, aimed at entry `seq` where it names one.
    pub fn all(seq: i64) -> [Mutation; 9] {
        [
            Mutation::UpdateEntryMemo { seq },
            Mutation::DeleteEntry { seq },
            Mutation::UpdatePostingAmount { seq },
            Mutation::DeletePosting { seq },
            Mutation::DeleteStatementLines,
            Mutation::DeleteDocuments,
            Mutation::DeleteFiles,
            Mutation::DeleteRuns,
            Mutation::DeleteFindings,
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by stores
// ---------------------------------------------------------------------------------------------

/// Checks the size limits of a batch before a store starts writing.
pub fn check_batch_limits(batch: &ImportBatch) -> Result<(), StoreError> {
    let lines: usize = batch.statements.iter().map(|s| s.lines.len()).sum();
    let checks = [
        (
            "statements in one import",
            batch.statements.len(),
            MAX_STATEMENTS_PER_IMPORT,
        ),
        ("statement lines in one import", lines, MAX_LINES_PER_IMPORT),
        (
            "documents in one import",
            batch.documents.len(),
            MAX_DOCUMENTS_PER_IMPORT,
        ),
        ("file name length", batch.file.name.len(), MAX_LABEL),
        (
            "imported_by length",
            batch.file.imported_by.len(),
            MAX_LABEL,
        ),
    ];
    for (what, found, limit) in checks {
        limit_check(what, found, limit)?;
    }
    let sha = &batch.file.sha256;
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(StoreError::InvalidInput {
            field: "file.sha256".into(),
            expected: "64 lower-case hex characters".into(),
            found: sha.chars().take(80).collect(),
        });
    }
    limit_check("file format length", batch.file.format.len(), MAX_LABEL)?;
    // Per-fact text limits, so that no store has to guess column sizes.
    for st in &batch.statements {
        limit_check(
            &format!("statement {} account length", st.index),
            st.header.account.len(),
            MAX_ACCOUNT_KEY_LEN,
        )?;
        for l in &st.lines {
            let f = &l.facts;
            let at = || format!("line {}:{}", f.pos.line, f.pos.index);
            // Labels are written only for a line over a limit: two `format!`s per line were 2% of
            // the SQLite writer's instructions in a bulk import.
            if f.natural_key.len() > MAX_ENTRY_TEXT {
                limit_check(
                    &format!("{} natural key length", at()),
                    f.natural_key.len(),
                    MAX_ENTRY_TEXT,
                )?;
            }
            if f.text.len() > MAX_LINE_TEXT {
                limit_check(
                    &format!("{} text length", at()),
                    f.text.len(),
                    MAX_LINE_TEXT,
                )?;
            }
            if f.account != st.header.account {
                return Err(StoreError::InvalidInput {
                    field: format!("{} account", at()),
                    expected: format!("the statement's account {}", st.header.account),
                    found: f.account.chars().take(80).collect(),
                });
            }
            if let Some(e) = &l.entry {
                if e.natural_key != f.natural_key {
                    return Err(StoreError::InvalidInput {
                        field: format!("{} entry natural key", at()),
                        expected: format!("the line's key {}", f.natural_key),
                        found: e.natural_key.chars().take(200).collect(),
                    });
                }
            }
        }
    }
    for d in &batch.documents {
        let at = format!("row {}", d.row);
        limit_check(
            &format!("{at} natural key length"),
            d.natural_key.len(),
            MAX_ENTRY_TEXT,
        )?;
        if let Some(e) = &d.entry {
            if e.natural_key != d.natural_key {
                return Err(StoreError::InvalidInput {
                    field: format!("{at} entry natural key"),
                    expected: format!("the document's key {}", d.natural_key),
                    found: e.natural_key.chars().take(200).collect(),
                });
            }
        }
    }
    Ok(())
}

/// `Err(LimitExceeded)` when `found > limit`.
pub fn limit_check(what: &str, found: usize, limit: usize) -> Result<(), StoreError> {
    if found > limit {
        Err(StoreError::LimitExceeded {
            what: what.to_string(),
            limit,
            found,
        })
    } else {
        Ok(())
    }
}

/// Validates an entry for appending: invariants (among them the shape and key of an opening
/// balance), period lock. Stores call this for every entry.
pub fn check_entry(
    ledger: &str,
    e: &JournalEntry,
    closed_through: Option<NaiveDate>,
) -> Result<(), StoreError> {
    e.validate().map_err(|source| StoreError::InvalidEntry {
        natural_key: e.natural_key.clone(),
        source,
    })?;
    if let Some(c) = closed_through {
        if e.booked_on <= c {
            return Err(StoreError::PeriodClosed {
                ledger: ledger.to_string(),
                natural_key: e.natural_key.clone(),
                booked_on: e.booked_on,
                closed_through: c,
            });
        }
    }
    Ok(())
}

/// The proposer and approver are the same person (trimmed, case-insensitive).
pub fn same_user(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether two statement lines carry the same fact (ignores where they sit in their files).
pub fn same_line_content(a: &LineFacts, b: &LineFacts) -> bool {
    a.natural_key == b.natural_key
        && a.account == b.account
        && a.booking_date == b.booking_date
        && a.value_date == b.value_date
        && a.amount == b.amount
        && a.currency == b.currency
        && a.direction == b.direction
        && a.status == b.status
        && a.reversal == b.reversal
        && a.bank_ref == b.bank_ref
}

/// Microsecond-truncated UTC now: both SQL engines keep microseconds, so every store does.
pub fn now_micros() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}

pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The trail walk behind [`Store::trail`]'s default, over the store's lookup methods.
pub fn walk_trail<S: Store + ?Sized>(
    store: &mut S,
    ledger: &str,
    query: &TrailQuery,
) -> Result<Trail, StoreError> {
    // Origins.
    let mut searched_keys: Vec<String> = Vec::new();
    let origins: Vec<StoredEntry> = match query {
        TrailQuery::Entry { seq } => store.entries_by_seq(ledger, &[*seq])?,
        TrailQuery::Reference { text } => {
            let text = text.trim();
            if text.is_empty() || text.len() > MAX_REFERENCE_QUERY {
                return Err(StoreError::InvalidInput {
                    field: "trail reference".into(),
                    expected: format!("1-{MAX_REFERENCE_QUERY} bytes of text"),
                    found: format!("{} bytes", text.len()),
                });
            }
            let keys = store.search_keys(ledger, text, MAX_TRAIL_STEPS)?;
            let found = store.entries_by_keys(ledger, &keys)?;
            // Facts that matched but carry no entry (pending lines, BKU lines) still belong
            // in the answer.
            searched_keys = keys;
            found
        }
        TrailQuery::Account { account, from, to } => {
            store.account_entries(ledger, account, *from, *to)?
        }
    };

    let mut relation: BTreeMap<i64, TrailRelation> = BTreeMap::new();
    let mut found: BTreeMap<i64, StoredEntry> = BTreeMap::new();
    let mut truncated = false;
    for e in origins {
        if found.len() >= MAX_TRAIL_STEPS {
            truncated = true;
            break;
        }
        relation.insert(e.seq, TrailRelation::Origin);
        found.insert(e.seq, e);
    }

    // Breadth-first over reversal and join links, one level at a time with a few batched
    // lookups per level (a database answers each in one round trip). Candidates are taken in a
    // fixed order — frontier by seq; per entry: what it reverses, what reverses it, the facts it
    // joins, the entries joining it — so every store records the same first relation.
    let mut joins_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut frontier: Vec<i64> = found.keys().copied().collect();
    while !frontier.is_empty() && !truncated {
        let mut level_joins: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (seq, key) in store.entry_joins(ledger, &frontier)? {
            level_joins.entry(seq).or_default().push(key);
        }
        let reverses: Vec<i64> = frontier
            .iter()
            .filter_map(|s| found.get(s).and_then(|e| e.entry.reverses))
            .collect();
        let reversed: BTreeMap<i64, StoredEntry> = store
            .entries_by_seq(ledger, &reverses)?
            .into_iter()
            .map(|e| (e.seq, e))
            .collect();
        let mut reversing: Vec<StoredEntry> = Vec::new();
        let reversing_seqs = store.entries_reversing(ledger, &frontier)?;
        for chunk in reversing_seqs.chunks(MAX_KEYS_PER_LOOKUP) {
            reversing.extend(store.entries_by_seq(ledger, chunk)?);
        }
        let joined_keys: Vec<String> = level_joins
            .values()
            .flatten()
            .cloned()
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let mut joined: BTreeMap<String, StoredEntry> = BTreeMap::new();
        for chunk in joined_keys.chunks(MAX_KEYS_PER_LOOKUP) {
            for e in store.entries_by_keys(ledger, chunk)? {
                joined.insert(e.entry.natural_key.clone(), e);
            }
        }
        let frontier_keys: Vec<String> = frontier
            .iter()
            .filter_map(|s| found.get(s).map(|e| e.entry.natural_key.clone()))
            .collect();
        let joining_seqs = store.entries_joining(ledger, &frontier_keys)?;
        let mut joining: Vec<StoredEntry> = Vec::new();
        let mut joining_keys: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for chunk in joining_seqs.chunks(MAX_KEYS_PER_LOOKUP) {
            joining.extend(store.entries_by_seq(ledger, chunk)?);
            for (seq, key) in store.entry_joins(ledger, chunk)? {
                joining_keys.entry(seq).or_default().insert(key);
            }
        }

        let mut next_level: Vec<i64> = Vec::new();
        'level: for &seq in &frontier {
            let Some((key, reverses)) = found
                .get(&seq)
                .map(|e| (e.entry.natural_key.clone(), e.entry.reverses))
            else {
                continue;
            };
            let mut candidates: Vec<(&StoredEntry, TrailRelation)> = Vec::new();
            if let Some(e) = reverses.and_then(|r| reversed.get(&r)) {
                candidates.push((e, TrailRelation::ReversedBy(seq)));
            }
            for e in reversing.iter().filter(|e| e.entry.reverses == Some(seq)) {
                candidates.push((e, TrailRelation::Reverses(seq)));
            }
            for k in level_joins.get(&seq).into_iter().flatten() {
                if let Some(e) = joined.get(k) {
                    candidates.push((e, TrailRelation::JoinedBy(seq)));
                }
            }
            for e in joining
                .iter()
                .filter(|e| joining_keys.get(&e.seq).is_some_and(|ks| ks.contains(&key)))
            {
                candidates.push((e, TrailRelation::Joins(key.clone())));
            }
            for (e, rel) in candidates {
                if found.contains_key(&e.seq) {
                    continue;
                }
                if found.len() >= MAX_TRAIL_STEPS {
                    truncated = true;
                    break 'level;
                }
                relation.insert(e.seq, rel);
                next_level.push(e.seq);
                found.insert(e.seq, e.clone());
            }
        }
        joins_of.extend(level_joins);
        next_level.sort_unstable();
        frontier = next_level;
    }

    // Provenance of each step.
    let mut files: BTreeMap<String, Option<StoredFile>> = BTreeMap::new();
    let mut runs: BTreeMap<i64, Option<RunRecord>> = BTreeMap::new();
    let mut fact_keys: BTreeSet<String> = searched_keys.into_iter().collect();
    let mut steps = Vec::with_capacity(found.len());
    for (seq, entry) in found {
        let file = match &entry.source_sha256 {
            Some(sha) => {
                if !files.contains_key(sha) {
                    let f = store.file(ledger, sha)?;
                    files.insert(sha.clone(), f);
                }
                files.get(sha).cloned().flatten()
            }
            None => None,
        };
        if let std::collections::btree_map::Entry::Vacant(slot) = runs.entry(entry.run_id) {
            slot.insert(store.run(ledger, entry.run_id)?);
        }
        let run = runs.get(&entry.run_id).cloned().flatten();
        if entry.source_sha256.is_some() {
            fact_keys.insert(entry.entry.natural_key.clone());
        }
        steps.push(TrailStep {
            joins: joins_of.remove(&seq).unwrap_or_default(),
            relation: relation.remove(&seq).unwrap_or(TrailRelation::Origin),
            entry,
            file,
            run,
        });
    }
    let fact_keys: Vec<String> = fact_keys.into_iter().collect();
    let mut lines = Vec::new();
    let mut documents = Vec::new();
    let mut duplicates = Vec::new();
    for chunk in fact_keys.chunks(MAX_KEYS_PER_LOOKUP) {
        lines.extend(store.lines_by_keys(ledger, chunk)?);
        documents.extend(store.documents_by_keys(ledger, chunk)?);
        duplicates.extend(store.duplicates(ledger, Some(chunk))?);
    }
    Ok(Trail {
        query: query.clone(),
        steps,
        lines,
        documents,
        duplicates,
        truncated,
    })
}

/// [`Store::open_items`] written over [`Store::account_entries`], [`Store::entries_joining`],
/// [`Store::entries_by_seq`] and [`Store::entry_joins`]: the default, and the oracle the
/// conformance check compares stores with.
pub fn open_items_by_lookups<S: Store + ?Sized>(
    store: &mut S,
    ledger: &str,
    account: &AccountKey,
    kind: EntryKind,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<OpenItem>, StoreError> {
    let far_past = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN);
    let mut entries = store.account_entries(ledger, account, far_past, as_of)?;
    entries.retain(|e| known_at.is_none_or(|k| e.recorded_at <= k));
    entries.sort_by_key(|e| (e.entry.booked_on, e.seq));
    let reversed: HashSet<i64> = entries.iter().filter_map(|e| e.entry.reverses).collect();
    let facts: Vec<&StoredEntry> = entries
        .iter()
        .filter(|e| e.entry.kind == kind && !reversed.contains(&e.seq))
        .filter(|e| open_item_key_fits(kind, account, &e.entry.natural_key))
        .collect();
    let keys: Vec<String> = facts.iter().map(|e| e.entry.natural_key.clone()).collect();
    // Natural keys joined by an entry known at the cut-off and booked by `as_of`.
    let mut closed: HashSet<String> = HashSet::new();
    for chunk in keys.chunks(MAX_KEYS_PER_LOOKUP) {
        let seqs = store.entries_joining(ledger, chunk)?;
        for sc in seqs.chunks(MAX_KEYS_PER_LOOKUP) {
            let joining: HashSet<i64> = store
                .entries_by_seq(ledger, sc)?
                .into_iter()
                .filter(|j| {
                    j.entry.booked_on <= as_of && known_at.is_none_or(|k| j.recorded_at <= k)
                })
                .map(|j| j.seq)
                .collect();
            for (seq, key) in store.entry_joins(ledger, sc)? {
                if joining.contains(&seq) {
                    closed.insert(key);
                }
            }
        }
    }
    Ok(facts
        .into_iter()
        .filter(|e| !closed.contains(&e.entry.natural_key))
        .map(|e| OpenItem {
            seq: e.seq,
            natural_key: e.entry.natural_key.clone(),
            booked_on: e.entry.booked_on,
            memo: e.entry.memo.clone(),
            effect: e
                .entry
                .postings
                .iter()
                .filter(|p| &p.account == account)
                .map(|p| p.debit_signed())
                .sum(),
        })
        .collect())
}

/// [`Store::book_lines`] written over [`Store::account_entries`], [`Store::entry_joins`] and
/// [`Store::joining_entries`]: the default, and the oracle the conformance check compares stores
/// with.
pub fn book_lines_by_lookups<S: Store + ?Sized>(
    store: &mut S,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
    kode_kinds: &[AccountKind],
) -> Result<Vec<BookLine>, StoreError> {
    let mut entries = store.account_entries(ledger, account, from, to)?;
    entries.retain(|e| known_at.is_none_or(|k| e.recorded_at <= k));
    entries.sort_by_key(|e| (e.entry.booked_on, e.seq));
    let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
    let mut own: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for chunk in seqs.chunks(MAX_KEYS_PER_LOOKUP) {
        for (seq, key) in store.entry_joins(ledger, chunk)? {
            own.entry(seq).or_default().push(key);
        }
    }
    let line_keys: Vec<String> = entries
        .iter()
        .filter(|e| e.entry.kind == EntryKind::StatementLine)
        .map(|e| e.entry.natural_key.clone())
        .collect();
    let mut clearing: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for chunk in line_keys.chunks(MAX_KEYS_PER_LOOKUP) {
        for j in store.joining_entries(ledger, chunk)? {
            if known_at.is_none_or(|k| j.recorded_at <= k) {
                clearing.entry(j.key).or_default().push(j.seq);
            }
        }
    }
    let clearing_seqs: BTreeSet<i64> = clearing.values().flatten().copied().collect();
    let clearing_seqs: Vec<i64> = clearing_seqs.into_iter().collect();
    let mut cleared_by: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for chunk in clearing_seqs.chunks(MAX_KEYS_PER_LOOKUP) {
        for (seq, key) in store.entry_joins(ledger, chunk)? {
            cleared_by.entry(seq).or_default().push(key);
        }
    }
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let mut effect = Decimal::ZERO;
        let mut kode = Vec::new();
        for p in &e.entry.postings {
            if &p.account == account {
                effect = effect.checked_add(p.debit_signed()).ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "entry {} overflows the effect on {account}",
                        e.seq
                    ))
                })?;
            }
            if kode_kinds.contains(&p.account.kind()) {
                kode.push(p.account.qualifier().to_string());
            }
        }
        let mut documents = own.remove(&e.seq).unwrap_or_default();
        if e.entry.kind == EntryKind::StatementLine {
            let mut matches = clearing
                .get(&e.entry.natural_key)
                .cloned()
                .unwrap_or_default();
            matches.sort_unstable();
            matches.dedup();
            for m in matches {
                documents.extend(cleared_by.get(&m).into_iter().flatten().cloned());
            }
        }
        out.push(BookLine {
            seq: e.seq,
            kind: e.entry.kind,
            booked_on: e.entry.booked_on,
            natural_key: e.entry.natural_key,
            memo: e.entry.memo,
            effect,
            kode,
            documents,
        });
    }
    Ok(out)
}

/// [`Store::joining_entries`] written over [`Store::entries_joining`],
/// [`Store::entries_by_seq`] and [`Store::entry_joins`]: the default, and the oracle the
/// conformance check compares stores with.
pub fn joining_entries_by_lookups<S: Store + ?Sized>(
    store: &mut S,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<JoiningEntry>, StoreError> {
    limit_check("keys in one lookup", keys.len(), MAX_KEYS_PER_LOOKUP)?;
    let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    let seqs = store.entries_joining(ledger, keys)?;
    for sc in seqs.chunks(MAX_KEYS_PER_LOOKUP) {
        let heads: BTreeMap<i64, (NaiveDate, DateTime<Utc>)> = store
            .entries_by_seq(ledger, sc)?
            .into_iter()
            .map(|e| (e.seq, (e.entry.booked_on, e.recorded_at)))
            .collect();
        for (seq, key) in store.entry_joins(ledger, sc)? {
            if let (true, Some(&(booked_on, recorded_at))) =
                (wanted.contains(key.as_str()), heads.get(&seq))
            {
                out.push(JoiningEntry {
                    key,
                    seq,
                    booked_on,
                    recorded_at,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.key, a.seq).cmp(&(&b.key, b.seq)));
    out.dedup();
    Ok(out)
}

/// [`Store::open_documents`] written over [`Store::documents`] and
/// [`Store::joining_entries`]: the default, and the oracle of the conformance check.
pub fn open_documents_by_lookups<S: Store + ?Sized>(
    store: &mut S,
    ledger: &str,
    kind: DocKind,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<StoredDocument>, StoreError> {
    let mut docs = store.documents(ledger, Some(kind), None, Some(as_of))?;
    docs.retain(|d| d.entry_seq.is_some() && known_at.is_none_or(|k| d.recorded_at <= k));
    let keys: Vec<String> = docs.iter().map(|d| d.natural_key.clone()).collect();
    let mut closed: HashSet<String> = HashSet::new();
    for chunk in keys.chunks(MAX_KEYS_PER_LOOKUP) {
        for j in store.joining_entries(ledger, chunk)? {
            if j.booked_on <= as_of && known_at.is_none_or(|k| j.recorded_at <= k) {
                closed.insert(j.key);
            }
        }
    }
    docs.retain(|d| !closed.contains(&d.natural_key));
    Ok(docs)
}
