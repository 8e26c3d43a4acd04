//! Aligned table text.

use std::io::{self, Write};

use super::{display, header_lines};
use crate::model::{ColumnKind, Report, RowStyle};

/// Widest a text cell is printed; longer text is cut with `…` (the CSV/JSON forms keep it all).
const MAX_CELL_CHARS: usize = 60;

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CELL_CHARS {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_CELL_CHARS - 1).collect();
        t.push('…');
        t
    }
}

pub(super) fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    for l in header_lines(r) {
        writeln!(out, "{l}")?;
    }
    for s in &r.sections {
        writeln!(out)?;
        writeln!(out, "{}", s.title)?;
        let cells: Vec<Vec<String>> = s
            .rows
            .iter()
            .map(|row| row.cells.iter().map(|c| cut(&display(c))).collect())
            .collect();
        let mut widths: Vec<usize> = s.columns.iter().map(|c| c.title.chars().count()).collect();
        for row in &cells {
            for (i, c) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let line = |out: &mut dyn Write, vals: &[String]| -> io::Result<()> {
            let mut parts = Vec::new();
            for (i, w) in widths.iter().enumerate() {
                let v = vals.get(i).map(String::as_str).unwrap_or("");
                let right = s
                    .columns
                    .get(i)
                    .is_some_and(|c| !matches!(c.kind, ColumnKind::Text));
                let pad = w.saturating_sub(v.chars().count());
                parts.push(if right {
                    format!("{}{}", " ".repeat(pad), v)
                } else {
                    format!("{}{}", v, " ".repeat(pad))
                });
            }
            writeln!(out, "{}", parts.join(" | ").trim_end())
        };
        let titles: Vec<String> = s.columns.iter().map(|c| c.title.clone()).collect();
        line(out, &titles)?;
        let rule: usize = widths.iter().sum::<usize>() + 3 * widths.len().saturating_sub(1);
        writeln!(out, "{}", "-".repeat(rule))?;
        for (row, vals) in s.rows.iter().zip(&cells) {
            if row.style == RowStyle::Total {
                writeln!(out, "{}", "-".repeat(rule))?;
            }
            line(out, vals)?;
        }
    }
    if !r.notes.is_empty() {
        writeln!(out)?;
        for n in &r.notes {
            writeln!(out, "{n}")?;
        }
    }
    if !r.signatures.is_empty() {
        writeln!(out)?;
        for s in &r.signatures {
            writeln!(out, "{}", s.role)?;
            if !s.title.is_empty() {
                writeln!(out, "{}", s.title)?;
            }
            writeln!(out, "\n\n{}", s.name)?;
            if let Some(nip) = &s.nip {
                writeln!(out, "NIP {nip}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}
