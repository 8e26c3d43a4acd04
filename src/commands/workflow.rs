//! Maker-checker (`kasda match propose|approve|reject|list`) and period locks
//! (`kasda period close`). A proposal's entries are built and validated when proposed and
//! appended only when a different user approves; both steps are runs in the trail.

use chrono::{Datelike, NaiveDate};
use kasda_core::config::{AccountRole as ConfigRole, Config};
use kasda_core::document::{Document, Receipt};
use kasda_core::ledger::{AccountKey, AccountKind};
use kasda_core::money::{display_idr, Direction};
use kasda_core::posting::{self, MatchContext, OpeningContext};
use kasda_store::{NewEntry, NewProposal, ProposalKind, Store, StoredStatement};
use rust_decimal::Decimal;

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
            let mut opening_json = serde_json::Value::Null;
            let proposal = match &a.opening_balance {
                Some(account) => {
                    let opening =
                        build_opening_balance(store.as_mut(), &ledger, &cfg, a, account, &who)?;
                    for w in &opening.warnings {
                        eprintln!("warning: {w}");
                    }
                    opening_json = serde_json::json!({
                        "account": opening.account.to_string(),
                        "amount": opening.amount.to_string(),
                        "bank_opening": opening.bank_opening.map(|b| b.to_string()),
                        "warnings": opening.warnings,
                    });
                    opening.proposal
                }
                None => build_proposal(store.as_mut(), &ledger, a, &who)?,
            };
            let kind = proposal.kind;
            let total: rust_decimal::Decimal =
                proposal.entries.iter().map(|e| e.entry.total()).sum();
            let memo = proposal.entries.first().map(|e| e.entry.memo.clone());
            let id = store.propose(&ledger, proposal).map_err(Failure::store)?;
            if kind == ProposalKind::OpeningBalance {
                if let Some(memo) = memo {
                    eprintln!("{memo}");
                }
            }
            let json = serde_json::json!({
                "proposal": id,
                "kind": kind.as_str(),
                "proposed_by": who,
                "amount": total.to_string(),
                "opening_balance": opening_json,
            });
            let mut t = Table::new(["proposal", "kind", "proposed by", "amount"]).numeric(&[0, 3]);
            t.push([
                id.to_string(),
                kind.as_str().to_string(),
                who,
                display_idr(total),
            ]);
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

/// An opening-balance proposal with what the proposer should know about it.
pub struct OpeningProposal {
    pub proposal: NewProposal,
    /// The kas account it books.
    pub account: AccountKey,
    pub amount: Decimal,
    /// The bank's opening balance it was compared with (or taken from), if a statement exists.
    pub bank_opening: Option<Decimal>,
    pub warnings: Vec<String>,
}

/// The kas account `arg` names: a ledger key (kas-daerah/N, kas-penampungan/N) or an account
/// number, placed by the configuration's register (an unregistered account with statements is
/// posted like a holding account, as its statement lines are).
fn opening_account(
    cfg: &Config,
    arg: &str,
    statements: &mut dyn FnMut(&str) -> Result<Vec<StoredStatement>, Failure>,
) -> Result<(AccountKey, Vec<StoredStatement>), Failure> {
    let arg = arg.trim();
    let (key, registered) = if arg.contains('/') {
        let key = AccountKey::parse(arg).map_err(|e| bad(format!("--opening-balance: {e}")))?;
        if !matches!(
            key.kind(),
            AccountKind::KasDaerah | AccountKind::KasPenampungan
        ) {
            return Err(bad(format!(
                "--opening-balance {arg}: expected a kas-daerah/NUMBER or kas-penampungan/NUMBER account, found kind {}",
                key.kind().as_str()
            )));
        }
        // The statement lines of the account post under the kind its register entry gives;
        // the opening balance must post to the same account.
        let (expected, registered) = match cfg.account_role(key.qualifier()) {
            Some(ConfigRole::Rkud) => (AccountKind::KasDaerah, true),
            Some(ConfigRole::Holding) => (AccountKind::KasPenampungan, true),
            Some(ConfigRole::OpdReceiving) => (AccountKind::KasBendaharaPenerimaan, true),
            None => (AccountKind::KasPenampungan, false),
        };
        if key.kind() != expected {
            return Err(bad(format!(
                "--opening-balance {arg}: expected {}/{} (how kasda.toml's register places the account and its statement lines post), found {}",
                expected.as_str(),
                key.qualifier(),
                key.kind().as_str()
            )));
        }
        (key, registered)
    } else {
        match cfg.account_role(arg) {
            Some(ConfigRole::Rkud) => (AccountKey::new(AccountKind::KasDaerah, arg), true),
            Some(ConfigRole::Holding) => (AccountKey::new(AccountKind::KasPenampungan, arg), true),
            Some(ConfigRole::OpdReceiving) => {
                return Err(bad(format!(
                    "--opening-balance {arg}: expected an RKUD or holding account, found a bendahara penerimaan account (its opening balance is the bendahara's BKU)"
                )))
            }
            None => (AccountKey::new(AccountKind::KasPenampungan, arg), false),
        }
    };
    let found = statements(key.qualifier())?;
    if !registered && found.is_empty() {
        return Err(bad(format!(
            "--opening-balance {arg}: unknown account: not in kasda.toml's account register and no statement of it imported"
        )));
    }
    Ok((key, found))
}

/// Date of a statement's opening balance: the balance's own date, else the statement's start.
fn opening_date(s: &StoredStatement) -> Option<NaiveDate> {
    let b = s.header.opening.as_ref()?;
    b.date.or(s.header.from.map(|t| t.date()))
}

/// The statement whose opening balance is the saldo awal on `on`: the statement covering `on`
/// (its period from..=to contains it), else the earliest statement; only statements that state
/// an opening balance count. Ties go to the earlier import and statement index.
fn opening_statement(statements: &[StoredStatement], on: NaiveDate) -> Option<&StoredStatement> {
    let order = |s: &&StoredStatement| (opening_date(s), s.run_id, s.index);
    let with_opening = || statements.iter().filter(|s| opening_date(s).is_some());
    with_opening()
        .filter(|s| {
            let from = s.header.from.map(|t| t.date()).or(opening_date(s));
            let to = s.header.to.map(|t| t.date());
            from.is_some_and(|f| f <= on) && to.is_some_and(|t| on <= t)
        })
        .min_by_key(order)
        .or_else(|| with_opening().min_by_key(order))
}

/// `kasda match propose --opening-balance ACCOUNT --on DATE [--amount X]`: the account's agreed
/// opening balance as a proposal of kind opening_balance. Without `--amount` the figure is the
/// bank's opening balance of [`opening_statement`]; the memo names that statement (id, file,
/// sha256, line) so that `kasda trail --ref` leads from the entry to it. `--on` must not be after
/// the account's first booked movement (a later adjustment is a correction). The store refuses a
/// second opening balance of the account; the approval is a different user's.
pub fn build_opening_balance(
    store: &mut dyn Store,
    ledger: &str,
    cfg: &Config,
    a: &ProposeArgs,
    account_arg: &str,
    who: &str,
) -> Result<OpeningProposal, Failure> {
    if a.reason.trim().is_empty() {
        return Err(bad(
            "--reason: expected the reason for the opening balance (e.g. the BUD's agreement), found nothing".into(),
        ));
    }
    let on = a.on.ok_or_else(|| {
        bad("--opening-balance needs --on YYYY-MM-DD (the day the saldo awal is booked on)".into())
    })?;
    let (key, statements) = opening_account(cfg, account_arg, &mut |number| {
        store
            .statements(ledger, Some(number))
            .map_err(Failure::store)
    })?;
    let source = opening_statement(&statements, on);
    let bank_opening = source.and_then(|s| s.header.opening.as_ref().map(|b| b.amount));
    let amount = match (a.amount, bank_opening) {
        (Some(x), _) => x,
        (None, Some(b)) => b,
        (None, None) => {
            return Err(bad(format!(
                "--opening-balance {key}: no statement of account {} with an opening balance in ledger {ledger}; import its first statement or give --amount",
                key.qualifier()
            )))
        }
    };
    let mut warnings = Vec::new();
    if let (Some(x), Some(b)) = (a.amount, bank_opening) {
        if x != b {
            warnings.push(format!(
                "--amount {} differs from the bank's opening balance {} on the statement: the BAR will show the difference {} as selisih saldo awal",
                display_idr(x),
                display_idr(b),
                display_idr(b - x)
            ));
        }
    }
    // "On or before the first movement": nothing booked on the account before `on`.
    if let Some(before) = on.pred_opt() {
        let since = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(before);
        if since <= before {
            let moved = store
                .day_movements(ledger, &key, since, before)
                .map_err(Failure::store)?;
            if let Some(first) = moved.first() {
                return Err(bad(format!(
                    "--on {on}: account {key} already has booked movements from {} (before the opening date); a saldo awal is booked on or before the account's first movement — a later adjustment is a correction, not an opening balance",
                    first.day
                )));
            }
        }
    }
    let mut occurrence = 1u32;
    loop {
        let k = posting::opening_balance_key(&key, occurrence);
        if store
            .entries_by_keys(ledger, std::slice::from_ref(&k))
            .map_err(Failure::store)?
            .is_empty()
        {
            break;
        }
        occurrence += 1;
    }
    let from_statement = match source {
        Some(s) => format!(
            "rekening koran {} (file {}, sha256 {}, baris {}; saldo awal bank {}{})",
            s.header.statement_id.as_deref().unwrap_or("tanpa nomor"),
            s.file_name,
            s.file_sha256.get(..16).unwrap_or(&s.file_sha256),
            s.header.pos.line,
            display_idr(bank_opening.unwrap_or_default()),
            opening_date(s)
                .map(|d| format!(" per {d}"))
                .unwrap_or_default()
        ),
        None => "tanpa rekening koran".to_string(),
    };
    let memo = format!(
        "Saldo awal {key} {} per {on}; sumber: {from_statement}; {}",
        display_idr(amount),
        a.reason.trim()
    );
    let entry = posting::opening_balance(
        &OpeningContext {
            booked_on: on,
            occurrence,
            memo,
        },
        &key,
        amount,
    )
    .map_err(|e| bad(format!("--opening-balance {key}: {e}")))?;
    Ok(OpeningProposal {
        proposal: NewProposal {
            kind: ProposalKind::OpeningBalance,
            reason: a.reason.clone(),
            proposed_by: who.to_string(),
            entries: vec![entry.into()],
        },
        account: key,
        amount,
        bank_opening,
        warnings,
    })
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
