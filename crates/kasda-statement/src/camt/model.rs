//! Serde models of the camt pieces the reader deserializes one at a time (`GrpHdr`, the
//! statement-level elements `Acct`, `Bal`, `TxsSummry`, `FrToDt`, the pagination blocks, and
//! one `Ntry` with everything under it).
//!
//! Names follow the ISO 20022 XML tags (`rename_all = "PascalCase"` turns `cdt_dbt_ind` into
//! `CdtDbtInd`). One model covers every version from 001.01 to 001.13: elements that moved
//! between versions are all optional here (`BIC` and `BICFI`, `Sts` as text and `Sts/Cd`, the
//! `Pty` wrapper of parties, `Chrgs` repeated in 001.02 and `Chrgs/Rcrd` from 001.03), and the
//! converter picks whichever is present. quick-xml matches local names, so prefixes do not
//! matter. Every leaf stays text: amounts, dates and codes are parsed by the converter, which
//! can say where a bad value is.

use std::borrow::Cow;

use serde::Deserialize;

/// Text of a leaf element, borrowed from the buffered XML unless it had to be unescaped. A
/// newtype because serde borrows a `Cow` only when it is not nested in `Option` or `Vec`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct Txt<'a>(#[serde(borrow)] pub Cow<'a, str>);

impl std::ops::Deref for Txt<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// An amount with its currency attribute: `<Amt Ccy="IDR">1000.00</Amt>`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CcyAmt<'a> {
    #[serde(borrow, rename = "@Ccy", default)]
    pub ccy: Option<Txt<'a>>,
    #[serde(borrow, rename = "$text", default)]
    pub value: Txt<'a>,
}

/// A code that is plain text in old versions and `<Cd>`/`<Prtry>` in new ones (`Sts`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct TextOrCode<'a> {
    #[serde(borrow, rename = "$text")]
    pub text: Option<Txt<'a>>,
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub prtry: Option<Txt<'a>>,
}

/// `Dt` or `DtTm` (booking date, value date, balance date).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct DateAndDateTime<'a> {
    #[serde(borrow)]
    pub dt: Option<Txt<'a>>,
    #[serde(borrow)]
    pub dt_tm: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Pagination<'a> {
    #[serde(borrow)]
    pub pg_nb: Option<Txt<'a>>,
    #[serde(borrow)]
    pub last_pg_ind: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct GroupHeader<'a> {
    #[serde(borrow)]
    pub msg_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub cre_dt_tm: Option<Txt<'a>>,
    #[serde(borrow)]
    pub msg_pgntn: Option<Pagination<'a>>,
    #[serde(borrow)]
    pub addtl_inf: Option<Txt<'a>>,
}

/// Business application header of an envelope; only the message definition matters.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AppHdr<'a> {
    #[serde(borrow)]
    pub msg_def_idr: Option<Txt<'a>>,
    #[serde(borrow)]
    pub biz_msg_idr: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct FromToDate<'a> {
    #[serde(borrow)]
    pub fr_dt_tm: Option<Txt<'a>>,
    #[serde(borrow)]
    pub to_dt_tm: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct GenericId<'a> {
    #[serde(borrow)]
    pub id: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AccountIdChoice<'a> {
    #[serde(borrow, rename = "IBAN")]
    pub iban: Option<Txt<'a>>,
    #[serde(borrow)]
    pub othr: Option<GenericId<'a>>,
    /// 001.01 `PrtryAcct/Id`.
    #[serde(borrow)]
    pub prtry_acct: Option<GenericId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct FinInstnId<'a> {
    #[serde(borrow, rename = "BIC")]
    pub bic: Option<Txt<'a>>,
    #[serde(borrow, rename = "BICFI")]
    pub bicfi: Option<Txt<'a>>,
    #[serde(borrow)]
    pub nm: Option<Txt<'a>>,
    #[serde(borrow)]
    pub othr: Option<GenericId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Agent<'a> {
    #[serde(borrow)]
    pub fin_instn_id: Option<FinInstnId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct OrgOrPrivateId<'a> {
    #[serde(borrow, rename = "AnyBIC")]
    pub any_bic: Option<Txt<'a>>,
    #[serde(borrow, rename = "BICOrBEI")]
    pub bic_or_bei: Option<Txt<'a>>,
    #[serde(borrow, rename = "LEI")]
    pub lei: Option<Txt<'a>>,
    #[serde(borrow)]
    pub othr: Vec<GenericId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct PartyIdChoice<'a> {
    #[serde(borrow)]
    pub org_id: Option<OrgOrPrivateId<'a>>,
    #[serde(borrow)]
    pub prvt_id: Option<OrgOrPrivateId<'a>>,
}

/// `PartyIdentification`: name and identification.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct PartyIdentification<'a> {
    #[serde(borrow)]
    pub nm: Option<Txt<'a>>,
    #[serde(borrow)]
    pub id: Option<PartyIdChoice<'a>>,
}

/// `Dbtr`/`Cdtr`: a party directly (≤ 001.07) or `Pty`/`Agt` (≥ 001.08).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct PartyChoice<'a> {
    #[serde(borrow)]
    pub nm: Option<Txt<'a>>,
    #[serde(borrow)]
    pub id: Option<PartyIdChoice<'a>>,
    #[serde(borrow)]
    pub pty: Option<PartyIdentification<'a>>,
    #[serde(borrow)]
    pub agt: Option<Agent<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CashAccount<'a> {
    #[serde(borrow)]
    pub id: Option<AccountIdChoice<'a>>,
    #[serde(borrow)]
    pub ccy: Option<Txt<'a>>,
    #[serde(borrow)]
    pub nm: Option<Txt<'a>>,
    #[serde(borrow)]
    pub ownr: Option<PartyIdentification<'a>>,
    #[serde(borrow)]
    pub svcr: Option<Agent<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CodeOrProprietary<'a> {
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub prtry: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct BalanceType<'a> {
    #[serde(borrow)]
    pub cd_or_prtry: Option<CodeOrProprietary<'a>>,
    /// 001.01 carries the code directly under `Tp`.
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub prtry: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CashBalance<'a> {
    #[serde(borrow)]
    pub tp: Option<BalanceType<'a>>,
    #[serde(borrow)]
    pub amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub cdt_dbt_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub dt: Option<DateAndDateTime<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct NumberAndSum<'a> {
    #[serde(borrow)]
    pub nb_of_ntries: Option<Txt<'a>>,
    #[serde(borrow)]
    pub sum: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct TotalTransactions<'a> {
    #[serde(borrow)]
    pub ttl_ntries: Option<NumberAndSum<'a>>,
    #[serde(borrow)]
    pub ttl_cdt_ntries: Option<NumberAndSum<'a>>,
    #[serde(borrow)]
    pub ttl_dbt_ntries: Option<NumberAndSum<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ProprietaryCode<'a> {
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub issr: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Family<'a> {
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub sub_fmly_cd: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Domain<'a> {
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub fmly: Option<Family<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct BankTransactionCode<'a> {
    #[serde(borrow)]
    pub domn: Option<Domain<'a>>,
    #[serde(borrow)]
    pub prtry: Option<ProprietaryCode<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AmountAndCurrencyExchange<'a> {
    #[serde(borrow)]
    pub amt: Option<CcyAmt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AmountDetails<'a> {
    #[serde(borrow)]
    pub instd_amt: Option<AmountAndCurrencyExchange<'a>>,
    #[serde(borrow)]
    pub tx_amt: Option<AmountAndCurrencyExchange<'a>>,
    #[serde(borrow)]
    pub cntr_val_amt: Option<AmountAndCurrencyExchange<'a>>,
}

/// `Chrgs/Tp`: `Cd` or `Prtry/Id`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ChargeType<'a> {
    #[serde(borrow)]
    pub cd: Option<Txt<'a>>,
    #[serde(borrow)]
    pub prtry: Option<GenericId<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ChargeRecord<'a> {
    #[serde(borrow)]
    pub amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub cdt_dbt_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub chrg_incl_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub tp: Option<ChargeType<'a>>,
}

/// `Chrgs`: one charge per element (001.01/001.02) or `Rcrd` records (001.03+).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Charges<'a> {
    #[serde(borrow)]
    pub ttl_chrgs_and_tax_amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub cdt_dbt_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub tp: Option<ChargeType<'a>>,
    #[serde(borrow)]
    pub rcrd: Vec<ChargeRecord<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct References<'a> {
    #[serde(borrow)]
    pub msg_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub acct_svcr_ref: Option<Txt<'a>>,
    #[serde(borrow)]
    pub pmt_inf_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub instr_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub end_to_end_id: Option<Txt<'a>>,
    #[serde(borrow, rename = "UETR")]
    pub uetr: Option<Txt<'a>>,
    #[serde(borrow)]
    pub tx_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub mndt_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub chq_nb: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct RelatedParties<'a> {
    #[serde(borrow)]
    pub dbtr: Option<PartyChoice<'a>>,
    #[serde(borrow)]
    pub dbtr_acct: Option<CashAccount<'a>>,
    #[serde(borrow)]
    pub cdtr: Option<PartyChoice<'a>>,
    #[serde(borrow)]
    pub cdtr_acct: Option<CashAccount<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct RelatedAgents<'a> {
    #[serde(borrow)]
    pub dbtr_agt: Option<Agent<'a>>,
    #[serde(borrow)]
    pub cdtr_agt: Option<Agent<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CreditorReference<'a> {
    #[serde(borrow, rename = "Ref")]
    pub reference: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ReferredDocument<'a> {
    #[serde(borrow)]
    pub nb: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct StructuredRemittance<'a> {
    #[serde(borrow)]
    pub rfrd_doc_inf: Vec<ReferredDocument<'a>>,
    #[serde(borrow)]
    pub cdtr_ref_inf: Option<CreditorReference<'a>>,
    #[serde(borrow)]
    pub addtl_rmt_inf: Vec<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct RemittanceInformation<'a> {
    #[serde(borrow)]
    pub ustrd: Vec<Txt<'a>>,
    #[serde(borrow)]
    pub strd: Vec<StructuredRemittance<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ReturnInformation<'a> {
    #[serde(borrow)]
    pub rsn: Option<CodeOrProprietary<'a>>,
    #[serde(borrow)]
    pub addtl_inf: Vec<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct TransactionDetails<'a> {
    #[serde(borrow)]
    pub refs: Option<References<'a>>,
    #[serde(borrow)]
    pub amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub cdt_dbt_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub amt_dtls: Option<AmountDetails<'a>>,
    #[serde(borrow)]
    pub bk_tx_cd: Option<BankTransactionCode<'a>>,
    #[serde(borrow)]
    pub chrgs: Vec<Charges<'a>>,
    #[serde(borrow)]
    pub rltd_pties: Option<RelatedParties<'a>>,
    #[serde(borrow)]
    pub rltd_agts: Option<RelatedAgents<'a>>,
    #[serde(borrow)]
    pub rmt_inf: Option<RemittanceInformation<'a>>,
    #[serde(borrow)]
    pub rtr_inf: Option<ReturnInformation<'a>>,
    #[serde(borrow)]
    pub addtl_tx_inf: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Batch<'a> {
    #[serde(borrow)]
    pub msg_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub pmt_inf_id: Option<Txt<'a>>,
    #[serde(borrow)]
    pub nb_of_txs: Option<Txt<'a>>,
    #[serde(borrow)]
    pub ttl_amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub cdt_dbt_ind: Option<Txt<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct EntryDetails<'a> {
    #[serde(borrow)]
    pub btch: Option<Batch<'a>>,
    #[serde(borrow)]
    pub tx_dtls: Vec<TransactionDetails<'a>>,
}

/// One `Ntry` (camt.053 `ReportEntry`, camt.052 and camt.054 alike).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ReportEntry<'a> {
    #[serde(borrow)]
    pub ntry_ref: Option<Txt<'a>>,
    #[serde(borrow)]
    pub amt: Option<CcyAmt<'a>>,
    #[serde(borrow)]
    pub cdt_dbt_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub rvsl_ind: Option<Txt<'a>>,
    #[serde(borrow)]
    pub sts: Option<TextOrCode<'a>>,
    #[serde(borrow)]
    pub bookg_dt: Option<DateAndDateTime<'a>>,
    #[serde(borrow)]
    pub val_dt: Option<DateAndDateTime<'a>>,
    #[serde(borrow)]
    pub acct_svcr_ref: Option<Txt<'a>>,
    #[serde(borrow)]
    pub bk_tx_cd: Option<BankTransactionCode<'a>>,
    #[serde(borrow)]
    pub amt_dtls: Option<AmountDetails<'a>>,
    #[serde(borrow)]
    pub chrgs: Vec<Charges<'a>>,
    #[serde(borrow)]
    pub ntry_dtls: Vec<EntryDetails<'a>>,
    /// 001.01 puts the batch and the transactions directly under `Ntry`.
    #[serde(borrow)]
    pub btch: Option<Batch<'a>>,
    #[serde(borrow)]
    pub tx_dtls: Vec<TransactionDetails<'a>>,
    #[serde(borrow)]
    pub addtl_ntry_inf: Option<Txt<'a>>,
}
