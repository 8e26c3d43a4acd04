//! Synthetic reconciliation workloads, shared by `benches/recon.rs` and the `scale` example so
//! both measure the same thing. Not used by the engine itself.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::{Channel, Receipt, ReceiptStatus, RevenueLine};
use kasda_core::money::Direction;
use kasda_core::statement::EntryStatus;
use rust_decimal::Decimal;

use crate::{Line, ReconInput};

/// The RKUD account every line of the workload is booked on.
pub const RKUD: &str = "1020010000001";

/// `n` receipts of one month (2026-03-02 onwards, 28 days) and their statement credits on one RKUD
/// account: nine in ten paid at a teller and credited one by one with the NTB in the narrative, one
/// in ten paid at a retail outlet and settled in one batch credit per day.
pub fn scale_input(n: usize) -> ReconInput {
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let mut inp = ReconInput::new(NaiveDate::from_ymd_opt(2026, 4, 10).expect("date"));
    let mut batches: HashMap<(u32, Channel), Decimal> = HashMap::new();
    for i in 0..n {
        let day = (i % 28) as u32;
        let date = start + chrono::Duration::days(i64::from(day));
        let amount = Decimal::from(10_000 + (i as i64 * 7919) % 5_000_000);
        let channel = if i % 10 == 0 {
            Channel::Retail
        } else {
            Channel::Teller
        };
        let paid_at: DateTime<Utc> = date.and_hms_opt(3, 0, 0).expect("time").and_utc();
        let ntb = format!("NTB{i:010}");
        inp.documents.receipts.push((
            format!("receipt:{i}"),
            Receipt {
                ntpd: format!("3673{i:012}"),
                kode_billing: None,
                ntb: Some(ntb.clone()),
                nop: None,
                npwpd: None,
                taxpayer_name: None,
                jenis_pajak: None,
                lines: vec![RevenueLine {
                    kode_rekening: "4.1.01.15.01.0001".into(),
                    amount,
                }],
                masa_pajak: None,
                tahun_pajak: Some(2026),
                pokok: amount,
                denda: Decimal::ZERO,
                total: amount,
                channel,
                bank: Some("Bank Banten".into()),
                account: Some(RKUD.into()),
                paid_at,
                paid_zone: Some("WIB".into()),
                settlement_date: Some(date),
                status: ReceiptStatus::Paid,
                reverses_ntpd: None,
                opd: None,
            },
        ));
        if channel == Channel::Retail {
            *batches.entry((day, channel)).or_default() += amount;
            continue;
        }
        inp.lines.push(Line {
            id: format!("line:{i}"),
            account: RKUD.into(),
            booking_date: date,
            value_date: date,
            amount,
            direction: Direction::Credit,
            reversal: false,
            status: EntryStatus::Booked,
            texts: vec![format!("SETORAN PBB-P2 {ntb}")],
            counterparty: None,
            counterparty_name: None,
            bank_ref: Some(format!("BBTN{i:010}")),
            statement_id: Some(format!("stmt:{day}")),
            seq: i as u32,
        });
    }
    let mut keys: Vec<_> = batches.into_iter().collect();
    keys.sort_by_key(|((d, _), _)| *d);
    for ((day, _), total) in keys {
        let date = start + chrono::Duration::days(i64::from(day));
        inp.lines.push(Line {
            id: format!("batch:{day}"),
            account: RKUD.into(),
            booking_date: date,
            value_date: date,
            amount: total,
            direction: Direction::Credit,
            reversal: false,
            status: EntryStatus::Booked,
            texts: vec!["SETORAN RETAIL ALFAMART".into()],
            counterparty: None,
            counterparty_name: None,
            bank_ref: Some(format!("BATCH{day}")),
            statement_id: Some(format!("stmt:{day}")),
            seq: 9_000_000 + day,
        });
    }
    inp
}

/// The baseline both measurements put beside `reconcile`: a bare hash join of the lines' last
/// narrative word against the receipts' NTB — the least any 1:1 matcher must do. Returns the
/// number of joined pairs.
pub fn bare_ntb_join(inp: &ReconInput) -> usize {
    let by_ntb: HashMap<&str, usize> = inp
        .documents
        .receipts
        .iter()
        .enumerate()
        .filter_map(|(i, (_, r))| r.ntb.as_deref().map(|t| (t, i)))
        .collect();
    let mut joined = 0usize;
    for l in &inp.lines {
        for t in &l.texts {
            if let Some(ntb) = t.split_whitespace().last() {
                joined += usize::from(by_ntb.contains_key(ntb));
            }
        }
    }
    joined
}

/// The workload's lines as one statement file (one statement per day) and its receipts as one
/// document file, imported into `store` under `ledger` as `kasda import` would (the ledger must
/// exist). `tag` makes the two files' sha256 distinct per caller. For the examples and tests
/// that reconcile the workload through a real store.
pub fn import_into(
    store: &mut dyn kasda_store::Store,
    ledger: &str,
    inp: &ReconInput,
    tag: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use kasda_core::document::Document;
    use kasda_core::posting::AccountRole;
    use kasda_core::statement::{
        AccountId, Entry, References, Remittance, SourcePos, Statement, StatementFile,
    };
    use sha2::{Digest, Sha256};

    let source = |name: &str, format: &str, what: &str| kasda_store::SourceFile {
        name: name.into(),
        sha256: hex::encode(Sha256::digest(format!("{tag}:{what}").as_bytes())),
        size_bytes: 0,
        format: format.into(),
        imported_by: "workload".into(),
    };
    let mut statements: Vec<Statement> = Vec::new();
    let mut current: Option<Statement> = None;
    for l in &inp.lines {
        let sid = l.statement_id.clone().unwrap_or_default();
        if current
            .as_ref()
            .is_some_and(|s| s.id.as_deref() != Some(sid.as_str()))
        {
            statements.extend(current.take());
        }
        let st = current.get_or_insert_with(|| Statement {
            id: Some(sid),
            account: AccountId {
                number: Some(l.account.clone()),
                ..Default::default()
            },
            ..Default::default()
        });
        st.entries.push(Entry {
            pos: SourcePos {
                line: l.seq,
                index: st.entries.len() as u32,
            },
            amount: l.amount,
            direction: Some(l.direction),
            reversal: l.reversal,
            status: l.status,
            booking_date: Some(l.booking_date),
            value_date: Some(l.value_date),
            refs: References {
                account_servicer: l.bank_ref.clone(),
                ..Default::default()
            },
            remittance: Remittance {
                unstructured: l.texts.clone(),
                ..Default::default()
            },
            ..Default::default()
        });
    }
    statements.extend(current);
    let sf = StatementFile {
        statements,
        ..Default::default()
    };
    let what = format!("lines:{}", inp.lines.len());
    let batch =
        kasda_store::build_import_batch(source("lines.xml", "camt.053", &what), &sf, &|_| {
            AccountRole::Rkud
        })?;
    drop(sf);
    store.import_file(ledger, batch)?;
    let docs: Vec<(u32, Document)> = inp
        .documents
        .receipts
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (i as u32 + 2, Document::Receipt(r.clone())))
        .collect();
    let what = format!("receipts:{}", docs.len());
    let batch =
        kasda_store::build_document_batch(source("receipts.csv", "receipts-csv", &what), docs)?;
    store.import_file(ledger, batch)?;
    Ok(())
}
