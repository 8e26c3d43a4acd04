//! Reference normalisation and lookup.
//!
//! Banks cut and reformat the numbers in their narratives: `0280/LS-GJ/2019` arrives as
//! `0280LSGJ2019`, `280/LS-GJ/2019`, `SP2D 0280/LS-G` or `0280 / LS-GJ / 2019`. Every reference
//! is therefore compared in a normal form (upper-case letters and digits only), also without
//! leading zeros, and a narrative token may match the *start* of a known reference when it is at
//! least `min_prefix` characters long and names exactly one document.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::fxhash::{hash_str, FxHashMap};

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
    let mut tokens = LineTokens::default();
    tokens.fill(texts);
    tokens.iter().map(str::to_string).collect()
}

/// [`line_tokens`] into buffers reused from line to line: the tokens back to back in one
/// string, sorted and without repeats, so a run over a million lines allocates nothing per token.
#[derive(Debug, Default)]
pub struct LineTokens {
    /// The tokens, back to back.
    buf: String,
    /// Where each token lies in `buf`.
    spans: Vec<(usize, usize)>,
    /// One text's pieces in normal form, back to back, and where each starts (then the end).
    norm: String,
    bounds: Vec<usize>,
}

impl LineTokens {
    /// Replaces the tokens with those of `texts` (the same tokens, in the same order, as
    /// [`line_tokens`] returns).
    pub fn fill(&mut self, texts: &[String]) {
        self.buf.clear();
        self.spans.clear();
        for text in texts.iter().take(MAX_TEXTS_PER_LINE) {
            let mut end = text.len().min(MAX_TEXT_BYTES);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.norm.clear();
            self.bounds.clear();
            for piece in text[..end].split(is_separator) {
                let start = self.norm.len();
                // Multi-byte characters are never ASCII letters or digits, and none of their
                // bytes is one either: a byte walk keeps exactly what a char walk keeps.
                for b in piece.bytes() {
                    if b.is_ascii_alphanumeric() {
                        self.norm.push(char::from(b.to_ascii_uppercase()));
                    }
                }
                if self.norm.len() > start {
                    self.bounds.push(start);
                }
            }
            let n = self.bounds.len();
            self.bounds.push(self.norm.len());
            for i in 0..n {
                for k in 1..=3.min(n - i) {
                    let joined = &self.norm[self.bounds[i]..self.bounds[i + k]];
                    if joined.len() >= MIN_EXACT_LEN && joined.bytes().any(|b| b.is_ascii_digit()) {
                        let at = self.buf.len();
                        self.buf.push_str(joined);
                        self.spans.push((at, self.buf.len()));
                    }
                }
                if self.spans.len() >= MAX_TOKENS_PER_LINE {
                    break;
                }
            }
            if self.spans.len() >= MAX_TOKENS_PER_LINE {
                self.spans.truncate(MAX_TOKENS_PER_LINE);
                break;
            }
        }
        let buf = &self.buf;
        self.spans
            .sort_unstable_by(|a, b| buf[a.0..a.1].cmp(&buf[b.0..b.1]));
        self.spans.dedup_by(|a, b| buf[a.0..a.1] == buf[b.0..b.1]);
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The tokens in sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans.iter().map(|&(a, b)| &self.buf[a..b])
    }
}

/// Index of normalised references to keys (documents).
///
/// Each reference is stored once. Exact lookups go through a hash of the reference to its first
/// entry and a chain of entries with the same reference; the sorted order needed for prefix
/// search is built only when the first prefix lookup happens (most lines name a full reference).
pub struct RefIndex<K> {
    /// Every stored reference, back to back; `entries` point into it (one allocation for all
    /// references instead of one per reference).
    text: String,
    /// (start, end) in `text`, and the key.
    entries: Vec<(usize, usize, K)>,
    /// Next entry with the same reference, `u32::MAX` at the end of a chain.
    next_same: Vec<u32>,
    first: FxHashMap<u64, u32>,
    /// References whose hash collides with a different reference (practically never), kept in
    /// a plain map so a lookup stays O(1) whatever the data.
    collided: HashMap<String, Vec<K>>,
    sorted: OnceCell<Vec<u32>>,
    /// Normal form of the reference being inserted.
    scratch: String,
    /// Bit `n` set when some stored reference is `n` bytes long (bit 127: 127 or longer). A
    /// token of a length no reference has cannot match exactly, and most narrative tokens
    /// (words joined to numbers, dates, amounts) are such: they skip the hash probe, which at a
    /// million references is a cache miss each.
    lengths: u128,
}

const END: u32 = u32::MAX;

impl<K: Copy + Eq + Ord> RefIndex<K> {
    pub fn new() -> Self {
        RefIndex {
            text: String::new(),
            entries: Vec::new(),
            next_same: Vec::new(),
            first: FxHashMap::default(),
            collided: HashMap::new(),
            sorted: OnceCell::new(),
            scratch: String::new(),
            lengths: 0,
        }
    }

    fn length_bit(len: usize) -> u128 {
        1u128 << len.min(127)
    }

    /// Room for about `refs` references of `bytes` bytes in all, so loading does not regrow.
    pub fn reserve(&mut self, refs: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.entries.reserve(refs);
        self.next_same.reserve(refs);
        self.first.reserve(refs);
    }

    fn entry_str(&self, i: u32) -> &str {
        let (a, b, _) = self.entries[i as usize];
        &self.text[a..b]
    }

    /// Registers `raw` as a reference of `key` (both the normal form and the form without
    /// leading zeros).
    pub fn insert(&mut self, raw: &str, key: K) {
        let mut normal = std::mem::take(&mut self.scratch);
        normal.clear();
        // Same as `normalize_ref`: non-ASCII characters have no ASCII letter or digit byte.
        for b in raw.bytes() {
            if b.is_ascii_alphanumeric() {
                normal.push(char::from(b.to_ascii_uppercase()));
            }
        }
        if normal.len() >= MIN_EXACT_LEN {
            if let Some(stripped) = strip_leading_zeros(&normal) {
                if stripped.len() >= MIN_EXACT_LEN {
                    self.push(stripped, key);
                }
            }
            self.push(&normal, key);
        }
        self.scratch = normal;
    }

    fn push(&mut self, normal: &str, key: K) {
        self.lengths |= Self::length_bit(normal.len());
        let index = self.entries.len() as u32;
        let hash = hash_str(normal);
        match self.first.get(&hash).copied() {
            None => {
                self.first.insert(hash, index);
                self.next_same.push(END);
            }
            Some(head) if self.entry_str(head) == normal => {
                // Same reference: skip an exact duplicate, else link after the head.
                let mut at = head;
                loop {
                    if self.entries[at as usize].2 == key {
                        return;
                    }
                    match self.next_same[at as usize] {
                        END => break,
                        n => at = n,
                    }
                }
                self.next_same.push(self.next_same[head as usize]);
                self.next_same[head as usize] = index;
            }
            Some(_) => {
                let keys = self.collided.entry(normal.to_string()).or_default();
                if !keys.contains(&key) {
                    keys.push(key);
                }
                return;
            }
        }
        let start = self.text.len();
        self.text.push_str(normal);
        self.entries.push((start, self.text.len(), key));
        self.sorted = OnceCell::new();
    }

    /// Kept for callers that mark the end of loading; lookups work at any time.
    pub fn finish(&mut self) {}

    fn exact_one(&self, token: &str, out: &mut Vec<K>) {
        if self.lengths & Self::length_bit(token.len()) == 0 {
            return;
        }
        let mut add = |key: K| {
            if !out.contains(&key) {
                out.push(key);
            }
        };
        if let Some(&head) = self.first.get(&hash_str(token)) {
            if self.entry_str(head) == token {
                let mut at = head;
                while at != END {
                    add(self.entries[at as usize].2);
                    at = self.next_same[at as usize];
                }
            }
        }
        if !self.collided.is_empty() {
            if let Some(keys) = self.collided.get(token) {
                for &k in keys {
                    add(k);
                }
            }
        }
    }

    /// Keys whose reference equals `token` (or `token` without leading zeros).
    pub fn exact(&self, token: &str, out: &mut Vec<K>) {
        self.exact_one(token, out);
        if let Some(stripped) = strip_leading_zeros(token) {
            self.exact_one(stripped, out);
        }
    }

    fn sorted(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
            order.sort_unstable_by(|&a, &b| {
                (self.entry_str(a), self.entries[a as usize].2)
                    .cmp(&(self.entry_str(b), self.entries[b as usize].2))
            });
            order
        })
    }

    /// The single key whose reference starts with `token` (or `token` without leading zeros);
    /// `None` when no key or more than one key does, or `token` is shorter than `min_len`.
    pub fn unique_prefix(&self, token: &str, min_len: usize) -> Option<K> {
        let mut found: Option<K> = None;
        let sorted = self.sorted();
        let variants = [Some(token), strip_leading_zeros(token)];
        for t in variants.into_iter().flatten() {
            if t.len() < min_len.max(1) {
                continue;
            }
            let start = sorted.partition_point(|&i| self.entry_str(i) < t);
            for (scanned, &i) in sorted[start..].iter().enumerate() {
                let (k, key) = (self.entry_str(i), &self.entries[i as usize].2);
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

    /// The char-by-char tokeniser `LineTokens` replaced, kept as the oracle.
    fn tokens_by_chars(texts: &[String]) -> Vec<String> {
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
                for k in 1..=3.min(pieces.len() - i) {
                    let joined = pieces[i..i + k].concat();
                    if joined.len() >= MIN_EXACT_LEN && joined.bytes().any(|b| b.is_ascii_digit()) {
                        out.push(joined);
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

    #[test]
    fn reused_token_buffers_give_the_char_by_char_tokens() {
        let words = [
            "SETORAN",
            "PBB-P2",
            "NTB0000000001",
            "0280",
            "/",
            "LS-GJ",
            "2019",
            "Rp1.250.000",
            "ÄÖ12",
            "straße",
            "日本34",
            "NO:0042",
            "(REF#77A)",
            "",
            "  ",
            "x",
            "a1",
            "00000",
            "émission9",
            "PAJAK;HOTEL|12",
        ];
        let mut tokens = LineTokens::default();
        let mut x: u64 = 7;
        for case in 0..3_000 {
            let mut texts = Vec::new();
            for _ in 0..(case % 4) + 1 {
                let mut t = String::new();
                for _ in 0..(case % 9) {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    t.push_str(words[(x >> 33) as usize % words.len()]);
                    t.push(if x & 1 == 0 { ' ' } else { ',' });
                }
                texts.push(t);
            }
            // Long texts cross the per-line token limit and the byte limit mid-character.
            if case % 50 == 0 {
                texts.push("日本 12345 ".repeat(200));
            }
            tokens.fill(&texts);
            let got: Vec<&str> = tokens.iter().collect();
            assert_eq!(got, tokens_by_chars(&texts), "{texts:?}");
            assert_eq!(line_tokens(&texts), tokens_by_chars(&texts));
        }
    }

    #[test]
    fn tokens_of_lengths_no_reference_has_find_nothing_and_the_rest_still_match() {
        let mut idx: RefIndex<u32> = RefIndex::new();
        let long = "7".repeat(140);
        idx.insert("NTB0000000001", 1);
        idx.insert(&long, 2);
        idx.insert("0042AB", 3);
        let exact = |t: &str| {
            let mut out = Vec::new();
            idx.exact(t, &mut out);
            out
        };
        assert_eq!(exact("NTB0000000001"), vec![1]);
        assert_eq!(exact(&long), vec![2]);
        // 127 bytes or more share one length bit: still compared by the index itself.
        assert_eq!(exact(&"7".repeat(130)), Vec::<u32>::new());
        assert_eq!(exact("0042AB"), vec![3]);
        // The stored form without leading zeros (`42AB`, 4 bytes) is found too.
        assert_eq!(exact("42AB"), vec![3]);
        assert_eq!(exact("NTB000000000"), Vec::<u32>::new());
        assert_eq!(exact("SETORANPBBP2NTB0000000001"), Vec::<u32>::new());
        // Prefix search does not depend on lengths.
        assert_eq!(idx.unique_prefix("NTB00000", 5), Some(1));
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
