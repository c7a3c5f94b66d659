//! The pure data model: topic tree, per-topic history, numeric series, rates, `$SYS` and
//! traffic statistics.
//!
//! Nothing here knows about egui, tokio or rumqttc: the network layer hands us [`Incoming`]
//! batches and the UI reads the tree by reference.

pub mod ha_discovery;
mod incoming;
mod interner;
mod natural_order;
mod payload_search;
mod rate;
mod series;
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
        }
    }

    /// Apply one batch from the network, in arrival order.
    pub fn apply(&mut self, batch: Vec<Incoming>, now: Instant) {
        self.message_rate.record(now, batch.len() as u64);
        for incoming in &batch {
            if incoming.topic.starts_with("$SYS/") {
                self.sys
                    .ingest(&incoming.topic, &incoming.payload, incoming.received_at);
            } else if incoming.topic.starts_with(zigbee2mqtt::DEFAULT_BASE) {
                self.zigbee
                    .observe(&incoming.topic, &incoming.payload, incoming.received_at);
            } else if self.home.is_config_topic(&incoming.topic) {
                self.home.observe(
                    &incoming.topic,
                    &incoming.payload,
                    incoming.retain,
                    incoming.received_at,
                );
            }
        }
        let traffic = &mut self.traffic;
        self.tree.apply_observed(batch, |node, bytes| {
            traffic.record(node, bytes as u64, now);
        });
    }
}
