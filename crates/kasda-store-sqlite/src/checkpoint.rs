//! The WAL copied back into the database file beside the writer, not inside its COMMIT.
//!
//! In WAL mode a commit is durable once its frames are in the `-wal` file and, with
//! `synchronous=FULL`, that file is synced: that is what COMMIT waits for, and it does not change
//! here. Copying the frames into the database file (a checkpoint) is maintenance: readers find the
//! newest pages in the WAL until it is done. SQLite's automatic checkpoint runs it inside the
//! COMMIT that takes the WAL past 1,000 pages, so a bulk import's COMMIT wrote every page twice
//! (WAL, then database file, with a second sync): about 40% of the commit of a 1M-posting import.
//!
//! For the large writes (an import, an append of matches) the store turns the automatic
//! checkpoint off for that one transaction and, once it has committed, wakes a thread with a
//! connection of its own that runs `PRAGMA wal_checkpoint(PASSIVE)`: it copies what no reader
//! still needs without waiting for, or blocking, the writer or readers, while the caller goes on
//! (the next file of an import, the findings of a reconcile). A checkpoint that stops half way
//! (a power cut, the process killed) loses nothing: the frames stay in the WAL and SQLite replays
//! or copies them at the next open. Small writes keep the automatic checkpoint.

use std::path::Path;
use std::sync::mpsc::{channel, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::SqliteError;

/// A thread that checkpoints the database's WAL each time it is woken. Dropping it lets the
/// thread finish the checkpoint it is running and waits for it.
pub(crate) struct Checkpointer {
    wake: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to the database at `path` (in WAL mode already) and starts the
    /// thread that owns it.
    pub(crate) fn start(path: &Path, busy_timeout_ms: u64) -> Result<Self, SqliteError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| SqliteError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        conn.busy_timeout(Duration::from_millis(busy_timeout_ms))?;
        let (wake, woken) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("kasda-sqlite-checkpoint".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // Wake-ups that came in meanwhile are served by this one checkpoint.
                    while woken.try_recv().is_ok() {}
                    // A checkpoint that fails (the file busy, a full disk) leaves the frames in
                    // the WAL, where readers find them and the next checkpoint (this thread's,
                    // an automatic one, or the last connection's close) copies them: nothing to
                    // report to a writer that has committed already.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| SqliteError::Refused {
                message: format!("cannot start the WAL checkpoint thread: {e}"),
            })?;
        Ok(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint; returns at once.
    pub(crate) fn wake(&self) {
        if let Some(w) = &self.wake {
            // The thread only stops when this sender is dropped.
            let _ = w.send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.wake.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
