//! `kasda reconcile` and `kasda findings`: load the period's facts from the store, run the pure
//! matcher (`kasda-recon`), append its match entries and record its findings.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, NaiveDate, Utc};
use kasda_core::config::Config;
use kasda_core::money::display_idr;
use kasda_recon::load::{load_input, LoadOptions};
use kasda_recon::{Finding, FindingType, Match, ReconConfig, ReconReport, Severity};
use kasda_store::{FindingInput, FindingStatus, NewEntry, RunInfo, RunKind, Store};
use serde::Serialize;

use super::{actor, ledger_of, load_config, open_store};
use crate::cli::{Cli, FindingsArgs, ReconcileArgs};
use crate::output::{self, Table};
use crate::{CmdResult, Failure};

#[derive(Debug, Clone, Serialize)]
pub struct ReconSummary {
    pub ledger: String,
    pub run_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub matches_new: usize,
    pub entries_appended: usize,
    pub entries_already_present: usize,
    pub per_rule: BTreeMap<String, (u64, String)>,
    pub unmatched_credit_lines: u64,
    pub unmatched_debit_lines: u64,
    pub unmatched_receipts: u64,
    pub findings_open: usize,
    pub findings_by_type: BTreeMap<String, (usize, String)>,
    pub warnings: Vec<String>,
    pub duration_ms: u128,
}

/// Runs reconciliation over `from..=to` as of `as_of` and writes its results to the store.
pub fn reconcile_store(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<(ReconSummary, ReconReport), Failure> {
    let started = std::time::Instant::now();
    let calendar = cfg.calendar().map_err(Failure::input)?;
    let rcfg = ReconConfig::from_config(cfg);

    let input = load_input(store, ledger, from, to, as_of, LoadOptions::default())
        .map_err(Failure::store)?;

    // The rules run first (findings and stats known); then each match is turned into its
    // entries as the engine hands it out and the store appends them as they come
    // (`Store::append_entries_from`), so neither the matches nor their entries are ever all held.
    // A fact of a closed period is booked on the first open day, naming its own date.
    let closed_through = store.closed_through(ledger).map_err(Failure::store)?;
    let recon = kasda_recon::Reconciled::new(&input, &rcfg, &calendar);
    let mut run = RunInfo::new(RunKind::Reconcile, actor());
    run.details = serde_json::json!({
        "from": from, "to": to, "as_of": as_of,
        "matcher": concat!("kasda-recon ", env!("CARGO_PKG_VERSION")),
        "stats": recon.report().stats,
    });
    let matches_new = recon.match_count();
    let mut failed: Option<Failure> = None;
    let appended = store.append_entries_from(ledger, run, &mut |sink| {
        recon.try_each_match(|m| {
            let built = kasda_recon::match_entries(&m).map_err(|e| {
                let shown = kasda_store::StoreError::backend("match entries", &e);
                failed = Some(Failure::input(e));
                shown
            })?;
            entries_of_match(&m, built, closed_through)
                .into_iter()
                .try_for_each(&mut *sink)
        })
    });
    if let Some(f) = failed {
        return Err(f);
    }
    let appended = appended.map_err(Failure::store)?;
    let out = recon.into_report();

    // Findings: new and still-open ones as reported now; open ones no longer reported resolve.
    let mut inputs: Vec<FindingInput> = out.findings.iter().map(finding_input).collect();
    let reported: HashSet<&str> = out.findings.iter().map(|f| f.id.as_str()).collect();
    for old in store.findings(ledger, true).map_err(Failure::store)? {
        if !reported.contains(old.finding.id.as_str()) {
            let mut f = old.finding.clone();
            f.status = FindingStatus::Resolved;
            f.as_of = as_of;
            inputs.push(f);
        }
    }
    store
        .record_findings(ledger, appended.run_id, &inputs)
        .map_err(Failure::store)?;

    let mut by_type: BTreeMap<String, (usize, rust_decimal::Decimal)> = BTreeMap::new();
    for f in &out.findings {
        let e = by_type
            .entry(f.finding_type.as_str().to_string())
            .or_default();
        e.0 += 1;
        e.1 += f.amount;
    }
    let summary = ReconSummary {
        ledger: ledger.to_string(),
        run_id: appended.run_id,
        from,
        to,
        as_of,
        matches_new,
        entries_appended: appended.appended.len(),
        entries_already_present: appended.duplicates.len(),
        per_rule: out
            .stats
            .per_rule
            .iter()
            .map(|(k, v)| (k.clone(), (v.count, display_idr(v.amount))))
            .collect(),
        unmatched_credit_lines: out.stats.unmatched_credit_lines,
        unmatched_debit_lines: out.stats.unmatched_debit_lines,
        unmatched_receipts: out.stats.unmatched_receipts,
        findings_open: out.findings.len(),
        findings_by_type: by_type
            .into_iter()
            .map(|(k, (n, a))| (k, (n, display_idr(a))))
            .collect(),
        warnings: out.warnings.clone(),
        duration_ms: started.elapsed().as_millis(),
    };
    Ok((summary, out))
}

/// The entries of one match, ready to append: the first names the facts it joins; any booked in
/// a closed period moves to the first open day with its own date in the memo.
fn entries_of_match(
    m: &Match,
    built: Vec<kasda_core::ledger::JournalEntry>,
    closed_through: Option<NaiveDate>,
) -> Vec<NewEntry> {
    built
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            if let Some(closed) = closed_through {
                if e.booked_on <= closed {
                    let fact_date = e.booked_on;
                    e.booked_on = closed + Duration::days(1);
                    e.memo = format!("[fakta periode tertutup {fact_date}] {}", e.memo)
                        .chars()
                        .take(kasda_core::ledger::MAX_ENTRY_TEXT)
                        .collect();
                }
            }
            let joins = if i == 0 {
                m.line_ids.iter().chain(&m.document_ids).cloned().collect()
            } else {
                Vec::new()
            };
            NewEntry { entry: e, joins }
        })
        .collect()
}

/// A finding as the store records it.
fn finding_input(f: &Finding) -> FindingInput {
    FindingInput {
        id: f.id.clone(),
        rule: f.finding_type.as_str().to_string(),
        severity: f.severity.as_str().to_string(),
        status: FindingStatus::Open,
        summary: f.explanation.clone(),
        amount: Some(f.amount),
        as_of: f.first_seen,
        details: serde_json::to_value(f).unwrap_or_default(),
    }
}

/// The period a command works on: `--from`/`--to`, defaulting to the configured fiscal year up
/// to today.
fn period(cfg: &Config, from: Option<NaiveDate>, to: Option<NaiveDate>) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let start =
        from.unwrap_or_else(|| NaiveDate::from_ymd_opt(cfg.fiscal_year, 1, 1).unwrap_or(today));
    let end = to.unwrap_or_else(|| {
        NaiveDate::from_ymd_opt(cfg.fiscal_year, 12, 31)
            .unwrap_or(today)
            .min(today)
            .max(start)
    });
    (start, end)
}

pub fn run(cli: &Cli, a: &ReconcileArgs) -> CmdResult {
    let cfg = load_config(&cli.config)?;
    let (from, to) = period(&cfg, a.from, a.to);
    let as_of = a.as_of.unwrap_or(to);
    let _lock = super::ledger::run_lock(&cli.db)?;
    let mut store = open_store(&cli.db)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;
    let (summary, out) = reconcile_store(store.as_mut(), &ledger, &cfg, from, to, as_of)?;
    for w in &summary.warnings {
        tracing::warn!(warning = %w, "reconcile");
    }
    print_summary(cli, &summary)?;
    fail_on(a.fail_on.as_deref(), &out.findings)
}

pub fn print_summary(cli: &Cli, s: &ReconSummary) -> CmdResult {
    let mut t = Table::new(["item", "count", "amount"]).numeric(&[1, 2]).titled(format!(
        "reconciliation {} .. {} (as of {}), run #{}: {} new matches, {} entries appended, {} already present, {} ms",
        s.from, s.to, s.as_of, s.run_id, s.matches_new, s.entries_appended, s.entries_already_present, s.duration_ms
    ));
    for (rule, (n, amount)) in &s.per_rule {
        t.push([format!("matched by {rule}"), n.to_string(), amount.clone()]);
    }
    t.push([
        "unmatched credit lines".to_string(),
        s.unmatched_credit_lines.to_string(),
        String::new(),
    ]);
    t.push([
        "unmatched debit lines".to_string(),
        s.unmatched_debit_lines.to_string(),
        String::new(),
    ]);
    t.push([
        "unmatched receipts".to_string(),
        s.unmatched_receipts.to_string(),
        String::new(),
    ]);
    for (ty, (n, amount)) in &s.findings_by_type {
        t.push([format!("finding {ty}"), n.to_string(), amount.clone()]);
    }
    let json = serde_json::to_value(s).map_err(Failure::input)?;
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
}

/// Exit 1 when any finding is at or above `--fail-on`.
pub fn fail_on(level: Option<&str>, findings: &[Finding]) -> CmdResult {
    let Some(level) = level else { return Ok(()) };
    let min = Severity::parse(level).ok_or_else(|| {
        Failure::input(anyhow::anyhow!(
            "--fail-on {level}: expected one of info, low, medium, high, critical"
        ))
    })?;
    let n = findings.iter().filter(|f| f.severity >= min).count();
    if n > 0 {
        Err(Failure::Findings(format!(
            "{n} finding(s) at or above {}",
            min.as_str()
        )))
    } else {
        Ok(())
    }
}

pub fn findings(cli: &Cli, a: &FindingsArgs) -> CmdResult {
    let cfg = load_config(&cli.config)?;
    let mut store = open_store(&cli.db)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;
    if let Some(t) = &a.finding_type {
        if FindingType::parse(t).is_none() {
            return Err(Failure::input(anyhow::anyhow!(
                "--type {t}: not a finding type"
            )));
        }
    }
    let min = match &a.severity {
        Some(s) => Some(Severity::parse(s).ok_or_else(|| {
            Failure::input(anyhow::anyhow!(
                "--severity {s}: expected one of info, low, medium, high, critical"
            ))
        })?),
        None => None,
    };
    let records = store.findings(&ledger, a.open).map_err(Failure::store)?;
    let mut rows: Vec<(Finding, &'static str)> = Vec::new();
    for r in &records {
        let Ok(f) = serde_json::from_value::<Finding>(r.finding.details.clone()) else {
            continue;
        };
        if a.finding_type
            .as_deref()
            .is_some_and(|t| f.finding_type.as_str() != t)
        {
            continue;
        }
        if min.is_some_and(|m| f.severity < m) {
            continue;
        }
        rows.push((f, r.status.as_str()));
    }
    let mut t = Table::new([
        "id",
        "type",
        "severity",
        "status",
        "amount",
        "account",
        "first_seen",
        "due",
        "age",
        "refs",
        "explanation",
    ])
    .numeric(&[4, 8]);
    for (f, status) in &rows {
        t.push([
            f.id.clone(),
            f.finding_type.as_str().to_string(),
            f.severity.as_str().to_string(),
            status.to_string(),
            display_idr(f.amount),
            f.account.clone().unwrap_or_default(),
            f.first_seen.to_string(),
            f.due.map(|d| d.to_string()).unwrap_or_default(),
            f.age_working_days.to_string(),
            f.refs.join(" "),
            f.explanation.clone(),
        ]);
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(f, status)| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            v["status"] = serde_json::Value::String(status.to_string());
            v
        })
        .collect();
    output::print(cli.format, &t, Some(&serde_json::Value::Array(json))).map_err(Failure::input)?;
    let open: Vec<Finding> = rows
        .into_iter()
        .filter(|(_, s)| *s == "open")
        .map(|(f, _)| f)
        .collect();
    fail_on(a.fail_on.as_deref(), &open)
}
