//! `verify` streamed: the chain is read with binary `COPY … TO STDOUT` in seq ranges inside one
//! read-only snapshot, and recomputed by [`ChainVerifier`] on a second thread while the next
//! range streams in. Same answers as the trait's default (which pages through
//! [`kasda_store::Store::entries`]), at the speed of a bare COPY plus hashing.

use std::collections::HashMap;
use std::sync::mpsc;

use futures_util::{pin_mut, TryStreamExt};
use kasda_core::ledger::{
    AccountKey, ChainVerifier, EntryKind, JournalEntry, Posting, StoredEntry, VerifyReport,
};
use kasda_core::money::{Currency, Direction};
use kasda_store::{validate_ledger_code, StoreError};
use rust_decimal::Decimal;
use tokio_postgres::binary_copy::BinaryCopyOutStream;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

use crate::map_err;
use crate::write::ENTRIES_TYPES;

/// Entries per COPY range: bounds memory (one range being hashed, one streaming, one queued).
const RANGE: i64 = 50_000;

fn corrupt(what: &str, found: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: unexpected stored value {found}"))
}

/// One posting as stored, before it joins its entry.
struct RawPosting {
    seq: i64,
    posting: Posting,
}

/// Recomputes `ledger`'s chain. The caller has checked that the ledger exists.
pub(crate) async fn verify(client: &mut Client, ledger: &str) -> Result<VerifyReport, StoreError> {
    verify_in_ranges(client, ledger, RANGE).await
}

async fn verify_in_ranges(
    client: &mut Client,
    ledger: &str,
    range: i64,
) -> Result<VerifyReport, StoreError> {
    // The code goes into COPY statements as a literal (COPY takes no parameters); stored codes
    // always pass this check.
    validate_ledger_code(ledger)?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| map_err("verify: begin", e))?;
    let accounts: HashMap<i32, AccountKey> = {
        let rows = tx
            .query(
                "SELECT account_id, account_key FROM accounts WHERE ledger_id = $1",
                &[&ledger],
            )
            .await
            .map_err(|e| map_err("verify: read accounts", e))?;
        let mut m = HashMap::with_capacity(rows.len());
        for r in rows {
            let key: String = r.get(1);
            let parsed = AccountKey::parse(&key).map_err(|_| corrupt("account key", &key))?;
            m.insert(r.get::<_, i32>(0), parsed);
        }
        m
    };
    let bounds = tx
        .query_one(
            "SELECT min(seq), max(seq) FROM entries WHERE ledger_id = $1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("verify: read chain bounds", e))?;
    let (lo, hi): (Option<i64>, Option<i64>) = (bounds.get(0), bounds.get(1));

    let (send, receive) = mpsc::sync_channel::<Vec<StoredEntry>>(1);
    let name = ledger.to_string();
    let hasher = std::thread::spawn(move || {
        let mut verifier = ChainVerifier::new(&name);
        for chunk in receive {
            for e in &chunk {
                verifier.push(e);
            }
        }
        verifier.finish()
    });

    let streamed: Result<(), StoreError> = async {
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(());
        };
        let mut from = lo;
        while from <= hi {
            let to = from.saturating_add(range.max(1) - 1).min(hi);
            let chunk = read_range(&tx, ledger, &accounts, from, to).await?;
            if send.send(chunk).is_err() {
                break;
            }
            from = to.saturating_add(1);
        }
        Ok(())
    }
    .await;
    drop(send);
    let report = hasher
        .join()
        .map_err(|_| StoreError::backend("verify", "the hashing thread panicked"))?;
    streamed?;
    tx.commit()
        .await
        .map_err(|e| map_err("verify: end snapshot", e))?;
    Ok(report)
}

/// Entries `from..=to` with their postings, in seq order.
async fn read_range(
    tx: &tokio_postgres::Transaction<'_>,
    ledger: &str,
    accounts: &HashMap<i32, AccountKey>,
    from: i64,
    to: i64,
) -> Result<Vec<StoredEntry>, StoreError> {
    let fail = |e| map_err("verify: read postings", e);
    let postings = {
        let sql = format!(
            "COPY (SELECT seq, account_id, side, amount, currency FROM postings
                    WHERE ledger_id = '{ledger}' AND seq BETWEEN {from} AND {to}
                    ORDER BY seq, idx) TO STDOUT (FORMAT binary)"
        );
        let stream = tx.copy_out(sql.as_str()).await.map_err(fail)?;
        let rows = BinaryCopyOutStream::new(
            stream,
            &[
                Type::INT8,
                Type::INT4,
                Type::TEXT,
                Type::NUMERIC,
                Type::BPCHAR,
            ],
        );
        pin_mut!(rows);
        let mut out = Vec::new();
        while let Some(r) = rows.try_next().await.map_err(fail)? {
            let seq: i64 = r.try_get(0).map_err(fail)?;
            let account_id: i32 = r.try_get(1).map_err(fail)?;
            let side: &str = r.try_get(2).map_err(fail)?;
            let amount: Decimal = r.try_get(3).map_err(fail)?;
            let cur: &str = r.try_get(4).map_err(fail)?;
            let currency = Currency::parse(cur.trim()).map_err(|_| corrupt("currency", cur))?;
            let account = accounts
                .get(&account_id)
                .cloned()
                .ok_or_else(|| corrupt("posting account", account_id))?;
            let mut amount = amount;
            amount.rescale(currency.scale());
            out.push(RawPosting {
                seq,
                posting: Posting {
                    account,
                    side: match side {
                        "debit" => Direction::Debit,
                        "credit" => Direction::Credit,
                        other => return Err(corrupt("posting side", other)),
                    },
                    amount,
                    currency,
                },
            });
        }
        out
    };

    let fail = |e| map_err("verify: read entries", e);
    let sql = format!(
        "COPY (SELECT seq, kind, booked_on, value_date, natural_key, position, memo, reverses,
                      source_sha256, run_id, recorded_at, prev_hash, hash
                 FROM entries WHERE ledger_id = '{ledger}' AND seq BETWEEN {from} AND {to}
                ORDER BY seq) TO STDOUT (FORMAT binary)"
    );
    let stream = tx.copy_out(sql.as_str()).await.map_err(fail)?;
    // The entries' columns as an import writes them, without the ledger.
    let rows = BinaryCopyOutStream::new(stream, &ENTRIES_TYPES[1..]);
    pin_mut!(rows);
    let mut out: Vec<StoredEntry> = Vec::with_capacity((to - from + 1).min(RANGE) as usize);
    let mut postings = postings.into_iter().peekable();
    while let Some(r) = rows.try_next().await.map_err(fail)? {
        let seq: i64 = r.try_get(0).map_err(fail)?;
        let kind: &str = r.try_get(1).map_err(fail)?;
        // Postings of entries that no longer exist belong to no entry; skip them.
        while postings.next_if(|p| p.seq < seq).is_some() {}
        let mut own = Vec::with_capacity(2);
        while let Some(p) = postings.next_if(|p| p.seq == seq) {
            own.push(p.posting);
        }
        out.push(StoredEntry {
            seq,
            entry: JournalEntry {
                kind: EntryKind::parse(kind).ok_or_else(|| corrupt("entry kind", kind))?,
                booked_on: r.try_get(2).map_err(fail)?,
                value_date: r.try_get(3).map_err(fail)?,
                natural_key: r.try_get(4).map_err(fail)?,
                position: r.try_get(5).map_err(fail)?,
                memo: r.try_get(6).map_err(fail)?,
                reverses: r.try_get(7).map_err(fail)?,
                postings: own,
            },
            source_sha256: r
                .try_get::<Option<&[u8]>>(8)
                .map_err(fail)?
                .map(hex::encode),
            run_id: r.try_get(9).map_err(fail)?,
            recorded_at: r.try_get(10).map_err(fail)?,
            prev_hash: hex::encode(r.try_get::<&[u8]>(11).map_err(fail)?),
            hash: hex::encode(r.try_get::<&[u8]>(12).map_err(fail)?),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use kasda_core::ledger::ChainVerifier;
    use kasda_store::{LedgerInfo, Store};

    use crate::{bench, testing, PgStore};

    const LEDGER: &str = "kota-verify";

    /// What the trait's default `verify` answers: pages through `Store::entries`.
    fn paged(s: &mut PgStore) -> kasda_core::ledger::VerifyReport {
        let mut v = ChainVerifier::new(LEDGER);
        let mut after = 0;
        loop {
            let page = s.entries(LEDGER, after, 7).expect("entries");
            let Some(last) = page.last() else { break };
            after = last.seq;
            page.iter().for_each(|e| v.push(e));
        }
        v.finish()
    }

    fn streamed(s: &mut PgStore, range: i64) -> kasda_core::ledger::VerifyReport {
        let PgStore { client, rt, .. } = s;
        rt.block_on(super::verify_in_ranges(client, LEDGER, range))
            .expect("verify")
    }

    #[test]
    fn ranges_agree_with_paging_clean_and_tampered() {
        let mut s = testing::fresh_store();
        s.migrate().expect("migrate");
        s.ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Verify".into(),
        })
        .expect("ledger");
        s.import_file(LEDGER, bench::synthetic_batch("v", "0011223344", 40))
            .expect("import");
        let clean = paged(&mut s);
        assert!(clean.first_bad.is_none(), "{clean:?}");
        assert_eq!(clean.entries, 40);
        for range in [1, 3, 7, 39, 40, 1_000] {
            assert_eq!(streamed(&mut s, range), clean, "range {range}");
        }
        // Entry 21 gone, and a posting of entry 30 moved to another amount.
        s.with_triggers_disabled(
            &["entries", "postings"],
            "WITH p AS (DELETE FROM postings WHERE ledger_id = $1 AND seq = 21)
             DELETE FROM entries WHERE ledger_id = $1 AND seq = 21",
            &[&LEDGER],
        )
        .expect("tamper");
        let tampered = paged(&mut s);
        assert_eq!(tampered.first_bad.as_ref().map(|f| f.seq), Some(22));
        assert_eq!(tampered.entries, 39);
        for range in [1, 3, 7, 20, 21, 1_000] {
            assert_eq!(streamed(&mut s, range), tampered, "range {range}");
        }
    }
}
