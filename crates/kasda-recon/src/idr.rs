//! `Rp1.234.567,00` for explanations, without the string round trips of the general
//! formatter: recon writes one or two amounts into every match's explanation, a million times
//! per run at scale. Gives exactly `kasda_core::money::display_idr` (tested against it).

use rust_decimal::Decimal;

/// Display form of an IDR amount, identical to `kasda_core::money::display_idr`.
pub(crate) fn display_idr(amount: Decimal) -> String {
    let mut out = String::new();
    push_idr(&mut out, amount);
    out
}

/// [`display_idr`] appended to `out`.
pub(crate) fn push_idr(out: &mut String, amount: Decimal) {
    if amount.scale() > 2 {
        out.push_str(&kasda_core::money::display_idr(amount));
        return;
    }
    let mut a = amount;
    a.rescale(2);
    if a.scale() != 2 {
        // Too large to carry two decimals: the general formatter's text.
        out.push_str(&kasda_core::money::display_idr(amount));
        return;
    }
    let negative = a.is_sign_negative() && !a.is_zero();
    let m = a.mantissa().unsigned_abs();
    let mut int = m / 100;
    let frac = (m % 100) as u8;
    // Digits of the integer part, least significant first (a u128 has at most 39).
    let mut digits = [0u8; 40];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (int % 10) as u8;
        n += 1;
        int /= 10;
        if int == 0 {
            break;
        }
    }
    out.reserve(n + n / 3 + 7);
    if negative {
        out.push('-');
    }
    out.push_str("Rp");
    for (i, &d) in digits[..n].iter().rev().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(char::from(d));
    }
    out.push(',');
    out.push(char::from(b'0' + frac / 10));
    out.push(char::from(b'0' + frac % 10));
}

/// `date` as chrono displays it (`2026-03-02`), appended to `out`.
pub(crate) fn push_date(out: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike;
    let year = date.year();
    if !(0..=9999).contains(&year) {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = write!(out, "{date}");
        return;
    }
    let two = |out: &mut String, v: u32| {
        out.push(char::from(b'0' + (v / 10) as u8));
        out.push(char::from(b'0' + (v % 10) as u8));
    };
    let y = year as u32;
    two(out, y / 100);
    two(out, y % 100);
    out.push('-');
    two(out, date.month());
    out.push('-');
    two(out, date.day());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_as_the_core_formatter() {
        let mut values: Vec<Decimal> = vec![
            Decimal::ZERO,
            Decimal::new(-0, 2),
            Decimal::new(5, 0),
            Decimal::new(-5, 0),
            Decimal::new(123_456_789, 2),
            Decimal::new(-123_456_789, 2),
            Decimal::new(1, 1),
            Decimal::new(999, 3),
            Decimal::new(62_000_000_000, 0),
            Decimal::MAX,
            Decimal::MIN,
        ];
        let mut x: i64 = 1;
        for _ in 0..2_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            values.push(Decimal::new(x >> 20, (x as u32 >> 3) % 3));
        }
        for v in values {
            assert_eq!(display_idr(v), kasda_core::money::display_idr(v), "{v:?}");
        }
    }

    #[test]
    fn dates_as_chrono_writes_them() {
        let mut dates = vec![
            chrono::NaiveDate::MIN,
            chrono::NaiveDate::MAX,
            chrono::NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
            chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            chrono::NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        ];
        let mut d = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        for _ in 0..20_000 {
            dates.push(d);
            d = d.succ_opt().unwrap();
        }
        for d in dates {
            let mut s = String::from("x");
            push_date(&mut s, d);
            assert_eq!(s, format!("x{d}"));
        }
    }
}
