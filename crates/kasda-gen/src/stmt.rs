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
use crate::text::{Arena, Span};
use crate::{fastdoc, StatementFormatOut};

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

/// One booked line on an account, its texts owned (the lines kept from one day to the next;
/// a day's lines live in a [`DayLines`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankLine {
    pub head: LineHead,
    /// The bank's booking reference (camt `AcctSvcrRef`, MT940 `//` reference, CSV reference).
    pub bank_ref: String,
    /// The payer's / ordering reference (NTB, SP2D number, STS number) when the bank keeps one.
    pub customer_ref: Option<String>,
    pub narrative: String,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
}

/// The scalar part of a booked line (everything but its texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineHead {
    /// Seconds after midnight (WIB) the bank booked it; lines are written in this order.
    pub time_secs: u32,
    pub value_date: NaiveDate,
    pub direction: Direction,
    /// True for the bank's own reversal of an earlier line (MT940 `RC`/`RD`, camt `RvslInd`).
    pub reversal: bool,
    pub amount_sen: i64,
    pub kind: TxKind,
    /// Number of payments a bulk settlement covers.
    pub batch_count: Option<u32>,
    /// Booking date when it is not the statement's date (lines of an undelivered statement
    /// re-delivered in the next one keep their own booking date).
    pub booked_on: Option<NaiveDate>,
}

impl LineHead {
    /// A line booked on its statement's day: not a reversal, not a batch.
    pub fn new(
        time_secs: u32,
        value_date: NaiveDate,
        direction: Direction,
        amount_sen: i64,
        kind: TxKind,
    ) -> LineHead {
        LineHead {
            time_secs,
            value_date,
            direction,
            reversal: false,
            amount_sen,
            kind,
            batch_count: None,
            booked_on: None,
        }
    }
}

/// A line of a [`DayLines`]: its scalars, and its texts as spans of the arena.
#[derive(Debug, Clone, Copy)]
struct Rec {
    head: LineHead,
    bank_ref: Span,
    customer_ref: Span,
    narrative: Span,
    counterparty_name: Span,
    counterparty_account: Span,
}

/// One account's lines of a day, their texts end to end in one string: a province day books
/// ~130,000 lines, and five owned strings per line were a fifth of the simulation's
/// instructions (allocating, cloning, freeing). Cleared and refilled day after day.
#[derive(Debug, Default, Clone)]
pub struct DayLines {
    text: Arena,
    recs: Vec<Rec>,
}

/// A line of a [`DayLines`] as the writers read it.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub head: LineHead,
    pub bank_ref: &'a str,
    pub customer_ref: Option<&'a str>,
    pub narrative: &'a str,
    pub counterparty_name: Option<&'a str>,
    pub counterparty_account: Option<&'a str>,
}

impl DayLines {
    fn span(&mut self, parts: &[&str]) -> Span {
        self.text.push(parts)
    }

    fn span_opt(&mut self, s: Option<&str>) -> Span {
        self.text.push_opt(s)
    }

    fn get(&self, s: Span) -> Option<&str> {
        self.text.get(s)
    }

    /// Books `head` with its texts; the narrative is `narrative`'s parts end to end.
    pub fn push_parts(
        &mut self,
        head: LineHead,
        bank_ref: &str,
        customer_ref: Option<&str>,
        narrative: &[&str],
        counterparty_name: Option<&str>,
        counterparty_account: Option<&str>,
    ) {
        let rec = Rec {
            head,
            bank_ref: self.span(&[bank_ref]),
            customer_ref: self.span_opt(customer_ref),
            narrative: self.span(narrative),
            counterparty_name: self.span_opt(counterparty_name),
            counterparty_account: self.span_opt(counterparty_account),
        };
        self.recs.push(rec);
    }

    /// Books an owned line.
    pub fn push(&mut self, l: &BankLine) {
        self.push_parts(
            l.head,
            &l.bank_ref,
            l.customer_ref.as_deref(),
            &[&l.narrative],
            l.counterparty_name.as_deref(),
            l.counterparty_account.as_deref(),
        );
    }

    /// Appends every line of `other` after these.
    pub fn extend_from(&mut self, other: &DayLines) {
        for l in other.iter() {
            self.push_parts(
                l.head,
                l.bank_ref,
                l.customer_ref,
                &[l.narrative],
                l.counterparty_name,
                l.counterparty_account,
            );
        }
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.recs.clear();
    }

    pub fn heads(&self) -> impl Iterator<Item = &LineHead> + '_ {
        self.recs.iter().map(|r| &r.head)
    }

    /// Sets the booking date of every line that has none.
    pub fn set_booked_on(&mut self, date: NaiveDate) {
        for r in &mut self.recs {
            r.head.booked_on.get_or_insert(date);
        }
    }

    pub fn line(&self, i: usize) -> Line<'_> {
        let r = &self.recs[i];
        Line {
            head: r.head,
            bank_ref: self.get(r.bank_ref).unwrap_or_default(),
            customer_ref: self.get(r.customer_ref),
            narrative: self.get(r.narrative).unwrap_or_default(),
            counterparty_name: self.get(r.counterparty_name),
            counterparty_account: self.get(r.counterparty_account),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Line<'_>> + '_ {
        (0..self.recs.len()).map(|i| self.line(i))
    }

    /// Orders the lines by booking time, equal times in the order they were booked (what a
    /// stable sort gives), by a counting sort over the day's seconds.
    pub fn sort_by_time(&mut self) {
        if self.recs.is_sorted_by_key(|r| r.head.time_secs) {
            return;
        }
        let order = stable_order(self.recs.iter().map(|r| r.head.time_secs));
        let sorted: Vec<Rec> = order.iter().map(|&i| self.recs[i as usize]).collect();
        self.recs = sorted;
    }
}

/// Positions of `keys` in stable ascending order of key: a counting sort when there are many
/// and they are seconds of a day (a province's RKUD day), a sort of (key, position) pairs
/// otherwise (a kota's few hundred lines do not pay for 86,400 counters).
pub fn stable_order(keys: impl ExactSizeIterator<Item = u32> + Clone) -> Vec<u32> {
    const DAY: usize = 86_400;
    let n = keys.len();
    if n >= 4_096 && keys.clone().all(|k| (k as usize) < DAY) {
        let mut start = vec![0u32; DAY + 1];
        for k in keys.clone() {
            start[k as usize + 1] += 1;
        }
        for i in 1..=DAY {
            start[i] += start[i - 1];
        }
        let mut order = vec![0u32; n];
        for (i, k) in keys.enumerate() {
            let at = &mut start[k as usize];
            order[*at as usize] = i as u32;
            *at += 1;
        }
        return order;
    }
    let mut pairs: Vec<u64> = keys
        .enumerate()
        .map(|(i, k)| (u64::from(k) << 32) | i as u64)
        .collect();
    pairs.sort_unstable();
    pairs.into_iter().map(|p| p as u32).collect()
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
    pub lines: &'a DayLines,
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
    let mut int = abs / 100;
    i -= 2;
    buf[i..i + 2].copy_from_slice(pair(abs % 100));
    i -= 1;
    buf[i] = mark;
    match group {
        // Two digits at a time.
        None => {
            while int >= 100 {
                i -= 2;
                buf[i..i + 2].copy_from_slice(pair(int % 100));
                int /= 100;
            }
            if int >= 10 {
                i -= 2;
                buf[i..i + 2].copy_from_slice(pair(int));
            } else {
                i -= 1;
                buf[i] = b'0' + int as u8;
            }
        }
        Some(g) => {
            let mut digits = 0;
            loop {
                if digits > 0 && digits % 3 == 0 {
                    i -= 1;
                    buf[i] = g;
                }
                i -= 1;
                buf[i] = b'0' + (int % 10) as u8;
                int /= 10;
                digits += 1;
                if int == 0 {
                    break;
                }
            }
        }
    }
    if sen < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    w.write_all(&buf[i..])
}

/// `00`, `01`, … `99`.
pub(crate) const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        t[2 * n] = b'0' + (n / 10) as u8;
        t[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    t
};

/// The two digits of `n` (< 100).
pub fn pair(n: u64) -> &'static [u8] {
    let at = (n % 100) as usize * 2;
    &PAIRS[at..at + 2]
}

fn xml_text(w: &mut impl Write, text: &str) -> io::Result<()> {
    let bytes = text.as_bytes();
    if !crate::text::has_special(bytes, false, [b'&', b'<', b'>', b'"']) {
        return w.write_all(bytes);
    }
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
            .heads()
            .filter_map(|h| h.booked_on)
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
    for h in s.lines.heads() {
        match h.direction {
            Direction::Credit => {
                nc += 1;
                sc += h.amount_sen;
            }
            Direction::Debit => {
                nd += 1;
                sd += h.amount_sen;
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
    let fixed = CamtFixed::new(s.bank.bic, v08);
    camt_entries(s, &fixed, &date, w)?;
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

/// Appends `n` zero-padded to two digits (`{n:02}`).
fn two(b: &mut Vec<u8>, n: u32) {
    if n < 100 {
        b.push(b'0' + (n / 10) as u8);
        b.push(b'0' + (n % 10) as u8);
    } else {
        fastdoc::uint(b, u64::from(n));
    }
}

/// `HH:MM:SS` of seconds after midnight.
fn hms(b: &mut Vec<u8>, secs: u32) {
    two(b, secs / 3600);
    b.push(b':');
    two(b, (secs / 60) % 60);
    b.push(b':');
    two(b, secs % 60);
}

/// Entries per block when a statement's entries are encoded on two threads.
const CAMT_BLOCK: usize = 1_024;

/// Writes the statement's entries in order. A long statement (a province's RKUD books
/// ~130,000 lines a day, written when the day's other work is done) is encoded in blocks by
/// two threads: a helper encodes the odd blocks into buffers while this thread encodes the
/// even ones, and writes every block in turn; at most two encoded blocks wait.
fn camt_entries(
    s: &DayStatement<'_>,
    fixed: &CamtFixed,
    date: &str,
    w: &mut impl Write,
) -> io::Result<()> {
    let n = s.lines.len();
    let encode = |b: &mut Vec<u8>, block: usize| {
        for i in block * CAMT_BLOCK..((block + 1) * CAMT_BLOCK).min(n) {
            camt_entry(b, s, &s.lines.line(i), i, fixed, date);
        }
    };
    let blocks = n.div_ceil(CAMT_BLOCK);
    let mut b = Vec::with_capacity(CAMT_BLOCK * 640);
    if blocks < 4 {
        for block in 0..blocks {
            b.clear();
            encode(&mut b, block);
            w.write_all(&b)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || {
            for block in (1..blocks).step_by(2) {
                let mut odd = spare
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(CAMT_BLOCK * 640));
                odd.clear();
                encode(&mut odd, block);
                // The writer stopped (a write failed): nothing more to do.
                if tx.send(odd).is_err() {
                    return;
                }
            }
        });
        for block in 0..blocks {
            if block % 2 == 0 {
                b.clear();
                encode(&mut b, block);
                w.write_all(&b)?;
            } else {
                let odd = rx
                    .recv()
                    .map_err(|_| io::Error::other("camt entry encoder stopped"))?;
                w.write_all(&odd)?;
                let _ = back.send(odd);
            }
        }
        Ok(())
    })
}

/// The parts of a camt entry that depend only on the statement and on a line's direction,
/// reversal and kind, made once per statement: an entry is then a few copies of them around
/// its own values.
struct CamtFixed {
    v08: bool,
    /// `</Amt>` to `<BookgDt><DtTm>`, per direction (credit, debit) and reversal.
    after_amount: [[Vec<u8>; 2]; 2],
    /// `</AcctSvcrRef>` to `<NtryDtls>` (the bank transaction code), per kind and direction.
    codes: [[Vec<u8>; 2]; 5],
}

const TX_KINDS: [TxKind; 5] = [
    TxKind::Transfer,
    TxKind::Charge,
    TxKind::Interest,
    TxKind::Tax,
    TxKind::Cash,
];

const DIRECTIONS: [Direction; 2] = [Direction::Credit, Direction::Debit];

fn direction_index(d: Direction) -> usize {
    match d {
        Direction::Credit => 0,
        Direction::Debit => 1,
    }
}

impl CamtFixed {
    fn new(bic: &str, v08: bool) -> CamtFixed {
        let after_amount = DIRECTIONS.map(|d| {
            [false, true].map(|reversal| {
                let mut b = Vec::with_capacity(128);
                b.extend_from_slice(b"</Amt><CdtDbtInd>");
                b.extend_from_slice(match d {
                    Direction::Credit => b"CRDT",
                    Direction::Debit => b"DBIT",
                });
                b.extend_from_slice(b"</CdtDbtInd>");
                if reversal {
                    b.extend_from_slice(b"<RvslInd>true</RvslInd>");
                }
                if v08 {
                    b.extend_from_slice(b"<Sts><Cd>BOOK</Cd></Sts>");
                } else {
                    b.extend_from_slice(b"<Sts>BOOK</Sts>");
                }
                b.extend_from_slice(b"<BookgDt><DtTm>");
                b
            })
        });
        let codes = TX_KINDS.map(|kind| {
            DIRECTIONS.map(|d| {
                let (dom, fam, sub) = kind.iso(d);
                let mut b = Vec::with_capacity(256);
                for part in [
                    "</AcctSvcrRef><BkTxCd><Domn><Cd>",
                    dom,
                    "</Cd><Fmly><Cd>",
                    fam,
                    "</Cd><SubFmlyCd>",
                    sub,
                    "</SubFmlyCd></Fmly></Domn><Prtry><Cd>",
                    kind.swift(),
                    "</Cd><Issr>",
                    bic,
                    "</Issr></Prtry></BkTxCd><NtryDtls>",
                ] {
                    b.extend_from_slice(part.as_bytes());
                }
                b
            })
        });
        CamtFixed {
            v08,
            after_amount,
            codes,
        }
    }

    fn codes(&self, kind: TxKind, d: Direction) -> &[u8] {
        let k = TX_KINDS.iter().position(|&x| x == kind).unwrap_or(0);
        &self.codes[k][direction_index(d)]
    }
}

fn camt_entry(
    b: &mut Vec<u8>,
    s: &DayStatement<'_>,
    l: &Line<'_>,
    index: usize,
    fixed: &CamtFixed,
    date: &str,
) {
    // Writing into a Vec cannot fail.
    let v08 = fixed.v08;
    b.extend_from_slice(b"<Ntry><NtryRef>");
    fastdoc::uint(b, index as u64 + 1);
    b.extend_from_slice(b"</NtryRef><Amt Ccy=\"IDR\">");
    let _ = write_amount(b, l.head.amount_sen, b'.', None);
    b.extend_from_slice(
        &fixed.after_amount[direction_index(l.head.direction)][usize::from(l.head.reversal)],
    );
    match l.head.booked_on {
        Some(d) => fastdoc::date(b, d),
        None => b.extend_from_slice(date.as_bytes()),
    }
    b.push(b'T');
    hms(b, l.head.time_secs);
    b.extend_from_slice(b"+07:00</DtTm></BookgDt><ValDt><Dt>");
    if l.head.value_date == s.date {
        b.extend_from_slice(date.as_bytes());
    } else {
        fastdoc::date(b, l.head.value_date);
    }
    b.extend_from_slice(b"</Dt></ValDt><AcctSvcrRef>");
    let _ = xml_text(b, l.bank_ref);
    b.extend_from_slice(fixed.codes(l.head.kind, l.head.direction));
    if let Some(n) = l.head.batch_count {
        b.extend_from_slice(b"<Btch><NbOfTxs>");
        fastdoc::uint(b, u64::from(n));
        b.extend_from_slice(b"</NbOfTxs></Btch>");
    }
    b.extend_from_slice(b"<TxDtls><Refs><AcctSvcrRef>");
    let _ = xml_text(b, l.bank_ref);
    b.extend_from_slice(b"</AcctSvcrRef><EndToEndId>");
    let _ = xml_text(b, l.customer_ref.unwrap_or("NOTPROVIDED"));
    b.extend_from_slice(b"</EndToEndId></Refs>");
    if l.counterparty_name.is_some() || l.counterparty_account.is_some() {
        let (party, acct): (&[u8], &[u8]) = match l.head.direction {
            Direction::Credit => (b"Dbtr", b"DbtrAcct"),
            Direction::Debit => (b"Cdtr", b"CdtrAcct"),
        };
        b.extend_from_slice(b"<RltdPties>");
        if let Some(name) = &l.counterparty_name {
            b.push(b'<');
            b.extend_from_slice(party);
            b.extend_from_slice(if v08 { b"><Pty><Nm>" } else { b"><Nm>" });
            let _ = xml_text(b, name);
            b.extend_from_slice(if v08 { b"</Nm></Pty></" } else { b"</Nm></" });
            b.extend_from_slice(party);
            b.push(b'>');
        }
        if let Some(a) = &l.counterparty_account {
            b.push(b'<');
            b.extend_from_slice(acct);
            b.extend_from_slice(b"><Id><Othr><Id>");
            let _ = xml_text(b, a);
            b.extend_from_slice(b"</Id></Othr></Id></");
            b.extend_from_slice(acct);
            b.push(b'>');
        }
        b.extend_from_slice(b"</RltdPties>");
    }
    b.extend_from_slice(b"<RmtInf><Ustrd>");
    // camt Ustrd is limited to 140 characters.
    let _ = xml_text(b, truncate(l.narrative, 140));
    b.extend_from_slice(b"</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n");
}

fn truncate(text: &str, max_chars: usize) -> &str {
    // No more bytes than the limit: no more characters either.
    if text.len() <= max_chars {
        return text;
    }
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// SWIFT `x` character set: letters, digits and `/-?:().,'+ ` and space. Anything else becomes a
/// space, as bank gateways do.
#[cfg(test)]
fn swift_text(text: &str) -> String {
    text.chars()
        .map(|c| if swift_char(c) { c } else { ' ' })
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
    // Index ranges of the pages; a day without lines is one empty page.
    let n = s.lines.len();
    let pages: Vec<std::ops::Range<usize>> = (0..n.max(1))
        .step_by(MT940_PAGE_LINES)
        .map(|i| i..(i + MT940_PAGE_LINES).min(n))
        .collect();
    let page_count = pages.len();
    let mut balance = s.opening_sen;
    let receiver = "PEMDAXXXXXXX";
    let prev = s.date.pred_opt().unwrap_or(s.date);
    let mut b = Vec::with_capacity(512);
    let mut text = Vec::with_capacity(256);
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
        for l in lines.map(|i| s.lines.line(i)) {
            b.clear();
            mt940_line(&mut b, s, &l, &mut text);
            w.write_all(&b)?;
            balance += l.head.direction.signed_sen(l.head.amount_sen);
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

/// SWIFT `x` character set test of [`swift_text`].
fn swift_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)
}

/// `YYMMDD` as [`swift_date`] writes it.
fn swift_date_into(b: &mut Vec<u8>, d: NaiveDate) {
    if d.year() >= 0 {
        two(b, (d.year() % 100) as u32);
        two(b, d.month());
        two(b, d.day());
    } else {
        b.extend_from_slice(swift_date(d).as_bytes());
    }
}

/// One `:61:` line and its `:86:` narrative (≤ 6 × 65 characters), with the bytes
/// [`swift_text`] and [`truncate`] give, built without intermediate strings. `text` is scratch.
fn mt940_line(b: &mut Vec<u8>, s: &DayStatement<'_>, l: &Line<'_>, text: &mut Vec<u8>) {
    let mark: &[u8] = match (l.head.direction, l.head.reversal) {
        (Direction::Credit, false) => b"C",
        (Direction::Debit, false) => b"D",
        // Reversal of a credit is a debit (RC), reversal of a debit a credit (RD).
        (Direction::Debit, true) => b"RC",
        (Direction::Credit, true) => b"RD",
    };
    let booked = l.head.booked_on.unwrap_or(s.date);
    b.extend_from_slice(b":61:");
    swift_date_into(b, l.head.value_date);
    two(b, booked.month());
    two(b, booked.day());
    b.extend_from_slice(mark);
    // Writing into a Vec cannot fail.
    let _ = write_amount(b, l.head.amount_sen, b',', None);
    b.extend_from_slice(l.head.kind.swift().as_bytes());
    // Customer reference: SWIFT characters of its first 16, spaces (and what becomes one)
    // dropped; NONREF when nothing is left.
    let start = b.len();
    if let Some(r) = l.customer_ref {
        for c in truncate(r, 16).chars() {
            if c != ' ' && swift_char(c) {
                b.push(c as u8);
            }
        }
    }
    if b.len() == start {
        b.extend_from_slice(b"NONREF");
    }
    b.extend_from_slice(b"//");
    b.extend_from_slice(truncate(l.bank_ref, 16).as_bytes());
    b.extend_from_slice(b"\r\n");
    // SWIFT text is ASCII, one byte per character of the narrative.
    text.clear();
    text.extend(
        l.narrative
            .chars()
            .map(|c| if swift_char(c) { c as u8 } else { b' ' }),
    );
    b.extend_from_slice(b":86:");
    if text.is_empty() {
        b.extend_from_slice(b"\r\n");
    }
    for chunk in text.chunks(65).take(6) {
        b.extend_from_slice(chunk);
        b.extend_from_slice(b"\r\n");
    }
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
    let needs = crate::text::has_special(text.as_bytes(), false, [sep, b'"', b'\n', b'\r']);
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

/// `DD/MM/YYYY` as chrono's `%d/%m/%Y` writes it.
fn dmy(b: &mut Vec<u8>, d: NaiveDate) {
    if (1000..=9999).contains(&d.year()) {
        two(b, d.day());
        b.push(b'/');
        two(b, d.month());
        b.push(b'/');
        two(b, d.year() as u32 / 100);
        two(b, d.year() as u32 % 100);
    } else {
        b.extend_from_slice(d.format("%d/%m/%Y").to_string().as_bytes());
    }
}

fn write_csv(s: &DayStatement<'_>, layout: CsvLayout, w: &mut impl Write) -> io::Result<()> {
    let mut balance = s.opening_sen;
    // Each row is built in `b` (writing into a Vec cannot fail) and written whole.
    let mut b = Vec::with_capacity(512);
    let post = |b: &mut Vec<u8>, l: &Line<'_>| dmy(b, l.head.booked_on.unwrap_or(s.date));
    match layout {
        CsvLayout::BankJatim => {
            // Title block as the bank's sheet has it: the account survives a day without rows.
            write!(w, "No. Rekening,{}\r\n", s.account.number)?;
            w.write_all(b"Post Date,Effective Date,Account,Name,Description,Currency,Debit,Credit,Balance,Reference No\r\n")?;
            for l in s.lines.iter() {
                balance += l.head.direction.signed_sen(l.head.amount_sen);
                let (debit, credit) = match l.head.direction {
                    Direction::Debit => (l.head.amount_sen, 0),
                    Direction::Credit => (0, l.head.amount_sen),
                };
                b.clear();
                post(&mut b, &l);
                b.push(b',');
                dmy(&mut b, l.head.value_date);
                b.push(b',');
                b.extend_from_slice(s.account.number.as_bytes());
                b.push(b',');
                let _ = csv_field(&mut b, &s.account.name, b',');
                b.push(b',');
                let _ = csv_field(&mut b, l.narrative, b',');
                b.extend_from_slice(b",IDR,");
                let _ = csv_amount(&mut b, debit, layout);
                b.push(b',');
                let _ = csv_amount(&mut b, credit, layout);
                b.push(b',');
                let _ = csv_amount(&mut b, balance, layout);
                b.push(b',');
                let _ = csv_field(&mut b, l.bank_ref, b',');
                b.extend_from_slice(b"\r\n");
                w.write_all(&b)?;
            }
        }
        CsvLayout::MandiriRekeningKoran => {
            write!(w, "No. Rekening;{}\r\n", s.account.number)?;
            w.write_all(b"Tgl.;Tgl. Val.;Rincian Transaksi;No. Referensi;Debit;Kredit;Saldo;Branch Code\r\n")?;
            for l in s.lines.iter() {
                balance += l.head.direction.signed_sen(l.head.amount_sen);
                let (debit, credit) = match l.head.direction {
                    Direction::Debit => (l.head.amount_sen, 0),
                    Direction::Credit => (0, l.head.amount_sen),
                };
                b.clear();
                post(&mut b, &l);
                b.push(b';');
                dmy(&mut b, l.head.value_date);
                b.push(b';');
                let _ = csv_field(&mut b, l.narrative, b';');
                b.push(b';');
                let _ = csv_field(&mut b, l.bank_ref, b';');
                b.push(b';');
                let _ = csv_amount(&mut b, debit, layout);
                b.push(b';');
                let _ = csv_amount(&mut b, credit, layout);
                b.push(b';');
                let _ = csv_amount(&mut b, balance, layout);
                b.extend_from_slice(b";13700\r\n");
                w.write_all(&b)?;
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
        assert_eq!(amt(i64::MIN, b'.', None), "-92233720368547758.08");
        // Every width of the integer part, against the formatter.
        let mut n: i64 = 7;
        for _ in 0..18 {
            for sen in [n, n * 10 + 3, -n] {
                let want = format!(
                    "{}{}.{:02}",
                    if sen < 0 { "-" } else { "" },
                    sen.unsigned_abs() / 100,
                    sen.unsigned_abs() % 100
                );
                assert_eq!(amt(sen, b'.', None), want);
            }
            n = n * 10 + 9;
        }
    }

    fn line(day: NaiveDate, time_secs: u32, n: usize) -> BankLine {
        BankLine {
            head: LineHead {
                time_secs,
                value_date: day,
                direction: Direction::Credit,
                reversal: false,
                amount_sen: n as i64,
                kind: TxKind::Transfer,
                batch_count: None,
                booked_on: None,
            },
            bank_ref: format!("REF{n}"),
            customer_ref: n.is_multiple_of(2).then(|| format!("C{n}")),
            narrative: format!("N {n}"),
            counterparty_name: n.is_multiple_of(3).then(|| format!("P{n}")),
            counterparty_account: n.is_multiple_of(5).then(|| format!("A{n}")),
        }
    }

    /// The line as a [`DayLines`] hands it back, owned again.
    fn owned(l: Line<'_>) -> BankLine {
        BankLine {
            head: l.head,
            bank_ref: l.bank_ref.to_string(),
            customer_ref: l.customer_ref.map(str::to_string),
            narrative: l.narrative.to_string(),
            counterparty_name: l.counterparty_name.map(str::to_string),
            counterparty_account: l.counterparty_account.map(str::to_string),
        }
    }

    #[test]
    fn day_lines_keep_texts_and_sort_by_time_as_a_stable_sort_does() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        // Runs in order, late arrivals, and many equal times.
        let times = [5, 9, 9, 1, 7, 9, 3, 3, 0, 9, 5, 86_399, 2, 2, 9, 1];
        let mut expected: Vec<BankLine> = times
            .iter()
            .enumerate()
            .map(|(n, &t)| line(day, t, n))
            .collect();
        let mut lines = DayLines::default();
        for l in &expected {
            lines.push(l);
        }
        let back: Vec<BankLine> = lines.iter().map(owned).collect();
        assert_eq!(back, expected);
        expected.sort_by_key(|l| l.head.time_secs);
        lines.sort_by_time();
        assert_eq!(lines.iter().map(owned).collect::<Vec<_>>(), expected);
        // Already ordered lines stay as they are.
        lines.sort_by_time();
        assert_eq!(lines.iter().map(owned).collect::<Vec<_>>(), expected);
        // Parts end to end and an append keep their texts.
        let mut more = DayLines::default();
        let h = expected[0].head;
        more.push_parts(h, "R", None, &["A ", "B", "", " C"], Some("N"), None);
        more.push_parts(h, "R", None, &["A B", " C"], Some("N"), None);
        lines.extend_from(&more);
        let tail: Vec<BankLine> = lines.iter().skip(times.len()).map(owned).collect();
        assert_eq!(tail.len(), 2);
        assert_eq!(tail[0], tail[1]);
        assert_eq!(tail[0].narrative, "A B C");
        assert_eq!(tail[0].customer_ref, None);
        assert_eq!(tail[0].counterparty_name.as_deref(), Some("N"));
    }

    /// A statement long enough for the two-thread block encoding gives the entries one thread
    /// writes one by one, in both camt versions.
    #[test]
    fn long_camt_statements_are_the_entries_in_order() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let p = crate::pemda::build(crate::Profile::Provinsi, &crate::Formats::default());
        let mut lines = DayLines::default();
        let n = 5 * CAMT_BLOCK + 17;
        for i in 0..n {
            let mut l = line(day, (i * 7 % 86_400) as u32, i);
            l.head.direction = if i % 3 == 0 {
                Direction::Debit
            } else {
                Direction::Credit
            };
            l.head.reversal = i % 11 == 0;
            lines.push(&l);
        }
        let s = DayStatement {
            account: &p.accounts[0],
            bank: &p.banks[p.accounts[0].bank],
            owner: p.name,
            date: day,
            seq: 9,
            opening_sen: 0,
            closing_sen: 0,
            lines: &lines,
        };
        for v08 in [false, true] {
            let fixed = CamtFixed::new(s.bank.bic, v08);
            let mut one_by_one = Vec::new();
            for i in 0..n {
                camt_entry(&mut one_by_one, &s, &lines.line(i), i, &fixed, "2026-03-02");
            }
            let mut blocks = Vec::new();
            camt_entries(&s, &fixed, "2026-03-02", &mut blocks).unwrap();
            assert!(blocks == one_by_one, "v08 {v08}");
        }
    }

    #[test]
    fn stable_order_matches_a_stable_sort_beyond_a_day_too() {
        let many: Vec<u32> = (0..10_000u32).map(|i| (i * 7_919) % 86_400 / 3).collect();
        for keys in [
            vec![3u32, 1, 3, 0, 2, 1, 86_399, 0],
            vec![100_000, 5, 86_400, 5, 4_000_000_000, 0],
            vec![],
            many,
        ] {
            let mut want: Vec<u32> = (0..keys.len() as u32).collect();
            want.sort_by_key(|&i| keys[i as usize]);
            assert_eq!(stable_order(keys.iter().copied()), want, "{keys:?}");
        }
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
