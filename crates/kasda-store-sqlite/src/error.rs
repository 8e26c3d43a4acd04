//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong in the SQLite store. Messages name the database file, the
/// ledger, the entry or the migration file concerned, with what was expected and what was found.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("database file {path} is locked by another process (waited {waited_ms} ms); close the other kasda or try again")]
    Locked { path: PathBuf, waited_ms: u64 },
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("invalid SQLite URL {found:?}: expected `sqlite:<path>`, `sqlite://<path>` or `sqlite::memory:`")]
    BadUrl { found: String },
    #[error("migration {file} was changed after it was applied: the database recorded sha256 {applied}, this build has {current}")]
    MigrationChanged {
        file: String,
        applied: String,
        current: String,
    },
    #[error("database has migration {version} ({name}) that this build does not know; it was written by a newer kasda")]
    MigrationUnknown { version: i64, name: String },
    #[error(
        "database schema is not migrated: {pending} migration(s) pending; run `kasda db migrate`"
    )]
    NotMigrated { pending: usize },
    #[error("ledger {ledger:?} does not exist")]
    NoLedger { ledger: String },
    #[error("invalid ledger code {found:?}: expected 1 to 64 characters of letters, digits, `-`, `_` or `.`")]
    BadLedgerCode { found: String },
    #[error("ledger {ledger}, entry {natural_key:?}: {source}")]
    InvalidEntry {
        ledger: String,
        natural_key: String,
        #[source]
        source: kasda_core::ledger::LedgerError,
    },
    #[error("ledger {ledger}, entry {natural_key:?}: amount {amount} {currency} does not fit the store's 64-bit minor-unit column (limit ±{limit} minor units)")]
    AmountRange {
        ledger: String,
        natural_key: String,
        amount: String,
        currency: String,
        limit: i64,
    },
    #[error("ledger {ledger}, entry {natural_key:?} reverses entry {reverses}, which does not exist (the ledger has {head} entries)")]
    UnknownReversed {
        ledger: String,
        natural_key: String,
        reverses: i64,
        head: i64,
    },
    #[error("ledger {ledger}, entry {natural_key:?} is booked on {booked_on}, inside the period closed through {closed_through}")]
    PeriodClosed {
        ledger: String,
        natural_key: String,
        booked_on: chrono::NaiveDate,
        closed_through: chrono::NaiveDate,
    },
    #[error("corrupt row in table {table} (ledger {ledger}, {key}): column {column}: expected {expected}, found {found:?}")]
    CorruptRow {
        table: &'static str,
        ledger: String,
        key: String,
        column: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("ledger export stream, record {record}: {message}")]
    Export { record: u64, message: String },
    #[error("I/O error on {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database refused the write: {message}")]
    Refused { message: String },
    #[error("SQLite error: {0}")]
    Sql(rusqlite::Error),
    /// A refusal the Store contract defines (name conflict, proposal state, maker-checker…).
    #[error(transparent)]
    Store(#[from] kasda_store::StoreError),
}

impl From<SqliteError> for kasda_store::StoreError {
    fn from(e: SqliteError) -> Self {
        use kasda_store::StoreError as S;
        match e {
            SqliteError::Store(s) => s,
            SqliteError::Locked { path, waited_ms } => S::Locked {
                path: path.display().to_string(),
                waited_ms,
            },
            SqliteError::MigrationChanged {
                file,
                applied,
                current,
            } => S::MigrationChanged {
                name: file,
                recorded: applied,
                found: current,
            },
            SqliteError::NoLedger { ledger } => S::UnknownLedger { ledger },
            SqliteError::BadLedgerCode { found } => S::InvalidLedgerCode { found },
            SqliteError::InvalidEntry {
                natural_key,
                source,
                ..
            } => S::InvalidEntry {
                natural_key,
                source,
            },
            SqliteError::PeriodClosed {
                ledger,
                natural_key,
                booked_on,
                closed_through,
            } => S::PeriodClosed {
                ledger,
                natural_key,
                booked_on,
                closed_through,
            },
            SqliteError::UnknownReversed {
                ledger,
                natural_key,
                reverses,
                ..
            } => S::UnknownReversedEntry {
                ledger,
                natural_key,
                reverses,
            },
            SqliteError::AmountRange { .. } => S::InvalidInput {
                field: "posting amount".into(),
                expected: format!("at most {} minor units", i64::MAX),
                found: e.to_string(),
            },
            SqliteError::CorruptRow { .. } | SqliteError::Export { .. } => {
                S::Corrupt(e.to_string())
            }
            SqliteError::Refused { message } => match append_only_table(&message) {
                Some(table) => S::AppendOnly {
                    table,
                    operation: "UPDATE/DELETE".into(),
                },
                None => S::backend("write", message),
            },
            other => S::backend("sqlite", other),
        }
    }
}

/// `kasda: <table> is append-only` → `<table>`.
fn append_only_table(message: &str) -> Option<String> {
    message
        .strip_prefix("kasda: ")?
        .strip_suffix(" is append-only")
        .map(str::to_string)
}

impl From<rusqlite::Error> for SqliteError {
    fn from(e: rusqlite::Error) -> Self {
        // Trigger RAISE(ABORT, 'kasda: ...') arrives as a constraint failure carrying our message;
        // surface it as a refusal so callers can tell policy from breakage.
        if let rusqlite::Error::SqliteFailure(f, Some(msg)) = &e {
            if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.starts_with("kasda:") {
                return SqliteError::Refused {
                    message: msg.clone(),
                };
            }
        }
        SqliteError::Sql(e)
    }
}

/// True when SQLite gave up waiting for another connection's lock.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::DatabaseBusy || f.code == rusqlite::ErrorCode::DatabaseLocked
    )
}
