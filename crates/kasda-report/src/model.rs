//! The report model: what every report is once built, before any rendering.
//!
//! A [`Report`] carries the header facts (pemda, period, cut-off), its typed figures
//! ([`ReportData`], the stable JSON contract) and the same figures laid out as tables
//! ([`Section`]) that the text, CSV, XLSX and HTML renderers print without recomputing anything.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{bar::BarData, bku::BkuData, lak::LakData, position::PositionData, rekap::RekapData};

/// Version of the JSON form; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Daily position of kas daerah per RKUD and holding account (DOMAIN §7.5).
    DailyPosition,
    /// Buku Kas Umum of the BUD (per RKUD account) or of one bendahara penerimaan (§7.1).
    Bku,
    /// Rekapitulasi penerimaan per kode rekening, OPD, channel and day (§7.2).
    Rekap,
    /// Berita Acara Rekonsiliasi, BUD ↔ bank or BUD ↔ bendahara penerimaan (§7.3).
    Bar,
    /// Laporan Arus Kas, direct method (§7.4).
    Lak,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::DailyPosition,
        ReportKind::Bku,
        ReportKind::Rekap,
        ReportKind::Bar,
        ReportKind::Lak,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::DailyPosition => "daily-position",
            ReportKind::Bku => "bku",
            ReportKind::Rekap => "rekap",
            ReportKind::Bar => "bar",
            ReportKind::Lak => "lak",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        ReportKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .or(match s.as_str() {
                "position" | "posisi" => Some(ReportKind::DailyPosition),
                "rekapitulasi" => Some(ReportKind::Rekap),
                "berita-acara" => Some(ReportKind::Bar),
                _ => None,
            })
    }
}

/// Header facts printed on every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportHeader {
    pub title: String,
    /// Second title line (OPD, account, bank).
    pub subtitle: String,
    pub ledger: String,
    pub pemda_code: String,
    pub pemda_name: String,
    pub fiscal_year: i32,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// Data cut-off: only facts recorded at or before this instant were read (`None` = all).
    pub known_at: Option<DateTime<Utc>>,
    /// Time zone of the pemda's business dates (WIB/WITA/WIT).
    pub zone: String,
    /// When the report was generated (given by the caller so a re-run is byte-identical).
    pub generated_at: Option<DateTime<Utc>>,
    /// Document number (BAR nomor), when given.
    pub number: Option<String>,
}

/// A built report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub kind: ReportKind,
    pub header: ReportHeader,
    /// Typed figures (the JSON contract).
    pub data: ReportData,
    /// The figures laid out as tables, in print order.
    pub sections: Vec<Section>,
    /// Paragraphs after the tables (proof lines, terbilang, warnings).
    pub notes: Vec<String>,
    pub signatures: Vec<SignatureBlock>,
    /// Charts for the HTML form.
    pub charts: Vec<Chart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "report", rename_all = "snake_case")]
pub enum ReportData {
    DailyPosition(PositionData),
    Bku(BkuData),
    Rekap(RekapData),
    Bar(BarData),
    Lak(LakData),
}

/// What a column holds; drives alignment and XLSX number formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    Money,
    Percent,
    Date,
    Integer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub title: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn text(title: &str) -> Column {
        Column {
            title: title.to_string(),
            kind: ColumnKind::Text,
        }
    }
    pub fn money(title: &str) -> Column {
        Column {
            title: title.to_string(),
            kind: ColumnKind::Money,
        }
    }
    pub fn percent(title: &str) -> Column {
        Column {
            title: title.to_string(),
            kind: ColumnKind::Percent,
        }
    }
    pub fn date(title: &str) -> Column {
        Column {
            title: title.to_string(),
            kind: ColumnKind::Date,
        }
    }
    pub fn integer(title: &str) -> Column {
        Column {
            title: title.to_string(),
            kind: ColumnKind::Integer,
        }
    }
}

/// One table cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text(String),
    Money(Decimal),
    /// A percentage: `85.25` means 85,25%.
    Percent(Decimal),
    Date(NaiveDate),
    Integer(i64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStyle {
    Normal,
    /// A subtotal line (bold).
    Subtotal,
    /// A grand total or result line (bold, ruled).
    Total,
    /// A heading line inside a table.
    Heading,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub style: RowStyle,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row {
            style: RowStyle::Normal,
            cells,
        }
    }
    pub fn styled(style: RowStyle, cells: Vec<Cell>) -> Row {
        Row { style, cells }
    }
}

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// Start this section on a new printed page.
    pub page_break_before: bool,
}

impl Section {
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> Section {
        Section {
            title: title.into(),
            columns,
            rows: Vec::new(),
            page_break_before: false,
        }
    }
}

/// A signature block: role line, title, name, NIP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureBlock {
    /// e.g. `Bendahara Umum Daerah`, `PT Bank … (pihak bank)`.
    pub role: String,
    pub title: String,
    pub name: String,
    pub nip: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Line,
    Bar,
}

/// A chart: labelled series of amounts, drawn as SVG in the HTML form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    /// X-axis labels, one per point.
    pub labels: Vec<String>,
    pub series: Vec<ChartSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    pub name: String,
    pub values: Vec<Decimal>,
}
