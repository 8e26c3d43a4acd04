//! Working-day calendar: bundled SKB lists, the 2026 Idul Fitri window, year boundaries, local
//! adjustments, bank vs pemda days, and zone/cut-off business dates.

use chrono::{Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use kasda_core::calendar::{
    Adjustments, Calendar, CalendarError, DayRule, HolidayKind, LocalHoliday, Zone,
};
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn bundled_years_and_counts_match_the_decrees() {
    let cal = Calendar::bundled();
    assert_eq!(cal.years(), Some((2024, 2027)));
    let count = |year: i32, kind: HolidayKind| {
        cal.holidays()
            .filter(|h| h.date.year() == year && h.kind == kind)
            .count()
    };
    // SKB 855/3/4 Tahun 2023: 17 + 10.
    assert_eq!(count(2024, HolidayKind::National), 17);
    assert_eq!(count(2024, HolidayKind::CutiBersama), 10);
    // SKB 1017/2/2 Tahun 2024 (17 + 10) amended by 933/1/3 Tahun 2025 (+18 Aug).
    assert_eq!(count(2025, HolidayKind::National), 17);
    assert_eq!(count(2025, HolidayKind::CutiBersama), 11);
    // SKB 1497/2/5 Tahun 2025: 17 + 8.
    assert_eq!(count(2026, HolidayKind::National), 17);
    assert_eq!(count(2026, HolidayKind::CutiBersama), 8);
    let cuti_2026: Vec<NaiveDate> = cal
        .holidays()
        .filter(|h| h.date.year() == 2026 && h.kind == HolidayKind::CutiBersama)
        .map(|h| h.date)
        .collect();
    let expected: Vec<NaiveDate> = [
        "2026-02-16",
        "2026-03-18",
        "2026-03-20",
        "2026-03-23",
        "2026-03-24",
        "2026-05-15",
        "2026-05-28",
        "2026-12-24",
    ]
    .iter()
    .map(|s| d(s))
    .collect();
    assert_eq!(cuti_2026, expected);
    assert!(!cal.is_provisional(2026));
    assert!(cal.is_provisional(2027));
    assert!(cal.is_provisional(2031));
    assert!(cal.sources().iter().any(|s| s.decree.contains("1497")));
}

#[test]
fn cuti_bersama_never_fall_on_weekends() {
    let cal = Calendar::bundled();
    for h in cal
        .holidays()
        .filter(|h| h.kind == HolidayKind::CutiBersama)
    {
        assert!(
            !matches!(h.date.weekday(), Weekday::Sat | Weekday::Sun),
            "{} {} is on a weekend",
            h.date,
            h.name
        );
    }
}

#[test]
fn idul_fitri_2026_window() {
    let cal = Calendar::bundled();
    // 18 cuti (Nyepi), 19 Nyepi, 20 cuti, 21–22 Idul Fitri (Sat–Sun), 23–24 cuti.
    assert_eq!(
        cal.add_working_days(d("2026-03-17"), 1).unwrap(),
        d("2026-03-25")
    );
    assert_eq!(
        cal.next_working_day(d("2026-03-17")).unwrap(),
        d("2026-03-25")
    );
    for day in 18..=24 {
        let date = NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        assert!(!cal.is_working_day(date).unwrap(), "{date}");
    }
    assert!(cal.is_working_day(d("2026-03-17")).unwrap());
    assert!(cal.is_working_day(d("2026-03-25")).unwrap());
    assert_eq!(
        cal.working_days_between(d("2026-03-17"), d("2026-03-25"))
            .unwrap(),
        1
    );
    assert_eq!(
        cal.working_days_between(d("2026-03-17"), d("2026-03-26"))
            .unwrap(),
        2
    );

    // Banks: cuti bersama are business days by default, Nyepi and the weekend are not.
    assert!(cal.is_bank_business_day(d("2026-03-18")).unwrap());
    assert!(!cal.is_bank_business_day(d("2026-03-19")).unwrap());
    assert!(cal.is_bank_business_day(d("2026-03-20")).unwrap());
    assert!(cal.is_bank_business_day(d("2026-03-24")).unwrap());
    assert_eq!(
        cal.add_bank_business_days(d("2026-03-18"), 1).unwrap(),
        d("2026-03-20")
    );
    assert_eq!(
        cal.add_bank_business_days(d("2026-03-20"), 1).unwrap(),
        d("2026-03-23")
    );
    assert_eq!(
        cal.bank_business_days_between(d("2026-03-17"), d("2026-03-25"))
            .unwrap(),
        5
    );

    // Configured: banks close on cuti bersama too.
    let closed = Calendar::bundled_with(Adjustments {
        banks_closed_on_cuti_bersama: true,
        ..Adjustments::default()
    })
    .unwrap();
    assert_eq!(
        closed.add_bank_business_days(d("2026-03-17"), 1).unwrap(),
        d("2026-03-25")
    );

    let info = cal.day_info(d("2026-03-24")).unwrap();
    assert!(
        !info.pemda_working_day && info.bank_business_day && !info.weekend && !info.provisional
    );
    assert_eq!(info.holidays.len(), 1);
    assert!(info.holidays[0].name.contains("Idul Fitri"));
}

#[test]
fn counting_convention_is_after_a_up_to_and_including_b() {
    let cal = Calendar::bundled();
    // Friday → Monday: one working day (Monday).
    assert_eq!(
        cal.working_days_between(d("2026-03-13"), d("2026-03-16"))
            .unwrap(),
        1
    );
    assert_eq!(
        cal.working_days_between(d("2026-03-16"), d("2026-03-16"))
            .unwrap(),
        0
    );
    assert_eq!(
        cal.working_days_between(d("2026-03-16"), d("2026-03-13"))
            .unwrap(),
        -1
    );
    // Collected on a Saturday: deadline is Monday.
    assert_eq!(
        cal.add_working_days(d("2026-03-14"), 1).unwrap(),
        d("2026-03-16")
    );
    assert_eq!(
        cal.add_working_days(d("2026-03-14"), 0).unwrap(),
        d("2026-03-14")
    );
    assert_eq!(
        cal.on_or_after(d("2026-03-14"), DayRule::PemdaWorkingDay)
            .unwrap(),
        d("2026-03-16")
    );
    assert_eq!(
        cal.on_or_after(d("2026-03-16"), DayRule::PemdaWorkingDay)
            .unwrap(),
        d("2026-03-16")
    );
}

#[test]
fn year_boundaries() {
    let cal = Calendar::bundled();
    assert_eq!(
        cal.add_working_days(d("2024-12-31"), 1).unwrap(),
        d("2025-01-02")
    );
    // 25 Dec Natal, 26 cuti, 27–28 weekend.
    assert_eq!(
        cal.add_working_days(d("2025-12-24"), 1).unwrap(),
        d("2025-12-29")
    );
    assert_eq!(
        cal.add_working_days(d("2025-12-31"), 1).unwrap(),
        d("2026-01-02")
    );
    // 29, 30, 31 Dec and 2 Jan.
    assert_eq!(
        cal.working_days_between(d("2025-12-24"), d("2026-01-02"))
            .unwrap(),
        4
    );
    // 24 Dec 2026 cuti, 25 Natal, 26–27 weekend.
    assert_eq!(
        cal.add_working_days(d("2026-12-23"), 1).unwrap(),
        d("2026-12-28")
    );
    assert_eq!(
        cal.add_bank_business_days(d("2026-12-23"), 1).unwrap(),
        d("2026-12-24")
    );
    assert_eq!(
        cal.add_working_days(d("2026-12-31"), 1).unwrap(),
        d("2027-01-04")
    );
}

#[test]
fn dates_outside_the_loaded_years_are_errors() {
    let cal = Calendar::bundled();
    let e = cal.is_working_day(d("2023-12-29")).unwrap_err();
    assert!(matches!(
        e,
        CalendarError::OutOfRange {
            year: 2023,
            first_year: 2024,
            last_year: 2027,
            ..
        }
    ));
    assert!(e.to_string().contains("2024–2027"), "{e}");
    // Stepping off the end of the range is an error, not a guess.
    let e = cal.add_working_days(d("2027-12-30"), 3).unwrap_err();
    assert!(
        matches!(e, CalendarError::OutOfRange { year: 2028, .. }),
        "{e:?}"
    );
    assert!(cal
        .working_days_between(d("2027-12-01"), d("2028-01-05"))
        .is_err());
    assert!(matches!(
        cal.add_working_days(d("2026-01-05"), 100_000),
        Err(CalendarError::StepTooLarge { found: 100_000 })
    ));
}

#[test]
fn provisional_year_is_flagged() {
    let cal = Calendar::bundled();
    let info = cal.day_info(d("2027-03-10")).unwrap();
    assert!(info.provisional);
    assert!(!info.pemda_working_day);
}

#[test]
fn local_holidays_and_overrides() {
    let cal = Calendar::bundled_with(Adjustments {
        local_holidays: vec![
            LocalHoliday {
                date: d("2026-08-10"),
                name: "Hari Jadi Kota Serang".into(),
                banks_closed: false,
            },
            LocalHoliday {
                date: d("2026-09-01"),
                name: "Pemadaman sistem bank (contoh)".into(),
                banks_closed: true,
            },
        ],
        pemda_working_days: vec![d("2026-05-15")],
        banks_closed_on_cuti_bersama: false,
        bank_closed_days: vec![d("2026-05-28")],
    })
    .unwrap();
    assert!(!cal.is_working_day(d("2026-08-10")).unwrap());
    assert!(cal.is_bank_business_day(d("2026-08-10")).unwrap());
    assert!(!cal.is_bank_business_day(d("2026-09-01")).unwrap());
    assert!(cal.is_working_day(d("2026-05-15")).unwrap());
    assert!(!cal.is_bank_business_day(d("2026-05-28")).unwrap());
    let info = cal.day_info(d("2026-08-10")).unwrap();
    assert_eq!(info.holidays[0].kind, HolidayKind::Local);

    let err = Calendar::bundled_with(Adjustments {
        local_holidays: vec![LocalHoliday {
            date: d("2030-01-02"),
            name: "x".into(),
            banks_closed: false,
        }],
        ..Adjustments::default()
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("outside the loaded calendar years"),
        "{err}"
    );
    let err = Calendar::bundled_with(Adjustments {
        pemda_working_days: vec![d("2026-05-13")],
        ..Adjustments::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("nothing to override"), "{err}");
}

#[test]
fn bank_business_date_applies_cutoff_and_holidays() {
    let cal = Calendar::bundled();
    let cutoff = NaiveTime::from_hms_opt(15, 0, 0);
    // Tue 17 Mar 2026 16:00 WIB (09:00 UTC): after cut-off → Wed 18 (cuti bersama, banks open).
    let at = Utc.with_ymd_and_hms(2026, 3, 17, 9, 0, 0).unwrap();
    assert_eq!(
        cal.bank_business_date(at, Zone::Wib, cutoff).unwrap(),
        d("2026-03-18")
    );
    assert_eq!(
        cal.bank_business_date(at, Zone::Wib, None).unwrap(),
        d("2026-03-17")
    );
    // Sat 21 Mar 10:00 WITA → Mon 23.
    let sat = Utc.with_ymd_and_hms(2026, 3, 21, 2, 0, 0).unwrap();
    assert_eq!(
        cal.bank_business_date(sat, Zone::Wita, cutoff).unwrap(),
        d("2026-03-23")
    );
    // Thu 19 Mar (Nyepi) → Fri 20.
    let nyepi = Utc.with_ymd_and_hms(2026, 3, 19, 3, 0, 0).unwrap();
    assert_eq!(
        cal.bank_business_date(nyepi, Zone::Wib, cutoff).unwrap(),
        d("2026-03-20")
    );
}

const YEAR_2028: &str = r#"
year = 2028
provisional = false
decree = "test"
source = "test"
holidays = [ { date = "2028-01-01", kind = "national", name = "Tahun Baru" } ]
"#;

#[test]
fn more_years_can_be_loaded_and_must_be_contiguous() {
    let cal = Calendar::bundled()
        .with_year_file("2028.toml", YEAR_2028)
        .unwrap();
    assert_eq!(cal.years(), Some((2024, 2028)));
    assert_eq!(
        cal.add_working_days(d("2027-12-31"), 1).unwrap(),
        d("2028-01-03")
    );
    let gap = Calendar::bundled().with_year_file("2030.toml", &YEAR_2028.replace("2028", "2030"));
    assert!(
        matches!(gap, Err(CalendarError::NotContiguous { year: 2030, .. })),
        "{gap:?}"
    );
    let dup = Calendar::bundled().with_year_file("2026.toml", &YEAR_2028.replace("2028", "2026"));
    assert!(matches!(
        dup,
        Err(CalendarError::DuplicateYear { year: 2026 })
    ));
    let only = Calendar::from_year_files(&[("2028.toml", YEAR_2028)]).unwrap();
    assert_eq!(only.years(), Some((2028, 2028)));
    assert!(only.is_working_day(d("2026-01-05")).is_err());
}

#[test]
fn bad_holiday_files_are_rejected_with_position() {
    let wrong_year = YEAR_2028.replace("2028-01-01", "2027-01-01");
    let e = Calendar::from_year_files(&[("2028.toml", &wrong_year)]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "holiday file 2028.toml, holiday 1 (2027-01-01): date is not in the file's year 2028"
    );
    let bad_date = YEAR_2028.replace("2028-01-01", "2028-02-30");
    let e = Calendar::from_year_files(&[("x.toml", &bad_date)]).unwrap_err();
    assert!(e.to_string().contains("expected a date YYYY-MM-DD"), "{e}");
    let local = YEAR_2028.replace("\"national\"", "\"local\"");
    assert!(Calendar::from_year_files(&[("x.toml", &local)]).is_err());
    let unknown = YEAR_2028.replace("decree", "dekrit");
    let e = Calendar::from_year_files(&[("x.toml", &unknown)]).unwrap_err();
    assert!(matches!(e, CalendarError::File { .. }), "{e:?}");
    let huge = "#".repeat(70 * 1024);
    assert!(Calendar::from_year_files(&[("x.toml", &huge)]).is_err());
}

proptest! {
    #[test]
    fn add_then_count_round_trips(offset in 0i64..1300, n in 0u32..60) {
        let cal = Calendar::bundled();
        let start = d("2024-01-01") + chrono::Duration::days(offset);
        let end = cal.add_working_days(start, n).unwrap();
        prop_assert_eq!(cal.working_days_between(start, end).unwrap(), i64::from(n));
        if n > 0 {
            prop_assert!(cal.is_working_day(end).unwrap());
        }
        let bank_end = cal.add_bank_business_days(start, n).unwrap();
        prop_assert!(bank_end <= end);
        prop_assert_eq!(cal.bank_business_days_between(start, bank_end).unwrap(), i64::from(n));
    }
}

#[test]
fn lebaran_2024_and_2025_and_the_2025_amendment() {
    let cal = Calendar::bundled();
    // 2024: cuti 8–9, Idul Fitri 10–11, cuti 12 and 15 April.
    assert_eq!(
        cal.add_working_days(d("2024-04-05"), 1).unwrap(),
        d("2024-04-16")
    );
    // 2025: Nyepi cuti 28 Mar, Nyepi 29, Idul Fitri 31 Mar–1 Apr, cuti 2–4 and 7 Apr.
    assert_eq!(
        cal.add_working_days(d("2025-03-27"), 1).unwrap(),
        d("2025-04-08")
    );
    assert_eq!(
        cal.add_bank_business_days(d("2025-03-27"), 1).unwrap(),
        d("2025-03-28")
    );
    // SKB 933/1/3 Tahun 2025 added cuti bersama on Monday 18 Aug 2025.
    assert!(!cal.is_working_day(d("2025-08-18")).unwrap());
    assert!(cal.is_bank_business_day(d("2025-08-18")).unwrap());
}
