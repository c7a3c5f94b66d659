//! `canopy pub` and `canopy clear-retained`, against the bundled broker and a real mosquitto.

use crate::common::{self, Mosquitto, listen, next_message};
use canopy::broker::{Broker, BrokerConfig};
use canopy::mqtt::ProtocolVersion;
use canopy::mqtt::Qos;
use canopy::net::BlockingClient;
use canopy::net::{ConnectOptions, EventKind, OutgoingMessage};
use std::time::{Duration, Instant};

fn canopy(args: &[&str]) -> std::process::Output {
    crate::common::canopy()
        .args(args)
        .output()
        .expect("run canopy")
}

fn round_trips(port: u16) {
    let url = format!("mqtt://127.0.0.1:{port}");
    let (manager, id) = listen(port, "rt/#");
    let cases: &[(&[&str], &[u8])] = &[
        (&["-m", "plain text ü"], "plain text ü".as_bytes()),
        (
            &["-m", r#"{"t": 21.50}"#, "--format", "json"],
            br#"{"t": 21.50}"#,
        ),
        (
            &["-m", "de ad be ef", "--format", "hex"],
            &[0xde, 0xad, 0xbe, 0xef],
        ),
        (&["-m", "aGVsbG8=", "--format", "base64"], b"hello"),
        (&["-n"], b""),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let topic = format!("rt/{i}");
        let mut all = vec!["pub", url.as_str(), "-t", topic.as_str(), "-q", "1"];
        all.extend_from_slice(args);
        let output = canopy(&all);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let message = next_message(&manager, id);
        assert_eq!(message.topic, topic);
        assert_eq!(&message.payload[..], *expected, "{args:?}");
        assert_eq!(message.qos, Qos::AtLeastOnce);
    }
    // A file's bytes, every MQTT 5 property, QoS 2 and retain.
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("blob");
    std::fs::write(&file, [0u8, 1, 2, 255]).expect("write");
    let output = canopy(&[
        "pub",
        &url,
        "-t",
        "rt/props",
        "-f",
        file.to_str().expect("utf-8"),
        "-q",
        "2",
        "-r",
        "--content-type",
        "application/octet-stream",
        "--response-topic",
        "rt/reply",
        "--correlation-data",
        "req-42",
        "--user-property",
        "a=1",
        "--user-property",
        "a=2",
        "--message-expiry",
        "300",
        "--utf8",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "published 4 B to rt/props (QoS 2, retained)"
    );
    let message = next_message(&manager, id);
    assert_eq!(&message.payload[..], &[0u8, 1, 2, 255]);
    assert_eq!(message.qos, Qos::ExactlyOnce);
    let properties = message.properties.expect("MQTT 5 properties arrived");
    assert_eq!(
        properties.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(properties.response_topic.as_deref(), Some("rt/reply"));
    assert_eq!(properties.correlation_data.as_deref(), Some(&b"req-42"[..]));
    assert_eq!(
        properties.user_properties,
        vec![("a".into(), "1".into()), ("a".into(), "2".into())]
    );
    assert!(
        properties
            .message_expiry_interval_secs
            .is_some_and(|s| (295..=300).contains(&s))
    );
    assert_eq!(properties.payload_format_indicator, Some(1));
}

#[test]
fn pub_round_trips_every_format_and_property_on_the_bundled_broker() {
    let broker = Broker::start(BrokerConfig {
        port: 0,
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    })
    .expect("start");
    round_trips(broker.local_addr().port());
}

#[test]
fn pub_round_trips_every_format_and_property_on_mosquitto() {
    let Some(broker) = Mosquitto::start("pub_round_trips_every_format_and_property_on_mosquitto")
    else {
        return;
    };
    round_trips(broker.port);
}

#[test]
fn bad_input_is_named_and_nothing_is_sent() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["-t", "a/+", "-m", "x"],
            "a topic name cannot contain wildcards",
        ),
        (
            &["-t", "a", "-m", "{oops", "--format", "json"],
            "not valid JSON",
        ),
        (
            &["-t", "a", "-m", "abc", "--format", "hex"],
            "odd number of digits",
        ),
        (&["-t", "a", "-m", "!!", "--format", "base64"], "not base64"),
        (
            &["-t", "a", "-m", "x", "--user-property", "novalue"],
            "expected KEY=VALUE",
        ),
        (
            &[
                "-t",
                "a",
                "-m",
                "x",
                "--content-type",
                "t",
                "--mqtt-version",
                "3.1.1",
            ],
            "MQTT 3.1.1 has no message properties",
        ),
    ];
    // Nothing listens on this port: any attempt to send would fail differently.
    let url = format!("mqtt://127.0.0.1:{}", common::free_port());
    for (args, message) in cases {
        let mut all = vec!["pub", url.as_str()];
        all.extend_from_slice(args);
        let output = canopy(&all);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("connection refused"),
            "refused before connecting: {stderr}"
        );
    }
}

/// Publish `count` retained messages under `prefix/` on a script connection.
fn seed_retained(port: u16, prefix: &str, count: usize) {
    let mut client = BlockingClient::connect(
        ConnectOptions {
            subscriptions: Vec::new(),
            ..ConnectOptions::new("127.0.0.1", port)
        },
        Duration::from_secs(10),
    )
    .expect("connect");
    let id = client.id();
    let mut pending = std::collections::HashSet::new();
    let mut next = 0;
    while next < count || !pending.is_empty() {
        while pending.len() < 500 && next < count {
            let message = OutgoingMessage {
                qos: Qos::AtLeastOnce,
                retain: true,
                ..OutgoingMessage::new(format!("{prefix}/{}/{next}", next % 50), "retained")
            };
            pending.insert(client.manager().publish(id, message));
            next += 1;
        }
        match client.next_event(Instant::now() + Duration::from_secs(10)) {
            Some(EventKind::Published { ticket, result }) => {
                assert_eq!(result, Ok(()));
                pending.remove(&ticket);
            }
            Some(_) => {}
            None => panic!("seeding stalled with {} pending", pending.len()),
        }
    }
    client.disconnect();
}

fn count_retained(url: &str, filter: &str) -> usize {
    let output = canopy(&["clear-retained", url, filter, "--dry-run"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).lines().count() - 1 // minus the summary line
}

#[test]
fn ten_thousand_retained_topics_are_cleared_and_a_new_subscriber_sees_none() {
    let Some(broker) =
        Mosquitto::start("ten_thousand_retained_topics_are_cleared_and_a_new_subscriber_sees_none")
    else {
        return;
    };
    seed_retained(broker.port, "bulk", 10_000);
    let url = broker.url();
    assert_eq!(count_retained(&url, "bulk/#"), 10_000);
    let started = Instant::now();
    let output = canopy(&["clear-retained", &url, "bulk/#"]);
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "found 10000 retained messages under bulk/#; cleared 10000"
    );
    eprintln!("cleared 10,000 retained topics on mosquitto in {elapsed:?}");
    assert_eq!(count_retained(&url, "#"), 0, "a fresh subscriber sees none");
}

#[test]
fn a_filtered_clear_leaves_the_others_untouched() {
    for protocol in [ProtocolVersion::V5, ProtocolVersion::V311] {
        let broker = Broker::start(BrokerConfig {
            port: 0,
            sys_interval: Duration::ZERO,
            ..BrokerConfig::default()
        })
        .expect("start");
        let port = broker.local_addr().port();
        seed_retained(port, "keep", 100);
        seed_retained(port, "drop", 100);
        let url = format!("mqtt://127.0.0.1:{port}");
        let version = if protocol == ProtocolVersion::V5 {
            "5"
        } else {
            "3.1.1"
        };
        let output = canopy(&["clear-retained", &url, "drop/#", "--mqtt-version", version]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(count_retained(&url, "drop/#"), 0);
        assert_eq!(count_retained(&url, "keep/#"), 100);
        assert_eq!(broker.retained_count(), 100);
    }
}
