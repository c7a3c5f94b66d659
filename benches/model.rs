//! Model throughput: messages applied per second to a model that already holds 100,000
//! topics, on one core. Run with `cargo bench --bench model`.

use canopy::model::{Incoming, Model};
use std::time::{Instant, SystemTime};

fn main() {
    // As the `canopy` binary does.
    canopy::process::tune_allocator();
    divan::main();
}

const TOPICS: usize = 100_000;
const BATCH: usize = 4096;

fn topic(i: usize) -> String {
    format!(
        "site{}/floor{}/sensor{}/value",
        i % 10,
        (i / 10) % 100,
        i / 1000
    )
}

/// A model holding `TOPICS` topics, each with one message.
fn populated() -> Model {
    let mut model = Model::default();
    let now = Instant::now();
    for chunk in (0..TOPICS).collect::<Vec<_>>().chunks(BATCH) {
        model.apply(
            chunk
                .iter()
                .map(|&i| Incoming::new(topic(i), format!("{i}")))
                .collect(),
            now,
        );
    }
    model
}

/// A batch of 50-byte messages on existing topics, spread over all of them.
fn batch(start: usize) -> Vec<Incoming> {
    let payload = bytes::Bytes::from(vec![b'x'; 50]);
    let received_at = SystemTime::now();
    (0..BATCH)
        .map(|k| {
            let i = (start + k * 7919) % TOPICS;
            let mut incoming = Incoming::new(topic(i), payload.clone());
            incoming.received_at = received_at;
            incoming
        })
        .collect()
}

/// Steady state: history fills up to its per-topic limit and its memory budget, and trims.
#[divan::bench(sample_count = 60, sample_size = 1)]
fn apply_to_100k_topics(bencher: divan::Bencher) {
    let mut model = populated();
    let mut start = 0;
    bencher
        .counter(divan::counter::ItemsCount::new(BATCH))
        .with_inputs(|| {
            start += BATCH;
            batch(start)
        })
        .bench_local_values(|batch| model.apply(batch, Instant::now()));
}

/// New topics: every message creates its topic (the worst case for the tree).
#[divan::bench(sample_count = 30, sample_size = 1)]
fn apply_new_topics(bencher: divan::Bencher) {
    let mut model = populated();
    let mut next = 0usize;
    bencher
        .counter(divan::counter::ItemsCount::new(BATCH))
        .with_inputs(|| {
            let received_at = SystemTime::now();
            (0..BATCH)
                .map(|_| {
                    next += 1;
                    let mut incoming = Incoming::new(format!("new/{}/{}", next / 1000, next), "1");
                    incoming.received_at = received_at;
                    incoming
                })
                .collect::<Vec<_>>()
        })
        .bench_local_values(|batch| model.apply(batch, Instant::now()));
}
