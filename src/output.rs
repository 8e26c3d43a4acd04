//! Output formatting shared by every command: aligned text tables for people, stable JSON and
//! CSV for machines. Commands build a [`Table`] or a `serde_json::Value`; this module prints it.

use std::io::{self, Write};

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// Reports only.
    Xlsx,
    /// Reports only.
    Html,
}

/// A simple table: header and rows of cells. Numeric columns are right-aligned in text form.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Indices of columns to right-align (amounts, counts).
    pub numeric: Vec<usize>,
}

impl Table {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(header: I) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            ..Table::default()
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    pub fn numeric(mut self, cols: &[usize]) -> Self {
        self.numeric = cols.to_vec();
        self
    }

    pub fn push<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, row: I) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(t) = &self.title {
            writeln!(out, "{t}")?;
        }
        let cols = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |out: &mut dyn Write, cells: &[String]| -> io::Result<()> {
            let mut s = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = w.saturating_sub(cell.chars().count());
                if i > 0 {
                    s.push_str("  ");
                }
                if self.numeric.contains(&i) {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    if i + 1 < widths.len() {
                        s.push_str(&" ".repeat(pad));
                    }
                }
            }
            writeln!(out, "{}", s.trim_end())
        };
        line(out, &self.header)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(out, &rule)?;
        for row in &self.rows {
            line(out, row)?;
        }
        Ok(())
    }

    pub fn write_csv(&self, out: &mut dyn Write) -> io::Result<()> {
        let esc = |c: &str| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        };
        writeln!(
            out,
            "{}",
            self.header
                .iter()
                .map(|c| esc(c))
                .collect::<Vec<_>>()
                .join(",")
        )?;
        for row in &self.rows {
            writeln!(
                out,
                "{}",
                row.iter().map(|c| esc(c)).collect::<Vec<_>>().join(",")
            )?;
        }
        Ok(())
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        self.header
                            .iter()
                            .zip(r)
                            .map(|(h, c)| (h.clone(), serde_json::Value::String(c.clone())))
                            .collect(),
                    )
                })
                .collect(),
        )
    }
}

/// Prints a table in the chosen format; `json` overrides the table's own JSON when given.
pub fn print(format: Format, table: &Table, json: Option<&serde_json::Value>) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => table.write_text(&mut out),
        Format::Csv => table.write_csv(&mut out),
        Format::Json => {
            let v = json.cloned().unwrap_or_else(|| table.to_json());
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)
        }
        Format::Xlsx | Format::Html => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--format xlsx and html are for `kasda report`; use table, json or csv here",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_table_aligns_numbers() {
        let mut t = Table::new(["akun", "saldo"]).numeric(&[1]);
        t.push(["kas-daerah/1", "1.000,00"]);
        t.push(["x", "5,00"]);
        let mut buf = Vec::new();
        t.write_text(&mut buf).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains("kas-daerah/1  1.000,00"), "{s}");
        assert!(s.contains("x                 5,00"), "{s}");
    }

    #[test]
    fn csv_quotes_when_needed() {
        let mut t = Table::new(["a", "b"]);
        t.push(["x,y", "say \"hi\""]);
        let mut buf = Vec::new();
        t.write_csv(&mut buf).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n"
        );
    }
}
