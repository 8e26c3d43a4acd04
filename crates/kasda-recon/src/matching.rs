//! The matching engine: indexes, the rules in their fixed order, and the matches they record.
//!
//! Every rule consumes facts: a statement line or a receipt / STS joins at most one match. An
//! SP2D may collect several debit lines over several matches (net transfer and each PFK
//! deduction arrive as separate lines, sometimes on different days). Facts named by the ledger's
//! existing matches are consumed before the first rule runs, which is what makes a re-run add
//! nothing.

// Facts live in parallel vectors (amount in sen, used flag, link, …) indexed by position,
// so loops run over indices on purpose.
#![allow(clippy::needless_range_loop)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use std::hash::Hasher;

use crate::fxhash::{FxHashMap, FxHashSet, FxHasher};

use chrono::{Datelike, Duration, NaiveDate};
use kasda_core::document::{Channel, ReceiptStatus, RevenueLine};
use kasda_core::money::Direction;

use crate::idr::{display_idr, push_date, push_idr};
use kasda_core::statement::EntryStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::{AccountRole, ConfigIndex, WorkingDays};
use crate::input::{sp2d_id, sts_id, ReconInput};
use crate::refs::{normalize_ref, LineTokens, RefIndex};
use crate::subset::{unique_subset, SubsetResult};

/// Facts of one key ordered by date (then position).
type DatedSet = BTreeSet<(NaiveDate, u32)>;

/// Most passes over the rules in one run.
pub const MAX_PASSES: usize = 4;
/// Most statement lines one run reads; the rest is reported and ignored.
pub const MAX_LINES: usize = 20_000_000;
/// Most documents of each kind one run reads.
pub const MAX_DOCUMENTS: usize = 20_000_000;
/// Most candidate entries scanned when gathering subset-sum candidates for one target.
const MAX_SUBSET_SCAN: usize = 512;

/// Matching rules, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// 0a. Jasa giro credit recognised by its narrative.
    JasaGiro,
    /// 0b. Bank charge / tax-on-interest debit recognised by its narrative (bounded amount).
    BankCharge,
    /// 0c. Incoming transfer (TKD from the Kas Negara, …) recognised as revenue by a
    /// `[[transfer_in]]` rule.
    Transfer,
    /// 1. A reference (NTB, NTPD, kode billing, STS or SP2D number) in the line names the documents.
    Reference,
    /// 1b. A debit naming a reversed receipt: the refund of that receipt.
    Refund,
    /// 1c. A bank reversal line (MT940 `RC`/`RD`, camt `RvslInd`) and the open line it reverses.
    BankReversal,
    /// 2. One credit settles the receipts of one channel and settlement date, less the agreed fee.
    Batch,
    /// 3. Several lines name the same STS / SP2D (split deposit, net + PFK debits).
    NToOne,
    /// 4a. Holding / receiving account debit and RKUD credit of the same amount (pelimpahan).
    Sweep,
    /// 4b. Same amount on the expected account within the date window.
    AmountDate,
    /// 5. Bounded subset sum: lines and documents of one account and window adding up exactly.
    SubsetSum,
}

impl MatchRule {
    pub const ALL: [MatchRule; 11] = [
        MatchRule::JasaGiro,
        MatchRule::BankCharge,
        MatchRule::Transfer,
        MatchRule::Reference,
        MatchRule::Refund,
        MatchRule::BankReversal,
        MatchRule::Batch,
        MatchRule::NToOne,
        MatchRule::Sweep,
        MatchRule::AmountDate,
        MatchRule::SubsetSum,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchRule::JasaGiro => "jasa_giro",
            MatchRule::BankCharge => "bank_charge",
            MatchRule::Transfer => "transfer",
            MatchRule::Reference => "reference",
            MatchRule::Refund => "refund",
            MatchRule::BankReversal => "bank_reversal",
            MatchRule::Batch => "batch",
            MatchRule::NToOne => "n_to_1",
            MatchRule::Sweep => "sweep",
            MatchRule::AmountDate => "amount_date",
            MatchRule::SubsetSum => "subset_sum",
        }
    }

    pub fn parse(s: &str) -> Option<MatchRule> {
        MatchRule::ALL
            .into_iter()
            .find(|r| r.as_str() == s || r.key_rule() == s)
    }

    /// The rule part of the natural key. The posting builders for sweeps, jasa giro and bank
    /// charges prefix their own kind, so those keys read `match:sweep.recon:…`.
    pub fn key_rule(self) -> &'static str {
        match self {
            MatchRule::Sweep => "sweep.recon",
            MatchRule::JasaGiro => "jasa-giro.recon",
            MatchRule::BankCharge => "bank-charge.recon",
            other => other.as_str(),
        }
    }
}

/// What a match means for the ledger; [`crate::entries::match_entries`] turns it into postings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Basis {
    /// Bank credit joined to channel receipts.
    Receipts {
        /// Gross per channel, in channel order.
        channels: Vec<(Channel, Decimal)>,
        /// Gross per kode rekening.
        revenue: Vec<RevenueLine>,
        /// Revenue is recognised only when the credit is on an RKUD account.
        recognise: bool,
    },
    /// Bank credit joined to bendahara deposits.
    Sts {
        /// STS total per OPD.
        deposits: Vec<(String, Decimal)>,
        revenue: Vec<RevenueLine>,
        recognise: bool,
    },
    /// Bank debit(s) joined to an SP2D.
    Sp2d,
    /// Holding / receiving account debit joined to its RKUD credit.
    Sweep {
        from_account: String,
        to_account: String,
        /// Revenue the sweep brings into the RKUD: that of the receipts and STS matched to the
        /// holding account's credits it carries (recognised here, not at the holding credit).
        #[serde(default)]
        revenue: Vec<RevenueLine>,
    },
    JasaGiro,
    BankCharge,
    /// An incoming transfer recognised as revenue of `kode_rekening` by the rule `label`.
    Transfer {
        label: String,
        kode_rekening: String,
    },
    /// Bank refund debit joined to a receipt reversal.
    Refund {
        channel: Channel,
        revenue: Vec<RevenueLine>,
    },
    /// A bank line and the bank's own reversal of it: both suspense legs cancel.
    BankReversal,
}

/// A join of statement lines and documents, with the rule and the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub rule: MatchRule,
    /// `kasda_core::posting::match_key`: `match:<rule>:<sorted fact ids joined by +>`, or
    /// `match:<rule>:<n>ids:<sha256>` when that would be too long.
    pub natural_key: String,
    pub account: String,
    /// Latest booking date among the lines: the date the match belongs to.
    pub booked_on: NaiveDate,
    pub line_ids: Vec<String>,
    pub document_ids: Vec<String>,
    /// Σ line amounts (what the bank moved).
    pub amount: Decimal,
    /// Σ document amounts (receipt / STS totals, SP2D gross).
    pub document_amount: Decimal,
    /// Agreed channel fee recognised on this settlement.
    pub fee: Decimal,
    pub basis: Basis,
    pub explanation: String,
}

/// A new match as the engine keeps it: its link (facts) and what its rule decided.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub rule: MatchRule,
    /// Index into the engine's links.
    pub link: u32,
    pub fee: Decimal,
    /// Basis given by the rule (transfers) or completed after the rules ran (swept revenue);
    /// `None`: derived from the facts when the match is handed out.
    pub basis: Option<Box<Basis>>,
    pub explanation: Explanation,
}

/// A match's explanation, or what it is written from.
#[derive(Debug, Clone)]
pub(crate) enum Explanation {
    Text(Box<str>),
    /// A credit carrying the references of its receipts (most matches of a run). Its figures
    /// (the receipts' gross, what the bank deducted, the agreed fee) are worked out again from
    /// the match's facts when it is handed out, so a million of them hold no amounts.
    ReferenceCredit {
        truncated: bool,
    },
}

/// A document as the engine refers to it (indices into the input vectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Doc {
    Receipt(u32),
    Sts(u32),
    Sp2d(u32),
}

/// A match in the engine's terms, existing or new.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub rule: Option<MatchRule>,
    pub lines: Ids<u32>,
    pub docs: Ids<Doc>,
}

/// The lines or documents of one link. Most links join one line and one document: those are
/// kept inline, without an allocation each (a run at scale holds a million links).
#[derive(Debug, Clone)]
pub(crate) enum Ids<T> {
    One(T),
    /// None, or more than one.
    Many(Box<[T]>),
}

impl<T> From<Vec<T>> for Ids<T> {
    fn from(mut v: Vec<T>) -> Self {
        if v.len() == 1 {
            if let Some(one) = v.pop() {
                return Ids::One(one);
            }
        }
        Ids::Many(v.into_boxed_slice())
    }
}

impl<T> std::ops::Deref for Ids<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Ids::One(one) => std::slice::from_ref(one),
            Ids::Many(many) => many,
        }
    }
}

impl<'a, T> IntoIterator for &'a Ids<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Per-rule count and amount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleStat {
    pub count: u64,
    pub amount: Decimal,
}

pub(crate) fn to_sen(amount: Decimal) -> Option<i64> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return None;
    }
    let scaled = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled.trunc()).ok()
}

pub(crate) fn from_sen(sen: i64) -> Decimal {
    Decimal::new(sen, 2)
}

/// How many days after its settlement date a batch may still find its (late) credit.
const LATE_SETTLEMENT_HORIZON_DAYS: u32 = 31;

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

pub(crate) struct Engine<'a> {
    pub input: &'a ReconInput,
    pub cfg: ConfigIndex<'a>,
    pub cal: &'a dyn WorkingDays,
    pub n_lines: usize,
    pub n_receipts: usize,
    pub n_sts: usize,
    pub n_sp2d: usize,
    pub line_sen: Vec<i64>,
    pub line_used: Vec<bool>,
    /// Lines recon must not match: pending/info status, bad amounts, copies of another line.
    pub line_excluded: Vec<bool>,
    pub duplicate_of: Vec<Option<u32>>,
    pub line_link: Vec<Option<u32>>,
    pub rec_used: Vec<bool>,
    pub rec_sen: Vec<i64>,
    pub rec_fee: Vec<Decimal>,
    /// Channel rule of each receipt (index into the config index).
    pub rec_rule: Vec<usize>,
    pub rec_paid_on: Vec<NaiveDate>,
    /// Date the agreement says the money is due in the bank.
    pub rec_due: Vec<NaiveDate>,
    /// Settlement date the channel reports (or the agreement's), used to form batches.
    pub rec_group_date: Vec<NaiveDate>,
    pub rec_landing: Vec<Option<&'a str>>,
    /// For a paid receipt: the reversal record that cancels it.
    pub rec_reversed_by: Vec<Option<u32>>,
    /// For a reversal record: the paid receipt it cancels.
    pub rec_reverses: Vec<Option<u32>>,
    /// A second row carrying an NTPD already seen (kept out of matching, reported as duplicate).
    pub rec_duplicate_row: Vec<bool>,
    pub rec_link: Vec<Option<u32>>,
    pub sts_used: Vec<bool>,
    pub sts_link: Vec<Option<u32>>,
    pub sp2d_links: Vec<Vec<u32>>,
    pub links: Vec<Link>,
    pub existing_links: usize,
    /// New matches in the order the rules made them, kept compact until handed out.
    pub(crate) matches: Vec<Pending>,
    pub existing_keys: FxHashSet<&'a str>,
    pub warnings: Vec<String>,
    pub subset_steps: u64,
    pub subset_exhausted: bool,
    /// Reference index over all documents, built on the first pass and kept.
    ref_index: Option<RefIndex<Doc>>,
    pub skipped_existing_lines: u64,
}

impl<'a> Engine<'a> {
    pub fn new(input: &'a ReconInput, cfg: ConfigIndex<'a>, cal: &'a dyn WorkingDays) -> Self {
        let mut warnings = Vec::new();
        let n_lines = input.lines.len().min(MAX_LINES);
        if input.lines.len() > MAX_LINES {
            warnings.push(format!(
                "lines: {} statement lines given; the limit per run is {MAX_LINES}, the rest were not reconciled",
                input.lines.len()
            ));
        }
        let docs = &input.documents;
        let cap = |n: usize, what: &str, warnings: &mut Vec<String>| {
            if n > MAX_DOCUMENTS {
                warnings.push(format!(
                    "documents.{what}: {n} given; the limit per run is {MAX_DOCUMENTS}, the rest were not reconciled"
                ));
            }
            n.min(MAX_DOCUMENTS)
        };
        let n_receipts = cap(docs.receipts.len(), "receipts", &mut warnings);
        let n_sts = cap(docs.sts.len(), "sts", &mut warnings);
        let n_sp2d = cap(docs.sp2d.len(), "sp2d", &mut warnings);

        let mut line_sen = Vec::with_capacity(n_lines);
        let mut line_excluded = Vec::with_capacity(n_lines);
        for (i, l) in input.lines.iter().take(n_lines).enumerate() {
            let sen = to_sen(l.amount);
            if sen.is_none() {
                warnings.push(format!(
                    "lines[{i}] {}: amount {} is negative or has more than 2 decimals; the line was not reconciled",
                    l.id, l.amount
                ));
            }
            line_sen.push(sen.unwrap_or(-1));
            line_excluded.push(sen.is_none() || l.status != EntryStatus::Booked);
        }

        let mut engine = Engine {
            input,
            cfg,
            cal,
            n_lines,
            n_receipts,
            n_sts,
            n_sp2d,
            line_sen,
            line_used: vec![false; n_lines],
            line_excluded,
            duplicate_of: vec![None; n_lines],
            line_link: vec![None; n_lines],
            rec_used: vec![false; n_receipts],
            rec_sen: Vec::with_capacity(n_receipts),
            rec_fee: Vec::with_capacity(n_receipts),
            rec_rule: Vec::with_capacity(n_receipts),
            rec_paid_on: Vec::with_capacity(n_receipts),
            rec_due: Vec::with_capacity(n_receipts),
            rec_group_date: Vec::with_capacity(n_receipts),
            rec_landing: Vec::with_capacity(n_receipts),
            rec_reversed_by: vec![None; n_receipts],
            rec_reverses: vec![None; n_receipts],
            rec_duplicate_row: vec![false; n_receipts],
            rec_link: vec![None; n_receipts],
            sts_used: vec![false; n_sts],
            sts_link: vec![None; n_sts],
            sp2d_links: vec![Vec::new(); n_sp2d],
            links: Vec::new(),
            existing_links: 0,
            matches: Vec::new(),
            existing_keys: input
                .existing
                .iter()
                .map(|e| e.natural_key.as_str())
                .collect(),
            warnings,
            subset_steps: 0,
            subset_exhausted: false,
            ref_index: None,
            skipped_existing_lines: 0,
        };
        engine.prepare_receipts();
        engine.mark_duplicate_lines();
        engine.load_existing();
        engine
    }

    fn prepare_receipts(&mut self) {
        let receipts = &self.input.documents.receipts;
        let mut paid_by_ntpd: FxHashMap<&str, u32> = FxHashMap::default();
        paid_by_ntpd.reserve(self.n_receipts);
        let mut rule_memo: FxHashMap<(Channel, Option<&str>), usize> = FxHashMap::default();
        // Few distinct (payment day, lag) pairs: the calendar is asked once per pair.
        let mut due_memo: FxHashMap<(NaiveDate, u32), NaiveDate> = FxHashMap::default();
        for (i, (id, r)) in receipts.iter().take(self.n_receipts).enumerate() {
            // Few distinct (channel, bank) pairs: remember their rule instead of normalising
            // the bank name of every receipt.
            let rule_index = *rule_memo
                .entry((r.channel, r.bank.as_deref()))
                .or_insert_with(|| self.cfg.rule_index(r.channel, r.bank.as_deref()));
            self.rec_rule.push(rule_index);
            let rule = self.cfg.rule(rule_index);
            let sen = to_sen(r.total);
            if sen.is_none() {
                self.warnings.push(format!(
                    "receipts[{i}] {id}: total {} is negative or has more than 2 decimals; the receipt was not reconciled",
                    r.total
                ));
            }
            self.rec_sen.push(sen.unwrap_or(-1));
            if sen.is_none() {
                self.rec_used[i] = true;
            }
            self.rec_fee.push(rule.fee.for_receipt(r.total));
            let paid_on = r.paid_local_date();
            self.rec_paid_on.push(paid_on);
            let lag = rule.settlement_lag_days;
            let due = *due_memo
                .entry((paid_on, lag))
                .or_insert_with(|| self.cal.add_bank_days(paid_on, lag));
            self.rec_due.push(due);
            self.rec_group_date.push(r.settlement_date.unwrap_or(due));
            self.rec_landing.push(
                r.account
                    .as_deref()
                    .or_else(|| self.cfg.settles_to(rule_index)),
            );
            if r.status == ReceiptStatus::Paid {
                match paid_by_ntpd.get(r.ntpd().trim()) {
                    Some(_) => self.rec_duplicate_row[i] = true,
                    None => {
                        paid_by_ntpd.insert(r.ntpd().trim(), i as u32);
                    }
                }
            }
        }
        for (i, (_, r)) in receipts.iter().take(self.n_receipts).enumerate() {
            if r.status != ReceiptStatus::Reversed {
                continue;
            }
            self.rec_used[i] = true; // reversal records only join refund matches
            let original = r
                .reverses_ntpd()
                .map(str::trim)
                .and_then(|n| paid_by_ntpd.get(n));
            if let Some(&o) = original {
                if self.rec_reversed_by[o as usize].is_none() {
                    self.rec_reversed_by[o as usize] = Some(i as u32);
                    self.rec_reverses[i] = Some(o);
                }
            }
        }
    }

    /// The same bank movement delivered twice (overlapping statements, a file imported under two
    /// names): same account, direction, amount, booking date and bank reference; or, without a
    /// bank reference, the same texts in a *different* statement. The later copy is kept out of
    /// matching so it is neither matched twice nor reported as unidentified.
    fn mark_duplicate_lines(&mut self) {
        let lines = &self.input.lines;
        // Keyed by a hash of (account, direction, amount, booking date, bank reference or the
        // joined texts) to the first line with that hash; lines whose key differs but whose
        // hash is the same chain behind it, and every hit is confirmed on the real key. No key
        // is copied: at a million lines the tuple keys cost ~80 bytes each and most of the time.
        let mut first: FxHashMap<u64, u32> = FxHashMap::default();
        first.reserve(self.n_lines);
        let mut next: FxHashMap<u32, u32> = FxHashMap::default();
        let (mut texts, mut other_texts) = (String::new(), String::new());
        for i in 0..self.n_lines {
            let l = &lines[i];
            if self.line_sen[i] < 0 || l.status != EntryStatus::Booked {
                continue;
            }
            let Some((bank_ref, needs_other_statement)) = dup_key_ref(l) else {
                continue;
            };
            join_texts(l, needs_other_statement, &mut texts);
            let mut h = FxHasher::default();
            h.write(l.account.as_bytes());
            h.write_u8(l.direction as u8);
            h.write_i64(self.line_sen[i]);
            h.write_i64(i64::from(l.booking_date.num_days_from_ce()));
            h.write(bank_ref.as_bytes());
            h.write_u8(0xff);
            h.write(texts.as_bytes());
            let hash = h.finish();
            let Some(&head) = first.get(&hash) else {
                first.insert(hash, i as u32);
                continue;
            };
            let mut at = head;
            let same = loop {
                let o = &lines[at as usize];
                let equal = o.account == l.account
                    && o.direction == l.direction
                    && self.line_sen[at as usize] == self.line_sen[i]
                    && o.booking_date == l.booking_date
                    && dup_key_ref(o).is_some_and(|(r, needs)| {
                        r == bank_ref && {
                            join_texts(o, needs, &mut other_texts);
                            other_texts == texts
                        }
                    });
                if equal {
                    break Some(at);
                }
                match next.get(&at) {
                    Some(&n) => at = n,
                    None => break None,
                }
            };
            match same {
                Some(f) => {
                    let other_statement = lines[f as usize].statement_id != l.statement_id;
                    if !needs_other_statement || other_statement {
                        self.duplicate_of[i] = Some(f);
                        self.line_excluded[i] = true;
                    }
                }
                // A different key with the same hash: chained after the last one.
                None => {
                    next.insert(at, i as u32);
                }
            }
        }
    }

    fn load_existing(&mut self) {
        let input = self.input;
        if input.existing.is_empty() {
            return;
        }
        let line_by_id: HashMap<&str, u32> = input
            .lines
            .iter()
            .take(self.n_lines)
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i as u32))
            .collect();
        let mut doc_by_id: HashMap<String, Doc> = HashMap::new();
        for (i, (id, _)) in input
            .documents
            .receipts
            .iter()
            .take(self.n_receipts)
            .enumerate()
        {
            doc_by_id
                .entry(id.clone())
                .or_insert(Doc::Receipt(i as u32));
        }
        for (i, s) in input.documents.sts.iter().take(self.n_sts).enumerate() {
            doc_by_id.entry(sts_id(s)).or_insert(Doc::Sts(i as u32));
        }
        for (i, s) in input.documents.sp2d.iter().take(self.n_sp2d).enumerate() {
            doc_by_id.entry(sp2d_id(s)).or_insert(Doc::Sp2d(i as u32));
        }
        for e in &input.existing {
            let mut lines = Vec::new();
            let mut docs = Vec::new();
            for id in &e.fact_ids {
                if let Some(&l) = line_by_id.get(id.as_str()) {
                    lines.push(l);
                } else if let Some(&d) = doc_by_id.get(id) {
                    docs.push(d);
                }
            }
            if lines.is_empty() && docs.is_empty() {
                continue;
            }
            self.skipped_existing_lines += lines.len() as u64;
            let rule = e.rule_id().and_then(MatchRule::parse);
            self.push_link(Link {
                rule,
                lines: lines.into(),
                docs: docs.into(),
            });
        }
        self.existing_links = self.links.len();
    }

    fn push_link(&mut self, link: Link) -> u32 {
        let idx = self.links.len() as u32;
        for &l in &link.lines {
            self.line_used[l as usize] = true;
            self.line_link[l as usize] = Some(idx);
        }
        for &d in &link.docs {
            match d {
                Doc::Receipt(r) => {
                    self.rec_used[r as usize] = true;
                    self.rec_link[r as usize] = Some(idx);
                }
                Doc::Sts(s) => {
                    self.sts_used[s as usize] = true;
                    self.sts_link[s as usize] = Some(idx);
                }
                Doc::Sp2d(s) => self.sp2d_links[s as usize].push(idx),
            }
        }
        self.links.push(link);
        idx
    }

    pub fn line_open(&self, i: usize) -> bool {
        !self.line_used[i] && !self.line_excluded[i]
    }

    fn receipt_open(&self, r: usize) -> bool {
        !self.rec_used[r] && !self.rec_duplicate_row[r]
    }

    pub fn doc_id(&self, d: Doc) -> String {
        let docs = &self.input.documents;
        match d {
            Doc::Receipt(r) => docs.receipts[r as usize].0.clone(),
            Doc::Sts(s) => sts_id(&docs.sts[s as usize]),
            Doc::Sp2d(s) => sp2d_id(&docs.sp2d[s as usize]),
        }
    }

    /// [`Engine::doc_id`] appended to `out`.
    fn push_doc_id(&self, out: &mut String, d: Doc) {
        let docs = &self.input.documents;
        match d {
            Doc::Receipt(r) => out.push_str(&docs.receipts[r as usize].0),
            Doc::Sts(s) => {
                out.push_str("sts:");
                out.push_str(&docs.sts[s as usize].number);
            }
            Doc::Sp2d(s) => {
                out.push_str("sp2d:");
                out.push_str(&docs.sp2d[s as usize].number);
            }
        }
    }

    fn doc_amount(&self, d: Doc) -> Decimal {
        let docs = &self.input.documents;
        match d {
            Doc::Receipt(r) => docs.receipts[r as usize].1.total,
            Doc::Sts(s) => docs.sts[s as usize].total,
            Doc::Sp2d(s) => docs.sp2d[s as usize].gross,
        }
    }

    fn line_text_upper(&self, i: usize) -> String {
        let mut s = String::new();
        self.line_text_upper_into(i, &mut s);
        s
    }

    /// Upper-cased texts (and counterparty name) of line `i`, written into a reused buffer.
    fn line_text_upper_into(&self, i: usize, s: &mut String) {
        s.clear();
        let l = &self.input.lines[i];
        for t in l.texts.iter().take(crate::refs::MAX_TEXTS_PER_LINE) {
            let mut end = t.len().min(crate::refs::MAX_TEXT_BYTES);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            push_upper(s, &t[..end]);
            s.push(' ');
        }
        if let Some(n) = &l.counterparty_name {
            push_upper(s, n);
        }
    }

    /// Frees what only the rules and findings read (per-line and per-receipt state, the
    /// existing keys), once both have run: handing the matches out ([`Engine::materialize`])
    /// reads only the links, the recorded matches, the receipts' agreed fees, the config and
    /// the input. At a million facts this is ~90 MiB that would otherwise sit beside the
    /// store's append.
    pub(crate) fn release_rules_state(&mut self) {
        self.line_sen = Vec::new();
        self.line_used = Vec::new();
        self.line_excluded = Vec::new();
        self.duplicate_of = Vec::new();
        self.line_link = Vec::new();
        self.rec_used = Vec::new();
        self.rec_sen = Vec::new();
        self.rec_rule = Vec::new();
        self.rec_paid_on = Vec::new();
        self.rec_due = Vec::new();
        self.rec_group_date = Vec::new();
        self.rec_landing = Vec::new();
        self.rec_reversed_by = Vec::new();
        self.rec_reverses = Vec::new();
        self.rec_duplicate_row = Vec::new();
        self.rec_link = Vec::new();
        self.sts_used = Vec::new();
        self.sts_link = Vec::new();
        self.sp2d_links = Vec::new();
        self.existing_keys = FxHashSet::default();
        self.ref_index = None;
    }

    /// Records a new match: marks its facts, writes its key, basis and explanation.
    fn record(
        &mut self,
        rule: MatchRule,
        lines: Vec<u32>,
        docs: Vec<Doc>,
        fee: Decimal,
        explanation: String,
    ) {
        self.record_as(
            rule,
            lines,
            docs,
            fee,
            Explanation::Text(explanation.into()),
            None,
        );
    }

    /// [`Engine::record`] with the basis given by the rule instead of derived from the facts.
    /// The match is kept as its link and the few figures its rule decided; its ids, key,
    /// amounts, basis and explanation text are written when it is handed out
    /// ([`Engine::materialize`]).
    fn record_as(
        &mut self,
        rule: MatchRule,
        mut lines: Vec<u32>,
        mut docs: Vec<Doc>,
        fee: Decimal,
        explanation: Explanation,
        basis: Option<Basis>,
    ) {
        lines.sort_unstable();
        lines.dedup();
        docs.sort_unstable();
        docs.dedup();
        if !self.existing_keys.is_empty() {
            let input = self.input;
            let line_ids: Vec<String> = lines
                .iter()
                .map(|&l| input.lines[l as usize].id.clone())
                .collect();
            let document_ids: Vec<String> = docs.iter().map(|&d| self.doc_id(d)).collect();
            let natural_key = match_key_of(rule.key_rule(), &line_ids, &document_ids);
            if self.existing_keys.contains(natural_key.as_str()) {
                return;
            }
        }
        let link = self.push_link(Link {
            rule: Some(rule),
            lines: lines.into(),
            docs: docs.into(),
        });
        self.matches.push(Pending {
            rule,
            link,
            fee,
            basis: basis.map(Box::new),
            explanation,
        });
    }

    /// Lines and documents of a recorded match (sorted, without repeats).
    fn pending_facts(&self, p: &Pending) -> (&[u32], &[Doc]) {
        let link = &self.links[p.link as usize];
        (&link.lines, &link.docs)
    }

    /// Σ line amounts of a match; one leg for a sweep or a bank reversal, which pair two legs
    /// of one movement.
    pub(crate) fn pending_amount(&self, p: &Pending) -> Decimal {
        let lines = &self.input.lines;
        let (ls, _) = self.pending_facts(p);
        if matches!(p.rule, MatchRule::Sweep | MatchRule::BankReversal) {
            ls.first()
                .map(|&l| lines[l as usize].amount)
                .unwrap_or_default()
        } else {
            ls.iter().map(|&l| lines[l as usize].amount).sum()
        }
    }

    /// Account of a match's first line.
    fn pending_account(&self, p: &Pending) -> &'a str {
        let input = self.input;
        let (ls, _) = self.pending_facts(p);
        ls.first()
            .map(|&l| input.lines[l as usize].account.as_str())
            .unwrap_or_default()
    }

    /// Latest booking date among a match's lines.
    fn pending_booked_on(&self, p: &Pending) -> NaiveDate {
        let lines = &self.input.lines;
        let (ls, _) = self.pending_facts(p);
        ls.iter()
            .map(|&l| lines[l as usize].booking_date)
            .max()
            .unwrap_or(self.input.as_of)
    }

    /// Basis of a match: the one its rule gave, else derived from its facts.
    fn pending_basis(&self, p: &Pending) -> Basis {
        match &p.basis {
            Some(b) => (**b).clone(),
            None => {
                let (ls, ds) = self.pending_facts(p);
                self.basis(p.rule, ls, ds, self.pending_account(p))
            }
        }
    }

    /// The output form of recorded match `k`.
    pub(crate) fn materialize(&self, k: usize) -> Match {
        let p = &self.matches[k];
        let input = self.input;
        let (lines, docs) = self.pending_facts(p);
        let line_ids: Vec<String> = lines
            .iter()
            .map(|&l| input.lines[l as usize].id.clone())
            .collect();
        let document_ids: Vec<String> = docs.iter().map(|&d| self.doc_id(d)).collect();
        let natural_key = match_key_of(p.rule.key_rule(), &line_ids, &document_ids);
        let account = self.pending_account(p).to_string();
        let basis = match &p.basis {
            Some(b) => (**b).clone(),
            None => self.basis(p.rule, lines, docs, &account),
        };
        Match {
            rule: p.rule,
            natural_key,
            booked_on: self.pending_booked_on(p),
            amount: self.pending_amount(p),
            document_amount: docs.iter().map(|&d| self.doc_amount(d)).sum(),
            fee: p.fee,
            basis,
            explanation: self.explanation(p),
            account,
            line_ids,
            document_ids,
        }
    }

    fn explanation(&self, p: &Pending) -> String {
        match &p.explanation {
            Explanation::Text(t) => t.to_string(),
            Explanation::ReferenceCredit { truncated } => {
                let (lines, docs) = self.pending_facts(p);
                let Some(line) = lines.first().map(|&l| &self.input.lines[l as usize]) else {
                    return String::new();
                };
                let (gross, deducted, agreed) = self.reference_credit_figures(line.amount, docs);
                let mut e = String::with_capacity(192);
                e.push_str("Credit ");
                push_idr(&mut e, line.amount);
                e.push_str(" on ");
                e.push_str(&line.account);
                e.push_str(" dated ");
                push_date(&mut e, line.booking_date);
                e.push_str(" carries the ");
                e.push_str(if *truncated {
                    "truncated reference"
                } else {
                    "exact reference"
                });
                e.push_str(" of ");
                for (k, &d) in docs.iter().enumerate() {
                    if k > 0 {
                        e.push_str(", ");
                    }
                    self.push_doc_id(&mut e, d);
                }
                e.push_str(" (receipts ");
                push_idr(&mut e, gross);
                e.push_str("); ");
                if deducted.is_zero() {
                    e.push_str("amounts agree");
                } else {
                    push_idr(&mut e, deducted);
                    e.push_str(" deducted, agreed fee ");
                    push_idr(&mut e, agreed);
                }
                e.push('.');
                e
            }
        }
    }

    /// A reference credit of `amount` for the receipts `docs`: their gross, what the bank
    /// deducted from it (never negative) and the fee the channels' agreements allow.
    fn reference_credit_figures(
        &self,
        amount: Decimal,
        docs: &[Doc],
    ) -> (Decimal, Decimal, Decimal) {
        let gross: Decimal = docs.iter().map(|&d| self.doc_amount(d)).sum();
        let agreed: Decimal = docs
            .iter()
            .map(|&d| match d {
                Doc::Receipt(r) => self.rec_fee[r as usize],
                _ => Decimal::ZERO,
            })
            .sum();
        (gross, (gross - amount).max(Decimal::ZERO), agreed)
    }

    fn basis(&self, rule: MatchRule, lines: &[u32], docs: &[Doc], account: &str) -> Basis {
        let documents = &self.input.documents;
        match rule {
            MatchRule::JasaGiro => return Basis::JasaGiro,
            MatchRule::BankCharge => return Basis::BankCharge,
            MatchRule::BankReversal => return Basis::BankReversal,
            MatchRule::Sweep => {
                let mut from = account.to_string();
                let mut to = account.to_string();
                for &l in lines {
                    let line = &self.input.lines[l as usize];
                    match line.direction {
                        Direction::Debit => from = line.account.to_string(),
                        Direction::Credit => to = line.account.to_string(),
                    }
                }
                return Basis::Sweep {
                    from_account: from,
                    to_account: to,
                    revenue: Vec::new(),
                };
            }
            MatchRule::Refund => {
                if let Some(Doc::Receipt(r)) = docs.first() {
                    let receipt = &documents.receipts[*r as usize].1;
                    return Basis::Refund {
                        channel: receipt.channel,
                        revenue: receipt.revenue_lines(),
                    };
                }
            }
            _ => {}
        }
        let recognise = self.cfg.is_rkud(account);
        if docs.iter().all(|d| matches!(d, Doc::Sp2d(_))) {
            return Basis::Sp2d;
        }
        if docs.iter().all(|d| matches!(d, Doc::Sts(_))) {
            let mut deposits: BTreeMap<String, Decimal> = BTreeMap::new();
            let mut revenue: BTreeMap<String, Decimal> = BTreeMap::new();
            for d in docs {
                if let Doc::Sts(s) = d {
                    let sts = &documents.sts[*s as usize];
                    *deposits.entry(sts.opd.clone()).or_default() += sts.total;
                    for line in revenue_of(&sts.lines, sts.total, None) {
                        *revenue.entry(line.kode_rekening).or_default() += line.amount;
                    }
                }
            }
            return Basis::Sts {
                deposits: deposits.into_iter().collect(),
                revenue: to_revenue(revenue),
                recognise,
            };
        }
        if let [Doc::Receipt(r)] = docs {
            // One receipt with one revenue line (most matches): what the maps below would
            // give, without them.
            let receipt = &documents.receipts[*r as usize].1;
            let revenue = receipt.revenue_lines();
            if let [line] = revenue.as_slice() {
                if !line.amount.is_zero() {
                    return Basis::Receipts {
                        channels: vec![(receipt.channel, Decimal::ZERO + receipt.total)],
                        revenue: vec![RevenueLine {
                            kode_rekening: line.kode_rekening.clone(),
                            amount: Decimal::ZERO + line.amount,
                        }],
                        recognise,
                    };
                }
            }
        }
        let mut channels: BTreeMap<Channel, Decimal> = BTreeMap::new();
        let mut revenue: BTreeMap<String, Decimal> = BTreeMap::new();
        for d in docs {
            if let Doc::Receipt(r) = d {
                let receipt = &documents.receipts[*r as usize].1;
                *channels.entry(receipt.channel).or_default() += receipt.total;
                for line in receipt.revenue_lines() {
                    *revenue.entry(line.kode_rekening).or_default() += line.amount;
                }
            }
        }
        Basis::Receipts {
            channels: channels.into_iter().collect(),
            revenue: to_revenue(revenue),
            recognise,
        }
    }

    /// Runs every rule in order, and again over what is left until a pass matches nothing
    /// (at most [`MAX_PASSES`]). A later rule can free a group for an earlier one (a batch
    /// becomes exact once one receipt was matched alone); running to a fixed point is what
    /// makes a re-run with these matches as existing add nothing.
    pub fn run(&mut self) {
        // Every match joins at least one open line and a line joins at most one match: sized
        // once, the match list never regrows (a regrowth copies every match made so far).
        let open = (0..self.n_lines).filter(|&i| self.line_open(i)).count();
        self.matches.reserve(open);
        self.links.reserve(open);
        for _ in 0..MAX_PASSES {
            let before = self.matches.len();
            self.rule_bank_items();
            let deferred = self.rule_reference();
            self.rule_bank_reversal();
            self.rule_batch(&deferred);
            self.rule_n_to_one(deferred);
            self.rule_sweep();
            self.rule_amount_date();
            self.rule_subset_sum();
            if self.matches.len() == before {
                break;
            }
        }
        // Only the rules look references up: free the index before the findings run.
        self.ref_index = None;
        self.recognise_swept_revenue();
    }

    /// Revenue collected through a holding (or OPD receiving) account is recognised when the
    /// sweep brings it into the RKUD (ARCHITECTURE-GUIDE §6): each sweep of this run carries,
    /// oldest first, the receipt- or STS-matched credits of its account that the sweep rule had
    /// made due by the sweep's date, as long as they fit in the amount swept (a partial sweep
    /// leaves the rest for the next one). Credits matched in earlier runs are not revisited.
    fn recognise_swept_revenue(&mut self) {
        if !self.matches.iter().any(|p| p.rule == MatchRule::Sweep) {
            return;
        }
        let lines = &self.input.lines;
        let bases: Vec<Basis> = self.matches.iter().map(|p| self.pending_basis(p)).collect();
        // account → (credit date, amount, match index), for credits whose revenue waits.
        let mut waiting: BTreeMap<String, Vec<(NaiveDate, Decimal, usize)>> = BTreeMap::new();
        let mut sweeps: BTreeMap<String, Vec<(NaiveDate, Decimal, usize)>> = BTreeMap::new();
        let sweep_lines: FxHashSet<u32> = self
            .matches
            .iter()
            .zip(&bases)
            .filter(|(_, b)| matches!(b, Basis::Sweep { .. }))
            .flat_map(|(p, _)| self.pending_facts(p).0.iter().copied())
            .collect();
        if sweep_lines.is_empty() {
            return;
        }
        // Booking date of each swept debit, by line id (two lines may share an id).
        let mut debit_date: FxHashMap<&str, NaiveDate> = FxHashMap::default();
        let sweep_ids: FxHashSet<&str> = sweep_lines
            .iter()
            .map(|&l| lines[l as usize].id.as_str())
            .collect();
        for l in lines {
            if l.direction == Direction::Debit && sweep_ids.contains(l.id.as_str()) {
                debit_date.insert(l.id.as_str(), l.booking_date);
            }
        }
        for (k, (p, basis)) in self.matches.iter().zip(&bases).enumerate() {
            match basis {
                Basis::Receipts {
                    recognise: false,
                    revenue,
                    ..
                }
                | Basis::Sts {
                    recognise: false,
                    revenue,
                    ..
                } if !revenue.is_empty() => {
                    waiting
                        .entry(self.pending_account(p).to_string())
                        .or_default()
                        .push((self.pending_booked_on(p), self.pending_amount(p), k));
                }
                Basis::Sweep { from_account, .. } => {
                    let date = self
                        .pending_facts(p)
                        .0
                        .iter()
                        .find_map(|&l| debit_date.get(lines[l as usize].id.as_str()).copied())
                        .unwrap_or_else(|| self.pending_booked_on(p));
                    sweeps.entry(from_account.clone()).or_default().push((
                        date,
                        self.pending_amount(p),
                        k,
                    ));
                }
                _ => {}
            }
        }
        let tol = self.cfg.cfg.amount_tolerance;
        let mut completed: Vec<(usize, Basis)> = Vec::new();
        for (account, mut list) in sweeps {
            let Some(mut credits) = waiting.remove(&account) else {
                continue;
            };
            let lag = self
                .cfg
                .account(&account)
                .map(|r| r.sweep_lag_days)
                .unwrap_or(0);
            credits.sort();
            list.sort();
            let mut next = 0;
            for (date, amount, k) in list {
                let mut carried = Decimal::ZERO;
                let mut revenue: BTreeMap<String, Decimal> = BTreeMap::new();
                while let Some(&(cdate, camount, c)) = credits.get(next) {
                    if self.cal.add_bank_days(cdate, lag) > date || carried + camount > amount + tol
                    {
                        break;
                    }
                    carried += camount;
                    next += 1;
                    if let Basis::Receipts { revenue: r, .. } | Basis::Sts { revenue: r, .. } =
                        &bases[c]
                    {
                        for line in r {
                            *revenue.entry(line.kode_rekening.clone()).or_default() += line.amount;
                        }
                    }
                }
                if let Basis::Sweep {
                    from_account,
                    to_account,
                    ..
                } = &bases[k]
                {
                    completed.push((
                        k,
                        Basis::Sweep {
                            from_account: from_account.clone(),
                            to_account: to_account.clone(),
                            revenue: to_revenue(revenue),
                        },
                    ));
                }
            }
        }
        for (k, basis) in completed {
            self.matches[k].basis = Some(Box::new(basis));
        }
    }

    /// Rule 0: jasa giro credits and small bank-charge debits, recognised by narrative words.
    fn rule_bank_items(&mut self) {
        let cfg = self.cfg.cfg;
        if cfg.jasa_giro_markers.is_empty()
            && cfg.bank_charge_markers.is_empty()
            && cfg.transfers.is_empty()
        {
            return;
        }
        let transfers = TransferWords::new(&cfg.transfers);
        let jasa_giro: Vec<String> = cfg
            .jasa_giro_markers
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| m.to_uppercase())
            .collect();
        let charges: Vec<String> = cfg
            .bank_charge_markers
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| m.to_uppercase())
            .collect();
        let mut text = String::new();
        for i in 0..self.n_lines {
            if !self.line_open(i) {
                continue;
            }
            let line = &self.input.lines[i];
            if line.reversal {
                continue;
            }
            self.line_text_upper_into(i, &mut text);
            let (markers, rule, what) = match line.direction {
                Direction::Credit => (&jasa_giro, MatchRule::JasaGiro, "jasa giro"),
                Direction::Debit => {
                    if line.amount > cfg.bank_charge_max {
                        continue;
                    }
                    (&charges, MatchRule::BankCharge, "bank charge")
                }
            };
            let Some(marker) = markers.iter().find(|m| text.contains(m.as_str())) else {
                if line.direction == Direction::Credit && self.cfg.is_rkud(&line.account) {
                    if let Some(k) = transfers.rule_for(line, &text) {
                        self.record_transfer(i, k);
                    }
                }
                continue;
            };
            let explanation = format!(
                "{} {} on account {} dated {} is {what}: its narrative says \"{marker}\".",
                line.direction.as_str(),
                display_idr(line.amount),
                line.account,
                line.booking_date
            );
            self.record(rule, vec![i as u32], Vec::new(), Decimal::ZERO, explanation);
        }
    }

    /// Rule 0c: an RKUD credit that a `[[transfer_in]]` rule recognises (every narrative word
    /// in its texts, one counterparty word in its counterparty or texts; see [`TransferWords`])
    /// is revenue of the rule's kode rekening; when the BUD's BKU records that credit (same
    /// account and amount, its document number in the credit's texts, within the date window)
    /// under a finer code of that revenue, the BKU's code is used.
    fn record_transfer(&mut self, i: usize, k: usize) {
        let cfg = self.cfg.cfg;
        let rule = &cfg.transfers[k];
        let line = &self.input.lines[i];
        let window = days(cfg.date_window_days);
        let texts: Vec<String> = line.texts.iter().map(|t| normalize_ref(t)).collect();
        let finer = self.input.documents.bku.iter().find_map(|b| {
            let code = b.kode_rekening.as_deref()?;
            let doc = normalize_ref(b.document.as_deref()?);
            (b.owner == kasda_core::document::BkuOwner::Bud
                && b.direction == Direction::Credit
                && b.amount == line.amount
                && b.account
                    .as_deref()
                    .is_some_and(|a| ConfigIndex::same_account(a, &line.account))
                && (b.date - line.booking_date).abs() <= window
                && doc.len() >= 4
                && texts.iter().any(|t| t.contains(doc.as_str()))
                && code.starts_with(rule.kode_rekening.as_str()))
            .then(|| code.to_string())
        });
        let kode = finer.unwrap_or_else(|| rule.kode_rekening.clone());
        let explanation = format!(
            "Credit {} on {} dated {} is a {} transfer by rule {:?} (narrative {}): revenue of {kode}.",
            display_idr(line.amount),
            line.account,
            line.booking_date,
            rule.label,
            rule.label,
            rule.narrative.join(" + ")
        );
        let basis = Basis::Transfer {
            label: rule.label.clone(),
            kode_rekening: kode,
        };
        self.record_as(
            MatchRule::Transfer,
            vec![i as u32],
            Vec::new(),
            Decimal::ZERO,
            Explanation::Text(explanation.into()),
            Some(basis),
        );
    }

    fn build_ref_index(&self) -> RefIndex<Doc> {
        let docs = &self.input.documents;
        let mut idx = RefIndex::new();
        let receipts = &docs.receipts[..self.n_receipts];
        let (mut refs, mut ref_bytes) = (0, 0);
        for (_, r) in receipts {
            for v in [Some(r.ntpd()), r.ntb(), r.kode_billing()]
                .into_iter()
                .flatten()
            {
                refs += 1;
                ref_bytes += v.len();
            }
        }
        // Forms without leading zeros, where there are any, grow the index past this.
        idx.reserve(refs + self.n_sts + self.n_sp2d, ref_bytes);
        for (i, (_, r)) in receipts.iter().enumerate() {
            let target = match r.status {
                ReceiptStatus::Paid => i as u32,
                // A refund may quote the reversal's own number: point it at the original.
                ReceiptStatus::Reversed => match self.rec_reverses[i] {
                    Some(o) => o,
                    None => continue,
                },
            };
            let key = Doc::Receipt(target);
            idx.insert(r.ntpd(), key);
            if let Some(v) = r.ntb() {
                idx.insert(v, key);
            }
            if let Some(v) = r.kode_billing() {
                idx.insert(v, key);
            }
        }
        for (i, s) in docs.sts.iter().take(self.n_sts).enumerate() {
            idx.insert(&s.number, Doc::Sts(i as u32));
        }
        for (i, s) in docs.sp2d.iter().take(self.n_sp2d).enumerate() {
            idx.insert(&s.number, Doc::Sp2d(i as u32));
        }
        idx.finish();
        idx
    }

    /// Whether document `d` can be what line `i` is about (direction, dates, still open).
    fn reference_fits(&self, i: usize, d: Doc) -> bool {
        let line = &self.input.lines[i];
        let window = days(self.cfg.cfg.date_window_days);
        let docs = &self.input.documents;
        let b = line.booking_date;
        match (line.direction, d) {
            (Direction::Credit, Doc::Receipt(r)) => {
                let r = r as usize;
                self.receipt_open(r)
                    && docs.receipts[r].1.status == ReceiptStatus::Paid
                    && b >= self.rec_paid_on[r] - Duration::days(1)
                    && b <= self.rec_group_date[r].max(self.rec_due[r]) + window
            }
            (Direction::Debit, Doc::Receipt(r)) => {
                // A debit naming a receipt is its refund, if the receipt was reversed.
                let r = r as usize;
                match self.rec_reversed_by[r] {
                    Some(v) => {
                        self.rec_link[v as usize].is_none()
                            && b >= self.rec_paid_on[r] - Duration::days(1)
                            && b <= self.rec_paid_on[v as usize] + window
                    }
                    None => false,
                }
            }
            (Direction::Credit, Doc::Sts(s)) => {
                let sts = &docs.sts[s as usize];
                !self.sts_used[s as usize]
                    && b >= sts.date - Duration::days(1)
                    && b <= sts.date + window
            }
            (Direction::Debit, Doc::Sp2d(s)) => {
                // The BUD disburses on pemda working days: across a long holiday (Lebaran, cuti
                // bersama) the window counts working days.
                let sp2d = &docs.sp2d[s as usize];
                let last = (sp2d.date + window).max(
                    self.cal
                        .add_working_days(sp2d.date, self.cfg.cfg.date_window_days),
                );
                b >= sp2d.date - Duration::days(1) && b <= last
            }
            _ => false,
        }
    }

    /// Rule 1: references. Returns the STS / SP2D whose number appears in lines whose amount
    /// does not fit alone; rule 3 groups those.
    fn rule_reference(&mut self) -> BTreeMap<Doc, Vec<u32>> {
        let mut deferred: BTreeMap<Doc, Vec<u32>> = BTreeMap::new();
        let has_docs = self.n_receipts + self.n_sts + self.n_sp2d > 0;
        if !has_docs {
            return deferred;
        }
        let idx = match self.ref_index.take() {
            Some(idx) => idx,
            None => self.build_ref_index(),
        };
        let min_prefix = self
            .cfg
            .cfg
            .min_ref_prefix
            .max(crate::refs::MIN_EXACT_LEN.min(5));
        let tol = self.cfg.cfg.amount_tolerance;
        let mut found: Vec<Doc> = Vec::new();
        let mut tokens = LineTokens::default();
        for i in 0..self.n_lines {
            if !self.line_open(i) {
                continue;
            }
            let line = &self.input.lines[i];
            tokens.fill(&line.texts);
            if tokens.is_empty() {
                continue;
            }
            found.clear();
            for t in tokens.iter() {
                idx.exact(t, &mut found);
            }
            found.sort_unstable();
            found.dedup();
            found.retain(|&d| self.reference_fits(i, d));
            let mut how = "exact reference";
            if found.is_empty() {
                for t in tokens.iter() {
                    if let Some(d) = idx.unique_prefix(t, min_prefix) {
                        found.push(d);
                    }
                }
                found.sort_unstable();
                found.dedup();
                found.retain(|&d| self.reference_fits(i, d));
                how = "truncated reference";
            }
            if found.is_empty() {
                continue;
            }
            let line = &self.input.lines[i];
            let amount = line.amount;
            let all_receipts = found.iter().all(|d| matches!(d, Doc::Receipt(_)));
            let all_sts = found.iter().all(|d| matches!(d, Doc::Sts(_)));
            // The documents' ids, for the credit explanations only.
            let names = || {
                let mut names = String::new();
                for (k, &d) in found.iter().enumerate() {
                    if k > 0 {
                        names.push_str(", ");
                    }
                    self.push_doc_id(&mut names, d);
                }
                names
            };
            match line.direction {
                Direction::Credit if all_receipts => {
                    let (gross, deducted, agreed) = self.reference_credit_figures(amount, &found);
                    let channel_tol: Decimal = found
                        .iter()
                        .map(|&d| match d {
                            Doc::Receipt(r) => self.cfg.rule(self.rec_rule[r as usize]).tolerance,
                            _ => Decimal::ZERO,
                        })
                        .max()
                        .unwrap_or_default();
                    if amount > gross + channel_tol {
                        continue;
                    }
                    let fee = deducted.min(agreed);
                    // The explanation of most matches of a run: written when handed out.
                    let explanation = Explanation::ReferenceCredit {
                        truncated: how == "truncated reference",
                    };
                    self.record_as(
                        MatchRule::Reference,
                        vec![i as u32],
                        found.clone(),
                        fee,
                        explanation,
                        None,
                    );
                }
                Direction::Credit if all_sts => {
                    let total: Decimal = found.iter().map(|&d| self.doc_amount(d)).sum();
                    if (amount - total).abs() <= tol {
                        let explanation = format!(
                            "Credit {} on {} dated {} carries the {how} of {} totalling {}.",
                            display_idr(amount),
                            line.account,
                            line.booking_date,
                            names(),
                            display_idr(total)
                        );
                        self.record(
                            MatchRule::Reference,
                            vec![i as u32],
                            found.clone(),
                            Decimal::ZERO,
                            explanation,
                        );
                    } else if found.len() == 1 {
                        deferred.entry(found[0]).or_default().push(i as u32);
                    }
                }
                Direction::Debit if found.len() == 1 => match found[0] {
                    Doc::Sp2d(s) => {
                        let sp2d = &self.input.documents.sp2d[s as usize];
                        let fits = (amount - sp2d.gross).abs() <= tol
                            || (amount - sp2d.net).abs() <= tol
                            || sp2d
                                .deductions
                                .iter()
                                .any(|d| (amount - d.amount).abs() <= tol);
                        if fits && self.sp2d_links[s as usize].is_empty() {
                            let explanation = format!(
                                "Debit {} on {} dated {} carries the {how} of SP2D {} (gross {}, net {}).",
                                display_idr(amount),
                                line.account,
                                line.booking_date,
                                sp2d.number,
                                display_idr(sp2d.gross),
                                display_idr(sp2d.net)
                            );
                            self.record(
                                MatchRule::Reference,
                                vec![i as u32],
                                found.clone(),
                                Decimal::ZERO,
                                explanation,
                            );
                        } else {
                            deferred.entry(found[0]).or_default().push(i as u32);
                        }
                    }
                    Doc::Receipt(r) => {
                        if let Some(v) = self.rec_reversed_by[r as usize] {
                            let original = &self.input.documents.receipts[r as usize].1;
                            let explanation = format!(
                                "Debit {} on {} dated {} carries the {how} of receipt NTPD {} ({}), which the tax system reversed: this is its refund.",
                                display_idr(amount),
                                line.account,
                                line.booking_date,
                                original.ntpd(),
                                display_idr(original.total)
                            );
                            self.record(
                                MatchRule::Refund,
                                vec![i as u32],
                                vec![Doc::Receipt(v)],
                                Decimal::ZERO,
                                explanation,
                            );
                        }
                    }
                    Doc::Sts(_) => {}
                },
                _ => {}
            }
        }
        self.ref_index = Some(idx);
        deferred
    }

    /// Rule 1c: a reversal line pairs with the nearest earlier open line of the opposite
    /// direction, same account and amount, within the date window.
    fn rule_bank_reversal(&mut self) {
        let lines = &self.input.lines;
        let window = days(self.cfg.cfg.date_window_days);
        let reversals: Vec<usize> = (0..self.n_lines)
            .filter(|&i| self.line_open(i) && lines[i].reversal)
            .collect();
        if reversals.is_empty() {
            return;
        }
        let mut originals: FxHashMap<(&str, Direction, i64), DatedSet> = FxHashMap::default();
        for i in 0..self.n_lines {
            let l = &lines[i];
            if self.line_open(i) && !l.reversal {
                originals
                    .entry((l.account.as_str(), l.direction, self.line_sen[i]))
                    .or_default()
                    .insert((l.booking_date, i as u32));
            }
        }
        for i in reversals {
            let l = &lines[i];
            let Some(set) =
                originals.get_mut(&(l.account.as_str(), l.direction.opposite(), self.line_sen[i]))
            else {
                continue;
            };
            let b = l.booking_date;
            let Some((d, o)) = take_nearest(set, b, b - window, b, |o| !self.line_used[o as usize])
            else {
                continue;
            };
            let explanation = format!(
                "{} {} on {} dated {} is the bank's reversal of the {} of the same amount dated {} ({}).",
                l.direction.as_str(),
                display_idr(l.amount),
                l.account,
                b,
                l.direction.opposite().as_str(),
                d,
                lines[o as usize].id
            );
            self.record(
                MatchRule::BankReversal,
                vec![i as u32, o],
                Vec::new(),
                Decimal::ZERO,
                explanation,
            );
        }
    }

    /// Open credit lines per (account, date), sorted by amount.
    fn credit_index(
        &self,
        skip: &FxHashSet<u32>,
    ) -> FxHashMap<(&'a str, NaiveDate), Vec<(i64, u32)>> {
        let lines = &self.input.lines;
        let mut idx: FxHashMap<(&str, NaiveDate), Vec<(i64, u32)>> = FxHashMap::default();
        for i in 0..self.n_lines {
            let l = &lines[i];
            if !self.line_open(i)
                || l.direction != Direction::Credit
                || l.reversal
                || skip.contains(&(i as u32))
            {
                continue;
            }
            idx.entry((l.account.as_str(), l.booking_date))
                .or_default()
                .push((self.line_sen[i], i as u32));
        }
        for v in idx.values_mut() {
            v.sort_unstable();
        }
        idx
    }

    /// Rule 2: batch settlement per (channel, landing account, settlement date).
    fn rule_batch(&mut self, deferred: &BTreeMap<Doc, Vec<u32>>) {
        let skip: FxHashSet<u32> = deferred.values().flatten().copied().collect();
        let index = self.credit_index(&skip);
        if index.is_empty() {
            return;
        }
        let docs = &self.input.documents;
        // Per group: the receipts it should settle, and the receipts reversed in the tax system
        // (an aggregator that settled before hearing of the reversal includes them). A payment
        // recorded twice (same bank, NTB and amount under two NTPD) counts once: the money
        // arrives once, and the twin is reported as a duplicate receipt.
        type Key<'k> = (Channel, &'k str, NaiveDate, usize);
        let mut groups: BTreeMap<Key<'_>, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
        let mut payments: FxHashSet<(Key<'_>, String, String, i64)> = FxHashSet::default();
        for r in 0..self.n_receipts {
            if !self.receipt_open(r) {
                continue;
            }
            let receipt = &docs.receipts[r].1;
            if receipt.status != ReceiptStatus::Paid {
                continue;
            }
            let Some(landing) = self.rec_landing[r] else {
                continue;
            };
            let key = (
                receipt.channel,
                landing,
                self.rec_group_date[r],
                self.rec_rule[r],
            );
            if let Some(ntb) = receipt.ntb().map(normalize_ref) {
                if !ntb.is_empty() {
                    let bank = receipt
                        .bank
                        .as_deref()
                        .map(normalize_ref)
                        .unwrap_or_default();
                    if !payments.insert((key, bank, ntb, self.rec_sen[r])) {
                        continue;
                    }
                }
            }
            let g = groups.entry(key).or_default();
            if self.rec_reversed_by[r].is_some() {
                g.1.push(r as u32);
            } else {
                g.0.push(r as u32);
            }
        }
        let window = self.cfg.cfg.date_window_days;
        // Groups that found no credit in the window: after every group had its window, one
        // may still take a later credit that names its channel and equals its net exactly
        // (a late settlement, reported as such rather than as unremitted receipts).
        let mut unsettled: Vec<(Channel, &str, NaiveDate, usize, Vec<u32>)> = Vec::new();
        for ((channel, landing, date, rule_index), (mut members, reversed)) in groups {
            let rule = self.cfg.rule(rule_index).clone();
            let Some(tol) = to_sen(rule.tolerance) else {
                continue;
            };
            let exact_credit = |net: i64| -> Option<u32> {
                for k in 0..=window {
                    let d = date + days(k);
                    let Some(cands) = index.get(&(landing, d)) else {
                        continue;
                    };
                    let start = cands.partition_point(|&(s, _)| s < net - tol);
                    for &(s, l) in &cands[start..] {
                        if s > net + tol {
                            break;
                        }
                        if self.line_open(l as usize) {
                            return Some(l);
                        }
                    }
                }
                None
            };
            let net_of = |rs: &[u32]| -> Option<i64> {
                let gross: i64 = rs.iter().map(|&r| self.rec_sen[r as usize]).sum();
                let fee: Decimal = rs.iter().map(|&r| self.rec_fee[r as usize]).sum();
                Some(gross - to_sen(fee)?)
            };
            let Some(mut net) = net_of(&members) else {
                continue;
            };
            let mut exact = if members.is_empty() {
                None
            } else {
                exact_credit(net)
            };
            if exact.is_none() && !reversed.is_empty() {
                // Settled in full, reversed receipts included (reversal without refund).
                let all: Vec<u32> = members.iter().chain(&reversed).copied().collect();
                if let Some(all_net) = net_of(&all) {
                    if let Some(l) = exact_credit(all_net) {
                        exact = Some(l);
                        members = all;
                        net = all_net;
                    }
                }
            }
            if members.is_empty() {
                continue;
            }
            let gross: i64 = members.iter().map(|&r| self.rec_sen[r as usize]).sum();
            let fee: Decimal = members.iter().map(|&r| self.rec_fee[r as usize]).sum();
            let members_txt = || {
                format!(
                    "{} {} receipt(s) settling {date} (gross {}, agreed fee {} = {})",
                    members.len(),
                    channel.as_str(),
                    display_idr(from_sen(gross)),
                    rule.fee.describe(),
                    display_idr(fee)
                )
            };
            // A "batch" of one receipt is rule 4's business (amount and nearest date).
            if members.len() < 2 {
                exact = None;
            }
            if let Some(l) = exact {
                let line = &self.input.lines[l as usize];
                let explanation = format!(
                    "Credit {} on {} dated {} equals the {} less the agreed fee.",
                    display_idr(line.amount),
                    landing,
                    line.booking_date,
                    members_txt()
                );
                let docs = members.iter().map(|&r| Doc::Receipt(r)).collect();
                self.record(MatchRule::Batch, vec![l], docs, fee, explanation);
                continue;
            }
            if rule.markers.is_empty() || gross <= 0 {
                continue;
            }
            // No exact settlement: accept the earliest credit that names the channel and falls
            // short by no more than the configured share (closest amount on that day); the
            // difference becomes a finding. Date first: the channel's settlements of other days
            // have similar totals and must not be taken for this one.
            let short_pct = rule
                .max_shortfall_percent
                .clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
            let floor = to_sen(
                (from_sen(gross) * (Decimal::ONE_HUNDRED - short_pct) / Decimal::ONE_HUNDRED)
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity),
            )
            .unwrap_or(gross);
            let markers: Vec<String> = rule.markers.iter().map(|m| m.to_uppercase()).collect();
            let mut best: Option<(i64, NaiveDate, u32)> = None;
            for k in 0..=window {
                let d = date + days(k);
                let Some(cands) = index.get(&(landing, d)) else {
                    continue;
                };
                let start = cands.partition_point(|&(s, _)| s < floor);
                for &(s, l) in &cands[start..] {
                    if s > gross + tol {
                        break;
                    }
                    if !self.line_open(l as usize) {
                        continue;
                    }
                    let text = self.line_text_upper(l as usize);
                    if !markers
                        .iter()
                        .any(|m| !m.is_empty() && text.contains(m.as_str()))
                    {
                        continue;
                    }
                    let dist = (s - net).abs();
                    if best.is_none_or(|(bd, bdate, bl)| (d, dist, l) < (bdate, bd, bl)) {
                        best = Some((dist, d, l));
                    }
                }
            }
            let Some((_, _, l)) = best else {
                unsettled.push((channel, landing, date, rule_index, members));
                continue;
            };
            let line_sen = self.line_sen[l as usize];
            let shortfall = net - line_sen;
            let mut joined = members.clone();
            let mut excluded: Option<u32> = None;
            if shortfall > tol {
                // One receipt left out of the settlement explains the whole difference: that
                // receipt is unremitted, the rest settled correctly.
                let hits: Vec<u32> = members
                    .iter()
                    .copied()
                    .filter(|&r| {
                        let r_net = self.rec_sen[r as usize]
                            - to_sen(self.rec_fee[r as usize]).unwrap_or(0);
                        (r_net - shortfall).abs() <= tol
                    })
                    .collect();
                if let Some(&first) = hits.first() {
                    if members.len() > 1 {
                        excluded = Some(first);
                        joined.retain(|&r| r != first);
                    }
                }
            }
            let line = &self.input.lines[l as usize];
            let joined_gross: Decimal = joined
                .iter()
                .map(|&r| from_sen(self.rec_sen[r as usize]))
                .sum();
            let joined_fee: Decimal = joined.iter().map(|&r| self.rec_fee[r as usize]).sum();
            let deducted = (joined_gross - line.amount).max(Decimal::ZERO);
            let explanation = match excluded {
                Some(x) => format!(
                    "Credit {} on {} dated {} names the {} channel and equals its receipts settling {date} less the agreed fee, except receipt NTPD {} ({}) which the settlement left out.",
                    display_idr(line.amount),
                    landing,
                    line.booking_date,
                    channel.as_str(),
                    docs.receipts[x as usize].1.ntpd(),
                    display_idr(docs.receipts[x as usize].1.total)
                ),
                None => format!(
                    "Credit {} on {} dated {} names the {} channel and is the nearest settlement for the {}; it is {} short of the gross.",
                    display_idr(line.amount),
                    landing,
                    line.booking_date,
                    channel.as_str(),
                    members_txt(),
                    display_idr(deducted)
                ),
            };
            let docs_joined = joined.iter().map(|&r| Doc::Receipt(r)).collect();
            self.record(
                MatchRule::Batch,
                vec![l],
                docs_joined,
                deducted.min(joined_fee),
                explanation,
            );
        }
        for (channel, landing, date, rule_index, members) in unsettled {
            self.late_batch(channel, landing, date, rule_index, &members, &index);
        }
    }

    /// Rule 2, late: the earliest open credit after the window (up to
    /// [`LATE_SETTLEMENT_HORIZON_DAYS`]) that names the channel and equals the group's net
    /// within the channel's tolerance settles the whole group.
    fn late_batch(
        &mut self,
        channel: Channel,
        landing: &str,
        date: NaiveDate,
        rule_index: usize,
        members: &[u32],
        index: &FxHashMap<(&'a str, NaiveDate), Vec<(i64, u32)>>,
    ) {
        if members.len() < 2 || members.iter().any(|&r| !self.receipt_open(r as usize)) {
            return;
        }
        let rule = self.cfg.rule(rule_index).clone();
        if rule.markers.is_empty() {
            return;
        }
        let Some(tol) = to_sen(rule.tolerance) else {
            return;
        };
        let gross: i64 = members.iter().map(|&r| self.rec_sen[r as usize]).sum();
        let fee: Decimal = members.iter().map(|&r| self.rec_fee[r as usize]).sum();
        let Some(fee_sen) = to_sen(fee) else { return };
        let net = gross - fee_sen;
        if gross <= 0 {
            return;
        }
        let markers: Vec<String> = rule.markers.iter().map(|m| m.to_uppercase()).collect();
        let window = self.cfg.cfg.date_window_days;
        let mut found: Option<u32> = None;
        'dates: for k in (window + 1)..=LATE_SETTLEMENT_HORIZON_DAYS.max(window) {
            let d = date + days(k);
            if d > self.input.as_of {
                break;
            }
            let Some(cands) = index.get(&(landing, d)) else {
                continue;
            };
            let start = cands.partition_point(|&(s, _)| s < net - tol);
            for &(s, l) in &cands[start..] {
                if s > net + tol {
                    break;
                }
                if !self.line_open(l as usize) {
                    continue;
                }
                let text = self.line_text_upper(l as usize);
                if markers
                    .iter()
                    .any(|m| !m.is_empty() && text.contains(m.as_str()))
                {
                    found = Some(l);
                    break 'dates;
                }
            }
        }
        let Some(l) = found else { return };
        let line = &self.input.lines[l as usize];
        let explanation = format!(
            "Credit {} on {} dated {} names the {} channel and equals the {} {} receipt(s) settling {date} (gross {}, agreed fee {} = {}), arriving after the {window}-day window.",
            display_idr(line.amount),
            landing,
            line.booking_date,
            channel.as_str(),
            members.len(),
            channel.as_str(),
            display_idr(from_sen(gross)),
            rule.fee.describe(),
            display_idr(fee)
        );
        let docs = members.iter().map(|&r| Doc::Receipt(r)).collect();
        self.record(MatchRule::Batch, vec![l], docs, fee, explanation);
    }

    /// Rule 3: lines that name the same STS / SP2D but did not fit alone are joined together.
    fn rule_n_to_one(&mut self, deferred: BTreeMap<Doc, Vec<u32>>) {
        for (doc, lines) in deferred {
            let open: Vec<u32> = lines
                .into_iter()
                .filter(|&l| self.line_open(l as usize))
                .collect();
            if open.is_empty() {
                continue;
            }
            let total: Decimal = open
                .iter()
                .map(|&l| self.input.lines[l as usize].amount)
                .sum();
            let explanation = match doc {
                Doc::Sts(s) => {
                    if self.sts_used[s as usize] {
                        continue;
                    }
                    let sts = &self.input.documents.sts[s as usize];
                    format!(
                        "{} credit line(s) totalling {} name STS {} of {} ({}).",
                        open.len(),
                        display_idr(total),
                        sts.number,
                        sts.opd,
                        display_idr(sts.total)
                    )
                }
                Doc::Sp2d(s) => {
                    let sp2d = &self.input.documents.sp2d[s as usize];
                    format!(
                        "{} debit line(s) totalling {} name SP2D {} (gross {}, net {}, deductions {}).",
                        open.len(),
                        display_idr(total),
                        sp2d.number,
                        display_idr(sp2d.gross),
                        display_idr(sp2d.net),
                        display_idr(sp2d.gross - sp2d.net)
                    )
                }
                Doc::Receipt(_) => continue,
            };
            self.record(
                MatchRule::NToOne,
                open,
                vec![doc],
                Decimal::ZERO,
                explanation,
            );
        }
    }

    /// Rule 4a: a holding / receiving account debit and the RKUD credit of the same amount
    /// within the sweep lag (+1 bank day).
    fn rule_sweep(&mut self) {
        if !self.cfg.has_register() {
            return;
        }
        let lines = &self.input.lines;
        let mut rkud_credits: FxHashMap<i64, DatedSet> = FxHashMap::default();
        for i in 0..self.n_lines {
            let l = &lines[i];
            if self.line_open(i)
                && l.direction == Direction::Credit
                && !l.reversal
                && self.cfg.role(&l.account) == Some(AccountRole::Rkud)
            {
                rkud_credits
                    .entry(self.line_sen[i])
                    .or_default()
                    .insert((l.booking_date, i as u32));
            }
        }
        if rkud_credits.is_empty() {
            return;
        }
        for i in 0..self.n_lines {
            let l = &lines[i];
            if !self.line_open(i) || l.direction != Direction::Debit || l.reversal {
                continue;
            }
            let Some(rule) = self.cfg.account(&l.account) else {
                continue;
            };
            if !matches!(rule.role, AccountRole::Holding | AccountRole::OpdReceiving) {
                continue;
            }
            let last = self
                .cal
                .add_bank_days(l.booking_date, rule.sweep_lag_days + 1);
            let Some(set) = rkud_credits.get_mut(&self.line_sen[i]) else {
                continue;
            };
            let mut chosen = None;
            for &(d, c) in set.range((l.booking_date, 0)..=(last, u32::MAX)) {
                let credit = &lines[c as usize];
                let allowed = match &rule.sweep_to {
                    Some(to) => ConfigIndex::same_account(&credit.account, to),
                    None => true,
                };
                if allowed
                    && !ConfigIndex::same_account(&credit.account, &l.account)
                    && self.line_open(c as usize)
                {
                    chosen = Some((d, c));
                    break;
                }
            }
            let Some((d, c)) = chosen else { continue };
            set.remove(&(d, c));
            let credit = &lines[c as usize];
            let explanation = format!(
                "Sweep (pelimpahan): debit {} on {} account {} dated {} and credit of the same amount on RKUD {} dated {}.",
                display_idr(l.amount),
                match rule.role {
                    AccountRole::Holding => "holding",
                    _ => "receiving",
                },
                l.account,
                l.booking_date,
                credit.account,
                credit.booking_date
            );
            self.record(
                MatchRule::Sweep,
                vec![i as u32, c],
                Vec::new(),
                Decimal::ZERO,
                explanation,
            );
        }
    }

    /// Rule 4b: same amount on the expected account within the date window.
    fn rule_amount_date(&mut self) {
        let lines = &self.input.lines;
        let docs = &self.input.documents;
        let window = days(self.cfg.cfg.date_window_days);
        // Open credits and debits per (account, amount).
        let mut credits: FxHashMap<(&str, i64), DatedSet> = FxHashMap::default();
        let mut debits: FxHashMap<(&str, i64), DatedSet> = FxHashMap::default();
        for i in 0..self.n_lines {
            let l = &lines[i];
            if !self.line_open(i) || l.reversal {
                continue;
            }
            let map = match l.direction {
                Direction::Credit => &mut credits,
                Direction::Debit => &mut debits,
            };
            map.entry((l.account.as_str(), self.line_sen[i]))
                .or_default()
                .insert((l.booking_date, i as u32));
        }
        // STS → credit.
        let mut sts_order: Vec<usize> = (0..self.n_sts).filter(|&s| !self.sts_used[s]).collect();
        sts_order.sort_by(|&a, &b| {
            (docs.sts[a].date, &docs.sts[a].number).cmp(&(docs.sts[b].date, &docs.sts[b].number))
        });
        for s in sts_order {
            let sts = &docs.sts[s];
            let Some(sen) = to_sen(sts.total) else {
                continue;
            };
            let Some(set) = credits.get_mut(&(sts.account.as_str(), sen)) else {
                continue;
            };
            let Some((d, l)) = take_nearest(
                set,
                sts.date,
                sts.date - Duration::days(1),
                sts.date + window,
                |l| !self.line_used[l as usize],
            ) else {
                continue;
            };
            let explanation = format!(
                "Credit {} on {} dated {} has the amount of STS {} of {} dated {} and no other STS of that amount is open in the window.",
                display_idr(sts.total),
                sts.account,
                d,
                sts.number,
                sts.opd,
                sts.date
            );
            self.record(
                MatchRule::AmountDate,
                vec![l],
                vec![Doc::Sts(s as u32)],
                Decimal::ZERO,
                explanation,
            );
        }
        // SP2D → debit (gross, else net), with the payee account when both sides give it.
        let mut sp2d_order: Vec<usize> = (0..self.n_sp2d)
            .filter(|&s| self.sp2d_links[s].is_empty())
            .collect();
        sp2d_order.sort_by(|&a, &b| {
            (docs.sp2d[a].date, &docs.sp2d[a].number)
                .cmp(&(docs.sp2d[b].date, &docs.sp2d[b].number))
        });
        for s in sp2d_order {
            let sp2d = &docs.sp2d[s];
            let payee = sp2d.beneficiary_account.as_deref().map(normalize_ref);
            for amount in [sp2d.gross, sp2d.net] {
                let Some(sen) = to_sen(amount) else { continue };
                let Some(set) = debits.get_mut(&(sp2d.account.as_str(), sen)) else {
                    continue;
                };
                let taken = take_nearest(set, sp2d.date, sp2d.date, sp2d.date + window, |l| {
                    let line = &lines[l as usize];
                    let payee_ok = match (&payee, &line.counterparty) {
                        (Some(p), Some(c)) => *p == crate::refs::normalize_ref(c),
                        _ => true,
                    };
                    !self.line_used[l as usize] && payee_ok
                });
                if let Some((d, l)) = taken {
                    let explanation = format!(
                        "Debit {} on {} dated {} equals the {} of SP2D {} dated {} to {}.",
                        display_idr(amount),
                        sp2d.account,
                        d,
                        if amount == sp2d.gross { "gross" } else { "net" },
                        sp2d.number,
                        sp2d.date,
                        sp2d.beneficiary_name
                    );
                    self.record(
                        MatchRule::AmountDate,
                        vec![l],
                        vec![Doc::Sp2d(s as u32)],
                        Decimal::ZERO,
                        explanation,
                    );
                    break;
                }
            }
        }
        // SP2D already partly matched: the legs still missing (net or a PFK deduction) by amount.
        for s in 0..self.n_sp2d {
            if self.sp2d_links[s].is_empty() {
                continue;
            }
            let sp2d = &docs.sp2d[s];
            let mut expected: Vec<Decimal> = std::iter::once(sp2d.net)
                .chain(sp2d.deductions.iter().map(|d| d.amount))
                .filter(|a| *a > Decimal::ZERO)
                .collect();
            let mut matched_total = Decimal::ZERO;
            for &k in &self.sp2d_links[s] {
                for &l in &self.links[k as usize].lines {
                    let amount = lines[l as usize].amount;
                    matched_total += amount;
                    if let Some(pos) = expected.iter().position(|a| *a == amount) {
                        expected.remove(pos);
                    }
                }
            }
            if matched_total >= sp2d.gross {
                continue;
            }
            for amount in expected {
                let Some(sen) = to_sen(amount) else { continue };
                let Some(set) = debits.get_mut(&(sp2d.account.as_str(), sen)) else {
                    continue;
                };
                let Some((d, l)) =
                    take_nearest(set, sp2d.date, sp2d.date, sp2d.date + window, |l| {
                        !self.line_used[l as usize]
                    })
                else {
                    continue;
                };
                let explanation = format!(
                    "Debit {} on {} dated {} equals a missing leg (net or PFK deduction) of SP2D {} dated {}, whose other leg(s) are already matched.",
                    display_idr(amount),
                    sp2d.account,
                    d,
                    sp2d.number,
                    sp2d.date
                );
                self.record(
                    MatchRule::AmountDate,
                    vec![l],
                    vec![Doc::Sp2d(s as u32)],
                    Decimal::ZERO,
                    explanation,
                );
            }
        }
        // Credit → single receipt of that net amount, nearest settlement date.
        let mut receipts: FxHashMap<(&str, i64), DatedSet> = FxHashMap::default();
        for r in 0..self.n_receipts {
            if !self.receipt_open(r)
                || docs.receipts[r].1.status != ReceiptStatus::Paid
                || self.rec_sen[r] < 0
            {
                continue;
            }
            let Some(landing) = self.rec_landing[r] else {
                continue;
            };
            let net = self.rec_sen[r] - to_sen(self.rec_fee[r]).unwrap_or(0);
            receipts
                .entry((landing, net))
                .or_default()
                .insert((self.rec_group_date[r], r as u32));
        }
        if receipts.is_empty() {
            return;
        }
        for i in 0..self.n_lines {
            let l = &lines[i];
            if !self.line_open(i) || l.direction != Direction::Credit || l.reversal {
                continue;
            }
            let Some(set) = receipts.get_mut(&(l.account.as_str(), self.line_sen[i])) else {
                continue;
            };
            let b = l.booking_date;
            let Some((_, r)) = take_nearest(set, b, b - window, b + Duration::days(1), |r| {
                !self.rec_used[r as usize]
            }) else {
                continue;
            };
            let receipt = &docs.receipts[r as usize].1;
            let explanation = format!(
                "Credit {} on {} dated {} has the amount of {} receipt NTPD {} paid {} (expected settlement {}); no reference was found in the narrative.",
                display_idr(l.amount),
                l.account,
                b,
                receipt.channel.as_str(),
                receipt.ntpd(),
                self.rec_paid_on[r as usize],
                self.rec_group_date[r as usize]
            );
            let fee = self.rec_fee[r as usize];
            self.record(
                MatchRule::AmountDate,
                vec![i as u32],
                vec![Doc::Receipt(r)],
                fee,
                explanation,
            );
        }
    }

    fn subset_budget_left(&self) -> u64 {
        self.cfg
            .cfg
            .subset
            .max_steps_total
            .saturating_sub(self.subset_steps)
    }

    fn subset_search(
        &mut self,
        amounts: &[i64],
        target: i64,
        min_size: usize,
        max_size: usize,
    ) -> Option<Vec<usize>> {
        let limits = &self.cfg.cfg.subset;
        let cap = limits.max_steps_per_search.min(self.subset_budget_left());
        if cap == 0 {
            self.subset_exhausted = true;
            return None;
        }
        let (result, steps) = unique_subset(amounts, target, min_size, max_size, cap);
        self.subset_steps += steps;
        match result {
            SubsetResult::Found(v) => Some(v),
            SubsetResult::Exhausted => {
                if self.subset_budget_left() == 0 {
                    self.subset_exhausted = true;
                }
                None
            }
            _ => None,
        }
    }

    /// Rule 5: bounded subset sums. (a) one credit = several receipts or several STS of its
    /// account in the window; (b) two or three credits of one account and day = several
    /// documents; (c) one SP2D = several debits of its account in the window.
    fn rule_subset_sum(&mut self) {
        let limits = self.cfg.cfg.subset.clone();
        if limits.max_set_size == 0 || limits.max_candidates == 0 {
            return;
        }
        let lines = &self.input.lines;
        let docs = &self.input.documents;
        let window = days(self.cfg.cfg.date_window_days);
        // Open documents per (account, date): receipts by settlement date, STS by date.
        let mut open_docs: FxHashMap<(&str, NaiveDate), Vec<Doc>> = FxHashMap::default();
        for r in 0..self.n_receipts {
            if self.receipt_open(r)
                && docs.receipts[r].1.status == ReceiptStatus::Paid
                && self.rec_sen[r] > 0
            {
                if let Some(landing) = self.rec_landing[r] {
                    open_docs
                        .entry((landing, self.rec_group_date[r]))
                        .or_default()
                        .push(Doc::Receipt(r as u32));
                }
            }
        }
        for s in 0..self.n_sts {
            if !self.sts_used[s] {
                open_docs
                    .entry((docs.sts[s].account.as_str(), docs.sts[s].date))
                    .or_default()
                    .push(Doc::Sts(s as u32));
            }
        }
        let mut open_credits: Vec<u32> = Vec::new();
        if !open_docs.is_empty() {
            for i in 0..self.n_lines {
                let l = &lines[i];
                if self.line_open(i)
                    && l.direction == Direction::Credit
                    && !l.reversal
                    && self.line_sen[i] > 0
                {
                    open_credits.push(i as u32);
                }
            }
        }
        // (a) one credit, several documents of one kind.
        for &i in &open_credits {
            if self.subset_exhausted {
                break;
            }
            if !self.line_open(i as usize) {
                continue;
            }
            self.subset_for_lines(&[i], &open_docs, window);
        }
        // (b) several credits of one account and day.
        if limits.max_lines_per_group >= 2 && !self.subset_exhausted {
            let mut clusters: BTreeMap<(&str, NaiveDate), Vec<u32>> = BTreeMap::new();
            for &i in &open_credits {
                if self.line_open(i as usize) {
                    let l = &lines[i as usize];
                    clusters
                        .entry((l.account.as_str(), l.booking_date))
                        .or_default()
                        .push(i);
                }
            }
            for (_, members) in clusters {
                let members: Vec<u32> = members.into_iter().take(8).collect();
                if members.len() < 2 {
                    continue;
                }
                for combo in combinations(
                    members.len(),
                    2,
                    limits.max_lines_per_group.min(members.len()),
                ) {
                    if self.subset_exhausted {
                        return;
                    }
                    let group: Vec<u32> = combo.iter().map(|&k| members[k]).collect();
                    if group.iter().any(|&l| !self.line_open(l as usize)) {
                        continue;
                    }
                    self.subset_for_lines(&group, &open_docs, window);
                }
            }
        }
        // (c) one SP2D, several debits.
        let mut debits: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
        for i in 0..self.n_lines {
            let l = &lines[i];
            if self.line_open(i)
                && l.direction == Direction::Debit
                && !l.reversal
                && self.line_sen[i] > 0
            {
                debits.entry(l.account.as_str()).or_default().push(i as u32);
            }
        }
        for v in debits.values_mut() {
            v.sort_by_key(|&i| (lines[i as usize].booking_date, i));
        }
        for s in 0..self.n_sp2d {
            if self.subset_exhausted {
                break;
            }
            if !self.sp2d_links[s].is_empty() {
                continue;
            }
            let sp2d = &docs.sp2d[s];
            let Some(target) = to_sen(sp2d.gross) else {
                continue;
            };
            let Some(pool) = debits.get(sp2d.account.as_str()) else {
                continue;
            };
            let start = pool.partition_point(|&i| lines[i as usize].booking_date < sp2d.date);
            let cands: Vec<u32> = pool[start..]
                .iter()
                .copied()
                .take_while(|&i| lines[i as usize].booking_date <= sp2d.date + window)
                .filter(|&i| self.line_open(i as usize) && self.line_sen[i as usize] <= target)
                .take(limits.max_candidates)
                .collect();
            if cands.len() < 2 {
                continue;
            }
            let amounts: Vec<i64> = cands.iter().map(|&i| self.line_sen[i as usize]).collect();
            if let Some(pick) = self.subset_search(&amounts, target, 2, limits.max_set_size) {
                let chosen: Vec<u32> = pick.iter().filter_map(|&k| cands.get(k).copied()).collect();
                let explanation = format!(
                    "{} debit lines on {} between {} and {} add up exactly to the gross {} of SP2D {} to {}; no other combination of open debits does.",
                    chosen.len(),
                    sp2d.account,
                    sp2d.date,
                    sp2d.date + window,
                    display_idr(sp2d.gross),
                    sp2d.number,
                    sp2d.beneficiary_name
                );
                self.record(
                    MatchRule::SubsetSum,
                    chosen,
                    vec![Doc::Sp2d(s as u32)],
                    Decimal::ZERO,
                    explanation,
                );
            }
        }
    }

    fn subset_for_lines(
        &mut self,
        group: &[u32],
        open_docs: &FxHashMap<(&str, NaiveDate), Vec<Doc>>,
        window: Duration,
    ) {
        let lines = &self.input.lines;
        let Some(first) = group.first() else { return };
        let l0 = &lines[*first as usize];
        let target: i64 = group.iter().map(|&l| self.line_sen[l as usize]).sum();
        let limits = self.cfg.cfg.subset.clone();
        for kind in [0u8, 1u8] {
            let mut cands: Vec<(i64, Doc, i64)> = Vec::new();
            let mut scanned = 0usize;
            let mut d = l0.booking_date;
            let earliest = l0.booking_date - window;
            while d >= earliest && scanned < MAX_SUBSET_SCAN {
                if let Some(list) = open_docs.get(&(l0.account.as_str(), d)) {
                    for &doc in list {
                        scanned += 1;
                        if scanned > MAX_SUBSET_SCAN {
                            break;
                        }
                        let (open, sen) = match doc {
                            Doc::Receipt(r) if kind == 0 => {
                                (self.receipt_open(r as usize), self.rec_sen[r as usize])
                            }
                            Doc::Sts(s) if kind == 1 => (
                                !self.sts_used[s as usize],
                                to_sen(self.input.documents.sts[s as usize].total).unwrap_or(-1),
                            ),
                            _ => continue,
                        };
                        if open && sen > 0 && sen <= target {
                            cands.push(((l0.booking_date - d).num_days(), doc, sen));
                        }
                    }
                }
                d -= Duration::days(1);
            }
            cands.sort_unstable_by_key(|&(dist, doc, _)| (dist, doc));
            cands.truncate(limits.max_candidates);
            if cands.len() < 2 {
                continue;
            }
            let amounts: Vec<i64> = cands.iter().map(|&(_, _, s)| s).collect();
            let Some(pick) = self.subset_search(&amounts, target, 2, limits.max_set_size) else {
                continue;
            };
            let chosen: Vec<Doc> = pick
                .iter()
                .filter_map(|&k| cands.get(k).map(|c| c.1))
                .collect();
            let names: Vec<String> = chosen.iter().map(|&d| self.doc_id(d)).collect();
            let explanation = format!(
                "{} credit line(s) on {} dated {} totalling {} equal exactly the {} {} open in the {}-day window ({}); no other combination of open documents does.",
                group.len(),
                l0.account,
                l0.booking_date,
                display_idr(from_sen(target)),
                chosen.len(),
                if kind == 0 { "receipts" } else { "STS" },
                self.cfg.cfg.date_window_days,
                names.join(", ")
            );
            self.record(
                MatchRule::SubsetSum,
                group.to_vec(),
                chosen,
                Decimal::ZERO,
                explanation,
            );
            return;
        }
    }
}

/// Removes and returns the entry nearest to `pivot` within `[lo, hi]` that passes `ok`
/// (ties go to the earlier date). Entries failing `ok` are dropped from the set on the way,
/// because they are consumed facts that will never become open again.
fn take_nearest(
    set: &mut BTreeSet<(NaiveDate, u32)>,
    pivot: NaiveDate,
    lo: NaiveDate,
    hi: NaiveDate,
    ok: impl Fn(u32) -> bool,
) -> Option<(NaiveDate, u32)> {
    let mut stale: Vec<(NaiveDate, u32)> = Vec::new();
    let after = set
        .range((pivot, 0)..=(hi, u32::MAX))
        .find(|&&(_, i)| ok(i))
        .copied();
    let before = set
        .range((lo, 0)..(pivot, 0))
        .rev()
        .find(|&&(_, i)| ok(i))
        .copied();
    for &(d, i) in set.range((lo, 0)..=(hi, u32::MAX)) {
        if !ok(i) {
            stale.push((d, i));
        }
        if stale.len() > 64 {
            break;
        }
    }
    for s in stale {
        set.remove(&s);
    }
    let chosen = match (before, after) {
        (Some(b), Some(a)) => {
            if (pivot - b.0) < (a.0 - pivot) {
                Some(b)
            } else if (pivot - b.0) == (a.0 - pivot) {
                Some(b.min(a))
            } else {
                Some(a)
            }
        }
        (b, a) => a.or(b),
    };
    if let Some(c) = chosen {
        set.remove(&c);
    }
    chosen
}

/// Index combinations of sizes `min..=max` out of `n` (n ≤ 8 here), in lexicographic order.
fn combinations(n: usize, min: usize, max: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for mask in 1u32..(1u32 << n.min(16)) {
        let size = mask.count_ones() as usize;
        if size >= min && size <= max {
            out.push((0..n).filter(|&i| mask & (1 << i) != 0).collect());
        }
    }
    out.sort();
    out
}

/// Revenue lines of a document; a document without a usable breakdown books its total under
/// its tax type (or `-`), so the ledger still balances and the gap is visible.
pub(crate) fn revenue_of(
    lines: &[RevenueLine],
    total: Decimal,
    fallback: Option<&str>,
) -> Vec<RevenueLine> {
    let sum: Decimal = lines.iter().map(|l| l.amount).sum();
    if !lines.is_empty() && sum == total && lines.iter().all(|l| l.amount >= Decimal::ZERO) {
        return lines
            .iter()
            .filter(|l| !l.amount.is_zero())
            .cloned()
            .collect();
    }
    let kode = lines
        .first()
        .map(|l| l.kode_rekening.clone())
        .or_else(|| fallback.map(str::to_string))
        .unwrap_or_else(|| "-".to_string());
    vec![RevenueLine {
        kode_rekening: kode,
        amount: total,
    }]
}

fn to_revenue(map: BTreeMap<String, Decimal>) -> Vec<RevenueLine> {
    // Sized up front: a filtered iterator would start at four lines, and nearly every match
    // keeps one.
    let mut out = Vec::with_capacity(map.values().filter(|a| !a.is_zero()).count());
    out.extend(
        map.into_iter()
            .filter(|(_, a)| !a.is_zero())
            .map(|(kode_rekening, amount)| RevenueLine {
                kode_rekening,
                amount,
            }),
    );
    out
}

/// `kasda_core::posting::match_key(rule, lines ++ docs)` without copying the ids into one
/// vector of owned strings first; keys over the length limit (hashed) and unusual rule names
/// go through the core function itself, so the key is always exactly the core's.
pub(crate) fn match_key_of(rule: &str, line_ids: &[String], document_ids: &[String]) -> String {
    let mut sorted: Vec<&str> = line_ids
        .iter()
        .chain(document_ids.iter())
        .map(String::as_str)
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    let joined_len: usize =
        sorted.iter().map(|s| s.len()).sum::<usize>() + sorted.len().saturating_sub(1);
    let len = "match:".len() + rule.len() + 1 + joined_len;
    if len > kasda_core::ledger::MAX_ENTRY_TEXT || rule.len() > 100 || rule.trim() != rule {
        let ids: Vec<String> = sorted.iter().map(|s| s.to_string()).collect();
        return kasda_core::posting::match_key(rule, &ids);
    }
    let mut key = String::with_capacity(len);
    key.push_str("match:");
    key.push_str(rule);
    key.push(':');
    for (i, id) in sorted.iter().enumerate() {
        if i > 0 {
            key.push('+');
        }
        key.push_str(id);
    }
    key
}

/// The transfer rules' words in upper case, checked against a line's upper-cased texts (the
/// counterparty only when every narrative word is there, so most lines cost one scan).
struct TransferWords(Vec<(Vec<String>, Vec<String>)>);

impl TransferWords {
    fn new(rules: &[crate::config::TransferRule]) -> Self {
        let upper = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|w| w.trim().to_uppercase())
                .filter(|w| !w.is_empty())
                .collect()
        };
        TransferWords(
            rules
                .iter()
                .map(|t| (upper(&t.narrative), upper(&t.counterparty)))
                .collect(),
        )
    }

    /// Index of the first rule recognising `line`, whose upper-cased texts are `text`.
    fn rule_for(&self, line: &crate::input::Line, text: &str) -> Option<usize> {
        self.0.iter().position(|(words, parties)| {
            !words.is_empty()
                && words.iter().all(|w| text.contains(w.as_str()))
                && (parties.is_empty() || {
                    let party = format!(
                        "{} {}",
                        line.counterparty_name.as_deref().unwrap_or(""),
                        line.counterparty.as_deref().unwrap_or("")
                    )
                    .to_uppercase();
                    parties
                        .iter()
                        .any(|p| party.contains(p.as_str()) || text.contains(p.as_str()))
                })
        })
    }
}

/// Appends `t` upper-cased; ASCII text (nearly every bank narrative) without a per-char walk.
fn push_upper(s: &mut String, t: &str) {
    if t.is_ascii() {
        let start = s.len();
        s.push_str(t);
        s[start..].make_ascii_uppercase();
    } else {
        s.extend(t.chars().flat_map(char::to_uppercase));
    }
}

/// The bank-reference part of a line's duplicate key (trimmed), and whether the key is its texts
/// instead (no bank reference: a copy must then come from another statement). `None` for a line
/// with neither, which is never called a duplicate.
fn dup_key_ref(l: &crate::input::Line) -> Option<(&str, bool)> {
    match l.bank_ref.as_deref().map(str::trim) {
        Some(r) if !r.is_empty() => Some((r, false)),
        _ => (!l.texts.is_empty()).then_some(("", true)),
    }
}

/// The texts part of a line's duplicate key: its texts joined by U+001F when it has no bank
/// reference, else empty.
fn join_texts(l: &crate::input::Line, by_texts: bool, out: &mut String) {
    out.clear();
    if by_texts {
        for (k, t) in l.texts.iter().enumerate() {
            if k > 0 {
                out.push('\u{1f}');
            }
            out.push_str(t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SharedStr;

    /// The tuple-keyed duplicate search `mark_duplicate_lines` replaced, kept as the oracle.
    fn duplicates_by_tuple_keys(lines: &[crate::input::Line]) -> Vec<Option<u32>> {
        let mut seen: HashMap<(&str, Direction, i64, NaiveDate, &str, String), u32> =
            HashMap::new();
        let mut out = vec![None; lines.len()];
        for (i, l) in lines.iter().enumerate() {
            let Some(sen) = to_sen(l.amount) else {
                continue;
            };
            if l.status != EntryStatus::Booked {
                continue;
            }
            let (bank_ref, texts, needs_other_statement) =
                match l.bank_ref.as_deref().map(str::trim) {
                    Some(r) if !r.is_empty() => (r, String::new(), false),
                    _ => {
                        if l.texts.is_empty() {
                            continue;
                        }
                        ("", l.texts.join("\u{1f}"), true)
                    }
                };
            let key = (
                l.account.as_str(),
                l.direction,
                sen,
                l.booking_date,
                bank_ref,
                texts,
            );
            match seen.get(&key) {
                Some(&first) => {
                    if !needs_other_statement
                        || lines[first as usize].statement_id != l.statement_id
                    {
                        out[i] = Some(first);
                    }
                }
                None => {
                    seen.insert(key, i as u32);
                }
            }
        }
        out
    }

    #[test]
    fn hashed_duplicate_search_finds_what_tuple_keys_find() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let refs = [
            None,
            Some(""),
            Some("  "),
            Some("BR1"),
            Some(" BR1 "),
            Some("BR2"),
        ];
        let texts: [&[&str]; 5] = [&[], &["A"], &["A", "B"], &["A\u{1f}B"], &["B"]];
        let cfg = crate::ReconConfig::default();
        let cal = crate::WeekdayCalendar::new(Vec::new());
        let mut x: u64 = 11;
        for case in 0..200 {
            let mut inp = ReconInput::new(day(31));
            for i in 0..(case % 40) + 2 {
                let mut pick = |n: usize| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1442695040888963407);
                    (x >> 33) as usize % n
                };
                let amount = match pick(8) {
                    0 => Decimal::new(-5, 0),
                    1 => Decimal::new(1_001, 3),
                    k => Decimal::from(1_000 * (k as i64 % 3)),
                };
                inp.lines.push(crate::input::Line {
                    id: format!("l{i}"),
                    account: ["A1", "A2"][pick(2)].into(),
                    booking_date: day(1 + pick(2) as u32),
                    value_date: day(1),
                    amount,
                    direction: [Direction::Credit, Direction::Debit][pick(2)],
                    reversal: false,
                    status: [
                        EntryStatus::Booked,
                        EntryStatus::Booked,
                        EntryStatus::Pending,
                    ][pick(3)],
                    texts: texts[pick(texts.len())]
                        .iter()
                        .map(|t| t.to_string())
                        .collect(),
                    counterparty: None,
                    counterparty_name: None,
                    bank_ref: refs[pick(refs.len())].map(Into::into),
                    statement_id: [None, Some("s1"), Some("s2")][pick(3)].map(SharedStr::from),
                    seq: i as u32,
                });
            }
            let engine = Engine::new(&inp, ConfigIndex::new(&cfg), &cal);
            assert_eq!(
                engine.duplicate_of,
                duplicates_by_tuple_keys(&inp.lines),
                "{:#?}",
                inp.lines
            );
        }
    }

    #[test]
    fn match_keys_are_the_core_keys() {
        let ids = |prefix: &str, n: usize, len: usize| -> Vec<String> {
            (0..n)
                .map(|i| format!("{prefix}{}", "9".repeat(len)) + &i.to_string())
                .collect()
        };
        let cases: Vec<(Vec<String>, Vec<String>)> = vec![
            (ids("line:", 1, 3), ids("receipt:", 1, 3)),
            (ids("line:", 2, 3), Vec::new()),
            (Vec::new(), Vec::new()),
            // The same id as line and document is joined once.
            (vec!["x".into(), "a".into()], vec!["a".into()]),
            // Long enough to be hashed by the core.
            (ids("line:", 40, 30), ids("receipt:", 40, 30)),
            // Exactly at the limit and one over it.
            (vec!["l".repeat(1000 - "match:batch:".len())], Vec::new()),
            (vec!["l".repeat(1001 - "match:batch:".len())], Vec::new()),
        ];
        for rule in ["batch", "sweep.recon", " padded ", &"r".repeat(120)] {
            for (lines, docs) in &cases {
                let all: Vec<String> = lines.iter().chain(docs).cloned().collect();
                assert_eq!(
                    match_key_of(rule, lines, docs),
                    kasda_core::posting::match_key(rule, &all),
                    "{rule} {lines:?} {docs:?}"
                );
            }
        }
    }
}
