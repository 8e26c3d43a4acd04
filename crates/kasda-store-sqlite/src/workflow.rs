//! Findings (first sighting plus appended status events), maker-checker proposals and period
//! closing. All append-only: a status is the latest event, never an updated column.

use chrono::NaiveDate;
use kasda_core::posting::opening_balance_parts;
use kasda_store::{
    check_entry, limit_check, opening_balance_claim, opening_balance_key_range, same_user,
    AppendOutcome, FindingEvent, FindingInput, FindingRecord, FindingStatus, NewEntry, NewProposal,
    OpeningBalanceClaim, Proposal, ProposalKind, ProposalStatus, RunInfo, RunKind, StoreError,
    MAX_ENTRIES_PER_APPEND, MAX_LABEL,
};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::error::SqliteError;
use crate::read::corrupt;
use crate::writer::{closed_through, date_text};
use crate::{append_in_tx, insert_run, ledger_stamp, next_run_id, require_ledger, time_from_us};

fn to_json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, SqliteError> {
    serde_json::to_string(v).map_err(|e| {
        SqliteError::Store(StoreError::InvalidInput {
            field: what.to_string(),
            expected: "a value that serializes to JSON".into(),
            found: e.to_string(),
        })
    })
}

fn from_json<T: serde::de::DeserializeOwned>(
    table: &'static str,
    ledger: &str,
    key: &str,
    column: &'static str,
    text: &str,
) -> Result<T, SqliteError> {
    serde_json::from_str(text).map_err(|e| {
        corrupt(
            table,
            ledger,
            key,
            column,
            "JSON of the stored type",
            e.to_string(),
        )
    })
}

fn parse_status(ledger: &str, key: &str, s: &str) -> Result<FindingStatus, SqliteError> {
    FindingStatus::parse(s).ok_or_else(|| {
        corrupt(
            "finding_events",
            ledger,
            key,
            "status",
            "open, resolved or dismissed",
            s,
        )
    })
}

fn latest_status(
    tx: &Transaction<'_>,
    ledger: &str,
    id: &str,
) -> Result<Option<(i64, FindingStatus)>, SqliteError> {
    let row: Option<(i64, String)> = tx
        .prepare_cached(
            "SELECT event_idx, status FROM finding_events WHERE ledger = ?1 AND finding_key = ?2
             ORDER BY event_idx DESC LIMIT 1",
        )?
        .query_row(params![ledger, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((idx, s)) => Ok(Some((idx, parse_status(ledger, id, &s)?))),
    }
}

pub(crate) fn record_findings(
    tx: &Transaction<'_>,
    ledger: &str,
    run_id: i64,
    findings: &[FindingInput],
) -> Result<(), SqliteError> {
    require_ledger(tx, ledger)?;
    let run_exists: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM runs WHERE ledger = ?1 AND run_id = ?2",
            params![ledger, run_id],
            |r| r.get(0),
        )
        .optional()?;
    if run_exists.is_none() {
        return Err(StoreError::InvalidInput {
            field: "run_id".into(),
            expected: format!("a run of ledger {ledger}"),
            found: run_id.to_string(),
        }
        .into());
    }
    for f in findings {
        for (field, v) in [("finding id", &f.id), ("finding summary", &f.summary)] {
            limit_check(&format!("{field} length"), v.len(), MAX_LABEL)?;
        }
    }
    let at = ledger_stamp(tx, ledger)?;
    let mut insert_finding = tx.prepare_cached(
        "INSERT INTO findings (ledger, finding_key, rule, first_seen, first_run, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut insert_event = tx.prepare_cached(
        "INSERT INTO finding_events (ledger, finding_key, event_idx, status, at, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for f in findings {
        match latest_status(tx, ledger, &f.id)? {
            Some((idx, status)) => {
                if status != f.status {
                    insert_event.execute(params![
                        ledger,
                        f.id,
                        idx + 1,
                        f.status.as_str(),
                        at,
                        run_id
                    ])?;
                }
            }
            None => {
                insert_finding.execute(params![
                    ledger,
                    f.id,
                    f.rule,
                    at,
                    run_id,
                    to_json("finding", f)?
                ])?;
                insert_event.execute(params![ledger, f.id, 0, f.status.as_str(), at, run_id])?;
            }
        }
    }
    Ok(())
}

pub(crate) fn findings(
    tx: &Transaction<'_>,
    ledger: &str,
    open_only: bool,
) -> Result<Vec<FindingRecord>, SqliteError> {
    let mut stmt = tx.prepare_cached(
        "SELECT finding_key, first_seen, first_run, body FROM findings WHERE ledger = ?1 ORDER BY first_run, finding_key",
    )?;
    let rows = stmt
        .query_map(params![ledger], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut events_stmt = tx.prepare_cached(
        "SELECT status, at, run_id FROM finding_events WHERE ledger = ?1 AND finding_key = ?2 ORDER BY event_idx",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, first_seen, first_run, body) in rows {
        let finding: FindingInput = from_json("findings", ledger, &id, "body", &body)?;
        let raw = events_stmt
            .query_map(params![ledger, id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut events = Vec::with_capacity(raw.len());
        for (s, at, run_id) in raw {
            events.push(FindingEvent {
                run_id,
                at: time_from_us(at),
                status: parse_status(ledger, &id, &s)?,
            });
        }
        let status = events.last().map(|e| e.status).unwrap_or(finding.status);
        if open_only && status != FindingStatus::Open {
            continue;
        }
        out.push(FindingRecord {
            finding,
            first_seen_at: time_from_us(first_seen),
            first_seen_run: first_run,
            status,
            events,
        });
    }
    // Byte order of ids, as the trait states (SQLite's BINARY collation is byte order too).
    out.sort_by(|a, b| (a.first_seen_run, &a.finding.id).cmp(&(b.first_seen_run, &b.finding.id)));
    Ok(out)
}

/// The opening-balance rule (see [`kasda_store::opening_balance_claim`]): no opening-balance
/// entry of the claim's account that is not reversed (a range over the entries' natural-key
/// index), the claim's key free, and no other open opening-balance proposal (`except` excluded)
/// for the same account. Migration 0004 checks the first part once more in the database.
fn opening_balance_free(
    tx: &Transaction<'_>,
    ledger: &str,
    claim: &OpeningBalanceClaim,
    except: Option<i64>,
) -> Result<(), SqliteError> {
    let (lo, hi) = opening_balance_key_range(&claim.account);
    let booked: Vec<(i64, String, String, bool)> = tx
        .prepare_cached(
            "SELECT e.seq, e.natural_key, e.booked_on,
                    EXISTS (SELECT 1 FROM entries r WHERE r.ledger = e.ledger AND r.reverses = e.seq)
             FROM entries e
             WHERE e.ledger = ?1 AND e.natural_key >= ?2 AND e.natural_key < ?3
               AND e.kind = 'opening_balance'
             ORDER BY e.seq",
        )?
        .query_map(params![ledger, lo, hi], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (seq, key, booked_on, reversed) in booked {
        let own = key
            .strip_prefix(lo.as_str())
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if own && !reversed {
            let day = NaiveDate::parse_from_str(&booked_on, "%Y-%m-%d").map_err(|e| {
                corrupt(
                    "entries",
                    ledger,
                    &key,
                    "booked_on",
                    "a YYYY-MM-DD date",
                    e.to_string(),
                )
            })?;
            return Err(claim.refuse_booked(seq, day).into());
        }
    }
    let taken: Option<i64> = tx
        .prepare_cached("SELECT seq FROM entries WHERE ledger = ?1 AND natural_key = ?2")?
        .query_row(params![ledger, claim.natural_key], |r| r.get(0))
        .optional()?;
    if let Some(seq) = taken {
        return Err(claim.refuse_key_taken(seq).into());
    }
    let open: Vec<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT p.proposal_id, p.proposer, p.entries FROM proposals p
             WHERE p.ledger = ?1 AND p.kind = 'opening_balance'
               AND NOT EXISTS (SELECT 1 FROM approvals a
                               WHERE a.ledger = p.ledger AND a.proposal_id = p.proposal_id)
             ORDER BY p.proposal_id",
        )?
        .query_map(params![ledger], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, proposer, entries_text) in open {
        if Some(id) == except {
            continue;
        }
        let entries: Vec<NewEntry> = from_json(
            "proposals",
            ledger,
            &format!("proposal {id}"),
            "entries",
            &entries_text,
        )?;
        let same_account = entries
            .first()
            .and_then(|n| opening_balance_parts(&n.entry))
            .is_some_and(|(account, _)| account == claim.account);
        if same_account {
            return Err(claim.refuse_open(id, &proposer).into());
        }
    }
    Ok(())
}

pub(crate) fn propose(
    tx: &Transaction<'_>,
    ledger: &str,
    p: &NewProposal,
) -> Result<i64, SqliteError> {
    require_ledger(tx, ledger)?;
    limit_check(
        "entries in one proposal",
        p.entries.len(),
        MAX_ENTRIES_PER_APPEND,
    )?;
    limit_check("proposal reason length", p.reason.len(), MAX_LABEL)?;
    limit_check("proposer length", p.proposed_by.len(), MAX_LABEL)?;
    if p.proposed_by.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            field: "proposed_by".into(),
            expected: "a user name".into(),
            found: "nothing".into(),
        }
        .into());
    }
    if p.entries.is_empty() {
        return Err(StoreError::InvalidInput {
            field: "proposal entries".into(),
            expected: "at least one entry".into(),
            found: "none".into(),
        }
        .into());
    }
    let closed = closed_through(tx, ledger)?;
    for n in &p.entries {
        check_entry(ledger, &n.entry, closed)?;
    }
    if let Some(claim) = opening_balance_claim(p.kind, &p.entries)? {
        opening_balance_free(tx, ledger, &claim, None)?;
    }
    let id: i64 = tx.query_row(
        "SELECT coalesce(max(proposal_id), 0) + 1 FROM proposals WHERE ledger = ?1",
        params![ledger],
        |r| r.get(0),
    )?;
    let at = ledger_stamp(tx, ledger)?;
    tx.execute(
        "INSERT INTO proposals (ledger, proposal_id, kind, proposer, proposed_at, reason, entries)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ledger,
            id,
            p.kind.as_str(),
            p.proposed_by,
            at,
            p.reason,
            to_json("proposal entries", &p.entries)?
        ],
    )?;
    Ok(id)
}

fn load_proposals(
    tx: &Transaction<'_>,
    ledger: &str,
    only: Option<i64>,
) -> Result<Vec<Proposal>, SqliteError> {
    let mut stmt = tx.prepare_cached(
        "SELECT p.proposal_id, p.kind, p.proposer, p.proposed_at, p.reason, p.entries,
                a.decision, a.approver, a.decided_at, a.run_id, a.reason
         FROM proposals p LEFT JOIN approvals a ON a.ledger = p.ledger AND a.proposal_id = p.proposal_id
         WHERE p.ledger = ?1 AND (?2 IS NULL OR p.proposal_id = ?2) ORDER BY p.proposal_id",
    )?;
    let mut rows = stmt.query(params![ledger, only])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let key = format!("proposal {id}");
        let kind_text: String = r.get(1)?;
        let kind = ProposalKind::parse(&kind_text).ok_or_else(|| {
            corrupt(
                "proposals",
                ledger,
                &key,
                "kind",
                "manual_match, write_off, correction or opening_balance",
                &kind_text,
            )
        })?;
        let entries_text: String = r.get(5)?;
        let entries: Vec<NewEntry> =
            from_json("proposals", ledger, &key, "entries", &entries_text)?;
        let decision: Option<String> = r.get(6)?;
        let status = match decision.as_deref() {
            None => ProposalStatus::Open,
            Some("approved") => ProposalStatus::Approved {
                by: r.get(7)?,
                at: time_from_us(r.get(8)?),
                run_id: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
            },
            Some("rejected") => ProposalStatus::Rejected {
                by: r.get(7)?,
                at: time_from_us(r.get(8)?),
                reason: r.get(10)?,
            },
            Some(other) => {
                return Err(corrupt(
                    "approvals",
                    ledger,
                    key,
                    "decision",
                    "approved or rejected",
                    other,
                ))
            }
        };
        out.push(Proposal {
            id,
            kind,
            reason: r.get(4)?,
            proposed_by: r.get(2)?,
            proposed_at: time_from_us(r.get(3)?),
            entries,
            status,
        });
    }
    Ok(out)
}

pub(crate) fn proposals(
    tx: &Transaction<'_>,
    ledger: &str,
    open_only: bool,
) -> Result<Vec<Proposal>, SqliteError> {
    let mut all = load_proposals(tx, ledger, None)?;
    if open_only {
        all.retain(|p| p.status == ProposalStatus::Open);
    }
    Ok(all)
}

fn open_proposal(tx: &Transaction<'_>, ledger: &str, id: i64) -> Result<Proposal, SqliteError> {
    require_ledger(tx, ledger)?;
    let p = load_proposals(tx, ledger, Some(id))?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::UnknownProposal {
            ledger: ledger.to_string(),
            id,
        })?;
    if p.status != ProposalStatus::Open {
        return Err(StoreError::ProposalNotOpen {
            id,
            status: p.status.label().to_string(),
        }
        .into());
    }
    Ok(p)
}

pub(crate) fn approve(
    tx: &Transaction<'_>,
    ledger: &str,
    id: i64,
    approver: &str,
) -> Result<AppendOutcome, SqliteError> {
    let p = open_proposal(tx, ledger, id)?;
    if approver.trim().is_empty() || same_user(&p.proposed_by, approver) {
        return Err(StoreError::SameUserApproval {
            id,
            user: approver.to_string(),
        }
        .into());
    }
    if let Some(claim) = opening_balance_claim(p.kind, &p.entries)? {
        opening_balance_free(tx, ledger, &claim, Some(p.id))?;
    }
    let run = RunInfo {
        kind: RunKind::Manual,
        actor: approver.to_string(),
        details: serde_json::json!({
            "proposal": p.id,
            "proposal_kind": p.kind.as_str(),
            "proposed_by": p.proposed_by,
            "reason": p.reason,
        }),
    };
    let out = append_in_tx(tx, ledger, &run, &p.entries)?;
    let at: i64 = tx.query_row(
        "SELECT started_at FROM runs WHERE ledger = ?1 AND run_id = ?2",
        params![ledger, out.run_id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO approvals (ledger, proposal_id, decision, approver, decided_at, run_id, reason)
         VALUES (?1, ?2, 'approved', ?3, ?4, ?5, '')",
        params![ledger, id, approver, at, out.run_id],
    )?;
    Ok(out)
}

pub(crate) fn reject(
    tx: &Transaction<'_>,
    ledger: &str,
    id: i64,
    user: &str,
    reason: &str,
) -> Result<(), SqliteError> {
    limit_check("rejection reason length", reason.len(), MAX_LABEL)?;
    open_proposal(tx, ledger, id)?;
    let at = ledger_stamp(tx, ledger)?;
    tx.execute(
        "INSERT INTO approvals (ledger, proposal_id, decision, approver, decided_at, run_id, reason)
         VALUES (?1, ?2, 'rejected', ?3, ?4, NULL, ?5)",
        params![ledger, id, user, at, reason],
    )?;
    Ok(())
}

pub(crate) fn close_period(
    tx: &Transaction<'_>,
    ledger: &str,
    through: NaiveDate,
    actor: &str,
) -> Result<(), SqliteError> {
    limit_check("actor length", actor.len(), MAX_LABEL)?;
    require_ledger(tx, ledger)?;
    if let Some(c) = closed_through(tx, ledger)? {
        if through <= c {
            return Err(StoreError::PeriodAlreadyClosed {
                ledger: ledger.to_string(),
                closed_through: c,
                requested: through,
            }
            .into());
        }
    }
    let at = ledger_stamp(tx, ledger)?;
    let run_id = next_run_id(tx, ledger)?;
    let run = RunInfo {
        kind: RunKind::Close,
        actor: actor.to_string(),
        details: serde_json::json!({ "closed_through": date_text(through) }),
    };
    insert_run(tx, ledger, run_id, &run, at)?;
    tx.execute(
        "INSERT INTO period_locks (ledger, through_date, locked_at, actor, reason) VALUES (?1, ?2, ?3, ?4, '')",
        params![ledger, date_text(through), at, actor],
    )?;
    Ok(())
}
