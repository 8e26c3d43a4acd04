//! Hand-written JSON Lines and CSV encoders for receipts, the one document kind with volume
//! (a province writes ~200,000 a day).
//!
//! They produce exactly the bytes of `serde_json` of `Document::Receipt` and of
//! `kasda_documents::write_csv` (the reader's own writer) — the tests below hold them to that
//! byte for byte — without the per-field allocations of the generic paths.

use std::io::Write;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use kasda_core::document::{Channel, Receipt, ReceiptStatus, RevenueLine};
use rust_decimal::Decimal;

/// A receipt as the encoders see it: every text borrowed, so the generator can write the
/// day's ~200,000 receipts from reusable buffers without building a [`Receipt`] (a dozen owned
/// strings) for each. [`ReceiptRow::of`] views an owned receipt the same way.
#[derive(Debug, Clone, Copy)]
pub struct ReceiptRow<'a> {
    pub ntpd: &'a str,
    pub kode_billing: Option<&'a str>,
    pub ntb: Option<&'a str>,
    pub nop: Option<&'a str>,
    pub npwpd: Option<&'a str>,
    pub taxpayer_name: Option<&'a str>,
    pub jenis_pajak: Option<&'a str>,
    pub lines: Lines<'a>,
    pub masa_pajak: Option<u32>,
    pub tahun_pajak: Option<i32>,
    pub pokok: Decimal,
    pub denda: Decimal,
    pub total: Decimal,
    pub channel: Channel,
    pub bank: Option<&'a str>,
    pub account: Option<&'a str>,
    /// `paid_at` in UTC.
    pub paid_at: NaiveDateTime,
    pub paid_zone: Option<&'a str>,
    pub settlement_date: Option<NaiveDate>,
    pub status: ReceiptStatus,
    pub reverses_ntpd: Option<&'a str>,
    pub opd: Option<&'a str>,
}

/// Revenue lines of a [`ReceiptRow`]: the generator's single line, or an owned receipt's list.
#[derive(Debug, Clone, Copy)]
pub enum Lines<'a> {
    One {
        kode_rekening: &'a str,
        amount: Decimal,
    },
    // Rows viewed from owned receipts (the byte-equality tests against serde).
    #[cfg_attr(not(test), allow(dead_code))]
    Many(&'a [RevenueLine]),
}

impl Lines<'_> {
    fn for_each(&self, mut f: impl FnMut(usize, &str, Decimal)) {
        match *self {
            Lines::One {
                kode_rekening,
                amount,
            } => f(0, kode_rekening, amount),
            Lines::Many(list) => {
                for (i, l) in list.iter().enumerate() {
                    f(i, &l.kode_rekening, l.amount);
                }
            }
        }
    }
}

impl<'a> ReceiptRow<'a> {
    /// Views an owned receipt.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn of(r: &'a Receipt) -> ReceiptRow<'a> {
        ReceiptRow {
            ntpd: &r.ntpd,
            kode_billing: r.kode_billing.as_deref(),
            ntb: r.ntb.as_deref(),
            nop: r.nop.as_deref(),
            npwpd: r.npwpd.as_deref(),
            taxpayer_name: r.taxpayer_name.as_deref(),
            jenis_pajak: r.jenis_pajak.as_deref(),
            lines: Lines::Many(&r.lines),
            masa_pajak: r.masa_pajak,
            tahun_pajak: r.tahun_pajak,
            pokok: r.pokok,
            denda: r.denda,
            total: r.total,
            channel: r.channel,
            bank: r.bank.as_deref(),
            account: r.account.as_deref(),
            paid_at: r.paid_at.naive_utc(),
            paid_zone: r.paid_zone.as_deref(),
            settlement_date: r.settlement_date,
            status: r.status,
            reverses_ntpd: r.reverses_ntpd.as_deref(),
            opd: r.opd.as_deref(),
        }
    }

    /// The owned receipt (for the generic writers).
    pub fn to_receipt(self) -> Receipt {
        let own = |s: Option<&str>| s.map(str::to_string);
        let mut lines = Vec::new();
        self.lines.for_each(|_, k, a| {
            lines.push(RevenueLine {
                kode_rekening: k.to_string(),
                amount: a,
            })
        });
        Receipt {
            ntpd: self.ntpd.to_string(),
            kode_billing: own(self.kode_billing),
            ntb: own(self.ntb),
            nop: own(self.nop),
            npwpd: own(self.npwpd),
            taxpayer_name: own(self.taxpayer_name),
            jenis_pajak: own(self.jenis_pajak),
            lines,
            masa_pajak: self.masa_pajak,
            tahun_pajak: self.tahun_pajak,
            pokok: self.pokok,
            denda: self.denda,
            total: self.total,
            channel: self.channel,
            bank: own(self.bank),
            account: own(self.account),
            paid_at: DateTime::<Utc>::from_naive_utc_and_offset(self.paid_at, Utc),
            paid_zone: own(self.paid_zone),
            settlement_date: self.settlement_date,
            status: self.status,
            reverses_ntpd: own(self.reverses_ntpd),
            opd: own(self.opd),
        }
    }
}

/// Appends `s` as a JSON string (quotes included), escaping as `serde_json` does.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Names, numbers and codes almost never need escaping: copy them whole.
    if !crate::text::has_special(bytes, true, [b'"', b'\\']) {
        out.reserve(bytes.len() + 1);
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                let _ = write!(out, "\\u{:04x}", b);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn json_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Decimal as `rust_decimal`'s `Display` writes it (what `serde-with-str` emits). The
/// generator's amounts are non-negative with scale 2, written from integer sen directly.
fn dec(out: &mut Vec<u8>, d: Decimal) {
    match i64::try_from(d.mantissa()) {
        Ok(sen) if d.scale() == 2 && sen >= 0 => {
            let _ = crate::stmt::write_amount(out, sen, b'.', None);
        }
        _ => {
            let _ = write!(out, "{d}");
        }
    }
}

fn two(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10 % 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

/// Appends `n` in decimal (the core's digit writer, shared with the hash chain's encoding).
pub use kasda_core::digits::push_u64 as uint;

/// Appends `n` as `format!("{n}")` would.
use kasda_core::digits::push_i64 as int;

/// The last few dates written, as text: a day's receipts carry a handful of distinct dates
/// (payment day in UTC and WIB, settlement days), and chrono's month and day of a date are
/// worth computing once, not four times a receipt.
#[derive(Debug, Default)]
pub struct Memo {
    dates: [Option<(NaiveDate, [u8; 10])>; 4],
    next: usize,
}

impl Memo {
    /// [`date`] of `d`, from the memo when it was written lately.
    fn date(&mut self, out: &mut Vec<u8>, d: NaiveDate) {
        for (seen, text) in self.dates.iter().flatten() {
            if *seen == d {
                out.extend_from_slice(text);
                return;
            }
        }
        let start = out.len();
        date(out, d);
        if let Ok(text) = <[u8; 10]>::try_from(&out[start..]) {
            self.dates[self.next] = Some((d, text));
            self.next = (self.next + 1) % self.dates.len();
        }
    }
}

/// The text of a receipt's total, kept to write its equal amounts (the line's amount, and the
/// pokok when there is no denda) by copying.
struct Total {
    value: Decimal,
    text: [u8; 40],
    len: usize,
}

impl Total {
    fn of(total: Decimal) -> Total {
        let mut text = [0u8; 40];
        let mut len = usize::MAX;
        if let (Ok(sen), 2, false) = (
            i64::try_from(total.mantissa()),
            total.scale(),
            total.is_sign_negative(),
        ) {
            let mut rest: &mut [u8] = &mut text;
            if crate::stmt::write_amount(&mut rest, sen, b'.', None).is_ok() {
                len = 40 - rest.len();
            }
        }
        Total {
            value: total,
            text,
            len,
        }
    }

    /// `dec(out, d)`, by copy when `d` is the total (same value and scale, so same text).
    fn dec(&self, out: &mut Vec<u8>, d: Decimal) {
        if self.len <= 40 && d == self.value && d.scale() == self.value.scale() {
            out.extend_from_slice(&self.text[..self.len]);
        } else {
            dec(out, d);
        }
    }
}

/// `YYYY-MM-DD` for years 1000–9999 (others through chrono).
pub fn date(out: &mut Vec<u8>, d: NaiveDate) {
    let y = d.year();
    if (1000..=9999).contains(&y) {
        let y = y as u32;
        two(out, y / 100);
        two(out, y % 100);
        out.push(b'-');
        two(out, d.month());
        out.push(b'-');
        two(out, d.day());
    } else {
        let _ = write!(out, "{d}");
    }
}

/// `YYYY-MM-DD<sep>HH:MM:SS`.
fn date_time(out: &mut Vec<u8>, t: NaiveDateTime, sep: u8, memo: &mut Memo) {
    memo.date(out, t.date());
    out.push(sep);
    two(out, t.hour());
    out.push(b':');
    two(out, t.minute());
    out.push(b':');
    two(out, t.second());
}

/// RFC 3339 as chrono serializes a `DateTime<Utc>` (`SecondsFormat::AutoSi`: no fraction, or
/// 3, 6 or 9 digits).
fn datetime_utc(out: &mut Vec<u8>, t: NaiveDateTime, z: &str, memo: &mut Memo) {
    date_time(out, t, b'T', memo);
    let n = t.nanosecond();
    if n != 0 {
        let _ = match (n % 1_000_000, n % 1_000) {
            (0, _) => write!(out, ".{:03}", n / 1_000_000),
            (_, 0) => write!(out, ".{:06}", n / 1_000),
            _ => write!(out, ".{n:09}"),
        };
    }
    out.extend_from_slice(z.as_bytes());
}

/// One JSON line (without the newline) equal to `serde_json::to_string(&Document::Receipt(r))`.
#[cfg(test)]
pub fn receipt_json(out: &mut Vec<u8>, r: &Receipt) {
    receipt_row_json(out, &ReceiptRow::of(r));
}

/// [`receipt_json`] of a borrowed row.
#[cfg(test)]
pub fn receipt_row_json(out: &mut Vec<u8>, r: &ReceiptRow<'_>) {
    receipt_row_json_memo(out, r, &mut Memo::default());
}

/// [`receipt_row_json`] with dates from (and into) `memo`.
pub fn receipt_row_json_memo(out: &mut Vec<u8>, r: &ReceiptRow<'_>, memo: &mut Memo) {
    let total = Total::of(r.total);
    out.extend_from_slice(b"{\"kind\":\"receipt\",\"ntpd\":");
    json_str(out, r.ntpd);
    out.extend_from_slice(b",\"kode_billing\":");
    json_opt(out, r.kode_billing);
    out.extend_from_slice(b",\"ntb\":");
    json_opt(out, r.ntb);
    out.extend_from_slice(b",\"nop\":");
    json_opt(out, r.nop);
    out.extend_from_slice(b",\"npwpd\":");
    json_opt(out, r.npwpd);
    out.extend_from_slice(b",\"taxpayer_name\":");
    json_opt(out, r.taxpayer_name);
    out.extend_from_slice(b",\"jenis_pajak\":");
    json_opt(out, r.jenis_pajak);
    out.extend_from_slice(b",\"lines\":");
    out.push(b'[');
    r.lines.for_each(|i, kode, amount| {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"kode_rekening\":");
        json_str(out, kode);
        out.extend_from_slice(b",\"amount\":\"");
        total.dec(out, amount);
        out.extend_from_slice(b"\"}");
    });
    out.push(b']');
    out.extend_from_slice(b",\"masa_pajak\":");
    match r.masa_pajak {
        Some(m) => uint(out, u64::from(m)),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"tahun_pajak\":");
    match r.tahun_pajak {
        Some(y) => int(out, i64::from(y)),
        None => out.extend_from_slice(b"null"),
    }
    for (k, v) in [
        (&b",\"pokok\":\""[..], r.pokok),
        (b",\"denda\":\"", r.denda),
        (b",\"total\":\"", r.total),
    ] {
        out.extend_from_slice(k);
        total.dec(out, v);
        out.push(b'"');
    }
    out.extend_from_slice(b",\"channel\":");
    json_str(out, r.channel.as_str());
    out.extend_from_slice(b",\"bank\":");
    json_opt(out, r.bank);
    out.extend_from_slice(b",\"account\":");
    json_opt(out, r.account);
    out.extend_from_slice(b",\"paid_at\":");
    out.push(b'"');
    datetime_utc(out, r.paid_at, "Z", memo);
    out.push(b'"');
    out.extend_from_slice(b",\"paid_zone\":");
    json_opt(out, r.paid_zone);
    out.extend_from_slice(b",\"settlement_date\":");
    match r.settlement_date {
        Some(d) => {
            out.push(b'"');
            memo.date(out, d);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"status\":");
    out.extend_from_slice(match r.status {
        ReceiptStatus::Paid => b"\"paid\"",
        ReceiptStatus::Reversed => b"\"reversed\"",
    });
    out.extend_from_slice(b",\"reverses_ntpd\":");
    json_opt(out, r.reverses_ntpd);
    out.extend_from_slice(b",\"opd\":");
    json_opt(out, r.opd);
    out.push(b'}');
}

/// A CSV cell as the `csv` crate writes it with `,`: quoted only when it holds `,`, `"`, CR or
/// LF, with `"` doubled.
fn cell(out: &mut Vec<u8>, s: &str) {
    if crate::text::has_special(s.as_bytes(), false, [b',', b'"', b'\n', b'\r']) {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

fn cell_opt(out: &mut Vec<u8>, s: Option<&str>) {
    if let Some(s) = s {
        cell(out, s);
    }
}

/// Plain two-decimal amount, as `kasda_core::money::format_amount(.., Plain, 2)`.
fn amount(out: &mut Vec<u8>, d: Decimal) {
    if d.scale() == 2 && !d.is_sign_negative() {
        return dec(out, d);
    }
    let mut x = d;
    x.rescale(2.max(x.scale()));
    let _ = write!(out, "{x}");
}

/// The record (with its `\n`) `kasda_documents::write_csv` writes for `r` in a `,` file, for
/// receipts whose `paid_zone` is `WIB` (what the generator writes). Returns `false` (writing
/// nothing) for any other zone, so the caller can fall back to the generic writer.
#[cfg(test)]
pub fn receipt_csv(out: &mut Vec<u8>, r: &Receipt) -> bool {
    receipt_row_csv(out, &ReceiptRow::of(r))
}

/// [`receipt_csv`] of a borrowed row.
#[cfg(test)]
pub fn receipt_row_csv(out: &mut Vec<u8>, r: &ReceiptRow<'_>) -> bool {
    receipt_row_csv_memo(out, r, &mut Memo::default())
}

/// [`receipt_row_csv`] with dates from (and into) `memo`.
pub fn receipt_row_csv_memo(out: &mut Vec<u8>, r: &ReceiptRow<'_>, memo: &mut Memo) -> bool {
    if r.paid_zone != Some("WIB") {
        return false;
    }
    let total = Total::of(r.total);
    cell(out, r.ntpd);
    for v in [
        r.kode_billing,
        r.ntb,
        r.nop,
        r.npwpd,
        r.taxpayer_name,
        r.jenis_pajak,
    ] {
        out.push(b',');
        cell_opt(out, v);
    }
    out.push(b',');
    match r.lines {
        Lines::One {
            kode_rekening,
            amount,
        } if amount == r.total => cell(out, kode_rekening),
        Lines::Many([one]) if one.amount == r.total => cell(out, &one.kode_rekening),
        lines => {
            let mut text = Vec::new();
            lines.for_each(|i, kode, a| {
                if i > 0 {
                    text.push(b';');
                }
                text.extend_from_slice(kode.as_bytes());
                text.push(b'=');
                amount(&mut text, a);
            });
            cell(out, &String::from_utf8_lossy(&text));
        }
    }
    out.push(b',');
    if let Some(m) = r.masa_pajak {
        uint(out, u64::from(m));
    }
    out.push(b',');
    if let Some(y) = r.tahun_pajak {
        int(out, i64::from(y));
    }
    for v in [r.pokok, r.denda, r.total] {
        out.push(b',');
        if v.scale() == 2 && !v.is_sign_negative() {
            total.dec(out, v);
        } else {
            amount(out, v);
        }
    }
    out.push(b',');
    out.extend_from_slice(r.channel.as_str().as_bytes());
    out.push(b',');
    cell_opt(out, r.bank);
    out.push(b',');
    cell_opt(out, r.account);
    out.push(b',');
    let local = r.paid_at + Duration::hours(7);
    date_time(out, local, b' ', memo);
    if local.nanosecond() != 0 {
        let frac = format!("{:09}", local.nanosecond());
        out.push(b'.');
        out.extend_from_slice(frac.trim_end_matches('0').as_bytes());
    }
    out.extend_from_slice(b",WIB,");
    if let Some(d) = r.settlement_date {
        memo.date(out, d);
    }
    out.push(b',');
    out.extend_from_slice(match r.status {
        ReceiptStatus::Paid => b"paid",
        ReceiptStatus::Reversed => b"reversed",
    });
    out.push(b',');
    cell_opt(out, r.reverses_ntpd);
    out.push(b',');
    cell_opt(out, r.opd);
    out.push(b'\n');
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasda_core::document::Document;
    use kasda_documents::Kind;

    fn sample() -> Vec<Receipt> {
        let base = Receipt {
            ntpd: "367326010500000001".into(),
            kode_billing: Some("3673010001001000100126".into()),
            ntb: Some("260105000001".into()),
            nop: Some("367301000100100010".into()),
            npwpd: None,
            taxpayer_name: Some("SITI AMINAH".into()),
            jenis_pajak: Some("PBB-P2".into()),
            lines: vec![RevenueLine {
                kode_rekening: "4.1.01.15.01.0001".into(),
                amount: Decimal::new(130_589_100, 2),
            }],
            masa_pajak: None,
            tahun_pajak: Some(2021),
            pokok: Decimal::new(88_235_900, 2),
            denda: Decimal::new(42_353_200, 2),
            total: Decimal::new(130_589_100, 2),
            channel: Channel::Qris,
            bank: Some("Bank Banten".into()),
            account: Some("1010010000001".into()),
            paid_at: "2026-01-04T17:26:39Z".parse::<DateTime<Utc>>().unwrap(),
            paid_zone: Some("WIB".into()),
            settlement_date: NaiveDate::from_ymd_opt(2026, 1, 5),
            status: ReceiptStatus::Paid,
            reverses_ntpd: None,
            opd: Some("BAPENDA".into()),
        };
        let mut odd = base.clone();
        odd.taxpayer_name = Some("RM \"SARI\", CABANG\\2\tA\u{1}".into());
        odd.kode_billing = None;
        odd.nop = None;
        odd.npwpd = Some("P.3.0000123.01.003".into());
        odd.masa_pajak = Some(12);
        odd.settlement_date = None;
        odd.status = ReceiptStatus::Reversed;
        odd.reverses_ntpd = Some(base.ntpd.clone());
        odd.channel = Channel::PostOffice;
        odd.paid_at = "2026-12-31T16:59:59.250Z".parse::<DateTime<Utc>>().unwrap();
        odd.lines = vec![
            RevenueLine {
                kode_rekening: "4.1.01.19.01.0001".into(),
                amount: Decimal::new(100_000_000, 2),
            },
            RevenueLine {
                kode_rekening: "4.1.01.20.01.0001".into(),
                amount: Decimal::new(30_589_100, 2),
            },
        ];
        let mut whole = base.clone();
        whole.pokok = Decimal::from(15_000);
        whole.denda = Decimal::ZERO;
        whole.total = Decimal::from(15_000);
        whole.lines[0].amount = Decimal::from(15_000);
        vec![base, odd, whole]
    }

    #[test]
    fn json_equals_serde() {
        for r in sample() {
            let mut mine = Vec::new();
            receipt_json(&mut mine, &r);
            let theirs = serde_json::to_string(&Document::Receipt(r)).unwrap();
            assert_eq!(String::from_utf8(mine).unwrap(), theirs);
        }
    }

    #[test]
    fn csv_equals_the_documents_writer() {
        let docs: Vec<Document> = sample().into_iter().map(Document::Receipt).collect();
        let mut theirs = Vec::new();
        kasda_documents::write_csv(Kind::Receipts, &docs, &mut theirs).unwrap();
        let mut mine = Kind::Receipts.columns().join(",").into_bytes();
        mine.push(b'\n');
        for d in &docs {
            let Document::Receipt(r) = d else {
                unreachable!()
            };
            assert!(receipt_csv(&mut mine, r));
        }
        assert_eq!(
            String::from_utf8(mine).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
        let mut other = sample().remove(0);
        other.paid_zone = Some("WITA".into());
        assert!(!receipt_csv(&mut Vec::new(), &other));
    }
}
