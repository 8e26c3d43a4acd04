//! Measured accuracy: the generator's synthetic pemda with injected leakage of every type, read
//! by the real readers, imported into the in-memory store, loaded the way `kasda reconcile` loads
//! it, reconciled, and scored against the ground truth per finding type.
//!
//! Two scenarios:
//! * realistic noise (truncated and reformatted references, fees, batch settlements, reversals,
//!   weekends and holidays): precision and recall must reach [`GOAL`] for every type;
//! * the same data with every reference and narrative stripped from the bank lines (amount, date,
//!   account and counterparty only): recall must stay at or above [`STRIPPED_RECALL_FLOOR`] for
//!   every type whose detection does not itself read a reference (see [`NEEDS_TEXT`]).
//!
//! `KASDA_ACCURACY_TABLE=<path>` writes the per-type tables to a file (used for the notes);
//! `KASDA_ACCURACY_SCENARIO=<profile>,<seed>,<days>,<volume %>,<leak ppm>` runs that one
//! scenario instead (e.g. `kota-serang-like,20260301,30,100,2000`, the demo's month; use
//! `--release`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use kasda_core::config::Config;
use kasda_core::posting::AccountRole;
use kasda_documents::{Duplicates, ReadOptions};
use kasda_gen::{GenOptions, Profile, FINDING_TYPES};
use kasda_recon::load::{load_input, LoadOptions};
use kasda_recon::{
    accuracy_with_context, context_from_config, parse_ground_truth, ReconConfig, TruthItem,
    TypeAccuracy,
};
use kasda_store::{LedgerInfo, MemoryStore, SourceFile, Store};
use sha2::{Digest, Sha256};

/// Precision and recall every finding type must reach with realistic noise.
const GOAL: f64 = 0.99;

/// Recall every reference-independent type must keep, over all scenarios, when the bank lines
/// carry no references. Not 1.0: a payment of a common amount (Rp5.000, Rp13.500 retribusi) that
/// never arrived cannot be told from its identical twins by amount and day alone; the engine then
/// flags one of the twins (right amount and day, another NTPD), which scores as a miss. The more
/// payments a day, the more twins: unremitted_receipt measured 0.898 over the three quick
/// scenarios and 0.794 over the demo's month at full volume (kota-serang-like, 30 days, 100%).
const STRIPPED_RECALL_FLOOR: f64 = 0.75;

/// Types whose evidence is an amount that, by definition, differs from the document's, so only a
/// reference on the bank line can tie the line to its document: a settlement short of its batch
/// (fee_over_agreement), a batch credit arriving after the date window (late_settlement, found by
/// the channel named in the narrative) and a debit differing from its SP2D (sp2d_amount_mismatch).
/// Without references these lines stay unexplained and are reported as unidentified credits or
/// debits without SP2D instead; their recall is measured and reported, not asserted.
const NEEDS_TEXT: [&str; 3] = [
    "fee_over_agreement",
    "late_settlement",
    "sp2d_amount_mismatch",
];

struct Scenario {
    profile: Profile,
    seed: u64,
    days: u32,
    volume_percent: u32,
    leak_rate_ppm: u32,
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        profile: Profile::KotaKecil,
        seed: 11,
        days: 24,
        volume_percent: 25,
        leak_rate_ppm: 10_000,
    },
    Scenario {
        profile: Profile::KotaKecil,
        seed: 20260301,
        days: 24,
        volume_percent: 25,
        leak_rate_ppm: 10_000,
    },
    Scenario {
        profile: Profile::KotaSerangLike,
        seed: 7,
        days: 21,
        volume_percent: 10,
        leak_rate_ppm: 10_000,
    },
];

struct Outcome {
    per_type: BTreeMap<String, TypeAccuracy>,
}

fn from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).expect("valid date")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list generated dir") {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                if !(name.ends_with(".toml")
                    || name == "ground-truth.json"
                    || name.starts_with('.'))
                {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

fn role_of(cfg: &Config, number: &str) -> AccountRole {
    use kasda_core::config::AccountRole as R;
    match cfg.account_role(number) {
        Some(R::Rkud) => AccountRole::Rkud,
        Some(R::Holding) => AccountRole::Holding,
        Some(R::OpdReceiving) => match cfg.opd_by_account(number) {
            Some(opd) => AccountRole::OpdReceiving {
                opd: opd.code.clone(),
            },
            None => AccountRole::Unregistered,
        },
        None => AccountRole::Unregistered,
    }
}

/// Imports every generated file into a fresh in-memory store, as `kasda import` does.
fn import(dir: &Path, cfg: &Config, now: chrono::DateTime<Utc>) -> (MemoryStore, String) {
    let mut store = MemoryStore::new();
    let ledger = cfg.pemda.code.clone();
    store
        .ensure_ledger(&LedgerInfo {
            code: ledger.clone(),
            name: cfg.pemda.name.clone(),
        })
        .expect("ledger");
    for path in files_under(dir) {
        let bytes = std::fs::read(&path).expect("read generated file");
        let name = path.display().to_string();
        let short = path.file_name().unwrap().to_string_lossy().to_string();
        let sha = hex::encode(Sha256::digest(&bytes));
        let batch = if kasda_documents::detect_kind(&bytes).is_some() {
            let mut ropts = ReadOptions::new(now);
            ropts.duplicates = Duplicates::Report;
            let docs = kasda_documents::read_documents(&name, &bytes, &ropts)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let file = SourceFile {
                name: short,
                sha256: sha,
                size_bytes: bytes.len() as u64,
                format: docs.kind.as_str().to_string(),
                imported_by: "test".into(),
            };
            let rows = docs
                .documents
                .into_iter()
                .map(|(row, d)| (u32::try_from(row.line).unwrap_or(u32::MAX), d))
                .collect();
            kasda_store::build_document_batch(file, rows).expect("document batch")
        } else {
            let sf = kasda_statement::read_bytes(&name, &bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let file = SourceFile {
                name: short,
                sha256: sha,
                size_bytes: bytes.len() as u64,
                format: sf.format.as_ref().map(|f| f.id()).unwrap_or_default(),
                imported_by: "test".into(),
            };
            kasda_store::build_import_batch(file, &sf, &|n: &str| role_of(cfg, n))
                .expect("statement batch")
        };
        store.import_file(&ledger, batch).expect("import");
    }
    (store, ledger)
}

/// Generates, imports and reconciles one scenario; scores both the full and the stripped run.
fn run(s: &Scenario) -> (Outcome, Outcome, Vec<TruthItem>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut opts = GenOptions::new(s.profile, from(), s.days, s.seed);
    opts.leak_rate_ppm = s.leak_rate_ppm;
    opts.volume_percent = s.volume_percent;
    opts.documents_csv = false;
    kasda_gen::generate(&opts, tmp.path()).expect("generate");
    let cfg = Config::load(&tmp.path().join("kasda.toml")).expect("generated config");
    let truth_text =
        std::fs::read_to_string(tmp.path().join("ground-truth.json")).expect("ground truth");
    let truth = parse_ground_truth(&truth_text).expect("ground truth parses");
    let to = from() + Duration::days(i64::from(s.days) - 1);
    let now = Utc.from_utc_datetime(
        &(to + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .expect("midnight"),
    );
    let (mut store, ledger) = import(tmp.path(), &cfg, now);
    let rcfg = ReconConfig::from_config(&cfg);
    let calendar = cfg.calendar().expect("calendar");
    let context = context_from_config(&cfg);
    let score = |strip: bool, store: &mut MemoryStore| {
        let input = load_input(
            store,
            &ledger,
            from(),
            to,
            to,
            LoadOptions {
                strip_references: strip,
            },
        )
        .expect("load the period's facts");
        let out = kasda_recon::reconcile(&input, &rcfg, &calendar);
        if let Ok(dir) = std::env::var("KASDA_ACCURACY_DUMP") {
            let path = Path::new(&dir).join(format!(
                "{}-{}-{}.json",
                s.profile.as_str(),
                s.seed,
                if strip { "stripped" } else { "full" }
            ));
            let matches: Vec<_> = out
                .matches
                .iter()
                .map(|m| serde_json::json!([m.rule.as_str(), m.line_ids, m.document_ids]))
                .collect();
            let json = serde_json::json!({
                "findings": out.findings,
                "matches": matches,
                "truth": truth_text_value(&truth_text),
            });
            std::fs::write(path, serde_json::to_string_pretty(&json).expect("json"))
                .expect("write dump");
        }
        Outcome {
            per_type: accuracy_with_context(&out.findings, &truth, &context),
        }
    };
    let full = score(false, &mut store);
    let stripped = score(true, &mut store);
    (full, stripped, truth)
}

/// `<profile>,<seed>,<days>,<volume %>,<leak ppm>` of `KASDA_ACCURACY_SCENARIO`.
fn parse_scenario(text: &str) -> Scenario {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad = || {
        panic!(
            "KASDA_ACCURACY_SCENARIO: expected <profile>,<seed>,<days>,<volume %>,<leak ppm>, found {text:?}"
        )
    };
    let [profile, seed, days, volume, leak] = parts.as_slice() else {
        bad()
    };
    Scenario {
        profile: Profile::parse(profile).unwrap_or_else(|_| bad()),
        seed: seed.parse().unwrap_or_else(|_| bad()),
        days: days.parse().unwrap_or_else(|_| bad()),
        volume_percent: volume.parse().unwrap_or_else(|_| bad()),
        leak_rate_ppm: leak.parse().unwrap_or_else(|_| bad()),
    }
}

/// The generator's ground truth as JSON, for `KASDA_ACCURACY_DUMP`.
fn truth_text_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("ground truth is JSON")
}

fn fmt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "-".into())
}

/// Sums per-type counts over scenarios and recomputes the ratios.
fn total(outcomes: &[&Outcome]) -> BTreeMap<String, TypeAccuracy> {
    let mut out: BTreeMap<String, TypeAccuracy> = BTreeMap::new();
    for o in outcomes {
        for (ty, a) in &o.per_type {
            let t = out.entry(ty.clone()).or_default();
            t.findings += a.findings;
            t.truth += a.truth;
            t.true_positives += a.true_positives;
            t.detected += a.detected;
        }
    }
    for a in out.values_mut() {
        a.precision = (a.findings > 0).then(|| a.true_positives as f64 / a.findings as f64);
        a.recall = (a.truth > 0).then(|| a.detected as f64 / a.truth as f64);
    }
    out
}

fn table(title: &str, acc: &BTreeMap<String, TypeAccuracy>) -> String {
    let mut t = format!(
        "\n{title}\n\n| finding type | truth | findings | true pos. | detected | precision | recall |\n|---|---:|---:|---:|---:|---:|---:|\n"
    );
    for (ty, a) in acc {
        t.push_str(&format!(
            "| {ty} | {} | {} | {} | {} | {} | {} |\n",
            a.truth,
            a.findings,
            a.true_positives,
            a.detected,
            fmt(a.precision),
            fmt(a.recall)
        ));
    }
    t
}

#[test]
fn every_finding_type_reaches_the_accuracy_goal_and_recall_holds_without_references() {
    let mut fulls = Vec::new();
    let mut strips = Vec::new();
    let mut seen_types: HashSet<String> = HashSet::new();
    let mut report = String::new();
    let custom = std::env::var("KASDA_ACCURACY_SCENARIO")
        .ok()
        .map(|v| parse_scenario(&v));
    let scenarios: &[Scenario] = match &custom {
        Some(s) => std::slice::from_ref(s),
        None => &SCENARIOS,
    };
    for s in scenarios {
        let (full, stripped, truth) = run(s);
        seen_types.extend(truth.iter().map(|t| t.finding_type.clone()));
        report.push_str(&table(
            &format!(
                "{} seed {} ({} days, volume {}%, leak rate {} ppm), realistic noise",
                s.profile.as_str(),
                s.seed,
                s.days,
                s.volume_percent,
                s.leak_rate_ppm
            ),
            &full.per_type,
        ));
        report.push_str(&table(
            &format!(
                "{} seed {}, references stripped from the bank lines",
                s.profile.as_str(),
                s.seed
            ),
            &stripped.per_type,
        ));
        fulls.push(full);
        strips.push(stripped);
    }
    let full = total(&fulls.iter().collect::<Vec<_>>());
    let stripped = total(&strips.iter().collect::<Vec<_>>());
    report.push_str(&table("All scenarios, realistic noise", &full));
    report.push_str(&table("All scenarios, references stripped", &stripped));
    println!("{report}");
    if let Ok(path) = std::env::var("KASDA_ACCURACY_TABLE") {
        std::fs::write(&path, &report).expect("write accuracy table");
    }

    let mut failures = Vec::new();
    for ty in FINDING_TYPES {
        if !seen_types.contains(ty) {
            failures.push(format!("{ty}: never injected, so its accuracy is vacuous"));
            continue;
        }
        let a = full.get(ty).cloned().unwrap_or_default();
        if a.truth == 0 {
            failures.push(format!("{ty}: no truth items"));
        }
        for (what, v) in [("precision", a.precision), ("recall", a.recall)] {
            match v {
                Some(x) if x >= GOAL => {}
                _ => failures.push(format!("{ty}: {what} {} below {GOAL}", fmt(v))),
            }
        }
        if !NEEDS_TEXT.contains(&ty) {
            let b = stripped.get(ty).cloned().unwrap_or_default();
            match b.recall {
                Some(x) if x >= STRIPPED_RECALL_FLOOR => {}
                v => failures.push(format!(
                    "{ty}: recall without references {} below {STRIPPED_RECALL_FLOOR}",
                    fmt(v)
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}\n{report}", failures.join("\n"));
}
