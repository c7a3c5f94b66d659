//! The Sparkplug view, driven through egui_kittest against the bundled broker: an edge node's
//! births and aliased data published over MQTT, its metrics by name, a seq gap, a plot by name
//! and a Rebirth that reaches the edge node.

use crate::common;
use crate::common::ui::{connected_app, exists, shows, step_until};
use canopy::broker::BrokerConfig;
use canopy::mqtt::Qos;
use canopy::mqtt::sparkplug::{self as sp, MessageType, Metric, MetricValue, Payload, datatype};
use canopy::net::{ConnectOptions, OutgoingMessage};
use egui_kittest::kittest::Queryable;
use std::time::Duration;

fn named(name: &str, kind: u32, value: MetricValue, alias: u64) -> Metric {
    let mut metric = Metric::named(name, kind, value);
    metric.alias = Some(alias);
    metric
}

fn payload(seq: u64, metrics: Vec<Metric>) -> Vec<u8> {
    Payload {
        timestamp: Some(1_764_000_000_000),
        seq: Some(seq),
        metrics,
        ..Payload::default()
    }
    .to_bytes()
}

/// Publish `messages` (topic, payload) at QoS 1, in order, as the edge node.
fn publish_all(
    edge: &mut canopy::net::ConnectionManager,
    id: canopy::net::ConnectionId,
    messages: impl IntoIterator<Item = (String, Vec<u8>)>,
) {
    for (topic, bytes) in messages {
        edge.publish(
            id,
            OutgoingMessage {
                qos: Qos::AtLeastOnce,
                ..OutgoingMessage::new(topic, bytes)
            },
        );
    }
}

#[test]
fn an_edge_node_is_shown_by_metric_name_plotted_and_asked_to_rebirth() {
    let broker = common::start_broker(BrokerConfig {
        sys_interval: Duration::ZERO,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port();
    let (edge_commands, commands_id) = common::listen(port, "spBv1.0/plant/NCMD/edge1");
    let mut harness = connected_app(port);

    let mut edge = common::manager();
    let (edge_id, _) = edge.connect(ConnectOptions {
        subscriptions: Vec::new(),
        ..ConnectOptions::new("127.0.0.1", port)
    });
    common::wait_connected(&edge, edge_id);
    let topic = |kind, device| sp::topic("plant", kind, "edge1", device);
    let messages = [
        (
            topic(MessageType::NBirth, None),
            payload(
                0,
                vec![
                    Metric::named(sp::BD_SEQ, datatype::INT64, MetricValue::Long(3)),
                    named("Line/Speed", datatype::DOUBLE, MetricValue::Double(1.0), 2),
                ],
            ),
        ),
        (
            topic(MessageType::DBirth, Some("plc1")),
            payload(
                1,
                vec![named("Temp", datatype::INT32, MetricValue::Int(20), 10)],
            ),
        ),
        (
            topic(MessageType::NData, None),
            payload(2, vec![Metric::aliased(2, MetricValue::Double(2.5))]),
        ),
        // seq 3 lost.
        (
            topic(MessageType::NData, None),
            payload(4, vec![Metric::aliased(2, MetricValue::Double(4.5))]),
        ),
    ];
    publish_all(&mut edge, edge_id, messages);
    step_until(
        &mut harness,
        "the edge node's data",
        Duration::from_secs(10),
        |h| {
            h.state().active_session().is_some_and(|s| {
                s.model
                    .sparkplug
                    .node("plant", "edge1")
                    .and_then(|n| n.metrics.get("Line/Speed"))
                    .and_then(|m| m.number())
                    == Some(4.5)
            })
        },
    );

    // In the explorer the data topic's row and history show metric names, not aliases.
    harness
        .state_mut()
        .select_topic("spBv1.0/plant/NDATA/edge1");
    harness.run_steps(3);
    assert!(
        shows(&harness, "= Line/Speed=4.5"),
        "the tree row's preview"
    );
    assert!(
        shows(&harness, "Line/Speed=2.5"),
        "the older message in the history"
    );
    assert!(!shows(&harness, "alias 2"));

    harness.get_by_label("Sparkplug").click();
    harness.run_steps(3);
    // The first edge node is shown; its data arrived by alias only.
    assert!(
        exists(&harness, "Line/Speed"),
        "metric named from the birth"
    );
    assert!(exists(&harness, "4.5"));
    assert!(!shows(&harness, "alias 2"));
    assert!(shows(&harness, "1 seq gap"));
    assert!(shows(&harness, "seq gap: expected 3, got 4"));

    harness.get_by_label("plc1").click();
    harness.run_steps(2);
    assert!(exists(&harness, "Temp"));
    assert!(exists(&harness, "Int32"));

    harness.get_by_label("edge1").click();
    harness.run_steps(2);
    harness.get_by_label("Filter metrics").focus();
    harness.run_steps(1);
    harness.get_by_label("Filter metrics").type_text("SPEED");
    harness.run_steps(2);
    assert!(shows(&harness, "1 metric of 2"), "bdSeq filtered out");
    // Plot the metric by name: both data messages, decoded through the birth's aliases.
    harness.get_by_label("Plot").click();
    harness.run_steps(2);
    let points = harness
        .state()
        .active_session()
        .map(|s| {
            s.chart
                .series
                .iter()
                .map(|c| c.series.points().to_vec())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert_eq!(points.len(), 1, "one series");
    let values: Vec<f64> = points[0].iter().map(|[_, y]| *y).collect();
    assert_eq!(values, [2.5, 4.5]);

    // A rebirth gives Line/Speed another alias: the plotted series follows it by name.
    publish_all(
        &mut edge,
        edge_id,
        [
            (
                topic(MessageType::NBirth, None),
                payload(
                    0,
                    vec![
                        Metric::named(sp::BD_SEQ, datatype::INT64, MetricValue::Long(3)),
                        named("Pressure", datatype::DOUBLE, MetricValue::Double(0.0), 2),
                        named("Line/Speed", datatype::DOUBLE, MetricValue::Double(5.0), 9),
                    ],
                ),
            ),
            (
                topic(MessageType::NData, None),
                payload(
                    1,
                    vec![
                        Metric::aliased(9, MetricValue::Double(6.5)),
                        Metric::aliased(2, MetricValue::Double(99.0)),
                    ],
                ),
            ),
        ],
    );
    step_until(
        &mut harness,
        "the data after the rebirth",
        Duration::from_secs(10),
        |h| {
            h.state()
                .active_session()
                .and_then(|s| s.chart.series.first())
                .is_some_and(|c| c.series.points().len() == 3)
        },
    );
    let values: Vec<f64> = harness
        .state()
        .active_session()
        .and_then(|s| s.chart.series.first())
        .map(|c| c.series.points().iter().map(|[_, y]| *y).collect())
        .unwrap_or_default();
    assert_eq!(
        values,
        [2.5, 4.5, 6.5],
        "not Pressure's 99 under the old alias"
    );

    harness.get_by_label("Sparkplug").click();
    harness.run_steps(2);
    harness.get_by_label("Rebirth…").click();
    harness.run_steps(2);
    assert!(shows(
        &harness,
        "Ask edge node edge1 (group plant) to publish its births again?"
    ));
    harness.get_by_label("Send Rebirth").click();
    harness.run_steps(2);
    let command = common::next_message(&edge_commands, commands_id);
    assert_eq!(command.topic, "spBv1.0/plant/NCMD/edge1");
    let decoded = Payload::decode(&command.payload).expect("a Sparkplug payload");
    assert_eq!(decoded.metrics.len(), 1);
    assert_eq!(decoded.metrics[0].name.as_deref(), Some(sp::REBIRTH));
    assert_eq!(decoded.metrics[0].value, Some(MetricValue::Boolean(true)));
    // The command comes back through the explorer's own subscription and is shown.
    step_until(
        &mut harness,
        "the command in the view",
        Duration::from_secs(10),
        |h| shows(h, "Last command: Node Control/Rebirth"),
    );
}

#[test]
fn a_rebirth_without_a_connection_says_it_was_not_sent() {
    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    // A detached session (as a recording's tab is): births seen, no broker to send to.
    app.inject(vec![canopy::model::Incoming::new(
        sp::topic("plant", MessageType::NBirth, "edge1", None),
        payload(
            0,
            vec![named(
                "Speed",
                datatype::DOUBLE,
                MetricValue::Double(1.0),
                1,
            )],
        ),
    )]);
    let mut harness = crate::common::ui::harness(app);
    harness.get_by_label("Sparkplug").click();
    harness.run_steps(2);
    harness.get_by_label("Rebirth…").click();
    harness.run_steps(2);
    harness.get_by_label("Send Rebirth").click();
    harness.run_steps(2);
    assert!(shows(
        &harness,
        "Not connected: the Rebirth for plant/edge1 was not sent."
    ));
}
