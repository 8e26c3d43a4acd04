//! Receipts encoded on a thread of their own.
//!
//! A province day is ~200,000 receipts, and encoding each as a JSON line and a CSV record was
//! half the generator's instructions. The simulation now packs each [`ReceiptRow`] into a batch
//! — its texts copied end to end into one string, its scalars as they are — and hands full
//! batches over a bounded channel to a thread that owns the day's receipt [`KindSink`] and
//! encodes them there, in order, so the files are byte-for-byte what encoding in place wrote.
//! Emptied batches come back to be refilled, so a run allocates a few batches, not a string per
//! field; at most [`IN_FLIGHT`] batches wait, so memory stays bounded however long the day.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use chrono::{NaiveDate, NaiveDateTime};
use kasda_core::document::{Channel, ReceiptStatus, RevenueLine};
use rust_decimal::Decimal;

use crate::docs::KindSink;
use crate::fastdoc::{Lines, ReceiptRow};
use crate::text::{Arena, Span};
use crate::GenError;

/// Receipts per batch.
const BATCH: usize = 2048;
/// Batches queued before the simulation waits for the encoder.
const IN_FLIGHT: usize = 4;

#[derive(Debug, Clone, Copy)]
enum PackedLines {
    One(Span, Decimal),
    /// Index into [`Batch::many`].
    Many(usize),
}

/// A [`ReceiptRow`] with its texts moved into the batch's string.
#[derive(Debug, Clone, Copy)]
struct Packed {
    /// ntpd, kode_billing, ntb, nop, npwpd, taxpayer_name, jenis_pajak, bank, account,
    /// paid_zone, reverses_ntpd, opd.
    text: [Span; 12],
    lines: PackedLines,
    masa_pajak: Option<u32>,
    tahun_pajak: Option<i32>,
    pokok: Decimal,
    denda: Decimal,
    total: Decimal,
    channel: Channel,
    paid_at: NaiveDateTime,
    settlement_date: Option<NaiveDate>,
    status: ReceiptStatus,
}

#[derive(Debug, Default)]
struct Batch {
    text: Arena,
    rows: Vec<Packed>,
    many: Vec<Vec<RevenueLine>>,
}

impl Batch {
    fn span(&mut self, s: &str) -> Span {
        self.text.push(&[s])
    }

    fn span_opt(&mut self, s: Option<&str>) -> Span {
        self.text.push_opt(s)
    }

    fn push(&mut self, r: &ReceiptRow<'_>) {
        let text = [
            self.span(r.ntpd),
            self.span_opt(r.kode_billing),
            self.span_opt(r.ntb),
            self.span_opt(r.nop),
            self.span_opt(r.npwpd),
            self.span_opt(r.taxpayer_name),
            self.span_opt(r.jenis_pajak),
            self.span_opt(r.bank),
            self.span_opt(r.account),
            self.span_opt(r.paid_zone),
            self.span_opt(r.reverses_ntpd),
            self.span_opt(r.opd),
        ];
        let lines = match r.lines {
            Lines::One {
                kode_rekening,
                amount,
            } => PackedLines::One(self.span(kode_rekening), amount),
            Lines::Many(list) => {
                self.many.push(list.to_vec());
                PackedLines::Many(self.many.len() - 1)
            }
        };
        self.rows.push(Packed {
            text,
            lines,
            masa_pajak: r.masa_pajak,
            tahun_pajak: r.tahun_pajak,
            pokok: r.pokok,
            denda: r.denda,
            total: r.total,
            channel: r.channel,
            paid_at: r.paid_at,
            settlement_date: r.settlement_date,
            status: r.status,
        });
    }

    fn get(&self, s: Span) -> Option<&str> {
        self.text.get(s)
    }

    fn row(&self, p: &Packed) -> ReceiptRow<'_> {
        let t = |i: usize| self.get(p.text[i]);
        ReceiptRow {
            ntpd: t(0).unwrap_or_default(),
            kode_billing: t(1),
            ntb: t(2),
            nop: t(3),
            npwpd: t(4),
            taxpayer_name: t(5),
            jenis_pajak: t(6),
            lines: match p.lines {
                PackedLines::One(kode, amount) => Lines::One {
                    kode_rekening: self.get(kode).unwrap_or_default(),
                    amount,
                },
                PackedLines::Many(i) => Lines::Many(&self.many[i]),
            },
            masa_pajak: p.masa_pajak,
            tahun_pajak: p.tahun_pajak,
            pokok: p.pokok,
            denda: p.denda,
            total: p.total,
            channel: p.channel,
            bank: t(7),
            account: t(8),
            paid_at: p.paid_at,
            paid_zone: t(9),
            settlement_date: p.settlement_date,
            status: p.status,
            reverses_ntpd: t(10),
            opd: t(11),
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.rows.clear();
        self.many.clear();
    }
}

type Outcome = Result<Vec<PathBuf>, GenError>;

/// Encodes every batch from `rx` into `sink`, then hands it to the next stage, or back to the
/// simulation when there is none (or the next stage has stopped: its own result says why).
fn encode(
    mut sink: KindSink,
    rx: Receiver<Batch>,
    mut next: Option<SyncSender<Batch>>,
    back: Sender<Batch>,
) -> Outcome {
    for batch in rx {
        for p in &batch.rows {
            sink.write_receipt(&batch.row(p))?;
        }
        let mut batch = match next.as_ref() {
            None => batch,
            Some(tx) => match tx.send(batch) {
                Ok(()) => continue,
                Err(refused) => {
                    next = None;
                    refused.0
                }
            },
        };
        batch.clear();
        // The simulation may be gone already; the batch is then simply freed.
        let _ = back.send(batch);
    }
    sink.finish()
}

/// The day's receipt files, written by encoder threads: one for the JSON Lines file, and one
/// for the CSV file that takes each batch after it (the two encodings were one thread's
/// 1.07 G instructions a province day, more than the simulation's own).
pub struct ReceiptSink {
    batch: Batch,
    tx: Option<SyncSender<Batch>>,
    spare: Receiver<Batch>,
    /// The JSON Lines encoder, then the CSV encoder.
    handles: Vec<JoinHandle<Outcome>>,
    /// Where the receipts go, for an error when a thread dies without saying why.
    path: PathBuf,
}

impl ReceiptSink {
    /// The receipts of `date` under `out_dir` (with `csv`, as CSV too).
    pub fn new(out_dir: &Path, date: NaiveDate, csv: bool) -> ReceiptSink {
        let (json, csv) = KindSink::receipts_split(out_dir, date, csv);
        let (tx, rx) = sync_channel::<Batch>(IN_FLIGHT);
        let (back, spare) = channel::<Batch>();
        let path = json.jsonl_path();
        let mut handles = Vec::with_capacity(2);
        let mut csv_tx = None;
        let mut csv_thread = None;
        if let Some(sink) = csv {
            let (tx2, rx2) = sync_channel::<Batch>(IN_FLIGHT);
            let back2 = back.clone();
            csv_tx = Some(tx2);
            csv_thread = Some(std::thread::spawn(move || encode(sink, rx2, None, back2)));
        }
        handles.push(std::thread::spawn(move || encode(json, rx, csv_tx, back)));
        handles.extend(csv_thread);
        ReceiptSink {
            batch: Batch::default(),
            tx: Some(tx),
            spare,
            handles,
            path,
        }
    }

    pub fn write_receipt(&mut self, r: &ReceiptRow<'_>) -> Result<(), GenError> {
        self.batch.push(r);
        if self.batch.rows.len() >= BATCH {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), GenError> {
        if self.batch.rows.is_empty() {
            return Ok(());
        }
        let next = self.spare.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(tx) = self.tx.as_ref() {
            if tx.send(full).is_ok() {
                return Ok(());
            }
        }
        // The encoder stopped early: its error says why.
        self.join()?;
        Err(self.died())
    }

    fn died(&self) -> GenError {
        GenError::Io {
            path: self.path.clone(),
            source: std::io::Error::other("the receipt encoder thread stopped"),
        }
    }

    /// Waits for the encoders; their files in order (JSON Lines, CSV), or the first error.
    fn join(&mut self) -> Outcome {
        self.tx = None;
        let mut files = Vec::new();
        let mut first_error = None;
        for h in std::mem::take(&mut self.handles) {
            match h.join().unwrap_or_else(|_| Err(self.died())) {
                Ok(f) => files.extend(f),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(files),
        }
    }

    /// Encodes what is left, waits for the files and returns them (relative to the output
    /// directory), or the first error.
    pub fn finish(mut self) -> Outcome {
        self.send()?;
        self.join()
    }
}

impl Drop for ReceiptSink {
    fn drop(&mut self) {
        if !self.handles.is_empty() {
            let _ = self.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastdoc;
    use chrono::{DateTime, Utc};
    use kasda_core::document::Receipt;

    fn receipt(i: u32) -> Receipt {
        Receipt {
            ntpd: format!("36002603020000{i:05}"),
            kode_billing: (!i.is_multiple_of(3)).then(|| format!("B{i}")),
            ntb: Some(format!("2603{i:08}")),
            nop: None,
            npwpd: i
                .is_multiple_of(2)
                .then(|| "P.2.0000001.01.001".to_string()),
            taxpayer_name: Some(format!("RM \"SARI\" {i}")),
            jenis_pajak: Some("PBJT".into()),
            lines: if i.is_multiple_of(5) {
                vec![
                    RevenueLine {
                        kode_rekening: "4.1.01.06.01.0001".into(),
                        amount: Decimal::new(1_000_000, 2),
                    },
                    RevenueLine {
                        kode_rekening: "4.1.01.06.02.0001".into(),
                        amount: Decimal::new(i64::from(i), 2),
                    },
                ]
            } else {
                vec![RevenueLine {
                    kode_rekening: "4.1.01.06.01.0001".into(),
                    amount: Decimal::new(1_000_000 + i64::from(i), 2),
                }]
            },
            masa_pajak: Some(2),
            tahun_pajak: Some(2026),
            pokok: Decimal::new(1_000_000 + i64::from(i), 2),
            denda: Decimal::ZERO,
            total: Decimal::new(1_000_000 + i64::from(i), 2),
            channel: Channel::Qris,
            bank: Some("Bank Banten".into()),
            account: Some("1060010000001".into()),
            paid_at: DateTime::<Utc>::from_timestamp(1_772_400_000 + i64::from(i), 0).unwrap(),
            paid_zone: Some(if i == 7 { "WITA" } else { "WIB" }.into()),
            settlement_date: NaiveDate::from_ymd_opt(2026, 3, 3),
            status: ReceiptStatus::Paid,
            reverses_ntpd: None,
            opd: Some("BAPENDA".into()),
        }
    }

    #[test]
    fn a_packed_row_reads_back_as_the_row() {
        let mut batch = Batch::default();
        let rs: Vec<Receipt> = (0..12).map(receipt).collect();
        for r in &rs {
            batch.push(&ReceiptRow::of(r));
        }
        for (r, p) in rs.iter().zip(&batch.rows) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            fastdoc::receipt_row_json(&mut a, &ReceiptRow::of(r));
            fastdoc::receipt_row_json(&mut b, &batch.row(p));
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
            assert_eq!(batch.row(p).to_receipt(), *r);
        }
    }

    /// Across several batches (and a row the CSV fast path declines), the threads write the
    /// same files as the sink used directly.
    #[test]
    fn the_thread_writes_what_the_sink_writes() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let (direct, piped) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let n = 2 * BATCH as u32 + 100;
        let rs: Vec<Receipt> = (0..n).map(receipt).collect();
        let mut files = Vec::new();
        for (dir, thread) in [(direct.path(), false), (piped.path(), true)] {
            std::fs::create_dir_all(dir.join("documents")).unwrap();
            let written = if thread {
                let mut s = ReceiptSink::new(dir, date, true);
                for r in &rs {
                    s.write_receipt(&ReceiptRow::of(r)).unwrap();
                }
                s.finish().unwrap()
            } else {
                let mut s = KindSink::receipts(dir, date, true);
                for r in &rs {
                    s.write_receipt(&ReceiptRow::of(r)).unwrap();
                }
                s.finish().unwrap()
            };
            assert_eq!(written.len(), 2);
            files.push(written);
        }
        assert_eq!(files[0], files[1]);
        for rel in &files[0] {
            let a = std::fs::read(direct.path().join(rel)).unwrap();
            let b = std::fs::read(piped.path().join(rel)).unwrap();
            assert!(a.len() > 500_000, "{}", rel.display());
            assert!(a == b, "{} differs", rel.display());
        }
        // Without CSV, only the JSON Lines file, the same one.
        let json_only = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(json_only.path().join("documents")).unwrap();
        let mut s = ReceiptSink::new(json_only.path(), date, false);
        for r in &rs {
            s.write_receipt(&ReceiptRow::of(r)).unwrap();
        }
        let written = s.finish().unwrap();
        assert_eq!(written, files[0][..1]);
        let a = std::fs::read(direct.path().join(&written[0])).unwrap();
        assert!(a == std::fs::read(json_only.path().join(&written[0])).unwrap());
    }
}
