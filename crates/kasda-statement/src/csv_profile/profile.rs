//! Profiles: what one bank's CSV/XLSX export looks like, as data (TOML), validated on load.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use kasda_core::money::{Currency, NumberFormat};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{Location, ReadError};

/// Largest profile file accepted.
pub const MAX_PROFILE_BYTES: u64 = 256 * 1024;
/// Most profiles loaded from one directory.
pub const MAX_PROFILES_PER_DIR: usize = 1000;
/// Lines searched for the header row before giving up.
pub const DEFAULT_HEADER_SEARCH_LINES: usize = 50;

/// Text encoding of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ProfileEncoding {
    /// UTF-8 when the bytes are valid UTF-8 (BOM dropped), else Windows-1252.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// Strict UTF-8: invalid bytes are an error.
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows-1252 always (the superset of ISO-8859-1 that Windows banking software writes).
    #[serde(rename = "windows-1252")]
    Windows1252,
}

/// Lines above the header row that carry statement facts. Each is a regex over the raw line;
/// capture group 1 is the value (`period` has two groups: from and to).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preamble {
    pub account_number: Option<String>,
    pub account_name: Option<String>,
    pub currency: Option<String>,
    pub period: Option<String>,
    /// chrono formats for the period dates; default: the profile's `date_formats`.
    #[serde(default)]
    pub period_date_formats: Vec<String>,
}

/// Summary lines below the table. Regexes over the raw line; group 1 is the amount, group 2
/// (totals only, optional) the number of entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Footer {
    pub opening_balance: Option<String>,
    pub closing_balance: Option<String>,
    pub credit_total: Option<String>,
    pub debit_total: Option<String>,
    /// Other lines that end the table and are known to carry nothing kasda needs
    /// (`Dicetak pada …`).
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// Which column (1-based position in the header row) holds what. Positions, not names: Mandiri
/// MCM has two columns both called `Description`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub booking_date: usize,
    pub value_date: Option<usize>,
    pub time: Option<usize>,
    /// Joined with a blank, in this order; line breaks inside split into lines.
    #[serde(default)]
    pub description: Vec<usize>,
    pub reference: Option<usize>,
    pub sequence: Option<usize>,
    pub transaction_code: Option<usize>,
    pub branch: Option<usize>,
    pub debit: Option<usize>,
    pub credit: Option<usize>,
    /// A single amount column; its direction comes from `direction`, from a suffix
    /// (`amount_suffix`) or from its sign (`amount_signed`).
    pub amount: Option<usize>,
    pub direction: Option<usize>,
    #[serde(default)]
    pub amount_suffix: bool,
    #[serde(default)]
    pub amount_signed: bool,
    pub balance_after: Option<usize>,
    pub balance_before: Option<usize>,
    pub account: Option<usize>,
    pub account_name: Option<usize>,
    pub currency: Option<usize>,
}

/// Markers of direction (case-insensitive) in a direction column or amount suffix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markers {
    pub credit: Vec<String>,
    pub debit: Vec<String>,
}

impl Default for Markers {
    fn default() -> Self {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        Markers {
            credit: v(&["CR", "C", "K", "KREDIT", "CREDIT"]),
            debit: v(&["DB", "D", "DR", "DEBIT", "DEBET"]),
        }
    }
}

/// One bank export layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Kebab-case id; the statement version and `csv:<id>` format id.
    pub id: String,
    pub bank: String,
    pub description: String,
    /// Where the layout was observed (public sources), so that anyone can re-check it.
    pub source: String,
    #[serde(default)]
    pub encoding: ProfileEncoding,
    /// `,` `;` or tab (`"\t"`).
    pub delimiter: String,
    /// Quote character; empty for none. Default `"`.
    #[serde(default = "default_quote")]
    pub quote: String,
    /// Exact header cells, compared after trimming blanks.
    pub header: Vec<String>,
    #[serde(default = "default_search")]
    pub header_search_lines: usize,
    /// Currency when neither a column nor a header line gives one.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Currency words to ISO codes (`Rp` → `IDR`).
    #[serde(default)]
    pub currency_aliases: BTreeMap<String, String>,
    /// Notation of debit/credit/amount cells.
    pub number_format: NumberFormat,
    /// Notation of balance cells and footer amounts; default `number_format`.
    pub balance_number_format: Option<NumberFormat>,
    /// chrono formats tried in order; `%b`/`%B` accept Indonesian month names; a format without
    /// a year takes it from the period line.
    pub date_formats: Vec<String>,
    /// Date-cell values that mark a pending (not yet booked) row, e.g. `PEND`.
    #[serde(default)]
    pub pending_markers: Vec<String>,
    /// Offset of the bank's local times from UTC in minutes (WIB = 420).
    #[serde(default = "default_offset")]
    pub utc_offset_minutes: i32,
    #[serde(default)]
    pub preamble: Preamble,
    #[serde(default)]
    pub footer: Footer,
    pub columns: Columns,
    #[serde(default)]
    pub markers: Markers,
}

fn default_quote() -> String {
    "\"".into()
}
fn default_search() -> usize {
    DEFAULT_HEADER_SEARCH_LINES
}
fn default_currency() -> String {
    "IDR".into()
}
fn default_offset() -> i32 {
    420
}

/// A profile checked and with its regexes compiled, ready to read files.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub profile: Profile,
    pub delimiter: char,
    pub quote: Option<char>,
    pub currency: Currency,
    pub account_number: Option<Regex>,
    pub account_name: Option<Regex>,
    pub currency_line: Option<Regex>,
    pub period: Option<Regex>,
    pub opening: Option<Regex>,
    pub closing: Option<Regex>,
    pub credit_total: Option<Regex>,
    pub debit_total: Option<Regex>,
    pub ignore: Vec<Regex>,
}

impl Profile {
    pub fn balance_format(&self) -> NumberFormat {
        self.balance_number_format.unwrap_or(self.number_format)
    }

    /// Checks the profile and compiles its regexes; every problem names the profile field.
    pub fn compile(&self, origin: &str) -> Result<Compiled, ReadError> {
        let bad = |field: &str, expected: &str, found: String| {
            ReadError::new(
                origin,
                Location::default(),
                "invalid-profile",
                format!("profile {:?} {field}", self.id),
                expected,
                found,
            )
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(bad(
                "id",
                "1-64 characters a-z, 0-9 and -",
                format!("{:?}", self.id),
            ));
        }
        for (field, v) in [
            ("bank", &self.bank),
            ("description", &self.description),
            ("source", &self.source),
        ] {
            if v.trim().is_empty() {
                return Err(bad(field, "a non-empty text", "nothing".into()));
            }
        }
        let one_char =
            |field: &str, s: &str, allow_empty: bool| -> Result<Option<char>, ReadError> {
                let mut it = s.chars();
                match (it.next(), it.next()) {
                    (None, _) if allow_empty => Ok(None),
                    (Some(c), None) if c != '\n' && c != '\r' => Ok(Some(c)),
                    _ => Err(bad(
                        field,
                        "exactly one character (not a line break)",
                        format!("{s:?}"),
                    )),
                }
            };
        let delimiter = one_char("delimiter", &self.delimiter, false)?.unwrap_or(',');
        let quote = one_char("quote", &self.quote, true)?;
        if quote == Some(delimiter) {
            return Err(bad(
                "quote",
                "a character other than the delimiter",
                format!("{:?}", self.quote),
            ));
        }
        if self.header.is_empty() || self.header.len() > super::records::MAX_CELLS {
            return Err(bad(
                "header",
                "1 to 512 header cells",
                format!("{} cells", self.header.len()),
            ));
        }
        if self.header.iter().all(|h| h.trim().is_empty()) {
            return Err(bad(
                "header",
                "at least one non-empty header cell",
                "only empty cells".into(),
            ));
        }
        if self.header_search_lines == 0 || self.header_search_lines > 10_000 {
            return Err(bad(
                "header_search_lines",
                "1 to 10000",
                self.header_search_lines.to_string(),
            ));
        }
        let currency = Currency::parse(&self.currency).map_err(|_| {
            bad(
                "currency",
                "an ISO 4217 code like IDR",
                format!("{:?}", self.currency),
            )
        })?;
        for (word, code) in &self.currency_aliases {
            Currency::parse(code).map_err(|_| {
                bad(
                    &format!("currency_aliases.{word}"),
                    "an ISO 4217 code like IDR",
                    format!("{code:?}"),
                )
            })?;
        }
        if self.date_formats.is_empty() {
            return Err(bad(
                "date_formats",
                "at least one chrono date format",
                "none".into(),
            ));
        }
        for f in self
            .date_formats
            .iter()
            .chain(&self.preamble.period_date_formats)
        {
            let day = f.contains("%d") || f.contains("%e");
            let month = f.contains("%m") || f.contains("%b") || f.contains("%B");
            if !day || !month {
                return Err(bad(
                    "date_formats",
                    "formats with a day (%d) and a month (%m, %b or %B)",
                    format!("{f:?}"),
                ));
            }
        }
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(bad(
                "utc_offset_minutes",
                "-840 to 840",
                self.utc_offset_minutes.to_string(),
            ));
        }
        self.check_columns(&bad)?;
        let re = |field: &str,
                  pattern: &Option<String>,
                  groups: usize|
         -> Result<Option<Regex>, ReadError> {
            let Some(p) = pattern else { return Ok(None) };
            let r = regex::RegexBuilder::new(p)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| bad(field, "a valid regular expression", format!("{p:?} ({e})")))?;
            if r.captures_len() < groups + 1 {
                return Err(bad(
                    field,
                    &format!("a regex with {groups} capture group(s)"),
                    format!("{p:?}"),
                ));
            }
            Ok(Some(r))
        };
        let mut ignore = Vec::new();
        for p in &self.footer.ignore {
            if let Some(r) = re("footer.ignore", &Some(p.clone()), 0)? {
                ignore.push(r);
            }
        }
        Ok(Compiled {
            profile: self.clone(),
            delimiter,
            quote,
            currency,
            account_number: re("preamble.account_number", &self.preamble.account_number, 1)?,
            account_name: re("preamble.account_name", &self.preamble.account_name, 1)?,
            currency_line: re("preamble.currency", &self.preamble.currency, 1)?,
            period: re("preamble.period", &self.preamble.period, 2)?,
            opening: re("footer.opening_balance", &self.footer.opening_balance, 1)?,
            closing: re("footer.closing_balance", &self.footer.closing_balance, 1)?,
            credit_total: re("footer.credit_total", &self.footer.credit_total, 1)?,
            debit_total: re("footer.debit_total", &self.footer.debit_total, 1)?,
            ignore,
        })
    }

    fn check_columns(
        &self,
        bad: &dyn Fn(&str, &str, String) -> ReadError,
    ) -> Result<(), ReadError> {
        let c = &self.columns;
        let n = self.header.len();
        let mut named: Vec<(&str, usize)> = vec![("booking_date", c.booking_date)];
        for (name, v) in [
            ("value_date", c.value_date),
            ("time", c.time),
            ("reference", c.reference),
            ("sequence", c.sequence),
            ("transaction_code", c.transaction_code),
            ("branch", c.branch),
            ("debit", c.debit),
            ("credit", c.credit),
            ("amount", c.amount),
            ("direction", c.direction),
            ("balance_after", c.balance_after),
            ("balance_before", c.balance_before),
            ("account", c.account),
            ("account_name", c.account_name),
            ("currency", c.currency),
        ] {
            if let Some(p) = v {
                named.push((name, p));
            }
        }
        for &p in &c.description {
            named.push(("description", p));
        }
        for (name, p) in named {
            if p == 0 || p > n {
                return Err(bad(
                    &format!("columns.{name}"),
                    &format!("a 1-based position within the {n} header cells"),
                    p.to_string(),
                ));
            }
        }
        let split = c.debit.is_some() || c.credit.is_some();
        match (split, c.amount) {
            (true, Some(_)) => Err(bad(
                "columns",
                "either debit/credit columns or one amount column",
                "both".into(),
            )),
            (false, None) => Err(bad(
                "columns",
                "debit/credit columns or an amount column",
                "neither".into(),
            )),
            (true, None) if c.debit.is_none() || c.credit.is_none() => Err(bad(
                "columns",
                "both a debit and a credit column",
                "only one".into(),
            )),
            (false, Some(_)) if c.direction.is_none() && !c.amount_suffix && !c.amount_signed => {
                Err(bad(
                    "columns",
                    "a direction column, amount_suffix or amount_signed for the amount column",
                    "none".into(),
                ))
            }
            _ if c.balance_after.is_some() && c.balance_before.is_some() => Err(bad(
                "columns",
                "balance_after or balance_before, not both",
                "both".into(),
            )),
            _ => Ok(()),
        }?;
        if self.markers.credit.is_empty() || self.markers.debit.is_empty() {
            return Err(bad(
                "markers",
                "credit and debit markers",
                "an empty list".into(),
            ));
        }
        let upper = |v: &[String]| {
            v.iter()
                .map(|m| m.trim().to_ascii_uppercase())
                .collect::<Vec<_>>()
        };
        let cr = upper(&self.markers.credit);
        if let Some(m) = upper(&self.markers.debit).iter().find(|m| cr.contains(m)) {
            return Err(bad(
                "markers",
                "markers that are either credit or debit",
                format!("{m:?} in both"),
            ));
        }
        Ok(())
    }
}

/// Parses and validates a profile from TOML text; `origin` names it in errors.
pub fn parse_profile(origin: &str, text: &str) -> Result<Profile, ReadError> {
    let p: Profile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() as u64 + 1);
        ReadError::new(
            origin,
            Location {
                line,
                ..Location::default()
            },
            "invalid-profile",
            "profile",
            "a profile TOML document (see crates/kasda-statement/profiles/)",
            e.message().to_string(),
        )
    })?;
    p.compile(origin)?;
    Ok(p)
}

/// Reads and validates one profile file.
pub fn load_profile_file(path: &Path) -> Result<Profile, ReadError> {
    let origin = path.display().to_string();
    let io = |e: std::io::Error| {
        ReadError::new(
            &origin,
            Location::default(),
            "io-error",
            "profile file",
            "a readable file",
            e.to_string(),
        )
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_PROFILE_BYTES {
        return Err(ReadError::new(
            &origin,
            Location::default(),
            "invalid-profile",
            "profile file",
            format!("at most {MAX_PROFILE_BYTES} bytes"),
            format!("{len} bytes"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse_profile(&origin, &text)
}

/// Loads every `*.toml` profile of a directory (sorted by file name). Ids must be unique.
pub fn load_profiles(dir: &Path) -> Result<Vec<Profile>, ReadError> {
    let origin = dir.display().to_string();
    let io = |e: std::io::Error| {
        ReadError::new(
            &origin,
            Location::default(),
            "io-error",
            "profile directory",
            "a readable directory",
            e.to_string(),
        )
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
            if paths.len() > MAX_PROFILES_PER_DIR {
                return Err(ReadError::new(
                    &origin,
                    Location::default(),
                    "too-many-profiles",
                    "profile directory",
                    format!("at most {MAX_PROFILES_PER_DIR} profiles"),
                    "more".to_string(),
                ));
            }
        }
    }
    paths.sort();
    let mut out: Vec<Profile> = Vec::with_capacity(paths.len());
    for path in paths {
        let p = load_profile_file(&path)?;
        if out.iter().any(|q| q.id == p.id) {
            return Err(ReadError::new(
                path.display().to_string(),
                Location::default(),
                "duplicate-profile-id",
                "id",
                "an id no other profile in the directory has",
                p.id,
            ));
        }
        out.push(p);
    }
    Ok(out)
}

const BUNDLED_SOURCES: &[(&str, &str)] = &[
    (
        "bca-bisnis.toml",
        include_str!("../../profiles/bca-bisnis.toml"),
    ),
    (
        "bca-individu.toml",
        include_str!("../../profiles/bca-individu.toml"),
    ),
    (
        "mandiri-mcm.toml",
        include_str!("../../profiles/mandiri-mcm.toml"),
    ),
    (
        "mandiri-rekening-koran.toml",
        include_str!("../../profiles/mandiri-rekening-koran.toml"),
    ),
    ("bni.toml", include_str!("../../profiles/bni.toml")),
    ("bri-cms.toml", include_str!("../../profiles/bri-cms.toml")),
    (
        "bank-jatim.toml",
        include_str!("../../profiles/bank-jatim.toml"),
    ),
];

/// Profiles shipped with kasda, parsed once. A bundled profile that fails validation is left
/// out (the `bundled_profiles_are_valid` test keeps that from shipping).
pub fn bundled_profiles() -> &'static [Profile] {
    static BUNDLED: OnceLock<Vec<Profile>> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        BUNDLED_SOURCES
            .iter()
            .filter_map(|(name, text)| parse_profile(name, text).ok())
            .collect()
    })
}

/// Bundled profiles with compiled regexes (for sniffing and the front door).
pub(crate) fn bundled_compiled() -> &'static [Compiled] {
    static COMPILED: OnceLock<Vec<Compiled>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        bundled_profiles()
            .iter()
            .filter_map(|p| p.compile(&p.id).ok())
            .collect()
    })
}

/// The bundled profile with this id.
pub fn bundled_profile(id: &str) -> Option<&'static Profile> {
    bundled_profiles().iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_profiles_are_valid() {
        for (name, text) in BUNDLED_SOURCES {
            if let Err(e) = parse_profile(name, text) {
                panic!("{e}");
            }
        }
        assert_eq!(bundled_profiles().len(), BUNDLED_SOURCES.len());
        assert_eq!(bundled_compiled().len(), BUNDLED_SOURCES.len());
    }
}
