//! The demo fleet's Sparkplug B edge nodes, as a plant's would behave: an NBIRTH with `bdSeq`
//! and the node's controls, a DBIRTH naming the PLC's metrics with aliases (one with units, a
//! recipe table and a motor template), DDATA by alias only, an NDEATH will that matches the
//! birth, a new `bdSeq` per connection, and births again when asked (`Node Control/Rebirth`).
//! Also the primary host's `STATE`.

use crate::mqtt::sparkplug::{
    self as sp, DataSet, DataSetValue, MessageType, Metric, MetricValue, Payload, PropertySet,
    PropertyValue, PropertyValueKind, Row, ScalarValue, Template, datatype,
};

/// The Sparkplug group of the demo fleet's edge nodes.
pub const GROUP: &str = "factory";
/// The demo's primary host application id.
pub const HOST: &str = "canopy-demo-scada";
/// The device behind each edge node.
const DEVICE: &str = "plc";

const ALIAS_REBIRTH: u64 = 0;
const ALIAS_HARDWARE: u64 = 1;
const ALIAS_RPM: u64 = 10;
const ALIAS_RUNNING: u64 = 11;
const ALIAS_COUNT: u64 = 12;
const ALIAS_MODE: u64 = 13;
const ALIAS_RECIPE: u64 = 14;
const ALIAS_MOTOR: u64 = 15;

/// One edge node's Sparkplug state across its connections.
#[derive(Debug)]
pub(super) struct EdgeNode {
    node: String,
    /// Incremented for every new MQTT connection (its will carries it).
    bd_seq: u64,
    seq: u64,
    sent: u64,
}

/// A message to publish: topic, payload, QoS.
pub(super) type Outgoing = (String, Vec<u8>, u8);

impl EdgeNode {
    pub(super) fn new(node: &str) -> Self {
        Self {
            node: node.to_owned(),
            bd_seq: 0,
            seq: 0,
            sent: 0,
        }
    }

    /// The topic edge node commands arrive on.
    pub(super) fn command_topic(&self) -> String {
        sp::topic(GROUP, MessageType::NCmd, &self.node, None)
    }

    /// Start a new MQTT session: the will to connect with (NDEATH, QoS 1, not retained).
    pub(super) fn next_session(&mut self) -> Outgoing {
        self.bd_seq = (self.bd_seq + 1) % 256;
        let death = Payload {
            timestamp: Some(unix_millis()),
            metrics: vec![bd_seq_metric(self.bd_seq)],
            ..Payload::default()
        };
        (
            sp::topic(GROUP, MessageType::NDeath, &self.node, None),
            death.to_bytes(),
            1,
        )
    }

    fn next_seq(&mut self) -> Option<u64> {
        let seq = self.seq;
        self.seq = (self.seq + 1) % 256;
        Some(seq)
    }

    /// NBIRTH then DBIRTH, `seq` starting again at 0.
    pub(super) fn births(&mut self, rpm: f64, count: u64) -> Vec<Outgoing> {
        let now = unix_millis();
        self.seq = 0;
        let node_birth = Payload {
            timestamp: Some(now),
            seq: self.next_seq(),
            metrics: vec![
                bd_seq_metric(self.bd_seq),
                aliased(
                    Metric::named(sp::REBIRTH, datatype::BOOLEAN, MetricValue::Boolean(false)),
                    ALIAS_REBIRTH,
                ),
                aliased(
                    Metric::named(
                        "Properties/Hardware",
                        datatype::STRING,
                        MetricValue::String("Canopy demo edge 1.0".to_owned()),
                    ),
                    ALIAS_HARDWARE,
                ),
            ],
            ..Payload::default()
        };
        let device_birth = Payload {
            timestamp: Some(now),
            seq: self.next_seq(),
            metrics: plc_birth_metrics(rpm, count),
            ..Payload::default()
        };
        vec![
            (
                sp::topic(GROUP, MessageType::NBirth, &self.node, None),
                node_birth.to_bytes(),
                0,
            ),
            (
                sp::topic(GROUP, MessageType::DBirth, &self.node, Some(DEVICE)),
                device_birth.to_bytes(),
                0,
            ),
        ]
    }

    /// The PLC's next DDATA: its changing metrics by alias only.
    pub(super) fn data(&mut self, rpm: f64, count: u64) -> Outgoing {
        self.sent += 1;
        let mut metrics = vec![
            Metric::aliased(ALIAS_RPM, MetricValue::Double(rpm)),
            Metric::aliased(ALIAS_COUNT, MetricValue::Long(count)),
        ];
        if self.sent.is_multiple_of(10) {
            metrics.push(Metric::aliased(
                ALIAS_MOTOR,
                MetricValue::Template(motor(rpm)),
            ));
            metrics.push(Metric::aliased(ALIAS_RUNNING, MetricValue::Boolean(true)));
        }
        let payload = Payload {
            timestamp: Some(unix_millis()),
            seq: self.next_seq(),
            metrics,
            ..Payload::default()
        };
        (
            sp::topic(GROUP, MessageType::DData, &self.node, Some(DEVICE)),
            payload.to_bytes(),
            0,
        )
    }
}

/// The PLC's metrics as its DBIRTH names them: aliases, a unit on the speed, a recipe table
/// and a motor template.
fn plc_birth_metrics(rpm: f64, count: u64) -> Vec<Metric> {
    let mut rpm_metric = aliased(
        Metric::named("Motor/RPM", datatype::DOUBLE, MetricValue::Double(rpm)),
        ALIAS_RPM,
    );
    rpm_metric.properties = Some(PropertySet {
        keys: vec!["engUnit".to_owned(), "engHigh".to_owned()],
        values: vec![
            property(
                PropertyValueKind::String("rpm".to_owned()),
                datatype::STRING,
            ),
            property(PropertyValueKind::Double(1800.0), datatype::DOUBLE),
        ],
    });
    vec![
        rpm_metric,
        aliased(
            Metric::named(
                "Motor/Running",
                datatype::BOOLEAN,
                MetricValue::Boolean(true),
            ),
            ALIAS_RUNNING,
        ),
        aliased(
            Metric::named("Output/Count", datatype::INT64, MetricValue::Long(count)),
            ALIAS_COUNT,
        ),
        aliased(
            Metric::named(
                "Mode",
                datatype::STRING,
                MetricValue::String("AUTO".to_owned()),
            ),
            ALIAS_MODE,
        ),
        aliased(
            Metric::named("Recipe", datatype::DATASET, MetricValue::DataSet(recipe())),
            ALIAS_RECIPE,
        ),
        aliased(
            Metric::named(
                "Motor",
                datatype::TEMPLATE,
                MetricValue::Template(motor(rpm)),
            ),
            ALIAS_MOTOR,
        ),
    ]
}

/// The primary host's `STATE` (Sparkplug 3.0: JSON, retained, QoS 1).
pub(super) fn host_state(online: bool) -> Outgoing {
    (
        format!("{}/STATE/{HOST}", sp::NAMESPACE),
        format!(r#"{{"online":{online},"timestamp":{}}}"#, unix_millis()).into_bytes(),
        1,
    )
}

fn bd_seq_metric(bd_seq: u64) -> Metric {
    Metric::named(sp::BD_SEQ, datatype::INT64, MetricValue::Long(bd_seq))
}

fn aliased(mut metric: Metric, alias: u64) -> Metric {
    metric.alias = Some(alias);
    metric
}

fn property(value: PropertyValueKind, kind: u32) -> PropertyValue {
    PropertyValue {
        r#type: Some(kind),
        is_null: None,
        value: Some(value),
    }
}

/// The line's recipe: a small table.
fn recipe() -> DataSet {
    let row = |step: &str, setpoint: f64, seconds: u32| Row {
        elements: vec![
            DataSetValue {
                value: Some(ScalarValue::String(step.to_owned())),
            },
            DataSetValue {
                value: Some(ScalarValue::Double(setpoint)),
            },
            DataSetValue {
                value: Some(ScalarValue::Int(seconds)),
            },
        ],
    };
    DataSet {
        num_of_columns: Some(3),
        columns: vec![
            "Step".to_owned(),
            "Setpoint".to_owned(),
            "Seconds".to_owned(),
        ],
        types: vec![datatype::STRING, datatype::DOUBLE, 7],
        rows: vec![
            row("Ramp up", 900.0, 30),
            row("Run", 1450.0, 600),
            row("Cool down", 300.0, 120),
        ],
    }
}

/// An instance of the `MotorType` template.
fn motor(rpm: f64) -> Template {
    Template {
        template_ref: Some("MotorType".to_owned()),
        version: Some("1.0".to_owned()),
        metrics: vec![
            Metric::named(
                "Current",
                datatype::FLOAT,
                MetricValue::Float(((rpm / 150.0) * 10.0).round() as f32 / 10.0),
            ),
            Metric::named(
                "Temperature",
                datatype::DOUBLE,
                MetricValue::Double(((40.0 + rpm / 100.0) * 10.0).round() / 10.0),
            ),
        ],
        ..Template::default()
    }
}

fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sparkplug::{Presence, Sessions};

    /// The session model follows the simulated edge node through births, data, a dropout
    /// (its will) and the next connection without reporting a problem.
    #[test]
    fn the_session_model_follows_a_simulated_edge_node() {
        let mut edge = EdgeNode::new("line1-edge");
        let mut sessions = Sessions::default();
        let mut message = 0;
        let mut feed = |sessions: &mut Sessions, (topic, payload, _): Outgoing| {
            message += 1;
            sessions.observe(&topic, &payload, std::time::SystemTime::now(), message);
        };
        let will = edge.next_session();
        for birth in edge.births(1450.0, 0) {
            feed(&mut sessions, birth);
        }
        for count in 1..=25 {
            let data = edge.data(1450.0 + count as f64, count);
            feed(&mut sessions, data);
        }
        let node = sessions.node(GROUP, "line1-edge").expect("seen");
        let plc = &node.devices[DEVICE];
        assert_eq!(
            plc.metrics
                .get("Output/Count")
                .map(|m| m.value_text())
                .as_deref(),
            Some("25")
        );
        assert!(plc.metrics.get("Recipe").is_some() && plc.metrics.get("Motor").is_some());
        feed(&mut sessions, will);
        let node = sessions.node(GROUP, "line1-edge").expect("seen");
        assert_eq!(node.presence, Presence::Offline);
        // The next connection: a new bdSeq in both its will and its birth.
        let _will = edge.next_session();
        for birth in edge.births(1450.0, 26) {
            feed(&mut sessions, birth);
        }
        let node = sessions.node(GROUP, "line1-edge").expect("seen");
        assert_eq!((node.presence, node.bd_seq), (Presence::Online, Some(2)));
        assert!(sessions.events().is_empty(), "{:?}", sessions.events());
        feed(&mut sessions, host_state(true));
        assert_eq!(sessions.hosts()[HOST].online, Some(true));
    }
}
