//! Searching the payloads kept in history for a piece of text (case-insensitive), a little at a
//! time so a window can spread a large search over several frames: each step goes through
//! topics until its deadline and remembers where it stopped. Text payloads (JSON included) are
//! searched as they are; for binary ones the caller may supply their decoded text (MessagePack,
//! CBOR, Sparkplug B as JSON), which is searched instead.

use super::{Message, NodeId, TopicTree};
use std::time::{Instant, SystemTime};

/// Hits kept at most; the search stops there and says so.
pub const MAX_HITS: usize = 1_000;

/// A message whose payload contains the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadHit {
    /// Its topic.
    pub node: NodeId,
    /// Its sequence number in the tree.
    pub seq: u64,
    /// When it arrived.
    pub received_at: SystemTime,
    /// Where the text is in the payload, or in `decoded` when the match is there (bytes).
    pub start: usize,
    #[expect(missing_docs, reason = "see start")]
    pub end: usize,
    /// The decoded text the match was found in, for a binary payload.
    pub decoded: Option<String>,
}

/// A search under way (or done).
#[derive(Debug)]
pub struct PayloadSearch {
    /// The text searched for.
    pub needle: String,
    pattern: regex::bytes::Regex,
    /// The next node to look at.
    cursor: usize,
    /// Hits so far, newest first within each topic, topics in tree order.
    pub hits: Vec<PayloadHit>,
    /// Messages looked at so far.
    pub searched: u64,
    /// Every topic was searched (or [`MAX_HITS`] was reached).
    pub done: bool,
}

impl PayloadSearch {
    /// A search for `needle` (plain text, any case); `None` for empty text.
    pub fn new(needle: &str) -> Option<Self> {
        let needle = needle.trim();
        if needle.is_empty() {
            return None;
        }
        let pattern = regex::bytes::RegexBuilder::new(&regex::escape(needle))
            .case_insensitive(true)
            .build()
            .ok()?;
        Some(Self {
            needle: needle.to_owned(),
            pattern,
            cursor: 0,
            hits: Vec::new(),
            searched: 0,
            done: false,
        })
    }

    /// Search on until `deadline` (or the end). The tree may have changed since the last
    /// step: topics added since are searched when the cursor reaches them. `decoded` gives the
    /// text of a payload that is not UTF-8 (or `None` to leave it out).
    pub fn step(
        &mut self,
        tree: &TopicTree,
        deadline: Instant,
        decoded: &mut dyn FnMut(NodeId, &Message) -> Option<String>,
    ) {
        while !self.done {
            if self.cursor >= tree.node_count() || self.hits.len() >= MAX_HITS {
                self.done = true;
                break;
            }
            let Some(id) = NodeId::from_index(self.cursor) else {
                self.done = true;
                break;
            };
            self.cursor += 1;
            if let Some(node) = tree.node(id) {
                for message in node.history().iter().rev() {
                    self.searched += 1;
                    let text = if std::str::from_utf8(&message.payload).is_ok() {
                        None
                    } else {
                        decoded(id, message)
                    };
                    let haystack = text.as_deref().map_or(&message.payload[..], str::as_bytes);
                    if let Some(found) = self.pattern.find(haystack) {
                        let (start, end) = (found.start(), found.end());
                        self.hits.push(PayloadHit {
                            node: id,
                            seq: message.seq,
                            received_at: message.received_at,
                            start,
                            end,
                            decoded: text,
                        });
                        if self.hits.len() >= MAX_HITS {
                            break;
                        }
                    }
                }
            }
            if self.cursor.is_multiple_of(64) && Instant::now() >= deadline {
                break;
            }
        }
    }

    /// Whether [`MAX_HITS`] cut the search short.
    pub fn truncated(&self) -> bool {
        self.hits.len() >= MAX_HITS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Incoming;
    use std::time::Duration;

    #[test]
    fn finds_text_in_any_case_across_topics_a_step_at_a_time() {
        let mut tree = TopicTree::new(100);
        let mut batch = Vec::new();
        for i in 0..300 {
            let payload = if i % 50 == 7 {
                format!("{{\"status\":\"ERROR {i}\"}}")
            } else {
                format!("{{\"status\":\"ok\",\"i\":{i}}}")
            };
            batch.push(Incoming::new(format!("dev/{}/state", i % 30), payload));
        }
        batch.push(Incoming::new(
            "bin/blob",
            vec![0xff, 0x00, b'e', b'r', b'r', b'o', b'r'],
        ));
        tree.apply_observed(batch, |_, _| {});
        let mut search = PayloadSearch::new("  error ").expect("a search");
        // A deadline in the past: one bounded step at a time, until done.
        let mut steps = 0;
        while !search.done {
            search.step(
                &tree,
                Instant::now() - Duration::from_secs(1),
                &mut |_, _| None,
            );
            steps += 1;
        }
        assert!(steps > 1, "spread over steps");
        assert_eq!(
            search.hits.len(),
            7,
            "six JSON payloads and the binary's bytes"
        );
        let json_hit = search
            .hits
            .iter()
            .find(|h| tree.topic_name(h.node) == "dev/7/state")
            .expect("dev/7");
        let node = tree.node(json_hit.node).expect("node");
        let message = node.message_by_seq(json_hit.seq).expect("kept");
        assert_eq!(&message.payload[json_hit.start..json_hit.end], b"ERROR");
        assert_eq!(search.searched, 301);
        assert!(PayloadSearch::new("   ").is_none());
        // Regex characters are plain text here.
        let mut literal = PayloadSearch::new("\"i\":1}").expect("a search");
        literal.step(
            &tree,
            Instant::now() + Duration::from_secs(5),
            &mut |_, _| None,
        );
        assert_eq!(literal.hits.len(), 1);
        // A binary payload is searched through its decoded text when one is given.
        let mut decoded = PayloadSearch::new("sensor lost").expect("a search");
        decoded.step(
            &tree,
            Instant::now() + Duration::from_secs(5),
            &mut |_, m| (m.payload[0] == 0xff).then(|| "{\"status\":\"sensor lost\"}".to_owned()),
        );
        assert_eq!(decoded.hits.len(), 1);
        let hit = &decoded.hits[0];
        assert_eq!(tree.topic_name(hit.node), "bin/blob");
        let text = hit.decoded.as_deref().expect("decoded");
        assert_eq!(&text[hit.start..hit.end], "sensor lost");
    }
}
