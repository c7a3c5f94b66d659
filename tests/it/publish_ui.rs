//! The publish panel and the retained-message clear, driven through egui_kittest against the
//! bundled broker.

use crate::common;
use crate::common::ui::exists;
use canopy::app::CanopyApp;
use canopy::broker::BrokerConfig;
use canopy::mqtt::Qos;
use canopy::net::{ConnectOptions, OutgoingMessage};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::Duration;

use crate::common::ui::connected_app;

fn step_until(
    harness: &mut Harness<'_, CanopyApp>,
    what: &str,
    done: impl FnMut(&Harness<'_, CanopyApp>) -> bool,
) {
    crate::common::ui::step_until(harness, what, Duration::from_secs(10), done);
}

fn replace_text(harness: &mut Harness<'_, CanopyApp>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(1);
}

#[test]
fn the_publish_form_sends_what_was_typed_and_refuses_bad_input() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    let (listener, listener_id) = common::listen(port, "ui/#");

    let mut harness = connected_app(port);
    // A wildcard topic is named as the problem and nothing is sent.
    replace_text(&mut harness, "Topic", "ui/+");
    replace_text(&mut harness, "Publish payload", "x");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    harness.run_steps(2);
    harness.get_by_label("Topic: a topic name cannot contain wildcards");

    // A JSON payload, checked, then sent with Ctrl+Enter from the payload field.
    replace_text(&mut harness, "Topic", "ui/lamp/set");
    harness.state_mut().publish_form_mut().format = canopy::payload::PayloadFormat::Json;
    harness.run_steps(1);
    replace_text(&mut harness, "Publish payload", "{\"on\": tru");
    harness.get_by_label_contains("not valid JSON");
    replace_text(&mut harness, "Publish payload", "{\"on\": true}");
    harness.get_by_label("Publish payload").focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    step_until(&mut harness, "the acknowledgement", |h| {
        h.query_by_label("Published 12 B to ui/lamp/set (QoS 0)")
            .is_some()
    });
    let received = common::next_message(&listener, listener_id);
    assert_eq!(received.topic, "ui/lamp/set");
    assert_eq!(&received.payload[..], br#"{"on": true}"#);

    // It is in the history, and can be sent again with one click.
    harness.get_by_label("History (1)").click_accesskit();
    harness.run_steps(2);
    harness
        .get_by_label_contains("Send again: ui/lamp/set")
        .click();
    harness.run_steps(1);
    let again = common::next_message(&listener, listener_id);
    assert_eq!(&again.payload[..], br#"{"on": true}"#);
}

/// Publish these retained messages to `broker` and wait until it holds them all.
fn seed_retained<const N: usize>(broker: &canopy::broker::Broker, messages: [(&str, String); N]) {
    let port = broker.local_addr().port();
    let mut seeder = common::manager();
    let (seed_id, _) = seeder.connect(ConnectOptions {
        subscriptions: Vec::new(),
        ..ConnectOptions::new("127.0.0.1", port)
    });
    common::wait_connected(&seeder, seed_id);
    for (topic, payload) in messages {
        seeder.publish(
            seed_id,
            OutgoingMessage {
                qos: Qos::AtLeastOnce,
                retain: true,
                ..OutgoingMessage::new(topic, payload)
            },
        );
    }
    common::wait_until(
        || "the seeded retained messages".to_owned(),
        Duration::from_secs(5),
        || broker.retained_count() >= N,
    );
}

#[test]
fn retained_messages_matching_the_filter_are_cleared_after_confirmation() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    seed_retained(
        &broker,
        ["old/fw/a", "old/fw/b", "old/fw/c", "keep/config"].map(|topic| (topic, "v1".to_owned())),
    );

    let mut harness = connected_app(port);
    step_until(&mut harness, "the retained topics", |h| {
        h.state()
            .active_session()
            .is_some_and(|s| s.model.tree.topic_count() >= 4)
    });
    replace_text(&mut harness, "Filter", "fw");
    harness.get_by_label("Clear 3 retained").click();
    harness.run_steps(3);
    assert!(
        harness.state().pending_clear().is_some(),
        "a confirmation is pending"
    );
    harness.get_by_label_contains("Delete 3 retained messages matching 'fw'?");
    harness.get_by_label("Clear 3").click();
    step_until(&mut harness, "the clear to finish", |h| {
        h.state()
            .retained_clear()
            .is_some_and(canopy::net::RetainedClear::is_done)
    });
    let job = harness.state().retained_clear().expect("ran");
    assert_eq!((job.total, job.cleared, job.failed.len()), (3, 3, 0));
    assert_eq!(broker.retained_count(), 1, "keep/config is untouched");
    let tree = &harness
        .state()
        .active_session()
        .expect("session")
        .model
        .tree;
    assert!(
        tree.retained_topics_under(canopy::model::NodeId::ROOT) == vec!["keep/config".to_owned()]
    );
}

use crate::common::ui::FixedPicker;

#[test]
fn a_file_payload_saved_messages_and_history_survive_a_restart() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    let (listener, listener_id) = common::listen(port, "files/#");

    let dir = tempfile::tempdir().expect("tmp");
    let settings = dir.path().join("settings.ron");
    let blob = dir.path().join("firmware.bin");
    std::fs::write(&blob, [0xCAu8, 0xFE, 0x00, 0x01]).expect("write");

    let mut harness = connected_app(port);
    harness
        .state_mut()
        .use_settings(canopy::settings::SettingsStore::at(&settings));
    harness
        .state_mut()
        .set_file_picker(Box::new(FixedPicker(blob.clone())));
    replace_text(&mut harness, "Topic", "files/fw");
    harness.get_by_label("Load file…").click();
    harness.run_steps(2);
    step_until(&mut harness, "the file read off the window's thread", |h| {
        exists(h, "Payload: the file firmware.bin (4 bytes)")
    });
    replace_text(&mut harness, "Save as", "firmware image");
    harness.get_by_label("Save").click();
    harness.run_steps(2);
    harness.get_by_label("Saved as \"firmware image\"");
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Publish")
        .click();
    step_until(&mut harness, "the acknowledgement", |h| {
        h.query_by_label("Published 4 B to files/fw (QoS 0)")
            .is_some()
    });
    let received = common::next_message(&listener, listener_id);
    assert_eq!(&received.payload[..], &[0xCA, 0xFE, 0x00, 0x01]);
    drop(harness);

    // A new window with the same settings file finds both again.
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.use_settings(canopy::settings::SettingsStore::at(&settings));
    let form = app.publish_form_mut();
    assert_eq!(form.history.len(), 1);
    assert_eq!(&form.history[0].payload[..], &[0xCA, 0xFE, 0x00, 0x01]);
    assert_eq!(form.saved.len(), 1);
    assert_eq!(form.saved[0].name, "firmware image");
    let saved = canopy::app::from_stored(&form.saved[0].message);
    form.load(&saved);
    assert_eq!(form.topic, "files/fw");
    assert_eq!(form.payload, "ca fe 00 01", "binary payloads load as hex");
}

#[test]
fn an_unreadable_settings_file_is_kept_and_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    let settings = dir.path().join("settings.ron");
    std::fs::write(&settings, "this is not ron").expect("write");
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.use_settings(canopy::settings::SettingsStore::at(&settings));
    let banner = app.banner().expect("reported").to_owned();
    assert!(banner.contains("could not be read"), "{banner}");
    let kept = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().contains("unreadable"))
        .expect("kept aside");
    assert_eq!(
        std::fs::read_to_string(kept.path()).expect("read"),
        "this is not ron"
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut CanopyApp| app.show(ui), app);
    harness.run_steps(1);
    harness.get_by_label_contains("Your settings file could not be read");
}

#[test]
fn the_retained_manager_lists_sorts_selects_and_clears() {
    use crate::common::ui::shows;
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    seed_retained(
        &broker,
        [
            ("homeassistant/light/a/config", "x".repeat(300)),
            ("homeassistant/light/b/config", "small".to_owned()),
            ("homeassistant/switch/c/config", "medium payload".to_owned()),
            ("devices/d/state", "on".to_owned()),
        ],
    );
    let mut harness = connected_app(port);
    step_until(&mut harness, "the retained topics", |h| {
        h.state()
            .active_session()
            .is_some_and(|s| s.model.tree.topic_count() >= 4)
    });
    harness.get_by_label("Retained").click();
    harness.run_steps(2);
    assert!(shows(&harness, "4 retained topics listed, 0 selected"));
    // Sorted by size: the 300-byte config first.
    harness.get_by_label("Size").click();
    harness.run_steps(2);
    assert!(shows(&harness, "Size (sorted)"));
    replace_text(&mut harness, "Topics", "homeassistant/#");
    harness.run_steps(2);
    assert!(shows(&harness, "3 retained topics listed, 0 selected"));
    harness.get_by_label("Select all listed").click();
    harness.run_steps(2);
    assert!(shows(&harness, "3 retained topics listed, 3 selected"));
    harness.get_by_label("Clear 3 selected…").click();
    harness.run_steps(3);
    harness.get_by_label_contains("Delete 3 retained messages selected in the retained list?");
    harness.get_by_label("Clear 3").click();
    step_until(&mut harness, "the clear to finish", |h| {
        h.state()
            .retained_clear()
            .is_some_and(canopy::net::RetainedClear::is_done)
    });
    let job = harness.state().retained_clear().expect("ran");
    assert_eq!((job.total, job.cleared, job.failed.len()), (3, 3, 0));
    assert_eq!(broker.retained_count(), 1, "devices/d/state is untouched");
    step_until(&mut harness, "the list without the cleared topics", |h| {
        shows(h, "0 retained topics listed, 0 selected")
    });
}

#[test]
fn a_home_assistant_switch_is_switched_from_the_home_view_after_confirmation() {
    use crate::common::ui::shows;
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    seed_retained(
        &broker,
        [(
            "homeassistant/switch/pump/config",
            r#"{"name":"Pump","~":"garden/pump","stat_t":"~/state","cmd_t":"~/set","pl_on":"start","pl_off":"stop"}"#
                .to_owned(),
        )],
    );
    let (listener, listener_id) = common::listen(port, "garden/pump/set");
    let mut harness = connected_app(port);
    step_until(&mut harness, "the discovery config", |h| {
        h.state()
            .active_session()
            .is_some_and(|s| s.model.home.config_count() == 1)
    });
    harness.get_by_label("Home").click();
    harness.run_steps(2);
    assert!(shows(&harness, "0 devices, 1 entity"));
    harness.get_by_label("On").click();
    harness.run_steps(2);
    assert!(shows(
        &harness,
        "Publish \"start\" to garden/pump/set (Pump)?"
    ));
    harness.get_by_label("Send").click();
    harness.run_steps(2);
    let command = common::next_message(&listener, listener_id);
    assert_eq!(command.topic, "garden/pump/set");
    assert_eq!(&command.payload[..], b"start");
}
