//! `kasda db migrate` on a database of the previous schema (through 0006): migration 0007
//! converts the stored statement lines (the whole LineFacts JSON, as 0001–0006 wrote them) to
//! bodies without what the columns hold, 0008 the entry hashes and 0009 the lines' and
//! documents' file from hex text to 32 bytes; every answer of the store stays the same and every
//! write path works on the converted database.

use chrono::NaiveDate;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_core::money::Currency;
use kasda_store::conformance::{line, sha_of, statement_batch};
use kasda_store::memory::MemoryStore;
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
use kasda_store_postgres::{testing, PgStore};
use rust_decimal::Decimal;

const LEDGER: &str = "kota-upgrade";
const RKUD: &str = "0011223344";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

fn fee(key: &str, d: u32, cents: i64, joins: &[&str]) -> NewEntry {
    let amount = Decimal::new(cents, 2);
    NewEntry {
        entry: JournalEntry::new(
            EntryKind::Fee,
            day(d),
            day(d),
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

fn count(s: &mut PgStore, sql: &str) -> i64 {
    s.query_i64(sql, &[]).expect(sql)
}

#[test]
fn migrating_a_0006_database_converts_lines_and_hashes_and_keeps_every_answer() {
    let mut s = testing::fresh_store();
    s.migrate_through(6).expect("migrate through 0006");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Upgrade".into(),
    })
    .expect("ledger");
    let mut batch = statement_batch(
        "upgrade",
        RKUD,
        &[
            line(3, "UP-1", 125_000, true),
            line(4, "UP-2", 7, false),
            line(5, "UP-3", 99, true),
        ],
    );
    {
        // What real files carry beside the fixture's minimum: every optional member, an
        // amount written at another scale than its currency's.
        let lines = &mut batch.statements[0].lines;
        let f = &mut lines[0].facts;
        f.counterparty.name = Some("PT \"Maju\" Jaya".into());
        f.counterparty.account = Some("998877".into());
        f.refs.end_to_end_id = Some("E2E-1".into());
        f.bank_tx_code = Some("PMNT/RCDT/ESCT".into());
        f.bank_ref = Some("BR-1".into());
        f.balance_after = Some(Decimal::new(-1_250, 2));
        f.booked_at = day(3).and_hms_opt(9, 30, 5);
        let f = &mut lines[1].facts;
        f.amount = Decimal::new(7, 0);
        assert_eq!(f.currency, Currency::IDR);
    }
    // The lines as 0001–0006 stored them: the whole LineFacts as JSON, nulls and all.
    let sha = batch.file.sha256.clone();
    s.execute_with(
        "WITH r AS (INSERT INTO runs (ledger_id, run_id, kind, actor, started_at, details)
                    VALUES ($1, 1, 'import', 'test', now(), '{}') RETURNING run_id)
         INSERT INTO source_files (ledger_id, sha256, name, size_bytes, format, imported_by,
                                   imported_at, run_id)
         SELECT $1, $2, 'upgrade.sta', 100, 'mt940', 'test', now(), r.run_id FROM r",
        &[&LEDGER, &sha],
    )
    .expect("run and file");
    for l in &batch.statements[0].lines {
        let f = &l.facts;
        let full = serde_json::to_string(f).expect("json");
        s.execute_with(
            "INSERT INTO statement_lines (ledger_id, natural_key, file_sha256, run_id,
                 recorded_at, statement_idx, pos_index, account, booking_date, amount, currency,
                 search_text, facts, entry_seq)
             VALUES ($1, $2, $3, 1, now(), $4, $5, $6, $7, $8, $9, $10, $11::text::json, NULL)",
            &[
                &LEDGER,
                &f.natural_key,
                &sha,
                &(f.statement_index as i32),
                &i64::from(f.pos.index),
                &f.account,
                &f.booking_date,
                &f.amount,
                &f.currency.as_str(),
                &f.text,
                &full,
            ],
        )
        .expect("line as 0006 stored it");
    }
    // Entries with hashes in hex text: kasda_append_small as 0002 defined it.
    let keys: Vec<&str> = batch.statements[0]
        .lines
        .iter()
        .map(|l| l.facts.natural_key.as_str())
        .collect();
    let fees = vec![
        fee("upgrade:fee:1", 3, 650, &keys[..1]),
        fee("upgrade:fee:2", 4, 700, &keys[1..]),
    ];
    // The same appends in the memory store: the chain every store must produce.
    let mut oracle = MemoryStore::new();
    oracle
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Upgrade".into(),
        })
        .expect("oracle ledger");
    oracle
        .append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "ani"),
            fees.clone(),
        )
        .expect("oracle append");
    s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "ani"), fees)
        .expect("append at 0006");
    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM entries WHERE octet_length(hash) = 64"
        ),
        2
    );

    let old_bytes = count(
        &mut s,
        "SELECT sum(octet_length(facts::text))::bigint FROM statement_lines",
    );
    // (This build cannot read a 0006 database: it reads what 0007–0009 store. What it must
    // answer after the upgrade is what was written.)
    let expected: Vec<_> = batch.statements[0]
        .lines
        .iter()
        .map(|l| l.facts.clone())
        .collect();
    let chain = |s: &mut dyn Store| {
        s.entries(LEDGER, 0, 100)
            .expect("entries")
            .into_iter()
            .map(|e| (e.seq, e.entry, e.source_sha256, e.prev_hash, e.hash))
            .collect::<Vec<_>>()
    };
    let entries_expected = chain(&mut oracle);
    let report = oracle.verify(LEDGER).expect("oracle verify");
    assert!(report.first_bad.is_none(), "{report:?}");

    let applied = s.migrate().expect("migrate to the newest schema");
    let names: Vec<&str> = applied.iter().map(|m| m.name.as_str()).collect();
    // (Later migrations follow; they have upgrade tests of their own.)
    assert_eq!(
        names[..3],
        [
            "0007_lean_storage.sql",
            "0008_hash_bytes.sql",
            "0009_file_bytes.sql"
        ]
    );

    // Same answers.
    let lines_after = s
        .statement_lines(LEDGER, None, day(1), day(31))
        .expect("lines after");
    assert_eq!(
        lines_after
            .iter()
            .map(|l| (
                l.facts.clone(),
                l.file_sha256.as_str(),
                l.run_id,
                l.entry_seq
            ))
            .collect::<Vec<_>>(),
        expected
            .iter()
            .map(|f| (f.clone(), sha.as_str(), 1, None))
            .collect::<Vec<_>>()
    );
    for (a, e) in lines_after.iter().zip(&expected) {
        // Same bytes as written, scale of the amount included.
        assert_eq!(
            serde_json::to_string(&a.facts).unwrap(),
            serde_json::to_string(e).unwrap()
        );
    }
    assert_eq!(
        s.lines_by_keys(
            LEDGER,
            &keys.iter().map(|k| k.to_string()).collect::<Vec<_>>()
        )
        .expect("by keys"),
        lines_after
    );
    assert_eq!(chain(&mut s), entries_expected);
    assert_eq!(s.verify(LEDGER).expect("verify after"), report);

    // Stored as intended.
    let new_bytes = count(
        &mut s,
        "SELECT sum(octet_length(facts::text))::bigint FROM statement_lines",
    );
    assert!(
        new_bytes * 3 < old_bytes,
        "bodies {new_bytes} B, were {old_bytes} B"
    );
    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM statement_lines
              WHERE facts::text LIKE '%null%' OR facts::text LIKE '%natural_key%'
                 OR facts::text LIKE '%\"index\"%'"
        ),
        0
    );
    // Only the line whose amount is written at another scale keeps it.
    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM statement_lines WHERE (facts::jsonb) ? 'amount'"
        ),
        1
    );
    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM entries
              WHERE octet_length(hash) = 32 AND octet_length(prev_hash) = 32"
        ),
        2
    );

    assert_eq!(
        count(
            &mut s,
            "SELECT count(*) FROM statement_lines WHERE octet_length(file_sha256) = 32"
        ),
        3
    );

    // Still append-only.
    for sql in [
        "UPDATE statement_lines SET account = 'x'",
        "UPDATE entries SET memo = 'x'",
    ] {
        let err = s.execute_sql(sql).expect_err("update refused");
        assert!(
            matches!(err, StoreError::AppendOnly { .. }) || err.to_string().contains("append-only"),
            "{err}"
        );
    }

    // Every write path on the converted database: a re-sent file (its lines are duplicates of
    // the converted ones), an import that posts, a small append; the chain still verifies.
    let mut again = batch;
    again.file.sha256 = sha_of("upgrade-resent");
    again.file.name = "upgrade-resent.sta".into();
    let out = s.import_file(LEDGER, again).expect("re-sent lines");
    assert_eq!(out.lines_new, 0);
    assert_eq!(out.lines_duplicate, 3);
    let dups = s.duplicates(LEDGER, None).expect("duplicates");
    assert_eq!(dups.len(), 3);
    assert!(dups.iter().all(|d| d.same_content), "{dups:?}");
    let fresh = statement_batch("upgrade-2", RKUD, &[line(6, "UP-4", 500, true)]);
    let out = s.import_file(LEDGER, fresh).expect("import after upgrade");
    assert_eq!(out.entries_appended, 1);
    s.append_entries(
        LEDGER,
        RunInfo::new(RunKind::Reconcile, "ani"),
        vec![fee("upgrade:fee:3", 6, 650, &[])],
    )
    .expect("append after upgrade");
    let end = s.verify(LEDGER).expect("verify at the end");
    assert!(end.first_bad.is_none(), "{end:?}");
    assert_eq!(end.entries, 4);
}
