//! Which format is this file? Decided from content, never from the file name: banks and
//! operators rename files freely (`.txt`, `.sta`, `.940`, `.xml`, no extension).
//!
//! Order: XML → camt (XML no camt sniffer claims is handed to the camt reader, whose error says
//! what is wrong); JSON → SNAP; other text → a bundled CSV profile whose header row it has, else
//! SWIFT tags or blocks → MT940/MT942. A UTF-8 BOM, UTF-16 and leading blanks are looked through.
//! Nothing recognised is the error `no-statement`.

use kasda_core::statement::StatementFormat;

use crate::encoding;
use crate::error::{Location, ReadError};
use crate::mt940;

/// What kind of text the file starts with, after BOM and blanks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Xml,
    Json,
    SwiftBlocks,
    Text,
}

pub(crate) fn shape(bytes: &[u8]) -> Shape {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x01 | 0x03 | 0x1a))
        .unwrap_or(body.len());
    let rest = &body[start..];
    match rest.first() {
        Some(b'<') => Shape::Xml,
        Some(b'{') if rest.len() > 2 && rest[1].is_ascii_digit() && rest[2] == b':' => {
            Shape::SwiftBlocks
        }
        Some(b'{') | Some(b'[') => Shape::Json,
        _ => Shape::Text,
    }
}

/// Detects the format (and message version, where the format has one) from the content.
pub fn detect(bytes: &[u8]) -> Result<(StatementFormat, Option<String>), ReadError> {
    let (view, _) = encoding::byte_view(bytes);
    let bytes = view.as_ref();
    let shape = shape(bytes);
    if let Some(found) = crate::sniff_registered(bytes, shape)? {
        return Ok(found);
    }
    if let Some(f) = mt940::sniff(bytes) {
        return Ok((f, None));
    }
    Err(unknown(shape))
}

fn unknown(shape: Shape) -> ReadError {
    let found = match shape {
        Shape::Xml => "XML that is not a camt.052/053/054 message",
        Shape::Json => "JSON that is not a SNAP bank statement",
        Shape::SwiftBlocks | Shape::Text => "text without SWIFT fields or a known CSV header",
    };
    ReadError::new(
        "",
        Location::default(),
        "no-statement",
        "file",
        "a camt.052/053/054 XML, MT940/MT942, SNAP JSON or known CSV bank export",
        found,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape(b"\xEF\xBB\xBF  <?xml"), Shape::Xml);
        assert_eq!(shape(b"{1:F01}{2:I940}"), Shape::SwiftBlocks);
        assert_eq!(shape(b"{\"a\":1}"), Shape::Json);
        assert_eq!(shape(b"\x01\n:20:X"), Shape::Text);
    }

    #[test]
    fn mt940_and_mt942_from_content() {
        let mt940 = b":20:X\n:25:123\n:28C:1\n:60F:C240101IDR1,\n:62F:C240101IDR1,\n-";
        assert_eq!(detect(mt940).unwrap(), (StatementFormat::Mt940, None));
        let mt942 = b":20:X\n:25:123\n:28C:1\n:34F:IDR0,\n:13D:2401011200+0700\n:90D:0IDR0,\n";
        assert_eq!(detect(mt942).unwrap().0, StatementFormat::Mt942);
        let e = detect(b"1\n2\n3\n").unwrap_err();
        assert_eq!(e.code, "no-statement");
    }
}
