//! Traffic counters, updated by connection tasks without the state lock and read by `$SYS`
//! and the UI at any time.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals since the broker started.
#[derive(Debug, Default)]
pub struct Meters {
    messages_received: AtomicU64,
    messages_sent: AtomicU64,
    bytes_received: AtomicU64,
    bytes_sent: AtomicU64,
    publish_dropped: AtomicU64,
    publish_refused: AtomicU64,
    strangers_refused: AtomicU64,
    connections_total: AtomicU64,
    clients_maximum: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeterSnapshot {
    /// PUBLISH packets received from clients.
    pub messages_received: u64,
    /// PUBLISH packets sent to clients.
    pub messages_sent: u64,
    /// Bytes read from clients.
    pub bytes_received: u64,
    /// Bytes written to clients.
    pub bytes_sent: u64,
    /// Messages not delivered because a client's queue was full or its packet size too small.
    pub publish_dropped: u64,
    /// PUBLISH packets refused: to `$SYS`, or not allowed by the ACL.
    pub publish_refused: u64,
    /// Connections closed before CONNECT because those not yet accepted held their budget.
    pub strangers_refused: u64,
    /// Connections accepted (CONNACK sent) since start.
    pub connections_total: u64,
    /// Most clients connected at once.
    pub clients_maximum: u64,
}

impl Meters {
    /// Count a received PUBLISH.
    pub fn note_message_received(&self) {
        self.messages_received.fetch_add(1, Ordering::Relaxed);
    }

    /// Count PUBLISH packets sent.
    pub fn note_messages_sent(&self, n: u64) {
        self.messages_sent.fetch_add(n, Ordering::Relaxed);
    }

    /// Count bytes read.
    pub fn note_bytes_received(&self, n: u64) {
        self.bytes_received.fetch_add(n, Ordering::Relaxed);
    }

    /// Count bytes written.
    pub fn note_bytes_sent(&self, n: u64) {
        self.bytes_sent.fetch_add(n, Ordering::Relaxed);
    }

    /// Count messages dropped.
    pub fn note_dropped(&self, n: u64) {
        if n > 0 {
            self.publish_dropped.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Count a refused PUBLISH.
    pub fn note_refused(&self) {
        self.publish_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Count a connection closed because the budget for unaccepted ones was spent.
    pub fn note_stranger_refused(&self) {
        self.strangers_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Count an accepted connection; `connected_now` updates the maximum.
    pub fn note_connected(&self, connected_now: usize) {
        self.connections_total.fetch_add(1, Ordering::Relaxed);
        self.clients_maximum
            .fetch_max(connected_now as u64, Ordering::Relaxed);
    }

    /// Read every counter.
    pub fn snapshot(&self) -> MeterSnapshot {
        MeterSnapshot {
            messages_received: self.messages_received.load(Ordering::Relaxed),
            messages_sent: self.messages_sent.load(Ordering::Relaxed),
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            publish_dropped: self.publish_dropped.load(Ordering::Relaxed),
            publish_refused: self.publish_refused.load(Ordering::Relaxed),
            strangers_refused: self.strangers_refused.load(Ordering::Relaxed),
            connections_total: self.connections_total.load(Ordering::Relaxed),
            clients_maximum: self.clients_maximum.load(Ordering::Relaxed),
        }
    }
}
