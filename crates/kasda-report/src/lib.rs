//! kasda-report: the treasury's reports, read from the ledger through the [`Store`] trait.
//!
//! Reports: daily position of kas daerah ([`position`]), Buku Kas Umum of the BUD and of each
//! bendahara penerimaan ([`bku`]), rekapitulasi penerimaan ([`rekap`]), Berita Acara
//! Rekonsiliasi ([`bar`]) and Laporan Arus Kas ([`lak`]).
//!
//! Every figure is a ledger balance or a sum of ledger postings read through the store — there is
//! no second computation path — and every read honours the same as-of date (booking date) and
//! known-at instant (recording time), so re-running a report for a past date and cut-off gives
//! the same numbers. A report is built once into a [`Report`] model (serde; the JSON form is
//! stable, see [`model::SCHEMA_VERSION`]) and then rendered as text, CSV, JSON, XLSX or
//! print-ready A4 HTML by [`render`].
//!
//! This crate must never write to a store, and never compute money with floating point (charts
//! convert to `f64` only to place pixels).

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::config::Config;
use kasda_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

pub mod bar;
pub mod bku;
pub mod fmt;
pub mod lak;
pub mod model;
pub mod position;
mod read;
pub mod rekap;
pub mod render;

pub use model::{Report, ReportData, ReportKind};
pub use render::{render, OutputFormat};

/// Most ledger entries one report reads; a larger period is refused with this limit named.
pub const MAX_REPORT_ENTRIES: usize = 2_000_000;
/// Longest period one report may span, in days.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Most rows one table may carry.
pub const MAX_TABLE_ROWS: usize = 1_000_000;

/// Everything a report can fail at.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("report parameters: {field}: expected {expected}, found {found}")]
    Params {
        field: String,
        expected: String,
        found: String,
    },
    #[error("{what}: {found} exceeds the limit of {limit}")]
    Limit {
        what: String,
        limit: usize,
        found: usize,
    },
    #[error("configuration: {0}")]
    Config(String),
    #[error("ledger figures disagree: {0}")]
    Inconsistent(String),
    #[error("arithmetic overflow while summing {0}")]
    Overflow(String),
    #[error("writing {format} output: {message}")]
    Output { format: String, message: String },
}

impl From<std::io::Error> for ReportError {
    fn from(e: std::io::Error) -> Self {
        ReportError::Output {
            format: "report".into(),
            message: e.to_string(),
        }
    }
}

/// What a report is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportParams {
    /// First booking date of the period (inclusive). The daily position ignores it.
    pub from: NaiveDate,
    /// Last booking date of the period (inclusive); the as-of date of every balance.
    pub to: NaiveDate,
    /// Read only facts recorded at or before this instant (`None` = everything recorded).
    pub known_at: Option<DateTime<Utc>>,
    /// One bank account (compared by digits) instead of all accounts: BAR and BKU of the BUD
    /// (RKUD accounts), daily position (RKUD or holding). Rekap and LAK always cover the pemda.
    pub account: Option<String>,
    /// OPD code: BKU of that bendahara penerimaan; BAR BUD ↔ bendahara penerimaan.
    pub opd: Option<String>,
    /// Printed as the generation time (given, so that a re-run is byte-identical).
    pub generated_at: Option<DateTime<Utc>>,
    /// Document number (BAR nomor).
    pub number: Option<String>,
}

impl ReportParams {
    /// A period with everything else unset.
    pub fn period(from: NaiveDate, to: NaiveDate) -> ReportParams {
        ReportParams {
            from,
            to,
            known_at: None,
            account: None,
            opd: None,
            generated_at: None,
            number: None,
        }
    }

    /// One day (daily position).
    pub fn day(on: NaiveDate) -> ReportParams {
        ReportParams::period(on, on)
    }

    fn check(&self) -> Result<(), ReportError> {
        if self.from > self.to {
            return Err(ReportError::Params {
                field: "from".into(),
                expected: format!("a date on or before `to` ({})", self.to),
                found: self.from.to_string(),
            });
        }
        let days = (self.to - self.from).num_days() + 1;
        if days > MAX_PERIOD_DAYS {
            return Err(ReportError::Params {
                field: "period".into(),
                expected: format!("at most {MAX_PERIOD_DAYS} days"),
                found: format!("{days} days ({} to {})", self.from, self.to),
            });
        }
        Ok(())
    }
}

/// Builds one report over the ledger.
pub fn build(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    kind: ReportKind,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    params.check()?;
    let mut report = match kind {
        ReportKind::DailyPosition => position::build_daily_position(store, ledger, cfg, params),
        ReportKind::Bku => bku::build_bku(store, ledger, cfg, params),
        ReportKind::Rekap => rekap::build_rekap(store, ledger, cfg, params),
        ReportKind::Bar => bar::build_bar(store, ledger, cfg, params),
        ReportKind::Lak => lak::build_lak(store, ledger, cfg, params),
    }?;
    // Every table amount carries exactly two decimals, so the JSON and CSV forms do not depend
    // on how a figure was summed (`0` vs `0.00`).
    for section in &mut report.sections {
        for row in &mut section.rows {
            for cell in &mut row.cells {
                if let model::Cell::Money(m) | model::Cell::Percent(m) = cell {
                    if m.scale() < 2 {
                        m.rescale(2);
                    }
                }
            }
        }
    }
    Ok(report)
}
