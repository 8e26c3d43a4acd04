//! The day-by-day simulation.
//!
//! Each day: morning T+1 sweeps, the day's receipts (written as they are drawn, in time order),
//! aggregator settlements falling due, OPD cash collections and STS deposits, SP2D disbursements,
//! transfers from the centre, month-end jasa giro and charges, the evening T+0 sweep; then every
//! account's lines are sorted by booking time and written as that day's statement, and the BKU
//! lines are written. Only small queues (bulk batches, undeposited collections, next-day
//! debits, BKU bookings deferred to next month) cross midnight.
//!
//! Randomness comes from ChaCha8 streams keyed by (seed, day, purpose), so a day's data does not
//! depend on how many draws an earlier day made, and the leak decisions use their own stream.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};
use kasda_core::document::{
    BkuLine, BkuOwner, Channel, Deduction, Document, ReceiptStatus, RevenueLine, Sp2d, Sp2dType,
    Sts,
};
use kasda_core::Direction;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use crate::asyncw::AsyncFile;
use crate::calendar::{self, DayOff};
use crate::docs::DayDocs;
use crate::fastdoc::{Lines, ReceiptRow};
use crate::pemda::{self, AccountKind, Landing, PayerId, Pemda, RKUD_BPD, RKUD_OTHER};
use crate::stmt::{self, BankLine, DayLines, DayStatement, LineHead, SignedSen, TxKind};
use crate::text;
use crate::truth::Truth;
use crate::{GenError, GenOptions, GenReport, FINDING_TYPES};

/// Probability (ppm) that a receipt paid through a per-payment channel is reversed the same day
/// and refunded: ordinary noise, not leakage.
const REVERSAL_PPM: u32 = 1_500;
/// Share (permille) of SP2D debit narratives that the bank truncates / reformats.
const SP2D_TRUNCATED_PERMILLE: u32 = 150;
const SP2D_REFORMATTED_PERMILLE: u32 = 150;
/// Share (permille) of SP2D disbursed the working day after issue.
const SP2D_NEXT_DAY_PERMILLE: u32 = 200;
/// Minimum balance (rupiah) the Kuasa BUD keeps on an RKUD before issuing more SP2D.
const RKUD_FLOOR_RUPIAH: i64 = 500_000_000;

/// Hour-of-day weights (permille) of electronic payments, WIB.
const HOUR_WEIGHTS: [u32; 24] = [
    5, 3, 2, 2, 3, 8, 20, 45, 75, 85, 90, 85, 70, 75, 80, 75, 60, 50, 45, 40, 35, 25, 15, 8,
];

const FIRST_NAMES: [&str; 24] = [
    "AHMAD", "SITI", "BUDI", "DEWI", "AGUS", "RINA", "HENDRA", "NUR", "YUSUF", "LINA", "RUDI",
    "FITRI", "DEDI", "AISYAH", "IWAN", "RATNA", "JAJANG", "ENTIN", "UDIN", "EUIS", "ASEP", "IMAS",
    "SUHENDI", "MULYANI",
];
const LAST_NAMES: [&str; 20] = [
    "SUPRIATNA",
    "HIDAYAT",
    "RAHMAWATI",
    "SETIAWAN",
    "KURNIAWAN",
    "MAULANA",
    "SAPUTRA",
    "LESTARI",
    "HASANUDIN",
    "FAUZIAH",
    "NURJANAH",
    "SUHERMAN",
    "WAHYUDI",
    "PERMANA",
    "SURYADI",
    "ROHIMAH",
    "SANUSI",
    "JUBAEDAH",
    "MUNANDAR",
    "HERAWATI",
];
const BUSINESS_WORDS: [&str; 16] = [
    "SEDERHANA",
    "BAROKAH",
    "MAJU JAYA",
    "SAUNG",
    "BERKAH",
    "SINAR",
    "PUTRA",
    "MANDIRI",
    "SEJAHTERA",
    "CAHAYA",
    "MAKMUR",
    "ABADI",
    "SENTOSA",
    "RIZKI",
    "LANCAR",
    "UTAMA",
];

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> GenError + '_ {
    move |source| GenError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn rng_for(seed: u64, day: u32, purpose: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(splitmix(seed ^ splitmix(u64::from(day) + 1)));
    r.set_stream(purpose);
    r
}

fn sen_dec(sen: i64) -> Decimal {
    Decimal::new(sen, 2)
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    pick_weighted_of(rng, weights, weight_total(weights))
}

fn weight_total(weights: &[u32]) -> u64 {
    weights.iter().map(|&w| u64::from(w)).sum()
}

/// [`pick_weighted`] with the weights' total computed once by the caller (same draws).
fn pick_weighted_of(rng: &mut ChaCha8Rng, weights: &[u32], total: u64) -> usize {
    if total == 0 {
        return 0;
    }
    let mut x = rng.gen_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        let w = u64::from(w);
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Whole-rupiah amount from permille-weighted buckets (min, max, rounding), in sen.
fn draw_rupiah(rng: &mut ChaCha8Rng, buckets: &[(u32, i64, i64, i64)]) -> i64 {
    // `pick_weighted` over the bucket weights, without collecting them.
    let total: u64 = buckets.iter().map(|b| u64::from(b.0)).sum();
    let mut pick = 0;
    if total > 0 {
        let mut x = rng.gen_range(0..total);
        pick = buckets.len() - 1;
        for (i, b) in buckets.iter().enumerate() {
            let w = u64::from(b.0);
            if x < w {
                pick = i;
                break;
            }
            x -= w;
        }
    }
    let (_, lo, hi, round) = buckets[pick.min(buckets.len() - 1)];
    // Within a bucket, a second uniform draw on the lower half skews small, as bills are.
    let mid = lo + (hi - lo) / 4;
    let v = if rng.gen_range(0..3) < 2 {
        rng.gen_range(lo..=mid)
    } else {
        rng.gen_range(lo..=hi)
    };
    let round = round.max(1);
    (v - v % round).max(round) * 100
}

/// Picks an amount in rupiah between permille bounds of a base, rounded to `round`, in sen.
fn draw_share(rng: &mut ChaCha8Rng, base_rupiah: i64, lo_ppm: i64, hi_ppm: i64, round: i64) -> i64 {
    let lo = base_rupiah / 1_000_000 * lo_ppm;
    let hi = (base_rupiah / 1_000_000 * hi_ppm).max(lo + 1);
    let v = rng.gen_range(lo..=hi);
    (v - v % round).max(round) * 100
}

/// One finding type's injection schedule: Bernoulli at the leak rate per opportunity, plus one
/// forced occurrence at the first opportunity on or after a drawn day so that every detector is
/// exercised in every run with a non-zero rate.
struct Injector {
    rate_ppm: u32,
    forced_day: [u32; 16],
    forced_done: [bool; 16],
    pub counts: [u64; 16],
    /// First simulated day and last day of the run.
    from: NaiveDate,
    last: NaiveDate,
    /// [`Injector::detectable`] of each type on day `detectable_day` (asked per receipt, and
    /// a calendar walk for some types).
    detectable_day: Option<u32>,
    detectable_today: [bool; 16],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(usize)]
enum F {
    UnremittedReceipt = 0,
    ShortRemittance,
    LateSettlement,
    LateDeposit,
    UnidentifiedDeposit,
    DuplicateReceipt,
    DuplicateStatementLine,
    ReversalWithoutRefund,
    UnsweptHoldingBalance,
    DepositToNonRkudAccount,
    DebitWithoutSp2d,
    Sp2dAmountMismatch,
    FeeOverAgreement,
    StatementGap,
    BalanceDiscontinuity,
    BkuBankDifference,
}

/// Every [`F`], in order of its index.
const ALL_F: [F; 16] = [
    F::UnremittedReceipt,
    F::ShortRemittance,
    F::LateSettlement,
    F::LateDeposit,
    F::UnidentifiedDeposit,
    F::DuplicateReceipt,
    F::DuplicateStatementLine,
    F::ReversalWithoutRefund,
    F::UnsweptHoldingBalance,
    F::DepositToNonRkudAccount,
    F::DebitWithoutSp2d,
    F::Sp2dAmountMismatch,
    F::FeeOverAgreement,
    F::StatementGap,
    F::BalanceDiscontinuity,
    F::BkuBankDifference,
];

impl F {
    fn name(self) -> &'static str {
        FINDING_TYPES[self as usize]
    }
}

/// `tolerances.unidentified_after_days` and `settlement_grace_days` as `config.rs` writes them
/// into kasda.toml.
const UNIDENTIFIED_AFTER_WORKING_DAYS: u32 = 5;
const SETTLEMENT_GRACE_BANK_DAYS: u32 = 1;
/// Longest settlement lag of a channel (aggregators: T+2).
const MAX_SETTLEMENT_LAG_BANK_DAYS: u32 = 2;

impl Injector {
    /// Whether an irregularity of type `f` injected on `date` is already an irregularity on
    /// the run's last day under the rules the run's kasda.toml states: a credit is unidentified
    /// only after `unidentified_after_days` working days; a receipt is unremitted only after its
    /// settlement date plus the grace; a refund is owed from the next bank day after the bank
    /// credit. Injecting one that is not yet overdue would list in the ground truth something
    /// no reconciliation as of the last day may report.
    fn detectable(&self, f: F, date: NaiveDate) -> bool {
        let overdue_from = match f {
            F::UnidentifiedDeposit => {
                calendar::add_working_days(date, UNIDENTIFIED_AFTER_WORKING_DAYS + 1)
            }
            F::UnremittedReceipt => calendar::add_bank_days(
                date,
                MAX_SETTLEMENT_LAG_BANK_DAYS + SETTLEMENT_GRACE_BANK_DAYS + 1,
            ),
            F::ReversalWithoutRefund => {
                calendar::add_bank_days(date, MAX_SETTLEMENT_LAG_BANK_DAYS + 1)
            }
            _ => return true,
        };
        overdue_from <= self.last
    }

    fn new(seed: u64, from: NaiveDate, days: u32, rate_ppm: u32) -> Injector {
        let mut rng = rng_for(seed, u32::MAX, 99);
        // Forced occurrences fall in the first 60% of the run so that their consequences
        // (late deposits, late settlements) are visible before it ends.
        let span = (days * 3 / 5).max(1);
        let mut forced_day = [0u32; 16];
        for d in forced_day.iter_mut() {
            *d = rng.gen_range(0..span);
        }
        let mut inj = Injector {
            rate_ppm,
            forced_day,
            forced_done: [false; 16],
            counts: [0; 16],
            from,
            last: from + Duration::days(i64::from(days.max(1)) - 1),
            detectable_day: None,
            detectable_today: [true; 16],
        };
        // A forced occurrence that would not be overdue by the last day moves into the part of
        // the run where it is (if there is one).
        for f in [
            F::UnremittedReceipt,
            F::UnidentifiedDeposit,
            F::ReversalWithoutRefund,
        ] {
            let i = f as usize;
            let last_ok = (0..days)
                .rev()
                .find(|&d| inj.detectable(f, from + Duration::days(i64::from(d))));
            if let Some(l) = last_ok {
                if inj.forced_day[i] > l {
                    inj.forced_day[i] %= l + 1;
                }
            }
        }
        inj
    }

    fn roll(&mut self, f: F, day: u32, rng: &mut ChaCha8Rng) -> bool {
        if self.rate_ppm == 0 {
            return false;
        }
        let i = f as usize;
        if self.detectable_day != Some(day) {
            let date = self.from + Duration::days(i64::from(day));
            self.detectable_today = ALL_F.map(|g| self.detectable(g, date));
            self.detectable_day = Some(day);
        }
        let detectable = self.detectable_today[i];
        let hit = if !self.forced_done[i] && day >= self.forced_day[i] && detectable {
            self.forced_done[i] = true;
            true
        } else {
            // Drawn either way, so the rest of the day's stream does not depend on it.
            rng.gen_range(0..1_000_000u32) < self.rate_ppm && detectable
        };
        if hit {
            self.counts[i] += 1;
        }
        hit
    }
}

#[derive(Debug, Clone)]
struct Batch {
    count: u32,
    gross_sen: i64,
    fee_sen: i64,
    /// Original due date of a batch held back (injected late settlement).
    late_due: Option<NaiveDate>,
}

/// (channel index, payment date of a late batch settling on its own).
type SettlementKey = (usize, Option<NaiveDate>);

#[derive(Debug, Clone)]
struct Collection {
    collected_on: NaiveDate,
    amount_sen: i64,
    tbp: String,
    /// Deposit withheld until this date (injected late deposit).
    hold_until: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
struct BkuDraft {
    time_secs: u32,
    document: Option<String>,
    description: String,
    kode_rekening: Option<String>,
    amount_sen: i64,
    direction: Direction,
    account: usize,
}

/// Per-(revenue type, year, masa) counter that hands out each payer at most once, through an
/// affine permutation of the population so that consecutive payers look unrelated.
struct PayerAllocator {
    /// (payers handed out, multiplier of the permutation) per (revenue type, year, masa).
    used: BTreeMap<(usize, i32, u32), (u64, u64)>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl PayerAllocator {
    fn next(&mut self, revenue: usize, population: u64, year: i32, masa: u32) -> Option<u64> {
        if population == 0 {
            return None;
        }
        let (n, a) = self.used.entry((revenue, year, masa)).or_insert_with(|| {
            let mut a = 2_654_435_761u64 % population;
            while a == 0 || gcd(a, population) != 1 {
                a += 1;
            }
            (0, a)
        });
        if *n >= population {
            return None;
        }
        let k = *n;
        *n += 1;
        let a = *a;
        let b = (year as u64)
            .wrapping_mul(7919)
            .wrapping_add(u64::from(masa) * 104_729)
            % population;
        Some(((u128::from(a) * u128::from(k) + u128::from(b)) % u128::from(population)) as u64)
    }
}

struct Sim<'a> {
    opts: &'a GenOptions,
    out_dir: &'a Path,
    p: Pemda,
    report: GenReport,
    truth: Truth,
    inj: Injector,
    balances: Vec<i64>,
    seqs: Vec<u64>,
    day_lines: Vec<DayLines>,
    ref_counters: Vec<u64>,
    bulk: BTreeMap<(NaiveDate, usize, NaiveDate), Batch>,
    collections: Vec<Vec<Collection>>,
    next_day_lines: BTreeMap<NaiveDate, Vec<(usize, BankLine, Option<BkuDraft>)>>,
    deferred_bku: BTreeMap<NaiveDate, Vec<BkuDraft>>,
    retained: Vec<i64>,
    ntpd_seq: u64,
    ntb_seq: u64,
    billing_seq: u64,
    sts_seq: BTreeMap<i32, u64>,
    sp2d_seq: BTreeMap<i32, u64>,
    tbp_seq: u64,
    bku_bud_no: BTreeMap<i32, u64>,
    bku_bend_no: Vec<BTreeMap<i32, u64>>,
    /// BUD book balance per RKUD account (the book is kept per account).
    bku_bud_balance: Vec<i64>,
    bku_bend_balance: Vec<i64>,
    payers: PayerAllocator,
    /// Σ of end-of-day balances this month per account (sen·days) for jasa giro.
    balance_days: Vec<i128>,
    month_charges: Vec<i64>,
    stmt_dirs_made: bool,
    /// Receipts drawn today (reversal and duplicate records not counted).
    drawn_today: u64,
    /// Lines of an undelivered statement (injected gap), booked in the next one.
    carried: Vec<DayLines>,
    gap_yesterday: Vec<bool>,
    /// Net of the lines pushed today per account (kept with `day_lines`).
    day_net: Vec<i64>,
    /// The day being simulated, its `yymmdd`, and the digits of the kode wilayah.
    today: NaiveDate,
    today_tag: String,
    wil: String,
}

/// Bank day-lag of a holding account's sweep.
fn sweep_lag(kind: AccountKind) -> Option<(usize, u32)> {
    match kind {
        AccountKind::Holding {
            sweep_to,
            lag_bank_days,
        } => Some((sweep_to, lag_bank_days)),
        AccountKind::Rkud => None,
    }
}

pub fn run(opts: &GenOptions, out_dir: &Path) -> Result<GenReport, GenError> {
    fs::create_dir_all(out_dir.join("documents")).map_err(io_err(out_dir))?;
    let p = pemda::build(opts.profile, &opts.formats);
    let header = serde_json::json!({
        "seed": opts.seed,
        "profile": opts.profile.as_str(),
        "from": opts.from.format("%Y-%m-%d").to_string(),
        "days": opts.days,
        "leak_rate_ppm": opts.leak_rate_ppm,
        "volume_percent": opts.volume_percent,
        "finding_types": FINDING_TYPES,
    });
    let truth = Truth::create(out_dir, &header)?;
    let n_acc = p.accounts.len();
    let n_col = p.collectors.len();
    let mut sim = Sim {
        opts,
        out_dir,
        balances: p.accounts.iter().map(|a| a.opening_balance_sen).collect(),
        p,
        report: GenReport::default(),
        truth,
        inj: Injector::new(opts.seed, opts.from, opts.days, opts.leak_rate_ppm),
        seqs: vec![0; n_acc],
        day_lines: vec![DayLines::default(); n_acc],
        ref_counters: vec![0; n_acc],
        bulk: BTreeMap::new(),
        collections: vec![Vec::new(); n_col],
        next_day_lines: BTreeMap::new(),
        deferred_bku: BTreeMap::new(),
        retained: vec![0; n_acc],
        ntpd_seq: 0,
        ntb_seq: 0,
        billing_seq: 0,
        sts_seq: BTreeMap::new(),
        sp2d_seq: BTreeMap::new(),
        tbp_seq: 0,
        bku_bud_no: BTreeMap::new(),
        bku_bend_no: vec![BTreeMap::new(); n_col],
        bku_bud_balance: Vec::new(),
        bku_bend_balance: vec![0; n_col],
        payers: PayerAllocator {
            used: BTreeMap::new(),
        },
        balance_days: vec![0; n_acc],
        month_charges: vec![0; n_acc],
        stmt_dirs_made: false,
        drawn_today: 0,
        day_net: vec![0; n_acc],
        carried: vec![DayLines::default(); n_acc],
        gap_yesterday: vec![false; n_acc],
        today: opts.from,
        today_tag: String::new(),
        wil: String::new(),
    };
    sim.wil = sim
        .p
        .kode_wilayah
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    // The BUD book starts equal to the RKUD balances (reconciled at the start).
    sim.bku_bud_balance = sim
        .p
        .accounts
        .iter()
        .map(|a| a.opening_balance_sen)
        .collect();
    sim.write_config()?;
    for day in 0..opts.days {
        let date = opts.from + Duration::days(i64::from(day));
        sim.run_day(day, date)?;
    }
    sim.finish()
}

impl<'a> Sim<'a> {
    fn bank_ref(&mut self, account: usize, date: NaiveDate) -> String {
        let mut r = String::with_capacity(24);
        self.bank_ref_into(account, date, &mut r);
        r
    }

    /// The account's next bank reference, appended to `r`.
    fn bank_ref_into(&mut self, account: usize, date: NaiveDate, r: &mut String) {
        self.ref_counters[account] += 1;
        let bank = &self.p.banks[self.p.accounts[account].bank];
        let n = self.ref_counters[account] % 10_000_000;
        r.push_str(bank.ref_prefix);
        if date == self.today {
            r.push_str(&self.today_tag);
        } else {
            r.push_str(&date.format("%y%m%d").to_string());
        }
        text::pad(r, n, 7);
    }

    fn push_line(&mut self, account: usize, line: BankLine) {
        self.day_net[account] += line.head.direction.signed_sen(line.head.amount_sen);
        self.day_lines[account].push(&line);
    }

    /// [`Sim::push_line`] of a line given by its parts (no owned strings).
    fn push_parts(
        &mut self,
        account: usize,
        head: LineHead,
        bank_ref: &str,
        customer_ref: Option<&str>,
        narrative: &[&str],
        counterparty_name: Option<&str>,
    ) {
        self.day_net[account] += head.direction.signed_sen(head.amount_sen);
        self.day_lines[account].push_parts(
            head,
            bank_ref,
            customer_ref,
            narrative,
            counterparty_name,
            None,
        );
    }

    fn noise(
        &mut self,
        kind: &str,
        refs: &[String],
        amount_sen: i64,
        date: NaiveDate,
        note: &str,
    ) -> Result<(), GenError> {
        *self.report.noise.entry(kind.to_string()).or_insert(0) += 1;
        self.truth.noise(kind, refs, amount_sen, date, note)
    }

    fn irregular(
        &mut self,
        f: F,
        refs: &[String],
        amount_sen: i64,
        date: NaiveDate,
        note: &str,
    ) -> Result<(), GenError> {
        *self
            .report
            .irregularities
            .entry(f.name().to_string())
            .or_insert(0) += 1;
        self.truth
            .irregularity(f.name(), refs, amount_sen, date, note)
    }

    fn count(&mut self, kind: &str, n: u64) {
        *self.report.counts.entry(kind.to_string()).or_insert(0) += n;
    }

    /// Receipts on `date`: base × day-of-week/holiday × month-end × revenue seasonality × noise,
    /// clamped to the profile's bounds.
    fn receipts_today(&self, date: NaiveDate, weights: &[u32], rng: &mut ChaCha8Rng) -> u32 {
        let vp = i64::from(self.opts.volume_percent);
        let base = i64::from(self.p.base_receipts) * vp / 100;
        let dow = match (calendar::holiday(date), date.weekday()) {
            (Some(DayOff::National), _) => 250,
            (Some(DayOff::CutiBersama), _) => 450,
            (None, Weekday::Sat) => 420,
            (None, Weekday::Sun) => 300,
            _ => 1000,
        };
        let month_end = if calendar::is_working_day(date)
            && calendar::last_day_of_month(date) - date < Duration::days(3)
        {
            1300
        } else {
            1000
        };
        let ramadan = match calendar::ramadan_days_left(date) {
            Some(left) if left <= 10 && self.p.profile == crate::Profile::Provinsi => 1150,
            Some(_) => 950,
            None => 1000,
        };
        let base_sum: i64 = self.p.revenues.iter().map(|r| i64::from(r.weight)).sum();
        let season_sum: i64 = weights.iter().map(|&w| i64::from(w)).sum();
        let noise = rng.gen_range(850..=1150i64);
        let n = base * dow / 1000 * month_end / 1000 * ramadan / 1000 * season_sum
            / base_sum.max(1)
            * noise
            / 1000;
        let lo = i64::from(self.p.min_receipts) * vp / 100;
        let hi = i64::from(self.p.max_receipts) * vp / 100;
        n.clamp(lo.max(1), hi.max(1)) as u32
    }

    /// Revenue-type weights for `date` (PBB-P2 season and due date, PBJT before the 15th).
    fn revenue_weights(&self, date: NaiveDate) -> Vec<u32> {
        self.p
            .revenues
            .iter()
            .map(|r| {
                let w = r.weight;
                if r.payer == PayerId::Nop {
                    let m = match date.month() {
                        1 => 150,
                        2 => 300,
                        3 => 700,
                        4 | 5 => 900,
                        6 => 1000,
                        7 => 1200,
                        // Due end of August: the queue grows towards the 31st.
                        8 => 1000 + date.day() * 300,
                        9 => 600,
                        10 | 11 => 500,
                        _ => 700,
                    };
                    w * m / 1000
                } else if r.monthly {
                    if date.day() <= 15 {
                        w * 1400 / 1000
                    } else {
                        w * 600 / 1000
                    }
                } else {
                    w
                }
            })
            .collect()
    }

    fn run_day(&mut self, day: u32, date: NaiveDate) -> Result<(), GenError> {
        let mut rng = rng_for(self.opts.seed, day, 1);
        let mut irng = rng_for(self.opts.seed, day, 2);
        let mut docs = DayDocs::new(self.out_dir, date, self.opts.documents_csv);
        for lines in self.day_lines.iter_mut() {
            lines.clear();
        }
        self.day_net.iter_mut().for_each(|n| *n = 0);
        self.today = date;
        self.today_tag = date.format("%y%m%d").to_string();
        let mut bud_drafts: Vec<BkuDraft> = self.deferred_bku.remove(&date).unwrap_or_default();
        let mut bend_lines: Vec<Vec<(u32, BkuLineDraft)>> =
            vec![Vec::new(); self.p.collectors.len()];

        // Debits deferred from yesterday's SP2D.
        if let Some(list) = self.next_day_lines.remove(&date) {
            for (acct, line, draft) in list {
                self.push_line(acct, line);
                if let Some(d) = draft {
                    bud_drafts.push(d);
                }
            }
        }

        self.morning_sweeps(day, date, &mut irng, &mut bud_drafts)?;
        let per_payment_bku = self.receipts(day, date, &mut rng, &mut irng, &mut docs)?;
        for ((acct, kode), (sum, n)) in per_payment_bku {
            let jenis = self
                .p
                .revenues
                .iter()
                .find(|r| r.kode_rekening == kode)
                .map(|r| r.jenis)
                .unwrap_or("");
            bud_drafts.push(BkuDraft {
                time_secs: 86_000,
                document: Some(format!("REKAP-{}-{}", date.format("%Y%m%d"), kode)),
                description: format!(
                    "Penerimaan {jenis} via {} ({n} transaksi)",
                    self.p.banks[self.p.accounts[acct].bank].name
                ),
                kode_rekening: Some(kode.to_string()),
                amount_sen: sum,
                direction: Direction::Credit,
                account: acct,
            });
        }
        self.settlements(day, date, &mut rng, &mut irng)?;
        self.collections_and_sts(
            day,
            date,
            &mut rng,
            &mut irng,
            &mut docs,
            &mut bud_drafts,
            &mut bend_lines,
        )?;
        self.transfers_in(date, &mut bud_drafts)?;
        self.sp2d(day, date, &mut rng, &mut irng, &mut docs, &mut bud_drafts)?;
        self.unidentified(day, date, &mut irng)?;
        self.month_end(date)?;
        self.evening_sweep(day, date, &mut irng, &mut bud_drafts)?;
        self.write_statements(day, date, &mut irng)?;
        self.write_bku(date, bud_drafts, bend_lines, &mut docs, &mut irng, day)?;
        let receipts = self.drawn_today;
        self.count("sts", docs.sts.count);
        self.count("sp2d", docs.sp2d.count);
        self.count("bku_lines", docs.bku.count);
        let files = docs.finish()?;
        self.report.files.extend(files);
        self.report.receipts_per_day.push((date, receipts));
        Ok(())
    }

    fn morning_sweeps(
        &mut self,
        day: u32,
        date: NaiveDate,
        irng: &mut ChaCha8Rng,
        bud: &mut Vec<BkuDraft>,
    ) -> Result<(), GenError> {
        if !calendar::is_bank_day(date) {
            return Ok(());
        }
        for acct in 0..self.p.accounts.len() {
            let Some((to, lag)) = sweep_lag(self.p.accounts[acct].kind) else {
                continue;
            };
            if lag == 0 {
                continue;
            }
            // T+1: what stood on the account at the start of the day, minus any balance the
            // bank has (wrongly) been leaving behind.
            self.sweep(acct, to, (0, 6 * 3600 + 30 * 60), day, date, irng, bud)?;
        }
        Ok(())
    }

    fn evening_sweep(
        &mut self,
        day: u32,
        date: NaiveDate,
        irng: &mut ChaCha8Rng,
        bud: &mut Vec<BkuDraft>,
    ) -> Result<(), GenError> {
        if !calendar::is_bank_day(date) {
            return Ok(());
        }
        for acct in 0..self.p.accounts.len() {
            let Some((to, lag)) = sweep_lag(self.p.accounts[acct].kind) else {
                continue;
            };
            if lag != 0 {
                continue;
            }
            self.sweep(acct, to, (23 * 3600, 23 * 3600), day, date, irng, bud)?;
        }
        Ok(())
    }

    fn current_balance(&self, acct: usize, before_secs: u32) -> i64 {
        if before_secs >= 86_400 {
            return self.balances[acct] + self.day_net[acct];
        }
        self.balances[acct]
            + self.day_lines[acct]
                .heads()
                .filter(|l| l.time_secs < before_secs)
                .map(|l| l.direction.signed_sen(l.amount_sen))
                .sum::<i64>()
    }

    #[allow(clippy::too_many_arguments)]
    fn sweep(
        &mut self,
        from: usize,
        to: usize,
        (balance_before_secs, time_secs): (u32, u32),
        day: u32,
        date: NaiveDate,
        irng: &mut ChaCha8Rng,
        bud: &mut Vec<BkuDraft>,
    ) -> Result<(), GenError> {
        let available = self.current_balance(from, balance_before_secs) - self.retained[from];
        if available <= 0 {
            return Ok(());
        }
        let mut amount = available;
        if self.inj.roll(F::UnsweptHoldingBalance, day, irng) {
            // Leave a part behind for good: the bank keeps a float on its own books.
            let keep = (available * i64::from(irng.gen_range(10..=40u32)) / 100) / 100 * 100;
            if keep > 0 && keep < available {
                amount = available - keep;
                self.retained[from] += keep;
                let refs = vec![self.p.accounts[from].number.clone()];
                self.irregular(
                    F::UnsweptHoldingBalance,
                    &refs,
                    keep,
                    date,
                    "sweep left part of the holding balance on the account past the sweep rule",
                )?;
            }
        }
        let r = self.bank_ref(from, date);
        let from_no = self.p.accounts[from].number.clone();
        let to_no = self.p.accounts[to].number.clone();
        let narrative = format!("PELIMPAHAN PENAMPUNGAN {from_no} KE RKUD {to_no}");
        self.push_line(
            from,
            BankLine {
                head: LineHead::new(time_secs, date, Direction::Debit, amount, TxKind::Transfer),
                bank_ref: r.clone(),
                customer_ref: Some(format!("SWEEP{}", date.format("%Y%m%d"))),
                narrative: narrative.clone(),
                counterparty_name: Some(self.p.accounts[to].name.clone()),
                counterparty_account: Some(to_no.clone()),
            },
        );
        self.push_line(
            to,
            BankLine {
                head: LineHead::new(time_secs, date, Direction::Credit, amount, TxKind::Transfer),
                bank_ref: r.clone(),
                customer_ref: Some(format!("SWEEP{}", date.format("%Y%m%d"))),
                narrative,
                counterparty_name: Some(self.p.accounts[from].name.clone()),
                counterparty_account: Some(from_no),
            },
        );
        bud.push(BkuDraft {
            time_secs,
            document: Some(r),
            description: format!(
                "Pelimpahan dari rekening penampungan {}",
                self.p.accounts[from].number
            ),
            kode_rekening: None,
            amount_sen: amount,
            direction: Direction::Credit,
            account: to,
        });
        self.count("sweeps", 1);
        Ok(())
    }

    fn name_for(&self, idx: u64, business: Option<&str>) -> String {
        let f = FIRST_NAMES[(idx % FIRST_NAMES.len() as u64) as usize];
        let l = LAST_NAMES[((idx / 24) % LAST_NAMES.len() as u64) as usize];
        match business {
            Some(prefix) => {
                let w = BUSINESS_WORDS[((idx / 7) % BUSINESS_WORDS.len() as u64) as usize];
                format!("{prefix} {w} {f}")
            }
            None => format!("{f} {l}"),
        }
    }

    #[allow(clippy::type_complexity)]
    fn receipts(
        &mut self,
        day: u32,
        date: NaiveDate,
        rng: &mut ChaCha8Rng,
        irng: &mut ChaCha8Rng,
        docs: &mut DayDocs,
    ) -> Result<BTreeMap<(usize, &'static str), (i64, u64)>, GenError> {
        let weights = self.revenue_weights(date);
        let n = self.receipts_today(date, &weights, rng);
        let working = calendar::is_working_day(date);
        let hour_total = weight_total(&HOUR_WEIGHTS);
        let mut times: Vec<u32> = (0..n)
            .map(|_| {
                let h = pick_weighted_of(rng, &HOUR_WEIGHTS, hour_total) as u32;
                h * 3600 + rng.gen_range(0..3600)
            })
            .collect();
        sort_seconds(&mut times);
        let open_weights: Vec<u32> = self
            .p
            .channels
            .iter()
            .map(|c| {
                if c.always_open || working {
                    c.weight
                } else {
                    0
                }
            })
            .collect();
        let night_weights: Vec<u32> = self
            .p
            .channels
            .iter()
            .map(|c| if c.always_open { c.weight } else { 0 })
            .collect();
        let (revenue_total, open_total, night_total) = (
            weight_total(&weights),
            weight_total(&open_weights),
            weight_total(&night_weights),
        );
        let mut bku: BTreeMap<(usize, &'static str), (i64, u64)> = BTreeMap::new();
        let wil = self.wil.clone();
        let tag = self.today_tag.clone();
        let mmdd = tag.get(2..).unwrap_or("").to_string();
        let yy = tag.get(..2).unwrap_or("").to_string();
        let year = date.year();
        let mut reversals = 0u64;
        // The same for every receipt of the day: value date, each channel's settlement date,
        // the accounts' numbers, and midnight WIB in UTC.
        let value_date = calendar::add_bank_days(date, 0);
        let settle_dates: Vec<NaiveDate> = self
            .p
            .channels
            .iter()
            .map(|route| match route.landing {
                Landing::PerPayment { account } => match sweep_lag(self.p.accounts[account].kind) {
                    Some((_, lag)) if lag > 0 => calendar::add_bank_days(date, lag),
                    _ => date,
                },
                Landing::Bulk { lag_bank_days, .. } => calendar::add_bank_days(date, lag_bank_days),
            })
            .collect();
        let account_numbers: Vec<String> =
            self.p.accounts.iter().map(|a| a.number.clone()).collect();
        let midnight_utc = wib_to_utc(date, 0).naive_utc();
        let at = |secs: u32| after_seconds(midnight_utc, secs);
        // A receipt's identifiers are written into these buffers, reused all day.
        let mut ntpd = String::with_capacity(32);
        let mut ntb = String::with_capacity(16);
        let mut nop = String::with_capacity(24);
        let mut npwpd = String::with_capacity(32);
        let mut billing = String::with_capacity(32);
        let mut name = String::with_capacity(48);
        let mut ntpd2 = String::with_capacity(32);
        let mut billing2 = String::with_capacity(32);
        let mut r = String::with_capacity(24);
        for t in times {
            let office_hours = (8 * 3600..15 * 3600).contains(&t);
            let ci = if office_hours {
                pick_weighted_of(rng, &open_weights, open_total)
            } else {
                pick_weighted_of(rng, &night_weights, night_total)
            };
            let route = self.p.channels[ci].clone();
            let mut ri = pick_weighted_of(rng, &weights, revenue_total);
            let mut rev = self.p.revenues[ri].clone();
            // Payer and tax period.
            let (tahun, masa) = if rev.monthly {
                let (y, m) = if date.month() == 1 {
                    (year - 1, 12)
                } else {
                    (year, date.month() - 1)
                };
                (y, m)
            } else if rev.payer == PayerId::Nop {
                let current = date.month() >= 3 && rng.gen_range(0..100) < 85;
                if current {
                    (year, 0)
                } else {
                    (year - rng.gen_range(1..=5), 0)
                }
            } else {
                (year, 0)
            };
            let mut payer = match rev.payer {
                PayerId::Transaction => None,
                _ => self.payers.next(ri, rev.population, tahun, masa),
            };
            if payer.is_none() && rev.payer != PayerId::Transaction {
                // Population exhausted for the period: the payment is a retribusi instead.
                if let Some(alt) = self
                    .p
                    .revenues
                    .iter()
                    .position(|r| r.payer == PayerId::Transaction)
                {
                    ri = alt;
                    rev = self.p.revenues[alt].clone();
                    payer = None;
                }
            }
            let mut pokok = draw_rupiah(rng, rev.buckets);
            let mut denda = 0;
            if rev.payer == PayerId::Nop {
                // PBB-P2 due 31 August of the tax year; 2% a month after, at most 24 months.
                let due = NaiveDate::from_ymd_opt(tahun, 8, 31).unwrap_or(date);
                if date > due {
                    let months = ((date.year() - due.year()) * 12 + date.month() as i32 - 8)
                        .clamp(1, 24) as i64;
                    denda = pokok / 100 * 2 * months / 100 * 100;
                }
            } else if rev.monthly && date.day() > 15 {
                denda = pokok / 100 / 100 * 100;
            }
            if pokok <= 0 {
                pokok = 100;
            }
            let total = pokok + denda;
            self.ntpd_seq += 1;
            ntpd.clear();
            text::left_zero(&mut ntpd, &wil, 4);
            ntpd.push_str(&tag);
            text::pad(&mut ntpd, self.ntpd_seq, 9);
            self.ntb_seq += 1;
            ntb.clear();
            match route.channel {
                Channel::Qris => {
                    ntb.push_str(&mmdd);
                    text::pad(&mut ntb, self.ntb_seq % 100_000_000, 8);
                }
                _ => {
                    ntb.push_str(&tag);
                    text::pad(&mut ntb, self.ntb_seq % 1_000_000, 6);
                }
            }
            nop.clear();
            npwpd.clear();
            billing.clear();
            name.clear();
            let (has_nop, has_npwpd) = match (rev.payer, payer) {
                (PayerId::Nop, Some(idx)) => {
                    nop_into(&mut nop, &wil, idx);
                    billing.push_str(&nop);
                    text::pad_signed(&mut billing, i64::from(tahun % 100), 2);
                    name_into(&mut name, idx, None);
                    (true, false)
                }
                (PayerId::Npwpd, Some(idx)) => {
                    npwpd.push_str("P.");
                    text::uint(&mut npwpd, ri as u64 + 1);
                    npwpd.push('.');
                    text::pad(&mut npwpd, idx + 1, 7);
                    npwpd.push('.');
                    text::pad(&mut npwpd, 1 + idx % 6, 2);
                    npwpd.push('.');
                    text::pad(&mut npwpd, 1 + idx % 12, 3);
                    let prefix = if rev.jenis.contains("Hotel") || rev.jenis.contains("Perhotelan")
                    {
                        "HOTEL"
                    } else if rev.jenis.contains("Makanan") {
                        "RM"
                    } else {
                        "CV"
                    };
                    billing.push_str(&wil);
                    text::uint(&mut billing, ri as u64);
                    text::pad_signed(&mut billing, i64::from(tahun % 100), 2);
                    text::pad(&mut billing, u64::from(masa), 2);
                    text::pad(&mut billing, idx, 7);
                    name_into(&mut name, idx, Some(prefix));
                    (false, true)
                }
                (PayerId::Vehicle, Some(idx)) => {
                    let l1 = (b'A' + (idx % 26) as u8) as char;
                    let l2 = (b'A' + ((idx / 26) % 26) as u8) as char;
                    let l3 = (b'A' + ((idx / 676) % 26) as u8) as char;
                    let num = 1 + (idx / 17_576) % 9999;
                    billing.push('A');
                    text::pad(&mut billing, num, 4);
                    billing.push(l1);
                    billing.push(l2);
                    billing.push(l3);
                    text::pad_signed(&mut billing, i64::from(tahun % 100), 2);
                    name_into(&mut name, idx, None);
                    (false, false)
                }
                _ => {
                    self.billing_seq += 1;
                    billing.push_str(&wil);
                    billing.push('9');
                    billing.push_str(&yy);
                    text::pad(&mut billing, self.billing_seq, 8);
                    name_into(&mut name, self.billing_seq.wrapping_mul(31), None);
                    (false, false)
                }
            };
            let (account, bank_name) = match route.landing {
                Landing::PerPayment { account } => (account, self.p.banks[route.bank].name),
                Landing::Bulk {
                    account, settler, ..
                } => (account, settler),
            };
            let settlement_date = settle_dates[ci];
            let receipt = ReceiptRow {
                ntpd: &ntpd,
                kode_billing: Some(&billing),
                ntb: Some(&ntb),
                nop: has_nop.then_some(nop.as_str()),
                npwpd: has_npwpd.then_some(npwpd.as_str()),
                taxpayer_name: Some(&name),
                jenis_pajak: Some(rev.jenis),
                lines: Lines::One {
                    kode_rekening: rev.kode_rekening,
                    amount: sen_dec(total),
                },
                masa_pajak: (masa > 0).then_some(masa),
                tahun_pajak: Some(tahun),
                pokok: sen_dec(pokok),
                denda: sen_dec(denda),
                total: sen_dec(total),
                channel: route.channel,
                bank: Some(bank_name),
                account: Some(&account_numbers[account]),
                paid_at: at(t),
                paid_zone: Some("WIB"),
                settlement_date: Some(settlement_date),
                status: ReceiptStatus::Paid,
                reverses_ntpd: None,
                opd: Some(rev.opd),
            };
            let reversed = irng.gen_range(0..1_000_000u32) < REVERSAL_PPM;
            let no_refund = reversed && self.inj.roll(F::ReversalWithoutRefund, day, irng);
            let duplicate = self.inj.roll(F::DuplicateReceipt, day, irng);
            docs.receipts.write_receipt(&receipt)?;
            match route.landing {
                Landing::PerPayment { account } => {
                    let unremitted = !reversed && self.inj.roll(F::UnremittedReceipt, day, irng);
                    let time = (t + 3).min(86_399);
                    if unremitted {
                        let refs =
                            vec![ntpd.clone(), ntb.clone(), account_numbers[account].clone()];
                        self.irregular(
                            F::UnremittedReceipt,
                            &refs,
                            total,
                            date,
                            "paid at the channel, NTPD issued, never credited to the kas daerah",
                        )?;
                    } else {
                        let jenis_short = short_jenis(rev.jenis);
                        let [p0, p1, p2, p3, p4, p5]: [&str; 6] = match route.channel {
                            Channel::Qris => ["QRIS ", &ntb, " ", jenis_short, " NTPD ", &ntpd],
                            Channel::Teller => {
                                ["SETORAN ", jenis_short, " NTB ", &ntb, " NTPD ", &ntpd]
                            }
                            Channel::Atm => ["ATM PAJAK ", jenis_short, " NTB ", &ntb, "", ""],
                            _ => ["TRF MB ", jenis_short, " NTB ", &ntb, " NTPD ", &ntpd],
                        };
                        let mut net_mdr = "";
                        r.clear();
                        self.bank_ref_into(account, date, &mut r);
                        let mut credited = total;
                        if route.channel == Channel::Qris
                            && !reversed
                            && self.inj.roll(F::FeeOverAgreement, day, irng)
                        {
                            // P2G QRIS has MDR 0%: a net credit is a deduction nobody agreed to.
                            let mdr = (total * 7 / 1000 / 100 * 100).max(100);
                            credited = total - mdr;
                            net_mdr = " NET MDR";
                            let refs = vec![ntpd.clone(), ntb.clone(), r.clone()];
                            self.irregular(
                                F::FeeOverAgreement,
                                &refs,
                                mdr,
                                date,
                                "QRIS P2G payment credited net of a 0.7% MDR; the agreed MDR is 0",
                            )?;
                        }
                        let head = LineHead::new(
                            time,
                            value_date,
                            Direction::Credit,
                            credited,
                            TxKind::Transfer,
                        );
                        let narrative = [p0, p1, p2, p3, p4, p5, net_mdr];
                        // Booked twice when the bank posts it twice.
                        let mut times_booked = 1;
                        if self.inj.roll(F::DuplicateStatementLine, day, irng) {
                            let refs =
                                vec![r.clone(), account_numbers[account].clone(), ntb.clone()];
                            self.irregular(
                                F::DuplicateStatementLine,
                                &refs,
                                total,
                                date,
                                "the bank posted the same credit twice (same reference and amount)",
                            )?;
                            times_booked = 2;
                        }
                        for _ in 0..times_booked {
                            self.push_parts(account, head, &r, Some(&ntb), &narrative, Some(&name));
                        }
                        if self.p.accounts[account].kind == AccountKind::Rkud && !reversed {
                            let e = bku.entry((account, rev.kode_rekening)).or_insert((0, 0));
                            e.0 += total;
                            e.1 += 1;
                        }
                        if reversed {
                            if no_refund {
                                let refs = vec![ntpd.clone(), ntb.clone(), r.clone()];
                                self.irregular(
                                    F::ReversalWithoutRefund,
                                    &refs,
                                    total,
                                    date,
                                    "tax system reversed the payment but the bank credit stands and no refund was made",
                                )?;
                            } else {
                                let rr = self.bank_ref(account, date);
                                self.push_line(
                                    account,
                                    BankLine {
                                        head: LineHead {
                                            reversal: true,
                                            ..LineHead::new(
                                                (t + 240).min(86_399),
                                                value_date,
                                                Direction::Debit,
                                                total,
                                                TxKind::Transfer,
                                            )
                                        },
                                        bank_ref: rr.clone(),
                                        customer_ref: Some(ntb.clone()),
                                        narrative: format!("REVERSAL {r} NTB {ntb}"),
                                        counterparty_name: None,
                                        counterparty_account: None,
                                    },
                                );
                                let refs = vec![ntpd.clone(), ntb.clone(), r.clone(), rr];
                                self.noise(
                                    "reversal_refunded",
                                    &refs,
                                    total,
                                    date,
                                    "same-day reversal with refund on the statement",
                                )?;
                            }
                        }
                    }
                }
                Landing::Bulk { fee_per_tx_sen, .. } => {
                    if reversed {
                        if no_refund {
                            // The aggregator settles it anyway while the host has reversed it.
                            let key = (settlement_date, ci, date);
                            let b = self.bulk.entry(key).or_insert(Batch {
                                count: 0,
                                gross_sen: 0,
                                fee_sen: 0,
                                late_due: None,
                            });
                            b.count += 1;
                            b.gross_sen += total;
                            b.fee_sen += fee_per_tx_sen;
                            let refs = vec![ntpd.clone(), ntb.clone(), route.label.to_string()];
                            self.irregular(
                                F::ReversalWithoutRefund,
                                &refs,
                                total,
                                date,
                                "tax system reversed the payment but the aggregator settled it and no refund was made",
                            )?;
                        } else {
                            let refs = vec![ntpd.clone(), ntb.clone(), route.label.to_string()];
                            self.noise(
                                "reversal_before_settlement",
                                &refs,
                                total,
                                date,
                                "reversed before the batch settled; excluded from it",
                            )?;
                        }
                    } else {
                        let key = (settlement_date, ci, date);
                        let b = self.bulk.entry(key).or_insert(Batch {
                            count: 0,
                            gross_sen: 0,
                            fee_sen: 0,
                            late_due: None,
                        });
                        b.count += 1;
                        b.gross_sen += total;
                        b.fee_sen += fee_per_tx_sen;
                    }
                }
            }
            if reversed {
                let record = ReceiptRow {
                    status: ReceiptStatus::Reversed,
                    reverses_ntpd: Some(&ntpd),
                    paid_at: at((t + 240).min(86_399)),
                    ..receipt
                };
                docs.receipts.write_receipt(&record)?;
                reversals += 1;
            }
            if duplicate {
                self.ntpd_seq += 1;
                ntpd2.clear();
                text::left_zero(&mut ntpd2, &wil, 4);
                ntpd2.push_str(&tag);
                text::pad(&mut ntpd2, self.ntpd_seq, 9);
                // The host issued a fresh billing code for the repeat; the NTB (and NOP/year)
                // give it away.
                self.billing_seq += 1;
                billing2.clear();
                billing2.push_str(&wil);
                billing2.push('8');
                billing2.push_str(&yy);
                text::pad(&mut billing2, self.billing_seq, 8);
                let refs = vec![ntpd.clone(), ntpd2.clone(), ntb.clone()];
                self.irregular(
                    F::DuplicateReceipt,
                    &refs,
                    total,
                    date,
                    "the host recorded one channel payment (same NTB) twice under two NTPD",
                )?;
                let dup = ReceiptRow {
                    ntpd: &ntpd2,
                    kode_billing: Some(&billing2),
                    paid_at: at((t + 30).min(86_399)),
                    ..receipt
                };
                docs.receipts.write_receipt(&dup)?;
            }
        }
        self.count("receipts", u64::from(n));
        self.drawn_today = u64::from(n);
        self.count("receipt_reversals", reversals);
        Ok(bku)
    }

    /// Aggregator settlements due today: one credit per (channel, settlement date), covering
    /// every payment date that falls due today (a weekend's payments settle together on Monday).
    fn settlements(
        &mut self,
        day: u32,
        date: NaiveDate,
        rng: &mut ChaCha8Rng,
        irng: &mut ChaCha8Rng,
    ) -> Result<(), GenError> {
        let due: Vec<(NaiveDate, usize, NaiveDate)> = self
            .bulk
            .range((date, 0, NaiveDate::MIN)..=(date, usize::MAX, NaiveDate::MAX))
            .map(|(k, _)| *k)
            .collect();
        // A late batch arrives as its own transfer, not folded into the day's settlement.
        let mut groups: BTreeMap<SettlementKey, Vec<(NaiveDate, Batch)>> = BTreeMap::new();
        for key in due {
            let Some(mut batch) = self.bulk.remove(&key) else {
                continue;
            };
            let (_, ci, paid_on) = key;
            if batch.late_due.is_none() && self.inj.roll(F::LateSettlement, day, irng) {
                // Held back 3-5 bank days; recorded when it lands (with its bank reference).
                let shift = irng.gen_range(3..=5u32);
                let new_date = calendar::add_bank_days(date, shift);
                batch.late_due = Some(date);
                self.bulk.insert((new_date, ci, paid_on), batch);
                continue;
            }
            let late_key = batch.late_due.map(|_| paid_on);
            groups
                .entry((ci, late_key))
                .or_default()
                .push((paid_on, batch));
        }
        for ((ci, _), batches) in groups {
            let route = self.p.channels[ci].clone();
            let Landing::Bulk {
                account,
                lag_bank_days,
                settler,
                ..
            } = route.landing
            else {
                continue;
            };
            let count: u32 = batches.iter().map(|(_, b)| b.count).sum();
            let gross: i64 = batches.iter().map(|(_, b)| b.gross_sen).sum();
            let fee: i64 = batches.iter().map(|(_, b)| b.fee_sen).sum();
            let first = batches.iter().map(|(d, _)| *d).min().unwrap_or(date);
            let last = batches.iter().map(|(d, _)| *d).max().unwrap_or(date);
            let mut net = gross - fee;
            let r = self.bank_ref(account, date);
            let mut note_fee = String::new();
            let label = route.label.to_string();
            let period = if first == last {
                first.format("%d%m%Y").to_string()
            } else {
                format!("{} SD {}", first.format("%d%m%Y"), last.format("%d%m%Y"))
            };
            if self.inj.roll(F::FeeOverAgreement, day, irng) {
                // An extra per-transaction deduction the PKS does not provide for.
                let extra = i64::from(count) * 1_000 * 100 + gross / 500 / 100 * 100;
                let extra = extra.min(net / 2).max(100);
                net -= extra;
                let refs = vec![
                    label.clone(),
                    date.format("%Y-%m-%d").to_string(),
                    r.clone(),
                ];
                self.irregular(
                    F::FeeOverAgreement,
                    &refs,
                    extra,
                    date,
                    &format!(
                        "settlement deducted {} more than the agreed fee",
                        crate::truth_amount(extra)
                    ),
                )?;
                note_fee = " NET FEE".into();
            }
            let time = 9 * 3600 + rng.gen_range(0..5 * 3600);
            self.push_line(
                account,
                BankLine {
                    head: LineHead {
                        batch_count: Some(count),
                        ..LineHead::new(time, date, Direction::Credit, net, TxKind::Transfer)
                    },
                    bank_ref: r.clone(),
                    customer_ref: Some(format!("STL{}{}", date.format("%y%m%d"), ci)),
                    narrative: format!(
                        "SETTLEMENT {} TGL {period} {count} TRX{note_fee}",
                        label.to_ascii_uppercase()
                    ),
                    counterparty_name: Some(settler.to_string()),
                    counterparty_account: None,
                },
            );
            let refs = vec![
                label.clone(),
                date.format("%Y-%m-%d").to_string(),
                r.clone(),
            ];
            self.noise(
                "batch_settlement",
                &refs,
                gross,
                date,
                &format!("{count} payments of {period} settled in one credit"),
            )?;
            if fee > 0 {
                self.noise(
                    "agreed_fee",
                    &refs,
                    fee,
                    date,
                    "fee per transaction deducted as the PKS provides",
                )?;
            }
            for (paid_on, b) in &batches {
                if let Some(due) = b.late_due {
                    let late_refs = vec![
                        label.clone(),
                        paid_on.format("%Y-%m-%d").to_string(),
                        r.clone(),
                        self.p.accounts[account].number.clone(),
                    ];
                    let note = format!(
                        "payments of {} due {} settled {} ({} bank days late)",
                        paid_on.format("%Y-%m-%d"),
                        due.format("%Y-%m-%d"),
                        date.format("%Y-%m-%d"),
                        bank_days_between(due, date)
                    );
                    self.irregular(F::LateSettlement, &late_refs, b.gross_sen, due, &note)?;
                } else if calendar::add_bank_days(*paid_on, lag_bank_days)
                    != *paid_on + Duration::days(i64::from(lag_bank_days))
                {
                    let lag_refs = vec![
                        label.clone(),
                        paid_on.format("%Y-%m-%d").to_string(),
                        r.clone(),
                    ];
                    self.noise(
                        "weekend_holiday_lag",
                        &lag_refs,
                        b.gross_sen,
                        date,
                        "settlement moved past a weekend or holiday",
                    )?;
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn collections_and_sts(
        &mut self,
        day: u32,
        date: NaiveDate,
        rng: &mut ChaCha8Rng,
        irng: &mut ChaCha8Rng,
        docs: &mut DayDocs,
        bud: &mut Vec<BkuDraft>,
        bend: &mut [Vec<(u32, BkuLineDraft)>],
    ) -> Result<(), GenError> {
        let working = calendar::is_working_day(date);
        let year = date.year();
        for ci in 0..self.p.collectors.len() {
            let c = self.p.collectors[ci].clone();
            // Deposits first: the bendahara takes yesterday's (and older) cash to the bank.
            if working && calendar::is_bank_day(date) {
                let (due, keep): (Vec<Collection>, Vec<Collection>) =
                    self.collections[ci].drain(..).partition(|col| {
                        col.collected_on < date && !matches!(col.hold_until, Some(h) if h > date)
                    });
                self.collections[ci] = keep;
                if !due.is_empty() {
                    self.deposit(day, date, ci, &c, due, rng, irng, docs, bud, bend)?;
                }
            }
            if !(working || c.collects_on_weekends) {
                continue;
            }
            let late = self.inj.roll(F::LateDeposit, day, irng);
            let hold_until =
                late.then(|| calendar::add_working_days(date, irng.gen_range(3..=5u32)));
            for _ in 0..c.points {
                let amount = rng.gen_range(c.per_point.0..=c.per_point.1) / 1000 * 1000 * 100;
                self.tbp_seq += 1;
                let tbp = format!("TBP/{}/{}/{:06}", c.opd, year, self.tbp_seq);
                bend[ci].push((
                    15 * 3600 + rng.gen_range(0..7200),
                    BkuLineDraft {
                        document: tbp.clone(),
                        description: format!("Penerimaan {} ({})", c.uraian, tbp),
                        kode_rekening: Some(c.kode_rekening.to_string()),
                        amount_sen: amount,
                        direction: Direction::Credit,
                    },
                ));
                self.collections[ci].push(Collection {
                    collected_on: date,
                    amount_sen: amount,
                    tbp,
                    hold_until,
                });
            }
            if !working {
                let refs = vec![c.opd.to_string()];
                self.noise(
                    "collection_on_day_off",
                    &refs,
                    0,
                    date,
                    "cash collected on a weekend or holiday, deposited on the next working day",
                )?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn deposit(
        &mut self,
        day: u32,
        date: NaiveDate,
        ci: usize,
        c: &pemda::Collector,
        due: Vec<Collection>,
        rng: &mut ChaCha8Rng,
        irng: &mut ChaCha8Rng,
        docs: &mut DayDocs,
        bud: &mut Vec<BkuDraft>,
        bend: &mut [Vec<(u32, BkuLineDraft)>],
    ) -> Result<(), GenError> {
        let year = date.year();
        let seq = self.sts_seq.entry(year).or_insert(0);
        *seq += 1;
        let number = format!("{:04}/STS/{}/{}", seq, c.opd, year);
        let collected: i64 = due.iter().map(|d| d.amount_sen).sum();
        let from = due.iter().map(|d| d.collected_on).min().unwrap_or(date);
        let to = due.iter().map(|d| d.collected_on).max().unwrap_or(date);
        let mut total = collected;
        if self.inj.roll(F::ShortRemittance, day, irng) {
            let short =
                (collected * i64::from(irng.gen_range(3..=15u32)) / 100) / 100_000 * 100_000;
            if short > 0 {
                total -= short;
                let refs = vec![number.clone(), c.opd.to_string()];
                self.irregular(
                    F::ShortRemittance,
                    &refs,
                    short,
                    date,
                    "STS deposits less than the TBP it covers; the rest stays with the bendahara",
                )?;
            }
        }
        let late_wd = calendar::working_days_between(from, date);
        let late_amount: i64 = due
            .iter()
            .filter(|d| calendar::working_days_between(d.collected_on, date) > 1)
            .map(|d| d.amount_sen)
            .sum();
        if late_wd > 1 {
            let refs = vec![number.clone(), c.opd.to_string()];
            let note = format!(
                "collected {} deposited {} ({} working days)",
                from.format("%Y-%m-%d"),
                date.format("%Y-%m-%d"),
                late_wd
            );
            self.irregular(F::LateDeposit, &refs, late_amount, date, &note)?;
        } else if due
            .iter()
            .any(|d| !calendar::is_working_day(d.collected_on))
        {
            let refs = vec![number.clone(), c.opd.to_string()];
            self.noise(
                "weekend_collection_deposit",
                &refs,
                total,
                date,
                "covers days off; within one working day",
            )?;
        }
        let non_rkud = self.inj.roll(F::DepositToNonRkudAccount, day, irng);
        let account_no = if non_rkud {
            self.p.non_rkud_account.clone()
        } else {
            self.p.accounts[RKUD_BPD].number.clone()
        };
        let sts = Sts {
            number: number.clone(),
            opd: c.opd.to_string(),
            bendahara: Some(c.bendahara.to_string()),
            date,
            account: account_no.clone(),
            lines: vec![RevenueLine {
                kode_rekening: c.kode_rekening.to_string(),
                amount: sen_dec(total),
            }],
            total: sen_dec(total),
            collected_from: Some(from),
            collected_to: Some(to),
            tbp_numbers: due.iter().map(|d| d.tbp.clone()).collect(),
        };
        docs.sts.write(Document::Sts(sts))?;
        let time = 9 * 3600 + rng.gen_range(0..5 * 3600);
        bend[ci].push((
            time,
            BkuLineDraft {
                document: number.clone(),
                description: format!("Penyetoran ke Kas Daerah STS {number}"),
                kode_rekening: Some(c.kode_rekening.to_string()),
                amount_sen: total,
                direction: Direction::Debit,
            },
        ));
        if non_rkud {
            let refs = vec![number.clone(), account_no];
            self.irregular(
                F::DepositToNonRkudAccount,
                &refs,
                total,
                date,
                "STS deposited to an account outside the RKUD register; no RKUD credit",
            )?;
            return Ok(());
        }
        let r = self.bank_ref(RKUD_BPD, date);
        self.push_line(
            RKUD_BPD,
            BankLine {
                head: LineHead::new(time, date, Direction::Credit, total, TxKind::Cash),
                bank_ref: r.clone(),
                customer_ref: Some(number.clone()),
                narrative: format!("SETORAN STS {number} BEND PENERIMAAN {}", c.opd),
                counterparty_name: Some(format!("BEND PENERIMAAN {}", c.opd)),
                counterparty_account: None,
            },
        );
        let mut booked = total;
        if self.inj.roll(F::BkuBankDifference, day, irng) {
            // A keying error in the BUD book: a digit dropped or added.
            booked = if irng.gen_range(0..2) == 0 {
                total * 10
            } else {
                (total / 10) / 100 * 100
            };
            let refs = vec![
                number.clone(),
                r.clone(),
                self.p.accounts[RKUD_BPD].number.clone(),
            ];
            let note = format!(
                "BUD BKU booked {} for a bank credit of {}",
                crate::truth_amount(booked),
                crate::truth_amount(total)
            );
            self.irregular(
                F::BkuBankDifference,
                &refs,
                (booked - total).abs(),
                date,
                &note,
            )?;
        }
        bud.push(BkuDraft {
            time_secs: time,
            document: Some(number.clone()),
            description: format!("Penerimaan STS {number} {}", c.opd_name),
            kode_rekening: Some(c.kode_rekening.to_string()),
            amount_sen: booked,
            direction: Direction::Credit,
            account: RKUD_BPD,
        });
        Ok(())
    }

    fn transfers_in(&mut self, date: NaiveDate, bud: &mut Vec<BkuDraft>) -> Result<(), GenError> {
        // DAU arrives on the first bank day of the month.
        let first = calendar::add_bank_days(
            NaiveDate::from_ymd_opt(date.year(), date.month(), 1).unwrap_or(date),
            0,
        );
        if date != first {
            return Ok(());
        }
        let amount = self.p.dau_monthly * 100;
        let r = self.bank_ref(RKUD_BPD, date);
        let doc = format!("DAU-{}", date.format("%Y%m"));
        let refs = vec![
            r.clone(),
            self.p.accounts[RKUD_BPD].number.clone(),
            doc.clone(),
        ];
        self.noise(
            "tkd_transfer",
            &refs,
            amount,
            date,
            "DAU from the Kas Negara: no receipt/STS/SP2D behind it, booked in the BUD BKU",
        )?;
        self.push_line(
            RKUD_BPD,
            BankLine {
                head: LineHead::new(
                    8 * 3600 + 15 * 60,
                    date,
                    Direction::Credit,
                    amount,
                    TxKind::Transfer,
                ),
                bank_ref: r,
                customer_ref: Some(doc.clone()),
                narrative: format!("TKD DAU BULAN {} KPPN SERANG", date.format("%m/%Y")),
                counterparty_name: Some("RPKBUN KAS NEGARA".into()),
                counterparty_account: None,
            },
        );
        bud.push(BkuDraft {
            time_secs: 8 * 3600 + 15 * 60,
            document: Some(doc),
            description: format!("Penerimaan DAU bulan {}", date.format("%m/%Y")),
            kode_rekening: Some("4.2.01.08.01.0001".into()),
            amount_sen: amount,
            direction: Direction::Credit,
            account: RKUD_BPD,
        });
        Ok(())
    }

    fn sp2d(
        &mut self,
        day: u32,
        date: NaiveDate,
        rng: &mut ChaCha8Rng,
        irng: &mut ChaCha8Rng,
        docs: &mut DayDocs,
        bud: &mut Vec<BkuDraft>,
    ) -> Result<(), GenError> {
        if !calendar::is_working_day(date) || !calendar::is_bank_day(date) {
            return Ok(());
        }
        let vp = i64::from(self.opts.volume_percent);
        let (lo, hi) = self.p.sp2d_per_day;
        let n = (i64::from(rng.gen_range(lo..=hi)) * vp / 100).max(1);
        let payroll = date.day() <= 7;
        let year = date.year();
        let dau = self.p.dau_monthly;
        let spender_weights: Vec<u32> = self.p.spenders.iter().map(|s| s.weight).collect();
        for _ in 0..n {
            let si = pick_weighted(rng, &spender_weights);
            let opd = self.p.spenders[si].clone();
            let roll = rng.gen_range(0..100);
            let (ty, suffix, kode, gross) = if payroll && roll < 25 {
                (
                    Sp2dType::Ls,
                    "-GJ",
                    Some("5.1.01.01.01.0001"),
                    draw_share(rng, dau, 2_000, 12_000, 1),
                )
            } else if roll < 70 {
                if rng.gen_range(0..4) == 0 {
                    (
                        Sp2dType::Ls,
                        "",
                        Some("5.2.02.05.01.0001"),
                        draw_share(rng, dau, 200, 15_000, 1),
                    )
                } else {
                    (
                        Sp2dType::Ls,
                        "",
                        Some("5.1.02.01.01.0024"),
                        draw_share(rng, dau, 20, 2_500, 1),
                    )
                }
            } else if roll < 88 {
                (
                    Sp2dType::Gu,
                    "",
                    None,
                    draw_share(rng, dau, 50, 1_500, 1_000),
                )
            } else if roll < 95 || date.month() > 1 {
                (
                    Sp2dType::Tu,
                    "",
                    None,
                    draw_share(rng, dau, 50, 1_000, 1_000),
                )
            } else {
                (
                    Sp2dType::Up,
                    "",
                    None,
                    draw_share(rng, dau, 300, 2_000, 1_000_000),
                )
            };
            // Cash management: pay from the other-bank RKUD only when it can carry it.
            let mut account = if rng.gen_range(0..100) < 15 {
                RKUD_OTHER
            } else {
                RKUD_BPD
            };
            let floor = RKUD_FLOOR_RUPIAH * 100;
            if self.current_balance(account, 86_400) - gross < floor {
                account = RKUD_BPD;
            }
            if self.current_balance(account, 86_400) - gross < floor {
                continue;
            }
            let seq = self.sp2d_seq.entry(year).or_insert(0);
            *seq += 1;
            let number = format!("{:04}/{}{}/{}", seq, ty.as_str(), suffix, year);
            let mut deductions = Vec::new();
            if ty == Sp2dType::Ls {
                if suffix == "-GJ" {
                    deductions.push(Deduction {
                        kind: "PPh21".into(),
                        amount: sen_dec(gross / 100 * 3 / 100 * 100),
                    });
                    deductions.push(Deduction {
                        kind: "IWP".into(),
                        amount: sen_dec(gross / 100 / 100 * 100),
                    });
                    deductions.push(Deduction {
                        kind: "Taspen".into(),
                        amount: sen_dec(gross / 10_000 * 325 / 100 * 100),
                    });
                } else {
                    let ppn = gross / 111 * 11 / 100 * 100;
                    deductions.push(Deduction {
                        kind: "PPN".into(),
                        amount: sen_dec(ppn),
                    });
                    deductions.push(Deduction {
                        kind: "PPh23".into(),
                        amount: sen_dec((gross - ppn) / 100 * 2 / 100 * 100),
                    });
                }
            }
            let ded_sum: i64 = deductions.iter().map(|d| dec_sen(d.amount)).sum();
            let net = gross - ded_sum;
            let same_bank = rng.gen_range(0..100) < 60;
            let bank_idx = if same_bank {
                self.p.accounts[account].bank
            } else {
                1 - self.p.accounts[account].bank.min(1)
            };
            let (ben_name, ben_bank, ben_acct) = match ty {
                Sp2dType::Ls if suffix.is_empty() => {
                    let idx = rng.gen_range(0..5_000u64);
                    (
                        self.name_for(idx, Some("CV")),
                        self.p.banks[bank_idx].name.to_string(),
                        format!("{:010}", 3_000_000_000u64 + idx * 7_919),
                    )
                }
                _ => (
                    format!("BEND PENGELUARAN {}", opd.code),
                    self.p.banks[self.p.accounts[account].bank].name.to_string(),
                    format!("{:010}", 2_100_000_000u64 + si as u64 * 101),
                ),
            };
            let sp2d = Sp2d {
                number: number.clone(),
                date,
                opd: opd.code.to_string(),
                sp2d_type: ty,
                kode_rekening: kode.map(str::to_string),
                gross: sen_dec(gross),
                deductions: deductions.clone(),
                net: sen_dec(net),
                beneficiary_name: ben_name.clone(),
                beneficiary_bank: Some(ben_bank.clone()),
                beneficiary_account: Some(ben_acct.clone()),
                account: self.p.accounts[account].number.clone(),
            };
            docs.sp2d.write(Document::Sp2d(sp2d))?;
            let next_day = rng.gen_range(0..1000) < SP2D_NEXT_DAY_PERMILLE;
            let pay_date = if next_day {
                let d = calendar::add_working_days(date, 1);
                if calendar::is_bank_day(d) {
                    d
                } else {
                    calendar::add_bank_days(d, 0)
                }
            } else {
                date
            };
            let r = self.bank_ref(account, pay_date);
            let style = rng.gen_range(0..1000);
            let shown = if style < SP2D_TRUNCATED_PERMILLE {
                let cut = number.len().saturating_sub(rng.gen_range(2..=5));
                let s = number[..cut].to_string();
                self.noise(
                    "sp2d_narrative_truncated",
                    &[number.clone(), r.clone()],
                    net,
                    pay_date,
                    &format!("narrative shows {s}"),
                )?;
                s
            } else if style < SP2D_TRUNCATED_PERMILLE + SP2D_REFORMATTED_PERMILLE {
                let s: String = number
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect();
                self.noise(
                    "sp2d_narrative_reformatted",
                    &[number.clone(), r.clone()],
                    net,
                    pay_date,
                    &format!("narrative shows {s}"),
                )?;
                s
            } else {
                number.clone()
            };
            let mut debit = net;
            if self.inj.roll(F::Sp2dAmountMismatch, day, irng) {
                let extra = (net * i64::from(irng.gen_range(1..=10u32)) / 100) / 100_000 * 100_000;
                let extra = extra.max(100_000 * 100);
                debit = net + extra;
                let refs = vec![number.clone(), r.clone()];
                self.irregular(
                    F::Sp2dAmountMismatch,
                    &refs,
                    extra,
                    pay_date,
                    "bank debit exceeds the SP2D net amount",
                )?;
            }
            let mut time = 10 * 3600 + rng.gen_range(0..6 * 3600);
            let mut lines = vec![BankLine {
                head: LineHead::new(time, pay_date, Direction::Debit, debit, TxKind::Transfer),
                bank_ref: r.clone(),
                customer_ref: Some(shown.clone()),
                narrative: format!("SP2D {shown} {ben_name}"),
                counterparty_name: Some(ben_name.clone()),
                counterparty_account: Some(ben_acct.clone()),
            }];
            for d in &deductions {
                time += 1;
                let dr = self.bank_ref(account, pay_date);
                let payee = if d.kind.starts_with("PP") {
                    "KAS NEGARA"
                } else if d.kind == "Taspen" {
                    "PT TASPEN"
                } else {
                    "RKUD IWP"
                };
                lines.push(BankLine {
                    head: LineHead::new(
                        time,
                        pay_date,
                        Direction::Debit,
                        dec_sen(d.amount),
                        TxKind::Tax,
                    ),
                    bank_ref: dr,
                    customer_ref: Some(shown.clone()),
                    narrative: format!("PFK {} SP2D {shown}", d.kind.to_ascii_uppercase()),
                    counterparty_name: Some(payee.into()),
                    counterparty_account: None,
                });
            }
            if !same_bank {
                time += 1;
                let fee = if net >= 100_000_000 * 100 {
                    30_000 * 100
                } else {
                    2_900 * 100
                };
                let fr = self.bank_ref(account, pay_date);
                let fee_kind = if fee > 2_900 * 100 { "RTGS" } else { "SKN" };
                self.noise(
                    "bank_charge_transfer_fee",
                    &[number.clone(), fr.clone()],
                    fee,
                    pay_date,
                    "transfer fee debited beside the SP2D",
                )?;
                lines.push(BankLine {
                    head: LineHead::new(time, pay_date, Direction::Debit, fee, TxKind::Charge),
                    bank_ref: fr,
                    customer_ref: Some(shown.clone()),
                    narrative: format!("BIAYA {fee_kind} {shown}"),
                    counterparty_name: None,
                    counterparty_account: None,
                });
                // The BUD books transfer fees with the month's charges.
                self.month_charges[account] += fee;
            }
            let draft = BkuDraft {
                time_secs: time,
                document: Some(number.clone()),
                description: format!("Pencairan SP2D {number} {} {}", ty.as_str(), opd.name),
                kode_rekening: kode.map(str::to_string),
                amount_sen: gross,
                direction: Direction::Debit,
                account,
            };
            if next_day && pay_date != date {
                self.noise(
                    "sp2d_disbursed_next_day",
                    &[number.clone(), r.clone()],
                    gross,
                    pay_date,
                    "issued one day, debited the next working day",
                )?;
                let list = self.next_day_lines.entry(pay_date).or_default();
                let mut first = true;
                for l in lines {
                    list.push((account, l, if first { Some(draft.clone()) } else { None }));
                    first = false;
                }
            } else {
                for l in lines {
                    self.push_line(account, l);
                }
                bud.push(draft);
            }
            if self.inj.roll(F::DebitWithoutSp2d, day, irng) {
                let amount = rng.gen_range(5_000_000..=250_000_000i64) / 1_000 * 1_000 * 100;
                if self.current_balance(account, 86_400) - amount > floor {
                    let dr = self.bank_ref(account, date);
                    let target = self.p.non_rkud_account.clone();
                    self.push_line(
                        account,
                        BankLine {
                            head: LineHead::new(
                                14 * 3600 + rng.gen_range(0..3600),
                                date,
                                Direction::Debit,
                                amount,
                                TxKind::Transfer,
                            ),
                            bank_ref: dr.clone(),
                            customer_ref: None,
                            narrative: format!("PEMINDAHBUKUAN KE {target}"),
                            counterparty_name: None,
                            counterparty_account: Some(target),
                        },
                    );
                    let refs = vec![dr, self.p.accounts[account].number.clone()];
                    self.irregular(
                        F::DebitWithoutSp2d,
                        &refs,
                        amount,
                        date,
                        "RKUD debit with no SP2D behind it",
                    )?;
                }
            }
        }
        Ok(())
    }

    fn unidentified(
        &mut self,
        day: u32,
        date: NaiveDate,
        irng: &mut ChaCha8Rng,
    ) -> Result<(), GenError> {
        for acct in [RKUD_BPD, RKUD_OTHER] {
            if !self.inj.roll(F::UnidentifiedDeposit, day, irng) {
                continue;
            }
            let amount = irng.gen_range(1_000_000..=75_000_000i64) / 500 * 500 * 100;
            let r = self.bank_ref(acct, date);
            self.push_line(
                acct,
                BankLine {
                    head: LineHead::new(
                        11 * 3600 + irng.gen_range(0..4 * 3600),
                        date,
                        Direction::Credit,
                        amount,
                        TxKind::Cash,
                    ),
                    bank_ref: r.clone(),
                    customer_ref: None,
                    narrative: "SETORAN TUNAI".into(),
                    counterparty_name: None,
                    counterparty_account: None,
                },
            );
            let refs = vec![r, self.p.accounts[acct].number.clone()];
            self.irregular(
                F::UnidentifiedDeposit,
                &refs,
                amount,
                date,
                "credit with no receipt, STS or transfer behind it",
            )?;
        }
        Ok(())
    }

    fn month_end(&mut self, date: NaiveDate) -> Result<(), GenError> {
        if date != calendar::last_day_of_month(date) {
            return Ok(());
        }
        let book_on = calendar::add_working_days(date, 1);
        for acct in [RKUD_BPD, RKUD_OTHER] {
            // Σ daily balances of the month's simulated days (today counts with its opening).
            let sum = self.balance_days[acct] + i128::from(self.balances[acct]).max(0);
            // Interest = Σ daily balance × rate / 365, in sen, floored.
            let interest =
                i64::try_from(sum * i128::from(self.p.jasa_giro_bps) / 10_000 / 365).unwrap_or(0);
            let tax = interest / 5;
            let admin = self.p.admin_fee * 100;
            let month = date.format("%m/%Y").to_string();
            let mut drafts = Vec::new();
            for (kind, dir, amount, text, kode) in [
                (
                    TxKind::Interest,
                    Direction::Credit,
                    interest,
                    format!("JASA GIRO {month}"),
                    Some("4.1.04.05.01.0001"),
                ),
                (
                    TxKind::Tax,
                    Direction::Debit,
                    tax,
                    format!("PAJAK JASA GIRO {month}"),
                    None,
                ),
                (
                    TxKind::Charge,
                    Direction::Debit,
                    admin,
                    format!("BIAYA ADMINISTRASI {month}"),
                    None,
                ),
            ] {
                if amount <= 0 {
                    continue;
                }
                let r = self.bank_ref(acct, date);
                self.push_line(
                    acct,
                    BankLine {
                        head: LineHead::new(23 * 3600 + 50 * 60, date, dir, amount, kind),
                        bank_ref: r.clone(),
                        customer_ref: None,
                        narrative: text.clone(),
                        counterparty_name: None,
                        counterparty_account: None,
                    },
                );
                let noise_kind = match kind {
                    TxKind::Interest => "jasa_giro",
                    TxKind::Tax => "jasa_giro_tax",
                    _ => "bank_charge_admin",
                };
                self.noise(
                    noise_kind,
                    &[r.clone(), self.p.accounts[acct].number.clone()],
                    amount,
                    date,
                    "on the statement at month end, booked in the BKU on the next working day",
                )?;
                drafts.push(BkuDraft {
                    time_secs: 9 * 3600,
                    document: Some(r),
                    description: format!(
                        "{} (rekening koran {})",
                        text.to_lowercase(),
                        date.format("%d/%m/%Y")
                    ),
                    kode_rekening: kode.map(str::to_string),
                    amount_sen: amount,
                    direction: dir,
                    account: acct,
                });
            }
            let fees = std::mem::take(&mut self.month_charges[acct]);
            if fees > 0 {
                drafts.push(BkuDraft {
                    time_secs: 9 * 3600 + 60,
                    document: Some(format!(
                        "BIAYA-TRF-{}-{}",
                        date.format("%Y%m"),
                        self.p.accounts[acct].number
                    )),
                    description: format!("Biaya transfer bank bulan {month}"),
                    kode_rekening: None,
                    amount_sen: fees,
                    direction: Direction::Debit,
                    account: acct,
                });
            }
            self.deferred_bku.entry(book_on).or_default().extend(drafts);
            self.balance_days[acct] = 0;
        }
        Ok(())
    }

    fn ensure_stmt_dirs(&mut self) -> Result<(), GenError> {
        if self.stmt_dirs_made {
            return Ok(());
        }
        for a in &self.p.accounts {
            let dir = self.out_dir.join("statements").join(&a.number);
            fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        }
        self.stmt_dirs_made = true;
        Ok(())
    }

    fn write_statements(
        &mut self,
        day: u32,
        date: NaiveDate,
        irng: &mut ChaCha8Rng,
    ) -> Result<(), GenError> {
        self.ensure_stmt_dirs()?;
        for acct in 0..self.p.accounts.len() {
            let mut lines = std::mem::take(&mut self.day_lines[acct]);
            lines.sort_by_time();
            // Lines of an undelivered statement come first in the next one.
            let carried = std::mem::take(&mut self.carried[acct]);
            let after_gap = std::mem::take(&mut self.gap_yesterday[acct]);
            // The bank's balance already moved by them; the delivered statement opens before.
            let carried_net: i64 = carried
                .heads()
                .map(|l| l.direction.signed_sen(l.amount_sen))
                .sum();
            if !carried.is_empty() {
                let mut all = carried;
                all.extend_from(&lines);
                lines = all;
            }
            let mut opening = self.balances[acct] - carried_net;
            // Continuity breaks are only visible between two delivered statements: never on the
            // first or last day of the run, nor twice in a row.
            let inner_day = day > 0 && day + 1 < self.opts.days;
            let gap = inner_day && !after_gap && self.inj.roll(F::StatementGap, day, irng);
            if inner_day
                && !gap
                && self.p.accounts[acct].kind == AccountKind::Rkud
                && self.inj.roll(F::BalanceDiscontinuity, day, irng)
            {
                // A debit the bank booked but never reported: today's opening is lower than
                // yesterday's closing.
                let hidden = irng.gen_range(10_000_000..=500_000_000i64) / 1_000 * 1_000 * 100;
                opening -= hidden;
                let refs = vec![
                    self.p.accounts[acct].number.clone(),
                    date.format("%Y-%m-%d").to_string(),
                ];
                self.irregular(
                    F::BalanceDiscontinuity,
                    &refs,
                    hidden,
                    date,
                    "opening balance differs from the previous statement's closing balance (unreported debit)",
                )?;
            }
            let net: i64 = lines
                .heads()
                .map(|l| l.direction.signed_sen(l.amount_sen))
                .sum();
            let closing = opening + net;
            self.seqs[acct] += 1;
            let seq = self.seqs[acct];
            if gap {
                let refs = vec![
                    self.p.accounts[acct].number.clone(),
                    date.format("%Y-%m-%d").to_string(),
                    seq.to_string(),
                ];
                let turnover: i64 = lines.heads().map(|l| l.amount_sen).sum();
                let note = format!(
                    "statement {seq} of this day was never delivered; its {} lines appear at the start of the next statement, which skips number {seq}",
                    lines.len()
                );
                self.irregular(F::StatementGap, &refs, turnover, date, &note)?;
                if self.p.accounts[acct].kind == AccountKind::Rkud {
                    self.balance_days[acct] += i128::from(closing.max(0));
                }
                lines.set_booked_on(date);
                self.carried[acct] = lines;
                self.gap_yesterday[acct] = true;
                self.balances[acct] = closing;
                continue;
            } else {
                let a = &self.p.accounts[acct];
                let rel = PathBuf::from("statements").join(&a.number).join(format!(
                    "{}.{}",
                    date.format("%Y-%m-%d"),
                    a.format.extension()
                ));
                let path = self.out_dir.join(&rel);
                let file = File::create(&path).map_err(io_err(&path))?;
                let mut w = AsyncFile::new(file);
                let s = DayStatement {
                    account: a,
                    bank: &self.p.banks[a.bank],
                    owner: self.p.name,
                    date,
                    seq,
                    opening_sen: opening,
                    closing_sen: closing,
                    lines: &lines,
                };
                stmt::write(a.format, &s, &mut w).map_err(io_err(&path))?;
                w.finish().map_err(io_err(&path))?;
                self.report.files.push(rel);
                self.count("statement_files", 1);
                self.count("statement_lines", lines.len() as u64);
            }
            self.balances[acct] = closing;
            if self.p.accounts[acct].kind == AccountKind::Rkud {
                self.balance_days[acct] += i128::from(closing.max(0));
            }
            // Keep the allocation for tomorrow.
            lines.clear();
            self.day_lines[acct] = lines;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn write_bku(
        &mut self,
        date: NaiveDate,
        mut bud: Vec<BkuDraft>,
        bend: Vec<Vec<(u32, BkuLineDraft)>>,
        docs: &mut DayDocs,
        _irng: &mut ChaCha8Rng,
        _day: u32,
    ) -> Result<(), GenError> {
        let year = date.year();
        bud.sort_by_key(|d| (d.time_secs, d.account));
        for d in bud {
            let no = self.bku_bud_no.entry(year).or_insert(0);
            *no += 1;
            let number = *no;
            self.bku_bud_balance[d.account] += d.direction.signed_sen(d.amount_sen);
            let line = BkuLine {
                owner: BkuOwner::Bud,
                number,
                date,
                document: d.document,
                description: d.description,
                kode_rekening: d.kode_rekening,
                amount: sen_dec(d.amount_sen),
                direction: d.direction,
                account: Some(self.p.accounts[d.account].number.clone()),
                balance_after: Some(sen_dec(self.bku_bud_balance[d.account])),
            };
            docs.bku.write(Document::Bku(line))?;
        }
        for (ci, mut lines) in bend.into_iter().enumerate() {
            lines.sort_by_key(|(t, _)| *t);
            let opd = self.p.collectors[ci].opd.to_string();
            for (_, d) in lines {
                let no = self.bku_bend_no[ci].entry(year).or_insert(0);
                *no += 1;
                let number = *no;
                self.bku_bend_balance[ci] += d.direction.signed_sen(d.amount_sen);
                let line = BkuLine {
                    owner: BkuOwner::BendaharaPenerimaan(opd.clone()),
                    number,
                    date,
                    document: Some(d.document),
                    description: d.description,
                    kode_rekening: d.kode_rekening,
                    amount: sen_dec(d.amount_sen),
                    direction: d.direction,
                    account: None,
                    balance_after: Some(sen_dec(self.bku_bend_balance[ci])),
                };
                docs.bku.write(Document::Bku(line))?;
            }
        }
        Ok(())
    }

    fn write_config(&mut self) -> Result<(), GenError> {
        let text = crate::config::kasda_toml(&self.p, self.opts);
        let path = self.out_dir.join("kasda.toml");
        fs::write(&path, text).map_err(io_err(&path))?;
        self.report.files.push(PathBuf::from("kasda.toml"));
        Ok(())
    }

    fn finish(mut self) -> Result<GenReport, GenError> {
        // Collections still with the bendahara and batches not yet settled at the end of the
        // run are ordinary cash in transit unless they were held back on purpose.
        let end = self.opts.from + Duration::days(i64::from(self.opts.days) - 1);
        for ci in 0..self.collections.len() {
            let held: Vec<Collection> = self.collections[ci]
                .iter()
                .filter(|c| c.hold_until.is_some())
                .cloned()
                .collect();
            if held.is_empty() {
                continue;
            }
            let amount: i64 = held.iter().map(|c| c.amount_sen).sum();
            let mut refs: Vec<String> = vec![self.p.collectors[ci].opd.to_string()];
            refs.extend(held.iter().map(|c| c.tbp.clone()));
            let from = held.iter().map(|c| c.collected_on).min().unwrap_or(end);
            let note = format!(
                "collected from {} and still not deposited when the period ends",
                from.format("%Y-%m-%d")
            );
            self.irregular(F::LateDeposit, &refs, amount, end, &note)?;
        }
        let pending: Vec<((NaiveDate, usize, NaiveDate), Batch)> = self
            .bulk
            .iter()
            .filter(|(_, b)| b.late_due.is_some())
            .map(|(k, b)| (*k, b.clone()))
            .collect();
        for ((settle, ci, paid_on), b) in pending {
            let route = &self.p.channels[ci];
            let account = match route.landing {
                Landing::Bulk { account, .. } | Landing::PerPayment { account } => account,
            };
            let refs = vec![
                route.label.to_string(),
                paid_on.format("%Y-%m-%d").to_string(),
                self.p.accounts[account].number.clone(),
            ];
            let due = b.late_due.unwrap_or(settle);
            let note = format!(
                "batch due {} not settled by the end of the period (held until {})",
                due.format("%Y-%m-%d"),
                settle.format("%Y-%m-%d")
            );
            self.irregular(F::LateSettlement, &refs, b.gross_sen, due, &note)?;
        }
        for (name, count) in FINDING_TYPES.iter().zip(self.inj.counts.iter()) {
            self.report
                .counts
                .insert(format!("injected_rolls:{name}"), *count);
        }
        self.report.files.push(PathBuf::from("ground-truth.json"));
        self.truth.finish()?;
        Ok(self.report)
    }
}

#[derive(Debug, Clone)]
struct BkuLineDraft {
    document: String,
    description: String,
    kode_rekening: Option<String>,
    amount_sen: i64,
    direction: Direction,
}

/// Sorts seconds of a day; many of them (a province day's payment times) by counting.
fn sort_seconds(times: &mut [u32]) {
    const DAY: usize = 86_400;
    if times.len() < 4_096 || times.iter().any(|&t| t as usize >= DAY) {
        times.sort_unstable();
        return;
    }
    let mut count = vec![0u32; DAY];
    for &t in times.iter() {
        count[t as usize] += 1;
    }
    let mut at = 0;
    for (t, &c) in count.iter().enumerate() {
        times[at..at + c as usize].fill(t as u32);
        at += c as usize;
    }
}

/// `t + secs` seconds, as `t + Duration::seconds(secs)` gives it, without chrono's general
/// date arithmetic for the common case of a whole-second time.
fn after_seconds(t: NaiveDateTime, secs: u32) -> NaiveDateTime {
    let total = t.time().num_seconds_from_midnight() + secs;
    let fast = if t.nanosecond() != 0 {
        None
    } else if total < 86_400 {
        NaiveTime::from_num_seconds_from_midnight_opt(total, 0).map(|x| t.date().and_time(x))
    } else if total < 2 * 86_400 {
        let next = t.date().succ_opt();
        let time = NaiveTime::from_num_seconds_from_midnight_opt(total - 86_400, 0);
        next.zip(time).map(|(d, x)| d.and_time(x))
    } else {
        None
    };
    fast.unwrap_or_else(|| t + Duration::seconds(i64::from(secs)))
}

/// Bank days after `from` up to and including `to`.
fn bank_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = match d.succ_opt() {
            Some(x) => x,
            None => break,
        };
        if calendar::is_bank_day(d) {
            n += 1;
        }
    }
    n
}

fn dec_sen(d: Decimal) -> i64 {
    let mut x = d;
    x.rescale(2);
    i64::try_from(x.mantissa()).unwrap_or(0)
}

fn wib_to_utc(date: NaiveDate, secs: u32) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(i64::from(secs))
        - Duration::hours(7);
    DateTime::<Utc>::from_naive_utc_and_offset(naive, Utc)
}

fn short_jenis(jenis: &str) -> &'static str {
    match jenis {
        "PBB-P2" => "PBB",
        "BPHTB" => "BPHTB",
        "PKB" => "PKB",
        "BBNKB" => "BBNKB",
        j if j.starts_with("PBJT") => "PBJT",
        j if j.starts_with("Pajak Reklame") => "REKLAME",
        j if j.starts_with("Pajak Air Tanah") => "PAT",
        j if j.starts_with("Pajak Air Permukaan") => "PAP",
        _ => "RETRIBUSI",
    }
}

/// [`Sim::name_for`] into a reused buffer.
fn name_into(out: &mut String, idx: u64, business: Option<&str>) {
    let f = FIRST_NAMES[(idx % FIRST_NAMES.len() as u64) as usize];
    match business {
        Some(prefix) => {
            let w = BUSINESS_WORDS[((idx / 7) % BUSINESS_WORDS.len() as u64) as usize];
            out.push_str(prefix);
            out.push(' ');
            out.push_str(w);
            out.push(' ');
            out.push_str(f);
        }
        None => {
            let l = LAST_NAMES[((idx / 24) % LAST_NAMES.len() as u64) as usize];
            out.push_str(f);
            out.push(' ');
            out.push_str(l);
        }
    }
}

/// The NOP of payer `idx` (`wil` = the kode wilayah's digits) into a reused buffer.
fn nop_into(out: &mut String, wil: &str, idx: u64) {
    let kec = 10 + (idx % 6) * 10;
    let kel = 1 + (idx / 6) % 12;
    let blok = 1 + (idx / 72) % 30;
    let urut = 1 + (idx / 2160) % 9999;
    text::left_zero(out, wil, 4);
    text::pad(out, kec, 3);
    text::pad(out, kel, 3);
    text::pad(out, blok, 3);
    text::pad(out, urut, 4);
    out.push('0');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_sort_and_add_as_the_general_paths_do() {
        let mut times: Vec<u32> = (0..10_000u32)
            .map(|i| (i * 7_919 + i / 3) % 86_400)
            .collect();
        let mut want = times.clone();
        want.sort_unstable();
        sort_seconds(&mut times);
        assert_eq!(times, want);
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        for start in [
            day.and_hms_opt(0, 0, 0).unwrap(),
            day.and_hms_opt(17, 0, 0).unwrap(),
        ] {
            for secs in [0u32, 1, 3_599, 25_199, 25_200, 86_399, 90_000, 200_000] {
                assert_eq!(
                    after_seconds(start, secs),
                    start + Duration::seconds(i64::from(secs)),
                    "{start} + {secs}"
                );
            }
        }
    }

    #[test]
    fn every_finding_type_is_listed_at_its_index() {
        for (k, f) in ALL_F.iter().enumerate() {
            assert_eq!(*f as usize, k);
        }
    }
}
