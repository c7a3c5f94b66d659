//! Any sequence of messages in the Sparkplug B namespace (births, deaths, data, commands,
//! STATE; payloads valid or not) fed to the session model: it reports problems, never panics,
//! and its tables stay bounded.

#![no_main]

use canopy::model::sparkplug::{MAX_EVENTS, Sessions};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

const TOPICS: [&str; 12] = [
    "spBv1.0/g/NBIRTH/n",
    "spBv1.0/g/NDEATH/n",
    "spBv1.0/g/NDATA/n",
    "spBv1.0/g/NCMD/n",
    "spBv1.0/g/DBIRTH/n/d",
    "spBv1.0/g/DDEATH/n/d",
    "spBv1.0/g/DDATA/n/d",
    "spBv1.0/g/DCMD/n/d",
    "spBv1.0/g/NBIRTH/m",
    "spBv1.0/g/NDATA/m",
    "spBv1.0/STATE/host",
    "STATE/old",
];

fuzz_target!(|data: &[u8]| {
    let mut sessions = Sessions::default();
    let mut rest = data;
    let mut message = 0;
    // Each message: a topic byte, a length byte, then that many payload bytes.
    while let [topic, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(len);
        let topic = TOPICS[usize::from(*topic) % TOPICS.len()];
        let at = UNIX_EPOCH + Duration::from_millis(message * 250);
        sessions.observe(topic, payload, at, message);
        let _ = sessions.aliases_at(topic, message / 2);
        message += 1;
        rest = next;
    }
    assert!(sessions.events().len() <= MAX_EVENTS);
});
