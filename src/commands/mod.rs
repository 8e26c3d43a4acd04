//! Command implementations: each loads what it needs (configuration, store), calls the library
//! crates and prints through `crate::output`.

mod demo;
mod import;
mod inspect;
mod ledger;
mod reconcile;
mod report;
mod setup;
mod transfer;
mod workflow;

use std::path::Path;

use anyhow::Context;
use kasda_core::config::Config;
use kasda_store::{LedgerInfo, Store};

use crate::cli::{Cli, Command, ConfigCmd, DbCmd, DocumentsCmd, StatementCmd};
use crate::{CmdResult, Failure};

pub fn run(cli: &Cli) -> CmdResult {
    match &cli.command {
        Command::Init(a) => setup::init(a),
        Command::Config(ConfigCmd::Check) => setup::config_check(cli),
        Command::Statement(StatementCmd::Inspect(a)) => inspect::statements(cli, a),
        Command::Documents(DocumentsCmd::Inspect(a)) => inspect::documents(cli, a),
        Command::Db(DbCmd::Migrate) => setup::db_migrate(cli),
        Command::Db(DbCmd::Status) => setup::db_status(cli),
        Command::Db(DbCmd::Export(a)) => transfer::export(cli, a),
        Command::Import(a) => import::run(cli, a),
        Command::Verify(a) => ledger::verify(cli, a),
        Command::Balance(a) => ledger::balance(cli, a),
        Command::Trail(a) => ledger::trail(cli, a),
        Command::Reconcile(a) => reconcile::run(cli, a),
        Command::Findings(a) => reconcile::findings(cli, a),
        Command::Match(c) => workflow::match_cmd(cli, c),
        Command::Period(c) => workflow::period_cmd(cli, c),
        Command::Report(a) => report::run(cli, a),
        Command::Gen(a) => demo::gen(cli, a),
        Command::Demo(a) => demo::demo(cli, a),
    }
}

/// Loads the pemda configuration named by `--config`.
pub fn load_config(path: &Path) -> Result<Config, Failure> {
    Config::load(path).map_err(|e| {
        Failure::Input(anyhow::anyhow!(
            "{e}\n(hint: `kasda init` writes a documented example to kasda.toml)"
        ))
    })
}

/// Opens the store named by `--db` and applies pending migrations.
pub fn open_store(url: &str) -> Result<Box<dyn Store>, Failure> {
    if url.starts_with("sqlite:") {
        let store = kasda_store_sqlite::SqliteStore::open_url(url)
            .with_context(|| format!("opening {url}"))
            .map_err(Failure::Store)?;
        let mut store: Box<dyn Store> = Box::new(store);
        store
            .migrate()
            .context("applying migrations")
            .map_err(Failure::Store)?;
        Ok(store)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = kasda_store_postgres::PgStore::connect(url)
            .with_context(|| format!("connecting to {}", redact_url(url)))
            .map_err(Failure::Store)?;
        let mut store: Box<dyn Store> = Box::new(store);
        store
            .migrate()
            .context("applying migrations")
            .map_err(Failure::Store)?;
        Ok(store)
    } else {
        Err(Failure::Input(anyhow::anyhow!(
            "--db {}: expected sqlite:PATH or postgres://user@host/db",
            redact_url(url)
        )))
    }
}

/// The ledger of the configured pemda, created if new.
pub fn ledger_of(store: &mut dyn Store, cfg: &Config) -> Result<String, Failure> {
    let info = LedgerInfo {
        code: cfg.pemda.code.clone(),
        name: cfg.pemda.name.clone(),
    };
    store.ensure_ledger(&info).map_err(Failure::store)?;
    Ok(info.code)
}

/// A URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Who is acting: `KASDA_ACTOR`, else the login name.
pub fn actor() -> String {
    std::env::var("KASDA_ACTOR")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://kasda:s3cret@db.example:5432/kasda"),
            "postgres://kasda:***@db.example:5432/kasda"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("sqlite:kasda.db"), "sqlite:kasda.db");
    }
}
