//! Report generation over a year of a province-sized ledger, on SQLite and on PostgreSQL, beside
//! a bare aggregate query over the same month in the same run (see BENCHMARKS.md).
//!
//! The ledger is built through the stores' real import and append paths from a deterministic
//! year (1 January – 31 December 2026) with the posting model's account mix: receipts per
//! channel and kode rekening (dana dalam perjalanan, penerimaan belum masuk RKUD), per-payment
//! and batch settlements on two RKUD accounts and a holding account swept daily, STS of 40 OPD
//! bendahara (one with a receiving bank account), SP2D paid from the RKUD, and the match, sweep
//! and suspense entries recon appends, including unidentified credits and unbooked bank charges
//! left open. Each report (BAR, BKU of the BUD, BKU of a bendahara, rekap, LAK, daily position)
//! is then built for one month; the baseline is `SELECT account, Σ(debit − credit) … GROUP BY
//! account` over the postings of the same month.
//!
//! * `KASDA_BENCH_RECEIPTS_PER_DAY` — receipts per day (default 1 000; the posting count of the
//!   year is printed before the measurements).
//! * `KASDA_BENCH_MONTHS` — months of the year to build (default 12); the reports are for the
//!   last one, so report time against ledger size is seen by varying this.
//! * `KASDA_BENCH_REPORTS` — a comma-separated subset of `bar, bku_bud, bku_bendahara, rekap,
//!   lak, position` (default all).
//! * `KASDA_BENCH_SLOW_SECS` — a report whose first run takes longer is reported by that run
//!   only, not sampled (default 10).
//! * `KASDA_BENCH_ONCE` — `N` > 0 runs the baseline and each report `N` times instead of
//!   sampling with criterion, printing each run's wall time and this process's CPU time (user +
//!   system, from `/proc/self/stat`; on SQLite that is all the work, on PostgreSQL only the
//!   client's). For a 50M-posting ledger, where criterion's ten samples of the baseline alone
//!   take minutes.
//! * `KASDA_BENCH_STORES` — `sqlite`, `postgres` or `sqlite,postgres` (default). PostgreSQL is
//!   taken from `KASDA_TEST_DATABASE_URL`.
//! * `KASDA_BENCH_CACHE` — `on` (default) keeps each built ledger for the next run, keyed by
//!   (receipts per day, months, [`LEDGER_VERSION`]): SQLite as
//!   `<target>/tmp/kasda-reports-cache/sqlite-r<per_day>-m<months>-v<N>.db`, PostgreSQL as the
//!   database `kasda_bench_reports_r<per_day>_m<months>_v<N>`, each with a `.done` marker file
//!   (postings, last day) written only once the build completed, so an interrupted build is
//!   started again. A later migration is applied to a cached ledger when it is opened. `off`
//!   builds into a throw-away file / database every run. Remove the directory (and `DROP
//!   DATABASE`) to free the space.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use kasda_core::config::Config;
use kasda_core::document::{
    Channel, Document, Receipt, ReceiptStatus, RevenueLine, Sp2d, Sp2dType, Sts,
};
use kasda_core::money::{Currency, Direction};
use kasda_core::posting::{self, AccountRole, MatchContext};
use kasda_core::statement::{
    AccountId, Entry, EntryStatus, References, Remittance, SourcePos, Statement, StatementFile,
};
use kasda_report::{build, ReportKind, ReportParams};
use kasda_store::conformance::source;
use kasda_store::{
    build_document_batch, build_import_batch, LedgerInfo, NewEntry, RunInfo, RunKind, Store,
};
use rust_decimal::Decimal;

const LEDGER: &str = "prov-bench";
const RKUD1: &str = "1020010000001";
const RKUD2: &str = "1020010000002";
const HOLDING: &str = "2020010000001";
const RECEIVING: &str = "3020010000001";
const OPDS: usize = 40;
/// Receipts settled one credit per payment; the other channels settle in daily batches.
const PER_PAYMENT: [Channel; 3] = [Channel::Qris, Channel::Mobile, Channel::VirtualAccount];
const CHANNELS: [Channel; 6] = [
    Channel::Qris,
    Channel::Mobile,
    Channel::VirtualAccount,
    Channel::Teller,
    Channel::Atm,
    Channel::Retail,
];

/// Bumped whenever `import_day` builds a different year, so a cached ledger of an older shape is
/// never measured.
const LEDGER_VERSION: u32 = 1;

fn cache_on() -> bool {
    match std::env::var("KASDA_BENCH_CACHE") {
        Err(_) => true,
        Ok(v) => match v.trim() {
            "" | "on" | "1" => true,
            "off" | "0" => false,
            other => panic!("KASDA_BENCH_CACHE: expected `on` or `off`, found {other:?}"),
        },
    }
}

fn cache_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kasda-reports-cache");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create the cache directory {}: {e}", dir.display()));
    dir
}

/// The `.done` marker of a cached ledger: its posting count and last day, or None when the
/// build never completed.
fn read_marker(path: &std::path::Path) -> Option<(u64, NaiveDate)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut it = text.split_whitespace();
    let postings = it.next()?.parse().ok()?;
    let last = it.next()?.parse().ok()?;
    Some((postings, last))
}

fn write_marker(path: &std::path::Path, postings: u64, last: NaiveDate) {
    std::fs::write(path, format!("{postings} {last}\n"))
        .unwrap_or_else(|e| panic!("cannot write the cache marker {}: {e}", path.display()));
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn idr(whole: u64) -> Decimal {
    Decimal::new(whole as i64 * 100, 2)
}

fn opd_code(o: usize) -> String {
    format!("2.{:02}.0.00.0.00.01.0000", o + 1)
}

/// Tax codes receipts are paid on: 13 objects × 4 rincian.
fn tax_codes() -> Vec<String> {
    let mut out = Vec::new();
    for j in [6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19] {
        for r in 1..=4 {
            out.push(format!("4.1.01.{j:02}.{r:02}.0001"));
        }
    }
    out
}

fn retribusi_code(o: usize) -> String {
    format!("4.1.02.01.{:02}.0001", o + 1)
}

fn config() -> Config {
    let mut t = String::from(
        "fiscal_year = 2026\n[pemda]\ncode = \"36\"\nname = \"Pemerintah Provinsi Uji\"\nkind = \"provinsi\"\nzone = \"WIB\"\n",
    );
    for (label, acct) in [("RKUD utama", RKUD1), ("RKUD pengeluaran", RKUD2)] {
        t.push_str(&format!(
            "[[rkud]]\nlabel = \"{label}\"\nbank = \"Bank Uji\"\naccount_number = \"{acct}\"\n"
        ));
    }
    t.push_str(&format!(
        "[[holding]]\nlabel = \"Penampungan ritel\"\nbank = \"Bank Uji\"\naccount_number = \"{HOLDING}\"\nchannels = [\"retail\"]\nsweep = \"t1\"\nsweep_to = \"{RKUD1}\"\nowner = \"pemda\"\n"
    ));
    for o in 0..OPDS {
        t.push_str(&format!(
            "[[opd]]\ncode = \"{}\"\nname = \"Dinas {}\"\nrevenue_codes = [\"{}\"]\n",
            opd_code(o),
            o + 1,
            // Retribusi objects of the bundled chart, shared out among the OPD.
            [
                "4.1.02.01.01",
                "4.1.02.01.04",
                "4.1.02.01.05",
                "4.1.02.01.14"
            ][o % 4]
        ));
        if o == 0 {
            t.push_str(&format!("receiving_account = \"{RECEIVING}\"\n"));
        }
    }
    t.push_str(
        "[targets]\n\"4.1.01.19.01.0001\" = \"90000000000\"\n\"4.1.02\" = \"60000000000\"\n",
    );
    Config::from_str(&t).expect("bench configuration")
}

fn role_of(account: &str) -> AccountRole {
    match account {
        RKUD1 | RKUD2 => AccountRole::Rkud,
        HOLDING => AccountRole::Holding,
        RECEIVING => AccountRole::OpdReceiving { opd: opd_code(0) },
        _ => AccountRole::Unregistered,
    }
}

/// One statement of one day on `account`: (bank reference, amount, credit?).
fn statement(
    account: &str,
    d: NaiveDate,
    seq: usize,
    lines: &[(String, Decimal, bool)],
) -> StatementFile {
    let entries = lines
        .iter()
        .enumerate()
        .map(|(i, (reference, amount, credit))| Entry {
            pos: SourcePos {
                line: 10 + i as u32,
                index: i as u32,
            },
            amount: *amount,
            currency: Currency::IDR,
            direction: Some(if *credit {
                Direction::Credit
            } else {
                Direction::Debit
            }),
            status: EntryStatus::Booked,
            booking_date: Some(d),
            value_date: Some(d),
            refs: References {
                account_servicer: Some(reference.clone()),
                ..Default::default()
            },
            remittance: Remittance {
                unstructured: vec![format!("TRF {reference}")],
                ..Default::default()
            },
            ..Default::default()
        })
        .collect();
    StatementFile {
        statements: vec![Statement {
            id: Some(format!("STMT-{account}-{d}")),
            electronic_seq: Some(seq.to_string()),
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

fn ctx(rule: &str, ids: Vec<String>, d: NaiveDate, memo: &str) -> MatchContext {
    MatchContext {
        rule: rule.into(),
        ids,
        booked_on: d,
        value_date: d,
        memo: memo.into(),
    }
}

/// Imports one day; returns the postings written.
fn import_day<S: Store>(s: &mut S, d: NaiveDate, di: usize, per_day: usize) -> u64 {
    let codes = tax_codes();
    let mut postings = 0u64;
    let paid_at = d.and_hms_opt(3, 0, 0).expect("time").and_utc();
    let receipts: Vec<Receipt> = (0..per_day)
        .map(|i| {
            let n = di * per_day + i;
            let amount = idr(10_000 + (n as u64 * 7_919) % 2_000_000);
            Receipt {
                ntpd: format!("N{n:010}"),
                kode_billing: Some(format!("KB{n:010}")),
                ntb: Some(format!("NTB{n:010}")),
                nop: None,
                npwpd: None,
                taxpayer_name: None,
                jenis_pajak: None,
                lines: vec![RevenueLine {
                    kode_rekening: codes[n % codes.len()].clone(),
                    amount,
                }],
                masa_pajak: Some(d.month()),
                tahun_pajak: Some(2026),
                pokok: amount,
                denda: Decimal::ZERO,
                total: amount,
                channel: CHANNELS[n % CHANNELS.len()],
                bank: Some("BANK UJI".into()),
                account: Some(RKUD1.into()),
                paid_at,
                paid_zone: Some("WIB".into()),
                settlement_date: Some(d),
                status: ReceiptStatus::Paid,
                reverses_ntpd: None,
                opd: Some(opd_code(0)),
            }
        })
        .collect();
    let sts: Vec<Sts> = (0..OPDS)
        .map(|o| {
            let amount = idr(250_000 + ((di * OPDS + o) as u64 * 3_001) % 5_000_000);
            Sts {
                number: format!("STS-{di:03}-{o:02}"),
                opd: opd_code(o),
                bendahara: Some("Bendahara".into()),
                date: d,
                account: RKUD1.into(),
                lines: vec![RevenueLine {
                    kode_rekening: retribusi_code(o),
                    amount,
                }],
                total: amount,
                collected_from: Some(d),
                collected_to: Some(d),
                tbp_numbers: vec![],
            }
        })
        .collect();
    let sp2d: Vec<Sp2d> = (0..(per_day / 20).max(1))
        .map(|k| {
            let amount = idr(1_000_000 + ((di * 100 + k) as u64 * 104_729) % 90_000_000);
            Sp2d {
                number: format!("SP2D-{di:03}-{k:04}"),
                date: d,
                opd: opd_code(k % OPDS),
                sp2d_type: Sp2dType::Ls,
                kode_rekening: Some("5.1.02.01.01.0001".into()),
                gross: amount,
                deductions: vec![],
                net: amount,
                beneficiary_name: "CV Rekanan".into(),
                beneficiary_bank: None,
                beneficiary_account: None,
                account: RKUD2.into(),
            }
        })
        .collect();
    let docs: Vec<(u32, Document)> = receipts
        .iter()
        .cloned()
        .map(Document::Receipt)
        .chain(sts.iter().cloned().map(Document::Sts))
        .chain(sp2d.iter().cloned().map(Document::Sp2d))
        .enumerate()
        .map(|(i, doc)| (i as u32 + 2, doc))
        .collect();
    let batch = build_document_batch(source(&format!("docs-{d}"), "csv"), docs).expect("documents");
    postings += count(&batch);
    s.import_file(LEDGER, batch).expect("import documents");

    // Statements of the day.
    let mut rkud1: Vec<(String, Decimal, bool)> = Vec::new();
    let mut rkud2: Vec<(String, Decimal, bool)> = Vec::new();
    for r in receipts.iter().filter(|r| PER_PAYMENT.contains(&r.channel)) {
        rkud1.push((format!("P{}", r.ntpd), r.total, true));
    }
    for (o, x) in sts.iter().enumerate() {
        // One OPD's deposit is always in transit at the day's end.
        if o != 7 {
            rkud1.push((format!("S{}", x.number), x.total, true));
        }
    }
    let batch_total = |c: Channel| -> Decimal {
        receipts
            .iter()
            .filter(|r| r.channel == c)
            .map(|r| r.total)
            .sum()
    };
    let retail = batch_total(Channel::Retail);
    rkud1.push((format!("SWI{di}"), retail, true));
    rkud1.push((format!("UNK{di}"), idr(123_456), true));
    for c in [Channel::Teller, Channel::Atm] {
        rkud2.push((format!("B{di}-{}", c.as_str()), batch_total(c), true));
    }
    for x in &sp2d {
        rkud2.push((format!("D{}", x.number), x.net, false));
    }
    rkud2.push((format!("BY ADM {di}"), idr(6_500), false));
    let holding = vec![
        (format!("R{di}"), retail, true),
        (format!("SWO{di}"), retail, false),
    ];
    let receiving = vec![
        (format!("OR{di}"), idr(75_000), true),
        (format!("OT{di}"), idr(50_000), false),
    ];
    let mut keys: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for (account, lines) in [
        (RKUD1, &rkud1),
        (RKUD2, &rkud2),
        (HOLDING, &holding),
        (RECEIVING, &receiving),
    ] {
        let file = statement(account, d, di + 1, lines);
        let batch = build_import_batch(
            source(&format!("stmt-{account}-{d}"), "mt940"),
            &file,
            &role_of,
        )
        .expect("statement batch");
        for (rec, (reference, _, _)) in batch
            .statements
            .iter()
            .flat_map(|st| &st.lines)
            .zip(lines.iter())
        {
            keys.insert(reference.clone(), rec.facts.natural_key.clone());
        }
        postings += count(&batch);
        s.import_file(LEDGER, batch).expect("import statement");
    }

    // What recon appends: matches, the sweep. Unknown credits and bank charges stay open.
    let key = |r: &str| keys.get(r).cloned().expect("line key");
    let mut out: Vec<NewEntry> = Vec::new();
    for r in receipts.iter().filter(|r| PER_PAYMENT.contains(&r.channel)) {
        let ids = vec![key(&format!("P{}", r.ntpd)), format!("receipt:{}", r.ntpd)];
        let e = posting::match_receipts_to_credit(
            &ctx("h2h-1to1", ids.clone(), d, "settlement per payment"),
            RKUD1,
            r.total,
            &[(r.channel, r.total)],
            &r.lines,
        )
        .expect("match");
        out.push(NewEntry {
            entry: e,
            joins: ids,
        });
    }
    for (c, account, line_ref, with_revenue) in [
        (Channel::Teller, RKUD2, format!("B{di}-teller"), true),
        (Channel::Atm, RKUD2, format!("B{di}-atm"), true),
        (Channel::Retail, HOLDING, format!("R{di}"), false),
    ] {
        let of_channel: Vec<&Receipt> = receipts.iter().filter(|r| r.channel == c).collect();
        let total: Decimal = of_channel.iter().map(|r| r.total).sum();
        let mut ids = vec![key(&line_ref)];
        ids.extend(of_channel.iter().map(|r| format!("receipt:{}", r.ntpd)));
        let revenue = if with_revenue {
            posting::revenue_of(&of_channel).expect("revenue")
        } else {
            Vec::new()
        };
        let e = posting::match_receipts_to_credit(
            &ctx("batch", ids.clone(), d, "batch settlement"),
            account,
            total,
            &[(c, total)],
            &revenue,
        )
        .expect("batch match");
        out.push(NewEntry {
            entry: e,
            joins: ids,
        });
    }
    let retail_receipts: Vec<&Receipt> = receipts
        .iter()
        .filter(|r| r.channel == Channel::Retail)
        .collect();
    let ids = vec![key(&format!("SWO{di}")), key(&format!("SWI{di}"))];
    let e = posting::sweep(
        &ctx("holding", ids.clone(), d, "sweep to RKUD"),
        HOLDING,
        RKUD1,
        retail,
        &posting::revenue_of(&retail_receipts).expect("revenue"),
    )
    .expect("sweep");
    out.push(NewEntry {
        entry: e,
        joins: ids,
    });
    for (o, x) in sts.iter().enumerate() {
        if o == 7 {
            continue;
        }
        let ids = vec![key(&format!("S{}", x.number)), format!("sts:{}", x.number)];
        let e = posting::match_sts_to_credit(
            &ctx("sts", ids.clone(), d, "STS credited"),
            RKUD1,
            x.total,
            &x.opd,
            &x.lines,
        )
        .expect("sts match");
        out.push(NewEntry {
            entry: e,
            joins: ids,
        });
    }
    for x in &sp2d {
        let ids = vec![key(&format!("D{}", x.number)), format!("sp2d:{}", x.number)];
        let e = posting::match_sp2d_to_debits(
            &ctx("sp2d", ids.clone(), d, "SP2D paid"),
            RKUD2,
            &[(RKUD2.to_string(), x.net)],
        )
        .expect("sp2d match");
        out.push(NewEntry {
            entry: e,
            joins: ids,
        });
    }
    postings += out
        .iter()
        .map(|e| e.entry.postings.len() as u64)
        .sum::<u64>();
    s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "bench-recon"), out)
        .expect("append matches");
    postings
}

fn count(b: &kasda_store::ImportBatch) -> u64 {
    b.statements
        .iter()
        .flat_map(|s| &s.lines)
        .filter_map(|l| l.entry.as_ref())
        .chain(b.documents.iter().filter_map(|d| d.entry.as_ref()))
        .map(|e| e.postings.len() as u64)
        .sum()
}

/// Builds the year (or its first `months` months); returns the postings and the last day.
fn build_ledger<S: Store>(s: &mut S, months: u32, per_day: usize) -> (u64, NaiveDate) {
    s.migrate().expect("migrate");
    s.ensure_ledger(&LedgerInfo {
        code: LEDGER.into(),
        name: "Provinsi Uji".into(),
    })
    .expect("ledger");
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let end = if months >= 12 {
        NaiveDate::from_ymd_opt(2026, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(2026, months + 1, 1).and_then(|d| d.pred_opt())
    }
    .expect("end date");
    let t0 = Instant::now();
    let mut postings = 0;
    let mut d = start;
    let mut di = 0;
    while d <= end {
        postings += import_day(s, d, di, per_day);
        di += 1;
        d = d.checked_add_days(Days::new(1)).expect("next day");
        if di % 30 == 0 {
            eprintln!(
                "  built {di} days, {postings} postings, {:.0} s",
                t0.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "  ledger: {postings} postings over {di} days built in {:.0} s",
        t0.elapsed().as_secs_f64()
    );
    (postings, end)
}

fn month_of(last: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(last.year(), last.month(), 1).expect("month"),
        last,
    )
}

/// The reports measured: (name, kind, OPD).
fn reports() -> Vec<(&'static str, ReportKind, Option<String>)> {
    vec![
        ("bar", ReportKind::Bar, None),
        ("bku_bud", ReportKind::Bku, None),
        ("bku_bendahara", ReportKind::Bku, Some(opd_code(0))),
        ("rekap", ReportKind::Rekap, None),
        ("lak", ReportKind::Lak, None),
        ("position", ReportKind::DailyPosition, None),
    ]
}

/// The reports `KASDA_BENCH_REPORTS` selects, with their parameters for the month `from..=to`
/// (the daily position for its last day).
fn selected_reports(
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(&'static str, ReportKind, ReportParams)> {
    let only = std::env::var("KASDA_BENCH_REPORTS").unwrap_or_default();
    let mut out = Vec::new();
    for (name, kind, opd) in reports() {
        if !only.is_empty() && !only.split(',').any(|x| x.trim() == name) {
            continue;
        }
        let mut p = ReportParams::period(from, to);
        p.opd = opd;
        if kind == ReportKind::DailyPosition {
            p.from = to;
        }
        out.push((name, kind, p));
    }
    out
}

fn measure<S: Store>(
    c: &mut Criterion,
    group: &str,
    s: &mut S,
    cfg: &Config,
    (from, to): (NaiveDate, NaiveDate),
    baseline: &mut dyn FnMut(&mut S),
) {
    let once = env_usize("KASDA_BENCH_ONCE", 0);
    if once > 0 {
        measure_once(group, s, cfg, (from, to), baseline, once);
        return;
    }
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let t0 = Instant::now();
    baseline(s);
    eprintln!(
        "  {group}/baseline: first run {:.3} s",
        t0.elapsed().as_secs_f64()
    );
    g.bench_function("baseline_month_group_by_account", |b| {
        b.iter(|| baseline(s))
    });
    for (name, kind, p) in selected_reports(from, to) {
        // Once outside the measurement, so a failure names the report; a report slower than
        // `KASDA_BENCH_SLOW_SECS` (default 10) is shown by that one timed run only, since
        // criterion needs ten samples.
        let t0 = Instant::now();
        build(s, LEDGER, cfg, kind, &p).unwrap_or_else(|e| panic!("{name}: {e}"));
        let once = t0.elapsed().as_secs_f64();
        eprintln!("  {group}/{name}: first run {once:.3} s");
        if once > env_usize("KASDA_BENCH_SLOW_SECS", 10) as f64 {
            eprintln!("  {group}/{name}: slower than the limit, not sampled");
            continue;
        }
        g.bench_function(name, |b| {
            b.iter(|| black_box(build(s, LEDGER, cfg, kind, &p).expect("report")))
        });
    }
    g.finish();
}

/// This process's CPU time (user + system) in seconds, from `/proc/self/stat` (clock ticks of
/// 1/100 s); None where that file is not there.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `KASDA_BENCH_ONCE`: the baseline and each report `n` times, wall and CPU per run.
fn measure_once<S: Store>(
    group: &str,
    s: &mut S,
    cfg: &Config,
    (from, to): (NaiveDate, NaiveDate),
    baseline: &mut dyn FnMut(&mut S),
    n: usize,
) {
    let timed = |name: &str, run: &mut dyn FnMut()| {
        for i in 0..n {
            let (c0, t0) = (cpu_seconds(), Instant::now());
            run();
            let wall = t0.elapsed().as_secs_f64();
            let cpu = c0
                .zip(cpu_seconds())
                .map(|(a, b)| format!("{:.2}", b - a))
                .unwrap_or_else(|| "-".into());
            eprintln!(
                "  {group}/{name}: run {} wall {wall:.3} s, cpu {cpu} s",
                i + 1
            );
        }
    };
    timed("baseline", &mut || baseline(s));
    for (name, kind, p) in selected_reports(from, to) {
        timed(name, &mut || {
            let report = build(s, LEDGER, cfg, kind, &p).unwrap_or_else(|e| panic!("{name}: {e}"));
            black_box(report);
        });
    }
}

fn stores() -> Vec<String> {
    std::env::var("KASDA_BENCH_STORES")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect()
}

/// The SQLite ledger of (`months`, `per_day`): the cached file when a completed build exists,
/// otherwise built now (into the cache, renamed into place only when complete).
fn open_sqlite(
    months: u32,
    per_day: usize,
) -> (
    Option<tempfile::TempDir>,
    kasda_store_sqlite::SqliteStore,
    u64,
    NaiveDate,
) {
    use kasda_store_sqlite::SqliteStore;
    if !cache_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = SqliteStore::open(dir.path().join("bench.db")).expect("open");
        let (postings, last) = build_ledger(&mut s, months, per_day);
        return (Some(dir), s, postings, last);
    }
    let dir = cache_dir();
    let stem = format!("sqlite-r{per_day}-m{months}-v{LEDGER_VERSION}");
    let db = dir.join(format!("{stem}.db"));
    let marker = dir.join(format!("{stem}.done"));
    if let (Some((postings, last)), true) = (read_marker(&marker), db.exists()) {
        eprintln!("  cached ledger {} ({postings} postings)", db.display());
        let s = SqliteStore::open(&db)
            .unwrap_or_else(|e| panic!("cannot open the cached ledger {}: {e}", db.display()));
        return (None, s, postings, last);
    }
    let building = dir.join(format!("{stem}.building"));
    for stale in [&db, &marker, &building] {
        let _ = std::fs::remove_file(stale);
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = stale.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    let (postings, last) = {
        let mut s = SqliteStore::open(&building).expect("open the ledger being built");
        build_ledger(&mut s, months, per_day)
    };
    std::fs::rename(&building, &db).unwrap_or_else(|e| {
        panic!(
            "cannot move {} to {}: {e}",
            building.display(),
            db.display()
        )
    });
    write_marker(&marker, postings, last);
    eprintln!("  cached as {}", db.display());
    let s = SqliteStore::open(&db).expect("open the built ledger");
    (None, s, postings, last)
}

/// The PostgreSQL ledger of (`months`, `per_day`): a cached database when a completed build
/// exists, otherwise built now (a throw-away database when the cache is off).
fn open_postgres(
    months: u32,
    per_day: usize,
) -> (
    Option<kasda_store_postgres::testing::TestDatabase>,
    kasda_store_postgres::PgStore,
    u64,
    NaiveDate,
) {
    use kasda_store_postgres::{testing, PgStore};
    if !cache_on() {
        let db = testing::TestDatabase::create().expect("PostgreSQL test database");
        let mut s = db.connect().expect("connect");
        let (postings, last) = build_ledger(&mut s, months, per_day);
        s.execute_sql("ANALYZE").expect("analyze");
        return (Some(db), s, postings, last);
    }
    let admin = testing::admin_url();
    let name = format!("kasda_bench_reports_r{per_day}_m{months}_v{LEDGER_VERSION}");
    let url = testing::url_with(&admin, None, Some(&name));
    let marker = cache_dir().join(format!("postgres-{name}.done"));
    if let Some((postings, last)) = read_marker(&marker) {
        if let Ok(mut s) = PgStore::connect(&url) {
            // Migrations added since the build (an index, say) apply as they would in use;
            // a ledger whose recorded migrations this build refuses is built again.
            match s.migrate() {
                Ok(_) => {
                    eprintln!("  cached ledger: database {name} ({postings} postings)");
                    return (None, s, postings, last);
                }
                Err(e) => eprintln!("  cached database {name} not usable ({e}); building again"),
            }
        }
    }
    let _ = std::fs::remove_file(&marker);
    let mut adm = PgStore::connect(&admin).expect("connect to the PostgreSQL server");
    adm.execute_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop an incomplete cached database");
    adm.execute_sql(&format!("CREATE DATABASE {name}"))
        .expect("create the cached database");
    let mut s = PgStore::connect(&url).expect("connect");
    let (postings, last) = build_ledger(&mut s, months, per_day);
    s.execute_sql("ANALYZE").expect("analyze");
    write_marker(&marker, postings, last);
    eprintln!("  cached as database {name}");
    (None, s, postings, last)
}

fn report_bench(c: &mut Criterion) {
    let per_day = env_usize("KASDA_BENCH_RECEIPTS_PER_DAY", 1_000);
    let months = env_usize("KASDA_BENCH_MONTHS", 12).clamp(1, 12) as u32;
    let cfg = config();
    for store in stores() {
        match store.as_str() {
            "sqlite" => {
                eprintln!("SQLite: {per_day} receipts/day, {months} months");
                let (_tmp, mut s, postings, last) = open_sqlite(months, per_day);
                let (from, to) = month_of(last);
                let group = format!("reports_sqlite_{postings}_postings");
                let (f, t) = (from.to_string(), to.to_string());
                let mut baseline = |s: &mut kasda_store_sqlite::SqliteStore| {
                    let conn = s.connection();
                    let mut st = conn
                        .prepare_cached(
                            // Pinned (INDEXED BY, CROSS JOIN): since postings_by_account
                            // exists SQLite, without statistics, walks every posting of the
                            // ledger in account order for the GROUP BY and probes each entry.
                            "SELECT p.account_id, sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END)
                               FROM entries e INDEXED BY entries_by_booked_on
                              CROSS JOIN postings p ON p.ledger = e.ledger AND p.seq = e.seq
                              WHERE e.ledger = ?1 AND e.booked_on BETWEEN ?2 AND ?3
                              GROUP BY p.account_id",
                        )
                        .expect("prepare");
                    let rows: Vec<(i64, i64)> = st
                        .query_map(rusqlite::params![LEDGER, f, t], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .expect("query")
                        .collect::<Result<_, _>>()
                        .expect("rows");
                    black_box(rows);
                };
                measure(c, &group, &mut s, &cfg, (from, to), &mut baseline);
            }
            "postgres" => {
                eprintln!("PostgreSQL: {per_day} receipts/day, {months} months");
                let (_db, mut s, postings, last) = open_postgres(months, per_day);
                let (from, to) = month_of(last);
                let group = format!("reports_postgres_{postings}_postings");
                let sql = format!(
                    "SELECT p.account_id, sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END)
                       FROM entries e JOIN postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
                      WHERE e.ledger_id = '{LEDGER}' AND e.booked_on BETWEEN '{from}' AND '{to}'
                      GROUP BY p.account_id"
                );
                let mut baseline = |s: &mut kasda_store_postgres::PgStore| {
                    s.execute_sql(&sql).expect("baseline");
                };
                measure(c, &group, &mut s, &cfg, (from, to), &mut baseline);
            }
            other => panic!("KASDA_BENCH_STORES: unknown store {other:?} (sqlite, postgres)"),
        }
    }
}

criterion_group!(benches, report_bench);
criterion_main!(benches);
