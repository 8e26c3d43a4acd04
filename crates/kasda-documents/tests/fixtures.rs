//! Every file in `sample-statements/documents/` is read in quarantine mode (so good and bad
//! rows both show) and compared with `<file>.expected.json` beside it. Regenerate with
//! `UPDATE_EXPECT=1 cargo test -p kasda-documents --test fixtures` and review the diff.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use kasda_documents::{read_documents, summary_json, BadRows, ReadOptions};
use serde_json::json;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements/documents")
}

fn now() -> DateTime<Utc> {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

fn render(name: &str, bytes: &[u8]) -> serde_json::Value {
    let mut opts = ReadOptions::new(now());
    opts.bad_rows = BadRows::Quarantine;
    match read_documents(name, bytes, &opts) {
        Ok(batch) => json!({
            "summary": summary_json(&batch),
            "documents": batch.documents.iter().map(|(r, d)| json!({"row": r.line, "document": d})).collect::<Vec<_>>(),
            "quarantined": batch.quarantined.iter().map(|q| json!({
                "row": q.row.line,
                "errors": q.errors.iter().map(|e| json!({"column": e.column, "expected": e.expected, "found": e.found})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Err(e) => json!({"error": e.to_string()}),
    }
}

#[test]
fn every_fixture_matches_its_expected_json() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json") && p.is_file())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "fixtures missing: {names:?}");
    let mut failures = Vec::new();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let got = render(&name, &std::fs::read(&path).unwrap());
        let expected_path = PathBuf::from(format!("{}.expected.json", path.display()));
        let got_text = serde_json::to_string_pretty(&got).unwrap() + "\n";
        if update {
            std::fs::write(&expected_path, &got_text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(want) if want == got_text => {}
            Ok(want) => failures.push(format!(
                "{name}: differs from {}\n--- want\n{want}\n--- got\n{got_text}",
                expected_path.display()
            )),
            Err(_) => failures.push(format!("{name}: no {}", expected_path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
