//! Migration 0010 rewrites `runs_report_aggregates` in a cheaper form; the tables it keeps must
//! hold exactly what 0009 defines. 0009 fills `report_flows` and `report_facts` from a ledger's
//! whole history with two set-based statements; those statements are the reference here: after
//! every run, the rows the trigger kept equal (row for row, recording times included) the rows
//! 0009's fill computes from the entries. Checked on a fresh ledger and on a ledger written at
//! schema 0009 and upgraded, with facts cleared late, cleared by a reversal, never cleared, and
//! entries that post twice to one account (same side, and both sides) or to a tracked account
//! twice.

use std::time::Duration;

use chrono::NaiveDate;
use kasda_core::document::Document;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_core::posting::{self, MatchContext};
use kasda_store::conformance::{
    day, document_batch, fresh, line, sp2d, statement_batch, sts, LEDGER, RKUD,
};
use kasda_store::{NewEntry, RunInfo, RunKind, Store};
use kasda_store_sqlite::{OpenOptions, SqliteStore};
use rust_decimal::Decimal;

fn must<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn idr(whole: i64) -> Decimal {
    Decimal::new(whole * 100, 2)
}

fn ctx(rule: &str, ids: Vec<String>, d: NaiveDate, memo: &str) -> MatchContext {
    MatchContext {
        rule: rule.into(),
        ids,
        booked_on: d,
        value_date: d,
        memo: memo.into(),
    }
}

/// 0009's fill from history: its statements between the index and the trigger.
fn fill_of_0009() -> &'static str {
    let m = kasda_store_sqlite::migrate::MIGRATIONS
        .iter()
        .find(|m| m.version == 9)
        .expect("migration 0009");
    let start = m
        .sql
        .find("-- Existing ledgers")
        .expect("0009's fill starts");
    let end = m
        .sql
        .find("CREATE TRIGGER runs_report_aggregates")
        .expect("0009's trigger");
    &m.sql[start..end]
}

type Rows = Vec<Vec<rusqlite::types::Value>>;

fn rows(conn: &rusqlite::Connection, sql: &str) -> Rows {
    let mut stmt = must("prepare", conn.prepare(sql));
    let n = stmt.column_count();
    let out = must(
        "query",
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, rusqlite::types::Value>(i))
                .collect()
        }),
    );
    must("rows", out.collect::<Result<Rows, _>>())
}

const FLOWS: &str = "SELECT ledger, account_id, day, kind, currency, recorded_at, debit, credit
                     FROM report_flows ORDER BY ledger, account_id, day, kind, currency, recorded_at";
const FACTS: &str = "SELECT ledger, seq, account_id, kind, booked_on, closed_on
                     FROM report_facts ORDER BY ledger, seq, account_id";

/// The kept rows equal what 0009's fill computes from the entries (computed in a savepoint that
/// is rolled back).
fn check_kept(s: &mut SqliteStore, after: &str) {
    let conn = s.connection();
    let kept = (rows(conn, FLOWS), rows(conn, FACTS));
    must("savepoint", conn.execute_batch("SAVEPOINT reference"));
    must(
        "refill",
        conn.execute_batch(&format!(
            "DELETE FROM report_flows; DELETE FROM report_facts; {}",
            fill_of_0009()
        )),
    );
    let reference = (rows(conn, FLOWS), rows(conn, FACTS));
    must(
        "rollback",
        conn.execute_batch("ROLLBACK TO reference; RELEASE reference"),
    );
    assert!(!reference.0.is_empty(), "{after}: flows to compare");
    assert_eq!(kept.0, reference.0, "report_flows after {after}");
    assert_eq!(kept.1, reference.1, "report_facts after {after}");
}

fn account(kind: AccountKind, qualifier: &str) -> AccountKey {
    AccountKey::new(kind, qualifier)
}

/// An entry of `kind` with the given postings (IDR), booked on `d`.
fn odd(kind: EntryKind, key: &str, d: u32, postings: Vec<Posting>) -> NewEntry {
    JournalEntry {
        kind,
        booked_on: day(d),
        value_date: day(d),
        natural_key: key.into(),
        position: String::new(),
        memo: "odd postings".into(),
        reverses: None,
        postings,
    }
    .into()
}

/// A line still to clear: (reference, the document that clears it, amount, credit?).
type Pending = (String, Option<String>, i64, bool);

/// Writes days `first..first + days`, checking the kept rows after every run: documents (STS,
/// SP2D), a statement of lines for them plus an unknown credit, then a reconcile run that clears
/// some of the facts pending (SP2D paid, STS credited, unknown credit written off or reversed)
/// and leaves the rest for a later day, and a run of entries with repeated accounts.
fn populate(s: &mut SqliteStore, first: u32, days: u32, pending: &mut Vec<Pending>) {
    let kas = account(AccountKind::KasDaerah, RKUD);
    let suspense_in = account(AccountKind::PenerimaanBelumTeridentifikasi, RKUD);
    let suspense_out = account(AccountKind::PengeluaranBelumTeridentifikasi, RKUD);
    let unpaid = account(AccountKind::Sp2dBelumDicairkan, RKUD);
    for d in first..first + days {
        let amount = 100 + i64::from(d) * 7;
        let docs = vec![
            Document::Sts(sts(
                &format!("STS-{d}"),
                "1.01.01",
                "4.1.02.01.01",
                amount,
                d,
            )),
            Document::Sp2d(sp2d(&format!("SP2D-{d}"), amount * 10, d)),
        ];
        must(
            "documents",
            s.import_file(LEDGER, document_batch(&format!("docs-{d}"), docs)),
        );
        check_kept(s, &format!("documents of day {d}"));
        let lines = vec![
            line(d, &format!("S{d}"), amount, true),
            line(d, &format!("D{d}"), amount * 10, false),
            line(d, &format!("U{d}"), 10 + i64::from(d), true),
        ];
        must(
            "statement",
            s.import_file(LEDGER, statement_batch(&format!("stmt-{d}"), RKUD, &lines)),
        );
        check_kept(s, &format!("statement of day {d}"));
        pending.push((format!("S{d}"), Some(format!("sts:STS-{d}")), amount, true));
        pending.push((
            format!("D{d}"),
            Some(format!("sp2d:SP2D-{d}")),
            amount * 10,
            false,
        ));
        pending.push((format!("U{d}"), None, 10 + i64::from(d), true));

        let stored = must(
            "lines",
            s.statement_lines(LEDGER, Some(RKUD), day(1), day(d)),
        );
        let key_of = |reference: &str| -> String {
            let found: Vec<&kasda_store::StoredLine> = stored
                .iter()
                .filter(|l| l.facts.natural_key.contains(&format!(":{reference}:")))
                .collect();
            assert_eq!(found.len(), 1, "one line for {reference}");
            found[0].facts.natural_key.clone()
        };
        let today = day(d);
        let mut out: Vec<NewEntry> = Vec::new();
        let mut keep = Vec::new();
        for (i, (reference, doc, amount, credit)) in pending.drain(..).enumerate() {
            // Every other fact waits a day or more.
            let wait = (i + d as usize).is_multiple_of(2);
            if wait {
                keep.push((reference, doc, amount, credit));
                continue;
            }
            let key = key_of(&reference);
            match (doc, credit) {
                (Some(doc), true) => {
                    let ids = vec![key, doc];
                    let e = must(
                        "sts match",
                        posting::match_sts_to_credit(
                            &ctx("sts", ids.clone(), today, "STS credited"),
                            RKUD,
                            idr(amount),
                            "1.01.01",
                            &[],
                        ),
                    );
                    out.push(NewEntry {
                        entry: e,
                        joins: ids,
                    });
                }
                (Some(doc), false) => {
                    let ids = vec![key, doc];
                    let e = must(
                        "sp2d match",
                        posting::match_sp2d_to_debits(
                            &ctx("sp2d", ids.clone(), today, "SP2D paid"),
                            RKUD,
                            &[(RKUD.to_string(), idr(amount))],
                        ),
                    );
                    out.push(NewEntry {
                        entry: e,
                        joins: ids,
                    });
                }
                (None, _) if amount % 3 == 0 => {
                    let found = must(
                        "line entry",
                        s.entries_by_keys(LEDGER, std::slice::from_ref(&key)),
                    );
                    let fact = found.first().expect("the line's entry");
                    out.push(fact.entry.reversal(fact.seq, today, "wrong line").into());
                }
                (None, _) if amount % 3 == 1 => {
                    let ids = vec![key];
                    let e = must(
                        "write-off",
                        posting::write_off(
                            &ctx("identified", ids.clone(), today, "identified"),
                            &suspense_in,
                            -idr(amount),
                            "lain-lain",
                        ),
                    );
                    out.push(NewEntry {
                        entry: e,
                        joins: ids,
                    });
                }
                (None, _) => {} // left open for good
            }
        }
        *pending = keep;
        if !out.is_empty() {
            must(
                "reconcile",
                s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "test"), out),
            );
            check_kept(s, &format!("reconcile of day {d}"));
        }

        // Repeated accounts in one entry: the same side twice on a tracked account, both sides
        // on one account (netted within the entry), and an entry whose postings on one account
        // cancel out.
        let odd_entries = vec![
            odd(
                EntryKind::StatementLine,
                &format!("odd:{d}:same-side"),
                d,
                vec![
                    Posting::debit(kas.clone(), idr(100)),
                    Posting::credit(suspense_in.clone(), idr(30)),
                    Posting::credit(suspense_in.clone(), idr(70)),
                ],
            ),
            odd(
                EntryKind::StatementLine,
                &format!("odd:{d}:both-sides"),
                d,
                vec![
                    Posting::debit(suspense_out.clone(), idr(50)),
                    Posting::credit(kas.clone(), idr(30)),
                    Posting::credit(suspense_out.clone(), idr(20)),
                ],
            ),
            odd(
                EntryKind::Sp2d,
                &format!("odd:{d}:cancel"),
                d,
                vec![
                    Posting::debit(unpaid.clone(), idr(40)),
                    Posting::credit(unpaid.clone(), idr(40)),
                    Posting::debit(kas.clone(), idr(5)),
                    Posting::credit(suspense_out.clone(), idr(5)),
                ],
            ),
        ];
        must(
            "odd entries",
            s.append_entries(LEDGER, RunInfo::new(RunKind::Manual, "test"), odd_entries),
        );
        check_kept(s, &format!("odd entries of day {d}"));
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn fresh_ledger_keeps_what_0009_fills() {
    let mut s = fresh(&mut || SqliteStore::open_memory().expect("open"));
    populate(&mut s, 1, 6, &mut Vec::new());
    assert!(must("verify", s.verify(LEDGER)).first_bad.is_none());
}

/// A ledger written by this build at schema `version` (the triggers of that version keeping the
/// aggregates, or sharing them with the writer), then upgraded to the current schema and written
/// on: the kept rows equal 0009's fill after every run, before and after the upgrade.
fn upgrade_from(version: i64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("v{version}.db"));
    {
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        kasda_store_sqlite::migrate::migrate_through(&mut conn, 1, version)
            .unwrap_or_else(|e| panic!("migrate to {version}: {e}"));
    }
    let mut pending = Vec::new();
    {
        let mut old = SqliteStore::open_with(
            &path,
            OpenOptions {
                migrate: false,
                ..OpenOptions::default()
            },
        )
        .unwrap_or_else(|e| panic!("open at {version}: {e}"));
        let applied: Vec<i64> = must("status", old.migration_status())
            .iter()
            .filter(|m| m.applied_at.is_some())
            .map(|m| i64::from(m.version))
            .collect();
        assert_eq!(applied, (1..=version).collect::<Vec<i64>>());
        old.ensure_ledger(&kasda_store::LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Uji".into(),
        })
        .expect("ledger");
        // Written under that version's trigger; checked against 0009's fill too.
        populate(&mut old, 1, 3, &mut pending);
    }
    assert!(!pending.is_empty(), "facts left open across the upgrade");
    let mut s = SqliteStore::open(&path).expect("open with migrations");
    let status = must("status", s.migration_status());
    assert!(status.iter().all(|m| m.applied_at.is_some()));
    assert!(status.iter().any(|m| i64::from(m.version) > version));
    check_kept(&mut s, "the upgrade");
    // Written after the upgrade: facts of before it cleared by the new trigger, flows of before
    // it added to by the writer.
    populate(&mut s, 4, 3, &mut pending);
    assert!(must("verify", s.verify(LEDGER)).first_bad.is_none());
}

#[test]
fn ledger_at_0009_upgrades_and_keeps_the_same_rows() {
    upgrade_from(9);
}

/// 0011: the writer keeps `report_flows` instead of the run's seal.
#[test]
fn ledger_at_0010_upgrades_to_writer_kept_flows_and_keeps_the_same_rows() {
    upgrade_from(10);
}
