//! `kasda statement inspect` and `kasda documents inspect`: read files, no database.

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use kasda_core::money::{display_idr, format_amount, NumberFormat};
use kasda_documents::{BadRows, Kind, ReadOptions};

use crate::cli::{Cli, DocKindArg, DocumentsInspectArgs, InspectArgs};
use crate::output::{self, Format, Table};
use crate::{CmdResult, Failure};

pub fn statements(cli: &Cli, a: &InspectArgs) -> CmdResult {
    let mut json = Vec::new();
    let mut t = Table::new([
        "file", "format", "version", "stmts", "entries", "credit", "debit", "opening", "closing",
        "ccy", "balance",
    ])
    .numeric(&[3, 4, 5, 6, 7, 8]);
    let mut failed = Vec::new();
    for path in &a.files {
        match kasda_statement::read_file(path) {
            Ok(file) => {
                let name = path.display().to_string();
                let s = kasda_statement::summary::summarize(&file);
                let amt = |d: rust_decimal::Decimal| format_amount(d, NumberFormat::Indonesian, 2);
                t.push([
                    name.clone(),
                    file.format.as_ref().map(|f| f.id()).unwrap_or_default(),
                    file.version.clone().unwrap_or_default(),
                    s.statements.to_string(),
                    s.entries.to_string(),
                    amt(s.sum_credit),
                    amt(s.sum_debit),
                    s.opening_balance.map(amt).unwrap_or_default(),
                    s.closing_balance.map(amt).unwrap_or_default(),
                    s.currency.map(|c| c.to_string()).unwrap_or_default(),
                    s.balance_check.as_str().to_string(),
                ]);
                for w in &file.warnings {
                    tracing::info!(file = %name, warning = %w, "statement warning");
                }
                json.push(kasda_statement::inspect_json(&name, &file));
            }
            Err(e) => {
                eprintln!("kasda: {e}");
                failed.push(path.display().to_string());
            }
        }
    }
    if !json.is_empty() || failed.is_empty() {
        let value = if cli.format == Format::Json && json.len() == 1 && a.files.len() == 1 {
            json.pop().unwrap_or_default()
        } else {
            serde_json::Value::Array(json)
        };
        output::print(cli.format, &t, Some(&value)).map_err(Failure::input)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::input(anyhow::anyhow!(
            "{} file(s) could not be read: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

pub fn kind_of(k: DocKindArg) -> Kind {
    match k {
        DocKindArg::Receipts => Kind::Receipts,
        DocKindArg::Sts => Kind::Sts,
        DocKindArg::Sp2d => Kind::Sp2d,
        DocKindArg::Bku => Kind::Bku,
    }
}

pub fn documents(cli: &Cli, a: &DocumentsInspectArgs) -> CmdResult {
    let mut summaries = Vec::new();
    let mut t =
        Table::new(["file", "kind", "rows", "valid", "invalid", "total"]).numeric(&[2, 3, 4, 5]);
    let mut failed = Vec::new();
    if let Some(dir) = &a.quarantine {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating quarantine directory {}", dir.display()))
            .map_err(Failure::Input)?;
    }
    for path in &a.files {
        let name = path.display().to_string();
        let bytes = match read_limited(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("kasda: {e:#}");
                failed.push(name);
                continue;
            }
        };
        let mut opts = ReadOptions::new(Utc::now());
        opts.kind = a.kind.map(kind_of);
        if a.quarantine.is_some() {
            opts.bad_rows = BadRows::Quarantine;
        }
        match kasda_documents::read_documents(&name, &bytes, &opts) {
            Ok(batch) => {
                let accounted = batch.documents.len() + batch.quarantined.len();
                if accounted != batch.rows_in {
                    return Err(Failure::input(anyhow::anyhow!(
                        "{name}: rows in ({}) ≠ accepted ({}) + quarantined ({})",
                        batch.rows_in,
                        batch.documents.len(),
                        batch.quarantined.len()
                    )));
                }
                if let Some(dir) = &a.quarantine {
                    let q = kasda_documents::write_quarantine(&batch, dir, &name)
                        .with_context(|| format!("writing quarantine file for {name}"))
                        .map_err(Failure::Input)?;
                    eprintln!(
                        "{name}: rows in {} = accepted {} + quarantined {} ({})",
                        batch.rows_in,
                        batch.documents.len(),
                        batch.quarantined.len(),
                        q.display()
                    );
                }
                let mut s = kasda_documents::summary_json(&batch);
                t.push([
                    name.clone(),
                    batch.kind.as_str().to_string(),
                    batch.rows_in.to_string(),
                    batch.documents.len().to_string(),
                    batch.quarantined.len().to_string(),
                    display_idr(batch.total_amount()),
                ]);
                if cli.format == Format::Json {
                    let docs: Vec<_> = batch.documents.iter().map(|(_, d)| d).collect();
                    s["documents"] = serde_json::to_value(docs).map_err(Failure::input)?;
                }
                summaries.push(s);
            }
            Err(e) => {
                eprintln!("kasda: {e}");
                failed.push(name);
            }
        }
    }
    if !summaries.is_empty() || failed.is_empty() {
        let v = serde_json::Value::Array(summaries);
        output::print(cli.format, &t, Some(&v)).map_err(Failure::input)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::input(anyhow::anyhow!(
            "{} file(s) rejected: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

/// Largest document file read (1 GiB), matching the readers' own limit.
const MAX_DOCUMENT_FILE: u64 = 1 << 30;

pub fn read_limited(path: &Path) -> anyhow::Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot read", path.display()))?
        .len();
    if len > MAX_DOCUMENT_FILE {
        anyhow::bail!(
            "{}: file is {len} bytes; the limit is {MAX_DOCUMENT_FILE}",
            path.display()
        );
    }
    std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
}
