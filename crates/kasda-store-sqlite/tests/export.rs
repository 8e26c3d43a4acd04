//! Moving a ledger out and back in: the export stream round-trips byte for byte, keeps the chain
//! (verified after the move), and a damaged, truncated or misplaced stream writes nothing.

use kasda_core::document::{Channel, Document};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::conformance::{bku, day, document_batch, receipt, sp2d, sts};
use kasda_store::{
    FindingInput, FindingStatus, LedgerInfo, NewEntry, NewProposal, ProposalKind, RunInfo, RunKind,
    Store,
};
use kasda_store_sqlite::export::{ExportRecord, MAX_RECORD_BYTES};
use kasda_store_sqlite::{synthetic, SqliteError, SqliteStore};
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

/// A ledger with every kind of row the schema holds.
fn populated() -> SqliteStore {
    let mut s = SqliteStore::open_memory().unwrap();
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
                joins: vec!["receipt:NTPD001".into()],
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
    assert_eq!(b.closed_through(L).unwrap(), Some(day(9)));
    assert_eq!(b.check_aggregates(L).unwrap(), None);
    // The moved ledger goes on: the chain continues and the period lock still holds.
    let next = b
        .append_entries(
            L,
            RunInfo::new(RunKind::Manual, "x"),
            vec![matched("after", 10, dec!(1)).into()],
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
