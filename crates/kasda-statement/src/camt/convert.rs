//! From the deserialized camt pieces to the shared statement model: amounts with the currency's
//! scale, dates, codes, parties, and the notes that say when an entry and its details disagree.
//!
//! Every value is checked here rather than by serde so that an error can name the field, the
//! expected form, the text found and (through [`Subtree::locate`]) the line it is on.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use kasda_core::money::{
    parse_amount, parse_plain_digits, Currency, Direction, MoneyError, NumberFormat,
};
use kasda_core::statement::{
    AccountId, Balance, BalanceKind, BankTxCode, Charge, ControlTotals, Entry, EntryStatus, Party,
    References, Remittance, SourcePos, TxDetail,
};

use super::model;
use super::source::Pos;
use crate::error::{excerpt, Location, ReadError};

/// Most decimals an ISO 20022 amount may carry (`fractionDigits` of
/// `ActiveOrHistoricCurrencyAndAmount`).
const XSD_FRACTION_DIGITS: u32 = 5;

/// The buffered XML of one element (an `Ntry`, a `Bal`, …) and where its elements start in the
/// source, so that an error found after deserialization can still name a line.
#[derive(Debug, Default)]
pub(crate) struct Subtree {
    pub xml: Vec<u8>,
    pub start: Pos,
    /// (offset in `xml`, source position) of every start tag, in order.
    pub marks: Vec<(usize, Pos)>,
    /// The element's tokens in order, for the hand-written `Ntry` builder (`fast.rs`).
    pub tape: Vec<super::fast::Tok>,
}

impl Subtree {
    pub fn clear(&mut self) {
        self.xml.clear();
        self.marks.clear();
        self.tape.clear();
    }

    /// Source position of the element holding the first occurrence of `needle`, or of the
    /// subtree start when the needle is empty or not found verbatim (escaped text).
    pub fn locate(&self, needle: &str) -> Pos {
        let needle = needle.trim();
        if needle.is_empty() {
            return self.start;
        }
        match memchr::memmem::find(&self.xml, needle.as_bytes()) {
            Some(at) => {
                let i = self.marks.partition_point(|&(offset, _)| offset <= at);
                match i.checked_sub(1).and_then(|i| self.marks.get(i)) {
                    Some(&(_, pos)) => pos,
                    None => self.start,
                }
            }
            None => self.start,
        }
    }
}

/// The path of a field below [`Ctx::path`], built on the stack and rendered only when an error
/// needs it (`NtryDtls[1]/TxDtls[2]/AmtDtls/TxAmt/Amt`): converting an entry allocates no paths.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    parent: Option<&'a Field<'a>>,
    name: &'a str,
    index: Option<usize>,
}

impl<'a> Field<'a> {
    pub const fn new(name: &'a str) -> Self {
        Field {
            parent: None,
            name,
            index: None,
        }
    }

    pub fn child(&'a self, name: &'a str) -> Field<'a> {
        Field {
            parent: Some(self),
            name,
            index: None,
        }
    }

    /// The `index`-th (1-based) repetition of `name`: `TxDtls[2]`.
    pub fn item(&'a self, name: &'a str, index: usize) -> Field<'a> {
        Field {
            parent: Some(self),
            name,
            index: Some(index),
        }
    }
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            if !parent.name.is_empty() {
                write!(f, "{parent}/")?;
            }
        }
        f.write_str(self.name)?;
        match self.index {
            Some(i) => write!(f, "[{i}]"),
            None => Ok(()),
        }
    }
}

/// What a conversion needs to report a problem: the file, the buffered subtree and the path of
/// the element being converted (`Stmt[1]/Ntry`).
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub tree: &'a Subtree,
    pub path: &'a str,
    pub entry: Option<u64>,
}

impl Ctx<'_> {
    pub fn error(&self, code: &str, field: Field, expected: &str, found: &str) -> ReadError {
        let pos = self.tree.locate(found);
        let found_text = if found.is_empty() {
            "nothing".to_string()
        } else {
            excerpt(found)
        };
        ReadError::new(
            self.file,
            location(pos, self.entry),
            code,
            format!("{}/{}", self.path, field),
            expected,
            found_text,
        )
    }

    fn missing(&self, field: Field, expected: &str) -> ReadError {
        self.error("missing-field", field, expected, "")
    }
}

pub(crate) fn location(pos: Pos, entry: Option<u64>) -> Location {
    Location {
        line: (pos.line > 0).then_some(pos.line),
        column: (pos.line > 0).then_some(pos.column),
        byte: Some(pos.byte),
        entry,
    }
}

/// Trimmed text, `None` when absent or blank.
pub(crate) fn text(value: &Option<model::Txt>) -> Option<String> {
    value.as_deref().and_then(trimmed)
}

/// Trimmed text borrowed, `None` when absent or blank: for codes that are only compared.
pub(crate) fn leaf<'v>(value: &'v Option<model::Txt>) -> Option<&'v str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn trimmed(value: &str) -> Option<String> {
    let t = value.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub(crate) fn push_warning(warnings: &mut Vec<String>, warning: String) {
    if !warnings.contains(&warning) {
        warnings.push(warning);
    }
}

pub(crate) fn currency(ctx: &Ctx, field: Field, code: &str) -> Result<Currency, ReadError> {
    Currency::parse(code).map_err(|_| {
        ctx.error(
            "bad-currency",
            field,
            "an ISO 4217 code of three upper-case letters",
            code,
        )
    })
}

/// Parses an ISO 20022 amount exactly. The schema allows five decimals; more decimals than the
/// currency has are accepted only when they are zeros (`5442.09000` RON), which is exact, and
/// the result always carries the currency's scale.
pub(crate) fn parse_camt_amount(text: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    // The usual `1234567.89` straight from its digits; anything else (and every error) as
    // `parse_amount` reads it.
    let mut amount = match parse_plain_digits(text, XSD_FRACTION_DIGITS) {
        Some(amount) => amount,
        None => parse_amount(text, NumberFormat::Plain, XSD_FRACTION_DIGITS)?,
    };
    let scale = currency.scale();
    if amount.scale() > scale {
        let normalized = amount.normalize();
        if normalized.scale() > scale {
            return Err(MoneyError::OverScale {
                found: text.to_string(),
                scale: amount.scale(),
                currency: currency.to_string(),
                max: scale,
            });
        }
        amount = normalized;
    }
    amount.rescale(scale);
    Ok(amount)
}

/// Amount and currency of an `Amt Ccy="…"` element. `default_currency` is used only when the
/// attribute is missing (some producers drop it and give `Acct/Ccy`).
pub(crate) fn ccy_amount(
    ctx: &Ctx,
    field: Field,
    amt: &model::CcyAmt,
    default_currency: Option<Currency>,
) -> Result<(Decimal, Currency), ReadError> {
    let currency = match leaf(&amt.ccy) {
        Some(code) => currency(ctx, field.child("@Ccy"), code)?,
        None => default_currency
            .ok_or_else(|| ctx.missing(field.child("@Ccy"), "a Ccy attribute (or Acct/Ccy)"))?,
    };
    let value = amt.value.trim();
    let amount = parse_camt_amount(value, currency).map_err(|e| {
        let expected = match e {
            MoneyError::OverScale { max, .. } => {
                format!("an amount with at most {max} decimals for {currency}")
            }
            MoneyError::TooLarge { .. } => "an amount of at most 18 integer digits".to_string(),
            _ => "a non-negative decimal like 1234567.89".to_string(),
        };
        ctx.error("bad-amount", field, &expected, value)
    })?;
    Ok((amount, currency))
}

pub(crate) fn direction(
    ctx: &Ctx,
    field: Field,
    value: &Option<model::Txt>,
) -> Result<Option<Direction>, ReadError> {
    match leaf(value) {
        None => Ok(None),
        Some("CRDT") => Ok(Some(Direction::Credit)),
        Some("DBIT") => Ok(Some(Direction::Debit)),
        Some(other) => Err(ctx.error("bad-direction", field, "CRDT or DBIT", other)),
    }
}

pub(crate) fn boolean(
    ctx: &Ctx,
    field: Field,
    value: &Option<model::Txt>,
) -> Result<Option<bool>, ReadError> {
    match leaf(value) {
        None => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(other) => Err(ctx.error("bad-boolean", field, "true or false", other)),
    }
}

pub(crate) fn number(
    ctx: &Ctx,
    field: Field,
    value: &Option<model::Txt>,
) -> Result<Option<u64>, ReadError> {
    match text(value) {
        None => Ok(None),
        Some(t) => t
            .parse::<u64>()
            .map(Some)
            .map_err(|_| ctx.error("bad-number", field, "a whole number", &t)),
    }
}

/// Drops an `xs:date`/`xs:dateTime` time-zone suffix (`Z`, `+07:00`). Times are kept as the
/// wall-clock time the bank wrote: a booking made at 23:30 WIB stays on its Jakarta date.
fn strip_zone(t: &str) -> &str {
    if let Some(rest) = t.strip_suffix('Z') {
        return rest;
    }
    let b = t.as_bytes();
    if b.len() > 16 {
        let sign = b[b.len() - 6];
        if (sign == b'+' || sign == b'-') && b[b.len() - 3] == b':' {
            return &t[..t.len() - 6];
        }
    }
    t
}

pub(crate) fn parse_date(t: &str) -> Option<NaiveDate> {
    let t = t.trim();
    let core = t.get(..10)?;
    let rest = &t[10..];
    let zone_ok = rest.is_empty()
        || rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes().get(3) == Some(&b':'));
    if !zone_ok {
        return None;
    }
    // The usual `YYYY-MM-DD` directly; anything else as chrono's `%Y-%m-%d` reads it.
    if let Some((y, m, d)) = digits_ymd(core.as_bytes()) {
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    NaiveDate::parse_from_str(core, "%Y-%m-%d").ok()
}

/// `YYYY-MM-DD` exactly, in ASCII digits: (year, month, day), not yet checked as a date.
fn digits_ymd(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    Some((i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?))
}

pub(crate) fn parse_datetime(t: &str) -> Option<NaiveDateTime> {
    let t = t.trim();
    if t.len() <= 16 {
        // A plain date where a date-time is expected (FrToDt in some exports): start of day.
        return parse_date(t).map(|d| d.and_time(NaiveTime::MIN));
    }
    NaiveDateTime::parse_from_str(strip_zone(t), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

pub(crate) fn date(ctx: &Ctx, field: Field, value: &str) -> Result<NaiveDate, ReadError> {
    parse_date(value).ok_or_else(|| ctx.error("bad-date", field, "a date like 2024-03-31", value))
}

pub(crate) fn datetime(ctx: &Ctx, field: Field, value: &str) -> Result<NaiveDateTime, ReadError> {
    parse_datetime(value).ok_or_else(|| {
        ctx.error(
            "bad-date",
            field,
            "a date-time like 2024-03-31T17:00:00+07:00",
            value,
        )
    })
}

/// `Dt` or `DtTm`: the date, and the date-time when one was given.
pub(crate) fn date_choice(
    ctx: &Ctx,
    field: Field,
    value: &model::DateAndDateTime,
) -> Result<(Option<NaiveDate>, Option<NaiveDateTime>), ReadError> {
    if let Some(dt) = leaf(&value.dt) {
        // Some producers put a date-time into `Dt`; keep both parts then.
        if dt.len() > 16 {
            let at = datetime(ctx, field.child("Dt"), dt)?;
            return Ok((Some(at.date()), Some(at)));
        }
        return Ok((Some(date(ctx, field.child("Dt"), dt)?), None));
    }
    if let Some(dt_tm) = leaf(&value.dt_tm) {
        let at = datetime(ctx, field.child("DtTm"), dt_tm)?;
        return Ok((Some(at.date()), Some(at)));
    }
    Ok((None, None))
}

fn bic(fin: &model::FinInstnId) -> Option<String> {
    text(&fin.bicfi).or_else(|| text(&fin.bic))
}

pub(crate) fn account(ctx: &Ctx, acct: &model::CashAccount) -> Result<AccountId, ReadError> {
    let id = acct.id.as_ref();
    let servicer = acct.svcr.as_ref().and_then(|s| s.fin_instn_id.as_ref());
    Ok(AccountId {
        iban: id.and_then(|i| text(&i.iban)),
        number: id.and_then(|i| {
            i.othr
                .as_ref()
                .and_then(|o| text(&o.id))
                .or_else(|| i.prtry_acct.as_ref().and_then(|o| text(&o.id)))
        }),
        currency: match text(&acct.ccy) {
            Some(code) => Some(currency(ctx, Field::new("Acct/Ccy"), &code)?),
            None => None,
        },
        name: text(&acct.nm),
        owner: acct.ownr.as_ref().and_then(|o| text(&o.nm)),
        servicer_bic: servicer.and_then(bic),
        servicer_name: servicer.and_then(|f| text(&f.nm)),
    })
}

fn balance_kind(code: &str) -> BalanceKind {
    match code {
        "OPBD" => BalanceKind::OpeningBooked,
        "CLBD" => BalanceKind::ClosingBooked,
        "OPAV" => BalanceKind::OpeningAvailable,
        "CLAV" => BalanceKind::ClosingAvailable,
        "FWAV" => BalanceKind::ForwardAvailable,
        "ITBD" => BalanceKind::InterimBooked,
        "ITAV" => BalanceKind::InterimAvailable,
        "PRCD" => BalanceKind::PreviouslyClosedBooked,
        other => BalanceKind::Other(other.to_string()),
    }
}

pub(crate) fn balance(
    ctx: &Ctx,
    bal: &model::CashBalance,
    account_currency: Option<Currency>,
    warnings: &mut Vec<String>,
) -> Result<Balance, ReadError> {
    let tp = bal.tp.as_ref();
    let code = tp
        .and_then(|t| t.cd_or_prtry.as_ref())
        .and_then(|c| text(&c.cd).or_else(|| text(&c.prtry)))
        .or_else(|| tp.and_then(|t| text(&t.cd).or_else(|| text(&t.prtry))))
        .ok_or_else(|| {
            ctx.missing(
                Field::new("Tp/CdOrPrtry/Cd"),
                "a balance type code such as OPBD or CLBD",
            )
        })?;
    let amt = bal
        .amt
        .as_ref()
        .ok_or_else(|| ctx.missing(Field::new("Amt"), "the balance amount"))?;
    let (amount, currency) = ccy_amount(ctx, Field::new("Amt"), amt, account_currency)?;
    let direction = match direction(ctx, Field::new("CdtDbtInd"), &bal.cdt_dbt_ind)? {
        Some(d) => d,
        None => {
            // A balance without an indicator is read as a credit (the usual case) and flagged.
            push_warning(warnings, format!("balance-without-CdtDbtInd:{code}"));
            Direction::Credit
        }
    };
    let date = match &bal.dt {
        Some(dt) => date_choice(ctx, Field::new("Dt"), dt)?.0,
        None => None,
    };
    Ok(Balance {
        kind: balance_kind(&code),
        amount: direction.signed(amount),
        currency,
        date,
    })
}

fn number_and_sum(
    ctx: &Ctx,
    field: Field,
    ns: &model::NumberAndSum,
) -> Result<(Option<u64>, Option<Decimal>), ReadError> {
    let count = number(ctx, field.child("NbOfNtries"), &ns.nb_of_ntries)?;
    let sum = match text(&ns.sum) {
        Some(s) => Some(
            parse_amount(&s, NumberFormat::Plain, XSD_FRACTION_DIGITS).map_err(|_| {
                ctx.error(
                    "bad-amount",
                    field.child("Sum"),
                    "a non-negative decimal like 1234567.89",
                    &s,
                )
            })?,
        ),
        None => None,
    };
    Ok((count, sum))
}

pub(crate) fn totals(ctx: &Ctx, t: &model::TotalTransactions) -> Result<ControlTotals, ReadError> {
    let mut out = ControlTotals::default();
    if let Some(c) = &t.ttl_cdt_ntries {
        (out.credit_count, out.credit_sum) = number_and_sum(ctx, Field::new("TtlCdtNtries"), c)?;
    }
    if let Some(d) = &t.ttl_dbt_ntries {
        (out.debit_count, out.debit_sum) = number_and_sum(ctx, Field::new("TtlDbtNtries"), d)?;
    }
    if let Some(all) = &t.ttl_ntries {
        // Only the overall count and sum: kept for the cross-check, not split by direction.
        number_and_sum(ctx, Field::new("TtlNtries"), all)?;
    }
    Ok(out)
}

pub(crate) fn bank_tx_code(code: &model::BankTransactionCode) -> BankTxCode {
    let domain = code.domn.as_ref();
    let family = domain.and_then(|d| d.fmly.as_ref());
    let proprietary = code.prtry.as_ref();
    BankTxCode {
        domain: domain.and_then(|d| text(&d.cd)),
        family: family.and_then(|f| text(&f.cd)),
        sub_family: family.and_then(|f| text(&f.sub_fmly_cd)),
        proprietary: proprietary.and_then(|p| text(&p.cd)),
        proprietary_issuer: proprietary.and_then(|p| text(&p.issr)),
    }
}

fn party_id(id: &model::PartyIdChoice) -> Option<String> {
    if let Some(org) = &id.org_id {
        return text(&org.any_bic)
            .or_else(|| text(&org.bic_or_bei))
            .or_else(|| text(&org.lei))
            .or_else(|| org.othr.iter().find_map(|o| text(&o.id)));
    }
    id.prvt_id
        .as_ref()
        .and_then(|p| p.othr.iter().find_map(|o| text(&o.id)))
}

pub(crate) fn party(
    who: Option<&model::PartyChoice>,
    account: Option<&model::CashAccount>,
    agent: Option<&model::Agent>,
) -> Party {
    let mut out = Party::default();
    if let Some(p) = who {
        // ≥ 001.08 wraps the party in `Pty` (or names an agent in `Agt`).
        let (name, id) = match (&p.pty, &p.agt) {
            (Some(pty), _) => (text(&pty.nm), pty.id.as_ref().and_then(party_id)),
            (None, Some(agt)) => {
                let fin = agt.fin_instn_id.as_ref();
                (fin.and_then(|f| text(&f.nm)), fin.and_then(bic))
            }
            (None, None) => (text(&p.nm), p.id.as_ref().and_then(party_id)),
        };
        out.name = name;
        out.id = id;
    }
    if let Some(a) = account.and_then(|a| a.id.as_ref()) {
        out.iban = text(&a.iban);
        out.account = a
            .othr
            .as_ref()
            .and_then(|o| text(&o.id))
            .or_else(|| a.prtry_acct.as_ref().and_then(|o| text(&o.id)));
    }
    if out.name.is_none() {
        out.name = account.and_then(|a| text(&a.nm));
    }
    if let Some(fin) = agent.and_then(|a| a.fin_instn_id.as_ref()) {
        out.agent_bic = bic(fin);
        out.agent_name = text(&fin.nm);
    }
    out
}

pub(crate) fn remittance(rmt: &model::RemittanceInformation) -> Remittance {
    let mut out = Remittance {
        unstructured: rmt.ustrd.iter().filter_map(|u| trimmed(u)).collect(),
        ..Remittance::default()
    };
    for s in &rmt.strd {
        if out.creditor_ref.is_none() {
            out.creditor_ref = s.cdtr_ref_inf.as_ref().and_then(|c| text(&c.reference));
        } else if let Some(r) = s.cdtr_ref_inf.as_ref().and_then(|c| text(&c.reference)) {
            out.structured.push(r);
        }
        out.structured
            .extend(s.rfrd_doc_inf.iter().filter_map(|d| text(&d.nb)));
        out.structured
            .extend(s.addtl_rmt_inf.iter().filter_map(|a| trimmed(a)));
    }
    out
}

pub(crate) fn references(refs: &model::References) -> References {
    References {
        account_servicer: text(&refs.acct_svcr_ref),
        entry_ref: None,
        end_to_end_id: text(&refs.end_to_end_id),
        instruction_id: text(&refs.instr_id),
        transaction_id: text(&refs.tx_id),
        message_id: text(&refs.msg_id),
        payment_info_id: text(&refs.pmt_inf_id),
        mandate_id: text(&refs.mndt_id),
        cheque_number: text(&refs.chq_nb),
        uetr: text(&refs.uetr),
        customer_ref: None,
    }
}

fn charges(
    ctx: &Ctx,
    field: Field,
    list: &[model::Charges],
    default_currency: Currency,
) -> Result<Vec<Charge>, ReadError> {
    let kind = |tp: &Option<model::ChargeType>| {
        tp.as_ref()
            .and_then(|t| text(&t.cd).or_else(|| t.prtry.as_ref().and_then(|p| text(&p.id))))
    };
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let at = field.item("Chrgs", i + 1);
        if let Some(amt) = &c.amt {
            let (amount, currency) = ccy_amount(ctx, at.child("Amt"), amt, Some(default_currency))?;
            out.push(Charge {
                amount,
                currency,
                direction: direction(ctx, at.child("CdtDbtInd"), &c.cdt_dbt_ind)?,
                kind: kind(&c.tp),
            });
        }
        for (j, r) in c.rcrd.iter().enumerate() {
            let rat = at.item("Rcrd", j + 1);
            let Some(amt) = &r.amt else {
                return Err(ctx.missing(rat.child("Amt"), "the charge amount"));
            };
            let (amount, currency) =
                ccy_amount(ctx, rat.child("Amt"), amt, Some(default_currency))?;
            out.push(Charge {
                amount,
                currency,
                direction: direction(ctx, rat.child("CdtDbtInd"), &r.cdt_dbt_ind)?,
                kind: kind(&r.tp),
            });
        }
        if c.amt.is_none() && c.rcrd.is_empty() {
            // Only a total was given: keep it as one charge of unknown kind.
            if let Some(total) = &c.ttl_chrgs_and_tax_amt {
                let (amount, currency) = ccy_amount(
                    ctx,
                    at.child("TtlChrgsAndTaxAmt"),
                    total,
                    Some(default_currency),
                )?;
                out.push(Charge {
                    amount,
                    currency,
                    direction: None,
                    kind: None,
                });
            }
        }
    }
    Ok(out)
}

fn optional_amount(
    ctx: &Ctx,
    field: Field,
    value: Option<&model::CcyAmt>,
    default_currency: Currency,
) -> Result<Option<(Decimal, Currency)>, ReadError> {
    value
        .map(|a| ccy_amount(ctx, field, a, Some(default_currency)))
        .transpose()
}

fn tx_detail(
    ctx: &Ctx,
    field: Field,
    tx: &model::TransactionDetails,
    entry_currency: Currency,
) -> Result<(TxDetail, Option<String>), ReadError> {
    let amt_dtls = tx.amt_dtls.as_ref();
    let tx_amount = optional_amount(
        ctx,
        field.child("AmtDtls/TxAmt/Amt"),
        amt_dtls
            .and_then(|a| a.tx_amt.as_ref())
            .and_then(|a| a.amt.as_ref()),
        entry_currency,
    )?;
    let plain_amount = optional_amount(ctx, field.child("Amt"), tx.amt.as_ref(), entry_currency)?;
    let instructed = optional_amount(
        ctx,
        field.child("AmtDtls/InstdAmt/Amt"),
        amt_dtls
            .and_then(|a| a.instd_amt.as_ref())
            .and_then(|a| a.amt.as_ref()),
        entry_currency,
    )?;
    // `TxDtls/Amt` (001.03+) is the amount booked for this transaction; `AmtDtls/TxAmt` is the
    // same figure in older versions.
    let booked = plain_amount.or(tx_amount);
    // The model has one currency per detail: an instructed amount in another currency (a
    // cross-currency payment) is kept only in the note.
    let (instructed_amount, instructed_note) = match (instructed, booked) {
        (Some(i), Some(b)) if i == b => (None, None),
        (Some(i), Some(b)) if i.1 == b.1 => (Some(i.0), Some(format!("{} {}", i.0, i.1))),
        (Some(i), Some(_)) => (None, Some(format!("{} {}", i.0, i.1))),
        (Some(i), None) => (Some(i.0), None),
        (None, _) => (None, None),
    };
    let parties = tx.rltd_pties.as_ref();
    let agents = tx.rltd_agts.as_ref();
    let return_reason = tx.rtr_inf.as_ref().and_then(|r| {
        r.rsn
            .as_ref()
            .and_then(|c| text(&c.cd).or_else(|| text(&c.prtry)))
            .or_else(|| r.addtl_inf.iter().find_map(|a| trimmed(a)))
    });
    let detail = TxDetail {
        amount: booked.map(|b| b.0),
        currency: booked.map(|b| b.1).or(instructed.map(|i| i.1)),
        instructed_amount,
        direction: direction(ctx, field.child("CdtDbtInd"), &tx.cdt_dbt_ind)?,
        refs: tx.refs.as_ref().map(references).unwrap_or_default(),
        debtor: party(
            parties.and_then(|p| p.dbtr.as_ref()),
            parties.and_then(|p| p.dbtr_acct.as_ref()),
            agents.and_then(|a| a.dbtr_agt.as_ref()),
        ),
        creditor: party(
            parties.and_then(|p| p.cdtr.as_ref()),
            parties.and_then(|p| p.cdtr_acct.as_ref()),
            agents.and_then(|a| a.cdtr_agt.as_ref()),
        ),
        remittance: tx.rmt_inf.as_ref().map(remittance).unwrap_or_default(),
        charges: charges(ctx, field, &tx.chrgs, entry_currency)?,
        bank_tx_code: tx.bk_tx_cd.as_ref().map(bank_tx_code),
        return_reason,
        additional_info: text(&tx.addtl_tx_inf),
    };
    Ok((detail, instructed_note))
}

pub(crate) fn status(ctx: &Ctx, sts: &Option<model::TextOrCode>) -> Result<EntryStatus, ReadError> {
    let code = sts.as_ref().and_then(|s| {
        leaf(&s.cd)
            .or_else(|| leaf(&s.text))
            .or_else(|| leaf(&s.prtry))
    });
    match code {
        Some("BOOK") => Ok(EntryStatus::Booked),
        Some("PDNG") | Some("FUTR") => Ok(EntryStatus::Pending),
        Some("INFO") => Ok(EntryStatus::Info),
        // Mandatory in the schema, yet some exports omit it on statements (camt.053), where
        // every entry is booked by definition.
        None => Ok(EntryStatus::Booked),
        Some(other) => Err(ctx.error(
            "bad-status",
            Field::new("Sts"),
            "BOOK, PDNG, INFO or FUTR",
            other,
        )),
    }
}

/// Converts one `Ntry`. `index` is the entry's ordinal in the file, `line` its first line.
pub(crate) fn entry(
    ctx: &Ctx,
    ntry: &model::ReportEntry,
    pos: SourcePos,
    account_currency: Option<Currency>,
    warnings: &mut Vec<String>,
) -> Result<Entry, ReadError> {
    let amt = ntry
        .amt
        .as_ref()
        .ok_or_else(|| ctx.missing(Field::new("Amt"), "the entry amount"))?;
    let (amount, currency) = ccy_amount(ctx, Field::new("Amt"), amt, account_currency)?;
    let entry_direction = direction(ctx, Field::new("CdtDbtInd"), &ntry.cdt_dbt_ind)?;
    if entry_direction.is_none() {
        push_warning(warnings, "entry-without-CdtDbtInd".to_string());
    }
    let reversal = boolean(ctx, Field::new("RvslInd"), &ntry.rvsl_ind)?.unwrap_or(false);
    let (booking_date, booked_at) = match &ntry.bookg_dt {
        Some(d) => date_choice(ctx, Field::new("BookgDt"), d)?,
        None => (None, None),
    };
    let value_date = match &ntry.val_dt {
        Some(d) => date_choice(ctx, Field::new("ValDt"), d)?.0,
        None => None,
    };

    let mut notes = Vec::new();
    let mut detail_notes = Vec::new();
    // 001.02+ groups batches and transactions in `NtryDtls` blocks; 001.01 puts them directly
    // under `Ntry`.
    let legacy = !ntry.tx_dtls.is_empty() || ntry.btch.is_some();
    // Walked twice, so an iterator made on demand rather than a list allocated per entry.
    let blocks = || {
        ntry.ntry_dtls
            .iter()
            .enumerate()
            .map(|(i, b)| (Some(i + 1), b.btch.as_ref(), b.tx_dtls.as_slice()))
            .chain(legacy.then_some((None, ntry.btch.as_ref(), ntry.tx_dtls.as_slice())))
    };
    let mut details = Vec::with_capacity(blocks().map(|(_, _, tx)| tx.len()).sum());
    let root = Field::new("");
    for (block_index, btch, tx_dtls) in blocks() {
        let block = match block_index {
            Some(i) => root.item("NtryDtls", i),
            None => root,
        };
        for (j, tx) in tx_dtls.iter().enumerate() {
            let (detail, note) = tx_detail(ctx, block.item("TxDtls", j + 1), tx, currency)?;
            if let Some(note) = note {
                detail_notes.push(format!(
                    "instructed-differs:TxDtls[{}]:{note}",
                    details.len() + 1
                ));
            }
            details.push(detail);
        }
        if let Some(btch) = btch {
            let batch = block.child("Btch");
            // Checked for form only: banks often summarise a batch of many transactions in
            // fewer `TxDtls`, so the count is no disagreement about money.
            number(ctx, batch.child("NbOfTxs"), &btch.nb_of_txs)?;
            if let Some((total, _)) =
                optional_amount(ctx, batch.child("TtlAmt"), btch.ttl_amt.as_ref(), currency)?
            {
                if total != amount {
                    notes.push(format!("batch-total-differs:{total}"));
                }
            }
        }
    }

    let entry_amt_dtls = ntry.amt_dtls.as_ref();
    if let Some((instructed, instructed_ccy)) = optional_amount(
        ctx,
        Field::new("AmtDtls/InstdAmt/Amt"),
        entry_amt_dtls
            .and_then(|a| a.instd_amt.as_ref())
            .and_then(|a| a.amt.as_ref()),
        currency,
    )? {
        if instructed != amount || instructed_ccy != currency {
            notes.push(format!("instructed-differs:{instructed} {instructed_ccy}"));
        }
    }
    if let Some(note) = details_sum_note(&details, amount, currency, entry_direction) {
        notes.push(note);
    }
    notes.append(&mut detail_notes);
    // Banks repeat the entry's charges in its details; count the entry level when it has any,
    // else the details, never both.
    let entry_charges = charges(ctx, Field::new("Ntry"), &ntry.chrgs, currency)?;
    let detail_charges: Vec<&Charge> = details.iter().flat_map(|d| d.charges.iter()).collect();
    let counted: Vec<&Charge> = if entry_charges.is_empty() {
        detail_charges
    } else {
        entry_charges.iter().collect()
    };
    let charge_total = counted
        .iter()
        .filter(|c| c.currency == currency)
        .try_fold(Decimal::ZERO, |acc, c| acc.checked_add(c.amount));
    match charge_total {
        Some(total) if !total.is_zero() => notes.push(format!("charges:{total} {currency}")),
        Some(_) => {}
        None => notes.push("charges-overflow".to_string()),
    }

    let mut refs = References {
        account_servicer: text(&ntry.acct_svcr_ref),
        entry_ref: text(&ntry.ntry_ref),
        ..References::default()
    };
    let mut counterparty = Party::default();
    let mut entry_remittance = Remittance::default();
    let mut code = ntry.bk_tx_cd.as_ref().map(bank_tx_code).unwrap_or_default();
    if let [only] = details.as_slice() {
        (counterparty, entry_remittance) =
            adopt_single_detail(only, entry_direction, reversal, &mut refs, &mut code);
    } else {
        for (_, btch, _) in blocks() {
            if let Some(btch) = btch {
                refs.payment_info_id = refs
                    .payment_info_id
                    .take()
                    .or_else(|| text(&btch.pmt_inf_id));
                refs.message_id = refs.message_id.take().or_else(|| text(&btch.msg_id));
            }
        }
    }

    Ok(Entry {
        pos,
        amount,
        currency,
        direction: entry_direction,
        reversal,
        status: status(ctx, &ntry.sts)?,
        booking_date,
        value_date,
        booked_at,
        bank_tx_code: code,
        refs,
        counterparty,
        remittance: entry_remittance,
        additional_info: text(&ntry.addtl_ntry_inf),
        supplementary: None,
        funds_code: None,
        balance_after: None,
        details,
        amount_notes: notes,
    })
}

/// Details in the entry's currency, each signed by its own indicator (default: the entry's),
/// must add up to the entry amount: the note when they do not. Only checked when every detail
/// has an amount.
pub(crate) fn details_sum_note(
    details: &[TxDetail],
    amount: Decimal,
    currency: Currency,
    entry_direction: Option<Direction>,
) -> Option<String> {
    if details.is_empty()
        || !details
            .iter()
            .all(|d| d.amount.is_some() && d.currency == Some(currency))
    {
        return None;
    }
    let own = entry_direction.unwrap_or(Direction::Credit);
    let mut sum = Decimal::ZERO;
    let mut overflow = false;
    for d in details {
        let signed = d
            .direction
            .unwrap_or(own)
            .signed(d.amount.unwrap_or_default());
        match sum.checked_add(signed) {
            Some(s) => sum = s,
            None => overflow = true,
        }
    }
    if overflow {
        Some("details-sum-overflows".to_string())
    } else if sum != own.signed(amount) {
        Some(format!("details-sum-differs:{}", own.signed(sum)))
    } else {
        None
    }
}

/// A single transaction speaks for the entry: its references, remittance and the other party
/// become the entry's (a batch keeps them per detail only). Fills `refs` and `code` (when the
/// entry has none) and gives the counterparty and the remittance.
pub(crate) fn adopt_single_detail(
    only: &TxDetail,
    entry_direction: Option<Direction>,
    reversal: bool,
    refs: &mut References,
    code: &mut BankTxCode,
) -> (Party, Remittance) {
    let r = &only.refs;
    refs.account_servicer = refs
        .account_servicer
        .take()
        .or_else(|| r.account_servicer.clone());
    refs.end_to_end_id = r.end_to_end_id.clone();
    refs.instruction_id = r.instruction_id.clone();
    refs.transaction_id = r.transaction_id.clone();
    refs.message_id = r.message_id.clone();
    refs.payment_info_id = r.payment_info_id.clone();
    refs.mandate_id = r.mandate_id.clone();
    refs.cheque_number = r.cheque_number.clone();
    refs.uetr = r.uetr.clone();
    if *code == BankTxCode::default() {
        if let Some(c) = &only.bank_tx_code {
            *code = c.clone();
        }
    }
    // A reversal undoes a transfer that went the other way: a returned debit comes back as a
    // credit, and the other party is still the creditor of the original debit.
    let effective = entry_direction.map(|d| if reversal { d.opposite() } else { d });
    let counterparty = match effective {
        Some(Direction::Credit) => only.debtor.clone(),
        Some(Direction::Debit) => only.creditor.clone(),
        None => Party::default(),
    };
    (counterparty, only.remittance.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_take_the_currency_scale_exactly() {
        let ron = Currency::parse("RON").unwrap();
        assert_eq!(
            parse_camt_amount("5442.09000", ron).unwrap().to_string(),
            "5442.09"
        );
        assert_eq!(
            parse_camt_amount("2700", ron).unwrap().to_string(),
            "2700.00"
        );
        assert!(parse_camt_amount("1.001", ron).is_err());
        assert!(parse_camt_amount("1.000001", ron).is_err());
        assert!(parse_camt_amount("-1", ron).is_err());
        assert!(parse_camt_amount("1e3", ron).is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            parse_camt_amount("2700.00", jpy).unwrap().to_string(),
            "2700"
        );
        assert!(parse_camt_amount("2700.5", jpy).is_err());
    }

    #[test]
    fn plain_amounts_read_as_parse_amount_reads_them() {
        for text in [
            "0",
            "1",
            "125000.00",
            "5442.09000",
            "0.5",
            "999999999999999999",
            "999999999999999999.99999",
            "1000000000000000000",
            "100.",
            ".5",
            "1.2.3",
            "1,00",
            "",
            "1.123456",
            "00012.50",
            "+1",
            "-1",
            "1e3",
            "12 3",
        ] {
            let fast = parse_plain_digits(text, XSD_FRACTION_DIGITS);
            let slow = parse_amount(text, NumberFormat::Plain, XSD_FRACTION_DIGITS).ok();
            if let Some(fast) = fast {
                assert_eq!(Some(fast), slow, "{text}");
                assert_eq!(fast.scale(), slow.map_or(0, |s| s.scale()), "{text}");
            }
        }
        assert!(parse_plain_digits("125000.00", XSD_FRACTION_DIGITS).is_some());
    }

    #[test]
    fn dates_and_times_in_every_lexical_form() {
        assert_eq!(
            parse_date("2024-03-31"),
            NaiveDate::from_ymd_opt(2024, 3, 31)
        );
        assert_eq!(
            parse_date("2024-03-31+07:00"),
            NaiveDate::from_ymd_opt(2024, 3, 31)
        );
        assert_eq!(
            parse_date("2024-03-31Z"),
            NaiveDate::from_ymd_opt(2024, 3, 31)
        );
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("31.03.2024"), None);
        let at = parse_datetime("2025-07-24T06:10:29.000000000").unwrap();
        assert_eq!(at.to_string(), "2025-07-24 06:10:29");
        let at = parse_datetime("2020-11-24T11:00:00+01:00").unwrap();
        assert_eq!(at.to_string(), "2020-11-24 11:00:00");
        let at = parse_datetime("2020-11-24T11:00:00Z").unwrap();
        assert_eq!(at.to_string(), "2020-11-24 11:00:00");
        assert_eq!(
            parse_datetime("2020-11-24").unwrap().to_string(),
            "2020-11-24 00:00:00"
        );
        assert!(parse_datetime("2020-11-24T25:00:00").is_none());
    }
}
