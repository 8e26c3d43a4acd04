//! Snapshot tests of the camt reader: every `*.xml` under `sample-statements/camt/` (edge cases
//! written for kasda) and `sample-statements/public/camt/` (public samples) is read and its
//! normalized JSON compared with `<file>.expected.json` beside it. A file the reader rejects is
//! snapshotted as its error (code, field, place, expected, found).
//!
//! Regenerate with `UPDATE_EXPECT=1 cargo test -p kasda-statement --test camt_snapshots` and
//! review the diff.

use std::path::{Path, PathBuf};

use kasda_statement::camt;
use kasda_statement::ReadError;

fn samples_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements")
}

fn error_json(e: &ReadError) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "code": e.code,
            "field": e.field,
            "expected": e.expected,
            "found": e.found,
            "line": e.location.line,
            "column": e.location.column,
            "byte": e.location.byte,
            "entry": e.location.entry,
            "message": e.to_string(),
        }
    })
}

fn snapshot(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let value = match camt::read(name, &bytes) {
        Ok(file) => serde_json::to_value(&file).expect("model serializes"),
        Err(e) => error_json(&e),
    };
    let mut text = serde_json::to_string_pretty(&value).expect("json");
    text.push('\n');
    text
}

fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    out.sort();
    out
}

fn check_dir(dir: &Path, min_files: usize) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let files = fixtures(dir);
    assert!(
        files.len() >= min_files,
        "{}: expected at least {min_files} fixtures, found {}",
        dir.display(),
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let actual = snapshot(path);
        let mut expected_path = path.clone().into_os_string();
        expected_path.push(".expected.json");
        let expected_path = PathBuf::from(expected_path);
        if update {
            std::fs::write(&expected_path, &actual)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => {
                let first_diff = expected
                    .lines()
                    .zip(actual.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| format!("line {}: expected {a:?}, got {b:?}", i + 1))
                    .unwrap_or_else(|| "lengths differ".to_string());
                failures.push(format!("{}: {first_diff}", path.display()));
            }
            Err(_) => failures.push(format!(
                "{}: no snapshot (run with UPDATE_EXPECT=1)",
                expected_path.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "snapshot mismatches:\n{}",
        failures.join("\n")
    );
}

#[test]
fn edge_case_fixtures_match_their_snapshots() {
    check_dir(&samples_root().join("camt"), 12);
}

#[test]
fn public_samples_match_their_snapshots() {
    check_dir(&samples_root().join("public/camt"), 50);
}

/// The snapshots are meaningful only if they show what each fixture is for; these spot checks
/// keep a regenerated snapshot from silently dropping the point of a fixture.
#[test]
fn fixtures_exercise_what_they_are_named_for() {
    let read = |name: &str| {
        let path = samples_root().join("camt").join(name);
        camt::read(name, &std::fs::read(&path).expect("fixture")).map_err(Box::new)
    };

    let f = read("no-namespace.camt053.xml").expect("reads");
    assert_eq!(f.version, None);
    assert!(f.warnings.contains(&"no-namespace".to_string()));

    let f = read("prefix-ns2.camt053.v04.xml").expect("reads");
    assert!(f.warnings.contains(&"namespace-prefix:ns2".to_string()));
    let s = &f.statements[0];
    assert_eq!(s.account.servicer_bic.as_deref(), Some("PDJBIDJA"));
    assert_eq!(s.totals.as_ref().and_then(|t| t.debit_count), Some(1));
    let e = &s.entries[0];
    assert_eq!(e.counterparty.name.as_deref(), Some("CV MAJU BERSAMA"));
    assert_eq!(e.counterparty.agent_bic.as_deref(), Some("BRINIDJA"));
    assert_eq!(e.remittance.unstructured.len(), 2);
    assert_eq!(e.bank_tx_code.proprietary.as_deref(), Some("NTRF"));

    let f = read("envelope-appHdr.camt053.v08.xml").expect("reads");
    assert!(f.warnings.contains(&"wrapped-in-Envelope".to_string()));
    assert!(f.warnings.contains(&"namespace-prefix:camt".to_string()));
    let e = &f.statements[0].entries[0];
    assert_eq!(e.counterparty.name.as_deref(), Some("BUDI SANTOSO"));
    assert_eq!(e.counterparty.agent_bic.as_deref(), Some("PDJBIDJA"));
    assert_eq!(
        e.remittance.creditor_ref.as_deref(),
        Some("320400100100200030")
    );
    assert!(e.booked_at.is_some());
    assert_eq!(
        f.statements[0]
            .opening()
            .map(|b| b.amount.to_string())
            .as_deref(),
        Some("-5000000.00")
    );

    let f = read("reversal-return.camt054.v04.xml").expect("reads");
    let e = &f.statements[0].entries[0];
    assert!(e.reversal);
    assert_eq!(e.details[0].return_reason.as_deref(), Some("AC04"));
    // The returned debit's other party is its creditor.
    assert_eq!(
        e.counterparty.name.as_deref(),
        Some("PT REKANAN SALAH REKENING")
    );
    assert_eq!(
        f.statements[0].entries[1].status,
        kasda_core::statement::EntryStatus::Pending
    );

    let f = read("batch-many-txdtls.camt053.v02.xml").expect("reads");
    let e = &f.statements[0].entries[0];
    assert_eq!(e.details.len(), 4);
    assert_eq!(
        e.amount_notes,
        vec!["details-sum-differs:1800000.00".to_string()]
    );
    assert_eq!(
        e.refs.payment_info_id.as_deref(),
        Some("PBB-H2H-20240731-A")
    );
    assert!(e.counterparty.is_empty());

    let f = read("amtdtls-charges.camt053.v02.xml").expect("reads");
    let e = &f.statements[0].entries[0];
    assert!(e
        .amount_notes
        .iter()
        .any(|n| n.starts_with("instructed-differs:5000000.00")));
    assert!(e.amount_notes.iter().any(|n| n == "charges:6500.00 IDR"));
    assert_eq!(
        e.details[0]
            .instructed_amount
            .map(|a| a.to_string())
            .as_deref(),
        Some("5000000.00")
    );

    let f = read("multi-stmt-charges-records.camt053.v06.xml").expect("reads");
    assert_eq!(f.statements.len(), 2);
    assert_eq!(f.last_page, Some(false));
    let first = &f.statements[0];
    assert_eq!(
        first.additional_info.as_deref(),
        Some("REKENING KAS UMUM DAERAH")
    );
    assert_eq!(
        first.entries[0].amount_notes,
        vec!["charges:15000.00 IDR".to_string()]
    );
    assert_eq!(f.statements[1].entries.len(), 2);
    assert_eq!(f.statements[1].entries[1].pos.index, 2);

    let f = read("report.camt052.v13.xml").expect("reads");
    assert_eq!(f.version.as_deref(), Some("052.001.13"));
    assert_eq!(
        f.statements[0].entries[1].status,
        kasda_core::statement::EntryStatus::Pending
    );
    assert_eq!(
        f.statements[0].entries[1].counterparty.agent_bic, None,
        "an agent acting as debtor is the party itself"
    );
    assert_eq!(
        f.statements[0].entries[1].counterparty.id.as_deref(),
        Some("BNINIDJA")
    );

    let f = read("notification.camt054.v12.xml").expect("reads");
    assert_eq!(f.version.as_deref(), Some("054.001.12"));
    let e = &f.statements[0].entries[0];
    assert!(e.amount_notes.is_empty(), "{:?}", e.amount_notes);
    assert_eq!(
        e.details[1].remittance.creditor_ref.as_deref(),
        Some("GJ-DISDIK-12")
    );

    let f = read("legacy.camt053.v01.xml").expect("reads");
    assert_eq!(f.version.as_deref(), Some("053.001.01"));
    let s = &f.statements[0];
    assert_eq!(s.account.number.as_deref(), Some("0012345678"));
    assert!(s.opening().is_some() && s.closing().is_some());
    assert_eq!(s.entries[0].details.len(), 1);

    let e = read("error-bad-amount.camt053.v02.xml").expect_err("rejected");
    assert_eq!(e.code, "bad-amount");
    assert_eq!(e.location.line, Some(10));
    assert!(e.field.ends_with("Ntry/Amt"), "{}", e.field);
    assert_eq!(
        read("error-truncated.camt053.v02.xml")
            .expect_err("rejected")
            .code,
        "truncated"
    );
    assert_eq!(
        read("error-unrecognised-namespace.pain001.xml")
            .expect_err("rejected")
            .code,
        "unrecognised-namespace"
    );
}
