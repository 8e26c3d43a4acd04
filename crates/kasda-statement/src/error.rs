//! The one error type of kasda-statement: a file that cannot be read says where and why.

use std::fmt;

/// Where in the file a problem is. Lines and columns are 1-based; `byte` is a 0-based offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub byte: Option<u64>,
    /// Entry (0-based, within the file) the problem belongs to, when known.
    pub entry: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(c) = self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(b) = self.byte {
            parts.push(format!("byte {b}"));
        }
        if let Some(e) = self.entry {
            parts.push(format!("entry {e}"));
        }
        if parts.is_empty() {
            f.write_str("whole file")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A statement file could not be read.
///
/// `code` is a stable kebab-case id (for example `missing-closing-balance`,
/// `no-message-element`, `unrecognised-namespace`) that tests and batch reports key on; the
/// rest is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {location}: {field}: expected {expected}, found {found} [{code}]")]
pub struct ReadError {
    pub file: String,
    pub location: Location,
    pub code: String,
    pub field: String,
    pub expected: String,
    pub found: String,
}

impl ReadError {
    pub fn new(
        file: impl Into<String>,
        location: Location,
        code: impl Into<String>,
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ReadError {
            file: file.into(),
            location,
            code: code.into(),
            field: field.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

/// Shortens text quoted in an error so one bad line cannot flood a log.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    let s = s.trim_end_matches(['\r', '\n']);
    if s.len() <= MAX {
        format!("{s:?}")
    } else {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{:?}…", &s[..end])
    }
}
