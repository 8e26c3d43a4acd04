//! kasda-gen: a deterministic synthetic pemda with injected leakage and its ground truth.
//!
//! [`generate`] simulates a regional government day by day — tax receipts through bank, QRIS,
//! e-commerce, retail and post-office channels, OPD cash collections deposited with STS, SP2D
//! spending with PFK deductions, holding-account sweeps, jasa giro and bank charges — and writes
//! what the pemda and its banks would hand kasda: bank statements (camt.053 v02/v08, MT940, CSV
//! exports) split per account and day, government documents as JSON Lines, a `kasda.toml`, and
//! `ground-truth.json` listing every irregularity it injected (and the harmless noise it added
//! to measure false positives).
//!
//! Properties the tests hold it to:
//! * The same options give byte-identical output (ChaCha8 streams per day and purpose; no
//!   clocks, no hash-map iteration order).
//! * Streaming: only one day's events (plus small queues of pending settlements, deposits and
//!   disbursements) are in memory, so a year of a province runs in bounded memory.
//! * Money is integer sen throughout (whole rupiah for receipts); never a float.
//! * Every statement satisfies opening + credits − debits = closing; day-to-day continuity is
//!   broken only where `statement_gap` or `balance_discontinuity` was injected.
//!
//! This crate must never read the clock or the environment: output depends on options only.
//!
//! # Output layout
//!
//! ```text
//! kasda.toml                                   pemda config (kasda.example.toml schema)
//! statements/<account>/<YYYY-MM-DD>.xml|sta|csv one file per account and calendar day
//! documents/receipts-<date>.jsonl (+ .csv)     receipts and reversal records, by payment date
//! documents/sts-<date>.jsonl (+ .csv)          STS, by deposit date (no file on days without)
//! documents/sp2d-<date>.jsonl (+ .csv)         SP2D, by issue date
//! documents/bku-<date>.jsonl (+ .csv)          BKU lines of the BUD (per RKUD account) and bendahara
//! ground-truth.json                            what was injected
//! ```
//!
//! Aggregators (retail, e-commerce, Pos) settle one credit per (channel, settlement date) on
//! the BPD holding account; same-bank teller/ATM/mobile and QRIS credit the RKUD per payment
//! with the NTB in the narrative; the other bank's teller/mobile credit its holding account per
//! payment.
//!
//! Accounts: RKUD at the BPD (Bank Banten), RKUD at another bank (Bank Mandiri), a holding
//! account at each (the BPD one swept T+0 at 23:00, the other T+1 at 06:30). An unregistered
//! account (absent from `kasda.toml`) receives `deposit_to_non_rkud_account` deposits.
//!
//! # Ground truth
//!
//! `{"seed", "profile", "from", "days", "leak_rate_ppm", "volume_percent", "finding_types",
//! "irregularities": [...], "noise": [...]}`; each item is
//! `{"type", "refs": [...], "amount": "1234.00", "date": "YYYY-MM-DD", "note"}`. `refs` per type:
//!
//! | type | refs |
//! |---|---|
//! | `unremitted_receipt` | NTPD, NTB, account the credit should have reached |
//! | `short_remittance` | STS number, OPD (amount = shortfall) |
//! | `late_settlement` | channel label, payment date, bank reference of the late credit, holding account (date = due date); without the reference when still unsettled at the end |
//! | `late_deposit` | STS number, OPD (amount = the late part); at run end: OPD, TBP numbers |
//! | `unidentified_deposit` | bank reference, account |
//! | `duplicate_receipt` | first NTPD, repeated NTPD, NTB |
//! | `duplicate_statement_line` | bank reference, account, NTB |
//! | `reversal_without_refund` | NTPD, NTB, bank reference (or channel label for batches) |
//! | `unswept_holding_balance` | holding account (amount = balance left behind) |
//! | `deposit_to_non_rkud_account` | STS number, the unregistered account |
//! | `debit_without_sp2d` | bank reference, RKUD account |
//! | `sp2d_amount_mismatch` | SP2D number, bank reference (amount = excess debit) |
//! | `fee_over_agreement` | channel label, settlement date, bank reference; or NTPD, NTB, bank reference for QRIS MDR |
//! | `statement_gap` | account, date of the missing statement, its sequence number |
//! | `balance_discontinuity` | account, date whose opening differs (amount = hidden debit) |
//! | `bku_bank_difference` | STS number, bank reference (amount = book − bank, absolute) |
//!
//! Noise kinds (not leakage): `batch_settlement`, `agreed_fee`, `weekend_holiday_lag`,
//! `reversal_refunded`, `reversal_before_settlement`, `sp2d_narrative_truncated`,
//! `sp2d_narrative_reformatted`, `sp2d_disbursed_next_day`, `bank_charge_transfer_fee`,
//! `bank_charge_admin`, `jasa_giro`, `jasa_giro_tax`, `collection_on_day_off`,
//! `weekend_collection_deposit`.
//!
//! Each finding type is injected with probability `leak_rate_ppm` per opportunity (a receipt,
//! a batch, an STS, an SP2D, an account-day), plus once at the first opportunity on or after a
//! seeded day in the first 60% of the run, so every type occurs in every run with a non-zero
//! rate (statement gaps and discontinuities need a day before and after them: runs of ≥ 3
//! days; late deposits and settlements show within the run when it lasts ≥ ~10 days).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

mod asyncw;
pub mod calendar;
mod config;
mod docs;
mod fastdoc;
pub mod pemda;
mod rowpipe;
mod sim;
mod stmt;
mod text;
mod truth;

/// Largest number of days one run may cover (ten years).
pub const MAX_DAYS: u32 = 3_660;
/// Largest volume scale in percent of the profile's realistic volume.
pub const MAX_VOLUME_PERCENT: u32 = 1_000;
/// Largest leak rate: one in ten opportunities (100 000 ppm). Beyond that the data stops looking
/// like a pemda and detectors cannot be measured meaningfully.
pub const MAX_LEAK_RATE_PPM: u32 = 100_000;

/// The kind of pemda simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// A small kota: ~500–1,500 receipts a day.
    KotaKecil,
    /// A kota like Kota Serang: ~1,500–3,000 a day, peaks near 10,000 (PBB-P2 due date).
    KotaSerangLike,
    /// A province with a province-wide RKUD: ~200,000 receipts a day (PKB/BBNKB).
    Provinsi,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::KotaKecil => "kota_kecil",
            Profile::KotaSerangLike => "kota_serang_like",
            Profile::Provinsi => "provinsi",
        }
    }

    /// Accepts `kota-kecil`, `kota_kecil`, `kota-serang-like`, `provinsi` (case-insensitive).
    pub fn parse(text: &str) -> Result<Profile, GenError> {
        match text.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "kota_kecil" | "kota" => Ok(Profile::KotaKecil),
            "kota_serang_like" | "kota_serang" => Ok(Profile::KotaSerangLike),
            "provinsi" | "province" => Ok(Profile::Provinsi),
            _ => Err(GenError::InvalidOption {
                field: "profile",
                expected: "kota-kecil, kota-serang-like or provinsi".into(),
                found: text.to_string(),
            }),
        }
    }
}

/// Statement file formats the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatementFormatOut {
    /// camt.053.001.02 (`BIC`, `Sts` as a code).
    Camt053V02,
    /// camt.053.001.08 (`BICFI`, `Sts/Cd`, parties under `Pty`).
    Camt053V08,
    /// SWIFT MT940 with `{1:}{2:}{4:` blocks, paged with `:28C:` sequences.
    Mt940,
    /// Bank Jatim rekening koran layout (`,` separated, `1,234.00`).
    CsvBankJatim,
    /// Mandiri rekening koran layout (`;` separated, `1.234,00`).
    CsvMandiriRekeningKoran,
}

impl StatementFormatOut {
    pub fn parse(text: &str) -> Result<StatementFormatOut, GenError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "camt053-v02" | "camt.053.001.02" | "camt053v02" => Ok(StatementFormatOut::Camt053V02),
            "camt053-v08" | "camt.053.001.08" | "camt053v08" | "camt053" | "camt" => {
                Ok(StatementFormatOut::Camt053V08)
            }
            "mt940" => Ok(StatementFormatOut::Mt940),
            "csv" | "bank-jatim" | "csv:bank-jatim" => Ok(StatementFormatOut::CsvBankJatim),
            "mandiri-rekening-koran" | "csv:mandiri-rekening-koran" => {
                Ok(StatementFormatOut::CsvMandiriRekeningKoran)
            }
            _ => Err(GenError::InvalidOption {
                field: "format",
                expected: "camt053-v02, camt053-v08, mt940, bank-jatim or mandiri-rekening-koran"
                    .into(),
                found: text.to_string(),
            }),
        }
    }

    /// File extension of a statement in this format.
    pub fn extension(self) -> &'static str {
        match self {
            StatementFormatOut::Camt053V02 | StatementFormatOut::Camt053V08 => "xml",
            StatementFormatOut::Mt940 => "sta",
            StatementFormatOut::CsvBankJatim | StatementFormatOut::CsvMandiriRekeningKoran => "csv",
        }
    }

    /// The format id `kasda.toml` and the readers use (`camt.053`, `mt940`, `csv:bank-jatim`).
    pub fn reader_id(self) -> &'static str {
        match self {
            StatementFormatOut::Camt053V02 | StatementFormatOut::Camt053V08 => "camt.053",
            StatementFormatOut::Mt940 => "mt940",
            StatementFormatOut::CsvBankJatim => "csv:bank-jatim",
            StatementFormatOut::CsvMandiriRekeningKoran => "csv:mandiri-rekening-koran",
        }
    }
}

/// Statement format per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Formats {
    /// RKUD at the BPD (Bank Banten).
    pub bpd: StatementFormatOut,
    /// RKUD at the other bank (Bank Mandiri).
    pub other_bank: StatementFormatOut,
    /// Holding (penampungan) account at the BPD.
    pub bpd_holding: StatementFormatOut,
    /// Holding (penampungan) account at the other bank.
    pub other_holding: StatementFormatOut,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            bpd: StatementFormatOut::Camt053V08,
            other_bank: StatementFormatOut::Mt940,
            bpd_holding: StatementFormatOut::CsvBankJatim,
            other_holding: StatementFormatOut::CsvMandiriRekeningKoran,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    pub profile: Profile,
    /// First simulated day.
    pub from: NaiveDate,
    /// Number of calendar days (1..=[`MAX_DAYS`]).
    pub days: u32,
    pub seed: u64,
    /// Probability of each irregularity per opportunity, in parts per million
    /// (1 000 = 0.1 %). 0 = clean data (noise only). See [`parse_leak_rate`].
    pub leak_rate_ppm: u32,
    /// Volume in percent of the profile's realistic volume (100 = realistic). Lower values make
    /// quick demos; the per-profile bounds scale with it.
    pub volume_percent: u32,
    pub formats: Formats,
    /// Also write documents as CSV next to the JSON Lines.
    pub documents_csv: bool,
}

impl GenOptions {
    /// Realistic volume, default formats, no leakage.
    pub fn new(profile: Profile, from: NaiveDate, days: u32, seed: u64) -> GenOptions {
        GenOptions {
            profile,
            from,
            days,
            seed,
            leak_rate_ppm: 0,
            volume_percent: 100,
            formats: Formats::default(),
            documents_csv: true,
        }
    }

    fn validate(&self) -> Result<(), GenError> {
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(GenError::InvalidOption {
                field: "days",
                expected: format!("1..={MAX_DAYS}"),
                found: self.days.to_string(),
            });
        }
        if self.volume_percent == 0 || self.volume_percent > MAX_VOLUME_PERCENT {
            return Err(GenError::InvalidOption {
                field: "volume_percent",
                expected: format!("1..={MAX_VOLUME_PERCENT}"),
                found: self.volume_percent.to_string(),
            });
        }
        if self.leak_rate_ppm > MAX_LEAK_RATE_PPM {
            return Err(GenError::InvalidOption {
                field: "leak_rate",
                expected: format!("at most {MAX_LEAK_RATE_PPM} ppm (10%)"),
                found: format!("{} ppm", self.leak_rate_ppm),
            });
        }
        let last = i64::from(self.days) - 1;
        if self
            .from
            .checked_add_signed(chrono::Duration::days(last + 10))
            .is_none()
        {
            return Err(GenError::InvalidOption {
                field: "from",
                expected: "a date with the whole period representable".into(),
                found: self.from.to_string(),
            });
        }
        Ok(())
    }
}

/// Parses a leak rate written as a fraction (`0.002`), a percentage (`0.2%`) or in ppm
/// (`2000ppm`) into parts per million, exactly (no float).
pub fn parse_leak_rate(text: &str) -> Result<u32, GenError> {
    let t = text.trim();
    let bad = || {
        GenError::InvalidOption {
        field: "leak_rate",
        expected: format!(
            "a fraction like 0.002, a percentage like 0.2% or 2000ppm, at most {MAX_LEAK_RATE_PPM} ppm"
        ),
        found: text.to_string(),
    }
    };
    let (number, per_unit) = if let Some(n) = t.strip_suffix("ppm") {
        (n.trim(), Decimal::ONE)
    } else if let Some(n) = t.strip_suffix('%') {
        (n.trim(), Decimal::from(10_000))
    } else {
        (t, Decimal::from(1_000_000))
    };
    // Plain decimal notation only: no exponent, sign or grouping.
    if number.is_empty()
        || number.len() > 32
        || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || number.bytes().filter(|&b| b == b'.').count() > 1
    {
        return Err(bad());
    }
    let value: Decimal = number.parse().map_err(|_| bad())?;
    if value.is_sign_negative() {
        return Err(bad());
    }
    let ppm = value.checked_mul(per_unit).ok_or_else(bad)?;
    if ppm.fract() != Decimal::ZERO || ppm > Decimal::from(MAX_LEAK_RATE_PPM) {
        return Err(bad());
    }
    u32::try_from(ppm.mantissa() / 10i128.pow(ppm.scale())).map_err(|_| bad())
}

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GenReport {
    /// Files written, relative to the output directory, in the order written.
    pub files: Vec<PathBuf>,
    /// Generated facts per kind: `receipts`, `receipt_reversals`, `sts`, `sp2d`,
    /// `bku_lines`, `statement_files`, `statement_lines`…
    pub counts: BTreeMap<String, u64>,
    /// Injected irregularities per finding type.
    pub irregularities: BTreeMap<String, u64>,
    /// Injected non-leakage noise per kind.
    pub noise: BTreeMap<String, u64>,
    /// Receipts (payment events) drawn per simulated day, in order; reversal and duplicate
    /// records are not counted here.
    pub receipts_per_day: Vec<(NaiveDate, u64)>,
}

/// Errors of the generator. Bad options name the field, what was expected and what was found.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("invalid option {field}: expected {expected}, found {found}")]
    InvalidOption {
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {what} for {path}: {source}")]
    Encode {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("amount overflow while generating {what} on {date}")]
    Overflow { what: &'static str, date: NaiveDate },
}

/// Finding types the ground truth uses, in the order detectors are expected to report them.
pub const FINDING_TYPES: [&str; 16] = [
    "unremitted_receipt",
    "short_remittance",
    "late_settlement",
    "late_deposit",
    "unidentified_deposit",
    "duplicate_receipt",
    "duplicate_statement_line",
    "reversal_without_refund",
    "unswept_holding_balance",
    "deposit_to_non_rkud_account",
    "debit_without_sp2d",
    "sp2d_amount_mismatch",
    "fee_over_agreement",
    "statement_gap",
    "balance_discontinuity",
    "bku_bank_difference",
];

/// Bounds on receipts per day for a profile at a volume (inclusive): what the simulation clamps
/// its daily draw to.
pub fn daily_receipt_bounds(profile: Profile, volume_percent: u32) -> (u64, u64) {
    let p = pemda::build(profile, &Formats::default());
    let vp = u64::from(volume_percent);
    let lo = (u64::from(p.min_receipts) * vp / 100).max(1);
    let hi = (u64::from(p.max_receipts) * vp / 100).max(1);
    (lo, hi)
}

/// `Rp1.234.567,00`, for notes in the ground truth.
pub(crate) fn truth_amount(sen: i64) -> String {
    kasda_core::money::display_idr(Decimal::new(sen, 2))
}

/// Generates a synthetic pemda into `out_dir` (created if missing; existing files of the same
/// names are overwritten).
pub fn generate(opts: &GenOptions, out_dir: &Path) -> Result<GenReport, GenError> {
    opts.validate()?;
    sim::run(opts, out_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leak_rate_parses_exactly() {
        assert_eq!(parse_leak_rate("0.002").unwrap(), 2_000);
        assert_eq!(parse_leak_rate("0.2%").unwrap(), 2_000);
        assert_eq!(parse_leak_rate("150ppm").unwrap(), 150);
        assert_eq!(parse_leak_rate("0").unwrap(), 0);
        for bad in ["-0.1", "0.5", "abc", "0.0000001", "1e-3", ""] {
            assert!(parse_leak_rate(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn options_are_bounded() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut o = GenOptions::new(Profile::KotaKecil, from, 0, 1);
        assert!(matches!(
            o.validate(),
            Err(GenError::InvalidOption { field: "days", .. })
        ));
        o.days = 1;
        o.leak_rate_ppm = 200_000;
        let e = o.validate().unwrap_err().to_string();
        assert!(e.contains("leak_rate") && e.contains("200000"), "{e}");
        o.leak_rate_ppm = 10;
        o.volume_percent = 0;
        assert!(o.validate().is_err());
        assert_eq!(
            Profile::parse("Kota-Serang-Like").unwrap(),
            Profile::KotaSerangLike
        );
        assert!(Profile::parse("desa").is_err());
        assert_eq!(
            StatementFormatOut::parse("mt940").unwrap(),
            StatementFormatOut::Mt940
        );
    }
}
