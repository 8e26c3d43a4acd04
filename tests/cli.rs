//! End-to-end tests of the real `kasda` binary on the embedded SQLite store.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
mod common;
use common::{json, kasda_as, ok};

fn kasda(dir: &Path, args: &[&str]) -> Output {
    kasda_as("e2e-test", dir, args)
}

fn shared_samples() -> PathBuf {
    let p = std::env::var_os("KASDA_SHARED_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sample-statements")
        });
    assert!(
        p.join("EXPECTED.tsv").exists(),
        "shared sample statements not found at {} (set KASDA_SHARED_SAMPLES)",
        p.display()
    );
    p
}

/// Statement formats for generated data: camt and MT940 for the RKUD, both CSV layouts for holding accounts.
const FORMATS: &str = "camt053-v08,mt940,bank-jatim,mandiri-rekening-koran";

/// Generates a small synthetic pemda into `dir/data` and returns that path.
fn generate(dir: &Path, days: &str, seed: &str) -> PathBuf {
    ok(&kasda(
        dir,
        &[
            "gen",
            "--profile",
            "kota-kecil",
            "--from",
            "2026-03-02",
            "--days",
            days,
            "--seed",
            seed,
            "--volume-percent",
            "5",
            "--leak-rate",
            "0.01",
            "--formats",
            FORMATS,
            "--out",
            "data",
        ],
    ));
    dir.join("data")
}

#[test]
fn help_lists_the_commands_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let text = ok(&kasda(dir.path(), &["--help"]));
    for cmd in [
        "init",
        "config",
        "statement",
        "documents",
        "db",
        "import",
        "verify",
        "balance",
        "trail",
        "reconcile",
        "findings",
        "gen",
        "demo",
    ] {
        assert!(text.contains(cmd), "--help misses {cmd}:\n{text}");
    }
}

#[test]
fn init_writes_a_config_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    ok(&kasda(dir.path(), &["init"]));
    let v = json(&kasda(dir.path(), &["--format", "json", "config", "check"]));
    assert_eq!(v["status"], "ok");
    assert!(v["rkud_accounts"].as_u64().unwrap() >= 1);
    // A second init refuses to overwrite.
    let again = kasda(dir.path(), &["init"]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn bad_config_names_the_key_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    ok(&kasda(dir.path(), &["init"]));
    let text = std::fs::read_to_string(dir.path().join("kasda.toml")).unwrap();
    let broken = text.replacen("fiscal_year = 2026", "fiscal_year = 1800", 1);
    assert_ne!(broken, text, "example config changed shape");
    std::fs::write(dir.path().join("kasda.toml"), broken).unwrap();
    let out = kasda(dir.path(), &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fiscal_year"));
}

#[test]
fn statement_inspect_json_matches_expected_facts() {
    let samples = shared_samples();
    let dir = tempfile::tempdir().unwrap();
    let file = samples.join("camt/dvbern__camt053_v00104_business-sample-camt.053.001.04.xml");
    let v = json(&kasda(
        dir.path(),
        &[
            "--format",
            "json",
            "statement",
            "inspect",
            file.to_str().unwrap(),
        ],
    ));
    assert_eq!(v["format"], "camt.053");
    assert_eq!(v["version"], "053.001.04");
    let s = &v["summary"];
    assert_eq!(s["entries"], 3);
    assert_eq!(s["sum_credit"], "135678.50");
    assert_eq!(s["sum_debit"], "200000.00");
    assert_eq!(s["opening_balance"], "500000.00");
    assert_eq!(s["closing_balance"], "435678.50");
    assert_eq!(s["balance_check"], "ok");
}

#[test]
fn unreadable_statement_exits_2_naming_file_and_line() {
    let samples = shared_samples();
    let dir = tempfile::tempdir().unwrap();
    let file = samples.join("mt940/myflow__missing_closing_record_62f.sta");
    let out = kasda(
        dir.path(),
        &["statement", "inspect", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("myflow__missing_closing_record_62f.sta"),
        "{err}"
    );
    assert!(err.contains("missing-opening-balance"), "{err}");
}

#[test]
fn import_verify_balance_trail_reconcile_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), "5", "7");
    let cfg = data.join("kasda.toml");
    let cfg = cfg.to_str().unwrap();
    let db = "sqlite:ledger.db";
    let base = ["--db", db, "--config", cfg, "--format", "json"];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        kasda(dir.path(), &args)
    };

    let first = json(&run(&[
        "import",
        "data/statements",
        "data/documents",
        "--report",
        "run.json",
    ]));
    assert!(first["files_imported"].as_u64().unwrap() > 0);
    assert_eq!(first["files_rejected"], 0);
    let entries = first["entries_appended"].as_u64().unwrap();
    assert!(entries > 0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap())
            .unwrap();
    assert_eq!(report["entries_appended"].as_u64(), Some(entries));

    // Re-import: nothing added, every file recognised.
    let second = json(&run(&["import", "data/statements", "data/documents"]));
    assert_eq!(second["files_imported"], 0);
    assert_eq!(second["entries_appended"], 0);
    assert_eq!(second["files_already_imported"], first["files_imported"]);

    let v = json(&run(&["verify"]));
    let r = &v[0];
    assert_eq!(r["entries"].as_u64(), Some(entries));
    assert!(r["first_bad"].is_null());
    assert_eq!(r["head_hash"].as_str().unwrap().len(), 64);

    let recon = json(&run(&[
        "reconcile",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-06",
    ]));
    let appended = recon["entries_appended"].as_u64().unwrap();
    assert!(appended > 0, "reconcile matched nothing: {recon}");
    // Re-running the same period adds nothing.
    let again = json(&run(&[
        "reconcile",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-06",
    ]));
    assert_eq!(again["entries_appended"], 0, "{again}");

    let findings = json(&run(&["findings"]));
    for f in findings.as_array().unwrap() {
        for field in [
            "id",
            "type",
            "severity",
            "amount",
            "account",
            "first_seen",
            "due",
            "age_working_days",
            "refs",
            "explanation",
        ] {
            assert!(f.get(field).is_some(), "finding lacks {field}: {f}");
        }
    }

    // Balances: the chain still verifies after reconciliation, and cash is readable.
    let v = json(&run(&["verify"]));
    assert!(v[0]["first_bad"].is_null());
    let toml = std::fs::read_to_string(data.join("kasda.toml")).unwrap();
    let rkud = toml
        .lines()
        .find_map(|l| l.strip_prefix("account_number = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("an RKUD account in the generated config")
        .to_string();
    let account = format!("kas-daerah/{rkud}");
    let b = json(&run(&["balance", &account, "--as-of", "2026-03-06"]));
    assert_eq!(b["account"], account.as_str());
    let before = json(&run(&["balance", &account, "--as-of", "2026-03-01"]));
    assert_eq!(before["balance"], "0.00");

    let t = json(&run(&["trail", "--entry", "1"]));
    assert!(!t["steps"].as_array().unwrap().is_empty());
    assert!(t["steps"][0]["file"]["file"]["sha256"].as_str().is_some());
}

#[test]
fn documents_quarantine_accounts_for_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), "1", "3");
    let receipts = std::fs::read_dir(data.join("documents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.starts_with("receipts-") && n.ends_with(".csv")
        })
        .expect("a receipts CSV");
    let text = std::fs::read_to_string(&receipts).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines.len() > 3, "too few receipts generated");
    // Break the second data row: its total made non-numeric.
    let header: Vec<&str> = lines[0].split(',').collect();
    let total_col = header
        .iter()
        .position(|h| *h == "total")
        .expect("total column");
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[total_col] = "12x".into();
    let bad_row = cells.join(",");
    lines[2] = bad_row.clone();
    let rows_in = lines.len() - 1;
    std::fs::write(dir.path().join("r.csv"), lines.join("\n") + "\n").unwrap();

    // Default: the whole file is rejected, the error names the row and column.
    let out = kasda(dir.path(), &["documents", "inspect", "r.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("total"), "{err}");

    // Quarantine: good rows go on, the bad row is kept unchanged with a reason.
    let out = kasda(
        dir.path(),
        &[
            "--format",
            "json",
            "documents",
            "inspect",
            "r.csv",
            "--quarantine",
            "q",
        ],
    );
    let v = json(&out);
    assert_eq!(v[0]["rows"].as_u64(), Some(rows_in as u64));
    assert_eq!(v[0]["invalid"], 1);
    assert_eq!(v[0]["valid"].as_u64(), Some(rows_in as u64 - 1));
    let q = std::fs::read_to_string(dir.path().join("q/r.csv.quarantine.csv")).unwrap();
    assert!(
        q.contains(&bad_row),
        "quarantine lacks the original row:\n{q}"
    );
}

#[test]
fn demo_runs_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = kasda(
        dir.path(),
        &[
            "demo",
            "--days",
            "5",
            "--volume-percent",
            "5",
            "--profile",
            "kota-kecil",
        ],
    );
    let text = ok(&out);
    assert!(text.contains("Posisi kas daerah"), "{text}");
    assert!(text.contains("Findings"), "{text}");
    assert!(dir.path().join("kasda-demo/kasda.db").exists());
}

/// The same data imported and reconciled on SQLite and on PostgreSQL gives the same chain head,
/// the same findings and the same balances.
#[test]
fn sqlite_and_postgres_agree() {
    let pg = kasda_store_postgres::testing::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), "4", "11");
    let cfg = data.join("kasda.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let run = |db: &str, extra: &[&str]| {
        let mut args: Vec<&str> = vec!["--db", db, "--config", &cfg, "--format", "json"];
        args.extend_from_slice(extra);
        json(&kasda(dir.path(), &args))
    };
    let mut heads = Vec::new();
    let mut findings = Vec::new();
    for db in ["sqlite:agree.db", pg.url()] {
        // Files in the same order on both stores: the chain depends on it.
        let imported = run(db, &["import", "data/statements", "data/documents"]);
        assert_eq!(imported["files_rejected"], 0, "{db}: {imported}");
        run(
            db,
            &["reconcile", "--from", "2026-03-02", "--to", "2026-03-05"],
        );
        let v = run(db, &["verify"]);
        assert!(v[0]["first_bad"].is_null(), "{db}: {v}");
        heads.push((v[0]["entries"].clone(), v[0]["head_hash"].clone()));
        let mut f: Vec<(String, String, String)> = run(db, &["findings"])
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["type"].as_str().unwrap().to_string(),
                    f["amount"].to_string(),
                )
            })
            .collect();
        f.sort();
        findings.push(f);
    }
    assert_eq!(
        heads[0], heads[1],
        "chain heads differ between SQLite and PostgreSQL"
    );
    assert_eq!(
        findings[0], findings[1],
        "findings differ between SQLite and PostgreSQL"
    );
}

/// A write-off needs two people; a closed period takes no new entries.
#[test]
fn maker_checker_and_period_close() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), "3", "5");
    let cfg = data.join("kasda.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let as_user = |user: &str, extra: &[&str]| {
        let mut args: Vec<&str> =
            vec!["--db", "sqlite:mc.db", "--config", &cfg, "--format", "json"];
        args.extend_from_slice(extra);
        kasda_as(user, dir.path(), &args)
    };
    json(&as_user("importer", &["import", "data"]));
    // Find a clearing account with a balance to write off.
    let toml = std::fs::read_to_string(data.join("kasda.toml")).unwrap();
    let rkud = toml
        .lines()
        .find_map(|l| l.strip_prefix("account_number = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap()
        .to_string();
    let account = format!("penerimaan-belum-teridentifikasi/{rkud}");
    let before = json(&as_user(
        "auditor",
        &["balance", &account, "--as-of", "2026-03-04"],
    ));
    assert_ne!(
        before["balance"], "0.00",
        "nothing unidentified to write off: {before}"
    );

    let p = json(&as_user(
        "maker",
        &[
            "match",
            "propose",
            "--write-off",
            &account,
            "--on",
            "2026-03-04",
            "--reason",
            "test write-off",
        ],
    ));
    let id = p["proposal"].as_i64().unwrap().to_string();
    // The proposer cannot approve.
    let same = as_user("maker", &["match", "approve", &id]);
    assert!(!same.status.success());
    assert!(
        String::from_utf8_lossy(&same.stderr)
            .to_lowercase()
            .contains("maker"),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    let ok_out = json(&as_user("checker", &["match", "approve", &id]));
    assert_eq!(ok_out["appended"].as_array().unwrap().len(), 1);
    let after = json(&as_user(
        "auditor",
        &["balance", &account, "--as-of", "2026-03-04"],
    ));
    assert_eq!(after["balance"], "0.00");
    // Approval is in the trail: the write-off entry is the last one and names its run.
    let v = json(&as_user("auditor", &["verify"]));
    assert!(v[0]["first_bad"].is_null());

    // Close March: the lock is recorded and reported.
    ok(&as_user("bud", &["period", "close", "2026-03"]));
    let st = json(&as_user("auditor", &["period", "status"]));
    assert_eq!(st["closed_through"], "2026-03-31");
}

/// Unattended: --watch with --archive imports what arrives and moves it away; a second run at
/// the same time is refused with a clear message instead of interleaving.
#[test]
fn watch_archives_and_runs_do_not_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), "2", "9");
    let cfg = data.join("kasda.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let base = |extra: &[&str]| {
        let mut args: Vec<String> = ["--db", "sqlite:w.db", "--config", cfg.as_str()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut moved = 0;
    for sub in ["statements", "documents"] {
        for e in walk(&data.join(sub)) {
            std::fs::copy(
                &e,
                inbox.join(format!(
                    "{moved:04}-{}",
                    e.file_name().unwrap().to_string_lossy()
                )),
            )
            .unwrap();
            moved += 1;
        }
    }
    // Hold the run lock from another process while a second run tries.
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("w.db.run-lock"))
        .unwrap();
    lock.lock().unwrap();
    let args = base(&["import", "inbox"]);
    let refused = kasda(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another kasda run"));
    drop(lock);

    let args = base(&[
        "import",
        "inbox",
        "--watch",
        "--archive",
        "done",
        "--interval-secs",
        "1",
        "--max-scans",
        "2",
    ]);
    ok(&kasda(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert_eq!(
        std::fs::read_dir(&inbox).unwrap().count(),
        0,
        "inbox not emptied"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("done")).unwrap().count(),
        moved
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// `kasda db export --to` moves a ledger SQLite → PostgreSQL → SQLite with the same verified head.
#[test]
fn db_export_moves_a_ledger_between_stores() {
    let pg = kasda_store_postgres::testing::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let data = generate(dir.path(), "2", "13");
    let cfg = data.join("kasda.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let run = |db: &str, extra: &[&str]| {
        let mut args: Vec<&str> = vec!["--db", db, "--config", &cfg, "--format", "json"];
        args.extend_from_slice(extra);
        json(&kasda(dir.path(), &args))
    };
    run(
        "sqlite:a.db",
        &["import", "data/statements", "data/documents"],
    );
    run(
        "sqlite:a.db",
        &["reconcile", "--from", "2026-03-02", "--to", "2026-03-03"],
    );
    let head = run("sqlite:a.db", &["verify"])[0]["head_hash"].clone();
    let moved = run("sqlite:a.db", &["db", "export", "--to", pg.url()]);
    assert_eq!(moved["head_hash"], head);
    assert_eq!(run(pg.url(), &["verify"])[0]["head_hash"], head);
    let back = run(pg.url(), &["db", "export", "--to", "sqlite:b.db"]);
    assert_eq!(back["head_hash"], head);
    assert_eq!(run("sqlite:b.db", &["verify"])[0]["head_hash"], head);
    // A second export into a store that already holds the ledger is refused.
    let again = kasda(
        dir.path(),
        &[
            "--db",
            "sqlite:a.db",
            "--config",
            &cfg,
            "db",
            "export",
            "--to",
            "sqlite:b.db",
        ],
    );
    assert!(!again.status.success());
}

/// Killing `kasda import` part-way leaves a ledger that opens, verifies and holds only whole
/// files; importing again finishes the job and ends with exactly what an uninterrupted import
/// gives.
#[test]
fn kill_mid_import_then_resume() {
    let dir = tempfile::tempdir().unwrap();
    // Enough data that an import takes about a second, so the kills land part-way.
    ok(&kasda(
        dir.path(),
        &[
            "gen",
            "--profile",
            "kota-kecil",
            "--from",
            "2026-03-02",
            "--days",
            "6",
            "--seed",
            "17",
            "--volume-percent",
            "40",
            "--formats",
            FORMATS,
            "--out",
            "data",
        ],
    ));
    let cfg = dir.path().join("data/kasda.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let args = |db: &str| -> Vec<String> {
        [
            "--db",
            db,
            "--config",
            cfg.as_str(),
            "--format",
            "json",
            "import",
            "data/statements",
            "data/documents",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // The reference: one uninterrupted import.
    let clean = json(&kasda(
        dir.path(),
        &args("sqlite:clean.db")
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    let expected_entries = clean["entries_appended"].as_u64().unwrap();

    for delay_ms in [150u64, 400] {
        let db = format!("sqlite:killed-{delay_ms}.db");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kasda"))
            .current_dir(dir.path())
            .env("CI", "true")
            .args(args(&db))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever was committed verifies.
        let v = json(&kasda(
            dir.path(),
            &["--db", &db, "--config", &cfg, "--format", "json", "verify"],
        ));
        assert!(v[0]["first_bad"].is_null(), "{v}");
        // Resume: the rest goes in, nothing twice.
        let resumed = json(&kasda(
            dir.path(),
            &args(&db).iter().map(String::as_str).collect::<Vec<_>>(),
        ));
        assert_eq!(resumed["files_rejected"], 0, "{resumed}");
        let v = json(&kasda(
            dir.path(),
            &["--db", &db, "--config", &cfg, "--format", "json", "verify"],
        ));
        assert!(v[0]["first_bad"].is_null(), "{v}");
        assert_eq!(
            v[0]["entries"].as_u64(),
            Some(expected_entries),
            "after kill at {delay_ms} ms"
        );
    }
}
