//! The store conformance suite: what it means to be a kasda store.
//!
//! Every function takes a factory that returns a fresh, empty store (migrated or not; the suite
//! migrates) and panics with a message naming the broken rule. Stores run the whole suite with
//! [`conformance_tests!`](crate::conformance_tests), which generates one `#[test]` per check:
//!
//! ```text
//! kasda_store::conformance_tests!(|| my_store::open_test_store());
//! ```
//!
//! The store must also implement [`TamperHook`] in its test support so the suite can attack it
//! from underneath (tampering, deleting, raw unbalanced inserts, plain UPDATE/DELETE).
//!
//! The in-memory store is the oracle: [`chain_matches_oracle`] and [`random_operations`] replay
//! the same imports on a [`MemoryStore`] and demand bit-identical hash chains.

pub mod aggregates;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::{
    BkuLine, BkuOwner, Channel, Document, Receipt, ReceiptStatus, RevenueLine, Sp2d, Sp2dType, Sts,
};
use kasda_core::ledger::{
    AccountKey, AccountKind, EntryKind, JournalEntry, LedgerError, Posting, StoredEntry,
};
use kasda_core::money::{Currency, Direction};
use kasda_core::posting::{self, AccountRole, MatchContext};
use kasda_core::statement::{
    AccountId, Entry, EntryStatus, References, Remittance, SourcePos, Statement, StatementFile,
};
use kasda_core::statement::{
    Balance, BalanceKind, BankTxCode, ControlTotals, Party, StatementFormat, StatementKind,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::is_match_entry;
use crate::{
    build_document_batch, build_import_batch, DocKind, FindingInput, FindingStatus, ImportBatch,
    LedgerInfo, MemoryStore, Mutation, NewEntry, NewProposal, ProposalKind, ProposalStatus,
    ReconLine, ReconReceipt, RunInfo, RunKind, SourceFile, Store, StoreError, StoredLine,
    TamperHook, TrailQuery, TrailRelation,
};

/// The ledger every check uses.
pub const LEDGER: &str = "kota-uji";
/// An RKUD account of the fixtures.
pub const RKUD: &str = "0011223344";
/// A holding account of the fixtures.
pub const HOLDING: &str = "0099887766";

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The fixtures' account register: RKUD, holding, everything else unregistered.
pub fn role_of(account: &str) -> AccountRole {
    match account {
        RKUD => AccountRole::Rkud,
        HOLDING => AccountRole::Holding,
        _ => AccountRole::Unregistered,
    }
}

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
}

/// Asserts that every answer through the trait about `ledger` is the same in both stores (the
/// export tests' check that a moved ledger is the same ledger).
pub fn assert_same_answers<A: Store + ?Sized, B: Store + ?Sized>(
    a: &mut A,
    b: &mut B,
    ledger: &str,
) {
    let l = ledger;
    assert_eq!(a.verify(l).unwrap(), b.verify(l).unwrap());
    assert_eq!(
        a.entries(l, 0, 10_000).unwrap(),
        b.entries(l, 0, 10_000).unwrap()
    );
    assert_eq!(
        a.balances(l, None, None, None).unwrap(),
        b.balances(l, None, None, None).unwrap()
    );
    let t = a.entries(l, 0, 1).unwrap()[0].recorded_at;
    assert_eq!(
        a.balances(l, None, None, Some(t)).unwrap(),
        b.balances(l, None, None, Some(t)).unwrap()
    );
    assert_eq!(
        a.statement_lines(l, None, day(1), day(31)).unwrap(),
        b.statement_lines(l, None, day(1), day(31)).unwrap()
    );
    assert_eq!(
        a.documents(l, None, None, None).unwrap(),
        b.documents(l, None, None, None).unwrap()
    );
    assert_eq!(
        a.duplicates(l, None).unwrap(),
        b.duplicates(l, None).unwrap()
    );
    assert_eq!(a.findings(l, false).unwrap(), b.findings(l, false).unwrap());
    assert_eq!(
        a.proposals(l, false).unwrap(),
        b.proposals(l, false).unwrap()
    );
    assert_eq!(a.files(l).unwrap(), b.files(l).unwrap());
    assert_eq!(a.runs(l).unwrap(), b.runs(l).unwrap());
    assert_eq!(
        a.statements(l, None).unwrap(),
        b.statements(l, None).unwrap()
    );
    assert_eq!(a.closed_through(l).unwrap(), b.closed_through(l).unwrap());
}

fn idr(whole: i64) -> Decimal {
    Decimal::new(whole * 100, 2)
}

/// sha256 of a label, hex: stands for the bytes of a fixture file.
pub fn sha_of(label: &str) -> String {
    hex::encode(Sha256::digest(label.as_bytes()))
}

pub fn source(label: &str, format: &str) -> SourceFile {
    SourceFile {
        name: format!("{label}.dat"),
        sha256: sha_of(label),
        size_bytes: label.len() as u64,
        format: format.to_string(),
        imported_by: "operator-a".to_string(),
    }
}

/// One fixture statement line: booking day of March 2026, bank reference, whole rupiah, side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub day: u32,
    pub reference: String,
    pub amount: i64,
    pub credit: bool,
    pub booked: bool,
}

pub fn line(day: u32, reference: &str, amount: i64, credit: bool) -> Line {
    Line {
        day,
        reference: reference.to_string(),
        amount,
        credit,
        booked: true,
    }
}

/// A statement file with one statement on `account`.
pub fn statement_file(account: &str, lines: &[Line]) -> StatementFile {
    let entries = lines
        .iter()
        .enumerate()
        .map(|(i, l)| Entry {
            pos: SourcePos {
                line: 10 + i as u32 * 3,
                index: i as u32,
            },
            amount: idr(l.amount),
            currency: Currency::IDR,
            direction: Some(if l.credit {
                Direction::Credit
            } else {
                Direction::Debit
            }),
            status: if l.booked {
                EntryStatus::Booked
            } else {
                EntryStatus::Pending
            },
            booking_date: Some(day(l.day)),
            value_date: Some(day(l.day)),
            refs: References {
                account_servicer: Some(l.reference.clone()),
                ..Default::default()
            },
            remittance: Remittance {
                unstructured: vec![format!("TRF {}", l.reference)],
                ..Default::default()
            },
            ..Default::default()
        })
        .collect();
    StatementFile {
        statements: vec![Statement {
            id: Some(format!("STMT-{account}")),
            electronic_seq: Some("1".into()),
            account: AccountId {
                number: Some(account.to_string()),
                currency: Some(Currency::IDR),
                ..Default::default()
            },
            entries,
            pos: SourcePos { line: 1, index: 0 },
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A statement import batch; the file's sha256 is derived from `label`.
pub fn statement_batch(label: &str, account: &str, lines: &[Line]) -> ImportBatch {
    match build_import_batch(
        source(label, "mt940"),
        &statement_file(account, lines),
        &role_of,
    ) {
        Ok(b) => b,
        Err(e) => panic!("fixture statement batch {label} does not build: {e}"),
    }
}

pub fn receipt(ntpd: &str, channel: Channel, kode: &str, amount: i64, paid_day: u32) -> Receipt {
    Receipt {
        ntpd: ntpd.to_string(),
        kode_billing: Some(format!("KB{ntpd}")),
        ntb: Some(format!("NTB{ntpd}")),
        nop: None,
        npwpd: Some("P.2.0001234.01.01".into()),
        taxpayer_name: Some("Wajib Pajak".into()),
        jenis_pajak: Some("PBJT".into()),
        lines: vec![RevenueLine {
            kode_rekening: kode.to_string(),
            amount: idr(amount),
        }],
        masa_pajak: Some(2),
        tahun_pajak: Some(2026),
        pokok: idr(amount),
        denda: Decimal::ZERO,
        total: idr(amount),
        channel,
        bank: Some("BANK BANTEN".into()),
        account: Some(RKUD.into()),
        // 03:00 UTC = 10:00 WIB on the same day.
        paid_at: day(paid_day)
            .and_hms_opt(3, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_default(),
        paid_zone: Some("WIB".into()),
        settlement_date: Some(day(paid_day + 1)),
        status: ReceiptStatus::Paid,
        reverses_ntpd: None,
        opd: Some("BAPENDA".into()),
    }
}

pub fn reversal_of(r: &Receipt, reversal_ntpd: &str) -> Receipt {
    Receipt {
        ntpd: reversal_ntpd.to_string(),
        status: ReceiptStatus::Reversed,
        reverses_ntpd: Some(r.ntpd.clone()),
        ..r.clone()
    }
}

pub fn sts(number: &str, opd: &str, kode: &str, amount: i64, d: u32) -> Sts {
    Sts {
        number: number.to_string(),
        opd: opd.to_string(),
        bendahara: Some("Bendahara".into()),
        date: day(d),
        account: RKUD.to_string(),
        lines: vec![RevenueLine {
            kode_rekening: kode.to_string(),
            amount: idr(amount),
        }],
        total: idr(amount),
        collected_from: Some(day(d.saturating_sub(1).max(1))),
        collected_to: Some(day(d.saturating_sub(1).max(1))),
        tbp_numbers: vec![],
    }
}

pub fn sp2d(number: &str, gross: i64, d: u32) -> Sp2d {
    Sp2d {
        number: number.to_string(),
        date: day(d),
        opd: "1.02.01".into(),
        sp2d_type: Sp2dType::Ls,
        kode_rekening: Some("5.1.02.01.01".into()),
        gross: idr(gross),
        deductions: vec![],
        net: idr(gross),
        beneficiary_name: "CV Maju".into(),
        beneficiary_bank: None,
        beneficiary_account: None,
        account: RKUD.to_string(),
    }
}

pub fn bku(number: u64, amount: i64, d: u32) -> BkuLine {
    BkuLine {
        owner: BkuOwner::Bud,
        number,
        date: day(d),
        document: None,
        description: "penerimaan".into(),
        kode_rekening: None,
        amount: idr(amount),
        direction: Direction::Credit,
        account: Some(RKUD.into()),
        balance_after: None,
    }
}

/// A document import batch; rows are 2, 3, 4… as in a CSV with a header.
pub fn document_batch(label: &str, docs: Vec<Document>) -> ImportBatch {
    let rows = docs
        .into_iter()
        .enumerate()
        .map(|(i, d)| (i as u32 + 2, d))
        .collect();
    match build_document_batch(source(label, "documents"), rows) {
        Ok(b) => b,
        Err(e) => panic!("fixture document batch {label} does not build: {e}"),
    }
}

fn kas(account: &str) -> AccountKey {
    AccountKey::new(AccountKind::KasDaerah, account)
}

fn suspense_in(account: &str) -> AccountKey {
    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, account)
}

fn suspense_out(account: &str) -> AccountKey {
    AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, account)
}

fn ddp(c: Channel) -> AccountKey {
    AccountKey::new(AccountKind::DanaDalamPerjalanan, c.as_str())
}

fn ok<T>(what: &str, r: Result<T, StoreError>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected store error: {e}"),
    }
}

/// A fresh store, migrated, with the fixture ledger.
pub fn fresh<S: Store>(make: &mut dyn FnMut() -> S) -> S {
    let mut s = make();
    ok("migrate", s.migrate());
    ok(
        "ensure_ledger",
        s.ensure_ledger(&LedgerInfo {
            code: LEDGER.into(),
            name: "Kota Uji".into(),
        }),
    );
    s
}

pub(crate) fn all_entries<S: Store + ?Sized>(s: &mut S) -> Vec<StoredEntry> {
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

fn sum_postings(entries: &[StoredEntry]) -> BTreeMap<String, Decimal> {
    let mut out = BTreeMap::new();
    for e in entries {
        for p in &e.entry.postings {
            *out.entry(p.account.to_string()).or_insert(Decimal::ZERO) += p.debit_signed();
        }
    }
    out
}

fn assert_verified<S: Store + ?Sized>(s: &mut S, what: &str) {
    let r = ok("verify", s.verify(LEDGER));
    assert!(
        r.first_bad.is_none(),
        "{what}: verify reports {:?}",
        r.first_bad
    );
    let entries = all_entries(s);
    assert_eq!(
        r.entries,
        entries.len() as u64,
        "{what}: verify counted a different number of entries"
    );
    let head = entries
        .last()
        .map(|e| e.hash.clone())
        .unwrap_or_else(|| kasda_core::ledger::GENESIS_HASH.to_string());
    assert_eq!(
        r.head_hash, head,
        "{what}: verify head hash is not the last entry's hash"
    );
}

fn assert_balances_are_sums<S: Store + ?Sized>(s: &mut S, what: &str) {
    let entries = all_entries(s);
    let expected = sum_postings(&entries);
    let listed = ok("balances", s.balances(LEDGER, None, None, None));
    let listed_map: BTreeMap<String, Decimal> = listed
        .iter()
        .map(|b| (b.account.to_string(), b.balance))
        .collect();
    assert_eq!(
        listed_map, expected,
        "{what}: balances() differs from Σ postings"
    );
    let order: Vec<String> = listed.iter().map(|b| b.account.to_string()).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(
        order, sorted,
        "{what}: balances() must be ordered by account key text"
    );
    for (acct, v) in &expected {
        let key = match AccountKey::parse(acct) {
            Ok(k) => k,
            Err(e) => panic!("{what}: stored account key {acct} does not parse: {e}"),
        };
        let b = ok("balance", s.balance(LEDGER, &key, None, None));
        assert_eq!(b, *v, "{what}: balance({acct}) differs from Σ postings");
    }
}

fn sleep_tick() {
    // Stores stamp with microsecond precision; a few milliseconds separate two writes for sure.
    std::thread::sleep(Duration::from_millis(5));
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Migrations are idempotent; ledgers are created once, validated and listed in code order;
/// unknown ledgers are refused.
pub fn ledgers_and_migrations<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = make();
    ok("first migrate", s.migrate());
    let again = ok("second migrate", s.migrate());
    assert!(
        again.is_empty(),
        "a second migrate must apply nothing, applied {again:?}"
    );
    for m in ok("migration_status", s.migration_status()) {
        assert!(
            m.applied_at.is_some(),
            "migration {} still pending after migrate",
            m.name
        );
        assert_eq!(
            m.checksum.len(),
            64,
            "migration {} checksum is not a sha256 hex",
            m.name
        );
    }
    let b = LedgerInfo {
        code: "kab-b".into(),
        name: "Kabupaten B".into(),
    };
    let a = LedgerInfo {
        code: "kota-a".into(),
        name: "Kota A".into(),
    };
    ok("ensure b", s.ensure_ledger(&b));
    ok("ensure a", s.ensure_ledger(&a));
    ok("ensure a again", s.ensure_ledger(&a));
    let listed = ok("ledgers", s.ledgers());
    assert_eq!(
        listed,
        vec![b.clone(), a.clone()],
        "ledgers must be listed once each, by code"
    );
    let renamed = LedgerInfo {
        name: "Another".into(),
        ..a.clone()
    };
    assert!(
        matches!(
            s.ensure_ledger(&renamed),
            Err(StoreError::LedgerNameConflict { .. })
        ),
        "a different name for an existing ledger must be refused"
    );
    for bad in ["", "has space", "semi;colon", &"x".repeat(65)] {
        let r = s.ensure_ledger(&LedgerInfo {
            code: bad.to_string(),
            name: "x".into(),
        });
        assert!(
            matches!(r, Err(StoreError::InvalidLedgerCode { .. })),
            "ledger code {bad:?} must be refused"
        );
    }
    assert!(
        matches!(
            s.balance("nope", &kas(RKUD), None, None),
            Err(StoreError::UnknownLedger { .. })
        ),
        "an unknown ledger must be refused"
    );
    assert!(matches!(
        s.import_file("nope", statement_batch("x", RKUD, &[line(2, "A", 1, true)])),
        Err(StoreError::UnknownLedger { .. })
    ));
    // Ledgers are separate: an import into one leaves the other empty.
    ok(
        "import into a",
        s.import_file(
            "kota-a",
            statement_batch("x", RKUD, &[line(2, "A", 5, true)]),
        ),
    );
    assert_eq!(
        ok("balance b", s.balance("kab-b", &kas(RKUD), None, None)),
        Decimal::ZERO
    );
    assert_eq!(
        ok("balance a", s.balance("kota-a", &kas(RKUD), None, None)),
        idr(5)
    );
    let same_file_other_ledger = ok(
        "import same file into b",
        s.import_file(
            "kab-b",
            statement_batch("x", RKUD, &[line(2, "A", 5, true)]),
        ),
    );
    assert!(
        !same_file_other_ledger.file_already_imported,
        "file idempotency is per ledger"
    );
    let in_a = ok("entries a", s.entries("kota-a", 0, 10));
    let in_b = ok("entries b", s.entries("kab-b", 0, 10));
    assert_eq!(in_a.len(), 1);
    assert_eq!(in_b.len(), 1);
    assert_eq!(
        in_a[0].seq, in_b[0].seq,
        "each ledger numbers its own chain"
    );
    assert_ne!(
        in_a[0].hash, in_b[0].hash,
        "the ledger code is part of the hash"
    );
    // Runs, proposals and findings are numbered and kept per ledger.
    let run_a = ok(
        "run a",
        s.append_entries("kota-a", RunInfo::new(RunKind::Reconcile, "r"), vec![]),
    )
    .run_id;
    let run_b = ok(
        "run b",
        s.append_entries("kab-b", RunInfo::new(RunKind::Reconcile, "r"), vec![]),
    )
    .run_id;
    assert_eq!((run_a, run_b), (2, 2), "run ids are per ledger");
    ok(
        "finding a",
        s.record_findings("kota-a", run_a, &[finding("ISO-1", FindingStatus::Open)]),
    );
    assert!(ok("findings b", s.findings("kab-b", false)).is_empty());
    let pa = ok(
        "propose a",
        s.propose("kota-a", write_off_proposal("Budi", 9)),
    );
    let pb = ok(
        "propose b",
        s.propose("kab-b", write_off_proposal("Budi", 9)),
    );
    assert_eq!((pa, pb), (1, 1), "proposal ids are per ledger");
    assert!(matches!(
        s.approve("kab-b", 2, "Sari"),
        Err(StoreError::UnknownProposal { .. })
    ));
}

/// A statement import stores its statement, lines and one entry per booked line, numbered from
/// 1, with provenance; pending lines are stored but not posted.
pub fn import_statement<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let mut pending = line(3, "P1", 70, false);
    pending.booked = false;
    let lines = [
        line(2, "FT001", 1_000, true),
        line(2, "FT002", 250, false),
        line(3, "FT003", 40, true),
        pending,
    ];
    let batch = statement_batch("rkud-mar", RKUD, &lines);
    let sha = batch.file.sha256.clone();
    let out = ok("import", s.import_file(LEDGER, batch));
    assert!(!out.file_already_imported);
    assert_eq!(out.statements_new, 1, "statements_new");
    assert_eq!(out.lines_new, 4, "lines_new");
    assert_eq!(out.lines_duplicate, 0);
    assert_eq!(out.entries_appended, 3, "only booked lines are posted");
    assert_eq!(
        (out.first_seq, out.last_seq),
        (Some(1), Some(3)),
        "entries are numbered from 1"
    );

    let entries = all_entries(&mut s);
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    for e in &entries {
        assert_eq!(
            e.source_sha256.as_deref(),
            Some(sha.as_str()),
            "entry {} must name its file",
            e.seq
        );
        assert_eq!(
            e.run_id, out.run_id,
            "entry {} must name its import run",
            e.seq
        );
        assert_eq!(e.entry.kind, EntryKind::StatementLine);
    }
    assert_eq!(
        entries[0].entry.position, "10:0",
        "position is line:index in the file"
    );
    assert_eq!(entries[0].prev_hash, kasda_core::ledger::GENESIS_HASH);
    assert_eq!(entries[1].prev_hash, entries[0].hash, "entries chain");

    assert_eq!(
        ok("kas", s.balance(LEDGER, &kas(RKUD), None, None)),
        idr(1_000 - 250 + 40)
    );
    assert_eq!(
        ok(
            "suspense in",
            s.balance(LEDGER, &suspense_in(RKUD), None, None)
        ),
        idr(-1_040)
    );
    assert_eq!(
        ok(
            "suspense out",
            s.balance(LEDGER, &suspense_out(RKUD), None, None)
        ),
        idr(250)
    );
    assert_eq!(
        ok(
            "never posted",
            s.balance(LEDGER, &kas("unknown"), None, None)
        ),
        Decimal::ZERO,
        "an account never posted to has balance zero"
    );

    let stored = ok(
        "statement_lines",
        s.statement_lines(LEDGER, None, day(1), day(31)),
    );
    assert_eq!(stored.len(), 4);
    assert_eq!(
        stored.iter().map(|l| l.facts.pos.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3],
        "lines ordered by booking date then position"
    );
    assert_eq!(stored[0].entry_seq, Some(1));
    assert_eq!(stored[3].entry_seq, None, "a pending line has no entry");
    assert_eq!(stored[3].facts.status, EntryStatus::Pending);
    assert_eq!(stored[0].facts.bank_ref.as_deref(), Some("FT001"));
    assert!(stored[0].facts.text.contains("TRF FT001"));
    assert_eq!(stored[0].file_sha256, sha);
    let day3 = ok(
        "lines of day 3",
        s.statement_lines(LEDGER, Some(RKUD), day(3), day(3)),
    );
    assert_eq!(day3.len(), 2, "date filter is inclusive");
    assert!(ok(
        "other account",
        s.statement_lines(LEDGER, Some("nope"), day(1), day(31))
    )
    .is_empty());

    let stmts = ok("statements", s.statements(LEDGER, Some(RKUD)));
    assert_eq!(stmts.len(), 1);
    assert_eq!(stmts[0].header.line_count, 4);
    assert_eq!(
        stmts[0].header.statement_id.as_deref(),
        Some("STMT-0011223344")
    );
    assert_eq!(stmts[0].file_sha256, sha);

    let runs = ok("runs", s.runs(LEDGER));
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].kind, RunKind::Import);
    assert_eq!(runs[0].actor, "operator-a");
    let files = ok("files", s.files(LEDGER));
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file.name, "rkud-mar.dat");
    assert_eq!(files[0].run_id, out.run_id);
    assert_eq!(
        ok("file", s.file(LEDGER, &sha)).map(|f| f.run_id),
        Some(out.run_id)
    );
    assert_verified(&mut s, "after one import");
    assert_balances_are_sums(&mut s, "after one import");
}

/// The same file twice adds nothing and says so.
pub fn file_idempotency<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let lines = [line(2, "A", 10, true), line(2, "B", 3, false)];
    let first = ok(
        "first import",
        s.import_file(LEDGER, statement_batch("f", RKUD, &lines)),
    );
    let before = all_entries(&mut s);
    let second = ok(
        "second import",
        s.import_file(LEDGER, statement_batch("f", RKUD, &lines)),
    );
    assert!(
        second.file_already_imported,
        "the same sha256 must be recognised"
    );
    assert_eq!(
        second.run_id, first.run_id,
        "the outcome names the run of the first import"
    );
    assert_eq!(
        (
            second.lines_new,
            second.entries_appended,
            second.statements_new
        ),
        (0, 0, 0),
        "nothing is added"
    );
    assert_eq!(all_entries(&mut s), before);
    assert_eq!(
        ok("runs", s.runs(LEDGER)).len(),
        1,
        "no run is recorded for a skipped file"
    );
    assert_eq!(ok("files", s.files(LEDGER)).len(), 1);
    assert_eq!(ok("statements", s.statements(LEDGER, None)).len(), 1);
    let docs = vec![Document::Receipt(receipt(
        "N-1",
        Channel::Qris,
        "4.1.01.06",
        5,
        2,
    ))];
    ok(
        "docs",
        s.import_file(LEDGER, document_batch("d", docs.clone())),
    );
    let again = ok(
        "docs again",
        s.import_file(LEDGER, document_batch("d", docs)),
    );
    assert!(again.file_already_imported);
    assert_eq!(
        ok("documents", s.documents(LEDGER, None, None, None)).len(),
        1
    );
}

/// Overlapping statements add only what is new; two identical lines in one statement both
/// count; every duplicate leaves evidence.
pub fn overlapping_statements<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    // Two genuinely identical lines (same day, ref, amount) and one more.
    let a = [
        line(2, "QR", 100, true),
        line(2, "QR", 100, true),
        line(3, "X", 7, false),
    ];
    let out_a = ok(
        "import a",
        s.import_file(LEDGER, statement_batch("a", RKUD, &a)),
    );
    assert_eq!(
        out_a.entries_appended, 3,
        "identical lines in one statement both count"
    );
    // The bank re-sends the period with one more line.
    let b = [
        line(2, "QR", 100, true),
        line(2, "QR", 100, true),
        line(3, "X", 7, false),
        line(4, "Y", 20, true),
    ];
    let out_b = ok(
        "import b",
        s.import_file(LEDGER, statement_batch("b", RKUD, &b)),
    );
    assert!(!out_b.file_already_imported);
    assert_eq!(out_b.lines_new, 1, "only the new line is new");
    assert_eq!(out_b.lines_duplicate, 3);
    assert_eq!(out_b.entries_appended, 1);
    assert_eq!(
        out_b.statements_new, 1,
        "the statement header is kept for continuity checks"
    );
    assert_eq!(
        ok("kas", s.balance(LEDGER, &kas(RKUD), None, None)),
        idr(200 - 7 + 20)
    );
    let dups = ok("duplicates", s.duplicates(LEDGER, None));
    assert_eq!(dups.len(), 3);
    assert!(dups.iter().all(|d| d.same_content
        && d.file_sha256 == sha_of("b")
        && d.first_file_sha256 == sha_of("a")));
    assert!(dups.iter().all(|d| d.kind == crate::DuplicateKind::Line));
    let key = dups[0].natural_key.clone();
    assert_eq!(
        ok("dups by key", s.duplicates(LEDGER, Some(&[key]))).len(),
        1
    );
    // A third statement with a single copy of the double line adds nothing.
    let c = [line(2, "QR", 100, true)];
    let out_c = ok(
        "import c",
        s.import_file(LEDGER, statement_batch("c", RKUD, &c)),
    );
    assert_eq!(out_c.lines_new, 0);
    assert_eq!(ok("statements", s.statements(LEDGER, Some(RKUD))).len(), 3);
    // A holding account and an unregistered one post to kas-penampungan.
    ok(
        "holding",
        s.import_file(
            LEDGER,
            statement_batch("h", HOLDING, &[line(2, "H", 9, true)]),
        ),
    );
    ok(
        "stray",
        s.import_file(
            LEDGER,
            statement_batch("s", "5550001", &[line(2, "S", 4, true)]),
        ),
    );
    let pen = ok(
        "kas-penampungan balances",
        s.balances(LEDGER, Some(AccountKind::KasPenampungan), None, None),
    );
    let pen: Vec<(String, Decimal)> = pen
        .into_iter()
        .map(|b| (b.account.to_string(), b.balance))
        .collect();
    assert_eq!(
        pen,
        vec![
            (format!("kas-penampungan/{HOLDING}"), idr(9)),
            ("kas-penampungan/5550001".to_string(), idr(4)),
        ]
    );
    // An intraday report shows a line as pending; the end-of-day statement books it.
    let mut pending = line(6, "LATE", 50, true);
    pending.booked = false;
    let intraday = ok(
        "intraday",
        s.import_file(LEDGER, statement_batch("intraday", RKUD, &[pending])),
    );
    assert_eq!((intraday.lines_new, intraday.entries_appended), (1, 0));
    let booked = ok(
        "end of day",
        s.import_file(
            LEDGER,
            statement_batch("eod", RKUD, &[line(6, "LATE", 50, true)]),
        ),
    );
    assert_eq!(
        (
            booked.lines_new,
            booked.lines_duplicate,
            booked.entries_appended
        ),
        (1, 0, 1),
        "the booked line must not be swallowed by its pending announcement"
    );
    assert_verified(&mut s, "after overlapping imports");
    assert_balances_are_sums(&mut s, "after overlapping imports");
}

/// Documents are stored with their entries; a re-sent document is a duplicate with evidence,
/// a different record under the same NTPD is kept as evidence with `same_content = false`.
pub fn documents_and_duplicates<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let r1 = receipt("NTPD-001", Channel::Qris, "4.1.01.06", 150, 2);
    let r2 = receipt("NTPD-002", Channel::Teller, "4.1.01.07", 80, 3);
    let docs = vec![
        Document::Receipt(r1.clone()),
        Document::Receipt(r2.clone()),
        Document::Sts(sts("STS-01", "DISHUB", "4.1.02.01", 60, 4)),
        Document::Sp2d(sp2d("SP2D-01", 500, 5)),
        Document::Bku(bku(1, 60, 4)),
    ];
    let out = ok(
        "import docs",
        s.import_file(LEDGER, document_batch("docs-1", docs)),
    );
    assert_eq!(out.documents_new, 5);
    assert_eq!(out.entries_appended, 4, "BKU lines are stored, not posted");
    assert_eq!(
        ok(
            "ddp qris",
            s.balance(LEDGER, &ddp(Channel::Qris), None, None)
        ),
        idr(150)
    );
    assert_eq!(
        ok(
            "kbp",
            s.balance(
                LEDGER,
                &AccountKey::new(AccountKind::KasBendaharaPenerimaan, "DISHUB"),
                None,
                None
            )
        ),
        idr(60)
    );
    assert_eq!(
        ok(
            "sp2d",
            s.balance(
                LEDGER,
                &AccountKey::new(AccountKind::Sp2dBelumDicairkan, RKUD),
                None,
                None
            )
        ),
        idr(-500)
    );
    let all = ok("documents", s.documents(LEDGER, None, None, None));
    assert_eq!(
        all.iter()
            .map(|d| d.natural_key.as_str())
            .collect::<Vec<_>>(),
        vec![
            "receipt:NTPD-001",
            "receipt:NTPD-002",
            "sts:STS-01",
            "bku:bud:2026:1",
            "sp2d:SP2D-01"
        ],
        "documents ordered by (date, kind, key)"
    );
    assert_eq!(all[0].row, 2);
    assert!(all[0].entry_seq.is_some());
    assert!(all[3].entry_seq.is_none(), "a BKU line has no entry");
    assert_eq!(
        all[2].date,
        day(3),
        "an STS is filed on its last collection date"
    );
    let receipts = ok(
        "receipts",
        s.documents(LEDGER, Some(DocKind::Receipt), Some(day(3)), Some(day(3))),
    );
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].document, Document::Receipt(r2.clone()));
    let keys = vec![
        "receipt:NTPD-001".to_string(),
        "receipt:NTPD-404".to_string(),
        "sts:STS-01".to_string(),
    ];
    let existing = ok("existing keys", s.existing_document_keys(LEDGER, &keys));
    assert_eq!(existing.len(), 2);
    assert!(existing.contains("receipt:NTPD-001") && existing.contains("sts:STS-01"));
    let by_keys = ok("documents_by_keys", s.documents_by_keys(LEDGER, &keys));
    assert_eq!(by_keys.len(), 2);
    // Any identifier inside a document finds it: kode billing, NTB, NPWPD.
    let found = ok(
        "search by kode billing",
        s.search_keys(LEDGER, "kbntpd-001", 10),
    );
    assert_eq!(found, vec!["receipt:NTPD-001".to_string()]);
    let found = ok("search by NTB", s.search_keys(LEDGER, "NTBNTPD-002", 10));
    assert_eq!(found, vec!["receipt:NTPD-002".to_string()]);

    // The same receipt re-sent in another file, and a different record reusing NTPD-002.
    let mut forged = r2.clone();
    forged.total = idr(8);
    forged.pokok = idr(8);
    forged.lines[0].amount = idr(8);
    let resend = vec![
        Document::Receipt(r1.clone()),
        Document::Receipt(forged.clone()),
    ];
    let out2 = ok(
        "import resend",
        s.import_file(LEDGER, document_batch("docs-2", resend)),
    );
    assert_eq!(
        (
            out2.documents_new,
            out2.documents_duplicate,
            out2.entries_appended
        ),
        (0, 2, 0)
    );
    let dups = ok("duplicates", s.duplicates(LEDGER, None));
    assert_eq!(dups.len(), 2);
    let same = dups.iter().find(|d| d.natural_key == "receipt:NTPD-001");
    let differ = dups.iter().find(|d| d.natural_key == "receipt:NTPD-002");
    match (same, differ) {
        (Some(same), Some(differ)) => {
            assert!(
                same.same_content,
                "a re-sent identical receipt has the same content"
            );
            assert!(
                !differ.same_content,
                "a different record under a known NTPD must be marked"
            );
            assert_eq!(
                differ.document,
                Some(Document::Receipt(forged)),
                "the duplicate's evidence is kept"
            );
            assert_eq!(differ.pos, "row 3");
            assert_eq!(differ.file_sha256, sha_of("docs-2"));
            assert_eq!(differ.first_file_sha256, sha_of("docs-1"));
            assert_eq!(differ.kind, crate::DuplicateKind::Document);
        }
        _ => panic!("duplicate records missing: {dups:?}"),
    }
    // The stored receipt is the first one, unchanged.
    let stored = ok(
        "stored",
        s.documents_by_keys(LEDGER, &["receipt:NTPD-002".to_string()]),
    );
    assert_eq!(stored[0].document, Document::Receipt(r2));
    assert_balances_are_sums(&mut s, "after documents");
    assert_verified(&mut s, "after documents");
}

/// Reversal records and reversing entries bring balances back; a reversal must name an
/// existing entry.
pub fn reversals<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let r = receipt("NTPD-R1", Channel::Atm, "4.1.01.06", 300, 2);
    ok(
        "receipt",
        s.import_file(
            LEDGER,
            document_batch("r", vec![Document::Receipt(r.clone())]),
        ),
    );
    assert_eq!(
        ok("ddp", s.balance(LEDGER, &ddp(Channel::Atm), None, None)),
        idr(300)
    );
    let rev = reversal_of(&r, "NTPD-R1");
    let out = ok(
        "reversal record",
        s.import_file(LEDGER, document_batch("rr", vec![Document::Receipt(rev)])),
    );
    assert_eq!(
        out.documents_new, 1,
        "a reversal record is its own document, both are kept"
    );
    assert_eq!(
        ok(
            "ddp after reversal",
            s.balance(LEDGER, &ddp(Channel::Atm), None, None)
        ),
        Decimal::ZERO
    );
    let pbmr = AccountKey::new(AccountKind::PenerimaanBelumMasukRkud, "4.1.01.06");
    assert_eq!(
        ok("pbmr", s.balance(LEDGER, &pbmr, None, None)),
        Decimal::ZERO
    );
    assert_eq!(
        ok(
            "both kept",
            s.documents(LEDGER, Some(DocKind::Receipt), None, None)
        )
        .len(),
        2
    );

    // A wrong statement line corrected by a reversing entry.
    ok(
        "line",
        s.import_file(
            LEDGER,
            statement_batch("l", RKUD, &[line(3, "W", 40, true)]),
        ),
    );
    let entries = all_entries(&mut s);
    let Some(wrong) = entries.last().cloned() else {
        panic!("no entries after import")
    };
    let correction = wrong
        .entry
        .reversal(wrong.seq, day(4), "posted to the wrong ledger");
    let out = ok(
        "append reversal",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![correction.clone().into()],
        ),
    );
    assert_eq!(out.appended.len(), 1);
    assert_eq!(
        ok("kas", s.balance(LEDGER, &kas(RKUD), None, None)),
        Decimal::ZERO
    );
    assert_eq!(
        ok("reversing", s.entries_reversing(LEDGER, &[wrong.seq])),
        out.appended
    );
    // Appending the same correction again adds nothing.
    let again = ok(
        "append reversal again",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![correction.into()],
        ),
    );
    assert!(again.appended.is_empty());
    assert_eq!(again.duplicates, vec![format!("reversal:{}", wrong.seq)]);
    // A reversal of an entry that does not exist is refused.
    let ghost = wrong.entry.reversal(9_999, day(4), "ghost");
    assert!(
        matches!(
            s.append_entries(
                LEDGER,
                RunInfo::new(RunKind::Manual, "x"),
                vec![ghost.into()]
            ),
            Err(StoreError::UnknownReversedEntry {
                reverses: 9_999,
                ..
            })
        ),
        "a reversal must name an existing entry"
    );
    // The stored original is untouched: append-only.
    let seen = ok("original", s.entries_by_seq(LEDGER, &[wrong.seq]));
    assert_eq!(seen, vec![wrong]);
    assert_verified(&mut s, "after reversals");
    assert_balances_are_sums(&mut s, "after reversals");
}

fn match_fixture<S: Store>(s: &mut S) -> (i64, i64, i64) {
    let r = receipt("NTPD-TRAIL-7781", Channel::Qris, "4.1.01.06", 125, 2);
    let out_r = ok(
        "receipt",
        s.import_file(
            LEDGER,
            document_batch("trail-r", vec![Document::Receipt(r.clone())]),
        ),
    );
    let out_l = ok(
        "settlement line",
        s.import_file(
            LEDGER,
            statement_batch("trail-l", RKUD, &[line(3, "QRIS-SETTLE-1", 125, true)]),
        ),
    );
    let lines = ok(
        "lines",
        s.statement_lines(LEDGER, Some(RKUD), day(3), day(3)),
    );
    let line_key = lines[0].facts.natural_key.clone();
    let ids = vec![line_key.clone(), "receipt:NTPD-TRAIL-7781".to_string()];
    let ctx = MatchContext {
        rule: "h2h-1to1".into(),
        ids: ids.clone(),
        booked_on: day(3),
        value_date: day(3),
        memo: "QRIS settlement matched".into(),
    };
    let m = match posting::match_receipts_to_credit(
        &ctx,
        RKUD,
        idr(125),
        &[(Channel::Qris, idr(125))],
        &r.lines,
    ) {
        Ok(m) => m,
        Err(e) => panic!("match fixture: {e}"),
    };
    let out_m = ok(
        "append match",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "recon-bot"),
            vec![NewEntry {
                entry: m,
                joins: ids,
            }],
        ),
    );
    (
        out_r.first_seq.unwrap_or_default(),
        out_l.first_seq.unwrap_or_default(),
        out_m.appended.first().copied().unwrap_or_default(),
    )
}

/// Derived entries are idempotent by natural key and keep the keys of the facts they join;
/// a match drains the clearing accounts.
pub fn matches_and_joins<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let (receipt_seq, line_seq, match_seq) = match_fixture(&mut s);
    assert!(receipt_seq > 0 && line_seq > receipt_seq && match_seq > line_seq);
    assert_eq!(
        ok("ddp", s.balance(LEDGER, &ddp(Channel::Qris), None, None)),
        Decimal::ZERO
    );
    assert_eq!(
        ok(
            "suspense",
            s.balance(LEDGER, &suspense_in(RKUD), None, None)
        ),
        Decimal::ZERO
    );
    assert_eq!(
        ok(
            "lra",
            s.balance(
                LEDGER,
                &AccountKey::new(AccountKind::PendapatanLra, "4.1.01.06"),
                None,
                None
            )
        ),
        idr(-125)
    );
    let joins = ok("joins", s.entry_joins(LEDGER, &[match_seq]));
    let line_key = ok("line", s.entries_by_seq(LEDGER, &[line_seq]))[0]
        .entry
        .natural_key
        .clone();
    assert_eq!(
        joins,
        vec![
            (match_seq, line_key.clone()),
            (match_seq, "receipt:NTPD-TRAIL-7781".to_string())
        ],
        "joins are kept in the order given"
    );
    assert_eq!(
        ok("joining", s.entries_joining(LEDGER, &[line_key])),
        vec![match_seq]
    );
    let m = ok("match entry", s.entries_by_seq(LEDGER, &[match_seq]));
    assert_eq!(
        m[0].source_sha256, None,
        "derived entries have no source file"
    );
    let run = ok("run", s.run(LEDGER, m[0].run_id));
    assert_eq!(
        run.map(|r| (r.kind, r.actor)),
        Some((RunKind::Reconcile, "recon-bot".to_string()))
    );
    // Appending the same match again is a no-op that names the key; an empty append still
    // records its run.
    let again = ok(
        "again",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "recon-bot"),
            vec![m[0].entry.clone().into()],
        ),
    );
    assert!(again.appended.is_empty());
    assert_eq!(again.duplicates, vec![m[0].entry.natural_key.clone()]);
    let runs_before = ok("runs", s.runs(LEDGER)).len();
    let empty = ok(
        "empty",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "recon-bot"),
            vec![],
        ),
    );
    assert!(empty.appended.is_empty());
    assert_eq!(ok("runs", s.runs(LEDGER)).len(), runs_before + 1);
    // Two entries with one key in the same call: the first wins.
    let e = fee_entry("dup-in-call", 3);
    let out = ok(
        "dup in call",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "r"),
            vec![e.clone().into(), e.into()],
        ),
    );
    assert_eq!(out.appended.len(), 1);
    assert_eq!(out.duplicates.len(), 1);
    let by_key = ok(
        "by key",
        s.entries_by_keys(
            LEDGER,
            &["match:fee.dup-in-call:x".to_string(), "nope".to_string()],
        ),
    );
    assert_eq!(by_key.len(), 1);
    assert_verified(&mut s, "after matches");
    assert_balances_are_sums(&mut s, "after matches");
}

fn fee_entry(rule: &str, amount: i64) -> JournalEntry {
    let ctx = MatchContext {
        rule: rule.into(),
        ids: vec!["x".into()],
        booked_on: day(5),
        value_date: day(5),
        memo: "fee".into(),
    };
    match posting::fee(&ctx, Channel::Retail, idr(amount)) {
        Ok(e) => e,
        Err(e) => panic!("fee fixture: {e}"),
    }
}

/// Balances as of a booking date and as known at a recording time; day movements.
pub fn balances_bitemporal<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "day 2",
        s.import_file(
            LEDGER,
            statement_batch("d2", RKUD, &[line(2, "A", 100, true)]),
        ),
    );
    sleep_tick();
    let t1 = Utc::now();
    sleep_tick();
    // Arrives later, but is booked on day 1 (a late statement for an earlier day), and day 4.
    ok(
        "late",
        s.import_file(
            LEDGER,
            statement_batch(
                "d1",
                RKUD,
                &[line(1, "B", 30, true), line(4, "C", 5, false)],
            ),
        ),
    );
    let k = kas(RKUD);
    let bal = |s: &mut S, as_of: Option<NaiveDate>, known: Option<DateTime<Utc>>| {
        ok("balance", s.balance(LEDGER, &k, as_of, known))
    };
    assert_eq!(bal(&mut s, None, None), idr(125));
    assert_eq!(bal(&mut s, Some(day(1)), None), idr(30), "as of day 1");
    assert_eq!(bal(&mut s, Some(day(3)), None), idr(130), "as of day 3");
    assert_eq!(
        bal(&mut s, None, Some(t1)),
        idr(100),
        "as known before the late import"
    );
    assert_eq!(
        bal(&mut s, Some(day(1)), Some(t1)),
        Decimal::ZERO,
        "as of day 1, as known then"
    );
    let long_ago = DateTime::from_timestamp(0, 0).unwrap_or_default();
    assert_eq!(bal(&mut s, None, Some(long_ago)), Decimal::ZERO);
    let known_then = ok(
        "balances known then",
        s.balances(LEDGER, None, None, Some(t1)),
    );
    assert_eq!(
        known_then.len(),
        2,
        "only accounts with postings known then: {known_then:?}"
    );
    let cash = ok(
        "cash",
        s.balances(LEDGER, Some(AccountKind::KasDaerah), Some(day(3)), None),
    );
    assert_eq!(cash.len(), 1);
    assert_eq!(cash[0].balance, idr(130));
    let moves = ok("day movements", s.day_movements(LEDGER, &k, day(2), day(4)));
    assert_eq!(moves.len(), 2, "only days with movement: {moves:?}");
    assert_eq!(
        (
            moves[0].day,
            moves[0].debits,
            moves[0].credits,
            moves[0].closing
        ),
        (day(2), idr(100), Decimal::ZERO, idr(130))
    );
    assert_eq!(
        (
            moves[1].day,
            moves[1].debits,
            moves[1].credits,
            moves[1].closing
        ),
        (day(4), Decimal::ZERO, idr(5), idr(125))
    );
    // A reversal booked later changes later balances only.
    let entries = all_entries(&mut s);
    let rev = entries[0]
        .entry
        .reversal(entries[0].seq, day(6), "wrong account");
    ok(
        "reverse",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "sup"),
            vec![rev.into()],
        ),
    );
    assert_eq!(bal(&mut s, Some(day(5)), None), idr(125));
    assert_eq!(bal(&mut s, Some(day(6)), None), idr(25));
    // Zero balances stay listed: the account had postings.
    let rec = ok("recorded_at monotonic", s.entries(LEDGER, 0, 100));
    assert!(
        rec.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at),
        "recorded_at must not go backwards"
    );
    assert_balances_are_sums(&mut s, "bitemporal");
}

/// The trail walks from a reference to receipt, statement line, match and its reversal, with
/// files and runs.
pub fn trail_walks<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    // Unrelated noise that must not appear, and a pending line.
    let mut pending = line(5, "PENDING-XYZ", 3, true);
    pending.booked = false;
    ok(
        "noise",
        s.import_file(
            LEDGER,
            statement_batch("noise", RKUD, &[line(5, "OTHER", 9, false), pending]),
        ),
    );
    let only_pending = ok(
        "pending",
        s.trail(
            LEDGER,
            &TrailQuery::Reference {
                text: "pending-xyz".into(),
            },
        ),
    );
    assert!(only_pending.steps.is_empty(), "a pending line has no entry");
    assert_eq!(
        only_pending.lines.len(),
        1,
        "but the matching line is in the answer"
    );
    let (receipt_seq, line_seq, match_seq) = match_fixture(&mut s);
    let m = ok("match", s.entries_by_seq(LEDGER, &[match_seq]));
    let undo = m[0]
        .entry
        .reversal(match_seq, day(6), "matched the wrong settlement");
    let out = ok(
        "undo",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![undo.into()],
        ),
    );
    let undo_seq = out.appended[0];

    let trail = ok(
        "trail by NTPD",
        s.trail(
            LEDGER,
            &TrailQuery::Reference {
                text: "ntpd-trail-7781".into(),
            },
        ),
    );
    let seqs: Vec<i64> = trail.steps.iter().map(|t| t.entry.seq).collect();
    assert_eq!(
        seqs,
        vec![receipt_seq, line_seq, match_seq, undo_seq],
        "trail steps in seq order"
    );
    assert!(!trail.truncated);
    let rel = |seq: i64| {
        trail
            .steps
            .iter()
            .find(|t| t.entry.seq == seq)
            .map(|t| t.relation.clone())
    };
    assert_eq!(rel(receipt_seq), Some(TrailRelation::Origin));
    assert_eq!(
        rel(match_seq),
        Some(TrailRelation::Origin),
        "the match key names the NTPD"
    );
    assert_eq!(rel(line_seq), Some(TrailRelation::JoinedBy(match_seq)));
    assert_eq!(rel(undo_seq), Some(TrailRelation::Reverses(match_seq)));
    let receipt_step = &trail.steps[0];
    assert_eq!(
        receipt_step.file.as_ref().map(|f| f.file.name.as_str()),
        Some("trail-r.dat")
    );
    assert_eq!(
        receipt_step.run.as_ref().map(|r| r.actor.as_str()),
        Some("operator-a")
    );
    let match_step = &trail.steps[2];
    assert!(match_step.file.is_none());
    assert_eq!(
        match_step.run.as_ref().map(|r| r.kind),
        Some(RunKind::Reconcile)
    );
    assert_eq!(match_step.joins.len(), 2);
    assert_eq!(trail.lines.len(), 1, "the settlement line is in the trail");
    assert_eq!(
        trail.lines[0].facts.bank_ref.as_deref(),
        Some("QRIS-SETTLE-1")
    );
    assert_eq!(trail.documents.len(), 1);
    assert_eq!(trail.documents[0].natural_key, "receipt:NTPD-TRAIL-7781");

    // From the bank line's reference: the same chain.
    let by_ref = ok(
        "trail by bank ref",
        s.trail(
            LEDGER,
            &TrailQuery::Reference {
                text: "QRIS-SETTLE".into(),
            },
        ),
    );
    let seqs2: Vec<i64> = by_ref.steps.iter().map(|t| t.entry.seq).collect();
    assert_eq!(seqs2, vec![receipt_seq, line_seq, match_seq, undo_seq]);
    assert_eq!(by_ref.steps[1].relation, TrailRelation::Origin);
    // From one entry.
    let by_entry = ok(
        "trail by entry",
        s.trail(LEDGER, &TrailQuery::Entry { seq: undo_seq }),
    );
    assert_eq!(by_entry.steps.len(), 4);
    assert_eq!(
        by_entry
            .steps
            .iter()
            .find(|t| t.entry.seq == match_seq)
            .map(|t| t.relation.clone()),
        Some(TrailRelation::ReversedBy(undo_seq))
    );
    // By account and dates: the noise line and the settlement line touch kas-daerah.
    let by_account = ok(
        "trail by account",
        s.trail(
            LEDGER,
            &TrailQuery::Account {
                account: kas(RKUD),
                from: day(5),
                to: day(5),
            },
        ),
    );
    assert_eq!(
        by_account.steps.len(),
        1,
        "only the noise line is booked on day 5"
    );
    assert!(ok(
        "nothing",
        s.trail(
            LEDGER,
            &TrailQuery::Reference {
                text: "no-such-ref".into()
            }
        )
    )
    .steps
    .is_empty());
    assert!(matches!(
        s.trail(LEDGER, &TrailQuery::Reference { text: "  ".into() }),
        Err(StoreError::InvalidInput { .. })
    ));
    let accounts = ok(
        "account entries",
        s.account_entries(LEDGER, &ddp(Channel::Qris), day(1), day(31)),
    );
    assert_eq!(
        accounts.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![receipt_seq, match_seq, undo_seq]
    );
}

/// Two stores fed the same files in the same order hold bit-identical chains: the chain does
/// not depend on the store.
pub fn chain_matches_oracle<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let mut oracle = fresh(&mut MemoryStore::new);
    let batches = vec![
        statement_batch(
            "o1",
            RKUD,
            &[line(2, "A", 10, true), line(2, "B", 4, false)],
        ),
        document_batch(
            "o2",
            vec![
                Document::Receipt(receipt("O-1", Channel::Mobile, "4.1.01.09", 10, 2)),
                Document::Sp2d(sp2d("O-SP2D", 4, 2)),
            ],
        ),
        statement_batch("o3", HOLDING, &[line(3, "C", 99, true)]),
    ];
    for b in batches {
        ok("store import", s.import_file(LEDGER, b.clone()));
        ok("oracle import", oracle.import_file(LEDGER, b));
    }
    let e = fee_entry("oracle", 1);
    ok(
        "store append",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "r"),
            vec![e.clone().into()],
        ),
    );
    ok(
        "oracle append",
        oracle.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "r"),
            vec![e.into()],
        ),
    );
    let mine: Vec<(i64, String, String)> = all_entries(&mut s)
        .into_iter()
        .map(|e| (e.seq, e.prev_hash, e.hash))
        .collect();
    let theirs: Vec<(i64, String, String)> = all_entries(&mut oracle)
        .into_iter()
        .map(|e| (e.seq, e.prev_hash, e.hash))
        .collect();
    assert_eq!(
        mine, theirs,
        "hash chain differs from the in-memory oracle's"
    );
    let a = ok("verify", s.verify(LEDGER));
    let b = ok("oracle verify", oracle.verify(LEDGER));
    assert_eq!(a, b);
}

/// `verify` catches an altered amount and a deleted entry.
pub fn tamper_detection<S: Store + TamperHook>(make: &mut dyn FnMut() -> S) {
    let lines = [
        line(2, "A", 10, true),
        line(2, "B", 20, true),
        line(3, "C", 30, false),
    ];
    let mut s = fresh(make);
    ok(
        "import",
        s.import_file(LEDGER, statement_batch("t", RKUD, &lines)),
    );
    assert_verified(&mut s, "before tampering");
    ok("tamper", s.tamper_amount(LEDGER, 2, Decimal::from(10)));
    let r = ok("verify", s.verify(LEDGER));
    assert_eq!(
        r.first_bad.map(|f| f.seq),
        Some(2),
        "an altered amount must be caught at its entry"
    );
    assert_eq!(r.entries, 3);

    let mut s = fresh(make);
    ok(
        "import",
        s.import_file(LEDGER, statement_batch("t", RKUD, &lines)),
    );
    ok("delete", s.delete_entry(LEDGER, 2));
    let r = ok("verify", s.verify(LEDGER));
    assert_eq!(
        r.first_bad.map(|f| f.seq),
        Some(3),
        "a deleted entry shows as a gap at the next one"
    );

    let mut s = fresh(make);
    ok(
        "import",
        s.import_file(LEDGER, statement_batch("t", RKUD, &lines)),
    );
    ok("delete last", s.delete_entry(LEDGER, 3));
    let r = ok("verify", s.verify(LEDGER));
    // Deleting the head cannot be seen from the chain alone; the head hash changes, which is
    // what an auditor compares against a published head.
    assert_eq!(r.entries, 2);
    assert!(r.first_bad.is_none());
}

/// Unbalanced entries are refused by the API and by the storage underneath; an import with one
/// leaves no trace.
pub fn unbalanced_refused<S: Store + TamperHook>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let unbalanced = JournalEntry {
        kind: EntryKind::Match,
        booked_on: day(2),
        value_date: day(2),
        natural_key: "match:bad:1".into(),
        position: String::new(),
        memo: String::new(),
        reverses: None,
        postings: vec![
            Posting::debit(kas(RKUD), idr(100)),
            Posting::credit(suspense_in(RKUD), idr(99)),
        ],
    };
    assert!(
        matches!(
            s.append_entries(
                LEDGER,
                RunInfo::new(RunKind::Reconcile, "r"),
                vec![unbalanced.clone().into()]
            ),
            Err(StoreError::InvalidEntry { .. })
        ),
        "append_entries must validate"
    );
    assert!(all_entries(&mut s).is_empty());
    assert!(
        ok("runs", s.runs(LEDGER)).is_empty(),
        "a refused append records no run"
    );
    let one_posting = JournalEntry {
        postings: vec![Posting::debit(kas(RKUD), idr(100))],
        natural_key: "match:bad:2".into(),
        ..unbalanced.clone()
    };
    assert!(s
        .append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "r"),
            vec![one_posting.into()]
        )
        .is_err());

    // An import carrying an unbalanced entry fails as a whole.
    let mut batch = statement_batch("u", RKUD, &[line(2, "A", 10, true), line(2, "B", 10, true)]);
    if let Some(e) = batch.statements[0].lines[1].entry.as_mut() {
        e.postings[0].amount = idr(11);
    }
    assert!(matches!(
        s.import_file(LEDGER, batch),
        Err(StoreError::InvalidEntry { .. })
    ));
    assert!(
        all_entries(&mut s).is_empty(),
        "nothing of a failed import may remain"
    );
    assert!(ok("files", s.files(LEDGER)).is_empty());
    assert!(ok("lines", s.statement_lines(LEDGER, None, day(1), day(31))).is_empty());
    assert!(ok("statements", s.statements(LEDGER, None)).is_empty());

    assert!(
        s.insert_raw_unbalanced(LEDGER).is_err(),
        "storage itself must refuse an unbalanced entry"
    );
    assert!(all_entries(&mut s).is_empty());
    assert_verified(&mut s, "after refusals");
}

/// A failing import (last document invalid, limit, bad sha) changes nothing; fixed, it imports.
pub fn import_atomicity<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "seed",
        s.import_file(
            LEDGER,
            statement_batch("seed", RKUD, &[line(1, "S", 1, true)]),
        ),
    );
    let before_entries = all_entries(&mut s);
    let before_runs = ok("runs", s.runs(LEDGER));
    let mut batch = statement_batch(
        "atomic",
        RKUD,
        &[line(2, "A", 10, true), line(2, "B", 5, false)],
    );
    let docs = document_batch(
        "atomic-docs",
        vec![
            Document::Receipt(receipt("AT-1", Channel::Qris, "4.1.01.06", 7, 2)),
            Document::Receipt(receipt("AT-2", Channel::Qris, "4.1.01.06", 8, 2)),
        ],
    );
    batch.documents = docs.documents;
    let good = batch.clone();
    if let Some(e) = batch.documents[1].entry.as_mut() {
        e.postings.truncate(1);
    }
    assert!(s.import_file(LEDGER, batch).is_err());
    assert_eq!(
        all_entries(&mut s),
        before_entries,
        "a failed import must leave no entry"
    );
    assert_eq!(
        ok("runs", s.runs(LEDGER)),
        before_runs,
        "a failed import must leave no run"
    );
    assert_eq!(ok("files", s.files(LEDGER)).len(), 1);
    assert_eq!(
        ok("lines", s.statement_lines(LEDGER, None, day(1), day(31))).len(),
        1
    );
    assert!(ok("documents", s.documents(LEDGER, None, None, None)).is_empty());
    assert!(ok("duplicates", s.duplicates(LEDGER, None)).is_empty());

    let mut bad_sha = good.clone();
    bad_sha.file.sha256 = "not-a-sha".into();
    assert!(matches!(
        s.import_file(LEDGER, bad_sha),
        Err(StoreError::InvalidInput { .. })
    ));
    // A line whose entry carries another key, or an over-long key, is refused before writing.
    let mut wrong_key = good.clone();
    if let Some(e) = wrong_key.statements[0].lines[0].entry.as_mut() {
        e.natural_key = "stmt:someone-else".into();
    }
    assert!(matches!(
        s.import_file(LEDGER, wrong_key),
        Err(StoreError::InvalidInput { .. })
    ));
    let mut long_key = good.clone();
    long_key.documents[0].natural_key = "k".repeat(kasda_core::ledger::MAX_ENTRY_TEXT + 1);
    assert!(matches!(
        s.import_file(LEDGER, long_key),
        Err(StoreError::LimitExceeded { .. })
    ));
    assert_eq!(
        ok("files", s.files(LEDGER)).len(),
        1,
        "refused batches leave nothing"
    );

    let out = ok("fixed import", s.import_file(LEDGER, good));
    assert_eq!(
        (out.lines_new, out.documents_new, out.entries_appended),
        (2, 2, 4)
    );
    assert_eq!(
        out.first_seq,
        Some(2),
        "seq continues without a gap after a failed import"
    );
    assert_verified(&mut s, "after a failed then fixed import");
}

/// Plain updates and deletes are refused; the ledger is unchanged afterwards.
pub fn append_only<S: Store + TamperHook>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "import",
        s.import_file(
            LEDGER,
            statement_batch("a", RKUD, &[line(2, "A", 10, true)]),
        ),
    );
    ok(
        "docs",
        s.import_file(
            LEDGER,
            document_batch(
                "d",
                vec![Document::Receipt(receipt(
                    "AO-1",
                    Channel::Qris,
                    "4.1",
                    3,
                    2,
                ))],
            ),
        ),
    );
    let run = ok(
        "run",
        s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "r"), vec![]),
    )
    .run_id;
    ok(
        "finding",
        s.record_findings(LEDGER, run, &[finding("F-1", FindingStatus::Open)]),
    );
    let before = all_entries(&mut s);
    for m in Mutation::all(1) {
        assert!(s.try_mutation(LEDGER, m).is_err(), "{m:?} must be refused");
    }
    assert_eq!(
        all_entries(&mut s),
        before,
        "refused mutations change nothing"
    );
    assert_eq!(
        ok("lines", s.statement_lines(LEDGER, None, day(1), day(31))).len(),
        1
    );
    assert_eq!(
        ok("documents", s.documents(LEDGER, None, None, None)).len(),
        1
    );
    assert_eq!(ok("files", s.files(LEDGER)).len(), 2);
    assert_eq!(ok("findings", s.findings(LEDGER, false)).len(), 1);
    assert_verified(&mut s, "after refused mutations");
}

fn finding(id: &str, status: FindingStatus) -> FindingInput {
    FindingInput {
        id: id.to_string(),
        rule: "unremitted_receipt".into(),
        severity: "high".into(),
        status,
        summary: format!("finding {id}"),
        amount: Some(idr(125)),
        as_of: day(5),
        details: serde_json::json!({ "keys": ["receipt:X"] }),
    }
}

/// Findings keep their first report; status changes are appended as events.
pub fn findings_history<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let run1 = ok(
        "run1",
        s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "r"), vec![]),
    )
    .run_id;
    ok(
        "record",
        s.record_findings(
            LEDGER,
            run1,
            &[
                finding("F-2", FindingStatus::Open),
                finding("F-1", FindingStatus::Open),
            ],
        ),
    );
    let run2 = ok(
        "run2",
        s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "r"), vec![]),
    )
    .run_id;
    let mut changed = finding("F-1", FindingStatus::Open);
    changed.summary = "rewritten".into();
    ok(
        "record again",
        s.record_findings(
            LEDGER,
            run2,
            &[
                changed,
                finding("F-2", FindingStatus::Resolved),
                finding("F-3", FindingStatus::Open),
            ],
        ),
    );
    let all = ok("findings", s.findings(LEDGER, false));
    let ids: Vec<&str> = all.iter().map(|f| f.finding.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["F-1", "F-2", "F-3"],
        "ordered by first-seen run, then id"
    );
    assert_eq!(
        all[0].finding.summary, "finding F-1",
        "the first report is kept"
    );
    assert_eq!(all[0].events.len(), 1, "an unchanged status adds no event");
    assert_eq!(all[0].first_seen_run, run1);
    assert_eq!(all[1].status, FindingStatus::Resolved);
    assert_eq!(
        all[1]
            .events
            .iter()
            .map(|e| (e.run_id, e.status))
            .collect::<Vec<_>>(),
        vec![(run1, FindingStatus::Open), (run2, FindingStatus::Resolved)]
    );
    assert_eq!(all[2].first_seen_run, run2);
    let open: Vec<String> = ok("open", s.findings(LEDGER, true))
        .into_iter()
        .map(|f| f.finding.id)
        .collect();
    assert_eq!(open, vec!["F-1".to_string(), "F-3".to_string()]);
    assert!(
        s.record_findings(LEDGER, 9_999, &[finding("F-9", FindingStatus::Open)])
            .is_err(),
        "unknown run"
    );
}

fn write_off_proposal(by: &str, booked: u32) -> NewProposal {
    let ctx = MatchContext {
        rule: format!("manual-{booked}"),
        ids: vec!["stmt:x".into()],
        booked_on: day(booked),
        value_date: day(booked),
        memo: "selisih kecil".into(),
    };
    let e = match posting::write_off(&ctx, &suspense_in(RKUD), idr(-10), "selisih") {
        Ok(e) => e,
        Err(e) => panic!("write-off fixture: {e}"),
    };
    NewProposal {
        kind: ProposalKind::WriteOff,
        reason: "rounding difference under tolerance".into(),
        proposed_by: by.to_string(),
        entries: vec![NewEntry {
            entry: e,
            joins: vec!["stmt:x".into()],
        }],
    }
}

/// Maker-checker: the proposer cannot approve; approval appends under the approver's run.
pub fn maker_checker<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "line",
        s.import_file(
            LEDGER,
            statement_batch("m", RKUD, &[line(2, "U", 10, true)]),
        ),
    );
    let id = ok("propose", s.propose(LEDGER, write_off_proposal("Budi", 6)));
    assert_eq!(ok("open", s.proposals(LEDGER, true)).len(), 1);
    assert!(
        matches!(
            s.approve(LEDGER, id, " budi "),
            Err(StoreError::SameUserApproval { .. })
        ),
        "the proposer must not approve (trimmed, any case)"
    );
    assert!(
        matches!(
            s.approve(LEDGER, id, "  "),
            Err(StoreError::InvalidInput { .. } | StoreError::SameUserApproval { .. })
        ),
        "an approval needs a named approver"
    );
    assert_eq!(
        all_entries(&mut s).len(),
        1,
        "a refused approval appends nothing"
    );
    let out = ok("approve", s.approve(LEDGER, id, "Sari"));
    assert_eq!(out.appended.len(), 1);
    assert_eq!(
        ok(
            "suspense cleared",
            s.balance(LEDGER, &suspense_in(RKUD), None, None)
        ),
        Decimal::ZERO
    );
    let run = ok("run", s.run(LEDGER, out.run_id));
    match run {
        Some(r) => {
            assert_eq!((r.kind, r.actor.as_str()), (RunKind::Manual, "Sari"));
            assert_eq!(
                r.details.get("proposed_by").and_then(|v| v.as_str()),
                Some("Budi")
            );
        }
        None => panic!("approval run missing"),
    }
    let p = ok("proposals", s.proposals(LEDGER, false));
    assert!(
        matches!(&p[0].status, ProposalStatus::Approved { by, run_id, .. } if by == "Sari" && *run_id == out.run_id)
    );
    assert!(matches!(
        s.approve(LEDGER, id, "Sari"),
        Err(StoreError::ProposalNotOpen { .. })
    ));
    assert!(matches!(
        s.reject(LEDGER, id, "Sari", "late"),
        Err(StoreError::ProposalNotOpen { .. })
    ));
    assert!(matches!(
        s.approve(LEDGER, 99, "Sari"),
        Err(StoreError::UnknownProposal { .. })
    ));
    let id2 = ok(
        "propose 2",
        s.propose(LEDGER, write_off_proposal("Budi", 7)),
    );
    assert!(id2 > id);
    ok("reject", s.reject(LEDGER, id2, "Sari", "not justified"));
    assert!(ok("none open", s.proposals(LEDGER, true)).is_empty());
    assert!(matches!(
        s.approve(LEDGER, id2, "Ani"),
        Err(StoreError::ProposalNotOpen { .. })
    ));
    let mut bad = write_off_proposal("Budi", 8);
    bad.entries[0].entry.postings[0].amount = idr(11);
    assert!(
        s.propose(LEDGER, bad).is_err(),
        "a proposal with an unbalanced entry is refused at once"
    );
    assert_verified(&mut s, "after maker-checker");
}

fn opening_proposal(by: &str, account: &AccountKey, amount: i64, occurrence: u32) -> NewProposal {
    let ctx = posting::OpeningContext {
        booked_on: day(1),
        occurrence,
        memo: format!("saldo awal {account} per rekening koran"),
    };
    let e = match posting::opening_balance(&ctx, account, idr(amount)) {
        Ok(e) => e,
        Err(e) => panic!("opening-balance fixture: {e}"),
    };
    NewProposal {
        kind: ProposalKind::OpeningBalance,
        reason: "saldo awal disepakati BUD".into(),
        proposed_by: by.to_string(),
        entries: vec![e.into()],
    }
}

fn refused_as_existing<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    assert!(
        matches!(r, Err(StoreError::OpeningBalanceExists { .. })),
        "{what}: expected OpeningBalanceExists, got {r:?}"
    );
}

/// Opening balances (saldo awal): proposed and approved under maker-checker; at most one per
/// kas account that is approved and not reversed, and one open proposal per account — refused
/// when proposed and again when approved; a reversed opening balance makes room for the next
/// (with the next occurrence in its key). Only opening_balance proposals carry the entry, alone
/// and in its exact shape.
pub fn opening_balances<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "line",
        s.import_file(
            LEDGER,
            statement_batch("o", RKUD, &[line(2, "U", 40, true)]),
        ),
    );
    let rkud = kas(RKUD);
    let holding = AccountKey::new(AccountKind::KasPenampungan, HOLDING);
    let equity = AccountKey::new(AccountKind::SaldoAwalKas, RKUD);
    let id = ok(
        "propose opening",
        s.propose(LEDGER, opening_proposal("Budi", &rkud, 1000, 1)),
    );
    refused_as_existing(
        "a second proposal while one is open",
        s.propose(LEDGER, opening_proposal("Ani", &rkud, 900, 1)),
    );
    assert!(matches!(
        s.approve(LEDGER, id, "BUDI"),
        Err(StoreError::SameUserApproval { .. })
    ));
    let out = ok("approve opening", s.approve(LEDGER, id, "Sari"));
    assert_eq!(out.appended.len(), 1);
    let opening_seq = out.appended[0];
    assert_eq!(
        ok("kas", s.balance(LEDGER, &rkud, None, None)),
        idr(1040),
        "kas = opening + movements"
    );
    assert_eq!(
        ok(
            "kas before the line",
            s.balance(LEDGER, &rkud, Some(day(1)), None)
        ),
        idr(1000)
    );
    assert_eq!(
        ok("saldo awal", s.balance(LEDGER, &equity, None, None)),
        idr(-1000)
    );
    let stored = ok("entry", s.entries_by_seq(LEDGER, &[opening_seq]));
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].entry.kind, EntryKind::OpeningBalance);
    assert_eq!(
        stored[0].entry.natural_key,
        posting::opening_balance_key(&rkud, 1)
    );
    // open_items finds the opening balance by its key (not by walking the kas postings), as the
    // lookups do.
    for as_of in [day(1), day(31)] {
        let got = ok(
            "open opening balances",
            s.open_items(LEDGER, &rkud, EntryKind::OpeningBalance, as_of, None),
        );
        let oracle = ok(
            "open_items_by_lookups",
            crate::open_items_by_lookups(
                &mut s,
                LEDGER,
                &rkud,
                EntryKind::OpeningBalance,
                as_of,
                None,
            ),
        );
        assert_eq!(got, oracle, "open opening balances differ from the lookups");
        let seen: Vec<(i64, Decimal)> = got.iter().map(|i| (i.seq, i.effect)).collect();
        assert_eq!(seen, vec![(opening_seq, idr(1000))], "open opening balance");
    }
    assert_eq!(
        ok("proposals", s.proposals(LEDGER, false))[0].kind,
        ProposalKind::OpeningBalance
    );
    refused_as_existing(
        "another opening balance of a booked account",
        s.propose(LEDGER, opening_proposal("Ani", &rkud, 1000, 2)),
    );
    refused_as_existing(
        "the same key again",
        s.propose(LEDGER, opening_proposal("Ani", &rkud, 1000, 1)),
    );

    // Another account is independent; a negative opening credits kas.
    let hid = ok(
        "propose holding opening",
        s.propose(LEDGER, opening_proposal("Ani", &holding, -25, 1)),
    );
    // Refused at approval time too: an opening-balance entry of the holding account written
    // behind the proposal's back (appended directly) blocks the approval, which appends
    // nothing and leaves the proposal open.
    let direct = match posting::opening_balance(
        &posting::OpeningContext {
            booked_on: day(1),
            occurrence: 7,
            memo: "direct".into(),
        },
        &holding,
        idr(5),
    ) {
        Ok(e) => e,
        Err(e) => panic!("opening-balance fixture: {e}"),
    };
    let direct_out = ok(
        "append an opening entry directly",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![direct.clone().into()],
        ),
    );
    let before = all_entries(&mut s).len();
    refused_as_existing(
        "approval while another is booked",
        s.approve(LEDGER, hid, "Sari"),
    );
    assert_eq!(
        all_entries(&mut s).len(),
        before,
        "a refused approval appends nothing"
    );
    assert_eq!(ok("still open", s.proposals(LEDGER, true)).len(), 1);
    // Reversing the direct entry makes room: the approval now goes through.
    let reversal = direct.reversal(
        direct_out.appended[0],
        day(1),
        "booked outside maker-checker",
    );
    ok(
        "reverse the direct entry",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![reversal.into()],
        ),
    );
    ok("approve holding opening", s.approve(LEDGER, hid, "Sari"));
    assert_eq!(
        ok("holding", s.balance(LEDGER, &holding, None, None)),
        idr(-25)
    );

    // Reversing the RKUD opening allows the next one, with the next occurrence.
    let reversal = stored[0]
        .entry
        .reversal(opening_seq, day(1), "saldo awal salah");
    ok(
        "reverse the opening",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![reversal.into()],
        ),
    );
    refused_as_existing(
        "a reversed opening keeps its key",
        s.propose(LEDGER, opening_proposal("Ani", &rkud, 1200, 1)),
    );
    let id2 = ok(
        "propose the corrected opening",
        s.propose(LEDGER, opening_proposal("Ani", &rkud, 1200, 2)),
    );
    ok(
        "approve the corrected opening",
        s.approve(LEDGER, id2, "Budi"),
    );
    assert_eq!(
        ok("kas after correction", s.balance(LEDGER, &rkud, None, None)),
        idr(1240)
    );

    // Shapes: the entry only in an opening_balance proposal, alone and exactly as built.
    let mut mixed = write_off_proposal("Budi", 6);
    mixed.entries.push(
        opening_proposal("Budi", &kas("0555"), 10, 1)
            .entries
            .remove(0),
    );
    assert!(
        matches!(
            s.propose(LEDGER, mixed),
            Err(StoreError::InvalidInput { .. })
        ),
        "an opening-balance entry inside a write-off proposal"
    );
    let mut two = opening_proposal("Budi", &kas("0555"), 10, 1);
    two.entries.push(
        opening_proposal("Budi", &kas("0666"), 10, 1)
            .entries
            .remove(0),
    );
    assert!(
        matches!(s.propose(LEDGER, two), Err(StoreError::InvalidInput { .. })),
        "two entries in one opening_balance proposal"
    );
    let mut wrong_shape = write_off_proposal("Budi", 6);
    wrong_shape.kind = ProposalKind::OpeningBalance;
    assert!(
        matches!(
            s.propose(LEDGER, wrong_shape),
            Err(StoreError::InvalidInput { .. })
        ),
        "an opening_balance proposal whose entry is not an opening balance"
    );
    let mut renamed = opening_proposal("Budi", &kas("0555"), 10, 1);
    renamed.entries[0].entry.natural_key = "opening_balance:kas-daerah/0666:1".into();
    assert!(
        matches!(
            s.propose(LEDGER, renamed),
            Err(StoreError::InvalidEntry {
                source: LedgerError::OpeningBalanceShape { .. },
                ..
            })
        ),
        "an opening-balance entry keyed to another account"
    );
    // Appended directly (not through a proposal), an opening balance must still have its
    // standard key: reports read an account's saldo awal by that key range only.
    for key in [
        "opening_balance:kas-daerah/0777:1",
        "saldo-awal:kas-daerah/0555",
        "opening_balance:kas-daerah/0555:0",
        "opening_balance:kas-daerah/0555:1x",
    ] {
        let mut direct = opening_proposal("Budi", &kas("0555"), 10, 1)
            .entries
            .remove(0);
        direct.entry.natural_key = key.into();
        let r = s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "supervisor"),
            vec![direct],
        );
        assert!(
            matches!(
                r,
                Err(StoreError::InvalidEntry {
                    source: LedgerError::OpeningBalanceShape { .. },
                    ..
                })
            ),
            "a direct opening balance under the key {key:?}: {r:?}"
        );
    }
    assert!(ok("none open", s.proposals(LEDGER, true)).is_empty());
    assert_verified(&mut s, "after opening balances");
}

/// A closed period refuses entries booked in it; closing is monotonic.
pub fn period_close<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "before close",
        s.import_file(
            LEDGER,
            statement_batch("p1", RKUD, &[line(3, "A", 10, true)]),
        ),
    );
    let pending = ok("propose", s.propose(LEDGER, write_off_proposal("Budi", 4)));
    assert_eq!(ok("not closed", s.closed_through(LEDGER)), None);
    ok("close", s.close_period(LEDGER, day(10), "kuasa-bud"));
    assert_eq!(ok("closed", s.closed_through(LEDGER)), Some(day(10)));
    assert!(ok("is_closed", s.is_closed(LEDGER, day(10))));
    assert!(!ok("is_closed after", s.is_closed(LEDGER, day(11))));
    let runs = ok("runs", s.runs(LEDGER));
    assert_eq!(
        runs.last().map(|r| (r.kind, r.actor.as_str())),
        Some((RunKind::Close, "kuasa-bud"))
    );

    let late = statement_batch("p2", RKUD, &[line(12, "B", 5, true), line(9, "C", 1, true)]);
    assert!(
        matches!(
            s.import_file(LEDGER, late),
            Err(StoreError::PeriodClosed { .. })
        ),
        "an import with an entry in a closed period is refused"
    );
    assert_eq!(
        ok("lines", s.statement_lines(LEDGER, None, day(1), day(31))).len(),
        1,
        "and leaves nothing"
    );
    ok(
        "after the close",
        s.import_file(
            LEDGER,
            statement_batch("p3", RKUD, &[line(12, "B", 5, true)]),
        ),
    );
    assert!(matches!(
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "r"),
            vec![fee_entry("closed", 1).into()]
        ),
        Err(StoreError::PeriodClosed { .. })
    ));
    assert!(matches!(
        s.approve(LEDGER, pending, "Sari"),
        Err(StoreError::PeriodClosed { .. })
    ));
    assert_eq!(
        ok("still open", s.proposals(LEDGER, true)).len(),
        1,
        "a failed approval leaves the proposal open"
    );
    assert!(matches!(
        s.close_period(LEDGER, day(10), "x"),
        Err(StoreError::PeriodAlreadyClosed { .. })
    ));
    assert!(matches!(
        s.close_period(LEDGER, day(5), "x"),
        Err(StoreError::PeriodAlreadyClosed { .. })
    ));
    ok(
        "close further",
        s.close_period(LEDGER, day(20), "kuasa-bud"),
    );
    // A late file is recorded by booking its entries on the first open day.
    let mut late = statement_batch("p4", RKUD, &[line(8, "D", 2, true)]);
    assert_eq!(crate::rebook_into_open_period(&mut late, day(20)), 1);
    let out = ok("late file rebooked", s.import_file(LEDGER, late));
    let e = ok(
        "rebooked entry",
        s.entries_by_seq(LEDGER, &[out.first_seq.unwrap_or_default()]),
    );
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].entry.booked_on, e[0].entry.value_date),
        (day(21), day(8))
    );
    let l = ok("late line", s.statement_lines(LEDGER, None, day(8), day(8)));
    assert_eq!(l.len(), 1, "the line keeps its own booking date");
    assert_verified(&mut s, "after period close");
}

/// Entries page in seq order; limits are clamped; searches and lookups are bounded.
pub fn paging_and_limits<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let lines: Vec<Line> = (0..25)
        .map(|i| {
            line(
                2 + (i % 5) as u32,
                &format!("R{i}"),
                1 + i as i64,
                i % 2 == 0,
            )
        })
        .collect();
    ok(
        "import",
        s.import_file(LEDGER, statement_batch("pg", RKUD, &lines)),
    );
    let first = ok("page 1", s.entries(LEDGER, 0, 10));
    assert_eq!(
        first.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    let rest = ok("page 3", s.entries(LEDGER, 20, 10));
    assert_eq!(
        rest.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (21..=25).collect::<Vec<_>>()
    );
    assert!(ok("past the end", s.entries(LEDGER, 25, 10)).is_empty());
    assert_eq!(
        ok("huge limit", s.entries(LEDGER, 0, usize::MAX)).len(),
        25,
        "limits are clamped, not refused"
    );
    let by_seq = ok("by seq", s.entries_by_seq(LEDGER, &[7, 3, 3, 99]));
    assert_eq!(
        by_seq.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![3, 7],
        "seq order, unknown left out"
    );
    let keys = ok("search", s.search_keys(LEDGER, "trf r1", 100));
    // R1 and R10..R19 texts contain "TRF R1".
    assert_eq!(keys.len(), 11, "{keys:?}");
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "search keys sorted");
    assert_eq!(
        ok("search limit", s.search_keys(LEDGER, "trf r1", 3)).len(),
        3
    );
    let too_many: Vec<i64> = (0..(crate::MAX_KEYS_PER_LOOKUP as i64 + 1)).collect();
    assert!(matches!(
        s.entries_by_seq(LEDGER, &too_many),
        Err(StoreError::LimitExceeded { .. })
    ));
}

/// A trail stops at [`crate::MAX_TRAIL_STEPS`] entries and says so.
pub fn trail_truncates<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let n = crate::MAX_TRAIL_STEPS + 25;
    let lines: Vec<Line> = (0..n)
        .map(|i| line(2, &format!("BULK{i}"), 1, true))
        .collect();
    let out = ok(
        "bulk import",
        s.import_file(LEDGER, statement_batch("bulk", RKUD, &lines)),
    );
    assert_eq!(out.entries_appended as usize, n);
    let q = TrailQuery::Account {
        account: kas(RKUD),
        from: day(2),
        to: day(2),
    };
    let t = ok("trail", s.trail(LEDGER, &q));
    assert!(
        t.truncated,
        "a trail over the limit must say it was truncated"
    );
    assert_eq!(t.steps.len(), crate::MAX_TRAIL_STEPS);
    assert_eq!(t.steps.first().map(|x| x.entry.seq), Some(1));
    let small = ok(
        "small trail",
        s.trail(
            LEDGER,
            &TrailQuery::Reference {
                text: "BULK17".into(),
            },
        ),
    );
    assert!(!small.truncated);
    // BULK17 and BULK170..BULK179, BULK1700..BULK1799 match the text.
    assert_eq!(small.steps.len(), 1 + 10 + 100);
}

/// Random sequences of imports, re-imports, overlapping statements, documents (re-sent and
/// conflicting), matches with joins and reversals keep every balance equal to the sum of its
/// postings, keep `verify` clean, and give the oracle's answers: same outcomes, chain, balances
/// as of every day, facts, duplicates and trails.
pub fn random_operations<S: Store>(make: &mut dyn FnMut() -> S) {
    let make = RefCell::new(make);
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(arb_op(), 1..14), |ops| {
        let mut s = {
            let mut m = make.borrow_mut();
            fresh(&mut **m)
        };
        let mut oracle = fresh(&mut MemoryStore::new);
        let mut imported: Vec<ImportBatch> = Vec::new();
        for op in &ops {
            let mine = apply_op(&mut s, op, &imported);
            let theirs = apply_op(&mut oracle, op, &imported);
            prop_assert_eq!(
                mine,
                theirs,
                "outcome of {:?} differs from the oracle's",
                op
            );
            if let Op::Statement { .. } | Op::Receipts { .. } = op {
                imported.push(batch_of(op));
            }
        }
        assert_balances_are_sums(&mut s, "random operations");
        assert_verified(&mut s, "random operations");
        let mine: Vec<String> = all_entries(&mut s).into_iter().map(|e| e.hash).collect();
        let theirs: Vec<String> = all_entries(&mut oracle)
            .into_iter()
            .map(|e| e.hash)
            .collect();
        prop_assert_eq!(mine, theirs, "chain differs from the oracle's");
        prop_assert_eq!(
            facts_summary(&mut s),
            facts_summary(&mut oracle),
            "stored facts differ"
        );
        let accounts = ok("oracle balances", oracle.balances(LEDGER, None, None, None));
        for d in 0..=7u32 {
            let as_of = if d == 0 { None } else { Some(day(d)) };
            let mine = ok("balances as of", s.balances(LEDGER, None, as_of, None));
            let theirs = ok(
                "oracle balances as of",
                oracle.balances(LEDGER, None, as_of, None),
            );
            prop_assert_eq!(mine, theirs, "balances as of {:?} differ", as_of);
        }
        for b in &accounts {
            let mine = ok(
                "day movements",
                s.day_movements(LEDGER, &b.account, day(1), day(31)),
            );
            let theirs = ok(
                "oracle day movements",
                oracle.day_movements(LEDGER, &b.account, day(1), day(31)),
            );
            prop_assert_eq!(mine, theirs, "day movements of {} differ", b.account);
        }
        let count = all_entries(&mut oracle).len() as i64;
        for seq in 1..=count.min(6) {
            let q = TrailQuery::Entry { seq };
            prop_assert_eq!(
                trail_summary(&mut s, &q),
                trail_summary(&mut oracle, &q),
                "trail of {} differs",
                seq
            );
        }
        let q = TrailQuery::Reference {
            text: "RND-1".into(),
        };
        prop_assert_eq!(
            trail_summary(&mut s, &q),
            trail_summary(&mut oracle, &q),
            "trail of RND-1 differs"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("random operations: {e}");
    }
}

/// What a store holds besides entries, without its clock's stamps.
fn facts_summary<S: Store>(s: &mut S) -> String {
    let lines: Vec<(String, Option<i64>, i64, u32)> =
        ok("lines", s.statement_lines(LEDGER, None, day(1), day(31)))
            .into_iter()
            .map(|l| {
                (
                    l.facts.natural_key,
                    l.entry_seq,
                    l.run_id,
                    l.facts.statement_index,
                )
            })
            .collect();
    let docs: Vec<(String, Option<i64>, u32, String)> =
        ok("documents", s.documents(LEDGER, None, None, None))
            .into_iter()
            .map(|d| (d.natural_key, d.entry_seq, d.row, d.file_sha256))
            .collect();
    let dups: Vec<(String, String, bool, String, String)> =
        ok("duplicates", s.duplicates(LEDGER, None))
            .into_iter()
            .map(|d| {
                (
                    d.natural_key,
                    d.pos,
                    d.same_content,
                    d.file_sha256,
                    d.first_file_sha256,
                )
            })
            .collect();
    let stmts: Vec<(String, i64, u32, u32)> = ok("statements", s.statements(LEDGER, None))
        .into_iter()
        .map(|x| (x.header.account, x.run_id, x.index, x.header.line_count))
        .collect();
    let runs: Vec<(i64, RunKind, String)> = ok("runs", s.runs(LEDGER))
        .into_iter()
        .map(|r| (r.run_id, r.kind, r.actor))
        .collect();
    let files: Vec<(String, i64)> = ok("files", s.files(LEDGER))
        .into_iter()
        .map(|f| (f.file.sha256, f.run_id))
        .collect();
    format!("{lines:?}\n{docs:?}\n{dups:?}\n{stmts:?}\n{runs:?}\n{files:?}")
}

fn trail_summary<S: Store>(s: &mut S, q: &TrailQuery) -> String {
    let t = ok("trail", s.trail(LEDGER, q));
    // (seq, relation, joins, source file, run)
    type Step = (i64, TrailRelation, Vec<String>, Option<String>, Option<i64>);
    let steps: Vec<Step> = t
        .steps
        .into_iter()
        .map(|x| {
            (
                x.entry.seq,
                x.relation,
                x.joins,
                x.file.map(|f| f.file.sha256),
                x.run.map(|r| r.run_id),
            )
        })
        .collect();
    let lines: Vec<String> = t.lines.into_iter().map(|l| l.facts.natural_key).collect();
    let docs: Vec<String> = t.documents.into_iter().map(|d| d.natural_key).collect();
    let dups: Vec<(String, String)> = t
        .duplicates
        .into_iter()
        .map(|d| (d.natural_key, d.pos))
        .collect();
    format!("{steps:?}\n{lines:?}\n{docs:?}\n{dups:?}\n{}", t.truncated)
}

#[derive(Debug, Clone)]
enum Op {
    Statement {
        account: u8,
        lines: Vec<(u32, u8, i64, bool)>,
    },
    Receipts {
        receipts: Vec<(u8, i64, u8, bool)>,
    },
    Reimport {
        pick: usize,
    },
    Reverse {
        pick: usize,
    },
    Match {
        picks: Vec<usize>,
        amount: i64,
    },
}

fn arb_op() -> impl Strategy<Value = Op> {
    // Few distinct values so that overlaps, duplicates and conflicts are common.
    let amount = prop::sample::select(vec![10i64, 20, 30, 1_000]);
    prop_oneof![
        3 => (0u8..2, prop::collection::vec((1u32..6, 0u8..3, amount.clone(), any::<bool>()), 0..8))
            .prop_map(|(account, lines)| Op::Statement { account, lines }),
        2 => prop::collection::vec((0u8..6, amount.clone(), 0u8..3, any::<bool>()), 1..5)
            .prop_map(|receipts| Op::Receipts { receipts }),
        1 => any::<usize>().prop_map(|pick| Op::Reimport { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Reverse { pick }),
        2 => (prop::collection::vec(any::<usize>(), 1..4), amount)
            .prop_map(|(picks, amount)| Op::Match { picks, amount }),
    ]
}

fn batch_of(op: &Op) -> ImportBatch {
    match op {
        Op::Statement { account, lines } => {
            let account = if *account == 0 { RKUD } else { HOLDING };
            let ls: Vec<Line> = lines
                .iter()
                .map(|(d, r, a, c)| line(*d, &format!("REF{r}"), *a, *c))
                .collect();
            statement_batch(&format!("{account}:{lines:?}"), account, &ls)
        }
        Op::Receipts { receipts } => {
            let channels = [Channel::Qris, Channel::Teller, Channel::Retail];
            let docs = receipts
                .iter()
                .map(|(n, amount, c, reversed)| {
                    let r = receipt(
                        &format!("RND-{n}"),
                        channels[usize::from(*c) % channels.len()],
                        "4.1.01.06",
                        *amount,
                        2,
                    );
                    if *reversed {
                        Document::Receipt(reversal_of(&r, &format!("RND-{n}")))
                    } else {
                        Document::Receipt(r)
                    }
                })
                .collect();
            document_batch(&format!("docs:{receipts:?}"), docs)
        }
        Op::Reimport { .. } | Op::Reverse { .. } | Op::Match { .. } => ImportBatch {
            file: source("none", "none"),
            statements: vec![],
            documents: vec![],
        },
    }
}

/// Applies one operation; returns its outcome without store-specific stamps.
fn apply_op<S: Store>(s: &mut S, op: &Op, imported: &[ImportBatch]) -> String {
    match op {
        Op::Statement { .. } | Op::Receipts { .. } => {
            format!(
                "{:?}",
                ok("random import", s.import_file(LEDGER, batch_of(op)))
            )
        }
        Op::Reimport { pick } => {
            let Some(b) = imported.get(pick % imported.len().max(1)).cloned() else {
                return String::new();
            };
            let out = ok("random re-import", s.import_file(LEDGER, b));
            assert!(out.file_already_imported, "re-import must be recognised");
            format!("{out:?}")
        }
        Op::Reverse { pick } => {
            let entries = all_entries(s);
            let Some(e) = entries.get(pick % entries.len().max(1)) else {
                return String::new();
            };
            let rev = e.entry.reversal(e.seq, day(20), "random correction");
            let out = ok(
                "random reversal",
                s.append_entries(
                    LEDGER,
                    RunInfo::new(RunKind::Manual, "sup"),
                    vec![rev.into()],
                ),
            );
            format!("{out:?}")
        }
        Op::Match { picks, amount } => {
            // A fee entry joining some existing facts: exercises joins and the trail walk.
            let entries = all_entries(s);
            if entries.is_empty() {
                return String::new();
            }
            let ids: Vec<String> = picks
                .iter()
                .filter_map(|p| entries.get(p % entries.len()))
                .map(|e| e.entry.natural_key.clone())
                .collect();
            let ctx = MatchContext {
                rule: "random".into(),
                ids: ids.clone(),
                booked_on: day(6),
                value_date: day(6),
                memo: "random match".into(),
            };
            let e = match posting::fee(&ctx, Channel::Qris, idr(*amount)) {
                Ok(e) => e,
                Err(e) => panic!("random fee: {e}"),
            };
            let out = ok(
                "random match",
                s.append_entries(
                    LEDGER,
                    RunInfo::new(RunKind::Reconcile, "recon"),
                    vec![NewEntry {
                        entry: e,
                        joins: ids,
                    }],
                ),
            );
            format!("{out:?}")
        }
    }
}

/// A statement file that uses every field: two statements (an RKUD statement with balances and
/// control totals, a holding-account report), lines with sen, reversals, info status, unicode
/// text, every reference kind, counterparty and running balance.
pub fn rich_statement_file() -> StatementFile {
    let at = |d: u32, h: u32, m: u32| day(d).and_hms_opt(h, m, 0).unwrap_or_default();
    let credit = Entry {
        pos: SourcePos { line: 31, index: 0 },
        amount: Decimal::new(150_000_000, 2),
        currency: Currency::IDR,
        direction: Some(Direction::Credit),
        reversal: false,
        status: EntryStatus::Booked,
        booking_date: Some(day(2)),
        value_date: Some(day(3)),
        booked_at: Some(at(2, 14, 5)),
        bank_tx_code: BankTxCode {
            domain: Some("PMNT".into()),
            family: Some("RCDT".into()),
            sub_family: Some("ESCT".into()),
            proprietary: Some("NTRF".into()),
            proprietary_issuer: Some("SWIFT".into()),
        },
        refs: References {
            account_servicer: Some("BB-2026-000017".into()),
            entry_ref: Some("E17".into()),
            end_to_end_id: Some("E2E-PBJT-77".into()),
            instruction_id: Some("INSTR-1".into()),
            uetr: Some("0b6a8f4e-9c2d-4e1a-8a57-0123456789ab".into()),
            ..Default::default()
        },
        counterparty: Party {
            name: Some("PT Hotel Sejahtera – Serang".into()),
            account: Some("1234567890".into()),
            agent_bic: Some("BBANIDJA".into()),
            ..Default::default()
        },
        remittance: Remittance {
            unstructured: vec![
                "Pembayaran PBJT Februari ✓".into(),
                "NPWPD P.2.0001234.01.01".into(),
            ],
            creditor_ref: Some("RF18539007547034".into()),
            structured: vec!["KB3604000123".into()],
        },
        additional_info: Some("SETORAN PAJAK".into()),
        balance_after: Some(Decimal::new(250_000_000, 2)),
        ..Default::default()
    };
    let debit_reversal = Entry {
        pos: SourcePos { line: 52, index: 1 },
        amount: Decimal::new(12_050, 2),
        currency: Currency::IDR,
        direction: Some(Direction::Debit),
        reversal: true,
        status: EntryStatus::Booked,
        booking_date: Some(day(3)),
        value_date: Some(day(3)),
        refs: References {
            account_servicer: Some("RC-991".into()),
            customer_ref: Some("NONREF".into()),
            ..Default::default()
        },
        bank_tx_code: BankTxCode {
            proprietary: Some("NCHG".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let info = Entry {
        pos: SourcePos { line: 60, index: 2 },
        amount: Decimal::new(500, 0),
        currency: Currency::IDR,
        direction: Some(Direction::Credit),
        status: EntryStatus::Info,
        booking_date: None,
        value_date: Some(day(4)),
        ..Default::default()
    };
    let balance = |kind: BalanceKind, amount: Decimal, d: u32| Balance {
        kind,
        amount,
        currency: Currency::IDR,
        date: Some(day(d)),
    };
    StatementFile {
        format: Some(StatementFormat::Camt053),
        version: Some("053.001.08".into()),
        message_id: Some("MSG-1".into()),
        created_at: Some(at(4, 6, 0)),
        page: Some(1),
        last_page: Some(true),
        statements: vec![
            Statement {
                kind: StatementKind::Statement,
                id: Some("STMT-RKUD-42".into()),
                electronic_seq: Some("42".into()),
                legal_seq: Some("42".into()),
                page: Some(1),
                last_page: Some(true),
                created_at: Some(at(4, 6, 0)),
                from: Some(at(2, 0, 0)),
                to: Some(at(3, 23, 59)),
                account: AccountId {
                    number: Some(RKUD.into()),
                    currency: Some(Currency::IDR),
                    name: Some("RKUD Kota Uji".into()),
                    owner: Some("Pemerintah Kota Uji".into()),
                    servicer_bic: Some("PDJBIDJA".into()),
                    ..Default::default()
                },
                balances: vec![
                    balance(BalanceKind::OpeningBooked, Decimal::new(100_000_000, 2), 1),
                    balance(BalanceKind::ClosingBooked, Decimal::new(249_987_950, 2), 3),
                    balance(BalanceKind::Other("XPCD".into()), Decimal::new(-5, 0), 3),
                ],
                totals: Some(ControlTotals {
                    credit_count: Some(1),
                    credit_sum: Some(Decimal::new(150_000_000, 2)),
                    debit_count: Some(1),
                    debit_sum: Some(Decimal::new(12_050, 2)),
                }),
                entries: vec![credit, debit_reversal, info],
                pos: SourcePos { line: 12, index: 0 },
                ..Default::default()
            },
            Statement {
                kind: StatementKind::Report,
                id: Some("RPT-H-1".into()),
                account: AccountId {
                    number: Some(HOLDING.into()),
                    ..Default::default()
                },
                entries: vec![Entry {
                    pos: SourcePos { line: 80, index: 3 },
                    amount: Decimal::new(7, 0),
                    currency: Currency::IDR,
                    direction: Some(Direction::Credit),
                    booking_date: Some(day(2)),
                    ..Default::default()
                }],
                pos: SourcePos { line: 70, index: 1 },
                ..Default::default()
            },
        ],
        warnings: vec![],
    }
}

/// Everything a store keeps comes back exactly as it went in: statement headers with balances
/// and totals, every line fact, entries, documents of each kind, findings with JSON details,
/// proposals with their entries and joins.
pub fn facts_round_trip<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let sf = rich_statement_file();
    let batch = match build_import_batch(source("rich", "camt.053"), &sf, &role_of) {
        Ok(b) => b,
        Err(e) => panic!("rich statement batch: {e}"),
    };
    let expected = batch.clone();
    let out = ok("import rich", s.import_file(LEDGER, batch));
    assert_eq!(
        (out.statements_new, out.lines_new, out.entries_appended),
        (2, 4, 3)
    );
    let stored = ok("statements", s.statements(LEDGER, None));
    assert_eq!(stored.len(), 2);
    for (got, want) in stored.iter().zip(&expected.statements) {
        assert_eq!(
            got.header, want.header,
            "statement {} header must round-trip",
            want.index
        );
        assert_eq!(got.index, want.index);
        assert_eq!(got.file_name, "rich.dat");
    }
    let lines = ok("lines", s.statement_lines(LEDGER, None, day(1), day(31)));
    assert_eq!(lines.len(), 4);
    let entries = all_entries(&mut s);
    for want in expected.statements.iter().flat_map(|st| &st.lines) {
        let got = lines
            .iter()
            .find(|l| l.facts.natural_key == want.facts.natural_key);
        match got {
            Some(got) => {
                assert_eq!(got.facts, want.facts, "line facts must round-trip");
                let entry = got
                    .entry_seq
                    .and_then(|seq| entries.iter().find(|e| e.seq == seq));
                assert_eq!(
                    entry.map(|e| &e.entry),
                    want.entry.as_ref(),
                    "line entry must round-trip"
                );
            }
            None => panic!("line {} not stored", want.facts.natural_key),
        }
    }
    // Ordered by (booking date, account, run, statement, position).
    let order: Vec<(NaiveDate, String)> = lines
        .iter()
        .map(|l| (l.facts.booking_date, l.facts.account.clone()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "statement lines ordering");

    let r1 = {
        let mut r = receipt("RT-1", Channel::VirtualAccount, "4.1.01.06", 900, 2);
        r.lines.push(RevenueLine {
            kode_rekening: "4.1.04.16".into(),
            amount: idr(45),
        });
        r.denda = idr(45);
        r.total = idr(945);
        r.taxpayer_name = Some("Toko Ñusantara “Jaya”".into());
        r.paid_zone = Some("+08:00".into());
        r
    };
    let mut sp = sp2d("RT-SP2D", 1_000, 4);
    sp.deductions = vec![
        kasda_core::document::Deduction {
            kind: "PPh 23".into(),
            amount: idr(20),
        },
        kasda_core::document::Deduction {
            kind: "IWP".into(),
            amount: idr(10),
        },
    ];
    sp.net = idr(970);
    sp.kode_rekening = None;
    sp.sp2d_type = Sp2dType::Gu;
    let mut st = sts("RT-STS", "1.02.01", "4.1.02.01", 60, 5);
    st.tbp_numbers = vec!["TBP-1".into(), "TBP-2".into()];
    let mut bk = bku(7, 60, 5);
    bk.owner = BkuOwner::BendaharaPenerimaan("1.02.01".into());
    bk.balance_after = Some(Decimal::new(12_345, 2));
    bk.document = Some("RT-STS".into());
    let docs = vec![
        Document::Receipt(r1),
        Document::Sp2d(sp),
        Document::Sts(st),
        Document::Bku(bk),
    ];
    let doc_batch = document_batch("rich-docs", docs);
    let expected_docs = doc_batch.clone();
    ok("import docs", s.import_file(LEDGER, doc_batch));
    let keys: Vec<String> = expected_docs
        .documents
        .iter()
        .map(|d| d.natural_key.clone())
        .collect();
    let stored_docs = ok("documents", s.documents_by_keys(LEDGER, &keys));
    assert_eq!(stored_docs.len(), 4);
    let entries = all_entries(&mut s);
    for want in &expected_docs.documents {
        match stored_docs
            .iter()
            .find(|d| d.natural_key == want.natural_key)
        {
            Some(got) => {
                assert_eq!(
                    got.document, want.document,
                    "document {} must round-trip",
                    want.natural_key
                );
                assert_eq!((got.row, got.date), (want.row, want.date));
                assert_eq!(got.kind, DocKind::of(&want.document));
                let entry = got
                    .entry_seq
                    .and_then(|seq| entries.iter().find(|e| e.seq == seq));
                assert_eq!(
                    entry.map(|e| &e.entry),
                    want.entry.as_ref(),
                    "document entry must round-trip"
                );
            }
            None => panic!("document {} not stored", want.natural_key),
        }
    }

    let run = ok(
        "run",
        s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "r"), vec![]),
    )
    .run_id;
    let mut f = finding("RT-F", FindingStatus::Open);
    f.amount = Some(Decimal::new(12_050, 2));
    f.details = serde_json::json!({
        "keys": ["stmt:a", "receipt:b"],
        "nested": { "days_late": 3, "ok": false, "note": "terlambat – 3 hari" },
        "amount": "120.50",
    });
    ok(
        "findings",
        s.record_findings(LEDGER, run, std::slice::from_ref(&f)),
    );
    let got = ok("findings back", s.findings(LEDGER, false));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].finding, f, "finding must round-trip");
    let details = RunInfo {
        kind: RunKind::Reconcile,
        actor: "recon v1".into(),
        details: serde_json::json!({ "matcher": "v1", "tolerance": "0.00", "rules": ["h2h", "sts"] }),
    };
    let out = ok(
        "run with details",
        s.append_entries(LEDGER, details.clone(), vec![]),
    );
    let back = ok("run back", s.run(LEDGER, out.run_id));
    assert_eq!(
        back.map(|r| (r.kind, r.actor, r.details)),
        Some((details.kind, details.actor, details.details))
    );

    let proposal = write_off_proposal("Budi", 9);
    let id = ok("propose", s.propose(LEDGER, proposal.clone()));
    let p = ok("proposals", s.proposals(LEDGER, true));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].id, id);
    assert_eq!(
        (&p[0].kind, &p[0].reason, &p[0].proposed_by, &p[0].entries),
        (
            &proposal.kind,
            &proposal.reason,
            &proposal.proposed_by,
            &proposal.entries
        ),
        "proposal must round-trip"
    );
    assert_verified(&mut s, "after round trips");
}

/// Runs every check against stores from `make`.
pub fn run_all<S: Store + TamperHook>(make: &mut dyn FnMut() -> S) {
    ledgers_and_migrations(make);
    import_statement(make);
    file_idempotency(make);
    overlapping_statements(make);
    documents_and_duplicates(make);
    reversals(make);
    matches_and_joins(make);
    balances_bitemporal(make);
    trail_walks(make);
    chain_matches_oracle(make);
    tamper_detection(make);
    unbalanced_refused(make);
    import_atomicity(make);
    append_only(make);
    findings_history(make);
    maker_checker(make);
    opening_balances(make);
    period_close(make);
    paging_and_limits(make);
    trail_truncates(make);
    facts_round_trip(make);
    random_operations(make);
    account_flows_aggregate(make);
    open_items_and_account_flows(make);
    match_entry_keys_paging(make);
    joining_entries_and_open_documents(make);
    each_line_and_document(make);
    recon_reads_match_full_rows(make);
    append_entries_from_matches_list(make);
    book_lines_of_accounts(make);
}

/// `(seq, natural key)` of the ledger's match entries, found by reading every entry
/// (`Store::entries`, pages of 97) and keeping what [`is_match_entry`] accepts: the answer
/// [`Store::match_entry_keys`] must give.
pub fn match_keys_by_filter(s: &mut dyn Store, ledger: &str) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = ok("entries", s.entries(ledger, after, 97));
        let Some(last) = page.last() else { break };
        after = last.seq;
        out.extend(
            page.into_iter()
                .filter(|e| is_match_entry(&e.entry))
                .map(|e| (e.seq, e.entry.natural_key)),
        );
    }
    out
}

/// Every `(seq, natural key)` [`Store::match_entry_keys`] gives, read in pages of `page`; each
/// page no longer than asked.
pub fn match_keys_paged(s: &mut dyn Store, ledger: &str, page: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let got = ok("match_entry_keys", s.match_entry_keys(ledger, after, page));
        assert!(
            got.len() <= page,
            "a page of {page} gave {} keys",
            got.len()
        );
        let Some(&(last, _)) = got.last() else { break };
        after = last;
        out.extend(got);
    }
    out
}

/// [`Store::match_entry_keys`]: the match entries only (kind `match`, or a natural key written
/// by `posting::match_key` such as a fee's), in seq order, page by page, equal to filtering
/// every entry; an unknown ledger is an error.
pub fn match_entry_keys_paging<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    ok(
        "lines",
        s.import_file(
            LEDGER,
            statement_batch(
                "mk",
                RKUD,
                &[line(2, "A", 100, true), line(3, "B", 50, true)],
            ),
        ),
    );
    let plain = |kind: EntryKind, key: &str, amount: i64| JournalEntry {
        kind,
        booked_on: day(2),
        value_date: day(2),
        natural_key: key.into(),
        position: String::new(),
        memo: "test".into(),
        reverses: None,
        postings: vec![
            Posting::debit(kas(RKUD), idr(amount)),
            Posting::credit(suspense_in(RKUD), idr(amount)),
        ],
    };
    let fee = match posting::fee(
        &MatchContext {
            rule: "retail".into(),
            ids: vec!["x".into()],
            booked_on: day(3),
            value_date: day(3),
            memo: "fee".into(),
        },
        Channel::Retail,
        idr(5),
    ) {
        Ok(e) => e,
        Err(e) => panic!("fee fixture: {e}"),
    };
    let entries: Vec<NewEntry> = vec![
        plain(EntryKind::Match, "match:reference:a+b", 100).into(),
        // Neither kind nor key says match.
        plain(EntryKind::WriteOff, "writeoff:1", 7).into(),
        // A match by its key alone.
        fee.into(),
        // A match by its kind alone.
        plain(EntryKind::Match, "manual-7", 30).into(),
    ];
    ok(
        "append",
        s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "t"), entries),
    );
    let all = match_keys_by_filter(&mut s, LEDGER);
    let keys: Vec<&str> = all.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys.len(), 3, "match entries: {keys:?}");
    assert!(keys.contains(&"manual-7") && keys.contains(&"match:reference:a+b"));
    assert!(!keys.contains(&"writeoff:1"));
    for page in [1, 2, 10_000] {
        assert_eq!(match_keys_paged(&mut s, LEDGER, page), all, "page {page}");
    }
    assert!(
        s.match_entry_keys("no-such-ledger", 0, 5).is_err(),
        "an unknown ledger must be an error"
    );
}

/// Generates one `#[test]` per conformance check for the store built by the given factory
/// expression (a closure returning a fresh store that implements `Store + TamperHook`).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            ledgers_and_migrations, import_statement, file_idempotency, overlapping_statements,
            documents_and_duplicates, reversals, matches_and_joins, balances_bitemporal, trail_walks,
            chain_matches_oracle, tamper_detection, unbalanced_refused, import_atomicity, append_only,
            findings_history, maker_checker, opening_balances, period_close, paging_and_limits, trail_truncates, facts_round_trip,
            random_operations, account_flows_aggregate, open_items_and_account_flows,
            match_entry_keys_paging, joining_entries_and_open_documents, each_line_and_document,
            recon_reads_match_full_rows, append_entries_from_matches_list, book_lines_of_accounts);
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let mut make = $make;
                $crate::conformance::$name(&mut make);
            }
        )*
    };
}

/// [`Store::account_flows`]: per (account, day, entry kind) the sign-split net effect of each
/// entry, filtered by account kind, period and recording time, in the stated order, equal to
/// sums over the entries themselves.
pub fn account_flows_aggregate<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    // Receipt (day 2), its settlement credit (day 3) and the match (day 3).
    match_fixture(&mut s);
    ok(
        "statement",
        s.import_file(
            LEDGER,
            statement_batch(
                "flows-1",
                RKUD,
                &[
                    line(2, "F1", 40, true),
                    line(3, "F2", 15, false),
                    line(3, "F3", 60, true),
                    line(9, "F4", 7, true),
                ],
            ),
        ),
    );
    // One entry that debits and credits the same account: only its net effect counts.
    let netting = JournalEntry {
        kind: EntryKind::WriteOff,
        booked_on: day(3),
        value_date: day(3),
        natural_key: "flows:netting".into(),
        position: String::new(),
        memo: "netting".into(),
        reverses: None,
        postings: vec![
            Posting::debit(kas(RKUD), idr(100)),
            Posting::credit(kas(RKUD), idr(30)),
            Posting::credit(suspense_in(RKUD), idr(70)),
        ],
    };
    ok(
        "netting entry",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "flows"),
            vec![NewEntry {
                entry: netting,
                joins: Vec::new(),
            }],
        ),
    );
    sleep_tick();
    let before_late = Utc::now();
    sleep_tick();
    ok(
        "late statement",
        s.import_file(
            LEDGER,
            statement_batch("flows-2", RKUD, &[line(3, "F5", 11, true)]),
        ),
    );

    // Independent expectation from the entries themselves.
    type Expected = aggregates::Flows;
    let expect = aggregates::expected_flows;
    let entries = all_entries(&mut s);
    type Case<'a> = (
        &'a str,
        Vec<AccountKind>,
        NaiveDate,
        NaiveDate,
        Option<DateTime<Utc>>,
    );
    let cases: Vec<Case<'_>> = vec![
        ("every kind, whole month", vec![], day(1), day(31), None),
        (
            "kas daerah and channels, days 2-3",
            vec![AccountKind::KasDaerah, AccountKind::DanaDalamPerjalanan],
            day(2),
            day(3),
            None,
        ),
        (
            "kas daerah as known before the late file",
            vec![AccountKind::KasDaerah],
            day(1),
            day(31),
            Some(before_late),
        ),
        ("no entries in range", vec![], day(20), day(25), None),
    ];
    for (what, kinds, from, to, known) in cases {
        let got = ok(
            "account_flows",
            s.account_flows(LEDGER, &kinds, from, to, known),
        );
        let order: Vec<(String, NaiveDate, String)> = got
            .iter()
            .map(|f| {
                (
                    f.account.to_string(),
                    f.day,
                    f.entry_kind.as_str().to_string(),
                )
            })
            .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(
            order, sorted,
            "{what}: account_flows must be ordered by account, day, kind"
        );
        let got_map: Expected = got
            .iter()
            .map(|f| {
                (
                    (
                        f.account.to_string(),
                        f.day,
                        f.entry_kind.as_str().to_string(),
                    ),
                    (f.debits, f.credits),
                )
            })
            .collect();
        assert_eq!(
            got_map.len(),
            got.len(),
            "{what}: repeated (account, day, kind)"
        );
        assert_eq!(
            got_map,
            expect(&entries, &kinds, from, to, known),
            "{what}: account_flows differs from the entries' own sums"
        );
    }
    // Hand-checked figures: kas daerah on day 3 by statement lines is 125 (settlement) + 60 + 11
    // in, 15 out; the write-off nets to 70 in.
    let day3 = ok(
        "account_flows",
        s.account_flows(LEDGER, &[AccountKind::KasDaerah], day(3), day(3), None),
    );
    let find = |k: EntryKind| {
        day3.iter()
            .find(|f| f.entry_kind == k && f.account == kas(RKUD))
            .map(|f| (f.debits, f.credits))
    };
    assert_eq!(find(EntryKind::StatementLine), Some((idr(196), idr(15))));
    assert_eq!(find(EntryKind::WriteOff), Some((idr(70), Decimal::ZERO)));
    let known = ok(
        "account_flows",
        s.account_flows(
            LEDGER,
            &[AccountKind::KasDaerah],
            day(3),
            day(3),
            Some(before_late),
        ),
    );
    assert!(
        known
            .iter()
            .any(|f| f.entry_kind == EntryKind::StatementLine && f.debits == idr(185)),
        "as known before the late file, day 3 statement-line debits are 125 + 60: {known:?}"
    );
}

/// The natural key of the one RKUD statement line of the month whose key contains a reference.
fn rkud_line_keys<S: Store>(s: &mut S) -> impl Fn(&str) -> String {
    let lines = ok(
        "lines",
        s.statement_lines(LEDGER, Some(RKUD), day(1), day(31)),
    );
    move |reference: &str| -> String {
        let found: Vec<&StoredLine> = lines
            .iter()
            .filter(|l| l.facts.natural_key.contains(reference))
            .collect();
        assert_eq!(found.len(), 1, "one line with {reference}: {lines:?}");
        found[0].facts.natural_key.clone()
    }
}

/// [`Store::open_items`]: facts of a kind on an account that no entry known at the cut-off and
/// booked by the date joins or (posting to the account) reverses, in (booking date, seq) order,
/// equal to the answer written over the lookups ([`crate::open_items_by_lookups`]) and to
/// hand-checked keys; [`Store::account_flows_of`] equals [`Store::account_flows`] filtered to
/// the account.
pub fn open_items_and_account_flows<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    // Receipt (day 2), its settlement credit (day 3) and the match joining it (day 3).
    match_fixture(&mut s);
    ok(
        "statement",
        s.import_file(
            LEDGER,
            statement_batch(
                "open-1",
                RKUD,
                &[
                    line(2, "OPEN-A", 40, true),
                    line(4, "OPEN-B", 60, true),
                    line(3, "OPEN-C", 15, false),
                    line(5, "OPEN-D", 7, true),
                ],
            ),
        ),
    );
    let key_of = rkud_line_keys(&mut s);
    let (a, b, c, d) = (
        key_of("OPEN-A"),
        key_of("OPEN-B"),
        key_of("OPEN-C"),
        key_of("OPEN-D"),
    );
    // OPEN-B is cleared by an entry booked on day 6 that joins it.
    let clear_b = JournalEntry {
        kind: EntryKind::WriteOff,
        booked_on: day(6),
        value_date: day(6),
        natural_key: "open:clear-b".into(),
        position: String::new(),
        memo: "identified".into(),
        reverses: None,
        postings: vec![
            Posting::debit(suspense_in(RKUD), idr(60)),
            Posting::credit(
                AccountKey::new(AccountKind::PendapatanLra, "4.1.04.16.01.0001"),
                idr(60),
            ),
        ],
    };
    ok(
        "clear OPEN-B",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "open"),
            vec![NewEntry {
                entry: clear_b,
                joins: vec![b.clone()],
            }],
        ),
    );
    // OPEN-D is reversed on day 7.
    let d_entry = ok(
        "OPEN-D entry",
        s.entries_by_keys(LEDGER, std::slice::from_ref(&d)),
    );
    let Some(d_entry) = d_entry.first().cloned() else {
        panic!("no entry for {d}")
    };
    let reversal = d_entry.entry.reversal(d_entry.seq, day(7), "wrong line");
    ok(
        "reverse OPEN-D",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "open"),
            vec![reversal.into()],
        ),
    );
    sleep_tick();
    let before_late = Utc::now();
    sleep_tick();
    ok(
        "late statement",
        s.import_file(
            LEDGER,
            statement_batch("open-2", RKUD, &[line(3, "OPEN-E", 11, true)]),
        ),
    );
    let lines = ok(
        "lines",
        s.statement_lines(LEDGER, Some(RKUD), day(1), day(31)),
    );
    let Some(e) = lines
        .iter()
        .find(|l| l.facts.natural_key.contains("OPEN-E"))
        .map(|l| l.facts.natural_key.clone())
    else {
        panic!("no OPEN-E line: {lines:?}")
    };
    let unused = AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "0000000001");
    type Case<'a> = (
        &'a str,
        AccountKey,
        EntryKind,
        NaiveDate,
        Option<DateTime<Utc>>,
        Vec<(&'a str, Decimal)>,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "suspense in, end of month",
            suspense_in(RKUD),
            EntryKind::StatementLine,
            day(31),
            None,
            vec![(&a, -idr(40)), (&e, -idr(11))],
        ),
        (
            "suspense in, day 5: the clearing and the reversal come later",
            suspense_in(RKUD),
            EntryKind::StatementLine,
            day(5),
            None,
            vec![
                (&a, -idr(40)),
                (&e, -idr(11)),
                (&b, -idr(60)),
                (&d, -idr(7)),
            ],
        ),
        (
            "suspense in, day 2",
            suspense_in(RKUD),
            EntryKind::StatementLine,
            day(2),
            None,
            vec![(&a, -idr(40))],
        ),
        (
            "suspense in as known before the late file",
            suspense_in(RKUD),
            EntryKind::StatementLine,
            day(31),
            Some(before_late),
            vec![(&a, -idr(40))],
        ),
        (
            "suspense out, end of month",
            suspense_out(RKUD),
            EntryKind::StatementLine,
            day(31),
            None,
            vec![(&c, idr(15))],
        ),
        (
            "kas daerah, statement lines",
            kas(RKUD),
            EntryKind::StatementLine,
            day(31),
            None,
            vec![(&a, idr(40)), (&c, -idr(15)), (&e, idr(11))],
        ),
        (
            "suspense in, another kind",
            suspense_in(RKUD),
            EntryKind::Sts,
            day(31),
            None,
            vec![],
        ),
        (
            "an account never posted to",
            unused.clone(),
            EntryKind::StatementLine,
            day(31),
            None,
            vec![],
        ),
    ];
    for (what, account, kind, as_of, known, expected) in cases {
        let got = ok(
            "open_items",
            s.open_items(LEDGER, &account, kind, as_of, known),
        );
        let oracle = ok(
            "open_items_by_lookups",
            crate::open_items_by_lookups(&mut s, LEDGER, &account, kind, as_of, known),
        );
        assert_eq!(got, oracle, "{what}: open_items differs from the lookups");
        let order: Vec<(NaiveDate, i64)> = got.iter().map(|i| (i.booked_on, i.seq)).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(
            order, sorted,
            "{what}: open items must be in (date, seq) order"
        );
        let mut keys: Vec<(String, Decimal)> = got
            .iter()
            .map(|i| (i.natural_key.clone(), i.effect))
            .collect();
        keys.sort();
        let mut want: Vec<(String, Decimal)> = expected
            .into_iter()
            .map(|(k, x)| (k.to_string(), x))
            .collect();
        want.sort();
        assert_eq!(keys, want, "{what}: open items");
        for i in &got {
            assert!(
                i.booked_on <= as_of && !i.memo.is_empty(),
                "{what}: item {i:?} must be booked by {as_of} with its memo"
            );
        }
    }
    assert!(
        s.open_items(
            "no-such-ledger",
            &kas(RKUD),
            EntryKind::StatementLine,
            day(31),
            None
        )
        .is_err(),
        "open_items of an unknown ledger must fail"
    );

    // account_flows_of: account_flows restricted to one account.
    for (what, account, from, to, known) in [
        ("kas daerah, month", kas(RKUD), day(1), day(31), None),
        (
            "suspense in, days 3-6",
            suspense_in(RKUD),
            day(3),
            day(6),
            None,
        ),
        (
            "kas daerah before the late file",
            kas(RKUD),
            day(1),
            day(31),
            Some(before_late),
        ),
        ("never posted to", unused.clone(), day(1), day(31), None),
    ] {
        let got = ok(
            "account_flows_of",
            s.account_flows_of(LEDGER, &account, from, to, known),
        );
        let mut want = ok(
            "account_flows",
            s.account_flows(LEDGER, &[account.kind()], from, to, known),
        );
        want.retain(|f| f.account == account);
        assert_eq!(got, want, "{what}: account_flows_of");
        if account != unused {
            assert!(!got.is_empty(), "{what}: the account moved in the period");
        }
    }
}

/// [`Store::book_lines`]: the entries posting to an account in a period and known at a cut-off,
/// in (booking date, seq) order, with their effect, kode accounts and document keys (own joins,
/// then the joins of the entries known at the cut-off that clear a statement line), equal to the
/// answer written over the lookups ([`crate::book_lines_by_lookups`]) and to hand-checked lines.
pub fn book_lines_of_accounts<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    // Receipt (day 2), its settlement credit (day 3) and the match joining both (day 3).
    match_fixture(&mut s);
    ok(
        "statement",
        s.import_file(
            LEDGER,
            statement_batch(
                "book-1",
                RKUD,
                &[
                    line(2, "BOOK-A", 40, true),
                    line(4, "BOOK-B", 60, true),
                    line(3, "BOOK-C", 15, false),
                ],
            ),
        ),
    );
    let key_of = rkud_line_keys(&mut s);
    let settle = key_of("QRIS-SETTLE-1");
    let (a, b) = (key_of("BOOK-A"), key_of("BOOK-B"));
    let jasa_giro = AccountKey::new(AccountKind::PendapatanLra, "4.1.04.16.01.0001");
    let clear = |key: &str, of: &str, amount: i64, d: u32| JournalEntry {
        kind: EntryKind::WriteOff,
        booked_on: day(d),
        value_date: day(d),
        natural_key: key.into(),
        position: String::new(),
        memo: format!("identified {of}"),
        reverses: None,
        postings: vec![
            Posting::debit(suspense_in(RKUD), idr(amount)),
            Posting::credit(jasa_giro.clone(), idr(amount)),
        ],
    };
    // BOOK-B is cleared on day 6 by an entry that also names an STS.
    ok(
        "clear BOOK-B",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "book"),
            vec![NewEntry {
                entry: clear("book:clear-b", "B", 60, 6),
                joins: vec![b.clone(), "sts:STS-BOOK-1".into()],
            }],
        ),
    );
    sleep_tick();
    let before_late = Utc::now();
    sleep_tick();
    // Recorded after the cut-off: BOOK-A's clearing (day 5) and a late line (day 3).
    ok(
        "clear BOOK-A",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Manual, "book"),
            vec![NewEntry {
                entry: clear("book:clear-a", "A", 40, 5),
                joins: vec![a.clone(), "sp2d:SP2D-BOOK-9".into()],
            }],
        ),
    );
    ok(
        "late statement",
        s.import_file(
            LEDGER,
            statement_batch("book-2", RKUD, &[line(3, "BOOK-E", 11, true)]),
        ),
    );
    let kode_kinds = [
        AccountKind::PendapatanLra,
        AccountKind::PenerimaanBelumMasukRkud,
        AccountKind::Belanja,
    ];
    let unused = AccountKey::new(AccountKind::KasDaerah, "0000000001");
    /// (what, account, first day, last day, cut-off, kode kinds)
    type Case<'a> = (
        &'a str,
        AccountKey,
        u32,
        u32,
        Option<DateTime<Utc>>,
        &'a [AccountKind],
    );
    let cases: Vec<Case<'_>> = vec![
        ("kas daerah, month", kas(RKUD), 1, 31, None, &kode_kinds),
        ("kas daerah, day 3", kas(RKUD), 3, 3, None, &kode_kinds),
        (
            "kas daerah before the late writes",
            kas(RKUD),
            1,
            31,
            Some(before_late),
            &kode_kinds,
        ),
        (
            "suspense in, month",
            suspense_in(RKUD),
            1,
            31,
            None,
            &kode_kinds,
        ),
        (
            "suspense in, no kode kinds",
            suspense_in(RKUD),
            1,
            31,
            None,
            &[],
        ),
        (
            "suspense in before the late writes",
            suspense_in(RKUD),
            4,
            31,
            Some(before_late),
            &kode_kinds,
        ),
        (
            "dana dalam perjalanan",
            ddp(Channel::Qris),
            1,
            31,
            None,
            &kode_kinds,
        ),
        ("never posted to", unused, 1, 31, None, &kode_kinds),
    ];
    let mut books = BTreeMap::new();
    for (what, account, from, to, known, kinds) in cases {
        let got = ok(
            "book_lines",
            s.book_lines(LEDGER, &account, day(from), day(to), known, kinds),
        );
        let oracle = ok(
            "book_lines_by_lookups",
            crate::book_lines_by_lookups(
                &mut s,
                LEDGER,
                &account,
                day(from),
                day(to),
                known,
                kinds,
            ),
        );
        assert_eq!(got, oracle, "{what}: book_lines differs from the lookups");
        let order: Vec<(NaiveDate, i64)> = got.iter().map(|l| (l.booked_on, l.seq)).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{what}: lines must be in (date, seq) order");
        for l in &got {
            assert!(
                l.booked_on >= day(from) && l.booked_on <= day(to) && !l.effect.is_zero(),
                "{what}: line {l:?} must be booked in the period and move the account"
            );
        }
        books.insert(what, got);
    }
    let by_key = |what: &str, key: &str| -> crate::BookLine {
        match books[what].iter().find(|l| l.natural_key == key) {
            Some(l) => l.clone(),
            None => panic!("{what}: no line {key} in {:?}", books[what]),
        }
    };
    let effects = |what: &str| -> Vec<Decimal> {
        let mut v: Vec<Decimal> = books[what].iter().map(|l| l.effect).collect();
        v.sort();
        v
    };
    assert_eq!(
        effects("kas daerah, month"),
        vec![-idr(15), idr(11), idr(40), idr(60), idr(125)],
        "kas daerah: the five bank lines"
    );
    assert_eq!(
        effects("kas daerah before the late writes"),
        vec![-idr(15), idr(40), idr(60), idr(125)],
        "kas daerah as known before the late line"
    );
    assert_eq!(
        effects("kas daerah, day 3"),
        vec![-idr(15), idr(11), idr(125)]
    );
    let settled = by_key("kas daerah, month", &settle);
    assert_eq!(settled.kind, EntryKind::StatementLine);
    assert_eq!(
        settled.documents,
        vec![settle.clone(), "receipt:NTPD-TRAIL-7781".to_string()],
        "a settled line carries the match's joins"
    );
    assert_eq!(
        by_key("kas daerah, month", &a).documents,
        vec![a.clone(), "sp2d:SP2D-BOOK-9".to_string()]
    );
    assert!(
        by_key("kas daerah before the late writes", &a)
            .documents
            .is_empty(),
        "BOOK-A's clearing is recorded after the cut-off"
    );
    assert_eq!(
        by_key("kas daerah, month", &b).documents,
        vec![b.clone(), "sts:STS-BOOK-1".to_string()]
    );
    let cleared_b = by_key("suspense in, month", "book:clear-b");
    assert_eq!(cleared_b.effect, idr(60));
    assert_eq!(cleared_b.kode, vec!["4.1.04.16.01.0001".to_string()]);
    assert_eq!(
        cleared_b.documents,
        vec![b.clone(), "sts:STS-BOOK-1".to_string()],
        "an entry's own joins"
    );
    assert!(by_key("suspense in, no kode kinds", "book:clear-b")
        .kode
        .is_empty());
    assert!(
        books["suspense in before the late writes"]
            .iter()
            .all(|l| l.natural_key != "book:clear-a"),
        "suspense in before the late writes: {:?}",
        books["suspense in before the late writes"]
    );
    assert!(books["never posted to"].is_empty());
    assert!(
        s.book_lines(
            "no-such-ledger",
            &kas(RKUD),
            day(1),
            day(31),
            None,
            &kode_kinds
        )
        .is_err(),
        "book_lines of an unknown ledger must fail"
    );
}

/// [`Store::joining_entries`] and [`Store::open_documents`]: the entries joining given keys with
/// their booking date and recording time, and the STS no entry booked by a date and known at a
/// cut-off has joined — equal to the answers written over the lookups
/// ([`crate::joining_entries_by_lookups`], [`crate::open_documents_by_lookups`]) and to
/// hand-checked keys.
pub fn joining_entries_and_open_documents<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    let deposits = [
        sts("OD-STS-A", "1.02.01", "4.1.02.01", 30, 2),
        sts("OD-STS-B", "1.02.01", "4.1.02.01", 45, 4),
        sts("OD-STS-C", "1.02.01", "4.1.02.01", 55, 5),
    ];
    ok(
        "STS",
        s.import_file(
            LEDGER,
            document_batch(
                "open-docs-sts",
                deposits.iter().cloned().map(Document::Sts).collect(),
            ),
        ),
    );
    ok(
        "credits",
        s.import_file(
            LEDGER,
            statement_batch(
                "open-docs-lines",
                RKUD,
                &[line(3, "OD-CR-A", 30, true), line(6, "OD-CR-B", 45, true)],
            ),
        ),
    );
    let lines = ok(
        "lines",
        s.statement_lines(LEDGER, Some(RKUD), day(1), day(31)),
    );
    let line_key = |reference: &str| -> String {
        match lines
            .iter()
            .find(|l| l.facts.natural_key.contains(reference))
        {
            Some(l) => l.facts.natural_key.clone(),
            None => panic!("no line {reference}: {lines:?}"),
        }
    };
    let (ka, kb, kc) = (
        sts_key_of(&mut s, "OD-STS-A"),
        sts_key_of(&mut s, "OD-STS-B"),
        sts_key_of(&mut s, "OD-STS-C"),
    );
    let mut matches = Vec::new();
    for (x, reference, d) in [(&deposits[0], "OD-CR-A", 3), (&deposits[1], "OD-CR-B", 6)] {
        let ids = vec![line_key(reference), sts_key_of(&mut s, &x.number)];
        let ctx = MatchContext {
            rule: "sts".into(),
            ids: ids.clone(),
            booked_on: day(d),
            value_date: day(d),
            memo: "STS credited".into(),
        };
        let e = match posting::match_sts_to_credit(&ctx, RKUD, x.total, &x.opd, &x.lines) {
            Ok(e) => e,
            Err(e) => panic!("STS match: {e}"),
        };
        matches.push(NewEntry {
            entry: e,
            joins: ids,
        });
    }
    let appended = ok(
        "matches",
        s.append_entries(
            LEDGER,
            RunInfo::new(RunKind::Reconcile, "recon-bot"),
            matches,
        ),
    )
    .appended;
    assert_eq!(appended.len(), 2, "two matches appended");
    sleep_tick();
    let before_late = Utc::now();
    sleep_tick();
    ok(
        "late STS",
        s.import_file(
            LEDGER,
            document_batch(
                "open-docs-late",
                vec![Document::Sts(sts(
                    "OD-STS-D",
                    "1.02.01",
                    "4.1.02.01",
                    12,
                    5,
                ))],
            ),
        ),
    );
    let kd = sts_key_of(&mut s, "OD-STS-D");

    // joining_entries: each key with the match that joins it, no postings read.
    let keys = vec![
        ka.clone(),
        kb.clone(),
        line_key("OD-CR-A"),
        kc.clone(),
        "sts:no-such-deposit".to_string(),
    ];
    let got = ok("joining_entries", s.joining_entries(LEDGER, &keys));
    let oracle = ok(
        "joining_entries_by_lookups",
        crate::joining_entries_by_lookups(&mut s, LEDGER, &keys),
    );
    assert_eq!(got, oracle, "joining_entries differs from the lookups");
    let seen: Vec<(String, i64, NaiveDate)> = got
        .iter()
        .map(|j| (j.key.clone(), j.seq, j.booked_on))
        .collect();
    let mut want = vec![
        (ka.clone(), appended[0], day(3)),
        (line_key("OD-CR-A"), appended[0], day(3)),
        (kb.clone(), appended[1], day(6)),
    ];
    want.sort();
    assert_eq!(seen, want, "joining entries, in (key, seq) order");
    assert!(
        s.joining_entries("no-such-ledger", &keys).is_err(),
        "joining_entries of an unknown ledger must fail"
    );

    // open_documents: STS not joined by an entry booked by the date and known at the cut-off.
    type Case<'a> = (&'a str, NaiveDate, Option<DateTime<Utc>>, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        ("end of month", day(31), None, vec![&kc, &kd]),
        (
            "day 5: B is credited on day 6",
            day(5),
            None,
            vec![&kb, &kc, &kd],
        ),
        ("day 2: A is credited on day 3", day(2), None, vec![&ka]),
        ("before the late STS", day(31), Some(before_late), vec![&kc]),
        (
            "before any STS",
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default(),
            None,
            vec![],
        ),
    ];
    for (what, as_of, known, expected) in cases {
        let got = ok(
            "open_documents",
            s.open_documents(LEDGER, DocKind::Sts, as_of, known),
        );
        let oracle = ok(
            "open_documents_by_lookups",
            crate::open_documents_by_lookups(&mut s, LEDGER, DocKind::Sts, as_of, known),
        );
        assert_eq!(
            got, oracle,
            "{what}: open_documents differs from the lookups"
        );
        let mut keys: Vec<&str> = got.iter().map(|d| d.natural_key.as_str()).collect();
        keys.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(keys, want, "{what}: open STS");
    }
    assert!(
        ok(
            "open receipts",
            s.open_documents(LEDGER, DocKind::Receipt, day(31), None)
        )
        .is_empty(),
        "no receipts were imported"
    );
    assert!(
        s.open_documents("no-such-ledger", DocKind::Sts, day(31), None)
            .is_err(),
        "open_documents of an unknown ledger must fail"
    );
}

/// The natural key of the STS numbered `number`, read back from the store.
fn sts_key_of<S: Store>(s: &mut S, number: &str) -> String {
    let docs = ok(
        "documents",
        s.documents(LEDGER, Some(DocKind::Sts), None, None),
    );
    match docs.iter().find(|d| match &d.document {
        Document::Sts(x) => x.number == number,
        _ => false,
    }) {
        Some(d) => d.natural_key.clone(),
        None => panic!("no STS {number}: {docs:?}"),
    }
}

/// [`Store::each_statement_line`] and [`Store::each_document`] hand out exactly the rows of
/// [`Store::statement_lines`] and [`Store::documents`] (of one kind), in the same order, for
/// every bound and account filter; an error from the callback stops the read and is returned;
/// an unknown ledger is an error.
pub fn each_line_and_document<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    // Two files on the RKUD (two runs) and one on the holding account, lines over several days,
    // one pending; documents of every kind, keys on one day out of insertion order.
    for (label, account, lines) in [
        (
            "each-1",
            RKUD,
            vec![line(4, "R4", 40, true), line(2, "R2", 20, false)],
        ),
        (
            "each-2",
            HOLDING,
            vec![line(2, "H2", 25, true), line(5, "H5", 55, false)],
        ),
        (
            "each-3",
            RKUD,
            vec![
                line(2, "S2", 21, true),
                Line {
                    booked: false,
                    ..line(3, "S3", 30, true)
                },
                line(4, "S4", 41, false),
            ],
        ),
    ] {
        ok(
            "lines",
            s.import_file(LEDGER, statement_batch(label, account, &lines)),
        );
    }
    let docs = vec![
        Document::Receipt(receipt("NTPD-20", Channel::Teller, "4.1.01.06", 200, 3)),
        Document::Receipt(receipt("NTPD-100", Channel::Qris, "4.1.01.07", 100, 3)),
        Document::Receipt(receipt("NTPD-05", Channel::Retail, "4.1.01.07", 50, 2)),
        Document::Sts(sts("STS-B", "DISHUB", "4.1.02.01", 60, 4)),
        Document::Sts(sts("STS-A", "DINKES", "4.1.02.01", 70, 4)),
        Document::Sp2d(sp2d("SP2D-9", 500, 5)),
        Document::Bku(bku(7, 60, 4)),
        Document::Bku(bku(3, 70, 2)),
    ];
    ok(
        "docs",
        s.import_file(LEDGER, document_batch("each-docs", docs)),
    );

    for (from, to) in [(1, 28), (2, 2), (3, 4), (5, 9)] {
        for account in [None, Some(RKUD), Some(HOLDING)] {
            let want = ok(
                "statement_lines",
                s.statement_lines(LEDGER, account, day(from), day(to)),
            );
            let mut got = Vec::new();
            ok(
                "each_statement_line",
                s.each_statement_line(LEDGER, account, day(from), day(to), &mut |l| {
                    got.push(l);
                    Ok(())
                }),
            );
            assert_eq!(
                got, want,
                "lines of days {from}..={to}, account {account:?}"
            );
        }
    }
    let bounds = [
        (None, None),
        (Some(day(3)), None),
        (None, Some(day(3))),
        (Some(day(4)), Some(day(4))),
    ];
    for kind in [DocKind::Receipt, DocKind::Sts, DocKind::Sp2d, DocKind::Bku] {
        for (from, to) in bounds {
            let want = ok("documents", s.documents(LEDGER, Some(kind), from, to));
            let mut got = Vec::new();
            ok(
                "each_document",
                s.each_document(LEDGER, kind, from, to, &mut |d| {
                    got.push(d);
                    Ok(())
                }),
            );
            assert_eq!(got, want, "{kind:?} documents within {from:?}..={to:?}");
        }
    }
    let all = ok(
        "documents",
        s.documents(LEDGER, Some(DocKind::Receipt), None, None),
    );
    assert_eq!(
        all.iter()
            .map(|d| d.natural_key.as_str())
            .collect::<Vec<_>>(),
        ["receipt:NTPD-05", "receipt:NTPD-100", "receipt:NTPD-20"],
        "receipts by date, then natural key in byte order"
    );

    // The callback's error ends the read after the row that caused it.
    let stop = || StoreError::InvalidInput {
        field: "test".into(),
        expected: "two rows".into(),
        found: "a third".into(),
    };
    let mut seen = 0;
    let r = s.each_statement_line(LEDGER, None, day(1), day(28), &mut |_| {
        seen += 1;
        if seen == 2 {
            Err(stop())
        } else {
            Ok(())
        }
    });
    assert!(
        matches!(r, Err(StoreError::InvalidInput { .. })) && seen == 2,
        "a line callback's error must stop the read and come back: {r:?} after {seen} rows"
    );
    let mut seen = 0;
    let r = s.each_document(LEDGER, DocKind::Receipt, None, None, &mut |_| {
        seen += 1;
        Err(stop())
    });
    assert!(
        matches!(r, Err(StoreError::InvalidInput { .. })) && seen == 1,
        "a document callback's error must stop the read and come back: {r:?} after {seen} rows"
    );
    assert!(
        s.each_statement_line("no-such-ledger", None, day(1), day(28), &mut |_| Ok(()))
            .is_err()
            && s.each_document("no-such-ledger", DocKind::Sts, None, None, &mut |_| Ok(()))
                .is_err(),
        "an unknown ledger must be an error"
    );
}

/// [`Store::each_recon_line`] and [`Store::each_recon_receipt`] hand out what
/// reconciliation reads of [`Store::each_statement_line`]'s and [`Store::each_document`]'s rows
/// ([`ReconLine::from_stored`], [`ReconReceipt`] from each receipt), in the same order, for
/// every bound: lines with and without a bank reference, with a counterparty by account, by
/// IBAN and by name only, pending, at another scale than their currency's, on two accounts;
/// receipts with and without their optional references, a reversal among them. A callback's
/// error stops the read and comes back; an unknown ledger is an error.
pub fn recon_reads_match_full_rows<S: Store>(make: &mut dyn FnMut() -> S) {
    let mut s = fresh(make);
    for (label, account, lines) in [
        (
            "recon-1",
            RKUD,
            vec![line(4, "R4", 40, true), line(2, "R2", 20, false)],
        ),
        (
            "recon-2",
            HOLDING,
            vec![
                line(2, "H2", 25, true),
                Line {
                    booked: false,
                    ..line(3, "H3", 30, true)
                },
            ],
        ),
    ] {
        ok(
            "lines",
            s.import_file(LEDGER, statement_batch(label, account, &lines)),
        );
    }
    // Counterparties three ways, a line without a bank reference, an amount at scale 3.
    let mut file = statement_file(
        RKUD,
        &[
            line(3, "C1", 11, true),
            line(3, "C2", 12, false),
            line(5, "C3", 13, true),
            line(6, "C4", 14, true),
        ],
    );
    let entries = &mut file.statements[0].entries;
    entries[0].counterparty = Party {
        name: Some("PT SUMBER AIR".into()),
        account: Some("0012345678".into()),
        iban: Some("ID00BANK0012345678".into()),
        ..Default::default()
    };
    entries[1].counterparty = Party {
        iban: Some("ID00BANK0099".into()),
        agent_bic: Some("BBTNIDJA".into()),
        ..Default::default()
    };
    entries[2].counterparty = Party {
        name: Some("DINAS PENDAPATAN".into()),
        ..Default::default()
    };
    entries[2].refs = References {
        end_to_end_id: Some("E2E-C3".into()),
        customer_ref: Some("NONREF".into()),
        ..Default::default()
    };
    entries[3].amount = Decimal::new(14_500, 3);
    let batch = match build_import_batch(source("recon-3", "camt.053"), &file, &role_of) {
        Ok(b) => b,
        Err(e) => panic!("fixture statement batch recon-3 does not build: {e}"),
    };
    ok("lines", s.import_file(LEDGER, batch));
    let mut reversal = receipt("NTPD-7R", Channel::Teller, "4.1.01.06", 70, 4);
    reversal.status = ReceiptStatus::Reversed;
    reversal.reverses_ntpd = Some("NTPD-7".into());
    let mut bare = receipt("NTPD-8", Channel::Qris, "4.1.01.07", 80, 5);
    (bare.kode_billing, bare.ntb, bare.jenis_pajak, bare.bank) = (None, None, None, None);
    bare.nop = Some("36.73.010.001.001-0001.0".into());
    let docs = vec![
        Document::Receipt(receipt("NTPD-7", Channel::Teller, "4.1.01.06", 70, 3)),
        Document::Receipt(reversal),
        Document::Receipt(bare),
        Document::Receipt(receipt("NTPD-1", Channel::Retail, "4.1.01.07", 10, 3)),
        Document::Sts(sts("STS-R", "DISHUB", "4.1.02.01", 60, 4)),
    ];
    ok(
        "docs",
        s.import_file(LEDGER, document_batch("recon-docs", docs)),
    );

    for (from, to) in [(1, 28), (3, 3), (3, 5), (7, 9)] {
        let mut want = Vec::new();
        ok(
            "each_statement_line",
            s.each_statement_line(LEDGER, None, day(from), day(to), &mut |l| {
                ReconLine::from_stored(l, &mut |r| {
                    want.push(format!("{r:?}"));
                    Ok(())
                })
            }),
        );
        let mut got = Vec::new();
        ok(
            "each_recon_line",
            s.each_recon_line(LEDGER, day(from), day(to), &mut |r| {
                got.push(format!("{r:?}"));
                Ok(())
            }),
        );
        assert_eq!(got, want, "recon lines of days {from}..={to}");
    }
    let mut all = Vec::new();
    ok(
        "each_recon_line",
        s.each_recon_line(LEDGER, day(1), day(28), &mut |r| {
            all.push((r.bank_ref.clone(), r.counterparty.clone(), r.amount));
            Ok(())
        }),
    );
    assert!(
        all.contains(&(Some("C1".into()), Some("0012345678".into()), idr(11)))
            && all.contains(&(Some("C2".into()), Some("ID00BANK0099".into()), idr(12)))
            && all.contains(&(Some("C4".into()), None, Decimal::new(14_500, 3))),
        "the fixture's counterparties and amounts must come through: {all:?}"
    );
    for (from, to) in [
        (None, None),
        (Some(day(4)), None),
        (None, Some(day(3))),
        (Some(day(5)), Some(day(5))),
    ] {
        let mut want = Vec::new();
        ok(
            "each_document",
            s.each_document(LEDGER, DocKind::Receipt, from, to, &mut |d| {
                if let Document::Receipt(r) = d.document {
                    want.push((d.natural_key, ReconReceipt::from(r)));
                }
                Ok(())
            }),
        );
        let mut got = Vec::new();
        ok(
            "each_recon_receipt",
            s.each_recon_receipt(LEDGER, from, to, &mut |key, r| {
                got.push((key, r));
                Ok(())
            }),
        );
        assert_eq!(got, want, "recon receipts within {from:?}..={to:?}");
    }

    let stop = || StoreError::InvalidInput {
        field: "test".into(),
        expected: "one row".into(),
        found: "a second".into(),
    };
    let mut seen = 0;
    let r = s.each_recon_line(LEDGER, day(1), day(28), &mut |_| {
        seen += 1;
        if seen == 2 {
            Err(stop())
        } else {
            Ok(())
        }
    });
    assert!(
        matches!(r, Err(StoreError::InvalidInput { .. })) && seen == 2,
        "a recon line callback's error must stop the read and come back: {r:?} after {seen}"
    );
    let mut seen = 0;
    let r = s.each_recon_receipt(LEDGER, None, None, &mut |_, _| {
        seen += 1;
        Err(stop())
    });
    assert!(
        matches!(r, Err(StoreError::InvalidInput { .. })) && seen == 1,
        "a recon receipt callback's error must stop the read and come back: {r:?} after {seen}"
    );
    assert!(
        s.each_recon_line("no-such-ledger", day(1), day(28), &mut |_| Ok(()))
            .is_err()
            && s.each_recon_receipt("no-such-ledger", None, None, &mut |_, _| Ok(()))
                .is_err(),
        "an unknown ledger must be an error"
    );
}

/// [`Store::append_entries_from`] appends what [`Store::append_entries`] appends for the same
/// list — seqs, run, entries, joins, duplicates skipped (already in the ledger or earlier in the
/// call) — and an error from the producer or an invalid entry writes nothing.
pub fn append_entries_from_matches_list<S: Store>(make: &mut dyn FnMut() -> S) {
    let plain = |key: &str, amount: i64| NewEntry {
        entry: JournalEntry {
            kind: EntryKind::Match,
            booked_on: day(3),
            value_date: day(3),
            natural_key: key.into(),
            position: String::new(),
            memo: format!("match {key}"),
            reverses: None,
            postings: vec![
                Posting::debit(suspense_in(RKUD), idr(amount)),
                Posting::credit(ddp(Channel::Qris), idr(amount)),
            ],
        },
        joins: vec![format!("fact:{key}"), "receipt:shared".into()],
    };
    let first = || vec![plain("match:a", 10), plain("match:b", 20)];
    // Already in the ledger (match:a), repeated within the call (match:c), new (match:c, d).
    let second = || {
        vec![
            plain("match:c", 30),
            plain("match:a", 10),
            plain("match:d", 40),
            plain("match:c", 30),
        ]
    };
    let run = || RunInfo::new(RunKind::Reconcile, "recon-bot");
    let mut by_list = fresh(make);
    let mut by_sink = fresh(make);
    let mut outcomes = Vec::new();
    for s in [&mut by_list, &mut by_sink] {
        ok(
            "receipt",
            s.import_file(
                LEDGER,
                document_batch(
                    "from-r",
                    vec![Document::Receipt(receipt(
                        "NTPD-FROM-1",
                        Channel::Qris,
                        "4.1.01.06",
                        100,
                        2,
                    ))],
                ),
            ),
        );
    }
    for batch in [first(), second()] {
        let listed = ok(
            "append list",
            by_list.append_entries(LEDGER, run(), batch.clone()),
        );
        let streamed = ok(
            "append from",
            by_sink.append_entries_from(LEDGER, run(), &mut |sink| {
                batch.iter().cloned().try_for_each(sink)
            }),
        );
        assert_eq!(streamed, listed, "outcome of the same list");
        outcomes.push(streamed);
    }
    assert_eq!(outcomes[1].appended.len(), 2, "{:?}", outcomes[1]);
    assert_eq!(outcomes[1].duplicates, ["match:a", "match:c"]);
    let same = |s: &mut S| {
        let entries = all_entries(s);
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        let joins = ok("joins", s.entry_joins(LEDGER, &seqs));
        let entries: Vec<(i64, i64, JournalEntry)> = entries
            .into_iter()
            .map(|e| (e.seq, e.run_id, e.entry))
            .collect();
        (entries, joins)
    };
    assert_eq!(same(&mut by_sink), same(&mut by_list), "entries and joins");
    assert_verified(&mut by_sink, "after appends from a producer");

    // Nothing is written when the producer fails after handing over an entry, nor when an
    // entry is invalid.
    let before = same(&mut by_sink);
    let runs_before = ok("runs", by_sink.runs(LEDGER)).len();
    let r = by_sink.append_entries_from(LEDGER, run(), &mut |sink| {
        sink(plain("match:e", 50))?;
        Err(StoreError::InvalidInput {
            field: "producer".into(),
            expected: "entries".into(),
            found: "a failure".into(),
        })
    });
    assert!(
        matches!(r, Err(StoreError::InvalidInput { .. })),
        "the producer's error comes back: {r:?}"
    );
    let mut unbalanced = plain("match:f", 60);
    unbalanced.entry.postings[1] = Posting::credit(ddp(Channel::Qris), idr(61));
    let r = by_sink.append_entries_from(LEDGER, run(), &mut |sink| {
        sink(plain("match:g", 70))?;
        sink(unbalanced.clone())
    });
    assert!(r.is_err(), "an unbalanced entry must be refused: {r:?}");
    assert_eq!(
        same(&mut by_sink),
        before,
        "nothing written by failed appends"
    );
    assert_eq!(
        ok("runs", by_sink.runs(LEDGER)).len(),
        runs_before,
        "no run recorded"
    );
    assert!(
        by_sink
            .append_entries_from("no-such-ledger", run(), &mut |_| Ok(()))
            .is_err(),
        "an unknown ledger must be an error"
    );
}
