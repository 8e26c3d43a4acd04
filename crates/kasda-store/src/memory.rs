//! The in-memory store: the oracle every other store is compared against.
//!
//! It implements every rule of [`Store`] as plainly as possible — balances are computed from
//! postings, searches are linear — so that its answers are easy to trust. There is no update
//! API: each write first plans everything (validation, duplicates, period lock, limits) without
//! touching the ledger, and only then applies the plan, which cannot fail. That gives the same
//! all-or-nothing behaviour as a database transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::ledger::{
    chain_hash, AccountKey, AccountKind, EntryKind, JournalEntry, StoredEntry, GENESIS_HASH,
};
use kasda_core::money::Direction;
use rust_decimal::Decimal;

use kasda_core::posting::opening_balance_parts;

use crate::{
    check_batch_limits, check_entry, limit_check, now_micros, opening_balance_claim,
    same_line_content, same_user, validate_ledger_code, AccountBalance, AccountFlow, AppendOutcome,
    DayMovement, DocKind, DuplicateKind, DuplicateRecord, FindingEvent, FindingInput,
    FindingRecord, FindingStatus, ImportBatch, ImportOutcome, JoiningEntry, LedgerInfo,
    MigrationInfo, Mutation, NewEntry, NewProposal, OpenItem, OpeningBalanceClaim, Proposal,
    ProposalKind, ProposalStatus, RunInfo, RunKind, RunRecord, Store, StoreError, StoredDocument,
    StoredFile, StoredLine, StoredStatement, TamperHook, MAX_ENTRIES_PER_APPEND,
    MAX_FINDINGS_PER_CALL, MAX_KEYS_PER_LOOKUP, MAX_LABEL, MAX_PAGE,
};

#[derive(Debug, Default)]
struct Ledger {
    info: Option<LedgerInfo>,
    entries: Vec<StoredEntry>,
    entry_by_key: HashMap<String, i64>,
    next_seq: i64,
    head_hash: String,
    joins: Vec<(i64, String)>,
    runs: Vec<RunRecord>,
    files: Vec<StoredFile>,
    statements: Vec<StoredStatement>,
    lines: Vec<StoredLine>,
    line_by_key: HashMap<String, usize>,
    documents: Vec<StoredDocument>,
    doc_by_key: HashMap<String, usize>,
    duplicates: Vec<DuplicateRecord>,
    findings: Vec<FindingRecord>,
    finding_by_id: HashMap<String, usize>,
    proposals: Vec<Proposal>,
    closed_through: Option<NaiveDate>,
    last_stamp: Option<DateTime<Utc>>,
}

impl Ledger {
    /// The lines [`Store::statement_lines`] returns, in its order.
    fn period_lines(
        &self,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<&StoredLine> {
        let mut out: Vec<&StoredLine> = self
            .lines
            .iter()
            .filter(|x| x.facts.booking_date >= from && x.facts.booking_date <= to)
            .filter(|x| account.is_none_or(|a| x.facts.account == a))
            .collect();
        out.sort_by(|a, b| line_order(a, b));
        out
    }

    /// The documents [`Store::documents`] returns, in its order.
    fn dated_documents(
        &self,
        kind: Option<DocKind>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Vec<&StoredDocument> {
        let mut out: Vec<&StoredDocument> = self
            .documents
            .iter()
            .filter(|d| kind.is_none_or(|k| d.kind == k))
            .filter(|d| from.is_none_or(|f| d.date >= f) && to.is_none_or(|t| d.date <= t))
            .collect();
        out.sort_by(|a, b| doc_order(a, b));
        out
    }

    fn new(info: LedgerInfo) -> Self {
        Ledger {
            info: Some(info),
            next_seq: 1,
            head_hash: GENESIS_HASH.to_string(),
            ..Default::default()
        }
    }

    /// The store's clock: never earlier than the last stamp of this ledger.
    fn stamp(&mut self) -> DateTime<Utc> {
        let now = now_micros();
        let t = match self.last_stamp {
            Some(last) if last > now => last,
            _ => now,
        };
        self.last_stamp = Some(t);
        t
    }

    /// The opening-balance rule (see [`crate::opening_balance_claim`]): the claim's account has
    /// no opening balance that is booked and not reversed, its key is free, and no other open
    /// proposal (`except` excluded) proposes one for the same account.
    fn opening_balance_free(
        &self,
        claim: &OpeningBalanceClaim,
        except: Option<i64>,
    ) -> Result<(), StoreError> {
        for e in &self.entries {
            let same_account = opening_balance_parts(&e.entry)
                .is_some_and(|(account, _)| account == claim.account);
            if same_account && !self.entries.iter().any(|r| r.entry.reverses == Some(e.seq)) {
                return Err(claim.refuse_booked(e.seq, e.entry.booked_on));
            }
        }
        if let Some(&seq) = self.entry_by_key.get(&claim.natural_key) {
            return Err(claim.refuse_key_taken(seq));
        }
        for p in &self.proposals {
            if p.status != ProposalStatus::Open
                || p.kind != ProposalKind::OpeningBalance
                || Some(p.id) == except
            {
                continue;
            }
            let same_account = p
                .entries
                .first()
                .and_then(|n| opening_balance_parts(&n.entry))
                .is_some_and(|(account, _)| account == claim.account);
            if same_account {
                return Err(claim.refuse_open(p.id, &p.proposed_by));
            }
        }
        Ok(())
    }

    fn entry(&self, seq: i64) -> Option<&StoredEntry> {
        // Entries are kept in seq order; tampering may remove one, so search.
        self.entries
            .binary_search_by_key(&seq, |e| e.seq)
            .ok()
            .and_then(|i| self.entries.get(i))
    }

    fn new_run(
        &mut self,
        kind: RunKind,
        actor: &str,
        details: serde_json::Value,
        at: DateTime<Utc>,
    ) -> i64 {
        let run_id = self.runs.last().map(|r| r.run_id + 1).unwrap_or(1);
        self.runs.push(RunRecord {
            run_id,
            kind,
            actor: actor.to_string(),
            started_at: at,
            details,
        });
        run_id
    }

    /// Checks the entries to append (validity, period, reverses, duplicates) and returns the
    /// indexes of the ones that are new. Changes nothing.
    fn plan_entries(
        &self,
        ledger: &str,
        entries: &[&JournalEntry],
    ) -> Result<(Vec<usize>, Vec<String>), StoreError> {
        let mut fresh = Vec::new();
        let mut dups = Vec::new();
        let mut in_call: HashSet<&str> = HashSet::new();
        for (i, e) in entries.iter().enumerate() {
            check_entry(ledger, e, self.closed_through)?;
            if let Some(r) = e.reverses {
                // A reversal may name an entry appended earlier in the same call.
                let earlier_in_call = r >= self.next_seq && r < self.next_seq + fresh.len() as i64;
                if self.entry(r).is_none() && !earlier_in_call {
                    return Err(StoreError::UnknownReversedEntry {
                        ledger: ledger.to_string(),
                        natural_key: e.natural_key.clone(),
                        reverses: r,
                    });
                }
            }
            if self.entry_by_key.contains_key(&e.natural_key)
                || !in_call.insert(e.natural_key.as_str())
            {
                dups.push(e.natural_key.clone());
            } else {
                fresh.push(i);
            }
        }
        Ok((fresh, dups))
    }

    /// Appends one validated entry to the chain.
    fn push_entry(
        &mut self,
        ledger: &str,
        e: JournalEntry,
        source: Option<&str>,
        run_id: i64,
        at: DateTime<Utc>,
    ) -> i64 {
        let seq = self.next_seq;
        let hash = chain_hash(&self.head_hash, ledger, seq, source, &e);
        self.entry_by_key.insert(e.natural_key.clone(), seq);
        self.entries.push(StoredEntry {
            seq,
            entry: e,
            source_sha256: source.map(str::to_string),
            run_id,
            recorded_at: at,
            prev_hash: std::mem::replace(&mut self.head_hash, hash.clone()),
            hash,
        });
        self.next_seq += 1;
        seq
    }

    fn append(
        &mut self,
        ledger: &str,
        run: RunInfo,
        entries: Vec<NewEntry>,
    ) -> Result<AppendOutcome, StoreError> {
        limit_check(
            "entries in one append",
            entries.len(),
            MAX_ENTRIES_PER_APPEND,
        )?;
        limit_check("run actor length", run.actor.len(), MAX_LABEL)?;
        let refs: Vec<&JournalEntry> = entries.iter().map(|n| &n.entry).collect();
        let (fresh, duplicates) = self.plan_entries(ledger, &refs)?;
        // Nothing below can fail.
        let at = self.stamp();
        let run_id = self.new_run(run.kind, &run.actor, run.details, at);
        let fresh: HashSet<usize> = fresh.into_iter().collect();
        let mut appended = Vec::with_capacity(fresh.len());
        for (i, n) in entries.into_iter().enumerate() {
            if !fresh.contains(&i) {
                continue;
            }
            let seq = self.push_entry(ledger, n.entry, None, run_id, at);
            for k in n.joins {
                self.joins.push((seq, k));
            }
            appended.push(seq);
        }
        Ok(AppendOutcome {
            run_id,
            appended,
            duplicates,
        })
    }

    fn postings_filtered<'a>(
        &'a self,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> impl Iterator<Item = &'a kasda_core::ledger::Posting> + 'a {
        self.entries
            .iter()
            .filter(move |e| as_of.is_none_or(|d| e.entry.booked_on <= d))
            .filter(move |e| known_at.is_none_or(|t| e.recorded_at <= t))
            .flat_map(|e| e.entry.postings.iter())
    }
}

/// The in-memory oracle store. Ledgers live in a map keyed by code.
#[derive(Debug, Default)]
pub struct MemoryStore {
    ledgers: BTreeMap<String, Ledger>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore::default()
    }

    fn ledger(&self, code: &str) -> Result<&Ledger, StoreError> {
        self.ledgers
            .get(code)
            .ok_or_else(|| StoreError::UnknownLedger {
                ledger: code.to_string(),
            })
    }

    fn ledger_mut(&mut self, code: &str) -> Result<&mut Ledger, StoreError> {
        self.ledgers
            .get_mut(code)
            .ok_or_else(|| StoreError::UnknownLedger {
                ledger: code.to_string(),
            })
    }
}

fn keys_limit(keys: usize) -> Result<(), StoreError> {
    limit_check("keys in one lookup", keys, MAX_KEYS_PER_LOOKUP)
}

fn line_order(a: &StoredLine, b: &StoredLine) -> std::cmp::Ordering {
    (
        a.facts.booking_date,
        &a.facts.account,
        a.run_id,
        a.facts.statement_index,
        a.facts.pos.index,
    )
        .cmp(&(
            b.facts.booking_date,
            &b.facts.account,
            b.run_id,
            b.facts.statement_index,
            b.facts.pos.index,
        ))
}

fn doc_order(a: &StoredDocument, b: &StoredDocument) -> std::cmp::Ordering {
    (a.date, a.kind, &a.natural_key).cmp(&(b.date, b.kind, &b.natural_key))
}

fn contains_ci(haystack: &str, needle_lower: &str) -> bool {
    haystack.to_ascii_lowercase().contains(needle_lower)
}

impl Store for MemoryStore {
    fn migrate(&mut self) -> Result<Vec<MigrationInfo>, StoreError> {
        Ok(Vec::new())
    }

    fn migration_status(&mut self) -> Result<Vec<MigrationInfo>, StoreError> {
        Ok(Vec::new())
    }

    fn ensure_ledger(&mut self, ledger: &LedgerInfo) -> Result<(), StoreError> {
        validate_ledger_code(&ledger.code)?;
        limit_check("ledger name length", ledger.name.len(), MAX_LABEL)?;
        if let Some(existing) = self.ledgers.get(&ledger.code) {
            let name = existing
                .info
                .as_ref()
                .map(|i| i.name.clone())
                .unwrap_or_default();
            if name != ledger.name {
                return Err(StoreError::LedgerNameConflict {
                    ledger: ledger.code.clone(),
                    existing: name,
                    requested: ledger.name.clone(),
                });
            }
            return Ok(());
        }
        self.ledgers
            .insert(ledger.code.clone(), Ledger::new(ledger.clone()));
        Ok(())
    }

    fn ledgers(&mut self) -> Result<Vec<LedgerInfo>, StoreError> {
        Ok(self
            .ledgers
            .values()
            .filter_map(|l| l.info.clone())
            .collect())
    }

    fn import_file(
        &mut self,
        ledger: &str,
        batch: ImportBatch,
    ) -> Result<ImportOutcome, StoreError> {
        let l = self.ledger_mut(ledger)?;
        check_batch_limits(&batch)?;
        if let Some(f) = l.files.iter().find(|f| f.file.sha256 == batch.file.sha256) {
            return Ok(ImportOutcome {
                run_id: f.run_id,
                file_already_imported: true,
                ..Default::default()
            });
        }

        // Plan: which lines and documents are new, which entries get appended.
        let mut new_line_keys: HashSet<&str> = HashSet::new();
        let mut new_doc_keys: HashSet<&str> = HashSet::new();
        let mut entries: Vec<&JournalEntry> = Vec::new();
        for s in &batch.statements {
            for line in &s.lines {
                let k = line.facts.natural_key.as_str();
                if !l.line_by_key.contains_key(k) && new_line_keys.insert(k) {
                    entries.extend(line.entry.as_ref());
                }
            }
        }
        for d in &batch.documents {
            let k = d.natural_key.as_str();
            if !l.doc_by_key.contains_key(k) && new_doc_keys.insert(k) {
                entries.extend(d.entry.as_ref());
            }
        }
        let (_, dup_entries) = l.plan_entries(ledger, &entries)?;
        for e in &entries {
            if e.reverses.is_some() {
                return Err(StoreError::InvalidInput {
                    field: format!("entry {}: reverses", e.natural_key),
                    expected: "no reversal link in imported facts".into(),
                    found: format!("{:?}", e.reverses),
                });
            }
        }

        // Apply; nothing below can fail.
        let at = l.stamp();
        let sha = batch.file.sha256.clone();
        let run_id = l.new_run(
            RunKind::Import,
            &batch.file.imported_by,
            serde_json::json!({ "file": batch.file.name, "sha256": sha, "format": batch.file.format }),
            at,
        );
        let mut out = ImportOutcome {
            run_id,
            ..Default::default()
        };
        let file_name = batch.file.name.clone();
        l.files.push(StoredFile {
            file: batch.file,
            run_id,
            imported_at: at,
        });
        let append = |l: &mut Ledger, e: JournalEntry, out: &mut ImportOutcome| -> Option<i64> {
            if l.entry_by_key.contains_key(&e.natural_key) {
                out.entries_duplicate += 1;
                return l.entry_by_key.get(&e.natural_key).copied();
            }
            let seq = l.push_entry(ledger, e, Some(&sha), run_id, at);
            out.entries_appended += 1;
            out.first_seq.get_or_insert(seq);
            out.last_seq = Some(seq);
            Some(seq)
        };
        for s in batch.statements {
            l.statements.push(StoredStatement {
                file_sha256: sha.clone(),
                file_name: file_name.clone(),
                run_id,
                index: s.index,
                header: s.header,
            });
            out.statements_new += 1;
            for line in s.lines {
                let key = line.facts.natural_key.clone();
                if let Some(&i) = l.line_by_key.get(&key) {
                    let first = l.lines.get(i);
                    let dup = DuplicateRecord {
                        kind: DuplicateKind::Line,
                        natural_key: key,
                        file_sha256: sha.clone(),
                        pos: format!("{}:{}", line.facts.pos.line, line.facts.pos.index),
                        run_id,
                        recorded_at: at,
                        first_file_sha256: first.map(|f| f.file_sha256.clone()).unwrap_or_default(),
                        same_content: first
                            .is_some_and(|f| same_line_content(&f.facts, &line.facts)),
                        document: None,
                    };
                    l.duplicates.push(dup);
                    out.lines_duplicate += 1;
                    continue;
                }
                let entry_seq = line.entry.and_then(|e| append(l, e, &mut out));
                l.line_by_key.insert(key, l.lines.len());
                l.lines.push(StoredLine {
                    file_sha256: sha.clone(),
                    run_id,
                    recorded_at: at,
                    facts: line.facts,
                    entry_seq,
                });
                out.lines_new += 1;
            }
        }
        for d in batch.documents {
            if let Some(&i) = l.doc_by_key.get(&d.natural_key) {
                let first = l.documents.get(i);
                let dup = DuplicateRecord {
                    kind: DuplicateKind::Document,
                    natural_key: d.natural_key,
                    file_sha256: sha.clone(),
                    pos: format!("row {}", d.row),
                    run_id,
                    recorded_at: at,
                    first_file_sha256: first.map(|f| f.file_sha256.clone()).unwrap_or_default(),
                    same_content: first.is_some_and(|f| f.document == d.document),
                    document: Some(d.document),
                };
                l.duplicates.push(dup);
                out.documents_duplicate += 1;
                continue;
            }
            let entry_seq = d.entry.and_then(|e| append(l, e, &mut out));
            l.doc_by_key
                .insert(d.natural_key.clone(), l.documents.len());
            l.documents.push(StoredDocument {
                file_sha256: sha.clone(),
                run_id,
                recorded_at: at,
                row: d.row,
                natural_key: d.natural_key,
                kind: DocKind::of(&d.document),
                date: d.date,
                document: d.document,
                entry_seq,
            });
            out.documents_new += 1;
        }
        debug_assert_eq!(out.entries_duplicate as usize, dup_entries.len());
        Ok(out)
    }

    fn append_entries(
        &mut self,
        ledger: &str,
        run: RunInfo,
        entries: Vec<NewEntry>,
    ) -> Result<AppendOutcome, StoreError> {
        self.ledger_mut(ledger)?.append(ledger, run, entries)
    }

    fn balance(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Decimal, StoreError> {
        let l = self.ledger(ledger)?;
        Ok(l.postings_filtered(as_of, known_at)
            .filter(|p| &p.account == account)
            .map(|p| p.debit_signed())
            .sum())
    }

    fn balances(
        &mut self,
        ledger: &str,
        kind: Option<AccountKind>,
        as_of: Option<NaiveDate>,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountBalance>, StoreError> {
        let l = self.ledger(ledger)?;
        let mut by_text: BTreeMap<String, (AccountKey, Decimal)> = BTreeMap::new();
        for p in l.postings_filtered(as_of, known_at) {
            if kind.is_some_and(|k| p.account.kind() != k) {
                continue;
            }
            let slot = by_text
                .entry(p.account.to_string())
                .or_insert_with(|| (p.account.clone(), Decimal::ZERO));
            slot.1 += p.debit_signed();
        }
        Ok(by_text
            .into_values()
            .map(|(account, balance)| AccountBalance { account, balance })
            .collect())
    }

    fn day_movements(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayMovement>, StoreError> {
        let l = self.ledger(ledger)?;
        let mut opening = Decimal::ZERO;
        let mut days: BTreeMap<NaiveDate, (Decimal, Decimal)> = BTreeMap::new();
        for e in &l.entries {
            for p in e.entry.postings.iter().filter(|p| &p.account == account) {
                let day = e.entry.booked_on;
                if day < from {
                    opening += p.debit_signed();
                } else if day <= to {
                    let slot = days.entry(day).or_default();
                    match p.side {
                        Direction::Debit => slot.0 += p.amount,
                        Direction::Credit => slot.1 += p.amount,
                    }
                }
            }
        }
        let mut running = opening;
        Ok(days
            .into_iter()
            .map(|(day, (debits, credits))| {
                running += debits - credits;
                DayMovement {
                    day,
                    debits,
                    credits,
                    closing: running,
                }
            })
            .collect())
    }

    fn account_flows(
        &mut self,
        ledger: &str,
        kinds: &[AccountKind],
        from: NaiveDate,
        to: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccountFlow>, StoreError> {
        let l = self.ledger(ledger)?;
        // (account text, day, entry kind text) -> (account, kind, debits, credits)
        type Slot = (AccountKey, EntryKind, Decimal, Decimal);
        let mut out: BTreeMap<(String, NaiveDate, &'static str), Slot> = BTreeMap::new();
        for e in &l.entries {
            let day = e.entry.booked_on;
            if day < from || day > to || known_at.is_some_and(|k| e.recorded_at > k) {
                continue;
            }
            // Net effect of this entry per (account, currency).
            let mut nets: BTreeMap<(&AccountKey, &str), Decimal> = BTreeMap::new();
            for p in &e.entry.postings {
                if !kinds.is_empty() && !kinds.contains(&p.account.kind()) {
                    continue;
                }
                *nets.entry((&p.account, p.currency.as_str())).or_default() += p.debit_signed();
            }
            for ((account, _), net) in nets {
                let slot = out
                    .entry((account.to_string(), day, e.entry.kind.as_str()))
                    .or_insert_with(|| {
                        (account.clone(), e.entry.kind, Decimal::ZERO, Decimal::ZERO)
                    });
                if net > Decimal::ZERO {
                    slot.2 += net;
                } else {
                    slot.3 -= net;
                }
            }
        }
        Ok(out
            .into_iter()
            .map(
                |((_, day, _), (account, entry_kind, debits, credits))| AccountFlow {
                    account,
                    day,
                    entry_kind,
                    debits,
                    credits,
                },
            )
            .collect())
    }

    fn open_items(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        kind: EntryKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<OpenItem>, StoreError> {
        let l = self.ledger(ledger)?;
        let visible = |e: &StoredEntry| {
            e.entry.booked_on <= as_of && known_at.is_none_or(|k| e.recorded_at <= k)
        };
        let by_seq: HashMap<i64, &StoredEntry> = l.entries.iter().map(|e| (e.seq, e)).collect();
        let closed: HashSet<&str> = l
            .joins
            .iter()
            .filter(|(seq, _)| by_seq.get(seq).is_some_and(|e| visible(e)))
            .map(|(_, key)| key.as_str())
            .collect();
        let on_account = |e: &StoredEntry| e.entry.postings.iter().any(|p| &p.account == account);
        let reversed: HashSet<i64> = l
            .entries
            .iter()
            .filter(|e| visible(e) && on_account(e))
            .filter_map(|e| e.entry.reverses)
            .collect();
        let mut out: Vec<OpenItem> = l
            .entries
            .iter()
            .filter(|e| e.entry.kind == kind && visible(e) && on_account(e))
            .filter(|e| crate::open_item_key_fits(kind, account, &e.entry.natural_key))
            .filter(|e| !reversed.contains(&e.seq))
            .filter(|e| !closed.contains(e.entry.natural_key.as_str()))
            .map(|e| OpenItem {
                seq: e.seq,
                natural_key: e.entry.natural_key.clone(),
                booked_on: e.entry.booked_on,
                memo: e.entry.memo.clone(),
                effect: e
                    .entry
                    .postings
                    .iter()
                    .filter(|p| &p.account == account)
                    .map(|p| p.debit_signed())
                    .sum(),
            })
            .collect();
        out.sort_by_key(|i| (i.booked_on, i.seq));
        Ok(out)
    }

    fn joining_entries(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<JoiningEntry>, StoreError> {
        keys_limit(keys.len())?;
        let l = self.ledger(ledger)?;
        let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let by_seq: HashMap<i64, &StoredEntry> = l.entries.iter().map(|e| (e.seq, e)).collect();
        let mut out: Vec<JoiningEntry> = l
            .joins
            .iter()
            .filter(|(_, key)| wanted.contains(key.as_str()))
            .filter_map(|(seq, key)| {
                by_seq.get(seq).map(|e| JoiningEntry {
                    key: key.clone(),
                    seq: *seq,
                    booked_on: e.entry.booked_on,
                    recorded_at: e.recorded_at,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.key, a.seq).cmp(&(&b.key, b.seq)));
        out.dedup();
        Ok(out)
    }

    fn open_documents(
        &mut self,
        ledger: &str,
        kind: DocKind,
        as_of: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        let l = self.ledger(ledger)?;
        let visible = |booked_on: NaiveDate, recorded_at: DateTime<Utc>| {
            booked_on <= as_of && known_at.is_none_or(|k| recorded_at <= k)
        };
        let by_seq: HashMap<i64, &StoredEntry> = l.entries.iter().map(|e| (e.seq, e)).collect();
        let closed: HashSet<&str> = l
            .joins
            .iter()
            .filter(|(seq, _)| {
                by_seq
                    .get(seq)
                    .is_some_and(|e| visible(e.entry.booked_on, e.recorded_at))
            })
            .map(|(_, key)| key.as_str())
            .collect();
        let mut out: Vec<StoredDocument> = l
            .documents
            .iter()
            .filter(|d| d.kind == kind && d.entry_seq.is_some())
            .filter(|d| visible(d.date, d.recorded_at))
            .filter(|d| !closed.contains(d.natural_key.as_str()))
            .cloned()
            .collect();
        out.sort_by(doc_order);
        Ok(out)
    }

    fn entries(
        &mut self,
        ledger: &str,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let l = self.ledger(ledger)?;
        let start = l.entries.partition_point(|e| e.seq <= after_seq);
        Ok(l.entries
            .iter()
            .skip(start)
            .take(limit.min(MAX_PAGE))
            .cloned()
            .collect())
    }

    fn entries_by_seq(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        keys_limit(seqs.len())?;
        let l = self.ledger(ledger)?;
        let mut wanted: Vec<i64> = seqs.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        Ok(wanted
            .into_iter()
            .filter_map(|s| l.entry(s).cloned())
            .collect())
    }

    fn entries_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        keys_limit(keys.len())?;
        let seqs: Vec<i64> = {
            let l = self.ledger(ledger)?;
            keys.iter()
                .filter_map(|k| l.entry_by_key.get(k).copied())
                .collect()
        };
        self.entries_by_seq(ledger, &seqs)
    }

    fn account_entries(
        &mut self,
        ledger: &str,
        account: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let l = self.ledger(ledger)?;
        Ok(l.entries
            .iter()
            .filter(|e| e.entry.booked_on >= from && e.entry.booked_on <= to)
            .filter(|e| e.entry.postings.iter().any(|p| &p.account == account))
            .cloned()
            .collect())
    }

    fn entry_joins(
        &mut self,
        ledger: &str,
        seqs: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        keys_limit(seqs.len())?;
        let l = self.ledger(ledger)?;
        let wanted: HashSet<i64> = seqs.iter().copied().collect();
        let mut out: Vec<(i64, String)> = l
            .joins
            .iter()
            .filter(|(s, _)| wanted.contains(s))
            .cloned()
            .collect();
        // Stable sort keeps the order the keys were given within one entry.
        out.sort_by_key(|(s, _)| *s);
        Ok(out)
    }

    fn entries_joining(&mut self, ledger: &str, keys: &[String]) -> Result<Vec<i64>, StoreError> {
        keys_limit(keys.len())?;
        let l = self.ledger(ledger)?;
        let wanted: HashSet<&str> = keys.iter().map(String::as_str).collect();
        let mut out: Vec<i64> = l
            .joins
            .iter()
            .filter(|(_, k)| wanted.contains(k.as_str()))
            .map(|(s, _)| *s)
            .collect();
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    fn entries_reversing(&mut self, ledger: &str, seqs: &[i64]) -> Result<Vec<i64>, StoreError> {
        keys_limit(seqs.len())?;
        let l = self.ledger(ledger)?;
        let wanted: HashSet<i64> = seqs.iter().copied().collect();
        Ok(l.entries
            .iter()
            .filter(|e| e.entry.reverses.is_some_and(|r| wanted.contains(&r)))
            .map(|e| e.seq)
            .collect())
    }

    fn search_keys(
        &mut self,
        ledger: &str,
        text: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let l = self.ledger(ledger)?;
        let needle = text.to_ascii_lowercase();
        let mut keys: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for e in &l.entries {
            if contains_ci(&e.entry.natural_key, &needle) || contains_ci(&e.entry.memo, &needle) {
                keys.insert(e.entry.natural_key.clone());
            }
        }
        for line in &l.lines {
            if contains_ci(&line.facts.natural_key, &needle)
                || contains_ci(&line.facts.text, &needle)
            {
                keys.insert(line.facts.natural_key.clone());
            }
        }
        for d in &l.documents {
            let json = serde_json::to_string(&d.document).unwrap_or_default();
            if contains_ci(&d.natural_key, &needle) || contains_ci(&json, &needle) {
                keys.insert(d.natural_key.clone());
            }
        }
        Ok(keys.into_iter().take(limit).collect())
    }

    fn statements(
        &mut self,
        ledger: &str,
        account: Option<&str>,
    ) -> Result<Vec<StoredStatement>, StoreError> {
        let l = self.ledger(ledger)?;
        let mut out: Vec<StoredStatement> = l
            .statements
            .iter()
            .filter(|s| account.is_none_or(|a| s.header.account == a))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (&a.header.account, a.run_id, a.index).cmp(&(&b.header.account, b.run_id, b.index))
        });
        Ok(out)
    }

    fn statement_lines(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredLine>, StoreError> {
        let l = self.ledger(ledger)?;
        Ok(l.period_lines(account, from, to)
            .into_iter()
            .cloned()
            .collect())
    }

    fn lines_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredLine>, StoreError> {
        keys_limit(keys.len())?;
        let l = self.ledger(ledger)?;
        let mut idx: Vec<usize> = keys
            .iter()
            .filter_map(|k| l.line_by_key.get(k).copied())
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let mut out: Vec<StoredLine> = idx
            .into_iter()
            .filter_map(|i| l.lines.get(i).cloned())
            .collect();
        out.sort_by(line_order);
        Ok(out)
    }

    fn documents(
        &mut self,
        ledger: &str,
        kind: Option<DocKind>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        let l = self.ledger(ledger)?;
        Ok(l.dated_documents(kind, from, to)
            .into_iter()
            .cloned()
            .collect())
    }

    fn each_statement_line(
        &mut self,
        ledger: &str,
        account: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        each: &mut dyn FnMut(StoredLine) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let l = self.ledger(ledger)?;
        for line in l.period_lines(account, from, to) {
            each(line.clone())?;
        }
        Ok(())
    }

    fn each_document(
        &mut self,
        ledger: &str,
        kind: DocKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        each: &mut dyn FnMut(StoredDocument) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let l = self.ledger(ledger)?;
        for doc in l.dated_documents(Some(kind), from, to) {
            each(doc.clone())?;
        }
        Ok(())
    }

    fn documents_by_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<Vec<StoredDocument>, StoreError> {
        keys_limit(keys.len())?;
        let l = self.ledger(ledger)?;
        let mut idx: Vec<usize> = keys
            .iter()
            .filter_map(|k| l.doc_by_key.get(k).copied())
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let mut out: Vec<StoredDocument> = idx
            .into_iter()
            .filter_map(|i| l.documents.get(i).cloned())
            .collect();
        out.sort_by(doc_order);
        Ok(out)
    }

    fn existing_document_keys(
        &mut self,
        ledger: &str,
        keys: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        keys_limit(keys.len())?;
        let l = self.ledger(ledger)?;
        Ok(keys
            .iter()
            .filter(|k| l.doc_by_key.contains_key(*k))
            .cloned()
            .collect())
    }

    fn duplicates(
        &mut self,
        ledger: &str,
        keys: Option<&[String]>,
    ) -> Result<Vec<DuplicateRecord>, StoreError> {
        if let Some(k) = keys {
            keys_limit(k.len())?;
        }
        let l = self.ledger(ledger)?;
        let wanted: Option<HashSet<&str>> = keys.map(|k| k.iter().map(String::as_str).collect());
        let mut out: Vec<DuplicateRecord> = l
            .duplicates
            .iter()
            .filter(|d| {
                wanted
                    .as_ref()
                    .is_none_or(|w| w.contains(d.natural_key.as_str()))
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (a.run_id, &a.natural_key, &a.pos).cmp(&(b.run_id, &b.natural_key, &b.pos))
        });
        Ok(out)
    }

    fn files(&mut self, ledger: &str) -> Result<Vec<StoredFile>, StoreError> {
        Ok(self.ledger(ledger)?.files.clone())
    }

    fn file(&mut self, ledger: &str, sha256: &str) -> Result<Option<StoredFile>, StoreError> {
        Ok(self
            .ledger(ledger)?
            .files
            .iter()
            .find(|f| f.file.sha256 == sha256)
            .cloned())
    }

    fn runs(&mut self, ledger: &str) -> Result<Vec<RunRecord>, StoreError> {
        Ok(self.ledger(ledger)?.runs.clone())
    }

    fn run(&mut self, ledger: &str, run_id: i64) -> Result<Option<RunRecord>, StoreError> {
        Ok(self
            .ledger(ledger)?
            .runs
            .iter()
            .find(|r| r.run_id == run_id)
            .cloned())
    }

    fn record_findings(
        &mut self,
        ledger: &str,
        run_id: i64,
        findings: &[FindingInput],
    ) -> Result<(), StoreError> {
        limit_check(
            "findings in one call",
            findings.len(),
            MAX_FINDINGS_PER_CALL,
        )?;
        let l = self.ledger_mut(ledger)?;
        if !l.runs.iter().any(|r| r.run_id == run_id) {
            return Err(StoreError::InvalidInput {
                field: "run_id".into(),
                expected: format!("a run of ledger {ledger}"),
                found: run_id.to_string(),
            });
        }
        for f in findings {
            for (field, v) in [("finding id", &f.id), ("finding summary", &f.summary)] {
                limit_check(&format!("{field} length"), v.len(), MAX_LABEL)?;
            }
        }
        let at = l.stamp();
        for f in findings {
            match l.finding_by_id.get(&f.id).copied() {
                Some(i) => {
                    if let Some(rec) = l.findings.get_mut(i) {
                        if rec.status != f.status {
                            rec.status = f.status;
                            rec.events.push(FindingEvent {
                                run_id,
                                at,
                                status: f.status,
                            });
                        }
                    }
                }
                None => {
                    l.finding_by_id.insert(f.id.clone(), l.findings.len());
                    l.findings.push(FindingRecord {
                        finding: f.clone(),
                        first_seen_at: at,
                        first_seen_run: run_id,
                        status: f.status,
                        events: vec![FindingEvent {
                            run_id,
                            at,
                            status: f.status,
                        }],
                    });
                }
            }
        }
        Ok(())
    }

    fn findings(
        &mut self,
        ledger: &str,
        open_only: bool,
    ) -> Result<Vec<FindingRecord>, StoreError> {
        let l = self.ledger(ledger)?;
        let mut out: Vec<FindingRecord> = l
            .findings
            .iter()
            .filter(|f| !open_only || f.status == FindingStatus::Open)
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (a.first_seen_run, &a.finding.id).cmp(&(b.first_seen_run, &b.finding.id))
        });
        Ok(out)
    }

    fn propose(&mut self, ledger: &str, proposal: NewProposal) -> Result<i64, StoreError> {
        let l = self.ledger_mut(ledger)?;
        limit_check(
            "entries in one proposal",
            proposal.entries.len(),
            MAX_ENTRIES_PER_APPEND,
        )?;
        limit_check("proposal reason length", proposal.reason.len(), MAX_LABEL)?;
        limit_check("proposer length", proposal.proposed_by.len(), MAX_LABEL)?;
        if proposal.proposed_by.trim().is_empty() {
            return Err(StoreError::InvalidInput {
                field: "proposed_by".into(),
                expected: "a user name".into(),
                found: "nothing".into(),
            });
        }
        if proposal.entries.is_empty() {
            return Err(StoreError::InvalidInput {
                field: "proposal entries".into(),
                expected: "at least one entry".into(),
                found: "none".into(),
            });
        }
        for n in &proposal.entries {
            check_entry(ledger, &n.entry, l.closed_through)?;
        }
        if let Some(claim) = opening_balance_claim(proposal.kind, &proposal.entries)? {
            l.opening_balance_free(&claim, None)?;
        }
        let at = l.stamp();
        let id = l.proposals.last().map(|p| p.id + 1).unwrap_or(1);
        l.proposals.push(Proposal {
            id,
            kind: proposal.kind,
            reason: proposal.reason,
            proposed_by: proposal.proposed_by,
            proposed_at: at,
            entries: proposal.entries,
            status: ProposalStatus::Open,
        });
        Ok(id)
    }

    fn approve(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        approver: &str,
    ) -> Result<AppendOutcome, StoreError> {
        let l = self.ledger_mut(ledger)?;
        let p = l
            .proposals
            .iter()
            .find(|p| p.id == proposal_id)
            .cloned()
            .ok_or_else(|| StoreError::UnknownProposal {
                ledger: ledger.to_string(),
                id: proposal_id,
            })?;
        if p.status != ProposalStatus::Open {
            return Err(StoreError::ProposalNotOpen {
                id: proposal_id,
                status: p.status.label().to_string(),
            });
        }
        if approver.trim().is_empty() {
            return Err(StoreError::InvalidInput {
                field: "approver".into(),
                expected: "a user name".into(),
                found: "nothing".into(),
            });
        }
        if same_user(&p.proposed_by, approver) {
            return Err(StoreError::SameUserApproval {
                id: proposal_id,
                user: approver.to_string(),
            });
        }
        if let Some(claim) = opening_balance_claim(p.kind, &p.entries)? {
            l.opening_balance_free(&claim, Some(p.id))?;
        }
        let run = RunInfo {
            kind: RunKind::Manual,
            actor: approver.to_string(),
            details: serde_json::json!({
                "proposal": p.id,
                "proposal_kind": p.kind.as_str(),
                "proposed_by": p.proposed_by,
                "reason": p.reason,
            }),
        };
        let out = l.append(ledger, run, p.entries)?;
        let at = l
            .runs
            .last()
            .map(|r| r.started_at)
            .unwrap_or_else(now_micros);
        if let Some(slot) = l.proposals.iter_mut().find(|x| x.id == proposal_id) {
            slot.status = ProposalStatus::Approved {
                by: approver.to_string(),
                at,
                run_id: out.run_id,
            };
        }
        Ok(out)
    }

    fn reject(
        &mut self,
        ledger: &str,
        proposal_id: i64,
        user: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        limit_check("rejection reason length", reason.len(), MAX_LABEL)?;
        let l = self.ledger_mut(ledger)?;
        let at = l.stamp();
        let p = l
            .proposals
            .iter_mut()
            .find(|p| p.id == proposal_id)
            .ok_or_else(|| StoreError::UnknownProposal {
                ledger: ledger.to_string(),
                id: proposal_id,
            })?;
        if p.status != ProposalStatus::Open {
            return Err(StoreError::ProposalNotOpen {
                id: proposal_id,
                status: p.status.label().to_string(),
            });
        }
        p.status = ProposalStatus::Rejected {
            by: user.to_string(),
            at,
            reason: reason.to_string(),
        };
        Ok(())
    }

    fn proposals(&mut self, ledger: &str, open_only: bool) -> Result<Vec<Proposal>, StoreError> {
        let l = self.ledger(ledger)?;
        Ok(l.proposals
            .iter()
            .filter(|p| !open_only || p.status == ProposalStatus::Open)
            .cloned()
            .collect())
    }

    fn close_period(
        &mut self,
        ledger: &str,
        through: NaiveDate,
        actor: &str,
    ) -> Result<(), StoreError> {
        limit_check("actor length", actor.len(), MAX_LABEL)?;
        let l = self.ledger_mut(ledger)?;
        if let Some(c) = l.closed_through {
            if through <= c {
                return Err(StoreError::PeriodAlreadyClosed {
                    ledger: ledger.to_string(),
                    closed_through: c,
                    requested: through,
                });
            }
        }
        let at = l.stamp();
        l.new_run(
            RunKind::Close,
            actor,
            serde_json::json!({ "closed_through": through.format("%Y-%m-%d").to_string() }),
            at,
        );
        l.closed_through = Some(through);
        Ok(())
    }

    fn closed_through(&mut self, ledger: &str) -> Result<Option<NaiveDate>, StoreError> {
        Ok(self.ledger(ledger)?.closed_through)
    }
}

/// Direct mutation: the memory store has no protection below its API, which is exactly what the
/// suite needs to prove that `verify` catches tampering.
impl TamperHook for MemoryStore {
    fn tamper_amount(&mut self, ledger: &str, seq: i64, factor: Decimal) -> Result<(), StoreError> {
        let l = self.ledger_mut(ledger)?;
        let e = l
            .entries
            .iter_mut()
            .find(|e| e.seq == seq)
            .ok_or_else(|| StoreError::Corrupt(format!("no entry {seq} to tamper with")))?;
        for p in &mut e.entry.postings {
            p.amount *= factor;
        }
        Ok(())
    }

    fn delete_entry(&mut self, ledger: &str, seq: i64) -> Result<(), StoreError> {
        let l = self.ledger_mut(ledger)?;
        let before = l.entries.len();
        l.entries.retain(|e| e.seq != seq);
        if l.entries.len() == before {
            return Err(StoreError::Corrupt(format!("no entry {seq} to delete")));
        }
        Ok(())
    }

    fn insert_raw_unbalanced(&mut self, ledger: &str) -> Result<(), StoreError> {
        let l = self.ledger_mut(ledger)?;
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let e = JournalEntry {
            kind: kasda_core::ledger::EntryKind::Opening,
            booked_on: day,
            value_date: day,
            natural_key: "raw:unbalanced".into(),
            position: String::new(),
            memo: String::new(),
            reverses: None,
            postings: vec![
                kasda_core::ledger::Posting::debit(
                    AccountKey::new(AccountKind::KasDaerah, "raw"),
                    Decimal::from(100),
                ),
                kasda_core::ledger::Posting::credit(
                    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "raw"),
                    Decimal::from(99),
                ),
            ],
        };
        // The memory store's only write path validates, as the databases' triggers do.
        check_entry(ledger, &e, None)?;
        let at = l.stamp();
        l.push_entry(ledger, e, None, 0, at);
        Ok(())
    }

    fn try_mutation(&mut self, ledger: &str, mutation: Mutation) -> Result<(), StoreError> {
        self.ledger(ledger)?;
        let (table, operation) = match mutation {
            Mutation::UpdateEntryMemo { .. } => ("entries", "UPDATE"),
            Mutation::DeleteEntry { .. } => ("entries", "DELETE"),
            Mutation::UpdatePostingAmount { .. } => ("postings", "UPDATE"),
            Mutation::DeletePosting { .. } => ("postings", "DELETE"),
            Mutation::DeleteStatementLines => ("statement_lines", "DELETE"),
            Mutation::DeleteDocuments => ("documents", "DELETE"),
            Mutation::DeleteFiles => ("source_files", "DELETE"),
            Mutation::DeleteRuns => ("runs", "DELETE"),
            Mutation::DeleteFindings => ("findings", "DELETE"),
        };
        // There is no mutation API at all; report what a database trigger would say.
        Err(StoreError::AppendOnly {
            table: table.to_string(),
            operation: operation.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_never_go_backwards() {
        let mut l = Ledger::new(LedgerInfo {
            code: "x".into(),
            name: "x".into(),
        });
        // A previous stamp from a clock that ran ahead (or a restored snapshot).
        let ahead = now_micros() + chrono::Duration::hours(1);
        l.last_stamp = Some(ahead);
        assert_eq!(l.stamp(), ahead);
        assert_eq!(l.stamp(), ahead);
        let mut fresh = Ledger::new(LedgerInfo {
            code: "y".into(),
            name: "y".into(),
        });
        let a = fresh.stamp();
        let b = fresh.stamp();
        assert!(b >= a);
        assert_eq!(
            a.timestamp_subsec_nanos() % 1000,
            0,
            "stamps are whole microseconds"
        );
    }

    #[test]
    fn imports_refuse_reversal_links() {
        let mut s = MemoryStore::new();
        s.ensure_ledger(&LedgerInfo {
            code: "x".into(),
            name: "x".into(),
        })
        .unwrap();
        let mut batch = crate::conformance::statement_batch(
            "r",
            crate::conformance::RKUD,
            &[crate::conformance::line(2, "A", 1, true)],
        );
        if let Some(e) = batch.statements[0].lines[0].entry.as_mut() {
            e.reverses = Some(1);
        }
        assert!(s.import_file("x", batch).is_err());
        assert!(s.files("x").unwrap().is_empty());
    }
}
