//! The existing-match load reads only the ledger's match entries (`Store::match_entry_keys`):
//! the SQLite store's own query and the default over `entries` give the same keys, page by
//! page, as filtering every entry; and a second reconcile through the store adds nothing.

use chrono::NaiveDate;
use kasda_core::document::Document;
use kasda_core::posting::AccountRole;
use kasda_core::statement::{
    AccountId, Entry, References, Remittance, SourcePos, Statement, StatementFile,
};
use kasda_recon::load::{existing_matches, load_input, LoadOptions};
use kasda_recon::{workload, ReconConfig, ReconInput, WeekdayCalendar};
use kasda_store::conformance::{match_keys_by_filter, match_keys_paged};
use kasda_store::memory::MemoryStore;
use kasda_store::{LedgerInfo, NewEntry, RunInfo, RunKind, SourceFile, Store};
use kasda_store_sqlite::SqliteStore;
use sha2::{Digest, Sha256};

const LEDGER: &str = "36.73";

fn source(name: &str, format: &str, tag: &str) -> SourceFile {
    SourceFile {
        name: name.into(),
        sha256: hex::encode(Sha256::digest(tag.as_bytes())),
        size_bytes: 0,
        format: format.into(),
        imported_by: "test".into(),
    }
}

/// The workload's lines (one statement per day) and receipts, imported as `kasda import` would.
fn import(store: &mut dyn Store, inp: &ReconInput) {
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "test".into(),
        })
        .unwrap();
    let mut statements: Vec<Statement> = Vec::new();
    for l in &inp.lines {
        let sid = l.statement_id.clone().unwrap_or_default();
        if statements
            .last()
            .is_none_or(|s| s.id.as_deref() != Some(sid.as_str()))
        {
            statements.push(Statement {
                id: Some(sid),
                account: AccountId {
                    number: Some(l.account.clone()),
                    ..Default::default()
                },
                ..Default::default()
            });
        }
        let st = statements.last_mut().unwrap();
        st.entries.push(Entry {
            pos: SourcePos {
                line: l.seq,
                index: st.entries.len() as u32,
            },
            amount: l.amount,
            direction: Some(l.direction),
            booking_date: Some(l.booking_date),
            value_date: Some(l.value_date),
            refs: References {
                account_servicer: l.bank_ref.clone(),
                ..Default::default()
            },
            remittance: Remittance {
                unstructured: l.texts.clone(),
                ..Default::default()
            },
            ..Default::default()
        });
    }
    let sf = StatementFile {
        statements,
        ..Default::default()
    };
    let batch = kasda_store::build_import_batch(source("lines.xml", "camt.053", "l"), &sf, &|_| {
        AccountRole::Rkud
    })
    .unwrap();
    store.import_file(LEDGER, batch).unwrap();
    let docs: Vec<(u32, Document)> = inp
        .documents
        .receipts
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (i as u32 + 2, Document::Receipt(r.clone())))
        .collect();
    let batch =
        kasda_store::build_document_batch(source("receipts.csv", "receipts-csv", "r"), docs)
            .unwrap();
    store.import_file(LEDGER, batch).unwrap();
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
    let inp = workload::scale_input(400);
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(dir.path().join("kasda.db")).unwrap();
    sqlite.migrate().unwrap();
    let mut memory = MemoryStore::new();
    let stores: [&mut dyn Store; 2] = [&mut sqlite, &mut memory];
    let mut keys = Vec::new();
    for store in stores {
        import(store, &inp);
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
