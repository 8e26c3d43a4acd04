//! JSON Lines container: one `serde_json` object per line, either the tagged `Document` enum or
//! the bare struct of one kind.

use std::borrow::Cow;

use kasda_core::document::{BkuLine, Document, Receipt, Sp2d, Sts};

use crate::validate::{self, Naming};
use crate::{
    Container, DocumentsError, Kind, Parsed, ReadOptions, RowError, RowRef, Rows,
    MAX_JSON_LINE_BYTES,
};

/// Kind and taggedness from one JSON object line: a top-level `kind` of `receipt` / `sts` /
/// `sp2d` / `bku` means tagged; otherwise the keys that only one struct has decide.
pub(crate) fn detect(line: &[u8]) -> Option<(Kind, bool)> {
    if line.len() > MAX_JSON_LINE_BYTES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    let obj = value.as_object()?;
    if let Some(tag) = obj.get("kind").and_then(|k| k.as_str()) {
        if let Some(kind) = Kind::ALL.into_iter().find(|k| k.document_tag() == tag) {
            return Some((kind, true));
        }
    }
    let kind = if obj.contains_key("ntpd") {
        Kind::Receipts
    } else if obj.contains_key("tbp_numbers") {
        Kind::Sts
    } else if obj.contains_key("sp2d_type") {
        Kind::Sp2d
    } else if obj.contains_key("owner") {
        Kind::Bku
    } else {
        return None;
    };
    Some((kind, false))
}

fn parse_line(
    kind: Kind,
    tagged: bool,
    line: &[u8],
) -> Result<Document, (&'static str, String, String)> {
    let schema = || {
        format!(
            "a {} object as in schema/documents/{}.schema.json",
            kind.document_tag(),
            kind.as_str()
        )
    };
    if tagged {
        let doc: Document =
            serde_json::from_slice(line).map_err(|e| ("json", schema(), e.to_string()))?;
        if Kind::of(&doc) != kind {
            return Err((
                "kind",
                format!("kind {:?}", kind.document_tag()),
                Kind::of(&doc).document_tag().to_string(),
            ));
        }
        Ok(doc)
    } else {
        let r = match kind {
            Kind::Receipts => serde_json::from_slice::<Receipt>(line).map(Document::Receipt),
            Kind::Sts => serde_json::from_slice::<Sts>(line).map(Document::Sts),
            Kind::Sp2d => serde_json::from_slice::<Sp2d>(line).map(Document::Sp2d),
            Kind::Bku => serde_json::from_slice::<BkuLine>(line).map(Document::Bku),
        };
        r.map_err(|e| ("json", schema(), e.to_string()))
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

pub(crate) fn read<'b>(
    file: &str,
    bytes: &'b [u8],
    opts: &ReadOptions<'_>,
) -> Result<Parsed<'b>, DocumentsError> {
    let offset = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    // Split into (line number, start, end-without-terminator).
    let mut spans = Vec::new();
    let mut start = offset;
    let mut line_no: u64 = 0;
    while start < bytes.len() {
        line_no += 1;
        let end = memchr::memchr(b'\n', &bytes[start..])
            .map(|i| start + i)
            .unwrap_or(bytes.len());
        let next = (end + 1).min(bytes.len());
        let content_end = if end > start && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        if !is_blank(&bytes[start..content_end]) {
            if spans.len() >= opts.max_rows {
                return Err(DocumentsError::TooManyRows {
                    file: file.to_string(),
                    limit: opts.max_rows,
                });
            }
            spans.push((line_no, start, content_end, next.max(end)));
        }
        start = next.max(end + 1);
    }
    let first_detect = spans.iter().find_map(|&(_, s, e, _)| detect(&bytes[s..e]));
    let (kind, tagged) = match (opts.kind, first_detect) {
        (Some(k), Some((_, tagged))) => (k, tagged),
        (Some(k), None) => (k, false),
        (None, Some(found)) => found,
        (None, None) => {
            let first = spans
                .first()
                .map(|&(_, s, e, _)| &bytes[s..e])
                .unwrap_or_default();
            return Err(DocumentsError::UnknownKind {
                file: file.to_string(),
                found: crate::error::clip(&String::from_utf8_lossy(first)),
            });
        }
    };
    let cx = validate::Context::new(opts, Naming::Json);
    let mut rows = Rows::with_capacity(spans.len());
    for (line, s, e, full_end) in spans {
        let row = RowRef {
            line,
            bytes: Some(s..full_end),
        };
        let text = &bytes[s..e];
        if text.len() > MAX_JSON_LINE_BYTES {
            let err = RowError::new(
                line,
                "json",
                format!("a line of at most {MAX_JSON_LINE_BYTES} bytes"),
                &format!("{} bytes", text.len()),
            );
            rows.bad.push((row, vec![err]));
            continue;
        }
        match parse_line(kind, tagged, text) {
            Ok(mut doc) => {
                let mut errors = Vec::new();
                validate::check_document(&mut doc, line, &cx, &mut errors);
                if errors.is_empty() {
                    rows.good.push((row, doc));
                } else {
                    rows.bad.push((row, errors));
                }
            }
            Err((column, expected, found)) => {
                rows.bad
                    .push((row, vec![RowError::new(line, column, expected, &found)]));
            }
        }
    }
    Ok(Parsed {
        kind,
        source: Cow::Borrowed(bytes),
        container: Container::JsonLines { tagged },
        header_raw: Vec::new(),
        rows,
        naming: Naming::Json,
    })
}
