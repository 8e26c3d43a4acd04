//! Reads for reconciliation: the ledger's match entries without the rest of the ledger.

use kasda_store::{StoreError, MAX_PAGE};
use tokio_postgres::Client;

use crate::map_err;

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
