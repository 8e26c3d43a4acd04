//! Cell values of bank exports: dates (with Indonesian month names and year-less `DD/MM`),
//! times, amounts in the profile's number notation, and direction markers.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use kasda_core::money::{parse_amount, Currency, NumberFormat};
use rust_decimal::Decimal;

use super::records::{Cell, Typed};

/// Month names as Indonesian and English exports write them, full and abbreviated.
const MONTHS: &[(&str, u32)] = &[
    ("januari", 1),
    ("january", 1),
    ("jan", 1),
    ("februari", 2),
    ("pebruari", 2),
    ("february", 2),
    ("feb", 2),
    ("peb", 2),
    ("maret", 3),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("agustus", 8),
    ("august", 8),
    ("agu", 8),
    ("agt", 8),
    ("ags", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nopember", 11),
    ("nov", 11),
    ("nop", 11),
    ("desember", 12),
    ("december", 12),
    ("des", 12),
    ("dec", 12),
];

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    MONTHS.iter().find(|(n, _)| *n == w).map(|&(_, m)| m)
}

/// Strips the apostrophe spreadsheets need to keep a cell as text (`'02/01/2026`, `'0998`).
pub fn clean(text: &str) -> &str {
    let t = text.trim_matches(|c: char| c.is_whitespace());
    t.strip_prefix('\'').unwrap_or(t).trim()
}

/// True when a chrono format names a year.
pub fn has_year(format: &str) -> bool {
    format.contains("%Y") || format.contains("%y")
}

/// Replaces a month word in `text` by its number and `%b`/`%B` in `format` by `%m`, so chrono
/// (which knows English abbreviations only) can parse `02-Januari-2026` and `02 Mei 2026`.
fn numeric_month<'a>(text: &'a str, format: &'a str) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
    if !(format.contains("%b") || format.contains("%B")) {
        return Some((Cow::Borrowed(text), Cow::Borrowed(format)));
    }
    let start = text.find(|c: char| c.is_ascii_alphabetic())?;
    let len = text[start..]
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len() - start);
    let month = month_number(&text[start..start + len])?;
    let text = format!("{}{month:02}{}", &text[..start], &text[start + len..]);
    let format = format.replace("%B", "%m").replace("%b", "%m");
    Some((Cow::Owned(text), Cow::Owned(format)))
}

/// Parses a date with the first of `formats` that fits. A format without a year takes the year
/// from `period`: the year that puts the date inside the period (a period from 28/12/2025 to
/// 03/01/2026 reads `'02/01` as 2026), else the period's first year.
pub fn parse_date(
    cell: &Cell,
    formats: &[String],
    period: Option<(NaiveDate, NaiveDate)>,
) -> Result<NaiveDate, String> {
    if let Typed::DateTime(dt) = cell.typed {
        return Ok(dt.date());
    }
    let text = clean(&cell.text);
    for f in formats {
        let Some((t, f)) = numeric_month(text, f) else {
            continue;
        };
        if has_year(&f) {
            if let Ok(d) = NaiveDate::parse_from_str(&t, &f) {
                return Ok(d);
            }
            continue;
        }
        let Some((from, to)) = period else {
            continue;
        };
        let with_year = |y: i32| NaiveDate::parse_from_str(&format!("{t}|{y}"), &format!("{f}|%Y"));
        let mut first = None;
        for y in from.year()..=to.year().min(from.year() + 1) {
            if let Ok(d) = with_year(y) {
                if d >= from && d <= to {
                    return Ok(d);
                }
                first.get_or_insert(d);
            }
        }
        if let Some(d) = first {
            return Ok(d);
        }
    }
    let mut expected = format!("a date as {}", formats.join(" or "));
    if period.is_none() && formats.iter().any(|f| !has_year(f)) {
        expected.push_str(" (a date without year needs the period line)");
    }
    Err(expected)
}

/// Parses a time of day: `08:15:00`, `08:15`, `08.15.00`, or a spreadsheet time.
pub fn parse_time(cell: &Cell) -> Result<NaiveTime, String> {
    if let Typed::DateTime(dt) = cell.typed {
        return Ok(dt.time());
    }
    let t = clean(&cell.text);
    ["%H:%M:%S", "%H:%M", "%H.%M.%S", "%H.%M", "%H%M%S"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(t, f).ok())
        .ok_or_else(|| "a time like 08:15:00".to_string())
}

/// True for an empty cell or the `-` some exports write for "nothing".
pub fn is_blank(cell: &Cell) -> bool {
    let t = clean(&cell.text);
    t.is_empty() || t == "-"
}

/// Parses a money cell. With `signed`, a negative value may be written `-1.000,00`,
/// `1.000,00-` or `(1.000,00)`; without, any sign is an error. Numeric spreadsheet cells are
/// read as plain decimals whatever the profile's notation. `.00` (no integer digit) is zero.
pub fn parse_money(
    cell: &Cell,
    format: NumberFormat,
    currency: Currency,
    signed: bool,
) -> Result<Decimal, String> {
    let format = if cell.typed == Typed::Number {
        NumberFormat::Plain
    } else {
        format
    };
    let expected = || {
        let what = match format {
            NumberFormat::Plain => "a decimal number like 1234567.89",
            NumberFormat::Swift => "an amount like 1234567,89",
            NumberFormat::Indonesian => "an Indonesian amount like 1.234.567,89",
            NumberFormat::English => "an amount like 1,234,567.89",
        };
        let scale = currency.scale();
        if signed {
            format!("{what} (sign allowed, at most {scale} decimals for {currency})")
        } else {
            format!("{what} (at most {scale} decimals for {currency})")
        }
    };
    let mut t = clean(&cell.text);
    let mut negative = false;
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        t = inner.trim();
        negative = true;
    } else if let Some(r) = t.strip_prefix('-') {
        t = r.trim_start();
        negative = true;
    } else if let Some(r) = t.strip_suffix('-') {
        t = r.trim_end();
        negative = true;
    } else if let Some(r) = t.strip_prefix('+') {
        t = r.trim_start();
    }
    if negative && !signed {
        return Err(expected());
    }
    let decimal_mark = match format {
        NumberFormat::Indonesian | NumberFormat::Swift => ',',
        NumberFormat::Plain | NumberFormat::English => '.',
    };
    let owned;
    if t.starts_with(decimal_mark) {
        owned = format!("0{t}");
        t = &owned;
    }
    let v = parse_amount(t, format, currency.scale()).map_err(|_| expected())?;
    Ok(if negative { -v } else { v })
}

/// Splits `12,500,000.00 CR` / `12500000.00CR` into the number and its trailing marker.
pub fn split_suffix(text: &str) -> (&str, &str) {
    let t = clean(text);
    let cut = t
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphabetic())
        .last()
        .map_or(t.len(), |(i, _)| i);
    (t[..cut].trim_end(), &t[cut..])
}

/// Date and time joined, for `booked_at`.
pub fn at(date: NaiveDate, time: NaiveTime) -> NaiveDateTime {
    date.and_time(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_in_every_written_form() {
        let f = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let c = Cell::text;
        assert_eq!(
            parse_date(&c("'02/01/2026"), &f(&["%d/%m/%Y"]), None),
            Ok(d(2026, 1, 2))
        );
        assert_eq!(
            parse_date(&c("02/01/26"), &f(&["%d/%m/%y"]), None),
            Ok(d(2026, 1, 2))
        );
        assert_eq!(
            parse_date(&c("02 Jan 2026"), &f(&["%d %b %Y"]), None),
            Ok(d(2026, 1, 2))
        );
        assert_eq!(
            parse_date(&c("02-Januari-2026"), &f(&["%d-%B-%Y"]), None),
            Ok(d(2026, 1, 2))
        );
        assert_eq!(
            parse_date(&c("17 Agt 2025"), &f(&["%d %b %Y"]), None),
            Ok(d(2025, 8, 17))
        );
        assert_eq!(
            parse_date(&c("5 Mei 2025"), &f(&["%d %B %Y"]), None),
            Ok(d(2025, 5, 5))
        );
        let p = Some((d(2025, 12, 28), d(2026, 1, 3)));
        let ddmm = f(&["%d/%m/%Y", "%d/%m"]);
        assert_eq!(parse_date(&c("'30/12"), &ddmm, p), Ok(d(2025, 12, 30)));
        assert_eq!(parse_date(&c("'02/01"), &ddmm, p), Ok(d(2026, 1, 2)));
        let e = parse_date(&c("'02/01"), &ddmm, None).unwrap_err();
        assert!(e.contains("period"), "{e}");
        assert!(parse_date(&c("31/02/2026"), &ddmm, None).is_err());
        assert!(parse_date(&c("02 Foo 2026"), &f(&["%d %b %Y"]), None).is_err());
    }

    #[test]
    fn money_in_each_notation() {
        let c = Cell::text;
        let idr = Currency::IDR;
        assert_eq!(
            parse_money(&c("1.250.000,00"), NumberFormat::Indonesian, idr, false),
            Ok(dec!(1250000.00))
        );
        assert_eq!(
            parse_money(&c(".00"), NumberFormat::English, idr, false),
            Ok(dec!(0))
        );
        assert_eq!(
            parse_money(&c("(1,000.50)"), NumberFormat::English, idr, true),
            Ok(dec!(-1000.50))
        );
        assert_eq!(
            parse_money(&c("1.000,00-"), NumberFormat::Indonesian, idr, true),
            Ok(dec!(-1000.00))
        );
        assert!(parse_money(&c("-5"), NumberFormat::Plain, idr, false).is_err());
        assert!(parse_money(&c("1.5.0"), NumberFormat::Plain, idr, true).is_err());
        assert!(parse_money(&c("1.001"), NumberFormat::Plain, idr, false).is_err());
        let n = Cell {
            text: "-12.5".into(),
            typed: Typed::Number,
        };
        assert_eq!(
            parse_money(&n, NumberFormat::Indonesian, idr, true),
            Ok(dec!(-12.5))
        );
    }

    #[test]
    fn suffixes_and_times() {
        assert_eq!(split_suffix("12,500,000.00 CR"), ("12,500,000.00", "CR"));
        assert_eq!(split_suffix("72100000.00DB"), ("72100000.00", "DB"));
        assert_eq!(split_suffix("5"), ("5", ""));
        assert_eq!(
            parse_time(&Cell::text("09:40:12")),
            Ok(NaiveTime::from_hms_opt(9, 40, 12).unwrap())
        );
        assert!(parse_time(&Cell::text("25:00")).is_err());
    }
}
