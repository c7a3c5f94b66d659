//! The Connections window: three profiles (plain, TLS with a client certificate, WebSockets)
//! made through the form, open at once in tabs, and found again after a restart.

use crate::common;
use crate::common::ui::{exists, harness, step_until};
use canopy::app::CanopyApp;
use canopy::settings::{ProfileStore, SettingsStore, StoredTransport};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;
use std::time::Duration;

fn app(dir: &Path) -> CanopyApp {
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.use_settings(SettingsStore::at(dir.join("settings.ron")));
    app.use_profiles(ProfileStore::at(dir.join("profiles.ron")));
    app.set_profiles_window(true);
    app
}

/// Replace the text of the Connections window's field labelled `label`.
fn fill(harness: &mut Harness<'_, CanopyApp>, label: &str, text: &str) {
    harness
        .get_by_role_and_label(Role::Window, "Connections")
        .get_by_label(label)
        .focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness
        .get_by_role_and_label(Role::Window, "Connections")
        .get_by_label(label)
        .type_text(text);
    harness.run_steps(1);
}

fn click(harness: &mut Harness<'_, CanopyApp>, label: &str) {
    harness
        .get_by_role_and_label(Role::Window, "Connections")
        .get_by_label(label)
        .click();
    harness.run_steps(2);
}

/// Wait for the save started by a click to be written (it runs off the window's thread).
fn saved(harness: &mut Harness<'_, CanopyApp>, name: &str) {
    let label = format!("Saved '{name}'.");
    step_until(harness, &label, Duration::from_secs(5), |h| {
        exists(h, &label)
    });
}

fn new_profile(harness: &mut Harness<'_, CanopyApp>, name: &str, port: u16) {
    click(harness, "New profile");
    fill(harness, "Name", name);
    fill(harness, "Host", "127.0.0.1");
    fill(harness, "Port", &port.to_string());
}

#[test]
fn three_profiles_open_at_once_and_survive_a_restart() {
    let Some((pki, broker, tls_port, ws_port)) = common::pki::mosquitto_with_tls_and_websockets(
        "three_profiles_open_at_once_and_survive_a_restart",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let mut harness = harness(app(dir.path()));
    harness.run_steps(2);

    new_profile(&mut harness, "home", broker.port);
    click(&mut harness, "Save");
    saved(&mut harness, "home");

    new_profile(&mut harness, "secure", tls_port);
    click(&mut harness, "mqtts (TLS)");
    click(&mut harness, "TLS");
    fill(
        &mut harness,
        "CA file",
        &pki.path("ca.pem").display().to_string(),
    );
    fill(
        &mut harness,
        "Client certificate",
        &pki.path("client.pem").display().to_string(),
    );
    fill(
        &mut harness,
        "Client key",
        &pki.path("client.key").display().to_string(),
    );
    click(&mut harness, "Save");
    saved(&mut harness, "secure");

    new_profile(&mut harness, "lab", ws_port);
    click(&mut harness, "ws");
    click(&mut harness, "Save");
    saved(&mut harness, "lab");

    // A bad field is named and nothing is saved.
    new_profile(&mut harness, "broken", 1883);
    fill(&mut harness, "Port", "70000");
    click(&mut harness, "Save");
    harness.get_by_label_contains("Port: '70000' is not a port number");
    assert_eq!(harness.state().profiles().len(), 3);

    // Open all three: each in its own tab.
    for name in ["home", "secure", "lab"] {
        if harness
            .query_by_role_and_label(Role::Window, "Connections")
            .is_none()
        {
            open_connections_window(&mut harness);
        }
        click(&mut harness, name);
        click(&mut harness, "Connect");
        // Saved first (off the window's thread), then opened in a tab and the window closed.
        step_until(&mut harness, name, Duration::from_secs(5), |h| {
            h.query_by_role_and_label(Role::Window, "Connections")
                .is_none()
        });
    }
    // On a loaded machine TLS can take a while; say where each tab stood if it never gets there.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        let sessions = harness.state().sessions();
        if sessions.len() == 3
            && sessions
                .iter()
                .all(|s| s.state.is_connected() && !s.active_subscriptions.is_empty())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "three connected tabs; instead: {:?}",
            sessions
                .iter()
                .map(|s| (
                    s.title(),
                    format!("{:?}", s.state),
                    s.active_subscriptions.clone()
                ))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let urls: Vec<String> = harness
        .state()
        .sessions()
        .iter()
        .map(|s| s.options.url())
        .collect();
    assert_eq!(
        urls,
        [
            format!("mqtt://127.0.0.1:{}", broker.port),
            format!("mqtts://127.0.0.1:{tls_port}"),
            format!("ws://127.0.0.1:{ws_port}/mqtt"),
        ]
    );
    // One message reaches all three trees; each tab keeps its own.
    broker.publish(&["-t", "profiles/check", "-m", "1"]);
    step_until(
        &mut harness,
        "the message in every tab",
        Duration::from_secs(10),
        |h| {
            h.state()
                .sessions()
                .iter()
                .all(|s| s.model.tree.find("profiles/check").is_some())
        },
    );
    harness.get_by_label("secure").click(); // the tab
    harness.run_steps(2);
    assert_eq!(
        harness
            .state()
            .active_session()
            .map(|s| s.title())
            .as_deref(),
        Some("secure")
    );

    // Restart: the profiles are there, listed in the window.
    drop(harness);
    let mut harness = harness_again(dir.path());
    harness.run_steps(2);
    let profiles = harness.state().profiles();
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["home", "secure", "lab"]);
    assert_eq!(profiles[1].transport, StoredTransport::Mqtts);
    assert_eq!(profiles[1].tls.client_key, Some(pki.path("client.key")));
    assert_eq!(profiles[2].transport, StoredTransport::Ws);
    for name in names {
        harness
            .get_by_role_and_label(Role::Window, "Connections")
            .get_by_label(name);
    }
}

/// Click "Connections…" until the window is there: the tab bar's widths change while new
/// tabs connect, and a click aimed at where the button was last frame can miss it.
fn open_connections_window(harness: &mut Harness<'_, CanopyApp>) {
    for _ in 0..20 {
        harness.get_by_label("Connections…").click();
        harness.run_steps(2);
        if harness
            .query_by_role_and_label(Role::Window, "Connections")
            .is_some()
        {
            return;
        }
    }
    panic!("the Connections window did not open");
}

fn harness_again(dir: &Path) -> Harness<'static, CanopyApp> {
    harness(app(dir))
}

#[test]
fn a_corrupt_profiles_file_is_reported_in_the_window() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("profiles.ron"),
        "(schema_version: 1, profiles: [(",
    )
    .expect("write");
    let mut harness = harness(app(dir.path()));
    harness.run_steps(2);
    harness.get_by_label_contains("Your connection profiles could not be read");
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("unreadable"))
        .collect();
    assert_eq!(kept.len(), 1, "the file was kept aside");
}

#[test]
fn the_about_box_names_the_build_the_license_and_the_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.use_settings(SettingsStore::at(dir.path().join("settings.ron")));
    app.use_profiles(ProfileStore::at(dir.path().join("profiles.ron")));
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Help").click();
    harness.run_steps(3);
    harness.get_by_label("About Canopy").click();
    harness.run_steps(2);
    let about = harness.get_by_role_and_label(Role::Window, "About Canopy");
    let version = format!("Version {}", canopy::VERSION);
    assert!(version.contains(" (commit "), "{version}");
    about.get_by_label(&version);
    about.get_by_label("License: MIT OR Apache-2.0");
    about.get_by_label("Recordings"); // a link to the README's section
    about.get_by_label(&dir.path().join("settings.ron").display().to_string());
    about.get_by_label(&dir.path().join("profiles.ron").display().to_string());
}

#[test]
fn the_layout_and_a_profiles_open_branches_are_remembered() {
    use canopy::settings::{Loaded, Profile};
    let broker = common::start_broker(canopy::broker::BrokerConfig::default());
    let port = broker.local_addr().port();
    let dir = tempfile::tempdir().expect("tmp");
    let profiles = ProfileStore::at(dir.path().join("profiles.ron"));
    profiles
        .save(&[Profile::new("Lab", "127.0.0.1", port)])
        .expect("profiles");
    let settings = SettingsStore::at(dir.path().join("settings.ron"));
    let start = |settings: &SettingsStore| {
        let mut app = CanopyApp::new(Ok(common::manager()), None);
        app.use_settings(settings.clone());
        app.use_profiles(ProfileStore::at(dir.path().join("profiles.ron")));
        app.open_tab(
            canopy::net::ConnectOptions::new("127.0.0.1", port),
            Some("Lab".into()),
        );
        app
    };
    let mut harness = harness(start(&settings));
    harness.run_steps(2);
    harness.state_mut().inject(vec![
        canopy::model::Incoming::new("home/kitchen/temp", "21"),
        canopy::model::Incoming::new("plant/pump/state", "on"),
    ]);
    harness.run_steps(2);
    // Open home and home/kitchen; hide the publish panel; go to the Log view.
    harness.get_by_label("home").click();
    harness.run_steps(2);
    harness.get_by_label("kitchen").click();
    harness.run_steps(2);
    harness.get_by_label("Publish panel").click();
    harness.get_by_label("Chart").click();
    harness.get_by_label("Log").click();
    harness.run_steps(2);
    step_until(
        &mut harness,
        "the layout saved",
        Duration::from_secs(10),
        |_| {
            matches!(settings.load(), Loaded::Read(s)
            if s.layout.view.as_deref() == Some("Log")
                && s.layout.publish_open == Some(false)
                && s.layout.chart_open == Some(true)
                && s.layout.expanded.get("Lab").is_some_and(|open| open == &["home", "home/kitchen"]))
        },
    );
    drop(harness);

    // The next start: the same view and panels, and the branches open again once the topics
    // arrive.
    let mut harness = crate::common::ui::harness(start(&settings));
    harness.run_steps(2);
    assert!(exists(&harness, "Payload contains"), "the Log view");
    harness.get_by_label("Explorer").click();
    harness.run_steps(1);
    assert!(
        !exists(&harness, "Publish payload"),
        "the publish panel stays closed"
    );
    assert!(
        harness
            .state()
            .active_session()
            .is_some_and(|s| s.chart.open),
        "the chart panel opens again"
    );
    harness
        .state_mut()
        .inject(vec![canopy::model::Incoming::new(
            "home/kitchen/temp",
            "22",
        )]);
    harness.run_steps(3);
    assert!(
        exists(&harness, "temp"),
        "home/kitchen is open: its topic shows"
    );
}

#[test]
fn a_profile_sets_its_discovery_prefix() {
    use canopy::settings::Profile;
    let broker = common::start_broker(canopy::broker::BrokerConfig::default());
    let port = broker.local_addr().port();
    let dir = tempfile::tempdir().expect("tmp");
    let mut profile = Profile::new("Home", "127.0.0.1", port);
    profile.discovery_prefix = Some("ha".to_owned());
    ProfileStore::at(dir.path().join("profiles.ron"))
        .save(&[profile])
        .expect("profiles");
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.use_profiles(ProfileStore::at(dir.path().join("profiles.ron")));
    app.open_tab(
        canopy::net::ConnectOptions::new("127.0.0.1", port),
        Some("Home".into()),
    );
    app.inject(vec![
        canopy::model::Incoming::new("ha/sensor/cellar/config", r#"{"stat_t":"cellar/t"}"#),
        canopy::model::Incoming::new("homeassistant/sensor/other/config", r#"{"stat_t":"x"}"#),
    ]);
    let session = app.active_session().expect("tab");
    assert_eq!(
        session.model.home.config_count(),
        1,
        "only the profile's prefix"
    );
    // The form refuses a prefix that is not a topic.
    let mut harness = harness(app);
    harness.state_mut().set_profiles_window(true);
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::Window, "Connections")
        .get_by_label("Home")
        .click();
    harness.run_steps(2);
    fill(&mut harness, "Discovery prefix", "ha/#");
    click(&mut harness, "Save");
    harness.run_steps(2);
    assert!(
        harness
            .query_all_by_label_contains("Discovery prefix: 'ha/#'")
            .next()
            .is_some(),
        "the bad field is named"
    );
}
