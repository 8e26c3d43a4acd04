//! Attacks from underneath the API, for tests: the conformance suite's [`TamperHook`] and a
//! general "run this SQL with the triggers off" for tamper tests of dates, accounts and rows.
//!
//! Tampering needs a superuser (ALTER TABLE … DISABLE TRIGGER ALL switches off the append-only
//! triggers and the foreign keys); the application never calls anything here.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{Mutation, StoreError, TamperHook};
use rust_decimal::Decimal;
use tokio_postgres::types::ToSql;

use crate::write::{json_text, lock_ledger, require_ledger};
use crate::{map_err, PgStore};

impl PgStore {
    /// Runs `sql` (with `params`) in one transaction with every trigger of `tables` disabled,
    /// as a superuser would to tamper with the ledger; returns the rows it touched. The
    /// triggers are enabled again before COMMIT, so only this transaction bypasses them.
    pub fn with_triggers_disabled(
        &mut self,
        tables: &[&str],
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        for t in tables {
            if !t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') || t.is_empty() {
                return Err(StoreError::InvalidInput {
                    field: "table".into(),
                    expected: "a kasda table name".into(),
                    found: t.to_string(),
                });
            }
        }
        self.rt.block_on(async {
            let tx = self
                .client
                .transaction()
                .await
                .map_err(|e| map_err("tamper: begin", e))?;
            for t in tables {
                tx.batch_execute(&format!("ALTER TABLE {t} DISABLE TRIGGER ALL"))
                    .await
                    .map_err(|e| map_err("tamper: disable triggers", e))?;
            }
            let n = tx
                .execute(sql, params)
                .await
                .map_err(|e| map_err("tamper", e))?;
            for t in tables {
                tx.batch_execute(&format!("ALTER TABLE {t} ENABLE TRIGGER ALL"))
                    .await
                    .map_err(|e| map_err("tamper: enable triggers", e))?;
            }
            tx.commit()
                .await
                .map_err(|e| map_err("tamper: commit", e))?;
            Ok(n)
        })
    }
}

fn none_touched(what: &str, seq: i64) -> StoreError {
    StoreError::Corrupt(format!("no entry {seq} to {what}"))
}

impl TamperHook for PgStore {
    fn tamper_amount(&mut self, ledger: &str, seq: i64, factor: Decimal) -> Result<(), StoreError> {
        let n = self.with_triggers_disabled(
            &["postings"],
            "UPDATE postings SET amount = amount * $3 WHERE ledger_id = $1 AND seq = $2",
            &[&ledger, &seq, &factor],
        )?;
        if n == 0 {
            return Err(none_touched("tamper with", seq));
        }
        Ok(())
    }

    fn delete_entry(&mut self, ledger: &str, seq: i64) -> Result<(), StoreError> {
        let n = self.with_triggers_disabled(
            &["entries", "postings", "entry_joins"],
            "WITH j AS (DELETE FROM entry_joins WHERE ledger_id = $1 AND seq = $2),
                  p AS (DELETE FROM postings WHERE ledger_id = $1 AND seq = $2)
             DELETE FROM entries WHERE ledger_id = $1 AND seq = $2",
            &[&ledger, &seq],
        )?;
        if n == 0 {
            return Err(none_touched("delete", seq));
        }
        Ok(())
    }

    /// Writes an entry with debit 100 / credit 99 through plain SQL (a correct run, accounts,
    /// seq and prev_hash, so only the balance is wrong). The deferred constraint trigger
    /// refuses it at COMMIT.
    fn insert_raw_unbalanced(&mut self, ledger: &str) -> Result<(), StoreError> {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let e = JournalEntry {
            kind: EntryKind::Opening,
            booked_on: day,
            value_date: day,
            natural_key: "raw:unbalanced".into(),
            position: String::new(),
            memo: String::new(),
            reverses: None,
            postings: vec![
                Posting::debit(
                    AccountKey::new(AccountKind::KasDaerah, "raw"),
                    Decimal::from(100),
                ),
                Posting::credit(
                    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "raw"),
                    Decimal::from(99),
                ),
            ],
        };
        let debit_key = AccountKey::new(AccountKind::KasDaerah, "raw").to_string();
        let credit_key =
            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "raw").to_string();
        let details = json_text("run details", &serde_json::json!({ "raw": true }))?;
        self.rt.block_on(async {
            let tx = self
                .client
                .transaction()
                .await
                .map_err(|e| map_err("raw insert: begin", e))?;
            lock_ledger(&tx, ledger).await?;
            require_ledger(&tx, ledger).await?;
            let head = tx
                .query_opt(
                    "SELECT seq, encode(hash, 'hex') FROM entries WHERE ledger_id = $1
                      ORDER BY seq DESC LIMIT 1",
                    &[&ledger],
                )
                .await
                .map_err(|e| map_err("raw insert", e))?;
            let (seq, prev): (i64, String) = match head {
                Some(r) => (r.get::<_, i64>(0) + 1, r.get(1)),
                None => (1, kasda_core::ledger::GENESIS_HASH.to_string()),
            };
            let hash = kasda_core::ledger::chain_hash(&prev, ledger, seq, None, &e);
            let sql = "
                WITH run AS (
                    INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
                    SELECT $1, coalesce(max(run_id), 0) + 1, 'reconcile', 'raw', clock_timestamp(), $5::text::json
                      FROM runs WHERE ledger_id = $1 RETURNING run_id),
                acct AS (
                    INSERT INTO accounts (ledger_id, account_id, account_key, kind, qualifier)
                    SELECT $1, m.n + v.i, v.k, split_part(v.k, '/', 1), 'raw'
                      FROM (SELECT coalesce(max(account_id), 0) AS n FROM accounts WHERE ledger_id = $1) m,
                           (VALUES (1, $7::text), (2, $8::text)) v(i, k)
                    ON CONFLICT DO NOTHING RETURNING account_id, account_key)
                INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key, position,
                                     memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
                SELECT $1, $2, 'opening', $6, $6, 'raw:unbalanced', '', '', NULL, NULL, run.run_id,
                       clock_timestamp(), decode($3::text, 'hex'), decode($4::text, 'hex')
                  FROM run";
            tx.execute(sql, &[&ledger, &seq, &prev, &hash, &details, &day, &debit_key, &credit_key])
                .await
                .map_err(|e| map_err("raw insert", e))?;
            tx.execute(
                "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
                 SELECT $1, $2, v.i, a.account_id, v.side, v.amount, 'IDR'
                   FROM (VALUES (0, $3::text, 'debit', 100::numeric),
                                (1, $4::text, 'credit', 99::numeric))
                        v(i, k, side, amount)
                   JOIN accounts a ON a.ledger_id = $1 AND a.account_key = v.k",
                &[&ledger, &seq, &debit_key, &credit_key],
            )
            .await
            .map_err(|e| map_err("raw insert", e))?;
            tx.commit()
                .await
                .map_err(|e| map_err("raw insert: commit", e))
        })
    }

    fn try_mutation(&mut self, ledger: &str, mutation: Mutation) -> Result<(), StoreError> {
        let (sql, with_seq): (&str, Option<i64>) = match mutation {
            Mutation::UpdateEntryMemo { seq } => (
                "UPDATE entries SET memo = 'changed' WHERE ledger_id = $1 AND seq = $2",
                Some(seq),
            ),
            Mutation::DeleteEntry { seq } => (
                "DELETE FROM entries WHERE ledger_id = $1 AND seq = $2",
                Some(seq),
            ),
            Mutation::UpdatePostingAmount { seq } => (
                "UPDATE postings SET amount = amount + 1 WHERE ledger_id = $1 AND seq = $2",
                Some(seq),
            ),
            Mutation::DeletePosting { seq } => (
                "DELETE FROM postings WHERE ledger_id = $1 AND seq = $2",
                Some(seq),
            ),
            Mutation::DeleteStatementLines => {
                ("DELETE FROM statement_lines WHERE ledger_id = $1", None)
            }
            Mutation::DeleteDocuments => ("DELETE FROM documents WHERE ledger_id = $1", None),
            Mutation::DeleteFiles => ("DELETE FROM source_files WHERE ledger_id = $1", None),
            Mutation::DeleteRuns => ("DELETE FROM runs WHERE ledger_id = $1", None),
            Mutation::DeleteFindings => ("DELETE FROM findings WHERE ledger_id = $1", None),
        };
        let result = self.rt.block_on(async {
            match with_seq {
                Some(seq) => self.client.execute(sql, &[&ledger, &seq]).await,
                None => self.client.execute(sql, &[&ledger]).await,
            }
        });
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(map_err("mutation", e)),
        }
    }
}
