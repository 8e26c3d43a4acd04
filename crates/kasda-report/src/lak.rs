//! Laporan Arus Kas, direct method (PSAP 03; DOMAIN §7.4), for the BUD entity.
//!
//! Cash is Kas di Kas Daerah (every RKUD account). Double entry makes the statement exact: over
//! the period, the change in kas equals minus the change of every other ledger account, so each
//! account's net change (balance at the end − balance before the start, read from the store's
//! aggregates) is one cash-flow line, classified by its kode rekening's LAK activity in the chart:
//! Pendapatan-LRA and jasa giro are inflows, belanja and bank/channel charges outflows,
//! movements to and from the pemda's other cash (holding accounts, bendahara penerimaan,
//! kiriman uang) and UP/GU/TU advances are transitoris, and what still sits in clearing accounts
//! (in transit, unidentified, SP2D not yet cashed) is shown as its own group so that the
//! statement closes on the ledger's kas balances without a plug.

use std::collections::BTreeMap;

use kasda_core::chart::{Chart, LakActivity};
use kasda_core::config::{Config, SignatoryRole};
use kasda_core::kode_rekening::{KodeRekening, Level};
use kasda_core::ledger::{AccountKey, AccountKind};
use kasda_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fmt;
use crate::model::{
    Cell, Column, Report, ReportData, ReportKind, Row, RowStyle, Section, SCHEMA_VERSION,
};
use crate::read::{add, booked_opening, day_before, first_opening, header, signature, Reader};
use crate::{ReportError, ReportParams};

/// Groups of the statement, in print order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LakGroup {
    Operasi,
    Investasi,
    Pendanaan,
    Transitoris,
    /// Amounts still in clearing accounts at the period's end (net change over the period).
    Kliring,
}

impl LakGroup {
    pub fn label(self) -> &'static str {
        match self {
            LakGroup::Operasi => "Arus Kas dari Aktivitas Operasi",
            LakGroup::Investasi => "Arus Kas dari Aktivitas Investasi",
            LakGroup::Pendanaan => "Arus Kas dari Aktivitas Pendanaan",
            LakGroup::Transitoris => "Arus Kas dari Aktivitas Transitoris",
            LakGroup::Kliring => "Pos kliring yang belum selesai",
        }
    }

    fn of(a: LakActivity) -> LakGroup {
        match a {
            LakActivity::Operasi => LakGroup::Operasi,
            LakActivity::Investasi => LakGroup::Investasi,
            LakActivity::Pendanaan => LakGroup::Pendanaan,
            LakActivity::Transitoris => LakGroup::Transitoris,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakLine {
    pub group: LakGroup,
    pub code: String,
    pub name: String,
    /// Cash in (positive) during the period.
    pub inflow: Decimal,
    /// Cash out (positive) during the period.
    pub outflow: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupTotal {
    pub group: LakGroup,
    pub inflow: Decimal,
    pub outflow: Decimal,
    pub net: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LakData {
    pub lines: Vec<LakLine>,
    pub groups: Vec<GroupTotal>,
    pub net_change: Decimal,
    /// Kas di Kas Daerah at the end of the day before the period (ledger).
    pub opening_kas_bud: Decimal,
    /// Kas di Kas Daerah at the end of the period (ledger).
    pub closing_kas_bud: Decimal,
    pub kas_bendahara_penerimaan: Decimal,
    pub kas_penampungan: Decimal,
    /// closing_kas_bud + kas di bendahara penerimaan + kas di rekening penampungan.
    pub kas_dan_setara_kas: Decimal,
    /// Opening balances of the RKUD accounts' first statements that no ledger entry carries
    /// (disclosed, not added: the LAK shows the ledger's kas).
    pub statement_openings_not_posted: Decimal,
}

/// Jenis-level (three segment) code of a kode rekening, for grouping lines.
fn jenis(code: &str) -> Option<KodeRekening> {
    let k = KodeRekening::parse(code).ok()?;
    if k.depth() <= Level::Jenis.depth() {
        Some(k)
    } else {
        Some(k.ancestor_at(Level::Jenis))
    }
}

/// (group, line code, line name) of an account other than Kas di Kas Daerah.
fn classify(chart: &Chart, key: &AccountKey) -> (LakGroup, String, String) {
    let q = key.qualifier();
    let by_code = |default: LakGroup| -> (LakGroup, String, String) {
        match jenis(q) {
            Some(j) => {
                let group = chart.lak_activity(&j).map(LakGroup::of).unwrap_or(default);
                let name = chart
                    .lookup_code(&j)
                    .map(|a| a.name.clone())
                    .unwrap_or_else(|_| format!("Kode {j}"));
                (group, j.to_string(), name)
            }
            None => (default, q.to_string(), format!("Kode {q}")),
        }
    };
    let system = |name: &str, group: LakGroup| {
        let code = chart
            .system_account(key.kind())
            .map(|s| s.code.clone())
            .unwrap_or_default();
        (group, code, name.to_string())
    };
    match key.kind() {
        AccountKind::PendapatanLra => by_code(LakGroup::Operasi),
        AccountKind::Belanja => match q {
            "UP" | "GU" | "TU" => (
                LakGroup::Transitoris,
                q.to_string(),
                format!("Uang persediaan / ganti uang / tambahan uang ({q})"),
            ),
            "LS" => system("Belanja LS tanpa kode rekening", LakGroup::Operasi),
            _ => by_code(LakGroup::Operasi),
        },
        AccountKind::PendapatanJasaGiro => system("Jasa giro", LakGroup::Operasi),
        AccountKind::BebanBank => system("Biaya bank", LakGroup::Operasi),
        AccountKind::BebanLayanan => system("Biaya layanan channel", LakGroup::Operasi),
        AccountKind::Penghapusan => system("Penghapusan (write-off)", LakGroup::Operasi),
        AccountKind::KasPenampungan => system(
            "Kiriman uang dari/ke rekening penampungan",
            LakGroup::Transitoris,
        ),
        AccountKind::KasBendaharaPenerimaan => system(
            "Kiriman uang dari/ke bendahara penerimaan",
            LakGroup::Transitoris,
        ),
        AccountKind::KirimanUang => system(
            "Kiriman uang antar rekening kas umum",
            LakGroup::Transitoris,
        ),
        AccountKind::DanaDalamPerjalanan => system("Dana dalam perjalanan", LakGroup::Kliring),
        AccountKind::PenerimaanBelumMasukRkud => {
            system("Penerimaan belum masuk RKUD", LakGroup::Kliring)
        }
        AccountKind::PenerimaanBelumTeridentifikasi => {
            system("Penerimaan belum teridentifikasi", LakGroup::Kliring)
        }
        AccountKind::PengeluaranBelumTeridentifikasi => {
            system("Pengeluaran belum teridentifikasi", LakGroup::Kliring)
        }
        AccountKind::Sp2dBelumDicairkan => system("SP2D belum dicairkan", LakGroup::Kliring),
        AccountKind::KasDaerah => system("Kas di Kas Daerah", LakGroup::Transitoris),
        // Never a flow line (build_lak moves it into the saldo awal); listed for completeness.
        AccountKind::SaldoAwalKas => system("Saldo awal kas", LakGroup::Transitoris),
    }
}

pub fn build_lak(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    let chart = cfg
        .chart()
        .map_err(|e| ReportError::Config(e.to_string()))?;
    let mut r = Reader::new(store, ledger, params);
    let before = day_before(params.from);
    let sum = |m: &BTreeMap<AccountKey, Decimal>| m.values().copied().sum::<Decimal>();
    let kas_open = r.balances(AccountKind::KasDaerah, before)?;
    let kas_close = r.balances(AccountKind::KasDaerah, params.to)?;
    let mut opening_kas_bud = sum(&kas_open);
    let closing_kas_bud = sum(&kas_close);

    // A saldo awal booked within the period is no cash flow: it joins the opening kas of an RKUD
    // account, and is taken off a holding account's transit line. Keyed by account number (the
    // saldo-awal-kas qualifier), as the kas debit it balances.
    let mut saldo_awal: BTreeMap<String, Decimal> = BTreeMap::new();
    {
        let start = r.balances(AccountKind::SaldoAwalKas, before)?;
        let end = r.balances(AccountKind::SaldoAwalKas, params.to)?;
        for (key, closing) in &end {
            let delta = *closing - start.get(key).copied().unwrap_or_default();
            if !delta.is_zero() {
                saldo_awal.insert(key.qualifier().to_string(), -delta);
            }
        }
    }
    for (number, amount) in &saldo_awal {
        let rkud = AccountKey::new(AccountKind::KasDaerah, number.as_str());
        if kas_close.contains_key(&rkud) || kas_open.contains_key(&rkud) {
            opening_kas_bud = add(opening_kas_bud, *amount, "LAK saldo awal")?;
        }
    }

    // (group, code) -> line
    let mut lines: BTreeMap<(LakGroup, String), LakLine> = BTreeMap::new();
    for kind in AccountKind::ALL {
        if matches!(kind, AccountKind::KasDaerah | AccountKind::SaldoAwalKas) {
            continue;
        }
        let start = r.balances(kind, before)?;
        let end = r.balances(kind, params.to)?;
        let mut keys: Vec<&AccountKey> = start.keys().chain(end.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let mut delta = end.get(key).copied().unwrap_or_default()
                - start.get(key).copied().unwrap_or_default();
            if key.kind() == AccountKind::KasPenampungan {
                if let Some(opening) = saldo_awal.get(key.qualifier()) {
                    delta -= *opening;
                }
            }
            if delta.is_zero() {
                continue;
            }
            // A credit to another account is cash in; a debit is cash out.
            let flow = -delta;
            let (group, code, name) = classify(&chart, key);
            let line = lines
                .entry((group, code.clone()))
                .or_insert_with(|| LakLine {
                    group,
                    code,
                    name,
                    inflow: Decimal::ZERO,
                    outflow: Decimal::ZERO,
                });
            if flow > Decimal::ZERO {
                line.inflow = add(line.inflow, flow, "LAK inflow")?;
            } else {
                line.outflow = add(line.outflow, -flow, "LAK outflow")?;
            }
        }
    }
    let lines: Vec<LakLine> = lines.into_values().collect();
    let mut groups: BTreeMap<LakGroup, GroupTotal> = BTreeMap::new();
    for l in &lines {
        let g = groups.entry(l.group).or_insert(GroupTotal {
            group: l.group,
            inflow: Decimal::ZERO,
            outflow: Decimal::ZERO,
            net: Decimal::ZERO,
        });
        g.inflow = add(g.inflow, l.inflow, "LAK group")?;
        g.outflow = add(g.outflow, l.outflow, "LAK group")?;
        g.net = g.inflow - g.outflow;
    }
    let net_change: Decimal = groups.values().map(|g| g.net).sum();
    if opening_kas_bud + net_change != closing_kas_bud {
        return Err(ReportError::Inconsistent(format!(
            "LAK: opening kas {opening_kas_bud} + net flows {net_change} != closing kas {closing_kas_bud}"
        )));
    }
    let mut statement_openings_not_posted = Decimal::ZERO;
    let kas_keys: std::collections::BTreeSet<&AccountKey> =
        kas_close.keys().chain(kas_open.keys()).collect();
    for key in kas_keys {
        if booked_opening(&mut r, key, params.to)?.is_some() {
            continue;
        }
        let statements = r.statements(key.qualifier())?;
        if let Some((amount, date)) = first_opening(&statements) {
            if date <= params.to {
                let posted = r.balance(key, day_before(date))?;
                statement_openings_not_posted =
                    add(statement_openings_not_posted, amount - posted, "openings")?;
            }
        }
    }
    let kas_bendahara_penerimaan =
        sum(&r.balances(AccountKind::KasBendaharaPenerimaan, params.to)?);
    let kas_penampungan = sum(&r.balances(AccountKind::KasPenampungan, params.to)?);
    let data = LakData {
        lines,
        groups: groups.into_values().collect(),
        net_change,
        opening_kas_bud,
        closing_kas_bud,
        kas_bendahara_penerimaan,
        kas_penampungan,
        kas_dan_setara_kas: closing_kas_bud + kas_bendahara_penerimaan + kas_penampungan,
        statement_openings_not_posted,
    };
    let (sections, notes) = layout(&data);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::Lak,
        header: header(
            cfg,
            ledger,
            params,
            "LAPORAN ARUS KAS",
            format!(
                "Untuk periode {} (metode langsung)",
                fmt::period(params.from, params.to)
            ),
        ),
        data: ReportData::Lak(data),
        sections,
        notes,
        signatures: vec![signature(
            cfg,
            &[SignatoryRole::Ppkd, SignatoryRole::Bud],
            "PPKD / BUD",
        )],
        charts: Vec::new(),
    })
}

fn layout(d: &LakData) -> (Vec<Section>, Vec<String>) {
    let mut s = Section::new(
        "Laporan Arus Kas",
        vec![
            Column::text("Kode"),
            Column::text("Uraian"),
            Column::money("Arus masuk"),
            Column::money("Arus keluar"),
        ],
    );
    for g in &d.groups {
        s.rows.push(Row::styled(
            RowStyle::Heading,
            vec![
                Cell::Empty,
                Cell::text(g.group.label()),
                Cell::Empty,
                Cell::Empty,
            ],
        ));
        for l in d.lines.iter().filter(|l| l.group == g.group) {
            s.rows.push(Row::new(vec![
                Cell::text(&l.code),
                Cell::text(&l.name),
                Cell::Money(l.inflow),
                Cell::Money(l.outflow),
            ]));
        }
        s.rows.push(Row::styled(
            RowStyle::Subtotal,
            vec![
                Cell::Empty,
                Cell::text(format!("Arus kas bersih - {}", g.group.label())),
                Cell::Money(g.net),
                Cell::Empty,
            ],
        ));
    }
    let total = |label: &str, v: Decimal, style| {
        Row::styled(
            style,
            vec![Cell::Empty, Cell::text(label), Cell::Money(v), Cell::Empty],
        )
    };
    s.rows.push(total(
        "Kenaikan/(penurunan) kas",
        d.net_change,
        RowStyle::Total,
    ));
    s.rows.push(total(
        "Saldo awal Kas di BUD",
        d.opening_kas_bud,
        RowStyle::Normal,
    ));
    s.rows.push(total(
        "Saldo akhir Kas di BUD",
        d.closing_kas_bud,
        RowStyle::Total,
    ));
    s.rows.push(total(
        "Kas di Bendahara Penerimaan",
        d.kas_bendahara_penerimaan,
        RowStyle::Normal,
    ));
    s.rows.push(total(
        "Kas di rekening penampungan",
        d.kas_penampungan,
        RowStyle::Normal,
    ));
    s.rows.push(total(
        "Kas dan Setara Kas",
        d.kas_dan_setara_kas,
        RowStyle::Total,
    ));
    let mut notes = vec![format!(
        "Saldo akhir Kas di BUD {} {} sama dengan saldo Kas di Kas Daerah menurut ledger.",
        fmt::rupiah(d.closing_kas_bud),
        fmt::terbilang_sentence(d.closing_kas_bud)
    )];
    if !d.statement_openings_not_posted.is_zero() {
        notes.push(format!(
            "Saldo awal rekening koran RKUD sebesar {} belum dibukukan di ledger (tidak ada jurnal saldo awal); saldo kas menurut rekening koran menjadi {}.",
            fmt::rupiah(d.statement_openings_not_posted),
            fmt::rupiah(d.closing_kas_bud + d.statement_openings_not_posted)
        ));
    }
    (vec![s], notes)
}
