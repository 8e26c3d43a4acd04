//! Snapshot tests for the MT940/MT942 edge-case fixtures in `sample-statements/mt940/`: each
//! `<name>` is read through the front door and compared with `<name>.expected.json` (the
//! `inspect_json` document, or the error). Regenerate with `UPDATE_EXPECT=1` and review the diff.

use std::path::{Path, PathBuf};

use kasda_statement::{detect, inspect_json, read_file};
use serde_json::{json, Value};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements/mt940")
}

fn render(path: &Path) -> Value {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let detected = detect(&std::fs::read(path).unwrap_or_default())
        .map(|(f, _)| f.id())
        .unwrap_or_else(|e| format!("error:{}", e.code));
    match read_file(path) {
        Ok(file) => {
            let mut v = inspect_json(name, &file);
            v["detected"] = json!(detected);
            v
        }
        Err(e) => json!({
            "file": name,
            "detected": detected,
            "error": {
                "code": e.code,
                "line": e.location.line,
                "field": e.field,
                "expected": e.expected,
                "found": e.found,
            }
        }),
    }
}

#[test]
fn fixtures_match_their_expected_json() {
    let dir = fixture_dir();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 12,
        "expected the edge-case fixtures in {}",
        dir.display()
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for input in &inputs {
        let actual = render(input);
        let expected_path = PathBuf::from(format!("{}.expected.json", input.display()));
        let pretty = serde_json::to_string_pretty(&actual).unwrap_or_default() + "\n";
        if update {
            std::fs::write(&expected_path, &pretty)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(text) => {
                let expected: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
                if expected != actual {
                    failures.push(format!(
                        "{} differs from {}:\n{pretty}",
                        input.display(),
                        expected_path.display()
                    ));
                }
            }
            Err(_) => failures.push(format!(
                "{} has no {} (run with UPDATE_EXPECT=1)",
                input.display(),
                expected_path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn read(name: &str) -> Value {
    render(&fixture_dir().join(name))
}

fn has_warning(v: &Value, w: &str) -> bool {
    v["warnings"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == w))
}

// The facts each fixture exists for, stated independently of the snapshots.

#[test]
fn envelope_messages_and_trailers() {
    let v = read("block-envelope-two-messages.sta");
    assert_eq!(v["summary"]["statements"], 2);
    assert_eq!(v["summary"]["balance_check"], "ok");
    assert_eq!(v["statements"][0]["account"]["servicer_bic"], "BBBBIDJA");
    assert_eq!(v["statements"][0]["account"]["number"], "1234567890");
    assert!(has_warning(&v, "swift-block-envelope"));
}

#[test]
fn reversals() {
    let v = read("reversal-rc-rd.sta");
    let e = &v["statements"][0]["entries"];
    assert_eq!(
        (e[1]["direction"].as_str(), e[1]["reversal"].as_bool()),
        (Some("debit"), Some(true))
    );
    assert_eq!(
        (e[3]["direction"].as_str(), e[3]["reversal"].as_bool()),
        (Some("credit"), Some(true))
    );
    assert_eq!(v["summary"]["balance_check"], "ok");
    assert!(has_warning(&v, "reversal-entries"));
}

#[test]
fn entry_dates_roll_over_the_year() {
    let v = read("year-rollover-entry-date.sta");
    let e = &v["statements"][0]["entries"];
    assert_eq!(e[0]["value_date"], "2023-12-31");
    assert_eq!(e[0]["booking_date"], "2024-01-02");
    assert_eq!(e[1]["value_date"], "2024-01-02");
    assert_eq!(e[1]["booking_date"], "2023-12-31");
}

#[test]
fn whole_rupiah_amounts() {
    let v = read("amounts-without-decimal-comma.sta");
    assert_eq!(v["summary"]["sum_credit"], "250000.00");
    assert_eq!(v["summary"]["closing_balance"], "1675000.00");
    assert_eq!(v["summary"]["balance_check"], "ok");
    assert!(has_warning(&v, "amount-without-decimal-comma"));
}

#[test]
fn times_in_86_are_text() {
    let v = read("time-like-text-in-86.sta");
    assert_eq!(v["summary"]["entries"], 2);
    let text = &v["statements"][0]["entries"][0]["remittance"]["unstructured"];
    assert_eq!(text[1], "DITERIMA PUKUL 12:30: OLEH KASIR");
    assert_eq!(text[2], ":15:30: LOKET 2 (BARIS INI BUKAN TAG)");
    assert!(has_warning(&v, "unknown-tag-line-kept-as-text::15:"));
}

#[test]
fn pages_and_sequence_gaps() {
    let v = read("pages-60m-62m.sta");
    assert_eq!(v["statements"][0]["last_page"], false);
    assert_eq!(v["statements"][1]["page"], 2);
    assert_eq!(v["summary"]["balance_check"], "ok");
    assert!(has_warning(&v, "sequence-gap:3"));
}

#[test]
fn mt942_fields() {
    let v = read("mt942-interim.sta");
    assert_eq!(v["format"], "mt942");
    assert_eq!(v["detected"], "mt942");
    let s = &v["statements"][0];
    assert_eq!(s["floor_limits"].as_array().map(Vec::len), Some(2));
    assert_eq!(s["created_at"], "2024-01-02T08:00:00");
    assert_eq!(s["totals"]["debit_sum"], "750000.00");
    assert_eq!(s["additional_info"], "POSISI INTRADAY PUKUL 15:00 WIB");
    assert_eq!(v["summary"]["balance_check"], "n/a");
}

#[test]
fn legacy_encodings_bom_and_line_endings() {
    let v = read("windows-1252-text.sta");
    assert_eq!(
        v["statements"][0]["entries"][0]["counterparty"]["name"],
        "Jürgen Müller"
    );
    assert!(has_warning(&v, "decoded-as-windows-1252"));
    let v = read("utf8-bom-crlf.sta");
    assert!(has_warning(&v, "utf8-bom") && has_warning(&v, "crlf-or-cr-line-endings"));
    let v = read("cr-only-line-endings.sta");
    assert_eq!(v["summary"]["entries"], 1);
}

#[test]
fn truncated_file_is_an_error() {
    let v = read("truncated.sta");
    assert_eq!(v["error"]["code"], "missing-closing-balance");
    assert_eq!(v["detected"], "mt940");
}

#[test]
fn calendar_invalid_dates_are_reported_and_text_outside_fields_ignored() {
    let v = read("feb-30-and-trailing-garbage.sta");
    assert!(has_warning(&v, "calendar-invalid-date:240230"));
    assert!(has_warning(&v, "ignored-text-outside-fields"));
    let e = &v["statements"][0]["entries"][0];
    assert_eq!(e["value_date"], Value::Null);
    assert_eq!(e["booking_date"], "2024-03-01");
}

#[test]
fn structured_86() {
    let v = read("structured-86-styles.sta");
    let e = &v["statements"][0]["entries"];
    assert_eq!(e[0]["refs"]["end_to_end_id"], "E2E-0001");
    assert_eq!(e[0]["counterparty"]["agent_bic"], "COBADEFFXXX");
    assert_eq!(e[1]["refs"]["mandate_id"], "M-77");
    assert_eq!(e[1]["counterparty"]["name"], "Verein Muster e.V.");
    assert!(e[2]["remittance"]["structured"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == "sts:2024-0456")));
}
