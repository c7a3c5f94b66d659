//! The cost of one frame of the whole window (egui_kittest harness, no rendering) with
//! 1,000,000 topics, a fully expanded deep path, and 50,000 messages a second arriving
//! (about 833 a frame at 60 frames a second). Then the tree's filter changes (to an MQTT
//! filter matching a tenth of the topics, then to a text): the frames while the filter pass
//! runs, and how long until its rows are shown. Run with `cargo bench --bench ui_frame`;
//! TOPICS and FRAMES override the defaults.

use canopy::app::CanopyApp;
use canopy::model::Incoming;
use egui_kittest::Harness;
use std::time::{Duration, Instant, SystemTime};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn topic(i: usize) -> String {
    format!(
        "plant{}/line{}/cell{}/device{}",
        i % 10,
        (i / 10) % 100,
        (i / 1000) % 100,
        i / 100_000
    )
}

const DEEP: &str = "deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/leaf";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    // As the `canopy` binary does.
    canopy::process::tune_allocator();
    let topics = env_or("TOPICS", 1_000_000);
    let frames = env_or("FRAMES", 600);
    let per_frame = env_or("MESSAGES_PER_FRAME", 50_000 / 60);

    let started = Instant::now();
    let mut app = CanopyApp::new(
        Err(std::io::Error::other("no network in this benchmark")),
        None,
    );
    let payload = bytes::Bytes::from(vec![b'7'; 50]);
    for chunk_start in (0..topics).step_by(4096) {
        let end = (chunk_start + 4096).min(topics);
        app.inject(
            (chunk_start..end)
                .map(|i| Incoming::new(topic(i), payload.clone()))
                .collect(),
        );
    }
    app.inject(vec![Incoming::new(DEEP, "{\"v\": 1}")]);
    assert!(app.select_topic(DEEP), "the deep path is in the tree");
    println!(
        "built {} topics in {:.1} s",
        app.active_session()
            .map_or(0, |s| s.model.tree.topic_count()),
        started.elapsed().as_secs_f64()
    );

    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut CanopyApp| app.show(ui), app);
    for _ in 0..10 {
        harness.step();
    }

    let mut frame_times = Vec::with_capacity(frames);
    let mut apply_times = Vec::with_capacity(frames);
    let mut next = 0usize;
    for _ in 0..frames {
        let received_at = SystemTime::now();
        let batch: Vec<Incoming> = (0..per_frame)
            .map(|_| {
                next = (next + 7919) % topics;
                let mut incoming = Incoming::new(topic(next), payload.clone());
                incoming.received_at = received_at;
                incoming
            })
            .collect();
        let apply_started = Instant::now();
        harness.state_mut().inject(batch);
        apply_times.push(apply_started.elapsed());
        let frame_started = Instant::now();
        harness.step();
        frame_times.push(frame_started.elapsed());
    }
    frame_times.sort();
    apply_times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("{frames} frames, {per_frame} messages each, {topics} topics, deep path expanded");
    println!(
        "UI frame:      p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        ms(percentile(&frame_times, 0.5)),
        ms(percentile(&frame_times, 0.9)),
        ms(percentile(&frame_times, 0.99)),
        ms(percentile(&frame_times, 1.0))
    );
    println!(
        "apply batch:   p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        ms(percentile(&apply_times, 0.5)),
        ms(percentile(&apply_times, 0.9)),
        ms(percentile(&apply_times, 0.99)),
        ms(percentile(&apply_times, 1.0))
    );
    println!(
        "resident memory: {:.0} MiB",
        canopy::process::resident_bytes().unwrap_or(0) as f64 / 1048576.0
    );
    for filter in ["+/+/+/device3", "cell42"] {
        filter_change(&mut harness, filter);
    }
}

/// Type `filter` into the tree's filter (as the field would set it) and step frames until the
/// pass is through: the frames' times and the time to the rows.
fn filter_change(harness: &mut Harness<'_, CanopyApp>, filter: &str) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    if let Some(session) = harness.state_mut().active_session_mut() {
        session.tree_view.filter = filter.to_owned();
    }
    let started = Instant::now();
    let mut frames = Vec::new();
    loop {
        let frame_started = Instant::now();
        harness.step();
        frames.push(frame_started.elapsed());
        let session = harness.state().active_session();
        if session.is_none_or(|s| s.tree_view.filtering().is_none()) || frames.len() > 100_000 {
            break;
        }
    }
    let to_rows = started.elapsed();
    let matches = harness.state_mut().active_session_mut().map_or(0, |s| {
        let tree = &s.model.tree;
        s.tree_view.matches(tree).len()
    });
    frames.sort();
    println!(
        "filter {filter:?}: {matches} matching topics shown after {:.0} ms over {} frames; frame p50 {:.2} ms, max {:.2} ms",
        ms(to_rows),
        frames.len(),
        ms(percentile(&frames, 0.5)),
        ms(percentile(&frames, 1.0))
    );
}
