//! End-to-end: an account's opening balance (saldo awal) booked through maker-checker with the
//! real `kasda` binary on the embedded SQLite store.

use std::path::{Path, PathBuf};
use std::process::Output;
mod common;
use common::{json, kasda_as, ok};

/// The command failed with `code` and its message contains `needle`; returns the message.
fn refused(out: &Output, code: i32, needle: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}\nstdout:\n{}\nstderr:\n{err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
    err
}

fn generate(dir: &Path) -> PathBuf {
    ok(&kasda_as(
        "generator",
        dir,
        &[
            "gen",
            "--profile",
            "kota-kecil",
            "--from",
            "2026-03-02",
            "--days",
            "3",
            "--seed",
            "5",
            "--volume-percent",
            "5",
            "--leak-rate",
            "0.01",
            "--formats",
            "camt053-v08,mt940,bank-jatim,mandiri-rekening-koran",
            "--out",
            "data",
        ],
    ));
    dir.join("data")
}

/// `(date, amount)` of the first balance of `kind` ("opening_booked", "closing_booked") in the
/// statement file, read by `kasda statement inspect`.
fn stated_balance(dir: &Path, file: &Path, kind: &str) -> (String, String) {
    let v = json(&kasda_as(
        "auditor",
        dir,
        &[
            "statement",
            "inspect",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    let balances = v["statements"][0]["balances"].as_array().unwrap();
    let b = balances
        .iter()
        .find(|b| b["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} balance in {}", file.display()));
    (
        b["date"].as_str().unwrap().to_string(),
        b["amount"].as_str().unwrap().to_string(),
    )
}

#[test]
fn opening_balance_through_maker_checker() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let data = generate(dir);
    let cfg = data.join("kasda.toml");
    let cfg = cfg.to_str().unwrap().to_string();
    let run = |user: &str, extra: &[&str]| {
        let mut args: Vec<&str> =
            vec!["--db", "sqlite:ob.db", "--config", &cfg, "--format", "json"];
        args.extend_from_slice(extra);
        kasda_as(user, dir, &args)
    };
    let toml = std::fs::read_to_string(data.join("kasda.toml")).unwrap();
    let numbers: Vec<String> = toml
        .lines()
        .filter_map(|l| l.strip_prefix("account_number = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .map(str::to_string)
        .collect();
    // The generated register lists the first RKUD, then the second (see kasda-gen's config).
    let rkud = numbers[0].clone();
    let rkud2 = numbers[1].clone();
    let propose = |user: &str, account: &str, on: &str, extra: &[&str]| {
        let mut args = vec![
            "match",
            "propose",
            "--opening-balance",
            account,
            "--on",
            on,
            "--reason",
            "saldo awal disepakati BUD",
        ];
        args.extend_from_slice(extra);
        run(user, &args)
    };

    // Documents only: the account has no statement to take the figure from.
    json(&run("importer", &["import", "data/documents"]));
    refused(
        &propose("bendahara-umum", &rkud, "2026-03-01", &[]),
        2,
        "no statement of account",
    );
    refused(
        &propose("bendahara-umum", "9999999999", "2026-03-01", &[]),
        2,
        "unknown account",
    );
    refused(
        &propose(
            "bendahara-umum",
            &format!("kas-penampungan/{rkud}"),
            "2026-03-01",
            &[],
        ),
        2,
        &format!("expected kas-daerah/{rkud}"),
    );
    refused(
        &propose("bendahara-umum", "belanja/5.1.02", "2026-03-01", &[]),
        2,
        "expected a kas-daerah/NUMBER or kas-penampungan/NUMBER account",
    );

    json(&run("importer", &["import", "data/statements"]));
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("statements").join(&rkud))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (opening_date, opening) = stated_balance(dir, &files[0], "opening_booked");
    let (closing_date, closing) = stated_balance(dir, files.last().unwrap(), "closing_booked");

    // After the account's first movement it would be a correction, not an opening.
    refused(
        &propose("bendahara-umum", &rkud, "2026-03-03", &[]),
        2,
        "already has booked movements from 2026-03-02",
    );

    // Without --amount the figure is the first statement's opening balance.
    let p = json(&propose("bendahara-umum", &rkud, &opening_date, &[]));
    assert_eq!(p["kind"], "opening_balance", "{p}");
    assert_eq!(p["opening_balance"]["amount"], opening.as_str(), "{p}");
    assert_eq!(
        p["opening_balance"]["bank_opening"],
        opening.as_str(),
        "{p}"
    );
    let account = format!("kas-daerah/{rkud}");
    assert_eq!(p["opening_balance"]["account"], account.as_str());
    let id = p["proposal"].as_i64().unwrap().to_string();

    // Maker-checker: the proposer cannot approve (any case); a second proposal is refused.
    refused(
        &run("Bendahara-Umum", &["match", "approve", &id]),
        3,
        "maker-checker",
    );
    refused(
        &propose("ani", &account, &opening_date, &[]),
        3,
        "already proposes one and is open",
    );
    let approved = json(&run("kuasa-bud", &["match", "approve", &id]));
    assert_eq!(approved["appended"].as_array().unwrap().len(), 1);
    refused(
        &propose("ani", &rkud, &opening_date, &[]),
        3,
        "is not reversed",
    );

    // The ledger's kas is now the bank's balance: opening plus every booked line.
    let before = json(&run(
        "auditor",
        &["balance", &account, "--as-of", &opening_date],
    ));
    assert_eq!(before["balance"], opening.as_str());
    let b = json(&run(
        "auditor",
        &["balance", &account, "--as-of", &closing_date],
    ));
    assert_eq!(b["balance"], closing.as_str(), "{b}");

    // The trail leads from the statement's file to the opening entry (named in its memo).
    let first_file = files[0].file_name().unwrap().to_str().unwrap().to_string();
    let trail = ok(&run("auditor", &["trail", "--ref", &first_file]));
    assert!(
        trail.contains(&format!("opening_balance:{account}:1")),
        "{trail}"
    );

    // The BAR uses the ledger's figure: no "belum dibukukan" note, the proof closes.
    let bar_of = |account: &str| {
        json(&run(
            "auditor",
            &[
                "report",
                "bar",
                "--from",
                "2026-03-02",
                "--to",
                "2026-03-04",
                "--account",
                account,
            ],
        ))
    };
    let bar = bar_of(&rkud);
    let notes: Vec<&str> = bar["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().all(|n| !n.contains("belum dibukukan")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("dibukukan di ledger")),
        "{notes:?}"
    );
    let a = &bar["data"]["accounts"][0];
    let money = |v: &serde_json::Value| -> rust_decimal::Decimal {
        v.as_str()
            .unwrap_or_else(|| panic!("not an amount: {v}"))
            .parse()
            .unwrap_or_else(|e| panic!("not an amount {v}: {e}"))
    };
    assert_eq!(money(&a["opening_not_posted"]), rust_decimal::Decimal::ZERO);
    assert_eq!(a["opening_booked"], opening.as_str());
    assert_eq!(a["ledger_balance"], a["bank_balance"]);
    assert_eq!(money(&a["unexplained"]), rust_decimal::Decimal::ZERO);

    // An agreed figure unlike the bank's: allowed, with a warning naming both; the BAR then
    // lists the difference as selisih saldo awal.
    let p = propose(
        "bendahara-umum",
        &rkud2,
        &opening_date,
        &["--amount", "1000000"],
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&p)).unwrap();
    let bank2 = v["opening_balance"]["bank_opening"]
        .as_str()
        .unwrap()
        .to_string();
    let warning = String::from_utf8_lossy(&p.stderr).into_owned();
    assert!(
        warning
            .contains("warning: --amount Rp1.000.000,00 differs from the bank's opening balance"),
        "{warning}"
    );
    let id2 = v["proposal"].as_i64().unwrap().to_string();
    json(&run("kuasa-bud", &["match", "approve", &id2]));
    let bar2 = bar_of(&rkud2);
    let a2 = &bar2["data"]["accounts"][0];
    let item = a2["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["category"] == "opening_balance_difference")
        .unwrap_or_else(|| panic!("no selisih saldo awal item for {rkud2}"));
    let expected =
        bank2.parse::<rust_decimal::Decimal>().unwrap() - rust_decimal::Decimal::new(1_000_000, 0);
    assert_eq!(
        item["amount"]
            .as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        expected
    );

    let v = json(&run("auditor", &["verify"]));
    assert!(v[0]["first_bad"].is_null(), "{v}");
    let head = v[0]["head_hash"].clone();

    // The ledger moves between stores with its opening-balance proposals and approvals (the
    // PostgreSQL kind check and both approval triggers accept the copy).
    let pg = kasda_store_postgres::testing::fresh_database();
    let on = |db: &str, extra: &[&str]| {
        let mut args: Vec<&str> = vec!["--db", db, "--config", &cfg, "--format", "json"];
        args.extend_from_slice(extra);
        json(&kasda_as("auditor", dir, &args))
    };
    let moved = on("sqlite:ob.db", &["db", "export", "--to", pg.url()]);
    assert_eq!(moved["head_hash"], head);
    let listed_pg = on(pg.url(), &["match", "list"]);
    assert_eq!(listed_pg.as_array().unwrap().len(), 2, "{listed_pg}");
    let back = on(pg.url(), &["db", "export", "--to", "sqlite:back.db"]);
    assert_eq!(back["head_hash"], head);
    assert_eq!(on("sqlite:back.db", &["verify"])[0]["head_hash"], head);
    let listed = json(&run("auditor", &["match", "list"]));
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["kind"] == "opening_balance" && p["status"]["status"] == "approved"));
}
