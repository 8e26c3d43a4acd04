//! Precision and recall of findings against a generator's ground truth.
//!
//! A finding detects a truth item when the types are equal and their refs share at least one
//! *identifying* value. Precision of a type = findings of that type that detect some truth item /
//! findings of that type; recall = truth items of that type detected by some finding / truth
//! items.
//!
//! A ref that names a place rather than a fact (an account number, an OPD code, a channel label)
//! cannot tie a finding to one injected irregularity: every finding on that account would "detect"
//! it, and precision would say nothing. Such refs are *context*: the caller names them
//! ([`context_from_config`]), and any ref shared by two or more truth items of one type is context
//! too (the unregistered account every `deposit_to_non_rkud_account` names). A context ref
//! identifies only together with a date, as `<place>:<YYYY-MM-DD>` (the truth item's date or a
//! date among its refs), which is how account-day findings name themselves. A truth item whose
//! refs are all context and that has no date keeps its context refs as identifying.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::ReconError;
use crate::findings::Finding;

/// Largest ground-truth file accepted.
pub const MAX_GROUND_TRUTH_BYTES: usize = 512 * 1024 * 1024;
/// Most irregularities accepted from one ground-truth file.
pub const MAX_TRUTH_ITEMS: usize = 10_000_000;

/// One injected irregularity. Extra fields of the generator (`amount`, `note`) are ignored here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthItem {
    #[serde(rename = "type")]
    pub finding_type: String,
    #[serde(default)]
    pub refs: Vec<String>,
    /// `YYYY-MM-DD`: the day the irregularity shows (the generator's `date`).
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeAccuracy {
    pub findings: u64,
    pub truth: u64,
    /// Findings that detect at least one truth item.
    pub true_positives: u64,
    /// Truth items detected by at least one finding.
    pub detected: u64,
    /// `true_positives / findings`; `None` without findings.
    pub precision: Option<f64>,
    /// `detected / truth`; `None` without truth items.
    pub recall: Option<f64>,
}

#[derive(Deserialize)]
struct GroundTruthFile {
    #[serde(default)]
    irregularities: Vec<TruthItem>,
}

/// Reads the `irregularities` of a generator's `ground-truth.json`.
pub fn parse_ground_truth(json: &str) -> Result<Vec<TruthItem>, ReconError> {
    if json.len() > MAX_GROUND_TRUTH_BYTES {
        return Err(ReconError::GroundTruthTooLarge {
            size: json.len(),
            limit: MAX_GROUND_TRUTH_BYTES,
        });
    }
    let file: GroundTruthFile =
        serde_json::from_str(json).map_err(|e| ReconError::GroundTruthJson {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    if file.irregularities.len() > MAX_TRUTH_ITEMS {
        return Err(ReconError::GroundTruthTooMany {
            count: file.irregularities.len(),
            limit: MAX_TRUTH_ITEMS,
        });
    }
    Ok(file.irregularities)
}

/// The place names of a pemda's configuration: its RKUD, holding and OPD receiving account
/// numbers, OPD codes and channel ids — the context refs of [`accuracy`].
pub fn context_from_config(cfg: &kasda_core::config::Config) -> HashSet<String> {
    let mut out = HashSet::new();
    for a in &cfg.rkud {
        out.insert(a.account_number.clone());
    }
    for h in &cfg.holding {
        out.insert(h.account_number.clone());
    }
    for o in &cfg.opd {
        out.insert(o.code.clone());
        if let Some(a) = &o.receiving_account {
            out.insert(a.clone());
        }
    }
    for c in &cfg.channel {
        out.insert(c.id.as_str().to_string());
    }
    out
}

fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// The identifying refs of each truth item (see the module documentation).
fn identifying_refs(truth: &[TruthItem], context: &HashSet<String>) -> Vec<Vec<String>> {
    let mut shared: HashMap<(&str, &str), usize> = HashMap::new();
    for t in truth {
        let unique: HashSet<&str> = t.refs.iter().map(String::as_str).collect();
        for r in unique {
            *shared.entry((t.finding_type.as_str(), r)).or_default() += 1;
        }
    }
    truth
        .iter()
        .map(|t| {
            let is_context = |r: &str| {
                context.contains(r) || shared.get(&(t.finding_type.as_str(), r)) > Some(&1)
            };
            let dates: Vec<&str> = t
                .date
                .iter()
                .map(String::as_str)
                .chain(t.refs.iter().map(String::as_str).filter(|r| is_date(r)))
                .collect();
            let mut ids: Vec<String> = Vec::new();
            for r in &t.refs {
                if is_date(r) {
                    continue;
                }
                if is_context(r) {
                    ids.extend(dates.iter().map(|d| format!("{r}:{d}")));
                } else {
                    ids.push(r.clone());
                }
            }
            if ids.is_empty() {
                ids = t.refs.clone();
            }
            ids
        })
        .collect()
}

/// Per-type precision and recall, for every type present in the findings or the truth, with no
/// context refs beyond those shared by several truth items of a type.
pub fn accuracy(findings: &[Finding], truth: &[TruthItem]) -> BTreeMap<String, TypeAccuracy> {
    accuracy_with_context(findings, truth, &HashSet::new())
}

/// Per-type precision and recall, treating `context` refs as places (see the module
/// documentation).
pub fn accuracy_with_context(
    findings: &[Finding],
    truth: &[TruthItem],
    context: &HashSet<String>,
) -> BTreeMap<String, TypeAccuracy> {
    let mut out: BTreeMap<String, TypeAccuracy> = BTreeMap::new();
    let ids = identifying_refs(truth, context);
    // (type, ref) → truth item indices.
    let mut index: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        out.entry(t.finding_type.clone()).or_default().truth += 1;
        for r in &ids[i] {
            index
                .entry((t.finding_type.as_str(), r.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut detected: HashSet<usize> = HashSet::new();
    for f in findings {
        let ty = f.finding_type.as_str();
        let stat = out.entry(ty.to_string()).or_default();
        stat.findings += 1;
        let mut hit = false;
        for r in &f.refs {
            if let Some(items) = index.get(&(ty, r.as_str())) {
                hit = true;
                detected.extend(items.iter().copied());
            }
        }
        if hit {
            stat.true_positives += 1;
        }
    }
    for i in detected {
        if let Some(t) = truth.get(i) {
            if let Some(stat) = out.get_mut(&t.finding_type) {
                stat.detected += 1;
            }
        }
    }
    for stat in out.values_mut() {
        stat.precision =
            (stat.findings > 0).then(|| stat.true_positives as f64 / stat.findings as f64);
        stat.recall = (stat.truth > 0).then(|| stat.detected as f64 / stat.truth as f64);
    }
    out
}
