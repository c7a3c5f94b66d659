//! Tests of the topic tree: structure, counters, history and its budget.

use super::*;

fn names(tree: &TopicTree, ids: &[NodeId]) -> Vec<String> {
    ids.iter().map(|&id| tree.segment(id).to_owned()).collect()
}

#[test]
fn insert_and_lookup() {
    let tree = TopicTree::example();
    let temp = tree.find("home/kitchen/temp").expect("temp is known");
    assert_eq!(tree.topic_name(temp), "home/kitchen/temp");
    assert_eq!(tree.segment(temp), "temp");
    let node = tree.node(temp).expect("node exists");
    assert_eq!(node.message_count, 2);
    assert_eq!(
        node.last_message().map(|m| &m.payload[..]),
        Some(&b"21.7"[..])
    );
    assert!(tree.find("home/garage").is_none());
    let kitchen = tree
        .find("home/kitchen")
        .expect("intermediate level is findable");
    assert!(!tree.node(kitchen).expect("node").is_topic());
}

#[test]
fn counters_roll_up_the_tree() {
    let tree = TopicTree::example();
    let home = tree.find("home").expect("home");
    let home = tree.node(home).expect("node");
    assert_eq!(home.subtree_topic_count, 3);
    assert_eq!(home.subtree_message_count, 4);
    let expected_bytes = (4 + 2 + 4 + r#"{"on":true,"brightness":80}"#.len()) as u64;
    assert_eq!(home.subtree_payload_bytes, expected_bytes);
    assert_eq!(tree.root().subtree_message_count, 6);
    assert_eq!(tree.topic_count(), 5);
    assert_eq!(tree.total_messages(), 6);
}

#[test]
fn first_level_children_sorted_with_sys_last() {
    let tree = TopicTree::example();
    assert_eq!(
        names(&tree, tree.root().children()),
        vec!["factory", "home", "$SYS"]
    );
}

#[test]
fn children_sorted_naturally_across_batches() {
    let mut tree = TopicTree::default();
    tree.apply(vec![
        Incoming::new("s/sensor10", "1"),
        Incoming::new("s/sensor2", "1"),
    ]);
    tree.insert(Incoming::new("s/sensor1", "1"));
    let s = tree.find("s").expect("s");
    let children = tree.node(s).expect("node").children().to_vec();
    assert_eq!(
        names(&tree, &children),
        vec!["sensor1", "sensor2", "sensor10"]
    );
}

#[test]
fn history_is_bounded_and_keeps_the_newest() {
    let mut tree = TopicTree::new(3);
    let batch = (0..10)
        .map(|i| Incoming::new("a/b", i.to_string()))
        .collect();
    tree.apply(batch);
    let node = tree.node(tree.find("a/b").expect("a/b")).expect("node");
    let kept: Vec<_> = node.history().iter().map(|m| m.payload.clone()).collect();
    assert_eq!(kept, vec!["7", "8", "9"]);
    assert_eq!(node.message_count, 10);
    assert_eq!(
        node.message_by_seq(8).map(|m| m.payload.clone()),
        Some("8".into())
    );
    assert!(node.message_by_seq(2).is_none(), "evicted");
}

#[test]
fn dollar_topics_are_their_own_branch() {
    let mut tree = TopicTree::default();
    tree.insert(Incoming::new("$SYS/broker/clients/connected", "3"));
    tree.insert(Incoming::new("sensors/x", "1"));
    let sys = tree.find("$SYS").expect("$SYS");
    assert_eq!(tree.node(sys).expect("node").parent(), Some(NodeId::ROOT));
    assert_eq!(
        tree.topic_name(tree.find("$SYS/broker/clients/connected").expect("t")),
        "$SYS/broker/clients/connected"
    );
    assert_eq!(
        names(&tree, tree.root().children()),
        vec!["sensors", "$SYS"]
    );
}

#[test]
fn empty_levels_are_kept_distinct() {
    let mut tree = TopicTree::default();
    let double = tree.insert(Incoming::new("a//b", "1"));
    let single = tree.insert(Incoming::new("a/b", "2"));
    let leading = tree.insert(Incoming::new("/a", "3"));
    let trailing = tree.insert(Incoming::new("a/", "4"));
    assert_ne!(double, single);
    assert_eq!(tree.topic_name(double), "a//b");
    assert_eq!(tree.topic_name(leading), "/a");
    assert_eq!(tree.topic_name(trailing), "a/");
    assert_eq!(tree.path_to(double).len(), 3);
    let empty_root = tree.find("").expect("the empty first level exists");
    assert_eq!(tree.segment(empty_root), "");
    assert_eq!(tree.node(empty_root).expect("node").depth(), 1);
    assert_eq!(tree.topic_count(), 4);
    // "/a" and "a" are different topics.
    assert!(tree.find("a").is_some());
    assert_ne!(tree.find("a"), tree.find("/a"));
}

#[test]
fn retained_flag_follows_retained_messages() {
    let mut tree = TopicTree::default();
    let id = tree.insert(Incoming::new("dev/status", "online").retained());
    assert!(tree.node(id).expect("node").retained);
    // A live (non-retained) message does not change what the broker retains.
    tree.insert(Incoming::new("dev/status", "still online"));
    assert!(tree.node(id).expect("node").retained);
    // An empty retained publish deletes the retained message.
    tree.insert(Incoming::new("dev/status", "").retained());
    assert!(!tree.node(id).expect("node").retained);
}

#[test]
fn retained_topics_under_a_subtree() {
    let mut tree = TopicTree::example();
    tree.insert(Incoming::new("home/kitchen/state", "on").retained());
    assert_eq!(
        tree.retained_topics_under(tree.find("home").expect("home")),
        vec!["home/kitchen/state", "home/livingroom/lamp"]
    );
    tree.forget_retained("home/kitchen/state");
    assert_eq!(
        tree.retained_topics_under(NodeId::ROOT),
        vec!["home/livingroom/lamp"]
    );
    assert_eq!(
        tree.descendants(tree.find("factory").expect("factory"))
            .len(),
        2
    );
}

#[test]
fn structure_version_moves_only_for_new_nodes() {
    let mut tree = TopicTree::default();
    tree.insert(Incoming::new("a/b", "1"));
    let version = tree.structure_version();
    tree.insert(Incoming::new("a/b", "2"));
    assert_eq!(tree.structure_version(), version);
    tree.insert(Incoming::new("a/c", "3"));
    assert!(tree.structure_version() > version);
}

#[test]
fn path_to_lists_ancestors_in_order() {
    let tree = TopicTree::example();
    let temp = tree.find("home/kitchen/temp").expect("temp");
    let path = tree.path_to(temp);
    assert_eq!(names(&tree, &path), vec!["home", "kitchen", "temp"]);
}

#[test]
fn many_topics_stay_consistent() {
    let mut tree = TopicTree::new(2);
    let batch: Vec<_> = (0..10_000)
        .map(|i| Incoming::new(format!("fleet/{}/dev{}", i % 10, i), "x"))
        .collect();
    tree.apply(batch);
    assert_eq!(tree.topic_count(), 10_000);
    assert_eq!(tree.node_count(), 1 + 1 + 10 + 10_000);
    let fleet = tree.node(tree.find("fleet").expect("fleet")).expect("node");
    assert_eq!(fleet.subtree_topic_count, 10_000);
    for i in [0, 4_321, 9_999] {
        let id = tree
            .find(&format!("fleet/{}/dev{}", i % 10, i))
            .expect("topic");
        assert_eq!(tree.topic_name(id), format!("fleet/{}/dev{}", i % 10, i));
    }
}

#[test]
fn the_history_budget_trims_the_oldest_across_topics_and_keeps_each_value() {
    let mut tree = TopicTree::new(100);
    let cost = message_cost_bytes(100);
    tree.set_history_budget(cost * 50);
    for i in 0..200 {
        let topic = if i < 100 { "old/a" } else { "new/b" };
        tree.insert(Incoming::new(topic, vec![i as u8; 100]));
    }
    assert!(tree.history_bytes() <= tree.history_budget());
    assert_eq!(tree.history_messages(), 50);
    let a = tree.node(tree.find("old/a").expect("a")).expect("node");
    let b = tree.node(tree.find("new/b").expect("b")).expect("node");
    assert_eq!(
        a.history().len(),
        1,
        "the oldest went first, but a keeps its value"
    );
    assert_eq!(a.last_message().map(|m| m.payload[0]), Some(99));
    assert_eq!(b.history().len(), 49);

    // Shrinking the budget trims at once; the newest of each topic always stays.
    tree.set_history_budget(0);
    assert_eq!(tree.history_messages(), 2);
    assert_eq!(tree.history_bytes(), 2 * cost);
}

#[test]
fn bookkeeping_stays_bounded_under_the_per_topic_limit() {
    let mut tree = TopicTree::new(3);
    for i in 0..100_000u32 {
        tree.insert(Incoming::new("one/topic", i.to_le_bytes().to_vec()));
    }
    assert_eq!(tree.history_messages(), 3);
    assert_eq!(tree.history_bytes(), 3 * message_cost_bytes(4));
    assert!(
        tree.arrival.len() <= 2 * 3 + 4096 + 1,
        "{}",
        tree.arrival.len()
    );
}

#[test]
fn topics_with_only_their_value_are_looked_past_once() {
    let mut tree = TopicTree::new(100);
    tree.set_history_budget(message_cost_bytes(1) * 10);
    for i in 0..1_000 {
        tree.insert(Incoming::new(format!("t/{i}"), vec![1]));
    }
    assert_eq!(tree.history_messages(), 1_000, "each keeps its value");
    assert!(tree.arrival.len() < 1_000, "the parked ones left the queue");
    // A newer message on one topic makes its older one evictable at once.
    tree.insert(Incoming::new("t/500", vec![2]));
    assert_eq!(tree.history_messages(), 1_000);
    let node = tree.node(tree.find("t/500").expect("t/500")).expect("node");
    assert_eq!(node.history().len(), 1);
    assert_eq!(node.last_message().map(|m| m.payload[0]), Some(2));
}

#[test]
fn history_room_follows_what_is_kept() {
    let mut tree = TopicTree::new(100);
    for round in 0..5 {
        for i in 0..100 {
            tree.insert(Incoming::new(format!("t/{i}"), vec![round]));
        }
    }
    let t0 = tree.find("t/0").expect("t/0");
    let history = tree.node(t0).expect("node").history();
    assert_eq!(history.len(), 5);
    assert!(history.capacity() <= 6, "{}", history.capacity());
    // One busy topic grows to its limit, with at most a quarter spare on the way.
    for k in 0..90u8 {
        tree.insert(Incoming::new("t/0", vec![k]));
    }
    let history = tree.node(t0).expect("node").history();
    assert_eq!(history.len(), 95);
    assert!(history.capacity() <= 100, "{}", history.capacity());
    // A tight budget takes most of it back, and the room goes with the messages.
    tree.set_history_budget(message_cost_bytes(1) * 110);
    let history = tree.node(t0).expect("node").history();
    assert!(history.len() <= 11, "{}", history.len());
    assert!(
        history.capacity() <= 4 * history.len().max(2),
        "{}",
        history.capacity()
    );
}

/// A remote broker may send a topic of 100,000 levels (well inside MQTT's 65,535-byte limit
/// only for one-byte levels, so here a longer one as a stress): inserting, finding, naming and
/// dropping it must not use the thread's stack per level.
#[test]
fn a_topic_of_a_hundred_thousand_levels_uses_no_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(|| {
            let topic = vec!["x"; 100_000].join("/");
            let mut tree = TopicTree::new(10);
            let id = tree.insert(Incoming::new(topic.clone(), "deep"));
            assert_eq!(tree.find(&topic), Some(id));
            assert_eq!(tree.topic_name(id), topic);
            tree.insert(Incoming::new(format!("{topic}/y"), "deeper"));
            assert_eq!(tree.topic_count(), 2);
            drop(tree);
        })
        .expect("thread");
    assert!(
        worker.join().is_ok(),
        "the deep topic overflowed a 128 KiB stack"
    );
}
