//! Replay: publish a recording's messages into a broker, with the recorded timing scaled (or
//! as fast as the broker acknowledges), optionally under a prefix and in a loop, over a
//! connection of its own. Used by `canopy replay` and by the window's Replay dialog.

use super::{Reader, RecordError, Summary};
use crate::model::Incoming;
use crate::mqtt::TopicFilter;
use crate::net::{BlockingClient, ConnectOptions, EventKind, NetError, OutgoingMessage};
use rustc_hash::FxHashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Publishes waiting for their acknowledgement, at most.
const WINDOW: usize = 256;

/// How fast to replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// The recorded gaps divided by this factor (1.0 = as recorded).
    Speed(f64),
    /// As fast as the broker takes them.
    Max,
}

/// Why a replay stopped before its end.
#[derive(Debug, thiserror::Error)]
#[expect(missing_docs, reason = "each variant's text says what it means")]
pub enum ReplayError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Net(#[from] NetError),
}

/// What a replay was asked to do.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// The recording to read.
    pub input: PathBuf,
    /// Where and how to connect.
    pub connect: ConnectOptions,
    /// How fast.
    pub pace: Pace,
    /// Start again at the end, until stopped.
    pub repeat: bool,
    /// Only messages on topics matching one of these (all when empty).
    pub filters: Vec<TopicFilter>,
    /// Put every topic under this prefix (`replay/` + `home/temp`).
    pub prefix: Option<String>,
}

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayReport {
    /// Messages handed to the connection.
    pub published: u64,
    /// Of them, confirmed: written (QoS 0) or acknowledged (QoS 1 and 2).
    pub acknowledged: u64,
    /// Of them, refused or lost, with the first reason.
    pub failed: u64,
    /// The first failure's words.
    pub first_failure: Option<String>,
    /// MQTT 5 properties left off because the connection speaks MQTT 3.1.1.
    pub properties_dropped: u64,
    /// What the reader found at the end of the file (a damaged or cut-short recording).
    pub file: Summary,
}

impl ReplayReport {
    /// One line for the end of the run.
    pub fn final_line(&self) -> String {
        let mut line = format!(
            "replayed {} messages: {} acknowledged, {} failed",
            self.published, self.acknowledged, self.failed
        );
        if let Some(reason) = &self.first_failure {
            line.push_str(&format!(" (first: {reason})"));
        }
        if self.properties_dropped > 0 {
            line.push_str(&format!(
                "; MQTT 5 properties of {} messages left off (MQTT 3.1.1 connection)",
                self.properties_dropped
            ));
        }
        line
    }
}

/// Replay until the file ends (or, with `repeat`, until `stop` is set); `progress` hears
/// how far it got about once a second. The connection's client id gets `-replay` appended,
/// so replaying over an open connection's settings does not take its place at the broker.
pub fn run(
    options: &ReplayOptions,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(&ReplayReport),
) -> Result<ReplayReport, ReplayError> {
    let filters = &options.filters;
    let mut reader = Reader::open(&options.input)?;
    let mut connect = options.connect.clone();
    connect.subscriptions.clear();
    // The replay's own connection: no will, no lasting session.
    connect.last_will = None;
    connect.session_expiry_secs = None;
    connect.clean_start = true;
    if !connect.client_id.is_empty() {
        connect.client_id.push_str("-replay");
    }
    let v5 = connect.protocol.is_v5();
    let mut client = BlockingClient::connect(connect, Duration::from_secs(10))?;
    let mut run = Run {
        report: ReplayReport::default(),
        in_flight: FxHashSet::default(),
        v5,
    };
    let mut next_progress = Instant::now() + Duration::from_secs(1);
    loop {
        let mut clock: Option<(SystemTime, Instant)> = None;
        while let Some(message) = reader.next_message() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if !filters.is_empty() && !filters.iter().any(|f| f.matches(&message.topic)) {
                continue;
            }
            if let Pace::Speed(speed) = options.pace {
                let (first, started) = *clock.get_or_insert((message.received_at, Instant::now()));
                let offset = message
                    .received_at
                    .duration_since(first)
                    .unwrap_or_default();
                let due = started + offset.div_f64(speed.max(1e-6));
                run.wait_until(&client, due, stop);
            }
            while run.in_flight.len() >= WINDOW {
                run.take_event(&client, Instant::now() + Duration::from_secs(10))?;
            }
            let outgoing = run.outgoing(message, options.prefix.as_deref());
            let id = client.id();
            let ticket = client.manager().publish(id, outgoing);
            run.in_flight.insert(ticket);
            run.report.published += 1;
            if Instant::now() >= next_progress {
                progress(&run.report);
                next_progress = Instant::now() + Duration::from_secs(1);
            }
        }
        run.report.file = reader.summary().clone();
        if !options.repeat || stop.load(Ordering::Relaxed) {
            break;
        }
        reader = Reader::open(&options.input)?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !run.in_flight.is_empty() {
        run.take_event(&client, deadline)?;
    }
    client.disconnect();
    Ok(run.report)
}

/// A replay's state while it runs.
struct Run {
    report: ReplayReport,
    in_flight: FxHashSet<u64>,
    v5: bool,
}

impl Run {
    /// The message as it is published: under the prefix, without what only a broker sends
    /// (subscription identifiers), without properties on MQTT 3.1.1.
    fn outgoing(&mut self, message: Incoming, prefix: Option<&str>) -> OutgoingMessage {
        let properties = message.properties.as_deref().and_then(|p| {
            let mut p = p.clone();
            p.subscription_identifiers.clear();
            if p.is_empty() {
                None
            } else if self.v5 {
                Some(p)
            } else {
                self.report.properties_dropped += 1;
                None
            }
        });
        OutgoingMessage {
            topic: match prefix {
                Some(prefix) => format!("{prefix}{}", message.topic),
                None => message.topic,
            },
            payload: message.payload,
            qos: message.qos,
            retain: message.retain,
            properties,
        }
    }

    /// Take acknowledgements until `due` (or until `stop` is set).
    fn wait_until(&mut self, client: &BlockingClient, due: Instant, stop: &AtomicBool) {
        while Instant::now() < due && !stop.load(Ordering::Relaxed) {
            let slice = due.min(Instant::now() + Duration::from_millis(100));
            if self.take_event(client, slice).is_err() {
                return;
            }
        }
    }

    /// Take one event (or time out at `deadline`); a lost connection ends the replay.
    fn take_event(&mut self, client: &BlockingClient, deadline: Instant) -> Result<(), NetError> {
        match client.next_event(deadline) {
            Some(EventKind::Published { ticket, result }) => {
                if self.in_flight.remove(&ticket) {
                    match result {
                        Ok(()) => self.report.acknowledged += 1,
                        Err(error) => self.failed(&error),
                    }
                }
                Ok(())
            }
            Some(EventKind::State(crate::net::ConnectionState::Disconnected { reason })) => Err(
                NetError::Disconnected(reason.unwrap_or_else(|| "disconnected".to_owned())),
            ),
            Some(_) => Ok(()),
            None if Instant::now() >= deadline && !self.in_flight.is_empty() => {
                Err(NetError::NotAcknowledged)
            }
            None => Ok(()),
        }
    }

    fn failed(&mut self, error: &NetError) {
        self.report.failed += 1;
        if self.report.first_failure.is_none() {
            self.report.first_failure = Some(error.to_string());
        }
    }
}
