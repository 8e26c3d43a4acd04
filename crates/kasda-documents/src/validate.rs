//! The rules every document obeys whatever container it came in (totals equal breakdowns,
//! well-formed identifiers and kode rekening, plausible dates, amounts positive with at most two
//! decimals), then the rules across rows of a file (unique keys, reversals pointing to a
//! receipt, BKU running balances), and the final split into accepted / rejected / quarantined.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use kasda_core::document::{BkuLine, BkuOwner, Document, Receipt, ReceiptStatus, Sp2d, Sts};
use kasda_core::money::checked_sum;
use rust_decimal::Decimal;

use crate::text::{self, MAX_LIST_ITEMS};
use crate::view::ReceiptView;
use crate::{
    BadRows, Container, DocumentBatch, DocumentsError, DuplicateRow, Duplicates, Parsed,
    QuarantinedRow, ReadOptions, RowError, RowRef, Rows,
};

/// Longest lag accepted between a receipt's payment and its settlement date.
pub const MAX_SETTLEMENT_LAG_DAYS: i64 = 31;

/// Which names errors use for columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    Csv,
    Json,
}

impl Naming {
    fn pick(self, csv: &'static str, json: &'static str) -> &'static str {
        match self {
            Naming::Csv => csv,
            Naming::Json => json,
        }
    }
}

/// What the per-row checks need from the options, computed once per file.
pub(crate) struct Context<'o> {
    opts: &'o ReadOptions<'o>,
    naming: Naming,
    latest_instant: DateTime<Utc>,
    latest_date: NaiveDate,
    earliest_instant: DateTime<Utc>,
    max_tax_year: i32,
}

impl<'o> Context<'o> {
    pub(crate) fn new(opts: &'o ReadOptions<'o>, naming: Naming) -> Self {
        let tolerance = Duration::days(opts.future_tolerance_days.clamp(0, 3650));
        let latest_instant = opts.now.checked_add_signed(tolerance).unwrap_or(opts.now);
        Context {
            opts,
            naming,
            latest_instant,
            // The latest date anywhere in Indonesia (WIT, UTC+9) at the latest instant.
            latest_date: text::local_date(latest_instant, 9 * 3600)
                .unwrap_or(latest_instant.date_naive()),
            earliest_instant: opts
                .earliest_date
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            max_tax_year: opts.now.year().saturating_add(1),
        }
    }
}

struct Checker<'a, 'o> {
    cx: &'a Context<'o>,
    row: u64,
    errors: &'a mut Vec<RowError>,
}

impl Checker<'_, '_> {
    fn err(
        &mut self,
        csv: &'static str,
        json: &'static str,
        expected: impl Into<String>,
        found: &str,
    ) {
        let column = self.cx.naming.pick(csv, json);
        self.errors
            .push(RowError::new(self.row, column, expected, found));
    }

    fn ident(&mut self, csv: &'static str, json: &'static str, value: &str) {
        if !text::identifier_ok(value) {
            self.err(
                csv,
                json,
                format!(
                    "an identifier of 1-{} characters without control characters",
                    text::MAX_ID_CHARS
                ),
                value,
            );
        }
    }

    fn opt_ident(&mut self, csv: &'static str, json: &'static str, value: Option<&str>) {
        if let Some(v) = value {
            self.ident(csv, json, v);
        }
    }

    fn non_empty(&mut self, csv: &'static str, json: &'static str, value: &str) {
        if value.trim().is_empty() {
            self.err(csv, json, "a value", value);
        }
    }

    /// Non-negative (positive unless `allow_zero`) with at most 2 decimals.
    fn amount(
        &mut self,
        csv: &'static str,
        json: &'static str,
        value: Decimal,
        allow_zero: bool,
    ) -> bool {
        let ok_sign = if allow_zero {
            !value.is_sign_negative() || value.is_zero()
        } else {
            value > Decimal::ZERO
        };
        if !ok_sign {
            let want = if allow_zero {
                "an amount of 0 or more"
            } else {
                "an amount greater than 0"
            };
            self.err(csv, json, want, &value.to_string());
            return false;
        }
        if value.scale() > 2 {
            self.err(
                csv,
                json,
                "an amount with at most 2 decimals",
                &value.to_string(),
            );
            return false;
        }
        true
    }

    fn signed_amount(&mut self, csv: &'static str, json: &'static str, value: Decimal) {
        if value.scale() > 2 {
            self.err(
                csv,
                json,
                "an amount with at most 2 decimals",
                &value.to_string(),
            );
        }
    }

    fn date(&mut self, csv: &'static str, json: &'static str, date: NaiveDate) {
        if date < self.cx.opts.earliest_date {
            self.err(
                csv,
                json,
                format!("a date on or after {}", self.cx.opts.earliest_date),
                &date.to_string(),
            );
        } else if date > self.cx.latest_date {
            self.err(
                csv,
                json,
                format!(
                    "a date not after {} (now + {} day(s) tolerance)",
                    self.cx.latest_date, self.cx.opts.future_tolerance_days
                ),
                &date.to_string(),
            );
        }
    }

    fn kode(&mut self, csv: &'static str, json: &'static str, kode: &str, revenue_only: bool) {
        if !text::kode_rekening_well_formed(kode) {
            self.err(
                csv,
                json,
                "a kode rekening like 4.1.01.19.01.0001 (Permendagri 90/2019)",
                kode,
            );
            return;
        }
        if revenue_only && !kode.starts_with("4.") {
            self.err(csv, json, "a Pendapatan kode rekening (akun 4)", kode);
            return;
        }
        if let Some(chart) = self.cx.opts.kode_lookup {
            if !chart.exists(kode) {
                self.err(csv, json, "a kode rekening in the pemda's chart", kode);
            }
        }
    }

    /// Lines: at least one, each well-formed and positive; Σ = total.
    fn lines<'l, I>(&mut self, lines: I, total: Decimal, revenue_only: bool)
    where
        I: ExactSizeIterator<Item = (&'l str, Decimal)> + Clone,
    {
        const C: &str = "kode_rekening";
        let n = lines.len();
        if n == 0 {
            self.err(C, "lines", "at least one kode rekening line", "");
            return;
        }
        if n > MAX_LIST_ITEMS {
            self.err(
                C,
                "lines",
                format!("at most {MAX_LIST_ITEMS} lines"),
                &n.to_string(),
            );
            return;
        }
        // Repeats: a look back over the few lines of a usual breakdown, a set for long ones.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut amounts_ok = true;
        for (i, (kode, amount)) in lines.clone().enumerate() {
            self.kode(C, "lines", kode, revenue_only);
            let repeat = match n {
                0 | 1 => false,
                2..=16 => lines.clone().take(i).any(|(k, _)| k == kode),
                _ => !seen.insert(kode),
            };
            if repeat {
                self.err(C, "lines", "each kode rekening once", kode);
            }
            amounts_ok &= self.amount(C, "lines", amount, false);
        }
        if amounts_ok {
            match checked_sum(lines.map(|(_, a)| a)) {
                Ok(sum) if sum == total => {}
                Ok(sum) => self.err(
                    C,
                    "lines",
                    format!("line amounts summing to total {total}"),
                    &format!("sum {sum}"),
                ),
                Err(e) => self.err(C, "lines", "line amounts that can be added", &e.to_string()),
            }
        }
    }
}

/// Every per-document rule; normalizes the NOP to its 18 digits.
pub(crate) fn check_document(
    doc: &mut Document,
    row: u64,
    cx: &Context<'_>,
    errors: &mut Vec<RowError>,
) {
    let mut c = Checker { cx, row, errors };
    match doc {
        Document::Receipt(r) => check_receipt(r, &mut c),
        Document::Sts(s) => check_sts(s, &mut c),
        Document::Sp2d(s) => check_sp2d(s, &mut c),
        Document::Bku(b) => check_bku(b, &mut c),
    }
}

/// Every per-row rule of a borrowed receipt (the same rules as [`check_document`]).
pub(crate) fn check_receipt_row(
    r: &ReceiptView<'_>,
    row: u64,
    cx: &Context<'_>,
    errors: &mut Vec<RowError>,
) {
    let mut c = Checker { cx, row, errors };
    check_receipt_view(r, &mut c);
}

fn check_receipt(r: &mut Receipt, c: &mut Checker<'_, '_>) {
    check_receipt_view(&ReceiptView::of(r), c);
    // A punctuated NOP is kept as its 18 digits.
    if let Some(digits) = r
        .nop
        .as_deref()
        .filter(|n| n.len() != 18)
        .and_then(text::normalize_nop)
    {
        r.nop = Some(digits);
    }
}

/// Every rule of one receipt.
fn check_receipt_view(r: &ReceiptView<'_>, c: &mut Checker<'_, '_>) {
    c.ident("ntpd", "ntpd", &r.ntpd);
    c.opt_ident("kode_billing", "kode_billing", r.kode_billing.as_deref());
    c.opt_ident("ntb", "ntb", r.ntb.as_deref());
    c.opt_ident("rekening", "account", r.account.as_deref());
    if let Some(nop) = r.nop.as_deref() {
        if !text::nop_well_formed(nop) {
            c.err(
                "nop",
                "nop",
                "an 18-digit NOP, bare or as 32.04.010.001.002-0003.0",
                nop,
            );
        }
    }
    if let Some(npwpd) = r.npwpd.as_deref() {
        let ok = match &c.cx.opts.npwpd_pattern {
            Some(re) => re.is_match(npwpd),
            None => text::npwpd_default_ok(npwpd),
        };
        if !ok {
            let want = match &c.cx.opts.npwpd_pattern {
                Some(re) => format!("an NPWPD matching {}", re.as_str()),
                None => "an NPWPD of 1-30 letters, digits, '.' or '-'".to_string(),
            };
            c.err("npwpd", "npwpd", want, npwpd);
        }
    }
    if let Some(m) = r.masa_pajak {
        if !(1..=12).contains(&m) {
            c.err("masa_pajak", "masa_pajak", "a month 1-12", &m.to_string());
        }
    }
    if let Some(y) = r.tahun_pajak {
        if !(1990..=c.cx.max_tax_year).contains(&y) {
            c.err(
                "tahun_pajak",
                "tahun_pajak",
                format!("a year from 1990 to {}", c.cx.max_tax_year),
                &y.to_string(),
            );
        }
    }
    let pokok_ok = c.amount("pokok", "pokok", r.pokok, true);
    let denda_ok = c.amount("denda", "denda", r.denda, true);
    let total_ok = c.amount("total", "total", r.total, false);
    if pokok_ok && denda_ok && total_ok {
        match r.pokok.checked_add(r.denda) {
            Some(sum) if sum == r.total => {}
            Some(sum) => c.err(
                "total",
                "total",
                format!("pokok + denda = {sum}"),
                &r.total.to_string(),
            ),
            None => c.err(
                "total",
                "total",
                "pokok + denda without overflow",
                &r.total.to_string(),
            ),
        }
    }
    if total_ok {
        let lines = r.lines.as_slice();
        c.lines(
            lines.iter().map(|l| (&*l.kode_rekening, l.amount)),
            r.total,
            true,
        );
    }
    // Timestamp plausibility.
    let zone_offset = match r.paid_zone.as_deref() {
        None => Some(0),
        Some(z) => {
            let o = text::stored_zone_offset(z);
            if o.is_none() {
                c.err(
                    "zona",
                    "paid_zone",
                    "WIB, WITA, WIT or an offset like +07:00",
                    z,
                );
            }
            o
        }
    };
    if r.paid_at < c.cx.earliest_instant {
        c.err(
            "dibayar_pada",
            "paid_at",
            format!("a time on or after {}", c.cx.opts.earliest_date),
            &r.paid_at.to_rfc3339(),
        );
    } else if r.paid_at > c.cx.latest_instant {
        c.err(
            "dibayar_pada",
            "paid_at",
            format!(
                "a time not after {} (now + {} day(s) tolerance)",
                c.cx.latest_instant.to_rfc3339(),
                c.cx.opts.future_tolerance_days
            ),
            &r.paid_at.to_rfc3339(),
        );
    }
    if let (Some(settled), Some(offset)) = (r.settlement_date, zone_offset) {
        if let Some(paid_on) = text::local_date(r.paid_at, offset) {
            if settled < paid_on {
                c.err(
                    "tanggal_settlement",
                    "settlement_date",
                    format!("a settlement date not before the payment date {paid_on}"),
                    &settled.to_string(),
                );
            } else if settled - paid_on > Duration::days(MAX_SETTLEMENT_LAG_DAYS) {
                c.err(
                    "tanggal_settlement",
                    "settlement_date",
                    format!("a settlement date at most {MAX_SETTLEMENT_LAG_DAYS} days after the payment date {paid_on}"),
                    &settled.to_string(),
                );
            }
        }
    }
    match (r.status, r.reverses_ntpd.as_deref()) {
        (ReceiptStatus::Paid, Some(t)) => c.err(
            "membatalkan_ntpd",
            "reverses_ntpd",
            "empty on a paid receipt",
            t,
        ),
        (ReceiptStatus::Reversed, None) => c.err(
            "membatalkan_ntpd",
            "reverses_ntpd",
            "the NTPD of the reversed receipt",
            "",
        ),
        (ReceiptStatus::Reversed, Some(t)) => c.ident("membatalkan_ntpd", "reverses_ntpd", t),
        (ReceiptStatus::Paid, None) => {}
    }
}

fn check_sts(s: &mut Sts, c: &mut Checker<'_, '_>) {
    c.ident("nomor_sts", "number", &s.number);
    c.non_empty("opd", "opd", &s.opd);
    c.ident("rekening", "account", &s.account);
    c.date("tanggal", "date", s.date);
    if c.amount("total", "total", s.total, false) {
        c.lines(
            s.lines.iter().map(|l| (l.kode_rekening.as_str(), l.amount)),
            s.total,
            false,
        );
    }
    if let Some(from) = s.collected_from {
        c.date("tbp_dari", "collected_from", from);
        if from > s.date {
            c.err(
                "tbp_dari",
                "collected_from",
                format!("a collection date not after the STS date {}", s.date),
                &from.to_string(),
            );
        }
    }
    if let Some(to) = s.collected_to {
        if to > s.date {
            c.err(
                "tbp_sampai",
                "collected_to",
                format!("a collection date not after the STS date {}", s.date),
                &to.to_string(),
            );
        }
        if let Some(from) = s.collected_from {
            if to < from {
                c.err(
                    "tbp_sampai",
                    "collected_to",
                    format!("a date not before tbp_dari {from}"),
                    &to.to_string(),
                );
            }
        }
    }
    if s.tbp_numbers.len() > MAX_LIST_ITEMS {
        c.err(
            "nomor_tbp",
            "tbp_numbers",
            format!("at most {MAX_LIST_ITEMS} TBP numbers"),
            &s.tbp_numbers.len().to_string(),
        );
    } else {
        for t in &s.tbp_numbers {
            c.ident("nomor_tbp", "tbp_numbers", t);
        }
    }
}

fn check_sp2d(s: &mut Sp2d, c: &mut Checker<'_, '_>) {
    c.ident("nomor_sp2d", "number", &s.number);
    c.non_empty("opd", "opd", &s.opd);
    c.ident("rekening", "account", &s.account);
    c.opt_ident(
        "rekening_penerima",
        "beneficiary_account",
        s.beneficiary_account.as_deref(),
    );
    c.non_empty("nama_penerima", "beneficiary_name", &s.beneficiary_name);
    c.date("tanggal", "date", s.date);
    if let Some(k) = &s.kode_rekening {
        c.kode("kode_rekening", "kode_rekening", k, false);
    }
    let gross_ok = c.amount("bruto", "gross", s.gross, false);
    let net_ok = c.amount("netto", "net", s.net, true);
    let mut deductions_ok = true;
    if s.deductions.len() > MAX_LIST_ITEMS {
        c.err(
            "potongan",
            "deductions",
            format!("at most {MAX_LIST_ITEMS} deductions"),
            &s.deductions.len().to_string(),
        );
        deductions_ok = false;
    }
    for d in &s.deductions {
        if d.kind.trim().is_empty() {
            c.err("potongan", "deductions", "a deduction kind like PPh21", "");
            deductions_ok = false;
        }
        deductions_ok &= c.amount("potongan", "deductions", d.amount, false);
    }
    if gross_ok && net_ok && deductions_ok {
        let expected = checked_sum(s.deductions.iter().map(|d| d.amount))
            .ok()
            .and_then(|ded| s.gross.checked_sub(ded));
        match expected {
            Some(e) if e == s.net => {}
            Some(e) => c.err(
                "netto",
                "net",
                format!("bruto - potongan = {e}"),
                &s.net.to_string(),
            ),
            None => c.err(
                "netto",
                "net",
                "bruto - potongan without overflow",
                &s.net.to_string(),
            ),
        }
    }
}

fn check_bku(b: &mut BkuLine, c: &mut Checker<'_, '_>) {
    if let BkuOwner::BendaharaPenerimaan(opd) = &b.owner {
        c.non_empty("opd", "owner", opd);
    }
    if b.number == 0 {
        c.err("nomor", "number", "a line number 1 or more", "0");
    }
    c.date("tanggal", "date", b.date);
    c.non_empty("uraian", "description", &b.description);
    c.opt_ident("nomor_bukti", "document", b.document.as_deref());
    c.opt_ident("rekening", "account", b.account.as_deref());
    if let Some(k) = &b.kode_rekening {
        c.kode("kode_rekening", "kode_rekening", k, false);
    }
    let col = match b.direction {
        kasda_core::money::Direction::Credit => "penerimaan",
        kasda_core::money::Direction::Debit => "pengeluaran",
    };
    c.amount(col, "amount", b.amount, false);
    if let Some(bal) = b.balance_after {
        c.signed_amount("saldo", "balance_after", bal);
    }
}

/// A hasher for the per-file key maps. SipHash (the std default) was the largest single cost of
/// reading a million-row file; the keys come from the pemda's own systems and banks, so
/// collision flooding would only make an import slow, never wrong.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply only carries differences upward, and hashbrown picks buckets from the low
        // bits: without this murmur3 finalizer, sequential NTPDs pile into a few buckets.
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
type FastSet<K> = HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

pub(crate) fn fast_map<K, V>(capacity: usize) -> FastMap<K, V> {
    FastMap::with_capacity_and_hasher(capacity, Default::default())
}

/// The natural key of a document, borrowed: (kind/status tag, id, year, number).
type KeyRef<'a> = (u8, &'a str, i32, u64);

fn key_ref(d: &Document) -> KeyRef<'_> {
    match d {
        Document::Receipt(r) => match r.status {
            ReceiptStatus::Paid => (0, r.ntpd.as_str(), 0, 0),
            ReceiptStatus::Reversed => (1, r.ntpd.as_str(), 0, 0),
        },
        Document::Sts(s) => (2, s.number.as_str(), 0, 0),
        Document::Sp2d(s) => (3, s.number.as_str(), 0, 0),
        Document::Bku(b) => match &b.owner {
            BkuOwner::Bud => (4, "", b.date.year(), b.number),
            BkuOwner::BendaharaPenerimaan(opd) => (5, opd.as_str(), b.date.year(), b.number),
        },
    }
}

/// Cross-row rules, then the split by [`BadRows`].
pub(crate) fn finish(
    file: &str,
    parsed: Parsed<'_>,
    opts: &ReadOptions<'_>,
) -> Result<DocumentBatch, DocumentsError> {
    let mut duplicates = Vec::new();
    // Problems found across rows, by position in `good`.
    let cross = cross_rows(&parsed.rows.good, opts, parsed.naming, &mut duplicates);
    split(file, parsed, opts, cross, duplicates)
}

/// The split by [`BadRows`], given the problems found across rows (by position in the good
/// rows) and the duplicates reported.
pub(crate) fn split(
    file: &str,
    parsed: Parsed<'_>,
    opts: &ReadOptions<'_>,
    mut cross: FastMap<usize, Vec<RowError>>,
    duplicates: Vec<DuplicateRow>,
) -> Result<DocumentBatch, DocumentsError> {
    let Parsed {
        kind,
        source,
        container,
        header_raw,
        rows,
        naming: _,
    } = parsed;
    let rows_in = rows.len();
    let Rows { good, bad } = rows;

    let is_xlsx = matches!(container, Container::Xlsx);
    let raw_of = |r: &RowRef| raw_of(&source, r);
    let public_ref = |r: RowRef| {
        if is_xlsx {
            RowRef {
                line: r.line,
                bytes: None,
            }
        } else {
            r
        }
    };
    let quarantine = |(r, errors): (RowRef, Vec<RowError>)| QuarantinedRow {
        raw: raw_of(&r),
        row: public_ref(r),
        errors,
    };

    let mut quarantined: Vec<QuarantinedRow> = bad.into_iter().map(quarantine).collect();
    let documents = if cross.is_empty() && !is_xlsx {
        // The common case: nothing to take out, so the rows are not moved again.
        good
    } else {
        let mut kept = Vec::with_capacity(good.len());
        for (i, (r, d)) in good.into_iter().enumerate() {
            match cross.remove(&i) {
                None => kept.push((public_ref(r), d)),
                Some(errors) => quarantined.push(quarantine((r, errors))),
            }
        }
        quarantined.sort_by_key(|q| q.row.line);
        kept
    };
    assert_eq!(
        documents.len() + quarantined.len(),
        rows_in,
        "every row is accepted or quarantined"
    );

    if !quarantined.is_empty() && opts.bad_rows == BadRows::Reject {
        return Err(invalid_rows(file, kind, rows_in, quarantined, opts));
    }
    Ok(DocumentBatch {
        file_name: file.to_string(),
        kind,
        container,
        rows_in,
        documents,
        quarantined,
        duplicates,
        header_raw,
    })
}

/// The original bytes of a row, without its terminator.
pub(crate) fn raw_of(source: &[u8], r: &RowRef) -> Vec<u8> {
    r.bytes
        .as_ref()
        .and_then(|span| source.get(span.clone()))
        .map(|b| crate::csvin::trim_terminator(b).to_vec())
        .unwrap_or_default()
}

/// The whole-file rejection listing the problems of `quarantined` (in row order).
pub(crate) fn invalid_rows(
    file: &str,
    kind: crate::Kind,
    rows_in: usize,
    quarantined: Vec<QuarantinedRow>,
    opts: &ReadOptions<'_>,
) -> DocumentsError {
    let count = quarantined.len();
    let mut errors = Vec::new();
    let mut total = 0usize;
    for q in quarantined {
        for e in q.errors {
            total += 1;
            if errors.len() < opts.max_errors {
                errors.push(e);
            }
        }
    }
    DocumentsError::InvalidRows {
        file: file.to_string(),
        kind: kind.as_str(),
        rows_in,
        count,
        more: total - errors.len(),
        errors,
    }
}

pub(crate) fn cross_rows(
    good: &[(RowRef, Document)],
    opts: &ReadOptions<'_>,
    naming: Naming,
    duplicates: &mut Vec<DuplicateRow>,
) -> FastMap<usize, Vec<RowError>> {
    let mut cross: FastMap<usize, Vec<RowError>> = fast_map(0);
    let mut push = |i: usize,
                    row: u64,
                    csv: &'static str,
                    json: &'static str,
                    expected: String,
                    found: &str| {
        cross.entry(i).or_default().push(RowError::new(
            row,
            naming.pick(csv, json),
            expected,
            found,
        ));
    };
    let is_receipts = matches!(good.first(), Some((_, Document::Receipt(_))));

    // Receipts that a reversal in this file cancels, and paid receipts by NTPD.
    let mut reversed_targets: FastSet<&str> = FastSet::default();
    for (_, d) in good {
        if let Document::Receipt(r) = d {
            if let (ReceiptStatus::Reversed, Some(t)) = (r.status, &r.reverses_ntpd) {
                reversed_targets.insert(t.as_str());
            }
        }
    }
    // Totals of the paid receipts a reversal in this file points to (most files have none).
    let mut paid_by_ntpd: FastMap<&str, Decimal> = fast_map(reversed_targets.len());
    if !reversed_targets.is_empty() {
        for (_, d) in good {
            if let Document::Receipt(r) = d {
                if r.status == ReceiptStatus::Paid && reversed_targets.contains(r.ntpd.as_str()) {
                    paid_by_ntpd.entry(r.ntpd.as_str()).or_insert(r.total);
                }
            }
        }
        // A reversal pointing nowhere excuses nothing (e.g. a second payment of a kode billing).
        reversed_targets.retain(|t| {
            paid_by_ntpd.contains_key(t)
                || opts
                    .existing
                    .is_some_and(|e| e.contains_key(&format!("receipt:{t}")))
        });
    }

    let mut first_by_key: FastMap<KeyRef<'_>, u64> = fast_map(good.len());
    let mut billing_first: FastMap<&str, (u64, &str)> =
        fast_map(if is_receipts { good.len() } else { 0 });
    let mut reversal_of: FastMap<&str, u64> = fast_map(reversed_targets.len());
    // BKU running balance per (owner, account): the last line's balance, when it had one.
    let mut bku_balance: FastMap<(&BkuOwner, Option<&str>), Option<Decimal>> = fast_map(0);

    for (i, (rr, d)) in good.iter().enumerate() {
        let line = rr.line;
        let (csv_key, json_key) = match d {
            Document::Receipt(_) => ("ntpd", "ntpd"),
            Document::Sts(_) => ("nomor_sts", "number"),
            Document::Sp2d(_) => ("nomor_sp2d", "number"),
            Document::Bku(_) => ("nomor", "number"),
        };
        if let Some(existing) = opts.existing {
            let key = d.natural_key();
            if existing.contains_key(&key) {
                push(
                    i,
                    line,
                    csv_key,
                    json_key,
                    "a key not already stored".into(),
                    &key,
                );
                continue;
            }
        }
        match first_by_key.entry(key_ref(d)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                let first = *first.get();
                match opts.duplicates {
                    Duplicates::Reject => {
                        push(
                            i,
                            line,
                            csv_key,
                            json_key,
                            format!("a key unique in the file (first at row {first})"),
                            &d.natural_key(),
                        );
                        continue;
                    }
                    Duplicates::Report => duplicates.push(DuplicateRow {
                        key: d.natural_key(),
                        row: line,
                        first_row: first,
                    }),
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(line);
            }
        }
        match d {
            Document::Receipt(r) => match r.status {
                ReceiptStatus::Paid => {
                    let Some(kb) = &r.kode_billing else { continue };
                    if opts.existing.is_some_and(|e| e.contains_kode_billing(kb)) {
                        push(
                            i,
                            line,
                            "kode_billing",
                            "kode_billing",
                            "a kode billing not already paid in the store".into(),
                            kb,
                        );
                        continue;
                    }
                    match billing_first.get(kb.as_str()) {
                        Some(&(first, first_ntpd)) if !reversed_targets.contains(first_ntpd) => {
                            match opts.duplicates {
                                Duplicates::Reject => push(
                                    i,
                                    line,
                                    "kode_billing",
                                    "kode_billing",
                                    format!("a kode billing paid once (also paid at row {first}, not reversed)"),
                                    kb,
                                ),
                                Duplicates::Report => duplicates.push(DuplicateRow {
                                    key: format!("kode_billing:{kb}"),
                                    row: line,
                                    first_row: first,
                                }),
                            }
                        }
                        _ => {
                            billing_first.insert(kb.as_str(), (line, r.ntpd.as_str()));
                        }
                    }
                }
                ReceiptStatus::Reversed => {
                    let Some(target) = r.reverses_ntpd.as_deref() else {
                        continue;
                    };
                    if let Some(&first) = reversal_of.get(target) {
                        push(
                            i,
                            line,
                            "membatalkan_ntpd",
                            "reverses_ntpd",
                            format!("a receipt not already reversed (reversed at row {first})"),
                            target,
                        );
                        continue;
                    }
                    match paid_by_ntpd.get(target) {
                        Some(&total) if total != r.total => push(
                            i,
                            line,
                            "total",
                            "total",
                            format!("the reversed receipt's total {total}"),
                            &r.total.to_string(),
                        ),
                        Some(_) => {}
                        None => {
                            let stored = opts
                                .existing
                                .is_some_and(|e| e.contains_key(&format!("receipt:{target}")));
                            if !stored {
                                push(
                                    i,
                                    line,
                                    "membatalkan_ntpd",
                                    "reverses_ntpd",
                                    "the NTPD of a valid paid receipt in this file or already stored".into(),
                                    target,
                                );
                                continue;
                            }
                        }
                    }
                    reversal_of.insert(target, line);
                }
            },
            Document::Bku(b) => {
                let slot = bku_balance
                    .entry((&b.owner, b.account.as_deref()))
                    .or_insert(None);
                if let (Some(prev), Some(now)) = (*slot, b.balance_after) {
                    let expected = prev.checked_add(b.direction.signed(b.amount));
                    if expected != Some(now) {
                        let want = match expected {
                            Some(e) => format!(
                                "saldo = previous saldo {prev} {} {} = {e}",
                                sign(b),
                                b.amount
                            ),
                            None => "a saldo without overflow".to_string(),
                        };
                        push(i, line, "saldo", "balance_after", want, &now.to_string());
                    }
                }
                *slot = b.balance_after;
            }
            Document::Sts(_) | Document::Sp2d(_) => {}
        }
    }
    cross
}

fn sign(b: &BkuLine) -> char {
    match b.direction {
        kasda_core::money::Direction::Credit => '+',
        kasda_core::money::Direction::Debit => '-',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn sequential_keys_spread_over_low_bits() {
        let build = std::hash::BuildHasherDefault::<FxHasher>::default();
        let buckets = 1usize << 17;
        let mut load = vec![0u32; buckets];
        for i in 0..100_000u64 {
            let ntpd = format!("NTPD{i:012}");
            let key: KeyRef<'_> = (0, ntpd.as_str(), 0, 0);
            load[(build.hash_one(key) as usize) & (buckets - 1)] += 1;
        }
        let worst = load.iter().max().copied().unwrap_or(0);
        assert!(worst <= 12, "worst bucket holds {worst} of 100000 keys");
    }
}
