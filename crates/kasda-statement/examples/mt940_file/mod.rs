//! The MT940 benchmark file, shared by `examples/mt940_throughput.rs` and the root package's
//! `benches/mt940.rs` (included there by path) so that every reader times the same bytes.
//!
//! What an RKUD (regional treasury) account at a regional bank sends for a busy month: CRLF
//! lines, one statement per 1 000 entries, each with `:20:`, `:25:`, `:28C:`, `:60F:`, then
//! `:61:` (value date, entry date, C or D, comma amount, `NTRF` type code, customer
//! reference, `//` bank reference) and a two-line `:86:` naming the tax receipt (credits) or the
//! SP2D payment (debits), then `:62F:` and `:64:`. No `{1:}{4:` envelope and no `-` separator,
//! because the `mt940` crate accepts neither; no zero balances, because `x940` takes a zero
//! opening or closing balance for a missing one. Every line stays within SWIFT's 65 characters
//! and every reference within 16, so all three readers accept the file.

use std::fmt::Write as _;

/// Entries per statement.
pub const PER_STATEMENT: usize = 1000;

/// Formats whole rupiah as a SWIFT amount with two decimals (`1234,00`).
fn swift(rupiah: u64) -> String {
    format!("{rupiah},00")
}

/// An MT940 file with `n` entries in statements of [`PER_STATEMENT`] entries, and the number of
/// statements in it.
pub fn generate(n: usize) -> (Vec<u8>, usize) {
    let mut s = String::with_capacity(n * 190 + 256);
    let mut balance: u64 = 250_000_000;
    let mut i = 0usize;
    let mut statements = 0usize;
    while i < n {
        statements += 1;
        let month = 1 + (statements - 1) % 12;
        let _ = write!(
            s,
            ":20:RKUD{statements:08}\r\n:25:1020010000001\r\n:28C:{statements}/1\r\n\
             :60F:C26{month:02}01IDR{}\r\n",
            swift(balance)
        );
        for _ in 0..PER_STATEMENT.min(n - i) {
            let day = 1 + i % 28;
            let amount = 10_000 + (i as u64 * 7919) % 5_000_000;
            if i % 5 == 4 {
                balance -= amount;
                let _ = write!(
                    s,
                    ":61:26{month:02}{day:02}{month:02}{day:02}D{}NTRFSP2D{i:08}//BTN{i:011}\r\n\
                     :86:SP2D 3673/LS/{i:06}/2026 BELANJA BARANG DAN JASA\r\n\
                     CV MITRA {i:06} BANK BJB 0012{i:09}\r\n",
                    swift(amount)
                );
            } else {
                balance += amount;
                let _ = write!(
                    s,
                    ":61:26{month:02}{day:02}{month:02}{day:02}C{}NTRFPBB{i:09}//BTN{i:011}\r\n\
                     :86:SETORAN PBB-P2 NOP 3673010001{i:08}0 TAHUN 2026\r\n\
                     NTPD 3673{i:012} NTB {i:012}\r\n",
                    swift(amount)
                );
            }
            i += 1;
        }
        let _ = write!(
            s,
            ":62F:C26{month:02}28IDR{b}\r\n:64:C26{month:02}28IDR{b}\r\n",
            b = swift(balance)
        );
    }
    (s.into_bytes(), statements)
}
