//! The existing-match load reads only the ledger's match entries (`Store::match_entry_keys`):
//! the SQLite store's own query and the default over `entries` give the same keys, page by
//! page, as filtering every entry; and a second reconcile through the store adds nothing.
//! Matches written as they are handed out (`Store::append_entries_from`) make the same ledger,
//! hash for hash, as the list of every match's entries appended at once.

use chrono::NaiveDate;
use kasda_recon::load::{existing_matches, load_input, new_entries, LoadOptions};

use kasda_recon::{workload, Match, ReconConfig, ReconInput, Reconciled, WeekdayCalendar};
use kasda_store::conformance::{match_keys_by_filter, match_keys_paged};
use kasda_store::memory::MemoryStore;
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, Store, StoreError};
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

/// The workload's month as `kasda reconcile` loads it.
fn load_march(store: &mut dyn Store) -> ReconInput {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    load_input(
        store,
        LEDGER,
        d(3, 1),
        d(3, 31),
        d(4, 10),
        LoadOptions::default(),
    )
    .unwrap()
}

fn reconcile_into(store: &mut dyn Store) -> usize {
    let input = load_march(store);
    let cal = WeekdayCalendar::new(Vec::new());
    let out = kasda_recon::reconcile(&input, &ReconConfig::default(), &cal);
    let mut entries = Vec::new();
    for m in &out.matches {
        entries.extend(entries_of(m));
    }
    if !entries.is_empty() {
        store
            .append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "test"), entries)
            .unwrap();
    }
    out.matches.len()
}

/// The entries of one match, the first naming the facts it joins.
fn entries_of(m: &Match) -> Vec<NewEntry> {
    new_entries(m).unwrap()
}

/// [`reconcile_into`] with each match's entries written while the store appends
/// (`Store::append_entries_from`), as `kasda reconcile` can; returns the matches handed out.
fn reconcile_streamed(store: &mut dyn Store) -> usize {
    let input = load_march(store);
    let cal = WeekdayCalendar::new(Vec::new());
    let cfg = ReconConfig::default();
    let run = Reconciled::new(&input, &cfg, &cal);
    let mut handed = 0;
    store
        .append_entries_from(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "test"),
            &mut |sink| {
                run.try_each_match(|m| {
                    handed += 1;
                    entries_of(&m).into_iter().try_for_each(&mut *sink)
                })
            },
        )
        .unwrap();
    handed
}

#[test]
fn matches_written_as_handed_out_make_the_same_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let mut listed = SqliteStore::open(dir.path().join("listed.db")).unwrap();
    let mut streamed = SqliteStore::open(dir.path().join("streamed.db")).unwrap();
    let mut memory = MemoryStore::new();
    let mut heads = Vec::new();
    for (store, stream) in [
        (&mut listed as &mut dyn Store, false),
        (&mut streamed, true),
        (&mut memory, true),
    ] {
        import(store, 500);
        let n = if stream {
            reconcile_streamed(store)
        } else {
            reconcile_into(store)
        };
        assert!(n >= 450, "{n} matches");
        assert_eq!(reconcile_streamed(store), 0, "a re-run adds nothing");
        let report = store.verify(LEDGER).unwrap();
        heads.push(format!("{report:?}"));
    }
    assert_eq!(heads[1], heads[0], "SQLite, streamed against listed");
    assert_eq!(heads[2], heads[0], "memory store (the default), streamed");
    // A producer's error leaves the ledger as it was.
    let before = streamed.verify(LEDGER).unwrap();
    let r = streamed.append_entries_from(
        LEDGER,
        RunInfo::new(RunKind::Reconcile, "test"),
        &mut |_| Err(StoreError::backend("test", "producer failed")),
    );
    assert!(r.is_err());
    assert_eq!(
        format!("{:?}", streamed.verify(LEDGER).unwrap()),
        format!("{before:?}")
    );
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
