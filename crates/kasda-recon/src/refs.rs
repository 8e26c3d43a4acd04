//! Reference normalisation and lookup.
//!
//! Banks cut and reformat the numbers in their narratives: `0280/LS-GJ/2019` arrives as
//! `0280LSGJ2019`, `280/LS-GJ/2019`, `SP2D 0280/LS-G` or `0280 / LS-GJ / 2019`. Every reference
//! is therefore compared in a normal form (upper-case letters and digits only), also without
//! leading zeros, and a narrative token may match the *start* of a known reference when it is at
//! least `min_prefix` characters long and names exactly one document.

use std::collections::HashMap;

/// Most texts of one line that are tokenised; the rest is ignored.
pub const MAX_TEXTS_PER_LINE: usize = 16;
/// Bytes of one text that are tokenised (MT940 `:86:` is at most 6×65).
pub const MAX_TEXT_BYTES: usize = 1024;
/// Most tokens taken from one line.
pub const MAX_TOKENS_PER_LINE: usize = 96;
/// Shortest token looked up exactly; shorter pieces (`NO`, `PBB`, `01`) name nothing.
pub const MIN_EXACT_LEN: usize = 4;
/// Most index entries examined for one prefix before it is called ambiguous.
const MAX_PREFIX_SCAN: usize = 32;

/// Upper-case ASCII letters and digits of `s`, in order.
pub fn normalize_ref(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The normal form without leading zeros (`0280LSGJ2019` → `280LSGJ2019`), when it differs.
pub fn strip_leading_zeros(normal: &str) -> Option<&str> {
    let stripped = normal.trim_start_matches('0');
    (stripped.len() != normal.len() && !stripped.is_empty()).then_some(stripped)
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | ';' | ':' | '=' | '(' | ')' | '[' | ']' | '#' | '"' | '\'' | '|'
        )
}

/// Candidate reference tokens of a line's texts: each piece between separators in normal form,
/// plus the joins of two and three neighbouring pieces (narratives put spaces inside numbers).
/// Only tokens that contain a digit are kept: a reference without digits is a word.
pub fn line_tokens(texts: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for text in texts.iter().take(MAX_TEXTS_PER_LINE) {
        let mut end = text.len().min(MAX_TEXT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let pieces: Vec<String> = text[..end]
            .split(is_separator)
            .map(normalize_ref)
            .filter(|p| !p.is_empty())
            .collect();
        for i in 0..pieces.len() {
            let mut joined = String::new();
            for piece in pieces.iter().skip(i).take(3) {
                joined.push_str(piece);
                if joined.len() >= MIN_EXACT_LEN && joined.bytes().any(|b| b.is_ascii_digit()) {
                    out.push(joined.clone());
                }
            }
            if out.len() >= MAX_TOKENS_PER_LINE {
                break;
            }
        }
        if out.len() >= MAX_TOKENS_PER_LINE {
            out.truncate(MAX_TOKENS_PER_LINE);
            break;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Index of normalised references to keys (documents).
pub struct RefIndex<K> {
    exact: HashMap<String, Vec<K>>,
    sorted: Vec<(String, K)>,
}

impl<K: Copy + Eq + Ord> RefIndex<K> {
    pub fn new() -> Self {
        RefIndex {
            exact: HashMap::new(),
            sorted: Vec::new(),
        }
    }

    /// Registers `raw` as a reference of `key` (both the normal form and the form without
    /// leading zeros).
    pub fn insert(&mut self, raw: &str, key: K) {
        let normal = normalize_ref(raw);
        if normal.len() < MIN_EXACT_LEN {
            return;
        }
        if let Some(stripped) = strip_leading_zeros(&normal) {
            if stripped.len() >= MIN_EXACT_LEN {
                self.push(stripped.to_string(), key);
            }
        }
        self.push(normal, key);
    }

    fn push(&mut self, normal: String, key: K) {
        let slot = self.exact.entry(normal.clone()).or_default();
        if !slot.contains(&key) {
            slot.push(key);
            self.sorted.push((normal, key));
        }
    }

    /// Call once after the last insert.
    pub fn finish(&mut self) {
        self.sorted.sort_unstable();
    }

    /// Keys whose reference equals `token` (or `token` without leading zeros).
    pub fn exact(&self, token: &str, out: &mut Vec<K>) {
        let variants = [Some(token), strip_leading_zeros(token)];
        for t in variants.into_iter().flatten() {
            if let Some(keys) = self.exact.get(t) {
                for k in keys {
                    if !out.contains(k) {
                        out.push(*k);
                    }
                }
            }
        }
    }

    /// The single key whose reference starts with `token` (or `token` without leading zeros);
    /// `None` when no key or more than one key does, or `token` is shorter than `min_len`.
    pub fn unique_prefix(&self, token: &str, min_len: usize) -> Option<K> {
        let mut found: Option<K> = None;
        let variants = [Some(token), strip_leading_zeros(token)];
        for t in variants.into_iter().flatten() {
            if t.len() < min_len.max(1) {
                continue;
            }
            let start = self.sorted.partition_point(|(k, _)| k.as_str() < t);
            for (scanned, (k, key)) in self.sorted[start..].iter().enumerate() {
                if !k.starts_with(t) {
                    break;
                }
                if scanned >= MAX_PREFIX_SCAN {
                    return None;
                }
                match found {
                    None => found = Some(*key),
                    Some(f) if f == *key => {}
                    Some(_) => return None,
                }
            }
        }
        found
    }
}

impl<K: Copy + Eq + Ord> Default for RefIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms() {
        assert_eq!(normalize_ref("0280/LS-GJ/2019"), "0280LSGJ2019");
        assert_eq!(strip_leading_zeros("0280LSGJ2019"), Some("280LSGJ2019"));
        assert_eq!(strip_leading_zeros("280LS"), None);
        assert_eq!(strip_leading_zeros("0000"), None);
    }

    #[test]
    fn tokens_join_spaced_numbers_and_drop_words() {
        let t = line_tokens(&["PEMBAYARAN SP2D NO:0280 / LS-GJ / 2019 GAJI".to_string()]);
        assert!(t.contains(&"0280LSGJ2019".to_string()), "{t:?}");
        assert!(t.contains(&"0280".to_string()));
        assert!(!t.contains(&"PEMBAYARAN".to_string()));
    }

    #[test]
    fn sp2d_number_variants_all_find_the_document() {
        let mut idx: RefIndex<u32> = RefIndex::new();
        idx.insert("0280/LS-GJ/2019", 1);
        idx.insert("0281/LS-BJ/2019", 2);
        idx.finish();
        let mut out = Vec::new();
        idx.exact("0280LSGJ2019", &mut out);
        assert_eq!(out, vec![1]);
        out.clear();
        idx.exact("280LSGJ2019", &mut out);
        assert_eq!(out, vec![1]);
        assert_eq!(idx.unique_prefix("280LS", 5), Some(1));
        assert_eq!(idx.unique_prefix("0280LSG", 5), Some(1));
        // `028` names both documents and is too short anyway.
        assert_eq!(idx.unique_prefix("028", 3), None);
        assert_eq!(idx.unique_prefix("28LS", 5), None);
    }
}
