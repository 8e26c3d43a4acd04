//! Every write of the store: ledgers, imports, appends, findings, proposals, period closes.
//!
//! Each write is one transaction that first takes the ledger's advisory lock
//! (`pg_advisory_xact_lock` on a hash of the ledger code). Holding it, the writer reads the
//! chain head, decides everything in Rust (which facts and entries are new, their seqs and
//! hashes) and only then writes. Because every writer of a ledger holds the same lock, that
//! decision cannot go stale: no two transactions number entries from the same head, nothing is
//! doubled or lost, and since the lock is the first thing taken and the only one waited for
//! across writers, there is no lock-order cycle and so no deadlock. Bulk rows go in with binary
//! COPY; the database still checks every entry at COMMIT (see the schema).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::pin_mut;
use kasda_core::ledger::{chain_hash, JournalEntry};
use kasda_core::money::Direction;
use kasda_core::posting::opening_balance_parts;
use kasda_store::{
    check_batch_limits, check_entry, limit_check, now_micros, opening_balance_claim,
    opening_balance_key_range, same_line_content, same_user, validate_ledger_code, AppendOutcome,
    DocKind, FindingInput, FindingStatus, ImportBatch, ImportOutcome, LedgerInfo, LineFacts,
    NewEntry, NewProposal, OpeningBalanceClaim, ProposalKind, RunInfo, RunKind, StoreError,
    MAX_ENTRIES_PER_APPEND, MAX_FINDINGS_PER_CALL, MAX_KEYS_PER_LOOKUP, MAX_LABEL,
};
use rust_decimal::Decimal;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, GenericClient, Transaction};

use crate::linebody::{line_body, line_facts, FACT_COLUMNS};
use crate::map_err;
use crate::pgtypes::RawJson;

/// Points inside [`crate::PgStore::import_file_with_hook`]'s transaction, reported to the hook
/// so crash tests can kill the process at a known place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStage {
    /// Lock taken, plan made, nothing written yet.
    Planned,
    /// Run, file, statements and lines written.
    LinesWritten,
    /// Documents and duplicates written.
    DocumentsWritten,
    /// Entries, postings and balance deltas written; COMMIT is next.
    EntriesWritten,
}

pub(crate) fn json_text<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::backend(format!("serialise {what}"), e))
}

/// Takes the ledger's write lock for the rest of the transaction.
pub(crate) async fn lock_ledger(tx: &Transaction<'_>, ledger: &str) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('kasda.ledger:' || $1::text, 0))",
        &[&ledger],
    )
    .await
    .map_err(|e| map_err("lock ledger", e))?;
    Ok(())
}

/// `Err(UnknownLedger)` unless the ledger exists (and is visible to this role).
pub(crate) async fn require_ledger<C: GenericClient + Sync>(
    c: &C,
    ledger: &str,
) -> Result<(), StoreError> {
    let found = c
        .query_opt("SELECT 1 FROM ledgers WHERE ledger_id = $1", &[&ledger])
        .await
        .map_err(|e| map_err("find ledger", e))?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::UnknownLedger {
            ledger: ledger.to_string(),
        }),
    }
}

/// The store clock for a ledger: now, but never before the ledger's latest stamp.
async fn stamp(tx: &Transaction<'_>, ledger: &str) -> Result<DateTime<Utc>, StoreError> {
    let row = tx
        .query_one(
            "SELECT greatest(
                (SELECT max(started_at) FROM runs WHERE ledger_id = $1),
                (SELECT max(proposed_at) FROM proposals WHERE ledger_id = $1),
                (SELECT max(decided_at) FROM proposal_decisions WHERE ledger_id = $1),
                (SELECT max(at) FROM finding_events WHERE ledger_id = $1))",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("read ledger clock", e))?;
    let last: Option<DateTime<Utc>> = row.get(0);
    let now = now_micros();
    Ok(match last {
        Some(l) if l > now => l,
        _ => now,
    })
}

pub(crate) async fn closed_through<C: GenericClient + Sync>(
    c: &C,
    ledger: &str,
) -> Result<Option<NaiveDate>, StoreError> {
    let row = c
        .query_one(
            "SELECT max(through_date) FROM period_locks WHERE ledger_id = $1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("read period locks", e))?;
    Ok(row.get(0))
}

async fn insert_run(
    tx: &Transaction<'_>,
    ledger: &str,
    kind: RunKind,
    actor: &str,
    at: DateTime<Utc>,
    details: &serde_json::Value,
) -> Result<i64, StoreError> {
    let details = json_text("run details", details)?;
    let row = tx
        .query_one(
            "INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
             SELECT $1, coalesce(max(run_id), 0) + 1, $2, $3, $4, $5
               FROM runs WHERE ledger_id = $1
             RETURNING run_id",
            &[&ledger, &kind.as_str(), &actor, &at, &RawJson(&details)],
        )
        .await
        .map_err(|e| map_err("record run", e))?;
    Ok(row.get(0))
}

/// The SQL condition "the row of `$t` (a table alias with its dot, or empty) has one of the
/// `text[]` parameter `$keys` as its ledger and natural key", the parameter holding
/// [`ledger_keys`]: written with the expression that the hash indexes of migration 0014 cover
/// (`ledger_id || ' ' || natural_key`). The natural-key constraints of statement lines, documents
/// and entries are hash indexes over that expression, and a condition on the two columns apart
/// would read the ledger's rows instead. The keys are a bound array, not an array built in SQL,
/// so a sequential scan (a small table) can hash them.
macro_rules! natural_key_in {
    ($t:literal, $keys:literal) => {
        concat!(
            $t,
            "ledger_id || ' ' || ",
            $t,
            "natural_key = ANY (",
            $keys,
            "::text[])"
        )
    };
}
pub(crate) use natural_key_in;

/// `ledger || ' ' || key` for each key: what [`natural_key_in!`] compares with.
pub(crate) fn ledger_keys<K: AsRef<str>>(ledger: &str, keys: &[K]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let k = k.as_ref();
            let mut s = String::with_capacity(ledger.len() + 1 + k.len());
            s.push_str(ledger);
            s.push(' ');
            s.push_str(k);
            s
        })
        .collect()
}

/// Seqs and natural keys of stored entries among `keys`.
async fn existing_entry_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[&str],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(MAX_KEYS_PER_LOOKUP) {
        let rows = tx
            .query(
                concat!(
                    "SELECT natural_key, seq FROM entries WHERE ",
                    natural_key_in!("", "$1")
                ),
                &[&ledger_keys(ledger, chunk)],
            )
            .await
            .map_err(|e| map_err("look up entry keys", e))?;
        for r in rows {
            out.insert(r.get(0), r.get(1));
        }
    }
    Ok(out)
}

async fn existing_seqs(
    tx: &Transaction<'_>,
    ledger: &str,
    seqs: &[i64],
) -> Result<HashSet<i64>, StoreError> {
    if seqs.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = tx
        .query(
            "SELECT seq FROM entries WHERE ledger_id = $1 AND seq = ANY($2)",
            &[&ledger, &seqs],
        )
        .await
        .map_err(|e| map_err("look up reversed entries", e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Decides which entries are new (indexes) and which are duplicates (keys), checking each
/// entry exactly as the memory oracle does, before anything is written.
fn plan_entries(
    ledger: &str,
    entries: &[&JournalEntry],
    closed: Option<NaiveDate>,
    next_seq: i64,
    stored_keys: &HashMap<String, i64>,
    stored_reversed: &HashSet<i64>,
) -> Result<(Vec<usize>, Vec<String>), StoreError> {
    let mut fresh = Vec::new();
    let mut dups = Vec::new();
    let mut in_call: HashSet<&str> = HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        check_entry(ledger, e, closed)?;
        if let Some(r) = e.reverses {
            let earlier_in_call = r >= next_seq && r < next_seq + fresh.len() as i64;
            if !stored_reversed.contains(&r) && !earlier_in_call {
                return Err(StoreError::UnknownReversedEntry {
                    ledger: ledger.to_string(),
                    natural_key: e.natural_key.clone(),
                    reverses: r,
                });
            }
        }
        if stored_keys.contains_key(&e.natural_key) || !in_call.insert(e.natural_key.as_str()) {
            dups.push(e.natural_key.clone());
        } else {
            fresh.push(i);
        }
    }
    Ok((fresh, dups))
}

struct PendingEntry {
    seq: i64,
    entry: JournalEntry,
    source: Option<String>,
    prev_hash: String,
    hash: String,
}

/// Collects a transaction's new entries (numbered and hashed in order) and writes them, their
/// postings, joins, accounts and balance deltas with binary COPY.
pub(crate) struct ChainWriter {
    ledger: String,
    run_id: i64,
    at: DateTime<Utc>,
    next_seq: i64,
    head: String,
    pending: Vec<PendingEntry>,
    joins: Vec<(i64, i32, String)>,
    /// COPY straight into the tables (session bypasses RLS) or through temp stages.
    direct: bool,
}

/// Next seq and head hash of a ledger (read under the ledger lock).
async fn chain_head(tx: &Transaction<'_>, ledger: &str) -> Result<(i64, String), StoreError> {
    let row = tx
        .query_opt(
            "SELECT seq, encode(hash, 'hex') FROM entries WHERE ledger_id = $1
              ORDER BY seq DESC LIMIT 1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("read chain head", e))?;
    Ok(match row {
        Some(r) => (r.get::<_, i64>(0) + 1, r.get(1)),
        None => (1, kasda_core::ledger::GENESIS_HASH.to_string()),
    })
}

impl ChainWriter {
    fn new(ledger: &str, next_seq: i64, head: String, direct: bool) -> Self {
        ChainWriter {
            ledger: ledger.to_string(),
            run_id: 0,
            at: DateTime::<Utc>::MIN_UTC,
            next_seq,
            head,
            pending: Vec::new(),
            joins: Vec::new(),
            direct,
        }
    }

    fn start(&mut self, run_id: i64, at: DateTime<Utc>) {
        self.run_id = run_id;
        self.at = at;
    }

    fn push(&mut self, entry: JournalEntry, source: Option<&str>) -> i64 {
        let seq = self.next_seq;
        let hash = chain_hash(&self.head, &self.ledger, seq, source, &entry);
        let prev_hash = std::mem::replace(&mut self.head, hash.clone());
        self.pending.push(PendingEntry {
            seq,
            entry,
            source: source.map(str::to_string),
            prev_hash,
            hash,
        });
        self.next_seq += 1;
        seq
    }

    fn join(&mut self, seq: i64, keys: Vec<String>) {
        for (i, k) in keys.into_iter().enumerate() {
            self.joins.push((seq, i as i32, k));
        }
    }

    /// Account ids for every account the pending postings name, creating missing ones.
    async fn account_ids(&self, tx: &Transaction<'_>) -> Result<HashMap<String, i32>, StoreError> {
        let mut keys: BTreeMap<String, (String, String)> = BTreeMap::new();
        for p in self.pending.iter().flat_map(|e| e.entry.postings.iter()) {
            keys.entry(p.account.to_string()).or_insert_with(|| {
                (
                    p.account.kind().as_str().to_string(),
                    p.account.qualifier().to_string(),
                )
            });
        }
        let mut ids: HashMap<String, i32> = HashMap::new();
        if keys.is_empty() {
            return Ok(ids);
        }
        let wanted: Vec<&str> = keys.keys().map(String::as_str).collect();
        let rows = tx
            .query(
                "SELECT account_key, account_id FROM accounts
                  WHERE ledger_id = $1 AND account_key = ANY($2)",
                &[&self.ledger, &wanted],
            )
            .await
            .map_err(|e| map_err("look up accounts", e))?;
        for r in rows {
            ids.insert(r.get(0), r.get(1));
        }
        let missing: Vec<(&String, &(String, String))> =
            keys.iter().filter(|(k, _)| !ids.contains_key(*k)).collect();
        if missing.is_empty() {
            return Ok(ids);
        }
        let row = tx
            .query_one(
                "SELECT coalesce(max(account_id), 0) FROM accounts WHERE ledger_id = $1",
                &[&self.ledger],
            )
            .await
            .map_err(|e| map_err("number accounts", e))?;
        let mut next: i32 = row.get(0);
        let mut new_ids = Vec::with_capacity(missing.len());
        let mut new_keys = Vec::with_capacity(missing.len());
        let mut kinds = Vec::with_capacity(missing.len());
        let mut quals = Vec::with_capacity(missing.len());
        for (key, (kind, qual)) in missing {
            next += 1;
            ids.insert(key.clone(), next);
            new_ids.push(next);
            new_keys.push(key.as_str());
            kinds.push(kind.as_str());
            quals.push(qual.as_str());
        }
        tx.execute(
            "INSERT INTO accounts (ledger_id, account_id, account_key, kind, qualifier)
             SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])",
            &[&self.ledger, &new_ids, &new_keys, &kinds, &quals],
        )
        .await
        .map_err(|e| map_err("create accounts", e))?;
        Ok(ids)
    }

    /// Writes everything collected. Returns the seqs written, in order.
    async fn flush(self, tx: &Transaction<'_>) -> Result<Vec<i64>, StoreError> {
        let ids = self.account_ids(tx).await?;
        let ledger = self.ledger.as_str();
        let direct = self.direct;

        let sink = begin_copy(tx, "entries", ENTRIES_COLUMNS, direct).await?;
        let w = BinaryCopyInWriter::new(sink, &ENTRIES_TYPES);
        pin_mut!(w);
        for p in &self.pending {
            let e = &p.entry;
            let source = p.source.as_deref().map(hash_bytes).transpose()?;
            let (prev_hash, hash) = (hash_bytes(&p.prev_hash)?, hash_bytes(&p.hash)?);
            w.as_mut()
                .write(&[
                    &ledger,
                    &p.seq,
                    &e.kind.as_str(),
                    &e.booked_on,
                    &e.value_date,
                    &e.natural_key,
                    &e.position,
                    &e.memo,
                    &e.reverses,
                    &source,
                    &self.run_id,
                    &self.at,
                    &prev_hash,
                    &hash,
                ])
                .await
                .map_err(|e| map_err("copy entries", e))?;
        }
        w.finish().await.map_err(|e| map_err("copy entries", e))?;
        end_copy(tx, "entries", ENTRIES_COLUMNS, direct).await?;

        let sink = begin_copy(tx, "postings", POSTINGS_COLUMNS, direct).await?;
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
        let mut deltas: BTreeMap<(i32, NaiveDate), (Decimal, Decimal)> = BTreeMap::new();
        for p in &self.pending {
            for (i, posting) in p.entry.postings.iter().enumerate() {
                let account_id =
                    ids.get(&posting.account.to_string())
                        .copied()
                        .ok_or_else(|| {
                            StoreError::Corrupt(format!("account {} has no id", posting.account))
                        })?;
                let idx = i as i32;
                let slot = deltas
                    .entry((account_id, p.entry.booked_on))
                    .or_insert((Decimal::ZERO, Decimal::ZERO));
                match posting.side {
                    Direction::Debit => slot.0 += posting.amount,
                    Direction::Credit => slot.1 += posting.amount,
                }
                w.as_mut()
                    .write(&[
                        &ledger,
                        &p.seq,
                        &idx,
                        &account_id,
                        &posting.side.as_str(),
                        &posting.amount,
                        &posting.currency.as_str(),
                    ])
                    .await
                    .map_err(|e| map_err("copy postings", e))?;
            }
        }
        w.finish().await.map_err(|e| map_err("copy postings", e))?;
        end_copy(tx, "postings", POSTINGS_COLUMNS, direct).await?;

        if !deltas.is_empty() {
            let sink =
                begin_copy(tx, "account_day_deltas", ACCOUNT_DAY_DELTAS_COLUMNS, direct).await?;
            let w = BinaryCopyInWriter::new(
                sink,
                &[
                    Type::TEXT,
                    Type::INT4,
                    Type::DATE,
                    Type::INT8,
                    Type::TIMESTAMPTZ,
                    Type::NUMERIC,
                    Type::NUMERIC,
                ],
            );
            pin_mut!(w);
            for ((account_id, day), (debit, credit)) in &deltas {
                w.as_mut()
                    .write(&[
                        &ledger,
                        account_id,
                        day,
                        &self.run_id,
                        &self.at,
                        debit,
                        credit,
                    ])
                    .await
                    .map_err(|e| map_err("copy balance deltas", e))?;
            }
            w.finish()
                .await
                .map_err(|e| map_err("copy balance deltas", e))?;
            end_copy(tx, "account_day_deltas", ACCOUNT_DAY_DELTAS_COLUMNS, direct).await?;
        }

        if !self.joins.is_empty() {
            let seqs: Vec<i64> = self.joins.iter().map(|j| j.0).collect();
            let idxs: Vec<i32> = self.joins.iter().map(|j| j.1).collect();
            let keys: Vec<&str> = self.joins.iter().map(|j| j.2.as_str()).collect();
            tx.execute(
                "INSERT INTO entry_joins (ledger_id, seq, idx, joined_key)
                 SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::text[])",
                &[&ledger, &seqs, &idxs, &keys],
            )
            .await
            .map_err(|e| map_err("record joins", e))?;
        }
        Ok(self.pending.iter().map(|p| p.seq).collect())
    }
}

/// A hash or file sha256 (64 lower-case hex digits) as the 32 bytes stored since migration 0007.
pub(crate) fn hash_bytes(hex_text: &str) -> Result<Vec<u8>, StoreError> {
    match hex::decode(hex_text) {
        Ok(b) if b.len() == 32 && !hex_text.bytes().any(|c| c.is_ascii_uppercase()) => Ok(b),
        _ => Err(StoreError::InvalidInput {
            field: "hash".into(),
            expected: "64 lower-case hexadecimal digits".into(),
            found: hex_text.to_string(),
        }),
    }
}

/// Types of the [`ENTRIES_COLUMNS`] of a binary COPY (hashes and source file as bytea).
pub(crate) const ENTRIES_TYPES: [Type; 14] = [
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::DATE,
    Type::DATE,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::BYTEA,
    Type::INT8,
    Type::TIMESTAMPTZ,
    Type::BYTEA,
    Type::BYTEA,
];

/// Columns each COPY writes.
const ENTRIES_COLUMNS: &str = "ledger_id, seq, kind, booked_on, value_date, natural_key, position, memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash";
const POSTINGS_COLUMNS: &str = "ledger_id, seq, idx, account_id, side, amount, currency";
const ACCOUNT_DAY_DELTAS_COLUMNS: &str =
    "ledger_id, account_id, day, run_id, recorded_at, debit, credit";
const STATEMENT_LINES_COLUMNS: &str = "ledger_id, natural_key, file_sha256, run_id, recorded_at, statement_idx, pos_index, account, booking_date, amount, currency, search_text, facts, entry_seq";
const DOCUMENTS_COLUMNS: &str = "ledger_id, natural_key, kind, file_sha256, run_id, recorded_at, row_no, doc_date, body, entry_seq";
const DUPLICATES_COLUMNS: &str = "ledger_id, dup_id, what, natural_key, file_sha256, position, run_id, recorded_at, first_file_sha256, same_content, document";

/// Opens a binary COPY for `table`. Sessions subject to row-level security cannot COPY into an
/// RLS table, so for them (`direct == false`) the rows are staged in a temporary table and
/// moved with INSERT … SELECT by [`end_copy`], where the RLS policy checks every row.
async fn begin_copy(
    tx: &Transaction<'_>,
    table: &str,
    columns: &str,
    direct: bool,
) -> Result<tokio_postgres::CopyInSink<bytes::Bytes>, StoreError> {
    let target = if direct {
        table.to_string()
    } else {
        let stage = format!("kasda_stage_{table}");
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DROP"
        ))
        .await
        .map_err(|e| map_err(&format!("stage {table}"), e))?;
        stage
    };
    tx.copy_in(&format!("COPY {target} ({columns}) FROM STDIN BINARY"))
        .await
        .map_err(|e| map_err(&format!("copy {table}"), e))
}

/// Moves staged rows into `table` (no-op for direct COPY).
async fn end_copy(
    tx: &Transaction<'_>,
    table: &str,
    columns: &str,
    direct: bool,
) -> Result<(), StoreError> {
    if direct {
        return Ok(());
    }
    tx.batch_execute(&format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM kasda_stage_{table};
         TRUNCATE kasda_stage_{table}"
    ))
    .await
    .map_err(|e| map_err(&format!("insert staged {table}"), e))
}

/// Whether this session may COPY straight into the ledger tables: it bypasses row-level
/// security (superuser, BYPASSRLS, or owner of the tables).
pub(crate) async fn bypasses_rls(client: &Client) -> Result<bool, StoreError> {
    let row = client
        .query_one(
            "SELECT coalesce((SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r
                               WHERE r.rolname = current_user), false)
                 OR coalesce((SELECT pg_has_role(current_user, c.relowner, 'USAGE')
                                FROM pg_class c WHERE c.oid = to_regclass('entries')), false)",
            &[],
        )
        .await
        .map_err(|e| map_err("check row-level security", e))?;
    Ok(row.get(0))
}

async fn commit(tx: Transaction<'_>, what: &str) -> Result<(), StoreError> {
    tx.commit()
        .await
        .map_err(|e| map_err(&format!("{what}: commit"), e))
}

async fn begin<'c>(client: &'c mut Client, what: &str) -> Result<Transaction<'c>, StoreError> {
    client
        .transaction()
        .await
        .map_err(|e| map_err(&format!("{what}: begin"), e))
}

// ---------------------------------------------------------------------------------------------
// Ledgers
// ---------------------------------------------------------------------------------------------

pub(crate) async fn ensure_ledger(
    client: &mut Client,
    info: &LedgerInfo,
) -> Result<(), StoreError> {
    validate_ledger_code(&info.code)?;
    limit_check("ledger name length", info.name.len(), MAX_LABEL)?;
    let tx = begin(client, "ensure ledger").await?;
    lock_ledger(&tx, &info.code).await?;
    let row = tx
        .query_opt(
            "SELECT name FROM ledgers WHERE ledger_id = $1",
            &[&info.code],
        )
        .await
        .map_err(|e| map_err("find ledger", e))?;
    if let Some(r) = row {
        let existing: String = r.get(0);
        if existing != info.name {
            return Err(StoreError::LedgerNameConflict {
                ledger: info.code.clone(),
                existing,
                requested: info.name.clone(),
            });
        }
        return Ok(());
    }
    tx.execute(
        "INSERT INTO ledgers (ledger_id, name, created_at) VALUES ($1, $2, $3)",
        &[&info.code, &info.name, &now_micros()],
    )
    .await
    .map_err(|e| map_err("create ledger", e))?;
    commit(tx, "ensure ledger").await
}

// ---------------------------------------------------------------------------------------------
// Imports
// ---------------------------------------------------------------------------------------------

/// What is already stored under a natural key: the file that brought it and its content.
struct StoredFact<T> {
    file_sha256: String,
    content: T,
}

/// Rows of `sql` (natural key, file, then what `content` reads from column 2 on) for `keys`.
async fn stored_facts<T>(
    tx: &Transaction<'_>,
    sql: &str,
    ledger: &str,
    keys: &[&str],
    content: impl Fn(&tokio_postgres::Row) -> Result<T, StoreError>,
) -> Result<HashMap<String, StoredFact<T>>, StoreError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(MAX_KEYS_PER_LOOKUP) {
        let rows = tx
            .query(sql, &[&ledger_keys(ledger, chunk)])
            .await
            .map_err(|e| map_err("look up stored facts", e))?;
        for r in rows {
            out.insert(
                r.get(0),
                StoredFact {
                    file_sha256: r.get(1),
                    content: content(&r)?,
                },
            );
        }
    }
    Ok(out)
}

enum FactState<'b> {
    Stored(&'b StoredFact<LineFacts>),
    InBatch(usize),
}

pub(crate) async fn import_file(
    client: &mut Client,
    ledger: &str,
    batch: ImportBatch,
    direct: bool,
    hook: &mut dyn FnMut(ImportStage),
) -> Result<ImportOutcome, StoreError> {
    let tx = begin(client, "import").await?;
    // The statement triggers keep the file's new rows in transition tables and the COMMIT
    // check aggregates them; with the default 4 MB they spill to disk for a large file.
    tx.batch_execute("SET LOCAL work_mem = '128MB'")
        .await
        .map_err(|e| map_err("import: settings", e))?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    check_batch_limits(&batch)?;
    let sha = batch.file.sha256.clone();
    let already = tx
        .query_opt(
            "SELECT run_id FROM source_files WHERE ledger_id = $1 AND sha256 = $2",
            &[&ledger, &sha],
        )
        .await
        .map_err(|e| map_err("find file", e))?;
    if let Some(r) = already {
        return Ok(ImportOutcome {
            run_id: r.get(0),
            file_already_imported: true,
            ..Default::default()
        });
    }

    // Plan: which facts are new, which entries get appended.
    let line_keys: Vec<&str> = batch
        .statements
        .iter()
        .flat_map(|s| s.lines.iter().map(|l| l.facts.natural_key.as_str()))
        .collect();
    let doc_keys: Vec<&str> = batch
        .documents
        .iter()
        .map(|d| d.natural_key.as_str())
        .collect();
    let stored_lines = stored_facts(
        &tx,
        &format!(
            "SELECT natural_key, encode(file_sha256, 'hex'), {FACT_COLUMNS} FROM statement_lines
              WHERE {}",
            natural_key_in!("", "$1")
        ),
        ledger,
        &line_keys,
        |r| line_facts(r, 2),
    )
    .await?;
    let stored_docs = stored_facts(
        &tx,
        concat!(
            "SELECT natural_key, encode(file_sha256, 'hex'), body::text FROM documents WHERE ",
            natural_key_in!("", "$1")
        ),
        ledger,
        &doc_keys,
        |r| Ok(r.get::<_, String>(2)),
    )
    .await?;
    let mut seen_lines: HashSet<&str> = HashSet::new();
    let mut seen_docs: HashSet<&str> = HashSet::new();
    let mut entries: Vec<&JournalEntry> = Vec::new();
    for s in &batch.statements {
        for l in &s.lines {
            let k = l.facts.natural_key.as_str();
            if !stored_lines.contains_key(k) && seen_lines.insert(k) {
                entries.extend(l.entry.as_ref());
            }
        }
    }
    for d in &batch.documents {
        let k = d.natural_key.as_str();
        if !stored_docs.contains_key(k) && seen_docs.insert(k) {
            entries.extend(d.entry.as_ref());
        }
    }
    let entry_keys: Vec<&str> = entries.iter().map(|e| e.natural_key.as_str()).collect();
    let mut key_seq = existing_entry_keys(&tx, ledger, &entry_keys).await?;
    let reversed: Vec<i64> = entries.iter().filter_map(|e| e.reverses).collect();
    let stored_reversed = existing_seqs(&tx, ledger, &reversed).await?;
    let closed = closed_through(&tx, ledger).await?;
    let (next_seq, head) = chain_head(&tx, ledger).await?;
    plan_entries(
        ledger,
        &entries,
        closed,
        next_seq,
        &key_seq,
        &stored_reversed,
    )?;
    if let Some(e) = entries.iter().find(|e| e.reverses.is_some()) {
        return Err(StoreError::InvalidInput {
            field: format!("entry {}: reverses", e.natural_key),
            expected: "no reversal link in imported facts".into(),
            found: format!("{:?}", e.reverses),
        });
    }
    hook(ImportStage::Planned);

    // Write.
    let at = stamp(&tx, ledger).await?;
    let run_id = insert_run(
        &tx,
        ledger,
        RunKind::Import,
        &batch.file.imported_by,
        at,
        &serde_json::json!({
            "file": batch.file.name,
            "sha256": sha,
            "format": batch.file.format,
        }),
    )
    .await?;
    let size = i64::try_from(batch.file.size_bytes).map_err(|_| StoreError::InvalidInput {
        field: "file.size_bytes".into(),
        expected: format!("at most {}", i64::MAX),
        found: batch.file.size_bytes.to_string(),
    })?;
    tx.execute(
        "INSERT INTO source_files (ledger_id, sha256, name, size_bytes, format, imported_by,
                                   imported_at, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &ledger,
            &sha,
            &batch.file.name,
            &size,
            &batch.file.format,
            &batch.file.imported_by,
            &at,
            &run_id,
        ],
    )
    .await
    .map_err(|e| map_err("record file", e))?;

    let mut out = ImportOutcome {
        run_id,
        ..Default::default()
    };
    let mut writer = ChainWriter::new(ledger, next_seq, head, direct);
    writer.start(run_id, at);
    let append = |writer: &mut ChainWriter,
                  key_seq: &mut HashMap<String, i64>,
                  e: JournalEntry,
                  out: &mut ImportOutcome|
     -> i64 {
        if let Some(&seq) = key_seq.get(&e.natural_key) {
            out.entries_duplicate += 1;
            return seq;
        }
        let key = e.natural_key.clone();
        let seq = writer.push(e, Some(&sha));
        key_seq.insert(key, seq);
        out.entries_appended += 1;
        out.first_seq.get_or_insert(seq);
        out.last_seq = Some(seq);
        seq
    };

    // Statements (few) by plain INSERT.
    let mut dup_rows: Vec<DupRow> = Vec::new();
    let mut line_rows: Vec<(LineFacts, Option<i64>)> = Vec::new();
    let mut batch_lines: HashMap<String, usize> = HashMap::new();
    for s in batch.statements {
        let header = json_text("statement header", &s.header)?;
        let idx = s.index as i32;
        tx.execute(
            "INSERT INTO statements (ledger_id, file_sha256, idx, run_id, account, header)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &ledger,
                &sha,
                &idx,
                &run_id,
                &s.header.account,
                &RawJson(&header),
            ],
        )
        .await
        .map_err(|e| map_err("record statement", e))?;
        out.statements_new += 1;
        for line in s.lines {
            let key = line.facts.natural_key.as_str();
            let first = match stored_lines.get(key) {
                Some(f) => Some(FactState::Stored(f)),
                None => batch_lines.get(key).map(|&i| FactState::InBatch(i)),
            };
            if let Some(first) = first {
                let (first_file, same) = match first {
                    FactState::Stored(f) => (
                        f.file_sha256.clone(),
                        same_line_content(&f.content, &line.facts),
                    ),
                    FactState::InBatch(i) => (
                        sha.clone(),
                        line_rows
                            .get(i)
                            .is_some_and(|(f, ..)| same_line_content(f, &line.facts)),
                    ),
                };
                dup_rows.push(DupRow {
                    what: "line",
                    natural_key: line.facts.natural_key.clone(),
                    position: format!("{}:{}", line.facts.pos.line, line.facts.pos.index),
                    first_file,
                    same_content: same,
                    document: None,
                });
                out.lines_duplicate += 1;
                continue;
            }
            let entry_seq = line
                .entry
                .map(|e| append(&mut writer, &mut key_seq, e, &mut out));
            batch_lines.insert(line.facts.natural_key.clone(), line_rows.len());
            line_rows.push((line.facts, entry_seq));
            out.lines_new += 1;
        }
    }
    copy_lines(&tx, direct, ledger, &sha, run_id, at, &line_rows).await?;
    drop(line_rows);
    hook(ImportStage::LinesWritten);

    let mut doc_rows: Vec<DocRow> = Vec::new();
    let mut batch_docs: HashMap<String, usize> = HashMap::new();
    for d in batch.documents {
        let body = json_text("document", &d.document)?;
        let first = match stored_docs.get(&d.natural_key) {
            Some(f) => Some((f.file_sha256.clone(), f.content == body)),
            None => batch_docs
                .get(&d.natural_key)
                .map(|&i| (sha.clone(), doc_rows.get(i).is_some_and(|r| r.body == body))),
        };
        if let Some((first_file, same)) = first {
            dup_rows.push(DupRow {
                what: "document",
                natural_key: d.natural_key,
                position: format!("row {}", d.row),
                first_file,
                same_content: same,
                document: Some(body),
            });
            out.documents_duplicate += 1;
            continue;
        }
        let entry_seq = d
            .entry
            .map(|e| append(&mut writer, &mut key_seq, e, &mut out));
        batch_docs.insert(d.natural_key.clone(), doc_rows.len());
        doc_rows.push(DocRow {
            natural_key: d.natural_key,
            kind: DocKind::of(&d.document),
            row: i64::from(d.row),
            date: d.date,
            body,
            entry_seq,
        });
        out.documents_new += 1;
    }
    copy_documents(&tx, direct, ledger, &sha, run_id, at, &doc_rows).await?;
    drop(doc_rows);
    insert_duplicates(&tx, direct, ledger, &sha, run_id, at, &dup_rows).await?;
    hook(ImportStage::DocumentsWritten);

    writer.flush(&tx).await?;
    hook(ImportStage::EntriesWritten);
    commit(tx, "import").await?;
    Ok(out)
}

struct DupRow {
    what: &'static str,
    natural_key: String,
    position: String,
    first_file: String,
    same_content: bool,
    document: Option<String>,
}

struct DocRow {
    natural_key: String,
    kind: DocKind,
    row: i64,
    date: NaiveDate,
    body: String,
    entry_seq: Option<i64>,
}

async fn copy_lines(
    tx: &Transaction<'_>,
    direct: bool,
    ledger: &str,
    sha: &str,
    run_id: i64,
    at: DateTime<Utc>,
    rows: &[(LineFacts, Option<i64>)],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sink = begin_copy(tx, "statement_lines", STATEMENT_LINES_COLUMNS, direct).await?;
    let file = hash_bytes(sha)?;
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
    // Bodies are serialised row by row as they are sent, so a big file never holds two copies.
    for (f, entry_seq) in rows {
        let json = line_body(f)?;
        let statement_idx = f.statement_index as i32;
        let pos_index = i64::from(f.pos.index);
        let values: [&(dyn ToSql + Sync); 14] = [
            &ledger,
            &f.natural_key,
            &file,
            &run_id,
            &at,
            &statement_idx,
            &pos_index,
            &f.account,
            &f.booking_date,
            &f.amount,
            &f.currency.as_str(),
            &f.text,
            &RawJson(&json),
            entry_seq,
        ];
        w.as_mut()
            .write(&values)
            .await
            .map_err(|e| map_err("copy statement lines", e))?;
    }
    w.finish()
        .await
        .map_err(|e| map_err("copy statement lines", e))?;
    end_copy(tx, "statement_lines", STATEMENT_LINES_COLUMNS, direct).await?;
    Ok(())
}

async fn copy_documents(
    tx: &Transaction<'_>,
    direct: bool,
    ledger: &str,
    sha: &str,
    run_id: i64,
    at: DateTime<Utc>,
    rows: &[DocRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sink = begin_copy(tx, "documents", DOCUMENTS_COLUMNS, direct).await?;
    let file = hash_bytes(sha)?;
    let w = BinaryCopyInWriter::new(
        sink,
        &[
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::BYTEA,
            Type::INT8,
            Type::TIMESTAMPTZ,
            Type::INT8,
            Type::DATE,
            Type::JSON,
            Type::INT8,
        ],
    );
    pin_mut!(w);
    for d in rows {
        w.as_mut()
            .write(&[
                &ledger,
                &d.natural_key,
                &d.kind.as_str(),
                &file,
                &run_id,
                &at,
                &d.row,
                &d.date,
                &RawJson(&d.body),
                &d.entry_seq,
            ])
            .await
            .map_err(|e| map_err("copy documents", e))?;
    }
    w.finish().await.map_err(|e| map_err("copy documents", e))?;
    end_copy(tx, "documents", DOCUMENTS_COLUMNS, direct).await?;
    Ok(())
}

async fn insert_duplicates(
    tx: &Transaction<'_>,
    direct: bool,
    ledger: &str,
    sha: &str,
    run_id: i64,
    at: DateTime<Utc>,
    rows: &[DupRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let first: i64 = tx
        .query_one(
            "SELECT coalesce(max(dup_id), 0) + 1 FROM duplicates WHERE ledger_id = $1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("number duplicates", e))?
        .get(0);
    let sink = begin_copy(tx, "duplicates", DUPLICATES_COLUMNS, direct).await?;
    let w = BinaryCopyInWriter::new(
        sink,
        &[
            Type::TEXT,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::TIMESTAMPTZ,
            Type::TEXT,
            Type::BOOL,
            Type::JSON,
        ],
    );
    pin_mut!(w);
    for (i, d) in rows.iter().enumerate() {
        let dup_id = first + i as i64;
        let document = d.document.as_deref().map(RawJson);
        w.as_mut()
            .write(&[
                &ledger,
                &dup_id,
                &d.what,
                &d.natural_key,
                &sha,
                &d.position,
                &run_id,
                &at,
                &d.first_file,
                &d.same_content,
                &document,
            ])
            .await
            .map_err(|e| map_err("copy duplicates", e))?;
    }
    w.finish()
        .await
        .map_err(|e| map_err("copy duplicates", e))?;
    end_copy(tx, "duplicates", DUPLICATES_COLUMNS, direct).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Derived entries
// ---------------------------------------------------------------------------------------------

/// Plans, checks and appends derived entries inside `tx` (which holds the ledger lock).
async fn append_in(
    tx: &Transaction<'_>,
    direct: bool,
    ledger: &str,
    run: RunInfo,
    entries: Vec<NewEntry>,
) -> Result<AppendOutcome, StoreError> {
    limit_check(
        "entries in one append",
        entries.len(),
        MAX_ENTRIES_PER_APPEND,
    )?;
    limit_check("run actor length", run.actor.len(), MAX_LABEL)?;
    let refs: Vec<&JournalEntry> = entries.iter().map(|n| &n.entry).collect();
    let keys: Vec<&str> = refs.iter().map(|e| e.natural_key.as_str()).collect();
    let stored_keys = existing_entry_keys(tx, ledger, &keys).await?;
    let reversed: Vec<i64> = refs.iter().filter_map(|e| e.reverses).collect();
    let stored_reversed = existing_seqs(tx, ledger, &reversed).await?;
    let closed = closed_through(tx, ledger).await?;
    let (next_seq, head) = chain_head(tx, ledger).await?;
    let (fresh, duplicates) = plan_entries(
        ledger,
        &refs,
        closed,
        next_seq,
        &stored_keys,
        &stored_reversed,
    )?;
    let at = stamp(tx, ledger).await?;
    let run_id = insert_run(tx, ledger, run.kind, &run.actor, at, &run.details).await?;
    let fresh: HashSet<usize> = fresh.into_iter().collect();
    let mut writer = ChainWriter::new(ledger, next_seq, head, direct);
    writer.start(run_id, at);
    for (i, n) in entries.into_iter().enumerate() {
        if !fresh.contains(&i) {
            continue;
        }
        let seq = writer.push(n.entry, None);
        writer.join(seq, n.joins);
    }
    let appended = writer.flush(tx).await?;
    Ok(AppendOutcome {
        run_id,
        appended,
        duplicates,
    })
}

pub(crate) async fn append_entries(
    client: &mut Client,
    direct: bool,
    ledger: &str,
    run: RunInfo,
    entries: Vec<NewEntry>,
) -> Result<AppendOutcome, StoreError> {
    if entries.len() <= FAST_APPEND_MAX && validate_ledger_code(ledger).is_ok() {
        if let Some(out) = append_one_trip(client, ledger, &run, &entries).await? {
            return Ok(out);
        }
        return append_small(client, ledger, run, entries).await;
    }
    let tx = begin(client, "append entries").await?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    let out = append_in(&tx, direct, ledger, run, entries).await?;
    commit(tx, "append entries").await?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------------------------

pub(crate) async fn record_findings(
    client: &mut Client,
    ledger: &str,
    run_id: i64,
    findings: &[FindingInput],
) -> Result<(), StoreError> {
    limit_check(
        "findings in one call",
        findings.len(),
        MAX_FINDINGS_PER_CALL,
    )?;
    let tx = begin(client, "record findings").await?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    let run = tx
        .query_opt(
            "SELECT 1 FROM runs WHERE ledger_id = $1 AND run_id = $2",
            &[&ledger, &run_id],
        )
        .await
        .map_err(|e| map_err("find run", e))?;
    if run.is_none() {
        return Err(StoreError::InvalidInput {
            field: "run_id".into(),
            expected: format!("a run of ledger {ledger}"),
            found: run_id.to_string(),
        });
    }
    for f in findings {
        for (field, v) in [("finding id", &f.id), ("finding summary", &f.summary)] {
            limit_check(&format!("{field} length"), v.len(), MAX_LABEL)?;
        }
    }
    let at = stamp(&tx, ledger).await?;
    // Latest status and event count of the known findings among these ids.
    let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    let mut state: HashMap<String, (FindingStatus, i32)> = HashMap::new();
    for chunk in ids.chunks(MAX_KEYS_PER_LOOKUP) {
        let rows = tx
            .query(
                "SELECT DISTINCT ON (finding_id) finding_id, status, event_no
                   FROM finding_events WHERE ledger_id = $1 AND finding_id = ANY($2)
                  ORDER BY finding_id, event_no DESC",
                &[&ledger, &chunk],
            )
            .await
            .map_err(|e| map_err("read finding states", e))?;
        for r in rows {
            let status: String = r.get(1);
            let status = FindingStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("finding status {status:?}")))?;
            state.insert(r.get(0), (status, r.get::<_, i32>(2) + 1));
        }
    }
    let mut new_ids: Vec<&str> = Vec::new();
    let mut new_rules: Vec<&str> = Vec::new();
    let mut new_bodies: Vec<String> = Vec::new();
    let mut ev_ids: Vec<&str> = Vec::new();
    let mut ev_nos: Vec<i32> = Vec::new();
    let mut ev_status: Vec<&str> = Vec::new();
    for f in findings {
        match state.get_mut(&f.id) {
            Some((status, count)) => {
                if *status != f.status {
                    *status = f.status;
                    ev_ids.push(&f.id);
                    ev_nos.push(*count);
                    ev_status.push(f.status.as_str());
                    *count += 1;
                }
            }
            None => {
                state.insert(f.id.clone(), (f.status, 1));
                new_ids.push(&f.id);
                new_rules.push(&f.rule);
                new_bodies.push(json_text("finding", f)?);
                ev_ids.push(&f.id);
                ev_nos.push(0);
                ev_status.push(f.status.as_str());
            }
        }
    }
    if !new_ids.is_empty() {
        tx.execute(
            "INSERT INTO findings (ledger_id, finding_id, rule, first_seen_at, first_seen_run, body)
             SELECT $1, i, r, $4, $5, b::json FROM unnest($2::text[], $3::text[], $6::text[]) AS u(i, r, b)",
            &[&ledger, &new_ids, &new_rules, &at, &run_id, &new_bodies],
        )
        .await
        .map_err(|e| map_err("record findings", e))?;
    }
    if !ev_ids.is_empty() {
        tx.execute(
            "INSERT INTO finding_events (ledger_id, finding_id, event_no, run_id, at, status)
             SELECT $1, i, n, $4, $5, s FROM unnest($2::text[], $3::int[], $6::text[]) AS u(i, n, s)",
            &[&ledger, &ev_ids, &ev_nos, &run_id, &at, &ev_status],
        )
        .await
        .map_err(|e| map_err("record finding events", e))?;
    }
    commit(tx, "record findings").await
}

// ---------------------------------------------------------------------------------------------
// Maker-checker
// ---------------------------------------------------------------------------------------------

pub(crate) async fn propose(
    client: &mut Client,
    ledger: &str,
    proposal: NewProposal,
) -> Result<i64, StoreError> {
    let tx = begin(client, "propose").await?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    limit_check(
        "entries in one proposal",
        proposal.entries.len(),
        MAX_ENTRIES_PER_APPEND,
    )?;
    limit_check("proposal reason length", proposal.reason.len(), MAX_LABEL)?;
    limit_check("proposer length", proposal.proposed_by.len(), MAX_LABEL)?;
    if proposal.proposed_by.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            field: "proposed_by".into(),
            expected: "a user name".into(),
            found: "nothing".into(),
        });
    }
    if proposal.entries.is_empty() {
        return Err(StoreError::InvalidInput {
            field: "proposal entries".into(),
            expected: "at least one entry".into(),
            found: "none".into(),
        });
    }
    let closed = closed_through(&tx, ledger).await?;
    for n in &proposal.entries {
        check_entry(ledger, &n.entry, closed)?;
    }
    if let Some(claim) = opening_balance_claim(proposal.kind, &proposal.entries)? {
        opening_balance_free(&tx, ledger, &claim, None).await?;
    }
    let at = stamp(&tx, ledger).await?;
    let entries = json_text("proposal entries", &proposal.entries)?;
    let row = tx
        .query_one(
            "INSERT INTO proposals (ledger_id, proposal_id, kind, reason, proposed_by, proposed_at,
                                    entries)
             SELECT $1, coalesce(max(proposal_id), 0) + 1, $2, $3, $4, $5, $6
               FROM proposals WHERE ledger_id = $1
             RETURNING proposal_id",
            &[
                &ledger,
                &proposal.kind.as_str(),
                &proposal.reason,
                &proposal.proposed_by,
                &at,
                &RawJson(&entries),
            ],
        )
        .await
        .map_err(|e| map_err("record proposal", e))?;
    let id: i64 = row.get(0);
    commit(tx, "propose").await?;
    Ok(id)
}

/// The opening-balance rule (see [`kasda_store::opening_balance_claim`]): no opening-balance
/// entry of the claim's account that is not reversed (a range over the natural-key index), the
/// claim's key free, and no other open opening-balance proposal (`except` excluded) for the same
/// account. Migration 0003 checks the first part once more in the database.
async fn opening_balance_free(
    tx: &Transaction<'_>,
    ledger: &str,
    claim: &OpeningBalanceClaim,
    except: Option<i64>,
) -> Result<(), StoreError> {
    let (lo, hi) = opening_balance_key_range(&claim.account);
    let booked = tx
        .query(
            "SELECT e.seq, e.natural_key, e.booked_on,
                    EXISTS (SELECT 1 FROM entries r
                             WHERE r.ledger_id = e.ledger_id AND r.reverses = e.seq)
               FROM entries e
              WHERE e.ledger_id = $1 AND e.natural_key >= $2 AND e.natural_key < $3
                AND e.kind = 'opening_balance'
              ORDER BY e.seq",
            &[&ledger, &lo, &hi],
        )
        .await
        .map_err(|e| map_err("find opening balances", e))?;
    for row in booked {
        let key: String = row.get(1);
        let own = key
            .strip_prefix(lo.as_str())
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        let reversed: bool = row.get(3);
        if own && !reversed {
            return Err(claim.refuse_booked(row.get(0), row.get::<_, NaiveDate>(2)));
        }
    }
    let taken = tx
        .query_opt(
            "SELECT seq FROM entries WHERE ledger_id || ' ' || natural_key = $1 || ' ' || $2",
            &[&ledger, &claim.natural_key],
        )
        .await
        .map_err(|e| map_err("find opening balances", e))?;
    if let Some(row) = taken {
        return Err(claim.refuse_key_taken(row.get(0)));
    }
    let open = tx
        .query(
            "SELECT p.proposal_id, p.proposed_by, p.entries::text
               FROM proposals p
              WHERE p.ledger_id = $1 AND p.kind = 'opening_balance'
                AND NOT EXISTS (SELECT 1 FROM proposal_decisions d
                                 WHERE d.ledger_id = p.ledger_id AND d.proposal_id = p.proposal_id)
              ORDER BY p.proposal_id",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("find open opening-balance proposals", e))?;
    for row in open {
        let id: i64 = row.get(0);
        if Some(id) == except {
            continue;
        }
        let text: String = row.get(2);
        let entries: Vec<NewEntry> = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("proposal {id} entries: {e}")))?;
        let same_account = entries
            .first()
            .and_then(|n| opening_balance_parts(&n.entry))
            .is_some_and(|(account, _)| account == claim.account);
        if same_account {
            return Err(claim.refuse_open(id, &row.get::<_, String>(1)));
        }
    }
    Ok(())
}

/// The proposal's proposer, kind, reason, entries and decision (if any).
struct ProposalRow {
    kind: String,
    reason: String,
    proposed_by: String,
    entries: String,
    decision: Option<String>,
}

async fn load_proposal(
    tx: &Transaction<'_>,
    ledger: &str,
    id: i64,
) -> Result<ProposalRow, StoreError> {
    let row = tx
        .query_opt(
            "SELECT p.kind, p.reason, p.proposed_by, p.entries::text, d.decision
               FROM proposals p
               LEFT JOIN proposal_decisions d
                 ON d.ledger_id = p.ledger_id AND d.proposal_id = p.proposal_id
              WHERE p.ledger_id = $1 AND p.proposal_id = $2",
            &[&ledger, &id],
        )
        .await
        .map_err(|e| map_err("find proposal", e))?
        .ok_or_else(|| StoreError::UnknownProposal {
            ledger: ledger.to_string(),
            id,
        })?;
    Ok(ProposalRow {
        kind: row.get(0),
        reason: row.get(1),
        proposed_by: row.get(2),
        entries: row.get(3),
        decision: row.get(4),
    })
}

pub(crate) async fn approve(
    client: &mut Client,
    direct: bool,
    ledger: &str,
    id: i64,
    approver: &str,
) -> Result<AppendOutcome, StoreError> {
    let tx = begin(client, "approve").await?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    let p = load_proposal(&tx, ledger, id).await?;
    if let Some(status) = p.decision {
        return Err(StoreError::ProposalNotOpen { id, status });
    }
    if approver.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            field: "approver".into(),
            expected: "a user name".into(),
            found: "nothing".into(),
        });
    }
    limit_check("approver length", approver.len(), MAX_LABEL)?;
    if same_user(&p.proposed_by, approver) {
        return Err(StoreError::SameUserApproval {
            id,
            user: approver.to_string(),
        });
    }
    let entries: Vec<NewEntry> = serde_json::from_str(&p.entries)
        .map_err(|e| StoreError::Corrupt(format!("proposal {id} entries: {e}")))?;
    let kind = ProposalKind::parse(&p.kind)
        .ok_or_else(|| StoreError::Corrupt(format!("proposal {id} kind {:?}", p.kind)))?;
    if let Some(claim) = opening_balance_claim(kind, &entries)? {
        opening_balance_free(&tx, ledger, &claim, Some(id)).await?;
    }
    let run = RunInfo {
        kind: RunKind::Manual,
        actor: approver.to_string(),
        details: serde_json::json!({
            "proposal": id,
            "proposal_kind": p.kind,
            "proposed_by": p.proposed_by,
            "reason": p.reason,
        }),
    };
    let out = append_in(&tx, direct, ledger, run, entries).await?;
    tx.execute(
        "INSERT INTO proposal_decisions (ledger_id, proposal_id, decision, decided_by, decided_at,
                                         run_id, reason)
         SELECT $1, $2, 'approved', $3, r.started_at, r.run_id, ''
           FROM runs r WHERE r.ledger_id = $1 AND r.run_id = $4",
        &[&ledger, &id, &approver, &out.run_id],
    )
    .await
    .map_err(|e| map_err("record approval", e))?;
    commit(tx, "approve").await?;
    Ok(out)
}

pub(crate) async fn reject(
    client: &mut Client,
    ledger: &str,
    id: i64,
    user: &str,
    reason: &str,
) -> Result<(), StoreError> {
    limit_check("rejection reason length", reason.len(), MAX_LABEL)?;
    limit_check("user length", user.len(), MAX_LABEL)?;
    let tx = begin(client, "reject").await?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    let p = load_proposal(&tx, ledger, id).await?;
    if let Some(status) = p.decision {
        return Err(StoreError::ProposalNotOpen { id, status });
    }
    let at = stamp(&tx, ledger).await?;
    tx.execute(
        "INSERT INTO proposal_decisions (ledger_id, proposal_id, decision, decided_by, decided_at,
                                         run_id, reason)
         VALUES ($1, $2, 'rejected', $3, $4, NULL, $5)",
        &[&ledger, &id, &user, &at, &reason],
    )
    .await
    .map_err(|e| map_err("record rejection", e))?;
    commit(tx, "reject").await
}

// ---------------------------------------------------------------------------------------------
// Period close
// ---------------------------------------------------------------------------------------------

pub(crate) async fn close_period(
    client: &mut Client,
    ledger: &str,
    through: NaiveDate,
    actor: &str,
) -> Result<(), StoreError> {
    limit_check("actor length", actor.len(), MAX_LABEL)?;
    let tx = begin(client, "close period").await?;
    lock_ledger(&tx, ledger).await?;
    require_ledger(&tx, ledger).await?;
    if let Some(c) = closed_through(&tx, ledger).await? {
        if through <= c {
            return Err(StoreError::PeriodAlreadyClosed {
                ledger: ledger.to_string(),
                closed_through: c,
                requested: through,
            });
        }
    }
    let at = stamp(&tx, ledger).await?;
    let run_id = insert_run(
        &tx,
        ledger,
        RunKind::Close,
        actor,
        at,
        &serde_json::json!({ "closed_through": through.format("%Y-%m-%d").to_string() }),
    )
    .await?;
    tx.execute(
        "INSERT INTO period_locks (ledger_id, through_date, locked_at, actor, run_id)
         VALUES ($1, $2, $3, $4, $5)",
        &[&ledger, &through, &at, &actor, &run_id],
    )
    .await
    .map_err(|e| map_err("record period lock", e))?;
    commit(tx, "close period").await
}

// ---------------------------------------------------------------------------------------------
// Small appends: two pipelined round trips, the ledger lock never held across a WAL flush
// ---------------------------------------------------------------------------------------------

/// Appends of at most this many entries take [`append_small`]; larger ones COPY.
pub(crate) const FAST_APPEND_MAX: usize = 1_000;

/// What [`append_small`] reads under the ledger lock, in one statement.
const SMALL_APPEND_READS: &str = "
SELECT EXISTS (SELECT 1 FROM ledgers WHERE ledger_id = $1),
       h.seq, encode(h.hash, 'hex'),
       (SELECT max(through_date) FROM period_locks WHERE ledger_id = $1),
       greatest((SELECT max(started_at) FROM runs WHERE ledger_id = $1),
                (SELECT max(proposed_at) FROM proposals WHERE ledger_id = $1),
                (SELECT max(decided_at) FROM proposal_decisions WHERE ledger_id = $1),
                (SELECT max(at) FROM finding_events WHERE ledger_id = $1)),
       (SELECT coalesce(max(run_id), 0) FROM runs WHERE ledger_id = $1),
       ARRAY(SELECT natural_key FROM entries
              WHERE ledger_id || ' ' || natural_key
                    = ANY (ARRAY(SELECT $1 || ' ' || k FROM unnest($2::text[]) AS k))),
       ARRAY(SELECT seq FROM entries WHERE ledger_id = $1 AND seq = ANY($3)),
       ARRAY(SELECT account_key FROM accounts WHERE ledger_id = $1 AND account_key = ANY($4)
              ORDER BY account_key),
       ARRAY(SELECT account_id FROM accounts WHERE ledger_id = $1 AND account_key = ANY($4)
              ORDER BY account_key),
       (SELECT coalesce(max(account_id), 0) FROM accounts WHERE ledger_id = $1)
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT seq, hash FROM entries WHERE ledger_id = $1
                      ORDER BY seq DESC LIMIT 1) AS h ON true";

/// [`append_entries`] for a few entries (a reconcile match, a fee, a correction), built for
/// many concurrent writers on one ledger. The same checks and the same rows as the COPY path,
/// in two round trips:
///
/// 1. `BEGIN`, `SET LOCAL synchronous_commit = off`, the ledger's advisory lock, then (its
///    own statement, so its snapshot is taken after the lock is granted and sees the previous
///    holder's commit) everything the plan needs: ledger, chain head, closed period, clock,
///    next run id, stored keys, reversed entries and account ids.
/// 2. The run, new accounts, entries, postings, balance deltas and joins as `INSERT … SELECT
///    FROM unnest(…)` (row-level security checks each row, so any role may take this path),
///    then `COMMIT` — which runs the deferred database checks and releases the lock as soon as
///    the commit record is in the WAL buffers — and then a second, synchronous transaction
///    that writes one WAL record and flushes.
///
/// Durability: the call returns only after that flush, and the WAL is one ordered stream, so
/// the append's commit record (written before the flush transaction's) is on disk when it
/// returns, exactly as with a synchronous commit. What changes is that the ledger lock is no
/// longer held while the disk syncs: the next writer builds on the head meanwhile, and the
/// flushes of concurrent writers are grouped by PostgreSQL's group commit. A crash before the
/// flush loses this append and every later one together (their commit records follow it in
/// the WAL), so the chain on disk never has a hole; no caller has been told any of them
/// succeeded.
pub(crate) async fn append_small(
    client: &mut Client,
    ledger: &str,
    run: RunInfo,
    entries: Vec<NewEntry>,
) -> Result<AppendOutcome, StoreError> {
    let result = append_small_in(client, ledger, run, entries).await;
    if result.is_err() {
        // Whatever failed, leave the session outside any transaction (a no-op when the
        // failed COMMIT already ended it).
        let _ = client.batch_execute("ROLLBACK").await;
    }
    result
}

async fn append_small_in(
    client: &Client,
    ledger: &str,
    run: RunInfo,
    entries: Vec<NewEntry>,
) -> Result<AppendOutcome, StoreError> {
    let refs: Vec<&JournalEntry> = entries.iter().map(|n| &n.entry).collect();
    let keys: Vec<&str> = refs.iter().map(|e| e.natural_key.as_str()).collect();
    let reversed: Vec<i64> = refs.iter().filter_map(|e| e.reverses).collect();
    let mut accounts: BTreeMap<String, (String, String)> = BTreeMap::new();
    for p in refs.iter().flat_map(|e| e.postings.iter()) {
        accounts.entry(p.account.to_string()).or_insert_with(|| {
            (
                p.account.kind().as_str().to_string(),
                p.account.qualifier().to_string(),
            )
        });
    }
    let account_keys: Vec<&str> = accounts.keys().map(String::as_str).collect();

    // Round trip 1. The ledger code is validated ([A-Za-z0-9._-]), so it may be a literal.
    let begin = format!(
        "BEGIN; SET LOCAL synchronous_commit = off;
         SELECT pg_advisory_xact_lock(hashtextextended('kasda.ledger:' || '{ledger}', 0))"
    );
    let (_, row) = futures_util::try_join!(
        async {
            client
                .batch_execute(&begin)
                .await
                .map_err(|e| map_err("append entries: lock ledger", e))
        },
        async {
            client
                .query_typed(
                    SMALL_APPEND_READS,
                    &[
                        (&ledger, Type::TEXT),
                        (&keys, Type::TEXT_ARRAY),
                        (&reversed, Type::INT8_ARRAY),
                        (&account_keys, Type::TEXT_ARRAY),
                    ],
                )
                .await
                .map_err(|e| map_err("append entries: read ledger state", e))
        }
    )?;
    let row = row
        .first()
        .ok_or_else(|| StoreError::Corrupt("ledger state query returned no row".into()))?;
    if !row.get::<_, bool>(0) {
        return Err(StoreError::UnknownLedger {
            ledger: ledger.to_string(),
        });
    }
    limit_check("run actor length", run.actor.len(), MAX_LABEL)?;
    let (next_seq, head) = match row.get::<_, Option<i64>>(1) {
        Some(seq) => (seq + 1, row.get::<_, String>(2)),
        None => (1, kasda_core::ledger::GENESIS_HASH.to_string()),
    };
    let closed: Option<NaiveDate> = row.get(3);
    let last_stamp: Option<DateTime<Utc>> = row.get(4);
    let run_id: i64 = row.get::<_, i64>(5) + 1;
    let stored_keys: HashMap<String, i64> = row
        .get::<_, Vec<String>>(6)
        .into_iter()
        .map(|k| (k, 0))
        .collect();
    let stored_reversed: HashSet<i64> = row.get::<_, Vec<i64>>(7).into_iter().collect();
    let known_keys: Vec<String> = row.get(8);
    let known_ids: Vec<i32> = row.get(9);
    let mut next_account: i32 = row.get(10);

    // Plan and hash, exactly as the COPY path does.
    let (fresh, duplicates) = plan_entries(
        ledger,
        &refs,
        closed,
        next_seq,
        &stored_keys,
        &stored_reversed,
    )?;
    drop(refs);
    let now = now_micros();
    let at = match last_stamp {
        Some(l) if l > now => l,
        _ => now,
    };
    let mut ids: HashMap<String, i32> = known_keys.into_iter().zip(known_ids).collect();
    let mut new_ids: Vec<i32> = Vec::new();
    let mut new_keys: Vec<&str> = Vec::new();
    let mut new_kinds: Vec<&str> = Vec::new();
    let mut new_quals: Vec<&str> = Vec::new();
    let fresh: HashSet<usize> = fresh.into_iter().collect();
    let mut writer = ChainWriter::new(ledger, next_seq, head, true);
    writer.start(run_id, at);
    for (i, n) in entries.into_iter().enumerate() {
        if fresh.contains(&i) {
            let seq = writer.push(n.entry, None);
            writer.join(seq, n.joins);
        }
    }
    for p in writer.pending.iter().flat_map(|e| e.entry.postings.iter()) {
        let key = p.account.to_string();
        if ids.contains_key(&key) {
            continue;
        }
        let Some((key, (kind, qual))) = accounts.get_key_value(&key) else {
            return Err(StoreError::Corrupt(format!(
                "account {key} was not collected"
            )));
        };
        next_account += 1;
        ids.insert(key.clone(), next_account);
        new_ids.push(next_account);
        new_keys.push(key);
        new_kinds.push(kind);
        new_quals.push(qual);
    }

    // Columns of the new rows.
    let mut e_seq = Vec::new();
    let mut e_kind = Vec::new();
    let mut e_booked = Vec::new();
    let mut e_value = Vec::new();
    let mut e_key = Vec::new();
    let mut e_pos = Vec::new();
    let mut e_memo = Vec::new();
    let mut e_rev = Vec::new();
    let mut e_prev = Vec::new();
    let mut e_hash = Vec::new();
    let mut p_seq = Vec::new();
    let mut p_idx = Vec::new();
    let mut p_acc = Vec::new();
    let mut p_side = Vec::new();
    let mut p_amt = Vec::new();
    let mut p_cur = Vec::new();
    let mut deltas: BTreeMap<(i32, NaiveDate), (Decimal, Decimal)> = BTreeMap::new();
    for p in &writer.pending {
        let e = &p.entry;
        e_seq.push(p.seq);
        e_kind.push(e.kind.as_str());
        e_booked.push(e.booked_on);
        e_value.push(e.value_date);
        e_key.push(e.natural_key.as_str());
        e_pos.push(e.position.as_str());
        e_memo.push(e.memo.as_str());
        e_rev.push(e.reverses);
        e_prev.push(p.prev_hash.as_str());
        e_hash.push(p.hash.as_str());
        for (i, posting) in e.postings.iter().enumerate() {
            let account_id = ids
                .get(&posting.account.to_string())
                .copied()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("account {} has no id", posting.account))
                })?;
            let slot = deltas
                .entry((account_id, e.booked_on))
                .or_insert((Decimal::ZERO, Decimal::ZERO));
            match posting.side {
                Direction::Debit => slot.0 += posting.amount,
                Direction::Credit => slot.1 += posting.amount,
            }
            p_seq.push(p.seq);
            p_idx.push(i as i32);
            p_acc.push(account_id);
            p_side.push(posting.side.as_str());
            p_amt.push(posting.amount);
            p_cur.push(posting.currency.as_str());
        }
    }
    let d_acc: Vec<i32> = deltas.keys().map(|k| k.0).collect();
    let d_day: Vec<NaiveDate> = deltas.keys().map(|k| k.1).collect();
    let d_debit: Vec<Decimal> = deltas.values().map(|v| v.0).collect();
    let d_credit: Vec<Decimal> = deltas.values().map(|v| v.1).collect();
    let j_seq: Vec<i64> = writer.joins.iter().map(|j| j.0).collect();
    let j_idx: Vec<i32> = writer.joins.iter().map(|j| j.1).collect();
    let j_key: Vec<&str> = writer.joins.iter().map(|j| j.2.as_str()).collect();
    let details = json_text("run details", &run.details)?;

    // Round trip 2: every statement sent at once, executed in order; then COMMIT and the flush.
    let run_insert = async {
        client
            .execute_typed(
                "INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    (&ledger, Type::TEXT),
                    (&run_id, Type::INT8),
                    (&run.kind.as_str(), Type::TEXT),
                    (&run.actor, Type::TEXT),
                    (&at, Type::TIMESTAMPTZ),
                    (&RawJson(&details), Type::JSON),
                ],
            )
            .await
            .map_err(|e| map_err("record run", e))
    };
    let account_insert = async {
        if new_ids.is_empty() {
            return Ok(0);
        }
        client
            .execute_typed(
                "INSERT INTO accounts (ledger_id, account_id, account_key, kind, qualifier)
                 SELECT $1, * FROM unnest($2::int4[], $3::text[], $4::text[], $5::text[])",
                &[
                    (&ledger, Type::TEXT),
                    (&new_ids, Type::INT4_ARRAY),
                    (&new_keys, Type::TEXT_ARRAY),
                    (&new_kinds, Type::TEXT_ARRAY),
                    (&new_quals, Type::TEXT_ARRAY),
                ],
            )
            .await
            .map_err(|e| map_err("create accounts", e))
    };
    let entry_insert = async {
        if e_seq.is_empty() {
            return Ok(0);
        }
        client
            .execute_typed(
                "INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                                      position, memo, reverses, source_sha256, run_id,
                                      recorded_at, prev_hash, hash)
                 SELECT $1, u.seq, u.kind, u.booked_on, u.value_date, u.natural_key, u.position,
                        u.memo, u.reverses, NULL, $2, $3, decode(u.prev_hash, 'hex'),
                        decode(u.hash, 'hex')
                   FROM unnest($4::int8[], $5::text[], $6::date[], $7::date[], $8::text[],
                               $9::text[], $10::text[], $11::int8[], $12::text[], $13::text[])
                        AS u(seq, kind, booked_on, value_date, natural_key, position, memo,
                             reverses, prev_hash, hash)",
                &[
                    (&ledger, Type::TEXT),
                    (&run_id, Type::INT8),
                    (&at, Type::TIMESTAMPTZ),
                    (&e_seq, Type::INT8_ARRAY),
                    (&e_kind, Type::TEXT_ARRAY),
                    (&e_booked, Type::DATE_ARRAY),
                    (&e_value, Type::DATE_ARRAY),
                    (&e_key, Type::TEXT_ARRAY),
                    (&e_pos, Type::TEXT_ARRAY),
                    (&e_memo, Type::TEXT_ARRAY),
                    (&e_rev, Type::INT8_ARRAY),
                    (&e_prev, Type::TEXT_ARRAY),
                    (&e_hash, Type::TEXT_ARRAY),
                ],
            )
            .await
            .map_err(|e| map_err("record entries", e))
    };
    let posting_insert = async {
        if p_seq.is_empty() {
            return Ok(0);
        }
        client
            .execute_typed(
                "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
                 SELECT $1, * FROM unnest($2::int8[], $3::int4[], $4::int4[], $5::text[],
                                          $6::numeric[], $7::text[])",
                &[
                    (&ledger, Type::TEXT),
                    (&p_seq, Type::INT8_ARRAY),
                    (&p_idx, Type::INT4_ARRAY),
                    (&p_acc, Type::INT4_ARRAY),
                    (&p_side, Type::TEXT_ARRAY),
                    (&p_amt, Type::NUMERIC_ARRAY),
                    (&p_cur, Type::TEXT_ARRAY),
                ],
            )
            .await
            .map_err(|e| map_err("record postings", e))
    };
    let delta_insert = async {
        if d_acc.is_empty() {
            return Ok(0);
        }
        client
            .execute_typed(
                "INSERT INTO account_day_deltas (ledger_id, account_id, day, run_id, recorded_at,
                                                 debit, credit)
                 SELECT $1, u.a, u.d, $2, $3, u.dr, u.cr
                   FROM unnest($4::int4[], $5::date[], $6::numeric[], $7::numeric[])
                        AS u(a, d, dr, cr)",
                &[
                    (&ledger, Type::TEXT),
                    (&run_id, Type::INT8),
                    (&at, Type::TIMESTAMPTZ),
                    (&d_acc, Type::INT4_ARRAY),
                    (&d_day, Type::DATE_ARRAY),
                    (&d_debit, Type::NUMERIC_ARRAY),
                    (&d_credit, Type::NUMERIC_ARRAY),
                ],
            )
            .await
            .map_err(|e| map_err("record balance deltas", e))
    };
    let join_insert = async {
        if j_seq.is_empty() {
            return Ok(0);
        }
        client
            .execute_typed(
                "INSERT INTO entry_joins (ledger_id, seq, idx, joined_key)
                 SELECT $1, * FROM unnest($2::int8[], $3::int4[], $4::text[])",
                &[
                    (&ledger, Type::TEXT),
                    (&j_seq, Type::INT8_ARRAY),
                    (&j_idx, Type::INT4_ARRAY),
                    (&j_key, Type::TEXT_ARRAY),
                ],
            )
            .await
            .map_err(|e| map_err("record joins", e))
    };
    // The flush transaction writes one transactional WAL message (any role may), so its
    // synchronous COMMIT waits until the WAL — with the append's commit record before it — is
    // on disk.
    let commit = async {
        client
            .batch_execute(
                "COMMIT;
                 BEGIN; SELECT pg_logical_emit_message(true, 'kasda.flush', ''); COMMIT",
            )
            .await
            .map_err(|e| map_err("append entries: commit", e))
    };
    futures_util::try_join!(
        run_insert,
        account_insert,
        entry_insert,
        posting_insert,
        delta_insert,
        join_insert,
        commit
    )?;
    Ok(AppendOutcome {
        run_id,
        appended: writer.pending.iter().map(|p| p.seq).collect(),
        duplicates,
    })
}

// ---------------------------------------------------------------------------------------------
// Small appends in one round trip (migration 0002)
// ---------------------------------------------------------------------------------------------

/// SQLSTATE with which `kasda_append_small` asks for the general path.
pub(crate) const GENERAL_PATH: &str = "KD900";

/// The call of `kasda_append_small` (schema/postgres/0002_append_one_trip.sql).
const APPEND_SMALL_CALL: &str = "SELECT run_id, fresh, head, seqs, hashes FROM kasda_append_small(
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
    $21, $22, $23, $24)";

/// The part of [`kasda_core::ledger::canonical_encoding`] before the entry's own fields: the
/// version tag, the ledger code and the seq (here 0), each a length-prefixed field.
pub(crate) fn canonical_header(ledger: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + ledger.len());
    for s in ["kasda-entry-v1", ledger, "0"] {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out
}

/// [`append_entries`] for a few entries in ONE round trip: `BEGIN`, the call of
/// `kasda_append_small` (which takes the ledger lock, plans, numbers, hashes and inserts
/// everything inside the database) and `COMMIT` plus the durable flush transaction of
/// [`append_small`] are sent together, so the ledger lock is held only while the server works.
///
/// The client does what needs no ledger state first (each entry's own validity, the actor's
/// length) and encodes each entry with kasda_core's canonical encoder; the server only splices
/// the seq into the hash input. Every returned hash is recomputed here with
/// [`chain_hash`] and a difference is refused as corruption.
///
/// `Ok(None)`: the general path must decide (an invalid entry, an unknown ledger, a closed
/// period, a missing reversed entry, or a database without migration 0002); nothing was
/// written and the session is outside any transaction.
async fn append_one_trip(
    client: &mut Client,
    ledger: &str,
    run: &RunInfo,
    entries: &[NewEntry],
) -> Result<Option<AppendOutcome>, StoreError> {
    if run.actor.len() > MAX_LABEL
        || entries
            .iter()
            .any(|n| check_entry(ledger, &n.entry, None).is_err())
    {
        return Ok(None);
    }
    let header = canonical_header(ledger);
    let n = entries.len();
    let mut c = SmallColumns::default();
    if !c.push(ledger, &header, 1, entries) {
        // The canonical encoding no longer starts as the database expects: let the general
        // path hash it.
        return Ok(None);
    }
    let details = json_text("run details", &run.details)?;
    let now = now_micros();
    let kind = run.kind.as_str();
    let params: [(&(dyn ToSql + Sync), Type); 24] = [
        (&ledger, Type::TEXT),
        (&kind, Type::TEXT),
        (&run.actor, Type::TEXT),
        (&RawJson(&details), Type::JSON),
        (&now, Type::TIMESTAMPTZ),
        (&c.e_kind, Type::TEXT_ARRAY),
        (&c.e_booked, Type::DATE_ARRAY),
        (&c.e_value, Type::DATE_ARRAY),
        (&c.e_key, Type::TEXT_ARRAY),
        (&c.e_pos, Type::TEXT_ARRAY),
        (&c.e_memo, Type::TEXT_ARRAY),
        (&c.e_rev, Type::INT8_ARRAY),
        (&c.e_tail, Type::BYTEA_ARRAY),
        (&c.p_entry, Type::INT4_ARRAY),
        (&c.p_idx, Type::INT4_ARRAY),
        (&c.p_account, Type::TEXT_ARRAY),
        (&c.p_acc_kind, Type::TEXT_ARRAY),
        (&c.p_acc_qual, Type::TEXT_ARRAY),
        (&c.p_side, Type::TEXT_ARRAY),
        (&c.p_amount, Type::NUMERIC_ARRAY),
        (&c.p_cur, Type::TEXT_ARRAY),
        (&c.j_entry, Type::INT4_ARRAY),
        (&c.j_idx, Type::INT4_ARRAY),
        (&c.j_key, Type::TEXT_ARRAY),
    ];

    // One round trip: every message is sent before any answer is awaited, and all three are
    // awaited (an aborted transaction's COMMIT rolls back, so the session ends idle).
    let (begun, called, committed) = futures_util::join!(
        client.batch_execute("BEGIN; SET LOCAL synchronous_commit = off"),
        client.query_typed(APPEND_SMALL_CALL, &params),
        client.batch_execute(
            "COMMIT;
             BEGIN; SELECT pg_logical_emit_message(true, 'kasda.flush', ''); COMMIT",
        )
    );
    let failure = match (begun, called, committed) {
        (Ok(()), Ok(rows), Ok(())) => Ok(rows),
        (Ok(()), Err(e), Ok(()))
            if e.as_db_error().is_some_and(|db| {
                db.code().code() == GENERAL_PATH || db.code().code() == "42883"
            }) =>
        {
            return Ok(None);
        }
        (Err(e), _, _) => Err(("append entries: begin", e)),
        (_, Err(e), _) => Err(("append entries", e)),
        (_, _, Err(e)) => Err(("append entries: commit", e)),
    };
    let rows = match failure {
        Ok(rows) => rows,
        Err((what, e)) => {
            // Leave the session outside any transaction (a no-op when COMMIT ended it).
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(map_err(what, e));
        }
    };
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Corrupt("kasda_append_small returned no row".into()))?;
    let run_id: i64 = row.get(0);
    let fresh: Vec<bool> = row.get(1);
    let mut prev: String = row.get(2);
    let seqs: Vec<i64> = row.get(3);
    let hashes: Vec<String> = row.get(4);
    let fresh_count = fresh.iter().filter(|f| **f).count();
    if fresh.len() != n || seqs.len() != fresh_count || hashes.len() != fresh_count {
        return Err(StoreError::Corrupt(format!(
            "kasda_append_small answered for {} entries with {} seqs and {} hashes, expected {n} entries",
            fresh.len(),
            seqs.len(),
            hashes.len()
        )));
    }
    let mut k = 0;
    let duplicates = check_returned(ledger, &mut prev, entries, &fresh, &seqs, &hashes, &mut k)?;
    Ok(Some(AppendOutcome {
        run_id,
        appended: seqs,
        duplicates,
    }))
}

/// Checks the entries of one call against what `kasda_append_small` / `kasda_append_group`
/// returned: `fresh` flags the call's entries, `seqs[*k..]` and `hashes[*k..]` are its new
/// entries in order, `prev` the hash before them. Every hash is recomputed with [`chain_hash`]
/// (a difference is corruption); `prev` and `k` move past the call. Returns the duplicates.
pub(crate) fn check_returned(
    ledger: &str,
    prev: &mut String,
    entries: &[NewEntry],
    fresh: &[bool],
    seqs: &[i64],
    hashes: &[String],
    k: &mut usize,
) -> Result<Vec<String>, StoreError> {
    let mut duplicates = Vec::new();
    for (ne, is_fresh) in entries.iter().zip(fresh) {
        if !*is_fresh {
            duplicates.push(ne.entry.natural_key.clone());
            continue;
        }
        let (Some(seq), Some(hash)) = (seqs.get(*k), hashes.get(*k)) else {
            return Err(StoreError::Corrupt(format!(
                "ledger {ledger}: PostgreSQL returned no seq for entry {}",
                ne.entry.natural_key
            )));
        };
        let expected = chain_hash(prev, ledger, *seq, None, &ne.entry);
        if &expected != hash {
            return Err(StoreError::Corrupt(format!(
                "ledger {ledger}: PostgreSQL hashed entry {seq} ({}) as {hash}, kasda computes {expected}",
                ne.entry.natural_key
            )));
        }
        *prev = expected;
        *k += 1;
    }
    Ok(duplicates)
}

/// The entry, posting and join columns that `kasda_append_small` (migration 0002) and
/// `kasda_append_group` (migration 0005) take: entries of one or more calls in order, each
/// tagged with its call (1-based); postings and joins name their entry by its 1-based position.
#[derive(Default)]
pub(crate) struct SmallColumns<'a> {
    pub(crate) e_caller: Vec<i32>,
    pub(crate) e_kind: Vec<&'a str>,
    pub(crate) e_booked: Vec<NaiveDate>,
    pub(crate) e_value: Vec<NaiveDate>,
    pub(crate) e_key: Vec<&'a str>,
    pub(crate) e_pos: Vec<&'a str>,
    pub(crate) e_memo: Vec<&'a str>,
    pub(crate) e_rev: Vec<Option<i64>>,
    pub(crate) e_tail: Vec<Vec<u8>>,
    pub(crate) p_entry: Vec<i32>,
    pub(crate) p_idx: Vec<i32>,
    pub(crate) p_account: Vec<String>,
    pub(crate) p_acc_kind: Vec<&'a str>,
    pub(crate) p_acc_qual: Vec<&'a str>,
    pub(crate) p_side: Vec<&'a str>,
    pub(crate) p_amount: Vec<Decimal>,
    pub(crate) p_cur: Vec<&'a str>,
    pub(crate) j_entry: Vec<i32>,
    pub(crate) j_idx: Vec<i32>,
    pub(crate) j_key: Vec<&'a str>,
}

impl<'a> SmallColumns<'a> {
    /// Adds the entries of call `caller`, each with its canonical encoding after the seq.
    /// `false` (and nothing added) when kasda_core's encoding does not start with `header`
    /// ([`canonical_header`]): the database could not hash such an entry.
    pub(crate) fn push(
        &mut self,
        ledger: &str,
        header: &[u8],
        caller: i32,
        entries: &'a [NewEntry],
    ) -> bool {
        let mut tails = Vec::with_capacity(entries.len());
        for ne in entries {
            let encoded = kasda_core::ledger::canonical_encoding(ledger, 0, None, &ne.entry);
            match encoded.strip_prefix(header) {
                Some(tail) => tails.push(tail.to_vec()),
                None => return false,
            }
        }
        self.e_tail.extend(tails);
        for ne in entries {
            let e = &ne.entry;
            self.e_caller.push(caller);
            self.e_kind.push(e.kind.as_str());
            self.e_booked.push(e.booked_on);
            self.e_value.push(e.value_date);
            self.e_key.push(e.natural_key.as_str());
            self.e_pos.push(e.position.as_str());
            self.e_memo.push(e.memo.as_str());
            self.e_rev.push(e.reverses);
            let ord = self.e_key.len() as i32;
            for (k, p) in e.postings.iter().enumerate() {
                self.p_entry.push(ord);
                self.p_idx.push(k as i32);
                self.p_account.push(p.account.to_string());
                self.p_acc_kind.push(p.account.kind().as_str());
                self.p_acc_qual.push(p.account.qualifier());
                self.p_side.push(p.side.as_str());
                self.p_amount.push(p.amount);
                self.p_cur.push(p.currency.as_str());
            }
            for (k, key) in ne.joins.iter().enumerate() {
                self.j_entry.push(ord);
                self.j_idx.push(k as i32);
                self.j_key.push(key.as_str());
            }
        }
        true
    }
}

#[cfg(test)]
mod one_trip_tests {
    //! The one-round-trip small append against the memory store (the oracle): same seqs,
    //! duplicates and chain head for new accounts, two currencies, joins, duplicates stored and
    //! within a call, reversals of stored and earlier-in-call entries, non-ASCII text; and the
    //! same errors where it hands over to the general path.
    use super::*;
    use crate::{testing, PgStore};
    use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, Posting};
    use kasda_core::money::Currency;
    use kasda_store::memory::MemoryStore;
    use kasda_store::Store;

    const LEDGER: &str = "kota-one-trip";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
    }

    fn entry(key: &str, d: u32, cents: i64, reverses: Option<i64>, joins: &[&str]) -> NewEntry {
        let amount = Decimal::new(cents, 2);
        let usd = Currency::parse("USD").expect("usd");
        let mut postings = vec![
            Posting::debit(AccountKey::new(AccountKind::BebanBank, "0011"), amount),
            Posting::credit(AccountKey::new(AccountKind::KasDaerah, "0011"), amount),
        ];
        if cents % 2 == 0 {
            // A second currency, balanced on its own.
            let mut d = Posting::debit(AccountKey::new(AccountKind::KasDaerah, "usd-7"), amount);
            d.currency = usd;
            let mut c = Posting::credit(AccountKey::new(AccountKind::BebanBank, "usd-7"), amount);
            c.currency = usd;
            postings.push(d);
            postings.push(c);
        }
        NewEntry {
            entry: JournalEntry::new(
                if reverses.is_some() {
                    EntryKind::Reversal
                } else {
                    EntryKind::Fee
                },
                day(d),
                day(d),
                key.to_string(),
                "pos:1",
                format!("biaya {key} — Rp ✓ é"),
                reverses,
                postings,
            )
            .expect("valid entry"),
            joins: joins.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn calls() -> Vec<Vec<NewEntry>> {
        vec![
            vec![
                entry("a", 3, 1_000, None, &["line:1", "doc:1"]),
                entry("b", 4, 2_001, None, &[]),
                entry("a", 3, 1_000, None, &[]),
                entry("c", 5, 1_000, Some(1), &["line:2"]),
            ],
            vec![
                entry("b", 4, 2_001, None, &[]),
                entry("d", 6, 3_000, Some(2), &[]),
                entry("e", 7, 4_001, Some(4), &[]),
            ],
            vec![entry("f", 8, 5_002, None, &["doc:9"])],
        ]
    }

    #[test]
    fn one_trip_appends_what_the_memory_store_appends() {
        let (mut pg, mut mem) = testing::store_and_oracle(LEDGER);
        for (i, call) in calls().into_iter().enumerate() {
            let run = RunInfo::new(RunKind::Reconcile, format!("tester {i}"));
            let expected = mem
                .append_entries(LEDGER, run.clone(), call.clone())
                .expect("memory append");
            let PgStore { client, rt, .. } = &mut pg;
            let got = rt
                .block_on(append_one_trip(client, LEDGER, &run, &call))
                .expect("one-trip append")
                .expect("took the one-trip path");
            assert_eq!(got.appended, expected.appended, "call {i}: seqs");
            assert_eq!(got.duplicates, expected.duplicates, "call {i}: duplicates");
        }
        let pg_report = pg.verify(LEDGER).expect("pg verify");
        let mem_report = mem.verify(LEDGER).expect("memory verify");
        assert_eq!(pg_report.first_bad, None);
        assert_eq!(pg_report.entries, 6);
        assert_eq!(pg_report.head_hash, mem_report.head_hash);
        assert!(pg.check_aggregates(LEDGER).expect("aggregates").is_empty());
        let joins = pg
            .rt
            .block_on(pg.client.query(
                "SELECT seq, idx, joined_key FROM entry_joins WHERE ledger_id = $1 ORDER BY seq, idx",
                &[&LEDGER],
            ))
            .expect("joins");
        let joins: Vec<(i64, i32, String)> = joins
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        assert_eq!(
            joins,
            vec![
                (1, 0, "line:1".to_string()),
                (1, 1, "doc:1".to_string()),
                (3, 0, "line:2".to_string()),
                (6, 0, "doc:9".to_string()),
            ]
        );
    }

    #[test]
    fn one_trip_hands_over_what_needs_an_exact_error() {
        let mut pg = testing::fresh_store();
        pg.migrate().expect("migrate");
        let mut mem = MemoryStore::new();
        let info = LedgerInfo {
            code: LEDGER.into(),
            name: "Kota".into(),
        };
        let run = RunInfo::new(RunKind::Reconcile, "tester");
        // Unknown ledger.
        let call = vec![entry("a", 3, 1_000, None, &[])];
        let PgStore { client, rt, .. } = &mut pg;
        assert!(rt
            .block_on(append_one_trip(client, LEDGER, &run, &call))
            .expect("no error")
            .is_none());
        let pg_err = pg.append_entries(LEDGER, run.clone(), call.clone());
        let mem_err = mem.append_entries(LEDGER, run.clone(), call.clone());
        assert_eq!(format!("{pg_err:?}"), format!("{mem_err:?}"));

        pg.ensure_ledger(&info).expect("pg ledger");
        mem.ensure_ledger(&info).expect("memory ledger");
        pg.append_entries(LEDGER, run.clone(), call.clone())
            .expect("pg append");
        mem.append_entries(LEDGER, run.clone(), call)
            .expect("memory append");
        // A reversal of an entry that does not exist, then an entry in a closed period.
        let missing = vec![entry("r", 4, 1_000, Some(9), &[])];
        pg.close_period(LEDGER, day(5), "kepala").expect("pg close");
        mem.close_period(LEDGER, day(5), "kepala")
            .expect("memory close");
        let closed = vec![entry("late", 5, 1_000, None, &[])];
        for call in [missing, closed] {
            let PgStore { client, rt, .. } = &mut pg;
            assert!(rt
                .block_on(append_one_trip(client, LEDGER, &run, &call))
                .expect("no error")
                .is_none());
            let pg_err = pg.append_entries(LEDGER, run.clone(), call.clone());
            let mem_err = mem.append_entries(LEDGER, run.clone(), call);
            assert!(pg_err.is_err());
            assert_eq!(format!("{pg_err:?}"), format!("{mem_err:?}"));
        }
        // Nothing was written by the refused calls; the session still works.
        let ok = vec![entry("g", 9, 1_000, None, &[])];
        let out = pg
            .append_entries(LEDGER, run, ok)
            .expect("append after refusals");
        assert_eq!(out.appended, vec![2]);
        assert_eq!(pg.verify(LEDGER).expect("verify").first_bad, None);
    }
}
