//! Every bundled CSV profile on any bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for id in [
        "bca-bisnis",
        "bca-individu",
        "mandiri-mcm",
        "mandiri-rekening-koran",
        "bni",
        "bri-cms",
        "bank-jatim",
    ] {
        let _ = kasda_statement::csv_profile::read_bundled("fuzz.csv", data, id);
    }
});
