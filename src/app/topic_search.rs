//! What the tree's filter box matches: a part of the topic (case-insensitive), an MQTT topic
//! filter when the text has `+` or `#` (matched with the broker's rules: `home/+/temp`,
//! `zigbee2mqtt/#`; `#` does not match `$SYS`), or a regular expression when asked.

use crate::mqtt::TopicFilter;

/// A compiled filter box.
pub enum TopicMatcher {
    /// A part of the topic, lowercased; paths are lowercased to compare.
    Substring(String),
    /// An MQTT topic filter.
    Filter(TopicFilter),
    /// A regular expression, searched anywhere in the topic.
    Regex(regex::Regex),
}

impl TopicMatcher {
    /// The matcher for `text`; `None` for an empty box. Errors name what is wrong.
    pub fn new(text: &str, regex: bool) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if regex {
            return regex::RegexBuilder::new(text)
                .size_limit(1 << 20)
                .build()
                .map(|r| Some(TopicMatcher::Regex(r)))
                .map_err(|e| format!("Not a regular expression: {e}"));
        }
        if text.contains(['+', '#']) {
            return TopicFilter::new(text)
                .map(|f| Some(TopicMatcher::Filter(f)))
                .map_err(|e| format!("Not an MQTT topic filter: {e}"));
        }
        Ok(Some(TopicMatcher::Substring(text.to_lowercase())))
    }

    /// Whether paths are compared lowercased.
    pub fn lowercase(&self) -> bool {
        matches!(self, TopicMatcher::Substring(_))
    }

    /// Whether the full topic `path` (lowercased when [`Self::lowercase`]) matches.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            TopicMatcher::Substring(needle) => path.contains(needle.as_str()),
            TopicMatcher::Filter(filter) => filter.matches(path),
            TopicMatcher::Regex(regex) => regex.is_match(path),
        }
    }
}

/// Filtering the tree, a slice at a time: a depth-first walk that builds each path as it goes,
/// marks matching topics and their ancestors, and can stop at a deadline and go on later, so a
/// tree of a million topics is filtered across frames without freezing the window.
pub struct FilterPass {
    matcher: TopicMatcher,
    stack: Vec<(crate::model::NodeId, String)>,
    order: Vec<crate::model::NodeId>,
    keep: Vec<bool>,
    matches: Vec<crate::model::NodeId>,
    /// Nodes visited so far, for the progress shown meanwhile.
    pub visited: usize,
}

impl FilterPass {
    /// A pass over `tree` for `matcher`.
    pub fn new(tree: &crate::model::TopicTree, matcher: TopicMatcher) -> Self {
        let mut pass = Self {
            matcher,
            stack: Vec::new(),
            order: Vec::new(),
            keep: vec![false; tree.node_count()],
            matches: Vec::new(),
            visited: 0,
        };
        pass.stack = tree
            .root()
            .children()
            .iter()
            .rev()
            .map(|&id| (id, pass.segment(tree, id)))
            .collect();
        pass
    }

    fn segment(&self, tree: &crate::model::TopicTree, id: crate::model::NodeId) -> String {
        if self.matcher.lowercase() {
            tree.segment(id).to_lowercase()
        } else {
            tree.segment(id).to_owned()
        }
    }

    /// Walk on until `deadline` (to the end without one). True when the walk is complete.
    pub fn step(
        &mut self,
        tree: &crate::model::TopicTree,
        deadline: Option<std::time::Instant>,
    ) -> bool {
        use crate::model::{Node, NodeId};
        while let Some((id, path)) = self.stack.pop() {
            self.visited += 1;
            self.order.push(id);
            // Topics match (a grouping level shows as the ancestor of its matching topics).
            if tree.node(id).is_some_and(Node::is_topic) && self.matcher.matches(&path) {
                self.matches.push(id);
                let mut cursor = Some(id);
                while let Some(current) = cursor.filter(|&c| c != NodeId::ROOT) {
                    // Nodes added since the pass began are beyond `keep`: kept by default.
                    match self.keep.get_mut(current.index()) {
                        Some(kept) if *kept => break,
                        Some(kept) => *kept = true,
                        None => {}
                    }
                    cursor = tree.node(current).and_then(|n| n.parent());
                }
            }
            if let Some(node) = tree.node(id) {
                for &child in node.children().iter().rev() {
                    let segment = self.segment(tree, child);
                    self.stack.push((child, format!("{path}/{segment}")));
                }
            }
            if self.visited.is_multiple_of(1024)
                && deadline.is_some_and(|d| std::time::Instant::now() >= d)
            {
                return self.stack.is_empty();
            }
        }
        true
    }

    /// The rows to show (matching topics and their ancestors, in tree order) and the matches.
    pub fn finish(self) -> (Vec<crate::model::NodeId>, Vec<crate::model::NodeId>) {
        let keep = self.keep;
        let rows = self
            .order
            .into_iter()
            .filter(|id| keep.get(id.index()).is_none_or(|&k| k))
            .collect();
        (rows, self.matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(text: &str, regex: bool, topic: &str) -> bool {
        let matcher = TopicMatcher::new(text, regex)
            .expect("valid")
            .expect("not empty");
        let path = if matcher.lowercase() {
            topic.to_lowercase()
        } else {
            topic.to_owned()
        };
        matcher.matches(&path)
    }

    #[test]
    fn substring_filter_and_regex() {
        assert!(matches("Kitchen", false, "home/kitchen/temp"));
        assert!(matches("home/+/temp", false, "home/kitchen/temp"));
        assert!(!matches("home/+/temp", false, "home/kitchen/humidity"));
        assert!(matches("zigbee2mqtt/#", false, "zigbee2mqtt"));
        assert!(matches("zigbee2mqtt/#", false, "zigbee2mqtt/lamp/set"));
        assert!(
            !matches("#", false, "$SYS/broker/uptime"),
            "the broker's rule for $ topics"
        );
        assert!(
            !matches("Home/+/temp", false, "home/kitchen/temp"),
            "filters are case-sensitive"
        );
        assert!(matches(r"^plant/\d+/temp$", true, "plant/12/temp"));
        assert!(!matches(r"^plant/\d+/temp$", true, "plant/x/temp"));
        assert!(matches("(?i)KITCHEN", true, "home/kitchen"));
        assert!(TopicMatcher::new("   ", false).expect("empty").is_none());
        let bad = TopicMatcher::new("home/#/x", false).err().expect("refused");
        assert!(bad.starts_with("Not an MQTT topic filter"), "{bad}");
        let bad = TopicMatcher::new("plant/(", true).err().expect("refused");
        assert!(bad.starts_with("Not a regular expression"), "{bad}");
    }
}
