//! Small exact parsers for the text cells of document files: dates, timestamps with Indonesian
//! zones, NOP, kode rekening, identifiers and keyed lists. Hand-written rather than chrono's
//! format-string parser because they run once per cell on million-row files.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// Longest identifier (NTPD, kode billing, NTB, STS / SP2D number, account) accepted.
pub const MAX_ID_CHARS: usize = 64;
/// Most items in one list cell (kode rekening pairs, deductions, TBP numbers).
pub const MAX_LIST_ITEMS: usize = 1000;

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// `YYYY-MM-DD`, `DD/MM/YYYY` or `DD-MM-YYYY`. The year is always four digits, so the order is
/// never ambiguous.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 {
        return None;
    }
    let (y, m, d) = if b[4] == b'-' && b[7] == b'-' {
        (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?)
    } else if (b[2] == b'/' && b[5] == b'/') || (b[2] == b'-' && b[5] == b'-') {
        (digits(&b[6..10])?, digits(&b[3..5])?, digits(&b[0..2])?)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// A parsed timestamp: local wall time plus the UTC offset written in the text, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub local: NaiveDateTime,
    /// Offset east of UTC in seconds, when the text carried `Z` or `±HH:MM`.
    pub offset_seconds: Option<i32>,
}

/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]`.
pub fn parse_timestamp(s: &str) -> Option<Stamp> {
    let b = s.as_bytes();
    if b.len() < 16 || b.len() > 40 {
        return None;
    }
    let date = parse_date(s.get(0..10)?)?;
    if b[10] != b'T' && b[10] != b' ' && b[10] != b't' {
        return None;
    }
    let hour = digits(&b[11..13])?;
    if b[13] != b':' {
        return None;
    }
    let minute = digits(&b[14..16])?;
    let mut i = 16;
    let mut second = 0;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b':') {
        second = digits(b.get(i + 1..i + 3)?)?;
        i += 3;
        if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &b[start..i];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            nanos = digits(frac)? * 10u32.pow(9 - frac.len() as u32);
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let rest = &s[i..];
    let offset_seconds = if rest.is_empty() {
        None
    } else if rest == "Z" || rest == "z" {
        Some(0)
    } else {
        Some(parse_offset(rest)?)
    };
    Some(Stamp {
        local: date.and_time(time),
        offset_seconds,
    })
}

/// `+07:00`, `+0700`, `-03:30` → seconds east of UTC (within ±14 h).
pub fn parse_offset(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let sign: i32 = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = match b.len() {
        6 if b[3] == b':' => (digits(&b[1..3])?, digits(&b[4..6])?),
        5 => (digits(&b[1..3])?, digits(&b[3..5])?),
        3 => (digits(&b[1..3])?, 0),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// Indonesian time zone names → seconds east of UTC.
pub fn zone_offset(zone: &str) -> Option<i32> {
    if zone.eq_ignore_ascii_case("WIB") {
        Some(7 * 3600)
    } else if zone.eq_ignore_ascii_case("WITA") {
        Some(8 * 3600)
    } else if zone.eq_ignore_ascii_case("WIT") {
        Some(9 * 3600)
    } else {
        None
    }
}

/// Offset of a stored `paid_zone` (a zone name or an offset); `None` when it is neither.
pub fn stored_zone_offset(zone: &str) -> Option<i32> {
    zone_offset(zone).or_else(|| parse_offset(zone))
}

/// Formats seconds east of UTC as `+07:00`.
pub fn format_offset(offset_seconds: i32) -> String {
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let a = offset_seconds.abs();
    format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

/// Local wall time at `offset_seconds` → UTC.
pub fn to_utc(local: NaiveDateTime, offset_seconds: i32) -> Option<DateTime<Utc>> {
    // The offset arithmetic (at most a day either way) unless a leap second or an offset of a
    // day or more needs the general one; both give the same instant (property-tested).
    if let (Some(o), true) = (
        FixedOffset::east_opt(offset_seconds),
        local.nanosecond() < 1_000_000_000,
    ) {
        return local.checked_sub_offset(o).map(|t| t.and_utc());
    }
    local
        .checked_sub_signed(Duration::seconds(i64::from(offset_seconds)))
        .map(|t| t.and_utc())
}

/// Local date of a UTC instant at `offset_seconds`.
pub fn local_date(at: DateTime<Utc>, offset_seconds: i32) -> Option<NaiveDate> {
    let naive = at.naive_utc();
    if let (Some(o), true) = (
        FixedOffset::east_opt(offset_seconds),
        naive.nanosecond() < 1_000_000_000,
    ) {
        return naive.checked_add_offset(o).map(|t| t.date());
    }
    naive
        .checked_add_signed(Duration::seconds(i64::from(offset_seconds)))
        .map(|t| t.date())
}

/// NOP: 18 digits, bare or punctuated as `32.04.010.001.002-0003.0` (2.2.3.3.3-4.1). Returns the
/// 18 digits.
pub fn normalize_nop(s: &str) -> Option<String> {
    let mut out = String::with_capacity(18);
    nop_digits(s, |group| out.extend(group.iter().map(|&c| c as char))).then_some(out)
}

/// Whether [`normalize_nop`] accepts `s`, without building the digits.
pub fn nop_well_formed(s: &str) -> bool {
    nop_digits(s, |_| {})
}

/// Walks the digit groups of a NOP, bare or punctuated; false when `s` is neither.
fn nop_digits(s: &str, mut group: impl FnMut(&[u8])) -> bool {
    let b = s.as_bytes();
    if b.len() == 18 && b.iter().all(u8::is_ascii_digit) {
        group(b);
        return true;
    }
    // Separator expected after each group; the last group has none.
    const GROUPS: [(usize, u8); 7] = [
        (2, b'.'),
        (2, b'.'),
        (3, b'.'),
        (3, b'.'),
        (3, b'-'),
        (4, b'.'),
        (1, 0),
    ];
    if b.len() != 24 {
        return false;
    }
    let mut i = 0;
    for (width, sep) in GROUPS {
        let Some(digits) = b.get(i..i + width) else {
            return false;
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return false;
        }
        group(digits);
        i += width;
        if sep != 0 {
            if b.get(i) != Some(&sep) {
                return false;
            }
            i += 1;
        }
    }
    true
}

/// Permendagri 90/2019 kode rekening down to sub rincian objek: `X.X.XX.XX.XX.XXXX`
/// (a 3-digit sub rincian is accepted: some applications use it).
pub fn kode_rekening_well_formed(s: &str) -> bool {
    // Dots at fixed places, digits everywhere else: 17 bytes, or 16 with a 3-digit last part.
    let b = s.as_bytes();
    (b.len() == 17 || b.len() == 16)
        && b.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 1 | 3 | 6 | 9 | 12) {
                c == b'.'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// An identifier: non-empty, at most [`MAX_ID_CHARS`] characters, no control characters.
pub fn identifier_ok(s: &str) -> bool {
    // Printable ASCII (the usual identifier) in one pass.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return !s.is_empty() && s.len() <= MAX_ID_CHARS;
    }
    if s.is_ascii() {
        return !s.is_empty()
            && s.len() <= MAX_ID_CHARS
            && !s.bytes().any(|b| b.is_ascii_control());
    }
    !s.is_empty()
        && s.len() <= MAX_ID_CHARS * 4
        && s.chars().count() <= MAX_ID_CHARS
        && !s.chars().any(char::is_control)
}

/// Default NPWPD plausibility: 1–30 characters of ASCII letters, digits, `.` and `-`.
pub fn npwpd_default_ok(s: &str) -> bool {
    (1..=30).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
}

/// Splits a list cell on `;`, trimming items and dropping empty ones (a trailing `;` is
/// harmless). `None` when there are more than [`MAX_LIST_ITEMS`] items.
pub fn split_list(cell: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    for item in cell.split(';') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if out.len() == MAX_LIST_ITEMS {
            return None;
        }
        out.push(item);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_three_layouts() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(parse_date("2026-03-02"), Some(d));
        assert_eq!(parse_date("02/03/2026"), Some(d));
        assert_eq!(parse_date("02-03-2026"), Some(d));
        for bad in [
            "2026-02-30",
            "2026-3-2",
            "20260302",
            "2026/03/02",
            "",
            "2026-03-02x",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_with_and_without_offset() {
        let s = parse_timestamp("2026-03-02T10:15:00+07:00").unwrap();
        assert_eq!(s.offset_seconds, Some(25200));
        assert_eq!(s.local.to_string(), "2026-03-02 10:15:00");
        let s = parse_timestamp("2026-03-02 10:15").unwrap();
        assert_eq!(s.offset_seconds, None);
        let s = parse_timestamp("2026-03-02T10:15:00.250Z").unwrap();
        assert_eq!(s.offset_seconds, Some(0));
        assert_eq!(s.local.and_utc().timestamp_subsec_millis(), 250);
        assert_eq!(
            parse_timestamp("2026-03-02 10:15:00+0800")
                .unwrap()
                .offset_seconds,
            Some(28800)
        );
        for bad in [
            "2026-03-02",
            "2026-03-02 25:00:00",
            "2026-03-02 10:15:00 WIB",
            "2026-03-02 10:15:00+15:00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        let utc = to_utc(parse_timestamp("2026-03-02 01:00:00").unwrap().local, 25200).unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-03-01T18:00:00+00:00");
        assert_eq!(local_date(utc, 25200), NaiveDate::from_ymd_opt(2026, 3, 2));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The offset arithmetic gives what the general duration arithmetic gives, over the
        /// whole calendar, leap seconds and offsets of a day or more included.
        #[test]
        fn offset_arithmetic_agrees_with_durations(
            days in -3_000_000i64..3_000_000,
            secs in 0u32..86_400,
            nanos in 0u32..2_000_000_000,
            offset in proptest::prop_oneof![-50_400i32..=50_400, proptest::prelude::any::<i32>()],
        ) {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1)
                .unwrap()
                .checked_add_signed(Duration::days(days));
            let nanos = if secs % 60 == 59 { nanos } else { nanos % 1_000_000_000 };
            let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos);
            if let (Some(date), Some(time)) = (date, time) {
                let local = date.and_time(time);
                let general = local
                    .checked_sub_signed(Duration::seconds(i64::from(offset)))
                    .map(|t| t.and_utc());
                proptest::prop_assert_eq!(to_utc(local, offset), general);
                let at = local.and_utc();
                let general = at
                    .naive_utc()
                    .checked_add_signed(Duration::seconds(i64::from(offset)))
                    .map(|t| t.date());
                proptest::prop_assert_eq!(local_date(at, offset), general);
            }
        }
    }

    #[test]
    fn zones() {
        assert_eq!(zone_offset("wita"), Some(28800));
        assert_eq!(zone_offset("WIT"), Some(32400));
        assert_eq!(zone_offset("CET"), None);
        assert_eq!(stored_zone_offset("+07:00"), Some(25200));
        assert_eq!(format_offset(-12600), "-03:30");
    }

    #[test]
    fn nop_forms() {
        assert_eq!(
            normalize_nop("32.04.010.001.002-0003.0").as_deref(),
            Some("320401000100200030")
        );
        assert_eq!(
            normalize_nop("320401000100200030").as_deref(),
            Some("320401000100200030")
        );
        for bad in [
            "32.04.010.001.002.0003.0",
            "3204010001002000",
            "32.04.010.001.002-0003.01",
            "32.04.0a0.001.002-0003.0",
        ] {
            assert_eq!(normalize_nop(bad), None, "{bad}");
            assert!(!nop_well_formed(bad), "{bad}");
        }
        assert!(nop_well_formed("32.04.010.001.002-0003.0"));
        assert!(nop_well_formed("320401000100200030"));
    }

    #[test]
    fn kode_rekening_forms() {
        assert!(kode_rekening_well_formed("4.1.01.19.01.0001"));
        assert!(kode_rekening_well_formed("4.1.01.19.01.001"));
        for bad in [
            "4.1.01.19.01",
            "4.1.1.19.01.0001",
            "4.1.01.19.01.0001.1",
            "4.1.01.19.01.00a1",
            "",
            "41.01.19.01.0001",
        ] {
            assert!(!kode_rekening_well_formed(bad), "{bad}");
        }
    }

    /// The segment-by-segment reading of the rule, for the property test.
    fn kode_by_segments(s: &str) -> bool {
        const WIDTHS: [usize; 6] = [1, 1, 2, 2, 2, 4];
        let segs: Vec<&str> = s.split('.').collect();
        segs.len() == WIDTHS.len()
            && segs.iter().zip(WIDTHS).enumerate().all(|(i, (seg, w))| {
                (seg.len() == w || (i == 5 && seg.len() == 3))
                    && seg.bytes().all(|c| c.is_ascii_digit())
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn kode_rekening_rule_matches_its_segments(s in "[0-9.a٣]{0,19}") {
            proptest::prop_assert_eq!(kode_rekening_well_formed(&s), kode_by_segments(&s));
        }

        #[test]
        fn kode_rekening_rule_on_near_misses(
            parts in proptest::collection::vec("[0-9]{0,5}", 0..8),
        ) {
            let s = parts.join(".");
            proptest::prop_assert_eq!(kode_rekening_well_formed(&s), kode_by_segments(&s));
        }
    }

    #[test]
    fn identifiers_and_npwpd() {
        assert!(identifier_ok("NTPD-1"));
        assert!(!identifier_ok(""));
        assert!(!identifier_ok(&"x".repeat(65)));
        assert!(!identifier_ok("a\tb"));
        assert!(npwpd_default_ok("P.2.0000123.36.73"));
        assert!(!npwpd_default_ok("P 2"));
        assert!(!npwpd_default_ok(&"1".repeat(31)));
    }

    #[test]
    fn lists() {
        assert_eq!(split_list(" a ; b;;c; ").unwrap(), vec!["a", "b", "c"]);
        assert!(split_list(&"x;".repeat(1001)).is_none());
    }
}
