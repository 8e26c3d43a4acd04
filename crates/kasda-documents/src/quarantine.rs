//! Writing quarantined rows: the original bytes of each bad row, unchanged, with the reasons
//! beside them, so a clerk can fix the rows and import the file again.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::{Container, DocumentBatch, QuarantinedRow, ScanSummary, TextEncoding};

/// Name of the column appended to quarantined CSV rows. Readers ignore it (unknown column).
pub fn quarantine_reason_column() -> &'static str {
    "alasan_karantina"
}

fn csv_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\"\""),
            // Keep one record per line.
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes the batch's quarantined rows to `<dir>/<original_name>.quarantine.csv` (CSV and XLSX
/// sources) or `<dir>/<original_name>.quarantine.jsonl` (JSON Lines) and returns the path.
///
/// CSV: the original header line and each bad record's original bytes, each followed by the
/// source delimiter and a quoted `alasan_karantina` (reason) cell. XLSX: the same, with the
/// cells rendered as comma-separated CSV. JSONL: one object per bad line,
/// `{"baris": <line>, "alasan_karantina": "...", "asli": "<the original line>"}`.
/// A batch with nothing quarantined still gets a file (header only), so callers can rely on it.
pub fn write_quarantine(
    batch: &DocumentBatch,
    dir: &Path,
    original_name: &str,
) -> io::Result<PathBuf> {
    write_rows(
        &batch.container,
        &batch.header_raw,
        &batch.quarantined,
        dir,
        original_name,
    )
}

/// [`write_quarantine`] for the rows a streaming read ([`crate::scan_receipts_csv`]) rejected:
/// the same file, byte for byte, as for the [`DocumentBatch`] of the same input.
pub fn write_scan_quarantine(
    summary: &ScanSummary,
    dir: &Path,
    original_name: &str,
) -> io::Result<PathBuf> {
    write_rows(
        &summary.container,
        &summary.header_raw,
        &summary.rejected,
        dir,
        original_name,
    )
}

fn write_rows(
    container: &Container,
    header_raw: &[u8],
    quarantined: &[QuarantinedRow],
    dir: &Path,
    original_name: &str,
) -> io::Result<PathBuf> {
    let base = Path::new(original_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "documents".to_string());
    let jsonl = matches!(container, Container::JsonLines { .. });
    let path = dir.join(format!(
        "{base}.quarantine.{}",
        if jsonl { "jsonl" } else { "csv" }
    ));
    let mut out = io::BufWriter::new(std::fs::File::create(&path)?);
    if jsonl {
        for q in quarantined {
            let obj = serde_json::json!({
                "baris": q.row.line,
                "alasan_karantina": q.reason(),
                "asli": String::from_utf8_lossy(&q.raw),
            });
            serde_json::to_writer(&mut out, &obj)?;
            out.write_all(b"\n")?;
        }
    } else {
        let (delimiter, windows_1252) = match *container {
            Container::Csv {
                delimiter,
                encoding,
                ..
            } => (delimiter, encoding == TextEncoding::Windows1252),
            _ => (b',', false),
        };
        // Reasons are written in the file's own encoding so the quarantine file stays readable.
        let encode = |text: String| -> Vec<u8> {
            if windows_1252 {
                encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            }
        };
        out.write_all(header_raw)?;
        out.write_all(&[delimiter])?;
        out.write_all(quarantine_reason_column().as_bytes())?;
        out.write_all(b"\n")?;
        for q in quarantined {
            out.write_all(&q.raw)?;
            out.write_all(&[delimiter])?;
            out.write_all(&encode(csv_quote(&q.reason())))?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(path)
}
