//! `kasda.toml` for the generated pemda, following the schema of `kasda.example.toml`.
//!
//! Written as text (the config types are not a dependency of the generator) so the file carries
//! comments that tell a reader it is synthetic. Every account, channel and OPD the simulation
//! uses is declared — except the deliberately unregistered account that
//! `deposit_to_non_rkud_account` injections pay into.

use std::fmt::Write as _;

use chrono::Datelike;
use kasda_core::chart::Chart;

use crate::pemda::{AccountKind, Landing, Pemda};
use crate::{GenOptions, Profile};

fn q(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn rupiah(sen: i64) -> String {
    if sen % 100 == 0 {
        format!("{}", sen / 100)
    } else {
        format!("{}.{:02}", sen / 100, sen % 100)
    }
}

/// Codes the simulation uses, with a name, for chart additions.
fn used_codes(p: &Pemda) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in &p.revenues {
        out.push((r.kode_rekening.to_string(), r.jenis.to_string()));
    }
    for c in &p.collectors {
        out.push((c.kode_rekening.to_string(), c.uraian.to_string()));
    }
    out.push(("4.2.01.08.01.0001".into(), "Dana Alokasi Umum".into()));
    out.push((
        "4.1.04.05.01.0001".into(),
        "Jasa Giro pada Kas Daerah".into(),
    ));
    out.push(("5.1.01.01.01.0001".into(), "Belanja Gaji Pokok PNS".into()));
    out.push((
        "5.1.02.01.01.0024".into(),
        "Belanja Alat/Bahan untuk Kegiatan Kantor".into(),
    ));
    out.push((
        "5.2.02.05.01.0001".into(),
        "Belanja Modal Peralatan Kantor".into(),
    ));
    out
}

pub fn kasda_toml(p: &Pemda, opts: &GenOptions) -> String {
    let mut t = String::with_capacity(16 * 1024);
    let year = opts.from.year();
    let _ = writeln!(
        t,
        "# kasda.toml — SYNTHETIC pemda written by kasda-gen (profile {}, seed {}).",
        opts.profile.as_str(),
        opts.seed
    );
    let _ = writeln!(t, "# Names, account numbers, BICs and NIPs are invented. See ground-truth.json for what was injected.");
    let _ = writeln!(t);
    let _ = writeln!(t, "fiscal_year = {year}");
    let _ = writeln!(t);
    let _ = writeln!(t, "[pemda]");
    let _ = writeln!(t, "code = {}", q(p.kode_wilayah));
    let _ = writeln!(t, "name = {}", q(p.name));
    let kind = if p.profile == Profile::Provinsi {
        "provinsi"
    } else {
        "kota"
    };
    let _ = writeln!(t, "kind = {}", q(kind));
    let _ = writeln!(t, "zone = \"WIB\"");
    let active_from = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(opts.from);
    for a in &p.accounts {
        let bank = &p.banks[a.bank];
        match a.kind {
            AccountKind::Rkud => {
                let _ = writeln!(t);
                let _ = writeln!(t, "[[rkud]]");
                let _ = writeln!(t, "label = {}", q(&format!("{} - {}", a.name, bank.name)));
                let _ = writeln!(t, "bank = {}", q(bank.name));
                let _ = writeln!(t, "bank_code = {}", q(bank.bic));
                let _ = writeln!(t, "account_number = {}", q(&a.number));
                let _ = writeln!(t, "currency = \"IDR\"");
                let _ = writeln!(t, "active_from = {active_from}");
                let _ = writeln!(t, "statement_format = {}", q(a.format.reader_id()));
            }
            AccountKind::Holding {
                sweep_to,
                lag_bank_days,
            } => {
                let channels: Vec<String> = p
                    .channels
                    .iter()
                    .filter(|c| match c.landing {
                        Landing::PerPayment { account } | Landing::Bulk { account, .. } => {
                            p.accounts.get(account).map(|x| &x.number) == Some(&a.number)
                        }
                    })
                    .map(|c| q(c.channel.as_str()))
                    .collect();
                let _ = writeln!(t);
                let _ = writeln!(t, "[[holding]]");
                let _ = writeln!(t, "label = {}", q(&format!("{} - {}", a.name, bank.name)));
                let _ = writeln!(t, "bank = {}", q(bank.name));
                let _ = writeln!(t, "bank_code = {}", q(bank.bic));
                let _ = writeln!(t, "account_number = {}", q(&a.number));
                let mut unique = channels.clone();
                unique.dedup();
                let _ = writeln!(t, "channels = [{}]", unique.join(", "));
                let _ = writeln!(
                    t,
                    "sweep = {}",
                    q(if lag_bank_days == 0 { "t0" } else { "t1" })
                );
                let _ = writeln!(t, "sweep_to = {}", q(&p.accounts[sweep_to].number));
                let _ = writeln!(t, "owner = \"pemda\"");
                let _ = writeln!(t, "statement_format = {}", q(a.format.reader_id()));
            }
        }
    }
    // Bapenda collects the taxes; the collectors collect retribusi in cash.
    let _ = writeln!(t);
    let _ = writeln!(t, "[[opd]]");
    let _ = writeln!(t, "code = \"BAPENDA\"");
    let _ = writeln!(t, "name = \"Badan Pendapatan Daerah\"");
    let _ = writeln!(t, "short_name = \"Bapenda\"");
    let _ = writeln!(t, "deposit_deadline_working_days = 1");
    let tax_codes: Vec<String> = p
        .revenues
        .iter()
        .filter(|r| r.opd == "BAPENDA")
        .map(|r| q(r.kode_rekening))
        .collect();
    let _ = writeln!(t, "revenue_codes = [{}]", tax_codes.join(", "));
    let _ = writeln!(t);
    let _ = writeln!(t, "[opd.bendahara_penerimaan]");
    let _ = writeln!(t, "name = \"Rina Kurniasih\"");
    let _ = writeln!(t, "nip = \"198305112008012004\"");
    for (i, c) in p.collectors.iter().enumerate() {
        let _ = writeln!(t);
        let _ = writeln!(t, "[[opd]]");
        let _ = writeln!(t, "code = {}", q(c.opd));
        let _ = writeln!(t, "name = {}", q(c.opd_name));
        let _ = writeln!(t, "short_name = {}", q(c.opd));
        let _ = writeln!(t, "deposit_deadline_working_days = 1");
        // Cash retribusi, plus any revenue of the same OPD paid through the channels.
        let mut codes = vec![q(c.kode_rekening)];
        for r in p.revenues.iter().filter(|r| r.opd == c.opd) {
            let code = q(r.kode_rekening);
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        let _ = writeln!(t, "revenue_codes = [{}]", codes.join(", "));
        let _ = writeln!(t);
        let _ = writeln!(t, "[opd.bendahara_penerimaan]");
        let _ = writeln!(t, "name = {}", q(c.bendahara));
        let _ = writeln!(
            t,
            "nip = {}",
            q(&format!(
                "1980{:02}{:02}2005011{:03}",
                1 + i % 12,
                10 + i,
                100 + i
            ))
        );
    }
    // OPD owning channel-paid revenue without cash collection (e.g. BPKAD for asset rent).
    let mut others: Vec<&str> = Vec::new();
    for r in &p.revenues {
        if r.opd != "BAPENDA"
            && !p.collectors.iter().any(|c| c.opd == r.opd)
            && !others.contains(&r.opd)
        {
            others.push(r.opd);
        }
    }
    for opd in others {
        let codes: Vec<String> = p
            .revenues
            .iter()
            .filter(|r| r.opd == opd)
            .map(|r| q(r.kode_rekening))
            .collect();
        let _ = writeln!(t);
        let _ = writeln!(t, "[[opd]]");
        let _ = writeln!(t, "code = {}", q(opd));
        let _ = writeln!(t, "name = {}", q(opd));
        let _ = writeln!(t, "short_name = {}", q(opd));
        let _ = writeln!(t, "deposit_deadline_working_days = 1");
        let _ = writeln!(t, "revenue_codes = [{}]", codes.join(", "));
    }
    for c in &p.channels {
        let (account, lag, fee_sen) = match c.landing {
            // Per-payment channels credit their account (RKUD or holding) the same day.
            Landing::PerPayment { account } => (account, 0, 0),
            Landing::Bulk {
                account,
                lag_bank_days,
                fee_per_tx_sen,
                ..
            } => (account, lag_bank_days, fee_per_tx_sen),
        };
        let _ = writeln!(t);
        let _ = writeln!(t, "[[channel]]");
        let _ = writeln!(t, "id = {}", q(c.channel.as_str()));
        let _ = writeln!(t, "bank = {}", q(p.banks[c.bank].name));
        let _ = writeln!(t, "settlement_lag_days = {lag}");
        let _ = writeln!(t, "settles_to = {}", q(&p.accounts[account].number));
        if fee_sen > 0 {
            let _ = writeln!(
                t,
                "fee = {{ kind = \"flat\", amount = {} }}",
                q(&rupiah(fee_sen))
            );
        } else {
            let _ = writeln!(t, "fee = {{ kind = \"none\" }}");
        }
        let _ = writeln!(t, "tolerance = \"0\"");
        if c.channel == kasda_core::document::Channel::Qris {
            let _ = writeln!(t, "qris = true");
        }
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "[tolerances]");
    let _ = writeln!(t, "amount = \"0\"");
    let _ = writeln!(t, "date_window_days = 3");
    let _ = writeln!(t, "unidentified_after_days = 5");
    let _ = writeln!(t, "settlement_grace_days = 1");
    let _ = writeln!(t, "sweep_grace_days = 0");
    let _ = writeln!(t, "min_reference_prefix = 6");
    let _ = writeln!(t);
    let _ = writeln!(t, "[calendar]");
    let _ = writeln!(t, "banks_closed_on_cuti_bersama = false");
    let _ = writeln!(t, "local_holidays = []");
    let _ = writeln!(t, "pemda_working_days = []");
    let _ = writeln!(t, "bank_closed_days = []");
    // Codes (and their parents) the bundled chart lacks.
    let chart = Chart::bundled();
    let mut added: Vec<String> = Vec::new();
    for (code, name) in used_codes(p) {
        let parts: Vec<&str> = code.split('.').collect();
        for depth in 1..=parts.len() {
            let prefix = parts[..depth].join(".");
            if chart.contains(&prefix) || added.contains(&prefix) {
                continue;
            }
            let _ = writeln!(t);
            let _ = writeln!(t, "[[chart.account]]");
            let _ = writeln!(t, "code = {}", q(&prefix));
            let _ = writeln!(t, "name = {}", q(&name));
            added.push(prefix);
        }
    }
    for (role, title, name, nip) in [
        (
            "bud",
            "Kepala BPKAD selaku Bendahara Umum Daerah",
            "Drs. Hasan Basri, M.Si.",
            Some("197105141996031003"),
        ),
        (
            "kuasa_bud",
            "Kuasa Bendahara Umum Daerah",
            "Lilis Suryani, S.E.",
            Some("198203222006042009"),
        ),
        ("bank", "Pemimpin Cabang Bank Banten", "Andri Wijaya", None),
    ] {
        let _ = writeln!(t);
        let _ = writeln!(t, "[[signatory]]");
        let _ = writeln!(t, "role = {}", q(role));
        let _ = writeln!(t, "title = {}", q(title));
        let _ = writeln!(t, "name = {}", q(name));
        if let Some(nip) = nip {
            let _ = writeln!(t, "nip = {}", q(nip));
        }
    }
    t
}
