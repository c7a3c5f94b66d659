//! Recordings: MQTT traffic kept on disk as MCAP, written off the hot path, read back
//! message by message (a file cut short reads up to its last complete chunk), exported to CSV
//! and JSON Lines. `docs/recordings.md` describes the mapping for other tools.

mod error;
mod export;
mod format;
mod index;
mod playback;
mod reader;
mod recorder;
mod replay;
mod writer;

pub use error::RecordError;
pub use export::{ExportFormat, Exported, export};
pub use format::PROFILE;
pub use index::{RecordingIndex, Segment};
pub use playback::{ModelShape, Opened, Player, PlayerEvent, Target, WINDOW_MESSAGES, state_at};
pub use reader::{Reader, Summary};
pub use recorder::{RecordFeeder, RecordStats, Recorder};
pub use replay::{Pace, ReplayError, ReplayOptions, ReplayReport, run as replay};
pub use writer::McapWriter;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Incoming, MessageProperties};
    use crate::mqtt::Qos;
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    fn sample(count: usize) -> Vec<Incoming> {
        (0..count)
            .map(|i| {
                let mut message = Incoming::new(format!("t/{}", i % 7), format!("{{\"i\":{i}}}"));
                message.qos = Qos::from_level((i % 3) as u8).unwrap_or_default();
                message.retain = i % 5 == 0;
                message.received_at =
                    UNIX_EPOCH + Duration::from_nanos(1_700_000_000_000_000_000 + i as u64);
                if i % 4 == 0 {
                    message.properties = Some(Arc::new(MessageProperties {
                        content_type: Some("application/json".into()),
                        correlation_data: Some(vec![0, 159, 146, 150].into()),
                        user_properties: vec![
                            ("k".into(), i.to_string()),
                            ("k".into(), "again".into()),
                        ],
                        ..MessageProperties::default()
                    }));
                }
                message
            })
            .collect()
    }

    fn same(a: &Incoming, b: &Incoming) -> bool {
        a.topic == b.topic
            && a.payload == b.payload
            && a.qos == b.qos
            && a.retain == b.retain
            && a.received_at == b.received_at
            && a.properties == b.properties
    }

    fn write(path: &std::path::Path, messages: &[Incoming], limit: Option<usize>) {
        let mut writer = McapWriter::create(path).expect("create");
        if let Some(limit) = limit {
            writer = writer.with_channel_limit(limit);
        }
        for message in messages {
            writer.write(message).expect("write");
        }
        writer.finish().expect("finish");
    }

    fn read(path: &std::path::Path) -> (Vec<Incoming>, Summary) {
        let mut reader = Reader::open(path).expect("open");
        let messages = std::iter::from_fn(|| reader.next_message()).collect();
        (messages, reader.summary().clone())
    }

    #[test]
    fn messages_read_back_exactly_as_written() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.mcap");
        let written = sample(1000);
        write(&path, &written, None);
        let (read, summary) = read(&path);
        assert!(summary.complete && summary.damage.is_none(), "{summary:?}");
        assert_eq!(summary.messages, 1000);
        assert_eq!(read.len(), written.len());
        assert!(written.iter().zip(&read).all(|(a, b)| same(a, b)));
    }

    #[test]
    fn past_the_channel_limit_topics_share_channels_and_keep_their_names() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("many.mcap");
        let written: Vec<Incoming> = (0..300)
            .map(|i| Incoming::new(format!("dev/{i}"), i.to_string()))
            .chain(sample(40))
            .collect();
        write(&path, &written, Some(50));
        let (read, summary) = read(&path);
        assert!(summary.complete);
        assert_eq!(read.len(), written.len());
        assert!(written.iter().zip(&read).all(|(a, b)| same(a, b)));
    }

    #[test]
    fn a_file_cut_anywhere_never_panics_and_keeps_whole_chunks() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("full.mcap");
        let mut writer = McapWriter::create(&path).expect("create");
        let written = sample(300);
        for (i, message) in written.iter().enumerate() {
            writer.write(message).expect("write");
            if i == 99 || i == 199 {
                writer.flush().expect("flush");
            }
        }
        writer.finish().expect("finish");
        let bytes = std::fs::read(&path).expect("read");
        let cut = dir.path().join("cut.mcap");
        let mut seen_counts = std::collections::BTreeSet::new();
        for len in (0..bytes.len()).step_by(37).chain([bytes.len() - 1]) {
            std::fs::write(&cut, &bytes[..len]).expect("write");
            match Reader::open(&cut) {
                Ok(mut reader) => {
                    let read: Vec<Incoming> =
                        std::iter::from_fn(|| reader.next_message()).collect();
                    assert!(
                        read.iter().zip(&written).all(|(a, b)| same(a, b)),
                        "at {len}"
                    );
                    assert!(reader.summary().damage.is_some() || reader.summary().complete);
                    seen_counts.insert(read.len());
                }
                Err(error) => assert!(len < 64, "refused at {len}: {error}"),
            }
        }
        // Cut inside the data, the reader gets whole chunks: 0, 100, 200 or all 300 messages.
        assert!(
            seen_counts.is_subset(&[0, 100, 200, 300].into()),
            "{seen_counts:?}"
        );
        assert!(seen_counts.contains(&100) && seen_counts.contains(&200));
    }

    #[test]
    fn random_and_flipped_bytes_are_refused_or_read_without_panicking() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.mcap");
        write(&path, &sample(200), None);
        let bytes = std::fs::read(&path).expect("read");
        let damaged = dir.path().join("damaged.mcap");
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..300 {
            let mut copy = bytes.clone();
            for _ in 0..(1 + round % 8) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % copy.len();
                copy[at] ^= (seed >> 32) as u8 | 1;
            }
            std::fs::write(&damaged, &copy).expect("write");
            if let Ok(mut reader) = Reader::open(&damaged) {
                while reader.next_message().is_some() {}
            }
            play_through(&damaged);
        }
    }

    /// Index a file and build its state at a few places; errors are fine, panics are not.
    fn play_through(path: &std::path::Path) {
        if let Ok(mut index) = RecordingIndex::open(path) {
            let total = index.messages();
            for at in 0..index.segments().len() {
                let _ = index.read_segment(at);
            }
            for position in [0, total / 2, total] {
                let _ = state_at(&mut index, position, shape());
            }
            let _ = index.message_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        }
    }

    /// The fuzzer's corpus and every input that ever failed, read once by the normal suite.
    #[test]
    fn the_fuzz_corpus_reads_without_panicking() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut files = 0;
        for folder in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(folder).join("recording")) else {
                continue;
            };
            for path in entries.flatten().map(|e| e.path()).filter(|p| p.is_file()) {
                files += 1;
                let bytes = std::fs::read(&path).expect("read");
                if let Ok(mut reader) =
                    Reader::read_from(&path, Box::new(std::io::Cursor::new(bytes)))
                {
                    while reader.next_message().is_some() {}
                }
                play_through(&path);
            }
        }
        assert!(files >= 2, "the corpus and the regressions are there");
    }

    /// Many chunks: 40 topics, payloads large enough that 12,000 messages fill several.
    fn chunky(count: usize) -> Vec<Incoming> {
        (0..count)
            .map(|i| {
                let mut message = Incoming::new(
                    format!("plant/{}", i % 40),
                    format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(300 + i % 17)),
                );
                message.qos = Qos::from_level((i % 2) as u8).unwrap_or_default();
                // Topic 39 speaks once, at the start: only the backfill finds it later.
                if i % 40 == 39 && i > 39 {
                    message.topic = "plant/0".to_owned();
                }
                message.received_at =
                    UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 + i as u64);
                message
            })
            .collect()
    }

    fn shape() -> ModelShape {
        ModelShape {
            history_limit: 100_000,
            history_budget_bytes: 1 << 30,
        }
    }

    /// What each topic last said before message `n`, by brute force.
    fn last_values(messages: &[Incoming]) -> std::collections::BTreeMap<String, bytes::Bytes> {
        messages
            .iter()
            .map(|m| (m.topic.clone(), m.payload.clone()))
            .collect()
    }

    fn model_values(
        model: &crate::model::Model,
    ) -> std::collections::BTreeMap<String, bytes::Bytes> {
        let tree = &model.tree;
        let mut values = std::collections::BTreeMap::new();
        for topic in (0..40).map(|t| format!("plant/{t}")) {
            if let Some(message) = tree
                .find(&topic)
                .and_then(|id| tree.node(id))
                .and_then(|n| n.last_message())
            {
                values.insert(topic, message.payload.clone());
            }
        }
        values
    }

    #[test]
    fn the_index_from_the_summary_and_from_reading_the_file_agree() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.mcap");
        let written = chunky(12_000);
        write(&path, &written, None);
        let index = RecordingIndex::open(&path).expect("index");
        assert!(index.from_summary() && index.damage().is_none());
        assert_eq!(index.messages(), 12_000);
        assert!(
            index.segments().len() >= 4,
            "{} segments",
            index.segments().len()
        );
        // The same file without its summary (cut after the last chunk) is indexed by reading.
        let bytes = std::fs::read(&path).expect("read");
        let last = index.segments().last().expect("a segment");
        let cut = dir.path().join("cut.mcap");
        std::fs::write(
            &cut,
            &bytes[..usize::try_from(last.offset + last.length).expect("size")],
        )
        .expect("write");
        let scanned = RecordingIndex::open(&cut).expect("index");
        assert!(!scanned.from_summary() && scanned.damage().is_some());
        assert_eq!(scanned.messages(), 12_000);
        for (a, b) in index.segments().iter().zip(scanned.segments()) {
            assert_eq!(
                (a.offset, a.length, a.first, a.messages),
                (b.offset, b.length, b.first, b.messages)
            );
            assert_eq!((a.start_ns, a.end_ns), (b.start_ns, b.end_ns));
        }
        let mut index = index;
        let read: Vec<Incoming> = (0..index.segments().len())
            .flat_map(|at| index.read_segment(at).expect("segment"))
            .collect();
        assert!(written.iter().zip(&read).all(|(a, b)| same(a, b)) && read.len() == written.len());
        let at = written[7_777].received_at;
        assert_eq!(index.message_at(at).expect("time"), 7_777);
    }

    #[test]
    fn the_state_at_any_message_is_what_each_topic_last_said() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.mcap");
        let written = chunky(120_000);
        write(&path, &written, None);
        let mut index = RecordingIndex::open(&path).expect("index");
        for position in [0, 1, 39, 40, 4_095, 60_001, 119_999, 120_000] {
            let model = state_at(&mut index, position, shape()).expect("state");
            let n = usize::try_from(position).expect("n");
            assert_eq!(
                model_values(&model),
                last_values(&written[..n]),
                "at {position}"
            );
            // Recent messages are kept in full; older ones only as each topic's last.
            let kept = model.tree.history_messages() as u64;
            assert!(
                kept <= position.min(
                    WINDOW_MESSAGES + 40 + 2 * written.len() as u64 / index.segments().len() as u64
                ),
                "{kept} at {position}"
            );
        }
    }

    #[test]
    fn the_player_positions_and_streams_what_follows() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.mcap");
        let written = chunky(20_000);
        write(&path, &written, None);
        let mut player = Player::open(&path, shape(), || {}).expect("player");
        let wait = |player: &Player| player.wait(Duration::from_secs(20)).expect("an event");
        let PlayerEvent::Opened(opened) = wait(&player) else {
            panic!("opened first")
        };
        assert_eq!(opened.messages, 20_000);
        // Two seeks in a row: the first one's events are stale.
        player.seek(Target::Message(100));
        let generation = player.seek(Target::Time(written[15_000].received_at));
        let mut streamed = Vec::new();
        loop {
            match wait(&player) {
                PlayerEvent::Positioned {
                    generation: g,
                    position,
                    model,
                } if g == generation => {
                    assert_eq!(position, 15_000);
                    assert_eq!(model_values(&model), last_values(&written[..15_000]));
                }
                PlayerEvent::Batch {
                    generation: g,
                    first,
                    messages,
                } if g == generation => {
                    assert_eq!(first, 15_000 + streamed.len() as u64);
                    streamed.extend(messages);
                    player.took_batch();
                }
                PlayerEvent::End {
                    generation: g,
                    error,
                } if g == generation => {
                    assert!(error.is_none());
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(streamed.len(), 5_000);
        assert!(
            streamed
                .iter()
                .zip(&written[15_000..])
                .all(|(a, b)| same(a, b))
        );
    }
}
