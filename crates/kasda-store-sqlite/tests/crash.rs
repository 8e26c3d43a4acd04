//! Crash safety: a process killed in the middle of an import leaves a database that opens
//! cleanly, holds none of that file, and accepts the same file again.
//!
//! The helper binary `kasda-sqlite-crashtest` writes a large synthetic statement inside one
//! import transaction (large enough that SQLite spills uncommitted pages into the WAL file),
//! reports `uncommitted N`, and waits; this test SIGKILLs it there and at an earlier, arbitrary
//! point while it is still writing.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kasda_store::Store;
use kasda_store_sqlite::SqliteStore;

const BIN: &str = env!("CARGO_BIN_EXE_kasda-sqlite-crashtest");
const LINES: &str = "20000";

fn spawn(db: &Path, mode: &str) -> Child {
    Command::new(BIN)
        .arg(db)
        .arg(LINES)
        .arg(mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kasda-sqlite-crashtest")
}

/// Reads the child's stdout until a line starting with `prefix`, failing after `limit`.
fn wait_for(child: &mut Child, prefix: &str, limit: Duration) -> String {
    let out = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let want = prefix.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.starts_with(&want) {
                let _ = tx.send(line);
                return;
            }
        }
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("crash-test helper did not print {prefix:?} within {limit:?}"))
}

fn assert_clean_and_empty(db: &Path) {
    let mut s = SqliteStore::open(db).expect("database opens after the kill");
    let integrity: String = s
        .connection()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(
        s.entry_count("crash").unwrap(),
        0,
        "no entry of the killed import survives"
    );
    assert!(
        s.files("crash").unwrap().is_empty(),
        "the killed file is not recorded"
    );
    assert!(
        s.runs("crash").unwrap().is_empty(),
        "the killed run is not recorded"
    );
    let lines: i64 = s
        .connection()
        .query_row("SELECT count(*) FROM statement_lines", [], |r| r.get(0))
        .unwrap();
    let postings: i64 = s
        .connection()
        .query_row("SELECT count(*) FROM postings", [], |r| r.get(0))
        .unwrap();
    assert_eq!((lines, postings), (0, 0));
}

#[test]
fn killed_import_leaves_nothing_and_the_file_imports_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");

    // Killed after every row was written, just before COMMIT.
    let mut child = spawn(&db, "hold");
    let line = wait_for(&mut child, "uncommitted", Duration::from_secs(300));
    assert_eq!(line, format!("uncommitted {LINES}"));
    let wal = std::fs::metadata(dir.path().join("crash.db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        wal > 1_000_000,
        "uncommitted pages reached the WAL file ({wal} bytes)"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_clean_and_empty(&db);

    // Killed at an arbitrary point while still writing.
    let mut child = spawn(&db, "hold");
    wait_for(&mut child, "started", Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_clean_and_empty(&db);

    // The same file again, to completion.
    let started = Instant::now();
    let mut child = spawn(&db, "commit");
    let line = wait_for(&mut child, "committed", Duration::from_secs(300));
    assert!(child.wait().unwrap().success());
    let mut s = SqliteStore::open(&db).unwrap();
    let report = s.verify("crash").unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 20_000);
    assert_eq!(line, format!("committed {LINES} {}", report.head_hash));
    assert_eq!(s.files("crash").unwrap().len(), 1);
    assert_eq!(s.check_aggregates("crash").unwrap(), None);
    assert!(started.elapsed() < Duration::from_secs(300));
}
