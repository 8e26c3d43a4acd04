//! The normalized bank-statement model every reader in `kasda-statement` produces.
//!
//! File → statements (camt.053 `Stmt`, camt.052 `Rpt`, camt.054 `Ntfctn`, one MT940/MT942
//! message, one CSV export, one SNAP response) → entries → transaction details (batch entries).
//!
//! Conventions:
//! * Entry amounts are always non-negative; [`Entry::direction`] carries credit/debit as seen by
//!   the account holder. A reversal keeps the direction it has on the statement (MT940 `RC` is a
//!   debit with `reversal = true`, `RD` a credit with `reversal = true`).
//! * Balances are signed (a debit balance is negative).
//! * Every entry records where it came from ([`SourcePos`]) so that `kasda trail` can lead an
//!   auditor back to the line of the file.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Direction};

/// Statement formats kasda reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatementFormat {
    #[serde(rename = "camt.052")]
    Camt052,
    #[serde(rename = "camt.053")]
    Camt053,
    #[serde(rename = "camt.054")]
    Camt054,
    #[serde(rename = "mt940")]
    Mt940,
    #[serde(rename = "mt942")]
    Mt942,
    /// A CSV/XLSX export read through the named profile.
    #[serde(rename = "csv")]
    Csv(String),
    #[serde(rename = "snap")]
    Snap,
}

impl StatementFormat {
    /// The identifier used in JSON output: `camt.053`, `mt940`, `csv:<profile>`, `snap`.
    pub fn id(&self) -> String {
        match self {
            StatementFormat::Camt052 => "camt.052".into(),
            StatementFormat::Camt053 => "camt.053".into(),
            StatementFormat::Camt054 => "camt.054".into(),
            StatementFormat::Mt940 => "mt940".into(),
            StatementFormat::Mt942 => "mt942".into(),
            StatementFormat::Csv(p) => format!("csv:{p}"),
            StatementFormat::Snap => "snap".into(),
        }
    }
}

/// Where something is in its source file. Lines are 1-based; `index` is the 0-based ordinal of
/// the entry within the file (stable across re-reads, used as the natural position in trails).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePos {
    pub line: u32,
    pub index: u32,
}

/// A whole statement file as read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatementFile {
    pub format: Option<StatementFormat>,
    /// Message version, e.g. `053.001.02`; `None` for formats without versions.
    pub version: Option<String>,
    pub message_id: Option<String>,
    pub created_at: Option<NaiveDateTime>,
    /// Pagination of the message (`MsgPgntn`).
    pub page: Option<u32>,
    pub last_page: Option<bool>,
    pub statements: Vec<Statement>,
    /// Facts about the source that are not errors (e.g. `swift-block-envelope`,
    /// `balance-mismatch-in-statements:1`). Stable kebab-case ids.
    pub warnings: Vec<String>,
}

/// camt.053 statement, camt.052 report or camt.054 notification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    #[default]
    Statement,
    Report,
    Notification,
}

/// The account a statement is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountId {
    pub iban: Option<String>,
    /// Local (non-IBAN) account number, as the bank writes it.
    pub number: Option<String>,
    pub currency: Option<Currency>,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub servicer_bic: Option<String>,
    pub servicer_name: Option<String>,
}

impl AccountId {
    /// The identifier kasda keys the account by: IBAN when present, else the local number.
    pub fn key(&self) -> Option<&str> {
        self.iban.as_deref().or(self.number.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceKind {
    /// OPBD, MT940 :60F:
    OpeningBooked,
    /// MT940 :60M: (intermediate opening of a continued page)
    IntermediateOpening,
    /// CLBD, MT940 :62F:
    ClosingBooked,
    /// MT940 :62M:
    IntermediateClosing,
    /// OPAV
    OpeningAvailable,
    /// CLAV, MT940 :64:
    ClosingAvailable,
    /// FWAV, MT940 :65:
    ForwardAvailable,
    /// ITBD
    InterimBooked,
    /// ITAV
    InterimAvailable,
    /// PRCD (previously closed booked)
    PreviouslyClosedBooked,
    /// Anything else, with its code.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    pub kind: BalanceKind,
    /// Signed: negative for a debit balance.
    pub amount: Decimal,
    pub currency: Currency,
    pub date: Option<NaiveDate>,
}

/// Control totals the bank sends (camt `TxsSummry`, MT942 `:90D:/:90C:`, SNAP totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlTotals {
    pub credit_count: Option<u64>,
    pub credit_sum: Option<Decimal>,
    pub debit_count: Option<u64>,
    pub debit_sum: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub kind: StatementKind,
    /// `Stmt/Id`, MT940 `:20:`.
    pub id: Option<String>,
    /// camt `ElctrncSeqNb`, MT940 `:28C:` statement number.
    pub electronic_seq: Option<String>,
    /// camt `LglSeqNb`.
    pub legal_seq: Option<String>,
    /// MT940 `:28C:` sequence (page) number, camt `StmtPgntn/PgNb`.
    pub page: Option<u32>,
    pub last_page: Option<bool>,
    pub created_at: Option<NaiveDateTime>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub account: AccountId,
    pub balances: Vec<Balance>,
    pub totals: Option<ControlTotals>,
    /// MT942 `:34F:` floor limits.
    pub floor_limits: Vec<(Option<Direction>, Decimal)>,
    pub additional_info: Option<String>,
    pub entries: Vec<Entry>,
    /// Where the statement starts in the file.
    pub pos: SourcePos,
}

impl Statement {
    pub fn balance(&self, kind: &BalanceKind) -> Option<&Balance> {
        self.balances.iter().find(|b| &b.kind == kind)
    }

    /// Opening balance used for the balance check: OPBD/:60F:, else :60M:, else PRCD.
    pub fn opening(&self) -> Option<&Balance> {
        self.balance(&BalanceKind::OpeningBooked)
            .or_else(|| self.balance(&BalanceKind::IntermediateOpening))
            .or_else(|| self.balance(&BalanceKind::PreviouslyClosedBooked))
    }

    /// Closing balance used for the balance check: CLBD/:62F:, else :62M:.
    pub fn closing(&self) -> Option<&Balance> {
        self.balance(&BalanceKind::ClosingBooked)
            .or_else(|| self.balance(&BalanceKind::IntermediateClosing))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryStatus {
    #[default]
    Booked,
    Pending,
    Info,
}

/// ISO 20022 bank transaction code plus the proprietary code (MT940 type code such as `NTRF`,
/// SWIFT GVC `?` codes, a bank's own code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankTxCode {
    pub domain: Option<String>,
    pub family: Option<String>,
    pub sub_family: Option<String>,
    pub proprietary: Option<String>,
    pub proprietary_issuer: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct References {
    /// camt `AcctSvcrRef`, MT940 `//` bank reference, CSV reference / journal number,
    /// SNAP `transactionId`.
    pub account_servicer: Option<String>,
    /// camt `NtryRef`.
    pub entry_ref: Option<String>,
    pub end_to_end_id: Option<String>,
    pub instruction_id: Option<String>,
    pub transaction_id: Option<String>,
    pub message_id: Option<String>,
    pub payment_info_id: Option<String>,
    pub mandate_id: Option<String>,
    pub cheque_number: Option<String>,
    pub uetr: Option<String>,
    /// MT940 `:61:` customer reference (subfield 7), `NONREF` kept as written.
    pub customer_ref: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: Option<String>,
    pub iban: Option<String>,
    pub account: Option<String>,
    pub agent_bic: Option<String>,
    pub agent_name: Option<String>,
    pub id: Option<String>,
}

impl Party {
    pub fn is_empty(&self) -> bool {
        *self == Party::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remittance {
    /// Unstructured lines (`Ustrd`, MT940 `:86:` free text, CSV description) in order.
    pub unstructured: Vec<String>,
    /// Structured creditor reference (`Strd/CdtrRefInf/Ref`, ISR/QRR references, `/EREF/`…).
    pub creditor_ref: Option<String>,
    /// Other structured references (document numbers in `Strd/RfrdDocInf`).
    pub structured: Vec<String>,
}

/// One transaction inside an entry (camt `TxDtls`); a batch entry has many.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TxDetail {
    /// Transaction amount (`AmtDtls/TxAmt` or `TxDtls/Amt`), when given.
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    /// Instructed amount (`AmtDtls/InstdAmt`), when different from the transaction amount.
    pub instructed_amount: Option<Decimal>,
    pub direction: Option<Direction>,
    pub refs: References,
    pub debtor: Party,
    pub creditor: Party,
    pub remittance: Remittance,
    pub charges: Vec<Charge>,
    pub bank_tx_code: Option<BankTxCode>,
    pub return_reason: Option<String>,
    pub additional_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charge {
    pub amount: Decimal,
    pub currency: Currency,
    pub direction: Option<Direction>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub pos: SourcePos,
    /// Always ≥ 0.
    pub amount: Decimal,
    pub currency: Currency,
    pub direction: Option<Direction>,
    pub reversal: bool,
    pub status: EntryStatus,
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    /// Time of the transaction when the source gives one (CSV time column, SNAP dateTime), UTC
    /// unless the source says otherwise.
    pub booked_at: Option<NaiveDateTime>,
    pub bank_tx_code: BankTxCode,
    pub refs: References,
    /// The other party: debtor of a credit, creditor of a debit.
    pub counterparty: Party,
    pub remittance: Remittance,
    pub additional_info: Option<String>,
    /// MT940 supplementary details (`:61:` line 2), funds code.
    pub supplementary: Option<String>,
    pub funds_code: Option<String>,
    /// Running balance after this entry, when the source shows one (CSV exports).
    pub balance_after: Option<Decimal>,
    pub details: Vec<TxDetail>,
    /// Notes when the entry amount and its details disagree (`details-sum-differs:…`,
    /// `instructed-differs:…`, `charges:…`).
    pub amount_notes: Vec<String>,
}

impl Entry {
    /// Signed amount (credit positive, debit negative); zero for an entry without direction.
    pub fn signed_amount(&self) -> Decimal {
        self.direction
            .map(|d| d.signed(self.amount))
            .unwrap_or_default()
    }

    /// Every piece of free text of the entry and its details, for reference matching.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let r = &self.refs;
        let refs = [
            &r.account_servicer,
            &r.entry_ref,
            &r.end_to_end_id,
            &r.instruction_id,
            &r.transaction_id,
            &r.customer_ref,
            &self.remittance.creditor_ref,
            &self.additional_info,
        ];
        refs.into_iter()
            .flatten()
            .map(String::as_str)
            .chain(self.remittance.unstructured.iter().map(String::as_str))
            .chain(self.remittance.structured.iter().map(String::as_str))
            .chain(self.details.iter().flat_map(|d| {
                [
                    &d.refs.end_to_end_id,
                    &d.refs.account_servicer,
                    &d.refs.instruction_id,
                ]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .chain(d.remittance.unstructured.iter().map(String::as_str))
            }))
    }
}
