//! Arbitrary input never panics the loaders of the chart, the calendar and the configuration.

use kasda_core::calendar::Calendar;
use kasda_core::chart::Chart;
use kasda_core::config::Config;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn chart_tsv_never_panics(text in "(\\PC{0,30}[\\t\\n]){0,30}") {
        if let Err(e) = Chart::from_tsv("c.tsv", &text, "s.tsv", &text) {
            prop_assert!(e.to_string().contains(".tsv"), "{}", e);
        }
    }

    #[test]
    fn holiday_file_never_panics(text in "\\PC{0,200}") {
        // Whatever the text, it is never accepted as a year without a valid header.
        match Calendar::from_year_files(&[("x.toml", &text)]) {
            Ok(cal) => prop_assert!(cal.years().is_some()),
            Err(e) => prop_assert!(e.to_string().contains("x.toml"), "{}", e),
        }
    }

    #[test]
    fn config_text_never_panics(text in "\\PC{0,300}") {
        // Random text can never be a valid configuration: [pemda] and an RKUD are required.
        prop_assert!(Config::from_str(&text).is_err());
    }

    #[test]
    fn mangled_example_never_panics(cut in 0usize..12_000, insert in "\\PC{0,8}") {
        let example = Config::example();
        let mut at = cut.min(example.len());
        while !example.is_char_boundary(at) {
            at -= 1;
        }
        let text = format!("{}{}{}", &example[..at], insert, &example[at..]);
        for candidate in [text.as_str(), &example[..at]] {
            if let Err(e) = Config::from_str(candidate) {
                prop_assert!(e.to_string().starts_with("kasda.toml"), "{}", e);
            }
        }
    }
}
