//! Memory with 100,000 topics and the default history: a model fed a 10-minute flood of
//! 50-byte messages at 50,000 msg/s, as fast as it can be applied (the model's clock is the
//! flood's, so history, traffic statistics and their per-second buckets age as they would over
//! ten real minutes), printing resident memory as it goes. Run with `cargo bench --bench memory`.

use canopy::model::{Incoming, Model};
use std::time::{Duration, Instant, SystemTime};

const TOPICS: usize = 100_000;
const BATCH: usize = 4096;
/// The flood's rate, which sets the model's clock.
const RATE_PER_SEC: f64 = 50_000.0;

fn main() {
    // As the `canopy` binary does.
    canopy::process::tune_allocator();
    let total: usize = std::env::var("MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000_000);
    let mut model = Model::default();
    let payload = bytes::Bytes::from(vec![b'x'; 50]);
    let started = Instant::now();
    let wall_start = SystemTime::now();
    let mut sent = 0;
    while sent < total {
        // Where the flood is: `sent` messages in, at RATE_PER_SEC.
        let flood_time = Duration::from_secs_f64(sent as f64 / RATE_PER_SEC);
        let received_at = wall_start + flood_time;
        let batch: Vec<Incoming> = (0..BATCH)
            .map(|k| {
                let i = (sent + k) % TOPICS;
                let mut incoming = Incoming::new(
                    format!(
                        "site{}/floor{}/sensor{}/value",
                        i % 10,
                        (i / 10) % 100,
                        i / 1000
                    ),
                    payload.clone(),
                );
                incoming.received_at = received_at;
                incoming
            })
            .collect();
        model.apply(batch, started + flood_time);
        sent += BATCH;
        if sent % (BATCH * 500) < BATCH {
            let rss = canopy::process::resident_bytes().unwrap_or(0);
            println!(
                "{sent:>10} messages  {:>4.0} s of flood  {:>6.1} MiB resident  history {:>6.1} MiB in {} messages",
                flood_time.as_secs_f64(),
                rss as f64 / 1048576.0,
                model.tree.history_bytes() as f64 / 1048576.0,
                model.tree.history_messages()
            );
        }
    }
    let rss = canopy::process::resident_bytes().unwrap_or(0);
    // The kernel's high-water mark: the most ever resident, between the samples too.
    let peak = canopy::process::peak_resident_bytes().unwrap_or(0);
    println!(
        "done: {} messages on {} topics ({:.0} s of flood, applied in {:.1} s); resident {:.1} MiB (peak {:.1} MiB), history {:.1} MiB (budget {:.0} MiB)",
        sent,
        model.tree.topic_count(),
        sent as f64 / RATE_PER_SEC,
        started.elapsed().as_secs_f64(),
        rss as f64 / 1048576.0,
        peak as f64 / 1048576.0,
        model.tree.history_bytes() as f64 / 1048576.0,
        model.tree.history_budget() as f64 / 1048576.0
    );
}
