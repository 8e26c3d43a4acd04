//! Property tests of kode rekening: display/parse round trip, parent chains and ancestry.

use kasda_core::kode_rekening::{KodeRekening, Level};
use proptest::prelude::*;

/// Segment values of a valid code at a random depth.
fn segments() -> impl Strategy<Value = Vec<u16>> {
    (1usize..=6).prop_flat_map(|depth| {
        let limits = [9u16, 9, 99, 99, 99, 9999];
        let parts: Vec<_> = limits.iter().take(depth).map(|&max| 1..=max).collect();
        parts
    })
}

proptest! {
    #[test]
    fn display_parse_round_trip(values in segments()) {
        let code = KodeRekening::from_segments(&values).unwrap();
        prop_assert_eq!(code.segments(), values.as_slice());
        let text = code.to_string();
        prop_assert_eq!(KodeRekening::parse(&text), Ok(code));
        prop_assert!(KodeRekening::is_valid(&text));
        let json = serde_json::to_string(&code).unwrap();
        prop_assert_eq!(serde_json::from_str::<KodeRekening>(&json).ok(), Some(code));
        prop_assert_eq!(code.level(), Level::from_depth(values.len()).unwrap());
    }

    #[test]
    fn every_ancestor_is_a_prefix_and_orders_first(values in segments()) {
        let code = KodeRekening::from_segments(&values).unwrap();
        let ancestors = code.ancestors();
        prop_assert_eq!(ancestors.len(), values.len() - 1);
        for a in &ancestors {
            prop_assert!(a.is_ancestor_of(&code));
            prop_assert!(!code.is_ancestor_of(a));
            prop_assert!(a < &code);
            let prefix = format!("{a}.");
            prop_assert!(code.to_string().starts_with(&prefix), "{} {}", code, prefix);
        }
        if let Some(parent) = code.parent() {
            prop_assert_eq!(Some(&parent), ancestors.last());
            prop_assert_eq!(parent.depth() + 1, code.depth());
        } else {
            prop_assert_eq!(code.depth(), 1);
        }
    }

    #[test]
    fn wrong_segment_width_is_rejected(values in segments(), pad in 1usize..3) {
        let code = KodeRekening::from_segments(&values).unwrap();
        let text = code.to_string();
        // Widen the last segment with one or two leading zeros: never a valid code (the sub
        // rincian is written with four digits here, so five or six are too many).
        let (head, last) = text.rsplit_once('.').unwrap_or(("", text.as_str()));
        let widened = format!("{}{}{}", head, if head.is_empty() { "" } else { "." }, "0".repeat(pad) + last);
        prop_assert!(KodeRekening::parse(&widened).is_err(), "{}", widened);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = KodeRekening::parse(&text);
    }
}
