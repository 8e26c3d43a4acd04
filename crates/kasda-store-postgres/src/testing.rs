//! Fresh throw-away databases for tests (this crate's and the kasda binary's e2e tests).
//!
//! The server is taken from `KASDA_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, a superuser: tests create databases, roles
//! and tamper as superuser). Each [`TestDatabase`] is a new database with a unique name,
//! dropped (`WITH (FORCE)`) when the guard is dropped — on success, failure or panic alike.
//! A server that cannot be reached is a test failure with instructions, never a skip.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{connect_on, redact_url, runtime, PgError, PgStore};

/// Where tests find PostgreSQL when `KASDA_TEST_DATABASE_URL` is not set.
pub const DEFAULT_TEST_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How to get a server, for failure messages.
pub const HOW_TO_START: &str = "start PostgreSQL with `pg_ctlcluster --skip-systemctl-redirect \
     $(ls /etc/postgresql) main start`, or point KASDA_TEST_DATABASE_URL at a server where this \
     user may create databases and roles";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The administrative URL tests connect to.
pub fn admin_url() -> String {
    std::env::var("KASDA_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_URL.to_string())
}

/// `url` with its user and/or database replaced (URL form `postgres://user@host/db?…`, or the
/// `key=value` form).
pub fn url_with(url: &str, user: Option<&str>, database: Option<&str>) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (main, query) = match rest.split_once('?') {
            Some((m, q)) => (m, format!("?{q}")),
            None => (rest, String::new()),
        };
        let (authority, path) = match main.split_once('/') {
            Some((a, p)) => (a, p),
            None => (main, ""),
        };
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let userinfo = match (user, userinfo) {
            (Some(u), _) => Some(u.to_string()),
            (None, u) => u.map(str::to_string),
        };
        let db = database.unwrap_or(path);
        match userinfo {
            Some(u) => format!("{scheme}://{u}@{host}/{db}{query}"),
            None => format!("{scheme}://{host}/{db}{query}"),
        }
    } else {
        let mut parts: Vec<String> = url
            .split_whitespace()
            .filter(|kv| {
                let k = kv.split('=').next().unwrap_or("");
                !(user.is_some() && k == "user" || database.is_some() && k == "dbname")
            })
            .map(str::to_string)
            .collect();
        if let Some(u) = user {
            parts.push(format!("user={u}"));
        }
        if let Some(d) = database {
            parts.push(format!("dbname={d}"));
        }
        parts.join(" ")
    }
}

/// A unique lower-case name with `prefix`, usable as a database or role name.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A database created for one test and dropped with the guard.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates a fresh, empty database on the test server.
    pub fn create() -> Result<TestDatabase, PgError> {
        let admin = admin_url();
        let name = unique_name("kasda_test");
        let rt = runtime()?;
        let client = connect_on(&rt, &admin)?;
        rt.block_on(client.batch_execute(&format!("CREATE DATABASE {name}")))
            .map_err(|e| PgError::Connect {
                url: redact_url(&admin),
                message: format!("CREATE DATABASE {name}: {}", crate::describe(&e)),
            })?;
        Ok(TestDatabase {
            url: url_with(&admin, None, Some(&name)),
            admin_url: admin,
            name,
        })
    }

    /// URL of the new database (as the admin user).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// URL of the new database for another user (e.g. a test login role).
    pub fn url_as(&self, user: &str) -> String {
        url_with(&self.url, Some(user), None)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A store connected to this database as the admin user (not migrated).
    pub fn connect(&self) -> Result<PgStore, PgError> {
        PgStore::connect(&self.url)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: a database left behind is named kasda_test_<pid>_… and harmless.
        let Ok(rt) = runtime() else { return };
        let Ok(client) = connect_on(&rt, &self.admin_url) else {
            return;
        };
        let _ = rt.block_on(client.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )));
    }
}

/// A fresh database, or a panic saying how to get a server.
pub fn fresh_database() -> TestDatabase {
    match TestDatabase::create() {
        Ok(db) => db,
        Err(e) => panic!(
            "PostgreSQL tests need a server at {}: {e}; {HOW_TO_START}",
            redact_url(&admin_url())
        ),
    }
}

/// A store on a fresh database that is dropped together with the store (not migrated: the
/// conformance suite migrates).
pub fn fresh_store() -> PgStore {
    let db = fresh_database();
    match db.connect() {
        Ok(s) => s.with_test_database(db),
        Err(e) => panic!("cannot connect to the fresh test database: {e}; {HOW_TO_START}"),
    }
}

impl PgStore {
    /// Applies the pending migrations up to `version` only: the older schema an upgrade test
    /// starts from (`Store::migrate` then applies the rest).
    pub fn migrate_through(
        &mut self,
        version: u32,
    ) -> Result<Vec<kasda_store::MigrationInfo>, kasda_store::StoreError> {
        self.rt
            .block_on(crate::migrate::migrate_through(&mut self.client, version))
    }

    /// Runs one statement with parameters; returns the rows it touched (tests: rows written as
    /// an older schema wrote them).
    pub fn execute_with(
        &mut self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, kasda_store::StoreError> {
        self.rt.block_on(async {
            self.client
                .execute(sql, params)
                .await
                .map_err(|e| crate::map_err("execute", e))
        })
    }

    /// The single bigint `sql` answers (tests and benches: counts and sizes).
    pub fn query_i64(
        &mut self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<i64, kasda_store::StoreError> {
        self.rt.block_on(async {
            let row = self
                .client
                .query_one(sql, params)
                .await
                .map_err(|e| crate::map_err("query", e))?;
            row.try_get(0).map_err(|e| crate::map_err("query", e))
        })
    }
}

/// A migrated store on a fresh database and a memory store (the oracle), both holding
/// `ledger`: the setup of the unit tests that compare the two.
#[cfg(test)]
pub(crate) fn store_and_oracle(ledger: &str) -> (PgStore, kasda_store::memory::MemoryStore) {
    use kasda_store::Store;
    let mut pg = fresh_store();
    pg.migrate().expect("migrate");
    let mut mem = kasda_store::memory::MemoryStore::new();
    let info = kasda_store::LedgerInfo {
        code: ledger.into(),
        name: "Kota".into(),
    };
    pg.ensure_ledger(&info).expect("pg ledger");
    mem.ensure_ledger(&info).expect("memory ledger");
    (pg, mem)
}

#[cfg(test)]
mod tests {
    use super::url_with;

    #[test]
    fn url_user_and_database_are_replaced() {
        assert_eq!(
            url_with(
                "postgres://postgres@127.0.0.1:5432/postgres",
                None,
                Some("kasda_x")
            ),
            "postgres://postgres@127.0.0.1:5432/kasda_x"
        );
        assert_eq!(
            url_with("postgres://u:pw@h/db?sslmode=disable", Some("aud"), None),
            "postgres://aud@h/db?sslmode=disable"
        );
        assert_eq!(
            url_with("postgresql://h:5433", None, Some("d")),
            "postgresql://h:5433/d"
        );
        assert_eq!(
            url_with("host=h user=u dbname=a", Some("v"), Some("b")),
            "host=h user=v dbname=b"
        );
    }
}
