//! What `kasda statement inspect FILE --format json` prints for one file, without the rest of
//! the command line tool: the same `read_file` and `inspect_json`, pretty-printed the same way,
//! and `kasda: <error>` on stderr with exit status 2 when the file cannot be read. Used to check
//! that a reader change leaves the output byte-identical on every sample when the `kasda`
//! binary itself cannot be built in isolation.
//!
//! ```text
//! cargo run --release -p kasda-statement --example camt_inspect_json -- FILE
//! ```

use std::io::Write;

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: camt_inspect_json FILE");
        std::process::exit(64);
    };
    let path = std::path::PathBuf::from(path);
    match kasda_statement::read_file(&path) {
        Ok(file) => {
            let value = kasda_statement::inspect_json(&path.display().to_string(), &file);
            let mut out = std::io::stdout().lock();
            let written = serde_json::to_writer_pretty(&mut out, &value)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out));
            if let Err(e) = written {
                eprintln!("kasda: {e}");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("kasda: {e}");
            std::process::exit(2);
        }
    }
}
