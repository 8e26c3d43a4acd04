//! Consistency checks every statement file gets after reading, whatever its format.
//!
//! * balance: opening + credits − debits = closing per statement (booked entries only);
//! * entry booking dates inside the statement period;
//! * duplicate entries within the file;
//! * statement sequence / page continuity within the file;
//! * bank control totals (camt `TxsSummry`, MT942 `:90D:/:90C:`, SNAP totals) against entries.
//!
//! Findings are warnings, not errors: the file is still what the bank sent, and the treasurer
//! must see it with the finding attached. Figures are in [`CheckReport`] for reports.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use kasda_core::money::Direction;
use kasda_core::statement::{BalanceKind, Entry, EntryStatus, Statement, StatementFile};
use rust_decimal::Decimal;
use serde::Serialize;

/// Result of the balance check for one statement or a whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BalanceCheck {
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "mismatch")]
    Mismatch,
    /// No opening and closing balance to compare.
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl BalanceCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            BalanceCheck::Ok => "ok",
            BalanceCheck::Mismatch => "mismatch",
            BalanceCheck::NotApplicable => "n/a",
        }
    }
}

/// Balance arithmetic of one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// 1-based position of the statement in the file.
    pub statement: usize,
    pub opening: Option<Decimal>,
    /// Booked credits (reversals of debits included, as they are credits).
    pub credits: Decimal,
    /// Booked debits.
    pub debits: Decimal,
    /// opening + credits − debits.
    pub expected_closing: Option<Decimal>,
    pub closing: Option<Decimal>,
    pub status: BalanceCheck,
    /// Entries left out because they are pending or informational.
    pub excluded_entries: usize,
}

/// Everything the checks found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileChecks {
    pub balances: Vec<CheckReport>,
    pub warnings: Vec<String>,
}

impl FileChecks {
    /// `ok` when every statement with both balances adds up, `mismatch` when one does not,
    /// `n/a` when no statement has both.
    pub fn balance_check(&self) -> BalanceCheck {
        overall(&self.balances)
    }
}

pub fn overall(reports: &[CheckReport]) -> BalanceCheck {
    let mut any = false;
    for r in reports {
        match r.status {
            BalanceCheck::Mismatch => return BalanceCheck::Mismatch,
            BalanceCheck::Ok => any = true,
            BalanceCheck::NotApplicable => {}
        }
    }
    if any {
        BalanceCheck::Ok
    } else {
        BalanceCheck::NotApplicable
    }
}

/// Balance arithmetic of one statement (1-based `number`).
pub fn check_balance(number: usize, statement: &Statement) -> CheckReport {
    let mut credits = Decimal::ZERO;
    let mut debits = Decimal::ZERO;
    let mut excluded = 0;
    let mut overflow = false;
    for e in &statement.entries {
        if e.status != EntryStatus::Booked {
            excluded += 1;
            continue;
        }
        let slot = match e.direction {
            Some(Direction::Credit) => &mut credits,
            Some(Direction::Debit) => &mut debits,
            None => continue,
        };
        match slot.checked_add(e.amount) {
            Some(v) => *slot = v,
            None => overflow = true,
        }
    }
    let opening = statement.opening().map(|b| b.amount);
    let closing = statement.closing().map(|b| b.amount);
    let expected_closing = opening.and_then(|o| o.checked_add(credits)?.checked_sub(debits));
    let status = match (expected_closing, closing) {
        _ if overflow => BalanceCheck::Mismatch,
        (Some(x), Some(c)) if x == c => BalanceCheck::Ok,
        (Some(_), Some(_)) => BalanceCheck::Mismatch,
        _ => BalanceCheck::NotApplicable,
    };
    CheckReport {
        statement: number,
        opening,
        credits,
        debits,
        expected_closing,
        closing,
        status,
        excluded_entries: excluded,
    }
}

fn join(list: &[usize]) -> String {
    list.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs every check; does not change the file.
pub fn check(file: &StatementFile) -> FileChecks {
    let mut out = FileChecks::default();
    let mut mismatched = Vec::new();
    let mut excluded = false;
    let mut outside_period = Vec::new();
    let mut totals_off = Vec::new();
    for (i, s) in file.statements.iter().enumerate() {
        let r = check_balance(i + 1, s);
        if r.status == BalanceCheck::Mismatch {
            mismatched.push(i + 1);
        }
        if r.excluded_entries > 0 {
            excluded = true;
        }
        out.balances.push(r);
        if entries_outside_period(s) {
            outside_period.push(i + 1);
        }
        if totals_differ(s) {
            totals_off.push(i + 1);
        }
    }
    // camt reports without OPBD: the balance check starts from the previous closing (PRCD).
    if file.statements.iter().any(|s| {
        s.opening()
            .is_some_and(|b| b.kind == BalanceKind::PreviouslyClosedBooked)
    }) {
        out.warnings.push("opening-from-PRCD".into());
    }
    if file
        .statements
        .iter()
        .flat_map(|s| &s.entries)
        .any(|e| e.reversal)
    {
        out.warnings.push("reversal-entries".into());
    }
    if excluded {
        out.warnings
            .push("non-booked-entries-excluded-from-balance-check".into());
    }
    if !mismatched.is_empty() {
        out.warnings.push(format!(
            "balance-mismatch-in-statements:{}",
            join(&mismatched)
        ));
    }
    if !outside_period.is_empty() {
        out.warnings.push(format!(
            "entry-dates-outside-period-in-statements:{}",
            join(&outside_period)
        ));
    }
    if !totals_off.is_empty() {
        out.warnings.push(format!(
            "control-totals-mismatch-in-statements:{}",
            join(&totals_off)
        ));
    }
    let dups = duplicate_entries(file);
    if !dups.is_empty() {
        out.warnings
            .push(format!("duplicate-entries:{}", join(&dups)));
    }
    let gaps = sequence_gaps(file);
    if !gaps.is_empty() {
        out.warnings.push(format!("sequence-gap:{}", join(&gaps)));
    }
    out
}

/// Runs the checks and appends their warnings to the file (without repeating any).
pub fn apply(file: &mut StatementFile) -> FileChecks {
    let checks = check(file);
    for w in &checks.warnings {
        if !file.warnings.contains(w) {
            file.warnings.push(w.clone());
        }
    }
    checks
}

fn entries_outside_period(s: &Statement) -> bool {
    let from = s.from.map(|d| d.date());
    let to = s.to.map(|d| d.date());
    s.entries.iter().any(|e| match e.booking_date {
        Some(d) => from.is_some_and(|f| d < f) || to.is_some_and(|t| d > t),
        None => false,
    })
}

fn totals_differ(s: &Statement) -> bool {
    let Some(t) = &s.totals else {
        return false;
    };
    let side = |dir: Direction| {
        let mut n = 0u64;
        let mut sum = Decimal::ZERO;
        // Banks' control totals cover booked entries, like the balance check.
        for e in s
            .entries
            .iter()
            .filter(|e| e.direction == Some(dir) && e.status == EntryStatus::Booked)
        {
            n += 1;
            sum = sum.checked_add(e.amount).unwrap_or(sum);
        }
        (n, sum)
    };
    let (cn, cs) = side(Direction::Credit);
    let (dn, ds) = side(Direction::Debit);
    t.credit_count.is_some_and(|c| c != cn)
        || t.credit_sum.is_some_and(|c| c != cs)
        || t.debit_count.is_some_and(|c| c != dn)
        || t.debit_sum.is_some_and(|c| c != ds)
}

/// The multiply-rotate hash of rustc's FxHash: duplicate detection hashes every entry of a
/// file and has no adversary to defend against (a collision only costs a field comparison).
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Hash of everything the bank said about an entry except its position: two entries with
/// the same hash are compared field by field by [`same_entry`].
fn entry_hash(e: &Entry) -> u64 {
    let mut h = FxHasher(0);
    e.booking_date.hash(&mut h);
    e.value_date.hash(&mut h);
    e.amount.normalize().hash(&mut h);
    e.direction.hash(&mut h);
    e.reversal.hash(&mut h);
    e.refs.account_servicer.hash(&mut h);
    e.refs.customer_ref.hash(&mut h);
    e.refs.end_to_end_id.hash(&mut h);
    e.refs.transaction_id.hash(&mut h);
    e.remittance.unstructured.hash(&mut h);
    e.additional_info.hash(&mut h);
    h.finish()
}

fn same_entry(a: &Entry, b: &Entry) -> bool {
    a.booking_date == b.booking_date
        && a.value_date == b.value_date
        && a.amount == b.amount
        && a.direction == b.direction
        && a.reversal == b.reversal
        && a.status == b.status
        && a.refs == b.refs
        && a.bank_tx_code == b.bank_tx_code
        && a.counterparty == b.counterparty
        && a.remittance == b.remittance
        && a.additional_info == b.additional_info
        && a.supplementary == b.supplementary
        // A running balance that moved between two otherwise identical rows shows two bookings.
        && a.balance_after == b.balance_after
}

/// 1-based file-wide positions of entries identical to an earlier entry of the same file.
pub fn duplicate_entries(file: &StatementFile) -> Vec<usize> {
    let all: Vec<&Entry> = file.statements.iter().flat_map(|s| &s.entries).collect();
    let mut seen: HashMap<u64, Vec<usize>> = HashMap::with_capacity(all.len());
    let mut dups = Vec::new();
    for (n, e) in all.iter().enumerate() {
        let bucket = seen.entry(entry_hash(e)).or_default();
        if bucket.iter().any(|&m| same_entry(all[m], e)) {
            dups.push(n + 1);
        } else {
            bucket.push(n);
        }
    }
    dups
}

/// 1-based positions of statements whose sequence number does not follow the previous
/// statement of the same account: the next number, or the same number with the next page.
/// Numbers `0` (banks that do not number) and non-numeric numbers are not checked.
pub fn sequence_gaps(file: &StatementFile) -> Vec<usize> {
    let mut last: HashMap<String, (u64, Option<u32>)> = HashMap::new();
    let mut gaps = Vec::new();
    for (i, s) in file.statements.iter().enumerate() {
        let Some(seq) = s
            .electronic_seq
            .as_deref()
            .and_then(|t| t.trim().parse::<u64>().ok())
        else {
            continue;
        };
        if seq == 0 {
            continue;
        }
        let account = s.account.key().unwrap_or("").to_string();
        if let Some(&(prev, prev_page)) = last.get(&account) {
            let ok = seq == prev + 1
                || (seq == prev
                    && match (prev_page, s.page) {
                        (Some(p), Some(q)) => q == p + 1,
                        _ => true,
                    });
            if !ok {
                gaps.push(i + 1);
            }
        }
        last.insert(account, (seq, s.page));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasda_core::money::Currency;
    use kasda_core::statement::Balance;
    use rust_decimal_macros::dec;

    fn entry(amount: Decimal, dir: Direction, status: EntryStatus) -> Entry {
        Entry {
            amount,
            direction: Some(dir),
            status,
            ..Entry::default()
        }
    }

    fn stmt(open: Decimal, close: Decimal, entries: Vec<Entry>) -> Statement {
        let bal = |kind, amount| Balance {
            kind,
            amount,
            currency: Currency::IDR,
            date: None,
        };
        Statement {
            balances: vec![
                bal(BalanceKind::OpeningBooked, open),
                bal(BalanceKind::ClosingBooked, close),
            ],
            entries,
            ..Statement::default()
        }
    }

    #[test]
    fn balance_check_excludes_pending_and_names_mismatching_statements() {
        let ok = stmt(
            dec!(100),
            dec!(150),
            vec![
                entry(dec!(75), Direction::Credit, EntryStatus::Booked),
                entry(dec!(25), Direction::Debit, EntryStatus::Booked),
                entry(dec!(999), Direction::Credit, EntryStatus::Pending),
            ],
        );
        let bad = stmt(
            dec!(0),
            dec!(10),
            vec![entry(dec!(5), Direction::Credit, EntryStatus::Booked)],
        );
        let mut file = StatementFile {
            statements: vec![ok, bad],
            ..StatementFile::default()
        };
        let c = apply(&mut file);
        assert_eq!(c.balances[0].status, BalanceCheck::Ok);
        assert_eq!(c.balances[0].expected_closing, Some(dec!(150)));
        assert_eq!(c.balances[1].expected_closing, Some(dec!(5)));
        assert_eq!(c.balance_check(), BalanceCheck::Mismatch);
        assert!(file
            .warnings
            .contains(&"balance-mismatch-in-statements:2".to_string()));
        assert!(file
            .warnings
            .contains(&"non-booked-entries-excluded-from-balance-check".to_string()));
    }

    #[test]
    fn no_balances_is_not_applicable() {
        let s = Statement {
            entries: vec![entry(dec!(1), Direction::Debit, EntryStatus::Booked)],
            ..Statement::default()
        };
        assert_eq!(check_balance(1, &s).status, BalanceCheck::NotApplicable);
        assert_eq!(
            overall(&[check_balance(1, &s)]),
            BalanceCheck::NotApplicable
        );
    }

    #[test]
    fn duplicates_gaps_and_totals() {
        let e = entry(dec!(5), Direction::Credit, EntryStatus::Booked);
        let mut s1 = stmt(dec!(0), dec!(10), vec![e.clone(), e.clone()]);
        s1.electronic_seq = Some("7".into());
        let mut s2 = stmt(dec!(10), dec!(10), vec![]);
        s2.electronic_seq = Some("9".into());
        s2.totals = Some(kasda_core::statement::ControlTotals {
            credit_count: Some(1),
            ..Default::default()
        });
        let file = StatementFile {
            statements: vec![s1, s2],
            ..StatementFile::default()
        };
        let c = check(&file);
        assert!(
            c.warnings.contains(&"duplicate-entries:2".to_string()),
            "{:?}",
            c.warnings
        );
        assert!(c.warnings.contains(&"sequence-gap:2".to_string()));
        assert!(c
            .warnings
            .contains(&"control-totals-mismatch-in-statements:2".to_string()));
    }
}
