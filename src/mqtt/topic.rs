//! Topic names and filters: validation and matching, per MQTT 3.1.1 §4.7 and 5.0 §4.7.
//!
//! One implementation of the `+`, `#` and `$` rules for the whole project: the broker, the
//! window's filters, the latency probe and the subscriptions in profiles all use it. Every
//! walk over levels here is a loop, never recursion, so a topic of 100,000 levels costs time,
//! not stack.

use std::fmt;

/// Levels a topic name or filter may have unless configured otherwise (mosquitto's limit).
pub const DEFAULT_MAX_TOPIC_LEVELS: usize = 200;

/// Bytes a topic name or filter may have: the longest UTF-8 string MQTT can encode.
pub const DEFAULT_MAX_TOPIC_BYTES: usize = 65_535;

/// How deep and how long a topic may be. Going past either is refused with its own error, so a
/// broker can answer with the right reason code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicLimits {
    /// Most levels (`a/b/c` has three).
    pub max_levels: usize,
    /// Most bytes of UTF-8.
    pub max_bytes: usize,
}

impl Default for TopicLimits {
    fn default() -> Self {
        Self {
            max_levels: DEFAULT_MAX_TOPIC_LEVELS,
            max_bytes: DEFAULT_MAX_TOPIC_BYTES,
        }
    }
}

impl TopicLimits {
    /// Only the protocol's own bound (65,535 bytes), for topics that are shown, not routed.
    pub const PROTOCOL: TopicLimits = TopicLimits {
        max_levels: usize::MAX,
        max_bytes: DEFAULT_MAX_TOPIC_BYTES,
    };

    fn check(&self, topic: &str) -> Result<(), TopicError> {
        if topic.len() > self.max_bytes {
            return Err(TopicError::TooLong {
                bytes: topic.len(),
                max: self.max_bytes,
            });
        }
        let levels = level_count(topic);
        if levels > self.max_levels {
            return Err(TopicError::TooManyLevels {
                levels,
                max: self.max_levels,
            });
        }
        Ok(())
    }
}

/// The filters that see every topic: `#` matches no topic starting with `$` (MQTT 5 §4.7.2),
/// so the broker's `$SYS` tree needs its own.
pub const EVERY_TOPIC: [&str; 2] = ["#", "$SYS/#"];

/// Number of levels in a topic or filter: one more than its separators.
pub fn level_count(topic: &str) -> usize {
    topic.bytes().filter(|&b| b == b'/').count() + 1
}

/// Why a topic name or filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    /// Zero-length names and filters are not allowed.
    #[error("topic is empty")]
    Empty,
    /// Topic names (what is published to) cannot contain `+` or `#`.
    #[error("a topic name cannot contain wildcards")]
    WildcardInName,
    /// `#` must be the last level and alone in it; `+` alone in its level.
    #[error("wildcards must fill a whole level, and '#' must be the last level")]
    MisplacedWildcard,
    /// U+0000 is not allowed in any MQTT string.
    #[error("topic contains the NUL character")]
    Nul,
    /// `$share/` filters need a group name and a filter.
    #[error(
        "a shared subscription needs $share/GROUP/FILTER with a non-empty group without wildcards"
    )]
    BadSharedSubscription,
    /// Deeper than the configured limit.
    #[error("topic has {levels} levels, more than the {max} allowed")]
    TooManyLevels {
        /// Levels the topic has.
        levels: usize,
        /// Levels allowed.
        max: usize,
    },
    /// Longer than the configured limit.
    #[error("topic is {bytes} bytes long, more than the {max} allowed")]
    TooLong {
        /// Bytes the topic has.
        bytes: usize,
        /// Bytes allowed.
        max: usize,
    },
}

impl TopicError {
    /// True when the topic is well formed but over a configured limit (a broker answers with
    /// "invalid" reason codes rather than treating the packet as malformed).
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            TopicError::TooManyLevels { .. } | TopicError::TooLong { .. }
        )
    }
}

/// A topic name that messages are published to: no wildcards, not empty, no NUL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName(String);

impl TopicName {
    /// A topic name within the default limits.
    pub fn new(topic: impl Into<String>) -> Result<Self, TopicError> {
        Self::with_limits(topic, &TopicLimits::default())
    }

    /// A topic name within `limits`.
    pub fn with_limits(topic: impl Into<String>, limits: &TopicLimits) -> Result<Self, TopicError> {
        let topic = topic.into();
        Self::validate(&topic, limits)?;
        Ok(Self(topic))
    }

    /// Check `topic` as a topic name without taking it.
    pub fn validate(topic: &str, limits: &TopicLimits) -> Result<(), TopicError> {
        if topic.is_empty() {
            return Err(TopicError::Empty);
        }
        if topic.contains('\0') {
            return Err(TopicError::Nul);
        }
        if topic.contains(['+', '#']) {
            return Err(TopicError::WildcardInName);
        }
        limits.check(topic)
    }

    /// The topic as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The topic as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }

    /// True for topics starting with `$` (`$SYS/…`), which wildcards at the first level do not
    /// match.
    pub fn is_system(&self) -> bool {
        self.0.starts_with('$')
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A topic filter that clients subscribe to: wildcards in whole levels, `#` last, and for
/// shared subscriptions a `$share/GROUP/` prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicFilter {
    text: String,
    /// Where the filter proper starts (after `$share/GROUP/`; 0 when not shared).
    pattern_start: usize,
}

impl TopicFilter {
    /// A topic filter within the default limits.
    pub fn new(filter: impl Into<String>) -> Result<Self, TopicError> {
        Self::with_limits(filter, &TopicLimits::default())
    }

    /// A topic filter within `limits` (which apply to the filter proper, after any
    /// `$share/GROUP/`).
    pub fn with_limits(
        filter: impl Into<String>,
        limits: &TopicLimits,
    ) -> Result<Self, TopicError> {
        let text = filter.into();
        let pattern_start = Self::validate(&text, limits)?;
        Ok(Self {
            text,
            pattern_start,
        })
    }

    /// Check `filter` without taking it; returns where the filter proper starts.
    pub fn validate(filter: &str, limits: &TopicLimits) -> Result<usize, TopicError> {
        if filter.contains('\0') {
            return Err(TopicError::Nul);
        }
        let pattern_start = match filter.strip_prefix("$share/") {
            Some(rest) => {
                let (group, inner) = rest
                    .split_once('/')
                    .ok_or(TopicError::BadSharedSubscription)?;
                if group.is_empty() || group.contains(['+', '#']) || inner.is_empty() {
                    return Err(TopicError::BadSharedSubscription);
                }
                filter.len() - inner.len()
            }
            None => 0,
        };
        let pattern = &filter[pattern_start..];
        if pattern.is_empty() {
            return Err(TopicError::Empty);
        }
        let mut levels = pattern.split('/').peekable();
        while let Some(level) = levels.next() {
            let misplaced_hash = level.contains('#') && (level != "#" || levels.peek().is_some());
            let misplaced_plus = level.contains('+') && level != "+";
            if misplaced_hash || misplaced_plus {
                return Err(TopicError::MisplacedWildcard);
            }
        }
        limits.check(pattern)?;
        Ok(pattern_start)
    }

    /// The filter as sent, `$share/GROUP/` included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The filter proper: what topics are matched against (without `$share/GROUP/`).
    pub fn pattern(&self) -> &str {
        &self.text[self.pattern_start..]
    }

    /// The shared-subscription group, for `$share/GROUP/…` filters.
    pub fn shared_group(&self) -> Option<&str> {
        (self.pattern_start > 0).then(|| &self.text["$share/".len()..self.pattern_start - 1])
    }

    /// True when the filter has a `+` or `#` level.
    pub fn has_wildcards(&self) -> bool {
        self.pattern().contains(['+', '#'])
    }

    /// Whether this filter matches `topic`.
    pub fn matches(&self, topic: &str) -> bool {
        matches(self.pattern(), topic)
    }

    /// The filter as an owned string, `$share/GROUP/` included.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Display for TopicFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for TopicFilter {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Which of two filters that match the same topic is the more specific: level by level from the
/// left, a literal level beats `+`, which beats `#`; then the longer filter (but `a` beats
/// `a/#`). So
/// `factory/line1/+` > `factory/+/telemetry` > `factory/#` > `#`.
pub fn specificity_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn rank(level: &str) -> u8 {
        match level {
            "#" => 0,
            "+" => 1,
            _ => 2,
        }
    }
    let mut left = a.split('/');
    let mut right = b.split('/');
    loop {
        match (left.next(), right.next()) {
            (Some(x), Some(y)) => match rank(x).cmp(&rank(y)) {
                std::cmp::Ordering::Equal => {}
                unequal => return unequal,
            },
            // `a/#` also matches `a` itself, but less specifically than `a`.
            (Some("#"), None) => return std::cmp::Ordering::Less,
            (None, Some("#")) => return std::cmp::Ordering::Greater,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (None, None) => return std::cmp::Ordering::Equal,
        }
    }
}

/// Whether the filter proper `filter` (valid, without `$share/GROUP/`) matches the topic name
/// `topic`. Topics starting with `$` are not matched by a filter that starts with a wildcard
/// (MQTT 5.0 §4.7.2). A loop over levels: no recursion, whatever the depth.
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of MQTT 5.0 §4.7.1 and §4.7.2 (and 3.1.1 §4.7), then edge cases.
    #[test]
    fn matching_follows_the_specification() {
        let cases: &[(&str, &str, bool)] = &[
            // §4.7.1.2: multi-level wildcard.
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/ranking",
                true,
            ),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
                true,
            ),
            ("sport/#", "sport", true),
            ("#", "sport/tennis", true),
            // §4.7.1.3: single-level wildcard.
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player2", true),
            ("sport/tennis/+", "sport/tennis/player1/ranking", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            // §4.7.2: topics beginning with $.
            ("#", "$SYS/broker/uptime", false),
            ("+/monitor/Clients", "$SYS/monitor/Clients", false),
            ("$SYS/#", "$SYS/monitor/Clients", true),
            ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
            // §4.7.3: case-sensitive, empty levels distinct.
            ("ACCOUNTS", "Accounts", false),
            ("a//b", "a//b", true),
            ("a/+/b", "a//b", true),
            ("a", "a/", false),
            ("a/+/#", "a/b", true),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(matches(filter, topic), *expected, "{filter} vs {topic}");
            let filter = TopicFilter::new(*filter).expect("the table's filters are valid");
            assert_eq!(filter.matches(topic), *expected, "{filter} vs {topic}");
        }
    }

    #[test]
    fn filters_are_validated() {
        let valid = [
            "#",
            "+",
            "a/+/b",
            "a/#",
            "+/+/#",
            "/",
            "a//b",
            "$SYS/#",
            "sport/+/player1",
            "+/tennis/#",
        ];
        for filter in valid {
            assert!(TopicFilter::new(filter).is_ok(), "{filter}");
        }
        let invalid: &[(&str, TopicError)] = &[
            ("", TopicError::Empty),
            ("sport/tennis#", TopicError::MisplacedWildcard),
            ("sport/tennis/#/ranking", TopicError::MisplacedWildcard),
            ("sport+", TopicError::MisplacedWildcard),
            ("+a/b", TopicError::MisplacedWildcard),
            ("##", TopicError::MisplacedWildcard),
            ("a\0b", TopicError::Nul),
            ("$share/g1", TopicError::BadSharedSubscription),
            ("$share//a", TopicError::BadSharedSubscription),
            ("$share/g+/a", TopicError::BadSharedSubscription),
            ("$share/g/", TopicError::BadSharedSubscription),
        ];
        for (filter, error) in invalid {
            assert_eq!(
                TopicFilter::new(*filter).err().as_ref(),
                Some(error),
                "{filter:?}"
            );
        }
    }

    #[test]
    fn names_are_validated() {
        for name in ["a/b", "/", "a//b", "$SYS/x", " ", "sport/tennis/player1"] {
            assert!(TopicName::new(name).is_ok(), "{name}");
        }
        let invalid: &[(&str, TopicError)] = &[
            ("", TopicError::Empty),
            ("a/+", TopicError::WildcardInName),
            ("a/#", TopicError::WildcardInName),
            ("a+b", TopicError::WildcardInName),
            ("a\0b", TopicError::Nul),
        ];
        for (name, error) in invalid {
            assert_eq!(
                TopicName::new(*name).err().as_ref(),
                Some(error),
                "{name:?}"
            );
        }
        assert!(TopicName::new("$SYS/uptime").is_ok_and(|t| t.is_system()));
    }

    #[test]
    fn shared_subscriptions_split() {
        let shared = TopicFilter::new("$share/g1/a/+").expect("valid");
        assert_eq!(shared.shared_group(), Some("g1"));
        assert_eq!(shared.pattern(), "a/+");
        assert!(shared.matches("a/b"));
        assert!(!shared.matches("$share/g1/a/b"));
        let plain = TopicFilter::new("a/b").expect("valid");
        assert_eq!((plain.shared_group(), plain.pattern()), (None, "a/b"));
        assert!(!plain.has_wildcards() && shared.has_wildcards());
    }

    #[test]
    fn limits_bound_depth_and_length_without_recursion() {
        let limits = TopicLimits {
            max_levels: 3,
            max_bytes: 10,
        };
        assert!(TopicName::with_limits("a/b/c", &limits).is_ok());
        assert_eq!(
            TopicName::with_limits("a/b/c/d", &limits),
            Err(TopicError::TooManyLevels { levels: 4, max: 3 })
        );
        assert_eq!(
            TopicFilter::with_limits("abcdefghijk", &limits),
            Err(TopicError::TooLong { bytes: 11, max: 10 })
        );
        assert!(
            TopicFilter::with_limits("$share/group/a/b/#", &limits).is_ok(),
            "limits apply after $share/GROUP/"
        );
        assert!(TopicError::TooLong { bytes: 1, max: 0 }.is_limit());
        // 100,000 levels: refused by the default limit, and matched in a loop when allowed.
        let deep = vec!["x"; 100_000].join("/");
        assert!(matches!(
            TopicName::new(deep.clone()),
            Err(TopicError::TooLong { .. })
        ));
        let unbounded = TopicLimits {
            max_levels: usize::MAX,
            max_bytes: usize::MAX,
        };
        let filter =
            TopicFilter::with_limits(format!("{}/#", vec!["+"; 99_999].join("/")), &unbounded)
                .expect("valid without limits");
        assert!(filter.matches(&deep));
        assert!(matches(&deep, &deep));
    }

    #[test]
    fn the_most_specific_filter_wins() {
        use std::cmp::Ordering::*;
        let cases = [
            ("factory/line1/+", "factory/+/telemetry", Greater),
            ("factory/+/telemetry", "factory/#", Greater),
            ("factory/#", "#", Greater),
            ("factory/line1/telemetry", "factory/line1/+", Greater),
            ("+/+", "+/+/#", Greater),
            ("a/b", "a/b", Equal),
        ];
        for (a, b, expected) in cases {
            assert_eq!(specificity_cmp(a, b), expected, "{a} vs {b}");
            assert_eq!(specificity_cmp(b, a), expected.reverse(), "{b} vs {a}");
        }
    }
}
