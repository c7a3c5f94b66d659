//! The broker's session state machine: scripts of packets from three clients on in-memory
//! streams, with time advanced by the script.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    canopy::broker::fuzzing::run_sessions(data);
});
