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
use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::SqliteError;
use crate::writer::{date_text, to_minor, Appended, ChainWriter};
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

/// JSON of a line's facts with every null member left out: a missing member reads back as
/// `None`, so the stored body parses to the same facts while a line without counterparty or
/// extra references costs ~300 bytes less (a statement-line row then fits five to a page
/// instead of three). Nulls inside arrays are kept: there they hold a position.
pub(crate) fn compact_json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, SqliteError> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(v).map_err(|e| {
        SqliteError::Store(StoreError::InvalidInput {
            field: what.to_string(),
            expected: "a value that serializes to JSON".into(),
            found: e.to_string(),
        })
    })?;
    strip(&mut value);
    Ok(value.to_string())
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
    kasda_store::limit_check(
        &format!("line {} text length", f.natural_key),
        f.text.len(),
        MAX_LINE_TEXT,
    )?;
    Ok(())
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
    let mut find_line = tx.prepare_cached(
        "SELECT file_sha256, body FROM statement_lines WHERE ledger = ?1 AND natural_key = ?2",
    )?;
    let mut insert_line = tx.prepare_cached(
        "INSERT INTO statement_lines (ledger, line_id, natural_key, file_sha256, run_id, recorded_at, statement_idx,
                                      line, entry_index, account, booking_date, value_date, amount, currency,
                                      direction, status, reversal, text, body, entry_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    )?;
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

    let append = |w: &mut ChainWriter<'_>,
                  e: &kasda_core::ledger::JournalEntry,
                  out: &mut ImportOutcome|
     -> Result<i64, SqliteError> {
        match w.append(e, Some(sha))? {
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

    for s in &batch.statements {
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
        out.statements_new += 1;
        for line in &s.lines {
            let f = &line.facts;
            let stored: Option<(String, String)> = find_line
                .query_row(params![ledger, f.natural_key], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            if let Some((first_sha, body)) = stored {
                let same = serde_json::from_str::<LineFacts>(&body)
                    .is_ok_and(|first| same_line_content(&first, f));
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
                Some(e) => Some(append(&mut w, e, &mut out)?),
                None => None,
            };
            let amount = to_minor(f.amount, f.currency).ok_or_else(|| {
                SqliteError::Store(StoreError::InvalidInput {
                    field: format!("line {} amount", f.natural_key),
                    expected: format!("a non-negative amount within {} minor units", i64::MAX),
                    found: f.amount.to_string(),
                })
            })?;
            insert_line.execute(params![
                ledger,
                next_line_id,
                f.natural_key,
                sha,
                run_id,
                stamp,
                f.statement_index,
                f.pos.line,
                f.pos.index,
                f.account,
                date_text(f.booking_date),
                f.value_date.map(date_text),
                amount,
                f.currency.as_str(),
                f.direction.as_str(),
                status_text(f.status),
                f.reversal,
                f.text,
                compact_json("statement line", f)?,
                entry_seq
            ])?;
            next_line_id += 1;
            out.lines_new += 1;
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
            Some(e) => Some(append(&mut w, e, &mut out)?),
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

    fn parse(body: &str) -> LineFacts {
        serde_json::from_str(body).expect("compact body parses")
    }

    #[test]
    fn compact_line_body_reads_back_the_same_facts() {
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
            value_date: None,
            booked_at: None,
            bank_ref: None,
            bank_tx_code: None,
            refs: References::default(),
            counterparty: Party::default(),
            balance_after: None,
            ..sparse.clone()
        };
        for f in [&sparse, &full, &none] {
            let compact = compact_json("line", f).expect("serializes");
            assert!(!compact.contains("null"), "{compact}");
            assert_eq!(&parse(&compact), f);
            assert!(compact.len() <= json("line", f).expect("serializes").len());
        }
        // The body of a sparse line is much smaller than with its null members.
        let before = json("line", &none).expect("serializes").len();
        let after = compact_json("line", &none).expect("serializes").len();
        assert!(after + 250 < before, "{after} vs {before}");
    }
}
