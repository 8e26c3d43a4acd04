//! Daily position of kas daerah (DOMAIN §7.5): per RKUD and holding account the opening
//! balance, money in and out on the day, the ledger's closing balance beside the bank's, what is
//! still unidentified or unswept, money in transit per channel, cash held by bendahara
//! penerimaan, and open findings by rule and age.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use kasda_core::config::{Config, SignatoryRole};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind};
use kasda_store::{FindingStatus, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fmt;
use crate::model::{
    Cell, Chart, ChartKind, ChartSeries, Column, Report, ReportData, ReportKind, Row, RowStyle,
    Section, SCHEMA_VERSION,
};
use crate::read::{
    add, bank_closing_at, booked_opening, day_before, first_opening, header, merge_accounts,
    signature, Reader,
};
use crate::{ReportError, ReportParams};

/// Days of history in the kas position chart.
pub const CHART_DAYS: u64 = 30;

/// Age buckets of open findings, in days since the date the finding is about.
pub const AGE_BUCKETS: [(i64, i64, &str); 4] = [
    (0, 1, "0-1 hari"),
    (2, 7, "2-7 hari"),
    (8, 30, "8-30 hari"),
    (31, i64::MAX, ">30 hari"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Rkud,
    Penampungan,
}

/// One bank account on the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPosition {
    pub account: String,
    pub account_type: AccountType,
    pub bank: String,
    pub label: String,
    /// Ledger balance at the end of the previous day.
    pub opening: Decimal,
    /// Debits to the cash account on the day.
    pub inflow: Decimal,
    /// Credits to the cash account on the day.
    pub outflow: Decimal,
    /// Ledger balance at the end of the day.
    pub closing: Decimal,
    /// Bank's closing balance on the last statement dated on or before the day, and its date.
    pub bank_closing: Option<Decimal>,
    pub bank_closing_date: Option<NaiveDate>,
    /// Opening balance of the account's first statement that the ledger does not carry, while no
    /// saldo awal is booked (zero once one is): bank − ledger differ by it by construction.
    pub opening_not_posted: Decimal,
    /// bank_closing − closing − opening_not_posted (zero when statements and ledger agree).
    pub difference: Option<Decimal>,
    /// Credits on the account not yet identified (suspense, credit balance shown positive).
    pub unidentified_credits: Decimal,
    /// Debits on the account not yet identified.
    pub unidentified_debits: Decimal,
    /// Holding accounts: balance not yet swept to the RKUD.
    pub unswept: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedAmount {
    pub name: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingAge {
    pub rule: String,
    /// Count per [`AGE_BUCKETS`] bucket.
    pub counts: Vec<u64>,
    /// Amount per bucket (findings without an amount count zero).
    pub amounts: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionData {
    pub date: NaiveDate,
    pub accounts: Vec<AccountPosition>,
    pub total_rkud_closing: Decimal,
    pub total_holding_closing: Decimal,
    /// Dana dalam perjalanan per channel at the end of the day (debit balance).
    pub in_transit: Vec<NamedAmount>,
    /// Kas di bendahara penerimaan per OPD.
    pub at_bendahara: Vec<NamedAmount>,
    /// Collected per channel on the day (receipts less reversals).
    pub collected_by_channel: Vec<NamedAmount>,
    pub open_findings: Vec<FindingAge>,
    /// (day, total RKUD ledger balance) for the chart.
    pub history: Vec<(NaiveDate, Decimal)>,
}

fn credit_normal(balance: Decimal) -> Decimal {
    -balance
}

pub fn build_daily_position(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    let day = params.to;
    let mut r = Reader::new(store, ledger, params);
    let prev = day_before(day);

    let rkud_known: Vec<String> = r
        .balances(AccountKind::KasDaerah, day)?
        .keys()
        .map(|k| k.qualifier().to_string())
        .collect();
    let holding_known: Vec<String> = r
        .balances(AccountKind::KasPenampungan, day)?
        .keys()
        .map(|k| k.qualifier().to_string())
        .collect();
    let only = params.account.as_deref();
    let rkud = merge_accounts(
        cfg.rkud.iter().map(|a| a.account_number.as_str()),
        rkud_known,
        None,
    )?;
    let holding = merge_accounts(
        cfg.holding.iter().map(|a| a.account_number.as_str()),
        holding_known,
        None,
    )?;
    let digits = |a: &str| kasda_core::config::normalize_account(a);
    let wanted = |a: &str| only.is_none_or(|o| o == a || digits(o) == digits(a));

    // One aggregate read of the day: money in and out per cash account, collections per
    // channel (instead of reading every account's entries).
    let mut in_out: BTreeMap<AccountKey, (Decimal, Decimal)> = BTreeMap::new();
    let mut booked_today: BTreeMap<AccountKey, Decimal> = BTreeMap::new();
    let mut collected: BTreeMap<String, Decimal> = BTreeMap::new();
    for f in r.flows(
        &[
            AccountKind::KasDaerah,
            AccountKind::KasPenampungan,
            AccountKind::DanaDalamPerjalanan,
        ],
        day,
        day,
    )? {
        if f.account.kind() == AccountKind::DanaDalamPerjalanan {
            if matches!(
                f.entry_kind,
                EntryKind::Receipt | EntryKind::ReceiptReversal
            ) {
                let slot = collected
                    .entry(f.account.qualifier().to_string())
                    .or_default();
                *slot = add(*slot, f.debits - f.credits, "collections")?;
            }
            continue;
        }
        if f.entry_kind == EntryKind::OpeningBalance {
            // A saldo awal booked on the day opens the account; it is no inflow or outflow.
            let slot = booked_today.entry(f.account.clone()).or_default();
            *slot = add(*slot, f.debits - f.credits, "saldo awal")?;
            continue;
        }
        let slot = in_out.entry(f.account.clone()).or_default();
        slot.0 = add(slot.0, f.debits, "inflow")?;
        slot.1 = add(slot.1, f.credits, "outflow")?;
    }

    let mut accounts = Vec::new();
    for (list, kind, ty) in [
        (&rkud, AccountKind::KasDaerah, AccountType::Rkud),
        (
            &holding,
            AccountKind::KasPenampungan,
            AccountType::Penampungan,
        ),
    ] {
        for number in list.iter().filter(|a| wanted(a)) {
            let key = AccountKey::new(kind, number.as_str());
            let opening = add(
                r.balance(&key, prev)?,
                booked_today.get(&key).copied().unwrap_or_default(),
                "opening",
            )?;
            let closing = r.balance(&key, day)?;
            let (inflow, outflow) = in_out.get(&key).copied().unwrap_or_default();
            if opening + inflow - outflow != closing {
                return Err(ReportError::Inconsistent(format!(
                    "account {key} on {day}: opening {opening} + in {inflow} - out {outflow} != closing {closing}"
                )));
            }
            let statements = r.statements(number)?;
            let bank = bank_closing_at(&statements, day);
            // Once a saldo awal is booked the ledger carries it: a difference from the bank's
            // opening balance then shows in `difference`, not as an unbooked opening.
            let opening_not_posted = match first_opening(&statements) {
                Some(_) if booked_opening(&mut r, &key, day)?.is_some() => Decimal::ZERO,
                Some((amount, date)) => amount - r.balance(&key, day_before(date))?,
                None => Decimal::ZERO,
            };
            let pbt = AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, number.as_str());
            let pgbt = AccountKey::new(
                AccountKind::PengeluaranBelumTeridentifikasi,
                number.as_str(),
            );
            let unidentified_credits = credit_normal(r.balance(&pbt, day)?);
            let unidentified_debits = r.balance(&pgbt, day)?;
            let (bank_name, label) = match ty {
                AccountType::Rkud => cfg
                    .rkud_account(number)
                    .map(|a| (a.bank.clone(), a.label.clone()))
                    .unwrap_or_else(|| ("(tidak terdaftar)".into(), String::new())),
                AccountType::Penampungan => cfg
                    .holding_account(number)
                    .map(|a| (a.bank.clone(), a.label.clone()))
                    .unwrap_or_else(|| ("(tidak terdaftar)".into(), String::new())),
            };
            accounts.push(AccountPosition {
                account: number.clone(),
                account_type: ty,
                bank: bank_name,
                label,
                opening,
                inflow,
                outflow,
                closing,
                bank_closing: bank.map(|b| b.0),
                bank_closing_date: bank.map(|b| b.1),
                opening_not_posted,
                difference: bank.map(|b| b.0 - closing - opening_not_posted),
                unidentified_credits,
                unidentified_debits,
                unswept: if ty == AccountType::Penampungan {
                    closing
                } else {
                    Decimal::ZERO
                },
            });
        }
    }
    let total_rkud_closing = accounts
        .iter()
        .filter(|a| a.account_type == AccountType::Rkud)
        .map(|a| a.closing)
        .sum();
    let total_holding_closing = accounts
        .iter()
        .filter(|a| a.account_type == AccountType::Penampungan)
        .map(|a| a.closing)
        .sum();

    let in_transit: Vec<NamedAmount> = r
        .balances(AccountKind::DanaDalamPerjalanan, day)?
        .into_iter()
        .map(|(k, b)| NamedAmount {
            name: k.qualifier().to_string(),
            amount: b,
        })
        .collect();
    let at_bendahara: Vec<NamedAmount> = r
        .balances(AccountKind::KasBendaharaPenerimaan, day)?
        .into_iter()
        .map(|(k, b)| NamedAmount {
            name: cfg
                .opd(k.qualifier())
                .map(|o| format!("{} {}", o.code, o.name))
                .unwrap_or_else(|| k.qualifier().to_string()),
            amount: b,
        })
        .collect();
    let collected_by_channel: Vec<NamedAmount> = in_transit
        .iter()
        .map(|ch| NamedAmount {
            name: ch.name.clone(),
            amount: collected.get(&ch.name).copied().unwrap_or_default(),
        })
        .collect();

    // Findings open at the cut-off, about dates up to the day, by rule and age.
    let mut by_rule: BTreeMap<String, FindingAge> = BTreeMap::new();
    for (f, status) in r.findings_at()? {
        if status != FindingStatus::Open || f.finding.as_of > day {
            continue;
        }
        let age = (day - f.finding.as_of).num_days();
        let Some(bucket) = AGE_BUCKETS
            .iter()
            .position(|(lo, hi, _)| age >= *lo && age <= *hi)
        else {
            continue;
        };
        let slot = by_rule
            .entry(f.finding.rule.clone())
            .or_insert_with(|| FindingAge {
                rule: f.finding.rule.clone(),
                counts: vec![0; AGE_BUCKETS.len()],
                amounts: vec![Decimal::ZERO; AGE_BUCKETS.len()],
            });
        if let (Some(c), Some(a)) = (slot.counts.get_mut(bucket), slot.amounts.get_mut(bucket)) {
            *c += 1;
            *a = add(*a, f.finding.amount.unwrap_or_default().abs(), "findings")?;
        }
    }
    let open_findings: Vec<FindingAge> = by_rule.into_values().collect();

    let mut history = Vec::new();
    let start = day
        .checked_sub_days(Days::new(CHART_DAYS - 1))
        .unwrap_or(day);
    let rkud_keys: Vec<AccountKey> = accounts
        .iter()
        .filter(|a| a.account_type == AccountType::Rkud)
        .map(|a| AccountKey::new(AccountKind::KasDaerah, a.account.as_str()))
        .collect();
    let mut d = start;
    while d <= day {
        let mut total = Decimal::ZERO;
        for k in &rkud_keys {
            total = add(total, r.balance(k, d)?, "history")?;
        }
        history.push((d, total));
        d = match d.succ_opt() {
            Some(n) => n,
            None => break,
        };
    }

    let data = PositionData {
        date: day,
        accounts,
        total_rkud_closing,
        total_holding_closing,
        in_transit,
        at_bendahara,
        collected_by_channel,
        open_findings,
        history,
    };
    let mut p = params.clone();
    p.from = day;
    let mut head = header(
        cfg,
        ledger,
        &p,
        "POSISI KAS DAERAH HARIAN",
        format!("Tanggal {}", fmt::date_long(day)),
    );
    head.period_from = day;
    let (sections, notes, charts) = layout(&data);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::DailyPosition,
        header: head,
        data: ReportData::DailyPosition(data),
        sections,
        notes,
        signatures: vec![signature(
            cfg,
            &[SignatoryRole::KuasaBud, SignatoryRole::Bud],
            "Kuasa BUD",
        )],
        charts,
    })
}

fn money_or_empty(v: Option<Decimal>) -> Cell {
    v.map(Cell::Money).unwrap_or(Cell::Empty)
}

fn layout(d: &PositionData) -> (Vec<Section>, Vec<String>, Vec<Chart>) {
    let mut s = Section::new(
        "A. Posisi per rekening (ledger)",
        vec![
            Column::text("Rekening"),
            Column::text("Jenis"),
            Column::text("Bank"),
            Column::money("Saldo awal"),
            Column::money("Penerimaan"),
            Column::money("Pengeluaran"),
            Column::money("Saldo akhir"),
        ],
    );
    let mut s2 = Section::new(
        "A2. Saldo bank, selisih dan pos belum selesai",
        vec![
            Column::text("Rekening"),
            Column::money("Saldo rekening koran"),
            Column::date("Tgl rek. koran"),
            Column::money("Saldo awal belum dibukukan"),
            Column::money("Selisih"),
            Column::money("Kredit belum teridentifikasi"),
            Column::money("Debit belum teridentifikasi"),
            Column::money("Belum disapu"),
        ],
    );
    for a in &d.accounts {
        s.rows.push(Row::new(vec![
            Cell::text(&a.account),
            Cell::text(match a.account_type {
                AccountType::Rkud => "RKUD",
                AccountType::Penampungan => "penampungan",
            }),
            Cell::text(&a.bank),
            Cell::Money(a.opening),
            Cell::Money(a.inflow),
            Cell::Money(a.outflow),
            Cell::Money(a.closing),
        ]));
        s2.rows.push(Row::new(vec![
            Cell::text(&a.account),
            money_or_empty(a.bank_closing),
            a.bank_closing_date.map(Cell::Date).unwrap_or(Cell::Empty),
            Cell::Money(a.opening_not_posted),
            money_or_empty(a.difference),
            Cell::Money(a.unidentified_credits),
            Cell::Money(a.unidentified_debits),
            Cell::Money(a.unswept),
        ]));
    }
    s.rows.push(Row::styled(
        RowStyle::Total,
        vec![
            Cell::text("Jumlah RKUD"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Money(d.total_rkud_closing),
        ],
    ));

    let mut t = Section::new(
        "B. Dana dalam perjalanan per channel",
        vec![
            Column::text("Channel"),
            Column::money("Dipungut hari ini"),
            Column::money("Saldo dalam perjalanan"),
        ],
    );
    for c in &d.in_transit {
        let collected = d
            .collected_by_channel
            .iter()
            .find(|x| x.name == c.name)
            .map(|x| x.amount)
            .unwrap_or_default();
        t.rows.push(Row::new(vec![
            Cell::text(&c.name),
            Cell::Money(collected),
            Cell::Money(c.amount),
        ]));
    }
    let mut b = Section::new(
        "C. Kas di bendahara penerimaan",
        vec![Column::text("OPD"), Column::money("Saldo")],
    );
    for o in &d.at_bendahara {
        b.rows
            .push(Row::new(vec![Cell::text(&o.name), Cell::Money(o.amount)]));
    }
    let mut cols = vec![Column::text("Jenis temuan")];
    for (_, _, label) in AGE_BUCKETS {
        cols.push(Column::integer(label));
    }
    cols.push(Column::money("Nilai"));
    let mut f = Section::new("D. Temuan terbuka menurut umur", cols);
    for x in &d.open_findings {
        let mut cells = vec![Cell::text(&x.rule)];
        cells.extend(x.counts.iter().map(|c| Cell::Integer(*c as i64)));
        cells.push(Cell::Money(x.amounts.iter().copied().sum()));
        f.rows.push(Row::new(cells));
    }
    let mut notes = vec![format!(
        "Saldo kas di RKUD menurut ledger akhir hari: {} {}",
        fmt::rupiah(d.total_rkud_closing),
        fmt::terbilang_sentence(d.total_rkud_closing)
    )];
    for a in &d.accounts {
        if let Some(diff) = a.difference.filter(|x| !x.is_zero()) {
            notes.push(format!(
                "Rekening {}: saldo rekening koran dan ledger berselisih {} (periksa kelengkapan rekening koran).",
                a.account,
                fmt::rupiah(diff)
            ));
        }
    }
    let charts = vec![
        Chart {
            title: "Posisi kas RKUD harian".into(),
            kind: ChartKind::Line,
            labels: d.history.iter().map(|(x, _)| fmt::date_short(*x)).collect(),
            series: vec![ChartSeries {
                name: "Saldo RKUD".into(),
                values: d.history.iter().map(|(_, v)| *v).collect(),
            }],
        },
        Chart {
            title: "Penerimaan per channel".into(),
            kind: ChartKind::Bar,
            labels: d
                .collected_by_channel
                .iter()
                .map(|c| c.name.clone())
                .collect(),
            series: vec![ChartSeries {
                name: "Dipungut".into(),
                values: d.collected_by_channel.iter().map(|c| c.amount).collect(),
            }],
        },
        Chart {
            title: "Temuan terbuka menurut umur".into(),
            kind: ChartKind::Bar,
            labels: AGE_BUCKETS.iter().map(|b| b.2.to_string()).collect(),
            series: vec![ChartSeries {
                name: "Jumlah temuan".into(),
                values: (0..AGE_BUCKETS.len())
                    .map(|i| {
                        Decimal::from(
                            d.open_findings
                                .iter()
                                .map(|x| x.counts.get(i).copied().unwrap_or(0))
                                .sum::<u64>(),
                        )
                    })
                    .collect(),
            }],
        },
    ];
    (vec![s, s2, t, b, f], notes, charts)
}
