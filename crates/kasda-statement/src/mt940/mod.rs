//! SWIFT MT940 (customer statement) and MT942 (interim transaction report) reader.
//!
//! Accepts what banks actually send: messages with or without the `{1:}{2:}{3:}{4:` … `-}`
//! envelope and `{5:}` trailers, many messages per file, LF/CRLF/CR line endings, UTF-8 with or
//! without BOM or Windows-1252 text, SOH/ETX/Ctrl-Z framing bytes, text outside fields, the old
//! `:28:` tag, amounts without a decimal comma (Indonesian host-to-host exports) and `:86:` text
//! that contains things looking like tags (`12:30:`). Every deviation becomes a stable warning
//! id in [`StatementFile::warnings`]; anything that would make the figures wrong is a
//! [`ReadError`] with a stable `code`.
//!
//! The reader is a line-at-a-time state machine over a `BufRead` ([`read_stream`]), so memory is
//! bounded by one statement header plus one entry; [`read`] collects the stream into a
//! [`StatementFile`].

pub mod fields;
mod info86;
mod lines;

use std::borrow::Cow;
use std::io::BufRead;

use kasda_core::money::Currency;
use kasda_core::statement::{
    BalanceKind, BankTxCode, ControlTotals, Entry, EntryStatus, References, SourcePos, Statement,
    StatementFile, StatementFormat, StatementKind,
};
use memchr::memchr3;

use crate::error::{excerpt, Location, ReadError};
use fields::FieldError;
pub use lines::MAX_LINE_BYTES;

/// Largest value of one field (all its lines). SWIFT allows 6×65 characters for `:86:`; some
/// banks send far more, nobody sends this much.
pub const MAX_FIELD_BYTES: usize = 256 * 1024;

/// Most fields of one statement other than entries and their `:86:` (balances, floor limits,
/// statement-level `:86:`): what a streaming reader keeps in memory per statement.
pub const MAX_STATEMENT_FIELDS: usize = 1000;

/// Receives a statement file piece by piece.
///
/// Order of calls per statement: `statement_start` once (header: `:20:`, `:25:`, `:28C:`,
/// opening balance and anything else seen before the first entry), then `entry` for each
/// `:61:` with its `:86:`, then `statement_end` with the complete statement minus its entries.
/// An error returned by the sink stops the read and is returned from [`read_stream`].
pub trait Sink {
    fn statement_start(&mut self, _index: usize, _header: &Statement) -> Result<(), ReadError> {
        Ok(())
    }
    fn entry(&mut self, statement_index: usize, entry: Entry) -> Result<(), ReadError>;
    fn statement_end(&mut self, index: usize, statement: Statement) -> Result<(), ReadError>;
}

/// What a streaming read found, besides what went to the sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOutcome {
    pub format: StatementFormat,
    pub statements: usize,
    pub entries: u64,
    pub warnings: Vec<String>,
}

/// Reads a whole MT940/MT942 file held in memory.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<StatementFile, ReadError> {
    // Decide the encoding once for the whole file: a Windows-1252 file can contain lines that
    // happen to be valid UTF-8, and they must not be decoded differently from their neighbours.
    let legacy = std::str::from_utf8(bytes).is_err();
    let mut sink = Collect::default();
    let outcome = run(file_name, bytes, &mut sink, legacy)?;
    Ok(StatementFile {
        format: Some(outcome.format),
        version: None,
        // MT942 `:13D:` is the only creation time an MT file carries.
        created_at: sink.statements.first().and_then(|s| s.created_at),
        statements: sink.statements,
        warnings: outcome.warnings,
        ..StatementFile::default()
    })
}

/// Reads MT940/MT942 from a stream, handing statements and entries to `sink` as they complete.
/// Lines that are not valid UTF-8 are decoded as Windows-1252 (warning
/// `decoded-as-windows-1252`).
pub fn read_stream<R: BufRead, S: Sink>(
    file_name: &str,
    reader: R,
    sink: &mut S,
) -> Result<StreamOutcome, ReadError> {
    run(file_name, reader, sink, false)
}

/// Is this MT940 or MT942? Looks at the first 64 KiB only.
pub fn sniff(bytes: &[u8]) -> Option<StatementFormat> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    let mut is_mt = false;
    let mut mt942_marker = false;
    let mut has_opening = false;
    let mut env_942 = false;
    for raw in text.split(['\n', '\r']) {
        let line = raw.trim_matches(|c: char| {
            c.is_whitespace() || c == '\u{1}' || c == '\u{3}' || c == '\u{1a}'
        });
        if line.starts_with("{1:") || line.starts_with("{2:") || line.starts_with("{4:") {
            if line.contains("{2:I942") || line.contains("{2:O942") {
                env_942 = true;
            }
            if line.contains("{2:") || line.contains("{4:") {
                is_mt = true;
            }
            continue;
        }
        if let Some((tag, _)) = tag_of(line) {
            match tag {
                Tag::T20 | Tag::T25 | Tag::T28C | Tag::T61 => is_mt = true,
                Tag::T60F | Tag::T60M | Tag::T62F => {
                    is_mt = true;
                    has_opening = true;
                }
                Tag::T34F | Tag::T13D | Tag::T90C | Tag::T90D => mt942_marker = true,
                _ => {}
            }
        }
    }
    if !is_mt {
        return None;
    }
    if env_942 || (mt942_marker && !has_opening) {
        Some(StatementFormat::Mt942)
    } else {
        Some(StatementFormat::Mt940)
    }
}

#[derive(Default)]
struct Collect {
    statements: Vec<Statement>,
    entries: Vec<Entry>,
}

impl Sink for Collect {
    fn entry(&mut self, _statement_index: usize, entry: Entry) -> Result<(), ReadError> {
        self.entries.push(entry);
        Ok(())
    }
    fn statement_end(&mut self, _index: usize, mut statement: Statement) -> Result<(), ReadError> {
        // The next statement most likely has as many entries as this one (a bank cuts pages at
        // a fixed count): starting at that capacity saves growing and copying the large entries.
        let capacity = self.entries.len();
        statement.entries = std::mem::replace(&mut self.entries, Vec::with_capacity(capacity));
        if statement.entries.capacity() > 2 * statement.entries.len() {
            // A short statement after a long one: do not keep the long one's room.
            statement.entries.shrink_to_fit();
        }
        self.statements.push(statement);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    T20,
    T21,
    T25,
    T28,
    T28C,
    T60F,
    T60M,
    T61,
    T62F,
    T62M,
    T64,
    T65,
    T86,
    T34F,
    T13,
    T13D,
    T90D,
    T90C,
    /// `:NS:` non-SWIFT field some German banks put after `:25:` and `:61:`.
    Ns,
}

impl Tag {
    fn name(self) -> &'static str {
        match self {
            Tag::T20 => ":20:",
            Tag::T21 => ":21:",
            Tag::T25 => ":25:",
            Tag::T28 => ":28:",
            Tag::T28C => ":28C:",
            Tag::T60F => ":60F:",
            Tag::T60M => ":60M:",
            Tag::T61 => ":61:",
            Tag::T62F => ":62F:",
            Tag::T62M => ":62M:",
            Tag::T64 => ":64:",
            Tag::T65 => ":65:",
            Tag::T86 => ":86:",
            Tag::T34F => ":34F:",
            Tag::T13 => ":13:",
            Tag::T13D => ":13D:",
            Tag::T90D => ":90D:",
            Tag::T90C => ":90C:",
            Tag::Ns => ":NS:",
        }
    }

    fn code(self) -> &'static str {
        self.name().trim_matches(':')
    }
}

/// Shape of a tag: `:` + two digits + optional upper-case letter + `:` at the start of a line.
/// Returns the tag text (with colons) and the byte length of the tag.
fn tag_shape(line: &str) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    if b.len() < 4 || b[0] != b':' || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    if b[3] == b':' {
        return Some((&line[..4], 4));
    }
    if b.len() >= 5 && b[3].is_ascii_uppercase() && b[4] == b':' {
        return Some((&line[..5], 5));
    }
    None
}

/// `{1:` … `{5:`: a SWIFT block, not text that happens to start with a brace.
fn is_block_start(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 3 && b[0] == b'{' && (b'1'..=b'5').contains(&b[1]) && b[2] == b':'
}

/// A known tag at the start of the line and the field value after it.
fn tag_of(line: &str) -> Option<(Tag, &str)> {
    if let Some(rest) = line.strip_prefix(":NS:") {
        return Some((Tag::Ns, rest));
    }
    let (shape, len) = tag_shape(line)?;
    let tag = match shape {
        ":20:" => Tag::T20,
        ":21:" => Tag::T21,
        ":25:" => Tag::T25,
        ":28:" => Tag::T28,
        ":28C:" => Tag::T28C,
        ":60F:" => Tag::T60F,
        ":60M:" => Tag::T60M,
        ":61:" => Tag::T61,
        ":62F:" => Tag::T62F,
        ":62M:" => Tag::T62M,
        ":64:" => Tag::T64,
        ":65:" => Tag::T65,
        ":86:" => Tag::T86,
        ":34F:" => Tag::T34F,
        ":13:" => Tag::T13,
        ":13D:" => Tag::T13D,
        ":90D:" => Tag::T90D,
        ":90C:" => Tag::T90C,
        _ => return None,
    };
    Some((tag, &line[len..]))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// `:20:` to `:28C:`.
    Header,
    /// After the opening balance (or MT942 header fields).
    Opened,
    /// After the first `:61:`.
    Entries,
    /// After the closing balance.
    Closed,
}

struct Open {
    statement: Statement,
    phase: Phase,
    fields_after_20: usize,
    has_25: bool,
    mt942_fields: bool,
    currency: Option<Currency>,
    floor_currency: Option<Currency>,
    started: bool,
    pending: Option<Entry>,
    pending_86: bool,
    /// Fields kept with the statement header (see [`MAX_STATEMENT_FIELDS`]).
    header_fields: usize,
    /// The previous field was a statement-level `:86:` (for `repeated-86-fields`).
    last_was_statement_86: bool,
    entries: u64,
}

/// Ordered, de-duplicated warning ids.
#[derive(Default)]
struct Warnings(Vec<String>);

impl Warnings {
    fn add(&mut self, w: impl Into<String> + AsRef<str>) {
        if !self.0.iter().any(|x| x == w.as_ref()) {
            self.0.push(w.into());
        }
    }
}

struct Parser<'a, S> {
    file: &'a str,
    sink: &'a mut S,
    legacy: bool,
    warnings: Warnings,
    envelope_942: bool,
    any_envelope_940: bool,
    /// The current field: tag, its line and its value so far (lines joined by `\n`).
    field: Option<(Tag, u64)>,
    value: String,
    stmt: Option<Open>,
    /// A `-` line was seen; whether it ends the message depends on the next line.
    pending_dash: Option<u64>,
    statements: usize,
    entries: u64,
    any_mt942_statement: bool,
    any_opening: bool,
    first_line: bool,
    line_no: u64,
}

fn run<R: BufRead, S: Sink>(
    file: &str,
    reader: R,
    sink: &mut S,
    legacy: bool,
) -> Result<StreamOutcome, ReadError> {
    let mut lines = lines::LineReader::new(reader);
    let mut p = Parser {
        file,
        sink,
        legacy,
        warnings: Warnings::default(),
        envelope_942: false,
        any_envelope_940: false,
        field: None,
        value: String::with_capacity(512),
        stmt: None,
        pending_dash: None,
        statements: 0,
        entries: 0,
        any_mt942_statement: false,
        any_opening: false,
        first_line: true,
        line_no: 0,
    };
    let mut scratch = Vec::new();
    while let Some((line_no, raw)) = lines.next_line(file)? {
        let raw: &[u8] = if memchr3(0x1a, 0x01, 0x03, raw).is_some() {
            scratch.clear();
            for &c in raw {
                match c {
                    0x1a => p.warnings.add("removed-ctrl-z-control-characters"),
                    0x01 => p.warnings.add("removed-soh-control-characters"),
                    0x03 => p.warnings.add("removed-etx-control-characters"),
                    _ => scratch.push(c),
                }
            }
            &scratch
        } else {
            raw
        };
        let text: Cow<str> = match (p.legacy, std::str::from_utf8(raw)) {
            (false, Ok(s)) => Cow::Borrowed(s),
            _ => {
                p.warnings.add("decoded-as-windows-1252");
                encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw).0
            }
        };
        p.line(&text, line_no)?;
    }
    if lines.terminators.cr {
        p.warnings.add("crlf-or-cr-line-endings");
    }
    p.finish()
}

impl<S: Sink> Parser<'_, S> {
    fn err(
        &self,
        line: u64,
        code: &str,
        field: &str,
        e_expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ReadError {
        ReadError::new(
            self.file,
            Location {
                line: Some(line),
                entry: self.stmt.as_ref().and(Some(self.entries)),
                ..Location::default()
            },
            code,
            field,
            e_expected,
            found,
        )
    }

    fn field_err(&self, line: u64, tag: Tag, e: FieldError) -> ReadError {
        ReadError::new(
            self.file,
            Location {
                line: Some(line),
                ..Location::default()
            },
            e.code,
            tag.name(),
            e.expected,
            e.found,
        )
    }

    fn line(&mut self, text: &str, line_no: u64) -> Result<(), ReadError> {
        self.line_no = line_no;
        let mut text = text;
        if self.first_line {
            self.first_line = false;
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                self.warnings.add("utf8-bom");
                text = rest;
            }
        }
        let line = text.trim_end();
        let lead = line.trim_start();
        if lead.is_empty() {
            // Blank lines separate nothing in MT940; padding inside `:86:` is dropped later.
            return Ok(());
        }
        if let Some(dash_line) = self.pending_dash.take() {
            let ends_message = is_block_start(lead)
                || lead.starts_with('-')
                || tag_of(lead).is_some()
                || !matches!(self.field, Some((Tag::T86 | Tag::T61 | Tag::Ns, _)));
            if ends_message {
                self.end_message(dash_line)?;
            } else {
                self.warnings.add("dash-line-inside-field-text");
                self.append("-", dash_line)?;
            }
        }
        if is_block_start(lead) {
            return self.envelope(lead, line_no);
        }
        if lead.starts_with("-}") || lead == "}" {
            return self.end_message(line_no);
        }
        if lead == "-" {
            self.pending_dash = Some(line_no);
            return Ok(());
        }
        self.content(line, line_no)
    }

    /// A line that is neither envelope nor message end.
    fn content(&mut self, line: &str, line_no: u64) -> Result<(), ReadError> {
        let lead = line.trim_start();
        if let Some((tag, value)) = tag_of(lead) {
            self.flush_field()?;
            self.field = Some((tag, line_no));
            self.value.clear();
            self.value.push_str(value);
            return Ok(());
        }
        if let Some((shape, _)) = tag_shape(lead) {
            if self.field.is_some() {
                self.warnings
                    .add(format!("unknown-tag-line-kept-as-text:{shape}"));
            }
        }
        if self.field.is_some() {
            self.append(line, line_no)
        } else {
            self.warnings.add("ignored-text-outside-fields");
            Ok(())
        }
    }

    fn append(&mut self, line: &str, line_no: u64) -> Result<(), ReadError> {
        if self.value.len() + line.len() + 1 > MAX_FIELD_BYTES {
            let tag = self.field.map_or("field", |f| f.0.name());
            return Err(self.err(
                line_no,
                "field-too-large",
                tag,
                format!("at most {MAX_FIELD_BYTES} bytes in one field"),
                "a longer field",
            ));
        }
        self.value.push('\n');
        self.value.push_str(line);
        Ok(())
    }

    /// `{1:…}{2:…}{3:…}{4:` headers and `{5:…}` trailers.
    fn envelope(&mut self, line: &str, line_no: u64) -> Result<(), ReadError> {
        self.warnings.add("swift-block-envelope");
        if let Some(p) = line.find("{2:") {
            let kind = line.get(p + 3..p + 7).unwrap_or("");
            if kind == "I942" || kind == "O942" {
                self.envelope_942 = true;
            } else if kind == "I940" || kind == "O940" {
                self.any_envelope_940 = true;
            }
        }
        if line.starts_with("{1:") || line.starts_with("{2:") || line.starts_with("{4:") {
            // A new message begins: whatever was open is over.
            if line.starts_with("{1:") {
                self.flush_field()?;
                self.end_statement()?;
            }
        }
        if let Some(p) = line.find("{4:") {
            let rest = line[p + 3..].trim();
            if !rest.is_empty() {
                return self.content(rest, line_no);
            }
        }
        Ok(())
    }

    fn end_message(&mut self, _line_no: u64) -> Result<(), ReadError> {
        self.flush_field()?;
        self.end_statement()
    }

    fn finish(mut self) -> Result<StreamOutcome, ReadError> {
        if let Some(l) = self.pending_dash.take() {
            self.end_message(l)?;
        }
        self.flush_field()?;
        self.end_statement()?;
        if self.statements == 0 {
            return Err(ReadError::new(
                self.file,
                Location::default(),
                "no-statement",
                "file",
                "at least one MT940/MT942 message (:20:, :25:, :28C:, balances)",
                format!("{} lines without a statement", self.line_no),
            ));
        }
        let format = if self.envelope_942 || (self.any_mt942_statement && !self.any_opening) {
            StatementFormat::Mt942
        } else {
            StatementFormat::Mt940
        };
        Ok(StreamOutcome {
            format,
            statements: self.statements,
            entries: self.entries,
            warnings: self.warnings.0,
        })
    }

    fn flush_field(&mut self) -> Result<(), ReadError> {
        let Some((tag, line)) = self.field.take() else {
            return Ok(());
        };
        let value = std::mem::take(&mut self.value);
        let r = self.apply(tag, &value, line);
        self.value = value;
        self.value.clear();
        r
    }

    /// First line of a single-line field; extra lines are reported and ignored.
    fn single<'v>(&mut self, value: &'v str) -> &'v str {
        match value.split_once('\n') {
            Some((first, rest)) => {
                if !rest.trim().is_empty() {
                    self.warnings.add("ignored-text-outside-fields");
                }
                first.trim()
            }
            None => value.trim(),
        }
    }

    fn apply(&mut self, tag: Tag, value: &str, line: u64) -> Result<(), ReadError> {
        if tag == Tag::T20 {
            self.end_statement()?;
            let id = self.single(value).to_string();
            self.stmt = Some(Open {
                statement: Statement {
                    id: (!id.is_empty()).then_some(id),
                    pos: SourcePos {
                        line: u32::try_from(line).unwrap_or(u32::MAX),
                        index: u32::try_from(self.statements).unwrap_or(u32::MAX),
                    },
                    ..Statement::default()
                },
                phase: Phase::Header,
                fields_after_20: 0,
                has_25: false,
                mt942_fields: false,
                currency: None,
                floor_currency: None,
                started: false,
                pending: None,
                pending_86: false,
                header_fields: 0,
                last_was_statement_86: false,
                entries: 0,
            });
            return Ok(());
        }
        if self.stmt.is_none() {
            let code = format!("field-{}-before-any-20", tag.code().to_ascii_lowercase());
            return Err(self.err(
                line,
                &code,
                tag.name(),
                "a :20: transaction reference starting the message",
                excerpt(&format!("{}{}", tag.name(), value)),
            ));
        }
        let currency_hint = {
            let s = self
                .stmt
                .as_ref()
                .map(|s| (s.currency, s.statement.account.currency, s.floor_currency));
            s.and_then(|(a, b, c)| a.or(b).or(c))
        };
        let statement_86 =
            tag == Tag::T86 && self.stmt.as_ref().is_some_and(|s| s.pending.is_none());
        let entry_field = tag == Tag::T61 || (tag == Tag::T86 && !statement_86);
        if let Some(s) = self.stmt.as_mut() {
            if !entry_field {
                s.header_fields += 1;
            }
            let too_many = s.header_fields > MAX_STATEMENT_FIELDS;
            let info_len = s.statement.additional_info.as_ref().map_or(0, String::len);
            if too_many || (statement_86 && info_len + value.len() > MAX_FIELD_BYTES) {
                return Err(self.err(
                    line,
                    "statement-too-large",
                    tag.name(),
                    format!(
                        "at most {MAX_STATEMENT_FIELDS} balance/limit/:86: fields and \
                         {MAX_FIELD_BYTES} bytes of statement text per statement"
                    ),
                    "more",
                ));
            }
        }
        if let Some(s) = self.stmt.as_mut() {
            if statement_86 && s.last_was_statement_86 {
                self.warnings.add("repeated-86-fields");
            }
            s.last_was_statement_86 = statement_86;
        }
        match tag {
            Tag::T20 => {}
            Tag::T21 | Tag::Ns => {
                if let Some(s) = self.stmt.as_mut() {
                    s.fields_after_20 += 1;
                }
            }
            Tag::T25 => {
                let v = value.trim().to_string();
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                if s.phase >= Phase::Opened {
                    return Err(self.err(
                        line,
                        "field-25-after-balance-or-entries",
                        ":25:",
                        ":25: before the opening balance and the entries",
                        excerpt(&v),
                    ));
                }
                s.statement.account = fields::parse_account(&v);
                s.has_25 = true;
                s.fields_after_20 += 1;
            }
            Tag::T28 | Tag::T28C => {
                if tag == Tag::T28 {
                    self.warnings.add("old-tag-28-instead-of-28C");
                }
                let (seq, page) = fields::parse_statement_number(value);
                if let Some(s) = self.stmt.as_mut() {
                    s.statement.electronic_seq = seq;
                    s.statement.page = page;
                    s.fields_after_20 += 1;
                }
            }
            Tag::T60F | Tag::T60M | Tag::T62F | Tag::T62M | Tag::T64 | Tag::T65 => {
                self.emit_pending()?;
                let kind = match tag {
                    Tag::T60F => BalanceKind::OpeningBooked,
                    Tag::T60M => BalanceKind::IntermediateOpening,
                    Tag::T62F => BalanceKind::ClosingBooked,
                    Tag::T62M => BalanceKind::IntermediateClosing,
                    Tag::T64 => BalanceKind::ClosingAvailable,
                    _ => BalanceKind::ForwardAvailable,
                };
                let v = self.single(value).to_string();
                let parsed = fields::parse_balance(&v, kind, currency_hint)
                    .map_err(|e| self.field_err(line, tag, e))?;
                if let Some(w) = parsed.amount_style.warning() {
                    self.warnings.add(w);
                }
                if parsed.currency_missing {
                    self.warnings
                        .add(format!("balance-without-currency:{}", tag.code()));
                }
                if let Some(d) = &parsed.invalid_date {
                    self.warnings.add(format!("calendar-invalid-date:{d}"));
                }
                let opening = matches!(tag, Tag::T60F | Tag::T60M);
                if opening {
                    self.any_opening = true;
                }
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                let b = parsed.balance;
                let date = b.date.and_then(|d| d.and_hms_opt(0, 0, 0));
                if opening {
                    s.currency.get_or_insert(b.currency);
                    s.statement.from = s.statement.from.or(date);
                    s.phase = s.phase.max(Phase::Opened);
                } else if matches!(tag, Tag::T62F | Tag::T62M) {
                    s.statement.to = date.or(s.statement.to);
                    s.phase = Phase::Closed;
                    s.pending_86 = false;
                }
                s.statement.balances.push(b);
                s.fields_after_20 += 1;
            }
            Tag::T61 => {
                self.emit_pending()?;
                let currency = match currency_hint {
                    Some(c) => c,
                    None => {
                        self.warnings.add("currency-assumed-IDR");
                        Currency::IDR
                    }
                };
                let l =
                    fields::parse_61(value, currency).map_err(|e| self.field_err(line, tag, e))?;
                if let Some(w) = l.amount_style.warning() {
                    self.warnings.add(w);
                }
                if !l.type_standard {
                    self.warnings.add("nonstandard-61-transaction-type");
                }
                if l.customer_ref.is_none() {
                    self.warnings.add("61-without-reference");
                }
                if let Some(d) = &l.invalid_date {
                    self.warnings.add(format!("calendar-invalid-date:{d}"));
                }
                let index = u32::try_from(self.entries).map_err(|_| {
                    self.err(
                        line,
                        "too-many-entries",
                        ":61:",
                        format!("at most {} entries per file", u32::MAX),
                        "more",
                    )
                })?;
                let entry = Entry {
                    pos: SourcePos {
                        line: u32::try_from(line).unwrap_or(u32::MAX),
                        index,
                    },
                    amount: l.amount,
                    currency,
                    direction: Some(l.mark.direction()),
                    reversal: l.mark.is_reversal(),
                    status: EntryStatus::Booked,
                    booking_date: l.entry_date.or(l.value_date),
                    value_date: l.value_date,
                    bank_tx_code: BankTxCode {
                        proprietary: (!l.type_code.is_empty()).then_some(l.type_code),
                        proprietary_issuer: Some("SWIFT".to_string()),
                        ..BankTxCode::default()
                    },
                    refs: References {
                        account_servicer: l.bank_ref,
                        customer_ref: l.customer_ref,
                        ..References::default()
                    },
                    supplementary: l.supplementary,
                    funds_code: l.funds_code.map(String::from),
                    ..Entry::default()
                };
                self.entries += 1;
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                s.phase = Phase::Entries;
                s.pending = Some(entry);
                s.pending_86 = false;
                s.entries += 1;
                s.fields_after_20 += 1;
            }
            Tag::T86 => {
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                s.fields_after_20 += 1;
                if let Some(e) = s.pending.as_mut() {
                    if s.pending_86 {
                        self.warnings.add("repeated-86-fields");
                    }
                    s.pending_86 = true;
                    info86::apply(value, e);
                } else {
                    if s.phase < Phase::Entries {
                        // Statement-level text before any entry (Danske Bank); after the closing
                        // balance it is the normal place for it.
                        self.warnings.add("86-before-first-61");
                    }
                    let text: Vec<&str> = value
                        .split('\n')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .collect();
                    let text = text.join("\n");
                    if !text.is_empty() {
                        match &mut s.statement.additional_info {
                            Some(t) => {
                                t.push('\n');
                                t.push_str(&text);
                            }
                            None => s.statement.additional_info = Some(text),
                        }
                    }
                }
            }
            Tag::T34F => {
                let v = self.single(value).to_string();
                let (dir, amount, currency) =
                    fields::parse_floor_limit(&v).map_err(|e| self.field_err(line, tag, e))?;
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                s.statement.floor_limits.push((dir, amount));
                s.floor_currency.get_or_insert(currency);
                s.mt942_fields = true;
                s.statement.kind = StatementKind::Report;
                s.phase = s.phase.max(Phase::Opened);
                s.fields_after_20 += 1;
            }
            Tag::T13 | Tag::T13D => {
                let v = self.single(value).to_string();
                let at = fields::parse_datetime(&v).map_err(|e| self.field_err(line, tag, e))?;
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                s.statement.created_at = Some(at);
                s.mt942_fields = true;
                s.statement.kind = StatementKind::Report;
                s.fields_after_20 += 1;
            }
            Tag::T90D | Tag::T90C => {
                self.emit_pending()?;
                let v = self.single(value).to_string();
                let (count, sum, _) =
                    fields::parse_count_sum(&v).map_err(|e| self.field_err(line, tag, e))?;
                let s = self
                    .stmt
                    .as_mut()
                    .ok_or_else(|| unreachable_err(self.file, line))?;
                let totals = s
                    .statement
                    .totals
                    .get_or_insert_with(ControlTotals::default);
                if tag == Tag::T90D {
                    totals.debit_count = Some(count);
                    totals.debit_sum = Some(sum);
                } else {
                    totals.credit_count = Some(count);
                    totals.credit_sum = Some(sum);
                }
                s.mt942_fields = true;
                s.phase = Phase::Closed;
                s.fields_after_20 += 1;
            }
        }
        Ok(())
    }

    fn start_if_needed(&mut self) -> Result<(), ReadError> {
        let index = self.statements;
        if let Some(s) = self.stmt.as_mut() {
            if !s.started {
                s.started = true;
                self.sink.statement_start(index, &s.statement)?;
            }
        }
        Ok(())
    }

    fn emit_pending(&mut self) -> Result<(), ReadError> {
        let has = self.stmt.as_ref().is_some_and(|s| s.pending.is_some());
        if !has {
            return Ok(());
        }
        self.start_if_needed()?;
        let index = self.statements;
        if let Some(e) = self.stmt.as_mut().and_then(|s| s.pending.take()) {
            self.sink.entry(index, e)?;
        }
        Ok(())
    }

    fn end_statement(&mut self) -> Result<(), ReadError> {
        let Some(open) = self.stmt.as_ref() else {
            return Ok(());
        };
        if open.fields_after_20 == 0 {
            self.warnings.add("ignored-trailing-statement-with-only-20");
            self.stmt = None;
            return Ok(());
        }
        let line = u64::from(open.statement.pos.line);
        let mt942 = open.mt942_fields && open.statement.opening().is_none();
        let stmt_err = |code: &str, field: &str, expected: &str| {
            ReadError::new(
                self.file,
                Location {
                    line: Some(line),
                    ..Location::default()
                },
                code,
                field,
                expected,
                format!(
                    "statement {} ({}) without it",
                    self.statements + 1,
                    open.statement.id.as_deref().unwrap_or("no :20:")
                ),
            )
        };
        if !open.has_25 {
            return Err(stmt_err(
                "missing-25",
                ":25:",
                "an account identification :25:",
            ));
        }
        if !mt942 {
            if open.statement.opening().is_none() {
                return Err(stmt_err(
                    "missing-opening-balance",
                    ":60F:",
                    "an opening balance :60F: or :60M:",
                ));
            }
            if open.statement.closing().is_none() {
                return Err(stmt_err(
                    "missing-closing-balance",
                    ":62F:",
                    "a closing balance :62F: or :62M:",
                ));
            }
        }
        if mt942 || self.envelope_942 {
            self.any_mt942_statement = true;
            if let Some(open) = self.stmt.as_mut() {
                // MT942 is an interim report, the MT counterpart of camt.052.
                open.statement.kind = StatementKind::Report;
            }
        }
        self.emit_pending()?;
        self.start_if_needed()?;
        let Some(open) = self.stmt.take() else {
            return Ok(());
        };
        let mut statement = open.statement;
        if statement
            .closing()
            .is_some_and(|c| c.kind == BalanceKind::IntermediateClosing)
        {
            statement.last_page = Some(false);
        } else if statement.balance(&BalanceKind::ClosingBooked).is_some() {
            statement.last_page = Some(true);
        }
        if statement.account.currency.is_none() {
            statement.account.currency = open.currency.or(open.floor_currency);
        }
        let index = self.statements;
        self.statements += 1;
        self.sink.statement_end(index, statement)
    }
}

fn unreachable_err(file: &str, line: u64) -> ReadError {
    ReadError::new(
        file,
        Location {
            line: Some(line),
            ..Location::default()
        },
        "internal-state",
        "statement",
        "an open statement",
        "none",
    )
}

#[cfg(test)]
mod tests;
