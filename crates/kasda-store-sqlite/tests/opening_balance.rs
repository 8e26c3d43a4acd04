//! The database's own backstop for opening balances (migration 0004): an approval of an
//! opening_balance proposal written straight into the tables, past the store's checks, is refused
//! while the account has another opening-balance entry that is not reversed.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind};
use kasda_core::posting::{opening_balance, OpeningContext};
use kasda_store::{LedgerInfo, NewEntry, NewProposal, ProposalKind, RunInfo, RunKind, Store};
use kasda_store_sqlite::SqliteStore;
use rust_decimal_macros::dec;

const LEDGER: &str = "kota-uji";

fn opening(occurrence: u32, amount: rust_decimal::Decimal) -> kasda_core::ledger::JournalEntry {
    opening_balance(
        &OpeningContext {
            booked_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            occurrence,
            memo: "saldo awal".into(),
        },
        &AccountKey::new(AccountKind::KasDaerah, "0011223344"),
        amount,
    )
    .unwrap()
}

/// Writes proposal `id` for `entry` and its entry (as the approval run would), then inserts the
/// approval row directly; returns the entry's seq and the database's answer to that insert.
fn approve_behind_the_store(
    s: &mut SqliteStore,
    id: i64,
    entry: kasda_core::ledger::JournalEntry,
) -> (i64, Result<usize, rusqlite::Error>) {
    let entries = serde_json::to_string(&vec![NewEntry::from(entry.clone())]).unwrap();
    s.connection()
        .execute(
            "INSERT INTO proposals (ledger, proposal_id, kind, proposer, proposed_at, reason, entries)
             VALUES (?1, ?2, 'opening_balance', 'maker', 0, 'direct', ?3)",
            rusqlite::params![LEDGER, id, entries],
        )
        .unwrap();
    let out = s
        .append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "checker"),
            vec![entry.into()],
        )
        .unwrap();
    let answer = s.connection().execute(
        "INSERT INTO approvals (ledger, proposal_id, decision, approver, decided_at, run_id)
         VALUES (?1, ?2, 'approved', 'checker', 0, ?3)",
        rusqlite::params![LEDGER, id, out.run_id],
    );
    (out.appended[0], answer)
}

#[test]
fn the_database_refuses_a_second_unreversed_opening_balance() {
    let mut s = SqliteStore::open_memory().unwrap();
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Uji".into(),
    })
    .unwrap();
    // The first one through the store, as usual.
    let first = opening(1, dec!(1000));
    let id = s
        .propose(
            LEDGER,
            NewProposal {
                kind: ProposalKind::OpeningBalance,
                reason: "saldo awal".into(),
                proposed_by: "maker".into(),
                entries: vec![first.clone().into()],
            },
        )
        .unwrap();
    let out = s.approve(LEDGER, id, "checker").unwrap();
    let first_seq = out.appended[0];

    // A second one approved behind the store's back: the trigger refuses the approval.
    let second = opening(2, dec!(900));
    let (second_seq, answer) = approve_behind_the_store(&mut s, 2, second.clone());
    let err = answer.unwrap_err();
    assert!(
        err.to_string()
            .contains("already has an opening balance that is not reversed"),
        "{err}"
    );

    // Once both are reversed, the database accepts the next one.
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    s.append_entries(
        LEDGER,
        RunInfo::new(RunKind::Manual, "supervisor"),
        vec![
            first.reversal(first_seq, day, "salah").into(),
            second.reversal(second_seq, day, "tanpa persetujuan").into(),
        ],
    )
    .unwrap();
    let (_, answer) = approve_behind_the_store(&mut s, 3, opening(3, dec!(1200)));
    assert_eq!(answer.unwrap(), 1);
    assert!(s.verify(LEDGER).unwrap().first_bad.is_none());
}
