//! A generated ledger for checking a store's report aggregates against the postings: several
//! days of statement lines cleared late, never or by a reversal, SP2D paid after a few days, STS
//! in transit and runs recorded at distinct times ([`populate`]), and the check that
//! `Store::open_items` equals the lookup-based oracle ([`crate::open_items_by_lookups`]) and
//! `Store::account_flows` / `account_flows_of` equal sums over the entries themselves
//! ([`check_against_postings`]) for every date and cut-off. Each SQL store's
//! `tests/report_aggregates.rs` runs it on a fresh ledger and on one upgraded from the schema
//! before its aggregate tables.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use kasda_core::document::Document;
use kasda_core::ledger::{AccountKey, AccountKind, EntryKind, StoredEntry};
use kasda_core::posting::{self, MatchContext};
use rust_decimal::Decimal;

use super::{day, document_batch, line, sp2d, statement_batch, sts, LEDGER, RKUD};
use crate::{NewEntry, RunInfo, RunKind, Store};

pub const OPDS: [&str; 2] = ["1.01.01", "1.02.01"];

/// A small deterministic generator (64-bit LCG), so a failure names a reproducible ledger.
pub struct Lcg(pub u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn ctx(rule: &str, ids: Vec<String>, d: NaiveDate, memo: &str) -> MatchContext {
    MatchContext {
        rule: rule.into(),
        ids,
        booked_on: d,
        value_date: d,
        memo: memo.into(),
    }
}

pub fn idr(whole: i64) -> Decimal {
    Decimal::new(whole * 100, 2)
}

pub fn tick() {
    std::thread::sleep(Duration::from_millis(3));
}

pub fn must<T, E: std::fmt::Display>(what: &str, r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Something to clear later: (natural key, amount, kind of clearing).
#[derive(Clone)]
pub enum Pending {
    /// A credit line on RKUD (in suspense) that an STS explains.
    StsCredit {
        line: String,
        sts: String,
        opd: String,
        amount: i64,
    },
    /// An unknown credit line: cleared by a write-off, reversed, or left open.
    Unknown { line: String, amount: i64 },
    /// A debit line paying an SP2D.
    Sp2dDebit {
        line: String,
        sp2d: String,
        amount: i64,
    },
    /// A debit line of bank charges.
    Charge { line: String, amount: i64 },
}

/// Writes `days` days starting at `first` (days of March 2026) and returns the time just
/// after each run (the cut-offs to check).
pub fn populate<S: Store>(s: &mut S, rng: &mut Lcg, first: u32, days: u32) -> Vec<DateTime<Utc>> {
    let mut cutoffs = Vec::new();
    let mut pending: Vec<(u32, Pending)> = Vec::new();
    for d in first..first + days {
        // Documents: STS of both OPD, SP2D.
        let mut docs = Vec::new();
        let mut lines = Vec::new();
        for (o, opd) in OPDS.iter().enumerate() {
            let number = format!("STS-{d}-{o}");
            let amount = 100 + rng.below(900) as i64;
            docs.push(Document::Sts(sts(&number, opd, "4.1.02.01.01", amount, d)));
            let reference = format!("S{d}-{o}");
            lines.push(line(d, &reference, amount, true));
            pending.push((
                d,
                Pending::StsCredit {
                    line: reference,
                    sts: format!("sts:{number}"),
                    opd: opd.to_string(),
                    amount,
                },
            ));
        }
        for k in 0..2 {
            let number = format!("SP2D-{d}-{k}");
            let amount = 1_000 + rng.below(9_000) as i64;
            docs.push(Document::Sp2d(sp2d(&number, amount, d)));
            let reference = format!("D{d}-{k}");
            lines.push(line(d, &reference, amount, false));
            pending.push((
                d,
                Pending::Sp2dDebit {
                    line: reference,
                    sp2d: format!("sp2d:{number}"),
                    amount,
                },
            ));
        }
        let unknown = format!("U{d}");
        let amount = 10 + rng.below(90) as i64;
        lines.push(line(d, &unknown, amount, true));
        pending.push((
            d,
            Pending::Unknown {
                line: unknown,
                amount,
            },
        ));
        let charge = format!("BY ADM {d}");
        lines.push(line(d, &charge, 7, false));
        pending.push((
            d,
            Pending::Charge {
                line: charge,
                amount: 7,
            },
        ));
        must(
            "documents",
            s.import_file(LEDGER, document_batch(&format!("docs-{d}"), docs)),
        );
        tick();
        cutoffs.push(Utc::now());
        must(
            "statement",
            s.import_file(LEDGER, statement_batch(&format!("stmt-{d}"), RKUD, &lines)),
        );
        tick();
        cutoffs.push(Utc::now());

        // Reconcile: each pending fact is cleared today with some chance (booked today), left
        // for later, or — unknown credits — reversed.
        let stored = must(
            "lines",
            s.statement_lines(LEDGER, Some(RKUD), day(first), day(d)),
        );
        let key_of = |reference: &str| -> String {
            let found: Vec<&crate::StoredLine> = stored
                .iter()
                .filter(|l| l.facts.natural_key.contains(&format!(":{reference}:")))
                .collect();
            assert_eq!(found.len(), 1, "one line for {reference}");
            found[0].facts.natural_key.clone()
        };
        let mut out: Vec<NewEntry> = Vec::new();
        let mut keep = Vec::new();
        for (since, p) in pending.drain(..) {
            let roll = rng.below(10);
            if roll < 4 && d < first + days - 1 {
                keep.push((since, p));
                continue;
            }
            let today = day(d);
            match p {
                Pending::StsCredit {
                    line,
                    sts,
                    opd,
                    amount,
                } => {
                    let ids = vec![key_of(&line), sts];
                    let e = must(
                        "sts match",
                        posting::match_sts_to_credit(
                            &ctx("sts", ids.clone(), today, "STS credited"),
                            RKUD,
                            idr(amount),
                            &opd,
                            &[],
                        ),
                    );
                    out.push(NewEntry {
                        entry: e,
                        joins: ids,
                    });
                }
                Pending::Sp2dDebit { line, sp2d, amount } => {
                    let ids = vec![key_of(&line), sp2d];
                    let e = must(
                        "sp2d match",
                        posting::match_sp2d_to_debits(
                            &ctx("sp2d", ids.clone(), today, "SP2D paid"),
                            RKUD,
                            &[(RKUD.to_string(), idr(amount))],
                        ),
                    );
                    out.push(NewEntry {
                        entry: e,
                        joins: ids,
                    });
                }
                Pending::Charge { line, amount } => {
                    if roll == 9 {
                        continue; // never booked
                    }
                    let ids = vec![key_of(&line)];
                    let e = must(
                        "charge",
                        posting::bank_charge(
                            &ctx("charge", ids.clone(), today, "biaya adm"),
                            RKUD,
                            idr(amount),
                        ),
                    );
                    out.push(NewEntry {
                        entry: e,
                        joins: ids,
                    });
                }
                Pending::Unknown { line, amount } => {
                    let key = key_of(&line);
                    if roll >= 8 {
                        // Reversed: the line's entry was wrong.
                        let found = must(
                            "line entry",
                            s.entries_by_keys(LEDGER, std::slice::from_ref(&key)),
                        );
                        let Some(fact) = found.first() else {
                            panic!("no entry for {key}")
                        };
                        out.push(fact.entry.reversal(fact.seq, today, "wrong line").into());
                    } else if roll >= 6 {
                        let account =
                            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, RKUD);
                        let ids = vec![key];
                        let e = must(
                            "write-off",
                            posting::write_off(
                                &ctx("identified", ids.clone(), today, "identified"),
                                &account,
                                -idr(amount),
                                "lain-lain",
                            ),
                        );
                        out.push(NewEntry {
                            entry: e,
                            joins: ids,
                        });
                    }
                    // else: left open for good.
                }
            }
        }
        pending = keep;
        if !out.is_empty() {
            must(
                "reconcile",
                s.append_entries(LEDGER, RunInfo::new(RunKind::Reconcile, "test"), out),
            );
        }
        tick();
        cutoffs.push(Utc::now());
    }
    cutoffs
}

pub fn all_entries<S: Store>(s: &mut S) -> Vec<StoredEntry> {
    super::all_entries(s)
}

pub type Flows = BTreeMap<(String, NaiveDate, String), (Decimal, Decimal)>;

/// Σ over the entries themselves: each entry's net effect per account split by sign.
pub fn expected_flows(
    entries: &[StoredEntry],
    kinds: &[AccountKind],
    from: NaiveDate,
    to: NaiveDate,
    known: Option<DateTime<Utc>>,
) -> Flows {
    let mut out = Flows::new();
    for e in entries {
        if e.entry.booked_on < from
            || e.entry.booked_on > to
            || known.is_some_and(|k| e.recorded_at > k)
        {
            continue;
        }
        let mut nets: BTreeMap<String, Decimal> = BTreeMap::new();
        for p in &e.entry.postings {
            if kinds.is_empty() || kinds.contains(&p.account.kind()) {
                *nets.entry(p.account.to_string()).or_default() += p.debit_signed();
            }
        }
        for (acct, net) in nets {
            let slot = out
                .entry((acct, e.entry.booked_on, e.entry.kind.as_str().to_string()))
                .or_default();
            if net > Decimal::ZERO {
                slot.0 += net;
            } else {
                slot.1 -= net;
            }
        }
    }
    out
}

/// Every tracked (account, kind) pair at every day and cut-off against the oracle, and the
/// flows of several periods and account kinds against the entries.
pub fn check_against_postings<S: Store>(
    s: &mut S,
    first: u32,
    last: u32,
    cutoffs: &[DateTime<Utc>],
) {
    let tracked = [
        (
            AccountKey::new(AccountKind::Sp2dBelumDicairkan, RKUD),
            EntryKind::Sp2d,
        ),
        (
            AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, RKUD),
            EntryKind::StatementLine,
        ),
        (
            AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, RKUD),
            EntryKind::StatementLine,
        ),
        (
            AccountKey::new(AccountKind::KasBendaharaPenerimaan, OPDS[0]),
            EntryKind::Sts,
        ),
        (
            AccountKey::new(AccountKind::KasBendaharaPenerimaan, OPDS[1]),
            EntryKind::Sts,
        ),
    ];
    let mut knowns: Vec<Option<DateTime<Utc>>> = vec![None];
    knowns.extend(cutoffs.iter().step_by(2).map(|t| Some(*t)));
    let mut open_seen = 0;
    for (account, kind) in &tracked {
        for d in first.saturating_sub(1).max(1)..=last + 1 {
            for known in &knowns {
                let got = must(
                    "open_items",
                    s.open_items(LEDGER, account, *kind, day(d), *known),
                );
                let want = must(
                    "open_items_by_lookups",
                    crate::open_items_by_lookups(s, LEDGER, account, *kind, day(d), *known),
                );
                assert_eq!(
                    got, want,
                    "open items of {account} ({kind:?}) at day {d}, known at {known:?}"
                );
                open_seen += got.len();
            }
        }
    }
    assert!(open_seen > 0, "the generated ledger leaves facts open");

    let entries = all_entries(s);
    let kind_sets: [&[AccountKind]; 3] = [
        &[],
        &[AccountKind::PendapatanLra, AccountKind::KasDaerah],
        &[
            AccountKind::PenerimaanBelumTeridentifikasi,
            AccountKind::Sp2dBelumDicairkan,
            AccountKind::KasBendaharaPenerimaan,
        ],
    ];
    let periods = [
        (day(first), day(last)),
        (day(first + 1), day(first + 2)),
        (day(last), day(last)),
        (day(last + 1), day(last + 3)),
    ];
    for kinds in kind_sets {
        for (from, to) in periods {
            for known in &knowns {
                let got = must(
                    "account_flows",
                    s.account_flows(LEDGER, kinds, from, to, *known),
                );
                let want = expected_flows(&entries, kinds, from, to, *known);
                let got_map: Flows = got
                    .iter()
                    .map(|f| {
                        (
                            (
                                f.account.to_string(),
                                f.day,
                                f.entry_kind.as_str().to_string(),
                            ),
                            (f.debits, f.credits),
                        )
                    })
                    .collect();
                assert_eq!(
                    got_map, want,
                    "flows {kinds:?} {from}..{to} known at {known:?}"
                );
                let order: Vec<_> = got_map.keys().cloned().collect();
                let listed: Vec<_> = got
                    .iter()
                    .map(|f| {
                        (
                            f.account.to_string(),
                            f.day,
                            f.entry_kind.as_str().to_string(),
                        )
                    })
                    .collect();
                assert_eq!(listed, order, "flows in (account, day, kind) order");
                for (account, _) in &tracked {
                    let of = must(
                        "account_flows_of",
                        s.account_flows_of(LEDGER, account, from, to, *known),
                    );
                    let mut all = must(
                        "account_flows",
                        s.account_flows(LEDGER, &[account.kind()], from, to, *known),
                    );
                    all.retain(|f| &f.account == account);
                    assert_eq!(of, all, "flows of {account} {from}..{to}");
                }
            }
        }
    }
}
