//! `match_entry_keys` on PostgreSQL: the match entries (kind `match`, or a natural key starting
//! `match:`) page by page, the same as filtering every entry and as the in-memory store.

use kasda_core::document::Channel;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
use kasda_core::posting::{self, MatchContext};
use kasda_store::conformance::{day, fresh, line, statement_batch, LEDGER, RKUD};
use kasda_store::{is_match_entry, MemoryStore, NewEntry, RunInfo, RunKind, Store};
use rust_decimal::Decimal;

fn entry(kind: EntryKind, key: &str, amount: i64) -> JournalEntry {
    JournalEntry {
        kind,
        booked_on: day(2),
        value_date: day(2),
        natural_key: key.into(),
        position: String::new(),
        memo: "test".into(),
        reverses: None,
        postings: vec![
            Posting::debit(
                AccountKey::new(AccountKind::KasDaerah, RKUD),
                Decimal::from(amount),
            ),
            Posting::credit(
                AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, RKUD),
                Decimal::from(amount),
            ),
        ],
    }
}

fn fill(s: &mut dyn Store) {
    s.import_file(
        LEDGER,
        statement_batch(
            "lines",
            RKUD,
            &[line(2, "A", 100, true), line(3, "B", 50, true)],
        ),
    )
    .unwrap();
    let fee = posting::fee(
        &MatchContext {
            rule: "retail".into(),
            ids: vec!["x".into()],
            booked_on: day(3),
            value_date: day(3),
            memo: "fee".into(),
        },
        Channel::Retail,
        Decimal::from(5),
    )
    .unwrap();
    let entries: Vec<NewEntry> = vec![
        entry(EntryKind::Match, "match:reference:a+b", 100).into(),
        // Not a match: kind and key both say otherwise.
        entry(EntryKind::WriteOff, "writeoff:1", 7).into(),
        fee.into(),
        // A match entry by its kind alone.
        entry(EntryKind::Match, "manual-7", 30).into(),
    ];
    s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "t"), entries)
        .unwrap();
}

fn by_filter(s: &mut dyn Store) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = s.entries(LEDGER, after, 2).unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(
            page.into_iter()
                .filter(|e| is_match_entry(&e.entry))
                .map(|e| (e.seq, e.entry.natural_key)),
        );
    }
    out
}

fn by_keys(s: &mut dyn Store, page: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let got = s.match_entry_keys(LEDGER, after, page).unwrap();
        assert!(got.len() <= page);
        let Some(&(last, _)) = got.last() else { break };
        after = last;
        out.extend(got);
    }
    out
}

#[test]
fn match_entry_keys_read_only_the_match_entries() {
    let mut pg = fresh(&mut kasda_store_postgres::testing::fresh_store);
    let mut mem = fresh(&mut MemoryStore::new);
    fill(&mut pg);
    fill(&mut mem);
    let all = by_filter(&mut pg);
    let keys: Vec<&str> = all.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.contains(&"manual-7") && keys.contains(&"match:reference:a+b"));
    for page in [1, 2, 10_000] {
        assert_eq!(by_keys(&mut pg, page), all, "page {page}");
        assert_eq!(by_keys(&mut mem, page), by_filter(&mut mem), "page {page}");
    }
    assert_eq!(by_filter(&mut mem), all);
    assert!(pg.match_entry_keys("no-such-ledger", 0, 5).is_err());
}
