//! Traffic as Canopy sees it, on any broker: messages and bytes per second overall, per topic
//! and per subtree, over the last 10 seconds or the last minute. Top talkers come from here.

use super::topic_tree::{NodeId, TopicTree};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::collections::hash_map::Entry;
use std::time::{Duration, Instant};

/// The longest window kept.
pub const MAX_WINDOW: Duration = Duration::from_secs(60);

/// Seconds kept one by one; older traffic is merged into ten-second buckets, so memory is about
/// `FINE_SECS + 6` buckets' worth of active topics rather than sixty.
const FINE_SECS: u64 = 11;

/// The span of a merged bucket.
const COARSE_SECS: u64 = 10;

/// One topic's traffic within one bucket: 12 bytes, kept in a plain sorted array once the
/// bucket's second is over (a hash map per second cost about twice as much: every topic in
/// every second of the last minute is an entry). Payload bytes are counted in 32 bits and stop
/// at 4 GiB per bucket, which one topic reaches only above 400 MB/s for ten seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TopicCount {
    node: NodeId,
    messages: u32,
    bytes: u32,
}

impl TopicCount {
    fn new(node: NodeId, bytes: u64) -> Self {
        let mut count = Self {
            node,
            messages: 0,
            bytes: 0,
        };
        count.add(1, bytes);
        count
    }

    fn add(&mut self, messages: u32, bytes: u64) {
        self.messages = self.messages.saturating_add(messages);
        let bytes = u32::try_from(bytes).unwrap_or(u32::MAX);
        self.bytes = self.bytes.saturating_add(bytes);
    }
}

/// One second (or, merged, ten) of traffic: totals, and counts per topic that received anything.
#[derive(Debug, Default)]
struct Bucket {
    /// The first second it covers.
    second: u64,
    /// How many seconds it covers (1, or [`COARSE_SECS`] once merged).
    span: u64,
    messages: u64,
    bytes: u64,
    /// One entry per topic. Sorted by node once the bucket is closed; the newest per-second
    /// bucket is open and in arrival order, indexed by [`TrafficStats::open_index`].
    per_topic: Vec<TopicCount>,
}

impl Bucket {
    /// Sort the open bucket's counts and give back their spare room.
    fn close(&mut self) {
        self.per_topic.sort_unstable_by_key(|count| count.node);
        self.per_topic.shrink_to_fit();
    }

    /// Add a closed bucket's counts to this closed (merged) bucket, keeping them sorted.
    fn merge(&mut self, other: Bucket) {
        self.messages += other.messages;
        self.bytes += other.bytes;
        if self.per_topic.is_empty() {
            self.per_topic = other.per_topic;
            return;
        }
        // Two sorted runs: the stable sort merges them in one pass.
        self.per_topic.extend(other.per_topic);
        self.per_topic.sort_by_key(|count| count.node);
        self.per_topic.dedup_by(|later, kept| {
            let same = later.node == kept.node;
            if same {
                kept.add(later.messages, u64::from(later.bytes));
            }
            same
        });
        self.per_topic.shrink_to_fit();
    }
}

/// How talkers are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RankBy {
    /// By messages per second.
    #[default]
    Messages,
    /// By bytes per second.
    Bytes,
}

/// A topic or subtree and its traffic over a window.
#[derive(Clone, Debug, PartialEq)]
pub struct Talker {
    /// The node (a topic, or the root of a subtree).
    pub node: NodeId,
    /// Messages in the window.
    pub messages: u64,
    /// Payload bytes in the window.
    pub bytes: u64,
    /// Messages per second over the window.
    pub messages_per_sec: f64,
    /// Payload bytes per second over the window.
    pub bytes_per_sec: f64,
}

/// Per-second buckets for the last seconds, ten-second buckets for the rest of the minute.
#[derive(Debug)]
pub struct TrafficStats {
    started: Instant,
    /// Per-second buckets, oldest first.
    buckets: VecDeque<Bucket>,
    /// Ten-second buckets older than the per-second ones, oldest first.
    coarse: VecDeque<Bucket>,
    /// Where each topic's entry is in the newest (open) per-second bucket.
    open_index: FxHashMap<NodeId, u32>,
}

impl Default for TrafficStats {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl TrafficStats {
    /// Empty statistics whose clock starts at `started`.
    pub fn new(started: Instant) -> Self {
        Self {
            started,
            buckets: VecDeque::with_capacity(FINE_SECS as usize + 2),
            coarse: VecDeque::new(),
            open_index: FxHashMap::default(),
        }
    }

    fn second_of(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.started).as_secs()
    }

    /// Count one message of `bytes` payload bytes on topic `node`, arrived at `now`.
    pub fn record(&mut self, node: NodeId, bytes: u64, now: Instant) {
        let second = self.second_of(now);
        if self.buckets.back().is_none_or(|b| b.second < second) {
            self.close_open_bucket();
            self.age(second);
            self.buckets.push_back(Bucket {
                second,
                span: 1,
                ..Bucket::default()
            });
        }
        // Late arrivals (a clock step) go to the newest bucket.
        if let Some(bucket) = self.buckets.back_mut() {
            bucket.messages += 1;
            bucket.bytes += bytes;
            match self.open_index.entry(node) {
                Entry::Occupied(entry) => {
                    if let Some(count) = bucket.per_topic.get_mut(*entry.get() as usize) {
                        count.add(1, bytes);
                    }
                }
                Entry::Vacant(entry) => {
                    // u32: four billion topics in one second is far past any memory budget.
                    entry.insert(bucket.per_topic.len() as u32);
                    bucket.per_topic.push(TopicCount::new(node, bytes));
                }
            }
        }
    }

    /// Close the newest per-second bucket: its counts are sorted, its index cleared for the
    /// next second (keeping the index's room unless a burst left it far too big).
    fn close_open_bucket(&mut self) {
        if let Some(open) = self.buckets.back_mut() {
            open.close();
        }
        let topics = self.open_index.len();
        self.open_index.clear();
        if self.open_index.capacity() > 4 * topics.max(1024) {
            self.open_index.shrink_to(2 * topics);
        }
    }

    /// Merge per-second buckets older than [`FINE_SECS`] into ten-second ones, and forget what
    /// is older than the longest window.
    fn age(&mut self, now_second: u64) {
        let fine_from = now_second.saturating_sub(FINE_SECS);
        while self.buckets.front().is_some_and(|b| b.second < fine_from) {
            let Some(old) = self.buckets.pop_front() else {
                break;
            };
            let start = old.second - old.second % COARSE_SECS;
            if self.coarse.back().is_none_or(|b| b.second != start) {
                self.coarse.push_back(Bucket {
                    second: start,
                    span: COARSE_SECS,
                    ..Bucket::default()
                });
            }
            if let Some(merged) = self.coarse.back_mut() {
                merged.merge(old);
            }
        }
        let oldest_kept = now_second.saturating_sub(MAX_WINDOW.as_secs() + COARSE_SECS);
        while self
            .coarse
            .front()
            .is_some_and(|b| b.second + b.span <= oldest_kept)
        {
            self.coarse.pop_front();
        }
    }

    /// The buckets inside the window ending at `now`, and the window's length in seconds.
    ///
    /// Windows are made of whole seconds, the last complete one included, so a ranking does not
    /// jitter with a half-filled current second. In Canopy's first second the partial second is
    /// used; while Canopy has listened for less than `window`, the window is that long. Past
    /// the per-second buckets the window starts on a ten-second boundary, and the rates are
    /// over the time actually covered.
    fn window(&self, window: Duration, now: Instant) -> (impl Iterator<Item = &Bucket>, f64) {
        let elapsed = now.saturating_duration_since(self.started);
        let now_second = elapsed.as_secs();
        let window_secs = window.as_secs().clamp(1, MAX_WINDOW.as_secs());
        let (first, last, partial) = if now_second == 0 {
            (0, 0, Some(elapsed.as_secs_f64().max(0.001)))
        } else {
            (now_second.saturating_sub(window_secs), now_second - 1, None)
        };
        let in_window = move |b: &&Bucket| b.second + b.span > first && b.second <= last;
        let start = self
            .coarse
            .iter()
            .chain(self.buckets.iter())
            .filter(in_window)
            .map(|b| b.second)
            .min()
            .map_or(first, |earliest| earliest.min(first));
        let span = partial.unwrap_or((now_second - start) as f64);
        let buckets = self
            .coarse
            .iter()
            .chain(self.buckets.iter())
            .filter(in_window);
        (buckets, span)
    }

    /// Messages and bytes per second over the window ending at `now`.
    pub fn rates(&self, window: Duration, now: Instant) -> (f64, f64) {
        let (buckets, span) = self.window(window, now);
        let (messages, bytes) = buckets.fold((0, 0), |(m, b), bucket| {
            (m + bucket.messages, b + bucket.bytes)
        });
        (messages as f64 / span, bytes as f64 / span)
    }

    fn totals(&self, window: Duration, now: Instant) -> (FxHashMap<NodeId, (u64, u64)>, f64) {
        let (buckets, span) = self.window(window, now);
        let mut totals: FxHashMap<NodeId, (u64, u64)> = FxHashMap::default();
        for bucket in buckets {
            for count in &bucket.per_topic {
                let entry = totals.entry(count.node).or_default();
                entry.0 += u64::from(count.messages);
                entry.1 += u64::from(count.bytes);
            }
        }
        (totals, span)
    }

    /// The `limit` busiest topics over the window ending at `now`.
    pub fn top_topics(
        &self,
        window: Duration,
        now: Instant,
        by: RankBy,
        limit: usize,
    ) -> Vec<Talker> {
        let (totals, span) = self.totals(window, now);
        rank(totals, span, by, limit)
    }

    /// The `limit` busiest subtrees (levels with topics below them, at any depth) over the
    /// window ending at `now`; a subtree counts everything published at or below it.
    pub fn top_subtrees(
        &self,
        tree: &TopicTree,
        window: Duration,
        now: Instant,
        by: RankBy,
        limit: usize,
    ) -> Vec<Talker> {
        let (totals, span) = self.totals(window, now);
        let mut subtrees: FxHashMap<NodeId, (u64, u64)> = FxHashMap::default();
        for (node, (messages, bytes)) in totals {
            for id in ancestors(tree, node)
                .skip(1)
                .filter(|id| *id != NodeId::ROOT)
            {
                let entry = subtrees.entry(id).or_default();
                entry.0 += messages;
                entry.1 += bytes;
            }
        }
        rank(subtrees, span, by, limit)
    }

    /// Traffic at or below `node` over the window ending at `now`.
    pub fn subtree_rates(
        &self,
        tree: &TopicTree,
        node: NodeId,
        window: Duration,
        now: Instant,
    ) -> Talker {
        let (totals, span) = self.totals(window, now);
        let (mut messages, mut bytes) = (0, 0);
        for (topic, (m, b)) in totals {
            if ancestors(tree, topic).any(|id| id == node) {
                messages += m;
                bytes += b;
            }
        }
        Talker {
            node,
            messages,
            bytes,
            messages_per_sec: messages as f64 / span,
            bytes_per_sec: bytes as f64 / span,
        }
    }
}

/// `node`, then its parent, and so on up to the root.
fn ancestors(tree: &TopicTree, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
    std::iter::successors(Some(node), |id| tree.node(*id).and_then(|n| n.parent()))
}

fn rank(totals: FxHashMap<NodeId, (u64, u64)>, span: f64, by: RankBy, limit: usize) -> Vec<Talker> {
    let mut talkers: Vec<Talker> = totals
        .into_iter()
        .map(|(node, (messages, bytes))| Talker {
            node,
            messages,
            bytes,
            messages_per_sec: messages as f64 / span,
            bytes_per_sec: bytes as f64 / span,
        })
        .collect();
    // Sorted fully (ties by node id) so the order is stable from frame to frame.
    talkers.sort_by(|a, b| {
        let key = |t: &Talker| match by {
            RankBy::Messages => (t.messages, t.bytes),
            RankBy::Bytes => (t.bytes, t.messages),
        };
        key(b).cmp(&key(a)).then(a.node.cmp(&b.node))
    });
    talkers.truncate(limit);
    talkers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Incoming;

    /// A synthetic flood of known rates: over 20 s, `a/fast` gets 50 msg/s of 10 B, `a/slow`
    /// 5 msg/s of 1,000 B, `b/x` 20 msg/s of 100 B; in the last 5 s, `b/burst` 125 msg/s of 1 B.
    fn flood() -> (TopicTree, TrafficStats, Instant) {
        let mut tree = TopicTree::new(10);
        let start = Instant::now();
        let mut stats = TrafficStats::new(start);
        let ids: Vec<NodeId> = ["a/fast", "a/slow", "b/x", "b/burst"]
            .iter()
            .map(|t| tree.insert(Incoming::new(*t, "")))
            .collect();
        for tick in 0..20_000u64 {
            // One tick a millisecond.
            let now = start + Duration::from_millis(tick);
            if tick % 20 == 0 {
                stats.record(ids[0], 10, now);
            }
            if tick % 200 == 0 {
                stats.record(ids[1], 1_000, now);
            }
            if tick % 50 == 0 {
                stats.record(ids[2], 100, now);
            }
            if tick >= 15_000 && tick % 8 == 0 {
                stats.record(ids[3], 1, now);
            }
        }
        (tree, stats, start + Duration::from_secs(20))
    }

    fn names(tree: &TopicTree, talkers: &[Talker]) -> Vec<String> {
        talkers.iter().map(|t| tree.topic_name(t.node)).collect()
    }

    #[test]
    fn top_topics_by_messages_and_bytes_over_ten_seconds() {
        let (tree, stats, now) = flood();
        let window = Duration::from_secs(10);
        let by_messages = stats.top_topics(window, now, RankBy::Messages, 10);
        assert_eq!(
            names(&tree, &by_messages),
            ["b/burst", "a/fast", "b/x", "a/slow"]
        );
        // 125 msg/s for the last 5 s of a 10 s window: 62.5 msg/s on average.
        let rates: Vec<f64> = by_messages.iter().map(|t| t.messages_per_sec).collect();
        for (rate, expected) in rates.iter().zip([62.5, 50.0, 20.0, 5.0]) {
            assert!((rate - expected).abs() < expected * 0.05, "{rates:?}");
        }
        let by_bytes = stats.top_topics(window, now, RankBy::Bytes, 2);
        assert_eq!(names(&tree, &by_bytes), ["a/slow", "b/x"]);
        assert!((by_bytes[0].bytes_per_sec - 5_000.0).abs() < 250.0);
    }

    #[test]
    fn a_minute_window_dilutes_the_burst() {
        let (tree, stats, now) = flood();
        let minute = stats.top_topics(MAX_WINDOW, now, RankBy::Messages, 10);
        // Only 20 s of data: rates are over the 20 s Canopy has been listening.
        assert_eq!(
            names(&tree, &minute),
            ["a/fast", "b/burst", "b/x", "a/slow"]
        );
        assert!(
            (minute[1].messages_per_sec - 31.25).abs() < 1.5,
            "{minute:?}"
        );
    }

    #[test]
    fn subtrees_sum_their_topics() {
        let (tree, stats, now) = flood();
        let window = Duration::from_secs(10);
        let subtrees = stats.top_subtrees(&tree, window, now, RankBy::Messages, 10);
        assert_eq!(names(&tree, &subtrees), ["b", "a"]);
        assert!((subtrees[0].messages_per_sec - 82.5).abs() < 3.5);
        assert!((subtrees[1].messages_per_sec - 55.0).abs() < 3.0);
        let a = tree.find("a").expect("a");
        let rates = stats.subtree_rates(&tree, a, window, now);
        assert_eq!(rates.messages, subtrees[1].messages);
        let (total, _) = stats.rates(window, now);
        assert!((total - 137.5).abs() < 6.0, "{total}");
    }

    #[test]
    fn a_long_run_keeps_few_buckets_and_the_minute_is_still_right() {
        let start = Instant::now();
        let mut stats = TrafficStats::new(start);
        let mut tree = TopicTree::new(10);
        let node = tree.insert(Incoming::new("a/b", ""));
        // 10 messages a second for five minutes.
        for tick in 0..3_000u64 {
            stats.record(node, 100, start + Duration::from_millis(tick * 100));
        }
        let now = start + Duration::from_secs(300);
        assert!(stats.buckets.len() <= FINE_SECS as usize + 1);
        assert!(stats.coarse.len() <= 8, "{}", stats.coarse.len());
        let (minute, bytes) = stats.rates(MAX_WINDOW, now);
        assert!((minute - 10.0).abs() < 0.01, "{minute}");
        assert!((bytes - 1000.0).abs() < 1.0, "{bytes}");
        let (ten, _) = stats.rates(Duration::from_secs(10), now);
        assert!((ten - 10.0).abs() < 0.01, "{ten}");
    }

    #[test]
    fn merged_seconds_keep_every_topics_exact_count() {
        let start = Instant::now();
        let mut stats = TrafficStats::new(start);
        let mut tree = TopicTree::new(10);
        let ids: Vec<NodeId> = (0..50)
            .map(|i| tree.insert(Incoming::new(format!("t/{i}"), "")))
            .collect();
        let mut expected = vec![0u64; ids.len()];
        // 45 seconds; in second s, topics s % 7 .. 50 step 3 each get s % 4 + 1 messages, in
        // shuffled order, so merged buckets combine different sets of topics.
        for second in 0..45u64 {
            let now = start + Duration::from_secs(second) + Duration::from_millis(500);
            for k in (((second % 7) as usize)..ids.len()).step_by(3).rev() {
                for _ in 0..=(second % 4) {
                    stats.record(ids[k], 10, now);
                    expected[k] += 1;
                }
            }
        }
        let talkers = stats.top_topics(
            MAX_WINDOW,
            start + Duration::from_secs(45),
            RankBy::Messages,
            100,
        );
        assert!(stats.coarse.len() >= 2, "{}", stats.coarse.len());
        for (k, id) in ids.iter().enumerate() {
            let got = talkers
                .iter()
                .find(|t| t.node == *id)
                .map_or((0, 0), |t| (t.messages, t.bytes));
            assert_eq!(got, (expected[k], expected[k] * 10), "topic t/{k}");
        }
    }

    #[test]
    fn a_topics_bytes_stop_at_four_gib_per_bucket() {
        let mut count = TopicCount::new(NodeId::ROOT, 3 << 30);
        count.add(1, 3 << 30);
        assert_eq!((count.messages, count.bytes), (2, u32::MAX));
        assert_eq!(std::mem::size_of::<TopicCount>(), 12);
    }

    #[test]
    fn old_seconds_are_forgotten() {
        let (_, mut stats, now) = flood();
        let later = now + Duration::from_secs(120);
        stats.record(NodeId::ROOT, 1, later);
        assert_eq!(stats.buckets.len(), 1);
        assert!(stats.coarse.is_empty());
        let (messages_per_sec, _) =
            stats.rates(Duration::from_secs(10), later + Duration::from_secs(5));
        assert!(messages_per_sec < 0.2);
    }
}
