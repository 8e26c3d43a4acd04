//! Appending journal entries inside one write transaction: the hash chain, the postings, the
//! account ids and the bi-temporal balance aggregates.
//!
//! A [`ChainWriter`] lives for one transaction. It reads the ledger's chain head once, then for
//! every entry: skips it if its natural key is already recorded (idempotency), validates it
//! again, converts amounts to exact minor units, inserts the postings and then the entry row (so
//! the entry trigger can check the balance inside the database) and computes the chain hash with
//! `kasda_core::ledger::chain_hash`. Balance movements are summed in memory and written once per
//! touched (account, currency, day) by [`ChainWriter::finish`], and so are the report flows
//! (`report_flows`, each entry's net effect per account split by sign) from schema
//! [`WRITER_KEEPS_REPORT_FLOWS`] on.

use std::collections::HashMap;

use chrono::NaiveDate;
use kasda_core::ledger::{chain_hash, AccountKey, EntryKind, JournalEntry, Posting, GENESIS_HASH};
use kasda_core::money::Currency;
use kasda_core::Direction;
use rusqlite::{params, CachedStatement, OptionalExtension, Transaction};
use rust_decimal::Decimal;

use crate::error::SqliteError;

/// What happened to one entry handed to the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Newly recorded with this sequence number.
    New(i64),
    /// Its natural key was already recorded as this entry; nothing written.
    Existing(i64),
}

impl Appended {
    pub fn seq(self) -> i64 {
        match self {
            Appended::New(s) | Appended::Existing(s) => s,
        }
    }
}

/// Exact minor units of an amount in its currency (sen for IDR), refusing what does not fit i64.
pub fn to_minor(amount: Decimal, currency: Currency) -> Option<i64> {
    let scale = currency.scale();
    if amount.normalize().scale() > scale {
        return None;
    }
    let mut a = amount;
    a.rescale(scale);
    if a.scale() != scale {
        return None;
    }
    i64::try_from(a.mantissa()).ok()
}

/// The amount back from minor units.
pub fn from_minor(minor: i64, currency: Currency) -> Decimal {
    Decimal::new(minor, currency.scale())
}

/// `YYYY-MM-DD` as chrono writes it, digit by digit (`kasda_core::digits`): chrono's formatter
/// parses its pattern on every call and `format!` cost ~2% of a bulk import (four dates per
/// statement line).
pub(crate) fn date_text(d: NaiveDate) -> String {
    kasda_core::digits::iso_date(d)
}

pub(crate) fn side_text(d: Direction) -> &'static str {
    d.as_str()
}

/// The schema version from which the writer, not the run's seal, keeps `report_flows`
/// (migration 0011): the trigger of 0009/0010 read every posting of the run a second time after
/// the seal had read them, with up to three probes per posting, to find sums the writer already
/// has in hand. On an older schema (a file opened without migrating) the trigger still keeps
/// them and the writer leaves them alone.
pub const WRITER_KEEPS_REPORT_FLOWS: i64 = 11;

/// A `report_flows` key without the ledger: (account id, booked day, entry kind, currency,
/// recorded_at).
type FlowKey = (i64, NaiveDate, EntryKind, Currency, i64);

/// Adds one entry's net effect on each (account, currency) it posts to, split by sign, to
/// `flows`: what 0009 defines (`sum(max(net, 0))`, `sum(max(-net, 0))` per key over the entries).
/// An (account, currency) the entry posts to more than once is netted within the entry first; one
/// whose postings cancel still opens its key (with 0 and 0), as the GROUP BY did. `None` when a
/// sum leaves i64 (where SQLite's `sum` raised).
fn add_entry_flows(
    flows: &mut HashMap<FlowKey, (i64, i64)>,
    e: &JournalEntry,
    account_ids: &[i64],
    minors: &[i64],
    recorded_at_us: i64,
) -> Option<()> {
    // (account id, currency, signed minor units) of each posting, in posting order.
    let mut signed: Vec<(i64, Currency, i64)> = Vec::with_capacity(e.postings.len());
    for ((p, &account_id), &minor) in e.postings.iter().zip(account_ids).zip(minors) {
        let amount = match p.side {
            Direction::Debit => minor,
            Direction::Credit => minor.checked_neg()?,
        };
        signed.push((account_id, p.currency, amount));
    }
    for (i, &(account_id, currency, _)) in signed.iter().enumerate() {
        let same = |s: &&(i64, Currency, i64)| s.0 == account_id && s.1 == currency;
        if signed[..i].iter().any(|s| same(&s)) {
            continue; // netted with the first posting of its (account, currency)
        }
        let mut net: i64 = 0;
        for s in signed[i..].iter().filter(same) {
            net = net.checked_add(s.2)?;
        }
        let slot = flows
            .entry((account_id, e.booked_on, e.kind, currency, recorded_at_us))
            .or_insert((0, 0));
        if net >= 0 {
            slot.0 = slot.0.checked_add(net)?;
        } else {
            slot.1 = slot.1.checked_add(net.checked_neg()?)?;
        }
    }
    Some(())
}

/// The columns of one entry row besides the entry's own fields.
struct EntryRow<'a> {
    seq: i64,
    source_sha256: Option<&'a str>,
    run_id: i64,
    recorded_at_us: i64,
    prev_hash: &'a str,
    hash: &'a str,
    /// Each posting's amount in minor units, in posting order.
    minors: &'a [i64],
    booked_on: &'a str,
    value_date: &'a str,
}

/// Per-transaction entry writer for one ledger.
pub struct ChainWriter<'t> {
    tx: &'t Transaction<'t>,
    ledger: String,
    run_id: i64,
    recorded_at_us: i64,
    head_seq: i64,
    head_hash: String,
    accounts: HashMap<AccountKey, i64>,
    next_account_id: i64,
    /// (account id, currency, day, recorded_at) → (debits, credits) in minor units. One
    /// `recorded_at` per transaction, except when a ledger is moved in with its own times.
    day_deltas: HashMap<(i64, Currency, NaiveDate, i64), (i64, i64)>,
    /// `report_flows` sums of this transaction's entries, when the schema leaves them to the
    /// writer ([`WRITER_KEEPS_REPORT_FLOWS`]); `None` when the run's seal keeps them.
    report_flows: Option<HashMap<FlowKey, (i64, i64)>>,
    closed_through: Option<NaiveDate>,
    find_key: CachedStatement<'t>,
    insert_posting: CachedStatement<'t>,
    insert_entry: CachedStatement<'t>,
}

/// The head of a ledger's chain: last seq, its hash and its `recorded_at`.
pub(crate) fn chain_head(
    tx: &Transaction<'_>,
    ledger: &str,
) -> Result<(i64, String, i64), SqliteError> {
    let head = tx
        .query_row(
            "SELECT seq, hash, recorded_at FROM entries WHERE ledger = ?1 ORDER BY seq DESC LIMIT 1",
            params![ledger],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)),
        )
        .optional()?;
    Ok(head.unwrap_or((0, GENESIS_HASH.to_string(), i64::MIN)))
}

/// Last day of the latest closed period of a ledger.
pub(crate) fn closed_through(
    tx: &Transaction<'_>,
    ledger: &str,
) -> Result<Option<NaiveDate>, SqliteError> {
    let d: Option<String> = tx.query_row(
        "SELECT max(through_date) FROM period_locks WHERE ledger = ?1",
        params![ledger],
        |r| r.get(0),
    )?;
    match d {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| SqliteError::CorruptRow {
                table: "period_locks",
                ledger: ledger.to_string(),
                key: "latest lock".into(),
                column: "through_date",
                expected: "YYYY-MM-DD",
                found: text,
            }),
    }
}

/// Invariants, reversal link (to an entry at or before `head_seq`) and period lock of one entry.
fn check_entry(
    ledger: &str,
    head_seq: i64,
    closed_through: Option<NaiveDate>,
    e: &JournalEntry,
) -> Result<(), SqliteError> {
    e.validate().map_err(|source| SqliteError::InvalidEntry {
        ledger: ledger.to_string(),
        natural_key: e.natural_key.clone(),
        source,
    })?;
    if let Some(r) = e.reverses {
        if r < 1 || r > head_seq {
            return Err(SqliteError::UnknownReversed {
                ledger: ledger.to_string(),
                natural_key: e.natural_key.clone(),
                reverses: r,
                head: head_seq,
            });
        }
    }
    if let Some(closed) = closed_through {
        if e.booked_on <= closed {
            return Err(SqliteError::PeriodClosed {
                ledger: ledger.to_string(),
                natural_key: e.natural_key.clone(),
                booked_on: e.booked_on,
                closed_through: closed,
            });
        }
    }
    Ok(())
}

fn range_error(ledger: &str, e: &JournalEntry, p: &Posting) -> SqliteError {
    SqliteError::AmountRange {
        ledger: ledger.to_string(),
        natural_key: e.natural_key.clone(),
        amount: p.amount.to_string(),
        currency: p.currency.to_string(),
        limit: i64::MAX,
    }
}

/// Everything about a new entry that needs no database: its number, chain hash, minor units and
/// date texts. [`EntryPreparer`] works these out (on the import's second thread) and
/// [`ChainWriter::append_prepared`] only writes them.
pub(crate) struct PreparedEntry {
    seq: i64,
    hash: String,
    minors: Vec<i64>,
    booked_on: String,
    value_date: String,
}

/// The chain continued ahead of the writer: started from the writer's head
/// ([`ChainWriter::preparer`]), it numbers, checks and hashes the entries the writer will append,
/// in the same order, as [`ChainWriter::append_unrecorded`] would.
pub(crate) struct EntryPreparer {
    ledger: String,
    head_seq: i64,
    head_hash: String,
    closed_through: Option<NaiveDate>,
}

impl EntryPreparer {
    pub(crate) fn prepare(
        &mut self,
        e: &JournalEntry,
        source_sha256: Option<&str>,
    ) -> Result<PreparedEntry, SqliteError> {
        check_entry(&self.ledger, self.head_seq, self.closed_through, e)?;
        let minors = e
            .postings
            .iter()
            .map(|p| to_minor(p.amount, p.currency).ok_or_else(|| range_error(&self.ledger, e, p)))
            .collect::<Result<Vec<i64>, SqliteError>>()?;
        let seq = self.head_seq + 1;
        let hash = chain_hash(&self.head_hash, &self.ledger, seq, source_sha256, e);
        self.head_seq = seq;
        self.head_hash.clone_from(&hash);
        Ok(PreparedEntry {
            seq,
            hash,
            minors,
            booked_on: date_text(e.booked_on),
            value_date: date_text(e.value_date),
        })
    }
}

impl<'t> ChainWriter<'t> {
    /// Starts writing to `ledger` as part of run `run_id`. `now_us` is the wall clock; the
    /// transaction's `recorded_at` is kept strictly after the ledger's last one so that "known
    /// at T" always names a prefix of the chain.
    pub fn new(
        tx: &'t Transaction<'t>,
        ledger: &str,
        run_id: i64,
        now_us: i64,
    ) -> Result<Self, SqliteError> {
        let (head_seq, head_hash, last_recorded) = chain_head(tx, ledger)?;
        let recorded_at_us = now_us.max(last_recorded.saturating_add(1));
        let next_account_id: i64 = tx.query_row(
            "SELECT coalesce(max(account_id), 0) + 1 FROM accounts WHERE ledger = ?1",
            params![ledger],
            |r| r.get(0),
        )?;
        let closed = closed_through(tx, ledger)?;
        let schema: i64 = tx.query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )?;
        // OR FAIL, and triggers that raise FAIL (schema 0005): nothing in these inserts can ask
        // SQLite to undo the statement alone, so it keeps no statement journal; any error rolls
        // the whole transaction back.
        let mut insert_posting = tx.prepare_cached(
            "INSERT OR FAIL INTO postings (ledger, seq, idx, account_id, side, amount, currency)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut insert_entry = tx.prepare_cached(
            "INSERT OR FAIL INTO entries (ledger, seq, kind, booked_on, value_date, natural_key, position, memo,
                                  reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        // Every row of this writer has the same ledger: bound once, as a statement keeps its
        // bindings from one execution to the next (`execute_from` binds the rest).
        insert_posting.raw_bind_parameter(1, ledger)?;
        insert_entry.raw_bind_parameter(1, ledger)?;
        Ok(ChainWriter {
            tx,
            ledger: ledger.to_string(),
            run_id,
            recorded_at_us,
            head_seq,
            head_hash,
            accounts: HashMap::new(),
            next_account_id,
            day_deltas: HashMap::new(),
            report_flows: (schema >= WRITER_KEEPS_REPORT_FLOWS).then(HashMap::new),
            closed_through: closed,
            find_key: tx
                .prepare_cached("SELECT seq FROM entries WHERE ledger = ?1 AND natural_key = ?2")?,
            insert_posting,
            insert_entry,
        })
    }

    pub fn recorded_at_us(&self) -> i64 {
        self.recorded_at_us
    }

    pub fn head(&self) -> (i64, &str) {
        (self.head_seq, &self.head_hash)
    }

    /// Id of an account in this ledger, creating the account row on first use.
    fn account_id(&mut self, key: &AccountKey) -> Result<i64, SqliteError> {
        if let Some(id) = self.accounts.get(key) {
            return Ok(*id);
        }
        let text = key.to_string();
        let found: Option<i64> = self
            .tx
            .prepare_cached("SELECT account_id FROM accounts WHERE ledger = ?1 AND key = ?2")?
            .query_row(params![self.ledger, text], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                let id = self.next_account_id;
                self.tx
                    .prepare_cached(
                        "INSERT INTO accounts (ledger, account_id, key, kind, qualifier) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![self.ledger, id, text, key.kind().as_str(), key.qualifier()])?;
                self.next_account_id += 1;
                id
            }
        };
        self.accounts.insert(key.clone(), id);
        Ok(id)
    }

    /// Sequence number of the entry recorded under `natural_key`, if any.
    pub fn existing(&mut self, natural_key: &str) -> Result<Option<i64>, SqliteError> {
        Ok(self
            .find_key
            .query_row(params![self.ledger, natural_key], |r| r.get(0))
            .optional()?)
    }

    /// Appends one entry (or finds it already recorded by natural key).
    ///
    /// Every entry is checked (invariants, reversal link, closed period) before the duplicate
    /// test, so a batch is refused or accepted as a whole the same way on every store.
    pub fn append(
        &mut self,
        e: &JournalEntry,
        source_sha256: Option<&str>,
    ) -> Result<Appended, SqliteError> {
        self.check(e)?;
        if let Some(seq) = self.existing(&e.natural_key)? {
            return Ok(Appended::Existing(seq));
        }
        self.append_checked(e, source_sha256)
    }

    /// [`ChainWriter::append`] of an entry whose natural key the caller knows is not recorded
    /// (the import reads which keys of a file may be, once per file): no lookup by key.
    pub(crate) fn append_unrecorded(
        &mut self,
        e: &JournalEntry,
        source_sha256: Option<&str>,
    ) -> Result<Appended, SqliteError> {
        self.check(e)?;
        self.append_checked(e, source_sha256)
    }

    fn append_checked(
        &mut self,
        e: &JournalEntry,
        source_sha256: Option<&str>,
    ) -> Result<Appended, SqliteError> {
        let seq = self.head_seq + 1;
        let prev = std::mem::take(&mut self.head_hash);
        let hash = chain_hash(&prev, &self.ledger, seq, source_sha256, e);
        self.insert(
            seq,
            e,
            source_sha256,
            self.run_id,
            self.recorded_at_us,
            &prev,
            &hash,
        )?;
        self.head_seq = seq;
        self.head_hash = hash;
        Ok(Appended::New(seq))
    }

    /// Records the facts (natural keys) a new entry joins, in the order given.
    pub fn insert_joins(&mut self, seq: i64, joins: &[String]) -> Result<(), SqliteError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO entry_joins (ledger, seq, idx, joined_key) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (idx, key) in joins.iter().enumerate() {
            stmt.execute(params![self.ledger, seq, idx as i64, key])?;
        }
        Ok(())
    }

    /// Inserts an entry that already carries its number, hashes, run and time (a ledger moved in
    /// from another store). The chain link is checked here and again by the database trigger;
    /// the hash content is checked by verifying the ledger after the move.
    pub fn append_stored(
        &mut self,
        s: &kasda_core::ledger::StoredEntry,
    ) -> Result<(), SqliteError> {
        if s.seq != self.head_seq + 1 || s.prev_hash != self.head_hash {
            return Err(SqliteError::Refused {
                message: format!(
                    "ledger {}: entry {} does not continue the chain (expected seq {} after hash {})",
                    self.ledger,
                    s.seq,
                    self.head_seq + 1,
                    self.head_hash
                ),
            });
        }
        self.check(&s.entry)?;
        let recorded = s.recorded_at.timestamp_micros();
        self.insert(
            s.seq,
            &s.entry,
            s.source_sha256.as_deref(),
            s.run_id,
            recorded,
            &s.prev_hash,
            &s.hash,
        )?;
        self.head_seq = s.seq;
        self.head_hash = s.hash.clone();
        Ok(())
    }

    /// Invariants, reversal link and period lock of one entry.
    fn check(&self, e: &JournalEntry) -> Result<(), SqliteError> {
        check_entry(&self.ledger, self.head_seq, self.closed_through, e)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        seq: i64,
        e: &JournalEntry,
        source_sha256: Option<&str>,
        run_id: i64,
        recorded_at_us: i64,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), SqliteError> {
        let minors = e
            .postings
            .iter()
            .map(|p| self.minor(e, p))
            .collect::<Result<Vec<i64>, SqliteError>>()?;
        let row = EntryRow {
            seq,
            source_sha256,
            run_id,
            recorded_at_us,
            prev_hash,
            hash,
            minors: &minors,
            booked_on: &date_text(e.booked_on),
            value_date: &date_text(e.value_date),
        };
        self.insert_row(e, &row)
    }

    /// A writer's head and settings as an [`EntryPreparer`] that continues its chain.
    pub(crate) fn preparer(&self) -> EntryPreparer {
        EntryPreparer {
            ledger: self.ledger.clone(),
            head_seq: self.head_seq,
            head_hash: self.head_hash.clone(),
            closed_through: self.closed_through,
        }
    }

    /// Appends an entry an [`EntryPreparer`] made from this writer's head: checked, numbered and
    /// hashed already, not recorded (the caller knows its key is new). Refuses an entry prepared
    /// out of order.
    pub(crate) fn append_prepared(
        &mut self,
        e: &JournalEntry,
        source_sha256: Option<&str>,
        p: PreparedEntry,
    ) -> Result<i64, SqliteError> {
        if p.seq != self.head_seq + 1 {
            return Err(SqliteError::Refused {
                message: format!(
                    "ledger {}: entry {:?} was prepared as seq {}, the chain is at {}",
                    self.ledger, e.natural_key, p.seq, self.head_seq
                ),
            });
        }
        let prev = std::mem::take(&mut self.head_hash);
        let row = EntryRow {
            seq: p.seq,
            source_sha256,
            run_id: self.run_id,
            recorded_at_us: self.recorded_at_us,
            prev_hash: &prev,
            hash: &p.hash,
            minors: &p.minors,
            booked_on: &p.booked_on,
            value_date: &p.value_date,
        };
        let r = self.insert_row(e, &row);
        self.head_hash = prev;
        r?;
        self.head_seq = p.seq;
        self.head_hash = p.hash;
        Ok(p.seq)
    }

    fn insert_row(&mut self, e: &JournalEntry, row: &EntryRow<'_>) -> Result<(), SqliteError> {
        let mut ids: Vec<i64> = Vec::with_capacity(e.postings.len());
        for p in &e.postings {
            ids.push(self.account_id(&p.account)?);
        }
        // One row per statement. A multi-row VALUES insert into a table with an insert trigger
        // is first materialized in an ephemeral table (SQLite's rule, so the trigger cannot see
        // rows of its own statement out of order): the two-row posting insert built and freed
        // one per entry, which cost more than the statement step it saved.
        for (idx, ((p, account_id), minor)) in
            e.postings.iter().zip(&ids).zip(row.minors).enumerate()
        {
            execute_from(
                &mut self.insert_posting,
                2,
                &[
                    &row.seq,
                    &(idx as i64),
                    account_id,
                    &side_text(p.side),
                    minor,
                    &p.currency.as_str(),
                ],
            )?;
        }
        for ((p, &account_id), &minor) in e.postings.iter().zip(&ids).zip(row.minors) {
            let slot = self
                .day_deltas
                .entry((account_id, p.currency, e.booked_on, row.recorded_at_us))
                .or_insert((0, 0));
            let side = match p.side {
                Direction::Debit => &mut slot.0,
                Direction::Credit => &mut slot.1,
            };
            match side.checked_add(minor) {
                Some(v) => *side = v,
                None => return Err(self.range_error(e, p)),
            }
        }
        if let Some(flows) = &mut self.report_flows {
            if add_entry_flows(flows, e, &ids, row.minors, row.recorded_at_us).is_none() {
                return Err(SqliteError::AmountRange {
                    ledger: self.ledger.clone(),
                    natural_key: e.natural_key.clone(),
                    amount: "the sum of its report flows".into(),
                    currency: e
                        .postings
                        .first()
                        .map_or_else(String::new, |p| p.currency.to_string()),
                    limit: i64::MAX,
                });
            }
        }
        execute_from(
            &mut self.insert_entry,
            2,
            &[
                &row.seq,
                &e.kind.as_str(),
                &row.booked_on,
                &row.value_date,
                &e.natural_key,
                &e.position,
                &e.memo,
                &e.reverses,
                &row.source_sha256,
                &row.run_id,
                &row.recorded_at_us,
                &row.prev_hash,
                &row.hash,
            ],
        )?;
        Ok(())
    }

    fn minor(&self, e: &JournalEntry, p: &Posting) -> Result<i64, SqliteError> {
        to_minor(p.amount, p.currency).ok_or_else(|| self.range_error(e, p))
    }

    fn range_error(&self, e: &JournalEntry, p: &Posting) -> SqliteError {
        range_error(&self.ledger, e, p)
    }

    /// Writes the summed balance movements and returns the new chain head; call once, before
    /// commit.
    pub fn finish(mut self) -> Result<(i64, String), SqliteError> {
        let deltas = std::mem::take(&mut self.day_deltas);
        write_aggregates(
            self.tx,
            &self.ledger,
            deltas
                .into_iter()
                .map(|((a, c, d, at), (dr, cr))| (a, c, d, at, dr, cr)),
        )?;
        if let Some(flows) = self.report_flows.take() {
            write_report_flows(self.tx, &self.ledger, flows)?;
        }
        Ok((self.head_seq, self.head_hash))
    }
}

/// One `report_flows` row to upsert: (account id, day, entry kind, currency, recorded_at, debit,
/// credit).
type FlowRow = (i64, String, &'static str, Currency, i64, i64, i64);

/// Upserts the summed report flows of a transaction, in key order (a run's rows go to adjacent
/// places of the table's B-tree). SQLite raises on integer overflow in `+`, so a sum cannot wrap.
fn write_report_flows(
    tx: &Transaction<'_>,
    ledger: &str,
    flows: HashMap<FlowKey, (i64, i64)>,
) -> Result<(), SqliteError> {
    let mut rows: Vec<FlowRow> = flows
        .into_iter()
        .map(|((account_id, day, kind, currency, at), (debit, credit))| {
            (
                account_id,
                date_text(day),
                kind.as_str(),
                currency,
                at,
                debit,
                credit,
            )
        })
        .collect();
    rows.sort_unstable_by(|a, b| {
        (a.0, &a.1, a.2, a.3.as_str(), a.4).cmp(&(b.0, &b.1, b.2, b.3.as_str(), b.4))
    });
    let mut upsert = tx.prepare_cached(
        "INSERT INTO report_flows (ledger, account_id, day, kind, currency, recorded_at, debit, credit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (ledger, account_id, day, kind, currency, recorded_at)
         DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit",
    )?;
    upsert.raw_bind_parameter(1, ledger)?;
    for (account_id, day, kind, currency, at, debit, credit) in &rows {
        execute_from(
            &mut upsert,
            2,
            &[account_id, day, kind, &currency.as_str(), at, debit, credit],
        )?;
    }
    Ok(())
}

/// Binds `values` to the parameters numbered from `first` on (the ones before keep what was bound
/// earlier) and runs the statement.
pub(crate) fn execute_from(
    stmt: &mut rusqlite::Statement<'_>,
    first: usize,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<usize> {
    for (i, v) in values.iter().enumerate() {
        stmt.raw_bind_parameter(first + i, v)?;
    }
    stmt.raw_execute()
}

/// Upserts balance movements `(account id, currency, day, recorded_at, debits, credits)` into
/// both aggregates. SQLite raises on integer overflow in `+`, so a sum cannot wrap.
pub(crate) fn write_aggregates(
    tx: &Transaction<'_>,
    ledger: &str,
    rows: impl Iterator<Item = (i64, Currency, NaiveDate, i64, i64, i64)>,
) -> Result<(), SqliteError> {
    let mut by_day = tx.prepare_cached(
        "INSERT INTO account_day_balances (ledger, account_id, currency, day, debit, credit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (ledger, account_id, currency, day)
         DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit",
    )?;
    let mut known = tx.prepare_cached(
        "INSERT INTO account_day_known (ledger, account_id, currency, recorded_at, day, debit, credit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (ledger, account_id, currency, recorded_at, day)
         DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit",
    )?;
    for (account_id, currency, day, recorded_at, debit, credit) in rows {
        let day = date_text(day);
        by_day.execute(params![
            ledger,
            account_id,
            currency.as_str(),
            day,
            debit,
            credit
        ])?;
        known.execute(params![
            ledger,
            account_id,
            currency.as_str(),
            recorded_at,
            day,
            debit,
            credit
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn report_flows_net_each_account_within_its_entry() {
        use kasda_core::ledger::AccountKind;
        let kas = AccountKey::new(AccountKind::KasDaerah, "rkud");
        let suspense = AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "rkud");
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let entry = |postings: Vec<Posting>| JournalEntry {
            kind: EntryKind::StatementLine,
            booked_on: day,
            value_date: day,
            natural_key: "k".into(),
            position: String::new(),
            memo: String::new(),
            reverses: None,
            postings,
        };
        let idr = Currency::IDR;
        let mut flows = HashMap::new();
        // Suspense credited twice (netted), then debited and credited alike (nets to 0: the key
        // is still opened, as 0009's GROUP BY opened it).
        let e = entry(vec![
            Posting::debit(kas.clone(), dec!(10)),
            Posting::credit(suspense.clone(), dec!(3)),
            Posting::credit(suspense.clone(), dec!(7)),
        ]);
        add_entry_flows(&mut flows, &e, &[1, 2, 2], &[1000, 300, 700], 5).unwrap();
        let e = entry(vec![
            Posting::debit(suspense.clone(), dec!(4)),
            Posting::credit(suspense, dec!(4)),
        ]);
        add_entry_flows(&mut flows, &e, &[2, 2], &[400, 400], 6).unwrap();
        let key = |account, at| (account, day, EntryKind::StatementLine, idr, at);
        assert_eq!(flows.len(), 3);
        assert_eq!(flows[&key(1, 5)], (1000, 0));
        assert_eq!(flows[&key(2, 5)], (0, 1000));
        assert_eq!(flows[&key(2, 6)], (0, 0));
        // A sum beyond i64 is refused, not wrapped.
        let e = entry(vec![
            Posting::debit(kas.clone(), dec!(1)),
            Posting::debit(kas, dec!(1)),
        ]);
        assert_eq!(
            add_entry_flows(&mut flows, &e, &[1, 1], &[i64::MAX, 1], 7),
            None
        );
    }

    #[test]
    fn minor_units_are_exact_per_currency_scale() {
        let idr = Currency::IDR;
        assert_eq!(to_minor(dec!(1234567.89), idr), Some(123_456_789));
        assert_eq!(to_minor(dec!(10), idr), Some(1_000));
        assert_eq!(
            to_minor(dec!(10.500), idr),
            Some(1_050),
            "trailing zeros are not extra scale"
        );
        assert_eq!(
            to_minor(dec!(0.001), idr),
            None,
            "over-scale is refused, never rounded"
        );
        assert_eq!(
            to_minor(dec!(92233720368547758.08), idr),
            None,
            "beyond i64 is refused"
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(to_minor(dec!(500), jpy), Some(500));
        assert_eq!(to_minor(dec!(500.5), jpy), None);
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(to_minor(dec!(1.234), bhd), Some(1_234));
        for (minor, c) in [(123_456_789, idr), (500, jpy), (1_234, bhd), (-7, idr)] {
            assert_eq!(to_minor(from_minor(minor, c), c), Some(minor));
        }
    }

    #[test]
    fn dates_are_iso_text_that_sorts() {
        use chrono::Datelike;
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(date_text(d), "2026-03-09");
        assert_eq!(
            date_text(NaiveDate::from_ymd_opt(987, 1, 2).unwrap()),
            "0987-01-02"
        );
        assert!(date_text(d) < date_text(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()));
        // Every day of a few years, edge years included, reads as chrono writes it.
        for year in [0, 9, 99, 999, 1999, 2000, 2024, 2026, 9999] {
            let mut day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            while day.year() == year {
                assert_eq!(date_text(day), day.format("%Y-%m-%d").to_string());
                day = day.succ_opt().unwrap();
            }
        }
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert_eq!(date_text(far), far.format("%Y-%m-%d").to_string());
        let before = NaiveDate::from_ymd_opt(-1, 12, 31).unwrap();
        assert_eq!(date_text(before), before.format("%Y-%m-%d").to_string());
    }
}
