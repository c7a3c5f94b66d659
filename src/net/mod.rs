//! The connection manager: one thread owning a tokio runtime that runs every MQTT connection.
//!
//! The UI (or the headless CLI) sends [`Command`]s and drains [`Event`]s. Incoming messages
//! arrive as batches (every ~16 ms or 4,096 messages) so the receiver wakes once per batch.

mod batcher;
mod blocking_client;
pub(crate) mod client;
mod coalesce;
mod connection;
mod describe;
mod error;
mod events;
mod manager;
mod options;
mod polled;
mod retained_clear;
mod tls;
mod tls_origin;

pub use blocking_client::BlockingClient;
pub use error::{NetError, TlsError};
pub use events::{ConnectionState, ConnectionStats, Event, EventKind, EventReceiver};
pub use manager::{Command, ConnectionManager, Tap, Waker};
pub use options::{
    BrokerUrl, ConnectOptions, LastWill, Subscription, Transport, UrlError, random_client_id,
};
pub use retained_clear::{CLEAR_WINDOW, ClearRequest, RetainedClear};
pub use tls::{TlsOptions, client_config};

use crate::model::MessageProperties;
use crate::mqtt::Qos;
use bytes::Bytes;

/// A message to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct OutgoingMessage {
    /// Topic name (no wildcards).
    pub topic: String,
    pub payload: Bytes,
    pub qos: Qos,
    /// Retain flag (an empty retained payload deletes the retained message).
    pub retain: bool,
    /// MQTT 5 properties; refused on an MQTT 3.1.1 connection.
    pub properties: Option<MessageProperties>,
}

impl OutgoingMessage {
    /// A QoS 0 message without properties.
    pub fn new(topic: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos: Qos::AtMostOnce,
            retain: false,
            properties: None,
        }
    }

    /// The empty retained message that deletes `topic`'s retained message.
    pub fn clear_retained(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            payload: Bytes::new(),
            qos: Qos::AtLeastOnce,
            retain: true,
            properties: None,
        }
    }
}

/// Identifies one connection for the life of the manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// Largest packet MQTT can encode (remaining length of 268,435,455 bytes plus its header).
/// rumqttc's 10 KiB default would drop the connection on any larger payload.
pub const MAX_PACKET_SIZE_BYTES: usize = 268_435_460;

/// Most messages one batch holds before it is sent without waiting for the timer.
pub const BATCH_MAX_MESSAGES: usize = 4096;

/// How long the first message of a batch waits for company before the batch is sent.
pub const BATCH_INTERVAL_MS: u64 = 16;
