//! Moving a whole ledger between stores (`kasda db export --to …`): the SQLite side of the
//! store-neutral stream defined in [`kasda_store::export`] (re-exported here).
//!
//! Importing writes the whole ledger in ONE transaction into a ledger that must not exist yet
//! (or exist empty), keeps every sequence number, hash, run id and time stamp, then recomputes
//! the hash chain and the balance aggregates inside the same transaction and commits only if
//! both check out. The ledger code is part of every hash, so a ledger keeps its code when moved.

use std::io::{BufRead, Read, Write};

use kasda_core::ledger::ChainVerifier;
use kasda_store::{DocKind, DuplicateKind, LedgerInfo, ProposalStatus};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::error::SqliteError;
use crate::read;
use crate::writer::{date_text, to_minor, ChainWriter};
use crate::{time_from_us, workflow, SqliteStore};

pub use kasda_store::export::{
    ExportRecord, TransferSummary, EXPORT_FORMAT, EXPORT_VERSION, MAX_RECORD_BYTES,
};

/// Rows read per page while exporting.
const PAGE: usize = 10_000;

fn io_err(what: &str) -> impl Fn(std::io::Error) -> SqliteError + '_ {
    move |source| SqliteError::Io {
        what: what.to_string(),
        source,
    }
}

struct RecordWriter<'w, W: Write> {
    out: &'w mut W,
    records: u64,
}

impl<W: Write> RecordWriter<'_, W> {
    fn put(&mut self, r: &ExportRecord) -> Result<(), SqliteError> {
        serde_json::to_writer(&mut *self.out, r).map_err(|e| SqliteError::Export {
            record: self.records + 1,
            message: format!("cannot write record: {e}"),
        })?;
        self.out.write_all(b"\n").map_err(io_err("export stream"))?;
        self.records += 1;
        Ok(())
    }
}

impl SqliteStore {
    /// Writes ledger `ledger` to `out` as an export stream, from one consistent snapshot.
    pub fn export_ledger<W: Write>(
        &mut self,
        ledger: &str,
        out: &mut W,
    ) -> Result<TransferSummary, SqliteError> {
        self.read(|tx| export_in_tx(tx, ledger, out))
    }

    /// Reads an export stream and recreates its ledger here (see the module docs). Returns what
    /// was moved; on any error nothing is written.
    pub fn import_ledger<R: BufRead>(&mut self, input: R) -> Result<TransferSummary, SqliteError> {
        self.write(|tx| import_in_tx(tx, input))
    }
}

fn export_in_tx<W: Write>(
    tx: &Transaction<'_>,
    ledger: &str,
    out: &mut W,
) -> Result<TransferSummary, SqliteError> {
    let name: String = tx
        .query_row(
            "SELECT name FROM ledgers WHERE ledger = ?1",
            params![ledger],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| SqliteError::NoLedger {
            ledger: ledger.to_string(),
        })?;
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
    for r in read::runs(tx, ledger, None)? {
        w.put(&ExportRecord::Run(r))?;
    }
    for f in read::files(tx, ledger, None)? {
        w.put(&ExportRecord::File(f))?;
    }
    // Statements in insertion order, so the target assigns the same order.
    for s in read::statements(tx, ledger, None)?
        .into_iter()
        .map(|s| ((s.run_id, s.index), s))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_values()
    {
        w.put(&ExportRecord::Statement(s))?;
    }
    let mut after = 0i64;
    loop {
        let page = read::lines_page(tx, ledger, after, PAGE)?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, l) in page {
            summary.lines += 1;
            w.put(&ExportRecord::Line(l))?;
        }
    }
    let mut after = 0i64;
    loop {
        let page = read::documents_page(tx, ledger, after, PAGE)?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        for (_, d) in page {
            summary.documents += 1;
            w.put(&ExportRecord::Document(d))?;
        }
    }
    for d in read::duplicates_in_order(tx, ledger)? {
        w.put(&ExportRecord::Duplicate(d))?;
    }
    let mut verifier = ChainVerifier::new(ledger);
    let mut after = 0i64;
    loop {
        let page = read::entries(tx, ledger, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let seqs: Vec<i64> = page.iter().map(|e| e.seq).collect();
        let mut joins = read::entry_joins(tx, ledger, &seqs)?.into_iter().peekable();
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
    for f in workflow::findings(tx, ledger, false)? {
        w.put(&ExportRecord::Finding(f))?;
    }
    for p in workflow::proposals(tx, ledger, false)? {
        w.put(&ExportRecord::Proposal(p))?;
    }
    let mut stmt = tx.prepare("SELECT through_date, actor, locked_at FROM period_locks WHERE ledger = ?1 ORDER BY through_date")?;
    let locks = stmt
        .query_map(params![ledger], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (through, actor, at) in locks {
        w.put(&ExportRecord::PeriodClose {
            through: read::parse_date("period_locks", ledger, &through, "through_date", &through)?,
            actor,
            locked_at: time_from_us(at),
        })?;
    }
    // Refuse to export a chain that does not verify: the target would refuse it anyway, and
    // the operator should learn it from the source.
    let report = verifier.finish();
    if let Some(bad) = report.first_bad {
        return Err(SqliteError::Export {
            record: w.records,
            message: format!(
                "ledger {ledger} does not verify at entry {}: {}",
                bad.seq, bad.reason
            ),
        });
    }
    summary.head_hash = report.head_hash.clone();
    let records = w.records;
    w.put(&ExportRecord::End {
        records,
        entries: summary.entries,
        head_hash: report.head_hash,
    })?;
    w.out.flush().map_err(io_err("export stream"))?;
    summary.records = w.records;
    Ok(summary)
}

/// Reads one line of at most [`MAX_RECORD_BYTES`]; `None` at end of input.
fn next_line<R: BufRead>(
    input: &mut R,
    record: u64,
    buf: &mut Vec<u8>,
) -> Result<Option<()>, SqliteError> {
    buf.clear();
    let limit = MAX_RECORD_BYTES as u64 + 1;
    let n = input
        .by_ref()
        .take(limit)
        .read_until(b'\n', buf)
        .map_err(io_err("import stream"))?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_RECORD_BYTES {
        return Err(SqliteError::Export {
            record,
            message: format!("record is longer than the limit of {MAX_RECORD_BYTES} bytes"),
        });
    }
    Ok(Some(()))
}

fn import_in_tx<R: BufRead>(
    tx: &Transaction<'_>,
    mut input: R,
) -> Result<TransferSummary, SqliteError> {
    let mut buf = Vec::new();
    let mut record = 0u64;
    let bad = |record: u64, message: String| SqliteError::Export { record, message };

    // Header.
    record += 1;
    if next_line(&mut input, record, &mut buf)?.is_none() {
        return Err(bad(record, "empty stream: expected a header record".into()));
    }
    let header: ExportRecord =
        serde_json::from_slice(&buf).map_err(|e| bad(record, format!("invalid header: {e}")))?;
    let ExportRecord::Header {
        format,
        version,
        ledger: info,
    } = header
    else {
        return Err(bad(record, "first record is not a header".into()));
    };
    if format != EXPORT_FORMAT || version != EXPORT_VERSION {
        return Err(bad(
            record,
            format!("format {format:?} version {version}: expected {EXPORT_FORMAT:?} version {EXPORT_VERSION}"),
        ));
    }
    kasda_store::validate_ledger_code(&info.code)?;
    let ledger = info.code.as_str();
    let existing: Option<String> = tx
        .query_row(
            "SELECT name FROM ledgers WHERE ledger = ?1",
            params![ledger],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        None => {
            tx.execute(
                "INSERT INTO ledgers (ledger, name, created_at) VALUES (?1, ?2, ?3)",
                params![ledger, info.name, crate::now_us()],
            )?;
        }
        Some(_) => {
            let used: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM runs WHERE ledger = ?1) + (SELECT count(*) FROM entries WHERE ledger = ?1)
                      + (SELECT count(*) FROM proposals WHERE ledger = ?1)",
                params![ledger],
                |r| r.get(0),
            )?;
            if used > 0 {
                return Err(bad(record, format!("ledger {ledger} already holds data here; a ledger can only be moved into an empty one")));
            }
        }
    }

    let mut w = ChainWriter::new(tx, ledger, 0, 0)?;
    let mut summary = TransferSummary {
        ledger: ledger.to_string(),
        ..TransferSummary::default()
    };
    let mut next_line_id = 1i64;
    let mut next_doc_id = 1i64;
    let mut next_dup_id = 1i64;
    let mut end: Option<(u64, u64, String)> = None;
    let mut runs = Vec::new();
    let mut locks = Vec::new();
    loop {
        record += 1;
        if next_line(&mut input, record, &mut buf)?.is_none() {
            break;
        }
        if end.is_some() {
            return Err(bad(record, "data after the end record".into()));
        }
        let r: ExportRecord = serde_json::from_slice(&buf)
            .map_err(|e| bad(record, format!("invalid record: {e}")))?;
        match r {
            ExportRecord::Header { .. } => return Err(bad(record, "a second header".into())),
            // A run row seals the run's entries (schema 0005), so runs go in after every entry,
            // and the period locks after the runs (an entry recorded before its period was
            // closed is checked against the locks of its own time).
            ExportRecord::Run(run) => runs.push(run),
            ExportRecord::File(f) => {
                tx.execute(
                    "INSERT INTO source_files (ledger, sha256, name, size, format, imported_at, imported_by, run_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        ledger,
                        f.file.sha256,
                        f.file.name,
                        i64::try_from(f.file.size_bytes).unwrap_or(i64::MAX),
                        f.file.format,
                        f.imported_at.timestamp_micros(),
                        f.file.imported_by,
                        f.run_id
                    ],
                )?;
            }
            ExportRecord::Statement(s) => {
                let h = &s.header;
                tx.execute(
                    "INSERT INTO statements (ledger, file_sha256, idx, run_id, account, statement_id, electronic_seq,
                                             legal_seq, page, from_at, to_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    params![
                        ledger,
                        s.file_sha256,
                        s.index,
                        s.run_id,
                        h.account,
                        h.statement_id,
                        h.electronic_seq,
                        h.legal_seq,
                        h.page,
                        h.from.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
                        h.to.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
                        to_json(record, h)?
                    ],
                )?;
            }
            ExportRecord::Line(l) => {
                let f = &l.facts;
                let amount = to_minor(f.amount, f.currency)
                    .ok_or_else(|| bad(record, format!("line amount {} out of range", f.amount)))?;
                tx.prepare_cached(
                    "INSERT INTO statement_lines (ledger, line_id, natural_key, file_sha256, run_id, recorded_at,
                        statement_idx, line, entry_index, account, booking_date, value_date, amount, currency,
                        direction, status, reversal, text, body, entry_seq)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                )?
                .execute(params![
                    ledger,
                    next_line_id,
                    f.natural_key,
                    l.file_sha256,
                    l.run_id,
                    l.recorded_at.timestamp_micros(),
                    f.statement_index,
                    f.pos.line,
                    f.pos.index,
                    f.account,
                    date_text(f.booking_date),
                    f.value_date.map(date_text),
                    amount,
                    f.currency.as_str(),
                    f.direction.as_str(),
                    match f.status {
                        kasda_core::statement::EntryStatus::Booked => "booked",
                        kasda_core::statement::EntryStatus::Pending => "pending",
                        kasda_core::statement::EntryStatus::Info => "info",
                    },
                    f.reversal,
                    f.text,
                    to_json(record, f)?,
                    l.entry_seq
                ])?;
                next_line_id += 1;
                summary.lines += 1;
            }
            ExportRecord::Document(d) => {
                let (ntpd, billing, number, amount) = crate::import::doc_fields(&d.document);
                tx.prepare_cached(
                    "INSERT INTO documents (ledger, doc_id, kind, natural_key, file_sha256, run_id, recorded_at, row,
                        date, body, entry_seq, ntpd, kode_billing, number, amount)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )?
                .execute(params![
                    ledger,
                    next_doc_id,
                    DocKind::of(&d.document).as_str(),
                    d.natural_key,
                    d.file_sha256,
                    d.run_id,
                    d.recorded_at.timestamp_micros(),
                    d.row,
                    date_text(d.date),
                    to_json(record, &d.document)?,
                    d.entry_seq,
                    ntpd,
                    billing,
                    number,
                    amount
                ])?;
                next_doc_id += 1;
                summary.documents += 1;
            }
            ExportRecord::Duplicate(d) => {
                let document = match &d.document {
                    Some(doc) => Some(to_json(record, doc)?),
                    None => None,
                };
                tx.prepare_cached(
                    "INSERT INTO duplicates (ledger, dup_id, what, natural_key, file_sha256, position, run_id,
                        recorded_at, first_file_sha256, same_content, document)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![
                    ledger,
                    next_dup_id,
                    match d.kind {
                        DuplicateKind::Line => "line",
                        DuplicateKind::Document => "document",
                    },
                    d.natural_key,
                    d.file_sha256,
                    d.pos,
                    d.run_id,
                    d.recorded_at.timestamp_micros(),
                    d.first_file_sha256,
                    d.same_content,
                    document
                ])?;
                next_dup_id += 1;
            }
            ExportRecord::Entry { entry, joins } => {
                w.append_stored(&entry)?;
                w.insert_joins(entry.seq, &joins)?;
                summary.entries += 1;
            }
            ExportRecord::Finding(f) => {
                tx.execute(
                    "INSERT INTO findings (ledger, finding_key, rule, first_seen, first_run, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        ledger,
                        f.finding.id,
                        f.finding.rule,
                        f.first_seen_at.timestamp_micros(),
                        f.first_seen_run,
                        to_json(record, &f.finding)?
                    ],
                )?;
                for (idx, e) in f.events.iter().enumerate() {
                    tx.execute(
                        "INSERT INTO finding_events (ledger, finding_key, event_idx, status, at, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![ledger, f.finding.id, idx as i64, e.status.as_str(), e.at.timestamp_micros(), e.run_id],
                    )?;
                }
            }
            ExportRecord::Proposal(p) => {
                tx.execute(
                    "INSERT INTO proposals (ledger, proposal_id, kind, proposer, proposed_at, reason, entries)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        ledger,
                        p.id,
                        p.kind.as_str(),
                        p.proposed_by,
                        p.proposed_at.timestamp_micros(),
                        p.reason,
                        to_json(record, &p.entries)?
                    ],
                )?;
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
                    tx.execute(
                        "INSERT INTO approvals (ledger, proposal_id, decision, approver, decided_at, run_id, reason)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![ledger, p.id, decision, by, at.timestamp_micros(), run_id, reason],
                    )?;
                }
            }
            ExportRecord::PeriodClose {
                through,
                actor,
                locked_at,
            } => locks.push((through, actor, locked_at)),
            ExportRecord::End {
                records,
                entries,
                head_hash,
            } => {
                end = Some((records, entries, head_hash));
            }
        }
    }
    let Some((records, entries, head_hash)) = end else {
        return Err(bad(
            record,
            "stream ended without an end record (truncated?)".into(),
        ));
    };
    // `record` is now one past the end record; the end record counts those before it.
    if records + 2 != record || entries != summary.entries {
        return Err(bad(
            record,
            format!(
                "end record says {records} records and {entries} entries; the stream held {} and {}",
                record.saturating_sub(2),
                summary.entries
            ),
        ));
    }
    let (_, moved_head) = w.finish()?;
    for run in runs {
        tx.execute(
            "INSERT INTO runs (ledger, run_id, kind, actor, started_at, finished_at, details)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            params![
                ledger,
                run.run_id,
                run.kind.as_str(),
                run.actor,
                run.started_at.timestamp_micros(),
                run.details.to_string()
            ],
        )?;
    }
    for (through, actor, locked_at) in locks {
        tx.execute(
            "INSERT INTO period_locks (ledger, through_date, locked_at, actor, reason) VALUES (?1, ?2, ?3, ?4, '')",
            params![ledger, date_text(through), locked_at.timestamp_micros(), actor],
        )?;
    }
    if moved_head != head_hash {
        return Err(bad(
            record,
            format!("chain head {moved_head} differs from the exported {head_hash}"),
        ));
    }
    // Verified after the move, inside the transaction: commit only a ledger that checks out.
    let mut verifier = ChainVerifier::new(ledger);
    let mut after = 0i64;
    loop {
        let page = read::entries(tx, ledger, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            verifier.push(e);
        }
    }
    let report = verifier.finish();
    if let Some(f) = report.first_bad {
        return Err(bad(
            record,
            format!(
                "moved ledger does not verify at entry {}: {}",
                f.seq, f.reason
            ),
        ));
    }
    if let Some(diff) = read::check_aggregates(tx, ledger)? {
        return Err(bad(
            record,
            format!("balance aggregates do not match the postings: {diff}"),
        ));
    }
    summary.records = record - 1;
    summary.head_hash = report.head_hash;
    Ok(summary)
}

fn to_json<T: Serialize>(record: u64, v: &T) -> Result<String, SqliteError> {
    serde_json::to_string(v).map_err(|e| SqliteError::Export {
        record,
        message: format!("cannot encode: {e}"),
    })
}
