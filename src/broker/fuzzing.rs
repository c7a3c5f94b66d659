//! Entry points for the coverage-guided fuzz targets in `fuzz/`, and for the normal test suite,
//! which runs every file of their corpora through the same functions on the stable toolchain.
//! Each takes arbitrary bytes and must not panic, hang or grow without bound; the trie check
//! panics only when the subscription index and the reference matcher disagree.

use super::config::BrokerConfig;
use super::trie::SubscriptionTrie;
use super::{Shared, connection, decode};
use crate::mqtt::{self, ProtocolVersion, TopicFilter, TopicLimits};
use bytes::BytesMut;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};

/// Decode `bytes` as the broker would: as the first packet of a connection (CONNECT), and as
/// the packets of an established MQTT 3.1.1 and MQTT 5 connection. Returns how many packets
/// decoded, so a fuzzer sees the work done.
pub fn decode_stream(bytes: &[u8]) -> usize {
    let mut decoded = 0;
    let mut first = BytesMut::from(bytes);
    if let Ok(Some((first_byte, body))) = decode::next_packet(&mut first, 1 << 20)
        && decode::decode_connect(first_byte, body).is_ok()
    {
        decoded += 1;
    }
    for version in ProtocolVersion::ALL {
        let mut buf = BytesMut::from(bytes);
        while let Ok(Some(_)) = decode::decode(version, &mut buf, 1 << 20) {
            decoded += 1;
        }
    }
    decoded
}

/// Time one "let time pass" step of a script stands for: on a paused clock (the fuzzers', and
/// the corpus run in the unit tests) a quarter second, so keep alive and will delays are
/// reached; on a real clock a millisecond.
#[cfg(any(test, feature = "fuzzing"))]
const SLEEP_UNIT: Duration = Duration::from_millis(250);
#[cfg(not(any(test, feature = "fuzzing")))]
const SLEEP_UNIT: Duration = Duration::from_millis(1);

/// Clients an in-memory session script drives at once.
const SCRIPT_CLIENTS: usize = 3;

/// Run the broker's connection handling (handshake, sessions, routing, retained messages,
/// wills, flow control) on in-memory streams, driven by `script`: no sockets, time paused and
/// advanced only by the script. Each step is one byte `op` (and for writes a length byte and
/// that many bytes): `op & 3` picks the client (3: all of them in turn), `(op >> 2) & 3` what
/// happens: 0 write the bytes, 1 close the client's stream (a new one opens on its next
/// write), 2 let `(op >> 4)` × [`SLEEP_UNIT`] pass, 3 let the broker run.
pub fn run_sessions(script: &[u8]) {
    thread_local! {
        // One runtime per thread for all scripts: building one costs more than most scripts.
        static RUNTIME: Option<tokio::runtime::Runtime> = {
            let mut builder = tokio::runtime::Builder::new_current_thread();
            builder.enable_all();
            #[cfg(any(test, feature = "fuzzing"))]
            builder.start_paused(true);
            builder.build().ok()
        };
    }
    RUNTIME.with(|runtime| {
        if let Some(runtime) = runtime {
            runtime.block_on(script_on(script));
        }
    });
}

/// Interpret fuzz input as a session script. Long: one arm per script operation, so a
/// crashing input can be read against this one place.
async fn script_on(script: &[u8]) {
    {
        let shared = Shared::new(BrokerConfig {
            port: 0,
            sys_interval: Duration::ZERO,
            connect_timeout: Duration::from_secs(2),
            max_packet_size: 64 * 1024,
            max_queued_messages: 64,
            receive_maximum: 8,
            topic_alias_maximum: 4,
            topic_limits: TopicLimits {
                max_levels: 16,
                max_bytes: 256,
            },
            ..BrokerConfig::default()
        });
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        // The client ends the script writes into; what the broker sends back is read and
        // dropped by a task per connection, so the broker never waits on a full pipe.
        let mut streams: Vec<Option<WriteHalf<DuplexStream>>> =
            (0..SCRIPT_CLIENTS).map(|_| None).collect();
        let mut tasks = tokio::task::JoinSet::new();
        let mut rest = script;
        while let [op, tail @ ..] = rest {
            rest = tail;
            let who = usize::from(op & 3);
            let targets = if who == 3 {
                0..SCRIPT_CLIENTS
            } else {
                who..who + 1
            };
            match (op >> 2) & 3 {
                0 => {
                    let len = rest
                        .first()
                        .map_or(0, |l| usize::from(*l))
                        .min(rest.len().saturating_sub(1));
                    let data = rest.get(1..1 + len).unwrap_or_default();
                    rest = rest.get(1 + len..).unwrap_or_default();
                    for index in targets {
                        let stream = streams[index].get_or_insert_with(|| {
                            let (client, server) = tokio::io::duplex(16 * 1024);
                            let peer =
                                std::net::SocketAddr::from(([127, 0, 0, 1], 40_000 + index as u16));
                            tasks.spawn(connection::serve(
                                server,
                                peer,
                                std::sync::Arc::clone(&shared),
                                shutdown_rx.clone(),
                            ));
                            let (mut from_broker, to_broker) = tokio::io::split(client);
                            tasks.spawn(async move {
                                let mut sink = [0u8; 4096];
                                while matches!(from_broker.read(&mut sink).await, Ok(n) if n > 0) {}
                            });
                            to_broker
                        });
                        // A broker that stopped reading must not stall the script.
                        let _ = tokio::time::timeout(
                            Duration::from_millis(100),
                            stream.write_all(data),
                        )
                        .await;
                    }
                }
                1 => {
                    for index in targets {
                        if let Some(mut stream) = streams[index].take() {
                            let _ = stream.shutdown().await;
                        }
                    }
                }
                2 => tokio::time::sleep(SLEEP_UNIT * u32::from(op >> 4)).await,
                _ => {}
            }
            // Let the broker (and the readers) run.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
        }
        for stream in streams.iter_mut().flatten() {
            let _ = stream.shutdown().await;
        }
        drop(streams);
        let _ = shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        tasks.abort_all();
    }
}

/// Insert and remove the filters in `bytes` (split at newlines; a line starting with `-`
/// removes) in the subscription trie, and check every topic line against the reference matcher
/// ([`mqtt::matches`]) over the filters currently held. Panics when they disagree.
pub fn check_trie_against_reference(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut trie: SubscriptionTrie<usize, ()> = SubscriptionTrie::default();
    let mut held: Vec<(String, usize)> = Vec::new();
    let limits = TopicLimits {
        max_levels: 64,
        max_bytes: 1024,
    };
    for (line_no, line) in text.split('\n').enumerate().take(256) {
        let (remove, body) = match line.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if let Ok(filter) = TopicFilter::with_limits(body, &limits) {
            let pattern = filter.pattern().to_owned();
            if remove {
                if let Some(index) = held.iter().position(|(f, _)| *f == pattern) {
                    let (_, key) = held.swap_remove(index);
                    assert_eq!(trie.remove(&pattern, &key), Some(()), "remove {pattern:?}");
                }
            } else if !held.iter().any(|(f, _)| *f == pattern) {
                trie.insert(&pattern, line_no, ());
                held.push((pattern, line_no));
            }
        }
        assert_eq!(trie.len(), held.len());
        if mqtt::TopicName::validate(body, &limits).is_ok() {
            let mut found = Vec::new();
            trie.for_each_match(body, |key, ()| found.push(*key));
            found.sort_unstable();
            let mut expected: Vec<usize> = held
                .iter()
                .filter(|(filter, _)| mqtt::matches(filter, body))
                .map(|(_, key)| *key)
                .collect();
            expected.sort_unstable();
            assert_eq!(found, expected, "topic {body:?} against {held:?}");
        }
    }
}

/// Every file of each fuzz target's corpus (and of its regressions: inputs that once failed),
/// run once on the stable toolchain, so the normal suite catches what the fuzzers found.
#[cfg(test)]
mod tests {
    use std::path::Path;

    fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut files = Vec::new();
        for folder in [
            root.join("corpus").join(target),
            root.join("regressions").join(target),
        ] {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_file() {
                    let bytes = std::fs::read(&path).expect("read a corpus file");
                    files.push((path.display().to_string(), bytes));
                }
            }
        }
        files.sort();
        assert!(!files.is_empty(), "no corpus for {target}");
        files
    }

    #[test]
    fn decode_corpus() {
        let files = inputs("decode");
        let decoded: usize = files
            .iter()
            .map(|(_, bytes)| super::decode_stream(bytes))
            .sum();
        assert!(decoded > 0, "the seeds from real clients decode");
    }

    #[test]
    fn sessions_corpus() {
        for (_, bytes) in inputs("sessions") {
            super::run_sessions(&bytes);
        }
    }

    #[test]
    fn topic_match_corpus() {
        for (_, bytes) in inputs("topic_match") {
            super::check_trie_against_reference(&bytes);
        }
    }
}
