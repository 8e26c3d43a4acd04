//! Working-day calendars and Indonesian time zones.
//!
//! Two calendars matter to a treasury and they differ:
//!
//! * the **pemda working day** (hari kerja ASN): weekends, national holidays (hari libur
//!   nasional) and cuti bersama are off, plus any local holiday the pemda declares. Late-deposit
//!   rules (bendahara penerimaan must deposit within one working day) count these days.
//! * the **bank business day**: weekends and national holidays are off; cuti bersama are
//!   business days for banks unless the configuration says the banks close too. Expected
//!   settlement dates of channels and sweeps count these days.
//!
//! The national lists come from the yearly SKB 3 Menteri (Menag, Menaker, MenPANRB), bundled as
//! `data/holidays/<year>.toml` and loaded with `include_str!`. A date outside the loaded years is
//! an error, never silently a working day: a deadline computed on a missing calendar would be
//! wrong without anybody noticing.
//!
//! Time: banks and tax hosts stamp times in WIB, WITA or WIT. [`Zone`] turns a UTC instant into
//! the pemda's local business date.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

/// Bundled holiday files, one per year, contiguous.
const BUNDLED: [&str; 4] = [
    include_str!("../data/holidays/2024.toml"),
    include_str!("../data/holidays/2025.toml"),
    include_str!("../data/holidays/2026.toml"),
    include_str!("../data/holidays/2027.toml"),
];

/// Largest holiday file accepted.
pub const MAX_HOLIDAY_FILE_BYTES: usize = 64 * 1024;
/// Most holidays one year may list (national + cuti bersama + local).
pub const MAX_HOLIDAYS_PER_YEAR: usize = 120;
/// Most years one calendar may hold.
pub const MAX_YEARS: usize = 50;
/// Largest step accepted by the `add_*` functions (about ten years of working days).
pub const MAX_STEP_DAYS: u32 = 2600;

/// Errors of calendar construction and queries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("date {date} is outside the loaded holiday calendar ({first_year}–{last_year}); load the holiday list for {year} (SKB 3 Menteri) before computing working days")]
    OutOfRange {
        date: NaiveDate,
        year: i32,
        first_year: i32,
        last_year: i32,
    },
    #[error("holiday file {file}: {message}")]
    File { file: String, message: String },
    #[error("holiday file {file}, holiday {index} ({date}): {message}")]
    Entry {
        file: String,
        index: usize,
        date: String,
        message: String,
    },
    #[error("holiday calendar years must be contiguous: have {first_year}–{last_year}, cannot add {year}")]
    NotContiguous {
        first_year: i32,
        last_year: i32,
        year: i32,
    },
    #[error("holiday calendar already has year {year}")]
    DuplicateYear { year: i32 },
    #[error("step of {found} days is larger than the limit of {MAX_STEP_DAYS}")]
    StepTooLarge { found: u32 },
    #[error("local calendar adjustment {what} on {date}: {message}")]
    Adjustment {
        what: &'static str,
        date: NaiveDate,
        message: String,
    },
}

/// What kind of day off a listed holiday is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Hari libur nasional: pemda offices and banks closed.
    National,
    /// Cuti bersama: ASN collective leave; banks open unless configured otherwise.
    CutiBersama,
    /// A holiday the pemda declares itself (regional anniversary, local religious day).
    Local,
}

impl HolidayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayKind::National => "libur nasional",
            HolidayKind::CutiBersama => "cuti bersama",
            HolidayKind::Local => "libur daerah",
        }
    }
}

/// One listed day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub kind: HolidayKind,
    pub name: String,
}

/// Where a year's list comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearSource {
    pub year: i32,
    /// True while the list is an estimate pending the official decree.
    pub provisional: bool,
    pub decree: String,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    year: i32,
    provisional: bool,
    decree: String,
    source: String,
    holidays: Vec<HolidayRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRow {
    date: String,
    kind: HolidayKind,
    name: String,
}

/// A pemda's local changes to the national calendar (the `[calendar]` section of `kasda.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adjustments {
    /// Extra days off for the pemda (and for banks when `banks_closed` is set).
    pub local_holidays: Vec<LocalHoliday>,
    /// Listed national holidays or cuti bersama on which this pemda's offices work anyway.
    pub pemda_working_days: Vec<NaiveDate>,
    /// Banks close on cuti bersama too (as OJK/BI sometimes announce for Idul Fitri).
    pub banks_closed_on_cuti_bersama: bool,
    /// Individual extra bank closing days (a BI announcement, a bank's own closure).
    pub bank_closed_days: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHoliday {
    pub date: NaiveDate,
    pub name: String,
    pub banks_closed: bool,
}

// Day flags, one byte per date of the loaded range.
const PEMDA_OFF: u8 = 1;
const BANK_OFF: u8 = 2;

/// A working-day calendar over a contiguous range of whole years.
#[derive(Debug, Clone)]
pub struct Calendar {
    first_year: i32,
    last_year: i32,
    years: Vec<YearSource>,
    holidays: BTreeMap<NaiveDate, Vec<Holiday>>,
    /// Flags per day from `first_year`-01-01.
    flags: Vec<u8>,
    adjustments: Adjustments,
}

/// Which notion of "working day" a query uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayRule {
    /// Pemda (ASN) working days: late-deposit deadlines.
    PemdaWorkingDay,
    /// Bank business days: expected settlement and sweep dates.
    BankBusinessDay,
}

impl DayRule {
    fn flag(self) -> u8 {
        match self {
            DayRule::PemdaWorkingDay => PEMDA_OFF,
            DayRule::BankBusinessDay => BANK_OFF,
        }
    }
}

/// Everything the calendar knows about one date, for explanations in findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayInfo {
    pub date: NaiveDate,
    pub pemda_working_day: bool,
    pub bank_business_day: bool,
    pub weekend: bool,
    pub holidays: Vec<Holiday>,
    /// The year's list is an estimate (see [`YearSource::provisional`]).
    pub provisional: bool,
}

fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn year_start(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1)
}

/// Parses one holiday file (the format of `data/holidays/*.toml`).
fn parse_year_file(file: &str, text: &str) -> Result<(YearSource, Vec<Holiday>), CalendarError> {
    let file_error = |message: String| CalendarError::File {
        file: file.to_string(),
        message,
    };
    if text.len() > MAX_HOLIDAY_FILE_BYTES {
        return Err(file_error(format!(
            "{} bytes; the limit is {MAX_HOLIDAY_FILE_BYTES}",
            text.len()
        )));
    }
    let parsed: HolidayFile = toml::from_str(text).map_err(|e| file_error(e.to_string()))?;
    if !(1900..=2200).contains(&parsed.year) {
        return Err(file_error(format!(
            "year {} is not plausible (expected 1900–2200)",
            parsed.year
        )));
    }
    if parsed.holidays.len() > MAX_HOLIDAYS_PER_YEAR {
        return Err(file_error(format!(
            "{} holidays; the limit is {MAX_HOLIDAYS_PER_YEAR}",
            parsed.holidays.len()
        )));
    }
    let mut holidays = Vec::with_capacity(parsed.holidays.len());
    for (index, row) in parsed.holidays.into_iter().enumerate() {
        let entry_error = |message: String| CalendarError::Entry {
            file: file.to_string(),
            index: index + 1,
            date: row.date.clone(),
            message,
        };
        let date = parse_iso_date(&row.date)
            .ok_or_else(|| entry_error("expected a date YYYY-MM-DD".to_string()))?;
        if date.year() != parsed.year {
            return Err(entry_error(format!(
                "date is not in the file's year {}",
                parsed.year
            )));
        }
        if row.name.trim().is_empty() || row.name.len() > 200 {
            return Err(entry_error(
                "expected a name of 1–200 characters".to_string(),
            ));
        }
        if row.kind == HolidayKind::Local {
            return Err(entry_error(
                "national lists hold only national and cuti_bersama days; local holidays belong in kasda.toml [calendar]"
                    .to_string(),
            ));
        }
        holidays.push(Holiday {
            date,
            kind: row.kind,
            name: row.name,
        });
    }
    Ok((
        YearSource {
            year: parsed.year,
            provisional: parsed.provisional,
            decree: parsed.decree,
            source: parsed.source,
        },
        holidays,
    ))
}

impl Calendar {
    /// The bundled national calendar (2024–2027; 2027 provisional) without local changes.
    /// Parsed once per process and cloned (a few kilobytes).
    pub fn bundled() -> Calendar {
        static BUNDLED_CALENDAR: OnceLock<Calendar> = OnceLock::new();
        BUNDLED_CALENDAR
            .get_or_init(Calendar::parse_bundled)
            .clone()
    }

    fn parse_bundled() -> Calendar {
        let mut years = Vec::new();
        let mut holidays = Vec::new();
        for (i, text) in BUNDLED.iter().enumerate() {
            // The bundled files are checked by the tests; a broken one is a build defect, and a
            // calendar without that year is still correct about the others (dates in a missing
            // year are errors, never working days).
            if let Ok((source, list)) = parse_year_file(&format!("bundled #{i}"), text) {
                years.push(source);
                holidays.extend(list);
            }
        }
        Calendar::assemble(years, holidays, Adjustments::default())
            .unwrap_or_else(|_| Calendar::empty())
    }

    /// The bundled calendar with a pemda's local changes applied.
    pub fn bundled_with(adjustments: Adjustments) -> Result<Calendar, CalendarError> {
        Calendar::bundled().with_adjustments(adjustments)
    }

    fn empty() -> Calendar {
        Calendar {
            first_year: 0,
            last_year: -1,
            years: Vec::new(),
            holidays: BTreeMap::new(),
            flags: Vec::new(),
            adjustments: Adjustments::default(),
        }
    }

    /// Builds a calendar from holiday files in the bundled format (`file_name`, text); years
    /// must be distinct and contiguous once sorted.
    pub fn from_year_files(files: &[(&str, &str)]) -> Result<Calendar, CalendarError> {
        if files.len() > MAX_YEARS {
            return Err(CalendarError::File {
                file: "(calendar)".into(),
                message: format!("{} year files; the limit is {MAX_YEARS}", files.len()),
            });
        }
        let mut years = Vec::new();
        let mut holidays = Vec::new();
        for (name, text) in files {
            let (source, list) = parse_year_file(name, text)?;
            years.push(source);
            holidays.extend(list);
        }
        Calendar::assemble(years, holidays, Adjustments::default())
    }

    /// Adds one more year (text in the bundled format) at either end of the range, e.g. the
    /// 2028 SKB list before kasda bundles it.
    pub fn with_year_file(self, file_name: &str, text: &str) -> Result<Calendar, CalendarError> {
        let (source, list) = parse_year_file(file_name, text)?;
        let mut years = self.years;
        let mut holidays: Vec<Holiday> = self
            .holidays
            .into_values()
            .flatten()
            .filter(|h| h.kind != HolidayKind::Local)
            .collect();
        if years.iter().any(|y| y.year == source.year) {
            return Err(CalendarError::DuplicateYear { year: source.year });
        }
        years.push(source);
        holidays.extend(list);
        Calendar::assemble(years, holidays, self.adjustments)
    }

    /// Applies local changes (replacing any applied before).
    pub fn with_adjustments(self, adjustments: Adjustments) -> Result<Calendar, CalendarError> {
        let national: Vec<Holiday> = self
            .holidays
            .into_values()
            .flatten()
            .filter(|h| h.kind != HolidayKind::Local)
            .collect();
        Calendar::assemble(self.years, national, adjustments)
    }

    fn assemble(
        mut years: Vec<YearSource>,
        national: Vec<Holiday>,
        adjustments: Adjustments,
    ) -> Result<Calendar, CalendarError> {
        years.sort_by_key(|y| y.year);
        for pair in years.windows(2) {
            if let [a, b] = pair {
                if a.year == b.year {
                    return Err(CalendarError::DuplicateYear { year: a.year });
                }
                if b.year != a.year + 1 {
                    return Err(CalendarError::NotContiguous {
                        first_year: years.first().map_or(a.year, |y| y.year),
                        last_year: a.year,
                        year: b.year,
                    });
                }
            }
        }
        let (Some(first), Some(last)) = (years.first(), years.last()) else {
            return Ok(Calendar::empty());
        };
        let (first_year, last_year) = (first.year, last.year);
        let start = year_start(first_year).ok_or(CalendarError::File {
            file: "(calendar)".into(),
            message: format!("year {first_year} cannot be represented"),
        })?;
        let end = NaiveDate::from_ymd_opt(last_year, 12, 31).ok_or(CalendarError::File {
            file: "(calendar)".into(),
            message: format!("year {last_year} cannot be represented"),
        })?;
        let day_count = (end - start).num_days() + 1;
        let mut flags = vec![0u8; usize::try_from(day_count).unwrap_or(0)];
        let index =
            |d: NaiveDate| -> Option<usize> { usize::try_from((d - start).num_days()).ok() };
        let in_range = |d: NaiveDate| d >= start && d <= end;
        for (i, d) in start.iter_days().take(flags.len()).enumerate() {
            if is_weekend(d) {
                if let Some(f) = flags.get_mut(i) {
                    *f = PEMDA_OFF | BANK_OFF;
                }
            }
        }

        let mut holidays: BTreeMap<NaiveDate, Vec<Holiday>> = BTreeMap::new();
        for h in national {
            let bank_closed = match h.kind {
                HolidayKind::National => true,
                HolidayKind::CutiBersama => adjustments.banks_closed_on_cuti_bersama,
                HolidayKind::Local => false,
            };
            if let Some(f) = index(h.date).and_then(|i| flags.get_mut(i)) {
                *f |= PEMDA_OFF | if bank_closed { BANK_OFF } else { 0 };
            }
            holidays.entry(h.date).or_default().push(h);
        }
        if adjustments.local_holidays.len() > MAX_HOLIDAYS_PER_YEAR * years.len() {
            return Err(CalendarError::File {
                file: "(local adjustments)".into(),
                message: format!(
                    "{} local holidays; the limit is {} per year",
                    adjustments.local_holidays.len(),
                    MAX_HOLIDAYS_PER_YEAR
                ),
            });
        }
        let out_of_range = |what: &'static str, date: NaiveDate| CalendarError::Adjustment {
            what,
            date,
            message: format!("outside the loaded calendar years {first_year}–{last_year}"),
        };
        for local in &adjustments.local_holidays {
            if !in_range(local.date) {
                return Err(out_of_range("local holiday", local.date));
            }
            if let Some(f) = index(local.date).and_then(|i| flags.get_mut(i)) {
                *f |= PEMDA_OFF | if local.banks_closed { BANK_OFF } else { 0 };
            }
            holidays.entry(local.date).or_default().push(Holiday {
                date: local.date,
                kind: HolidayKind::Local,
                name: local.name.clone(),
            });
        }
        for &date in &adjustments.pemda_working_days {
            if !in_range(date) {
                return Err(out_of_range("pemda working day", date));
            }
            let listed = holidays
                .get(&date)
                .is_some_and(|list| list.iter().any(|h| h.kind != HolidayKind::Local));
            if !listed {
                return Err(CalendarError::Adjustment {
                    what: "pemda working day",
                    date,
                    message: "is not a listed national holiday or cuti bersama, so there is nothing to override"
                        .to_string(),
                });
            }
            if is_weekend(date) {
                return Err(CalendarError::Adjustment {
                    what: "pemda working day",
                    date,
                    message: "falls on a weekend".to_string(),
                });
            }
            if let Some(f) = index(date).and_then(|i| flags.get_mut(i)) {
                *f &= !PEMDA_OFF;
            }
        }
        for &date in &adjustments.bank_closed_days {
            if !in_range(date) {
                return Err(out_of_range("bank closed day", date));
            }
            if let Some(f) = index(date).and_then(|i| flags.get_mut(i)) {
                *f |= BANK_OFF;
            }
        }
        Ok(Calendar {
            first_year,
            last_year,
            years,
            holidays,
            flags,
            adjustments,
        })
    }

    /// First and last loaded year; `None` for an empty calendar.
    pub fn years(&self) -> Option<(i32, i32)> {
        (self.first_year <= self.last_year).then_some((self.first_year, self.last_year))
    }

    /// Where each year's list comes from.
    pub fn sources(&self) -> &[YearSource] {
        &self.years
    }

    /// Is the list for `year` provisional (or missing)?
    pub fn is_provisional(&self, year: i32) -> bool {
        self.years
            .iter()
            .find(|y| y.year == year)
            .is_none_or(|y| y.provisional)
    }

    pub fn adjustments(&self) -> &Adjustments {
        &self.adjustments
    }

    /// All listed holidays (national, cuti bersama and local) in date order.
    pub fn holidays(&self) -> impl Iterator<Item = &Holiday> {
        self.holidays.values().flatten()
    }

    fn flags(&self, date: NaiveDate) -> Result<u8, CalendarError> {
        let out = || CalendarError::OutOfRange {
            date,
            year: date.year(),
            first_year: self.first_year,
            last_year: self.last_year,
        };
        let start = year_start(self.first_year).ok_or_else(out)?;
        let offset = usize::try_from((date - start).num_days()).map_err(|_| out())?;
        self.flags.get(offset).copied().ok_or_else(out)
    }

    /// Is `date` a working day under `rule`?
    pub fn is_open(&self, date: NaiveDate, rule: DayRule) -> Result<bool, CalendarError> {
        Ok(self.flags(date)? & rule.flag() == 0)
    }

    /// Pemda (ASN) working day: not a weekend, national holiday, cuti bersama or local holiday.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.is_open(date, DayRule::PemdaWorkingDay)
    }

    /// Bank business day: not a weekend or national holiday (cuti bersama only when configured).
    pub fn is_bank_business_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.is_open(date, DayRule::BankBusinessDay)
    }

    /// What the calendar knows about `date`.
    pub fn day_info(&self, date: NaiveDate) -> Result<DayInfo, CalendarError> {
        let f = self.flags(date)?;
        Ok(DayInfo {
            date,
            pemda_working_day: f & PEMDA_OFF == 0,
            bank_business_day: f & BANK_OFF == 0,
            weekend: is_weekend(date),
            holidays: self.holidays.get(&date).cloned().unwrap_or_default(),
            provisional: self.is_provisional(date.year()),
        })
    }

    /// The `n`-th day open under `rule` strictly after `date`; `n = 0` returns `date` itself.
    ///
    /// Deposit deadline of money collected on `d` is `add_days(d, 1, PemdaWorkingDay)`: the
    /// next working day, whatever kind of day `d` was.
    pub fn add_days(
        &self,
        date: NaiveDate,
        n: u32,
        rule: DayRule,
    ) -> Result<NaiveDate, CalendarError> {
        if n > MAX_STEP_DAYS {
            return Err(CalendarError::StepTooLarge { found: n });
        }
        self.flags(date)?;
        let mut current = date;
        let mut remaining = n;
        while remaining > 0 {
            current = current.succ_opt().ok_or(CalendarError::OutOfRange {
                date: current,
                year: current.year(),
                first_year: self.first_year,
                last_year: self.last_year,
            })?;
            if self.is_open(current, rule)? {
                remaining -= 1;
            }
        }
        Ok(current)
    }

    /// `n` pemda working days after `date` (see [`Calendar::add_days`]).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        self.add_days(date, n, DayRule::PemdaWorkingDay)
    }

    /// `n` bank business days after `date` (see [`Calendar::add_days`]).
    pub fn add_bank_business_days(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        self.add_days(date, n, DayRule::BankBusinessDay)
    }

    /// The first pemda working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(date, 1)
    }

    /// The first bank business day strictly after `date`.
    pub fn next_bank_business_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_bank_business_days(date, 1)
    }

    /// `date` when it is open under `rule`, otherwise the next open day.
    pub fn on_or_after(&self, date: NaiveDate, rule: DayRule) -> Result<NaiveDate, CalendarError> {
        if self.is_open(date, rule)? {
            Ok(date)
        } else {
            self.add_days(date, 1, rule)
        }
    }

    /// Number of days open under `rule` in the interval `(a, b]`: after `a`, up to and
    /// including `b`. Negative when `b` is before `a` (`-(days in (b, a])`); zero when equal.
    ///
    /// So money collected on `a` and deposited on `b` is late when
    /// `days_between(a, b, PemdaWorkingDay) > deadline`: collected Friday, deposited Monday is
    /// 1 working day; collected and deposited the same day is 0.
    pub fn days_between(
        &self,
        a: NaiveDate,
        b: NaiveDate,
        rule: DayRule,
    ) -> Result<i64, CalendarError> {
        if b < a {
            return self.days_between(b, a, rule).map(|n| -n);
        }
        self.flags(a)?;
        self.flags(b)?;
        let mut count = 0i64;
        for d in a.iter_days().skip(1).take_while(|d| *d <= b) {
            if self.is_open(d, rule)? {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Pemda working days in `(a, b]` (see [`Calendar::days_between`]).
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> Result<i64, CalendarError> {
        self.days_between(a, b, DayRule::PemdaWorkingDay)
    }

    /// Bank business days in `(a, b]` (see [`Calendar::days_between`]).
    pub fn bank_business_days_between(
        &self,
        a: NaiveDate,
        b: NaiveDate,
    ) -> Result<i64, CalendarError> {
        self.days_between(a, b, DayRule::BankBusinessDay)
    }

    /// The bank business date of an instant: its local date in `zone`, moved to the next bank
    /// business day when that date is closed or the local time is at or after `cutoff`
    /// (payments after the bank's cut-off or on a holiday are booked on the next business day).
    pub fn bank_business_date(
        &self,
        at: DateTime<Utc>,
        zone: Zone,
        cutoff: Option<NaiveTime>,
    ) -> Result<NaiveDate, CalendarError> {
        let local = zone.local(at);
        let date = local.date();
        let after_cutoff = cutoff.is_some_and(|c| local.time() >= c);
        if after_cutoff {
            self.add_bank_business_days(date, 1)
        } else {
            self.on_or_after(date, DayRule::BankBusinessDay)
        }
    }
}

/// Indonesian time zones. Banks often stamp WIB everywhere; each pemda's business date is its
/// own zone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Zone {
    /// Waktu Indonesia Barat, UTC+7 (Sumatra, Java, West and Central Kalimantan).
    #[default]
    Wib,
    /// Waktu Indonesia Tengah, UTC+8 (Bali, Nusa Tenggara, Sulawesi, South/East/North
    /// Kalimantan).
    Wita,
    /// Waktu Indonesia Timur, UTC+9 (Maluku, Papua).
    Wit,
}

impl Zone {
    pub const ALL: [Zone; 3] = [Zone::Wib, Zone::Wita, Zone::Wit];

    pub fn utc_offset_hours(self) -> i32 {
        match self {
            Zone::Wib => 7,
            Zone::Wita => 8,
            Zone::Wit => 9,
        }
    }

    pub fn offset(self) -> FixedOffset {
        match self {
            Zone::Wib => WIB_OFFSET,
            Zone::Wita => WITA_OFFSET,
            Zone::Wit => WIT_OFFSET,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    /// Accepts `WIB`/`WITA`/`WIT` (any case), an offset `+07:00`, `+0700`, `+07`, `UTC+7`, or an
    /// IANA name (`Asia/Jakarta`, `Asia/Pontianak`, `Asia/Makassar`, `Asia/Jayapura`).
    pub fn parse(text: &str) -> Option<Zone> {
        let t = text.trim();
        let upper = t.to_ascii_uppercase();
        match upper.as_str() {
            "WIB" => return Some(Zone::Wib),
            "WITA" => return Some(Zone::Wita),
            "WIT" => return Some(Zone::Wit),
            "ASIA/JAKARTA" | "ASIA/PONTIANAK" => return Some(Zone::Wib),
            "ASIA/MAKASSAR" => return Some(Zone::Wita),
            "ASIA/JAYAPURA" => return Some(Zone::Wit),
            _ => {}
        }
        let offset = upper
            .strip_prefix("UTC")
            .or_else(|| upper.strip_prefix("GMT"))
            .unwrap_or(&upper);
        let digits = offset.strip_prefix('+')?;
        let hours = match digits.len() {
            1 | 2 => digits,
            4 if !digits.contains(':') => digits.strip_suffix("00")?,
            5 => digits.strip_suffix(":00")?,
            _ => return None,
        };
        match hours.parse::<u8>().ok()? {
            7 => Some(Zone::Wib),
            8 => Some(Zone::Wita),
            9 => Some(Zone::Wit),
            _ => None,
        }
    }

    /// Local wall-clock time of a UTC instant.
    pub fn local(self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.offset()).naive_local()
    }

    /// Local calendar date of a UTC instant (the pemda's business date before cut-off rules).
    pub fn business_date(self, at: DateTime<Utc>) -> NaiveDate {
        self.local(at).date()
    }

    /// The UTC instant of a local wall-clock time in this zone (no DST in Indonesia, so this is
    /// always unique).
    pub fn to_utc(self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.offset().from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            // Fixed offsets never produce gaps or folds; fall back to plain arithmetic.
            _ => Utc
                .from_utc_datetime(&(local - Duration::hours(i64::from(self.utc_offset_hours())))),
        }
    }

    /// `2026-03-17 14:05:09 WIB`.
    pub fn format(self, at: DateTime<Utc>) -> String {
        format!(
            "{} {}",
            self.local(at).format("%Y-%m-%d %H:%M:%S"),
            self.as_str()
        )
    }

    /// `17 Maret 2026 14.05 WIB` — the form printed on Indonesian reports.
    pub fn format_id(self, at: DateTime<Utc>) -> String {
        let local = self.local(at);
        format!(
            "{} {} {}",
            tanggal_id(local.date()),
            local.format("%H.%M"),
            self.as_str()
        )
    }
}

const fn hours_east(hours: i32) -> FixedOffset {
    match FixedOffset::east_opt(hours * 3600) {
        Some(offset) => offset,
        // Evaluated at compile time only: an invalid constant fails the build.
        None => panic!("invalid UTC offset"),
    }
}

const WIB_OFFSET: FixedOffset = hours_east(7);
const WITA_OFFSET: FixedOffset = hours_east(8);
const WIT_OFFSET: FixedOffset = hours_east(9);

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Zone::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid time zone {s:?}: expected WIB, WITA or WIT (or +07:00, +08:00, +09:00)"
            ))
        })
    }
}

const BULAN: [&str; 12] = [
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

/// Indonesian month name (`1` → `Januari`); empty for an invalid month.
pub fn nama_bulan(month: u32) -> &'static str {
    month
        .checked_sub(1)
        .and_then(|i| BULAN.get(i as usize))
        .copied()
        .unwrap_or("")
}

/// Indonesian day name.
pub fn nama_hari(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "Senin",
        Weekday::Tue => "Selasa",
        Weekday::Wed => "Rabu",
        Weekday::Thu => "Kamis",
        Weekday::Fri => "Jumat",
        Weekday::Sat => "Sabtu",
        Weekday::Sun => "Minggu",
    }
}

/// `17 Maret 2026`.
pub fn tanggal_id(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        nama_bulan(date.month()),
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn zone_offsets_and_parsing() {
        assert_eq!(Zone::Wib.utc_offset_hours(), 7);
        assert_eq!(Zone::Wita.offset().local_minus_utc(), 8 * 3600);
        assert_eq!(Zone::Wit.offset().local_minus_utc(), 9 * 3600);
        for (t, z) in [
            ("WIB", Zone::Wib),
            ("wita", Zone::Wita),
            (" WIT ", Zone::Wit),
            ("+07:00", Zone::Wib),
            ("+0800", Zone::Wita),
            ("+09", Zone::Wit),
            ("UTC+7", Zone::Wib),
            ("Asia/Makassar", Zone::Wita),
            ("Asia/Jayapura", Zone::Wit),
        ] {
            assert_eq!(Zone::parse(t), Some(z), "{t}");
        }
        for t in ["", "CET", "+10:00", "-07:00", "+7:30", "UTC"] {
            assert_eq!(Zone::parse(t), None, "{t}");
        }
    }

    #[test]
    fn business_date_crosses_midnight_by_zone() {
        // 2026-03-16 17:30 UTC = 17 Mar 00:30 WIB, 01:30 WITA, 02:30 WIT.
        let at = Utc.with_ymd_and_hms(2026, 3, 16, 17, 30, 0).unwrap();
        assert_eq!(Zone::Wib.business_date(at), d("2026-03-17"));
        let early = Utc.with_ymd_and_hms(2026, 3, 16, 16, 30, 0).unwrap();
        assert_eq!(Zone::Wib.business_date(early), d("2026-03-16"));
        assert_eq!(Zone::Wita.business_date(early), d("2026-03-17"));
        assert_eq!(Zone::Wib.format(at), "2026-03-17 00:30:00 WIB");
        assert_eq!(Zone::Wit.format_id(at), "17 Maret 2026 02.30 WIT");
        let local = NaiveDateTime::new(d("2026-03-17"), NaiveTime::from_hms_opt(0, 30, 0).unwrap());
        assert_eq!(Zone::Wib.to_utc(local), at);
    }

    #[test]
    fn zone_serde_is_the_abbreviation() {
        assert_eq!(serde_json::to_string(&Zone::Wita).unwrap(), "\"WITA\"");
        assert_eq!(serde_json::from_str::<Zone>("\"WIT\"").unwrap(), Zone::Wit);
        let e = serde_json::from_str::<Zone>("\"CET\"").unwrap_err();
        assert!(e.to_string().contains("expected WIB, WITA or WIT"), "{e}");
    }

    #[test]
    fn indonesian_names() {
        assert_eq!(tanggal_id(d("2026-08-17")), "17 Agustus 2026");
        assert_eq!(nama_bulan(13), "");
        assert_eq!(nama_bulan(0), "");
        assert_eq!(nama_hari(d("2026-03-25").weekday()), "Rabu");
    }
}
