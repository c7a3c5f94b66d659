//! What the broker sends one client: its identity after CONNECT, the topic aliases it was told,
//! and the encoding of acknowledgements and queued messages. Shared by the handshake (which
//! resends a resumed session's messages) and the connection loop.

use super::LiveClient;
use super::Shared;
use super::protocol::{self, Ack, TopicNaming};
use super::session::{Delivery, Outgoing};
use super::trace::{Direction, TracedPacket, traced_properties};
use crate::mqtt::{ProtocolVersion, Qos, ReasonCode};
use bytes::BytesMut;
use rustc_hash::FxHashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::Notify;

/// Most messages taken from a session per write, so the state lock is held briefly.
const SEND_BUDGET: usize = 256;

/// What the connection knows about its client after CONNECT.
pub(super) struct Client {
    pub(super) id: Arc<str>,
    /// This connection's entry in the broker's client list.
    pub(super) live: Arc<LiveClient>,
    /// Keep alive in force: the client's, or the Server Keep Alive we imposed.
    pub(super) keep_alive_secs: u16,
    pub(super) user: Option<Arc<str>>,
    pub(super) version: ProtocolVersion,
    pub(super) connection_id: u64,
    pub(super) max_packet_size: Option<u32>,
    pub(super) wake: Arc<Notify>,
    pub(super) kick: Arc<Notify>,
    /// Topic aliases this connection has told its client (MQTT 5).
    pub(super) aliases: Mutex<OutgoingAliases>,
}

/// The topic aliases the broker uses towards one client: the first topics it sends, up to the
/// smaller of the client's Topic Alias Maximum and the broker's own, each get an alias for the
/// life of the connection (MQTT 5.0 §3.3.2.3.4). Later topics go by name.
#[derive(Debug, Default)]
pub(super) struct OutgoingAliases {
    maximum: u16,
    by_topic: FxHashMap<Arc<str>, u16>,
}

impl OutgoingAliases {
    pub(super) fn new(maximum: u16) -> Self {
        Self {
            maximum,
            by_topic: FxHashMap::default(),
        }
    }

    /// How to name `topic` in the next PUBLISH, recording a new alias when one is given.
    fn naming(&mut self, topic: &str) -> TopicNaming {
        if let Some(&alias) = self.by_topic.get(topic) {
            return TopicNaming::Alias(alias);
        }
        let next = self.by_topic.len() + 1;
        match u16::try_from(next) {
            Ok(alias) if alias <= self.maximum => {
                self.by_topic.insert(Arc::from(topic), alias);
                TopicNaming::NameAndNewAlias(alias)
            }
            _ => TopicNaming::Name,
        }
    }

    fn forget(&mut self, topic: &str) {
        self.by_topic.remove(topic);
    }
}

impl Client {
    pub(super) fn send_ack(&self, shared: &Shared, ack: Ack, pkid: u16, out: &mut BytesMut) {
        self.send_ack_with_reason(shared, ack, pkid, ReasonCode::Success, out);
    }

    pub(super) fn send_ack_with_reason(
        &self,
        shared: &Shared,
        ack: Ack,
        pkid: u16,
        reason: ReasonCode,
        out: &mut BytesMut,
    ) {
        protocol::encode_ack(self.version, ack, pkid, reason, out);
        shared.trace.record(&self.id, Direction::Out, || match ack {
            Ack::Puback => TracedPacket::PubAck(pkid),
            Ack::Pubrec => TracedPacket::PubRec(pkid),
            Ack::Pubrel => TracedPacket::PubRel(pkid),
            Ack::Pubcomp => TracedPacket::PubComp(pkid),
        });
    }

    pub(super) fn send_suback(
        &self,
        shared: &Shared,
        pkid: u16,
        results: &[Result<Qos, ReasonCode>],
        out: &mut BytesMut,
    ) {
        protocol::encode_suback(self.version, pkid, results, out);
        let version = self.version;
        shared
            .trace
            .record(&self.id, Direction::Out, || TracedPacket::SubAck {
                pkid,
                codes: results
                    .iter()
                    .map(|r| match r {
                        Ok(qos) => ReasonCode::granted(*qos),
                        Err(_) if version == ProtocolVersion::V311 => ReasonCode::UnspecifiedError,
                        Err(code) => *code,
                    })
                    .collect(),
            });
    }

    pub(super) fn send_unsuback(
        &self,
        shared: &Shared,
        pkid: u16,
        existed: &[bool],
        out: &mut BytesMut,
    ) {
        protocol::encode_unsuback(self.version, pkid, existed, out);
        shared
            .trace
            .record(&self.id, Direction::Out, || TracedPacket::UnsubAck(pkid));
    }

    pub(super) fn send_pingresp(&self, shared: &Shared, out: &mut BytesMut) {
        protocol::encode_pingresp(self.version, out);
        shared
            .trace
            .record(&self.id, Direction::Out, || TracedPacket::PingResp);
    }
}

/// Take what the session may send now and encode it. Returns true if more is waiting.
/// What [`fill_outgoing`] found.
pub(super) struct Filled {
    /// More is ready to send than one take allows.
    pub(super) more: bool,
    /// Messages dropped for this client (its queue was full) since it was last asked.
    pub(super) dropped: u64,
}

pub(super) fn fill_outgoing(shared: &Shared, client: &Client, out: &mut BytesMut) -> Filled {
    let mut items = Vec::new();
    let filled = {
        let mut state = shared.lock();
        let Some(session) = state.session_mut(&client.id, client.connection_id) else {
            return Filled {
                more: false,
                dropped: 0,
            };
        };
        let (_, budget_hit) = session.take_sendable(SEND_BUDGET, Instant::now(), &mut items);
        if session.live_queued() <= shared.config.max_queued_messages / 4 {
            session.space.notify_waiters();
        }
        Filled {
            more: budget_hit,
            dropped: std::mem::take(&mut session.dropped_unreported),
        }
    };
    encode_outgoing(shared, client, items, out);
    filled
}

/// Trace an outgoing PUBLISH (built only when the trace is on).
fn trace_publish(
    shared: &Shared,
    client: &Client,
    delivery: &Delivery,
    pkid: u16,
    dup: bool,
    naming: TopicNaming,
    now: Instant,
) {
    shared.trace.record(&client.id, Direction::Out, || {
        let message = &delivery.message;
        let mut properties = traced_properties(
            message.properties.as_deref(),
            message.remaining_expiry_secs(now),
            naming.alias(),
        );
        if !delivery.subscription_ids.is_empty() && client.version == ProtocolVersion::V5 {
            properties.push(format!("subscription-ids={:?}", delivery.subscription_ids));
        }
        TracedPacket::publish(
            &message.topic,
            delivery.qos,
            delivery.retain,
            dup,
            pkid,
            &message.payload,
            properties,
        )
    });
}

pub(super) fn encode_outgoing(
    shared: &Shared,
    client: &Client,
    items: Vec<Outgoing>,
    out: &mut BytesMut,
) {
    let now = Instant::now();
    let mut sent = 0;
    let mut too_large = Vec::new();
    for item in items {
        match item {
            Outgoing::Publish {
                delivery,
                pkid,
                dup,
            } => {
                let naming = client
                    .aliases
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .naming(&delivery.message.topic);
                if protocol::encode_publish(
                    client.version,
                    &delivery,
                    pkid,
                    dup,
                    naming,
                    now,
                    client.max_packet_size,
                    out,
                ) {
                    sent += 1;
                    trace_publish(shared, client, &delivery, pkid, dup, naming, now);
                } else {
                    if let TopicNaming::NameAndNewAlias(_) = naming {
                        // Never sent: the client does not know the alias.
                        client
                            .aliases
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .forget(&delivery.message.topic);
                    }
                    too_large.push(pkid);
                }
            }
            Outgoing::PubRel { pkid } => client.send_ack(shared, Ack::Pubrel, pkid, out),
        }
    }
    shared.meters.note_messages_sent(sent);
    client.live.messages_out.fetch_add(sent, Ordering::Relaxed);
    if !too_large.is_empty() {
        // Larger than the client's maximum packet size: discarded as if delivered (MQTT 5 §3.1.2.25).
        shared.meters.note_dropped(too_large.len() as u64);
        let mut state = shared.lock();
        if let Some(session) = state.session_mut(&client.id, client.connection_id) {
            for pkid in too_large.into_iter().filter(|&p| p != 0) {
                session.puback(pkid);
            }
        }
    }
}
