//! Numbered, checksummed schema migrations, embedded from `schema/sqlite/`.
//!
//! Each file is applied at most once, all pending files in one transaction, and its sha256 is
//! recorded in `schema_migrations`. A file whose text changed after it was applied is refused
//! (naming the file and both checksums): a ledger's schema is part of its audit trail.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::SqliteError;

/// One embedded migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The migrations this build knows, in order. Append only: never edit or renumber a file.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../../schema/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_entries_by_run.sql",
        sql: include_str!("../../../schema/sqlite/0002_entries_by_run.sql"),
    },
    Migration {
        version: 3,
        name: "0003_report_postings_by_account.sql",
        sql: include_str!("../../../schema/sqlite/0003_report_postings_by_account.sql"),
    },
    Migration {
        version: 4,
        name: "0004_opening_balance.sql",
        sql: include_str!("../../../schema/sqlite/0004_opening_balance.sql"),
    },
    Migration {
        version: 5,
        name: "0005_seal_entries_per_run.sql",
        sql: include_str!("../../../schema/sqlite/0005_seal_entries_per_run.sql"),
    },
    Migration {
        version: 6,
        name: "0006_opening_balance_key.sql",
        sql: include_str!("../../../schema/sqlite/0006_opening_balance_key.sql"),
    },
    Migration {
        version: 7,
        name: "0007_import_without_statement_journal.sql",
        sql: include_str!("../../../schema/sqlite/0007_import_without_statement_journal.sql"),
    },
    Migration {
        version: 8,
        name: "0008_cheaper_seal.sql",
        sql: include_str!("../../../schema/sqlite/0008_cheaper_seal.sql"),
    },
    Migration {
        version: 9,
        name: "0009_report_aggregates.sql",
        sql: include_str!("../../../schema/sqlite/0009_report_aggregates.sql"),
    },
    Migration {
        version: 10,
        name: "0010_cheaper_report_aggregates.sql",
        sql: include_str!("../../../schema/sqlite/0010_cheaper_report_aggregates.sql"),
    },
    Migration {
        version: 11,
        name: "0011_report_flows_by_writer.sql",
        sql: include_str!("../../../schema/sqlite/0011_report_flows_by_writer.sql"),
    },
];

/// State of one migration in a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationState {
    pub version: i64,
    pub name: String,
    /// sha256 of the file in this build, hex.
    pub sha256: String,
    /// When it was applied (µs since epoch, UTC); `None` while pending.
    pub applied_at_us: Option<i64>,
}

pub fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

const CREATE_TABLE: &str = "
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    sha256      TEXT    NOT NULL CHECK (length(sha256) = 64),
    applied_at  INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS schema_migrations_no_update BEFORE UPDATE ON schema_migrations
BEGIN SELECT RAISE(ABORT, 'kasda: schema_migrations is append-only'); END;
CREATE TRIGGER IF NOT EXISTS schema_migrations_no_delete BEFORE DELETE ON schema_migrations
BEGIN SELECT RAISE(ABORT, 'kasda: schema_migrations is append-only'); END;
";

fn applied(conn: &Connection) -> Result<Vec<(i64, String, String, i64)>, SqliteError> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT version, name, sha256, applied_at FROM schema_migrations ORDER BY version",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Compares what the database recorded with this build's files.
fn reconcile(recorded: &[(i64, String, String, i64)]) -> Result<Vec<MigrationState>, SqliteError> {
    for (version, name, _, _) in recorded {
        if !MIGRATIONS.iter().any(|m| m.version == *version) {
            return Err(SqliteError::MigrationUnknown {
                version: *version,
                name: name.clone(),
            });
        }
    }
    let mut out = Vec::with_capacity(MIGRATIONS.len());
    for m in MIGRATIONS {
        let current = checksum(m.sql);
        let row = recorded.iter().find(|(v, _, _, _)| *v == m.version);
        if let Some((_, _, sha, _)) = row {
            if *sha != current {
                return Err(SqliteError::MigrationChanged {
                    file: format!("schema/sqlite/{}", m.name),
                    applied: sha.clone(),
                    current,
                });
            }
        }
        out.push(MigrationState {
            version: m.version,
            name: m.name.to_string(),
            sha256: current,
            applied_at_us: row.map(|(_, _, _, at)| *at),
        });
    }
    Ok(out)
}

/// State of every known migration, checking recorded checksums.
pub fn status(conn: &Connection) -> Result<Vec<MigrationState>, SqliteError> {
    reconcile(&applied(conn)?)
}

/// Applies every pending migration in one immediate transaction; returns the full status.
pub fn migrate(conn: &mut Connection, now_us: i64) -> Result<Vec<MigrationState>, SqliteError> {
    migrate_through(conn, now_us, i64::MAX)
}

/// Applies the pending migrations up to version `last` (a database left at an older schema, as
/// the upgrade tests need); returns the full status.
///
/// Foreign keys are off while migrations run, as SQLite requires for rebuilding a table (0005
/// rebuilds `entries` and `postings`: dropping the old table must not cascade or count as a
/// violation). `PRAGMA foreign_key_check` must then come back empty before the commit, and the
/// connection's setting is restored whatever happened.
pub fn migrate_through(
    conn: &mut Connection,
    now_us: i64,
    last: i64,
) -> Result<Vec<MigrationState>, SqliteError> {
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    if enforced {
        conn.pragma_update(None, "foreign_keys", "OFF")?;
    }
    let result = apply(conn, now_us, last);
    if enforced {
        conn.pragma_update(None, "foreign_keys", "ON")?;
    }
    result
}

fn apply(
    conn: &mut Connection,
    now_us: i64,
    last: i64,
) -> Result<Vec<MigrationState>, SqliteError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(CREATE_TABLE)?;
    let states = reconcile(&applied(&tx)?)?;
    let mut applied_now = 0;
    for (m, state) in MIGRATIONS.iter().zip(&states) {
        if state.applied_at_us.is_some() || m.version > last {
            continue;
        }
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, state.sha256, now_us],
        )?;
        applied_now += 1;
    }
    let states = reconcile(&applied(&tx)?)?;
    if applied_now == 0 {
        // Nothing ran with foreign keys off, so there is nothing to check: every open of an
        // up-to-date file comes here, and the check reads every table of the database (seconds
        // and the whole page cache on a ledger of a few GB).
        tx.commit()?;
        return Ok(states);
    }
    let broken: Option<(String, i64, String)> = tx
        .query_row("PRAGMA foreign_key_check", [], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                r.get(2)?,
            ))
        })
        .optional()?;
    if let Some((table, rowid, parent)) = broken {
        return Err(SqliteError::Refused {
            message: format!(
                "migration left a dangling foreign key: {table} row {rowid} refers to a missing {parent} row"
            ),
        });
    }
    tx.commit()?;
    Ok(states)
}
