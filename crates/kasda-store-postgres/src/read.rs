//! Every read of the store. Text ordering uses `COLLATE "C"` (byte order) so that answers are
//! ordered exactly as the trait and the other stores order them, whatever the database locale.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting, StoredEntry};
use kasda_core::money::{Currency, Direction};
use kasda_store::{
    limit_check, AccountBalance, DayMovement, DocKind, DuplicateKind, DuplicateRecord,
    FindingEvent, FindingInput, FindingRecord, FindingStatus, Proposal, ProposalKind,
    ProposalStatus, RunKind, RunRecord, SourceFile, StoreError, StoredDocument, StoredFile,
    StoredLine, StoredStatement, MAX_KEYS_PER_LOOKUP, MAX_PAGE,
};
use rust_decimal::Decimal;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use crate::linebody::line_facts;
use crate::map_err;
use crate::write::{ledger_keys, natural_key_in};

fn corrupt(what: &str, found: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: unexpected stored value {found}"))
}

fn keys_limit(n: usize) -> Result<(), StoreError> {
    limit_check("keys in one lookup", n, MAX_KEYS_PER_LOOKUP)
}

async fn query(
    c: &Client,
    what: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    c.query(sql, params).await.map_err(|e| map_err(what, e))
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// An amount read back at its currency's scale (NUMERIC(20,3) hands back three decimals).
fn at_scale(mut amount: Decimal, currency: Currency) -> Decimal {
    amount.rescale(currency.scale());
    amount
}

fn currency(text: &str) -> Result<Currency, StoreError> {
    Currency::parse(text.trim()).map_err(|_| corrupt("currency", text))
}

// ---------------------------------------------------------------------------------------------
// Ledgers
// ---------------------------------------------------------------------------------------------

pub(crate) async fn ledgers(c: &Client) -> Result<Vec<kasda_store::LedgerInfo>, StoreError> {
    let rows = query(
        c,
        "list ledgers",
        "SELECT ledger_id, name FROM ledgers ORDER BY ledger_id COLLATE \"C\"",
        &[],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| kasda_store::LedgerInfo {
            code: r.get(0),
            name: r.get(1),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

const ENTRY_COLUMNS: &str = "seq, kind, booked_on, value_date, natural_key, position, memo,
    reverses, encode(source_sha256, 'hex'), run_id, recorded_at, encode(prev_hash, 'hex'),
    encode(hash, 'hex')";

/// Entries selected by `filter` (a WHERE clause over `e`, `$1` = ledger), in seq order, with
/// their postings.
async fn load_entries(
    c: &Client,
    ledger: &str,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
    limit: Option<i64>,
) -> Result<Vec<StoredEntry>, StoreError> {
    let limit_sql = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM entries e WHERE e.ledger_id = $1 AND {filter}
          ORDER BY e.seq{limit_sql}"
    );
    let rows = query(c, "read entries", &sql, params).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: String = r.get(1);
        out.push(StoredEntry {
            seq: r.get(0),
            entry: JournalEntry {
                kind: EntryKind::parse(&kind).ok_or_else(|| corrupt("entry kind", &kind))?,
                booked_on: r.get(2),
                value_date: r.get(3),
                natural_key: r.get(4),
                position: r.get(5),
                memo: r.get(6),
                reverses: r.get(7),
                postings: Vec::new(),
            },
            source_sha256: r.get(8),
            run_id: r.get(9),
            recorded_at: r.get(10),
            prev_hash: r.get(11),
            hash: r.get(12),
        });
    }
    if out.is_empty() {
        return Ok(out);
    }
    let seqs: Vec<i64> = out.iter().map(|e| e.seq).collect();
    let rows = query(
        c,
        "read postings",
        "SELECT p.seq, a.account_key, p.side, p.amount, p.currency
           FROM postings p
           JOIN accounts a ON a.ledger_id = p.ledger_id AND a.account_id = p.account_id
          WHERE p.ledger_id = $1 AND p.seq = ANY($2)
          ORDER BY p.seq, p.idx",
        &[&ledger, &seqs],
    )
    .await?;
    let index: HashMap<i64, usize> = out.iter().enumerate().map(|(i, e)| (e.seq, i)).collect();
    for r in &rows {
        let seq: i64 = r.get(0);
        let key: String = r.get(1);
        let side: String = r.get(2);
        let cur = currency(r.get(4))?;
        let posting = Posting {
            account: AccountKey::parse(&key).map_err(|_| corrupt("account key", &key))?,
            side: match side.as_str() {
                "debit" => Direction::Debit,
                "credit" => Direction::Credit,
                other => return Err(corrupt("posting side", other)),
            },
            amount: at_scale(r.get(3), cur),
            currency: cur,
        };
        if let Some(e) = index.get(&seq).and_then(|&i| out.get_mut(i)) {
            e.entry.postings.push(posting);
        }
    }
    Ok(out)
}

pub(crate) async fn entries(
    c: &Client,
    ledger: &str,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEntry>, StoreError> {
    let limit = limit.min(MAX_PAGE) as i64;
    load_entries(c, ledger, "e.seq > $2", &[&ledger, &after_seq], Some(limit)).await
}

pub(crate) async fn entries_by_seq(
    c: &Client,
    ledger: &str,
    seqs: &[i64],
) -> Result<Vec<StoredEntry>, StoreError> {
    keys_limit(seqs.len())?;
    load_entries(c, ledger, "e.seq = ANY($2)", &[&ledger, &seqs], None).await
}

pub(crate) async fn entries_by_keys(
    c: &Client,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<StoredEntry>, StoreError> {
    keys_limit(keys.len())?;
    load_entries(
        c,
        ledger,
        natural_key_in!("e.", "$2"),
        &[&ledger, &ledger_keys(ledger, keys)],
        None,
    )
    .await
}

/// Entries booked within the period that post to `account`: the account's postings within the
/// period's seq span ([`seq_span`], `postings_by_account`), each entry's date checked by its
/// key. Through a join on `account_key` the read walked every posting the account ever had
/// before keeping the period's; this follows the period.
pub(crate) async fn account_entries(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StoredEntry>, StoreError> {
    let Some(id) = account_id_of(c, ledger, account).await? else {
        return Ok(Vec::new());
    };
    let Some((lo, hi)) = seq_span(c, ledger, from, to).await? else {
        return Ok(Vec::new());
    };
    load_entries(
        c,
        ledger,
        "e.booked_on BETWEEN $3 AND $4 AND e.seq IN (
            SELECT p.seq FROM postings p
             WHERE p.ledger_id = $1 AND p.account_id = $2 AND p.seq BETWEEN $5 AND $6)",
        &[&ledger, &id, &from, &to, &lo, &hi],
        None,
    )
    .await
}

/// The lowest and highest seq of the entries booked within `from..=to` (None when there are
/// none), read through `entries_by_booked_on`. An entry posting to an account within the
/// period has its seq in this span, so one account's period reads walk `postings_by_account`
/// over the span only: the period's share of the account's postings when entries are recorded
/// roughly in booking order, as imports are. (The subquery fence keeps PostgreSQL from turning
/// min/max into a walk of the primary key from the ledger's first entry.)
async fn seq_span(
    c: &Client,
    ledger: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<(i64, i64)>, StoreError> {
    if from > to {
        return Ok(None);
    }
    let rows = query(
        c,
        "period seq span",
        "SELECT min(seq), max(seq) FROM (
            SELECT seq FROM entries WHERE ledger_id = $1 AND booked_on BETWEEN $2 AND $3
            OFFSET 0) s",
        &[&ledger, &from, &to],
    )
    .await?;
    Ok(rows.first().and_then(|r| {
        let lo: Option<i64> = r.get(0);
        let hi: Option<i64> = r.get(1);
        lo.zip(hi)
    }))
}

pub(crate) async fn entry_joins(
    c: &Client,
    ledger: &str,
    seqs: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    keys_limit(seqs.len())?;
    let rows = query(
        c,
        "read joins",
        "SELECT seq, joined_key FROM entry_joins WHERE ledger_id = $1 AND seq = ANY($2)
          ORDER BY seq, idx",
        &[&ledger, &seqs],
    )
    .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub(crate) async fn entries_joining(
    c: &Client,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<i64>, StoreError> {
    keys_limit(keys.len())?;
    let rows = query(
        c,
        "read joins",
        "SELECT DISTINCT seq FROM entry_joins WHERE ledger_id = $1 AND joined_key = ANY($2)
          ORDER BY seq",
        &[&ledger, &keys],
    )
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

pub(crate) async fn entries_reversing(
    c: &Client,
    ledger: &str,
    seqs: &[i64],
) -> Result<Vec<i64>, StoreError> {
    keys_limit(seqs.len())?;
    let rows = query(
        c,
        "read reversals",
        "SELECT seq FROM entries WHERE ledger_id = $1 AND reverses = ANY($2) ORDER BY seq",
        &[&ledger, &seqs],
    )
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// ASCII-only lower-casing in SQL, to match `str::to_ascii_lowercase` on the needle exactly.
const ASCII_LOWER: &str = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";

pub(crate) async fn search_keys(
    c: &Client,
    ledger: &str,
    text: &str,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let needle = text.to_ascii_lowercase();
    let limit = limit.min(i64::MAX as usize) as i64;
    let sql = format!(
        "SELECT k FROM (
            SELECT natural_key AS k FROM entries WHERE ledger_id = $1
               AND (strpos(translate(natural_key, {ASCII_LOWER}), $2) > 0
                 OR strpos(translate(memo, {ASCII_LOWER}), $2) > 0)
            UNION
            SELECT natural_key FROM statement_lines WHERE ledger_id = $1
               AND (strpos(translate(natural_key, {ASCII_LOWER}), $2) > 0
                 OR strpos(translate(search_text, {ASCII_LOWER}), $2) > 0)
            UNION
            SELECT natural_key FROM documents WHERE ledger_id = $1
               AND (strpos(translate(natural_key, {ASCII_LOWER}), $2) > 0
                 OR strpos(translate(body::text, {ASCII_LOWER}), $2) > 0)
         ) found ORDER BY k COLLATE \"C\" LIMIT $3"
    );
    let rows = query(c, "search", &sql, &[&ledger, &needle, &limit]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

// ---------------------------------------------------------------------------------------------
// Balances
// ---------------------------------------------------------------------------------------------

pub(crate) async fn balance(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Result<Decimal, StoreError> {
    let key = account.to_string();
    let rows = query(
        c,
        "balance",
        "SELECT coalesce(sum(d.debit - d.credit), 0)
           FROM accounts a
           JOIN account_day_deltas d ON d.ledger_id = a.ledger_id AND d.account_id = a.account_id
          WHERE a.ledger_id = $1 AND a.account_key = $2
            AND ($3::date IS NULL OR d.day <= $3)
            AND ($4::timestamptz IS NULL OR d.recorded_at <= $4)",
        &[&ledger, &key, &as_of, &known_at],
    )
    .await?;
    let v: Decimal = rows.first().map(|r| r.get(0)).unwrap_or(Decimal::ZERO);
    Ok(v.normalize_to_currency())
}

/// Balances come back from NUMERIC(24,3) sums; show them at two decimals (IDR) unless more
/// are needed, so that they compare and print like the other stores' values.
trait NormalizeAmount {
    fn normalize_to_currency(self) -> Decimal;
}

impl NormalizeAmount for Decimal {
    fn normalize_to_currency(self) -> Decimal {
        let n = self.normalize();
        if n.scale() <= 2 {
            let mut v = n;
            v.rescale(2);
            v
        } else {
            n
        }
    }
}

pub(crate) async fn balances(
    c: &Client,
    ledger: &str,
    kind: Option<AccountKind>,
    as_of: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<AccountBalance>, StoreError> {
    let kind = kind.map(|k| k.as_str());
    let rows = query(
        c,
        "balances",
        "SELECT a.account_key, sum(d.debit - d.credit)
           FROM accounts a
           JOIN account_day_deltas d ON d.ledger_id = a.ledger_id AND d.account_id = a.account_id
          WHERE a.ledger_id = $1
            AND ($2::text IS NULL OR a.kind = $2)
            AND ($3::date IS NULL OR d.day <= $3)
            AND ($4::timestamptz IS NULL OR d.recorded_at <= $4)
          GROUP BY a.account_key
          ORDER BY a.account_key COLLATE \"C\"",
        &[&ledger, &kind, &as_of, &known_at],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let key: String = r.get(0);
        out.push(AccountBalance {
            account: AccountKey::parse(&key).map_err(|_| corrupt("account key", &key))?,
            balance: r.get::<_, Decimal>(1).normalize_to_currency(),
        });
    }
    Ok(out)
}

pub(crate) async fn day_movements(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayMovement>, StoreError> {
    let key = account.to_string();
    let rows = query(
        c,
        "day movements",
        "SELECT coalesce(sum(d.debit - d.credit), 0)
           FROM accounts a
           JOIN account_day_deltas d ON d.ledger_id = a.ledger_id AND d.account_id = a.account_id
          WHERE a.ledger_id = $1 AND a.account_key = $2 AND d.day < $3",
        &[&ledger, &key, &from],
    )
    .await?;
    let mut running: Decimal = rows.first().map(|r| r.get(0)).unwrap_or(Decimal::ZERO);
    let rows = query(
        c,
        "day movements",
        "SELECT d.day, sum(d.debit), sum(d.credit)
           FROM accounts a
           JOIN account_day_deltas d ON d.ledger_id = a.ledger_id AND d.account_id = a.account_id
          WHERE a.ledger_id = $1 AND a.account_key = $2 AND d.day BETWEEN $3 AND $4
          GROUP BY d.day ORDER BY d.day",
        &[&ledger, &key, &from, &to],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let debits: Decimal = r.get(1);
        let credits: Decimal = r.get(2);
        running += debits - credits;
        out.push(DayMovement {
            day: r.get(0),
            debits: debits.normalize_to_currency(),
            credits: credits.normalize_to_currency(),
            closing: running.normalize_to_currency(),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

pub(crate) async fn statements(
    c: &Client,
    ledger: &str,
    account: Option<&str>,
) -> Result<Vec<StoredStatement>, StoreError> {
    let rows = query(
        c,
        "read statements",
        "SELECT s.file_sha256, f.name, s.run_id, s.idx, s.header::text
           FROM statements s
           JOIN source_files f ON f.ledger_id = s.ledger_id AND f.sha256 = s.file_sha256
          WHERE s.ledger_id = $1 AND ($2::text IS NULL OR s.account = $2)
          ORDER BY s.account COLLATE \"C\", s.run_id, s.idx",
        &[&ledger, &account],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let idx: i32 = r.get(3);
        out.push(StoredStatement {
            file_sha256: r.get(0),
            file_name: r.get(1),
            run_id: r.get(2),
            index: u32::try_from(idx).map_err(|_| corrupt("statement index", idx))?,
            header: parse_json("statement header", r.get(4))?,
        });
    }
    Ok(out)
}

pub(crate) const LINE_ORDER: &str =
    "ORDER BY booking_date, account COLLATE \"C\", run_id, statement_idx, pos_index";

/// What [`line_row`] reads, from `statement_lines` (no alias): the row's own columns, then
/// the line's facts as [`crate::linebody::FACT_COLUMNS`] (since migration 0007 `facts` holds
/// only what no column holds).
pub(crate) const LINE_COLUMNS: &str = "encode(file_sha256, 'hex'), run_id, recorded_at, entry_seq, natural_key, account, statement_idx, pos_index, booking_date, amount, currency, search_text, facts::text";

/// One stored line from a row of [`LINE_COLUMNS`].
pub(crate) fn line_row(r: &Row) -> Result<StoredLine, StoreError> {
    Ok(StoredLine {
        file_sha256: r.get(0),
        run_id: r.get(1),
        recorded_at: r.get(2),
        entry_seq: r.get(3),
        facts: line_facts(r, 4)?,
    })
}

pub(crate) fn line_rows(rows: &[Row]) -> Result<Vec<StoredLine>, StoreError> {
    rows.iter().map(line_row).collect()
}

pub(crate) async fn statement_lines(
    c: &Client,
    ledger: &str,
    account: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<StoredLine>, StoreError> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM statement_lines
          WHERE ledger_id = $1 AND ($2::text IS NULL OR account = $2)
            AND booking_date BETWEEN $3 AND $4 {LINE_ORDER}"
    );
    let rows = query(
        c,
        "read statement lines",
        &sql,
        &[&ledger, &account, &from, &to],
    )
    .await?;
    line_rows(&rows)
}

pub(crate) async fn lines_by_keys(
    c: &Client,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<StoredLine>, StoreError> {
    keys_limit(keys.len())?;
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM statement_lines
          WHERE {} {LINE_ORDER}",
        natural_key_in!("", "$1")
    );
    let rows = query(
        c,
        "read statement lines",
        &sql,
        &[&ledger_keys(ledger, keys)],
    )
    .await?;
    line_rows(&rows)
}

/// Documents sort by (date, kind in DocKind order, natural key).
const DOC_ORDER: &str = "ORDER BY doc_date,
    CASE kind WHEN 'receipt' THEN 0 WHEN 'sts' THEN 1 WHEN 'sp2d' THEN 2 ELSE 3 END,
    natural_key COLLATE \"C\"";

/// One document from a row of [`DOC_COLUMNS`].
pub(crate) fn doc_row(r: &Row) -> Result<StoredDocument, StoreError> {
    let kind: String = r.get(4);
    let row_no: i64 = r.get(3);
    Ok(StoredDocument {
        file_sha256: r.get(0),
        run_id: r.get(1),
        recorded_at: r.get(2),
        row: u32::try_from(row_no).map_err(|_| corrupt("document row", row_no))?,
        kind: DocKind::parse(&kind).ok_or_else(|| corrupt("document kind", &kind))?,
        natural_key: r.get(5),
        date: r.get(6),
        document: parse_json("document", r.get(7))?,
        entry_seq: r.get(8),
    })
}

pub(crate) fn doc_rows(rows: &[Row]) -> Result<Vec<StoredDocument>, StoreError> {
    rows.iter().map(doc_row).collect()
}

pub(crate) const DOC_COLUMNS: &str =
    "encode(file_sha256, 'hex'), run_id, recorded_at, row_no, kind, natural_key, doc_date,
     body::text, entry_seq";

pub(crate) async fn documents(
    c: &Client,
    ledger: &str,
    kind: Option<DocKind>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<StoredDocument>, StoreError> {
    let kind = kind.map(|k| k.as_str());
    let sql = format!(
        "SELECT {DOC_COLUMNS} FROM documents
          WHERE ledger_id = $1 AND ($2::text IS NULL OR kind = $2)
            AND ($3::date IS NULL OR doc_date >= $3) AND ($4::date IS NULL OR doc_date <= $4)
          {DOC_ORDER}"
    );
    let rows = query(c, "read documents", &sql, &[&ledger, &kind, &from, &to]).await?;
    doc_rows(&rows)
}

pub(crate) async fn documents_by_keys(
    c: &Client,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<StoredDocument>, StoreError> {
    keys_limit(keys.len())?;
    let sql = format!(
        "SELECT {DOC_COLUMNS} FROM documents WHERE {} {DOC_ORDER}",
        natural_key_in!("", "$1")
    );
    let rows = query(c, "read documents", &sql, &[&ledger_keys(ledger, keys)]).await?;
    doc_rows(&rows)
}

pub(crate) async fn existing_document_keys(
    c: &Client,
    ledger: &str,
    keys: &[String],
) -> Result<HashSet<String>, StoreError> {
    keys_limit(keys.len())?;
    let rows = query(
        c,
        "read document keys",
        concat!(
            "SELECT natural_key FROM documents WHERE ",
            natural_key_in!("", "$1")
        ),
        &[&ledger_keys(ledger, keys)],
    )
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

pub(crate) async fn duplicates(
    c: &Client,
    ledger: &str,
    keys: Option<&[String]>,
) -> Result<Vec<DuplicateRecord>, StoreError> {
    if let Some(k) = keys {
        keys_limit(k.len())?;
    }
    let rows = query(
        c,
        "read duplicates",
        "SELECT what, natural_key, file_sha256, position, run_id, recorded_at, first_file_sha256,
                same_content, document::text
           FROM duplicates
          WHERE ledger_id = $1 AND ($2::text[] IS NULL OR natural_key = ANY($2))
          ORDER BY run_id, natural_key COLLATE \"C\", position COLLATE \"C\"",
        &[&ledger, &keys],
    )
    .await?;
    rows.iter().map(dup_row).collect()
}

/// Columns [`dup_row`] reads, in order.
pub(crate) const DUP_COLUMNS: &str = "what, natural_key, file_sha256, position, run_id,
    recorded_at, first_file_sha256, same_content, document::text";

pub(crate) fn dup_row(r: &Row) -> Result<DuplicateRecord, StoreError> {
    let what: String = r.get(0);
    let doc: Option<String> = r.get(8);
    Ok(DuplicateRecord {
        kind: match what.as_str() {
            "line" => DuplicateKind::Line,
            "document" => DuplicateKind::Document,
            other => return Err(corrupt("duplicate kind", other)),
        },
        natural_key: r.get(1),
        file_sha256: r.get(2),
        pos: r.get(3),
        run_id: r.get(4),
        recorded_at: r.get(5),
        first_file_sha256: r.get(6),
        same_content: r.get(7),
        document: doc
            .map(|d| parse_json("duplicate document", &d))
            .transpose()?,
    })
}

fn file_row(r: &Row) -> Result<StoredFile, StoreError> {
    let size: i64 = r.get(2);
    Ok(StoredFile {
        file: SourceFile {
            sha256: r.get(0),
            name: r.get(1),
            size_bytes: u64::try_from(size).map_err(|_| corrupt("file size", size))?,
            format: r.get(3),
            imported_by: r.get(4),
        },
        imported_at: r.get(5),
        run_id: r.get(6),
    })
}

pub(crate) async fn files(
    c: &Client,
    ledger: &str,
    sha256: Option<&str>,
) -> Result<Vec<StoredFile>, StoreError> {
    let rows = query(
        c,
        "read files",
        "SELECT sha256, name, size_bytes, format, imported_by, imported_at, run_id
           FROM source_files WHERE ledger_id = $1 AND ($2::text IS NULL OR sha256 = $2)
          ORDER BY run_id",
        &[&ledger, &sha256],
    )
    .await?;
    rows.iter().map(file_row).collect()
}

pub(crate) async fn runs(
    c: &Client,
    ledger: &str,
    run_id: Option<i64>,
) -> Result<Vec<RunRecord>, StoreError> {
    let rows = query(
        c,
        "read runs",
        "SELECT run_id, kind, actor, started_at, details::text FROM runs
          WHERE ledger_id = $1 AND ($2::bigint IS NULL OR run_id = $2) ORDER BY run_id",
        &[&ledger, &run_id],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.get(1);
            Ok(RunRecord {
                run_id: r.get(0),
                kind: RunKind::parse(&kind).ok_or_else(|| corrupt("run kind", &kind))?,
                actor: r.get(2),
                started_at: r.get(3),
                details: parse_json("run details", r.get(4))?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Findings and proposals
// ---------------------------------------------------------------------------------------------

pub(crate) async fn findings(
    c: &Client,
    ledger: &str,
    open_only: bool,
) -> Result<Vec<FindingRecord>, StoreError> {
    let rows = query(
        c,
        "read finding events",
        "SELECT finding_id, run_id, at, status FROM finding_events
          WHERE ledger_id = $1 ORDER BY finding_id, event_no",
        &[&ledger],
    )
    .await?;
    let mut events: HashMap<String, Vec<FindingEvent>> = HashMap::new();
    for r in &rows {
        let status: String = r.get(3);
        events.entry(r.get(0)).or_default().push(FindingEvent {
            run_id: r.get(1),
            at: r.get(2),
            status: FindingStatus::parse(&status)
                .ok_or_else(|| corrupt("finding status", &status))?,
        });
    }
    let rows = query(
        c,
        "read findings",
        "SELECT finding_id, first_seen_at, first_seen_run, body::text FROM findings
          WHERE ledger_id = $1 ORDER BY first_seen_run, finding_id COLLATE \"C\"",
        &[&ledger],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.get(0);
        let finding: FindingInput = parse_json("finding", r.get(3))?;
        let events = events.remove(&id).unwrap_or_default();
        let status = events.last().map(|e| e.status).unwrap_or(finding.status);
        if open_only && status != FindingStatus::Open {
            continue;
        }
        out.push(FindingRecord {
            finding,
            first_seen_at: r.get(1),
            first_seen_run: r.get(2),
            status,
            events,
        });
    }
    Ok(out)
}

pub(crate) async fn proposals(
    c: &Client,
    ledger: &str,
    open_only: bool,
) -> Result<Vec<Proposal>, StoreError> {
    let rows = query(
        c,
        "read proposals",
        "SELECT p.proposal_id, p.kind, p.reason, p.proposed_by, p.proposed_at, p.entries::text,
                d.decision, d.decided_by, d.decided_at, d.run_id, d.reason
           FROM proposals p
           LEFT JOIN proposal_decisions d
             ON d.ledger_id = p.ledger_id AND d.proposal_id = p.proposal_id
          WHERE p.ledger_id = $1 AND (NOT $2 OR d.decision IS NULL)
          ORDER BY p.proposal_id",
        &[&ledger, &open_only],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: String = r.get(1);
        let decision: Option<String> = r.get(6);
        let status = match decision.as_deref() {
            None => ProposalStatus::Open,
            Some("approved") => ProposalStatus::Approved {
                by: r.get(7),
                at: r.get(8),
                run_id: r
                    .get::<_, Option<i64>>(9)
                    .ok_or_else(|| corrupt("approval run", "NULL"))?,
            },
            Some("rejected") => ProposalStatus::Rejected {
                by: r.get(7),
                at: r.get(8),
                reason: r.get(10),
            },
            Some(other) => return Err(corrupt("proposal decision", other)),
        };
        out.push(Proposal {
            id: r.get(0),
            kind: ProposalKind::parse(&kind).ok_or_else(|| corrupt("proposal kind", &kind))?,
            reason: r.get(2),
            proposed_by: r.get(3),
            proposed_at: r.get(4),
            entries: parse_json("proposal entries", r.get(5))?,
            status,
        });
    }
    Ok(out)
}

/// Σ debit − Σ credit per account straight from the postings, for checking the aggregate.
pub(crate) async fn posting_sums(
    c: &Client,
    ledger: &str,
) -> Result<BTreeMap<String, Decimal>, StoreError> {
    let rows = query(
        c,
        "sum postings",
        "SELECT a.account_key,
                sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END)
           FROM postings p
           JOIN accounts a ON a.ledger_id = p.ledger_id AND a.account_id = p.account_id
          WHERE p.ledger_id = $1 GROUP BY a.account_key",
        &[&ledger],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get::<_, Decimal>(1).normalize_to_currency()))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Period flows (reports)
// ---------------------------------------------------------------------------------------------

/// `Store::account_flows`: the `report_flows` aggregate (migration 0012, kept at COMMIT) of the
/// accounts of `kinds` over the period, known at the cut-off: per account a range of its primary
/// key, so the cost follows the accounts and days, not the month's postings. Currencies and
/// recording times are summed here; each row already splits every entry's net effect by sign.
pub(crate) async fn account_flows(
    c: &Client,
    ledger: &str,
    kinds: &[AccountKind],
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let rows = query(
        c,
        "account flows",
        "SELECT a.account_key, f.day, f.kind, f.currency, sum(f.debit), sum(f.credit)
           FROM accounts a
           JOIN report_flows f ON f.ledger_id = a.ledger_id AND f.account_id = a.account_id
                              AND f.day BETWEEN $2 AND $3
          WHERE a.ledger_id = $1
            AND (cardinality($5::text[]) = 0 OR a.kind = ANY($5::text[]))
            AND ($4::timestamptz IS NULL OR f.recorded_at <= $4)
          GROUP BY a.account_key, f.day, f.kind, f.currency
          ORDER BY a.account_key COLLATE \"C\", f.day, f.kind COLLATE \"C\"",
        &[&ledger, &from, &to, &known_at, &kinds],
    )
    .await?;
    flows_from_rows(&rows, None)
}

/// Flow rows `(account key | -, day, kind, currency, debit, credit)` summed per (account, day,
/// kind) over currencies, in the order the rows come (already (account, day, kind)).
fn flows_from_rows(
    rows: &[Row],
    account: Option<&AccountKey>,
) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
    let mut out: Vec<kasda_store::AccountFlow> = Vec::with_capacity(rows.len());
    for r in rows {
        let key = match account {
            Some(a) => a.clone(),
            None => {
                let text: String = r.get(0);
                AccountKey::parse(&text).map_err(|_| corrupt("account key", &text))?
            }
        };
        let day: NaiveDate = r.get(1);
        let kind_text: String = r.get(2);
        let kind = EntryKind::parse(&kind_text).ok_or_else(|| corrupt("entry kind", &kind_text))?;
        let cur: String = r.get(3);
        let cur = currency(&cur)?;
        let debits = at_scale(r.get::<_, Decimal>(4), cur);
        let credits = at_scale(r.get::<_, Decimal>(5), cur);
        match out.last_mut() {
            Some(f) if f.account == key && f.day == day && f.entry_kind == kind => {
                f.debits += debits;
                f.credits += credits;
            }
            _ => out.push(kasda_store::AccountFlow {
                account: key,
                day,
                entry_kind: kind,
                debits,
                credits,
            }),
        }
    }
    for f in &mut out {
        f.debits = f.debits.normalize_to_currency();
        f.credits = f.credits.normalize_to_currency();
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Open items and one account's flows (reports)
// ---------------------------------------------------------------------------------------------

async fn account_id_of(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
) -> Result<Option<i32>, StoreError> {
    let key = account.to_string();
    let rows = query(
        c,
        "account id",
        "SELECT account_id FROM accounts WHERE ledger_id = $1 AND account_key = $2",
        &[&ledger, &key],
    )
    .await?;
    Ok(rows.first().map(|r| r.get(0)))
}

/// The SQL condition that no entry booked by `as_of` and recorded by `known_at` (both
/// parameter placeholders, `known_at` a nullable timestamptz) joins the natural key `key`: one
/// probe of `entry_joins_by_key` and the joining entry's key.
fn not_joined(key: &str, as_of: &str, known_at: &str) -> String {
    format!(
        "NOT EXISTS (
                SELECT 1 FROM entry_joins j
                  JOIN entries m ON m.ledger_id = j.ledger_id AND m.seq = j.seq
                 WHERE j.ledger_id = $1 AND j.joined_key = {key}
                   AND m.booked_on <= {as_of}
                   AND ({known_at}::timestamptz IS NULL OR m.recorded_at <= {known_at})
                OFFSET 0)"
    )
}

/// The (entry kind, account kind) pairs `report_facts` (migration 0012) keeps: the facts the
/// Berita Acara lists as reconciling items. Keep in step with the migration's function.
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

/// `Store::open_items`: without a cut-off, for the facts `report_facts` keeps (migration 0012),
/// its open rows; otherwise one query over the account's postings (`postings_by_account`), each
/// fact checked for a joining entry (`entry_joins_by_key`) and a reversing entry posting to the
/// account (`entries_by_reverses`) known at the cut-off and booked by `as_of`.
pub(crate) async fn open_items(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
    kind: EntryKind,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<kasda_store::OpenItem>, StoreError> {
    let Some(id) = account_id_of(c, ledger, account).await? else {
        return Ok(Vec::new());
    };
    let (drive, range) = if known_at.is_none() && tracked_fact(kind, account.kind()) {
        (
            // Migration 0012: the facts booked by the date whose closing date (earliest joining
            // or reversing entry) is unknown or later, from `report_facts_open`; the checks
            // below then hold by construction and cost one probe each.
            "(SELECT k.seq FROM report_facts k
               WHERE k.ledger_id = $1 AND k.account_id = $2 AND k.kind = $3
                 AND k.closed_on IS NULL AND k.booked_on <= $4
              UNION ALL
              SELECT k.seq FROM report_facts k
               WHERE k.ledger_id = $1 AND k.account_id = $2 AND k.kind = $3
                 AND k.closed_on > $4 AND k.booked_on <= $4
              OFFSET 0) o
             JOIN postings p ON p.ledger_id = $1 AND p.seq = o.seq AND p.account_id = $2",
            None,
        )
    } else if kind == EntryKind::OpeningBalance {
        // Opening balances are found by their natural keys (the account's key range, the rule
        // the stores identify them by), not by walking every posting the kas account ever had.
        (
            "(SELECT k.seq FROM entries k
               WHERE k.ledger_id = $1 AND k.natural_key >= $6 AND k.natural_key < $7
                 AND k.kind = 'opening_balance'
              OFFSET 0) o
             JOIN postings p ON p.ledger_id = $1 AND p.seq = o.seq AND p.account_id = $2",
            Some(kasda_store::opening_balance_key_range(account)),
        )
    } else {
        ("postings p", None)
    };
    let (lo, hi) = range.unzip();
    let not_joined = not_joined("e.natural_key", "$4", "$5");
    let sql = format!(
        // The plan is fixed by the `OFFSET 0` fences: the account's postings by
        // `postings_by_account`, each one's entry by its key, each check by its index. Left to
        // itself the planner hashed every entry of the ledger up to the date (a sequential
        // scan) or, once the kind's selectivity was hidden, every join and entry.
        "SELECT e.seq, e.natural_key, e.booked_on, e.memo, p.side, p.amount, p.currency
           FROM {drive}
          CROSS JOIN LATERAL (
                SELECT x.seq, x.natural_key, x.booked_on, x.memo FROM entries x
                 WHERE x.ledger_id = p.ledger_id AND x.seq = p.seq
                   AND x.kind = $3 AND x.booked_on <= $4
                   AND ($5::timestamptz IS NULL OR x.recorded_at <= $5)
                OFFSET 0) e
          WHERE p.ledger_id = $1 AND p.account_id = $2
            AND ($6::text IS NULL) = ($7::text IS NULL)
            AND {not_joined}
            AND NOT EXISTS (
                SELECT 1 FROM entries r
                  JOIN postings rp ON rp.ledger_id = r.ledger_id AND rp.seq = r.seq
                                  AND rp.account_id = $2
                 WHERE r.ledger_id = $1 AND r.reverses = e.seq
                   AND r.booked_on <= $4
                   AND ($5::timestamptz IS NULL OR r.recorded_at <= $5)
                OFFSET 0)
          ORDER BY e.booked_on, e.seq, p.idx"
    );
    let rows = query(
        c,
        "open items",
        &sql,
        &[&ledger, &id, &kind.as_str(), &as_of, &known_at, &lo, &hi],
    )
    .await?;
    let mut out: Vec<kasda_store::OpenItem> = Vec::new();
    for r in &rows {
        let seq: i64 = r.get(0);
        let signed = signed_amount(r.get(4), r.get(5), r.get(6))?;
        match out.last_mut() {
            Some(item) if item.seq == seq => item.effect += signed,
            _ => out.push(kasda_store::OpenItem {
                seq,
                natural_key: r.get(1),
                booked_on: r.get(2),
                memo: r.get(3),
                effect: signed,
            }),
        }
    }
    Ok(out)
}

/// A posting's amount read back debit-positive at its currency's scale.
fn signed_amount(side: &str, amount: Decimal, cur: &str) -> Result<Decimal, StoreError> {
    let magnitude = at_scale(amount, currency(cur)?);
    match side {
        "debit" => Ok(magnitude),
        "credit" => Ok(-magnitude),
        other => Err(corrupt("posting side", other)),
    }
}

/// `Store::account_flows_of`: the account's rows of the `report_flows` aggregate (migration
/// 0012) over the period, one range of its primary key.
pub(crate) async fn account_flows_of(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<kasda_store::AccountFlow>, StoreError> {
    let Some(id) = account_id_of(c, ledger, account).await? else {
        return Ok(Vec::new());
    };
    let rows = query(
        c,
        "account flows of one account",
        "SELECT NULL::text, f.day, f.kind, f.currency, sum(f.debit), sum(f.credit)
           FROM report_flows f
          WHERE f.ledger_id = $1 AND f.account_id = $2 AND f.day BETWEEN $3 AND $4
            AND ($5::timestamptz IS NULL OR f.recorded_at <= $5)
          GROUP BY f.day, f.kind, f.currency
          ORDER BY f.day, f.kind COLLATE \"C\"",
        &[&ledger, &id, &from, &to, &known_at],
    )
    .await?;
    flows_from_rows(&rows, Some(account))
}

/// `Store::joining_entries`: the joins by key (`entry_joins_by_key`) with each joining entry's
/// date and recording time; no postings read.
pub(crate) async fn joining_entries(
    c: &Client,
    ledger: &str,
    keys: &[String],
) -> Result<Vec<kasda_store::JoiningEntry>, StoreError> {
    keys_limit(keys.len())?;
    let rows = query(
        c,
        "read joining entries",
        "SELECT DISTINCT j.joined_key COLLATE \"C\" AS k, j.seq, e.booked_on, e.recorded_at
           FROM entry_joins j
           JOIN entries e ON e.ledger_id = j.ledger_id AND e.seq = j.seq
          WHERE j.ledger_id = $1 AND j.joined_key = ANY($2)
          ORDER BY k, j.seq",
        &[&ledger, &keys],
    )
    .await?;
    Ok(rows
        .iter()
        .map(|r| kasda_store::JoiningEntry {
            key: r.get(0),
            seq: r.get(1),
            booked_on: r.get(2),
            recorded_at: r.get(3),
        })
        .collect())
}

/// `Store::open_documents`: the kind's documents up to the date (`documents_by_kind_date`),
/// each checked for a joining entry by `entry_joins_by_key`; only the open ones are decoded.
pub(crate) async fn open_documents(
    c: &Client,
    ledger: &str,
    kind: DocKind,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Result<Vec<StoredDocument>, StoreError> {
    let not_joined = not_joined("d.natural_key", "$3", "$4");
    let sql = format!(
        "SELECT {DOC_COLUMNS} FROM documents d
          WHERE d.ledger_id = $1 AND d.kind = $2 AND d.doc_date <= $3
            AND d.entry_seq IS NOT NULL
            AND ($4::timestamptz IS NULL OR d.recorded_at <= $4)
            AND {not_joined}
          {DOC_ORDER}"
    );
    let rows = query(
        c,
        "read open documents",
        &sql,
        &[&ledger, &kind.as_str(), &as_of, &known_at],
    )
    .await?;
    doc_rows(&rows)
}

/// `Store::book_lines`: the account's postings in the period's seq span (`postings_by_account`),
/// each entry by its key; the entry's own joins (primary key), the joins of the entries known at
/// the cut-off that clear a statement line (`entry_joins_by_key`, then the primary key) and the
/// kode accounts among its postings as arrays from correlated subqueries. No entry is built
/// whole and nothing goes back and forth per line.
pub(crate) async fn book_lines(
    c: &Client,
    ledger: &str,
    account: &AccountKey,
    from: NaiveDate,
    to: NaiveDate,
    known_at: Option<DateTime<Utc>>,
    kode_kinds: &[AccountKind],
) -> Result<Vec<kasda_store::BookLine>, StoreError> {
    let Some(id) = account_id_of(c, ledger, account).await? else {
        return Ok(Vec::new());
    };
    let Some((lo, hi)) = seq_span(c, ledger, from, to).await? else {
        return Ok(Vec::new());
    };
    // The ledger's accounts of the kode kinds, once: matching each line's postings to these ids
    // keeps the per-line subquery on the postings' primary key (a join to `accounts` by kind
    // was a hash join over every account per line, 0.13 ms each).
    let kinds: Vec<&str> = kode_kinds.iter().map(|k| k.as_str()).collect();
    let kode_ids: Vec<i32> = query(
        c,
        "kode accounts",
        "SELECT account_id FROM accounts WHERE ledger_id = $1 AND kind = ANY($2)",
        &[&ledger, &kinds],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let rows = query(
        c,
        "book lines",
        // A plain join: an `OFFSET 0` fence around the entry (as in `open_items`) made the
        // planner memoize each entry probe, 2.4-2.9 s for 8,148 lines against 0.83-0.87 s.
        "SELECT e.seq, e.kind, e.booked_on, e.natural_key, e.memo, p.side, p.amount, p.currency,
                ARRAY(SELECT j.joined_key FROM entry_joins j
                       WHERE j.ledger_id = $1 AND j.seq = e.seq ORDER BY j.idx),
                CASE WHEN e.kind = 'statement_line' THEN
                  ARRAY(SELECT c.joined_key FROM entry_joins c
                         WHERE c.ledger_id = $1 AND c.seq IN (
                               SELECT j.seq FROM entry_joins j
                                 JOIN entries m ON m.ledger_id = j.ledger_id AND m.seq = j.seq
                                WHERE j.ledger_id = $1 AND j.joined_key = e.natural_key
                                  AND ($7::timestamptz IS NULL OR m.recorded_at <= $7))
                         ORDER BY c.seq, c.idx)
                END,
                ARRAY(SELECT (SELECT a.qualifier FROM accounts a
                                WHERE a.ledger_id = q.ledger_id AND a.account_id = q.account_id)
                        FROM postings q
                       WHERE q.ledger_id = $1 AND q.seq = e.seq AND q.account_id = ANY($8)
                       ORDER BY q.idx)
           FROM postings p
           JOIN entries e ON e.ledger_id = p.ledger_id AND e.seq = p.seq
                AND e.booked_on BETWEEN $3 AND $4
                AND ($7::timestamptz IS NULL OR e.recorded_at <= $7)
          WHERE p.ledger_id = $1 AND p.account_id = $2 AND p.seq BETWEEN $5 AND $6
          ORDER BY e.booked_on, e.seq, p.idx",
        &[&ledger, &id, &from, &to, &lo, &hi, &known_at, &kode_ids],
    )
    .await?;
    let mut out: Vec<kasda_store::BookLine> = Vec::new();
    for r in &rows {
        let seq: i64 = r.get(0);
        let signed = signed_amount(r.get(5), r.get(6), r.get(7))?;
        if let Some(line) = out.last_mut().filter(|l| l.seq == seq) {
            // A second posting of the entry to the account.
            line.effect = line
                .effect
                .checked_add(signed)
                .ok_or_else(|| corrupt("effect of entry", seq))?;
            continue;
        }
        let kind: String = r.get(1);
        let mut documents: Vec<String> = r.get(8);
        documents.extend(r.get::<_, Option<Vec<String>>>(9).unwrap_or_default());
        out.push(kasda_store::BookLine {
            seq,
            kind: EntryKind::parse(&kind).ok_or_else(|| corrupt("entry kind", &kind))?,
            booked_on: r.get(2),
            natural_key: r.get(3),
            memo: r.get(4),
            effect: signed,
            kode: r.get(10),
            documents,
        });
    }
    Ok(out)
}
