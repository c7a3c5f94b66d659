//! Any bytes as a recording: the sequential reader and the indexed one (what the window's
//! timeline uses) refuse them or read messages until they stop, and never panic, loop or
//! allocate more than a record's bounded size.

#![no_main]

use canopy::record::{ModelShape, RecordingIndex, state_at};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let source = Box::new(std::io::Cursor::new(data.to_vec()));
    if let Ok(mut reader) = canopy::record::Reader::read_from(Path::new("fuzz.mcap"), source) {
        while reader.next_message().is_some() {}
        let _ = reader.summary();
    }
    // The indexed reader seeks in a real file.
    let path = std::env::temp_dir().join(format!("canopy-fuzz-{}.mcap", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(mut index) = RecordingIndex::open(&path) {
        for at in 0..index.segments().len() {
            let _ = index.read_segment(at);
        }
        let shape = ModelShape {
            history_limit: 100,
            history_budget_bytes: 1 << 20,
        };
        let total = index.messages();
        for position in [total / 2, total] {
            let _ = state_at(&mut index, position, shape);
        }
        let _ = index.message_at(std::time::UNIX_EPOCH);
    }
});
