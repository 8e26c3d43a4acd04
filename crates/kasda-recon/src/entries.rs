//! Journal entries for matches, built with `kasda_core::posting` (ARCHITECTURE-GUIDE §6).
//!
//! Every fact was already posted against a clearing account when it was imported (a statement
//! credit to *Penerimaan belum teridentifikasi*, a receipt to *Dana dalam perjalanan* /
//! *Penerimaan belum masuk RKUD*, an STS to *Kas di Bendahara Penerimaan*, …). A match appends
//! one entry that moves the joined amounts out of those clearing accounts; whatever a match does
//! not explain (a shortfall beyond the agreed fee, an over-debit) stays in the clearing account,
//! visible as a reconciling item. The first entry's natural key is always [`Match::natural_key`].

use kasda_core::document::RevenueLine;
use kasda_core::ledger::{
    AccountKey, AccountKind, EntryKind, JournalEntry, Posting, MAX_ENTRY_TEXT,
};
use kasda_core::posting::{self, MatchContext, PostingError};
use rust_decimal::Decimal;

use crate::error::ReconError;
use crate::matching::{Basis, Match};

/// Rule name passed to the posting builders that prefix their own kind (`sweep.`, `jasa-giro.`,
/// `bank-charge.`), so those keys read `match:sweep.recon:…`.
pub const BUILDER_RULE: &str = "recon";

fn memo(text: &str) -> String {
    let mut end = text.len().min(MAX_ENTRY_TEXT / 2);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Spreads `amount` over the parts in order, each up to its own total; the excess (an
/// over-credit) goes to the last part. Deterministic, so a re-run builds the same entry.
fn allocate<K: Clone>(amount: Decimal, parts: &[(K, Decimal)]) -> Vec<(K, Decimal)> {
    let mut left = amount;
    let mut out = Vec::with_capacity(parts.len());
    for (i, (key, cap)) in parts.iter().enumerate() {
        let take = if i + 1 == parts.len() {
            left
        } else {
            left.min(*cap)
        };
        out.push((key.clone(), take));
        left -= take;
    }
    out
}

fn revenue_legs(
    postings: &mut Vec<Posting>,
    revenue: &[RevenueLine],
    recognise: bool,
    reverse: bool,
) {
    if !recognise {
        return;
    }
    for r in revenue.iter().filter(|r| r.amount > Decimal::ZERO) {
        let held = AccountKey::new(
            AccountKind::PenerimaanBelumMasukRkud,
            r.kode_rekening.as_str(),
        );
        let lra = AccountKey::new(AccountKind::PendapatanLra, r.kode_rekening.as_str());
        if reverse {
            postings.push(Posting::debit(lra, r.amount));
            postings.push(Posting::credit(held, r.amount));
        } else {
            postings.push(Posting::debit(held, r.amount));
            postings.push(Posting::credit(lra, r.amount));
        }
    }
}

fn own_entry(
    m: &Match,
    kind: EntryKind,
    postings: Vec<Posting>,
) -> Result<JournalEntry, ReconError> {
    JournalEntry::new(
        kind,
        m.booked_on,
        m.booked_on,
        m.natural_key.clone(),
        "",
        memo(&m.explanation),
        None,
        postings,
    )
    .map_err(|source| ReconError::Entry {
        natural_key: m.natural_key.clone(),
        source: PostingError::Ledger(source),
    })
}

/// The balanced entries that record `m` in the ledger: the match entry and, for a settlement
/// with an agreed fee, the fee entry (`match:fee.<rule>:…`).
pub fn match_entries(m: &Match) -> Result<Vec<JournalEntry>, ReconError> {
    let facts: Vec<String> = m
        .line_ids
        .iter()
        .chain(m.document_ids.iter())
        .cloned()
        .collect();
    let ctx = |rule: &str| MatchContext {
        rule: rule.to_string(),
        ids: facts.clone(),
        booked_on: m.booked_on,
        value_date: m.booked_on,
        memo: memo(&m.explanation),
    };
    let wrap = |source: PostingError| ReconError::Entry {
        natural_key: m.natural_key.clone(),
        source,
    };
    let acct = m.account.as_str();
    let amount = m.amount;
    let mut out = Vec::new();
    if amount <= Decimal::ZERO {
        return Ok(out);
    }
    match &m.basis {
        Basis::Receipts {
            channels,
            revenue,
            recognise,
        } => {
            let by_channel = allocate(amount, channels);
            let revenue: &[RevenueLine] = if *recognise { revenue } else { &[] };
            out.push(
                posting::match_receipts_to_credit(
                    &ctx(m.rule.as_str()),
                    acct,
                    amount,
                    &by_channel,
                    revenue,
                )
                .map_err(wrap)?,
            );
            if m.fee > Decimal::ZERO {
                if let Some((channel, _)) = channels.first() {
                    out.push(posting::fee(&ctx(m.rule.as_str()), *channel, m.fee).map_err(wrap)?);
                }
            }
        }
        Basis::Sts {
            deposits,
            revenue,
            recognise,
        } => match deposits.as_slice() {
            [(opd, _)] => {
                let revenue: &[RevenueLine] = if *recognise { revenue } else { &[] };
                out.push(
                    posting::match_sts_to_credit(&ctx(m.rule.as_str()), acct, amount, opd, revenue)
                        .map_err(wrap)?,
                );
            }
            _ => {
                // Several OPD in one credit: one compound entry, the credit spread per OPD.
                let mut postings = vec![Posting::debit(
                    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, acct),
                    amount,
                )];
                for (opd, part) in allocate(amount, deposits) {
                    if part > Decimal::ZERO {
                        postings.push(Posting::credit(
                            AccountKey::new(AccountKind::KasBendaharaPenerimaan, opd.as_str()),
                            part,
                        ));
                    }
                }
                revenue_legs(&mut postings, revenue, *recognise, false);
                out.push(own_entry(m, EntryKind::Match, postings)?);
            }
        },
        Basis::Sp2d => {
            out.push(
                posting::match_sp2d_to_debits(
                    &ctx(m.rule.as_str()),
                    acct,
                    &[(acct.to_string(), amount)],
                )
                .map_err(wrap)?,
            );
        }
        Basis::Sweep {
            from_account,
            to_account,
            revenue,
        } => {
            out.push(
                posting::sweep(
                    &ctx(BUILDER_RULE),
                    from_account,
                    to_account,
                    amount,
                    revenue,
                )
                .map_err(wrap)?,
            );
        }
        Basis::JasaGiro => {
            out.push(posting::jasa_giro(&ctx(BUILDER_RULE), acct, amount).map_err(wrap)?)
        }
        Basis::Transfer { kode_rekening, .. } => {
            // Out of penerimaan belum teridentifikasi, into the revenue it is.
            let postings = vec![
                Posting::debit(
                    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, acct),
                    amount,
                ),
                Posting::credit(
                    AccountKey::new(AccountKind::PendapatanLra, kode_rekening.as_str()),
                    amount,
                ),
            ];
            out.push(own_entry(m, EntryKind::Match, postings)?);
        }
        Basis::BankCharge => {
            out.push(posting::bank_charge(&ctx(BUILDER_RULE), acct, amount).map_err(wrap)?)
        }
        Basis::BankReversal => {
            let postings = vec![
                Posting::debit(
                    AccountKey::new(AccountKind::PenerimaanBelumTeridentifikasi, acct),
                    amount,
                ),
                Posting::credit(
                    AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, acct),
                    amount,
                ),
            ];
            out.push(own_entry(m, EntryKind::Match, postings)?);
        }
        Basis::Refund { channel, revenue } => {
            // The refund undoes the settlement: the channel's clearing and the revenue go back.
            let mut postings = vec![
                Posting::debit(
                    AccountKey::new(AccountKind::DanaDalamPerjalanan, channel.as_str()),
                    amount,
                ),
                Posting::credit(
                    AccountKey::new(AccountKind::PengeluaranBelumTeridentifikasi, acct),
                    amount,
                ),
            ];
            revenue_legs(&mut postings, revenue, true, true);
            out.push(own_entry(m, EntryKind::Match, postings)?);
        }
    }
    debug_assert!(out.first().is_none_or(|e| e.natural_key == m.natural_key));
    Ok(out)
}
