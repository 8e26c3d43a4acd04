//! Reads for reconciliation: the ledger's match entries without the rest of the ledger, and the
//! period's statement lines and documents handed out row by row as SQLite steps through them.

use chrono::NaiveDate;
use kasda_core::money::Direction;
use kasda_core::statement::EntryStatus;
use kasda_store::{DocKind, ReconLine, ReconReceipt, StoreError, StoredDocument, StoredLine};
use rusqlite::{params, Connection, Row, Transaction};
use rust_decimal::Decimal;

use crate::error::SqliteError;
use crate::read::{
    corrupt, document_from_row, line_from_row, parse_currency, parse_date, parse_json, DOC_COLUMNS,
    LINE_COLUMNS, LINE_ORDER, NO_DATE_BOUND, NO_DATE_START,
};
use crate::writer::{date_text, from_minor};

/// SQLite's page cache (KiB) while reconciliation streams a period's lines and documents or
/// appends its matches. The store's default (256 MiB, for bulk imports that should stay in memory
/// until commit) would be filled by a month's rows read once, beside the engine's own facts;
/// a streamed read needs only the pages it is on, and the append writes mostly at the ends of
/// its B-trees.
pub(crate) const RECON_CACHE_KIB: i64 = 16_384;

/// Holds the connection's page cache at `kib` until dropped, then puts the earlier size back
/// (SQLite frees the pages above a lowered limit at once).
pub(crate) struct CacheLimit<'c> {
    conn: &'c Connection,
    before: Option<i64>,
}

impl<'c> CacheLimit<'c> {
    pub(crate) fn new(conn: &'c Connection, kib: i64) -> Result<Self, SqliteError> {
        let before: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        // A negative setting counts KiB: one at or under the limit is kept. A positive one
        // counts pages (not set by this store) and is replaced for the while.
        let limit = -kib;
        if before < 0 && before >= limit {
            return Ok(CacheLimit { conn, before: None });
        }
        conn.pragma_update(None, "cache_size", limit)?;
        Ok(CacheLimit {
            conn,
            before: Some(before),
        })
    }
}

impl Drop for CacheLimit<'_> {
    fn drop(&mut self) {
        if let Some(before) = self.before {
            // Only the size of a cache: failing to widen it again costs speed, never data.
            let _ = self.conn.pragma_update(None, "cache_size", before);
        }
    }
}

/// `(seq, natural key)` of match entries (kind `match`, or a natural key starting `match:`)
/// with `seq > after_seq`, in seq order, at most `limit`. One walk of the entries' primary key
/// in SQLite: no other entry and no posting is decoded. The walk reads every entry page of
/// the ledger once, so it runs under the reconciliation cache limit: with the store's 256 MiB
/// those pages stayed cached beside the engine's facts for the whole run.
pub(crate) fn match_entry_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<(i64, String)>, SqliteError> {
    let _cache = CacheLimit::new(tx, RECON_CACHE_KIB)?;
    let mut stmt = tx.prepare_cached(
        "SELECT seq, natural_key FROM entries
          WHERE ledger = ?1 AND seq > ?2
            AND (kind = 'match' OR substr(natural_key, 1, 6) = 'match:')
          ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![ledger, after_seq, limit as i64], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

/// `Store::each_statement_line`: the lines booked in `from..=to` in the trait's order, each
/// decoded and handed to `each` as SQLite steps to it. The date index gives (booking date,
/// account) order; SQLite sorts only the rest of the key within one account's day, so the
/// period's lines are never all in memory, here or in SQLite's sorter.
pub(crate) fn each_statement_line(
    tx: &Transaction<'_>,
    ledger: &str,
    account: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    each: &mut dyn FnMut(StoredLine) -> Result<(), StoreError>,
) -> Result<(), SqliteError> {
    let _cache = CacheLimit::new(tx, RECON_CACHE_KIB)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS} FROM statement_lines
         WHERE ledger = ?1 AND booking_date BETWEEN ?2 AND ?3 AND (?4 IS NULL OR account = ?4) {LINE_ORDER}"
    ))?;
    let mut rows = stmt.query(params![ledger, date_text(from), date_text(to), account])?;
    while let Some(r) = rows.next()? {
        each(line_from_row(ledger, r)?)?;
    }
    Ok(())
}

/// `Store::each_document`: the documents of one kind dated within the bounds, by (date, natural
/// key) — the trait's document order within a kind — handed to `each` one by one. The
/// (kind, date) index gives the date order; SQLite sorts only one day's documents by key.
pub(crate) fn each_document(
    tx: &Transaction<'_>,
    ledger: &str,
    kind: DocKind,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    each: &mut dyn FnMut(StoredDocument) -> Result<(), StoreError>,
) -> Result<(), SqliteError> {
    let _cache = CacheLimit::new(tx, RECON_CACHE_KIB)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {DOC_COLUMNS} FROM documents INDEXED BY documents_by_kind_date
          WHERE ledger = ?1 AND kind = ?2 AND date BETWEEN ?3 AND ?4
          ORDER BY date, natural_key"
    ))?;
    let from = from.map_or_else(|| NO_DATE_START.to_string(), date_text);
    let to = to.map_or_else(|| NO_DATE_BOUND.to_string(), date_text);
    let mut rows = stmt.query(params![ledger, kind.as_str(), from, to])?;
    while let Some(r) = rows.next()? {
        each(document_from_row(ledger, r)?)?;
    }
    Ok(())
}

/// What [`each_recon_line`] reads of a line's body: the bank reference, the counterparty and an
/// amount written at another scale than its currency's. The body's other members (the
/// references `text` repeats, booking time, transaction code, balance) are skipped unread.
#[derive(serde::Deserialize)]
struct ReconLineBody {
    #[serde(default)]
    amount: Option<Decimal>,
    #[serde(default)]
    bank_ref: Option<String>,
    #[serde(default)]
    counterparty: ReconParty,
}

#[derive(Default, serde::Deserialize)]
struct ReconParty {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    iban: Option<String>,
    #[serde(default)]
    account: Option<String>,
}

/// The columns [`recon_line`] reads, in its order.
const RECON_LINE_COLUMNS: &str = "natural_key, account, file_sha256, statement_idx, entry_index,
     booking_date, value_date, amount, currency, direction, status, reversal, text, body";

/// A line as reconciliation reads it from a row of [`RECON_LINE_COLUMNS`], handed to `each`
/// with its account and file lent from the row.
fn recon_line(
    ledger: &str,
    r: &Row<'_>,
    each: &mut dyn FnMut(ReconLine<'_>) -> Result<(), StoreError>,
) -> Result<(), SqliteError> {
    const T: &str = "statement_lines";
    let key: String = r.get(0)?;
    let text = |i: usize, column: &'static str| -> Result<&str, SqliteError> {
        let v = r.get_ref(i)?;
        v.as_str().map_err(|_| {
            corrupt(
                T,
                ledger,
                &key,
                column,
                "text",
                format!("{:?}", v.data_type()),
            )
        })
    };
    let body: ReconLineBody = parse_json(T, ledger, &key, "body", text(13, "body")?)?;
    let currency = parse_currency(T, ledger, &key, text(8, "currency")?)?;
    let direction = match r.get_ref(9)?.as_str_or_null() {
        Ok(Some("credit")) => Direction::Credit,
        Ok(Some("debit")) => Direction::Debit,
        other => {
            let found = format!("{:?}", other.ok().flatten());
            return Err(corrupt(
                T,
                ledger,
                &key,
                "direction",
                "credit or debit",
                found,
            ));
        }
    };
    let status = match text(10, "status")? {
        "booked" => EntryStatus::Booked,
        "pending" => EntryStatus::Pending,
        "info" => EntryStatus::Info,
        other => {
            let expected = "booked, pending or info";
            return Err(corrupt(T, ledger, &key, "status", expected, other));
        }
    };
    let booking_date = parse_date(T, ledger, &key, "booking_date", text(5, "booking_date")?)?;
    let value_date = match r.get_ref(6)?.as_str_or_null() {
        Ok(Some(d)) => Some(parse_date(T, ledger, &key, "value_date", d)?),
        Ok(None) => None,
        Err(_) => {
            return Err(corrupt(
                T,
                ledger,
                &key,
                "value_date",
                "text",
                "another type",
            ))
        }
    };
    let amount = match body.amount {
        Some(a) => a,
        None => from_minor(r.get(7)?, currency),
    };
    let party = body.counterparty;
    let account = text(1, "account")?;
    let file_sha256 = text(2, "file_sha256")?;
    let line = ReconLine {
        account,
        file_sha256,
        statement_index: r.get(3)?,
        index: r.get(4)?,
        booking_date,
        value_date,
        amount,
        direction,
        status,
        reversal: r.get(11)?,
        bank_ref: body.bank_ref,
        counterparty: party.account.or(party.iban),
        counterparty_name: party.name,
        text: r.get(12)?,
        natural_key: key,
    };
    Ok(each(line)?)
}

/// `Store::each_recon_line`: the lines of `each_statement_line` (every account), only the
/// columns reconciliation uses, in the same order, under the same cache limit. No file hash,
/// account or unused reference is copied out of the row.
pub(crate) fn each_recon_line(
    tx: &Transaction<'_>,
    ledger: &str,
    from: NaiveDate,
    to: NaiveDate,
    each: &mut dyn FnMut(ReconLine<'_>) -> Result<(), StoreError>,
) -> Result<(), SqliteError> {
    let _cache = CacheLimit::new(tx, RECON_CACHE_KIB)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {RECON_LINE_COLUMNS} FROM statement_lines
         WHERE ledger = ?1 AND booking_date BETWEEN ?2 AND ?3 {LINE_ORDER}"
    ))?;
    let mut rows = stmt.query(params![ledger, date_text(from), date_text(to)])?;
    while let Some(r) = rows.next()? {
        recon_line(ledger, r, each)?;
    }
    Ok(())
}

/// `Store::each_recon_receipt`: the receipts of `each_document`, in the same order, each body
/// decoded straight into [`ReconReceipt`] — no tagged [`kasda_core::document::Document`] is
/// buffered and the fields reconciliation never reads are skipped.
pub(crate) fn each_recon_receipt(
    tx: &Transaction<'_>,
    ledger: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    each: &mut dyn FnMut(String, ReconReceipt) -> Result<(), StoreError>,
) -> Result<(), SqliteError> {
    let _cache = CacheLimit::new(tx, RECON_CACHE_KIB)?;
    let mut stmt = tx.prepare_cached(
        "SELECT natural_key, body FROM documents INDEXED BY documents_by_kind_date
          WHERE ledger = ?1 AND kind = 'receipt' AND date BETWEEN ?2 AND ?3
          ORDER BY date, natural_key",
    )?;
    let from = from.map_or_else(|| NO_DATE_START.to_string(), date_text);
    let to = to.map_or_else(|| NO_DATE_BOUND.to_string(), date_text);
    let mut rows = stmt.query(params![ledger, from, to])?;
    while let Some(r) = rows.next()? {
        let key: String = r.get(0)?;
        let body = r.get_ref(1)?;
        let body = body.as_str().map_err(|_| {
            corrupt(
                "documents",
                ledger,
                &key,
                "body",
                "text",
                format!("{:?}", body.data_type()),
            )
        })?;
        let receipt: ReconReceipt = parse_json("documents", ledger, &key, "body", body)?;
        each(key, receipt)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_size(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "cache_size", |r| r.get(0))
            .expect("read cache_size")
    }

    #[test]
    fn cache_limit_holds_the_smaller_size_and_puts_the_old_one_back() {
        let conn = Connection::open_in_memory().expect("open");
        conn.pragma_update(None, "cache_size", -262_144)
            .expect("set cache_size");
        {
            let _limit = CacheLimit::new(&conn, RECON_CACHE_KIB).expect("limit");
            assert_eq!(cache_size(&conn), -RECON_CACHE_KIB);
            {
                // Nested (a read inside the append's transaction): nothing to widen back.
                let _inner = CacheLimit::new(&conn, RECON_CACHE_KIB).expect("inner limit");
                assert_eq!(cache_size(&conn), -RECON_CACHE_KIB);
            }
            assert_eq!(cache_size(&conn), -RECON_CACHE_KIB);
        }
        assert_eq!(cache_size(&conn), -262_144);

        // A cache already smaller than the limit is left as it is.
        conn.pragma_update(None, "cache_size", -1_024)
            .expect("set cache_size");
        {
            let _limit = CacheLimit::new(&conn, RECON_CACHE_KIB).expect("limit");
            assert_eq!(cache_size(&conn), -1_024);
        }
        assert_eq!(cache_size(&conn), -1_024);

        // A size in pages is replaced by the limit in KiB and comes back in pages.
        conn.pragma_update(None, "cache_size", 100_000)
            .expect("set cache_size");
        {
            let _limit = CacheLimit::new(&conn, RECON_CACHE_KIB).expect("limit");
            assert_eq!(cache_size(&conn), -RECON_CACHE_KIB);
        }
        assert_eq!(cache_size(&conn), 100_000);
    }
}
