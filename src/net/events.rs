//! What the manager reports: connection state, message batches, errors.

use super::ConnectionId;
use super::error::NetError;
use crate::model::Incoming;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The life of one connection as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// The first attempt is under way.
    Connecting,
    /// CONNACK received.
    Connected {
        /// The broker resumed an earlier session.
        session_present: bool,
    },
    /// The connection was lost (or never made); the next attempt comes after `retry_in`.
    Reconnecting {
        /// Attempts made since the last success.
        attempt: u32,
        /// Wait before the next attempt.
        retry_in: Duration,
        /// Why the last attempt or connection failed, in plain words.
        reason: String,
    },
    /// Closed for good: by the user (`reason` is `None`) or after an error not worth retrying.
    Disconnected {
        /// Why, when it was not the user's choice.
        reason: Option<String>,
    },
}

impl ConnectionState {
    /// True while messages can flow.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionState::Connected { .. })
    }

    /// True once the connection is closed for good and will not come back by itself.
    pub fn is_closed(&self) -> bool {
        matches!(self, ConnectionState::Disconnected { .. })
    }
}

/// One report from the manager about one connection.
#[derive(Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Event {
    /// The connection it is about.
    pub connection: ConnectionId,
    pub kind: EventKind,
}

/// What happened on a connection.
#[derive(Debug)]
pub enum EventKind {
    /// The connection state changed.
    State(ConnectionState),
    /// Messages received, in arrival order.
    Batch(Vec<Incoming>),
    /// The broker acknowledged these topic filters (a SUBACK granted them).
    Subscribed(Vec<String>),
    /// A publish asked for with this ticket is done: written (QoS 0) or acknowledged (QoS 1/2),
    /// or failed with the reason.
    Published {
        /// The ticket [`crate::net::ConnectionManager::publish`] returned.
        ticket: u64,
        /// `Err` with the reason when it did not reach the broker.
        result: Result<(), NetError>,
    },
    /// Something failed that the user should hear about (a refused subscription, a failed publish).
    Error(NetError),
}

/// Counters the manager keeps per connection and the UI reads at any time, without a channel.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    received_messages: AtomicU64,
    dropped_messages: AtomicU64,
}

impl ConnectionStats {
    /// Messages read off the network on this connection.
    pub fn received_messages(&self) -> u64 {
        self.received_messages.load(Ordering::Relaxed)
    }

    /// Messages received but not handed to the model because the consumer fell behind.
    pub fn dropped_messages(&self) -> u64 {
        self.dropped_messages.load(Ordering::Relaxed)
    }

    pub(super) fn count_received(&self, n: u64) {
        self.received_messages.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn count_dropped(&self, n: u64) {
        self.dropped_messages.fetch_add(n, Ordering::Relaxed);
    }
}

/// Wakes the consumer after an event was queued (the GUI repaints; the CLI needs nothing).
pub(super) type WakeFn = Arc<dyn Fn() + Send + Sync>;

/// The manager's end of the event channel.
///
/// State changes and errors are never dropped. Batches are dropped (and counted) only when
/// more than `queued_limit` messages already wait for the consumer: a stalled UI must not
/// make memory grow without bound, nor block the network.
#[derive(Clone)]
pub(super) struct EventSender {
    tx: mpsc::Sender<Event>,
    queued_messages: Arc<AtomicUsize>,
    queued_limit: usize,
    wake: WakeFn,
}

impl EventSender {
    pub(super) fn state(&self, connection: ConnectionId, state: ConnectionState) {
        self.send(connection, EventKind::State(state));
    }

    pub(super) fn error(&self, connection: ConnectionId, error: NetError) {
        self.send(connection, EventKind::Error(error));
    }

    pub(super) fn published(
        &self,
        connection: ConnectionId,
        ticket: u64,
        result: Result<(), NetError>,
    ) {
        self.send(connection, EventKind::Published { ticket, result });
    }

    pub(super) fn subscribed(&self, connection: ConnectionId, filters: Vec<String>) {
        if !filters.is_empty() {
            self.send(connection, EventKind::Subscribed(filters));
        }
    }

    pub(super) fn batch(
        &self,
        connection: ConnectionId,
        batch: Vec<Incoming>,
        stats: &ConnectionStats,
    ) {
        let n = batch.len();
        if n == 0 {
            return;
        }
        stats.count_received(n as u64);
        let queued = self.queued_messages.load(Ordering::Acquire);
        if queued.saturating_add(n) > self.queued_limit {
            stats.count_dropped(n as u64);
            return;
        }
        self.queued_messages.fetch_add(n, Ordering::AcqRel);
        self.send(connection, EventKind::Batch(batch));
    }

    fn send(&self, connection: ConnectionId, kind: EventKind) {
        // The receiver is gone only while the application shuts down: nothing left to tell.
        if self.tx.send(Event { connection, kind }).is_ok() {
            (self.wake)();
        }
    }
}

/// The consumer's end of the event channel.
pub struct EventReceiver {
    rx: mpsc::Receiver<Event>,
    queued_messages: Arc<AtomicUsize>,
}

impl EventReceiver {
    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.rx.try_recv().ok().map(|event| self.taken(event))
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.rx
            .recv_timeout(timeout)
            .ok()
            .map(|event| self.taken(event))
    }

    fn taken(&self, event: Event) -> Event {
        if let EventKind::Batch(batch) = &event.kind {
            self.queued_messages
                .fetch_sub(batch.len(), Ordering::AcqRel);
        }
        event
    }
}

/// A connected sender/receiver pair that lets at most `queued_limit` messages wait.
pub(super) fn event_channel(queued_limit: usize, wake: WakeFn) -> (EventSender, EventReceiver) {
    let (tx, rx) = mpsc::channel();
    let queued_messages = Arc::new(AtomicUsize::new(0));
    (
        EventSender {
            tx,
            queued_messages: Arc::clone(&queued_messages),
            queued_limit,
            wake,
        },
        EventReceiver {
            rx,
            queued_messages,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_beyond_the_limit_are_counted_not_queued() {
        let (tx, rx) = event_channel(10, Arc::new(|| {}));
        let stats = ConnectionStats::default();
        let id = ConnectionId(1);
        let batch = |n| (0..n).map(|_| Incoming::new("t", "x")).collect::<Vec<_>>();
        tx.batch(id, batch(6), &stats);
        tx.batch(id, batch(6), &stats); // would make 12 > 10: dropped
        tx.state(id, ConnectionState::Connecting); // never dropped
        assert_eq!(stats.received_messages(), 12);
        assert_eq!(stats.dropped_messages(), 6);
        assert!(matches!(rx.try_recv().map(|e| e.kind), Some(EventKind::Batch(b)) if b.len() == 6));
        assert!(matches!(
            rx.try_recv().map(|e| e.kind),
            Some(EventKind::State(_))
        ));
        // Once drained, batches flow again.
        tx.batch(id, batch(6), &stats);
        assert!(matches!(
            rx.try_recv().map(|e| e.kind),
            Some(EventKind::Batch(_))
        ));
        assert_eq!(stats.dropped_messages(), 6);
    }
}
