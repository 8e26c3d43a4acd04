//! Document output: per document kind and day, a JSON Lines file and (optionally) a CSV file.
//!
//! JSON Lines: each line is `serde_json` of [`kasda_core::document::Document`] — the document's
//! own fields plus `"kind"` — which `kasda-documents` reads as a tagged file. CSV goes through
//! `kasda_documents::write_csv`, the writer that shares its column spec with the reader, in
//! chunks so a province day never sits in memory whole. A kind with no documents on a day gets
//! no file (an empty document file is an import error, not an empty import).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use kasda_core::document::Document;
use kasda_documents::Kind;

use crate::asyncw::AsyncFile;
use crate::fastdoc::{self, ReceiptRow};
use crate::rowpipe::ReceiptSink;
use crate::GenError;

/// Documents buffered before a CSV chunk is written.
const CSV_CHUNK: usize = 4096;

struct Open {
    path: PathBuf,
    out: AsyncFile,
}

fn open(out_dir: &Path, relative: &Path) -> Result<Open, GenError> {
    let path = out_dir.join(relative);
    let file = File::create(&path).map_err(|source| GenError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(Open {
        path,
        out: AsyncFile::new(file),
    })
}

/// One kind's files for one day, opened on the first document.
pub struct KindSink {
    kind: Kind,
    out_dir: PathBuf,
    jsonl_rel: PathBuf,
    csv_rel: Option<PathBuf>,
    /// Whether this sink writes the JSON Lines file (a CSV-only sink does not).
    json: bool,
    jsonl: Option<Open>,
    csv: Option<Open>,
    pending_csv: Vec<Document>,
    csv_header_written: bool,
    pub count: u64,
    /// Dates lately written, for the receipt encoders.
    memo: fastdoc::Memo,
}

impl KindSink {
    fn new(out_dir: &Path, kind: Kind, date: NaiveDate, csv: bool) -> KindSink {
        let d = date.format("%Y-%m-%d");
        let name = kind.as_str();
        KindSink {
            kind,
            out_dir: out_dir.to_path_buf(),
            jsonl_rel: PathBuf::from("documents").join(format!("{name}-{d}.jsonl")),
            csv_rel: csv.then(|| PathBuf::from("documents").join(format!("{name}-{d}.csv"))),
            json: true,
            jsonl: None,
            csv: None,
            pending_csv: Vec::new(),
            csv_header_written: false,
            count: 0,
            memo: fastdoc::Memo::default(),
        }
    }

    /// The receipts' files of `date`.
    #[cfg(test)]
    pub fn receipts(out_dir: &Path, date: NaiveDate, csv: bool) -> KindSink {
        KindSink::new(out_dir, Kind::Receipts, date, csv)
    }

    /// The receipts' files of `date` as two sinks, so two threads can encode them: the JSON
    /// Lines file alone, and (with `csv`) the CSV file alone.
    pub fn receipts_split(
        out_dir: &Path,
        date: NaiveDate,
        csv: bool,
    ) -> (KindSink, Option<KindSink>) {
        let json = KindSink::new(out_dir, Kind::Receipts, date, false);
        let csv = csv.then(|| KindSink {
            json: false,
            ..KindSink::new(out_dir, Kind::Receipts, date, true)
        });
        (json, csv)
    }

    /// The JSON Lines file's full path.
    pub fn jsonl_path(&self) -> PathBuf {
        self.out_dir.join(&self.jsonl_rel)
    }

    pub fn write(&mut self, doc: Document) -> Result<(), GenError> {
        if self.jsonl.is_none() {
            self.jsonl = Some(open(&self.out_dir, &self.jsonl_rel)?);
        }
        if let Some(j) = self.jsonl.as_mut() {
            serde_json::to_writer(&mut j.out, &doc).map_err(|source| GenError::Encode {
                path: j.path.clone(),
                what: "document",
                source,
            })?;
            j.out.write_all(b"\n").map_err(|source| GenError::Io {
                path: j.path.clone(),
                source,
            })?;
        }
        self.count += 1;
        if self.csv_rel.is_some() {
            self.pending_csv.push(doc);
            if self.pending_csv.len() >= CSV_CHUNK {
                self.flush_csv()?;
            }
        }
        Ok(())
    }

    /// Receipts take the hand-written encoders of `fastdoc` (same bytes, no per-field
    /// allocation), writing straight into the files' chunks; anything they do not cover goes
    /// through the generic path.
    pub fn write_receipt(&mut self, r: &ReceiptRow<'_>) -> Result<(), GenError> {
        if self.json && self.jsonl.is_none() {
            self.jsonl = Some(open(&self.out_dir, &self.jsonl_rel)?);
        }
        if let Some(j) = self.jsonl.as_mut() {
            j.out
                .append(|buf| {
                    fastdoc::receipt_row_json_memo(buf, r, &mut self.memo);
                    buf.push(b'\n');
                })
                .map_err(|source| GenError::Io {
                    path: j.path.clone(),
                    source,
                })?;
        }
        self.count += 1;
        let Some(rel) = self.csv_rel.as_ref() else {
            return Ok(());
        };
        if self.csv.is_none() {
            self.csv = Some(open(&self.out_dir, rel)?);
        }
        // Keep file order: once a row waits for the generic path, the ones after it wait too.
        if let (Some(c), true) = (self.csv.as_mut(), self.pending_csv.is_empty()) {
            let io = |source| GenError::Io {
                path: c.path.clone(),
                source,
            };
            if !self.csv_header_written {
                let mut header = self.kind.columns().join(",").into_bytes();
                header.push(b'\n');
                c.out.write_all(&header).map_err(io)?;
                self.csv_header_written = true;
            }
            // The encoder writes nothing when it declines the row.
            if c.out
                .append(|buf| fastdoc::receipt_row_csv_memo(buf, r, &mut self.memo))
                .map_err(|source| GenError::Io {
                    path: c.path.clone(),
                    source,
                })?
            {
                return Ok(());
            }
        }
        self.pending_csv.push(Document::Receipt(r.to_receipt()));
        self.flush_csv()
    }

    fn flush_csv(&mut self) -> Result<(), GenError> {
        let Some(rel) = self.csv_rel.as_ref() else {
            return Ok(());
        };
        if self.pending_csv.is_empty() {
            return Ok(());
        }
        if self.csv.is_none() {
            self.csv = Some(open(&self.out_dir, rel)?);
        }
        let Some(c) = self.csv.as_mut() else {
            return Ok(());
        };
        let mut buf = Vec::with_capacity(self.pending_csv.len() * 256);
        kasda_documents::write_csv(self.kind, &self.pending_csv, &mut buf).map_err(|source| {
            GenError::Io {
                path: c.path.clone(),
                source,
            }
        })?;
        // Every chunk comes with the header; only the first one keeps it.
        let body = if self.csv_header_written {
            match buf.iter().position(|&b| b == b'\n') {
                Some(i) => &buf[i + 1..],
                None => &buf[..0],
            }
        } else {
            &buf[..]
        };
        c.out.write_all(body).map_err(|source| GenError::Io {
            path: c.path.clone(),
            source,
        })?;
        self.csv_header_written = true;
        self.pending_csv.clear();
        Ok(())
    }

    /// Flushes and returns the files written, relative to the output directory.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, GenError> {
        self.flush_csv()?;
        let mut files = Vec::new();
        if let Some(j) = self.jsonl.take() {
            j.out.finish().map_err(|source| GenError::Io {
                path: j.path.clone(),
                source,
            })?;
            files.push(self.jsonl_rel.clone());
        }
        if let (Some(c), Some(rel)) = (self.csv.take(), self.csv_rel.clone()) {
            c.out.finish().map_err(|source| GenError::Io {
                path: c.path.clone(),
                source,
            })?;
            files.push(rel);
        }
        Ok(files)
    }
}

/// The day's document sinks.
pub struct DayDocs {
    /// Encoded on their own thread (see [`crate::rowpipe`]).
    pub receipts: ReceiptSink,
    pub sts: KindSink,
    pub sp2d: KindSink,
    pub bku: KindSink,
}

impl DayDocs {
    pub fn new(out_dir: &Path, date: NaiveDate, csv: bool) -> DayDocs {
        DayDocs {
            receipts: ReceiptSink::new(out_dir, date, csv),
            sts: KindSink::new(out_dir, Kind::Sts, date, csv),
            sp2d: KindSink::new(out_dir, Kind::Sp2d, date, csv),
            bku: KindSink::new(out_dir, Kind::Bku, date, csv),
        }
    }

    pub fn finish(self) -> Result<Vec<PathBuf>, GenError> {
        let mut files = self.receipts.finish()?;
        files.extend(self.sts.finish()?);
        files.extend(self.sp2d.finish()?);
        files.extend(self.bku.finish()?);
        Ok(files)
    }
}
