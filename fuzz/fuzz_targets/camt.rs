//! The camt.052/053/054 reader on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = kasda_statement::camt::read("fuzz.xml", data);
});
