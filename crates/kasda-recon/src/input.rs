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
    pub counterparty: Option<String>,
    pub counterparty_name: Option<String>,
    /// The bank's own reference (camt `AcctSvcrRef`, MT940 `//`, CSV journal no.).
    pub bank_ref: Option<String>,
    /// Statement the line was read from (same id as [`StatementHeader::statement_id`]).
    pub statement_id: Option<SharedStr>,
    /// Position of the line within its statement.
    pub seq: u32,
}

impl Line {
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
                .or_else(|| entry.counterparty.iban.clone()),
            counterparty_name: entry.counterparty.name.clone(),
            bank_ref: entry.refs.account_servicer.clone(),
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
    pub ntpd: Box<str>,
    pub kode_billing: Option<Box<str>>,
    pub ntb: Option<Box<str>>,
    pub nop: Option<Box<str>>,
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
    pub reverses_ntpd: Option<Box<str>>,
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
        ReceiptFacts {
            jenis_pajak: names.intern_opt(r.jenis_pajak.as_deref()),
            bank: names.intern_opt(r.bank.as_deref()),
            account: names.intern_opt(r.account.as_deref()),
            paid_zone: names.intern_opt(r.paid_zone.as_deref()),
            revenue: RevenueSplit::of(r.lines, r.total, names),
            ntpd: r.ntpd.into(),
            kode_billing: r.kode_billing.map(Into::into),
            ntb: r.ntb.map(Into::into),
            nop: r.nop.map(Into::into),
            masa_pajak: r.masa_pajak,
            tahun_pajak: r.tahun_pajak,
            total: r.total,
            channel: r.channel,
            paid_at: r.paid_at,
            settlement_date: r.settlement_date,
            status: r.status,
            reverses_ntpd: r.reverses_ntpd.map(Into::into),
        }
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
