//! Berita Acara Rekonsiliasi (DOMAIN §3, §7.3).
//!
//! **BUD ↔ bank**, per RKUD account, at the end of the period:
//!
//! ```text
//! A. saldo rekening koran  + setoran dalam perjalanan − SP2D belum dicairkan = saldo bank disesuaikan
//! B. saldo BKU             + penerimaan belum dicatat − pengeluaran belum dicatat = saldo BKU disesuaikan
//! C. selisih = A − B, shown as "selisih yang belum dapat dijelaskan" when not zero — never plugged.
//! ```
//!
//! Every reconciling item is a ledger figure: SP2D belum dicairkan is the clearing account's
//! balance; the credits and debits the books have not recorded are the suspense balances
//! (penerimaan / pengeluaran belum teridentifikasi), split into jasa giro, bank charges,
//! unidentified items and partial clearings by the open statement lines behind them; deposits in
//! transit are STS to the account that no match has cleared. Saldo BKU is the book the ledger
//! implies (bank per ledger − unrecorded items − outstanding SP2D + deposits in transit), so the
//! residual is exactly the part of the bank statement the ledger does not carry (missing or
//! extra statement lines). An imported BKU's stated balance is printed beside it with its
//! difference — information for the treasurer, never a plug.
//!
//! **BUD ↔ bendahara penerimaan**, per kode rekening: deposits per the bendahara (STS) against
//! revenue the BUD recognised from them, with the difference explained.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kasda_core::config::{normalize_account, Config, SignatoryRole};
use kasda_core::document::{BkuOwner, Document};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind};
use kasda_store::{DocKind, FindingStatus, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fmt;
use crate::model::{
    Cell, Column, Report, ReportData, ReportKind, Row, RowStyle, Section, SignatureBlock,
    SCHEMA_VERSION,
};
use crate::read::{
    add, bank_closing_at, booked_opening, day_before, effect_on, first_opening, header,
    rkud_accounts, signature, Reader,
};
use crate::{ReportError, ReportParams};

/// Where a reconciling item sits in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemCategory {
    /// A (+): STS deposited, not yet credited by the bank.
    DepositInTransit,
    /// A (−): SP2D issued, not yet debited by the bank.
    OutstandingSp2d,
    /// B (+): jasa giro credited by the bank, not yet in the books.
    JasaGiroNotBooked,
    /// B (+): bank credits not yet identified.
    UnidentifiedDeposit,
    /// B (−): bank charges debited, not yet in the books.
    BankChargeNotBooked,
    /// B (−): bank debits not yet identified.
    UnidentifiedDebit,
    /// B (±): what remains in suspense beyond the open lines (partial matches, corrections).
    Correction,
    /// B (±): the bank's opening balance minus the opening balance booked in the ledger
    /// (saldo awal agreed by the BUD that differs from the first statement's).
    OpeningBalanceDifference,
}

impl ItemCategory {
    pub fn label(self) -> &'static str {
        match self {
            ItemCategory::DepositInTransit => "Setoran dalam perjalanan",
            ItemCategory::OutstandingSp2d => "SP2D belum dicairkan",
            ItemCategory::JasaGiroNotBooked => "Jasa giro belum dicatat",
            ItemCategory::UnidentifiedDeposit => "Penerimaan belum teridentifikasi",
            ItemCategory::BankChargeNotBooked => "Biaya bank belum dicatat",
            ItemCategory::UnidentifiedDebit => "Pengeluaran belum teridentifikasi",
            ItemCategory::Correction => "Koreksi / pencocokan sebagian",
            ItemCategory::OpeningBalanceDifference => "Selisih saldo awal",
        }
    }

    /// Which side of the form, and the sign the item is applied with there.
    pub fn bank_side(self) -> bool {
        matches!(
            self,
            ItemCategory::DepositInTransit | ItemCategory::OutstandingSp2d
        )
    }
}

/// One reconciling item (lampiran line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconItem {
    pub category: ItemCategory,
    pub date: Option<NaiveDate>,
    /// Natural key of the fact (statement line, STS, SP2D).
    pub reference: String,
    pub description: String,
    /// Signed as applied in the form: + adds to the side's balance, − subtracts.
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryTotal {
    pub category: ItemCategory,
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenFinding {
    pub rule: String,
    pub severity: String,
    pub as_of: NaiveDate,
    pub amount: Option<Decimal>,
    pub summary: String,
}

/// BAR of one RKUD account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankBar {
    pub account: String,
    pub bank: String,
    /// Closing balance on the last statement dated within the period's end, and its date.
    pub bank_balance: Option<Decimal>,
    pub bank_balance_date: Option<NaiveDate>,
    /// Kas di Kas Daerah per ledger at the end of the period.
    pub ledger_balance: Decimal,
    /// Opening balance of the first statement that the ledger does not carry (zero once an
    /// opening balance is booked: a difference is then the item "selisih saldo awal").
    pub opening_not_posted: Decimal,
    /// The opening balance (saldo awal) booked in the ledger, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_booked: Option<Decimal>,
    /// Saldo BKU as the ledger implies it: bank per ledger (with the unposted opening balance)
    /// − unrecorded bank credits + unrecorded bank debits − outstanding SP2D + deposits in
    /// transit.
    pub book_balance: Decimal,
    /// The last balance stated by the BUD's imported BKU for the account, if any; compared with
    /// `book_balance`, never used to close the proof.
    pub bku_documents_balance: Option<Decimal>,
    pub categories: Vec<CategoryTotal>,
    pub items: Vec<ReconItem>,
    pub adjusted_bank: Option<Decimal>,
    pub adjusted_book: Decimal,
    /// adjusted_bank − adjusted_book: "selisih yang belum dapat dijelaskan"; zero when the
    /// reconciliation closes.
    pub unexplained: Option<Decimal>,
    pub open_findings: Vec<OpenFinding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpdBarRow {
    pub kode_rekening: String,
    pub name: String,
    /// Deposited per the bendahara (STS) in the period.
    pub per_bendahara: Decimal,
    /// Recognised by the BUD from the OPD's deposits in the period.
    pub per_bud: Decimal,
    pub difference: Decimal,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpdBar {
    pub opd: String,
    pub opd_name: String,
    pub rows: Vec<OpdBarRow>,
    pub total_per_bendahara: Decimal,
    pub total_per_bud: Decimal,
    /// STS of the OPD not cleared by a bank credit at the end of the period.
    pub deposits_in_transit: Vec<ReconItem>,
    /// Kas di bendahara penerimaan at the end of the period.
    pub cash_at_bendahara: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "variant", rename_all = "snake_case")]
pub enum BarData {
    Bank { accounts: Vec<BankBar> },
    Opd(OpdBar),
}

pub fn build_bar(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    if params.opd.is_some() {
        return build_opd_bar(store, ledger, cfg, params);
    }
    let mut r = Reader::new(store, ledger, params);
    let accounts = rkud_accounts(&mut r, cfg, params.to, params.account.as_deref())?;
    let mut bars = Vec::new();
    for a in &accounts {
        bars.push(bank_bar(&mut r, cfg, a, params)?);
    }
    let data = BarData::Bank { accounts: bars };
    let (sections, notes) = layout(&data, params.to);
    let subtitle = format!(
        "BUD/Kuasa BUD {} dan pihak bank - periode {}",
        cfg.pemda.name,
        fmt::period(params.from, params.to)
    );
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::Bar,
        header: header(
            cfg,
            ledger,
            params,
            "BERITA ACARA REKONSILIASI KAS DAERAH",
            subtitle,
        ),
        data: ReportData::Bar(data),
        sections,
        notes,
        signatures: vec![
            signature(cfg, &[SignatoryRole::Bank], "Pihak Bank"),
            signature(
                cfg,
                &[SignatoryRole::Bud, SignatoryRole::KuasaBud],
                "BUD/Kuasa BUD",
            ),
        ],
        charts: Vec::new(),
    })
}

fn classify_credit(memo: &str) -> ItemCategory {
    let m = memo.to_lowercase();
    if ["jasa giro", "jasagiro", "bunga", "interest", "intr"]
        .iter()
        .any(|w| m.contains(w))
    {
        ItemCategory::JasaGiroNotBooked
    } else {
        ItemCategory::UnidentifiedDeposit
    }
}

fn classify_debit(memo: &str) -> ItemCategory {
    let m = memo.to_lowercase();
    if [
        "biaya",
        "by adm",
        "adm ",
        "administrasi",
        "charge",
        "chrg",
        "fee",
        "pajak jasa giro",
        "materai",
        "meterai",
    ]
    .iter()
    .any(|w| m.contains(w))
    {
        ItemCategory::BankChargeNotBooked
    } else {
        ItemCategory::UnidentifiedDebit
    }
}

/// Facts posted to `key` up to `to` that no entry known at the cut-off and booked by `to` has
/// joined or reversed: `(natural key, date, memo, debit-positive effect)`, in (date, seq) order.
/// One open-items read of the store ([`kasda_store::Store::open_items`]), so the cost follows
/// what is open, not every entry the clearing account ever carried.
fn open_facts(
    r: &mut Reader<'_>,
    key: &AccountKey,
    kind: EntryKind,
    to: NaiveDate,
) -> Result<Vec<(String, NaiveDate, String, Decimal)>, ReportError> {
    Ok(r.open_items(key, kind, to)?
        .into_iter()
        .map(|i| (i.natural_key, i.booked_on, i.memo, i.effect))
        .collect())
}

fn bank_bar(
    r: &mut Reader<'_>,
    cfg: &Config,
    account: &str,
    params: &ReportParams,
) -> Result<BankBar, ReportError> {
    let to = params.to;
    let kas = AccountKey::new(AccountKind::KasDaerah, account);
    let ledger_balance = r.balance(&kas, to)?;
    let statements = r.statements(account)?;
    let bank = bank_closing_at(&statements, to);
    let opening_booked = booked_opening(r, &kas, to)?;
    let bank_opening = first_opening(&statements).filter(|(_, date)| *date <= to);
    let mut items: Vec<ReconItem> = Vec::new();
    let opening_not_posted = match (opening_booked, bank_opening) {
        (None, Some((amount, date))) => amount - r.balance(&kas, day_before(date))?,
        (None, None) => Decimal::ZERO,
        (Some(_), None) => Decimal::ZERO,
        (Some(booked), Some((amount, date))) => {
            // Book side: the bank's opening balance the agreed saldo awal differs from.
            if amount != booked {
                items.push(ReconItem {
                    category: ItemCategory::OpeningBalanceDifference,
                    date: Some(date),
                    reference: kas.to_string(),
                    description: format!(
                        "Saldo awal rekening koran {} - saldo awal dibukukan {}",
                        fmt::rupiah(amount),
                        fmt::rupiah(booked)
                    ),
                    amount: amount - booked,
                });
            }
            Decimal::ZERO
        }
    };

    // Bank side: outstanding SP2D (balance of the clearing account, credit-normal).
    let sp2d_key = AccountKey::new(AccountKind::Sp2dBelumDicairkan, account);
    let outstanding = -r.balance(&sp2d_key, to)?;
    let mut listed = Decimal::ZERO;
    for (k, d, memo, effect) in open_facts(r, &sp2d_key, EntryKind::Sp2d, to)? {
        listed = add(listed, -effect, "SP2D")?;
        items.push(ReconItem {
            category: ItemCategory::OutstandingSp2d,
            date: Some(d),
            reference: k,
            description: memo,
            amount: effect, // credit: subtracts on the bank side
        });
    }
    if listed != outstanding {
        items.push(ReconItem {
            category: ItemCategory::OutstandingSp2d,
            date: None,
            reference: sp2d_key.to_string(),
            description: "SP2D dicairkan sebagian / koreksi".into(),
            amount: -(outstanding - listed),
        });
    }
    // Bank side: STS to this account not yet cleared by a bank credit as of the period's end
    // (one store read of the open STS, so the cost follows what is open, not the year's STS).
    let digits = normalize_account(account);
    for d in r
        .store
        .open_documents(r.ledger, DocKind::Sts, to, r.known_at)?
    {
        if let Document::Sts(s) = &d.document {
            if s.account == account
                || (!digits.is_empty() && normalize_account(&s.account) == digits)
            {
                items.push(ReconItem {
                    category: ItemCategory::DepositInTransit,
                    date: Some(d.date),
                    reference: d.natural_key.clone(),
                    description: format!("STS {} OPD {}", s.number, s.opd),
                    amount: s.total,
                });
            }
        }
    }
    // Book side: suspense balances split by the open statement lines behind them.
    for (kind, normal_credit) in [
        (AccountKind::PenerimaanBelumTeridentifikasi, true),
        (AccountKind::PengeluaranBelumTeridentifikasi, false),
    ] {
        let key = AccountKey::new(kind, account);
        let balance = r.balance(&key, to)?;
        // Applied to the book side: unrecorded credits add, unrecorded debits subtract.
        let applied_total = -balance;
        let mut listed = Decimal::ZERO;
        for (k, d, memo, effect) in open_facts(r, &key, EntryKind::StatementLine, to)? {
            let applied = -effect;
            listed = add(listed, applied, "suspense")?;
            items.push(ReconItem {
                category: if normal_credit {
                    classify_credit(&memo)
                } else {
                    classify_debit(&memo)
                },
                date: Some(d),
                reference: k,
                description: memo,
                amount: applied,
            });
        }
        if listed != applied_total {
            items.push(ReconItem {
                category: ItemCategory::Correction,
                date: None,
                reference: key.to_string(),
                description: format!("{} - pencocokan sebagian / koreksi", kind.name()),
                amount: applied_total - listed,
            });
        }
    }
    items.sort_by(|a, b| {
        (a.category, a.date, &a.reference).cmp(&(b.category, b.date, &b.reference))
    });
    let mut totals: BTreeMap<ItemCategory, Decimal> = BTreeMap::new();
    for i in &items {
        let slot = totals.entry(i.category).or_default();
        *slot = add(*slot, i.amount, "reconciling items")?;
    }
    let bank_items: Decimal = totals
        .iter()
        .filter(|(c, _)| c.bank_side())
        .map(|(_, v)| *v)
        .sum();
    let book_items: Decimal = totals
        .iter()
        .filter(|(c, _)| !c.bank_side())
        .map(|(_, v)| *v)
        .sum();

    // Saldo BKU: the book the ledger implies. An imported BKU's stated balance is shown beside
    // it with the difference, never used to close the proof.
    // The saldo awal difference is a book-side item by which the ledger's figure differs from
    // the bank's: it stays out of the BKU balance itself (added, then taken off with the items).
    let opening_difference: Decimal = items
        .iter()
        .filter(|i| i.category == ItemCategory::OpeningBalanceDifference)
        .map(|i| i.amount)
        .sum();
    let book_balance =
        ledger_balance + opening_not_posted + opening_difference + bank_items - book_items;
    let bku_documents_balance = bku_balance(r, account, to)?;
    let adjusted_bank = bank.map(|b| b.0 + bank_items);
    let adjusted_book = book_balance + book_items;
    let unexplained = adjusted_bank.map(|a| a - adjusted_book);

    let mut open_findings = Vec::new();
    for (f, status) in r.findings_at()? {
        if status != FindingStatus::Open || f.finding.as_of > to {
            continue;
        }
        let about = f
            .finding
            .details
            .get("account")
            .and_then(|v| v.as_str())
            .is_some_and(|a| {
                a == account || (!digits.is_empty() && normalize_account(a) == digits)
            });
        if about {
            open_findings.push(OpenFinding {
                rule: f.finding.rule.clone(),
                severity: f.finding.severity.clone(),
                as_of: f.finding.as_of,
                amount: f.finding.amount,
                summary: f.finding.summary.clone(),
            });
        }
    }

    Ok(BankBar {
        account: account.to_string(),
        bank: cfg
            .rkud_account(account)
            .map(|a| a.bank.clone())
            .unwrap_or_else(|| "(tidak terdaftar)".into()),
        bank_balance: bank.map(|b| b.0),
        bank_balance_date: bank.map(|b| b.1),
        ledger_balance,
        opening_not_posted,
        opening_booked,
        book_balance,
        bku_documents_balance,
        categories: totals
            .into_iter()
            .map(|(category, amount)| CategoryTotal { category, amount })
            .collect(),
        items,
        adjusted_bank,
        adjusted_book,
        unexplained,
        open_findings,
    })
}

/// The last stated balance of the BUD's imported BKU for the account, dated by `to`.
fn bku_balance(
    r: &mut Reader<'_>,
    account: &str,
    to: NaiveDate,
) -> Result<Option<Decimal>, ReportError> {
    let digits = normalize_account(account);
    let docs = r
        .store
        .documents(r.ledger, Some(DocKind::Bku), None, Some(to))?;
    let mut best: Option<(NaiveDate, u64, Decimal)> = None;
    for d in docs {
        if r.known_at.is_some_and(|k| d.recorded_at > k) {
            continue;
        }
        let Document::Bku(line) = &d.document else {
            continue;
        };
        if line.owner != BkuOwner::Bud {
            continue;
        }
        let same = line.account.as_deref().is_some_and(|a| {
            a == account || (!digits.is_empty() && normalize_account(a) == digits)
        });
        let Some(bal) = line.balance_after.filter(|_| same) else {
            continue;
        };
        if best.is_none_or(|(bd, bn, _)| (line.date, line.number) > (bd, bn)) {
            best = Some((line.date, line.number, bal));
        }
    }
    Ok(best.map(|b| b.2))
}

fn build_opd_bar(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    let opd_code = params.opd.clone().unwrap_or_default();
    let opd = cfg.opd(&opd_code).ok_or_else(|| ReportError::Params {
        field: "opd".into(),
        expected: "an OPD code of the configuration".into(),
        found: opd_code.clone(),
    })?;
    let chart = cfg
        .chart()
        .map_err(|e| ReportError::Config(e.to_string()))?;
    let mut r = Reader::new(store, ledger, params);
    let kas = AccountKey::new(AccountKind::KasBendaharaPenerimaan, opd.code.as_str());
    let mut per: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for e in r.movements(&kas, params.from, params.to)? {
        let deposit = e.entry.kind == EntryKind::Sts;
        let cleared = effect_on(&e, &kas) < Decimal::ZERO && e.entry.kind == EntryKind::Match;
        for p in &e.entry.postings {
            let code = p.account.qualifier().to_string();
            if deposit && p.account.kind() == AccountKind::PenerimaanBelumMasukRkud {
                let slot = per.entry(code).or_default();
                slot.0 = add(slot.0, -p.debit_signed(), "per bendahara")?;
            } else if cleared && p.account.kind() == AccountKind::PendapatanLra {
                let slot = per.entry(code).or_default();
                slot.1 = add(slot.1, -p.debit_signed(), "per BUD")?;
            }
        }
    }
    let mut rows = Vec::new();
    for (code, (b, u)) in per {
        let difference = b - u;
        let explanation = if difference.is_zero() {
            "sesuai".to_string()
        } else if difference > Decimal::ZERO {
            "setoran belum diterima di RKUD (dalam perjalanan) atau disetor di luar periode"
                .to_string()
        } else {
            "diakui BUD dari setoran periode sebelumnya".to_string()
        };
        rows.push(OpdBarRow {
            name: chart
                .lookup(&code)
                .map(|a| a.name.clone())
                .unwrap_or_else(|_| "(tidak ada di bagan akun)".into()),
            kode_rekening: code,
            per_bendahara: b,
            per_bud: u,
            difference,
            explanation,
        });
    }
    let open = open_facts(&mut r, &kas, EntryKind::Sts, params.to)?;
    let deposits_in_transit = open
        .into_iter()
        .map(|(k, d, memo, effect)| ReconItem {
            category: ItemCategory::DepositInTransit,
            date: Some(d),
            reference: k,
            description: memo,
            amount: effect,
        })
        .collect();
    let cash_at_bendahara = r.balance(&kas, params.to)?;
    let data = OpdBar {
        opd: opd.code.clone(),
        opd_name: opd.name.clone(),
        total_per_bendahara: rows.iter().map(|x| x.per_bendahara).sum(),
        total_per_bud: rows.iter().map(|x| x.per_bud).sum(),
        rows,
        deposits_in_transit,
        cash_at_bendahara,
    };
    let bendahara = match &opd.bendahara_penerimaan {
        Some(p) => SignatureBlock {
            role: "Bendahara Penerimaan".into(),
            title: String::new(),
            name: p.name.clone(),
            nip: p.nip.clone(),
        },
        None => signature(
            cfg,
            &[SignatoryRole::BendaharaPenerimaan],
            "Bendahara Penerimaan",
        ),
    };
    let data = BarData::Opd(data);
    let (sections, notes) = layout(&data, params.to);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::Bar,
        header: header(
            cfg,
            ledger,
            params,
            "BERITA ACARA REKONSILIASI PENERIMAAN",
            format!(
                "BUD dan Bendahara Penerimaan {} {} - periode {}",
                opd.code,
                opd.name,
                fmt::period(params.from, params.to)
            ),
        ),
        data: ReportData::Bar(data),
        sections,
        notes,
        signatures: vec![
            bendahara,
            signature(
                cfg,
                &[SignatoryRole::KuasaBud, SignatoryRole::Bud],
                "Kuasa BUD",
            ),
        ],
        charts: Vec::new(),
    })
}

fn line(label: &str, amount: Option<Decimal>, style: RowStyle) -> Row {
    Row::styled(
        style,
        vec![
            Cell::text(label),
            amount
                .map(Cell::Money)
                .unwrap_or(Cell::text("(tidak ada rekening koran)")),
        ],
    )
}

fn layout(d: &BarData, signed_on: NaiveDate) -> (Vec<Section>, Vec<String>) {
    let mut sections = Vec::new();
    let mut notes = Vec::new();
    match d {
        BarData::Bank { accounts } => {
            for (i, b) in accounts.iter().enumerate() {
                let mut s = Section::new(
                    format!("RKUD {} - {}", b.account, b.bank),
                    vec![Column::text("Uraian"), Column::money("Jumlah (Rp)")],
                );
                s.page_break_before = i > 0;
                let cat = |c: ItemCategory| {
                    b.categories
                        .iter()
                        .find(|x| x.category == c)
                        .map(|x| x.amount)
                        .unwrap_or_default()
                };
                let date = b
                    .bank_balance_date
                    .map(|d| format!(" per {}", fmt::date_long(d)))
                    .unwrap_or_default();
                s.rows.push(Row::styled(
                    RowStyle::Heading,
                    vec![Cell::text("A. Menurut bank"), Cell::Empty],
                ));
                s.rows.push(line(
                    &format!("Saldo rekening koran{date}"),
                    b.bank_balance,
                    RowStyle::Normal,
                ));
                for c in [
                    ItemCategory::DepositInTransit,
                    ItemCategory::OutstandingSp2d,
                ] {
                    s.rows.push(line(c.label(), Some(cat(c)), RowStyle::Normal));
                }
                s.rows.push(line(
                    "Saldo bank disesuaikan",
                    b.adjusted_bank,
                    RowStyle::Subtotal,
                ));
                s.rows.push(Row::styled(
                    RowStyle::Heading,
                    vec![Cell::text("B. Menurut BKU"), Cell::Empty],
                ));
                s.rows.push(line(
                    "Saldo BKU (menurut ledger)",
                    Some(b.book_balance),
                    RowStyle::Normal,
                ));
                for c in [
                    ItemCategory::JasaGiroNotBooked,
                    ItemCategory::UnidentifiedDeposit,
                    ItemCategory::BankChargeNotBooked,
                    ItemCategory::UnidentifiedDebit,
                    ItemCategory::Correction,
                ] {
                    s.rows.push(line(c.label(), Some(cat(c)), RowStyle::Normal));
                }
                let opening_difference = cat(ItemCategory::OpeningBalanceDifference);
                if !opening_difference.is_zero() {
                    s.rows.push(line(
                        ItemCategory::OpeningBalanceDifference.label(),
                        Some(opening_difference),
                        RowStyle::Normal,
                    ));
                }
                s.rows.push(line(
                    "Saldo BKU disesuaikan",
                    Some(b.adjusted_book),
                    RowStyle::Subtotal,
                ));
                s.rows.push(Row::styled(
                    RowStyle::Heading,
                    vec![Cell::text("C. Selisih (A - B)"), Cell::Empty],
                ));
                s.rows.push(line(
                    "Selisih yang belum dapat dijelaskan",
                    b.unexplained,
                    RowStyle::Total,
                ));
                sections.push(s);

                let mut l = Section::new(
                    format!("Lampiran: daftar pos rekonsiliasi RKUD {}", b.account),
                    vec![
                        Column::text("Jenis"),
                        Column::date("Tanggal"),
                        Column::text("Referensi"),
                        Column::text("Uraian"),
                        Column::money("Jumlah"),
                    ],
                );
                for it in &b.items {
                    l.rows.push(Row::new(vec![
                        Cell::text(it.category.label()),
                        it.date.map(Cell::Date).unwrap_or(Cell::Empty),
                        Cell::text(&it.reference),
                        Cell::text(&it.description),
                        Cell::Money(it.amount),
                    ]));
                }
                sections.push(l);
                if !b.open_findings.is_empty() {
                    let mut f = Section::new(
                        format!("Temuan terbuka RKUD {}", b.account),
                        vec![
                            Column::text("Jenis"),
                            Column::text("Tingkat"),
                            Column::date("Tanggal"),
                            Column::money("Nilai"),
                            Column::text("Ringkasan"),
                        ],
                    );
                    for x in &b.open_findings {
                        f.rows.push(Row::new(vec![
                            Cell::text(&x.rule),
                            Cell::text(&x.severity),
                            Cell::Date(x.as_of),
                            x.amount.map(Cell::Money).unwrap_or(Cell::Empty),
                            Cell::text(&x.summary),
                        ]));
                    }
                    sections.push(f);
                }
                if let Some(bank) = b.bank_balance {
                    notes.push(format!(
                        "RKUD {}: saldo rekening koran {} {}; saldo BKU {} {}.",
                        b.account,
                        fmt::rupiah(bank),
                        fmt::terbilang_sentence(bank),
                        fmt::rupiah(b.book_balance),
                        fmt::terbilang_sentence(b.book_balance)
                    ));
                }
                match b.unexplained {
                    Some(x) if x.is_zero() => notes.push(format!(
                        "RKUD {}: pos-pos rekonsiliasi menutup selisih menjadi nol.",
                        b.account
                    )),
                    Some(x) => notes.push(format!(
                        "RKUD {}: terdapat selisih yang belum dapat dijelaskan sebesar {} {}.",
                        b.account,
                        fmt::rupiah(x),
                        fmt::terbilang_sentence(x)
                    )),
                    None => notes.push(format!(
                        "RKUD {}: rekening koran periode ini belum diimpor; rekonsiliasi belum dapat dilakukan.",
                        b.account
                    )),
                }
                if let Some(doc) = b.bku_documents_balance {
                    let diff = doc - b.book_balance;
                    notes.push(format!(
                        "RKUD {}: saldo BKU yang diimpor {}; {}",
                        b.account,
                        fmt::rupiah(doc),
                        if diff.is_zero() {
                            "sama dengan saldo BKU menurut ledger.".to_string()
                        } else {
                            format!(
                                "berbeda {} dari saldo BKU menurut ledger (baris BKU yang belum tercermin di ledger atau sebaliknya; periksa per baris).",
                                fmt::rupiah(diff)
                            )
                        }
                    ));
                }
                if !b.opening_not_posted.is_zero() {
                    notes.push(format!(
                        "RKUD {}: saldo awal rekening koran {} belum dibukukan di ledger dan termasuk dalam saldo BKU.",
                        b.account,
                        fmt::rupiah(b.opening_not_posted)
                    ));
                }
                if let Some(booked) = b.opening_booked {
                    let difference = cat(ItemCategory::OpeningBalanceDifference);
                    notes.push(format!(
                        "RKUD {}: saldo awal {} dibukukan di ledger (disetujui maker-checker){}.",
                        b.account,
                        fmt::rupiah(booked),
                        if difference.is_zero() {
                            "".to_string()
                        } else {
                            format!(
                                "; berbeda {} dari saldo awal rekening koran, dijelaskan sebagai selisih saldo awal",
                                fmt::rupiah(difference)
                            )
                        }
                    ));
                }
            }
        }
        BarData::Opd(o) => {
            let mut s = Section::new(
                format!("Rekonsiliasi penerimaan {} {}", o.opd, o.opd_name),
                vec![
                    Column::text("Kode Rekening"),
                    Column::text("Uraian"),
                    Column::money("Menurut Bendahara Penerimaan"),
                    Column::money("Menurut BUD"),
                    Column::money("Selisih"),
                    Column::text("Keterangan"),
                ],
            );
            for x in &o.rows {
                s.rows.push(Row::new(vec![
                    Cell::text(&x.kode_rekening),
                    Cell::text(&x.name),
                    Cell::Money(x.per_bendahara),
                    Cell::Money(x.per_bud),
                    Cell::Money(x.difference),
                    Cell::text(&x.explanation),
                ]));
            }
            s.rows.push(Row::styled(
                RowStyle::Total,
                vec![
                    Cell::Empty,
                    Cell::text("JUMLAH"),
                    Cell::Money(o.total_per_bendahara),
                    Cell::Money(o.total_per_bud),
                    Cell::Money(o.total_per_bendahara - o.total_per_bud),
                    Cell::Empty,
                ],
            ));
            sections.push(s);
            let mut t = Section::new(
                "Lampiran: setoran dalam perjalanan",
                vec![
                    Column::date("Tanggal"),
                    Column::text("Referensi"),
                    Column::text("Uraian"),
                    Column::money("Jumlah"),
                ],
            );
            for it in &o.deposits_in_transit {
                t.rows.push(Row::new(vec![
                    it.date.map(Cell::Date).unwrap_or(Cell::Empty),
                    Cell::text(&it.reference),
                    Cell::text(&it.description),
                    Cell::Money(it.amount),
                ]));
            }
            sections.push(t);
            notes.push(format!(
                "Saldo kas di Bendahara Penerimaan {} {}",
                fmt::rupiah(o.cash_at_bendahara),
                fmt::terbilang_sentence(o.cash_at_bendahara)
            ));
        }
    }
    notes.push(format!(
        "Demikian Berita Acara Rekonsiliasi ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya. Ditandatangani pada tanggal {}.",
        fmt::date_long(signed_on)
    ));
    (sections, notes)
}
