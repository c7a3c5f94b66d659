//! Topic matching and the subscription trie, checked against the reference matcher.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    canopy::broker::fuzzing::check_trie_against_reference(data);
});
