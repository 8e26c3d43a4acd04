//! Property tests of money parsing and formatting: exact round trips in every notation, no
//! silent rounding, and grouping that is either right or an error.

use kasda_core::money::{
    canonical, display_idr, format_amount, parse_amount, parse_in, parse_signed, Currency,
    MoneyError, NumberFormat, MAX_INTEGER_DIGITS,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

const FORMATS: [NumberFormat; 4] = [
    NumberFormat::Plain,
    NumberFormat::Swift,
    NumberFormat::Indonesian,
    NumberFormat::English,
];

/// Non-negative amounts with 0–2 decimals and up to MAX_INTEGER_DIGITS integer digits.
fn amount() -> impl Strategy<Value = Decimal> {
    (0u32..=2).prop_flat_map(|scale| {
        let max = 10i128.pow(MAX_INTEGER_DIGITS as u32 + scale);
        prop_oneof![0i128..1_000_000, 0i128..max]
            .prop_map(move |m| Decimal::from_i128_with_scale(m, scale))
    })
}

/// A digit string of 1–18 digits without a leading zero (unless it is "0").
fn int_digits() -> impl Strategy<Value = String> {
    "[1-9][0-9]{0,17}|0"
}

proptest! {
    #[test]
    fn parse_of_format_round_trips_in_every_notation(a in amount(), scale in 0u32..=2) {
        let scale = scale.max(a.scale());
        for f in FORMATS {
            let text = format_amount(a, f, scale);
            let back = parse_amount(&text, f, 2);
            prop_assert_eq!(back.clone(), Ok(a), "{:?} {}", f, text);
            // Same value, same text again: formatting is a function of the value and scale.
            prop_assert_eq!(format_amount(back.unwrap_or_default(), f, scale), text);
        }
        prop_assert_eq!(parse_in(&canonical(a, Currency::IDR), NumberFormat::Plain, Currency::IDR), Ok(a));
    }

    #[test]
    fn over_scale_input_always_errors(int in int_digits(), frac in "[0-9]{3,8}") {
        for f in FORMATS {
            let mark = match f {
                NumberFormat::Plain | NumberFormat::English => '.',
                NumberFormat::Swift | NumberFormat::Indonesian => ',',
            };
            let text = format!("{int}{mark}{frac}");
            match parse_amount(&text, f, 2) {
                Err(MoneyError::OverScale { scale, max: 2, .. }) => prop_assert_eq!(scale as usize, frac.len()),
                other => prop_assert!(false, "{:?} {} gave {:?}", f, text, other),
            }
            let idr = parse_in(&text, f, Currency::IDR);
            prop_assert!(matches!(&idr, Err(MoneyError::OverScale { currency, .. }) if currency == "IDR"), "{:?}", idr);
        }
    }

    #[test]
    fn trailing_zeros_beyond_scale_are_still_over_scale(int in int_digits(), zeros in 1usize..5) {
        let text = format!("{int}.00{}", "0".repeat(zeros));
        prop_assert!(parse_amount(&text, NumberFormat::Plain, 2).is_err());
    }

    #[test]
    fn indonesian_and_english_grouping_agree(a in amount()) {
        let id = format_amount(a, NumberFormat::Indonesian, 2);
        let en = format_amount(a, NumberFormat::English, 2);
        prop_assert_eq!(id.replace('.', "#").replace(',', ".").replace('#', ","), en.clone());
        prop_assert_eq!(parse_amount(&id, NumberFormat::Indonesian, 2), Ok(a));
        prop_assert_eq!(parse_amount(&en, NumberFormat::English, 2), Ok(a));
        // Reading one locale's text with the other's rules is an error, never another number.
        prop_assert!(parse_amount(&id, NumberFormat::English, 2).is_err(), "{}", id);
        prop_assert!(parse_amount(&en, NumberFormat::Indonesian, 2).is_err(), "{}", en);
    }

    #[test]
    fn misplaced_group_separators_are_rejected(int in "[1-9][0-9]{3,15}", at in 1usize..16) {
        let n = int.len();
        let k = at % n;
        prop_assume!(k > 0 && (n - k) % 3 != 0);
        let (head, tail) = int.split_at(k);
        let id = format!("{head}.{tail},00");
        let en = format!("{head},{tail}.00");
        prop_assert!(parse_amount(&id, NumberFormat::Indonesian, 2).is_err(), "{}", id);
        prop_assert!(parse_amount(&en, NumberFormat::English, 2).is_err(), "{}", en);
    }

    #[test]
    fn ungrouped_integers_parse_the_same_in_every_notation(int in int_digits()) {
        let expected: Decimal = int.parse().unwrap_or_default();
        for f in FORMATS {
            prop_assert_eq!(parse_amount(&int, f, 2), Ok(expected));
        }
    }

    #[test]
    fn display_idr_reads_back(a in amount()) {
        let shown = display_idr(a);
        let digits = shown.strip_prefix("Rp");
        prop_assert!(digits.is_some(), "{}", shown);
        prop_assert_eq!(parse_amount(digits.unwrap_or(""), NumberFormat::Indonesian, 2), Ok(a));
    }

    #[test]
    fn signs_only_through_parse_signed(a in amount()) {
        let text = format_amount(a, NumberFormat::Plain, 2);
        let negative = format!("-{text}");
        prop_assert!(parse_amount(&negative, NumberFormat::Plain, 2).is_err(), "{}", negative);
        prop_assert_eq!(parse_signed(&format!("-{text}"), NumberFormat::Plain, 2), Ok(-a));
        prop_assert_eq!(parse_signed(&format!("+{text}"), NumberFormat::Plain, 2), Ok(a));
    }

    #[test]
    fn too_many_integer_digits_is_an_error(extra in 1usize..10) {
        let text = format!("1{}", "0".repeat(MAX_INTEGER_DIGITS - 1 + extra));
        let too_large = matches!(parse_amount(&text, NumberFormat::Plain, 2), Err(MoneyError::TooLarge { .. }));
        prop_assert!(too_large, "{}", text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        for f in FORMATS {
            let _ = parse_amount(&text, f, 2);
        }
    }
}
