//! Splits decoded CSV text into records, keeping the physical line each record starts on and
//! its raw text (preamble and footer regexes match the raw line, not the cells).
//!
//! Written here rather than taken from a general CSV library because bank exports need things
//! such libraries smooth over: the exact starting line of a record whose quoted description
//! spans several lines, the raw text of free-form header/footer lines, a lenient reading of
//! blanks before an opening quote (`, "abc"`), and hard limits on line and cell size.

use chrono::NaiveDateTime;

/// Longest physical line accepted (1 MiB): a bank export line is a few hundred bytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Largest single cell (64 KiB), quoted multi-line descriptions included.
pub const MAX_CELL_BYTES: usize = 64 * 1024;
/// Most cells in one record.
pub const MAX_CELLS: usize = 512;

/// What a cell held in the source. CSV cells are always text; XLSX cells may be typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Text,
    /// A numeric spreadsheet cell, rendered as a plain decimal (`-1234.5`).
    Number,
    /// A spreadsheet date/time cell.
    DateTime(NaiveDateTime),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub typed: Typed,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell {
            text: s.into(),
            typed: Typed::Text,
        }
    }
}

/// One logical row of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based physical line (CSV) or sheet row (XLSX) the record starts on.
    pub line: u32,
    pub cells: Vec<Cell>,
    /// The record as written (CSV) or its cells joined by the delimiter (XLSX).
    pub raw: String,
}

impl Record {
    /// True when every cell is empty or blank.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.text.trim().is_empty())
    }
}

/// A record could not be split; `line` is where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub line: u32,
    pub code: &'static str,
    pub expected: String,
    pub found: String,
}

/// Iterator over the records of `text`.
pub struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
    delimiter: char,
    quote: Option<char>,
    failed: bool,
}

impl<'a> Records<'a> {
    pub fn new(text: &'a str, delimiter: char, quote: Option<char>) -> Self {
        Records {
            text,
            pos: 0,
            line: 1,
            delimiter,
            quote,
            failed: false,
        }
    }

    fn split_one(&mut self) -> Result<Record, SplitError> {
        let start_line = self.line;
        let start = self.pos;
        let rest = &self.text[start..];
        let mut cells: Vec<Cell> = Vec::new();
        let mut cell = String::new();
        let mut in_quotes = false;
        // After a closing quote the rest of the cell is appended as written.
        let mut line_bytes = 0usize;
        let mut raw_end = rest.len();
        let mut consumed = rest.len();
        let mut iter = rest.char_indices().peekable();
        let too_long = |line: u32, what: &str, limit: usize| SplitError {
            line,
            code: "csv-too-long",
            expected: format!("a {what} of at most {limit} bytes"),
            found: format!("a longer {what}"),
        };
        while let Some((i, c)) = iter.next() {
            line_bytes += c.len_utf8();
            if line_bytes > MAX_LINE_BYTES {
                return Err(too_long(self.line, "line", MAX_LINE_BYTES));
            }
            if in_quotes {
                if Some(c) == self.quote {
                    if iter.peek().map(|&(_, n)| n) == self.quote {
                        iter.next();
                        line_bytes += 1;
                        cell.push(c);
                    } else {
                        in_quotes = false;
                    }
                    continue;
                }
                if c == '\n' || (c == '\r' && iter.peek().map(|&(_, n)| n) != Some('\n')) {
                    self.line += 1;
                    line_bytes = 0;
                }
                cell.push(c);
            } else if c == self.delimiter {
                cells.push(Cell::text(std::mem::take(&mut cell)));
                if cells.len() > MAX_CELLS {
                    return Err(SplitError {
                        line: start_line,
                        code: "csv-too-many-cells",
                        expected: format!("at most {MAX_CELLS} cells in a row"),
                        found: "more".into(),
                    });
                }
            } else if c == '\n' || c == '\r' {
                raw_end = i;
                consumed = i + 1;
                if c == '\r' && iter.peek().map(|&(_, n)| n) == Some('\n') {
                    consumed += 1;
                }
                self.line += 1;
                break;
            } else if Some(c) == self.quote && cell.trim().is_empty() {
                // An opening quote; blanks before it are layout, not content.
                cell.clear();
                in_quotes = true;
            } else {
                cell.push(c);
            }
            if cell.len() > MAX_CELL_BYTES {
                return Err(too_long(start_line, "cell", MAX_CELL_BYTES));
            }
        }
        if in_quotes {
            return Err(SplitError {
                line: start_line,
                code: "csv-unterminated-quote",
                expected: "a closing quote for the cell opened on this line".into(),
                found: "end of file".into(),
            });
        }
        cells.push(Cell::text(cell));
        self.pos = start + consumed;
        Ok(Record {
            line: start_line,
            cells,
            raw: rest[..raw_end].to_string(),
        })
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.text.len() {
            return None;
        }
        let r = self.split_one();
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(r: &Record) -> Vec<&str> {
        r.cells.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn quoted_multiline_cells_keep_their_start_line() {
        let t = "a,\"b\r\nc\",d\r\n\"x\"\"y\", \"z\" ,\r\nlast";
        let rs: Vec<Record> = Records::new(t, ',', Some('"'))
            .map(Result::unwrap)
            .collect();
        assert_eq!(rs.len(), 3);
        assert_eq!((rs[0].line, texts(&rs[0])), (1, vec!["a", "b\r\nc", "d"]));
        assert_eq!(rs[0].raw, "a,\"b\r\nc\",d");
        assert_eq!((rs[1].line, texts(&rs[1])), (3, vec!["x\"y", "z ", ""]));
        assert_eq!((rs[2].line, texts(&rs[2])), (4, vec!["last"]));
    }

    #[test]
    fn unterminated_quote_and_limits_are_errors() {
        let e = Records::new("a\n\"open,1\n2", ',', Some('"'))
            .find_map(Result::err)
            .unwrap();
        assert_eq!((e.line, e.code), (2, "csv-unterminated-quote"));
        let long = "x".repeat(MAX_CELL_BYTES + 1);
        let e = Records::new(&long, ',', None)
            .find_map(Result::err)
            .unwrap();
        assert_eq!(e.code, "csv-too-long");
    }

    #[test]
    fn blank_lines_are_records() {
        let rs: Vec<Record> = Records::new("a;b\n\n;c", ';', None)
            .map(Result::unwrap)
            .collect();
        assert_eq!(rs.len(), 3);
        assert!(rs[1].is_blank());
        assert_eq!(texts(&rs[2]), vec!["", "c"]);
    }
}
