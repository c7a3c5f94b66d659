//! MQTT 5 behaviour of the bundled broker, checked with rumqttc's v5 client and raw packets.

use crate::common::start_quiet_broker;
use bytes::{Bytes, BytesMut};
use canopy::broker::{Broker, BrokerConfig};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{
    Filter, Packet, Publish, PublishProperties, RetainForwardRule, SubscribeProperties,
};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tokio::sync::mpsc;

/// A rumqttc v5 client whose incoming packets arrive on a channel.
struct Client {
    client: AsyncClient,
    packets: mpsc::UnboundedReceiver<Packet>,
}

impl Client {
    async fn connect(broker: &Broker, id: &str, configure: impl FnOnce(&mut MqttOptions)) -> Self {
        let mut options = MqttOptions::new(id, "127.0.0.1", broker.local_addr().port());
        options.set_keep_alive(Duration::from_secs(30));
        configure(&mut options);
        let (client, mut event_loop) = AsyncClient::new(options, 100);
        let (tx, packets) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(event) = event_loop.poll().await {
                if let Event::Incoming(packet) = event
                    && tx.send(packet).is_err()
                {
                    return;
                }
            }
        });
        let mut this = Self { client, packets };
        this.expect(|p| matches!(p, Packet::ConnAck(_))).await;
        this
    }

    /// The next packet matching `want`, skipping others; panics after 5 s.
    async fn expect(&mut self, mut want: impl FnMut(&Packet) -> bool) -> Packet {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.packets.recv()).await {
                Ok(Some(packet)) if want(&packet) => return packet,
                Ok(Some(_)) => {}
                Ok(None) => panic!("connection ended"),
                Err(_) => panic!("timed out waiting for a packet"),
            }
        }
    }

    async fn publish_message(&mut self) -> Publish {
        match self.expect(|p| matches!(p, Packet::Publish(_))).await {
            Packet::Publish(publish) => publish,
            _ => unreachable!("filtered above"),
        }
    }

    /// Asserts that no PUBLISH arrives for `quiet`.
    async fn no_publish_for(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        while let Ok(Some(packet)) = tokio::time::timeout_at(deadline, self.packets.recv()).await {
            assert!(
                !matches!(packet, Packet::Publish(_)),
                "unexpected {packet:?}"
            );
        }
    }

    async fn subscribe(&mut self, filter: Filter, id: Option<usize>) {
        let properties = SubscribeProperties {
            id,
            user_properties: Vec::new(),
        };
        self.client
            .subscribe_many_with_properties(vec![filter], properties)
            .await
            .expect("queue SUBSCRIBE");
        self.expect(|p| matches!(p, Packet::SubAck(_))).await;
    }
}

fn filter(path: &str, qos: QoS) -> Filter {
    Filter::new(path, qos)
}

#[tokio::test]
async fn publish_properties_pass_through_untouched_and_none_are_added() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut subscriber = Client::connect(&broker, "sub", |_| {}).await;
    subscriber
        .subscribe(filter("props/#", QoS::AtLeastOnce), None)
        .await;
    let publisher = Client::connect(&broker, "pub", |_| {}).await;

    let properties = PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: None,
        topic_alias: None,
        response_topic: Some("props/reply".into()),
        correlation_data: Some(Bytes::from_static(b"\x00\x01corr")),
        user_properties: vec![
            ("k".into(), "v1".into()),
            ("k".into(), "v2".into()),
            ("other".into(), "x".into()),
        ],
        subscription_identifiers: Vec::new(),
        content_type: Some("application/json".into()),
    };
    publisher
        .client
        .publish_with_properties("props/a", QoS::AtLeastOnce, false, "{}", properties.clone())
        .await
        .expect("publish");
    let received = subscriber.publish_message().await;
    assert_eq!(
        received.properties,
        Some(properties),
        "exactly what was sent, in order"
    );

    // A message sent with no properties arrives with none.
    publisher
        .client
        .publish("props/b", QoS::AtMostOnce, false, "plain")
        .await
        .expect("publish");
    let plain = subscriber.publish_message().await;
    assert_eq!(plain.properties, None);
}

#[tokio::test]
async fn subscription_identifiers_no_local_and_retain_as_published() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut me = Client::connect(&broker, "me", |_| {}).await;
    let mut local = filter("chat/#", QoS::AtMostOnce);
    local.nolocal = true;
    me.subscribe(local, Some(42)).await;
    let mut keep_retain = filter("state/#", QoS::AtMostOnce);
    keep_retain.preserve_retain = true;
    me.subscribe(keep_retain, None).await;
    let mut plain_observer = Client::connect(&broker, "observer", |_| {}).await;
    plain_observer
        .subscribe(filter("state/#", QoS::AtMostOnce), None)
        .await;

    me.client
        .publish("chat/room", QoS::AtMostOnce, false, "mine")
        .await
        .expect("publish");
    me.no_publish_for(Duration::from_millis(300)).await;

    let other = Client::connect(&broker, "other", |_| {}).await;
    other
        .client
        .publish("chat/room", QoS::AtMostOnce, false, "theirs")
        .await
        .expect("publish");
    let received = me.publish_message().await;
    assert_eq!(received.payload, "theirs");
    assert_eq!(
        received.properties.map(|p| p.subscription_identifiers),
        Some(vec![42])
    );

    other
        .client
        .publish("state/lamp", QoS::AtMostOnce, true, "on")
        .await
        .expect("publish");
    assert!(
        me.publish_message().await.retain,
        "retain as published keeps the flag"
    );
    assert!(
        !plain_observer.publish_message().await.retain,
        "live messages lose the flag otherwise"
    );
}

#[tokio::test]
async fn retain_handling_two_sends_no_retained_messages() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let publisher = Client::connect(&broker, "pub", |_| {}).await;
    publisher
        .client
        .publish("rh/x", QoS::AtLeastOnce, true, "kept")
        .await
        .expect("publish");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut never = Client::connect(&broker, "never", |_| {}).await;
    let mut f = filter("rh/#", QoS::AtMostOnce);
    f.retain_forward_rule = RetainForwardRule::Never;
    never.subscribe(f, None).await;
    never.no_publish_for(Duration::from_millis(300)).await;
    let mut always = Client::connect(&broker, "always", |_| {}).await;
    always
        .subscribe(filter("rh/#", QoS::AtMostOnce), None)
        .await;
    let retained = always.publish_message().await;
    assert!(retained.retain);
    assert_eq!(retained.payload, "kept");
}

#[tokio::test]
async fn message_expiry_is_honoured_and_counted_down() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let publisher = Client::connect(&broker, "pub", |_| {}).await;
    let expiring = |secs| PublishProperties {
        message_expiry_interval: Some(secs),
        ..PublishProperties::default()
    };
    publisher
        .client
        .publish_with_properties(
            "exp/short",
            QoS::AtLeastOnce,
            true,
            "soon gone",
            expiring(1),
        )
        .await
        .expect("publish");
    publisher
        .client
        .publish_with_properties(
            "exp/long",
            QoS::AtLeastOnce,
            true,
            "still here",
            expiring(100),
        )
        .await
        .expect("publish");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut late = Client::connect(&broker, "late", |_| {}).await;
    late.subscribe(filter("exp/#", QoS::AtLeastOnce), None)
        .await;
    let only = late.publish_message().await;
    assert_eq!(only.payload, "still here");
    let left = only
        .properties
        .and_then(|p| p.message_expiry_interval)
        .expect("expiry sent on");
    assert!((97..=100).contains(&left), "remaining expiry {left}");
    late.no_publish_for(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn shared_subscription_members_take_turns() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut a = Client::connect(&broker, "worker-a", |_| {}).await;
    let mut b = Client::connect(&broker, "worker-b", |_| {}).await;
    a.subscribe(filter("$share/workers/jobs/#", QoS::AtLeastOnce), None)
        .await;
    b.subscribe(filter("$share/workers/jobs/#", QoS::AtLeastOnce), None)
        .await;
    let publisher = Client::connect(&broker, "boss", |_| {}).await;
    for i in 0..10 {
        publisher
            .client
            .publish("jobs/build", QoS::AtLeastOnce, false, format!("job {i}"))
            .await
            .expect("publish");
    }
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(a.publish_message().await.payload);
        got.push(b.publish_message().await.payload);
    }
    a.no_publish_for(Duration::from_millis(200)).await;
    got.sort();
    let mut expected: Vec<Bytes> = (0..10).map(|i| Bytes::from(format!("job {i}"))).collect();
    expected.sort();
    assert_eq!(got, expected, "each job exactly once");
}

#[tokio::test]
async fn topic_aliases_from_clients_are_resolved() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut subscriber = Client::connect(&broker, "sub", |_| {}).await;
    subscriber
        .subscribe(filter("alias/#", QoS::AtMostOnce), None)
        .await;
    let publisher = Client::connect(&broker, "pub", |_| {}).await;
    let with_alias = PublishProperties {
        topic_alias: Some(3),
        ..PublishProperties::default()
    };
    publisher
        .client
        .publish_with_properties(
            "alias/long/topic/name",
            QoS::AtMostOnce,
            false,
            "first",
            with_alias.clone(),
        )
        .await
        .expect("publish");
    publisher
        .client
        .publish_with_properties("", QoS::AtMostOnce, false, "second", with_alias)
        .await
        .expect("publish");
    for payload in ["first", "second"] {
        let received = subscriber.publish_message().await;
        assert_eq!(received.topic, "alias/long/topic/name");
        assert_eq!(received.payload, payload);
        assert_eq!(
            received.properties.and_then(|p| p.topic_alias),
            None,
            "no alias is sent to clients"
        );
    }
}

#[tokio::test]
async fn client_maximum_packet_size_is_honoured_outbound() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut small = Client::connect(&broker, "small", |o| {
        o.set_max_packet_size(Some(128));
    })
    .await;
    small
        .subscribe(filter("size/#", QoS::AtMostOnce), None)
        .await;
    let publisher = Client::connect(&broker, "pub", |_| {}).await;
    publisher
        .client
        .publish("size/big", QoS::AtMostOnce, false, vec![b'x'; 500])
        .await
        .expect("publish");
    publisher
        .client
        .publish("size/small", QoS::AtMostOnce, false, "fits")
        .await
        .expect("publish");
    let received = small.publish_message().await;
    assert_eq!(
        received.payload, "fits",
        "the oversized one was dropped, not sent"
    );
    assert_eq!(broker.meters().publish_dropped, 1, "and counted");
}

#[tokio::test]
async fn will_delay_postpones_the_will() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut watcher = Client::connect(&broker, "watcher", |_| {}).await;
    watcher
        .subscribe(filter("lastwill/#", QoS::AtMostOnce), None)
        .await;

    // A raw MQTT 5 CONNECT with a will delayed 2 s and a 60 s session, then a dropped socket.
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    let mut out = BytesMut::new();
    let connect = rumqttc::v5::mqttbytes::v5::Connect {
        keep_alive: 30,
        client_id: "delayed".into(),
        clean_start: true,
        properties: Some(rumqttc::v5::mqttbytes::v5::ConnectProperties {
            session_expiry_interval: Some(60),
            ..rumqttc::v5::mqttbytes::v5::ConnectProperties::new()
        }),
    };
    let will = rumqttc::v5::mqttbytes::v5::LastWill {
        topic: Bytes::from_static(b"lastwill/delayed"),
        message: Bytes::from_static(b"gone"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Some(rumqttc::v5::mqttbytes::v5::LastWillProperties {
            delay_interval: Some(2),
            payload_format_indicator: None,
            message_expiry_interval: None,
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        }),
    };
    connect.write(&Some(will), &None, &mut out).expect("encode");
    stream.write_all(&out).expect("send");
    let mut header = [0u8; 2];
    stream.read_exact(&mut header).expect("CONNACK");
    drop(stream);

    let started = tokio::time::Instant::now();
    watcher.no_publish_for(Duration::from_millis(1200)).await;
    let will = watcher.publish_message().await;
    assert_eq!(will.payload, "gone");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "delayed, not immediate"
    );
}

#[tokio::test]
async fn an_empty_client_id_gets_one_assigned() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    let mut out = BytesMut::new();
    rumqttc::v5::mqttbytes::v5::Connect {
        keep_alive: 30,
        client_id: String::new(),
        clean_start: true,
        properties: None,
    }
    .write(&None, &None, &mut out)
    .expect("encode");
    stream.write_all(&out).expect("send");
    let mut buf = BytesMut::from(&read_some(&mut stream)[..]);
    match Packet::read(&mut buf, None).expect("CONNACK") {
        Packet::ConnAck(ack) => {
            let assigned = ack
                .properties
                .and_then(|p| p.assigned_client_identifier)
                .expect("assigned id");
            assert!(assigned.starts_with("auto-"), "{assigned}");
        }
        other => panic!("expected CONNACK, got {other:?}"),
    }
}

fn read_some(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).expect("read");
    buf.truncate(n);
    buf
}

/// Connect raw with MQTT 5, send `packets`, and return the reason code of the broker's DISCONNECT.
fn disconnect_reason_after(broker: &Broker, packets: &[Packet]) -> u8 {
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    let mut out = BytesMut::new();
    rumqttc::v5::mqttbytes::v5::Connect {
        keep_alive: 30,
        client_id: "raw5".into(),
        clean_start: true,
        properties: None,
    }
    .write(&None, &None, &mut out)
    .expect("encode");
    for packet in packets {
        packet.write(&mut out, None).expect("encode");
    }
    stream.write_all(&out).expect("send");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    let mut buf = BytesMut::from(&received[..]);
    loop {
        match Packet::read(&mut buf, None) {
            Ok(Packet::Disconnect(disconnect)) => return disconnect.reason_code as u8,
            Ok(_) => {}
            Err(e) => {
                panic!("no DISCONNECT before the connection closed ({e}); got {received:02x?}")
            }
        }
    }
}

fn publish_with_alias(topic: &str, alias: u16, qos: QoS, pkid: u16) -> Packet {
    let mut publish = Publish::new(topic, qos, "x", None);
    publish.pkid = pkid;
    publish.properties = Some(PublishProperties {
        topic_alias: Some(alias),
        ..PublishProperties::default()
    });
    Packet::Publish(publish)
}

#[test]
fn topic_alias_zero_or_too_large_is_disconnected_with_0x94() {
    let broker = start_quiet_broker(BrokerConfig {
        topic_alias_maximum: 10,
        ..BrokerConfig::default()
    });
    assert_eq!(
        disconnect_reason_after(&broker, &[publish_with_alias("a", 0, QoS::AtMostOnce, 0)]),
        0x94
    );
    assert_eq!(
        disconnect_reason_after(&broker, &[publish_with_alias("a", 11, QoS::AtMostOnce, 0)]),
        0x94
    );
}

#[test]
fn exceeding_receive_maximum_is_disconnected_with_0x93() {
    let broker = start_quiet_broker(BrokerConfig {
        receive_maximum: 2,
        ..BrokerConfig::default()
    });
    let unreleased: Vec<Packet> = (1..=3)
        .map(|pkid| {
            let mut publish = Publish::new("rm/x", QoS::ExactlyOnce, "x", None);
            publish.pkid = pkid;
            Packet::Publish(publish)
        })
        .collect();
    assert_eq!(disconnect_reason_after(&broker, &unreleased), 0x93);
}

#[test]
fn a_second_connect_is_a_protocol_error() {
    let broker = start_quiet_broker(BrokerConfig::default());
    let connect = rumqttc::v5::mqttbytes::v5::Connect {
        keep_alive: 30,
        client_id: "again".into(),
        clean_start: true,
        properties: None,
    };
    assert_eq!(
        disconnect_reason_after(&broker, &[Packet::Connect(connect, None, None)]),
        0x82
    );
}

#[test]
fn server_keep_alive_caps_what_clients_ask_for() {
    let broker = start_quiet_broker(BrokerConfig {
        max_keep_alive_secs: 2,
        ..BrokerConfig::default()
    });
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    let mut out = BytesMut::new();
    rumqttc::v5::mqttbytes::v5::Connect {
        keep_alive: 0, // "no keep alive": the broker imposes its maximum
        client_id: "sleepy".into(),
        clean_start: true,
        properties: None,
    }
    .write(&None, &None, &mut out)
    .expect("encode");
    stream.write_all(&out).expect("send");
    let started = std::time::Instant::now();
    let mut buf = BytesMut::from(&read_some(&mut stream)[..]);
    match Packet::read(&mut buf, None).expect("CONNACK") {
        Packet::ConnAck(ack) => {
            assert_eq!(ack.properties.and_then(|p| p.server_keep_alive), Some(2))
        }
        other => panic!("expected CONNACK, got {other:?}"),
    }
    // Silent for 1.5 × 2 s: the broker closes with "keep alive timeout" (0x8D).
    stream
        .set_read_timeout(Some(Duration::from_secs(6)))
        .expect("timeout");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert_eq!(rest, vec![0xE0, 0x02, 0x8D, 0x00]);
    assert!(
        started.elapsed() >= Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
}

/// A client that accepts topic aliases gets one for its first topics: the first PUBLISH names
/// the topic and sets the alias, later ones send the alias alone; topics past the client's
/// maximum go by name (MQTT 5.0 §3.3.2.3.4).
#[test]
fn the_broker_sends_topic_aliases_to_clients_that_accept_them() {
    use crate::common::raw::{RawClient, V, packet, publish_packet, string, subscribe_packet};
    let broker = start_quiet_broker(BrokerConfig::default());
    let addr = broker.local_addr();
    let mut subscriber = RawClient::open(addr);
    // CONNECT with Topic Alias Maximum 1.
    let body = [
        &string("MQTT")[..],
        &[5, 0x02, 0, 30, 3, 0x22, 0, 1],
        &string("aliased"),
    ]
    .concat();
    subscriber.send(&packet(0x10, &body));
    assert_eq!(
        subscriber.next(Duration::from_secs(5)).map(|p| p.kind()),
        Some(2)
    );
    subscriber.send(&subscribe_packet(V::V5, 1, "alias/#", 0));
    assert_eq!(
        subscriber.next(Duration::from_secs(5)).map(|p| p.kind()),
        Some(9)
    );
    let mut publisher = RawClient::connect(addr, V::V5, "alias-publisher");
    for topic in ["alias/a", "alias/a", "alias/b"] {
        publisher.send(&publish_packet(V::V5, topic, b"x", 0, false, 0));
    }
    let bodies: Vec<Vec<u8>> = (0..3)
        .map(|_| {
            subscriber
                .next(Duration::from_secs(5))
                .expect("PUBLISH")
                .body
        })
        .collect();
    let first = [&string("alias/a")[..], &[3, 0x23, 0, 1], b"x"].concat();
    let second = [&string("")[..], &[3, 0x23, 0, 1], b"x"].concat();
    let third = [&string("alias/b")[..], &[0], b"x"].concat();
    assert_eq!(bodies, vec![first, second, third]);
}
