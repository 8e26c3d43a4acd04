//! A `BufRead` wrapper that knows where the XML parser is: bytes consumed, the current line and
//! the start of that line, so that a streaming read can name the line and column of an entry or
//! an error without keeping the file in memory.
//!
//! It also caps how many bytes one XML event may span. quick-xml copies each event into a
//! growing buffer; without a cap a 1 GB text node (or a file with no `<` at all) would need 1 GB.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// Newline offsets remembered for resolving a byte offset slightly behind the read position
/// (quick-xml reports an error at the start of the bad event, which may be lines back).
const RECENT_NEWLINES: usize = 4096;

/// A place in the source: 0-based byte offset, 1-based line and byte column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub byte: u64,
    pub line: u64,
    pub column: u64,
}

/// The unconsumed rest of the current chunk, as [`CountingReader::window`] shows it.
pub(crate) struct Window<'a> {
    /// The bytes not consumed yet.
    pub rest: &'a [u8],
    /// Source position of `rest[0]`.
    pub at: Pos,
    /// Offset of `rest[0]` in the chunk.
    pub offset: usize,
    /// Chunk offsets (not `rest` offsets) of the newlines in `rest`, in order.
    pub newlines: &'a [u32],
}

/// Bytes pulled from the inner reader at a time into the counting buffer.
const CHUNK: usize = 64 * 1024;

pub(crate) struct CountingReader<R> {
    inner: R,
    /// The current chunk of the source; `buf[pos..]` is not consumed yet.
    buf: Vec<u8>,
    pos: usize,
    /// Offsets in `buf` of its newlines, found once when the chunk is taken (one `memchr` pass
    /// over 64 KiB rather than one small scan per XML event); `newlines[next_newline..]` are
    /// not counted yet. Lines are counted when a position is asked for (once per XML event) or
    /// a chunk is dropped, not on every `consume`.
    newlines: Vec<u32>,
    next_newline: usize,
    /// Source offset of `buf[0]`.
    base: u64,
    line: u64,
    line_start: u64,
    recent_newlines: VecDeque<u64>,
    /// Offset where the current event started; `fill_buf` refuses to go further than
    /// `event_limit` bytes past it.
    event_start: u64,
    event_limit: u64,
    /// Set when the event limit stopped the read, so the caller can tell this apart from a real
    /// I/O error.
    pub limit_hit: bool,
}

impl<R: BufRead> CountingReader<R> {
    pub fn new(inner: R, event_limit: u64) -> Self {
        CountingReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            newlines: Vec::new(),
            next_newline: 0,
            base: 0,
            line: 1,
            line_start: 0,
            recent_newlines: VecDeque::with_capacity(64),
            event_start: 0,
            event_limit,
            limit_hit: false,
        }
    }

    fn consumed(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Brings the line count up to the read position: counts the chunk's newlines before it.
    #[inline]
    fn count_lines(&mut self) {
        while let Some(&nl) = self.newlines.get(self.next_newline) {
            let nl = nl as usize;
            if nl >= self.pos {
                return;
            }
            self.next_newline += 1;
            let at = self.base + nl as u64;
            self.line += 1;
            self.line_start = at + 1;
            if self.recent_newlines.len() == RECENT_NEWLINES {
                self.recent_newlines.pop_front();
            }
            self.recent_newlines.push_back(at);
        }
    }

    /// The slow side of `fill_buf`: the event limit, and taking the next chunk.
    #[cold]
    #[inline(never)]
    fn fill_chunk(&mut self) -> io::Result<&[u8]> {
        if self.consumed().saturating_sub(self.event_start) > self.event_limit {
            self.limit_hit = true;
            return Err(io::Error::other("XML event larger than the limit"));
        }
        if self.pos == self.buf.len() {
            // Count the chunk's lines before its bytes are dropped, then take the next one.
            self.count_lines();
            self.base += self.buf.len() as u64;
            self.buf.clear();
            self.pos = 0;
            let src = self.inner.fill_buf()?;
            let n = src.len().min(CHUNK);
            self.buf.extend_from_slice(&src[..n]);
            self.inner.consume(n);
            self.newlines.clear();
            self.newlines.extend(
                memchr::memchr_iter(b'\n', &self.buf).map(|i| u32::try_from(i).unwrap_or(u32::MAX)),
            );
            self.next_newline = 0;
        }
        Ok(&self.buf[self.pos..])
    }

    /// The next byte, when it is already in the current chunk (a guess for the caller, never
    /// a read).
    #[inline]
    pub fn peek_byte(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// The unconsumed rest of the current chunk with the position of its first byte and its
    /// newlines, for reading whole elements straight from the chunk (see `inplace.rs`). Nothing
    /// is consumed; the caller consumes what it used.
    pub fn window(&mut self) -> Window<'_> {
        let at = self.position();
        Window {
            rest: &self.buf[self.pos..],
            at,
            offset: self.pos,
            newlines: &self.newlines[self.next_newline..],
        }
    }

    /// Marks the start of the next event (called after every event the parser returns).
    pub fn mark_event_start(&mut self) {
        self.event_start = self.consumed();
    }

    pub fn position(&mut self) -> Pos {
        self.count_lines();
        let byte = self.consumed();
        Pos {
            byte,
            line: self.line,
            column: byte - self.line_start + 1,
        }
    }

    /// Line and column of an earlier byte offset, when it is recent enough to be known.
    pub fn locate(&mut self, byte: u64) -> Pos {
        self.count_lines();
        if byte >= self.line_start {
            return Pos {
                byte,
                line: self.line,
                column: byte.saturating_sub(self.line_start) + 1,
            };
        }
        // Newlines strictly after `byte` each pushed the line count up by one.
        let mut line = self.line;
        for (i, &nl) in self.recent_newlines.iter().enumerate().rev() {
            if nl < byte {
                return Pos {
                    byte,
                    line,
                    column: byte - nl,
                };
            }
            line = line.saturating_sub(1);
            if i == 0 && self.recent_newlines.len() < RECENT_NEWLINES {
                // Every newline of the file is remembered, so `byte` is on line 1.
                return Pos {
                    byte,
                    line: 1,
                    column: byte + 1,
                };
            }
        }
        Pos {
            byte,
            line: 0,
            column: 0,
        }
    }
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos < self.buf.len()
            && self.consumed().saturating_sub(self.event_start) <= self.event_limit
        {
            return Ok(&self.buf[self.pos..]);
        }
        self.fill_chunk()
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.buf.len());
    }
}

/// Most bytes decoded in one step, so that a reader over a whole file in memory (`&[u8]`) is
/// still transcoded in small pieces.
const DECODE_CHUNK: usize = 64 * 1024;

/// Decodes a non-UTF-8 source (a declared `ISO-8859-1`/`windows-1252`, a UTF-16 file with a
/// BOM) to UTF-8 as it is read; passes UTF-8 through untouched. Positions reported downstream
/// are then offsets in the decoded text (lines are unaffected).
pub(crate) struct Transcoder<R> {
    inner: R,
    decoder: Option<encoding_rs::Decoder>,
    out: Vec<u8>,
    pos: usize,
    finished: bool,
}

impl<R: BufRead> Transcoder<R> {
    pub fn new(inner: R, encoding: Option<&'static encoding_rs::Encoding>) -> Self {
        Transcoder {
            inner,
            // With BOM removal: a UTF-16 BOM is consumed here, not passed on as U+FEFF.
            decoder: encoding.map(|e| e.new_decoder_with_bom_removal()),
            out: Vec::new(),
            pos: 0,
            finished: false,
        }
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    #[inline]
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let Transcoder {
            inner,
            decoder,
            out,
            pos,
            finished,
        } = self;
        let Some(decoder) = decoder else {
            return inner.fill_buf();
        };
        if *pos < out.len() {
            return Ok(&out[*pos..]);
        }
        out.clear();
        *pos = 0;
        while !*finished {
            let src = inner.fill_buf()?;
            let src = &src[..src.len().min(DECODE_CHUNK)];
            let last = src.is_empty();
            let room = decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(DECODE_CHUNK * 3)
                .max(16);
            out.resize(room, 0);
            let (_, read, written, _) = decoder.decode_to_utf8(src, out, last);
            out.truncate(written);
            inner.consume(read);
            *finished = last;
            if written > 0 {
                break;
            }
        }
        Ok(&out[..])
    }

    #[inline]
    fn consume(&mut self, amount: usize) {
        if self.decoder.is_some() {
            self.pos = (self.pos + amount).min(self.out.len());
        } else {
            self.inner.consume(amount);
        }
    }
}

/// The encoding named by the XML declaration at the start of `head` (`encoding="…"`), or by a
/// UTF-16 byte-order mark. `Ok(None)`: UTF-8, nothing to decode. A declared UTF-16 without a
/// BOM is taken as already decoded (its declaration could be read as ASCII). `Err(label)`: a
/// label no decoder knows.
pub(crate) fn declared_encoding(
    head: &[u8],
) -> Result<Option<&'static encoding_rs::Encoding>, String> {
    if head.starts_with(b"\xFF\xFE") {
        return Ok(Some(encoding_rs::UTF_16LE));
    }
    if head.starts_with(b"\xFE\xFF") {
        return Ok(Some(encoding_rs::UTF_16BE));
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if !head.starts_with(b"<?xml") {
        return Ok(None);
    }
    let decl = &head[..head.len().min(1024)];
    let Some(end) = memchr::memmem::find(decl, b"?>") else {
        return Ok(None);
    };
    let decl = &decl[..end];
    let Some(at) = memchr::memmem::find(decl, b"encoding") else {
        return Ok(None);
    };
    let rest = &decl[at + b"encoding".len()..];
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"=") else {
        return Ok(None);
    };
    let rest = rest.trim_ascii_start();
    let Some((&quote, rest)) = rest.split_first() else {
        return Ok(None);
    };
    if quote != b'"' && quote != b'\'' {
        return Ok(None);
    }
    let Some(close) = rest.iter().position(|&b| b == quote) else {
        return Ok(None);
    };
    let label = &rest[..close];
    match encoding_rs::Encoding::for_label(label) {
        Some(e) if e == encoding_rs::UTF_8 => Ok(None),
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => Ok(None),
        Some(e) if e == encoding_rs::REPLACEMENT => {
            Err(String::from_utf8_lossy(label).into_owned())
        }
        Some(e) => Ok(Some(e)),
        None => Err(String::from_utf8_lossy(label).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn drain<R: BufRead>(r: &mut R, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let chunk = r.fill_buf().expect("reads");
            if chunk.is_empty() {
                return out;
            }
            let n = chunk.len().min(step);
            out.extend_from_slice(&chunk[..n]);
            r.consume(n);
        }
    }

    #[test]
    fn counts_lines_and_columns_across_chunks() {
        let text = b"ab\ncde\n\nfghij\nk";
        let mut r = CountingReader::new(BufReader::with_capacity(2, &text[..]), 1 << 20);
        assert_eq!(drain(&mut r, 3), text.to_vec());
        let end = r.position();
        assert_eq!((end.byte, end.line, end.column), (15, 5, 2));
        // Earlier offsets resolve through the remembered newlines.
        let mut at = |b| {
            let p = r.locate(b);
            (p.line, p.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(2), (1, 3));
        assert_eq!(at(3), (2, 1));
        assert_eq!(at(7), (3, 1));
        assert_eq!(at(8), (4, 1));
        assert_eq!(at(12), (4, 5));
        assert_eq!(at(14), (5, 1));
    }

    #[test]
    fn refuses_a_token_longer_than_the_limit() {
        let text = [b'x'; 100];
        let mut r = CountingReader::new(BufReader::with_capacity(8, &text[..]), 16);
        let mut consumed = 0;
        let err = loop {
            match r.fill_buf() {
                Ok([]) => panic!("limit not applied"),
                Ok(chunk) => {
                    let n = chunk.len();
                    consumed += n;
                    r.consume(n);
                }
                Err(e) => break e,
            }
        };
        assert!(r.limit_hit, "{err}");
        assert!(consumed <= 16 + 8);
        // A new token starts a new allowance.
        r.mark_event_start();
        assert!(r.fill_buf().is_ok());
    }

    #[test]
    fn transcodes_in_small_steps() {
        let text = "<a>caf\u{e9} \u{20ac}5</a>\n";
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        // Odd buffer sizes split code units across reads.
        let inner = BufReader::with_capacity(3, utf16.as_slice());
        let mut t = Transcoder::new(inner, Some(encoding_rs::UTF_16LE));
        assert_eq!(drain(&mut t, 2), text.as_bytes());
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let mut t = Transcoder::new(
            BufReader::with_capacity(1, &latin[..]),
            Some(encoding_rs::WINDOWS_1252),
        );
        assert_eq!(drain(&mut t, 5), text.as_bytes());
        let mut passthrough = Transcoder::new(text.as_bytes(), None);
        assert_eq!(drain(&mut passthrough, 4), text.as_bytes());
    }

    #[test]
    fn reads_the_declared_encoding() {
        let enc = |s: &[u8]| declared_encoding(s).map(|e| e.map(|e| e.name()));
        assert_eq!(
            enc(b"<?xml version='1.0' encoding='ISO-8859-1'?><a/>"),
            Ok(Some("windows-1252"))
        );
        assert_eq!(
            enc(b"<?xml version=\"1.0\" encoding = \"utf-8\"?>"),
            Ok(None)
        );
        assert_eq!(
            enc(b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-16\"?>"),
            Ok(None)
        );
        assert_eq!(enc(b"\xFF\xFE<\x00"), Ok(Some("UTF-16LE")));
        assert_eq!(enc(b"<Document/>"), Ok(None));
        assert_eq!(enc(b"<?xml encoding=\"nope\"?>"), Err("nope".to_string()));
    }
}
