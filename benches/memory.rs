//! Memory with 100,000 topics and the default history: a model fed a long flood of 50-byte
//! messages (as a 10-minute flood at 50,000 msg/s would, compressed), printing resident memory
//! as it goes. Run with `cargo bench --bench memory`.

use canopy::model::{Incoming, Model};
use std::time::{Instant, SystemTime};

const TOPICS: usize = 100_000;
const BATCH: usize = 4096;

fn main() {
    let total: usize = std::env::var("MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000_000);
    let mut model = Model::default();
    let payload = bytes::Bytes::from(vec![b'x'; 50]);
    let started = Instant::now();
    let mut peak = 0;
    let mut sent = 0;
    while sent < total {
        let received_at = SystemTime::now();
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
        model.apply(batch, Instant::now());
        sent += BATCH;
        if sent % (BATCH * 500) < BATCH {
            let rss = canopy::process::resident_bytes().unwrap_or(0);
            peak = peak.max(rss);
            println!(
                "{sent:>10} messages  {:>6.1} MiB resident  history {:>6.1} MiB in {} messages",
                rss as f64 / 1048576.0,
                model.tree.history_bytes() as f64 / 1048576.0,
                model.tree.history_messages()
            );
        }
    }
    let rss = canopy::process::resident_bytes().unwrap_or(0);
    peak = peak.max(rss);
    println!(
        "done: {} messages on {} topics in {:.1} s; resident {:.1} MiB (peak {:.1} MiB), history {:.1} MiB (budget {:.0} MiB)",
        sent,
        model.tree.topic_count(),
        started.elapsed().as_secs_f64(),
        rss as f64 / 1048576.0,
        peak as f64 / 1048576.0,
        model.tree.history_bytes() as f64 / 1048576.0,
        model.tree.history_budget() as f64 / 1048576.0
    );
}
