//! The hot path's hot path: the usual `Ntry` (one transaction or none) read straight from its
//! recorded tokens into the shared [`Entry`], with no entry model in between.
//!
//! `fast.rs` builds the whole entry model (every element of every version: batches, charges,
//! agents, accounts, …) and `convert.rs` turns it into an `Entry`. For the shape nearly every
//! entry of a statement has, most of that model is empty values made, moved and dropped for
//! nothing. [`entry`] reads that shape alone and writes each value once into its place in the
//! `Entry`: the entry's own elements (`NtryRef`, `Amt`, `CdtDbtInd`, `RvslInd`, `Sts`, `BookgDt`,
//! `ValDt`, `AcctSvcrRef`, `BkTxCd` with `Domn` and `Prtry`, `AddtlNtryInf`) and at most one
//! `NtryDtls` holding at most one `TxDtls` with `Refs`, `Amt`, `CdtDbtInd`, `RltdPties` (`Dbtr`
//! and `Cdtr` by name, with or without `Pty`), `RmtInf/Ustrd` and `AddtlTxInf`. Values are
//! checked and converted by the functions of `convert.rs`, and texts are trimmed and unescaped
//! as `fast.rs` does it, so every value reads exactly as before.
//!
//! Anything else gives `None`, and the caller takes the two-step path, which also names the
//! error when there is one: an element not listed, an element repeated, an attribute other than
//! `Amt/@Ccy`, a batch, amount details, charges, accounts or agents of the parties, a comment
//! or CDATA, text where elements belong, a value that does not read, an entry without
//! `CdtDbtInd` (which the two-step path reports as a warning) or a `TxDtls` before the entry's
//! `Amt`. Debug builds hold every entry built here to the two-step path's (see `stream.rs`).

use kasda_core::money::Currency;
use kasda_core::statement::{
    BankTxCode, Entry, Party, References, Remittance, SourcePos, TxDetail,
};
use rust_decimal::Decimal;

use super::convert::{self, trimmed, Ctx, Field};
use super::fast::{is_xml_space, local, unescape, Cursor, Tok};
use super::model::{self, Txt};

/// `None`: leave this entry to the two-step path.
type Fast<T> = Option<T>;

/// Reads the next child of the element being walked: its local name, whether it is empty and
/// whether its start tag has attributes; `Some(None)` after the element's end tag. Blank text
/// between children is passed over; any other text, a comment or CDATA gives `None`.
#[inline(always)]
fn next_child<'t>(cur: &mut Cursor<'t>) -> Fast<Option<(&'t [u8], bool, bool)>> {
    loop {
        match *cur.tape.get(cur.i)? {
            Tok::Open {
                at,
                len,
                name_len,
                empty,
            } => {
                cur.i += 1;
                let name = cur.xml.as_bytes().get(at + 1..at + 1 + name_len)?;
                return Some(Some((local(name), empty, len != name_len)));
            }
            Tok::Close => {
                cur.i += 1;
                return Some(None);
            }
            Tok::Text { .. } => {
                if cur.text_run()?.is_some() {
                    return None;
                }
            }
            Tok::Other => return None,
        }
    }
}

/// Walks the children of the element just opened (none when it is `empty`): each must be one of
/// `names`, at most once, and without attributes except an `Amt`; `child` gets its index in
/// `names` and whether it is empty, and must read it.
fn children<'t>(
    cur: &mut Cursor<'t>,
    empty: bool,
    names: &[&[u8]],
    mut child: impl FnMut(&mut Cursor<'t>, usize, bool) -> Fast<()>,
) -> Fast<()> {
    if empty {
        return Some(());
    }
    let mut seen = 0u32;
    while let Some((name, empty, attributes)) = next_child(cur)? {
        let k = names.iter().position(|n| *n == name)?;
        if seen & (1 << k) != 0 || (attributes && name != b"Amt") {
            return None;
        }
        seen |= 1 << k;
        child(cur, k, empty)?;
    }
    Some(())
}

/// A text-only element as `Cursor::leaf` reads it; the usual `text</…>` directly.
#[inline]
fn leaf<'t>(cur: &mut Cursor<'t>, empty: bool) -> Fast<Txt<'t>> {
    if !empty {
        if let (Some(&Tok::Text { at, len }), Some(Tok::Close)) =
            (cur.tape.get(cur.i), cur.tape.get(cur.i + 1))
        {
            let raw = cur.xml.get(at..at + len)?;
            cur.i += 2;
            return unescape(raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n')));
        }
    }
    cur.leaf(empty)
}

/// A leaf as the shared model keeps it: trimmed, `None` when blank.
fn owned(cur: &mut Cursor<'_>, empty: bool) -> Fast<Option<String>> {
    Some(trimmed(&leaf(cur, empty)?))
}

/// An `Amt` element as `Cursor::ccy_amt` reads it; the usual `Ccy="…"` and plain text directly.
fn ccy_amt<'t>(cur: &mut Cursor<'t>, empty: bool, attributes: bool) -> Fast<model::CcyAmt<'t>> {
    let open = cur.i - 1;
    if let Some(ccy) = plain_ccy(cur, open) {
        let value = leaf(cur, empty)?;
        return Some(model::CcyAmt {
            ccy: Some(Txt(std::borrow::Cow::Borrowed(ccy))),
            value,
        });
    }
    if attributes {
        cur.check_attributes(open)?;
    }
    cur.ccy_amt(empty)
}

/// The currency of a start tag whose only attribute is written `Ccy="…"` (no reference in the
/// value, nothing else), as quick-xml reads it.
fn plain_ccy<'t>(cur: &Cursor<'t>, open: usize) -> Option<&'t str> {
    let (content, name_len) = cur.tag(open)?;
    let value = content
        .get(name_len..)?
        .strip_prefix(" Ccy=\"")?
        .strip_suffix('"')?;
    (!value.is_empty() && !value.contains(['"', '&'])).then_some(value)
}

/// An amount and its currency, as `convert::ccy_amount` reads them.
fn amount(
    ctx: &Ctx,
    amt: &model::CcyAmt,
    default_currency: Option<Currency>,
) -> Fast<(Decimal, Currency)> {
    convert::ccy_amount(ctx, Field::new("Amt"), amt, default_currency).ok()
}

/// `Dbtr`/`Cdtr` by name only (`Nm`, or `Pty/Nm`), as `convert::party` reads it.
fn party(cur: &mut Cursor<'_>, empty: bool) -> Fast<Party> {
    let mut name = None;
    let mut wrapped = None;
    children(cur, empty, &[b"Nm", b"Pty"], |cur, k, empty| {
        if k == 0 {
            name = owned(cur, empty)?;
        } else {
            let mut inner = None;
            children(cur, empty, &[b"Nm"], |cur, _, empty| {
                inner = owned(cur, empty)?;
                Some(())
            })?;
            wrapped = Some(inner);
        }
        Some(())
    })?;
    // `Pty` wins over a direct `Nm`; both at once is left to the two-step path.
    let name = match (wrapped, name) {
        (Some(_), Some(_)) => return None,
        (Some(inner), None) => inner,
        (None, name) => name,
    };
    Some(Party {
        name,
        ..Party::default()
    })
}

fn references(cur: &mut Cursor<'_>, empty: bool, r: &mut References) -> Fast<()> {
    const NAMES: [&[u8]; 9] = [
        b"MsgId",
        b"AcctSvcrRef",
        b"PmtInfId",
        b"InstrId",
        b"EndToEndId",
        b"UETR",
        b"TxId",
        b"MndtId",
        b"ChqNb",
    ];
    children(cur, empty, &NAMES, |cur, k, empty| {
        let value = owned(cur, empty)?;
        let slot = match k {
            0 => &mut r.message_id,
            1 => &mut r.account_servicer,
            2 => &mut r.payment_info_id,
            3 => &mut r.instruction_id,
            4 => &mut r.end_to_end_id,
            5 => &mut r.uetr,
            6 => &mut r.transaction_id,
            7 => &mut r.mandate_id,
            _ => &mut r.cheque_number,
        };
        *slot = value;
        Some(())
    })
}

/// `RmtInf` of `Ustrd` lines only.
fn remittance(cur: &mut Cursor<'_>, empty: bool) -> Fast<Remittance> {
    let mut out = Remittance::default();
    if empty {
        return Some(out);
    }
    while let Some((name, empty, attributes)) = next_child(cur)? {
        if attributes || name != b"Ustrd" {
            return None;
        }
        if let Some(line) = owned(cur, empty)? {
            out.unstructured.push(line);
        }
    }
    Some(out)
}

fn bank_tx_code(cur: &mut Cursor<'_>, empty: bool, code: &mut BankTxCode) -> Fast<()> {
    children(cur, empty, &[b"Domn", b"Prtry"], |cur, k, empty| {
        if k == 0 {
            children(cur, empty, &[b"Cd", b"Fmly"], |cur, k, empty| {
                if k == 0 {
                    code.domain = owned(cur, empty)?;
                    return Some(());
                }
                children(cur, empty, &[b"Cd", b"SubFmlyCd"], |cur, k, empty| {
                    let value = owned(cur, empty)?;
                    if k == 0 {
                        code.family = value;
                    } else {
                        code.sub_family = value;
                    }
                    Some(())
                })
            })
        } else {
            children(cur, empty, &[b"Cd", b"Issr"], |cur, k, empty| {
                let value = owned(cur, empty)?;
                if k == 0 {
                    code.proprietary = value;
                } else {
                    code.proprietary_issuer = value;
                }
                Some(())
            })
        }
    })
}

/// `Dt` or `DtTm`.
fn date<'t>(cur: &mut Cursor<'t>, empty: bool) -> Fast<model::DateAndDateTime<'t>> {
    let mut out = model::DateAndDateTime::default();
    children(cur, empty, &[b"Dt", b"DtTm"], |cur, k, empty| {
        let value = Some(leaf(cur, empty)?);
        if k == 0 {
            out.dt = value;
        } else {
            out.dt_tm = value;
        }
        Some(())
    })?;
    Some(out)
}

/// `Sts` as text or as `Cd`.
fn status<'t>(cur: &mut Cursor<'t>, empty: bool) -> Fast<model::TextOrCode<'t>> {
    let mut out = model::TextOrCode::default();
    // Child elements (after blank text, if any), or else text.
    let mut j = cur.i;
    while let Some(&Tok::Text { at, len }) = cur.tape.get(j) {
        if !cur.xml.get(at..at + len)?.bytes().all(is_xml_space) {
            break;
        }
        j += 1;
    }
    if !empty && !matches!(cur.tape.get(j), Some(Tok::Open { .. })) {
        out.text = Some(leaf(cur, empty)?);
        return Some(out);
    }
    children(cur, empty, &[b"Cd"], |cur, _, empty| {
        out.cd = Some(leaf(cur, empty)?);
        Some(())
    })?;
    Some(out)
}

/// One `TxDtls`, as `convert::tx_detail` makes it from the same elements.
fn transaction(
    ctx: &Ctx,
    cur: &mut Cursor<'_>,
    empty: bool,
    entry_currency: Currency,
) -> Fast<TxDetail> {
    const NAMES: [&[u8]; 6] = [
        b"Refs",
        b"Amt",
        b"CdtDbtInd",
        b"RltdPties",
        b"RmtInf",
        b"AddtlTxInf",
    ];
    let mut d = TxDetail::default();
    children(cur, empty, &NAMES, |cur, k, empty| {
        match k {
            0 => references(cur, empty, &mut d.refs)?,
            1 => {
                let amt = ccy_amt(cur, empty, true)?;
                let (value, currency) = amount(ctx, &amt, Some(entry_currency))?;
                d.amount = Some(value);
                d.currency = Some(currency);
            }
            2 => {
                let value = Some(leaf(cur, empty)?);
                d.direction = convert::direction(ctx, Field::new("CdtDbtInd"), &value).ok()?;
            }
            3 => children(cur, empty, &[b"Dbtr", b"Cdtr"], |cur, k, empty| {
                let p = party(cur, empty)?;
                if k == 0 {
                    d.debtor = p;
                } else {
                    d.creditor = p;
                }
                Some(())
            })?,
            4 => d.remittance = remittance(cur, empty)?,
            _ => d.additional_info = owned(cur, empty)?,
        }
        Some(())
    })?;
    Some(d)
}

/// The entry of `ctx.tree` when it has the usual shape and every value reads (see the module
/// docs), as `convert::entry` would make it with no warning; `None` otherwise.
pub(crate) fn entry(ctx: &Ctx, pos: SourcePos, account_currency: Option<Currency>) -> Fast<Entry> {
    const NAMES: [&[u8]; 11] = [
        b"NtryRef",
        b"Amt",
        b"CdtDbtInd",
        b"RvslInd",
        b"Sts",
        b"BookgDt",
        b"ValDt",
        b"AcctSvcrRef",
        b"BkTxCd",
        b"NtryDtls",
        b"AddtlNtryInf",
    ];
    let mut cur = Cursor::new(ctx.tree)?;
    // The `Ntry` start tag: no attributes, not empty (an entry needs its amount).
    let Tok::Open {
        len,
        name_len,
        empty: false,
        ..
    } = cur.next()?
    else {
        return None;
    };
    if len != name_len {
        return None;
    }
    let mut booked: Option<(Decimal, Currency)> = None;
    let mut cdt_dbt_ind = None;
    let mut rvsl_ind = None;
    let mut sts = None;
    let mut bookg_dt = None;
    let mut val_dt = None;
    let mut refs = References::default();
    let mut code = BankTxCode::default();
    let mut details: Vec<TxDetail> = Vec::new();
    let mut additional_info = None;
    children(&mut cur, false, &NAMES, |cur, k, empty| {
        match k {
            0 => refs.entry_ref = owned(cur, empty)?,
            1 => {
                let amt = ccy_amt(cur, empty, true)?;
                booked = Some(amount(ctx, &amt, account_currency)?);
            }
            2 => cdt_dbt_ind = Some(leaf(cur, empty)?),
            3 => rvsl_ind = Some(leaf(cur, empty)?),
            4 => sts = Some(status(cur, empty)?),
            5 => bookg_dt = Some(date(cur, empty)?),
            6 => val_dt = Some(date(cur, empty)?),
            7 => refs.account_servicer = owned(cur, empty)?,
            8 => bank_tx_code(cur, empty, &mut code)?,
            9 => children(cur, empty, &[b"TxDtls"], |cur, _, empty| {
                // The details' default currency is the entry's.
                let currency = booked?.1;
                details.reserve_exact(1);
                details.push(transaction(ctx, cur, empty, currency)?);
                Some(())
            })?,
            _ => additional_info = owned(cur, empty)?,
        }
        Some(())
    })?;
    // Everything recorded must have been read.
    if cur.i != cur.tape.len() {
        return None;
    }
    let (amount, currency) = booked?;
    // No indicator is a warning of the two-step path's.
    let direction = convert::direction(ctx, Field::new("CdtDbtInd"), &cdt_dbt_ind).ok()??;
    let reversal = convert::boolean(ctx, Field::new("RvslInd"), &rvsl_ind)
        .ok()?
        .unwrap_or(false);
    let (booking_date, booked_at) = match &bookg_dt {
        Some(d) => convert::date_choice(ctx, Field::new("BookgDt"), d).ok()?,
        None => (None, None),
    };
    let value_date = match &val_dt {
        Some(d) => convert::date_choice(ctx, Field::new("ValDt"), d).ok()?.0,
        None => None,
    };
    let status = convert::status(ctx, &sts).ok()?;
    let amount_notes: Vec<String> =
        convert::details_sum_note(&details, amount, currency, Some(direction))
            .into_iter()
            .collect();
    let (counterparty, remittance) = match details.as_slice() {
        [only] => {
            convert::adopt_single_detail(only, Some(direction), reversal, &mut refs, &mut code)
        }
        _ => (Party::default(), Remittance::default()),
    };
    Some(Entry {
        pos,
        amount,
        currency,
        direction: Some(direction),
        reversal,
        status,
        booking_date,
        value_date,
        booked_at,
        bank_tx_code: code,
        refs,
        counterparty,
        remittance,
        additional_info,
        supplementary: None,
        funds_code: None,
        balance_after: None,
        details,
        amount_notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camt::fast::{self, tests::buffered, tests::TYPICAL};
    use proptest::prelude::*;

    /// Reads `xml` both ways: whether the direct reading took it; when it did, it must be the
    /// two-step reading exactly, with no warning.
    fn direct(xml: &str) -> bool {
        let tree = buffered(xml);
        let ctx = Ctx {
            file: "t.xml",
            tree: &tree,
            path: "Stmt[1]/Ntry",
            entry: Some(0),
        };
        let pos = SourcePos { line: 3, index: 0 };
        let Some(built) = entry(&ctx, pos, Some(Currency::IDR)) else {
            return false;
        };
        // The builder's reading, or serde's for what the builder leaves to it.
        let text = std::str::from_utf8(&tree.xml).expect("UTF-8");
        let model = match fast::entry(&tree) {
            Some(model) => model,
            None => quick_xml::de::from_str(text)
                .unwrap_or_else(|e| panic!("{xml}: the model refuses what was read directly: {e}")),
        };
        let mut warnings = Vec::new();
        let other = convert::entry(&ctx, &model, pos, Some(Currency::IDR), &mut warnings)
            .expect("the model converts");
        assert!(warnings.is_empty(), "{xml}: {warnings:?}");
        assert_eq!(format!("{built:?}"), format!("{other:?}"), "{xml}");
        true
    }

    #[test]
    fn usual_entries_are_read_as_the_two_step_path_reads_them() {
        assert!(direct(TYPICAL));
        // Pretty-printed, prefixed, `Sts` as text, the currency in single quotes, escaped text,
        // a party without `Pty`, a debit reversal, no details, an empty `NtryDtls`.
        assert!(direct(&TYPICAL.replace("><", ">\n\t  <")));
        assert!(direct(&TYPICAL.replace("<", "<c:").replace("<c:/", "</c:")));
        assert!(direct(
            &TYPICAL.replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts>\n PDNG </Sts>")
        ));
        assert!(direct(&TYPICAL.replace("Ccy=\"IDR\"", "Ccy='IDR'")));
        assert!(direct(&TYPICAL.replace(
            "<Pty><Nm>WAJIB PAJAK 7</Nm></Pty>",
            "<Nm> A &amp; B &#x41; </Nm>"
        )));
        assert!(direct(
            &TYPICAL
                .replace("CRDT", "DBIT")
                .replace("<Dbtr>", "<Cdtr>")
                .replace("</Dbtr>", "</Cdtr>")
                .replace("<Sts>", "<RvslInd>true</RvslInd><Sts>")
        ));
        assert!(direct(
            r#"<Ntry><Amt Ccy="IDR">5</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><DtTm>2026-03-02T10:00:00+07:00</DtTm></BookgDt><AddtlNtryInf> x </AddtlNtryInf></Ntry>"#
        ));
        assert!(direct(
            r#"<Ntry><Amt Ccy="IDR">5</Amt><CdtDbtInd>CRDT</CdtDbtInd><NtryDtls/></Ntry>"#
        ));
        // A detail amount that differs from the entry's is noted.
        assert!(direct(&TYPICAL.replacen("125000.00", "125001.00", 1)));
    }

    #[test]
    fn every_other_shape_is_left_to_the_two_step_path() {
        for xml in [
            // Two transactions, a batch, charges, amount details, an account, an agent.
            TYPICAL.replace("<TxDtls>", "<TxDtls/><TxDtls>"),
            TYPICAL.replace("<TxDtls>", "<Btch><NbOfTxs>1</NbOfTxs></Btch><TxDtls>"),
            TYPICAL.replace(
                "<NtryDtls>",
                "<Chrgs><Amt Ccy=\"IDR\">1</Amt></Chrgs><NtryDtls>",
            ),
            TYPICAL.replace("<RltdPties>", "<AmtDtls/><RltdPties>"),
            TYPICAL.replace("</Dbtr>", "</Dbtr><DbtrAcct/>"),
            TYPICAL.replace("</RltdPties>", "</RltdPties><RltdAgts/>"),
            // No direction (a warning), a bad amount, a bad date, an unknown status.
            TYPICAL.replace("<CdtDbtInd>CRDT</CdtDbtInd>", ""),
            TYPICAL.replacen("125000.00", "125,000.00", 1),
            TYPICAL.replace("2026-03-02", "2026-02-30"),
            TYPICAL.replace("BOOK", "DONE"),
            // An element repeated, an unknown one, an attribute, text where elements belong.
            TYPICAL.replace(
                "<NtryRef>7</NtryRef>",
                "<NtryRef>7</NtryRef><NtryRef>8</NtryRef>",
            ),
            TYPICAL.replace("<NtryRef>", "<Purp/><NtryRef>"),
            TYPICAL.replace("<NtryRef>", "<NtryRef a=\"1\">"),
            TYPICAL.replace("<NtryRef>", "loose<NtryRef>"),
            // Details before the entry's amount.
            TYPICAL
                .replace(
                    "<Amt Ccy=\"IDR\">125000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>",
                    "",
                )
                .replace(
                    "</NtryDtls>",
                    "</NtryDtls><Amt Ccy=\"IDR\">125000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>",
                ),
        ] {
            assert!(!direct(&xml), "{xml}");
        }
    }

    /// Balanced pieces that, put between two tags of an entry, make the shapes the direct
    /// reading takes and those it leaves (repeats, unknown elements, other values).
    const PIECES: &[&str] = &[
        "<Ustrd>x</Ustrd>",
        "<Nm>y &amp; z</Nm>",
        "<Pty><Nm>z</Nm></Pty>",
        "<Cd>BOOK</Cd>",
        "<Cd>PDNG</Cd>",
        "<Sts>INFO</Sts>",
        "<TxDtls/>",
        "<NtryDtls/>",
        "<Refs><TxId> 1 </TxId></Refs>",
        "<Amt Ccy=\"IDR\">1.00</Amt>",
        "<Amt Ccy=\"USD\">1.5</Amt>",
        "<CdtDbtInd>DBIT</CdtDbtInd>",
        "<RvslInd>1</RvslInd>",
        "<Dt>2026-03-03</Dt>",
        "<DtTm>2026-03-02T01:02:03+07:00</DtTm>",
        "<AddtlNtryInf>i</AddtlNtryInf>",
        "<AddtlTxInf/>",
        "<Issr>BI</Issr>",
        "<Fmly><Cd>X</Cd></Fmly>",
        "<Dbtr><Nm>d</Nm></Dbtr>",
        "<Cdtr/>",
        "<Purp/>",
        "\n\t ",
        "text",
        "&lt;",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Entries edited at random (pieces put after tags): whatever the direct reading takes,
        /// it reads exactly as the two-step path does.
        #[test]
        fn edited_entries_read_as_the_two_step_path_reads_them(
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), proptest::sample::select(PIECES)),
                1..4,
            ),
        ) {
            let mut xml = TYPICAL.to_string();
            for (at, piece) in edits {
                // After a `>` that is not the entry's last.
                let ends: Vec<usize> = xml
                    .match_indices('>')
                    .map(|(i, _)| i + 1)
                    .filter(|&i| i < xml.len())
                    .collect();
                xml.insert_str(ends[at.index(ends.len())], piece);
            }
            direct(&xml);
        }
    }
}
