//! Text encodings of statement files: BOMs, UTF-16 exports and legacy Windows-1252 text.
//!
//! Rule used by every reader: valid UTF-8 is UTF-8 (a BOM is dropped and reported); UTF-16 with a
//! BOM is transcoded to UTF-8; anything else is Windows-1252 (the superset of ISO-8859-1 that
//! Windows banking software writes), reported as `decoded-as-windows-1252`.

use std::borrow::Cow;

/// Encoding found at the start of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    /// Not valid UTF-8 and no BOM: decoded as Windows-1252.
    Windows1252,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Determines the encoding of `bytes` (reads all of them only when there is no BOM).
pub fn sniff_encoding(bytes: &[u8]) -> TextEncoding {
    if bytes.starts_with(UTF8_BOM) {
        TextEncoding::Utf8Bom
    } else if bytes.starts_with(b"\xFF\xFE") {
        TextEncoding::Utf16Le
    } else if bytes.starts_with(b"\xFE\xFF") {
        TextEncoding::Utf16Be
    } else if std::str::from_utf8(bytes).is_ok() {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    }
}

/// Bytes that byte-oriented readers (MT940, XML, CSV) can take: UTF-16 input is transcoded to
/// UTF-8 without BOM; everything else is returned unchanged (readers handle the UTF-8 BOM and
/// Windows-1252 themselves, line by line). The warning names what was done, if anything.
pub fn byte_view(bytes: &[u8]) -> (Cow<'_, [u8]>, Option<&'static str>) {
    match sniff_utf16(bytes) {
        Some(enc) => {
            let (text, _, _) = enc.decode(bytes);
            (
                Cow::Owned(text.into_owned().into_bytes()),
                Some("decoded-from-utf16"),
            )
        }
        None => (Cow::Borrowed(bytes), None),
    }
}

fn sniff_utf16(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.starts_with(b"\xFF\xFE") {
        Some(encoding_rs::UTF_16LE)
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Decodes a whole file to text by the rule above, returning the warnings that apply
/// (`utf8-bom`, `decoded-from-utf16`, `decoded-as-windows-1252`).
pub fn decode_text(bytes: &[u8]) -> (Cow<'_, str>, Vec<&'static str>) {
    let mut warnings = Vec::new();
    if let Some(enc) = sniff_utf16(bytes) {
        warnings.push("decoded-from-utf16");
        let (text, _, _) = enc.decode(bytes);
        return (Cow::Owned(text.into_owned()), warnings);
    }
    let body = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => {
            warnings.push("utf8-bom");
            rest
        }
        None => bytes,
    };
    match std::str::from_utf8(body) {
        Ok(s) => (Cow::Borrowed(s), warnings),
        Err(_) => {
            warnings.push("decoded-as-windows-1252");
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
            (text, warnings)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_encoding() {
        assert_eq!(decode_text(b"abc"), (Cow::Borrowed("abc"), vec![]));
        let (t, w) = decode_text(b"\xEF\xBB\xBFabc");
        assert_eq!((t.as_ref(), w), ("abc", vec!["utf8-bom"]));
        let (t, w) = decode_text(b"Stra\xDFe \x80");
        assert_eq!(
            (t.as_ref(), w),
            ("Straße €", vec!["decoded-as-windows-1252"])
        );
        let (t, w) = decode_text(b"\xFF\xFEa\x00b\x00");
        assert_eq!((t.as_ref(), w), ("ab", vec!["decoded-from-utf16"]));
        assert_eq!(sniff_encoding(b"\xFE\xFF\x00a"), TextEncoding::Utf16Be);
        assert_eq!(sniff_encoding(b"\xE9t\xE9"), TextEncoding::Windows1252);
    }

    #[test]
    fn byte_view_transcodes_only_utf16() {
        let (b, w) = byte_view(b"\xFF\xFE:\x002\x000\x00:\x00");
        assert_eq!((b.as_ref(), w), (&b":20:"[..], Some("decoded-from-utf16")));
        let (b, w) = byte_view(b":20:");
        assert!(matches!(b, Cow::Borrowed(_)) && w.is_none());
    }
}
