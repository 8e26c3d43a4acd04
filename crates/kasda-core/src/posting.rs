//! The posting model: turning facts into balanced journal entries (architecture guide §6).
//!
//! Every fact arrives as its own entry against a *clearing account*; matching two facts is one
//! more entry that moves the amount out of the clearing accounts. What stays in a clearing
//! account is a reconciling item. The functions here are pure: same facts, same entries, so two
//! stores fed the same files build bit-identical chains.
//!
//! | fact | debit | credit |
//! |---|---|---|
//! | statement credit | kas-daerah / kas-penampungan / kas-bendahara-penerimaan [account] | penerimaan-belum-teridentifikasi [account] |
//! | statement debit | pengeluaran-belum-teridentifikasi [account] | kas [account] |
//! | receipt paid | dana-dalam-perjalanan [channel] | penerimaan-belum-masuk-rkud [kode] per line |
//! | receipt reversal | penerimaan-belum-masuk-rkud [kode] per line | dana-dalam-perjalanan [channel] |
//! | STS | kas-bendahara-penerimaan [OPD] | penerimaan-belum-masuk-rkud [kode] per line |
//! | SP2D | belanja [kode or SP2D type] | sp2d-belum-dicairkan [RKUD account] |
//! | opening balance (saldo awal, maker-checker) | kas-daerah / kas-penampungan [account] | saldo-awal-kas [account] |
//!
//! Match builders ([`match_receipts_to_credit`], [`match_sts_to_credit`],
//! [`match_sp2d_to_debits`], [`sweep`], [`fee`], [`jasa_giro`], [`bank_charge`], [`write_off`])
//! are called by reconciliation; each returns one balanced entry whose natural key is
//! `match:<rule>:<sorted ids>` (see [`match_key`]).
//!
//! Statement lines are cleared through the suspense accounts rather than directly against kas:
//! a matched credit moves the amount out of *penerimaan belum teridentifikasi*, so the net
//! effect is the guide's "Dr kas / Cr dana dalam perjalanan" while every bank line keeps its own
//! entry and the suspense account shows exactly what is still unexplained.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::document::{Channel, Document, Receipt, ReceiptStatus, RevenueLine, Sp2d, Sts};
use crate::ledger::{
    AccountKey, AccountKind, EntryKind, JournalEntry, LedgerError, Posting, MAX_ENTRY_TEXT,
};
use crate::money::{canonical, Currency, Direction};

/// What a bank account is to the pemda, as the posting model needs it. Callers derive it from
/// the configuration's account register; an account that is not registered is `Unregistered`
/// and is posted like a holding account so that its money shows (and reconciliation flags
/// `deposit_to_non_rkud_account`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum AccountRole {
    /// Rekening Kas Umum Daerah.
    Rkud,
    /// A holding (penampungan) account swept to the RKUD.
    Holding,
    /// A bendahara penerimaan's receiving account of this OPD.
    OpdReceiving { opd: String },
    /// Not in the register.
    Unregistered,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingError {
    #[error("{what}: amounts must not be negative, found {found}")]
    Negative { what: String, found: String },
    #[error("{what}: revenue lines sum to {lines} but the total is {total}")]
    LinesDoNotSumToTotal {
        what: String,
        lines: String,
        total: String,
    },
    #[error("{what}: the split sums to {split} but the amount is {amount}")]
    SplitMismatch {
        what: String,
        split: String,
        amount: String,
    },
    #[error("{what}: nothing to post (amount is zero)")]
    Zero { what: String },
    #[error("{what}: expected a kas-daerah or kas-penampungan account, found {found}")]
    NotKas { what: String, found: String },
    #[error("{what}: the occurrence counts from 1, found 0")]
    BadOccurrence { what: String },
    #[error("arithmetic overflow while summing {what}")]
    Overflow { what: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Longest bank reference kept in a statement line key; longer ones are cut (deterministically).
pub const MAX_KEY_REF: usize = 300;

/// The cash account a statement on `number` posts to.
pub fn cash_account(number: &str, role: &AccountRole) -> AccountKey {
    match role {
        AccountRole::Rkud => AccountKey::new(AccountKind::KasDaerah, number),
        AccountRole::Holding | AccountRole::Unregistered => {
            AccountKey::new(AccountKind::KasPenampungan, number)
        }
        AccountRole::OpdReceiving { opd } => {
            AccountKey::new(AccountKind::KasBendaharaPenerimaan, opd.as_str())
        }
    }
}

fn cut(s: &str, limit: usize) -> &str {
    let mut end = s.len().min(limit);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Idempotency key of a statement line:
/// `stmt:<account>:<booking date>:<bank ref or ->:<amount>:<C|D>:<occurrence>`.
///
/// `occurrence` is the 0-based index of the line among lines of the *same statement* with the
/// same account, date, reference, amount and direction. An overlapping statement sent again
/// yields the same keys (nothing is added twice) while two genuinely identical lines in one
/// statement both count.
pub fn statement_line_key(
    account: &str,
    booked_on: NaiveDate,
    bank_ref: Option<&str>,
    amount: Decimal,
    currency: Currency,
    direction: Direction,
    occurrence: u32,
) -> String {
    let r = bank_ref
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("-");
    let side = match direction {
        Direction::Credit => "C",
        Direction::Debit => "D",
    };
    format!(
        "stmt:{}:{}:{}:{}:{}:{}",
        cut(account.trim(), 100),
        booked_on.format("%Y-%m-%d"),
        cut(r, MAX_KEY_REF),
        canonical(amount, currency),
        side,
        occurrence
    )
}

fn posting(account: AccountKey, side: Direction, amount: Decimal, currency: Currency) -> Posting {
    Posting {
        account,
        side,
        amount,
        currency,
    }
}

fn memo_text(s: &str) -> String {
    cut(s, MAX_ENTRY_TEXT / 2).to_string()
}

/// The entry of one booked statement line; `None` when the amount is zero (nothing moved).
#[allow(clippy::too_many_arguments)]
pub fn post_statement_line(
    account: &str,
    role: &AccountRole,
    direction: Direction,
    amount: Decimal,
    currency: Currency,
    booked_on: NaiveDate,
    value_date: NaiveDate,
    natural_key: &str,
    position: &str,
    memo: &str,
) -> Result<Option<JournalEntry>, PostingError> {
    if amount < Decimal::ZERO {
        return Err(PostingError::Negative {
            what: format!("statement line {natural_key}"),
            found: amount.to_string(),
        });
    }
    if amount.is_zero() {
        return Ok(None);
    }
    let kas = cash_account(account, role);
    let postings = match direction {
        Direction::Credit => vec![
            posting(kas, Direction::Debit, amount, currency),
            posting(
                AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, account),
                Direction::Credit,
                amount,
                currency,
            ),
        ],
        Direction::Debit => vec![
            posting(
                AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, account),
                Direction::Debit,
                amount,
                currency,
            ),
            posting(kas, Direction::Credit, amount, currency),
        ],
    };
    Ok(Some(JournalEntry::new(
        EntryKind::StatementLine,
        booked_on,
        value_date,
        natural_key,
        position,
        memo_text(memo),
        None,
        postings,
    )?))
}

/// Parses a source zone as written on receipts (`WIB`, `WITA`, `WIT`, `+07:00`, `+0700`).
pub fn parse_zone(zone: &str) -> Option<FixedOffset> {
    let z = zone.trim().to_ascii_uppercase();
    let hours = match z.as_str() {
        "WIB" => Some(7),
        "WITA" => Some(8),
        "WIT" => Some(9),
        "UTC" | "Z" | "GMT" => Some(0),
        _ => None,
    };
    if let Some(h) = hours {
        return FixedOffset::east_opt(h * 3600);
    }
    let (sign, rest) = match z.as_bytes().first() {
        Some(b'+') => (1, &z[1..]),
        Some(b'-') => (-1, &z[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The local business date of an instant in the receipt's zone (WIB when unknown or
/// unreadable, as Indonesian bank cores stamp WIB everywhere).
pub fn business_date(at: DateTime<Utc>, zone: Option<&str>) -> NaiveDate {
    let offset = zone.and_then(parse_zone).unwrap_or(WIB);
    at.with_timezone(&offset).date_naive()
}

/// UTC+7, checked at compile time.
const WIB: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(o) => o,
    None => panic!("UTC+7 is a valid offset"),
};

/// The date a receipt belongs to: its payment time in its own zone.
pub fn receipt_business_date(r: &Receipt) -> NaiveDate {
    business_date(r.paid_at, r.paid_zone.as_deref())
}

/// The booking date of an STS: the last collection date it covers, else its own date.
pub fn sts_booked_on(s: &Sts) -> NaiveDate {
    s.collected_to.unwrap_or(s.date)
}

/// The date a document is filed under (and its entry booked on).
pub fn document_date(d: &Document) -> NaiveDate {
    match d {
        Document::Receipt(r) => receipt_business_date(r),
        Document::Sts(s) => sts_booked_on(s),
        Document::Sp2d(s) => s.date,
        Document::Bku(b) => b.date,
    }
}

/// Sums revenue lines per kode rekening (kode order), checking they are not negative and sum to
/// `total`.
fn revenue_by_kode(
    what: &str,
    lines: &[RevenueLine],
    total: Decimal,
) -> Result<BTreeMap<String, Decimal>, PostingError> {
    let mut by_kode: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut sum = Decimal::ZERO;
    for l in lines {
        if l.amount < Decimal::ZERO {
            return Err(PostingError::Negative {
                what: format!("{what} kode {}", l.kode_rekening),
                found: l.amount.to_string(),
            });
        }
        sum = sum
            .checked_add(l.amount)
            .ok_or_else(|| PostingError::Overflow {
                what: what.to_string(),
            })?;
        let slot = by_kode
            .entry(l.kode_rekening.trim().to_string())
            .or_default();
        *slot = slot
            .checked_add(l.amount)
            .ok_or_else(|| PostingError::Overflow {
                what: what.to_string(),
            })?;
    }
    if sum != total {
        return Err(PostingError::LinesDoNotSumToTotal {
            what: what.to_string(),
            lines: sum.to_string(),
            total: total.to_string(),
        });
    }
    by_kode.retain(|_, v| !v.is_zero());
    Ok(by_kode)
}

/// The entry of a receipt: paid → Dr dana-dalam-perjalanan[channel] / Cr
/// penerimaan-belum-masuk-rkud[kode] per line; a reversal record → the opposite. Its natural key
/// is the document's ([`Document::natural_key`]); `reverses` stays `None` because documents
/// have no sequence number — the `receipt-reversal:<ntpd>` key names what it undoes.
pub fn post_receipt(r: &Receipt, position: &str) -> Result<JournalEntry, PostingError> {
    let what = format!("receipt {}", r.ntpd);
    if r.total < Decimal::ZERO {
        return Err(PostingError::Negative {
            what,
            found: r.total.to_string(),
        });
    }
    if r.total.is_zero() {
        return Err(PostingError::Zero { what });
    }
    let by_kode = revenue_by_kode(&what, &r.lines, r.total)?;
    let ddp = AccountKey::new(AccountKind::DanaDalamPerjalanan, r.channel.as_str());
    let (kind, ddp_side, key) = match r.status {
        ReceiptStatus::Paid => (
            EntryKind::Receipt,
            Direction::Debit,
            format!("receipt:{}", r.ntpd),
        ),
        ReceiptStatus::Reversed => (
            EntryKind::ReceiptReversal,
            Direction::Credit,
            format!("receipt-reversal:{}", r.ntpd),
        ),
    };
    let mut postings = vec![posting(ddp, ddp_side, r.total, Currency::IDR)];
    for (kode, amount) in by_kode {
        postings.push(posting(
            AccountKey::new(AccountKind::PenerimaanBelumMasukRkud, kode),
            ddp_side.opposite(),
            amount,
            Currency::IDR,
        ));
    }
    let booked_on = receipt_business_date(r);
    let value_date = r.settlement_date.unwrap_or(booked_on);
    let memo = match (&r.reverses_ntpd, r.status) {
        (Some(orig), ReceiptStatus::Reversed) => {
            format!("reversal of NTPD {orig} via {}", r.channel.as_str())
        }
        _ => format!("NTPD {} via {}", r.ntpd, r.channel.as_str()),
    };
    Ok(JournalEntry::new(
        kind,
        booked_on,
        value_date,
        key,
        position,
        memo_text(&memo),
        None,
        postings,
    )?)
}

/// The entry of an STS: Dr kas-bendahara-penerimaan[OPD] / Cr penerimaan-belum-masuk-rkud[kode]
/// per line, booked on the last collection date covered (else the STS date).
pub fn post_sts(s: &Sts, position: &str) -> Result<JournalEntry, PostingError> {
    let what = format!("STS {}", s.number);
    if s.total.is_zero() {
        return Err(PostingError::Zero { what });
    }
    let by_kode = revenue_by_kode(&what, &s.lines, s.total)?;
    let mut postings = vec![posting(
        AccountKey::new(AccountKind::KasBendaharaPenerimaan, s.opd.as_str()),
        Direction::Debit,
        s.total,
        Currency::IDR,
    )];
    for (kode, amount) in by_kode {
        postings.push(posting(
            AccountKey::new(AccountKind::PenerimaanBelumMasukRkud, kode),
            Direction::Credit,
            amount,
            Currency::IDR,
        ));
    }
    let booked_on = sts_booked_on(s);
    Ok(JournalEntry::new(
        EntryKind::Sts,
        booked_on,
        s.date,
        format!("sts:{}", s.number),
        position,
        memo_text(&format!("STS {} OPD {}", s.number, s.opd)),
        None,
        postings,
    )?)
}

/// The entry of an SP2D: Dr belanja[kode rekening, else SP2D type] gross / Cr
/// sp2d-belum-dicairkan[RKUD account] gross.
pub fn post_sp2d(s: &Sp2d, position: &str) -> Result<JournalEntry, PostingError> {
    let what = format!("SP2D {}", s.number);
    if s.gross < Decimal::ZERO {
        return Err(PostingError::Negative {
            what,
            found: s.gross.to_string(),
        });
    }
    if s.gross.is_zero() {
        return Err(PostingError::Zero { what });
    }
    let belanja = match s
        .kode_rekening
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        Some(k) => AccountKey::new(AccountKind::Belanja, k),
        None => AccountKey::new(AccountKind::Belanja, s.sp2d_type.as_str()),
    };
    Ok(JournalEntry::new(
        EntryKind::Sp2d,
        s.date,
        s.date,
        format!("sp2d:{}", s.number),
        position,
        memo_text(&format!(
            "SP2D {} {} {}",
            s.number,
            s.sp2d_type.as_str(),
            s.beneficiary_name
        )),
        None,
        vec![
            posting(belanja, Direction::Debit, s.gross, Currency::IDR),
            posting(
                AccountKey::new(AccountKind::Sp2dBelumDicairkan, s.account.as_str()),
                Direction::Credit,
                s.gross,
                Currency::IDR,
            ),
        ],
    )?)
}

/// The entry of any document; BKU lines are the pemda's own books, compared in reconciliation
/// and not posted (`None`).
pub fn post_document(d: &Document, position: &str) -> Result<Option<JournalEntry>, PostingError> {
    match d {
        Document::Receipt(r) => post_receipt(r, position).map(Some),
        Document::Sts(s) => post_sts(s, position).map(Some),
        Document::Sp2d(s) => post_sp2d(s, position).map(Some),
        Document::Bku(_) => Ok(None),
    }
}

// ---------------------------------------------------------------------------------------------
// Match builders
// ---------------------------------------------------------------------------------------------

/// What every match entry carries: the rule that joined the facts, the natural keys of those
/// facts, the dates and a memo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchContext {
    /// Rule id, e.g. `h2h-1to1`, `h2h-bulk`, `sts`, `sp2d`, `sweep`, `manual`.
    pub rule: String,
    /// Natural keys of the joined facts (statement lines, documents).
    pub ids: Vec<String>,
    pub booked_on: NaiveDate,
    pub value_date: NaiveDate,
    pub memo: String,
}

/// `match:<rule>:<ids sorted, deduplicated, joined by '+'>`; when that would exceed the entry
/// text limit, `match:<rule>:<n>ids:<sha256 of the full id list>` (the ids then live in the
/// store's join records).
pub fn match_key(rule: &str, ids: &[String]) -> String {
    let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let rule = cut(rule.trim(), 100);
    let joined = sorted.join("+");
    let key = format!("match:{rule}:{joined}");
    if key.len() <= MAX_ENTRY_TEXT {
        return key;
    }
    let digest = hex::encode(Sha256::digest(joined.as_bytes()));
    format!("match:{rule}:{}ids:{digest}", sorted.len())
}

fn positive(what: &str, amount: Decimal) -> Result<(), PostingError> {
    if amount < Decimal::ZERO {
        return Err(PostingError::Negative {
            what: what.to_string(),
            found: amount.to_string(),
        });
    }
    if amount.is_zero() {
        return Err(PostingError::Zero {
            what: what.to_string(),
        });
    }
    Ok(())
}

fn sum_checked(
    what: &str,
    amounts: impl IntoIterator<Item = Decimal>,
) -> Result<Decimal, PostingError> {
    let mut total = Decimal::ZERO;
    for a in amounts {
        if a < Decimal::ZERO {
            return Err(PostingError::Negative {
                what: what.to_string(),
                found: a.to_string(),
            });
        }
        total = total.checked_add(a).ok_or_else(|| PostingError::Overflow {
            what: what.to_string(),
        })?;
    }
    Ok(total)
}

/// Revenue recognition legs: Dr penerimaan-belum-masuk-rkud[kode] / Cr pendapatan-lra[kode].
fn revenue_legs(
    what: &str,
    revenue: &[RevenueLine],
    out: &mut Vec<Posting>,
) -> Result<(), PostingError> {
    let total = sum_checked(what, revenue.iter().map(|l| l.amount))?;
    for (kode, amount) in revenue_by_kode(what, revenue, total)? {
        out.push(posting(
            AccountKey::new(AccountKind::PenerimaanBelumMasukRkud, kode.as_str()),
            Direction::Debit,
            amount,
            Currency::IDR,
        ));
        out.push(posting(
            AccountKey::new(AccountKind::PendapatanLra, kode),
            Direction::Credit,
            amount,
            Currency::IDR,
        ));
    }
    Ok(())
}

fn build(
    ctx: &MatchContext,
    kind: EntryKind,
    rule: &str,
    postings: Vec<Posting>,
) -> Result<JournalEntry, PostingError> {
    Ok(JournalEntry::new(
        kind,
        ctx.booked_on,
        ctx.value_date,
        match_key(rule, &ctx.ids),
        "",
        memo_text(&ctx.memo),
        None,
        postings,
    )?)
}

/// A statement credit on `account` settling receipts: Dr penerimaan-belum-teridentifikasi
/// [account] `amount` / Cr dana-dalam-perjalanan[channel] per `by_channel` (which must sum to
/// `amount`), plus revenue recognition Dr penerimaan-belum-masuk-rkud / Cr pendapatan-lra per
/// kode for `revenue`. Pass no revenue for a holding account: revenue is recognised when the
/// sweep to the RKUD is seen ([`sweep`]). A channel fee deducted from the settlement is a
/// separate [`fee`] entry.
pub fn match_receipts_to_credit(
    ctx: &MatchContext,
    account: &str,
    amount: Decimal,
    by_channel: &[(Channel, Decimal)],
    revenue: &[RevenueLine],
) -> Result<JournalEntry, PostingError> {
    let what = format!("match {}", ctx.rule);
    positive(&what, amount)?;
    let mut per_channel: BTreeMap<Channel, Decimal> = BTreeMap::new();
    for (c, a) in by_channel {
        let slot = per_channel.entry(*c).or_default();
        *slot = sum_checked(&what, [*slot, *a])?;
    }
    let split = sum_checked(&what, per_channel.values().copied())?;
    if split != amount {
        return Err(PostingError::SplitMismatch {
            what,
            split: split.to_string(),
            amount: amount.to_string(),
        });
    }
    let mut postings = vec![posting(
        AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, account),
        Direction::Debit,
        amount,
        Currency::IDR,
    )];
    for (c, a) in per_channel.into_iter().filter(|(_, a)| !a.is_zero()) {
        postings.push(posting(
            AccountKey::new(AccountKind::DanaDalamPerjalanan, c.as_str()),
            Direction::Credit,
            a,
            Currency::IDR,
        ));
    }
    revenue_legs(&what, revenue, &mut postings)?;
    build(ctx, EntryKind::Match, &ctx.rule, postings)
}

/// A statement credit on `account` matched to an STS: Dr penerimaan-belum-teridentifikasi
/// [account] / Cr kas-bendahara-penerimaan[OPD] `amount`, plus revenue recognition per kode.
pub fn match_sts_to_credit(
    ctx: &MatchContext,
    account: &str,
    amount: Decimal,
    opd: &str,
    revenue: &[RevenueLine],
) -> Result<JournalEntry, PostingError> {
    let what = format!("match {}", ctx.rule);
    positive(&what, amount)?;
    let mut postings = vec![
        posting(
            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, account),
            Direction::Debit,
            amount,
            Currency::IDR,
        ),
        posting(
            AccountKey::new(AccountKind::KasBendaharaPenerimaan, opd),
            Direction::Credit,
            amount,
            Currency::IDR,
        ),
    ];
    revenue_legs(&what, revenue, &mut postings)?;
    build(ctx, EntryKind::Match, &ctx.rule, postings)
}

/// Statement debits matched to an SP2D paid from `sp2d_account`: Dr sp2d-belum-dicairkan
/// [sp2d_account] Σ debits / Cr pengeluaran-belum-teridentifikasi[account] per debit line (net
/// payment and each deduction transfer).
pub fn match_sp2d_to_debits(
    ctx: &MatchContext,
    sp2d_account: &str,
    debits: &[(String, Decimal)],
) -> Result<JournalEntry, PostingError> {
    let what = format!("match {}", ctx.rule);
    let total = sum_checked(&what, debits.iter().map(|(_, a)| *a))?;
    positive(&what, total)?;
    let mut per_account: BTreeMap<&str, Decimal> = BTreeMap::new();
    for (acct, a) in debits {
        let slot = per_account.entry(acct.as_str()).or_default();
        *slot = sum_checked(&what, [*slot, *a])?;
    }
    let mut postings = vec![posting(
        AccountKey::new(AccountKind::Sp2dBelumDicairkan, sp2d_account),
        Direction::Debit,
        total,
        Currency::IDR,
    )];
    for (acct, a) in per_account.into_iter().filter(|(_, a)| !a.is_zero()) {
        postings.push(posting(
            AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, acct),
            Direction::Credit,
            a,
            Currency::IDR,
        ));
    }
    build(ctx, EntryKind::Match, &ctx.rule, postings)
}

/// Both legs of a transfer between the pemda's own accounts seen (a holding-account sweep to
/// the RKUD): Dr penerimaan-belum-teridentifikasi[to] / Cr pengeluaran-belum-teridentifikasi
/// [from] `amount` — net effect Dr kas[to] / Cr kas[from] — plus recognition of the revenue the
/// sweep brings into the RKUD.
pub fn sweep(
    ctx: &MatchContext,
    from_account: &str,
    to_account: &str,
    amount: Decimal,
    revenue: &[RevenueLine],
) -> Result<JournalEntry, PostingError> {
    let what = format!("sweep {}", ctx.rule);
    positive(&what, amount)?;
    let mut postings = vec![
        posting(
            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, to_account),
            Direction::Debit,
            amount,
            Currency::IDR,
        ),
        posting(
            AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, from_account),
            Direction::Credit,
            amount,
            Currency::IDR,
        ),
    ];
    revenue_legs(&what, revenue, &mut postings)?;
    build(
        ctx,
        EntryKind::Sweep,
        &format!("sweep.{}", ctx.rule),
        postings,
    )
}

/// The agreed channel fee deducted from a settlement: Dr beban-layanan[channel] / Cr
/// dana-dalam-perjalanan[channel].
pub fn fee(
    ctx: &MatchContext,
    channel: Channel,
    amount: Decimal,
) -> Result<JournalEntry, PostingError> {
    positive(&format!("fee {}", ctx.rule), amount)?;
    let postings = vec![
        posting(
            AccountKey::new(AccountKind::BebanLayanan, channel.as_str()),
            Direction::Debit,
            amount,
            Currency::IDR,
        ),
        posting(
            AccountKey::new(AccountKind::DanaDalamPerjalanan, channel.as_str()),
            Direction::Credit,
            amount,
            Currency::IDR,
        ),
    ];
    build(ctx, EntryKind::Fee, &format!("fee.{}", ctx.rule), postings)
}

/// A jasa giro credit line classified: Dr penerimaan-belum-teridentifikasi[account] / Cr
/// pendapatan-jasa-giro[account].
pub fn jasa_giro(
    ctx: &MatchContext,
    account: &str,
    amount: Decimal,
) -> Result<JournalEntry, PostingError> {
    positive(&format!("jasa giro {}", ctx.rule), amount)?;
    let postings = vec![
        posting(
            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, account),
            Direction::Debit,
            amount,
            Currency::IDR,
        ),
        posting(
            AccountKey::new(AccountKind::PendapatanJasaGiro, account),
            Direction::Credit,
            amount,
            Currency::IDR,
        ),
    ];
    build(
        ctx,
        EntryKind::JasaGiro,
        &format!("jasa-giro.{}", ctx.rule),
        postings,
    )
}

/// A bank charge debit line classified: Dr beban-bank[account] / Cr
/// pengeluaran-belum-teridentifikasi[account].
pub fn bank_charge(
    ctx: &MatchContext,
    account: &str,
    amount: Decimal,
) -> Result<JournalEntry, PostingError> {
    positive(&format!("bank charge {}", ctx.rule), amount)?;
    let postings = vec![
        posting(
            AccountKey::new(AccountKind::BebanBank, account),
            Direction::Debit,
            amount,
            Currency::IDR,
        ),
        posting(
            AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, account),
            Direction::Credit,
            amount,
            Currency::IDR,
        ),
    ];
    build(
        ctx,
        EntryKind::BankCharge,
        &format!("bank-charge.{}", ctx.rule),
        postings,
    )
}

/// Writes off what remains in a clearing account (approved under maker-checker): `balance` is
/// the account's debit-positive balance to clear. A debit balance is credited away against
/// penghapusan[reason]; a credit balance is debited away.
pub fn write_off(
    ctx: &MatchContext,
    account: &AccountKey,
    balance: Decimal,
    reason_code: &str,
) -> Result<JournalEntry, PostingError> {
    let what = format!("write-off {account}");
    if balance.is_zero() {
        return Err(PostingError::Zero { what });
    }
    let amount = balance.abs();
    let side = if balance > Decimal::ZERO {
        Direction::Credit
    } else {
        Direction::Debit
    };
    let postings = vec![
        posting(account.clone(), side, amount, Currency::IDR),
        posting(
            AccountKey::new(AccountKind::Penghapusan, reason_code),
            side.opposite(),
            amount,
            Currency::IDR,
        ),
    ];
    build(
        ctx,
        EntryKind::WriteOff,
        &format!("write-off.{}", ctx.rule),
        postings,
    )
}

// ---------------------------------------------------------------------------------------------
// Opening balance (saldo awal)
// ---------------------------------------------------------------------------------------------

/// What an opening-balance entry carries besides the account and the amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningContext {
    /// The day the saldo awal is booked on: on or before the account's first movement.
    pub booked_on: NaiveDate,
    /// 1 for the account's first opening balance; one more for each earlier opening-balance
    /// entry of the account (a reversed one included), so that every entry keeps its own key.
    pub occurrence: u32,
    /// Where the figure comes from (statement, file, line) and why.
    pub memo: String,
}

const OPENING_KEY_PREFIX: &str = "opening_balance:";

/// `opening_balance:<kas account key>:<occurrence>`.
pub fn opening_balance_key(account: &AccountKey, occurrence: u32) -> String {
    format!("{OPENING_KEY_PREFIX}{account}:{occurrence}")
}

/// The kas account an entry books an opening balance of, with the amount as the kas account's
/// debit-positive effect — `None` unless the entry has exactly the shape [`opening_balance`]
/// builds: kind [`EntryKind::OpeningBalance`], one posting to a kas account (Kas di Kas Daerah or
/// Kas di rekening penampungan), one opposite posting of the same amount to saldo-awal-kas of the
/// same account number, and the natural key [`opening_balance_key`] of that kas account.
pub fn opening_balance_parts(e: &JournalEntry) -> Option<(AccountKey, Decimal)> {
    if e.kind != EntryKind::OpeningBalance || e.postings.len() != 2 {
        return None;
    }
    let (kas, equity) = match (e.postings[0].account.kind(), e.postings[1].account.kind()) {
        (AccountKind::KasDaerah | AccountKind::KasPenampungan, AccountKind::SaldoAwalKas) => {
            (&e.postings[0], &e.postings[1])
        }
        _ => return None,
    };
    if equity.account.qualifier() != kas.account.qualifier()
        || equity.side != kas.side.opposite()
        || equity.amount != kas.amount
        || equity.currency != kas.currency
    {
        return None;
    }
    let occurrence = e
        .natural_key
        .strip_prefix(OPENING_KEY_PREFIX)?
        .strip_prefix(kas.account.to_string().as_str())?
        .strip_prefix(':')?;
    if occurrence.is_empty()
        || occurrence.starts_with('0')
        || !occurrence.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((kas.account.clone(), kas.debit_signed()))
}

/// The agreed opening balance (saldo awal) of a kas account: Dr `account` / Cr
/// saldo-awal-kas[account number] `amount`; a negative amount (an overdrawn account) credits the
/// kas account instead. Only Kas di Kas Daerah and Kas di rekening penampungan accounts take one.
/// Booked once per account, under maker-checker, on or before the account's first movement.
pub fn opening_balance(
    ctx: &OpeningContext,
    account: &AccountKey,
    amount: Decimal,
) -> Result<JournalEntry, PostingError> {
    let what = format!("opening balance of {account}");
    if !matches!(
        account.kind(),
        AccountKind::KasDaerah | AccountKind::KasPenampungan
    ) {
        return Err(PostingError::NotKas {
            what,
            found: account.kind().as_str().to_string(),
        });
    }
    if amount.is_zero() {
        return Err(PostingError::Zero { what });
    }
    if ctx.occurrence == 0 {
        return Err(PostingError::BadOccurrence { what });
    }
    let side = if amount > Decimal::ZERO {
        Direction::Debit
    } else {
        Direction::Credit
    };
    let postings = vec![
        posting(account.clone(), side, amount.abs(), Currency::IDR),
        posting(
            AccountKey::new(AccountKind::SaldoAwalKas, account.qualifier()),
            side.opposite(),
            amount.abs(),
            Currency::IDR,
        ),
    ];
    Ok(JournalEntry::new(
        EntryKind::OpeningBalance,
        ctx.booked_on,
        ctx.booked_on,
        opening_balance_key(account, ctx.occurrence),
        "",
        memo_text(&ctx.memo),
        None,
        postings,
    )?)
}

/// Revenue lines of several receipts summed per kode rekening (kode order) — what a match
/// recognises when it settles them.
pub fn revenue_of(receipts: &[&Receipt]) -> Result<Vec<RevenueLine>, PostingError> {
    let mut by_kode: BTreeMap<&str, Decimal> = BTreeMap::new();
    for r in receipts {
        for l in &r.lines {
            let slot = by_kode.entry(l.kode_rekening.trim()).or_default();
            *slot = sum_checked("receipt revenue", [*slot, l.amount])?;
        }
    }
    Ok(by_kode
        .into_iter()
        .map(|(k, amount)| RevenueLine {
            kode_rekening: k.to_string(),
            amount,
        })
        .collect())
}

/// Receipt totals per channel (channel order).
pub fn channels_of(receipts: &[&Receipt]) -> Result<Vec<(Channel, Decimal)>, PostingError> {
    let mut by_channel: BTreeMap<Channel, Decimal> = BTreeMap::new();
    for r in receipts {
        let slot = by_channel.entry(r.channel).or_default();
        *slot = sum_checked("receipt totals", [*slot, r.total])?;
    }
    Ok(by_channel.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Sp2dType;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn opening_ctx(occurrence: u32) -> OpeningContext {
        OpeningContext {
            booked_on: d("2026-01-01"),
            occurrence,
            memo: "saldo awal per rekening koran stmt-1".into(),
        }
    }

    #[test]
    fn opening_balance_debits_kas_and_credits_saldo_awal() {
        let kas = AccountKey::new(AccountKind::KasDaerah, "1234567890");
        let e = opening_balance(&opening_ctx(1), &kas, dec!(1500000.50)).unwrap();
        assert_eq!(e.kind, EntryKind::OpeningBalance);
        assert_eq!(e.natural_key, "opening_balance:kas-daerah/1234567890:1");
        assert_eq!(e.booked_on, d("2026-01-01"));
        assert_eq!(e.value_date, d("2026-01-01"));
        assert_eq!(e.memo, "saldo awal per rekening koran stmt-1");
        assert_eq!(
            e.postings,
            vec![
                Posting::debit(kas.clone(), dec!(1500000.50)),
                Posting::credit(
                    AccountKey::new(AccountKind::SaldoAwalKas, "1234567890"),
                    dec!(1500000.50)
                ),
            ]
        );
        assert_eq!(opening_balance_parts(&e), Some((kas, dec!(1500000.50))));
    }

    #[test]
    fn negative_opening_balance_credits_the_kas_account() {
        let kas = AccountKey::new(AccountKind::KasPenampungan, "777");
        let e = opening_balance(&opening_ctx(2), &kas, dec!(-250)).unwrap();
        assert_eq!(e.natural_key, "opening_balance:kas-penampungan/777:2");
        assert_eq!(e.postings[0], Posting::credit(kas.clone(), dec!(250)));
        assert_eq!(
            e.postings[1],
            Posting::debit(AccountKey::new(AccountKind::SaldoAwalKas, "777"), dec!(250))
        );
        assert_eq!(opening_balance_parts(&e), Some((kas, dec!(-250))));
    }

    #[test]
    fn opening_balance_refuses_other_accounts_zero_and_bad_amounts() {
        let kas = AccountKey::new(AccountKind::KasDaerah, "1");
        let other = AccountKey::new(AccountKind::KasBendaharaPenerimaan, "1.02.0.00.0.00.01");
        assert!(matches!(
            opening_balance(&opening_ctx(1), &other, dec!(5)),
            Err(PostingError::NotKas { .. })
        ));
        assert!(matches!(
            opening_balance(&opening_ctx(1), &kas, Decimal::ZERO),
            Err(PostingError::Zero { .. })
        ));
        assert!(matches!(
            opening_balance(&opening_ctx(0), &kas, dec!(5)),
            Err(PostingError::BadOccurrence { .. })
        ));
        // More decimals than rupiah have: refused by the entry's own checks.
        assert!(matches!(
            opening_balance(&opening_ctx(1), &kas, dec!(5.001)),
            Err(PostingError::Ledger(LedgerError::BadPostingAmount { .. }))
        ));
    }

    #[test]
    fn opening_balance_parts_rejects_other_shapes() {
        let kas = AccountKey::new(AccountKind::KasDaerah, "1");
        let good = opening_balance(&opening_ctx(1), &kas, dec!(5)).unwrap();
        let mut wrong_kind = good.clone();
        wrong_kind.kind = EntryKind::Match;
        assert_eq!(opening_balance_parts(&wrong_kind), None);
        let mut wrong_key = good.clone();
        wrong_key.natural_key = "opening_balance:kas-daerah/2:1".into();
        assert_eq!(opening_balance_parts(&wrong_key), None);
        let mut zero_occurrence = good.clone();
        zero_occurrence.natural_key = "opening_balance:kas-daerah/1:0".into();
        assert_eq!(opening_balance_parts(&zero_occurrence), None);
        let mut other_number = good.clone();
        other_number.postings[1].account = AccountKey::new(AccountKind::SaldoAwalKas, "2");
        assert_eq!(opening_balance_parts(&other_number), None);
        let mut against_suspense = good.clone();
        against_suspense.postings[1].account =
            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "1");
        assert_eq!(opening_balance_parts(&against_suspense), None);
    }

    fn receipt(
        ntpd: &str,
        channel: Channel,
        lines: &[(&str, Decimal)],
        status: ReceiptStatus,
    ) -> Receipt {
        let total = lines.iter().map(|(_, a)| *a).sum();
        Receipt {
            ntpd: ntpd.into(),
            kode_billing: None,
            ntb: None,
            nop: None,
            npwpd: None,
            taxpayer_name: None,
            jenis_pajak: None,
            lines: lines
                .iter()
                .map(|(k, a)| RevenueLine {
                    kode_rekening: k.to_string(),
                    amount: *a,
                })
                .collect(),
            masa_pajak: None,
            tahun_pajak: None,
            pokok: total,
            denda: Decimal::ZERO,
            total,
            channel,
            bank: None,
            account: None,
            // 2026-03-02 18:30 UTC = 2026-03-03 01:30 WIB.
            paid_at: DateTime::parse_from_rfc3339("2026-03-02T18:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            paid_zone: Some("WIB".into()),
            settlement_date: None,
            status,
            reverses_ntpd: None,
            opd: None,
        }
    }

    fn ctx(rule: &str, ids: &[&str]) -> MatchContext {
        MatchContext {
            rule: rule.into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            booked_on: d("2026-03-04"),
            value_date: d("2026-03-04"),
            memo: "test".into(),
        }
    }

    /// Debit-positive balances of every account over a set of entries.
    fn balances(entries: &[&JournalEntry]) -> BTreeMap<String, Decimal> {
        let mut out = BTreeMap::new();
        for e in entries {
            e.validate().unwrap();
            for p in &e.postings {
                *out.entry(p.account.to_string()).or_insert(Decimal::ZERO) += p.debit_signed();
            }
        }
        out
    }

    #[test]
    fn statement_lines_post_to_cash_and_suspense() {
        let c = post_statement_line(
            "001",
            &AccountRole::Rkud,
            Direction::Credit,
            dec!(150),
            Currency::IDR,
            d("2026-03-03"),
            d("2026-03-03"),
            "k",
            "4:0",
            "setoran",
        )
        .unwrap()
        .unwrap();
        let b = balances(&[&c]);
        assert_eq!(b["kas-daerah/001"], dec!(150));
        assert_eq!(b["penerimaan-belum-teridentifikasi/001"], dec!(-150));

        let h = post_statement_line(
            "777",
            &AccountRole::Unregistered,
            Direction::Debit,
            dec!(20),
            Currency::IDR,
            d("2026-03-03"),
            d("2026-03-03"),
            "k2",
            "5:1",
            "",
        )
        .unwrap()
        .unwrap();
        let b = balances(&[&h]);
        assert_eq!(b["kas-penampungan/777"], dec!(-20));
        assert_eq!(b["pengeluaran-belum-teridentifikasi/777"], dec!(20));

        let opd = cash_account(
            "888",
            &AccountRole::OpdReceiving {
                opd: "1.02.01".into(),
            },
        );
        assert_eq!(opd.to_string(), "kas-bendahara-penerimaan/1.02.01");

        let zero = post_statement_line(
            "001",
            &AccountRole::Rkud,
            Direction::Credit,
            Decimal::ZERO,
            Currency::IDR,
            d("2026-03-03"),
            d("2026-03-03"),
            "k",
            "",
            "",
        )
        .unwrap();
        assert!(zero.is_none());
        let neg = post_statement_line(
            "001",
            &AccountRole::Rkud,
            Direction::Credit,
            dec!(-1),
            Currency::IDR,
            d("2026-03-03"),
            d("2026-03-03"),
            "k",
            "",
            "",
        );
        assert!(matches!(neg, Err(PostingError::Negative { .. })));
    }

    #[test]
    fn line_keys_are_stable_and_bounded() {
        let k = statement_line_key(
            " 001 ",
            d("2026-03-03"),
            Some("FT123"),
            dec!(1500),
            Currency::IDR,
            Direction::Credit,
            1,
        );
        assert_eq!(k, "stmt:001:2026-03-03:FT123:1500.00:C:1");
        let none = statement_line_key(
            "001",
            d("2026-03-03"),
            Some("  "),
            dec!(1),
            Currency::IDR,
            Direction::Debit,
            0,
        );
        assert_eq!(none, "stmt:001:2026-03-03:-:1.00:D:0");
        let long = "é".repeat(2000);
        let k = statement_line_key(
            &long,
            d("2026-03-03"),
            Some(&long),
            dec!(1),
            Currency::IDR,
            Direction::Debit,
            0,
        );
        assert!(k.len() < MAX_ENTRY_TEXT);
    }

    #[test]
    fn receipts_use_business_date_and_reverse_cleanly() {
        let r = receipt(
            "N1",
            Channel::Qris,
            &[("4.1.01.06", dec!(100)), ("4.1.01.07", dec!(50))],
            ReceiptStatus::Paid,
        );
        let e = post_receipt(&r, "row 2").unwrap();
        assert_eq!(e.booked_on, d("2026-03-03"), "01:30 WIB belongs to 3 March");
        assert_eq!(e.natural_key, "receipt:N1");
        assert_eq!(e.kind, EntryKind::Receipt);
        let mut rev = receipt(
            "N1",
            Channel::Qris,
            &[("4.1.01.06", dec!(100)), ("4.1.01.07", dec!(50))],
            ReceiptStatus::Reversed,
        );
        rev.reverses_ntpd = Some("N1".into());
        let re = post_receipt(&rev, "row 3").unwrap();
        assert_eq!(re.natural_key, "receipt-reversal:N1");
        assert_eq!(re.kind, EntryKind::ReceiptReversal);
        assert!(re.reverses.is_none());
        let b = balances(&[&e]);
        assert_eq!(b["dana-dalam-perjalanan/qris"], dec!(150));
        assert_eq!(b["penerimaan-belum-masuk-rkud/4.1.01.07"], dec!(-50));
        let b = balances(&[&e, &re]);
        assert!(b.values().all(|v| v.is_zero()), "{b:?}");

        let mut bad = r.clone();
        bad.total = dec!(151);
        assert!(matches!(
            post_receipt(&bad, ""),
            Err(PostingError::LinesDoNotSumToTotal { .. })
        ));
        let mut zero = r.clone();
        zero.total = Decimal::ZERO;
        zero.lines.clear();
        assert!(matches!(
            post_receipt(&zero, ""),
            Err(PostingError::Zero { .. })
        ));
    }

    #[test]
    fn zones_parse() {
        assert_eq!(parse_zone("WITA"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(parse_zone("+09:00"), FixedOffset::east_opt(9 * 3600));
        assert_eq!(parse_zone("-0330"), FixedOffset::west_opt(3 * 3600 + 1800));
        assert_eq!(parse_zone("+25:00"), None);
        assert_eq!(parse_zone("Mars"), None);
        let at = DateTime::parse_from_rfc3339("2026-03-02T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(business_date(at, Some("WIB")), d("2026-03-02"));
        assert_eq!(business_date(at, Some("WIT")), d("2026-03-03"));
        assert_eq!(business_date(at, None), d("2026-03-02"));
    }

    #[test]
    fn sts_and_sp2d_post_per_the_table() {
        let s = Sts {
            number: "STS-9".into(),
            opd: "DISHUB".into(),
            bendahara: None,
            date: d("2026-03-05"),
            account: "001".into(),
            lines: vec![RevenueLine {
                kode_rekening: "4.1.02.01".into(),
                amount: dec!(75),
            }],
            total: dec!(75),
            collected_from: Some(d("2026-03-02")),
            collected_to: Some(d("2026-03-03")),
            tbp_numbers: vec![],
        };
        let e = post_sts(&s, "row 1").unwrap();
        assert_eq!(e.booked_on, d("2026-03-03"));
        let b = balances(&[&e]);
        assert_eq!(b["kas-bendahara-penerimaan/DISHUB"], dec!(75));
        assert_eq!(b["penerimaan-belum-masuk-rkud/4.1.02.01"], dec!(-75));

        let sp = Sp2d {
            number: "0001/LS/2026".into(),
            date: d("2026-03-05"),
            opd: "DINKES".into(),
            sp2d_type: Sp2dType::Gu,
            kode_rekening: None,
            gross: dec!(1000),
            deductions: vec![],
            net: dec!(1000),
            beneficiary_name: "Bendahara".into(),
            beneficiary_bank: None,
            beneficiary_account: None,
            account: "001".into(),
        };
        let e = post_sp2d(&sp, "row 1").unwrap();
        let b = balances(&[&e]);
        assert_eq!(b["belanja/GU"], dec!(1000));
        assert_eq!(b["sp2d-belum-dicairkan/001"], dec!(-1000));
        assert!(post_document(
            &Document::Bku(crate::document::BkuLine {
                owner: crate::document::BkuOwner::Bud,
                number: 1,
                date: d("2026-03-05"),
                document: None,
                description: String::new(),
                kode_rekening: None,
                amount: dec!(1),
                direction: Direction::Credit,
                account: None,
                balance_after: None,
            }),
            ""
        )
        .unwrap()
        .is_none());
    }

    #[test]
    fn match_keys_sort_and_digest() {
        let k = match_key("h2h", &["b".into(), "a".into(), "b".into()]);
        assert_eq!(k, "match:h2h:a+b");
        let many: Vec<String> = (0..500).map(|i| format!("receipt:NTPD{i:08}")).collect();
        let k = match_key("bulk", &many);
        assert!(k.starts_with("match:bulk:500ids:"), "{k}");
        assert!(k.len() <= MAX_ENTRY_TEXT);
        let mut rev = many.clone();
        rev.reverse();
        assert_eq!(match_key("bulk", &rev), k, "order of ids must not matter");
    }

    #[test]
    fn sp2d_sts_sweep_and_classifications_drain() {
        // SP2D 1000 paid as net 900 + PFK 100 from RKUD 001.
        let sp = Sp2d {
            number: "7".into(),
            date: d("2026-03-05"),
            opd: "X".into(),
            sp2d_type: Sp2dType::Ls,
            kode_rekening: Some("5.1.02".into()),
            gross: dec!(1000),
            deductions: vec![],
            net: dec!(900),
            beneficiary_name: "CV".into(),
            beneficiary_bank: None,
            beneficiary_account: None,
            account: "001".into(),
        };
        let e_sp = post_sp2d(&sp, "").unwrap();
        let line = |dir, amt, key: &str, acct: &str, role: &AccountRole| {
            post_statement_line(
                acct,
                role,
                dir,
                amt,
                Currency::IDR,
                d("2026-03-05"),
                d("2026-03-05"),
                key,
                "",
                "",
            )
            .unwrap()
            .unwrap()
        };
        let d1 = line(Direction::Debit, dec!(900), "l1", "001", &AccountRole::Rkud);
        let d2 = line(Direction::Debit, dec!(100), "l2", "001", &AccountRole::Rkud);
        let m = match_sp2d_to_debits(
            &ctx("sp2d", &["sp2d:7", "l1", "l2"]),
            "001",
            &[("001".into(), dec!(900)), ("001".into(), dec!(100))],
        )
        .unwrap();
        // Jasa giro and a bank charge on the same account.
        let jg = line(Direction::Credit, dec!(12), "l3", "001", &AccountRole::Rkud);
        let jgm = jasa_giro(&ctx("jg", &["l3"]), "001", dec!(12)).unwrap();
        let bc = line(Direction::Debit, dec!(3), "l4", "001", &AccountRole::Rkud);
        let bcm = bank_charge(&ctx("adm", &["l4"]), "001", dec!(3)).unwrap();
        // Sweep 50 from holding 900 to RKUD 001.
        let out = line(
            Direction::Debit,
            dec!(50),
            "l5",
            "900",
            &AccountRole::Holding,
        );
        let inn = line(Direction::Credit, dec!(50), "l6", "001", &AccountRole::Rkud);
        let inh = line(
            Direction::Credit,
            dec!(50),
            "l7",
            "900",
            &AccountRole::Holding,
        );
        let sw = sweep(&ctx("t1", &["l5", "l6"]), "900", "001", dec!(50), &[]).unwrap();
        let settle = match_receipts_to_credit(
            &ctx("h", &["l7"]),
            "900",
            dec!(50),
            &[(Channel::Teller, dec!(50))],
            &[],
        )
        .unwrap();
        let r = receipt(
            "N9",
            Channel::Teller,
            &[("4.1", dec!(50))],
            ReceiptStatus::Paid,
        );
        let er = post_receipt(&r, "").unwrap();
        let b = balances(&[
            &e_sp, &d1, &d2, &m, &jg, &jgm, &bc, &bcm, &out, &inn, &inh, &sw, &settle, &er,
        ]);
        for (acct, v) in &b {
            let kind = AccountKey::parse(acct).unwrap().kind();
            match kind {
                AccountKind::Sp2dBelumDicairkan
                | AccountKind::PengeluaranBelumTeridentifikasi
                | AccountKind::PenerimaanBelumTeridentifikasi
                | AccountKind::DanaDalamPerjalanan
                | AccountKind::KasPenampungan => assert!(v.is_zero(), "{acct} = {v}"),
                _ => {}
            }
        }
        assert_eq!(
            b["kas-daerah/001"],
            dec!(-1000) + dec!(12) - dec!(3) + dec!(50)
        );
        assert_eq!(b["pendapatan-jasa-giro/001"], dec!(-12));
        assert_eq!(b["beban-bank/001"], dec!(3));
        // Revenue waits for a recognition leg; the receipt is still "belum masuk RKUD".
        assert_eq!(b["penerimaan-belum-masuk-rkud/4.1"], dec!(-50));
    }

    #[test]
    fn sts_match_and_write_off() {
        let s = Sts {
            number: "S1".into(),
            opd: "DLH".into(),
            bendahara: None,
            date: d("2026-03-05"),
            account: "001".into(),
            lines: vec![RevenueLine {
                kode_rekening: "4.1.02".into(),
                amount: dec!(30),
            }],
            total: dec!(30),
            collected_from: None,
            collected_to: None,
            tbp_numbers: vec![],
        };
        let es = post_sts(&s, "").unwrap();
        let credit = post_statement_line(
            "001",
            &AccountRole::Rkud,
            Direction::Credit,
            dec!(30),
            Currency::IDR,
            d("2026-03-05"),
            d("2026-03-05"),
            "c",
            "",
            "",
        )
        .unwrap()
        .unwrap();
        let m = match_sts_to_credit(
            &ctx("sts", &["sts:S1", "c"]),
            "001",
            dec!(30),
            "DLH",
            &s.lines,
        )
        .unwrap();
        let b = balances(&[&es, &credit, &m]);
        assert!(b["kas-bendahara-penerimaan/DLH"].is_zero());
        assert!(b["penerimaan-belum-masuk-rkud/4.1.02"].is_zero());
        assert_eq!(b["pendapatan-lra/4.1.02"], dec!(-30));
        assert_eq!(b["kas-daerah/001"], dec!(30));

        let acct = AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "001");
        let w = write_off(&ctx("manual", &["x"]), &acct, dec!(-7), "selisih").unwrap();
        let b = balances(&[&w]);
        assert_eq!(b["penerimaan-belum-teridentifikasi/001"], dec!(7));
        assert_eq!(b["penghapusan/selisih"], dec!(-7));
        assert!(write_off(&ctx("manual", &["x"]), &acct, Decimal::ZERO, "r").is_err());
        assert!(match_receipts_to_credit(
            &ctx("m", &[]),
            "001",
            dec!(10),
            &[(Channel::Atm, dec!(9))],
            &[]
        )
        .is_err());
    }

    fn arb_amount() -> impl Strategy<Value = Decimal> {
        (1i64..10_000_000_000).prop_map(|sen| Decimal::new(sen, 2))
    }

    fn arb_channel() -> impl Strategy<Value = Channel> {
        prop::sample::select(Channel::ALL.to_vec())
    }

    proptest! {
        /// Receipts, their settlement on an RKUD (net of a fee) and the match drain every
        /// clearing account, and revenue equals what was collected.
        #[test]
        fn receipt_settlement_match_drains(
            receipts in prop::collection::vec((arb_channel(), arb_amount(), arb_amount(), 0usize..3), 1..20),
            fee_permille in 0u32..50,
        ) {
            let kodes = ["4.1.01.06", "4.1.01.07", "4.1.01.08"];
            let docs: Vec<Receipt> = receipts.iter().enumerate().map(|(i, (c, a, b, k))| {
                receipt(&format!("N{i}"), *c, &[(kodes[*k], *a), (kodes[(*k + 1) % 3], *b)], ReceiptStatus::Paid)
            }).collect();
            let refs: Vec<&Receipt> = docs.iter().collect();
            let mut entries: Vec<JournalEntry> = docs.iter().map(|r| post_receipt(r, "").unwrap()).collect();
            let per_channel = channels_of(&refs).unwrap();
            // Each channel settles its total minus a fee in one credit line; the match
            // recognises the revenue of that channel's receipts.
            for (c, gross) in &per_channel {
                let fee_amount = (*gross * Decimal::new(i64::from(fee_permille), 3)).round_dp(2);
                let net = *gross - fee_amount;
                prop_assert!(net > Decimal::ZERO);
                let key = format!("line-{}", c.as_str());
                let mine: Vec<&Receipt> = docs.iter().filter(|r| r.channel == *c).collect();
                let revenue = revenue_of(&mine).unwrap();
                entries.push(post_statement_line("001", &AccountRole::Rkud, Direction::Credit, net, Currency::IDR,
                    d("2026-03-04"), d("2026-03-04"), &key, "", "").unwrap().unwrap());
                entries.push(match_receipts_to_credit(&ctx("bulk", &[key.as_str()]), "001", net, &[(*c, net)], &revenue).unwrap());
                if fee_amount > Decimal::ZERO {
                    entries.push(fee(&ctx("bulk", &[key.as_str()]), *c, fee_amount).unwrap());
                }
            }
            let total: Decimal = revenue_of(&refs).unwrap().iter().map(|l| l.amount).sum();
            let refs: Vec<&JournalEntry> = entries.iter().collect();
            let b = balances(&refs);
            for (acct, v) in &b {
                let kind = AccountKey::parse(acct).unwrap().kind();
                if matches!(kind, AccountKind::DanaDalamPerjalanan | AccountKind::PenerimaanBelumMasukRkud
                    | AccountKind::PenerimaanBelumTeridentifikasi) {
                    prop_assert!(v.is_zero(), "{} = {}", acct, v);
                }
            }
            let lra: Decimal = b.iter().filter(|(k, _)| k.starts_with("pendapatan-lra/")).map(|(_, v)| *v).sum();
            prop_assert_eq!(-lra, total);
            let fees: Decimal = b.iter().filter(|(k, _)| k.starts_with("beban-layanan/")).map(|(_, v)| *v).sum();
            prop_assert_eq!(b.get("kas-daerah/001").copied().unwrap_or_default() + fees, total);
        }

        /// Every builder either refuses (zero, negative, split mismatch) or returns a balanced
        /// entry that moves exactly the amounts asked, whatever the input.
        #[test]
        fn builders_balance_or_refuse(
            amount in -5i64..1_000_000,
            split in prop::collection::vec((arb_channel(), -5i64..1_000_000), 0..4),
            revenue in prop::collection::vec((0usize..3, -5i64..1_000_000), 0..4),
            ids in prop::collection::vec("[a-z:0-9]{1,40}", 0..60),
        ) {
            let amount = Decimal::new(amount, 2);
            let split: Vec<(Channel, Decimal)> = split.into_iter().map(|(c, a)| (c, Decimal::new(a, 2))).collect();
            let revenue: Vec<RevenueLine> = revenue
                .into_iter()
                .map(|(k, a)| RevenueLine { kode_rekening: ["4.1", "4.2", "4.3"][k].into(), amount: Decimal::new(a, 2) })
                .collect();
            let c = MatchContext { rule: "p".into(), ids, booked_on: d("2026-01-05"), value_date: d("2026-01-05"), memo: String::new() };
            let acct = AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "001");
            let debits: Vec<(String, Decimal)> = split.iter().map(|(ch, a)| (ch.as_str().to_string(), *a)).collect();
            let results = vec![
                match_receipts_to_credit(&c, "001", amount, &split, &revenue),
                match_sts_to_credit(&c, "001", amount, "OPD", &revenue),
                match_sp2d_to_debits(&c, "001", &debits),
                sweep(&c, "900", "001", amount, &revenue),
                fee(&c, Channel::Qris, amount),
                jasa_giro(&c, "001", amount),
                bank_charge(&c, "001", amount),
                write_off(&c, &acct, amount, "r"),
            ];
            for r in results {
                match r {
                    Ok(e) => {
                        prop_assert!(e.validate().is_ok());
                        prop_assert!(e.natural_key.len() <= MAX_ENTRY_TEXT);
                        prop_assert!(e.natural_key.starts_with("match:"));
                        let net: Decimal = e.postings.iter().map(|p| p.debit_signed()).sum();
                        prop_assert!(net.is_zero());
                        prop_assert!(e.postings.iter().all(|p| p.amount > Decimal::ZERO));
                    }
                    Err(PostingError::Zero { .. } | PostingError::Negative { .. } | PostingError::SplitMismatch { .. }
                        | PostingError::LinesDoNotSumToTotal { .. }) => {}
                    Err(other) => prop_assert!(false, "unexpected refusal: {}", other),
                }
            }
        }

        /// Every statement line entry balances, whatever the amount and direction.
        #[test]
        fn statement_entries_balance(amount in arb_amount(), credit in any::<bool>(), role in 0usize..4) {
            let role = [AccountRole::Rkud, AccountRole::Holding, AccountRole::Unregistered,
                AccountRole::OpdReceiving { opd: "1.01".into() }][role].clone();
            let dir = if credit { Direction::Credit } else { Direction::Debit };
            let e = post_statement_line("001", &role, dir, amount, Currency::IDR, d("2026-01-01"), d("2026-01-01"), "k", "", "")
                .unwrap().unwrap();
            prop_assert!(e.validate().is_ok());
            let sum: Decimal = e.postings.iter().map(|p| p.debit_signed()).sum();
            prop_assert!(sum.is_zero());
        }
    }
}
