//! kasda-pg-crashtest: imports a synthetic statement file and stops dead inside the import
//! transaction, so a test can kill it there and check that PostgreSQL kept nothing.
//!
//! Usage: `kasda-pg-crashtest <database-url> <ledger> <lines> <stage>` where stage is one of
//! `planned`, `lines`, `documents`, `entries` (see `ImportStage`). At that point it prints
//! `STAGE <stage>` on stdout and sleeps; exit code 2 on bad arguments, 1 on errors.

use std::io::Write;
use std::time::Duration;

use kasda_store::{LedgerInfo, Store};
use kasda_store_postgres::{bench, ImportStage, PgStore};

fn stage_of(name: &str) -> Option<ImportStage> {
    match name {
        "planned" => Some(ImportStage::Planned),
        "lines" => Some(ImportStage::LinesWritten),
        "documents" => Some(ImportStage::DocumentsWritten),
        "entries" => Some(ImportStage::EntriesWritten),
        _ => None,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(ledger), Some(lines), Some(stage)) =
        (args.get(1), args.get(2), args.get(3), args.get(4))
    else {
        eprintln!("usage: kasda-pg-crashtest <database-url> <ledger> <lines> <stage>");
        std::process::exit(2);
    };
    let (Ok(lines), Some(stop_at)) = (lines.parse::<usize>(), stage_of(stage)) else {
        eprintln!("lines must be a number and stage one of planned, lines, documents, entries");
        std::process::exit(2);
    };
    let mut store = match PgStore::connect(url) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let ready = store.migrate().and_then(|_| {
        store.ensure_ledger(&LedgerInfo {
            code: ledger.clone(),
            name: "Crash test".into(),
        })
    });
    if let Err(e) = ready {
        eprintln!("{e}");
        std::process::exit(1);
    }
    let batch = bench::synthetic_batch("crash", "0011223344", lines);
    let mut hook = |s: ImportStage| {
        if s == stop_at {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "STAGE {stage}");
            let _ = out.flush();
            // Wait to be killed, holding the open transaction.
            std::thread::sleep(Duration::from_secs(120));
        }
    };
    match store.import_file_with_hook(ledger, batch, &mut hook) {
        Ok(out) => println!("IMPORTED {}", out.entries_appended),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
