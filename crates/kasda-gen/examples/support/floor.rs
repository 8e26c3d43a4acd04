//! The floor the generator's throughput is measured against, shared by `benches/gen.rs` and the
//! `gen_rate` example (included into both with `#[path]`): writing the same bytes row by row
//! through a bare `csv::Writer`, and the size of what a run wrote.

use std::io::Write;
use std::path::Path;

/// Bytes of every file under `dir`.
pub fn dir_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// Writes `rows` CSV records of 20 fields totalling `row_bytes` bytes each (with separators and
/// the newline) through a bare `csv::Writer`; returns `rows`.
pub fn baseline(path: &Path, rows: u64, row_bytes: usize) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(file);
    // 20 fields: 19 commas and a newline; the rest is text split evenly.
    let text = row_bytes.saturating_sub(20).max(20);
    let field = "X".repeat(text / 20);
    let last = "X".repeat(text - field.len() * 19);
    let mut record: Vec<&str> = vec![field.as_str(); 19];
    record.push(last.as_str());
    for _ in 0..rows {
        w.write_record(&record)?;
    }
    let mut file = w.into_inner().map_err(|e| e.into_error())?;
    file.flush()?;
    Ok(rows)
}
