//! The chart of accounts: kode rekening with names, cash-flow activity and provenance.
//!
//! kasda bundles the part of the Permendagri 90/2019 chart a treasury ledger touches
//! (`data/chart.tsv`: kas accounts, pendapatan down to the objects and sub rincian receipts are
//! booked on, belanja and pembiayaan groups) and maps every ledger [`AccountKind`] to a report
//! code (`data/system-accounts.tsv`: kas kinds to 1.1.01.xx, the clearing accounts of the
//! posting model to kasda system codes `K.x.xx`). A pemda adds its own detailed codes in
//! `kasda.toml` `[chart]`.
//!
//! A code that is in neither is an error ([`ChartError::UnknownCode`]): a receipt booked on a
//! mistyped kode rekening would otherwise silently become its own revenue line. Rows carry the
//! fiscal years they are valid in (HKPD replaced five taxes by PBJT in 2024; opsen started in
//! 2025), so a chart can be narrowed to one fiscal year with [`Chart::for_year`].

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::kode_rekening::{KodeRekening, KodeRekeningError, Level};
use crate::ledger::{AccountKey, AccountKind};

const BUNDLED_CHART: &str = include_str!("../data/chart.tsv");
const BUNDLED_SYSTEM: &str = include_str!("../data/system-accounts.tsv");

/// Largest chart file accepted.
pub const MAX_CHART_BYTES: usize = 4 * 1024 * 1024;
/// Most accounts in one chart (bundled plus pemda additions).
pub const MAX_CHART_ACCOUNTS: usize = 50_000;
/// Longest account name accepted.
pub const MAX_NAME_LEN: usize = 300;

/// Errors of chart loading and lookups. Lookups name the code; loading names file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChartError {
    #[error("unknown kode rekening {code}: not in the bundled chart nor in kasda.toml [chart]")]
    UnknownCode { code: String },
    #[error("invalid kode rekening {code:?}: {source}")]
    InvalidCode {
        code: String,
        #[source]
        source: KodeRekeningError,
    },
    #[error("kode rekening {code} ({name}) is valid {validity}, not in fiscal year {year}")]
    NotValidInYear {
        code: String,
        name: String,
        validity: String,
        year: i32,
    },
    #[error("{file} line {line}: {field}: expected {expected}, found {found:?}")]
    Data {
        file: String,
        line: usize,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error("{file}: {message}")]
    Limit { file: String, message: String },
    #[error("chart addition {index} ({code}): {message}")]
    Addition {
        index: usize,
        code: String,
        message: String,
    },
}

/// Cash-flow statement (LAK, PSAP 03) activity of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LakActivity {
    Operasi,
    Investasi,
    Pendanaan,
    Transitoris,
}

impl LakActivity {
    pub fn as_str(self) -> &'static str {
        match self {
            LakActivity::Operasi => "operasi",
            LakActivity::Investasi => "investasi",
            LakActivity::Pendanaan => "pendanaan",
            LakActivity::Transitoris => "transitoris",
        }
    }

    pub fn parse(s: &str) -> Option<LakActivity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "operasi" => Some(LakActivity::Operasi),
            "investasi" => Some(LakActivity::Investasi),
            "pendanaan" => Some(LakActivity::Pendanaan),
            "transitoris" => Some(LakActivity::Transitoris),
            _ => None,
        }
    }
}

/// How sure the bundled row is (the markers of DOMAIN.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Seen in pemda data or application code.
    Confirmed,
    /// Commonly used, exact code or name not confirmed: check against the pemda's chart.
    Verify,
}

/// Where a chart row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Bundled,
    /// Added by the pemda in `kasda.toml`.
    Pemda,
}

/// One kode rekening of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartAccount {
    pub code: KodeRekening,
    pub name: String,
    pub level: Level,
    /// The LAK activity when the code is a cash-flow line (inherit with
    /// [`Chart::lak_activity`] for codes that leave it empty).
    pub lak_activity: Option<LakActivity>,
    pub status: Status,
    pub valid_from_year: Option<i32>,
    pub valid_to_year: Option<i32>,
    pub note: String,
    pub origin: Origin,
}

impl ChartAccount {
    pub fn is_valid_in(&self, year: i32) -> bool {
        self.valid_from_year.is_none_or(|from| from <= year)
            && self.valid_to_year.is_none_or(|to| to >= year)
    }

    fn validity(&self) -> String {
        match (self.valid_from_year, self.valid_to_year) {
            (Some(f), Some(t)) => format!("from {f} to {t}"),
            (Some(f), None) => format!("from {f}"),
            (None, Some(t)) => format!("up to {t}"),
            (None, None) => "in every year".to_string(),
        }
    }
}

/// What the qualifier of a ledger account key holds for a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualifierKind {
    RkudAccount,
    HoldingAccount,
    BankAccount,
    Opd,
    Channel,
    KodeRekening,
    Reason,
}

impl QualifierKind {
    fn parse(s: &str) -> Option<QualifierKind> {
        Some(match s {
            "rkud_account" => QualifierKind::RkudAccount,
            "holding_account" => QualifierKind::HoldingAccount,
            "bank_account" => QualifierKind::BankAccount,
            "opd" => QualifierKind::Opd,
            "channel" => QualifierKind::Channel,
            "kode_rekening" => QualifierKind::KodeRekening,
            "reason" => QualifierKind::Reason,
            _ => return None,
        })
    }
}

/// How a ledger account kind appears in reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemAccount {
    pub kind: AccountKind,
    /// A kode rekening (`1.1.01.01.01.0001`) or a kasda system code (`K.1.01`).
    pub code: String,
    pub name: String,
    pub qualifier: QualifierKind,
    /// True for the clearing and expense accounts that exist only in kasda (codes `K.x.xx`).
    pub system: bool,
    pub note: String,
}

/// A pemda's extra chart row (`kasda.toml` `[[chart.account]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartAddition {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lak_activity: Option<LakActivity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from_year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to_year: Option<i32>,
}

/// Where a ledger account is reported: code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    pub code: String,
    pub name: String,
    pub system: bool,
}

/// The chart: kode rekening rows plus the system-account mapping.
#[derive(Debug, Clone)]
pub struct Chart {
    accounts: BTreeMap<KodeRekening, ChartAccount>,
    system: Vec<SystemAccount>,
    fiscal_year: Option<i32>,
}

fn parse_year(
    file: &str,
    line: usize,
    field: &'static str,
    text: &str,
) -> Result<Option<i32>, ChartError> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i32>() {
        Ok(y) if (1990..=2200).contains(&y) => Ok(Some(y)),
        _ => Err(ChartError::Data {
            file: file.to_string(),
            line,
            field,
            expected: "a year between 1990 and 2200, or empty".into(),
            found: text.to_string(),
        }),
    }
}

/// Parses chart text in the bundled TSV format (header line, `#` comments).
fn parse_chart_tsv(
    file: &str,
    text: &str,
) -> Result<BTreeMap<KodeRekening, ChartAccount>, ChartError> {
    if text.len() > MAX_CHART_BYTES {
        return Err(ChartError::Limit {
            file: file.to_string(),
            message: format!("{} bytes; the limit is {MAX_CHART_BYTES}", text.len()),
        });
    }
    let mut accounts = BTreeMap::new();
    let mut seen_header = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        if !seen_header {
            seen_header = true;
            continue;
        }
        let data_error = |field: &'static str, expected: &str, found: &str| ChartError::Data {
            file: file.to_string(),
            line,
            field,
            expected: expected.to_string(),
            found: found.to_string(),
        };
        let cols: Vec<&str> = raw.split('\t').collect();
        if cols.len() != 8 {
            return Err(data_error(
                "row",
                "8 tab-separated columns (code, level, name, lak_activity, status, valid_from_year, valid_to_year, note)",
                &format!("{} columns", cols.len()),
            ));
        }
        let col = |i: usize| cols.get(i).map_or("", |c| c.trim());
        let code =
            KodeRekening::parse(col(0)).map_err(|e| data_error("code", &e.to_string(), col(0)))?;
        let level = match col(1).parse::<usize>().ok().and_then(Level::from_depth) {
            Some(l) if l == code.level() => l,
            _ => {
                return Err(data_error(
                    "level",
                    &format!("{} (the code's number of segments)", code.depth()),
                    col(1),
                ))
            }
        };
        let name = col(2);
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(data_error(
                "name",
                &format!("1–{MAX_NAME_LEN} characters"),
                name,
            ));
        }
        let lak_activity = match col(3) {
            "" => None,
            t => Some(LakActivity::parse(t).ok_or_else(|| {
                data_error(
                    "lak_activity",
                    "operasi, investasi, pendanaan, transitoris or empty",
                    t,
                )
            })?),
        };
        let status = match col(4) {
            "confirmed" => Status::Confirmed,
            "verify" => Status::Verify,
            t => return Err(data_error("status", "confirmed or verify", t)),
        };
        let valid_from_year = parse_year(file, line, "valid_from_year", col(5))?;
        let valid_to_year = parse_year(file, line, "valid_to_year", col(6))?;
        if let (Some(f), Some(t)) = (valid_from_year, valid_to_year) {
            if f > t {
                return Err(data_error(
                    "valid_to_year",
                    &format!("a year not before {f}"),
                    col(6),
                ));
            }
        }
        if let Some(parent) = code.parent() {
            if !accounts.contains_key(&parent) {
                return Err(data_error(
                    "code",
                    &format!("a code whose parent {parent} is listed above it"),
                    col(0),
                ));
            }
        }
        let key = code.normalized();
        if accounts.contains_key(&key) {
            return Err(data_error("code", "a code not listed before", col(0)));
        }
        if accounts.len() >= MAX_CHART_ACCOUNTS {
            return Err(ChartError::Limit {
                file: file.to_string(),
                message: format!("more than {MAX_CHART_ACCOUNTS} accounts"),
            });
        }
        accounts.insert(
            key,
            ChartAccount {
                code: key,
                name: name.to_string(),
                level,
                lak_activity,
                status,
                valid_from_year,
                valid_to_year,
                note: col(7).to_string(),
                origin: Origin::Bundled,
            },
        );
    }
    Ok(accounts)
}

fn is_system_code(code: &str) -> bool {
    // K.<digit>.<2 digits>
    let b = code.as_bytes();
    b.len() == 6
        && b.starts_with(b"K.")
        && b.get(2).is_some_and(u8::is_ascii_digit)
        && b.get(3) == Some(&b'.')
        && b[4..].iter().all(u8::is_ascii_digit)
}

fn parse_system_tsv(
    file: &str,
    text: &str,
    accounts: &BTreeMap<KodeRekening, ChartAccount>,
) -> Result<Vec<SystemAccount>, ChartError> {
    let mut out: Vec<SystemAccount> = Vec::new();
    let mut seen_header = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        if !seen_header {
            seen_header = true;
            continue;
        }
        let data_error = |field: &'static str, expected: &str, found: &str| ChartError::Data {
            file: file.to_string(),
            line,
            field,
            expected: expected.to_string(),
            found: found.to_string(),
        };
        let cols: Vec<&str> = raw.split('\t').collect();
        if cols.len() != 5 {
            return Err(data_error(
                "row",
                "5 tab-separated columns (kind, code, name, qualifier, note)",
                &format!("{} columns", cols.len()),
            ));
        }
        let col = |i: usize| cols.get(i).map_or("", |c| c.trim());
        let kind = AccountKind::parse(col(0))
            .ok_or_else(|| data_error("kind", "a ledger account kind", col(0)))?;
        let code = col(1);
        let system = is_system_code(code);
        if !system {
            let kode =
                KodeRekening::parse(code).map_err(|e| data_error("code", &e.to_string(), code))?;
            if !accounts.contains_key(&kode.normalized()) {
                return Err(data_error(
                    "code",
                    "a K.x.xx system code or a code of the chart",
                    code,
                ));
            }
        }
        let qualifier = QualifierKind::parse(col(3)).ok_or_else(|| {
            data_error(
                "qualifier",
                "rkud_account, holding_account, bank_account, opd, channel, kode_rekening or reason",
                col(3),
            )
        })?;
        if out.iter().any(|s| s.kind == kind) {
            return Err(data_error("kind", "each kind once", col(0)));
        }
        out.push(SystemAccount {
            kind,
            code: code.to_string(),
            name: col(2).to_string(),
            qualifier,
            system,
            note: col(4).to_string(),
        });
    }
    Ok(out)
}

impl Chart {
    /// The bundled chart (all fiscal years) with the system-account mapping. Parsed once per
    /// process and cloned.
    pub fn bundled() -> Chart {
        static BUNDLED: OnceLock<Chart> = OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                // The bundled files are verified by the tests; should one ever fail to parse, an
                // empty chart makes every lookup fail loudly instead of accepting anything.
                Chart::from_tsv(
                    "data/chart.tsv",
                    BUNDLED_CHART,
                    "data/system-accounts.tsv",
                    BUNDLED_SYSTEM,
                )
                .unwrap_or(Chart {
                    accounts: BTreeMap::new(),
                    system: Vec::new(),
                    fiscal_year: None,
                })
            })
            .clone()
    }

    /// Builds a chart from text in the bundled TSV formats.
    pub fn from_tsv(
        chart_file: &str,
        chart_text: &str,
        system_file: &str,
        system_text: &str,
    ) -> Result<Chart, ChartError> {
        let accounts = parse_chart_tsv(chart_file, chart_text)?;
        let system = parse_system_tsv(system_file, system_text, &accounts)?;
        Ok(Chart {
            accounts,
            system,
            fiscal_year: None,
        })
    }

    /// The same chart restricted to `year`: lookups of codes not valid in that year fail with
    /// [`ChartError::NotValidInYear`].
    pub fn for_year(mut self, year: i32) -> Chart {
        self.fiscal_year = Some(year);
        self
    }

    pub fn fiscal_year(&self) -> Option<i32> {
        self.fiscal_year
    }

    /// Adds pemda rows. Each code must parse, be new, and have its parent in the chart (or
    /// among earlier additions), so that subtotals always roll up.
    pub fn with_additions(mut self, additions: &[ChartAddition]) -> Result<Chart, ChartError> {
        for (i, add) in additions.iter().enumerate() {
            self.add(i + 1, add)?;
        }
        Ok(self)
    }

    /// Adds one pemda row (`index` is its 1-based position, used in the error). Nothing changes
    /// when the row is refused, so a caller can collect every refusal of a list.
    pub fn add(&mut self, index: usize, add: &ChartAddition) -> Result<(), ChartError> {
        let addition_error = |message: String| ChartError::Addition {
            index,
            code: add.code.clone(),
            message,
        };
        let code = KodeRekening::parse(&add.code).map_err(|e| addition_error(e.to_string()))?;
        let key = code.normalized();
        if let Some(existing) = self.accounts.get(&key) {
            return Err(addition_error(format!(
                "already in the chart as {:?} ({})",
                existing.name,
                match existing.origin {
                    Origin::Bundled => "bundled",
                    Origin::Pemda => "an earlier addition",
                }
            )));
        }
        if let Some(parent) = code.parent() {
            if !self.accounts.contains_key(&parent) {
                return Err(addition_error(format!(
                    "parent {parent} is not in the chart; add it first"
                )));
            }
        }
        let name = add.name.trim();
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(addition_error(format!(
                "name must have 1–{MAX_NAME_LEN} characters"
            )));
        }
        for year in [add.valid_from_year, add.valid_to_year]
            .into_iter()
            .flatten()
        {
            if !(1990..=2200).contains(&year) {
                return Err(addition_error(format!(
                    "expected a year between 1990 and 2200, found {year}"
                )));
            }
        }
        if let (Some(f), Some(t)) = (add.valid_from_year, add.valid_to_year) {
            if f > t {
                return Err(addition_error(format!(
                    "valid_from_year {f} is after valid_to_year {t}"
                )));
            }
        }
        if self.accounts.len() >= MAX_CHART_ACCOUNTS {
            return Err(addition_error(format!(
                "the chart is full ({MAX_CHART_ACCOUNTS} accounts)"
            )));
        }
        self.accounts.insert(
            key,
            ChartAccount {
                code: key,
                name: name.to_string(),
                level: code.level(),
                lak_activity: add.lak_activity,
                status: Status::Confirmed,
                valid_from_year: add.valid_from_year,
                valid_to_year: add.valid_to_year,
                note: "added in kasda.toml".to_string(),
                origin: Origin::Pemda,
            },
        );
        Ok(())
    }

    /// The row of `code` (either sub rincian width), or [`ChartError::UnknownCode`]; in a chart
    /// narrowed with [`Chart::for_year`], [`ChartError::NotValidInYear`] when the row's
    /// validity excludes that year.
    pub fn lookup(&self, code: &str) -> Result<&ChartAccount, ChartError> {
        let kode = KodeRekening::parse(code).map_err(|source| ChartError::InvalidCode {
            code: code.to_string(),
            source,
        })?;
        self.lookup_code(&kode)
    }

    /// [`Chart::lookup`] for an already parsed code.
    pub fn lookup_code(&self, code: &KodeRekening) -> Result<&ChartAccount, ChartError> {
        let account =
            self.accounts
                .get(&code.normalized())
                .ok_or_else(|| ChartError::UnknownCode {
                    code: code.to_string(),
                })?;
        if let Some(year) = self.fiscal_year {
            if !account.is_valid_in(year) {
                return Err(ChartError::NotValidInYear {
                    code: code.to_string(),
                    name: account.name.clone(),
                    validity: account.validity(),
                    year,
                });
            }
        }
        Ok(account)
    }

    /// Is `code` a known code (valid in the chart's fiscal year, if one is set)?
    pub fn contains(&self, code: &str) -> bool {
        self.lookup(code).is_ok()
    }

    /// The row itself or its deepest listed ancestor — for reports that must place a code the
    /// chart does not list in detail. Ignores the fiscal year.
    pub fn nearest(&self, code: &KodeRekening) -> Option<&ChartAccount> {
        let own = code.normalized();
        self.accounts.get(&own).or_else(|| {
            code.ancestors()
                .iter()
                .rev()
                .find_map(|a| self.accounts.get(a))
        })
    }

    /// The LAK activity of `code`: its own or that of the nearest ancestor that has one.
    pub fn lak_activity(&self, code: &KodeRekening) -> Option<LakActivity> {
        let own = code.normalized();
        std::iter::once(own)
            .chain(code.ancestors().into_iter().rev())
            .find_map(|c| self.accounts.get(&c).and_then(|a| a.lak_activity))
    }

    /// Direct children of `code`, in chart order.
    pub fn children<'a>(
        &'a self,
        code: &KodeRekening,
    ) -> impl Iterator<Item = &'a ChartAccount> + 'a {
        let parent = code.normalized();
        let depth = parent.depth() + 1;
        self.accounts
            .range((Bound::Excluded(parent), Bound::Unbounded))
            .take_while(move |(c, _)| parent.is_ancestor_of(c))
            .filter(move |(c, _)| c.depth() == depth)
            .map(|(_, a)| a)
    }

    /// All rows in chart order (parents before children).
    pub fn accounts(&self) -> impl Iterator<Item = &ChartAccount> {
        self.accounts.values()
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// How a ledger account kind is reported. Every [`AccountKind`] has one in the bundled chart.
    pub fn system_account(&self, kind: AccountKind) -> Option<&SystemAccount> {
        self.system.iter().find(|s| s.kind == kind)
    }

    pub fn system_accounts(&self) -> &[SystemAccount] {
        &self.system
    }

    /// Report code and name of a ledger account: the qualifier's kode rekening for kinds keyed by
    /// kode rekening (unknown codes are an error), otherwise the kind's system mapping.
    pub fn report_line(&self, key: &AccountKey) -> Result<ReportLine, ChartError> {
        let system = self
            .system_account(key.kind())
            .ok_or_else(|| ChartError::UnknownCode {
                code: key.to_string(),
            })?;
        if system.qualifier == QualifierKind::KodeRekening {
            // Belanja for UP/GU/TU advances is qualified by the SP2D type, not a code.
            if key.kind() == AccountKind::Belanja && KodeRekening::parse(key.qualifier()).is_err() {
                return Ok(ReportLine {
                    code: system.code.clone(),
                    name: format!("{} ({})", system.name, key.qualifier()),
                    system: system.system,
                });
            }
            let account = self.lookup(key.qualifier())?;
            let name = match key.kind() {
                AccountKind::PenerimaanBelumMasukRkud => {
                    format!("{} - {}", system.name, account.name)
                }
                _ => account.name.clone(),
            };
            return Ok(ReportLine {
                code: account.code.to_string(),
                name,
                system: key.kind() == AccountKind::PenerimaanBelumMasukRkud,
            });
        }
        Ok(ReportLine {
            code: system.code.clone(),
            name: system.name.clone(),
            system: system.system,
        })
    }
}
