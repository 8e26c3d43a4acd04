//! Robustness: arbitrary bytes, and mutations of real samples, never panic the CSV profile
//! reader or the SNAP reader; they either read or return a `ReadError`.

use std::path::Path;

use kasda_statement::csv_profile::{self, bundled_profiles};
use kasda_statement::snap;
use proptest::prelude::*;

fn file(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../sample-statements")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = bundled_profiles()
        .iter()
        .map(|p| file(&format!("csv/synthetic__{}.csv", p.id)))
        .collect();
    out.push(file("csv/edge__year-end-pending-footer.csv"));
    out.push(file("csv/edge__multiline-description.csv"));
    out.push(file("csv/edge__html-table-bni.xls"));
    out.push(file("snap/snap__single-page-desc.json"));
    out.push(file("snap/snap__two-pages-array.json"));
    out.push(file("snap/snap__jsonl-incomplete.jsonl"));
    out
}

fn exercise(bytes: &[u8]) {
    let _ = csv_profile::sniff(bytes);
    for p in bundled_profiles() {
        if let Err(e) = csv_profile::read("p.csv", bytes, p) {
            assert!(!e.code.is_empty());
        }
    }
    let _ = snap::sniff(bytes);
    if let Err(e) = snap::read("p.json", bytes) {
        assert!(!e.code.is_empty());
    }
    let _ = kasda_statement::read_bytes("p", bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic(
        seed in 0usize..12,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..12),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed % seeds.len()].clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        exercise(&bytes);
    }
}

#[test]
fn every_seed_reads() {
    for (i, s) in seeds().iter().enumerate() {
        assert!(kasda_statement::read_bytes("seed", s).is_ok(), "seed {i}");
    }
}
