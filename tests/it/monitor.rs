//! The Monitor view: mosquitto's `$SYS` on the dashboard, top talkers, and the latency probe.

use crate::common::ui::{exists, harness, step_until};
use crate::common::{self, Mosquitto};
use canopy::app::{CanopyApp, View};
use canopy::model::{Counter, Incoming, SysKey};
use canopy::net::ConnectOptions;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable};
use std::time::Duration;

#[test]
fn mosquitto_sys_values_reach_the_dashboard() {
    let Some(broker) =
        Mosquitto::start_with("mosquitto_sys_values_reach_the_dashboard", "sys_interval 1")
    else {
        return;
    };
    let app = CanopyApp::new(
        Ok(common::manager()),
        Some(ConnectOptions::new("127.0.0.1", broker.port)),
    );
    let mut harness = harness(app);
    harness.state_mut().set_view(View::Monitor);
    // Traffic for the counters to move: mosquitto counts its own $SYS messages too.
    broker.publish(&["-t", "plant/a", "-m", "1"]);
    step_until(
        &mut harness,
        "mosquitto's $SYS values and a rate",
        Duration::from_secs(20),
        |h| {
            let Some(session) = h.state().active_session() else {
                return false;
            };
            let sys = &session.model.sys;
            sys.text(SysKey::Version).is_some()
                && sys.number(SysKey::Uptime).is_some()
                && sys.rate_per_sec(Counter::MessagesSent).is_some()
        },
    );
    let session = harness.state().active_session().expect("session");
    let sys = &session.model.sys;
    assert!(
        sys.text(SysKey::Version)
            .is_some_and(|v| v.starts_with("mosquitto version")),
        "{:?}",
        sys.text(SysKey::Version)
    );
    assert!(
        sys.number(SysKey::ClientsConnected)
            .is_some_and(|n| n >= 1.0)
    );
    assert!(
        sys.number(SysKey::Subscriptions).is_some_and(|n| n >= 2.0),
        "# and $SYS/#"
    );
    assert!(sys.load("messages/received", "1min").is_some());
    assert!(!sys.rate_series(Counter::MessagesSent).is_empty());

    // The panel shows them.
    harness.run_steps(2);
    harness.get_by_label_contains("mosquitto version");
    harness.get_by_label("Clients connected");
    harness.get_by_label_contains("All $SYS values");
}

#[test]
fn top_talkers_rank_and_jump_to_the_tree() {
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    let mut batch = Vec::new();
    for i in 0..300 {
        batch.push(Incoming::new("plant/boiler/temp", format!("{i}")));
        if i % 3 == 0 {
            batch.push(Incoming::new("plant/pump/state", "on"));
        }
        if i % 10 == 0 {
            batch.push(Incoming::new("office/printer", vec![0u8; 4096]));
        }
    }
    app.inject(batch);
    app.set_view(View::Monitor);
    let mut harness = harness(app);
    harness.run_steps(3);

    let links: Vec<String> = harness
        .query_all_by_role(Role::Link)
        .filter_map(|node| node.accesskit_node().label())
        .collect();
    let position = |name: &str| {
        links
            .iter()
            .position(|l| l == name)
            .unwrap_or_else(|| panic!("{name} is listed: {links:?}"))
    };
    // By messages: 300, 100, 30 in the topics table; plant (400) before office (30) in subtrees.
    assert!(position("plant/boiler/temp") < position("plant/pump/state"));
    assert!(position("plant/pump/state") < position("office/printer"));
    assert!(position("plant") < position("office"));

    // By bytes the printer leads.
    harness.get_by_role_and_label(Role::Button, "bytes").click();
    harness.run_steps(3);
    let first = harness
        .query_all_by_role(Role::Link)
        .find_map(|node| node.accesskit_node().label())
        .expect("a talker");
    assert_eq!(first, "office/printer");

    // A click shows the topic in the explorer.
    harness.get_by_label("plant/pump/state").click();
    harness.run_steps(3);
    assert_eq!(harness.state().view(), View::Explorer);
    assert_eq!(
        harness.state().selected_topic().as_deref(),
        Some("plant/pump/state")
    );
}

#[test]
fn the_latency_probe_measures_round_trips_through_the_bundled_broker() {
    let broker = common::start_broker(canopy::broker::BrokerConfig::default());
    let port = broker.local_addr().port();
    let app = CanopyApp::new(
        Ok(common::manager()),
        Some(ConnectOptions::new("127.0.0.1", port)),
    );
    let mut harness = harness(app);
    harness.state_mut().set_view(View::Monitor);
    step_until(&mut harness, "connected", Duration::from_secs(10), |h| {
        h.state()
            .active_session()
            .is_some_and(|s| s.state.is_connected() && !s.active_subscriptions.is_empty())
    });
    harness.run_steps(2);
    let probe_topic = harness
        .state()
        .active_session()
        .expect("session")
        .probe
        .topic()
        .to_owned();
    harness
        .get_by_role_and_label(
            Role::CheckBox,
            &format!(
                "Measure the round trip: publish to {probe_topic} every 2 s and time its return"
            ),
        )
        .click();
    step_until(
        &mut harness,
        "two round trips",
        Duration::from_secs(15),
        |h| {
            h.state()
                .active_session()
                .is_some_and(|s| s.probe.series.len() >= 2)
        },
    );
    let session = harness.state().active_session().expect("session");
    let (last, ..) = session.probe.summary().expect("samples");
    assert!(
        last < 1000.0,
        "a loopback round trip takes well under a second: {last} ms"
    );
    assert!(
        session.model.tree.find(&probe_topic).is_none(),
        "probe messages stay out of the tree"
    );
    harness.run_steps(1);
    harness.get_by_label_contains("Round trip: last");
    assert!(exists(&harness, "round trip (ms)"), "the plot's legend");
}
