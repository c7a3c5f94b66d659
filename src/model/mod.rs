//! The pure data model: topic tree, per-topic history, numeric series, rates, `$SYS`, traffic
//! statistics and the protocol sessions riding on MQTT (Sparkplug B, Home Assistant, zigbee2mqtt).
//!
//! Nothing here knows about egui, tokio or rumqttc: the network layer hands us [`Incoming`]
//! batches and the UI reads the tree by reference.

pub mod ha_discovery;
mod incoming;
mod interner;
mod natural_order;
mod payload_search;
pub mod protobuf_bindings;
mod rate;
mod series;
pub mod sparkplug;
mod sys_dashboard;
mod topic_tree;
mod traffic;
pub mod zigbee2mqtt;

pub use incoming::{Incoming, Message, MessageProperties};
pub use interner::{Interner, SegmentId};
pub use natural_order::natural_cmp;
pub use payload_search::{MAX_HITS, PayloadHit, PayloadSearch};
pub use rate::RateMeter;
pub use series::{DEFAULT_SERIES_CAPACITY, Series, decimate};
pub use sys_dashboard::{Counter, LOAD_COUNTERS, LOAD_WINDOWS, SysDashboard, SysKey};
pub use topic_tree::{
    DEFAULT_HISTORY_BUDGET_BYTES, DEFAULT_HISTORY_LIMIT, LOG_ENTRIES, Node, NodeId, TopicTree,
    message_cost_bytes,
};
pub use traffic::{MAX_WINDOW, RankBy, Talker, TrafficStats};

use std::time::Instant;

/// Everything Canopy knows about one connection's traffic.
#[derive(Debug)]
pub struct Model {
    /// The topic hierarchy with per-topic history.
    pub tree: TopicTree,
    /// Messages per second over the last second, for the status bar.
    pub message_rate: RateMeter,
    /// What the broker says about itself on `$SYS`.
    pub sys: SysDashboard,
    /// Traffic per topic and subtree over the last minute, for top talkers.
    pub traffic: TrafficStats,
    /// Home Assistant discovery configs seen, as entities and devices.
    pub home: ha_discovery::Discovery,
    /// The zigbee2mqtt bridge and its devices.
    pub zigbee: zigbee2mqtt::Zigbee2Mqtt,
    /// Sparkplug B edge nodes, devices and primary hosts.
    pub sparkplug: sparkplug::Sessions,
    /// Protobuf message types bound to topic filters (set by the app from the profile).
    pub protobuf: protobuf_bindings::ProtobufBindings,
}

impl Default for Model {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY_LIMIT)
    }
}

impl Model {
    /// An empty model keeping at most `history_limit` messages per topic.
    pub fn new(history_limit: usize) -> Self {
        Self {
            tree: TopicTree::new(history_limit),
            message_rate: RateMeter::per_second(),
            sys: SysDashboard::default(),
            traffic: TrafficStats::default(),
            home: ha_discovery::Discovery::new(ha_discovery::DEFAULT_PREFIX),
            zigbee: zigbee2mqtt::Zigbee2Mqtt::new(zigbee2mqtt::DEFAULT_BASE),
            sparkplug: sparkplug::Sessions::default(),
            protobuf: protobuf_bindings::ProtobufBindings::default(),
        }
    }

    /// Apply one batch from the network, in arrival order.
    pub fn apply(&mut self, batch: Vec<Incoming>, now: Instant) {
        self.apply_with(batch, now, |_, _, _| {});
    }

    /// Apply one batch; `before_insert` sees it after the protocol sessions (Sparkplug…) took
    /// it and before the tree does, with the sequence number the tree will give its first
    /// message: so a plot can decode a data message with the aliases of a birth in the same batch.
    pub fn apply_with(
        &mut self,
        batch: Vec<Incoming>,
        now: Instant,
        before_insert: impl FnOnce(&Self, &[Incoming], u64),
    ) {
        self.message_rate.record(now, batch.len() as u64);
        // The tree numbers messages in arrival order; the Sparkplug sessions point at them.
        let first_seq = self.tree.total_messages();
        for (index, incoming) in batch.iter().enumerate() {
            if incoming.topic.starts_with("$SYS/") {
                self.sys
                    .ingest(&incoming.topic, &incoming.payload, incoming.received_at);
            } else if incoming.topic.starts_with(zigbee2mqtt::DEFAULT_BASE) {
                self.zigbee
                    .observe(&incoming.topic, &incoming.payload, incoming.received_at);
            } else if incoming.topic.starts_with("spBv1.0/") || incoming.topic.starts_with("STATE/")
            {
                self.sparkplug.observe(
                    &incoming.topic,
                    &incoming.payload,
                    incoming.received_at,
                    first_seq + index as u64,
                );
            } else if self.home.is_config_topic(&incoming.topic) {
                self.home.observe(
                    &incoming.topic,
                    &incoming.payload,
                    incoming.retain,
                    incoming.received_at,
                );
            }
        }
        before_insert(self, &batch, first_seq);
        let traffic = &mut self.traffic;
        self.tree.apply_observed(batch, |node, bytes| {
            traffic.record(node, bytes as u64, now);
        });
    }
}
