//! Helpers shared by the fixture tests that compare a reader's facts with an `.expected.json`
//! beside each fixture (`KASDA_BLESS=1` rewrites the expected files; review the diff).

use std::path::Path;

use kasda_core::statement::StatementFile;
use kasda_statement::{summary, ReadError};
use serde_json::{json, Value};

/// The file-level summary every fixture's facts carry.
pub fn summary_facts(file: &StatementFile) -> Value {
    let s = summary::summarize(file);
    json!({
        "entries": s.entries,
        "sum_credit": s.sum_credit.to_string(),
        "sum_debit": s.sum_debit.to_string(),
        "opening_balance": s.opening_balance.map(|d| d.to_string()),
        "closing_balance": s.closing_balance.map(|d| d.to_string()),
        "currency": s.currency,
        "balance_check": s.balance_check.as_str(),
    })
}

/// What a rejected fixture must say: code, place, field, expected and found.
pub fn error_facts(e: &ReadError) -> Value {
    json!({"error": {
        "code": e.code,
        "line": e.location.line,
        "column": e.location.column,
        "field": e.field,
        "expected": e.expected,
        "found": e.found,
    }})
}

/// Compares `got` with the fixture's `.expected.json` (or writes it when blessing), adding a
/// readable difference to `failures`.
pub fn check_expected(fixture: &Path, got: &Value, bless: bool, failures: &mut Vec<String>) {
    let name = fixture
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let expected_path = fixture.with_extension("expected.json");
    if bless {
        let text = serde_json::to_string_pretty(got).unwrap_or_default() + "\n";
        std::fs::write(&expected_path, text).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let want: Value = std::fs::read_to_string(&expected_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("{}: missing or invalid", expected_path.display()));
    if *got != want {
        failures.push(format!(
            "{name}:\n got  {}\n want {}",
            serde_json::to_string(got).unwrap_or_default(),
            serde_json::to_string(&want).unwrap_or_default()
        ));
    }
}
