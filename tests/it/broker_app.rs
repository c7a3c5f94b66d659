//! The bundled broker in the app: the Broker panel (kittest), the packet trace, the demo fleet
//! (`canopy sim`) and the first-run default.

use crate::common;
use crate::common::ui::{exists, harness, step_until};
use bytes::BytesMut;
use canopy::app::{CanopyApp, Startup, View};
use canopy::broker::{BrokerConfig, Direction, TracedPacket};
use canopy::net::EventKind;
use egui_kittest::kittest::Queryable;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// An MQTT 3.1.1 client on a raw socket: CONNECT, then keep the socket.
fn raw_client(port: u16, id: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut out = BytesMut::new();
    rumqttc::mqttbytes::v4::Connect::new(id)
        .write(&mut out)
        .expect("encode");
    stream.write_all(&out).expect("send");
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).expect("CONNACK");
    stream
}

/// A window on its Broker panel whose Start button was clicked, once the broker runs.
fn broker_panel_running() -> egui_kittest::Harness<'static, CanopyApp> {
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.set_view(View::Broker);
    app.local_broker_mut().form.port = "0".into();
    let mut harness = harness(app);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Start broker")
        .click();
    step_until(
        &mut harness,
        "the broker to run",
        Duration::from_secs(5),
        |h| h.query_by_label("Stop broker").is_some(),
    );
    harness
}

#[test]
fn broker_panel_starts_lists_a_client_disconnects_it_and_stops() {
    let mut harness = broker_panel_running();
    let port = harness
        .state()
        .local_broker()
        .address()
        .expect("running")
        .port();

    let mut device = raw_client(port, "panel-test-device");
    step_until(
        &mut harness,
        "the client in the list",
        Duration::from_secs(5),
        |h| exists(h, "Disconnect panel-test-device"),
    );
    // The dashboard, fed from the broker's own meters, counts the client.
    step_until(
        &mut harness,
        "the dashboard to count the client",
        Duration::from_secs(5),
        |h| {
            h.state()
                .local_broker()
                .dashboard()
                .number(canopy::model::SysKey::ClientsConnected)
                == Some(1.0)
        },
    );
    harness.get_by_label(&format!("canopy {}", env!("CARGO_PKG_VERSION")));
    harness.get_by_label("1 (of 1, most 1)");
    harness
        .get_by_role_and_label(
            egui::accesskit::Role::Button,
            "Disconnect panel-test-device",
        )
        .click_accesskit(); // may be scrolled below the dashboard
    harness.run_steps(1);
    let mut rest = Vec::new();
    let _ = device.read_to_end(&mut rest); // the broker closes it
    step_until(
        &mut harness,
        "the client to leave the list",
        Duration::from_secs(5),
        |h| !exists(h, "Disconnect panel-test-device"),
    );

    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Stop broker")
        .click();
    step_until(
        &mut harness,
        "the broker to stop",
        Duration::from_secs(5),
        |h| h.query_by_label("Start broker").is_some(),
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is closed"
    );
}

#[test]
fn a_taken_port_is_said_and_a_free_one_offered() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = holder.local_addr().expect("addr").port();
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.set_view(View::Broker);
    app.local_broker_mut().form.port = taken.to_string();
    let mut harness = harness(app);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Start broker")
        .click();
    harness.run_steps(2);
    harness.get_by_label(&format!(
        "Port {taken} is already in use by another program."
    ));
    harness.get_by_label_contains("Use free port").click();
    step_until(
        &mut harness,
        "the broker to run",
        Duration::from_secs(5),
        |h| h.query_by_label("Stop broker").is_some(),
    );
    assert_ne!(
        harness.state().local_broker().address().map(|a| a.port()),
        Some(taken)
    );
}

#[test]
fn the_trace_records_a_known_exchange() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    broker.set_trace_enabled(true);
    let mut stream = raw_client(broker.local_addr().port(), "traced");
    let mut out = BytesMut::new();
    let mut subscribe =
        rumqttc::mqttbytes::v4::Subscribe::new("t/#", rumqttc::mqttbytes::QoS::AtLeastOnce);
    subscribe.pkid = 1;
    subscribe.write(&mut out).expect("encode");
    let mut publish = rumqttc::mqttbytes::v4::Publish::new(
        "t/x",
        rumqttc::mqttbytes::QoS::AtLeastOnce,
        b"hi".to_vec(),
    );
    publish.pkid = 2;
    rumqttc::mqttbytes::v4::Packet::Publish(publish)
        .write(&mut out, usize::MAX)
        .expect("encode");
    stream.write_all(&out).expect("send");
    // SUBACK (5) + PUBACK (4) + the PUBLISH back to us (2 + 2 + 3 + 2 + 2 = 11).
    let mut reply = [0u8; 20];
    stream.read_exact(&mut reply).expect("replies");
    stream
        .write_all(&[0x40, 0x02, 0x00, 0x01])
        .expect("PUBACK our delivery"); // its pkid is 1
    stream.write_all(&[0xE0, 0x00]).expect("DISCONNECT");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);

    let deadline = Instant::now() + Duration::from_secs(5);
    let exchange = loop {
        let entries = broker.trace(|e| &*e.client_id == "traced");
        if entries
            .iter()
            .any(|e| matches!(e.packet, TracedPacket::Disconnect { .. }))
            || Instant::now() > deadline
        {
            break entries;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let seen: Vec<(Direction, &str)> = exchange
        .iter()
        .map(|e| (e.direction, e.packet.kind()))
        .collect();
    use Direction::{In, Out};
    assert_eq!(
        seen,
        vec![
            (In, "CONNECT"),
            (Out, "CONNACK"),
            (In, "SUBSCRIBE"),
            (Out, "SUBACK"),
            (In, "PUBLISH"),
            (Out, "PUBACK"),
            (Out, "PUBLISH"),
            (In, "PUBACK"),
            (In, "DISCONNECT"),
        ]
    );
    assert_eq!(exchange[2].packet.summary(), "id 1; t/# QoS 1");
    assert_eq!(exchange[4].packet.summary(), "t/x QoS 1 id 2, 2 B");
    assert_eq!(exchange[6].packet.summary(), "t/x QoS 1 id 1, 2 B");
}

#[test]
fn canopy_sim_publishes_the_advertised_topics() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    let (manager, _) = common::listen(port, "#");

    let mut sim = common::canopy()
        .args([
            "sim",
            &format!("mqtt://127.0.0.1:{port}"),
            "--devices",
            "50",
            "--rate",
            "4",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run canopy sim");
    let mut topics = std::collections::BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let wanted = [
        "home/kitchen/thermostat",
        "factory/line1/motor1/telemetry",
        "factory/line2/output/count",
        "spBv1.0/factory/DDATA/line1-edge/plc",
        "home/garage/camera/snapshot",
        "devices/thermostat-kitchen/status",
        "home/kitchen/thermostat/config",
        "factory/line3/alarms",
    ];
    while Instant::now() < deadline && !wanted.iter().all(|t| topics.contains_key(*t)) {
        if let Some(event) = manager.events().recv_timeout(Duration::from_millis(100))
            && let EventKind::Batch(batch) = event.kind
        {
            for message in batch {
                topics.insert(message.topic.clone(), message);
            }
        }
    }
    let _ = sim.kill();
    let _ = sim.wait();
    for topic in wanted {
        assert!(
            topics.contains_key(topic),
            "missing {topic}; saw {:?}",
            topics.keys().collect::<Vec<_>>()
        );
    }
    let thermostat = &topics["home/kitchen/thermostat"];
    let json: serde_json::Value =
        serde_json::from_slice(&thermostat.payload).expect("thermostat JSON");
    assert!(json["temperature"].is_number());
    let properties = thermostat.properties.as_ref().expect("MQTT 5 properties");
    assert_eq!(properties.content_type.as_deref(), Some("application/json"));
    assert!(
        properties
            .user_properties
            .contains(&("unit".to_owned(), "celsius".to_owned()))
    );
    assert!(
        topics["home/garage/camera/snapshot"]
            .payload
            .starts_with(b"\x89PNG")
    );
    assert_eq!(
        &topics["devices/thermostat-kitchen/status"].payload[..],
        b"online"
    );
    assert!(topics["devices/thermostat-kitchen/status"].retain);
    let alarm = topics["factory/line3/alarms"]
        .properties
        .as_ref()
        .expect("alarm properties");
    assert!(alarm.message_expiry_interval_secs.is_some_and(|s| s <= 60));
    // Sparkplug B: protobuf starting with the timestamp field (tag 0x08).
    assert_eq!(
        topics["spBv1.0/factory/DDATA/line1-edge/plc"]
            .payload
            .first(),
        Some(&0x08)
    );
    // Killed without DISCONNECT: the devices' wills set their status to offline.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut offline = false;
    while Instant::now() < deadline && !offline {
        if let Some(event) = manager.events().recv_timeout(Duration::from_millis(100))
            && let EventKind::Batch(batch) = event.kind
        {
            offline = batch.iter().any(|m| {
                m.topic == "devices/thermostat-kitchen/status" && &m.payload[..] == b"offline"
            });
        }
    }
    assert!(offline, "the will of a vanished device was published");
}

#[test]
fn first_run_starts_the_bundled_broker_and_fleet_and_explores_them() {
    // Hold 1883 when we can, so the fallback to a free port is exercised too.
    let _holder = std::net::TcpListener::bind("127.0.0.1:1883").ok();
    let ctx = egui::Context::default();
    let settings = tempfile::tempdir().expect("tmp");
    let store = canopy::settings::SettingsStore::at(settings.path().join("settings.ron"));
    let app = CanopyApp::with_context_and_settings(&ctx, Startup::Demo, Some(store));
    let address = app
        .local_broker()
        .address()
        .expect("the bundled broker runs");
    assert_ne!(
        address.port(),
        1883,
        "1883 was taken, so another port is used"
    );
    assert!(
        app.banner()
            .is_some_and(|b| b.contains(&address.to_string())),
        "{:?}",
        app.banner()
    );
    assert!(app.local_broker().fleet().is_some(), "the demo fleet runs");
    let mut harness = harness(app);
    step_until(
        &mut harness,
        "a live tree of demo devices",
        Duration::from_secs(20),
        |h| h.query_by_label("home").is_some() && h.query_by_label("factory").is_some(),
    );
    harness.get_by_label_contains("Canopy started its own broker");
    harness.get_by_label_contains("Connected to mqtt://127.0.0.1");
    // Sparkplug edge nodes born, and the lines' protobuf telemetry decoded by the built-in schema.
    step_until(
        &mut harness,
        "the demo's Sparkplug nodes and protobuf telemetry",
        Duration::from_secs(20),
        |h| {
            h.state().active_session().is_some_and(|s| {
                s.model
                    .sparkplug
                    .groups()
                    .get("factory")
                    .is_some_and(|nodes| nodes.len() >= 2)
                    && s.model.tree.find("factory/line1/telemetry").is_some()
            })
        },
    );
    harness.state_mut().select_topic("factory/line1/telemetry");
    harness.run_steps(3);
    assert!(exists(
        &harness,
        "Shown as demo.plant.LineTelemetry (protobuf, bound)"
    ));
    assert!(
        harness
            .query_all_by_label_contains("RUNNING")
            .next()
            .is_some()
    );
    // The Broker panel shows one device's packets: what did the kitchen thermostat send?
    harness.get_by_label("Broker").click();
    harness.state_mut().local_broker_mut().trace_filter.client =
        Some("thermostat-kitchen".to_owned());
    step_until(
        &mut harness,
        "the thermostat's PUBLISH packets",
        Duration::from_secs(10),
        |h| {
            exists(h, "PUBLISH")
                && h.query_all_by_label_contains("home/kitchen/thermostat QoS 0")
                    .next()
                    .is_some()
        },
    );
}

/// The broker the Broker panel starts runs inside the window's process: deep topics and
/// malformed packets against it must leave the window running and the broker serving.
#[test]
fn the_windows_own_broker_survives_hostile_devices() {
    let mut harness = broker_panel_running();
    let address = harness.state().local_broker().address().expect("running");
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], address.port()));
    crate::broker_hostile::deep_topics_are_refused_and_the_broker_lives(address);
    crate::broker_hostile::malformed_input_is_refused_with_its_reason(address);
    harness.run_steps(3);
    assert!(
        harness.query_by_label("Stop broker").is_some(),
        "the window and its broker are still there"
    );
    crate::broker_hostile::assert_serving(address);
}
