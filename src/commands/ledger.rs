//! `kasda verify`, `kasda balance`, `kasda trail`: reading the ledger as an auditor does.

use std::fs::File;
use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use kasda_core::ledger::AccountKey;
use kasda_core::money::{canonical, display_idr};
use kasda_core::Currency;
use kasda_store::{Store, TrailQuery};

use super::{ledger_of, load_config, open_store};
use crate::cli::{BalanceArgs, Cli, TrailArgs, VerifyArgs};
use crate::output::{self, Table};
use crate::{CmdResult, Failure};

/// The ledger a read command works on: `--ledger`, else the configured pemda's.
fn pick_ledger(
    cli: &Cli,
    store: &mut dyn Store,
    explicit: &Option<String>,
) -> Result<String, Failure> {
    match explicit {
        Some(l) => Ok(l.clone()),
        None => {
            let cfg = load_config(&cli.config)?;
            ledger_of(store, &cfg)
        }
    }
}

pub fn verify(cli: &Cli, a: &VerifyArgs) -> CmdResult {
    let mut store = open_store(&cli.db)?;
    let ledgers: Vec<String> = match &a.ledger {
        Some(l) => vec![l.clone()],
        None if !cli.config.exists() => store
            .ledgers()
            .map_err(Failure::store)?
            .into_iter()
            .map(|l| l.code)
            .collect(),
        None => vec![pick_ledger(cli, store.as_mut(), &None)?],
    };
    let started = std::time::Instant::now();
    let mut t = Table::new(["ledger", "entries", "head hash", "status"]).numeric(&[1]);
    let mut reports = Vec::new();
    let mut bad = Vec::new();
    for l in &ledgers {
        let r = store.verify(l).map_err(Failure::store)?;
        let status = match &r.first_bad {
            None => "ok".to_string(),
            Some(f) => {
                bad.push(format!("ledger {l}: entry {}: {}", f.seq, f.reason));
                format!("ALTERED at entry {}", f.seq)
            }
        };
        t.push([
            l.clone(),
            r.entries.to_string(),
            r.head_hash.clone(),
            status,
        ]);
        reports.push(r);
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let total: u64 = reports.iter().map(|r| r.entries).sum();
    t.title = Some(format!(
        "verified {total} entries in {:.3} s ({} entries/s) at {}",
        secs,
        (total as f64 / secs) as u64,
        Utc::now().to_rfc3339()
    ));
    let json = serde_json::to_value(&reports).map_err(Failure::input)?;
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)?;
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Failure::Store(anyhow::anyhow!(
            "hash chain verification failed:\n{}",
            bad.join("\n")
        )))
    }
}

pub fn balance(cli: &Cli, a: &BalanceArgs) -> CmdResult {
    let account = AccountKey::parse(&a.account).map_err(Failure::input)?;
    let mut store = open_store(&cli.db)?;
    let ledger = pick_ledger(cli, store.as_mut(), &a.ledger)?;
    let known_at = a.known_at.map(|t| t.with_timezone(&Utc));
    let amount = store
        .balance(&ledger, &account, a.as_of, known_at)
        .map_err(Failure::store)?;
    let json = serde_json::json!({
        "ledger": ledger,
        "account": account.to_string(),
        "account_name": account.kind().name(),
        "as_of": a.as_of,
        "known_at": known_at,
        "balance": canonical(amount, Currency::IDR),
        "normal_side": account.kind().normal_side(),
    });
    let mut t =
        Table::new(["account", "name", "as of", "known at", "balance (debit +)"]).numeric(&[4]);
    t.push([
        account.to_string(),
        account.kind().name().to_string(),
        a.as_of
            .map(|d| d.to_string())
            .unwrap_or_else(|| "all".into()),
        known_at
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "now".into()),
        display_idr(amount),
    ]);
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
}

pub fn trail(cli: &Cli, a: &TrailArgs) -> CmdResult {
    let mut store = open_store(&cli.db)?;
    let ledger = pick_ledger(cli, store.as_mut(), &a.ledger)?;
    let query = if let Some(seq) = a.entry {
        TrailQuery::Entry { seq }
    } else if let Some(text) = &a.reference {
        TrailQuery::Reference { text: text.clone() }
    } else {
        let account =
            AccountKey::parse(a.account.as_deref().unwrap_or_default()).map_err(Failure::input)?;
        let on =
            a.on.ok_or_else(|| Failure::input(anyhow::anyhow!("--account needs --on YYYY-MM-DD")))?;
        TrailQuery::Account {
            account,
            from: on,
            to: on,
        }
    };
    let trail = store.trail(&ledger, &query).map_err(Failure::store)?;
    let mut t = Table::new([
        "seq", "kind", "booked", "relation", "amount", "source", "run", "memo",
    ])
    .numeric(&[0, 4]);
    for s in &trail.steps {
        let e = &s.entry;
        let source = match &s.file {
            Some(f) => format!(
                "{} ({}…) @ {}",
                f.file.name,
                &f.file.sha256[..f.file.sha256.len().min(12)],
                e.entry.position
            ),
            None => "derived".into(),
        };
        let run = match &s.run {
            Some(r) => format!(
                "#{} {} {} {}",
                r.run_id,
                r.kind.as_str(),
                r.actor,
                r.started_at.format("%Y-%m-%d %H:%M:%S")
            ),
            None => format!("#{}", e.run_id),
        };
        t.push([
            e.seq.to_string(),
            e.entry.kind.as_str().to_string(),
            e.entry.booked_on.to_string(),
            serde_json::to_value(&s.relation)
                .map(|v| v.to_string())
                .unwrap_or_default(),
            display_idr(e.entry.total()),
            source,
            run,
            e.entry.memo.chars().take(60).collect(),
        ]);
    }
    t.title = Some(format!(
        "trail of {}: {} entries, {} statement lines, {} documents, {} duplicates{}",
        serde_json::to_string(&query).unwrap_or_default(),
        trail.steps.len(),
        trail.lines.len(),
        trail.documents.len(),
        trail.duplicates.len(),
        if trail.truncated { " (truncated)" } else { "" }
    ));
    let json = serde_json::to_value(&trail).map_err(Failure::input)?;
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
}

/// Guards a writing run (import, reconcile) against a second one on the same embedded database:
/// the second exits with a clear message instead of interleaving. PostgreSQL serialises writers
/// per ledger inside the store itself.
pub struct RunLock {
    _file: Option<File>,
}

pub fn run_lock(db_url: &str) -> Result<RunLock, Failure> {
    let Some(path) = db_url.strip_prefix("sqlite:") else {
        return Ok(RunLock { _file: None });
    };
    let path = path.trim_start_matches("//");
    if path.is_empty() || path == ":memory:" {
        return Ok(RunLock { _file: None });
    }
    let lock_path = PathBuf::from(format!("{path}.run-lock"));
    if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating {}", dir.display()))
            .map_err(Failure::Store)?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening lock file {}", lock_path.display()))
        .map_err(Failure::Store)?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock { _file: Some(file) }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::Store(anyhow::anyhow!(
            "another kasda run is writing to {path} (lock {} is held); try again when it finishes",
            lock_path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(Failure::Store(
            anyhow::Error::new(e).context(format!("locking {}", lock_path.display())),
        )),
    }
}
