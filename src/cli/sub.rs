//! `canopy sub`: the window's net + model pipeline with no window, for scripts and benchmarks.

use super::CliError;
use crate::model::Model;
use crate::mqtt::Qos;
use crate::net::{ConnectOptions, ConnectionManager, ConnectionState, EventKind, Subscription};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What `canopy sub` was asked to do.
#[derive(Clone, Debug)]
pub struct SubOptions {
    /// Where and how to connect (from a URL and flags, or a profile).
    pub connect: ConnectOptions,
    /// Topic filters (default `#`).
    pub filters: Vec<String>,
    /// QoS asked for on every filter.
    pub qos: Qos,
    /// Stop once this many messages arrived.
    pub count: Option<u64>,
    /// Give up after this long.
    pub timeout: Option<Duration>,
}

/// What a run of `canopy sub` saw.
#[derive(Clone, Debug, PartialEq)]
pub struct SubReport {
    /// Messages received off the network.
    pub received: u64,
    /// Distinct topics among them.
    pub topics: usize,
    /// Messages the model could not keep up with.
    pub dropped: u64,
    /// From the first message to the last.
    pub elapsed: Duration,
}

impl SubReport {
    /// Messages per second between the first and the last message.
    pub fn rate_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.received as f64 / secs
        } else {
            0.0
        }
    }

    /// The closing line, stable for scripts to parse.
    pub fn final_line(&self) -> String {
        format!(
            "received {} message{} on {} topic{} in {:.3} s ({:.0} msg/s), {} dropped",
            self.received,
            if self.received == 1 { "" } else { "s" },
            self.topics,
            if self.topics == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64(),
            self.rate_per_sec(),
            self.dropped
        )
    }
}

/// Run until `count` messages arrived, the timeout passed, or `stop` is set (Ctrl-C).
/// Progress goes to `progress` once a second.
pub fn run(
    options: &SubOptions,
    stop: Arc<AtomicBool>,
    progress: &mut dyn Write,
) -> Result<SubReport, CliError> {
    let mut connect = options.connect.clone();
    connect.retry_first_connect = false;
    let filters = if options.filters.is_empty() {
        vec!["#".to_owned()]
    } else {
        options.filters.clone()
    };
    connect.subscriptions = filters
        .into_iter()
        .map(|filter| Subscription {
            filter,
            qos: options.qos,
        })
        .collect();

    let mut manager = ConnectionManager::start(Arc::new(|| {}))?;
    let (id, stats) = manager.connect(connect);
    let mut model = Model::default();
    let started = Instant::now();
    let mut first_at: Option<Instant> = None;
    let mut last_at = started;
    let mut next_progress = started + Duration::from_secs(1);
    let report = |model: &Model, first_at: Option<Instant>, last_at: Instant| SubReport {
        received: model.tree.total_messages() + stats.dropped_messages(),
        topics: model.tree.topic_count(),
        dropped: stats.dropped_messages(),
        elapsed: first_at.map_or(Duration::ZERO, |first| last_at.duration_since(first)),
    };

    loop {
        let now = Instant::now();
        if stop.load(Ordering::Relaxed) {
            return Ok(report(&model, first_at, last_at));
        }
        if let Some(timeout) = options.timeout
            && now.duration_since(started) >= timeout
        {
            return Err(CliError::TimedOut(report(&model, first_at, last_at)));
        }
        if now >= next_progress {
            let _ = writeln!(
                progress,
                "[{:>4} s] {} messages, {} topics, {:.0} msg/s, {} dropped",
                now.duration_since(started).as_secs(),
                model.tree.total_messages(),
                model.tree.topic_count(),
                model.message_rate.rate_per_sec(now),
                stats.dropped_messages()
            );
            next_progress += Duration::from_secs(1);
        }
        let wait = next_progress
            .saturating_duration_since(now)
            .min(Duration::from_millis(100));
        let Some(event) = manager.events().recv_timeout(wait) else {
            continue;
        };
        if event.connection != id {
            continue;
        }
        match event.kind {
            EventKind::Batch(batch) => {
                let now = Instant::now();
                first_at.get_or_insert(now);
                last_at = now;
                model.apply(batch, now);
                let received = model.tree.total_messages() + stats.dropped_messages();
                if options.count.is_some_and(|count| received >= count) {
                    return Ok(report(&model, first_at, last_at));
                }
            }
            EventKind::State(ConnectionState::Disconnected { reason }) => {
                return Err(CliError::Disconnected(
                    reason.unwrap_or_else(|| "disconnected".to_owned()),
                ));
            }
            EventKind::State(ConnectionState::Reconnecting {
                reason, retry_in, ..
            }) => {
                let _ = writeln!(
                    progress,
                    "connection lost ({reason}); retrying in {} ms",
                    retry_in.as_millis()
                );
            }
            EventKind::State(ConnectionState::Connected { .. }) => {
                let _ = writeln!(progress, "connected to {}", options.connect.url());
            }
            EventKind::State(ConnectionState::Connecting) | EventKind::Published { .. } => {}
            EventKind::Subscribed(filters) => {
                let _ = writeln!(progress, "subscribed to {}", filters.join(", "));
            }
            EventKind::Error(message) => {
                let _ = writeln!(progress, "error: {message}");
            }
        }
    }
}
