//! How MQTT maps onto MCAP (the same text is in docs/recordings.md):
//!
//! - Header profile `mqtt`; library `canopy <version>`.
//! - One channel per topic, QoS, retain flag and payload kind. `topic` is the MQTT topic;
//!   `message_encoding` is `json` when the payload is a JSON document (so general MCAP viewers
//!   show it) and empty otherwise; metadata `mqtt.qos` ("0", "1", "2") and `mqtt.retain`
//!   ("true", "false"). No schema.
//! - A message's `data` is its payload exactly as received; `log_time` and `publish_time` are
//!   the receive time in nanoseconds since the Unix epoch; `sequence` counts messages from 0
//!   (it wraps at 2³²).
//! - MQTT 5 properties, when a message has any, follow it as a message on a properties channel
//!   of the same topic (`message_encoding` `json`, metadata `mqtt.properties` = "true") with the
//!   same `sequence` and `log_time`; its data is a JSON object (see [`StoredProperties`]).
//! - MCAP numbers channels with 16 bits. Past 60,000 channels, further topics share one channel
//!   per delivery kind whose `topic` is `#`; each of their messages is followed by a message on
//!   the properties channel of topic `#` whose JSON names the MQTT `topic`.

use crate::model::MessageProperties;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The MCAP header profile of an MQTT recording.
pub const PROFILE: &str = "mqtt";

/// Channel metadata: the QoS the message was delivered with.
pub(super) const QOS_KEY: &str = "mqtt.qos";
/// Channel metadata: the retain flag as delivered.
pub(super) const RETAIN_KEY: &str = "mqtt.retain";
/// Channel metadata marking a properties channel.
pub(super) const PROPERTIES_KEY: &str = "mqtt.properties";

/// MQTT 5 properties as stored: JSON, binary correlation data in base64.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub(crate) struct StoredProperties {
    /// Only for messages on a shared channel: their MQTT topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_format_indicator: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_expiry_interval: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_topic: Option<String>,
    /// Base64 (standard alphabet, padded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_data: Option<String>,
    /// `[key, value]` pairs in the order sent (keys may repeat).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_properties: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscription_identifiers: Vec<usize>,
}

impl From<&MessageProperties> for StoredProperties {
    fn from(p: &MessageProperties) -> Self {
        StoredProperties {
            topic: None,
            payload_format_indicator: p.payload_format_indicator,
            message_expiry_interval: p.message_expiry_interval_secs,
            content_type: p.content_type.clone(),
            response_topic: p.response_topic.clone(),
            correlation_data: p
                .correlation_data
                .as_ref()
                .map(|d| base64::engine::general_purpose::STANDARD.encode(d)),
            user_properties: p.user_properties.clone(),
            subscription_identifiers: p.subscription_identifiers.clone(),
        }
    }
}

impl StoredProperties {
    /// Back to the model's properties; correlation data that is not base64 is kept as its text.
    pub fn to_properties(&self) -> MessageProperties {
        MessageProperties {
            payload_format_indicator: self.payload_format_indicator,
            message_expiry_interval_secs: self.message_expiry_interval,
            content_type: self.content_type.clone(),
            response_topic: self.response_topic.clone(),
            correlation_data: self.correlation_data.as_ref().map(|text| {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_else(|_| text.as_bytes().to_vec())
                    .into()
            }),
            user_properties: self.user_properties.clone(),
            subscription_identifiers: self.subscription_identifiers.clone(),
        }
    }
}
