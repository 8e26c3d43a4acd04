//! camt.053 reader throughput beside a bare quick-xml event loop over the same bytes in the same
//! run (see BENCHMARKS.md). The MT940 and receipts-CSV readers have their own benches
//! (`benches/mt940.rs`, `benches/documents.rs`).
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

criterion_group!(benches, camt);
criterion_main!(benches);
