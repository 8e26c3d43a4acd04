//! A receipt borrowed from the row it was read from: the hot path of a receipts CSV parses and
//! validates this view and builds an owned [`Receipt`] only when the caller keeps documents.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::{Channel, Receipt, ReceiptStatus, RevenueLine};
use rust_decimal::Decimal;

/// One kode rekening line of a [`ReceiptView`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevenueLineView<'a> {
    pub kode_rekening: Cow<'a, str>,
    pub amount: Decimal,
}

/// The breakdown of a [`ReceiptView`]: one line (the common case, kept inline) or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinesView<'a> {
    One(RevenueLineView<'a>),
    Many(Vec<RevenueLineView<'a>>),
}

impl<'a> LinesView<'a> {
    /// The lines in file order.
    pub fn as_slice(&self) -> &[RevenueLineView<'a>] {
        match self {
            LinesView::One(l) => std::slice::from_ref(l),
            LinesView::Many(v) => v,
        }
    }
}

/// A receipt whose text fields borrow the row they came from (owned only where a cell had to be
/// decoded from Windows-1252 or rewritten, e.g. a zone name in lower case). Field meanings are
/// those of [`Receipt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView<'a> {
    pub ntpd: Cow<'a, str>,
    pub kode_billing: Option<Cow<'a, str>>,
    pub ntb: Option<Cow<'a, str>>,
    /// As written; [`ReceiptView::to_receipt`] stores the 18 bare digits.
    pub nop: Option<Cow<'a, str>>,
    pub npwpd: Option<Cow<'a, str>>,
    pub taxpayer_name: Option<Cow<'a, str>>,
    pub jenis_pajak: Option<Cow<'a, str>>,
    pub lines: LinesView<'a>,
    pub masa_pajak: Option<u32>,
    pub tahun_pajak: Option<i32>,
    pub pokok: Decimal,
    pub denda: Decimal,
    pub total: Decimal,
    pub channel: Channel,
    pub bank: Option<Cow<'a, str>>,
    pub account: Option<Cow<'a, str>>,
    pub paid_at: DateTime<Utc>,
    pub paid_zone: Option<Cow<'a, str>>,
    pub settlement_date: Option<NaiveDate>,
    pub status: ReceiptStatus,
    pub reverses_ntpd: Option<Cow<'a, str>>,
    pub opd: Option<Cow<'a, str>>,
}

fn owned(c: &Option<Cow<'_, str>>) -> Option<String> {
    c.as_deref().map(str::to_string)
}

fn borrowed(s: &Option<String>) -> Option<Cow<'_, str>> {
    s.as_deref().map(Cow::Borrowed)
}

impl<'a> ReceiptView<'a> {
    /// The owned receipt, with the NOP as its 18 digits when it was written punctuated.
    pub fn to_receipt(&self) -> Receipt {
        Receipt {
            ntpd: self.ntpd.to_string(),
            kode_billing: owned(&self.kode_billing),
            ntb: owned(&self.ntb),
            nop: self
                .nop
                .as_deref()
                .map(|n| crate::text::normalize_nop(n).unwrap_or_else(|| n.to_string())),
            npwpd: owned(&self.npwpd),
            taxpayer_name: owned(&self.taxpayer_name),
            jenis_pajak: owned(&self.jenis_pajak),
            lines: self
                .lines
                .as_slice()
                .iter()
                .map(|l| RevenueLine {
                    kode_rekening: l.kode_rekening.to_string(),
                    amount: l.amount,
                })
                .collect(),
            masa_pajak: self.masa_pajak,
            tahun_pajak: self.tahun_pajak,
            pokok: self.pokok,
            denda: self.denda,
            total: self.total,
            channel: self.channel,
            bank: owned(&self.bank),
            account: owned(&self.account),
            paid_at: self.paid_at,
            paid_zone: owned(&self.paid_zone),
            settlement_date: self.settlement_date,
            status: self.status,
            reverses_ntpd: owned(&self.reverses_ntpd),
            opd: owned(&self.opd),
        }
    }

    /// A view of an owned receipt (for checking receipts that did not come from CSV).
    pub fn of(r: &'a Receipt) -> ReceiptView<'a> {
        let lines = match r.lines.as_slice() {
            [one] => LinesView::One(RevenueLineView {
                kode_rekening: Cow::Borrowed(&one.kode_rekening),
                amount: one.amount,
            }),
            many => LinesView::Many(
                many.iter()
                    .map(|l| RevenueLineView {
                        kode_rekening: Cow::Borrowed(&l.kode_rekening),
                        amount: l.amount,
                    })
                    .collect(),
            ),
        };
        ReceiptView {
            ntpd: Cow::Borrowed(&r.ntpd),
            kode_billing: borrowed(&r.kode_billing),
            ntb: borrowed(&r.ntb),
            nop: borrowed(&r.nop),
            npwpd: borrowed(&r.npwpd),
            taxpayer_name: borrowed(&r.taxpayer_name),
            jenis_pajak: borrowed(&r.jenis_pajak),
            lines,
            masa_pajak: r.masa_pajak,
            tahun_pajak: r.tahun_pajak,
            pokok: r.pokok,
            denda: r.denda,
            total: r.total,
            channel: r.channel,
            bank: borrowed(&r.bank),
            account: borrowed(&r.account),
            paid_at: r.paid_at,
            paid_zone: borrowed(&r.paid_zone),
            settlement_date: r.settlement_date,
            status: r.status,
            reverses_ntpd: borrowed(&r.reverses_ntpd),
            opd: borrowed(&r.opd),
        }
    }
}
