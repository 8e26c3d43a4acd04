//! Loading a period's facts from a store into a [`ReconInput`] — the one path `kasda reconcile`,
//! `kasda demo` and the accuracy test share, so the test measures what the product runs.
//! Available with the `store` feature.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use chrono::NaiveDate;
use kasda_core::document::Document;
use kasda_store::{DocKind, NewEntry, ReconLine, Store, StoreError};

use crate::{
    Documents, ExistingMatch, Interner, Line, Match, ReceiptFacts, ReconError, ReconInput,
    StatementHeader,
};

/// Entries read per page while collecting earlier matches.
const PAGE: usize = 50_000;

/// How to load the facts.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Leave every reference, narrative and counterparty name out of the bank lines, so only
    /// amounts, dates and accounts are left to match on (the accuracy test's "no references"
    /// scenario). Never set by the product.
    pub strip_references: bool,
}

/// The statement lines booked in `from..=to`, every statement header, the documents of the
/// period and the matches already in the ledger, as of `as_of`.
pub fn load_input(
    store: &mut dyn Store,
    ledger: &str,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    opts: LoadOptions,
) -> Result<ReconInput, StoreError> {
    let mut input = ReconInput::new(as_of);
    input.period = Some((from, to));
    // Each row becomes recon's compact form as it is taken from the store's answer, its strings
    // moved rather than copied and the values lines repeat (account, statement) shared.
    // The store hands the rows out one at a time, so the period is never held as full rows.
    let mut names = Interner::default();
    let mut statement_id = String::new();
    let lines = &mut input.lines;
    store.each_recon_line(ledger, from, to, &mut |l| {
        lines.push(line_of(
            l,
            opts.strip_references,
            &mut names,
            &mut statement_id,
        ));
        Ok(())
    })?;
    input.lines.shrink_to_fit();
    for s in store.statements(ledger, None)? {
        let h = &s.header;
        input.statements.push(StatementHeader {
            statement_id: format!("{}#{}", s.file_sha256, s.index),
            account: h.account.clone(),
            sequence: h.electronic_seq.clone(),
            page: h.page,
            from_date: h
                .from
                .map(|t| t.date())
                .or(h.opening.as_ref().and_then(|b| b.date)),
            to_date: h
                .to
                .map(|t| t.date())
                .or(h.closing.as_ref().and_then(|b| b.date)),
            opening: h.opening.as_ref().map(|b| b.amount),
            closing: h.closing.as_ref().map(|b| b.amount),
            source: s.file_name.clone(),
        });
    }
    // Kind by kind, each in the store's document order (date, natural key): the same lists a
    // read of every document would give, one row at a time. Receipts come as only the fields
    // recon reads.
    let mut docs = Documents::default();
    store.each_recon_receipt(ledger, Some(from), Some(to), &mut |key, r| {
        docs.receipts
            .push((key, ReceiptFacts::from_recon(r, &mut names)));
        Ok(())
    })?;
    for kind in [DocKind::Sts, DocKind::Sp2d, DocKind::Bku] {
        store.each_document(ledger, kind, Some(from), Some(to), &mut |d| {
            match d.document {
                Document::Sts(s) => docs.sts.push(s),
                Document::Sp2d(s) => docs.sp2d.push(s),
                Document::Bku(b) => docs.bku.push(b),
                Document::Receipt(_) => {
                    return Err(StoreError::Corrupt(format!(
                        "document {} is listed as {} but its body is a receipt",
                        d.natural_key,
                        kind.as_str()
                    )))
                }
            }
            Ok(())
        })?;
    }
    docs.receipts.shrink_to_fit();
    input.documents = docs;
    input.existing = existing_matches(store, ledger)?;
    Ok(input)
}

/// A statement line as the matcher sees it. Its texts are the store's joined text alone: that
/// text already holds the bank reference, every other reference and the counterparty's name
/// (`kasda_store::line_text`), so copies of them beside it would only be held and tokenised
/// twice. `statement_id` is a buffer reused from line to line.
fn line_of(l: ReconLine<'_>, strip: bool, names: &mut Interner, statement_id: &mut String) -> Line {
    statement_id.clear();
    let _ = write!(statement_id, "{}#{}", l.file_sha256, l.statement_index);
    Line {
        id: l.natural_key,
        account: names.intern(l.account),
        booking_date: l.booking_date,
        value_date: l.value_date.unwrap_or(l.booking_date),
        amount: l.amount,
        direction: l.direction,
        reversal: l.reversal,
        status: l.status,
        texts: if strip { Vec::new() } else { vec![l.text] },
        counterparty: l.counterparty.map(String::into_boxed_str),
        counterparty_name: match strip {
            true => None,
            false => l.counterparty_name.map(String::into_boxed_str),
        },
        bank_ref: l.bank_ref.map(String::into_boxed_str),
        statement_id: Some(names.intern(statement_id)),
        seq: l.index,
    }
}

/// Matches already in the ledger and not reversed, with the facts each one joins, so a re-run
/// adds nothing twice.
pub fn existing_matches(
    store: &mut dyn Store,
    ledger: &str,
) -> Result<Vec<ExistingMatch>, StoreError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        // Only the match entries: the store skips the lines, documents and their postings.
        let matched = store.match_entry_keys(ledger, after, PAGE)?;
        let Some(&(last, _)) = matched.last() else {
            break;
        };
        after = last;
        let seqs: Vec<i64> = matched.iter().map(|(s, _)| *s).collect();
        let mut joins: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (seq, key) in store.entry_joins(ledger, &seqs)? {
            joins.entry(seq).or_default().push(key);
        }
        let reversed: HashSet<i64> = store
            .entries_reversing(ledger, &seqs)?
            .into_iter()
            .collect();
        for (seq, key) in matched {
            let fact_ids = joins.remove(&seq).unwrap_or_default();
            if fact_ids.is_empty() || reversed.contains(&seq) {
                continue;
            }
            out.push(ExistingMatch {
                natural_key: key,
                fact_ids,
            });
        }
    }
    Ok(out)
}

/// The entries that record `m` ([`crate::match_entries`]) as a store appends them: the first
/// joins the facts the match names (what `kasda trail` walks), the others (a fee) join nothing.
pub fn new_entries(m: &Match) -> Result<Vec<NewEntry>, ReconError> {
    Ok(crate::match_entries(m)?
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let joins = if i == 0 {
                m.line_ids.iter().chain(&m.document_ids).cloned().collect()
            } else {
                Vec::new()
            };
            NewEntry { entry, joins }
        })
        .collect())
}
