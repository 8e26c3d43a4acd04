//! A file written on its own thread: the simulation fills 1 MiB chunks and hands them over a
//! bounded channel, so the kernel's copy into the page cache (most of a province day's CPU
//! time, see `/work/notes/bench-h7-gen.md`) runs beside the simulation instead of inside it.
//!
//! Bytes reach the file in the order written; at most [`IN_FLIGHT`] chunks wait per file, so
//! memory stays bounded however long the run. [`AsyncFile::finish`] waits for the last byte and
//! returns the first write error; dropping without `finish` also waits, ignoring errors.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Bytes collected before a chunk goes to the writer thread.
const CHUNK: usize = 1 << 20;
/// Chunks queued per file before the producer waits.
const IN_FLIGHT: usize = 4;
/// Room past [`CHUNK`] in each buffer, so the write that crosses it does not reallocate.
const SLACK: usize = 64 << 10;

pub struct AsyncFile {
    buf: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    /// Written chunks come back here to be reused.
    spare: Receiver<Vec<u8>>,
    handle: Option<JoinHandle<io::Result<()>>>,
}

impl AsyncFile {
    pub fn new(file: File) -> AsyncFile {
        let (tx, rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (back, spare) = channel::<Vec<u8>>();
        let handle = std::thread::spawn(move || -> io::Result<()> {
            let mut file = file;
            for mut chunk in rx {
                file.write_all(&chunk)?;
                chunk.clear();
                // The producer may be gone already; the chunk is then simply freed.
                let _ = back.send(chunk);
            }
            file.flush()
        });
        AsyncFile {
            buf: Vec::with_capacity(CHUNK + SLACK),
            tx: Some(tx),
            spare,
            handle: Some(handle),
        }
    }

    /// Waits for the writer thread and returns its result.
    fn join(&mut self) -> io::Result<()> {
        self.tx = None;
        match self.handle.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("file writer thread panicked"))),
            None => Ok(()),
        }
    }

    /// Hands the current chunk to the writer thread.
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK + SLACK));
        let chunk = std::mem::replace(&mut self.buf, next);
        let sent = match self.tx.as_ref() {
            Some(tx) => tx.send(chunk).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The thread stopped early: its error says why.
        self.join()?;
        Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "file writer thread stopped",
        ))
    }

    /// Lets `fill` append to the current chunk in place (an encoder writing straight into it
    /// saves copying each record through a buffer of its own); returns what `fill` returns.
    pub fn append<R>(&mut self, fill: impl FnOnce(&mut Vec<u8>) -> R) -> io::Result<R> {
        let r = fill(&mut self.buf);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(r)
    }

    /// Writes out everything and waits for it; the first write error, if any.
    pub fn finish(mut self) -> io::Result<()> {
        self.send()?;
        self.join()
    }
}

impl Write for AsyncFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // A write that would outgrow the chunk's allocation sends what is there first.
        if self.buf.len() + data.len() > self.buf.capacity() && !self.buf.is_empty() {
            self.send()?;
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(|_| ())
    }

    /// Hands what is buffered to the writer thread without waiting for it ([`AsyncFile::finish`]
    /// waits).
    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for AsyncFile {
    fn drop(&mut self) {
        if self.handle.is_some() {
            let _ = self.send();
            let _ = self.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.bin");
        let mut w = AsyncFile::new(File::create(&path).unwrap());
        let mut expected = Vec::new();
        for i in 0..600_000u32 {
            let line = format!("{i}\n");
            w.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        w.finish().unwrap();
        assert!(expected.len() > 2 * CHUNK);
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn appended_bytes_keep_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.txt");
        let mut w = AsyncFile::new(File::create(&path).unwrap());
        let mut expected = Vec::new();
        for i in 0..300_000u32 {
            let line = format!("{i},");
            if i % 2 == 0 {
                let n = w.append(|buf| {
                    buf.extend_from_slice(line.as_bytes());
                    line.len()
                });
                assert_eq!(n.unwrap(), line.len());
            } else {
                w.write_all(line.as_bytes()).unwrap();
            }
            expected.extend_from_slice(line.as_bytes());
        }
        w.finish().unwrap();
        assert!(expected.len() > CHUNK);
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn dropping_without_finish_still_writes_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        {
            let mut w = AsyncFile::new(File::create(&path).unwrap());
            w.write_all(b"kasda").unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"kasda");
    }

    #[test]
    fn a_write_error_is_reported() {
        // A read-only handle refuses writes: finish returns the thread's error.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.txt");
        std::fs::write(&path, b"").unwrap();
        let mut w = AsyncFile::new(File::open(&path).unwrap());
        w.write_all(b"x").unwrap();
        assert!(w.finish().is_err());
    }
}
