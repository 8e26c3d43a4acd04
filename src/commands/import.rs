//! `kasda import`: files and directories into the ledger, one atomic, idempotent import per file.
//!
//! Each file is classified by content: a document file (receipts, STS, SP2D, BKU — CSV header or
//! JSON Lines tag) or a bank statement (any format `kasda-statement` detects). The reader's
//! output becomes an import batch (`kasda-store`), which the store writes in one transaction.
//! A run report lists every file with what happened to it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use kasda_core::config::Config;
use kasda_core::posting::AccountRole;
use kasda_documents::{BadRows, Duplicates, ReadOptions};
use kasda_store::{ImportOutcome, SourceFile, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::inspect::read_limited;
use super::{actor, ledger_of, load_config, open_store};
use crate::cli::{Cli, ImportArgs};
use crate::output::{self, Table};
use crate::{CmdResult, Failure};

/// Most files one run takes (a directory with more is a mistake worth stopping for).
pub const MAX_FILES_PER_RUN: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    pub file: String,
    pub sha256: Option<String>,
    /// `statement` or `documents`.
    pub kind: Option<String>,
    pub format: Option<String>,
    /// `imported`, `already_imported`, `rejected`.
    pub status: String,
    pub outcome: Option<ImportOutcome>,
    /// Document rows written to the quarantine directory.
    pub quarantined_rows: usize,
    pub quarantine_file: Option<String>,
    pub error: Option<String>,
    pub archived_to: Option<String>,
    /// Facts about the source the reader noted (balance mismatches, sequence gaps, …).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub ledger: String,
    pub actor: String,
    pub started_at: String,
    pub duration_ms: u128,
    pub files_seen: usize,
    pub files_imported: usize,
    pub files_already_imported: usize,
    pub files_rejected: usize,
    pub lines_new: u64,
    pub lines_duplicate: u64,
    pub documents_new: u64,
    pub documents_duplicate: u64,
    pub documents_quarantined: usize,
    pub entries_appended: u64,
    pub entries_per_second: u64,
    pub files: Vec<FileResult>,
}

/// Where bad input goes and where good files end up.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub archive: Option<PathBuf>,
    pub quarantine: Option<PathBuf>,
}

/// Expands directories (recursively, sorted by path) into files; skips hidden files.
pub fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                    .with_context(|| format!("{}: cannot list", dir.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        !p.file_name()
                            .map(|n| n.to_string_lossy().starts_with('.'))
                            .unwrap_or(true)
                    })
                    .collect();
                entries.sort();
                for e in entries.into_iter().rev() {
                    if e.is_dir() {
                        stack.push(e);
                    } else if !is_sidecar(&e) {
                        out.push(e);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
        if out.len() > MAX_FILES_PER_RUN {
            anyhow::bail!("more than {MAX_FILES_PER_RUN} files in one run; split the import");
        }
    }
    // Directories were walked depth-first in reverse; restore name order within the run.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out.sort();
    Ok(out)
}

/// Files kasda itself writes beside inputs (configuration, ground truth, snapshots, reports).
fn is_sidecar(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.ends_with(".toml")
        || name.ends_with(".expected.json")
        || name == "ground-truth.json"
        || name.ends_with(".md")
        || name.ends_with(".html")
}

/// What a bank account number is, from the configuration's register.
pub fn role_of(cfg: &Config, number: &str) -> AccountRole {
    use kasda_core::config::AccountRole as R;
    match cfg.account_role(number) {
        Some(R::Rkud) => AccountRole::Rkud,
        Some(R::Holding) => AccountRole::Holding,
        Some(R::OpdReceiving) => match cfg.opd_by_account(number) {
            Some(opd) => AccountRole::OpdReceiving {
                opd: opd.code.clone(),
            },
            None => AccountRole::Unregistered,
        },
        None => AccountRole::Unregistered,
    }
}

/// Imports files in order. Errors of one file are recorded in the report and the run goes on;
/// a store error stops the run (the store is unusable, not the file).
pub fn import_files(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    files: &[PathBuf],
    opts: &ImportOptions,
    mut progress: impl FnMut(usize, &FileResult),
) -> Result<RunReport, Failure> {
    let started = Instant::now();
    let who = actor();
    let chart = cfg.chart().ok();
    let mut report = RunReport {
        ledger: ledger.to_string(),
        actor: who.clone(),
        started_at: Utc::now().to_rfc3339(),
        files_seen: files.len(),
        ..RunReport::default()
    };
    for (i, path) in files.iter().enumerate() {
        let mut r = import_one(store, ledger, cfg, chart.as_ref(), path, &who, opts)?;
        match r.status.as_str() {
            "imported" => report.files_imported += 1,
            "already_imported" => report.files_already_imported += 1,
            _ => report.files_rejected += 1,
        }
        if let Some(o) = &r.outcome {
            report.lines_new += o.lines_new;
            report.lines_duplicate += o.lines_duplicate;
            report.documents_new += o.documents_new;
            report.documents_duplicate += o.documents_duplicate;
            report.entries_appended += o.entries_appended;
        }
        report.documents_quarantined += r.quarantined_rows;
        if r.status != "rejected" {
            if let Some(dir) = &opts.archive {
                r.archived_to = Some(archive(path, dir).map_err(Failure::Input)?);
            }
        }
        progress(i, &r);
        report.files.push(r);
    }
    report.duration_ms = started.elapsed().as_millis();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    report.entries_per_second = (report.entries_appended as f64 / secs) as u64;
    Ok(report)
}

fn archive(path: &Path, dir: &Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path.file_name().context("file without a name")?;
    let mut target = dir.join(name);
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{}.{n}", name.to_string_lossy()));
        n += 1;
    }
    if std::fs::rename(path, &target).is_err() {
        // Across file systems: copy, then remove the original.
        std::fs::copy(path, &target).with_context(|| format!("archiving {}", path.display()))?;
        std::fs::remove_file(path).with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(target.display().to_string())
}

fn rejected(file: &str, sha: Option<String>, kind: Option<&str>, error: String) -> FileResult {
    FileResult {
        file: file.to_string(),
        sha256: sha,
        kind: kind.map(str::to_string),
        format: None,
        status: "rejected".into(),
        outcome: None,
        quarantined_rows: 0,
        quarantine_file: None,
        error: Some(error),
        archived_to: None,
        warnings: Vec::new(),
    }
}

fn import_one(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    chart: Option<&kasda_core::chart::Chart>,
    path: &Path,
    who: &str,
    opts: &ImportOptions,
) -> Result<FileResult, Failure> {
    let name = path.display().to_string();
    let bytes = match read_limited(path) {
        Ok(b) => b,
        Err(e) => return Ok(rejected(&name, None, None, format!("{e:#}"))),
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    let short_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| name.clone());
    let is_documents = kasda_documents::detect_kind(&bytes).is_some()
        || (bytes.starts_with(b"PK\x03\x04") && kasda_statement::detect(&bytes).is_err());
    let mut result = FileResult {
        file: name.clone(),
        sha256: Some(sha.clone()),
        kind: Some(
            if is_documents {
                "documents"
            } else {
                "statement"
            }
            .into(),
        ),
        format: None,
        status: "imported".into(),
        outcome: None,
        quarantined_rows: 0,
        quarantine_file: None,
        error: None,
        archived_to: None,
        warnings: Vec::new(),
    };
    let batch = if is_documents {
        let lookup = |code: &str| chart.map(|c| c.contains(code)).unwrap_or(true);
        let mut ropts = ReadOptions::new(Utc::now());
        ropts.kode_lookup = Some(&lookup);
        // Repeats inside a file are evidence for duplicate_receipt, not a reason to lose the file.
        ropts.duplicates = Duplicates::Report;
        if opts.quarantine.is_some() {
            ropts.bad_rows = BadRows::Quarantine;
        }
        let docs = match kasda_documents::read_documents(&name, &bytes, &ropts) {
            Ok(d) => d,
            Err(e) => {
                let r = rejected(&name, Some(sha), Some("documents"), e.to_string());
                quarantine_file(path, opts, &r)?;
                return Ok(r);
            }
        };
        assert_eq!(
            docs.rows_in,
            docs.documents.len() + docs.quarantined.len(),
            "rows in = accepted + quarantined"
        );
        if let Some(dir) = &opts.quarantine {
            if !docs.quarantined.is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))
                    .map_err(Failure::Input)?;
                let q = kasda_documents::write_quarantine(&docs, dir, &short_name)
                    .with_context(|| format!("writing quarantine for {name}"))
                    .map_err(Failure::Input)?;
                result.quarantine_file = Some(q.display().to_string());
            }
        }
        result.quarantined_rows = docs.quarantined.len();
        let format = format!("{}-{}", docs.kind.as_str(), container_name(&docs.container));
        result.format = Some(format.clone());
        let file = SourceFile {
            name: short_name,
            sha256: sha.clone(),
            size_bytes: bytes.len() as u64,
            format,
            imported_by: who.to_string(),
        };
        let rows = docs
            .documents
            .into_iter()
            .map(|(row, d)| (u32::try_from(row.line).unwrap_or(u32::MAX), d))
            .collect();
        match kasda_store::build_document_batch(file, rows) {
            Ok(b) => b,
            Err(e) => return Ok(rejected(&name, Some(sha), Some("documents"), e.to_string())),
        }
    } else {
        let sf = match kasda_statement::read_bytes(&name, &bytes) {
            Ok(sf) => sf,
            Err(e) => {
                let r = rejected(&name, Some(sha), Some("statement"), e.to_string());
                quarantine_file(path, opts, &r)?;
                return Ok(r);
            }
        };
        let format = sf.format.as_ref().map(|f| f.id()).unwrap_or_default();
        result.format = Some(format.clone());
        for w in &sf.warnings {
            tracing::info!(file = %name, warning = %w, "statement warning");
        }
        result.warnings = sf.warnings.clone();
        let file = SourceFile {
            name: short_name,
            sha256: sha.clone(),
            size_bytes: bytes.len() as u64,
            format,
            imported_by: who.to_string(),
        };
        let roles = |n: &str| role_of(cfg, n);
        match kasda_store::build_import_batch(file, &sf, &roles) {
            Ok(b) => b,
            Err(e) => return Ok(rejected(&name, Some(sha), Some("statement"), e.to_string())),
        }
    };
    let outcome = store
        .import_file(ledger, batch)
        .map_err(|e| Failure::Store(anyhow::anyhow!("{name}: {e}")))?;
    if outcome.file_already_imported {
        result.status = "already_imported".into();
    }
    tracing::info!(
        file = %name,
        status = %result.status,
        lines = outcome.lines_new,
        documents = outcome.documents_new,
        entries = outcome.entries_appended,
        "imported"
    );
    result.outcome = Some(outcome);
    Ok(result)
}

fn container_name(c: &kasda_documents::Container) -> &'static str {
    match c {
        kasda_documents::Container::Csv { .. } => "csv",
        kasda_documents::Container::JsonLines { .. } => "jsonl",
        _ => "xlsx",
    }
}

/// With `--quarantine`, an unreadable file is copied there beside a `.reason.txt`.
fn quarantine_file(path: &Path, opts: &ImportOptions, r: &FileResult) -> Result<(), Failure> {
    let Some(dir) = &opts.quarantine else {
        return Ok(());
    };
    let go = || -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        let name = path.file_name().context("file without a name")?;
        std::fs::copy(path, dir.join(name))?;
        std::fs::write(
            dir.join(format!("{}.reason.txt", name.to_string_lossy())),
            r.error.clone().unwrap_or_default(),
        )?;
        Ok(())
    };
    go().with_context(|| format!("quarantining {}", path.display()))
        .map_err(Failure::Input)
}

pub fn run(cli: &Cli, a: &ImportArgs) -> CmdResult {
    if !a.watch {
        return run_once(cli, a);
    }
    if a.archive.is_none() {
        return Err(Failure::input(anyhow::anyhow!(
            "--watch needs --archive DIR so that imported files leave the watched directory"
        )));
    }
    let mut scans = 0u64;
    loop {
        // A bad file is reported (and quarantined when asked) but does not stop the watcher.
        match run_once(cli, a) {
            Ok(()) | Err(Failure::Input(_)) => {}
            Err(other) => return Err(other),
        }
        scans += 1;
        if a.max_scans.is_some_and(|m| scans >= m) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_secs(a.interval_secs.max(1)));
    }
}

fn run_once(cli: &Cli, a: &ImportArgs) -> CmdResult {
    let cfg = load_config(&cli.config)?;
    let files = expand(&a.paths).map_err(Failure::Input)?;
    if a.watch && files.is_empty() {
        return Ok(());
    }
    let _lock = super::ledger::run_lock(&cli.db)?;
    let mut store = open_store(&cli.db)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;
    let opts = ImportOptions {
        archive: a.archive.clone(),
        quarantine: a.quarantine.clone(),
    };
    let bar = crate::progress::bar(files.len() as u64, "importing");
    let report = import_files(store.as_mut(), &ledger, &cfg, &files, &opts, |_, r| {
        bar.inc(1);
        bar.set_message(r.file.clone());
        if r.status == "rejected" {
            bar.suspend(|| {
                eprintln!(
                    "kasda: rejected {}: {}",
                    r.file,
                    r.error.as_deref().unwrap_or("")
                )
            });
        }
    })?;
    bar.finish_and_clear();
    if let Some(path) = &a.report {
        let text = serde_json::to_string_pretty(&report).map_err(Failure::input)?;
        std::fs::write(path, text)
            .with_context(|| format!("writing run report {}", path.display()))
            .map_err(Failure::Input)?;
    }
    print_report(cli, &report)?;
    if report.files_rejected > 0 {
        return Err(Failure::Input(anyhow::anyhow!(
            "{} of {} file(s) rejected (see above); nothing of them was imported",
            report.files_rejected,
            report.files_seen
        )));
    }
    Ok(())
}

pub fn print_report(cli: &Cli, report: &RunReport) -> CmdResult {
    let mut t = Table::new(["file", "status", "format", "lines", "documents", "duplicates", "entries"])
        .numeric(&[3, 4, 5, 6])
        .titled(format!(
            "{} file(s): {} imported, {} already imported, {} rejected; {} entries in {} ms ({} entries/s)",
            report.files_seen,
            report.files_imported,
            report.files_already_imported,
            report.files_rejected,
            report.entries_appended,
            report.duration_ms,
            report.entries_per_second
        ));
    for f in &report.files {
        let o = f.outcome.clone().unwrap_or_default();
        t.push([
            f.file.clone(),
            f.status.clone(),
            f.format.clone().unwrap_or_default(),
            o.lines_new.to_string(),
            o.documents_new.to_string(),
            (o.lines_duplicate + o.documents_duplicate).to_string(),
            o.entries_appended.to_string(),
        ]);
    }
    let json = serde_json::to_value(report).map_err(Failure::input)?;
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
}
