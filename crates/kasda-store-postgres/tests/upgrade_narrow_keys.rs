//! `kasda db migrate` on a database through 0013: migration 0014 makes the natural keys of
//! statement lines, documents and entries unique through hash indexes (EXCLUDE constraints on
//! `ledger_id || ' ' || natural_key`) instead of B-trees over the key text. Facts written before
//! the upgrade are still found by their keys (a re-sent statement and re-sent documents add
//! nothing twice, a repeated append is skipped), the same keys stay free in another ledger, the
//! database itself still refuses a second row under a stored key, the functions that look keys
//! up were rewritten to the indexed expression, and the chain verifies across the upgrade.

use kasda_core::document::{Channel, Document};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_store::conformance::{day, document_batch, line, receipt, statement_batch, Line};
use kasda_store::{ImportBatch, LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
use kasda_store_postgres::{testing, PgStore};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-keys";
const OTHER: &str = "kab-keys";
const RKUD: &str = "0011223344";

fn lines(from: usize, to: usize) -> Vec<Line> {
    (from..to)
        .map(|i| {
            line(
                1 + (i % 9) as u32,
                &format!("KEY-{i}"),
                1_000 + i as i64,
                i % 2 == 0,
            )
        })
        .collect()
}

fn receipts(label: &str, ntpds: &[&str]) -> ImportBatch {
    document_batch(
        label,
        ntpds
            .iter()
            .map(|n| Document::Receipt(receipt(n, Channel::Teller, "4.1.01.06.01", 50_000, 3)))
            .collect(),
    )
}

fn fee(key: &str, joins: &[&str]) -> NewEntry {
    let amount = Decimal::new(2_500, 2);
    NewEntry {
        entry: JournalEntry::new(
            EntryKind::Fee,
            day(12),
            day(12),
            key,
            "",
            "biaya administrasi",
            None,
            vec![
                Posting::debit(AccountKey::new(AccountKind::BebanBank, RKUD), amount),
                Posting::credit(AccountKey::new(AccountKind::KasDaerah, RKUD), amount),
            ],
        )
        .expect("valid fee"),
        joins: joins.iter().map(|j| j.to_string()).collect(),
    }
}

fn run() -> RunInfo {
    RunInfo {
        kind: RunKind::Reconcile,
        actor: "test".into(),
        details: serde_json::json!({}),
    }
}

fn refused(r: Result<(), StoreError>, constraint: &str) {
    match r {
        Ok(()) => panic!("the database accepted a second row under a stored key ({constraint})"),
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("exclusion constraint") && text.contains(constraint),
                "expected a refusal by {constraint}, got: {text}"
            );
        }
    }
}

fn count(s: &mut PgStore, sql: &str) -> i64 {
    s.query_i64(sql, &[]).expect(sql)
}

/// The natural key of line `i` of [`lines`] in a statement of RKUD.
fn line_key(i: usize) -> String {
    statement_batch("key", RKUD, &lines(0, i + 1)).statements[0].lines[i]
        .facts
        .natural_key
        .clone()
}

/// How many suspense facts of `key`'s entry the report aggregates hold closed on day 12.
fn closed_on_day_12(s: &mut PgStore, key: &str) -> i64 {
    count(
        s,
        &format!(
            "SELECT count(*) FROM report_facts f JOIN entries e USING (ledger_id, seq)
              WHERE f.ledger_id = '{LEDGER}' AND e.natural_key = '{key}'
                AND f.closed_on = DATE '2026-03-12'"
        ),
    )
}

#[test]
fn migrating_a_0013_database_keeps_natural_keys_unique_and_found() {
    let mut s = testing::fresh_store();
    s.migrate_through(13).expect("migrate through 0013");
    for (code, name) in [(LEDGER, "Kota Keys"), (OTHER, "Kabupaten Keys")] {
        s.ensure_ledger(&LedgerInfo {
            code: code.into(),
            name: name.into(),
        })
        .expect("ledger");
    }
    let first = s
        .import_file(LEDGER, statement_batch("before", RKUD, &lines(0, 30)))
        .expect("statement before the upgrade");
    assert_eq!(first.lines_new, 30);
    s.import_file(LEDGER, receipts("docs-before", &["NTPD-1", "NTPD-2"]))
        .expect("documents before the upgrade");
    let stored = line_key(0);
    s.append_entries(LEDGER, run(), vec![fee("fee:before", &[stored.as_str()])])
        .expect("append before the upgrade");

    s.migrate().expect("migrate to the latest schema");

    // An overlapping statement: the 30 stored lines are duplicates, 10 are new.
    let overlap = s
        .import_file(LEDGER, statement_batch("after", RKUD, &lines(0, 40)))
        .expect("overlapping statement after the upgrade");
    assert_eq!(
        (
            overlap.lines_new,
            overlap.lines_duplicate,
            overlap.entries_appended
        ),
        (10, 30, 10)
    );
    let docs = s
        .import_file(
            LEDGER,
            receipts("docs-after", &["NTPD-1", "NTPD-2", "NTPD-3"]),
        )
        .expect("documents after the upgrade");
    assert_eq!((docs.documents_new, docs.documents_duplicate), (1, 2));
    // The small (one-trip) append and the general path both find a stored key.
    let again = s
        .append_entries(LEDGER, run(), vec![fee("fee:before", &[])])
        .expect("repeated small append");
    assert_eq!(again.duplicates, vec!["fee:before".to_string()]);
    assert!(again.appended.is_empty());
    let many: Vec<NewEntry> = std::iter::once(fee("fee:before", &[]))
        .chain((0..1_001).map(|i| fee(&format!("fee:bulk:{i}"), &[])))
        .collect();
    let bulk = s
        .append_entries(LEDGER, run(), many)
        .expect("append over the small-append limit");
    assert_eq!(
        (bulk.appended.len(), bulk.duplicates.len()),
        (1_001, 1),
        "the COPY path skips the stored key"
    );
    // Reads by key.
    let keys = vec![stored.clone(), "stmt:missing".to_string()];
    assert_eq!(
        s.lines_by_keys(LEDGER, &keys).expect("lines by key").len(),
        1
    );
    assert_eq!(
        s.entries_by_keys(LEDGER, &keys)
            .expect("entries by key")
            .len(),
        1
    );
    let doc_keys = vec!["receipt:NTPD-3".to_string(), "receipt:NTPD-9".to_string()];
    assert_eq!(
        s.documents_by_keys(LEDGER, &doc_keys)
            .expect("documents by key")
            .len(),
        1
    );

    // The same keys are free in another ledger.
    let other = s
        .import_file(OTHER, statement_batch("after", RKUD, &lines(0, 40)))
        .expect("same lines, other ledger");
    assert_eq!((other.lines_new, other.lines_duplicate), (40, 0));
    let other_docs = s
        .import_file(
            OTHER,
            receipts("docs-after", &["NTPD-1", "NTPD-2", "NTPD-3"]),
        )
        .expect("same documents, other ledger");
    assert_eq!(other_docs.documents_new, 3);

    // The database refuses a second row under a stored key, whoever writes it.
    refused(
        s.execute_sql(&format!(
            "INSERT INTO statement_lines (ledger_id, natural_key, file_sha256, run_id, recorded_at,
                 statement_idx, pos_index, account, booking_date, amount, currency, search_text,
                 facts)
             SELECT ledger_id, natural_key, file_sha256, run_id, recorded_at, statement_idx,
                    pos_index + 1000, account, booking_date, amount, currency, search_text, facts
               FROM statement_lines WHERE ledger_id = '{LEDGER}' AND natural_key = '{stored}'"
        )),
        "statement_lines_natural_key",
    );
    refused(
        s.execute_sql(&format!(
            "INSERT INTO documents (ledger_id, natural_key, kind, file_sha256, run_id, recorded_at,
                 row_no, doc_date, body)
             SELECT ledger_id, natural_key, kind, file_sha256, run_id, recorded_at, row_no + 1000,
                    doc_date, body
               FROM documents WHERE ledger_id = '{LEDGER}' AND natural_key = 'receipt:NTPD-1'"
        )),
        "documents_natural_key",
    );
    refused(
        s.execute_sql(&format!(
            "BEGIN;
             INSERT INTO entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                 position, memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash)
             SELECT ledger_id, seq + 100000, kind, booked_on, value_date, natural_key, position,
                    memo, reverses, source_sha256, run_id, recorded_at, prev_hash, hash
               FROM entries WHERE ledger_id = '{LEDGER}' AND natural_key = 'fee:before';
             COMMIT;"
        )),
        "entries_natural_key",
    );
    s.execute_sql("ROLLBACK").expect("clean session");

    // No function of the schema looks an entry up by the key column alone any more.
    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace
                AND (prosrc LIKE '%e.natural_key = e_key%'
                  OR prosrc LIKE '%e.natural_key = ANY (e_key)%'
                  OR prosrc LIKE '%t.natural_key = j.joined_key%')"
        ),
        0
    );
    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM pg_proc
              WHERE pronamespace = 'public'::regnamespace
                AND proname IN ('kasda_append_small', 'kasda_append_group',
                                'kasda_report_close_facts')
                AND prosrc LIKE '%ledger_id || '' '' || %natural_key%'"
        ),
        3
    );
    // A fee joined to a suspense line closes its fact, before the upgrade and after it (the
    // rewritten kasda_report_aggregate_range finds the joined entry by its key).
    assert_eq!(closed_on_day_12(&mut s, &stored), 1);
    let new_line = line_key(35);
    assert_eq!(closed_on_day_12(&mut s, &new_line), 0);
    s.append_entries(LEDGER, run(), vec![fee("fee:after", &[new_line.as_str()])])
        .expect("append joining a line written after the upgrade");
    assert_eq!(closed_on_day_12(&mut s, &new_line), 1);

    for ledger in [LEDGER, OTHER] {
        let report = s.verify(ledger).expect("verify");
        assert_eq!(report.first_bad, None, "{ledger}");
    }
}
