//! Kode rekening: the Permendagri 90/2019 account code `akun.kelompok.jenis.objek.rincian
//! objek.sub rincian objek`, written `X.X.XX.XX.XX.XXXX` (for example `4.1.01.19.01.0001`).
//!
//! Revenue lines, SP2D charges, budget targets and report subtotals are all keyed by this code,
//! so it is parsed once into a [`KodeRekening`] and compared structurally. Shorter prefixes
//! (`4`, `4.1`, `4.1.01`, …) are group codes at a higher [`Level`]. Some regional applications
//! write the sub rincian with three digits (`4.1.01.19.01.001`); both widths parse, the width
//! is kept for display, and [`KodeRekening::normalized`] gives the four-digit form that the
//! chart is keyed by.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest text accepted as a kode rekening (the longest valid code is 17 characters; the slack
/// allows surrounding blanks).
pub const MAX_KODE_LEN: usize = 40;

/// Hierarchy level of a code: how many segments it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Akun = 1,
    Kelompok = 2,
    Jenis = 3,
    Objek = 4,
    RincianObjek = 5,
    SubRincianObjek = 6,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Akun,
        Level::Kelompok,
        Level::Jenis,
        Level::Objek,
        Level::RincianObjek,
        Level::SubRincianObjek,
    ];

    /// Number of segments of a code at this level (1–6).
    pub fn depth(self) -> usize {
        self as usize
    }

    pub fn from_depth(depth: usize) -> Option<Level> {
        Level::ALL.get(depth.checked_sub(1)?).copied()
    }

    /// The segment's name as Permendagri 90/2019 calls it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Akun => "akun",
            Level::Kelompok => "kelompok",
            Level::Jenis => "jenis",
            Level::Objek => "objek",
            Level::RincianObjek => "rincian objek",
            Level::SubRincianObjek => "sub rincian objek",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a kode rekening did not parse. Every variant names the input; segment errors name the
/// segment (1-based position and its name), what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KodeRekeningError {
    #[error("empty kode rekening: expected a code like 4.1.01.19.01.0001")]
    Empty,
    #[error("kode rekening is {len} characters long; the limit is {MAX_KODE_LEN}")]
    TooLong { len: usize },
    #[error("kode rekening {input:?} has {found} segments; expected 1 to 6 (akun.kelompok.jenis.objek.rincian.sub rincian)")]
    TooManySegments { input: String, found: usize },
    #[error("kode rekening {input:?}, segment {position} ({segment}): expected {expected}, found {found:?}")]
    Segment {
        input: String,
        position: usize,
        segment: &'static str,
        expected: String,
        found: String,
    },
}

/// A parsed kode rekening at any level from akun to sub rincian objek.
///
/// Equality and ordering are on the segment values and the written sub rincian width, so
/// `…01.001` and `…01.0001` are different values; compare [`KodeRekening::normalized`] forms
/// when the width should not matter (the chart does).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KodeRekening {
    segments: [u16; 6],
    depth: u8,
    /// 3 or 4: how the sub rincian was written (only meaningful at depth 6).
    sub_width: u8,
}

/// Expected digit count per segment (sub rincian: 4, or 3 in some applications).
const WIDTHS: [usize; 5] = [1, 1, 2, 2, 2];

impl KodeRekening {
    /// Parses `X`, `X.X`, `X.X.XX`, `X.X.XX.XX`, `X.X.XX.XX.XX` or `X.X.XX.XX.XX.XXXX`
    /// (sub rincian also as `XXX`). Surrounding blanks are ignored; nothing else is.
    pub fn parse(text: &str) -> Result<Self, KodeRekeningError> {
        if text.len() > MAX_KODE_LEN {
            return Err(KodeRekeningError::TooLong { len: text.len() });
        }
        let input = text.trim();
        if input.is_empty() {
            return Err(KodeRekeningError::Empty);
        }
        let parts: Vec<&str> = input.split('.').collect();
        if parts.len() > 6 {
            return Err(KodeRekeningError::TooManySegments {
                input: input.to_string(),
                found: parts.len(),
            });
        }
        let mut segments = [0u16; 6];
        let mut sub_width = 4u8;
        for (i, part) in parts.iter().enumerate() {
            let level = Level::ALL[i];
            let segment_error = |expected: String| KodeRekeningError::Segment {
                input: input.to_string(),
                position: i + 1,
                segment: level.name(),
                expected,
                found: (*part).to_string(),
            };
            let width_ok = match WIDTHS.get(i) {
                Some(&w) => part.len() == w,
                None => part.len() == 4 || part.len() == 3,
            };
            let expected_digits = match WIDTHS.get(i) {
                Some(1) => "1 digit".to_string(),
                Some(w) => format!("{w} digits"),
                None => "4 digits (or 3 in some applications)".to_string(),
            };
            if !width_ok || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(segment_error(expected_digits));
            }
            let value: u16 = part
                .parse()
                .map_err(|_| segment_error(expected_digits.clone()))?;
            if value == 0 {
                // Permendagri 90/2019 numbers every level from 1; a zero segment is a typo or a
                // placeholder, never a real account.
                return Err(segment_error(format!("{expected_digits}, not zero")));
            }
            segments[i] = value;
            if i == 5 {
                sub_width = part.len() as u8;
            }
        }
        Ok(KodeRekening {
            segments,
            depth: parts.len() as u8,
            sub_width,
        })
    }

    /// Is `text` a well-formed kode rekening (any level)?
    pub fn is_valid(text: &str) -> bool {
        KodeRekening::parse(text).is_ok()
    }

    /// Builds a code from segment values (1–6 of them). Values must be non-zero and fit the
    /// segment width; the sub rincian is written with four digits.
    pub fn from_segments(values: &[u16]) -> Result<Self, KodeRekeningError> {
        let text = values
            .iter()
            .enumerate()
            .map(|(i, v)| match WIDTHS.get(i) {
                Some(&w) => format!("{v:0w$}"),
                None => format!("{v:04}"),
            })
            .collect::<Vec<_>>()
            .join(".");
        KodeRekening::parse(&text)
    }

    pub fn level(&self) -> Level {
        // depth is always 1..=6 by construction.
        Level::from_depth(usize::from(self.depth)).unwrap_or(Level::SubRincianObjek)
    }

    /// Number of segments (1–6).
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// The segment values, akun first.
    pub fn segments(&self) -> &[u16] {
        &self.segments[..self.depth()]
    }

    /// Akun (first digit): 1 aset, 2 kewajiban, 3 ekuitas, 4 pendapatan, 5 belanja,
    /// 6 pembiayaan, 7 pendapatan-LO, 8 beban.
    pub fn akun(&self) -> u16 {
        self.segments[0]
    }

    /// Was the sub rincian written with three digits?
    pub fn has_short_sub_rincian(&self) -> bool {
        self.depth == 6 && self.sub_width == 3
    }

    /// The same code with a four-digit sub rincian (the chart's key form).
    pub fn normalized(&self) -> KodeRekening {
        KodeRekening {
            sub_width: 4,
            ..*self
        }
    }

    /// The code one level up; `None` for an akun.
    pub fn parent(&self) -> Option<KodeRekening> {
        if self.depth <= 1 {
            return None;
        }
        let mut segments = self.segments;
        segments[usize::from(self.depth) - 1] = 0;
        Some(KodeRekening {
            segments,
            depth: self.depth - 1,
            sub_width: 4,
        })
    }

    /// The code truncated to `level` (itself when it is already at or above that level).
    pub fn ancestor_at(&self, level: Level) -> KodeRekening {
        let depth = level.depth().min(self.depth());
        let mut segments = [0u16; 6];
        segments[..depth].copy_from_slice(&self.segments[..depth]);
        KodeRekening {
            segments,
            depth: depth as u8,
            sub_width: if depth == 6 { self.sub_width } else { 4 },
        }
    }

    /// All ancestors from the akun down to the parent (excluding `self`).
    pub fn ancestors(&self) -> Vec<KodeRekening> {
        (1..self.depth())
            .filter_map(Level::from_depth)
            .map(|l| self.ancestor_at(l))
            .collect()
    }

    /// Is `self` a strict ancestor (a proper prefix) of `other`? The sub rincian width does not
    /// matter here: an ancestor never has a sub rincian.
    pub fn is_ancestor_of(&self, other: &KodeRekening) -> bool {
        self.depth < other.depth && self.segments() == &other.segments[..self.depth()]
    }

    /// `self` or one of its descendants.
    pub fn contains(&self, other: &KodeRekening) -> bool {
        self.normalized() == other.normalized() || self.is_ancestor_of(other)
    }
}

impl fmt::Display for KodeRekening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.segments().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            let width = match WIDTHS.get(i) {
                Some(&w) => w,
                None => usize::from(self.sub_width),
            };
            write!(f, "{v:0width$}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KodeRekening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KodeRekening({self})")
    }
}

/// Codes order as the chart lists them: depth-first, parents before children
/// (`4` < `4.1` < `4.1.01` < `4.1.02` < `4.2`).
impl Ord for KodeRekening {
    fn cmp(&self, other: &Self) -> Ordering {
        self.segments()
            .cmp(other.segments())
            .then(self.sub_width.cmp(&other.sub_width))
    }
}

impl PartialOrd for KodeRekening {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl FromStr for KodeRekening {
    type Err = KodeRekeningError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KodeRekening::parse(s)
    }
}

impl Serialize for KodeRekening {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KodeRekening {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        KodeRekening::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> KodeRekening {
        KodeRekening::parse(s).unwrap()
    }

    #[test]
    fn parses_every_level() {
        for (text, level) in [
            ("4", Level::Akun),
            ("4.1", Level::Kelompok),
            ("4.1.01", Level::Jenis),
            ("4.1.01.19", Level::Objek),
            ("4.1.01.19.01", Level::RincianObjek),
            ("4.1.01.19.01.0001", Level::SubRincianObjek),
        ] {
            let code = k(text);
            assert_eq!(code.level(), level, "{text}");
            assert_eq!(code.to_string(), text);
        }
        assert_eq!(k("  1.1.01.01.01.0001 ").to_string(), "1.1.01.01.01.0001");
    }

    #[test]
    fn three_digit_sub_rincian_is_kept_and_normalizes() {
        let short = k("4.1.01.19.01.001");
        assert!(short.has_short_sub_rincian());
        assert_eq!(short.to_string(), "4.1.01.19.01.001");
        assert_eq!(short.normalized(), k("4.1.01.19.01.0001"));
        assert_ne!(short, k("4.1.01.19.01.0001"));
        assert!(k("4.1.01.19.01").is_ancestor_of(&short));
    }

    #[test]
    fn segment_errors_name_segment_expected_and_found() {
        let e = KodeRekening::parse("4.1.1.19").unwrap_err();
        assert_eq!(
            e,
            KodeRekeningError::Segment {
                input: "4.1.1.19".into(),
                position: 3,
                segment: "jenis",
                expected: "2 digits".into(),
                found: "1".into(),
            }
        );
        assert_eq!(
            e.to_string(),
            "kode rekening \"4.1.1.19\", segment 3 (jenis): expected 2 digits, found \"1\""
        );
        let e = KodeRekening::parse("4.1.01.19.01.00001").unwrap_err();
        assert!(e.to_string().contains("sub rincian objek"), "{e}");
        let e = KodeRekening::parse("4.1.0a").unwrap_err();
        assert!(matches!(e, KodeRekeningError::Segment { position: 3, .. }));
        let e = KodeRekening::parse("4.1.00").unwrap_err();
        assert!(e.to_string().contains("not zero"), "{e}");
        assert!(matches!(
            KodeRekening::parse("4..01"),
            Err(KodeRekeningError::Segment { position: 2, .. })
        ));
        assert!(matches!(
            KodeRekening::parse("4.1.01.19.01.0001.01"),
            Err(KodeRekeningError::TooManySegments { found: 7, .. })
        ));
        assert_eq!(KodeRekening::parse("  "), Err(KodeRekeningError::Empty));
        assert!(matches!(
            KodeRekening::parse(&"4".repeat(100)),
            Err(KodeRekeningError::TooLong { len: 100 })
        ));
        assert!(KodeRekening::parse("4-1-01").is_err());
        assert!(KodeRekening::parse("+4.1").is_err());
    }

    #[test]
    fn parent_chain_and_ancestry() {
        let code = k("4.1.01.15.01.0001");
        let chain: Vec<String> = std::iter::successors(Some(code), |c| c.parent())
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            chain,
            [
                "4.1.01.15.01.0001",
                "4.1.01.15.01",
                "4.1.01.15",
                "4.1.01",
                "4.1",
                "4"
            ]
        );
        assert_eq!(k("4").parent(), None);
        assert!(k("4.1").is_ancestor_of(&code));
        assert!(!code.is_ancestor_of(&code));
        assert!(code.contains(&code));
        assert!(!k("4.1.02").is_ancestor_of(&code));
        assert!(!k("4.1.01.15").is_ancestor_of(&k("4.1.01.16.01.0001")));
        assert_eq!(code.ancestors().len(), 5);
        assert_eq!(code.ancestor_at(Level::Jenis), k("4.1.01"));
        assert_eq!(k("4.1").ancestor_at(Level::Objek), k("4.1"));
    }

    #[test]
    fn orders_parents_before_children() {
        let mut codes = [
            k("4.2"),
            k("4.1.02"),
            k("4.1"),
            k("4"),
            k("4.1.01.19"),
            k("4.1.01"),
        ];
        codes.sort();
        let texts: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(texts, ["4", "4.1", "4.1.01", "4.1.01.19", "4.1.02", "4.2"]);
    }

    #[test]
    fn serde_as_string() {
        let code = k("4.1.04.05.01.0001");
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"4.1.04.05.01.0001\"");
        let back: KodeRekening = serde_json::from_str(&json).unwrap();
        assert_eq!(back, code);
        let err = serde_json::from_str::<KodeRekening>("\"4.1.4\"").unwrap_err();
        assert!(err.to_string().contains("segment 3 (jenis)"), "{err}");
    }

    #[test]
    fn from_segments_pads() {
        assert_eq!(
            KodeRekening::from_segments(&[4, 1, 1, 19, 1, 1]).unwrap(),
            k("4.1.01.19.01.0001")
        );
        assert!(KodeRekening::from_segments(&[4, 1, 100]).is_err());
        assert!(KodeRekening::from_segments(&[]).is_err());
    }
}
