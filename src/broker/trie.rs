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

/// Dismantles the subtree with an explicit stack: the default drop recurses once per level,
/// and a deep filter would overflow the thread's stack.
impl<K, V> Drop for TrieNode<K, V> {
    fn drop(&mut self) {
        let mut stack: Vec<TrieNode<K, V>> = self.children.drain().map(|(_, c)| c).collect();
        stack.extend(self.plus.take().map(|plus| *plus));
        while let Some(mut node) = stack.pop() {
            stack.extend(node.children.drain().map(|(_, c)| c));
            stack.extend(node.plus.take().map(|plus| *plus));
        }
    }
}

impl<K, V> TrieNode<K, V> {
    #[cfg(test)]
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

    /// Remove `key` from `filter`, pruning branches left empty. Returns the removed value.
    pub fn remove(&mut self, filter: &str, key: &K) -> Option<V> {
        let levels: Vec<&str> = filter.split('/').collect();
        let (last, parents) = levels.split_last()?;
        let (path, at_hash) = if *last == "#" {
            (parents, true)
        } else {
            (levels.as_slice(), false)
        };
        let removed = {
            let mut node = &mut self.root;
            for level in path {
                node = step_existing(node, level)?;
            }
            let slots = if at_hash {
                &mut node.hash
            } else {
                &mut node.exact
            };
            slots.remove(key)?
        };
        self.len -= 1;
        self.prune(path);
        Some(removed)
    }

    /// Cut off the deepest run of nodes along `path` that hold nothing but the path itself.
    /// One read-only walk finds where the run starts, one more walk cuts it: O(depth).
    fn prune(&mut self, path: &[&str]) {
        // `holds_only_path[d]`: the node reached after `path[..=d]` has no subscriptions and
        // no child besides the next level of `path`.
        let mut holds_only_path = Vec::with_capacity(path.len());
        let mut node = &self.root;
        for (depth, level) in path.iter().enumerate() {
            let Some(child) = step(node, level) else {
                return;
            };
            let next = path.get(depth + 1);
            let other_children = child.children.len()
                - usize::from(next.is_some_and(|n| *n != "+" && child.children.contains_key(*n)));
            let other_plus = child.plus.is_some() && next != Some(&"+");
            holds_only_path.push(
                child.exact.is_empty()
                    && child.hash.is_empty()
                    && other_children == 0
                    && !other_plus,
            );
            node = child;
        }
        let kept = holds_only_path
            .iter()
            .rposition(|only| !only)
            .map_or(0, |d| d + 1);
        if kept == path.len() {
            return;
        }
        let mut parent = &mut self.root;
        for level in &path[..kept] {
            match step_existing(parent, level) {
                Some(next) => parent = next,
                None => return,
            }
        }
        // Dropping the cut branch is iterative too (see `TrieNode`'s `Drop`).
        if path[kept] == "+" {
            parent.plus = None;
        } else {
            parent.children.remove(path[kept]);
        }
    }

    /// Call `found` for every (key, value) whose filter matches `topic`. An explicit stack of
    /// (node, level) pairs instead of recursion: a topic of any depth uses no thread stack.
    pub fn for_each_match(&self, topic: &str, mut found: impl FnMut(&K, &V)) {
        let levels: Vec<&str> = topic.split('/').collect();
        // A wildcard in the first level never matches a `$` topic.
        let dollar = topic.starts_with('$');
        let mut stack: Vec<(&TrieNode<K, V>, usize)> = vec![(&self.root, 0)];
        while let Some((node, depth)) = stack.pop() {
            let wildcards = !(depth == 0 && dollar);
            if wildcards {
                for (key, value) in &node.hash {
                    found(key, value);
                }
            }
            let Some(head) = levels.get(depth) else {
                for (key, value) in &node.exact {
                    found(key, value);
                }
                continue;
            };
            if let Some(child) = node.children.get(*head) {
                stack.push((child, depth + 1));
            }
            if wildcards && let Some(plus) = &node.plus {
                stack.push((plus, depth + 1));
            }
        }
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

fn step<'a, K, V>(node: &'a TrieNode<K, V>, level: &str) -> Option<&'a TrieNode<K, V>> {
    if level == "+" {
        node.plus.as_deref()
    } else {
        node.children.get(level)
    }
}

fn step_existing<'a, K, V>(
    node: &'a mut TrieNode<K, V>,
    level: &str,
) -> Option<&'a mut TrieNode<K, V>> {
    if level == "+" {
        node.plus.as_deref_mut()
    } else {
        node.children.get_mut(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::matches;

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

    #[test]
    fn pruning_keeps_branches_still_in_use() {
        let mut trie: SubscriptionTrie<String, ()> = SubscriptionTrie::default();
        trie.insert("a/b/c/d", "x".into(), ());
        trie.insert("a/b", "y".into(), ());
        trie.insert("a/+/c/#", "z".into(), ());
        assert_eq!(trie.remove("a/b/c/d", &"x".into()), Some(()));
        assert_eq!(matching(&trie, "a/b"), vec!["y"]);
        assert_eq!(matching(&trie, "a/q/c/r"), vec!["z"]);
        assert!(trie.root.children["a"].children["b"].children.is_empty());
        trie.remove("a/+/c/#", &"z".into());
        trie.remove("a/b", &"y".into());
        assert!(trie.root.is_empty());
    }

    /// 100,000 levels (far past any limit a broker sets, and past what recursion survived on a
    /// 2 MiB thread stack): insert, match and remove must not touch the stack per level.
    #[test]
    fn deep_filters_use_no_stack() {
        let deep = vec!["l"; 100_000].join("/");
        let deep_plus = format!("{}/#", vec!["+"; 50_000].join("/"));
        let worker = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut trie: SubscriptionTrie<String, ()> = SubscriptionTrie::default();
                trie.insert(&deep, "exact".into(), ());
                trie.insert(&deep_plus, "plus".into(), ());
                assert_eq!(matching(&trie, &deep), vec!["exact", "plus"]);
                assert_eq!(trie.remove(&deep, &"exact".into()), Some(()));
                assert_eq!(trie.remove(&deep_plus, &"plus".into()), Some(()));
                assert!(trie.root.is_empty());
                // Dropping a deep trie must not recurse either.
                trie.insert(&deep, "again".into(), ());
                drop(trie);
            })
            .expect("thread");
        assert!(
            worker.join().is_ok(),
            "a deep filter overflowed a 64 KiB stack"
        );
    }
}
