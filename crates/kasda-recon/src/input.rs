//! What recon reads: statement lines, statement headers, government documents and the matches
//! already in the ledger. Plain data; the caller loads it from a store or from files.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kasda_core::document::{BkuLine, Channel, Receipt, ReceiptStatus, RevenueLine, Sp2d, Sts};
use kasda_core::money::Direction;
use kasda_core::statement::{EntryStatus, Statement};
use kasda_store::ReconReceipt;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable string that many facts of a run share — an account number, a statement id, a
/// bank name, a time zone — held once and pointed at (16 bytes per fact instead of a 24-byte
/// `String` and its own heap block). Build them through an [`Interner`] so equal values share.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr(Arc::from(s))
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr(Arc::from(s))
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SharedStr::from)
    }
}

/// Hands out one [`SharedStr`] per distinct value, so the facts of a run that repeat a value
/// (every line of an account names it) share a single copy.
#[derive(Debug, Default)]
pub struct Interner {
    seen: HashSet<SharedStr>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> SharedStr {
        if let Some(v) = self.seen.get(s) {
            return v.clone();
        }
        let v = SharedStr::from(s);
        self.seen.insert(v.clone());
        v
    }

    pub fn intern_opt(&mut self, s: Option<&str>) -> Option<SharedStr> {
        s.map(|s| self.intern(s))
    }
}

/// One bank statement line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Stable natural key of the line (the ledger entry's natural key).
    pub id: String,
    pub account: SharedStr,
    pub booking_date: NaiveDate,
    pub value_date: NaiveDate,
    /// Non-negative; the sign lives in `direction`.
    pub amount: Decimal,
    pub direction: Direction,
    pub reversal: bool,
    pub status: EntryStatus,
    /// References and remittance text, in source order.
    pub texts: Vec<String>,
    /// Counterparty account number (debtor of a credit, creditor of a debit).
    pub counterparty: Option<Box<str>>,
    pub counterparty_name: Option<Box<str>>,
    /// The bank's own reference (camt `AcctSvcrRef`, MT940 `//`, CSV journal no.).
    pub bank_ref: Option<Box<str>>,
    /// Statement the line was read from (same id as [`StatementHeader::statement_id`]).
    pub statement_id: Option<SharedStr>,
    /// Position of the line within its statement.
    pub seq: u32,
}

impl Line {
    /// What an explanation quotes to point at the line: the bank's own reference, else its
    /// first text.
    pub fn narrative(&self) -> Option<&str> {
        self.bank_ref
            .as_deref()
            .or_else(|| self.texts.first().map(String::as_str))
    }

    /// Builds a line from a statement entry. Entries without a direction or a date carry no
    /// money movement recon can use and give `None`.
    pub fn from_entry(
        id: impl Into<String>,
        account: impl Into<SharedStr>,
        statement_id: Option<SharedStr>,
        entry: &kasda_core::statement::Entry,
    ) -> Option<Line> {
        let direction = entry.direction?;
        let booking_date = entry.booking_date.or(entry.value_date)?;
        Some(Line {
            id: id.into(),
            account: account.into(),
            booking_date,
            value_date: entry.value_date.unwrap_or(booking_date),
            amount: entry.amount,
            direction,
            reversal: entry.reversal,
            status: entry.status,
            texts: entry.texts().map(str::to_string).collect(),
            counterparty: entry
                .counterparty
                .account
                .clone()
                .or_else(|| entry.counterparty.iban.clone())
                .map(Into::into),
            counterparty_name: entry.counterparty.name.as_deref().map(Into::into),
            bank_ref: entry.refs.account_servicer.as_deref().map(Into::into),
            statement_id,
            seq: entry.pos.index,
        })
    }
}

/// Balances and sequence of one statement, for continuity checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementHeader {
    /// Unique per statement (e.g. `<file sha256>:<index>`); lines point at it.
    pub statement_id: String,
    pub account: String,
    /// Electronic sequence / MT940 statement number, as written.
    pub sequence: Option<String>,
    pub page: Option<u32>,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub opening: Option<Decimal>,
    pub closing: Option<Decimal>,
    /// File name or other human handle for explanations.
    pub source: String,
}

impl StatementHeader {
    /// Header of a read statement; `None` when the statement names no account.
    pub fn from_statement(
        statement_id: impl Into<String>,
        source: impl Into<String>,
        st: &Statement,
    ) -> Option<Self> {
        let account = st.account.key()?.to_string();
        let dates = st
            .entries
            .iter()
            .filter_map(|e| e.booking_date.or(e.value_date));
        let (mut lo, mut hi): (Option<NaiveDate>, Option<NaiveDate>) = (None, None);
        for d in dates {
            lo = Some(lo.map_or(d, |x| x.min(d)));
            hi = Some(hi.map_or(d, |x| x.max(d)));
        }
        let from_date = st
            .from
            .map(|t| t.date())
            .or(st.opening().and_then(|b| b.date))
            .or(lo);
        let to_date = st
            .to
            .map(|t| t.date())
            .or(st.closing().and_then(|b| b.date))
            .or(hi);
        Some(StatementHeader {
            statement_id: statement_id.into(),
            account,
            sequence: st.electronic_seq.clone(),
            page: st.page,
            from_date,
            to_date,
            opening: st.opening().map(|b| b.amount),
            closing: st.closing().map(|b| b.amount),
            source: source.into(),
        })
    }
}

/// What recon reads of a receipt: the fields of [`Receipt`] that matching and findings use,
/// with the values many receipts repeat (bank, landing account, zone, tax kind) shared. The
/// taxpayer's name and NPWPD, the pokok/denda split and the OPD are left out: recon never reads
/// them, and at a million receipts they cost more than the rest. Built from a [`Receipt`]
/// ([`ReceiptFacts::from_receipt`]) by the loader as each one is read, so the full documents
/// of a period never sit in memory together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptFacts {
    /// NTPD, kode billing, NTB, NOP and the reversed NTPD, in one allocation
    /// ([`ReceiptFacts::ntpd`] and the other accessors); serialised as five fields.
    #[serde(flatten)]
    refs: ReceiptRefs,
    pub jenis_pajak: Option<SharedStr>,
    /// Breakdown per kode rekening, as written.
    pub revenue: RevenueSplit,
    pub masa_pajak: Option<u32>,
    pub tahun_pajak: Option<i32>,
    pub total: Decimal,
    pub channel: Channel,
    pub bank: Option<SharedStr>,
    pub account: Option<SharedStr>,
    pub paid_at: DateTime<Utc>,
    pub paid_zone: Option<SharedStr>,
    pub settlement_date: Option<NaiveDate>,
    pub status: ReceiptStatus,
}

/// A receipt's own references back to back in one string: at a million receipts, one
/// allocation and 40 bytes each instead of up to five allocations and 80 bytes.
#[derive(Clone, PartialEq, Eq)]
struct ReceiptRefs {
    text: Box<str>,
    /// Where each reference ends in `text` (an absent one ends where the one before it does).
    ends: [u32; ReceiptRefs::N],
    /// Bit `k` set when reference `k` is present.
    present: u8,
}

impl ReceiptRefs {
    const N: usize = 5;
    const NTPD: usize = 0;
    const KODE_BILLING: usize = 1;
    const NTB: usize = 2;
    const NOP: usize = 3;
    const REVERSES_NTPD: usize = 4;

    /// The references in this order: NTPD, kode billing, NTB, NOP, reversed NTPD. Offsets
    /// past 4 GiB (no receipt's references come near) are held at 4 GiB: such a reference
    /// would read as absent, never as another's text.
    fn new(parts: [Option<&str>; Self::N]) -> Self {
        let len: usize = parts.iter().flatten().map(|p| p.len()).sum();
        let mut text = String::with_capacity(len);
        let mut ends = [0u32; Self::N];
        let mut present = 0u8;
        for (k, part) in parts.iter().enumerate() {
            if let Some(p) = part {
                text.push_str(p);
                present |= 1 << k;
            }
            ends[k] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        ReceiptRefs {
            text: text.into_boxed_str(),
            ends,
            present,
        }
    }

    fn get(&self, k: usize) -> Option<&str> {
        if self.present & (1 << k) == 0 {
            return None;
        }
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        if start == u32::MAX {
            return None;
        }
        self.text.get(start as usize..self.ends[k] as usize)
    }
}

impl fmt::Debug for ReceiptRefs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries((0..Self::N).map(|k| self.get(k)))
            .finish()
    }
}

/// [`ReceiptRefs`] as serialised: a field each, named as in [`Receipt`].
#[derive(Serialize, Deserialize)]
struct ReceiptRefsRepr<S> {
    ntpd: S,
    kode_billing: Option<S>,
    ntb: Option<S>,
    nop: Option<S>,
    reverses_ntpd: Option<S>,
}

impl Serialize for ReceiptRefs {
    fn serialize<Z: Serializer>(&self, s: Z) -> Result<Z::Ok, Z::Error> {
        ReceiptRefsRepr {
            ntpd: self.get(Self::NTPD).unwrap_or_default(),
            kode_billing: self.get(Self::KODE_BILLING),
            ntb: self.get(Self::NTB),
            nop: self.get(Self::NOP),
            reverses_ntpd: self.get(Self::REVERSES_NTPD),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ReceiptRefs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = ReceiptRefsRepr::<String>::deserialize(d)?;
        Ok(ReceiptRefs::new([
            Some(r.ntpd.as_str()),
            r.kode_billing.as_deref(),
            r.ntb.as_deref(),
            r.nop.as_deref(),
            r.reverses_ntpd.as_deref(),
        ]))
    }
}

/// A receipt's breakdown per kode rekening ([`Receipt::lines`]). Nearly every receipt has one
/// line for its whole total: that one is kept as the shared code alone, with no allocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RevenueSplit {
    /// One line of this kode rekening, for exactly the receipt's total (same digits and scale).
    Whole(SharedStr),
    /// Any other breakdown, as written.
    Lines(Box<[RevenueLine]>),
}

impl RevenueSplit {
    fn of(lines: Vec<RevenueLine>, total: Decimal, names: &mut Interner) -> Self {
        match lines.as_slice() {
            [one] if one.amount.serialize() == total.serialize() => {
                RevenueSplit::Whole(names.intern(&one.kode_rekening))
            }
            _ => RevenueSplit::Lines(lines.into_boxed_slice()),
        }
    }

    /// Kode rekening of the first line, if any.
    pub fn first_kode(&self) -> Option<&str> {
        match self {
            RevenueSplit::Whole(k) => Some(k.as_str()),
            RevenueSplit::Lines(l) => l.first().map(|l| l.kode_rekening.as_str()),
        }
    }
}

impl ReceiptFacts {
    /// The facts of `r`, its repeated values shared through `names`.
    pub fn from_receipt(r: Receipt, names: &mut Interner) -> Self {
        Self::from_recon(ReconReceipt::from(r), names)
    }

    /// The facts of a receipt as a store reads it for reconciliation
    /// ([`kasda_store::Store::each_recon_receipt`]), its repeated values shared through `names`.
    pub fn from_recon(r: ReconReceipt, names: &mut Interner) -> Self {
        let refs = ReceiptRefs::new([
            Some(r.ntpd.as_str()),
            r.kode_billing.as_deref(),
            r.ntb.as_deref(),
            r.nop.as_deref(),
            r.reverses_ntpd.as_deref(),
        ]);
        ReceiptFacts {
            refs,
            jenis_pajak: names.intern_opt(r.jenis_pajak.as_deref()),
            bank: names.intern_opt(r.bank.as_deref()),
            account: names.intern_opt(r.account.as_deref()),
            paid_zone: names.intern_opt(r.paid_zone.as_deref()),
            revenue: RevenueSplit::of(r.lines, r.total, names),
            masa_pajak: r.masa_pajak,
            tahun_pajak: r.tahun_pajak,
            total: r.total,
            channel: r.channel,
            paid_at: r.paid_at,
            settlement_date: r.settlement_date,
            status: r.status,
        }
    }

    /// The receipt's NTPD.
    pub fn ntpd(&self) -> &str {
        self.refs.get(ReceiptRefs::NTPD).unwrap_or_default()
    }

    pub fn kode_billing(&self) -> Option<&str> {
        self.refs.get(ReceiptRefs::KODE_BILLING)
    }

    pub fn ntb(&self) -> Option<&str> {
        self.refs.get(ReceiptRefs::NTB)
    }

    pub fn nop(&self) -> Option<&str> {
        self.refs.get(ReceiptRefs::NOP)
    }

    /// For a reversal record: the NTPD of the receipt it cancels.
    pub fn reverses_ntpd(&self) -> Option<&str> {
        self.refs.get(ReceiptRefs::REVERSES_NTPD)
    }

    /// Revenue per kode rekening the receipt brings: its lines when they add up to the total
    /// (zero lines left out), else the total under the first line's code, the tax kind, or `-`.
    pub fn revenue_lines(&self) -> Vec<RevenueLine> {
        match &self.revenue {
            RevenueSplit::Whole(_) if self.total.is_zero() => Vec::new(),
            RevenueSplit::Whole(kode) => vec![RevenueLine {
                kode_rekening: kode.to_string(),
                amount: self.total,
            }],
            RevenueSplit::Lines(lines) => {
                crate::matching::revenue_of(lines, self.total, self.jenis_pajak.as_deref())
            }
        }
    }

    /// Local business date of the payment.
    pub fn paid_local_date(&self) -> NaiveDate {
        local_date(self.paid_at, self.paid_zone.as_deref())
    }
}

impl From<Receipt> for ReceiptFacts {
    fn from(r: Receipt) -> Self {
        ReceiptFacts::from_receipt(r, &mut Interner::default())
    }
}

/// A receipt with its fact id, in either form, for [`Receipts::push`].
pub trait IntoReceiptRow {
    fn into_row(self, names: &mut Interner) -> (String, ReceiptFacts);
}

impl IntoReceiptRow for (String, ReceiptFacts) {
    fn into_row(self, _: &mut Interner) -> (String, ReceiptFacts) {
        self
    }
}

impl IntoReceiptRow for (String, Receipt) {
    fn into_row(self, names: &mut Interner) -> (String, ReceiptFacts) {
        (self.0, ReceiptFacts::from_receipt(self.1, names))
    }
}

/// The receipts of a run with their fact ids (normally `Document::natural_key`, but a row id
/// when the source holds the same NTPD twice — that is exactly what `duplicate_receipt` looks
/// for). Reads as a slice of `(id, ReceiptFacts)`; [`Receipts::push`] takes a full
/// [`Receipt`] too and keeps only its facts, sharing repeated values across receipts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Receipts {
    rows: Vec<(String, ReceiptFacts)>,
    #[serde(skip)]
    names: SharedNames,
}

/// The interner of a [`Receipts`], which takes no part in its equality or serialisation.
#[derive(Debug, Default)]
struct SharedNames(Interner);

impl Clone for SharedNames {
    fn clone(&self) -> Self {
        SharedNames::default()
    }
}

impl Receipts {
    pub fn push(&mut self, row: impl IntoReceiptRow) {
        let row = row.into_row(&mut self.names.0);
        self.rows.push(row);
    }

    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve(n);
    }

    /// Drops the spare capacity left by growing (at a million receipts, tens of MiB).
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        self.names = SharedNames::default();
    }
}

impl PartialEq for Receipts {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
    }
}

impl Deref for Receipts {
    type Target = [(String, ReceiptFacts)];
    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl std::ops::DerefMut for Receipts {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.rows
    }
}

impl<R: IntoReceiptRow> FromIterator<R> for Receipts {
    fn from_iter<I: IntoIterator<Item = R>>(iter: I) -> Self {
        let mut out = Receipts::default();
        for r in iter {
            out.push(r);
        }
        out
    }
}

impl<R: IntoReceiptRow> Extend<R> for Receipts {
    fn extend<I: IntoIterator<Item = R>>(&mut self, iter: I) {
        for r in iter {
            self.push(r);
        }
    }
}

/// Government-side documents in scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Documents {
    pub receipts: Receipts,
    pub sts: Vec<Sts>,
    pub sp2d: Vec<Sp2d>,
    pub bku: Vec<BkuLine>,
}

/// A match already recorded in the ledger. Its facts are not matched again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingMatch {
    pub natural_key: String,
    /// Ids of every line and document the match joined.
    pub fact_ids: Vec<String>,
}

impl ExistingMatch {
    /// Recovers the facts from a natural key written by `kasda_core::posting::match_key`
    /// (`match:<rule>:<id>+<id>…`). Keys shortened to a hash (`match:<rule>:<n>ids:<sha256>`)
    /// give `None`, and so do ids that themselves contain `+`: the store keeps the fact ids of
    /// its matches and should pass them as [`ExistingMatch::fact_ids`].
    pub fn from_key(natural_key: &str) -> Option<ExistingMatch> {
        let rest = natural_key.strip_prefix("match:")?;
        let (_, ids) = rest.split_once(':')?;
        if ids.is_empty() || is_hashed_ids(ids) {
            return None;
        }
        Some(ExistingMatch {
            natural_key: natural_key.to_string(),
            fact_ids: ids.split('+').map(str::to_string).collect(),
        })
    }

    /// Rule part of the key (`reference`, `batch`, `sweep.recon`, …).
    pub fn rule_id(&self) -> Option<&str> {
        let rest = self.natural_key.strip_prefix("match:")?;
        rest.split_once(':').map(|(r, _)| r)
    }
}

fn is_hashed_ids(ids: &str) -> bool {
    match ids.split_once("ids:") {
        Some((n, hash)) => {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Everything one reconciliation run looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconInput {
    /// The date the run reasons about; recon never reads the clock.
    pub as_of: NaiveDate,
    /// Period the statements are expected to cover, when the caller knows it.
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub lines: Vec<Line>,
    pub statements: Vec<StatementHeader>,
    pub documents: Documents,
    pub existing: Vec<ExistingMatch>,
}

impl ReconInput {
    pub fn new(as_of: NaiveDate) -> Self {
        ReconInput {
            as_of,
            period: None,
            lines: Vec::new(),
            statements: Vec::new(),
            documents: Documents::default(),
            existing: Vec::new(),
        }
    }
}

/// Fact id of an STS.
pub fn sts_id(s: &Sts) -> String {
    format!("sts:{}", s.number)
}

/// Fact id of an SP2D.
pub fn sp2d_id(s: &Sp2d) -> String {
    format!("sp2d:{}", s.number)
}

/// UTC offset of a receipt's source zone (`WIB`, `WITA`, `WIT`, `+07:00`); WIB when unknown,
/// because bank cores stamp WIB everywhere (DOMAIN.md §9).
pub fn zone_offset(zone: Option<&str>) -> FixedOffset {
    let wib = hours_east(7);
    let Some(z) = zone.map(str::trim) else {
        return wib;
    };
    for (name, hours) in [("WIB", 7), ("WITA", 8), ("WIT", 9), ("UTC", 0), ("Z", 0)] {
        if z.eq_ignore_ascii_case(name) {
            return hours_east(hours);
        }
    }
    // ±HH:MM or ±HHMM
    let (sign, rest) = match z.as_bytes().first() {
        Some(b'+') => (1, &z[1..]),
        Some(b'-') => (-1, &z[1..]),
        _ => return wib,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 && digits.len() != 2 {
        return wib;
    }
    let hours: i32 = digits[..2].parse().unwrap_or(7);
    let minutes: i32 = if digits.len() == 4 {
        digits[2..].parse().unwrap_or(0)
    } else {
        0
    };
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).unwrap_or(wib)
}

fn hours_east(hours: i32) -> FixedOffset {
    // Only called with constants between 0 and 9, all valid offsets.
    FixedOffset::east_opt(hours * 3600).expect("offset of a few hours is valid")
}

/// Local business date of a receipt's payment.
pub fn paid_local_date(r: &Receipt) -> NaiveDate {
    local_date(r.paid_at, r.paid_zone.as_deref())
}

fn local_date(at: DateTime<Utc>, zone: Option<&str>) -> NaiveDate {
    at.with_timezone(&zone_offset(zone)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_references_read_back_present_empty_or_absent() {
        let (_, mut r) = crate::workload::scale_receipt(7);
        r.kode_billing = Some(String::new());
        r.nop = None;
        r.reverses_ntpd = Some("3673000000000006".into());
        let facts = ReceiptFacts::from(r.clone());
        assert_eq!(facts.ntpd(), r.ntpd);
        assert_eq!(facts.kode_billing(), Some(""));
        assert_eq!(facts.ntb(), r.ntb.as_deref());
        assert_eq!(facts.nop(), None);
        assert_eq!(facts.reverses_ntpd(), Some("3673000000000006"));

        // Serialised with a field per reference, as a receipt names them, and read back equal.
        let json = serde_json::to_value(&facts).expect("serialise");
        assert_eq!(json["ntpd"], r.ntpd.as_str());
        assert_eq!(json["kode_billing"], "");
        assert_eq!(json["ntb"], r.ntb.as_deref().unwrap_or_default());
        assert!(json["nop"].is_null());
        assert_eq!(json["reverses_ntpd"], "3673000000000006");
        assert_eq!(json["total"], serde_json::to_value(r.total).expect("total"));
        let back: ReceiptFacts = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, facts);
    }
}
