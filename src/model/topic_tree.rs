//! The topic hierarchy: an arena of nodes with counters kept up to date on insert.

use super::incoming::{Incoming, Message};
use super::interner::{Interner, SegmentId};
use super::natural_order::natural_cmp;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;
use std::time::SystemTime;

/// How many messages each topic keeps unless told otherwise.
pub const DEFAULT_HISTORY_LIMIT: usize = 100;

/// How much memory all topics' history may take together unless told otherwise: sized so that
/// a connection with 100,000 busy topics stays under 150 MB in all, tree and statistics
/// included (BENCHMARKS.md, memory); that still keeps the last 100 messages of up to ~3,500
/// topics of small messages. The user raises it in the status bar.
pub const DEFAULT_HISTORY_BUDGET_BYTES: usize = 48 * 1024 * 1024;

/// How many topics' only messages one trim may look past before giving up for now.
const TRIM_PATIENCE: usize = 64;

/// What one kept message costs: the payload (copied into its own allocation), the message
/// record, and an allocator's usual overhead.
pub fn message_cost_bytes(payload_len: usize) -> usize {
    std::mem::size_of::<Message>() + payload_len + 16
}

/// Make room for one more message in a topic's history, growing by a quarter rather than
/// doubling: with 100,000 topics of a few messages each, doubling left a third of every
/// history's slots empty (tens of MiB the budget did not see). Never past `limit` slots.
fn reserve_one(history: &mut VecDeque<Message>, limit: usize) {
    let len = history.len();
    if len == history.capacity() {
        let room = limit.saturating_sub(len).max(1);
        history.reserve_exact((len / 4).clamp(1, room));
    }
}

/// Give back a history's empty slots once the budget has taken most of its messages, so a
/// topic that once held many messages does not keep their room.
fn shrink_if_sparse(history: &mut VecDeque<Message>) {
    if history.capacity() >= 8 && history.len() * 4 <= history.capacity() {
        history.shrink_to(history.len() * 2);
    }
}

/// One kept message's place in the arrival order. Packed to 12 bytes: the queue holds an entry
/// per kept message (half a million with the default budget and small payloads).
#[derive(Clone, Copy, Debug)]
#[repr(C, packed(4))]
struct Arrival {
    node: NodeId,
    seq: u64,
}

impl Arrival {
    fn new(node: NodeId, seq: u64) -> Self {
        Self { node, seq }
    }

    fn node(self) -> NodeId {
        self.node
    }

    fn seq(self) -> u64 {
        self.seq
    }
}

/// Index of a node in the tree. Stable for the life of the tree: nodes are never removed,
/// so a selection made by id cannot jump to another topic while messages arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    /// The invisible root above every first-level topic.
    pub const ROOT: NodeId = NodeId(0);

    /// The position of the node in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The node at position `index` of the arena (see [`TopicTree::node_count`]).
    pub fn from_index(index: usize) -> Option<NodeId> {
        u32::try_from(index).ok().map(NodeId)
    }
}

/// One level of the topic hierarchy. A node is a topic once a message was published to it;
/// before that it only groups its children.
#[derive(Debug)]
pub struct Node {
    segment: SegmentId,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    depth: u16,
    /// Messages received on exactly this topic.
    pub message_count: u64,
    /// Payload bytes received on exactly this topic.
    pub payload_bytes: u64,
    /// Messages received on this topic and every topic below it.
    pub subtree_message_count: u64,
    /// Payload bytes received on this topic and every topic below it.
    pub subtree_payload_bytes: u64,
    /// Topics (nodes with at least one message) in this subtree, this node included.
    pub subtree_topic_count: u32,
    /// Arrival time of the newest message anywhere in this subtree.
    pub subtree_last_received: Option<SystemTime>,
    /// Whether the broker holds a retained message for this topic, as far as we have seen.
    pub retained: bool,
    /// When the retained message we know of arrived.
    pub retained_at: Option<SystemTime>,
    history: VecDeque<Message>,
    /// The budget trim met this topic's only message and took its entry out of the arrival
    /// queue; it goes back (to the front: it is old) when a newer message makes it evictable.
    history_parked: bool,
}

impl Node {
    fn new(segment: SegmentId, parent: Option<NodeId>, depth: u16) -> Self {
        Self {
            segment,
            parent,
            children: Vec::new(),
            depth,
            message_count: 0,
            payload_bytes: 0,
            subtree_message_count: 0,
            subtree_payload_bytes: 0,
            subtree_topic_count: 0,
            subtree_last_received: None,
            retained: false,
            retained_at: None,
            history: VecDeque::new(),
            history_parked: false,
        }
    }

    /// The parent node; `None` only for the root.
    pub fn parent(&self) -> Option<NodeId> {
        self.parent
    }

    /// Child nodes in natural order of their level names (`$` levels last).
    pub fn children(&self) -> &[NodeId] {
        &self.children
    }

    /// Depth below the root: first-level topics are at depth 1.
    pub fn depth(&self) -> u16 {
        self.depth
    }

    /// True when at least one message was published to exactly this topic.
    pub fn is_topic(&self) -> bool {
        self.message_count > 0
    }

    /// The newest message on this topic.
    pub fn last_message(&self) -> Option<&Message> {
        self.history.back()
    }

    /// The messages kept for this topic, oldest first.
    pub fn history(&self) -> &VecDeque<Message> {
        &self.history
    }

    /// The kept message with sequence number `seq`, if it is still in the history.
    pub fn message_by_seq(&self, seq: u64) -> Option<&Message> {
        // History is in arrival order, so sequence numbers ascend.
        let (front, back) = self.history.as_slices();
        [front, back].into_iter().find_map(|part| {
            part.binary_search_by_key(&seq, |m| m.seq)
                .ok()
                .map(|i| &part[i])
        })
    }
}

/// The topic hierarchy of one connection.
#[derive(Debug)]
pub struct TopicTree {
    nodes: Vec<Node>,
    segments: Interner,
    /// Full topic name → node, so a known topic costs one hash lookup.
    by_topic: FxHashMap<Box<str>, NodeId>,
    /// (parent, level) → child, to walk the tree when a new topic arrives.
    by_parent_segment: FxHashMap<(NodeId, SegmentId), NodeId>,
    history_limit: usize,
    /// Most bytes all history may take (see [`message_cost_bytes`]).
    history_budget_bytes: usize,
    /// What the kept history costs now.
    history_bytes: usize,
    /// Messages kept, in all topics.
    history_messages: usize,
    /// Every kept message as (topic, seq), oldest first, for trimming the oldest across topics.
    /// Entries for messages a topic already dropped on its own are skipped when met.
    arrival: VecDeque<Arrival>,
    topic_count: usize,
    total_messages: u64,
    total_payload_bytes: u64,
    /// Bumped whenever a node is added, so views can cache their layout.
    structure_version: u64,
    /// The topics of the latest messages in arrival order, for the message log.
    log: VecDeque<NodeId>,
}

/// Messages the arrival log remembers (4 bytes each): the message log lists at most these, and
/// only those still kept in history.
pub const LOG_ENTRIES: usize = 200_000;

impl Default for TopicTree {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY_LIMIT)
    }
}

impl TopicTree {
    /// An empty tree that keeps up to `history_limit` messages per topic (at least one).
    pub fn new(history_limit: usize) -> Self {
        let mut segments = Interner::default();
        let root_segment = segments.intern("");
        Self {
            nodes: vec![Node::new(root_segment, None, 0)],
            segments,
            by_topic: FxHashMap::default(),
            by_parent_segment: FxHashMap::default(),
            history_limit: history_limit.max(1),
            history_budget_bytes: DEFAULT_HISTORY_BUDGET_BYTES,
            history_bytes: 0,
            history_messages: 0,
            arrival: VecDeque::new(),
            topic_count: 0,
            total_messages: 0,
            total_payload_bytes: 0,
            structure_version: 0,
            log: VecDeque::new(),
        }
    }

    /// A small home-and-factory tree for tests and previews.
    pub fn example() -> Self {
        let mut tree = Self::default();
        tree.apply(vec![
            Incoming::new("home/kitchen/temp", "21.5"),
            Incoming::new("home/kitchen/humidity", "40"),
            Incoming::new("home/kitchen/temp", "21.7"),
            Incoming::new("home/livingroom/lamp", r#"{"on":true,"brightness":80}"#).retained(),
            Incoming::new("factory/line1/speed", "120"),
            Incoming::new("$SYS/broker/uptime", "42 seconds"),
        ]);
        tree
    }

    /// Insert every message of a batch, in order.
    pub fn apply(&mut self, batch: Vec<Incoming>) {
        self.apply_observed(batch, |_, _| {});
    }

    /// Insert every message of a batch, in order, telling `observe` each message's topic node
    /// and payload size (for traffic statistics) without a second lookup.
    pub fn apply_observed(&mut self, batch: Vec<Incoming>, mut observe: impl FnMut(NodeId, usize)) {
        let mut parents_with_new_children = FxHashSet::default();
        for incoming in batch {
            let bytes = incoming.payload.len();
            let node = self.insert_inner(incoming, &mut parents_with_new_children);
            observe(node, bytes);
        }
        self.sort_children(parents_with_new_children);
    }

    /// Insert one message. Prefer [`TopicTree::apply`] for batches: it sorts new children once.
    pub fn insert(&mut self, incoming: Incoming) -> NodeId {
        let mut parents_with_new_children = FxHashSet::default();
        let id = self.insert_inner(incoming, &mut parents_with_new_children);
        self.sort_children(parents_with_new_children);
        id
    }

    fn insert_inner(
        &mut self,
        incoming: Incoming,
        parents_with_new_children: &mut FxHashSet<NodeId>,
    ) -> NodeId {
        let id = match self.by_topic.get(incoming.topic.as_str()) {
            Some(&id) => id,
            None => self.create_path(&incoming.topic, parents_with_new_children),
        };
        let size = incoming.payload.len() as u64;
        let received_at = incoming.received_at;
        let history_limit = self.history_limit;

        let node = &mut self.nodes[id.index()];
        let first_message = node.message_count == 0;
        node.message_count += 1;
        node.payload_bytes += size;
        if incoming.retain {
            // An empty retained publish is how a retained message is deleted.
            node.retained = !incoming.payload.is_empty();
            node.retained_at = node.retained.then_some(received_at);
        }
        if node.history.len() >= history_limit
            && let Some(evicted) = node.history.pop_front()
        {
            self.history_bytes -= message_cost_bytes(evicted.payload.len());
            self.history_messages -= 1;
        }
        if std::mem::take(&mut node.history_parked)
            && let Some(oldest) = node.history.front()
        {
            self.arrival.push_front(Arrival::new(id, oldest.seq));
        }
        let seq = self.total_messages;
        let mut message = Message::from_incoming(incoming, seq);
        // Its own allocation: a payload sliced from the network's read buffer would keep the
        // whole buffer alive for as long as the message is in the history.
        message.payload = bytes::Bytes::copy_from_slice(&message.payload);
        reserve_one(&mut node.history, history_limit);
        node.history.push_back(message);
        self.history_bytes += message_cost_bytes(size as usize);
        self.history_messages += 1;
        self.arrival.push_back(Arrival::new(id, seq));
        if self.log.len() >= LOG_ENTRIES {
            self.log.pop_front();
        }
        self.log.push_back(id);

        if first_message {
            self.topic_count += 1;
        }
        self.total_messages += 1;
        self.total_payload_bytes += size;

        let mut cursor = Some(id);
        while let Some(current) = cursor {
            let node = &mut self.nodes[current.index()];
            node.subtree_message_count += 1;
            node.subtree_payload_bytes += size;
            if first_message {
                node.subtree_topic_count += 1;
            }
            if node.subtree_last_received.is_none_or(|t| t < received_at) {
                node.subtree_last_received = Some(received_at);
            }
            cursor = node.parent;
        }
        self.trim_history();
        id
    }

    /// Drop the oldest messages, across all topics, until the history fits its budget. The
    /// newest message of each topic is kept whatever the budget: it is the topic's value.
    fn trim_history(&mut self) {
        // Topics' only messages are parked as they are met, so each is looked past once; the
        // bound keeps a single call short whatever the queue holds.
        self.trim_history_within(TRIM_PATIENCE);
    }

    /// [`TopicTree::trim_history`], looking past at most `patience` kept-only messages in a row.
    fn trim_history_within(&mut self, patience: usize) {
        let patience = self.arrival.len().min(patience);
        let mut passes_without_progress = 0;
        while self.history_bytes > self.history_budget_bytes && passes_without_progress < patience {
            let Some(entry) = self.arrival.pop_front() else {
                break;
            };
            let (node_id, seq) = (entry.node(), entry.seq());
            let node = &mut self.nodes[node_id.index()];
            match node.history.front() {
                Some(oldest) if oldest.seq == seq && node.history.len() > 1 => {
                    if let Some(evicted) = node.history.pop_front() {
                        self.history_bytes -= message_cost_bytes(evicted.payload.len());
                        self.history_messages -= 1;
                    }
                    shrink_if_sparse(&mut node.history);
                    passes_without_progress = 0;
                }
                Some(oldest) if oldest.seq == seq => {
                    // The topic's only message: kept, and parked until the topic gets a newer
                    // one, so trimming never walks past it again.
                    node.history_parked = true;
                    passes_without_progress += 1;
                }
                Some(oldest) if oldest.seq < seq => {
                    // An entry for a newer message while an older one is still at the front
                    // (the older one's entry went round): look at it again later.
                    self.arrival.push_back(entry);
                    passes_without_progress += 1;
                }
                _ => {} // already dropped by the topic's own limit
            }
        }
        // Entries of messages the per-topic limit dropped pile up when the budget is never
        // reached; compact them now and then (amortised O(1) per message).
        if self.arrival.len() > 2 * self.history_messages + 4096 {
            let nodes = &self.nodes;
            self.arrival.retain(|entry| {
                nodes[entry.node().index()]
                    .history
                    .front()
                    .is_some_and(|oldest| oldest.seq <= entry.seq())
            });
        }
    }

    /// Set how much memory all history may take together, trimming at once if needed.
    pub fn set_history_budget(&mut self, bytes: usize) {
        self.history_budget_bytes = bytes;
        // A user's change: trim all the way now, not a little per message as they arrive.
        self.trim_history_within(usize::MAX);
    }

    /// The history's memory budget.
    pub fn history_budget(&self) -> usize {
        self.history_budget_bytes
    }

    /// What the kept history costs now (payloads and records, see [`message_cost_bytes`]).
    pub fn history_bytes(&self) -> usize {
        self.history_bytes
    }

    /// Messages kept in all topics' history.
    pub fn history_messages(&self) -> usize {
        self.history_messages
    }

    /// Create the nodes for `topic` that do not exist yet and return the leaf.
    fn create_path(
        &mut self,
        topic: &str,
        parents_with_new_children: &mut FxHashSet<NodeId>,
    ) -> NodeId {
        let mut current = NodeId::ROOT;
        for level in topic.split('/') {
            let segment = self.segments.intern(level);
            current = match self.by_parent_segment.get(&(current, segment)) {
                Some(&child) => child,
                None => {
                    let child = NodeId(self.nodes.len() as u32);
                    let depth = self.nodes[current.index()].depth.saturating_add(1);
                    self.nodes.push(Node::new(segment, Some(current), depth));
                    self.nodes[current.index()].children.push(child);
                    self.by_parent_segment.insert((current, segment), child);
                    parents_with_new_children.insert(current);
                    self.structure_version += 1;
                    child
                }
            };
        }
        self.by_topic.insert(topic.into(), current);
        current
    }

    fn sort_children(&mut self, parents: FxHashSet<NodeId>) {
        for parent in parents {
            let mut children = std::mem::take(&mut self.nodes[parent.index()].children);
            // Mostly sorted already (new children are appended), which the sort exploits.
            children.sort_by(|&a, &b| {
                natural_cmp(
                    self.segments.resolve(self.nodes[a.index()].segment),
                    self.segments.resolve(self.nodes[b.index()].segment),
                )
            });
            self.nodes[parent.index()].children = children;
        }
    }

    /// The node for a full topic name, if any message was seen on it or below it.
    pub fn find(&self, topic: &str) -> Option<NodeId> {
        if let Some(&id) = self.by_topic.get(topic) {
            return Some(id);
        }
        // Intermediate levels are not in the full-topic map; walk to them.
        let mut current = NodeId::ROOT;
        for level in topic.split('/') {
            let segment = self.segments.get(level)?;
            current = *self.by_parent_segment.get(&(current, segment))?;
        }
        Some(current)
    }

    /// The node behind an id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// The root node (it has no topic of its own).
    pub fn root(&self) -> &Node {
        &self.nodes[0]
    }

    /// The level name of a node, e.g. `temp` for `home/kitchen/temp`.
    pub fn segment(&self, id: NodeId) -> &str {
        self.nodes
            .get(id.index())
            .map_or("", |node| self.segments.resolve(node.segment))
    }

    /// The full topic name of a node, rebuilt from its levels.
    pub fn topic_name(&self, id: NodeId) -> String {
        let mut levels = Vec::new();
        let mut cursor = Some(id);
        while let Some(current) = cursor {
            let Some(node) = self.nodes.get(current.index()) else {
                break;
            };
            if node.parent.is_some() {
                levels.push(self.segments.resolve(node.segment));
            }
            cursor = node.parent;
        }
        levels.reverse();
        levels.join("/")
    }

    /// Ids from the first-level ancestor down to `id`, for expanding the path to a node.
    pub fn path_to(&self, id: NodeId) -> Vec<NodeId> {
        let mut path = Vec::new();
        let mut cursor = Some(id);
        while let Some(current) = cursor {
            let Some(node) = self.nodes.get(current.index()) else {
                break;
            };
            if node.parent.is_some() {
                path.push(current);
            }
            cursor = node.parent;
        }
        path.reverse();
        path
    }

    /// Every node below `id` (not `id` itself), depth first.
    pub fn descendants(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeId> = self
            .node(id)
            .map(|n| n.children.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(current) = stack.pop() {
            out.push(current);
            if let Some(node) = self.node(current) {
                stack.extend(node.children.iter().rev().copied());
            }
        }
        out
    }

    /// The kept history of the topics in `nodes` (and, with `below`, of every topic under
    /// them), as the messages they were, in arrival order: what an export of the window writes.
    pub fn kept_messages(&self, nodes: &[NodeId], below: bool) -> Vec<crate::model::Incoming> {
        let mut ids: Vec<NodeId> = nodes.to_vec();
        if below {
            for &id in nodes {
                ids.extend(self.descendants(id));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let mut kept: Vec<(u64, crate::model::Incoming)> = Vec::new();
        for id in ids {
            let Some(node) = self.node(id).filter(|n| !n.history.is_empty()) else {
                continue;
            };
            let topic = self.topic_name(id);
            kept.extend(node.history.iter().map(|m| {
                (
                    m.seq,
                    crate::model::Incoming {
                        topic: topic.clone(),
                        payload: m.payload.clone(),
                        qos: m.qos,
                        retain: m.retain,
                        received_at: m.received_at,
                        properties: m.properties.clone(),
                    },
                )
            }));
        }
        kept.sort_unstable_by_key(|(seq, _)| *seq);
        kept.into_iter().map(|(_, message)| message).collect()
    }

    /// Topics at or below `id` that hold a retained message, in tree order.
    pub fn retained_topics_under(&self, id: NodeId) -> Vec<String> {
        std::iter::once(id)
            .chain(self.descendants(id))
            .filter(|&n| self.node(n).is_some_and(|node| node.retained))
            .map(|n| self.topic_name(n))
            .collect()
    }

    /// Record that the broker no longer retains a message for `topic` (after clearing it:
    /// an MQTT 3.1.1 subscription does not see the deletion as retained).
    pub fn forget_retained(&mut self, topic: &str) {
        if let Some(id) = self.find(topic)
            && let Some(node) = self.nodes.get_mut(id.index())
        {
            node.retained = false;
            node.retained_at = None;
        }
    }

    /// Distinct topics that received at least one message.
    pub fn topic_count(&self) -> usize {
        self.topic_count
    }

    /// Nodes in the tree, the root and pure grouping levels included.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Messages inserted so far.
    pub fn total_messages(&self) -> u64 {
        self.total_messages
    }

    /// The receive time of the newest message kept in any topic (a scan of every node: for
    /// occasional use, such as after a recording's playhead moved).
    pub fn newest_received(&self) -> Option<SystemTime> {
        self.nodes
            .iter()
            .filter_map(|node| node.last_message().map(|m| m.received_at))
            .max()
    }

    /// The sequence numbers the arrival log covers: the latest [`LOG_ENTRIES`] messages.
    pub fn log_range(&self) -> std::ops::Range<u64> {
        self.total_messages - self.log.len() as u64..self.total_messages
    }

    /// The topic of message `seq` and the message, while the log remembers it and its topic
    /// still keeps it.
    pub fn logged(&self, seq: u64) -> Option<(NodeId, &Message)> {
        let range = self.log_range();
        if !range.contains(&seq) {
            return None;
        }
        let id = *self.log.get(usize::try_from(seq - range.start).ok()?)?;
        let message = self.node(id)?.message_by_seq(seq)?;
        Some((id, message))
    }

    /// Payload bytes inserted so far.
    pub fn total_payload_bytes(&self) -> u64 {
        self.total_payload_bytes
    }

    /// How many messages each topic keeps.
    pub fn history_limit(&self) -> usize {
        self.history_limit
    }

    /// Changes whenever a node is added; equal values mean the same shape.
    pub fn structure_version(&self) -> u64 {
        self.structure_version
    }
}

#[cfg(test)]
mod tests;
