//! The report aggregates of migration 0012 (`report_flows`, `report_facts`, kept at COMMIT)
//! answer what a walk over the postings answers: on a generated ledger of several days
//! (statement lines cleared late, never or by a reversal, SP2D paid after a few days, STS in
//! transit, transactions recorded at distinct times), `Store::open_items` equals the lookup-based
//! oracle (`kasda_store::open_items_by_lookups`) and `Store::account_flows` / `account_flows_of`
//! equal sums over the entries themselves, for every date and cut-off tried; the same holds for a
//! database written at the schema before and migrated (the migration fills the tables from
//! history), and for what is written after. The generator and checks are shared with the SQLite store
//! (`kasda_store::conformance::aggregates`).

use kasda_store::conformance::aggregates::{check_against_postings, must, populate, Lcg};
use kasda_store::conformance::{fresh, LEDGER};
use kasda_store::Store;
use kasda_store_postgres::testing;

/// The schema just before the report aggregates.
const BEFORE: u32 = 11;

#[test]
fn aggregates_answer_as_the_postings_do() {
    let mut s = fresh(&mut testing::fresh_store);
    let mut rng = Lcg(0x6b61_7364_6120_3039);
    let cutoffs = populate(&mut s, &mut rng, 1, 6);
    check_against_postings(&mut s, 1, 6, &cutoffs);
}

#[test]
fn database_made_before_the_aggregates_upgrades_with_filled_aggregates() {
    let mut s = testing::fresh_store();
    s.migrate_through(BEFORE)
        .expect("migrate to the schema before");
    s.ensure_ledger(&kasda_store::LedgerInfo {
        code: LEDGER.into(),
        name: "Kota Uji".into(),
    })
    .expect("ledger");
    let mut rng = Lcg(0x3030_3038);
    let mut cutoffs = populate(&mut s, &mut rng, 1, 4);
    must("migrate", s.migrate());
    let rows = s
        .query_i64("SELECT count(*) FROM report_flows", &[])
        .expect("count");
    assert!(rows > 0, "the migration fills report_flows from the ledger");
    check_against_postings(&mut s, 1, 4, &cutoffs);
    cutoffs.extend(populate(&mut s, &mut rng, 5, 3));
    check_against_postings(&mut s, 1, 7, &cutoffs);
    assert!(must("verify", s.verify(LEDGER)).first_bad.is_none());
}
