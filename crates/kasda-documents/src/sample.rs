//! A deterministic receipts CSV of any length, for benchmarks and scale tests: the shapes a
//! pemda's host-to-host export really has (several channels and kode rekening, punctuated and
//! bare NOP, offsets and zone names, split breakdowns, fines, next-day settlement and a few
//! reversals), every row valid as of [`SAMPLE_NOW`].

use std::io::{self, Write};

/// "Now" for reading a sample file: every row is valid as of this instant (RFC 3339).
pub const SAMPLE_NOW: &str = "2026-04-01T00:00:00Z";

/// Header of a sample file (kasda's receipts column spec, in writer order).
pub const SAMPLE_HEADER: &str = "ntpd,kode_billing,ntb,nop,npwpd,nama_wajib_pajak,jenis_pajak,kode_rekening,masa_pajak,tahun_pajak,pokok,denda,total,channel,bank,rekening,dibayar_pada,zona,tanggal_settlement,status,membatalkan_ntpd,opd";

/// One row in this many is a reversal of the row before it.
pub const SAMPLE_REVERSAL_EVERY: u64 = 1000;

const TAXES: [(&str, &str, &str); 6] = [
    ("PBB-P2", "4.1.01.15.01.0001", "BAPENDA"),
    ("PBJT Makan Minum", "4.1.01.19.01.0001", "BAPENDA"),
    ("PBJT Perhotelan", "4.1.01.19.02.0001", "BAPENDA"),
    ("BPHTB", "4.1.01.16.01.0001", "BAPENDA"),
    ("Reklame", "4.1.01.09.01.0001", "BAPENDA"),
    ("Retribusi Pasar", "4.1.02.01.03.0002", "DISPERINDAG"),
];

const CHANNELS: [&str; 8] = [
    "teller",
    "atm",
    "mobile",
    "qris",
    "ecommerce",
    "post_office",
    "retail",
    "virtual_account",
];

/// Writes a header and `rows` receipt rows to `out`, streaming (nothing is held per row).
pub fn write_sample_receipts_csv(rows: u64, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{SAMPLE_HEADER}")?;
    let mut previous: Option<(u64, u64)> = None;
    for i in 0..rows {
        if i % SAMPLE_REVERSAL_EVERY == SAMPLE_REVERSAL_EVERY - 1 {
            if let Some((target, total)) = previous.take() {
                // Reversal of the previous paid receipt, same total, paid again later.
                writeln!(
                    out,
                    "3673{i:012},,NTB{i:010},,,,,4.1.01.19.01.0001,,2026,{total}.00,0.00,{total}.00,teller,Bank Banten,1020010000001,2026-03-28T09:00:00+07:00,,2026-03-28,reversed,3673{target:012},BAPENDA"
                )?;
                continue;
            }
        }
        let (jenis, kode, opd) = TAXES[(i % 6) as usize];
        let pokok = 10_000 + (i * 7919) % 5_000_000;
        let denda = if i % 20 == 7 { pokok / 50 } else { 0 };
        let total = pokok + denda;
        let day = 1 + i % 27;
        let hour = 7 + i % 12;
        let minute = i % 60;
        let nop = if i % 7 == 0 {
            format!("36.73.010.001.{:03}-{:04}.0", i % 1000, i % 10_000)
        } else {
            format!("3673010001{:08}", i % 100_000_000)
        };
        let npwpd = if i % 3 == 0 {
            format!("P.2.{:07}.36.73", i % 10_000_000)
        } else {
            String::new()
        };
        // One receipt in ten splits pokok and denda over two kode rekening.
        let lines = if denda > 0 {
            format!("\"{kode}={pokok}.00;4.1.04.16.01.0001={denda}.00\"")
        } else {
            kode.to_string()
        };
        let (stamp, zone) = match i % 4 {
            0 => (
                format!("2026-03-{day:02}T{hour:02}:{minute:02}:00+07:00"),
                "",
            ),
            1 => (format!("2026-03-{day:02} {hour:02}:{minute:02}:00"), "WIB"),
            2 => (format!("2026-03-{day:02} {hour:02}:{minute:02}:00"), "WITA"),
            _ => (
                format!("2026-03-{day:02}T{hour:02}:{minute:02}:30.250+07:00"),
                "",
            ),
        };
        let settle = day + u64::from(i % 5 == 0);
        let masa = if jenis == "PBB-P2" || jenis == "BPHTB" {
            String::new()
        } else {
            (1 + i % 3).to_string()
        };
        writeln!(
            out,
            "3673{i:012},{kb},NTB{i:010},{nop},{npwpd},\"WAJIB PAJAK {i}, {jenis}\",{jenis},{lines},{masa},2026,{pokok}.00,{denda}.00,{total}.00,{channel},Bank Banten,{acct},{stamp},{zone},2026-03-{settle:02},paid,,{opd}",
            kb = 3_673_000_000_000_000u64 + i,
            channel = CHANNELS[(i % 8) as usize],
            acct = if i % 9 == 0 { "1020010000099" } else { "1020010000001" },
        )?;
        previous = Some((i, total));
    }
    Ok(())
}

/// [`write_sample_receipts_csv`] into memory.
pub fn sample_receipts_csv(rows: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::try_from(rows).unwrap_or(0).saturating_mul(280) + 256);
    // Writing to a Vec cannot fail.
    let _ = write_sample_receipts_csv(rows, &mut out);
    out
}
