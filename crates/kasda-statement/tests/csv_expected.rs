//! Every `csv/` row of the shared oracle `EXPECTED.tsv` read through the front door
//! (`read_file`, format detection included): format, version (= layout id), statements,
//! entries, sums, balances, currency and balance check.

use std::path::{Path, PathBuf};

use kasda_core::statement::StatementFormat;
use kasda_statement::{detect, read_file, summary};
use rust_decimal::Decimal;

fn shared_samples() -> PathBuf {
    if let Ok(p) = std::env::var("KASDA_SHARED_SAMPLES") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-statements")
}

fn dec_matches(want: &str, got: Option<Decimal>) -> bool {
    match (want.trim(), got) {
        ("", None) => true,
        (w, Some(g)) if !w.is_empty() => w.parse::<Decimal>().is_ok_and(|w| w == g),
        _ => false,
    }
}

#[test]
fn every_csv_row_of_expected_tsv() {
    let dir = shared_samples();
    let tsv = dir.join("EXPECTED.tsv");
    let text = std::fs::read_to_string(&tsv).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set KASDA_SHARED_SAMPLES to the sample-statements folder)",
            tsv.display()
        )
    });
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |cols: &[&str], name: &str| -> String {
        header
            .iter()
            .position(|h| *h == name)
            .and_then(|i| cols.get(i))
            .map_or(String::new(), |s| s.to_string())
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let file = col(&cols, "file");
        if !file.starts_with("csv/") {
            continue;
        }
        checked += 1;
        let path = dir.join(&file);
        let mut diffs = Vec::new();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let version = col(&cols, "version");
        match detect(&bytes) {
            Ok((StatementFormat::Csv(id), v))
                if id == version && v.as_deref() == Some(&version) => {}
            other => diffs.push(format!("detected {other:?}, expected csv {version}")),
        }
        assert_eq!(col(&cols, "format"), "csv");
        let f = match read_file(&path) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        if f.format != Some(StatementFormat::Csv(version.clone()))
            || f.version.as_deref() != Some(&version)
        {
            diffs.push(format!("format {:?} version {:?}", f.format, f.version));
        }
        let s = summary::summarize(&f);
        let mut cmp = |name: &str, got: String| {
            let want = col(&cols, name);
            if want != got {
                diffs.push(format!("{name}: got {got:?}, expected {want:?}"));
            }
        };
        cmp("statements", s.statements.to_string());
        cmp("entries", s.entries.to_string());
        cmp(
            "currency",
            s.currency.map(|c| c.to_string()).unwrap_or_default(),
        );
        cmp("balance_check", s.balance_check.as_str().to_string());
        for (name, got) in [
            ("sum_credit", Some(s.sum_credit)),
            ("sum_debit", Some(s.sum_debit)),
            ("opening_balance", s.opening_balance),
            ("closing_balance", s.closing_balance),
        ] {
            let want = col(&cols, name);
            if !dec_matches(&want, got) {
                diffs.push(format!("{name}: got {got:?}, expected {want:?}"));
            }
        }
        // The shared samples are clean: no running-balance break, no footer disagreement.
        for w in &f.warnings {
            if w.starts_with("running-balance-break")
                || w.contains("differs")
                || w.starts_with("balance-mismatch")
            {
                diffs.push(format!("unexpected warning {w}"));
            }
        }
        if !diffs.is_empty() {
            failures.push(format!("{file}:\n    {}", diffs.join("\n    ")));
        }
    }
    assert_eq!(checked, 7, "expected the 7 csv rows in {}", tsv.display());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
