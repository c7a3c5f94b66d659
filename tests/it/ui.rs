//! The window, driven through egui_kittest: widgets found by role and label, clicked and typed into.

use crate::common::ui::{harness, step_until};
use crate::common::{self, Mosquitto, free_port};
use canopy::app::CanopyApp;
use canopy::model::Incoming;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use std::time::Duration;

fn app_without_connection() -> CanopyApp {
    CanopyApp::new(Ok(common::manager()), None)
}

/// Step the UI until `label` exists, or panic after `timeout`.
fn step_until_label(harness: &mut Harness<'_, CanopyApp>, label: &str, timeout: Duration) {
    let what = format!("a widget labelled {label:?}");
    step_until(harness, &what, timeout, |h| {
        h.query_by_label(label).is_some()
    });
}

fn step_until_label_contains(harness: &mut Harness<'_, CanopyApp>, text: &str, timeout: Duration) {
    let what = format!("a widget with {text:?} in its label");
    step_until(harness, &what, timeout, |h| {
        h.query_by_label_contains(text).is_some()
    });
}

/// The text of the payload field in the message panel.
fn payload(harness: &Harness<'_, CanopyApp>) -> String {
    harness
        .get_by_role_and_label(egui::accesskit::Role::MultilineTextInput, "Payload")
        .value()
        .unwrap_or_default()
}

#[test]
fn injected_batch_shows_the_nodes() {
    let mut app = app_without_connection();
    app.inject(vec![
        Incoming::new("home/kitchen/temp", "21.5"),
        Incoming::new("home/garage/door", "open").retained(),
        Incoming::new("factory/line1/speed", "120"),
        Incoming::new("$SYS/broker/uptime", "42 seconds"),
    ]);
    let mut harness = harness(app);
    harness.run_steps(2);
    for first_level in ["home", "factory", "$SYS"] {
        harness.get_by_label(first_level);
    }
    assert!(
        harness.query_by_label("kitchen").is_none(),
        "children stay collapsed"
    );
    harness.get_by_label("expand home").click();
    harness.run_steps(2);
    harness.get_by_label("kitchen");
    harness.get_by_label("garage");
    harness.get_by_label_contains("2 topics");
}

#[test]
fn clicking_a_node_shows_its_payload_and_history() {
    let mut app = app_without_connection();
    app.inject(vec![
        Incoming::new("home/kitchen/temp", "21.5"),
        Incoming::new("home/kitchen/temp", "21.7"),
        Incoming::new("home/kitchen/json", r#"{"b":2,"a":1.50}"#),
    ]);
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("home").click();
    harness.run_steps(2);
    harness.get_by_label("kitchen").click();
    harness.run_steps(2);
    harness.get_by_label("temp").click();
    harness.run_steps(2);

    assert_eq!(
        harness.state().selected_topic().as_deref(),
        Some("home/kitchen/temp")
    );
    harness.get_by_label("home/kitchen/temp"); // the panel's title
    assert_eq!(
        payload(&harness),
        "21.7",
        "the newest payload, shown in full"
    );
    harness.get_by_label_contains("History: 2 of 100 kept");

    // Pick the older message in the history table.
    harness.get_by_label("21.5").click();
    harness.run_steps(2);
    harness.get_by_label("Showing an older message.");
    harness.get_by_label("Show latest").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label("Showing an older message.")
            .is_none()
    );

    // JSON is shown as a tree in the publisher's key order, numbers as they were spelled.
    harness.get_by_label("json").click();
    harness.run_steps(2);
    let rows: Vec<String> = harness
        .query_all_by_role(egui::accesskit::Role::Button)
        .filter_map(|node| node.accesskit_node().label())
        .filter(|label| label == "b: 2" || label == "a: 1.50")
        .collect();
    assert_eq!(rows, ["b: 2", "a: 1.50"]);
}

#[test]
fn a_binary_payload_shows_as_bytes() {
    let mut app = app_without_connection();
    app.inject(vec![Incoming::new(
        "dev/blob",
        vec![0xffu8, 0x00, 0x01, b'A'],
    )]);
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("dev").click();
    harness.run_steps(2);
    harness.get_by_label("blob").click();
    harness.run_steps(2);
    assert!(
        payload(&harness).starts_with("00000000  ff 00 01 41"),
        "{}",
        payload(&harness)
    );

    // Asking for text escapes what is not UTF-8 and says so.
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Text")
        .click();
    harness.run_steps(2);
    assert_eq!(payload(&harness), "\\xFF\0\u{1}A");
    harness.get_by_label_contains("not valid UTF-8");
}

#[test]
fn keyboard_moves_the_selection() {
    let mut app = app_without_connection();
    app.inject(vec![Incoming::new("a/x", "1"), Incoming::new("b/y", "2")]);
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.key_press(egui::Key::ArrowDown); // selects the first row
    harness.run_steps(1);
    assert_eq!(harness.state().selected_topic().as_deref(), Some("a"));
    harness.key_press(egui::Key::ArrowRight); // expands it
    harness.run_steps(1);
    harness.key_press(egui::Key::ArrowDown);
    harness.run_steps(1);
    assert_eq!(harness.state().selected_topic().as_deref(), Some("a/x"));
    harness.key_press(egui::Key::ArrowLeft); // to the parent
    harness.run_steps(1);
    assert_eq!(harness.state().selected_topic().as_deref(), Some("a"));
}

#[test]
fn a_bad_port_is_named_and_nothing_connects() {
    let mut harness = harness(app_without_connection());
    harness.run_steps(1);
    let port = harness.get_by_label("Port");
    port.focus();
    for _ in 0..8 {
        harness.key_press(egui::Key::Backspace);
    }
    harness.get_by_label("Port").type_text("18x3");
    harness.run_steps(1);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Connect")
        .click();
    harness.run_steps(2);
    harness.get_by_label("Port: '18x3' is not a port number (1–65535)");
    assert!(harness.state().active_session().is_none());
}

#[test]
fn a_refused_connection_is_explained_in_the_window() {
    let port = free_port();
    let mut app = app_without_connection();
    app.form_mut().host = "127.0.0.1".into();
    app.form_mut().port = port.to_string();
    let mut harness = harness(app);
    harness.run_steps(1);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Connect")
        .click();
    step_until_label_contains(
        &mut harness,
        "connection refused by 127.0.0.1",
        Duration::from_secs(10),
    );
    // Still retrying, and the user can stop it.
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Disconnect")
        .click();
    step_until_label(&mut harness, "Connect", Duration::from_secs(5));
}

#[test]
fn connect_through_the_window_and_watch_the_tree_fill() {
    let Some(broker) = Mosquitto::start("connect_through_the_window_and_watch_the_tree_fill")
    else {
        return;
    };
    let mut harness = harness(app_without_connection());
    harness.run_steps(1);
    harness.get_by_label("Host").focus();
    for _ in 0..12 {
        harness.key_press(egui::Key::Backspace);
    }
    harness.get_by_label("Host").type_text("127.0.0.1");
    harness.get_by_label("Port").focus();
    for _ in 0..8 {
        harness.key_press(egui::Key::Backspace);
    }
    harness
        .get_by_label("Port")
        .type_text(&broker.port.to_string());
    harness.run_steps(1);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Connect")
        .click();
    step_until_label_contains(
        &mut harness,
        "Connected to mqtt://127.0.0.1",
        Duration::from_secs(15),
    );

    // Subscriptions are acknowledged shortly after CONNACK; wait for them before publishing.
    step_until(
        &mut harness,
        "the subscriptions' acknowledgement",
        Duration::from_secs(10),
        |h| {
            h.state()
                .active_session()
                .is_none_or(|s| s.active_subscriptions.len() >= 2)
        },
    );
    broker.publish(&["-t", "plant/boiler/pressure", "-m", "2.4"]);
    step_until_label(&mut harness, "plant", Duration::from_secs(10));
    // mosquitto's own $SYS tree shows up as its own branch.
    step_until_label(&mut harness, "$SYS", Duration::from_secs(10));

    harness.get_by_label("plant").click();
    step_until_label(&mut harness, "boiler", Duration::from_secs(5));
    harness.get_by_label("boiler").click();
    step_until_label(&mut harness, "pressure", Duration::from_secs(5));
    harness.get_by_label("pressure").click();
    step_until_label(
        &mut harness,
        "plant/boiler/pressure",
        Duration::from_secs(5),
    );
    assert_eq!(payload(&harness), "2.4");
    harness.get_by_label_contains("msg/s");
}

#[test]
fn memory_is_shown_and_the_history_budget_is_a_kept_setting() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = canopy::settings::SettingsStore::at(dir.path().join("settings.ron"));
    let mut app = app_without_connection();
    app.use_settings(store.clone());
    let big = vec![7u8; 64 * 1024];
    app.inject(
        (0..40)
            .map(|i| Incoming::new(format!("cam/{i}"), big.clone()))
            .collect(),
    );
    app.inject(
        (0..40)
            .map(|i| Incoming::new(format!("cam/{i}"), big.clone()))
            .collect(),
    );
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label_contains("Memory ");
    let tree_bytes = |h: &Harness<'_, CanopyApp>| {
        h.state()
            .active_session()
            .map_or(0, |s| s.model.tree.history_bytes())
    };
    assert!(
        tree_bytes(&harness) > 4 * 1024 * 1024,
        "80 payloads of 64 KiB are kept"
    );

    harness.state_mut().set_history_budget_mib(1);
    harness.run_steps(2);
    let session = harness.state().active_session().expect("session");
    assert!(
        session.model.tree.history_bytes() <= 3 * 1024 * 1024,
        "trimmed, newest per topic kept"
    );
    assert_eq!(session.model.tree.history_messages(), 40);
    // Settings are written off the window's thread: wait for the file.
    step_until(
        &mut harness,
        "the settings written with the new budget",
        Duration::from_secs(10),
        |_| {
            matches!(store.load(), canopy::settings::Loaded::Read(saved)
                if saved.history_budget_mib == 1)
        },
    );
}

/// The window's delay before it asks to draw again, after the last frame; `None`: never.
fn next_repaint(harness: &Harness<'_, CanopyApp>) -> Option<Duration> {
    let delay = harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
    (delay < Duration::from_secs(3600)).then_some(delay)
}

/// No work without news: once the highlight has faded and the rate has fallen to zero, a frame
/// asks for no other; fresh data asks for the fade's pace, not for every frame.
#[test]
fn a_quiet_window_asks_for_no_frame() {
    let mut app = app_without_connection();
    let mut old = Incoming::new("home/kitchen/temp", "21.5");
    old.received_at = std::time::SystemTime::now() - Duration::from_secs(10);
    app.inject(vec![old]);
    let mut harness = harness(app);
    harness.run_steps(3);
    // The message rate counts arrivals by the clock of their application: let it fall to zero.
    std::thread::sleep(Duration::from_millis(1100));
    harness.run_steps(2);
    assert_eq!(
        next_repaint(&harness),
        None,
        "nothing changes: no frame asked for"
    );

    harness
        .state_mut()
        .inject(vec![Incoming::new("home/kitchen/temp", "21.7")]);
    harness.run_steps(1);
    let delay = next_repaint(&harness).expect("the fresh highlight fades");
    assert!(
        delay
            >= canopy::app::repaint::FADE_REPAINT_INTERVAL
                .saturating_sub(Duration::from_millis(20)),
        "the fade repaints at its own pace, not every frame: {delay:?}"
    );
}

#[test]
fn the_theme_and_the_text_size_are_chosen_and_remembered() {
    use canopy::settings::{Loaded, SettingsStore, ThemeChoice};
    let dir = tempfile::tempdir().expect("tmp");
    let store = SettingsStore::at(dir.path().join("settings.ron"));
    let mut app = app_without_connection();
    app.use_settings(store.clone());
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Appearance").click();
    harness.run_steps(3);
    harness.get_by_label("Light").click();
    harness.run_steps(2);
    assert_eq!(harness.ctx.theme(), egui::Theme::Light);
    // Ctrl + makes the text larger, as in other desktop apps.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Plus);
    harness.run_steps(2);
    assert!(
        (harness.ctx.zoom_factor() - 1.1).abs() < 0.01,
        "{}",
        harness.ctx.zoom_factor()
    );
    let saved = |theme, percent| move |_: &Harness<'_, CanopyApp>| matches!(store.load(), Loaded::Read(s) if s.theme == theme && s.text_scale_percent == percent);
    step_until(
        &mut harness,
        "the settings written",
        Duration::from_secs(10),
        saved(ThemeChoice::Light, 110),
    );
    drop(harness);

    // The next start takes them up.
    let mut app = app_without_connection();
    app.use_settings(SettingsStore::at(dir.path().join("settings.ron")));
    let mut harness = crate::common::ui::harness(app);
    harness.run_steps(3);
    assert_eq!(harness.ctx.theme(), egui::Theme::Light);
    assert!((harness.ctx.zoom_factor() - 1.1).abs() < 0.01);
    harness.get_by_label("Appearance").click();
    harness.run_steps(3);
    harness.get_by_label("Text size: 110 %");
    harness.get_by_label("Reset").click();
    harness.run_steps(2);
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < 0.01);
}

#[test]
fn the_filter_takes_text_an_mqtt_filter_or_a_regular_expression() {
    use crate::common::ui::shows;
    let mut app = app_without_connection();
    app.inject(
        [
            "home/kitchen/temp",
            "home/kitchen/humidity",
            "home/Garage/temp",
            "home/garage/door",
            "plant/12/temp",
            "plant/x/temp",
            "$SYS/broker/uptime",
        ]
        .into_iter()
        .map(|t| Incoming::new(t, "1"))
        .collect(),
    );
    let mut harness = harness(app);
    harness.run_steps(2);
    let filter = |harness: &mut Harness<'_, CanopyApp>, text: &str| {
        harness.get_by_label("Filter").focus();
        harness.run_steps(1);
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.key_press(egui::Key::Backspace);
        harness.get_by_label("Filter").type_text(text);
        harness.run_steps(3);
    };
    // Text: any case, anywhere in the topic.
    filter(&mut harness, "garage");
    assert!(
        shows(&harness, "2 topics matching"),
        "home/Garage/temp and home/garage/door"
    );
    // An MQTT filter: the broker's rules (case-sensitive, + one level, # below).
    filter(&mut harness, "home/+/temp");
    assert!(shows(&harness, "2 topics matching"));
    filter(&mut harness, "#");
    assert!(shows(&harness, "6 topics matching"), "# leaves $SYS out");
    filter(&mut harness, "home/#/x");
    assert!(shows(&harness, "Not an MQTT topic filter"));
    // A regular expression.
    harness.get_by_label("Regex").click();
    filter(&mut harness, r"^plant/\d+/");
    assert!(shows(&harness, "1 topic matching"));
    filter(&mut harness, "plant/(");
    assert!(shows(&harness, "Not a regular expression"));
}

#[test]
fn payloads_are_searched_and_a_hit_shows_its_message() {
    use crate::common::ui::shows;
    let mut app = app_without_connection();
    app.inject(
        (0..60)
            .map(|i| {
                let status = if i == 42 { "ERROR: sensor lost" } else { "ok" };
                Incoming::new(
                    format!("plant/line{}/state", i % 6),
                    format!("{{\"n\":{i},\"status\":\"{status}\"}}"),
                )
            })
            .collect(),
    );
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Payloads").focus();
    harness.run_steps(1);
    harness.get_by_label("Payloads").type_text("error");
    harness.get_by_label("Search").click();
    harness.run_steps(4);
    assert!(shows(&harness, "1 hit for \"error\" in 60 messages"));
    // The hit names its topic and the text around the match; a click shows that message.
    harness.get_by_label_contains("plant/line0/state").click();
    harness.run_steps(3);
    let session = harness.state().active_session().expect("tab");
    let tree = &session.model.tree;
    let selected = session.tree_view.selected.expect("a topic selected");
    assert_eq!(tree.topic_name(selected), "plant/line0/state");
    assert!(
        shows(&harness, "Showing an older message."),
        "message 42, not the newest (54)"
    );
    harness.get_by_label("Close").click();
    harness.run_steps(2);
    assert!(!shows(&harness, "hit for"));

    // A MessagePack payload is searched as its decoded values.
    let mut packed = Incoming::new("plant/line9/state", {
        let mut bytes = vec![0x81, 0xa6];
        bytes.extend_from_slice(b"status");
        bytes.push(0xa8);
        bytes.extend_from_slice(b"overheat");
        bytes
    });
    packed.properties = Some(std::sync::Arc::new(canopy::model::MessageProperties {
        content_type: Some("application/msgpack".into()),
        ..Default::default()
    }));
    harness.state_mut().inject(vec![packed]);
    harness.run_steps(1);
    harness.get_by_label("Payloads").focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.get_by_label("Payloads").type_text("OVERHEAT");
    harness.get_by_label("Search").click();
    harness.run_steps(4);
    assert!(shows(&harness, "1 hit for \"OVERHEAT\" in 61 messages"));
    assert!(shows(&harness, "plant/line9/state"));
}

#[test]
fn the_message_log_lists_arrivals_filters_pauses_and_leads_to_the_message() {
    use crate::common::ui::shows;
    let mut app = app_without_connection();
    let batch = |from: usize, to: usize| -> Vec<Incoming> {
        (from..to)
            .map(|i| {
                let topic = ["home/kitchen/temp", "home/hall/temp", "plant/pump/state"][i % 3];
                let payload = if i == 7 {
                    "ALARM pump".to_owned()
                } else {
                    format!("{i}")
                };
                Incoming::new(topic, payload)
            })
            .collect()
    };
    app.inject(batch(0, 30));
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Log").click();
    harness.run_steps(2);
    assert!(shows(&harness, "30 messages"));
    let fill = |harness: &mut Harness<'_, CanopyApp>, label: &str, text: &str| {
        harness.get_by_label(label).focus();
        harness.run_steps(1);
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.key_press(egui::Key::Backspace);
        harness.get_by_label(label).type_text(text);
        harness.run_steps(2);
    };
    fill(&mut harness, "Topics", "home/+/temp");
    assert!(shows(&harness, "20 messages"));
    fill(&mut harness, "Topics", "");
    fill(&mut harness, "Payload contains", "alarm");
    assert!(shows(&harness, "1 message"));
    fill(&mut harness, "Payload contains", "");
    // Paused: new messages are counted (and kept in history) but not listed.
    harness.get_by_label("Pause").click();
    harness.run_steps(1);
    harness.state_mut().inject(batch(30, 45));
    harness.run_steps(2);
    assert!(shows(&harness, "Paused: 15 messages arrived since"));
    assert!(shows(&harness, "30 messages"));
    harness.get_by_label("Resume").click();
    harness.run_steps(2);
    assert!(shows(&harness, "45 messages"));
    // A row leads to its message in the explorer.
    fill(&mut harness, "Payload contains", "alarm");
    harness.get_by_label_contains("ALARM pump").click();
    harness.run_steps(3);
    let session = harness.state().active_session().expect("tab");
    let selected = session.tree_view.selected.expect("selected");
    assert_eq!(session.model.tree.topic_name(selected), "home/hall/temp");
    assert!(shows(&harness, "Showing an older message."));
}

#[test]
fn shortcuts_focus_the_filter_switch_views_and_are_listed() {
    use crate::common::ui::shows;
    let mut app = app_without_connection();
    app.inject(vec![Incoming::new("home/kitchen/temp", "21")]);
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run_steps(2);
    // The cursor is in the filter: typing filters the tree.
    assert_eq!(
        harness.ctx.memory(|m| m.focused()),
        Some(egui::Id::unique("tree_filter"))
    );
    harness.event(egui::Event::Text("h".to_owned()));
    harness.run_steps(2);
    let filter = &harness
        .state()
        .active_session()
        .expect("tab")
        .tree_view
        .filter;
    assert_eq!(filter, "h");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num2);
    harness.run_steps(2);
    assert!(shows(&harness, "Payload contains"), "the Log view");
    harness.key_press(egui::Key::F1);
    harness.run_steps(2);
    assert!(shows(&harness, "put the cursor in the tree's filter"));
    assert!(shows(&harness, "Ctrl+Shift+F"));
}

#[test]
fn the_home_view_shows_discovered_devices_their_state_and_problems() {
    use crate::common::ui::shows;
    let mut app = app_without_connection();
    let retained = |topic: &str, payload: &str| {
        let mut message = Incoming::new(topic, payload.to_owned());
        message.retain = true;
        message
    };
    app.inject(vec![
        retained(
            "homeassistant/light/0x01/light/config",
            r#"{"~":"zigbee2mqtt/Lamp","name":"Lamp","stat_t":"~","cmd_t":"~/set","uniq_id":"lamp",
                "avty_t":"zigbee2mqtt/Lamp/availability",
                "dev":{"ids":["z_0x01"],"name":"Hall lamp","mf":"IKEA","mdl":"LED1623G12"}}"#,
        ),
        retained(
            "homeassistant/sensor/hall/temp/config",
            r#"{"name":"Hall temperature","stat_t":"hall/temp","uniq_id":"hall_t",
                "dev":{"ids":["hall"],"name":"Hall sensor"}}"#,
        ),
        // Not retained, and missing its state topic.
        Incoming::new("homeassistant/sensor/broken/config", r#"{"name":"Broken"}"#),
        retained("zigbee2mqtt/Lamp/availability", "online"),
        Incoming::new("zigbee2mqtt/Lamp", r#"{"state":"ON"}"#),
    ]);
    // A config left behind: five minutes old, its topics silent while others speak.
    let mut ghost = retained(
        "homeassistant/sensor/cellar/config",
        r#"{"name":"Cellar","stat_t":"cellar/temp","uniq_id":"cellar"}"#,
    );
    ghost.received_at = std::time::SystemTime::now() - Duration::from_secs(300);
    app.inject(vec![ghost, Incoming::new("hall/temp", "21.5")]);
    // A zigbee2mqtt bridge with two devices, one of them the lamp discovered above.
    app.inject(vec![
        retained("zigbee2mqtt/bridge/state", r#"{"state":"online"}"#),
        retained(
            "zigbee2mqtt/bridge/info",
            r#"{"version":"1.40.2","coordinator":{"type":"zStack3x0"}}"#,
        ),
        retained(
            "zigbee2mqtt/bridge/devices",
            r#"[{"ieee_address":"0x01","type":"Router","friendly_name":"Lamp","power_source":"Mains (single phase)","definition":{"vendor":"IKEA","model":"LED1623G12"}},
                {"ieee_address":"0x02","type":"EndDevice","friendly_name":"garden/door","power_source":"Battery"}]"#,
        ),
        Incoming::new("zigbee2mqtt/garden/door", r#"{"contact":true,"linkquality":54}"#),
        // A device's state that no config points at.
        Incoming::new("garage/fan/state", "on"),
    ]);
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Home").click();
    harness.run_steps(2);
    assert!(shows(&harness, "2 devices, 4 entities"));
    assert!(shows(&harness, "Hall lamp (IKEA LED1623G12)"));
    assert!(shows(&harness, "available"));
    assert!(shows(&harness, "21.5"));
    assert!(shows(&harness, "Problems (3)"));
    assert!(shows(
        &harness,
        "zigbee2mqtt: bridge online, version 1.40.2 (zStack3x0)"
    ));
    assert!(shows(&harness, "garden/door"));
    assert!(shows(&harness, "54"), "the door's link quality");
    assert!(
        shows(&harness, "in Home Assistant"),
        "the lamp is discovered"
    );
    assert!(shows(&harness, "the device looks gone (a ghost config)"));
    assert!(shows(&harness, "the config is not retained"));
    assert!(shows(
        &harness,
        "the config misses required keys: state_topic"
    ));
    harness.get_by_label("Select all flagged").click();
    harness.run_steps(1);
    harness.get_by_label("Clear 2 configs…").click();
    harness.run_steps(2);
    assert!(shows(
        &harness,
        "Delete 2 retained messages flagged in the Home view?"
    ));
    assert!(
        shows(&harness, "homeassistant/sensor/cellar/config"),
        "the list of what goes"
    );
    harness.get_by_label("Cancel").click();
    harness.run_steps(1);
    // A click on an entity shows its state topic in the explorer.
    harness.get_by_label("Hall temperature").click();
    harness.run_steps(2);
    let session = harness.state().active_session().expect("tab");
    let selected = session.tree_view.selected.expect("selected");
    assert_eq!(session.model.tree.topic_name(selected), "hall/temp");
}
