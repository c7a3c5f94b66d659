//! The connection manager against a real mosquitto on loopback.

use crate::common::{self, Mosquitto, free_port, wait_connected, wait_for, wait_subscribed};
use canopy::model::Incoming;
use canopy::mqtt::{ProtocolVersion, Qos};
use canopy::net::{
    BrokerUrl, Command, ConnectOptions, ConnectionState, EventKind, OutgoingMessage, Subscription,
};
use std::time::Duration;

fn options_for(broker: &Mosquitto, protocol: ProtocolVersion) -> ConnectOptions {
    let mut options = BrokerUrl::parse(&broker.url())
        .expect("url")
        .connect_options();
    options.protocol = protocol;
    // `#` alone: mosquitto's own $SYS messages would mix into what the tests count.
    options.subscriptions = vec![Subscription {
        filter: "#".into(),
        qos: Qos::ExactlyOnce,
    }];
    options
}

/// Collect `n` messages, returning them and how many batches carried them.
fn collect(
    manager: &canopy::net::ConnectionManager,
    id: canopy::net::ConnectionId,
    n: usize,
) -> (Vec<Incoming>, usize) {
    let mut messages = Vec::new();
    let mut batches = 0;
    wait_for(manager, id, Duration::from_secs(20), |event| {
        if let EventKind::Batch(batch) = &event.kind {
            batches += 1;
            messages.extend(batch.iter().cloned());
        }
        (messages.len() >= n).then_some(())
    });
    (messages, batches)
}

fn messages_arrive_in_batches(protocol: ProtocolVersion) {
    let Some(broker) = Mosquitto::start("messages_arrive_in_batches") else {
        return;
    };
    let mut manager = common::manager();
    let (id, stats) = manager.connect(options_for(&broker, protocol));
    wait_subscribed(&manager, id);

    let lines: String = (0..2000).map(|i| format!("{i}\n")).collect();
    broker.publish_lines("load/counter", &lines);
    let (messages, batches) = collect(&manager, id, 2000);

    assert_eq!(messages.len(), 2000);
    let payloads: Vec<_> = messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    let expected: Vec<_> = (0..2000).map(|i| i.to_string()).collect();
    assert_eq!(payloads, expected, "every message, in order");
    assert!(
        messages
            .iter()
            .all(|m| m.topic == "load/counter" && m.qos == Qos::AtMostOnce)
    );
    assert!(
        batches <= 200,
        "2,000 messages published in a burst should come in far fewer batches, got {batches}"
    );
    assert_eq!(stats.received_messages(), 2000);
    assert_eq!(stats.dropped_messages(), 0);
}

#[test]
fn messages_arrive_in_batches_mqtt5() {
    messages_arrive_in_batches(ProtocolVersion::V5);
}

#[test]
fn messages_arrive_in_batches_mqtt311() {
    messages_arrive_in_batches(ProtocolVersion::V311);
}

#[test]
fn retained_flags_qos_and_binary_payloads_come_through() {
    let Some(broker) = Mosquitto::start("retained_flags_qos_and_binary_payloads_come_through")
    else {
        return;
    };
    broker.publish(&["-t", "dev/status", "-m", "online", "-r", "-q", "1"]);
    let dir = tempfile::tempdir().expect("tmp");
    let blob = dir.path().join("blob.bin");
    let bytes: Vec<u8> = vec![0xff, 0x00, 0xfe, 0x01, b'x', 0x80];
    std::fs::write(&blob, &bytes).expect("write blob");

    let mut manager = common::manager();
    let (id, _) = manager.connect(options_for(&broker, ProtocolVersion::V5));
    let (retained, _) = collect(&manager, id, 1);
    assert_eq!(retained[0].topic, "dev/status");
    assert!(retained[0].retain, "the retained copy is flagged retained");
    assert_eq!(&retained[0].payload[..], b"online");

    broker.publish(&[
        "-t",
        "dev/blob",
        "-f",
        blob.to_str().expect("utf-8 path"),
        "-q",
        "2",
    ]);
    let (binary, _) = collect(&manager, id, 1);
    assert_eq!(binary[0].topic, "dev/blob");
    assert_eq!(
        &binary[0].payload[..],
        &bytes[..],
        "binary payload arrives byte for byte"
    );
    assert_eq!(binary[0].qos, Qos::ExactlyOnce);
    assert!(!binary[0].retain);
}

#[test]
fn large_payloads_beyond_rumqttc_default_are_received() {
    let Some(broker) = Mosquitto::start("large_payloads_beyond_rumqttc_default_are_received")
    else {
        return;
    };
    let mut manager = common::manager();
    let (id, _) = manager.connect(options_for(&broker, ProtocolVersion::V5));
    wait_subscribed(&manager, id);
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("big.bin");
    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &big).expect("write");
    broker.publish(&["-t", "big/one", "-f", file.to_str().expect("utf-8 path")]);
    let (messages, _) = collect(&manager, id, 1);
    assert_eq!(messages[0].payload.len(), big.len());
    assert_eq!(&messages[0].payload[..], &big[..]);
}

#[test]
fn reconnects_and_resubscribes_after_broker_restart() {
    let Some(mut broker) = Mosquitto::start("reconnects_and_resubscribes_after_broker_restart")
    else {
        return;
    };
    let mut manager = common::manager();
    let (id, _) = manager.connect(options_for(&broker, ProtocolVersion::V5));
    wait_subscribed(&manager, id);

    broker.kill();
    let reason = wait_for(
        &manager,
        id,
        Duration::from_secs(15),
        |event| match &event.kind {
            EventKind::State(ConnectionState::Reconnecting {
                reason, retry_in, ..
            }) => {
                assert!(*retry_in <= Duration::from_secs(15), "backoff is capped");
                Some(reason.clone())
            }
            _ => None,
        },
    );
    assert!(!reason.is_empty());

    broker.restart();
    wait_connected(&manager, id);
    // A fresh mosquitto knows nothing of us: messages only arrive if we subscribed again.
    wait_subscribed(&manager, id);
    broker.publish(&["-t", "after/restart", "-m", "still here"]);
    let (messages, _) = collect(&manager, id, 1);
    assert_eq!(messages[0].topic, "after/restart");
    assert_eq!(&messages[0].payload[..], b"still here");
}

#[test]
fn refused_connection_gives_a_clear_error() {
    let port = free_port(); // nothing listens here
    let mut manager = common::manager();
    let mut options = ConnectOptions::new("127.0.0.1", port);
    options.retry_first_connect = false;
    let (id, _) = manager.connect(options);
    let reason = wait_for(
        &manager,
        id,
        Duration::from_secs(10),
        |event| match &event.kind {
            EventKind::State(ConnectionState::Disconnected { reason }) => Some(reason.clone()),
            _ => None,
        },
    );
    let reason = reason.expect("a reason is given");
    assert_eq!(
        reason,
        format!("connection refused by 127.0.0.1:{port}: is an MQTT broker listening there?")
    );
}

#[test]
fn refused_connection_in_the_gui_keeps_retrying_with_the_reason() {
    let port = free_port();
    let mut manager = common::manager();
    let (id, _) = manager.connect(ConnectOptions::new("127.0.0.1", port));
    let (attempt, reason) = wait_for(&manager, id, Duration::from_secs(10), |event| match &event
        .kind
    {
        EventKind::State(ConnectionState::Reconnecting {
            attempt, reason, ..
        }) => Some((*attempt, reason.clone())),
        _ => None,
    });
    assert_eq!(attempt, 1);
    assert!(reason.contains("connection refused"), "{reason}");
    manager.send(Command::Disconnect { id });
    wait_for(&manager, id, Duration::from_secs(5), |event| {
        matches!(
            event.kind,
            EventKind::State(ConnectionState::Disconnected { reason: None })
        )
        .then_some(())
    });
}

#[test]
fn unknown_host_is_named() {
    let mut manager = common::manager();
    let mut options = ConnectOptions::new("no-such-broker.invalid", 1883);
    options.retry_first_connect = false;
    let (id, _) = manager.connect(options);
    let reason = wait_for(
        &manager,
        id,
        Duration::from_secs(30),
        |event| match &event.kind {
            EventKind::State(ConnectionState::Disconnected { reason }) => Some(reason.clone()),
            _ => None,
        },
    )
    .expect("a reason is given");
    assert!(
        reason.contains("no-such-broker.invalid"),
        "the message names the host: {reason}"
    );
}

#[test]
fn subscribe_unsubscribe_and_publish_commands() {
    let Some(broker) = Mosquitto::start("subscribe_unsubscribe_and_publish_commands") else {
        return;
    };
    let mut manager = common::manager();
    let mut options = options_for(&broker, ProtocolVersion::V311);
    options.subscriptions = vec![Subscription::new("only/this")];
    let (id, _) = manager.connect(options);
    wait_subscribed(&manager, id);

    manager.send(Command::Subscribe {
        id,
        subscription: Subscription::new("extra/#"),
    });
    wait_subscribed(&manager, id);
    let ticket = manager.publish(
        id,
        OutgoingMessage {
            qos: Qos::AtLeastOnce,
            ..OutgoingMessage::new("extra/ping", "pong")
        },
    );
    let mut messages = Vec::new();
    let mut acknowledged = false;
    wait_for(&manager, id, Duration::from_secs(10), |event| {
        match &event.kind {
            EventKind::Batch(batch) => messages.extend(batch.iter().cloned()),
            EventKind::Published { ticket: t, result } if *t == ticket => {
                assert_eq!(result, &Ok(()));
                acknowledged = true;
            }
            _ => {}
        }
        (acknowledged && !messages.is_empty()).then_some(())
    });
    assert_eq!(messages[0].topic, "extra/ping");
    assert_eq!(&messages[0].payload[..], b"pong");

    manager.send(Command::Unsubscribe {
        id,
        filter: "extra/#".into(),
    });
    // Once unsubscribed, only `only/this` arrives: publish to both, expect just the one.
    std::thread::sleep(Duration::from_millis(300));
    broker.publish(&["-t", "extra/ignored", "-m", "x"]);
    broker.publish(&["-t", "only/this", "-m", "y"]);
    let (messages, _) = collect(&manager, id, 1);
    assert_eq!(messages[0].topic, "only/this");
}

#[test]
fn user_disconnect_is_reported_without_a_reason() {
    let Some(broker) = Mosquitto::start("user_disconnect_is_reported_without_a_reason") else {
        return;
    };
    let mut manager = common::manager();
    let (id, _) = manager.connect(options_for(&broker, ProtocolVersion::V5));
    wait_connected(&manager, id);
    manager.send(Command::Disconnect { id });
    wait_for(&manager, id, Duration::from_secs(5), |event| {
        match &event.kind {
            EventKind::State(ConnectionState::Disconnected { reason }) => {
                assert_eq!(reason, &None);
                Some(())
            }
            EventKind::State(ConnectionState::Reconnecting { .. }) => {
                panic!("must not reconnect after the user disconnects")
            }
            _ => None,
        }
    });
}

/// The window stops reading (busy, or paused in a debugger) during a flood: the network keeps
/// reading and counting, memory stays bounded (the overflow is dropped), and every message is
/// either delivered or counted as dropped, never lost silently.
#[test]
fn a_stalled_consumer_never_blocks_the_network_and_drops_are_counted() {
    let Some(broker) = Mosquitto::start_with(
        "a_stalled_consumer_never_blocks_the_network_and_drops_are_counted",
        "max_queued_messages 0\n",
    ) else {
        return;
    };
    let mut manager = common::manager();
    let (id, stats) = manager.connect(options_for(&broker, ProtocolVersion::V5));
    wait_subscribed(&manager, id);

    // 300,000 messages: more than the 262,144 the window may have waiting.
    let total = 300_000u64;
    let lines: String = (0..total).map(|i| format!("{i}\n")).collect();
    broker.publish_lines("flood/x", &lines);
    common::wait_until(
        || {
            format!(
                "every message read; the network stopped at {} of {total} while nobody read events",
                stats.received_messages()
            )
        },
        Duration::from_secs(60),
        || stats.received_messages() >= total,
    );
    assert!(stats.dropped_messages() > 0, "the overflow is dropped");

    // Now the window catches up: what it gets plus what was dropped is everything.
    let mut delivered = 0u64;
    while let Some(event) = manager.events().recv_timeout(Duration::from_millis(500)) {
        if let EventKind::Batch(batch) = event.kind {
            delivered += batch.len() as u64;
        }
    }
    assert_eq!(delivered + stats.dropped_messages(), total);
    assert!(delivered <= 262_144, "what waited was bounded: {delivered}");
}
