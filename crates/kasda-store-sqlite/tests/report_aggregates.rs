//! The report aggregates of migration 0009 (`report_flows`, `report_facts`) answer what a walk
//! over the postings answers: on a generated ledger of several days (statement lines cleared
//! late, never or by a reversal, SP2D paid after a few days, STS in transit, runs recorded at
//! distinct times), `Store::open_items` equals the lookup-based oracle
//! (`kasda_store::open_items_by_lookups`) and `Store::account_flows` / `account_flows_of` equal
//! sums over the entries themselves, for every date and cut-off tried; the same holds for a
//! ledger written at schema 0008 and upgraded (the migration fills the tables from history),
//! and for what is written after the upgrade. The generator and checks are shared with the
//! PostgreSQL store (`kasda_store::conformance::aggregates`).

use kasda_core::document::{Channel, Document};
use kasda_store::conformance::aggregates::{
    all_entries, check_against_postings, expected_flows, must, populate, Lcg,
};
use kasda_store::conformance::{day, document_batch, fresh, LEDGER};
use kasda_store::Store;
use kasda_store_sqlite::{OpenOptions, SqliteStore};

#[test]
fn aggregates_answer_as_the_postings_do() {
    let mut s = fresh(&mut || SqliteStore::open_memory().expect("open"));
    let mut rng = Lcg(0x6b61_7364_6120_3039);
    let cutoffs = populate(&mut s, &mut rng, 1, 8);
    check_against_postings(&mut s, 1, 8, &cutoffs);
}

#[test]
fn ledger_made_at_0008_upgrades_with_filled_aggregates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v8.db");
    {
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        kasda_store_sqlite::migrate::migrate_through(&mut conn, 1, 8).expect("migrate to 0008");
    }
    let mut rng = Lcg(0x3030_3038);
    let mut cutoffs = {
        let mut old = SqliteStore::open_with(
            &path,
            OpenOptions {
                migrate: false,
                ..OpenOptions::default()
            },
        )
        .expect("open at 0008");
        let applied: Vec<u32> = must("status", old.migration_status())
            .iter()
            .filter(|m| m.applied_at.is_some())
            .map(|m| m.version)
            .collect();
        assert_eq!(applied, [1, 2, 3, 4, 5, 6, 7, 8]);
        old.ensure_ledger(&kasda_store::LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Uji".into(),
        })
        .expect("ledger");
        populate(&mut old, &mut rng, 1, 5)
    };
    let mut s = SqliteStore::open(&path).expect("open with migrations");
    assert!(must("status", s.migration_status())
        .iter()
        .all(|m| m.applied_at.is_some()));
    let rows: i64 = s
        .connection()
        .query_row("SELECT count(*) FROM report_flows", [], |r| r.get(0))
        .expect("count");
    assert!(rows > 0, "the migration fills report_flows from the ledger");
    check_against_postings(&mut s, 1, 5, &cutoffs);
    // Written after the upgrade: the run trigger keeps both tables, facts of before the
    // upgrade included (cleared now).
    cutoffs.extend(populate(&mut s, &mut rng, 6, 4));
    check_against_postings(&mut s, 1, 9, &cutoffs);
    assert!(must("verify", s.verify(LEDGER)).first_bad.is_none());
}

#[test]
fn receipts_and_channels_flow_like_the_entries() {
    // Receipts and their settlement (no tracked facts): flows of pendapatan and channels.
    let mut s = fresh(&mut || SqliteStore::open_memory().expect("open"));
    let r = kasda_store::conformance::receipt("NTPD-AGG-1", Channel::Qris, "4.1.01.06", 125, 2);
    must(
        "receipt",
        s.import_file(LEDGER, document_batch("agg-r", vec![Document::Receipt(r)])),
    );
    let entries = all_entries(&mut s);
    let got = must(
        "account_flows",
        s.account_flows(LEDGER, &[], day(1), day(31), None),
    );
    let want = expected_flows(&entries, &[], day(1), day(31), None);
    assert!(!want.is_empty());
    assert_eq!(got.len(), want.len());
    for f in got {
        let key = (
            f.account.to_string(),
            f.day,
            f.entry_kind.as_str().to_string(),
        );
        assert_eq!(want.get(&key), Some(&(f.debits, f.credits)), "{key:?}");
    }
}
