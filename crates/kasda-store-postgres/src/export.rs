//! Moving a whole ledger between stores (`kasda db export --to …`): the PostgreSQL side of the
//! store-neutral stream defined in [`kasda_store::export`].
//!
//! Export reads everything in one REPEATABLE READ, READ ONLY transaction, so the stream is one
//! consistent snapshot even while writers keep appending. Facts are written in the order the
//! other stores write them: lines and documents by run, then by their place in the file (the
//! order an import inserted them), duplicates by their number.
//!
//! Import writes the whole ledger in ONE transaction, under the ledger's advisory lock, into a
//! ledger that does not exist yet (or exists empty), keeping every seq, hash, run id and time
//! stamp. The database's own checks stay on and are satisfied by the insert order: runs before
//! everything that names them, each batch of entries before its postings, all postings before
//! the deferred entry checks are forced (`SET CONSTRAINTS ALL IMMEDIATE`), and only then the
//! period closes (an entry booked before a close was legal when it was written; checking it
//! after the close row exists would refuse it). Then the chain is recomputed from what was
//! written and the balance aggregate compared with the postings; COMMIT only if both hold.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read, Write};

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::ledger::{ChainVerifier, StoredEntry};
use kasda_core::money::Direction;
use kasda_store::export::{
    ExportRecord, TransferSummary, EXPORT_FORMAT, EXPORT_VERSION, MAX_RECORD_BYTES,
};
use kasda_store::{
    validate_ledger_code, DocKind, DuplicateKind, DuplicateRecord, LedgerInfo, ProposalStatus,
    StoreError, StoredDocument, StoredLine, MAX_PAGE,
};
use rust_decimal::Decimal;
use tokio_postgres::{Client, IsolationLevel, Transaction};

use crate::linebody::line_body;
use crate::pgtypes::RawJson;
use crate::write::{json_text, lock_ledger};
use crate::{map_err, read, PgStore};

/// Rows fetched per round trip while exporting.
const PAGE: i32 = 10_000;
/// Entries buffered before they (and their postings and joins) are inserted as one statement.
const ENTRY_BATCH: usize = 2_000;
/// Statement lines or documents buffered before they are inserted as one statement.
const FACT_BATCH: usize = 2_000;

impl PgStore {
    /// Writes ledger `ledger` to `out` as an export stream, from one consistent snapshot.
    /// Refuses a ledger whose chain does not verify.
    pub fn export_ledger<W: Write>(
        &mut self,
        ledger: &str,
        out: &mut W,
    ) -> Result<TransferSummary, StoreError> {
        self.rt.block_on(export(&mut self.client, ledger, out))
    }

    /// Reads an export stream and recreates its ledger here (see the module docs). Returns what
    /// was moved; on any error nothing is written.
    pub fn import_ledger<R: BufRead>(&mut self, input: R) -> Result<TransferSummary, StoreError> {
        self.rt.block_on(import(&mut self.client, input))
    }
}

/// A stream that is not a valid, complete export.
fn bad(record: u64, message: impl Into<String>) -> StoreError {
    StoreError::InvalidInput {
        field: format!("export stream, record {record}"),
        expected: format!("a complete {EXPORT_FORMAT} version {EXPORT_VERSION} stream"),
        found: message.into(),
    }
}

fn io_err(what: &str, e: std::io::Error) -> StoreError {
    StoreError::backend(what, e)
}

struct RecordWriter<'w, W: Write> {
    out: &'w mut W,
    records: u64,
}

impl<W: Write> RecordWriter<'_, W> {
    fn put(&mut self, r: &ExportRecord) -> Result<(), StoreError> {
        serde_json::to_writer(&mut *self.out, r).map_err(|e| {
            StoreError::backend(format!("write export record {}", self.records + 1), e)
        })?;
        self.out
            .write_all(b"\n")
            .map_err(|e| io_err("write export stream", e))?;
        self.records += 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

async fn export<W: Write>(
    client: &mut Client,
    ledger: &str,
    out: &mut W,
) -> Result<TransferSummary, StoreError> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| map_err("export: begin", e))?;
    let result = export_in_tx(&tx, ledger, out).await;
    // Read only: nothing to keep either way.
    tx.rollback().await.map_err(|e| map_err("export: end", e))?;
    result
}

/// Runs `sql` (params `ledger`) through a portal and hands each page of rows to `each`.
async fn paged(
    tx: &Transaction<'_>,
    what: &str,
    sql: &str,
    ledger: &str,
    mut each: impl FnMut(&[tokio_postgres::Row]) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let portal = tx
        .bind(sql, &[&ledger])
        .await
        .map_err(|e| map_err(what, e))?;
    loop {
        let rows = tx
            .query_portal(&portal, PAGE)
            .await
            .map_err(|e| map_err(what, e))?;
        if rows.is_empty() {
            return Ok(());
        }
        each(&rows)?;
    }
}

async fn export_in_tx<W: Write>(
    tx: &Transaction<'_>,
    ledger: &str,
    out: &mut W,
) -> Result<TransferSummary, StoreError> {
    let c = tx.client();
    let name: String = tx
        .query_opt("SELECT name FROM ledgers WHERE ledger_id = $1", &[&ledger])
        .await
        .map_err(|e| map_err("export: find ledger", e))?
        .ok_or_else(|| StoreError::UnknownLedger {
            ledger: ledger.to_string(),
        })?
        .get(0);
    let mut w = RecordWriter { out, records: 0 };
    let mut summary = TransferSummary {
        ledger: ledger.to_string(),
        ..TransferSummary::default()
    };
    w.put(&ExportRecord::Header {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        ledger: LedgerInfo {
            code: ledger.to_string(),
            name,
        },
    })?;
    for r in read::runs(c, ledger, None).await? {
        w.put(&ExportRecord::Run(r))?;
    }
    for f in read::files(c, ledger, None).await? {
        w.put(&ExportRecord::File(f))?;
    }
    // Statements in insertion order (run, index), as every store writes them.
    let mut statements = read::statements(c, ledger, None).await?;
    statements.sort_by_key(|s| (s.run_id, s.index));
    for s in statements {
        w.put(&ExportRecord::Statement(s))?;
    }
    paged(
        tx,
        "export statement lines",
        &format!(
            "SELECT {} FROM statement_lines WHERE ledger_id = $1
              ORDER BY run_id, statement_idx, pos_index, natural_key COLLATE \"C\"",
            read::LINE_COLUMNS
        ),
        ledger,
        |rows| {
            for l in read::line_rows(rows)? {
                summary.lines += 1;
                w.put(&ExportRecord::Line(l))?;
            }
            Ok(())
        },
    )
    .await?;
    let sql = format!(
        "SELECT {} FROM documents WHERE ledger_id = $1
          ORDER BY run_id, row_no, natural_key COLLATE \"C\"",
        read::DOC_COLUMNS
    );
    paged(tx, "export documents", &sql, ledger, |rows| {
        for d in read::doc_rows(rows)? {
            summary.documents += 1;
            w.put(&ExportRecord::Document(d))?;
        }
        Ok(())
    })
    .await?;
    let sql = format!(
        "SELECT {} FROM duplicates WHERE ledger_id = $1 ORDER BY dup_id",
        read::DUP_COLUMNS
    );
    paged(tx, "export duplicates", &sql, ledger, |rows| {
        for r in rows {
            w.put(&ExportRecord::Duplicate(read::dup_row(r)?))?;
        }
        Ok(())
    })
    .await?;

    let mut verifier = ChainVerifier::new(ledger);
    let mut after = 0i64;
    loop {
        let page = read::entries(c, ledger, after, MAX_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let seqs: Vec<i64> = page.iter().map(|e| e.seq).collect();
        let mut joins = Vec::new();
        for chunk in seqs.chunks(kasda_store::MAX_KEYS_PER_LOOKUP) {
            joins.extend(read::entry_joins(c, ledger, chunk).await?);
        }
        let mut joins = joins.into_iter().peekable();
        for e in page {
            let mut mine = Vec::new();
            while let Some((_, k)) = joins.next_if(|(s, _)| *s == e.seq) {
                mine.push(k);
            }
            verifier.push(&e);
            summary.entries += 1;
            w.put(&ExportRecord::Entry {
                entry: e,
                joins: mine,
            })?;
        }
    }
    for f in read::findings(c, ledger, false).await? {
        w.put(&ExportRecord::Finding(f))?;
    }
    for p in read::proposals(c, ledger, false).await? {
        w.put(&ExportRecord::Proposal(p))?;
    }
    let locks = tx
        .query(
            "SELECT through_date, actor, locked_at FROM period_locks WHERE ledger_id = $1
              ORDER BY through_date",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("export period closes", e))?;
    for r in &locks {
        w.put(&ExportRecord::PeriodClose {
            through: r.get(0),
            actor: r.get(1),
            locked_at: r.get(2),
        })?;
    }
    // A chain that does not verify is refused here: the target would refuse it anyway, and the
    // operator should learn it from the source.
    let report = verifier.finish();
    if let Some(b) = report.first_bad {
        return Err(StoreError::Corrupt(format!(
            "ledger {ledger} does not verify at entry {}: {}; not exported",
            b.seq, b.reason
        )));
    }
    summary.head_hash = report.head_hash.clone();
    let records = w.records;
    w.put(&ExportRecord::End {
        records,
        entries: summary.entries,
        head_hash: report.head_hash,
    })?;
    w.out
        .flush()
        .map_err(|e| io_err("write export stream", e))?;
    summary.records = w.records;
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Reads one line of at most [`MAX_RECORD_BYTES`] into `buf`; `false` at end of input.
fn next_line<R: BufRead>(
    input: &mut R,
    record: u64,
    buf: &mut Vec<u8>,
) -> Result<bool, StoreError> {
    buf.clear();
    let n = input
        .by_ref()
        .take(MAX_RECORD_BYTES as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| io_err("read export stream", e))?;
    if n == 0 {
        return Ok(false);
    }
    if buf.len() > MAX_RECORD_BYTES {
        return Err(bad(
            record,
            format!("a record longer than the limit of {MAX_RECORD_BYTES} bytes"),
        ));
    }
    Ok(true)
}

async fn import<R: BufRead>(client: &mut Client, input: R) -> Result<TransferSummary, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| map_err("import ledger: begin", e))?;
    // Dropping the transaction on error rolls it back: nothing is written.
    let summary = import_in_tx(&tx, input).await?;
    tx.commit()
        .await
        .map_err(|e| map_err("import ledger: commit", e))?;
    Ok(summary)
}

/// One balance-aggregate row being summed: (debit, credit, recorded at).
type DayDelta = (Decimal, Decimal, DateTime<Utc>);

/// Entries waiting to be inserted, and what the import has learned about accounts and balances.
struct EntrySink {
    ledger: String,
    pending: Vec<(StoredEntry, Vec<String>)>,
    accounts: HashMap<String, i32>,
    /// (account id, booking day, run) → (debit, credit, recorded at): the balance aggregate,
    /// one row per run as the store's own writers make it.
    deltas: BTreeMap<(i32, NaiveDate, i64), DayDelta>,
    verifier: ChainVerifier,
}

impl EntrySink {
    async fn flush(&mut self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let ledger = self.ledger.as_str();
        // Accounts first: postings name them by id.
        let mut new_ids = Vec::new();
        let mut new_keys = Vec::new();
        let mut kinds = Vec::new();
        let mut quals = Vec::new();
        for p in self
            .pending
            .iter()
            .flat_map(|(e, _)| e.entry.postings.iter())
        {
            let key = p.account.to_string();
            if !self.accounts.contains_key(&key) {
                let id = i32::try_from(self.accounts.len() + 1).map_err(|_| {
                    StoreError::LimitExceeded {
                        what: "accounts in one ledger".into(),
                        found: self.accounts.len() + 1,
                        limit: i32::MAX as usize,
                    }
                })?;
                self.accounts.insert(key.clone(), id);
                new_ids.push(id);
                new_keys.push(key);
                kinds.push(p.account.kind().as_str().to_string());
                quals.push(p.account.qualifier().to_string());
            }
        }
        if !new_ids.is_empty() {
            tx.execute(
                "INSERT INTO accounts (ledger_id, account_id, account_key, kind, qualifier)
                 SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])",
                &[&ledger, &new_ids, &new_keys, &kinds, &quals],
            )
            .await
            .map_err(|e| map_err("import accounts", e))?;
        }

        let n = self.pending.len();
        let mut seqs = Vec::with_capacity(n);
        let mut entry_kinds = Vec::with_capacity(n);
        let mut booked = Vec::with_capacity(n);
        let mut valued = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        let mut positions = Vec::with_capacity(n);
        let mut memos = Vec::with_capacity(n);
        let mut reverses = Vec::with_capacity(n);
        let mut sources = Vec::with_capacity(n);
        let mut runs = Vec::with_capacity(n);
        let mut recorded = Vec::with_capacity(n);
        let mut prevs = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        let (mut p_seq, mut p_idx, mut p_acct, mut p_side, mut p_amount, mut p_cur) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        let (mut j_seq, mut j_idx, mut j_key) = (Vec::new(), Vec::new(), Vec::new());
        for (e, joins) in &self.pending {
            let j = &e.entry;
            seqs.push(e.seq);
            entry_kinds.push(j.kind.as_str());
            booked.push(j.booked_on);
            valued.push(j.value_date);
            keys.push(j.natural_key.as_str());
            positions.push(j.position.as_str());
            memos.push(j.memo.as_str());
            reverses.push(j.reverses);
            sources.push(e.source_sha256.as_deref());
            runs.push(e.run_id);
            recorded.push(e.recorded_at);
            prevs.push(e.prev_hash.as_str());
            hashes.push(e.hash.as_str());
            for (i, p) in j.postings.iter().enumerate() {
                let id = self
                    .accounts
                    .get(&p.account.to_string())
                    .copied()
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("account {} has no id", p.account))
                    })?;
                p_seq.push(e.seq);
                p_idx.push(i32::try_from(i).unwrap_or(i32::MAX));
                p_acct.push(id);
                p_side.push(p.side.as_str());
                p_amount.push(p.amount);
                p_cur.push(p.currency.as_str());
                let slot = self.deltas.entry((id, j.booked_on, e.run_id)).or_insert((
                    Decimal::ZERO,
                    Decimal::ZERO,
                    e.recorded_at,
                ));
                match p.side {
                    Direction::Debit => slot.0 += p.amount,
                    Direction::Credit => slot.1 += p.amount,
                }
            }
            for (i, k) in joins.iter().enumerate() {
                j_seq.push(e.seq);
                j_idx.push(i32::try_from(i).unwrap_or(i32::MAX));
                j_key.push(k.as_str());
            }
        }
        tx.execute(
            "INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                                  position, memo, reverses, source_sha256, run_id, recorded_at,
                                  prev_hash, hash)
             SELECT $1, s, k, b, v, n, p, m, r, decode(src, 'hex'), run, at, decode(ph, 'hex'),
                    decode(h, 'hex')
               FROM unnest($2::bigint[], $3::text[], $4::date[], $5::date[],
                    $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bigint[],
                    $12::timestamptz[], $13::text[], $14::text[])
                 AS u(s, k, b, v, n, p, m, r, src, run, at, ph, h)",
            &[
                &ledger,
                &seqs,
                &entry_kinds,
                &booked,
                &valued,
                &keys,
                &positions,
                &memos,
                &reverses,
                &sources,
                &runs,
                &recorded,
                &prevs,
                &hashes,
            ],
        )
        .await
        .map_err(|e| map_err("import entries", e))?;
        tx.execute(
            "INSERT INTO postings (ledger_id, seq, idx, account_id, side, amount, currency)
             SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::int[], $5::text[],
                    $6::numeric[], $7::text[])",
            &[&ledger, &p_seq, &p_idx, &p_acct, &p_side, &p_amount, &p_cur],
        )
        .await
        .map_err(|e| map_err("import postings", e))?;
        if !j_seq.is_empty() {
            tx.execute(
                "INSERT INTO entry_joins (ledger_id, seq, idx, joined_key)
                 SELECT $1, * FROM unnest($2::bigint[], $3::int[], $4::text[])",
                &[&ledger, &j_seq, &j_idx, &j_key],
            )
            .await
            .map_err(|e| map_err("import joins", e))?;
        }
        self.pending.clear();
        Ok(())
    }

    async fn write_deltas(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        if self.deltas.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(self.deltas.len());
        let mut days = Vec::with_capacity(self.deltas.len());
        let mut runs = Vec::with_capacity(self.deltas.len());
        let mut ats = Vec::with_capacity(self.deltas.len());
        let mut debits = Vec::with_capacity(self.deltas.len());
        let mut credits = Vec::with_capacity(self.deltas.len());
        for ((id, day, run), (debit, credit, at)) in &self.deltas {
            ids.push(*id);
            days.push(*day);
            runs.push(*run);
            ats.push(*at);
            debits.push(*debit);
            credits.push(*credit);
        }
        tx.execute(
            "INSERT INTO account_day_deltas (ledger_id, account_id, day, run_id, recorded_at,
                                             debit, credit)
             SELECT $1, * FROM unnest($2::int[], $3::date[], $4::bigint[], $5::timestamptz[],
                    $6::numeric[], $7::numeric[])",
            &[&self.ledger, &ids, &days, &runs, &ats, &debits, &credits],
        )
        .await
        .map_err(|e| map_err("import balance aggregate", e))?;
        Ok(())
    }
}

/// Inserts the buffered statement lines as one statement and empties the buffer. JSON travels
/// as text and is cast to `json`, which keeps the text exactly as sent.
async fn insert_lines(
    tx: &Transaction<'_>,
    ledger: &str,
    lines: &mut Vec<StoredLine>,
) -> Result<(), StoreError> {
    if lines.is_empty() {
        return Ok(());
    }
    let n = lines.len();
    let (mut keys, mut files, mut runs, mut ats) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut stmt_idx, mut pos, mut accounts, mut booked) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut amounts, mut currencies, mut texts, mut facts, mut seqs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for l in lines.iter() {
        let f = &l.facts;
        keys.push(f.natural_key.as_str());
        files.push(l.file_sha256.as_str());
        runs.push(l.run_id);
        ats.push(l.recorded_at);
        // Checked when the record was read.
        stmt_idx.push(i32::try_from(f.statement_index).unwrap_or(i32::MAX));
        pos.push(i64::from(f.pos.index));
        accounts.push(f.account.as_str());
        booked.push(f.booking_date);
        amounts.push(f.amount);
        currencies.push(f.currency.as_str());
        texts.push(f.text.as_str());
        facts.push(line_body(f)?);
        seqs.push(l.entry_seq);
    }
    tx.execute(
        "INSERT INTO statement_lines (ledger_id, natural_key, file_sha256, run_id, recorded_at,
            statement_idx, pos_index, account, booking_date, amount, currency, search_text, facts,
            entry_seq)
         SELECT $1, k, decode(f, 'hex'), r, t, si, pi, a, bd, am, cur, st, fj::json, es
           FROM unnest($2::text[], $3::text[], $4::bigint[], $5::timestamptz[], $6::int[],
                       $7::bigint[], $8::text[], $9::date[], $10::numeric[], $11::text[],
                       $12::text[], $13::text[], $14::bigint[])
             AS u(k, f, r, t, si, pi, a, bd, am, cur, st, fj, es)",
        &[
            &ledger,
            &keys,
            &files,
            &runs,
            &ats,
            &stmt_idx,
            &pos,
            &accounts,
            &booked,
            &amounts,
            &currencies,
            &texts,
            &facts,
            &seqs,
        ],
    )
    .await
    .map_err(|e| map_err("import statement lines", e))?;
    lines.clear();
    Ok(())
}

/// Inserts the buffered documents as one statement and empties the buffer.
async fn insert_documents(
    tx: &Transaction<'_>,
    ledger: &str,
    documents: &mut Vec<StoredDocument>,
) -> Result<(), StoreError> {
    if documents.is_empty() {
        return Ok(());
    }
    let n = documents.len();
    let (mut keys, mut kinds, mut files, mut runs, mut ats) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut rows, mut dates, mut bodies, mut seqs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for d in documents.iter() {
        keys.push(d.natural_key.as_str());
        kinds.push(DocKind::of(&d.document).as_str());
        files.push(d.file_sha256.as_str());
        runs.push(d.run_id);
        ats.push(d.recorded_at);
        rows.push(i64::from(d.row));
        dates.push(d.date);
        bodies.push(json_text("document", &d.document)?);
        seqs.push(d.entry_seq);
    }
    tx.execute(
        "INSERT INTO documents (ledger_id, natural_key, kind, file_sha256, run_id, recorded_at,
            row_no, doc_date, body, entry_seq)
         SELECT $1, k, kd, decode(f, 'hex'), r, t, rn, dd, b::json, es
           FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[],
                       $7::bigint[], $8::date[], $9::text[], $10::bigint[])
             AS u(k, kd, f, r, t, rn, dd, b, es)",
        &[
            &ledger, &keys, &kinds, &files, &runs, &ats, &rows, &dates, &bodies, &seqs,
        ],
    )
    .await
    .map_err(|e| map_err("import documents", e))?;
    documents.clear();
    Ok(())
}

/// Inserts the buffered duplicates as one statement, numbering them on from `next_dup_id` in
/// stream order, and empties the buffer.
async fn insert_duplicates(
    tx: &Transaction<'_>,
    ledger: &str,
    next_dup_id: &mut i64,
    duplicates: &mut Vec<DuplicateRecord>,
) -> Result<(), StoreError> {
    if duplicates.is_empty() {
        return Ok(());
    }
    let n = duplicates.len();
    let (mut ids, mut whats, mut keys, mut files, mut positions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut runs, mut ats, mut firsts, mut sames, mut docs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for d in duplicates.iter() {
        ids.push(*next_dup_id);
        *next_dup_id += 1;
        whats.push(match d.kind {
            DuplicateKind::Line => "line",
            DuplicateKind::Document => "document",
        });
        keys.push(d.natural_key.as_str());
        files.push(d.file_sha256.as_str());
        positions.push(d.pos.as_str());
        runs.push(d.run_id);
        ats.push(d.recorded_at);
        firsts.push(d.first_file_sha256.as_str());
        sames.push(d.same_content);
        docs.push(match &d.document {
            Some(doc) => Some(json_text("duplicate document", doc)?),
            None => None,
        });
    }
    tx.execute(
        "INSERT INTO duplicates (ledger_id, dup_id, what, natural_key, file_sha256, position,
            run_id, recorded_at, first_file_sha256, same_content, document)
         SELECT $1, i, w, k, f, p, r, t, ff, sc, dj::json
           FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                       $7::bigint[], $8::timestamptz[], $9::text[], $10::bool[], $11::text[])
             AS u(i, w, k, f, p, r, t, ff, sc, dj)",
        &[
            &ledger, &ids, &whats, &keys, &files, &positions, &runs, &ats, &firsts, &sames, &docs,
        ],
    )
    .await
    .map_err(|e| map_err("import duplicates", e))?;
    duplicates.clear();
    Ok(())
}

async fn exec(
    tx: &Transaction<'_>,
    what: &str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<(), StoreError> {
    tx.execute(sql, params)
        .await
        .map_err(|e| map_err(what, e))?;
    Ok(())
}

async fn import_in_tx<R: BufRead>(
    tx: &Transaction<'_>,
    mut input: R,
) -> Result<TransferSummary, StoreError> {
    let mut buf = Vec::new();
    let mut record = 1u64;
    if !next_line(&mut input, record, &mut buf)? {
        return Err(bad(record, "an empty stream (no header record)"));
    }
    let header: ExportRecord =
        serde_json::from_slice(&buf).map_err(|e| bad(record, format!("an invalid header: {e}")))?;
    let ExportRecord::Header {
        format,
        version,
        ledger: info,
    } = header
    else {
        return Err(bad(record, "a first record that is not a header"));
    };
    if format != EXPORT_FORMAT || version != EXPORT_VERSION {
        return Err(bad(record, format!("format {format:?} version {version}")));
    }
    validate_ledger_code(&info.code)?;
    let ledger = info.code.as_str();
    lock_ledger(tx, ledger).await?;
    let exists = tx
        .query_opt("SELECT 1 FROM ledgers WHERE ledger_id = $1", &[&ledger])
        .await
        .map_err(|e| map_err("import ledger: find ledger", e))?
        .is_some();
    if exists {
        let used: i64 = tx
            .query_one(
                "SELECT (SELECT count(*) FROM runs WHERE ledger_id = $1)
                      + (SELECT count(*) FROM entries WHERE ledger_id = $1)
                      + (SELECT count(*) FROM proposals WHERE ledger_id = $1)
                      + (SELECT count(*) FROM period_locks WHERE ledger_id = $1)",
                &[&ledger],
            )
            .await
            .map_err(|e| map_err("import ledger: check ledger is empty", e))?
            .get(0);
        if used > 0 {
            return Err(bad(
                record,
                format!("ledger {ledger} already holds data here; a ledger can only be moved into an empty one"),
            ));
        }
    } else {
        exec(
            tx,
            "import ledger: create ledger",
            "INSERT INTO ledgers (ledger_id, name, created_at) VALUES ($1, $2, $3)",
            &[&ledger, &info.name, &kasda_store::now_micros()],
        )
        .await?;
    }

    let mut summary = TransferSummary {
        ledger: ledger.to_string(),
        ..TransferSummary::default()
    };
    let mut sink = EntrySink {
        ledger: ledger.to_string(),
        pending: Vec::new(),
        accounts: HashMap::new(),
        deltas: BTreeMap::new(),
        verifier: ChainVerifier::new(ledger),
    };
    let mut next_dup_id = 1i64;
    let mut lines: Vec<StoredLine> = Vec::new();
    let mut documents: Vec<StoredDocument> = Vec::new();
    let mut duplicates: Vec<DuplicateRecord> = Vec::new();
    let mut closes: Vec<(NaiveDate, String, DateTime<Utc>)> = Vec::new();
    let mut end: Option<(u64, u64, String)> = None;
    let mut last_seq = 0i64;
    loop {
        record += 1;
        if !next_line(&mut input, record, &mut buf)? {
            break;
        }
        if end.is_some() {
            return Err(bad(record, "data after the end record"));
        }
        let r: ExportRecord = serde_json::from_slice(&buf)
            .map_err(|e| bad(record, format!("an invalid record: {e}")))?;
        // Batches go in as soon as their section of the stream ends, so that everything a
        // later row names (an entry its line, a run its entry) is already there.
        if !matches!(r, ExportRecord::Line(_)) {
            insert_lines(tx, ledger, &mut lines).await?;
        }
        if !matches!(r, ExportRecord::Document(_)) {
            insert_documents(tx, ledger, &mut documents).await?;
        }
        if !matches!(r, ExportRecord::Duplicate(_)) {
            insert_duplicates(tx, ledger, &mut next_dup_id, &mut duplicates).await?;
        }
        if !matches!(r, ExportRecord::Entry { .. }) {
            sink.flush(tx).await?;
        }
        match r {
            ExportRecord::Header { .. } => return Err(bad(record, "a second header")),
            ExportRecord::Run(run) => {
                let details = json_text("run details", &run.details)?;
                exec(
                    tx,
                    "import run",
                    "INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &ledger,
                        &run.run_id,
                        &run.kind.as_str(),
                        &run.actor,
                        &run.started_at,
                        &RawJson(&details),
                    ],
                )
                .await?;
            }
            ExportRecord::File(f) => {
                let size = i64::try_from(f.file.size_bytes)
                    .map_err(|_| bad(record, format!("file size {}", f.file.size_bytes)))?;
                exec(
                    tx,
                    "import file",
                    "INSERT INTO source_files (ledger_id, sha256, name, size_bytes, format,
                                               imported_by, imported_at, run_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &ledger,
                        &f.file.sha256,
                        &f.file.name,
                        &size,
                        &f.file.format,
                        &f.file.imported_by,
                        &f.imported_at,
                        &f.run_id,
                    ],
                )
                .await?;
            }
            ExportRecord::Statement(s) => {
                let header = json_text("statement header", &s.header)?;
                let idx = i32::try_from(s.index)
                    .map_err(|_| bad(record, format!("statement index {}", s.index)))?;
                exec(
                    tx,
                    "import statement",
                    "INSERT INTO statements (ledger_id, file_sha256, idx, run_id, account, header)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &ledger,
                        &s.file_sha256,
                        &idx,
                        &s.run_id,
                        &s.header.account,
                        &RawJson(&header),
                    ],
                )
                .await?;
            }
            ExportRecord::Line(l) => {
                i32::try_from(l.facts.statement_index).map_err(|_| {
                    bad(
                        record,
                        format!("statement index {}", l.facts.statement_index),
                    )
                })?;
                lines.push(l);
                summary.lines += 1;
                if lines.len() >= FACT_BATCH {
                    insert_lines(tx, ledger, &mut lines).await?;
                }
            }
            ExportRecord::Document(d) => {
                documents.push(d);
                summary.documents += 1;
                if documents.len() >= FACT_BATCH {
                    insert_documents(tx, ledger, &mut documents).await?;
                }
            }
            ExportRecord::Duplicate(d) => {
                duplicates.push(d);
                if duplicates.len() >= FACT_BATCH {
                    insert_duplicates(tx, ledger, &mut next_dup_id, &mut duplicates).await?;
                }
            }
            ExportRecord::Entry { entry, joins } => {
                // The database checks the links at COMMIT; checking the order here names the
                // record that breaks it.
                if entry.seq != last_seq + 1 {
                    return Err(bad(
                        record,
                        format!("entry seq {} after {last_seq}", entry.seq),
                    ));
                }
                last_seq = entry.seq;
                sink.verifier.push(&entry);
                sink.pending.push((entry, joins));
                summary.entries += 1;
                if sink.pending.len() >= ENTRY_BATCH {
                    sink.flush(tx).await?;
                }
            }
            ExportRecord::Finding(f) => {
                let body = json_text("finding", &f.finding)?;
                exec(
                    tx,
                    "import finding",
                    "INSERT INTO findings (ledger_id, finding_id, rule, first_seen_at,
                                           first_seen_run, body)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &ledger,
                        &f.finding.id,
                        &f.finding.rule,
                        &f.first_seen_at,
                        &f.first_seen_run,
                        &RawJson(&body),
                    ],
                )
                .await?;
                for (i, e) in f.events.iter().enumerate() {
                    let event_no = i32::try_from(i).unwrap_or(i32::MAX);
                    exec(
                        tx,
                        "import finding event",
                        "INSERT INTO finding_events (ledger_id, finding_id, event_no, run_id, at,
                                                     status)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            &ledger,
                            &f.finding.id,
                            &event_no,
                            &e.run_id,
                            &e.at,
                            &e.status.as_str(),
                        ],
                    )
                    .await?;
                }
            }
            ExportRecord::Proposal(p) => {
                let entries = json_text("proposal entries", &p.entries)?;
                exec(
                    tx,
                    "import proposal",
                    "INSERT INTO proposals (ledger_id, proposal_id, kind, reason, proposed_by,
                                            proposed_at, entries)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &ledger,
                        &p.id,
                        &p.kind.as_str(),
                        &p.reason,
                        &p.proposed_by,
                        &p.proposed_at,
                        &RawJson(&entries),
                    ],
                )
                .await?;
                let decision = match &p.status {
                    ProposalStatus::Open => None,
                    ProposalStatus::Approved { by, at, run_id } => {
                        Some(("approved", by, at, Some(*run_id), ""))
                    }
                    ProposalStatus::Rejected { by, at, reason } => {
                        Some(("rejected", by, at, None, reason.as_str()))
                    }
                };
                if let Some((decision, by, at, run_id, reason)) = decision {
                    exec(
                        tx,
                        "import proposal decision",
                        "INSERT INTO proposal_decisions (ledger_id, proposal_id, decision,
                                                         decided_by, decided_at, run_id, reason)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        &[&ledger, &p.id, &decision, by, at, &run_id, &reason],
                    )
                    .await?;
                }
            }
            ExportRecord::PeriodClose {
                through,
                actor,
                locked_at,
            } => closes.push((through, actor, locked_at)),
            ExportRecord::End {
                records,
                entries,
                head_hash,
            } => end = Some((records, entries, head_hash)),
        }
    }
    insert_lines(tx, ledger, &mut lines).await?;
    insert_documents(tx, ledger, &mut documents).await?;
    insert_duplicates(tx, ledger, &mut next_dup_id, &mut duplicates).await?;
    sink.flush(tx).await?;
    let Some((records, entries, head_hash)) = end else {
        return Err(bad(
            record,
            "a stream that ends without an end record (truncated?)",
        ));
    };
    // `record` is now one past the end record; the end record counts those before it.
    if records + 2 != record || entries != summary.entries {
        return Err(bad(
            record,
            format!(
                "an end record saying {records} records and {entries} entries after {} and {}",
                record.saturating_sub(2),
                summary.entries
            ),
        ));
    }
    let streamed = std::mem::replace(&mut sink.verifier, ChainVerifier::new(ledger)).finish();
    if let Some(b) = streamed.first_bad {
        return Err(bad(
            record,
            format!("a chain that breaks at entry {}: {}", b.seq, b.reason),
        ));
    }
    if streamed.head_hash != head_hash {
        return Err(bad(
            record,
            format!(
                "chain head {} where the end record says {head_hash}",
                streamed.head_hash
            ),
        ));
    }
    sink.write_deltas(tx).await?;
    // Every entry and posting is in: run the database's deferred entry checks now, before the
    // period closes exist (see the module docs).
    tx.batch_execute("SET CONSTRAINTS ALL IMMEDIATE")
        .await
        .map_err(|e| map_err("import ledger: check entries", e))?;
    for (through, actor, locked_at) in &closes {
        // The close's run: the close run that recorded this date (every store writes one).
        let run_id: Option<i64> = tx
            .query_opt(
                "SELECT run_id FROM runs
                  WHERE ledger_id = $1 AND kind = 'close' AND started_at <= $2
                  ORDER BY (details->>'closed_through') IS NOT DISTINCT FROM $3 DESC,
                           started_at DESC, run_id DESC
                  LIMIT 1",
                &[&ledger, locked_at, &through.format("%Y-%m-%d").to_string()],
            )
            .await
            .map_err(|e| map_err("import period close", e))?
            .map(|r| r.get(0));
        let run_id = run_id.ok_or_else(|| {
            bad(
                record,
                format!("a period close through {through} with no close run at or before it"),
            )
        })?;
        exec(
            tx,
            "import period close",
            "INSERT INTO period_locks (ledger_id, through_date, locked_at, actor, run_id)
             VALUES ($1, $2, $3, $4, $5)",
            &[&ledger, through, locked_at, actor, &run_id],
        )
        .await?;
    }

    // Verified after the move, inside the transaction: commit only a ledger that checks out.
    let c = tx.client();
    let mut verifier = ChainVerifier::new(ledger);
    let mut after = 0i64;
    loop {
        let page = read::entries(c, ledger, after, MAX_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            verifier.push(e);
        }
    }
    let report = verifier.finish();
    if let Some(b) = report.first_bad {
        return Err(StoreError::Corrupt(format!(
            "moved ledger {ledger} does not verify at entry {}: {}",
            b.seq, b.reason
        )));
    }
    if report.head_hash != head_hash {
        return Err(StoreError::Corrupt(format!(
            "moved ledger {ledger} ends at {} instead of the exported {head_hash}",
            report.head_hash
        )));
    }
    let off = tx
        .query_opt(
            "SELECT a.account_key, coalesce(d.s, 0), coalesce(p.s, 0)
               FROM accounts a
               LEFT JOIN (SELECT account_id, sum(debit - credit) AS s FROM account_day_deltas
                           WHERE ledger_id = $1 GROUP BY account_id) d USING (account_id)
               LEFT JOIN (SELECT account_id,
                                 sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) AS s
                            FROM postings WHERE ledger_id = $1 GROUP BY account_id) p
                      USING (account_id)
              WHERE a.ledger_id = $1 AND coalesce(d.s, 0) <> coalesce(p.s, 0)
              LIMIT 1",
            &[&ledger],
        )
        .await
        .map_err(|e| map_err("import ledger: check balances", e))?;
    if let Some(r) = off {
        let key: String = r.get(0);
        let agg: Decimal = r.get(1);
        let sum: Decimal = r.get(2);
        return Err(StoreError::Corrupt(format!(
            "moved ledger {ledger}: balance aggregate of {key} is {agg}, postings sum to {sum}"
        )));
    }
    summary.records = record - 1;
    summary.head_hash = report.head_hash;
    Ok(summary)
}
