//! The pemda configuration, `kasda.toml`: who the pemda is, which bank accounts are its RKUD,
//! holding and OPD receiving accounts, how each payment channel settles and what it may deduct,
//! the matching tolerances, local calendar and chart changes, report signatories and budget
//! targets.
//!
//! Reading is two steps. Serde turns the TOML into [`Config`] (syntax, types and unknown keys
//! fail there, with the line). [`Config::validate`] then checks the meaning and returns every
//! problem at once, each with its key path (`channel[2].fee.rate: expected a percentage between
//! 0 and 100, found 150`), because an operator fixing a file wants the whole list, not one error
//! per run. Array indexes in paths count from 0 in file order.
//!
//! Amounts are written as strings or integers and parsed exactly; a TOML float is refused.
//! A complete documented example is `kasda.example.toml` at the repository root, returned by
//! [`Config::example`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::{Adjustments, Calendar, CalendarError, DayRule, LocalHoliday, Zone};
use crate::chart::{Chart, ChartAddition, ChartError};
use crate::document::Channel;
use crate::money::{parse_amount, Currency, NumberFormat};

const EXAMPLE: &str = include_str!("../../../kasda.example.toml");

/// Largest configuration file accepted.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Limits on list sizes (each names a real upper bound with room to spare: a province has a few
/// dozen RKUD/holding accounts and a few hundred OPD/UPTD).
pub const MAX_RKUD: usize = 100;
pub const MAX_HOLDING: usize = 1000;
pub const MAX_OPD: usize = 2000;
pub const MAX_CHANNELS: usize = 500;
pub const MAX_SIGNATORIES: usize = 100;
pub const MAX_TARGETS: usize = 20_000;
pub const MAX_CHART_ADDITIONS: usize = 20_000;
pub const MAX_TRANSFER_RULES: usize = 200;
/// Longest free-text value (names, labels, titles).
pub const MAX_TEXT_LEN: usize = 200;

/// Errors of loading a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {file}: {message}")]
    Io { file: String, message: String },
    #[error("{file} is {size} bytes; the limit is {MAX_CONFIG_BYTES}")]
    TooLarge { file: String, size: u64 },
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {} problem(s):\n{}", problems.len(), ProblemList(problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

/// One validation problem: the key path and what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {p}")?;
        }
        Ok(())
    }
}

// ----------------------------------------------------------------------------------------------
// Serde helpers: TOML dates or strings for dates; strings or integers (never floats) for amounts.

fn date_from_value(v: toml::Value) -> Result<NaiveDate, String> {
    match v {
        toml::Value::Datetime(dt) => match (dt.date, dt.time) {
            (Some(d), None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| format!("invalid date {dt}"))
            }
            _ => Err(format!(
                "expected a date without time (YYYY-MM-DD), found {dt}"
            )),
        },
        toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| format!("expected a date YYYY-MM-DD, found {s:?}")),
        other => Err(format!(
            "expected a date YYYY-MM-DD, found {}",
            other.type_str()
        )),
    }
}

fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    date_from_value(toml::Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    de_date(d).map(Some)
}

fn de_dates<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
    let values = Vec::<toml::Value>::deserialize(d)?;
    values
        .into_iter()
        .map(|v| date_from_value(v).map_err(serde::de::Error::custom))
        .collect()
}

fn decimal_from_value(v: toml::Value, max_scale: u32) -> Result<Decimal, String> {
    match v {
        toml::Value::String(s) => parse_amount(&s, NumberFormat::Plain, max_scale)
            .map_err(|e| format!("{e} (a non-negative number)")),
        toml::Value::Integer(i) if i >= 0 => Ok(Decimal::from(i)),
        toml::Value::Integer(i) => Err(format!("expected a non-negative amount, found {i}")),
        toml::Value::Float(f) => Err(format!(
            "found the float {f}; write amounts as strings (\"{f}\") or integers so they stay exact"
        )),
        other => Err(format!(
            "expected an amount as a string or integer, found {}",
            other.type_str()
        )),
    }
}

fn de_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    decimal_from_value(toml::Value::deserialize(d)?, 2).map_err(serde::de::Error::custom)
}

fn de_opt_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    de_amount(d).map(Some)
}

fn de_rate<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    decimal_from_value(toml::Value::deserialize(d)?, 4).map_err(serde::de::Error::custom)
}

fn de_amount_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
    let raw = BTreeMap::<String, toml::Value>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| {
            decimal_from_value(v, 2)
                .map(|a| (k.clone(), a))
                .map_err(|e| serde::de::Error::custom(format!("targets.{k:?}: {e}")))
        })
        .collect()
}

fn default_currency() -> Currency {
    Currency::IDR
}

fn default_deadline() -> u32 {
    1
}

// ----------------------------------------------------------------------------------------------
// The configuration.

/// A whole `kasda.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Fiscal year (= calendar year).
    pub fiscal_year: i32,
    pub pemda: Pemda,
    #[serde(default)]
    pub rkud: Vec<RkudAccount>,
    #[serde(default)]
    pub holding: Vec<HoldingAccount>,
    #[serde(default)]
    pub opd: Vec<Opd>,
    #[serde(default)]
    pub channel: Vec<ChannelConfig>,
    #[serde(default)]
    pub tolerances: Tolerances,
    #[serde(default)]
    pub calendar: CalendarConfig,
    #[serde(default)]
    pub chart: ChartConfig,
    #[serde(default)]
    pub signatory: Vec<Signatory>,
    /// Budget (anggaran) per kode rekening.
    #[serde(default, deserialize_with = "de_amount_map")]
    pub targets: BTreeMap<String, Decimal>,
    /// How incoming transfers that no pemda document stands behind (TKD from the Kas Negara,
    /// bagi hasil from the province) are recognised as revenue; recon tries these first, then
    /// its built-in rules for transfers from the central government.
    #[serde(default)]
    pub transfer_in: Vec<TransferInRule>,
}

/// `[[transfer_in]]`: an RKUD credit whose texts contain every `narrative` word and, when
/// `counterparty` is given, one of those words in its counterparty name, account or texts, is
/// revenue of `kode_rekening` (Pendapatan Transfer, 4.2.xx) rather than penerimaan belum
/// teridentifikasi. Words compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferInRule {
    /// Short name for explanations (`DAU`).
    pub label: String,
    pub narrative: Vec<String>,
    #[serde(default)]
    pub counterparty: Vec<String>,
    pub kode_rekening: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PemdaKind {
    Provinsi,
    Kabupaten,
    Kota,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pemda {
    /// Kemendagri kode wilayah: `NN` (provinsi) or `NN.NN` (kabupaten/kota).
    pub code: String,
    pub name: String,
    pub kind: PemdaKind,
    #[serde(default)]
    pub zone: Zone,
}

/// A Rekening Kas Umum Daerah account and the period it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RkudAccount {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub bank: String,
    /// Sandi bank BI (3 digits) or BIC (8/11 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    pub account_number: String,
    #[serde(default = "default_currency")]
    pub currency: Currency,
    #[serde(
        default,
        deserialize_with = "de_opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_from: Option<NaiveDate>,
    #[serde(
        default,
        deserialize_with = "de_opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_to: Option<NaiveDate>,
    /// Informational: `camt.053`, `mt940`, `snap`, `csv:<profile>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_format: Option<String>,
}

impl RkudAccount {
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.active_from.is_none_or(|f| f <= date) && self.active_to.is_none_or(|t| date <= t)
    }
}

/// When a holding account must be emptied into the RKUD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepRule {
    /// Same day.
    T0,
    /// Next bank business day.
    T1,
    /// Each bank business day by this local time.
    DailyBy(NaiveTime),
}

impl SweepRule {
    /// Bank business days after the collection day by which the sweep must be seen.
    pub fn lag_bank_days(self) -> u32 {
        match self {
            SweepRule::T0 | SweepRule::DailyBy(_) => 0,
            SweepRule::T1 => 1,
        }
    }

    pub fn parse(text: &str) -> Option<SweepRule> {
        let t = text.trim();
        match t.to_ascii_lowercase().as_str() {
            "t0" | "t+0" => return Some(SweepRule::T0),
            "t1" | "t+1" => return Some(SweepRule::T1),
            _ => {}
        }
        let time = t.strip_prefix("daily_by")?.trim();
        if time.len() != 5 {
            return None;
        }
        NaiveTime::parse_from_str(time, "%H:%M")
            .ok()
            .map(SweepRule::DailyBy)
    }
}

impl fmt::Display for SweepRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SweepRule::T0 => f.write_str("t0"),
            SweepRule::T1 => f.write_str("t1"),
            SweepRule::DailyBy(t) => write!(f, "daily_by {}", t.format("%H:%M")),
        }
    }
}

impl Serialize for SweepRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SweepRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SweepRule::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid sweep rule {s:?}: expected \"t0\", \"t1\" or \"daily_by HH:MM\""
            ))
        })
    }
}

impl HoldingAccount {
    /// Bank business date by which money credited on `credited_on` must have been swept to
    /// the RKUD (`t0` and `daily_by`: that business day; `t1`: the next one).
    pub fn sweep_due(
        &self,
        calendar: &Calendar,
        credited_on: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        let processed_on = calendar.on_or_after(credited_on, DayRule::BankBusinessDay)?;
        calendar.add_bank_business_days(processed_on, self.sweep.lag_bank_days())
    }
}

/// Whose account a holding account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldingOwner {
    #[default]
    Pemda,
    /// The bank's own internal account (DOMAIN §4 #7): no jasa giro, no pemda control.
    BankInternal,
}

/// A holding (penampungan) account swept into an RKUD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldingAccount {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub bank: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    pub account_number: String,
    #[serde(default)]
    pub channels: Vec<Channel>,
    pub sweep: SweepRule,
    /// Account number of the RKUD the balance is swept to.
    pub sweep_to: String,
    #[serde(default)]
    pub owner: HoldingOwner,
    /// Informational: `camt.053`, `mt940`, `snap`, `csv:<profile>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    /// NIP (18 digits) of a civil servant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
}

/// An OPD that collects revenue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opd {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bendahara_penerimaan: Option<Person>,
    /// The OPD's rekening penerimaan, emptied into the RKUD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiving_account: Option<String>,
    /// Pemda working days allowed between collection and deposit.
    #[serde(default = "default_deadline")]
    pub deposit_deadline_working_days: u32,
    /// Kode rekening the OPD collects.
    #[serde(default)]
    pub revenue_codes: Vec<String>,
}

impl Opd {
    /// Last pemda working day on which money collected on `collected_on` may be deposited:
    /// `deposit_deadline_working_days` working days later (0: the collection day itself, or the
    /// next working day when collected on a day off).
    pub fn deposit_due(
        &self,
        calendar: &Calendar,
        collected_on: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        if self.deposit_deadline_working_days == 0 {
            calendar.on_or_after(collected_on, DayRule::PemdaWorkingDay)
        } else {
            calendar.add_working_days(collected_on, self.deposit_deadline_working_days)
        }
    }
}

/// What a channel may deduct from a settlement under its agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fee {
    #[default]
    None,
    /// A fixed amount per payment.
    Flat {
        #[serde(deserialize_with = "de_amount")]
        amount: Decimal,
    },
    /// A percentage of the amount (e.g. `0.5` = 0.5%), optionally capped per payment.
    Percent {
        #[serde(deserialize_with = "de_rate")]
        rate: Decimal,
        #[serde(
            default,
            deserialize_with = "de_opt_amount",
            skip_serializing_if = "Option::is_none"
        )]
        cap: Option<Decimal>,
    },
}

impl Fee {
    pub fn kind_str(&self) -> &'static str {
        match self {
            Fee::None => "none",
            Fee::Flat { .. } => "flat",
            Fee::Percent { .. } => "percent",
        }
    }

    /// The agreed fee on one payment of `amount`, in whole sen, rounded half up (the exact rule
    /// is per PKS; recon compares with the configured tolerance).
    pub fn on(&self, amount: Decimal) -> Decimal {
        match *self {
            Fee::None => Decimal::ZERO,
            Fee::Flat { amount: fee } => fee,
            Fee::Percent { rate, cap } => {
                let raw = amount
                    .checked_mul(rate)
                    .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
                    .unwrap_or(Decimal::MAX)
                    .round_dp_with_strategy(
                        2,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    );
                match cap {
                    Some(c) if raw > c => c,
                    _ => raw,
                }
            }
        }
    }
}

/// How one payment channel at one bank settles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub id: Channel,
    pub bank: String,
    /// Bank business days from payment to the credit on `settles_to`.
    #[serde(default)]
    pub settlement_lag_days: u32,
    /// RKUD or holding account number the settlement is credited to.
    pub settles_to: String,
    #[serde(default)]
    pub fee: Fee,
    /// Rupiah difference per settlement accepted before a short-remittance finding.
    #[serde(default, deserialize_with = "de_amount")]
    pub tolerance: Decimal,
    /// QRIS person-to-government: MDR 0%, so any deduction is a finding. Defaults to true for
    /// channel `qris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qris: Option<bool>,
}

impl ChannelConfig {
    pub fn is_qris(&self) -> bool {
        self.qris.unwrap_or(self.id == Channel::Qris)
    }

    /// Bank business date on which a payment made on `paid_on` (the pemda's business date)
    /// should be credited to `settles_to`: the first bank business day on or after the payment,
    /// plus `settlement_lag_days` bank business days.
    pub fn expected_settlement(
        &self,
        calendar: &Calendar,
        paid_on: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        let processed_on = calendar.on_or_after(paid_on, DayRule::BankBusinessDay)?;
        calendar.add_bank_business_days(processed_on, self.settlement_lag_days)
    }
}

fn default_date_window() -> u32 {
    3
}
fn default_unidentified_after() -> u32 {
    5
}
fn default_prefix() -> u32 {
    6
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerances {
    /// Rupiah difference accepted when matching sums.
    #[serde(default, deserialize_with = "de_amount")]
    pub amount: Decimal,
    /// Calendar days searched around an expected date.
    #[serde(default = "default_date_window")]
    pub date_window_days: u32,
    /// Pemda working days before an unmatched RKUD credit is a finding.
    #[serde(default = "default_unidentified_after")]
    pub unidentified_after_days: u32,
    /// Bank business days of grace after an expected settlement.
    #[serde(default)]
    pub settlement_grace_days: u32,
    /// Bank business days of grace after a sweep is due.
    #[serde(default)]
    pub sweep_grace_days: u32,
    /// Shortest truncated reference matched by prefix.
    #[serde(default = "default_prefix")]
    pub min_reference_prefix: u32,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            amount: Decimal::ZERO,
            date_window_days: default_date_window(),
            unidentified_after_days: default_unidentified_after(),
            settlement_grace_days: 0,
            sweep_grace_days: 0,
            min_reference_prefix: default_prefix(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalHolidayConfig {
    #[serde(deserialize_with = "de_date")]
    pub date: NaiveDate,
    pub name: String,
    #[serde(default)]
    pub banks_closed: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    #[serde(default)]
    pub banks_closed_on_cuti_bersama: bool,
    #[serde(default)]
    pub local_holidays: Vec<LocalHolidayConfig>,
    #[serde(default, deserialize_with = "de_dates")]
    pub pemda_working_days: Vec<NaiveDate>,
    #[serde(default, deserialize_with = "de_dates")]
    pub bank_closed_days: Vec<NaiveDate>,
}

impl CalendarConfig {
    pub fn adjustments(&self) -> Adjustments {
        Adjustments {
            local_holidays: self
                .local_holidays
                .iter()
                .map(|h| LocalHoliday {
                    date: h.date,
                    name: h.name.clone(),
                    banks_closed: h.banks_closed,
                })
                .collect(),
            pemda_working_days: self.pemda_working_days.clone(),
            banks_closed_on_cuti_bersama: self.banks_closed_on_cuti_bersama,
            bank_closed_days: self.bank_closed_days.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartConfig {
    #[serde(default)]
    pub account: Vec<ChartAddition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatoryRole {
    Bud,
    KuasaBud,
    Ppkd,
    BendaharaPenerimaan,
    PenggunaAnggaran,
    KepalaDaerah,
    Bank,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    pub role: SignatoryRole,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nip: Option<String>,
}

/// What a registered bank account is to the pemda.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Rkud,
    Holding,
    OpdReceiving,
}

/// The digits of an account number: banks print the same number with dots, dashes and blanks.
pub fn normalize_account(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

// ----------------------------------------------------------------------------------------------
// Validation.

/// Collects problems with their paths.
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn text(&mut self, path: String, value: &str, required: bool) {
        let len = value.trim().chars().count();
        if required && len == 0 {
            self.add(path, "expected a non-empty text, found \"\"");
        } else if len > MAX_TEXT_LEN {
            self.add(
                path,
                format!("expected at most {MAX_TEXT_LEN} characters, found {len}"),
            );
        } else if value.chars().any(char::is_control) {
            // Names end up in report headers, CSV cells and signature blocks.
            self.add(
                path,
                format!("expected text without control characters, found {value:?}"),
            );
        }
    }

    fn count(&mut self, path: &str, len: usize, limit: usize) {
        if len > limit {
            self.add(
                path,
                format!("expected at most {limit} entries, found {len}"),
            );
        }
    }
}

fn check_account_number(p: &mut Problems, path: String, number: &str) {
    let ok_chars = number
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | ' '));
    let digits = normalize_account(number).len();
    if !ok_chars || !(6..=34).contains(&digits) {
        p.add(
            path,
            format!("expected an account number of 6–34 digits (dots, dashes and blanks allowed), found {number:?}"),
        );
    }
}

fn check_bank_code(p: &mut Problems, path: String, code: &str) {
    let b = code.as_bytes();
    let bi_code = b.len() == 3 && b.iter().all(u8::is_ascii_digit);
    let bic = (b.len() == 8 || b.len() == 11)
        && b.iter().take(6).all(u8::is_ascii_uppercase)
        && b.iter()
            .skip(6)
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !bi_code && !bic {
        p.add(
            path,
            format!("expected a 3-digit sandi bank BI or an 8/11-character BIC like PDJBIDJA, found {code:?}"),
        );
    }
}

/// NIP (Nomor Induk Pegawai): 18 digits = birth date YYYYMMDD, TMT CPNS YYYYMM, sex (1/2),
/// sequence (3).
pub fn check_nip(nip: &str) -> Result<(), String> {
    let found = || format!("found {nip:?}");
    if nip.len() != 18 || !nip.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected an 18-digit NIP, {}", found()));
    }
    let num =
        |r: std::ops::Range<usize>| nip.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let birth = NaiveDate::from_ymd_opt(num(0..4) as i32, num(4..6), num(6..8));
    if birth.is_none() || !(1940..=2010).contains(&num(0..4)) {
        return Err(format!(
            "expected an NIP starting with a birth date YYYYMMDD, {}",
            found()
        ));
    }
    if !(1960..=2100).contains(&num(8..12)) || !(1..=12).contains(&num(12..14)) {
        return Err(format!(
            "expected NIP digits 9–14 to be the TMT CPNS as YYYYMM, {}",
            found()
        ));
    }
    if !matches!(num(14..15), 1 | 2) {
        return Err(format!("expected NIP digit 15 to be 1 or 2, {}", found()));
    }
    Ok(())
}

fn check_pemda_code(kind: PemdaKind, code: &str) -> Result<(), String> {
    let b = code.as_bytes();
    let two = |s: &[u8]| s.len() == 2 && s.iter().all(u8::is_ascii_digit);
    let ok = match kind {
        PemdaKind::Provinsi => two(b),
        PemdaKind::Kabupaten | PemdaKind::Kota => {
            b.len() == 5 && two(&b[..2]) && b[2] == b'.' && two(&b[3..])
        }
    };
    if ok {
        Ok(())
    } else {
        let shape = match kind {
            PemdaKind::Provinsi => "NN (e.g. 36 for Banten)",
            _ => "NN.NN (e.g. 36.73 for Kota Serang)",
        };
        Err(format!("expected a kode wilayah {shape}, found {code:?}"))
    }
}

fn is_statement_format(text: &str) -> bool {
    match text.trim() {
        "camt.052" | "camt.053" | "camt.054" | "mt940" | "mt942" | "snap" => true,
        other => other.strip_prefix("csv:").is_some_and(|profile| {
            !profile.is_empty()
                && profile.len() <= 64
                && profile
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        }),
    }
}

fn check_opd_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl Config {
    /// Parses and validates `kasda.toml` text.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Config, ConfigError> {
        Config::parse_named("kasda.toml", text)
    }

    /// Parses and validates text, naming it `file` in errors.
    pub fn parse_named(file: &str, text: &str) -> Result<Config, ConfigError> {
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge {
                file: file.to_string(),
                size: text.len() as u64,
            });
        }
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let problems = config.validate();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                file: file.to_string(),
                problems,
            })
        }
    }

    /// Reads, parses and validates a file (at most [`MAX_CONFIG_BYTES`]).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let io = |e: std::io::Error| ConfigError::Io {
            file: file.clone(),
            message: e.to_string(),
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge { file, size });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Config::parse_named(&file, &text)
    }

    /// The text of the documented example configuration (`kasda.example.toml`).
    pub fn example() -> &'static str {
        EXAMPLE
    }

    /// The configuration as TOML text (parses back to an equal `Config`).
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        toml::to_string(self).map_err(|e| ConfigError::Parse {
            file: "(serialize)".into(),
            message: e.to_string(),
        })
    }

    /// The pemda's chart for the fiscal year: bundled plus `[chart]` additions.
    pub fn chart(&self) -> Result<Chart, ChartError> {
        Chart::bundled()
            .for_year(self.fiscal_year)
            .with_additions(&self.chart.account)
    }

    /// The pemda's working-day calendar: bundled SKB lists plus `[calendar]` changes.
    pub fn calendar(&self) -> Result<Calendar, CalendarError> {
        Calendar::bundled_with(self.calendar.adjustments())
    }

    /// What `number` (compared by digits) is to the pemda, if registered.
    pub fn account_role(&self, number: &str) -> Option<AccountRole> {
        let n = normalize_account(number);
        if n.is_empty() {
            return None;
        }
        if self
            .rkud
            .iter()
            .any(|a| normalize_account(&a.account_number) == n)
        {
            Some(AccountRole::Rkud)
        } else if self
            .holding
            .iter()
            .any(|a| normalize_account(&a.account_number) == n)
        {
            Some(AccountRole::Holding)
        } else if self.opd.iter().any(|o| {
            o.receiving_account
                .as_deref()
                .map(normalize_account)
                .as_deref()
                == Some(n.as_str())
        }) {
            Some(AccountRole::OpdReceiving)
        } else {
            None
        }
    }

    pub fn rkud_account(&self, number: &str) -> Option<&RkudAccount> {
        let n = normalize_account(number);
        self.rkud
            .iter()
            .find(|a| normalize_account(&a.account_number) == n)
    }

    pub fn holding_account(&self, number: &str) -> Option<&HoldingAccount> {
        let n = normalize_account(number);
        self.holding
            .iter()
            .find(|a| normalize_account(&a.account_number) == n)
    }

    /// RKUD accounts serving on `date`.
    pub fn rkud_active_on(&self, date: NaiveDate) -> Vec<&RkudAccount> {
        self.rkud.iter().filter(|a| a.is_active_on(date)).collect()
    }

    pub fn opd(&self, code: &str) -> Option<&Opd> {
        self.opd.iter().find(|o| o.code == code.trim())
    }

    /// The OPD whose receiving account is `number`.
    pub fn opd_by_account(&self, number: &str) -> Option<&Opd> {
        let n = normalize_account(number);
        self.opd.iter().find(|o| {
            o.receiving_account
                .as_deref()
                .map(normalize_account)
                .as_deref()
                == Some(n.as_str())
        })
    }

    /// Channel settings for `channel`, at `bank` when given (case-insensitive), else the first.
    pub fn channel(&self, channel: Channel, bank: Option<&str>) -> Option<&ChannelConfig> {
        let mut candidates = self.channel.iter().filter(|c| c.id == channel);
        match bank {
            Some(b) => candidates.find(|c| c.bank.trim().eq_ignore_ascii_case(b.trim())),
            None => candidates.next(),
        }
    }

    pub fn signatory(&self, role: SignatoryRole) -> Option<&Signatory> {
        self.signatory.iter().find(|s| s.role == role)
    }

    /// Things that do not block loading but that an operator should confirm: a provisional
    /// holiday calendar, codes the bundled chart marks `verify`, bank-internal holding accounts,
    /// RKUD accounts idle all year, channels settling to a holding account that does not list
    /// them, OPD without a named bendahara penerimaan. Same `path: message` form as problems.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut w = Problems(Vec::new());
        let calendar = Calendar::bundled();
        if calendar
            .years()
            .is_some_and(|(f, l)| (f..=l).contains(&self.fiscal_year))
            && calendar.is_provisional(self.fiscal_year)
        {
            w.add(
                "fiscal_year",
                format!(
                    "the holiday list for {} is provisional (no SKB 3 Menteri yet; no cuti bersama): working-day deadlines may be off until it is replaced",
                    self.fiscal_year
                ),
            );
        }
        if let Some(start) = NaiveDate::from_ymd_opt(self.fiscal_year, 1, 1) {
            let end = NaiveDate::from_ymd_opt(self.fiscal_year, 12, 31).unwrap_or(start);
            for (i, a) in self.rkud.iter().enumerate() {
                let idle = a.active_from.is_some_and(|f| f > end)
                    || a.active_to.is_some_and(|t| t < start);
                if idle {
                    w.add(
                        format!("rkud[{i}]"),
                        format!("is not active on any day of {}", self.fiscal_year),
                    );
                }
            }
        }
        for (i, h) in self.holding.iter().enumerate() {
            if h.owner == HoldingOwner::BankInternal {
                w.add(
                    format!("holding[{i}].owner"),
                    "a bank-internal holding account earns no jasa giro and is outside pemda control (DOMAIN §4 #7); make sure the bank delivers its statement",
                );
            }
        }
        for (i, c) in self.channel.iter().enumerate() {
            if let Some(h) = self.holding_account(&c.settles_to) {
                if !h.channels.is_empty() && !h.channels.contains(&c.id) {
                    w.add(
                        format!("channel[{i}].settles_to"),
                        format!(
                            "holding account {:?} does not list channel {} in its channels",
                            h.account_number,
                            c.id.as_str()
                        ),
                    );
                }
            }
        }
        let chart = self.chart().unwrap_or_else(|_| Chart::bundled());
        let check_status = |w: &mut Problems, path: String, code: &str| {
            if let Ok(account) = chart.lookup(code) {
                if account.status == crate::chart::Status::Verify {
                    w.add(
                        path,
                        format!(
                            "kode rekening {code} ({}) is marked verify in the bundled chart; confirm it against the pemda's chart",
                            account.name
                        ),
                    );
                }
            }
        };
        for (i, o) in self.opd.iter().enumerate() {
            if o.bendahara_penerimaan.is_none() {
                w.add(
                    format!("opd[{i}].bendahara_penerimaan"),
                    "no bendahara penerimaan named: BKU and BAR signature blocks will be empty",
                );
            }
            for (j, code) in o.revenue_codes.iter().enumerate() {
                check_status(&mut w, format!("opd[{i}].revenue_codes[{j}]"), code);
            }
        }
        for code in self.targets.keys() {
            check_status(&mut w, format!("targets.{code:?}"), code);
        }
        w.0
    }

    /// Checks the meaning of the whole configuration; returns every problem found (empty when
    /// the configuration is usable).
    pub fn validate(&self) -> Vec<Problem> {
        let mut p = Problems(Vec::new());

        // Fiscal year and calendar.
        let calendar = Calendar::bundled();
        if !(2000..=2100).contains(&self.fiscal_year) {
            p.add(
                "fiscal_year",
                format!(
                    "expected a year between 2000 and 2100, found {}",
                    self.fiscal_year
                ),
            );
        } else if let Some((first, last)) = calendar.years() {
            if self.fiscal_year < first || self.fiscal_year > last {
                p.add(
                    "fiscal_year",
                    format!(
                        "no holiday calendar for {} (kasda bundles {first}–{last}); add that year's SKB 3 Menteri list first",
                        self.fiscal_year
                    ),
                );
            }
        }

        // Pemda.
        if let Err(m) = check_pemda_code(self.pemda.kind, self.pemda.code.trim()) {
            p.add("pemda.code", m);
        }
        p.text("pemda.name".into(), &self.pemda.name, true);

        // Account registry: every number once, across RKUD, holding and OPD receiving accounts.
        let mut numbers: HashMap<String, String> = HashMap::new();
        let mut register = |p: &mut Problems, path: String, number: &str| {
            check_account_number(p, path.clone(), number);
            let n = normalize_account(number);
            if n.is_empty() {
                return;
            }
            match numbers.get(&n) {
                Some(first) => p.add(
                    path,
                    format!("account number {number:?} is already registered at {first}"),
                ),
                None => {
                    numbers.insert(n, path);
                }
            }
        };

        p.count("rkud", self.rkud.len(), MAX_RKUD);
        if self.rkud.is_empty() {
            p.add("rkud", "expected at least one [[rkud]] account, found none");
        }
        for (i, a) in self.rkud.iter().enumerate() {
            let path = format!("rkud[{i}]");
            p.text(format!("{path}.label"), &a.label, false);
            p.text(format!("{path}.bank"), &a.bank, true);
            if let Some(code) = &a.bank_code {
                check_bank_code(&mut p, format!("{path}.bank_code"), code);
            }
            register(&mut p, format!("{path}.account_number"), &a.account_number);
            if let Some(format) = &a.statement_format {
                if !is_statement_format(format) {
                    p.add(
                        format!("{path}.statement_format"),
                        format!(
                            "expected camt.052, camt.053, camt.054, mt940, mt942, snap or csv:<profile>, found {format:?}"
                        ),
                    );
                }
            }
            if let (Some(f), Some(t)) = (a.active_from, a.active_to) {
                if t < f {
                    p.add(
                        format!("{path}.active_to"),
                        format!("expected a date on or after active_from {f}, found {t}"),
                    );
                }
            }
        }
        // A mid-year RKUD change must not leave days without an RKUD.
        if let (false, Some(start), Some(end)) = (
            self.rkud.is_empty(),
            NaiveDate::from_ymd_opt(self.fiscal_year, 1, 1),
            NaiveDate::from_ymd_opt(self.fiscal_year, 12, 31),
        ) {
            let gap = start
                .iter_days()
                .take_while(|d| *d <= end)
                .find(|d| !self.rkud.iter().any(|a| a.is_active_on(*d)));
            if let Some(day) = gap {
                p.add(
                    "rkud",
                    format!(
                        "expected an active RKUD account on every day of {}, found none on {day}",
                        self.fiscal_year
                    ),
                );
            }
        }
        let rkud_numbers: BTreeSet<String> = self
            .rkud
            .iter()
            .map(|a| normalize_account(&a.account_number))
            .collect();

        p.count("holding", self.holding.len(), MAX_HOLDING);
        for (i, h) in self.holding.iter().enumerate() {
            let path = format!("holding[{i}]");
            p.text(format!("{path}.label"), &h.label, false);
            p.text(format!("{path}.bank"), &h.bank, true);
            if let Some(code) = &h.bank_code {
                check_bank_code(&mut p, format!("{path}.bank_code"), code);
            }
            register(&mut p, format!("{path}.account_number"), &h.account_number);
            if !rkud_numbers.contains(&normalize_account(&h.sweep_to)) {
                p.add(
                    format!("{path}.sweep_to"),
                    format!(
                        "expected the account number of an [[rkud]] account, found {:?}",
                        h.sweep_to
                    ),
                );
            }
            let mut seen = BTreeSet::new();
            for (j, c) in h.channels.iter().enumerate() {
                if !seen.insert(*c) {
                    p.add(
                        format!("{path}.channels[{j}]"),
                        format!("channel {} is listed twice", c.as_str()),
                    );
                }
            }
        }

        // Chart additions: every refused row is reported; the accepted ones still count for the
        // checks of revenue codes and targets below.
        let mut chart = Chart::bundled().for_year(self.fiscal_year);
        for (i, add) in self.chart.account.iter().enumerate() {
            if let Err(e) = chart.add(i + 1, add) {
                p.add(format!("chart.account[{i}]"), e.to_string());
            }
        }
        p.count(
            "chart.account",
            self.chart.account.len(),
            MAX_CHART_ADDITIONS,
        );
        let check_code = |p: &mut Problems, path: String, code: &str| {
            if let Err(e) = chart.lookup(code) {
                p.add(path, e.to_string());
            }
        };

        p.count("opd", self.opd.len(), MAX_OPD);
        let mut opd_codes = BTreeMap::new();
        for (i, o) in self.opd.iter().enumerate() {
            let path = format!("opd[{i}]");
            if !check_opd_code(o.code.trim()) {
                p.add(
                    format!("{path}.code"),
                    format!(
                        "expected an OPD code of 1–40 letters, digits, '.', '-' or '_', found {:?}",
                        o.code
                    ),
                );
            } else if let Some(first) = opd_codes.insert(o.code.trim().to_string(), i) {
                p.add(
                    format!("{path}.code"),
                    format!("OPD code {:?} is already used by opd[{first}]", o.code),
                );
            }
            p.text(format!("{path}.name"), &o.name, true);
            if let Some(short) = &o.short_name {
                p.text(format!("{path}.short_name"), short, true);
            }
            if let Some(b) = &o.bendahara_penerimaan {
                p.text(format!("{path}.bendahara_penerimaan.name"), &b.name, true);
                if let Some(Err(m)) = b.nip.as_deref().map(check_nip) {
                    p.add(format!("{path}.bendahara_penerimaan.nip"), m);
                }
            }
            if let Some(acct) = &o.receiving_account {
                register(&mut p, format!("{path}.receiving_account"), acct);
            }
            if o.deposit_deadline_working_days > 10 {
                p.add(
                    format!("{path}.deposit_deadline_working_days"),
                    format!(
                        "expected 0–10 working days (PP 58/2005: 1), found {}",
                        o.deposit_deadline_working_days
                    ),
                );
            }
            for (j, code) in o.revenue_codes.iter().enumerate() {
                check_code(&mut p, format!("{path}.revenue_codes[{j}]"), code);
            }
        }

        p.count("channel", self.channel.len(), MAX_CHANNELS);
        let mut channel_keys = BTreeMap::new();
        for (i, c) in self.channel.iter().enumerate() {
            let path = format!("channel[{i}]");
            p.text(format!("{path}.bank"), &c.bank, true);
            let key = (c.id, c.bank.trim().to_lowercase());
            if let Some(first) = channel_keys.insert(key, i) {
                p.add(
                    format!("{path}.id"),
                    format!(
                        "channel {} at {:?} is already configured at channel[{first}]",
                        c.id.as_str(),
                        c.bank
                    ),
                );
            }
            match self.account_role(&c.settles_to) {
                Some(AccountRole::Rkud) | Some(AccountRole::Holding) => {}
                _ => p.add(
                    format!("{path}.settles_to"),
                    format!("expected the account number of an [[rkud]] or [[holding]] account, found {:?}", c.settles_to),
                ),
            }
            if c.settlement_lag_days > 10 {
                p.add(
                    format!("{path}.settlement_lag_days"),
                    format!(
                        "expected 0–10 bank business days, found {}",
                        c.settlement_lag_days
                    ),
                );
            }
            match c.fee {
                Fee::None | Fee::Flat { .. } => {}
                Fee::Percent { rate, cap } => {
                    if rate > Decimal::ONE_HUNDRED {
                        p.add(
                            format!("{path}.fee.rate"),
                            format!("expected a percentage between 0 and 100, found {rate}"),
                        );
                    }
                    if cap == Some(Decimal::ZERO) {
                        p.add(
                            format!("{path}.fee.cap"),
                            "expected a positive cap or none, found 0",
                        );
                    }
                }
            }
            if c.id == Channel::Qris && c.qris == Some(false) {
                p.add(
                    format!("{path}.qris"),
                    "expected true (or absent) for channel qris: P2G QRIS payments are MDR 0%, found false",
                );
            }
            if c.is_qris() && c.fee != Fee::None {
                p.add(
                    format!("{path}.fee"),
                    format!(
                        "expected kind \"none\" for a QRIS channel (P2G MDR is 0%, PBI 23/6/PBI/2021 Pasal 52(1)), found {:?}",
                        c.fee.kind_str()
                    ),
                );
            }
        }

        // Tolerances.
        let t = &self.tolerances;
        if t.amount > Decimal::from(1_000_000) {
            p.add(
                "tolerances.amount",
                format!(
                    "expected at most 1000000 rupiah (a larger tolerance hides leakage), found {}",
                    t.amount
                ),
            );
        }
        if t.date_window_days > 31 {
            p.add(
                "tolerances.date_window_days",
                format!("expected 0–31 days, found {}", t.date_window_days),
            );
        }
        if !(1..=365).contains(&t.unidentified_after_days) {
            p.add(
                "tolerances.unidentified_after_days",
                format!(
                    "expected 1–365 working days, found {}",
                    t.unidentified_after_days
                ),
            );
        }
        for (name, v) in [
            ("settlement_grace_days", t.settlement_grace_days),
            ("sweep_grace_days", t.sweep_grace_days),
        ] {
            if v > 30 {
                p.add(
                    format!("tolerances.{name}"),
                    format!("expected 0–30 bank business days, found {v}"),
                );
            }
        }
        if !(3..=35).contains(&t.min_reference_prefix) {
            p.add(
                "tolerances.min_reference_prefix",
                format!("expected 3–35 characters, found {}", t.min_reference_prefix),
            );
        }

        // Calendar.
        let (cal_first, cal_last) = calendar.years().unwrap_or((0, -1));
        let mut local_dates = BTreeSet::new();
        for (i, h) in self.calendar.local_holidays.iter().enumerate() {
            let path = format!("calendar.local_holidays[{i}]");
            p.text(format!("{path}.name"), &h.name, true);
            if !(cal_first..=cal_last).contains(&h.date.year()) {
                p.add(
                    format!("{path}.date"),
                    format!("expected a date in the loaded calendar years {cal_first}–{cal_last}, found {}", h.date),
                );
            }
            if !local_dates.insert(h.date) {
                p.add(
                    format!("{path}.date"),
                    format!("{} is listed twice", h.date),
                );
            }
        }
        for (i, date) in self.calendar.pemda_working_days.iter().enumerate() {
            let listed = calendar.day_info(*date).map(|info| {
                info.holidays
                    .iter()
                    .any(|h| h.kind != crate::calendar::HolidayKind::Local)
                    && !info.weekend
            });
            match listed {
                Ok(true) => {}
                Ok(false) => p.add(
                    format!("calendar.pemda_working_days[{i}]"),
                    format!("expected a weekday national holiday or cuti bersama, found {date}"),
                ),
                Err(e) => p.add(format!("calendar.pemda_working_days[{i}]"), e.to_string()),
            }
        }
        for (i, date) in self.calendar.bank_closed_days.iter().enumerate() {
            if !(cal_first..=cal_last).contains(&date.year()) {
                p.add(
                    format!("calendar.bank_closed_days[{i}]"),
                    format!("expected a date in the loaded calendar years {cal_first}–{cal_last}, found {date}"),
                );
            }
        }

        // Signatories.
        p.count("signatory", self.signatory.len(), MAX_SIGNATORIES);
        for (i, s) in self.signatory.iter().enumerate() {
            let path = format!("signatory[{i}]");
            p.text(format!("{path}.name"), &s.name, true);
            p.text(format!("{path}.title"), &s.title, false);
            if let Some(Err(m)) = s.nip.as_deref().map(check_nip) {
                p.add(format!("{path}.nip"), m);
            }
        }

        // Targets.
        p.count("targets", self.targets.len(), MAX_TARGETS);
        for code in self.targets.keys() {
            check_code(&mut p, format!("targets.{code:?}"), code);
        }

        // Transfer rules.
        p.count("transfer_in", self.transfer_in.len(), MAX_TRANSFER_RULES);
        for (i, t) in self.transfer_in.iter().enumerate() {
            let path = format!("transfer_in[{i}]");
            if t.label.trim().is_empty() || t.label.chars().count() > MAX_TEXT_LEN {
                p.add(
                    format!("{path}.label"),
                    format!("expected 1–{MAX_TEXT_LEN} characters, found {:?}", t.label),
                );
            }
            let words = t.narrative.iter().chain(&t.counterparty);
            if t.narrative.is_empty()
                || words
                    .clone()
                    .any(|w| w.trim().is_empty() || w.chars().count() > MAX_TEXT_LEN)
            {
                p.add(
                    format!("{path}.narrative"),
                    format!(
                        "expected at least one narrative word, each 1–{MAX_TEXT_LEN} characters, found {:?} / counterparty {:?}",
                        t.narrative, t.counterparty
                    ),
                );
            }
            if !t.kode_rekening.starts_with("4.") {
                p.add(
                    format!("{path}.kode_rekening"),
                    format!(
                        "expected a pendapatan kode rekening (4.x), found {:?}",
                        t.kode_rekening
                    ),
                );
            } else {
                check_code(&mut p, format!("{path}.kode_rekening"), &t.kode_rekening);
            }
        }

        p.0
    }
}

impl FromStr for Config {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Config::parse_named("kasda.toml", s)
    }
}
