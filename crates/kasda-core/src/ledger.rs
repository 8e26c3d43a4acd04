//! Ledger accounts, postings, journal entries and the canonical encoding of the hash chain.
//!
//! An account is named by a stable key `<kind>/<qualifier>` (for example
//! `kas-daerah/0012345678901`, `dana-dalam-perjalanan/qris`,
//! `pendapatan-lra/4.1.01.15.01.0001`). The kind is one of the posting model's accounts
//! (guide §6); the qualifier is a bank account number, a channel, an OPD code or a kode
//! rekening. `kasda-core::chart` maps kinds to Permendagri 90/2019 codes for reports.
//!
//! A [`JournalEntry`] cannot exist unbalanced: [`JournalEntry::new`] checks that it has at least
//! two postings, that every amount is positive with at most the currency's scale, and that
//! debits equal credits per currency.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::money::{Currency, Direction};

/// The posting model's account kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountKind {
    /// Kas di Kas Daerah — an RKUD bank account. Qualifier: account number.
    KasDaerah,
    /// Kas di rekening penampungan — a holding account. Qualifier: account number.
    KasPenampungan,
    /// Kas di Bendahara Penerimaan. Qualifier: OPD code.
    KasBendaharaPenerimaan,
    /// Dana dalam perjalanan — collected by a channel, not yet settled. Qualifier: channel.
    DanaDalamPerjalanan,
    /// Penerimaan belum masuk RKUD. Qualifier: kode rekening.
    PenerimaanBelumMasukRkud,
    /// Penerimaan belum teridentifikasi — suspense for unmatched credits. Qualifier: bank account.
    PenerimaanBelumTeridentifikasi,
    /// Pendapatan-LRA. Qualifier: kode rekening.
    PendapatanLra,
    /// Beban/biaya layanan of a channel. Qualifier: channel.
    BebanLayanan,
    /// Belanja / pengeluaran per SP2D. Qualifier: kode rekening or SP2D type.
    Belanja,
    /// SP2D belum dicairkan. Qualifier: RKUD account number.
    Sp2dBelumDicairkan,
    /// Pengeluaran belum teridentifikasi — suspense for unmatched debits. Qualifier: bank account.
    PengeluaranBelumTeridentifikasi,
    /// Pendapatan jasa giro. Qualifier: bank account.
    PendapatanJasaGiro,
    /// Beban/biaya bank. Qualifier: bank account.
    BebanBank,
    /// Kiriman uang / transit between the pemda's own accounts. Qualifier: bank account.
    KirimanUang,
    /// Write-offs approved under maker-checker. Qualifier: reason code.
    Penghapusan,
    /// Saldo awal kas — the equity-side counterpart of a kas account's agreed opening balance
    /// (ekuitas / SAL carried from the previous year), booked once per account under
    /// maker-checker. Qualifier: bank account number.
    SaldoAwalKas,
}

impl AccountKind {
    pub const ALL: [AccountKind; 16] = [
        AccountKind::KasDaerah,
        AccountKind::KasPenampungan,
        AccountKind::KasBendaharaPenerimaan,
        AccountKind::DanaDalamPerjalanan,
        AccountKind::PenerimaanBelumMasukRkud,
        AccountKind::PenerimaanBelumTeridentifikasi,
        AccountKind::PendapatanLra,
        AccountKind::BebanLayanan,
        AccountKind::Belanja,
        AccountKind::Sp2dBelumDicairkan,
        AccountKind::PengeluaranBelumTeridentifikasi,
        AccountKind::PendapatanJasaGiro,
        AccountKind::BebanBank,
        AccountKind::KirimanUang,
        AccountKind::Penghapusan,
        AccountKind::SaldoAwalKas,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::KasDaerah => "kas-daerah",
            AccountKind::KasPenampungan => "kas-penampungan",
            AccountKind::KasBendaharaPenerimaan => "kas-bendahara-penerimaan",
            AccountKind::DanaDalamPerjalanan => "dana-dalam-perjalanan",
            AccountKind::PenerimaanBelumMasukRkud => "penerimaan-belum-masuk-rkud",
            AccountKind::PenerimaanBelumTeridentifikasi => "penerimaan-belum-teridentifikasi",
            AccountKind::PendapatanLra => "pendapatan-lra",
            AccountKind::BebanLayanan => "beban-layanan",
            AccountKind::Belanja => "belanja",
            AccountKind::Sp2dBelumDicairkan => "sp2d-belum-dicairkan",
            AccountKind::PengeluaranBelumTeridentifikasi => "pengeluaran-belum-teridentifikasi",
            AccountKind::PendapatanJasaGiro => "pendapatan-jasa-giro",
            AccountKind::BebanBank => "beban-bank",
            AccountKind::KirimanUang => "kiriman-uang",
            AccountKind::Penghapusan => "penghapusan",
            AccountKind::SaldoAwalKas => "saldo-awal-kas",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Human name in the treasury's words.
    pub fn name(self) -> &'static str {
        match self {
            AccountKind::KasDaerah => "Kas di Kas Daerah",
            AccountKind::KasPenampungan => "Kas di rekening penampungan",
            AccountKind::KasBendaharaPenerimaan => "Kas di Bendahara Penerimaan",
            AccountKind::DanaDalamPerjalanan => "Dana dalam perjalanan",
            AccountKind::PenerimaanBelumMasukRkud => "Penerimaan belum masuk RKUD",
            AccountKind::PenerimaanBelumTeridentifikasi => "Penerimaan belum teridentifikasi",
            AccountKind::PendapatanLra => "Pendapatan-LRA",
            AccountKind::BebanLayanan => "Beban layanan channel",
            AccountKind::Belanja => "Belanja",
            AccountKind::Sp2dBelumDicairkan => "SP2D belum dicairkan",
            AccountKind::PengeluaranBelumTeridentifikasi => "Pengeluaran belum teridentifikasi",
            AccountKind::PendapatanJasaGiro => "Pendapatan jasa giro",
            AccountKind::BebanBank => "Beban bank",
            AccountKind::KirimanUang => "Kiriman uang antar rekening",
            AccountKind::Penghapusan => "Penghapusan (write-off)",
            AccountKind::SaldoAwalKas => "Saldo awal kas",
        }
    }

    /// Normal balance side: assets and expenses are debit-normal, the rest credit-normal.
    pub fn normal_side(self) -> Direction {
        match self {
            AccountKind::KasDaerah
            | AccountKind::KasPenampungan
            | AccountKind::KasBendaharaPenerimaan
            | AccountKind::DanaDalamPerjalanan
            | AccountKind::BebanLayanan
            | AccountKind::Belanja
            | AccountKind::PengeluaranBelumTeridentifikasi
            | AccountKind::BebanBank
            | AccountKind::KirimanUang
            | AccountKind::Penghapusan => Direction::Debit,
            AccountKind::PenerimaanBelumMasukRkud
            | AccountKind::PenerimaanBelumTeridentifikasi
            | AccountKind::PendapatanLra
            | AccountKind::Sp2dBelumDicairkan
            | AccountKind::PendapatanJasaGiro
            | AccountKind::SaldoAwalKas => Direction::Credit,
        }
    }

    /// Is this one of the cash accounts (kas)?
    pub fn is_cash(self) -> bool {
        matches!(
            self,
            AccountKind::KasDaerah
                | AccountKind::KasPenampungan
                | AccountKind::KasBendaharaPenerimaan
        )
    }
}

/// Maximum length of an account key, enforced everywhere keys are built.
pub const MAX_ACCOUNT_KEY_LEN: usize = 200;

/// A ledger account key `<kind>/<qualifier>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountKey {
    kind: AccountKind,
    qualifier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("invalid account key {found:?}: expected <kind>/<qualifier> with kind one of {kinds}")]
    InvalidAccountKey { found: String, kinds: String },
    #[error("journal entry needs at least 2 postings, found {found}")]
    TooFewPostings { found: usize },
    #[error("posting {index} to {account}: amount must be positive with at most {scale} decimals, found {found}")]
    BadPostingAmount {
        index: usize,
        account: String,
        found: String,
        scale: u32,
    },
    #[error("journal entry does not balance in {currency}: debits {debits}, credits {credits}")]
    Unbalanced {
        currency: String,
        debits: String,
        credits: String,
    },
    #[error("arithmetic overflow while balancing an entry")]
    Overflow,
    #[error("text field {field} is {len} bytes long; the limit is {limit}")]
    TooLong {
        field: &'static str,
        len: usize,
        limit: usize,
    },
    #[error("entry of kind opening_balance keyed {natural_key:?} with postings to {accounts}: expected Dr/Cr one kas-daerah or kas-penampungan account against saldo-awal-kas of the same number, keyed opening_balance:<that account>:<n>")]
    OpeningBalanceShape {
        natural_key: String,
        accounts: String,
    },
}

impl AccountKey {
    pub fn new(kind: AccountKind, qualifier: impl Into<String>) -> Self {
        let mut qualifier: String = qualifier.into();
        qualifier.retain(|c| !c.is_control());
        let q = qualifier.trim();
        let q = if q.is_empty() { "-" } else { q };
        // Keep keys bounded; the cut is deterministic and on a char boundary.
        let limit = MAX_ACCOUNT_KEY_LEN - kind.as_str().len() - 1;
        let mut end = q.len().min(limit);
        while !q.is_char_boundary(end) {
            end -= 1;
        }
        AccountKey {
            kind,
            qualifier: q[..end].to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<Self, LedgerError> {
        let err = || LedgerError::InvalidAccountKey {
            found: s.to_string(),
            kinds: AccountKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let (k, q) = s.split_once('/').ok_or_else(err)?;
        let kind = AccountKind::parse(k).ok_or_else(err)?;
        if q.trim().is_empty() || s.len() > MAX_ACCOUNT_KEY_LEN {
            return Err(err());
        }
        Ok(AccountKey::new(kind, q))
    }

    pub fn kind(&self) -> AccountKind {
        self.kind
    }

    pub fn qualifier(&self) -> &str {
        &self.qualifier
    }
}

impl fmt::Display for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.as_str(), self.qualifier)
    }
}

impl TryFrom<String> for AccountKey {
    type Error = LedgerError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        AccountKey::parse(&s)
    }
}

impl From<AccountKey> for String {
    fn from(k: AccountKey) -> String {
        k.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    pub account: AccountKey,
    pub side: Direction,
    /// Positive, at most the currency's scale.
    pub amount: Decimal,
    pub currency: Currency,
}

impl Posting {
    pub fn debit(account: AccountKey, amount: Decimal) -> Self {
        Posting {
            account,
            side: Direction::Debit,
            amount,
            currency: Currency::IDR,
        }
    }

    pub fn credit(account: AccountKey, amount: Decimal) -> Self {
        Posting {
            account,
            side: Direction::Credit,
            amount,
            currency: Currency::IDR,
        }
    }

    /// Effect on the account's balance measured debit-positive.
    pub fn debit_signed(&self) -> Decimal {
        match self.side {
            Direction::Debit => self.amount,
            Direction::Credit => -self.amount,
        }
    }
}

/// What an entry records. Stable ids, stored and hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    StatementLine,
    Receipt,
    ReceiptReversal,
    Sts,
    Sp2d,
    Match,
    Fee,
    Sweep,
    JasaGiro,
    BankCharge,
    WriteOff,
    Reversal,
    /// Not written by kasda; kept so that a stored kind id never stops parsing. The opening
    /// balance of a kas account is [`EntryKind::OpeningBalance`].
    Opening,
    /// The agreed opening balance (saldo awal) of a kas account, booked through maker-checker.
    OpeningBalance,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::StatementLine => "statement_line",
            EntryKind::Receipt => "receipt",
            EntryKind::ReceiptReversal => "receipt_reversal",
            EntryKind::Sts => "sts",
            EntryKind::Sp2d => "sp2d",
            EntryKind::Match => "match",
            EntryKind::Fee => "fee",
            EntryKind::Sweep => "sweep",
            EntryKind::JasaGiro => "jasa_giro",
            EntryKind::BankCharge => "bank_charge",
            EntryKind::WriteOff => "write_off",
            EntryKind::Reversal => "reversal",
            EntryKind::Opening => "opening",
            EntryKind::OpeningBalance => "opening_balance",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        use EntryKind::*;
        [
            StatementLine,
            Receipt,
            ReceiptReversal,
            Sts,
            Sp2d,
            Match,
            Fee,
            Sweep,
            JasaGiro,
            BankCharge,
            WriteOff,
            Reversal,
            Opening,
            OpeningBalance,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Limit on free-text fields of an entry (memo, natural key, position).
pub const MAX_ENTRY_TEXT: usize = 1000;

/// A balanced journal entry as the application builds it, before a store numbers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub kind: EntryKind,
    /// Booking date in the ledger (the date the fact belongs to).
    pub booked_on: NaiveDate,
    /// Value (effective) date.
    pub value_date: NaiveDate,
    /// Natural key that makes the entry idempotent within a ledger (e.g.
    /// `stmt:<account>:<date>:<bank ref>:<amount>:<seq>`, `receipt:<ntpd>`, `match:<rule>:<ids>`).
    pub natural_key: String,
    /// Source position: `<line>:<entry index>` in the source file, or empty for derived entries.
    pub position: String,
    pub memo: String,
    /// Sequence number (within the ledger) of the entry this one reverses.
    pub reverses: Option<i64>,
    pub postings: Vec<Posting>,
}

impl JournalEntry {
    /// Builds an entry, refusing anything that does not balance per currency.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: EntryKind,
        booked_on: NaiveDate,
        value_date: NaiveDate,
        natural_key: impl Into<String>,
        position: impl Into<String>,
        memo: impl Into<String>,
        reverses: Option<i64>,
        postings: Vec<Posting>,
    ) -> Result<Self, LedgerError> {
        let e = JournalEntry {
            kind,
            booked_on,
            value_date,
            natural_key: natural_key.into(),
            position: position.into(),
            memo: memo.into(),
            reverses,
            postings,
        };
        e.validate()?;
        Ok(e)
    }

    /// Checks every invariant of an entry. Stores call this again before writing, and the
    /// databases check balance once more in their own triggers.
    pub fn validate(&self) -> Result<(), LedgerError> {
        for (field, v) in [
            ("natural_key", &self.natural_key),
            ("position", &self.position),
            ("memo", &self.memo),
        ] {
            if v.len() > MAX_ENTRY_TEXT {
                return Err(LedgerError::TooLong {
                    field,
                    len: v.len(),
                    limit: MAX_ENTRY_TEXT,
                });
            }
        }
        if self.postings.len() < 2 {
            return Err(LedgerError::TooFewPostings {
                found: self.postings.len(),
            });
        }
        let mut per_currency: BTreeMap<Currency, (Decimal, Decimal)> = BTreeMap::new();
        for (index, p) in self.postings.iter().enumerate() {
            if p.amount <= Decimal::ZERO || p.amount.normalize().scale() > p.currency.scale() {
                return Err(LedgerError::BadPostingAmount {
                    index,
                    account: p.account.to_string(),
                    found: p.amount.to_string(),
                    scale: p.currency.scale(),
                });
            }
            let slot = per_currency.entry(p.currency).or_default();
            let side = match p.side {
                Direction::Debit => &mut slot.0,
                Direction::Credit => &mut slot.1,
            };
            *side = side.checked_add(p.amount).ok_or(LedgerError::Overflow)?;
        }
        for (currency, (debits, credits)) in per_currency {
            if debits != credits {
                return Err(LedgerError::Unbalanced {
                    currency: currency.to_string(),
                    debits: debits.to_string(),
                    credits: credits.to_string(),
                });
            }
        }
        // Reports read an account's saldo awal by its opening-balance key range, so an entry of
        // that kind is one only in the shape and under the key `posting::opening_balance` gives it.
        if self.kind == EntryKind::OpeningBalance
            && crate::posting::opening_balance_parts(self).is_none()
        {
            return Err(LedgerError::OpeningBalanceShape {
                natural_key: self.natural_key.clone(),
                accounts: self
                    .postings
                    .iter()
                    .map(|p| p.account.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        Ok(())
    }

    /// The entry that undoes this one: same postings, sides swapped, naming it.
    pub fn reversal(&self, own_seq: i64, booked_on: NaiveDate, reason: &str) -> Self {
        JournalEntry {
            kind: EntryKind::Reversal,
            booked_on,
            value_date: booked_on,
            natural_key: format!("reversal:{own_seq}"),
            position: String::new(),
            memo: reason.chars().take(MAX_ENTRY_TEXT / 4).collect(),
            reverses: Some(own_seq),
            postings: self
                .postings
                .iter()
                .map(|p| Posting {
                    side: p.side.opposite(),
                    ..p.clone()
                })
                .collect(),
        }
    }

    /// Total debited (per entry, single currency ledgers: the entry's size).
    pub fn total(&self) -> Decimal {
        self.postings
            .iter()
            .filter(|p| p.side == Direction::Debit)
            .map(|p| p.amount)
            .sum()
    }
}

/// An entry as a store recorded it: numbered within its ledger, tied to its source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEntry {
    /// 1-based position in the ledger's chain.
    pub seq: i64,
    pub entry: JournalEntry,
    /// sha256 of the source file, hex; `None` for derived entries (matches, reversals).
    pub source_sha256: Option<String>,
    /// Import run or reconcile run that wrote the entry.
    pub run_id: i64,
    /// When the store recorded it (UTC, microseconds). Not part of the hash, see
    /// [`canonical_encoding`].
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub prev_hash: String,
    pub hash: String,
}

/// The all-zero hash that precedes a ledger's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Canonical byte encoding of an entry for the hash chain.
///
/// Store-independent by construction: every field is written as UTF-8 text with a length prefix,
/// amounts in canonical notation with the currency's scale, dates as `YYYY-MM-DD`, postings in
/// the order the entry lists them. `recorded_at` and `run_id` are deliberately excluded so that
/// two stores given the same imports produce bit-identical chains; the store protects them with
/// its append-only triggers instead.
pub fn canonical_encoding(
    ledger: &str,
    seq: i64,
    source_sha256: Option<&str>,
    e: &JournalEntry,
) -> Vec<u8> {
    use crate::digits::{push_i64, push_iso_date, push_u64};
    let mut out = Vec::with_capacity(
        160 + ledger.len() + e.natural_key.len() + e.memo.len() + 96 * e.postings.len(),
    );
    field(&mut out, b"kasda-entry-v1");
    field(&mut out, ledger.as_bytes());
    field_with(&mut out, |o| push_i64(o, seq));
    field(&mut out, e.kind.as_str().as_bytes());
    field_with(&mut out, |o| push_iso_date(o, e.booked_on));
    field_with(&mut out, |o| push_iso_date(o, e.value_date));
    field(&mut out, e.natural_key.as_bytes());
    field(&mut out, e.position.as_bytes());
    field(&mut out, e.memo.as_bytes());
    field(&mut out, source_sha256.unwrap_or("").as_bytes());
    field_with(&mut out, |o| {
        if let Some(r) = e.reverses {
            push_i64(o, r)
        }
    });
    field_with(&mut out, |o| push_u64(o, e.postings.len() as u64));
    for p in &e.postings {
        field_with(&mut out, |o| {
            o.extend_from_slice(p.account.kind.as_str().as_bytes());
            o.push(b'/');
            o.extend_from_slice(p.account.qualifier.as_bytes());
        });
        field(&mut out, p.side.as_str().as_bytes());
        field_with(&mut out, |o| {
            crate::money::push_plain(o, p.amount, p.currency.scale())
        });
        field(&mut out, p.currency.as_str().as_bytes());
    }
    out
}

/// One field of the canonical encoding: its length as 4 bytes big-endian, then its bytes.
fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// [`field`] for text written by `write`: the length is filled in once the text is there.
fn field_with(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    write(out);
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// `sha256(prev_hash ‖ canonical encoding)`, hex.
pub fn chain_hash(
    prev_hash: &str,
    ledger: &str,
    seq: i64,
    source_sha256: Option<&str>,
    e: &JournalEntry,
) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_encoding(ledger, seq, source_sha256, e));
    hex::encode(h.finalize())
}

/// Result of recomputing a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub ledger: String,
    pub entries: u64,
    pub head_hash: String,
    /// First entry whose content or order does not match its stored hash.
    pub first_bad: Option<VerifyFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyFailure {
    pub seq: i64,
    pub reason: String,
}

/// Incremental verifier: feed stored entries in sequence order.
pub struct ChainVerifier {
    ledger: String,
    expected_seq: i64,
    prev: String,
    count: u64,
    failure: Option<VerifyFailure>,
}

impl ChainVerifier {
    pub fn new(ledger: &str) -> Self {
        ChainVerifier {
            ledger: ledger.to_string(),
            expected_seq: 1,
            prev: GENESIS_HASH.to_string(),
            count: 0,
            failure: None,
        }
    }

    /// Checks one entry; after the first failure the rest are only counted.
    pub fn push(&mut self, s: &StoredEntry) {
        self.count += 1;
        if self.failure.is_some() {
            return;
        }
        let fail = |reason: String| Some(VerifyFailure { seq: s.seq, reason });
        if s.seq != self.expected_seq {
            self.failure = fail(format!(
                "sequence gap: expected entry {} but found {} (an entry was deleted or reordered)",
                self.expected_seq, s.seq
            ));
            return;
        }
        if s.prev_hash != self.prev {
            self.failure = fail(format!(
                "previous-hash link broken: entry stores {} but the chain so far ends in {}",
                s.prev_hash, self.prev
            ));
            return;
        }
        if let Err(e) = s.entry.validate() {
            self.failure = fail(format!("entry no longer valid: {e}"));
            return;
        }
        let h = chain_hash(
            &self.prev,
            &self.ledger,
            s.seq,
            s.source_sha256.as_deref(),
            &s.entry,
        );
        if h != s.hash {
            self.failure = fail(format!(
                "content altered: recomputed hash {h} differs from stored {}",
                s.hash
            ));
            return;
        }
        self.prev = h;
        self.expected_seq += 1;
    }

    pub fn finish(self) -> VerifyReport {
        VerifyReport {
            ledger: self.ledger,
            entries: self.count,
            head_hash: self.prev,
            first_bad: self.failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn kas() -> AccountKey {
        AccountKey::new(AccountKind::KasDaerah, "0012345678")
    }
    fn suspense() -> AccountKey {
        AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, "0012345678")
    }

    #[test]
    fn unbalanced_entry_cannot_be_built() {
        let e = JournalEntry::new(
            EntryKind::StatementLine,
            d("2026-01-02"),
            d("2026-01-02"),
            "k",
            "1:0",
            "",
            None,
            vec![
                Posting::debit(kas(), dec!(10)),
                Posting::credit(suspense(), dec!(9)),
            ],
        );
        assert!(matches!(e, Err(LedgerError::Unbalanced { .. })));
        let one = JournalEntry::new(
            EntryKind::StatementLine,
            d("2026-01-02"),
            d("2026-01-02"),
            "k",
            "",
            "",
            None,
            vec![Posting::debit(kas(), dec!(10))],
        );
        assert!(matches!(one, Err(LedgerError::TooFewPostings { found: 1 })));
        let neg = JournalEntry::new(
            EntryKind::StatementLine,
            d("2026-01-02"),
            d("2026-01-02"),
            "k",
            "",
            "",
            None,
            vec![
                Posting::debit(kas(), dec!(-10)),
                Posting::credit(suspense(), dec!(-10)),
            ],
        );
        assert!(matches!(neg, Err(LedgerError::BadPostingAmount { .. })));
    }

    #[test]
    fn account_keys_round_trip() {
        let k = AccountKey::parse("pendapatan-lra/4.1.01.15.01.0001").unwrap();
        assert_eq!(k.kind(), AccountKind::PendapatanLra);
        assert_eq!(k.to_string(), "pendapatan-lra/4.1.01.15.01.0001");
        assert!(AccountKey::parse("nope/1").is_err());
        assert!(AccountKey::parse("kas-daerah/").is_err());
    }

    /// The canonical encoding as first written, field by field through `String`s: the
    /// buffer-writing [`canonical_encoding`] must give the same bytes for every entry.
    fn reference_encoding(
        ledger: &str,
        seq: i64,
        source_sha256: Option<&str>,
        e: &JournalEntry,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut field = |s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        field("kasda-entry-v1");
        field(ledger);
        field(&seq.to_string());
        field(e.kind.as_str());
        field(&e.booked_on.format("%Y-%m-%d").to_string());
        field(&e.value_date.format("%Y-%m-%d").to_string());
        field(&e.natural_key);
        field(&e.position);
        field(&e.memo);
        field(source_sha256.unwrap_or(""));
        field(&e.reverses.map(|r| r.to_string()).unwrap_or_default());
        field(&e.postings.len().to_string());
        for p in &e.postings {
            field(&p.account.to_string());
            field(p.side.as_str());
            field(&crate::money::format_amount(
                p.amount,
                crate::money::NumberFormat::Plain,
                p.currency.scale(),
            ));
            field(p.currency.as_str());
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn canonical_encoding_matches_the_reference(
            seq in proptest::num::i64::ANY,
            days in -400_000i32..4_000_000,
            value_days in -400_000i32..4_000_000,
            key in "\\PC{0,40}",
            memo in "\\PC{0,60}",
            source in proptest::option::of("[0-9a-f]{64}"),
            reverses in proptest::option::of(proptest::num::i64::ANY),
            cents in 1i64..i64::MAX,
            scale in 0u32..=3,
            qualifier in "[0-9A-Za-z./-]{1,30}",
        ) {
            let date = |n: i32| NaiveDate::from_num_days_from_ce_opt(n).unwrap();
            let amount = Decimal::new(cents, scale);
            let e = JournalEntry {
                kind: EntryKind::Match,
                booked_on: date(days),
                value_date: date(value_days),
                natural_key: key,
                position: "3:0".into(),
                memo,
                reverses,
                postings: vec![
                    Posting::debit(AccountKey::new(AccountKind::KasDaerah, qualifier.clone()), amount),
                    Posting::credit(AccountKey::new(AccountKind::PendapatanLra, qualifier), amount),
                ],
            };
            proptest::prop_assert_eq!(
                canonical_encoding("kota-serang", seq, source.as_deref(), &e),
                reference_encoding("kota-serang", seq, source.as_deref(), &e)
            );
        }
    }

    #[test]
    fn chain_detects_tampering() {
        let e = JournalEntry::new(
            EntryKind::StatementLine,
            d("2026-01-02"),
            d("2026-01-02"),
            "k1",
            "3:0",
            "setoran",
            None,
            vec![
                Posting::debit(kas(), dec!(10)),
                Posting::credit(suspense(), dec!(10)),
            ],
        )
        .unwrap();
        let h1 = chain_hash(GENESIS_HASH, "L", 1, Some("abc"), &e);
        let stored = StoredEntry {
            seq: 1,
            entry: e.clone(),
            source_sha256: Some("abc".into()),
            run_id: 1,
            recorded_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            prev_hash: GENESIS_HASH.into(),
            hash: h1.clone(),
        };
        let mut v = ChainVerifier::new("L");
        v.push(&stored);
        let r = v.finish();
        assert_eq!(r.first_bad, None);
        assert_eq!(r.head_hash, h1);

        let mut altered = stored.clone();
        altered.entry.postings[0].amount = dec!(11);
        altered.entry.postings[1].amount = dec!(11);
        let mut v = ChainVerifier::new("L");
        v.push(&altered);
        assert_eq!(v.finish().first_bad.unwrap().seq, 1);
    }
}
