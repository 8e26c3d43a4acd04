//! Precision and recall of findings against a generator's ground truth.
//!
//! A finding detects a truth item when the types are equal and their refs share at least one
//! value. Precision of a type = findings of that type that detect some truth item / findings of
//! that type; recall = truth items of that type detected by some finding / truth items.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::ReconError;
use crate::findings::Finding;

/// Largest ground-truth file accepted.
pub const MAX_GROUND_TRUTH_BYTES: usize = 512 * 1024 * 1024;
/// Most irregularities accepted from one ground-truth file.
pub const MAX_TRUTH_ITEMS: usize = 10_000_000;

/// One injected irregularity. Extra fields of the generator (`amount`, `date`, `note`) are
/// ignored here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthItem {
    #[serde(rename = "type")]
    pub finding_type: String,
    #[serde(default)]
    pub refs: Vec<String>,
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

/// Per-type precision and recall, for every type present in the findings or the truth.
pub fn accuracy(findings: &[Finding], truth: &[TruthItem]) -> BTreeMap<String, TypeAccuracy> {
    let mut out: BTreeMap<String, TypeAccuracy> = BTreeMap::new();
    // (type, ref) → truth item indices.
    let mut index: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        out.entry(t.finding_type.clone()).or_default().truth += 1;
        for r in &t.refs {
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
