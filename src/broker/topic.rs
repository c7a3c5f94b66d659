//! Topic names and filters: validation and matching, per MQTT 3.1.1 §4.7 and 5.0 §4.7.

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
    #[error("wildcards must fill a whole level, and '#' must be last")]
    MisplacedWildcard,
    /// The NUL character is not allowed.
    #[error("topic contains the NUL character")]
    Nul,
    /// `$share/` filters need a group name and a filter.
    #[error(
        "a shared subscription needs $share/GROUP/FILTER with a non-empty group without wildcards"
    )]
    BadSharedSubscription,
}

/// Check a topic name that a client publishes to.
pub fn validate_name(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.contains('\0') {
        return Err(TopicError::Nul);
    }
    if topic.contains(['+', '#']) {
        return Err(TopicError::WildcardInName);
    }
    Ok(())
}

/// Check a topic filter that a client subscribes to (after any `$share/group/` prefix).
pub fn validate_filter(filter: &str) -> Result<(), TopicError> {
    if filter.is_empty() {
        return Err(TopicError::Empty);
    }
    if filter.contains('\0') {
        return Err(TopicError::Nul);
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let has_hash = level.contains('#');
        let has_plus = level.contains('+');
        if (has_hash && (*level != "#" || i + 1 != levels.len())) || (has_plus && *level != "+") {
            return Err(TopicError::MisplacedWildcard);
        }
    }
    Ok(())
}

/// A subscription filter split into its shared-subscription group (if any) and the filter proper.
pub fn split_shared(filter: &str) -> Result<(Option<&str>, &str), TopicError> {
    let Some(rest) = filter.strip_prefix("$share/") else {
        return Ok((None, filter));
    };
    let (group, inner) = rest
        .split_once('/')
        .ok_or(TopicError::BadSharedSubscription)?;
    if group.is_empty() || group.contains(['+', '#']) || inner.is_empty() {
        return Err(TopicError::BadSharedSubscription);
    }
    Ok((Some(group), inner))
}

/// Whether `filter` matches `topic`. Topics starting with `$` are not matched by a filter that
/// starts with a wildcard (MQTT 5.0 §4.7.2).
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

    #[test]
    fn matching_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("a/b/c", "a/b/c", true),
            ("a/+/c", "a/b/c", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a/b/c", true),
            ("a/#", "a", true), // '#' also matches the parent level
            ("#", "a/b", true),
            ("+/+", "a/b", true),
            ("+", "a/b", false),
            ("a/+/#", "a/b", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/broker/uptime", true),
            ("a//b", "a//b", true),
            ("a/+/b", "a//b", true),
            ("+/a", "/a", true),
            ("a", "a/", false),
            ("a/+", "a/", true),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(matches(filter, topic), *expected, "{filter} vs {topic}");
        }
    }

    #[test]
    fn validation_table() {
        for ok in ["#", "+", "a/+/b", "a/#", "+/+/#", "/", "a//b", "$SYS/#"] {
            assert_eq!(validate_filter(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a#", "a/#/b", "a+", "+a/b", "a/b+", "##"] {
            assert!(validate_filter(bad).is_err(), "{bad}");
        }
        assert_eq!(validate_name("a/b"), Ok(()));
        assert_eq!(validate_name("a/+"), Err(TopicError::WildcardInName));
        assert_eq!(validate_name(""), Err(TopicError::Empty));
        assert_eq!(validate_name("a\0b"), Err(TopicError::Nul));
    }

    #[test]
    fn shared_subscriptions_split() {
        assert_eq!(split_shared("$share/g1/a/+"), Ok((Some("g1"), "a/+")));
        assert_eq!(split_shared("a/b"), Ok((None, "a/b")));
        assert!(split_shared("$share/g1").is_err());
        assert!(split_shared("$share//a").is_err());
        assert!(split_shared("$share/g+/a").is_err());
    }
}
