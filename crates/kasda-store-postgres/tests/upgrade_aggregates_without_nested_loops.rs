//! `kasda db migrate` on a database through 0015: migration 0016 makes the COMMIT-time report
//! aggregates of a large range (an import) join without nested loops, which on rows no ANALYZE
//! has seen re-read the range's postings for every entry, and 0017 turns JIT off in the
//! COMMIT-time functions (their disabled-scan costs made every call compile its statements) and
//! hash and merge joins off in the fact closer, which 0018 takes back (on stale statistics its
//! UPDATE then probed the wrong index and read every fact of an account per closed fact). The settings are where the migration
//! puts them and nowhere else (the session keeps its own after an import), and imports before and
//! after the upgrade — small and large ranges, into a ledger whose tables were never analysed —
//! keep report aggregates equal to the postings and one chain that verifies.

use kasda_store::{LedgerInfo, Store};
use kasda_store_postgres::{bench, testing, PgStore};

const LEDGER: &str = "prov-fresh";

fn settings_of(s: &mut PgStore, function: &str, setting: &str) -> i64 {
    s.query_i64(
        "SELECT count(*) FROM pg_proc p, unnest(p.proconfig) c
          WHERE p.proname = $1 AND c = $2",
        &[&function, &setting],
    )
    .expect("function settings")
}

fn flows_differing_from_postings(s: &mut PgStore) -> i64 {
    s.query_i64(
        "SELECT count(*) FROM (
             SELECT account_id, day, sum(debit - credit) AS net FROM report_flows
              WHERE ledger_id = $1 GROUP BY account_id, day) f
         FULL JOIN (
             SELECT p.account_id, e.booked_on AS day,
                    sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) AS net
               FROM postings p JOIN entries e ON e.ledger_id = p.ledger_id AND e.seq = p.seq
              WHERE p.ledger_id = $1 GROUP BY p.account_id, e.booked_on) p
           ON p.account_id = f.account_id AND p.day = f.day
         WHERE f.net IS DISTINCT FROM p.net",
        &[&LEDGER],
    )
    .expect("report flows")
}

#[test]
fn large_imports_keep_their_aggregates_without_nested_loops() {
    let mut s = testing::fresh_store();
    s.migrate_through(15).expect("migrate through 0015");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Provinsi, tables never analysed".into(),
    })
    .expect("ledger");
    s.import_file(LEDGER, bench::synthetic_batch("a", "1020010000001", 300))
        .expect("large import before the upgrade");
    assert_eq!(
        settings_of(&mut s, "kasda_report_aggregates", "enable_nestloop=on"),
        0
    );

    s.migrate().expect("migrate to the latest schema");
    // The trigger restores the setting it changes on exit; the fact closer keeps nested loops.
    assert_eq!(
        settings_of(&mut s, "kasda_report_aggregates", "enable_nestloop=on"),
        1
    );
    assert_eq!(
        settings_of(&mut s, "kasda_report_close_facts", "enable_nestloop=on"),
        1
    );
    assert_eq!(
        settings_of(&mut s, "kasda_report_close_facts", "enable_seqscan=off"),
        1
    );
    for function in [
        "kasda_report_aggregates",
        "kasda_check_entries",
        "kasda_report_close_facts",
    ] {
        assert_eq!(settings_of(&mut s, function, "jit=off"), 1, "{function}");
    }
    // 0017 turned hash and merge joins off in the closer; 0018 gives them back.
    for setting in ["enable_hashjoin=off", "enable_mergejoin=off"] {
        assert_eq!(
            settings_of(&mut s, "kasda_report_close_facts", setting),
            0,
            "{setting}"
        );
    }

    // A large range (the trigger's nested-loop-free branch) and a small one (generic plans).
    s.import_file(LEDGER, bench::synthetic_batch("b", "1020010000001", 2_000))
        .expect("large import after the upgrade");
    s.import_file(LEDGER, bench::synthetic_batch("c", "1020010000002", 10))
        .expect("small import after the upgrade");
    let session_nestloop = s
        .query_i64(
            "SELECT (current_setting('enable_nestloop') = 'on')::int::bigint",
            &[],
        )
        .expect("session setting");
    assert_eq!(
        session_nestloop, 1,
        "the trigger's setting leaked into the session"
    );

    assert_eq!(flows_differing_from_postings(&mut s), 0);
    let report = s.verify(LEDGER).expect("verify");
    assert_eq!(report.first_bad, None, "{report:?}");
    assert_eq!(report.entries, 2_310, "entries lost or doubled");
    assert!(
        s.check_aggregates(LEDGER).expect("aggregates").is_empty(),
        "balance aggregate differs from the postings"
    );
}
