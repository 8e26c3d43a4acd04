//! Statement and document reader throughput, each beside a baseline over the same bytes in the
//! same run (see BENCHMARKS.md):
//! - camt.053: kasda's streaming reader vs a bare quick-xml event loop;
//! - MT940: kasda's reader vs a bare line split (memchr) of the same file;
//! - receipts CSV: kasda-documents read + validate vs a bare `csv::ByteRecord` loop.
//!
//! `KASDA_BENCH_ENTRIES` sets the entry count (default 100 000).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn entries() -> usize {
    std::env::var("KASDA_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// A camt.053.001.08 statement with `n` entries, one transaction detail each, with references and
/// remittance text like an Indonesian RKUD's per-payment credits.
pub fn camt053(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 900 + 2000);
    s.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>BENCH-1</MsgId><CreDtTm>2026-03-31T23:00:00+07:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-03-31T23:00:00+07:00</CreDtTm>
<Acct><Id><Othr><Id>1020010000001</Id></Othr></Id><Ccy>IDR</Ccy><Svcr><FinInstnId><BICFI>BBTNIDJ1</BICFI></FinInstnId></Svcr></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="IDR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
"#);
    let mut total: u64 = 0;
    for i in 0..n {
        let amount = 10_000 + (i as u64 * 7919) % 5_000_000;
        total += amount;
        let _ = writeln!(
            s,
            r#"<Ntry><NtryRef>{i}</NtryRef><Amt Ccy="IDR">{amount}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-{d:02}</Dt></BookgDt><ValDt><Dt>2026-03-{d:02}</Dt></ValDt><AcctSvcrRef>BBTN{i:010}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NTPD3673{i:012}</EndToEndId></Refs><Amt Ccy="IDR">{amount}.00</Amt><RltdPties><Dbtr><Pty><Nm>WAJIB PAJAK {i}</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>PBB-P2 NOP 367301000100{i:06}0 TAHUN 2026 NTB {i:012}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"#,
            d = 1 + i % 28
        );
    }
    let _ = writeln!(
        s,
        r#"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="IDR">{total}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-31</Dt></Dt></Bal>
</Stmt></BkToCstmrStmt></Document>"#
    );
    s.into_bytes()
}

/// An MT940 file with `n` entries in statements of 1 000 entries each.
pub fn mt940(n: usize) -> Vec<u8> {
    let mut s = String::with_capacity(n * 160);
    let per = 1000;
    let mut i = 0;
    let mut page = 1;
    while i < n {
        let _ = write!(
            s,
            "{{1:F01BBTNIDJ1AXXX0000000000}}{{2:I940PEMDAXXXXN}}{{4:\r\n:20:STMT{page}\r\n:25:1020010000001\r\n:28C:{page}/1\r\n:60F:C260301IDR0,00\r\n"
        );
        let mut total: u64 = 0;
        for _ in 0..per.min(n - i) {
            let amount = 10_000 + (i as u64 * 7919) % 5_000_000;
            total += amount;
            let _ = write!(
                s,
                ":61:2603010301C{amount},00NTRFNONREF//BBTN{i:010}\r\n:86:SETORAN PBB-P2 NOP 367301000100{i:06}0 NTPD 3673{i:012}\r\n"
            );
            i += 1;
        }
        let _ = write!(s, ":62F:C260301IDR{total},00\r\n-}}\r\n");
        page += 1;
    }
    s.into_bytes()
}

/// A receipts CSV in kasda's column spec with `n` rows.
pub fn receipts_csv(n: usize) -> Vec<u8> {
    let mut s = String::from("ntpd,kode_billing,ntb,nop,npwpd,nama_wajib_pajak,jenis_pajak,kode_rekening,masa_pajak,tahun_pajak,pokok,denda,total,channel,bank,rekening,dibayar_pada,zona,tanggal_settlement,status,membatalkan_ntpd,opd\n");
    for i in 0..n {
        let pokok = 10_000 + (i as u64 * 7919) % 5_000_000;
        let _ = writeln!(
            s,
            "3673{i:012},KB{i:010},NTB{i:010},3673010001001{:05},,WP {i},PBB-P2,4.1.01.15.01.0001,,2026,{pokok}.00,0.00,{pokok}.00,teller,Bank Banten,1020010000001,2026-03-02T10:00:00+07:00,,2026-03-02,paid,,BAPENDA",
            i % 100_000
        );
    }
    s.into_bytes()
}

fn camt(c: &mut Criterion) {
    let n = entries();
    let bytes = camt053(n);
    let mut g = c.benchmark_group("camt053");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("baseline_quick_xml_event_loop", |b| {
        b.iter(|| {
            let mut r = quick_xml::Reader::from_reader(bytes.as_slice());
            let mut buf = Vec::new();
            let mut events = 0u64;
            loop {
                match r.read_event_into(&mut buf) {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => events += 1,
                    Err(e) => panic!("{e}"),
                }
                buf.clear();
            }
            black_box(events)
        })
    });
    g.bench_function("kasda_camt_scan", |b| {
        b.iter(|| {
            let (_, summary) =
                kasda_statement::camt::scan("bench.xml", bytes.as_slice()).expect("reads");
            assert_eq!(summary.entries as usize, n);
            black_box(summary)
        })
    });
    g.finish();
}

fn mt940_bench(c: &mut Criterion) {
    let n = entries();
    let bytes = mt940(n);
    let mut g = c.benchmark_group("mt940");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_line_split", |b| {
        b.iter(|| black_box(memchr::memchr_iter(b'\n', &bytes).count()))
    });
    g.bench_function("kasda_mt940_read", |b| {
        b.iter(|| {
            let f = kasda_statement::mt940::read("bench.sta", &bytes).expect("reads");
            black_box(f.statements.len())
        })
    });
    g.finish();
}

fn receipts(c: &mut Criterion) {
    let n = entries();
    let bytes = receipts_csv(n);
    let now = chrono::DateTime::parse_from_rfc3339("2026-04-01T00:00:00Z")
        .expect("valid")
        .with_timezone(&chrono::Utc);
    let mut g = c.benchmark_group("receipts_csv");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("baseline_csv_byte_records", |b| {
        b.iter(|| {
            let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
            let mut rec = csv::ByteRecord::new();
            let mut rows = 0u64;
            while r.read_byte_record(&mut rec).expect("csv") {
                rows += 1;
            }
            black_box(rows)
        })
    });
    g.bench_function("kasda_read_and_validate", |b| {
        b.iter(|| {
            let rows =
                kasda_documents::read_receipts_csv_count(&bytes, now).expect("valid receipts");
            assert_eq!(rows, n);
            black_box(rows)
        })
    });
    g.finish();
}

criterion_group!(benches, camt, mt940_bench, receipts);
criterion_main!(benches);
