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
use kasda_core::document::Document;
use kasda_core::posting;
use kasda_core::posting::AccountRole;
use kasda_documents::{
    BadRows, Container, DocumentBatch, DocumentsError, Duplicates, Kind, ReadOptions, ScanSummary,
};
use kasda_store::{BatchError, DocumentRecord, ImportBatch, ImportOutcome, SourceFile, Store};
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
/// Entries appended by one batch import from which the store's planner statistics are refreshed
/// ([`Store::refresh_statistics`]) before the command returns: a province day appends ≈ 300k.
const REFRESH_STATISTICS_AFTER: u64 = 10_000;

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
    // The next file is read and parsed on a thread of its own while the store writes the
    // current one (a rendezvous channel: at most the file being written and the next one are
    // held). Everything that moves or writes files happens here, in file order, so a run that
    // stops at a store error has touched nothing of the files after it.
    std::thread::scope(|scope| -> Result<(), Failure> {
        let (ready, prepared) = std::sync::mpsc::sync_channel::<Prepared>(0);
        let who = who.as_str();
        let chart = chart.as_ref();
        scope.spawn(move || {
            for path in files {
                if ready.send(read_one(cfg, chart, path, who, opts)).is_err() {
                    break;
                }
            }
        });
        for (i, (path, next)) in files.iter().zip(prepared.iter()).enumerate() {
            let r = write_one(store, ledger, path, opts, next)?;
            tally(&mut report, r, opts, path, i, &mut progress)?;
        }
        Ok(())
    })?;
    finish_report(store, report, started)
}

/// Counts one file's result into the run report and archives the file when asked.
fn tally(
    report: &mut RunReport,
    mut r: FileResult,
    opts: &ImportOptions,
    path: &Path,
    i: usize,
    progress: &mut impl FnMut(usize, &FileResult),
) -> Result<(), Failure> {
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
    Ok(())
}

/// Refreshes the store's statistics after a big run and stamps the run's duration and rate.
fn finish_report(
    store: &mut dyn Store,
    mut report: RunReport,
    started: Instant,
) -> Result<RunReport, Failure> {
    if report.entries_appended >= REFRESH_STATISTICS_AFTER {
        // The reports and reconciliation that follow a daily import must not be planned on the
        // statistics of an emptier ledger. The import itself is committed either way, so a
        // failure here is told, not fatal.
        if let Err(e) = store.refresh_statistics() {
            tracing::warn!(error = %e, "planner statistics not refreshed after the import");
        }
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

/// A file read and parsed, before the store or the file system is touched: what the reading
/// thread hands to the writing one.
enum Prepared {
    /// Refused before the store saw it; `quarantine`: the file itself goes to the quarantine.
    Rejected {
        result: FileResult,
        quarantine: bool,
    },
    /// A document file as read (its bad rows are written to the quarantine before the import).
    Documents {
        result: FileResult,
        docs: ReadDocs,
        file: SourceFile,
    },
    /// A statement file's import batch.
    Statement {
        result: FileResult,
        batch: ImportBatch,
    },
}

/// Reads, classifies and parses one file: no store, no writes (see [`write_one`]).
fn read_one(
    cfg: &Config,
    chart: Option<&kasda_core::chart::Chart>,
    path: &Path,
    who: &str,
    opts: &ImportOptions,
) -> Prepared {
    let name = path.display().to_string();
    let bytes = match read_limited(path) {
        Ok(b) => b,
        Err(e) => {
            return Prepared::Rejected {
                result: rejected(&name, None, None, format!("{e:#}")),
                quarantine: false,
            }
        }
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
    if is_documents {
        let lookup = |code: &str| chart.map(|c| c.contains(code)).unwrap_or(true);
        let mut ropts = ReadOptions::new(Utc::now());
        ropts.kode_lookup = Some(&lookup);
        // Repeats inside a file are evidence for duplicate_receipt, not a reason to lose the file.
        ropts.duplicates = Duplicates::Report;
        if opts.quarantine.is_some() {
            ropts.bad_rows = BadRows::Quarantine;
        }
        // A receipts CSV is read in the streaming pass, each accepted receipt going straight
        // into its store record; every other document file through the owned reader.
        let read = if kasda_documents::is_receipts_csv(&bytes, None) {
            match stream_receipts(&name, &short_name, &bytes, &ropts) {
                Ok(Some(read)) => Ok(read),
                Ok(None) => owned_documents(&name, &bytes, &ropts),
                Err(e) => Err(e),
            }
        } else {
            owned_documents(&name, &bytes, &ropts)
        };
        let docs = match read {
            Ok(d) => d,
            Err(e) => {
                return Prepared::Rejected {
                    result: rejected(&name, Some(sha), Some("documents"), e.to_string()),
                    quarantine: true,
                }
            }
        };
        if docs.rows_in() != docs.accepted() + docs.quarantined() {
            let e = format!(
                "{name}: internal error: {} rows read but {} accepted and {} quarantined",
                docs.rows_in(),
                docs.accepted(),
                docs.quarantined()
            );
            return Prepared::Rejected {
                result: rejected(&name, Some(sha), Some("documents"), e),
                quarantine: false,
            };
        }
        result.quarantined_rows = docs.quarantined();
        let (kind, container) = docs.kind_and_container();
        let format = format!("{}-{}", kind.as_str(), container_name(&container));
        result.format = Some(format.clone());
        let file = SourceFile {
            name: short_name,
            sha256: sha,
            size_bytes: bytes.len() as u64,
            format,
            imported_by: who.to_string(),
        };
        Prepared::Documents { result, docs, file }
    } else {
        let sf = match kasda_statement::read_bytes(&name, &bytes) {
            Ok(sf) => sf,
            Err(e) => {
                return Prepared::Rejected {
                    result: rejected(&name, Some(sha), Some("statement"), e.to_string()),
                    quarantine: true,
                }
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
            Ok(batch) => Prepared::Statement { result, batch },
            Err(e) => Prepared::Rejected {
                result: rejected(&name, Some(sha), Some("statement"), e.to_string()),
                quarantine: false,
            },
        }
    }
}

/// Quarantines what [`read_one`] refused and imports what it read, in one transaction per file.
fn write_one(
    store: &mut dyn Store,
    ledger: &str,
    path: &Path,
    opts: &ImportOptions,
    prepared: Prepared,
) -> Result<FileResult, Failure> {
    let (mut result, batch) = match prepared {
        Prepared::Rejected { result, quarantine } => {
            if quarantine {
                quarantine_file(path, opts, &result)?;
            }
            return Ok(result);
        }
        Prepared::Statement { result, batch } => (result, batch),
        Prepared::Documents {
            mut result,
            docs,
            file,
        } => {
            if let Some(dir) = &opts.quarantine {
                if docs.quarantined() > 0 {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))
                        .map_err(Failure::Input)?;
                    let q = docs
                        .write_quarantine(dir, &file.name)
                        .with_context(|| format!("writing quarantine for {}", result.file))
                        .map_err(Failure::Input)?;
                    result.quarantine_file = Some(q.display().to_string());
                }
            }
            let sha = file.sha256.clone();
            match docs.into_batch(file) {
                Ok(b) => (result, b),
                Err(e) => {
                    let name = result.file;
                    return Ok(rejected(&name, Some(sha), Some("documents"), e.to_string()));
                }
            }
        }
    };
    let name = result.file.clone();
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

/// A document file as read: owned documents, or the records the streaming receipts pass built.
enum ReadDocs {
    Owned(DocumentBatch),
    Streamed {
        summary: ScanSummary,
        /// Accepted receipts in row order, each already its store record.
        records: Result<Vec<DocumentRecord>, BatchError>,
    },
}

fn owned_documents(
    name: &str,
    bytes: &[u8],
    ropts: &ReadOptions<'_>,
) -> Result<ReadDocs, DocumentsError> {
    kasda_documents::read_documents(name, bytes, ropts).map(ReadDocs::Owned)
}

impl ReadDocs {
    fn rows_in(&self) -> usize {
        match self {
            ReadDocs::Owned(b) => b.rows_in,
            ReadDocs::Streamed { summary, .. } => summary.rows_in,
        }
    }

    fn accepted(&self) -> usize {
        match self {
            ReadDocs::Owned(b) => b.documents.len(),
            ReadDocs::Streamed { summary, .. } => summary.accepted,
        }
    }

    fn quarantined(&self) -> usize {
        match self {
            ReadDocs::Owned(b) => b.quarantined.len(),
            ReadDocs::Streamed { summary, .. } => summary.rejected.len(),
        }
    }

    fn kind_and_container(&self) -> (Kind, Container) {
        match self {
            ReadDocs::Owned(b) => (b.kind, b.container),
            ReadDocs::Streamed { summary, .. } => (Kind::Receipts, summary.container),
        }
    }

    fn write_quarantine(&self, dir: &Path, short_name: &str) -> std::io::Result<PathBuf> {
        match self {
            ReadDocs::Owned(b) => kasda_documents::write_quarantine(b, dir, short_name),
            ReadDocs::Streamed { summary, .. } => {
                kasda_documents::write_scan_quarantine(summary, dir, short_name)
            }
        }
    }

    fn into_batch(self, file: SourceFile) -> Result<ImportBatch, BatchError> {
        match self {
            ReadDocs::Owned(b) => {
                let rows = b
                    .documents
                    .into_iter()
                    .map(|(row, d)| (u32::try_from(row.line).unwrap_or(u32::MAX), d))
                    .collect();
                kasda_store::build_document_batch(file, rows)
            }
            ReadDocs::Streamed { records, .. } => Ok(ImportBatch {
                file,
                statements: Vec::new(),
                documents: records?,
            }),
        }
    }
}

/// The store record of an accepted document, as [`kasda_store::build_document_batch`] makes it
/// for the `index`-th accepted document of the file, and the posting model's refusal if any
/// (the record then has no entry).
fn document_record(
    file: &str,
    row: u32,
    index: usize,
    document: Document,
) -> (DocumentRecord, Option<BatchError>) {
    let (entry, refused) = match posting::post_document(&document, &format!("{row}:{index}")) {
        Ok(entry) => (entry, None),
        Err(source) => (
            None,
            Some(BatchError::Posting {
                file: file.to_string(),
                pos: format!("row {row}"),
                source: Box::new(source),
            }),
        ),
    };
    let record = DocumentRecord {
        row,
        natural_key: document.natural_key(),
        date: posting::document_date(&document),
        document,
        entry,
    };
    (record, refused)
}

/// A receipts CSV through the streaming pass: each receipt that passes the per-row rules
/// becomes its store record at once (no owned batch, no second copy), and the few rows the
/// rules across rows reject at the end are dropped by line, with the later records renumbered,
/// so the records equal `build_document_batch` over what `read_documents` accepts.
///
/// `Ok(None)`: more than `MAX_DOCUMENTS_PER_IMPORT` rows passed the per-row rules but rules
/// across rows brought the file back under the limit; the caller reads it the owned way.
fn stream_receipts(
    name: &str,
    short_name: &str,
    bytes: &[u8],
    ropts: &ReadOptions<'_>,
) -> Result<Option<ReadDocs>, DocumentsError> {
    let limit = kasda_store::MAX_DOCUMENTS_PER_IMPORT;
    let mut records: Vec<DocumentRecord> = Vec::new();
    // Rows whose receipt the posting model refused, in row order (the file is then refused,
    // unless a rule across rows quarantines that row).
    let mut refused: Vec<(u32, BatchError)> = Vec::new();
    let mut overflow = false;
    let mut reserved = false;
    let summary = kasda_documents::scan_receipts_csv(name, bytes, ropts, |row, view| {
        if records.len() >= limit {
            overflow = true;
            return;
        }
        if !reserved {
            // One receipt per line is the norm: reserve once rather than grow by doubling.
            reserved = true;
            records.reserve(bytes.iter().filter(|b| **b == b'\n').count().min(limit));
        }
        let line = u32::try_from(row.line).unwrap_or(u32::MAX);
        let document = Document::Receipt(view.to_receipt());
        let (record, refusal) = document_record(short_name, line, records.len(), document);
        records.push(record);
        if let Some(e) = refusal {
            refused.push((line, e));
        }
    })?;
    if summary.accepted > limit {
        let too_many = BatchError::TooMany {
            file: short_name.to_string(),
            what: "documents in one file",
            limit,
            found: summary.accepted,
        };
        return Ok(Some(ReadDocs::Streamed {
            summary,
            records: Err(too_many),
        }));
    }
    if overflow {
        return Ok(None);
    }
    // Rows rejected only by a rule across rows were handed to the visitor: drop them.
    let line_of =
        |q: &kasda_documents::QuarantinedRow| u32::try_from(q.row.line).unwrap_or(u32::MAX);
    let mut dropped = summary.rejected.iter().map(line_of).peekable();
    let mut first_moved: Option<usize> = None;
    let mut kept = 0usize;
    records.retain(|r| {
        while dropped.next_if(|l| *l < r.row).is_some() {}
        let keep = dropped.next_if_eq(&r.row).is_none();
        if keep {
            kept += 1;
        } else if first_moved.is_none() {
            first_moved = Some(kept);
        }
        keep
    });
    refused.retain(|(line, _)| records.binary_search_by_key(line, |r| r.row).is_ok());
    if let Some((_, e)) = refused.into_iter().next() {
        return Ok(Some(ReadDocs::Streamed {
            summary,
            records: Err(e),
        }));
    }
    // The entry's position is `<row>:<index among accepted>`: renumber after a dropped row.
    if let Some(from) = first_moved {
        for (i, r) in records.iter_mut().enumerate().skip(from) {
            if let Some(e) = r.entry.as_mut() {
                e.position = format!("{}:{i}", r.row);
            }
        }
    }
    Ok(Some(ReadDocs::Streamed {
        summary,
        records: Ok(records),
    }))
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "ntpd,kode_billing,kode_rekening,pokok,total,channel,dibayar_pada,status,membatalkan_ntpd";

    fn row(ntpd: &str, kb: &str, total: &str, status: &str, target: &str) -> String {
        format!("{ntpd},{kb},4.1.01.15.01.0001,{total},{total},teller,2026-03-02T10:00:00+07:00,{status},{target}")
    }

    fn file(name: &str, bytes: &[u8]) -> SourceFile {
        SourceFile {
            name: name.to_string(),
            sha256: "0".repeat(64),
            size_bytes: bytes.len() as u64,
            format: "receipts-csv".into(),
            imported_by: "tester".into(),
        }
    }

    fn options(now: &str, quarantine: bool) -> ReadOptions<'static> {
        let mut o = ReadOptions::new(now.parse().unwrap());
        o.duplicates = Duplicates::Report;
        if quarantine {
            o.bad_rows = BadRows::Quarantine;
        }
        o
    }

    /// Both paths of the importer over the same receipts CSV: the streaming one must give the
    /// same import batch (or the same refusal), the same counts and the same quarantine file.
    fn same_as_owned(bytes: &[u8], opts: &ReadOptions<'_>) -> Option<ImportBatch> {
        assert!(kasda_documents::is_receipts_csv(bytes, None));
        let streamed = stream_receipts("in/r.csv", "r.csv", bytes, opts)
            .map(|r| r.expect("under the document limit"));
        let owned = owned_documents("in/r.csv", bytes, opts);
        let (streamed, owned) = match (streamed, owned) {
            (Ok(s), Ok(o)) => (s, o),
            (Err(s), Err(o)) => {
                assert_eq!(s.to_string(), o.to_string());
                return None;
            }
            (s, o) => panic!(
                "paths disagree: streamed ok={} owned ok={}",
                s.is_ok(),
                o.is_ok()
            ),
        };
        assert!(matches!(streamed, ReadDocs::Streamed { .. }));
        for d in [&streamed, &owned] {
            assert_eq!(d.rows_in(), d.accepted() + d.quarantined());
        }
        assert_eq!(
            (
                streamed.rows_in(),
                streamed.accepted(),
                streamed.quarantined()
            ),
            (owned.rows_in(), owned.accepted(), owned.quarantined())
        );
        assert_eq!(streamed.kind_and_container(), owned.kind_and_container());
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let qa = std::fs::read(streamed.write_quarantine(&a, "r.csv").unwrap()).unwrap();
        let qb = std::fs::read(owned.write_quarantine(&b, "r.csv").unwrap()).unwrap();
        assert_eq!(String::from_utf8_lossy(&qa), String::from_utf8_lossy(&qb));
        let (s, o) = (
            streamed.into_batch(file("r.csv", bytes)),
            owned.into_batch(file("r.csv", bytes)),
        );
        match (s, o) {
            (Ok(s), Ok(o)) => {
                assert_eq!(s, o);
                Some(s)
            }
            (Err(s), Err(o)) => {
                assert_eq!(s.to_string(), o.to_string());
                None
            }
            (s, o) => panic!(
                "batches disagree: streamed ok={} owned ok={}",
                s.is_ok(),
                o.is_ok()
            ),
        }
    }

    #[test]
    fn streamed_receipts_make_the_same_batch_as_the_owned_reader() {
        let bytes = kasda_documents::sample::sample_receipts_csv(2500);
        let batch = same_as_owned(&bytes, &options(kasda_documents::sample::SAMPLE_NOW, false))
            .expect("a valid sample");
        assert_eq!(batch.documents.len(), 2500);
        assert!(batch.documents.iter().all(|d| d.entry.is_some()));
        // The sample has reversals, so both entry kinds are there.
        assert!(batch
            .documents
            .iter()
            .any(|d| d.natural_key.starts_with("receipt-reversal:")));
    }

    #[test]
    fn rows_rejected_across_rows_are_dropped_and_later_entries_renumbered() {
        let rows = [
            row("N1", "K1", "100", "paid", ""),
            row("N2", "K2", "12x", "paid", ""),
            // Reverses a receipt the file does not hold: rejected only by a rule across rows.
            row("N3", "", "100", "reversed", "N9"),
            row("N4", "K4", "300", "paid", ""),
            // A repeated NTPD is reported, not rejected, by the importer.
            row("N4", "K5", "300", "paid", ""),
            row("N5", "", "100", "reversed", "N1"),
            // Reverses N4 with the wrong total.
            row("N6", "", "999", "reversed", "N4"),
            row("N7", "K7", "700", "paid", ""),
        ];
        let text = format!("{HEADER}\n{}\n", rows.join("\n"));
        let now = "2026-03-10T00:00:00Z";
        let batch = same_as_owned(text.as_bytes(), &options(now, true)).expect("quarantine mode");
        let positions: Vec<String> = batch
            .documents
            .iter()
            .map(|d| d.entry.as_ref().unwrap().position.clone())
            .collect();
        // Rows are lines (header = 1); indices count accepted documents only.
        assert_eq!(
            positions.first().map(String::as_str),
            Some("2:0"),
            "{positions:?}"
        );
        assert!(positions.contains(&"9:4".to_string()), "{positions:?}");
        // All or nothing: the same file without --quarantine is refused, every bad row listed.
        assert!(same_as_owned(text.as_bytes(), &options(now, false)).is_none());
        let err = stream_receipts("in/r.csv", "r.csv", text.as_bytes(), &options(now, false))
            .err()
            .expect("refused")
            .to_string();
        for needle in ["row 3, column total", "row 4", "N9", "row 8"] {
            assert!(err.contains(needle), "{needle} missing from: {err}");
        }
    }

    #[test]
    fn every_mix_of_good_bad_and_cross_row_rows_agrees_with_the_owned_reader() {
        // Deterministic: every sequence of 3 rows drawn from these shapes, in both modes.
        let shapes = [
            row("A", "KA", "100", "paid", ""),
            row("B", "KB", "200", "paid", ""),
            row("A", "KC", "100", "paid", ""),
            row("C", "KA", "100", "paid", ""),
            row("R", "", "100", "reversed", "A"),
            row("S", "", "200", "reversed", "X"),
            row("T", "", "200", "reversed", "A"),
            row("D", "", "x", "paid", ""),
        ];
        let now = "2026-03-10T00:00:00Z";
        let n = shapes.len();
        for code in 0..n.pow(3) {
            let picked: Vec<&str> = (0..3)
                .map(|k| shapes[(code / n.pow(k)) % n].as_str())
                .collect();
            let text = format!("{HEADER}\n{}\n", picked.join("\n"));
            for quarantine in [false, true] {
                same_as_owned(text.as_bytes(), &options(now, quarantine));
            }
        }
    }

    #[test]
    fn other_document_files_keep_the_owned_reader() {
        let sts = b"{\"kind\":\"receipt\"}\n";
        assert!(!kasda_documents::is_receipts_csv(sts, None));
        assert!(!kasda_documents::is_receipts_csv(b"PK\x03\x04rest", None));
        assert!(!kasda_documents::is_receipts_csv(b"  \n", None));
        assert!(!kasda_documents::is_receipts_csv(
            b"no_sts,tanggal,opd,total\n",
            None
        ));
    }
}
