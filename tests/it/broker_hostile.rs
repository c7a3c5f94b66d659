//! The bundled broker against hostile devices: raw bytes on a free loopback port. Each case
//! asserts the documented outcome and that the broker still serves a normal client afterwards.

use crate::common::raw::{
    RawClient, Received, V, connect_packet, packet, publish_packet, string, subscribe_packet,
    unsubscribe_packet,
};
use crate::common::{start_quiet_broker, wait_until};
use canopy::broker::{Acl, BrokerConfig};
use canopy::mqtt::TopicLimits;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const SOON: Duration = Duration::from_secs(5);

fn deep(levels: usize) -> String {
    vec!["d"; levels].join("/")
}

/// The broker still accepts and serves a well-behaved client.
pub fn assert_serving(addr: SocketAddr) {
    let mut healthy = RawClient::connect(addr, V::V311, "healthy-after-hostile");
    assert!(healthy.ping(), "the broker stopped serving normal clients");
}

fn suback_code(client: &mut RawClient) -> u8 {
    let suback = client.next(SOON).expect("SUBACK");
    assert_eq!(suback.kind(), 9, "SUBACK expected, got {suback:?}");
    *suback.body.last().expect("a return code")
}

/// The MQTT 5 DISCONNECT reason the broker closed with.
fn disconnect_reason(packets: &[Received]) -> Option<u8> {
    packets
        .iter()
        .find(|p| p.first_byte == 0xE0)
        .and_then(|p| p.body.first().copied())
}

/// Deep filters and topic names: refused by the level limit with the right codes, and with no
/// limit at all (32,000 levels, the most 65,535 bytes hold) handled without recursion.
/// Shared with the window's own broker (`broker_app`).
pub fn deep_topics_are_refused_and_the_broker_lives(addr: SocketAddr) {
    let too_deep = deep(10_000);
    let mut v311 = RawClient::connect(addr, V::V311, "deep-311");
    v311.send(&subscribe_packet(V::V311, 1, &too_deep, 1));
    assert_eq!(suback_code(&mut v311), 0x80, "3.1.1: SUBACK failure");
    v311.send(&unsubscribe_packet(V::V311, 2, &too_deep));
    assert_eq!(v311.next(SOON).map(|p| p.kind()), Some(11), "UNSUBACK");
    v311.send(&publish_packet(V::V311, &too_deep, b"x", 0, false, 0));
    v311.until_closed(SOON);

    let mut v5 = RawClient::connect(addr, V::V5, "deep-5");
    v5.send(&subscribe_packet(V::V5, 1, &format!("{too_deep}/#"), 1));
    assert_eq!(suback_code(&mut v5), 0x8F, "5.0: Topic Filter invalid");
    v5.send(&publish_packet(V::V5, &too_deep, b"x", 1, false, 1));
    let closing = v5.until_closed(SOON);
    assert_eq!(
        disconnect_reason(&closing),
        Some(0x90),
        "5.0: Topic Name invalid"
    );
    assert_serving(addr);
}

#[test]
fn deep_topics_are_refused_under_the_default_limit() {
    let broker = start_quiet_broker(BrokerConfig::default());
    deep_topics_are_refused_and_the_broker_lives(broker.local_addr());
}

#[test]
fn deep_topics_without_a_level_limit_use_no_stack() {
    let broker = start_quiet_broker(BrokerConfig {
        topic_limits: TopicLimits::PROTOCOL,
        ..BrokerConfig::default()
    });
    let addr = broker.local_addr();
    let deepest = deep(32_000);
    let mut subscriber = RawClient::connect(addr, V::V311, "deepest-sub");
    subscriber.send(&subscribe_packet(V::V311, 1, &deepest, 0));
    assert_eq!(suback_code(&mut subscriber), 0);
    subscriber.send(&subscribe_packet(
        V::V311,
        2,
        &format!("{}/#", deep(31_000)),
        0,
    ));
    assert_eq!(suback_code(&mut subscriber), 0);
    let mut publisher = RawClient::connect(addr, V::V311, "deepest-pub");
    publisher.send(&publish_packet(V::V311, &deepest, b"down here", 0, true, 0));
    // Both filters match; the broker sends one copy per client.
    let delivered = subscriber.next(SOON).expect("the deep message");
    assert_eq!(delivered.kind(), 3);
    subscriber.send(&unsubscribe_packet(V::V311, 3, &deepest));
    assert_eq!(subscriber.next(SOON).map(|p| p.kind()), Some(11));
    // Disconnecting drops the session's remaining deep subscription.
    drop(subscriber);
    let mut late = RawClient::connect(addr, V::V311, "deepest-late");
    late.send(&subscribe_packet(V::V311, 1, "d/#", 0));
    assert_eq!(suback_code(&mut late), 0);
    let retained = late.next(SOON).expect("the deep retained message");
    assert_eq!(retained.first_byte, 0x31, "delivered as retained");
    assert_serving(addr);
}

/// After CONNECT, a few packets of each malformed class: 3.1.1 is closed, 5.0 gets DISCONNECT
/// with the code. Shared with the window's own broker (`broker_app`).
pub fn malformed_input_is_refused_with_its_reason(addr: SocketAddr) {
    let topic = string("a");
    let cases: Vec<(&str, V, Vec<u8>, Option<u8>)> = vec![
        (
            "reserved flags on PUBACK",
            V::V311,
            vec![0x41, 2, 0, 1],
            None,
        ),
        (
            "QoS 3 PUBLISH",
            V::V311,
            packet(0x36, &[&topic[..], &[0, 1]].concat()),
            None,
        ),
        (
            "NUL in a topic",
            V::V311,
            packet(0x30, &string("a\0b")),
            None,
        ),
        ("empty SUBSCRIBE", V::V311, packet(0x82, &[0, 1]), None),
        ("trailing bytes", V::V311, vec![0xC0, 1, 0], None),
        (
            "QoS 3 PUBLISH",
            V::V5,
            packet(0x36, &[&topic[..], &[0, 1, 0]].concat()),
            Some(0x81),
        ),
        (
            "repeated property",
            V::V5,
            packet(0x30, &[&topic[..], &[4, 0x01, 0, 0x01, 0]].concat()),
            Some(0x82),
        ),
        (
            "subscription identifier 0",
            V::V5,
            packet(0x82, &[&[0, 1, 2, 0x0B, 0][..], &topic, &[0]].concat()),
            Some(0x82),
        ),
        (
            "packet identifier 0",
            V::V5,
            packet(0x32, &[&topic[..], &[0, 0, 0]].concat()),
            Some(0x82),
        ),
        (
            "topic alias 0",
            V::V5,
            packet(0x30, &[&topic[..], &[3, 0x23, 0, 0]].concat()),
            Some(0x94),
        ),
    ];
    for (name, version, bytes, reason) in cases {
        let mut client = RawClient::connect(addr, version, "malformed");
        client.send_lossy(&bytes);
        let started = Instant::now();
        let answered = client.until_closed(SOON);
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{name}: closed promptly"
        );
        assert_eq!(disconnect_reason(&answered), reason, "{name} ({version:?})");
    }
    // A malformed MQTT 5 CONNECT is answered with a CONNACK that says why.
    let mut bad_connect = RawClient::open(addr);
    let body = [
        &string("MQTT")[..],
        &[5, 0x02, 0, 30, 3, 0x21, 0, 0],
        &string("zero-receive-max"),
    ]
    .concat();
    bad_connect.send(&packet(0x10, &body));
    let answered = bad_connect.until_closed(SOON);
    assert_eq!(
        answered.first().map(|p| (p.kind(), p.body[1])),
        Some((2, 0x82)),
        "CONNACK 0x82"
    );
    assert_serving(addr);
}

#[test]
fn malformed_packets_close_the_connection_with_their_reason() {
    let broker = start_quiet_broker(BrokerConfig::default());
    malformed_input_is_refused_with_its_reason(broker.local_addr());
}

#[test]
fn a_hundred_thousand_retained_messages_all_reach_a_wildcard_subscriber() {
    const COUNT: usize = 100_000;
    let broker = start_quiet_broker(BrokerConfig::default());
    let addr = broker.local_addr();
    let mut publisher = RawClient::connect(addr, V::V311, "retainer");
    let mut burst = Vec::with_capacity(COUNT * 24);
    for i in 0..COUNT {
        burst.extend_from_slice(&publish_packet(
            V::V311,
            &format!("r/{i}"),
            b"v",
            0,
            true,
            0,
        ));
    }
    publisher.send(&burst);
    assert!(publisher.ping(), "the publisher is still served");
    wait_until(
        || format!("all retained; only {}", broker.retained_count()),
        Duration::from_secs(30),
        || broker.retained_count() >= COUNT,
    );
    let mut subscriber = RawClient::connect(addr, V::V5, "all-retained");
    subscriber.send(&subscribe_packet(V::V5, 1, "#", 1));
    let mut retained = 0;
    let mut pending_acks = Vec::new();
    while retained < COUNT {
        let packet = subscriber
            .next(Duration::from_secs(30))
            .expect("still connected");
        match packet.kind() {
            9 => {}
            3 => {
                assert_eq!(
                    packet.first_byte & 0x01,
                    1,
                    "delivered with the retain flag"
                );
                // QoS 1: acknowledge so the receive window keeps moving.
                let topic_len = usize::from(u16::from_be_bytes([packet.body[0], packet.body[1]]));
                let pkid = &packet.body[2 + topic_len..4 + topic_len];
                pending_acks.extend_from_slice(&[0x40, 2, pkid[0], pkid[1]]);
                retained += 1;
                if pending_acks.len() >= 4 * 100 {
                    subscriber.send(&pending_acks);
                    pending_acks.clear();
                }
            }
            other => panic!("unexpected packet type {other}"),
        }
    }
    subscriber.send(&pending_acks);
    assert_eq!(broker.meters().publish_dropped, 0, "nothing dropped");
}

#[test]
fn sys_topics_belong_to_the_broker() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let addr = broker.local_addr();
    let mut watcher = RawClient::connect(addr, V::V311, "sys-watcher");
    watcher.send(&subscribe_packet(V::V311, 1, "$SYS/#", 0));
    assert_eq!(suback_code(&mut watcher), 0);

    let mut spoofer5 = RawClient::connect(addr, V::V5, "spoofer5");
    spoofer5.send(&publish_packet(
        V::V5,
        "$SYS/broker/uptime",
        b"1 seconds",
        1,
        true,
        7,
    ));
    let puback = spoofer5.next(SOON).expect("PUBACK");
    assert_eq!(
        puback.body,
        vec![0, 7, 0x87],
        "5.0: PUBACK 0x87 Not authorized"
    );
    let mut spoofer311 = RawClient::connect(addr, V::V311, "spoofer311");
    spoofer311.send(&publish_packet(
        V::V311,
        "$SYS/broker/version",
        b"fake",
        1,
        true,
        8,
    ));
    let puback = spoofer311.next(SOON).expect("PUBACK");
    assert_eq!(
        puback.body,
        vec![0, 8],
        "3.1.1 has no reason codes: a plain PUBACK"
    );

    assert!(
        watcher.ping(),
        "only the PINGRESP: no spoofed message reached the watcher"
    );
    assert_eq!(broker.retained_count(), 0, "nothing spoofed was retained");
    assert_eq!(broker.meters().publish_refused, 2, "both refusals counted");

    // A will on $SYS is refused at CONNECT.
    let mut will_spoofer = RawClient::open(addr);
    let body = [
        &string("MQTT")[..],
        &[4, 0x06, 0, 30],
        &string("w"),
        &string("$SYS/broker/clients"),
        &string("0"),
    ]
    .concat();
    will_spoofer.send(&packet(0x10, &body));
    let answered = will_spoofer.until_closed(SOON);
    assert_eq!(
        answered.first().map(|p| p.body.clone()),
        Some(vec![0, 5]),
        "CONNACK not authorized"
    );
}

#[test]
fn mqtt5_publishes_refused_by_the_acl_are_answered_with_0x87() {
    let acl = Acl::parse("topic read #\ntopic write allowed/#").expect("ACL");
    let broker = start_quiet_broker(BrokerConfig {
        acl: Some(acl),
        ..BrokerConfig::default()
    });
    let mut client = RawClient::connect(broker.local_addr(), V::V5, "acl5");
    client.send(&publish_packet(V::V5, "forbidden/x", b"no", 1, false, 3));
    assert_eq!(client.next(SOON).expect("PUBACK").body, vec![0, 3, 0x87]);
    client.send(&publish_packet(V::V5, "allowed/x", b"yes", 2, false, 4));
    assert_eq!(
        client.next(SOON).expect("PUBREC").body,
        vec![0, 4],
        "allowed: success"
    );
}

/// Half-open sockets share one budget: a flood of partial CONNECTs cannot make the broker hold
/// more, the ones past it are closed and counted, and a device with a normal CONNECT gets in
/// while the flood is still there.
#[test]
fn strangers_share_one_byte_budget() {
    let broker = start_quiet_broker(BrokerConfig {
        stranger_budget_bytes: 1024 * 1024,
        max_connect_size: 64 * 1024,
        ..BrokerConfig::default()
    });
    let addr = broker.local_addr();
    // A CONNECT declaring 60,000 bytes and sending 30,000 of them.
    let mut partial = vec![0x10, 0xE0, 0xD4, 0x03];
    partial.extend_from_slice(&[&string("MQTT")[..], &[4, 0x02, 0, 30]].concat());
    partial.resize(30_000, b'x');
    let mut strangers: Vec<RawClient> = (0..100)
        .map(|_| {
            let mut stranger = RawClient::open(addr);
            stranger.send_lossy(&partial);
            stranger
        })
        .collect();
    let deadline = Instant::now() + SOON;
    while broker.meters().strangers_refused < 60 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = broker.meters().strangers_refused;
    assert!(
        (60..=100).contains(&refused),
        "1 MiB holds about 35 of 100 partial 30 KB CONNECTs; {refused} were refused"
    );
    // A CONNECT declaring more than the CONNECT limit is refused before its body arrives.
    let mut huge = RawClient::open(addr);
    huge.send(&[0x10, 0xFF, 0xFF, 0x3F]);
    huge.until_closed(SOON);
    // A device still gets in, and the strangers that were kept are still waiting.
    let mut device = RawClient::open(addr);
    device.send(&connect_packet(V::V311, "device-during-flood", 30));
    assert_eq!(device.next(SOON).map(|p| p.body), Some(vec![0, 0]));
    assert!(device.ping());
    strangers.clear();
}

/// A subscriber that stops reading while publishers go on loses messages once its queue is
/// full: counted, logged, and an MQTT 5 subscriber is told with DISCONNECT 0x97 Quota exceeded
/// when it reads again.
#[test]
fn an_mqtt5_subscriber_that_fell_behind_is_told_quota_exceeded() {
    let broker = start_quiet_broker(BrokerConfig {
        max_queued_messages: 100,
        ..BrokerConfig::default()
    });
    let addr = broker.local_addr();
    let mut subscriber = RawClient::connect(addr, V::V5, "sleeper");
    subscriber.send(&subscribe_packet(V::V5, 1, "q/#", 0));
    assert_eq!(suback_code(&mut subscriber), 0);
    // 40 MB of QoS 0 messages: far more than the socket buffers and the queue hold while the
    // subscriber does not read.
    let mut publisher = RawClient::connect(addr, V::V5, "flooder");
    let payload = vec![b'x'; 4096];
    let burst: Vec<u8> = (0..10_000)
        .flat_map(|i| publish_packet(V::V5, &format!("q/{}", i % 10), &payload, 0, false, 0))
        .collect();
    publisher.send(&burst);
    assert!(publisher.ping(), "the publisher was never held up for long");
    wait_until(
        || "a drop".to_owned(),
        SOON,
        || broker.meters().publish_dropped > 0,
    );
    let received = subscriber.until_closed(Duration::from_secs(20));
    assert_eq!(
        disconnect_reason(&received),
        Some(0x97),
        "told: Quota exceeded"
    );
    assert_serving(addr);
}
