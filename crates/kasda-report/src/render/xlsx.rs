//! XLSX: one worksheet per section (plus a cover sheet with the header and notes); amounts are
//! numbers with a rupiah number format, percentages numbers with a percent format, dates real
//! Excel dates.

use std::collections::HashSet;
use std::io::Write;

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use super::header_lines;
use crate::model::{Cell, Report, RowStyle};
use crate::ReportError;

/// Excel's limit on sheet names.
const MAX_SHEET_NAME: usize = 31;

fn sheet_name(title: &str, used: &mut HashSet<String>) -> String {
    let clean: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect();
    let base: String = clean.trim().chars().take(MAX_SHEET_NAME - 4).collect();
    let base = if base.is_empty() {
        "Sheet".to_string()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        name = format!("{base} ({n})");
        n += 1;
    }
    used.insert(name.to_lowercase());
    name
}

fn err(e: XlsxError) -> ReportError {
    ReportError::Output {
        format: "xlsx".into(),
        message: e.to_string(),
    }
}

pub(super) fn write(r: &Report, out: &mut dyn Write) -> Result<(), ReportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("\"Rp\"#,##0.00;-\"Rp\"#,##0.00");
    let money_bold = money.clone().set_bold().set_border_top(FormatBorder::Thin);
    let percent = Format::new().set_num_format("0.00\"%\"");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let head = Format::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xE8E8E8))
        .set_border(FormatBorder::Thin);
    let mut used = HashSet::new();

    let cover: &mut Worksheet = wb.add_worksheet();
    cover
        .set_name(sheet_name("Laporan", &mut used))
        .map_err(err)?;
    let mut row = 0u32;
    for l in header_lines(r) {
        cover
            .write_string_with_format(row, 0, l, &bold)
            .map_err(err)?;
        row += 1;
    }
    row += 1;
    for n in &r.notes {
        cover.write_string(row, 0, n).map_err(err)?;
        row += 1;
    }
    row += 1;
    for s in &r.signatures {
        let nip = s
            .nip
            .as_deref()
            .map(|n| format!("NIP {n}"))
            .unwrap_or_default();
        cover
            .write_string(row, 0, format!("{}: {} {}", s.role, s.name, nip).trim_end())
            .map_err(err)?;
        row += 1;
    }
    cover.set_column_width(0, 100).map_err(err)?;

    for s in &r.sections {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.title, &mut used)).map_err(err)?;
        ws.write_string_with_format(0, 0, &s.title, &bold)
            .map_err(err)?;
        for (c, col) in s.columns.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(2, c, &col.title, &head)
                .map_err(err)?;
            ws.set_column_width(c, 18).map_err(err)?;
        }
        for (i, row) in s.rows.iter().enumerate() {
            let y = 3 + i as u32;
            let strong = matches!(row.style, RowStyle::Total | RowStyle::Subtotal);
            for (c, cell) in row.cells.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        if strong || row.style == RowStyle::Heading {
                            ws.write_string_with_format(y, c, t, &bold).map_err(err)?;
                        } else {
                            ws.write_string(y, c, t).map_err(err)?;
                        }
                    }
                    Cell::Money(m) => {
                        let f = if strong { &money_bold } else { &money };
                        ws.write_number_with_format(y, c, m.to_f64().unwrap_or(0.0), f)
                            .map_err(err)?;
                    }
                    Cell::Percent(p) => {
                        ws.write_number_with_format(y, c, p.to_f64().unwrap_or(0.0), &percent)
                            .map_err(err)?;
                    }
                    Cell::Date(d) => {
                        use chrono::Datelike;
                        let dt = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )
                        .map_err(err)?;
                        ws.write_datetime_with_format(y, c, &dt, &date)
                            .map_err(err)?;
                    }
                    Cell::Integer(n) => {
                        ws.write_number(y, c, *n as f64).map_err(err)?;
                    }
                }
            }
        }
        ws.set_landscape();
        ws.set_paper_size(9); // A4
    }
    let bytes = wb.save_to_buffer().map_err(err)?;
    out.write_all(&bytes).map_err(|e| ReportError::Output {
        format: "xlsx".into(),
        message: e.to_string(),
    })
}
