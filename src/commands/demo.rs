//! `kasda gen` (synthetic pemda) and `kasda demo` (generate a month, import, reconcile, show).

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, NaiveDate};
use kasda_core::config::{AccountRole as ConfigRole, Config};
use kasda_core::ledger::AccountKind;
use kasda_core::money::display_idr;
use kasda_gen::{GenOptions, Profile};
use kasda_store::Store;
use rust_decimal::Decimal;

use super::import::{expand, import_files, ImportOptions};
use super::reconcile::reconcile_store;
use super::workflow::build_opening_balance;
use super::{ledger_of, open_store};
use crate::cli::{Cli, DemoArgs, GenArgs, ProposeArgs};
use crate::output::{self, Format, Table};
use crate::{CmdResult, Failure};

/// Marker written into a demo directory so that a later `kasda demo` may clear it safely.
const DEMO_MARKER: &str = ".kasda-demo";

pub fn gen_options(a: &GenArgs) -> Result<GenOptions, Failure> {
    let profile = Profile::parse(&a.profile).map_err(Failure::input)?;
    let mut opts = GenOptions::new(profile, a.from, a.days, a.seed);
    opts.leak_rate_ppm = kasda_gen::parse_leak_rate(&a.leak_rate).map_err(Failure::input)?;
    opts.volume_percent = a.volume_percent;
    let parts: Vec<&str> = a.formats.split(',').map(str::trim).collect();
    let [bpd, other_bank, bpd_holding, other_holding] = parts.as_slice() else {
        return Err(Failure::input(anyhow::anyhow!(
            "--formats {}: expected four comma-separated formats, found {}",
            a.formats,
            parts.len()
        )));
    };
    let f = |s: &str| kasda_gen::StatementFormatOut::parse(s).map_err(Failure::input);
    opts.formats = kasda_gen::Formats {
        bpd: f(bpd)?,
        other_bank: f(other_bank)?,
        bpd_holding: f(bpd_holding)?,
        other_holding: f(other_holding)?,
    };
    Ok(opts)
}

pub fn gen(cli: &Cli, a: &GenArgs) -> CmdResult {
    let opts = gen_options(a)?;
    let started = Instant::now();
    let report = kasda_gen::generate(&opts, &a.out).map_err(Failure::input)?;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let receipts = report.counts.get("receipts").copied().unwrap_or(0);
    let mut t = Table::new(["what", "count"]).numeric(&[1]).titled(format!(
        "generated {} ({} days from {}, seed {}) into {} in {:.2} s ({} receipts/s)",
        a.profile,
        a.days,
        a.from,
        a.seed,
        a.out.display(),
        secs,
        (receipts as f64 / secs) as u64
    ));
    for (k, v) in &report.counts {
        t.push([k.clone(), v.to_string()]);
    }
    for (k, v) in &report.irregularities {
        t.push([format!("injected {k}"), v.to_string()]);
    }
    let json = serde_json::to_value(&report).map_err(Failure::input)?;
    output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
}

fn prepare_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty && !dir.join(DEMO_MARKER).exists() {
            return Err(Failure::input(anyhow::anyhow!(
                "{} exists and was not made by `kasda demo`; choose another --dir",
                dir.display()
            )));
        }
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("clearing {}", dir.display()))
            .map_err(Failure::Input)?;
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(Failure::Input)?;
    std::fs::write(
        dir.join(DEMO_MARKER),
        "made by kasda demo; safe to delete\n",
    )
    .map_err(Failure::input)?;
    Ok(())
}

pub fn demo(cli: &Cli, a: &DemoArgs) -> CmdResult {
    let started = Instant::now();
    let dir = a.dir.clone();
    prepare_dir(&dir)?;
    let data = dir.join("data");
    let profile = Profile::parse(&a.profile).map_err(Failure::input)?;
    let mut opts = GenOptions::new(profile, a.from, a.days, a.seed);
    opts.leak_rate_ppm = kasda_gen::parse_leak_rate(&a.leak_rate).map_err(Failure::input)?;
    opts.volume_percent = a.volume_percent;
    // One rendering of each document is enough for the demo (JSON Lines); `kasda gen` writes both.
    opts.documents_csv = false;
    step(&format!(
        "1/4 generating {} days of a synthetic {} from {} (seed {})",
        a.days, a.profile, a.from, a.seed
    ));
    let t0 = Instant::now();
    let gen = kasda_gen::generate(&opts, &data).map_err(Failure::input)?;
    let receipts = gen.counts.get("receipts").copied().unwrap_or(0);
    step(&format!(
        "    {} receipts, {} statement lines, {} injected irregularities in {:.1} s",
        receipts,
        gen.counts.get("statement_lines").copied().unwrap_or(0),
        gen.irregularities.values().sum::<u64>(),
        t0.elapsed().as_secs_f64()
    ));

    let cfg_path = data.join("kasda.toml");
    let cfg = Config::load(&cfg_path).map_err(Failure::input)?;
    let db_path = dir.join("kasda.db");
    let db_url = format!("sqlite:{}", db_path.display());
    let mut store = open_store(&db_url)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;

    step("2/4 importing statements and documents into the embedded ledger (SQLite)");
    let t1 = Instant::now();
    let files = expand(std::slice::from_ref(&data)).map_err(Failure::Input)?;
    let bar = crate::progress::bar(files.len() as u64, "importing");
    let report = import_files(
        store.as_mut(),
        &ledger,
        &cfg,
        &files,
        &ImportOptions::default(),
        |_, r| {
            bar.inc(1);
            bar.set_message(r.file.clone());
        },
    )?;
    bar.finish_and_clear();
    step(&format!(
        "    {} files, {} statement lines, {} documents, {} ledger entries in {:.1} s ({} entries/s)",
        report.files_imported,
        report.lines_new,
        report.documents_new,
        report.entries_appended,
        t1.elapsed().as_secs_f64(),
        report.entries_per_second
    ));
    if report.files_rejected > 0 {
        for f in report.files.iter().filter(|f| f.status == "rejected") {
            eprintln!(
                "kasda: rejected {}: {}",
                f.file,
                f.error.as_deref().unwrap_or("")
            );
        }
        return Err(Failure::input(anyhow::anyhow!(
            "{} generated file(s) were rejected",
            report.files_rejected
        )));
    }

    let t_open = Instant::now();
    let openings = book_openings(store.as_mut(), &ledger, &cfg)?;
    step(&format!(
        "    saldo awal of {} RKUD/holding accounts booked from their first statements (proposed by {OPENING_MAKER}, approved by {OPENING_CHECKER}) in {:.2} s: ledger kas balances are real balances",
        openings,
        t_open.elapsed().as_secs_f64()
    ));

    step("3/4 reconciling and looking for leakage");
    let t2 = Instant::now();
    let to = a.from + Duration::days(i64::from(a.days) - 1);
    let (summary, out) = reconcile_store(store.as_mut(), &ledger, &cfg, a.from, to, to)?;
    let matched: u64 = summary.per_rule.values().map(|(n, _)| *n).sum();
    step(&format!(
        "    {} matches, {} findings in {:.1} s",
        matched,
        out.findings.len(),
        t2.elapsed().as_secs_f64()
    ));

    step("4/4 daily position, findings and reports");
    let position = position_table(store.as_mut(), &ledger, to)?;
    let mut findings = Table::new(["finding type", "count", "amount", "precision", "recall"])
        .numeric(&[1, 2, 3, 4])
        .titled("Findings (precision/recall against the generator's ground truth)");
    let truth_path = data.join("ground-truth.json");
    let truth = std::fs::read_to_string(&truth_path)
        .ok()
        .and_then(|t| kasda_recon::parse_ground_truth(&t).ok())
        .unwrap_or_default();
    // Account numbers, OPD codes and channel ids name places, not facts: a finding must share
    // an identifying ref with an injected irregularity to count (kasda_recon::accuracy).
    let context = kasda_recon::context_from_config(&cfg);
    let acc = kasda_recon::accuracy_with_context(&out.findings, &truth, &context);
    let pct = |v: Option<f64>| v.map(|x| format!("{:.3}", x)).unwrap_or_else(|| "-".into());
    // Every type found or injected, so a type the engine missed entirely shows its recall.
    let types: std::collections::BTreeSet<&String> =
        summary.findings_by_type.keys().chain(acc.keys()).collect();
    for ty in types {
        let a = acc.get(ty);
        let (n, amount) = summary
            .findings_by_type
            .get(ty)
            .map(|(n, amount)| (n.to_string(), amount.clone()))
            .unwrap_or_else(|| ("0".into(), "-".into()));
        findings.push([
            ty.clone(),
            n,
            amount,
            pct(a.and_then(|a| a.precision)),
            pct(a.and_then(|a| a.recall)),
        ]);
    }
    let t3 = Instant::now();
    let reports = write_reports(
        store.as_mut(),
        &ledger,
        &cfg,
        a.from,
        to,
        &dir.join("reports"),
    )?;
    step(&format!(
        "    {} HTML reports in {:.1} s",
        reports.len(),
        t3.elapsed().as_secs_f64()
    ));
    let json = serde_json::json!({
        "reports": reports.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "dir": dir.display().to_string(),
        "database": db_url,
        "generated": gen,
        "import": report,
        "openings_booked": openings,
        "reconcile": summary,
        "accuracy": acc,
        "duration_ms": started.elapsed().as_millis(),
    });
    match cli.format {
        Format::Json => {
            output::print(Format::Json, &findings, Some(&json)).map_err(Failure::input)?
        }
        f => {
            output::print(f, &position, None).map_err(Failure::input)?;
            println!();
            output::print(f, &findings, None).map_err(Failure::input)?;
            println!();
            println!("Reports (print-ready HTML):");
            for r in &reports {
                println!("  {}", r.display());
            }
            println!(
                "Ledger: {db_url} (try: kasda --db {db_url} --config {} findings --open)",
                cfg_path.display()
            );
            println!("Done in {:.1} s.", started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

/// Who proposes and who approves the demo's opening balances (maker-checker).
const OPENING_MAKER: &str = "bendahara-umum";
const OPENING_CHECKER: &str = "kuasa-bud";

/// Books the saldo awal of every RKUD and holding account that has a statement: the opening
/// balance of its earliest statement, on that balance's date, proposed and approved by two
/// different users exactly as `kasda match propose --opening-balance` and `kasda match approve`
/// do. Returns how many were booked.
fn book_openings(store: &mut dyn Store, ledger: &str, cfg: &Config) -> Result<usize, Failure> {
    let statements = store.statements(ledger, None).map_err(Failure::store)?;
    // Earliest opening balance per statement account (the number the import posted under).
    let mut first: std::collections::BTreeMap<String, (NaiveDate, i64, u32, Decimal)> =
        Default::default();
    for s in &statements {
        let role = cfg.account_role(&s.header.account);
        if !matches!(role, Some(ConfigRole::Rkud | ConfigRole::Holding)) {
            continue;
        }
        let Some(b) = s.header.opening.as_ref() else {
            continue;
        };
        if let Some(date) = b.date.or(s.header.from.map(|t| t.date())) {
            let this = (date, s.run_id, s.index, b.amount);
            let slot = first.entry(s.header.account.clone()).or_insert(this);
            if (this.0, this.1, this.2) < (slot.0, slot.1, slot.2) {
                *slot = this;
            }
        }
    }
    // A zero opening balance needs no entry (and the reports have nothing to note for it).
    let first: Vec<(String, NaiveDate)> = first
        .into_iter()
        .filter(|(_, (_, _, _, amount))| !amount.is_zero())
        .map(|(account, (on, ..))| (account, on))
        .collect();
    let mut booked = 0;
    for (account, on) in first {
        let args = ProposeArgs {
            lines: Vec::new(),
            documents: Vec::new(),
            write_off: None,
            opening_balance: Some(account.clone()),
            amount: None,
            on: Some(on),
            reason: "saldo awal disepakati BUD: saldo awal rekening koran pertama".into(),
        };
        let opening = build_opening_balance(store, ledger, cfg, &args, &account, OPENING_MAKER)?;
        let id = store
            .propose(ledger, opening.proposal)
            .map_err(Failure::store)?;
        store
            .approve(ledger, id, OPENING_CHECKER)
            .map_err(Failure::store)?;
        booked += 1;
    }
    Ok(booked)
}

/// Daily position of the kas daerah from ledger balances: cash per account and what still
/// sits in the clearing accounts.
fn position_table(store: &mut dyn Store, ledger: &str, as_of: NaiveDate) -> Result<Table, Failure> {
    let mut t = Table::new(["account", "name", "balance"])
        .numeric(&[2])
        .titled(format!("Posisi kas daerah per {as_of} (ledger {ledger})"));
    let kinds = [
        AccountKind::KasDaerah,
        AccountKind::KasPenampungan,
        AccountKind::KasBendaharaPenerimaan,
        AccountKind::DanaDalamPerjalanan,
        AccountKind::PenerimaanBelumTeridentifikasi,
        AccountKind::PengeluaranBelumTeridentifikasi,
        AccountKind::Sp2dBelumDicairkan,
    ];
    for kind in kinds {
        let balances = store
            .balances(ledger, Some(kind), Some(as_of), None)
            .map_err(Failure::store)?;
        for b in balances.iter().filter(|b| !b.balance.is_zero()) {
            // Show credit-normal accounts as positive amounts owed.
            let shown = if kind.normal_side() == kasda_core::Direction::Credit {
                -b.balance
            } else {
                b.balance
            };
            t.push([
                b.account.to_string(),
                kind.name().to_string(),
                display_idr(shown),
            ]);
        }
    }
    Ok(t)
}

/// The daily position, BAR, rekap and LAK of the period as print-ready HTML.
fn write_reports(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    from: NaiveDate,
    to: NaiveDate,
    dir: &Path,
) -> Result<Vec<std::path::PathBuf>, Failure> {
    use kasda_report::{OutputFormat, ReportKind, ReportParams};
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(Failure::Input)?;
    let mut written = Vec::new();
    for (kind, name, params) in [
        (
            ReportKind::DailyPosition,
            "posisi-kas",
            ReportParams::day(to),
        ),
        (
            ReportKind::Bar,
            "berita-acara-rekonsiliasi",
            ReportParams::period(from, to),
        ),
        (
            ReportKind::Rekap,
            "rekapitulasi-penerimaan",
            ReportParams::period(from, to),
        ),
        (
            ReportKind::Lak,
            "laporan-arus-kas",
            ReportParams::period(from, to),
        ),
    ] {
        let report =
            kasda_report::build(store, ledger, cfg, kind, &params).map_err(Failure::store)?;
        let path = dir.join(format!("{name}.html"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).map_err(Failure::input)?);
        kasda_report::render(&report, OutputFormat::Html, &mut f).map_err(Failure::store)?;
        std::io::Write::flush(&mut f).map_err(Failure::input)?;
        written.push(path);
    }
    Ok(written)
}

fn step(msg: &str) {
    eprintln!("{msg}");
}
