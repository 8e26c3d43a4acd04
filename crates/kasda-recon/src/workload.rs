//! Synthetic reconciliation workloads, shared by `benches/recon.rs` and the `scale` example so
//! both measure the same thing. Not used by the engine itself.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::{Channel, Receipt, ReceiptStatus, RevenueLine};
use kasda_core::money::Direction;
use kasda_core::statement::EntryStatus;
use rust_decimal::Decimal;

use crate::{Interner, Line, ReconInput, SharedStr};

/// The RKUD account every line of the workload is booked on.
pub const RKUD: &str = "1020010000001";

/// The `i`-th receipt of the workload with its fact id: paid at 10:00 WIB on day `i % 28` of
/// March 2026 (from the 2nd), every tenth at a retail outlet, the rest at a teller.
pub fn scale_receipt(i: usize) -> (String, Receipt) {
    let day = (i % 28) as u32;
    let date = start() + chrono::Duration::days(i64::from(day));
    let amount = scale_amount(i);
    let channel = if i.is_multiple_of(10) {
        Channel::Retail
    } else {
        Channel::Teller
    };
    let paid_at: DateTime<Utc> = date.and_hms_opt(3, 0, 0).expect("time").and_utc();
    (
        format!("receipt:{i}"),
        Receipt {
            ntpd: format!("3673{i:012}"),
            kode_billing: None,
            ntb: Some(format!("NTB{i:010}")),
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
    )
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")
}

fn scale_amount(i: usize) -> Decimal {
    Decimal::from(10_000 + (i as i64 * 7919) % 5_000_000)
}

/// The statement lines of the workload's first `n` receipts, in order, handed to `emit`: a credit
/// naming the NTB for each teller receipt, then one batch credit per day for the retail ones.
fn scale_lines(n: usize, names: &mut Interner, mut emit: impl FnMut(Line)) {
    let account = names.intern(RKUD);
    let statements: Vec<SharedStr> = (0..28)
        .map(|day| names.intern(&format!("stmt:{day}")))
        .collect();
    let mut batches = [Decimal::ZERO; 28];
    let mut line =
        |id: String, day: usize, amount: Decimal, text: String, bank_ref: String, seq| {
            let date = start() + chrono::Duration::days(day as i64);
            emit(Line {
                id,
                account: account.clone(),
                booking_date: date,
                value_date: date,
                amount,
                direction: Direction::Credit,
                reversal: false,
                status: EntryStatus::Booked,
                texts: vec![text],
                counterparty: None,
                counterparty_name: None,
                bank_ref: Some(bank_ref.into()),
                statement_id: Some(statements[day].clone()),
                seq,
            })
        };
    for i in 0..n {
        let day = i % 28;
        if i.is_multiple_of(10) {
            batches[day] += scale_amount(i);
            continue;
        }
        line(
            format!("line:{i}"),
            day,
            scale_amount(i),
            format!("SETORAN PBB-P2 NTB{i:010}"),
            format!("BBTN{i:010}"),
            i as u32,
        );
    }
    for (day, total) in batches.into_iter().enumerate() {
        if total.is_zero() {
            continue;
        }
        line(
            format!("batch:{day}"),
            day,
            total,
            "SETORAN RETAIL ALFAMART".into(),
            format!("BATCH{day}"),
            9_000_000 + day as u32,
        );
    }
}

/// `n` receipts of one month (2026-03-02 onwards, 28 days) and their statement credits on one RKUD
/// account: nine in ten paid at a teller and credited one by one with the NTB in the narrative, one
/// in ten paid at a retail outlet and settled in one batch credit per day. Each receipt is
/// generated whole and kept as its [`crate::ReceiptFacts`] at once, as the store loader does.
pub fn scale_input(n: usize) -> ReconInput {
    let mut inp = ReconInput::new(NaiveDate::from_ymd_opt(2026, 4, 10).expect("date"));
    inp.documents.receipts.reserve(n);
    for i in 0..n {
        inp.documents.receipts.push(scale_receipt(i));
    }
    let mut names = Interner::default();
    inp.lines.reserve(n - n / 10 + 28);
    scale_lines(n, &mut names, |l| inp.lines.push(l));
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
        .filter_map(|(i, (_, r))| r.ntb().map(|t| (t, i)))
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

/// The lines of the workload of `n` receipts as one statement file (one statement per day) and
/// its receipts as one document file, imported into `store` under `ledger` as `kasda import`
/// would (the ledger must exist). `tag` makes the two files' sha256 distinct per caller. For the
/// examples and tests that reconcile the workload through a real store; the workload is
/// generated here, so the caller need not hold it.
pub fn import_into(
    store: &mut dyn kasda_store::Store,
    ledger: &str,
    n: usize,
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
    // One statement per day: the lines of a day are not consecutive (line `i` is of day
    // `i % 28`), so each goes to its day's statement, in order of first appearance.
    let mut statements: Vec<Statement> = Vec::new();
    let mut by_id: HashMap<SharedStr, usize> = HashMap::new();
    let mut n_lines = 0usize;
    scale_lines(n, &mut Interner::default(), |l| {
        n_lines += 1;
        let sid = l.statement_id.clone().unwrap_or_else(|| "".into());
        let at = *by_id.entry(sid.clone()).or_insert_with(|| {
            statements.push(Statement {
                id: Some(sid.to_string()),
                account: AccountId {
                    number: Some(l.account.to_string()),
                    ..Default::default()
                },
                ..Default::default()
            });
            statements.len() - 1
        });
        let st = &mut statements[at];
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
                account_servicer: l.bank_ref.as_deref().map(str::to_string),
                ..Default::default()
            },
            remittance: Remittance {
                unstructured: l.texts,
                ..Default::default()
            },
            ..Default::default()
        });
    });
    let sf = StatementFile {
        statements,
        ..Default::default()
    };
    let what = format!("lines:{n_lines}");
    let batch =
        kasda_store::build_import_batch(source("lines.xml", "camt.053", &what), &sf, &|_| {
            AccountRole::Rkud
        })?;
    drop(sf);
    store.import_file(ledger, batch)?;
    let docs: Vec<(u32, Document)> = (0..n)
        .map(|i| (i as u32 + 2, Document::Receipt(scale_receipt(i).1)))
        .collect();
    let what = format!("receipts:{}", docs.len());
    let batch =
        kasda_store::build_document_batch(source("receipts.csv", "receipts-csv", &what), docs)?;
    store.import_file(ledger, batch)?;
    Ok(())
}
