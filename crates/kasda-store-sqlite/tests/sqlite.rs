//! SQLite-specific guarantees: migrations and their checksums, triggers that refuse UPDATE,
//! DELETE and unbalanced entries from raw SQL, the lock error, chain equality with the
//! in-memory oracle, and bi-temporal balances read from the aggregates.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::memory::MemoryStore;
use kasda_store::{
    LedgerInfo, Mutation, NewEntry, RunInfo, RunKind, Store, StoreError, TamperHook,
};
use kasda_store_sqlite::{
    parse_url, synthetic, OpenOptions, SqliteError, SqliteStore, SqliteTarget,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn ledger() -> LedgerInfo {
    LedgerInfo {
        code: "kota-serang".into(),
        name: "Pemerintah Kota Serang".into(),
    }
}

fn suspense() -> AccountKey {
    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "0012345678")
}

fn revenue() -> AccountKey {
    AccountKey::new(AccountKind::PendapatanLra, "4.1.01.15.01.0001")
}

fn entry(key: &str, day: &str, amount: Decimal) -> JournalEntry {
    JournalEntry::new(
        EntryKind::Match,
        d(day),
        d(day),
        key,
        "",
        "match",
        None,
        vec![
            Posting::debit(suspense(), amount),
            Posting::credit(revenue(), amount),
        ],
    )
    .unwrap()
}

/// The same sequence of writes, applied to any store.
fn script<S: Store>(s: &mut S) -> Vec<i64> {
    s.ensure_ledger(&ledger()).unwrap();
    s.import_file(
        "kota-serang",
        synthetic::statement_batch("a", "0012345678", 300, d("2026-01-02")),
    )
    .unwrap();
    // Overlapping statement: the same lines again from another file.
    s.import_file(
        "kota-serang",
        synthetic::statement_batch("b", "0012345678", 400, d("2026-01-02")),
    )
    .unwrap();
    let out = s
        .append_entries(
            "kota-serang",
            RunInfo::new(RunKind::Reconcile, "recon"),
            vec![
                NewEntry {
                    entry: entry("match:1", "2026-01-03", dec!(10000)),
                    joins: vec!["stmt:x".into()],
                },
                entry("match:2", "2026-01-04", dec!(250.50)).into(),
            ],
        )
        .unwrap();
    let first = s.entries_by_seq("kota-serang", &out.appended[..1]).unwrap();
    let reversal = first[0]
        .entry
        .reversal(first[0].seq, d("2026-01-05"), "wrong match");
    s.append_entries(
        "kota-serang",
        RunInfo::new(RunKind::Manual, "auditor"),
        vec![reversal.into()],
    )
    .unwrap();
    out.appended
}

#[test]
fn chain_is_bit_identical_to_the_memory_oracle() {
    let mut sql = SqliteStore::open_memory().unwrap();
    let mut mem = MemoryStore::new();
    script(&mut sql);
    script(&mut mem);
    let a = sql.verify("kota-serang").unwrap();
    let b = mem.verify("kota-serang").unwrap();
    assert_eq!(a.first_bad, None);
    assert_eq!(a.entries, 403);
    assert_eq!(a.head_hash, b.head_hash);
    assert_eq!(a.entries, b.entries);
    let ea = sql.entries("kota-serang", 0, 1000).unwrap();
    let eb = mem.entries("kota-serang", 0, 1000).unwrap();
    for (x, y) in ea.iter().zip(&eb) {
        assert_eq!(
            (x.seq, &x.entry, &x.hash, &x.prev_hash),
            (y.seq, &y.entry, &y.hash, &y.prev_hash)
        );
    }
    assert_eq!(
        sql.balances("kota-serang", None, None, None).unwrap(),
        mem.balances("kota-serang", None, None, None).unwrap()
    );
    assert_eq!(sql.check_aggregates("kota-serang").unwrap(), None);
}

#[test]
fn balances_as_of_and_known_at_match_the_oracle() {
    let mut sql = SqliteStore::open_memory().unwrap();
    sql.ensure_ledger(&ledger()).unwrap();
    let out1 = sql
        .append_entries(
            "kota-serang",
            RunInfo::new(RunKind::Reconcile, "r"),
            vec![
                entry("m1", "2026-01-10", dec!(100)).into(),
                entry("m2", "2026-01-12", dec!(40)).into(),
            ],
        )
        .unwrap();
    let t1 = sql.entries_by_seq("kota-serang", &out1.appended).unwrap()[0].recorded_at;
    // A back-dated correction learned later.
    sql.append_entries(
        "kota-serang",
        RunInfo::new(RunKind::Manual, "r"),
        vec![entry("m3", "2026-01-09", dec!(7)).into()],
    )
    .unwrap();
    let rev = revenue();
    assert_eq!(
        sql.balance("kota-serang", &rev, None, None).unwrap(),
        dec!(-147)
    );
    assert_eq!(
        sql.balance("kota-serang", &rev, Some(d("2026-01-10")), None)
            .unwrap(),
        dec!(-107)
    );
    assert_eq!(
        sql.balance("kota-serang", &rev, Some(d("2026-01-10")), Some(t1))
            .unwrap(),
        dec!(-100)
    );
    assert_eq!(
        sql.balance("kota-serang", &rev, None, Some(t1)).unwrap(),
        dec!(-140)
    );
    assert_eq!(
        sql.balance("kota-serang", &rev, Some(d("2026-01-08")), None)
            .unwrap(),
        dec!(0)
    );
    // Known before anything was recorded: no accounts at all.
    let before = t1 - chrono::Duration::seconds(1);
    assert!(sql
        .balances("kota-serang", None, None, Some(before))
        .unwrap()
        .is_empty());
    let moves = sql
        .day_movements("kota-serang", &rev, d("2026-01-10"), d("2026-01-31"))
        .unwrap();
    assert_eq!(moves.len(), 2);
    assert_eq!(
        (moves[0].credits, moves[0].closing),
        (dec!(100), dec!(-107))
    );
    assert_eq!((moves[1].credits, moves[1].closing), (dec!(40), dec!(-147)));
    assert_eq!(sql.check_aggregates("kota-serang").unwrap(), None);
}

/// A file of new lines is prepared (checked, hashed, encoded) on a second thread in chunks of
/// 512 lines: over several chunks the chain, lines and balances equal the in-memory oracle's, and
/// a file that overlaps it (written by the one-thread path) continues the same chain.
#[test]
fn pipelined_import_over_several_chunks_matches_the_oracle() {
    fn two_files<S: Store>(s: &mut S) {
        s.ensure_ledger(&ledger()).unwrap();
        let a = synthetic::statement_batch("a", "0012345678", 1_300, d("2026-01-02"));
        assert_eq!(
            s.import_file("kota-serang", a).unwrap().entries_appended,
            1_300
        );
        let b = synthetic::statement_batch("b", "0012345678", 1_400, d("2026-01-02"));
        let out = s.import_file("kota-serang", b).unwrap();
        assert_eq!((out.entries_appended, out.lines_duplicate), (100, 1_300));
    }
    let mut sql = SqliteStore::open_memory().unwrap();
    let mut mem = MemoryStore::new();
    two_files(&mut sql);
    two_files(&mut mem);
    let a = sql.verify("kota-serang").unwrap();
    let b = mem.verify("kota-serang").unwrap();
    assert_eq!((a.first_bad, a.entries), (None, 1_400));
    assert_eq!(a.head_hash, b.head_hash);
    let ea = sql.entries("kota-serang", 0, 2_000).unwrap();
    let eb = mem.entries("kota-serang", 0, 2_000).unwrap();
    assert_eq!(ea.len(), eb.len());
    for (x, y) in ea.iter().zip(&eb) {
        assert_eq!(
            (x.seq, &x.entry, &x.hash, &x.prev_hash, &x.source_sha256),
            (y.seq, &y.entry, &y.hash, &y.prev_hash, &y.source_sha256)
        );
    }
    let from = d("2026-01-01");
    let to = d("2026-01-31");
    let la = sql.statement_lines("kota-serang", None, from, to).unwrap();
    let lb = mem.statement_lines("kota-serang", None, from, to).unwrap();
    assert_eq!(la.len(), 1_400);
    assert_eq!(
        la.iter()
            .map(|l| (&l.facts, l.entry_seq))
            .collect::<Vec<_>>(),
        lb.iter()
            .map(|l| (&l.facts, l.entry_seq))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        sql.balances("kota-serang", None, None, None).unwrap(),
        mem.balances("kota-serang", None, None, None).unwrap()
    );
    assert_eq!(sql.check_aggregates("kota-serang").unwrap(), None);
}

/// An entry refused in a later chunk of a pipelined file refuses the whole file, naming the
/// entry; nothing of the file is stored and the corrected file imports.
#[test]
fn pipelined_import_refuses_the_file_for_an_entry_in_a_later_chunk() {
    let mut s = SqliteStore::open_memory().unwrap();
    s.ensure_ledger(&ledger()).unwrap();
    let good = synthetic::statement_batch("a", "0012345678", 1_300, d("2026-01-02"));
    let mut bad = good.clone();
    let line = &mut bad.statements[0].lines[1_100];
    let key = line.facts.natural_key.clone();
    let e = line.entry.as_mut().unwrap();
    e.postings[0].amount += dec!(1);
    let err = s.import_file("kota-serang", bad).unwrap_err();
    assert!(err.to_string().contains(&key), "{err}");
    assert_eq!(s.entry_count("kota-serang").unwrap(), 0);
    assert!(s.files("kota-serang").unwrap().is_empty());
    let out = s.import_file("kota-serang", good).unwrap();
    assert_eq!((out.lines_new, out.entries_appended), (1_300, 1_300));
    assert_eq!(s.verify("kota-serang").unwrap().first_bad, None);
}

/// A line over a text limit refuses the file with a label naming the line and the limit.
#[test]
fn line_over_a_text_limit_is_refused_naming_it() {
    let mut s = SqliteStore::open_memory().unwrap();
    s.ensure_ledger(&ledger()).unwrap();
    let good = synthetic::statement_batch("a", "0012345678", 3, d("2026-01-02"));
    let long_key = "k".repeat(kasda_core::ledger::MAX_ENTRY_TEXT + 1);
    let mut over = good.clone();
    over.statements[0].lines[1].facts.text = "t".repeat(kasda_store::MAX_LINE_TEXT + 1);
    let mut over_key = good.clone();
    over_key.statements[0].lines[2].facts.natural_key = long_key.clone();
    if let Some(e) = over_key.statements[0].lines[2].entry.as_mut() {
        e.natural_key = long_key;
    }
    for (batch, what, limit) in [
        (over, "line 3:1 text length", kasda_store::MAX_LINE_TEXT),
        (
            over_key,
            "line 4:2 natural key length",
            kasda_core::ledger::MAX_ENTRY_TEXT,
        ),
    ] {
        match s.import_file("kota-serang", batch) {
            Err(StoreError::LimitExceeded {
                what: w,
                limit: l,
                found,
            }) => assert_eq!((w.as_str(), l, found), (what, limit, limit + 1)),
            other => panic!("expected a limit error, got {other:?}"),
        }
    }
    assert_eq!(s.entry_count("kota-serang").unwrap(), 0);
}

#[test]
fn import_is_idempotent_and_overlaps_are_recorded_as_duplicates() {
    let mut s = SqliteStore::open_memory().unwrap();
    s.ensure_ledger(&ledger()).unwrap();
    let a = synthetic::statement_batch("a", "0012345678", 50, d("2026-01-02"));
    let first = s.import_file("kota-serang", a.clone()).unwrap();
    assert_eq!((first.lines_new, first.entries_appended), (50, 50));
    let again = s.import_file("kota-serang", a).unwrap();
    assert!(again.file_already_imported);
    assert_eq!((again.run_id, again.lines_new), (first.run_id, 0));
    let b = s
        .import_file(
            "kota-serang",
            synthetic::statement_batch("b", "0012345678", 60, d("2026-01-02")),
        )
        .unwrap();
    assert_eq!(
        (b.lines_new, b.lines_duplicate, b.entries_appended),
        (10, 50, 10)
    );
    let dups = s.duplicates("kota-serang", None).unwrap();
    assert_eq!(dups.len(), 50);
    assert!(dups.iter().all(|x| x.same_content));
    assert_eq!(s.entry_count("kota-serang").unwrap(), 60);
}

#[test]
fn triggers_refuse_update_and_delete_from_raw_sql() {
    let mut s = SqliteStore::open_memory().unwrap();
    script(&mut s);
    s.record_findings(
        "kota-serang",
        1,
        &[kasda_store::FindingInput {
            id: "f1".into(),
            rule: "unidentified_credit".into(),
            severity: "medium".into(),
            status: kasda_store::FindingStatus::Open,
            summary: "x".into(),
            amount: None,
            as_of: d("2026-01-31"),
            details: serde_json::Value::Null,
        }],
    )
    .unwrap();
    for m in Mutation::all(1) {
        let err = s.try_mutation("kota-serang", m).unwrap_err();
        assert!(matches!(err, StoreError::AppendOnly { .. }), "{m:?}: {err}");
    }
    // Every ledger table, straight through the connection.
    let conn = s.connection();
    for table in [
        "ledgers",
        "accounts",
        "runs",
        "source_files",
        "statements",
        "statement_lines",
        "duplicates",
        "entries",
        "postings",
        "entry_joins",
        "findings",
        "finding_events",
        "schema_migrations",
    ] {
        let err = conn
            .execute(&format!("DELETE FROM {table}"), [])
            .unwrap_err();
        assert!(err.to_string().contains("is append-only"), "{table}: {err}");
    }
    let err = conn
        .execute("UPDATE entries SET memo = 'x' WHERE seq = 2", [])
        .unwrap_err();
    assert!(
        err.to_string().contains("kasda: entries is append-only"),
        "{err}"
    );
    assert_eq!(s.verify("kota-serang").unwrap().first_bad, None);
}

/// One raw entry of `kota-serang` through the connection, in the store's order (postings, the
/// entry, then, with `seal`, the row of its run, which is what checks it) and committed;
/// returns the error message. `link` is the SQL of its prev_hash.
struct Raw<'a> {
    seq: i64,
    postings: &'a str,
    booked: &'a str,
    run: i64,
    link: &'a str,
    seal: bool,
    /// Kind and natural key; an empty key stands for `raw:<seq>`.
    kind: &'a str,
    key: &'a str,
}

impl Raw<'_> {
    /// A balanced two-posting entry after the script's 403, sealed by a new run.
    fn next() -> Self {
        Raw {
            seq: 404,
            postings: "(0, 1, 'debit', 100, 'IDR'), (1, 2, 'credit', 100, 'IDR')",
            booked: "2026-02-01",
            run: 100,
            link: "(SELECT hash FROM entries WHERE seq = 403)",
            seal: true,
            kind: "opening",
            key: "",
        }
    }

    fn refused(&self, conn: &rusqlite::Connection) -> String {
        let postings = self
            .postings
            .replace('(', &format!("('kota-serang', {}, ", self.seq));
        let run = if self.seal {
            format!(
                "INSERT INTO runs VALUES ('kota-serang', {}, 'manual', 'raw', 0, 0, 'null');",
                self.run
            )
        } else {
            String::new()
        };
        let key = if self.key.is_empty() {
            format!("raw:{}", self.seq)
        } else {
            self.key.to_string()
        };
        let sql = format!(
            "BEGIN;
             INSERT INTO postings VALUES {postings};
             INSERT INTO entries VALUES ('kota-serang', {seq}, '{kind}', '{booked}', '{booked}', '{key}', '', '',
                NULL, NULL, {run_id}, 0, {link}, '{hash}');
             {run}
             COMMIT;",
            seq = self.seq,
            kind = self.kind,
            booked = self.booked,
            run_id = self.run,
            link = self.link,
            hash = "f".repeat(64),
        );
        let err = conn
            .execute_batch(&sql)
            .expect_err("the database refuses the raw entry")
            .to_string();
        conn.execute_batch("ROLLBACK").unwrap();
        err
    }
}

#[test]
fn database_refuses_unbalanced_and_unlinked_entries() {
    let mut s = SqliteStore::open_memory().unwrap();
    script(&mut s);
    let err = s.insert_raw_unbalanced("kota-serang").unwrap_err();
    assert!(err.to_string().contains("does not balance"), "{err}");
    // A single posting, a broken prev_hash and a seq gap are refused too, by the seal of the run.
    let conn = s.connection();
    let one = Raw {
        postings: "(0, 1, 'debit', 100, 'IDR')",
        ..Raw::next()
    };
    assert!(one.refused(conn).contains("fewer than two postings"));
    let link = Raw {
        link: "'0000000000000000000000000000000000000000000000000000000000000000'",
        ..Raw::next()
    };
    assert!(link.refused(conn).contains("prev_hash"));
    let gap = Raw {
        seq: 405,
        ..Raw::next()
    };
    assert!(gap.refused(conn).contains("not the next"));
    // The postings verdict per currency (schema 0008 reads it with fewer aggregates): an entry
    // mixing currencies must balance in each, and every code must have three characters. Balanced
    // in each of two currencies, this one passes the verdict and meets the (broken) link check.
    let mixed = Raw {
        postings: "(0, 1, 'debit', 100, 'IDR'), (1, 2, 'credit', 100, 'IDR'),
                   (2, 1, 'debit', 5, 'USD'), (3, 2, 'credit', 5, 'USD')",
        ..link
    };
    assert!(mixed.refused(conn).contains("prev_hash"));
    for (postings, message) in [
        (
            "(0, 1, 'debit', 100, 'IDR'), (1, 2, 'credit', 100, 'USD')",
            "does not balance",
        ),
        (
            "(0, 1, 'debit', 100, 'ID'), (1, 2, 'credit', 100, 'ID')",
            "three-letter",
        ),
        (
            "(0, 1, 'debit', 100, 'IDR'), (1, 2, 'credit', 100, 'IDR'),
             (2, 1, 'debit', 5, 'US'), (3, 2, 'credit', 5, 'US')",
            "three-letter",
        ),
    ] {
        let err = Raw {
            postings,
            ..Raw::next()
        }
        .refused(conn);
        assert!(err.contains(message), "{postings}: {err}");
    }
    assert_eq!(s.verify("kota-serang").unwrap().entries, 403);
}

/// An opening-balance entry is one only under its account's standard key (schema 0006): any
/// other key is refused as the entry goes in, before the seal.
#[test]
fn database_refuses_opening_balances_under_other_keys() {
    let mut s = SqliteStore::open_memory().unwrap();
    script(&mut s);
    let conn = s.connection();
    for key in [
        "saldo-awal:kas-daerah/0011223344",
        "opening_balance:kas-daerah/0011223344:0",
        "opening_balance:kas-daerah/0011223344:1x",
        "opening_balance:kas-daerah/0011223344:",
        "opening_balance:belanja/0011223344:1",
    ] {
        let err = Raw {
            kind: "opening_balance",
            key,
            ..Raw::next()
        }
        .refused(conn);
        assert!(
            err.contains("must be keyed opening_balance:<kas account>:<n>"),
            "{key}: {err}"
        );
    }
    // Under its standard key the entry passes the key check and meets the seal's (its fixture
    // hash is not the chain's, which the seal leaves to verify; a broken link is refused).
    let err = Raw {
        kind: "opening_balance",
        key: "opening_balance:kas-daerah/0011223344:1",
        link: "'0000000000000000000000000000000000000000000000000000000000000000'",
        ..Raw::next()
    }
    .refused(conn);
    assert!(err.contains("prev_hash"), "{err}");
}

/// The balance and chain checks run when the run row goes in (schema 0005): an entry cannot be
/// slipped into a run that is already recorded, nor committed without its run row.
#[test]
fn database_refuses_entries_outside_an_open_run() {
    let mut s = SqliteStore::open_memory().unwrap();
    script(&mut s);
    let conn = s.connection();
    // Balanced and linked, but its run (1) is already recorded, so no seal would check it.
    let late = Raw {
        run: 1,
        seal: false,
        ..Raw::next()
    };
    let err = late.refused(conn);
    assert!(err.contains("run that is already recorded"), "{err}");
    // Unbalanced, with no run row at all: refused at COMMIT by the deferred foreign key.
    let unsealed = Raw {
        postings: "(0, 1, 'debit', 100, 'IDR'), (1, 2, 'credit', 99, 'IDR')",
        seal: false,
        ..Raw::next()
    };
    let err = unsealed.refused(conn);
    assert!(err.contains("FOREIGN KEY constraint failed"), "{err}");
    // A booking inside a closed period is refused by the seal too.
    s.close_period("kota-serang", d("2026-01-31"), "bud")
        .unwrap();
    let closed = Raw {
        booked: "2026-01-15",
        ..Raw::next()
    };
    let err = closed.refused(s.connection());
    assert!(err.contains("closed period"), "{err}");
    let report = s.verify("kota-serang").unwrap();
    assert_eq!((report.entries, report.first_bad), (403, None));
}

/// A ledger written at schema 0004 (per-entry trigger) upgrades in place to the per-run seal:
/// the old rows verify, new imports continue the chain, and the old trigger is gone.
#[test]
fn ledger_made_at_0004_upgrades_and_verifies() {
    let (_dir, path) = database_at_schema(4);
    let start = d("2026-03-02");
    let ledger = LedgerInfo {
        code: "old".into(),
        name: "Old".into(),
    };
    {
        let mut old = SqliteStore::open_with(
            &path,
            OpenOptions {
                migrate: false,
                ..OpenOptions::default()
            },
        )
        .unwrap();
        let versions: Vec<bool> = old
            .migration_status()
            .unwrap()
            .iter()
            .map(|m| m.applied_at.is_some())
            .collect();
        // 0001–0004 applied; 0005 and every later one pending.
        assert!(versions.len() > 4, "{versions:?}");
        assert!(versions[..4].iter().all(|&a| a), "{versions:?}");
        assert!(!versions[4..].iter().any(|&a| a), "{versions:?}");
        let has_old_trigger: i64 = old
            .connection()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'entries_checks'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(has_old_trigger, 1);
        old.ensure_ledger(&ledger).unwrap();
        let out = old
            .import_file(
                "old",
                synthetic::statement_batch("a", "0012345678", 300, start),
            )
            .unwrap();
        assert_eq!(out.entries_appended, 300);
    }
    let mut s = open_upgraded(&path);
    let triggers: Vec<String> = {
        let mut st = s
            .connection()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ('entries_checks', 'entries_run_open', 'runs_seal_entries') ORDER BY name")
            .unwrap();
        let names = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<String>, _>>()
            .unwrap();
        names
    };
    assert_eq!(triggers, ["entries_run_open", "runs_seal_entries"]);
    let report = s.verify("old").unwrap();
    assert_eq!((report.entries, report.first_bad.is_none()), (300, true));
    let more = s
        .import_file(
            "old",
            synthetic::statement_batch("b", "0012345678", 200, start + chrono::Duration::days(1)),
        )
        .unwrap();
    assert_eq!(more.entries_appended, 200);
    let report = s.verify("old").unwrap();
    assert_eq!((report.entries, report.first_bad.is_none()), (500, true));
    // The same imports on a ledger created at the current schema give the same chain head.
    let mut fresh = SqliteStore::open_memory().unwrap();
    fresh.ensure_ledger(&ledger).unwrap();
    fresh
        .import_file(
            "old",
            synthetic::statement_batch("a", "0012345678", 300, start),
        )
        .unwrap();
    fresh
        .import_file(
            "old",
            synthetic::statement_batch("b", "0012345678", 200, start + chrono::Duration::days(1)),
        )
        .unwrap();
    assert_eq!(
        fresh.verify("old").unwrap().head_hash,
        s.verify("old").unwrap().head_hash
    );
}

#[test]
fn tampering_below_the_api_is_caught_by_verify() {
    let mut s = SqliteStore::open_memory().unwrap();
    script(&mut s);
    s.tamper_amount("kota-serang", 7, dec!(2)).unwrap();
    assert_eq!(s.verify("kota-serang").unwrap().first_bad.unwrap().seq, 7);
    let mut s = SqliteStore::open_memory().unwrap();
    script(&mut s);
    s.delete_entry("kota-serang", 9).unwrap();
    assert_eq!(s.verify("kota-serang").unwrap().first_bad.unwrap().seq, 10);
    // The triggers are back after the tampering.
    let err = s
        .connection()
        .execute("DELETE FROM entries", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"));
}

#[test]
fn changed_migration_is_refused_naming_file_and_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasda.db");
    let mut s = SqliteStore::open(&path).unwrap();
    let status = s.migration_status().unwrap();
    // Every migration this build knows, in order.
    let known: Vec<&str> = kasda_store_sqlite::migrate::MIGRATIONS
        .iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        status.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        known
    );
    assert_eq!(status[0].name, "0001_init.sql");
    assert_eq!(status[1].name, "0002_entries_by_run.sql");
    assert!(status.iter().all(|m| m.applied_at.is_some()));
    assert!(s.migrate().unwrap().is_empty(), "nothing left to apply");
    s.connection()
        .execute_batch(
            "DROP TRIGGER schema_migrations_no_update;
             UPDATE schema_migrations SET sha256 = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';",
        )
        .unwrap();
    drop(s);
    let err = SqliteStore::open(&path).err().unwrap();
    let text = err.to_string();
    assert!(
        matches!(err, SqliteError::MigrationChanged { .. }),
        "{text}"
    );
    assert!(
        text.contains("schema/sqlite/0001_init.sql") && text.contains(&"a".repeat(64)),
        "{text}"
    );
    let unmigrated = SqliteStore::open_with(
        &path,
        OpenOptions {
            migrate: false,
            ..OpenOptions::default()
        },
    );
    let err: StoreError = unmigrated.unwrap().migration_status().unwrap_err();
    assert!(matches!(err, StoreError::MigrationChanged { .. }));
}

#[test]
fn database_from_a_newer_kasda_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasda.db");
    let s = SqliteStore::open(&path).unwrap();
    s.connection()
        .execute(
            "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (99, '0099_future.sql', ?1, 0)",
            ["b".repeat(64)],
        )
        .unwrap();
    drop(s);
    let err = SqliteStore::open(&path).err().unwrap();
    assert!(
        matches!(err, SqliteError::MigrationUnknown { version: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("0099_future.sql"));
}

#[test]
fn locked_database_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kasda.db");
    let mut holder = SqliteStore::open(&path).unwrap();
    holder.ensure_ledger(&ledger()).unwrap();
    let options = OpenOptions {
        busy_timeout_ms: 200,
        ..OpenOptions::default()
    };
    let mut other = SqliteStore::open_with(&path, options).unwrap();
    // The first connection holds the write lock, as another kasda process importing would.
    holder
        .connection()
        .execute_batch("BEGIN IMMEDIATE")
        .unwrap();
    let started = std::time::Instant::now();
    let err = other
        .append_entries(
            "kota-serang",
            RunInfo::new(RunKind::Manual, "x"),
            vec![entry("m1", "2026-01-10", dec!(1)).into()],
        )
        .unwrap_err();
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    match &err {
        StoreError::Locked { path: p, waited_ms } => {
            assert!(p.ends_with("kasda.db"));
            assert_eq!(*waited_ms, 200);
        }
        other => panic!("expected Locked, got {other}"),
    }
    assert!(err.to_string().contains("locked by another process"));
    holder.connection().execute_batch("COMMIT").unwrap();
    // Once released, the other writer proceeds; readers were never blocked (WAL).
    append_one(&mut other, "m1", "2026-01-10").unwrap();
    assert_eq!(holder.entry_count("kota-serang").unwrap(), 1);
}

#[test]
fn pragmas_are_wal_full_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path().join("k.db")).unwrap();
    let c = s.connection();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    let fk: i64 = c
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    assert_eq!(page, kasda_store_sqlite::NEW_DATABASE_PAGE_SIZE);
    // A database made with another page size keeps it, and takes imports as before.
    let old = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&old).unwrap();
        conn.pragma_update(None, "page_size", 4096).unwrap();
        kasda_store_sqlite::migrate::migrate(&mut conn, 1).unwrap();
    }
    let mut s = SqliteStore::open(&old).unwrap();
    let page: i64 = s
        .connection()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    assert_eq!(page, 4096);
    s.ensure_ledger(&ledger()).unwrap();
    s.import_file(
        "kota-serang",
        synthetic::statement_batch("a", "0012345678", 50, d("2026-01-02")),
    )
    .unwrap();
    assert!(s.verify("kota-serang").unwrap().first_bad.is_none());
}

/// Appends one manual entry of 1 keyed `key` on `day` as a run of its own.
fn append_one(
    s: &mut SqliteStore,
    key: &str,
    day: &str,
) -> Result<kasda_store::AppendOutcome, StoreError> {
    s.append_entries(
        "kota-serang",
        RunInfo::new(RunKind::Manual, "x"),
        vec![entry(key, day, dec!(1)).into()],
    )
}

/// An import or append on a file commits without the automatic checkpoint (the store's own
/// thread copies the WAL back afterwards): the connection's automatic checkpoint is back at its
/// setting after a write that committed and after one that was refused, a second store on the
/// same file writes beside the first one's checkpoint thread, and what was committed is all
/// there, verified, when the file is opened again.
#[test]
fn large_writes_leave_the_checkpoint_to_the_store_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut s = SqliteStore::open(&path).unwrap();
    s.ensure_ledger(&ledger()).unwrap();
    let automatic = |s: &SqliteStore| -> i64 {
        s.connection()
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(automatic(&s), 1000, "SQLite's default");
    let good = synthetic::statement_batch("a", "0012345678", 1_300, d("2026-01-02"));
    let mut bad = good.clone();
    bad.statements[0].lines[700]
        .entry
        .as_mut()
        .unwrap()
        .postings[0]
        .amount += dec!(1);
    assert!(s.import_file("kota-serang", bad).is_err());
    assert_eq!(automatic(&s), 1000, "after a refused import");
    assert_eq!(
        s.import_file("kota-serang", good).unwrap().entries_appended,
        1_300
    );
    assert_eq!(automatic(&s), 1000, "after an import");
    let mut other = SqliteStore::open(&path).unwrap();
    append_one(&mut other, "m1", "2026-01-10").unwrap();
    assert_eq!(automatic(&other), 1000, "after an append");
    append_one(&mut s, "m2", "2026-01-11").unwrap();
    drop(other);
    drop(s);
    let mut again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.entry_count("kota-serang").unwrap(), 1_302);
    assert_eq!(again.verify("kota-serang").unwrap().first_bad, None);
    assert_eq!(again.check_aggregates("kota-serang").unwrap(), None);
}

#[test]
fn urls_parse() {
    assert_eq!(
        parse_url("sqlite:kasda.db").unwrap(),
        SqliteTarget::File("kasda.db".into())
    );
    assert_eq!(
        parse_url("sqlite://rel/k.db").unwrap(),
        SqliteTarget::File("rel/k.db".into())
    );
    assert_eq!(
        parse_url("sqlite:///abs/k.db").unwrap(),
        SqliteTarget::File("/abs/k.db".into())
    );
    assert_eq!(parse_url("sqlite::memory:").unwrap(), SqliteTarget::Memory);
    for bad in ["postgres://x", "sqlite:", "sqlite:k.db?mode=ro", "kasda.db"] {
        assert!(
            matches!(parse_url(bad), Err(SqliteError::BadUrl { .. })),
            "{bad}"
        );
    }
    let mut s = SqliteStore::open_url("sqlite::memory:").unwrap();
    assert!(s.ledgers().unwrap().is_empty());
}

#[test]
fn amounts_are_exact_minor_units_and_out_of_range_is_refused() {
    let mut s = SqliteStore::open_memory().unwrap();
    s.ensure_ledger(&ledger()).unwrap();
    let big = dec!(92233720368547758.07); // i64::MAX sen
    s.append_entries(
        "kota-serang",
        RunInfo::new(RunKind::Manual, "x"),
        vec![entry("big", "2026-01-10", big).into()],
    )
    .unwrap();
    assert_eq!(
        s.balance("kota-serang", &suspense(), None, None).unwrap(),
        big
    );
    let too_big = dec!(92233720368547758.08);
    let err = s
        .append_entries(
            "kota-serang",
            RunInfo::new(RunKind::Manual, "x"),
            vec![entry("big2", "2026-01-11", too_big).into()],
        )
        .unwrap_err();
    assert!(err.to_string().contains("minor units"), "{err}");
    let stored: i64 = s
        .connection()
        .query_row(
            "SELECT amount FROM postings WHERE seq = 1 AND idx = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, i64::MAX);
}

/// A database file migrated up to `version` only, in a directory that lives as long as the guard.
fn database_at_schema(version: i64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("v{version}.db"));
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    kasda_store_sqlite::migrate::migrate_through(&mut conn, 1, version).unwrap();
    (dir, path)
}

/// Opens `path` with migrations on and checks that every known migration is now applied.
fn open_upgraded(path: &std::path::Path) -> SqliteStore {
    let mut s = SqliteStore::open(path).unwrap();
    assert!(s
        .migration_status()
        .unwrap()
        .iter()
        .all(|m| m.applied_at.is_some()));
    s
}

/// A ledger written at schema 0006 (opening-balance key trigger on `entries`, JSON CHECKs on line
/// and document bodies) upgrades in place to the current schema (0007, 0008): every row reads back
/// the same, the chain verifies, new imports continue it, and the tables carry the new definitions.
#[test]
fn ledger_made_at_0006_upgrades_and_verifies() {
    let (_dir, path) = database_at_schema(6);
    let no_migrate = OpenOptions {
        migrate: false,
        ..OpenOptions::default()
    };
    let schema_sql = |s: &SqliteStore, name: &str| -> Option<String> {
        s.connection()
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .ok()
    };
    let (lines, documents, duplicates, head) = {
        let mut old = SqliteStore::open_with(&path, no_migrate).unwrap();
        let applied: Vec<u32> = old
            .migration_status()
            .unwrap()
            .iter()
            .filter(|m| m.applied_at.is_some())
            .map(|m| m.version)
            .collect();
        assert_eq!(applied, [1, 2, 3, 4, 5, 6]);
        assert!(schema_sql(&old, "entries_opening_balance_key").is_some());
        synthetic::populate_every_kind(&mut old, "old").unwrap();
        let lines = old
            .statement_lines("old", None, d("2026-01-01"), d("2026-12-31"))
            .unwrap();
        let documents = old.documents("old", None, None, None).unwrap();
        let duplicates = old.duplicates("old", None).unwrap();
        let head = old.verify("old").unwrap();
        assert!(head.first_bad.is_none());
        assert!(!lines.is_empty() && !documents.is_empty() && !duplicates.is_empty());
        (lines, documents, duplicates, head.head_hash)
    };
    let mut s = open_upgraded(&path);
    assert_eq!(schema_sql(&s, "entries_opening_balance_key"), None);
    for table in ["statement_lines", "documents"] {
        let sql = schema_sql(&s, table).unwrap();
        assert!(!sql.contains("json_valid"), "{sql}");
    }
    for trigger in [
        "statement_lines_no_update",
        "statement_lines_no_delete",
        "documents_no_update",
        "documents_no_delete",
    ] {
        assert!(schema_sql(&s, trigger).is_some(), "{trigger}");
    }
    assert_eq!(
        s.statement_lines("old", None, d("2026-01-01"), d("2026-12-31"))
            .unwrap(),
        lines
    );
    assert_eq!(s.documents("old", None, None, None).unwrap(), documents);
    assert_eq!(s.duplicates("old", None).unwrap(), duplicates);
    let report = s.verify("old").unwrap();
    assert_eq!(
        (report.head_hash.as_str(), report.first_bad),
        (head.as_str(), None)
    );
    assert_eq!(s.check_aggregates("old").unwrap(), None);
    let more = s
        .import_file(
            "old",
            synthetic::statement_batch("c", "0011223344", 200, d("2026-03-20")),
        )
        .unwrap();
    assert_eq!(more.entries_appended, 200);
    assert!(s.verify("old").unwrap().first_bad.is_none());
    for table in ["statement_lines", "documents"] {
        let err = s
            .connection()
            .execute(&format!("DELETE FROM {table}"), [])
            .unwrap_err();
        assert!(err.to_string().contains("is append-only"), "{table}: {err}");
    }
}
