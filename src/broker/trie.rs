//! Subscription index: a trie over topic levels, so matching a topic walks its levels instead of
//! testing every filter.

use rustc_hash::FxHashMap;
use std::hash::Hash;

/// Filters by level, with values (subscriptions) keyed by `K` (who subscribed).
#[derive(Debug)]
pub struct SubscriptionTrie<K, V> {
    root: TrieNode<K, V>,
    len: usize,
}

#[derive(Debug)]
struct TrieNode<K, V> {
    children: FxHashMap<Box<str>, TrieNode<K, V>>,
    plus: Option<Box<TrieNode<K, V>>>,
    /// Filters that end at this level (`a/b` stored at node `b`).
    exact: FxHashMap<K, V>,
    /// Filters that end with `#` below this level (`a/#` stored at node `a`).
    hash: FxHashMap<K, V>,
}

impl<K, V> Default for TrieNode<K, V> {
    fn default() -> Self {
        Self {
            children: FxHashMap::default(),
            plus: None,
            exact: FxHashMap::default(),
            hash: FxHashMap::default(),
        }
    }
}

impl<K, V> TrieNode<K, V> {
    fn is_empty(&self) -> bool {
        self.children.is_empty()
            && self.plus.is_none()
            && self.exact.is_empty()
            && self.hash.is_empty()
    }
}

impl<K: Eq + Hash + Clone, V> Default for SubscriptionTrie<K, V> {
    fn default() -> Self {
        Self {
            root: TrieNode::default(),
            len: 0,
        }
    }
}

impl<K: Eq + Hash + Clone, V> SubscriptionTrie<K, V> {
    /// Add or replace the value of `key` under a valid `filter`. Returns the old value.
    pub fn insert(&mut self, filter: &str, key: K, value: V) -> Option<V> {
        let mut node = &mut self.root;
        let levels: Vec<&str> = filter.split('/').collect();
        let (last, parents) = levels.split_last()?;
        let slots = if *last == "#" {
            for level in parents {
                node = step_mut(node, level);
            }
            &mut node.hash
        } else {
            for level in levels.iter() {
                node = step_mut(node, level);
            }
            &mut node.exact
        };
        let old = slots.insert(key, value);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Remove `key` from `filter`. Returns the removed value.
    pub fn remove(&mut self, filter: &str, key: &K) -> Option<V> {
        let levels: Vec<&str> = filter.split('/').collect();
        let removed = remove_at(&mut self.root, &levels, key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Call `found` for every (key, value) whose filter matches `topic`.
    pub fn for_each_match(&self, topic: &str, mut found: impl FnMut(&K, &V)) {
        let levels: Vec<&str> = topic.split('/').collect();
        let dollar = topic.starts_with('$');
        walk(&self.root, &levels, true, dollar, &mut found);
    }

    /// Number of (filter, key) entries.
    pub fn len(&self) -> usize {
        self.len
    }
}

fn step_mut<'a, K, V>(node: &'a mut TrieNode<K, V>, level: &str) -> &'a mut TrieNode<K, V> {
    if level == "+" {
        node.plus.get_or_insert_with(Box::default)
    } else {
        node.children.entry(level.into()).or_default()
    }
}

fn remove_at<K: Eq + Hash, V>(node: &mut TrieNode<K, V>, levels: &[&str], key: &K) -> Option<V> {
    match levels {
        [] => node.exact.remove(key),
        ["#"] => node.hash.remove(key),
        [level, rest @ ..] => {
            let removed;
            if *level == "+" {
                let child = node.plus.as_mut()?;
                removed = remove_at(child, rest, key);
                if child.is_empty() {
                    node.plus = None;
                }
            } else {
                let child = node.children.get_mut(*level)?;
                removed = remove_at(child, rest, key);
                if child.is_empty() {
                    node.children.remove(*level);
                }
            }
            removed
        }
    }
}

fn walk<K, V>(
    node: &TrieNode<K, V>,
    levels: &[&str],
    first: bool,
    dollar: bool,
    found: &mut impl FnMut(&K, &V),
) {
    // A wildcard in the first level never matches a `$` topic.
    let wildcards = !(first && dollar);
    if wildcards {
        for (key, value) in &node.hash {
            found(key, value);
        }
    }
    let Some((head, rest)) = levels.split_first() else {
        for (key, value) in &node.exact {
            found(key, value);
        }
        return;
    };
    if let Some(child) = node.children.get(*head) {
        walk(child, rest, false, dollar, found);
    }
    if wildcards && let Some(plus) = &node.plus {
        walk(plus, rest, false, dollar, found);
    }
}

#[cfg(test)]
mod tests {
    use super::super::topic::matches;
    use super::*;

    fn matching(trie: &SubscriptionTrie<String, ()>, topic: &str) -> Vec<String> {
        let mut keys = Vec::new();
        trie.for_each_match(topic, |key, _| keys.push(key.clone()));
        keys.sort();
        keys
    }

    #[test]
    fn agrees_with_the_reference_matcher() {
        let filters = [
            "#", "+", "a", "a/#", "a/+", "a/b", "a/+/c", "+/b/#", "a//b", "+/+", "$SYS/#",
            "$SYS/+/x", "/a", "+/a",
        ];
        let topics = [
            "a", "a/b", "a/b/c", "a//b", "x/b/y", "$SYS/q/x", "$SYS", "/a", "b", "a/",
        ];
        let mut trie = SubscriptionTrie::default();
        for filter in filters {
            trie.insert(filter, filter.to_owned(), ());
        }
        assert_eq!(trie.len(), filters.len());
        for topic in topics {
            let mut expected: Vec<String> = filters
                .iter()
                .filter(|f| matches(f, topic))
                .map(|f| f.to_string())
                .collect();
            expected.sort();
            assert_eq!(matching(&trie, topic), expected, "topic {topic}");
        }
    }

    #[test]
    fn remove_prunes_and_counts() {
        let mut trie: SubscriptionTrie<String, ()> = SubscriptionTrie::default();
        trie.insert("a/+/c", "x".into(), ());
        trie.insert("a/#", "x".into(), ());
        trie.insert("a/#", "y".into(), ());
        assert_eq!(
            trie.insert("a/#", "y".into(), ()),
            Some(()),
            "replacing is not adding"
        );
        assert_eq!(trie.len(), 3);
        assert_eq!(trie.remove("a/+/c", &"x".into()), Some(()));
        assert_eq!(trie.remove("a/+/c", &"x".into()), None);
        assert_eq!(trie.remove("nope/#", &"x".into()), None);
        assert_eq!(matching(&trie, "a/b/c"), vec!["x", "y"]);
        trie.remove("a/#", &"x".into());
        trie.remove("a/#", &"y".into());
        assert_eq!(trie.len(), 0);
        assert!(trie.root.is_empty(), "empty branches are pruned");
    }
}
