//! Line splitting for MT940/MT942: LF, CRLF and CR-only files, with a hard line-length limit,
//! read from any `BufRead` so that memory stays bounded by one line.

use std::io::BufRead;

use memchr::memchr2;

use crate::error::{Location, ReadError};

/// Longest line accepted. SWIFT lines are at most 65 characters; exports that glue a whole
/// `:86:` onto one line reach a few KiB. Anything longer is not an MT940 file.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Which line terminators were seen (for the `crlf-or-cr-line-endings` warning).
#[derive(Debug, Default, Clone, Copy)]
pub struct Terminators {
    pub cr: bool,
}

/// Yields lines without their terminators. A lone CR, a lone LF and CRLF each end one line.
pub struct LineReader<R> {
    reader: R,
    line: Vec<u8>,
    /// The previous line ended with CR; a LF at the start of the next read belongs to it.
    pending_cr: bool,
    pub line_no: u64,
    pub byte_offset: u64,
    pub terminators: Terminators,
    eof: bool,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            line: Vec::with_capacity(256),
            pending_cr: false,
            line_no: 0,
            byte_offset: 0,
            terminators: Terminators::default(),
            eof: false,
        }
    }

    /// The next line, or `None` at end of input.
    pub fn next_line(&mut self, file: &str) -> Result<Option<(u64, &[u8])>, ReadError> {
        if self.eof {
            return Ok(None);
        }
        self.line.clear();
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ReadError::new(
                        file,
                        Location {
                            line: Some(self.line_no + 1),
                            byte: Some(self.byte_offset),
                            ..Location::default()
                        },
                        "io-error",
                        "file",
                        "readable bytes",
                        e.to_string(),
                    ))
                }
            };
            if buf.is_empty() {
                self.eof = true;
                self.pending_cr = false;
                if self.line.is_empty() {
                    return Ok(None);
                }
                self.line_no += 1;
                return Ok(Some((self.line_no, &self.line)));
            }
            let mut start = 0;
            if self.pending_cr {
                self.pending_cr = false;
                if buf[0] == b'\n' {
                    start = 1;
                }
            }
            let rest = &buf[start..];
            match memchr2(b'\n', b'\r', rest) {
                Some(pos) => {
                    if self.line.len() + pos > MAX_LINE_BYTES {
                        return Err(too_long(file, self.line_no, self.byte_offset));
                    }
                    self.line.extend_from_slice(&rest[..pos]);
                    let terminator = rest[pos];
                    let mut used = start + pos + 1;
                    if terminator == b'\r' {
                        self.terminators.cr = true;
                        match rest.get(pos + 1) {
                            Some(b'\n') => used += 1,
                            Some(_) => {}
                            None => self.pending_cr = true,
                        }
                    }
                    self.reader.consume(used);
                    self.byte_offset += used as u64;
                    self.line_no += 1;
                    return Ok(Some((self.line_no, &self.line)));
                }
                None => {
                    let n = rest.len();
                    let chunk_len = start + n;
                    // Copy before consuming: `rest` borrows the reader's buffer.
                    if self.line.len() + n > MAX_LINE_BYTES {
                        return Err(too_long(file, self.line_no, self.byte_offset));
                    }
                    self.line.extend_from_slice(rest);
                    self.reader.consume(chunk_len);
                    self.byte_offset += chunk_len as u64;
                }
            }
        }
    }
}

fn too_long(file: &str, line_no: u64, byte_offset: u64) -> ReadError {
    ReadError::new(
        file,
        Location {
            line: Some(line_no + 1),
            byte: Some(byte_offset),
            ..Location::default()
        },
        "line-too-long",
        "line",
        format!("at most {MAX_LINE_BYTES} bytes per line"),
        "a longer line",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> (Vec<String>, bool) {
        let mut r = LineReader::new(input);
        let mut out = Vec::new();
        while let Some((_, l)) = r.next_line("t").unwrap() {
            out.push(String::from_utf8_lossy(l).into_owned());
        }
        (out, r.terminators.cr)
    }

    #[test]
    fn splits_every_terminator_style() {
        assert_eq!(lines(b"a\nb\n").0, ["a", "b"]);
        assert_eq!(lines(b"a\r\nb\r\n"), (vec!["a".into(), "b".into()], true));
        assert_eq!(lines(b"a\rb\rc").0, ["a", "b", "c"]);
        assert_eq!(lines(b"a\n\nb").0, ["a", "", "b"]);
    }

    #[test]
    fn crlf_split_across_buffer_refills() {
        let data = b"ab\r\ncd\r\n";
        let reader = std::io::BufReader::with_capacity(3, &data[..]);
        let mut r = LineReader::new(reader);
        let mut out = Vec::new();
        while let Some((_, l)) = r.next_line("t").unwrap() {
            out.push(String::from_utf8_lossy(l).into_owned());
        }
        assert_eq!(out, ["ab", "cd"]);
    }

    #[test]
    fn overlong_line_is_an_error_naming_the_limit() {
        let data = vec![b'x'; MAX_LINE_BYTES + 1];
        let mut r = LineReader::new(&data[..]);
        let e = r.next_line("f.sta").unwrap_err();
        assert_eq!(e.code, "line-too-long");
        assert!(e.expected.contains("65536"));
    }
}
