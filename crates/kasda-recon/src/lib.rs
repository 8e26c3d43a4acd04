//! kasda-recon: matching bank statement lines to government documents, and leakage detection.
//!
//! Pure functions over `kasda-core` facts: no I/O, no SQL, no file parsing, no clock (the run
//! reasons about [`ReconInput::as_of`]). The output explains itself: every [`Match`] names its
//! rule, the facts it joins and why; every [`Finding`] has a stable id, the figures and the
//! identifiers an auditor needs. [`match_entries`] turns matches into balanced ledger entries
//! following the posting model (clearing accounts that must drain, ARCHITECTURE-GUIDE §6).
//!
//! # Rule order
//!
//! Rules run in this fixed order; each consumes the facts it joins, so a later rule only sees
//! what earlier rules left. Facts already joined by the ledger's existing matches are consumed
//! before rule 0, so re-running a period adds nothing.
//!
//! 0. **Bank items** (`jasa_giro`, `bank_charge`): credits whose narrative says jasa giro, and
//!    debits up to `bank_charge_max` whose narrative says a bank charge.
//!    0c. **Transfers** (`transfer`): RKUD credits a transfer rule recognises (TKD from the Kas
//!    Negara, `[[transfer_in]]`) are revenue of the rule's kode rekening.
//! 1. **Reference** (`reference`, `refund`): an NTB, NTPD, kode billing, STS or SP2D number in
//!    the line's references or remittance text names the documents. References are compared in
//!    normal form (letters and digits, also without leading zeros); a truncated token of at
//!    least `min_ref_prefix` characters matches when it starts exactly one known reference
//!    (`0280/LS-GJ/2019` = `0280LSGJ2019` = `280/LS`). A debit naming a reversed receipt is its
//!    refund. STS / SP2D lines whose amount does not fit alone wait for rule 3.
//!    1c. **Bank reversal** (`bank_reversal`): a reversal line and the open line it reverses.
//! 2. **Batch settlement** (`batch`, 1:N): one credit equals the receipts of one channel,
//!    landing account and settlement date, less the agreed fee, within the channel's tolerance;
//!    failing that, the nearest credit naming the channel within `max_shortfall_percent` (the
//!    difference becomes a finding; one receipt left out that explains it exactly stays
//!    unmatched).
//! 3. **N:1** (`n_to_1`): several lines naming the same STS or SP2D (split deposit; net and PFK
//!    debits) join that document.
//! 4. **Amount and date** (`sweep`, `amount_date`): holding/receiving debits with the RKUD
//!    credit of the same amount within the sweep lag; STS and SP2D (gross, net, missing legs)
//!    and single receipts by amount on the expected account, nearest date within
//!    `date_window_days`.
//! 5. **Subset sum** (`subset_sum`, many-to-many): one credit, or two or three credits of one
//!    account and day, equal exactly a unique set of open receipts or STS of the window; one
//!    SP2D equals a unique set of open debits. Meet-in-the-middle over at most
//!    `max_candidates` items, with step caps per search and per run ([`SubsetLimits`]).
//!
//! Indexes (references, (account, date) sorted by amount, (account, amount) by date) keep every
//! rule near-linear in the number of facts.

pub mod accuracy;
pub mod config;
pub mod entries;
pub mod error;
pub mod findings;
mod fxhash;
mod idr;
pub mod input;
pub mod load;
pub mod matching;
pub mod refs;
pub mod subset;
pub mod workload;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use accuracy::{
    accuracy, accuracy_with_context, context_from_config, parse_ground_truth, TruthItem,
    TypeAccuracy,
};
pub use config::{
    default_transfer_rules, AccountRole, AccountRule, ChannelRule, Fee, ReconConfig, SubsetLimits,
    TransferRule, WeekdayCalendar, WorkingDays,
};
pub use entries::match_entries;
pub use error::ReconError;
pub use findings::{finding_id, Finding, FindingType, Severity};
pub use input::{
    Documents, ExistingMatch, Interner, IntoReceiptRow, Line, ReceiptFacts, Receipts, ReconInput,
    RevenueSplit, SharedStr, StatementHeader,
};
pub use matching::{Basis, Match, MatchRule, RuleStat};

use config::ConfigIndex;
use matching::Engine;

/// Counts of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconStats {
    /// New matches per rule id, with the bank amount they joined.
    pub per_rule: BTreeMap<String, RuleStat>,
    /// Matches found in the ledger and honoured.
    pub existing_matches: u64,
    pub lines: u64,
    pub unmatched_credit_lines: u64,
    pub unmatched_debit_lines: u64,
    /// Lines kept out of matching: duplicates, pending/info entries, unusable amounts.
    pub excluded_lines: u64,
    pub receipts: u64,
    pub unmatched_receipts: u64,
    pub sts: u64,
    pub unmatched_sts: u64,
    pub sp2d: u64,
    /// SP2D with no debit yet (SP2D belum dicairkan).
    pub unmatched_sp2d: u64,
    /// Steps spent by the subset-sum rule, and whether its run budget ran out.
    pub subset_steps: u64,
    pub subset_budget_exhausted: bool,
    /// Findings per type id.
    pub findings_per_type: BTreeMap<String, u64>,
}

/// Result of [`reconcile`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconOutput {
    /// New matches only, in the order the rules made them.
    pub matches: Vec<Match>,
    /// Findings over all facts and matches (existing and new), sorted by type, date and id.
    pub findings: Vec<Finding>,
    pub stats: ReconStats,
    /// Input problems that made recon skip a fact, each naming it and the limit or rule.
    pub warnings: Vec<String>,
}

/// What [`reconcile_each`] returns beside the matches it hands out one by one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReconReport {
    /// Findings over all facts and matches (existing and new), sorted by type, date and id.
    pub findings: Vec<Finding>,
    pub stats: ReconStats,
    /// Input problems that made recon skip a fact, each naming it and the limit or rule.
    pub warnings: Vec<String>,
}

/// Matches the period's facts and detects leakage. Deterministic: the same input, config and
/// calendar give the same output.
pub fn reconcile(input: &ReconInput, cfg: &ReconConfig, cal: &dyn WorkingDays) -> ReconOutput {
    let mut matches = Vec::new();
    let report = reconcile_each(input, cfg, cal, |m| matches.push(m));
    ReconOutput {
        matches,
        findings: report.findings,
        stats: report.stats,
        warnings: report.warnings,
    }
}

/// [`reconcile`] handing each new match to `emit`, in the same order, instead of collecting
/// them: the engine keeps every match as its facts and a few figures, and writes a match's ids,
/// key, basis and explanation only when handing it out, so a caller that stores or writes the
/// matches as they come never holds them all. Findings, stats and warnings are computed before
/// the first match is handed out.
pub fn reconcile_each(
    input: &ReconInput,
    cfg: &ReconConfig,
    cal: &dyn WorkingDays,
    emit: impl FnMut(Match),
) -> ReconReport {
    let run = Reconciled::new(input, cfg, cal);
    run.each_match(emit);
    run.into_report()
}

/// A finished run whose new matches have not been handed out yet: [`reconcile_each`] in two
/// steps, so a caller can read the findings and stats ([`Reconciled::report`]) before it takes
/// the matches one by one ([`Reconciled::each_match`]) — to open the store's append with the
/// run's stats, say, and write each match's entries as it comes.
pub struct Reconciled<'a> {
    engine: Engine<'a>,
    report: ReconReport,
}

impl<'a> Reconciled<'a> {
    /// Runs every rule over `input` and computes the findings, stats and warnings.
    pub fn new(input: &'a ReconInput, cfg: &'a ReconConfig, cal: &'a dyn WorkingDays) -> Self {
        let mut engine = Engine::new(input, ConfigIndex::new(cfg), cal);
        let earliest = input
            .lines
            .iter()
            .map(|l| l.booking_date)
            .chain(
                input
                    .documents
                    .receipts
                    .iter()
                    .map(|(_, r)| r.paid_local_date()),
            )
            .min();
        for date in [Some(input.as_of), earliest].into_iter().flatten() {
            if !cal.covers(date) {
                engine.warnings.push(format!(
                    "calendar: no holiday list loaded for {}; working days that year are counted Monday to Friday",
                    chrono::Datelike::year(&date)
                ));
            }
        }
        engine.run();
        let findings = engine.findings();
        let stats = stats_of(&engine, input, &findings);
        let warnings = std::mem::take(&mut engine.warnings);
        engine.release_rules_state();
        Reconciled {
            engine,
            report: ReconReport {
                findings,
                stats,
                warnings,
            },
        }
    }

    /// Findings, stats and warnings of the run.
    pub fn report(&self) -> &ReconReport {
        &self.report
    }

    /// Number of new matches [`Reconciled::each_match`] will hand out.
    pub fn match_count(&self) -> usize {
        self.engine.matches.len()
    }

    /// Hands each new match to `emit` in the order the rules made them, written out only then.
    pub fn each_match(&self, mut emit: impl FnMut(Match)) {
        let done: Result<(), std::convert::Infallible> = self.try_each_match(|m| {
            emit(m);
            Ok(())
        });
        let Ok(()) = done;
    }

    /// [`Reconciled::each_match`] stopping at the first error `emit` returns.
    pub fn try_each_match<E>(&self, mut emit: impl FnMut(Match) -> Result<(), E>) -> Result<(), E> {
        for k in 0..self.engine.matches.len() {
            emit(self.engine.materialize(k))?;
        }
        Ok(())
    }

    /// The findings, stats and warnings, once the matches are out.
    pub fn into_report(self) -> ReconReport {
        self.report
    }
}

/// Counts of a finished run.
fn stats_of(engine: &Engine<'_>, input: &ReconInput, findings: &[Finding]) -> ReconStats {
    let mut stats = ReconStats {
        existing_matches: engine.existing_links as u64,
        lines: engine.n_lines as u64,
        receipts: engine.n_receipts as u64,
        sts: engine.n_sts as u64,
        sp2d: engine.n_sp2d as u64,
        subset_steps: engine.subset_steps,
        subset_budget_exhausted: engine.subset_exhausted,
        ..ReconStats::default()
    };
    // Counted per rule first: one map key per rule, not one string per match.
    let mut per_rule: Vec<Option<RuleStat>> = vec![None; MatchRule::ALL.len()];
    for m in &engine.matches {
        let at = MatchRule::ALL
            .iter()
            .position(|r| *r == m.rule)
            .unwrap_or_default();
        let s = per_rule[at].get_or_insert_with(RuleStat::default);
        s.count += 1;
        s.amount += engine.pending_amount(m);
    }
    for (rule, stat) in MatchRule::ALL.iter().zip(per_rule) {
        if let Some(stat) = stat {
            stats.per_rule.insert(rule.as_str().to_string(), stat);
        }
    }
    for i in 0..engine.n_lines {
        if engine.line_excluded[i] {
            stats.excluded_lines += 1;
        } else if !engine.line_used[i] {
            match input.lines[i].direction {
                kasda_core::money::Direction::Credit => stats.unmatched_credit_lines += 1,
                kasda_core::money::Direction::Debit => stats.unmatched_debit_lines += 1,
            }
        }
    }
    for (r, (_, receipt)) in input
        .documents
        .receipts
        .iter()
        .take(engine.n_receipts)
        .enumerate()
    {
        if receipt.status == kasda_core::document::ReceiptStatus::Paid
            && engine.rec_link[r].is_none()
        {
            stats.unmatched_receipts += 1;
        }
    }
    stats.unmatched_sts = engine.sts_link.iter().filter(|l| l.is_none()).count() as u64;
    stats.unmatched_sp2d = engine.sp2d_links.iter().filter(|l| l.is_empty()).count() as u64;
    for f in findings {
        *stats
            .findings_per_type
            .entry(f.finding_type.as_str().to_string())
            .or_default() += 1;
    }
    stats
}

/// The existing-match records a store keeps for `matches`, to feed back on the next run.
pub fn as_existing(matches: &[Match]) -> Vec<ExistingMatch> {
    matches
        .iter()
        .map(|m| ExistingMatch {
            natural_key: m.natural_key.clone(),
            fact_ids: m
                .line_ids
                .iter()
                .chain(m.document_ids.iter())
                .cloned()
                .collect(),
        })
        .collect()
}
