//! One hand-built scenario per finding type that triggers it, and a near miss that does not.
//! January 2026: the 5th is a Monday.

mod common;

use common::*;
use kasda_core::document::{BkuOwner, Channel};
use kasda_core::money::Direction;
use kasda_recon::*;

fn count(out: &ReconOutput, ty: FindingType) -> usize {
    of_type(out, ty).len()
}

#[test]
fn unremitted_receipt_after_the_settlement_deadline_only() {
    let mut inp = input("2026-01-09");
    inp.documents
        .receipts
        .push(receipt("T1", Channel::Teller, "2026-01-05", 80_000));
    let out = run(&inp);
    let f = of_type(&out, FindingType::UnremittedReceipt);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].due, Some(d("2026-01-05")));
    assert_eq!(f[0].age_working_days, 4);
    assert_eq!(f[0].severity, Severity::High);
    assert!(f[0].refs.contains(&"T1".to_string()));
    assert!(f[0].explanation.contains("Rp80.000,00"));

    // Near miss: still inside T+0 plus the 2-day grace.
    inp.as_of = d("2026-01-07");
    assert_eq!(count(&run(&inp), FindingType::UnremittedReceipt), 0);
}

#[test]
fn bendahara_collection_no_sts_deposits_is_a_late_deposit() {
    let mut inp = input("2026-01-09");
    inp.documents.bku.push(bku(
        BkuOwner::BendaharaPenerimaan("DISHUB".into()),
        1,
        "2026-01-05",
        450_000,
        Direction::Credit,
        Some("TBP/DISHUB/0001"),
    ));
    // The money is still with the bendahara: a deposit overdue, not a channel's unremitted
    // receipt.
    let out = run(&inp);
    let f = of_type(&out, FindingType::LateDeposit);
    assert_eq!(f.len(), 1, "{:#?}", out.findings);
    assert!(f[0].refs.contains(&"TBP/DISHUB/0001".to_string()));
    assert_eq!(f[0].amount, rp(450_000));
    assert_eq!(count(&out, FindingType::UnremittedReceipt), 0);

    // Near miss: an STS lists that TBP.
    let mut s = sts("STS-3", "DISHUB", "2026-01-06", 450_000);
    s.collected_from = None;
    s.tbp_numbers = vec!["TBP/DISHUB/0001".into()];
    inp.documents.sts.push(s);
    assert_eq!(count(&run(&inp), FindingType::LateDeposit), 0);
}

#[test]
fn short_remittance_on_sts_channel_and_bku() {
    let mut inp = input("2026-01-09");
    inp.documents.sts.push(sts(
        "STS/PASAR/0012",
        "DISPERINDAG",
        "2026-01-05",
        1_000_000,
    ));
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        900_000,
        &["SETOR STS/PASAR/0012"],
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::ShortRemittance);
    assert_eq!(f.len(), 1, "{:#?}", out.findings);
    assert_eq!(f[0].amount, rp(100_000));
    assert!(f[0].refs.contains(&"STS/PASAR/0012".to_string()));

    // Near miss: deposited in full.
    inp.lines[0].amount = rp(1_000_000);
    assert_eq!(count(&run(&inp), FindingType::ShortRemittance), 0);

    // An aggregator without a fee agreement settling its batch short (narrative names the
    // channel): it kept a fee it is not entitled to.
    let mut inp = input("2026-01-09");
    inp.documents
        .receipts
        .push(receipt("R1", Channel::Retail, "2026-01-05", 100_000));
    inp.documents
        .receipts
        .push(receipt("R2", Channel::Retail, "2026-01-05", 200_000));
    inp.lines.push(credit(
        "B1",
        RKUD,
        "2026-01-06",
        290_000,
        &["INDOMARET SETTLEMENT"],
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::FeeOverAgreement);
    assert_eq!(f.len(), 1, "{:#?}", out.findings);
    assert_eq!(f[0].amount, rp(10_000));
    assert_eq!(count(&out, FindingType::ShortRemittance), 0);

    // BKU collections of the covered day exceed the STS.
    let mut inp = input("2026-01-09");
    inp.documents
        .sts
        .push(sts("STS-7", "DLH", "2026-01-05", 300_000));
    for (n, a) in [(1, 200_000), (2, 150_000)] {
        inp.documents.bku.push(bku(
            BkuOwner::BendaharaPenerimaan("DLH".into()),
            n,
            "2026-01-05",
            a,
            Direction::Credit,
            None,
        ));
    }
    inp.lines
        .push(credit("C1", RKUD, "2026-01-05", 300_000, &["STS-7"]));
    let out = run(&inp);
    let f = of_type(&out, FindingType::ShortRemittance);
    assert_eq!(f.len(), 1, "{:#?}", out.findings);
    assert_eq!(f[0].amount, rp(50_000));
}

#[test]
fn late_settlement_counts_bank_days() {
    let mut inp = input("2026-01-12");
    inp.documents
        .receipts
        .push(receipt("R1", Channel::Retail, "2026-01-05", 100_000));
    inp.documents
        .receipts
        .push(receipt("R2", Channel::Retail, "2026-01-05", 200_000));
    inp.lines
        .push(credit("B1", RKUD, "2026-01-08", 300_000, &["ALFAMART"]));
    let out = run(&inp);
    let f = of_type(&out, FindingType::LateSettlement);
    assert_eq!(f.len(), 1, "{:#?}", out);
    assert_eq!(f[0].due, Some(d("2026-01-06")));
    assert_eq!(f[0].age_working_days, 2);

    // Near miss: paid Friday, T+1 lands Monday.
    let mut inp = input("2026-01-12");
    inp.documents
        .receipts
        .push(receipt("R1", Channel::Retail, "2026-01-09", 100_000));
    inp.documents
        .receipts
        .push(receipt("R2", Channel::Retail, "2026-01-09", 200_000));
    inp.lines
        .push(credit("B1", RKUD, "2026-01-12", 300_000, &["ALFAMART"]));
    let out = run(&inp);
    assert_eq!(out.matches.len(), 1);
    assert_eq!(count(&out, FindingType::LateSettlement), 0);
}

#[test]
fn late_deposit_against_collection_date_and_bank_credit() {
    let mut inp = input("2026-01-12");
    let mut s = sts("STS-1", "DISHUB", "2026-01-08", 500_000);
    s.collected_from = Some(d("2026-01-05"));
    inp.documents.sts.push(s);
    inp.lines
        .push(credit("C1", RKUD, "2026-01-08", 500_000, &["STS-1"]));
    let out = run(&inp);
    let f = of_type(&out, FindingType::LateDeposit);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].due, Some(d("2026-01-06")));
    assert_eq!(f[0].age_working_days, 2);

    // STS on time, but the money reached the RKUD three days later.
    let mut inp = input("2026-01-12");
    inp.documents
        .sts
        .push(sts("STS-2", "DISHUB", "2026-01-05", 500_000));
    inp.lines
        .push(credit("C1", RKUD, "2026-01-08", 500_000, &["STS-2"]));
    assert_eq!(count(&run(&inp), FindingType::LateDeposit), 1);

    // Near miss: Friday collection deposited Monday (1 working day).
    let mut inp = input("2026-01-14");
    let mut s = sts("STS-3", "DISHUB", "2026-01-12", 500_000);
    s.collected_from = Some(d("2026-01-09"));
    inp.documents.sts.push(s);
    inp.lines
        .push(credit("C1", RKUD, "2026-01-12", 500_000, &["STS-3"]));
    assert_eq!(count(&run(&inp), FindingType::LateDeposit), 0);
}

#[test]
fn unidentified_deposit_after_the_waiting_period() {
    let mut inp = input("2026-01-09");
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        3_500_000,
        &["TRANSFER DARI 0123"],
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::UnidentifiedDeposit);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].refs, vec!["BR-C1".to_string(), "C1".to_string()]);
    inp.as_of = d("2026-01-08");
    assert_eq!(count(&run(&inp), FindingType::UnidentifiedDeposit), 0);
}

#[test]
fn duplicate_receipt_by_ntpd_row_and_by_tax_object() {
    let mut inp = input("2026-01-06");
    let first = receipt("3601-77", Channel::Teller, "2026-01-05", 120_000);
    let mut copy = first.clone();
    copy.0 = "row:2".into();
    inp.documents.receipts.push(first);
    inp.documents.receipts.push(copy);
    inp.lines
        .push(credit("C1", RKUD, "2026-01-05", 120_000, &["NTB3601-77"]));
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::DuplicateReceipt),
        1,
        "{:#?}",
        out.findings
    );
    // The copy is not also reported as unremitted.
    assert_eq!(count(&out, FindingType::UnremittedReceipt), 0);

    let pbb = |ntpd: &str, year: i32| {
        let mut r = receipt(ntpd, Channel::Teller, "2026-01-05", 250_000);
        r.1.nop = Some("36.04.010.001.002-0003.0".into());
        r.1.tahun_pajak = Some(year);
        r
    };
    let mut inp = input("2026-01-06");
    inp.documents.receipts.push(pbb("N1", 2025));
    inp.documents.receipts.push(pbb("N2", 2025));
    assert_eq!(count(&run(&inp), FindingType::DuplicateReceipt), 1);

    // Near misses: another year; or the first payment was reversed before paying again.
    let mut inp = input("2026-01-06");
    inp.documents.receipts.push(pbb("N1", 2025));
    inp.documents.receipts.push(pbb("N2", 2026));
    assert_eq!(count(&run(&inp), FindingType::DuplicateReceipt), 0);
    let mut inp = input("2026-01-06");
    let n1 = pbb("N1", 2025);
    inp.documents
        .receipts
        .push(reversal_of(&n1, "N1R", "2026-01-05"));
    inp.documents.receipts.push(n1);
    inp.documents.receipts.push(pbb("N2", 2025));
    assert_eq!(count(&run(&inp), FindingType::DuplicateReceipt), 0);
}

#[test]
fn duplicate_statement_line_across_overlapping_statements() {
    let mut inp = input("2026-01-06");
    inp.documents
        .receipts
        .push(receipt("Q1", Channel::Qris, "2026-01-05", 75_000));
    let a = credit("stmt-a:7", RKUD, "2026-01-05", 75_000, &["QRIS NTBQ1"]);
    let mut b = a.clone();
    b.id = "stmt-b:2".into();
    b.statement_id = Some("st:other-file".into());
    inp.lines.push(a.clone());
    inp.lines.push(b);
    let out = run(&inp);
    assert_eq!(count(&out, FindingType::DuplicateStatementLine), 1);
    assert_eq!(out.matches.len(), 1);
    assert_eq!(out.stats.excluded_lines, 1);

    // Near miss: two real payments of the same amount, different bank references.
    let mut inp = input("2026-01-06");
    let mut c = a.clone();
    c.id = "stmt-a:8".into();
    c.bank_ref = Some("BR-other".into());
    inp.lines.push(a);
    inp.lines.push(c);
    assert_eq!(count(&run(&inp), FindingType::DuplicateStatementLine), 0);
}

#[test]
fn reversal_without_refund_in_either_feed() {
    // Tax system reversed, bank credit stays.
    let mut inp = input("2026-01-12");
    let q = receipt("Q1", Channel::Qris, "2026-01-05", 60_000);
    inp.documents
        .receipts
        .push(reversal_of(&q, "Q1-REV", "2026-01-05"));
    inp.documents.receipts.push(q.clone());
    inp.lines
        .push(credit("C1", RKUD, "2026-01-05", 60_000, &["QRIS NTBQ1"]));
    let out = run(&inp);
    let f = of_type(&out, FindingType::ReversalWithoutRefund);
    assert_eq!(f.len(), 1, "{:#?}", out);
    assert!(f[0].refs.contains(&"Q1-REV".to_string()));

    // Near miss: the refund debit names the payment.
    inp.lines
        .push(debit("D1", RKUD, "2026-01-06", 60_000, &["REFUND NTBQ1"]));
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::ReversalWithoutRefund),
        0,
        "{:#?}",
        out.findings
    );
    assert!(out.matches.iter().any(|m| m.rule == MatchRule::Refund));

    // Bank reversed the credit, the tax system still says paid.
    let mut inp = input("2026-01-12");
    inp.documents.receipts.push(q);
    inp.lines
        .push(credit("C1", RKUD, "2026-01-05", 60_000, &["QRIS NTBQ1"]));
    let mut rc = debit("C1-RC", RKUD, "2026-01-06", 60_000, &["RVSL"]);
    rc.reversal = true;
    inp.lines.push(rc);
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::ReversalWithoutRefund),
        1,
        "{:#?}",
        out.findings
    );
    assert_eq!(count(&out, FindingType::DebitWithoutSp2d), 0);
}

#[test]
fn unswept_holding_balance_respects_the_sweep_lag() {
    let mut inp = input("2026-01-09");
    inp.lines
        .push(credit("H1", HOLD, "2026-01-05", 1_000_000, &["MOBILE"]));
    inp.statements.push(header(
        "h1",
        HOLD,
        1,
        "2026-01-05",
        "2026-01-05",
        0,
        1_000_000,
    ));
    inp.statements.push(header(
        "h2",
        HOLD,
        2,
        "2026-01-06",
        "2026-01-06",
        1_000_000,
        1_000_000,
    ));
    inp.statements.push(header(
        "h3",
        HOLD,
        3,
        "2026-01-07",
        "2026-01-07",
        1_000_000,
        1_000_000,
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::UnsweptHoldingBalance);
    assert_eq!(f.len(), 1, "{:#?}", out.findings);
    assert_eq!(f[0].first_seen, d("2026-01-06"));
    assert_eq!(f[0].amount, rp(1_000_000));

    // Near miss: swept T+1.
    let mut inp = input("2026-01-09");
    inp.lines
        .push(credit("H1", HOLD, "2026-01-05", 1_000_000, &["MOBILE"]));
    inp.lines
        .push(debit("H2", HOLD, "2026-01-06", 1_000_000, &["PELIMPAHAN"]));
    inp.lines
        .push(credit("R1", RKUD, "2026-01-06", 1_000_000, &["PELIMPAHAN"]));
    inp.statements.push(header(
        "h1",
        HOLD,
        1,
        "2026-01-05",
        "2026-01-05",
        0,
        1_000_000,
    ));
    inp.statements.push(header(
        "h2",
        HOLD,
        2,
        "2026-01-06",
        "2026-01-06",
        1_000_000,
        0,
    ));
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::UnsweptHoldingBalance),
        0,
        "{:#?}",
        out.findings
    );
    assert!(out.matches.iter().any(|m| m.rule == MatchRule::Sweep));
}

#[test]
fn deposit_to_non_rkud_account_by_line_receipt_and_sts() {
    let mut inp = input("2026-01-06");
    inp.lines.push(credit(
        "X1",
        "9990001",
        "2026-01-05",
        1_800_000,
        &["RETRIBUSI PASAR"],
    ));
    let mut r = receipt("P1", Channel::Teller, "2026-01-05", 90_000);
    r.1.account = Some("8880001".into());
    inp.documents.receipts.push(r);
    let mut s = sts("STS-9", "DISHUB", "2026-01-05", 10_000);
    s.account = "7770001".into();
    inp.documents.sts.push(s);
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::DepositToNonRkudAccount),
        3,
        "{:#?}",
        out.findings
    );
    assert_eq!(count(&out, FindingType::UnidentifiedDeposit), 0);
    assert_eq!(count(&out, FindingType::UnremittedReceipt), 0);

    // Near miss: a registered OPD receiving account.
    let mut inp = input("2026-01-06");
    inp.lines.push(credit(
        "X1",
        RECV,
        "2026-01-05",
        1_800_000,
        &["RETRIBUSI PASAR"],
    ));
    assert_eq!(count(&run(&inp), FindingType::DepositToNonRkudAccount), 0);
}

#[test]
fn debit_without_sp2d_is_immediate() {
    let mut inp = input("2026-01-05");
    inp.lines.push(debit(
        "D1",
        RKUD,
        "2026-01-05",
        150_000_000,
        &["TARIK TUNAI"],
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::DebitWithoutSp2d);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Critical);

    // Near miss: the SP2D exists.
    inp.documents
        .sp2d
        .push(sp2d("0900/LS/2026", "2026-01-05", 150_000_000, &[]));
    assert_eq!(count(&run(&inp), FindingType::DebitWithoutSp2d), 0);
}

#[test]
fn sp2d_amount_mismatch_over_and_under() {
    let mut inp = input("2026-01-06");
    inp.documents.sp2d.push(sp2d(
        "0280/LS-GJ/2019",
        "2026-01-05",
        9_000_000,
        &[1_000_000],
    ));
    inp.lines.push(debit(
        "D1",
        RKUD,
        "2026-01-05",
        10_000_000,
        &["SP2D 0280/LS-GJ/2019"],
    ));
    inp.lines.push(debit(
        "D2",
        RKUD,
        "2026-01-05",
        2_000_000,
        &["SP2D 0280/LS-GJ"],
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::Sp2dAmountMismatch);
    assert_eq!(f.len(), 1, "{:#?}", out);
    assert_eq!(f[0].amount, rp(2_000_000));
    assert!(f[0].explanation.contains("more than ordered"));

    // Under-debit is reported only after the window: the PFK leg may still come.
    let mut inp = input("2026-01-06");
    inp.documents
        .sp2d
        .push(sp2d("0281/LS/2026", "2026-01-05", 9_000_000, &[1_000_000]));
    inp.lines.push(debit(
        "D1",
        RKUD,
        "2026-01-05",
        9_000_000,
        &["SP2D 0281/LS/2026"],
    ));
    assert_eq!(count(&run(&inp), FindingType::Sp2dAmountMismatch), 0);
    inp.as_of = d("2026-01-20");
    assert_eq!(count(&run(&inp), FindingType::Sp2dAmountMismatch), 1);

    // Near miss: net + PPh legs, the PPh leg unreferenced.
    inp.lines
        .push(debit("D2", RKUD, "2026-01-06", 1_000_000, &["SETOR PAJAK"]));
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::Sp2dAmountMismatch),
        0,
        "{:#?}",
        out
    );
    assert_eq!(count(&out, FindingType::DebitWithoutSp2d), 0);
}

#[test]
fn fee_over_agreement_and_any_fee_on_qris() {
    let mut inp = input("2026-01-07");
    inp.documents
        .receipts
        .push(receipt("Q1", Channel::Qris, "2026-01-05", 100_000));
    inp.lines
        .push(credit("C1", RKUD, "2026-01-05", 99_300, &["QRIS NTBQ1"]));
    let out = run(&inp);
    let f = of_type(&out, FindingType::FeeOverAgreement);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].amount, rp(700));

    let mut inp = input("2026-01-07");
    inp.documents
        .receipts
        .push(receipt("E1", Channel::Ecommerce, "2026-01-05", 500_000));
    inp.documents
        .receipts
        .push(receipt("E2", Channel::Ecommerce, "2026-01-05", 300_000));
    inp.lines
        .push(credit("B1", RKUD, "2026-01-06", 790_000, &["TOKOPEDIA"]));
    let out = run(&inp);
    let f = of_type(&out, FindingType::FeeOverAgreement);
    assert_eq!(f.len(), 1, "{:#?}", out);
    assert_eq!(f[0].amount, rp(5_000));

    // Near miss: exactly the agreed Rp2.500 per receipt.
    inp.lines[0].amount = rp(795_000);
    assert_eq!(count(&run(&inp), FindingType::FeeOverAgreement), 0);
}

#[test]
fn statement_gap_by_sequence_days_and_period() {
    let mut inp = input("2026-01-09");
    inp.statements
        .push(header("s1", RKUD, 1, "2026-01-05", "2026-01-05", 0, 0));
    inp.statements
        .push(header("s3", RKUD, 3, "2026-01-07", "2026-01-07", 0, 0));
    let out = run(&inp);
    let f = of_type(&out, FindingType::StatementGap);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].explanation
            .contains("statement number(s) 2 to 2 missing"),
        "{}",
        f[0].explanation
    );
    assert!(f[0].explanation.contains("2026-01-06"));

    // Near miss: Friday then Monday, consecutive numbers.
    let mut inp = input("2026-01-13");
    inp.statements
        .push(header("s1", RKUD, 1, "2026-01-09", "2026-01-09", 0, 0));
    inp.statements
        .push(header("s2", RKUD, 2, "2026-01-12", "2026-01-12", 0, 0));
    assert_eq!(count(&run(&inp), FindingType::StatementGap), 0);

    // The declared period is not covered for the other registered accounts.
    inp.period = Some((d("2026-01-09"), d("2026-01-12")));
    let out = run(&inp);
    let gaps = of_type(&out, FindingType::StatementGap);
    assert_eq!(gaps.len(), 2, "{:#?}", gaps);
    assert!(gaps.iter().all(|g| g.account.as_deref() != Some(RKUD)));
}

#[test]
fn balance_discontinuity_between_and_within_statements() {
    let mut inp = input("2026-01-09");
    inp.statements.push(header(
        "s1",
        RKUD,
        1,
        "2026-01-05",
        "2026-01-05",
        0,
        100_000,
    ));
    inp.statements.push(header(
        "s2",
        RKUD,
        2,
        "2026-01-06",
        "2026-01-06",
        120_000,
        120_000,
    ));
    let out = run(&inp);
    let f = of_type(&out, FindingType::BalanceDiscontinuity);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].amount, rp(20_000));

    // Lines do not explain the movement of the statement.
    let mut inp = input("2026-01-09");
    inp.statements.push(header(
        "s1",
        RKUD,
        1,
        "2026-01-05",
        "2026-01-05",
        0,
        100_000,
    ));
    let mut l = credit("C1", RKUD, "2026-01-05", 90_000, &["JASA GIRO"]);
    l.statement_id = Some("s1".into());
    inp.lines.push(l);
    assert_eq!(count(&run(&inp), FindingType::BalanceDiscontinuity), 1);

    // Near miss: continuous and complete.
    inp.lines[0].amount = rp(100_000);
    inp.statements.push(header(
        "s2",
        RKUD,
        2,
        "2026-01-06",
        "2026-01-06",
        100_000,
        100_000,
    ));
    assert_eq!(count(&run(&inp), FindingType::BalanceDiscontinuity), 0);
}

#[test]
fn bku_bank_difference_after_reconciling_items() {
    let scenario = |bku_amount: i64, jasa_giro: bool| {
        let mut inp = input("2026-01-09");
        inp.documents
            .sts
            .push(sts("STS-5", "DISHUB", "2026-01-05", 1_000_000));
        inp.lines
            .push(credit("C1", RKUD, "2026-01-05", 1_000_000, &["STS-5"]));
        let mut closing = 1_000_000;
        if jasa_giro {
            // On the statement, not yet in the BKU: a reconciling item, not a difference.
            inp.lines
                .push(credit("J1", RKUD, "2026-01-05", 27_000, &["JASA GIRO"]));
            closing += 27_000;
        }
        inp.statements.push(header(
            "s1",
            RKUD,
            1,
            "2026-01-05",
            "2026-01-05",
            0,
            closing,
        ));
        let mut b = bku(
            BkuOwner::Bud,
            1,
            "2026-01-05",
            bku_amount,
            Direction::Credit,
            Some("STS-5"),
        );
        b.balance_after = Some(rp(bku_amount));
        inp.documents.bku.push(b);
        run(&inp)
    };
    let out = scenario(1_100_000, false);
    let f = of_type(&out, FindingType::BkuBankDifference);
    assert_eq!(f.len(), 1, "{:#?}", out.findings);
    assert_eq!(f[0].amount, rp(100_000));
    assert_eq!(
        count(&scenario(1_000_000, false), FindingType::BkuBankDifference),
        0
    );
    assert_eq!(
        count(&scenario(1_000_000, true), FindingType::BkuBankDifference),
        0
    );
}

#[test]
fn findings_serialize_with_the_fixed_field_names() {
    let mut inp = input("2026-01-09");
    inp.lines
        .push(debit("D1", RKUD, "2026-01-05", 5_000, &["?"]));
    let out = run(&inp);
    let v = serde_json::to_value(&out.findings[0]).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "account",
            "age_working_days",
            "amount",
            "due",
            "explanation",
            "first_seen",
            "id",
            "refs",
            "severity",
            "type"
        ]
    );
    assert_eq!(v["type"], "debit_without_sp2d");
    assert_eq!(v["severity"], "high");
}

#[test]
fn accuracy_counts_precision_and_recall_per_type() {
    let mut inp = input("2026-01-09");
    inp.lines
        .push(debit("D1", RKUD, "2026-01-05", 5_000, &["?"]));
    inp.lines
        .push(debit("D2", RKUD, "2026-01-05", 6_000, &["?"]));
    let out = run(&inp);
    let truth = parse_ground_truth(
        r#"{"seed":1,"irregularities":[
            {"type":"debit_without_sp2d","refs":["BR-D1"],"amount":"5000.00"},
            {"type":"unremitted_receipt","refs":["X"]}]}"#,
    )
    .unwrap();
    let acc = accuracy(&out.findings, &truth);
    let dws = &acc["debit_without_sp2d"];
    assert_eq!(
        (dws.findings, dws.true_positives, dws.truth, dws.detected),
        (2, 1, 1, 1)
    );
    assert_eq!(dws.precision, Some(0.5));
    assert_eq!(dws.recall, Some(1.0));
    assert_eq!(acc["unremitted_receipt"].recall, Some(0.0));
    assert!(parse_ground_truth("{\"irregularities\": [").is_err());
}

#[test]
fn late_batch_beyond_the_window_is_one_late_settlement_not_unremitted_receipts() {
    // Retail T+1: paid Monday the 5th, due the 6th; the batch credit only lands on Thursday
    // the 15th, past the 5-day date window. Exactly the group's amount, naming the channel.
    let mut inp = input("2026-01-20");
    for (n, amount) in [("R1", 100_000), ("R2", 200_000), ("R3", 50_000)] {
        inp.documents
            .receipts
            .push(receipt(n, Channel::Retail, "2026-01-05", amount));
    }
    inp.lines.push(credit(
        "B1",
        RKUD,
        "2026-01-15",
        350_000,
        &["SETTLEMENT ALFAMART 05/01"],
    ));
    let out = run(&inp);
    assert_eq!(out.matches.len(), 1, "{:#?}", out.matches);
    assert_eq!(out.matches[0].document_ids.len(), 3);
    assert_eq!(count(&out, FindingType::UnremittedReceipt), 0, "{:#?}", out);
    assert_eq!(
        count(&out, FindingType::UnidentifiedDeposit),
        0,
        "{:#?}",
        out
    );
    let f = of_type(&out, FindingType::LateSettlement);
    assert_eq!(f.len(), 1, "{:#?}", out);
    assert_eq!(f[0].amount, rp(350_000));
    assert_eq!(f[0].due, Some(d("2026-01-06")));
    assert_eq!(f[0].age_working_days, 7);

    // Near miss: a later credit of another amount, or one not naming the channel, settles
    // nothing; the receipts stay unremitted.
    for (amount, text) in [(340_000, "SETTLEMENT ALFAMART 05/01"), (350_000, "SETORAN")] {
        let mut inp2 = inp.clone();
        inp2.lines[0] = credit("B1", RKUD, "2026-01-15", amount, &[text]);
        let out = run(&inp2);
        assert!(out.matches.is_empty(), "{:#?}", out.matches);
        assert_eq!(count(&out, FindingType::UnremittedReceipt), 3);
        assert_eq!(count(&out, FindingType::LateSettlement), 0);
    }
}

#[test]
fn duplicated_receipt_joined_to_its_one_credit_is_not_short_remittance() {
    // The host recorded one payment twice under two NTPD with the same NTB; the one credit
    // names that NTB, so both NTPD join it. The payment counts once: no shortfall.
    let dup = |ntpd: &str, ntb: &str| {
        let mut r = receipt(ntpd, Channel::Teller, "2026-01-05", 120_000);
        r.1.ntb = Some(ntb.into());
        r
    };
    let mut inp = input("2026-01-12");
    inp.documents.receipts.push(dup("3601-81", "NTB-555"));
    inp.documents.receipts.push(dup("3601-82", "NTB-555"));
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        120_000,
        &["SETOR NTB-555"],
    ));
    let out = run(&inp);
    assert_eq!(count(&out, FindingType::DuplicateReceipt), 1, "{:#?}", out);
    assert_eq!(count(&out, FindingType::ShortRemittance), 0, "{:#?}", out);
    assert_eq!(count(&out, FindingType::UnremittedReceipt), 0, "{:#?}", out);

    // Near miss: two different payments (distinct NTB) named by a credit of one amount.
    let mut inp = input("2026-01-12");
    inp.documents.receipts.push(dup("3601-81", "NTB-555"));
    inp.documents.receipts.push(dup("3601-82", "NTB-556"));
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        120_000,
        &["SETOR NTB-555 NTB-556"],
    ));
    let out = run(&inp);
    assert_eq!(count(&out, FindingType::DuplicateReceipt), 0, "{:#?}", out);
    let f = of_type(&out, FindingType::ShortRemittance);
    assert_eq!(f.len(), 1, "{:#?}", out);
    assert_eq!(f[0].amount, rp(120_000));
}

#[test]
fn transfer_recorded_in_the_bud_bku_is_not_an_unidentified_deposit() {
    // A transfer the BUD BKU records under document DAU-202601, and the credit carries that
    // number (end-to-end id); its narrative names no transfer rule (see rules.rs for those).
    let mut inp = input("2026-01-20");
    inp.lines.push(credit(
        "C1",
        RKUD,
        "2026-01-05",
        62_000_000,
        &["DAU-202601", "PENERIMAAN TRANSFER 01/2026"],
    ));
    inp.documents.bku.push(bku(
        BkuOwner::Bud,
        11,
        "2026-01-05",
        62_000_000,
        Direction::Credit,
        Some("DAU-202601"),
    ));
    let out = run(&inp);
    assert_eq!(
        count(&out, FindingType::UnidentifiedDeposit),
        0,
        "{:#?}",
        out
    );

    // Near misses: another amount, another number, a bendahara's BKU, or a second credit the
    // one BKU line already explains, stay unidentified.
    let variants: [(i64, &str, BkuOwner); 3] = [
        (61_000_000, "DAU-202601", BkuOwner::Bud),
        (62_000_000, "DAU-202602", BkuOwner::Bud),
        (
            62_000_000,
            "DAU-202601",
            BkuOwner::BendaharaPenerimaan("DISDAG".into()),
        ),
    ];
    for (amount, doc, owner) in variants {
        let mut inp2 = inp.clone();
        inp2.documents.bku[0] = bku(
            owner,
            11,
            "2026-01-05",
            amount,
            Direction::Credit,
            Some(doc),
        );
        assert_eq!(
            count(&run(&inp2), FindingType::UnidentifiedDeposit),
            1,
            "{amount} {doc}"
        );
    }
    let mut inp2 = inp.clone();
    inp2.lines.push(credit(
        "C2",
        RKUD,
        "2026-01-06",
        62_000_000,
        &["DAU-202601"],
    ));
    assert_eq!(count(&run(&inp2), FindingType::UnidentifiedDeposit), 1);
}
