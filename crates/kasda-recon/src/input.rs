//! What recon reads: statement lines, statement headers, government documents and the matches
//! already in the ledger. Plain data; the caller loads it from a store or from files.

use chrono::{FixedOffset, NaiveDate};
use kasda_core::document::{BkuLine, Receipt, Sp2d, Sts};
use kasda_core::money::Direction;
use kasda_core::statement::{EntryStatus, Statement};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One bank statement line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// Stable natural key of the line (the ledger entry's natural key).
    pub id: String,
    pub account: String,
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
    pub statement_id: Option<String>,
    /// Position of the line within its statement.
    pub seq: u32,
}

impl Line {
    /// Builds a line from a statement entry. Entries without a direction or a date carry no
    /// money movement recon can use and give `None`.
    pub fn from_entry(
        id: impl Into<String>,
        account: impl Into<String>,
        statement_id: Option<String>,
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

/// Government-side documents in scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Documents {
    /// Receipts with their fact id (normally `Document::natural_key`, but a row id when the
    /// source holds the same NTPD twice — that is exactly what `duplicate_receipt` looks for).
    pub receipts: Vec<(String, Receipt)>,
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
    r.paid_at
        .with_timezone(&zone_offset(r.paid_zone.as_deref()))
        .date_naive()
}
