//! The hot path for one `Ntry`: builds the [`model::ReportEntry`] straight from the tokens the
//! streaming walk recorded while it buffered the entry ([`Subtree::tape`]), borrowing every text
//! from the buffer, instead of parsing the buffered XML a second time with serde.
//!
//! It gives exactly the value `quick_xml::de` would give, or nothing: whenever an entry holds
//! something whose serde reading is subtle (a comment or CDATA inside text, an element repeated
//! where the schema has one, a list interrupted by another element, text beside child elements,
//! `xsi:nil`, an attribute that does not parse, bytes that are not UTF-8), [`entry`] returns
//! `None` and the caller deserializes that entry with serde, which also produces the error
//! message when there is one. Elements are matched on their local names, so prefixes and
//! namespaces are irrelevant, as they are to serde. Debug builds check every entry built here
//! against serde's reading (see `stream.rs`).

use std::borrow::Cow;

use quick_xml::events::attributes::Attributes;
use quick_xml::events::BytesStart;

use super::convert::Subtree;
use super::model::{self, Txt};
use super::source::Pos;

/// One token of a buffered element, as the streaming walk saw it. Offsets are into
/// [`Subtree::xml`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A start tag or an empty element: `at` is the offset of its `<`, `len` the length of the
    /// tag's content (name and attributes), `name_len` the length of the qualified name.
    Open {
        at: usize,
        len: usize,
        name_len: usize,
        empty: bool,
    },
    /// Raw (still escaped) text.
    Text { at: usize, len: usize },
    /// An end tag.
    Close,
    /// CDATA: left to serde.
    Other,
}

/// `None`: leave this entry to serde.
type Fast<T> = Option<T>;

/// Builds the entry from `tree`, or `None` when serde must read it (see the module docs).
pub(crate) fn entry(tree: &Subtree) -> Fast<model::ReportEntry<'_>> {
    let mut cur = Cursor::new(tree)?;
    let Tok::Open { empty, .. } = cur.next()? else {
        return None;
    };
    cur.check_attributes(0)?;
    let mut out = model::ReportEntry::default();
    cur.report_entry(empty, &mut out)?;
    // Everything recorded must have been consumed.
    (cur.i == cur.tape.len()).then_some(out)
}

/// A walk over the tokens of a buffered element (here and in `direct.rs`).
pub(super) struct Cursor<'t> {
    pub xml: &'t str,
    pub tape: &'t [Tok],
    /// The next token.
    pub i: usize,
}

/// Sets an `Option` field once; a second occurrence is serde's `duplicate field` error.
pub(super) fn once<T>(slot: &mut Option<T>, value: T) -> Fast<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Appends to a list field. quick-xml reads a list from consecutive elements only: the same name
/// again after another element is serde's `duplicate field` error.
fn push<T>(list: &mut Vec<T>, consecutive: bool, value: T) -> Fast<()> {
    if !list.is_empty() && !consecutive {
        return None;
    }
    list.push(value);
    Some(())
}

pub(super) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// Whether `raw` holds an entity or character reference. A plain loop: the texts are short,
/// and `contains` would call `memchr`.
fn has_reference(raw: &str) -> bool {
    raw.bytes().any(|b| b == b'&')
}

pub(super) fn unescape(raw: &str) -> Fast<Txt<'_>> {
    if !has_reference(raw) {
        return Some(Txt(Cow::Borrowed(raw)));
    }
    quick_xml::escape::unescape(raw).ok().map(Txt)
}

#[inline]
pub(super) fn local(qname: &[u8]) -> &[u8] {
    match qname.iter().rposition(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

impl<'t> Cursor<'t> {
    /// A cursor at the first token of `tree`; `None` when its bytes are not UTF-8.
    pub fn new(tree: &'t Subtree) -> Fast<Self> {
        Some(Cursor {
            xml: std::str::from_utf8(&tree.xml).ok()?,
            tape: &tree.tape,
            i: 0,
        })
    }

    pub fn next(&mut self) -> Fast<Tok> {
        let t = *self.tape.get(self.i)?;
        self.i += 1;
        Some(t)
    }

    /// The content of the start tag of token `i` (name and attributes) and its name length.
    pub fn tag(&self, i: usize) -> Fast<(&'t str, usize)> {
        match self.tape.get(i)? {
            &Tok::Open {
                at, len, name_len, ..
            } => Some((self.xml.get(at + 1..at + 1 + len)?, name_len)),
            _ => None,
        }
    }

    /// Refuses a tag whose attributes do not parse or that carries `xsi:nil` (which serde
    /// honours on the element and on its children).
    pub fn check_attributes(&self, i: usize) -> Fast<()> {
        // Most tags have no attribute: nothing to look at.
        if let Some(&Tok::Open { len, name_len, .. }) = self.tape.get(i) {
            if len == name_len {
                return Some(());
            }
        }
        let (content, name_len) = self.tag(i)?;
        if content.len() == name_len {
            return Some(());
        }
        // Duplicate keys are looked for here rather than by quick-xml's check, which allocates
        // a list of keys for every tag with an attribute.
        let mut keys: [&[u8]; 8] = [&[]; 8];
        let mut attributes = Attributes::new(content, name_len);
        attributes.with_checks(false);
        for (seen, a) in attributes.enumerate() {
            let a = a.ok()?;
            let key = a.key.into_inner();
            if local(key) == b"nil" || keys[..seen].contains(&key) {
                return None;
            }
            // More than eight attributes: left to serde.
            *keys.get_mut(seen)? = key;
        }
        Some(())
    }

    /// Reads a run of text tokens starting at the current one (several when comments, which
    /// the buffer drops, stood between them: the parts are contiguous in the buffer, one text
    /// to serde). Gives what serde's `$text` holds: the text trimmed of XML whitespace at both
    /// ends and unescaped; `None` when it is blank.
    pub fn text_run(&mut self) -> Fast<Option<Txt<'t>>> {
        let mut start = None;
        let mut end = 0usize;
        while let Some(&Tok::Text { at, len }) = self.tape.get(self.i) {
            self.i += 1;
            start.get_or_insert(at);
            end = at + len;
        }
        let raw = self.xml.get(start?..end)?.as_bytes();
        let Some(first) = raw.iter().position(|&b| !is_xml_space(b)) else {
            return Some(None);
        };
        let last = raw.iter().rposition(|&b| !is_xml_space(b))?;
        let from = start? + first;
        unescape(self.xml.get(from..from + (last + 1 - first))?).map(Some)
    }

    /// Walks the children of the element just opened. `child` gets each child element's local
    /// name, whether it follows a sibling of the same name, and whether it is empty; it must
    /// consume the child. Non-blank text goes to `text` (serde's `$text`).
    fn children<S>(
        &mut self,
        empty: bool,
        state: &mut S,
        mut child: impl FnMut(&mut Self, &mut S, &'t [u8], bool, bool) -> Fast<()>,
        mut text: impl FnMut(&mut S, Txt<'t>) -> Fast<()>,
    ) -> Fast<()> {
        if empty {
            return Some(());
        }
        let mut previous: &[u8] = b"";
        loop {
            let at = self.i;
            match *self.tape.get(at)? {
                Tok::Close => {
                    self.i += 1;
                    return Some(());
                }
                Tok::Other => return None,
                Tok::Text { .. } => {
                    if let Some(t) = self.text_run()? {
                        text(state, t)?;
                    }
                }
                Tok::Open { empty, .. } => {
                    self.i += 1;
                    self.check_attributes(at)?;
                    let (content, name_len) = self.tag(at)?;
                    let name = local(content.get(..name_len)?.as_bytes());
                    let consecutive = name == previous;
                    previous = name;
                    child(self, state, name, consecutive, empty)?;
                }
            }
        }
    }

    /// Skips an element nobody asked for (its start tag already read).
    pub fn skip(&mut self, empty: bool) -> Fast<()> {
        if empty {
            return Some(());
        }
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Tok::Open { empty: false, .. } => depth += 1,
                Tok::Close => depth -= 1,
                // serde unescapes the text of the elements it ignores too, so an entity it
                // does not know is an error there: leave such an entry to serde.
                Tok::Text { at, len } => {
                    let raw = self.xml.get(at..at + len)?;
                    if has_reference(raw) {
                        quick_xml::escape::unescape(raw).ok()?;
                    }
                }
                _ => {}
            }
        }
        Some(())
    }

    /// A text-only element (`xs:string` and the like): empty gives `""`; child elements are
    /// left to serde.
    pub fn leaf(&mut self, empty: bool) -> Fast<Txt<'t>> {
        if empty {
            return Some(Txt::default());
        }
        let value = match self.tape.get(self.i)? {
            Tok::Text { .. } => self.text_run()?.unwrap_or_default(),
            _ => Txt::default(),
        };
        match self.next()? {
            Tok::Close => Some(value),
            _ => None,
        }
    }

    /// An amount with its `Ccy` attribute.
    pub fn ccy_amt(&mut self, empty: bool) -> Fast<model::CcyAmt<'t>> {
        let (content, name_len) = self.tag(self.i - 1)?;
        let mut out = model::CcyAmt::default();
        if content.len() > name_len {
            // `check_attributes` has refused duplicate keys already.
            let mut attributes = Attributes::new(content, name_len);
            attributes.with_checks(false);
            for a in attributes {
                let a = a.ok()?;
                let key = a.key.as_ref();
                if key.starts_with(b"xmlns") || local(key) != b"Ccy" {
                    continue;
                }
                let Cow::Borrowed(value) = a.value else {
                    return None;
                };
                let value = std::str::from_utf8(value).ok()?;
                if value.is_empty() {
                    return None;
                }
                once(&mut out.ccy, unescape(value)?)?;
            }
        }
        let mut value = None;
        self.children(
            empty,
            &mut value,
            |cur, _, _, _, empty| cur.skip(empty),
            once,
        )?;
        if let Some(v) = value {
            out.value = v;
        }
        Some(out)
    }

    pub fn text_or_code(&mut self, empty: bool) -> Fast<model::TextOrCode<'t>> {
        let mut out = model::TextOrCode::default();
        self.children(
            empty,
            &mut out,
            |cur, out, name, _, empty| match name {
                b"Cd" => once(&mut out.cd, cur.leaf(empty)?),
                b"Prtry" => once(&mut out.prtry, cur.leaf(empty)?),
                _ => cur.skip(empty),
            },
            |out, t| once(&mut out.text, t),
        )?;
        Some(out)
    }
}

/// Text inside an element whose model has no `$text`: serde would ignore it, but that case is
/// rare enough to leave to serde.
fn no_text<S>(_: &mut S, _: Txt<'_>) -> Fast<()> {
    None
}

/// Generates the builder of a struct whose fields are leaves, nested structs and lists. It fills
/// `out` in place (the larger models run to kilobytes, so they are not moved around): `one` and
/// `many` fields (`Option`, `Vec`) are nested structs built in place by the named builder; `val`
/// and `vals` fields take the value the named builder returns (leaves, amounts).
macro_rules! builder {
    ($fn:ident -> $ty:ident { $($tag:literal => $kind:ident $field:ident : $sub:ident),* $(,)? }) => {
        impl<'t> Cursor<'t> {
            pub(super) fn $fn(&mut self, empty: bool, out: &mut model::$ty<'t>) -> Fast<()> {
                self.children(
                    empty,
                    out,
                    |cur, out, name, consecutive, empty| {
                        let _ = consecutive;
                        match name {
                            $($tag => builder!(@set $kind, cur, out.$field, consecutive, empty, $sub),)*
                            _ => cur.skip(empty),
                        }
                    },
                    no_text,
                )
            }
        }
    };
    (@set val, $cur:ident, $slot:expr, $consecutive:ident, $empty:ident, $sub:ident) => {
        once(&mut $slot, $cur.$sub($empty)?)
    };
    (@set vals, $cur:ident, $slot:expr, $consecutive:ident, $empty:ident, $sub:ident) => {
        push(&mut $slot, $consecutive, $cur.$sub($empty)?)
    };
    (@set one, $cur:ident, $slot:expr, $consecutive:ident, $empty:ident, $sub:ident) => {{
        if $slot.is_some() {
            return None;
        }
        $cur.$sub($empty, $slot.insert(Default::default()))
    }};
    (@set many, $cur:ident, $slot:expr, $consecutive:ident, $empty:ident, $sub:ident) => {{
        if !$slot.is_empty() && !$consecutive {
            return None;
        }
        $slot.push(Default::default());
        match $slot.last_mut() {
            Some(item) => $cur.$sub($empty, item),
            None => None,
        }
    }};
}

builder!(report_entry -> ReportEntry {
    b"NtryRef" => val ntry_ref: leaf,
    b"Amt" => val amt: ccy_amt,
    b"CdtDbtInd" => val cdt_dbt_ind: leaf,
    b"RvslInd" => val rvsl_ind: leaf,
    b"Sts" => val sts: text_or_code,
    b"BookgDt" => one bookg_dt: date_and_date_time,
    b"ValDt" => one val_dt: date_and_date_time,
    b"AcctSvcrRef" => val acct_svcr_ref: leaf,
    b"BkTxCd" => one bk_tx_cd: bank_transaction_code,
    b"AmtDtls" => one amt_dtls: amount_details,
    b"Chrgs" => many chrgs: charges,
    b"NtryDtls" => many ntry_dtls: entry_details,
    b"Btch" => one btch: batch,
    b"TxDtls" => many tx_dtls: transaction_details,
    b"AddtlNtryInf" => val addtl_ntry_inf: leaf,
});

builder!(date_and_date_time -> DateAndDateTime {
    b"Dt" => val dt: leaf,
    b"DtTm" => val dt_tm: leaf,
});

builder!(bank_transaction_code -> BankTransactionCode {
    b"Domn" => one domn: domain,
    b"Prtry" => one prtry: proprietary_code,
});

builder!(domain -> Domain {
    b"Cd" => val cd: leaf,
    b"Fmly" => one fmly: family,
});

builder!(family -> Family {
    b"Cd" => val cd: leaf,
    b"SubFmlyCd" => val sub_fmly_cd: leaf,
});

builder!(proprietary_code -> ProprietaryCode {
    b"Cd" => val cd: leaf,
    b"Issr" => val issr: leaf,
});

builder!(amount_details -> AmountDetails {
    b"InstdAmt" => one instd_amt: amount_and_exchange,
    b"TxAmt" => one tx_amt: amount_and_exchange,
    b"CntrValAmt" => one cntr_val_amt: amount_and_exchange,
});

builder!(amount_and_exchange -> AmountAndCurrencyExchange {
    b"Amt" => val amt: ccy_amt,
});

builder!(charges -> Charges {
    b"TtlChrgsAndTaxAmt" => val ttl_chrgs_and_tax_amt: ccy_amt,
    b"Amt" => val amt: ccy_amt,
    b"CdtDbtInd" => val cdt_dbt_ind: leaf,
    b"Tp" => one tp: charge_type,
    b"Rcrd" => many rcrd: charge_record,
});

builder!(charge_record -> ChargeRecord {
    b"Amt" => val amt: ccy_amt,
    b"CdtDbtInd" => val cdt_dbt_ind: leaf,
    b"ChrgInclInd" => val chrg_incl_ind: leaf,
    b"Tp" => one tp: charge_type,
});

builder!(charge_type -> ChargeType {
    b"Cd" => val cd: leaf,
    b"Prtry" => one prtry: generic_id,
});

builder!(generic_id -> GenericId {
    b"Id" => val id: leaf,
});

builder!(entry_details -> EntryDetails {
    b"Btch" => one btch: batch,
    b"TxDtls" => many tx_dtls: transaction_details,
});

builder!(batch -> Batch {
    b"MsgId" => val msg_id: leaf,
    b"PmtInfId" => val pmt_inf_id: leaf,
    b"NbOfTxs" => val nb_of_txs: leaf,
    b"TtlAmt" => val ttl_amt: ccy_amt,
    b"CdtDbtInd" => val cdt_dbt_ind: leaf,
});

builder!(transaction_details -> TransactionDetails {
    b"Refs" => one refs: references,
    b"Amt" => val amt: ccy_amt,
    b"CdtDbtInd" => val cdt_dbt_ind: leaf,
    b"AmtDtls" => one amt_dtls: amount_details,
    b"BkTxCd" => one bk_tx_cd: bank_transaction_code,
    b"Chrgs" => many chrgs: charges,
    b"RltdPties" => one rltd_pties: related_parties,
    b"RltdAgts" => one rltd_agts: related_agents,
    b"RmtInf" => one rmt_inf: remittance_information,
    b"RtrInf" => one rtr_inf: return_information,
    b"AddtlTxInf" => val addtl_tx_inf: leaf,
});

builder!(references -> References {
    b"MsgId" => val msg_id: leaf,
    b"AcctSvcrRef" => val acct_svcr_ref: leaf,
    b"PmtInfId" => val pmt_inf_id: leaf,
    b"InstrId" => val instr_id: leaf,
    b"EndToEndId" => val end_to_end_id: leaf,
    b"UETR" => val uetr: leaf,
    b"TxId" => val tx_id: leaf,
    b"MndtId" => val mndt_id: leaf,
    b"ChqNb" => val chq_nb: leaf,
});

builder!(related_parties -> RelatedParties {
    b"Dbtr" => one dbtr: party_choice,
    b"DbtrAcct" => one dbtr_acct: cash_account,
    b"Cdtr" => one cdtr: party_choice,
    b"CdtrAcct" => one cdtr_acct: cash_account,
});

builder!(party_choice -> PartyChoice {
    b"Nm" => val nm: leaf,
    b"Id" => one id: party_id_choice,
    b"Pty" => one pty: party_identification,
    b"Agt" => one agt: agent,
});

builder!(party_identification -> PartyIdentification {
    b"Nm" => val nm: leaf,
    b"Id" => one id: party_id_choice,
});

builder!(party_id_choice -> PartyIdChoice {
    b"OrgId" => one org_id: org_or_private_id,
    b"PrvtId" => one prvt_id: org_or_private_id,
});

builder!(org_or_private_id -> OrgOrPrivateId {
    b"AnyBIC" => val any_bic: leaf,
    b"BICOrBEI" => val bic_or_bei: leaf,
    b"LEI" => val lei: leaf,
    b"Othr" => many othr: generic_id,
});

builder!(agent -> Agent {
    b"FinInstnId" => one fin_instn_id: fin_instn_id,
});

builder!(fin_instn_id -> FinInstnId {
    b"BIC" => val bic: leaf,
    b"BICFI" => val bicfi: leaf,
    b"Nm" => val nm: leaf,
    b"Othr" => one othr: generic_id,
});

builder!(cash_account -> CashAccount {
    b"Id" => one id: account_id_choice,
    b"Ccy" => val ccy: leaf,
    b"Nm" => val nm: leaf,
    b"Ownr" => one ownr: party_identification,
    b"Svcr" => one svcr: agent,
});

builder!(account_id_choice -> AccountIdChoice {
    b"IBAN" => val iban: leaf,
    b"Othr" => one othr: generic_id,
    b"PrtryAcct" => one prtry_acct: generic_id,
});

builder!(related_agents -> RelatedAgents {
    b"DbtrAgt" => one dbtr_agt: agent,
    b"CdtrAgt" => one cdtr_agt: agent,
});

builder!(remittance_information -> RemittanceInformation {
    b"Ustrd" => vals ustrd: leaf,
    b"Strd" => many strd: structured_remittance,
});

builder!(structured_remittance -> StructuredRemittance {
    b"RfrdDocInf" => many rfrd_doc_inf: referred_document,
    b"CdtrRefInf" => one cdtr_ref_inf: creditor_reference,
    b"AddtlRmtInf" => vals addtl_rmt_inf: leaf,
});

builder!(referred_document -> ReferredDocument {
    b"Nb" => val nb: leaf,
});

builder!(creditor_reference -> CreditorReference {
    b"Ref" => val reference: leaf,
});

builder!(return_information -> ReturnInformation {
    b"Rsn" => one rsn: code_or_proprietary,
    b"AddtlInf" => vals addtl_inf: leaf,
});

builder!(code_or_proprietary -> CodeOrProprietary {
    b"Cd" => val cd: leaf,
    b"Prtry" => val prtry: leaf,
});

impl Subtree {
    /// Buffers a start tag (or an empty element) of the element being collected: its markup,
    /// its source position and its token.
    pub(crate) fn record_start(&mut self, e: &BytesStart, empty: bool, pos: Pos) {
        let at = self.xml.len();
        self.marks.push((at, pos));
        self.tape.push(Tok::Open {
            at,
            len: e.len(),
            name_len: e.name().as_ref().len(),
            empty,
        });
        self.xml.push(b'<');
        self.xml.extend_from_slice(e);
        self.xml.extend_from_slice(if empty { b"/>" } else { b">" });
    }

    /// Buffers an end tag (`name` as written, prefix included).
    #[cfg(test)]
    pub(crate) fn record_end(&mut self, name: &[u8]) {
        self.tape.push(Tok::Close);
        self.xml.extend_from_slice(b"</");
        self.xml.extend_from_slice(name);
        self.xml.push(b'>');
    }

    /// Buffers raw (still escaped) text.
    #[cfg(test)]
    pub(crate) fn record_text(&mut self, raw: &[u8]) {
        self.tape.push(Tok::Text {
            at: self.xml.len(),
            len: raw.len(),
        });
        self.xml.extend_from_slice(raw);
    }

    /// Records a start tag (or empty element) that is already in `xml` at `at`, as
    /// `<content>` or `<content/>`.
    #[inline]
    pub(crate) fn record_start_in_place(
        &mut self,
        at: usize,
        len: usize,
        name_len: usize,
        empty: bool,
        pos: Pos,
    ) {
        self.marks.push((at, pos));
        self.tape.push(Tok::Open {
            at,
            len,
            name_len,
            empty,
        });
    }

    /// Records an end tag that is already in `xml`.
    #[inline]
    pub(crate) fn record_end_in_place(&mut self) {
        self.tape.push(Tok::Close);
    }

    /// Records raw text that is already in `xml` at `at`.
    #[inline]
    pub(crate) fn record_text_in_place(&mut self, at: usize, len: usize) {
        self.tape.push(Tok::Text { at, len });
    }

    /// Records a CDATA section that is already in `xml`.
    pub(crate) fn record_cdata_in_place(&mut self) {
        self.tape.push(Tok::Other);
    }

    /// Buffers a CDATA section (left to serde by the builder).
    #[cfg(test)]
    pub(crate) fn record_cdata(&mut self, raw: &[u8]) {
        self.tape.push(Tok::Other);
        self.xml.extend_from_slice(b"<![CDATA[");
        self.xml.extend_from_slice(raw);
        self.xml.extend_from_slice(b"]]>");
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use quick_xml::events::Event;

    /// Buffers `xml` the way the streaming walk buffers an `Ntry`.
    pub(crate) fn buffered(xml: &str) -> Subtree {
        let mut r = quick_xml::Reader::from_str(xml);
        let mut tree = Subtree::default();
        loop {
            match r.read_event().expect("well-formed test XML") {
                Event::Eof => return tree,
                Event::Start(e) => tree.record_start(&e, false, Pos::default()),
                Event::Empty(e) => tree.record_start(&e, true, Pos::default()),
                Event::End(e) => tree.record_end(e.as_ref()),
                Event::Text(t) => tree.record_text(&t),
                Event::CData(c) => tree.record_cdata(&c),
                _ => {}
            }
        }
    }

    /// The builder either gives exactly serde's reading of the entry or leaves it to serde.
    fn built(xml: &str) -> bool {
        let tree = buffered(xml);
        let fast = entry(&tree);
        let text = std::str::from_utf8(&tree.xml).expect("UTF-8");
        if let Some(fast) = &fast {
            let serde: model::ReportEntry =
                quick_xml::de::from_str(text).expect("serde reads what the builder reads");
            assert_eq!(format!("{fast:?}"), format!("{serde:?}"), "{xml}");
        }
        fast.is_some()
    }

    pub(crate) const TYPICAL: &str = r#"<Ntry><NtryRef>7</NtryRef><Amt Ccy="IDR">125000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt><AcctSvcrRef>BBTN0000000007</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NTPD1</EndToEndId></Refs><Amt Ccy="IDR">125000.00</Amt><RltdPties><Dbtr><Pty><Nm>WAJIB PAJAK 7</Nm></Pty></Dbtr></RltdPties><RmtInf><Ustrd>PBB-P2 NOP 1</Ustrd><Ustrd>TAHUN 2026</Ustrd></RmtInf><AddtlTxInf>x</AddtlTxInf></TxDtls></NtryDtls></Ntry>"#;

    #[test]
    fn usual_entries_are_built_as_serde_reads_them() {
        assert!(built(TYPICAL));
        let pretty = TYPICAL.replace("><", ">\n\t  <");
        assert!(built(&pretty));
        let prefixed = TYPICAL.replace("<", "<c:").replace("<c:/", "</c:");
        assert!(built(&format!(
            "<c:Ntry xmlns:c=\"urn:x\">{}",
            &prefixed["<c:Ntry>".len()..]
        )));
        // 001.01 shape: `Sts` as text, details directly under `Ntry`, unknown elements skipped.
        assert!(built(
            r#"<Ntry><Amt Ccy="EUR">1.00</Amt><Sts> BOOK </Sts><Purp><Cd>X</Cd><Y><Z/></Y></Purp><TxDtls><Refs/></TxDtls><TxDtls><AmtDtls><InstdAmt><Amt Ccy="USD">2</Amt></InstdAmt></AmtDtls></TxDtls><Chrgs><Amt Ccy="EUR">0.5</Amt></Chrgs><Chrgs><Rcrd><Amt Ccy="EUR">1</Amt></Rcrd><Rcrd><Tp><Prtry><Id>F</Id></Prtry></Tp></Rcrd></Chrgs></Ntry>"#
        ));
        // Empty elements and escaped text.
        assert!(built(
            r#"<Ntry><Amt Ccy="IDR"/><AddtlNtryInf/><NtryDtls/><AcctSvcrRef>A&amp;B &#x41;</AcctSvcrRef><NtryRef></NtryRef></Ntry>"#
        ));
        assert!(built("<Ntry/>"));
    }

    #[test]
    fn text_split_by_comments_is_joined_as_serde_joins_it() {
        assert!(built(
            "<Ntry><AddtlNtryInf> AB <!--x--> CD </AddtlNtryInf></Ntry>"
        ));
        assert!(built(
            "<Ntry><AddtlNtryInf>\n<!--x-->AB  <!--y-->\n</AddtlNtryInf></Ntry>"
        ));
        assert!(built(
            "<Ntry>\n\t<!-- note -->\n\t<NtryRef>1</NtryRef>\n<!-- end -->\n</Ntry>"
        ));
        assert!(built(
            "<Ntry><AddtlNtryInf>A<!--x-->&amp;</AddtlNtryInf></Ntry>"
        ));
    }

    #[test]
    fn subtle_shapes_are_left_to_serde() {
        // Repeated single element, interrupted list, xsi:nil, CDATA, text where elements
        // belong, an element inside a leaf, a bad attribute.
        for xml in [
            r#"<Ntry><Amt Ccy="IDR">1</Amt><Amt Ccy="IDR">2</Amt></Ntry>"#,
            "<Ntry><NtryDtls><TxDtls><RmtInf><Ustrd>a</Ustrd><Strd/><Ustrd>b</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
            r#"<Ntry><AcctSvcrRef xsi:nil="true"/></Ntry>"#,
            "<Ntry><AddtlNtryInf><![CDATA[x]]></AddtlNtryInf></Ntry>",
            "<Ntry><BookgDt>2024-01-01</BookgDt></Ntry>",
            "<Ntry>loose text<NtryRef>1</NtryRef></Ntry>",
            "<Ntry><NtryRef><X>1</X></NtryRef></Ntry>",
            r#"<Ntry><Amt Ccy="IDR" Ccy="EUR">1</Amt></Ntry>"#,
            r#"<Ntry><Amt Ccy="">1</Amt></Ntry>"#,
        ] {
            assert!(!built(xml), "{xml}");
        }
    }
}
