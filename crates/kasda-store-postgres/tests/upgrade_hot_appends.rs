//! `kasda db migrate` on a database through 0014: migration 0015 rewrites the group-commit
//! function (one look-up statement, one writing statement), runs the COMMIT-time report
//! aggregates of small ranges with one generic plan, and sweeps finished check rows every 16
//! seqs. Concurrent appends through group commit before and after the upgrade, and imports
//! between them, form one chain that verifies; nothing is lost or doubled; a key sent again is
//! a duplicate; accounts first seen inside a group get their ids; the balance and report
//! aggregates equal the postings; finished check rows do not pile up.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store};
use kasda_store_postgres::{bench, testing, PgStore};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-hot";
const THREADS: usize = 8;
const EACH: usize = 24;

fn fee(round: usize, t: usize, k: usize, account: &str) -> NewEntry {
    let day = NaiveDate::from_ymd_opt(2026, 4, 1 + (k % 28) as u32).expect("date");
    let amount = Decimal::new(10_000 + (round * 1000 + t * 100 + k) as i64, 2);
    NewEntry::from(
        JournalEntry::new(
            EntryKind::Fee,
            day,
            day,
            format!("hot:r{round}:t{t}:{k}"),
            "",
            "biaya administrasi",
            None,
            vec![
                Posting::debit(AccountKey::new(AccountKind::BebanBank, account), amount),
                Posting::credit(
                    AccountKey::new(AccountKind::KasDaerah, "0011223344"),
                    amount,
                ),
            ],
        )
        .expect("valid fee"),
    )
}

/// `THREADS` clones of `store` append `EACH` single entries each (every 6th to an account of
/// its own thread, first seen in whatever group writes it; the last one a key sent before):
/// returns (appended, duplicates).
fn hot_round(store: &PgStore, round: usize) -> (usize, usize) {
    let clones: Vec<PgStore> = (0..THREADS)
        .map(|_| store.try_clone().expect("clone"))
        .collect();
    let counts: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = clones
            .into_iter()
            .enumerate()
            .map(|(t, mut s)| {
                scope.spawn(move || {
                    let (mut appended, mut duplicates) = (0, 0);
                    for k in 0..EACH {
                        let entry = if k == EACH - 1 {
                            fee(round, t, 0, "0011223344")
                        } else if k % 6 == 5 {
                            fee(round, t, k, &format!("99{round}{t}{k}"))
                        } else {
                            fee(round, t, k, "0011223344")
                        };
                        let run = RunInfo::new(RunKind::Reconcile, format!("r{round}t{t}"));
                        let o = s.append_entries(LEDGER, run, vec![entry]).expect("append");
                        appended += o.appended.len();
                        duplicates += o.duplicates.len();
                    }
                    (appended, duplicates)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer panicked"))
            .collect()
    });
    counts.iter().fold((0, 0), |(a, d), (x, y)| (a + x, d + y))
}

#[test]
fn migrating_a_0014_database_keeps_group_commit_whole() {
    let mut s = testing::fresh_store();
    s.migrate_through(14).expect("migrate through 0014");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Hot".into(),
    })
    .expect("ledger");
    s.import_file(LEDGER, bench::synthetic_batch("a", "0011223344", 30))
        .expect("import before the upgrade");
    let before = hot_round(&s, 1);
    assert_eq!(before, (THREADS * (EACH - 1), THREADS));

    s.migrate().expect("migrate to the latest schema");
    let after = hot_round(&s, 2);
    assert_eq!(after, (THREADS * (EACH - 1), THREADS));
    // A key appended before the upgrade is a duplicate after it.
    let again = hot_round(&s, 1);
    assert_eq!(again, (0, THREADS * EACH));
    s.import_file(LEDGER, bench::synthetic_batch("b", "0011223344", 30))
        .expect("import after the upgrade");

    let expected = 30 + 2 * THREADS * (EACH - 1) + 30;
    let report = s.verify(LEDGER).expect("verify");
    assert_eq!(report.first_bad, None, "{report:?}");
    assert_eq!(report.entries, expected as u64, "entries lost or doubled");
    assert!(
        s.check_aggregates(LEDGER).expect("aggregates").is_empty(),
        "balance aggregate differs from the postings"
    );
    // Every account a group saw first has its own id, and every posting names one.
    let new_accounts = s
        .query_i64(
            "SELECT count(*) FROM accounts WHERE ledger_id = $1 AND qualifier LIKE '99%'",
            &[&LEDGER],
        )
        .expect("accounts");
    let own_accounts = (0..EACH - 1).filter(|k| k % 6 == 5).count();
    assert_eq!(new_accounts as usize, 2 * THREADS * own_accounts);
    // The report aggregates (kept at COMMIT, small ranges on generic plans) equal the
    // postings' net per account.
    let differing = s
        .query_i64(
            "SELECT count(*) FROM (
                 SELECT account_id, sum(debit - credit) AS net FROM report_flows
                  WHERE ledger_id = $1 GROUP BY account_id) f
             FULL JOIN (
                 SELECT account_id,
                        sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) AS net
                   FROM postings WHERE ledger_id = $1 GROUP BY account_id) p
               ON p.account_id = f.account_id
             WHERE f.net IS DISTINCT FROM p.net",
            &[&LEDGER],
        )
        .expect("report flows");
    assert_eq!(differing, 0, "report_flows differ from the postings");
    // Finished transactions' check rows are swept every 16 seqs: a few remain, not one per
    // transaction.
    let kept = s
        .query_i64(
            "SELECT count(*) FROM kasda_entry_checks WHERE ledger_id = $1",
            &[&LEDGER],
        )
        .expect("check rows");
    let transactions = bench::entry_transactions(&mut s, LEDGER).expect("transactions");
    assert!(
        kept < 40 && kept < transactions,
        "{kept} check rows kept after {transactions} transactions"
    );
}
