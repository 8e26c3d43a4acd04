//! Throughput of the streaming MT940 reader on a generated statement file. In release builds
//! the reader must sustain at least 500,000 entries per second (the import design figure);
//! debug builds only check correctness on a smaller file.

use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use kasda_core::money::Direction;
use kasda_core::statement::{Entry, Statement};
use kasda_statement::mt940::{self, Sink};
use kasda_statement::ReadError;
use rust_decimal::Decimal;

/// The two measurements must not share the machine with each other.
static SERIAL: Mutex<()> = Mutex::new(());

/// One statement per 1,000 entries; entries alternate credit and debit with realistic `:86:`.
fn generate(entries: usize) -> (String, Decimal) {
    let mut s = String::with_capacity(entries * 170);
    let mut balance = Decimal::ZERO;
    let mut n = 0;
    let mut stmt = 0;
    while n < entries {
        stmt += 1;
        let _ = write!(
            s,
            "{{1:F01BBBBIDJAAXXX0000000000}}{{2:O940BBBBIDJAAXXXN}}{{4:\n:20:RKUD{stmt:06}\n:25:1234567890IDR\n:28C:{stmt:05}/001\n:60F:C240102IDR{},00\n",
            balance.trunc()
        );
        for _ in 0..1000.min(entries - n) {
            n += 1;
            let amount = Decimal::from(10_000 + (n % 977) * 1_000);
            let (mark, text) = if n % 2 == 0 {
                balance += amount;
                (
                    "C",
                    format!("SETORAN PAJAK HOTEL NPWPD P.2.{n:07}.05.01 STS {n:06}"),
                )
            } else {
                balance -= amount;
                (
                    "D",
                    format!("SP2D NO {n:04}/LS/2024 BELANJA BARANG DAN JASA"),
                )
            };
            let _ = write!(
                s,
                ":61:2401020102{mark}{amount},00NTRFNONREF//FT24002{n:08}\n:86:{text}\nPUKUL 12:30: LOKET {}\n",
                n % 9
            );
            if balance < Decimal::ZERO {
                balance = -balance;
            }
        }
        let _ = write!(s, ":62F:C240102IDR0,00\n-}}\n");
    }
    (s, balance)
}

#[derive(Default)]
struct Count {
    entries: u64,
    credits: Decimal,
    statements: usize,
}

impl Sink for Count {
    fn entry(&mut self, _: usize, entry: Entry) -> Result<(), ReadError> {
        self.entries += 1;
        if entry.direction == Some(Direction::Credit) {
            self.credits += entry.amount;
        }
        Ok(())
    }
    fn statement_end(&mut self, _: usize, _: Statement) -> Result<(), ReadError> {
        self.statements += 1;
        Ok(())
    }
}

#[test]
fn streaming_reader_throughput() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let entries = if cfg!(debug_assertions) {
        20_000
    } else {
        1_000_000
    };
    let (text, _) = generate(entries);
    let expected_credits: Decimal = (1..=entries)
        .filter(|n| n % 2 == 0)
        .map(|n| Decimal::from(10_000 + (n % 977) * 1_000))
        .sum();
    // Best of three runs: the machine is shared, and the figure is about the reader.
    let mut seconds = f64::MAX;
    for _ in 0..3 {
        let mut sink = Count::default();
        let started = Instant::now();
        let out = mt940::read_stream("gen.sta", text.as_bytes(), &mut sink)
            .expect("generated file reads");
        seconds = seconds.min(started.elapsed().as_secs_f64());
        assert_eq!(out.entries, entries as u64);
        assert_eq!(sink.entries, entries as u64);
        assert_eq!(sink.statements, entries.div_ceil(1000));
        assert_eq!(sink.credits, expected_credits);
    }
    let rate = entries as f64 / seconds;
    eprintln!(
        "mt940 read_stream: {entries} entries, {:.1} MiB in {seconds:.3}s = {rate:.0} entries/s",
        text.len() as f64 / 1048576.0
    );
    if !cfg!(debug_assertions) {
        assert!(
            rate >= 500_000.0,
            "{rate:.0} entries/s is below the 500,000 entries/s goal"
        );
    }
}

#[test]
fn whole_file_read_with_checks_throughput() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let entries = if cfg!(debug_assertions) {
        20_000
    } else {
        1_000_000
    };
    let (text, _) = generate(entries);
    let started = Instant::now();
    let file =
        kasda_statement::read_bytes("gen.sta", text.as_bytes()).expect("generated file reads");
    let seconds = started.elapsed().as_secs_f64();
    let read: usize = file.statements.iter().map(|s| s.entries.len()).sum();
    assert_eq!(read, entries);
    let rate = entries as f64 / seconds;
    eprintln!(
        "read_bytes (mt940 + checks): {entries} entries in {seconds:.3}s = {rate:.0} entries/s"
    );
    if !cfg!(debug_assertions) {
        // Collecting a million ~1 KiB entries in memory is bounded by allocation, not
        // parsing; imports of large files use `read_stream`.
        assert!(
            rate >= 100_000.0,
            "{rate:.0} entries/s for a whole-file read with checks"
        );
    }
}
