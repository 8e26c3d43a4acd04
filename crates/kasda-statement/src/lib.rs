//! kasda-statement: bank statement readers producing `kasda_core::statement` values.
//!
//! Readers never touch a database and never panic on input: every failure is a [`ReadError`]
//! naming the file, the place, the field, what was expected and what was found.
//!
//! Front door: [`read_file`] / [`read_bytes`] detect the format from content ([`detect`]), read
//! the file with the matching reader and run the consistency [`checks`] (balances, duplicates,
//! sequence, control totals), whose findings are added to `StatementFile::warnings`.
//! [`summary::inspect_json`] renders what `kasda statement inspect --format json` prints.

// `ReadError` is the crate's shared error contract (file, location, code, field, expected,
// found); errors are the cold path, so its size is accepted rather than boxed everywhere.
#![allow(clippy::result_large_err)]

pub mod camt;
pub mod checks;
pub mod csv_profile;
pub mod detect;
pub mod encoding;
pub mod error;
pub mod mt940;
pub mod snap;
pub mod summary;

use std::io::Read;
use std::path::Path;

use kasda_core::statement::{StatementFile, StatementFormat};

pub use checks::{BalanceCheck, CheckReport, FileChecks};
pub use detect::detect;
pub use error::{Location, ReadError};
pub use summary::{inspect_json, Summary};

/// Largest statement file read into memory (2 GiB). Larger files must be split or streamed
/// with a format's `read_stream`.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Reads and checks a statement file, detecting its format from its content.
pub fn read_file(path: &Path) -> Result<StatementFile, ReadError> {
    let name = path.display().to_string();
    let io_err = |e: std::io::Error| {
        ReadError::new(
            &name,
            Location::default(),
            "io-error",
            "file",
            "a readable file",
            e.to_string(),
        )
    };
    let f = std::fs::File::open(path).map_err(io_err)?;
    let len = f.metadata().map_err(io_err)?.len();
    if len > MAX_FILE_BYTES {
        return Err(too_large(&name, len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // `take` guards against a file that grows while it is read.
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(&name, bytes.len() as u64));
    }
    read_bytes(&name, &bytes)
}

fn too_large(name: &str, len: u64) -> ReadError {
    ReadError::new(
        name,
        Location::default(),
        "file-too-large",
        "file",
        format!("at most {MAX_FILE_BYTES} bytes"),
        format!("{len} bytes"),
    )
}

/// Reads and checks statement bytes, detecting the format from the content.
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<StatementFile, ReadError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(name, bytes.len() as u64));
    }
    let (format, _) = detect(bytes).map_err(|mut e| {
        e.file = name.to_string();
        e
    })?;
    read_bytes_as(name, bytes, &format)
}

/// Reads and checks statement bytes as the given format (no detection).
pub fn read_bytes_as(
    name: &str,
    bytes: &[u8],
    format: &StatementFormat,
) -> Result<StatementFile, ReadError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(name, bytes.len() as u64));
    }
    let (view, transcoded) = encoding::byte_view(bytes);
    let bytes = view.as_ref();
    let mut file = match format {
        StatementFormat::Mt940 | StatementFormat::Mt942 => mt940::read(name, bytes)?,
        other => read_registered(name, bytes, other)?,
    };
    if let Some(w) = transcoded {
        file.warnings.insert(0, w.to_string());
    }
    checks::apply(&mut file);
    Ok(file)
}

/// Sniffers of the readers other than MT940, in detection order.
pub(crate) fn sniff_registered(
    bytes: &[u8],
    shape: detect::Shape,
) -> Result<Option<(StatementFormat, Option<String>)>, ReadError> {
    let version = |v: String| if v.is_empty() { None } else { Some(v) };
    if shape == detect::Shape::Xml {
        if let Some((f, v)) = camt::sniff(bytes) {
            return Ok(Some((f, version(v))));
        }
        // An HTML table saved as `.xls` by an internet-banking portal.
        if let Some((f, v)) = csv_profile::sniff(bytes) {
            return Ok(Some((f, version(v))));
        }
        // XML no sniffer claims: the camt reader says precisely what is wrong with it.
        let file = camt::read("", bytes)?;
        return Ok(file.format.map(|f| (f, file.version)));
    }
    if shape == detect::Shape::Json {
        if let Some((f, v)) = snap::sniff(bytes) {
            return Ok(Some((f, version(v))));
        }
    }
    if shape == detect::Shape::Text {
        if let Some((f, v)) = csv_profile::sniff(bytes) {
            return Ok(Some((f, version(v))));
        }
    }
    Ok(None)
}

fn read_registered(
    name: &str,
    bytes: &[u8],
    format: &StatementFormat,
) -> Result<StatementFile, ReadError> {
    match format {
        StatementFormat::Camt052 | StatementFormat::Camt053 | StatementFormat::Camt054 => {
            camt::read(name, bytes)
        }
        StatementFormat::Csv(profile) => csv_profile::read_bundled(name, bytes, profile),
        StatementFormat::Snap => snap::read(name, bytes),
        other => Err(ReadError::new(
            name,
            Location::default(),
            "unsupported-format",
            "format",
            "a format with a reader in this build",
            other.id(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MT940: &str =
        ":20:A\n:25:1\n:28C:1\n:60F:C240101IDR10,\n:61:240101D4,NTRFX\n:62F:C240101IDR5,\n-\n";

    #[test]
    fn reads_detects_and_checks() {
        let f = read_bytes("a.sta", MT940.as_bytes()).unwrap();
        assert_eq!(f.format, Some(StatementFormat::Mt940));
        assert!(f
            .warnings
            .iter()
            .any(|w| w == "balance-mismatch-in-statements:1"));
    }

    #[test]
    fn utf16_files_are_transcoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in MT940.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(detect(&bytes).unwrap().0, StatementFormat::Mt940);
        let f = read_bytes("u.sta", &bytes).unwrap();
        assert_eq!(
            f.warnings.first().map(String::as_str),
            Some("decoded-from-utf16")
        );
    }

    #[test]
    fn forced_format_and_unknown_content() {
        let e = read_bytes_as("x.sta", b"<Document/>", &StatementFormat::Mt940).unwrap_err();
        assert_eq!(e.code, "no-statement");
        let e = read_bytes("x.json", br#"{"hello": 1}"#).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.file.as_str()),
            ("no-statement", "x.json")
        );
    }

    #[test]
    fn missing_file_is_an_io_error_naming_it() {
        let e = read_file(Path::new("/nonexistent/kasda/statement.sta")).unwrap_err();
        assert_eq!(e.code, "io-error");
        assert!(e.file.contains("statement.sta"));
    }
}
