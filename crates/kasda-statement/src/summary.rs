//! The per-file summary behind `kasda statement inspect --format json`.
//!
//! Opening and closing balance are those of the first statement (the figures a treasurer reads
//! first on a rekening koran); sums are over every entry of the file, pending ones included,
//! while the balance check uses booked entries only (see [`crate::checks`]).

use kasda_core::money::{canonical, Currency, Direction};
use kasda_core::statement::StatementFile;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::checks::{self, BalanceCheck};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub statements: usize,
    pub entries: usize,
    pub sum_credit: Decimal,
    pub sum_debit: Decimal,
    /// Opening balance of the first statement.
    pub opening_balance: Option<Decimal>,
    /// Closing balance of the first statement.
    pub closing_balance: Option<Decimal>,
    pub currency: Option<Currency>,
    pub balance_check: BalanceCheck,
}

/// The currency a file is in: the first statement's account currency, else its first balance,
/// else its first entry.
pub fn file_currency(file: &StatementFile) -> Option<Currency> {
    let s = file.statements.first()?;
    s.account
        .currency
        .or_else(|| s.balances.first().map(|b| b.currency))
        .or_else(|| s.entries.first().map(|e| e.currency))
}

pub fn summarize(file: &StatementFile) -> Summary {
    let mut sum_credit = Decimal::ZERO;
    let mut sum_debit = Decimal::ZERO;
    let mut entries = 0;
    for e in file.statements.iter().flat_map(|s| &s.entries) {
        entries += 1;
        match e.direction {
            Some(Direction::Credit) => sum_credit = sum_credit.saturating_add(e.amount),
            Some(Direction::Debit) => sum_debit = sum_debit.saturating_add(e.amount),
            None => {}
        }
    }
    let first = file.statements.first();
    Summary {
        statements: file.statements.len(),
        entries,
        sum_credit,
        sum_debit,
        opening_balance: first.and_then(|s| s.opening()).map(|b| b.amount),
        closing_balance: first.and_then(|s| s.closing()).map(|b| b.amount),
        currency: file_currency(file),
        balance_check: checks::check(file).balance_check(),
    }
}

fn amount(v: Decimal, currency: Option<Currency>) -> Value {
    Value::String(canonical(v, currency.unwrap_or_default()))
}

/// `{file, format, version, statements, summary{…}, warnings}` with amounts as decimal strings.
pub fn inspect_json(file_name: &str, file: &StatementFile) -> Value {
    let s = summarize(file);
    let c = s.currency;
    let opt = |v: Option<Decimal>| v.map_or(Value::Null, |v| amount(v, c));
    json!({
        "file": file_name,
        "format": file.format.as_ref().map(|f| f.id()),
        "version": file.version,
        "statements": file.statements,
        "summary": {
            "statements": s.statements,
            "entries": s.entries,
            "sum_credit": amount(s.sum_credit, c),
            "sum_debit": amount(s.sum_debit, c),
            "opening_balance": opt(s.opening_balance),
            "closing_balance": opt(s.closing_balance),
            "currency": c.map(|c| c.to_string()),
            "balance_check": s.balance_check.as_str(),
        },
        "warnings": file.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasda_core::statement::{Balance, BalanceKind, Entry, Statement, StatementFormat};
    use rust_decimal_macros::dec;

    #[test]
    fn summary_uses_first_statement_balances_and_all_entries() {
        let bal = |kind, amount| Balance {
            kind,
            amount,
            currency: Currency::IDR,
            date: None,
        };
        let e = |a, d| Entry {
            amount: a,
            direction: Some(d),
            ..Entry::default()
        };
        let s1 = Statement {
            balances: vec![
                bal(BalanceKind::OpeningBooked, dec!(100)),
                bal(BalanceKind::ClosingBooked, dec!(90)),
            ],
            entries: vec![e(dec!(10), Direction::Debit)],
            ..Statement::default()
        };
        let s2 = Statement {
            balances: vec![
                bal(BalanceKind::OpeningBooked, dec!(90)),
                bal(BalanceKind::ClosingBooked, dec!(95)),
            ],
            entries: vec![e(dec!(5), Direction::Credit)],
            ..Statement::default()
        };
        let file = StatementFile {
            format: Some(StatementFormat::Mt940),
            statements: vec![s1, s2],
            ..StatementFile::default()
        };
        let s = summarize(&file);
        assert_eq!(
            (s.opening_balance, s.closing_balance),
            (Some(dec!(100)), Some(dec!(90)))
        );
        assert_eq!(
            (s.sum_credit, s.sum_debit, s.entries),
            (dec!(5), dec!(10), 2)
        );
        assert_eq!(s.balance_check, BalanceCheck::Ok);
        let j = inspect_json("x.sta", &file);
        assert_eq!(j["summary"]["sum_credit"], "5.00");
        assert_eq!(j["summary"]["opening_balance"], "100.00");
        assert_eq!(j["summary"]["balance_check"], "ok");
        assert_eq!(j["format"], "mt940");
        assert_eq!(j["statements"].as_array().map(Vec::len), Some(2));
    }
}
