//! One scenario per matching rule, plus idempotency.

mod common;

use common::*;
use kasda_core::document::Channel;
use kasda_recon::*;

#[test]
fn rule1_reference_joins_a_qris_credit_by_its_ntb() {
    let mut inp = input("2026-01-06");
    inp.documents
        .receipts
        .push(receipt("3601000111", Channel::Qris, "2026-01-05", 150_000));
    inp.documents
        .receipts
        .push(receipt("3601000112", Channel::Qris, "2026-01-05", 150_000));
    inp.lines.push(credit(
        "L1",
        RKUD,
        "2026-01-05",
        150_000,
        &["QRIS PBB NTB3601000112 BAYAR"],
    ));
    let out = run(&inp);
    assert_eq!(rules(&out), vec![MatchRule::Reference]);
    let m = &out.matches[0];
    assert_eq!(m.document_ids, vec!["receipt:3601000112".to_string()]);
    assert_eq!(m.natural_key, "match:reference:L1+receipt:3601000112");
    assert!(m.explanation.contains("Rp150.000,00"), "{}", m.explanation);
}

#[test]
fn rule1_reference_survives_truncated_and_reformatted_sp2d_numbers() {
    let mut inp = input("2026-01-07");
    inp.documents.sp2d.push(sp2d(
        "0280/LS-GJ/2019",
        "2026-01-05",
        9_000_000,
        &[1_000_000],
    ));
    inp.documents
        .sp2d
        .push(sp2d("0281/LS-BJ/2019", "2026-01-05", 4_000_000, &[]));
    // Gross, narrative without separators; second SP2D cut to "281/LS-B".
    inp.lines.push(debit(
        "D1",
        RKUD,
        "2026-01-05",
        10_000_000,
        &["PEMBAYARAN SP2D 0280LSGJ2019 GAJI"],
    ));
    inp.lines.push(debit(
        "D2",
        RKUD,
        "2026-01-06",
        4_000_000,
        &["SP2D NO 281/LS-B CV MAJU"],
    ));
    let out = run(&inp);
    assert_eq!(
        rules(&out),
        vec![MatchRule::Reference, MatchRule::Reference]
    );
    assert_eq!(
        out.matches[0].document_ids,
        vec!["sp2d:0280/LS-GJ/2019".to_string()]
    );
    assert_eq!(
        out.matches[1].document_ids,
        vec!["sp2d:0281/LS-BJ/2019".to_string()]
    );
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn rule1_short_prefix_naming_two_documents_joins_nothing() {
    let mut inp = input("2026-01-06");
    inp.documents
        .sp2d
        .push(sp2d("0280/LS-GJ/2019", "2026-01-05", 9_000_000, &[]));
    inp.documents
        .sp2d
        .push(sp2d("0280/LS-BJ/2019", "2026-01-05", 8_000_000, &[]));
    inp.lines
        .push(debit("D1", RKUD, "2026-01-05", 7_000_000, &["SP2D 280/LS"]));
    let out = run(&inp);
    assert!(out.matches.is_empty(), "{:#?}", out.matches);
}

#[test]
fn rule2_batch_settlement_with_and_without_agreed_fee() {
    let mut inp = input("2026-01-07");
    for (n, amount) in [("R1", 100_000), ("R2", 250_000), ("R3", 75_000)] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Retail, "2026-01-05", amount));
    }
    for (n, amount) in [("E1", 500_000), ("E2", 300_000)] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Ecommerce, "2026-01-05", amount));
    }
    // Retail T+1 gross; e-commerce T+1 less Rp2.500 per receipt.
    inp.lines.push(credit(
        "B1",
        RKUD,
        "2026-01-06",
        425_000,
        &["SETORAN ALFAMART 05/01"],
    ));
    inp.lines.push(credit(
        "B2",
        RKUD,
        "2026-01-06",
        795_000,
        &["TOKOPEDIA SETTLEMENT"],
    ));
    let out = run(&inp);
    assert_eq!(rules(&out), vec![MatchRule::Batch, MatchRule::Batch]);
    let eco = out.matches.iter().find(|m| m.line_ids == ["B2"]).unwrap();
    assert_eq!(eco.fee, rp(5000));
    assert_eq!(eco.document_ids.len(), 2);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn rule3_split_sts_deposit_and_net_plus_pfk_debits() {
    let mut inp = input("2026-01-07");
    inp.documents.sts.push(sts(
        "STS/DISHUB/2026/0007",
        "DISHUB",
        "2026-01-05",
        1_000_000,
    ));
    inp.documents
        .sp2d
        .push(sp2d("0100/LS/2026", "2026-01-05", 9_500_000, &[500_000]));
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        600_000,
        &["SETOR STS/DISHUB/2026/0007"],
    ));
    inp.lines.push(credit(
        "C2",
        RKUD,
        "2026-01-05",
        400_000,
        &["SETOR STS/DISHUB/2026/0007 SISA"],
    ));
    inp.lines.push(debit(
        "D1",
        RKUD,
        "2026-01-05",
        9_500_000,
        &["SP2D 0100/LS/2026"],
    ));
    inp.lines.push(debit(
        "D2",
        RKUD,
        "2026-01-05",
        500_000,
        &["PPH SP2D 0100/LS/2026"],
    ));
    let out = run(&inp);
    let n_to_1: Vec<&Match> = out
        .matches
        .iter()
        .filter(|m| m.rule == MatchRule::NToOne && m.document_ids == ["sts:STS/DISHUB/2026/0007"])
        .collect();
    assert_eq!(n_to_1.len(), 1, "{:#?}", out.matches);
    assert_eq!(n_to_1[0].line_ids, vec!["C1", "C2"]);
    // The net leg matches by reference first, the PPh leg joins the same SP2D.
    let sp2d_lines: Vec<&str> = out
        .matches
        .iter()
        .filter(|m| m.document_ids == ["sp2d:0100/LS/2026"])
        .flat_map(|m| m.line_ids.iter().map(String::as_str))
        .collect();
    assert_eq!(sp2d_lines.len(), 2);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn rule4_amount_and_date_for_sts_sp2d_receipt_and_sweep() {
    let mut inp = input("2026-01-07");
    inp.documents
        .sts
        .push(sts("STS-9", "DLH", "2026-01-05", 2_345_000));
    inp.documents
        .sp2d
        .push(sp2d("0300/GU/2026", "2026-01-05", 7_770_000, &[]));
    inp.documents
        .receipts
        .push(receipt("T1", Channel::Teller, "2026-01-05", 333_000));
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        2_345_000,
        &["SETORAN TUNAI"],
    ));
    inp.lines.push(debit(
        "D1",
        RKUD,
        "2026-01-06",
        7_770_000,
        &["TRANSFER KELUAR"],
    ));
    inp.lines
        .push(credit("C2", RKUD, "2026-01-05", 333_000, &["PAJAK DAERAH"]));
    inp.lines
        .push(debit("H1", HOLD, "2026-01-06", 5_000_000, &["PELIMPAHAN"]));
    inp.lines.push(credit(
        "C3",
        RKUD,
        "2026-01-06",
        5_000_000,
        &["PELIMPAHAN DARI PENAMPUNGAN"],
    ));
    let out = run(&inp);
    let mut got: Vec<(MatchRule, String)> = out
        .matches
        .iter()
        .map(|m| (m.rule, m.line_ids.join("+")))
        .collect();
    got.sort();
    let want = [
        (MatchRule::Sweep, "H1+C3"),
        (MatchRule::AmountDate, "C1"),
        (MatchRule::AmountDate, "C2"),
        (MatchRule::AmountDate, "D1"),
    ];
    assert_eq!(got, want.map(|(r, l)| (r, l.to_string())).to_vec());
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn rule5_subset_sum_one_to_many_many_to_many_and_sp2d_legs() {
    let mut inp = input("2026-01-07");
    // Five teller receipts; one credit = three of them, no references.
    for (n, a) in [
        ("A", 110_000),
        ("B", 220_500),
        ("C", 330_700),
        ("D", 440_900),
        ("E", 551_300),
    ] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Teller, "2026-01-05", a));
    }
    inp.lines.push(credit(
        "L1",
        RKUD,
        "2026-01-05",
        110_000 + 330_700 + 551_300,
        &["SETORAN"],
    ));
    // Two credits of one day = two receipts of another channel.
    inp.documents
        .receipts
        .push(receipt("Q1", Channel::Qris, "2026-01-06", 123_400));
    inp.documents
        .receipts
        .push(receipt("Q2", Channel::Qris, "2026-01-06", 876_600));
    inp.lines
        .push(credit("L2", RKUD, "2026-01-06", 600_000, &["KREDIT"]));
    inp.lines
        .push(credit("L3", RKUD, "2026-01-06", 400_000, &["KREDIT"]));
    // SP2D paid in two unreferenced debits.
    inp.documents
        .sp2d
        .push(sp2d("0400/LS/2026", "2026-01-05", 3_000_000, &[]));
    inp.lines
        .push(debit("D1", RKUD, "2026-01-05", 1_900_000, &["TRF"]));
    inp.lines
        .push(debit("D2", RKUD, "2026-01-06", 1_100_000, &["TRF"]));
    let out = run(&inp);
    let subset: Vec<&Match> = out
        .matches
        .iter()
        .filter(|m| m.rule == MatchRule::SubsetSum)
        .collect();
    assert_eq!(subset.len(), 3, "{:#?}", out.matches);
    let one = subset.iter().find(|m| m.line_ids == ["L1"]).unwrap();
    assert_eq!(
        one.document_ids,
        vec!["receipt:A", "receipt:C", "receipt:E"]
    );
    let many = subset
        .iter()
        .find(|m| m.line_ids.len() == 2 && m.line_ids[0] == "L2")
        .unwrap();
    assert_eq!(many.document_ids, vec!["receipt:Q1", "receipt:Q2"]);
    let legs = subset
        .iter()
        .find(|m| m.document_ids == ["sp2d:0400/LS/2026"])
        .unwrap();
    assert_eq!(legs.line_ids, vec!["D1", "D2"]);
    assert!(!out.stats.subset_budget_exhausted);
}

#[test]
fn rule5_ambiguous_subsets_are_left_alone() {
    let mut inp = input("2026-01-06");
    for (n, a) in [
        ("A", 100_000),
        ("B", 300_000),
        ("C", 200_000),
        ("D", 200_000),
    ] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Teller, "2026-01-05", a));
    }
    // 400.000 = A+B or C+D: two different ways, so nobody is joined.
    inp.lines
        .push(credit("L1", RKUD, "2026-01-05", 400_000, &["SETORAN"]));
    let out = run(&inp);
    assert!(out.matches.is_empty(), "{:#?}", out.matches);
}

#[test]
fn bank_items_and_bank_reversal_are_classified() {
    let mut inp = input("2026-01-07");
    inp.lines.push(credit(
        "J1",
        RKUD,
        "2026-01-05",
        27_614_800,
        &["JASA GIRO DESEMBER"],
    ));
    inp.lines.push(debit(
        "B1",
        RKUD,
        "2026-01-05",
        125_000,
        &["BIAYA ADM REKENING"],
    ));
    // A large "biaya" debit is not a bank charge.
    inp.lines.push(debit(
        "B2",
        RKUD,
        "2026-01-05",
        50_000_000,
        &["BIAYA ADM PERJALANAN DINAS"],
    ));
    inp.lines.push(credit(
        "X1",
        RKUD,
        "2026-01-05",
        42_000,
        &["SALAH TRANSFER"],
    ));
    let mut rev = debit("X2", RKUD, "2026-01-06", 42_000, &["REVERSAL"]);
    rev.reversal = true;
    inp.lines.push(rev);
    let out = run(&inp);
    let mut got = rules(&out);
    got.sort();
    assert_eq!(
        got,
        vec![
            MatchRule::JasaGiro,
            MatchRule::BankCharge,
            MatchRule::BankReversal
        ]
    );
    let dws = of_type(&out, FindingType::DebitWithoutSp2d);
    assert_eq!(dws.len(), 1);
    assert!(dws[0].refs.contains(&"B2".to_string()));
}

#[test]
fn rerun_with_existing_matches_adds_nothing_and_keeps_finding_ids() {
    let mut inp = input("2026-01-20");
    inp.documents
        .receipts
        .push(receipt("Q1", Channel::Qris, "2026-01-05", 50_000));
    inp.documents
        .receipts
        .push(receipt("R1", Channel::Retail, "2026-01-05", 70_000));
    inp.documents
        .receipts
        .push(receipt("LOST", Channel::Teller, "2026-01-05", 80_000));
    inp.documents
        .sts
        .push(sts("STS-1", "DISHUB", "2026-01-05", 90_000));
    inp.documents
        .sp2d
        .push(sp2d("0500/LS/2026", "2026-01-05", 1_000_000, &[100_000]));
    inp.lines
        .push(credit("L1", RKUD, "2026-01-05", 50_000, &["QRIS NTBQ1"]));
    inp.lines
        .push(credit("L2", RKUD, "2026-01-06", 70_000, &["ALFAMART"]));
    inp.lines
        .push(credit("L3", RKUD, "2026-01-05", 90_000, &["STS-1"]));
    inp.lines.push(debit(
        "L4",
        RKUD,
        "2026-01-05",
        1_000_000,
        &["SP2D 0500/LS/2026"],
    ));
    inp.lines.push(debit(
        "L5",
        RKUD,
        "2026-01-05",
        100_000,
        &["PPH 0500/LS/2026"],
    ));
    inp.lines
        .push(credit("L6", RKUD, "2026-01-05", 12_345, &["???"]));
    let first = run(&inp);
    assert_eq!(first.matches.len(), 5, "{:#?}", first.matches);
    let mut again = inp.clone();
    again.existing = as_existing(&first.matches);
    let second = run(&again);
    assert!(second.matches.is_empty(), "{:#?}", second.matches);
    assert_eq!(second.stats.existing_matches, 5);
    let ids = |o: &ReconOutput| o.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second));
    assert!(!first.findings.is_empty());
    // Keys written by this crate also parse back on their own.
    for m in &first.matches {
        let e = ExistingMatch::from_key(&m.natural_key).unwrap();
        let mut facts: Vec<String> = m
            .line_ids
            .iter()
            .chain(m.document_ids.iter())
            .cloned()
            .collect();
        facts.sort();
        assert_eq!(e.fact_ids, facts);
    }
}

#[test]
fn match_entries_balance_and_drain_the_clearing_accounts() {
    let mut inp = input("2026-01-07");
    inp.documents
        .receipts
        .push(receipt("E1", Channel::Ecommerce, "2026-01-05", 500_000));
    inp.documents
        .sts
        .push(sts("STS-2", "DISHUB", "2026-01-05", 90_000));
    inp.lines
        .push(credit("L1", RKUD, "2026-01-06", 497_500, &["TOKOPEDIA"]));
    inp.lines
        .push(credit("L2", RKUD, "2026-01-05", 90_000, &["STS-2"]));
    inp.lines
        .push(debit("H1", HOLD, "2026-01-06", 5_000, &["PELIMPAHAN"]));
    inp.lines
        .push(credit("C3", RKUD, "2026-01-06", 5_000, &["PELIMPAHAN"]));
    let out = run(&inp);
    assert_eq!(out.matches.len(), 3);
    let mut net: std::collections::BTreeMap<String, rust_decimal::Decimal> = Default::default();
    for m in &out.matches {
        let entries = match_entries(m).unwrap();
        assert_eq!(entries[0].natural_key, m.natural_key);
        for e in entries {
            e.validate().unwrap();
            for p in &e.postings {
                *net.entry(p.account.to_string()).or_default() += p.debit_signed();
            }
        }
    }
    // Channel clearing: credited 497.500 by the match and 2.500 by the fee entry.
    assert_eq!(net["dana-dalam-perjalanan/ecommerce"], rp(-500_000));
    assert_eq!(net["beban-layanan/ecommerce"], rp(2_500));
    assert_eq!(
        net[&format!("penerimaan-belum-teridentifikasi/{RKUD}")],
        rp(497_500 + 90_000 + 5_000)
    );
    assert_eq!(
        net[&format!("pengeluaran-belum-teridentifikasi/{HOLD}")],
        rp(-5_000)
    );
    assert_eq!(net["kas-bendahara-penerimaan/DISHUB"], rp(-90_000));
    assert_eq!(net[&format!("pendapatan-lra/{PBB}")], rp(-500_000));
}

#[test]
fn rule2_short_batch_takes_its_own_day_not_a_closer_amount_later() {
    let mut inp = input("2026-01-12");
    // Monday's receipts settle Tuesday short by one lost receipt-part; Tuesday's settle Wednesday in full.
    for (n, a) in [("M1", 400_000), ("M2", 600_000)] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Retail, "2026-01-05", a));
    }
    for (n, a) in [("T1", 500_000), ("T2", 490_000)] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Retail, "2026-01-06", a));
    }
    inp.lines
        .push(credit("TUE", RKUD, "2026-01-06", 950_000, &["ALFAMART"]));
    inp.lines
        .push(credit("WED", RKUD, "2026-01-07", 990_000, &["ALFAMART"]));
    let out = run(&inp);
    let by_line = |id: &str| {
        out.matches
            .iter()
            .find(|m| m.line_ids == [id])
            .map(|m| m.document_ids.clone())
    };
    assert_eq!(
        by_line("TUE"),
        Some(vec!["receipt:M1".to_string(), "receipt:M2".to_string()])
    );
    assert_eq!(
        by_line("WED"),
        Some(vec!["receipt:T1".to_string(), "receipt:T2".to_string()])
    );
    // Retail has no fee agreement here: what the aggregator kept is a fee over the agreement.
    assert_eq!(of_type(&out, FindingType::FeeOverAgreement).len(), 1);
    assert_eq!(of_type(&out, FindingType::ShortRemittance).len(), 0);
}

#[test]
fn revenue_through_a_holding_account_is_recognised_by_its_sweep() {
    // Mobile payments settle on the holding account (T+1); the holding account is swept to the
    // RKUD the next bank day. The settlement match recognises nothing; the sweep recognises the
    // revenue it carries.
    let scenario = |swept: i64| {
        let mut inp = input("2026-01-12");
        inp.documents
            .receipts
            .push(receipt("M1", Channel::Mobile, "2026-01-05", 100_000));
        inp.documents
            .receipts
            .push(receipt("M2", Channel::Mobile, "2026-01-05", 50_000));
        inp.lines
            .push(credit("H1", HOLD, "2026-01-06", 100_000, &["MOBILE"]));
        inp.lines
            .push(credit("H2", HOLD, "2026-01-06", 50_000, &["MOBILE"]));
        inp.lines
            .push(debit("S1", HOLD, "2026-01-07", swept, &["PELIMPAHAN"]));
        inp.lines
            .push(credit("S2", RKUD, "2026-01-07", swept, &["PELIMPAHAN"]));
        let out = run(&inp);
        let mut lra = rust_decimal::Decimal::ZERO;
        for m in &out.matches {
            for e in match_entries(m).unwrap() {
                e.validate().unwrap();
                for p in &e.postings {
                    if p.account.to_string() == format!("pendapatan-lra/{PBB}") {
                        lra -= p.debit_signed();
                    }
                }
            }
        }
        (out, lra)
    };
    let (out, lra) = scenario(150_000);
    assert!(
        rules(&out).contains(&MatchRule::Sweep),
        "{:#?}",
        out.matches
    );
    assert_eq!(lra, rp(150_000), "{:#?}", out.matches);
    // Near miss: a partial sweep carries only the credits that fit in it.
    let (_, lra) = scenario(50_000);
    assert_eq!(lra, rp(50_000));
}

#[test]
fn transfer_from_the_kas_negara_is_revenue_not_an_unidentified_credit() {
    use kasda_core::document::BkuOwner;
    use kasda_core::money::Direction;
    let dau = |account: &str, party: Option<&str>| {
        let mut l = credit(
            "DAU1",
            account,
            "2026-01-05",
            62_000_000,
            &["DAU-202601", "TKD DAU BULAN 01/2026 KPPN SERANG"],
        );
        l.counterparty_name = party.map(Into::into);
        l
    };
    let kode = |out: &ReconOutput| {
        out.matches
            .iter()
            .find(|m| m.rule == MatchRule::Transfer)
            .map(|m| match &m.basis {
                Basis::Transfer { kode_rekening, .. } => kode_rekening.clone(),
                other => panic!("{other:?}"),
            })
    };
    let mut inp = input("2026-01-20");
    inp.lines.push(dau(RKUD, Some("RPKBUN KAS NEGARA")));
    let out = run(&inp);
    assert_eq!(
        kode(&out).as_deref(),
        Some("4.2.01.08"),
        "{:#?}",
        out.matches
    );
    assert_eq!(of_type(&out, FindingType::UnidentifiedDeposit).len(), 0);
    let m = &out.matches[0];
    let entries = match_entries(m).unwrap();
    entries[0].validate().unwrap();
    assert!(entries[0]
        .postings
        .iter()
        .any(|p| p.account.to_string() == "pendapatan-lra/4.2.01.08"));

    // The BUD's BKU records it under a finer DAU code: that code is used.
    let mut b = bku(
        BkuOwner::Bud,
        7,
        "2026-01-05",
        62_000_000,
        Direction::Credit,
        Some("DAU-202601"),
    );
    b.account = Some(RKUD.into());
    b.kode_rekening = Some("4.2.01.08.01.0001".into());
    inp.documents.bku.push(b);
    assert_eq!(kode(&run(&inp)).as_deref(), Some("4.2.01.08.01.0001"));

    // Near misses: no treasury counterparty anywhere; a holding account.
    let mut inp = input("2026-01-20");
    let mut l = dau(RKUD, None);
    l.texts = vec!["TKD DAU BULAN 01/2026".into()];
    inp.lines.push(l);
    assert_eq!(kode(&run(&inp)), None);
    let mut inp = input("2026-01-20");
    inp.lines.push(dau(HOLD, Some("RPKBUN KAS NEGARA")));
    assert_eq!(kode(&run(&inp)), None);
}
