//! One file's import, inside the caller's single write transaction.
//!
//! The order of work is the trait's: the file row, then statement by statement its header and
//! lines (each new line's entry appended before the line row so the line can name its entry),
//! then the documents. A line or document whose natural key is already stored becomes a
//! `duplicates` row instead. Any error rolls the whole transaction back, so a file is either
//! fully recorded or not at all — including when the process is killed half way.

use kasda_core::document::Document;
use kasda_core::statement::EntryStatus;
use kasda_store::{
    same_line_content, DocKind, ImportBatch, ImportOutcome, LineFacts, RunInfo, RunKind,
    StoreError, MAX_LINE_TEXT,
};
use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::SqliteError;
use crate::read::{line_from_row, LINE_COLUMNS};
use crate::writer::{
    date_text, execute_from, to_minor, Appended, ChainWriter, EntryPreparer, PreparedEntry,
};
use crate::{insert_run, ledger_stamp, next_run_id, require_ledger};

fn status_text(s: EntryStatus) -> &'static str {
    match s {
        EntryStatus::Booked => "booked",
        EntryStatus::Pending => "pending",
        EntryStatus::Info => "info",
    }
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, SqliteError> {
    serde_json::to_string(v).map_err(|e| {
        SqliteError::Store(StoreError::InvalidInput {
            field: what.to_string(),
            expected: "a value that serializes to JSON".into(),
            found: e.to_string(),
        })
    })
}

/// A JSON object written member by member, each value through its own `Serialize` (so a value
/// reads the same as in a derived serialization), `None` members left out.
struct JsonObject {
    buf: Vec<u8>,
    first: bool,
}

impl JsonObject {
    fn open(buf: Vec<u8>) -> Self {
        let mut buf = buf;
        buf.push(b'{');
        JsonObject { buf, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        // Keys are Rust field names: nothing to escape.
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn field<T: serde::Serialize + ?Sized>(&mut self, key: &str, v: &T) -> serde_json::Result<()> {
        self.key(key);
        serde_json::to_writer(&mut self.buf, v)
    }

    fn opt<T: serde::Serialize>(&mut self, key: &str, v: &Option<T>) -> serde_json::Result<()> {
        match v {
            Some(v) => self.field(key, v),
            None => Ok(()),
        }
    }

    /// A nested object member.
    fn object(
        &mut self,
        key: &str,
        fill: impl FnOnce(&mut JsonObject) -> serde_json::Result<()>,
    ) -> serde_json::Result<()> {
        self.key(key);
        let mut inner = JsonObject::open(std::mem::take(&mut self.buf));
        fill(&mut inner)?;
        self.buf = inner.close();
        Ok(())
    }

    fn close(mut self) -> Vec<u8> {
        self.buf.push(b'}');
        self.buf
    }
}

/// The stored body of a line: the members of its facts that no column of `statement_lines` holds
/// (booking time, bank reference, references, bank transaction code, counterparty, balance
/// after, and the amount when it is written at another scale than its currency's, which the
/// minor-unit column cannot give back — as PostgreSQL's `linebody` does), as JSON with every `None` member and empty object left out (a missing member reads
/// back as `None`); `read::line_from_row` takes the rest from the columns. Before this, the body
/// repeated the key, text, dates and amount of its columns: 446 bytes for a typical line, now
/// about 100. Bodies written before are read the same way (their repeated members are ignored).
/// Written member by member rather than through a `serde_json::Value`, which cost a tenth of the
/// import's time; the destructuring below names every field, so a field added to the facts
/// fails to compile here instead of being dropped.
pub(crate) fn line_body(f: &LineFacts) -> Result<String, SqliteError> {
    let LineFacts {
        // Columns of the row.
        natural_key,
        account: _,
        statement_index: _,
        pos: _,
        booking_date: _,
        value_date: _,
        amount,
        currency,
        direction: _,
        status: _,
        reversal: _,
        text: _,
        // The body.
        booked_at,
        bank_ref,
        refs,
        bank_tx_code,
        counterparty,
        balance_after,
    } = f;
    let write = || -> serde_json::Result<Vec<u8>> {
        let mut o = JsonObject::open(Vec::with_capacity(256));
        if amount.scale() != currency.scale() {
            o.field("amount", amount)?;
        }
        o.opt("booked_at", booked_at)?;
        o.opt("bank_ref", bank_ref)?;
        if *refs != kasda_core::statement::References::default() {
            o.object("refs", |o| {
                let kasda_core::statement::References {
                    account_servicer,
                    entry_ref,
                    end_to_end_id,
                    instruction_id,
                    transaction_id,
                    message_id,
                    payment_info_id,
                    mandate_id,
                    cheque_number,
                    uetr,
                    customer_ref,
                } = refs;
                o.opt("account_servicer", account_servicer)?;
                o.opt("entry_ref", entry_ref)?;
                o.opt("end_to_end_id", end_to_end_id)?;
                o.opt("instruction_id", instruction_id)?;
                o.opt("transaction_id", transaction_id)?;
                o.opt("message_id", message_id)?;
                o.opt("payment_info_id", payment_info_id)?;
                o.opt("mandate_id", mandate_id)?;
                o.opt("cheque_number", cheque_number)?;
                o.opt("uetr", uetr)?;
                o.opt("customer_ref", customer_ref)
            })?;
        }
        o.opt("bank_tx_code", bank_tx_code)?;
        if *counterparty != kasda_core::statement::Party::default() {
            o.object("counterparty", |o| {
                let kasda_core::statement::Party {
                    name,
                    iban,
                    account,
                    agent_bic,
                    agent_name,
                    id,
                } = counterparty;
                o.opt("name", name)?;
                o.opt("iban", iban)?;
                o.opt("account", account)?;
                o.opt("agent_bic", agent_bic)?;
                o.opt("agent_name", agent_name)?;
                o.opt("id", id)
            })?;
        }
        o.opt("balance_after", balance_after)?;
        Ok(o.close())
    };
    let bytes = write().map_err(|e| {
        SqliteError::Store(StoreError::InvalidInput {
            field: format!("line {} facts", natural_key),
            expected: "facts that serialize to JSON".into(),
            found: e.to_string(),
        })
    })?;
    // serde_json writes UTF-8 only.
    String::from_utf8(bytes).map_err(|e| {
        SqliteError::Store(StoreError::InvalidInput {
            field: format!("line {} facts", natural_key),
            expected: "UTF-8 JSON".into(),
            found: e.to_string(),
        })
    })
}

/// Lookup fields of a document: (ntpd, kode billing, number, amount in minor units).
pub(crate) fn doc_fields(d: &Document) -> (Option<&str>, Option<&str>, Option<&str>, Option<i64>) {
    let idr = kasda_core::money::Currency::IDR;
    match d {
        Document::Receipt(r) => (
            Some(r.ntpd.as_str()),
            r.kode_billing.as_deref(),
            r.ntb.as_deref(),
            to_minor(r.total, idr),
        ),
        Document::Sts(s) => (None, None, Some(s.number.as_str()), to_minor(s.total, idr)),
        // The net is what the bank debits, so that is what a lookup by amount wants.
        Document::Sp2d(s) => (None, None, Some(s.number.as_str()), to_minor(s.net, idr)),
        Document::Bku(b) => (None, None, b.document.as_deref(), to_minor(b.amount, idr)),
    }
}

fn refuse_reversal(e: &kasda_core::ledger::JournalEntry) -> Result<(), SqliteError> {
    match e.reverses {
        None => Ok(()),
        Some(r) => Err(SqliteError::Store(StoreError::InvalidInput {
            field: format!("entry {}: reverses", e.natural_key),
            expected: "no reversal link in imported facts".into(),
            found: format!("{:?}", Some(r)),
        })),
    }
}

fn check_line(f: &LineFacts) -> Result<(), SqliteError> {
    // The label is written only for a line over the limit (a `format!` per line cost 1% of a
    // bulk import).
    if f.text.len() > MAX_LINE_TEXT {
        kasda_store::limit_check(
            &format!("line {} text length", f.natural_key),
            f.text.len(),
            MAX_LINE_TEXT,
        )?;
    }
    Ok(())
}

/// The natural keys of one file that may already be stored in a table: those a single range
/// read of the table's natural-key index finds, and those the file repeats (a later occurrence
/// meets the row its first one wrote). A key outside this set is certainly new, so its row skips
/// the lookup by key (two B-tree descents per statement line: the line's and its entry's); a key
/// inside goes through the lookup as before. When the key range holds far more stored rows than
/// the file has keys, the read stops and every key is looked up.
struct MaybeStored<'b> {
    keys: HashSet<&'b str>,
    all: bool,
}

impl<'b> MaybeStored<'b> {
    fn read(
        tx: &Transaction<'_>,
        select_range: &str,
        ledger: &str,
        keys: impl Iterator<Item = &'b str>,
    ) -> Result<Self, SqliteError> {
        let mut batch: HashSet<&'b str> = HashSet::new();
        let mut maybe: HashSet<&'b str> = HashSet::new();
        let mut range: Option<(&'b str, &'b str)> = None;
        for k in keys {
            if !batch.insert(k) {
                maybe.insert(k);
            }
            range = Some(match range {
                None => (k, k),
                Some((lo, hi)) => (lo.min(k), hi.max(k)),
            });
        }
        let Some((lo, hi)) = range else {
            return Ok(MaybeStored {
                keys: maybe,
                all: false,
            });
        };
        let limit = batch.len().saturating_mul(2).saturating_add(64);
        let mut stmt = tx.prepare_cached(select_range)?;
        let mut rows = stmt.query(params![
            ledger,
            lo,
            hi,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ])?;
        let mut seen = 0usize;
        while let Some(r) = rows.next()? {
            seen += 1;
            if let Ok(stored) = r.get_ref(0)?.as_str() {
                if let Some(k) = batch.get(stored) {
                    maybe.insert(k);
                }
            }
        }
        Ok(MaybeStored {
            keys: maybe,
            all: seen >= limit,
        })
    }

    fn may_hold(&self, key: &str) -> bool {
        self.all || self.keys.contains(key)
    }

    /// No key of the file can be stored already.
    fn none(&self) -> bool {
        !self.all && self.keys.is_empty()
    }
}

/// Lines a preparing thread hands to the SQLite thread at a time.
const PREPARED_CHUNK: usize = 512;
/// Chunks the preparing thread may be ahead by.
const PREPARED_AHEAD: usize = 8;

/// What a statement line's row needs besides its facts: worked out without the database, on the
/// import's second thread when the file holds no key that may already be stored.
struct PreparedLine {
    body: String,
    booking_date: String,
    value_date: Option<String>,
    amount: i64,
    entry: Option<PreparedEntry>,
}

fn line_amount(f: &LineFacts) -> Result<i64, SqliteError> {
    to_minor(f.amount, f.currency).ok_or_else(|| {
        SqliteError::Store(StoreError::InvalidInput {
            field: format!("line {} amount", f.natural_key),
            expected: format!("a non-negative amount within {} minor units", i64::MAX),
            found: f.amount.to_string(),
        })
    })
}

/// A new line's row values, and its entry's number and hash continuing `chain` (the entry first,
/// as the writer appends it before the line).
fn prepare_line(
    line: &kasda_store::LineRecord,
    chain: &mut EntryPreparer,
    sha: &str,
) -> Result<PreparedLine, SqliteError> {
    let entry = match &line.entry {
        Some(e) => Some(chain.prepare(e, Some(sha))?),
        None => None,
    };
    let f = &line.facts;
    Ok(PreparedLine {
        amount: line_amount(f)?,
        booking_date: date_text(f.booking_date),
        value_date: f.value_date.map(date_text),
        body: line_body(f)?,
        entry,
    })
}

/// Runs `prepare_line` over every line of `batch` in order (meant for a second thread), sending
/// the results in chunks; stops after the first error (sent last) or when the receiver is gone.
fn prepare_lines(
    batch: &ImportBatch,
    mut chain: EntryPreparer,
    sha: &str,
    send: std::sync::mpsc::SyncSender<Vec<Result<PreparedLine, SqliteError>>>,
) {
    let mut chunk = Vec::with_capacity(PREPARED_CHUNK);
    for line in batch.statements.iter().flat_map(|s| &s.lines) {
        let r = prepare_line(line, &mut chain, sha);
        let failed = r.is_err();
        chunk.push(r);
        if failed || chunk.len() == PREPARED_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(PREPARED_CHUNK));
            if send.send(full).is_err() || failed {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        // A receiver that is gone has stopped on an error of its own.
        let _ = send.send(chunk);
    }
}

pub(crate) fn import_file(
    tx: &Transaction<'_>,
    ledger: &str,
    batch: &ImportBatch,
) -> Result<ImportOutcome, SqliteError> {
    require_ledger(tx, ledger)?;
    let sha = batch.file.sha256.as_str();
    let first_run: Option<i64> = tx
        .query_row(
            "SELECT run_id FROM source_files WHERE ledger = ?1 AND sha256 = ?2",
            params![ledger, sha],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(run_id) = first_run {
        return Ok(ImportOutcome {
            run_id,
            file_already_imported: true,
            ..ImportOutcome::default()
        });
    }
    for s in &batch.statements {
        for l in &s.lines {
            check_line(&l.facts)?;
            if let Some(e) = &l.entry {
                refuse_reversal(e)?;
            }
        }
    }
    for d in &batch.documents {
        if let Some(e) = &d.entry {
            refuse_reversal(e)?;
        }
    }

    let stamp = ledger_stamp(tx, ledger)?;
    let run_id = next_run_id(tx, ledger)?;
    let mut out = ImportOutcome {
        run_id,
        ..ImportOutcome::default()
    };
    tx.execute(
        "INSERT INTO source_files (ledger, sha256, name, size, format, imported_at, imported_by, run_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ledger,
            sha,
            batch.file.name,
            i64::try_from(batch.file.size_bytes).unwrap_or(i64::MAX),
            batch.file.format,
            stamp,
            batch.file.imported_by,
            run_id
        ],
    )?;

    let mut w = ChainWriter::new(tx, ledger, run_id, stamp)?;
    let mut next_line_id: i64 = tx.query_row(
        "SELECT coalesce(max(line_id), 0) + 1 FROM statement_lines WHERE ledger = ?1",
        params![ledger],
        |r| r.get(0),
    )?;
    let mut next_doc_id: i64 = tx.query_row(
        "SELECT coalesce(max(doc_id), 0) + 1 FROM documents WHERE ledger = ?1",
        params![ledger],
        |r| r.get(0),
    )?;
    let mut next_dup_id: i64 = tx.query_row(
        "SELECT coalesce(max(dup_id), 0) + 1 FROM duplicates WHERE ledger = ?1",
        params![ledger],
        |r| r.get(0),
    )?;
    let mut insert_statement = tx.prepare_cached(
        "INSERT INTO statements (ledger, file_sha256, idx, run_id, account, statement_id, electronic_seq, legal_seq,
                                 page, from_at, to_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut find_line = tx.prepare_cached(&format!(
        "SELECT {LINE_COLUMNS} FROM statement_lines WHERE ledger = ?1 AND natural_key = ?2"
    ))?;
    let mut insert_line = tx.prepare_cached(
        "INSERT INTO statement_lines (ledger, line_id, natural_key, file_sha256, run_id, recorded_at, statement_idx,
                                      line, entry_index, account, booking_date, value_date, amount, currency,
                                      direction, status, reversal, text, body, entry_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )?;
    // The same for every line of this file: bound once (`execute_from` binds the rest).
    insert_line.raw_bind_parameter(1, ledger)?;
    insert_line.raw_bind_parameter(4, sha)?;
    insert_line.raw_bind_parameter(5, run_id)?;
    insert_line.raw_bind_parameter(6, stamp)?;
    let mut find_doc = tx.prepare_cached(
        "SELECT file_sha256, body FROM documents WHERE ledger = ?1 AND natural_key = ?2",
    )?;
    let mut insert_doc = tx.prepare_cached(
        "INSERT INTO documents (ledger, doc_id, kind, natural_key, file_sha256, run_id, recorded_at, row, date, body,
                                entry_seq, ntpd, kode_billing, number, amount)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    let mut insert_dup = tx.prepare_cached(
        "INSERT INTO duplicates (ledger, dup_id, what, natural_key, file_sha256, position, run_id, recorded_at,
                                 first_file_sha256, same_content, document)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;

    let lines = || batch.statements.iter().flat_map(|s| &s.lines);
    let stored_lines = MaybeStored::read(
        tx,
        "SELECT natural_key FROM statement_lines
          WHERE ledger = ?1 AND natural_key BETWEEN ?2 AND ?3 LIMIT ?4",
        ledger,
        lines().map(|l| l.facts.natural_key.as_str()),
    )?;
    let stored_entries = MaybeStored::read(
        tx,
        "SELECT natural_key FROM entries WHERE ledger = ?1 AND natural_key BETWEEN ?2 AND ?3 LIMIT ?4",
        ledger,
        lines().filter_map(|l| l.entry.as_ref().map(|e| e.natural_key.as_str())),
    )?;

    let append = |w: &mut ChainWriter<'_>,
                  e: &kasda_core::ledger::JournalEntry,
                  out: &mut ImportOutcome,
                  lookup: bool|
     -> Result<i64, SqliteError> {
        let appended = if lookup {
            w.append(e, Some(sha))?
        } else {
            w.append_unrecorded(e, Some(sha))?
        };
        match appended {
            Appended::New(seq) => {
                out.entries_appended += 1;
                out.first_seq.get_or_insert(seq);
                out.last_seq = Some(seq);
                Ok(seq)
            }
            Appended::Existing(seq) => {
                out.entries_duplicate += 1;
                Ok(seq)
            }
        }
    };

    let mut insert_header = |s: &kasda_store::StatementRecord| -> Result<(), SqliteError> {
        let h = &s.header;
        insert_statement.execute(params![
            ledger,
            sha,
            s.index,
            run_id,
            h.account,
            h.statement_id,
            h.electronic_seq,
            h.legal_seq,
            h.page,
            h.from.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            h.to.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            json("statement header", h)?
        ])?;
        Ok(())
    };
    let mut write_line = |line_id: i64,
                          f: &LineFacts,
                          p: &PreparedLine,
                          entry_seq: Option<i64>|
     -> Result<(), SqliteError> {
        insert_line.raw_bind_parameter(2, line_id)?;
        insert_line.raw_bind_parameter(3, &f.natural_key)?;
        execute_from(
            &mut insert_line,
            7,
            &[
                &f.statement_index,
                &f.pos.line,
                &f.pos.index,
                &f.account,
                &p.booking_date,
                &p.value_date,
                &p.amount,
                &f.currency.as_str(),
                &f.direction.as_str(),
                &status_text(f.status),
                &f.reversal,
                &f.text,
                &p.body,
                &entry_seq,
            ],
        )?;
        Ok(())
    };

    if stored_lines.none() && stored_entries.none() {
        // Every line and entry of the file is new, so each entry's number and chain hash are
        // known in advance: a second thread checks, hashes and encodes the lines (in order) while
        // this one only writes rows.
        let chain = w.preparer();
        std::thread::scope(|scope| -> Result<(), SqliteError> {
            let (send, recv) = std::sync::mpsc::sync_channel(PREPARED_AHEAD);
            scope.spawn(move || prepare_lines(batch, chain, sha, send));
            let mut prepared = recv.iter().flatten();
            for s in &batch.statements {
                insert_header(s)?;
                out.statements_new += 1;
                for line in &s.lines {
                    let mut p = prepared.next().ok_or_else(|| SqliteError::Refused {
                        message: format!(
                            "line {}: its prepared row is missing (the preparing thread stopped)",
                            line.facts.natural_key
                        ),
                    })??;
                    let entry_seq = match (&line.entry, p.entry.take()) {
                        (Some(e), Some(pe)) => {
                            let seq = w.append_prepared(e, Some(sha), pe)?;
                            out.entries_appended += 1;
                            out.first_seq.get_or_insert(seq);
                            out.last_seq = Some(seq);
                            Some(seq)
                        }
                        _ => None,
                    };
                    write_line(next_line_id, &line.facts, &p, entry_seq)?;
                    next_line_id += 1;
                    out.lines_new += 1;
                }
            }
            Ok(())
        })?;
    } else {
        for s in &batch.statements {
            insert_header(s)?;
            out.statements_new += 1;
            for line in &s.lines {
                let f = &line.facts;
                // The first line's file, and its facts unless its row does not read back.
                type Stored = (String, Option<LineFacts>);
                let stored: Option<Stored> = if stored_lines.may_hold(&f.natural_key) {
                    find_line
                        .query_row(params![ledger, f.natural_key], |r| {
                            let first = line_from_row(ledger, r).ok().map(|l| l.facts);
                            Ok((r.get(0)?, first))
                        })
                        .optional()?
                } else {
                    None
                };
                if let Some((first_sha, first)) = stored {
                    let same = first.is_some_and(|first| same_line_content(&first, f));
                    insert_dup.execute(params![
                        ledger,
                        next_dup_id,
                        "line",
                        f.natural_key,
                        sha,
                        format!("{}:{}", f.pos.line, f.pos.index),
                        run_id,
                        stamp,
                        first_sha,
                        same,
                        Option::<String>::None
                    ])?;
                    next_dup_id += 1;
                    out.lines_duplicate += 1;
                    continue;
                }
                let entry_seq = match &line.entry {
                    Some(e) => {
                        let lookup = stored_entries.may_hold(&e.natural_key);
                        Some(append(&mut w, e, &mut out, lookup)?)
                    }
                    None => None,
                };
                let p = PreparedLine {
                    amount: line_amount(f)?,
                    booking_date: date_text(f.booking_date),
                    value_date: f.value_date.map(date_text),
                    body: line_body(f)?,
                    entry: None,
                };
                write_line(next_line_id, f, &p, entry_seq)?;
                next_line_id += 1;
                out.lines_new += 1;
            }
        }
    }

    for d in &batch.documents {
        let body = json("document", &d.document)?;
        let stored: Option<(String, String)> = find_doc
            .query_row(params![ledger, d.natural_key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((first_sha, first_body)) = stored {
            let same = serde_json::from_str::<Document>(&first_body)
                .is_ok_and(|first| first == d.document);
            insert_dup.execute(params![
                ledger,
                next_dup_id,
                "document",
                d.natural_key,
                sha,
                format!("row {}", d.row),
                run_id,
                stamp,
                first_sha,
                same,
                Some(body)
            ])?;
            next_dup_id += 1;
            out.documents_duplicate += 1;
            continue;
        }
        let entry_seq = match &d.entry {
            Some(e) => Some(append(&mut w, e, &mut out, true)?),
            None => None,
        };
        let (ntpd, billing, number, amount) = doc_fields(&d.document);
        insert_doc.execute(params![
            ledger,
            next_doc_id,
            DocKind::of(&d.document).as_str(),
            d.natural_key,
            sha,
            run_id,
            stamp,
            d.row,
            date_text(d.date),
            body,
            entry_seq,
            ntpd,
            billing,
            number,
            amount
        ])?;
        next_doc_id += 1;
        out.documents_new += 1;
    }

    w.finish()?;
    let run = RunInfo {
        kind: RunKind::Import,
        actor: batch.file.imported_by.clone(),
        details: serde_json::json!({ "file": batch.file.name, "sha256": sha, "format": batch.file.format }),
    };
    insert_run(tx, ledger, run_id, &run, stamp)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use kasda_core::statement::{Party, References};
    use rust_decimal_macros::dec;

    /// The members of the derived serialization that `line_body` keeps (those no column holds),
    /// with every null and every empty object removed: what the body must equal as a JSON value.
    fn oracle(f: &LineFacts) -> serde_json::Value {
        const BODY: [&str; 6] = [
            "booked_at",
            "bank_ref",
            "refs",
            "bank_tx_code",
            "counterparty",
            "balance_after",
        ];
        fn strip(v: &mut serde_json::Value) {
            if let serde_json::Value::Object(m) = v {
                m.values_mut().for_each(strip);
                m.retain(|_, x| !x.is_null() && x.as_object().is_none_or(|o| !o.is_empty()));
            }
        }
        let mut v = serde_json::to_value(f).expect("serializes");
        let own_scale = f.amount.scale() != f.currency.scale();
        if let serde_json::Value::Object(m) = &mut v {
            m.retain(|k, _| BODY.contains(&k.as_str()) || (own_scale && k == "amount"));
        }
        strip(&mut v);
        v
    }

    #[test]
    fn line_body_holds_only_what_no_column_does_and_reads_back() {
        let batch = crate::synthetic::statement_batch(
            "t",
            "0012345678",
            2,
            NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
        );
        let sparse = batch.statements[0].lines[1].facts.clone();
        let s = |v: &str| Some(v.to_string());
        let full = LineFacts {
            booked_at: NaiveDate::from_ymd_opt(2026, 3, 2).and_then(|d| d.and_hms_opt(9, 30, 0)),
            balance_after: Some(dec!(1234.5)),
            bank_tx_code: s("PMNT/RCDT/ESCT"),
            refs: References {
                account_servicer: s("a"),
                entry_ref: s("b"),
                end_to_end_id: s("c"),
                instruction_id: s("d"),
                transaction_id: s("e"),
                message_id: s("f"),
                payment_info_id: s("g"),
                mandate_id: s("h"),
                cheque_number: s("i"),
                uetr: s("j"),
                customer_ref: s("NONREF"),
            },
            counterparty: Party {
                name: s("DINAS"),
                iban: s("ID00"),
                account: s("123"),
                agent_bic: s("BKKBIDJA"),
                agent_name: s("Bank"),
                id: s("x"),
            },
            ..sparse.clone()
        };
        let none = LineFacts {
            // At its currency's scale, so the column gives it back and the body need not.
            amount: {
                let mut a = sparse.amount;
                a.rescale(sparse.currency.scale());
                a
            },
            value_date: None,
            booked_at: None,
            bank_ref: None,
            bank_tx_code: None,
            refs: References::default(),
            counterparty: Party::default(),
            balance_after: None,
            ..sparse.clone()
        };
        let quoted = LineFacts {
            text: "say \"hi\" \\ tab\t, ünïcode, \u{1}".into(),
            ..full.clone()
        };
        let far = LineFacts {
            booking_date: NaiveDate::from_ymd_opt(10_000, 1, 1).expect("date"),
            value_date: NaiveDate::from_ymd_opt(-1, 12, 31),
            ..sparse.clone()
        };
        for f in [&sparse, &full, &none, &quoted, &far] {
            let compact = line_body(f).expect("serializes");
            assert!(!compact.contains("null"), "{compact}");
            let value: serde_json::Value = serde_json::from_str(&compact).expect("json");
            assert_eq!(value, oracle(f), "{compact}");
            assert!(!compact.contains(&f.natural_key), "{compact}");
        }
        // A line without the body's members stores an empty object.
        assert_eq!(line_body(&none).expect("serializes"), "{}");

        // Through the store: the facts read back from columns and body are the facts written.
        let mut store = crate::SqliteStore::open_memory().expect("store");
        kasda_store::Store::ensure_ledger(
            &mut store,
            &kasda_store::LedgerInfo {
                code: "t".into(),
                name: "T".into(),
            },
        )
        .expect("ledger");
        let mut written = batch.clone();
        written.statements[0].lines = [&sparse, &full, &none, &quoted, &far]
            .into_iter()
            .enumerate()
            .map(|(i, f)| kasda_store::LineRecord {
                facts: LineFacts {
                    natural_key: format!("{}:{i}", f.natural_key),
                    pos: kasda_core::statement::SourcePos {
                        line: 10 + i as u32,
                        index: i as u32,
                    },
                    ..f.clone()
                },
                entry: None,
            })
            .collect();
        kasda_store::Store::import_file(&mut store, "t", written.clone()).expect("import");
        let keys: Vec<String> = written.statements[0]
            .lines
            .iter()
            .map(|l| l.facts.natural_key.clone())
            .collect();
        let mut read = kasda_store::Store::lines_by_keys(&mut store, "t", &keys).expect("read");
        read.sort_by_key(|l| l.facts.pos.index);
        let facts: Vec<&LineFacts> = read.iter().map(|l| &l.facts).collect();
        let expected: Vec<&LineFacts> = written.statements[0]
            .lines
            .iter()
            .map(|l| &l.facts)
            .collect();
        assert_eq!(facts, expected);
        // Equal as text too: an amount keeps the scale it was written at (`10000` stays `10000`,
        // not `10000.00`), so an export of these lines is byte-identical to PostgreSQL's.
        assert_eq!(
            serde_json::to_string(&facts).expect("serializes"),
            serde_json::to_string(&expected).expect("serializes")
        );
        // A body written before this layout (every member, columns repeated) reads the same.
        let old = serde_json::to_string(&sparse).expect("serializes");
        let read: crate::read::LineBody = serde_json::from_str(&old).expect("old body");
        assert_eq!(
            (&read.bank_ref, &read.refs, &read.bank_tx_code),
            (&sparse.bank_ref, &sparse.refs, &sparse.bank_tx_code)
        );
    }
}
