//! Indonesian display rules (DOMAIN §8): `Rp1.234.567,00`, dates `23 November 2026`, percentages
//! `85,25%`, and "terbilang" (amounts in words) for signed documents.

use chrono::{Datelike, NaiveDate};
use kasda_core::money::{display_idr, format_amount, NumberFormat};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// `Rp1.234.567,00`.
pub fn rupiah(amount: Decimal) -> String {
    display_idr(amount)
}

/// `1.234.567,00` (for table cells, where the column says Rp).
pub fn amount(amount: Decimal) -> String {
    format_amount(amount, NumberFormat::Indonesian, 2)
}

/// `85,25%`.
pub fn percent(p: Decimal) -> String {
    let r = p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    format!("{}%", format_amount(r, NumberFormat::Indonesian, 2))
}

pub fn month_name(month: u32) -> &'static str {
    MONTHS
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("")
}

/// `23 November 2026`.
pub fn date_long(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), month_name(d.month()), d.year())
}

/// `23-11-2026` (table cells).
pub fn date_short(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// `1 s.d. 30 November 2026`, or both dates in full when months differ.
pub fn period(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        date_long(from)
    } else if from.year() == to.year() && from.month() == to.month() {
        format!("{} s.d. {}", from.day(), date_long(to))
    } else {
        format!("{} s.d. {}", date_long(from), date_long(to))
    }
}

const UNITS: [&str; 12] = [
    "", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh",
    "sebelas",
];

/// Words for 0 < n < 1000.
fn below_thousand(n: u64, out: &mut Vec<String>) {
    let hundreds = n / 100;
    let rest = n % 100;
    match hundreds {
        0 => {}
        1 => out.push("seratus".into()),
        h => out.push(format!("{} ratus", UNITS[h as usize])),
    }
    match rest {
        0 => {}
        r if r < 12 => out.push(UNITS[r as usize].into()),
        r if r < 20 => out.push(format!("{} belas", UNITS[(r - 10) as usize])),
        r => {
            out.push(format!("{} puluh", UNITS[(r / 10) as usize]));
            if r % 10 != 0 {
                out.push(UNITS[(r % 10) as usize].into());
            }
        }
    }
}

/// Words for a whole number (`0` → `nol`).
pub fn number_words(n: u64) -> String {
    if n == 0 {
        return "nol".into();
    }
    const SCALES: [&str; 7] = [
        "",
        "ribu",
        "juta",
        "miliar",
        "triliun",
        "kuadriliun",
        "kuintiliun",
    ];
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut words: Vec<String> = Vec::new();
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            continue;
        }
        if i == 1 && g == 1 {
            words.push("seribu".into());
            continue;
        }
        below_thousand(g, &mut words);
        if i > 0 {
            words.push(SCALES[i].into());
        }
    }
    words.join(" ")
}

/// "Terbilang" of an amount in rupiah: `satu juta dua ratus ribu rupiah`, with sen when the
/// amount has them and `minus` for a negative amount. Amounts beyond u64 rupiah (never seen in a
/// budget) are written in digits.
pub fn terbilang(amount: Decimal) -> String {
    let negative = amount.is_sign_negative() && !amount.is_zero();
    let abs = amount
        .abs()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let whole = abs.trunc();
    let sen = ((abs - whole) * Decimal::from(100)).trunc();
    let (Some(whole), Some(sen)) = (whole.to_u64(), sen.to_u64()) else {
        return format!("{} rupiah", rupiah(amount));
    };
    let mut s = String::new();
    if negative {
        s.push_str("minus ");
    }
    s.push_str(&number_words(whole));
    s.push_str(" rupiah");
    if sen > 0 {
        s.push(' ');
        s.push_str(&number_words(sen));
        s.push_str(" sen");
    }
    s
}

/// Terbilang with the first letter capitalised, in the form printed under a balance.
pub fn terbilang_sentence(amount: Decimal) -> String {
    let t = terbilang(amount);
    let mut c = t.chars();
    match c.next() {
        Some(f) => format!("({}{})", f.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn words() {
        assert_eq!(number_words(0), "nol");
        assert_eq!(number_words(11), "sebelas");
        assert_eq!(number_words(15), "lima belas");
        assert_eq!(number_words(100), "seratus");
        assert_eq!(number_words(1000), "seribu");
        assert_eq!(number_words(1_001_000), "satu juta seribu");
        assert_eq!(number_words(21_000), "dua puluh satu ribu");
        assert_eq!(
            number_words(1_234_567),
            "satu juta dua ratus tiga puluh empat ribu lima ratus enam puluh tujuh"
        );
        assert_eq!(
            number_words(2_000_000_000_110),
            "dua triliun seratus sepuluh"
        );
    }

    #[test]
    fn terbilang_amounts() {
        assert_eq!(
            terbilang(dec!(1500000.00)),
            "satu juta lima ratus ribu rupiah"
        );
        assert_eq!(terbilang(dec!(12.50)), "dua belas rupiah lima puluh sen");
        assert_eq!(terbilang(dec!(-3)), "minus tiga rupiah");
        assert_eq!(terbilang_sentence(dec!(0)), "(Nol rupiah)");
    }

    #[test]
    fn display() {
        assert_eq!(rupiah(dec!(1234567)), "Rp1.234.567,00");
        assert_eq!(amount(dec!(-1000.5)), "-1.000,50");
        assert_eq!(percent(dec!(85.255)), "85,26%");
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(date_long(d), "1 Maret 2026");
        let e = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(period(d, e), "1 s.d. 31 Maret 2026");
    }
}
