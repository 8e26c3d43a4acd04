//! Moving a ledger out and back in: the export stream round-trips byte for byte, keeps the chain
//! (verified after the move), and a damaged, truncated or misplaced stream writes nothing.

use kasda_store::conformance::{self, day};
use kasda_store::{RunInfo, RunKind, Store};
use kasda_store_sqlite::export::{ExportRecord, MAX_RECORD_BYTES};
use kasda_store_sqlite::{synthetic, SqliteError, SqliteStore};
use rust_decimal_macros::dec;

const L: &str = "kab-serang";

/// A ledger with every kind of row the schema holds.
fn populated() -> SqliteStore {
    let mut s = SqliteStore::open_memory().unwrap();
    synthetic::populate_every_kind(&mut s, L).unwrap();
    s
}

fn export(s: &mut SqliteStore) -> Vec<u8> {
    let mut out = Vec::new();
    s.export_ledger(L, &mut out).unwrap();
    out
}

#[test]
fn round_trip_is_exact_and_verified() {
    let mut a = populated();
    let bytes = export(&mut a);
    let mut b = SqliteStore::open_memory().unwrap();
    let moved = b.import_ledger(bytes.as_slice()).unwrap();
    let ra = a.verify(L).unwrap();
    assert_eq!(moved.head_hash, ra.head_hash);
    assert_eq!(moved.entries, ra.entries);
    assert_eq!(b.verify(L).unwrap(), ra);
    // Byte-identical when exported again from the new home.
    assert_eq!(export(&mut b), bytes);
    // And every answer through the trait is the same.
    conformance::assert_same_answers(&mut a, &mut b, L);
    assert_eq!(b.closed_through(L).unwrap(), Some(day(9)));
    assert_eq!(b.check_aggregates(L).unwrap(), None);
    // The report aggregates the writer keeps (report_flows, schema 0011: one writer for the whole
    // move, entries of many runs and recording times) and those the run seals keep
    // (report_facts) are the source's, row for row.
    for table in [
        "SELECT ledger, account_id, day, kind, currency, recorded_at, debit, credit FROM report_flows
          ORDER BY ledger, account_id, day, kind, currency, recorded_at",
        "SELECT ledger, seq, account_id, kind, booked_on, closed_on FROM report_facts
          ORDER BY ledger, seq, account_id",
    ] {
        let (kept_a, kept_b) = (table_rows(&a, table), table_rows(&b, table));
        assert!(!kept_a.is_empty(), "{table}: rows to compare");
        assert_eq!(kept_b, kept_a, "{table}");
    }
    // The moved ledger goes on: the chain continues and the period lock still holds.
    let next = b
        .append_entries(
            L,
            RunInfo::new(RunKind::Manual, "x"),
            vec![synthetic::manual_match("after", 10, dec!(1)).into()],
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

/// Every row of `sql` as text, column by column.
fn table_rows(s: &SqliteStore, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = s.connection().prepare(sql).unwrap();
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect()
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn assert_nothing_written(s: &mut SqliteStore) {
    assert!(
        s.ledgers().unwrap().is_empty(),
        "a refused stream leaves no ledger behind"
    );
}

#[test]
fn damaged_streams_are_refused_whole() {
    let mut a = populated();
    let bytes = export(&mut a);
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();

    // Truncated: the end record is missing.
    let truncated = lines[..lines.len() - 1].join("\n");
    let mut b = SqliteStore::open_memory().unwrap();
    let err = b.import_ledger(truncated.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("without an end record"), "{err}");
    assert_nothing_written(&mut b);

    // One entry's memo edited in transit: the chain no longer verifies.
    let at = lines
        .iter()
        .position(|l| l.contains("\"record\":\"entry\"") && l.contains("synthetic credit"))
        .unwrap();
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[at] = edited[at].replace("synthetic credit", "synthetic kredit");
    let err = b.import_ledger(edited.join("\n").as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("does not verify") || err.to_string().contains("prev_hash"),
        "{err}"
    );
    assert_nothing_written(&mut b);

    // An entry dropped: the chain has a gap, which the database refuses.
    let mut dropped: Vec<&str> = lines.clone();
    dropped.remove(at);
    assert!(b.import_ledger(dropped.join("\n").as_bytes()).is_err());
    assert_nothing_written(&mut b);

    // Not an export at all.
    let err = b
        .import_ledger(
            "{\"record\":\"end\",\"records\":0,\"entries\":0,\"head_hash\":\"\"}\n".as_bytes(),
        )
        .unwrap_err();
    assert!(
        matches!(err, SqliteError::Export { record: 1, .. }),
        "{err}"
    );

    // Into a ledger that already holds data.
    let err = a.import_ledger(bytes.as_slice()).unwrap_err();
    assert!(err.to_string().contains("already holds data"), "{err}");

    // A record over the size limit is refused with the limit named.
    let huge = format!("{}\n{}\n", lines[0], "x".repeat(MAX_RECORD_BYTES + 10));
    let err = b.import_ledger(huge.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains(&MAX_RECORD_BYTES.to_string()),
        "{err}"
    );
    assert_nothing_written(&mut b);
}

#[test]
fn stream_records_are_store_neutral_json() {
    let mut a = populated();
    let bytes = export(&mut a);
    let text = String::from_utf8(bytes).unwrap();
    let records: Vec<ExportRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(matches!(records.first(), Some(ExportRecord::Header { .. })));
    assert!(matches!(records.last(), Some(ExportRecord::End { .. })));
    let entries = records
        .iter()
        .filter(|r| matches!(r, ExportRecord::Entry { .. }))
        .count();
    assert_eq!(entries as u64, a.verify(L).unwrap().entries);
    // Amounts travel as exact decimal text, never as floats.
    assert!(text.contains("\"amount\":\"10000\"") || text.contains("\"amount\":\"10000.00\""));
}
