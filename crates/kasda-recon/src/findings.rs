//! Leakage detectors (DOMAIN.md §4), one per finding type, over the facts and the matches.
//!
//! Finding ids are `F` + the first 20 hex digits of sha256(type ‖ sorted refs), so a finding
//! keeps its id when the run is repeated or extended. `age_working_days` counts pemda working
//! days from `due` (or `first_seen` when there is no due date) to `as_of`, except for the
//! lateness types (`late_settlement`, `late_deposit`) where it is how many days late the money
//! arrived.
//!
//! Base severities (raised to `critical` when the amount reaches `critical_amount` and the
//! base is `medium` or `high`):
//!
//! | type | base |
//! |---|---|
//! | `unremitted_receipt` | high |
//! | `short_remittance` | high |
//! | `late_settlement` | low (medium beyond 5 bank days) |
//! | `late_deposit` | medium |
//! | `unidentified_deposit` | medium |
//! | `duplicate_receipt` | medium |
//! | `duplicate_statement_line` | low |
//! | `reversal_without_refund` | high |
//! | `unswept_holding_balance` | medium |
//! | `deposit_to_non_rkud_account` | high |
//! | `debit_without_sp2d` | high |
//! | `sp2d_amount_mismatch` | high |
//! | `fee_over_agreement` | medium |
//! | `statement_gap` | high |
//! | `balance_discontinuity` | high |
//! | `bku_bank_difference` | medium |

// Facts live in parallel vectors (amount in sen, used flag, link, …) indexed by position,
// so loops run over indices on purpose.
#![allow(clippy::needless_range_loop)]

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use kasda_core::document::{BkuOwner, ReceiptStatus};
use kasda_core::money::Direction;

use crate::idr::display_idr;
use kasda_core::statement::EntryStatus;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use std::hash::Hasher;

use crate::config::AccountRole;
use crate::fxhash::{FxHashMap, FxHasher};
use crate::input::StatementHeader;
use crate::matching::{Doc, Engine, Link, MatchRule};
use crate::refs::normalize_ref;

/// Receipts a bank reversal line takes back, and the credit line it reverses when known.
pub(crate) type ReversalTarget = (Vec<u32>, Option<u32>);
/// A matched credit line: date, line position, link position.
type DatedLink = (NaiveDate, u32, usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingType {
    UnremittedReceipt,
    ShortRemittance,
    LateSettlement,
    LateDeposit,
    UnidentifiedDeposit,
    DuplicateReceipt,
    DuplicateStatementLine,
    ReversalWithoutRefund,
    UnsweptHoldingBalance,
    DepositToNonRkudAccount,
    DebitWithoutSp2d,
    Sp2dAmountMismatch,
    FeeOverAgreement,
    StatementGap,
    BalanceDiscontinuity,
    BkuBankDifference,
}

impl FindingType {
    pub const ALL: [FindingType; 16] = [
        FindingType::UnremittedReceipt,
        FindingType::ShortRemittance,
        FindingType::LateSettlement,
        FindingType::LateDeposit,
        FindingType::UnidentifiedDeposit,
        FindingType::DuplicateReceipt,
        FindingType::DuplicateStatementLine,
        FindingType::ReversalWithoutRefund,
        FindingType::UnsweptHoldingBalance,
        FindingType::DepositToNonRkudAccount,
        FindingType::DebitWithoutSp2d,
        FindingType::Sp2dAmountMismatch,
        FindingType::FeeOverAgreement,
        FindingType::StatementGap,
        FindingType::BalanceDiscontinuity,
        FindingType::BkuBankDifference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingType::UnremittedReceipt => "unremitted_receipt",
            FindingType::ShortRemittance => "short_remittance",
            FindingType::LateSettlement => "late_settlement",
            FindingType::LateDeposit => "late_deposit",
            FindingType::UnidentifiedDeposit => "unidentified_deposit",
            FindingType::DuplicateReceipt => "duplicate_receipt",
            FindingType::DuplicateStatementLine => "duplicate_statement_line",
            FindingType::ReversalWithoutRefund => "reversal_without_refund",
            FindingType::UnsweptHoldingBalance => "unswept_holding_balance",
            FindingType::DepositToNonRkudAccount => "deposit_to_non_rkud_account",
            FindingType::DebitWithoutSp2d => "debit_without_sp2d",
            FindingType::Sp2dAmountMismatch => "sp2d_amount_mismatch",
            FindingType::FeeOverAgreement => "fee_over_agreement",
            FindingType::StatementGap => "statement_gap",
            FindingType::BalanceDiscontinuity => "balance_discontinuity",
            FindingType::BkuBankDifference => "bku_bank_difference",
        }
    }

    pub fn parse(s: &str) -> Option<FindingType> {
        FindingType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Severity before the amount-based escalation.
    pub fn base_severity(self) -> Severity {
        match self {
            FindingType::UnremittedReceipt
            | FindingType::ShortRemittance
            | FindingType::ReversalWithoutRefund
            | FindingType::DepositToNonRkudAccount
            | FindingType::DebitWithoutSp2d
            | FindingType::Sp2dAmountMismatch
            | FindingType::StatementGap
            | FindingType::BalanceDiscontinuity => Severity::High,
            FindingType::LateDeposit
            | FindingType::UnidentifiedDeposit
            | FindingType::DuplicateReceipt
            | FindingType::UnsweptHoldingBalance
            | FindingType::FeeOverAgreement
            | FindingType::BkuBankDifference => Severity::Medium,
            FindingType::LateSettlement | FindingType::DuplicateStatementLine => Severity::Low,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// One leakage signal. The JSON field names are fixed: `id`, `type`, `severity`, `amount`,
/// `account`, `first_seen`, `due`, `age_working_days`, `refs`, `explanation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    #[serde(rename = "type")]
    pub finding_type: FindingType,
    pub severity: Severity,
    pub amount: Decimal,
    pub account: Option<String>,
    pub first_seen: NaiveDate,
    pub due: Option<NaiveDate>,
    pub age_working_days: i64,
    pub refs: Vec<String>,
    pub explanation: String,
}

/// Stable id of a finding: type and sorted refs.
pub fn finding_id(finding_type: FindingType, refs: &[String]) -> String {
    let mut sorted: Vec<&str> = refs.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut h = Sha256::new();
    h.update(finding_type.as_str().as_bytes());
    for r in sorted {
        h.update([0u8]);
        h.update(r.as_bytes());
    }
    let hex = hex::encode(h.finalize());
    format!("F{}", &hex[..20])
}

/// Draft of a finding before id, severity and age are filled in.
struct Draft {
    ty: FindingType,
    amount: Decimal,
    account: Option<String>,
    first_seen: NaiveDate,
    due: Option<NaiveDate>,
    /// Lateness for the `late_*` types; `None` = age up to `as_of`.
    age: Option<i64>,
    refs: Vec<String>,
    explanation: String,
    severity: Option<Severity>,
}

impl Draft {
    fn new(ty: FindingType, amount: Decimal, first_seen: NaiveDate, explanation: String) -> Self {
        Draft {
            ty,
            amount,
            account: None,
            first_seen,
            due: None,
            age: None,
            refs: Vec::new(),
            explanation,
            severity: None,
        }
    }
    fn account(mut self, a: &str) -> Self {
        self.account = Some(a.to_string());
        self
    }
    fn due(mut self, d: NaiveDate) -> Self {
        self.due = Some(d);
        self
    }
    fn refs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, refs: I) -> Self {
        self.refs.extend(
            refs.into_iter()
                .map(Into::into)
                .filter(|r: &String| !r.trim().is_empty()),
        );
        self
    }
}

impl Engine<'_> {
    fn finish(&self, d: Draft) -> Finding {
        let mut refs = d.refs;
        refs.sort();
        refs.dedup();
        let age = d.age.unwrap_or_else(|| {
            self.cal
                .working_days_between(d.due.unwrap_or(d.first_seen), self.input.as_of)
                .max(0)
        });
        let base = d.severity.unwrap_or_else(|| d.ty.base_severity());
        let severity = if base >= Severity::Medium && d.amount.abs() >= self.cfg.cfg.critical_amount
        {
            Severity::Critical
        } else {
            base
        };
        Finding {
            id: finding_id(d.ty, &refs),
            finding_type: d.ty,
            severity,
            amount: d.amount,
            account: d.account,
            first_seen: d.first_seen,
            due: d.due,
            age_working_days: age,
            refs,
            explanation: d.explanation,
        }
    }

    fn line_refs(&self, l: u32) -> Vec<String> {
        let line = &self.input.lines[l as usize];
        let mut v = vec![line.id.clone()];
        if let Some(r) = &line.bank_ref {
            v.push(r.to_string());
        }
        v
    }

    fn receipt_refs(&self, r: u32) -> Vec<String> {
        let (id, receipt) = &self.input.documents.receipts[r as usize];
        let mut v = vec![id.clone(), receipt.ntpd().to_string()];
        if let Some(n) = receipt.ntb() {
            v.push(n.to_string());
        }
        v
    }

    /// Runs every detector; findings come out sorted by type, first_seen and id.
    pub fn findings(&self) -> Vec<Finding> {
        let mut drafts: Vec<Draft> = Vec::new();
        let reversal_targets = self.reversal_targets();
        self.detect_unremitted(&mut drafts);
        self.detect_link_amounts(&mut drafts);
        self.detect_late_settlement(&mut drafts);
        self.detect_late_deposit(&mut drafts);
        self.detect_unidentified_and_unexplained(&mut drafts, &reversal_targets);
        self.detect_duplicate_receipts(&mut drafts);
        self.detect_duplicate_lines(&mut drafts);
        self.detect_reversal_without_refund(&mut drafts, &reversal_targets);
        self.detect_unswept(&mut drafts);
        self.detect_non_rkud(&mut drafts);
        self.detect_sp2d_mismatch(&mut drafts);
        self.detect_statement_continuity(&mut drafts);
        self.detect_bku_bank_difference(&mut drafts);
        let mut out: Vec<Finding> = drafts.into_iter().map(|d| self.finish(d)).collect();
        out.sort_by(|a, b| {
            (a.finding_type, a.first_seen, &a.id).cmp(&(b.finding_type, b.first_seen, &b.id))
        });
        out.dedup_by(|a, b| a.id == b.id);
        out
    }

    /// `unremitted_receipt`: a paid receipt with no bank credit after the settlement deadline;
    /// and a bendahara's BKU collection that no STS covers after the deposit deadline.
    fn detect_unremitted(&self, out: &mut Vec<Draft>) {
        let docs = &self.input.documents;
        let as_of = self.input.as_of;
        let settled_twins = self.settled_twins();
        for r in 0..self.n_receipts {
            let receipt = &docs.receipts[r].1;
            if receipt.status != ReceiptStatus::Paid
                || self.rec_link[r].is_some()
                || self.rec_duplicate_row[r]
                || self.rec_reversed_by[r].is_some()
                || self.rec_sen[r] < 0
            {
                continue;
            }
            if let Some(acct) = &self.rec_landing[r] {
                if !self.cfg.is_registered(acct) {
                    continue; // reported as deposit_to_non_rkud_account
                }
            }
            if settled_twins.contains(&(r as u32)) {
                continue; // one payment under two NTPD: reported as duplicate_receipt
            }
            let due = self.rec_due[r];
            let deadline = self
                .cal
                .add_bank_days(due, self.cfg.cfg.unremitted_after_days);
            if as_of <= deadline {
                continue;
            }
            let explanation = format!(
                "Receipt NTPD {} ({}, {}, paid {}) was due in account {} by {} but no bank credit was found up to {}.",
                receipt.ntpd(),
                display_idr(receipt.total),
                receipt.channel.as_str(),
                self.rec_paid_on[r],
                self.rec_landing[r].unwrap_or("(none named)"),
                due,
                as_of
            );
            let mut d = Draft::new(
                FindingType::UnremittedReceipt,
                receipt.total,
                self.rec_paid_on[r],
                explanation,
            )
            .due(due)
            .refs(self.receipt_refs(r as u32));
            d.account = self.rec_landing[r].map(str::to_string);
            out.push(d);
        }
        // Bendahara collections (BKU penerimaan) that no STS covers.
        let mut covered_tbp: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut ranges: HashMap<&str, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
        for s in docs.sts.iter().take(self.n_sts) {
            for t in &s.tbp_numbers {
                covered_tbp.insert(normalize_ref(t));
            }
            if let Some(from) = s.collected_from {
                ranges
                    .entry(s.opd.as_str())
                    .or_default()
                    .push((from, s.collected_to.unwrap_or(from)));
            }
        }
        // (opd) → (first date, deadline of the first, amount, TBP / BKU refs)
        let mut open: BTreeMap<&str, (NaiveDate, NaiveDate, Decimal, Vec<String>)> =
            BTreeMap::new();
        for b in &docs.bku {
            let BkuOwner::BendaharaPenerimaan(opd) = &b.owner else {
                continue;
            };
            if b.direction != Direction::Credit {
                continue;
            }
            if let Some(doc) = &b.document {
                if covered_tbp.contains(&normalize_ref(doc)) {
                    continue;
                }
            }
            let in_range = ranges
                .get(opd.as_str())
                .is_some_and(|v| v.iter().any(|&(f, t)| f <= b.date && b.date <= t));
            if in_range {
                continue;
            }
            let due = self
                .cal
                .add_working_days(b.date, self.cfg.cfg.deposit_deadline_for(opd));
            if as_of <= due {
                continue;
            }
            let e = open
                .entry(opd.as_str())
                .or_insert((b.date, due, Decimal::ZERO, Vec::new()));
            if b.date < e.0 {
                e.0 = b.date;
                e.1 = due;
            }
            e.2 += b.amount;
            if let Some(doc) = b.document.as_ref().filter(|d| !d.trim().is_empty()) {
                e.3.push(doc.clone());
            }
            e.3.push(format!("bku:{opd}:{}", b.number));
        }
        // Collections a bendahara recorded and no STS deposits past the deadline: the money
        // is still with the bendahara (late_deposit, open at the end of the run).
        for (opd, (first, due, amount, refs)) in open {
            let late = self.cal.working_days_between(due, as_of);
            let explanation = format!(
                "Bendahara penerimaan {opd} recorded {} of collections from {first} ({}) that no STS deposits; they were due in the RKUD by {due} and are still not deposited on {as_of} ({late} working day(s) late).",
                display_idr(amount),
                refs.iter().filter(|r| !r.starts_with("bku:")).cloned().collect::<Vec<_>>().join(", "),
            );
            out.push(
                Draft::new(FindingType::LateDeposit, amount, first, explanation)
                    .due(due)
                    .refs(refs.into_iter().chain([opd.to_string()])),
            );
        }
    }

    /// Open paid receipts whose payment (same bank, NTB and amount) is also recorded under
    /// another NTPD that did settle: the money arrived once, for one payment counted twice.
    fn settled_twins(&self) -> std::collections::HashSet<u32> {
        let docs = &self.input.documents;
        let key = |r: usize| -> Option<u64> {
            let receipt = &docs.receipts[r].1;
            let ntb = receipt.ntb().filter(|n| !n.trim().is_empty())?;
            let mut h = FxHasher::default();
            feed_normal(&mut h, ntb);
            feed_normal(&mut h, receipt.bank.as_deref().unwrap_or(""));
            h.write_i64(self.rec_sen[r]);
            Some(h.finish())
        };
        let open = |r: usize| {
            docs.receipts[r].1.status == ReceiptStatus::Paid
                && self.rec_link[r].is_none()
                && !self.rec_duplicate_row[r]
                && self.rec_reversed_by[r].is_none()
        };
        let mut wanted: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for r in 0..self.n_receipts {
            if open(r) {
                if let Some(k) = key(r) {
                    wanted.entry(k).or_default().push(r as u32);
                }
            }
        }
        let mut out = std::collections::HashSet::new();
        if wanted.is_empty() {
            return out;
        }
        for r in 0..self.n_receipts {
            if docs.receipts[r].1.status != ReceiptStatus::Paid || self.rec_link[r].is_none() {
                continue;
            }
            let Some(k) = key(r) else { continue };
            if let Some(twins) = wanted.get(&k) {
                let ntb = |x: usize| docs.receipts[x].1.ntb().map(normalize_ref);
                for &t in twins {
                    if ntb(t as usize) == ntb(r) {
                        out.insert(t);
                    }
                }
            }
        }
        out
    }

    fn link_receipts(&self, link: &Link) -> Vec<u32> {
        link.docs
            .iter()
            .filter_map(|d| match d {
                Doc::Receipt(r)
                    if self.input.documents.receipts[*r as usize].1.status
                        == ReceiptStatus::Paid =>
                {
                    Some(*r)
                }
                _ => None,
            })
            .collect()
    }

    /// `short_remittance` and `fee_over_agreement` on matched settlements and STS deposits, and
    /// `short_remittance` of STS against the bendahara's own BKU collections.
    fn detect_link_amounts(&self, out: &mut Vec<Draft>) {
        let docs = &self.input.documents;
        let lines = &self.input.lines;
        let tol = self.cfg.cfg.amount_tolerance;
        for link in &self.links {
            if matches!(
                link.rule,
                Some(MatchRule::Refund | MatchRule::BankReversal | MatchRule::Sweep)
            ) || link.lines.is_empty()
            {
                continue;
            }
            let credited: Decimal = link.lines.iter().map(|&l| lines[l as usize].amount).sum();
            let first_line = &lines[link.lines[0] as usize];
            let booked = link
                .lines
                .iter()
                .map(|&l| lines[l as usize].booking_date)
                .max()
                .unwrap_or(first_line.booking_date);
            // Refs are built only for the few links that become findings.
            let line_refs =
                || -> Vec<String> { link.lines.iter().flat_map(|&l| self.line_refs(l)).collect() };
            let mut receipts = self.link_receipts(link);
            // Two NTPD of one channel payment (same bank, NTB and amount: a
            // `duplicate_receipt`) both name the one credit; the payment counts once here.
            let mut paid_once: std::collections::HashSet<(String, String, Decimal)> =
                std::collections::HashSet::new();
            receipts.retain(|&r| {
                if link.docs.len() < 2 {
                    return true; // one receipt cannot be counted twice
                }
                let receipt = &docs.receipts[r as usize].1;
                let Some(ntb) = receipt.ntb().map(normalize_ref).filter(|n| !n.is_empty()) else {
                    return true;
                };
                let bank = receipt
                    .bank
                    .as_deref()
                    .map(normalize_ref)
                    .unwrap_or_default();
                paid_once.insert((bank, ntb, receipt.total))
            });
            if !receipts.is_empty() {
                let gross: Decimal = receipts
                    .iter()
                    .map(|&r| docs.receipts[r as usize].1.total)
                    .sum();
                let agreed: Decimal = receipts.iter().map(|&r| self.rec_fee[r as usize]).sum();
                let channels: Vec<_> = receipts
                    .iter()
                    .map(|&r| docs.receipts[r as usize].1.channel)
                    .collect();
                let rules: Vec<_> = receipts
                    .iter()
                    .map(|&r| self.cfg.rule(self.rec_rule[r as usize]))
                    .collect();
                let ch_tol = rules.iter().map(|r| r.tolerance).max().unwrap_or_default();
                let qris = rules.iter().any(|r| r.is_qris);
                let has_fee_agreement = rules.iter().any(|r| r.fee != crate::config::Fee::None);
                let deducted = gross - credited;
                let excess = deducted - agreed;
                let refs = || -> Vec<String> {
                    let mut v = line_refs();
                    for &r in &receipts {
                        v.extend(self.receipt_refs(r));
                    }
                    v
                };
                if qris && deducted > ch_tol {
                    let explanation = format!(
                        "QRIS settlement {} on {} dated {} is {} less than the {} receipt(s) it settles ({}); QRIS people-to-government payments carry 0% MDR, so any deduction is a discrepancy.",
                        display_idr(credited),
                        first_line.account,
                        booked,
                        display_idr(deducted),
                        receipts.len(),
                        display_idr(gross)
                    );
                    out.push(
                        Draft::new(FindingType::FeeOverAgreement, deducted, booked, explanation)
                            .account(&first_line.account)
                            .refs(refs()),
                    );
                } else if excess > ch_tol {
                    let channel_names = {
                        let mut v: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
                        v.sort_unstable();
                        v.dedup();
                        v.join("/")
                    };
                    // What a fee-taking channel or an aggregator's batch keeps beyond its
                    // agreement (none agreed: all of it) is a fee over the agreement; a direct
                    // credit falling short is a short remittance.
                    let ty = if has_fee_agreement || link.rule == Some(MatchRule::Batch) {
                        FindingType::FeeOverAgreement
                    } else {
                        FindingType::ShortRemittance
                    };
                    let explanation = format!(
                        "Settlement {} on {} dated {} for {} {} receipt(s) totalling {} is short by {}; the agreed fee is {}, so {} is missing.",
                        display_idr(credited),
                        first_line.account,
                        booked,
                        receipts.len(),
                        channel_names,
                        display_idr(gross),
                        display_idr(deducted),
                        display_idr(agreed),
                        display_idr(excess)
                    );
                    out.push(
                        Draft::new(ty, excess, booked, explanation)
                            .account(&first_line.account)
                            .refs(refs()),
                    );
                }
                continue;
            }
            let sts: Vec<u32> = link
                .docs
                .iter()
                .filter_map(|d| match d {
                    Doc::Sts(s) => Some(*s),
                    _ => None,
                })
                .collect();
            if !sts.is_empty() {
                let total: Decimal = sts.iter().map(|&s| docs.sts[s as usize].total).sum();
                let short = total - credited;
                if short > tol {
                    let numbers: Vec<String> = sts
                        .iter()
                        .map(|&s| docs.sts[s as usize].number.clone())
                        .collect();
                    let explanation = format!(
                        "STS {} ({}) of {} totalling {} was credited only {} on {} dated {}: {} short.",
                        numbers.join(", "),
                        docs.sts[sts[0] as usize].opd,
                        docs.sts[sts[0] as usize].date,
                        display_idr(total),
                        display_idr(credited),
                        first_line.account,
                        booked,
                        display_idr(short)
                    );
                    out.push(
                        Draft::new(FindingType::ShortRemittance, short, booked, explanation)
                            .account(&first_line.account)
                            .refs(line_refs().into_iter().chain(numbers)),
                    );
                }
            }
        }
        // STS totals against the bendahara's BKU collections of the days they cover.
        // An STS that lists the TBP it deposits is compared with exactly those BKU collections;
        // one that lists none, with the collections of the days it covers (grouped with the other
        // STS of that OPD covering the same days).
        type Group = (Decimal, Vec<String>, std::collections::HashSet<String>);
        let mut groups: BTreeMap<(&str, NaiveDate, NaiveDate, bool), Group> = BTreeMap::new();
        for s in docs.sts.iter().take(self.n_sts) {
            let Some(from) = s.collected_from else {
                continue;
            };
            let to = s.collected_to.unwrap_or(from);
            let by_tbp = !s.tbp_numbers.is_empty();
            let g = groups
                .entry((s.opd.as_str(), from, to, by_tbp))
                .or_default();
            g.0 += s.total;
            g.1.push(s.number.clone());
            g.2.extend(s.tbp_numbers.iter().map(|t| normalize_ref(t)));
        }
        if groups.is_empty() {
            return;
        }
        let mut collections: HashMap<&str, Vec<(NaiveDate, Decimal, String)>> = HashMap::new();
        for b in &docs.bku {
            if let BkuOwner::BendaharaPenerimaan(opd) = &b.owner {
                if b.direction == Direction::Credit {
                    collections.entry(opd.as_str()).or_default().push((
                        b.date,
                        b.amount,
                        b.document.as_deref().map(normalize_ref).unwrap_or_default(),
                    ));
                }
            }
        }
        for ((opd, from, to, by_tbp), (deposited, numbers, tbps)) in groups {
            let Some(list) = collections.get(opd) else {
                continue;
            };
            let collected: Decimal = list
                .iter()
                .filter(|(d, _, doc)| {
                    if by_tbp {
                        tbps.contains(doc)
                    } else {
                        *d >= from && *d <= to
                    }
                })
                .map(|(_, a, _)| *a)
                .sum();
            let short = collected - deposited;
            if short > tol {
                let explanation = format!(
                    "Bendahara penerimaan {opd} recorded {} of collections from {from} to {to} in the BKU but deposited {} by STS {}: {} short.",
                    display_idr(collected),
                    display_idr(deposited),
                    numbers.join(", "),
                    display_idr(short)
                );
                out.push(
                    Draft::new(FindingType::ShortRemittance, short, from, explanation)
                        .refs(numbers.into_iter().chain([opd.to_string()])),
                );
            }
        }
    }

    /// `late_settlement`: a receipt's credit arrived after the agreed settlement date.
    fn detect_late_settlement(&self, out: &mut Vec<Draft>) {
        let lines = &self.input.lines;
        let docs = &self.input.documents;
        for link in &self.links {
            if link.lines.is_empty() {
                continue;
            }
            let receipts = self.link_receipts(link);
            if receipts.is_empty() {
                continue;
            }
            let credited_on = link
                .lines
                .iter()
                .map(|&l| lines[l as usize].booking_date)
                .min()
                .unwrap_or(self.input.as_of);
            let late: Vec<u32> = receipts
                .iter()
                .copied()
                .filter(|&r| self.rec_due[r as usize] < credited_on)
                .collect();
            if late.is_empty() {
                continue;
            }
            let due = late
                .iter()
                .map(|&r| self.rec_due[r as usize])
                .min()
                .unwrap_or(credited_on);
            let lateness = self.cal.bank_days_between(due, credited_on).max(0);
            if lateness == 0 {
                continue; // the credit came on a non-business day after the due date: not late
            }
            let amount: Decimal = late
                .iter()
                .map(|&r| docs.receipts[r as usize].1.total)
                .sum();
            let first_paid = late
                .iter()
                .map(|&r| self.rec_paid_on[r as usize])
                .min()
                .unwrap_or(due);
            let ntpds: Vec<&str> = late
                .iter()
                .take(5)
                .map(|&r| docs.receipts[r as usize].1.ntpd())
                .collect();
            let channel = docs.receipts[late[0] as usize].1.channel;
            let explanation = format!(
                "{} {} receipt(s) totalling {} (e.g. NTPD {}) were due in the bank by {due} under the settlement agreement (T+{}) but were credited on {credited_on}, {lateness} bank day(s) late.",
                late.len(),
                channel.as_str(),
                display_idr(amount),
                ntpds.join(", "),
                self.cfg.rule(self.rec_rule[late[0] as usize]).settlement_lag_days
            );
            let mut refs: Vec<String> =
                link.lines.iter().flat_map(|&l| self.line_refs(l)).collect();
            for &r in &late {
                refs.extend(self.receipt_refs(r));
            }
            let mut d = Draft::new(FindingType::LateSettlement, amount, first_paid, explanation)
                .due(due)
                .account(&lines[link.lines[0] as usize].account)
                .refs(refs);
            d.age = Some(lateness);
            if lateness > 5 {
                d.severity = Some(Severity::Medium);
            }
            out.push(d);
        }
    }

    /// `late_deposit`: an STS made more than the deadline after the collection it covers, or
    /// credited to the RKUD more than the deadline after the STS date.
    fn detect_late_deposit(&self, out: &mut Vec<Draft>) {
        let docs = &self.input.documents;
        let lines = &self.input.lines;
        for s in 0..self.n_sts {
            let sts = &docs.sts[s];
            let deadline = self.cfg.cfg.deposit_deadline_for(&sts.opd);
            let mut reasons: Vec<String> = Vec::new();
            let mut due: Option<NaiveDate> = None;
            let mut lateness = 0i64;
            let mut refs: Vec<String> = vec![sts.number.clone()];
            refs.extend(sts.tbp_numbers.iter().cloned());
            if let Some(from) = sts.collected_from {
                let d = self.cal.add_working_days(from, deadline);
                if sts.date > d {
                    let late = self.cal.working_days_between(d, sts.date);
                    reasons.push(format!(
                        "collections from {from} had to be deposited by {d} ({deadline} working day(s)) but the STS is dated {}",
                        sts.date
                    ));
                    due = Some(d);
                    lateness = lateness.max(late);
                }
            }
            if let Some(link) = self.sts_link[s] {
                let link = &self.links[link as usize];
                if let Some(credited) = link
                    .lines
                    .iter()
                    .map(|&l| lines[l as usize].booking_date)
                    .min()
                {
                    let d = self.cal.add_working_days(sts.date, deadline);
                    if credited > d {
                        reasons.push(format!(
                            "the STS is dated {} but the RKUD credit came on {credited}",
                            sts.date
                        ));
                        due = due.or(Some(d));
                        lateness = lateness.max(self.cal.working_days_between(d, credited));
                    }
                    refs.extend(link.lines.iter().flat_map(|&l| self.line_refs(l)));
                }
            }
            if reasons.is_empty() || lateness <= 0 {
                continue;
            }
            let explanation = format!(
                "Late deposit by bendahara penerimaan {} (STS {}, {}): {}; {lateness} working day(s) late.",
                sts.opd,
                sts.number,
                display_idr(sts.total),
                reasons.join("; ")
            );
            let mut d = Draft::new(
                FindingType::LateDeposit,
                sts.total,
                sts.collected_from.unwrap_or(sts.date),
                explanation,
            )
            .account(&sts.account)
            .refs(refs);
            d.due = due;
            d.age = Some(lateness);
            out.push(d);
        }
    }

    /// `unidentified_deposit` for credits and `debit_without_sp2d` for debits that no rule
    /// explained (on registered accounts; others are `deposit_to_non_rkud_account`).
    fn detect_unidentified_and_unexplained(
        &self,
        out: &mut Vec<Draft>,
        reversal_targets: &HashMap<u32, ReversalTarget>,
    ) {
        let lines = &self.input.lines;
        let as_of = self.input.as_of;
        let limit = self.cfg.cfg.unidentified_after_days;
        // The BUD's own BKU credits that carry a document number (a transfer such as the
        // monthly DAU, `DAU-yyyymm`): a credit of that amount on that account within the date
        // window whose texts carry the number is identified, not penerimaan belum
        // teridentifikasi. Each BKU line explains one credit.
        let window = Duration::days(i64::from(self.cfg.cfg.date_window_days));
        let mut bud_credits: HashMap<(String, Decimal), Vec<(NaiveDate, String)>> = HashMap::new();
        for b in &self.input.documents.bku {
            if b.owner != BkuOwner::Bud || b.direction != Direction::Credit {
                continue;
            }
            let (Some(account), Some(doc)) = (b.account.as_deref(), b.document.as_deref()) else {
                continue;
            };
            let doc = normalize_ref(doc);
            if doc.len() < 4 {
                continue;
            }
            bud_credits
                .entry((normalize_ref(account), b.amount.normalize()))
                .or_default()
                .push((b.date, doc));
        }
        let mut recorded_by_bud = |l: &crate::Line| -> bool {
            let Some(cands) =
                bud_credits.get_mut(&(normalize_ref(&l.account), l.amount.normalize()))
            else {
                return false;
            };
            let texts: Vec<String> = l.texts.iter().map(|t| normalize_ref(t)).collect();
            let hit = cands.iter().position(|(date, doc)| {
                date.signed_duration_since(l.booking_date).abs() <= window
                    && texts.iter().any(|t| t.contains(doc.as_str()))
            });
            hit.map(|k| cands.swap_remove(k)).is_some()
        };
        for i in 0..self.n_lines {
            if !self.line_open(i) {
                continue;
            }
            let l = &lines[i];
            if !self.cfg.is_registered(&l.account) {
                continue;
            }
            if reversal_targets.contains_key(&(i as u32)) {
                continue; // reported as reversal_without_refund
            }
            match l.direction {
                Direction::Credit => {
                    let age = self.cal.working_days_between(l.booking_date, as_of);
                    if age <= i64::from(limit) || recorded_by_bud(l) {
                        continue;
                    }
                    let due = self.cal.add_working_days(l.booking_date, limit);
                    let explanation = format!(
                        "Credit {} on {} dated {} ({}) matches no receipt, STS, sweep or bank item after {age} working days; it sits in penerimaan belum teridentifikasi.",
                        display_idr(l.amount),
                        l.account,
                        l.booking_date,
                        l.narrative().unwrap_or("no narrative")
                    );
                    out.push(
                        Draft::new(
                            FindingType::UnidentifiedDeposit,
                            l.amount,
                            l.booking_date,
                            explanation,
                        )
                        .due(due)
                        .account(&l.account)
                        .refs(self.line_refs(i as u32)),
                    );
                }
                Direction::Debit => {
                    let what = match self.cfg.role(&l.account) {
                        Some(AccountRole::Holding) | Some(AccountRole::OpdReceiving) => {
                            "a debit on a holding/receiving account with no matching RKUD credit (a sweep leg without its counterpart)"
                        }
                        _ => "a debit matched to no SP2D, sweep, refund or bank charge",
                    };
                    let explanation = format!(
                        "Debit {} on {} dated {} ({}) is {what}.",
                        display_idr(l.amount),
                        l.account,
                        l.booking_date,
                        l.narrative().unwrap_or("no narrative")
                    );
                    out.push(
                        Draft::new(
                            FindingType::DebitWithoutSp2d,
                            l.amount,
                            l.booking_date,
                            explanation,
                        )
                        .due(l.booking_date)
                        .account(&l.account)
                        .refs(self.line_refs(i as u32)),
                    );
                }
            }
        }
    }

    /// `duplicate_receipt`: the same NTPD on two rows, the same NTB on two receipts, or the same
    /// (NOP, tax type, year, period) paid twice.
    fn detect_duplicate_receipts(&self, out: &mut Vec<Draft>) {
        let docs = &self.input.documents;
        let mut first_by_ntpd: FxHashMap<&str, u32> = FxHashMap::default();
        let mut by_ntb: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
        let mut by_object: BTreeMap<(String, String, i32, u32), Vec<u32>> = BTreeMap::new();
        // First a cheap pass over hashes of the keys (no allocation per receipt); only receipts
        // whose key hash repeats are compared by their real keys below.
        let mut ntb_seen: FxHashMap<u64, u32> = FxHashMap::default();
        let mut object_seen: FxHashMap<u64, u32> = FxHashMap::default();
        ntb_seen.reserve(self.n_receipts);
        let mut candidate = vec![false; self.n_receipts];
        // Only a duplicate row looks up the first row of its NTPD.
        let any_duplicate_row = self.rec_duplicate_row.iter().any(|&d| d);
        for r in 0..self.n_receipts {
            let receipt = &docs.receipts[r].1;
            if receipt.status != ReceiptStatus::Paid
                || self.rec_duplicate_row[r]
                || self.rec_reversed_by[r].is_some()
            {
                continue;
            }
            if let Some(ntb) = receipt.ntb() {
                let mut h = FxHasher::default();
                feed_normal(&mut h, ntb);
                feed_normal(&mut h, receipt.bank.as_deref().unwrap_or(""));
                if let Some(&first) = ntb_seen.get(&h.finish()) {
                    candidate[first as usize] = true;
                    candidate[r] = true;
                } else {
                    ntb_seen.insert(h.finish(), r as u32);
                }
            }
            if let (Some(nop), Some(year)) = (receipt.nop(), receipt.tahun_pajak) {
                let mut h = FxHasher::default();
                feed_normal(&mut h, nop);
                h.write_i64(i64::from(year));
                h.write_u32(receipt.masa_pajak.unwrap_or(0));
                if let Some(&first) = object_seen.get(&h.finish()) {
                    candidate[first as usize] = true;
                    candidate[r] = true;
                } else {
                    object_seen.insert(h.finish(), r as u32);
                }
            }
        }
        for r in 0..self.n_receipts {
            let (id, receipt) = &docs.receipts[r];
            if receipt.status != ReceiptStatus::Paid {
                continue;
            }
            if self.rec_duplicate_row[r] {
                let first = first_by_ntpd.get(receipt.ntpd().trim()).copied();
                let first_id = first
                    .map(|f| docs.receipts[f as usize].0.clone())
                    .unwrap_or_default();
                let explanation = format!(
                    "NTPD {} appears on two receipt rows ({} and {id}), {} each: the same payment is recorded twice.",
                    receipt.ntpd(),
                    first_id,
                    display_idr(receipt.total)
                );
                out.push(
                    Draft::new(
                        FindingType::DuplicateReceipt,
                        receipt.total,
                        self.rec_paid_on[r],
                        explanation,
                    )
                    .refs([id.clone(), first_id, receipt.ntpd().to_string()]),
                );
                continue;
            }
            if any_duplicate_row {
                first_by_ntpd.insert(receipt.ntpd().trim(), r as u32);
            }
            if self.rec_reversed_by[r].is_some() || !candidate[r] {
                continue;
            }
            if let Some(ntb) = receipt.ntb().map(normalize_ref).filter(|n| !n.is_empty()) {
                let bank = receipt
                    .bank
                    .as_deref()
                    .map(normalize_ref)
                    .unwrap_or_default();
                by_ntb.entry((bank, ntb)).or_default().push(r as u32);
            }
            if let (Some(nop), Some(year)) = (receipt.nop().map(normalize_ref), receipt.tahun_pajak)
            {
                if !nop.is_empty() {
                    let kind = receipt
                        .jenis_pajak
                        .as_deref()
                        .map(str::to_string)
                        .or_else(|| receipt.revenue.first_kode().map(str::to_string))
                        .unwrap_or_default();
                    by_object
                        .entry((nop, kind, year, receipt.masa_pajak.unwrap_or(0)))
                        .or_default()
                        .push(r as u32);
                }
            }
        }
        for ((_, ntb), rs) in by_ntb {
            if rs.len() < 2 {
                continue;
            }
            let ntpds: Vec<String> = rs
                .iter()
                .map(|&r| docs.receipts[r as usize].1.ntpd().to_string())
                .collect();
            let amount: Decimal = rs
                .iter()
                .skip(1)
                .map(|&r| docs.receipts[r as usize].1.total)
                .sum();
            let explanation = format!(
                "Bank transaction number (NTB) {ntb} appears on {} receipts with different NTPD ({}): one bank payment counted {} times.",
                rs.len(),
                ntpds.join(", "),
                rs.len()
            );
            let first = rs
                .iter()
                .map(|&r| self.rec_paid_on[r as usize])
                .min()
                .unwrap_or(self.input.as_of);
            out.push(
                Draft::new(FindingType::DuplicateReceipt, amount, first, explanation)
                    .refs(rs.iter().flat_map(|&r| self.receipt_refs(r))),
            );
        }
        for ((nop, kind, year, masa), rs) in by_object {
            let distinct: std::collections::BTreeSet<&str> = rs
                .iter()
                .map(|&r| docs.receipts[r as usize].1.ntpd())
                .collect();
            if distinct.len() < 2 {
                continue;
            }
            let amount: Decimal = rs
                .iter()
                .skip(1)
                .map(|&r| docs.receipts[r as usize].1.total)
                .sum();
            let explanation = format!(
                "Tax object NOP {nop} ({}, tahun {year}{}) was paid {} times (NTPD {}): a double payment to refund or a double count.",
                if kind.is_empty() { "tax" } else { kind.as_str() },
                if masa > 0 { format!(", masa {masa}") } else { String::new() },
                rs.len(),
                distinct.iter().copied().collect::<Vec<_>>().join(", ")
            );
            let first = rs
                .iter()
                .map(|&r| self.rec_paid_on[r as usize])
                .min()
                .unwrap_or(self.input.as_of);
            out.push(
                Draft::new(FindingType::DuplicateReceipt, amount, first, explanation).refs(
                    rs.iter()
                        .flat_map(|&r| self.receipt_refs(r))
                        .chain([nop.clone()]),
                ),
            );
        }
    }

    /// `duplicate_statement_line`: the same bank movement delivered in two statements/files.
    fn detect_duplicate_lines(&self, out: &mut Vec<Draft>) {
        let lines = &self.input.lines;
        for i in 0..self.n_lines {
            let Some(first) = self.duplicate_of[i] else {
                continue;
            };
            let l = &lines[i];
            let f = &lines[first as usize];
            let explanation = format!(
                "{} {} on {} dated {} (bank ref {}) appears as line {} in statement {} and again as line {} in statement {}; the copy was kept out of matching.",
                l.direction.as_str(),
                display_idr(l.amount),
                l.account,
                l.booking_date,
                l.bank_ref.as_deref().unwrap_or("none"),
                f.id,
                f.statement_id.as_deref().unwrap_or("?"),
                l.id,
                l.statement_id.as_deref().unwrap_or("?")
            );
            out.push(
                Draft::new(
                    FindingType::DuplicateStatementLine,
                    l.amount,
                    l.booking_date,
                    explanation,
                )
                .account(&l.account)
                .refs(self.line_refs(i as u32).into_iter().chain([f.id.clone()])),
            );
        }
    }

    /// Open bank reversal debits (a credit taken back) attributed to receipts that are still
    /// paid in the tax system: by a receipt reference in the reversal's texts, else by the
    /// matched credit it reverses (same account and amount, earlier, within the window).
    pub(crate) fn reversal_targets(&self) -> HashMap<u32, ReversalTarget> {
        let lines = &self.input.lines;
        let docs = &self.input.documents;
        let mut out = HashMap::new();
        let candidates: Vec<usize> = (0..self.n_lines)
            .filter(|&i| {
                lines[i].reversal && lines[i].direction == Direction::Debit && self.line_open(i)
            })
            .collect();
        if candidates.is_empty() {
            return out;
        }
        let mut idx: crate::refs::RefIndex<u32> = crate::refs::RefIndex::new();
        for r in 0..self.n_receipts {
            let receipt = &docs.receipts[r].1;
            if receipt.status != ReceiptStatus::Paid || self.rec_reversed_by[r].is_some() {
                continue;
            }
            for k in [Some(receipt.ntpd()), receipt.ntb(), receipt.kode_billing()]
                .into_iter()
                .flatten()
            {
                idx.insert(k, r as u32);
            }
        }
        idx.finish();
        let mut credits: HashMap<(&str, Decimal), Vec<DatedLink>> = HashMap::new();
        for (k, link) in self.links.iter().enumerate() {
            let receipts = self.link_receipts(link);
            if receipts.is_empty()
                || receipts
                    .iter()
                    .any(|&r| self.rec_reversed_by[r as usize].is_some())
            {
                continue;
            }
            for &o in &link.lines {
                let orig = &lines[o as usize];
                if orig.direction == Direction::Credit {
                    credits
                        .entry((orig.account.as_str(), orig.amount))
                        .or_default()
                        .push((orig.booking_date, o, k));
                }
            }
        }
        let window = Duration::days(i64::from(self.cfg.cfg.date_window_days));
        for i in candidates {
            let l = &lines[i];
            let mut named: Vec<u32> = Vec::new();
            for t in crate::refs::line_tokens(&l.texts) {
                idx.exact(&t, &mut named);
            }
            named.sort_unstable();
            named.dedup();
            if !named.is_empty() {
                out.insert(i as u32, (named, None));
                continue;
            }
            let Some(list) = credits.get(&(l.account.as_str(), l.amount)) else {
                continue;
            };
            let hit = list
                .iter()
                .filter(|(d, _, _)| *d <= l.booking_date && *d >= l.booking_date - window)
                .max_by_key(|(d, o, _)| (*d, std::cmp::Reverse(*o)));
            if let Some(&(_, o, k)) = hit {
                out.insert(i as u32, (self.link_receipts(&self.links[k]), Some(o)));
            }
        }
        out
    }

    /// `reversal_without_refund`: a reversal seen in one feed only.
    fn detect_reversal_without_refund(
        &self,
        out: &mut Vec<Draft>,
        reversal_targets: &HashMap<u32, ReversalTarget>,
    ) {
        let docs = &self.input.documents;
        let lines = &self.input.lines;
        let as_of = self.input.as_of;
        // (a) Receipt reversed in the tax system, bank credit matched, no refund debit.
        for r in 0..self.n_receipts {
            let Some(v) = self.rec_reversed_by[r] else {
                continue;
            };
            let Some(link) = self.rec_link[r] else {
                continue;
            };
            if self.rec_link[v as usize].is_some() {
                continue;
            }
            let link = &self.links[link as usize];
            if link.lines.is_empty() {
                continue;
            }
            // The refund debit is due on the statement of the next bank day at the latest.
            let reversed_on = self.rec_paid_on[v as usize];
            let due = self.cal.add_bank_days(reversed_on, 1);
            if as_of < due {
                continue;
            }
            let receipt = &docs.receipts[r].1;
            let reversal = &docs.receipts[v as usize].1;
            let explanation = format!(
                "Receipt NTPD {} ({}) was reversed in the tax system on {reversed_on} (reversal {}), but its bank credit ({}) stays and no refund debit was found by {due}.",
                receipt.ntpd(),
                display_idr(receipt.total),
                reversal.ntpd(),
                link.lines.iter().map(|&l| lines[l as usize].id.as_str()).collect::<Vec<_>>().join(", ")
            );
            let mut refs = self.receipt_refs(r as u32);
            refs.extend(self.receipt_refs(v));
            refs.extend(link.lines.iter().flat_map(|&l| self.line_refs(l)));
            out.push(
                Draft::new(
                    FindingType::ReversalWithoutRefund,
                    receipt.total,
                    reversed_on,
                    explanation,
                )
                .due(due)
                .account(&lines[link.lines[0] as usize].account)
                .refs(refs),
            );
        }
        // (b) Bank reversal of a credit whose receipt is still paid in the tax system.
        let mut attributed: Vec<(&u32, &ReversalTarget)> = reversal_targets.iter().collect();
        attributed.sort_by_key(|(i, _)| **i);
        for (&i, (receipts, original)) in attributed {
            let (receipts, original) = (receipts.clone(), *original);
            let l = &lines[i as usize];
            let ntpds: Vec<&str> = receipts
                .iter()
                .map(|&r| docs.receipts[r as usize].1.ntpd())
                .collect();
            let explanation = format!(
                "The bank reversed {} on {} dated {}{}, but receipt(s) NTPD {} are still recorded as paid: the tax system has no matching reversal.",
                display_idr(l.amount),
                l.account,
                l.booking_date,
                original.map(|o| format!(" (original credit {})", lines[o as usize].id)).unwrap_or_default(),
                ntpds.join(", ")
            );
            let mut refs = self.line_refs(i);
            if let Some(o) = original {
                refs.extend(self.line_refs(o));
            }
            for &r in &receipts {
                refs.extend(self.receipt_refs(r));
            }
            out.push(
                Draft::new(
                    FindingType::ReversalWithoutRefund,
                    l.amount,
                    l.booking_date,
                    explanation,
                )
                .due(l.booking_date)
                .account(&l.account)
                .refs(refs),
            );
        }
    }

    fn headers_by_account(&self) -> BTreeMap<&str, Vec<&StatementHeader>> {
        let mut by: BTreeMap<&str, Vec<&StatementHeader>> = BTreeMap::new();
        for h in &self.input.statements {
            by.entry(h.account.as_str()).or_default().push(h);
        }
        for v in by.values_mut() {
            v.sort_by(|a, b| {
                (
                    a.from_date,
                    a.to_date,
                    seq_number(a.sequence.as_deref()),
                    a.page,
                    &a.statement_id,
                )
                    .cmp(&(
                        b.from_date,
                        b.to_date,
                        seq_number(b.sequence.as_deref()),
                        b.page,
                        &b.statement_id,
                    ))
            });
        }
        by
    }

    /// `unswept_holding_balance`: a holding / receiving account closes a day holding more than
    /// the credits not yet due for sweeping. One finding per run of such days.
    fn detect_unswept(&self, out: &mut Vec<Draft>) {
        if !self.cfg.has_register() {
            return;
        }
        let lines = &self.input.lines;
        let mut credits: HashMap<(&str, NaiveDate), Decimal> = HashMap::new();
        for i in 0..self.n_lines {
            let l = &lines[i];
            // Duplicated lines count too: the closing balance includes them and the sweep
            // takes them along.
            if l.direction == Direction::Credit && l.status == EntryStatus::Booked {
                *credits
                    .entry((l.account.as_str(), l.booking_date))
                    .or_default() += l.amount;
            }
        }
        let tol = self.cfg.cfg.amount_tolerance;
        for (account, headers) in self.headers_by_account() {
            let Some(rule) = self.cfg.account(account) else {
                continue;
            };
            if !matches!(rule.role, AccountRole::Holding | AccountRole::OpdReceiving) {
                continue;
            }
            let mut streak: Option<(NaiveDate, NaiveDate, Decimal)> = None;
            let flush = |streak: &mut Option<(NaiveDate, NaiveDate, Decimal)>,
                         out: &mut Vec<Draft>| {
                if let Some((first, last, excess)) = streak.take() {
                    let due = self.cal.add_bank_days(first, 0);
                    let explanation = format!(
                        "Holding/receiving account {account} closed {first}{} with {} more than the credits not yet due for sweeping (sweep rule T+{}); the money is not reaching the RKUD.",
                        if last != first { format!(" to {last}") } else { String::new() },
                        display_idr(excess),
                        rule.sweep_lag_days
                    );
                    out.push(
                        Draft::new(
                            FindingType::UnsweptHoldingBalance,
                            excess,
                            first,
                            explanation,
                        )
                        .due(due)
                        .account(account)
                        .refs([account.to_string(), format!("{account}:{first}")]),
                    );
                }
            };
            for h in headers {
                let (Some(day), Some(closing)) = (h.to_date, h.closing) else {
                    continue;
                };
                // Credits of the last days that the sweep rule still allows on the account.
                let mut allowed = Decimal::ZERO;
                for back in 0..=(i64::from(rule.sweep_lag_days) * 3 + 7) {
                    let x = day - Duration::days(back);
                    if self.cal.add_bank_days(x, rule.sweep_lag_days) > day {
                        allowed += credits.get(&(account, x)).copied().unwrap_or_default();
                    }
                }
                let excess = closing - allowed;
                if excess > tol {
                    streak = match streak {
                        Some((first, _, _)) => Some((first, day, excess)),
                        None => Some((day, day, excess)),
                    };
                } else {
                    flush(&mut streak, out);
                }
            }
            flush(&mut streak, out);
        }
    }

    /// `deposit_to_non_rkud_account`: credits on accounts outside the register, and receipts
    /// or STS naming such an account.
    fn detect_non_rkud(&self, out: &mut Vec<Draft>) {
        if !self.cfg.has_register() {
            return;
        }
        let lines = &self.input.lines;
        let docs = &self.input.documents;
        for i in 0..self.n_lines {
            let l = &lines[i];
            if l.direction != Direction::Credit
                || self.line_excluded[i]
                || self.cfg.is_registered(&l.account)
            {
                continue;
            }
            let explanation = format!(
                "Credit {} dated {} landed on account {}, which is not registered as an RKUD, holding or OPD receiving account ({}).",
                display_idr(l.amount),
                l.booking_date,
                l.account,
                l.narrative().unwrap_or("no narrative")
            );
            out.push(
                Draft::new(
                    FindingType::DepositToNonRkudAccount,
                    l.amount,
                    l.booking_date,
                    explanation,
                )
                .due(l.booking_date)
                .account(&l.account)
                .refs(
                    self.line_refs(i as u32)
                        .into_iter()
                        .chain([l.account.to_string()]),
                ),
            );
        }
        for r in 0..self.n_receipts {
            let (_, receipt) = &docs.receipts[r];
            if receipt.status != ReceiptStatus::Paid || self.rec_duplicate_row[r] {
                continue;
            }
            let Some(acct) = &receipt.account else {
                continue;
            };
            if self.cfg.is_registered(acct) {
                continue;
            }
            let explanation = format!(
                "Receipt NTPD {} ({}, {}) names account {acct} as where the money lands; that account is not registered as an RKUD or holding account.",
                receipt.ntpd(),
                display_idr(receipt.total),
                receipt.channel.as_str()
            );
            out.push(
                Draft::new(
                    FindingType::DepositToNonRkudAccount,
                    receipt.total,
                    self.rec_paid_on[r],
                    explanation,
                )
                .due(self.rec_paid_on[r])
                .account(acct)
                .refs(
                    self.receipt_refs(r as u32)
                        .into_iter()
                        .chain([acct.to_string()]),
                ),
            );
        }
        for sts in docs.sts.iter().take(self.n_sts) {
            if self.cfg.role(&sts.account).is_some() {
                continue; // registered (RKUD, or holding/receiving that is swept later)
            }
            let explanation = format!(
                "STS {} of {} ({}) was deposited to account {}, which is not a registered RKUD account.",
                sts.number,
                sts.opd,
                display_idr(sts.total),
                sts.account
            );
            out.push(
                Draft::new(
                    FindingType::DepositToNonRkudAccount,
                    sts.total,
                    sts.date,
                    explanation,
                )
                .due(sts.date)
                .account(&sts.account)
                .refs([sts.number.clone(), sts.account.clone()]),
            );
        }
    }

    /// `sp2d_amount_mismatch`: Σ debits matched to an SP2D differs from its gross (net + PFK):
    /// at once when the bank took more, after the date window when it took less.
    fn detect_sp2d_mismatch(&self, out: &mut Vec<Draft>) {
        let docs = &self.input.documents;
        let lines = &self.input.lines;
        let tol = self.cfg.cfg.amount_tolerance;
        let window = Duration::days(i64::from(self.cfg.cfg.date_window_days));
        for s in 0..self.n_sp2d {
            if self.sp2d_links[s].is_empty() {
                continue;
            }
            let sp2d = &docs.sp2d[s];
            let mut matched: Vec<u32> = self.sp2d_links[s]
                .iter()
                .flat_map(|&k| self.links[k as usize].lines.iter().copied())
                .collect();
            matched.sort_unstable();
            matched.dedup();
            let debited: Decimal = matched.iter().map(|&l| lines[l as usize].amount).sum();
            let diff = debited - sp2d.gross;
            let over = diff > tol;
            let under = -diff > tol && self.input.as_of > sp2d.date + window;
            if !over && !under {
                continue;
            }
            let last = matched
                .iter()
                .map(|&l| lines[l as usize].booking_date)
                .max()
                .unwrap_or(sp2d.date);
            let explanation = format!(
                "SP2D {} dated {} to {}: gross {} (net {} + deductions {}) but the bank debited {} in {} line(s): {} {}.",
                sp2d.number,
                sp2d.date,
                sp2d.beneficiary_name,
                display_idr(sp2d.gross),
                display_idr(sp2d.net),
                display_idr(sp2d.gross - sp2d.net),
                display_idr(debited),
                matched.len(),
                display_idr(diff.abs()),
                if over { "more than ordered" } else { "less than ordered" }
            );
            let mut d = Draft::new(
                FindingType::Sp2dAmountMismatch,
                diff.abs(),
                last,
                explanation,
            )
            .due(sp2d.date)
            .account(&sp2d.account)
            .refs(
                std::iter::once(sp2d.number.clone())
                    .chain(matched.iter().flat_map(|&l| self.line_refs(l))),
            );
            if over {
                d.severity = Some(Severity::High);
            }
            out.push(d);
        }
    }

    /// `statement_gap` (missing sequence numbers, pages or business days; period not covered)
    /// and `balance_discontinuity` (closing ≠ next opening; opening + lines ≠ closing).
    fn detect_statement_continuity(&self, out: &mut Vec<Draft>) {
        let lines = &self.input.lines;
        let mut sums: HashMap<&str, (Decimal, usize)> = HashMap::new();
        for i in 0..self.n_lines {
            let l = &lines[i];
            if l.status != EntryStatus::Booked {
                continue;
            }
            if let Some(st) = &l.statement_id {
                let e = sums.entry(st.as_str()).or_default();
                e.0 += l.direction.signed(l.amount);
                e.1 += 1;
            }
        }
        let tol = self.cfg.cfg.amount_tolerance;
        for (account, headers) in self.headers_by_account() {
            for h in &headers {
                if let (Some(open), Some(close), Some((net, n))) =
                    (h.opening, h.closing, sums.get(h.statement_id.as_str()))
                {
                    let diff = close - (open + *net);
                    if diff.abs() > tol {
                        let day = h.to_date.or(h.from_date).unwrap_or(self.input.as_of);
                        let explanation = format!(
                            "Statement {} ({}) of account {account}: opening {} plus {n} line(s) netting {} gives {} but the closing balance is {}: {} unexplained.",
                            h.statement_id,
                            h.source,
                            display_idr(open),
                            display_idr(*net),
                            display_idr(open + *net),
                            display_idr(close),
                            display_idr(diff)
                        );
                        out.push(
                            Draft::new(
                                FindingType::BalanceDiscontinuity,
                                diff.abs(),
                                day,
                                explanation,
                            )
                            .due(day)
                            .account(account)
                            .refs([
                                account.to_string(),
                                h.statement_id.clone(),
                                format!("{account}:{day}"),
                            ]),
                        );
                    }
                }
            }
            // An account on daily statements (nearly every statement spans at most one bank
            // business day): a statement spanning several business days carries the lines of
            // days whose own statements never came.
            let business_days = |h: &StatementHeader| -> i64 {
                match (h.from_date, h.to_date) {
                    (Some(f), Some(t)) if t >= f => {
                        let mut n = 0;
                        let mut d = f;
                        while d <= t && n <= MAX_GAP_DAY_REFS {
                            if self.cal.is_bank_business_day(d) {
                                n += 1;
                            }
                            d += Duration::days(1);
                        }
                        n
                    }
                    _ => 1,
                }
            };
            let multi = headers.iter().filter(|h| business_days(h) > 1).count();
            let daily = headers.len() >= 3 && multi * 10 <= headers.len();
            let mut prev: Option<&StatementHeader> = None;
            for h in headers {
                let Some(p) = prev else {
                    prev = Some(h);
                    continue;
                };
                if is_same_statement(p, h) {
                    continue;
                }
                let day = h.from_date.or(h.to_date).unwrap_or(self.input.as_of);
                let mut gaps: Vec<String> = Vec::new();
                let (ps, ns) = (
                    seq_number(p.sequence.as_deref()),
                    seq_number(h.sequence.as_deref()),
                );
                if let (Some(a), Some(b)) = (ps, ns) {
                    if b > a + 1 {
                        gaps.push(format!(
                            "statement number(s) {} to {} missing",
                            a + 1,
                            b - 1
                        ));
                    } else if b == a {
                        if let (Some(pa), Some(pb)) = (p.page, h.page) {
                            if pb > pa + 1 {
                                gaps.push(format!(
                                    "page(s) {} to {} of statement {a} missing",
                                    pa + 1,
                                    pb - 1
                                ));
                            }
                        }
                    }
                }
                if let (Some(pt), Some(nf)) = (p.to_date, h.from_date) {
                    let mut missing: Vec<NaiveDate> = Vec::new();
                    let mut d = pt + Duration::days(1);
                    while d < nf && missing.len() < 400 {
                        if self.cal.is_bank_business_day(d) {
                            missing.push(d);
                        }
                        d += Duration::days(1);
                    }
                    if let (Some(f), Some(l)) = (missing.first(), missing.last()) {
                        gaps.push(format!(
                            "{} business day(s) without a statement ({f} to {l})",
                            missing.len()
                        ));
                    }
                }
                if let (true, Some(pt), Some(nf), Some(nt)) =
                    (daily, p.to_date, h.from_date, h.to_date)
                {
                    let mut carried: Vec<NaiveDate> = Vec::new();
                    let mut d = nf.max(pt + Duration::days(1));
                    while d < nt && carried.len() < MAX_GAP_DAY_REFS as usize {
                        if self.cal.is_bank_business_day(d) {
                            carried.push(d);
                        }
                        d += Duration::days(1);
                    }
                    if let (Some(f), Some(l)) = (carried.first(), carried.last()) {
                        gaps.push(format!(
                            "the daily statement(s) of {f}{} never came: their lines arrive in the statement of {nt}",
                            if l != f { format!(" to {l}") } else { String::new() }
                        ));
                    }
                }
                // The account-days between the two statements (and those the later one covers):
                // where the missing statement's lines belong.
                let between: Vec<String> = match (p.to_date, h.to_date.or(h.from_date)) {
                    (Some(a), Some(b)) => (1..=MAX_GAP_DAY_REFS)
                        .map(|k| a + Duration::days(k))
                        .take_while(|d| *d <= b)
                        .map(|d| format!("{account}:{d}"))
                        .collect(),
                    _ => Vec::new(),
                };
                if !gaps.is_empty() {
                    let explanation = format!(
                        "Account {account}: between statement {} ({}) and {} ({}) {}.",
                        p.statement_id,
                        p.source,
                        h.statement_id,
                        h.source,
                        gaps.join("; ")
                    );
                    out.push(
                        Draft::new(
                            FindingType::StatementGap,
                            Decimal::ZERO,
                            p.to_date.unwrap_or(day),
                            explanation,
                        )
                        .due(day)
                        .account(account)
                        .refs(
                            [
                                account.to_string(),
                                p.statement_id.clone(),
                                h.statement_id.clone(),
                            ]
                            .into_iter()
                            .chain(between.iter().cloned()),
                        ),
                    );
                }
                if let (Some(c), Some(o)) = (p.closing, h.opening) {
                    if (c - o).abs() > tol {
                        let explanation = format!(
                            "Account {account}: statement {} ({}) closes at {} but the next statement {} ({}) opens at {}: {} unexplained.",
                            p.statement_id,
                            p.source,
                            display_idr(c),
                            h.statement_id,
                            h.source,
                            display_idr(o),
                            display_idr(o - c)
                        );
                        out.push(
                            Draft::new(
                                FindingType::BalanceDiscontinuity,
                                (o - c).abs(),
                                day,
                                explanation,
                            )
                            .due(day)
                            .account(account)
                            .refs(
                                [
                                    account.to_string(),
                                    p.statement_id.clone(),
                                    h.statement_id.clone(),
                                    format!("{account}:{day}"),
                                ]
                                .into_iter()
                                .chain(h.to_date.map(|t| format!("{account}:{t}"))),
                            ),
                        );
                    }
                }
                prev = Some(h);
            }
        }
        // Period coverage per registered account.
        let Some((from, to)) = self.input.period else {
            return;
        };
        let to = to.min(self.input.as_of);
        let headers = self.headers_by_account();
        let accounts: Vec<&str> = self
            .cfg
            .cfg
            .accounts
            .iter()
            .map(|a| a.number.as_str())
            .collect();
        for account in accounts {
            let first_business = self.cal.add_bank_days(from, 0);
            let mut last_business = to;
            let mut guard = 0;
            while !self.cal.is_bank_business_day(last_business)
                && last_business > from
                && guard < 30
            {
                last_business -= Duration::days(1);
                guard += 1;
            }
            if first_business > to {
                continue;
            }
            let hs = headers.get(account);
            let covered_from = hs.and_then(|v| v.iter().filter_map(|h| h.from_date).min());
            let covered_to = hs.and_then(|v| v.iter().filter_map(|h| h.to_date).max());
            let mut gaps: Vec<String> = Vec::new();
            match (covered_from, covered_to) {
                (Some(cf), Some(ct)) => {
                    if cf > first_business {
                        gaps.push(format!("no statement from {first_business} until {cf}"));
                    }
                    if ct < last_business {
                        gaps.push(format!("no statement after {ct} up to {last_business}"));
                    }
                }
                _ => gaps.push(format!("no statement at all for {from} to {to}")),
            }
            if gaps.is_empty() {
                continue;
            }
            let explanation = format!(
                "Account {account} is registered but its statements do not cover the period: {}.",
                gaps.join("; ")
            );
            out.push(
                Draft::new(
                    FindingType::StatementGap,
                    Decimal::ZERO,
                    first_business,
                    explanation,
                )
                .due(first_business)
                .account(account)
                .refs([account.to_string(), format!("{account}:period:{from}:{to}")]),
            );
        }
    }

    /// `bku_bank_difference`: the BUD's BKU books a document (STS or SP2D) on an RKUD account
    /// for a different amount than the bank moved for it there (the bank lines matched to that
    /// document). Lines the BKU has not recorded yet, and BKU lines the bank has not moved yet,
    /// are reconciling items, not differences; a daily recap of receipts names no single
    /// document and is not compared here.
    fn detect_bku_bank_difference(&self, out: &mut Vec<Draft>) {
        let docs = &self.input.documents;
        let lines = &self.input.lines;
        // (normalized document number, account) → (BKU signed amount, first date, BKU numbers)
        let mut booked: BTreeMap<(String, String), (Decimal, NaiveDate, Vec<String>)> =
            BTreeMap::new();
        for b in &docs.bku {
            if b.owner != BkuOwner::Bud {
                continue;
            }
            let (Some(account), Some(doc)) = (b.account.as_deref(), b.document.as_deref()) else {
                continue;
            };
            let key = normalize_ref(doc);
            if key.is_empty() {
                continue;
            }
            let e = booked.entry((key, account.to_string())).or_insert((
                Decimal::ZERO,
                b.date,
                Vec::new(),
            ));
            e.0 += b.direction.signed(b.amount);
            e.1 = e.1.min(b.date);
            e.2.push(b.number.to_string());
        }
        if booked.is_empty() {
            return;
        }
        // The same per document from the matches: signed bank amount per account and the lines.
        // The document's own amounts ride along: a BKU that books exactly what the document
        // says is right, and a bank that moved something else is the document's mismatch
        // (short_remittance, sp2d_amount_mismatch), not the book's.
        type Moved = (String, Decimal, Vec<u32>, [Decimal; 2]);
        let mut moved: HashMap<(String, String), Moved> = HashMap::new();
        for link in &self.links {
            if link.lines.is_empty() {
                continue;
            }
            for d in &link.docs {
                let (number, own) = match d {
                    Doc::Sts(x) => {
                        let sts = &docs.sts[*x as usize];
                        (sts.number.as_str(), [sts.total, sts.total])
                    }
                    Doc::Sp2d(x) => {
                        let sp2d = &docs.sp2d[*x as usize];
                        (sp2d.number.as_str(), [sp2d.gross, sp2d.net])
                    }
                    Doc::Receipt(_) => continue,
                };
                for &l in &link.lines {
                    let line = &lines[l as usize];
                    let e = moved
                        .entry((normalize_ref(number), line.account.to_string()))
                        .or_insert((number.to_string(), Decimal::ZERO, Vec::new(), own));
                    if !e.2.contains(&l) {
                        e.1 += line.direction.signed(line.amount);
                        e.2.push(l);
                    }
                }
            }
        }
        let tol = self.cfg.cfg.amount_tolerance;
        for (key, (book, first, numbers)) in &booked {
            let Some((number, bank, bank_lines, own)) = moved.get(key) else {
                continue;
            };
            let diff = *book - *bank;
            if diff.abs() <= tol || own.iter().any(|a| (book.abs() - *a).abs() <= tol) {
                continue;
            }
            let account = key.1.as_str();
            let explanation = format!(
                "The BUD's BKU books {number} on account {account} at {} (BKU no. {}), but the bank moved {} for it ({}): a difference of {} between the book and the bank.",
                display_idr(book.abs()),
                numbers.join(", "),
                display_idr(bank.abs()),
                bank_lines
                    .iter()
                    .map(|&l| lines[l as usize].id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                display_idr(diff.abs())
            );
            let when = bank_lines
                .iter()
                .map(|&l| lines[l as usize].booking_date)
                .chain([*first])
                .max()
                .unwrap_or(*first);
            out.push(
                Draft::new(
                    FindingType::BkuBankDifference,
                    diff.abs(),
                    *first,
                    explanation,
                )
                .due(when)
                .account(account)
                .refs(
                    [number.clone(), format!("{account}:{first}")]
                        .into_iter()
                        .chain(bank_lines.iter().flat_map(|&l| self.line_refs(l))),
                ),
            );
        }
    }
}

/// Feeds the normal form of a reference (upper-case letters and digits) into a hasher, with a
/// terminator so that consecutive fields cannot run into each other.
fn feed_normal(h: &mut FxHasher, s: &str) {
    for b in s.bytes().filter(u8::is_ascii_alphanumeric) {
        h.write_u8(b.to_ascii_uppercase());
    }
    h.write_u8(0xff);
}

/// Most account-day refs a statement gap names (one month of days).
const MAX_GAP_DAY_REFS: i64 = 31;

fn seq_number(s: Option<&str>) -> Option<u64> {
    let s = s?;
    let head = s.split(['/', '-']).next().unwrap_or(s);
    let digits: String = head.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    digits.parse().ok()
}

/// Two headers describing the same statement (a re-delivery): same sequence, page and dates.
fn is_same_statement(a: &StatementHeader, b: &StatementHeader) -> bool {
    a.sequence == b.sequence
        && a.page == b.page
        && a.from_date == b.from_date
        && a.to_date == b.to_date
        && a.sequence.is_some()
}
