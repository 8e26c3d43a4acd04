//! Command-line grammar (clap derive). `kasda <noun> <verb>` for grouped commands, `kasda <verb>` for
//! the daily ones (`import`, `reconcile`, `verify`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "kasda",
    version,
    about = "Append-only cash ledger and reconciliation for a pemda's kas daerah (RKUD)",
    long_about = "kasda imports bank statements (camt.052/053/054, MT940/MT942, CSV/XLSX exports, SNAP BI JSON) and \
                  government documents (tax receipts, STS, SP2D, BKU) into an append-only double-entry ledger, \
                  reconciles them and flags leakage with evidence an auditor can follow.",
    after_help = "Examples:\n  kasda demo\n  kasda init && kasda import statements/ documents/\n  kasda statement inspect bank.sta --format json\n  kasda verify"
)]
pub struct Cli {
    /// Store URL: sqlite:PATH (embedded, default) or postgres://user@host/db
    #[arg(
        long,
        global = true,
        env = "KASDA_DB",
        default_value = "sqlite:kasda.db"
    )]
    pub db: String,

    /// Pemda configuration file
    #[arg(
        long,
        global = true,
        env = "KASDA_CONFIG",
        default_value = "kasda.toml"
    )]
    pub config: PathBuf,

    /// Output format for commands that print data (xlsx and html: reports only)
    #[arg(long, global = true, value_enum, default_value = "table")]
    pub format: Format,

    /// More log output on stderr (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Log line format on stderr
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write an example pemda configuration (a documented kota in Banten)
    Init(InitArgs),
    /// Check a pemda configuration and list every problem with its key path
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Read bank statement files without a database
    #[command(subcommand)]
    Statement(StatementCmd),
    /// Read and validate receipts, STS, SP2D and BKU files without a database
    #[command(subcommand)]
    Documents(DocumentsCmd),
    /// Store schema: migrate, status
    #[command(subcommand)]
    Db(DbCmd),
    /// Import statement and document files (or directories) into the ledger, atomically per file
    Import(ImportArgs),
    /// Recompute the ledger's hash chain and print the head hash and entry count
    Verify(VerifyArgs),
    /// Balance of one ledger account, as of a booking date and as known at a moment
    Balance(BalanceArgs),
    /// Audit trail: from an entry, a reference or an account-day to every file line and later entry
    Trail(TrailArgs),
    /// Match statement lines to receipts, STS and SP2D, append the matches, record findings
    Reconcile(ReconcileArgs),
    /// List leakage findings with their evidence
    Findings(FindingsArgs),
    /// Manual matches, write-offs and opening balances (saldo awal) under maker-checker (the approver must differ from the proposer)
    #[command(subcommand)]
    Match(MatchCmd),
    /// Period locks after the Berita Acara is signed
    #[command(subcommand)]
    Period(PeriodCmd),
    /// Reports from the ledger: bar (Berita Acara Rekonsiliasi), bku, rekap, lak, position
    Report(ReportArgs),
    /// Generate a synthetic pemda (statements, documents, kasda.toml, ground truth)
    Gen(GenArgs),
    /// One command, no set-up: generate a month for a kota, import, reconcile, show the position and findings
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the configuration
    #[arg(long, default_value = "kasda.toml")]
    pub out: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Load and validate the configuration given by --config
    Check,
}

#[derive(Debug, Subcommand)]
pub enum StatementCmd {
    /// Parse statement files and print their normalized content and a summary
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Statement files (format detected from content)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DocumentsCmd {
    /// Parse document files, validate every row and print the documents and a summary
    Inspect(DocumentsInspectArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocKindArg {
    Receipts,
    Sts,
    Sp2d,
    Bku,
}

#[derive(Debug, Args)]
pub struct DocumentsInspectArgs {
    /// Document files: CSV, JSON Lines or XLSX
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Kind of the files (detected from the header when not given)
    #[arg(long, value_enum)]
    pub kind: Option<DocKindArg>,
    /// Accept good rows and write bad rows, unchanged, with a reason column to this directory
    #[arg(long)]
    pub quarantine: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Apply pending migrations (checksummed; a changed applied migration is an error)
    Migrate,
    /// List migrations, applied and pending
    Status,
    /// Move a ledger to another store (SQLite ↔ PostgreSQL) with its chain intact, verified after
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Target store URL: sqlite:PATH or postgres://user@host/db (the ledger must not exist there, or be empty)
    #[arg(long)]
    pub to: String,
    /// Ledger code (default: the configured pemda's)
    #[arg(long)]
    pub ledger: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories (read recursively, in name order)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Move each file here after it was imported (or found already imported)
    #[arg(long)]
    pub archive: Option<PathBuf>,
    /// Accept good document rows and write bad rows (and unreadable files) here with the reason
    #[arg(long)]
    pub quarantine: Option<PathBuf>,
    /// Write a JSON run report (files, entries, duplicates, rejected with reasons, duration)
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Keep watching the given directories and import files as they arrive (use with --archive)
    #[arg(long)]
    pub watch: bool,
    /// Seconds between scans in --watch mode
    #[arg(long, default_value_t = 10, requires = "watch")]
    pub interval_secs: u64,
    /// Stop --watch after this many scans (default: run until stopped)
    #[arg(long, requires = "watch")]
    pub max_scans: Option<u64>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Ledger code (default: the configured pemda's)
    #[arg(long)]
    pub ledger: Option<String>,
}

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// Ledger account key, e.g. kas-daerah/0012345678 or dana-dalam-perjalanan/qris
    pub account: String,
    /// Booking date (inclusive), YYYY-MM-DD
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// What the ledger knew at this moment (RFC 3339, e.g. 2026-03-31T17:00:00+07:00)
    #[arg(long)]
    pub known_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Ledger code (default: the configured pemda's)
    #[arg(long)]
    pub ledger: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("start").required(true).args(["entry", "reference", "account"])))]
pub struct TrailArgs {
    /// Start from the entry with this sequence number
    #[arg(long)]
    pub entry: Option<i64>,
    /// Start from a reference: NTPD, NTB, kode billing, NOP, SP2D/STS number, bank reference
    #[arg(long = "ref")]
    pub reference: Option<String>,
    /// Start from an account's entries on --on
    #[arg(long, requires = "on")]
    pub account: Option<String>,
    /// The day for --account (YYYY-MM-DD)
    #[arg(long)]
    pub on: Option<chrono::NaiveDate>,
    /// Ledger code (default: the configured pemda's)
    #[arg(long)]
    pub ledger: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// First booking date of the period (default: 1 January of the fiscal year)
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last booking date of the period (default: today, within the fiscal year)
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
    /// Date deadlines are measured against (default: --to)
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Exit 1 when a finding at or above this severity exists (info, low, medium, high, critical)
    #[arg(long)]
    pub fail_on: Option<String>,
}

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Only this finding type (e.g. unremitted_receipt)
    #[arg(long = "type")]
    pub finding_type: Option<String>,
    /// Only findings at or above this severity
    #[arg(long)]
    pub severity: Option<String>,
    /// Only open findings
    #[arg(long)]
    pub open: bool,
    /// Exit 1 when an open finding at or above this severity is listed
    #[arg(long)]
    pub fail_on: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// kota-kecil, kota-serang-like or provinsi
    #[arg(long, default_value = "kota-serang-like")]
    pub profile: String,
    /// First day (YYYY-MM-DD)
    #[arg(long, default_value = "2026-03-01")]
    pub from: chrono::NaiveDate,
    /// Number of days
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Random seed: the same seed gives byte-identical output
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of opportunities turned into leakage, e.g. 0.002 or 0.2%
    #[arg(long, default_value = "0.002")]
    pub leak_rate: String,
    /// Volume in percent of the profile's realistic daily volume
    #[arg(long, default_value_t = 100)]
    pub volume_percent: u32,
    /// Statement formats of the BPD RKUD, the other bank's RKUD, the BPD holding and the other
    /// holding account, comma-separated (camt053-v02, camt053-v08, mt940, bank-jatim,
    /// mandiri-rekening-koran)
    #[arg(
        long,
        default_value = "camt053-v08,mt940,bank-jatim,mandiri-rekening-koran"
    )]
    pub formats: String,
    /// Output directory
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Working directory for generated data and the demo ledger (cleared if made by an earlier demo)
    #[arg(long, default_value = "kasda-demo")]
    pub dir: PathBuf,
    /// kota-kecil, kota-serang-like or provinsi
    #[arg(long, default_value = "kota-serang-like")]
    pub profile: String,
    #[arg(long, default_value = "2026-03-01")]
    pub from: chrono::NaiveDate,
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    #[arg(long, default_value_t = 20260301)]
    pub seed: u64,
    #[arg(long, default_value = "0.002")]
    pub leak_rate: String,
    #[arg(long, default_value_t = 100)]
    pub volume_percent: u32,
}

#[derive(Debug, Subcommand)]
pub enum MatchCmd {
    /// Propose a manual match (lines to documents), a write-off or an account's opening balance; acting user from KASDA_ACTOR or USER
    Propose(ProposeArgs),
    /// Approve a proposal (appends its entries); must be a different user from the proposer
    Approve {
        /// Proposal id
        id: i64,
    },
    /// Reject a proposal with a reason
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// List proposals
    List {
        /// Only open proposals
        #[arg(long)]
        open: bool,
    },
}

#[derive(Debug, Args)]
pub struct ProposeArgs {
    /// Statement line natural key (repeatable)
    #[arg(long = "line")]
    pub lines: Vec<String>,
    /// Document natural key, e.g. receipt:NTPD, sts:NUMBER, sp2d:NUMBER (repeatable)
    #[arg(long = "doc")]
    pub documents: Vec<String>,
    /// Write off what remains in this clearing account instead
    #[arg(long)]
    pub write_off: Option<String>,
    /// Book the opening balance (saldo awal) of this RKUD or holding account instead: its number
    /// or ledger key (kas-daerah/NUMBER, kas-penampungan/NUMBER); needs --on
    #[arg(long, conflicts_with_all = ["lines", "documents", "write_off"])]
    pub opening_balance: Option<String>,
    /// Amount for --opening-balance, e.g. 1500000.00 or -250 (default: the opening balance of
    /// the account's statement covering --on, else of its earliest statement)
    #[arg(long, requires = "opening_balance", allow_hyphen_values = true)]
    pub amount: Option<rust_decimal::Decimal>,
    /// Balance date for --write-off; booking date for --opening-balance (on or before the
    /// account's first movement)
    #[arg(long)]
    pub on: Option<chrono::NaiveDate>,
    /// Why (kept in the trail)
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Subcommand)]
pub enum PeriodCmd {
    /// Close a month (YYYY-MM): later facts for it are booked in the open period, never into it
    Close { period: String },
    /// Show the last closed day
    Status,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// bar, bku, rekap, lak or position
    pub report: String,
    /// A month, YYYY-MM
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// First day of the period
    #[arg(long)]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the period (the as-of date of every balance)
    #[arg(long)]
    pub to: Option<chrono::NaiveDate>,
    /// As the ledger knew it at this moment (RFC 3339)
    #[arg(long)]
    pub known_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// OPD code: BKU of its bendahara penerimaan, or the BAR BUD ↔ bendahara
    #[arg(long)]
    pub opd: Option<String>,
    /// One bank account
    #[arg(long)]
    pub account: Option<String>,
    /// BAR document number
    #[arg(long)]
    pub number: Option<String>,
    /// Write to this file instead of standard output (required for xlsx)
    #[arg(long)]
    pub out: Option<PathBuf>,
}
