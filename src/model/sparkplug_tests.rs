//! Sessions fed traffic encoded with the specification's schema (the prost types of
//! `mqtt::sparkplug`), as an edge node and its device would publish it.

use super::*;
use crate::mqtt::sparkplug::{MetricValue, datatype};
use std::time::UNIX_EPOCH;

/// An edge node of group `plant` publishing in order, numbering messages as the tree would.
struct Edge {
    sessions: Sessions,
    next_message: u64,
    seq: u64,
    clock_secs: u64,
}

impl Edge {
    fn new() -> Self {
        Self {
            sessions: Sessions::default(),
            next_message: 0,
            seq: 0,
            clock_secs: 1_000,
        }
    }

    fn send(
        &mut self,
        kind: MessageType,
        device: Option<&str>,
        seq: Option<u64>,
        metrics: Vec<Metric>,
    ) -> u64 {
        let payload = Payload {
            timestamp: Some(self.clock_secs * 1000),
            metrics,
            seq,
            ..Payload::default()
        };
        self.send_bytes(
            &sp::topic("plant", kind, "edge1", device),
            &payload.to_bytes(),
        )
    }

    fn send_bytes(&mut self, topic: &str, bytes: &[u8]) -> u64 {
        let message = self.next_message;
        self.next_message += 1;
        self.clock_secs += 1;
        let at = UNIX_EPOCH + Duration::from_secs(self.clock_secs);
        assert!(self.sessions.observe(topic, bytes, at, message));
        message
    }

    /// The next `seq` of this edge node.
    fn next_seq(&mut self) -> Option<u64> {
        let seq = self.seq;
        self.seq = (self.seq + 1) % 256;
        Some(seq)
    }

    fn nbirth(&mut self, bd_seq: u64) -> u64 {
        self.seq = 0;
        let seq = self.next_seq();
        self.send(
            MessageType::NBirth,
            None,
            seq,
            vec![
                Metric::named(BD, datatype::INT64, MetricValue::Long(bd_seq)),
                with_alias(
                    Metric::named("Uptime", datatype::INT64, MetricValue::Long(1)),
                    1,
                ),
                with_alias(
                    Metric::named("Line/Speed", datatype::DOUBLE, MetricValue::Double(1.5)),
                    2,
                ),
            ],
        )
    }

    fn dbirth(&mut self) -> u64 {
        let seq = self.next_seq();
        self.send(
            MessageType::DBirth,
            Some("plc1"),
            seq,
            vec![with_alias(
                Metric::named("Temp", datatype::INT32, MetricValue::Int(20)),
                10,
            )],
        )
    }

    fn ndata(&mut self, speed: f64) -> u64 {
        let seq = self.next_seq();
        self.send(
            MessageType::NData,
            None,
            seq,
            vec![Metric::aliased(2, MetricValue::Double(speed))],
        )
    }

    fn node(&self) -> &EdgeNode {
        self.sessions
            .node("plant", "edge1")
            .expect("the edge node is known")
    }

    fn event_kinds(&self) -> Vec<EventKind> {
        self.sessions
            .events()
            .iter()
            .map(|e| e.kind.clone())
            .collect()
    }
}

const BD: &str = sp::BD_SEQ;

fn with_alias(mut metric: Metric, alias: u64) -> Metric {
    metric.alias = Some(alias);
    metric
}

#[test]
fn births_name_the_aliases_of_later_data() {
    let mut edge = Edge::new();
    edge.nbirth(0);
    edge.dbirth();
    edge.ndata(2.5);
    let seq = edge.next_seq();
    edge.send(
        MessageType::DData,
        Some("plc1"),
        seq,
        vec![Metric::aliased(10, MetricValue::Int(-3_i32 as u32))],
    );
    let node = edge.node();
    assert_eq!(node.presence, Presence::Online);
    assert_eq!(node.bd_seq, Some(0));
    let speed = node.metrics.get("Line/Speed").expect("resolved by alias");
    assert_eq!(
        (speed.number(), speed.datatype, speed.stale),
        (Some(2.5), 10, false)
    );
    let temp = node.devices["plc1"]
        .metrics
        .get("Temp")
        .expect("device metric");
    assert_eq!(temp.value_text(), "-3", "Int32 from the birth's datatype");
    assert_eq!(node.devices["plc1"].presence, Presence::Online);
    assert_eq!(node.seq_gaps, 0);
    assert!(
        edge.sessions.events().is_empty(),
        "{:?}",
        edge.event_kinds()
    );
}

#[test]
fn a_death_marks_every_metric_of_the_node_and_its_devices_stale() {
    let mut edge = Edge::new();
    edge.nbirth(4);
    edge.dbirth();
    edge.ndata(3.0);
    edge.send(
        MessageType::NDeath,
        None,
        None,
        vec![Metric::named(BD, datatype::INT64, MetricValue::Long(4))],
    );
    let node = edge.node();
    assert_eq!(node.presence, Presence::Offline);
    assert_eq!(node.deaths, 1);
    assert!(node.metrics.iter().all(|m| m.stale));
    assert_eq!(node.devices["plc1"].presence, Presence::Offline);
    assert!(node.devices["plc1"].metrics.iter().all(|m| m.stale));
    // The value before the death is still shown, flagged.
    assert_eq!(
        node.metrics.get("Line/Speed").and_then(MetricState::number),
        Some(3.0)
    );
}

#[test]
fn a_device_death_leaves_the_node_online() {
    let mut edge = Edge::new();
    edge.nbirth(0);
    edge.dbirth();
    let seq = edge.next_seq();
    edge.send(MessageType::DDeath, Some("plc1"), seq, vec![]);
    let node = edge.node();
    assert_eq!(node.presence, Presence::Online);
    assert_eq!(node.devices["plc1"].presence, Presence::Offline);
    assert!(node.devices["plc1"].metrics.iter().all(|m| m.stale));
    assert!(node.metrics.iter().all(|m| !m.stale));
}

#[test]
fn a_rebirth_changes_the_aliases_and_old_messages_keep_theirs() {
    let mut edge = Edge::new();
    edge.nbirth(0);
    let old_data = edge.ndata(1.0);
    // Rebirth: alias 2 now means another metric.
    edge.seq = 0;
    let seq = edge.next_seq();
    let rebirth = edge.send(
        MessageType::NBirth,
        None,
        seq,
        vec![
            Metric::named(BD, datatype::INT64, MetricValue::Long(0)),
            with_alias(
                Metric::named("Pressure", datatype::DOUBLE, MetricValue::Double(0.0)),
                2,
            ),
            with_alias(
                Metric::named("Line/Speed", datatype::DOUBLE, MetricValue::Double(0.0)),
                7,
            ),
        ],
    );
    let seq = edge.next_seq();
    let new_data = edge.send(
        MessageType::NData,
        None,
        seq,
        vec![Metric::aliased(7, MetricValue::Double(9.0))],
    );
    let topic = "spBv1.0/plant/NDATA/edge1";
    let name = |message, alias| {
        edge.sessions
            .aliases_at(topic, message)
            .and_then(|names| names.get(&alias))
            .cloned()
    };
    assert_eq!(name(old_data, 2).as_deref(), Some("Line/Speed"));
    assert_eq!(name(new_data, 2).as_deref(), Some("Pressure"));
    assert_eq!(name(new_data, 7).as_deref(), Some("Line/Speed"));
    assert_eq!(name(rebirth, 7).as_deref(), Some("Line/Speed"));
    // The first birth named bdSeq, Uptime and Line/Speed.
    assert_eq!(edge.sessions.aliases_at(topic, 0).map(|n| n.len()), Some(3));
    let node = edge.node();
    assert_eq!(node.births, 2);
    assert_eq!(
        node.metrics.get("Line/Speed").and_then(MetricState::number),
        Some(9.0)
    );
    assert!(
        node.metrics.get("Uptime").is_none(),
        "a birth replaces the metric list"
    );
}

#[test]
fn a_seq_gap_is_reported_with_the_message_that_revealed_it() {
    let mut edge = Edge::new();
    edge.nbirth(0);
    edge.ndata(1.0);
    edge.next_seq(); // one message lost
    let revealing = edge.ndata(2.0);
    assert_eq!(edge.node().seq_gaps, 1);
    let events = edge.sessions.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].kind,
        EventKind::SeqGap {
            expected: 2,
            got: 3
        }
    );
    assert_eq!(events[0].message_seq, revealing);
    assert_eq!(events[0].topic, "spBv1.0/plant/NDATA/edge1");
    assert!(events[0].kind.describe().contains("expected 2, got 3"));
}

#[test]
fn seq_wraps_after_255_without_a_gap() {
    let mut edge = Edge::new();
    edge.nbirth(0);
    for _ in 0..300 {
        edge.ndata(1.0);
    }
    assert_eq!(edge.node().seq_gaps, 0);
    assert_eq!(edge.node().last_seq, Some(300 % 256));
    let seq = Some(256);
    edge.send(MessageType::NData, None, seq, vec![]);
    assert_eq!(edge.event_kinds(), [EventKind::BadSeq(Some(256))]);
}

#[test]
fn a_death_from_an_earlier_session_is_reported_and_ignored() {
    let mut edge = Edge::new();
    edge.nbirth(5);
    edge.send(
        MessageType::NDeath,
        None,
        None,
        vec![Metric::named(BD, datatype::INT64, MetricValue::Long(4))],
    );
    assert_eq!(edge.node().presence, Presence::Online);
    assert_eq!(
        edge.event_kinds(),
        [EventKind::BdSeqMismatch {
            birth: Some(5),
            death: Some(4)
        }]
    );
    assert!(
        edge.sessions.events()[0]
            .kind
            .describe()
            .contains("does not match")
    );
}

#[test]
fn a_node_that_never_sent_a_birth_keeps_its_aliases_and_asks_for_a_rebirth() {
    let mut edge = Edge::new();
    edge.seq = 17;
    edge.ndata(4.0);
    edge.ndata(5.0);
    let node = edge.node();
    assert_eq!(node.presence, Presence::NoBirth);
    let metric = node.metrics.get("alias 2").expect("shown by alias");
    assert_eq!(metric.number(), Some(5.0));
    assert_eq!(
        edge.event_kinds(),
        [EventKind::DataBeforeBirth],
        "reported once"
    );
    assert_eq!(
        edge.sessions.events()[0].kind.describe(),
        "no birth seen — request a rebirth"
    );
    assert!(
        edge.sessions
            .aliases_at("spBv1.0/plant/NDATA/edge1", 1)
            .is_none()
    );
}

#[test]
fn births_in_quick_succession_are_a_storm() {
    let mut edge = Edge::new();
    for _ in 0..STORM_BIRTHS + 2 {
        edge.nbirth(0);
    }
    let at = UNIX_EPOCH + Duration::from_secs(edge.clock_secs);
    assert!(edge.node().in_storm(at));
    assert!(!edge.node().in_storm(at + STORM_WINDOW * 2));
    assert_eq!(
        edge.event_kinds(),
        [EventKind::RebirthStorm(STORM_BIRTHS)],
        "one report per storm"
    );
}

#[test]
fn host_state_in_both_spellings() {
    let mut edge = Edge::new();
    edge.send_bytes(
        "spBv1.0/STATE/scada",
        br#"{"online":true,"timestamp":1700000000000}"#,
    );
    edge.send_bytes("STATE/old-host", b"OFFLINE");
    edge.send_bytes("spBv1.0/STATE/broken", b"maybe");
    let hosts = edge.sessions.hosts();
    assert_eq!(hosts["scada"].online, Some(true));
    assert_eq!(hosts["scada"].timestamp, Some(1_700_000_000_000));
    assert!(!hosts["scada"].legacy);
    assert_eq!(
        (hosts["old-host"].online, hosts["old-host"].legacy),
        (Some(false), true)
    );
    assert_eq!(hosts["broken"].online, None);
    assert!(
        hosts["broken"]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("ONLINE/OFFLINE"))
    );
}

#[test]
fn garbage_in_the_namespace_is_reported_not_fatal() {
    let mut edge = Edge::new();
    edge.send_bytes("spBv1.0/plant/NDATA/edge1", &[0xFF; 9]);
    assert!(matches!(
        edge.event_kinds().as_slice(),
        [EventKind::Undecodable(why)] if why.starts_with("not Sparkplug B")
    ));
    assert!(!edge.sessions.observe("home/x", b"", UNIX_EPOCH, 0));
    assert!(
        !edge
            .sessions
            .observe("spBv1.0/plant/NOPE/e", b"", UNIX_EPOCH, 0)
    );
}

#[test]
fn commands_to_a_node_are_recorded_by_name() {
    let mut edge = Edge::new();
    edge.nbirth(0);
    edge.send_bytes(
        "spBv1.0/plant/NCMD/edge1",
        &Payload::rebirth_command(1).to_bytes(),
    );
    let (_, words) = edge.node().last_command.clone().expect("seen");
    assert_eq!(words, sp::REBIRTH);
    assert_eq!(edge.node().seq_gaps, 0, "commands carry no seq");
}

#[test]
fn the_model_routes_the_namespace_to_the_sessions() {
    let mut model = crate::model::Model::default();
    let birth = Payload {
        seq: Some(0),
        metrics: vec![with_alias(
            Metric::named("Speed", datatype::DOUBLE, MetricValue::Double(1.0)),
            3,
        )],
        ..Payload::default()
    };
    let data = Payload {
        seq: Some(1),
        metrics: vec![Metric::aliased(3, MetricValue::Double(2.0))],
        ..Payload::default()
    };
    model.apply(
        vec![
            crate::model::Incoming::new("other/topic", "x"),
            crate::model::Incoming::new("spBv1.0/g/NBIRTH/n", birth.to_bytes()),
            crate::model::Incoming::new("spBv1.0/g/NDATA/n", data.to_bytes()),
        ],
        std::time::Instant::now(),
    );
    let node = model.sparkplug.node("g", "n").expect("seen");
    assert_eq!(
        node.metrics.get("Speed").and_then(MetricState::number),
        Some(2.0)
    );
    // The birth is the tree's message 1: data from message 2 on uses its aliases.
    assert!(model.sparkplug.aliases_at("spBv1.0/g/NDATA/n", 0).is_none());
    assert!(model.sparkplug.aliases_at("spBv1.0/g/NDATA/n", 2).is_some());
    let data_node = model.tree.find("spBv1.0/g/NDATA/n").expect("in the tree");
    let seq = model
        .tree
        .node(data_node)
        .and_then(|n| n.last_message())
        .map(|m| m.seq);
    assert_eq!(seq, Some(2));
}

#[test]
fn devices_past_the_limit_are_counted_not_kept() {
    let mut sessions = Sessions::default();
    let payload = Payload {
        seq: Some(0),
        ..Payload::default()
    }
    .to_bytes();
    for device in 0..=MAX_DEVICES {
        let topic = format!("spBv1.0/g/DDATA/n/d{device}");
        sessions.observe(&topic, &payload, UNIX_EPOCH, device as u64);
    }
    let node = sessions.node("g", "n").expect("seen");
    assert_eq!(node.devices.len(), MAX_DEVICES);
    assert_eq!(sessions.untracked, 1);
    assert!(sessions.events().len() <= MAX_EVENTS);
}

#[test]
fn the_fuzz_corpus_replays_within_bounds() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/sparkplug");
    let mut files = 0;
    for path in std::fs::read_dir(folder)
        .expect("the corpus")
        .flatten()
        .map(|e| e.path())
    {
        let sessions = feed_fuzz_input(&std::fs::read(&path).expect("read"));
        assert!(sessions.events().len() <= MAX_EVENTS, "{}", path.display());
        files += 1;
    }
    assert!(files > 100, "{files} files");
}
