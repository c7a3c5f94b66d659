//! Any bytes as a recording: the reader refuses them or reads messages until it stops, and
//! never panics, loops or allocates more than a record's bounded size.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let source = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(mut reader) = canopy::record::Reader::read_from(Path::new("fuzz.mcap"), source) {
        while reader.next_message().is_some() {}
        let _ = reader.summary();
    }
});
