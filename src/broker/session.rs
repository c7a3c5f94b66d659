//! A client's session: subscriptions, queued and in-flight messages, will. It outlives the
//! network connection when the client asked for a persistent session.

use crate::mqtt::Qos;
use bytes::Bytes;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// A session that takes nothing from its queue for this long is stuck: publishers stop waiting
/// for it and what does not fit is dropped (and counted).
pub const STUCK_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

/// Most payload taken from a queue at once (at least one message is always taken).
pub const TAKE_BYTES: usize = 64 * 1024;

/// MQTT 5 publish properties the broker passes through untouched (it adds none of its own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishProperties {
    /// 0 = bytes, 1 = UTF-8.
    pub payload_format_indicator: Option<u8>,
    /// MIME type.
    pub content_type: Option<String>,
    /// Request/response: where to answer.
    pub response_topic: Option<String>,
    /// Request/response: opaque correlation data.
    pub correlation_data: Option<Bytes>,
    /// User properties in order.
    pub user_properties: Vec<(String, String)>,
}

/// One published message as the broker routes it.
#[derive(Clone, Debug)]
pub struct BrokerMessage {
    pub topic: String,
    pub payload: Bytes,
    /// QoS it was published with.
    pub qos: Qos,
    /// Retain flag as published.
    pub retain: bool,
    /// MQTT 5 properties, passed through.
    pub properties: Option<Box<PublishProperties>>,
    /// When it stops being deliverable (MQTT 5 message expiry).
    pub expires_at: Option<Instant>,
    /// Client that published it (for no-local); `None` for the broker's own ($SYS, wills keep theirs).
    pub publisher: Option<Arc<str>>,
}

impl BrokerMessage {
    /// Whether the message expired at `now`.
    pub fn expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Seconds left before expiry, rounded up (for the outgoing Message Expiry Interval).
    pub fn remaining_expiry_secs(&self, now: Instant) -> Option<u32> {
        self.expires_at.map(|at| {
            let left = at.saturating_duration_since(now);
            (left.as_secs() + u64::from(left.subsec_nanos() > 0)).min(u64::from(u32::MAX)) as u32
        })
    }

    /// Rough memory held by the message, for queue byte limits.
    pub fn weight_bytes(&self) -> usize {
        self.topic.len() + self.payload.len() + 64
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionOptions {
    /// The filter as subscribed (without a `$share/group/` prefix).
    pub filter: Arc<str>,
    /// Maximum QoS granted.
    pub qos: Qos,
    /// MQTT 5: do not send the client its own messages.
    pub no_local: bool,
    /// MQTT 5: keep the retain flag as published on live messages.
    pub retain_as_published: bool,
    /// MQTT 5: 0 send retained on subscribe, 1 only if new, 2 never.
    pub retain_handling: u8,
    /// MQTT 5 subscription identifier.
    pub subscription_id: Option<usize>,
    /// Shared subscription group, if any.
    pub share_group: Option<Arc<str>>,
}

/// One message waiting for, or on, its way to a client.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message: Arc<BrokerMessage>,
    /// QoS it is delivered with.
    pub qos: Qos,
    /// Retain flag on the outgoing PUBLISH.
    pub retain: bool,
    /// Subscription identifiers of all matching subscriptions.
    pub subscription_ids: Vec<usize>,
    /// Sent from the retained store because of a new subscription: its payload is the store's
    /// (shared), so it does not count against the queue's limits.
    pub from_retained_store: bool,
}

/// Where an outgoing QoS 1/2 message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflightState {
    /// PUBLISH sent, PUBACK (QoS 1) or PUBREC (QoS 2) awaited.
    AwaitingAck,
    /// PUBREL sent, PUBCOMP awaited.
    AwaitingComp,
}

/// A will to publish when the connection ends badly.
#[derive(Clone, Debug)]
pub struct Will {
    pub message: Arc<BrokerMessage>,
    /// MQTT 5 will delay.
    pub delay: Duration,
}

/// The live connection attached to a session.
#[derive(Clone, Debug)]
pub struct ConnectionLink {
    /// Unique per connection, so a late disconnect of a replaced connection is ignored.
    pub connection_id: u64,
    /// Wakes the connection's task when there is something to send.
    pub wake: Arc<Notify>,
    /// Tells the connection's task to close (session taken over).
    pub kick: Arc<Notify>,
    /// Most unacknowledged QoS 1/2 messages the client accepts.
    pub receive_maximum: u16,
}

/// Something the connection must write, chosen under the state lock.
#[derive(Clone, Debug)]
pub enum Outgoing {
    /// A PUBLISH (QoS 0 has pkid 0).
    Publish {
        /// What to send.
        delivery: Delivery,
        /// Packet id (0 for QoS 0).
        pkid: u16,
        /// Redelivery of an unacknowledged message.
        dup: bool,
    },
    /// A PUBREL for a QoS 2 message.
    PubRel { pkid: u16 },
}

/// A client's session.
#[derive(Debug)]
pub struct Session {
    pub client_id: Arc<str>,
    /// User name the current connection authenticated with.
    pub user: Option<Arc<str>>,
    /// Subscriptions by full filter as subscribed (with any `$share/` prefix).
    pub subscriptions: FxHashMap<String, SubscriptionOptions>,
    /// Messages not yet sent.
    pub queue: VecDeque<Delivery>,
    /// Bytes held by the live messages of `queue`.
    pub queued_bytes: usize,
    /// Deliveries in `queue` that came from the retained store on subscribe.
    pub store_backlog: usize,
    /// Live messages dropped because the queue was full, not yet reported to the connection.
    pub dropped_unreported: u64,
    /// Sent QoS 1/2 messages awaiting acknowledgement, by packet id.
    pub inflight: BTreeMap<u16, (Delivery, InflightState)>,
    /// Incoming QoS 2 packet ids received but not yet released.
    pub incoming_qos2: FxHashSet<u16>,
    next_pkid: u16,
    /// The connection, while there is one.
    pub link: Option<ConnectionLink>,
    /// Seconds the session outlives its connection (`u32::MAX`: forever).
    pub expiry_interval_secs: u32,
    /// When an offline session ends.
    pub expires_at: Option<Instant>,
    /// The will of the current or last connection.
    pub will: Option<Will>,
    /// When a delayed will is due.
    pub will_due: Option<Instant>,
    /// Last time the connection took messages from the queue (or found it empty): a session
    /// that stops draining for long is stuck, and publishers stop waiting for it.
    pub last_drained: Instant,
    /// Woken when the queue drains below the low-water mark, for publishers held back by it.
    pub space: Arc<Notify>,
}

impl Session {
    /// A new, empty session.
    pub fn new(client_id: Arc<str>, expiry_interval_secs: u32) -> Self {
        Self {
            client_id,
            user: None,
            subscriptions: FxHashMap::default(),
            queue: VecDeque::new(),
            queued_bytes: 0,
            store_backlog: 0,
            dropped_unreported: 0,
            inflight: BTreeMap::new(),
            incoming_qos2: FxHashSet::default(),
            next_pkid: 1,
            link: None,
            expiry_interval_secs,
            expires_at: None,
            will: None,
            will_due: None,
            last_drained: Instant::now(),
            space: Arc::new(Notify::new()),
        }
    }

    /// Whether publishers should wait for this session before sending more: it is online, its
    /// queue is past half full, and it is still draining (it took messages in the last 500 ms).
    pub fn wants_backpressure(&self, max_messages: usize, now: Instant) -> bool {
        self.link.is_some()
            && self.live_queued() >= max_messages / 2
            && now.saturating_duration_since(self.last_drained) < STUCK_AFTER
    }

    /// Whether a publisher held back by this session may go on.
    pub fn relieved(&self, max_messages: usize, now: Instant) -> bool {
        self.link.is_none()
            || self.live_queued() <= max_messages / 4
            || now.saturating_duration_since(self.last_drained) >= STUCK_AFTER
    }

    /// Messages queued from live traffic (the retained store's backlog left out).
    pub fn live_queued(&self) -> usize {
        self.queue.len() - self.store_backlog
    }

    /// Queue a retained message for a new subscription. Never refused: its payload is held by
    /// the retained store anyway, and the connection sends it as fast as the client reads, so
    /// a subscriber to `#` gets every retained message whatever their number.
    pub fn enqueue_from_store(&mut self, mut delivery: Delivery) {
        delivery.from_retained_store = true;
        if self.queue.is_empty() {
            self.last_drained = Instant::now();
        }
        self.store_backlog += 1;
        self.queue.push_back(delivery);
    }

    /// Queue a live delivery unless the session's limits are reached; returns whether it was
    /// queued.
    pub fn enqueue(&mut self, delivery: Delivery, max_messages: usize, max_bytes: usize) -> bool {
        let weight = delivery.message.weight_bytes();
        if self.live_queued() >= max_messages || self.queued_bytes + weight > max_bytes {
            return false;
        }
        if self.queue.is_empty() {
            // The stuck clock starts when there is something to drain, not when the session
            // last had something: an idle subscriber is not a stuck one.
            self.last_drained = Instant::now();
        }
        self.queued_bytes += weight;
        self.queue.push_back(delivery);
        true
    }

    /// Take what may be sent now: up to `budget` messages, QoS 1/2 only while fewer than the
    /// client's receive maximum are unacknowledged. Expired messages are dropped and counted.
    ///
    /// Returns how many expired messages were dropped, and whether it stopped on its budget
    /// (`budget` messages or [`TAKE_BYTES`] of payload) with more ready to send. Small takes keep
    /// `last_drained` meaningful: a live but modest reader shows progress every few KiB.
    pub fn take_sendable(
        &mut self,
        budget: usize,
        now: Instant,
        out: &mut Vec<Outgoing>,
    ) -> (usize, bool) {
        let window = self
            .link
            .as_ref()
            .map_or(0, |l| usize::from(l.receive_maximum.max(1)));
        let mut expired = 0;
        let mut taken = 0;
        let mut taken_bytes = 0;
        self.last_drained = now;
        while let Some(front) = self.queue.front() {
            if front.qos != Qos::AtMostOnce && self.inflight.len() >= window {
                break;
            }
            if taken >= budget || taken_bytes >= TAKE_BYTES {
                return (expired, true);
            }
            let Some(delivery) = self.queue.pop_front() else {
                break;
            };
            if delivery.from_retained_store {
                self.store_backlog -= 1;
            } else {
                self.queued_bytes = self
                    .queued_bytes
                    .saturating_sub(delivery.message.weight_bytes());
            }
            if delivery.message.expired(now) {
                expired += 1;
                continue;
            }
            let pkid = if delivery.qos == Qos::AtMostOnce {
                0
            } else {
                let pkid = self.next_free_pkid();
                self.inflight
                    .insert(pkid, (delivery.clone(), InflightState::AwaitingAck));
                pkid
            };
            taken_bytes += delivery.message.weight_bytes();
            out.push(Outgoing::Publish {
                delivery,
                pkid,
                dup: false,
            });
            taken += 1;
        }
        (expired, false)
    }

    /// What to send again when a persistent session resumes: unacknowledged PUBLISHes (DUP) and
    /// PUBRELs, in packet-id order.
    pub fn resend(&self) -> Vec<Outgoing> {
        self.inflight
            .iter()
            .map(|(&pkid, (delivery, state))| match state {
                InflightState::AwaitingAck => Outgoing::Publish {
                    delivery: delivery.clone(),
                    pkid,
                    dup: true,
                },
                InflightState::AwaitingComp => Outgoing::PubRel { pkid },
            })
            .collect()
    }

    /// PUBACK received.
    pub fn puback(&mut self, pkid: u16) -> bool {
        self.inflight.remove(&pkid).is_some()
    }

    /// PUBREC received: the PUBREL to send, if the id was known.
    pub fn pubrec(&mut self, pkid: u16) -> bool {
        match self.inflight.get_mut(&pkid) {
            Some((_, state)) => {
                *state = InflightState::AwaitingComp;
                true
            }
            None => false,
        }
    }

    /// PUBCOMP received.
    pub fn pubcomp(&mut self, pkid: u16) -> bool {
        self.inflight.remove(&pkid).is_some()
    }

    fn next_free_pkid(&mut self) -> u16 {
        // At most 65,535 can be in flight and the window is smaller, so a free id exists.
        loop {
            let pkid = self.next_pkid;
            self.next_pkid = if self.next_pkid == u16::MAX {
                1
            } else {
                self.next_pkid + 1
            };
            if !self.inflight.contains_key(&pkid) {
                return pkid;
            }
        }
    }
}
