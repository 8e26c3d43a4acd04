//! End-to-end tests of the generator: determinism, volumes, statement arithmetic and
//! continuity (read back with the real readers), documents readable by `kasda-documents`, and a
//! ground truth that names every finding type.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::money::{parse_amount, NumberFormat};
use kasda_core::statement::{StatementFile, StatementFormat};
use kasda_core::Direction;
use kasda_gen::{daily_receipt_bounds, generate, GenOptions, Profile, FINDING_TYPES};
use rust_decimal::Decimal;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, base, out);
        } else {
            out.insert(
                p.strip_prefix(base).unwrap().to_path_buf(),
                std::fs::read(&p).unwrap(),
            );
        }
    }
}

fn all_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn opts(profile: Profile, from: NaiveDate, days: u32, seed: u64, leak_ppm: u32) -> GenOptions {
    let mut o = GenOptions::new(profile, from, days, seed);
    o.leak_rate_ppm = leak_ppm;
    o
}

#[test]
fn same_seed_gives_byte_identical_output_and_another_seed_does_not() {
    let o = opts(Profile::KotaKecil, d(2026, 3, 16), 8, 42, 5_000);
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ra = generate(&o, a.path()).unwrap();
    let rb = generate(&o, b.path()).unwrap();
    assert_eq!(ra, rb);
    let fa = all_files(a.path());
    let fb = all_files(b.path());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(
            fb[k] == *v,
            "{} differs between two runs with the same seed",
            k.display()
        );
    }
    // Every file the report lists exists, and nothing else was written.
    let listed: BTreeSet<PathBuf> = ra.files.iter().cloned().collect();
    assert_eq!(listed, fa.keys().cloned().collect::<BTreeSet<_>>());

    let c = tempfile::tempdir().unwrap();
    let mut o2 = o.clone();
    o2.seed = 43;
    generate(&o2, c.path()).unwrap();
    let fc = all_files(c.path());
    let receipts = PathBuf::from("documents/receipts-2026-03-16.jsonl");
    assert_ne!(fa[&receipts], fc[&receipts]);
}

#[test]
fn kota_volumes_stay_in_bounds_and_peak_at_the_pbb_due_date() {
    for (profile, from, days) in [
        (Profile::KotaKecil, d(2026, 1, 1), 35),
        (Profile::KotaSerangLike, d(2026, 8, 20), 16),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let r = generate(&opts(profile, from, days, 3, 0), dir.path()).unwrap();
        let (lo, hi) = daily_receipt_bounds(profile, 100);
        assert_eq!(r.receipts_per_day.len(), days as usize);
        for (date, n) in &r.receipts_per_day {
            assert!(
                (lo..=hi).contains(n),
                "{profile:?} {date}: {n} receipts outside {lo}..={hi}"
            );
        }
        let total: u64 = r.receipts_per_day.iter().map(|(_, n)| n).sum();
        assert_eq!(r.counts["receipts"], total);
        if profile == Profile::KotaSerangLike {
            // The last days of August (PBB-P2 due) are the peak: thousands a day.
            let peak = r.receipts_per_day.iter().max_by_key(|(_, n)| *n).unwrap();
            assert!(
                peak.0 >= d(2026, 8, 26) && peak.0 <= d(2026, 8, 31),
                "peak on {}",
                peak.0
            );
            assert!(peak.1 >= 5_000, "peak of {} receipts", peak.1);
            let september = r
                .receipts_per_day
                .iter()
                .filter(|(dt, _)| *dt >= d(2026, 9, 1));
            assert!(september.clone().all(|(_, n)| *n < peak.1 / 2));
        } else {
            // Ordinary kota kecil weekdays: hundreds to low thousands.
            let weekday_mean = total / days as u64;
            assert!((200..=2_000).contains(&weekday_mean), "mean {weekday_mean}");
        }
    }
}

#[test]
fn province_day_is_about_two_hundred_thousand_receipts() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(Profile::Provinsi, d(2026, 6, 2), 1, 9, 0);
    o.documents_csv = false;
    let r = generate(&o, dir.path()).unwrap();
    let (lo, hi) = daily_receipt_bounds(Profile::Provinsi, 100);
    let n = r.receipts_per_day[0].1;
    assert!(
        (lo..=hi).contains(&n) && (150_000..=260_000).contains(&n),
        "{n}"
    );
    let text =
        std::fs::read_to_string(dir.path().join("documents/receipts-2026-06-02.jsonl")).unwrap();
    let paid = text
        .lines()
        .filter(|l| l.contains("\"status\":\"paid\""))
        .count() as u64;
    assert_eq!(
        paid, n,
        "one paid record per drawn receipt when nothing is injected"
    );
}

/// What one statement file says, reduced to what continuity checks need.
#[derive(Debug)]
struct Day {
    opening: Decimal,
    closing: Decimal,
    seq: u64,
}

fn from_core(file: &StatementFile, name: &str) -> Option<Day> {
    assert!(
        !file
            .warnings
            .iter()
            .any(|w| w.starts_with("balance-mismatch") || w.starts_with("sequence-gap")),
        "{name}: {:?}",
        file.warnings
    );
    let first = file.statements.first().expect("a statement");
    let last = file.statements.last().expect("a statement");
    let mut net = Decimal::ZERO;
    for s in &file.statements {
        for e in &s.entries {
            net += e.signed_amount();
        }
    }
    // A CSV export of a day without movements has no rows and so no balances.
    let Some(opening) = first.opening().map(|b| b.amount) else {
        assert_eq!(net, Decimal::ZERO, "{name}: entries without balances");
        assert!(
            matches!(file.format, Some(StatementFormat::Csv(_))),
            "{name}: no opening balance"
        );
        return None;
    };
    let closing = last.closing().expect("closing").amount;
    assert_eq!(
        opening + net,
        closing,
        "{name}: opening + credits - debits != closing"
    );
    let seq = first
        .electronic_seq
        .as_deref()
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !matches!(file.format, Some(StatementFormat::Csv(_))) {
        assert!(seq > 0, "{name}: no sequence number");
    }
    Some(Day {
        opening,
        closing,
        seq,
    })
}

#[derive(serde::Deserialize)]
struct Item {
    #[serde(rename = "type")]
    kind: String,
    refs: Vec<String>,
    amount: String,
}

#[derive(serde::Deserialize)]
struct Truth {
    seed: u64,
    irregularities: Vec<Item>,
    noise: Vec<Item>,
}

#[test]
fn statements_balance_and_continue_except_where_injected() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(Profile::KotaKecil, d(2026, 5, 4), 21, 11, 20_000);
    generate(&o, dir.path()).unwrap();
    let truth: Truth =
        serde_json::from_slice(&std::fs::read(dir.path().join("ground-truth.json")).unwrap())
            .unwrap();
    assert_eq!(truth.seed, 11);
    let mut gaps: BTreeSet<(String, String)> = BTreeSet::new();
    let mut breaks: BTreeSet<(String, String)> = BTreeSet::new();
    for i in &truth.irregularities {
        match i.kind.as_str() {
            "statement_gap" => {
                gaps.insert((i.refs[0].clone(), i.refs[1].clone()));
            }
            "balance_discontinuity" => {
                breaks.insert((i.refs[0].clone(), i.refs[1].clone()));
            }
            _ => {}
        }
    }
    assert!(!gaps.is_empty() && !breaks.is_empty());
    let mut checked = 0;
    for acct in std::fs::read_dir(dir.path().join("statements")).unwrap() {
        let acct = acct.unwrap().path();
        let acct_no = acct.file_name().unwrap().to_string_lossy().to_string();
        let mut days: Vec<(NaiveDate, Option<Day>)> = Vec::new();
        let mut names: Vec<PathBuf> = std::fs::read_dir(&acct)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            let name = p.display().to_string();
            let date: NaiveDate = p.file_stem().unwrap().to_string_lossy().parse().unwrap();
            let file = kasda_statement::read_file(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            if p.extension().unwrap() == "csv" {
                let expected = if acct_no.starts_with("1370") {
                    "csv:mandiri-rekening-koran"
                } else {
                    "csv:bank-jatim"
                };
                assert_eq!(
                    file.format.as_ref().map(|f| f.id()).as_deref(),
                    Some(expected),
                    "{name}"
                );
            }
            let day = from_core(&file, &name);
            days.push((date, day));
            checked += 1;
        }
        for w in days.windows(2) {
            let (prev_date, prev) = &w[0];
            let (date, cur) = &w[1];
            let key = (acct_no.clone(), date.to_string());
            let (Some(prev), Some(cur)) = (prev, cur) else {
                continue;
            };
            if *date != prev_date.succ_opt().unwrap() {
                // A day is missing: it must be an injected gap; the sequence skips it and its
                // lines open the next statement, so the balances still continue.
                let missing = (acct_no.clone(), prev_date.succ_opt().unwrap().to_string());
                assert!(
                    gaps.contains(&missing),
                    "{missing:?} missing without a statement_gap"
                );
                if cur.seq != 0 {
                    assert_eq!(cur.seq, prev.seq + 2, "{key:?}");
                }
                if !breaks.contains(&key) {
                    assert_eq!(cur.opening, prev.closing, "{key:?}: opening after a gap");
                }
                continue;
            }
            if cur.seq != 0 {
                assert_eq!(cur.seq, prev.seq + 1, "{key:?} sequence");
            }
            if breaks.contains(&key) {
                assert!(
                    cur.opening < prev.closing,
                    "{key:?}: injected discontinuity not visible"
                );
            } else {
                assert_eq!(
                    cur.opening, prev.closing,
                    "{key:?}: opening != previous closing"
                );
            }
        }
    }
    assert!(checked >= 4 * 20, "{checked} statement files");
}

#[test]
fn every_finding_type_is_injected_and_none_without_a_leak_rate() {
    let dir = tempfile::tempdir().unwrap();
    let r = generate(
        &opts(Profile::KotaSerangLike, d(2026, 4, 6), 15, 5, 1_000),
        dir.path(),
    )
    .unwrap();
    let truth: Truth =
        serde_json::from_slice(&std::fs::read(dir.path().join("ground-truth.json")).unwrap())
            .unwrap();
    for t in FINDING_TYPES {
        let n = truth.irregularities.iter().filter(|i| i.kind == t).count() as u64;
        assert!(n >= 1, "{t} not injected");
        assert_eq!(
            r.irregularities.get(t).copied(),
            Some(n),
            "{t}: report and ground truth disagree"
        );
    }
    for i in truth.irregularities.iter().chain(truth.noise.iter()) {
        assert!(!i.refs.is_empty(), "{} without refs", i.kind);
        let a = parse_amount(&i.amount, NumberFormat::Plain, 2).unwrap();
        assert!(a >= Decimal::ZERO);
    }
    // Non-leakage noise is there to measure false positives.
    for kind in [
        "batch_settlement",
        "agreed_fee",
        "sp2d_narrative_truncated",
        "weekend_holiday_lag",
    ] {
        assert!(
            truth.noise.iter().any(|i| i.kind == kind),
            "no {kind} noise"
        );
    }

    let clean = tempfile::tempdir().unwrap();
    let r0 = generate(
        &opts(Profile::KotaSerangLike, d(2026, 4, 6), 5, 5, 0),
        clean.path(),
    )
    .unwrap();
    assert!(r0.irregularities.is_empty());
    let t0: Truth =
        serde_json::from_slice(&std::fs::read(clean.path().join("ground-truth.json")).unwrap())
            .unwrap();
    assert!(t0.irregularities.is_empty() && !t0.noise.is_empty());
}

#[test]
fn documents_read_back_with_kasda_documents() {
    let dir = tempfile::tempdir().unwrap();
    let r = generate(
        &opts(Profile::KotaKecil, d(2026, 2, 9), 6, 21, 5_000),
        dir.path(),
    )
    .unwrap();
    let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for rel in r.files.iter().filter(|p| p.starts_with("documents")) {
        let bytes = std::fs::read(dir.path().join(rel)).unwrap();
        let name = rel.display().to_string();
        let mut ro = kasda_documents::ReadOptions::new(now);
        // Injected duplicates must reach the detectors, not be refused at the door.
        ro.duplicates = kasda_documents::Duplicates::Report;
        let batch = kasda_documents::read_documents(&name, &bytes, &ro)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(batch.quarantined.is_empty(), "{name}");
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        let expected = if name.ends_with(".csv") {
            lines - 1
        } else {
            lines
        };
        assert_eq!(batch.documents.len(), expected, "{name}");
        if name.ends_with(".jsonl") {
            *per_kind.entry(batch.kind.as_str().to_string()).or_insert(0) += batch.documents.len();
        }
    }
    assert_eq!(
        per_kind.get("sts").copied().unwrap_or(0) as u64,
        r.counts["sts"]
    );
    assert_eq!(
        per_kind.get("sp2d").copied().unwrap_or(0) as u64,
        r.counts["sp2d"]
    );
    assert!(per_kind["receipts"] as u64 >= r.counts["receipts"]);
}

#[test]
fn camt_v02_and_csv_formats_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(Profile::KotaKecil, d(2026, 7, 1), 3, 2, 0);
    o.formats.bpd = kasda_gen::StatementFormatOut::Camt053V02;
    o.formats.other_bank = kasda_gen::StatementFormatOut::CsvMandiriRekeningKoran;
    let r = generate(&o, dir.path()).unwrap();
    let camt: Vec<&PathBuf> = r
        .files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    assert_eq!(camt.len(), 3);
    for p in camt {
        let text = std::fs::read_to_string(dir.path().join(p)).unwrap();
        assert!(text.contains("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"));
        assert!(text.contains("<BIC>") && !text.contains("<BICFI>"));
        let f = kasda_statement::read_file(&dir.path().join(p)).unwrap();
        assert_eq!(f.version.as_deref(), Some("053.001.02"));
        assert!(from_core(&f, &p.display().to_string()).is_some());
    }
    let toml = std::fs::read_to_string(dir.path().join("kasda.toml")).unwrap();
    assert!(toml.contains("statement_format = \"csv:mandiri-rekening-koran\""));
    assert!(toml.contains("fiscal_year = 2026"));
    let _ = Direction::Credit;
}

#[test]
fn kasda_toml_is_a_valid_config_for_every_profile() {
    for profile in [
        Profile::KotaKecil,
        Profile::KotaSerangLike,
        Profile::Provinsi,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts(profile, d(2026, 3, 2), 1, 1, 0);
        o.volume_percent = 1;
        generate(&o, dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("kasda.toml")).unwrap();
        let cfg = kasda_core::config::Config::parse_named("kasda.toml", &text)
            .unwrap_or_else(|e| panic!("{profile:?}: {e}\n{text}"));
        assert_eq!(cfg.fiscal_year, 2026);
        // The unregistered account deposits are injected into must not be configured.
        assert!(!text.contains("0071234567") && !text.contains("0079876543"));
    }
}
