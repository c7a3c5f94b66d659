//! The bundled broker engine on a free loopback port, exercised by real third-party clients
//! (mosquitto_pub / mosquitto_sub), by rumqttc v5, and by raw bytes.

use crate::common::{require_tool, start_broker};
use bytes::BytesMut;
use canopy::broker::{Broker, BrokerConfig};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn port(broker: &Broker) -> String {
    broker.local_addr().port().to_string()
}

/// Wait until `condition` holds, polling; panics with `what` after 10 s.
fn until(what: &str, condition: impl FnMut() -> bool) {
    crate::common::wait_until(|| what.to_owned(), Duration::from_secs(10), condition);
}

fn mosquitto_sub(broker: &Broker, args: &[&str]) -> Child {
    Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port(broker)])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mosquitto_sub")
}

fn mosquitto_pub(broker: &Broker, args: &[&str]) {
    let output = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port(broker)])
        .args(args)
        .output()
        .expect("run mosquitto_pub");
    assert!(
        output.status.success(),
        "mosquitto_pub {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn finish(child: Child) -> Output {
    let output = child.wait_with_output().expect("wait for mosquitto_sub");
    assert!(
        output.status.success(),
        "mosquitto_sub failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn qos_0_1_2_round_trips_with_mosquitto_clients_in_both_versions() {
    if !require_tool(
        "mosquitto_sub",
        "qos_0_1_2_round_trips_with_mosquitto_clients_in_both_versions",
    ) {
        return;
    }
    let broker = start_broker(BrokerConfig::default());
    for version in ["mqttv311", "mqttv5"] {
        for qos in ["0", "1", "2"] {
            let topic = format!("qos/{version}/{qos}");
            until("the previous subscriber to leave", || {
                broker.subscription_count() == 0
            });
            let sub = mosquitto_sub(
                &broker,
                &[
                    "-V", version, "-q", qos, "-t", &topic, "-C", "1", "-W", "10", "-v",
                ],
            );
            until("the subscription", || broker.subscription_count() == 1);
            mosquitto_pub(
                &broker,
                &["-V", version, "-q", qos, "-t", &topic, "-m", "payload ü"],
            );
            assert_eq!(lines(&finish(sub)), vec![format!("{topic} payload ü")]);
        }
    }
    let meters = broker.meters();
    assert_eq!(meters.messages_received, 6);
    assert_eq!(meters.publish_dropped, 0);
}

#[test]
fn a_thousand_retained_topics_all_arrive_on_a_wildcard() {
    if !require_tool(
        "mosquitto_sub",
        "a_thousand_retained_topics_all_arrive_on_a_wildcard",
    ) {
        return;
    }
    let broker = start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let lines_in: String = (0..1000).map(|i| format!("{i}\n")).collect();
    // One mosquitto_pub per topic would be slow; publish them raw over one connection instead.
    let mut stream = raw_connect(&broker, 60);
    let mut out = BytesMut::new();
    for (i, line) in lines_in.lines().enumerate() {
        let mut publish = rumqttc::mqttbytes::v4::Publish::new(
            format!("retained/{}/{i}", i % 10),
            rumqttc::mqttbytes::QoS::AtMostOnce,
            line.as_bytes().to_vec(),
        );
        publish.retain = true;
        rumqttc::mqttbytes::v4::Packet::Publish(publish)
            .write(&mut out, usize::MAX)
            .expect("encode");
    }
    stream.write_all(&out).expect("send");
    until("1,000 retained messages", || {
        broker.retained_count() == 1000
    });
    for version in ["mqttv311", "mqttv5"] {
        let sub = mosquitto_sub(
            &broker,
            &["-V", version, "-t", "#", "-C", "1000", "-W", "10", "-v"],
        );
        let got = lines(&finish(sub));
        assert_eq!(got.len(), 1000, "{version}");
        assert!(got.contains(&"retained/9/999 999".to_owned()));
    }
    // An empty retained publish deletes one.
    mosquitto_pub(&broker, &["-t", "retained/0/0", "-r", "-n"]);
    until("the deletion", || broker.retained_count() == 999);
}

#[test]
fn will_is_published_when_a_client_vanishes() {
    if !require_tool("mosquitto_sub", "will_is_published_when_a_client_vanishes") {
        return;
    }
    let broker = start_broker(BrokerConfig::default());
    let watcher = mosquitto_sub(&broker, &["-t", "wills/#", "-C", "1", "-W", "10", "-v"]);
    until("the watcher", || broker.subscription_count() == 1);
    let mut device = mosquitto_sub(
        &broker,
        &[
            "-i",
            "device-7",
            "-t",
            "cmd/device-7",
            "--will-topic",
            "wills/device-7",
            "--will-payload",
            "offline",
        ],
    );
    until("the device", || broker.subscription_count() == 2);
    device.kill().expect("kill the device"); // no DISCONNECT: the socket just closes
    let _ = device.wait();
    assert_eq!(lines(&finish(watcher)), vec!["wills/device-7 offline"]);
}

#[test]
fn persistent_session_queues_messages_while_offline() {
    if !require_tool(
        "mosquitto_sub",
        "persistent_session_queues_messages_while_offline",
    ) {
        return;
    }
    let broker = start_broker(BrokerConfig::default());
    for version in ["mqttv311", "mqttv5"] {
        let id = format!("keeper-{version}");
        let topic = format!("queue/{version}");
        let mut args = vec!["-V", version, "-c", "-i", &id, "-q", "1", "-t", &topic];
        if version == "mqttv5" {
            args.extend(["-x", "3600"]); // MQTT 5 sessions need an expiry interval to outlive the connection
        }
        let before = broker.subscription_count();
        let mut first = mosquitto_sub(&broker, &args);
        until("the persistent subscription", || {
            broker.subscription_count() > before
        });
        first.kill().expect("kill");
        let _ = first.wait();
        until("the disconnect", || broker.connected_clients() == 0);
        for i in 0..5 {
            mosquitto_pub(
                &broker,
                &["-q", "1", "-t", &topic, "-m", &format!("queued {i}")],
            );
        }
        args.extend(["-C", "5", "-W", "10"]);
        let got = lines(&finish(mosquitto_sub(&broker, &args)));
        assert_eq!(
            got,
            (0..5).map(|i| format!("queued {i}")).collect::<Vec<_>>(),
            "{version}"
        );
    }
}

/// A TCP connection that has completed an MQTT 3.1.1 CONNECT.
fn raw_connect(broker: &Broker, keep_alive: u16) -> TcpStream {
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut connect = rumqttc::mqttbytes::v4::Connect::new(format!("raw-{}", rand_suffix()));
    connect.keep_alive = keep_alive;
    let mut out = BytesMut::new();
    connect.write(&mut out).expect("encode");
    stream.write_all(&out).expect("send CONNECT");
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).expect("CONNACK");
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x00], "CONNACK accepted");
    stream
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Read until the broker closes the connection; returns what it sent. Panics if it stays open.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    stream.set_read_timeout(Some(within)).expect("timeout");
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        Ok(_) => received,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => received,
        Err(e) => panic!("the broker did not close the connection within {within:?}: {e}"),
    }
}

#[test]
fn malformed_input_closes_that_connection_and_the_broker_serves_others() {
    let broker = start_broker(BrokerConfig {
        max_packet_size: 64 * 1024,
        ..BrokerConfig::default()
    });
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("garbage bytes", b"GET / HTTP/1.1\r\n\r\n".to_vec(), false),
        (
            "bad remaining length",
            vec![0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            false,
        ),
        (
            "PUBLISH before CONNECT",
            vec![0x30, 0x05, 0x00, 0x01, b'a', b'h', b'i'],
            false,
        ),
        (
            "oversized declared CONNECT",
            vec![0x10, 0xFF, 0xFF, 0xFF, 0x7F],
            false,
        ),
        (
            "oversized declared PUBLISH after CONNECT",
            vec![0x30, 0xFF, 0xFF, 0xFF, 0x7F],
            true,
        ),
        ("second CONNECT", second_connect(), true),
    ];
    for (name, bytes, after_connect) in cases {
        let mut stream = if after_connect {
            raw_connect(&broker, 60)
        } else {
            TcpStream::connect(broker.local_addr()).expect("connect")
        };
        stream.write_all(&bytes).expect("send");
        let started = Instant::now();
        read_until_closed(&mut stream, Duration::from_secs(5));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{name}: closed promptly"
        );
    }

    // A truncated packet: the connection is closed once keep alive (1 s × 1.5) runs out.
    let mut stream = raw_connect(&broker, 1);
    stream
        .write_all(&[0x30, 0x10, 0x00, 0x03, b'a'])
        .expect("send half a PUBLISH");
    read_until_closed(&mut stream, Duration::from_secs(5));

    // Meanwhile the broker still serves well-behaved clients.
    let mut healthy = raw_connect(&broker, 60);
    healthy.write_all(&[0xC0, 0x00]).expect("PINGREQ");
    let mut pingresp = [0u8; 2];
    healthy.read_exact(&mut pingresp).expect("PINGRESP");
    assert_eq!(pingresp, [0xD0, 0x00]);
}

fn second_connect() -> Vec<u8> {
    let mut out = BytesMut::new();
    rumqttc::mqttbytes::v4::Connect::new("again")
        .write(&mut out)
        .expect("encode");
    out.to_vec()
}

#[test]
fn a_thousand_idle_clients_are_held() {
    let broker = start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let clients: Vec<TcpStream> = (0..1000).map(|_| raw_connect(&broker, 120)).collect();
    until("1,000 connected clients", || {
        broker.connected_clients() == 1000
    });
    drop(clients);
    until("all of them gone", || broker.connected_clients() == 0);
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |entries| entries.count())
}

#[test]
fn restarts_twenty_times_without_leaking_threads_or_ports() {
    let first = Broker::start(BrokerConfig {
        port: 0,
        ..BrokerConfig::default()
    })
    .expect("start");
    let address = first.local_addr();
    first.stop();
    let threads_before = thread_count();
    for round in 0..20 {
        let broker = Broker::start(BrokerConfig {
            port: address.port(),
            ..BrokerConfig::default()
        })
        .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let client = raw_connect(&broker, 60);
        broker.stop();
        drop(client);
    }
    // Other tests run in parallel threads of this process, so allow a little movement.
    let threads_after = thread_count();
    assert!(
        threads_after <= threads_before + 4,
        "threads before {threads_before}, after {threads_after}"
    );
    // The port is free again.
    std::net::TcpListener::bind(address).expect("port released");
}

#[test]
fn a_taken_port_is_reported_as_such() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port();
    let error = Broker::start(BrokerConfig {
        port,
        ..BrokerConfig::default()
    })
    .err()
    .expect("port is taken");
    assert!(error.is_port_taken(), "{error}");
    assert!(
        error.to_string().contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
}

#[test]
fn stop_sends_mqtt5_clients_a_disconnect() {
    let broker = start_broker(BrokerConfig::default());
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    let mut out = BytesMut::new();
    rumqttc::v5::mqttbytes::v5::Connect {
        keep_alive: 60,
        client_id: "v5-stop".into(),
        clean_start: true,
        properties: None,
    }
    .write(&None, &None, &mut out)
    .expect("encode");
    stream.write_all(&out).expect("send");
    let mut header = [0u8; 2];
    stream.read_exact(&mut header).expect("CONNACK");
    assert_eq!(header[0], 0x20);
    let mut rest = vec![0u8; usize::from(header[1])];
    stream.read_exact(&mut rest).expect("CONNACK body");
    broker.stop();
    let received = read_until_closed(&mut stream, Duration::from_secs(5));
    assert_eq!(
        &received[..],
        &[0xE0, 0x02, 0x8B, 0x00],
        "DISCONNECT 'server shutting down'"
    );
}

#[test]
fn a_flood_reaches_a_slower_live_subscriber_whole() {
    if !require_tool(
        "mosquitto_sub",
        "a_flood_reaches_a_slower_live_subscriber_whole",
    ) {
        return;
    }
    // A small queue, so the publishers outrun it at once and must be held back.
    let broker = start_broker(BrokerConfig {
        max_queued_messages: 200,
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let sub = draining(mosquitto_sub(
        &broker,
        &["-t", "flood/#", "-C", "20000", "-W", "30"],
    ));
    until("the subscriber", || broker.subscription_count() == 1);
    let lines: String = (0..5000).map(|i| format!("message {i:05}\n")).collect();
    let publishers: Vec<_> = (0..4)
        .map(|p| {
            let mut child = Command::new("mosquitto_pub")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port(&broker),
                    "-t",
                    &format!("flood/{p}"),
                    "-l",
                ])
                .stdin(Stdio::piped())
                .spawn()
                .expect("mosquitto_pub");
            let mut stdin = child.stdin.take().expect("stdin");
            let lines = lines.clone();
            std::thread::spawn(move || stdin.write_all(lines.as_bytes()));
            child
        })
        .collect();
    for mut publisher in publishers {
        assert!(publisher.wait().expect("wait").success());
    }
    assert_eq!(
        lines_count(&sub.join().expect("reader")),
        20_000,
        "nothing lost"
    );
    assert_eq!(broker.meters().publish_dropped, 0);
}

/// Collect a subscriber's output on another thread, so it never blocks on a full pipe.
fn draining(child: Child) -> std::thread::JoinHandle<Output> {
    std::thread::spawn(move || finish(child))
}

fn lines_count(output: &Output) -> usize {
    output.stdout.iter().filter(|&&b| b == b'\n').count()
}

/// A subscriber that never reads must not cost a healthy one on the same topics anything.
/// (Both sit idle before the flood: an idle session must not be mistaken for a stuck one.)
#[test]
fn a_stuck_subscriber_does_not_stall_the_broker() {
    if !require_tool(
        "mosquitto_sub",
        "a_stuck_subscriber_does_not_stall_the_broker",
    ) {
        return;
    }
    let broker = start_broker(BrokerConfig {
        max_queued_messages: 1000,
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    // A client that subscribes and then never reads again.
    let mut stuck = raw_connect(&broker, 600);
    let mut subscribe =
        rumqttc::mqttbytes::v4::Subscribe::new("jam/#", rumqttc::mqttbytes::QoS::AtMostOnce);
    subscribe.pkid = 1;
    let mut out = BytesMut::new();
    subscribe.write(&mut out).expect("encode");
    stuck.write_all(&out).expect("subscribe");
    until("the stuck subscription", || {
        broker.subscription_count() == 1
    });
    // A healthy subscriber that reads as fast as it can: Canopy's own client.
    let mut healthy = crate::common::manager();
    let mut options = canopy::net::ConnectOptions::new("127.0.0.1", broker.local_addr().port());
    options.subscriptions = vec![canopy::net::Subscription::new("jam/#")];
    let (healthy_id, _) = healthy.connect(options);
    crate::common::wait_subscribed(&healthy, healthy_id);
    until("the healthy subscription", || {
        broker.subscription_count() == 2
    });
    let started = Instant::now();
    let payload = "x".repeat(8000); // 24 MB in all: far more than the stuck client's socket buffers
    let lines: String = (0..3000).map(|_| format!("{payload}\n")).collect();
    let mut publisher = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port(&broker), "-t", "jam/x", "-l"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("mosquitto_pub");
    publisher
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("feed");
    assert!(publisher.wait().expect("wait").success());
    let mut received = 0;
    crate::common::wait_for(&healthy, healthy_id, Duration::from_secs(60), |event| {
        if let canopy::net::EventKind::Batch(batch) = &event.kind {
            received += batch.len();
        }
        (received >= 3000).then_some(())
    });
    assert_eq!(received, 3000, "the healthy subscriber gets everything");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        broker.meters().publish_dropped > 0,
        "the stuck one's overflow is dropped and counted"
    );
    drop(stuck);
}
