//! Digit writers for the hot paths: the same text as `format!("{n:0w$}")` and friends, appended
//! to a reused buffer without going through `core::fmt`.

/// `00`, `01`, … `99` as one text, and the ten digits: digits are appended as slices of them
/// (`push_str` of ASCII needs no UTF-8 check, a `char` push takes the general encoding path).
const DIGIT_PAIRS: &str = match std::str::from_utf8(&crate::stmt::PAIRS) {
    Ok(s) => s,
    Err(_) => panic!("digit pairs are ASCII"),
};
const DIGITS: &str = "0123456789";
const ZEROS: &str = "00000000000000000000";

/// Appends `n` in decimal, zero-padded to at least `width` digits (`{n:0width$}`), two digits
/// at a time.
pub fn pad(out: &mut String, n: u64, width: usize) {
    // The pairs from the least significant, then written from the most significant.
    let mut pairs = [0u8; 10];
    let mut count = 0;
    let mut n = n;
    while n >= 100 {
        pairs[count] = (n % 100) as u8;
        count += 1;
        n /= 100;
    }
    let lead = n as usize;
    let digits = 2 * count + if lead >= 10 { 2 } else { 1 };
    let mut zeros = width.saturating_sub(digits);
    out.reserve(digits + zeros);
    while zeros > 0 {
        let z = zeros.min(ZEROS.len());
        out.push_str(&ZEROS[..z]);
        zeros -= z;
    }
    if lead >= 10 {
        out.push_str(&DIGIT_PAIRS[2 * lead..2 * lead + 2]);
    } else {
        out.push_str(&DIGITS[lead..lead + 1]);
    }
    for &p in pairs[..count].iter().rev() {
        let p = usize::from(p) * 2;
        out.push_str(&DIGIT_PAIRS[p..p + 2]);
    }
}

/// Appends `n` in decimal (`{n}`).
pub fn uint(out: &mut String, n: u64) {
    pad(out, n, 1);
}

/// Appends a signed `n` as `{n:0width$}` does: the sign first, zeros after it, the sign
/// counting towards the width.
pub fn pad_signed(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
        pad(out, n.unsigned_abs(), width.saturating_sub(1));
    } else {
        pad(out, n.unsigned_abs(), width);
    }
}

/// Appends `text` followed by `0`s up to `width` characters (`{text:0<width$}`).
pub fn left_zero(out: &mut String, text: &str, width: usize) {
    out.push_str(text);
    for _ in text.chars().count()..width {
        out.push('0');
    }
}

/// Where a text sits in an [`Arena`]; `len == u32::MAX` is "no value".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    len: u32,
}

/// The span of no value.
pub const ABSENT: Span = Span {
    start: 0,
    len: u32::MAX,
};

/// Texts end to end in one string, each known by its [`Span`]: what the receipt batches and a
/// day's bank lines keep instead of a string per field. Cleared and refilled, so a run
/// allocates a few arenas, not a string per text.
#[derive(Debug, Default, Clone)]
pub struct Arena {
    text: String,
}

impl Arena {
    /// Appends `parts` end to end as one text.
    pub fn push(&mut self, parts: &[&str]) -> Span {
        let start = self.text.len();
        for p in parts {
            self.text.push_str(p);
        }
        Span {
            start: start as u32,
            len: (self.text.len() - start) as u32,
        }
    }

    /// [`Arena::push`] of a text that may be absent.
    pub fn push_opt(&mut self, s: Option<&str>) -> Span {
        s.map_or(ABSENT, |s| self.push(&[s]))
    }

    pub fn get(&self, s: Span) -> Option<&str> {
        if s.len == u32::MAX {
            return None;
        }
        let start = s.start as usize;
        self.text.get(start..start + s.len as usize)
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in the bytes of `x` equal to `b` — at least in the lowest one, which is all an
/// "is there any" test needs (the classic zero-byte test applied to `x ^ bbbbbbbb`).
#[inline]
fn word_has(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * u64::from(b));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// High bit set in (at least the lowest of) the bytes of `x` below `n` (`n` ≤ 128).
#[inline]
fn word_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// Whether `bytes` holds any of `specials`, or, with `controls`, a byte below 0x20: the test
/// every encoder makes before copying a text whole, eight bytes at a time.
#[inline]
pub fn has_special<const N: usize>(bytes: &[u8], controls: bool, specials: [u8; N]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut x = [0u8; 8];
        x.copy_from_slice(w);
        let x = u64::from_le_bytes(x);
        let mut hit = if controls { word_below(x, 0x20) } else { 0 };
        for b in specials {
            hit |= word_has(x, b);
        }
        if hit != 0 {
            return true;
        }
    }
    let rest = words.remainder();
    if rest.is_empty() {
        return false;
    }
    if bytes.len() < 8 {
        return rest
            .iter()
            .any(|&b| (controls && b < 0x20) || specials.contains(&b));
    }
    // The last eight bytes as one more word (overlapping bytes already tested is harmless).
    let mut x = [0u8; 8];
    x.copy_from_slice(&bytes[bytes.len() - 8..]);
    let x = u64::from_le_bytes(x);
    let mut hit = if controls { word_below(x, 0x20) } else { 0 };
    for b in specials {
        hit |= word_has(x, b);
    }
    hit != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_anywhere() {
        let naive = |t: &[u8], controls: bool, set: &[u8]| {
            t.iter()
                .any(|&b| (controls && b < 0x20) || set.contains(&b))
        };
        let mut texts: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"SITI AMINAH".to_vec(),
            "RM \u{e9}l\u{e8}ve 2026 \u{1F600} padang"
                .as_bytes()
                .to_vec(),
            b"4.1.01.15.01.0001".to_vec(),
        ];
        // Every special at every position of texts of 1..=20 bytes, with high bytes around.
        for len in 1..=20usize {
            for pos in 0..len {
                for b in [
                    0u8, 0x1f, b'"', b'\\', b',', b'\n', b'\r', 0x20, 0x7f, 0x80, 0xff,
                ] {
                    let mut t = vec![b'A'; len];
                    if len > 2 {
                        t[(pos + 1) % len] = 0xc3;
                    }
                    t[pos] = b;
                    texts.push(t);
                }
            }
        }
        for t in &texts {
            assert_eq!(
                has_special(t, true, [b'"', b'\\']),
                naive(t, true, b"\"\\"),
                "{t:?}"
            );
            assert_eq!(
                has_special(t, false, [b',', b'"', b'\n', b'\r']),
                naive(t, false, b",\"\n\r"),
                "{t:?}"
            );
        }
    }

    #[test]
    fn digits_match_the_formatter() {
        for n in [
            0u64,
            7,
            10,
            42,
            99,
            100,
            101,
            999,
            1_000,
            12_345,
            123_456_789,
            u64::MAX,
        ] {
            for w in [0usize, 1, 2, 3, 6, 7, 8, 9, 25] {
                let mut s = String::new();
                pad(&mut s, n, w);
                assert_eq!(s, format!("{n:0w$}"), "{n} width {w}");
            }
        }
        for n in [-123i64, -5, -1, 0, 5, 26, i64::MIN, i64::MAX] {
            for w in [0usize, 1, 2, 3, 5] {
                let mut s = String::new();
                pad_signed(&mut s, n, w);
                assert_eq!(s, format!("{n:0w$}"), "{n} width {w}");
            }
        }
        for (t, w) in [("36", 4), ("3673", 4), ("367301", 4), ("", 3)] {
            let mut s = String::new();
            left_zero(&mut s, t, w);
            assert_eq!(s, format!("{t:0<w$}"));
        }
        let mut s = String::from("x");
        uint(&mut s, 2026);
        assert_eq!(s, "x2026");
    }
}
