//! Reads for reconciliation: the ledger's match entries without the rest of the ledger.

use rusqlite::{params, Transaction};

use crate::error::SqliteError;

/// `(seq, natural key)` of match entries (kind `match`, or a natural key starting `match:`)
/// with `seq > after_seq`, in seq order, at most `limit`. One walk of the entries' primary key
/// in SQLite: no other entry and no posting is decoded.
pub(crate) fn match_entry_keys(
    tx: &Transaction<'_>,
    ledger: &str,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<(i64, String)>, SqliteError> {
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
