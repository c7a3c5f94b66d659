//! Sparkplug B understood as a session: per group, edge node and device the metrics of the
//! latest birth, aliases resolved to names, online state from births and deaths, `seq` gaps,
//! `bdSeq` mismatches, rebirth storms and the primary hosts' `STATE`.
//!
//! Pure: fed every message of the namespace in arrival order (with the tree's sequence number,
//! so the events can point at the message that revealed them), asked questions by the view and
//! by the payload decoder (which aliases were in effect when a message arrived).

use crate::mqtt::sparkplug::{self as sp, MessageType, Metric, Payload, SparkplugTopic};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

pub use crate::mqtt::sparkplug::AliasNames;

/// Births of one edge node within this long count towards a rebirth storm.
pub const STORM_WINDOW: Duration = Duration::from_secs(60);
/// This many births within [`STORM_WINDOW`] are a rebirth storm.
pub const STORM_BIRTHS: usize = 3;
/// Problems kept for the view; older ones are dropped (and counted).
pub const MAX_EVENTS: usize = 1_000;
/// Metrics kept per edge node or device; more are dropped (and counted).
pub const MAX_METRICS: usize = 10_000;
/// Edge nodes kept (over all groups); messages of further ones are counted, not followed.
pub const MAX_NODES: usize = 100_000;
/// Devices kept per edge node.
pub const MAX_DEVICES: usize = 10_000;
/// Primary hosts kept.
pub const MAX_HOSTS: usize = 1_000;
/// Births whose aliases are remembered per edge node, for decoding older messages.
const MAX_EPOCHS: usize = 16;

/// What births and deaths say about an edge node or device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Its birth is the latest word.
    Online,
    /// Its death (or its edge node's) is the latest word.
    Offline,
    /// Data arrived but no birth has been seen: names and types are unknown.
    NoBirth,
}

impl Presence {
    /// For the view.
    pub fn label(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Offline => "offline",
            Presence::NoBirth => "no birth seen",
        }
    }
}

/// One metric's latest state.
#[derive(Clone, Debug)]
pub struct MetricState {
    /// From the birth, or `alias N` when no birth named it.
    pub name: String,
    #[expect(missing_docs, reason = "the specification's name")]
    pub alias: Option<u64>,
    /// Sparkplug data type number (from the birth; data messages rarely repeat it).
    pub datatype: u32,
    /// The latest message's metric (value, timestamp, properties, metadata); without a
    /// timestamp of its own it takes its payload's.
    pub latest: Metric,
    /// When that message arrived.
    pub updated_at: SystemTime,
    /// True after a death, until the next birth or value.
    pub stale: bool,
}

impl MetricState {
    /// The value in words.
    pub fn value_text(&self) -> String {
        self.latest.value_text(self.datatype)
    }

    /// Its engineering unit, from the birth's `engUnit` property.
    pub fn unit(&self) -> Option<&str> {
        let properties = self.latest.properties.as_ref()?;
        let index = properties.keys.iter().position(|k| k == "engUnit")?;
        match &properties.values.get(index)?.value {
            Some(crate::mqtt::sparkplug::PropertyValueKind::String(unit)) => Some(unit),
            _ => None,
        }
    }

    /// The value as a number, for sorting and plots.
    pub fn number(&self) -> Option<f64> {
        self.latest.number(self.datatype)
    }
}

/// The metrics of an edge node or of a device, by name.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    by_name: BTreeMap<String, MetricState>,
}

impl Metrics {
    /// Sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &MetricState> {
        self.by_name.values()
    }

    #[expect(missing_docs, reason = "the name says it")]
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    #[expect(missing_docs, reason = "the name says it")]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    #[expect(missing_docs, reason = "the name says it")]
    pub fn get(&self, name: &str) -> Option<&MetricState> {
        self.by_name.get(name)
    }

    fn mark_stale(&mut self) {
        for metric in self.by_name.values_mut() {
            metric.stale = true;
        }
    }

    /// Record `metric`, named `name` (stamped with `sent_ms`, its payload's timestamp, when it
    /// has none of its own); false when the table is full and it was dropped.
    fn update(
        &mut self,
        name: String,
        metric: &Metric,
        sent_ms: Option<u64>,
        at: SystemTime,
    ) -> bool {
        if let Some(state) = self.by_name.get_mut(&name) {
            if let Some(datatype) = metric.datatype {
                state.datatype = datatype;
            }
            state.alias = metric.alias.or(state.alias);
            // Data messages rarely repeat the birth's properties (units, limits): keep them.
            let properties = state.latest.properties.take();
            state.latest = metric.clone();
            state.latest.timestamp = metric.timestamp.or(sent_ms);
            if state.latest.properties.is_none() {
                state.latest.properties = properties;
            }
            state.updated_at = at;
            state.stale = false;
            return true;
        }
        if self.by_name.len() >= MAX_METRICS {
            return false;
        }
        let mut latest = metric.clone();
        latest.timestamp = metric.timestamp.or(sent_ms);
        self.by_name.insert(
            name.clone(),
            MetricState {
                name,
                alias: metric.alias,
                datatype: metric.datatype.unwrap_or(0),
                latest,
                updated_at: at,
                stale: false,
            },
        );
        true
    }
}

/// A device behind an edge node.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Device {
    pub presence: Presence,
    pub last_seen: SystemTime,
    pub births: u64,
    pub messages: u64,
    pub metrics: Metrics,
}

/// An edge node and its devices.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct EdgeNode {
    pub presence: Presence,
    pub last_seen: SystemTime,
    /// `bdSeq` of the latest NBIRTH.
    pub bd_seq: Option<u64>,
    /// `seq` of the latest message that carried one.
    pub last_seq: Option<u64>,
    /// Gaps in `seq` since Canopy started watching.
    pub seq_gaps: u64,
    pub births: u64,
    pub deaths: u64,
    pub messages: u64,
    /// When the latest rebirth storm was seen.
    pub storm_at: Option<SystemTime>,
    /// The latest NCMD or DCMD seen for this node: when, and its metrics' names.
    pub last_command: Option<(SystemTime, String)>,
    pub metrics: Metrics,
    pub devices: BTreeMap<String, Device>,
    recent_births: VecDeque<SystemTime>,
    /// (message sequence number of the NBIRTH, aliases of that birth and its DBIRTHs).
    epochs: VecDeque<(u64, AliasNames)>,
    reported_no_birth: bool,
}

impl EdgeNode {
    fn new(at: SystemTime) -> Self {
        Self {
            presence: Presence::NoBirth,
            last_seen: at,
            bd_seq: None,
            last_seq: None,
            seq_gaps: 0,
            births: 0,
            deaths: 0,
            messages: 0,
            storm_at: None,
            last_command: None,
            metrics: Metrics::default(),
            devices: BTreeMap::new(),
            recent_births: VecDeque::new(),
            epochs: VecDeque::new(),
            reported_no_birth: false,
        }
    }

    /// True when births came faster than [`STORM_BIRTHS`] in [`STORM_WINDOW`] within the last
    /// window before `now`.
    pub fn in_storm(&self, now: SystemTime) -> bool {
        self.storm_at
            .and_then(|at| now.duration_since(at).ok())
            .is_some_and(|age| age < STORM_WINDOW)
    }
}

/// A primary host application's `STATE`.
#[derive(Clone, Debug, PartialEq)]
pub struct HostState {
    /// `None` when the payload said neither.
    pub online: Option<bool>,
    /// The host's own timestamp (3.0 JSON only).
    pub timestamp: Option<u64>,
    /// True for `STATE/<host>` (before Sparkplug 3.0).
    pub legacy: bool,
    /// When it arrived.
    pub received_at: SystemTime,
    /// What was wrong with the payload, if anything.
    pub problem: Option<String>,
}

/// What a message revealed.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// `seq` did not follow the previous message's.
    SeqGap {
        #[expect(missing_docs, reason = "the names say it")]
        expected: u64,
        #[expect(missing_docs, reason = "the names say it")]
        got: u64,
    },
    /// A message that must carry `seq` did not, or carried one above 255.
    BadSeq(Option<u64>),
    /// An NDEATH whose `bdSeq` is not the current NBIRTH's: a previous session's will.
    BdSeqMismatch {
        #[expect(missing_docs, reason = "the names say it")]
        birth: Option<u64>,
        #[expect(missing_docs, reason = "the names say it")]
        death: Option<u64>,
    },
    /// Births of one edge node in quick succession.
    RebirthStorm(usize),
    /// Data from a node or device whose birth Canopy has not seen.
    DataBeforeBirth,
    /// The payload is not Sparkplug B.
    Undecodable(String),
}

impl EventKind {
    /// In words, for the view.
    pub fn describe(&self) -> String {
        match self {
            EventKind::SeqGap { expected, got } => {
                format!("seq gap: expected {expected}, got {got} (messages lost or reordered)")
            }
            EventKind::BadSeq(None) => "no seq in a message that must carry one".to_owned(),
            EventKind::BadSeq(Some(seq)) => format!("seq {seq} is outside 0–255"),
            EventKind::BdSeqMismatch { birth, death } => format!(
                "NDEATH bdSeq {} does not match NBIRTH bdSeq {}: a previous session's death, ignored",
                or_none(*death),
                or_none(*birth)
            ),
            EventKind::RebirthStorm(births) => format!(
                "rebirth storm: {births} births within {} s",
                STORM_WINDOW.as_secs()
            ),
            EventKind::DataBeforeBirth => "no birth seen — request a rebirth".to_owned(),
            EventKind::Undecodable(why) => why.clone(),
        }
    }
}

fn or_none(value: Option<u64>) -> String {
    value.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
}

/// A problem, with the message that revealed it.
#[derive(Clone, Debug, PartialEq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Event {
    pub at: SystemTime,
    pub topic: String,
    /// The message's sequence number in the topic tree.
    pub message_seq: u64,
    pub group: String,
    pub node: String,
    pub kind: EventKind,
}

/// Every Sparkplug session seen on one connection.
#[derive(Debug, Default)]
pub struct Sessions {
    groups: BTreeMap<String, BTreeMap<String, EdgeNode>>,
    hosts: BTreeMap<String, HostState>,
    events: VecDeque<Event>,
    /// Events dropped because [`MAX_EVENTS`] were kept.
    pub events_dropped: u64,
    /// Metrics dropped because a node or device had [`MAX_METRICS`].
    pub metrics_dropped: u64,
    /// Messages of the namespace seen.
    pub messages: u64,
    /// Messages not followed because [`MAX_NODES`], [`MAX_DEVICES`] or [`MAX_HOSTS`] were
    /// reached.
    pub untracked: u64,
    nodes: usize,
}

impl Sessions {
    /// True when no Sparkplug message has been seen.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.hosts.is_empty()
    }

    /// Groups by id, each with its edge nodes by id (both sorted).
    pub fn groups(&self) -> &BTreeMap<String, BTreeMap<String, EdgeNode>> {
        &self.groups
    }

    /// One edge node.
    pub fn node(&self, group: &str, node: &str) -> Option<&EdgeNode> {
        self.groups.get(group)?.get(node)
    }

    /// Primary hosts by id.
    pub fn hosts(&self) -> &BTreeMap<String, HostState> {
        &self.hosts
    }

    /// Problems, oldest first.
    pub fn events(&self) -> &VecDeque<Event> {
        &self.events
    }

    /// The aliases in effect for message `message_seq` on `topic` (a node's or device's data,
    /// birth or command), for decoding it: those of the latest NBIRTH before it and its DBIRTHs.
    pub fn aliases_at(&self, topic: &str, message_seq: u64) -> Option<&AliasNames> {
        let Some(SparkplugTopic::Edge { group, node, .. }) = sp::parse_topic(topic) else {
            return None;
        };
        let epochs = &self.node(group, node)?.epochs;
        let index = epochs.partition_point(|(first, _)| *first <= message_seq);
        epochs.get(index.checked_sub(1)?).map(|(_, names)| names)
    }

    /// Take a message; false if its topic is not Sparkplug's.
    pub fn observe(
        &mut self,
        topic: &str,
        payload: &[u8],
        at: SystemTime,
        message_seq: u64,
    ) -> bool {
        match sp::parse_topic(topic) {
            Some(SparkplugTopic::State { host, legacy }) => {
                self.messages += 1;
                self.observe_state(host, legacy, payload, at);
                true
            }
            Some(SparkplugTopic::Edge {
                group,
                kind,
                node,
                device,
            }) => {
                self.messages += 1;
                if !self.room_for(group, node) {
                    self.untracked += 1;
                    return true;
                }
                let place = Place {
                    topic,
                    group,
                    node,
                    device,
                    at,
                    message_seq,
                };
                match Payload::decode(payload) {
                    Ok(decoded) => self.observe_edge(&place, kind, &decoded),
                    Err(e) => {
                        self.node_mut(group, node, at).last_seen = at;
                        self.push_event(
                            &place,
                            EventKind::Undecodable(format!("not Sparkplug B: {e}")),
                        );
                    }
                }
                true
            }
            None => false,
        }
    }

    fn observe_state(&mut self, host: &str, legacy: bool, payload: &[u8], at: SystemTime) {
        let mut state = HostState {
            online: None,
            timestamp: None,
            legacy,
            received_at: at,
            problem: None,
        };
        let text = String::from_utf8_lossy(payload);
        let text = text.trim();
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(object)) => {
                state.online = object.get("online").and_then(serde_json::Value::as_bool);
                state.timestamp = object.get("timestamp").and_then(serde_json::Value::as_u64);
                if state.online.is_none() {
                    state.problem = Some("no boolean \"online\" in the JSON".to_owned());
                }
            }
            _ if text.eq_ignore_ascii_case("ONLINE") => state.online = Some(true),
            _ if text.eq_ignore_ascii_case("OFFLINE") => state.online = Some(false),
            _ => {
                state.problem = Some(format!(
                    "neither JSON {{\"online\": …}} nor ONLINE/OFFLINE: {:?}",
                    text.chars().take(40).collect::<String>()
                ));
            }
        }
        if !self.hosts.contains_key(host) && self.hosts.len() >= MAX_HOSTS {
            self.untracked += 1;
            return;
        }
        self.hosts.insert(host.to_owned(), state);
    }

    /// Whether `group`/`node` is followed or there is room to follow it.
    fn room_for(&self, group: &str, node: &str) -> bool {
        self.nodes < MAX_NODES || self.node(group, node).is_some()
    }

    fn node_mut(&mut self, group: &str, node: &str, at: SystemTime) -> &mut EdgeNode {
        let nodes = self.groups.entry(group.to_owned()).or_default();
        if !nodes.contains_key(node) {
            self.nodes += 1;
        }
        nodes
            .entry(node.to_owned())
            .or_insert_with(|| EdgeNode::new(at))
    }

    fn push_event(&mut self, place: &Place<'_>, kind: EventKind) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
            self.events_dropped += 1;
        }
        self.events.push_back(Event {
            at: place.at,
            topic: place.topic.to_owned(),
            message_seq: place.message_seq,
            group: place.group.to_owned(),
            node: place.node.to_owned(),
            kind,
        });
    }

    /// Long: one arm per message type, each a few lines; split they would pass the same five
    /// borrows around.
    fn observe_edge(&mut self, place: &Place<'_>, kind: MessageType, payload: &Payload) {
        let at = place.at;
        let mut events = Vec::new();
        let mut dropped = 0;
        let node = self.node_mut(place.group, place.node, at);
        node.last_seen = at;
        node.messages += 1;
        if kind.carries_seq() {
            check_seq(node, kind, payload.seq, &mut events);
        }
        match kind {
            MessageType::NBirth => {
                node.presence = Presence::Online;
                node.births += 1;
                node.bd_seq = payload.bd_seq();
                node.reported_no_birth = false;
                node.metrics = Metrics::default();
                let mut names = AliasNames::default();
                for metric in &payload.metrics {
                    names.learn(metric);
                }
                if node.epochs.len() >= MAX_EPOCHS {
                    node.epochs.pop_front();
                }
                node.epochs.push_back((place.message_seq, names));
                for device in node.devices.values_mut() {
                    device.presence = Presence::Offline;
                    device.metrics.mark_stale();
                }
                node.recent_births.push_back(at);
                while node.recent_births.front().is_some_and(|first| {
                    at.duration_since(*first).unwrap_or_default() > STORM_WINDOW
                }) {
                    node.recent_births.pop_front();
                }
                if node.recent_births.len() >= STORM_BIRTHS {
                    if !node.in_storm(at) {
                        events.push(EventKind::RebirthStorm(node.recent_births.len()));
                    }
                    node.storm_at = Some(at);
                }
                dropped += update_all(&mut node.metrics, None, payload, at);
            }
            MessageType::NDeath => {
                let death = payload.bd_seq();
                if node.bd_seq.is_some() && death != node.bd_seq {
                    events.push(EventKind::BdSeqMismatch {
                        birth: node.bd_seq,
                        death,
                    });
                } else {
                    node.presence = Presence::Offline;
                    node.deaths += 1;
                    node.metrics.mark_stale();
                    for device in node.devices.values_mut() {
                        device.presence = Presence::Offline;
                        device.metrics.mark_stale();
                    }
                }
            }
            MessageType::NData => {
                if node.presence == Presence::NoBirth && !node.reported_no_birth {
                    node.reported_no_birth = true;
                    events.push(EventKind::DataBeforeBirth);
                }
                let names = node.epochs.back().map(|(_, names)| names);
                dropped += update_all(&mut node.metrics, names, payload, at);
            }
            MessageType::NCmd | MessageType::DCmd => {
                let names = node.epochs.back().map(|(_, names)| names);
                let words: Vec<String> = payload
                    .metrics
                    .iter()
                    .map(|m| sp::metric_name(m, names))
                    .collect();
                node.last_command = Some((at, words.join(", ")));
            }
            MessageType::DBirth | MessageType::DDeath | MessageType::DData => {
                let Some(device_id) = place.device else {
                    return;
                };
                if kind == MessageType::DBirth
                    && let Some((_, names)) = node.epochs.back_mut()
                {
                    for metric in payload
                        .metrics
                        .iter()
                        .take(MAX_METRICS.saturating_sub(names.len()))
                    {
                        names.learn(metric);
                    }
                }
                if !node.devices.contains_key(device_id) && node.devices.len() >= MAX_DEVICES {
                    self.untracked += 1;
                    return;
                }
                let names = node.epochs.back().map(|(_, names)| names);
                let device = node
                    .devices
                    .entry(device_id.to_owned())
                    .or_insert_with(|| Device {
                        presence: Presence::NoBirth,
                        last_seen: at,
                        births: 0,
                        messages: 0,
                        metrics: Metrics::default(),
                    });
                device.last_seen = at;
                device.messages += 1;
                match kind {
                    MessageType::DBirth => {
                        device.presence = Presence::Online;
                        device.births += 1;
                        device.metrics = Metrics::default();
                        dropped += update_all(&mut device.metrics, None, payload, at);
                    }
                    MessageType::DDeath => {
                        device.presence = Presence::Offline;
                        device.metrics.mark_stale();
                    }
                    _ => {
                        if device.presence == Presence::NoBirth && device.metrics.is_empty() {
                            events.push(EventKind::DataBeforeBirth);
                        }
                        dropped += update_all(&mut device.metrics, names, payload, at);
                    }
                }
            }
        }
        self.metrics_dropped += dropped;
        for event in events {
            self.push_event(place, event);
        }
    }
}

/// Topics the fuzz target and its corpus test choose from.
const FUZZ_TOPICS: [&str; 12] = [
    "spBv1.0/g/NBIRTH/n",
    "spBv1.0/g/NDEATH/n",
    "spBv1.0/g/NDATA/n",
    "spBv1.0/g/NCMD/n",
    "spBv1.0/g/DBIRTH/n/d",
    "spBv1.0/g/DDEATH/n/d",
    "spBv1.0/g/DDATA/n/d",
    "spBv1.0/g/DCMD/n/d",
    "spBv1.0/g/NBIRTH/m",
    "spBv1.0/g/NDATA/m",
    "spBv1.0/STATE/host",
    "STATE/old",
];

/// Feed fuzzer bytes to fresh sessions as a sequence of messages (a topic byte, a length byte,
/// that many payload bytes), a quarter second apart; the `sparkplug` fuzz target and the test
/// that replays its corpus share it.
#[doc(hidden)]
pub fn feed_fuzz_input(data: &[u8]) -> Sessions {
    let mut sessions = Sessions::default();
    let mut rest = data;
    let mut message = 0;
    while let [topic, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(len);
        let topic = FUZZ_TOPICS[usize::from(*topic) % FUZZ_TOPICS.len()];
        let at = std::time::UNIX_EPOCH + Duration::from_millis(message * 250);
        sessions.observe(topic, payload, at, message);
        let _ = sessions.aliases_at(topic, message / 2);
        message += 1;
        rest = next;
    }
    sessions
}

/// Where a message came from.
struct Place<'a> {
    topic: &'a str,
    group: &'a str,
    node: &'a str,
    device: Option<&'a str>,
    at: SystemTime,
    message_seq: u64,
}

fn check_seq(
    node: &mut EdgeNode,
    kind: MessageType,
    seq: Option<u64>,
    events: &mut Vec<EventKind>,
) {
    match seq {
        Some(seq) if seq <= 255 => {
            if kind != MessageType::NBirth
                && let Some(last) = node.last_seq
            {
                let expected = (last + 1) % 256;
                if seq != expected {
                    node.seq_gaps += 1;
                    events.push(EventKind::SeqGap { expected, got: seq });
                }
            }
            node.last_seq = Some(seq);
        }
        other => events.push(EventKind::BadSeq(other)),
    }
}

/// Record every metric of a payload; `names` resolves aliases (none for births, which name
/// their metrics). Returns how many were dropped for want of room.
fn update_all(
    metrics: &mut Metrics,
    names: Option<&AliasNames>,
    payload: &Payload,
    at: SystemTime,
) -> u64 {
    let mut dropped = 0;
    for metric in &payload.metrics {
        let name = sp::metric_name(metric, names);
        if !metrics.update(name, metric, payload.timestamp, at) {
            dropped += 1;
        }
    }
    dropped
}

#[cfg(test)]
#[path = "sparkplug_tests.rs"]
mod tests;
