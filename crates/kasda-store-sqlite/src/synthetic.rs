//! Deterministic synthetic import batches: a bank statement of `n` lines on one RKUD account,
//! half credits and half debits, each with its posting-model entry. Used by the crash test
//! binary, this crate's tests and the bulk-import benchmark; the same arguments always give the
//! same batch (and so the same chain).

use chrono::{Duration, NaiveDate};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_core::money::{Currency, Direction};
use kasda_core::statement::{EntryStatus, Party, References, SourcePos, StatementKind};
use kasda_store::{
    ImportBatch, LineFacts, LineRecord, SourceFile, StatementHeader, StatementRecord,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

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
