//! Writers for the formats this crate reads: CSV exactly as in `schema/documents/<kind>.csv.md`
//! and JSON Lines as `serde_json` of the core types. The generator writes through these, and
//! round-trip tests hold reader and writer to the same spec.

use std::io::{self, Write};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Timelike};
use kasda_core::document::{BkuOwner, Document, Receipt, ReceiptStatus, RevenueLine};
use kasda_core::money::{format_amount, Direction, NumberFormat};

use crate::columns;
use crate::text;
use crate::Kind;

/// CSV flavour to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvStyle {
    /// `,`-delimited, plain amounts `150000.00`.
    Plain,
    /// `;`-delimited, Indonesian amounts `150.000,00` (what Indonesian-locale Excel writes).
    Indonesian,
}

impl CsvStyle {
    fn delimiter(self) -> u8 {
        match self {
            CsvStyle::Plain => b',',
            CsvStyle::Indonesian => b';',
        }
    }
    fn number_format(self) -> NumberFormat {
        match self {
            CsvStyle::Plain => NumberFormat::Plain,
            CsvStyle::Indonesian => NumberFormat::Indonesian,
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes `docs` (all of `kind`) as a `,`-delimited CSV with plain amounts.
pub fn write_csv<W: Write>(kind: Kind, docs: &[Document], writer: W) -> io::Result<()> {
    write_csv_with(kind, docs, writer, CsvStyle::Plain)
}

/// Writes `docs` (all of `kind`) as CSV in `style`: the header, then one record per document.
pub fn write_csv_with<W: Write>(
    kind: Kind,
    docs: &[Document],
    writer: W,
    style: CsvStyle,
) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(style.delimiter())
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(writer);
    w.write_record(columns::spec(kind).iter().map(|c| c.name))
        .map_err(csv_err)?;
    let nf = style.number_format();
    let amt = |a| format_amount(a, nf, 2);
    let mut rec: Vec<String> = Vec::with_capacity(columns::spec(kind).len());
    for (i, doc) in docs.iter().enumerate() {
        rec.clear();
        match (kind, doc) {
            (Kind::Receipts, Document::Receipt(r)) => {
                let (paid, zone) = receipt_time(r)?;
                rec.extend([
                    r.ntpd.clone(),
                    opt(&r.kode_billing),
                    opt(&r.ntb),
                    opt(&r.nop),
                    opt(&r.npwpd),
                    opt(&r.taxpayer_name),
                    opt(&r.jenis_pajak),
                    lines_cell(&r.lines, r.total, nf),
                    r.masa_pajak.map(|m| m.to_string()).unwrap_or_default(),
                    r.tahun_pajak.map(|y| y.to_string()).unwrap_or_default(),
                    amt(r.pokok),
                    amt(r.denda),
                    amt(r.total),
                    r.channel.as_str().to_string(),
                    opt(&r.bank),
                    opt(&r.account),
                    paid,
                    zone,
                    r.settlement_date.map(|d| d.to_string()).unwrap_or_default(),
                    match r.status {
                        ReceiptStatus::Paid => "paid".to_string(),
                        ReceiptStatus::Reversed => "reversed".to_string(),
                    },
                    opt(&r.reverses_ntpd),
                    opt(&r.opd),
                ]);
            }
            (Kind::Sts, Document::Sts(s)) => rec.extend([
                s.number.clone(),
                s.opd.clone(),
                opt(&s.bendahara),
                s.date.to_string(),
                s.account.clone(),
                lines_cell(&s.lines, s.total, nf),
                amt(s.total),
                s.collected_from.map(|d| d.to_string()).unwrap_or_default(),
                s.collected_to.map(|d| d.to_string()).unwrap_or_default(),
                s.tbp_numbers.join(";"),
            ]),
            (Kind::Sp2d, Document::Sp2d(s)) => rec.extend([
                s.number.clone(),
                s.date.to_string(),
                s.opd.clone(),
                s.sp2d_type.as_str().to_string(),
                opt(&s.kode_rekening),
                amt(s.gross),
                s.deductions
                    .iter()
                    .map(|d| format!("{}={}", d.kind, amt(d.amount)))
                    .collect::<Vec<_>>()
                    .join(";"),
                amt(s.net),
                s.beneficiary_name.clone(),
                opt(&s.beneficiary_bank),
                opt(&s.beneficiary_account),
                s.account.clone(),
            ]),
            (Kind::Bku, Document::Bku(b)) => {
                let (owner, opd) = match &b.owner {
                    BkuOwner::Bud => ("bud".to_string(), String::new()),
                    BkuOwner::BendaharaPenerimaan(opd) => {
                        ("bendahara_penerimaan".to_string(), opd.clone())
                    }
                };
                let (credit, debit) = match b.direction {
                    Direction::Credit => (amt(b.amount), String::new()),
                    Direction::Debit => (String::new(), amt(b.amount)),
                };
                rec.extend([
                    owner,
                    opd,
                    b.number.to_string(),
                    b.date.to_string(),
                    opt(&b.document),
                    b.description.clone(),
                    opt(&b.kode_rekening),
                    credit,
                    debit,
                    opt(&b.account),
                    b.balance_after
                        .map(|s| {
                            let text = format_amount(s.abs(), nf, 2);
                            if s.is_sign_negative() && !s.is_zero() {
                                format!("-{text}")
                            } else {
                                text
                            }
                        })
                        .unwrap_or_default(),
                ]);
            }
            _ => {
                return Err(invalid(format!(
                    "document {} is a {}, not {}",
                    i + 1,
                    Kind::of(doc).as_str(),
                    kind.as_str()
                )))
            }
        }
        w.write_record(&rec).map_err(csv_err)?;
    }
    w.flush()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// One code that takes the whole total is written bare; anything else as `kode=amount;…`.
fn lines_cell(lines: &[RevenueLine], total: rust_decimal::Decimal, nf: NumberFormat) -> String {
    match lines {
        [one] if one.amount == total => one.kode_rekening.clone(),
        _ => lines
            .iter()
            .map(|l| format!("{}={}", l.kode_rekening, format_amount(l.amount, nf, 2)))
            .collect::<Vec<_>>()
            .join(";"),
    }
}

fn fraction(t: DateTime<FixedOffset>) -> String {
    match t.nanosecond() {
        0 => String::new(),
        n => format!(".{:09}", n).trim_end_matches('0').to_string(),
    }
}

/// `dibayar_pada` and `zona` cells: local time + zone name for WIB/WITA/WIT, RFC 3339 with the
/// written offset otherwise, UTC `Z` when no zone was recorded.
fn receipt_time(r: &Receipt) -> io::Result<(String, String)> {
    let (offset_seconds, zone_name) = match &r.paid_zone {
        None => (0, None),
        Some(z) => match (text::zone_offset(z), text::parse_offset(z)) {
            (Some(o), _) => (o, Some(z.to_ascii_uppercase())),
            (None, Some(o)) => (o, None),
            (None, None) => {
                return Err(invalid(format!(
                    "receipt {}: paid_zone {z:?} is neither WIB/WITA/WIT nor an offset like +07:00",
                    r.ntpd
                )))
            }
        },
    };
    let offset = FixedOffset::east_opt(offset_seconds)
        .ok_or_else(|| invalid(format!("bad offset {offset_seconds}")))?;
    let local = r.paid_at.with_timezone(&offset);
    let base = local.format("%Y-%m-%d %H:%M:%S").to_string();
    Ok(match (zone_name, &r.paid_zone) {
        (Some(name), _) => (format!("{base}{}", fraction(local)), name),
        (None, None) => (
            format!("{}{}Z", local.format("%Y-%m-%dT%H:%M:%S"), fraction(local)),
            String::new(),
        ),
        (None, Some(_)) => (
            format!(
                "{}{}{}",
                local.format("%Y-%m-%dT%H:%M:%S"),
                fraction(local),
                text::format_offset(offset_seconds)
            ),
            String::new(),
        ),
    })
}

/// Writes one JSON object per line: the tagged `Document` (`"kind": "receipt"`, …) when
/// `tagged`, else the bare struct.
pub fn write_jsonl<W: Write>(docs: &[Document], writer: W, tagged: bool) -> io::Result<()> {
    let mut w = io::BufWriter::new(writer);
    for doc in docs {
        if tagged {
            serde_json::to_writer(&mut w, doc)?;
        } else {
            match doc {
                Document::Receipt(r) => serde_json::to_writer(&mut w, r)?,
                Document::Sts(s) => serde_json::to_writer(&mut w, s)?,
                Document::Sp2d(s) => serde_json::to_writer(&mut w, s)?,
                Document::Bku(b) => serde_json::to_writer(&mut w, b)?,
            }
        }
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// A deterministic receipts CSV of `n` valid rows paid on `paid_on` (WIB), for benchmarks and
/// scale tests: varied amounts, channels, zones and one- or two-line kode rekening splits.
// `is_multiple_of` needs Rust 1.87; the workspace supports 1.80.
#[allow(clippy::manual_is_multiple_of)]
pub fn synthetic_receipts_csv(n: usize, paid_on: NaiveDate) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(n * 220 + 400);
    out.push_str(
        &columns::RECEIPT_COLUMNS
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push('\n');
    let channels = [
        "teller",
        "atm",
        "mobile",
        "qris",
        "ecommerce",
        "retail",
        "post_office",
        "virtual_account",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        // xorshift: cheap, deterministic, no dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let pokok = 10_000 + (state % 5_000_000) * 100;
        let denda = if state % 7 == 0 { pokok / 50 } else { 0 };
        let total = pokok + denda;
        let seconds = (i as u64 * 7) % 86_000;
        let at = paid_on
            .and_hms_opt(0, 0, 0)
            .map(|t| t + Duration::seconds(seconds as i64));
        let at = at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let kode = if state % 5 == 0 {
            let opsen = total / 3;
            format!(
                "\"4.1.01.19.01.0001={}.00;4.1.01.20.01.0001={}.00\"",
                total - opsen,
                opsen
            )
        } else {
            "4.1.01.15.01.0001".to_string()
        };
        let channel = channels[(state % channels.len() as u64) as usize];
        let _ = writeln!(
            out,
            "NTPD{i:012},KB{i:014},NTB{state:016X},36{:016},P.2.{:07}.36.73,Wajib Pajak {i},PBB-P2,{kode},,{},{pokok}.00,{denda}.00,{total}.00,{channel},BANK BANTEN,0011223344,{at},WIB,{},paid,,1.02.0.00.0.00.01.0000",
            state % 10_000_000_000_000_000,
            i % 10_000_000,
            paid_on.format("%Y"),
            paid_on.succ_opt().unwrap_or(paid_on),
        );
    }
    out.into_bytes()
}
