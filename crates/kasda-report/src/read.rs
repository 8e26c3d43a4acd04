//! Reading the ledger for reports: every balance and movement goes through here, with the same
//! as-of and known-at filters, so all reports agree with each other and with a re-run.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use kasda_core::config::Config;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, StoredEntry};
use kasda_store::{
    AccountFlow, BookLine, FindingRecord, FindingStatus, OpenItem, Store, StoredStatement,
};
use rust_decimal::Decimal;

use crate::model::{ReportHeader, SignatureBlock};
use crate::{ReportError, ReportParams, MAX_REPORT_ENTRIES};

/// The store plus the filters every read of one report shares.
pub(crate) struct Reader<'a> {
    pub store: &'a mut dyn Store,
    pub ledger: &'a str,
    pub known_at: Option<DateTime<Utc>>,
    /// Entries read so far by this report (bounded by [`MAX_REPORT_ENTRIES`]).
    read_entries: usize,
}

pub(crate) fn day_before(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(1)).unwrap_or(d)
}

pub(crate) fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, ReportError> {
    a.checked_add(b)
        .ok_or_else(|| ReportError::Overflow(what.to_string()))
}

impl<'a> Reader<'a> {
    pub fn new(store: &'a mut dyn Store, ledger: &'a str, params: &ReportParams) -> Self {
        Reader {
            store,
            ledger,
            known_at: params.known_at,
            read_entries: 0,
        }
    }

    /// Debit-positive balance at the end of `as_of`.
    pub fn balance(&mut self, key: &AccountKey, as_of: NaiveDate) -> Result<Decimal, ReportError> {
        Ok(self
            .store
            .balance(self.ledger, key, Some(as_of), self.known_at)?)
    }

    /// Debit-positive balances of every account of a kind at the end of `as_of`.
    pub fn balances(
        &mut self,
        kind: AccountKind,
        as_of: NaiveDate,
    ) -> Result<BTreeMap<AccountKey, Decimal>, ReportError> {
        Ok(self
            .store
            .balances(self.ledger, Some(kind), Some(as_of), self.known_at)?
            .into_iter()
            .map(|b| (b.account, b.balance))
            .collect())
    }

    /// Entries posting to `key` booked within `from..=to` and known at the cut-off, in
    /// (booking date, seq) order.
    pub fn movements(
        &mut self,
        key: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<StoredEntry>, ReportError> {
        let mut entries = self.store.account_entries(self.ledger, key, from, to)?;
        if let Some(k) = self.known_at {
            entries.retain(|e| e.recorded_at <= k);
        }
        self.read_entries += entries.len();
        if self.read_entries > MAX_REPORT_ENTRIES {
            return Err(ReportError::Limit {
                what: format!("ledger entries read by one report (at account {key})"),
                limit: MAX_REPORT_ENTRIES,
                found: self.read_entries,
            });
        }
        entries.sort_by_key(|e| (e.entry.booked_on, e.seq));
        Ok(entries)
    }

    /// The cash-book lines of `key` booked within `from..=to` and known at the cut-off
    /// ([`Store::book_lines`]), in (booking date, seq) order; counted against
    /// [`MAX_REPORT_ENTRIES`] like the entries read.
    pub fn book_lines(
        &mut self,
        key: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
        kode_kinds: &[AccountKind],
    ) -> Result<Vec<BookLine>, ReportError> {
        let lines = self
            .store
            .book_lines(self.ledger, key, from, to, self.known_at, kode_kinds)?;
        self.read_entries += lines.len();
        if self.read_entries > MAX_REPORT_ENTRIES {
            return Err(ReportError::Limit {
                what: format!("ledger entries read by one report (at account {key})"),
                limit: MAX_REPORT_ENTRIES,
                found: self.read_entries,
            });
        }
        Ok(lines)
    }

    /// Facts of `kind` on `key` still open at the end of `as_of` as known at the cut-off
    /// ([`Store::open_items`]), in (booking date, seq) order; counted against
    /// [`MAX_REPORT_ENTRIES`] like the entries read.
    pub fn open_items(
        &mut self,
        key: &AccountKey,
        kind: EntryKind,
        as_of: NaiveDate,
    ) -> Result<Vec<OpenItem>, ReportError> {
        let items = self
            .store
            .open_items(self.ledger, key, kind, as_of, self.known_at)?;
        self.read_entries += items.len();
        if self.read_entries > MAX_REPORT_ENTRIES {
            return Err(ReportError::Limit {
                what: format!("ledger entries read by one report (open items of {key})"),
                limit: MAX_REPORT_ENTRIES,
                found: self.read_entries,
            });
        }
        Ok(items)
    }

    /// [`Reader::flows`] of one account ([`Store::account_flows_of`]).
    pub fn flows_of(
        &mut self,
        key: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AccountFlow>, ReportError> {
        Ok(self
            .store
            .account_flows_of(self.ledger, key, from, to, self.known_at)?)
    }

    /// One aggregate read of the period: per (account of `kinds`, day, entry kind) the net
    /// effect of the entries known at the cut-off, split by sign ([`Store::account_flows`]).
    pub fn flows(
        &mut self,
        kinds: &[AccountKind],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AccountFlow>, ReportError> {
        Ok(self
            .store
            .account_flows(self.ledger, kinds, from, to, self.known_at)?)
    }

    /// Money in and money out of one account over `from..=to`: its debits and credits from the
    /// per-day aggregate when there is no cut-off, else from [`Reader::flows`], which filters by
    /// recording time. (Flows split each entry's net effect by sign; the posting model never
    /// debits and credits one account in the same entry, so both give the same figures.)
    pub fn in_out(
        &mut self,
        key: &AccountKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(Decimal, Decimal), ReportError> {
        let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
        if from > to {
            return Ok((debits, credits));
        }
        if self.known_at.is_none() {
            for m in self.store.day_movements(self.ledger, key, from, to)? {
                debits = add(debits, m.debits, "money in")?;
                credits = add(credits, m.credits, "money out")?;
            }
        } else {
            for f in self.flows(&[key.kind()], from, to)? {
                if &f.account == key {
                    debits = add(debits, f.debits, "money in")?;
                    credits = add(credits, f.credits, "money out")?;
                }
            }
        }
        Ok((debits, credits))
    }

    /// Statements of one account that were imported at the cut-off.
    pub fn statements(&mut self, account: &str) -> Result<Vec<StoredStatement>, ReportError> {
        let sts = self.store.statements(self.ledger, Some(account))?;
        if let Some(k) = self.known_at {
            let files = self.store.files(self.ledger)?;
            let known: std::collections::HashSet<String> = files
                .into_iter()
                .filter(|f| f.imported_at <= k)
                .map(|f| f.file.sha256)
                .collect();
            return Ok(sts
                .into_iter()
                .filter(|s| known.contains(&s.file_sha256))
                .collect());
        }
        Ok(sts)
    }

    /// Findings as they stood at the cut-off: first seen by then, with the latest status known
    /// then.
    pub fn findings_at(&mut self) -> Result<Vec<(FindingRecord, FindingStatus)>, ReportError> {
        let all = self.store.findings(self.ledger, false)?;
        let mut out = Vec::new();
        for f in all {
            if self.known_at.is_some_and(|k| f.first_seen_at > k) {
                continue;
            }
            let status = match self.known_at {
                None => f.status,
                Some(k) => f
                    .events
                    .iter()
                    .rfind(|e| e.at <= k)
                    .map(|e| e.status)
                    .unwrap_or(f.finding.status),
            };
            out.push((f, status));
        }
        Ok(out)
    }
}

/// Debit-positive effect of an entry on one account.
pub(crate) fn effect_on(e: &StoredEntry, key: &AccountKey) -> Decimal {
    e.entry
        .postings
        .iter()
        .filter(|p| &p.account == key)
        .map(|p| p.debit_signed())
        .sum()
}

/// The closing balance a statement states (booked closing, else intermediate, else available),
/// with its date.
pub(crate) fn statement_closing(s: &StoredStatement) -> Option<(Decimal, Option<NaiveDate>)> {
    use kasda_core::statement::BalanceKind;
    let h = &s.header;
    let pick = h.closing.clone().or_else(|| {
        [
            BalanceKind::ClosingBooked,
            BalanceKind::IntermediateClosing,
            BalanceKind::ClosingAvailable,
        ]
        .iter()
        .find_map(|k| h.balances.iter().find(|b| &b.kind == k).cloned())
    })?;
    let date = pick
        .date
        .or(h.to.map(|t| t.date()))
        .or(h.created_at.map(|t| t.date()));
    Some((pick.amount, date))
}

/// Opening balance a statement states, with its date.
pub(crate) fn statement_opening(s: &StoredStatement) -> Option<(Decimal, Option<NaiveDate>)> {
    let h = &s.header;
    let b = h.opening.clone()?;
    let date = b.date.or(h.from.map(|t| t.date()));
    Some((b.amount, date))
}

/// The bank's closing balance of `account` on the last statement dated within `..=to`, with the
/// date it is stated for.
pub(crate) fn bank_closing_at(
    statements: &[StoredStatement],
    to: NaiveDate,
) -> Option<(Decimal, NaiveDate)> {
    statements
        .iter()
        .filter_map(|s| {
            let (amount, date) = statement_closing(s)?;
            let date = date?;
            (date <= to).then_some((date, s.run_id, s.index, amount))
        })
        .max_by_key(|(date, run, index, _)| (*date, *run, *index))
        .map(|(date, _, _, amount)| (amount, date))
}

/// The opening balance (saldo awal) booked in the ledger for `key` by `to`, as the report knows
/// it: the effect on the account of its opening-balance entries booked on or before `to` that are
/// not reversed (the store allows one). `None` when none is booked — the reports then carry the
/// first statement's opening balance as "belum dibukukan" instead.
pub(crate) fn booked_opening(
    r: &mut Reader<'_>,
    key: &AccountKey,
    to: NaiveDate,
) -> Result<Option<Decimal>, ReportError> {
    let items = r.open_items(key, EntryKind::OpeningBalance, to)?;
    if items.is_empty() {
        return Ok(None);
    }
    let mut total = Decimal::ZERO;
    for i in items {
        total = add(total, i.effect, "opening balance")?;
    }
    Ok(Some(total))
}

/// The opening balance of the earliest statement, with its date: the balance the ledger starts
/// from when no opening entry was posted.
pub(crate) fn first_opening(statements: &[StoredStatement]) -> Option<(Decimal, NaiveDate)> {
    statements
        .iter()
        .filter_map(|s| {
            let (amount, date) = statement_opening(s)?;
            Some((date?, s.run_id, s.index, amount))
        })
        .min_by_key(|(date, run, index, _)| (*date, *run, *index))
        .map(|(date, _, _, amount)| (amount, date))
}

/// The report header from the configuration and the parameters.
pub(crate) fn header(
    cfg: &Config,
    ledger: &str,
    params: &ReportParams,
    title: &str,
    subtitle: String,
) -> ReportHeader {
    ReportHeader {
        title: title.to_string(),
        subtitle,
        ledger: ledger.to_string(),
        pemda_code: cfg.pemda.code.clone(),
        pemda_name: cfg.pemda.name.clone(),
        fiscal_year: cfg.fiscal_year,
        period_from: params.from,
        period_to: params.to,
        known_at: params.known_at,
        zone: format!("{:?}", cfg.pemda.zone).to_uppercase(),
        generated_at: params.generated_at,
        number: params.number.clone(),
    }
}

/// A signature block for a configured role, or a blank block naming the role when the
/// configuration has none (the form must still be signable).
pub(crate) fn signature(
    cfg: &Config,
    roles: &[kasda_core::config::SignatoryRole],
    label: &str,
) -> SignatureBlock {
    match roles.iter().find_map(|r| cfg.signatory(*r)) {
        Some(s) => SignatureBlock {
            role: label.to_string(),
            title: s.title.clone(),
            name: s.name.clone(),
            nip: s.nip.clone(),
        },
        None => SignatureBlock {
            role: label.to_string(),
            title: String::new(),
            name: "(belum dikonfigurasi)".into(),
            nip: None,
        },
    }
}

/// Short document reference from a natural key (`sts:STS-001` → `STS STS-001`).
pub(crate) fn doc_ref(key: &str) -> Option<String> {
    let (kind, rest) = key.split_once(':')?;
    let label = match kind {
        "sts" => "STS",
        "sp2d" => "SP2D",
        "receipt" => "NTPD",
        "receipt-reversal" => "NTPD (batal)",
        _ => return None,
    };
    Some(format!("{label} {rest}"))
}

/// Every RKUD account number to report: configured ones plus any kas-daerah account the ledger
/// knows that the configuration does not (those must not disappear from a report).
pub(crate) fn rkud_accounts(
    r: &mut Reader<'_>,
    cfg: &Config,
    as_of: NaiveDate,
    only: Option<&str>,
) -> Result<Vec<String>, ReportError> {
    let known: Vec<String> = r
        .balances(AccountKind::KasDaerah, as_of)?
        .keys()
        .map(|k| k.qualifier().to_string())
        .collect();
    merge_accounts(
        cfg.rkud.iter().map(|a| a.account_number.as_str()),
        known,
        only,
    )
}

/// Configured account numbers (in the ledger's spelling when the ledger knows them, compared by
/// digits) followed by ledger accounts the configuration does not name; only `only` when given.
pub(crate) fn merge_accounts<'c>(
    configured: impl Iterator<Item = &'c str>,
    known: Vec<String>,
    only: Option<&str>,
) -> Result<Vec<String>, ReportError> {
    use kasda_core::config::normalize_account;
    let mut out: Vec<String> = Vec::new();
    for c in configured {
        let d = normalize_account(c);
        let spelled = known
            .iter()
            .find(|k| *k == c || (!d.is_empty() && normalize_account(k) == d))
            .cloned()
            .unwrap_or_else(|| c.to_string());
        if !out.contains(&spelled) {
            out.push(spelled);
        }
    }
    for k in known {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if let Some(only) = only {
        let digits = kasda_core::config::normalize_account(only);
        out.retain(|a| a == only || kasda_core::config::normalize_account(a) == digits);
        if out.is_empty() {
            return Err(ReportError::Params {
                field: "account".into(),
                expected: "an RKUD account of the configuration or the ledger".into(),
                found: only.to_string(),
            });
        }
    }
    Ok(out)
}
