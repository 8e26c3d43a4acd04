//! kasda-sqlite-crashtest: imports a large synthetic statement into a SQLite ledger so that a
//! test can kill it mid-import and check that the database opens cleanly without any of it.
//!
//! Usage: `kasda-sqlite-crashtest <db-path> <lines> <hold|commit>`
//! * `hold`: writes the whole batch inside the import transaction, prints
//!   `uncommitted <lines>` and then waits (up to 10 minutes) before committing — the test kills
//!   it while it waits, so every row is written but not committed.
//! * `commit`: imports normally and prints `committed <lines> <head hash>`.
//!
//! It prints `started` once the database is open and the ledger exists.

use std::io::Write;
use std::process::ExitCode;

use chrono::NaiveDate;
use kasda_store::{LedgerInfo, Store};
use kasda_store_sqlite::{synthetic, SqliteStore};

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, lines, mode] = args.as_slice() else {
        return Err("usage: kasda-sqlite-crashtest <db-path> <lines> <hold|commit>".into());
    };
    let lines: usize = lines
        .parse()
        .map_err(|_| format!("lines: expected a number, found {lines:?}"))?;
    let start = NaiveDate::from_ymd_opt(2026, 1, 2).ok_or("bad start date")?;
    let batch = synthetic::statement_batch("crash", "0012345678", lines, start);
    let mut store = SqliteStore::open(path).map_err(|e| e.to_string())?;
    // A small page cache makes SQLite spill uncommitted pages into the WAL file long before the
    // commit, as a much larger import would: the kill then lands with uncommitted frames on disk.
    store
        .connection()
        .pragma_update(None, "cache_size", -1000)
        .map_err(|e| e.to_string())?;
    store
        .ensure_ledger(&LedgerInfo {
            code: "crash".into(),
            name: "Crash test".into(),
        })
        .map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    writeln!(out, "started")
        .and_then(|_| out.flush())
        .map_err(|e| e.to_string())?;
    match mode.as_str() {
        "hold" => {
            store
                .import_with_hook("crash", &batch, |outcome| {
                    let _ = writeln!(out, "uncommitted {}", outcome.lines_new)
                        .and_then(|_| out.flush());
                    std::thread::sleep(std::time::Duration::from_secs(600));
                })
                .map_err(|e| e.to_string())?;
        }
        "commit" => {
            let outcome = store
                .import_file("crash", batch)
                .map_err(|e| e.to_string())?;
            let report = store.verify("crash").map_err(|e| e.to_string())?;
            writeln!(out, "committed {} {}", outcome.lines_new, report.head_hash)
                .map_err(|e| e.to_string())?;
        }
        other => return Err(format!("mode: expected hold or commit, found {other:?}")),
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kasda-sqlite-crashtest: {e}");
            ExitCode::from(2)
        }
    }
}
