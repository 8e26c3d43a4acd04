//! Statement writers: one account-day in camt.053 (001.02 / 001.08), MT940 or a bank CSV layout.
//!
//! Small and exact: amounts are integer sen formatted by hand, text is escaped for the format,
//! and every writer streams straight into the caller's buffered file. Field limits of the real
//! formats are honoured (MT940 `:61:` references ≤ 16 characters, `:86:` ≤ 6 × 65) because real
//! banks truncate there too, and a reader must survive it.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use kasda_core::Direction;

use crate::pemda::{Account, Bank};
use crate::StatementFormatOut;

/// SWIFT-style transaction type of a line (MT940 `:61:` type code, camt proprietary code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    Transfer,
    Charge,
    Interest,
    Tax,
    Cash,
}

impl TxKind {
    fn swift(self) -> &'static str {
        match self {
            TxKind::Transfer => "NTRF",
            TxKind::Charge => "NCHG",
            TxKind::Interest => "NINT",
            TxKind::Tax => "NTAX",
            TxKind::Cash => "NCMI",
        }
    }

    /// ISO 20022 bank transaction code (domain, family, sub-family) for a line.
    fn iso(self, direction: Direction) -> (&'static str, &'static str, &'static str) {
        match (self, direction) {
            (TxKind::Transfer, Direction::Credit) => ("PMNT", "RCDT", "DMCT"),
            (TxKind::Transfer, Direction::Debit) => ("PMNT", "ICDT", "DMCT"),
            (TxKind::Charge, _) => ("ACMT", "MDOP", "CHRG"),
            (TxKind::Interest, _) => ("ACMT", "MCOP", "INTR"),
            (TxKind::Tax, _) => ("ACMT", "MDOP", "TAXE"),
            (TxKind::Cash, _) => ("PMNT", "CNTR", "CDPT"),
        }
    }
}

/// One booked line on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLine {
    /// Seconds after midnight (WIB) the bank booked it; lines are written in this order.
    pub time_secs: u32,
    pub value_date: NaiveDate,
    pub direction: Direction,
    /// True for the bank's own reversal of an earlier line (MT940 `RC`/`RD`, camt `RvslInd`).
    pub reversal: bool,
    pub amount_sen: i64,
    pub kind: TxKind,
    /// The bank's booking reference (camt `AcctSvcrRef`, MT940 `//` reference, CSV reference).
    pub bank_ref: String,
    /// The payer's / ordering reference (NTB, SP2D number, STS number) when the bank keeps one.
    pub customer_ref: Option<String>,
    pub narrative: String,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    /// Number of payments a bulk settlement covers.
    pub batch_count: Option<u32>,
    /// Booking date when it is not the statement's date (lines of an undelivered statement
    /// re-delivered in the next one keep their own booking date).
    pub booked_on: Option<NaiveDate>,
}

/// One account-day ready to write.
pub struct DayStatement<'a> {
    pub account: &'a Account,
    pub bank: &'a Bank,
    pub owner: &'a str,
    pub date: NaiveDate,
    /// camt `ElctrncSeqNb` / MT940 `:28C:` statement number, continuing across days.
    pub seq: u64,
    pub opening_sen: i64,
    pub closing_sen: i64,
    pub lines: &'a [BankLine],
}

/// Lines per MT940 message before the statement continues on a new page (`:62M:`/`:60M:`).
pub const MT940_PAGE_LINES: usize = 250;

pub fn write(
    format: StatementFormatOut,
    s: &DayStatement<'_>,
    w: &mut impl Write,
) -> io::Result<()> {
    match format {
        StatementFormatOut::Camt053V02 => write_camt(s, false, w),
        StatementFormatOut::Camt053V08 => write_camt(s, true, w),
        StatementFormatOut::Mt940 => write_mt940(s, w),
        StatementFormatOut::CsvBankJatim => write_csv(s, CsvLayout::BankJatim, w),
        StatementFormatOut::CsvMandiriRekeningKoran => {
            write_csv(s, CsvLayout::MandiriRekeningKoran, w)
        }
    }
}

/// Writes `sen` as `1234567<mark>89`, with optional thousands grouping. Negative values get a
/// leading `-` (only balances can be negative).
pub fn write_amount(w: &mut impl Write, sen: i64, mark: u8, group: Option<u8>) -> io::Result<()> {
    let mut buf = [0u8; 40];
    let mut i = buf.len();
    let abs = sen.unsigned_abs();
    let frac = abs % 100;
    let mut int = abs / 100;
    i -= 1;
    buf[i] = b'0' + (frac % 10) as u8;
    i -= 1;
    buf[i] = b'0' + (frac / 10) as u8;
    i -= 1;
    buf[i] = mark;
    let mut digits = 0;
    loop {
        if digits > 0 && digits % 3 == 0 {
            if let Some(g) = group {
                i -= 1;
                buf[i] = g;
            }
        }
        i -= 1;
        buf[i] = b'0' + (int % 10) as u8;
        int /= 10;
        digits += 1;
        if int == 0 {
            break;
        }
    }
    if sen < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    w.write_all(&buf[i..])
}

fn xml_text(w: &mut impl Write, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            _ => continue,
        };
        w.write_all(&bytes[start..i])?;
        w.write_all(rep)?;
        start = i + 1;
    }
    w.write_all(&bytes[start..])
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn write_camt(s: &DayStatement<'_>, v08: bool, w: &mut impl Write) -> io::Result<()> {
    let (ns, version) = if v08 {
        ("urn:iso:std:iso:20022:tech:xsd:camt.053.001.08", "08")
    } else {
        ("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", "02")
    };
    let date = ymd(s.date);
    let msg_id = format!(
        "{}{}{:06}",
        s.bank.ref_prefix,
        s.date.format("%Y%m%d"),
        s.seq
    );
    let created = format!("{date}T23:59:59+07:00");
    writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(w, r#"<Document xmlns="{ns}">"#)?;
    writeln!(w, "<BkToCstmrStmt>")?;
    writeln!(
        w,
        "<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>{created}</CreDtTm><MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn></GrpHdr>"
    )?;
    writeln!(w, "<Stmt>")?;
    writeln!(
        w,
        "<Id>{}-{}</Id><ElctrncSeqNb>{}</ElctrncSeqNb><LglSeqNb>{}</LglSeqNb><CreDtTm>{created}</CreDtTm>",
        s.account.number, date, s.seq, s.seq
    )?;
    writeln!(
        w,
        "<FrToDt><FrDtTm>{}T00:00:00+07:00</FrDtTm><ToDtTm>{date}T23:59:59+07:00</ToDtTm></FrToDt>",
        // A statement that re-delivers an undelivered day's lines covers that day too.
        s.lines
            .iter()
            .filter_map(|l| l.booked_on)
            .min()
            .map_or_else(|| date.clone(), ymd)
    )?;
    write!(
        w,
        "<Acct><Id><Othr><Id>{}</Id></Othr></Id><Ccy>IDR</Ccy><Nm>",
        s.account.number
    )?;
    xml_text(w, &s.account.name)?;
    write!(w, "</Nm><Ownr><Nm>")?;
    xml_text(w, s.owner)?;
    let bic_tag = if v08 { "BICFI" } else { "BIC" };
    write!(
        w,
        "</Nm></Ownr><Svcr><FinInstnId><{bic_tag}>{}</{bic_tag}><Nm>",
        s.bank.bic
    )?;
    xml_text(w, s.bank.name)?;
    writeln!(w, "</Nm></FinInstnId></Svcr></Acct>")?;
    let prev = s.date.pred_opt().unwrap_or(s.date);
    camt_balance(w, "OPBD", s.opening_sen, prev)?;
    camt_balance(w, "CLBD", s.closing_sen, s.date)?;
    camt_balance(w, "CLAV", s.closing_sen, s.date)?;
    let (mut nc, mut sc, mut nd, mut sd) = (0u64, 0i64, 0u64, 0i64);
    for l in s.lines {
        match l.direction {
            Direction::Credit => {
                nc += 1;
                sc += l.amount_sen;
            }
            Direction::Debit => {
                nd += 1;
                sd += l.amount_sen;
            }
        }
    }
    write!(
        w,
        "<TxsSummry><TtlNtries><NbOfNtries>{}</NbOfNtries><Sum>",
        nc + nd
    )?;
    write_amount(w, sc + sd, b'.', None)?;
    write!(
        w,
        "</Sum></TtlNtries><TtlCdtNtries><NbOfNtries>{nc}</NbOfNtries><Sum>"
    )?;
    write_amount(w, sc, b'.', None)?;
    write!(
        w,
        "</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>{nd}</NbOfNtries><Sum>"
    )?;
    write_amount(w, sd, b'.', None)?;
    writeln!(w, "</Sum></TtlDbtNtries></TxsSummry>")?;
    for (i, l) in s.lines.iter().enumerate() {
        camt_entry(w, s, l, i, v08, &date)?;
    }
    writeln!(w, "</Stmt>")?;
    writeln!(w, "</BkToCstmrStmt>")?;
    writeln!(w, "</Document>")?;
    let _ = version;
    Ok(())
}

fn camt_balance(w: &mut impl Write, code: &str, sen: i64, date: NaiveDate) -> io::Result<()> {
    write!(
        w,
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"IDR\">"
    )?;
    write_amount(w, sen.abs(), b'.', None)?;
    let ind = if sen < 0 { "DBIT" } else { "CRDT" };
    writeln!(
        w,
        "</Amt><CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>{}</Dt></Dt></Bal>",
        ymd(date)
    )
}

fn camt_entry(
    w: &mut impl Write,
    s: &DayStatement<'_>,
    l: &BankLine,
    index: usize,
    v08: bool,
    date: &str,
) -> io::Result<()> {
    let ind = match l.direction {
        Direction::Credit => "CRDT",
        Direction::Debit => "DBIT",
    };
    write!(w, "<Ntry><NtryRef>{}</NtryRef><Amt Ccy=\"IDR\">", index + 1)?;
    write_amount(w, l.amount_sen, b'.', None)?;
    write!(w, "</Amt><CdtDbtInd>{ind}</CdtDbtInd>")?;
    if l.reversal {
        write!(w, "<RvslInd>true</RvslInd>")?;
    }
    if v08 {
        write!(w, "<Sts><Cd>BOOK</Cd></Sts>")?;
    } else {
        write!(w, "<Sts>BOOK</Sts>")?;
    }
    let hh = l.time_secs / 3600;
    let mm = (l.time_secs / 60) % 60;
    let ss = l.time_secs % 60;
    let booked = l.booked_on.map(ymd);
    let booked = booked.as_deref().unwrap_or(date);
    write!(
        w,
        "<BookgDt><DtTm>{booked}T{hh:02}:{mm:02}:{ss:02}+07:00</DtTm></BookgDt><ValDt><Dt>{}</Dt></ValDt><AcctSvcrRef>",
        if l.value_date == s.date {
            std::borrow::Cow::Borrowed(date)
        } else {
            std::borrow::Cow::Owned(ymd(l.value_date))
        }
    )?;
    xml_text(w, &l.bank_ref)?;
    let (dom, fam, sub) = l.kind.iso(l.direction);
    write!(
        w,
        "</AcctSvcrRef><BkTxCd><Domn><Cd>{dom}</Cd><Fmly><Cd>{fam}</Cd><SubFmlyCd>{sub}</SubFmlyCd></Fmly></Domn><Prtry><Cd>{}</Cd><Issr>{}</Issr></Prtry></BkTxCd>",
        l.kind.swift(),
        s.bank.bic
    )?;
    write!(w, "<NtryDtls>")?;
    if let Some(n) = l.batch_count {
        write!(w, "<Btch><NbOfTxs>{n}</NbOfTxs></Btch>")?;
    }
    write!(w, "<TxDtls><Refs><AcctSvcrRef>")?;
    xml_text(w, &l.bank_ref)?;
    write!(w, "</AcctSvcrRef><EndToEndId>")?;
    xml_text(w, l.customer_ref.as_deref().unwrap_or("NOTPROVIDED"))?;
    write!(w, "</EndToEndId></Refs>")?;
    if l.counterparty_name.is_some() || l.counterparty_account.is_some() {
        let (party, acct) = match l.direction {
            Direction::Credit => ("Dbtr", "DbtrAcct"),
            Direction::Debit => ("Cdtr", "CdtrAcct"),
        };
        write!(w, "<RltdPties>")?;
        if let Some(name) = &l.counterparty_name {
            if v08 {
                write!(w, "<{party}><Pty><Nm>")?;
                xml_text(w, name)?;
                write!(w, "</Nm></Pty></{party}>")?;
            } else {
                write!(w, "<{party}><Nm>")?;
                xml_text(w, name)?;
                write!(w, "</Nm></{party}>")?;
            }
        }
        if let Some(a) = &l.counterparty_account {
            write!(w, "<{acct}><Id><Othr><Id>")?;
            xml_text(w, a)?;
            write!(w, "</Id></Othr></Id></{acct}>")?;
        }
        write!(w, "</RltdPties>")?;
    }
    write!(w, "<RmtInf><Ustrd>")?;
    // camt Ustrd is limited to 140 characters.
    xml_text(w, truncate(&l.narrative, 140))?;
    writeln!(w, "</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")
}

fn truncate(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// SWIFT `x` character set: letters, digits and `/-?:().,'+ ` and space. Anything else becomes a
/// space, as bank gateways do.
fn swift_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect()
}

fn swift_date(d: NaiveDate) -> String {
    format!("{:02}{:02}{:02}", d.year() % 100, d.month(), d.day())
}

fn mt940_balance(w: &mut impl Write, tag: &str, sen: i64, date: NaiveDate) -> io::Result<()> {
    let mark = if sen < 0 { 'D' } else { 'C' };
    write!(w, ":{tag}:{mark}{}IDR", swift_date(date))?;
    write_amount(w, sen.abs(), b',', None)?;
    w.write_all(b"\r\n")
}

fn write_mt940(s: &DayStatement<'_>, w: &mut impl Write) -> io::Result<()> {
    let pages: Vec<&[BankLine]> = if s.lines.is_empty() {
        vec![&[]]
    } else {
        s.lines.chunks(MT940_PAGE_LINES).collect()
    };
    let page_count = pages.len();
    let mut balance = s.opening_sen;
    let receiver = "PEMDAXXXXXXX";
    let prev = s.date.pred_opt().unwrap_or(s.date);
    for (p, lines) in pages.into_iter().enumerate() {
        let bic = format!("{:X<8}XXXX", s.bank.bic);
        write!(
            w,
            "{{1:F01{}0000000000}}{{2:I940{receiver}N}}{{4:\r\n",
            &bic[..12.min(bic.len())]
        )?;
        write!(
            w,
            ":20:{}{:06}\r\n",
            s.date.format("%Y%m%d"),
            s.seq % 1_000_000
        )?;
        write!(w, ":25:{}\r\n", s.account.number)?;
        write!(w, ":28C:{:05}/{:03}\r\n", s.seq % 100_000, p + 1)?;
        if p == 0 {
            mt940_balance(w, "60F", balance, prev)?;
        } else {
            mt940_balance(w, "60M", balance, s.date)?;
        }
        for l in lines {
            let mark = match (l.direction, l.reversal) {
                (Direction::Credit, false) => "C",
                (Direction::Debit, false) => "D",
                // Reversal of a credit is a debit (RC), reversal of a debit a credit (RD).
                (Direction::Debit, true) => "RC",
                (Direction::Credit, true) => "RD",
            };
            let cref = l
                .customer_ref
                .as_deref()
                .map(|r| swift_text(truncate(r, 16)).replace(' ', ""))
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "NONREF".into());
            write!(
                w,
                ":61:{}{:02}{:02}{mark}",
                swift_date(l.value_date),
                l.booked_on.unwrap_or(s.date).month(),
                l.booked_on.unwrap_or(s.date).day()
            )?;
            write_amount(w, l.amount_sen, b',', None)?;
            write!(
                w,
                "{}{}//{}\r\n",
                l.kind.swift(),
                cref,
                truncate(&l.bank_ref, 16)
            )?;
            let text = swift_text(&l.narrative);
            let mut first = true;
            let mut rest = text.as_str();
            let mut n = 0;
            while n < 6 && (first || !rest.is_empty()) {
                let chunk = truncate(rest, 65);
                if first {
                    write!(w, ":86:{chunk}\r\n")?;
                    first = false;
                } else {
                    write!(w, "{chunk}\r\n")?;
                }
                rest = &rest[chunk.len()..];
                n += 1;
            }
            balance += l.direction.signed_sen(l.amount_sen);
        }
        if p + 1 == page_count {
            mt940_balance(w, "62F", balance, s.date)?;
            mt940_balance(w, "64", balance, s.date)?;
        } else {
            mt940_balance(w, "62M", balance, s.date)?;
        }
        w.write_all(b"-}\r\n")?;
    }
    Ok(())
}

/// Signed sen from a direction, kept next to the writers that need it.
pub trait SignedSen {
    fn signed_sen(self, amount_sen: i64) -> i64;
}

impl SignedSen for Direction {
    fn signed_sen(self, amount_sen: i64) -> i64 {
        match self {
            Direction::Credit => amount_sen,
            Direction::Debit => -amount_sen,
        }
    }
}

#[derive(Clone, Copy)]
enum CsvLayout {
    BankJatim,
    MandiriRekeningKoran,
}

fn csv_field(w: &mut impl Write, text: &str, sep: u8) -> io::Result<()> {
    let needs = text
        .bytes()
        .any(|b| b == sep || b == b'"' || b == b'\n' || b == b'\r');
    if !needs {
        return w.write_all(text.as_bytes());
    }
    w.write_all(b"\"")?;
    w.write_all(text.replace('"', "\"\"").as_bytes())?;
    w.write_all(b"\"")
}

fn csv_amount(w: &mut impl Write, sen: i64, layout: CsvLayout) -> io::Result<()> {
    match layout {
        CsvLayout::BankJatim => {
            // English locale with grouping: quoted when it holds a comma, as the sample shows.
            if sen.abs() >= 100_000 {
                w.write_all(b"\"")?;
                write_amount(w, sen, b'.', Some(b','))?;
                w.write_all(b"\"")
            } else {
                write_amount(w, sen, b'.', Some(b','))
            }
        }
        CsvLayout::MandiriRekeningKoran => write_amount(w, sen, b',', Some(b'.')),
    }
}

fn write_csv(s: &DayStatement<'_>, layout: CsvLayout, w: &mut impl Write) -> io::Result<()> {
    let date = s.date.format("%d/%m/%Y").to_string();
    let mut balance = s.opening_sen;
    match layout {
        CsvLayout::BankJatim => {
            // Title block as the bank's sheet has it: the account survives a day without rows.
            write!(w, "No. Rekening,{}\r\n", s.account.number)?;
            w.write_all(b"Post Date,Effective Date,Account,Name,Description,Currency,Debit,Credit,Balance,Reference No\r\n")?;
            for l in s.lines {
                balance += l.direction.signed_sen(l.amount_sen);
                let (debit, credit) = match l.direction {
                    Direction::Debit => (l.amount_sen, 0),
                    Direction::Credit => (0, l.amount_sen),
                };
                let post = l.booked_on.map(|d| d.format("%d/%m/%Y").to_string());
                write!(
                    w,
                    "{},{},{},",
                    post.as_deref().unwrap_or(&date),
                    l.value_date.format("%d/%m/%Y"),
                    s.account.number
                )?;
                csv_field(w, &s.account.name, b',')?;
                w.write_all(b",")?;
                csv_field(w, &l.narrative, b',')?;
                w.write_all(b",IDR,")?;
                csv_amount(w, debit, layout)?;
                w.write_all(b",")?;
                csv_amount(w, credit, layout)?;
                w.write_all(b",")?;
                csv_amount(w, balance, layout)?;
                w.write_all(b",")?;
                csv_field(w, &l.bank_ref, b',')?;
                w.write_all(b"\r\n")?;
            }
        }
        CsvLayout::MandiriRekeningKoran => {
            write!(w, "No. Rekening;{}\r\n", s.account.number)?;
            w.write_all(b"Tgl.;Tgl. Val.;Rincian Transaksi;No. Referensi;Debit;Kredit;Saldo;Branch Code\r\n")?;
            for l in s.lines {
                balance += l.direction.signed_sen(l.amount_sen);
                let (debit, credit) = match l.direction {
                    Direction::Debit => (l.amount_sen, 0),
                    Direction::Credit => (0, l.amount_sen),
                };
                let post = l.booked_on.map(|d| d.format("%d/%m/%Y").to_string());
                write!(
                    w,
                    "{};{};",
                    post.as_deref().unwrap_or(&date),
                    l.value_date.format("%d/%m/%Y")
                )?;
                csv_field(w, &l.narrative, b';')?;
                w.write_all(b";")?;
                csv_field(w, &l.bank_ref, b';')?;
                w.write_all(b";")?;
                csv_amount(w, debit, layout)?;
                w.write_all(b";")?;
                csv_amount(w, credit, layout)?;
                w.write_all(b";")?;
                csv_amount(w, balance, layout)?;
                w.write_all(b";13700\r\n")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amt(sen: i64, mark: u8, group: Option<u8>) -> String {
        let mut v = Vec::new();
        write_amount(&mut v, sen, mark, group).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn amounts_are_exact_in_every_notation() {
        assert_eq!(amt(0, b'.', None), "0.00");
        assert_eq!(amt(5, b',', None), "0,05");
        assert_eq!(amt(12_345_678_900, b'.', Some(b',')), "123,456,789.00");
        assert_eq!(amt(100_000, b',', Some(b'.')), "1.000,00");
        assert_eq!(amt(-99_950, b'.', None), "-999.50");
        assert_eq!(amt(i64::MAX, b'.', None), "92233720368547758.07");
    }

    #[test]
    fn text_is_escaped_and_truncated() {
        let mut v = Vec::new();
        xml_text(&mut v, "A&B <C>").unwrap();
        assert_eq!(v, b"A&amp;B &lt;C&gt;");
        assert_eq!(truncate("abcdef", 3), "abc");
        assert_eq!(swift_text("SP2D_01@X"), "SP2D 01 X");
    }
}
