//! Hooks for benches and load tests: synthetic statement files and a bare binary COPY of the
//! same rows an import writes, as the yardstick for the import fast path.

use std::time::{Duration, Instant};

use futures_util::pin_mut;
use kasda_store::conformance::{line, statement_batch, Line};
use kasda_store::{ImportBatch, StoreError};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::pgtypes::RawJson;
use crate::write::json_text;
use crate::{map_err, PgStore};

/// A statement file of `lines` booked lines on `account` (March 2026, spread over 28 days,
/// alternating credits and debits), its sha256 derived from `tag`. Every line posts one entry
/// with two postings.
pub fn synthetic_batch(tag: &str, account: &str, lines: usize) -> ImportBatch {
    let fixture: Vec<Line> = (0..lines)
        .map(|i| {
            line(
                1 + (i % 28) as u32,
                &format!("{tag}-{i:08}"),
                1_000 + (i as i64 % 97) * 1_250,
                i % 3 != 0,
            )
        })
        .collect();
    statement_batch(tag, account, &fixture)
}

/// Rows and time of a bare COPY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyStats {
    pub lines: u64,
    pub entries: u64,
    pub postings: u64,
    pub elapsed: Duration,
}

/// COPYs the rows `batch` would add (lines, entries, postings, same column types and values)
/// into unconstrained temporary tables in one transaction, then rolls back: the floor an
/// import cannot beat. No hashing, planning, keys, triggers or indexes.
pub fn bare_copy(store: &mut PgStore, batch: &ImportBatch) -> Result<CopyStats, StoreError> {
    let start = Instant::now();
    let mut stats = CopyStats {
        lines: 0,
        entries: 0,
        postings: 0,
        elapsed: Duration::ZERO,
    };
    let PgStore { client, rt, .. } = store;
    rt.block_on(async {
        let tx = client
            .transaction()
            .await
            .map_err(|e| map_err("bare copy", e))?;
        tx.batch_execute(
            "CREATE TEMP TABLE bare_lines (LIKE statement_lines) ON COMMIT DROP;
             CREATE TEMP TABLE bare_entries (LIKE entries) ON COMMIT DROP;
             CREATE TEMP TABLE bare_postings (LIKE postings) ON COMMIT DROP;",
        )
        .await
        .map_err(|e| map_err("bare copy", e))?;
        let now = kasda_store::now_micros();
        let sha = batch.file.sha256.as_str();
        let ledger = "bench";
        let sink = tx
            .copy_in(
                "COPY bare_lines (ledger_id, natural_key, file_sha256, run_id, recorded_at,
                 statement_idx, pos_index, account, booking_date, amount, currency, search_text,
                 facts, entry_seq) FROM STDIN BINARY",
            )
            .await
            .map_err(|e| map_err("bare copy", e))?;
        let w = BinaryCopyInWriter::new(
            sink,
            &[
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TIMESTAMPTZ,
                Type::INT4,
                Type::INT8,
                Type::TEXT,
                Type::DATE,
                Type::NUMERIC,
                Type::BPCHAR,
                Type::TEXT,
                Type::JSON,
                Type::INT8,
            ],
        );
        pin_mut!(w);
        let run_id = 1i64;
        let mut seq = 0i64;
        for s in &batch.statements {
            for l in &s.lines {
                let f = &l.facts;
                let json = json_text("line", f)?;
                seq += 1;
                let statement_idx = f.statement_index as i32;
                let pos_index = i64::from(f.pos.index);
                let values: [&(dyn ToSql + Sync); 14] = [
                    &ledger,
                    &f.natural_key,
                    &sha,
                    &run_id,
                    &now,
                    &statement_idx,
                    &pos_index,
                    &f.account,
                    &f.booking_date,
                    &f.amount,
                    &f.currency.as_str(),
                    &f.text,
                    &RawJson(&json),
                    &seq,
                ];
                w.as_mut()
                    .write(&values)
                    .await
                    .map_err(|e| map_err("bare copy", e))?;
                stats.lines += 1;
            }
        }
        w.finish().await.map_err(|e| map_err("bare copy", e))?;

        let entries: Vec<_> = batch
            .statements
            .iter()
            .flat_map(|s| s.lines.iter().filter_map(|l| l.entry.as_ref()))
            .chain(batch.documents.iter().filter_map(|d| d.entry.as_ref()))
            .collect();
        let zero_hash = kasda_core::ledger::GENESIS_HASH;
        let sink = tx
            .copy_in(
                "COPY bare_entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                 position, memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
                 FROM STDIN BINARY",
            )
            .await
            .map_err(|e| map_err("bare copy", e))?;
        let w = BinaryCopyInWriter::new(
            sink,
            &[
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::DATE,
                Type::DATE,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::INT8,
                Type::TIMESTAMPTZ,
                Type::TEXT,
                Type::TEXT,
            ],
        );
        pin_mut!(w);
        for (i, e) in entries.iter().enumerate() {
            let seq = i as i64 + 1;
            let source = Some(sha);
            w.as_mut()
                .write(&[
                    &ledger,
                    &seq,
                    &e.kind.as_str(),
                    &e.booked_on,
                    &e.value_date,
                    &e.natural_key,
                    &e.position,
                    &e.memo,
                    &e.reverses,
                    &source,
                    &run_id,
                    &now,
                    &zero_hash,
                    &zero_hash,
                ])
                .await
                .map_err(|e| map_err("bare copy", e))?;
            stats.entries += 1;
        }
        w.finish().await.map_err(|e| map_err("bare copy", e))?;

        let sink = tx
            .copy_in(
                "COPY bare_postings (ledger_id, seq, idx, account_id, side, amount, currency)
                 FROM STDIN BINARY",
            )
            .await
            .map_err(|e| map_err("bare copy", e))?;
        let w = BinaryCopyInWriter::new(
            sink,
            &[
                Type::TEXT,
                Type::INT8,
                Type::INT4,
                Type::INT4,
                Type::TEXT,
                Type::NUMERIC,
                Type::BPCHAR,
            ],
        );
        pin_mut!(w);
        for (i, e) in entries.iter().enumerate() {
            let seq = i as i64 + 1;
            for (j, p) in e.postings.iter().enumerate() {
                let idx = j as i32;
                let account_id = 1i32;
                w.as_mut()
                    .write(&[
                        &ledger,
                        &seq,
                        &idx,
                        &account_id,
                        &p.side.as_str(),
                        &p.amount,
                        &p.currency.as_str(),
                    ])
                    .await
                    .map_err(|e| map_err("bare copy", e))?;
                stats.postings += 1;
            }
        }
        w.finish().await.map_err(|e| map_err("bare copy", e))?;
        tx.rollback().await.map_err(|e| map_err("bare copy", e))?;
        Ok::<(), StoreError>(())
    })?;
    stats.elapsed = start.elapsed();
    Ok(stats)
}
