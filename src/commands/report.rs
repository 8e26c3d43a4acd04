//! `kasda report <bar|bku|rekap|lak|position>`: every figure from the ledger through the store,
//! re-runnable for a past date (`--to`) and as the ledger knew it (`--known-at`).

use std::io::Write;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use kasda_report::{OutputFormat, ReportError, ReportKind, ReportParams};

use super::workflow::month_end;
use super::{ledger_of, load_config, open_store};
use crate::cli::{Cli, ReportArgs};
use crate::output::Format;
use crate::{CmdResult, Failure};

fn report_failure(e: ReportError) -> Failure {
    match e {
        ReportError::Params { .. } => Failure::input(e),
        other => Failure::store(other),
    }
}

/// `--period YYYY-MM`, or `--from`/`--to`, or the single day `--to`.
fn dates(a: &ReportArgs) -> Result<(NaiveDate, NaiveDate), Failure> {
    if let Some(p) = &a.period {
        let to = month_end(p)?;
        let from =
            NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d").map_err(Failure::input)?;
        return Ok((from, to));
    }
    let to = a.to.ok_or_else(|| {
        Failure::input(anyhow::anyhow!(
            "give --period YYYY-MM or --to DATE (with --from for a range)"
        ))
    })?;
    Ok((a.from.unwrap_or(to), to))
}

pub fn run(cli: &Cli, a: &ReportArgs) -> CmdResult {
    let kind = ReportKind::parse(&a.report).ok_or_else(|| {
        Failure::input(anyhow::anyhow!(
            "report {}: expected bar, bku, rekap, lak or position",
            a.report
        ))
    })?;
    let format = match cli.format {
        Format::Table => OutputFormat::Text,
        Format::Json => OutputFormat::Json,
        Format::Csv => OutputFormat::Csv,
        Format::Xlsx => OutputFormat::Xlsx,
        Format::Html => OutputFormat::Html,
    };
    if matches!(format, OutputFormat::Xlsx) && a.out.is_none() {
        return Err(Failure::input(anyhow::anyhow!(
            "--format xlsx needs --out FILE.xlsx"
        )));
    }
    let (from, to) = dates(a)?;
    let cfg = load_config(&cli.config)?;
    let mut store = open_store(&cli.db)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;
    let mut params = ReportParams::period(from, to);
    params.known_at = a.known_at.map(|t| t.with_timezone(&Utc));
    params.account = a.account.clone();
    params.opd = a.opd.clone();
    params.number = a.number.clone();
    params.generated_at = Some(Utc::now());
    let report = kasda_report::build(store.as_mut(), &ledger, &cfg, kind, &params)
        .map_err(report_failure)?;
    match &a.out {
        Some(path) => {
            let mut f = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))
                    .map_err(Failure::Input)?,
            );
            kasda_report::render(&report, format, &mut f).map_err(report_failure)?;
            f.flush().map_err(Failure::input)?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            kasda_report::render(&report, format, &mut out).map_err(report_failure)?;
        }
    }
    Ok(())
}
