//! Hooks for benches and load tests: synthetic statement files and a bare binary COPY of the
//! same rows an import writes, as the yardstick for the import fast path.

use std::time::{Duration, Instant};

use futures_util::pin_mut;
use kasda_store::conformance::{line, statement_batch, Line};
use kasda_store::{ImportBatch, StoreError};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::linebody::line_body;
use crate::pgtypes::RawJson;
use crate::write::{hash_bytes, ENTRIES_TYPES};
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

/// Where [`bare_copy`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareTarget {
    /// Ordinary (WAL-logged) tables with the ledger tables' columns and nothing else, created
    /// before the clock starts; the COPY transaction commits (durably, like an import) and the
    /// tables are dropped afterwards. The like-for-like yardstick of an import.
    Logged,
    /// Temporary tables (no WAL), rolled back: a floor no durable write can reach.
    Temp,
}

/// COPYs the rows `batch` would add (lines, entries, postings, same column types and values)
/// into tables of the same columns without keys, indexes or triggers, in one transaction:
/// the floor an import cannot beat. No hashing, planning, keys, triggers or indexes.
pub fn bare_copy(
    store: &mut PgStore,
    batch: &ImportBatch,
    target: BareTarget,
) -> Result<CopyStats, StoreError> {
    let mut stats = CopyStats {
        lines: 0,
        entries: 0,
        postings: 0,
        elapsed: Duration::ZERO,
    };
    let PgStore { client, rt, .. } = store;
    if target == BareTarget::Logged {
        rt.block_on(client.batch_execute(
            "DROP TABLE IF EXISTS bare_lines, bare_entries, bare_postings;
             CREATE TABLE bare_lines (LIKE statement_lines);
             CREATE TABLE bare_entries (LIKE entries);
             CREATE TABLE bare_postings (LIKE postings);",
        ))
        .map_err(|e| map_err("bare copy: create tables", e))?;
    }
    let start = Instant::now();
    rt.block_on(async {
        let tx = client
            .transaction()
            .await
            .map_err(|e| map_err("bare copy", e))?;
        if target == BareTarget::Temp {
            tx.batch_execute(
                "CREATE TEMP TABLE bare_lines (LIKE statement_lines) ON COMMIT DROP;
                 CREATE TEMP TABLE bare_entries (LIKE entries) ON COMMIT DROP;
                 CREATE TEMP TABLE bare_postings (LIKE postings) ON COMMIT DROP;",
            )
            .await
            .map_err(|e| map_err("bare copy", e))?;
        }
        let now = kasda_store::now_micros();
        let sha = batch.file.sha256.as_str();
        let file = hash_bytes(sha)?;
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
                Type::BYTEA,
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
                let json = line_body(f)?;
                seq += 1;
                let statement_idx = f.statement_index as i32;
                let pos_index = i64::from(f.pos.index);
                let values: [&(dyn ToSql + Sync); 14] = [
                    &ledger,
                    &f.natural_key,
                    &file,
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
        // Hashes and the file as the store writes them (32 bytes each, migration 0007).
        let zero_hash = hash_bytes(kasda_core::ledger::GENESIS_HASH)?;
        let source = Some(hash_bytes(sha)?);
        let sink = tx
            .copy_in(
                "COPY bare_entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                 position, memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
                 FROM STDIN BINARY",
            )
            .await
            .map_err(|e| map_err("bare copy", e))?;
        let w = BinaryCopyInWriter::new(sink, &ENTRIES_TYPES);
        pin_mut!(w);
        for (i, e) in entries.iter().enumerate() {
            let seq = i as i64 + 1;
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
        match target {
            BareTarget::Logged => tx.commit().await,
            BareTarget::Temp => tx.rollback().await,
        }
        .map_err(|e| map_err("bare copy", e))?;
        Ok::<(), StoreError>(())
    })?;
    stats.elapsed = start.elapsed();
    if target == BareTarget::Logged {
        rt.block_on(client.batch_execute("DROP TABLE bare_lines, bare_entries, bare_postings"))
            .map_err(|e| map_err("bare copy: drop tables", e))?;
    }
    Ok(stats)
}

/// The rows of [`bare_copy`] (line, entry, postings per statement line) written by one
/// prepared INSERT per row, in one transaction that commits, into the same bare logged tables:
/// the classic row-at-a-time import, for the ratio of an import to single-row inserts. Only
/// the first `max_lines` lines are written (a million single-row inserts take minutes); the
/// rate is what counts.
pub fn single_row_inserts(
    store: &mut PgStore,
    batch: &ImportBatch,
    max_lines: usize,
) -> Result<CopyStats, StoreError> {
    let mut stats = CopyStats {
        lines: 0,
        entries: 0,
        postings: 0,
        elapsed: Duration::ZERO,
    };
    let PgStore { client, rt, .. } = store;
    rt.block_on(client.batch_execute(
        "DROP TABLE IF EXISTS bare_lines, bare_entries, bare_postings;
         CREATE TABLE bare_lines (LIKE statement_lines);
         CREATE TABLE bare_entries (LIKE entries);
         CREATE TABLE bare_postings (LIKE postings);",
    ))
    .map_err(|e| map_err("single-row inserts: create tables", e))?;
    let start = Instant::now();
    rt.block_on(async {
        let tx = client
            .transaction()
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
        let ins_line = tx
            .prepare(
                "INSERT INTO bare_lines (ledger_id, natural_key, file_sha256, run_id, recorded_at,
                 statement_idx, pos_index, account, booking_date, amount, currency, search_text,
                 facts, entry_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                 $13, $14)",
            )
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
        let ins_entry = tx
            .prepare(
                "INSERT INTO bare_entries (ledger_id, seq, kind, booked_on, value_date,
                 natural_key, position, memo, reverses, source_sha256, run_id, recorded_at,
                 prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                 $13, $14)",
            )
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
        let ins_posting = tx
            .prepare(
                "INSERT INTO bare_postings (ledger_id, seq, idx, account_id, side, amount,
                 currency) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
        let now = kasda_store::now_micros();
        let sha = batch.file.sha256.as_str();
        let file = hash_bytes(sha)?;
        let ledger = "bench";
        let run_id = 1i64;
        // Hashes and the file as the store writes them (32 bytes each, migration 0007).
        let zero_hash = hash_bytes(kasda_core::ledger::GENESIS_HASH)?;
        let source = Some(hash_bytes(sha)?);
        let mut seq = 0i64;
        for l in batch
            .statements
            .iter()
            .flat_map(|s| &s.lines)
            .take(max_lines)
        {
            let f = &l.facts;
            let json = line_body(f)?;
            seq += 1;
            let statement_idx = f.statement_index as i32;
            let pos_index = i64::from(f.pos.index);
            tx.execute(
                &ins_line,
                &[
                    &ledger,
                    &f.natural_key,
                    &file,
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
                ],
            )
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
            stats.lines += 1;
            let Some(e) = &l.entry else { continue };
            tx.execute(
                &ins_entry,
                &[
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
                ],
            )
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
            stats.entries += 1;
            for (j, p) in e.postings.iter().enumerate() {
                let idx = j as i32;
                let account_id = 1i32;
                tx.execute(
                    &ins_posting,
                    &[
                        &ledger,
                        &seq,
                        &idx,
                        &account_id,
                        &p.side.as_str(),
                        &p.amount,
                        &p.currency.as_str(),
                    ],
                )
                .await
                .map_err(|e| map_err("single-row inserts", e))?;
                stats.postings += 1;
            }
        }
        tx.commit()
            .await
            .map_err(|e| map_err("single-row inserts", e))?;
        Ok::<(), StoreError>(())
    })?;
    stats.elapsed = start.elapsed();
    rt.block_on(client.batch_execute("DROP TABLE bare_lines, bare_entries, bare_postings"))
        .map_err(|e| map_err("single-row inserts: drop tables", e))?;
    Ok(stats)
}

/// Rows written and wall time of a concurrent-writer run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    pub rows: u64,
    pub elapsed: Duration,
}

/// The baseline of the hot-account writers: `writers` threads, each on its own connection to
/// `url`, insert `per_writer` rows each (the entry's columns plus its hot-account posting's)
/// into one plain table with a primary key and nothing else, one autocommit INSERT per row —
/// no chain, no lock, no aggregates, no checks. Returns the rows found afterwards.
pub fn hot_writers_baseline(
    url: &str,
    writers: usize,
    per_writer: usize,
) -> Result<WriterStats, StoreError> {
    let mut admin = PgStore::connect(url)
        .map_err(|e| StoreError::backend("hot writers baseline: connect", e))?;
    admin.execute_sql(
        "DROP TABLE IF EXISTS bare_hot;
         CREATE TABLE bare_hot (ledger_id text NOT NULL, writer int NOT NULL, n int NOT NULL,
             natural_key text NOT NULL, booked_on date NOT NULL, account text NOT NULL,
             side text NOT NULL, amount numeric(20, 3) NOT NULL, currency char(3) NOT NULL,
             PRIMARY KEY (ledger_id, writer, n));",
    )?;
    let start = Instant::now();
    let results: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                scope.spawn(move || -> Result<(), StoreError> {
                    let store = PgStore::connect(url)
                        .map_err(|e| StoreError::backend("hot writers baseline: connect", e))?;
                    let PgStore { client, rt, .. } = &store;
                    rt.block_on(async {
                        let st = client
                            .prepare(
                                "INSERT INTO bare_hot VALUES ('bench', $1, $2, $3, $4,
                                 'kas-daerah/0011223344', 'debit', $5, 'IDR')",
                            )
                            .await
                            .map_err(|e| map_err("hot writers baseline", e))?;
                        let writer = w as i32;
                        for n in 0..per_writer {
                            let n = n as i32;
                            let key = format!("hot:w{w}:{n}");
                            let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1 + (n % 28) as u32)
                                .unwrap_or_default();
                            let amount = rust_decimal::Decimal::new(250_000 + i64::from(n), 2);
                            client
                                .execute(&st, &[&writer, &n, &key, &day, &amount])
                                .await
                                .map_err(|e| map_err("hot writers baseline", e))?;
                        }
                        Ok(())
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::backend(
                        "hot writers baseline",
                        "a writer panicked",
                    ))
                })
            })
            .collect()
    });
    let elapsed = start.elapsed();
    for r in results {
        r?;
    }
    let PgStore { client, rt, .. } = &admin;
    let rows: i64 = rt
        .block_on(client.query_one("SELECT count(*) FROM bare_hot", &[]))
        .map_err(|e| map_err("hot writers baseline: count", e))?
        .get(0);
    admin.execute_sql("DROP TABLE bare_hot")?;
    Ok(WriterStats {
        rows: rows as u64,
        elapsed,
    })
}

/// One primary-key lookup of an entry (`entries` by `(ledger_id, seq)`), the yardstick of a
/// balance query on the same database. Returns the time of the round trip.
pub fn pk_lookup(store: &mut PgStore, ledger: &str, seq: i64) -> Result<Duration, StoreError> {
    let PgStore { client, rt, .. } = store;
    let start = Instant::now();
    let row = rt
        .block_on(client.query_opt(
            "SELECT hash FROM entries WHERE ledger_id = $1 AND seq = $2",
            &[&ledger, &seq],
        ))
        .map_err(|e| map_err("primary-key lookup", e))?;
    let elapsed = start.elapsed();
    if row.is_none() {
        return Err(StoreError::InvalidInput {
            field: "seq".into(),
            expected: format!("an entry of ledger {ledger}"),
            found: seq.to_string(),
        });
    }
    Ok(elapsed)
}

/// Bytes and rows a bare `COPY … TO STDOUT (FORMAT binary)` of a ledger's entries and postings
/// (the columns verify reads) delivers, and its time: the floor of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyOutStats {
    pub bytes: u64,
    pub elapsed: Duration,
}

/// Reads every entry and posting of `ledger` with a bare binary COPY TO STDOUT, discarding
/// the bytes.
pub fn bare_copy_out(store: &mut PgStore, ledger: &str) -> Result<CopyOutStats, StoreError> {
    use futures_util::TryStreamExt;
    let PgStore { client, rt, .. } = store;
    let quoted = ledger.replace('\'', "''");
    let start = Instant::now();
    let bytes = rt.block_on(async {
        let mut bytes = 0u64;
        for sql in [
            format!(
                "COPY (SELECT seq, kind, booked_on, value_date, natural_key, position, memo,
                 reverses, source_sha256, run_id, recorded_at, prev_hash, hash FROM entries
                 WHERE ledger_id = '{quoted}' ORDER BY seq) TO STDOUT (FORMAT binary)"
            ),
            format!(
                "COPY (SELECT seq, account_id, side, amount, currency FROM postings
                 WHERE ledger_id = '{quoted}' ORDER BY seq, idx) TO STDOUT (FORMAT binary)"
            ),
        ] {
            let stream = client
                .copy_out(sql.as_str())
                .await
                .map_err(|e| map_err("bare copy out", e))?;
            futures_util::pin_mut!(stream);
            while let Some(chunk) = stream
                .try_next()
                .await
                .map_err(|e| map_err("bare copy out", e))?
            {
                bytes += chunk.len() as u64;
            }
        }
        Ok::<u64, StoreError>(bytes)
    })?;
    Ok(CopyOutStats {
        bytes,
        elapsed: start.elapsed(),
    })
}

/// The ledger tables of the schema (everything `ledger_id` keys), for storage accounting.
pub const LEDGER_TABLES: [&str; 19] = [
    "ledgers",
    "accounts",
    "runs",
    "source_files",
    "statements",
    "statement_lines",
    "documents",
    "duplicates",
    "entries",
    "postings",
    "entry_joins",
    "account_day_deltas",
    "findings",
    "finding_events",
    "proposals",
    "proposal_decisions",
    "period_locks",
    "report_flows",
    "report_facts",
];

/// `pg_total_relation_size` (heap, TOAST, indexes) of each ledger table, largest first, and
/// the number of postings stored (all ledgers).
pub fn ledger_storage(store: &mut PgStore) -> Result<(Vec<(String, i64)>, i64), StoreError> {
    let mut totals: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for (table, _, bytes) in storage_breakdown(store)? {
        *totals.entry(table).or_default() += bytes;
    }
    let mut sizes: Vec<(String, i64)> = totals.into_iter().collect();
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let postings = store.query_i64("SELECT count(*) FROM postings", &[])?;
    Ok((sizes, postings))
}

/// Bytes of each ledger table's heap (with TOAST and maps, `pg_table_size`) and of each of its
/// indexes (`pg_relation_size`): `(table, relation, bytes)`, by table, heap first.
pub fn storage_breakdown(store: &mut PgStore) -> Result<Vec<(String, String, i64)>, StoreError> {
    let PgStore { client, rt, .. } = store;
    rt.block_on(async {
        client
            .batch_execute("CHECKPOINT")
            .await
            .map_err(|e| map_err("storage", e))?;
        let tables: Vec<&str> = LEDGER_TABLES.to_vec();
        let rows = client
            .query(
                "SELECT t.relname::text, '(heap)', pg_table_size(t.oid), 0
                   FROM pg_class t
                  WHERE t.relname = ANY($1) AND t.relkind = 'r'
                    AND t.relnamespace = 'public'::regnamespace
                 UNION ALL
                 SELECT t.relname::text, i.relname::text, pg_relation_size(i.oid), 1
                   FROM pg_index x
                   JOIN pg_class i ON i.oid = x.indexrelid
                   JOIN pg_class t ON t.oid = x.indrelid
                  WHERE t.relname = ANY($1) AND t.relnamespace = 'public'::regnamespace
                  ORDER BY 1, 4, 3 DESC",
                &[&tables],
            )
            .await
            .map_err(|e| map_err("storage", e))?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    })
}

/// The number of transactions that wrote `ledger`'s entries (distinct `xmin`): below the
/// number of entries when appends were committed together (group commit).
pub fn entry_transactions(store: &mut PgStore, ledger: &str) -> Result<i64, StoreError> {
    let PgStore { client, rt, .. } = store;
    rt.block_on(async {
        Ok(client
            .query_one(
                "SELECT count(DISTINCT xmin::text) FROM entries WHERE ledger_id = $1",
                &[&ledger],
            )
            .await
            .map_err(|e| map_err("count entry transactions", e))?
            .get(0))
    })
}

/// `append_entries` through the two-round-trip small append that preceded migration 0002
/// (lock and reads, then the inserts and COMMIT): the same rows and checks, kept as the
/// same-run "before" of the hot-writer bench.
pub fn append_two_trips(
    store: &mut PgStore,
    ledger: &str,
    run: kasda_store::RunInfo,
    entries: Vec<kasda_store::NewEntry>,
) -> Result<kasda_store::AppendOutcome, StoreError> {
    // append_small names the (validated) ledger code as a literal.
    kasda_store::validate_ledger_code(ledger)?;
    if entries.len() > crate::write::FAST_APPEND_MAX {
        return Err(StoreError::backend(
            "append_two_trips",
            format!(
                "{} entries: at most {} take this path",
                entries.len(),
                crate::write::FAST_APPEND_MAX
            ),
        ));
    }
    let PgStore { client, rt, .. } = store;
    rt.block_on(crate::write::append_small(client, ledger, run, entries))
}
