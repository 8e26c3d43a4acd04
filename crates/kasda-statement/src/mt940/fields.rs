//! Parsers for the value of one MT940/MT942 field (`:25:`, `:28C:`, balances, `:61:`,
//! `:34F:`, `:13D:`, `:90D:/:90C:`). They work on the text after the tag and report problems as
//! `FieldError` (code, expected, found); the statement parser adds file and line.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use kasda_core::money::{parse_amount, Currency, Direction, MoneyError, NumberFormat};
use kasda_core::statement::{AccountId, Balance, BalanceKind};
use rust_decimal::Decimal;

use crate::error::excerpt;

/// A field value could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: &'static str,
    pub expected: String,
    pub found: String,
}

impl FieldError {
    fn new(code: &'static str, expected: impl Into<String>, found: &str) -> Self {
        FieldError {
            code,
            expected: expected.into(),
            found: excerpt(found),
        }
    }
}

/// A six-digit date that is well formed but does not exist (Feb 30) is reported, not fatal:
/// banks do send them and the rest of the line is still good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YyMmDd {
    Date(NaiveDate),
    /// Month 1–12 and day 1–31 but not a calendar date; the raw digits for the warning.
    CalendarInvalid {
        year: i32,
        month: u32,
    },
}

/// Two-digit years: 80–99 are 19xx, 00–79 are 20xx (the SWIFT convention of mt940 readers).
fn full_year(yy: u32) -> i32 {
    if yy >= 80 {
        1900 + yy as i32
    } else {
        2000 + yy as i32
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

pub fn parse_yymmdd(s: &str) -> Result<YyMmDd, FieldError> {
    let b = s.as_bytes();
    let bad = || FieldError::new("invalid-date", "a date YYMMDD", s);
    if b.len() != 6 {
        return Err(bad());
    }
    let yy = digits(&b[0..2]).ok_or_else(bad)?;
    let mm = digits(&b[2..4]).ok_or_else(bad)?;
    let dd = digits(&b[4..6]).ok_or_else(bad)?;
    if !(1..=12).contains(&mm) || !(1..=31).contains(&dd) {
        return Err(bad());
    }
    let year = full_year(yy);
    Ok(match NaiveDate::from_ymd_opt(year, mm, dd) {
        Some(d) => YyMmDd::Date(d),
        None => YyMmDd::CalendarInvalid { year, month: mm },
    })
}

/// The year of an `MMDD` entry date: the one (of the value date's year and its neighbours) that
/// puts the entry date nearest the value date, so a 31 Dec value date with a `0102` entry date
/// books on 2 January of the next year.
pub fn entry_date_near(mmdd: &str, value: YyMmDd) -> Result<Option<NaiveDate>, FieldError> {
    let b = mmdd.as_bytes();
    let bad = || FieldError::new("invalid-date", "an entry date MMDD", mmdd);
    if b.len() != 4 {
        return Err(bad());
    }
    let mm = digits(&b[0..2]).ok_or_else(bad)?;
    let dd = digits(&b[2..4]).ok_or_else(bad)?;
    if !(1..=12).contains(&mm) || !(1..=31).contains(&dd) {
        return Err(bad());
    }
    let anchor = match value {
        YyMmDd::Date(d) => d,
        YyMmDd::CalendarInvalid { year, month } => match NaiveDate::from_ymd_opt(year, month, 1) {
            Some(d) => d,
            None => return Ok(None),
        },
    };
    // The usual case: the entry date in the value date's own year, less than half a year away.
    // Its neighbours a year earlier or later are then at least 183 days away, so it is nearest.
    if let Some(d) = NaiveDate::from_ymd_opt(anchor.year(), mm, dd) {
        if (d - anchor).num_days().abs() <= 182 {
            return Ok(Some(d));
        }
    }
    let best = [anchor.year() - 1, anchor.year(), anchor.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, mm, dd))
        .min_by_key(|d| (*d - anchor).num_days().abs());
    Ok(best)
}

/// How an amount was written, for warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountStyle {
    Comma,
    /// `1000.12` (Rabobank's old export).
    Dot,
    /// `1500000` (Indonesian host-to-host MT940): taken as whole units.
    NoDecimalMark,
}

impl AmountStyle {
    pub fn warning(self) -> Option<&'static str> {
        match self {
            AmountStyle::Comma => None,
            AmountStyle::Dot => Some("amount-with-dot-decimal-separator"),
            AmountStyle::NoDecimalMark => Some("amount-without-decimal-comma"),
        }
    }
}

/// Parses a SWIFT amount (`1234,56`, `100,`), tolerating `.` decimals and missing decimals.
pub fn parse_mt_amount(
    text: &str,
    currency: Currency,
) -> Result<(Decimal, AmountStyle), FieldError> {
    if let Some(v) = fast_swift_amount(text.as_bytes(), currency.scale()) {
        return Ok(v);
    }
    let (format, style) = if text.contains(',') {
        (NumberFormat::Swift, AmountStyle::Comma)
    } else if text.contains('.') {
        (NumberFormat::Plain, AmountStyle::Dot)
    } else {
        (NumberFormat::Swift, AmountStyle::NoDecimalMark)
    };
    // "1000." (Rabobank) is a whole amount with the decimal mark but no decimals.
    let number = if style == AmountStyle::Dot {
        text.strip_suffix('.').unwrap_or(text)
    } else {
        text
    };
    match parse_amount(number, format, currency.scale()) {
        Ok(v) => Ok((v, style)),
        Err(MoneyError::OverScale { scale, max, .. }) => Err(FieldError::new(
            "amount-over-scale",
            format!("at most {max} decimals for {currency}"),
            &format!("{text} ({scale} decimals)"),
        )),
        Err(MoneyError::TooLarge { .. }) => Err(FieldError::new(
            "amount-too-large",
            "an amount below 10^20",
            text,
        )),
        Err(_) => Err(FieldError::new(
            "invalid-amount",
            "a SWIFT amount like 1234,56",
            text,
        )),
    }
}

fn is_currency(b: &[u8]) -> bool {
    b.len() == 3 && b.iter().all(u8::is_ascii_uppercase)
}

/// The common case without allocation: digits, one comma, at most the currency's decimals and
/// at most 18 integer digits. Anything else goes through the full parser for its error.
fn fast_swift_amount(b: &[u8], max_scale: u32) -> Option<(Decimal, AmountStyle)> {
    let mut mantissa: i64 = 0;
    let mut int_digits = 0u32;
    let mut scale = 0u32;
    let mut comma = false;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if comma {
                    scale += 1;
                } else if mantissa > 0 || c != b'0' {
                    int_digits += 1;
                }
                mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
            }
            b',' if !comma => comma = true,
            _ => return None,
        }
    }
    if b.is_empty() || b == b"," || scale > max_scale || int_digits > 18 {
        return None;
    }
    let style = if comma {
        AmountStyle::Comma
    } else {
        AmountStyle::NoDecimalMark
    };
    Some((Decimal::new(mantissa, scale), style))
}

/// A parsed balance field and what was odd about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedBalance {
    pub balance: Balance,
    pub amount_style: AmountStyle,
    pub currency_missing: bool,
    pub invalid_date: Option<String>,
}

/// `:60F:` etc.: `C|D` + `YYMMDD` + currency + amount. `fallback` is used when the bank left out
/// the currency.
pub fn parse_balance(
    value: &str,
    kind: BalanceKind,
    fallback: Option<Currency>,
) -> Result<ParsedBalance, FieldError> {
    let v = value.trim();
    let b = v.as_bytes();
    let direction = match b.first() {
        Some(b'C') => Direction::Credit,
        Some(b'D') => Direction::Debit,
        _ => {
            return Err(FieldError::new(
                "invalid-balance",
                "C or D, date YYMMDD, currency and amount (C240102IDR1500000,00)",
                v,
            ))
        }
    };
    let date_text = v.get(1..7).unwrap_or("");
    let (date, invalid_date) = match parse_yymmdd(date_text)? {
        YyMmDd::Date(d) => (Some(d), None),
        YyMmDd::CalendarInvalid { .. } => (None, Some(date_text.to_string())),
    };
    let rest = v.get(7..).unwrap_or("");
    let rb = rest.as_bytes();
    let (currency, amount_text, currency_missing) = if rb.len() >= 3 && is_currency(&rb[..3]) {
        let c = Currency::parse(&rest[..3])
            .map_err(|_| FieldError::new("invalid-currency", "an ISO 4217 code", &rest[..3]))?;
        (c, &rest[3..], false)
    } else {
        let c = fallback.ok_or_else(|| {
            FieldError::new(
                "balance-without-currency",
                "a currency code after the date",
                v,
            )
        })?;
        (c, rest, true)
    };
    let (amount, amount_style) = parse_mt_amount(amount_text.trim(), currency)?;
    Ok(ParsedBalance {
        balance: Balance {
            kind,
            amount: direction.signed(amount),
            currency,
            date,
        },
        amount_style,
        currency_missing,
        invalid_date,
    })
}

/// `:25:` account identification.
pub fn parse_account(value: &str) -> AccountId {
    let v: String = value.lines().map(str::trim).collect::<Vec<_>>().join("");
    let mut account = AccountId::default();
    let mut text = v.trim().to_string();
    // Currency suffix: "NL47INGB0001212121EUR", "0800003200000001610722 EUR", "…/120119000EUR".
    let bytes = text.as_bytes();
    // The three last bytes are checked to be ASCII letters before slicing, so the cut is on a
    // character boundary.
    if bytes.len() > 3 && is_currency(&bytes[bytes.len() - 3..]) {
        let tail = &bytes[bytes.len() - 3..];
        let before = &text[..text.len() - 3];
        let before_trim = before.trim_end();
        let ends_numeric = before_trim
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_digit);
        if is_currency(tail)
            && !before_trim.is_empty()
            && (ends_numeric || before != before_trim)
            && !is_iban(&text)
        {
            if let Ok(c) = Currency::parse(&text[text.len() - 3..]) {
                account.currency = Some(c);
                text = before_trim.to_string();
            }
        }
    }
    if let Some((left, right)) = text.split_once('/') {
        let (left, right) = (left.trim(), right.trim());
        if is_bic(left) {
            account.servicer_bic = Some(left.to_string());
            if is_iban(right) {
                account.iban = Some(right.to_string());
            } else {
                account.number = Some(right.to_string());
            }
            return account;
        }
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if is_iban(&compact) {
        account.iban = Some(compact);
    } else if !text.is_empty() {
        account.number = Some(text);
    }
    account
}

/// A BIC: 4 letters (bank), 2 letters (country), 2 alphanumerics, optional 3 alphanumerics.
pub fn is_bic(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// An IBAN with a valid ISO 13616 mod-97 check.
pub fn is_iban(s: &str) -> bool {
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(b[..4].iter()) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            let v = u32::from(c - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        }
    }
    rem == 1
}

/// `:28C:` statement number and optional page (`00478/01`, `0`, `240102/00001`).
pub fn parse_statement_number(value: &str) -> (Option<String>, Option<u32>) {
    let v: String = value.split('\n').map(str::trim).collect();
    let (seq, page) = match v.split_once('/') {
        Some((s, p)) => (s.trim(), Some(p.trim())),
        None => (v.trim(), None),
    };
    let page = page.and_then(|p| {
        if p.len() <= 9 {
            p.parse::<u32>().ok()
        } else {
            None
        }
    });
    let seq = if seq.is_empty() {
        None
    } else {
        Some(seq.to_string())
    };
    (seq, page)
}

/// Debit/credit mark of a `:61:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Credit,
    Debit,
    /// RC: reversal of a credit, i.e. a debit.
    ReversalOfCredit,
    /// RD: reversal of a debit, i.e. a credit.
    ReversalOfDebit,
}

impl Mark {
    pub fn direction(self) -> Direction {
        match self {
            Mark::Credit | Mark::ReversalOfDebit => Direction::Credit,
            Mark::Debit | Mark::ReversalOfCredit => Direction::Debit,
        }
    }
    pub fn is_reversal(self) -> bool {
        matches!(self, Mark::ReversalOfCredit | Mark::ReversalOfDebit)
    }
}

/// The statement line `:61:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line61 {
    pub value_date: Option<NaiveDate>,
    pub entry_date: Option<NaiveDate>,
    pub invalid_date: Option<String>,
    pub mark: Mark,
    pub funds_code: Option<char>,
    pub amount: Decimal,
    pub amount_style: AmountStyle,
    pub type_code: String,
    pub type_standard: bool,
    pub customer_ref: Option<String>,
    pub bank_ref: Option<String>,
    pub supplementary: Option<String>,
}

pub fn parse_61(value: &str, currency: Currency) -> Result<Line61, FieldError> {
    // memchr: `split_once` on a char is a slower search, and this runs once per entry.
    let split = memchr::memchr(b'\n', value.as_bytes()).map(|p| (&value[..p], &value[p + 1..]));
    let (first, supplementary) = match split {
        Some((f, s)) => {
            let s = s
                .split('\n')
                .map(str::trim_end)
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            (f, if s.is_empty() { None } else { Some(s) })
        }
        None => (value, None),
    };
    let line = first.trim_end();
    let b = line.as_bytes();
    let shape = "value date YYMMDD, optional entry date MMDD, C/D/RC/RD, amount, type code (240102C250000,00NTRF)";
    let value_text = line
        .get(0..6)
        .ok_or_else(|| FieldError::new("invalid-61", shape, line))?;
    let value_parsed = parse_yymmdd(value_text)?;
    let (value_date, mut invalid_date) = match value_parsed {
        YyMmDd::Date(d) => (Some(d), None),
        YyMmDd::CalendarInvalid { .. } => (None, Some(value_text.to_string())),
    };
    let mut i = 6;
    let mut entry_date = None;
    if b.len() >= 10 && b[6..10].iter().all(u8::is_ascii_digit) {
        let mmdd = &line[6..10];
        entry_date = entry_date_near(mmdd, value_parsed)?;
        if entry_date.is_none() && invalid_date.is_none() {
            invalid_date = Some(mmdd.to_string());
        }
        i = 10;
    }
    if value_date.is_none() && entry_date.is_none() {
        // Some banks write 30 February and a good entry date, and the entry can still be
        // dated; without any real date it cannot be booked.
        return Err(FieldError::new(
            "invalid-date",
            "a calendar date in the value date YYMMDD or the entry date MMDD",
            line,
        ));
    }
    let mark = match (b.get(i), b.get(i + 1)) {
        (Some(b'R'), Some(b'C')) => {
            i += 2;
            Mark::ReversalOfCredit
        }
        (Some(b'R'), Some(b'D')) => {
            i += 2;
            Mark::ReversalOfDebit
        }
        (Some(b'C'), _) => {
            i += 1;
            Mark::Credit
        }
        (Some(b'D'), _) => {
            i += 1;
            Mark::Debit
        }
        _ => {
            return Err(FieldError::new(
                "invalid-61-mark",
                "C, D, RC or RD after the dates",
                line,
            ))
        }
    };
    let mut funds_code = None;
    if let Some(&c) = b.get(i) {
        if c.is_ascii_alphabetic() {
            funds_code = Some(c as char);
            i += 1;
        }
    }
    let amount_start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b',' || b[i] == b'.') {
        i += 1;
    }
    let amount_text = &line[amount_start..i];
    if amount_text.is_empty() {
        return Err(FieldError::new("invalid-61-amount", shape, line));
    }
    let (amount, amount_style) = parse_mt_amount(amount_text, currency)?;
    let mut spaced = false;
    while i < b.len() && b[i] == b' ' {
        i += 1;
        spaced = true;
    }
    // Four characters, not bytes: a non-ASCII type code must not split a character.
    let type_end = line[i..]
        .char_indices()
        .nth(4)
        .map_or(line.len(), |(n, _)| i + n);
    let type_raw = line.get(i..type_end).unwrap_or("");
    let type_code = type_raw.trim().to_string();
    let tb = type_raw.as_bytes();
    let type_standard = !spaced
        && tb.len() == 4
        && matches!(tb[0], b'N' | b'F' | b'S')
        && tb[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let rest = line.get(type_end..).unwrap_or("");
    let (cust, bank) = match find_double_slash(rest) {
        Some(p) => (&rest[..p], Some(rest[p + 2..].trim())),
        None => (rest, None),
    };
    let cust = cust.trim();
    Ok(Line61 {
        value_date,
        entry_date,
        invalid_date,
        mark,
        funds_code,
        amount,
        amount_style,
        type_code,
        type_standard,
        customer_ref: (!cust.is_empty()).then(|| cust.to_string()),
        bank_ref: bank.filter(|s| !s.is_empty()).map(str::to_string),
        supplementary,
    })
}

/// Byte offset of the first `//` (bank reference separator) in `s`.
fn find_double_slash(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    memchr::memchr_iter(b'/', b).find(|&p| b.get(p + 1) == Some(&b'/'))
}

/// `:34F:` floor limit: currency, optional D/C, amount.
pub fn parse_floor_limit(
    value: &str,
) -> Result<(Option<Direction>, Decimal, Currency), FieldError> {
    let v = value.trim();
    let cur = v.get(0..3).unwrap_or("");
    let currency = Currency::parse(cur).map_err(|_| {
        FieldError::new(
            "invalid-34f",
            "currency, optional D/C and amount (IDRD0,)",
            v,
        )
    })?;
    let rest = &v[3..];
    let (dir, amount_text) = match rest.as_bytes().first() {
        Some(b'D') => (Some(Direction::Debit), &rest[1..]),
        Some(b'C') => (Some(Direction::Credit), &rest[1..]),
        _ => (None, rest),
    };
    let (amount, _) = parse_mt_amount(amount_text, currency)?;
    Ok((dir, amount, currency))
}

/// `:13D:` `YYMMDDHHMM±HHMM` (or old `:13:` without offset) → UTC date-time.
pub fn parse_datetime(value: &str) -> Result<NaiveDateTime, FieldError> {
    let v = value.trim();
    let expected = "date and time YYMMDDHHMM with offset ±HHMM";
    let bad = || FieldError::new("invalid-13d", expected, v);
    let date = match parse_yymmdd(v.get(0..6).ok_or_else(bad)?)? {
        YyMmDd::Date(d) => d,
        YyMmDd::CalendarInvalid { .. } => return Err(bad()),
    };
    let hh = digits(v.get(6..8).ok_or_else(bad)?.as_bytes()).ok_or_else(bad)?;
    let mi = digits(v.get(8..10).ok_or_else(bad)?.as_bytes()).ok_or_else(bad)?;
    let time = NaiveTime::from_hms_opt(hh, mi, 0).ok_or_else(bad)?;
    let local = date.and_time(time);
    let rest = v.get(10..).unwrap_or("");
    if rest.is_empty() {
        return Ok(local);
    }
    let sign = match rest.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return Err(bad()),
    };
    let oh = digits(rest.get(1..3).ok_or_else(bad)?.as_bytes()).ok_or_else(bad)?;
    let om = digits(rest.get(3..5).ok_or_else(bad)?.as_bytes()).ok_or_else(bad)?;
    if oh > 14 || om > 59 || rest.len() != 5 {
        return Err(bad());
    }
    let offset = chrono::Duration::minutes(i64::from(sign * (oh * 60 + om) as i32));
    Ok(local - offset)
}

/// `:90D:`/`:90C:` number of entries, currency, sum.
pub fn parse_count_sum(value: &str) -> Result<(u64, Decimal, Currency), FieldError> {
    let v = value.trim();
    let expected = "count, currency and sum (5IDR1250000,)";
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let count: u64 = v[..split]
        .parse()
        .map_err(|_| FieldError::new("invalid-90", expected, v))?;
    let rest = &v[split..];
    let currency = Currency::parse(rest.get(0..3).unwrap_or(""))
        .map_err(|_| FieldError::new("invalid-90", expected, v))?;
    let (amount, _) = parse_mt_amount(&rest[3..], currency)?;
    Ok((count, amount, currency))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn entry_date_rolls_over_year_end() {
        let v = YyMmDd::Date(d(2023, 12, 31));
        assert_eq!(entry_date_near("0102", v).unwrap(), Some(d(2024, 1, 2)));
        let v = YyMmDd::Date(d(2024, 1, 2));
        assert_eq!(entry_date_near("1231", v).unwrap(), Some(d(2023, 12, 31)));
    }

    #[test]
    fn feb_30_is_calendar_invalid_not_malformed() {
        assert!(matches!(
            parse_yymmdd("160230").unwrap(),
            YyMmDd::CalendarInvalid { .. }
        ));
        assert_eq!(parse_yymmdd("161301").unwrap_err().code, "invalid-date");
        assert_eq!(parse_yymmdd("16x101").unwrap_err().code, "invalid-date");
    }

    #[test]
    fn statement_line_variants() {
        let l = parse_61(
            "0709040904RCR204,88NRTINONREF//R7247",
            Currency::parse("EUR").unwrap(),
        )
        .unwrap();
        assert_eq!(l.mark, Mark::ReversalOfCredit);
        assert_eq!(l.mark.direction(), Direction::Debit);
        assert_eq!(l.funds_code, Some('R'));
        assert_eq!(l.amount, dec!(204.88));
        assert_eq!(l.type_code, "NRTI");
        assert_eq!(l.customer_ref.as_deref(), Some("NONREF"));
        assert_eq!(l.bank_ref.as_deref(), Some("R7247"));

        let l = parse_61("240102C250000NTRF", Currency::IDR).unwrap();
        assert_eq!(l.amount, dec!(250000));
        assert_eq!(l.amount_style, AmountStyle::NoDecimalMark);
        assert_eq!(l.customer_ref, None);
        assert!(l.type_standard);

        let l = parse_61("100722D25,03NOV NONREF\nextra details", Currency::IDR).unwrap();
        assert!(!l.type_standard);
        assert_eq!(l.type_code, "NOV");
        assert_eq!(l.customer_ref.as_deref(), Some("NONREF"));
        assert_eq!(l.supplementary.as_deref(), Some("extra details"));

        let l = parse_61("2006080608D12,35 NRTIKREF+//2016", Currency::IDR).unwrap();
        assert!(!l.type_standard);
        assert_eq!(l.type_code, "NRTI");
        assert_eq!(l.customer_ref.as_deref(), Some("KREF+"));

        let l = parse_61("1312311231RD5,00NTRFX", Currency::IDR).unwrap();
        assert_eq!(l.mark.direction(), Direction::Credit);
        assert!(l.mark.is_reversal());
        assert_eq!(l.entry_date, Some(d(2013, 12, 31)));
    }

    #[test]
    fn fast_amount_path_agrees_with_the_full_parser() {
        for (t, scale) in [
            ("1234,56", 2),
            ("100,", 2),
            (",5", 2),
            ("0007", 2),
            ("1,234", 3),
            ("999999999999999999,99", 2),
        ] {
            let fast = fast_swift_amount(t.as_bytes(), scale).map(|v| v.0);
            let full = parse_amount(t, NumberFormat::Swift, scale).ok();
            // The fast path may decline (i64 overflow) but never disagrees.
            assert!(fast.is_none() || fast == full, "{t}");
            assert!(full.is_some(), "{t}");
        }
        for t in ["", ",", "1,2,3", "1.5", "1,234", "12a"] {
            assert!(fast_swift_amount(t.as_bytes(), 2).is_none(), "{t}");
        }
    }

    #[test]
    fn undatable_entry_is_an_error() {
        let e = parse_61("160230D6,00NMSCNONREF", Currency::IDR).unwrap_err();
        assert_eq!(e.code, "invalid-date");
        let l = parse_61("1602300301D6,00NMSCNONREF", Currency::IDR).unwrap();
        assert_eq!((l.value_date, l.entry_date), (None, Some(d(2016, 3, 1))));
    }

    #[test]
    fn balances() {
        let b = parse_balance("C240102IDR1500000", BalanceKind::OpeningBooked, None).unwrap();
        assert_eq!(b.balance.amount, dec!(1500000));
        assert_eq!(b.amount_style, AmountStyle::NoDecimalMark);
        let b = parse_balance(
            "D030106EUR000000001000.12",
            BalanceKind::OpeningBooked,
            None,
        )
        .unwrap();
        assert_eq!(b.balance.amount, dec!(-1000.12));
        assert_eq!(b.amount_style, AmountStyle::Dot);
        let b = parse_balance(
            "C020315105000,00",
            BalanceKind::IntermediateClosing,
            Some(Currency::IDR),
        )
        .unwrap();
        assert!(b.currency_missing);
        assert_eq!(b.balance.amount, dec!(105000));
        assert!(parse_balance("X020315EUR1,", BalanceKind::ClosingBooked, None).is_err());
        assert_eq!(
            parse_balance("C020315EUR1,001", BalanceKind::ClosingBooked, None)
                .unwrap_err()
                .code,
            "amount-over-scale"
        );
    }

    #[test]
    fn accounts() {
        let a = parse_account("NL91ABNA0417164300EUR");
        assert_eq!(a.iban.as_deref(), Some("NL91ABNA0417164300"));
        assert_eq!(a.currency.map(|c| c.to_string()).as_deref(), Some("EUR"));
        let a = parse_account("0800003200000001610722 EUR");
        assert_eq!(a.number.as_deref(), Some("0800003200000001610722"));
        let a = parse_account("BILLLULLXXX/LU280019400644750000");
        assert_eq!(a.servicer_bic.as_deref(), Some("BILLLULLXXX"));
        assert_eq!(a.iban.as_deref(), Some("LU280019400644750000"));
        let a = parse_account("12345678/1020304050");
        assert_eq!(a.number.as_deref(), Some("12345678/1020304050"));
        let a = parse_account("000000000000001");
        assert_eq!(a.number.as_deref(), Some("000000000000001"));
    }

    #[test]
    fn statement_numbers_and_mt942_fields() {
        assert_eq!(
            parse_statement_number("00478/01"),
            (Some("00478".into()), Some(1))
        );
        assert_eq!(
            parse_statement_number("0000\n0"),
            (Some("00000".into()), None)
        );
        let t = parse_datetime("1501011230+0700").unwrap();
        assert_eq!(t.to_string(), "2015-01-01 05:30:00");
        assert!(parse_datetime("1501012530+0700").is_err());
        assert_eq!(parse_count_sum("3PLN0,03").unwrap().0, 3);
        let (dir, amt, _) = parse_floor_limit("PLND0,").unwrap();
        assert_eq!((dir, amt), (Some(Direction::Debit), dec!(0)));
    }
}
