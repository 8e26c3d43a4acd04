//! Digit writers for the hot paths: the same text as `format!("{n:0w$}")` and friends, appended
//! to a reused buffer without going through `core::fmt`.

/// Appends `n` in decimal, zero-padded to at least `width` digits (`{n:0width$}`).
pub fn pad(out: &mut String, n: u64, width: usize) {
    let mut buf = [b'0'; 40];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = buf.len() - (buf.len() - i).max(width.min(buf.len()));
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_match_the_formatter() {
        for n in [0u64, 7, 42, 999, 1_000, 123_456_789, u64::MAX] {
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
