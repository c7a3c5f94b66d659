//! The publish panel and the retained-message clear, driven through egui_kittest against the
//! bundled broker.

use crate::common;
use canopy::app::CanopyApp;
use canopy::broker::{Broker, BrokerConfig};
use canopy::model::Qos;
use canopy::net::{ConnectOptions, EventKind, OutgoingMessage, Subscription};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};

fn broker() -> Broker {
    Broker::start(BrokerConfig {
        port: 0,
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    })
    .expect("start")
}

/// The app connected to `port`, drawn in a harness, once subscriptions are acknowledged.
fn connected_app(port: u16) -> Harness<'static, CanopyApp> {
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.connect(ConnectOptions::new("127.0.0.1", port));
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(
            |ui, app: &mut CanopyApp| {
                app.pump_events(ui.ctx());
                app.show(ui);
            },
            app,
        );
    step_until(&mut harness, "the subscriptions", |h| {
        h.state()
            .session()
            .is_some_and(|s| s.active_subscriptions.len() == 2)
    });
    harness
}

fn step_until(
    harness: &mut Harness<'_, CanopyApp>,
    what: &str,
    mut done: impl FnMut(&Harness<'_, CanopyApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
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
    let broker = broker();
    let port = broker.local_addr().port();
    let mut listener = common::manager();
    let mut options = ConnectOptions::new("127.0.0.1", port);
    options.subscriptions = vec![Subscription::new("ui/#")];
    let (listener_id, _) = listener.connect(options);
    common::wait_subscribed(&listener, listener_id);

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
    let received =
        common::wait_for(
            &listener,
            listener_id,
            Duration::from_secs(5),
            |event| match &event.kind {
                EventKind::Batch(batch) => batch.first().cloned(),
                _ => None,
            },
        );
    assert_eq!(received.topic, "ui/lamp/set");
    assert_eq!(&received.payload[..], br#"{"on": true}"#);

    // It is in the history, and can be sent again with one click.
    harness.get_by_label("History (1)").click_accesskit();
    harness.run_steps(2);
    harness
        .get_by_label_contains("Send again: ui/lamp/set")
        .click();
    harness.run_steps(1);
    let again =
        common::wait_for(
            &listener,
            listener_id,
            Duration::from_secs(5),
            |event| match &event.kind {
                EventKind::Batch(batch) => batch.first().cloned(),
                _ => None,
            },
        );
    assert_eq!(&again.payload[..], br#"{"on": true}"#);
}

#[test]
fn retained_messages_matching_the_filter_are_cleared_after_confirmation() {
    let broker = broker();
    let port = broker.local_addr().port();
    let mut seeder = common::manager();
    let (seed_id, _) = seeder.connect(ConnectOptions {
        subscriptions: Vec::new(),
        ..ConnectOptions::new("127.0.0.1", port)
    });
    common::wait_connected(&seeder, seed_id);
    for topic in ["old/fw/a", "old/fw/b", "old/fw/c", "keep/config"] {
        seeder.publish(
            seed_id,
            OutgoingMessage {
                qos: Qos::AtLeastOnce,
                retain: true,
                ..OutgoingMessage::new(topic, "v1")
            },
        );
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while broker.retained_count() < 4 {
        assert!(Instant::now() < deadline, "seeding");
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut harness = connected_app(port);
    step_until(&mut harness, "the retained topics", |h| {
        h.state()
            .session()
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
            .is_some_and(canopy::app::RetainedClear::is_done)
    });
    let job = harness.state().retained_clear().expect("ran");
    assert_eq!((job.total, job.cleared, job.failed.len()), (3, 3, 0));
    assert_eq!(broker.retained_count(), 1, "keep/config is untouched");
    let tree = &harness.state().session().expect("session").model.tree;
    assert!(
        tree.retained_topics_under(canopy::model::NodeId::ROOT) == vec!["keep/config".to_owned()]
    );
}
