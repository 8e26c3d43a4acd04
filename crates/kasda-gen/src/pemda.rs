//! The simulated pemda: its banks, accounts, channels, revenue types and OPD, per profile.
//!
//! Everything here is static configuration chosen by the profile; the day-by-day simulation in
//! `sim` draws events against it. Names, account numbers and BICs are synthetic.

use kasda_core::document::Channel;

use crate::{Profile, StatementFormatOut};

/// A bank the pemda holds accounts at.
#[derive(Debug, Clone)]
pub struct Bank {
    pub name: &'static str,
    /// Synthetic BIC (8 characters, valid shape).
    pub bic: &'static str,
    /// Prefix of the bank's own booking references.
    pub ref_prefix: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// Rekening Kas Umum Daerah.
    Rkud,
    /// Rekening penampungan swept to `sweep_to` after `lag_bank_days` (0 = end of the same day).
    Holding { sweep_to: usize, lag_bank_days: u32 },
}

#[derive(Debug, Clone)]
pub struct Account {
    pub number: String,
    pub name: String,
    pub bank: usize,
    pub kind: AccountKind,
    pub format: StatementFormatOut,
    pub opening_balance_sen: i64,
}

/// How a channel's money reaches the kas daerah.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// The bank credits each payment to `account` as it happens, NTB in the narrative.
    PerPayment { account: usize },
    /// An aggregator settles the day's payments in one credit `lag_bank_days` bank days later,
    /// minus an agreed fee per transaction when the PKS provides one.
    Bulk {
        account: usize,
        lag_bank_days: u32,
        fee_per_tx_sen: i64,
        settler: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct ChannelRoute {
    pub channel: Channel,
    /// Short label used in narratives and ground truth (`teller-bpd`, `retail`).
    pub label: &'static str,
    pub bank: usize,
    pub landing: Landing,
    /// Relative weight on a working day (permille of receipts).
    pub weight: u32,
    /// Open on weekends and holidays (electronic channels).
    pub always_open: bool,
}

/// How a revenue type identifies its payer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerId {
    /// PBB-P2 object number (18 digits).
    Nop,
    /// Registered taxpayer (NPWPD), one payment per masa pajak.
    Npwpd,
    /// Vehicle (nomor polisi) for PKB/BBNKB, one payment per year.
    Vehicle,
    /// A transaction (BPHTB deed, retribusi ticket): no uniqueness beyond the bill.
    Transaction,
}

#[derive(Debug, Clone)]
pub struct RevenueType {
    pub jenis: &'static str,
    pub kode_rekening: &'static str,
    pub payer: PayerId,
    /// Size of the payer population (objects, taxpayers, vehicles).
    pub population: u64,
    /// Base weight (permille of receipts on an ordinary day).
    pub weight: u32,
    /// Amount buckets: (permille, min rupiah, max rupiah, rounding in rupiah).
    pub buckets: &'static [(u32, i64, i64, i64)],
    /// Self-assessed monthly tax (masa pajak = previous month, due by the 15th).
    pub monthly: bool,
    /// OPD that owns the revenue (Bapenda for taxes).
    pub opd: &'static str,
}

/// An OPD with a bendahara penerimaan collecting cash (retribusi) and depositing with STS.
#[derive(Debug, Clone)]
pub struct Collector {
    pub opd: &'static str,
    pub opd_name: &'static str,
    pub bendahara: &'static str,
    pub kode_rekening: &'static str,
    pub uraian: &'static str,
    /// Collection points (pasar, parking zones…), each handing over one TBP per day.
    pub points: u32,
    /// Daily cash per point in rupiah (min, max).
    pub per_point: (i64, i64),
    pub collects_on_weekends: bool,
}

#[derive(Debug, Clone)]
pub struct SpendingOpd {
    pub code: &'static str,
    pub name: &'static str,
    pub weight: u32,
}

#[derive(Debug, Clone)]
pub struct Pemda {
    pub profile: Profile,
    pub name: &'static str,
    /// Kode wilayah (`36.73`); NOP begins with its digits.
    pub kode_wilayah: &'static str,
    pub short: &'static str,
    pub banks: Vec<Bank>,
    pub accounts: Vec<Account>,
    pub channels: Vec<ChannelRoute>,
    pub revenues: Vec<RevenueType>,
    pub collectors: Vec<Collector>,
    pub spenders: Vec<SpendingOpd>,
    /// Receipts on an ordinary working day.
    pub base_receipts: u32,
    /// Hard bounds on receipts per day (tests check them).
    pub min_receipts: u32,
    pub max_receipts: u32,
    /// SP2D per working day (min, max).
    pub sp2d_per_day: (u32, u32),
    /// Monthly DAU instalment in rupiah.
    pub dau_monthly: i64,
    /// Jasa giro rate in basis points per year (PKS).
    pub jasa_giro_bps: i64,
    /// Monthly account administration fee in rupiah.
    pub admin_fee: i64,
    /// An account number that is not registered anywhere (personal / rekening siluman).
    pub non_rkud_account: String,
}

pub const BPD: usize = 0;
pub const OTHER_BANK: usize = 1;
/// Account indices, fixed across profiles.
pub const RKUD_BPD: usize = 0;
pub const RKUD_OTHER: usize = 1;
pub const HOLD_BPD: usize = 2;
pub const HOLD_OTHER: usize = 3;

const PBB_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (600, 12_000, 150_000, 1),
    (300, 150_000, 1_000_000, 1),
    (90, 1_000_000, 10_000_000, 1),
    (10, 10_000_000, 150_000_000, 1),
];
const BPHTB_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (700, 2_500_000, 25_000_000, 1),
    (250, 25_000_000, 150_000_000, 1),
    (50, 150_000_000, 900_000_000, 1),
];
const RESTO_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (700, 150_000, 3_000_000, 1),
    (250, 3_000_000, 40_000_000, 1),
    (50, 40_000_000, 250_000_000, 1),
];
const HOTEL_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (700, 1_000_000, 30_000_000, 1),
    (300, 30_000_000, 400_000_000, 1),
];
const PARKIR_BUCKETS: &[(u32, i64, i64, i64)] = &[(1000, 300_000, 25_000_000, 1)];
const HIBURAN_BUCKETS: &[(u32, i64, i64, i64)] = &[(1000, 500_000, 40_000_000, 1)];
const REKLAME_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (800, 150_000, 5_000_000, 1_000),
    (200, 5_000_000, 90_000_000, 1_000),
];
const PAT_BUCKETS: &[(u32, i64, i64, i64)] = &[(1000, 100_000, 30_000_000, 1)];
const RETRIBUSI_BUCKETS: &[(u32, i64, i64, i64)] =
    &[(850, 2_000, 50_000, 500), (150, 50_000, 750_000, 1_000)];
const PKB_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (650, 120_000, 700_000, 100),
    (300, 700_000, 4_000_000, 100),
    (50, 4_000_000, 40_000_000, 100),
];
const BBNKB_BUCKETS: &[(u32, i64, i64, i64)] = &[
    (800, 1_500_000, 25_000_000, 100),
    (200, 25_000_000, 150_000_000, 100),
];
const PAP_BUCKETS: &[(u32, i64, i64, i64)] = &[(1000, 500_000, 250_000_000, 1)];

fn kota_revenues(pbb_objects: u64, scale: u64) -> Vec<RevenueType> {
    vec![
        RevenueType {
            jenis: "PBB-P2",
            kode_rekening: "4.1.01.15.01.0001",
            payer: PayerId::Nop,
            population: pbb_objects,
            weight: 420,
            buckets: PBB_BUCKETS,
            monthly: false,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "BPHTB",
            kode_rekening: "4.1.01.16.01.0001",
            payer: PayerId::Transaction,
            population: 0,
            weight: 25,
            buckets: BPHTB_BUCKETS,
            monthly: false,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "PBJT Makanan dan Minuman",
            kode_rekening: "4.1.01.19.01.0001",
            payer: PayerId::Npwpd,
            population: 2_500 * scale,
            weight: 120,
            buckets: RESTO_BUCKETS,
            monthly: true,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "PBJT Jasa Perhotelan",
            kode_rekening: "4.1.01.19.03.0001",
            payer: PayerId::Npwpd,
            population: 120 * scale,
            weight: 10,
            buckets: HOTEL_BUCKETS,
            monthly: true,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "PBJT Jasa Parkir",
            kode_rekening: "4.1.01.19.04.0001",
            payer: PayerId::Npwpd,
            population: 150 * scale,
            weight: 10,
            buckets: PARKIR_BUCKETS,
            monthly: true,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "PBJT Kesenian dan Hiburan",
            kode_rekening: "4.1.01.19.05.0001",
            payer: PayerId::Npwpd,
            population: 80 * scale,
            weight: 5,
            buckets: HIBURAN_BUCKETS,
            monthly: true,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "Pajak Reklame",
            kode_rekening: "4.1.01.09.01.0001",
            payer: PayerId::Transaction,
            population: 0,
            weight: 30,
            buckets: REKLAME_BUCKETS,
            monthly: false,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "Pajak Air Tanah",
            kode_rekening: "4.1.01.12.01.0001",
            payer: PayerId::Npwpd,
            population: 300 * scale,
            weight: 10,
            buckets: PAT_BUCKETS,
            monthly: true,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "Retribusi Pelayanan Persampahan/Kebersihan",
            kode_rekening: "4.1.02.01.14.0001",
            payer: PayerId::Transaction,
            population: 0,
            weight: 370,
            buckets: RETRIBUSI_BUCKETS,
            monthly: false,
            opd: "DLH",
        },
    ]
}

fn province_revenues() -> Vec<RevenueType> {
    vec![
        RevenueType {
            jenis: "PKB",
            kode_rekening: "4.1.01.01.01.0001",
            payer: PayerId::Vehicle,
            population: 12_000_000,
            weight: 860,
            buckets: PKB_BUCKETS,
            monthly: false,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "BBNKB",
            kode_rekening: "4.1.01.02.01.0001",
            payer: PayerId::Transaction,
            population: 0,
            weight: 110,
            buckets: BBNKB_BUCKETS,
            monthly: false,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "Pajak Air Permukaan",
            kode_rekening: "4.1.01.04.01.0001",
            payer: PayerId::Npwpd,
            population: 400,
            weight: 2,
            buckets: PAP_BUCKETS,
            monthly: true,
            opd: "BAPENDA",
        },
        RevenueType {
            jenis: "Retribusi Pemanfaatan Aset Daerah",
            kode_rekening: "4.1.02.02.20.0001",
            payer: PayerId::Transaction,
            population: 0,
            weight: 28,
            buckets: RETRIBUSI_BUCKETS,
            monthly: false,
            opd: "BPKAD",
        },
    ]
}

fn collectors(short: &'static str, scale: u32) -> Vec<Collector> {
    let _ = short;
    vec![
        Collector {
            opd: "DISDAG",
            opd_name: "Dinas Perindustrian dan Perdagangan",
            bendahara: "SRI WAHYUNI",
            kode_rekening: "4.1.02.01.05.0001",
            uraian: "Retribusi Pelayanan Pasar",
            points: 6 * scale,
            per_point: (1_500_000, 6_000_000),
            collects_on_weekends: true,
        },
        Collector {
            opd: "DISHUB",
            opd_name: "Dinas Perhubungan",
            bendahara: "AHMAD FAUZI",
            kode_rekening: "4.1.02.01.04.0001",
            uraian: "Retribusi Parkir di Tepi Jalan Umum",
            points: 8 * scale,
            per_point: (300_000, 2_500_000),
            collects_on_weekends: true,
        },
        Collector {
            opd: "DLH",
            opd_name: "Dinas Lingkungan Hidup",
            bendahara: "NURHAYATI",
            kode_rekening: "4.1.02.01.14.0001",
            uraian: "Retribusi Pelayanan Persampahan/Kebersihan",
            points: 3 * scale,
            per_point: (500_000, 4_000_000),
            collects_on_weekends: false,
        },
        Collector {
            opd: "RSUD",
            opd_name: "RSUD",
            bendahara: "DEDI SUPRIADI",
            kode_rekening: "4.1.02.01.01.0001",
            uraian: "Retribusi Pelayanan Kesehatan",
            points: 2 * scale,
            per_point: (5_000_000, 30_000_000),
            collects_on_weekends: true,
        },
    ]
}

fn spenders() -> Vec<SpendingOpd> {
    vec![
        SpendingOpd {
            code: "SETDA",
            name: "Sekretariat Daerah",
            weight: 120,
        },
        SpendingOpd {
            code: "DISDIK",
            name: "Dinas Pendidikan dan Kebudayaan",
            weight: 220,
        },
        SpendingOpd {
            code: "DINKES",
            name: "Dinas Kesehatan",
            weight: 150,
        },
        SpendingOpd {
            code: "DPUPR",
            name: "Dinas Pekerjaan Umum dan Penataan Ruang",
            weight: 160,
        },
        SpendingOpd {
            code: "DISHUB",
            name: "Dinas Perhubungan",
            weight: 60,
        },
        SpendingOpd {
            code: "DLH",
            name: "Dinas Lingkungan Hidup",
            weight: 60,
        },
        SpendingOpd {
            code: "BPKAD",
            name: "Badan Pengelolaan Keuangan dan Aset Daerah",
            weight: 80,
        },
        SpendingOpd {
            code: "BAPENDA",
            name: "Badan Pendapatan Daerah",
            weight: 50,
        },
        SpendingOpd {
            code: "DINSOS",
            name: "Dinas Sosial",
            weight: 50,
        },
        SpendingOpd {
            code: "KEC",
            name: "Kecamatan",
            weight: 50,
        },
    ]
}

fn banks() -> Vec<Bank> {
    vec![
        Bank {
            name: "Bank Banten",
            bic: "BBTNIDJ1",
            ref_prefix: "BBN",
        },
        Bank {
            name: "Bank Mandiri",
            bic: "BMRIIDJA",
            ref_prefix: "MDR",
        },
    ]
}

fn accounts(short: &str, formats: &crate::Formats, scale: i64) -> Vec<Account> {
    vec![
        Account {
            number: format!("{}0010000001", 100 + scale % 7),
            name: format!("RKUD {short}"),
            bank: BPD,
            kind: AccountKind::Rkud,
            format: formats.bpd,
            opening_balance_sen: 45_000_000_000 * 100 * scale,
        },
        Account {
            number: format!("1370{:09}", 7_001_234 + scale),
            name: format!("RKUD {short} MANDIRI"),
            bank: OTHER_BANK,
            kind: AccountKind::Rkud,
            format: formats.other_bank,
            opening_balance_sen: 8_000_000_000 * 100 * scale,
        },
        Account {
            number: format!("{}0020000002", 100 + scale % 7),
            name: format!("PENAMPUNGAN PAJAK {short}"),
            bank: BPD,
            kind: AccountKind::Holding {
                sweep_to: RKUD_BPD,
                lag_bank_days: 0,
            },
            format: formats.bpd_holding,
            opening_balance_sen: 0,
        },
        Account {
            number: format!("1370{:09}", 9_005_678 + scale),
            name: format!("PENAMPUNGAN PAD {short}"),
            bank: OTHER_BANK,
            kind: AccountKind::Holding {
                sweep_to: RKUD_OTHER,
                lag_bank_days: 1,
            },
            format: formats.other_holding,
            opening_balance_sen: 0,
        },
    ]
}

fn channels() -> Vec<ChannelRoute> {
    vec![
        ChannelRoute {
            channel: Channel::Teller,
            label: "teller-bpd",
            bank: BPD,
            landing: Landing::PerPayment { account: RKUD_BPD },
            weight: 190,
            always_open: false,
        },
        ChannelRoute {
            channel: Channel::Atm,
            label: "atm-bpd",
            bank: BPD,
            landing: Landing::PerPayment { account: RKUD_BPD },
            weight: 60,
            always_open: true,
        },
        ChannelRoute {
            channel: Channel::Mobile,
            label: "mobile-bpd",
            bank: BPD,
            landing: Landing::PerPayment { account: RKUD_BPD },
            weight: 150,
            always_open: true,
        },
        ChannelRoute {
            channel: Channel::Qris,
            label: "qris",
            bank: BPD,
            landing: Landing::PerPayment { account: RKUD_BPD },
            weight: 200,
            always_open: true,
        },
        ChannelRoute {
            channel: Channel::Teller,
            label: "teller-mandiri",
            bank: OTHER_BANK,
            landing: Landing::PerPayment {
                account: HOLD_OTHER,
            },
            weight: 50,
            always_open: false,
        },
        ChannelRoute {
            channel: Channel::Mobile,
            label: "mobile-mandiri",
            bank: OTHER_BANK,
            landing: Landing::PerPayment {
                account: HOLD_OTHER,
            },
            weight: 100,
            always_open: true,
        },
        ChannelRoute {
            channel: Channel::Ecommerce,
            label: "ecommerce",
            bank: BPD,
            landing: Landing::Bulk {
                account: HOLD_BPD,
                lag_bank_days: 2,
                fee_per_tx_sen: 0,
                settler: "PT MARKETPLACE NUSANTARA",
            },
            weight: 90,
            always_open: true,
        },
        ChannelRoute {
            channel: Channel::Retail,
            label: "retail",
            bank: BPD,
            landing: Landing::Bulk {
                account: HOLD_BPD,
                lag_bank_days: 1,
                fee_per_tx_sen: 0,
                settler: "PT AGREGATOR RITEL INDONESIA",
            },
            weight: 120,
            always_open: true,
        },
        ChannelRoute {
            channel: Channel::PostOffice,
            label: "pos",
            bank: BPD,
            landing: Landing::Bulk {
                account: HOLD_BPD,
                lag_bank_days: 1,
                fee_per_tx_sen: 2_500 * 100,
                settler: "PT POS INDONESIA",
            },
            weight: 40,
            always_open: false,
        },
    ]
}

/// Builds the pemda of a profile with the statement formats chosen for it.
pub fn build(profile: Profile, formats: &crate::Formats) -> Pemda {
    match profile {
        Profile::KotaKecil => Pemda {
            profile,
            name: "Pemerintah Kota Cilegon (sintetis)",
            kode_wilayah: "36.72",
            short: "KOTA CLG",
            banks: banks(),
            accounts: accounts("KOTA CLG", formats, 1),
            channels: channels(),
            revenues: kota_revenues(110_000, 1),
            collectors: collectors("KOTA CLG", 1),
            spenders: spenders(),
            base_receipts: 700,
            min_receipts: 150,
            max_receipts: 4_000,
            sp2d_per_day: (8, 30),
            dau_monthly: 48_000_000_000,
            jasa_giro_bps: 250,
            admin_fee: 30_000,
            non_rkud_account: "0071234567".into(),
        },
        Profile::KotaSerangLike => Pemda {
            profile,
            name: "Pemerintah Kota Serang (sintetis)",
            kode_wilayah: "36.73",
            short: "KOTA SRG",
            banks: banks(),
            accounts: accounts("KOTA SRG", formats, 2),
            channels: channels(),
            revenues: kota_revenues(200_000, 2),
            collectors: collectors("KOTA SRG", 2),
            spenders: spenders(),
            base_receipts: 1_600,
            min_receipts: 300,
            max_receipts: 10_000,
            sp2d_per_day: (15, 60),
            dau_monthly: 62_000_000_000,
            jasa_giro_bps: 250,
            admin_fee: 30_000,
            non_rkud_account: "0079876543".into(),
        },
        Profile::Provinsi => Pemda {
            profile,
            name: "Pemerintah Provinsi Banten (sintetis)",
            kode_wilayah: "36",
            short: "PROV BTN",
            banks: banks(),
            accounts: accounts("PROV BTN", formats, 20),
            channels: channels(),
            revenues: province_revenues(),
            collectors: collectors("PROV BTN", 4),
            spenders: spenders(),
            base_receipts: 200_000,
            min_receipts: 40_000,
            max_receipts: 400_000,
            sp2d_per_day: (60, 250),
            dau_monthly: 190_000_000_000,
            jasa_giro_bps: 300,
            admin_fee: 50_000,
            non_rkud_account: "0075550001".into(),
        },
    }
}
