//! XLSX container (calamine): the first sheet, its first row the header, the same columns as
//! CSV. Each data row is also rendered as a CSV line so a bad row can be quarantined as text.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use kasda_core::money::NumberFormat;

use crate::columns::{self, Cells, RowReader};
use crate::csvin;
use crate::validate::{self, Naming};
use crate::{
    Container, DocumentsError, Parsed, ReadOptions, RowError, RowRef, Rows, MAX_CELL_BYTES,
    MAX_XLSX_FILE_BYTES,
};

/// Most columns read from a sheet.
pub const MAX_XLSX_COLUMNS: usize = 256;

/// 2^53: from here on an Excel number cannot hold every integer exactly.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// Columns that hold identifiers, never quantities.
const TEXT_COLUMNS: [&str; 12] = [
    "ntpd",
    "kode_billing",
    "ntb",
    "nop",
    "npwpd",
    "rekening",
    "membatalkan_ntpd",
    "nomor_sts",
    "nomor_sp2d",
    "rekening_penerima",
    "nomor_bukti",
    "nomor_tbp",
];

struct XlsxRow<'r> {
    cells: &'r [String],
}

impl Cells for XlsxRow<'_> {
    fn cell(&self, pos: usize) -> Option<Cow<'_, str>> {
        self.cells.get(pos).map(|s| Cow::Borrowed(s.as_str()))
    }
}

/// A cell as text. Numbers use Rust's shortest round-trip form (`150000`, `0.1`), which is the
/// exact decimal the spreadsheet shows; dates become ISO text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.is_finite() {
                format!("{f}")
            } else {
                "NaN".to_string()
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                format!("{}", dt.as_f64())
            } else if (h, mi, s, ms) == (0, 0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn render_csv(cells: &[String], out: &mut Vec<u8>) {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    // Writing to a Vec cannot fail.
    let _ = w.write_record(cells);
    let _ = w.flush();
}

pub(crate) fn read(
    file: &str,
    bytes: &[u8],
    opts: &ReadOptions<'_>,
) -> Result<Parsed<'static>, DocumentsError> {
    if bytes.len() > MAX_XLSX_FILE_BYTES {
        return Err(DocumentsError::FileTooLarge {
            file: file.to_string(),
            container: "XLSX",
            size: bytes.len(),
            limit: MAX_XLSX_FILE_BYTES,
        });
    }
    let xerr = |message: String| DocumentsError::Xlsx {
        file: file.to_string(),
        message,
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| xerr(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| xerr("the workbook has no sheet".into()))?
        .map_err(|e| xerr(e.to_string()))?;
    let (first_row, _) = range.start().unwrap_or((0, 0));
    let width = range.width();
    if width > MAX_XLSX_COLUMNS {
        return Err(xerr(format!(
            "{width} columns; the limit is {MAX_XLSX_COLUMNS}"
        )));
    }
    let mut rows_iter = range.rows().enumerate();
    let header_cells: Vec<String> = loop {
        match rows_iter.next() {
            Some((_, r)) if r.iter().all(|c| matches!(c, Data::Empty)) => continue,
            Some((_, r)) => break r.iter().map(cell_text).collect(),
            None => {
                return Err(DocumentsError::Empty {
                    file: file.to_string(),
                })
            }
        }
    };
    let header_line = u64::from(first_row) + 1;
    let names: Vec<String> = header_cells
        .iter()
        .map(|c| columns::normalize_name(c))
        .collect();
    let kind = match opts.kind {
        Some(k) => k,
        None => columns::detect_from_names(&names).ok_or_else(|| DocumentsError::UnknownKind {
            file: file.to_string(),
            found: crate::error::clip(&header_cells.join(",")),
        })?,
    };
    let map = columns::map_header(kind, &names).map_err(|problems| DocumentsError::Header {
        file: file.to_string(),
        row: header_line,
        problems,
    })?;
    let spec = columns::spec(kind);
    let number_format = opts.number_format.unwrap_or(NumberFormat::Plain);
    let cx = validate::Context::new(opts, Naming::Csv);

    let mut header_raw = Vec::new();
    render_csv(&header_cells, &mut header_raw);
    let header_raw = csvin::trim_terminator(&header_raw).to_vec();
    let mut rendered = Vec::new();
    let mut rows = Rows::default();
    let mut errors: Vec<RowError> = Vec::new();
    for (idx, r) in rows_iter {
        if r.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        if rows.len() >= opts.max_rows {
            return Err(DocumentsError::TooManyRows {
                file: file.to_string(),
                limit: opts.max_rows,
            });
        }
        let line = u64::from(first_row) + idx as u64 + 1;
        let cells: Vec<String> = r.iter().map(cell_text).collect();
        let start = rendered.len();
        render_csv(&cells, &mut rendered);
        let row = RowRef {
            line,
            bytes: Some(start..rendered.len()),
        };
        errors.clear();
        if let Some((pos, c)) = cells
            .iter()
            .enumerate()
            .find(|(_, c)| c.len() > MAX_CELL_BYTES)
        {
            let column = names
                .get(pos)
                .cloned()
                .unwrap_or_else(|| format!("#{}", pos + 1));
            errors.push(RowError::new(
                line,
                &column,
                format!("a cell of at most {MAX_CELL_BYTES} bytes"),
                &format!("{} bytes", c.len()),
            ));
            rows.bad.push((row, std::mem::take(&mut errors)));
            continue;
        }
        // An identifier typed as a number keeps only ~15 significant digits in Excel: an
        // 18-digit NOP or a long account number would arrive silently changed.
        for (pos, cell) in r.iter().enumerate() {
            if let (Data::Float(f), Some(name)) = (cell, names.get(pos)) {
                if f.abs() >= MAX_EXACT_FLOAT && TEXT_COLUMNS.contains(&name.as_str()) {
                    errors.push(RowError::new(
                        line,
                        name,
                        "a text cell (Excel keeps only 15 digits of a number; format the column as text)",
                        &cell_text(cell),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            rows.bad.push((row, std::mem::take(&mut errors)));
            continue;
        }
        let xrow = XlsxRow { cells: &cells };
        let mut reader = RowReader {
            cells: &xrow,
            map: &map,
            spec,
            row: line,
            number_format,
            errors: &mut errors,
        };
        match csvin::build(kind, &mut reader) {
            Some(mut doc) if errors.is_empty() => {
                validate::check_document(&mut doc, line, &cx, &mut errors);
                if errors.is_empty() {
                    rows.good.push((row, doc));
                } else {
                    rows.bad.push((row, std::mem::take(&mut errors)));
                }
            }
            _ => {
                csvin::no_silent_rejection(&mut errors, line);
                rows.bad.push((row, std::mem::take(&mut errors)))
            }
        }
    }
    Ok(Parsed {
        kind,
        source: Cow::Owned(rendered),
        container: Container::Xlsx,
        header_raw,
        rows,
        naming: Naming::Csv,
    })
}
