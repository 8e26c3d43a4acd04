//! The existing-match load reads only the ledger's match entries (`Store::match_entry_keys`):
//! the SQLite store's own query and the default over `entries` give the same keys, page by
//! page, as filtering every entry; and a second reconcile through the store adds nothing.

use chrono::NaiveDate;
use kasda_recon::load::{existing_matches, load_input, LoadOptions};
use kasda_recon::{workload, ReconConfig, WeekdayCalendar};
use kasda_store::conformance::{match_keys_by_filter, match_keys_paged};
use kasda_store::memory::MemoryStore;
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store};
use kasda_store_sqlite::SqliteStore;

const LEDGER: &str = "36.73";

/// The workload of `n` receipts imported as `kasda import` would, into a fresh ledger.
fn import(store: &mut dyn Store, n: usize) {
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "test".into(),
        })
        .unwrap();
    workload::import_into(store, LEDGER, n, "store-matches").unwrap();
}

fn reconcile_into(store: &mut dyn Store) -> usize {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let input = load_input(
        store,
        LEDGER,
        d(3, 1),
        d(3, 31),
        d(4, 10),
        LoadOptions::default(),
    )
    .unwrap();
    let cal = WeekdayCalendar::new(Vec::new());
    let out = kasda_recon::reconcile(&input, &ReconConfig::default(), &cal);
    let mut entries = Vec::new();
    for m in &out.matches {
        for (i, entry) in kasda_recon::match_entries(m)
            .unwrap()
            .into_iter()
            .enumerate()
        {
            let joins = if i == 0 {
                m.line_ids.iter().chain(&m.document_ids).cloned().collect()
            } else {
                Vec::new()
            };
            entries.push(NewEntry { entry, joins });
        }
    }
    if !entries.is_empty() {
        store
            .append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "test"), entries)
            .unwrap();
    }
    out.matches.len()
}

#[test]
fn match_entry_keys_are_the_match_entries_and_a_rerun_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(dir.path().join("kasda.db")).unwrap();
    sqlite.migrate().unwrap();
    let mut memory = MemoryStore::new();
    let stores: [&mut dyn Store; 2] = [&mut sqlite, &mut memory];
    let mut keys = Vec::new();
    for store in stores {
        import(store, 400);
        assert_eq!(match_keys_paged(store, LEDGER, 5), Vec::new());
        let first = reconcile_into(store);
        assert!(first >= 360, "{first} matches");
        let all = match_keys_by_filter(store, LEDGER);
        assert!(all.len() >= first, "{} match entries", all.len());
        for page in [1, 7, 10_000] {
            assert_eq!(match_keys_paged(store, LEDGER, page), all, "page {page}");
        }
        assert_eq!(existing_matches(store, LEDGER).unwrap().len(), first);
        assert_eq!(reconcile_into(store), 0);
        keys.push(all.into_iter().map(|(_, k)| k).collect::<Vec<_>>());
    }
    assert_eq!(keys[0], keys[1]);
}
