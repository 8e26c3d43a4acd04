//! Schema migrations: numbered SQL files from `schema/postgres/`, embedded at build time,
//! identified by sha256, applied in order inside one transaction under a database-wide
//! advisory lock and recorded in `kasda_schema_migrations`. A migration whose text changed
//! after it was applied is refused (both checksums named) and nothing is applied.

use chrono::{DateTime, Utc};
use kasda_store::{MigrationInfo, StoreError};
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use crate::map_err;

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Add new files at the end; never edit an applied one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../../schema/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_append_one_trip.sql",
        sql: include_str!("../../../schema/postgres/0002_append_one_trip.sql"),
    },
    Migration {
        version: 3,
        name: "0003_opening_balance.sql",
        sql: include_str!("../../../schema/postgres/0003_opening_balance.sql"),
    },
    Migration {
        version: 4,
        name: "0004_report_documents_by_kind.sql",
        sql: include_str!("../../../schema/postgres/0004_report_documents_by_kind.sql"),
    },
    Migration {
        version: 5,
        name: "0005_append_group.sql",
        sql: include_str!("../../../schema/postgres/0005_append_group.sql"),
    },
    Migration {
        version: 6,
        name: "0006_opening_balance_key_and_statistics.sql",
        sql: include_str!("../../../schema/postgres/0006_opening_balance_key_and_statistics.sql"),
    },
    Migration {
        version: 7,
        name: "0007_lean_storage.sql",
        sql: include_str!("../../../schema/postgres/0007_lean_storage.sql"),
    },
    Migration {
        version: 8,
        name: "0008_hash_bytes.sql",
        sql: include_str!("../../../schema/postgres/0008_hash_bytes.sql"),
    },
    Migration {
        version: 9,
        name: "0009_file_bytes.sql",
        sql: include_str!("../../../schema/postgres/0009_file_bytes.sql"),
    },
    Migration {
        version: 10,
        name: "0010_import_checks.sql",
        sql: include_str!("../../../schema/postgres/0010_import_checks.sql"),
    },
    Migration {
        version: 11,
        name: "0011_check_cleanup.sql",
        sql: include_str!("../../../schema/postgres/0011_check_cleanup.sql"),
    },
    Migration {
        version: 12,
        name: "0012_report_aggregates.sql",
        sql: include_str!("../../../schema/postgres/0012_report_aggregates.sql"),
    },
    Migration {
        version: 13,
        name: "0013_check_set_based.sql",
        sql: include_str!("../../../schema/postgres/0013_check_set_based.sql"),
    },
    Migration {
        version: 14,
        name: "0014_narrow_natural_keys.sql",
        sql: include_str!("../../../schema/postgres/0014_narrow_natural_keys.sql"),
    },
    Migration {
        version: 15,
        name: "0015_hot_appends.sql",
        sql: include_str!("../../../schema/postgres/0015_hot_appends.sql"),
    },
    Migration {
        version: 16,
        name: "0016_aggregates_without_nested_loops.sql",
        sql: include_str!("../../../schema/postgres/0016_aggregates_without_nested_loops.sql"),
    },
    Migration {
        version: 17,
        name: "0017_commit_checks_without_jit.sql",
        sql: include_str!("../../../schema/postgres/0017_commit_checks_without_jit.sql"),
    },
    Migration {
        version: 18,
        name: "0018_close_facts_by_hash_again.sql",
        sql: include_str!("../../../schema/postgres/0018_close_facts_by_hash_again.sql"),
    },
];

/// Key of the advisory lock that serialises migrations within one database.
const MIGRATION_LOCK: i64 = 0x6b61_7364_615f_6d67; // "kasda_mg"

/// sha256 of a migration's text, lower-case hex.
pub fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS kasda_schema_migrations (
    version     integer     NOT NULL PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL
)";

async fn recorded(
    tx: &tokio_postgres::Transaction<'_>,
) -> Result<Vec<(u32, String, String, DateTime<Utc>)>, StoreError> {
    let exists: bool = tx
        .query_one(
            "SELECT to_regclass('kasda_schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| map_err("read migrations", e))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = tx
        .query(
            "SELECT version, name, checksum, applied_at FROM kasda_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(|e| map_err("read migrations", e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let v: i32 = r.get(0);
            (v.max(0) as u32, r.get(1), r.get(2), r.get(3))
        })
        .collect())
}

fn check_unchanged(recorded: &[(u32, String, String, DateTime<Utc>)]) -> Result<(), StoreError> {
    for (version, name, sum, _) in recorded {
        if let Some(m) = MIGRATIONS.iter().find(|m| m.version == *version) {
            let found = checksum(m.sql);
            if &found != sum {
                return Err(StoreError::MigrationChanged {
                    name: name.clone(),
                    recorded: sum.clone(),
                    found,
                });
            }
        }
    }
    Ok(())
}

/// Applies the pending migrations; returns those applied now.
pub async fn migrate(client: &mut Client) -> Result<Vec<MigrationInfo>, StoreError> {
    migrate_through(client, u32::MAX).await
}

/// Applies the pending migrations up to `version` (tests of an upgrade from an older schema).
pub async fn migrate_through(
    client: &mut Client,
    version: u32,
) -> Result<Vec<MigrationInfo>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| map_err("migrate: begin", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| map_err("migrate: lock", e))?;
    let done = recorded(&tx).await?;
    check_unchanged(&done)?;
    tx.batch_execute(CREATE_TABLE)
        .await
        .map_err(|e| map_err("migrate: create kasda_schema_migrations", e))?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version <= version) {
        if done.iter().any(|(v, ..)| *v == m.version) {
            continue;
        }
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| map_err(&format!("migrate: apply {}", m.name), e))?;
        let sum = checksum(m.sql);
        let version = m.version as i32;
        let row = tx
            .query_one(
                "INSERT INTO kasda_schema_migrations (version, name, checksum, applied_at)
                 VALUES ($1, $2, $3, date_trunc('microseconds', clock_timestamp()))
                 RETURNING applied_at",
                &[&version, &m.name, &sum],
            )
            .await
            .map_err(|e| map_err(&format!("migrate: record {}", m.name), e))?;
        applied.push(MigrationInfo {
            version: m.version,
            name: m.name.to_string(),
            checksum: sum,
            applied_at: Some(row.get(0)),
        });
    }
    tx.commit()
        .await
        .map_err(|e| map_err("migrate: commit", e))?;
    Ok(applied)
}

/// Every known migration with its state; recorded migrations that this build does not know
/// (a newer binary applied them) are listed too.
pub async fn status(client: &mut Client) -> Result<Vec<MigrationInfo>, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| map_err("migration status", e))?;
    let done = recorded(&tx).await?;
    tx.commit()
        .await
        .map_err(|e| map_err("migration status", e))?;
    check_unchanged(&done)?;
    let mut out: Vec<MigrationInfo> = MIGRATIONS
        .iter()
        .map(|m| MigrationInfo {
            version: m.version,
            name: m.name.to_string(),
            checksum: checksum(m.sql),
            applied_at: done
                .iter()
                .find(|(v, ..)| *v == m.version)
                .map(|(.., at)| *at),
        })
        .collect();
    for (version, name, sum, at) in done {
        if !MIGRATIONS.iter().any(|m| m.version == version) {
            out.push(MigrationInfo {
                version,
                name,
                checksum: sum,
                applied_at: Some(at),
            });
        }
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}
