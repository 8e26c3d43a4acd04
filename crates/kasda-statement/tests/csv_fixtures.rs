//! Edge-case fixtures of the CSV profile reader (`sample-statements/csv/edge__*` with a
//! `.expected.json` beside): each file is detected from its content, read with the detected
//! bundled profile, and compared with its expected facts (or expected error). The expected files
//! were written by hand-checking the reader's output (`KASDA_BLESS=1` rewrites them; review the
//! diff before committing).

mod common;

use std::path::{Path, PathBuf};

use kasda_core::statement::{StatementFile, StatementFormat};
use kasda_statement::csv_profile;
use kasda_statement::detect;
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements/csv")
}

fn facts(file: &StatementFile) -> Value {
    let st = file.statements.first();
    let entries: Vec<Value> = st
        .map(|st| {
            st.entries
                .iter()
                .map(|e| {
                    json!({
                        "line": e.pos.line,
                        "index": e.pos.index,
                        "status": e.status,
                        "booking_date": e.booking_date,
                        "value_date": e.value_date,
                        "booked_at": e.booked_at,
                        "direction": e.direction,
                        "amount": e.amount.to_string(),
                        "currency": e.currency,
                        "balance_after": e.balance_after.map(|b| b.to_string()),
                        "reference": e.refs.account_servicer,
                        "description": e.remittance.unstructured,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "format": file.format.as_ref().map(StatementFormat::id),
        "version": file.version,
        "account": st.map(|s| json!({"number": s.account.number, "name": s.account.name})),
        "from": st.and_then(|s| s.from),
        "to": st.and_then(|s| s.to),
        "totals": st.and_then(|s| s.totals.clone()),
        "summary": common::summary_facts(file),
        "warnings": file.warnings,
        "entries": entries,
    })
}

fn read_fixture(name: &str, bytes: &[u8]) -> Value {
    let id = match detect(bytes) {
        Ok((StatementFormat::Csv(id), _)) => id,
        other => return json!({"detected": format!("{other:?}")}),
    };
    match csv_profile::read_bundled(name, bytes, &id) {
        Ok(f) => facts(&f),
        Err(e) => {
            assert_eq!(e.file, name, "errors name the file");
            common::error_facts(&e)
        }
    }
}

#[test]
fn edge_case_fixtures_read_as_expected() {
    let dir = fixtures();
    let bless = std::env::var("KASDA_BLESS").is_ok();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "xls"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("edge__"))
        })
        .collect();
    names.sort();
    assert!(names.len() >= 9, "fixtures missing in {}", dir.display());
    let mut failures = Vec::new();
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = read_fixture(&name, &bytes);
        common::check_expected(&path, &got, bless, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
