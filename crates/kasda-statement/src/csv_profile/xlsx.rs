//! The first sheet of an XLSX export rendered to the same records the CSV splitter produces,
//! so one profile maps both. Numeric cells keep their type (read as plain decimals, never
//! through the profile's text notation) and date cells become dates.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::records::{Cell, Record, Typed, MAX_CELLS, MAX_CELL_BYTES};

/// Most sheet rows rendered (same bound as the CSV reader, plus room for header and footer).
pub const MAX_SHEET_ROWS: usize = super::MAX_ROWS + 10_000;

/// Renders the first sheet; the error is `(code, what was found)`.
pub fn sheet_records(bytes: &[u8], delimiter: &str) -> Result<Vec<Record>, (&'static str, String)> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| ("bad-xlsx", e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(("bad-xlsx", "a workbook without sheets".to_string()))?
        .map_err(|e| ("bad-xlsx", e.to_string()))?;
    let Some((row0, col0)) = range.start() else {
        return Ok(Vec::new());
    };
    if range.height() > MAX_SHEET_ROWS {
        return Err((
            "too-many-rows",
            format!("{} rows (at most {MAX_SHEET_ROWS})", range.height()),
        ));
    }
    if range.width() + col0 as usize > MAX_CELLS {
        return Err((
            "csv-too-many-cells",
            format!("{} columns (at most {MAX_CELLS})", range.width()),
        ));
    }
    let mut out = Vec::with_capacity(range.height());
    for (i, row) in range.rows().enumerate() {
        let mut cells: Vec<Cell> = (0..col0).map(|_| Cell::text("")).collect();
        for d in row {
            let c = render(d);
            if c.text.len() > MAX_CELL_BYTES {
                return Err((
                    "csv-too-long",
                    format!(
                        "a cell longer than {MAX_CELL_BYTES} bytes in sheet row {}",
                        i + row0 as usize + 1
                    ),
                ));
            }
            cells.push(c);
        }
        while cells.last().is_some_and(|c| c.text.is_empty()) {
            cells.pop();
        }
        let raw = cells
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(delimiter);
        out.push(Record {
            line: u32::try_from(i + row0 as usize + 1).unwrap_or(u32::MAX),
            cells,
            raw,
        });
    }
    Ok(out)
}

fn render(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::text(""),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::text(s.clone()),
        Data::Bool(b) => Cell::text(if *b { "TRUE" } else { "FALSE" }),
        Data::Int(i) => Cell {
            text: i.to_string(),
            typed: Typed::Number,
        },
        // Display of f64 is the shortest text that reads back to the same double, so a cell
        // holding 1234.56 renders as "1234.56" and is then parsed exactly as a decimal.
        Data::Float(f) if f.is_finite() => Cell {
            text: f.to_string(),
            typed: Typed::Number,
        },
        Data::Float(f) => Cell::text(f.to_string()),
        Data::Error(e) => Cell::text(format!("#{e}")),
        Data::DateTime(dt) => {
            let (y, m, day, h, min, s, _) = dt.to_ymd_hms_milli();
            let date = NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day));
            let time = NaiveTime::from_hms_opt(u32::from(h), u32::from(min), u32::from(s));
            match (date, time) {
                (Some(date), Some(time)) => {
                    let at = NaiveDateTime::new(date, time);
                    Cell {
                        text: at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        typed: Typed::DateTime(at),
                    }
                }
                // A time-only cell (serial below 1) has no calendar date: keep its time on
                // the spreadsheet epoch so a time column still reads.
                _ if (0.0..1.0).contains(&dt.as_f64()) => {
                    let secs = (dt.as_f64() * 86_400.0).round() as u32;
                    let at = NaiveDate::from_ymd_opt(1899, 12, 31)
                        .zip(NaiveTime::from_num_seconds_from_midnight_opt(
                            secs.min(86_399),
                            0,
                        ))
                        .map(|(d, t)| NaiveDateTime::new(d, t));
                    match at {
                        Some(at) => Cell {
                            text: at.format("%H:%M:%S").to_string(),
                            typed: Typed::DateTime(at),
                        },
                        None => Cell::text(dt.as_f64().to_string()),
                    }
                }
                _ => Cell::text(dt.as_f64().to_string()),
            }
        }
    }
}
