//! `canopy sub`: the window's net + model pipeline with no window, for scripts and benchmarks.

use super::CliError;
use crate::model::Model;
use crate::mqtt::Qos;
use crate::net::{ConnectOptions, ConnectionManager, ConnectionState, ConnectionStats, EventKind};
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
    let mut manager = ConnectionManager::start(Arc::new(|| {}))?;
    let (id, stats) = manager.connect(super::connect::listening(
        &options.connect,
        &options.filters,
        options.qos,
    ));
    let mut watch = Watch {
        model: Model::default(),
        stats,
        started: Instant::now(),
        first_at: None,
        last_at: Instant::now(),
    };
    let mut next_progress = watch.started + Duration::from_secs(1);
    loop {
        let now = Instant::now();
        if stop.load(Ordering::Relaxed) {
            return Ok(watch.report());
        }
        if let Some(timeout) = options.timeout
            && now.duration_since(watch.started) >= timeout
        {
            return Err(CliError::TimedOut(watch.report()));
        }
        if now >= next_progress {
            watch.progress(now, progress);
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
        if let Some(end) = watch.on_event(event.kind, options, progress) {
            return end;
        }
    }
}

/// What `sub` has seen so far.
struct Watch {
    model: Model,
    stats: Arc<ConnectionStats>,
    started: Instant,
    first_at: Option<Instant>,
    last_at: Instant,
}

impl Watch {
    fn received(&self) -> u64 {
        self.model.tree.total_messages() + self.stats.dropped_messages()
    }

    fn report(&self) -> SubReport {
        SubReport {
            received: self.received(),
            topics: self.model.tree.topic_count(),
            dropped: self.stats.dropped_messages(),
            elapsed: self
                .first_at
                .map_or(Duration::ZERO, |first| self.last_at.duration_since(first)),
        }
    }

    fn progress(&mut self, now: Instant, progress: &mut dyn Write) {
        let _ = writeln!(
            progress,
            "[{:>4} s] {} messages, {} topics, {:.0} msg/s, {} dropped",
            now.duration_since(self.started).as_secs(),
            self.model.tree.total_messages(),
            self.model.tree.topic_count(),
            self.model.message_rate.rate_per_sec(now),
            self.stats.dropped_messages()
        );
    }

    /// Take one event; `Some` when the run ends with it.
    fn on_event(
        &mut self,
        kind: EventKind,
        options: &SubOptions,
        progress: &mut dyn Write,
    ) -> Option<Result<SubReport, CliError>> {
        match kind {
            EventKind::Batch(batch) => {
                let now = Instant::now();
                self.first_at.get_or_insert(now);
                self.last_at = now;
                self.model.apply(batch, now);
                if options.count.is_some_and(|count| self.received() >= count) {
                    return Some(Ok(self.report()));
                }
            }
            EventKind::State(ConnectionState::Disconnected { reason }) => {
                let reason = reason.unwrap_or_else(|| "disconnected".to_owned());
                return Some(Err(CliError::Disconnected(reason)));
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
            EventKind::Error(error) => {
                let _ = writeln!(progress, "error: {error}");
            }
        }
        None
    }
}
