//! The SNAP BI bank-statement JSON reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = kasda_statement::snap::read("fuzz.json", data);
});
