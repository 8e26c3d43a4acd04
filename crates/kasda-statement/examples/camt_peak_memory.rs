//! Peak memory of the streaming camt reader: writes a camt.053.001.08 statement of N entries to a
//! temporary file (about 800 bytes an entry, so ~800 MB for a million), streams it through
//! `camt::scan` (a sink that keeps nothing) and prints the process's peak resident set size
//! (`VmHWM` from `/proc/self/status`) before and after the read. For scale it also times a bare
//! quick-xml event loop over the same file first (the same baseline as the `readers` bench), and
//! prints the ratio of the two read speeds, by wall-clock time and by CPU time (the second is
//! the steadier figure on a loaded machine). The two reads are separate functions
//! (`bare_loop`, `kasda_scan`), so that `valgrind --tool=callgrind` (load-independent
//! instruction counts) shows each one's cost inclusive:
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=camt.cg target/release/examples/camt_peak_memory 20000
//! callgrind_annotate --inclusive=yes camt.cg | grep -E 'camt_peak_memory::(bare_loop|kasda_scan) '
//! ```
//!
//! ```text
//! cargo run --release -p kasda-statement --example camt_peak_memory -- 10000 1000000
//! ```
//!
//! Each count given is run in turn in the same process, so use one count per run to see each
//! size's own peak. The file is written in small steps and deleted afterwards; `KASDA_TMP`
//! chooses its directory (default: the system temporary directory).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Peak and current resident set size in KiB (`VmHWM`, `VmRSS`), when the kernel says.
fn rss_kib() -> (Option<u64>, Option<u64>) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time this thread has run, in nanoseconds (`/proc/thread-self/schedstat`), when the
/// kernel says.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Writes the same statement shape as the `readers` criterion bench, one entry at a time.
fn write_statement(path: &Path, n: usize) -> std::io::Result<u64> {
    let mut out = BufWriter::with_capacity(1 << 16, File::create(path)?);
    out.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>PEAK-1</MsgId><CreDtTm>2026-03-31T23:00:00+07:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><CreDtTm>2026-03-31T23:00:00+07:00</CreDtTm>
<Acct><Id><Othr><Id>1020010000001</Id></Othr></Id><Ccy>IDR</Ccy><Svcr><FinInstnId><BICFI>BBTNIDJ1</BICFI></FinInstnId></Svcr></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="IDR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
"#,
    )?;
    let mut total: u64 = 0;
    let mut line = String::with_capacity(1024);
    for i in 0..n {
        let amount = 10_000 + (i as u64 * 7919) % 5_000_000;
        total += amount;
        line.clear();
        let _ = writeln!(
            line,
            r#"<Ntry><NtryRef>{i}</NtryRef><Amt Ccy="IDR">{amount}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-{d:02}</Dt></BookgDt><ValDt><Dt>2026-03-{d:02}</Dt></ValDt><AcctSvcrRef>BBTN{i:010}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NTPD3673{i:012}</EndToEndId></Refs><Amt Ccy="IDR">{amount}.00</Amt><RltdPties><Dbtr><Pty><Nm>WAJIB PAJAK {i}</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>PBB-P2 NOP 367301000100{i:06}0 TAHUN 2026 NTB {i:012}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"#,
            d = 1 + i % 28
        );
        out.write_all(line.as_bytes())?;
    }
    writeln!(
        out,
        r#"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="IDR">{total}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-31</Dt></Dt></Bal>
</Stmt></BkToCstmrStmt></Document>"#
    )?;
    out.flush()?;
    Ok(total)
}

/// The baseline: a bare quick-xml event loop over the file, counting events. Kept out of line
/// (as is [`kasda_scan`]) so that `valgrind --tool=callgrind` shows each one's instructions
/// inclusive, under its own name.
#[inline(never)]
fn bare_loop(path: &Path) -> Result<u64, Box<dyn std::error::Error>> {
    let mut events = 0u64;
    let mut r =
        quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, File::open(path)?));
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf)? {
            quick_xml::events::Event::Eof => break,
            _ => events += 1,
        }
        buf.clear();
    }
    Ok(events)
}

/// kasda's streaming reader over the same file.
#[inline(never)]
fn kasda_scan(
    path: &Path,
) -> Result<
    (
        kasda_statement::camt::CamtHeader,
        kasda_statement::camt::ScanSummary,
    ),
    Box<dyn std::error::Error>,
> {
    let file = File::open(path)?;
    Ok(kasda_statement::camt::scan(
        &path.display().to_string(),
        BufReader::with_capacity(1 << 16, file),
    )?)
}

fn run(dir: &Path, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let path: PathBuf = dir.join(format!("kasda-camt-peak-{}-{n}.xml", std::process::id()));
    let total = write_statement(&path, n)?;
    let bytes = std::fs::metadata(&path)?.len();
    // Baseline in the same run: a bare quick-xml event loop over the same file.
    let started = Instant::now();
    let cpu_started = cpu_ns();
    let events = bare_loop(&path)?;
    let baseline_cpu = cpu_ns().zip(cpu_started).map(|(b, a)| b.saturating_sub(a));
    let baseline_seconds = started.elapsed().as_secs_f64();
    let (hwm_before, _) = rss_kib();
    let started = Instant::now();
    let cpu_started = cpu_ns();
    let result = kasda_scan(&path);
    let cpu = cpu_ns().zip(cpu_started).map(|(b, a)| b.saturating_sub(a));
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    let (_, summary) = result?;
    let (hwm_after, rss_after) = rss_kib();
    if summary.entries != n as u64 || summary.sum_credit != rust_decimal::Decimal::from(total) {
        return Err(format!(
            "read {} entries summing {}, wrote {n} summing {total}",
            summary.entries, summary.sum_credit
        )
        .into());
    }
    let mib =
        |kib: Option<u64>| kib.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
    // CPU time as well as wall time: on a loaded machine the wall-clock ratio drifts with
    // whatever else runs, the CPU-time ratio much less.
    let cpu_ratio = match (baseline_cpu, cpu) {
        (Some(b), Some(k)) if k > 0 => format!("{:.3}", b as f64 / k as f64),
        _ => "?".to_string(),
    };
    let cpu_s =
        |ns: Option<u64>| ns.map_or("?".to_string(), |ns| format!("{:.2}", ns as f64 / 1e9));
    println!(
        "entries={n} file_mib={:.1} read_s={seconds:.2} read_mib_per_s={:.1} baseline_quick_xml_mib_per_s={:.1} ratio={:.3} cpu_s={} baseline_cpu_s={} cpu_ratio={cpu_ratio} (baseline {events} events) peak_rss_mib_before_read={} peak_rss_mib_after_read={} rss_mib_after_read={}",
        bytes as f64 / (1 << 20) as f64,
        bytes as f64 / (1 << 20) as f64 / seconds,
        bytes as f64 / (1 << 20) as f64 / baseline_seconds,
        baseline_seconds / seconds,
        cpu_s(cpu),
        cpu_s(baseline_cpu),
        mib(hwm_before),
        mib(hwm_after),
        mib(rss_after),
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse::<usize>()
                .map_err(|e| format!("entry count {a:?}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let counts = if counts.is_empty() {
        vec![10_000]
    } else {
        counts
    };
    let dir = std::env::var_os("KASDA_TMP")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    for n in counts {
        run(&dir, n)?;
    }
    Ok(())
}
