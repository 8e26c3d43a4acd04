//! Journal entries for matches, following the posting model (ARCHITECTURE-GUIDE §6).
//!
//! Every fact was already posted against a clearing account when it was imported (a statement
//! credit to *Penerimaan belum teridentifikasi*, a receipt to *Dana dalam perjalanan* /
//! *Penerimaan belum masuk RKUD*, an STS to *Kas di Bendahara Penerimaan*, …). A match appends
//! one entry that moves the joined amounts out of those clearing accounts; whatever a match does
//! not explain (a shortfall beyond the agreed fee, an over-debit) stays in the clearing account,
//! visible as a reconciling item.

use kasda_core::document::Channel;
use kasda_core::ledger::{
    AccountKey, AccountKind, EntryKind, JournalEntry, Posting, MAX_ENTRY_TEXT,
};
use rust_decimal::Decimal;

use crate::error::ReconError;
use crate::matching::{Basis, Match};

fn memo(text: &str) -> String {
    let mut end = text.len().min(MAX_ENTRY_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn push(
    postings: &mut Vec<Posting>,
    debit: bool,
    kind: AccountKind,
    qualifier: &str,
    amount: Decimal,
) {
    if amount > Decimal::ZERO {
        let account = AccountKey::new(kind, qualifier);
        postings.push(if debit {
            Posting::debit(account, amount)
        } else {
            Posting::credit(account, amount)
        });
    }
}

/// Spreads `amount` over the channels in order, each up to its gross; any excess goes to the
/// last channel. Deterministic, so re-running produces the same entry.
fn allocate(amount: Decimal, parts: &[(String, Decimal)]) -> Vec<(String, Decimal)> {
    let mut left = amount;
    let mut out: Vec<(String, Decimal)> = Vec::new();
    for (i, (name, cap)) in parts.iter().enumerate() {
        let take = if i + 1 == parts.len() {
            left
        } else {
            left.min(*cap)
        };
        out.push((name.clone(), take));
        left -= take;
    }
    out
}

fn channel_name(c: Channel) -> String {
    c.as_str().to_string()
}

/// The balanced entries that record `m` in the ledger: the match entry, and for settlements
/// with an agreed fee a separate fee entry (`fee:` + the match key).
pub fn match_entries(m: &Match) -> Result<Vec<JournalEntry>, ReconError> {
    let acct = m.account.as_str();
    let l = m.amount;
    let mut postings: Vec<Posting> = Vec::new();
    let mut fee_entry: Option<(String, Decimal)> = None;
    let kind = match &m.basis {
        Basis::Receipts {
            channels,
            revenue,
            recognise,
        } => {
            push(
                &mut postings,
                true,
                AccountKind::PenerimaanBelumTeridentifikasi,
                acct,
                l,
            );
            let parts: Vec<(String, Decimal)> = channels
                .iter()
                .map(|(c, g)| (channel_name(*c), *g))
                .collect();
            for (name, amount) in allocate(l, &parts) {
                push(
                    &mut postings,
                    false,
                    AccountKind::DanaDalamPerjalanan,
                    &name,
                    amount,
                );
            }
            if *recognise {
                for r in revenue {
                    push(
                        &mut postings,
                        true,
                        AccountKind::PenerimaanBelumMasukRkud,
                        &r.kode_rekening,
                        r.amount,
                    );
                    push(
                        &mut postings,
                        false,
                        AccountKind::PendapatanLra,
                        &r.kode_rekening,
                        r.amount,
                    );
                }
            }
            if m.fee > Decimal::ZERO {
                if let Some((c, _)) = channels.first() {
                    fee_entry = Some((channel_name(*c), m.fee));
                }
            }
            EntryKind::Match
        }
        Basis::Sts {
            deposits,
            revenue,
            recognise,
        } => {
            push(
                &mut postings,
                true,
                AccountKind::PenerimaanBelumTeridentifikasi,
                acct,
                l,
            );
            for (opd, amount) in allocate(l, deposits) {
                push(
                    &mut postings,
                    false,
                    AccountKind::KasBendaharaPenerimaan,
                    &opd,
                    amount,
                );
            }
            if *recognise {
                for r in revenue {
                    push(
                        &mut postings,
                        true,
                        AccountKind::PenerimaanBelumMasukRkud,
                        &r.kode_rekening,
                        r.amount,
                    );
                    push(
                        &mut postings,
                        false,
                        AccountKind::PendapatanLra,
                        &r.kode_rekening,
                        r.amount,
                    );
                }
            }
            EntryKind::Match
        }
        Basis::Sp2d => {
            push(
                &mut postings,
                true,
                AccountKind::Sp2dBelumDicairkan,
                acct,
                l,
            );
            push(
                &mut postings,
                false,
                AccountKind::PengeluaranBelumTeridentifikasi,
                acct,
                l,
            );
            EntryKind::Match
        }
        Basis::Sweep {
            from_account,
            to_account,
        } => {
            push(
                &mut postings,
                true,
                AccountKind::PenerimaanBelumTeridentifikasi,
                to_account,
                l,
            );
            push(
                &mut postings,
                false,
                AccountKind::PengeluaranBelumTeridentifikasi,
                from_account,
                l,
            );
            EntryKind::Sweep
        }
        Basis::BankReversal => {
            push(
                &mut postings,
                true,
                AccountKind::PenerimaanBelumTeridentifikasi,
                acct,
                l,
            );
            push(
                &mut postings,
                false,
                AccountKind::PengeluaranBelumTeridentifikasi,
                acct,
                l,
            );
            EntryKind::Match
        }
        Basis::JasaGiro => {
            push(
                &mut postings,
                true,
                AccountKind::PenerimaanBelumTeridentifikasi,
                acct,
                l,
            );
            push(
                &mut postings,
                false,
                AccountKind::PendapatanJasaGiro,
                acct,
                l,
            );
            EntryKind::JasaGiro
        }
        Basis::BankCharge => {
            push(&mut postings, true, AccountKind::BebanBank, acct, l);
            push(
                &mut postings,
                false,
                AccountKind::PengeluaranBelumTeridentifikasi,
                acct,
                l,
            );
            EntryKind::BankCharge
        }
        Basis::Refund { channel, revenue } => {
            push(
                &mut postings,
                true,
                AccountKind::DanaDalamPerjalanan,
                &channel_name(*channel),
                l,
            );
            push(
                &mut postings,
                false,
                AccountKind::PengeluaranBelumTeridentifikasi,
                acct,
                l,
            );
            for r in revenue {
                push(
                    &mut postings,
                    true,
                    AccountKind::PendapatanLra,
                    &r.kode_rekening,
                    r.amount,
                );
                push(
                    &mut postings,
                    false,
                    AccountKind::PenerimaanBelumMasukRkud,
                    &r.kode_rekening,
                    r.amount,
                );
            }
            EntryKind::Match
        }
    };
    let mut out = Vec::new();
    if postings.len() >= 2 {
        let entry = JournalEntry::new(
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
            source,
        })?;
        out.push(entry);
    }
    if let Some((channel, fee)) = fee_entry {
        let key = format!("fee:{}", m.natural_key);
        let entry = JournalEntry::new(
            EntryKind::Fee,
            m.booked_on,
            m.booked_on,
            key.clone(),
            "",
            memo(&format!(
                "Agreed {channel} channel fee on settlement {}",
                m.natural_key
            )),
            None,
            vec![
                Posting::debit(AccountKey::new(AccountKind::BebanLayanan, &channel), fee),
                Posting::credit(
                    AccountKey::new(AccountKind::DanaDalamPerjalanan, &channel),
                    fee,
                ),
            ],
        )
        .map_err(|source| ReconError::Entry {
            natural_key: key,
            source,
        })?;
        out.push(entry);
    }
    Ok(out)
}
