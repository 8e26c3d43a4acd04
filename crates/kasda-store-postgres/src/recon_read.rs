//! Reads for reconciliation: the ledger's match entries without the rest of the ledger, and the
//! period's statement lines and documents handed out row by row as they arrive.

use chrono::NaiveDate;
use futures_util::{pin_mut, TryStreamExt};
use kasda_store::{DocKind, StoreError, StoredDocument, StoredLine, MAX_PAGE};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use crate::map_err;
use crate::read::{doc_row, line_row, DOC_COLUMNS, LINE_COLUMNS, LINE_ORDER};

/// `(seq, natural key)` of match entries (kind `match`, or a natural key starting `match:`)
/// with `seq > after_seq`, in seq order, at most `limit` (clamped to [`MAX_PAGE`]). Only two
/// columns of the match entries cross the wire; no posting is read.
pub(crate) async fn match_entry_keys(
    c: &Client,
    ledger: &str,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<(i64, String)>, StoreError> {
    let limit = limit.min(MAX_PAGE) as i64;
    let rows = c
        .query(
            "SELECT seq, natural_key FROM entries
              WHERE ledger_id = $1 AND seq > $2
                AND (kind = 'match' OR left(natural_key, 6) = 'match:')
              ORDER BY seq LIMIT $3",
            &[&ledger, &after_seq, &limit],
        )
        .await
        .map_err(|e| map_err("read match entries", e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Runs `sql` and hands each row to `each` as it arrives. tokio-postgres passes a query's rows
/// from the connection to the caller through a channel of one message and stops reading the
/// socket while it is full, so only the rows in flight are held, never the whole answer.
async fn each_row(
    c: &Client,
    what: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let rows = c
        .query_raw(sql, params.iter().copied())
        .await
        .map_err(|e| map_err(what, e))?;
    pin_mut!(rows);
    while let Some(row) = rows.try_next().await.map_err(|e| map_err(what, e))? {
        each(&row)?;
    }
    Ok(())
}

/// `Store::each_statement_line`: the query of `Store::statement_lines`, streamed.
pub(crate) async fn each_statement_line(
    c: &Client,
    ledger: &str,
    account: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    each: &mut dyn FnMut(StoredLine) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM statement_lines
          WHERE ledger_id = $1 AND ($2::text IS NULL OR account = $2)
            AND booking_date BETWEEN $3 AND $4 {LINE_ORDER}"
    );
    each_row(
        c,
        "read statement lines",
        &sql,
        &[&ledger, &account, &from, &to],
        &mut |r| each(line_row(r)?),
    )
    .await
}

/// `Store::each_document`: the documents of one kind dated within the bounds, by (date, natural
/// key), streamed.
pub(crate) async fn each_document(
    c: &Client,
    ledger: &str,
    kind: DocKind,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    each: &mut dyn FnMut(StoredDocument) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT {DOC_COLUMNS} FROM documents
          WHERE ledger_id = $1 AND kind = $2
            AND ($3::date IS NULL OR doc_date >= $3) AND ($4::date IS NULL OR doc_date <= $4)
          ORDER BY doc_date, natural_key COLLATE \"C\""
    );
    each_row(
        c,
        "read documents",
        &sql,
        &[&ledger, &kind.as_str(), &from, &to],
        &mut |r| each(doc_row(r)?),
    )
    .await
}
