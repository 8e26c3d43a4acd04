//! Reports built over an in-memory store populated through kasda-store's import pipeline with a
//! small hand-built March 2026 scenario, checked against independent sums over the ledger.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::config::Config;
use kasda_core::document::{BkuLine, BkuOwner, Channel, Document};
use kasda_core::ledger::{AccountKey, AccountKind, JournalEntry, StoredEntry};
use kasda_core::money::Direction;
use kasda_core::posting::{self, MatchContext};
use kasda_core::statement::{Balance, BalanceKind};
use kasda_core::Currency;
use kasda_report::bar::{BarData, ItemCategory};
use kasda_report::{build, render, OutputFormat, Report, ReportData, ReportKind, ReportParams};
use kasda_store::conformance::{
    day, document_batch, line, receipt, source, sp2d, statement_file, sts, RKUD,
};
use kasda_store::{
    build_import_batch, FindingInput, FindingStatus, LedgerInfo, MemoryStore, NewEntry, RunInfo,
    RunKind, Store,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const LEDGER: &str = "kota-uji";
const OPD: &str = "1.02.01";

const CONFIG: &str = r#"
fiscal_year = 2026

[pemda]
code = "36.73"
name = "Pemerintah Kota Uji"
kind = "kota"

[[rkud]]
label = "RKUD Bank Uji"
bank = "Bank Uji"
account_number = "0011223344"

[[opd]]
code = "1.02.01"
name = "Dinas Perdagangan"
revenue_codes = ["4.1.02"]

[opd.bendahara_penerimaan]
name = "Rina Bendahara"
nip = "198203142006042011"

[[signatory]]
role = "bud"
title = "Kepala BPKAD selaku BUD"
name = "Drs. Hendra Gunawan"
nip = "197004121995031002"

[[signatory]]
role = "bank"
title = "Pemimpin Cabang Bank Uji"
name = "Bambang Setiawan"

[targets]
"4.1.01.19.01.0001" = "1000"
"4.1.02" = "2000"
"#;

fn cfg() -> Config {
    match Config::from_str(CONFIG) {
        Ok(c) => c,
        Err(e) => panic!("test config: {e}"),
    }
}

fn idr(whole: i64) -> Decimal {
    Decimal::new(whole * 100, 2)
}

fn ok<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn ctx(rule: &str, ids: &[String], d: u32) -> MatchContext {
    MatchContext {
        rule: rule.into(),
        ids: ids.to_vec(),
        booked_on: day(d),
        value_date: day(d),
        memo: format!("{rule} match"),
    }
}

fn append(s: &mut MemoryStore, entry: JournalEntry, joins: Vec<String>) {
    ok(
        "append",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "recon-bot"),
            vec![NewEntry { entry, joins }],
        ),
    );
}

fn line_key(s: &mut MemoryStore, d: u32, reference: &str) -> String {
    let lines = ok(
        "lines",
        s.statement_lines(LEDGER, Some(RKUD), day(d), day(d)),
    );
    match lines
        .iter()
        .find(|l| l.facts.bank_ref.as_deref() == Some(reference))
    {
        Some(l) => l.facts.natural_key.clone(),
        None => panic!("no line {reference} on day {d}"),
    }
}

/// The scenario (March 2026, RKUD 0011223344, bank opening balance Rp1.000.000 not posted):
/// * receipt R1 Rp125 QRIS settled on day 3 (matched); receipt R2 Rp80 teller still in transit;
/// * STS-001 Rp500 credited day 3 (matched); STS-002 Rp200 of day 5 not yet credited;
/// * SP2D-001 Rp300 debited day 4 (matched); SP2D-002 Rp150 of day 5 not yet debited;
/// * jasa giro Rp7 and an unknown credit Rp40 unidentified, bank charge Rp2 not booked.
fn scenario() -> MemoryStore {
    let mut s = MemoryStore::new();
    ok(
        "ledger",
        s.ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Uji".into(),
        }),
    );
    let r1 = receipt("NTPD-0001", Channel::Qris, "4.1.01.19.01.0001", 125, 2);
    let r2 = receipt("NTPD-0002", Channel::Teller, "4.1.01.19.01.0001", 80, 4);
    let sts1 = sts("STS-001", OPD, "4.1.02.01.05.0001", 500, 3);
    let sts2 = sts("STS-002", OPD, "4.1.02.01.05.0001", 200, 5);
    let sp1 = sp2d("SP2D-001", 300, 3);
    let sp2 = sp2d("SP2D-002", 150, 5);
    ok(
        "documents",
        s.import_file(
            LEDGER,
            document_batch(
                "docs-1",
                vec![
                    Document::Receipt(r1.clone()),
                    Document::Receipt(r2),
                    Document::Sts(sts1.clone()),
                    Document::Sts(sts2),
                    Document::Sp2d(sp1),
                    Document::Sp2d(sp2),
                ],
            ),
        ),
    );
    let mut file = statement_file(
        RKUD,
        &[
            line(3, "QRIS-SETTLE-1", 125, true),
            line(3, "STS-SET-1", 500, true),
            line(4, "SP2D-1", 300, false),
            line(4, "JASA GIRO MAR", 7, true),
            line(5, "BIAYA ADM", 2, false),
            line(5, "UNKNOWN-9", 40, true),
        ],
    );
    if let Some(st) = file.statements.first_mut() {
        st.from = day(2).and_hms_opt(0, 0, 0);
        st.to = day(5).and_hms_opt(23, 59, 59);
        st.balances = vec![
            Balance {
                kind: BalanceKind::OpeningBooked,
                amount: idr(1_000_000),
                currency: Currency::IDR,
                date: Some(day(2)),
            },
            Balance {
                kind: BalanceKind::ClosingBooked,
                amount: idr(1_000_370),
                currency: Currency::IDR,
                date: Some(day(5)),
            },
        ];
    }
    let batch = ok(
        "statement batch",
        build_import_batch(source("stmt-1", "mt940"), &file, &|a: &str| {
            kasda_store::conformance::role_of(a)
        }),
    );
    ok("statement", s.import_file(LEDGER, batch));

    let l1 = line_key(&mut s, 3, "QRIS-SETTLE-1");
    let ids = vec![l1, "receipt:NTPD-0001".to_string()];
    let m1 = ok(
        "match receipts",
        posting::match_receipts_to_credit(
            &ctx("h2h-1to1", &ids, 3),
            RKUD,
            idr(125),
            &[(Channel::Qris, idr(125))],
            &r1.lines,
        ),
    );
    append(&mut s, m1, ids);
    let l2 = line_key(&mut s, 3, "STS-SET-1");
    let ids = vec![l2, "sts:STS-001".to_string()];
    let m2 = ok(
        "match sts",
        posting::match_sts_to_credit(&ctx("sts", &ids, 3), RKUD, idr(500), OPD, &sts1.lines),
    );
    append(&mut s, m2, ids);
    let l3 = line_key(&mut s, 4, "SP2D-1");
    let ids = vec![l3.clone(), "sp2d:SP2D-001".to_string()];
    let m3 = ok(
        "match sp2d",
        posting::match_sp2d_to_debits(&ctx("sp2d", &ids, 4), RKUD, &[(RKUD.to_string(), idr(300))]),
    );
    append(&mut s, m3, ids);
    let run = ok(
        "run",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "recon-bot"),
            vec![],
        ),
    );
    ok(
        "findings",
        s.record_findings(
            LEDGER,
            run.run_id,
            &[FindingInput {
                id: "f-unidentified-40".into(),
                rule: "unidentified_credit".into(),
                severity: "medium".into(),
                status: FindingStatus::Open,
                summary: "credit Rp40 without a receipt".into(),
                amount: Some(idr(40)),
                as_of: day(5),
                details: serde_json::json!({ "account": RKUD }),
            }],
        ),
    );
    s
}

fn all_entries(s: &mut MemoryStore) -> Vec<StoredEntry> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = ok("entries", s.entries(LEDGER, after, 1000));
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(page);
    }
    out
}

/// Independent oracle: Σ postings per account booked within the dates.
fn sums(entries: &[StoredEntry], from: NaiveDate, to: NaiveDate) -> BTreeMap<AccountKey, Decimal> {
    let mut m = BTreeMap::new();
    for e in entries {
        if e.entry.booked_on < from || e.entry.booked_on > to {
            continue;
        }
        for p in &e.entry.postings {
            *m.entry(p.account.clone()).or_insert(Decimal::ZERO) += p.debit_signed();
        }
    }
    m
}

fn of_kind(m: &BTreeMap<AccountKey, Decimal>, kind: AccountKind) -> Decimal {
    m.iter()
        .filter(|(k, _)| k.kind() == kind)
        .map(|(_, v)| *v)
        .sum()
}

fn params(from: u32, to: u32) -> ReportParams {
    let mut p = ReportParams::period(day(from), day(to));
    p.generated_at = DateTime::from_timestamp(1_775_000_000, 0);
    p.number = Some("BAR/001/III/2026".into());
    p
}

fn build_ok(s: &mut MemoryStore, kind: ReportKind, p: &ReportParams) -> Report {
    ok("build", build(s, LEDGER, &cfg(), kind, p))
}

fn render_string(r: &Report, f: OutputFormat) -> String {
    let mut out = Vec::new();
    ok("render", render(r, f, &mut out));
    ok("utf-8", String::from_utf8(out))
}

#[test]
fn bar_items_close_the_difference_to_zero() {
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let ReportData::Bar(BarData::Bank { accounts }) = &r.data else {
        panic!("not a bank BAR")
    };
    assert_eq!(accounts.len(), 1);
    let b = &accounts[0];
    assert_eq!(b.bank_balance, Some(idr(1_000_370)));
    assert_eq!(b.ledger_balance, idr(370));
    assert_eq!(b.opening_not_posted, idr(1_000_000));
    assert_eq!(b.bku_documents_balance, None);
    let cat = |c: ItemCategory| {
        b.categories
            .iter()
            .find(|x| x.category == c)
            .map(|x| x.amount)
            .unwrap_or_default()
    };
    assert_eq!(cat(ItemCategory::DepositInTransit), idr(200));
    assert_eq!(cat(ItemCategory::OutstandingSp2d), idr(-150));
    assert_eq!(cat(ItemCategory::JasaGiroNotBooked), idr(7));
    assert_eq!(cat(ItemCategory::UnidentifiedDeposit), idr(40));
    assert_eq!(cat(ItemCategory::BankChargeNotBooked), idr(-2));
    assert_eq!(cat(ItemCategory::UnidentifiedDebit), Decimal::ZERO);
    assert_eq!(cat(ItemCategory::Correction), Decimal::ZERO);
    // Items listed sum to their categories; the proof closes to exactly zero.
    let listed: Decimal = b.items.iter().map(|i| i.amount).sum();
    let cats: Decimal = b.categories.iter().map(|c| c.amount).sum();
    assert_eq!(listed, cats);
    assert_eq!(b.adjusted_bank, Some(idr(1_000_420)));
    assert_eq!(b.adjusted_book, idr(1_000_420));
    assert_eq!(b.unexplained, Some(Decimal::ZERO));
    assert_eq!(b.open_findings.len(), 1);
    // Ledger figures agree with independent sums.
    let entries = all_entries(&mut s);
    let m = sums(&entries, day(1), day(31));
    assert_eq!(
        m.get(&AccountKey::new(AccountKind::KasDaerah, RKUD))
            .copied(),
        Some(b.ledger_balance)
    );
    assert_eq!(
        -of_kind(&m, AccountKind::Sp2dBelumDicairkan),
        -cat(ItemCategory::OutstandingSp2d)
    );
    assert_eq!(
        -of_kind(&m, AccountKind::PenerimaanBelumTeridentifikasi),
        cat(ItemCategory::JasaGiroNotBooked) + cat(ItemCategory::UnidentifiedDeposit)
    );
    let text = render_string(&r, OutputFormat::Text);
    assert!(text.contains("Selisih yang belum dapat dijelaskan"));
    assert!(text.contains("Bambang Setiawan"));
    assert!(text.contains("(Satu juta tiga ratus tujuh puluh rupiah)"));
}

fn import_bku_balance(s: &mut MemoryStore, label: &str, number: u64, balance: i64) {
    let line = BkuLine {
        owner: BkuOwner::Bud,
        number,
        date: day(5),
        document: None,
        description: "saldo".into(),
        kode_rekening: None,
        amount: idr(1),
        direction: Direction::Credit,
        account: Some(RKUD.into()),
        balance_after: Some(idr(balance)),
    };
    ok(
        "bku",
        s.import_file(LEDGER, document_batch(label, vec![Document::Bku(line)])),
    );
}

#[test]
fn bar_compares_an_imported_bku_without_plugging() {
    let mut s = scenario();
    import_bku_balance(&mut s, "bku-1", 1, 1_000_375);
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let ReportData::Bar(BarData::Bank { accounts }) = &r.data else {
        panic!("not a bank BAR")
    };
    assert_eq!(accounts[0].bku_documents_balance, Some(idr(1_000_375)));
    assert_eq!(accounts[0].book_balance, idr(1_000_375));
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("sama dengan saldo BKU menurut ledger")));

    // A later BKU line with another balance: the difference is reported, the proof unchanged.
    import_bku_balance(&mut s, "bku-2", 2, 1_000_000);
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let ReportData::Bar(BarData::Bank { accounts }) = &r.data else {
        panic!("not a bank BAR")
    };
    assert_eq!(accounts[0].bku_documents_balance, Some(idr(1_000_000)));
    assert_eq!(accounts[0].unexplained, Some(Decimal::ZERO));
    assert!(r.notes.iter().any(|n| n.contains("berbeda -Rp375,00")));
}

#[test]
fn bar_shows_a_residual_when_the_statement_is_incomplete() {
    let mut s = scenario();
    // A second statement for day 6 whose closing balance says Rp50 more arrived than its lines.
    let mut file = statement_file(RKUD, &[line(6, "CR-6", 10, true)]);
    if let Some(st) = file.statements.first_mut() {
        st.balances = vec![Balance {
            kind: BalanceKind::ClosingBooked,
            amount: idr(1_000_430),
            currency: Currency::IDR,
            date: Some(day(6)),
        }];
    }
    let batch = ok(
        "batch",
        build_import_batch(source("stmt-6", "mt940"), &file, &|a: &str| {
            kasda_store::conformance::role_of(a)
        }),
    );
    ok("import", s.import_file(LEDGER, batch));
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let ReportData::Bar(BarData::Bank { accounts }) = &r.data else {
        panic!("not a bank BAR")
    };
    assert_eq!(accounts[0].bank_balance, Some(idr(1_000_430)));
    assert_eq!(accounts[0].unexplained, Some(idr(50)));
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("selisih yang belum dapat dijelaskan sebesar Rp50,00")));
}

#[test]
fn opd_bar_compares_bendahara_with_bud() {
    let mut s = scenario();
    let mut p = params(1, 31);
    p.opd = Some(OPD.into());
    let r = build_ok(&mut s, ReportKind::Bar, &p);
    let ReportData::Bar(BarData::Opd(o)) = &r.data else {
        panic!("not an OPD BAR")
    };
    assert_eq!(o.total_per_bendahara, idr(700));
    assert_eq!(o.total_per_bud, idr(500));
    assert_eq!(o.deposits_in_transit.len(), 1);
    assert_eq!(o.deposits_in_transit[0].amount, idr(200));
    assert_eq!(o.cash_at_bendahara, idr(200));
    assert!(r.signatures.iter().any(|s| s.name == "Rina Bendahara"));
}

#[test]
fn lak_closing_kas_equals_the_ledger() {
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::Lak, &params(1, 31));
    let ReportData::Lak(l) = &r.data else {
        panic!("not a LAK")
    };
    let entries = all_entries(&mut s);
    let m = sums(&entries, NaiveDate::MIN, day(31));
    assert_eq!(l.closing_kas_bud, of_kind(&m, AccountKind::KasDaerah));
    assert_eq!(l.opening_kas_bud + l.net_change, l.closing_kas_bud);
    assert_eq!(l.closing_kas_bud, idr(370));
    let operasi = l
        .groups
        .iter()
        .find(|g| g.group == kasda_report::lak::LakGroup::Operasi);
    // Revenue 125 + 500 recognised, belanja 300 + 150 charged on issue.
    assert_eq!(operasi.map(|g| g.inflow), Some(idr(625)));
    assert_eq!(operasi.map(|g| g.outflow), Some(idr(450)));
    assert_eq!(l.kas_bendahara_penerimaan, idr(200));
    assert_eq!(l.kas_dan_setara_kas, idr(570));
    assert_eq!(l.statement_openings_not_posted, idr(1_000_000));
}

#[test]
fn daily_position_agrees_with_the_ledger() {
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::DailyPosition, &params(5, 5));
    let ReportData::DailyPosition(d) = &r.data else {
        panic!("not a position")
    };
    let a = &d.accounts[0];
    assert_eq!(a.opening, idr(332));
    assert_eq!(a.inflow, idr(40));
    assert_eq!(a.outflow, idr(2));
    assert_eq!(a.closing, idr(370));
    assert_eq!(a.bank_closing, Some(idr(1_000_370)));
    assert_eq!(a.difference, Some(Decimal::ZERO));
    assert_eq!(a.unidentified_credits, idr(47));
    assert_eq!(a.unidentified_debits, idr(2));
    let teller = d.in_transit.iter().find(|x| x.name == "teller");
    assert_eq!(teller.map(|x| x.amount), Some(idr(80)));
    assert_eq!(d.open_findings.len(), 1);
    assert_eq!(d.open_findings[0].counts, vec![1, 0, 0, 0]);
    assert_eq!(d.history.len(), 30);
    assert_eq!(d.history.last().map(|h| h.1), Some(idr(370)));
}

#[test]
fn bku_running_balance_and_documents() {
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::Bku, &params(1, 31));
    let ReportData::Bku(b) = &r.data else {
        panic!("not a BKU")
    };
    let book = &b.books[0];
    assert_eq!(book.rows.len(), 6);
    assert_eq!(book.closing, idr(370));
    assert_eq!(book.rows.last().map(|x| x.balance), Some(idr(370)));
    assert_eq!(book.receipts_period, idr(672));
    assert_eq!(book.payments_period, idr(302));
    assert!(book.rows[0].document.contains("NTPD NTPD-0001"));
    assert!(book.rows.iter().any(|x| x.document.contains("STS STS-001")));
    assert!(book
        .rows
        .iter()
        .any(|x| x.document.contains("SP2D SP2D-001")));

    let mut p = params(1, 31);
    p.opd = Some(OPD.into());
    let r = build_ok(&mut s, ReportKind::Bku, &p);
    let ReportData::Bku(b) = &r.data else {
        panic!("not a BKU")
    };
    let book = &b.books[0];
    assert_eq!(book.receipts_period, idr(700));
    assert_eq!(book.payments_period, idr(500));
    assert_eq!(book.closing, idr(200));
}

#[test]
fn rekap_realisation_against_budget() {
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::Rekap, &params(1, 31));
    let ReportData::Rekap(d) = &r.data else {
        panic!("not a rekap")
    };
    let row = |code: &str| d.rows.iter().find(|x| x.kode_rekening == code).cloned();
    let pbjt = row("4.1.01.19.01.0001").unwrap_or_else(|| panic!("no PBJT row"));
    assert_eq!(pbjt.to_date, idr(125));
    assert_eq!(pbjt.collected_period, idr(205));
    assert_eq!(pbjt.percent, Some(dec!(12.50)));
    let retribusi = row("4.1.02").unwrap_or_else(|| panic!("no 4.1.02 row"));
    assert_eq!(retribusi.budget, Some(idr(2000)));
    assert_eq!(retribusi.to_date, idr(500));
    assert_eq!(retribusi.percent, Some(dec!(25.00)));
    let pad = row("4.1").unwrap_or_else(|| panic!("no 4.1 row"));
    assert_eq!(pad.budget, Some(idr(3000)));
    assert_eq!(pad.to_date, idr(625));
    // Independent: Σ Pendapatan-LRA credits.
    let entries = all_entries(&mut s);
    let m = sums(&entries, day(1), day(31));
    assert_eq!(-of_kind(&m, AccountKind::PendapatanLra), d.total_to_date);
    assert_eq!(d.total_budget, idr(3000));
    let opd = d.by_opd.iter().find(|x| x.key == OPD);
    assert_eq!(opd.map(|x| x.amount), Some(idr(500)));
    let total_days: Decimal = d.by_day.iter().map(|x| x.1).sum();
    assert_eq!(total_days, d.total_period);
}

#[test]
fn a_past_cut_off_gives_the_same_report() {
    let mut s = scenario();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let cut_off: DateTime<Utc> = Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut p = params(1, 31);
    p.known_at = Some(cut_off);
    let before: Vec<String> = ReportKind::ALL
        .iter()
        .map(|k| render_string(&build_ok(&mut s, *k, &p), OutputFormat::Json))
        .collect();
    // Later facts: the STS-002 credit arrives and is matched, a late bank line for day 4.
    let batch = ok(
        "late statement",
        build_import_batch(
            source("stmt-2", "mt940"),
            &statement_file(
                RKUD,
                &[line(6, "STS-SET-2", 200, true), line(4, "LATE", 9, true)],
            ),
            &|a: &str| kasda_store::conformance::role_of(a),
        ),
    );
    ok("late import", s.import_file(LEDGER, batch));
    let after: Vec<String> = ReportKind::ALL
        .iter()
        .map(|k| render_string(&build_ok(&mut s, *k, &p), OutputFormat::Json))
        .collect();
    assert_eq!(before, after);
    // Without the cut-off the new facts show.
    let now = build_ok(&mut s, ReportKind::Bku, &params(1, 31));
    let ReportData::Bku(b) = &now.data else {
        panic!("not a BKU")
    };
    assert_eq!(b.books[0].rows.len(), 8);
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        ok("write golden", std::fs::write(&path, actual));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} missing ({e}); run with UPDATE_EXPECT=1",
            path.display()
        )
    });
    if expected != actual {
        let (n, (e, a)) = expected
            .lines()
            .chain(std::iter::repeat(""))
            .zip(actual.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .unwrap_or((0, ("", "")));
        panic!(
            "golden {name} differs at line {}:\n expected: {e}\n   actual: {a}\nreview and run with UPDATE_EXPECT=1",
            n + 1
        );
    }
}

#[test]
fn golden_text_csv_json() {
    let mut s = scenario();
    for kind in ReportKind::ALL {
        let p = if kind == ReportKind::DailyPosition {
            params(5, 5)
        } else {
            params(1, 31)
        };
        let r = build_ok(&mut s, kind, &p);
        for (f, ext) in [
            (OutputFormat::Text, "txt"),
            (OutputFormat::Csv, "csv"),
            (OutputFormat::Json, "json"),
        ] {
            golden(&format!("{}.{ext}", kind.as_str()), &render_string(&r, f));
        }
        // JSON round-trips to the same model.
        let back: Report = ok(
            "json back",
            serde_json::from_str(&render_string(&r, OutputFormat::Json)),
        );
        assert_eq!(back, r);
    }
}

#[test]
fn xlsx_has_real_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let mut bytes = Vec::new();
    ok("xlsx", render(&r, OutputFormat::Xlsx, &mut bytes));
    let mut wb: Xlsx<_> = ok("open", Xlsx::new(std::io::Cursor::new(bytes)));
    let names = wb.sheet_names();
    assert!(names.len() >= 3, "{names:?}");
    let sheet = ok("sheet", wb.worksheet_range(&names[1]));
    let mut found = false;
    for row in sheet.rows() {
        if let (Some(Data::String(label)), Some(v)) = (row.first(), row.get(1)) {
            if label.starts_with("Saldo rekening koran") {
                assert_eq!(v, &Data::Float(1_000_370.0));
                found = true;
            }
        }
    }
    assert!(found, "bank balance row not found");
}

#[test]
fn html_is_print_ready() {
    let mut s = scenario();
    let r = build_ok(&mut s, ReportKind::DailyPosition, &params(5, 5));
    let html = render_string(&r, OutputFormat::Html);
    assert!(html.contains("size: A4"));
    assert!(html.contains("<svg"));
    assert!(!html.contains("<script"));
    assert!(html.contains("370,00"));
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let html = render_string(&r, OutputFormat::Html);
    assert!(html.contains("NIP 197004121995031002"));
    // Screenshot in headless Chromium: required in CI (.ci/run installs it), optional on a
    // developer machine without it.
    let chromium = PathBuf::from("/usr/bin/chromium");
    if chromium.exists() || std::env::var_os("CI").is_some() {
        let dir = ok("tmp", tempfile::tempdir());
        let page = dir.path().join("bar.html");
        let png = dir.path().join("bar.png");
        ok("write html", std::fs::write(&page, &html));
        let status = ok(
            "chromium",
            std::process::Command::new(&chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ])
                .arg(format!(
                    "--user-data-dir={}",
                    dir.path().join("profile").display()
                ))
                .arg(format!("--screenshot={}", png.display()))
                .arg("--window-size=1240,1754")
                .arg(format!("file://{}", page.display()))
                .status(),
        );
        assert!(status.success());
        let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "screenshot too small: {size} bytes");
    }
}

#[test]
fn bad_parameters_are_refused() {
    let mut s = scenario();
    let p = ReportParams::period(day(10), day(1));
    assert!(build(&mut s, LEDGER, &cfg(), ReportKind::Rekap, &p).is_err());
    let mut p = params(1, 31);
    p.opd = Some("9.99".into());
    assert!(build(&mut s, LEDGER, &cfg(), ReportKind::Bku, &p).is_err());
    let mut p = params(1, 31);
    p.account = Some("555".into());
    assert!(build(&mut s, LEDGER, &cfg(), ReportKind::Bar, &p).is_err());
    let p = ReportParams::period(
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        day(31),
    );
    assert!(build(&mut s, LEDGER, &cfg(), ReportKind::Lak, &p).is_err());
}

/// Seeded pseudo-random scenarios: statement lines, STS and SP2D, some matched, some not. With a
/// complete statement the BAR closes to exactly zero, its items add up to its categories, and
/// the LAK, BKU and rekap agree with independent sums over the ledger.
#[test]
fn randomised_scenarios_close_and_tie_out() {
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    for round in 0..12 {
        let mut s = MemoryStore::new();
        ok(
            "ledger",
            s.ensure_ledger(&LedgerInfo {
                code: LEDGER.into(),
                name: "Kota Uji".into(),
            }),
        );
        let opening = idr(next(1_000_000) as i64);
        let mut lines = Vec::new();
        let mut docs = Vec::new();
        let mut matches: Vec<(usize, String, i64, bool)> = Vec::new();
        let count = 3 + next(12) as usize;
        let mut total = opening;
        for i in 0..count {
            let d = 2 + next(20) as u32;
            let amount = 1 + next(50_000) as i64;
            let credit = next(2) == 0;
            let reference = format!("R{round}-{i}");
            lines.push(line(d, &reference, amount, credit));
            total += if credit { idr(amount) } else { -idr(amount) };
            match (credit, next(3)) {
                (true, 0) => {
                    let number = format!("STS-{round}-{i}");
                    docs.push(Document::Sts(sts(
                        &number,
                        OPD,
                        "4.1.02.01.05.0001",
                        amount,
                        d,
                    )));
                    matches.push((i, format!("sts:{number}"), amount, true));
                }
                (false, 0) => {
                    let number = format!("SP2D-{round}-{i}");
                    docs.push(Document::Sp2d(sp2d(&number, amount, d)));
                    matches.push((i, format!("sp2d:{number}"), amount, false));
                }
                _ => {}
            }
        }
        // Documents never credited or debited.
        for j in 0..next(3) {
            let amount = 1 + next(9_000) as i64;
            docs.push(Document::Sts(sts(
                &format!("STS-OPEN-{round}-{j}"),
                OPD,
                "4.1.02.01.05.0001",
                amount,
                20,
            )));
            docs.push(Document::Sp2d(sp2d(
                &format!("SP2D-OPEN-{round}-{j}"),
                amount,
                20,
            )));
        }
        ok(
            "docs",
            s.import_file(
                LEDGER,
                document_batch(&format!("docs-r{round}"), docs.clone()),
            ),
        );
        let mut file = statement_file(RKUD, &lines);
        if let Some(st) = file.statements.first_mut() {
            st.balances = vec![
                Balance {
                    kind: BalanceKind::OpeningBooked,
                    amount: opening,
                    currency: Currency::IDR,
                    date: Some(day(2)),
                },
                Balance {
                    kind: BalanceKind::ClosingBooked,
                    amount: total,
                    currency: Currency::IDR,
                    date: Some(day(25)),
                },
            ];
        }
        let batch = ok(
            "batch",
            build_import_batch(
                source(&format!("stmt-r{round}"), "mt940"),
                &file,
                &|a: &str| kasda_store::conformance::role_of(a),
            ),
        );
        ok("import", s.import_file(LEDGER, batch));
        for (i, doc_key, amount, credit) in matches {
            let l = &lines[i];
            let key = line_key(&mut s, l.day, &l.reference);
            let ids = vec![key, doc_key.clone()];
            let entry = if credit {
                let Some(Document::Sts(st)) = docs.iter().find(|d| d.natural_key() == doc_key)
                else {
                    panic!("sts {doc_key}")
                };
                ok(
                    "sts match",
                    posting::match_sts_to_credit(
                        &ctx("sts", &ids, l.day),
                        RKUD,
                        idr(amount),
                        OPD,
                        &st.lines,
                    ),
                )
            } else {
                ok(
                    "sp2d match",
                    posting::match_sp2d_to_debits(
                        &ctx("sp2d", &ids, l.day),
                        RKUD,
                        &[(RKUD.to_string(), idr(amount))],
                    ),
                )
            };
            append(&mut s, entry, ids);
        }

        let p = params(1, 31);
        let r = build_ok(&mut s, ReportKind::Bar, &p);
        let ReportData::Bar(BarData::Bank { accounts }) = &r.data else {
            panic!("not a bank BAR")
        };
        let b = &accounts[0];
        assert_eq!(b.unexplained, Some(Decimal::ZERO), "round {round}");
        let listed: Decimal = b.items.iter().map(|i| i.amount).sum();
        let cats: Decimal = b.categories.iter().map(|c| c.amount).sum();
        assert_eq!(listed, cats, "round {round}");

        let entries = all_entries(&mut s);
        let m = sums(&entries, NaiveDate::MIN, day(31));
        let kas = of_kind(&m, AccountKind::KasDaerah);
        assert_eq!(b.ledger_balance, kas, "round {round}");

        let r = build_ok(&mut s, ReportKind::Lak, &p);
        let ReportData::Lak(l) = &r.data else {
            panic!("not a LAK")
        };
        assert_eq!(l.closing_kas_bud, kas, "round {round}");
        assert_eq!(l.statement_openings_not_posted, opening, "round {round}");

        let r = build_ok(&mut s, ReportKind::Bku, &p);
        let ReportData::Bku(k) = &r.data else {
            panic!("not a BKU")
        };
        assert_eq!(k.books[0].closing, kas, "round {round}");
        assert_eq!(k.books[0].rows.len(), count, "round {round}");

        let r = build_ok(&mut s, ReportKind::Rekap, &p);
        let ReportData::Rekap(x) = &r.data else {
            panic!("not a rekap")
        };
        assert_eq!(
            x.total_to_date,
            -of_kind(&m, AccountKind::PendapatanLra),
            "round {round}"
        );
    }
}

/// The OPD's receiving bank account in the tunai/bank scenario.
const RECEIVING: &str = "0055667788";

/// The scenario plus a receiving bank account for the OPD's bendahara penerimaan: Rp60 credited
/// on 1 March (before the period), Rp250 credited on day 4, Rp100 transferred out on day 6.
fn scenario_with_receiving_account() -> (MemoryStore, Config) {
    let text = CONFIG.replace(
        "revenue_codes = [\"4.1.02\"]",
        &format!("revenue_codes = [\"4.1.02\"]\nreceiving_account = \"{RECEIVING}\""),
    );
    let cfg = ok("config", Config::from_str(&text));
    let mut s = scenario();
    let batch = ok(
        "receiving statement",
        build_import_batch(
            source("stmt-opd", "mt940"),
            &statement_file(
                RECEIVING,
                &[
                    line(1, "OPD-IN-1", 60, true),
                    line(4, "OPD-IN-2", 250, true),
                    line(6, "OPD-OUT-1", 100, false),
                ],
            ),
            &|a: &str| {
                if a == RECEIVING {
                    kasda_core::posting::AccountRole::OpdReceiving { opd: OPD.into() }
                } else {
                    kasda_store::conformance::role_of(a)
                }
            },
        ),
    );
    ok("receiving import", s.import_file(LEDGER, batch));
    (s, cfg)
}

#[test]
fn bku_bendahara_splits_tunai_and_bank() {
    use kasda_report::bku::CashSplit;
    let (mut s, cfg) = scenario_with_receiving_account();
    let mut p = params(2, 31);
    p.opd = Some(OPD.into());
    let r = ok("build", build(&mut s, LEDGER, &cfg, ReportKind::Bku, &p));
    let ReportData::Bku(b) = &r.data else {
        panic!("not a BKU")
    };
    let book = &b.books[0];
    let split = |t: i64, k: i64| {
        Some(CashSplit {
            tunai: idr(t),
            bank: idr(k),
        })
    };
    // Opening: only the bank credit of day 1.
    assert_eq!(book.opening, idr(60));
    assert_eq!(book.opening_split, split(0, 60));
    // STS +500 +200 and the STS-001 deposit -500 in cash; bank +250 -100.
    assert_eq!(book.receipts_split, split(700, 250));
    assert_eq!(book.payments_split, split(500, 100));
    assert_eq!(book.closing, idr(410));
    assert_eq!(book.closing_split, split(200, 210));
    // Every line's split adds up to its running balance, and the split totals to the book's.
    for row in &book.rows {
        let sp = row
            .split
            .unwrap_or_else(|| panic!("line {} has no split", row.no));
        assert_eq!(sp.total(), row.balance, "line {}", row.no);
    }
    assert_eq!(
        book.rows.last().and_then(|x| x.split),
        book.closing_split,
        "the last line's split is the closing split"
    );
    let (rs, ps) = (
        book.receipts_split.unwrap_or_default(),
        book.payments_split.unwrap_or_default(),
    );
    assert_eq!(rs.total(), book.receipts_period);
    assert_eq!(ps.total(), book.payments_period);
    // Independent: the bank part is Σ of the receiving account's statement lines on the
    // bendahara's cash account up to the end of the period.
    let key = AccountKey::new(AccountKind::KasBendaharaPenerimaan, OPD);
    let bank: Decimal = all_entries(&mut s)
        .iter()
        .filter(|e| e.entry.kind == kasda_core::ledger::EntryKind::StatementLine)
        .flat_map(|e| e.entry.postings.iter())
        .filter(|x| x.account == key)
        .map(|x| x.debit_signed())
        .sum();
    assert_eq!(book.closing_split.map(|x| x.bank), Some(bank));
    // The same figures under a cut-off taken now (the aggregate path with recording times).
    let mut known = p.clone();
    known.known_at = Some(Utc::now());
    let again = ok(
        "build",
        build(&mut s, LEDGER, &cfg, ReportKind::Bku, &known),
    );
    let ReportData::Bku(b2) = &again.data else {
        panic!("not a BKU")
    };
    assert_eq!(b2.books, b.books);

    // Every output format carries the split columns and totals.
    for (f, ext) in [
        (OutputFormat::Text, "txt"),
        (OutputFormat::Csv, "csv"),
        (OutputFormat::Json, "json"),
    ] {
        golden(&format!("bku-bendahara.{ext}"), &render_string(&r, f));
    }
    let html = render_string(&r, OutputFormat::Html);
    assert!(html.contains("Saldo Tunai") && html.contains("Saldo Bank"));
    assert!(html.contains("a. Tunai Rp200,00 b. Bank Rp210,00"));
    use calamine::{Data, Reader, Xlsx};
    let mut bytes = Vec::new();
    ok("xlsx", render(&r, OutputFormat::Xlsx, &mut bytes));
    let mut wb: Xlsx<_> = ok("open", Xlsx::new(std::io::Cursor::new(bytes)));
    let mut found = false;
    for name in wb.sheet_names() {
        let sheet = ok("sheet", wb.worksheet_range(&name));
        for row in sheet.rows() {
            if row.get(3) == Some(&Data::String("Saldo akhir".into())) {
                assert_eq!(row.get(7), Some(&Data::Float(200.0)), "{row:?}");
                assert_eq!(row.get(8), Some(&Data::Float(210.0)), "{row:?}");
                assert_eq!(row.get(9), Some(&Data::Float(410.0)), "{row:?}");
                found = true;
            }
        }
    }
    assert!(found, "closing split row not found in the workbook");
}

/// Books the scenario RKUD's saldo awal of `amount` on day 2 (the statement's opening date)
/// through maker-checker, as `kasda match propose --opening-balance` does.
fn book_opening(s: &mut MemoryStore, amount: i64) {
    let entry = ok(
        "opening entry",
        posting::opening_balance(
            &posting::OpeningContext {
                booked_on: day(2),
                occurrence: 1,
                memo: "saldo awal per rekening koran stmt-1".into(),
            },
            &AccountKey::new(AccountKind::KasDaerah, RKUD),
            idr(amount),
        ),
    );
    let id = ok(
        "propose",
        s.propose(
            LEDGER,
            kasda_store::NewProposal {
                kind: kasda_store::ProposalKind::OpeningBalance,
                reason: "saldo awal disepakati BUD".into(),
                proposed_by: "bendahara-umum".into(),
                entries: vec![entry.into()],
            },
        ),
    );
    ok("approve", s.approve(LEDGER, id, "kuasa-bud"));
}

fn bank_bar(r: &Report) -> &kasda_report::bar::BankBar {
    let ReportData::Bar(BarData::Bank { accounts }) = &r.data else {
        panic!("not a bank BAR")
    };
    &accounts[0]
}

#[test]
fn booked_opening_balance_replaces_the_unbooked_note() {
    let mut s = scenario();
    book_opening(&mut s, 1_000_000);

    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let b = bank_bar(&r);
    // The ledger now carries the bank's balance itself.
    assert_eq!(b.ledger_balance, idr(1_000_370));
    assert_eq!(b.bank_balance, Some(b.ledger_balance));
    assert_eq!(b.opening_not_posted, Decimal::ZERO);
    assert_eq!(b.opening_booked, Some(idr(1_000_000)));
    assert!(b
        .items
        .iter()
        .all(|i| i.category != ItemCategory::OpeningBalanceDifference));
    assert_eq!(b.adjusted_bank, Some(idr(1_000_420)));
    assert_eq!(b.adjusted_book, idr(1_000_420));
    assert_eq!(b.unexplained, Some(Decimal::ZERO));
    let text = render_string(&r, OutputFormat::Text);
    assert!(!text.contains("belum dibukukan"), "{text}");
    assert!(
        text.contains("saldo awal Rp1.000.000,00 dibukukan di ledger"),
        "{text}"
    );
    assert!(!text.contains("Selisih saldo awal"), "{text}");

    // LAK: the saldo awal booked inside the period is opening kas, not a cash flow.
    let r = build_ok(&mut s, ReportKind::Lak, &params(1, 31));
    let ReportData::Lak(l) = &r.data else {
        panic!("not a LAK")
    };
    assert_eq!(l.opening_kas_bud, idr(1_000_000));
    assert_eq!(l.closing_kas_bud, idr(1_000_370));
    assert_eq!(l.opening_kas_bud + l.net_change, l.closing_kas_bud);
    assert_eq!(l.statement_openings_not_posted, Decimal::ZERO);
    assert!(l.lines.iter().all(|x| x.code != "K.3.01"), "{:?}", l.lines);
    let operasi = l
        .groups
        .iter()
        .find(|g| g.group == kasda_report::lak::LakGroup::Operasi);
    assert_eq!(operasi.map(|g| g.inflow), Some(idr(625)));
    let text = render_string(&r, OutputFormat::Text);
    assert!(!text.contains("belum dibukukan"), "{text}");
    // A period starting after the opening date has it in its opening balance already.
    let r = build_ok(&mut s, ReportKind::Lak, &params(4, 31));
    let ReportData::Lak(l) = &r.data else {
        panic!("not a LAK")
    };
    assert_eq!(l.opening_kas_bud + l.net_change, l.closing_kas_bud);
    assert_eq!(l.closing_kas_bud, idr(1_000_370));

    // Daily position: ledger and bank agree outright.
    let r = build_ok(&mut s, ReportKind::DailyPosition, &params(5, 5));
    let ReportData::DailyPosition(d) = &r.data else {
        panic!("not a position")
    };
    let a = &d.accounts[0];
    assert_eq!(a.closing, idr(1_000_370));
    assert_eq!(a.opening_not_posted, Decimal::ZERO);
    assert_eq!(a.difference, Some(Decimal::ZERO));
    // On the day it is booked the saldo awal opens the account; it is not an inflow.
    let r = build_ok(&mut s, ReportKind::DailyPosition, &params(2, 2));
    let ReportData::DailyPosition(d) = &r.data else {
        panic!("not a position")
    };
    let a = &d.accounts[0];
    assert_eq!(a.opening, idr(1_000_000));
    assert_eq!(a.inflow, Decimal::ZERO);
    assert_eq!(a.closing, idr(1_000_000));
}

#[test]
fn a_saldo_awal_unlike_the_bank_is_a_reconciling_item() {
    let mut s = scenario();
    // The BUD agreed Rp999.000 (the audited closing), the bank opened with Rp1.000.000.
    book_opening(&mut s, 999_000);
    let r = build_ok(&mut s, ReportKind::Bar, &params(1, 31));
    let b = bank_bar(&r);
    assert_eq!(b.ledger_balance, idr(999_370));
    assert_eq!(b.opening_not_posted, Decimal::ZERO);
    assert_eq!(b.opening_booked, Some(idr(999_000)));
    let differences: Vec<_> = b
        .items
        .iter()
        .filter(|i| i.category == ItemCategory::OpeningBalanceDifference)
        .collect();
    assert_eq!(differences.len(), 1);
    assert_eq!(differences[0].amount, idr(1_000));
    assert_eq!(differences[0].date, Some(day(2)));
    // The item closes the proof to exactly zero; the BKU balance is the ledger's.
    assert_eq!(b.unexplained, Some(Decimal::ZERO));
    assert_eq!(b.adjusted_bank, Some(b.adjusted_book));
    let listed: Decimal = b.items.iter().map(|i| i.amount).sum();
    let cats: Decimal = b.categories.iter().map(|c| c.amount).sum();
    assert_eq!(listed, cats);
    let text = render_string(&r, OutputFormat::Text);
    assert!(text.contains("Selisih saldo awal"), "{text}");
    assert!(!text.contains("belum dibukukan"), "{text}");

    let r = build_ok(&mut s, ReportKind::DailyPosition, &params(5, 5));
    let ReportData::DailyPosition(d) = &r.data else {
        panic!("not a position")
    };
    assert_eq!(d.accounts[0].difference, Some(idr(1_000)));
    let r = build_ok(&mut s, ReportKind::Lak, &params(1, 31));
    let ReportData::Lak(l) = &r.data else {
        panic!("not a LAK")
    };
    assert_eq!(l.opening_kas_bud, idr(999_000));
    assert_eq!(l.opening_kas_bud + l.net_change, l.closing_kas_bud);
}
