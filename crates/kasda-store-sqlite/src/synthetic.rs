//! Deterministic synthetic import batches: a bank statement of `n` lines on one RKUD account,
//! half credits and half debits, each with its posting-model entry. Used by the crash test
//! binary, this crate's tests and the bulk-import benchmark; the same arguments always give the
//! same batch (and so the same chain).

use chrono::{Duration, NaiveDate};
use kasda_core::document::{Channel, Document};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_core::money::{Currency, Direction};
use kasda_core::statement::{EntryStatus, Party, References, SourcePos, StatementKind};
use kasda_store::{
    conformance, FindingInput, FindingStatus, ImportBatch, LedgerInfo, LineFacts, LineRecord,
    NewEntry, NewProposal, ProposalKind, RunInfo, RunKind, SourceFile, StatementHeader,
    StatementRecord, Store, StoreError,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// The postings of `batch` as plain rows `(seq, index, account, side, minor units)`: what the
/// bulk-import benchmark's bare insert loop writes, the baseline the store's import is set against.
pub fn bare_posting_rows(batch: &ImportBatch) -> Vec<(i64, i64, String, &'static str, i64)> {
    batch
        .statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .enumerate()
        .flat_map(|(seq, e)| {
            e.postings.iter().enumerate().map(move |(idx, p)| {
                let minor = crate::writer::to_minor(p.amount, p.currency).unwrap_or(0);
                (
                    seq as i64 + 1,
                    idx as i64,
                    p.account.to_string(),
                    p.side.as_str(),
                    minor,
                )
            })
        })
        .collect()
}

/// A statement batch of `lines` lines for `account`, starting on `start`, one booking day per
/// 1,000 lines. `tag` makes the file (and its sha256) distinct; line keys depend only on the
/// account, date, reference and amount, so two tags over the same range overlap completely.
pub fn statement_batch(tag: &str, account: &str, lines: usize, start: NaiveDate) -> ImportBatch {
    let sha256 = hex::encode(Sha256::digest(
        format!("kasda-synthetic:{tag}:{account}:{lines}:{start}").as_bytes(),
    ));
    let kas = AccountKey::new(AccountKind::KasDaerah, account);
    let suspense_in = AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, account);
    let suspense_out = AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, account);
    let mut records = Vec::with_capacity(lines);
    for i in 0..lines {
        let day = start + Duration::days((i / 1000) as i64);
        // Whole rupiah, varied, never zero.
        let amount = Decimal::from(10_000 + (i as i64 * 7_919) % 5_000_000);
        let direction = if i % 2 == 0 {
            Direction::Credit
        } else {
            Direction::Debit
        };
        let bank_ref = format!("REF{i:09}");
        let natural_key = format!(
            "stmt:{account}:{day}:{bank_ref}:{amount}:{}:0",
            direction.as_str()
        );
        let line_no = u32::try_from(i + 2).unwrap_or(u32::MAX);
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let postings = match direction {
            Direction::Credit => vec![
                Posting::debit(kas.clone(), amount),
                Posting::credit(suspense_in.clone(), amount),
            ],
            Direction::Debit => vec![
                Posting::debit(suspense_out.clone(), amount),
                Posting::credit(kas.clone(), amount),
            ],
        };
        let entry = JournalEntry {
            kind: EntryKind::StatementLine,
            booked_on: day,
            value_date: day,
            natural_key: natural_key.clone(),
            position: format!("{line_no}:{index}"),
            memo: format!("synthetic {}", direction.as_str()),
            reverses: None,
            postings,
        };
        records.push(LineRecord {
            facts: LineFacts {
                natural_key,
                account: account.to_string(),
                statement_index: 0,
                pos: SourcePos {
                    line: line_no,
                    index,
                },
                booking_date: day,
                value_date: Some(day),
                booked_at: None,
                amount,
                currency: Currency::IDR,
                direction,
                status: EntryStatus::Booked,
                reversal: false,
                bank_ref: Some(bank_ref.clone()),
                refs: References {
                    account_servicer: Some(bank_ref.clone()),
                    ..References::default()
                },
                bank_tx_code: Some("PMNT/RCDT/ESCT".into()),
                counterparty: Party::default(),
                text: format!("{bank_ref} | synthetic line {i}"),
                balance_after: None,
            },
            entry: Some(entry),
        });
    }
    let end = start + Duration::days((lines.saturating_sub(1) / 1000) as i64);
    ImportBatch {
        file: SourceFile {
            name: format!("{tag}.synthetic"),
            sha256,
            size_bytes: (lines as u64) * 120,
            format: "synthetic".into(),
            imported_by: "kasda-synthetic".into(),
        },
        statements: vec![StatementRecord {
            index: 0,
            header: StatementHeader {
                account: account.to_string(),
                kind: StatementKind::Statement,
                statement_id: Some(tag.to_string()),
                electronic_seq: Some("1".into()),
                legal_seq: None,
                page: Some(1),
                last_page: Some(true),
                created_at: None,
                from: start.and_hms_opt(0, 0, 0),
                to: end.and_hms_opt(23, 59, 59),
                currency: Currency::IDR,
                opening: None,
                closing: None,
                balances: Vec::new(),
                totals: None,
                line_count: u32::try_from(lines).unwrap_or(u32::MAX),
                pos: SourcePos { line: 1, index: 0 },
            },
            lines: records,
        }],
        documents: Vec::new(),
    }
}

/// A manual match entry: debit the unidentified-credit suspense of account `0011223344`,
/// credit revenue, on day `d` of March 2026 (the conformance suite's calendar).
pub fn manual_match(key: &str, d: u32, amount: Decimal) -> JournalEntry {
    JournalEntry::new(
        EntryKind::Match,
        conformance::day(d),
        conformance::day(d),
        key,
        "",
        "manual match",
        None,
        vec![
            Posting::debit(
                AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "0011223344"),
                amount,
            ),
            Posting::credit(
                AccountKey::new(AccountKind::PendapatanLra, "4.1.01.15.01.0001"),
                amount,
            ),
        ],
    )
    .expect("a two-posting match of one positive amount balances")
}

fn sample_finding(id: &str, status: FindingStatus) -> FindingInput {
    FindingInput {
        id: id.into(),
        rule: "unidentified_credit".into(),
        severity: "medium".into(),
        status,
        summary: format!("finding {id}"),
        amount: Some(Decimal::new(1_500_000, 0)),
        as_of: conformance::day(20),
        details: serde_json::json!({ "keys": ["a", "b"] }),
    }
}

/// Fills `ledger` of `s` with every kind of row the schemas hold, for the export tests of both
/// stores: overlapping statements (duplicate lines), documents with a changed duplicate, a
/// derived entry with joins, findings with history, approved (a reversal), rejected and open
/// proposals, a period close (through day 9) and an entry booked after it.
pub fn populate_every_kind<S: Store + ?Sized>(s: &mut S, ledger: &str) -> Result<(), StoreError> {
    use conformance::{bku, day, document_batch, receipt, sp2d, sts};
    s.ensure_ledger(&LedgerInfo {
        code: ledger.into(),
        name: "Pemerintah Kabupaten Serang".into(),
    })?;
    s.import_file(ledger, statement_batch("a", "0011223344", 120, day(2)))?;
    s.import_file(ledger, statement_batch("b", "0011223344", 150, day(2)))?;
    let r1 = receipt("NTPD001", Channel::Qris, "4.1.01.15.01.0001", 250_000, 3);
    let docs = vec![
        Document::Receipt(r1.clone()),
        Document::Sts(sts("STS/001", "1.02.01", "4.1.02.01.01.0001", 75_000, 4)),
        Document::Sp2d(sp2d("0280/LS-GJ/2026", 5_000_000, 5)),
        Document::Bku(bku(1, 75_000, 4)),
    ];
    s.import_file(ledger, document_batch("docs1", docs))?;
    let mut changed = r1;
    let new_total = Decimal::new(260_000, 0);
    changed.total = new_total;
    changed.pokok = new_total;
    changed.lines[0].amount = new_total;
    s.import_file(
        ledger,
        document_batch("docs2", vec![Document::Receipt(changed)]),
    )?;
    let out = s.append_entries(
        ledger,
        RunInfo::new(RunKind::Reconcile, "recon"),
        vec![NewEntry {
            entry: manual_match("match:x", 6, Decimal::new(10_000, 0)),
            joins: vec!["receipt:NTPD001".into(), "line:other".into()],
        }],
    )?;
    s.record_findings(
        ledger,
        out.run_id,
        &[
            sample_finding("f1", FindingStatus::Open),
            sample_finding("f2", FindingStatus::Open),
        ],
    )?;
    s.record_findings(
        ledger,
        out.run_id,
        &[sample_finding("f1", FindingStatus::Resolved)],
    )?;
    let first = s
        .entries_by_seq(ledger, &out.appended)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::backend("populate", "the match entry was not stored"))?;
    let proposal = |reason: &str, e: JournalEntry| NewProposal {
        kind: ProposalKind::Correction,
        reason: reason.into(),
        proposed_by: "maker".into(),
        entries: vec![e.into()],
    };
    let p1 = s.propose(
        ledger,
        proposal(
            "wrong match",
            first.entry.reversal(first.seq, day(7), "wrong match"),
        ),
    )?;
    s.approve(ledger, p1, "checker")?;
    let p2 = s.propose(
        ledger,
        proposal("write off", manual_match("wo:1", 8, Decimal::new(5, 0))),
    )?;
    s.reject(ledger, p2, "checker", "no evidence")?;
    s.propose(
        ledger,
        proposal("pending", manual_match("wo:2", 9, Decimal::new(6, 0))),
    )?;
    s.close_period(ledger, day(9), "bud")?;
    s.append_entries(
        ledger,
        RunInfo::new(RunKind::Manual, "treasurer"),
        vec![manual_match("after-close", 12, Decimal::new(7, 0)).into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_deterministic_balanced_and_overlap_by_key() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        let a = statement_batch("a", "001", 2_500, start);
        assert_eq!(a, statement_batch("a", "001", 2_500, start));
        let b = statement_batch("b", "001", 100, start);
        assert_ne!(a.file.sha256, b.file.sha256);
        let keys = |x: &ImportBatch| -> Vec<String> {
            x.statements[0]
                .lines
                .iter()
                .map(|l| l.facts.natural_key.clone())
                .collect()
        };
        assert_eq!(keys(&a)[..100], keys(&b)[..]);
        let lines = &a.statements[0].lines;
        assert!(lines
            .iter()
            .all(|l| l.entry.as_ref().is_some_and(|e| e.validate().is_ok())));
        let last = lines.last().unwrap();
        assert_eq!(last.facts.booking_date, start + Duration::days(2));
        let unique: std::collections::HashSet<_> = keys(&a).into_iter().collect();
        assert_eq!(unique.len(), 2_500);
    }
}
