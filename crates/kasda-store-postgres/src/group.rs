//! Group commit of small appends shared by a store and its clones ([`crate::PgStore::try_clone`]).
//!
//! One durable commit per entry costs one disk flush per entry, and the ledger's chain is
//! serial, so writers of one hot ledger each waiting for their own flush cannot go faster than
//! the disk flushes. Threads of one process share a [`GroupCommit`] instead: a small append
//! ([`eligible`]) joins a queue; whoever finds no leader becomes the leader, takes every queued
//! append of the ledger at the head of the queue and writes them with ONE call of
//! `kasda_append_group` (migration 0005) in one transaction — one round trip, one set of
//! statement triggers and one COMMIT-time check — and wakes each caller with its own outcome.
//!
//! Leadership passes on as soon as the group's COMMIT is answered, while its durable flush is
//! still on its way: the next leader builds on the committed head, and the two flushes are
//! grouped by PostgreSQL. A caller is answered only after its flush (the WAL is one ordered
//! stream, so once it is on disk so is every group before it): durable on return, with
//! `synchronous_commit` left as the server has it for the flush.
//!
//! Failures stay with their caller. What the client can check alone (each entry's own
//! validity, the actor's length) is checked before a caller joins the queue; a caller that
//! needs an exact error from ledger state (closed period, missing reversed entry) is taken out
//! of the group by the database and repeats its append alone afterwards; if the group's
//! transaction fails as a whole, every caller of it repeats its append alone, so only a bad
//! one fails. A group of one is not a group: its caller appends alone at once.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use kasda_store::{
    check_entry, now_micros, validate_ledger_code, AppendOutcome, NewEntry, RunInfo, StoreError,
    MAX_LABEL,
};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Client;

use crate::map_err;
use crate::write::{canonical_header, check_returned, json_text, SmallColumns, FAST_APPEND_MAX};

/// Most callers written by one group.
const MAX_GROUP_CALLERS: usize = 256;

/// The call of `kasda_append_group` (schema/postgres/0005_append_group.sql).
const APPEND_GROUP_CALL: &str = "SELECT run_ids, fresh, head, seqs, hashes FROM kasda_append_group(
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
    $21, $22, $23, $24, $25)";

/// The queue of small appends waiting for a leader, shared by a store and its clones.
#[derive(Default)]
pub(crate) struct GroupCommit {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Waiter>,
    /// Someone leads (or has been told to): new callers only queue.
    leading: bool,
}

/// One caller's append, waiting in the queue.
struct Waiter {
    ledger: String,
    run: RunInfo,
    entries: Vec<NewEntry>,
    slot: Arc<Slot>,
}

/// Where a waiting caller is told what to do next.
#[derive(Default)]
struct Slot {
    word: Mutex<Option<Word>>,
    ready: Condvar,
}

enum Word {
    /// Take the lead (the caller is still queued).
    Lead,
    /// The group wrote the caller's append (or failed after its commit).
    Done(Result<AppendOutcome, StoreError>),
    /// Append alone: the caller's append is handed back.
    Alone(RunInfo, Vec<NewEntry>),
}

/// What a caller of [`append`] gets.
pub(crate) enum Grouped {
    Done(Result<AppendOutcome, StoreError>),
    /// Append alone on the ordinary path.
    Alone(RunInfo, Vec<NewEntry>),
}

/// Recovers the guard of a poisoned lock: the state is a queue and a flag, both consistent
/// between statements.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Slot {
    fn tell(&self, word: Word) {
        *lock(&self.word) = Some(word);
        self.ready.notify_one();
    }

    fn wait(&self) -> Word {
        let mut word = lock(&self.word);
        loop {
            if let Some(w) = word.take() {
                return w;
            }
            word = self.ready.wait(word).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The same error for each caller of a group: corruption stays corruption, anything else is
/// told with its message.
fn copy_of(e: &StoreError) -> StoreError {
    match e {
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
        StoreError::Backend { operation, message } => {
            StoreError::backend(operation.clone(), message)
        }
        other => StoreError::backend("append entries", other),
    }
}

/// Whether an append may join a group: a few entries, each valid on its own, a valid ledger
/// code and actor. Anything else takes the ordinary path, which names the problem exactly.
pub(crate) fn eligible(ledger: &str, run: &RunInfo, entries: &[NewEntry]) -> bool {
    entries.len() <= FAST_APPEND_MAX
        && validate_ledger_code(ledger).is_ok()
        && run.actor.len() <= MAX_LABEL
        && entries
            .iter()
            .all(|n| check_entry(ledger, &n.entry, None).is_ok())
}

impl GroupCommit {
    /// Hands leadership to the first queued caller, or ends it.
    fn pass_on(&self) {
        let mut st = lock(&self.state);
        match st.queue.front() {
            Some(next) => next.slot.tell(Word::Lead),
            None => st.leading = false,
        }
    }

    /// The queued appends of the ledger at the head of the queue (queue order), at most
    /// [`MAX_GROUP_CALLERS`] callers and [`FAST_APPEND_MAX`] entries.
    fn take(&self) -> Vec<Waiter> {
        let mut st = lock(&self.state);
        let Some(ledger) = st.queue.front().map(|w| w.ledger.clone()) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        let mut rest = VecDeque::new();
        let mut entries = 0;
        while let Some(w) = st.queue.pop_front() {
            let fits = taken.is_empty()
                || (taken.len() < MAX_GROUP_CALLERS
                    && entries + w.entries.len() <= FAST_APPEND_MAX);
            if w.ledger == ledger && fits {
                entries += w.entries.len();
                taken.push(w);
            } else {
                rest.push_back(w);
            }
        }
        st.queue = rest;
        taken
    }
}

/// Appends through the group of `group`, leading on `client` (blocking on `rt`) when it is
/// this caller's turn.
pub(crate) fn append(
    group: &Arc<GroupCommit>,
    client: &mut Client,
    rt: &tokio::runtime::Runtime,
    ledger: &str,
    run: RunInfo,
    entries: Vec<NewEntry>,
) -> Grouped {
    let slot = Arc::new(Slot::default());
    let mut lead = {
        let mut st = lock(&group.state);
        st.queue.push_back(Waiter {
            ledger: ledger.to_string(),
            run,
            entries,
            slot: slot.clone(),
        });
        !std::mem::replace(&mut st.leading, true)
    };
    loop {
        if lead {
            rt.block_on(lead_one_group(group, client));
        }
        match slot.wait() {
            Word::Lead => lead = true,
            Word::Done(r) => return Grouped::Done(r),
            Word::Alone(run, entries) => return Grouped::Alone(run, entries),
        }
    }
}

/// What one group call answered: per caller its run (None: taken out), per entry whether it
/// is new, the head before the group, the new seqs and hashes.
struct GroupAnswer {
    run_ids: Vec<Option<i64>>,
    fresh: Vec<bool>,
    head: String,
    seqs: Vec<i64>,
    hashes: Vec<String>,
}

/// Takes a group from the queue, writes it, passes the lead on after COMMIT and answers every
/// caller after the flush.
async fn lead_one_group(group: &GroupCommit, client: &mut Client) {
    let waiters = group.take();
    if waiters.is_empty() {
        group.pass_on();
        return;
    }
    let ledger = waiters[0].ledger.clone();
    let result = write_group(group, client, &ledger, &waiters).await;
    match result {
        Ok(Some(answer)) => answer_callers(&ledger, waiters, answer),
        Ok(None) => {
            for w in waiters {
                w.slot.tell(Word::Alone(w.run, w.entries));
            }
        }
        Err(e) => {
            for w in waiters {
                w.slot.tell(Word::Done(Err(copy_of(&e))));
            }
        }
    }
}

/// Writes `waiters` (one ledger) with one call of `kasda_append_group`, passing
/// the lead on once COMMIT is answered. `Ok(None)`: nothing was written and every caller must
/// append alone (the group's transaction failed, or the database lacks migration 0005).
/// `Err`: the group committed but its flush failed.
async fn write_group(
    group: &GroupCommit,
    client: &mut Client,
    ledger: &str,
    waiters: &[Waiter],
) -> Result<Option<GroupAnswer>, StoreError> {
    let header = canonical_header(ledger);
    let mut cols = SmallColumns::default();
    let mut kinds = Vec::with_capacity(waiters.len());
    let mut actors = Vec::with_capacity(waiters.len());
    let mut details = Vec::with_capacity(waiters.len());
    for (c, w) in waiters.iter().enumerate() {
        let text = json_text("run details", &w.run.details);
        if !cols.push(ledger, &header, c as i32 + 1, &w.entries) || text.is_err() {
            group.pass_on();
            return Ok(None);
        }
        kinds.push(w.run.kind.as_str());
        actors.push(w.run.actor.as_str());
        details.push(text.unwrap_or_default());
    }
    let now = now_micros();
    let params: [(&(dyn ToSql + Sync), Type); 25] = [
        (&ledger, Type::TEXT),
        (&now, Type::TIMESTAMPTZ),
        (&kinds, Type::TEXT_ARRAY),
        (&actors, Type::TEXT_ARRAY),
        (&details, Type::TEXT_ARRAY),
        (&cols.e_caller, Type::INT4_ARRAY),
        (&cols.e_kind, Type::TEXT_ARRAY),
        (&cols.e_booked, Type::DATE_ARRAY),
        (&cols.e_value, Type::DATE_ARRAY),
        (&cols.e_key, Type::TEXT_ARRAY),
        (&cols.e_pos, Type::TEXT_ARRAY),
        (&cols.e_memo, Type::TEXT_ARRAY),
        (&cols.e_rev, Type::INT8_ARRAY),
        (&cols.e_tail, Type::BYTEA_ARRAY),
        (&cols.p_entry, Type::INT4_ARRAY),
        (&cols.p_idx, Type::INT4_ARRAY),
        (&cols.p_account, Type::TEXT_ARRAY),
        (&cols.p_acc_kind, Type::TEXT_ARRAY),
        (&cols.p_acc_qual, Type::TEXT_ARRAY),
        (&cols.p_side, Type::TEXT_ARRAY),
        (&cols.p_amount, Type::NUMERIC_ARRAY),
        (&cols.p_cur, Type::TEXT_ARRAY),
        (&cols.j_entry, Type::INT4_ARRAY),
        (&cols.j_idx, Type::INT4_ARRAY),
        (&cols.j_key, Type::TEXT_ARRAY),
    ];

    // Every message goes out before any answer is awaited; the lead passes on when COMMIT is
    // answered, the callers are answered after the flush.
    let written = async {
        let answers = futures_util::join!(
            client.batch_execute("BEGIN; SET LOCAL synchronous_commit = off"),
            client.query_typed(APPEND_GROUP_CALL, &params),
            client.batch_execute("COMMIT"),
        );
        group.pass_on();
        answers
    };
    let flushed = client
        .batch_execute("BEGIN; SELECT pg_logical_emit_message(true, 'kasda.flush', ''); COMMIT");
    let ((begun, called, committed), flushed) = futures_util::join!(written, flushed);
    let rows = match (begun, called, committed) {
        (Ok(()), Ok(rows), Ok(())) => rows,
        _ => {
            // Nothing of the group was committed (COMMIT of an aborted transaction rolls
            // back; the flush ran as its own transaction). Leave the session idle.
            let _ = client.batch_execute("ROLLBACK").await;
            return Ok(None);
        }
    };
    flushed.map_err(|e| map_err("append entries: flush", e))?;
    let row = rows
        .first()
        .ok_or_else(|| StoreError::Corrupt("kasda_append_group returned no row".into()))?;
    Ok(Some(GroupAnswer {
        run_ids: row.get(0),
        fresh: row.get(1),
        head: row.get(2),
        seqs: row.get(3),
        hashes: row.get(4),
    }))
}

/// Checks the group's answer (every hash recomputed) and tells each caller its outcome; a
/// caller taken out of the group appends alone.
fn answer_callers(ledger: &str, waiters: Vec<Waiter>, answer: GroupAnswer) {
    let entries: usize = waiters.iter().map(|w| w.entries.len()).sum();
    if answer.run_ids.len() != waiters.len() || answer.fresh.len() != entries {
        let e = StoreError::Corrupt(format!(
            "kasda_append_group answered for {} callers and {} entries, expected {} and {entries}",
            answer.run_ids.len(),
            answer.fresh.len(),
            waiters.len()
        ));
        for w in waiters {
            w.slot.tell(Word::Done(Err(copy_of(&e))));
        }
        return;
    }
    let mut prev = answer.head;
    let mut k = 0;
    let mut at = 0;
    let mut failed: Option<StoreError> = None;
    for (w, run_id) in waiters.into_iter().zip(answer.run_ids) {
        let fresh = &answer.fresh[at..at + w.entries.len()];
        at += w.entries.len();
        let Some(run_id) = run_id else {
            w.slot.tell(Word::Alone(w.run, w.entries));
            continue;
        };
        if let Some(e) = &failed {
            w.slot.tell(Word::Done(Err(copy_of(e))));
            continue;
        }
        let from = k;
        let word = match check_returned(
            ledger,
            &mut prev,
            &w.entries,
            fresh,
            &answer.seqs,
            &answer.hashes,
            &mut k,
        ) {
            Ok(duplicates) => Word::Done(Ok(AppendOutcome {
                run_id,
                appended: answer.seqs[from..k].to_vec(),
                duplicates,
            })),
            Err(e) => {
                failed = Some(copy_of(&e));
                Word::Done(Err(e))
            }
        };
        w.slot.tell(word);
    }
}

#[cfg(test)]
mod tests {
    //! A group written in one call against the same appends made one by one in the memory
    //! store (the oracle), and callers taken out of a group.
    use super::*;
    use crate::{testing, PgStore};
    use chrono::NaiveDate;
    use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, JournalEntry, Posting};
    use kasda_store::{RunKind, Store};
    use rust_decimal::Decimal;

    const LEDGER: &str = "kota-group";

    fn entry(key: &str, d: u32, cents: i64, reverses: Option<i64>, joins: &[&str]) -> NewEntry {
        let day = NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
        let amount = Decimal::new(cents, 2);
        NewEntry {
            entry: JournalEntry::new(
                if reverses.is_some() {
                    EntryKind::Reversal
                } else {
                    EntryKind::Fee
                },
                day,
                day,
                key.to_string(),
                "pos:1",
                format!("biaya {key} — é"),
                reverses,
                vec![
                    Posting::debit(AccountKey::new(AccountKind::BebanBank, "0011"), amount),
                    Posting::credit(AccountKey::new(AccountKind::KasDaerah, &key[..1]), amount),
                ],
            )
            .expect("valid entry"),
            joins: joins.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Writes `calls` as one group on `pg` (the lead passed to nobody) and returns each
    /// caller's word.
    fn group_of(pg: &mut PgStore, calls: &[Vec<NewEntry>]) -> Vec<Word> {
        let group = GroupCommit::default();
        let slots: Vec<Arc<Slot>> = calls.iter().map(|_| Arc::new(Slot::default())).collect();
        {
            let mut st = lock(&group.state);
            st.leading = true;
            for (i, (call, slot)) in calls.iter().zip(&slots).enumerate() {
                st.queue.push_back(Waiter {
                    ledger: LEDGER.into(),
                    run: RunInfo::new(RunKind::Reconcile, format!("caller {i}")),
                    entries: call.clone(),
                    slot: slot.clone(),
                });
            }
        }
        let PgStore { client, rt, .. } = pg;
        rt.block_on(lead_one_group(&group, client));
        assert!(!lock(&group.state).leading, "the lead ended");
        slots.iter().map(|s| s.wait()).collect()
    }

    #[test]
    fn a_group_appends_what_its_callers_would_append_one_by_one() {
        let (mut pg, mut mem) = testing::store_and_oracle(LEDGER);
        let first = vec![vec![entry("a", 3, 1_000, None, &["line:1"])]];
        let calls = vec![
            vec![
                entry("b", 4, 2_001, None, &[]),
                entry("a", 3, 1_000, None, &[]),
            ],
            // Reverses an entry appended by the caller before it in the same group.
            vec![entry("c", 5, 2_001, Some(2), &["doc:1", "doc:2"])],
            // A key the first caller of the group appended: a duplicate; and a new account.
            vec![
                entry("b", 4, 2_001, None, &[]),
                entry("d", 6, 700, Some(1), &[]),
            ],
            vec![],
        ];
        for (i, call) in first.iter().chain(&calls).enumerate() {
            mem.append_entries(
                LEDGER,
                RunInfo::new(RunKind::Reconcile, format!("m{i}")),
                call.clone(),
            )
            .expect("memory append");
        }
        // A group of one.
        match &group_of(&mut pg, &first)[0] {
            Word::Done(Ok(o)) => assert_eq!(o.appended, vec![1]),
            _ => panic!("a group of one was not written"),
        }
        let words = group_of(&mut pg, &calls);
        let mut runs = Vec::new();
        let mut outcomes = Vec::new();
        for w in words {
            match w {
                Word::Done(Ok(o)) => {
                    runs.push(o.run_id);
                    outcomes.push((o.appended, o.duplicates));
                }
                Word::Done(Err(e)) => panic!("group failed: {e}"),
                _ => panic!("a caller was not written by the group"),
            }
        }
        assert_eq!(
            outcomes,
            vec![
                (vec![2], vec!["a".to_string()]),
                (vec![3], vec![]),
                (vec![4], vec!["b".to_string()]),
                (vec![], vec![]),
            ]
        );
        let pg_report = pg.verify(LEDGER).expect("pg verify");
        let mem_report = mem.verify(LEDGER).expect("memory verify");
        assert_eq!(pg_report.first_bad, None);
        assert_eq!(pg_report.entries, 4);
        assert_eq!(pg_report.head_hash, mem_report.head_hash);
        assert!(pg.check_aggregates(LEDGER).expect("aggregates").is_empty());
        let first_run = runs[0];
        assert_eq!(runs, (first_run..first_run + 4).collect::<Vec<_>>());
        assert_eq!(
            pg.runs(LEDGER).expect("runs").len(),
            mem.runs(LEDGER).expect("runs").len()
        );
        let mut joins = pg
            .entry_joins(LEDGER, &[1, 2, 3, 4])
            .expect("joins")
            .into_iter()
            .map(|(seq, key)| format!("{seq}:{key}"))
            .collect::<Vec<_>>();
        joins.sort();
        assert_eq!(joins, vec!["1:line:1", "3:doc:1", "3:doc:2"]);
    }

    #[test]
    fn a_caller_needing_an_exact_error_leaves_the_group_alone() {
        let (mut pg, mut mem) = testing::store_and_oracle(LEDGER);
        pg.close_period(
            LEDGER,
            NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"),
            "kepala",
        )
        .expect("close");
        mem.close_period(
            LEDGER,
            NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"),
            "kepala",
        )
        .expect("close");
        let calls = vec![
            vec![entry("a", 6, 1_000, None, &[])],
            // Second entry in the closed period: the whole caller leaves the group.
            vec![
                entry("b", 7, 1_000, None, &[]),
                entry("c", 5, 1_000, None, &[]),
            ],
            // Reverses an entry that does not exist.
            vec![entry("d", 8, 1_000, Some(9), &[])],
            // Follows the callers taken out: numbered right after the first caller.
            vec![entry("e", 9, 1_000, Some(1), &[])],
        ];
        let words = group_of(&mut pg, &calls);
        let mut alone = Vec::new();
        let mut written = Vec::new();
        for (i, w) in words.into_iter().enumerate() {
            match w {
                Word::Done(Ok(o)) => written.push((i, o.run_id, o.appended)),
                Word::Alone(run, entries) => alone.push((i, run, entries)),
                Word::Done(Err(e)) => panic!("caller {i} failed in the group: {e}"),
                Word::Lead => panic!("caller {i} told to lead"),
            }
        }
        assert_eq!(written.len(), 2);
        assert_eq!((written[0].0, &written[0].2), (0, &vec![1]));
        assert_eq!((written[1].0, &written[1].2), (3, &vec![2]));
        assert_eq!(written[1].1, written[0].1 + 1, "consecutive runs");
        assert_eq!(
            alone.iter().map(|a| a.0).collect::<Vec<_>>(),
            vec![1, 2],
            "the bad callers are handed back"
        );
        for (_, run, entries) in alone {
            let pg_err = pg.append_entries(LEDGER, run.clone(), entries.clone());
            let mem_err = mem.append_entries(LEDGER, run, entries);
            assert!(pg_err.is_err());
            assert_eq!(format!("{pg_err:?}"), format!("{mem_err:?}"));
        }
        assert_eq!(pg.verify(LEDGER).expect("verify").first_bad, None);
    }
}
