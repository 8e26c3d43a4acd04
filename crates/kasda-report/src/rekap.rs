//! Rekapitulasi penerimaan (DOMAIN §7.2): realisation per kode rekening against the budget
//! (anggaran, `kasda.toml` `[targets]`) with subtotals at every level of the code, by RKUD credit
//! date (Pendapatan-LRA: cash reached the RKUD) beside what was collected by payment date
//! (Penerimaan belum masuk RKUD credited by receipts and STS), and drill-downs per OPD, channel
//! and day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use kasda_core::config::{Config, SignatoryRole};
use kasda_core::kode_rekening::KodeRekening;
use kasda_core::ledger::{AccountKind, EntryKind};
use kasda_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fmt;
use crate::model::{
    Cell, Chart, ChartKind, ChartSeries, Column, Report, ReportData, ReportKind, Row, RowStyle,
    Section, SCHEMA_VERSION,
};
use crate::read::{add, day_before, header, signature, Reader};
use crate::{ReportError, ReportParams};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RekapRow {
    pub kode_rekening: String,
    pub name: String,
    /// 1 (akun) … 6 (sub rincian objek); 0 for a code the chart cannot parse.
    pub level: usize,
    /// Whether the row sums the rows below it.
    pub subtotal: bool,
    pub budget: Option<Decimal>,
    /// Realisation (Pendapatan-LRA) since 1 January up to the day before the period.
    pub before: Decimal,
    pub period: Decimal,
    pub to_date: Decimal,
    /// to_date / budget × 100, two decimals.
    pub percent: Option<Decimal>,
    /// budget − to_date (negative: realised above budget).
    pub remaining: Option<Decimal>,
    /// Collected in the period by payment date (receipts and STS, less reversals).
    pub collected_period: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupAmount {
    pub key: String,
    pub name: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RekapData {
    pub rows: Vec<RekapRow>,
    pub total_budget: Decimal,
    pub total_before: Decimal,
    pub total_period: Decimal,
    pub total_to_date: Decimal,
    pub total_collected_period: Decimal,
    /// Realisation in the period per OPD (by the OPD's configured revenue codes).
    pub by_opd: Vec<GroupAmount>,
    /// Collected in the period per channel (receipts less reversals).
    pub by_channel: Vec<GroupAmount>,
    /// Realisation per day of the period.
    pub by_day: Vec<(NaiveDate, Decimal)>,
}

fn pct(part: Decimal, whole: Option<Decimal>) -> Option<Decimal> {
    let w = whole.filter(|w| !w.is_zero())?;
    part.checked_mul(Decimal::from(100))
        .and_then(|x| x.checked_div(w))
        .map(|x| x.round_dp(2))
}

pub fn build_rekap(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    let chart = cfg
        .chart()
        .map_err(|e| ReportError::Config(e.to_string()))?;
    let mut r = Reader::new(store, ledger, params);
    let year_start = NaiveDate::from_ymd_opt(cfg.fiscal_year, 1, 1).unwrap_or(params.from);
    if params.from < year_start {
        return Err(ReportError::Params {
            field: "from".into(),
            expected: format!("a date in fiscal year {}", cfg.fiscal_year),
            found: params.from.to_string(),
        });
    }
    // Credit-normal balances shown positive.
    let lra =
        |r: &mut Reader<'_>, d: NaiveDate| -> Result<BTreeMap<String, Decimal>, ReportError> {
            Ok(r.balances(AccountKind::PendapatanLra, d)?
                .into_iter()
                .map(|(k, b)| (k.qualifier().to_string(), -b))
                .collect())
        };
    let at_year_start = lra(&mut r, day_before(year_start))?;
    let at_before = lra(&mut r, day_before(params.from))?;
    let at_end = lra(&mut r, params.to)?;

    // Base codes: every code with a budget, a realisation or collections.
    let collected_known = r.balances(AccountKind::PenerimaanBelumMasukRkud, params.to)?;
    let mut base: BTreeSet<String> = cfg.targets.keys().cloned().collect();
    base.extend(at_end.keys().cloned());
    base.extend(collected_known.keys().map(|k| k.qualifier().to_string()));
    // One aggregate read of the period for realisation per day, collections per code and per
    // channel (instead of one read per kode rekening and per channel).
    let flows = r.flows(
        &[
            AccountKind::PendapatanLra,
            AccountKind::PenerimaanBelumMasukRkud,
            AccountKind::DanaDalamPerjalanan,
        ],
        params.from,
        params.to,
    )?;
    let mut by_day: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    let mut collected_by_code: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut collected_by_channel: BTreeMap<String, Decimal> = BTreeMap::new();
    for f in &flows {
        // Credit-normal for revenue lines; debit-normal for money in transit.
        let credit_net = f.credits - f.debits;
        match f.account.kind() {
            AccountKind::PendapatanLra => {
                let slot = by_day.entry(f.day).or_default();
                *slot = add(*slot, credit_net, "realisation per day")?;
            }
            AccountKind::PenerimaanBelumMasukRkud
                if matches!(
                    f.entry_kind,
                    EntryKind::Receipt | EntryKind::ReceiptReversal | EntryKind::Sts
                ) =>
            {
                let slot = collected_by_code
                    .entry(f.account.qualifier().to_string())
                    .or_default();
                *slot = add(*slot, credit_net, "collections")?;
            }
            AccountKind::DanaDalamPerjalanan
                if matches!(
                    f.entry_kind,
                    EntryKind::Receipt | EntryKind::ReceiptReversal
                ) =>
            {
                let slot = collected_by_channel
                    .entry(f.account.qualifier().to_string())
                    .or_default();
                *slot = add(*slot, -credit_net, "per channel")?;
            }
            _ => {}
        }
    }
    // (before, to_date, collected) per base code.
    let mut figures: BTreeMap<String, (Decimal, Decimal, Decimal)> = BTreeMap::new();
    for code in &base {
        let get = |m: &BTreeMap<String, Decimal>| m.get(code).copied().unwrap_or_default();
        let before = get(&at_before) - get(&at_year_start);
        let to_date = get(&at_end) - get(&at_year_start);
        figures.insert(code.clone(), (before, to_date, get(&collected_by_code)));
    }
    // Rows: base codes and all their ancestors; each sums the base codes it contains, so a
    // budget set at a parent level is compared with everything realised below it.
    let mut row_codes: BTreeMap<String, Option<String>> = BTreeMap::new(); // code -> parent
    for code in &base {
        match KodeRekening::parse(code) {
            Ok(k) => {
                let ancestors = k.ancestors();
                row_codes.insert(code.clone(), ancestors.last().map(|a| a.to_string()));
                for (i, a) in ancestors.iter().enumerate() {
                    let parent = if i == 0 {
                        None
                    } else {
                        ancestors.get(i - 1).map(|p| p.to_string())
                    };
                    row_codes.entry(a.to_string()).or_insert(parent);
                }
            }
            Err(_) => {
                row_codes.insert(code.clone(), None);
            }
        }
    }
    let contains = |row: &str, c: &str| c == row || c.starts_with(&format!("{row}."));
    let mut rows: Vec<RekapRow> = Vec::new();
    for (code, _) in row_codes.iter() {
        let (mut before, mut to_date, mut collected) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut children = 0usize;
        for (c, f) in figures.iter().filter(|(c, _)| contains(code, c)) {
            before = add(before, f.0, "realisation")?;
            to_date = add(to_date, f.1, "realisation")?;
            collected = add(collected, f.2, "collected")?;
            if c != code {
                children += 1;
            }
        }
        let (name, level) = match chart.lookup(code) {
            Ok(a) => (a.name.clone(), a.code.depth()),
            Err(_) => (
                "(tidak ada di bagan akun)".to_string(),
                KodeRekening::parse(code).map(|k| k.depth()).unwrap_or(0),
            ),
        };
        rows.push(RekapRow {
            kode_rekening: code.clone(),
            name,
            level,
            subtotal: children > 0,
            budget: cfg.targets.get(code).copied(),
            before,
            period: to_date - before,
            to_date,
            percent: None,
            remaining: None,
            collected_period: collected,
        });
    }
    // Budgets without an explicit target sum their direct children's, deepest level first.
    rows.sort_by_key(|x| std::cmp::Reverse(x.level));
    for i in 0..rows.len() {
        if rows[i].budget.is_some() {
            continue;
        }
        let code = rows[i].kode_rekening.clone();
        let mut sum: Option<Decimal> = None;
        for x in rows.iter() {
            if row_codes.get(&x.kode_rekening).and_then(|p| p.as_deref()) == Some(code.as_str()) {
                if let Some(b) = x.budget {
                    sum = Some(add(sum.unwrap_or_default(), b, "budget")?);
                }
            }
        }
        rows[i].budget = sum;
    }
    for x in rows.iter_mut() {
        x.percent = pct(x.to_date, x.budget);
        x.remaining = x.budget.map(|b| b - x.to_date);
    }
    // Print order: by code segments (parents sort before their children).
    rows.sort_by_key(|x| sort_key(&x.kode_rekening));

    // Roots: rows without a parent row.
    let roots: Vec<&RekapRow> = rows
        .iter()
        .filter(|x| row_codes.get(&x.kode_rekening).is_some_and(|p| p.is_none()))
        .collect();
    let sum = |f: &dyn Fn(&RekapRow) -> Decimal| roots.iter().map(|x| f(x)).sum::<Decimal>();
    let total_budget = sum(&|x| x.budget.unwrap_or_default());
    let total_before = sum(&|x| x.before);
    let total_period = sum(&|x| x.period);
    let total_to_date = sum(&|x| x.to_date);
    let total_collected_period = sum(&|x| x.collected_period);

    // Per OPD: the longest configured revenue code that contains the row's code.
    let mut by_opd: BTreeMap<String, GroupAmount> = BTreeMap::new();
    for (code, f) in &figures {
        let period = f.1 - f.0;
        let owner = cfg
            .opd
            .iter()
            .flat_map(|o| o.revenue_codes.iter().map(move |c| (o, c)))
            .filter(|(_, c)| code == *c || code.starts_with(&format!("{c}.")))
            .max_by_key(|(_, c)| c.len())
            .map(|(o, _)| (o.code.clone(), o.name.clone()))
            .unwrap_or_else(|| ("-".into(), "(tanpa OPD)".into()));
        let slot = by_opd.entry(owner.0.clone()).or_insert(GroupAmount {
            key: owner.0,
            name: owner.1,
            amount: Decimal::ZERO,
        });
        slot.amount = add(slot.amount, period, "per OPD")?;
    }
    let by_channel: Vec<GroupAmount> = r
        .balances(AccountKind::DanaDalamPerjalanan, params.to)?
        .keys()
        .map(|k| GroupAmount {
            key: k.qualifier().to_string(),
            name: k.qualifier().to_string(),
            amount: collected_by_channel
                .get(k.qualifier())
                .copied()
                .unwrap_or_default(),
        })
        .collect();
    let data = RekapData {
        rows,
        total_budget,
        total_before,
        total_period,
        total_to_date,
        total_collected_period,
        by_opd: by_opd.into_values().collect(),
        by_channel,
        by_day: by_day.into_iter().collect(),
    };
    let (sections, notes, charts) = layout(&data);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::Rekap,
        header: header(
            cfg,
            ledger,
            params,
            "REKAPITULASI PENERIMAAN DAERAH",
            format!("Periode {}", fmt::period(params.from, params.to)),
        ),
        data: ReportData::Rekap(data),
        sections,
        notes,
        signatures: vec![signature(
            cfg,
            &[
                SignatoryRole::Bud,
                SignatoryRole::KuasaBud,
                SignatoryRole::Ppkd,
            ],
            "Bendahara Umum Daerah",
        )],
        charts,
    })
}

/// Sorts codes by their numeric segments so `4.1.2` follows `4.1.1` and precedes `4.1.10`.
fn sort_key(code: &str) -> Vec<u64> {
    code.split('.')
        .map(|s| s.parse::<u64>().unwrap_or(u64::MAX))
        .collect()
}

fn layout(d: &RekapData) -> (Vec<Section>, Vec<String>, Vec<Chart>) {
    let mut s = Section::new(
        "A. Realisasi per kode rekening",
        vec![
            Column::text("Kode Rekening"),
            Column::text("Uraian"),
            Column::money("Anggaran"),
            Column::money("Realisasi s.d. periode lalu"),
            Column::money("Periode ini"),
            Column::money("s.d. periode ini"),
            Column::percent("%"),
            Column::money("Sisa/(Lebih)"),
            Column::money("Dipungut periode ini (tgl bayar)"),
        ],
    );
    for x in &d.rows {
        let opt = |v: Option<Decimal>| v.map(Cell::Money).unwrap_or(Cell::Empty);
        s.rows.push(Row::styled(
            if x.subtotal {
                RowStyle::Subtotal
            } else {
                RowStyle::Normal
            },
            vec![
                Cell::text(&x.kode_rekening),
                Cell::text(&x.name),
                opt(x.budget),
                Cell::Money(x.before),
                Cell::Money(x.period),
                Cell::Money(x.to_date),
                x.percent.map(Cell::Percent).unwrap_or(Cell::Empty),
                opt(x.remaining),
                Cell::Money(x.collected_period),
            ],
        ));
    }
    let total_budget = Some(d.total_budget).filter(|b| !b.is_zero());
    s.rows.push(Row::styled(
        RowStyle::Total,
        vec![
            Cell::Empty,
            Cell::text("JUMLAH"),
            Cell::Money(d.total_budget),
            Cell::Money(d.total_before),
            Cell::Money(d.total_period),
            Cell::Money(d.total_to_date),
            pct(d.total_to_date, total_budget)
                .map(Cell::Percent)
                .unwrap_or(Cell::Empty),
            Cell::Money(d.total_budget - d.total_to_date),
            Cell::Money(d.total_collected_period),
        ],
    ));
    let group = |title: &str, col: &str, items: &[GroupAmount]| {
        let mut g = Section::new(
            title,
            vec![
                Column::text(col),
                Column::text("Nama"),
                Column::money("Periode ini"),
            ],
        );
        for i in items {
            g.rows.push(Row::new(vec![
                Cell::text(&i.key),
                Cell::text(&i.name),
                Cell::Money(i.amount),
            ]));
        }
        g
    };
    let opd = group("B. Realisasi per OPD", "OPD", &d.by_opd);
    let ch = group(
        "C. Dipungut per channel (tanggal bayar)",
        "Channel",
        &d.by_channel,
    );
    let mut day = Section::new(
        "D. Realisasi per hari",
        vec![Column::date("Tanggal"), Column::money("Realisasi")],
    );
    for (dt, v) in &d.by_day {
        day.rows
            .push(Row::new(vec![Cell::Date(*dt), Cell::Money(*v)]));
    }
    let notes = vec![format!(
        "Realisasi s.d. periode ini {} {}",
        fmt::rupiah(d.total_to_date),
        fmt::terbilang_sentence(d.total_to_date)
    )];
    let charts = vec![Chart {
        title: "Penerimaan per channel".into(),
        kind: ChartKind::Bar,
        labels: d.by_channel.iter().map(|c| c.key.clone()).collect(),
        series: vec![ChartSeries {
            name: "Dipungut".into(),
            values: d.by_channel.iter().map(|c| c.amount).collect(),
        }],
    }];
    (vec![s, opd, ch, day], notes, charts)
}
