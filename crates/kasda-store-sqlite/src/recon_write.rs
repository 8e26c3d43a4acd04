//! Appending derived entries as they are made (`Store::append_entries_from`, which
//! reconciliation uses for its matches), and `Store::append_entries` through the same path: one
//! run, one chain writer, each entry validated and written when it is handed over.

use kasda_store::{
    limit_check, AppendOutcome, NewEntry, RunInfo, StoreError, MAX_ENTRIES_PER_APPEND,
};
use rusqlite::Transaction;

use crate::error::SqliteError;
use crate::recon_read::{CacheLimit, RECON_CACHE_KIB};
use crate::writer::{Appended, ChainWriter};
use crate::{insert_run, ledger_stamp, next_run_id, require_ledger};

/// What [`append_each`]'s producer hands each entry to.
pub(crate) type WriteEntry<'w> = &'w mut dyn FnMut(&NewEntry) -> Result<(), SqliteError>;

/// Appends the entries `fill` hands to its sink, in order, as one run inside `tx`, each with its
/// joins. At most [`MAX_ENTRIES_PER_APPEND`]; an error from `fill` or the sink leaves the run
/// unfinished and the caller's transaction rolls it back.
pub(crate) fn append_each(
    tx: &Transaction<'_>,
    ledger: &str,
    run: &RunInfo,
    fill: &mut dyn FnMut(WriteEntry<'_>) -> Result<(), SqliteError>,
) -> Result<AppendOutcome, SqliteError> {
    require_ledger(tx, ledger)?;
    let stamp = ledger_stamp(tx, ledger)?;
    let run_id = next_run_id(tx, ledger)?;
    let mut w = ChainWriter::new(tx, ledger, run_id, stamp)?;
    let mut out = AppendOutcome {
        run_id,
        ..AppendOutcome::default()
    };
    let mut count = 0usize;
    fill(&mut |n: &NewEntry| {
        count += 1;
        limit_check("entries in one append", count, MAX_ENTRIES_PER_APPEND)?;
        match w.append(&n.entry, None)? {
            Appended::New(seq) => {
                w.insert_joins(seq, &n.joins)?;
                out.appended.push(seq);
            }
            Appended::Existing(_) => out.duplicates.push(n.entry.natural_key.clone()),
        }
        Ok(())
    })?;
    w.finish()?;
    insert_run(tx, ledger, run_id, run, stamp)?;
    Ok(out)
}

/// `Store::append_entries_from` inside `tx`: the caller's producer hands owned entries to a
/// sink that writes each at once. A write error inside the sink is kept as it is (so a busy
/// database still reads as locked) and returned after the producer gave up. The page cache is
/// held at [`RECON_CACHE_KIB`] meanwhile: the producer (reconciliation) holds a period's facts
/// beside it, and the entries go mostly to the ends of their B-trees, so pages spilled to the
/// WAL before commit are seldom written twice.
pub(crate) fn append_from(
    tx: &Transaction<'_>,
    ledger: &str,
    run: &RunInfo,
    fill: &mut dyn FnMut(kasda_store::EntrySink<'_>) -> Result<(), StoreError>,
) -> Result<AppendOutcome, SqliteError> {
    let _cache = CacheLimit::new(tx, RECON_CACHE_KIB)?;
    append_each(tx, ledger, run, &mut |write| {
        let mut failed: Option<SqliteError> = None;
        let produced = fill(&mut |n: NewEntry| {
            write(&n).map_err(|e| {
                let shown = StoreError::backend("append entry", &e);
                failed = Some(e);
                shown
            })
        });
        match (failed, produced) {
            (Some(e), _) => Err(e),
            (None, r) => r.map_err(SqliteError::from),
        }
    })
}
