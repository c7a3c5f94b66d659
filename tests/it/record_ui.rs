//! Recordings through the window: recording a connection, opening a recording as a tab (the
//! timeline, jumps, playing), exporting from memory and from a file, replaying into an open
//! connection and into the bundled broker started from the dialog.

use super::record::read_all;
use crate::common::{self, Mosquitto};
use canopy::model::Incoming;
use canopy::mqtt::Qos;
use std::time::Duration;

#[test]
fn the_window_records_its_connection_and_says_so() {
    use crate::common::ui::{FixedPicker, harness, step_until};
    use egui_kittest::kittest::Queryable;
    let Some(broker) = Mosquitto::start("the_window_records_its_connection_and_says_so") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("window.mcap");
    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    app.set_file_picker(Box::new(FixedPicker(file.clone())));
    app.connect(canopy::net::ConnectOptions::new("127.0.0.1", broker.port));
    let mut harness = harness(app);
    let wait = Duration::from_secs(10);
    step_until(&mut harness, "the subscriptions", wait, |h| {
        h.state()
            .active_session()
            .is_some_and(|s| s.active_subscriptions.len() == 2)
    });
    harness.get_by_label("Record").click();
    step_until(&mut harness, "the recording's status", wait, |h| {
        h.query_all_by_label_contains("Recording ").next().is_some()
    });
    let lines: String = (0..500).map(|i| format!("{i}\n")).collect();
    broker.publish_lines("win/a", &lines);
    step_until(&mut harness, "the messages in the tree", wait, |h| {
        h.state()
            .active_session()
            .and_then(|s| s.model.tree.find("win/a"))
            .is_some_and(|id| {
                h.state()
                    .active_session()
                    .and_then(|s| s.model.tree.node(id))
                    .is_some_and(|n| n.message_count == 500)
            })
    });
    harness.get_by_label("Stop recording").click();
    step_until(&mut harness, "the recording closed", wait, |h| {
        h.query_all_by_label_contains("Recorded ").next().is_some()
    });
    let (messages, summary) = read_all(&file);
    assert!(summary.complete, "{summary:?}");
    let mine: Vec<String> = messages
        .iter()
        .filter(|m| m.topic == "win/a")
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    let expected: Vec<String> = (0..500).map(|i| i.to_string()).collect();
    assert_eq!(mine, expected, "every message, in order, nothing dropped");
}

#[test]
fn a_recording_opens_as_a_tab_and_a_cut_one_says_so() {
    use crate::common::ui::{FixedPicker, harness, shows, step_until};
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().expect("tmp");
    let whole = dir.path().join("whole.mcap");
    let mut writer = canopy::record::McapWriter::create(&whole).expect("create");
    let mut first_chunk_end = 0;
    for i in 0..10_000 {
        let mut message = Incoming::new(
            format!("plant/line{}/temp", i % 10),
            format!("{{\"t\":{i}}}"),
        );
        message.qos = Qos::AtLeastOnce;
        writer.write(&message).expect("write");
        if i == 4_999 {
            writer.flush().expect("flush");
            first_chunk_end = std::fs::metadata(&whole).expect("size").len() as usize;
        }
    }
    writer.flush().expect("flush");
    let second_chunk_end = std::fs::metadata(&whole).expect("size").len() as usize;
    writer.finish().expect("finish");
    // What a killed recorder leaves: everything up to a chunk boundary, then part of the next
    // chunk (which is followed by its message indexes, hence the small step into it).
    let bytes = std::fs::read(&whole).expect("read");
    let cut = dir.path().join("cut.mcap");
    assert!(second_chunk_end > first_chunk_end + 1000);
    std::fs::write(&cut, &bytes[..first_chunk_end + 1000]).expect("write");

    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    app.set_file_picker(Box::new(FixedPicker(whole.clone())));
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Open recording…").click();
    let wait = Duration::from_secs(10);
    step_until(&mut harness, "the recording opened", wait, |h| {
        h.query_all_by_label_contains("Opened ").next().is_some()
    });
    assert!(
        harness
            .query_all_by_label_contains("whole.mcap: 10,000 messages")
            .next()
            .is_some()
    );
    harness.get_by_label("whole.mcap"); // the tab
    harness.get_by_label("Recording (read-only)");
    // It opens at the end: every topic with its last value.
    step_until(&mut harness, "the playhead at the end", wait, |h| {
        shows(h, "Message 10,000 of 10,000")
    });
    let session = harness.state().active_session().expect("a tab");
    assert_eq!(session.model.tree.total_messages(), 10_000);
    assert_eq!(session.model.tree.topic_count(), 10);

    // Jump to a message: the tree shows the state there.
    harness.get_by_label("Jump to message").click();
    harness.run_steps(2);
    harness.get_by_label("Jump to message").type_text("2,500");
    harness.get_by_label("Go to message").click();
    step_until(&mut harness, "the playhead at message 2,500", wait, |h| {
        shows(h, "Message 2,500 of 10,000")
    });
    let tree = &harness.state().active_session().expect("a tab").model.tree;
    assert_eq!(tree.total_messages(), 2_500);
    let last = |topic: &str| {
        let node = tree
            .find(topic)
            .and_then(|id| tree.node(id))
            .expect("topic");
        String::from_utf8_lossy(&node.last_message().expect("a message").payload).into_owned()
    };
    assert_eq!(last("plant/line9/temp"), "{\"t\":2499}");
    assert_eq!(last("plant/line0/temp"), "{\"t\":2490}");
    // A number out of range is refused in words.
    harness.get_by_label("Jump to message").click();
    harness.run_steps(1);
    harness.get_by_label("Jump to message").type_text("0");
    harness.get_by_label("Go to message").click();
    harness.run_steps(2);
    assert!(shows(&harness, "is not a message number from 1 to 10,000"));

    // Play as fast as possible: the rest of the recording is applied, to its end.
    harness.get_by_label("Max").click();
    step_until(&mut harness, "played to the end", wait, |h| {
        shows(h, "Played to the end of the recording.")
    });
    assert!(shows(&harness, "Message 10,000 of 10,000"));
    let tree = &harness.state().active_session().expect("a tab").model.tree;
    assert_eq!(tree.total_messages(), 10_000);
    let node = tree
        .find("plant/line9/temp")
        .and_then(|id| tree.node(id))
        .expect("topic");
    assert_eq!(
        &node.last_message().expect("last").payload[..],
        b"{\"t\":9999}"
    );

    harness
        .state_mut()
        .set_file_picker(Box::new(FixedPicker(cut.clone())));
    harness.get_by_label("Open recording…").click();
    step_until(&mut harness, "the cut recording opened", wait, |h| {
        h.query_all_by_label_contains("not closed properly")
            .next()
            .is_some()
            && shows(h, "Message 5,000 of 5,000")
    });
    let session = harness.state().active_session().expect("a second tab");
    assert_eq!(
        session.model.tree.total_messages(),
        5_000,
        "the first chunk, whole; the cut one left out"
    );
}

#[test]
fn the_window_exports_what_it_keeps_for_the_filter() {
    use crate::common::ui::{FixedPicker, harness, step_until};
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("kept.jsonl");
    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    app.set_file_picker(Box::new(FixedPicker(out.clone())));
    let messages: Vec<Incoming> = (0..30)
        .map(|i| Incoming::new(format!("exp/{}", i % 3), format!("line {i},\"quoted\"")))
        .chain((0..5).map(|i| Incoming::new("other/x", i.to_string())))
        .collect();
    app.inject(messages);
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    harness.get_by_label("Filter").type_text("exp/");
    harness.run_steps(3);
    harness.get_by_label("Export…").click();
    harness.run_steps(2);
    assert!(
        harness
            .query_all_by_label_contains("From memory: the 30 messages this connection keeps.")
            .next()
            .is_some()
    );
    harness.get_by_label("Export to a file…").click();
    step_until(&mut harness, "the export", Duration::from_secs(10), |h| {
        h.query_all_by_label_contains("Exported 30 messages")
            .next()
            .is_some()
    });
    let text = std::fs::read_to_string(&out).expect("exported");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter()
            .all(|r| r["topic"].as_str().is_some_and(|t| t.starts_with("exp/")))
    );
    assert_eq!(rows[0]["payload"], "line 0,\"quoted\"");
    assert_eq!(
        rows[29]["payload"], "line 29,\"quoted\"",
        "in arrival order"
    );
}

#[test]
fn the_window_replays_a_recording_into_an_open_connection() {
    use crate::common::ui::{FixedPicker, harness, shows, step_until};
    use canopy::broker::BrokerConfig;
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("plant.mcap");
    let mut writer = canopy::record::McapWriter::create(&file).expect("create");
    let written: Vec<Incoming> = (0..300)
        .map(|i| {
            let mut message = Incoming::new(format!("plant/{}/temp", i % 3), format!("{i}"));
            message.qos = Qos::AtLeastOnce;
            if i % 50 == 0 {
                message.properties = Some(std::sync::Arc::new(canopy::model::MessageProperties {
                    content_type: Some("text/plain".into()),
                    user_properties: vec![("line".into(), i.to_string())],
                    ..Default::default()
                }));
            }
            message
        })
        .collect();
    for message in &written {
        writer.write(message).expect("write");
    }
    writer.finish().expect("finish");

    let broker = common::start_broker(BrokerConfig::default());
    let port = broker.local_addr().port();
    let (listener, listener_id) = common::listen(port, "again/#");
    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    app.set_file_picker(Box::new(FixedPicker(file.clone())));
    app.connect(canopy::net::ConnectOptions::new("127.0.0.1", port));
    let mut harness = harness(app);
    let wait = Duration::from_secs(10);
    step_until(&mut harness, "the connection", wait, |h| {
        h.state()
            .active_session()
            .is_some_and(|s| s.active_subscriptions.len() == 2)
    });
    harness.get_by_label("Open recording…").click();
    step_until(&mut harness, "the recording opened", wait, |h| {
        shows(h, "Message 300 of 300")
    });
    harness.get_by_label("Replay…").click();
    harness.run_steps(2);
    harness
        .get_by_label("As fast as the broker takes them")
        .click();
    harness.get_by_label("Prefix").click();
    harness.run_steps(1);
    harness.get_by_label("Prefix").type_text("again/");
    harness.run_steps(1);
    harness.get_by_label("Start replay").click();
    step_until(&mut harness, "the replay finished", wait, |h| {
        shows(
            h,
            "finished: 300 of 300 published: 300 acknowledged, 0 failed",
        )
    });
    let received = common::messages(&listener, listener_id, 300);
    for (got, sent) in received.iter().zip(&written) {
        assert_eq!(got.topic, format!("again/{}", sent.topic));
        assert_eq!(got.payload, sent.payload);
        assert_eq!(got.qos, Qos::AtLeastOnce);
        assert_eq!(
            got.properties.as_ref().map(|p| &p.user_properties),
            sent.properties.as_ref().map(|p| &p.user_properties)
        );
    }
}

#[test]
fn a_recording_tab_exports_from_its_file_within_a_time_range() {
    use crate::common::ui::{FixedPicker, harness, shows, step_until};
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("long.mcap");
    let start = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let mut writer = canopy::record::McapWriter::create(&file).expect("create");
    // 80,000 messages a tenth of a second apart: more than a tab keeps in memory.
    for i in 0..80_000u64 {
        let mut message = Incoming::new(format!("line{}/temp", i % 4), i.to_string());
        message.received_at = start + Duration::from_millis(i * 100);
        writer.write(&message).expect("write");
    }
    writer.finish().expect("finish");
    let out = dir.path().join("range.csv");
    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    app.set_file_picker(Box::new(FixedPicker(file.clone())));
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Open recording…").click();
    let wait = Duration::from_secs(20);
    step_until(&mut harness, "the recording opened", wait, |h| {
        shows(h, "Message 80,000 of 80,000")
    });
    let kept = harness
        .state()
        .active_session()
        .expect("tab")
        .model
        .tree
        .history_messages();
    assert!(
        kept < 80_000,
        "the tab keeps {kept}: fewer than the file holds"
    );
    harness
        .state_mut()
        .set_file_picker(Box::new(FixedPicker(out.clone())));
    harness.get_by_label("Filter").focus();
    harness.run_steps(1);
    harness.get_by_label("Filter").type_text("line1/");
    harness.run_steps(3);
    harness.get_by_label("Export…").click();
    harness.run_steps(2);
    assert!(shows(
        &harness,
        "80,000 messages in all, not only those shown"
    ));
    harness
        .get_by_label("Only messages received between")
        .click();
    harness.run_steps(1);
    harness.get_by_label("From").focus();
    harness.run_steps(1);
    harness.get_by_label("From").type_text("+100");
    harness.get_by_label("to").focus();
    harness.run_steps(1);
    harness.get_by_label("to").type_text("+10");
    harness.run_steps(1);
    harness.get_by_label("Export to a file…").click();
    harness.run_steps(2);
    assert!(shows(
        &harness,
        "The end of the range is not after its start."
    ));
    harness.get_by_label("to").focus();
    harness.run_steps(1);
    harness.get_by_label("to").type_text("00"); // +1000
    harness.run_steps(1);
    harness.get_by_label("Export to a file…").click();
    step_until(&mut harness, "the export", wait, |h| {
        h.query_all_by_label_contains("Exported 2,250 messages")
            .next()
            .is_some()
    });
    // Seconds 100 to 1,000 after the start: messages 1,000 to 9,999, a quarter of them on line1.
    let text = std::fs::read_to_string(&out).expect("exported");
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let payloads: Vec<u64> = rows
        .records()
        .map(|r| r.expect("row")[7].parse().expect("number"))
        .collect();
    let expected: Vec<u64> = (1_000..10_000).filter(|i| i % 4 == 1).collect();
    assert_eq!(payloads, expected);

    // The whole recording, to JSON Lines.
    let all = dir.path().join("all.jsonl");
    harness
        .state_mut()
        .set_file_picker(Box::new(FixedPicker(all.clone())));
    harness.get_by_label("Clear filter").click();
    harness.run_steps(2);
    harness.get_by_label("Export all…").click();
    harness.run_steps(2);
    assert!(shows(&harness, "Topics: every topic"));
    harness.get_by_label("Export to a file…").click();
    step_until(&mut harness, "the whole export", wait, |h| {
        shows(h, "Exported 80,000 messages")
    });
    let text = std::fs::read_to_string(&all).expect("exported");
    assert_eq!(text.lines().count(), 80_000);
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a line")).expect("json");
    assert_eq!(last["topic"], "line3/temp");
    assert_eq!(last["payload"], "79999");
}

#[test]
fn the_window_replays_into_the_bundled_broker_it_starts() {
    use crate::common::ui::{FixedPicker, harness, shows, step_until};
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("door.mcap");
    let mut writer = canopy::record::McapWriter::create(&file).expect("create");
    for i in 0..40 {
        let mut message = Incoming::new(
            "home/door/state",
            if i % 2 == 0 { "open" } else { "closed" },
        );
        message.retain = i == 39;
        writer.write(&message).expect("write");
    }
    writer.finish().expect("finish");
    let port = common::free_port();
    let mut app = canopy::app::CanopyApp::new(Ok(common::manager()), None);
    app.local_broker_mut().form.port = port.to_string();
    app.set_file_picker(Box::new(FixedPicker(file.clone())));
    let mut harness = harness(app);
    harness.run_steps(2);
    harness.get_by_label("Open recording…").click();
    let wait = Duration::from_secs(10);
    step_until(&mut harness, "the recording opened", wait, |h| {
        shows(h, "Message 40 of 40")
    });
    harness.get_by_label("Replay…").click();
    harness.run_steps(2);
    assert!(shows(&harness, "No broker is open"));
    harness.get_by_label("Start the bundled broker").click();
    step_until(&mut harness, "the bundled broker as a target", wait, |h| {
        h.state().local_broker().is_running() && !shows(h, "No broker is open")
    });
    harness
        .get_by_label("As fast as the broker takes them")
        .click();
    harness.get_by_label("Start replay").click();
    step_until(&mut harness, "the replay finished", wait, |h| {
        shows(h, "finished: 40 of 40 published: 40 acknowledged, 0 failed")
    });
    // The last message was retained: a newcomer gets it from the bundled broker.
    let (listener, id) = common::listen(port, "home/#");
    let retained = common::next_message(&listener, id);
    assert!(retained.retain && &retained.payload[..] == b"closed");
}
