//! `reconcile_each` hands out exactly the matches `reconcile` collects, in the same order, with
//! the same findings, stats and warnings; and the explanations it writes when a match is handed
//! out read as the rule decided.

mod common;

use common::*;
use kasda_recon::*;

fn streamed(inp: &ReconInput) -> ReconOutput {
    let mut matches = Vec::new();
    let report = reconcile_each(inp, &cfg(), &cal(), |m| matches.push(m));
    ReconOutput {
        matches,
        findings: report.findings,
        stats: report.stats,
        warnings: report.warnings,
    }
}

#[test]
fn streamed_matches_are_the_collected_matches() {
    for (n, seed) in [(3_000, 7), (1_500, 20260301)] {
        let inp = synth(n, seed);
        let collected = run(&inp);
        let out = streamed(&inp);
        assert!(!collected.matches.is_empty());
        assert_eq!(out, collected, "synth({n}, {seed})");
        // A re-run over the ledger's matches adds nothing, streamed or not.
        let mut again = inp.clone();
        again.existing = as_existing(&collected.matches);
        let second = streamed(&again);
        assert!(second.matches.is_empty(), "{:#?}", second.matches.first());
        assert_eq!(second.findings, collected.findings);
    }
}

#[test]
fn reference_explanations_are_written_when_handed_out() {
    let inp = workload::scale_input(40);
    let mut seen = 0;
    let report = reconcile_each(&inp, &ReconConfig::default(), &cal(), |m| {
        if m.rule != MatchRule::Reference {
            return;
        }
        seen += 1;
        let receipt = &m.document_ids[0];
        assert_eq!(m.line_ids.len(), 1);
        assert_eq!(m.document_ids.len(), 1);
        let line = inp.lines.iter().find(|l| l.id == m.line_ids[0]).unwrap();
        assert!(
            m.explanation.starts_with("Credit Rp")
                && m.explanation.contains(&format!(
                    " on {} dated {} carries the exact reference of {receipt} (receipts Rp",
                    workload::RKUD,
                    line.booking_date
                ))
                && m.explanation.ends_with("); amounts agree."),
            "{}",
            m.explanation
        );
        assert_eq!(m.amount, line.amount);
        assert_eq!(m.document_amount, line.amount);
        assert_eq!(
            m.natural_key,
            format!("match:reference:{}+{receipt}", line.id)
        );
    });
    assert_eq!(seen, 36, "{:?}", report.stats.per_rule);
    assert_eq!(report.stats.per_rule["reference"].count, 36);
}

#[test]
fn two_step_run_reports_first_and_hands_out_the_same_matches() {
    let inp = synth(2_000, 11);
    let collected = run(&inp);
    let (cfg, cal) = (cfg(), cal());
    let run = Reconciled::new(&inp, &cfg, &cal);
    assert_eq!(run.match_count(), collected.matches.len());
    // The report is complete before any match is handed out.
    assert_eq!(run.report().findings, collected.findings);
    assert_eq!(run.report().stats, collected.stats);
    let mut matches = Vec::new();
    run.each_match(|m| matches.push(m));
    assert_eq!(matches, collected.matches);
    // Handed out again (the engine keeps them compact), stopping at the first error.
    let mut seen = 0;
    let stopped = run.try_each_match(|_| {
        seen += 1;
        if seen == 3 {
            Err("third")
        } else {
            Ok(())
        }
    });
    assert_eq!((stopped, seen), (Err("third"), 3));
    let report = run.into_report();
    assert_eq!(report.warnings, collected.warnings);
}
