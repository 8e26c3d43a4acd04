//! Moving a ledger between SQLite and PostgreSQL through the export stream: SQLite → stream →
//! PostgreSQL → stream (and the other way) gives byte-identical streams and the same verified
//! chain; a truncated, edited or misplaced stream is refused with nothing written.

use kasda_core::document::{Channel, Document};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::conformance::{bku, day, document_batch, receipt, sp2d, sts};
use kasda_store::export::{ExportRecord, MAX_RECORD_BYTES};
use kasda_store::{
    FindingInput, FindingStatus, LedgerInfo, NewEntry, NewProposal, ProposalKind, RunInfo, RunKind,
    Store,
};
use kasda_store_postgres::testing::fresh_store;
use kasda_store_postgres::PgStore;
use kasda_store_sqlite::{synthetic, SqliteStore};
use rust_decimal_macros::dec;

const L: &str = "kab-serang";

fn matched(key: &str, d: u32, amount: rust_decimal::Decimal) -> JournalEntry {
    JournalEntry::new(
        EntryKind::Match,
        day(d),
        day(d),
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
    .unwrap()
}

fn finding(id: &str, status: FindingStatus) -> FindingInput {
    FindingInput {
        id: id.into(),
        rule: "unidentified_credit".into(),
        severity: "medium".into(),
        status,
        summary: format!("finding {id}"),
        amount: Some(dec!(1500000.00)),
        as_of: day(20),
        details: serde_json::json!({ "keys": ["a", "b"] }),
    }
}

/// Fills ledger `L` of `s` with every kind of row the schemas hold: overlapping statements
/// (duplicate lines), documents with a changed duplicate, a derived entry with joins,
/// findings with history, approved (a reversal), rejected and open proposals, a period close
/// and an entry booked after it.
fn populate<S: Store>(s: &mut S) {
    s.ensure_ledger(&LedgerInfo {
        code: L.into(),
        name: "Pemerintah Kabupaten Serang".into(),
    })
    .unwrap();
    s.import_file(
        L,
        synthetic::statement_batch("a", "0011223344", 120, day(2)),
    )
    .unwrap();
    s.import_file(
        L,
        synthetic::statement_batch("b", "0011223344", 150, day(2)),
    )
    .unwrap();
    let r1 = receipt("NTPD001", Channel::Qris, "4.1.01.15.01.0001", 250_000, 3);
    let docs = vec![
        Document::Receipt(r1.clone()),
        Document::Sts(sts("STS/001", "1.02.01", "4.1.02.01.01.0001", 75_000, 4)),
        Document::Sp2d(sp2d("0280/LS-GJ/2026", 5_000_000, 5)),
        Document::Bku(bku(1, 75_000, 4)),
    ];
    s.import_file(L, document_batch("docs1", docs)).unwrap();
    let mut changed = r1;
    changed.total = dec!(260000);
    changed.pokok = dec!(260000);
    changed.lines[0].amount = dec!(260000);
    s.import_file(L, document_batch("docs2", vec![Document::Receipt(changed)]))
        .unwrap();
    let out = s
        .append_entries(
            L,
            RunInfo::new(RunKind::Reconcile, "recon"),
            vec![NewEntry {
                entry: matched("match:x", 6, dec!(10000)),
                joins: vec!["receipt:NTPD001".into(), "line:other".into()],
            }],
        )
        .unwrap();
    s.record_findings(
        L,
        out.run_id,
        &[
            finding("f1", FindingStatus::Open),
            finding("f2", FindingStatus::Open),
        ],
    )
    .unwrap();
    s.record_findings(L, out.run_id, &[finding("f1", FindingStatus::Resolved)])
        .unwrap();
    let first = s.entries_by_seq(L, &out.appended).unwrap().remove(0);
    let proposal = |reason: &str, e: JournalEntry| NewProposal {
        kind: ProposalKind::Correction,
        reason: reason.into(),
        proposed_by: "maker".into(),
        entries: vec![e.into()],
    };
    let p1 = s
        .propose(
            L,
            proposal(
                "wrong match",
                first.entry.reversal(first.seq, day(7), "wrong match"),
            ),
        )
        .unwrap();
    s.approve(L, p1, "checker").unwrap();
    let p2 = s
        .propose(L, proposal("write off", matched("wo:1", 8, dec!(5))))
        .unwrap();
    s.reject(L, p2, "checker", "no evidence").unwrap();
    s.propose(L, proposal("pending", matched("wo:2", 9, dec!(6))))
        .unwrap();
    s.close_period(L, day(9), "bud").unwrap();
    s.append_entries(
        L,
        RunInfo::new(RunKind::Manual, "treasurer"),
        vec![matched("after-close", 12, dec!(7)).into()],
    )
    .unwrap();
}

fn pg() -> PgStore {
    let mut s = fresh_store();
    s.migrate().unwrap();
    s
}

fn sqlite_export(s: &mut SqliteStore) -> Vec<u8> {
    let mut out = Vec::new();
    s.export_ledger(L, &mut out).unwrap();
    out
}

fn pg_export(s: &mut PgStore) -> Vec<u8> {
    let mut out = Vec::new();
    s.export_ledger(L, &mut out).unwrap();
    out
}

/// Every answer through the trait is the same in both stores.
fn same_answers<A: Store, B: Store>(a: &mut A, b: &mut B) {
    assert_eq!(a.verify(L).unwrap(), b.verify(L).unwrap());
    assert_eq!(
        a.entries(L, 0, 10_000).unwrap(),
        b.entries(L, 0, 10_000).unwrap()
    );
    assert_eq!(
        a.balances(L, None, None, None).unwrap(),
        b.balances(L, None, None, None).unwrap()
    );
    let t = a.entries(L, 0, 1).unwrap()[0].recorded_at;
    assert_eq!(
        a.balances(L, None, None, Some(t)).unwrap(),
        b.balances(L, None, None, Some(t)).unwrap()
    );
    assert_eq!(
        a.statement_lines(L, None, day(1), day(31)).unwrap(),
        b.statement_lines(L, None, day(1), day(31)).unwrap()
    );
    assert_eq!(
        a.documents(L, None, None, None).unwrap(),
        b.documents(L, None, None, None).unwrap()
    );
    assert_eq!(
        a.duplicates(L, None).unwrap(),
        b.duplicates(L, None).unwrap()
    );
    assert_eq!(a.findings(L, false).unwrap(), b.findings(L, false).unwrap());
    assert_eq!(
        a.proposals(L, false).unwrap(),
        b.proposals(L, false).unwrap()
    );
    assert_eq!(a.files(L).unwrap(), b.files(L).unwrap());
    assert_eq!(a.runs(L).unwrap(), b.runs(L).unwrap());
    assert_eq!(
        a.statements(L, None).unwrap(),
        b.statements(L, None).unwrap()
    );
    assert_eq!(a.closed_through(L).unwrap(), b.closed_through(L).unwrap());
}

#[test]
fn sqlite_to_postgres_and_back_is_byte_identical() {
    let mut a = SqliteStore::open_memory().unwrap();
    populate(&mut a);
    let bytes = sqlite_export(&mut a);
    let ra = a.verify(L).unwrap();
    assert_eq!(ra.first_bad, None);

    let mut b = pg();
    let moved = b.import_ledger(bytes.as_slice()).unwrap();
    assert_eq!(moved.head_hash, ra.head_hash);
    assert_eq!(moved.entries, ra.entries);
    let rb = b.verify(L).unwrap();
    assert_eq!(rb.first_bad, None);
    assert_eq!(rb.head_hash, ra.head_hash);
    let again = pg_export(&mut b);
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&bytes)
    );
    same_answers(&mut a, &mut b);
    assert!(b.check_aggregates(L).unwrap().is_empty());

    // The moved ledger goes on in PostgreSQL: the chain continues, the period lock holds.
    let next = b
        .append_entries(
            L,
            RunInfo::new(RunKind::Manual, "x"),
            vec![matched("moved-on", 13, dec!(1)).into()],
        )
        .unwrap();
    assert_eq!(next.appended, vec![ra.entries as i64 + 1]);
    assert!(b
        .append_entries(
            L,
            RunInfo::new(RunKind::Manual, "x"),
            vec![matched("late", 9, dec!(1)).into()]
        )
        .is_err());
    assert_eq!(b.verify(L).unwrap().first_bad, None);
}

#[test]
fn postgres_to_sqlite_and_back_is_byte_identical() {
    let mut a = pg();
    populate(&mut a);
    let bytes = pg_export(&mut a);
    let ra = a.verify(L).unwrap();
    assert_eq!(ra.first_bad, None);

    let mut b = SqliteStore::open_memory().unwrap();
    let moved = b.import_ledger(bytes.as_slice()).unwrap();
    assert_eq!(moved.head_hash, ra.head_hash);
    assert_eq!(b.verify(L).unwrap().head_hash, ra.head_hash);
    assert_eq!(
        String::from_utf8_lossy(&sqlite_export(&mut b)),
        String::from_utf8_lossy(&bytes)
    );
    same_answers(&mut a, &mut b);

    // And PostgreSQL → PostgreSQL, into a ledger that exists but is empty.
    let mut c = pg();
    c.ensure_ledger(&LedgerInfo {
        code: L.into(),
        name: "Pemerintah Kabupaten Serang".into(),
    })
    .unwrap();
    let moved = c.import_ledger(bytes.as_slice()).unwrap();
    assert_eq!(
        moved.records,
        bytes.iter().filter(|b| **b == b'\n').count() as u64
    );
    assert_eq!(pg_export(&mut c), bytes);
    same_answers(&mut a, &mut c);
}

fn assert_nothing_written(s: &mut PgStore) {
    assert!(
        s.ledgers().unwrap().is_empty(),
        "a refused stream leaves no ledger behind"
    );
}

#[test]
fn damaged_streams_are_refused_with_nothing_written() {
    let mut a = SqliteStore::open_memory().unwrap();
    populate(&mut a);
    let bytes = sqlite_export(&mut a);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut b = pg();

    // Truncated: the end record is missing.
    let truncated = lines[..lines.len() - 1].join("\n");
    let err = b.import_ledger(truncated.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("without an end record"), "{err}");
    assert_nothing_written(&mut b);

    // Cut in the middle of the entries.
    let at = lines
        .iter()
        .position(|l| l.contains("\"record\":\"entry\"") && l.contains("synthetic credit"))
        .unwrap();
    let err = b
        .import_ledger(lines[..at + 3].join("\n").as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("without an end record"), "{err}");
    assert_nothing_written(&mut b);

    // One entry's memo edited in transit: the chain no longer verifies.
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[at] = edited[at].replace("synthetic credit", "synthetic kredit");
    let err = b.import_ledger(edited.join("\n").as_bytes()).unwrap_err();
    assert!(err.to_string().contains("breaks at entry"), "{err}");
    assert_nothing_written(&mut b);

    // An amount edited in a posting (hash and all links left alone).
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let posting_amount = edited[at]
        .find("\"amount\":\"")
        .expect("an entry names its posting amounts");
    edited[at].insert(posting_amount + "\"amount\":\"".len(), '9');
    assert!(b.import_ledger(edited.join("\n").as_bytes()).is_err());
    assert_nothing_written(&mut b);

    // An entry dropped: the chain has a gap.
    let mut dropped = lines.clone();
    dropped.remove(at);
    let err = b.import_ledger(dropped.join("\n").as_bytes()).unwrap_err();
    assert!(err.to_string().contains("entry seq"), "{err}");
    assert_nothing_written(&mut b);

    // A line dropped: the end record's count no longer matches.
    let line_at = lines
        .iter()
        .position(|l| l.contains("\"record\":\"line\""))
        .unwrap();
    let mut dropped = lines.clone();
    dropped.remove(line_at);
    let err = b.import_ledger(dropped.join("\n").as_bytes()).unwrap_err();
    assert!(err.to_string().contains("end record saying"), "{err}");
    assert_nothing_written(&mut b);

    // Not an export at all.
    let err = b
        .import_ledger(
            "{\"record\":\"end\",\"records\":0,\"entries\":0,\"head_hash\":\"\"}\n".as_bytes(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("record 1"), "{err}");
    assert_nothing_written(&mut b);

    // A record over the size limit is refused with the limit named.
    let huge = format!("{}\n{}\n", lines[0], "x".repeat(MAX_RECORD_BYTES + 10));
    let err = b.import_ledger(huge.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains(&MAX_RECORD_BYTES.to_string()),
        "{err}"
    );
    assert_nothing_written(&mut b);

    // The intact stream still goes in; a second time it is refused (the ledger holds data).
    b.import_ledger(bytes.as_slice()).unwrap();
    let err = b.import_ledger(bytes.as_slice()).unwrap_err();
    assert!(err.to_string().contains("already holds data"), "{err}");
    assert_eq!(
        b.verify(L).unwrap().head_hash,
        a.verify(L).unwrap().head_hash
    );
}

#[test]
fn export_of_an_unknown_ledger_is_refused_and_records_are_neutral() {
    let mut s = pg();
    let mut out = Vec::new();
    assert!(s.export_ledger("nowhere", &mut out).is_err());
    populate(&mut s);
    let bytes = pg_export(&mut s);
    let records: Vec<ExportRecord> = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(matches!(records.first(), Some(ExportRecord::Header { .. })));
    let Some(ExportRecord::End {
        records: n,
        entries,
        head_hash,
    }) = records.last()
    else {
        panic!("the stream ends with an end record");
    };
    assert_eq!(*n as usize, records.len() - 1);
    let report = s.verify(L).unwrap();
    assert_eq!(*entries, report.entries);
    assert_eq!(head_hash, &report.head_hash);
}

/// Big enough to cross every page and batch boundary of the PostgreSQL side (10,000 rows per
/// fetch, 2,000 entries per insert) and a booking-day boundary of the synthetic data.
#[test]
fn a_ledger_larger_than_one_page_moves_both_ways() {
    let mut a = SqliteStore::open_memory().unwrap();
    a.ensure_ledger(&LedgerInfo {
        code: L.into(),
        name: "Pemerintah Kabupaten Serang".into(),
    })
    .unwrap();
    a.import_file(
        L,
        synthetic::statement_batch("big", "0011223344", 10_500, day(1)),
    )
    .unwrap();
    a.import_file(
        L,
        synthetic::statement_batch("big2", "9988776655", 1_200, day(3)),
    )
    .unwrap();
    let bytes = sqlite_export(&mut a);
    let mut b = pg();
    let moved = b.import_ledger(bytes.as_slice()).unwrap();
    assert_eq!(moved.lines, 11_700);
    assert_eq!(moved.entries, a.verify(L).unwrap().entries);
    assert_eq!(b.verify(L).unwrap(), a.verify(L).unwrap());
    assert!(pg_export(&mut b) == bytes, "PostgreSQL re-export differs");
    assert_eq!(
        a.balances(L, None, None, None).unwrap(),
        b.balances(L, None, None, None).unwrap()
    );
    let mut c = SqliteStore::open_memory().unwrap();
    c.import_ledger(pg_export(&mut b).as_slice()).unwrap();
    assert!(sqlite_export(&mut c) == bytes, "SQLite re-export differs");
}
