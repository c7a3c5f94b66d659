//! Packet decoding, MQTT 3.1.1 and 5: a first CONNECT and a stream of packets after it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    canopy::broker::fuzzing::decode_stream(data);
});
