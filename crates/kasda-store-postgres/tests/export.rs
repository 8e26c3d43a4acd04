//! Moving a ledger between SQLite and PostgreSQL through the export stream: SQLite → stream →
//! PostgreSQL → stream (and the other way) gives byte-identical streams and the same verified
//! chain; a truncated, edited or misplaced stream is refused with nothing written.

use kasda_store::conformance::{self, day};
use kasda_store::export::{ExportRecord, MAX_RECORD_BYTES};
use kasda_store::{LedgerInfo, RunInfo, RunKind, Store};
use kasda_store_postgres::testing::fresh_store;
use kasda_store_postgres::PgStore;
use kasda_store_sqlite::{synthetic, SqliteStore};
use rust_decimal_macros::dec;

const L: &str = "kab-serang";

fn populate<S: Store>(s: &mut S) {
    synthetic::populate_every_kind(s, L).unwrap();
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
    conformance::assert_same_answers(&mut a, &mut b, L);
    assert!(b.check_aggregates(L).unwrap().is_empty());

    // The moved ledger goes on in PostgreSQL: the chain continues, the period lock holds.
    let next = b
        .append_entries(
            L,
            RunInfo::new(RunKind::Manual, "x"),
            vec![synthetic::manual_match("moved-on", 13, dec!(1)).into()],
        )
        .unwrap();
    assert_eq!(next.appended, vec![ra.entries as i64 + 1]);
    assert!(b
        .append_entries(
            L,
            RunInfo::new(RunKind::Manual, "x"),
            vec![synthetic::manual_match("late", 9, dec!(1)).into()]
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
    conformance::assert_same_answers(&mut a, &mut b, L);

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
    conformance::assert_same_answers(&mut a, &mut c, L);
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
