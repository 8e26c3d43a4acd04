//! Print-ready A4 HTML: Indonesian number and date formats, one table per section, page breaks,
//! signature blocks and inline SVG charts (plotters). No JavaScript, no external resources.

use std::io::{self, Write};

use super::{chart_svg, display, header_lines};
use crate::fmt;
use crate::model::{ColumnKind, Report, RowStyle};

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "@page { size: A4; margin: 15mm 12mm 18mm 12mm; @bottom-right { content: 'Halaman ' counter(page) ' dari ' counter(pages); } }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 9pt; color: #000; margin: 0; }
.page { width: 186mm; margin: 0 auto; }
header { text-align: center; margin-bottom: 6mm; }
header .pemda { font-weight: bold; font-size: 11pt; }
header .title { font-weight: bold; font-size: 12pt; margin: 2mm 0; }
header .meta { font-size: 8pt; color: #333; }
h2 { font-size: 10pt; margin: 5mm 0 2mm 0; }
table { border-collapse: collapse; width: 100%; page-break-inside: auto; overflow-wrap: break-word; }
tr { page-break-inside: avoid; }
thead { display: table-header-group; }
th, td { border: 0.5pt solid #555; padding: 1mm 1.2mm; vertical-align: top; }
th { background: #e8e8e8; font-weight: bold; }
td.num, td.date { text-align: right; white-space: nowrap; }
table.wide { font-size: 7pt; }
tr.subtotal td { font-weight: bold; }
tr.total td { font-weight: bold; border-top: 1.2pt solid #000; }
tr.heading td { font-weight: bold; background: #f4f4f4; }
.break { page-break-before: always; }
.notes p { margin: 1.5mm 0; }
.charts figure { margin: 4mm 0; page-break-inside: avoid; }
.charts figcaption { font-weight: bold; font-size: 9pt; }
.charts .axis { font-size: 7pt; color: #333; display: flex; justify-content: space-between; }
.signatures { display: flex; justify-content: space-between; margin-top: 10mm; page-break-inside: avoid; }
.sig { width: 45%; text-align: center; }
.sig .space { height: 20mm; }
.sig .name { font-weight: bold; text-decoration: underline; }
";

pub(super) fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let h = &r.header;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"id\"><head><meta charset=\"utf-8\">")?;
    writeln!(out, "<title>{}</title>", esc(&h.title))?;
    writeln!(
        out,
        "<style>{STYLE}</style></head><body><div class=\"page\">"
    )?;
    let lines = header_lines(r);
    writeln!(out, "<header>")?;
    for (i, l) in lines.iter().enumerate() {
        let class = match i {
            0 => "pemda",
            1 => "title",
            _ => "meta",
        };
        writeln!(out, "<div class=\"{class}\">{}</div>", esc(l))?;
    }
    writeln!(out, "</header>")?;
    for s in &r.sections {
        let brk = if s.page_break_before {
            " class=\"break\""
        } else {
            ""
        };
        writeln!(
            out,
            "<section{brk}><h2>{}</h2><table><thead><tr>",
            esc(&s.title)
        )?;
        for c in &s.columns {
            writeln!(out, "<th>{}</th>", esc(&c.title))?;
        }
        writeln!(out, "</tr></thead><tbody>")?;
        for row in &s.rows {
            let class = match row.style {
                RowStyle::Normal => "",
                RowStyle::Subtotal => " class=\"subtotal\"",
                RowStyle::Total => " class=\"total\"",
                RowStyle::Heading => " class=\"heading\"",
            };
            write!(out, "<tr{class}>")?;
            for (i, c) in row.cells.iter().enumerate() {
                let cls = match s.columns.get(i).map(|c| c.kind) {
                    Some(ColumnKind::Text) | None => "",
                    Some(ColumnKind::Date) => " class=\"date\"",
                    Some(_) => " class=\"num\"",
                };
                write!(out, "<td{cls}>{}</td>", esc(&display(c)))?;
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody></table></section>")?;
    }
    if !r.charts.is_empty() {
        writeln!(out, "<section class=\"charts\">")?;
        for c in &r.charts {
            writeln!(out, "<figure><figcaption>{}</figcaption>", esc(&c.title))?;
            match chart_svg(c) {
                Ok(svg) => writeln!(out, "{svg}")?,
                Err(e) => writeln!(out, "<p>(grafik tidak dapat dibuat: {})</p>", esc(&e))?,
            }
            let first = c.labels.first().cloned().unwrap_or_default();
            let last = c.labels.last().cloned().unwrap_or_default();
            let max = c
                .series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .max()
                .unwrap_or_default();
            writeln!(
                out,
                "<div class=\"axis\"><span>{}</span><span>maks. {}</span><span>{}</span></div>",
                esc(&first),
                esc(&fmt::rupiah(max))
                    .replace("Rp", if c.title.contains("Temuan") { "" } else { "Rp" }),
                esc(&last)
            )?;
            if c.labels.len() <= 12 {
                writeln!(out, "<div class=\"axis\">")?;
                for l in &c.labels {
                    writeln!(out, "<span>{}</span>", esc(l))?;
                }
                writeln!(out, "</div>")?;
            }
            writeln!(out, "</figure>")?;
        }
        writeln!(out, "</section>")?;
    }
    if !r.notes.is_empty() {
        writeln!(out, "<section class=\"notes\">")?;
        for n in &r.notes {
            writeln!(out, "<p>{}</p>", esc(n))?;
        }
        writeln!(out, "</section>")?;
    }
    if !r.signatures.is_empty() {
        writeln!(out, "<div class=\"signatures\">")?;
        for s in &r.signatures {
            writeln!(out, "<div class=\"sig\"><div>{}</div>", esc(&s.role))?;
            if !s.title.is_empty() {
                writeln!(out, "<div>{}</div>", esc(&s.title))?;
            }
            writeln!(
                out,
                "<div class=\"space\"></div><div class=\"name\">{}</div>",
                esc(&s.name)
            )?;
            if let Some(nip) = &s.nip {
                writeln!(out, "<div>NIP {}</div>", esc(nip))?;
            }
            writeln!(out, "</div>")?;
        }
        writeln!(out, "</div>")?;
    }
    writeln!(out, "</div></body></html>")
}
