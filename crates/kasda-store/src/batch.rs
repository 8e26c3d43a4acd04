//! The pure import pipeline: reader output → [`ImportBatch`].
//!
//! Statement files become statement records with one [`LineRecord`] per entry (natural key,
//! recon facts, and for booked lines the journal entry of the posting model); document files
//! become [`DocumentRecord`]s with their entries. Nothing here touches a store, so the same file
//! always yields the same batch — which is what makes imports idempotent and chains identical
//! across stores.

use std::collections::HashMap;

use chrono::NaiveDate;
use kasda_core::document::Document;
use kasda_core::money::Direction;
use kasda_core::posting::{self, AccountRole, PostingError};
use kasda_core::statement::{BankTxCode, Entry, EntryStatus, Statement, StatementFile};

use crate::{
    DocumentRecord, ImportBatch, LineFacts, LineRecord, SourceFile, StatementHeader,
    StatementRecord, MAX_DOCUMENTS_PER_IMPORT, MAX_LINES_PER_IMPORT, MAX_LINE_TEXT,
    MAX_STATEMENTS_PER_IMPORT,
};

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{file}: statement {statement} (line {line}): no account identifier (expected an IBAN or account number)")]
    NoAccount {
        file: String,
        statement: u32,
        line: u32,
    },
    #[error("{file}: line {line} (entry {index}): no credit/debit indicator")]
    NoDirection { file: String, line: u32, index: u32 },
    #[error("{file}: line {line} (entry {index}): no booking date, value date or statement date to book it on")]
    NoDate { file: String, line: u32, index: u32 },
    #[error("{file}: {what}: {found} exceeds the limit of {limit}")]
    TooMany {
        file: String,
        what: &'static str,
        limit: usize,
        found: usize,
    },
    #[error("{file}: {pos}: {source}")]
    Posting {
        file: String,
        pos: String,
        #[source]
        source: Box<PostingError>,
    },
}

fn too_many(
    file: &SourceFile,
    what: &'static str,
    found: usize,
    limit: usize,
) -> Result<(), BatchError> {
    if found > limit {
        return Err(BatchError::TooMany {
            file: file.name.clone(),
            what,
            limit,
            found,
        });
    }
    Ok(())
}

/// The bank's own reference of an entry: account-servicer reference, else entry reference,
/// else end-to-end id, else transaction id.
pub fn bank_ref(e: &Entry) -> Option<&str> {
    let r = &e.refs;
    [
        &r.account_servicer,
        &r.entry_ref,
        &r.end_to_end_id,
        &r.transaction_id,
    ]
    .into_iter()
    .flatten()
    .map(|s| s.trim())
    .find(|s| !s.is_empty())
}

fn tx_code_text(c: &BankTxCode) -> Option<String> {
    match (&c.domain, &c.family, &c.sub_family, &c.proprietary) {
        (Some(d), f, s, _) => Some(format!(
            "{d}/{}/{}",
            f.as_deref().unwrap_or("-"),
            s.as_deref().unwrap_or("-")
        )),
        (None, _, _, Some(p)) => Some(p.clone()),
        _ => None,
    }
}

/// Every free text of an entry joined by ` | `, cut at [`MAX_LINE_TEXT`] bytes on a character
/// boundary.
pub fn line_text(e: &Entry) -> String {
    let mut out = String::new();
    let parts = e.texts().chain(e.counterparty.name.as_deref());
    for t in parts {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" | ");
        }
        out.push_str(t);
        if out.len() >= MAX_LINE_TEXT {
            break;
        }
    }
    let mut end = out.len().min(MAX_LINE_TEXT);
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    out.truncate(end);
    out
}

fn statement_date(s: &Statement, sf: &StatementFile) -> Option<NaiveDate> {
    s.to.or(s.from)
        .or(s.created_at)
        .or(sf.created_at)
        .map(|t| t.date())
        .or_else(|| s.closing().and_then(|b| b.date))
}

/// Turns a read statement file into an import batch. `roles` says what each account number is
/// (RKUD, holding, OPD receiving, unregistered); it is asked once per statement.
pub fn build_import_batch(
    file: SourceFile,
    sf: &StatementFile,
    roles: &dyn Fn(&str) -> AccountRole,
) -> Result<ImportBatch, BatchError> {
    too_many(
        &file,
        "statements in one file",
        sf.statements.len(),
        MAX_STATEMENTS_PER_IMPORT,
    )?;
    let total_lines: usize = sf.statements.iter().map(|s| s.entries.len()).sum();
    too_many(
        &file,
        "statement lines in one file",
        total_lines,
        MAX_LINES_PER_IMPORT,
    )?;

    let mut statements = Vec::with_capacity(sf.statements.len());
    for (index, s) in sf.statements.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let account = s
            .account
            .key()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| BatchError::NoAccount {
                file: file.name.clone(),
                statement: index,
                line: s.pos.line,
            })?
            .to_string();
        let role = roles(&account);
        let currency = s.account.currency.unwrap_or_default();
        let fallback_date = statement_date(s, sf);

        // Occurrence of each (date, ref, amount, direction, status) among this statement's lines.
        type Identity<'a> = (
            NaiveDate,
            Option<&'a str>,
            rust_decimal::Decimal,
            Direction,
            EntryStatus,
        );
        let mut seen: HashMap<Identity, u32> = HashMap::new();
        let mut lines = Vec::with_capacity(s.entries.len());
        for e in &s.entries {
            let direction = e.direction.ok_or_else(|| BatchError::NoDirection {
                file: file.name.clone(),
                line: e.pos.line,
                index: e.pos.index,
            })?;
            let booking_date = e
                .booking_date
                .or(e.value_date)
                .or(fallback_date)
                .ok_or_else(|| BatchError::NoDate {
                    file: file.name.clone(),
                    line: e.pos.line,
                    index: e.pos.index,
                })?;
            let reference = bank_ref(e);
            let slot = seen
                .entry((booking_date, reference, e.amount, direction, e.status))
                .or_insert(0);
            let occurrence = *slot;
            *slot += 1;
            let mut natural_key = posting::statement_line_key(
                &account,
                booking_date,
                reference,
                e.amount,
                e.currency,
                direction,
                occurrence,
            );
            // A pending or info line must not take the key of the booked line the bank sends
            // later (camt.052 intraday pending, then camt.053 booked): that one has to post.
            match e.status {
                EntryStatus::Booked => {}
                EntryStatus::Pending => natural_key.push_str(":pending"),
                EntryStatus::Info => natural_key.push_str(":info"),
            }
            let position = format!("{}:{}", e.pos.line, e.pos.index);
            let text = line_text(e);
            let entry = if e.status == EntryStatus::Booked {
                posting::post_statement_line(
                    &account,
                    &role,
                    direction,
                    e.amount,
                    e.currency,
                    booking_date,
                    e.value_date.unwrap_or(booking_date),
                    &natural_key,
                    &position,
                    &text,
                )
                .map_err(|source| BatchError::Posting {
                    file: file.name.clone(),
                    pos: format!("line {} (entry {})", e.pos.line, e.pos.index),
                    source: Box::new(source),
                })?
            } else {
                None
            };
            lines.push(LineRecord {
                facts: LineFacts {
                    natural_key,
                    account: account.clone(),
                    statement_index: index,
                    pos: e.pos,
                    booking_date,
                    value_date: e.value_date,
                    booked_at: e.booked_at,
                    amount: e.amount,
                    currency: e.currency,
                    direction,
                    status: e.status,
                    reversal: e.reversal,
                    bank_ref: reference.map(str::to_string),
                    refs: e.refs.clone(),
                    bank_tx_code: tx_code_text(&e.bank_tx_code),
                    counterparty: e.counterparty.clone(),
                    text,
                    balance_after: e.balance_after,
                },
                entry,
            });
        }
        statements.push(StatementRecord {
            index,
            header: StatementHeader {
                account,
                kind: s.kind,
                statement_id: s.id.clone(),
                electronic_seq: s.electronic_seq.clone(),
                legal_seq: s.legal_seq.clone(),
                page: s.page,
                last_page: s.last_page,
                created_at: s.created_at,
                from: s.from,
                to: s.to,
                currency,
                opening: s.opening().cloned(),
                closing: s.closing().cloned(),
                balances: s.balances.clone(),
                totals: s.totals.clone(),
                line_count: u32::try_from(s.entries.len()).unwrap_or(u32::MAX),
                pos: s.pos,
            },
            lines,
        });
    }
    Ok(ImportBatch {
        file,
        statements,
        documents: Vec::new(),
    })
}

/// Turns read documents (with their 1-based row in the file) into an import batch: natural
/// key, filing date and the posting model's entry for each.
pub fn build_document_batch(
    file: SourceFile,
    docs: Vec<(u32, Document)>,
) -> Result<ImportBatch, BatchError> {
    too_many(
        &file,
        "documents in one file",
        docs.len(),
        MAX_DOCUMENTS_PER_IMPORT,
    )?;
    let mut documents = Vec::with_capacity(docs.len());
    for (i, (row, document)) in docs.into_iter().enumerate() {
        let entry = posting::post_document(&document, &format!("{row}:{i}")).map_err(|source| {
            BatchError::Posting {
                file: file.name.clone(),
                pos: format!("row {row}"),
                source: Box::new(source),
            }
        })?;
        documents.push(DocumentRecord {
            row,
            natural_key: document.natural_key(),
            date: posting::document_date(&document),
            document,
            entry,
        });
    }
    Ok(ImportBatch {
        file,
        statements: Vec::new(),
        documents,
    })
}

/// Moves every entry of the batch booked on or before `closed_through` to the first open day
/// (`closed_through + 1`), keeping its value date and natural key and saying so in its memo.
///
/// Stores refuse entries booked in a closed period ([`crate::StoreError::PeriodClosed`]); a
/// statement or receipt file that arrives after the close still has to be recorded, and
/// practice books such late facts in the open period. Callers decide: refuse the file, or call
/// this before [`crate::Store::import_file`]. Returns how many entries were moved. Facts (lines,
/// documents) keep their own dates; only the ledger booking moves.
pub fn rebook_into_open_period(batch: &mut ImportBatch, closed_through: NaiveDate) -> usize {
    let Some(first_open) = closed_through.succ_opt() else {
        return 0;
    };
    let entries = batch
        .statements
        .iter_mut()
        .flat_map(|s| s.lines.iter_mut().filter_map(|l| l.entry.as_mut()))
        .chain(batch.documents.iter_mut().filter_map(|d| d.entry.as_mut()));
    let mut moved = 0;
    for e in entries {
        if e.booked_on > closed_through {
            continue;
        }
        let note = format!(
            "[booked {} after the close through {}; originally {}] ",
            first_open.format("%Y-%m-%d"),
            closed_through.format("%Y-%m-%d"),
            e.booked_on.format("%Y-%m-%d")
        );
        let mut memo = note;
        memo.push_str(&e.memo);
        let mut end = memo.len().min(kasda_core::ledger::MAX_ENTRY_TEXT);
        while !memo.is_char_boundary(end) {
            end -= 1;
        }
        memo.truncate(end);
        e.memo = memo;
        e.booked_on = first_open;
        moved += 1;
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasda_core::money::Currency;
    use kasda_core::statement::{AccountId, References, SourcePos};
    use rust_decimal_macros::dec;

    fn file() -> SourceFile {
        SourceFile {
            name: "a.sta".into(),
            sha256: "a".repeat(64),
            size_bytes: 10,
            format: "mt940".into(),
            imported_by: "tester".into(),
        }
    }

    fn entry(
        line: u32,
        index: u32,
        amount: rust_decimal::Decimal,
        dir: Option<Direction>,
        r: Option<&str>,
    ) -> Entry {
        Entry {
            pos: SourcePos { line, index },
            amount,
            currency: Currency::IDR,
            direction: dir,
            booking_date: NaiveDate::from_ymd_opt(2026, 3, 2),
            refs: References {
                account_servicer: r.map(str::to_string),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn stmt(entries: Vec<Entry>) -> StatementFile {
        StatementFile {
            statements: vec![Statement {
                account: AccountId {
                    number: Some("001".into()),
                    ..Default::default()
                },
                entries,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn identical_lines_get_distinct_occurrences_and_pending_lines_no_entry() {
        let mut pending = entry(4, 2, dec!(7), Some(Direction::Debit), Some("P"));
        pending.status = EntryStatus::Pending;
        let sf = stmt(vec![
            entry(1, 0, dec!(10), Some(Direction::Credit), Some("R1")),
            entry(2, 1, dec!(10), Some(Direction::Credit), Some("R1")),
            pending,
        ]);
        let b = build_import_batch(file(), &sf, &|_| AccountRole::Rkud).unwrap();
        let lines = &b.statements[0].lines;
        assert_eq!(
            lines[0].facts.natural_key,
            "stmt:001:2026-03-02:R1:10.00:C:0"
        );
        assert_eq!(
            lines[1].facts.natural_key,
            "stmt:001:2026-03-02:R1:10.00:C:1"
        );
        assert!(lines[0].entry.is_some());
        assert_eq!(lines[0].entry.as_ref().unwrap().position, "1:0");
        assert!(
            lines[2].entry.is_none(),
            "pending lines are stored, not posted"
        );
        assert_eq!(
            lines[2].facts.natural_key,
            "stmt:001:2026-03-02:P:7.00:D:0:pending"
        );
        assert_eq!(b.statements[0].header.line_count, 3);
    }

    #[test]
    fn lines_without_direction_or_account_are_refused() {
        let sf = stmt(vec![entry(9, 0, dec!(1), None, None)]);
        let e = build_import_batch(file(), &sf, &|_| AccountRole::Rkud).unwrap_err();
        assert!(e.to_string().contains("line 9"), "{e}");
        let mut sf = stmt(vec![]);
        sf.statements[0].account.number = None;
        assert!(matches!(
            build_import_batch(file(), &sf, &|_| AccountRole::Rkud),
            Err(BatchError::NoAccount { .. })
        ));
        let mut undated = entry(3, 0, dec!(1), Some(Direction::Credit), None);
        undated.booking_date = None;
        let sf = stmt(vec![undated]);
        assert!(matches!(
            build_import_batch(file(), &sf, &|_| AccountRole::Rkud),
            Err(BatchError::NoDate { line: 3, .. })
        ));
    }

    #[test]
    fn late_entries_move_into_the_open_period() {
        let sf = stmt(vec![
            entry(1, 0, dec!(10), Some(Direction::Credit), Some("A")),
            entry(2, 1, dec!(5), Some(Direction::Debit), Some("B")),
        ]);
        let mut b = build_import_batch(file(), &sf, &|_| AccountRole::Rkud).unwrap();
        let before = b.clone();
        assert_eq!(
            rebook_into_open_period(&mut b, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            0
        );
        assert_eq!(b, before, "nothing before the close moves");
        let close = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(rebook_into_open_period(&mut b, close), 2);
        let e = b.statements[0].lines[0].entry.as_ref().unwrap();
        assert_eq!(e.booked_on, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(
            e.value_date,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            "value date kept"
        );
        assert_eq!(
            e.natural_key, before.statements[0].lines[0].facts.natural_key,
            "key kept"
        );
        assert!(e.memo.starts_with(
            "[booked 2026-04-01 after the close through 2026-03-31; originally 2026-03-02]"
        ));
        assert!(e.validate().is_ok());
        assert_eq!(
            b.statements[0].lines[0].facts.booking_date,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
    }

    #[test]
    fn texts_are_joined_and_bounded() {
        let mut e = entry(1, 0, dec!(1), Some(Direction::Credit), Some("REF"));
        e.remittance.unstructured = vec!["SETORAN PAJAK".into(), "x".repeat(10_000)];
        let t = line_text(&e);
        assert!(t.starts_with("REF | SETORAN PAJAK | x"));
        assert_eq!(t.len(), MAX_LINE_TEXT);
    }
}
