//! `kasda db migrate` on a database of the previous schema: migration 0007 converts the stored
//! statement lines (whole LineFacts JSON, as 0001–0006 wrote them) to bodies without what the
//! columns hold, and every answer of the store stays the same.

use chrono::NaiveDate;
use kasda_core::money::Currency;
use kasda_store::conformance::{line, sha_of, statement_batch};
use kasda_store::{LedgerInfo, Store, StoreError};
use kasda_store_postgres::testing;
use rust_decimal::Decimal;

const LEDGER: &str = "kota-upgrade";
const RKUD: &str = "0011223344";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
}

#[test]
fn migrating_a_0006_database_converts_lines_and_keeps_every_answer() {
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
    s.import_file(LEDGER, batch.clone()).expect("import");
    // The lines as 0001–0006 stored them: the whole LineFacts, nulls and all.
    for l in &batch.statements[0].lines {
        let full = serde_json::to_string(&l.facts).expect("json");
        let n = s
            .with_triggers_disabled(
                &["statement_lines"],
                "UPDATE statement_lines SET facts = $2::text::json
                  WHERE ledger_id = $1 AND natural_key = $3",
                &[&LEDGER, &full, &l.facts.natural_key],
            )
            .expect("store the old form");
        assert_eq!(n, 1);
    }
    let bytes = |s: &mut kasda_store_postgres::PgStore| {
        s.query_i64(
            "SELECT sum(octet_length(facts::text))::bigint FROM statement_lines",
            &[],
        )
        .expect("bytes")
    };
    let old_bytes = bytes(&mut s);
    let before = s
        .statement_lines(LEDGER, None, day(1), day(31))
        .expect("lines before");
    let expected: Vec<_> = batch.statements[0]
        .lines
        .iter()
        .map(|l| l.facts.clone())
        .collect();
    assert_eq!(
        before.iter().map(|l| l.facts.clone()).collect::<Vec<_>>(),
        expected
    );
    let report = s.verify(LEDGER).expect("verify before");

    let applied = s.migrate().expect("migrate to the newest schema");
    let names: Vec<&str> = applied.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["0007_lean_storage.sql"]);

    let after = s
        .statement_lines(LEDGER, None, day(1), day(31))
        .expect("lines after");
    assert_eq!(after, before);
    for (a, e) in after.iter().zip(&expected) {
        // Same bytes as written, scale of the amount included.
        assert_eq!(
            serde_json::to_string(&a.facts).unwrap(),
            serde_json::to_string(e).unwrap()
        );
    }
    let new_bytes = bytes(&mut s);
    assert!(
        new_bytes * 3 < old_bytes,
        "bodies {new_bytes} B, were {old_bytes} B"
    );
    assert_eq!(
        s.query_i64(
            "SELECT count(*) FROM statement_lines
              WHERE facts::text LIKE '%null%' OR facts::text LIKE '%natural_key%'
                 OR facts::text LIKE '%\"index\"%'",
            &[],
        )
        .expect("count"),
        0
    );
    // Only the line whose amount is written at another scale keeps it.
    assert_eq!(
        s.query_i64(
            "SELECT count(*) FROM statement_lines WHERE (facts::jsonb) ? 'amount'",
            &[]
        )
        .expect("count"),
        1
    );
    assert_eq!(s.verify(LEDGER).expect("verify after"), report);

    // Still append-only, and the converted lines still recognise their duplicates.
    let err = s
        .execute_sql("UPDATE statement_lines SET account = 'x'")
        .expect_err("update refused");
    assert!(
        matches!(err, StoreError::AppendOnly { .. }) || err.to_string().contains("append-only"),
        "{err}"
    );
    let mut again = batch;
    again.file.sha256 = sha_of("upgrade-resent");
    again.file.name = "upgrade-resent.sta".into();
    let out = s.import_file(LEDGER, again).expect("re-sent lines");
    assert_eq!(out.lines_new, 0);
    assert_eq!(out.lines_duplicate, 3);
    let dups = s.duplicates(LEDGER, None).expect("duplicates");
    assert_eq!(dups.len(), 3);
    assert!(dups.iter().all(|d| d.same_content), "{dups:?}");
    let keys: Vec<String> = expected.iter().map(|f| f.natural_key.clone()).collect();
    assert_eq!(s.lines_by_keys(LEDGER, &keys).expect("by keys"), after);
}
