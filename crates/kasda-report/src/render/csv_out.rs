//! CSV: per section a title row, a header row, the rows and an empty row. Values are
//! machine-readable (plain amounts, ISO dates); text cells are written as text.

use std::io::Write;

use kasda_core::money::canonical;
use kasda_core::Currency;

use crate::model::{Cell, Report};
use crate::ReportError;

fn value(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Money(m) => canonical(*m, Currency::IDR),
        Cell::Percent(p) => p.round_dp(2).to_string(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Integer(i) => i.to_string(),
    }
}

pub(super) fn write(r: &Report, out: &mut dyn Write) -> Result<(), ReportError> {
    let err = |e: csv::Error| ReportError::Output {
        format: "csv".into(),
        message: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(out);
    for s in &r.sections {
        w.write_record([s.title.as_str()]).map_err(err)?;
        w.write_record(s.columns.iter().map(|c| c.title.as_str()))
            .map_err(err)?;
        for row in &s.rows {
            w.write_record(row.cells.iter().map(value)).map_err(err)?;
        }
        w.write_record([""]).map_err(err)?;
    }
    w.flush().map_err(|e| ReportError::Output {
        format: "csv".into(),
        message: e.to_string(),
    })
}
