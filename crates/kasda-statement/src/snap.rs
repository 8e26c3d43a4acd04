//! SNAP BI bank statement (service 14, `POST …/bank-statement`) responses as JSON.
//!
//! Accepted input: one response object, a JSON array of response pages, or JSON Lines (one page
//! per line, blank lines allowed). Pages are merged into one [`Statement`] in file order:
//!
//! * `detailData[]` → entries: `amount.value` (decimal string, at most 2 decimals), `type`
//!   CREDIT/DEBIT → direction, `transactionDate` (ISO 8601 with offset) → `booked_at` in UTC and
//!   the bank's local date as booking date, `remark` → description, `transactionId` → bank
//!   reference, `detailBalance.endAmount[0]` → balance after, `detailInfo` → additional info,
//!   `transactionDetailStatus` SUCCESS → booked, PENDING → pending, FAILED/REJECTED → info;
//! * `balance[0].startingBalance` / `endingBalance` → opening / closing booked balance (from the
//!   detail balances of the oldest and newest entry when absent), `balance[0].amount` →
//!   [`BalanceKind::Other`]`("SNAP-amount")`;
//! * `totalCreditEntries` / `totalDebitEntries` → control totals (`numberOfEntries` may be a
//!   number or a string, as the published sample sends it).
//!
//! Entries stay in the order the bank sent them (SNAP sends newest first); balance continuity
//! is checked in time order. Findings are warnings: `snap-page-continuity:<pages>` (a page
//! other than the last says `hasMore` N, or the last says Y), `snap-incomplete` (last page has
//! `hasMore` Y), `snap-totals-differ:<side>`, `snap-detail-balance-mismatch:<entries>`,
//! `running-balance-break:<entries>`, `snap-detail-status:<status>`,
//! `snap-datetime-without-offset`. A response whose `responseCode` is not a success (`200…`)
//! is the error `snap-error-response` with the code and message.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime};
use kasda_core::money::{parse_amount, Currency, Direction, NumberFormat};
use kasda_core::statement::{
    Balance, BalanceKind, ControlTotals, Entry, EntryStatus, Statement, StatementFile,
    StatementFormat,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{excerpt, Location, ReadError};

/// Most pages merged from one file.
pub const MAX_PAGES: usize = 100_000;
/// Most entries read from one file.
pub const MAX_ENTRIES: usize = 5_000_000;
/// Longest text field kept (the spec allows 256 characters for `remark`; banks send more).
pub const MAX_TEXT_CHARS: usize = 4096;
/// How much of a file [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;
/// Offset assumed for a `transactionDate` without one (WIB, +07:00), with a warning.
pub const DEFAULT_OFFSET_MINUTES: i64 = 420;

/// Recognises a SNAP response: JSON (object, array or JSON Lines) with a `responseCode` key.
/// The version is empty: SNAP carries its version in the URL, not in the body.
pub fn sniff(bytes: &[u8]) -> Option<(StatementFormat, String)> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace())?;
    if !matches!(first, b'{' | b'[') {
        return None;
    }
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    (has(b"\"responseCode\"")
        && (has(b"\"detailData\"") || has(b"\"responseMessage\"") || has(b"\"hasMore\"")))
    .then(|| (StatementFormat::Snap, String::new()))
}

/// One page as found in the file.
struct Page {
    number: usize,
    line: u64,
    value: Value,
}

/// Context for errors: file, page and entry.
struct Ctx<'a> {
    file: &'a str,
    page: usize,
    line: u64,
    entry: Option<u64>,
}

impl Ctx<'_> {
    fn err(
        &self,
        code: &str,
        field: &str,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ReadError {
        ReadError::new(
            self.file,
            Location {
                line: Some(self.line),
                entry: self.entry,
                ..Location::default()
            },
            code,
            format!("page {} {field}", self.page),
            expected,
            found,
        )
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => excerpt(s),
        other => excerpt(&other.to_string()),
    }
}

fn pages(file: &str, bytes: &[u8]) -> Result<Vec<Page>, ReadError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let line_at = |pos: usize| {
        body[..pos.min(body.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1
    };
    let json_err = |e: serde_json::Error| {
        ReadError::new(
            file,
            Location {
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                ..Location::default()
            },
            "snap-bad-json",
            "json",
            "a SNAP bank statement response (JSON object, array of pages or JSON Lines)",
            e.to_string(),
        )
    };
    let too_many = || {
        ReadError::new(
            file,
            Location::default(),
            "snap-too-many-pages",
            "pages",
            format!("at most {MAX_PAGES} pages"),
            "more",
        )
    };
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let mut out = Vec::new();
    if body.get(start) == Some(&b'[') {
        let all: Value = serde_json::from_slice(body).map_err(json_err)?;
        let Value::Array(items) = all else {
            return Err(ReadError::new(
                file,
                Location::default(),
                "snap-bad-json",
                "json",
                "an array of pages",
                "something else",
            ));
        };
        if items.len() > MAX_PAGES {
            return Err(too_many());
        }
        // Each page's line is that of its `"responseCode"` key when every page has one.
        let keys: Vec<usize> = memchr::memmem::find_iter(body, b"\"responseCode\"")
            .take(items.len() + 1)
            .collect();
        let aligned = keys.len() == items.len();
        for (i, value) in items.into_iter().enumerate() {
            let at = if aligned {
                keys.get(i).copied().unwrap_or(start)
            } else {
                start
            };
            out.push(Page {
                number: i + 1,
                line: line_at(at),
                value,
            });
        }
    } else {
        let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
        loop {
            let at = stream.byte_offset();
            let Some(next) = stream.next() else { break };
            let value = next.map_err(json_err)?;
            if out.len() >= MAX_PAGES {
                return Err(too_many());
            }
            let skipped = body[at..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            out.push(Page {
                number: out.len() + 1,
                line: line_at(at + skipped),
                value,
            });
        }
    }
    if out.is_empty() {
        return Err(ReadError::new(
            file,
            Location::default(),
            "snap-bad-json",
            "json",
            "at least one response page",
            "no JSON value",
        ));
    }
    Ok(out)
}

fn text<'v>(
    ctx: &Ctx<'_>,
    obj: &'v Value,
    key: &str,
    path: &str,
) -> Result<Option<&'v str>, ReadError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT_CHARS => Err(ctx.err(
            "snap-field-too-long",
            path,
            format!("at most {MAX_TEXT_CHARS} characters"),
            format!("{} characters", s.chars().count()),
        )),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(ctx.err("snap-bad-field", path, "a string", describe(other))),
    }
}

/// `{value, currency}` → amount and currency; `value` is a decimal string with ≤ 2 decimals.
fn money(ctx: &Ctx<'_>, obj: &Value, path: &str) -> Result<(Decimal, Currency), ReadError> {
    let value = match obj.get("value") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(ctx.err(
                "snap-bad-amount",
                &format!("{path}.value"),
                "a decimal string like \"10000.00\"",
                describe(other),
            ))
        }
        None => {
            return Err(ctx.err(
                "snap-missing-field",
                &format!("{path}.value"),
                "an amount value",
                "nothing",
            ))
        }
    };
    let t = value.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let amount = parse_amount(digits, NumberFormat::Plain, 2).map_err(|_| {
        ctx.err(
            "snap-bad-amount",
            &format!("{path}.value"),
            "a decimal string with at most 2 decimals like \"10000.00\"",
            excerpt(value),
        )
    })?;
    let currency = match text(ctx, obj, "currency", &format!("{path}.currency"))? {
        Some(c) => Currency::parse(c).map_err(|_| {
            ctx.err(
                "snap-bad-currency",
                &format!("{path}.currency"),
                "an ISO 4217 code like IDR",
                excerpt(c),
            )
        })?,
        None => Currency::IDR,
    };
    Ok((if negative { -amount } else { amount }, currency))
}

/// ISO 8601 with offset → (UTC time, local date). Without offset: WIB assumed, flagged.
fn datetime(
    ctx: &Ctx<'_>,
    s: &str,
    path: &str,
    no_offset: &mut bool,
) -> Result<(NaiveDateTime, NaiveDate), ReadError> {
    let t = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok((dt.naive_utc(), dt.date_naive()));
    }
    if let Ok(dt) = DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok((dt.naive_utc(), dt.date_naive()));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, f) {
            *no_offset = true;
            return Ok((
                local - Duration::minutes(DEFAULT_OFFSET_MINUTES),
                local.date(),
            ));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        *no_offset = true;
        return Ok((
            d.and_time(chrono::NaiveTime::MIN) - Duration::minutes(DEFAULT_OFFSET_MINUTES),
            d,
        ));
    }
    Err(ctx.err(
        "snap-bad-datetime",
        path,
        "an ISO 8601 date-time with offset like 2026-01-02T10:15:00+07:00",
        excerpt(s),
    ))
}

fn count(ctx: &Ctx<'_>, v: Option<&Value>, path: &str) -> Result<Option<u64>, ReadError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
            ctx.err(
                "snap-bad-field",
                path,
                "a non-negative whole number",
                n.to_string(),
            )
        }),
        Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| {
            ctx.err(
                "snap-bad-field",
                path,
                "a non-negative whole number (or its digits as a string)",
                excerpt(s),
            )
        }),
        Some(other) => Err(ctx.err(
            "snap-bad-field",
            path,
            "a number of entries",
            describe(other),
        )),
    }
}

fn array<'v>(ctx: &Ctx<'_>, obj: &'v Value, key: &str) -> Result<&'v [Value], ReadError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(ctx.err("snap-bad-field", key, "an array", describe(other))),
    }
}

/// The first amount of a `startAmount` / `endAmount` list.
fn first_amount(
    ctx: &Ctx<'_>,
    obj: Option<&Value>,
    key: &str,
    path: &str,
) -> Result<Option<Decimal>, ReadError> {
    let Some(list) = obj.and_then(|o| o.get(key)) else {
        return Ok(None);
    };
    match list {
        Value::Array(a) => match a.first() {
            Some(first) => Ok(Some(money(ctx, first, &format!("{path}.{key}[0]"))?.0)),
            None => Ok(None),
        },
        Value::Object(_) => Ok(Some(money(ctx, list, &format!("{path}.{key}"))?.0)),
        Value::Null => Ok(None),
        other => Err(ctx.err(
            "snap-bad-field",
            &format!("{path}.{key}"),
            "an array of amounts",
            describe(other),
        )),
    }
}

/// Detail balances of one entry (before, after), kept aside for the continuity check.
struct DetailBalance {
    start: Option<Decimal>,
    end: Option<Decimal>,
}

/// Reads a SNAP bank statement response (one page, an array of pages or JSON Lines).
pub fn read(file_name: &str, bytes: &[u8]) -> Result<StatementFile, ReadError> {
    let pages = pages(file_name, bytes)?;
    let mut warnings: Vec<String> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut details: Vec<DetailBalance> = Vec::new();
    let mut balances: Vec<Balance> = Vec::new();
    let mut totals: Option<ControlTotals> = None;
    let mut totals_differ_between_pages = false;
    let mut continuity_breaks: Vec<usize> = Vec::new();
    let mut no_offset = false;
    let mut statuses: Vec<String> = Vec::new();
    let mut reference: Option<String> = None;
    let mut account_number: Option<String> = None;
    let mut last_has_more = false;
    let page_count = pages.len();
    for page in &pages {
        let ctx = Ctx {
            file: file_name,
            page: page.number,
            line: page.line,
            entry: None,
        };
        let v = &page.value;
        if !v.is_object() {
            return Err(ctx.err("snap-bad-json", "response", "a JSON object", describe(v)));
        }
        let code = text(&ctx, v, "responseCode", "responseCode")?.ok_or_else(|| {
            ctx.err(
                "snap-missing-field",
                "responseCode",
                "a SNAP responseCode",
                "nothing",
            )
        })?;
        if !code.starts_with("200") {
            let message = text(&ctx, v, "responseMessage", "responseMessage")?.unwrap_or("");
            return Err(ctx.err(
                "snap-error-response",
                "responseCode",
                "a successful response (responseCode 200xxxx)",
                format!("{code} {message}").trim().to_string(),
            ));
        }
        if reference.is_none() {
            reference = text(&ctx, v, "referenceNo", "referenceNo")?.map(str::to_string);
        }
        if account_number.is_none() {
            account_number = text(&ctx, v, "accountNo", "accountNo")?.map(str::to_string);
        }
        let has_more = match v.get("hasMore") {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("Y") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("N") => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(ctx.err("snap-bad-field", "hasMore", "Y or N", describe(other)))
            }
        };
        let is_last = page.number == page_count;
        if (!is_last && !has_more) || (is_last && has_more && page_count > 1) {
            continuity_breaks.push(page.number);
        }
        last_has_more = has_more;
        // Balances: the first page that has them (later pages repeat them).
        if balances.is_empty() {
            let list = array(&ctx, v, "balance")?;
            if list.len() > 1 {
                warnings.push("snap-multiple-balances".into());
            }
            if let Some(b) = list.first() {
                for (key, kind) in [
                    ("startingBalance", BalanceKind::OpeningBooked),
                    ("endingBalance", BalanceKind::ClosingBooked),
                    ("amount", BalanceKind::Other("SNAP-amount".into())),
                ] {
                    if let Some(obj) = b.get(key).filter(|o| !o.is_null()) {
                        let path = format!("balance[0].{key}");
                        let (amount, currency) = money(&ctx, obj, &path)?;
                        let date = match text(&ctx, obj, "dateTime", &format!("{path}.dateTime"))? {
                            Some(s) if !s.trim().is_empty() => Some(
                                datetime(&ctx, s, &format!("{path}.dateTime"), &mut no_offset)?.1,
                            ),
                            _ => None,
                        };
                        balances.push(Balance {
                            kind,
                            amount,
                            currency,
                            date,
                        });
                    }
                }
            }
        }
        let mut page_totals = ControlTotals::default();
        let mut any_totals = false;
        for (key, credit) in [("totalCreditEntries", true), ("totalDebitEntries", false)] {
            let Some(t) = v.get(key).filter(|t| !t.is_null()) else {
                continue;
            };
            any_totals = true;
            let n = count(
                &ctx,
                t.get("numberOfEntries"),
                &format!("{key}.numberOfEntries"),
            )?;
            let sum = match t.get("amount").filter(|a| !a.is_null()) {
                Some(a) => Some(money(&ctx, a, &format!("{key}.amount"))?.0),
                None => None,
            };
            if credit {
                page_totals.credit_count = n;
                page_totals.credit_sum = sum;
            } else {
                page_totals.debit_count = n;
                page_totals.debit_sum = sum;
            }
        }
        if any_totals {
            match &totals {
                None => totals = Some(page_totals),
                Some(t) if *t != page_totals => totals_differ_between_pages = true,
                Some(_) => {}
            }
        }
        for (i, d) in array(&ctx, v, "detailData")?.iter().enumerate() {
            if entries.len() >= MAX_ENTRIES {
                return Err(ctx.err(
                    "snap-too-many-entries",
                    "detailData",
                    format!("at most {MAX_ENTRIES} entries"),
                    "more",
                ));
            }
            let ctx = Ctx {
                entry: Some(entries.len() as u64),
                ..ctx
            };
            let (e, db) = detail(
                &ctx,
                d,
                i,
                entries.len(),
                page.line,
                &mut no_offset,
                &mut statuses,
            )?;
            entries.push(e);
            details.push(db);
        }
    }
    if !continuity_breaks.is_empty() {
        warnings.push(format!("snap-page-continuity:{}", join(&continuity_breaks)));
    }
    if last_has_more {
        warnings.push("snap-incomplete".into());
    }
    if totals_differ_between_pages {
        warnings.push("snap-page-totals-differ".into());
    }
    if no_offset {
        warnings.push("snap-datetime-without-offset".into());
    }
    for s in statuses {
        warnings.push(format!("snap-detail-status:{s}"));
    }
    locate_entries(bytes, &mut entries);
    balance_findings(&entries, &details, &mut balances, &mut warnings);
    if let Some(t) = &totals {
        totals_findings(t, &entries, &mut warnings);
    }
    let currency = balances
        .first()
        .map(|b| b.currency)
        .or_else(|| entries.first().map(|e| e.currency))
        .unwrap_or(Currency::IDR);
    let dates = entries.iter().filter_map(|e| e.booking_date);
    let from = dates
        .clone()
        .min()
        .map(|d| d.and_time(chrono::NaiveTime::MIN));
    let to = dates.max().map(|d| d.and_time(chrono::NaiveTime::MIN));
    let mut statement = Statement {
        id: reference.clone(),
        from,
        to,
        balances,
        totals,
        entries,
        page: Some(u32::try_from(page_count).unwrap_or(u32::MAX)),
        last_page: Some(!last_has_more),
        ..Statement::default()
    };
    statement.account.number = account_number;
    statement.account.currency = Some(currency);
    statement.pos.line = pages
        .first()
        .map_or(1, |p| u32::try_from(p.line).unwrap_or(u32::MAX));
    Ok(StatementFile {
        format: Some(StatementFormat::Snap),
        version: None,
        message_id: reference,
        page: Some(u32::try_from(page_count).unwrap_or(u32::MAX)),
        last_page: Some(!last_has_more),
        statements: vec![statement],
        warnings,
        ..StatementFile::default()
    })
}

/// Points each entry at the line of its own `"transactionDate"` key, so a trail leads to the
/// detail rather than to the start of its page. Entries and keys are both in file order; when
/// the counts differ (the key quoted inside a text, say) the page lines are kept.
fn locate_entries(bytes: &[u8], entries: &mut [Entry]) {
    let finder = memchr::memmem::Finder::new(b"\"transactionDate\"");
    let hits: Vec<usize> = finder.find_iter(bytes).take(entries.len() + 1).collect();
    if hits.len() != entries.len() {
        return;
    }
    let mut line = 1u32;
    let mut from = 0usize;
    for (e, &at) in entries.iter_mut().zip(&hits) {
        let newlines = bytes
            .get(from..at)
            .map_or(0, |s| memchr::memchr_iter(b'\n', s).count());
        line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        from = at;
        e.pos.line = line;
    }
}

fn join(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

fn detail(
    ctx: &Ctx<'_>,
    d: &Value,
    i: usize,
    index: usize,
    line: u64,
    no_offset: &mut bool,
    statuses: &mut Vec<String>,
) -> Result<(Entry, DetailBalance), ReadError> {
    let path = format!("detailData[{i}]");
    if !d.is_object() {
        return Err(ctx.err("snap-bad-field", &path, "an object", describe(d)));
    }
    let amount_obj = d.get("amount").filter(|a| !a.is_null()).ok_or_else(|| {
        ctx.err(
            "snap-missing-field",
            &format!("{path}.amount"),
            "an amount",
            "nothing",
        )
    })?;
    let (amount, currency) = money(ctx, amount_obj, &format!("{path}.amount"))?;
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(ctx.err(
            "snap-bad-amount",
            &format!("{path}.amount.value"),
            "an unsigned amount (type gives the direction)",
            amount.to_string(),
        ));
    }
    let direction = match text(ctx, d, "type", &format!("{path}.type"))? {
        Some(t) if t.eq_ignore_ascii_case("CREDIT") || t.eq_ignore_ascii_case("C") => {
            Direction::Credit
        }
        Some(t) if t.eq_ignore_ascii_case("DEBIT") || t.eq_ignore_ascii_case("D") => {
            Direction::Debit
        }
        Some(t) => {
            return Err(ctx.err(
                "snap-bad-field",
                &format!("{path}.type"),
                "CREDIT or DEBIT",
                excerpt(t),
            ))
        }
        None => {
            return Err(ctx.err(
                "snap-missing-field",
                &format!("{path}.type"),
                "CREDIT or DEBIT",
                "nothing",
            ))
        }
    };
    let (booked_at, booking_date) = match text(
        ctx,
        d,
        "transactionDate",
        &format!("{path}.transactionDate"),
    )? {
        Some(s) => {
            let (utc, local) = datetime(ctx, s, &format!("{path}.transactionDate"), no_offset)?;
            (Some(utc), Some(local))
        }
        None => {
            return Err(ctx.err(
                "snap-missing-field",
                &format!("{path}.transactionDate"),
                "the transaction date-time",
                "nothing",
            ))
        }
    };
    let status = match text(
        ctx,
        d,
        "transactionDetailStatus",
        &format!("{path}.transactionDetailStatus"),
    )? {
        None => EntryStatus::Booked,
        Some(s) => {
            let u = s.trim().to_ascii_uppercase();
            match u.as_str() {
                "" | "SUCCESS" | "00" => EntryStatus::Booked,
                "PENDING" | "PROCESSING" | "IN_PROGRESS" => EntryStatus::Pending,
                "FAILED" | "FAIL" | "REJECTED" | "CANCELLED" => EntryStatus::Info,
                _ => {
                    // A status kasda does not know (a bank's error-correction code): the entry
                    // is on the statement, so it stays booked, and the status is reported.
                    if !statuses.contains(&u) && statuses.len() < 20 {
                        statuses.push(u);
                    }
                    EntryStatus::Booked
                }
            }
        }
    };
    let mut e = Entry {
        amount,
        currency,
        direction: Some(direction),
        status,
        booking_date,
        booked_at,
        ..Entry::default()
    };
    e.pos.line = u32::try_from(line).unwrap_or(u32::MAX);
    e.pos.index = u32::try_from(index).unwrap_or(u32::MAX);
    e.refs.account_servicer = text(ctx, d, "transactionId", &format!("{path}.transactionId"))?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(r) = text(ctx, d, "remark", &format!("{path}.remark"))? {
        e.remittance.unstructured = r
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
    }
    if let Some(info) = d
        .get("detailInfo")
        .filter(|i| !i.is_null() && *i != &Value::Object(Default::default()))
    {
        let s = info.to_string();
        if s.chars().count() > MAX_TEXT_CHARS {
            return Err(ctx.err(
                "snap-field-too-long",
                &format!("{path}.detailInfo"),
                format!("at most {MAX_TEXT_CHARS} characters"),
                format!("{} characters", s.chars().count()),
            ));
        }
        e.additional_info = Some(s);
    }
    if let Some(o) = d.get("originAmount").filter(|o| !o.is_null()) {
        let (origin, origin_ccy) = money(ctx, o, &format!("{path}.originAmount"))?;
        if origin != amount || origin_ccy != currency {
            e.amount_notes
                .push(format!("instructed-differs:{origin} {origin_ccy}"));
        }
    }
    let db_obj = d.get("detailBalance").filter(|b| !b.is_null());
    let start = first_amount(ctx, db_obj, "startAmount", &format!("{path}.detailBalance"))?;
    let end = first_amount(ctx, db_obj, "endAmount", &format!("{path}.detailBalance"))?;
    e.balance_after = end;
    Ok((e, DetailBalance { start, end }))
}

/// Detail-balance arithmetic and continuity (in time order), and opening/closing from the
/// detail balances when `balance[]` gave none.
fn balance_findings(
    entries: &[Entry],
    details: &[DetailBalance],
    balances: &mut Vec<Balance>,
    warnings: &mut Vec<String>,
) {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    // Stable: entries at the same instant keep their relative file order, reversed with the
    // rest when the file is newest-first.
    let descending = match (entries.first(), entries.last()) {
        (Some(a), Some(b)) => a.booked_at > b.booked_at,
        _ => false,
    };
    if descending {
        order.reverse();
    }
    order.sort_by_key(|&i| entries.get(i).and_then(|e| e.booked_at));
    let mut inconsistent = Vec::new();
    let mut breaks = Vec::new();
    let mut prev_end: Option<Decimal> = None;
    let mut first_start = None;
    let mut last_end = None;
    for &i in &order {
        let (Some(e), Some(d)) = (entries.get(i), details.get(i)) else {
            continue;
        };
        if e.status != EntryStatus::Booked {
            continue;
        }
        let signed = e.signed_amount();
        if let (Some(s), Some(end)) = (d.start, d.end) {
            if s.checked_add(signed) != Some(end) {
                inconsistent.push(i + 1);
            }
        }
        if let (Some(p), Some(s)) = (prev_end, d.start) {
            if p != s {
                breaks.push(i + 1);
            }
        }
        if first_start.is_none() {
            first_start = d
                .start
                .or_else(|| d.end.and_then(|x| x.checked_sub(signed)));
        }
        if d.end.is_some() {
            last_end = d.end;
        }
        prev_end = d.end;
    }
    if !inconsistent.is_empty() {
        warnings.push(format!(
            "snap-detail-balance-mismatch:{}",
            join(&inconsistent)
        ));
    }
    if !breaks.is_empty() {
        warnings.push(format!("running-balance-break:{}", join(&breaks)));
    }
    let currency = entries.first().map_or(Currency::IDR, |e| e.currency);
    let date_of = |i: Option<&usize>| i.and_then(|&i| entries.get(i)).and_then(|e| e.booking_date);
    if !balances
        .iter()
        .any(|b| b.kind == BalanceKind::OpeningBooked)
    {
        if let Some(amount) = first_start {
            balances.push(Balance {
                kind: BalanceKind::OpeningBooked,
                amount,
                currency,
                date: date_of(order.first()),
            });
        }
    }
    if !balances
        .iter()
        .any(|b| b.kind == BalanceKind::ClosingBooked)
    {
        if let Some(amount) = last_end {
            balances.push(Balance {
                kind: BalanceKind::ClosingBooked,
                amount,
                currency,
                date: date_of(order.last()),
            });
        }
    }
}

fn totals_findings(t: &ControlTotals, entries: &[Entry], warnings: &mut Vec<String>) {
    for (side, dir, count, sum) in [
        ("credit", Direction::Credit, t.credit_count, t.credit_sum),
        ("debit", Direction::Debit, t.debit_count, t.debit_sum),
    ] {
        let mine = entries.iter().filter(|e| e.direction == Some(dir));
        let n = mine.clone().count() as u64;
        let s = mine.fold(Decimal::ZERO, |a, e| a.saturating_add(e.amount));
        if count.is_some_and(|c| c != n) || sum.is_some_and(|x| x != s) {
            warnings.push(format!("snap-totals-differ:{side}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_responses_only() {
        assert!(sniff(br#"{"responseCode":"2001400","detailData":[]}"#).is_some());
        assert!(sniff(b"\n[{\"responseCode\":\"4041401\",\"responseMessage\":\"x\"}]").is_some());
        assert!(sniff(br#"{"a":1}"#).is_none());
        assert!(sniff(b"responseCode,detailData").is_none());
    }

    #[test]
    fn datetimes_keep_local_date_and_store_utc() {
        let ctx = Ctx {
            file: "f",
            page: 1,
            line: 1,
            entry: None,
        };
        let mut flag = false;
        let (utc, local) = datetime(&ctx, "2026-01-01T06:30:00+07:00", "x", &mut flag).unwrap();
        assert_eq!(utc.to_string(), "2025-12-31 23:30:00");
        assert_eq!(local.to_string(), "2026-01-01");
        assert!(!flag);
        let (utc, _) = datetime(&ctx, "2026-01-01T06:30:00", "x", &mut flag).unwrap();
        assert_eq!(utc.to_string(), "2025-12-31 23:30:00");
        assert!(flag);
        assert_eq!(
            datetime(&ctx, "01/01/2026", "x", &mut flag)
                .unwrap_err()
                .code,
            "snap-bad-datetime"
        );
    }
}
