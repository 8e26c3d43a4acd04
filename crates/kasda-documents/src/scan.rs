//! Receipts CSV in one streaming pass: each row is parsed and checked borrowed from the input
//! bytes ([`ReceiptView`] over the fields of [`crate::split`]), and handed to a visitor; nothing
//! owned is built unless the visitor builds it.
//!
//! The rules across rows (unique NTPD and kode billing, reversals pointing to a paid receipt of
//! the same total, at most one reversal each) need only the rows that share a key with another
//! row or take part in a reversal. During the pass each good row leaves a 16-byte entry per key
//! (a 64-bit hash, its line and its byte offset) in a vector reserved once from the line count;
//! at the end the entries are sorted, and the few rows in a hash group of two or more, the
//! reversals and the receipts they target are read again from the input and put through the
//! same cross-row rules as every other file. A hash collision only makes a row be read again;
//! the verdict is always taken on the real keys. Memory beyond the input therefore grows by at
//! most 32 bytes per row (plus the bad rows' error lists), whatever the file holds.

use std::borrow::Cow;

use kasda_core::document::{Document, ReceiptStatus};

use crate::columns::{self, RowReader};
use crate::csvin::{self, Setup};
use crate::split::Splitter;
use crate::validate::{self, Context, FastMap, FxHasher, Naming};
use crate::view::ReceiptView;
use crate::{
    Container, DocumentBatch, DocumentsError, DuplicateRow, Kind, Parsed, QuarantinedRow,
    ReadOptions, RowError, RowRef, Rows, MAX_TEXT_FILE_BYTES,
};

// Lines and offsets are kept as u32: a text file is at most MAX_TEXT_FILE_BYTES.
const _: () = assert!(MAX_TEXT_FILE_BYTES < u32::MAX as usize);

/// What a streaming read of a receipts CSV found (see [`scan_receipts_csv`]).
#[derive(Debug, Clone)]
pub struct ScanSummary {
    pub file_name: String,
    pub container: Container,
    /// The header line as it was in the file, without its terminator.
    pub header_raw: Vec<u8>,
    /// Data rows read (blank rows are not rows): always `accepted + rejected.len()`.
    pub rows_in: usize,
    /// Rows that passed every rule, per row and across rows.
    pub accepted: usize,
    /// Rows that did not, in row order, with their original bytes and every problem. Those
    /// that failed only a rule across rows were handed to the visitor: drop them by line.
    pub rejected: Vec<QuarantinedRow>,
    /// Repeats accepted under [`crate::Duplicates::Report`].
    pub duplicates: Vec<DuplicateRow>,
}

/// One key of one good row: enough to find the row again.
#[derive(Clone, Copy)]
struct KeyEntry {
    hash: u64,
    line: u32,
    start: u32,
}

fn key_hash(tag: u8, text: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    h.write_u8(tag);
    h.write(text.as_bytes());
    h.write_usize(text.len());
    h.finish()
}

/// Natural-key tags, as in the cross-row rules: a paid receipt and its reversal differ.
const PAID: u8 = 0;
const REVERSED: u8 = 1;
const BILLING: u8 = 2;

struct Pass<'o> {
    natural: Vec<KeyEntry>,
    billing: Vec<KeyEntry>,
    /// Reversals (line, offset) and the hash of the paid key each one targets.
    reversals: Vec<(u32, u32)>,
    targets: Vec<u64>,
    /// Rows whose key or kode billing the store already holds, with that problem.
    stored: Vec<(RowRef, RowError)>,
    good: usize,
    bad: Vec<(RowRef, Vec<RowError>)>,
    rows_in: usize,
    key_buf: String,
    cx: Context<'o>,
}

/// Offset of a row in the body, as the u32 the key entries keep.
fn body_start(row: &RowRef, setup: &Setup) -> u32 {
    let start = row.bytes.as_ref().map(|b| b.start).unwrap_or(0);
    u32::try_from(start - setup.offset).unwrap_or(u32::MAX)
}

impl Pass<'_> {
    fn note(&mut self, view: &ReceiptView<'_>, row: &RowRef, setup: &Setup, opts: &ReadOptions) {
        let line = u32::try_from(row.line).unwrap_or(u32::MAX);
        let start = body_start(row, setup);
        let tag = match view.status {
            ReceiptStatus::Paid => PAID,
            ReceiptStatus::Reversed => REVERSED,
        };
        self.natural.push(KeyEntry {
            hash: key_hash(tag, &view.ntpd),
            line,
            start,
        });
        match view.status {
            ReceiptStatus::Paid => {
                if let Some(kb) = view.kode_billing.as_deref() {
                    self.billing.push(KeyEntry {
                        hash: key_hash(BILLING, kb),
                        line,
                        start,
                    });
                }
            }
            ReceiptStatus::Reversed => {
                self.reversals.push((line, start));
                if let Some(t) = view.reverses_ntpd.as_deref() {
                    self.targets.push(key_hash(PAID, t));
                }
            }
        }
        // The store check needs only the row itself.
        if let Some(existing) = opts.existing {
            self.key_buf.clear();
            self.key_buf.push_str(match view.status {
                ReceiptStatus::Paid => "receipt:",
                ReceiptStatus::Reversed => "receipt-reversal:",
            });
            self.key_buf.push_str(&view.ntpd);
            if existing.contains_key(&self.key_buf) {
                self.stored.push((
                    row.clone(),
                    RowError::new(row.line, "ntpd", "a key not already stored", &self.key_buf),
                ));
                return;
            }
            if let (ReceiptStatus::Paid, Some(kb)) = (view.status, view.kode_billing.as_deref()) {
                if existing.contains_kode_billing(kb) {
                    self.stored.push((
                        row.clone(),
                        RowError::new(
                            row.line,
                            "kode_billing",
                            "a kode billing not already paid in the store",
                            kb,
                        ),
                    ));
                }
            }
        }
    }
}

/// The rows a cross-row rule can touch, as (line, offset) in row order.
fn involved(pass: &mut Pass<'_>) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = std::mem::take(&mut pass.reversals);
    pass.targets.sort_unstable();
    pass.targets.dedup();
    for entries in [&mut pass.natural, &mut pass.billing] {
        entries.sort_unstable_by_key(|e| e.hash);
        for group in entries.chunk_by(|a, b| a.hash == b.hash) {
            if group.len() > 1 {
                out.extend(group.iter().map(|e| (e.line, e.start)));
            }
        }
    }
    // Both lists are sorted by hash now: the receipts reversals target, in one merge.
    let mut targets = pass.targets.iter().peekable();
    for e in &pass.natural {
        while targets.next_if(|&&t| t < e.hash).is_some() {}
        match targets.peek() {
            None => break,
            Some(&&t) if t == e.hash => out.push((e.line, e.start)),
            Some(_) => {}
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Reads good rows of the body again, by offset, as owned documents (one splitter, moved about).
struct Rereader<'b> {
    split: Splitter<'b>,
}

impl<'b> Rereader<'b> {
    fn new(body: &'b [u8], setup: &Setup) -> Self {
        // Without the whole body as text each cell of the few rows read again is checked on its
        // own (and still borrowed).
        Rereader {
            split: Splitter::new(body, None, setup.encoding, setup.delimiter),
        }
    }

    fn row(
        &mut self,
        setup: &Setup,
        cx: &Context<'_>,
        line: u32,
        start: u32,
    ) -> Option<(RowRef, Document)> {
        self.split.seek(start as usize, u64::from(line));
        let span = self.split.next_record()?;
        let line = u64::from(line);
        let mut errors = Vec::new();
        let rec = self.split.record();
        let mut reader = RowReader {
            cells: &rec,
            map: &setup.map,
            spec: columns::spec(Kind::Receipts),
            row: line,
            number_format: setup.number_format,
            errors: &mut errors,
        };
        let mut doc = Document::Receipt(columns::receipt(&mut reader)?);
        validate::check_document(&mut doc, line, cx, &mut errors);
        errors.is_empty().then(|| {
            (
                RowRef {
                    line,
                    bytes: Some(span.start + setup.offset..span.end + setup.offset),
                },
                doc,
            )
        })
    }
}

/// Everything the pass found: per-row problems, and the problems across rows by line.
pub(crate) struct Scanned {
    pub setup: Setup,
    pub rows_in: usize,
    pub good: usize,
    pub bad: Vec<(RowRef, Vec<RowError>)>,
    /// Problems across rows, by line (each such row has passed the per-row rules), with the
    /// row itself.
    pub cross: Vec<(RowRef, Vec<RowError>)>,
    pub duplicates: Vec<DuplicateRow>,
}

/// The pass over a receipts CSV (`bytes` is not JSON Lines or XLSX).
pub(crate) fn scan(
    file: &str,
    bytes: &[u8],
    opts: &ReadOptions<'_>,
    mut visit: impl FnMut(&RowRef, &ReceiptView<'_>),
) -> Result<Scanned, DocumentsError> {
    let mut pass: Option<Pass<'_>> = None;
    let setup = csvin::for_each_record(
        file,
        bytes,
        opts,
        Some(Kind::Receipts),
        |setup, rec, row, errors| {
            let pass = pass.get_or_insert_with(|| Pass {
                natural: Vec::with_capacity(setup.expected_rows),
                billing: Vec::with_capacity(setup.expected_rows),
                reversals: Vec::new(),
                targets: Vec::new(),
                stored: Vec::new(),
                good: 0,
                bad: Vec::new(),
                rows_in: 0,
                key_buf: String::new(),
                cx: Context::new(opts, Naming::Csv),
            });
            pass.rows_in += 1;
            let line = row.line;
            if errors.is_empty() {
                let mut reader = RowReader {
                    cells: rec,
                    map: &setup.map,
                    spec: columns::spec(Kind::Receipts),
                    row: line,
                    number_format: setup.number_format,
                    errors,
                };
                let view = columns::receipt_view(&mut reader);
                if let (Some(view), true) = (&view, errors.is_empty()) {
                    validate::check_receipt_row(view, line, &pass.cx, errors);
                    if errors.is_empty() {
                        pass.good += 1;
                        pass.note(view, &row, setup, opts);
                        visit(&row, view);
                        return;
                    }
                }
            }
            csvin::no_silent_rejection(errors, line);
            pass.bad.push((row, std::mem::take(errors)));
        },
    )?;
    let Some(mut pass) = pass else {
        return Ok(Scanned {
            setup,
            rows_in: 0,
            good: 0,
            bad: Vec::new(),
            cross: Vec::new(),
            duplicates: Vec::new(),
        });
    };
    let body = &bytes[setup.offset..];
    let rows = involved(&mut pass);
    let mut subset = Vec::with_capacity(rows.len());
    if !rows.is_empty() {
        let mut again = Rereader::new(body, &setup);
        for (line, start) in rows {
            // A row that passed once passes again: reading is deterministic.
            if let Some(row) = again.row(&setup, &pass.cx, line, start) {
                subset.push(row);
            }
        }
    }
    let mut duplicates = Vec::new();
    let by_index = validate::cross_rows(&subset, opts, Naming::Csv, &mut duplicates);
    let mut cross: FastMap<u64, (RowRef, Vec<RowError>)> = validate::fast_map(by_index.len());
    for (i, errors) in by_index {
        if let Some((r, _)) = subset.get(i) {
            cross.insert(r.line, (r.clone(), errors));
        }
    }
    // Rows rejected by the store check alone that no other rule looked at.
    for (row, error) in pass.stored {
        cross.entry(row.line).or_insert_with(|| (row, vec![error]));
    }
    let mut cross: Vec<(RowRef, Vec<RowError>)> = cross.into_values().collect();
    cross.sort_by_key(|(r, _)| r.line);
    Ok(Scanned {
        setup,
        rows_in: pass.rows_in,
        good: pass.good,
        bad: pass.bad,
        cross,
        duplicates,
    })
}

/// Reads and validates a receipts CSV in one streaming pass, calling `visit` with each row that
/// passed the per-row rules, borrowed (build an owned receipt with
/// [`ReceiptView::to_receipt`] only if you keep it).
///
/// The rules across rows are settled at the end: rows they reject are in
/// [`ScanSummary::rejected`] (the visitor has seen them; drop them by line). With
/// [`crate::BadRows::Reject`] any rejected row makes this an [`DocumentsError::InvalidRows`]
/// error listing every problem, as [`crate::read_documents`] does. `opts.kind` is ignored.
pub fn scan_receipts_csv(
    file_name: &str,
    bytes: &[u8],
    opts: &ReadOptions<'_>,
    visit: impl FnMut(&RowRef, &ReceiptView<'_>),
) -> Result<ScanSummary, DocumentsError> {
    if bytes.len() > MAX_TEXT_FILE_BYTES {
        return Err(DocumentsError::FileTooLarge {
            file: file_name.to_string(),
            container: "CSV / JSON Lines",
            size: bytes.len(),
            limit: MAX_TEXT_FILE_BYTES,
        });
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => {
            return Err(DocumentsError::Empty {
                file: file_name.to_string(),
            })
        }
        Some(b'{') => {
            return Err(DocumentsError::Encoding {
                file: file_name.to_string(),
                message: "expected a receipts CSV, found JSON Lines".into(),
            })
        }
        Some(_) if bytes.starts_with(b"PK\x03\x04") => {
            return Err(DocumentsError::Encoding {
                file: file_name.to_string(),
                message: "expected a receipts CSV, found an XLSX (zip) file".into(),
            })
        }
        Some(_) => {}
    }
    let scanned = scan(file_name, bytes, opts, visit)?;
    let quarantine = |(row, errors): (RowRef, Vec<RowError>)| QuarantinedRow {
        raw: validate::raw_of(bytes, &row),
        row,
        errors,
    };
    let accepted = scanned.good - scanned.cross.len();
    let mut rejected: Vec<QuarantinedRow> = scanned.bad.into_iter().map(quarantine).collect();
    let cross_rejects = !scanned.cross.is_empty();
    rejected.extend(scanned.cross.into_iter().map(quarantine));
    if cross_rejects {
        rejected.sort_by_key(|q| q.row.line);
    }
    if !rejected.is_empty() && opts.bad_rows == crate::BadRows::Reject {
        return Err(validate::invalid_rows(
            file_name,
            Kind::Receipts,
            scanned.rows_in,
            rejected,
            opts,
        ));
    }
    Ok(ScanSummary {
        file_name: file_name.to_string(),
        container: scanned.setup.container(),
        header_raw: scanned.setup.header_raw,
        rows_in: scanned.rows_in,
        accepted,
        rejected,
        duplicates: scanned.duplicates,
    })
}

/// [`crate::read_documents`] for a receipts CSV: the streaming pass, keeping owned receipts.
pub(crate) fn read_owned(
    file: &str,
    bytes: &[u8],
    opts: &ReadOptions<'_>,
) -> Result<DocumentBatch, DocumentsError> {
    let mut good: Vec<(RowRef, Document)> = Vec::new();
    let scanned = scan(file, bytes, opts, |row, view| {
        if good.capacity() == 0 {
            good.reserve(memchr::memchr_iter(b'\n', bytes).count());
        }
        good.push((row.clone(), Document::Receipt(view.to_receipt())));
    })?;
    let mut cross: FastMap<usize, Vec<RowError>> = validate::fast_map(scanned.cross.len());
    for (row, errors) in scanned.cross {
        if let Ok(i) = good.binary_search_by_key(&row.line, |(r, _)| r.line) {
            cross.insert(i, errors);
        }
    }
    let parsed = Parsed {
        kind: Kind::Receipts,
        source: Cow::Borrowed(bytes),
        container: scanned.setup.container(),
        header_raw: scanned.setup.header_raw,
        rows: Rows {
            good,
            bad: scanned.bad,
        },
        naming: Naming::Csv,
    };
    validate::split(file, parsed, opts, cross, scanned.duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BadRows, Duplicates, KeySet};
    use proptest::prelude::*;

    /// The reading every other kind goes through: owned documents, then the cross-row rules
    /// over all of them. The streaming pass must agree with it on every file.
    fn owned_path(bytes: &[u8], opts: &ReadOptions<'_>) -> Result<DocumentBatch, DocumentsError> {
        let parsed = crate::csvin::read("t.csv", bytes, opts)?;
        validate::finish("t.csv", parsed, opts)
    }

    fn render(r: Result<DocumentBatch, DocumentsError>) -> String {
        match r {
            Ok(b) => format!(
                "rows_in={} docs={:?} quarantined={:?} duplicates={:?}",
                b.rows_in, b.documents, b.quarantined, b.duplicates
            ),
            Err(e) => format!("error: {e}"),
        }
    }

    #[derive(Debug, Clone)]
    struct Row {
        ntpd: u8,
        kb: Option<u8>,
        reversed: bool,
        target: Option<u8>,
        total: u8,
        bad_amount: bool,
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            0u8..6,
            prop::option::of(0u8..4),
            prop::bool::weighted(0.3),
            prop::option::of(0u8..6),
            1u8..3,
            prop::bool::weighted(0.1),
        )
            .prop_map(|(ntpd, kb, reversed, target, total, bad_amount)| Row {
                ntpd,
                kb,
                reversed,
                target,
                total,
                bad_amount,
            })
    }

    fn csv(rows: &[Row], crlf: bool) -> Vec<u8> {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut s = format!("ntpd,kode_billing,kode_rekening,pokok,total,channel,dibayar_pada,status,membatalkan_ntpd{eol}");
        for r in rows {
            let total = if r.bad_amount {
                "x".to_string()
            } else {
                format!("{}00", r.total)
            };
            s.push_str(&format!(
                "N{},{},4.1.01.15.01.0001,{total},{total},teller,2026-03-02T10:00:00+07:00,{},{}{eol}",
                r.ntpd,
                r.kb.map(|k| format!("K{k}")).unwrap_or_default(),
                if r.reversed { "reversed" } else { "paid" },
                r.target.map(|t| format!("N{t}")).unwrap_or_default(),
            ));
        }
        s.into_bytes()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn streaming_pass_agrees_with_the_owned_path(
            rows in prop::collection::vec(row(), 0..24),
            crlf in any::<bool>(),
            report in any::<bool>(),
            quarantine in any::<bool>(),
            stored in prop::collection::vec((0u8..6, any::<bool>()), 0..3),
        ) {
            let bytes = csv(&rows, crlf);
            let mut keys = KeySet::default();
            for (n, kb) in &stored {
                keys.natural_keys.insert(format!("receipt:N{n}"));
                if *kb {
                    keys.kode_billing.insert(format!("K{}", n % 4));
                }
            }
            let now = "2026-03-10T00:00:00Z".parse().unwrap();
            let mut opts = ReadOptions::new(now);
            opts.kind = Some(Kind::Receipts);
            if report {
                opts.duplicates = Duplicates::Report;
            }
            if quarantine {
                opts.bad_rows = BadRows::Quarantine;
            }
            if !stored.is_empty() {
                opts.existing = Some(&keys);
            }
            let streaming = render(read_owned("t.csv", &bytes, &opts));
            let owned = render(owned_path(&bytes, &opts));
            prop_assert_eq!(&streaming, &owned);
            let scanned = scan_receipts_csv("t.csv", &bytes, &opts, |_, _| {});
            match crate::read_documents("t.csv", &bytes, &opts) {
                Ok(b) => {
                    let s = scanned.unwrap();
                    prop_assert_eq!(s.accepted, b.documents.len());
                    prop_assert_eq!(s.rejected, b.quarantined);
                    prop_assert_eq!(s.duplicates, b.duplicates);
                    prop_assert_eq!(s.rows_in, b.rows_in);
                }
                Err(e) => prop_assert_eq!(scanned.unwrap_err().to_string(), e.to_string()),
            }
        }
    }

    #[test]
    fn a_large_file_with_repeats_agrees_with_the_owned_path() {
        // Twelve thousand rows with repeats (duplicate NTPDs, a duplicate reversal, a kode
        // billing paid twice) and the sample's reversals.
        let mut bytes = crate::sample::sample_receipts_csv(12_000);
        let lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        for at in [5usize, 7_000, 11_999] {
            bytes.extend_from_slice(&lines[at]);
            bytes.push(b'\n');
        }
        let billing_again = String::from_utf8(lines[42].clone()).unwrap().replacen(
            "3673000000000041",
            "3673999999999999",
            1,
        );
        bytes.extend_from_slice(billing_again.as_bytes());
        bytes.push(b'\n');
        let now = crate::sample::SAMPLE_NOW.parse().unwrap();
        for quarantine in [false, true] {
            for report in [false, true] {
                let mut opts = ReadOptions::new(now);
                opts.kind = Some(Kind::Receipts);
                if quarantine {
                    opts.bad_rows = BadRows::Quarantine;
                }
                if report {
                    opts.duplicates = Duplicates::Report;
                }
                let streaming = render(read_owned("t.csv", &bytes, &opts));
                assert_eq!(streaming, render(owned_path(&bytes, &opts)));
            }
        }
        let mut opts = ReadOptions::new(now);
        opts.bad_rows = BadRows::Quarantine;
        let s = scan_receipts_csv("t.csv", &bytes, &opts, |_, _| {}).unwrap();
        assert_eq!(s.rows_in, 12_004);
        // The three repeated NTPDs and the second payment of a kode billing.
        assert_eq!(s.rejected.len(), 4, "{:?}", s.rejected);
    }

    #[test]
    fn the_scan_quarantine_file_is_the_batch_quarantine_file() {
        let rows: Vec<Row> = (0u8..12)
            .map(|i| Row {
                ntpd: i % 5,
                kb: Some(i % 3),
                reversed: i % 4 == 3,
                target: Some(i % 7),
                total: 1 + i % 2,
                bad_amount: i % 5 == 2,
            })
            .collect();
        let bytes = csv(&rows, true);
        let now = "2026-03-10T00:00:00Z".parse().unwrap();
        let mut opts = ReadOptions::new(now);
        opts.bad_rows = BadRows::Quarantine;
        assert!(crate::is_receipts_csv(&bytes, None));
        let batch = crate::read_documents("t.csv", &bytes, &opts).unwrap();
        let summary = scan_receipts_csv("t.csv", &bytes, &opts, |_, _| {}).unwrap();
        assert!(!summary.rejected.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let qa = crate::write_scan_quarantine(&summary, &a, "t.csv").unwrap();
        let qb = crate::write_quarantine(&batch, &b, "t.csv").unwrap();
        let (qa, qb) = (std::fs::read(qa).unwrap(), std::fs::read(qb).unwrap());
        assert_eq!(qa, qb);
        // Header plus one line per rejected row.
        assert_eq!(
            qa.iter().filter(|b| **b == b'\n').count(),
            1 + summary.rejected.len()
        );
    }

    #[test]
    fn the_visitor_sees_each_row_borrowed_and_the_summary_counts_them() {
        let bytes = crate::sample::sample_receipts_csv(2500);
        let now = crate::sample::SAMPLE_NOW.parse().unwrap();
        let opts = ReadOptions::new(now);
        let mut seen = 0usize;
        let mut borrowed = 0usize;
        let summary = scan_receipts_csv("s.csv", &bytes, &opts, |_, v| {
            seen += 1;
            borrowed += usize::from(matches!(v.ntpd, Cow::Borrowed(_)));
        })
        .unwrap();
        assert_eq!(
            (summary.rows_in, summary.accepted, seen),
            (2500, 2500, 2500)
        );
        assert_eq!(borrowed, 2500);
        assert!(summary.rejected.is_empty() && summary.duplicates.is_empty());
        // The owned reading of the same file keeps the same receipts.
        let batch = crate::read_documents("s.csv", &bytes, &opts).unwrap();
        assert_eq!(batch.documents.len(), 2500);
    }
}
