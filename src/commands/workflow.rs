//! Maker-checker (`kasda match propose|approve|reject|list`) and period locks
//! (`kasda period close`). A proposal's entries are built and validated when proposed and
//! appended only when a different user approves; both steps are runs in the trail.

use chrono::{Datelike, NaiveDate};
use kasda_core::document::{Document, Receipt};
use kasda_core::ledger::AccountKey;
use kasda_core::money::{display_idr, Direction};
use kasda_core::posting::{self, MatchContext};
use kasda_store::{NewEntry, NewProposal, ProposalKind, Store};

use super::{actor, ledger_of, load_config, open_store};
use crate::cli::{Cli, MatchCmd, PeriodCmd, ProposeArgs};
use crate::output::{self, Table};
use crate::{CmdResult, Failure};

fn bad(msg: String) -> Failure {
    Failure::Input(anyhow::anyhow!(msg))
}

pub fn match_cmd(cli: &Cli, cmd: &MatchCmd) -> CmdResult {
    let cfg = load_config(&cli.config)?;
    let mut store = open_store(&cli.db)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;
    let who = actor();
    match cmd {
        MatchCmd::Propose(a) => {
            let proposal = build_proposal(store.as_mut(), &ledger, a, &who)?;
            let total: rust_decimal::Decimal =
                proposal.entries.iter().map(|e| e.entry.total()).sum();
            let id = store.propose(&ledger, proposal).map_err(Failure::store)?;
            let json = serde_json::json!({"proposal": id, "proposed_by": who, "amount": total.to_string()});
            let mut t = Table::new(["proposal", "proposed by", "amount"]).numeric(&[0, 2]);
            t.push([id.to_string(), who, display_idr(total)]);
            t.title =
                Some("proposed; a different user must approve it (kasda match approve ID)".into());
            output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
        }
        MatchCmd::Approve { id } => {
            let out = store.approve(&ledger, *id, &who).map_err(Failure::store)?;
            let json = serde_json::to_value(&out).map_err(Failure::input)?;
            let mut t =
                Table::new(["proposal", "approved by", "run", "entries"]).numeric(&[0, 2, 3]);
            t.push([
                id.to_string(),
                who,
                out.run_id.to_string(),
                out.appended.len().to_string(),
            ]);
            output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
        }
        MatchCmd::Reject { id, reason } => {
            store
                .reject(&ledger, *id, &who, reason)
                .map_err(Failure::store)?;
            eprintln!("proposal {id} rejected by {who}");
            Ok(())
        }
        MatchCmd::List { open } => {
            let list = store.proposals(&ledger, *open).map_err(Failure::store)?;
            let mut t = Table::new([
                "id",
                "kind",
                "status",
                "proposed by",
                "at",
                "amount",
                "reason",
            ])
            .numeric(&[0, 5]);
            for p in &list {
                let total: rust_decimal::Decimal = p.entries.iter().map(|e| e.entry.total()).sum();
                t.push([
                    p.id.to_string(),
                    p.kind.as_str().to_string(),
                    p.status.label().to_string(),
                    p.proposed_by.clone(),
                    p.proposed_at.to_rfc3339(),
                    display_idr(total),
                    p.reason.clone(),
                ]);
            }
            let json = serde_json::to_value(&list).map_err(Failure::input)?;
            output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
        }
    }
}

fn build_proposal(
    store: &mut dyn Store,
    ledger: &str,
    a: &ProposeArgs,
    who: &str,
) -> Result<NewProposal, Failure> {
    if a.reason.trim().is_empty() {
        return Err(bad(
            "--reason: expected the reason for the manual entry, found nothing".into(),
        ));
    }
    if let Some(account) = &a.write_off {
        let key = AccountKey::parse(account).map_err(Failure::input)?;
        let on =
            a.on.ok_or_else(|| bad("--write-off needs --on YYYY-MM-DD (the balance date)".into()))?;
        let balance = store
            .balance(ledger, &key, Some(on), None)
            .map_err(Failure::store)?;
        let ctx = MatchContext {
            rule: "manual".into(),
            ids: vec![format!("write-off:{key}:{on}")],
            booked_on: on,
            value_date: on,
            memo: a.reason.clone(),
        };
        let entry = posting::write_off(&ctx, &key, balance, "manual").map_err(Failure::input)?;
        return Ok(NewProposal {
            kind: ProposalKind::WriteOff,
            reason: a.reason.clone(),
            proposed_by: who.to_string(),
            entries: vec![NewEntry {
                entry,
                joins: Vec::new(),
            }],
        });
    }
    if a.lines.is_empty() || a.documents.is_empty() {
        return Err(bad(
            "a manual match needs --line KEY (one or more) and --doc KEY (one or more), or --write-off ACCOUNT".into(),
        ));
    }
    let lines = store
        .lines_by_keys(ledger, &a.lines)
        .map_err(Failure::store)?;
    for k in &a.lines {
        if !lines.iter().any(|l| &l.facts.natural_key == k) {
            return Err(bad(format!(
                "--line {k}: no such statement line in ledger {ledger}"
            )));
        }
    }
    let docs = store
        .documents_by_keys(ledger, &a.documents)
        .map_err(Failure::store)?;
    for k in &a.documents {
        if !docs.iter().any(|d| &d.natural_key == k) {
            return Err(bad(format!(
                "--doc {k}: no such document in ledger {ledger}"
            )));
        }
    }
    let booked_on = lines
        .iter()
        .map(|l| l.facts.booking_date)
        .max()
        .unwrap_or_default();
    let amount: rust_decimal::Decimal = lines.iter().map(|l| l.facts.amount).sum();
    let account = lines[0].facts.account.clone();
    if lines.iter().any(|l| l.facts.account != account) {
        return Err(bad(
            "--line: all lines of a manual match must be on one bank account".into(),
        ));
    }
    let ctx = MatchContext {
        rule: "manual".into(),
        ids: a.lines.iter().chain(&a.documents).cloned().collect(),
        booked_on,
        value_date: booked_on,
        memo: a.reason.clone(),
    };
    let receipts: Vec<&Receipt> = docs
        .iter()
        .filter_map(|d| match &d.document {
            Document::Receipt(r) => Some(r),
            _ => None,
        })
        .collect();
    let entry = if receipts.len() == docs.len() {
        if lines.iter().any(|l| l.facts.direction != Direction::Credit) {
            return Err(bad("receipts can only be matched to credit lines".into()));
        }
        let channels = posting::channels_of(&receipts).map_err(Failure::input)?;
        let revenue = posting::revenue_of(&receipts).map_err(Failure::input)?;
        posting::match_receipts_to_credit(&ctx, &account, amount, &channels, &revenue)
            .map_err(Failure::input)?
    } else if let [d] = docs.as_slice() {
        match &d.document {
            Document::Sts(s) => {
                posting::match_sts_to_credit(&ctx, &account, amount, &s.opd, &s.lines)
                    .map_err(Failure::input)?
            }
            Document::Sp2d(s) => {
                let debits: Vec<(String, rust_decimal::Decimal)> = lines
                    .iter()
                    .map(|l| (l.facts.account.clone(), l.facts.amount))
                    .collect();
                posting::match_sp2d_to_debits(&ctx, &s.account, &debits).map_err(Failure::input)?
            }
            _ => {
                return Err(bad(
                    "--doc: BKU lines are not matched; they are compared".into()
                ))
            }
        }
    } else {
        return Err(bad(
            "--doc: give receipts only, or exactly one STS or SP2D".into()
        ));
    };
    let joins = ctx.ids.clone();
    Ok(NewProposal {
        kind: ProposalKind::ManualMatch,
        reason: a.reason.clone(),
        proposed_by: who.to_string(),
        entries: vec![NewEntry { entry, joins }],
    })
}

/// Last day of a `YYYY-MM` month.
pub fn month_end(period: &str) -> Result<NaiveDate, Failure> {
    let first = NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d")
        .map_err(|_| bad(format!("period {period}: expected YYYY-MM")))?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    next.and_then(|d| d.pred_opt())
        .ok_or_else(|| bad(format!("period {period}: out of range")))
}

pub fn period_cmd(cli: &Cli, cmd: &PeriodCmd) -> CmdResult {
    let cfg = load_config(&cli.config)?;
    let mut store = open_store(&cli.db)?;
    let ledger = ledger_of(store.as_mut(), &cfg)?;
    match cmd {
        PeriodCmd::Close { period } => {
            let through = month_end(period)?;
            store
                .close_period(&ledger, through, &actor())
                .map_err(Failure::store)?;
            eprintln!(
                "period closed through {through}; later facts for it are booked in the open period"
            );
            Ok(())
        }
        PeriodCmd::Status => {
            let closed = store.closed_through(&ledger).map_err(Failure::store)?;
            let json = serde_json::json!({"ledger": ledger, "closed_through": closed});
            let mut t = Table::new(["ledger", "closed through"]);
            t.push([
                ledger,
                closed
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "nothing closed".into()),
            ]);
            output::print(cli.format, &t, Some(&json)).map_err(Failure::input)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::month_end;

    #[test]
    fn month_ends() {
        assert_eq!(month_end("2026-02").unwrap().to_string(), "2026-02-28");
        assert_eq!(month_end("2024-02").unwrap().to_string(), "2024-02-29");
        assert_eq!(month_end("2026-12").unwrap().to_string(), "2026-12-31");
        assert!(month_end("2026-13").is_err());
        assert!(month_end("March").is_err());
    }
}
