//! Checks every row of the shared oracle `EXPECTED.tsv` through the front door (`read_file`,
//! with format detection), and the same rows for the redistributable copies under
//! `sample-statements/public/` when present. All failing rows are reported together.

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

fn public_samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements/public")
}

struct Row {
    file: String,
    cols: Vec<String>,
}

impl Row {
    fn col(&self, header: &[String], name: &str) -> &str {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.cols.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn dec_eq(expected: &str, actual: Option<Decimal>) -> bool {
    match (expected.trim(), actual) {
        ("", None) => true,
        ("", Some(_)) => false,
        (e, Some(a)) => e.parse::<Decimal>().is_ok_and(|e| e == a),
        (_, None) => false,
    }
}

/// Compares one file against its row; returns the differences.
fn check_row(path: &Path, header: &[String], row: &Row) -> Vec<String> {
    let mut diffs = Vec::new();
    let status = row.col(header, "status");
    let want_format = row.col(header, "format");
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return vec![format!("cannot read: {e}")],
    };
    let detected = detect(&bytes);
    // EXPECTED.tsv writes the format family (`csv`) and the CSV profile in `version`.
    let detected_format = detected
        .as_ref()
        .map(|(f, _)| match f {
            StatementFormat::Csv(_) => "csv".to_string(),
            other => other.id(),
        })
        .unwrap_or_else(|_| "unknown".into());
    if detected_format != want_format {
        diffs.push(format!(
            "detected format {detected_format}, expected {want_format}"
        ));
    }
    let result = read_file(path);
    if let Some(code) = status.strip_prefix("error:") {
        match result {
            Ok(_) => diffs.push(format!("read succeeded, expected error {code}")),
            Err(e) if e.code == code => {}
            Err(e) => diffs.push(format!("error {} ({e}), expected {code}", e.code)),
        }
        return diffs;
    }
    let file = match result {
        Ok(f) => f,
        Err(e) => {
            diffs.push(format!("read failed: {e}"));
            return diffs;
        }
    };
    let s = summary::summarize(&file);
    let mut cmp = |name: &str, got: String| {
        let want = row.col(header, name);
        if want != got {
            diffs.push(format!("{name}: got {got:?}, expected {want:?}"));
        }
    };
    cmp("version", file.version.clone().unwrap_or_default());
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
        let want = row.col(header, name);
        if !dec_eq(want, got) {
            diffs.push(format!("{name}: got {got:?}, expected {want:?}"));
        }
    }
    for w in row
        .col(header, "warnings")
        .split(';')
        .filter(|w| !w.is_empty())
    {
        if !file.warnings.iter().any(|x| x == w) {
            diffs.push(format!("missing warning {w:?} (have {:?})", file.warnings));
        }
    }
    diffs
}

#[test]
fn every_expected_row_reads_as_the_oracle_says() {
    let dir = shared_samples();
    let tsv = dir.join("EXPECTED.tsv");
    let text = std::fs::read_to_string(&tsv).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (set KASDA_SHARED_SAMPLES to the sample-statements folder)",
            tsv.display()
        )
    });
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split('\t')
        .map(str::to_string)
        .collect();
    assert_eq!(
        header.first().map(String::as_str),
        Some("file"),
        "unexpected header in {}",
        tsv.display()
    );
    let rows: Vec<Row> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<String> = l.split('\t').map(str::to_string).collect();
            Row {
                file: cols.first().cloned().unwrap_or_default(),
                cols,
            }
        })
        .collect();
    assert!(
        rows.len() > 100,
        "only {} rows in {}",
        rows.len(),
        tsv.display()
    );
    let only = std::env::var("KASDA_EXPECTED_ONLY").unwrap_or_default();
    let mut failures = Vec::new();
    let mut checked = 0;
    let public = public_samples();
    for row in &rows {
        if !row.file.starts_with(only.as_str()) {
            continue;
        }
        let mut paths = vec![dir.join(&row.file)];
        let copy = public.join(&row.file);
        if copy.exists() {
            paths.push(copy);
        }
        for path in paths {
            checked += 1;
            let diffs = check_row(&path, &header, row);
            if !diffs.is_empty() {
                failures.push(format!("{}:\n    {}", path.display(), diffs.join("\n    ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} files differ from EXPECTED.tsv:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
