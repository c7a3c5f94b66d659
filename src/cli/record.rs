//! `canopy record`: subscribe and write everything that arrives to an MCAP recording.

use super::CliError;
use crate::mqtt::Qos;
use crate::net::{ConnectOptions, ConnectionManager, ConnectionState, EventKind};
use crate::record::{RecordStats, Recorder};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What `canopy record` was asked to do.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// Where and how to connect.
    pub connect: ConnectOptions,
    /// The recording to write (replaced if it exists).
    pub output: PathBuf,
    /// Topic filters to subscribe to (default `#`).
    pub filters: Vec<String>,
    /// QoS asked for on every filter.
    pub qos: Qos,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop once this many messages arrived.
    pub count: Option<u64>,
}

/// Record until the count or duration is reached, or `stop` is set (Ctrl-C); then close the
/// file and return its figures. Progress goes to `progress` once a second.
pub fn run(
    options: &RecordOptions,
    stop: Arc<AtomicBool>,
    progress: &mut dyn Write,
) -> Result<RecordStats, CliError> {
    super::connect::topic_filters(&options.filters)?;
    let connect = super::connect::listening(&options.connect, &options.filters, options.qos);
    let recorder = Recorder::start(&options.output, Vec::new())?;
    let mut manager = ConnectionManager::start(Arc::new(|| {}))?;
    let (id, stats) = manager.connect(connect);
    // Fed on the network thread: a consumer that falls behind costs the recording nothing.
    let feeder = recorder.feeder();
    manager.send(crate::net::Command::SetTap {
        id,
        tap: Some(crate::net::Tap(Arc::new(move |batch| feeder.record(batch)))),
    });
    let started = Instant::now();
    let mut next_progress = started + Duration::from_secs(1);
    let outcome = loop {
        let now = Instant::now();
        if stop.load(Ordering::Relaxed)
            || options
                .duration
                .is_some_and(|d| now.duration_since(started) >= d)
            || options
                .count
                .is_some_and(|count| stats.received_messages() >= count)
        {
            break Ok(());
        }
        if now >= next_progress {
            let current = recorder.stats();
            let _ = writeln!(
                progress,
                "[{:>4} s] {} messages written, {} KiB, {} dropped",
                now.duration_since(started).as_secs(),
                current.messages,
                current.file_bytes / 1024,
                current.dropped
            );
            next_progress += Duration::from_secs(1);
        }
        let Some(event) = manager.events().recv_timeout(Duration::from_millis(100)) else {
            continue;
        };
        if event.connection != id {
            continue;
        }
        if let Some(end) = on_event(event.kind, options, progress) {
            break end;
        }
    };
    manager.send(crate::net::Command::Disconnect { id });
    let result = recorder.stop()?;
    outcome.map(|()| result)
}

/// Take one event of the recorded connection; `Some` when recording ends with it.
fn on_event(
    kind: EventKind,
    options: &RecordOptions,
    progress: &mut dyn Write,
) -> Option<Result<(), CliError>> {
    match kind {
        EventKind::State(ConnectionState::Disconnected { reason }) => {
            return Some(Err(CliError::Disconnected(
                reason.unwrap_or_else(|| "disconnected".to_owned()),
            )));
        }
        EventKind::State(ConnectionState::Connected { .. }) => {
            let _ = writeln!(
                progress,
                "recording {} to {}",
                options.connect.url(),
                options.output.display()
            );
        }
        EventKind::Subscribed(filters) => {
            let _ = writeln!(progress, "subscribed to {}", filters.join(", "));
        }
        EventKind::Error(error) => {
            let _ = writeln!(progress, "error: {error}");
        }
        _ => {}
    }
    None
}
