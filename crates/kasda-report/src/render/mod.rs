//! Rendering a built [`Report`]: table text, CSV, JSON, XLSX and print-ready A4 HTML. Renderers
//! only lay out what the model holds; they never read the ledger or recompute a figure.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::model::{Cell, Report};
use crate::{fmt, ReportError};

mod charts;
mod csv_out;
mod html;
mod text;
mod xlsx;

pub use charts::chart_svg;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// Aligned table text for a terminal or a plain-text attachment.
    Text,
    /// One CSV stream: per section a title row, a header row and the rows; amounts in plain
    /// notation (`1234567.00`), dates ISO.
    Csv,
    /// The whole model as pretty JSON (stable; see [`crate::model::SCHEMA_VERSION`]).
    Json,
    /// An Excel workbook: one sheet per section, amounts as numbers with a rupiah format.
    Xlsx,
    /// Print-ready A4 HTML with inline SVG charts and no JavaScript.
    Html,
}

impl OutputFormat {
    pub fn parse(s: &str) -> Option<OutputFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "table" | "txt" => Some(OutputFormat::Text),
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "xlsx" | "excel" => Some(OutputFormat::Xlsx),
            "html" => Some(OutputFormat::Html),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Text => "text",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Xlsx => "xlsx",
            OutputFormat::Html => "html",
        }
    }
}

/// Writes the report in `format` to `out`.
pub fn render(
    report: &Report,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let io = |e: std::io::Error| ReportError::Output {
        format: format.as_str().into(),
        message: e.to_string(),
    };
    match format {
        OutputFormat::Text => text::write(report, out).map_err(io),
        OutputFormat::Csv => csv_out::write(report, out),
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(|e| ReportError::Output {
                format: "json".into(),
                message: e.to_string(),
            })?;
            out.write_all(b"\n").map_err(io)
        }
        OutputFormat::Xlsx => xlsx::write(report, out),
        OutputFormat::Html => html::write(report, out).map_err(io),
    }
}

/// A cell as people read it (Indonesian formats).
pub(crate) fn display(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Money(m) => fmt::amount(*m),
        Cell::Percent(p) => fmt::percent(*p),
        Cell::Date(d) => fmt::date_short(*d),
        Cell::Integer(i) => i.to_string(),
    }
}

/// Header lines shared by the text and HTML forms.
pub(crate) fn header_lines(r: &Report) -> Vec<String> {
    let h = &r.header;
    let pemda = h.pemda_name.to_uppercase();
    let pemda = if pemda.starts_with("PEMERINTAH") {
        pemda
    } else {
        format!("PEMERINTAH {pemda}")
    };
    let mut v = vec![pemda, h.title.clone()];
    if let Some(n) = &h.number {
        v.push(format!("Nomor: {n}"));
    }
    v.push(h.subtitle.clone());
    v.push(format!(
        "Periode: {}   Tahun anggaran: {}",
        fmt::period(h.period_from, h.period_to),
        h.fiscal_year
    ));
    v.push(format!(
        "Data s.d.: {}   Ledger: {}",
        match h.known_at {
            Some(k) => format!("{} UTC", k.format("%Y-%m-%d %H:%M:%S")),
            None => "semua data tercatat".to_string(),
        },
        h.ledger
    ));
    if let Some(g) = h.generated_at {
        v.push(format!("Dibuat: {} UTC", g.format("%Y-%m-%d %H:%M:%S")));
    }
    v
}
