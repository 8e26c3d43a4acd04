//! kasda-store-postgres: the PostgreSQL ledger store.
//!
//! [`PgStore`] implements [`kasda_store::Store`] over one tokio-postgres connection, driven by a
//! current-thread tokio runtime the store owns (the trait is synchronous). The schema lives in
//! `schema/postgres/*.sql` and is embedded here ([`migrate`]).
//!
//! What PostgreSQL itself enforces (not just this code): append-only tables (UPDATE, DELETE and
//! TRUNCATE raise SQLSTATE `KD001`), balanced entries with at least two postings and an unbroken
//! hash-chain link checked at COMMIT by a deferred constraint trigger, sealed postings, monotonic
//! period closes, maker-checker, least-privilege roles and row-level security per ledger
//! ([`roles`]).
//!
//! Writes run in one transaction each and first take a per-ledger transaction advisory lock, so
//! that concurrent writers into one ledger queue up (the chain is serial per ledger) and never
//! deadlock, while writers into different ledgers run in parallel. Imports pre-filter natural
//! keys under that lock and then stream lines, documents, entries, postings and balance deltas
//! with binary COPY ([`write`]).

use kasda_store::StoreError;
use tokio::runtime::Runtime;
use tokio_postgres::{Client, Config, NoTls};

pub mod bench;
pub mod export;
mod group;
mod linebody;
pub mod migrate;
mod pgtypes;
mod read;
mod recon_read;
pub mod roles;
mod store;
pub mod tamper;
pub mod testing;
mod verify;
pub mod write;

pub use migrate::MIGRATIONS;
pub use write::ImportStage;

/// Errors of this crate outside the [`kasda_store::Store`] trait (connecting, roles, tests).
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("cannot connect to PostgreSQL at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("invalid PostgreSQL URL {url}: {message}")]
    Url { url: String, message: String },
    #[error("invalid {what} {found:?}: expected {expected}")]
    InvalidName {
        what: String,
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A kasda ledger in one PostgreSQL database.
pub struct PgStore {
    // Field order is drop order: the connection goes first, then its runtime, and only then a
    // test database may be dropped.
    pub(crate) client: Client,
    pub(crate) rt: Runtime,
    url: String,
    /// The URL as given (password included) for [`PgStore::try_clone`]; never printed.
    conninfo: String,
    /// The group commit this store shares with its clones ([`group`]).
    pub(crate) group: std::sync::Arc<group::GroupCommit>,
    /// Whether the session bypasses row-level security (decides COPY targets); asked lazily.
    pub(crate) direct_copy: Option<bool>,
    _test_db: Option<testing::TestDatabase>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    // URL form: scheme://user:password@host/...
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:***@{host}{tail}");
            }
        }
        return url.to_string();
    }
    // key=value form: host=... password=...
    url.split_whitespace()
        .map(|kv| {
            if kv.to_ascii_lowercase().starts_with("password=") {
                "password=***".to_string()
            } else {
                kv.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the runtime every store (and the test-database guard) blocks on.
pub(crate) fn runtime() -> Result<Runtime, PgError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PgError::Connect {
            url: String::new(),
            message: format!("cannot start the tokio runtime: {e}"),
        })
}

/// Connects on `rt`, spawning the connection task there.
pub(crate) fn connect_on(rt: &Runtime, url: &str) -> Result<Client, PgError> {
    let config: Config = url.parse().map_err(|e| PgError::Url {
        url: redact_url(url),
        message: format!("{e}"),
    })?;
    let (client, connection) =
        rt.block_on(config.connect(NoTls))
            .map_err(|e| PgError::Connect {
                url: redact_url(url),
                message: describe(&e),
            })?;
    rt.spawn(async move {
        // The connection ends when the client is dropped or the server goes away; a
        // failure shows up as an error on the next query, so nothing to report here.
        let _ = connection.await;
    });
    Ok(client)
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db` or `host=… dbname=…`). TLS is not
    /// used: run the store next to its database or through a TLS-terminating tunnel.
    pub fn connect(url: &str) -> Result<PgStore, PgError> {
        let rt = runtime()?;
        let client = connect_on(&rt, url)?;
        let store = PgStore {
            client,
            rt,
            url: redact_url(url),
            conninfo: url.to_string(),
            group: Default::default(),
            direct_copy: None,
            _test_db: None,
        };
        Ok(store)
    }

    /// A second store on a new connection (same URL and login) that shares this store's
    /// group commit: give each thread of a process its own clone, and their concurrent small
    /// appends into one ledger are written together, one transaction and one disk flush for
    /// many callers ([`kasda_store::Store::append_entries`]). A clone does not keep a test
    /// database alive; session settings made through [`PgStore::execute_sql`] stay on the
    /// store that made them (a group may be written on any member's connection).
    pub fn try_clone(&self) -> Result<PgStore, PgError> {
        let rt = runtime()?;
        let client = connect_on(&rt, &self.conninfo)?;
        Ok(PgStore {
            client,
            rt,
            url: self.url.clone(),
            conninfo: self.conninfo.clone(),
            group: self.group.clone(),
            direct_copy: self.direct_copy,
            _test_db: None,
        })
    }

    pub(crate) fn with_test_database(mut self, db: testing::TestDatabase) -> PgStore {
        self._test_db = Some(db);
        self
    }

    /// The URL this store connected to, password redacted.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs plain SQL (several statements allowed) on the store's connection; for tests and
    /// operations tooling (the application API is [`kasda_store::Store`]).
    pub fn execute_sql(&mut self, sql: &str) -> Result<(), StoreError> {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .map_err(|e| map_err("execute_sql", e))
    }
}

/// The server's message with its detail, or the client error text.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(": ");
                s.push_str(d);
            }
            s
        }
        None => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(inner) = src {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                src = inner.source();
            }
            s
        }
    }
}

/// Maps a driver error to the trait's error: append-only refusals by the triggers become
/// [`StoreError::AppendOnly`], lock timeouts [`StoreError::Locked`], the rest
/// [`StoreError::Backend`] naming the operation.
pub(crate) fn map_err(operation: &str, e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        match db.code().code() {
            "KD001" => {
                return StoreError::AppendOnly {
                    table: db.detail().unwrap_or("?").to_string(),
                    operation: db.hint().unwrap_or("?").to_string(),
                }
            }
            "55P03" => {
                return StoreError::Locked {
                    path: "PostgreSQL lock".to_string(),
                    waited_ms: 0,
                }
            }
            _ => {}
        }
    }
    StoreError::backend(operation, describe(&e))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://kasda:s3cret@db.example:5432/kasda?sslmode=require"),
            "postgres://kasda:***@db.example:5432/kasda?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://kasda@db/kasda"),
            "postgres://kasda@db/kasda"
        );
        assert_eq!(
            redact_url("host=db user=kasda password=s3cret dbname=kasda"),
            "host=db user=kasda password=*** dbname=kasda"
        );
        assert!(!redact_url("postgres://a:p%40ss@h/d").contains("p%40ss"));
    }
}
