//! The conformance suite's hooks for attacking the store from underneath its API.
//!
//! Test support only: the application never calls these. Tampering is done the way an attacker
//! with file access would: dropping the append-only triggers, editing rows, and putting the
//! triggers back, all in one transaction. `verify` must then point at the damaged entry.

use kasda_core::ledger::GENESIS_HASH;
use kasda_store::{Mutation, StoreError, TamperHook};
use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;

use crate::error::SqliteError;
use crate::writer::{from_minor, to_minor};
use crate::SqliteStore;

/// Runs `f` with the named triggers dropped, recreating them from their stored SQL afterwards.
fn without_triggers<T>(
    tx: &Transaction<'_>,
    triggers: &[&str],
    f: impl FnOnce(&Transaction<'_>) -> Result<T, SqliteError>,
) -> Result<T, SqliteError> {
    let mut saved = Vec::with_capacity(triggers.len());
    for name in triggers {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?;
        let sql = sql.ok_or_else(|| SqliteError::Refused {
            message: format!("trigger {name} is missing from the schema"),
        })?;
        tx.execute_batch(&format!("DROP TRIGGER {name}"))?;
        saved.push(sql);
    }
    let out = f(tx)?;
    for sql in saved {
        tx.execute_batch(&sql)?;
    }
    Ok(out)
}

impl TamperHook for SqliteStore {
    fn tamper_amount(&mut self, ledger: &str, seq: i64, factor: Decimal) -> Result<(), StoreError> {
        Ok(self.write(|tx| {
            let mut stmt = tx.prepare("SELECT idx, amount, currency FROM postings WHERE ledger = ?1 AND seq = ?2")?;
            let rows = stmt
                .query_map(params![ledger, seq], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            if rows.is_empty() {
                return Err(StoreError::Corrupt(format!("no entry {seq} to tamper with")).into());
            }
            without_triggers(tx, &["postings_no_update"], |tx| {
                for (idx, minor, cur) in rows {
                    let currency = kasda_core::money::Currency::parse(&cur)
                        .map_err(|_| StoreError::Corrupt(format!("posting {seq}/{idx} has currency {cur:?}")))?;
                    let scaled = from_minor(minor, currency) * factor;
                    let new_minor = to_minor(scaled.round_dp(currency.scale()), currency)
                        .ok_or_else(|| StoreError::Corrupt(format!("tampered amount {scaled} out of range")))?;
                    tx.execute(
                        "UPDATE postings SET amount = ?1 WHERE ledger = ?2 AND seq = ?3 AND idx = ?4",
                        params![new_minor, ledger, seq, idx],
                    )?;
                }
                Ok(())
            })
        })?)
    }

    fn delete_entry(&mut self, ledger: &str, seq: i64) -> Result<(), StoreError> {
        // Foreign keys (joins, reversal links) would stop the deletion; an attacker turns them
        // off, and so does this hook. The pragma cannot change inside a transaction.
        self.connection()
            .pragma_update(None, "foreign_keys", "OFF")
            .map_err(SqliteError::from)?;
        let r = self.write(|tx| {
            without_triggers(
                tx,
                &[
                    "entries_no_delete",
                    "postings_no_delete",
                    "entry_joins_no_delete",
                ],
                |tx| {
                    tx.execute(
                        "DELETE FROM entry_joins WHERE ledger = ?1 AND seq = ?2",
                        params![ledger, seq],
                    )?;
                    tx.execute(
                        "DELETE FROM postings WHERE ledger = ?1 AND seq = ?2",
                        params![ledger, seq],
                    )?;
                    let n = tx.execute(
                        "DELETE FROM entries WHERE ledger = ?1 AND seq = ?2",
                        params![ledger, seq],
                    )?;
                    if n == 0 {
                        return Err(StoreError::Corrupt(format!("no entry {seq} to delete")).into());
                    }
                    Ok(())
                },
            )
        });
        self.connection()
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(SqliteError::from)?;
        Ok(r?)
    }

    fn insert_raw_unbalanced(&mut self, ledger: &str) -> Result<(), StoreError> {
        // Plain SQL with a correct chain link, written in the store's order (postings, entry,
        // then the run row that seals it), so the only thing wrong is the balance: the seal
        // trigger on `runs` must be what refuses it.
        Ok(self.write(|tx| {
            let (head, head_hash): (i64, String) = tx
                .query_row(
                    "SELECT seq, hash FROM entries WHERE ledger = ?1 ORDER BY seq DESC LIMIT 1",
                    params![ledger],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, GENESIS_HASH.to_string()));
            let seq = head + 1;
            let next_id: i64 = tx.query_row(
                "SELECT coalesce(max(account_id), 0) FROM accounts WHERE ledger = ?1",
                params![ledger],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO accounts (ledger, account_id, key, kind, qualifier) VALUES
                 (?1, ?2, 'kas-daerah/raw-test', 'kas-daerah', 'raw-test'),
                 (?1, ?3, 'penerimaan-belum-teridentifikasi/raw-test', 'penerimaan-belum-teridentifikasi', 'raw-test')",
                params![ledger, next_id + 1, next_id + 2],
            )?;
            tx.execute(
                "INSERT INTO postings (ledger, seq, idx, account_id, side, amount, currency) VALUES
                 (?1, ?2, 0, ?3, 'debit', 10000, 'IDR'), (?1, ?2, 1, ?4, 'credit', 9900, 'IDR')",
                params![ledger, seq, next_id + 1, next_id + 2],
            )?;
            let run_id: i64 = tx.query_row(
                "SELECT coalesce(max(run_id), 0) + 1 FROM runs WHERE ledger = ?1",
                params![ledger],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO entries (ledger, seq, kind, booked_on, value_date, natural_key, position, memo, reverses,
                                      source_sha256, run_id, recorded_at, prev_hash, hash)
                 VALUES (?1, ?2, 'opening', '2026-01-01', '2026-01-01', 'raw:unbalanced', '', '', NULL, NULL,
                         ?3, 0, ?4, ?5)",
                params![ledger, seq, run_id, head_hash, "f".repeat(64)],
            )?;
            tx.execute(
                "INSERT INTO runs (ledger, run_id, kind, actor, started_at, finished_at, details)
                 VALUES (?1, ?2, 'manual', 'raw', 0, 0, 'null')",
                params![ledger, run_id],
            )?;
            Ok(())
        })?)
    }

    fn try_mutation(&mut self, ledger: &str, mutation: Mutation) -> Result<(), StoreError> {
        let (sql, seq) = match mutation {
            Mutation::UpdateEntryMemo { seq } => (
                "UPDATE entries SET memo = 'changed' WHERE ledger = ?1 AND seq = ?2",
                seq,
            ),
            Mutation::DeleteEntry { seq } => {
                ("DELETE FROM entries WHERE ledger = ?1 AND seq = ?2", seq)
            }
            Mutation::UpdatePostingAmount { seq } => (
                "UPDATE postings SET amount = amount + 100 WHERE ledger = ?1 AND seq = ?2",
                seq,
            ),
            Mutation::DeletePosting { seq } => {
                ("DELETE FROM postings WHERE ledger = ?1 AND seq = ?2", seq)
            }
            Mutation::DeleteStatementLines => (
                "DELETE FROM statement_lines WHERE ledger = ?1 AND ?2 IS NOT NULL",
                0,
            ),
            Mutation::DeleteDocuments => (
                "DELETE FROM documents WHERE ledger = ?1 AND ?2 IS NOT NULL",
                0,
            ),
            Mutation::DeleteFiles => (
                "DELETE FROM source_files WHERE ledger = ?1 AND ?2 IS NOT NULL",
                0,
            ),
            Mutation::DeleteRuns => ("DELETE FROM runs WHERE ledger = ?1 AND ?2 IS NOT NULL", 0),
            Mutation::DeleteFindings => (
                "DELETE FROM findings WHERE ledger = ?1 AND ?2 IS NOT NULL",
                0,
            ),
        };
        Ok(self.write(|tx| {
            let changed = tx.execute(sql, params![ledger, seq])?;
            if changed > 0 {
                return Ok(());
            }
            // Nothing matched, so no trigger fired. What protects the table is then the trigger
            // itself: report the refusal it guarantees if (and only if) it is installed.
            let table = sql
                .split_whitespace()
                .skip_while(|w| *w != "FROM" && *w != "UPDATE")
                .nth(1)
                .unwrap_or_default();
            let (suffix, operation) = if sql.starts_with("UPDATE") {
                ("no_update", "UPDATE")
            } else {
                ("no_delete", "DELETE")
            };
            let trigger = format!("{table}_{suffix}");
            let installed: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    params![trigger],
                    |r| r.get(0),
                )
                .optional()?;
            match installed {
                Some(_) => Err(StoreError::AppendOnly {
                    table: table.to_string(),
                    operation: format!(
                        "{operation} (no rows matched; trigger {trigger} refuses any)"
                    ),
                }
                .into()),
                None => Ok(()),
            }
        })?)
    }
}
