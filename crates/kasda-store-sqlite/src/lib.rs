//! kasda-store-sqlite: the embedded default store, on SQLite through rusqlite.
//!
//! What it keeps: the ledgers of one or more pemda (every table keyed by ledger first), their
//! imported files, statements and lines, government documents, journal entries with their hash
//! chain and postings, findings, maker-checker proposals and period locks, plus two derived
//! balance aggregates that answer "balance of account A as of day D, as known at time T"
//! without scanning postings. The schema lives in `schema/sqlite/` as numbered, checksummed
//! migrations embedded in the binary.
//!
//! How it is made safe:
//! * Append-only: every ledger table has BEFORE UPDATE / BEFORE DELETE triggers that raise.
//! * Balanced entries are checked inside the database: postings are inserted first, then the
//!   entry row, whose insert trigger refuses fewer than two postings, debits ≠ credits per
//!   currency, a sequence gap, a `prev_hash` that does not link, or a booking in a closed period.
//! * Each import or append is one `BEGIN IMMEDIATE` transaction: all of a file or none of it.
//! * The database runs in WAL mode with `synchronous=FULL`: a committed import survives power
//!   loss. This is deliberate: for a treasury ledger durability beats the few percent of speed
//!   `NORMAL` would give; [`OpenOptions::synchronous`] can relax it for throwaway bulk loads.
//! * One writer: a second process waits up to the busy timeout (5 s by default) and then gets
//!   [`SqliteError::Locked`] naming the file.
//!
//! What it must never do: compute a hash differently from `kasda_core::ledger::chain_hash`
//! (the PostgreSQL store must produce bit-identical chains for the same imports), store money as
//! REAL, or update a ledger row in place.

mod checkpoint;
pub mod error;
pub mod export;
mod import;
pub mod migrate;
mod read;
mod recon_read;
mod recon_write;
pub mod synthetic;
pub mod tamper;
mod workflow;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::ledger::{AccountKey, AccountKind, StoredEntry};
use kasda_store::{
    AccountBalance, AppendOutcome, DayMovement, DocKind, DuplicateRecord, FindingInput,
    FindingRecord, ImportBatch, ImportOutcome, LedgerInfo, MigrationInfo, NewEntry, NewProposal,
    Proposal, RunInfo, RunRecord, Store, StoreError, StoredDocument, StoredFile, StoredLine,
    StoredStatement,
};
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

pub use error::SqliteError;
pub use migrate::MigrationState;
pub use writer::{from_minor, to_minor, Appended, ChainWriter};

/// Page size of a database file this store creates (bytes).
pub const NEW_DATABASE_PAGE_SIZE: i64 = 16_384;

/// Default wait for another process's write lock before giving up.
pub const DEFAULT_BUSY_TIMEOUT_MS: u64 = 5_000;

/// `PRAGMA synchronous` levels offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync on every commit, WAL included: a committed import survives power loss. Default.
    #[default]
    Full,
    /// fsync only at checkpoints: a power cut may lose the last commits (never corrupt).
    Normal,
}

/// How to open a database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    pub busy_timeout_ms: u64,
    pub synchronous: Synchronous,
    /// Apply pending migrations on open (the default). Off for `kasda db status`.
    pub migrate: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            busy_timeout_ms: DEFAULT_BUSY_TIMEOUT_MS,
            synchronous: Synchronous::Full,
            migrate: true,
        }
    }
}

/// The SQLite store. Holds one connection: the process's single writer.
pub struct SqliteStore {
    /// Started by the first large write to a file (see `checkpoint`). Declared first so that it
    /// is dropped, and its checkpoint finished, while `conn` is still open.
    checkpointer: Option<checkpoint::Checkpointer>,
    conn: Connection,
    /// File path, or `:memory:`; named in lock errors.
    path: PathBuf,
    busy_timeout_ms: u64,
}

pub(crate) fn now_us() -> i64 {
    Utc::now().timestamp_micros()
}

/// The time stamp of a write transaction on a ledger: the clock, but strictly after every
/// stamp the ledger already carries, so `recorded_at` never goes backwards and "known at T"
/// always names a prefix of the chain. Stamps only grow, so the latest entry and the latest
/// run hold the largest ones (two primary-key probes, no scan).
pub(crate) fn ledger_stamp(tx: &Transaction<'_>, ledger: &str) -> Result<i64, SqliteError> {
    let last: Option<i64> = tx.query_row(
        "SELECT max(coalesce((SELECT recorded_at FROM entries WHERE ledger = ?1 ORDER BY seq DESC LIMIT 1), 0),
                    coalesce((SELECT started_at FROM runs WHERE ledger = ?1 ORDER BY run_id DESC LIMIT 1), 0))",
        params![ledger],
        |r| r.get(0),
    )?;
    Ok(now_us().max(last.unwrap_or(0).saturating_add(1)))
}

pub(crate) fn time_from_us(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Where a `sqlite:` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteTarget {
    File(PathBuf),
    Memory,
}

/// Parses `sqlite:kasda.db`, `sqlite://relative.db`, `sqlite:///abs/path.db` and
/// `sqlite::memory:`. Query strings are not accepted: options go through [`OpenOptions`].
pub fn parse_url(url: &str) -> Result<SqliteTarget, SqliteError> {
    let bad = || SqliteError::BadUrl {
        found: url.to_string(),
    };
    let rest = url.strip_prefix("sqlite:").ok_or_else(bad)?;
    if rest == ":memory:" || rest == "//:memory:" {
        return Ok(SqliteTarget::Memory);
    }
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() || path.contains('?') || path.contains('\0') {
        return Err(bad());
    }
    Ok(SqliteTarget::File(PathBuf::from(path)))
}

impl SqliteStore {
    /// Opens (creating if needed) a database file with the defaults: WAL, `synchronous=FULL`,
    /// foreign keys on, 5 s busy timeout, pending migrations applied.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SqliteError> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens the database a `sqlite:` URL names.
    pub fn open_url(url: &str) -> Result<Self, SqliteError> {
        match parse_url(url)? {
            SqliteTarget::File(p) => Self::open(p),
            SqliteTarget::Memory => Self::open_memory(),
        }
    }

    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self, SqliteError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| SqliteError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        let mut store = SqliteStore {
            checkpointer: None,
            conn,
            path,
            busy_timeout_ms: options.busy_timeout_ms,
        };
        store.configure(options, true)?;
        if options.migrate {
            store.apply_migrations()?;
        }
        Ok(store)
    }

    /// A private in-memory database, migrated. For tests and dry runs.
    pub fn open_memory() -> Result<Self, SqliteError> {
        let conn = Connection::open_in_memory().map_err(|source| SqliteError::Open {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        let mut store = SqliteStore {
            checkpointer: None,
            conn,
            path: PathBuf::from(":memory:"),
            busy_timeout_ms: DEFAULT_BUSY_TIMEOUT_MS,
        };
        store.configure(OpenOptions::default(), false)?;
        store.apply_migrations()?;
        Ok(store)
    }

    fn configure(&mut self, options: OpenOptions, file: bool) -> Result<(), SqliteError> {
        let r = (|| -> rusqlite::Result<()> {
            self.conn
                .busy_timeout(Duration::from_millis(options.busy_timeout_ms))?;
            if file {
                // 16 KiB pages for a new database (no effect on an existing one, which keeps the
                // size it was made with). Set before WAL mode, which writes the file's first page.
                // A bulk import of 200,000 postings ran 3.3% fewer instructions than with SQLite's
                // 4 KiB default (shallower B-trees, fewer page splits), its commit wrote 6% fewer
                // bytes in fewer, larger writes and took about half the time.
                self.conn
                    .pragma_update(None, "page_size", NEW_DATABASE_PAGE_SIZE)?;
                let _mode: String = self
                    .conn
                    .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            }
            let sync = match options.synchronous {
                Synchronous::Full => "FULL",
                Synchronous::Normal => "NORMAL",
            };
            self.conn.pragma_update(None, "synchronous", sync)?;
            self.conn.pragma_update(None, "foreign_keys", "ON")?;
            // Statement journals and sorter spill stay in memory (bounded by one statement). The
            // page cache may grow to 256 MiB (it is allocated only as pages are touched): a file
            // of a million postings then stays in memory until commit instead of spilling pages
            // to the WAL half way and writing them again.
            self.conn.pragma_update(None, "temp_store", "MEMORY")?;
            self.conn.pragma_update(None, "cache_size", -262_144)?;
            self.conn.set_prepared_statement_cache_capacity(64);
            Ok(())
        })();
        r.map_err(|e| self.wrap(e))
    }

    /// Turns a busy error into the lock error that names the file.
    fn wrap(&self, e: rusqlite::Error) -> SqliteError {
        if error::is_busy(&e) {
            SqliteError::Locked {
                path: self.path.clone(),
                waited_ms: self.busy_timeout_ms,
            }
        } else {
            SqliteError::from(e)
        }
    }

    fn wrap_err(&self, e: SqliteError) -> SqliteError {
        match e {
            SqliteError::Sql(inner) => self.wrap(inner),
            other => other,
        }
    }

    /// The path this store was opened on (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Direct access to the connection, for tests and tooling that inspect the schema.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so a
    /// second writer waits (busy timeout) rather than failing half way. Rolls back on error.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        let path = self.path.clone();
        let waited_ms = self.busy_timeout_ms;
        let lock = |e: rusqlite::Error| {
            if error::is_busy(&e) {
                SqliteError::Locked {
                    path: path.clone(),
                    waited_ms,
                }
            } else {
                SqliteError::from(e)
            }
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(lock)?;
        let out = f(&tx).map_err(|e| match e {
            SqliteError::Sql(inner) => lock(inner),
            other => other,
        })?;
        tx.commit().map_err(lock)?;
        Ok(out)
    }

    /// [`SqliteStore::write`] for a large write (an import, an append of many entries): its
    /// COMMIT makes it durable in the WAL (synced, with `synchronous=FULL`) but does not copy the
    /// WAL into the database file; a thread of the store's does that afterwards, beside whatever
    /// the caller does next (see `checkpoint`). An in-memory database has no WAL.
    pub(crate) fn write_large<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        let file = self.path != Path::new(":memory:");
        let automatic: i64 = if file {
            let pages = self
                .conn
                .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
                .map_err(|e| self.wrap(e))?;
            self.conn
                .pragma_update(None, "wal_autocheckpoint", 0)
                .map_err(|e| self.wrap(e))?;
            pages
        } else {
            0
        };
        let out = self.write(f);
        if !file {
            return out;
        }
        let restored = self
            .conn
            .pragma_update(None, "wal_autocheckpoint", automatic)
            .map_err(|e| self.wrap(e));
        let out = out?;
        restored?;
        // The write has committed: nothing after this point may report it as failed.
        if self.checkpointer.is_none() {
            self.checkpointer =
                checkpoint::Checkpointer::start(&self.path, self.busy_timeout_ms).ok();
        }
        match &self.checkpointer {
            Some(c) => c.wake(),
            // No second connection or thread to be had: checkpoint here, as the automatic
            // checkpoint would have (its outcome is not the write's).
            None => {
                let _ = self
                    .conn
                    .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        }
        Ok(out)
    }

    /// [`SqliteStore::read`] on a ledger that must exist.
    fn read_ledger<T>(
        &mut self,
        ledger: &str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        self.read(|tx| {
            require_ledger(tx, ledger)?;
            f(tx)
        })
    }

    /// Runs `f` in a read transaction (a consistent snapshot under WAL).
    pub fn read<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, SqliteError>,
    ) -> Result<T, SqliteError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(SqliteError::from)?;
        let out = f(&tx);
        drop(tx);
        out.map_err(|e| self.wrap_err(e))
    }

    /// Applies pending migrations (one transaction) and returns the state of each.
    pub fn apply_migrations(&mut self) -> Result<Vec<MigrationState>, SqliteError> {
        let r = migrate::migrate(&mut self.conn, now_us());
        r.map_err(|e| self.wrap_err(e))
    }

    /// State of each known migration without applying anything; refuses a changed file.
    pub fn schema_status(&mut self) -> Result<Vec<MigrationState>, SqliteError> {
        let r = migrate::status(&self.conn);
        r.map_err(|e| self.wrap_err(e))
    }

    /// [`Store::import_file`] with a hook that runs inside the import transaction, after every
    /// row is written and before the commit (progress reporting; the crash test pauses there).
    pub fn import_with_hook(
        &mut self,
        ledger: &str,
        batch: &ImportBatch,
        before_commit: impl FnOnce(&ImportOutcome),
    ) -> Result<ImportOutcome, SqliteError> {
        kasda_store::check_batch_limits(batch)?;
        self.write_large(|tx| {
            let out = import::import_file(tx, ledger, batch)?;
            before_commit(&out);
            Ok(out)
        })
    }

    /// Number of entries in a ledger's chain (its head seq); zero for an empty or unknown ledger.
    pub fn entry_count(&mut self, ledger: &str) -> Result<i64, SqliteError> {
        self.read(|tx| Ok(writer::chain_head(tx, ledger)?.0))
    }

    /// Recomputes both balance aggregates from the postings and returns the first difference,
    /// if any (`kasda verify` runs this after the chain check).
    pub fn check_aggregates(&mut self, ledger: &str) -> Result<Option<String>, SqliteError> {
        self.read(|tx| read::check_aggregates(tx, ledger))
    }
}

fn dt(us: Option<i64>) -> Option<DateTime<Utc>> {
    us.map(time_from_us)
}

fn to_info(states: Vec<MigrationState>) -> Vec<MigrationInfo> {
    states
        .into_iter()
        .map(|m| MigrationInfo {
            version: u32::try_from(m.version).unwrap_or(u32::MAX),
            name: m.name,
            checksum: m.sha256,
            applied_at: dt(m.applied_at_us),
        })
        .collect()
}

pub(crate) fn require_ledger(tx: &Transaction<'_>, ledger: &str) -> Result<(), SqliteError> {
    let found: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM ledgers WHERE ledger = ?1",
            params![ledger],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(SqliteError::NoLedger {
            ledger: ledger.to_string(),
        }),
    }
}

pub(crate) fn next_run_id(tx: &Transaction<'_>, ledger: &str) -> Result<i64, SqliteError> {
    Ok(tx.query_row(
        "SELECT coalesce(max(run_id), 0) + 1 FROM runs WHERE ledger = ?1",
        params![ledger],
        |r| r.get(0),
    )?)
}

/// Writes the run row; called last in the run's transaction (see the schema on `runs`).
pub(crate) fn insert_run(
    tx: &Transaction<'_>,
    ledger: &str,
    run_id: i64,
    run: &RunInfo,
    started_us: i64,
) -> Result<(), SqliteError> {
    kasda_store::limit_check("run actor length", run.actor.len(), kasda_store::MAX_LABEL)?;
    tx.execute(
        "INSERT INTO runs (ledger, run_id, kind, actor, started_at, finished_at, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ledger,
            run_id,
            run.kind.as_str(),
            run.actor,
            started_us,
            now_us().max(started_us),
            run.details.to_string()
        ],
    )?;
    Ok(())
}

/// Appends derived entries with their joins as one run inside `tx`.
pub(crate) fn append_in_tx(
    tx: &Transaction<'_>,
    ledger: &str,
    run: &RunInfo,
    entries: &[NewEntry],
) -> Result<AppendOutcome, SqliteError> {
    kasda_store::limit_check(
        "entries in one append",
        entries.len(),
        kasda_store::MAX_ENTRIES_PER_APPEND,
    )?;
    recon_write::append_each(tx, ledger, run, &mut |write| {
        entries.iter().try_for_each(write)
    })
}

impl Store for SqliteStore {
    fn migrate(&mut self) -> Result<Vec<MigrationInfo>, StoreError> {
        let before = self.schema_status()?;
        let after = self.apply_migrations()?;
        let applied_now = after
            .into_iter()
            .filter(|m| {
                before
                    .iter()
                    .any(|b| b.version == m.version && b.applied_at_us.is_none())
            })
            .collect();
        Ok(to_info(applied_now))
    }

    fn migration_status(&mut self) -> Result<Vec<MigrationInfo>, StoreError> {
        Ok(to_info(self.schema_status()?))
    }

    fn ensure_ledger(&mut self, ledger: &LedgerInfo) -> Result<(), StoreError> {
        kasda_store::validate_ledger_code(&ledger.code)?;
        kasda_store::limit_check(
            "ledger name length",
            ledger.name.len(),
            kasda_store::MAX_LABEL,
        )?;
        let at = now_us();
        Ok(self.write(|tx| {
            let existing: Option<String> = tx
                .query_row(
                    "SELECT name FROM ledgers WHERE ledger = ?1",
                    params![ledger.code],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(name) if name == ledger.name => Ok(()),
                Some(name) => Err(StoreError::LedgerNameConflict {
                    ledger: ledger.code.clone(),
                    existing: name,
                    requested: ledger.name.clone(),
                }
                .into()),
                None => {
                    tx.execute(
                        "INSERT INTO ledgers (ledger, name, created_at) VALUES (?1, ?2, ?3)",
                        params![ledger.code, ledger.name, at],
                    )?;
                    Ok(())
                }
            }
        })?)
    }

    fn ledgers(&mut self) -> Result<Vec<LedgerInfo>, StoreError> {
        Ok(self.read(|tx| {
            let mut stmt = tx.prepare("SELECT ledger, name FROM ledgers ORDER BY ledger")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(LedgerInfo {
                        code: r.get(0)?,
                        name: r.get(1)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?)
    }

    fn import_file(
        &mut self,
        ledger: &str,
        batch: ImportBatch,
    ) -> Result<ImportOutcome, StoreError> {
        Ok(self.import_with_hook(ledger, &batch, |_| {})?)
    }

    fn append_entries(
        &mut self,
        ledger: &str,
        run: RunInfo,
        entries: Vec<NewEntry>,
    ) -> Result<AppendOutcome, StoreError> {
        Ok(self.write_large(|tx| append_in_tx(tx, ledger, &run, &entries))?)
    }

    fn append_entries_from(
        &mut self,
        ledger: &str,
        run: RunInfo,
        fill: &mut dyn FnMut(kasda_store::EntrySink<'_>) -> Result<(), StoreError>,
    ) -> Result<AppendOutcome, StoreError> {
        Ok(self.write_large(|tx| recon_write::append_from(tx, ledger, &run, fill))?)
    }

    fn balance(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<rust_decimal::Decimal, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::balance(tx, ledger, account, as_of, known_at)
        })?)
    }

    fn balances(
        &mut self,
        ledger: &str,
        kind: Option<AccountKind>,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountBalance>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::balances(tx, ledger, kind, as_of, known_at)
        })?)
    }

    fn day_movements(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayMovement>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::day_movements(tx, ledger, account, from, to)
        })?)
    }

    fn account_flows(
        &mut self,
        ledger: &str,
        kinds: &[AccountKind],
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::account_flows(tx, ledger, kinds, from, to, known_at)
        })?)
    }

    fn account_flows_of(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::account_flows_of(tx, ledger, account, from, to, known_at)
        })?)
    }

    fn open_items(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        kind: kasda_core::ledger::EntryKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<kasda_store::OpenItem>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::open_items(tx, ledger, account, kind, as_of, known_at)
        })?)
    }

    fn entries(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let limit = limit.min(kasda_store::MAX_PAGE);
        Ok(self.read_ledger(ledger, |tx| read::entries(tx, ledger, after_seq, limit))?)
    }

    fn entries_by_seq(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        kasda_store::limit_check(
            "seqs in one lookup",
            seqs.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::entries_by_seq(tx, ledger, seqs))?)
    }

    fn entries_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        kasda_store::limit_check(
            "keys in one lookup",
            keys.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read(|tx| {
            require_ledger(tx, ledger)?;
            let seqs = read::seqs_by_keys(tx, ledger, keys)?;
            read::entries_by_seq(tx, ledger, &seqs)
        })?)
    }

    fn account_entries(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        Ok(self.read(|tx| {
            require_ledger(tx, ledger)?;
            let seqs = read::account_seqs(tx, ledger, account, from, to)?;
            read::entries_by_seq(tx, ledger, &seqs)
        })?)
    }

    fn entry_joins(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        kasda_store::limit_check(
            "seqs in one lookup",
            seqs.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::entry_joins(tx, ledger, seqs))?)
    }

    fn entries_joining(&mut self, ledger: &str, keys: &[String]) -> Result<Vec<i64>, StoreError> {
        kasda_store::limit_check(
            "keys in one lookup",
            keys.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::entries_joining(tx, ledger, keys))?)
    }

    fn book_lines(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
        kode_kinds: &[kasda_core::ledger::AccountKind],
    ) -> Result<Vec<kasda_store::BookLine>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::book_lines(tx, ledger, account, from, to, known_at, kode_kinds)
        })?)
    }

    fn joining_entries(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<kasda_store::JoiningEntry>, StoreError> {
        kasda_store::limit_check(
            "keys in one lookup",
            keys.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::joining_entries(tx, ledger, keys))?)
    }

    fn open_documents(
        &mut self,
        ledger: &str,
        kind: DocKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::open_documents(tx, ledger, kind, as_of, known_at)
        })?)
    }

    fn entries_reversing(&mut self, ledger: &str, seqs: &[i64]) -> Result<Vec<i64>, StoreError> {
        kasda_store::limit_check(
            "seqs in one lookup",
            seqs.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::entries_reversing(tx, ledger, seqs))?)
    }

    fn match_entry_keys(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let limit = limit.min(kasda_store::MAX_PAGE);
        Ok(self.read_ledger(ledger, |tx| {
            recon_read::match_entry_keys(tx, ledger, after_seq, limit)
        })?)
    }

    fn search_keys(
        &mut self,
        ledger: &str,
        text: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        kasda_store::limit_check(
            "reference search length",
            text.len(),
            kasda_store::MAX_REFERENCE_QUERY,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::search_keys(tx, ledger, text, limit))?)
    }

    fn statements(
        &mut self,
        ledger: &str,
        account: Option<&str>,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| read::statements(tx, ledger, account))?)
    }

    fn statement_lines(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredLine>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            read::statement_lines(tx, ledger, account, from, to)
        })?)
    }

    fn lines_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredLine>, StoreError> {
        kasda_store::limit_check(
            "keys in one lookup",
            keys.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::lines_by_keys(tx, ledger, keys))?)
    }

    fn documents(
        &mut self,
        ledger: &str,
        kind: Option<DocKind>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| read::documents(tx, ledger, kind, from, to))?)
    }

    fn each_statement_line(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        each: &mut dyn FnMut(StoredLine) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            recon_read::each_statement_line(tx, ledger, account, from, to, each)
        })?)
    }

    fn each_recon_line(
        &mut self,
        ledger: &str,
        from: NaiveDate,
        to: NaiveDate,
        each: &mut dyn FnMut(kasda_store::ReconLine<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            recon_read::each_recon_line(tx, ledger, from, to, each)
        })?)
    }

    fn each_recon_receipt(
        &mut self,
        ledger: &str,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        each: &mut dyn FnMut(String, kasda_store::ReconReceipt) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            recon_read::each_recon_receipt(tx, ledger, from, to, each)
        })?)
    }

    fn each_document(
        &mut self,
        ledger: &str,
        kind: DocKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        each: &mut dyn FnMut(StoredDocument) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            recon_read::each_document(tx, ledger, kind, from, to, each)
        })?)
    }

    fn documents_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredDocument>, StoreError> {
        kasda_store::limit_check(
            "keys in one lookup",
            keys.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::documents_by_keys(tx, ledger, keys))?)
    }

    fn existing_document_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        kasda_store::limit_check(
            "keys in one lookup",
            keys.len(),
            kasda_store::MAX_KEYS_PER_LOOKUP,
        )?;
        Ok(self.read_ledger(ledger, |tx| read::existing_document_keys(tx, ledger, keys))?)
    }

    fn duplicates(
        &mut self,
        ledger: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<DuplicateRecord>, StoreError> {
        if let Some(k) = keys {
            kasda_store::limit_check(
                "keys in one lookup",
                k.len(),
                kasda_store::MAX_KEYS_PER_LOOKUP,
            )?;
        }
        Ok(self.read_ledger(ledger, |tx| read::duplicates(tx, ledger, keys))?)
    }

    fn files(&mut self, ledger: &str) -> Result<Vec<StoredFile>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| read::files(tx, ledger, None))?)
    }

    fn file(&mut self, ledger: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            Ok(read::files(tx, ledger, Some(sha256))?.into_iter().next())
        })?)
    }

    fn runs(&mut self, ledger: &str) -> Result<Vec<RunRecord>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| read::runs(tx, ledger, None))?)
    }

    fn run(&mut self, ledger: &str, run_id: i64) -> Result<Option<RunRecord>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| {
            Ok(read::runs(tx, ledger, Some(run_id))?.into_iter().next())
        })?)
    }

    fn record_findings(
        &mut self,
        ledger: &str,
        run_id: i64,
        findings: &[FindingInput],
    ) -> Result<(), StoreError> {
        kasda_store::limit_check(
            "findings in one call",
            findings.len(),
            kasda_store::MAX_FINDINGS_PER_CALL,
        )?;
        Ok(self.write(|tx| workflow::record_findings(tx, ledger, run_id, findings))?)
    }

    fn findings(
        &mut self,
        ledger: &str,
        open_only: bool,
    ) -> Result<Vec<FindingRecord>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| workflow::findings(tx, ledger, open_only))?)
    }

    fn propose(&mut self, ledger: &str, proposal: NewProposal) -> Result<i64, StoreError> {
        Ok(self.write(|tx| workflow::propose(tx, ledger, &proposal))?)
    }

    fn approve(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        approver: &str,
    ) -> Result<AppendOutcome, StoreError> {
        Ok(self.write(|tx| workflow::approve(tx, ledger, proposal_id, approver))?)
    }

    fn reject(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        user: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        Ok(self.write(|tx| workflow::reject(tx, ledger, proposal_id, user, reason))?)
    }

    fn proposals(&mut self, ledger: &str, open_only: bool) -> Result<Vec<Proposal>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| workflow::proposals(tx, ledger, open_only))?)
    }

    fn close_period(
        &mut self,
        ledger: &str,
        through: NaiveDate,
        actor: &str,
    ) -> Result<(), StoreError> {
        Ok(self.write(|tx| workflow::close_period(tx, ledger, through, actor))?)
    }

    fn closed_through(&mut self, ledger: &str) -> Result<Option<NaiveDate>, StoreError> {
        Ok(self.read_ledger(ledger, |tx| writer::closed_through(tx, ledger))?)
    }
}
