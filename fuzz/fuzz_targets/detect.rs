//! Auto-detection and the whole front door: any bytes either read or fail with an error.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok((format, _)) = kasda_statement::detect(data) {
        let _ = kasda_statement::read_bytes_as("fuzz", data, &format);
    }
    let _ = kasda_statement::read_bytes("fuzz", data);
});
