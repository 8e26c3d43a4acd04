//! The streaming walk over a camt file.
//!
//! The skeleton (envelope, `Document`, the message element, `GrpHdr`, each `Stmt`/`Rpt`/`Ntfctn`)
//! is followed event by event. Every child of a statement (`Acct`, each `Bal`, each `Ntry`, …)
//! is copied into one reusable buffer, read into its model, converted and handed on, so memory
//! stays bounded by the largest single child (limit `Limits::max_element_bytes`) whatever the
//! file size. An `Ntry` of the usual shape is read straight into its `Entry` by `direct.rs` from
//! the tokens recorded while it was buffered; any other is read into its model by the
//! hand-written builder in `fast.rs` from the same tokens and converted by `convert.rs`; the
//! rarer elements, and the entries the builder leaves alone, are deserialized from the buffer
//! with serde.

use std::io::{BufRead, Read as _};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde::Deserialize;

use kasda_core::money::Currency;
use kasda_core::statement::{SourcePos, Statement, StatementFormat, StatementKind};

use super::convert::{self, location, push_warning, text, Ctx, Field, Subtree};
use super::direct;
use super::fast;
use super::inplace;
use super::model;
use super::source::{declared_encoding, CountingReader, Pos, Transcoder};
use super::{CamtHeader, CamtSink, Limits};
use crate::error::{excerpt, Location, ReadError};

/// How much of the start of a file is searched for the XML declaration's encoding: a KiB
/// after a byte-order mark (see `declared_encoding`).
const HEAD_BYTES: usize = 1024 + 3;

const NAMESPACE_STEM: &str = "urn:iso:std:iso:20022:tech:xsd:camt.";

/// The three bank-to-customer messages: element name, statement element name, model kind.
fn message_kind(local: &[u8]) -> Option<(StatementFormat, &'static str, StatementKind)> {
    // Version 001.01 suffixed the version to the name: `BkToCstmrStmtV01`.
    let local = match local {
        [name @ .., b'V', d1, d2] if d1.is_ascii_digit() && d2.is_ascii_digit() => name,
        _ => local,
    };
    match local {
        b"BkToCstmrStmt" => Some((StatementFormat::Camt053, "Stmt", StatementKind::Statement)),
        b"BkToCstmrAcctRpt" => Some((StatementFormat::Camt052, "Rpt", StatementKind::Report)),
        b"BkToCstmrDbtCdtNtfctn" => Some((
            StatementFormat::Camt054,
            "Ntfctn",
            StatementKind::Notification,
        )),
        _ => None,
    }
}

/// `urn:iso:std:iso:20022:tech:xsd:camt.053.001.02` → (camt.053, `053.001.02`).
pub(crate) fn parse_namespace(ns: &str) -> Option<(StatementFormat, String)> {
    let version = ns.strip_prefix(NAMESPACE_STEM)?;
    let b = version.as_bytes();
    let well_formed = b.len() == 10
        && b[3] == b'.'
        && b[7] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 3 || i == 7 || c.is_ascii_digit());
    if !well_formed || &version[4..7] != "001" {
        return None;
    }
    let format = match &version[..3] {
        "052" => StatementFormat::Camt052,
        "053" => StatementFormat::Camt053,
        "054" => StatementFormat::Camt054,
        _ => return None,
    };
    Some((format, version.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Anything around the `Document` (SWIFT `Envelope`, `DataPDU`, …).
    Wrapper,
    Document,
    Message,
    Statement,
}

/// What the `Document` element said about the message.
struct DocumentInfo {
    namespace_format: Option<StatementFormat>,
    version: Option<String>,
}

struct Walker<'a, 's, R> {
    file: &'a str,
    limits: Limits,
    reader: Reader<CountingReader<Transcoder<R>>>,
    /// Namespace declarations of the open skeleton elements: (depth, prefix, URI). Only the
    /// skeleton needs resolving (to find the `Document` namespace), so the parser itself runs
    /// without namespace tracking.
    ns_decls: Vec<(usize, Option<Vec<u8>>, Vec<u8>)>,
    /// Declarations of the start tag being opened, scoped once it is pushed.
    pending_decls: Vec<(Option<Vec<u8>>, Vec<u8>)>,
    tree: Subtree,
    sink: &'s mut dyn CamtSink,
    stack: Vec<Level>,
    /// Warnings seen before the message header exists (envelope, prefix).
    early_warnings: Vec<String>,
    app_header_def: Option<String>,
    document: Option<DocumentInfo>,
    header: Option<CamtHeader>,
    statement_element: &'static str,
    statement_kind: StatementKind,
    statement: Option<Statement>,
    statement_announced: bool,
    /// `Stmt[n]/Ntry`, the path prefix of the current statement's entries in errors.
    entry_path: String,
    statements_in_message: u64,
    account_currency: Option<Currency>,
}

pub(crate) fn run<R: BufRead>(
    file: &str,
    mut reader: R,
    sink: &mut dyn CamtSink,
    limits: Limits,
) -> Result<CamtHeader, ReadError> {
    // The XML declaration is looked for in the first bytes whatever the source hands over in
    // one go (a pipe or a small buffer gives a few bytes at a time): they are taken first and
    // put back in front of the rest, so the reading never depends on the source's buffering.
    let mut head = Vec::with_capacity(HEAD_BYTES);
    while head.len() < HEAD_BYTES {
        let available = reader.fill_buf().map_err(|e| {
            err_at(
                file,
                Pos::default(),
                "io-error",
                "file",
                "a readable file",
                &e.to_string(),
            )
        })?;
        if available.is_empty() {
            break;
        }
        let n = available.len().min(HEAD_BYTES - head.len());
        head.extend_from_slice(&available[..n]);
        reader.consume(n);
    }
    let encoding = declared_encoding(&head).map_err(|label| {
        err_at(
            file,
            Pos { byte: 0, line: 1, column: 1 },
            "unsupported-encoding",
            "xml/@encoding",
            "an encoding label of the WHATWG Encoding Standard (UTF-8, ISO-8859-1, windows-1252, …)",
            &excerpt(&label),
        )
    })?;
    let mut early_warnings = Vec::new();
    if let Some(e) = encoding {
        let name = if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
            "utf16".to_string()
        } else {
            e.name().to_ascii_lowercase()
        };
        early_warnings.push(format!("decoded-from-{name}"));
    }
    let source = Transcoder::new(std::io::Cursor::new(head).chain(reader), encoding);
    let mut reader = Reader::from_reader(CountingReader::new(source, limits.max_token_bytes));
    {
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
    }
    let mut walker = Walker {
        file,
        limits,
        reader,
        ns_decls: Vec::new(),
        pending_decls: Vec::new(),
        tree: Subtree::default(),
        sink,
        stack: Vec::with_capacity(8),
        early_warnings,
        app_header_def: None,
        document: None,
        header: None,
        statement_element: "Stmt",
        statement_kind: StatementKind::Statement,
        statement: None,
        statement_announced: false,
        entry_path: String::new(),
        statements_in_message: 0,
        account_currency: None,
    };
    walker.walk()?;
    walker.finish()
}

impl<R: BufRead> Walker<'_, '_, R> {
    fn position(&mut self) -> Pos {
        self.reader.get_mut().position()
    }

    fn error_at(
        &self,
        pos: Pos,
        code: &str,
        field: &str,
        expected: &str,
        found: &str,
    ) -> ReadError {
        err_at(self.file, pos, code, field, expected, found)
    }

    /// Maps a parser error; `within` names the element being read.
    fn xml_error(&mut self, err: quick_xml::Error, within: &str) -> ReadError {
        use quick_xml::errors::SyntaxError;
        let error_byte = self.reader.error_position();
        let source = self.reader.get_mut();
        if source.limit_hit {
            let pos = source.position();
            return self.error_at(
                pos,
                "event-too-large",
                within,
                &format!(
                    "no single XML token longer than {} bytes",
                    self.limits.max_token_bytes
                ),
                "a longer token",
            );
        }
        let pos = source.locate(error_byte);
        let code = match &err {
            quick_xml::Error::Io(_) => "io-error",
            quick_xml::Error::Encoding(_) => "bad-encoding",
            // Every `Unclosed*` error means the input ended inside markup.
            quick_xml::Error::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedDoctype
                | SyntaxError::UnclosedPIOrXmlDecl,
            ) => "truncated",
            _ => "xml-syntax",
        };
        self.error_at(pos, code, within, "well-formed XML", &err.to_string())
    }

    fn within(&self) -> &'static str {
        match self.stack.last() {
            None => "XML",
            Some(Level::Wrapper) => "envelope",
            Some(Level::Document) => "Document",
            Some(Level::Message) => "message",
            Some(Level::Statement) => self.statement_element,
        }
    }

    fn path(&self) -> String {
        let n = self.header.as_ref().map_or(0, |h| h.statements);
        format!("{}[{}]", self.statement_element, n)
    }

    fn walk(&mut self) -> Result<(), ReadError> {
        // The skeleton's events get their own buffer, so a start tag can be handed on borrowed
        // while `collect` reads the element's content into `self.tree`.
        let mut buf = Vec::with_capacity(1024);
        // Whether the last event was text, whose read consumed the `<` after it.
        let mut after_text = false;
        loop {
            // An entry that lies whole in the current chunk is read from it in place, start
            // and end tag included (the parser's own stack of open elements is not touched,
            // since the element is balanced); any other is read event by event below.
            if !after_text
                && self.stack.last() == Some(&Level::Statement)
                && self.stack.len() < self.limits.max_depth
                && self.entry_in_place()?
            {
                continue;
            }
            self.reader.get_mut().mark_event_start();
            let start_pos = self.position();
            buf.clear();
            let event = match self.reader.read_event_into(&mut buf) {
                Ok(e) => e,
                Err(e) => return Err(self.xml_error(e, self.within())),
            };
            after_text = matches!(event, Event::Text(_));
            match event {
                Event::Start(e) => self.open(&e, start_pos, false)?,
                Event::Empty(e) => self.open(&e, start_pos, true)?,
                Event::End(_) => self.close(start_pos)?,
                Event::Decl(d) => {
                    // The declaration was honoured before parsing began (see
                    // `declared_encoding`); here only a label that no decoder knows can remain,
                    // when the declaration did not fit in the first buffer.
                    if let Some(Ok(label)) = d.encoding() {
                        if encoding_rs::Encoding::for_label(&label).is_none() {
                            return Err(err_at(
                                self.file,
                                start_pos,
                                "unsupported-encoding",
                                "xml/@encoding",
                                "an encoding label of the WHATWG Encoding Standard",
                                &excerpt(&String::from_utf8_lossy(&label)),
                            ));
                        }
                    }
                }
                Event::Eof => {
                    if let Some(open) = self.stack.last() {
                        return Err(self.error_at(
                            start_pos,
                            "truncated",
                            &format!("{open:?}"),
                            "the closing tags of every open element",
                            "end of file",
                        ));
                    }
                    return Ok(());
                }
                // Text between skeleton elements, comments, processing instructions and a
                // DOCTYPE carry nothing a statement needs (entities are never expanded).
                _ => {}
            }
        }
    }

    /// A start tag (or empty element) at the skeleton level.
    fn open(&mut self, e: &BytesStart, start_pos: Pos, empty: bool) -> Result<(), ReadError> {
        self.pending_decls = namespace_decls(e);
        let local = e.local_name();
        let local = local.as_ref();
        let level = self.stack.last().copied();
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.error_at(
                start_pos,
                "nesting-too-deep",
                &String::from_utf8_lossy(local),
                &format!("at most {} nested elements", self.limits.max_depth),
                "deeper nesting",
            ));
        }
        match level {
            None | Some(Level::Wrapper) => {
                if (local == b"Document" || message_kind(local).is_some()) && self.header.is_some()
                {
                    return Err(self.second_message(start_pos, local));
                }
                if local == b"Document" && self.document.is_none() {
                    self.begin_document(e, start_pos)?;
                    self.push(Level::Document, empty, start_pos)
                } else if let Some(kind) = message_kind(local).filter(|_| self.header.is_none()) {
                    // A message element with no `Document` around it.
                    push_warning(&mut self.early_warnings, "no-Document-element".to_string());
                    self.begin_document(e, start_pos)?;
                    self.begin_message(kind, start_pos)?;
                    self.push(Level::Message, empty, start_pos)
                } else if local == b"AppHdr" && !empty {
                    self.collect(e, start_pos, false)?;
                    let hdr: model::AppHdr = parse_with(self.file, &self.tree, "AppHdr")?;
                    self.app_header_def = text(&hdr.msg_def_idr);
                    Ok(())
                } else {
                    if level.is_none() {
                        push_warning(
                            &mut self.early_warnings,
                            format!("wrapped-in-{}", String::from_utf8_lossy(local)),
                        );
                    }
                    self.push(Level::Wrapper, empty, start_pos)
                }
            }
            Some(Level::Document) => match message_kind(local) {
                Some(_) if self.header.is_some() => Err(self.second_message(start_pos, local)),
                Some(kind) => {
                    self.begin_message(kind, start_pos)?;
                    self.push(Level::Message, empty, start_pos)
                }
                None => self.skip(e, start_pos, empty),
            },
            Some(Level::Message) => {
                if local == b"GrpHdr" {
                    if empty {
                        return Ok(());
                    }
                    self.collect(e, start_pos, false)?;
                    let hdr: model::GroupHeader = parse_with(self.file, &self.tree, "GrpHdr")?;
                    let ctx = Ctx {
                        file: self.file,
                        tree: &self.tree,
                        path: "GrpHdr",
                        entry: None,
                    };
                    group_header(&ctx, &hdr, &mut self.header)?;
                    Ok(())
                } else if local == self.statement_element.as_bytes() {
                    self.begin_statement(start_pos);
                    self.push(Level::Statement, empty, start_pos)
                } else {
                    self.skip(e, start_pos, empty)
                }
            }
            Some(Level::Statement) => self.statement_child(e, start_pos, empty),
        }
    }

    /// A second message in one file: refused rather than half read, since one import is one
    /// message with one header.
    fn second_message(&self, pos: Pos, local: &[u8]) -> ReadError {
        self.error_at(
            pos,
            "multiple-messages",
            &String::from_utf8_lossy(local),
            "one camt message per file",
            "a second message",
        )
    }

    fn push(&mut self, level: Level, empty: bool, pos: Pos) -> Result<(), ReadError> {
        self.stack.push(level);
        let depth = self.stack.len();
        for (prefix, uri) in self.pending_decls.drain(..) {
            self.ns_decls.push((depth, prefix, uri));
        }
        if empty {
            self.close(pos)?;
        }
        Ok(())
    }

    fn close(&mut self, pos: Pos) -> Result<(), ReadError> {
        let popped = self.stack.pop();
        let depth = self.stack.len();
        self.ns_decls.retain(|d| d.0 <= depth);
        match popped {
            Some(Level::Statement) => self.end_statement(),
            Some(Level::Message) => {
                if self.statements_in_message == 0 {
                    return Err(self.error_at(
                        pos,
                        "no-statement",
                        self.statement_element,
                        &format!("at least one {} element", self.statement_element),
                        "none",
                    ));
                }
                Ok(())
            }
            Some(Level::Document) => {
                if self.header.is_none() {
                    return Err(self.error_at(
                        pos,
                        "no-message-element",
                        "Document",
                        "BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn",
                        "none",
                    ));
                }
                Ok(())
            }
            Some(Level::Wrapper) | None => Ok(()),
        }
    }

    fn begin_document(&mut self, e: &BytesStart, pos: Pos) -> Result<(), ReadError> {
        if let Some(prefix) = e.name().prefix() {
            push_warning(
                &mut self.early_warnings,
                format!(
                    "namespace-prefix:{}",
                    String::from_utf8_lossy(prefix.as_ref())
                ),
            );
        }
        let prefix = e.name().prefix().map(|p| p.as_ref().to_vec());
        let info = match self.resolve(prefix.as_deref()) {
            Ok(Some(ns)) => {
                let ns = String::from_utf8_lossy(ns).into_owned();
                match parse_namespace(&ns) {
                    Some((format, version)) => DocumentInfo {
                        namespace_format: Some(format),
                        version: Some(version),
                    },
                    None => {
                        return Err(self.error_at(
                            pos,
                            "unrecognised-namespace",
                            "Document/@xmlns",
                            "urn:iso:std:iso:20022:tech:xsd:camt.05N.001.NN (camt.052, .053 or .054 with its version)",
                            &excerpt(&ns),
                        ))
                    }
                }
            }
            Ok(None) => {
                push_warning(&mut self.early_warnings, "no-namespace".to_string());
                DocumentInfo {
                    namespace_format: None,
                    version: None,
                }
            }
            Err(()) => {
                return Err(self.error_at(
                    pos,
                    "unrecognised-namespace",
                    "Document",
                    "a declared namespace prefix",
                    &excerpt(&String::from_utf8_lossy(
                        prefix.as_deref().unwrap_or_default(),
                    )),
                ))
            }
        };
        if let (Some(def), Some(version)) = (&self.app_header_def, &info.version) {
            if def != &format!("camt.{version}") {
                push_warning(
                    &mut self.early_warnings,
                    format!("header-MsgDefIdr-differs:{def}"),
                );
            }
        }
        self.document = Some(info);
        Ok(())
    }

    /// The namespace URI bound to `prefix` (`None`: the default namespace) on the element being
    /// opened: `Ok(None)` when unbound (no default namespace, or `xmlns=""`), `Err` for an
    /// undeclared prefix.
    fn resolve(&self, prefix: Option<&[u8]>) -> Result<Option<&[u8]>, ()> {
        let own = self.pending_decls.iter().map(|(p, u)| (p, u));
        let inherited = self.ns_decls.iter().rev().map(|(_, p, u)| (p, u));
        for (p, uri) in own.chain(inherited) {
            if p.as_deref() == prefix {
                return Ok((!uri.is_empty()).then_some(uri.as_slice()));
            }
        }
        match prefix {
            None => Ok(None),
            Some(_) => Err(()),
        }
    }

    fn begin_message(
        &mut self,
        (format, statement_element, kind): (StatementFormat, &'static str, StatementKind),
        pos: Pos,
    ) -> Result<(), ReadError> {
        let (namespace_format, version) = match &self.document {
            Some(d) => (d.namespace_format.clone(), d.version.clone()),
            None => (None, None),
        };
        if let Some(ns_format) = namespace_format {
            if ns_format != format {
                return Err(self.error_at(
                    pos,
                    "namespace-mismatch",
                    "Document/@xmlns",
                    &format!("the {} namespace for this message element", format.id()),
                    &ns_format.id(),
                ));
            }
        }
        self.statement_element = statement_element;
        self.statement_kind = kind;
        self.header = Some(CamtHeader {
            format,
            version,
            message_id: None,
            created_at: None,
            page: None,
            last_page: None,
            warnings: std::mem::take(&mut self.early_warnings),
            statements: 0,
            entries: 0,
        });
        Ok(())
    }

    fn begin_statement(&mut self, pos: Pos) {
        let index = self.header.as_ref().map_or(0, |h| h.statements);
        if let Some(h) = self.header.as_mut() {
            h.statements += 1;
        }
        self.statements_in_message += 1;
        self.entry_path = format!("{}[{}]/Ntry", self.statement_element, index + 1);
        self.account_currency = None;
        self.statement_announced = false;
        self.statement = Some(Statement {
            kind: self.statement_kind,
            pos: SourcePos {
                line: clamp_u32(pos.line),
                index: clamp_u32(index),
            },
            ..Statement::default()
        });
    }

    fn announce(&mut self) -> Result<(), ReadError> {
        if !self.statement_announced {
            self.statement_announced = true;
            if let (Some(h), Some(s)) = (&self.header, &self.statement) {
                self.sink.statement(h, s)?;
            }
        }
        Ok(())
    }

    fn end_statement(&mut self) -> Result<(), ReadError> {
        self.announce()?;
        if let Some(s) = self.statement.take() {
            self.sink.statement_end(&s)?;
        }
        Ok(())
    }

    /// Copies the rest of an element (its start tag is `e`) into `self.tree`.
    fn collect(&mut self, e: &BytesStart, start_pos: Pos, empty: bool) -> Result<(), ReadError> {
        self.tree.clear();
        self.tree.start = start_pos;
        self.tree.record_start(e, empty, start_pos);
        if empty {
            return Ok(());
        }
        let base_depth = self.stack.len();
        // The children that lie whole in the current chunk are read from it in place; the
        // loop below reads the rest (the end tag, and what the chunk does not hold).
        let used = inplace::take_children(
            &self.reader.get_mut().window(),
            &mut self.tree,
            &self.limits,
            base_depth,
        );
        if used > 0 {
            self.reader.stream().consume(used);
        }
        let mut depth = 1usize;
        // Each event is read straight into the element's buffer (no second copy): quick-xml
        // appends what lies between `<` and `>` (or the raw text), and the `<` and `>` are added
        // around markup. Whether the next event is markup is guessed beforehand (after text it
        // always is; else when the next byte is `<`) so that the `<` can go first; a wrong
        // guess is mended after the event, so the guess affects speed only.
        let mut after_text = false;
        loop {
            self.reader.get_mut().mark_event_start();
            let pos = self.position();
            let mark = self.tree.xml.len();
            let guessed_markup = after_text || self.reader.get_ref().peek_byte() == Some(b'<');
            if guessed_markup {
                self.tree.xml.push(b'<');
            }
            let event = match self.reader.read_event_into(&mut self.tree.xml) {
                Ok(ev) => ev,
                Err(err) => {
                    let within = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                    return Err(self.xml_error(err, &within));
                }
            };
            // What the event was, taken before the buffer is touched again.
            let (kind, name_len) = match &event {
                Event::Start(s) => {
                    if base_depth + depth + 1 > self.limits.max_depth {
                        return Err(err_at(
                            self.file,
                            pos,
                            "nesting-too-deep",
                            &String::from_utf8_lossy(s.local_name().as_ref()),
                            &format!("at most {} nested elements", self.limits.max_depth),
                            "deeper nesting",
                        ));
                    }
                    (Read::Start, s.name().as_ref().len())
                }
                Event::Empty(s) => (Read::Empty, s.name().as_ref().len()),
                Event::End(_) => (Read::End, 0),
                Event::Text(_) => (Read::Text, 0),
                Event::CData(_) => (Read::CData, 0),
                Event::Eof => (Read::Eof, 0),
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {
                    (Read::Ignored, 0)
                }
            };
            after_text = kind == Read::Text;
            let xml = &mut self.tree.xml;
            match kind {
                Read::Text => {
                    if guessed_markup {
                        xml.remove(mark);
                    }
                    let len = xml.len() - mark;
                    self.tree.record_text_in_place(mark, len);
                }
                Read::Ignored | Read::Eof => xml.truncate(mark),
                Read::CData => {
                    // `![CDATA[…]]` between `<` and `>`, as written.
                    if !guessed_markup {
                        xml.insert(mark, b'<');
                    }
                    xml.push(b'>');
                    self.tree.record_cdata_in_place();
                }
                Read::Start | Read::Empty | Read::End => {
                    if !guessed_markup {
                        xml.insert(mark, b'<');
                    }
                    // An empty element's `/` is already in the buffer.
                    let content = xml.len() - (mark + 1) - usize::from(kind == Read::Empty);
                    xml.push(b'>');
                    match kind {
                        Read::End => self.tree.record_end_in_place(),
                        _ => self.tree.record_start_in_place(
                            mark,
                            content,
                            name_len,
                            kind == Read::Empty,
                            pos,
                        ),
                    }
                }
            }
            match kind {
                Read::Start => depth += 1,
                Read::End => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Read::Eof => {
                    return Err(self.error_at(
                        pos,
                        "truncated",
                        &String::from_utf8_lossy(e.local_name().as_ref()),
                        "the closing tags of every open element",
                        "end of file",
                    ))
                }
                _ => {}
            }
            if self.tree.xml.len() > self.limits.max_element_bytes {
                let element = String::from_utf8_lossy(e.local_name().as_ref()).to_string();
                let code = if element == "Ntry" {
                    "entry-too-large"
                } else {
                    "element-too-large"
                };
                return Err(self.error_at(
                    start_pos,
                    code,
                    &element,
                    &format!(
                        "an element of at most {} bytes",
                        self.limits.max_element_bytes
                    ),
                    "a larger one",
                ));
            }
        }
    }

    fn parse_tree<'t, T: Deserialize<'t>>(
        &'t self,
        what: &str,
        entry: Option<u64>,
    ) -> Result<T, ReadError> {
        let xml = match std::str::from_utf8(&self.tree.xml) {
            Ok(s) => s,
            Err(err) => {
                let at = err.valid_up_to();
                let i = self.tree.marks.partition_point(|&(o, _)| o <= at);
                let pos = i
                    .checked_sub(1)
                    .and_then(|i| self.tree.marks.get(i))
                    .map_or(self.tree.start, |m| m.1);
                return Err(ReadError::new(
                    self.file,
                    location(pos, entry),
                    "bad-encoding",
                    what,
                    "UTF-8 text",
                    "bytes that are not UTF-8",
                ));
            }
        };
        quick_xml::de::from_str(xml).map_err(|err| {
            ReadError::new(
                self.file,
                location(self.tree.start, entry),
                "bad-structure",
                what,
                format!("a {what} element as the ISO 20022 schema defines it"),
                excerpt(&err.to_string()),
            )
        })
    }

    /// Elements the reader has no use for are still read through (bounded), never kept.
    fn skip(&mut self, e: &BytesStart, start_pos: Pos, empty: bool) -> Result<(), ReadError> {
        self.collect(e, start_pos, empty)
    }

    fn statement_child(
        &mut self,
        e: &BytesStart,
        start_pos: Pos,
        empty: bool,
    ) -> Result<(), ReadError> {
        self.collect(e, start_pos, empty)?;
        if e.local_name().as_ref() == b"Ntry" {
            return self.entry();
        }
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let path = self.path();
        let mut warnings = Vec::new();
        let ctx = Ctx {
            file: self.file,
            tree: &self.tree,
            path: &path,
            entry: None,
        };
        let Some(statement) = self.statement.as_mut() else {
            return Ok(());
        };
        match name.as_str() {
            "Id" | "ElctrncSeqNb" | "LglSeqNb" | "CreDtTm" | "AddtlStmtInf" | "AddtlRptInf"
            | "AddtlNtfctnInf" => {
                let leaf: model::TextOrCode = parse_with(self.file, &self.tree, &name)?;
                let value = text(&leaf.text);
                match name.as_str() {
                    "Id" => statement.id = value,
                    "ElctrncSeqNb" => statement.electronic_seq = value,
                    "LglSeqNb" => statement.legal_seq = value,
                    "CreDtTm" => {
                        statement.created_at = match value {
                            Some(t) => Some(convert::datetime(&ctx, Field::new("CreDtTm"), &t)?),
                            None => None,
                        }
                    }
                    _ => statement.additional_info = value,
                }
            }
            "StmtPgntn" | "RptPgntn" | "NtfctnPgntn" => {
                let p: model::Pagination = parse_with(self.file, &self.tree, &name)?;
                (statement.page, statement.last_page) = pagination(&ctx, Field::new(&name), &p)?;
            }
            "FrToDt" => {
                let f: model::FromToDate = parse_with(self.file, &self.tree, &name)?;
                if let Some(t) = text(&f.fr_dt_tm) {
                    statement.from =
                        Some(convert::datetime(&ctx, Field::new("FrToDt/FrDtTm"), &t)?);
                }
                if let Some(t) = text(&f.to_dt_tm) {
                    statement.to = Some(convert::datetime(&ctx, Field::new("FrToDt/ToDtTm"), &t)?);
                }
            }
            "Acct" => {
                let a: model::CashAccount = parse_with(self.file, &self.tree, &name)?;
                statement.account = convert::account(&ctx, &a)?;
                self.account_currency = statement.account.currency;
            }
            "Bal" => {
                let b: model::CashBalance = parse_with(self.file, &self.tree, &name)?;
                let n = statement.balances.len() + 1;
                let bal_path = format!("{path}/Bal[{n}]");
                let bctx = Ctx {
                    path: &bal_path,
                    ..ctx
                };
                let balance = convert::balance(&bctx, &b, self.account_currency, &mut warnings)?;
                statement.balances.push(balance);
            }
            "TxsSummry" => {
                let t: model::TotalTransactions = parse_with(self.file, &self.tree, &name)?;
                let tctx = Ctx {
                    path: &format!("{path}/TxsSummry"),
                    ..ctx
                };
                statement.totals = Some(convert::totals(&tctx, &t)?);
            }
            _ => {}
        }
        self.merge_warnings(warnings);
        Ok(())
    }

    fn merge_warnings(&mut self, warnings: Vec<String>) {
        if let Some(h) = self.header.as_mut() {
            for w in warnings {
                push_warning(&mut h.warnings, w);
            }
        }
    }

    fn entry(&mut self) -> Result<(), ReadError> {
        self.announce()?;
        let index = self.header.as_ref().map_or(0, |h| h.entries);
        let pos = SourcePos {
            line: clamp_u32(self.tree.start.line),
            index: clamp_u32(index),
        };
        // The usual entry goes straight from its tokens to the `Entry` (see `direct.rs`); any
        // other, and every error, through the entry model.
        let direct = direct::entry(&self.entry_ctx(index), pos, self.account_currency);
        let entry = match direct {
            Some(entry) => {
                // Debug builds (and so every test) hold the direct reading to the other.
                #[cfg(debug_assertions)]
                match self.two_step_entry(index, pos) {
                    Ok((other, warnings)) => {
                        assert!(warnings.is_empty(), "entry {index}: {warnings:?}");
                        assert_eq!(
                            format!("{entry:?}"),
                            format!("{other:?}"),
                            "the direct Ntry reading and the entry model disagree on entry {index}"
                        );
                    }
                    Err(e) => {
                        panic!("the direct Ntry reading accepted what the model refuses: {e}")
                    }
                }
                entry
            }
            None => {
                let (entry, warnings) = self.two_step_entry(index, pos)?;
                self.merge_warnings(warnings);
                entry
            }
        };
        if let Some(h) = self.header.as_mut() {
            h.entries += 1;
        }
        self.sink.entry(entry)
    }

    fn entry_ctx(&self, index: u64) -> Ctx<'_> {
        Ctx {
            file: self.file,
            tree: &self.tree,
            path: &self.entry_path,
            entry: Some(index),
        }
    }

    /// Reads the buffered `Ntry` into the entry model (by the hand-written builder, or serde
    /// for what it leaves) and converts that: the entry and its warnings.
    fn two_step_entry(
        &self,
        index: u64,
        pos: SourcePos,
    ) -> Result<(kasda_core::statement::Entry, Vec<String>), ReadError> {
        // The hand-written builder reads the usual entry from the tokens recorded while
        // buffering it; anything it leaves (see `fast.rs`) goes through serde as before.
        let built = fast::entry(&self.tree);
        #[cfg(debug_assertions)]
        if let Some(built) = &built {
            // Debug builds (and so every test) hold the builder to serde's reading.
            match self.parse_tree::<model::ReportEntry>("Ntry", Some(index)) {
                Ok(serde) => assert_eq!(
                    format!("{built:?}"),
                    format!("{serde:?}"),
                    "the hand-written Ntry builder and serde disagree on entry {index}"
                ),
                Err(e) => panic!("the hand-written Ntry builder accepted what serde refuses: {e}"),
            }
        }
        let ntry: model::ReportEntry = match built {
            Some(ntry) => ntry,
            None => self.parse_tree("Ntry", Some(index))?,
        };
        let mut warnings = Vec::new();
        let entry = convert::entry(
            &self.entry_ctx(index),
            &ntry,
            pos,
            self.account_currency,
            &mut warnings,
        )?;
        Ok((entry, warnings))
    }

    /// Reads the next statement child in place when it is an `Ntry` lying whole in the current
    /// chunk (see `inplace::take_entry`); `false`: nothing was read.
    fn entry_in_place(&mut self) -> Result<bool, ReadError> {
        let depth = self.stack.len();
        let used = {
            let window = self.reader.get_mut().window();
            match inplace::take_entry(&window, &mut self.tree, &self.limits, depth) {
                Some(used) => used,
                None => return Ok(false),
            }
        };
        self.reader.stream().consume(used);
        self.entry()?;
        Ok(true)
    }

    fn finish(mut self) -> Result<CamtHeader, ReadError> {
        let end = self.position();
        match self.header.take() {
            Some(h) => Ok(h),
            None => {
                let (code, expected) = if self.document.is_some() {
                    (
                        "no-message-element",
                        "BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn",
                    )
                } else if end.byte == 0 {
                    ("empty-file", "a camt XML document")
                } else {
                    ("no-message-element", "a camt Document element")
                };
                Err(ReadError::new(
                    self.file,
                    Location::default(),
                    code,
                    "Document",
                    expected,
                    "none",
                ))
            }
        }
    }
}

fn parse_with<'t, T: Deserialize<'t>>(
    file: &str,
    tree: &'t Subtree,
    what: &str,
) -> Result<T, ReadError> {
    let xml = std::str::from_utf8(&tree.xml).map_err(|_| {
        ReadError::new(
            file,
            location(tree.start, None),
            "bad-encoding",
            what,
            "UTF-8 text",
            "bytes that are not UTF-8",
        )
    })?;
    quick_xml::de::from_str(xml).map_err(|err| {
        ReadError::new(
            file,
            location(tree.start, None),
            "bad-structure",
            what,
            format!("a {what} element as the ISO 20022 schema defines it"),
            excerpt(&err.to_string()),
        )
    })
}

/// Fills the file header from `GrpHdr`.
fn group_header(
    ctx: &Ctx,
    hdr: &model::GroupHeader,
    header: &mut Option<CamtHeader>,
) -> Result<(), ReadError> {
    let created_at = match text(&hdr.cre_dt_tm) {
        Some(t) => Some(convert::datetime(ctx, Field::new("CreDtTm"), &t)?),
        None => None,
    };
    let (page, last_page) = match &hdr.msg_pgntn {
        Some(p) => pagination(ctx, Field::new("MsgPgntn"), p)?,
        None => (None, None),
    };
    if let Some(h) = header.as_mut() {
        h.message_id = text(&hdr.msg_id);
        h.created_at = created_at;
        h.page = page;
        h.last_page = last_page;
    }
    Ok(())
}

fn pagination(
    ctx: &Ctx,
    field: Field,
    p: &model::Pagination,
) -> Result<(Option<u32>, Option<bool>), ReadError> {
    let page = match convert::number(ctx, field.child("PgNb"), &p.pg_nb)? {
        Some(n) => Some(u32::try_from(n).map_err(|_| {
            ctx.error(
                "bad-number",
                field.child("PgNb"),
                "a page number below 4294967296",
                &n.to_string(),
            )
        })?),
        None => None,
    };
    let last = convert::boolean(ctx, field.child("LastPgInd"), &p.last_pg_ind)?;
    Ok((page, last))
}

/// `xmlns` and `xmlns:p` attributes of a start tag.
fn namespace_decls(e: &BytesStart) -> Vec<(Option<Vec<u8>>, Vec<u8>)> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .filter_map(|a| {
            let key = a.key.as_ref();
            if key == b"xmlns" {
                Some((None, a.value.into_owned()))
            } else {
                key.strip_prefix(b"xmlns:")
                    .map(|p| (Some(p.to_vec()), a.value.into_owned()))
            }
        })
        .collect()
}

/// The kind of event `collect` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Start,
    Empty,
    End,
    Text,
    CData,
    Eof,
    Ignored,
}

fn err_at(file: &str, pos: Pos, code: &str, field: &str, expected: &str, found: &str) -> ReadError {
    ReadError::new(file, location(pos, None), code, field, expected, found)
}

fn clamp_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
