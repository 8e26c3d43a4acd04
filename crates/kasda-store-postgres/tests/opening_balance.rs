//! PostgreSQL's own backstop for opening balances (migration 0003): the proposal kind is allowed
//! by the kind check, and an approval of an opening_balance proposal written straight into the
//! tables, past the store's checks, is refused while the account has another opening-balance
//! entry that is not reversed.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, JournalEntry};
use kasda_core::posting::{opening_balance, OpeningContext};
use kasda_store::{LedgerInfo, NewEntry, NewProposal, ProposalKind, RunInfo, RunKind, Store};
use kasda_store_postgres::{testing, PgStore};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-opening";

fn opening(occurrence: u32, amount: i64) -> JournalEntry {
    opening_balance(
        &OpeningContext {
            booked_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            occurrence,
            memo: "saldo awal".into(),
        },
        &AccountKey::new(AccountKind::KasDaerah, "0011223344"),
        Decimal::new(amount, 0),
    )
    .unwrap()
}

/// Writes proposal `id` for `entry` and its entry (as the approval run would), then inserts the
/// decision row directly; returns the entry's seq and the database's answer to that insert.
fn approve_behind_the_store(
    s: &mut PgStore,
    id: i64,
    entry: JournalEntry,
) -> (i64, Result<(), kasda_store::StoreError>) {
    let entries = serde_json::to_string(&vec![NewEntry::from(entry.clone())]).unwrap();
    s.execute_sql(&format!(
        "INSERT INTO proposals (ledger_id, proposal_id, kind, reason, proposed_by, proposed_at, entries)
         VALUES ('{LEDGER}', {id}, 'opening_balance', 'direct', 'maker', now(), '{}')",
        entries.replace('\'', "''")
    ))
    .unwrap();
    let out = s
        .append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "checker"),
            vec![entry.into()],
        )
        .unwrap();
    let answer = s.execute_sql(&format!(
        "INSERT INTO proposal_decisions (ledger_id, proposal_id, decision, decided_by, decided_at, run_id, reason)
         VALUES ('{LEDGER}', {id}, 'approved', 'checker', now(), {}, '')",
        out.run_id
    ));
    (out.appended[0], answer)
}

#[test]
fn the_database_refuses_a_second_unreversed_opening_balance() {
    let mut s = testing::fresh_store();
    s.migrate().unwrap();
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Opening".into(),
    })
    .unwrap();
    let first = opening(1, 1000);
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
    let first_seq = s.approve(LEDGER, id, "checker").unwrap().appended[0];

    let second = opening(2, 900);
    let (second_seq, answer) = approve_behind_the_store(&mut s, 2, second.clone());
    let err = answer.unwrap_err();
    assert!(
        err.to_string()
            .contains("would book a second opening balance"),
        "{err}"
    );

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
    let (_, answer) = approve_behind_the_store(&mut s, 3, opening(3, 1200));
    answer.unwrap();
    assert!(s.verify(LEDGER).unwrap().first_bad.is_none());
}
