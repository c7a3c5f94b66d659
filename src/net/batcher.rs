//! Collects incoming messages into batches: sent when full, or ~16 ms after the first arrived.

use super::events::{ConnectionStats, EventSender};
use super::{BATCH_INTERVAL_MS, BATCH_MAX_MESSAGES, ConnectionId};
use crate::model::Incoming;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;

/// Shared between the task that polls the event loop (pushing) and the timer task (flushing).
pub(super) struct Batcher {
    connection: ConnectionId,
    pending: Mutex<Vec<Incoming>>,
    first_arrived: Notify,
    events: EventSender,
    stats: Arc<ConnectionStats>,
    tap: Mutex<Option<super::manager::Tap>>,
}

impl Batcher {
    pub(super) fn new(
        connection: ConnectionId,
        events: EventSender,
        stats: Arc<ConnectionStats>,
    ) -> Arc<Self> {
        Arc::new(Self {
            connection,
            pending: Mutex::new(Vec::with_capacity(BATCH_MAX_MESSAGES)),
            first_arrived: Notify::new(),
            events,
            stats,
            tap: Mutex::new(None),
        })
    }

    pub(super) fn set_tap(&self, tap: Option<super::manager::Tap>) {
        *self.tap.lock().unwrap_or_else(PoisonError::into_inner) = tap;
    }

    /// Hand the batch to the tap, then to the consumer.
    fn send(&self, batch: Vec<Incoming>) {
        if let Some(tap) = &*self.tap.lock().unwrap_or_else(PoisonError::into_inner) {
            (tap.0)(&batch);
        }
        self.events.batch(self.connection, batch, &self.stats);
    }

    /// Add one message; sends the batch at once when it is full.
    pub(super) fn push(&self, incoming: Incoming) {
        let full = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.push(incoming);
            if pending.len() == 1 {
                self.first_arrived.notify_one();
            }
            (pending.len() >= BATCH_MAX_MESSAGES)
                .then(|| std::mem::replace(&mut *pending, Vec::with_capacity(BATCH_MAX_MESSAGES)))
        };
        if let Some(batch) = full {
            self.send(batch);
        }
    }

    /// Send whatever is pending.
    pub(super) fn flush(&self) {
        let batch = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.is_empty() {
                return;
            }
            std::mem::replace(&mut *pending, Vec::with_capacity(BATCH_MAX_MESSAGES))
        };
        self.send(batch);
    }

    /// Runs for the life of the connection: sleeps while idle, flushes ~16 ms after a first message.
    pub(super) async fn run_timer(self: Arc<Self>) {
        loop {
            self.first_arrived.notified().await;
            tokio::time::sleep(Duration::from_millis(BATCH_INTERVAL_MS)).await;
            self.flush();
        }
    }
}
