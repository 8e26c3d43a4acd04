//! Helpers shared by the end-to-end tests: run the real `kasda` binary and read its answer.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `kasda ARGS` in `dir` as `user` (KASDA_ACTOR), with no store or config from the
/// environment and plain (CI) output.
pub fn kasda_as(user: &str, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kasda"))
        .current_dir(dir)
        .env_remove("KASDA_DB")
        .env_remove("KASDA_CONFIG")
        .env("KASDA_ACTOR", user)
        .env("CI", "true")
        .args(args)
        .output()
        .expect("kasda binary runs")
}

/// The command succeeded; its stdout.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The command succeeded and printed JSON.
pub fn json(out: &Output) -> serde_json::Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}
