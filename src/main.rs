//! The `kasda` command line: argument parsing, wiring of the library crates, progress and output.
//! No business rules live here; see ARCHITECTURE.md for the crate map.

mod cli;
mod commands;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, LogFormat};

/// Exit codes for batch jobs (ARCHITECTURE-GUIDE §5).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const STORE: u8 = 3;
}

/// An error that knows which exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Bad input or usage: exit 2.
    Input(anyhow::Error),
    /// Store unreachable, migration or integrity error: exit 3.
    Store(anyhow::Error),
    /// Findings at or above `--fail-on`: exit 1 (the report was already printed).
    Findings(String),
}

impl Failure {
    pub fn input(e: impl Into<anyhow::Error>) -> Self {
        Failure::Input(e.into())
    }
    pub fn store(e: impl Into<anyhow::Error>) -> Self {
        Failure::Store(e.into())
    }
}

pub type CmdResult = Result<(), Failure>;

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("KASDA_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(&cli);
    match commands::run(&cli) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(Failure::Findings(msg)) => {
            eprintln!("kasda: {msg}");
            ExitCode::from(exit::FINDINGS)
        }
        Err(Failure::Input(e)) => {
            eprintln!("kasda: error: {e:#}");
            ExitCode::from(exit::BAD_INPUT)
        }
        Err(Failure::Store(e)) => {
            eprintln!("kasda: store error: {e:#}");
            ExitCode::from(exit::STORE)
        }
    }
}
