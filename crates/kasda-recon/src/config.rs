//! Reconciliation settings and the working-day calendar interface.
//!
//! [`ReconConfig`] is a plain struct so recon can be driven by tests and by the pemda
//! configuration alike (`kasda_core::config` is translated into it by the caller). Windows that
//! concern bank settlement count *bank business days*; deposit deadlines of the bendahara count
//! *pemda working days* (DOMAIN.md §9 keeps the two apart).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use kasda_core::calendar::{Calendar, DayRule};
use kasda_core::config::Config;
use kasda_core::document::Channel;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest walk any calendar helper makes, in calendar days. Ten years is far beyond any
/// settlement or deposit window; the cap only exists so a broken calendar cannot loop forever.
pub const MAX_CALENDAR_WALK_DAYS: i64 = 3660;

/// Working-day arithmetic recon needs. `kasda_core::calendar::Calendar` implements it; tests use
/// [`WeekdayCalendar`].
///
/// `add_*_days(d, n)` returns the n-th working day strictly after `d` (for `n = 0`: `d` itself
/// when it is a working day, else the next one). `*_days_between(a, b)` counts the working days
/// after `a` up to and including `b`, negative when `b < a`.
pub trait WorkingDays {
    /// Pemda (ASN) working day: weekends, national holidays and cuti bersama are not.
    fn is_working_day(&self, date: NaiveDate) -> bool;

    /// Bank business day; defaults to the pemda calendar.
    fn is_bank_business_day(&self, date: NaiveDate) -> bool {
        self.is_working_day(date)
    }

    fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        walk_forward(date, n, |d| self.is_working_day(d))
    }

    fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        count_between(from, to, |d| self.is_working_day(d))
    }

    fn add_bank_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        walk_forward(date, n, |d| self.is_bank_business_day(d))
    }

    fn bank_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        count_between(from, to, |d| self.is_bank_business_day(d))
    }

    /// Whether the calendar really knows `date` (holiday lists loaded for its year). Outside
    /// that range implementations fall back to Monday–Friday, and `reconcile` warns.
    fn covers(&self, date: NaiveDate) -> bool {
        let _ = date;
        true
    }
}

/// The pemda calendar of `kasda_core`. Its own methods refuse dates outside the loaded years;
/// through this trait such dates count Monday–Friday as working days, and [`WorkingDays::covers`]
/// tells `reconcile` to warn about it.
impl WorkingDays for Calendar {
    fn is_working_day(&self, date: NaiveDate) -> bool {
        Calendar::is_working_day(self, date).unwrap_or_else(|_| !is_weekend(date))
    }

    fn is_bank_business_day(&self, date: NaiveDate) -> bool {
        Calendar::is_bank_business_day(self, date).unwrap_or_else(|_| !is_weekend(date))
    }

    fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let r = if n == 0 {
            self.on_or_after(date, DayRule::PemdaWorkingDay)
        } else {
            Calendar::add_working_days(self, date, n)
        };
        r.unwrap_or_else(|_| walk_forward(date, n, |d| WorkingDays::is_working_day(self, d)))
    }

    fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        Calendar::working_days_between(self, from, to)
            .unwrap_or_else(|_| count_between(from, to, |d| WorkingDays::is_working_day(self, d)))
    }

    fn add_bank_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let r = if n == 0 {
            self.on_or_after(date, DayRule::BankBusinessDay)
        } else {
            self.add_bank_business_days(date, n)
        };
        r.unwrap_or_else(|_| walk_forward(date, n, |d| WorkingDays::is_bank_business_day(self, d)))
    }

    fn bank_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        self.bank_business_days_between(from, to)
            .unwrap_or_else(|_| {
                count_between(from, to, |d| WorkingDays::is_bank_business_day(self, d))
            })
    }

    fn covers(&self, date: NaiveDate) -> bool {
        self.years()
            .is_some_and(|(first, last)| (first..=last).contains(&date.year()))
    }
}

fn walk_forward(date: NaiveDate, n: u32, is_open: impl Fn(NaiveDate) -> bool) -> NaiveDate {
    let mut current = date;
    let mut walked = 0i64;
    let step = |d: NaiveDate| d.checked_add_signed(Duration::days(1)).unwrap_or(d);
    if n == 0 {
        while !is_open(current) && walked < MAX_CALENDAR_WALK_DAYS {
            current = step(current);
            walked += 1;
        }
        return current;
    }
    let mut remaining = n;
    while remaining > 0 && walked < MAX_CALENDAR_WALK_DAYS {
        current = step(current);
        walked += 1;
        if is_open(current) {
            remaining -= 1;
        }
    }
    current
}

fn count_between(from: NaiveDate, to: NaiveDate, is_open: impl Fn(NaiveDate) -> bool) -> i64 {
    let (lo, hi, sign) = if to >= from {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let span = (hi - lo).num_days().min(MAX_CALENDAR_WALK_DAYS);
    let mut count = 0i64;
    let mut d = lo;
    for _ in 0..span {
        d = match d.checked_add_signed(Duration::days(1)) {
            Some(next) => next,
            None => break,
        };
        if is_open(d) {
            count += 1;
        }
    }
    sign * count
}

/// Monday–Friday calendar with an explicit holiday list; bank holidays default to the same list
/// (cuti bersama are working days for banks only when `bank_holidays` is given separately).
#[derive(Debug, Clone, Default)]
pub struct WeekdayCalendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub bank_holidays: Option<BTreeSet<NaiveDate>>,
}

impl WeekdayCalendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        WeekdayCalendar {
            holidays: holidays.into_iter().collect(),
            bank_holidays: None,
        }
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl WorkingDays for WeekdayCalendar {
    fn is_working_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.holidays.contains(&date)
    }

    fn is_bank_business_day(&self, date: NaiveDate) -> bool {
        let holidays = self.bank_holidays.as_ref().unwrap_or(&self.holidays);
        !is_weekend(date) && !holidays.contains(&date)
    }
}

/// Fee a channel may deduct from what it settles, per receipt (DOMAIN.md §2.a: QRIS P2G is 0%;
/// retail and e-commerce admin fees are charged to the payer on top, so most agreements are
/// `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fee {
    #[default]
    None,
    /// A fixed amount per receipt.
    Flat { amount: Decimal },
    /// A percentage of each receipt's total (`rate` in percent, e.g. `0.7`), optionally capped per
    /// receipt. Each receipt's fee is rounded half-up to the sen.
    Percent { rate: Decimal, cap: Option<Decimal> },
}

impl Fee {
    /// Agreed fee on one receipt of `total`.
    pub fn for_receipt(&self, total: Decimal) -> Decimal {
        match self {
            Fee::None => Decimal::ZERO,
            // Per transaction as the PKS provides, whatever the payment: an aggregator takes its
            // Rp2.500 from a Rp2.000 payment too (the batch nets it).
            Fee::Flat { amount } => (*amount).max(Decimal::ZERO),
            Fee::Percent { rate, cap } => {
                let raw = total
                    .checked_mul(*rate)
                    .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
                    .unwrap_or(Decimal::ZERO)
                    .round_dp_with_strategy(
                        2,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    );
                let capped = match cap {
                    Some(c) => raw.min(*c),
                    None => raw,
                };
                capped.max(Decimal::ZERO).min(total)
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Fee::None => "no fee".to_string(),
            Fee::Flat { amount } => {
                format!("{} per receipt", kasda_core::money::display_idr(*amount))
            }
            Fee::Percent { rate, cap: None } => format!("{rate}% per receipt"),
            Fee::Percent { rate, cap: Some(c) } => {
                format!(
                    "{rate}% per receipt capped at {}",
                    kasda_core::money::display_idr(*c)
                )
            }
        }
    }
}

/// Settlement agreement of one payment channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRule {
    pub channel: Channel,
    /// Collecting bank the agreement is with; `None` = any bank.
    pub bank: Option<String>,
    /// Bank business days from the payment's local date to the expected credit (T+n).
    pub settlement_lag_days: u32,
    pub fee: Fee,
    /// Difference tolerated between expected and actual settlement before it is a finding.
    pub tolerance: Decimal,
    /// QRIS people-to-government: any deduction is a finding (PBI 23/6/PBI/2021 Pasal 52(1)).
    pub is_qris: bool,
    /// Account the channel settles into when the receipt does not name one.
    pub settles_to: Option<String>,
    /// Words in a settlement narrative that identify this channel (`ALFAMART`, `QRIS`, …). A
    /// settlement that differs from the expected amount is only joined to the channel's receipts
    /// when its narrative carries one of these words.
    pub markers: Vec<String>,
    /// Largest shortfall (in percent of the gross) that is still read as this channel's
    /// settlement rather than an unrelated credit.
    pub max_shortfall_percent: Decimal,
}

impl ChannelRule {
    /// Rule used for a channel that the configuration does not mention: T+1, no fee, no
    /// tolerance; QRIS keeps its zero-fee rule.
    pub fn default_for(channel: Channel) -> Self {
        ChannelRule {
            channel,
            bank: None,
            settlement_lag_days: 1,
            fee: Fee::None,
            tolerance: Decimal::ZERO,
            is_qris: channel == Channel::Qris,
            settles_to: None,
            markers: vec![channel.as_str().to_ascii_uppercase()],
            max_shortfall_percent: Decimal::from(10),
        }
    }
}

/// What a registered bank account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Rkud,
    Holding,
    OpdReceiving,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRule {
    pub number: String,
    pub role: AccountRole,
    /// Bank business days within which a holding / receiving account must be swept (0 = T+0).
    pub sweep_lag_days: u32,
    /// RKUD account the sweep goes to; any RKUD when `None`.
    pub sweep_to: Option<String>,
}

/// Hard limits of the subset-sum rule (rule 5). They bound work per search and in total, so the
/// rule can never blow up exponentially; when the total budget is spent the rule stops and the
/// statistics say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsetLimits {
    /// Most documents (or lines) joined in one subset match.
    pub max_set_size: usize,
    /// Candidates considered per target (meet-in-the-middle over at most this many).
    pub max_candidates: usize,
    /// Most statement lines combined on the bank side of a many-to-many match.
    pub max_lines_per_group: usize,
    /// Pair comparisons allowed per search.
    pub max_steps_per_search: u64,
    /// Pair comparisons allowed for the whole rule in one run.
    pub max_steps_total: u64,
}

impl Default for SubsetLimits {
    fn default() -> Self {
        SubsetLimits {
            max_set_size: 8,
            max_candidates: 20,
            max_lines_per_group: 3,
            max_steps_per_search: 100_000,
            max_steps_total: 50_000_000,
        }
    }
}

/// Everything recon needs to know about the pemda's agreements and tolerances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconConfig {
    pub channels: Vec<ChannelRule>,
    /// Register of the pemda's accounts. When empty, every account is treated as registered and
    /// `deposit_to_non_rkud_account` is not checked.
    pub accounts: Vec<AccountRule>,
    /// Working days a bendahara penerimaan has to deposit collections (PP 58/2005 Pasal 57(2): 1).
    pub deposit_deadline_days: u32,
    /// Per-OPD deadlines (OPD code as written on STS / BKU) where a Perkada sets another one.
    pub opd_deposit_deadline_days: BTreeMap<String, u32>,
    /// Working days an unmatched credit may wait before it is an `unidentified_deposit`.
    pub unidentified_after_days: u32,
    /// Bank business days after the expected settlement before an unmatched receipt is
    /// `unremitted_receipt` (until then it is money in transit).
    pub unremitted_after_days: u32,
    /// Calendar days around the expected date within which lines and documents may be joined.
    pub date_window_days: u32,
    /// Amount difference tolerated for STS and SP2D comparisons.
    pub amount_tolerance: Decimal,
    /// Shortest truncated reference (after normalisation) accepted as a prefix match.
    pub min_ref_prefix: usize,
    /// Narrative words of jasa giro credits.
    pub jasa_giro_markers: Vec<String>,
    /// Narrative words of bank charge / tax-on-interest debits.
    pub bank_charge_markers: Vec<String>,
    /// Bank charges above this are not classified automatically (a large "biaya" debit must be
    /// explained by an SP2D).
    pub bank_charge_max: Decimal,
    /// Amount from which a finding's severity is raised to `critical`.
    pub critical_amount: Decimal,
    pub subset: SubsetLimits,
    /// Incoming transfers recognised as revenue by their narrative (rule 0c), first match
    /// wins: `kasda.toml` `[[transfer_in]]`, then [`default_transfer_rules`].
    pub transfers: Vec<TransferRule>,
}

/// An RKUD credit whose texts contain every `narrative` word and, when `counterparty` is not
/// empty, one of its words in the counterparty name, account or texts, is revenue of
/// `kode_rekening` (`kasda.toml` `[[transfer_in]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRule {
    pub label: String,
    pub narrative: Vec<String>,
    pub counterparty: Vec<String>,
    pub kode_rekening: String,
}

/// Transfers from the central government (TKD) as the Kas Negara (RPKBUN / RKUN via the KPPN)
/// names them, by kind, when `kasda.toml` configures none: DAU, DBH, DAK, Insentif Fiskal and
/// Dana Desa, on their level-4 Pendapatan Transfer codes.
pub fn default_transfer_rules() -> Vec<TransferRule> {
    let from_treasury = ["KAS NEGARA", "RKUN", "RPKBUN", "KPPN"];
    [
        ("DAU", &["TKD", "DAU"][..], "4.2.01.08"),
        ("DBH", &["TKD", "DBH"][..], "4.2.01.07"),
        ("DAK", &["TKD", "DAK"][..], "4.2.01.09"),
        (
            "Insentif Fiskal",
            &["TKD", "INSENTIF FISKAL"][..],
            "4.2.01.06",
        ),
        ("Dana Desa", &["TKD", "DANA DESA"][..], "4.2.01.05"),
    ]
    .into_iter()
    .map(|(label, words, kode)| TransferRule {
        label: label.to_string(),
        narrative: words.iter().map(|w| w.to_string()).collect(),
        counterparty: from_treasury.iter().map(|w| w.to_string()).collect(),
        kode_rekening: kode.to_string(),
    })
    .collect()
}

impl Default for ReconConfig {
    fn default() -> Self {
        ReconConfig {
            channels: Vec::new(),
            accounts: Vec::new(),
            deposit_deadline_days: 1,
            opd_deposit_deadline_days: BTreeMap::new(),
            unidentified_after_days: 3,
            unremitted_after_days: 2,
            date_window_days: 5,
            amount_tolerance: Decimal::ZERO,
            min_ref_prefix: 5,
            jasa_giro_markers: ["JASA GIRO", "JASAGIRO", "BUNGA GIRO", "INTEREST"]
                .map(String::from)
                .to_vec(),
            bank_charge_markers: [
                "BIAYA ADM",
                "BIAYA ADMINISTRASI",
                "ADM REK",
                "BIAYA TRANSFER",
                "BIAYA RTGS",
                "BIAYA SKN",
                "BIAYA BI-FAST",
                "BIAYA BIFAST",
                "PAJAK JASA GIRO",
                "PAJAK BUNGA",
                "BANK CHARGE",
            ]
            .map(String::from)
            .to_vec(),
            bank_charge_max: Decimal::from(1_000_000),
            critical_amount: Decimal::from(100_000_000),
            subset: SubsetLimits::default(),
            transfers: default_transfer_rules(),
        }
    }
}

/// Narrative words that identify a channel's bulk settlements when the configuration names none.
fn default_markers(channel: Channel) -> Vec<String> {
    let words: &[&str] = match channel {
        Channel::Qris => &["QRIS"],
        Channel::Retail => &["ALFAMART", "INDOMARET", "ALFAMIDI", "RETAIL"],
        Channel::Ecommerce => &[
            "TOKOPEDIA",
            "SHOPEE",
            "BUKALAPAK",
            "BLIBLI",
            "ECOMMERCE",
            "E-COMMERCE",
        ],
        Channel::PostOffice => &["POS INDONESIA", "POSINDO", "KANTOR POS", "SETTLEMENT POS"],
        Channel::VirtualAccount => &["VIRTUAL ACCOUNT", " VA "],
        Channel::Atm => &["ATM"],
        Channel::Mobile => &["MOBILE", "MBANKING", "M-BANKING"],
        Channel::Internet => &["INTERNET BANKING", "IBANKING", "I-BANKING"],
        Channel::Teller => &["TELLER"],
        Channel::Other => &[],
    };
    words.iter().map(|w| w.to_string()).collect()
}

impl ReconConfig {
    /// Recon settings from the pemda configuration (`kasda.toml`): channel agreements, the
    /// account register (RKUD, holding accounts with their sweep rule, OPD receiving accounts)
    /// and the tolerances. Settings the configuration does not carry keep their defaults.
    pub fn from_config(config: &Config) -> ReconConfig {
        let mut cfg = ReconConfig::default();
        let t = &config.tolerances;
        cfg.amount_tolerance = t.amount;
        cfg.date_window_days = t.date_window_days;
        cfg.unidentified_after_days = t.unidentified_after_days;
        cfg.unremitted_after_days = t.settlement_grace_days;
        cfg.min_ref_prefix = usize::try_from(t.min_reference_prefix).unwrap_or(6).max(3);
        // The pemda's own transfer rules first, then the built-in ones.
        cfg.transfers = config
            .transfer_in
            .iter()
            .map(|t| TransferRule {
                label: t.label.clone(),
                narrative: t.narrative.clone(),
                counterparty: t.counterparty.clone(),
                kode_rekening: t.kode_rekening.clone(),
            })
            .chain(default_transfer_rules())
            .collect();
        for c in &config.channel {
            let fee = match c.fee {
                kasda_core::config::Fee::None => Fee::None,
                kasda_core::config::Fee::Flat { amount } => Fee::Flat { amount },
                kasda_core::config::Fee::Percent { rate, cap } => Fee::Percent { rate, cap },
            };
            let mut markers = default_markers(c.id);
            let bank = c.bank.trim().to_uppercase();
            if !bank.is_empty() && c.id != Channel::Teller {
                markers.push(bank);
            }
            cfg.channels.push(ChannelRule {
                channel: c.id,
                bank: Some(c.bank.clone()),
                settlement_lag_days: c.settlement_lag_days,
                fee,
                tolerance: c.tolerance,
                is_qris: c.is_qris(),
                settles_to: Some(c.settles_to.clone()),
                markers,
                max_shortfall_percent: Decimal::from(10),
            });
        }
        for a in &config.rkud {
            cfg.accounts.push(AccountRule {
                number: a.account_number.clone(),
                role: AccountRole::Rkud,
                sweep_lag_days: 0,
                sweep_to: None,
            });
        }
        for h in &config.holding {
            cfg.accounts.push(AccountRule {
                number: h.account_number.clone(),
                role: AccountRole::Holding,
                sweep_lag_days: h.sweep.lag_bank_days() + t.sweep_grace_days,
                sweep_to: Some(h.sweep_to.clone()),
            });
        }
        for o in &config.opd {
            if let Some(acct) = &o.receiving_account {
                cfg.accounts.push(AccountRule {
                    number: acct.clone(),
                    role: AccountRole::OpdReceiving,
                    sweep_lag_days: o.deposit_deadline_working_days,
                    sweep_to: None,
                });
            }
            if o.deposit_deadline_working_days != cfg.deposit_deadline_days {
                cfg.opd_deposit_deadline_days
                    .insert(o.code.clone(), o.deposit_deadline_working_days);
                if let Some(short) = &o.short_name {
                    cfg.opd_deposit_deadline_days
                        .insert(short.clone(), o.deposit_deadline_working_days);
                }
            }
        }
        cfg
    }

    /// Deposit deadline of an OPD in working days.
    pub fn deposit_deadline_for(&self, opd: &str) -> u32 {
        self.opd_deposit_deadline_days
            .get(opd.trim())
            .copied()
            .unwrap_or(self.deposit_deadline_days)
    }
}

/// Lookup tables derived once from a [`ReconConfig`].
pub(crate) struct ConfigIndex<'a> {
    pub cfg: &'a ReconConfig,
    /// The configured channel rules, then a default rule for every channel not configured.
    rules: Vec<ChannelRule>,
    by_channel: HashMap<Channel, usize>,
    by_channel_bank: HashMap<(Channel, String), usize>,
    accounts: HashMap<String, &'a AccountRule>,
}

fn bank_key(bank: &str) -> String {
    bank.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl<'a> ConfigIndex<'a> {
    pub fn new(cfg: &'a ReconConfig) -> Self {
        let mut rules: Vec<ChannelRule> = cfg.channels.clone();
        let mut by_channel = HashMap::new();
        let mut by_channel_bank = HashMap::new();
        for (i, rule) in cfg.channels.iter().enumerate() {
            // The first rule for a channel (and bank) wins; later duplicates are ignored.
            by_channel.entry(rule.channel).or_insert(i);
            if let Some(bank) = &rule.bank {
                by_channel_bank
                    .entry((rule.channel, bank_key(bank)))
                    .or_insert(i);
            }
        }
        for channel in Channel::ALL {
            if let std::collections::hash_map::Entry::Vacant(slot) = by_channel.entry(channel) {
                slot.insert(rules.len());
                rules.push(ChannelRule::default_for(channel));
            }
        }
        let mut accounts = HashMap::new();
        for a in &cfg.accounts {
            accounts.entry(account_key(&a.number)).or_insert(a);
        }
        ConfigIndex {
            cfg,
            rules,
            by_channel,
            by_channel_bank,
            accounts,
        }
    }

    /// Index of the rule for a receipt of `channel` collected by `bank`: the rule for that
    /// channel and bank, else the channel's first rule, else the default.
    pub fn rule_index(&self, channel: Channel, bank: Option<&str>) -> usize {
        bank.and_then(|b| self.by_channel_bank.get(&(channel, bank_key(b))))
            .or_else(|| self.by_channel.get(&channel))
            .copied()
            .unwrap_or(0)
    }

    pub fn rule(&self, index: usize) -> &ChannelRule {
        // Every index handed out comes from `rule_index`; the fallback keeps this total.
        self.rules
            .get(index)
            .unwrap_or(&self.rules[self.rules.len() - 1])
    }

    /// Account the rule at `index` settles into, borrowed from the configuration.
    pub fn settles_to(&self, index: usize) -> Option<&'a str> {
        self.cfg
            .channels
            .get(index)
            .and_then(|r| r.settles_to.as_deref())
    }

    pub fn role(&self, account: &str) -> Option<AccountRole> {
        self.account(account).map(|a| a.role)
    }

    pub fn account(&self, account: &str) -> Option<&'a AccountRule> {
        if self.accounts.is_empty() {
            return None;
        }
        self.accounts.get(&account_key(account)).copied()
    }

    /// Whether the register covers `account`; an empty register covers everything.
    pub fn is_registered(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.account(account).is_some()
    }

    /// Whether two account numbers name the same account (banks print dots, dashes, blanks).
    pub fn same_account(a: &str, b: &str) -> bool {
        account_key(a) == account_key(b)
    }

    pub fn has_register(&self) -> bool {
        !self.accounts.is_empty()
    }

    /// Revenue is recognised on a match only when the money is in an RKUD (guide §6); an
    /// unregistered account under an empty register counts as RKUD.
    pub fn is_rkud(&self, account: &str) -> bool {
        match self.role(account) {
            Some(AccountRole::Rkud) => true,
            Some(_) => false,
            None => self.accounts.is_empty(),
        }
    }
}

/// Register key of an account number: its digits when it has any (banks print the same number
/// with dots, dashes and blanks), else the trimmed text.
fn account_key(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        number.trim().to_string()
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn working_day_walks_skip_weekends_and_holidays() {
        // 2026-03-18 cuti bersama, 19 Nyepi, 20 cuti, 21-22 weekend (Idul Fitri), 23-24 cuti.
        let cal = WeekdayCalendar::new(
            [
                "2026-03-18",
                "2026-03-19",
                "2026-03-20",
                "2026-03-23",
                "2026-03-24",
            ]
            .map(d),
        );
        assert_eq!(cal.add_working_days(d("2026-03-17"), 1), d("2026-03-25"));
        assert_eq!(cal.add_working_days(d("2026-03-21"), 0), d("2026-03-25"));
        assert_eq!(cal.add_working_days(d("2026-03-16"), 0), d("2026-03-16"));
        assert_eq!(
            cal.working_days_between(d("2026-03-17"), d("2026-03-25")),
            1
        );
        assert_eq!(
            cal.working_days_between(d("2026-03-25"), d("2026-03-17")),
            -1
        );
        assert_eq!(
            cal.working_days_between(d("2026-03-02"), d("2026-03-09")),
            5
        );
    }

    #[test]
    fn bank_days_may_differ_from_pemda_days() {
        let mut cal = WeekdayCalendar::new([d("2026-12-24")]);
        cal.bank_holidays = Some(BTreeSet::new());
        assert!(!cal.is_working_day(d("2026-12-24")));
        assert!(cal.is_bank_business_day(d("2026-12-24")));
        assert_eq!(cal.add_bank_days(d("2026-12-23"), 1), d("2026-12-24"));
        assert_eq!(cal.add_working_days(d("2026-12-23"), 1), d("2026-12-25"));
    }

    #[test]
    fn fees_per_receipt() {
        assert_eq!(Fee::None.for_receipt(dec!(100000)), dec!(0));
        assert_eq!(
            Fee::Flat { amount: dec!(2500) }.for_receipt(dec!(100000)),
            dec!(2500)
        );
        // Flat is per transaction: the settlement of a batch deducts it from a payment smaller
        // than the fee too (the batch nets it).
        assert_eq!(
            Fee::Flat { amount: dec!(2500) }.for_receipt(dec!(1000)),
            dec!(2500)
        );
        let pct = Fee::Percent {
            rate: dec!(0.7),
            cap: Some(dec!(5000)),
        };
        assert_eq!(pct.for_receipt(dec!(100000)), dec!(700));
        assert_eq!(pct.for_receipt(dec!(10000000)), dec!(5000));
        assert_eq!(
            Fee::Percent {
                rate: dec!(0.7),
                cap: None
            }
            .for_receipt(dec!(12345)),
            dec!(86.42)
        );
    }
}
