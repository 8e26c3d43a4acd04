//! CSV records split straight out of the input bytes, with exactly the fields the `csv` crate
//! gives for the reader kasda configures (`"` quotes, doubled `""` inside quotes, CR, LF and CRLF
//! each ending a record, blank lines skipped, any number of fields per record, a UTF-8 byte order
//! mark at the very start dropped).
//!
//! A field is a range of the input whenever it can be: unquoted, or quoted without a doubled
//! quote. Only a record holding `""` or text after a closing quote (`"ab"cd`) is copied, quotes
//! removed, into a scratch buffer. Nothing is allocated per record once the buffers have grown.
//! The differential property test at the end holds this to the `csv` crate on arbitrary bytes.

use std::borrow::Cow;

use crate::TextEncoding;

/// Where one record lies in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    /// First byte of the record (blank lines before it are skipped).
    pub start: usize,
    /// Just past its terminator: after `\n`, or after `\r` of a CRLF (the `\n` is skipped before
    /// the next record), or the end of the input.
    pub end: usize,
    /// Line (1-based, counting `\n`) on which the record starts.
    pub line: u64,
}

/// The record splitter over one CSV body.
pub(crate) struct Splitter<'b> {
    body: &'b [u8],
    /// The body as text when it is valid UTF-8 (cells are then borrowed without a check).
    text: Option<&'b str>,
    encoding: TextEncoding,
    delimiter: u8,
    pos: usize,
    line: u64,
    started: bool,
    fields: Vec<(u32, u32)>,
    /// Fields of the current record are ranges of `scratch` (unescaped) instead of the body.
    in_scratch: bool,
    scratch: Vec<u8>,
}

/// The fields of the current record of a [`Splitter`].
pub(crate) struct Record<'r> {
    src: &'r [u8],
    text: Option<&'r str>,
    encoding: TextEncoding,
    fields: &'r [(u32, u32)],
}

impl<'b> Splitter<'b> {
    /// A splitter over `body` (the file after a leading byte order mark, if any; a second mark
    /// right at its start is dropped, as the `csv` crate does), with `text`, the same bytes
    /// already checked to be UTF-8, when they are. `body` must be shorter than 4 GiB (callers
    /// cap text files at [`crate::MAX_TEXT_FILE_BYTES`]).
    pub fn new(
        body: &'b [u8],
        text: Option<&'b str>,
        encoding: TextEncoding,
        delimiter: u8,
    ) -> Self {
        // The same bytes, not merely equal ones (no comparison of the contents).
        let text = text.filter(|t| std::ptr::eq(t.as_bytes(), body));
        Splitter {
            body,
            text,
            encoding,
            delimiter,
            pos: 0,
            line: 1,
            started: false,
            fields: Vec::with_capacity(32),
            in_scratch: false,
            scratch: Vec::new(),
        }
    }

    /// Continues at a record found earlier (its [`Span::start`] and [`Span::line`]).
    pub fn seek(&mut self, start: usize, line: u64) {
        self.pos = start.min(self.body.len());
        self.line = line;
        self.started = true;
    }

    /// The fields of the record the last [`Splitter::next_record`] returned.
    pub fn record(&self) -> Record<'_> {
        let (src, text) = if self.in_scratch {
            (
                self.scratch.as_slice(),
                match self.encoding {
                    TextEncoding::Windows1252 => None,
                    _ => std::str::from_utf8(&self.scratch).ok(),
                },
            )
        } else {
            (self.body, self.text)
        };
        Record {
            src,
            text,
            encoding: self.encoding,
            fields: &self.fields,
        }
    }

    fn is_term(b: u8) -> bool {
        b == b'\n' || b == b'\r'
    }

    fn push(&mut self, start: usize, end: usize) {
        // Offsets fit: the body is shorter than 4 GiB.
        self.fields.push((start as u32, end as u32));
    }

    /// The next record, or `None` at the end of the input.
    pub fn next_record(&mut self) -> Option<Span> {
        let b = self.body;
        let len = b.len();
        let mut i = self.pos;
        if !self.started {
            self.started = true;
            if b.starts_with(b"\xEF\xBB\xBF") {
                i = 3;
            }
        }
        while i < len && Self::is_term(b[i]) {
            self.line += u64::from(b[i] == b'\n');
            i += 1;
        }
        if i >= len {
            self.pos = len;
            return None;
        }
        let start = i;
        let line = self.line;
        self.fields.clear();
        self.in_scratch = false;
        let d = self.delimiter;
        let end = loop {
            if b[i] == b'"' {
                // Quoted: up to the closing quote, counting the lines inside.
                let mut j = i + 1;
                let close = loop {
                    match memchr::memchr2(b'"', b'\n', &b[j..]) {
                        None => break None,
                        Some(k) if b[j + k] == b'\n' => {
                            self.line += 1;
                            j += k + 1;
                        }
                        Some(k) => break Some(j + k),
                    }
                };
                let Some(q) = close else {
                    // Unterminated: the field runs to the end of the input.
                    self.push(i + 1, len);
                    break len;
                };
                match b.get(q + 1) {
                    None => {
                        self.push(i + 1, q);
                        break len;
                    }
                    Some(&c) if c == d => {
                        self.push(i + 1, q);
                        i = q + 2;
                        if i == len {
                            self.push(len, len);
                            break len;
                        }
                    }
                    Some(&c) if Self::is_term(c) => {
                        self.push(i + 1, q);
                        self.line += u64::from(c == b'\n');
                        break q + 2;
                    }
                    // A doubled quote, or text after the closing quote: unescape.
                    Some(_) => return Some(self.slow(start, line)),
                }
            } else {
                let j = find_special(b, i, d);
                self.push(i, j);
                if j == len {
                    break len;
                }
                if b[j] == d {
                    i = j + 1;
                    if i == len {
                        self.push(len, len);
                        break len;
                    }
                } else {
                    self.line += u64::from(b[j] == b'\n');
                    break j + 1;
                }
            }
        };
        self.pos = end;
        Some(Span { start, end, line })
    }

    /// The record at `start` byte by byte through the `csv` crate's state machine, fields
    /// unescaped into `scratch`.
    fn slow(&mut self, start: usize, line: u64) -> Span {
        #[derive(Clone, Copy, PartialEq)]
        enum St {
            StartField,
            InField,
            InQuoted,
            /// Just after a quote inside a quoted field.
            AfterQuote,
        }
        let b = self.body;
        let d = self.delimiter;
        self.fields.clear();
        self.scratch.clear();
        self.in_scratch = true;
        let mut field_start = 0usize;
        let mut state = St::StartField;
        let mut i = start;
        let end = loop {
            let Some(&c) = b.get(i) else {
                let n = self.scratch.len();
                self.push(field_start, n);
                break i;
            };
            i += 1;
            let ends_field = match state {
                St::StartField | St::InField | St::AfterQuote if c == d => true,
                St::StartField | St::InField | St::AfterQuote if Self::is_term(c) => {
                    let n = self.scratch.len();
                    self.push(field_start, n);
                    break i;
                }
                St::StartField if c == b'"' => {
                    state = St::InQuoted;
                    false
                }
                St::InQuoted if c == b'"' => {
                    state = St::AfterQuote;
                    false
                }
                St::InQuoted => {
                    self.scratch.push(c);
                    false
                }
                St::AfterQuote if c == b'"' => {
                    self.scratch.push(c);
                    state = St::InQuoted;
                    false
                }
                St::StartField | St::InField | St::AfterQuote => {
                    self.scratch.push(c);
                    state = St::InField;
                    false
                }
            };
            if ends_field {
                let n = self.scratch.len();
                self.push(field_start, n);
                field_start = n;
                state = St::StartField;
            }
        };
        self.line = line + memchr::memchr_iter(b'\n', &b[start..end]).count() as u64;
        self.pos = end;
        Span { start, end, line }
    }
}

/// The first byte at or after `from` that is `delimiter`, `\r` or `\n` (or `b.len()`), eight
/// bytes at a time: a field is a dozen bytes, too short for a vector search to pay.
#[inline]
fn find_special(b: &[u8], from: usize, delimiter: u8) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // A high bit set in each zero byte of `x`; the lowest one set is always exact.
    fn zero_bytes(x: u64) -> u64 {
        x.wrapping_sub(LO) & !x & HI
    }
    let (d, cr, lf) = (
        LO * u64::from(delimiter),
        LO * u64::from(b'\r'),
        LO * u64::from(b'\n'),
    );
    let mut j = from;
    while let Some(chunk) = b.get(j..j + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let hits = zero_bytes(w ^ d) | zero_bytes(w ^ cr) | zero_bytes(w ^ lf);
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < b.len() && b[j] != delimiter && b[j] != b'\r' && b[j] != b'\n' {
        j += 1;
    }
    j
}

impl Record<'_> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// The bytes of field `i` (quotes removed, `""` unescaped).
    pub fn field(&self, i: usize) -> Option<&[u8]> {
        let &(s, e) = self.fields.get(i)?;
        self.src.get(s as usize..e as usize)
    }

    /// All fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.fields.len()).filter_map(|i| self.field(i))
    }

    /// Bytes of all fields together (what `csv::ByteRecord::as_slice` holds).
    pub fn byte_len(&self) -> usize {
        self.fields
            .iter()
            .map(|&(s, e)| (e - s) as usize)
            .sum::<usize>()
    }

    /// Every field is empty or ASCII whitespace.
    pub fn is_blank(&self) -> bool {
        self.iter()
            .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
    }

    /// Cell `pos` borrowed from text already checked to be UTF-8 (`None` otherwise: see
    /// [`Record::cell`]).
    #[inline]
    pub fn text_cell(&self, pos: usize) -> Option<&str> {
        let &(s, e) = self.fields.get(pos)?;
        self.text?.get(s as usize..e as usize)
    }

    /// Cell `pos` as text: borrowed for UTF-8, decoded for Windows-1252.
    pub fn cell(&self, pos: usize) -> Option<Cow<'_, str>> {
        let &(s, e) = self.fields.get(pos)?;
        let range = s as usize..e as usize;
        if let Some(cell) = self.text.and_then(|t| t.get(range.clone())) {
            return Some(Cow::Borrowed(cell));
        }
        let raw = self.src.get(range)?;
        Some(match self.encoding {
            TextEncoding::Windows1252 => {
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw).0
            }
            // The whole file was checked to be UTF-8; lossy only guards the impossible case.
            _ => String::from_utf8_lossy(raw),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the `csv` crate reads from `body` with kasda's reader settings: each record's fields,
    /// its first byte (past the blank lines before it), the end of its terminator and its line.
    pub(crate) fn csv_crate_records(body: &[u8], delimiter: u8) -> Vec<(Span, Vec<Vec<u8>>)> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(body);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr
            .read_byte_record(&mut rec)
            .expect("reading a slice cannot fail")
        {
            let mut start = rec.position().map(|p| p.byte() as usize).unwrap_or(0);
            if start == 0 && body.starts_with(b"\xEF\xBB\xBF") {
                start = 3;
            }
            while start < body.len() && (body[start] == b'\n' || body[start] == b'\r') {
                start += 1;
            }
            let end = rdr.position().byte() as usize;
            let line = 1 + memchr::memchr_iter(b'\n', &body[..start]).count() as u64;
            out.push((
                Span { start, end, line },
                rec.iter().map(<[u8]>::to_vec).collect(),
            ));
        }
        out
    }

    fn splitter_records(body: &[u8], delimiter: u8) -> Vec<(Span, Vec<Vec<u8>>)> {
        let mut s = Splitter::new(
            body,
            std::str::from_utf8(body).ok(),
            TextEncoding::Utf8,
            delimiter,
        );
        let mut out = Vec::new();
        while let Some(span) = s.next_record() {
            let rec = s.record();
            out.push((span, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    #[test]
    fn common_shapes() {
        let body = b"a,b,c\n1,\"x, y\",3\r\n\r\n\n4,\"q\"\"uote\",\"ab\"cd\n,,\n\"multi\nline\",z";
        let got = splitter_records(body, b',');
        assert_eq!(got, csv_crate_records(body, b','));
        let fields: Vec<Vec<&[u8]>> = got
            .iter()
            .map(|(_, f)| f.iter().map(Vec::as_slice).collect())
            .collect();
        assert_eq!(
            fields,
            vec![
                vec![&b"a"[..], b"b", b"c"],
                vec![&b"1"[..], b"x, y", b"3"],
                vec![&b"4"[..], b"q\"uote", b"abcd"],
                vec![&b""[..], b"", b""],
                vec![&b"multi\nline"[..], b"z"],
            ]
        );
        // Lines: the record after the blank lines starts on line 5, the last on line 6.
        let lines: Vec<u64> = got.iter().map(|(s, _)| s.line).collect();
        assert_eq!(lines, vec![1, 2, 5, 6, 7]);
        // A CRLF record ends after its `\r`.
        assert_eq!(
            got[1].0.end,
            body.iter().position(|&b| b == b'\r').unwrap() + 1
        );
    }

    #[test]
    fn byte_order_mark_only_at_the_very_start() {
        let body = b"\xEF\xBB\xBFa,b\n\xEF\xBB\xBFc,d\n";
        assert_eq!(splitter_records(body, b','), csv_crate_records(body, b','));
        assert_eq!(
            splitter_records(body, b',')[1].1[0],
            b"\xEF\xBB\xBFc".to_vec()
        );
    }

    #[test]
    fn seeking_back_reads_the_same_record() {
        let body = b"h1,h2\n\"a\"\"b\",c\r\nd,e\n";
        let mut s = Splitter::new(
            body,
            std::str::from_utf8(body).ok(),
            TextEncoding::Utf8,
            b',',
        );
        let mut all = Vec::new();
        while let Some(span) = s.next_record() {
            all.push((
                span,
                s.record().iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
            ));
        }
        for (span, fields) in all.iter().rev() {
            s.seek(span.start, span.line);
            assert_eq!(s.next_record(), Some(*span));
            assert_eq!(
                &s.record().iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
                fields
            );
        }
    }

    /// Bytes drawn mostly from the characters that matter to the state machine.
    fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            6 => prop::sample::select(vec![b'a', b'1', b' ', b'.']),
            3 => prop::sample::select(vec![b',', b';', b'\t']),
            3 => Just(b'"'),
            2 => prop::sample::select(vec![b'\n', b'\r']),
            1 => any::<u8>(),
            1 => prop::sample::select(vec![0xEF, 0xBB, 0xBF]),
        ];
        prop::collection::vec(byte, 0..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn fields_spans_and_lines_equal_the_csv_crate(
            body in csv_bytes(),
            delimiter in prop::sample::select(vec![b',', b';', b'\t']),
        ) {
            prop_assert_eq!(splitter_records(&body, delimiter), csv_crate_records(&body, delimiter));
        }

        #[test]
        fn rows_of_a_receipts_like_file_equal_the_csv_crate(
            rows in prop::collection::vec(
                (
                    "[A-Z0-9]{0,6}",
                    "[ a-z,;\"\n]{0,8}",
                    any::<bool>(),
                    prop::sample::select(vec!["\n", "\r\n", "\r", "\n\n", "\r\n\r\n"]),
                ),
                0..12,
            ),
        ) {
            let mut body = b"ntpd,nama,total\n".to_vec();
            for (id, name, quote, eol) in &rows {
                body.extend_from_slice(id.as_bytes());
                body.push(b',');
                if *quote {
                    body.push(b'"');
                    body.extend_from_slice(name.replace('"', "\"\"").as_bytes());
                    body.push(b'"');
                } else {
                    body.extend_from_slice(name.as_bytes());
                }
                body.extend_from_slice(b",100.00");
                body.extend_from_slice(eol.as_bytes());
            }
            prop_assert_eq!(splitter_records(&body, b','), csv_crate_records(&body, b','));
        }
    }
}
