//! Robustness of the camt reader: whatever the bytes (random, a cut-off sample, a sample with
//! bytes flipped or markup spliced in), it returns a value or a `ReadError`, never panics, and
//! every error carries a code.

use std::path::PathBuf;

use proptest::prelude::*;

use kasda_statement::camt;

fn samples() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-statements");
    let mut out = Vec::new();
    for dir in ["camt", "public/camt"] {
        let dir = root.join(dir);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            // The large public statement slows every case down without adding shapes.
            .filter(|p| {
                std::fs::metadata(p)
                    .map(|m| m.len() < 100_000)
                    .unwrap_or(false)
            })
            .collect();
        paths.sort();
        for p in paths {
            out.push(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
        }
    }
    assert!(out.len() > 40, "samples found: {}", out.len());
    out
}

fn check(bytes: &[u8]) {
    match camt::read("fuzz.xml", bytes) {
        Ok(file) => {
            for e in file.statements.iter().flat_map(|s| &s.entries) {
                assert!(
                    e.amount >= rust_decimal::Decimal::ZERO,
                    "negative entry amount"
                );
            }
        }
        Err(e) => assert!(!e.code.is_empty(), "error without code: {e}"),
    }
    // Detection must not panic either.
    let _ = camt::sniff(bytes);
}

const SNIPPETS: &[&str] = &[
    "<Ntry>",
    "</Ntry>",
    "<Amt Ccy=\"IDR\">",
    "</Amt>",
    "<Stmt>",
    "<![CDATA[x]]>",
    "&amp;",
    "&bogus;",
    "<!-- c -->",
    "<?pi x?>",
    "<!DOCTYPE x [<!ENTITY e \"y\">]>",
    "\u{0}",
    "\u{feff}",
    "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">",
    "9999999999999999999999999.99",
    "-1.00",
    "2024-02-30",
    "<CdtDbtInd>DBIT</CdtDbtInd>",
    "<Sts><Cd>PDNG</Cd></Sts>",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn random_xmlish_text_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(SNIPPETS).prop_map(str::to_string),
                "[<>/a-zA-Z0-9 =\"'.:-]{0,12}",
            ],
            0..64,
        )
    ) {
        check(parts.concat().as_bytes());
    }

    #[test]
    fn every_prefix_of_a_sample_is_read_or_refused(sample in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let all = samples();
        let bytes = &all[sample.index(all.len())];
        let cut = cut.index(bytes.len() + 1);
        check(&bytes[..cut]);
    }

    #[test]
    fn mutated_samples_never_panic(
        sample in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let all = samples();
        let mut bytes = all[sample.index(all.len())].clone();
        for (at, value) in flips {
            let i = at.index(bytes.len().max(1));
            if let Some(b) = bytes.get_mut(i) {
                *b = value;
            }
        }
        check(&bytes);
    }

    #[test]
    fn spliced_samples_never_panic(
        sample in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        snippet in proptest::sample::select(SNIPPETS),
    ) {
        let all = samples();
        let bytes = &all[sample.index(all.len())];
        let i = at.index(bytes.len() + 1);
        let mut spliced = bytes[..i].to_vec();
        spliced.extend_from_slice(snippet.as_bytes());
        spliced.extend_from_slice(&bytes[i..]);
        check(&spliced);
    }
}

/// Every cut of one complete sample, not just random ones: the truncation path of each
/// element kind is reached at least once.
#[test]
fn every_cut_of_a_small_sample() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../sample-statements/camt/reversal-return.camt054.v04.xml");
    let bytes = std::fs::read(&path).expect("fixture");
    let mut refused = 0;
    for cut in 0..bytes.len() {
        match camt::read("cut.xml", &bytes[..cut]) {
            Ok(_) => {}
            Err(e) => {
                assert!(
                    [
                        "truncated",
                        "xml-syntax",
                        "empty-file",
                        "no-message-element",
                        "bad-encoding"
                    ]
                    .contains(&e.code.as_str()),
                    "cut at {cut}: {e}"
                );
                refused += 1;
            }
        }
    }
    // Only cuts inside the trailing whitespace after `</Document>` can be complete.
    assert!(
        refused + 2 >= bytes.len(),
        "refused {refused} of {}",
        bytes.len()
    );
}

/// Markup the entry builder must treat exactly as serde does (an unknown entity, CDATA, a
/// stray start tag), spliced in at every offset of a sample whose entries have the deep, partly
/// ignored elements (`AmtDtls/CntrValAmt/CcyXchg`) where a random splice once found the builder
/// accepting `&bogus;` that serde refuses. Debug builds assert inside the reader that the two
/// agree on every entry, so this is a deterministic check of that agreement.
#[test]
fn tricky_markup_at_every_offset_of_a_deep_sample() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../../sample-statements/public/camt/dvbern__camt053_v00104_business-sample-camt.053.001.04.xml",
    );
    let bytes = std::fs::read(&path).expect("fixture");
    let snippets = ["&bogus;", "<![CDATA[x]]>", "<X a=\"&bogus;\"/>"];
    let mut read = 0usize;
    for snippet in snippets {
        for at in 0..=bytes.len() {
            let mut spliced = bytes[..at].to_vec();
            spliced.extend_from_slice(snippet.as_bytes());
            spliced.extend_from_slice(&bytes[at..]);
            match camt::read("spliced.xml", &spliced) {
                Ok(_) => read += 1,
                Err(e) => assert!(!e.code.is_empty(), "error without code: {e}"),
            }
        }
    }
    // A splice into text or between elements of an ignored part can be harmless.
    assert!(read > 0, "no splice was harmless");
}
