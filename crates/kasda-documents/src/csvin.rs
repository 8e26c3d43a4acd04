//! CSV container: encoding and delimiter sniffing, the header, and one pass over the records
//! ([`crate::split`]). Cells are decoded in place (borrowed for UTF-8), so a valid row costs
//! only the allocations of the document it becomes.

use std::borrow::Cow;

use csv::ByteRecord;
use kasda_core::money::NumberFormat;

use crate::columns::{self, Cells, RowReader};
use crate::split::{Record, Splitter};
use crate::validate::{self, Naming};
use crate::{
    Container, DocumentsError, Kind, Parsed, ReadOptions, RowError, RowRef, Rows, TextEncoding,
    MAX_CELL_BYTES, MAX_RECORD_BYTES,
};
use kasda_core::document::Document;

/// The most frequent of `;`, `,` and TAB outside quotes in the header line (ties: `,`).
pub(crate) fn sniff_delimiter(header: &[u8]) -> u8 {
    let (mut comma, mut semi, mut tab) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => comma += 1,
            b';' if !quoted => semi += 1,
            b'\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if semi > comma && semi >= tab {
        b';'
    } else if tab > comma && tab > semi {
        b'\t'
    } else {
        b','
    }
}

/// Normalized column names of a header line.
pub(crate) fn header_names(header: &[u8], delimiter: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(header);
    let mut rec = ByteRecord::new();
    match rdr.read_byte_record(&mut rec) {
        Ok(true) => rec
            .iter()
            .map(|f| columns::normalize_name(&String::from_utf8_lossy(f)))
            .collect(),
        _ => Vec::new(),
    }
}

impl Cells for Record<'_> {
    fn cell(&self, pos: usize) -> Option<Cow<'_, str>> {
        Record::cell(self, pos)
    }

    #[inline]
    fn text(&self, pos: usize) -> Option<&str> {
        self.text_cell(pos)
    }
}

fn utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// What the header and the first bytes of a CSV file settled: everything a row needs.
pub(crate) struct Setup {
    pub kind: Kind,
    pub encoding: TextEncoding,
    /// Bytes before the body (the UTF-8 byte order mark).
    pub offset: usize,
    pub delimiter: u8,
    pub number_format: NumberFormat,
    pub header_raw: Vec<u8>,
    /// Normalized header names by position.
    pub names: Vec<String>,
    /// Spec column → position in the file.
    pub map: Vec<Option<usize>>,
    /// Data lines in the body (an upper bound on rows, for reserving).
    pub expected_rows: usize,
}

impl Setup {
    pub fn container(&self) -> Container {
        Container::Csv {
            delimiter: self.delimiter,
            encoding: self.encoding,
            number_format: self.number_format,
        }
    }
}

/// Sniffs the encoding and delimiter, reads the header, then hands every non-blank record to
/// `row` with its [`RowRef`] and any size-limit problem already in `errors` (the row is bad when
/// `errors` is not empty on entry). `row` leaves `errors` as it found it or takes it.
pub(crate) fn for_each_record(
    file: &str,
    bytes: &[u8],
    opts: &ReadOptions<'_>,
    force_kind: Option<Kind>,
    mut row: impl FnMut(&Setup, &Record<'_>, RowRef, &mut Vec<RowError>),
) -> Result<Setup, DocumentsError> {
    if utf16_bom(bytes) {
        return Err(DocumentsError::Encoding {
            file: file.to_string(),
            message: "UTF-16 text is not supported; expected UTF-8 (with or without BOM) or Windows-1252: save the file as CSV UTF-8".into(),
        });
    }
    // The whole file is checked once; cells of a UTF-8 file are then borrowed without a check.
    let (encoding, offset, text) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        match std::str::from_utf8(rest) {
            Ok(t) => (TextEncoding::Utf8Bom, 3, Some(t)),
            Err(_) => {
                return Err(DocumentsError::Encoding {
                    file: file.to_string(),
                    message: "the file starts with a UTF-8 byte order mark but is not valid UTF-8"
                        .into(),
                })
            }
        }
    } else {
        match std::str::from_utf8(bytes) {
            Ok(t) => (TextEncoding::Utf8, 0, Some(t)),
            Err(_) => (TextEncoding::Windows1252, 0, None),
        }
    };
    let body = &bytes[offset..];
    let header_end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    let delimiter = sniff_delimiter(&body[..header_end]);
    let number_format = opts.number_format.unwrap_or(if delimiter == b';' {
        NumberFormat::Indonesian
    } else {
        NumberFormat::Plain
    });

    let mut split = Splitter::new(body, text, encoding, delimiter);
    let Some(header) = split.next_record() else {
        return Err(DocumentsError::Empty {
            file: file.to_string(),
        });
    };
    // The header's row is 1 whatever blank lines come before it (as the csv crate counts).
    let header_line = 1;
    let header_raw = trim_terminator(&body[..header.end]).to_vec();
    let header_row = split.record();
    let names: Vec<String> = (0..header_row.len())
        .map(|i| columns::normalize_name(&header_row.cell(i).unwrap_or_default()))
        .collect();
    let kind = match force_kind.or(opts.kind) {
        Some(k) => k,
        None => columns::detect_from_names(&names).ok_or_else(|| DocumentsError::UnknownKind {
            file: file.to_string(),
            found: crate::error::clip(&String::from_utf8_lossy(&header_raw)),
        })?,
    };
    let map = columns::map_header(kind, &names).map_err(|problems| DocumentsError::Header {
        file: file.to_string(),
        row: header_line,
        problems,
    })?;
    // One document per line is the norm; reserving once avoids re-copying a million documents.
    let expected_rows = memchr::memchr_iter(b'\n', body).count().min(opts.max_rows);
    let setup = Setup {
        kind,
        encoding,
        offset,
        delimiter,
        number_format,
        header_raw,
        names,
        map,
        expected_rows,
    };

    let mut errors: Vec<RowError> = Vec::new();
    let mut rows = 0usize;
    while let Some(span) = split.next_record() {
        let rec = split.record();
        if rec.is_blank() {
            continue;
        }
        if rows >= opts.max_rows {
            return Err(DocumentsError::TooManyRows {
                file: file.to_string(),
                limit: opts.max_rows,
            });
        }
        rows += 1;
        let line = span.line;
        let row_ref = RowRef {
            line,
            bytes: Some(span.start + offset..span.end + offset),
        };
        errors.clear();
        let record_bytes = rec.byte_len();
        if record_bytes > MAX_RECORD_BYTES {
            errors.push(RowError::new(
                line,
                "(record)",
                format!("a record of at most {MAX_RECORD_BYTES} bytes"),
                &format!("{record_bytes} bytes"),
            ));
        } else if let Some((pos, f)) = (record_bytes > MAX_CELL_BYTES)
            .then(|| {
                rec.iter()
                    .enumerate()
                    .find(|(_, f)| f.len() > MAX_CELL_BYTES)
            })
            .flatten()
        {
            let column = setup
                .names
                .get(pos)
                .cloned()
                .unwrap_or_else(|| format!("#{}", pos + 1));
            errors.push(RowError::new(
                line,
                &column,
                format!("a cell of at most {MAX_CELL_BYTES} bytes"),
                &format!("{} bytes", f.len()),
            ));
        }
        row(&setup, &rec, row_ref, &mut errors);
    }
    Ok(setup)
}

/// Reads every row into owned documents (the path of every kind but receipts, which
/// `crate::scan` reads borrowed).
pub(crate) fn read<'b>(
    file: &str,
    bytes: &'b [u8],
    opts: &ReadOptions<'_>,
) -> Result<Parsed<'b>, DocumentsError> {
    let cx = validate::Context::new(opts, Naming::Csv);
    let mut rows: Option<Rows> = None;
    let setup = for_each_record(file, bytes, opts, None, |setup, rec, row, errors| {
        let rows = rows.get_or_insert_with(|| Rows::with_capacity(setup.expected_rows));
        let line = row.line;
        let doc = if errors.is_empty() {
            let mut reader = RowReader {
                cells: rec,
                map: &setup.map,
                spec: columns::spec(setup.kind),
                row: line,
                number_format: setup.number_format,
                errors,
            };
            build(setup.kind, &mut reader)
        } else {
            None
        };
        match doc {
            Some(mut doc) if errors.is_empty() => {
                validate::check_document(&mut doc, line, &cx, errors);
                if errors.is_empty() {
                    rows.good.push((row, doc));
                } else {
                    rows.bad.push((row, std::mem::take(errors)));
                }
            }
            _ => {
                no_silent_rejection(errors, line);
                rows.bad.push((row, std::mem::take(errors)))
            }
        }
    })?;
    Ok(Parsed {
        kind: setup.kind,
        source: Cow::Borrowed(bytes),
        container: setup.container(),
        header_raw: setup.header_raw,
        rows: rows.unwrap_or_default(),
        naming: Naming::Csv,
    })
}

pub(crate) fn build<C: Cells>(kind: Kind, reader: &mut RowReader<'_, '_, C>) -> Option<Document> {
    match kind {
        Kind::Receipts => columns::receipt(reader).map(Document::Receipt),
        Kind::Sts => columns::sts(reader).map(Document::Sts),
        Kind::Sp2d => columns::sp2d(reader).map(Document::Sp2d),
        Kind::Bku => columns::bku(reader).map(Document::Bku),
    }
}

/// A builder that gives up must have said why; if one ever does not, the row still carries a
/// reason rather than vanishing with an empty error list.
pub(crate) fn no_silent_rejection(errors: &mut Vec<RowError>, line: u64) {
    if errors.is_empty() {
        errors.push(RowError::new(
            line,
            "(row)",
            "a row matching the column spec",
            "a row that could not be read",
        ));
    }
}

/// A record or line without its `\n` / `\r\n`.
pub(crate) fn trim_terminator(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}
