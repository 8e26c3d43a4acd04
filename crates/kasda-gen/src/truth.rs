//! `ground-truth.json`: what was injected, streamed as it happens.
//!
//! Irregularities go straight into the output file; noise goes to a side file that is appended
//! when the run finishes, so neither list is ever held in memory. One item per line keeps the
//! file greppable and diffable.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use crate::stmt::write_amount;
use crate::GenError;

#[derive(Serialize)]
struct Item<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    refs: &'a [String],
    amount: String,
    date: String,
    note: &'a str,
}

pub struct Truth {
    path: PathBuf,
    noise_path: PathBuf,
    out: BufWriter<File>,
    noise: BufWriter<File>,
    irregular_items: u64,
    noise_items: u64,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GenError + '_ {
    move |source| GenError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn amount_text(sen: i64) -> String {
    let mut v = Vec::with_capacity(24);
    // Writing into a Vec cannot fail.
    let _ = write_amount(&mut v, sen, b'.', None);
    String::from_utf8(v).unwrap_or_default()
}

impl Truth {
    pub fn create(out_dir: &Path, header: &serde_json::Value) -> Result<Truth, GenError> {
        let path = out_dir.join("ground-truth.json");
        let noise_path = out_dir.join("ground-truth.noise.tmp");
        let file = File::create(&path).map_err(io_err(&path))?;
        let mut out = BufWriter::new(file);
        // The header object's fields, then the streamed arrays.
        let mut head = serde_json::to_string(header).map_err(|source| GenError::Encode {
            path: path.clone(),
            what: "ground truth header",
            source,
        })?;
        if head.ends_with('}') {
            head.pop();
        }
        write!(out, "{head},\n\"irregularities\":[").map_err(io_err(&path))?;
        let noise = BufWriter::new(File::create(&noise_path).map_err(io_err(&noise_path))?);
        Ok(Truth {
            path,
            noise_path,
            out,
            noise,
            irregular_items: 0,
            noise_items: 0,
        })
    }

    fn line(
        kind: &str,
        refs: &[String],
        amount_sen: i64,
        date: NaiveDate,
        note: &str,
    ) -> Result<String, serde_json::Error> {
        serde_json::to_string(&Item {
            kind,
            refs,
            amount: amount_text(amount_sen),
            date: date.format("%Y-%m-%d").to_string(),
            note,
        })
    }

    pub fn irregularity(
        &mut self,
        kind: &str,
        refs: &[String],
        amount_sen: i64,
        date: NaiveDate,
        note: &str,
    ) -> Result<(), GenError> {
        let text =
            Self::line(kind, refs, amount_sen, date, note).map_err(|source| GenError::Encode {
                path: self.path.clone(),
                what: "irregularity",
                source,
            })?;
        let sep = if self.irregular_items == 0 {
            "\n"
        } else {
            ",\n"
        };
        self.irregular_items += 1;
        write!(self.out, "{sep}{text}").map_err(io_err(&self.path))
    }

    pub fn noise(
        &mut self,
        kind: &str,
        refs: &[String],
        amount_sen: i64,
        date: NaiveDate,
        note: &str,
    ) -> Result<(), GenError> {
        let text =
            Self::line(kind, refs, amount_sen, date, note).map_err(|source| GenError::Encode {
                path: self.noise_path.clone(),
                what: "noise",
                source,
            })?;
        let sep = if self.noise_items == 0 { "\n" } else { ",\n" };
        self.noise_items += 1;
        write!(self.noise, "{sep}{text}").map_err(io_err(&self.noise_path))
    }

    /// Closes the arrays, appends the noise list and removes the side file.
    pub fn finish(mut self) -> Result<(), GenError> {
        self.noise.flush().map_err(io_err(&self.noise_path))?;
        drop(self.noise);
        write!(self.out, "\n],\n\"noise\":[").map_err(io_err(&self.path))?;
        let mut side = File::open(&self.noise_path).map_err(io_err(&self.noise_path))?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = side.read(&mut buf).map_err(io_err(&self.noise_path))?;
            if n == 0 {
                break;
            }
            self.out.write_all(&buf[..n]).map_err(io_err(&self.path))?;
        }
        drop(side);
        std::fs::remove_file(&self.noise_path).map_err(io_err(&self.noise_path))?;
        write!(self.out, "\n]}}\n").map_err(io_err(&self.path))?;
        self.out.flush().map_err(io_err(&self.path))
    }
}
