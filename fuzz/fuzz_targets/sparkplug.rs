//! Any sequence of messages in the Sparkplug B namespace (births, deaths, data, commands,
//! STATE; payloads valid or not) fed to the session model: it reports problems, never panics,
//! and its tables stay bounded. The bytes are split into messages by
//! `model::sparkplug::feed_fuzz_input`, which the normal suite also runs on this corpus.

#![no_main]

use canopy::model::sparkplug::{MAX_EVENTS, feed_fuzz_input};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sessions = feed_fuzz_input(data);
    assert!(sessions.events().len() <= MAX_EVENTS);
});
