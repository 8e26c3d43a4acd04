//! The MT940/MT942 reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = kasda_statement::mt940::read("fuzz.sta", data);
});
