//! CSV and XLSX bank exports read through profiles: one TOML data file per bank layout
//! (`profiles/*.toml`, bundled; more from a directory with [`load_profiles`]).
//!
//! A profile says how to find the header row (exact cells, by position), which lines above it
//! carry the account, name, currency and period, which lines below it carry balances and
//! control totals, and what each column means. The reader turns one export into one
//! [`Statement`]:
//!
//! * entries in file order, `pos.line` = the physical line (sheet row) the row starts on,
//!   `pos.index` = the row's ordinal; rows with a pending marker (`PEND`) are `Pending`;
//! * opening/closing balance from the footer when the profile has one, else from the running
//!   balance: balance before the first booked row and after the last;
//! * every row's running balance must follow from the previous one; a break is the warning
//!   `running-balance-break:<line>,…` (never silent), as are footer balances that disagree with
//!   the rows (`opening-differs-from-first-row`, `closing-differs-from-last-row`);
//! * a bad cell is a [`ReadError`] naming file, line, column (position and header name), what
//!   was expected and what was found.
//!
//! Bounds: [`records::MAX_LINE_BYTES`] per line, [`records::MAX_CELL_BYTES`] per cell,
//! [`MAX_ROWS`] rows per file.
//!
//! # Writing a profile
//!
//! A profile is a TOML file; unknown keys are errors (a typo must not silently drop a
//! setting). Columns are 1-based positions in the header row. A minimal one:
//!
//! ```toml
//! id = "bank-contoh"                 # a-z 0-9 -; becomes the statement version
//! bank = "Bank Contoh"
//! description = "rekening koran CSV"
//! source = "where the layout was observed (document, file, commit)"
//! encoding = "auto"                  # auto | utf-8 | windows-1252
//! delimiter = ";"                    # one character; "\t" for tab
//! quote = "\""                       # "" for none
//! header = ["Tanggal", "Uraian", "Debet", "Kredit", "Saldo"]
//! currency = "IDR"                   # when no column or header line names one
//! number_format = "indonesian"       # plain | indonesian | english | swift
//! balance_number_format = "indonesian"   # optional, default number_format
//! date_formats = ["%d/%m/%Y", "%d %b %Y", "%d/%m"]  # %b/%B take Indonesian months;
//!                                    # a format without year uses the period line
//! pending_markers = ["PEND"]         # date-cell values of not-yet-booked rows
//! utc_offset_minutes = 420           # local times (time column) are WIB
//!
//! [preamble]                         # regexes over raw lines above the header row
//! account_number = '^No\. Rekening\s*:\s*(\S+)'
//! period = '^Periode\s*:\s*(\S+)\s*-\s*(\S+)'   # two groups: from, to
//!
//! [footer]                           # regexes over raw lines below the table
//! opening_balance = '^Saldo Awal\s*:\s*(\S+)'
//! credit_total = '^Total Kredit\s*:\s*(\S+)\s*(\d+)?'  # group 2: count (optional)
//! ignore = ['^Dicetak']              # lines that end the table and carry nothing
//!
//! [columns]
//! booking_date = 1
//! description = [2]                  # several columns are joined with a blank
//! debit = 3                          # or: amount = N with direction = M,
//! credit = 4                         #     amount_suffix = true or amount_signed = true
//! balance_after = 5                  # or balance_before = N (BRI SALDO_AWAL_MUTASI)
//! # also: value_date, time, reference, sequence, transaction_code, branch,
//! #       account, account_name, currency
//!
//! [markers]                          # direction words (case-insensitive)
//! credit = ["CR", "K"]
//! debit = ["DB", "D"]
//!
//! [currency_aliases]
//! Rp = "IDR"
//! ```

mod cells;
mod html;
mod profile;
mod records;
mod xlsx;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use kasda_core::money::{Currency, Direction};
use kasda_core::statement::{
    Balance, BalanceKind, ControlTotals, Entry, EntryStatus, Statement, StatementFile,
    StatementFormat,
};
use rust_decimal::Decimal;

use crate::error::{excerpt, Location, ReadError};

pub use profile::{
    bundled_profile, bundled_profiles, load_profile_file, load_profiles, parse_profile, Columns,
    Compiled, Footer, Markers, Preamble, Profile, ProfileEncoding,
};
pub use records::{MAX_CELL_BYTES, MAX_LINE_BYTES};

use records::{Cell, Record, Records};

/// Most table rows read from one file.
pub const MAX_ROWS: usize = 5_000_000;
/// How much of a file [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// True for a ZIP container (XLSX).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Recognises a bundled profile's header row (CSV text or the first sheet of an XLSX).
/// Returns `(StatementFormat::Csv(id), id)`.
pub fn sniff(bytes: &[u8]) -> Option<(StatementFormat, String)> {
    sniff_with(bytes, profile::bundled_compiled())
}

fn sniff_with(bytes: &[u8], profiles: &[Compiled]) -> Option<(StatementFormat, String)> {
    let found = |p: &Compiled| {
        Some((
            StatementFormat::Csv(p.profile.id.clone()),
            p.profile.id.clone(),
        ))
    };
    if is_zip(bytes) {
        let rows = xlsx::sheet_records(bytes, ",").ok()?;
        return profiles
            .iter()
            .find(|p| find_header(p, rows.iter().take(p.profile.header_search_lines)).is_some())
            .and_then(found);
    }
    if html::is_html(bytes) {
        let (text, _) = crate::encoding::decode_text(bytes);
        let rows = html::table_records(&text, ",", 1000).unwrap_or_default();
        return profiles
            .iter()
            .find(|p| find_header(p, rows.iter().take(p.profile.header_search_lines)).is_some())
            .and_then(found);
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // Lossy is enough to compare header cells; the reader decodes properly.
    let text = String::from_utf8_lossy(head);
    profiles
        .iter()
        .find(|p| {
            let recs = Records::new(&text, p.delimiter, p.quote)
                .take(p.profile.header_search_lines)
                .map_while(Result::ok)
                .collect::<Vec<_>>();
            find_header(p, recs.iter()).is_some()
        })
        .and_then(found)
}

/// Reads a CSV export with `profile`. An XLSX workbook (ZIP content) is handed to
/// [`read_xlsx`]; an HTML table saved as `.xls` is read row by row (warning
/// `html-table-export`).
pub fn read(file_name: &str, bytes: &[u8], profile: &Profile) -> Result<StatementFile, ReadError> {
    let compiled = profile.compile(file_name)?;
    read_compiled(file_name, bytes, &compiled)
}

/// Reads the first sheet of an XLSX export with `profile`: the sheet is rendered to rows and
/// mapped exactly as a CSV file; numeric cells are read as plain decimals and date cells as
/// dates, whatever the profile's notation for text cells.
pub fn read_xlsx(
    file_name: &str,
    bytes: &[u8],
    profile: &Profile,
) -> Result<StatementFile, ReadError> {
    let compiled = profile.compile(file_name)?;
    let rows = xlsx::sheet_records(bytes, &profile.delimiter).map_err(|(code, found)| {
        ReadError::new(
            file_name,
            Location::default(),
            code,
            "workbook",
            "an XLSX workbook with a first sheet",
            found,
        )
    })?;
    if rows.len() > MAX_ROWS + profile.header_search_lines + 1000 {
        return Err(too_many_rows(file_name));
    }
    assemble(file_name, rows.into_iter().map(Ok), &compiled, Vec::new())
}

/// Reads with a bundled profile by id (the front door's path for `StatementFormat::Csv`).
pub fn read_bundled(file_name: &str, bytes: &[u8], id: &str) -> Result<StatementFile, ReadError> {
    let compiled = profile::bundled_compiled()
        .iter()
        .find(|p| p.profile.id == id)
        .ok_or_else(|| {
            ReadError::new(
                file_name,
                Location::default(),
                "unknown-profile",
                "profile",
                format!(
                    "one of the bundled profiles ({})",
                    bundled_profiles()
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                id,
            )
        })?;
    read_compiled(file_name, bytes, compiled)
}

/// Reads with the first of `profiles` whose header row the file has (user profile directories).
pub fn read_with_profiles(
    file_name: &str,
    bytes: &[u8],
    profiles: &[Profile],
) -> Result<StatementFile, ReadError> {
    let compiled = profiles
        .iter()
        .map(|p| p.compile(&p.id))
        .collect::<Result<Vec<_>, _>>()?;
    let Some((_, id)) = sniff_with(bytes, &compiled) else {
        return Err(ReadError::new(
            file_name,
            Location::default(),
            "csv-header-not-found",
            "header row",
            format!(
                "the header row of one of the profiles {}",
                profiles
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "no matching row",
        ));
    };
    let c = compiled
        .iter()
        .find(|c| c.profile.id == id)
        .ok_or_else(|| {
            ReadError::new(
                file_name,
                Location::default(),
                "unknown-profile",
                "profile",
                "a loaded profile",
                id.clone(),
            )
        })?;
    read_compiled(file_name, bytes, c)
}

fn too_many_rows(file_name: &str) -> ReadError {
    ReadError::new(
        file_name,
        Location::default(),
        "too-many-rows",
        "table",
        format!("at most {MAX_ROWS} rows"),
        "more",
    )
}

fn read_compiled(file_name: &str, bytes: &[u8], c: &Compiled) -> Result<StatementFile, ReadError> {
    if is_zip(bytes) {
        return read_xlsx(file_name, bytes, &c.profile);
    }
    let (text, mut warnings) = decode(file_name, bytes, c.profile.encoding)?;
    if html::is_html(bytes) {
        let rows = html::table_records(&text, &c.profile.delimiter, MAX_ROWS + 10_000).map_err(
            |(code, line, found)| {
                ReadError::new(
                    file_name,
                    Location {
                        line: Some(u64::from(line)),
                        ..Location::default()
                    },
                    code,
                    "html table",
                    "an HTML table export within the bounds",
                    found,
                )
            },
        )?;
        warnings.push("html-table-export".into());
        return assemble(file_name, rows.into_iter().map(Ok), c, warnings);
    }
    let recs = Records::new(&text, c.delimiter, c.quote).map(|r| {
        r.map_err(|e| {
            ReadError::new(
                file_name,
                Location {
                    line: Some(u64::from(e.line)),
                    ..Location::default()
                },
                e.code,
                "record",
                e.expected,
                e.found,
            )
        })
    });
    assemble(file_name, recs, c, warnings)
}

fn decode<'a>(
    file_name: &str,
    bytes: &'a [u8],
    encoding: ProfileEncoding,
) -> Result<(std::borrow::Cow<'a, str>, Vec<String>), ReadError> {
    match encoding {
        ProfileEncoding::Auto => {
            let (text, w) = crate::encoding::decode_text(bytes);
            Ok((text, w.into_iter().map(str::to_string).collect()))
        }
        ProfileEncoding::Utf8 => {
            let (body, mut w) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
                Some(rest) => (rest, vec!["utf8-bom".to_string()]),
                None => (bytes, Vec::new()),
            };
            match std::str::from_utf8(body) {
                Ok(s) => Ok((std::borrow::Cow::Borrowed(s), std::mem::take(&mut w))),
                Err(e) => Err(ReadError::new(
                    file_name,
                    Location {
                        byte: Some((e.valid_up_to() + bytes.len() - body.len()) as u64),
                        ..Location::default()
                    },
                    "invalid-utf8",
                    "text",
                    "UTF-8 text (the profile says utf-8)",
                    "a byte sequence that is not UTF-8",
                )),
            }
        }
        ProfileEncoding::Windows1252 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
            Ok((text, Vec::new()))
        }
    }
}

/// The header row among `recs`, if any: cells equal (trimmed) to the profile's, position by
/// position; trailing empty cells are ignored.
fn find_header<'r>(c: &Compiled, mut recs: impl Iterator<Item = &'r Record>) -> Option<&'r Record> {
    recs.find(|r| header_matches(c, r))
}

fn header_matches(c: &Compiled, r: &Record) -> bool {
    let h = &c.profile.header;
    let cells: Vec<&str> = r
        .cells
        .iter()
        .map(|x| x.text.trim().trim_start_matches('\u{feff}'))
        .collect();
    let used = cells
        .iter()
        .rposition(|s| !s.is_empty())
        .map_or(0, |i| i + 1);
    used <= h.len()
        && h.len() <= cells.len()
        && h.iter().zip(&cells).all(|(want, got)| want.trim() == *got)
}

/// Statement facts gathered from header lines, rows and footer lines.
#[derive(Default)]
struct Facts {
    account_number: Option<String>,
    account_name: Option<String>,
    currency: Option<Currency>,
    period: Option<(NaiveDate, NaiveDate)>,
    opening: Option<(Decimal, u32)>,
    closing: Option<(Decimal, u32)>,
    totals: ControlTotals,
    has_totals: bool,
}

enum Phase {
    Preamble,
    Table,
    Footer,
}

fn assemble(
    file_name: &str,
    recs: impl Iterator<Item = Result<Record, ReadError>>,
    c: &Compiled,
    mut warnings: Vec<String>,
) -> Result<StatementFile, ReadError> {
    let p = &c.profile;
    let mut phase = Phase::Preamble;
    let mut facts = Facts::default();
    let mut preamble_lines: Vec<Record> = Vec::new();
    let mut header_line = 0u32;
    let mut entries: Vec<Entry> = Vec::new();
    let mut ignored_footer: Vec<u32> = Vec::new();
    let mut rows_seen = 0usize;
    let mut first_line: Option<String> = None;
    for rec in recs {
        let rec = rec?;
        match phase {
            Phase::Preamble => {
                if header_matches(c, &rec) {
                    header_line = rec.line;
                    for pre in &preamble_lines {
                        preamble_facts(file_name, c, pre, &mut facts)?;
                    }
                    phase = Phase::Table;
                    continue;
                }
                if first_line.is_none() {
                    first_line = Some(rec.raw.clone());
                }
                if preamble_lines.len() + 1 >= p.header_search_lines {
                    break;
                }
                preamble_lines.push(rec);
            }
            Phase::Table => {
                if rec.is_blank() {
                    phase = Phase::Footer;
                    continue;
                }
                if footer_facts(file_name, c, &rec, &mut facts)? {
                    phase = Phase::Footer;
                    continue;
                }
                rows_seen += 1;
                if rows_seen > MAX_ROWS {
                    return Err(too_many_rows(file_name));
                }
                let e = row_entry(file_name, c, &rec, entries.len(), &mut facts)?;
                entries.push(e);
            }
            Phase::Footer => {
                if rec.is_blank() || footer_facts(file_name, c, &rec, &mut facts)? {
                    continue;
                }
                if rec.cells.len() >= p.header.len()
                    && rec.cells.get(p.columns.booking_date - 1).is_some_and(|d| {
                        cells::parse_date(d, &p.date_formats, facts.period).is_ok()
                    })
                {
                    return Err(ReadError::new(
                        file_name,
                        Location {
                            line: Some(u64::from(rec.line)),
                            ..Location::default()
                        },
                        "row-after-table-end",
                        "table",
                        "table rows without blank or summary lines between them",
                        format!(
                            "a transaction row after the end of the table: {}",
                            excerpt(&rec.raw)
                        ),
                    ));
                }
                ignored_footer.push(rec.line);
            }
        }
    }
    if matches!(phase, Phase::Preamble) {
        return Err(ReadError::new(
            file_name,
            Location::default(),
            "csv-header-not-found",
            "header row",
            format!(
                "the {} header row {:?} within the first {} lines",
                p.id,
                p.header.join(&c.delimiter.to_string()),
                p.header_search_lines
            ),
            first_line.map_or_else(|| "an empty file".to_string(), |l| excerpt(&l)),
        ));
    }
    if !ignored_footer.is_empty() {
        warnings.push(format!("footer-lines-ignored:{}", join(&ignored_footer)));
    }
    build(file_name, c, header_line, entries, facts, warnings)
}

fn join(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn capture<'t>(re: &Option<regex::Regex>, text: &'t str) -> Option<regex::Captures<'t>> {
    re.as_ref().and_then(|r| r.captures(text))
}

fn line_err(
    file_name: &str,
    line: u32,
    code: &str,
    field: &str,
    expected: impl Into<String>,
    found: &str,
) -> ReadError {
    ReadError::new(
        file_name,
        Location {
            line: Some(u64::from(line)),
            ..Location::default()
        },
        code,
        field,
        expected,
        excerpt(found),
    )
}

fn map_currency(c: &Compiled, word: &str) -> Option<Currency> {
    let w = word.trim();
    c.profile
        .currency_aliases
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(w))
        .and_then(|(_, v)| Currency::parse(v).ok())
        .or_else(|| Currency::parse(&w.to_ascii_uppercase()).ok())
}

fn preamble_facts(
    file_name: &str,
    c: &Compiled,
    rec: &Record,
    facts: &mut Facts,
) -> Result<(), ReadError> {
    let raw = rec.raw.as_str();
    let group = |caps: &regex::Captures<'_>, i: usize| {
        caps.get(i).map(|m| cells::clean(m.as_str()).to_string())
    };
    if let Some(caps) = capture(&c.account_number, raw) {
        facts.account_number = group(&caps, 1).filter(|s| !s.is_empty());
    }
    if let Some(caps) = capture(&c.account_name, raw) {
        facts.account_name = group(&caps, 1).filter(|s| !s.is_empty());
    }
    if let Some(caps) = capture(&c.currency_line, raw) {
        let word = group(&caps, 1).unwrap_or_default();
        facts.currency = Some(map_currency(c, &word).ok_or_else(|| {
            line_err(
                file_name,
                rec.line,
                "bad-currency",
                "currency line",
                "an ISO 4217 code or a currency_aliases word",
                &word,
            )
        })?);
    }
    if let Some(caps) = capture(&c.period, raw) {
        let formats = if c.profile.preamble.period_date_formats.is_empty() {
            &c.profile.date_formats
        } else {
            &c.profile.preamble.period_date_formats
        };
        let date = |i: usize| {
            let t = group(&caps, i).unwrap_or_default();
            cells::parse_date(&Cell::text(t.clone()), formats, None)
                .map_err(|exp| line_err(file_name, rec.line, "bad-date", "period line", exp, &t))
        };
        let (from, to) = (date(1)?, date(2)?);
        if to < from {
            return Err(line_err(
                file_name,
                rec.line,
                "bad-period",
                "period line",
                "a period whose end is not before its start",
                raw,
            ));
        }
        facts.period = Some((from, to));
    }
    Ok(())
}

/// Applies a footer line; true when one of the footer regexes matched.
fn footer_facts(
    file_name: &str,
    c: &Compiled,
    rec: &Record,
    facts: &mut Facts,
) -> Result<bool, ReadError> {
    let raw = rec.raw.as_str();
    let currency = facts.currency.unwrap_or(c.currency);
    let money = |caps: &regex::Captures<'_>, field: &str| {
        let t = caps.get(1).map_or("", |m| m.as_str());
        cells::parse_money(&Cell::text(t), c.profile.balance_format(), currency, true)
            .map_err(|exp| line_err(file_name, rec.line, "bad-number", field, exp, t))
    };
    let count = |caps: &regex::Captures<'_>, field: &str| -> Result<Option<u64>, ReadError> {
        match caps.get(2) {
            Some(m) => m.as_str().trim().parse::<u64>().map(Some).map_err(|_| {
                line_err(
                    file_name,
                    rec.line,
                    "bad-number",
                    field,
                    "a count of entries",
                    m.as_str(),
                )
            }),
            None => Ok(None),
        }
    };
    if let Some(caps) = capture(&c.opening, raw) {
        facts.opening = Some((money(&caps, "footer opening balance")?, rec.line));
    } else if let Some(caps) = capture(&c.closing, raw) {
        facts.closing = Some((money(&caps, "footer closing balance")?, rec.line));
    } else if let Some(caps) = capture(&c.credit_total, raw) {
        facts.totals.credit_sum = Some(money(&caps, "footer credit total")?);
        facts.totals.credit_count = count(&caps, "footer credit count")?;
        facts.has_totals = true;
    } else if let Some(caps) = capture(&c.debit_total, raw) {
        facts.totals.debit_sum = Some(money(&caps, "footer debit total")?);
        facts.totals.debit_count = count(&caps, "footer debit count")?;
        facts.has_totals = true;
    } else if !c.ignore.iter().any(|r| r.is_match(raw)) {
        return Ok(false);
    }
    Ok(true)
}

/// The pieces of one table row.
fn row_entry(
    file_name: &str,
    c: &Compiled,
    rec: &Record,
    index: usize,
    facts: &mut Facts,
) -> Result<Entry, ReadError> {
    let p = &c.profile;
    let cols = &p.columns;
    let width = p.header.len();
    if let Some((i, extra)) = rec
        .cells
        .iter()
        .enumerate()
        .skip(width)
        .find(|(_, x)| !x.text.trim().is_empty())
    {
        return Err(ReadError::new(
            file_name,
            Location {
                line: Some(u64::from(rec.line)),
                column: Some(i as u64 + 1),
                ..Location::default()
            },
            "extra-columns",
            format!("column {}", i + 1),
            format!(
                "at most {width} cells as in the header row (a delimiter inside an unquoted cell?)"
            ),
            excerpt(&extra.text),
        ));
    }
    let err = |pos: usize, code: &str, role: &str, expected: String, found: &str| {
        let name = p.header.get(pos - 1).map_or("", String::as_str);
        ReadError::new(
            file_name,
            Location {
                line: Some(u64::from(rec.line)),
                column: Some(pos as u64),
                entry: Some(index as u64),
                ..Location::default()
            },
            code,
            format!("column {pos} {name:?} ({role})"),
            expected,
            excerpt(found),
        )
    };
    let cell = |pos: usize, role: &str| -> Result<&Cell, ReadError> {
        rec.cells.get(pos - 1).ok_or_else(|| {
            err(
                pos,
                "missing-column",
                role,
                format!("a row with {width} cells as in the header row"),
                &format!("{} cells", rec.cells.len()),
            )
        })
    };
    let opt_text = |pos: Option<usize>, role: &str| -> Result<Option<String>, ReadError> {
        match pos {
            Some(pos) => {
                let t = cells::clean(&cell(pos, role)?.text).to_string();
                Ok(if t.is_empty() { None } else { Some(t) })
            }
            None => Ok(None),
        }
    };
    // Row currency: a currency column, else the header line, else the profile's.
    let mut currency = facts.currency.unwrap_or(c.currency);
    if let Some(pos) = cols.currency {
        let t = cells::clean(&cell(pos, "currency")?.text).to_string();
        if !t.is_empty() {
            currency = map_currency(c, &t).ok_or_else(|| {
                err(
                    pos,
                    "bad-currency",
                    "currency",
                    "an ISO 4217 code like IDR".into(),
                    &t,
                )
            })?;
        }
    }
    match facts.currency {
        None => facts.currency = Some(currency),
        Some(f) if f != currency => {
            return Err(err(
                cols.currency.unwrap_or(1),
                "mixed-currencies",
                "currency",
                format!("{f}, the currency of the rows before"),
                currency.as_str(),
            ))
        }
        Some(_) => {}
    }
    let date_cell = cell(cols.booking_date, "booking date")?;
    let date_text = cells::clean(&date_cell.text);
    let pending = p
        .pending_markers
        .iter()
        .any(|m| m.eq_ignore_ascii_case(date_text));
    let booking_date = if pending {
        None
    } else {
        Some(
            cells::parse_date(date_cell, &p.date_formats, facts.period).map_err(|e| {
                err(
                    cols.booking_date,
                    "bad-date",
                    "booking date",
                    e,
                    &date_cell.text,
                )
            })?,
        )
    };
    let value_date = match cols.value_date {
        Some(pos) => {
            let vc = cell(pos, "value date")?;
            if cells::is_blank(vc)
                || p.pending_markers
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(cells::clean(&vc.text)))
            {
                None
            } else {
                Some(
                    cells::parse_date(vc, &p.date_formats, facts.period)
                        .map_err(|e| err(pos, "bad-date", "value date", e, &vc.text))?,
                )
            }
        }
        None => None,
    };
    let booked_at = match (cols.time, booking_date) {
        (Some(pos), Some(d)) => {
            let tc = cell(pos, "time")?;
            if cells::is_blank(tc) {
                None
            } else {
                let t: NaiveTime =
                    cells::parse_time(tc).map_err(|e| err(pos, "bad-time", "time", e, &tc.text))?;
                let local: NaiveDateTime = cells::at(d, t);
                Some(local - Duration::minutes(i64::from(p.utc_offset_minutes)))
            }
        }
        _ => None,
    };
    let money = |pos: usize, role: &str, signed: bool, fmt| -> Result<Option<Decimal>, ReadError> {
        let mc = cell(pos, role)?;
        if cells::is_blank(mc) {
            return Ok(None);
        }
        cells::parse_money(mc, fmt, currency, signed)
            .map(Some)
            .map_err(|e| err(pos, "bad-number", role, e, &mc.text))
    };
    let marker = |text: &str| {
        let t = text.trim();
        if p.markers
            .credit
            .iter()
            .any(|m| m.trim().eq_ignore_ascii_case(t))
        {
            Some(Direction::Credit)
        } else if p
            .markers
            .debit
            .iter()
            .any(|m| m.trim().eq_ignore_ascii_case(t))
        {
            Some(Direction::Debit)
        } else {
            None
        }
    };
    let markers_text = || {
        format!(
            "{} (credit) or {} (debit)",
            p.markers.credit.join("/"),
            p.markers.debit.join("/")
        )
    };
    let (amount, direction) = if let (Some(dp), Some(cp)) = (cols.debit, cols.credit) {
        // Some banks write debits negative in the debit column; the column gives the side.
        let debit = money(dp, "debit", true, p.number_format)?
            .unwrap_or_default()
            .abs();
        let credit = money(cp, "credit", true, p.number_format)?
            .unwrap_or_default()
            .abs();
        match (debit.is_zero(), credit.is_zero()) {
            (true, true) => (Decimal::ZERO, None),
            (false, true) => (debit, Some(Direction::Debit)),
            (true, false) => (credit, Some(Direction::Credit)),
            (false, false) => {
                return Err(err(
                    cp,
                    "debit-and-credit",
                    "credit",
                    "an amount in the debit or the credit column, not both".into(),
                    &format!("debit {debit}, credit {credit}"),
                ))
            }
        }
    } else if let Some(ap) = cols.amount {
        let ac = cell(ap, "amount")?;
        if cols.amount_suffix {
            let (num, suffix) = cells::split_suffix(&ac.text);
            let dir = marker(suffix).ok_or_else(|| {
                err(
                    ap,
                    "bad-direction",
                    "amount",
                    format!("an amount followed by {}", markers_text()),
                    &ac.text,
                )
            })?;
            let v = cells::parse_money(
                &Cell {
                    text: num.to_string(),
                    typed: ac.typed.clone(),
                },
                p.number_format,
                currency,
                false,
            )
            .map_err(|e| err(ap, "bad-number", "amount", e, &ac.text))?;
            (v, Some(dir))
        } else {
            let v = money(ap, "amount", cols.amount_signed, p.number_format)?
                .ok_or_else(|| err(ap, "bad-number", "amount", "an amount".into(), &ac.text))?;
            match cols.direction {
                Some(dp) => {
                    let dc = cell(dp, "direction")?;
                    let dir = marker(cells::clean(&dc.text)).ok_or_else(|| {
                        err(dp, "bad-direction", "direction", markers_text(), &dc.text)
                    })?;
                    // A sign on top of a marker would be ambiguous.
                    if v.is_sign_negative() && !v.is_zero() {
                        return Err(err(
                            ap,
                            "bad-number",
                            "amount",
                            "an unsigned amount (the direction column gives the side)".into(),
                            &ac.text,
                        ));
                    }
                    (v, Some(dir))
                }
                None => {
                    let dir = if v.is_sign_negative() && !v.is_zero() {
                        Direction::Debit
                    } else {
                        Direction::Credit
                    };
                    (v.abs(), if v.is_zero() { None } else { Some(dir) })
                }
            }
        }
    } else {
        // Validated profiles always have one of the two schemes.
        return Err(err(
            1,
            "invalid-profile",
            "amount",
            "debit/credit or amount columns".into(),
            "neither",
        ));
    };
    // A pending row's balance column holds nothing meaningful (BCA writes it as-is).
    let balance_after = match (cols.balance_after, cols.balance_before) {
        _ if pending => None,
        (Some(pos), _) => money(pos, "balance after", true, p.balance_format())?,
        (None, Some(pos)) => match money(pos, "balance before", true, p.balance_format())? {
            Some(before) => Some(
                before
                    .checked_add(direction.map_or(Decimal::ZERO, |d| d.signed(amount)))
                    .ok_or_else(|| {
                        err(
                            pos,
                            "bad-number",
                            "balance before",
                            "a balance that fits".into(),
                            "overflow",
                        )
                    })?,
            ),
            None => None,
        },
        (None, None) => None,
    };
    let mut description = Vec::new();
    for &pos in &cols.description {
        let t = cell(pos, "description")?.text.trim();
        if !t.is_empty() {
            description.push(t.to_string());
        }
    }
    let description = description.join(" ");
    let unstructured: Vec<String> = description
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(n) = opt_text(cols.account, "account")? {
        match &facts.account_number {
            None => facts.account_number = Some(n),
            Some(a) if *a != n => {
                return Err(err(
                    cols.account.unwrap_or(1),
                    "mixed-accounts",
                    "account",
                    format!("account {a}, the account of the rows before (one account per file)"),
                    &n,
                ))
            }
            Some(_) => {}
        }
    }
    if facts.account_name.is_none() {
        facts.account_name = opt_text(cols.account_name, "account name")?;
    }
    let mut e = Entry {
        amount,
        currency,
        direction,
        status: if pending {
            EntryStatus::Pending
        } else {
            EntryStatus::Booked
        },
        booking_date,
        value_date,
        booked_at,
        balance_after,
        ..Entry::default()
    };
    e.pos.line = rec.line;
    e.pos.index = u32::try_from(index).unwrap_or(u32::MAX);
    e.refs.account_servicer = opt_text(cols.reference, "reference")?;
    e.refs.entry_ref = opt_text(cols.sequence, "sequence")?;
    e.bank_tx_code.proprietary = opt_text(cols.transaction_code, "transaction code")?;
    e.supplementary = opt_text(cols.branch, "branch")?.map(|b| format!("branch:{b}"));
    e.remittance.unstructured = unstructured;
    Ok(e)
}

fn build(
    file_name: &str,
    c: &Compiled,
    header_line: u32,
    entries: Vec<Entry>,
    facts: Facts,
    mut warnings: Vec<String>,
) -> Result<StatementFile, ReadError> {
    let p = &c.profile;
    let currency = facts.currency.unwrap_or(c.currency);
    let booked = || entries.iter().filter(|e| e.status == EntryStatus::Booked);
    let signed = |e: &Entry| e.direction.map_or(Decimal::ZERO, |d| d.signed(e.amount));
    // Running balance: every booked row with a balance must follow from the previous one.
    let mut breaks = Vec::new();
    let mut prev: Option<Decimal> = None;
    let mut first_open: Option<Decimal> = None;
    let mut last_close: Option<Decimal> = None;
    for e in booked() {
        let Some(after) = e.balance_after else {
            prev = None;
            continue;
        };
        let before = after - signed(e);
        if first_open.is_none() && last_close.is_none() {
            first_open = Some(before);
        }
        if let Some(prev) = prev {
            if prev != before {
                breaks.push(e.pos.line);
            }
        }
        prev = Some(after);
        last_close = Some(after);
    }
    if !breaks.is_empty() {
        warnings.push(format!("running-balance-break:{}", join(&breaks)));
    }
    let opening = match (facts.opening, first_open) {
        (Some((o, _)), Some(f)) => {
            if o != f {
                warnings.push("opening-differs-from-first-row".into());
            }
            Some(o)
        }
        (Some((o, _)), None) => Some(o),
        (None, f) => f,
    };
    let closing = match (facts.closing, last_close) {
        (Some((cl, _)), Some(l)) => {
            if cl != l {
                warnings.push("closing-differs-from-last-row".into());
            }
            Some(cl)
        }
        (Some((cl, _)), None) => Some(cl),
        (None, l) => l,
    };
    let dates: Vec<NaiveDate> = entries.iter().filter_map(|e| e.booking_date).collect();
    let first_date = dates.iter().min().copied();
    let last_date = dates.iter().max().copied();
    let (from, to) = match facts.period {
        Some((f, t)) => (Some(f), Some(t)),
        None => (first_date, last_date),
    };
    let mut balances = Vec::new();
    if let Some(o) = opening {
        balances.push(Balance {
            kind: BalanceKind::OpeningBooked,
            amount: o,
            currency,
            date: from,
        });
    }
    if let Some(cl) = closing {
        balances.push(Balance {
            kind: BalanceKind::ClosingBooked,
            amount: cl,
            currency,
            date: to,
        });
    }
    let midnight = NaiveTime::MIN;
    let mut statement = Statement {
        from: from.map(|d| d.and_time(midnight)),
        to: to.map(|d| d.and_time(midnight)),
        balances,
        totals: facts.has_totals.then(|| facts.totals.clone()),
        entries,
        ..Statement::default()
    };
    statement.account.number = facts.account_number;
    statement.account.name = facts.account_name;
    statement.account.currency = Some(currency);
    statement.pos.line = header_line;
    let _ = file_name;
    Ok(StatementFile {
        format: Some(StatementFormat::Csv(p.id.clone())),
        version: Some(p.id.clone()),
        statements: vec![statement],
        warnings,
        ..StatementFile::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the module documentation is a valid profile that reads its own layout.
    #[test]
    fn documented_example_profile_is_valid() {
        let source = include_str!("mod.rs");
        let example: String = source
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| format!("{}\n", l.trim_start_matches("//!").trim_start_matches(' ')))
            .collect();
        let p = parse_profile("doc", &example).unwrap();
        let text = "No. Rekening : 0001\nPeriode : 30/12/2025 - 02/01/2026\n\
                    Tanggal;Uraian;Debet;Kredit;Saldo\n\
                    31/12;SETORAN;0,00;1.000,00;11.000,00\n\
                    02 Januari 2026;BIAYA;500,00;0,00;10.500,00\n\n\
                    Saldo Awal : 10.000,00\nTotal Kredit : 1.000,00 1\nDicetak 02/01/2026\n";
        let f = read("doc.csv", text.as_bytes(), &p).unwrap();
        let s = &f.statements[0];
        assert_eq!(s.account.number.as_deref(), Some("0001"));
        let dates: Vec<_> = s
            .entries
            .iter()
            .map(|e| e.booking_date.unwrap().to_string())
            .collect();
        assert_eq!(dates, ["2025-12-31", "2026-01-02"]);
        assert_eq!(
            s.opening().map(|b| b.amount.to_string()),
            Some("10000.00".into())
        );
        assert_eq!(
            s.closing().map(|b| b.amount.to_string()),
            Some("10500.00".into())
        );
        assert_eq!(s.totals.as_ref().and_then(|t| t.credit_count), Some(1));
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }
}
