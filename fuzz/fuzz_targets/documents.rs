//! Receipts/STS/SP2D/BKU readers (CSV, JSON Lines, XLSX) and their validation on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_775_000_000, 0).unwrap_or_default();
    let opts = kasda_documents::ReadOptions::new(now);
    let _ = kasda_documents::read_documents("fuzz.csv", data, &opts);
});
