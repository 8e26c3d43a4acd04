//! `kasda init`, `kasda config check`, `kasda db migrate|status`.

use std::io::Write;

use anyhow::Context;
use kasda_core::config::Config;

use super::{load_config, open_store};
use crate::cli::{Cli, InitArgs};
use crate::output::{self, Format, Table};
use crate::{CmdResult, Failure};

pub fn init(a: &InitArgs) -> CmdResult {
    if a.out.exists() && !a.force {
        return Err(Failure::input(anyhow::anyhow!(
            "{} already exists; pass --force to overwrite it",
            a.out.display()
        )));
    }
    let text = Config::example();
    // The example must always load: fail loudly here rather than hand the user a broken file.
    Config::parse_named("example", text)
        .context("the bundled example configuration does not load")
        .map_err(Failure::Input)?;
    let mut f = std::fs::File::create(&a.out)
        .with_context(|| format!("creating {}", a.out.display()))
        .map_err(Failure::Input)?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", a.out.display()))
        .map_err(Failure::Input)?;
    eprintln!(
        "wrote {} — edit the pemda, RKUD accounts, channels and OPD, then `kasda config check`",
        a.out.display()
    );
    Ok(())
}

pub fn config_check(cli: &Cli) -> CmdResult {
    let cfg = load_config(&cli.config)?;
    let summary = serde_json::json!({
        "file": cli.config.display().to_string(),
        "pemda": {"code": cfg.pemda.code, "name": cfg.pemda.name},
        "fiscal_year": cfg.fiscal_year,
        "rkud_accounts": cfg.rkud.len(),
        "holding_accounts": cfg.holding.len(),
        "opd": cfg.opd.len(),
        "channels": cfg.channel.len(),
        "status": "ok",
    });
    let mut t = Table::new(["item", "value"]).titled(format!("{}: ok", cli.config.display()));
    t.push([
        "pemda".to_string(),
        format!("{} ({})", cfg.pemda.name, cfg.pemda.code),
    ]);
    t.push(["fiscal year".to_string(), cfg.fiscal_year.to_string()]);
    t.push(["RKUD accounts".to_string(), cfg.rkud.len().to_string()]);
    t.push([
        "holding accounts".to_string(),
        cfg.holding.len().to_string(),
    ]);
    t.push(["OPD".to_string(), cfg.opd.len().to_string()]);
    t.push(["channels".to_string(), cfg.channel.len().to_string()]);
    output::print(cli.format, &t, Some(&summary)).map_err(Failure::input)
}

pub fn db_migrate(cli: &Cli) -> CmdResult {
    // open_store applies pending migrations; report the resulting state.
    let mut store = open_store(&cli.db)?;
    print_migrations(
        cli.format,
        store.migration_status().map_err(Failure::store)?,
    )
}

pub fn db_status(cli: &Cli) -> CmdResult {
    let mut store = open_store(&cli.db)?;
    print_migrations(
        cli.format,
        store.migration_status().map_err(Failure::store)?,
    )
}

fn print_migrations(format: Format, list: Vec<kasda_store::MigrationInfo>) -> CmdResult {
    let mut t = Table::new(["version", "name", "checksum", "applied_at"]).numeric(&[0]);
    for m in &list {
        t.push([
            m.version.to_string(),
            m.name.clone(),
            m.checksum.chars().take(16).collect(),
            m.applied_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "pending".into()),
        ]);
    }
    let json = serde_json::to_value(&list).map_err(Failure::input)?;
    output::print(format, &t, Some(&json)).map_err(Failure::input)
}
