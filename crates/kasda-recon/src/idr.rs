//! `Rp1.234.567,00` for explanations, without the string round trips of the general
//! formatter: recon writes one or two amounts into every match's explanation, a million times
//! per run at scale. Gives exactly `kasda_core::money::display_idr` (tested against it).

use rust_decimal::Decimal;

/// Display form of an IDR amount, identical to `kasda_core::money::display_idr`.
pub(crate) fn display_idr(amount: Decimal) -> String {
    if amount.scale() > 2 {
        return kasda_core::money::display_idr(amount);
    }
    let mut a = amount;
    a.rescale(2);
    if a.scale() != 2 {
        // Too large to carry two decimals: the general formatter's text.
        return kasda_core::money::display_idr(amount);
    }
    let negative = a.is_sign_negative() && !a.is_zero();
    let m = a.mantissa().unsigned_abs();
    let int = m / 100;
    let frac = (m % 100) as u8;
    let digits = int.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 7);
    if negative {
        out.push('-');
    }
    out.push_str("Rp");
    let n = digits.len();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out.push(',');
    out.push((b'0' + frac / 10) as char);
    out.push((b'0' + frac % 10) as char);
    out
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
}
