//! The connection manager: one thread owning a tokio runtime that runs every MQTT connection.
//!
//! The UI (or the headless CLI) sends [`Command`]s and drains [`Event`]s. Incoming messages
//! arrive as batches (every ~16 ms or 4,096 messages) so the receiver wakes once per batch.

mod batcher;
mod connection;
mod describe;
mod events;
mod manager;
mod options;

pub use events::{ConnectionState, ConnectionStats, Event, EventKind, EventReceiver};
pub use manager::{Command, ConnectionManager, Waker};
pub use options::{BrokerUrl, ConnectOptions, ProtocolVersion, Subscription, UrlError};

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
