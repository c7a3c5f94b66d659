//! Reading MQTT's data representations from one packet's body (MQTT 3.1.1 §1.5, MQTT 5.0 §1.5
//! and the property rules of §2.2.2): integers, variable byte integers, binary data, UTF-8
//! strings and property lists, each length checked against the bytes present.

use super::protocol::ProtocolError;
use super::session::PublishProperties;
use crate::mqtt::{ReasonCode, TopicName};
use bytes::{Buf, Bytes};

/// MQTT 5 property identifiers (§2.2.2.2).
pub(super) mod id {
    pub const PAYLOAD_FORMAT: u8 = 0x01;
    pub const MESSAGE_EXPIRY: u8 = 0x02;
    pub const CONTENT_TYPE: u8 = 0x03;
    pub const RESPONSE_TOPIC: u8 = 0x08;
    pub const CORRELATION_DATA: u8 = 0x09;
    pub const SUBSCRIPTION_IDENTIFIER: u8 = 0x0B;
    pub const SESSION_EXPIRY: u8 = 0x11;
    pub const ASSIGNED_CLIENT_ID: u8 = 0x12;
    pub const SERVER_KEEP_ALIVE: u8 = 0x13;
    pub const AUTHENTICATION_METHOD: u8 = 0x15;
    pub const AUTHENTICATION_DATA: u8 = 0x16;
    pub const REQUEST_PROBLEM_INFORMATION: u8 = 0x17;
    pub const WILL_DELAY: u8 = 0x18;
    pub const REQUEST_RESPONSE_INFORMATION: u8 = 0x19;
    pub const RESPONSE_INFORMATION: u8 = 0x1A;
    pub const SERVER_REFERENCE: u8 = 0x1C;
    pub const REASON_STRING: u8 = 0x1F;
    pub const RECEIVE_MAXIMUM: u8 = 0x21;
    pub const TOPIC_ALIAS_MAXIMUM: u8 = 0x22;
    pub const TOPIC_ALIAS: u8 = 0x23;
    pub const MAXIMUM_QOS: u8 = 0x24;
    pub const RETAIN_AVAILABLE: u8 = 0x25;
    pub const USER_PROPERTY: u8 = 0x26;
    pub const MAXIMUM_PACKET_SIZE: u8 = 0x27;
    pub const WILDCARD_SUBSCRIPTION_AVAILABLE: u8 = 0x28;
    pub const SUBSCRIPTION_IDENTIFIER_AVAILABLE: u8 = 0x29;
    pub const SHARED_SUBSCRIPTION_AVAILABLE: u8 = 0x2A;
}

/// The properties of one packet, each at most once (user properties excepted).
#[derive(Default)]
pub(super) struct Properties {
    pub(super) payload_format_indicator: Option<u8>,
    pub(super) message_expiry_secs: Option<u32>,
    pub(super) content_type: Option<String>,
    pub(super) response_topic: Option<String>,
    pub(super) correlation_data: Option<Bytes>,
    pub(super) subscription_identifier: Option<usize>,
    pub(super) session_expiry_secs: Option<u32>,
    pub(super) authentication_method: Option<String>,
    pub(super) authentication_data: Option<Bytes>,
    pub(super) will_delay_secs: Option<u32>,
    pub(super) receive_maximum: Option<u16>,
    pub(super) topic_alias: Option<u16>,
    pub(super) topic_alias_maximum: Option<u16>,
    pub(super) maximum_packet_size: Option<u32>,
    pub(super) user_properties: Vec<(String, String)>,
}

impl Properties {
    pub(super) fn into_publish_properties(self) -> Option<PublishProperties> {
        let properties = PublishProperties {
            payload_format_indicator: self.payload_format_indicator,
            content_type: self.content_type,
            response_topic: self.response_topic,
            correlation_data: self.correlation_data,
            user_properties: self.user_properties,
        };
        (properties != PublishProperties::default()).then_some(properties)
    }
}

/// A cursor over one packet's body that checks every length against the bytes present.
pub(super) struct Reader {
    bytes: Bytes,
}

impl Reader {
    pub(super) fn new(bytes: Bytes) -> Self {
        Self { bytes }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn need(&self, n: usize, what: &str) -> Result<(), ProtocolError> {
        if self.bytes.len() < n {
            Err(malformed(format!("the packet ends inside the {what}")))
        } else {
            Ok(())
        }
    }

    pub(super) fn u8(&mut self, what: &str) -> Result<u8, ProtocolError> {
        self.need(1, what)?;
        Ok(self.bytes.get_u8())
    }

    pub(super) fn u16(&mut self, what: &str) -> Result<u16, ProtocolError> {
        self.need(2, what)?;
        Ok(self.bytes.get_u16())
    }

    pub(super) fn u32(&mut self, what: &str) -> Result<u32, ProtocolError> {
        self.need(4, what)?;
        Ok(self.bytes.get_u32())
    }

    /// A variable byte integer (§1.5.5): at most four bytes, minimally encoded.
    pub(super) fn varint(&mut self, what: &str) -> Result<usize, ProtocolError> {
        let mut value = 0usize;
        for index in 0..4 {
            let byte = self.u8(what)?;
            value |= usize::from(byte & 0x7F) << (7 * index);
            if byte & 0x80 == 0 {
                if index > 0 && byte == 0 {
                    return Err(malformed(format!("the {what} is not minimally encoded")));
                }
                return Ok(value);
            }
        }
        Err(malformed(format!("the {what} is longer than four bytes")))
    }

    pub(super) fn take(&mut self, n: usize, what: &str) -> Result<Bytes, ProtocolError> {
        self.need(n, what)?;
        Ok(self.bytes.split_to(n))
    }

    /// Binary data: a two-byte length and that many bytes (§1.5.6).
    pub(super) fn binary(&mut self, what: &str) -> Result<Bytes, ProtocolError> {
        let len = usize::from(self.u16(what)?);
        self.take(len, what)
    }

    /// A UTF-8 string (§1.5.4): well-formed [MQTT-1.5.4-1], without U+0000 [MQTT-1.5.4-2].
    pub(super) fn string(&mut self, what: &str) -> Result<String, ProtocolError> {
        let bytes = self.binary(what)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| malformed(format!("the {what} is not valid UTF-8")))?;
        if text.contains('\0') {
            return Err(malformed(format!("the {what} contains U+0000")));
        }
        Ok(text.to_owned())
    }

    pub(super) fn packet_id(&mut self, packet: &str) -> Result<u16, ProtocolError> {
        match self.u16("packet identifier")? {
            // [MQTT-2.3.1-1]: packet identifiers are non-zero.
            0 => Err(protocol_error(format!("{packet} with packet identifier 0"))),
            pkid => Ok(pkid),
        }
    }

    /// Whatever is left: a PUBLISH payload.
    pub(super) fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.bytes)
    }

    /// [MQTT-2.2.2-x]: nothing may follow the last field a packet defines.
    pub(super) fn finish(&self, packet: &str) -> Result<(), ProtocolError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!(
                "{} bytes after the end of {packet}",
                self.bytes.len()
            )))
        }
    }

    /// A property list (§2.2.2): its length, then properties from `allowed`, each at most once
    /// except user properties, each value in its range.
    pub(super) fn properties(
        &mut self,
        allowed: &[u8],
        packet: &str,
    ) -> Result<Properties, ProtocolError> {
        let len = self.varint("property length")?;
        let mut r = Reader::new(self.take(len, "properties")?);
        let mut props = Properties::default();
        let mut seen = [false; 0x2B];
        while !r.is_empty() {
            let identifier = r.varint("property identifier")?;
            let Some(identifier) = u8::try_from(identifier)
                .ok()
                .filter(|i| usize::from(*i) < seen.len())
            else {
                return Err(malformed(format!("unknown property {identifier:#04x}")));
            };
            if !allowed.contains(&identifier) {
                return Err(if KNOWN.contains(&identifier) {
                    protocol_error(format!(
                        "property {identifier:#04x} is not allowed in {packet}"
                    ))
                } else {
                    malformed(format!("unknown property {identifier:#04x}"))
                });
            }
            let slot = &mut seen[usize::from(identifier)];
            if *slot && identifier != id::USER_PROPERTY {
                // §2.2.2.2: "It is a Protocol Error to include … more than once".
                return Err(protocol_error(format!(
                    "property {identifier:#04x} appears twice in {packet}"
                )));
            }
            *slot = true;
            r.property_value(identifier, &mut props)?;
        }
        Ok(props)
    }

    fn property_value(
        &mut self,
        identifier: u8,
        props: &mut Properties,
    ) -> Result<(), ProtocolError> {
        match identifier {
            id::PAYLOAD_FORMAT => {
                props.payload_format_indicator = Some(self.flag_byte("payload format indicator")?);
            }
            id::REQUEST_PROBLEM_INFORMATION => {
                self.flag_byte("request problem information")?;
            }
            id::REQUEST_RESPONSE_INFORMATION => {
                self.flag_byte("request response information")?;
            }
            id::MESSAGE_EXPIRY => props.message_expiry_secs = Some(self.u32("message expiry")?),
            id::SESSION_EXPIRY => props.session_expiry_secs = Some(self.u32("session expiry")?),
            id::WILL_DELAY => props.will_delay_secs = Some(self.u32("will delay")?),
            id::MAXIMUM_PACKET_SIZE => match self.u32("maximum packet size")? {
                0 => return Err(protocol_error("maximum packet size 0")), // §3.1.2.11.4
                size => props.maximum_packet_size = Some(size),
            },
            id::RECEIVE_MAXIMUM => match self.u16("receive maximum")? {
                0 => return Err(protocol_error("receive maximum 0")), // §3.1.2.11.3
                max => props.receive_maximum = Some(max),
            },
            id::TOPIC_ALIAS_MAXIMUM => {
                props.topic_alias_maximum = Some(self.u16("topic alias maximum")?);
            }
            id::TOPIC_ALIAS => match self.u16("topic alias")? {
                0 => {
                    // [MQTT-3.3.2-8]
                    return Err(ProtocolError {
                        reason: ReasonCode::TopicAliasInvalid,
                        message: "topic alias 0".to_owned(),
                    });
                }
                alias => props.topic_alias = Some(alias),
            },
            id::SUBSCRIPTION_IDENTIFIER => match self.varint("subscription identifier")? {
                0 => return Err(protocol_error("subscription identifier 0")), // §3.8.2.1.2
                sid => props.subscription_identifier = Some(sid),
            },
            id::CONTENT_TYPE => props.content_type = Some(self.string("content type")?),
            id::RESPONSE_TOPIC => {
                let topic = self.string("response topic")?;
                // [MQTT-3.3.2-14]: a topic name, so no wildcards.
                if TopicName::validate(&topic, &crate::mqtt::TopicLimits::PROTOCOL).is_err() {
                    return Err(protocol_error(format!(
                        "response topic {topic:?} is not a topic name"
                    )));
                }
                props.response_topic = Some(topic);
            }
            id::CORRELATION_DATA => props.correlation_data = Some(self.binary("correlation data")?),
            id::AUTHENTICATION_METHOD => {
                props.authentication_method = Some(self.string("authentication method")?);
            }
            id::AUTHENTICATION_DATA => {
                props.authentication_data = Some(self.binary("authentication data")?);
            }
            id::REASON_STRING => {
                self.string("reason string")?;
            }
            id::USER_PROPERTY => {
                let key = self.string("user property name")?;
                let value = self.string("user property value")?;
                props.user_properties.push((key, value));
            }
            other => return Err(malformed(format!("unknown property {other:#04x}"))),
        }
        Ok(())
    }

    /// A byte property that may only be 0 or 1.
    fn flag_byte(&mut self, what: &str) -> Result<u8, ProtocolError> {
        match self.u8(what)? {
            value @ (0 | 1) => Ok(value),
            value => Err(protocol_error(format!("{what} {value} (only 0 or 1)"))),
        }
    }
}

/// Every property identifier MQTT 5 defines, to tell "not allowed here" from "unknown".
const KNOWN: &[u8] = &[
    id::PAYLOAD_FORMAT,
    id::MESSAGE_EXPIRY,
    id::CONTENT_TYPE,
    id::RESPONSE_TOPIC,
    id::CORRELATION_DATA,
    id::SUBSCRIPTION_IDENTIFIER,
    id::SESSION_EXPIRY,
    id::ASSIGNED_CLIENT_ID,
    id::SERVER_KEEP_ALIVE,
    id::AUTHENTICATION_METHOD,
    id::AUTHENTICATION_DATA,
    id::REQUEST_PROBLEM_INFORMATION,
    id::WILL_DELAY,
    id::REQUEST_RESPONSE_INFORMATION,
    id::RESPONSE_INFORMATION,
    id::SERVER_REFERENCE,
    id::REASON_STRING,
    id::RECEIVE_MAXIMUM,
    id::TOPIC_ALIAS_MAXIMUM,
    id::TOPIC_ALIAS,
    id::MAXIMUM_QOS,
    id::RETAIN_AVAILABLE,
    id::USER_PROPERTY,
    id::MAXIMUM_PACKET_SIZE,
    id::WILDCARD_SUBSCRIPTION_AVAILABLE,
    id::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
    id::SHARED_SUBSCRIPTION_AVAILABLE,
];

pub(super) fn malformed(message: impl Into<String>) -> ProtocolError {
    ProtocolError {
        reason: ReasonCode::MalformedPacket,
        message: message.into(),
    }
}

pub(super) fn protocol_error(message: impl Into<String>) -> ProtocolError {
    ProtocolError {
        reason: ReasonCode::ProtocolError,
        message: message.into(),
    }
}
