//! Read paths: entries with their postings, balances from the aggregates, statements, lines,
//! documents, duplicates, files and runs, plus the aggregate self-check.
//!
//! Every list comes back in the order the `Store` trait states, so that this store and the
//! in-memory oracle give identical answers.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::Document;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting, StoredEntry};
use kasda_core::money::Currency;
use kasda_core::Direction;
use kasda_store::{
    AccountBalance, DayMovement, DocKind, DuplicateKind, DuplicateRecord, LineFacts, RunKind,
    RunRecord, SourceFile, StatementHeader, StoredDocument, StoredFile, StoredLine,
    StoredStatement,
};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use rust_decimal::Decimal;

use crate::error::SqliteError;
use crate::time_from_us;
use crate::writer::{date_text, from_minor};

/// A date far enough ahead to mean "no bound" in text comparisons.
pub(crate) const NO_DATE_BOUND: &str = "9999-12-31";
pub(crate) const NO_DATE_START: &str = "0000-01-01";

pub(crate) fn corrupt(
    table: &'static str,
    ledger: &str,
    key: impl Into<String>,
    column: &'static str,
    expected: &'static str,
    found: impl Into<String>,
) -> SqliteError {
    SqliteError::CorruptRow {
        table,
        ledger: ledger.to_string(),
        key: key.into(),
        column,
        expected,
        found: found.into(),
    }
}

pub(crate) fn parse_date(
    table: &'static str,
    ledger: &str,
    key: &str,
    column: &'static str,
    text: &str,
) -> Result<NaiveDate, SqliteError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| corrupt(table, ledger, key, column, "YYYY-MM-DD", text))
}

pub(crate) fn parse_currency(
    table: &'static str,
    ledger: &str,
    key: &str,
    text: &str,
) -> Result<Currency, SqliteError> {
    Currency::parse(text)
        .map_err(|_| corrupt(table, ledger, key, "currency", "ISO 4217 code", text))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    table: &'static str,
    ledger: &str,
    key: &str,
    column: &'static str,
    text: &str,
) -> Result<T, SqliteError> {
    serde_json::from_str(text).map_err(|e| {
        corrupt(
            table,
            ledger,
            key,
            column,
            "JSON of the stored type",
            format!("{e}"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

const ENTRY_COLUMNS: &str =
    "seq, kind, booked_on, value_date, natural_key, position, memo, reverses, source_sha256,
                             run_id, recorded_at, prev_hash, hash";

fn entry_from_row(ledger: &str, r: &Row<'_>) -> Result<StoredEntry, SqliteError> {
    let seq: i64 = r.get(0)?;
    let key = format!("seq {seq}");
    let kind_text: String = r.get(1)?;
    let kind = EntryKind::parse(&kind_text)
        .ok_or_else(|| corrupt("entries", ledger, &key, "kind", "an entry kind", &kind_text))?;
    let booked: String = r.get(2)?;
    let value: String = r.get(3)?;
    Ok(StoredEntry {
        seq,
        entry: JournalEntry {
            kind,
            booked_on: parse_date("entries", ledger, &key, "booked_on", &booked)?,
            value_date: parse_date("entries", ledger, &key, "value_date", &value)?,
            natural_key: r.get(4)?,
            position: r.get(5)?,
            memo: r.get(6)?,
            reverses: r.get(7)?,
            postings: Vec::new(),
        },
        source_sha256: r.get(8)?,
        run_id: r.get(9)?,
        recorded_at: time_from_us(r.get(10)?),
        prev_hash: r.get(11)?,
        hash: r.get(12)?,
    })
}

fn posting_from_row(ledger: &str, r: &Row<'_>) -> Result<(i64, Posting), SqliteError> {
    let seq: i64 = r.get(0)?;
    let idx: i64 = r.get(1)?;
    let key = format!("seq {seq} posting {idx}");
    let account_text: String = r.get(2)?;
    let account = AccountKey::parse(&account_text).map_err(|_| {
        corrupt(
            "accounts",
            ledger,
            &key,
            "key",
            "kind/qualifier",
            &account_text,
        )
    })?;
    let side_text: String = r.get(3)?;
    let side = match side_text.as_str() {
        "debit" => Direction::Debit,
        "credit" => Direction::Credit,
        _ => {
            return Err(corrupt(
                "postings",
                ledger,
                key,
                "side",
                "debit or credit",
                side_text,
            ))
        }
    };
    let minor: i64 = r.get(4)?;
    let currency_text: String = r.get(5)?;
    let currency = parse_currency("postings", ledger, &key, &currency_text)?;
    Ok((
        seq,
        Posting {
            account,
            side,
            amount: from_minor(minor, currency),
            currency,
        },
    ))
}

/// Fills in the postings of entries sorted by seq: one range read when they are dense, one
/// primary-key read per entry when they are sparse.
fn attach_postings(
    tx: &Transaction<'_>,
    ledger: &str,
    out: &mut [StoredEntry],
) -> Result<(), SqliteError> {
    let (Some(first), Some(last)) = (out.first().map(|s| s.seq), out.last().map(|s| s.seq)) else {
        return Ok(());
    };
    let dense = (last - first) as u64 <= 2 * out.len() as u64 + 16;
    let sql_range = "SELECT p.seq, p.idx, a.key, p.side, p.amount, p.currency
         FROM postings p JOIN accounts a ON a.ledger = p.ledger AND a.account_id = p.account_id
         WHERE p.ledger = ?1 AND p.seq BETWEEN ?2 AND ?3 ORDER BY p.seq, p.idx";
    let ranges: Vec<(i64, i64)> = if dense {
        vec![(first, last)]
    } else {
        out.iter().map(|s| (s.seq, s.seq)).collect()
    };
    let mut stmt = tx.prepare_cached(sql_range)?;
    let mut i = 0usize;
    for (lo, hi) in ranges {
        let mut rows = stmt.query(params![ledger, lo, hi])?;
        while let Some(r) = rows.next()? {
            let (seq, p) = posting_from_row(ledger, r)?;
            while out.get(i).is_some_and(|s| s.seq < seq) {
                i += 1;
            }
            if let Some(target) = out.get_mut(i).filter(|s| s.seq == seq) {
                target.entry.postings.push(p);
            }
        }
    }
    Ok(())
}

/// Entries after `after_seq` in order, with their postings.
pub(crate) fn entries(
    tx: &Transaction<'_>,
    ledger: &str,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEntry>, SqliteError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM entries WHERE ledger = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![ledger, after_seq, limit as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(entry_from_row(ledger, r)?);
    }
    attach_postings(tx, ledger, &mut out)?;
    Ok(out)
}

/// Entries with these seqs, in seq order; unknown seqs are left out.
pub(crate) fn entries_by_seq(
    tx: &Transaction<'_>,
    ledger: &str,
    seqs: &[i64],
) -> Result<Vec<StoredEntry>, SqliteError> {
    let wanted: BTreeSet<i64> = seqs.iter().copied().collect();
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM entries WHERE ledger = ?1 AND seq = ?2"
    ))?;
    let mut out = Vec::with_capacity(wanted.len());
    for seq in wanted {
        let mut rows = stmt.query(params![ledger, seq])?;
        if let Some(r) = rows.next()? {
            out.push(entry_from_row(ledger, r)?);
        }
    }
    attach_postings(tx, ledger, &mut out)?;
    Ok(out)
}

pub(crate) fn seqs_by_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<i64>, SqliteError> {
    let mut stmt =
        tx.prepare_cached("SELECT seq FROM entries WHERE ledger = ?1 AND natural_key = ?2")?;
    let mut seqs = BTreeSet::new();
    for k in keys {
        if let Some(seq) = stmt
            .query_row(params![ledger, k], |r| r.get::<_, i64>(0))
            .optional()?
        {
            seqs.insert(seq);
        }
    }
    Ok(seqs.into_iter().collect())
}

fn account_id(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
) -> Result<Option<i64>, SqliteError> {
    Ok(tx
        .prepare_cached("SELECT account_id FROM accounts WHERE ledger = ?1 AND key = ?2")?
        .query_row(params![ledger, account.to_string()], |r| r.get(0))
        .optional()?)
}

/// The lowest and highest seq of the entries booked within `from..=to` (None when there are
/// none), from `entries_by_booked_on` alone (its rows carry the seq). An entry posting to an
/// account within the period has its seq in this span, so one account's reads below walk
/// `postings_by_account` over the span only: the period's share of the account's postings
/// when entries are recorded roughly in booking order, as imports are, rather than every
/// posting the account ever had (or, as the planner chose without statistics, every entry of
/// the ledger).
fn seq_span(
    tx: &Transaction<'_>,
    ledger: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<(i64, i64)>, SqliteError> {
    let mut stmt = tx.prepare_cached(
        "SELECT min(seq), max(seq) FROM entries INDEXED BY entries_by_booked_on
          WHERE ledger = ?1 AND booked_on BETWEEN ?2 AND ?3",
    )?;
    let span: (Option<i64>, Option<i64>) = stmt
        .query_row(params![ledger, date_text(from), date_text(to)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(match span {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    })
}

/// Seqs of the entries booked within the period that post to `account`: the account's postings
/// in the period's seq span (`postings_by_account`), each entry's date checked by its key.
pub(crate) fn account_seqs(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<i64>, SqliteError> {
    let Some(id) = account_id(tx, ledger, account)? else {
        return Ok(Vec::new());
    };
    let Some((lo, hi)) = seq_span(tx, ledger, from, to)? else {
        return Ok(Vec::new());
    };
    let mut stmt = tx.prepare_cached(
        // Join order and indexes fixed: without statistics SQLite walked every entry of the
        // ledger by its primary key and probed the account's postings for each.
        "SELECT DISTINCT e.seq FROM postings p INDEXED BY postings_by_account
          CROSS JOIN entries e ON e.ledger = p.ledger AND e.seq = p.seq
          WHERE p.ledger = ?1 AND p.account_id = ?2 AND p.seq BETWEEN ?5 AND ?6
            AND +e.booked_on BETWEEN ?3 AND ?4
          ORDER BY e.seq",
    )?;
    let seqs = stmt
        .query_map(
            params![ledger, id, date_text(from), date_text(to), lo, hi],
            |r| r.get(0),
        )?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(seqs)
}

pub(crate) fn entry_joins(
    tx: &Transaction<'_>,
    ledger: &str,
    seqs: &[i64],
) -> Result<Vec<(i64, String)>, SqliteError> {
    let wanted: BTreeSet<i64> = seqs.iter().copied().collect();
    let mut stmt = tx.prepare_cached(
        "SELECT joined_key FROM entry_joins WHERE ledger = ?1 AND seq = ?2 ORDER BY idx",
    )?;
    let mut out = Vec::new();
    for seq in wanted {
        let keys = stmt
            .query_map(params![ledger, seq], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        out.extend(keys.into_iter().map(|k| (seq, k)));
    }
    Ok(out)
}

pub(crate) fn entries_joining(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<i64>, SqliteError> {
    let mut stmt =
        tx.prepare_cached("SELECT seq FROM entry_joins WHERE ledger = ?1 AND joined_key = ?2")?;
    let mut seqs = BTreeSet::new();
    for k in keys {
        for seq in stmt.query_map(params![ledger, k], |r| r.get::<_, i64>(0))? {
            seqs.insert(seq?);
        }
    }
    Ok(seqs.into_iter().collect())
}

pub(crate) fn entries_reversing(
    tx: &Transaction<'_>,
    ledger: &str,
    seqs: &[i64],
) -> Result<Vec<i64>, SqliteError> {
    let mut stmt =
        tx.prepare_cached("SELECT seq FROM entries WHERE ledger = ?1 AND reverses = ?2")?;
    let mut out = BTreeSet::new();
    for s in seqs {
        for seq in stmt.query_map(params![ledger, s], |r| r.get::<_, i64>(0))? {
            out.insert(seq?);
        }
    }
    Ok(out.into_iter().collect())
}

/// Reference search: a scan, ASCII case-insensitive (`lower()` in SQLite folds ASCII only, as
/// the trait specifies). Trails are interactive, rare queries; imports never pay for them.
pub(crate) fn search_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    text: &str,
    limit: usize,
) -> Result<Vec<String>, SqliteError> {
    let needle = text.to_ascii_lowercase();
    let mut keys = BTreeSet::new();
    for sql in [
        "SELECT natural_key FROM entries WHERE ledger = ?1 AND (instr(lower(natural_key), ?2) > 0 OR instr(lower(memo), ?2) > 0)",
        "SELECT natural_key FROM statement_lines WHERE ledger = ?1 AND (instr(lower(natural_key), ?2) > 0 OR instr(lower(text), ?2) > 0)",
        "SELECT natural_key FROM documents WHERE ledger = ?1 AND (instr(lower(natural_key), ?2) > 0 OR instr(lower(body), ?2) > 0)",
    ] {
        let mut stmt = tx.prepare_cached(sql)?;
        for k in stmt.query_map(params![ledger, needle], |r| r.get::<_, String>(0))? {
            keys.insert(k?);
        }
    }
    Ok(keys.into_iter().take(limit).collect())
}

// ---------------------------------------------------------------------------------------------
// Balances
// ---------------------------------------------------------------------------------------------

/// Σ(debit − credit) per currency, as Decimal, summed.
fn sum_per_currency(ledger: &str, rows: Vec<(String, i64)>) -> Result<Decimal, SqliteError> {
    let mut total = Decimal::ZERO;
    for (c, minor) in rows {
        let currency = parse_currency("account_day_balances", ledger, "balance", &c)?;
        total = total
            .checked_add(from_minor(minor, currency))
            .ok_or_else(|| {
                corrupt(
                    "account_day_balances",
                    ledger,
                    "balance",
                    "delta",
                    "a sum within range",
                    minor.to_string(),
                )
            })?;
    }
    Ok(total)
}

fn balance_of(
    tx: &Transaction<'_>,
    ledger: &str,
    account_id: i64,
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Result<Decimal, SqliteError> {
    let day = as_of
        .map(date_text)
        .unwrap_or_else(|| NO_DATE_BOUND.to_string());
    let mut stmt = tx.prepare_cached(
        "SELECT currency, sum(debit - credit) FROM account_day_balances
         WHERE ledger = ?1 AND account_id = ?2 AND day <= ?3 GROUP BY currency",
    )?;
    let rows = stmt
        .query_map(params![ledger, account_id, day], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<Vec<(String, i64)>, _>>()?;
    let total = sum_per_currency(ledger, rows)?;
    let Some(t) = known_at else { return Ok(total) };
    // Subtract what was learned after T: a range on (account, currency, recorded_at > T).
    let mut stmt = tx.prepare_cached(
        "SELECT currency, sum(debit - credit) FROM account_day_known
         WHERE ledger = ?1 AND account_id = ?2 AND recorded_at > ?3 AND day <= ?4 GROUP BY currency",
    )?;
    let rows = stmt
        .query_map(
            params![ledger, account_id, t.timestamp_micros(), day],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<Result<Vec<(String, i64)>, _>>()?;
    let later = sum_per_currency(ledger, rows)?;
    Ok(total - later)
}

pub(crate) fn balance(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Result<Decimal, SqliteError> {
    match account_id(tx, ledger, account)? {
        None => Ok(Decimal::ZERO),
        Some(id) => balance_of(tx, ledger, id, as_of, known_at),
    }
}

/// Whether the account has any posting within the filters (the aggregates keep a row for every
/// (account, day[, recorded_at]) that was posted to, even when it nets to zero).
fn has_postings(
    tx: &Transaction<'_>,
    ledger: &str,
    account_id: i64,
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Result<bool, SqliteError> {
    let day = as_of
        .map(date_text)
        .unwrap_or_else(|| NO_DATE_BOUND.to_string());
    let found: Option<i64> = match known_at {
        None => tx
            .prepare_cached("SELECT 1 FROM account_day_balances WHERE ledger = ?1 AND account_id = ?2 AND day <= ?3 LIMIT 1")?
            .query_row(params![ledger, account_id, day], |r| r.get(0))
            .optional()?,
        Some(t) => tx
            .prepare_cached(
                "SELECT 1 FROM account_day_known WHERE ledger = ?1 AND account_id = ?2 AND recorded_at <= ?3 AND day <= ?4 LIMIT 1",
            )?
            .query_row(params![ledger, account_id, t.timestamp_micros(), day], |r| r.get(0))
            .optional()?,
    };
    Ok(found.is_some())
}

pub(crate) fn balances(
    tx: &Transaction<'_>,
    ledger: &str,
    kind: Option<AccountKind>,
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<AccountBalance>, SqliteError> {
    let mut stmt = tx.prepare_cached("SELECT account_id, key FROM accounts WHERE ledger = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY key")?;
    let accounts = stmt
        .query_map(params![ledger, kind.map(|k| k.as_str())], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(accounts.len());
    for (id, key) in accounts {
        if !has_postings(tx, ledger, id, as_of, known_at)? {
            continue;
        }
        let account = AccountKey::parse(&key).map_err(|_| {
            corrupt(
                "accounts",
                ledger,
                format!("account {id}"),
                "key",
                "kind/qualifier",
                &key,
            )
        })?;
        out.push(AccountBalance {
            account,
            balance: balance_of(tx, ledger, id, as_of, known_at)?,
        });
    }
    Ok(out)
}

pub(crate) fn day_movements(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayMovement>, SqliteError> {
    let Some(id) = account_id(tx, ledger, account)? else {
        return Ok(Vec::new());
    };
    let mut closing = match from.pred_opt() {
        Some(prev) => balance_of(tx, ledger, id, Some(prev), None)?,
        None => Decimal::ZERO,
    };
    let mut stmt = tx.prepare_cached(
        "SELECT day, currency, debit, credit FROM account_day_balances
         WHERE ledger = ?1 AND account_id = ?2 AND day BETWEEN ?3 AND ?4 ORDER BY day, currency",
    )?;
    let rows = stmt
        .query_map(params![ledger, id, date_text(from), date_text(to)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out: Vec<DayMovement> = Vec::new();
    for (day_text, cur, debit, credit) in rows {
        let day = parse_date(
            "account_day_balances",
            ledger,
            &key_of(account),
            "day",
            &day_text,
        )?;
        let currency = parse_currency("account_day_balances", ledger, &key_of(account), &cur)?;
        let (d, c) = (from_minor(debit, currency), from_minor(credit, currency));
        closing += d - c;
        match out.last_mut() {
            Some(m) if m.day == day => {
                m.debits += d;
                m.credits += c;
                m.closing = closing;
            }
            _ => out.push(DayMovement {
                day,
                debits: d,
                credits: c,
                closing,
            }),
        }
    }
    Ok(out)
}

fn key_of(a: &AccountKey) -> String {
    a.to_string()
}

/// Recomputes both aggregates from `postings` ⋈ `entries` and compares them row by row.
pub(crate) fn check_aggregates(
    tx: &Transaction<'_>,
    ledger: &str,
) -> Result<Option<String>, SqliteError> {
    type Key = (i64, String, String);
    let load = |sql: &str| -> Result<BTreeMap<Key, (i64, i64)>, SqliteError> {
        let mut stmt = tx.prepare(sql)?;
        let rows = stmt
            .query_map(params![ledger], |r| {
                Ok(((r.get(0)?, r.get(1)?, r.get(2)?), (r.get(3)?, r.get(4)?)))
            })?
            .collect::<Result<Vec<(Key, (i64, i64))>, _>>()?;
        Ok(rows.into_iter().collect())
    };
    let sums = "sum(CASE p.side WHEN 'debit' THEN p.amount ELSE 0 END), sum(CASE p.side WHEN 'credit' THEN p.amount ELSE 0 END)";
    let by_day_expected = load(&format!(
        "SELECT p.account_id, p.currency, e.booked_on, {sums} FROM postings p
         JOIN entries e ON e.ledger = p.ledger AND e.seq = p.seq WHERE p.ledger = ?1
         GROUP BY p.account_id, p.currency, e.booked_on"
    ))?;
    let by_day_stored = load("SELECT account_id, currency, day, debit, credit FROM account_day_balances WHERE ledger = ?1")?;
    if let Some(diff) = first_difference(&by_day_expected, &by_day_stored) {
        return Ok(Some(format!(
            "account_day_balances differs from postings at {diff}"
        )));
    }
    let known_expected = load(&format!(
        "SELECT p.account_id, p.currency, e.booked_on || '@' || e.recorded_at, {sums} FROM postings p
         JOIN entries e ON e.ledger = p.ledger AND e.seq = p.seq WHERE p.ledger = ?1
         GROUP BY p.account_id, p.currency, e.booked_on, e.recorded_at"
    ))?;
    let known_stored = load("SELECT account_id, currency, day || '@' || recorded_at, debit, credit FROM account_day_known WHERE ledger = ?1")?;
    if let Some(diff) = first_difference(&known_expected, &known_stored) {
        return Ok(Some(format!(
            "account_day_known differs from postings at {diff}"
        )));
    }
    Ok(None)
}

type AggMap = BTreeMap<(i64, String, String), (i64, i64)>;

fn first_difference(expected: &AggMap, stored: &AggMap) -> Option<String> {
    for (k, v) in expected {
        let s = stored.get(k).copied().unwrap_or((0, 0));
        if s != *v {
            return Some(format!(
                "account {} {} {}: postings say debit {} credit {}, aggregate says debit {} credit {}",
                k.0, k.1, k.2, v.0, v.1, s.0, s.1
            ));
        }
    }
    for (k, s) in stored {
        if !expected.contains_key(k) {
            return Some(format!(
                "account {} {} {}: no postings, aggregate says debit {} credit {}",
                k.0, k.1, k.2, s.0, s.1
            ));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Files, runs, statements, lines, documents, duplicates
// ---------------------------------------------------------------------------------------------

pub(crate) fn files(
    tx: &Transaction<'_>,
    ledger: &str,
    sha256: Option<&str>,
) -> Result<Vec<StoredFile>, SqliteError> {
    let mut stmt = tx.prepare_cached(
        "SELECT name, sha256, size, format, imported_by, run_id, imported_at FROM source_files
         WHERE ledger = ?1 AND (?2 IS NULL OR sha256 = ?2) ORDER BY run_id, sha256",
    )?;
    let mut rows = stmt.query(params![ledger, sha256])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let size: i64 = r.get(2)?;
        out.push(StoredFile {
            file: SourceFile {
                name: r.get(0)?,
                sha256: r.get(1)?,
                size_bytes: u64::try_from(size).unwrap_or(0),
                format: r.get(3)?,
                imported_by: r.get(4)?,
            },
            run_id: r.get(5)?,
            imported_at: time_from_us(r.get(6)?),
        });
    }
    Ok(out)
}

pub(crate) fn runs(
    tx: &Transaction<'_>,
    ledger: &str,
    run_id: Option<i64>,
) -> Result<Vec<RunRecord>, SqliteError> {
    let mut stmt = tx.prepare_cached(
        "SELECT run_id, kind, actor, started_at, details FROM runs
         WHERE ledger = ?1 AND (?2 IS NULL OR run_id = ?2) ORDER BY run_id",
    )?;
    let mut rows = stmt.query(params![ledger, run_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let key = format!("run {id}");
        let kind_text: String = r.get(1)?;
        let kind = RunKind::parse(&kind_text).ok_or_else(|| {
            corrupt(
                "runs",
                ledger,
                &key,
                "kind",
                "import, reconcile, manual or close",
                &kind_text,
            )
        })?;
        let details_text: String = r.get(4)?;
        out.push(RunRecord {
            run_id: id,
            kind,
            actor: r.get(2)?,
            started_at: time_from_us(r.get(3)?),
            details: parse_json("runs", ledger, &key, "details", &details_text)?,
        });
    }
    Ok(out)
}

pub(crate) fn statements(
    tx: &Transaction<'_>,
    ledger: &str,
    account: Option<&str>,
) -> Result<Vec<StoredStatement>, SqliteError> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.file_sha256, f.name, s.run_id, s.idx, s.body FROM statements s
         JOIN source_files f ON f.ledger = s.ledger AND f.sha256 = s.file_sha256
         WHERE s.ledger = ?1 AND (?2 IS NULL OR s.account = ?2) ORDER BY s.account, s.run_id, s.idx",
    )?;
    let mut rows = stmt.query(params![ledger, account])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let sha: String = r.get(0)?;
        let idx: i64 = r.get(3)?;
        let key = format!("file {sha} statement {idx}");
        let body: String = r.get(4)?;
        let header: StatementHeader = parse_json("statements", ledger, &key, "body", &body)?;
        out.push(StoredStatement {
            file_sha256: sha,
            file_name: r.get(1)?,
            run_id: r.get(2)?,
            index: u32::try_from(idx).map_err(|_| {
                corrupt("statements", ledger, &key, "idx", "a u32", idx.to_string())
            })?,
            header,
        });
    }
    Ok(out)
}

/// The columns `line_from_row` reads, in its order.
pub(crate) const LINE_COLUMNS: &str =
    "file_sha256, run_id, recorded_at, body, entry_seq, natural_key, account, statement_idx, line,
     entry_index, booking_date, value_date, amount, currency, direction, status, reversal, text";
/// How many columns [`LINE_COLUMNS`] names (a query's own columns follow them).
pub(crate) const LINE_COLUMN_COUNT: usize = 18;
pub(crate) const LINE_ORDER: &str =
    "ORDER BY booking_date, account, run_id, statement_idx, entry_index, natural_key";

/// The members of a line's facts its body holds (`import::line_body`); a body written before
/// also repeats the row's columns, which are ignored here.
#[derive(serde::Deserialize)]
pub(crate) struct LineBody {
    /// Present when the amount was written at another scale than its currency's (and in every
    /// body written before the lean bodies, which repeated the facts whole).
    #[serde(default)]
    pub(crate) amount: Option<Decimal>,
    #[serde(default)]
    pub(crate) booked_at: Option<chrono::NaiveDateTime>,
    #[serde(default)]
    pub(crate) bank_ref: Option<String>,
    #[serde(default)]
    pub(crate) refs: kasda_core::statement::References,
    #[serde(default)]
    pub(crate) bank_tx_code: Option<String>,
    #[serde(default)]
    pub(crate) counterparty: kasda_core::statement::Party,
    #[serde(default)]
    pub(crate) balance_after: Option<Decimal>,
}

/// A stored line from a row of [`LINE_COLUMNS`]: the facts from the columns and the body.
pub(crate) fn line_from_row(ledger: &str, r: &Row<'_>) -> Result<StoredLine, SqliteError> {
    const T: &str = "statement_lines";
    let key: String = r.get(5)?;
    let body: String = r.get(3)?;
    let LineBody {
        amount,
        booked_at,
        bank_ref,
        refs,
        bank_tx_code,
        counterparty,
        balance_after,
    } = parse_json(T, ledger, &key, "body", &body)?;
    // A TEXT column (NULL when `nullable`), or the corrupt-row error naming it.
    let text =
        |i: usize, column: &'static str, nullable: bool| -> Result<Option<&str>, SqliteError> {
            let v = r.get_ref(i)?;
            match v.as_str_or_null() {
                Ok(Some(t)) => Ok(Some(t)),
                Ok(None) if nullable => Ok(None),
                _ => Err(corrupt(
                    T,
                    ledger,
                    &key,
                    column,
                    "text",
                    format!("{:?}", v.data_type()),
                )),
            }
        };
    let text_of = |i: usize, column: &'static str| -> Result<&str, SqliteError> {
        Ok(text(i, column, false)?.unwrap_or_default())
    };
    let currency = parse_currency(T, ledger, &key, text_of(13, "currency")?)?;
    let direction = match text(14, "direction", true)? {
        Some("credit") => Direction::Credit,
        Some("debit") => Direction::Debit,
        other => {
            return Err(corrupt(
                T,
                ledger,
                &key,
                "direction",
                "credit or debit",
                format!("{other:?}"),
            ))
        }
    };
    let status = match text_of(15, "status")? {
        "booked" => kasda_core::statement::EntryStatus::Booked,
        "pending" => kasda_core::statement::EntryStatus::Pending,
        "info" => kasda_core::statement::EntryStatus::Info,
        other => {
            return Err(corrupt(
                T,
                ledger,
                &key,
                "status",
                "booked, pending or info",
                other,
            ))
        }
    };
    let booking_date = parse_date(
        T,
        ledger,
        &key,
        "booking_date",
        text_of(10, "booking_date")?,
    )?;
    let value_date = match text(11, "value_date", true)? {
        Some(text) => Some(parse_date(T, ledger, &key, "value_date", text)?),
        None => None,
    };
    let facts = LineFacts {
        account: r.get(6)?,
        statement_index: r.get(7)?,
        pos: kasda_core::statement::SourcePos {
            line: r.get(8)?,
            index: r.get(9)?,
        },
        booking_date,
        value_date,
        booked_at,
        amount: match amount {
            Some(a) => a,
            None => from_minor(r.get(12)?, currency),
        },
        currency,
        direction,
        status,
        reversal: r.get(16)?,
        bank_ref,
        refs,
        bank_tx_code,
        counterparty,
        text: r.get(17)?,
        balance_after,
        natural_key: key,
    };
    Ok(StoredLine {
        file_sha256: r.get(0)?,
        run_id: r.get(1)?,
        recorded_at: time_from_us(r.get(2)?),
        facts,
        entry_seq: r.get(4)?,
    })
}

pub(crate) fn statement_lines(
    tx: &Transaction<'_>,
    ledger: &str,
    account: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StoredLine>, SqliteError> {
    let mut out = Vec::new();
    crate::recon_read::each_statement_line(tx, ledger, account, from, to, &mut |l| {
        out.push(l);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn lines_by_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<StoredLine>, SqliteError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS} FROM statement_lines WHERE ledger = ?1 AND natural_key = ?2"
    ))?;
    let wanted: BTreeSet<&String> = keys.iter().collect();
    let mut found = Vec::new();
    for k in wanted {
        let mut rows = stmt.query(params![ledger, k])?;
        if let Some(r) = rows.next()? {
            let line = line_from_row(ledger, r)?;
            let f = &line.facts;
            let order = (
                date_text(f.booking_date),
                f.account.clone(),
                line.run_id,
                i64::from(f.statement_index),
                i64::from(f.pos.index),
                k.clone(),
            );
            found.push((order, line));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found.into_iter().map(|(_, l)| l).collect())
}

pub(crate) const DOC_COLUMNS: &str =
    "file_sha256, run_id, recorded_at, row, natural_key, kind, date, body, entry_seq";

pub(crate) fn document_from_row(ledger: &str, r: &Row<'_>) -> Result<StoredDocument, SqliteError> {
    let key: String = r.get(4)?;
    let kind_text: String = r.get(5)?;
    let kind = DocKind::parse(&kind_text).ok_or_else(|| {
        corrupt(
            "documents",
            ledger,
            &key,
            "kind",
            "receipt, sts, sp2d or bku",
            &kind_text,
        )
    })?;
    let date_text: String = r.get(6)?;
    let body: String = r.get(7)?;
    let row: i64 = r.get(3)?;
    Ok(StoredDocument {
        file_sha256: r.get(0)?,
        run_id: r.get(1)?,
        recorded_at: time_from_us(r.get(2)?),
        row: u32::try_from(row)
            .map_err(|_| corrupt("documents", ledger, &key, "row", "a u32", row.to_string()))?,
        kind,
        date: parse_date("documents", ledger, &key, "date", &date_text)?,
        document: parse_json::<Document>("documents", ledger, &key, "body", &body)?,
        entry_seq: r.get(8)?,
        natural_key: key,
    })
}

/// The trait's document order: (date, kind, natural key), kind in [`DocKind`]'s own order.
fn sort_documents(docs: &mut [StoredDocument]) {
    docs.sort_by(|a, b| (a.date, a.kind, &a.natural_key).cmp(&(b.date, b.kind, &b.natural_key)));
}

pub(crate) fn documents(
    tx: &Transaction<'_>,
    ledger: &str,
    kind: Option<DocKind>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<StoredDocument>, SqliteError> {
    // One statement per case: with `(?2 IS NULL OR kind = ?2)` SQLite cannot use an index for
    // the kind and walked every document of the ledger (receipts' bodies included) to find,
    // say, the BAR's STS.
    let mut stmt = match kind {
        Some(_) => tx.prepare_cached(&format!(
            "SELECT {DOC_COLUMNS} FROM documents INDEXED BY documents_by_kind_date
             WHERE ledger = ?1 AND kind = ?2 AND date BETWEEN ?3 AND ?4"
        ))?,
        None => tx.prepare_cached(&format!(
            "SELECT {DOC_COLUMNS} FROM documents
             WHERE ledger = ?1 AND ?2 IS NULL AND date BETWEEN ?3 AND ?4"
        ))?,
    };
    let from = from
        .map(date_text)
        .unwrap_or_else(|| NO_DATE_START.to_string());
    let to = to
        .map(date_text)
        .unwrap_or_else(|| NO_DATE_BOUND.to_string());
    let mut rows = stmt.query(params![ledger, kind.map(|k| k.as_str()), from, to])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(document_from_row(ledger, r)?);
    }
    sort_documents(&mut out);
    Ok(out)
}

pub(crate) fn documents_by_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<StoredDocument>, SqliteError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {DOC_COLUMNS} FROM documents WHERE ledger = ?1 AND natural_key = ?2"
    ))?;
    let wanted: BTreeSet<&String> = keys.iter().collect();
    let mut out = Vec::new();
    for k in wanted {
        let mut rows = stmt.query(params![ledger, k])?;
        if let Some(r) = rows.next()? {
            out.push(document_from_row(ledger, r)?);
        }
    }
    sort_documents(&mut out);
    Ok(out)
}

pub(crate) fn existing_document_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[String],
) -> Result<HashSet<String>, SqliteError> {
    let mut stmt =
        tx.prepare_cached("SELECT 1 FROM documents WHERE ledger = ?1 AND natural_key = ?2")?;
    let mut out = HashSet::new();
    for k in keys {
        if stmt
            .query_row(params![ledger, k], |r| r.get::<_, i64>(0))
            .optional()?
            .is_some()
        {
            out.insert(k.clone());
        }
    }
    Ok(out)
}

pub(crate) fn duplicates(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: Option<&[String]>,
) -> Result<Vec<DuplicateRecord>, SqliteError> {
    let cols = "what, natural_key, file_sha256, position, run_id, recorded_at, first_file_sha256, same_content, document, dup_id";
    let mut out = Vec::new();
    let mut push_rows = |rows: &mut rusqlite::Rows<'_>| -> Result<(), SqliteError> {
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(9)?;
            let key = format!("duplicate {id}");
            let what: String = r.get(0)?;
            let kind = match what.as_str() {
                "line" => DuplicateKind::Line,
                "document" => DuplicateKind::Document,
                _ => {
                    return Err(corrupt(
                        "duplicates",
                        ledger,
                        key,
                        "what",
                        "line or document",
                        what,
                    ))
                }
            };
            let doc_text: Option<String> = r.get(8)?;
            let document = match doc_text {
                Some(t) => Some(parse_json::<Document>(
                    "duplicates",
                    ledger,
                    &key,
                    "document",
                    &t,
                )?),
                None => None,
            };
            out.push(DuplicateRecord {
                kind,
                natural_key: r.get(1)?,
                file_sha256: r.get(2)?,
                pos: r.get(3)?,
                run_id: r.get(4)?,
                recorded_at: time_from_us(r.get(5)?),
                first_file_sha256: r.get(6)?,
                same_content: r.get::<_, i64>(7)? != 0,
                document,
            });
        }
        Ok(())
    };
    match keys {
        None => {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {cols} FROM duplicates WHERE ledger = ?1 ORDER BY dup_id"
            ))?;
            let mut rows = stmt.query(params![ledger])?;
            push_rows(&mut rows)?;
        }
        Some(keys) => {
            let wanted: BTreeSet<&String> = keys.iter().collect();
            let mut stmt = tx.prepare_cached(&format!("SELECT {cols} FROM duplicates WHERE ledger = ?1 AND natural_key = ?2 ORDER BY dup_id"))?;
            for k in wanted {
                let mut rows = stmt.query(params![ledger, k])?;
                push_rows(&mut rows)?;
            }
        }
    }
    out.sort_by(|a, b| (a.run_id, &a.natural_key, &a.pos).cmp(&(b.run_id, &b.natural_key, &b.pos)));
    Ok(out)
}

/// Statement lines in insertion order, after `after_line_id`, with their ids (for export).
pub(crate) fn lines_page(
    tx: &Transaction<'_>,
    ledger: &str,
    after_line_id: i64,
    limit: usize,
) -> Result<Vec<(i64, StoredLine)>, SqliteError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS}, line_id FROM statement_lines WHERE ledger = ?1 AND line_id > ?2 ORDER BY line_id LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![ledger, after_line_id, limit as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((r.get(LINE_COLUMN_COUNT)?, line_from_row(ledger, r)?));
    }
    Ok(out)
}

/// Documents in insertion order, after `after_doc_id`, with their ids (for export).
pub(crate) fn documents_page(
    tx: &Transaction<'_>,
    ledger: &str,
    after_doc_id: i64,
    limit: usize,
) -> Result<Vec<(i64, StoredDocument)>, SqliteError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {DOC_COLUMNS}, doc_id FROM documents WHERE ledger = ?1 AND doc_id > ?2 ORDER BY doc_id LIMIT ?3"
    ))?;
    let mut rows = stmt.query(params![ledger, after_doc_id, limit as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push((r.get(9)?, document_from_row(ledger, r)?));
    }
    Ok(out)
}

/// Every duplicate in insertion order (for export).
pub(crate) fn duplicates_in_order(
    tx: &Transaction<'_>,
    ledger: &str,
) -> Result<Vec<DuplicateRecord>, SqliteError> {
    let mut all = duplicates(tx, ledger, None)?;
    // `duplicates` sorts by (run, key, pos); insertion order is by run then position in the
    // file, which is what a stable re-import needs. Re-read ids to keep it exact.
    let mut stmt = tx.prepare_cached(
        "SELECT run_id, natural_key, position FROM duplicates WHERE ledger = ?1 ORDER BY dup_id",
    )?;
    let order = stmt
        .query_map(params![ledger], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(all.len());
    for (run, key, pos) in order {
        if let Some(i) = all
            .iter()
            .position(|d| d.run_id == run && d.natural_key == key && d.pos == pos)
        {
            out.push(all.swap_remove(i));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Period flows (reports)
// ---------------------------------------------------------------------------------------------

/// `Store::account_flows`: the accounts of `kinds`, each one's rows of the `report_flows`
/// aggregate (migration 0009, kept by the run's seal) over the period: a range of its primary key
/// per account, so the cost follows the accounts and days, not the month's postings.
pub(crate) fn account_flows(
    tx: &Transaction<'_>,
    ledger: &str,
    kinds: &[AccountKind],
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<kasda_store::AccountFlow>, SqliteError> {
    let mut accounts: Vec<(i64, AccountKey)> = Vec::new();
    {
        let mut stmt =
            tx.prepare_cached("SELECT account_id, key FROM accounts WHERE ledger = ?1")?;
        let mut rows = stmt.query(params![ledger])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let text: String = r.get(1)?;
            let key = AccountKey::parse(&text).map_err(|_| {
                corrupt(
                    "accounts",
                    ledger,
                    format!("account {id}"),
                    "key",
                    "kind/qualifier",
                    &text,
                )
            })?;
            if kinds.is_empty() || kinds.contains(&key.kind()) {
                accounts.push((id, key));
            }
        }
    }
    let mut out = BTreeMap::new();
    if from > to {
        return Ok(Vec::new());
    }
    for (id, key) in &accounts {
        add_report_flows(tx, ledger, *id, key, from, to, known_at, &mut out)?;
    }
    Ok(out.into_values().collect())
}

/// Flows in the order the trait states: (account key text, day, entry kind text).
type FlowMap = BTreeMap<(String, NaiveDate, &'static str), kasda_store::AccountFlow>;

/// Adds one account's `report_flows` rows within `from..=to`, known at `known_at` (rows recorded
/// by then; every row when `None`), to `out`, summing recording times and currencies.
#[allow(clippy::too_many_arguments)]
fn add_report_flows(
    tx: &Transaction<'_>,
    ledger: &str,
    account_id: i64,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
    out: &mut FlowMap,
) -> Result<(), SqliteError> {
    let mut stmt = tx.prepare_cached(
        // Along the primary key (account, day, kind, currency, recorded_at): no sort.
        "SELECT day, kind, currency, sum(debit), sum(credit) FROM report_flows
          WHERE ledger = ?1 AND account_id = ?2 AND day BETWEEN ?3 AND ?4
            AND (?5 IS NULL OR recorded_at <= ?5)
          GROUP BY day, kind, currency",
    )?;
    let mut rows = stmt.query(params![
        ledger,
        account_id,
        date_text(from),
        date_text(to),
        known_at.map(|t| t.timestamp_micros())
    ])?;
    let text = account.to_string();
    let (mut last_day_text, mut last_day) = (String::new(), from);
    while let Some(r) = rows.next()? {
        let day_text = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if day_text != last_day_text {
            last_day = parse_date("report_flows", ledger, &text, "day", day_text)?;
            last_day_text = day_text.to_string();
        }
        let kind_text = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let kind = EntryKind::parse(kind_text).ok_or_else(|| {
            corrupt(
                "report_flows",
                ledger,
                &text,
                "kind",
                "an entry kind",
                kind_text,
            )
        })?;
        let currency_text = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let currency = parse_currency("report_flows", ledger, &text, currency_text)?;
        let (debit, credit): (i64, i64) = (r.get(3)?, r.get(4)?);
        let slot = out
            .entry((text.clone(), last_day, kind.as_str()))
            .or_insert_with(|| kasda_store::AccountFlow {
                account: account.clone(),
                day: last_day,
                entry_kind: kind,
                debits: Decimal::ZERO,
                credits: Decimal::ZERO,
            });
        slot.debits += from_minor(debit, currency);
        slot.credits += from_minor(credit, currency);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Open items and one account's flows (reports)
// ---------------------------------------------------------------------------------------------

/// The (entry kind, account kind) pairs `report_facts` (migration 0009) keeps: the facts the
/// Berita Acara lists as reconciling items. Keep in step with the migration's trigger.
fn tracked_fact(kind: EntryKind, account: AccountKind) -> bool {
    matches!(
        (kind, account),
        (EntryKind::Sp2d, AccountKind::Sp2dBelumDicairkan)
            | (
                EntryKind::StatementLine,
                AccountKind::PenerimaanBelumTeridentifikasi
                    | AccountKind::PengeluaranBelumTeridentifikasi
            )
            | (EntryKind::Sts, AccountKind::KasBendaharaPenerimaan)
    )
}

/// `Store::open_items`: without a cut-off, for the facts `report_facts` keeps (migration 0009),
/// the open rows of that table; otherwise one query over the account's postings (the `postings_by_account` index
/// of migration 0003), each fact checked for a joining entry (`entry_joins_by_key`) and a
/// reversing entry (`entries_by_reverses`) known at the cut-off and booked by `as_of`.
pub(crate) fn open_items(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
    kind: EntryKind,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<kasda_store::OpenItem>, SqliteError> {
    let Some(id) = account_id(tx, ledger, account)? else {
        return Ok(Vec::new());
    };
    let (from, range) = if known_at.is_none() && tracked_fact(kind, account.kind()) {
        (
            // Migration 0009: the facts booked by the date whose closing date (earliest joining
            // or reversing entry) is unknown or later, two ranges of `report_facts_open`; the
            // checks below then hold by construction and cost one probe each.
            "(SELECT seq FROM report_facts INDEXED BY report_facts_open
               WHERE ledger = ?1 AND account_id = ?2 AND kind = ?3 AND closed_on IS NULL
                 AND booked_on <= ?4
              UNION ALL
              SELECT seq FROM report_facts INDEXED BY report_facts_open
               WHERE ledger = ?1 AND account_id = ?2 AND kind = ?3 AND closed_on > ?4
                 AND booked_on <= ?4) AS o
              CROSS JOIN entries e ON e.ledger = ?1 AND e.seq = o.seq
              CROSS JOIN postings p ON p.ledger = e.ledger AND p.seq = e.seq
              WHERE p.account_id = ?2 AND ?6 IS NULL AND ?7 IS NULL",
            None,
        )
    } else if kind == EntryKind::OpeningBalance {
        // Opening balances are found by their natural keys (the account's key range, the rule
        // the stores identify them by), not by walking every posting the kas account ever had.
        (
            // The entries' UNIQUE (ledger, natural_key) index, by its name from migration 0001:
            // with the range bound as parameters the planner walked `entries_by_booked_on`
            // over every entry of the ledger instead.
            "entries e INDEXED BY sqlite_autoindex_entries_2
              CROSS JOIN postings p ON p.ledger = e.ledger AND p.seq = e.seq
              WHERE e.ledger = ?1 AND e.natural_key >= ?6 AND e.natural_key < ?7
                AND p.account_id = ?2",
            Some(kasda_store::opening_balance_key_range(account)),
        )
    } else {
        (
            "postings p INDEXED BY postings_by_account
              CROSS JOIN entries e ON e.ledger = p.ledger AND e.seq = p.seq
              WHERE p.ledger = ?1 AND p.account_id = ?2 AND ?6 IS NULL AND ?7 IS NULL",
            None,
        )
    };
    let mut stmt = tx.prepare_cached(&format!(
        // The join order and indexes are fixed (CROSS JOIN, INDEXED BY, `+` on dates): without
        // statistics the planner would walk `entries_by_booked_on` inside each subquery.
        "SELECT e.seq, e.natural_key, e.booked_on, e.memo, p.side, p.amount, p.currency
           FROM {from}
            AND e.kind = ?3 AND +e.booked_on <= ?4 AND (?5 IS NULL OR e.recorded_at <= ?5)
            AND NOT EXISTS (
                SELECT 1 FROM entry_joins j INDEXED BY entry_joins_by_key
                 CROSS JOIN entries m ON m.ledger = j.ledger AND m.seq = j.seq
                 WHERE j.ledger = ?1 AND j.joined_key = e.natural_key
                   AND +m.booked_on <= ?4 AND (?5 IS NULL OR m.recorded_at <= ?5))
            AND NOT EXISTS (
                SELECT 1 FROM entries r INDEXED BY entries_by_reverses
                 CROSS JOIN postings rp ON rp.ledger = r.ledger AND rp.seq = r.seq
                 WHERE r.ledger = ?1 AND r.reverses = e.seq AND rp.account_id = ?2
                   AND +r.booked_on <= ?4 AND (?5 IS NULL OR r.recorded_at <= ?5))
          ORDER BY e.booked_on, e.seq, p.idx"
    ))?;
    let (lo, hi) = range.unzip();
    let mut rows = stmt.query(params![
        ledger,
        id,
        kind.as_str(),
        date_text(as_of),
        known_at.map(|t| t.timestamp_micros()),
        lo,
        hi
    ])?;
    let mut out: Vec<kasda_store::OpenItem> = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let key = format!("seq {seq}");
        let amount: i64 = r.get(5)?;
        let signed = signed_amount(ledger, &key, r.get(4)?, amount, r.get(6)?)?;
        match out.last_mut() {
            Some(item) if item.seq == seq => item.effect += signed,
            _ => {
                let booked: String = r.get(2)?;
                out.push(kasda_store::OpenItem {
                    seq,
                    natural_key: r.get(1)?,
                    booked_on: parse_date("entries", ledger, &key, "booked_on", &booked)?,
                    memo: r.get(3)?,
                    effect: signed,
                });
            }
        }
    }
    Ok(out)
}

/// A posting's amount read back debit-positive: `amount` minor units of `currency` on `side`.
fn signed_amount(
    ledger: &str,
    key: &str,
    side: String,
    amount: i64,
    currency: String,
) -> Result<Decimal, SqliteError> {
    let currency = parse_currency("postings", ledger, key, &currency)?;
    let magnitude = from_minor(amount, currency);
    match side.as_str() {
        "debit" => Ok(magnitude),
        "credit" => Ok(-magnitude),
        _ => Err(corrupt(
            "postings",
            ledger,
            key,
            "side",
            "debit or credit",
            side,
        )),
    }
}

/// `Store::account_flows_of`: the account's rows of the `report_flows` aggregate (migration
/// 0009) over the period, one range of its primary key.
pub(crate) fn account_flows_of(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<kasda_store::AccountFlow>, SqliteError> {
    let Some(id) = account_id(tx, ledger, account)? else {
        return Ok(Vec::new());
    };
    if from > to {
        return Ok(Vec::new());
    }
    let mut out = BTreeMap::new();
    add_report_flows(tx, ledger, id, account, from, to, known_at, &mut out)?;
    Ok(out.into_values().collect())
}

/// `Store::joining_entries`: per key, the joins by key (`entry_joins_by_key`) and each joining
/// entry's date and recording time by its primary key; no postings read.
pub(crate) fn joining_entries(
    tx: &Transaction<'_>,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<kasda_store::JoiningEntry>, SqliteError> {
    let wanted: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    let mut stmt = tx.prepare_cached(
        "SELECT DISTINCT j.seq, e.booked_on, e.recorded_at
           FROM entry_joins j INDEXED BY entry_joins_by_key
          CROSS JOIN entries e ON e.ledger = j.ledger AND e.seq = j.seq
          WHERE j.ledger = ?1 AND j.joined_key = ?2
          ORDER BY j.seq",
    )?;
    let mut out = Vec::new();
    for key in wanted {
        let mut rows = stmt.query(params![ledger, key])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let booked: String = r.get(1)?;
            out.push(kasda_store::JoiningEntry {
                key: key.to_string(),
                seq,
                booked_on: parse_date(
                    "entries",
                    ledger,
                    &format!("seq {seq}"),
                    "booked_on",
                    &booked,
                )?,
                recorded_at: time_from_us(r.get(2)?),
            });
        }
    }
    Ok(out)
}

/// `Store::open_documents`: the kind's documents up to the date (`documents_by_kind_date`),
/// each checked for a joining entry by `entry_joins_by_key`; only the open ones are decoded.
pub(crate) fn open_documents(
    tx: &Transaction<'_>,
    ledger: &str,
    kind: DocKind,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<StoredDocument>, SqliteError> {
    let mut stmt = tx.prepare_cached(&format!(
        // Plans pinned as in `open_items` (INDEXED BY, CROSS JOIN, `+` on dates).
        "SELECT {DOC_COLUMNS} FROM documents d INDEXED BY documents_by_kind_date
          WHERE d.ledger = ?1 AND d.kind = ?2 AND d.date <= ?3 AND d.entry_seq IS NOT NULL
            AND (?4 IS NULL OR d.recorded_at <= ?4)
            AND NOT EXISTS (
                SELECT 1 FROM entry_joins j INDEXED BY entry_joins_by_key
                 CROSS JOIN entries m ON m.ledger = j.ledger AND m.seq = j.seq
                 WHERE j.ledger = ?1 AND j.joined_key = d.natural_key
                   AND +m.booked_on <= ?3 AND (?4 IS NULL OR m.recorded_at <= ?4))"
    ))?;
    let mut rows = stmt.query(params![
        ledger,
        kind.as_str(),
        date_text(as_of),
        known_at.map(|t| t.timestamp_micros())
    ])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(document_from_row(ledger, r)?);
    }
    sort_documents(&mut out);
    Ok(out)
}

/// `Store::book_lines`: one walk of the account's postings in the period's seq span
/// (`postings_by_account`), each entry read by its key; the entry's own joins (primary key),
/// the entries clearing a statement line (`entry_joins_by_key`) and their joins, and the kode
/// accounts among its postings come from correlated subqueries as JSON arrays, so no entry is
/// built whole and no lookup goes back and forth between Rust and SQLite.
pub(crate) fn book_lines(
    tx: &Transaction<'_>,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
    kode_kinds: &[AccountKind],
) -> Result<Vec<kasda_store::BookLine>, SqliteError> {
    let Some(id) = account_id(tx, ledger, account)? else {
        return Ok(Vec::new());
    };
    let Some((lo, hi)) = seq_span(tx, ledger, from, to)? else {
        return Ok(Vec::new());
    };
    // The kinds are the crate's own constant names, never input text.
    let kinds: Vec<String> = kode_kinds
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    let kode = if kinds.is_empty() {
        "'[]'".to_string()
    } else {
        format!(
            "(SELECT json_group_array(a.qualifier)
                FROM postings q
               CROSS JOIN accounts a ON a.ledger = q.ledger AND a.account_id = q.account_id
               WHERE q.ledger = ?1 AND q.seq = e.seq AND a.kind IN ({}))",
            kinds.join(", ")
        )
    };
    let mut stmt = tx.prepare_cached(&format!(
        // Join order and indexes fixed (CROSS JOIN, INDEXED BY, `+` on the date), as in
        // `account_seqs`: without statistics the planner walks the ledger instead.
        "SELECT e.seq, e.kind, e.booked_on, e.natural_key, e.memo, p.side, p.amount, p.currency,
                (SELECT json_group_array(j.joined_key) FROM entry_joins j
                  WHERE j.ledger = ?1 AND j.seq = e.seq),
                CASE WHEN e.kind = 'statement_line' THEN
                  (SELECT json_group_array(c.joined_key) FROM entry_joins c
                    WHERE c.ledger = ?1 AND c.seq IN (
                      SELECT j.seq FROM entry_joins j INDEXED BY entry_joins_by_key
                       WHERE j.ledger = ?1 AND j.joined_key = e.natural_key
                         AND (?7 IS NULL OR (SELECT m.recorded_at FROM entries m
                                              WHERE m.ledger = ?1 AND m.seq = j.seq) <= ?7)))
                END,
                {kode}
           FROM postings p INDEXED BY postings_by_account
          CROSS JOIN entries e ON e.ledger = p.ledger AND e.seq = p.seq
          WHERE p.ledger = ?1 AND p.account_id = ?2 AND p.seq BETWEEN ?5 AND ?6
            AND +e.booked_on BETWEEN ?3 AND ?4 AND (?7 IS NULL OR e.recorded_at <= ?7)
          ORDER BY p.seq, p.idx"
    ))?;
    let mut rows = stmt.query(params![
        ledger,
        id,
        date_text(from),
        date_text(to),
        lo,
        hi,
        known_at.map(|t| t.timestamp_micros())
    ])?;
    let mut out: Vec<kasda_store::BookLine> = Vec::new();
    let keys = |key: &str,
                column: &'static str,
                text: Option<String>|
     -> Result<Vec<String>, SqliteError> {
        match text {
            None => Ok(Vec::new()),
            Some(t) => serde_json::from_str(&t)
                .map_err(|_| corrupt("entry_joins", ledger, key, column, "a JSON array", t)),
        }
    };
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let key = format!("seq {seq}");
        let amount: i64 = r.get(6)?;
        let signed = signed_amount(ledger, &key, r.get(5)?, amount, r.get(7)?)?;
        if let Some(line) = out.last_mut().filter(|l| l.seq == seq) {
            // A second posting of the entry to the account.
            line.effect = line.effect.checked_add(signed).ok_or_else(|| {
                corrupt(
                    "postings",
                    ledger,
                    &key,
                    "amount",
                    "a summable amount",
                    amount.to_string(),
                )
            })?;
            continue;
        }
        let kind_text: String = r.get(1)?;
        let kind = EntryKind::parse(&kind_text)
            .ok_or_else(|| corrupt("entries", ledger, &key, "kind", "an entry kind", &kind_text))?;
        let booked: String = r.get(2)?;
        let mut documents = keys(&key, "joined_key", r.get(8)?)?;
        documents.extend(keys(&key, "joined_key", r.get(9)?)?);
        out.push(kasda_store::BookLine {
            seq,
            kind,
            booked_on: parse_date("entries", ledger, &key, "booked_on", &booked)?,
            natural_key: r.get(3)?,
            memo: r.get(4)?,
            effect: signed,
            kode: keys(&key, "qualifier", r.get(10)?)?,
            documents,
        });
    }
    out.sort_by_key(|l| (l.booked_on, l.seq));
    Ok(out)
}
