//! Buku Kas Umum (DOMAIN §7.1): the chronological cash book of the BUD (one per RKUD account:
//! kas-daerah movements) or of one bendahara penerimaan (kas-bendahara-penerimaan of the OPD),
//! with document numbers, kode rekening, running balance, the period's totals and the
//! cumulative totals since the start of the fiscal year.
//!
//! A bendahara penerimaan's book also splits every balance into **tunai** (cash in hand) and
//! **bank** (the bendahara's receiving account): the bank part moves with the statement lines
//! of that account (the bank's own evidence), the cash part with everything else the bendahara
//! records — collections (STS), deposits cleared to the RKUD, corrections. The two always add up
//! to the running balance.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use kasda_core::config::{Config, SignatoryRole};
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind};
use kasda_store::{BookLine, Store};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fmt;
use crate::model::{
    Cell, Column, Report, ReportData, ReportKind, Row, RowStyle, Section, SignatureBlock,
    SCHEMA_VERSION,
};
use crate::read::{add, day_before, doc_ref, header, rkud_accounts, signature, Reader};
use crate::{ReportError, ReportParams, MAX_TABLE_ROWS};

/// One BKU line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BkuRow {
    pub no: u64,
    pub date: NaiveDate,
    /// Ledger entry sequence number (the audit trail's handle).
    pub seq: i64,
    /// TBP/STS/SP2D/NTPD numbers the line rests on, else the bank reference.
    pub document: String,
    pub description: String,
    pub kode_rekening: Vec<String>,
    /// Money in (debit to the cash account).
    pub receipt: Decimal,
    /// Money out (credit).
    pub payment: Decimal,
    pub balance: Decimal,
    /// Bendahara penerimaan only: the balance after the line, split tunai/bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<CashSplit>,
}

/// An amount of a bendahara penerimaan's cash split into cash in hand and money in the bank.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashSplit {
    /// Cash in hand (kas tunai).
    pub tunai: Decimal,
    /// In the bendahara's receiving bank account.
    pub bank: Decimal,
}

impl CashSplit {
    /// tunai + bank.
    pub fn total(&self) -> Decimal {
        self.tunai + self.bank
    }
}

/// The book of one cash account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BkuBook {
    /// Ledger account key.
    pub account: String,
    pub title: String,
    pub opening: Decimal,
    pub rows: Vec<BkuRow>,
    pub receipts_period: Decimal,
    pub payments_period: Decimal,
    /// Since 1 January of the fiscal year up to the day before the period.
    pub receipts_before: Decimal,
    pub payments_before: Decimal,
    pub closing: Decimal,
    /// Bendahara penerimaan only: the opening balance split tunai/bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_split: Option<CashSplit>,
    /// Bendahara penerimaan only: the period's receipts split tunai/bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipts_split: Option<CashSplit>,
    /// Bendahara penerimaan only: the period's deposits (penyetoran) split tunai/bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payments_split: Option<CashSplit>,
    /// Bendahara penerimaan only: the closing balance split tunai/bank (adds up to `closing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing_split: Option<CashSplit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "opd", rename_all = "snake_case")]
pub enum BkuOwnerData {
    Bud,
    BendaharaPenerimaan(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BkuData {
    pub owner: BkuOwnerData,
    pub books: Vec<BkuBook>,
}

/// Builds the BKU: of the OPD's bendahara penerimaan when `params.opd` is given, else of the BUD
/// (every RKUD account, or `params.account`).
pub fn build_bku(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    params: &ReportParams,
) -> Result<Report, ReportError> {
    let mut r = Reader::new(store, ledger, params);
    let (owner, keys, subtitle, signatures) = match &params.opd {
        Some(opd) => {
            let conf = cfg.opd(opd).ok_or_else(|| ReportError::Params {
                field: "opd".into(),
                expected: "an OPD code of the configuration".into(),
                found: opd.clone(),
            })?;
            let bendahara = match &conf.bendahara_penerimaan {
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
            (
                BkuOwnerData::BendaharaPenerimaan(opd.clone()),
                vec![(
                    AccountKey::new(AccountKind::KasBendaharaPenerimaan, opd.as_str()),
                    format!("Kas di Bendahara Penerimaan {} {}", conf.code, conf.name),
                )],
                format!("OPD: {} {}", conf.code, conf.name),
                vec![
                    signature(cfg, &[SignatoryRole::PenggunaAnggaran], "Pengguna Anggaran"),
                    bendahara,
                ],
            )
        }
        None => {
            let accounts = rkud_accounts(&mut r, cfg, params.to, params.account.as_deref())?;
            let keys = accounts
                .iter()
                .map(|a| {
                    let bank = cfg
                        .rkud_account(a)
                        .map(|x| x.bank.clone())
                        .unwrap_or_else(|| "(tidak terdaftar)".into());
                    (
                        AccountKey::new(AccountKind::KasDaerah, a.as_str()),
                        format!("Kas di Kas Daerah - RKUD {a} ({bank})"),
                    )
                })
                .collect();
            (
                BkuOwnerData::Bud,
                keys,
                "Bendahara Umum Daerah".to_string(),
                vec![signature(
                    cfg,
                    &[SignatoryRole::Bud, SignatoryRole::KuasaBud],
                    "Bendahara Umum Daerah",
                )],
            )
        }
    };
    let year_start = NaiveDate::from_ymd_opt(cfg.fiscal_year, 1, 1).unwrap_or(params.from);
    let split = matches!(owner, BkuOwnerData::BendaharaPenerimaan(_));
    let mut books = Vec::new();
    for (key, title) in keys {
        books.push(book(&mut r, &key, title, params, year_start, split)?);
    }
    let data = BkuData { owner, books };
    let title = match data.owner {
        BkuOwnerData::Bud => "BUKU KAS UMUM BENDAHARA UMUM DAERAH",
        BkuOwnerData::BendaharaPenerimaan(_) => "BUKU KAS UMUM PENERIMAAN",
    };
    let (sections, notes) = layout(&data);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        kind: ReportKind::Bku,
        header: header(cfg, ledger, params, title, subtitle),
        data: ReportData::Bku(data),
        sections,
        notes,
        signatures,
        charts: Vec::new(),
    })
}

fn far_past() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn book(
    r: &mut Reader<'_>,
    key: &AccountKey,
    title: String,
    params: &ReportParams,
    year_start: NaiveDate,
    split: bool,
) -> Result<BkuBook, ReportError> {
    let opening = r.balance(key, day_before(params.from))?;
    // Totals since 1 January before the period and, for a bendahara, the bank part of the
    // opening balance (the account's statement lines so far): aggregates, not entries.
    let (mut before_in, mut before_out) = (Decimal::ZERO, Decimal::ZERO);
    let mut opening_split = None;
    if split {
        let mut bank = Decimal::ZERO;
        if params.from > far_past() {
            for f in r.flows_of(key, far_past(), day_before(params.from))? {
                if f.entry_kind == EntryKind::StatementLine {
                    bank = add(bank, f.debits - f.credits, "BKU bank balance")?;
                }
                if f.day >= year_start {
                    before_in = add(before_in, f.debits, "BKU receipts")?;
                    before_out = add(before_out, f.credits, "BKU payments")?;
                }
            }
        }
        opening_split = Some(CashSplit {
            tunai: opening - bank,
            bank,
        });
    } else if year_start < params.from {
        (before_in, before_out) = r.in_out(key, year_start, day_before(params.from))?;
    }
    let lines = r.book_lines(key, params.from, params.to, &KODE_KINDS)?;
    if lines.len() > MAX_TABLE_ROWS {
        return Err(ReportError::Limit {
            what: format!("BKU lines of {key}"),
            limit: MAX_TABLE_ROWS,
            found: lines.len(),
        });
    }
    let mut balance = opening;
    let mut split_balance = opening_split;
    let mut receipts_split = split.then(CashSplit::default);
    let mut payments_split = split.then(CashSplit::default);
    let mut rows = Vec::with_capacity(lines.len());
    let (mut rin, mut rout) = (Decimal::ZERO, Decimal::ZERO);
    for (i, e) in lines.into_iter().enumerate() {
        let x = e.effect;
        let (receipt, payment) = if x >= Decimal::ZERO {
            (x, Decimal::ZERO)
        } else {
            (Decimal::ZERO, -x)
        };
        rin = add(rin, receipt, "BKU receipts")?;
        rout = add(rout, payment, "BKU payments")?;
        balance = add(balance, x, "BKU balance")?;
        if let (Some(sb), Some(rs), Some(ps)) = (
            split_balance.as_mut(),
            receipts_split.as_mut(),
            payments_split.as_mut(),
        ) {
            let (held, received, paid) = if e.kind == EntryKind::StatementLine {
                (&mut sb.bank, &mut rs.bank, &mut ps.bank)
            } else {
                (&mut sb.tunai, &mut rs.tunai, &mut ps.tunai)
            };
            *held = add(*held, x, "BKU split balance")?;
            *received = add(*received, receipt, "BKU split receipts")?;
            *paid = add(*paid, payment, "BKU split payments")?;
        }
        let document = document_of(&e);
        let kode: BTreeSet<String> = e.kode.into_iter().collect();
        rows.push(BkuRow {
            no: i as u64 + 1,
            date: e.booked_on,
            seq: e.seq,
            document,
            description: e.memo,
            kode_rekening: kode.into_iter().collect(),
            receipt,
            payment,
            balance,
            split: split_balance,
        });
    }
    let closing = r.balance(key, params.to)?;
    if closing != balance {
        return Err(ReportError::Inconsistent(format!(
            "BKU of {key}: running balance {balance} at {} differs from the ledger balance {closing}",
            params.to
        )));
    }
    if let Some(sb) = split_balance {
        if sb.total() != closing {
            return Err(ReportError::Inconsistent(format!(
                "BKU of {key}: tunai {} + bank {} differs from the ledger balance {closing}",
                sb.tunai, sb.bank
            )));
        }
    }
    Ok(BkuBook {
        account: key.to_string(),
        title,
        opening,
        rows,
        receipts_period: rin,
        payments_period: rout,
        receipts_before: before_in,
        payments_before: before_out,
        closing,
        opening_split,
        receipts_split,
        payments_split,
        closing_split: split_balance,
    })
}

/// The kode rekening a BKU line shows: the revenue, revenue-in-transit and spending accounts the
/// entry posts to.
const KODE_KINDS: [AccountKind; 3] = [
    AccountKind::PendapatanLra,
    AccountKind::PenerimaanBelumMasukRkud,
    AccountKind::Belanja,
];

/// The document numbers behind a line: its own document (STS, SP2D, receipt), the documents it
/// joins, or — for a bank line — the documents of the match that cleared it, else the bank
/// reference in its key.
fn document_of(e: &BookLine) -> String {
    let mut refs: Vec<String> = Vec::new();
    if let Some(d) = doc_ref(&e.natural_key) {
        refs.push(d);
    }
    refs.extend(e.documents.iter().filter_map(|k| doc_ref(k)));
    if e.kind == EntryKind::StatementLine && refs.is_empty() {
        // stmt:<account>:<date>:<bank ref>:…
        let bank_ref = e.natural_key.split(':').nth(3).unwrap_or("-");
        refs.push(format!("bank {bank_ref}"));
    }
    refs.dedup();
    match refs.len() {
        0..=3 => refs.join(", "),
        n => format!("{} (+{} lainnya)", refs[..3].join(", "), n - 3),
    }
}

fn layout(d: &BkuData) -> (Vec<Section>, Vec<String>) {
    let (in_title, out_title) = match d.owner {
        BkuOwnerData::Bud => ("Penerimaan", "Pengeluaran"),
        BkuOwnerData::BendaharaPenerimaan(_) => ("Penerimaan", "Penyetoran"),
    };
    let mut sections = Vec::new();
    let mut notes = Vec::new();
    for (i, b) in d.books.iter().enumerate() {
        let split = b.opening_split.is_some();
        let mut columns = vec![
            Column::integer("No"),
            Column::date("Tanggal"),
            Column::text("No. Bukti"),
            Column::text("Uraian"),
            Column::text("Kode Rekening"),
            Column::money(in_title),
            Column::money(out_title),
        ];
        if split {
            columns.push(Column::money("Saldo Tunai"));
            columns.push(Column::money("Saldo Bank"));
        }
        columns.push(Column::money("Saldo"));
        let mut s = Section::new(b.title.clone(), columns);
        s.page_break_before = i > 0;
        // Label, money in, money out, (tunai, bank), balance: the cells after the first five.
        let row = |style,
                   label: Cell,
                   lead: [Cell; 4],
                   a: Cell,
                   p: Cell,
                   parts: Option<(Cell, Cell)>,
                   bal: Cell| {
            let [no, date, doc, kode] = lead;
            let mut cells = vec![no, date, doc, label, kode, a, p];
            if split {
                let (t, k) = parts.unwrap_or((Cell::Empty, Cell::Empty));
                cells.push(t);
                cells.push(k);
            }
            cells.push(bal);
            Row::styled(style, cells)
        };
        let blank = || [Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty];
        let money_split =
            |x: Option<CashSplit>| x.map(|x| (Cell::Money(x.tunai), Cell::Money(x.bank)));
        s.rows.push(row(
            RowStyle::Heading,
            Cell::text("Saldo awal"),
            blank(),
            Cell::Empty,
            Cell::Empty,
            money_split(b.opening_split),
            Cell::Money(b.opening),
        ));
        for x in &b.rows {
            s.rows.push(row(
                RowStyle::Normal,
                Cell::text(&x.description),
                [
                    Cell::Integer(x.no as i64),
                    Cell::Date(x.date),
                    Cell::text(&x.document),
                    Cell::text(x.kode_rekening.join(", ")),
                ],
                Cell::Money(x.receipt),
                Cell::Money(x.payment),
                money_split(x.split),
                Cell::Money(x.balance),
            ));
        }
        let total = |label: &str, a: Decimal, p: Decimal, style| {
            row(
                style,
                Cell::text(label),
                blank(),
                Cell::Money(a),
                Cell::Money(p),
                None,
                Cell::Empty,
            )
        };
        s.rows.push(total(
            "Jumlah periode ini",
            b.receipts_period,
            b.payments_period,
            RowStyle::Subtotal,
        ));
        if let (Some(rs), Some(ps)) = (b.receipts_split, b.payments_split) {
            s.rows.push(total(
                "- melalui tunai",
                rs.tunai,
                ps.tunai,
                RowStyle::Normal,
            ));
            s.rows
                .push(total("- melalui bank", rs.bank, ps.bank, RowStyle::Normal));
        }
        s.rows.push(total(
            "Jumlah s.d. periode lalu",
            b.receipts_before,
            b.payments_before,
            RowStyle::Subtotal,
        ));
        s.rows.push(total(
            "Jumlah s.d. periode ini",
            b.receipts_before + b.receipts_period,
            b.payments_before + b.payments_period,
            RowStyle::Total,
        ));
        if split {
            s.rows.push(row(
                RowStyle::Total,
                Cell::text("Saldo akhir"),
                blank(),
                Cell::Empty,
                Cell::Empty,
                money_split(b.closing_split),
                Cell::Money(b.closing),
            ));
        }
        sections.push(s);
        let mut note = format!(
            "{}: saldo akhir {} {}",
            b.title,
            fmt::rupiah(b.closing),
            fmt::terbilang_sentence(b.closing)
        );
        if let Some(c) = b.closing_split {
            note.push_str(&format!(
                ", terdiri dari: a. Tunai {} b. Bank {}",
                fmt::rupiah(c.tunai),
                fmt::rupiah(c.bank)
            ));
        }
        notes.push(note);
    }
    (sections, notes)
}
