//! Numbers and dates written straight into a byte buffer, with no intermediate `String`: the
//! hot paths (the hash chain's canonical encoding, stores' row text) write several per entry.
//! Each writer gives exactly the text of its `Display`/`format` counterpart, which the tests
//! hold it to.

use chrono::{Datelike, NaiveDate};

/// Appends the decimal digits of `v` (what `v.to_string()` gives).
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `v` in decimal with a leading `-` when negative (what `v.to_string()` gives).
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends `d` as chrono's `%Y-%m-%d` writes it: four-digit years directly, any other year
/// (before 0 or after 9999, which chrono writes with a sign) through chrono itself.
pub fn push_iso_date(out: &mut Vec<u8>, d: NaiveDate) {
    match u32::try_from(d.year()) {
        Ok(year) if year <= 9999 => {
            let (m, day) = (d.month(), d.day());
            let digit = |v: u32| b'0' + (v % 10) as u8;
            out.extend_from_slice(&[
                digit(year / 1000),
                digit(year / 100),
                digit(year / 10),
                digit(year),
                b'-',
                digit(m / 10),
                digit(m),
                b'-',
                digit(day / 10),
                digit(day),
            ]);
        }
        _ => out.extend_from_slice(d.format("%Y-%m-%d").to_string().as_bytes()),
    }
}

/// `d` as `%Y-%m-%d` text ([`push_iso_date`]).
pub fn iso_date(d: NaiveDate) -> String {
    let mut out = Vec::with_capacity(10);
    push_iso_date(&mut out, d);
    // Only ASCII digits, '-' and '+' are written.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_match_display() {
        for v in [
            0i64,
            1,
            -1,
            9,
            10,
            99,
            100,
            12345,
            i64::MAX,
            i64::MIN,
            -1000,
        ] {
            let mut out = Vec::new();
            push_i64(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
    }

    #[test]
    fn dates_match_chrono_including_far_years() {
        for (y, m, d) in [
            (2026, 3, 1),
            (1, 1, 1),
            (0, 12, 31),
            (999, 7, 4),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 15),
            (-44, 3, 15),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn every_date_matches_chrono(days in -1_000_000i64..4_000_000i64) {
            let date = NaiveDate::from_num_days_from_ce_opt(days as i32).unwrap();
            proptest::prop_assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }

        #[test]
        fn every_integer_matches_display(v in proptest::num::i64::ANY) {
            let mut out = Vec::new();
            push_i64(&mut out, v);
            proptest::prop_assert_eq!(out, v.to_string().into_bytes());
        }
    }
}
