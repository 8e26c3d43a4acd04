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

use serde::Deserialize;

/// An amount with its currency attribute: `<Amt Ccy="IDR">1000.00</Amt>`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CcyAmt {
    #[serde(rename = "@Ccy", default)]
    pub ccy: Option<String>,
    #[serde(rename = "$text", default)]
    pub value: String,
}

/// A code that is plain text in old versions and `<Cd>`/`<Prtry>` in new ones (`Sts`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct TextOrCode {
    #[serde(rename = "$text")]
    pub text: Option<String>,
    pub cd: Option<String>,
    pub prtry: Option<String>,
}

/// `Dt` or `DtTm` (booking date, value date, balance date).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct DateAndDateTime {
    pub dt: Option<String>,
    pub dt_tm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Pagination {
    pub pg_nb: Option<String>,
    pub last_pg_ind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct GroupHeader {
    pub msg_id: Option<String>,
    pub cre_dt_tm: Option<String>,
    pub msg_pgntn: Option<Pagination>,
    pub addtl_inf: Option<String>,
}

/// Business application header of an envelope; only the message definition matters.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AppHdr {
    pub msg_def_idr: Option<String>,
    pub biz_msg_idr: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct FromToDate {
    pub fr_dt_tm: Option<String>,
    pub to_dt_tm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct GenericId {
    pub id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AccountIdChoice {
    #[serde(rename = "IBAN")]
    pub iban: Option<String>,
    pub othr: Option<GenericId>,
    /// 001.01 `PrtryAcct/Id`.
    pub prtry_acct: Option<GenericId>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct FinInstnId {
    #[serde(rename = "BIC")]
    pub bic: Option<String>,
    #[serde(rename = "BICFI")]
    pub bicfi: Option<String>,
    pub nm: Option<String>,
    pub othr: Option<GenericId>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Agent {
    pub fin_instn_id: Option<FinInstnId>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct OrgOrPrivateId {
    #[serde(rename = "AnyBIC")]
    pub any_bic: Option<String>,
    #[serde(rename = "BICOrBEI")]
    pub bic_or_bei: Option<String>,
    #[serde(rename = "LEI")]
    pub lei: Option<String>,
    pub othr: Vec<GenericId>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct PartyIdChoice {
    pub org_id: Option<OrgOrPrivateId>,
    pub prvt_id: Option<OrgOrPrivateId>,
}

/// `PartyIdentification`: name and identification.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct PartyIdentification {
    pub nm: Option<String>,
    pub id: Option<PartyIdChoice>,
}

/// `Dbtr`/`Cdtr`: a party directly (≤ 001.07) or `Pty`/`Agt` (≥ 001.08).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct PartyChoice {
    pub nm: Option<String>,
    pub id: Option<PartyIdChoice>,
    pub pty: Option<PartyIdentification>,
    pub agt: Option<Agent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CashAccount {
    pub id: Option<AccountIdChoice>,
    pub ccy: Option<String>,
    pub nm: Option<String>,
    pub ownr: Option<PartyIdentification>,
    pub svcr: Option<Agent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CodeOrProprietary {
    pub cd: Option<String>,
    pub prtry: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct BalanceType {
    pub cd_or_prtry: Option<CodeOrProprietary>,
    /// 001.01 carries the code directly under `Tp`.
    pub cd: Option<String>,
    pub prtry: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CashBalance {
    pub tp: Option<BalanceType>,
    pub amt: Option<CcyAmt>,
    pub cdt_dbt_ind: Option<String>,
    pub dt: Option<DateAndDateTime>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct NumberAndSum {
    pub nb_of_ntries: Option<String>,
    pub sum: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct TotalTransactions {
    pub ttl_ntries: Option<NumberAndSum>,
    pub ttl_cdt_ntries: Option<NumberAndSum>,
    pub ttl_dbt_ntries: Option<NumberAndSum>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ProprietaryCode {
    pub cd: Option<String>,
    pub issr: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Family {
    pub cd: Option<String>,
    pub sub_fmly_cd: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Domain {
    pub cd: Option<String>,
    pub fmly: Option<Family>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct BankTransactionCode {
    pub domn: Option<Domain>,
    pub prtry: Option<ProprietaryCode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AmountAndCurrencyExchange {
    pub amt: Option<CcyAmt>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct AmountDetails {
    pub instd_amt: Option<AmountAndCurrencyExchange>,
    pub tx_amt: Option<AmountAndCurrencyExchange>,
    pub cntr_val_amt: Option<AmountAndCurrencyExchange>,
}

/// `Chrgs/Tp`: `Cd` or `Prtry/Id`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ChargeType {
    pub cd: Option<String>,
    pub prtry: Option<GenericId>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ChargeRecord {
    pub amt: Option<CcyAmt>,
    pub cdt_dbt_ind: Option<String>,
    pub chrg_incl_ind: Option<String>,
    pub tp: Option<ChargeType>,
}

/// `Chrgs`: one charge per element (001.01/001.02) or `Rcrd` records (001.03+).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Charges {
    pub ttl_chrgs_and_tax_amt: Option<CcyAmt>,
    pub amt: Option<CcyAmt>,
    pub cdt_dbt_ind: Option<String>,
    pub tp: Option<ChargeType>,
    pub rcrd: Vec<ChargeRecord>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct References {
    pub msg_id: Option<String>,
    pub acct_svcr_ref: Option<String>,
    pub pmt_inf_id: Option<String>,
    pub instr_id: Option<String>,
    pub end_to_end_id: Option<String>,
    #[serde(rename = "UETR")]
    pub uetr: Option<String>,
    pub tx_id: Option<String>,
    pub mndt_id: Option<String>,
    pub chq_nb: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct RelatedParties {
    pub dbtr: Option<PartyChoice>,
    pub dbtr_acct: Option<CashAccount>,
    pub cdtr: Option<PartyChoice>,
    pub cdtr_acct: Option<CashAccount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct RelatedAgents {
    pub dbtr_agt: Option<Agent>,
    pub cdtr_agt: Option<Agent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct CreditorReference {
    #[serde(rename = "Ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ReferredDocument {
    pub nb: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct StructuredRemittance {
    pub rfrd_doc_inf: Vec<ReferredDocument>,
    pub cdtr_ref_inf: Option<CreditorReference>,
    pub addtl_rmt_inf: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct RemittanceInformation {
    pub ustrd: Vec<String>,
    pub strd: Vec<StructuredRemittance>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ReturnInformation {
    pub rsn: Option<CodeOrProprietary>,
    pub addtl_inf: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct TransactionDetails {
    pub refs: Option<References>,
    pub amt: Option<CcyAmt>,
    pub cdt_dbt_ind: Option<String>,
    pub amt_dtls: Option<AmountDetails>,
    pub bk_tx_cd: Option<BankTransactionCode>,
    pub chrgs: Vec<Charges>,
    pub rltd_pties: Option<RelatedParties>,
    pub rltd_agts: Option<RelatedAgents>,
    pub rmt_inf: Option<RemittanceInformation>,
    pub rtr_inf: Option<ReturnInformation>,
    pub addtl_tx_inf: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct Batch {
    pub msg_id: Option<String>,
    pub pmt_inf_id: Option<String>,
    pub nb_of_txs: Option<String>,
    pub ttl_amt: Option<CcyAmt>,
    pub cdt_dbt_ind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct EntryDetails {
    pub btch: Option<Batch>,
    pub tx_dtls: Vec<TransactionDetails>,
}

/// One `Ntry` (camt.053 `ReportEntry`, camt.052 and camt.054 alike).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct ReportEntry {
    pub ntry_ref: Option<String>,
    pub amt: Option<CcyAmt>,
    pub cdt_dbt_ind: Option<String>,
    pub rvsl_ind: Option<String>,
    pub sts: Option<TextOrCode>,
    pub bookg_dt: Option<DateAndDateTime>,
    pub val_dt: Option<DateAndDateTime>,
    pub acct_svcr_ref: Option<String>,
    pub bk_tx_cd: Option<BankTransactionCode>,
    pub amt_dtls: Option<AmountDetails>,
    pub chrgs: Vec<Charges>,
    pub ntry_dtls: Vec<EntryDetails>,
    /// 001.01 puts the batch and the transactions directly under `Ntry`.
    pub btch: Option<Batch>,
    pub tx_dtls: Vec<TransactionDetails>,
    pub addtl_ntry_inf: Option<String>,
}
