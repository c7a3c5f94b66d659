//! The message types shared by the network layer and the model.

use crate::mqtt::Qos;
use bytes::Bytes;
use std::sync::Arc;
use std::time::SystemTime;

/// MQTT 5 publish properties, kept only for messages that carried any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageProperties {
    /// 0 = unspecified bytes, 1 = UTF-8 text.
    pub payload_format_indicator: Option<u8>,
    /// Lifetime the publisher gave the message, in seconds.
    pub message_expiry_interval_secs: Option<u32>,
    /// MIME type the publisher declared.
    pub content_type: Option<String>,
    /// Topic for a request/response reply.
    pub response_topic: Option<String>,
    /// Opaque data tying a response to its request.
    pub correlation_data: Option<Bytes>,
    /// User properties in the order they were sent (keys may repeat).
    pub user_properties: Vec<(String, String)>,
    /// Identifiers of the subscriptions that matched.
    pub subscription_identifiers: Vec<usize>,
}

impl MessageProperties {
    /// True when no property is set, so the message needs no properties at all.
    pub fn is_empty(&self) -> bool {
        self == &MessageProperties::default()
    }
}

/// One message as the network layer received it.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Incoming {
    /// Full topic name, as published.
    pub topic: String,
    /// Payload bytes, shared with the network buffers (not copied).
    pub payload: Bytes,
    pub qos: Qos,
    /// Retain flag as delivered by the broker.
    pub retain: bool,
    /// Wall-clock time the message was read off the socket.
    pub received_at: SystemTime,
    /// MQTT 5 properties, if the message carried any.
    pub properties: Option<Arc<MessageProperties>>,
}

impl Incoming {
    /// A plain message received now, for tests, fixtures and the simulator.
    pub fn new(topic: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            topic: topic.into(),
            payload: payload.into(),
            qos: Qos::AtMostOnce,
            retain: false,
            received_at: SystemTime::now(),
            properties: None,
        }
    }

    /// The same message with the retain flag set.
    pub fn retained(mut self) -> Self {
        self.retain = true;
        self
    }
}

/// One message as the model stores it in a topic's history.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Message {
    /// Position in the connection's arrival order (0 for the first message), unique per tree.
    pub seq: u64,
    pub payload: Bytes,
    pub qos: Qos,
    /// Retain flag as delivered.
    pub retain: bool,
    /// Wall-clock arrival time.
    pub received_at: SystemTime,
    /// MQTT 5 properties, if any.
    pub properties: Option<Arc<MessageProperties>>,
}

impl Message {
    /// The stored form of `incoming`, the `seq`-th message of its connection.
    pub fn from_incoming(incoming: Incoming, seq: u64) -> Self {
        Self {
            seq,
            payload: incoming.payload,
            qos: incoming.qos,
            retain: incoming.retain,
            received_at: incoming.received_at,
            properties: incoming.properties,
        }
    }
}
