//! `kasda db export --to URL`: moves a ledger between stores (SQLite ↔ PostgreSQL) as the
//! store-neutral stream of `kasda_store::export`, with its chain intact and verified after.

use std::io::{BufReader, BufWriter, Seek, Write};

use anyhow::Context;
use kasda_store::export::TransferSummary;
use kasda_store::{Store, StoreError};
use kasda_store_postgres::PgStore;
use kasda_store_sqlite::SqliteStore;

use super::{load_config, redact_url};
use crate::cli::{Cli, ExportArgs};
use crate::output::{self, Table};
use crate::{CmdResult, Failure};

enum AnyStore {
    Sqlite(Box<SqliteStore>),
    Postgres(Box<PgStore>),
}

fn open(url: &str) -> Result<AnyStore, Failure> {
    let s = if url.starts_with("sqlite:") {
        let mut s = SqliteStore::open_url(url)
            .with_context(|| format!("opening {url}"))
            .map_err(Failure::Store)?;
        s.migrate().map_err(Failure::store)?;
        AnyStore::Sqlite(Box::new(s))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut s = PgStore::connect(url)
            .with_context(|| format!("connecting to {}", redact_url(url)))
            .map_err(Failure::Store)?;
        s.migrate().map_err(Failure::store)?;
        AnyStore::Postgres(Box::new(s))
    } else {
        return Err(Failure::input(anyhow::anyhow!(
            "{}: expected sqlite:PATH or postgres://user@host/db",
            redact_url(url)
        )));
    };
    Ok(s)
}

impl AnyStore {
    fn store(&mut self) -> &mut dyn Store {
        match self {
            AnyStore::Sqlite(s) => s.as_mut(),
            AnyStore::Postgres(s) => s.as_mut(),
        }
    }

    fn export(&mut self, ledger: &str, out: &mut dyn Write) -> Result<TransferSummary, StoreError> {
        let mut out = out;
        match self {
            AnyStore::Sqlite(s) => s.export_ledger(ledger, &mut out).map_err(StoreError::from),
            AnyStore::Postgres(s) => s.export_ledger(ledger, &mut out),
        }
    }

    fn import(&mut self, input: BufReader<std::fs::File>) -> Result<TransferSummary, StoreError> {
        match self {
            AnyStore::Sqlite(s) => s.import_ledger(input).map_err(StoreError::from),
            AnyStore::Postgres(s) => s.import_ledger(input),
        }
    }
}

pub fn export(cli: &Cli, a: &ExportArgs) -> CmdResult {
    if a.to == cli.db {
        return Err(Failure::input(anyhow::anyhow!(
            "--to names the same store as --db"
        )));
    }
    let ledger = match &a.ledger {
        Some(l) => l.clone(),
        None => load_config(&cli.config)?.pemda.code,
    };
    let mut from = open(&cli.db)?;
    let mut to = open(&a.to)?;
    // The stream goes through a temporary file: a ledger can be larger than memory.
    let mut spool = tempfile::tempfile()
        .context("creating a temporary file for the export stream")
        .map_err(Failure::Store)?;
    let sent = {
        let mut w = BufWriter::new(&mut spool);
        let s = from.export(&ledger, &mut w).map_err(Failure::store)?;
        w.flush().map_err(Failure::store)?;
        s
    };
    spool.rewind().map_err(Failure::store)?;
    let received = to.import(BufReader::new(spool)).map_err(Failure::store)?;
    let verified = to.store().verify(&ledger).map_err(Failure::store)?;
    if verified.first_bad.is_some()
        || verified.head_hash != sent.head_hash
        || received.entries != sent.entries
    {
        return Err(Failure::Store(anyhow::anyhow!(
            "ledger {ledger} did not arrive intact: sent {} entries (head {}), target verifies {} entries (head {}){}",
            sent.entries,
            sent.head_hash,
            verified.entries,
            verified.head_hash,
            verified
                .first_bad
                .map(|f| format!("; first bad entry {}: {}", f.seq, f.reason))
                .unwrap_or_default()
        )));
    }
    let json = serde_json::json!({
        "ledger": ledger,
        "from": redact_url(&cli.db),
        "to": redact_url(&a.to),
        "records": sent.records,
        "entries": sent.entries,
        "lines": sent.lines,
        "documents": sent.documents,
        "head_hash": verified.head_hash,
        "verified": true,
    });
    let mut t = Table::new([
        "ledger",
        "entries",
        "lines",
        "documents",
        "head hash (verified on target)",
    ])
    .numeric(&[1, 2, 3]);
    t.push([
        ledger,
        sent.entries.to_string(),
        sent.lines.to_string(),
        sent.documents.to_string(),
        verified.head_hash,
    ]);
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
}
