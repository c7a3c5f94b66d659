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
