//! "Excel" downloads that are really an HTML table (many internet-banking portals serve
//! `<table>` markup with an `.xls` name). The rows of the first-to-last `<tr>` are rendered to
//! the same records the CSV splitter produces, so the bank's profile maps them unchanged.
//!
//! Deliberately small: cells are `<td>`/`<th>`, tags inside a cell are dropped, `<br>` is a line
//! break, `colspan` repeats empty cells, and the common character references are decoded. Rows
//! of nested tables are read in document order.

use super::records::{Cell, Record, MAX_CELLS, MAX_CELL_BYTES};

/// True for text that starts like markup and has a `<table` within [`super::SNIFF_BYTES`].
pub fn is_html(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    if body.get(start) != Some(&b'<') {
        return false;
    }
    let head = &body[start..body.len().min(start + super::SNIFF_BYTES)];
    head.windows(6).any(|w| w.eq_ignore_ascii_case(b"<table"))
}

/// Finds `needle` (ASCII, lower-case) case-insensitively in `hay` from `from`.
fn find_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if from > h.len() || n.is_empty() {
        return None;
    }
    h[from..]
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
        .map(|p| p + from)
}

/// Start of the next tag named one of `names` (followed by `>`, `/` or a blank) from `from`.
fn next_tag(hay: &str, from: usize, names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        let mut at = from;
        while let Some(p) = find_ci(hay, at, name) {
            let after = hay.as_bytes().get(p + name.len()).copied();
            if matches!(after, Some(b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')) {
                if best.is_none_or(|(b, _)| p < b) {
                    best = Some((p, i));
                }
                break;
            }
            at = p + 1;
        }
    }
    best
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(if c == '\u{a0}' { ' ' } else { c });
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text of a cell's inner markup: tags dropped, `<br>` as a line break, blanks collapsed.
fn cell_text(inner: &str) -> String {
    let mut text = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let tag_end = rest[lt..].find('>').map_or(rest.len(), |e| lt + e + 1);
        let tag = &rest[lt..tag_end];
        if tag.get(1..3).is_some_and(|t| t.eq_ignore_ascii_case("br")) {
            text.push('\n');
        }
        rest = &rest[tag_end..];
    }
    text.push_str(rest);
    let decoded = decode_entities(&text);
    decoded
        .split('\n')
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_string()
}

fn colspan(open_tag: &str) -> usize {
    let lower = open_tag.to_ascii_lowercase();
    lower
        .find("colspan")
        .and_then(|p| {
            let v = lower[p + 7..].trim_start().strip_prefix('=')?.trim_start();
            let v = v.trim_start_matches(['"', '\'']);
            let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        })
        .unwrap_or(1)
        .clamp(1, MAX_CELLS)
}

fn line_of(text: &str, from: usize, upto: usize, line: &mut u32) -> usize {
    let add = text.as_bytes()[from..upto]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    *line = line.saturating_add(u32::try_from(add).unwrap_or(u32::MAX));
    upto
}

/// The table rows of an HTML document; the error is `(code, line, what was found)`.
pub fn table_records(
    text: &str,
    delimiter: &str,
    max_rows: usize,
) -> Result<Vec<Record>, (&'static str, u32, String)> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut line = 1u32;
    let mut counted = 0usize;
    while let Some((tr, _)) = next_tag(text, pos, &["<tr"]) {
        counted = line_of(text, counted, tr, &mut line);
        let row_line = line;
        let row_end =
            next_tag(text, tr + 3, &["</tr", "<tr", "</table"]).map_or(text.len(), |(p, _)| p);
        let mut cells: Vec<Cell> = Vec::new();
        let mut at = tr + 3;
        while let Some((cell_start, _)) =
            next_tag(text, at, &["<td", "<th"]).filter(|&(p, _)| p < row_end)
        {
            let open_end = text[cell_start..]
                .find('>')
                .map_or(text.len(), |e| cell_start + e + 1);
            let close = next_tag(
                text,
                open_end,
                &["</td", "</th", "<td", "<th", "</tr", "<tr"],
            )
            .map_or(row_end, |(p, _)| p.min(row_end));
            let inner = text.get(open_end..close.max(open_end)).unwrap_or("");
            let t = cell_text(inner);
            if t.len() > MAX_CELL_BYTES {
                return Err((
                    "csv-too-long",
                    row_line,
                    format!("a cell longer than {MAX_CELL_BYTES} bytes"),
                ));
            }
            cells.push(Cell::text(t));
            for _ in 1..colspan(&text[cell_start..open_end]) {
                cells.push(Cell::text(""));
            }
            if cells.len() > MAX_CELLS {
                return Err((
                    "csv-too-many-cells",
                    row_line,
                    format!("more than {MAX_CELLS} cells in a row"),
                ));
            }
            at = close.max(open_end);
        }
        out.push(Record {
            line: row_line,
            raw: cells
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join(delimiter),
            cells,
        });
        if out.len() > max_rows {
            return Err((
                "too-many-rows",
                row_line,
                format!("more than {max_rows} rows"),
            ));
        }
        pos = row_end.max(tr + 3);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_cells_entities_and_breaks() {
        let html = "<html><body>\n<TABLE border=1>\n<tr><th>Tanggal</th><TH>Uraian</TH></tr>\n\
                    <tr><td>02/01/2026</td><td>SETORAN&nbsp;PBB &amp; BPHTB<br/>NOP 36.04</td></tr>\n\
                    <tr><td colspan=\"2\">Saldo Akhir</td><td><b>1.000,00</b></td>\n</table>";
        assert!(is_html(html.as_bytes()));
        let rows = table_records(html, ",", 100).unwrap();
        let texts: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(texts[0], ["Tanggal", "Uraian"]);
        assert_eq!(texts[1], ["02/01/2026", "SETORAN PBB & BPHTB\nNOP 36.04"]);
        assert_eq!(texts[2], ["Saldo Akhir", "", "1.000,00"]);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(rows[2].raw, "Saldo Akhir,,1.000,00");
        assert!(!is_html(b"<?xml version=\"1.0\"?><Document/>"));
        assert_eq!(
            decode_entities("a &#233; &#x41; &bogus; &"),
            "a é A &bogus; &"
        );
    }
}
