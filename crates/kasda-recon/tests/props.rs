//! Property tests: facts are consumed at most once, matches never claim more than their lines,
//! entries balance, and a re-run adds nothing; plus a scale run.

mod common;

use std::collections::HashSet;

use common::*;
use kasda_core::document::Channel;
use kasda_recon::*;
use proptest::prelude::*;

fn scenario(seed: Vec<(u8, u8, u8, bool)>) -> ReconInput {
    let mut inp = input("2026-01-20");
    for (i, (kind, day, amt, referenced)) in seed.iter().enumerate() {
        let date = format!("2026-01-{:02}", 5 + (day % 5));
        let amount = 10_000 * (1 + i64::from(amt % 6));
        match kind % 6 {
            0 | 1 => {
                let channel = if kind % 6 == 0 {
                    Channel::Qris
                } else {
                    Channel::Retail
                };
                let r = receipt(&format!("N{i}"), channel, &date, amount);
                let text = if *referenced {
                    format!("NTBN{i}")
                } else {
                    "SETORAN ALFAMART".to_string()
                };
                inp.documents.receipts.push(r);
                if amt % 3 != 0 {
                    inp.lines.push(credit(
                        &format!("L{i}"),
                        RKUD,
                        &date,
                        amount - i64::from(amt % 2) * 500,
                        &[&text],
                    ));
                }
            }
            2 => inp
                .documents
                .sts
                .push(sts(&format!("STS-{i}"), "DISHUB", &date, amount)),
            3 => inp.lines.push(credit(
                &format!("L{i}"),
                RKUD,
                &date,
                amount,
                &[if *referenced { "STS-1" } else { "SETOR" }],
            )),
            4 => inp
                .documents
                .sp2d
                .push(sp2d(&format!("{i:04}/LS/2026"), &date, amount, &[5_000])),
            _ => inp.lines.push(debit(
                &format!("D{i}"),
                RKUD,
                &date,
                amount,
                &[&format!("SP2D {:04}/LS", i.saturating_sub(1))],
            )),
        }
    }
    inp
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn facts_are_consumed_once_and_entries_balance(seed in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), any::<bool>()), 1..40)) {
        let inp = scenario(seed);
        let out = run(&inp);
        let mut lines_seen = HashSet::new();
        let mut docs_seen = HashSet::new();
        for m in &out.matches {
            for l in &m.line_ids {
                prop_assert!(lines_seen.insert(l.clone()), "line {} in two matches", l);
            }
            for d in &m.document_ids {
                if !d.starts_with("sp2d:") {
                    prop_assert!(docs_seen.insert(d.clone()), "document {} in two matches", d);
                }
            }
            let line_sum: rust_decimal::Decimal = m
                .line_ids
                .iter()
                .map(|id| inp.lines.iter().find(|l| &l.id == id).map(|l| l.amount).unwrap_or_default())
                .sum();
            prop_assert_eq!(m.amount, line_sum);
            prop_assert!(m.fee >= rust_decimal::Decimal::ZERO && m.fee <= m.document_amount);
            if matches!(m.basis, Basis::Receipts { .. }) {
                prop_assert!(m.amount <= m.document_amount, "credit {} exceeds receipts {}", m.amount, m.document_amount);
            }
            for e in match_entries(m).unwrap() {
                prop_assert!(e.validate().is_ok());
            }
        }
        let mut again = inp.clone();
        again.existing = as_existing(&out.matches);
        let second = run(&again);
        prop_assert!(second.matches.is_empty());
        let ids = |o: &ReconOutput| o.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&out), ids(&second));
    }
}

#[test]
fn scale_twenty_thousand_by_twenty_thousand() {
    let inp = synth(20_000, 7);
    let out = run(&inp);
    let matched: usize = out.matches.iter().map(|m| m.line_ids.len()).sum();
    assert!(
        matched * 100 >= inp.lines.len() * 95,
        "matched {matched} of {} lines",
        inp.lines.len()
    );
    assert!(out.stats.unmatched_receipts >= 20, "{:?}", out.stats);
    assert!(out
        .findings
        .iter()
        .any(|f| f.finding_type == FindingType::UnremittedReceipt));
    assert!(out
        .findings
        .iter()
        .any(|f| f.finding_type == FindingType::UnidentifiedDeposit));
}
