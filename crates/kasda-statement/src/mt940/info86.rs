//! Structure inside `:86:` information to account owner.
//!
//! Banks fill `:86:` in one of three ways, all handled here:
//! * German GVC style: `NNN?00Buchungstext?10…?20Verwendungszweck…?30BLZ?31Konto?32Name…`,
//!   with SEPA keywords (`EREF+`, `MREF+`, `SVWZ+`, …) inside the purpose lines;
//! * SWIFT/Dutch slash codes: `/EREF/…//CNTP/iban/bic/name/city///REMI/USTD//text/` (ING),
//!   `/EREF/…/NAME/…/REMI/…` (Rabobank, ABN AMRO);
//! * free text (Indonesian banks, old exports). Indonesian treasury references in free text
//!   (`SP2D 0280/LS-GJ/2019`, `STS 000123`) are picked out so that matching does not depend on
//!   where the bank put them.
//!
//! The raw text is always kept (lines in `remittance.unstructured` for free text, the whole
//! field in `additional_info` when it was structured) so nothing the bank said is lost.

use kasda_core::statement::{BankTxCode, Entry};

/// Fills the entry from the `:86:` text (lines joined with `\n`).
pub fn apply(text: &str, entry: &mut Entry) {
    let mut lines = nonblank_lines(text);
    // Structure starts with three digits and `?` (GVC) or with `/KEY/` (slash codes). Text whose
    // first line starts otherwise is free text (Indonesian banks), kept line by line in one pass
    // without the joined string the structured readers need.
    if let Some(first) = lines.clone().next() {
        if first.as_bytes().first().is_some_and(u8::is_ascii_digit)
            || first.trim_start().starts_with('/')
        {
            apply_structured(text, lines.collect(), entry);
            pick_treasury_refs(entry);
            return;
        }
    }
    let unstructured = &mut entry.remittance.unstructured;
    if let Some(first) = lines.next() {
        unstructured.reserve(2);
        unstructured.push(first.trim().to_string());
    }
    unstructured.extend(lines.map(|l| l.trim().to_string()));
    pick_treasury_refs(entry);
}

/// The lines of `text` that hold more than whitespace, without trailing whitespace.
fn nonblank_lines(text: &str) -> impl Iterator<Item = &str> + Clone {
    let mut rest = Some(text);
    std::iter::from_fn(move || loop {
        let t = rest?;
        let line = match memchr::memchr(b'\n', t.as_bytes()) {
            Some(p) => {
                // `\n` is ASCII, so both sides of it are character boundaries.
                rest = Some(&t[p + 1..]);
                &t[..p]
            }
            None => {
                rest = None;
                t
            }
        };
        let line = line.trim_end();
        if !line.trim_start().is_empty() {
            return Some(line);
        }
    })
}

/// GVC or slash-code text; lines are wrapped at 65 characters wherever the bank liked, so
/// structure is read from the text as one string.
fn apply_structured(text: &str, lines: Vec<&str>, entry: &mut Entry) {
    let joined: String = lines.concat();
    if is_gvc(&joined) {
        apply_gvc(&joined, entry);
        set_info(entry, text);
    } else if let Some(pairs) = slash_codes(&joined) {
        apply_slash(&pairs, entry);
        set_info(entry, text);
    } else {
        entry
            .remittance
            .unstructured
            .extend(lines.iter().map(|l| l.trim().to_string()));
    }
}

fn set_info(entry: &mut Entry, text: &str) {
    let t = text.trim();
    if t.is_empty() {
        return;
    }
    match &mut entry.additional_info {
        Some(existing) => {
            existing.push('\n');
            existing.push_str(t);
        }
        None => entry.additional_info = Some(t.to_string()),
    }
}

fn is_gvc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'?'
}

fn apply_gvc(s: &str, entry: &mut Entry) {
    let gvc = &s[..3];
    let code = entry.bank_tx_code.clone();
    entry.bank_tx_code = BankTxCode {
        proprietary: code.proprietary.or_else(|| Some(gvc.to_string())),
        proprietary_issuer: code.proprietary_issuer.or_else(|| Some("GVC".to_string())),
        ..code
    };
    let mut purpose = String::new();
    let mut names = Vec::new();
    for part in s[3..].split('?').skip(1) {
        let (Some(key), Some(val)) = (part.get(..2), part.get(2..)) else {
            continue;
        };
        let val = val.trim();
        match key {
            "00" if !val.is_empty() => {
                entry
                    .remittance
                    .structured
                    .push(format!("booking-text:{val}"));
            }
            "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60" | "61"
            | "62" | "63" => purpose.push_str(val),
            "30" => set(&mut entry.counterparty.agent_bic, val),
            "31" => {
                if super::fields::is_iban(val) {
                    set(&mut entry.counterparty.iban, val)
                } else {
                    set(&mut entry.counterparty.account, val)
                }
            }
            "32" | "33" => names.push(val.to_string()),
            "34" => set(&mut entry.refs.transaction_id, val),
            _ => {}
        }
    }
    if !names.is_empty() {
        let name = names.concat();
        set(&mut entry.counterparty.name, name.trim());
    }
    sepa_keywords(&purpose, entry);
}

fn set(slot: &mut Option<String>, val: &str) {
    if slot.is_none() && !val.is_empty() {
        *slot = Some(val.to_string());
    }
}

/// SEPA keywords in German purpose lines: `EREF+x MREF+y SVWZ+text`.
fn sepa_keywords(purpose: &str, entry: &mut Entry) {
    const KEYS: [&str; 9] = [
        "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+",
    ];
    let mut marks: Vec<(usize, &str)> =
        KEYS.iter().flat_map(|k| purpose.match_indices(k)).collect();
    marks.sort_unstable();
    if marks.is_empty() {
        if !purpose.trim().is_empty() {
            entry
                .remittance
                .unstructured
                .push(purpose.trim().to_string());
        }
        return;
    }
    if let Some(&(first, _)) = marks.first() {
        let lead = purpose[..first].trim();
        if !lead.is_empty() {
            entry.remittance.unstructured.push(lead.to_string());
        }
    }
    for (n, &(start, key)) in marks.iter().enumerate() {
        let end = marks.get(n + 1).map_or(purpose.len(), |m| m.0);
        let val = purpose.get(start + key.len()..end).unwrap_or("").trim();
        match key {
            "EREF+" => set(&mut entry.refs.end_to_end_id, val),
            "KREF+" => set(&mut entry.refs.customer_ref, val),
            "MREF+" => set(&mut entry.refs.mandate_id, val),
            "CRED+" | "DEBT+" => set(&mut entry.counterparty.id, val),
            "IBAN+" => set(&mut entry.counterparty.iban, val),
            "SVWZ+" if !val.is_empty() => {
                entry.remittance.unstructured.push(val.to_string());
            }
            _ => {}
        }
    }
}

const SLASH_KEYS: [&str; 22] = [
    "EREF", "PREF", "MARF", "CSID", "CNTP", "REMI", "IBAN", "NAME", "BIC", "ORDP", "BENM", "ADDR",
    "RTRN", "TRCD", "ISDT", "SUM", "PURP", "ULTC", "ULTD", "TRTP", "KREF", "RETR",
];

/// Splits `/KEY/value/KEY/value` text when it starts with a known key; `None` for free text.
fn slash_codes(s: &str) -> Option<Vec<(&'static str, &str)>> {
    let t = s.trim_start();
    if !t.starts_with('/') {
        return None;
    }
    let key_at = |pos: usize| -> Option<&'static str> {
        let rest = t.get(pos + 1..)?;
        SLASH_KEYS
            .iter()
            .find(|k| rest.starts_with(*k) && rest[k.len()..].starts_with('/'))
            .copied()
    };
    key_at(0)?;
    let mut marks = Vec::new();
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' {
            if let Some(k) = key_at(i) {
                // Rabobank separates pairs with one slash (`/EREF/x/BENM//NAME/y`), ING with two:
                // a known key is a key wherever it stands.
                marks.push((i, k));
                i += k.len() + 2;
                continue;
            }
        }
        i += 1;
    }
    let mut out = Vec::with_capacity(marks.len());
    for (n, &(start, key)) in marks.iter().enumerate() {
        let vstart = start + key.len() + 2;
        let end = marks.get(n + 1).map_or(t.len(), |m| m.0);
        let val = t.get(vstart..end.max(vstart)).unwrap_or("");
        out.push((key, val));
    }
    Some(out)
}

fn apply_slash(pairs: &[(&'static str, &str)], entry: &mut Entry) {
    for &(key, raw) in pairs {
        let val = raw.trim_end_matches('/').trim();
        match key {
            "EREF" if val != "NOTPROVIDED" => set(&mut entry.refs.end_to_end_id, val),
            "PREF" => set(&mut entry.refs.payment_info_id, val),
            "MARF" => set(&mut entry.refs.mandate_id, val),
            "CSID" => set(&mut entry.counterparty.id, val),
            "KREF" => set(&mut entry.refs.instruction_id, val),
            "RTRN" => set(&mut entry.refs.transaction_id, val),
            "CNTP" | "BENM" | "ORDP" => {
                // account / BIC / name / city
                let parts: Vec<&str> = raw.split('/').collect();
                let get = |i: usize| parts.get(i).map(|s| s.trim()).unwrap_or("");
                let acct = get(0);
                if super::fields::is_iban(acct) {
                    set(&mut entry.counterparty.iban, acct);
                } else {
                    set(&mut entry.counterparty.account, acct);
                }
                set(&mut entry.counterparty.agent_bic, get(1));
                set(&mut entry.counterparty.name, get(2));
            }
            "IBAN" => {
                if super::fields::is_iban(val) {
                    set(&mut entry.counterparty.iban, val)
                } else {
                    set(&mut entry.counterparty.account, val)
                }
            }
            "BIC" => set(&mut entry.counterparty.agent_bic, val),
            "NAME" => set(&mut entry.counterparty.name, val),
            "REMI" => remi(raw, entry),
            "PURP" | "TRTP" if !val.is_empty() => {
                entry
                    .remittance
                    .structured
                    .push(format!("{}:{val}", key.to_lowercase()));
            }
            _ => {}
        }
    }
}

/// ING `/REMI/USTD//text/`, `/REMI/STRD/CUR/ISO/ref/`; Rabobank `/REMI/text`.
fn remi(raw: &str, entry: &mut Entry) {
    let v = raw.trim_end_matches('/');
    if let Some(rest) = v.strip_prefix("USTD//").or_else(|| v.strip_prefix("USTD/")) {
        push_text(entry, rest);
    } else if let Some(rest) = v.strip_prefix("STRD/") {
        // CUR/ISO/ref: the reference is after the issuer code.
        let r = rest.rsplit('/').next().unwrap_or("").trim();
        if !r.is_empty() {
            entry
                .remittance
                .creditor_ref
                .get_or_insert_with(|| r.to_string());
        }
    } else {
        push_text(entry, v);
    }
}

fn push_text(entry: &mut Entry, text: &str) {
    let t = text.trim();
    if !t.is_empty() {
        entry.remittance.unstructured.push(t.to_string());
    }
}

/// Adds `sp2d:<no>` / `sts:<no>` to `remittance.structured` for Indonesian treasury references
/// found in the entry's text.
fn pick_treasury_refs(entry: &mut Entry) {
    let mut found = Vec::new();
    for line in &entry.remittance.unstructured {
        let b = line.as_bytes();
        // Both words start with S; memchr keeps this off the per-entry profile.
        for start in memchr::memchr2_iter(b'S', b's', b) {
            let word_len =
                if b.len() >= start + 4 && b[start..start + 4].eq_ignore_ascii_case(b"SP2D") {
                    4
                } else if b.len() >= start + 3 && b[start..start + 3].eq_ignore_ascii_case(b"STS") {
                    3
                } else {
                    continue;
                };
            if start > 0 && b[start - 1].is_ascii_alphanumeric() {
                continue;
            }
            let label = if word_len == 4 { "sp2d" } else { "sts" };
            // The matched word is ASCII, so `start + word_len` is a character boundary.
            let rest = line[start + word_len..].trim_start_matches([' ', ':', '.', '-', '#']);
            let rest = rest
                .strip_prefix("NO")
                .or_else(|| rest.strip_prefix("No"))
                .or_else(|| rest.strip_prefix("no"))
                .map(|r| r.trim_start_matches([' ', ':', '.']))
                .unwrap_or(rest);
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.')))
                .unwrap_or(rest.len());
            let number = rest[..end].trim_end_matches(['.', '-', '/']);
            if number.bytes().any(|c| c.is_ascii_digit()) {
                found.push(format!("{label}:{number}"));
            }
        }
    }
    for f in found {
        if !entry.remittance.structured.contains(&f) {
            entry.remittance.structured.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gvc_with_sepa_keywords() {
        let mut e = Entry::default();
        apply(
            "166?00SEPA-UEBERWEISUNG?109310?20EREF+E2E-1 SVWZ+Rechnung 42?30GENODEF1S12?31DE89370400440532013000?32Max Mustermann",
            &mut e,
        );
        assert_eq!(e.bank_tx_code.proprietary.as_deref(), Some("166"));
        assert_eq!(e.refs.end_to_end_id.as_deref(), Some("E2E-1"));
        assert_eq!(e.remittance.unstructured, ["Rechnung 42"]);
        assert_eq!(e.counterparty.agent_bic.as_deref(), Some("GENODEF1S12"));
        assert_eq!(
            e.counterparty.iban.as_deref(),
            Some("DE89370400440532013000")
        );
        assert_eq!(e.counterparty.name.as_deref(), Some("Max Mustermann"));
    }

    #[test]
    fn ing_slash_codes_across_wrapped_lines() {
        let mut e = Entry::default();
        apply(
            "/EREF/EV12341REP1231456T1234//CNTP/NL32INGB0000012345/INGBNL2\nA/ING BANK NV INZAKE WEB///REMI/USTD//EV10001REP1000000T1000/",
            &mut e,
        );
        assert_eq!(
            e.refs.end_to_end_id.as_deref(),
            Some("EV12341REP1231456T1234")
        );
        assert_eq!(e.counterparty.iban.as_deref(), Some("NL32INGB0000012345"));
        assert_eq!(e.counterparty.agent_bic.as_deref(), Some("INGBNL2A"));
        assert_eq!(
            e.counterparty.name.as_deref(),
            Some("ING BANK NV INZAKE WEB")
        );
        assert_eq!(e.remittance.unstructured, ["EV10001REP1000000T1000"]);
    }

    #[test]
    fn rabobank_single_slash_pairs() {
        let mut e = Entry::default();
        apply(
            "/EREF/02-04-2013 22:56 1120000153447185/BENM//NAME/Nespresso Nede\nrland B.V./REMI/674725433 1120000153447185\n/ISDT/2013-04-03",
            &mut e,
        );
        assert_eq!(
            e.refs.end_to_end_id.as_deref(),
            Some("02-04-2013 22:56 1120000153447185")
        );
        assert_eq!(
            e.counterparty.name.as_deref(),
            Some("Nespresso Nederland B.V.")
        );
        assert_eq!(e.remittance.unstructured, ["674725433 1120000153447185"]);
    }

    #[test]
    fn indonesian_free_text_keeps_lines_and_finds_sp2d_and_sts() {
        let mut e = Entry::default();
        apply(
            "PEMBAYARAN SP2D NO 0280/LS-GJ/2019 GAJI\nSETORAN STS: 000123 RETRIBUSI PASAR 12:30:",
            &mut e,
        );
        assert_eq!(e.remittance.unstructured.len(), 2);
        assert!(e
            .remittance
            .structured
            .contains(&"sp2d:0280/LS-GJ/2019".to_string()));
        assert!(e.remittance.structured.contains(&"sts:000123".to_string()));
        assert_eq!(e.additional_info, None);
    }
}
