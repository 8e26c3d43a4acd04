//! Money: exact decimal amounts, currencies and credit/debit direction.
//!
//! Amounts are `rust_decimal::Decimal`, parsed from text without ever passing through a float.
//! Each source format has its own number notation, chosen by the parser for that format and
//! never guessed from the digits alone:
//!
//! * [`NumberFormat::Plain`]: `1234567.89` (ISO 20022, SNAP BI, JSON, CSV in English locale
//!   without grouping),
//! * [`NumberFormat::Swift`]: `1234567,89` (MT940/MT942; the comma is the decimal mark and may be
//!   the last character, `100,`),
//! * [`NumberFormat::Indonesian`]: `1.234.567,89` (Indonesian-locale exports; `.` groups, `,`
//!   decimal),
//! * [`NumberFormat::English`]: `1,234,567.89` (English-locale exports; `,` groups, `.` decimal).
//!
//! Over-scale input (more decimals than the currency allows) is an error, never rounded.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Largest number of integer digits accepted in any amount. NUMERIC(20,2) in the stores.
pub const MAX_INTEGER_DIGITS: usize = 18;

/// Errors raised while parsing or computing money. Each names what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("invalid amount {found:?}: expected {expected}")]
    Invalid { found: String, expected: String },
    #[error("amount {found:?} has {scale} decimal places; {currency} allows at most {max}")]
    OverScale {
        found: String,
        scale: u32,
        currency: String,
        max: u32,
    },
    #[error("amount {found:?} has more than {MAX_INTEGER_DIGITS} integer digits")]
    TooLarge { found: String },
    #[error("invalid currency code {found:?}: expected three upper-case ISO 4217 letters")]
    InvalidCurrency { found: String },
    #[error("arithmetic overflow in {operation}")]
    Overflow { operation: &'static str },
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch { left: String, right: String },
}

/// ISO 4217 alphabetic currency code, stored inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const IDR: Currency = Currency(*b"IDR");

    /// Parses a three-letter upper-case code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let b = code.trim().as_bytes();
        if b.len() == 3 && b.iter().all(|c| c.is_ascii_uppercase()) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(MoneyError::InvalidCurrency {
                found: code.to_string(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Minor-unit exponent (ISO 4217). IDR is 2 by the standard even though sen are not used
    /// in practice; statements show `,00`.
    pub fn scale(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"CLP" | b"ISK" | b"VND" | b"XAF" | b"XOF" | b"PYG" | b"UGX" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"IQD" | b"LYD" | b"TND" => 3,
            _ => 2,
        }
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::IDR
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Credit or debit, seen from the account holder (the pemda). Amounts are always non-negative;
/// the sign is derived from the direction in exactly one place: [`Direction::signed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Credit,
    Debit,
}

impl Direction {
    /// Signed value of a non-negative amount: credits positive, debits negative.
    pub fn signed(self, amount: Decimal) -> Decimal {
        match self {
            Direction::Credit => amount,
            Direction::Debit => -amount,
        }
    }

    pub fn opposite(self) -> Direction {
        match self {
            Direction::Credit => Direction::Debit,
            Direction::Debit => Direction::Credit,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
}

/// Number notation of a source. Chosen per parser or per CSV profile, never sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberFormat {
    /// `1234567.89`, no grouping.
    Plain,
    /// `1234567,89` (SWIFT MT), no grouping; trailing comma allowed.
    Swift,
    /// `1.234.567,89`: `.` groups thousands, `,` is the decimal mark.
    Indonesian,
    /// `1,234,567.89`: `,` groups thousands, `.` is the decimal mark.
    English,
}

impl NumberFormat {
    fn marks(self) -> (Option<u8>, u8) {
        match self {
            NumberFormat::Plain => (None, b'.'),
            NumberFormat::Swift => (None, b','),
            NumberFormat::Indonesian => (Some(b'.'), b','),
            NumberFormat::English => (Some(b','), b'.'),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            NumberFormat::Plain => "a decimal number like 1234567.89",
            NumberFormat::Swift => "a SWIFT amount like 1234567,89",
            NumberFormat::Indonesian => "an Indonesian amount like 1.234.567,89",
            NumberFormat::English => "an amount like 1,234,567.89",
        }
    }
}

/// Parses a non-negative amount written in `format`, with at most `max_scale` decimals.
///
/// Leading/trailing ASCII blanks are ignored. Signs are not accepted here: direction is a
/// separate field in every statement format (use [`parse_signed`] where a sign is part of the
/// notation). Grouping separators, when the format has them, must group by three.
pub fn parse_amount(
    text: &str,
    format: NumberFormat,
    max_scale: u32,
) -> Result<Decimal, MoneyError> {
    let t = text.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\u{a0}');
    let invalid = || MoneyError::Invalid {
        found: text.to_string(),
        expected: format.describe().to_string(),
    };
    if t.is_empty() {
        return Err(invalid());
    }
    let (group, decimal) = format.marks();
    let bytes = t.as_bytes();
    let mut int_digits: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut frac_digits: Vec<u8> = Vec::new();
    let mut seen_decimal = false;
    // Positions of group separators measured in integer digits seen so far.
    let mut group_positions: Vec<usize> = Vec::new();
    for &b in bytes {
        if b.is_ascii_digit() {
            if seen_decimal {
                frac_digits.push(b);
            } else {
                int_digits.push(b);
            }
        } else if b == decimal && !seen_decimal {
            seen_decimal = true;
        } else if Some(b) == group && !seen_decimal {
            group_positions.push(int_digits.len());
        } else {
            return Err(invalid());
        }
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(invalid());
    }
    if int_digits.is_empty() && format != NumberFormat::Swift && format != NumberFormat::Plain {
        return Err(invalid());
    }
    if !group_positions.is_empty() {
        // 1.234.567: first group 1-3 digits, every later group exactly 3.
        let n = int_digits.len();
        let first = group_positions[0];
        if first == 0 || first > 3 {
            return Err(invalid());
        }
        for (i, &p) in group_positions.iter().enumerate() {
            if p != first + 3 * i {
                return Err(invalid());
            }
        }
        if n != first + 3 * group_positions.len() {
            return Err(invalid());
        }
    }
    if seen_decimal && frac_digits.is_empty() && format != NumberFormat::Swift {
        // "100." is not a plain number; "100," is a valid SWIFT amount.
        return Err(invalid());
    }
    let significant_int = int_digits.iter().skip_while(|&&d| d == b'0').count();
    if significant_int > MAX_INTEGER_DIGITS {
        return Err(MoneyError::TooLarge {
            found: text.to_string(),
        });
    }
    let scale = frac_digits.len() as u32;
    if scale > max_scale {
        // Trailing zeros beyond the scale are still over-scale: the source said more than the
        // currency can hold, and the caller must see it.
        return Err(MoneyError::OverScale {
            found: text.to_string(),
            scale,
            currency: String::new(),
            max: max_scale,
        });
    }
    let mut mantissa: i128 = 0;
    for &d in int_digits.iter().chain(frac_digits.iter()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(d - b'0')))
            .ok_or_else(|| MoneyError::TooLarge {
                found: text.to_string(),
            })?;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| MoneyError::TooLarge {
        found: text.to_string(),
    })
}

/// The common plain amount (`150000`, `1234567.89`: ASCII digits, at most
/// [`MAX_INTEGER_DIGITS`] of them before an optional point and one to `max_scale` after it) read
/// straight from its bytes, without allocating. `None` for anything else (blanks, signs,
/// separators, too many digits), where [`parse_amount`] with [`NumberFormat::Plain`] decides;
/// for every text this accepts, that gives the same value and scale. For readers' hot paths.
pub fn parse_plain_digits(text: &str, max_scale: u32) -> Option<Decimal> {
    let b = text.as_bytes();
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        // `100.` is refused by `parse_amount`.
        Some(dot) if dot + 1 == b.len() => return None,
        Some(dot) => (&b[..dot], &b[dot + 1..]),
        None => (b, &b[b.len()..]),
    };
    if int.is_empty() || int.len() > MAX_INTEGER_DIGITS || frac.len() > max_scale as usize {
        return None;
    }
    let mut mantissa: i64 = 0;
    for &c in int.iter().chain(frac) {
        if !c.is_ascii_digit() {
            return None;
        }
        // Past 18 digits an i64 may overflow: then `parse_amount` reads it.
        mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Decimal::try_from_i128_with_scale(i128::from(mantissa), frac.len() as u32).ok()
}

/// Like [`parse_amount`] but accepts a leading `-` or `+` (SNAP balances, CSV running balances).
pub fn parse_signed(
    text: &str,
    format: NumberFormat,
    max_scale: u32,
) -> Result<Decimal, MoneyError> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('-') {
        parse_amount(rest, format, max_scale).map(|d| -d)
    } else if let Some(rest) = t.strip_prefix('+') {
        parse_amount(rest, format, max_scale)
    } else {
        parse_amount(t, format, max_scale)
    }
}

/// Parses an amount in `currency`, enforcing that currency's scale.
pub fn parse_in(
    text: &str,
    format: NumberFormat,
    currency: Currency,
) -> Result<Decimal, MoneyError> {
    parse_amount(text, format, currency.scale()).map_err(|e| match e {
        MoneyError::OverScale {
            found, scale, max, ..
        } => MoneyError::OverScale {
            found,
            scale,
            currency: currency.to_string(),
            max,
        },
        other => other,
    })
}

/// Formats an amount with exactly `scale` decimals in `format` (rounding never happens: the
/// amount must already fit, which the parsers guarantee).
pub fn format_amount(amount: Decimal, format: NumberFormat, scale: u32) -> String {
    let mut a = amount;
    a.rescale(scale.max(a.scale()));
    let negative = a.is_sign_negative() && !a.is_zero();
    let abs = a.abs().to_string();
    let (int_part, frac_part) = match abs.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (abs.clone(), String::new()),
    };
    let (group, decimal) = format.marks();
    let mut out = String::with_capacity(abs.len() + abs.len() / 3 + 2);
    if negative {
        out.push('-');
    }
    match group {
        Some(g) => {
            let n = int_part.len();
            for (i, ch) in int_part.chars().enumerate() {
                if i > 0 && (n - i) % 3 == 0 {
                    out.push(g as char);
                }
                out.push(ch);
            }
        }
        None => out.push_str(&int_part),
    }
    if !frac_part.is_empty() {
        out.push(decimal as char);
        out.push_str(&frac_part);
    }
    out
}

/// Canonical text of an amount: plain notation with exactly the currency's scale
/// (`1234567.00`). Used in JSON output and in the hash chain's canonical encoding.
pub fn canonical(amount: Decimal, currency: Currency) -> String {
    let mut out = Vec::with_capacity(24);
    push_plain(&mut out, amount, currency.scale());
    // Only ASCII digits, '-' and '.' are written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `amount` in plain notation with at least `scale` decimals, exactly the text of
/// `format_amount(amount, NumberFormat::Plain, scale)`, written from the mantissa's digits.
pub fn push_plain(out: &mut Vec<u8>, amount: Decimal, scale: u32) {
    let mut a = amount;
    a.rescale(scale.max(a.scale()));
    let m = a.mantissa();
    let decimals = a.scale() as usize;
    if m < 0 {
        out.push(b'-');
    }
    let mut v = m.unsigned_abs();
    let mut buf = [0u8; 48];
    let mut i = buf.len();
    let mut written = 0;
    // At least one digit before the point: "0.05", not ".05".
    while v != 0 || written <= decimals {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        written += 1;
    }
    let digits = &buf[i..];
    let int_len = digits.len() - decimals;
    out.extend_from_slice(&digits[..int_len]);
    if decimals > 0 {
        out.push(b'.');
        out.extend_from_slice(&digits[int_len..]);
    }
}

/// Display form for people: `Rp1.234.567,00` for IDR, `1.234.567,00 EUR` otherwise.
pub fn display_idr(amount: Decimal) -> String {
    let s = format_amount(amount, NumberFormat::Indonesian, 2);
    match s.strip_prefix('-') {
        Some(rest) => format!("-Rp{rest}"),
        None => format!("Rp{s}"),
    }
}

/// Checked sum of amounts; overflow is an error, not a panic.
pub fn checked_sum<I: IntoIterator<Item = Decimal>>(items: I) -> Result<Decimal, MoneyError> {
    let mut total = Decimal::ZERO;
    for a in items {
        total = total
            .checked_add(a)
            .ok_or(MoneyError::Overflow { operation: "sum" })?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_each_notation() {
        assert_eq!(
            parse_amount("1234567.89", NumberFormat::Plain, 2).unwrap(),
            dec!(1234567.89)
        );
        assert_eq!(
            parse_amount("1.234.567,89", NumberFormat::Indonesian, 2).unwrap(),
            dec!(1234567.89)
        );
        assert_eq!(
            parse_amount("1234567,89", NumberFormat::Swift, 2).unwrap(),
            dec!(1234567.89)
        );
        assert_eq!(
            parse_amount("100,", NumberFormat::Swift, 2).unwrap(),
            dec!(100)
        );
        assert_eq!(
            parse_amount("1,234,567.89", NumberFormat::English, 2).unwrap(),
            dec!(1234567.89)
        );
        assert_eq!(
            parse_amount("1234567", NumberFormat::Indonesian, 2).unwrap(),
            dec!(1234567)
        );
        assert_eq!(
            parse_amount(",5", NumberFormat::Swift, 2).unwrap(),
            dec!(0.5)
        );
    }

    #[test]
    fn rejects_bad_grouping_and_garbage() {
        for (t, f) in [
            ("1.23.567,89", NumberFormat::Indonesian),
            ("1234.567,89", NumberFormat::Indonesian),
            ("NaN", NumberFormat::Plain),
            ("inf", NumberFormat::Plain),
            ("1e5", NumberFormat::Plain),
            ("", NumberFormat::Plain),
            ("12.", NumberFormat::Plain),
            ("1,2", NumberFormat::English),
            ("-5", NumberFormat::Plain),
            ("1 000", NumberFormat::Plain),
        ] {
            assert!(parse_amount(t, f, 2).is_err(), "{t:?} accepted");
        }
    }

    #[test]
    fn over_scale_is_an_error_not_rounding() {
        let e = parse_in("10.005", NumberFormat::Plain, Currency::IDR).unwrap_err();
        assert!(
            matches!(
                e,
                MoneyError::OverScale {
                    scale: 3,
                    max: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("IDR"));
        assert!(parse_in("10.000", NumberFormat::Plain, Currency::IDR).is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(
            format_amount(dec!(1234567.8), NumberFormat::Indonesian, 2),
            "1.234.567,80"
        );
        assert_eq!(
            format_amount(dec!(-1234.5), NumberFormat::English, 2),
            "-1,234.50"
        );
        assert_eq!(display_idr(dec!(1234567)), "Rp1.234.567,00");
        assert_eq!(canonical(dec!(5), Currency::IDR), "5.00");
    }

    #[test]
    fn direction_signs() {
        assert_eq!(Direction::Debit.signed(dec!(5)), dec!(-5));
        assert_eq!(Direction::Credit.signed(dec!(5)), dec!(5));
    }

    #[test]
    fn plain_digits_take_only_the_common_form() {
        assert_eq!(parse_plain_digits("150000.00", 2), Some(dec!(150000.00)));
        assert_eq!(parse_plain_digits("007.10", 2), Some(dec!(7.10)));
        assert_eq!(parse_plain_digits("150000", 2).map(|d| d.scale()), Some(0));
        for refused in [
            "", "1.", ".5", "1.234", "1,5", "-1", "+1", "1.2.3", "12a", " 1",
        ] {
            assert_eq!(parse_plain_digits(refused, 2), None, "{refused:?}");
        }
        // Past an i64 the fast path steps aside; `parse_amount` still reads it.
        assert_eq!(parse_plain_digits("99999999999999999999", 2), None);
    }

    proptest::proptest! {
        #[test]
        fn push_plain_writes_what_format_amount_writes(
            mantissa in proptest::num::i128::ANY,
            from_scale in 0u32..=28,
            scale in 0u32..=4,
        ) {
            let bound = 79_228_162_514_264_337_593_543_950_335i128; // 2^96 - 1
            let amount = Decimal::from_i128_with_scale(mantissa % bound, from_scale);
            let mut out = Vec::new();
            push_plain(&mut out, amount, scale);
            proptest::prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                format_amount(amount, NumberFormat::Plain, scale)
            );
        }

        #[test]
        fn plain_digits_agree_with_parse_in(t in "[0-9]{0,20}(\\.[0-9]{0,3})?") {
            if let Some(v) = parse_plain_digits(&t, 2) {
                let core = parse_in(&t, NumberFormat::Plain, Currency::IDR);
                proptest::prop_assert_eq!(Some(v), core.as_ref().ok().copied());
                proptest::prop_assert_eq!(Some(v.scale()), core.ok().map(|c| c.scale()));
            }
        }
    }
}
