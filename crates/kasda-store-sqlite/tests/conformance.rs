//! The shared store conformance suite, run twice: against a fresh in-memory SQLite database per
//! check, and against a fresh database file (WAL, `synchronous=FULL`) per check.

mod memory {
    kasda_store::conformance_tests!(
        || kasda_store_sqlite::SqliteStore::open_memory().expect("open in-memory SQLite store")
    );
}

mod file {
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT: AtomicU64 = AtomicU64::new(0);

    /// A new database file under cargo's per-target temporary directory (kept with the build
    /// output, so nothing is left in the system temp dir).
    fn open_file_store() -> kasda_store_sqlite::SqliteStore {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("kasda-sqlite-conformance");
        std::fs::create_dir_all(&dir).expect("create conformance temp dir");
        let path = dir.join(format!("{}-{n}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        kasda_store_sqlite::SqliteStore::open(&path).expect("open SQLite file store")
    }

    kasda_store::conformance_tests!(|| open_file_store());
}
