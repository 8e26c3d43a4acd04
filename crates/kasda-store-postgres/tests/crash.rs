//! Crash safety: a process killed (SIGKILL) inside the import transaction leaves nothing of
//! the file behind; after reconnecting, the same file imports completely.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use kasda_store::{LedgerInfo, Store};
use kasda_store_postgres::{bench, testing};

const LEDGER: &str = "kota-crash";
const LINES: usize = 3_000;

fn kill_at(stage: &str) {
    let db = testing::fresh_database();
    // The ledger exists with one committed file before the crash.
    let mut store = db.connect().expect("connect");
    store.migrate().expect("migrate");
    store
        .ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Crash test".into(),
        })
        .expect("ledger");
    let before = bench::synthetic_batch("before", "0011223344", 10);
    store.import_file(LEDGER, before).expect("first import");
    let head_before = store.verify(LEDGER).expect("verify").head_hash;

    let mut child = Command::new(env!("CARGO_BIN_EXE_kasda-pg-crashtest"))
        .args([db.url(), LEDGER, &LINES.to_string(), stage])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kasda-pg-crashtest");
    let stdout = child.stdout.take().expect("child stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read child stdout");
    assert_eq!(
        first.trim(),
        format!("STAGE {stage}"),
        "the crash-test binary did not reach stage {stage}"
    );
    child.kill().expect("kill the importer");
    let status = child.wait().expect("wait for the importer");
    assert!(!status.success(), "the importer must have been killed");

    // Reconnect: nothing of the file, the chain is as before.
    let mut store = db.connect().expect("reconnect");
    let crash = bench::synthetic_batch("crash", "0011223344", LINES);
    assert!(
        store
            .file(LEDGER, &crash.file.sha256)
            .expect("file lookup")
            .is_none(),
        "killed at {stage}: the file must not be recorded"
    );
    let report = store.verify(LEDGER).expect("verify after crash");
    assert!(report.first_bad.is_none(), "{report:?}");
    assert_eq!(report.entries, 10, "killed at {stage}: entries leaked");
    assert_eq!(report.head_hash, head_before);
    assert_eq!(store.runs(LEDGER).expect("runs").len(), 1, "a run leaked");
    let lines = store
        .statement_lines(
            LEDGER,
            None,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
        )
        .expect("lines");
    assert_eq!(lines.len(), 10, "killed at {stage}: statement lines leaked");

    // Re-import works and adds everything once.
    let out = store.import_file(LEDGER, crash).expect("re-import");
    assert!(!out.file_already_imported);
    assert_eq!(out.lines_new, LINES as u64);
    assert_eq!(out.entries_appended, LINES as u64);
    assert_eq!(out.first_seq, Some(11));
    let report = store.verify(LEDGER).expect("verify after re-import");
    assert!(report.first_bad.is_none(), "{report:?}");
    assert_eq!(report.entries, 10 + LINES as u64);
    assert!(store
        .check_aggregates(LEDGER)
        .expect("aggregates")
        .is_empty());
}

#[test]
fn killed_after_planning() {
    kill_at("planned");
}

#[test]
fn killed_after_lines() {
    kill_at("lines");
}

#[test]
fn killed_after_entries_before_commit() {
    kill_at("entries");
}
