//! The working-day calendar the generator simulates against.
//!
//! Two calendars matter (DOMAIN.md §9): the pemda (ASN) working-day calendar drives the
//! 1-working-day deposit rule and teller opening, and the bank business-day calendar drives
//! channel settlement. Banks open on cuti bersama; offices do not. The days come from
//! `kasda_core::calendar::Calendar::bundled()` (SKB 3 Menteri lists), so generated deadlines and
//! kasda's detectors agree to the day. The generator runs millions of date queries, so the
//! bundled calendar is flattened once into a table of flags. Outside the bundled years only
//! weekends are days off (and `kasda.toml` would fail kasda's own calendar check there, as it
//! should). Ramadan dates (for volume seasonality) are embedded here.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use kasda_core::calendar::{Calendar, HolidayKind};

/// Why a date is not an ordinary working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOff {
    /// Libur nasional: banks and offices closed.
    National,
    /// Cuti bersama (or a local holiday): offices closed, banks open.
    CutiBersama,
}

struct Table {
    first: NaiveDate,
    /// Per day from `first`: 0 = ordinary, 1 = national holiday, 2 = cuti bersama/local.
    kinds: Vec<u8>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let cal = Calendar::bundled();
        let (first_year, last_year) = cal.years().unwrap_or((2024, 2023));
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(last_year, 12, 31).unwrap_or(first);
        let len = usize::try_from((last - first).num_days() + 1).unwrap_or(0);
        let mut kinds = vec![0u8; len];
        for h in cal.holidays() {
            if let Ok(i) = usize::try_from((h.date - first).num_days()) {
                if let Some(k) = kinds.get_mut(i) {
                    *k = match h.kind {
                        HolidayKind::National => 1,
                        HolidayKind::CutiBersama | HolidayKind::Local => {
                            if *k == 1 {
                                1
                            } else {
                                2
                            }
                        }
                    };
                }
            }
        }
        Table { first, kinds }
    })
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The kind of holiday `date` is, if any.
pub fn holiday(date: NaiveDate) -> Option<DayOff> {
    let t = table();
    let i = usize::try_from((date - t.first).num_days()).ok()?;
    match t.kinds.get(i) {
        Some(1) => Some(DayOff::National),
        Some(2) => Some(DayOff::CutiBersama),
        _ => None,
    }
}

/// Years the bundled calendar covers.
pub fn covered_years() -> Option<(i32, i32)> {
    Calendar::bundled().years()
}

/// First and last day of Ramadan per year (1 Ramadan to the day before Idul Fitri).
/// (year, (month, day) of 1 Ramadan, (month, day) of its last day).
type RamadanSpan = (i32, (u32, u32), (u32, u32));

const RAMADAN: &[RamadanSpan] = &[
    (2024, (3, 11), (4, 9)),
    (2025, (3, 1), (3, 30)),
    (2026, (2, 18), (3, 20)),
    (2027, (2, 8), (3, 9)),
];

pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Offices (bendahara, teller desks at Samsat/Bapenda) work: not a weekend, holiday or cuti
/// bersama.
pub fn is_working_day(date: NaiveDate) -> bool {
    !is_weekend(date) && holiday(date).is_none()
}

/// Banks settle and book value: not a weekend or national holiday (cuti bersama is a bank day).
pub fn is_bank_day(date: NaiveDate) -> bool {
    !is_weekend(date) && holiday(date) != Some(DayOff::National)
}

/// The `n`-th bank day after `date` (n = 0: `date` itself if a bank day, else the next one).
pub fn add_bank_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    if n == 0 {
        while !is_bank_day(d) {
            d = d.succ_opt().unwrap_or(d);
        }
        return d;
    }
    let mut left = n;
    // A run of holidays is at most a couple of weeks; 400 steps bounds the loop regardless.
    for _ in 0..400 {
        d = match d.succ_opt() {
            Some(next) => next,
            None => return d,
        };
        if is_bank_day(d) {
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    d
}

/// The `n`-th working day after `date` (n = 0: `date` itself if a working day, else the next).
pub fn add_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    if n == 0 {
        for _ in 0..400 {
            if is_working_day(d) {
                break;
            }
            d = d.succ_opt().unwrap_or(d);
        }
        return d;
    }
    let mut left = n;
    for _ in 0..400 {
        d = match d.succ_opt() {
            Some(next) => next,
            None => return d,
        };
        if is_working_day(d) {
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    d
}

/// Working days strictly after `from` up to and including `to` (0 when `to <= from`).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = match d.succ_opt() {
            Some(next) => next,
            None => break,
        };
        if is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// Whether `date` falls in Ramadan, and how many days remain until Idul Fitri.
pub fn ramadan_days_left(date: NaiveDate) -> Option<i64> {
    RAMADAN.iter().find_map(|(y, (m1, d1), (m2, d2))| {
        let start = ymd(*y, *m1, *d1)?;
        let end = ymd(*y, *m2, *d2)?;
        (date >= start && date <= end).then(|| (end - date).num_days())
    })
}

/// Last working day of the month `date` is in.
pub fn last_working_day_of_month(date: NaiveDate) -> NaiveDate {
    let mut d = last_day_of_month(date);
    for _ in 0..31 {
        if is_working_day(d) {
            return d;
        }
        d = d.pred_opt().unwrap_or(d);
    }
    d
}

pub fn last_day_of_month(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    ymd(y, m, 1).and_then(|d| d.pred_opt()).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cuti_bersama_is_a_bank_day_but_not_a_working_day() {
        assert!(!is_working_day(d(2026, 2, 16)));
        assert!(is_bank_day(d(2026, 2, 16)));
        assert!(!is_bank_day(d(2026, 2, 17)));
    }

    #[test]
    fn adds_days_over_weekends_and_lebaran() {
        // Friday 2 Jan 2026 + 1 bank day = Monday 5 Jan.
        assert_eq!(add_bank_days(d(2026, 1, 2), 1), d(2026, 1, 5));
        // 19 Mar 2026 (Nyepi) + 1 working day: 20, 23, 24 cuti; 21, 22 Lebaran → 25 Mar.
        assert_eq!(add_working_days(d(2026, 3, 19), 1), d(2026, 3, 25));
        assert_eq!(working_days_between(d(2026, 3, 17), d(2026, 3, 25)), 1);
        assert_eq!(add_bank_days(d(2026, 1, 3), 0), d(2026, 1, 5));
    }

    #[test]
    fn month_ends_and_ramadan() {
        assert_eq!(last_day_of_month(d(2024, 2, 10)), d(2024, 2, 29));
        assert_eq!(last_working_day_of_month(d(2026, 5, 3)), d(2026, 5, 29));
        assert_eq!(ramadan_days_left(d(2026, 3, 10)), Some(10));
        assert_eq!(ramadan_days_left(d(2026, 4, 10)), None);
    }
}
