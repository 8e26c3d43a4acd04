//! The MT940/MT942 reader on any bytes: the whole-file reader, and the streaming reader fed
//! through a tiny buffer (so CRLF pairs and lines straddle refills), which must agree with it.
#![no_main]
use kasda_core::statement::{Entry, Statement};
use kasda_statement::mt940::{self, Sink};
use kasda_statement::ReadError;

#[derive(Default)]
struct Count {
    statements: usize,
    entries: usize,
}

impl Sink for Count {
    fn entry(&mut self, _statement_index: usize, _entry: Entry) -> Result<(), ReadError> {
        self.entries += 1;
        Ok(())
    }
    fn statement_end(&mut self, _index: usize, _statement: Statement) -> Result<(), ReadError> {
        self.statements += 1;
        Ok(())
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let whole = mt940::read("fuzz.sta", data);
    let mut count = Count::default();
    let streamed = mt940::read_stream(
        "fuzz.sta",
        std::io::BufReader::with_capacity(7, data),
        &mut count,
    );
    // The whole-file reader decodes a non-UTF-8 file as Windows-1252 throughout, the stream
    // line by line, so they are only comparable on UTF-8 input.
    if std::str::from_utf8(data).is_ok() {
        match (&whole, &streamed) {
            (Ok(file), Ok(outcome)) => {
                let entries: usize = file.statements.iter().map(|s| s.entries.len()).sum();
                assert_eq!(file.statements.len(), count.statements);
                assert_eq!(entries, count.entries);
                assert_eq!(outcome.entries as usize, entries);
            }
            (Err(a), Err(b)) => assert_eq!(a.code, b.code),
            _ => panic!(
                "read and read_stream disagree: {:?} vs {:?}",
                whole.as_ref().map(|_| ()),
                streamed.as_ref().map(|_| ())
            ),
        }
    }
});
