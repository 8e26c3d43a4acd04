//! Government-side documents: what the pemda says it collected and paid.
//!
//! Receipts come from host-to-host payment channels (NTPD issued by the pemda host, NTB by the
//! bank), STS are the bendahara penerimaan's deposit slips, SP2D the Kuasa BUD's disbursement
//! orders and BKU lines the cash books. `kasda-documents` reads them from CSV, JSON Lines and
//! XLSX and validates them; the field names here are the JSON names of `schema/documents/`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Direction;

/// Payment channel of a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Teller,
    Atm,
    Mobile,
    Internet,
    Qris,
    Ecommerce,
    PostOffice,
    Retail,
    VirtualAccount,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 10] = [
        Channel::Teller,
        Channel::Atm,
        Channel::Mobile,
        Channel::Internet,
        Channel::Qris,
        Channel::Ecommerce,
        Channel::PostOffice,
        Channel::Retail,
        Channel::VirtualAccount,
        Channel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Teller => "teller",
            Channel::Atm => "atm",
            Channel::Mobile => "mobile",
            Channel::Internet => "internet",
            Channel::Qris => "qris",
            Channel::Ecommerce => "ecommerce",
            Channel::PostOffice => "post_office",
            Channel::Retail => "retail",
            Channel::VirtualAccount => "virtual_account",
            Channel::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .or(match s.as_str() {
                "pos" | "kantor_pos" => Some(Channel::PostOffice),
                "va" => Some(Channel::VirtualAccount),
                "minimarket" => Some(Channel::Retail),
                _ => None,
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    Paid,
    Reversed,
}

/// One kode rekening share of a receipt or STS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueLine {
    pub kode_rekening: String,
    pub amount: Decimal,
}

/// An electronic tax / retribution receipt from a payment channel.
///
/// A reversal is its own record (`status = reversed`, `reverses_ntpd` naming the original): the
/// two events are both kept, never one overwriting the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub ntpd: String,
    pub kode_billing: Option<String>,
    pub ntb: Option<String>,
    pub nop: Option<String>,
    pub npwpd: Option<String>,
    pub taxpayer_name: Option<String>,
    pub jenis_pajak: Option<String>,
    /// Breakdown per kode rekening; sums to `total`. One line for most receipts.
    pub lines: Vec<RevenueLine>,
    /// Masa pajak (month 1–12) when the tax is monthly.
    pub masa_pajak: Option<u32>,
    pub tahun_pajak: Option<i32>,
    pub pokok: Decimal,
    pub denda: Decimal,
    pub total: Decimal,
    pub channel: Channel,
    /// Collecting bank (name or BI code).
    pub bank: Option<String>,
    /// Account the money lands in: an RKUD or a holding account number.
    pub account: Option<String>,
    pub paid_at: DateTime<Utc>,
    /// Source time zone as written (`WIB`, `WITA`, `WIT` or `+07:00`), kept for display.
    pub paid_zone: Option<String>,
    pub settlement_date: Option<NaiveDate>,
    pub status: ReceiptStatus,
    pub reverses_ntpd: Option<String>,
    pub opd: Option<String>,
}

/// Surat Tanda Setoran: a bendahara penerimaan's deposit to the RKUD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sts {
    pub number: String,
    pub opd: String,
    pub bendahara: Option<String>,
    pub date: NaiveDate,
    /// RKUD account the deposit goes to.
    pub account: String,
    pub lines: Vec<RevenueLine>,
    pub total: Decimal,
    /// Collection (TBP) dates covered; the earliest drives the late-deposit rule.
    pub collected_from: Option<NaiveDate>,
    pub collected_to: Option<NaiveDate>,
    pub tbp_numbers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sp2dType {
    #[serde(rename = "LS")]
    Ls,
    #[serde(rename = "GU")]
    Gu,
    #[serde(rename = "UP")]
    Up,
    #[serde(rename = "TU")]
    Tu,
}

impl Sp2dType {
    pub fn as_str(self) -> &'static str {
        match self {
            Sp2dType::Ls => "LS",
            Sp2dType::Gu => "GU",
            Sp2dType::Up => "UP",
            Sp2dType::Tu => "TU",
        }
    }

    pub fn parse(s: &str) -> Option<Sp2dType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "LS" => Some(Sp2dType::Ls),
            "GU" => Some(Sp2dType::Gu),
            "UP" => Some(Sp2dType::Up),
            "TU" => Some(Sp2dType::Tu),
            _ => None,
        }
    }
}

/// A deduction withheld from an SP2D (PFK: PPh, PPN, IWP, Taspen, BPJS…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deduction {
    pub kind: String,
    pub amount: Decimal,
}

/// Surat Perintah Pencairan Dana.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sp2d {
    pub number: String,
    pub date: NaiveDate,
    pub opd: String,
    pub sp2d_type: Sp2dType,
    /// Belanja kode rekening charged (for LS); `None` for UP/GU/TU advances.
    pub kode_rekening: Option<String>,
    pub gross: Decimal,
    pub deductions: Vec<Deduction>,
    /// gross − Σ deductions.
    pub net: Decimal,
    pub beneficiary_name: String,
    pub beneficiary_bank: Option<String>,
    pub beneficiary_account: Option<String>,
    /// RKUD account paid from.
    pub account: String,
}

/// Whose cash book a BKU line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "opd")]
pub enum BkuOwner {
    Bud,
    BendaharaPenerimaan(String),
}

/// One line of a Buku Kas Umum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BkuLine {
    pub owner: BkuOwner,
    /// Line number within the book (No.).
    pub number: u64,
    pub date: NaiveDate,
    /// TBP / STS / SP2D number the line is based on.
    pub document: Option<String>,
    pub description: String,
    pub kode_rekening: Option<String>,
    pub amount: Decimal,
    /// Credit = money in (penerimaan), debit = money out (penyetoran / pengeluaran).
    pub direction: Direction,
    /// Bank account the line concerns (BUD books per RKUD account).
    pub account: Option<String>,
    /// Running balance after the line, when the book shows it.
    pub balance_after: Option<Decimal>,
}

/// Any government-side document, as imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Document {
    Receipt(Receipt),
    Sts(Sts),
    Sp2d(Sp2d),
    Bku(BkuLine),
}

impl Document {
    /// Natural key that makes an import idempotent: NTPD (with `R:` for a reversal record),
    /// STS number, SP2D number, BKU owner + line number.
    pub fn natural_key(&self) -> String {
        match self {
            Document::Receipt(r) => match r.status {
                ReceiptStatus::Paid => format!("receipt:{}", r.ntpd),
                ReceiptStatus::Reversed => format!("receipt-reversal:{}", r.ntpd),
            },
            Document::Sts(s) => format!("sts:{}", s.number),
            Document::Sp2d(s) => format!("sp2d:{}", s.number),
            Document::Bku(b) => match &b.owner {
                BkuOwner::Bud => format!("bku:bud:{}:{}", b.date.format("%Y"), b.number),
                BkuOwner::BendaharaPenerimaan(opd) => {
                    format!("bku:{opd}:{}:{}", b.date.format("%Y"), b.number)
                }
            },
        }
    }
}
