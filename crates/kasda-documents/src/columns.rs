//! CSV / XLSX column specs per kind (the code side of `schema/documents/<kind>.csv.md`) and the
//! row builders that turn a row of text cells into a core document. Builders only parse; the
//! rules that hold for every container (totals, dates, keys) live in `validate`.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::{
    BkuLine, BkuOwner, Channel, Deduction, Receipt, ReceiptStatus, RevenueLine, Sp2d, Sp2dType, Sts,
};
use kasda_core::money::{parse_in, parse_signed, Direction, NumberFormat};
use kasda_core::Currency;
use rust_decimal::Decimal;

use crate::text;
use crate::view::{LinesView, ReceiptView, RevenueLineView};
use crate::{Kind, RowError};

#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnSpec {
    pub name: &'static str,
    pub required: bool,
}

const fn req(name: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        required: true,
    }
}

const fn opt(name: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        required: false,
    }
}

pub(crate) mod receipt_col {
    pub const NTPD: usize = 0;
    pub const KODE_BILLING: usize = 1;
    pub const NTB: usize = 2;
    pub const NOP: usize = 3;
    pub const NPWPD: usize = 4;
    pub const NAMA: usize = 5;
    pub const JENIS: usize = 6;
    pub const KODE: usize = 7;
    pub const MASA: usize = 8;
    pub const TAHUN: usize = 9;
    pub const POKOK: usize = 10;
    pub const DENDA: usize = 11;
    pub const TOTAL: usize = 12;
    pub const CHANNEL: usize = 13;
    pub const BANK: usize = 14;
    pub const REKENING: usize = 15;
    pub const DIBAYAR: usize = 16;
    pub const ZONA: usize = 17;
    pub const SETTLEMENT: usize = 18;
    pub const STATUS: usize = 19;
    pub const MEMBATALKAN: usize = 20;
    pub const OPD: usize = 21;
}

pub(crate) const RECEIPT_COLUMNS: [ColumnSpec; 22] = [
    req("ntpd"),
    opt("kode_billing"),
    opt("ntb"),
    opt("nop"),
    opt("npwpd"),
    opt("nama_wajib_pajak"),
    opt("jenis_pajak"),
    req("kode_rekening"),
    opt("masa_pajak"),
    opt("tahun_pajak"),
    req("pokok"),
    opt("denda"),
    req("total"),
    req("channel"),
    opt("bank"),
    opt("rekening"),
    req("dibayar_pada"),
    opt("zona"),
    opt("tanggal_settlement"),
    opt("status"),
    opt("membatalkan_ntpd"),
    opt("opd"),
];

pub(crate) mod sts_col {
    pub const NOMOR: usize = 0;
    pub const OPD: usize = 1;
    pub const BENDAHARA: usize = 2;
    pub const TANGGAL: usize = 3;
    pub const REKENING: usize = 4;
    pub const KODE: usize = 5;
    pub const TOTAL: usize = 6;
    pub const TBP_DARI: usize = 7;
    pub const TBP_SAMPAI: usize = 8;
    pub const NOMOR_TBP: usize = 9;
}

pub(crate) const STS_COLUMNS: [ColumnSpec; 10] = [
    req("nomor_sts"),
    req("opd"),
    opt("bendahara"),
    req("tanggal"),
    req("rekening"),
    req("kode_rekening"),
    req("total"),
    opt("tbp_dari"),
    opt("tbp_sampai"),
    opt("nomor_tbp"),
];

pub(crate) mod sp2d_col {
    pub const NOMOR: usize = 0;
    pub const TANGGAL: usize = 1;
    pub const OPD: usize = 2;
    pub const JENIS: usize = 3;
    pub const KODE: usize = 4;
    pub const BRUTO: usize = 5;
    pub const POTONGAN: usize = 6;
    pub const NETTO: usize = 7;
    pub const NAMA_PENERIMA: usize = 8;
    pub const BANK_PENERIMA: usize = 9;
    pub const REKENING_PENERIMA: usize = 10;
    pub const REKENING: usize = 11;
}

pub(crate) const SP2D_COLUMNS: [ColumnSpec; 12] = [
    req("nomor_sp2d"),
    req("tanggal"),
    req("opd"),
    req("jenis"),
    opt("kode_rekening"),
    req("bruto"),
    opt("potongan"),
    req("netto"),
    req("nama_penerima"),
    opt("bank_penerima"),
    opt("rekening_penerima"),
    req("rekening"),
];

pub(crate) mod bku_col {
    pub const PEMILIK: usize = 0;
    pub const OPD: usize = 1;
    pub const NOMOR: usize = 2;
    pub const TANGGAL: usize = 3;
    pub const NOMOR_BUKTI: usize = 4;
    pub const URAIAN: usize = 5;
    pub const KODE: usize = 6;
    pub const PENERIMAAN: usize = 7;
    pub const PENGELUARAN: usize = 8;
    pub const REKENING: usize = 9;
    pub const SALDO: usize = 10;
}

pub(crate) const BKU_COLUMNS: [ColumnSpec; 11] = [
    req("pemilik"),
    opt("opd"),
    req("nomor"),
    req("tanggal"),
    opt("nomor_bukti"),
    req("uraian"),
    opt("kode_rekening"),
    opt("penerimaan"),
    opt("pengeluaran"),
    opt("rekening"),
    opt("saldo"),
];

pub(crate) fn spec(kind: Kind) -> &'static [ColumnSpec] {
    match kind {
        Kind::Receipts => &RECEIPT_COLUMNS,
        Kind::Sts => &STS_COLUMNS,
        Kind::Sp2d => &SP2D_COLUMNS,
        Kind::Bku => &BKU_COLUMNS,
    }
}

/// Header cell → comparable name: trimmed, lower case, spaces and `-` as `_`, BOM dropped.
pub(crate) fn normalize_name(cell: &str) -> String {
    cell.trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Kind from normalized header names.
pub(crate) fn detect_from_names(names: &[String]) -> Option<Kind> {
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("ntpd") && has("pokok") {
        Some(Kind::Receipts)
    } else if has("nomor_sts") {
        Some(Kind::Sts)
    } else if has("nomor_sp2d") {
        Some(Kind::Sp2d)
    } else if has("pemilik") && has("uraian") {
        Some(Kind::Bku)
    } else {
        None
    }
}

/// Maps each spec column to its position in the file. Unknown columns are ignored; a missing
/// required column or a known column given twice is a header problem (all are listed).
pub(crate) fn map_header(kind: Kind, names: &[String]) -> Result<Vec<Option<usize>>, String> {
    let spec = spec(kind);
    let mut map: Vec<Option<usize>> = vec![None; spec.len()];
    let mut problems = Vec::new();
    for (pos, name) in names.iter().enumerate() {
        if let Some(i) = spec.iter().position(|c| c.name == name) {
            match map[i] {
                Some(first) => problems.push(format!(
                    "column {name:?} appears twice (positions {} and {}); expected it once",
                    first + 1,
                    pos + 1
                )),
                None => map[i] = Some(pos),
            }
        }
    }
    for (i, c) in spec.iter().enumerate() {
        if c.required && map[i].is_none() {
            problems.push(format!(
                "missing required column {:?} (see schema/documents/{}.csv.md)",
                c.name,
                kind.as_str()
            ));
        }
    }
    if problems.is_empty() {
        Ok(map)
    } else {
        Err(problems.join("; "))
    }
}

/// A row of text cells, addressed by position in the file.
pub(crate) trait Cells {
    fn cell(&self, pos: usize) -> Option<Cow<'_, str>>;

    /// The cell when it can be borrowed as it is (the fast path of [`Cells::cell`]); `None`
    /// means "ask `cell`".
    fn text(&self, _pos: usize) -> Option<&str> {
        None
    }
}

/// `str::trim`, skipping the Unicode scan when both ends are visible ASCII (nearly every cell).
#[inline]
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn trim_cow(c: Cow<'_, str>) -> Cow<'_, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(trim(s)),
        Cow::Owned(s) => {
            let t = s.trim();
            if t.len() == s.len() {
                Cow::Owned(s)
            } else {
                Cow::Owned(t.to_string())
            }
        }
    }
}

/// Reads typed values out of one row, recording every problem (the row goes on being read so
/// that all of its problems are reported at once).
pub(crate) struct RowReader<'c, 'e, C: Cells> {
    pub cells: &'c C,
    pub map: &'c [Option<usize>],
    pub spec: &'static [ColumnSpec],
    pub row: u64,
    pub number_format: NumberFormat,
    pub errors: &'e mut Vec<RowError>,
}

impl<'c, C: Cells> RowReader<'c, '_, C> {
    fn name(&self, col: usize) -> &'static str {
        self.spec.get(col).map(|c| c.name).unwrap_or("?")
    }

    fn err(&mut self, col: usize, expected: impl Into<String>, found: &str) {
        let name = self.name(col);
        self.errors
            .push(RowError::new(self.row, name, expected, found));
    }

    #[inline(always)]
    fn raw(&self, col: usize) -> Cow<'c, str> {
        let Some(pos) = self.map.get(col).copied().flatten() else {
            return Cow::Borrowed("");
        };
        if let Some(text) = self.cells.text(pos) {
            return Cow::Borrowed(trim(text));
        }
        self.cells
            .cell(pos)
            .map(trim_cow)
            .unwrap_or(Cow::Borrowed(""))
    }

    fn opt_text(&mut self, col: usize) -> Option<String> {
        let v = self.raw(col);
        (!v.is_empty()).then(|| v.into_owned())
    }

    fn opt_cow(&mut self, col: usize) -> Option<Cow<'c, str>> {
        let v = self.raw(col);
        (!v.is_empty()).then_some(v)
    }

    fn req_cow(&mut self, col: usize) -> Cow<'c, str> {
        let v = self.raw(col);
        if v.is_empty() {
            self.err(col, "a value (required column)", "");
        }
        v
    }

    fn req_text(&mut self, col: usize) -> String {
        let v = self.raw(col);
        if v.is_empty() {
            self.err(col, "a value (required column)", "");
        }
        v.into_owned()
    }

    fn amount(&mut self, col: usize, required: bool) -> Option<Decimal> {
        let v = self.raw(col);
        if v.is_empty() {
            if required {
                self.err(col, "an amount (required column)", "");
            }
            return None;
        }
        if self.number_format == NumberFormat::Plain {
            // The common plain amount without allocating; the same value `parse_in` gives.
            if let Some(a) = kasda_core::money::parse_plain_digits(&v, 2) {
                return Some(a);
            }
        }
        match parse_in(&v, self.number_format, Currency::IDR) {
            Ok(a) => Some(a),
            Err(e) => {
                self.err(col, e.to_string(), &v);
                None
            }
        }
    }

    fn signed_amount(&mut self, col: usize) -> Option<Decimal> {
        let v = self.raw(col);
        if v.is_empty() {
            return None;
        }
        match parse_signed(&v, self.number_format, Currency::IDR.scale()) {
            Ok(a) => Some(a),
            Err(e) => {
                self.err(col, e.to_string(), &v);
                None
            }
        }
    }

    fn date(&mut self, col: usize, required: bool) -> Option<NaiveDate> {
        let v = self.raw(col);
        if v.is_empty() {
            if required {
                self.err(col, "a date YYYY-MM-DD (required column)", "");
            }
            return None;
        }
        let d = text::parse_date(&v);
        if d.is_none() {
            self.err(col, "a date YYYY-MM-DD (or DD/MM/YYYY)", &v);
        }
        d
    }

    fn int<T: std::str::FromStr>(&mut self, col: usize, required: bool, what: &str) -> Option<T> {
        let v = self.raw(col);
        if v.is_empty() {
            if required {
                self.err(col, format!("{what} (required column)"), "");
            }
            return None;
        }
        let parsed = if v.bytes().all(|c| c.is_ascii_digit()) && v.len() <= 18 {
            v.parse::<T>().ok()
        } else {
            None
        };
        if parsed.is_none() {
            self.err(col, what.to_string(), &v);
        }
        parsed
    }

    /// `kode=amount;kode=amount`, or one bare key taking `whole`.
    fn keyed(
        &mut self,
        col: usize,
        required: bool,
        bare_takes_whole: bool,
        whole: Option<Decimal>,
        what: &str,
    ) -> Option<Vec<(String, Decimal)>> {
        let v = self.raw(col);
        let items = self.keyed_items(col, &v, required, bare_takes_whole, whole, what)?;
        Some(items.into_iter().map(|(k, a)| (k.to_string(), a)).collect())
    }

    /// The receipt breakdown, borrowed from the cell where it can be.
    fn keyed_lines(&mut self, col: usize, whole: Option<Decimal>) -> Option<LinesView<'c>> {
        let v = self.raw(col);
        if !v.is_empty() && !v.bytes().any(|b| b == b';' || b == b'=') {
            // The common single-code cell, without building a list.
            return whole.map(|amount| {
                LinesView::One(RevenueLineView {
                    kode_rekening: v,
                    amount,
                })
            });
        }
        let pack = |items: Vec<RevenueLineView<'c>>| match <[_; 1]>::try_from(items) {
            Ok([one]) => LinesView::One(one),
            Err(many) => LinesView::Many(many),
        };
        match v {
            Cow::Borrowed(cell) => {
                let items = self.keyed_items(col, cell, true, true, whole, "kode rekening")?;
                Some(pack(
                    items
                        .into_iter()
                        .map(|(k, amount)| RevenueLineView {
                            kode_rekening: Cow::Borrowed(k),
                            amount,
                        })
                        .collect(),
                ))
            }
            Cow::Owned(cell) => {
                let items = self.keyed_items(col, &cell, true, true, whole, "kode rekening")?;
                Some(pack(
                    items
                        .into_iter()
                        .map(|(k, amount)| RevenueLineView {
                            kode_rekening: Cow::Owned(k.to_string()),
                            amount,
                        })
                        .collect(),
                ))
            }
        }
    }

    fn keyed_items<'s>(
        &mut self,
        col: usize,
        v: &'s str,
        required: bool,
        bare_takes_whole: bool,
        whole: Option<Decimal>,
        what: &str,
    ) -> Option<Vec<(&'s str, Decimal)>> {
        if bare_takes_whole && !v.is_empty() && !v.bytes().any(|b| b == b';' || b == b'=') {
            return whole.map(|w| vec![(v, w)]);
        }
        let Some(items) = text::split_list(v) else {
            self.err(col, format!("at most {} items", text::MAX_LIST_ITEMS), v);
            return None;
        };
        if items.is_empty() {
            if required {
                self.err(col, format!("{what} (required column)"), "");
                return None;
            }
            return Some(Vec::new());
        }
        if bare_takes_whole && items.len() == 1 && !items[0].contains('=') {
            // A single code takes the whole amount; if that amount is bad it is reported on its
            // own column.
            return whole.map(|w| vec![(items[0], w)]);
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match item.split_once('=') {
                Some((k, a)) if !k.trim().is_empty() => {
                    let a = a.trim();
                    let parsed = match self.number_format {
                        NumberFormat::Plain => kasda_core::money::parse_plain_digits(a, 2).map(Ok),
                        _ => None,
                    }
                    .unwrap_or_else(|| parse_in(a, self.number_format, Currency::IDR));
                    match parsed {
                        Ok(amount) => out.push((k.trim(), amount)),
                        Err(e) => {
                            self.err(col, format!("{what}: {e}"), item);
                            ok = false;
                        }
                    }
                }
                _ => {
                    self.err(col, format!("{what} as key=amount separated by ';'"), item);
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn list(&mut self, col: usize) -> Vec<String> {
        let v = self.raw(col);
        match text::split_list(&v) {
            Some(items) => items.into_iter().map(str::to_string).collect(),
            None => {
                self.err(col, format!("at most {} items", text::MAX_LIST_ITEMS), &v);
                Vec::new()
            }
        }
    }

    /// Timestamp column plus optional zone column → UTC and the zone as written.
    fn timestamp(
        &mut self,
        col: usize,
        zone_col: usize,
    ) -> Option<(DateTime<Utc>, Option<Cow<'c, str>>)> {
        let v = self.raw(col);
        let zone = self.raw(zone_col);
        if v.is_empty() {
            self.err(col, "a timestamp (required column)", "");
            return None;
        }
        let Some(stamp) = text::parse_timestamp(&v) else {
            self.err(
                col,
                "a timestamp like 2026-03-02T10:15:00+07:00 or 2026-03-02 10:15:00",
                &v,
            );
            return None;
        };
        let zone_offset = if zone.is_empty() {
            None
        } else {
            match text::zone_offset(&zone) {
                Some(o) => Some(o),
                None => {
                    self.err(zone_col, "WIB, WITA or WIT", &zone);
                    return None;
                }
            }
        };
        let (offset, written) = match (stamp.offset_seconds, zone_offset) {
            (Some(o), Some(z)) if o != z => {
                self.err(
                    zone_col,
                    format!(
                        "a zone agreeing with the offset {} in dibayar_pada",
                        text::format_offset(o)
                    ),
                    &zone,
                );
                return None;
            }
            (_, Some(z)) => {
                let upper = if zone.bytes().any(|b| b.is_ascii_lowercase()) {
                    Cow::Owned(zone.to_ascii_uppercase())
                } else {
                    zone
                };
                (z, Some(upper))
            }
            (Some(0), None) => (0, None),
            (Some(o), None) => (o, Some(offset_text(o))),
            (None, None) => {
                self.err(
                    zone_col,
                    "WIB, WITA or WIT (dibayar_pada has no UTC offset)",
                    "",
                );
                return None;
            }
        };
        match text::to_utc(stamp.local, offset) {
            Some(t) => Some((t, written)),
            None => {
                self.err(col, "a timestamp within the supported range", &v);
                None
            }
        }
    }
}

/// `+07:00` for an offset in seconds; the three Indonesian offsets without allocating.
fn offset_text(offset_seconds: i32) -> Cow<'static, str> {
    match offset_seconds {
        25_200 => Cow::Borrowed("+07:00"),
        28_800 => Cow::Borrowed("+08:00"),
        32_400 => Cow::Borrowed("+09:00"),
        o => Cow::Owned(text::format_offset(o)),
    }
}

/// The channel whose name is exactly `s` (lower case, as [`Channel::as_str`] writes it).
fn exact_channel(s: &str) -> Option<Channel> {
    Some(match s {
        "teller" => Channel::Teller,
        "atm" => Channel::Atm,
        "mobile" => Channel::Mobile,
        "internet" => Channel::Internet,
        "qris" => Channel::Qris,
        "ecommerce" => Channel::Ecommerce,
        "post_office" => Channel::PostOffice,
        "retail" => Channel::Retail,
        "virtual_account" => Channel::VirtualAccount,
        "other" => Channel::Other,
        _ => return None,
    })
}

pub(crate) fn receipt<C: Cells>(r: &mut RowReader<'_, '_, C>) -> Option<Receipt> {
    receipt_view(r).map(|v| v.to_receipt())
}

/// A receipt borrowed from the row's cells (see [`ReceiptView`]).
pub(crate) fn receipt_view<'c, C: Cells>(r: &mut RowReader<'c, '_, C>) -> Option<ReceiptView<'c>> {
    use receipt_col as c;
    let start = r.errors.len();
    let ntpd = r.req_cow(c::NTPD);
    let pokok = r.amount(c::POKOK, true);
    let denda = r.amount(c::DENDA, false);
    let total = r.amount(c::TOTAL, true);
    let lines = r.keyed_lines(c::KODE, total);
    let masa_pajak = r.int::<u32>(c::MASA, false, "a month number 1-12");
    let tahun_pajak = r.int::<i32>(c::TAHUN, false, "a year like 2026");
    let channel_text = r.raw(c::CHANNEL);
    // Exact lower-case names first: Channel::parse allocates, and this runs once per row.
    let channel = exact_channel(&channel_text).or_else(|| Channel::parse(&channel_text));
    if channel.is_none() {
        r.err(
            c::CHANNEL,
            "one of teller, atm, mobile, internet, qris, ecommerce, post_office, retail, virtual_account, other",
            &channel_text,
        );
    }
    let paid = r.timestamp(c::DIBAYAR, c::ZONA);
    let settlement_date = r.date(c::SETTLEMENT, false);
    let status_text = r.raw(c::STATUS);
    let is = |names: &[&str]| names.iter().any(|n| status_text.eq_ignore_ascii_case(n));
    let status = if status_text.is_empty() || is(&["paid", "lunas", "bayar"]) {
        Some(ReceiptStatus::Paid)
    } else if is(&["reversed", "reversal", "batal", "dibatalkan"]) {
        Some(ReceiptStatus::Reversed)
    } else {
        r.err(c::STATUS, "paid or reversed (lunas / batal)", &status_text);
        None
    };
    let (paid_at, paid_zone) = paid?;
    let receipt = ReceiptView {
        ntpd,
        kode_billing: r.opt_cow(c::KODE_BILLING),
        ntb: r.opt_cow(c::NTB),
        nop: r.opt_cow(c::NOP),
        npwpd: r.opt_cow(c::NPWPD),
        taxpayer_name: r.opt_cow(c::NAMA),
        jenis_pajak: r.opt_cow(c::JENIS),
        lines: lines?,
        masa_pajak,
        tahun_pajak,
        pokok: pokok?,
        denda: denda.unwrap_or(Decimal::ZERO),
        total: total?,
        channel: channel?,
        bank: r.opt_cow(c::BANK),
        account: r.opt_cow(c::REKENING),
        paid_at,
        paid_zone,
        settlement_date,
        status: status?,
        reverses_ntpd: r.opt_cow(c::MEMBATALKAN),
        opd: r.opt_cow(c::OPD),
    };
    if r.errors.len() == start {
        Some(receipt)
    } else {
        None
    }
}

fn revenue_lines(pairs: Vec<(String, Decimal)>) -> Vec<RevenueLine> {
    pairs
        .into_iter()
        .map(|(kode_rekening, amount)| RevenueLine {
            kode_rekening,
            amount,
        })
        .collect()
}

pub(crate) fn sts<C: Cells>(r: &mut RowReader<'_, '_, C>) -> Option<Sts> {
    use sts_col as c;
    let start = r.errors.len();
    let number = r.req_text(c::NOMOR);
    let opd = r.req_text(c::OPD);
    let date = r.date(c::TANGGAL, true);
    let account = r.req_text(c::REKENING);
    let total = r.amount(c::TOTAL, true);
    let lines = r.keyed(c::KODE, true, true, total, "kode rekening");
    let collected_from = r.date(c::TBP_DARI, false);
    let collected_to = r.date(c::TBP_SAMPAI, false);
    let tbp_numbers = r.list(c::NOMOR_TBP);
    let sts = Sts {
        number,
        opd,
        bendahara: r.opt_text(c::BENDAHARA),
        date: date?,
        account,
        lines: revenue_lines(lines?),
        total: total?,
        collected_from,
        collected_to,
        tbp_numbers,
    };
    (r.errors.len() == start).then_some(sts)
}

pub(crate) fn sp2d<C: Cells>(r: &mut RowReader<'_, '_, C>) -> Option<Sp2d> {
    use sp2d_col as c;
    let start = r.errors.len();
    let number = r.req_text(c::NOMOR);
    let date = r.date(c::TANGGAL, true);
    let opd = r.req_text(c::OPD);
    let type_text = r.raw(c::JENIS);
    let sp2d_type = Sp2dType::parse(&type_text);
    if sp2d_type.is_none() {
        r.err(c::JENIS, "LS, GU, UP or TU", &type_text);
    }
    let gross = r.amount(c::BRUTO, true);
    let deductions = r.keyed(c::POTONGAN, false, false, None, "deduction");
    let net = r.amount(c::NETTO, true);
    let beneficiary_name = r.req_text(c::NAMA_PENERIMA);
    let account = r.req_text(c::REKENING);
    let sp2d = Sp2d {
        number,
        date: date?,
        opd,
        sp2d_type: sp2d_type?,
        kode_rekening: r.opt_text(c::KODE),
        gross: gross?,
        deductions: deductions?
            .into_iter()
            .map(|(kind, amount)| Deduction { kind, amount })
            .collect(),
        net: net?,
        beneficiary_name,
        beneficiary_bank: r.opt_text(c::BANK_PENERIMA),
        beneficiary_account: r.opt_text(c::REKENING_PENERIMA),
        account,
    };
    (r.errors.len() == start).then_some(sp2d)
}

pub(crate) fn bku<C: Cells>(r: &mut RowReader<'_, '_, C>) -> Option<BkuLine> {
    use bku_col as c;
    let start = r.errors.len();
    let owner_text = r.raw(c::PEMILIK);
    let owner = match normalize_name(&owner_text).as_str() {
        "bud" | "kuasa_bud" => Some(BkuOwner::Bud),
        "bendahara_penerimaan" | "bp" | "bendahara_penerimaan_pembantu" => {
            let opd = r.raw(c::OPD);
            if opd.is_empty() {
                r.err(c::OPD, "the OPD of the bendahara penerimaan", "");
                None
            } else {
                Some(BkuOwner::BendaharaPenerimaan(opd.into_owned()))
            }
        }
        _ => {
            r.err(c::PEMILIK, "bud or bendahara_penerimaan", &owner_text);
            None
        }
    };
    let number = r.int::<u64>(c::NOMOR, true, "a line number 1 or more");
    let date = r.date(c::TANGGAL, true);
    let credit = r.amount(c::PENERIMAAN, false).filter(|a| !a.is_zero());
    let debit = r.amount(c::PENGELUARAN, false).filter(|a| !a.is_zero());
    let (amount, direction) = match (credit, debit) {
        (Some(a), None) => (Some(a), Direction::Credit),
        (None, Some(a)) => (Some(a), Direction::Debit),
        (Some(_), Some(_)) => {
            let both = format!("{} and {}", r.raw(c::PENERIMAAN), r.raw(c::PENGELUARAN));
            r.err(
                c::PENGELUARAN,
                "exactly one of penerimaan / pengeluaran",
                &both,
            );
            (None, Direction::Credit)
        }
        (None, None) => {
            let reported = r.errors[start..]
                .iter()
                .any(|e| e.column == "penerimaan" || e.column == "pengeluaran");
            if !reported {
                r.err(
                    c::PENERIMAAN,
                    "a non-zero amount in penerimaan or pengeluaran",
                    "",
                );
            }
            (None, Direction::Credit)
        }
    };
    let description = r.req_text(c::URAIAN);
    let balance_after = r.signed_amount(c::SALDO);
    let line = BkuLine {
        owner: owner?,
        number: number?,
        date: date?,
        document: r.opt_text(c::NOMOR_BUKTI),
        description,
        kode_rekening: r.opt_text(c::KODE),
        amount: amount?,
        direction,
        account: r.opt_text(c::REKENING),
        balance_after,
    };
    (r.errors.len() == start).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_channel_names_are_the_written_names() {
        for c in Channel::ALL {
            assert_eq!(exact_channel(c.as_str()), Some(c));
            assert_eq!(exact_channel(&c.as_str().to_ascii_uppercase()), None);
            assert_eq!(exact_channel(&format!("{} ", c.as_str())), None);
        }
        assert_eq!(exact_channel(""), None);
        assert_eq!(exact_channel("bank"), None);
    }
}
