//! Property tests: no input makes detection or reading panic, and every outcome is well formed
//! (a read file has statements and non-negative amounts; an error has a stable code).

use std::path::{Path, PathBuf};

use kasda_statement::{detect, mt940, read_bytes};
use proptest::prelude::*;

fn samples() -> Vec<Vec<u8>> {
    let mut dirs =
        vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements/mt940")];
    let shared = std::env::var("KASDA_SHARED_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sample-statements")
        });
    dirs.push(shared.join("mt940"));
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_file() && !p.to_string_lossy().ends_with(".json") {
                if let Ok(b) = std::fs::read(&p) {
                    out.push(b);
                }
            }
        }
    }
    assert!(!out.is_empty(), "no MT940 samples found");
    out
}

fn well_formed(bytes: &[u8]) {
    let _ = detect(bytes);
    let _ = mt940::sniff(bytes);
    match read_bytes("prop.sta", bytes) {
        Ok(file) => {
            assert!(!file.statements.is_empty());
            for e in file.statements.iter().flat_map(|s| &s.entries) {
                assert!(e.amount >= rust_decimal::Decimal::ZERO);
            }
        }
        Err(e) => {
            assert!(!e.code.is_empty());
            assert!(
                e.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                e.code
            );
        }
    }
    match mt940::read("prop.sta", bytes) {
        Ok(f) => assert!(!f.statements.is_empty()),
        Err(e) => assert!(!e.code.is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        well_formed(&bytes);
    }

    #[test]
    fn tag_soup_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just(":20:X\n".to_string()), Just(":25:1\n".to_string()), Just(":28C:1/2\n".to_string()),
            Just(":60F:C240101IDR1,\n".to_string()), Just(":60M:D2402".to_string()),
            Just(":61:2401010101RC1,5NTRFX//Y\n".to_string()), Just(":61:991231".to_string()),
            Just(":86:?20a?3".to_string()), Just(":86:/EREF/".to_string()), Just(":62F:C240101IDR1,\n".to_string()),
            Just("-\n".to_string()), Just("{1:F01}{2:I942}{4:\n".to_string()), Just("-}\n".to_string()),
            Just(":34F:IDRD".to_string()), Just(":13D:2401011200+99".to_string()), Just(":90D:9".to_string()),
            Just("\r".to_string()), Just("\u{feff}".to_string()), "[ -~]{0,20}\n",
        ], 0..40)) {
        well_formed(parts.concat().as_bytes());
    }

    #[test]
    fn truncated_and_flipped_samples_never_panic(pick in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>(),
                                                flip in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let all = samples();
        let sample = &all[pick.index(all.len())];
        let mut b = sample[..cut.index(sample.len() + 1)].to_vec();
        well_formed(&b);
        if !b.is_empty() {
            let i = flip.index(b.len());
            b[i] = byte;
            well_formed(&b);
        }
    }
}
