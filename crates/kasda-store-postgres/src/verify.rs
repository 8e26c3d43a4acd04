//! `verify` streamed: the chain is read with binary `COPY … TO STDOUT` in seq ranges inside one
//! read-only snapshot, and checked on a second thread while the next range streams in.
//!
//! Two passes share that shape. The fast pass ([`verify_fast`]) reads only what the chain
//! covers (not an entry's run or recording time) and checks each entry straight from the
//! copied rows: its canonical encoding is written into one reused buffer, its hash compared as
//! 32 bytes, with no `StoredEntry`, account key, string or hex text per entry. It answers only
//! "the whole chain holds"; at the first thing it does not accept (a changed or missing entry,
//! an entry that is no longer valid, a value it cannot read) the exact pass
//! ([`verify_in_ranges`]) runs instead and names the first altered entry with
//! [`ChainVerifier`]'s words, exactly as the trait's default (which pages through
//! [`kasda_store::Store::entries`]) would. A tampered ledger is thus read twice; an intact one
//! once, at the speed of a bare COPY plus hashing.
//!
//! A long chain is read by the fast pass on two connections at once: the first exports its
//! snapshot (`pg_export_snapshot()`), the second imports it (`SET TRANSACTION SNAPSHOT`), and each
//! checks one half of the seq range on its own thread. Each entry's hash is checkable from its
//! stored predecessor hash, so the second half starts from the `prev_hash` stored in its first
//! entry; the halves hold together only if that stored link equals the hash the first half
//! computed for its last entry, and the first half ended right before the second began. Anything
//! else hands over to the exact pass, which reads the whole chain in order as before.

use std::collections::HashMap;
use std::sync::mpsc;

use chrono::NaiveDate;
use futures_util::{pin_mut, TryStreamExt};
use kasda_core::digits::{push_i64, push_iso_date, push_u64};
use kasda_core::ledger::{
    canonical_encoding, AccountKey, ChainVerifier, EntryKind, JournalEntry, Posting, StoredEntry,
    VerifyReport, MAX_ENTRY_TEXT,
};
use kasda_core::money::{push_plain, Currency, Direction};
use kasda_store::{validate_ledger_code, StoreError};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tokio_postgres::binary_copy::{BinaryCopyOutRow, BinaryCopyOutStream};
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

/// Entries from which the fast pass reads the chain on a second connection too.
const SPLIT_MIN: i64 = 20_000;

/// Recomputes `ledger`'s chain. The caller has checked that the ledger exists. `conninfo`
/// (the URL `client` connected with) lets the fast pass open a second connection.
pub(crate) async fn verify(
    client: &mut Client,
    conninfo: Option<&str>,
    ledger: &str,
) -> Result<VerifyReport, StoreError> {
    match verify_fast(client, conninfo, ledger, RANGE, SPLIT_MIN).await? {
        Some(report) => Ok(report),
        None => verify_in_ranges(client, ledger, RANGE).await,
    }
}

async fn verify_in_ranges(
    client: &mut Client,
    ledger: &str,
    range: i64,
) -> Result<VerifyReport, StoreError> {
    // The code goes into COPY statements as a literal (COPY takes no parameters); stored codes
    // always pass this check.
    validate_ledger_code(ledger)?;
    let tx = read_only_snapshot(client, "verify: begin").await?;
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

/// A read-only REPEATABLE READ transaction on `client`: one snapshot for the whole read.
async fn read_only_snapshot<'c>(
    client: &'c mut Client,
    what: &str,
) -> Result<tokio_postgres::Transaction<'c>, StoreError> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| map_err(what, e))
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

/// The entry columns the chain covers, in the order [`verify_fast`] reads them.
const FAST_ENTRY_COLUMNS: &str = "seq, kind, booked_on, value_date, natural_key, position, memo,
    reverses, source_sha256, prev_hash, hash";

const FAST_ENTRY_TYPES: [Type; 11] = [
    Type::INT8,
    Type::TEXT,
    Type::DATE,
    Type::DATE,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::BYTEA,
    Type::BYTEA,
    Type::BYTEA,
];

const FAST_POSTING_TYPES: [Type; 5] = [
    Type::INT8,
    Type::INT4,
    Type::TEXT,
    Type::NUMERIC,
    Type::BPCHAR,
];

/// Highest account id the fast pass indexes directly; a ledger with larger ids (never written
/// by kasda, which numbers a ledger's accounts from 1) takes the exact pass.
const MAX_FAST_ACCOUNT_ID: i32 = 1 << 22;

/// One range's copied rows, checked on the checking thread.
struct RangeRows {
    postings: Vec<BinaryCopyOutRow>,
    entries: Vec<BinaryCopyOutRow>,
}

/// The whole chain checked without building entries: `Some` report when every entry holds
/// (then it equals [`ChainVerifier`]'s), `None` when the exact pass must say what is wrong. A
/// chain of at least `split_min` entries is read in two halves, the second on a connection of
/// its own to `conninfo` in the same snapshot (on this one afterwards when that is not possible).
async fn verify_fast(
    client: &mut Client,
    conninfo: Option<&str>,
    ledger: &str,
    range: i64,
    split_min: i64,
) -> Result<Option<VerifyReport>, StoreError> {
    validate_ledger_code(ledger)?;
    let tx = read_only_snapshot(client, "verify: begin").await?;
    let rows = tx
        .query(
            "SELECT account_id, account_key FROM accounts WHERE ledger_id = $1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("verify: read accounts", e))?;
    let mut accounts: Vec<Option<FastAccount>> = Vec::new();
    for r in rows {
        let id: i32 = r.get(0);
        let text: &str = r.get(1);
        let Ok(key) = AccountKey::parse(text) else {
            return Ok(None);
        };
        if !(0..=MAX_FAST_ACCOUNT_ID).contains(&id) {
            return Ok(None);
        }
        let at = id as usize;
        if accounts.len() <= at {
            accounts.resize_with(at + 1, || None);
        }
        accounts[at] = Some(FastAccount {
            encoded: key.to_string().into_bytes(),
            key,
        });
    }
    // The bounds, and whether a second connection may read in this snapshot: only when the
    // session acts as the user it logged in as (row-level security is decided by the user).
    let bounds = tx
        .query_one(
            "SELECT min(seq), max(seq), current_user = session_user FROM entries WHERE ledger_id = $1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("verify: read chain bounds", e))?;
    let (lo, hi): (Option<i64>, Option<i64>) = (bounds.get(0), bounds.get(1));
    let same_user: bool = bounds.get(2);
    let (Some(lo), Some(hi)) = (lo, hi) else {
        tx.commit()
            .await
            .map_err(|e| map_err("verify: end snapshot", e))?;
        return Ok(Some(report_of(ledger, 0, [0; 32])));
    };

    let split = match conninfo {
        Some(url) if same_user && hi - lo + 1 >= split_min.max(2) => {
            let snapshot: String = tx
                .query_one("SELECT pg_export_snapshot()", &[])
                .await
                .map_err(|e| map_err("verify: export snapshot", e))?
                .get(0);
            Some((url.to_string(), snapshot, lo + (hi - lo + 1) / 2))
        }
        _ => None,
    };
    let parts = match split {
        None => {
            let checker = FastChecker::new(ledger, accounts, 1, Some([0; 32]));
            vec![check_part(&tx, ledger, lo, hi, range, checker).await?]
        }
        Some((url, snapshot, second)) => {
            let first = FastChecker::new(ledger, accounts.clone(), 1, Some([0; 32]));
            let other = FastChecker::new(ledger, accounts, second, None);
            let (send_back, back) = mpsc::sync_channel::<FastChecker>(1);
            let name = ledger.to_string();
            let reader = std::thread::spawn(move || {
                check_part_elsewhere(&url, &snapshot, &name, second, hi, range, other, send_back)
            });
            let head = check_part(&tx, ledger, lo, second - 1, range, first).await?;
            let tail = reader
                .join()
                .map_err(|_| StoreError::backend("verify", "the second reader panicked"))?;
            let tail = match tail {
                Some(done) => done?,
                // No second connection: the second half on this one.
                None => match back.recv() {
                    Ok(other) => check_part(&tx, ledger, second, hi, range, other).await?,
                    Err(_) => return Err(StoreError::backend("verify", "second half lost")),
                },
            };
            vec![head, tail]
        }
    };
    tx.commit()
        .await
        .map_err(|e| map_err("verify: end snapshot", e))?;
    Ok(joined(ledger, &parts))
}

/// The report of a chain that held throughout.
fn report_of(ledger: &str, entries: u64, head: [u8; 32]) -> VerifyReport {
    VerifyReport {
        ledger: ledger.to_string(),
        entries,
        // All zero before the first entry: GENESIS_HASH.
        head_hash: hex::encode(head),
        first_bad: None,
    }
}

/// The chain's report when its parts, checked one by one, hold together: each part begins
/// right after the previous one's last entry and from that entry's hash.
fn joined(ledger: &str, parts: &[Option<Part>]) -> Option<VerifyReport> {
    let mut entries = 0;
    let mut at: Option<&Part> = None;
    for part in parts {
        let part = part.as_ref()?;
        if let Some(before) = at {
            if before.next_seq != part.first_seq || Some(before.head) != part.anchor {
                return None;
            }
        }
        entries += part.count;
        at = Some(part);
    }
    at.map(|last| report_of(ledger, entries, last.head))
}

/// Checks entries `from..=to` of the snapshot of `tx` with `checker`, streaming ranges of
/// `range` entries to a checking thread: `None` at the first thing the exact pass must judge.
async fn check_part(
    tx: &tokio_postgres::Transaction<'_>,
    ledger: &str,
    from: i64,
    to: i64,
    range: i64,
    mut checker: FastChecker,
) -> Result<Option<Part>, StoreError> {
    let (send, receive) = mpsc::sync_channel::<RangeRows>(1);
    let checking = std::thread::spawn(move || {
        for rows in receive {
            if !checker.range(&rows) {
                return None;
            }
        }
        checker.finish()
    });
    let streamed: Result<(), StoreError> = async {
        let mut lo = from;
        while lo <= to {
            let hi = lo.saturating_add(range.max(1) - 1).min(to);
            let rows = RangeRows {
                postings: copy_rows(
                    tx,
                    &format!(
                        "COPY (SELECT seq, account_id, side, amount, currency FROM postings
                                WHERE ledger_id = '{ledger}' AND seq BETWEEN {lo} AND {hi}
                                ORDER BY seq, idx) TO STDOUT (FORMAT binary)"
                    ),
                    &FAST_POSTING_TYPES,
                    "verify: read postings",
                )
                .await?,
                entries: copy_rows(
                    tx,
                    &format!(
                        "COPY (SELECT {FAST_ENTRY_COLUMNS} FROM entries
                                WHERE ledger_id = '{ledger}' AND seq BETWEEN {lo} AND {hi}
                                ORDER BY seq) TO STDOUT (FORMAT binary)"
                    ),
                    &FAST_ENTRY_TYPES,
                    "verify: read entries",
                )
                .await?,
            };
            if send.send(rows).is_err() {
                // The checker stopped at something the exact pass must name.
                break;
            }
            lo = hi.saturating_add(1);
        }
        Ok(())
    }
    .await;
    drop(send);
    let part = checking
        .join()
        .map_err(|_| StoreError::backend("verify", "the checking thread panicked"))?;
    streamed?;
    Ok(part)
}

/// [`check_part`] on a connection of its own to `url`, in the snapshot `snapshot` exported by
/// the first connection; run on a thread of its own. `None` when no such connection could be
/// had: the checker is then handed back through `back` for the first connection to use.
#[allow(clippy::too_many_arguments)]
fn check_part_elsewhere(
    url: &str,
    snapshot: &str,
    ledger: &str,
    from: i64,
    to: i64,
    range: i64,
    checker: FastChecker,
    back: mpsc::SyncSender<FastChecker>,
) -> Option<Result<Option<Part>, StoreError>> {
    let connected = crate::runtime()
        .ok()
        .and_then(|rt| crate::connect_on(&rt, url).ok().map(|c| (rt, c)));
    let Some((rt, mut client)) = connected else {
        let _ = back.send(checker);
        return None;
    };
    let done = rt.block_on(async {
        let tx = read_only_snapshot(&mut client, "verify: begin (second connection)").await?;
        // The snapshot id is PostgreSQL's own text (hex digits and dashes).
        if !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(StoreError::backend(
                "verify",
                format!("snapshot id {snapshot}"),
            ));
        }
        tx.batch_execute(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'"))
            .await
            .map_err(|e| map_err("verify: import snapshot", e))?;
        let part = check_part(&tx, ledger, from, to, range, checker).await?;
        tx.commit()
            .await
            .map_err(|e| map_err("verify: end snapshot (second connection)", e))?;
        Ok(part)
    });
    Some(done)
}

/// Every row of one binary `COPY … TO STDOUT`.
async fn copy_rows(
    tx: &tokio_postgres::Transaction<'_>,
    sql: &str,
    types: &[Type],
    what: &'static str,
) -> Result<Vec<BinaryCopyOutRow>, StoreError> {
    let stream = tx.copy_out(sql).await.map_err(|e| map_err(what, e))?;
    BinaryCopyOutStream::new(stream, types)
        .try_collect()
        .await
        .map_err(|e| map_err(what, e))
}

/// An account as the fast pass needs it: its key text as the canonical encoding writes it, and
/// the key itself for the occasional full entry.
#[derive(Clone)]
struct FastAccount {
    encoded: Vec<u8>,
    key: AccountKey,
}

/// One posting read from its row.
struct FastPosting {
    seq: i64,
    account: usize,
    side: Direction,
    amount: Decimal,
    currency: Currency,
}

/// The fast pass's state between ranges; buffers are reused from entry to entry.
struct FastChecker {
    ledger: String,
    /// The encoding's fields before the seq: the version tag and the ledger code.
    header: Vec<u8>,
    accounts: Vec<Option<FastAccount>>,
    /// The seq the checker started at.
    first_seq: i64,
    expected_seq: i64,
    /// The last entry's hash (all zero before the first); unknown until the first entry when
    /// the checker starts inside the chain.
    prev: [u8; 32],
    /// The hash the first entry must link to: given, or (`None` before the first entry of a
    /// checker started inside the chain) the first entry's stored `prev_hash`.
    anchor: Option<[u8; 32]>,
    count: u64,
    /// Whether the next entry's encoding is also built by kasda_core and compared (the first
    /// entry of every range).
    cross_check: bool,
    encoding: Vec<u8>,
    postings: Vec<FastPosting>,
    sums: Vec<(Currency, Decimal, Decimal)>,
}

/// One length-prefixed field of the canonical encoding.
fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A field written by `write`, its length filled in afterwards.
fn field_with(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    write(out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// The entry columns of one row, borrowed from it.
struct FastEntry<'a> {
    seq: i64,
    kind: EntryKind,
    booked_on: NaiveDate,
    value_date: NaiveDate,
    natural_key: &'a str,
    position: &'a str,
    memo: &'a str,
    reverses: Option<i64>,
    source: Option<&'a [u8]>,
    prev_hash: &'a [u8],
    hash: &'a [u8],
}

impl<'a> FastEntry<'a> {
    /// `None` when a column cannot be read as kasda writes it.
    fn read(r: &'a BinaryCopyOutRow) -> Option<FastEntry<'a>> {
        Some(FastEntry {
            seq: r.try_get(0).ok()?,
            kind: EntryKind::parse(r.try_get(1).ok()?)?,
            booked_on: r.try_get(2).ok()?,
            value_date: r.try_get(3).ok()?,
            natural_key: r.try_get(4).ok()?,
            position: r.try_get(5).ok()?,
            memo: r.try_get(6).ok()?,
            reverses: r.try_get(7).ok()?,
            source: r.try_get(8).ok()?,
            prev_hash: r.try_get(9).ok()?,
            hash: r.try_get(10).ok()?,
        })
    }
}

/// What one checker saw of an intact stretch of the chain.
struct Part {
    first_seq: i64,
    /// The seq after its last entry.
    next_seq: i64,
    /// The hash its first entry links to.
    anchor: Option<[u8; 32]>,
    /// Its last entry's hash (the anchor when it has none).
    head: [u8; 32],
    count: u64,
}

impl FastChecker {
    /// A checker whose first entry must be `first_seq`, linked to `prev` (`None`: to whatever
    /// hash that entry stores, to be matched with the stretch before it afterwards).
    fn new(
        ledger: &str,
        accounts: Vec<Option<FastAccount>>,
        first_seq: i64,
        prev: Option<[u8; 32]>,
    ) -> FastChecker {
        let mut header = Vec::with_capacity(32 + ledger.len());
        field(&mut header, b"kasda-entry-v1");
        field(&mut header, ledger.as_bytes());
        FastChecker {
            ledger: ledger.to_string(),
            header,
            accounts,
            first_seq,
            expected_seq: first_seq,
            prev: prev.unwrap_or([0; 32]),
            anchor: prev,
            count: 0,
            cross_check: true,
            encoding: Vec::with_capacity(512),
            postings: Vec::new(),
            sums: Vec::new(),
        }
    }

    /// Checks one range; `false` at the first thing the exact pass must judge.
    fn range(&mut self, rows: &RangeRows) -> bool {
        self.postings.clear();
        for r in &rows.postings {
            match self.posting(r) {
                Some(p) => self.postings.push(p),
                None => return false,
            }
        }
        self.cross_check = true;
        let mut at = 0;
        for r in &rows.entries {
            let Some(e) = FastEntry::read(r) else {
                return false;
            };
            let from = at;
            while at < self.postings.len() && self.postings[at].seq == e.seq {
                at += 1;
            }
            if !self.entry(&e, from, at) {
                return false;
            }
        }
        // A posting whose entry is missing: the exact pass decides.
        at == self.postings.len()
    }

    fn posting(&self, r: &BinaryCopyOutRow) -> Option<FastPosting> {
        let account = usize::try_from(r.try_get::<i32>(1).ok()?).ok()?;
        self.accounts.get(account)?.as_ref()?;
        let side = match r.try_get::<&str>(2).ok()? {
            "debit" => Direction::Debit,
            "credit" => Direction::Credit,
            _ => return None,
        };
        let currency = Currency::parse(r.try_get::<&str>(4).ok()?.trim()).ok()?;
        let mut amount: Decimal = r.try_get(3).ok()?;
        amount.rescale(currency.scale());
        Some(FastPosting {
            seq: r.try_get(0).ok()?,
            account,
            side,
            amount,
            currency,
        })
    }

    /// Checks one entry whose postings are `self.postings[from..to]` as [`ChainVerifier::push`]
    /// does: next in sequence, linked to the previous hash, still valid, same hash.
    fn entry(&mut self, e: &FastEntry<'_>, from: usize, to: usize) -> bool {
        if e.seq != self.expected_seq {
            return false;
        }
        if self.anchor.is_none() {
            // The first entry of a stretch inside the chain: its stored link is checked
            // against the stretch before it when the two are joined.
            let Ok(link) = <[u8; 32]>::try_from(e.prev_hash) else {
                return false;
            };
            self.anchor = Some(link);
            self.prev = link;
        } else if e.prev_hash != self.prev.as_slice() {
            return false;
        }
        if e.source.is_some_and(|s| s.len() != 32) || !self.valid(e, from, to) {
            return false;
        }
        let mut source_hex = [0u8; 64];
        let source = match e.source {
            Some(s) => {
                if hex::encode_to_slice(s, &mut source_hex).is_err() {
                    return false;
                }
                &source_hex[..]
            }
            None => &[][..],
        };
        let postings = &self.postings[from..to];
        let out = &mut self.encoding;
        out.clear();
        out.extend_from_slice(&self.header);
        field_with(out, |o| push_i64(o, e.seq));
        field(out, e.kind.as_str().as_bytes());
        field_with(out, |o| push_iso_date(o, e.booked_on));
        field_with(out, |o| push_iso_date(o, e.value_date));
        field(out, e.natural_key.as_bytes());
        field(out, e.position.as_bytes());
        field(out, e.memo.as_bytes());
        field(out, source);
        field_with(out, |o| {
            if let Some(r) = e.reverses {
                push_i64(o, r)
            }
        });
        field_with(out, |o| push_u64(o, postings.len() as u64));
        for p in postings {
            let Some(Some(account)) = self.accounts.get(p.account) else {
                return false;
            };
            field(out, &account.encoded);
            field(out, p.side.as_str().as_bytes());
            field_with(out, |o| push_plain(o, p.amount, p.currency.scale()));
            field(out, p.currency.as_str().as_bytes());
        }
        if self.cross_check {
            // kasda_core's own encoder on the same entry: the two must agree byte for byte.
            let Some(entry) = self.journal_entry(e, from, to) else {
                return false;
            };
            let source = e.source.map(hex::encode);
            if canonical_encoding(&self.ledger, e.seq, source.as_deref(), &entry) != self.encoding {
                return false;
            }
            self.cross_check = false;
        }
        let mut prev_hex = [0u8; 64];
        if hex::encode_to_slice(self.prev, &mut prev_hex).is_err() {
            return false;
        }
        let mut h = Sha256::new();
        h.update(prev_hex);
        h.update(&self.encoding);
        let hash: [u8; 32] = h.finalize().into();
        if e.hash != hash.as_slice() {
            return false;
        }
        self.prev = hash;
        self.expected_seq += 1;
        self.count += 1;
        true
    }

    /// What [`JournalEntry::validate`] accepts, judged on the copied values; the rare opening
    /// balance is built and validated whole.
    fn valid(&mut self, e: &FastEntry<'_>, from: usize, to: usize) -> bool {
        if [e.natural_key, e.position, e.memo]
            .iter()
            .any(|t| t.len() > MAX_ENTRY_TEXT)
            || to - from < 2
        {
            return false;
        }
        self.sums.clear();
        for p in &self.postings[from..to] {
            if p.amount <= Decimal::ZERO || p.amount.normalize().scale() > p.currency.scale() {
                return false;
            }
            let at = match self.sums.iter().position(|s| s.0 == p.currency) {
                Some(at) => at,
                None => {
                    self.sums.push((p.currency, Decimal::ZERO, Decimal::ZERO));
                    self.sums.len() - 1
                }
            };
            let slot = &mut self.sums[at];
            let side = match p.side {
                Direction::Debit => &mut slot.1,
                Direction::Credit => &mut slot.2,
            };
            match side.checked_add(p.amount) {
                Some(sum) => *side = sum,
                None => return false,
            }
        }
        if self.sums.iter().any(|s| s.1 != s.2) {
            return false;
        }
        e.kind != EntryKind::OpeningBalance
            || self
                .journal_entry(e, from, to)
                .is_some_and(|entry| entry.validate().is_ok())
    }

    /// The entry built whole, as the exact pass would read it.
    fn journal_entry(&self, e: &FastEntry<'_>, from: usize, to: usize) -> Option<JournalEntry> {
        let mut postings = Vec::with_capacity(to - from);
        for p in &self.postings[from..to] {
            postings.push(Posting {
                account: self.accounts.get(p.account)?.as_ref()?.key.clone(),
                side: p.side,
                amount: p.amount,
                currency: p.currency,
            });
        }
        Some(JournalEntry {
            kind: e.kind,
            booked_on: e.booked_on,
            value_date: e.value_date,
            natural_key: e.natural_key.to_string(),
            position: e.position.to_string(),
            memo: e.memo.to_string(),
            reverses: e.reverses,
            postings,
        })
    }

    /// The stretch checked, every entry of it intact.
    fn finish(self) -> Option<Part> {
        Some(Part {
            first_seq: self.first_seq,
            next_seq: self.expected_seq,
            anchor: self.anchor,
            head: self.prev,
            count: self.count,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use kasda_core::ledger::{
        AccountKey, AccountKind, ChainVerifier, EntryKind, JournalEntry, Posting,
    };
    use kasda_core::money::{Currency, Direction};
    use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store};
    use rust_decimal::Decimal;

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

    fn fast(s: &mut PgStore, range: i64) -> Option<kasda_core::ledger::VerifyReport> {
        let alone = fast_split(s, range, None);
        // The same chain read in two halves on two connections sharing one snapshot.
        let halves = fast_split(s, range, Some(2));
        assert_eq!(
            alone, halves,
            "one connection and two disagree (range {range})"
        );
        alone
    }

    /// The fast pass, on two connections when `split` is given and the chain is at least
    /// that long.
    fn fast_split(
        s: &mut PgStore,
        range: i64,
        split: Option<i64>,
    ) -> Option<kasda_core::ledger::VerifyReport> {
        let PgStore {
            client,
            rt,
            conninfo,
            ..
        } = s;
        let conninfo = split.map(|_| conninfo.as_str());
        rt.block_on(super::verify_fast(
            client,
            conninfo,
            LEDGER,
            range,
            split.unwrap_or(i64::MAX),
        ))
        .expect("fast verify")
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
    }

    /// Entries of every shape an append writes beside an import's: a reversal, two
    /// currencies in one entry, several postings on one side, non-ASCII text.
    fn appended() -> Vec<NewEntry> {
        let usd = Currency::parse("USD").expect("usd");
        let idr = |c| Decimal::new(c, 2);
        let kas = AccountKey::new(AccountKind::KasDaerah, "0011223344");
        let beban = AccountKey::new(AccountKind::BebanBank, "0011223344");
        let fee = |key: &str, reverses, postings| {
            NewEntry::from(
                JournalEntry::new(
                    EntryKind::Fee,
                    day(9),
                    day(10),
                    key,
                    "7:1",
                    "biaya — café ✓",
                    reverses,
                    postings,
                )
                .expect("valid entry"),
            )
        };
        vec![
            fee(
                "f:1",
                None,
                vec![
                    Posting::debit(beban.clone(), idr(1_050)),
                    Posting::debit(beban.clone(), idr(7)),
                    Posting::credit(kas.clone(), idr(1_057)),
                ],
            ),
            fee(
                "f:2",
                Some(3),
                vec![
                    Posting::debit(kas.clone(), idr(2_500_000)),
                    Posting::credit(beban.clone(), idr(2_500_000)),
                    Posting {
                        account: beban.clone(),
                        side: Direction::Debit,
                        amount: Decimal::new(1_999, 2),
                        currency: usd,
                    },
                    Posting {
                        account: kas.clone(),
                        side: Direction::Credit,
                        amount: Decimal::new(1_999, 2),
                        currency: usd,
                    },
                ],
            ),
        ]
    }

    #[test]
    fn fast_pass_agrees_with_paging_and_hands_tampering_to_the_exact_pass() {
        let mut s = testing::fresh_store();
        s.migrate().expect("migrate");
        s.ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Verify".into(),
        })
        .expect("ledger");
        assert_eq!(fast(&mut s, 10), Some(paged(&mut s)), "an empty ledger");
        s.import_file(LEDGER, bench::synthetic_batch("v", "0011223344", 20))
            .expect("import");
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "kasir"),
            appended(),
        )
        .expect("append");
        s.import_file(LEDGER, bench::synthetic_batch("w", "0011223344", 10))
            .expect("import");
        let clean = paged(&mut s);
        assert!(clean.first_bad.is_none(), "{clean:?}");
        assert_eq!(clean.entries, 32);
        for range in [1, 2, 5, 31, 32, 1_000] {
            assert_eq!(fast(&mut s, range), Some(clean.clone()), "range {range}");
        }
        assert_eq!(s.verify(LEDGER).expect("verify"), clean);

        // Altered from the end of the chain backwards, so that each alteration is the first:
        // the fast pass declines and verify names what paging names.
        s.with_triggers_disabled(
            &["entries", "postings"],
            "WITH p AS (DELETE FROM postings WHERE ledger_id = $1 AND seq = 32)
             DELETE FROM entries WHERE ledger_id = $1 AND seq = 32",
            &[&LEDGER],
        )
        .expect("tamper");
        let shorter = paged(&mut s);
        assert_eq!((shorter.entries, &shorter.first_bad), (31, &None));
        assert_eq!(
            fast(&mut s, 4),
            Some(shorter),
            "a removed tail is not an alteration"
        );
        let tampering: [(&[&str], &str, i64); 7] = [
            (
                &["entries"],
                "UPDATE entries SET booked_on = booked_on + 1 WHERE ledger_id = $1 AND seq = 30",
                30,
            ),
            (
                &["entries"],
                "UPDATE entries SET memo = memo || '.' WHERE ledger_id = $1 AND seq = 25",
                25,
            ),
            (
                &["postings"],
                "UPDATE postings SET amount = amount + 1 WHERE ledger_id = $1 AND seq = 22 AND idx = 2",
                22,
            ),
            (
                &["postings"],
                "DELETE FROM postings WHERE ledger_id = $1 AND seq = 21 AND idx = 1",
                21,
            ),
            // The first entry of the second half when two connections read the 31 entries:
            // its stored link no longer matches the first half's last hash.
            (
                &["entries"],
                "UPDATE entries SET prev_hash = hash WHERE ledger_id = $1 AND seq = 16",
                16,
            ),
            (
                &["entries"],
                "UPDATE entries SET prev_hash = hash WHERE ledger_id = $1 AND seq = 10",
                10,
            ),
            (
                &["postings"],
                "UPDATE postings p SET account_id = (SELECT max(a.account_id) FROM accounts a
                                                       WHERE a.ledger_id = $1)
                  WHERE p.ledger_id = $1 AND p.seq = 5 AND p.account_id <> (
                        SELECT max(a.account_id) FROM accounts a WHERE a.ledger_id = $1)",
                5,
            ),
        ];
        for (tables, sql, seq) in tampering {
            s.with_triggers_disabled(tables, sql, &[&LEDGER])
                .expect("tamper");
            let tampered = paged(&mut s);
            assert_eq!(
                tampered.first_bad.as_ref().map(|f| f.seq),
                Some(seq),
                "{sql}"
            );
            assert_eq!(fast(&mut s, 7), None, "{sql}");
            assert_eq!(s.verify(LEDGER).expect("verify"), tampered, "{sql}");
        }
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
