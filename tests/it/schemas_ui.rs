//! Protobuf by schema, driven through egui_kittest against the bundled broker: a folder of
//! real `.proto` files (imports, nested types, enums, a well-known type) loaded in the Schemas
//! window, bindings with the most specific filter winning, a bound topic decoded into the tree,
//! a message published by type, a folder that disappears and a file that does not compile.

use crate::common;
use crate::common::ui::{connected_app, exists, shows, step_until};
use canopy::app::CanopyApp;
use canopy::broker::BrokerConfig;
use canopy::mqtt::Qos;
use canopy::net::{ConnectOptions, OutgoingMessage};
use canopy::payload::protobuf;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;
use std::time::Duration;

/// The schemas of tests/fixtures/proto (a package importing another file and a well-known type,
/// nested messages, enums, maps), copied into `folder`.
fn write_schemas(folder: &Path) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proto");
    std::fs::create_dir_all(folder.join("common")).expect("folders");
    for file in ["common/units.proto", "telemetry.proto"] {
        std::fs::copy(fixtures.join(file), folder.join(file)).expect("copy a fixture");
    }
}

fn in_window<'a>(harness: &'a Harness<'_, CanopyApp>, label: &'a str) -> egui_kittest::Node<'a> {
    harness
        .get_by_role_and_label(Role::Window, "Protobuf schemas")
        .get_by_label(label)
}

fn type_into(harness: &mut Harness<'_, CanopyApp>, label: &str, text: &str) {
    in_window(harness, label).focus();
    harness.run_steps(1);
    in_window(harness, label).type_text(text);
    harness.run_steps(1);
}

fn bind(harness: &mut Harness<'_, CanopyApp>, filter: &str, message: &str) {
    type_into(harness, "Topic filter", filter);
    in_window(harness, "Message type").click();
    harness.run_steps(2);
    harness.get_by_label(message).click();
    harness.run_steps(2);
    in_window(harness, "Add binding").click();
    harness.run_steps(2);
}

const READING: &str = r#"{"device": "press-7", "at": "2026-12-01T08:00:00Z",
    "readings": [{"value": 21.5, "unit": "CELSIUS"}], "counters": {"strokes": 42},
    "status": {"ok": true}, "state": "RUNNING"}"#;

#[test]
fn a_schema_folder_decodes_bound_topics_and_publishes_by_type() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("proto");
    write_schemas(&folder);
    let (published, published_id) = common::listen(port, "factory/line2/telemetry");
    let mut harness = connected_app(port);

    harness.get_by_label("Schemas…").click();
    harness.run_steps(2);
    type_into(&mut harness, "Folder", &folder.display().to_string());
    in_window(&harness, "Load").click();
    harness.run_steps(2);
    assert!(shows(&harness, "Compiled 2 files and 3 message types."));
    bind(&mut harness, "#", "plant.common.Reading");
    bind(&mut harness, "factory/+/telemetry", "plant.Telemetry");
    type_into(&mut harness, "Try a topic", "factory/line1/telemetry");
    assert!(
        shows(
            &harness,
            "decodes as plant.Telemetry (binding factory/+/telemetry)"
        ),
        "the most specific binding wins"
    );

    // A device publishes telemetry encoded with the same schema.
    let schemas = protobuf::compile(canopy::settings::schema_folder::read(&folder).expect("read"))
        .expect("compiles");
    let telemetry = schemas.message("plant.Telemetry").expect("type");
    let bytes = protobuf::encode_json(READING, &telemetry).expect("encodes");
    let mut device = common::manager();
    let (device_id, _) = device.connect(ConnectOptions {
        subscriptions: Vec::new(),
        ..ConnectOptions::new("127.0.0.1", port)
    });
    common::wait_connected(&device, device_id);
    device.publish(
        device_id,
        OutgoingMessage {
            qos: Qos::AtLeastOnce,
            ..OutgoingMessage::new("factory/line1/telemetry", bytes)
        },
    );
    step_until(
        &mut harness,
        "the telemetry",
        Duration::from_secs(10),
        |h| {
            h.state()
                .active_session()
                .is_some_and(|s| s.model.tree.find("factory/line1/telemetry").is_some())
        },
    );
    harness.state_mut().select_topic("factory/line1/telemetry");
    harness.run_steps(3);
    assert!(exists(
        &harness,
        "Shown as plant.Telemetry (protobuf, bound)"
    ));
    for text in ["press-7", "RUNNING", "CELSIUS", "2026-12-01T08:00:00Z"] {
        assert!(shows(&harness, text), "{text} in the decoded tree");
    }
    // Publishing by type: the bound type is chosen for the topic; JSON in, protobuf out.
    let publish_topic = harness.get_by_label("Topic");
    publish_topic.focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_label("Topic")
        .type_text("factory/line2/telemetry");
    harness.run_steps(2);
    assert!(shows(&harness, "write the message as JSON"));
    harness.get_by_label("Publish payload").focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_label("Publish payload")
        .type_text(r#"{"device": "lathe-2", "state": "RUNNING"}"#);
    harness.run_steps(1);
    harness
        .get_by_role_and_label(Role::Button, "Publish")
        .click();
    harness.run_steps(3);
    let sent = common::next_message(&published, published_id);
    let decoded = protobuf::decode(&sent.payload, &telemetry).expect("protobuf on the wire");
    let device_field = decoded.get(&canopy::payload::Path(vec![
        canopy::payload::PathSegment::Key("device".into()),
    ]));
    assert_eq!(
        device_field,
        Some(&canopy::payload::Value::String("lathe-2".into()))
    );

    // A numeric field plots like a JSON one.
    use canopy::payload::PathSegment::{Index, Key};
    harness.state_mut().plot(
        "factory/line1/telemetry",
        canopy::payload::Path(vec![Key("readings".into()), Index(0), Key("value".into())]),
        canopy::payload::PayloadView::Protobuf,
    );
    let plotted: Vec<[f64; 2]> = harness
        .state()
        .active_session()
        .and_then(|s| s.chart.series.first())
        .map(|c| c.series.points().to_vec())
        .unwrap_or_default();
    assert_eq!(plotted.iter().map(|[_, y]| *y).collect::<Vec<_>>(), [21.5]);

    // A payload that is not its bound type: bytes, with the decode error.
    device.publish(
        device_id,
        OutgoingMessage {
            qos: Qos::AtLeastOnce,
            ..OutgoingMessage::new("factory/line3/telemetry", vec![0xFF, 0xFF, 0xFF])
        },
    );
    step_until(
        &mut harness,
        "the broken telemetry",
        Duration::from_secs(10),
        |h| {
            h.state()
                .active_session()
                .is_some_and(|s| s.model.tree.find("factory/line3/telemetry").is_some())
        },
    );
    harness.state_mut().select_topic("factory/line3/telemetry");
    harness.run_steps(3);
    assert!(shows(&harness, "(as plant.Telemetry); shown as bytes"));
    assert!(shows(&harness, "ff ff ff"));
    harness.state_mut().select_topic("factory/line1/telemetry");
    harness.run_steps(2);

    // The folder disappears: said so, the bindings and the compiled schemas kept.
    std::fs::remove_dir_all(&folder).expect("remove");
    step_until(
        &mut harness,
        "the missing folder",
        Duration::from_secs(10),
        |h| shows(h, "is not there"),
    );
    assert!(shows(&harness, "still using the schemas loaded before"));
    assert!(exists(&harness, "factory/+/telemetry"), "bindings kept");
    assert!(exists(
        &harness,
        "Shown as plant.Telemetry (protobuf, bound)"
    ));

    // It comes back with a file that does not compile: file and line.
    write_schemas(&folder);
    std::fs::write(
        folder.join("broken.proto"),
        "syntax = \"proto3\";\n\nmessage Broken {\n  string name = ;\n}\n",
    )
    .expect("broken.proto");
    in_window(&harness, "Reload").click();
    harness.run_steps(2);
    assert!(shows(&harness, "broken.proto:4:"), "file and line named");
}

#[test]
fn bindings_are_kept_with_the_profile() {
    use canopy::settings::{Profile, ProfileStore, StoredBinding};
    let broker = common::start_broker(BrokerConfig::default());
    let port = broker.local_addr().port();
    let dir = tempfile::tempdir().expect("tmp");
    let folder = dir.path().join("proto");
    write_schemas(&folder);
    let store = dir.path().join("profiles.ron");
    ProfileStore::at(&store)
        .save(&[Profile::new("Plant", "127.0.0.1", port)])
        .expect("profiles");
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.use_profiles(ProfileStore::at(&store));
    app.open_tab(ConnectOptions::new("127.0.0.1", port), Some("Plant".into()));
    let mut harness = crate::common::ui::harness(app);
    harness.get_by_label("Schemas…").click();
    harness.run_steps(2);
    type_into(&mut harness, "Folder", &folder.display().to_string());
    in_window(&harness, "Load").click();
    harness.run_steps(2);
    bind(&mut harness, "factory/+/telemetry", "plant.Telemetry");
    assert!(shows(&harness, "Kept with the profile Plant."));
    common::wait_until(
        || "the profile written".to_owned(),
        Duration::from_secs(5),
        || {
            let crate_loaded = ProfileStore::at(&store).load();
            matches!(crate_loaded, canopy::settings::Loaded::Read(profiles)
                if profiles[0].protobuf_bindings == [StoredBinding {
                    filter: "factory/+/telemetry".into(),
                    message: "plant.Telemetry".into(),
                }] && profiles[0].schema_folder.as_deref() == Some(folder.to_str().unwrap_or_default()))
        },
    );
    // A new start opens the profile with its schemas compiled and its bindings resolved.
    let mut again = CanopyApp::new(Ok(common::manager()), None);
    again.use_profiles(ProfileStore::at(&store));
    again.open_tab(ConnectOptions::new("127.0.0.1", port), Some("Plant".into()));
    let session = again.active_session().expect("tab");
    assert!(session.schemas.compiled.is_some());
    assert!(
        session
            .model
            .protobuf
            .message_for("factory/line9/telemetry")
            .is_some_and(|m| m.full_name() == "plant.Telemetry")
    );
}
