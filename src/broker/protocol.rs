//! Between the wire and the engine: the packets clients send, in one set of types for both
//! protocol versions (decoded strictly in `decode.rs`), and the encoding of the broker's
//! answers (rumqttc's mqttbytes for PUBLISH, SUBACK and UNSUBACK; by hand where it falls short).

use super::session::{Delivery, PublishProperties};
use crate::mqtt::{ProtocolVersion, Qos, ReasonCode};
use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

/// A decode failure, with the MQTT 5 reason code to close the connection with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({reason})")]
pub struct ProtocolError {
    /// Reason code for an MQTT 5 DISCONNECT or CONNACK (0x81 malformed, 0x82 protocol error…).
    pub reason: ReasonCode,
    /// What was wrong, for the log.
    pub message: String,
}

impl ProtocolError {
    /// A protocol error (0x82).
    pub fn protocol(message: impl Into<String>) -> Self {
        Self {
            reason: ReasonCode::ProtocolError,
            message: message.into(),
        }
    }
}

/// A CONNECT, whatever its version.
#[derive(Debug, Clone)]
pub struct ConnectRequest {
    /// Client id as sent (may be empty).
    pub client_id: String,
    /// Clean session (3.1.1) / clean start (5).
    pub clean_start: bool,
    /// Keep alive in seconds.
    pub keep_alive: u16,
    /// Session expiry: 0 for a clean 3.1.1 session, `u32::MAX` for a persistent one.
    pub session_expiry_secs: u32,
    /// Unacknowledged QoS 1/2 messages the client accepts.
    pub receive_maximum: Option<u16>,
    /// Largest packet the client accepts.
    pub max_packet_size: Option<u32>,
    /// Topic aliases the client accepts from the broker (MQTT 5; 0: none).
    pub topic_alias_maximum: u16,
    /// Will, if any.
    pub will: Option<WillRequest>,
    /// User name.
    pub username: Option<String>,
    pub password: Option<String>,
    /// MQTT 5 authentication method (enhanced authentication is not supported).
    pub authentication_method: Option<String>,
}

/// The will of a CONNECT.
#[derive(Debug, Clone)]
pub struct WillRequest {
    /// Will topic.
    pub topic: String,
    /// Will payload.
    pub payload: Bytes,
    /// Will QoS.
    pub qos: Qos,
    /// Will retain flag.
    pub retain: bool,
    /// Will properties passed through to the will message.
    pub properties: Option<PublishProperties>,
    /// MQTT 5 will delay in seconds.
    pub delay_secs: u32,
    /// MQTT 5 message expiry of the will.
    pub expiry_secs: Option<u32>,
}

/// A PUBLISH from a client.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    /// Topic (empty when only a topic alias is given).
    pub topic: String,
    pub payload: Bytes,
    pub qos: Qos,
    pub retain: bool,
    /// Packet id (0 for QoS 0).
    pub pkid: u16,
    /// Pass-through properties.
    pub properties: Option<PublishProperties>,
    /// MQTT 5 message expiry interval.
    pub expiry_secs: Option<u32>,
    /// MQTT 5 topic alias.
    pub topic_alias: Option<u16>,
}

/// One filter of a SUBSCRIBE.
#[derive(Debug, Clone)]
pub struct FilterRequest {
    /// Filter, possibly `$share/…`.
    pub filter: String,
    /// Requested QoS.
    pub qos: Qos,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// Retain handling 0, 1 or 2.
    pub retain_handling: u8,
}

/// Every packet a client may send, in one form.
#[derive(Debug, Clone)]
pub enum Inbound {
    Publish(PublishRequest),
    /// PUBACK.
    PubAck(u16),
    /// PUBREC.
    PubRec(u16),
    /// PUBREL.
    PubRel(u16),
    /// PUBCOMP.
    PubComp(u16),
    Subscribe {
        pkid: u16,
        /// Filters in order.
        filters: Vec<FilterRequest>,
        /// MQTT 5 subscription identifier.
        subscription_id: Option<usize>,
    },
    Unsubscribe {
        pkid: u16,
        /// Filters in order.
        filters: Vec<String>,
    },
    /// PINGREQ.
    PingReq,
    Disconnect {
        /// Success (normal disconnection), DisconnectWithWill, or an error the client reports.
        reason: ReasonCode,
        /// MQTT 5 session expiry override.
        session_expiry_secs: Option<u32>,
    },
}

fn to_qos4(qos: Qos) -> rumqttc::mqttbytes::QoS {
    match qos {
        Qos::AtMostOnce => rumqttc::mqttbytes::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::mqttbytes::QoS::AtLeastOnce,
        Qos::ExactlyOnce => rumqttc::mqttbytes::QoS::ExactlyOnce,
    }
}

fn to_qos5(qos: Qos) -> rumqttc::v5::mqttbytes::QoS {
    match qos {
        Qos::AtMostOnce => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        Qos::ExactlyOnce => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
    }
}

/// What the broker tells a client in CONNACK.
#[derive(Debug, Clone, Default)]
pub struct ConnAckInfo {
    /// Whether a session was resumed.
    pub session_present: bool,
    /// Success, or why the connection is refused (mapped to 3.1.1's return codes).
    pub reason: ReasonCode,
    /// Client id the broker assigned (MQTT 5).
    pub assigned_client_id: Option<String>,
    /// Receive Maximum the broker accepts (MQTT 5).
    pub receive_maximum: u16,
    /// Topic Alias Maximum (MQTT 5).
    pub topic_alias_maximum: u16,
    /// Largest packet the broker accepts (MQTT 5).
    pub max_packet_size: u32,
    /// Reason string for a refusal (MQTT 5).
    pub reason_string: Option<String>,
    /// Keep alive the client must use instead of its own (MQTT 5).
    pub server_keep_alive: Option<u16>,
}

pub fn encode_connack(version: ProtocolVersion, info: &ConnAckInfo, out: &mut BytesMut) {
    match version {
        ProtocolVersion::V311 => {
            // §3.2: fixed header, session present, return code.
            let session_present =
                u8::from(info.session_present && info.reason == ReasonCode::Success);
            out.extend_from_slice(&[0x20, 0x02, session_present, info.reason.v311_connack_code()]);
        }
        ProtocolVersion::V5 => {
            use v5::ConnectReturnCode as C;
            let code = match info.reason {
                ReasonCode::Success => C::Success,
                ReasonCode::UnsupportedProtocolVersion => C::UnsupportedProtocolVersion,
                ReasonCode::ClientIdentifierNotValid => C::ClientIdentifierNotValid,
                ReasonCode::BadUserNameOrPassword => C::BadUserNamePassword,
                ReasonCode::NotAuthorized => C::NotAuthorized,
                ReasonCode::BadAuthenticationMethod => C::BadAuthenticationMethod,
                ReasonCode::ProtocolError => C::ProtocolError,
                ReasonCode::MalformedPacket => C::MalformedPacket,
                ReasonCode::TopicNameInvalid => C::TopicNameInvalid,
                ReasonCode::PacketTooLarge => C::PacketTooLarge,
                ReasonCode::QuotaExceeded => C::QuotaExceeded,
                ReasonCode::ServerBusy => C::ServerBusy,
                ReasonCode::ServerUnavailable => C::ServerUnavailable,
                ReasonCode::Banned => C::Banned,
                _ => C::UnspecifiedError,
            };
            let properties = v5::ConnAckProperties {
                session_expiry_interval: None,
                receive_max: Some(info.receive_maximum),
                max_qos: None,
                retain_available: None,
                max_packet_size: Some(info.max_packet_size),
                assigned_client_identifier: info.assigned_client_id.clone(),
                topic_alias_max: Some(info.topic_alias_maximum),
                reason_string: info.reason_string.clone(),
                user_properties: Vec::new(),
                wildcard_subscription_available: None,
                subscription_identifiers_available: None,
                shared_subscription_available: None,
                server_keep_alive: info.server_keep_alive,
                response_information: None,
                server_reference: None,
                authentication_method: None,
                authentication_data: None,
            };
            let connack = v5::ConnAck {
                session_present: info.session_present,
                code,
                properties: Some(properties),
            };
            let _ = connack.write(out);
        }
    }
}

/// How an outgoing MQTT 5 PUBLISH names its topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicNaming {
    /// The topic name, no alias.
    Name,
    /// The topic name and a new alias for it (§3.3.2.3.4).
    NameAndNewAlias(u16),
    /// Only the alias, the topic name left empty.
    Alias(u16),
}

impl TopicNaming {
    /// The alias sent, if any.
    pub fn alias(self) -> Option<u16> {
        match self {
            TopicNaming::Name => None,
            TopicNaming::NameAndNewAlias(alias) | TopicNaming::Alias(alias) => Some(alias),
        }
    }
}

/// Encode a PUBLISH for `delivery`. Returns `false` (writing nothing) when the packet would
/// exceed the client's maximum packet size: the message is then dropped for that client.
#[expect(
    clippy::too_many_arguments,
    reason = "the fields of one PUBLISH; a struct for them would only be built to be taken apart here"
)]
pub fn encode_publish(
    version: ProtocolVersion,
    delivery: &Delivery,
    pkid: u16,
    dup: bool,
    naming: TopicNaming,
    now: std::time::Instant,
    client_max_packet_size: Option<u32>,
    out: &mut BytesMut,
) -> bool {
    let message = &delivery.message;
    match version {
        ProtocolVersion::V311 => {
            let publish = v4::Publish {
                dup,
                qos: to_qos4(delivery.qos),
                retain: delivery.retain,
                topic: message.topic.clone(),
                pkid,
                payload: message.payload.clone(),
            };
            v4::Packet::Publish(publish).write(out, usize::MAX).is_ok()
        }
        ProtocolVersion::V5 => {
            let passthrough = message.properties.as_deref().cloned().unwrap_or_default();
            let expiry = message.remaining_expiry_secs(now);
            let has_properties = message.properties.is_some()
                || expiry.is_some()
                || naming.alias().is_some()
                || !delivery.subscription_ids.is_empty();
            let properties = has_properties.then(|| v5::PublishProperties {
                payload_format_indicator: passthrough.payload_format_indicator,
                message_expiry_interval: expiry,
                topic_alias: naming.alias(),
                response_topic: passthrough.response_topic,
                correlation_data: passthrough.correlation_data,
                user_properties: passthrough.user_properties,
                subscription_identifiers: delivery.subscription_ids.clone(),
                content_type: passthrough.content_type,
            });
            let publish = v5::Publish {
                dup,
                qos: to_qos5(delivery.qos),
                retain: delivery.retain,
                topic: match naming {
                    TopicNaming::Alias(_) => Bytes::new(),
                    _ => Bytes::copy_from_slice(message.topic.as_bytes()),
                },
                pkid,
                payload: message.payload.clone(),
                properties,
            };
            v5::Packet::Publish(publish)
                .write(out, client_max_packet_size)
                .is_ok()
        }
    }
}

/// The acknowledgement packets, by kind.
#[derive(Debug, Clone, Copy)]
pub enum Ack {
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
}

/// Encode an acknowledgement with `reason` (MQTT 5; 3.1.1 acknowledgements carry none).
/// Written by hand for MQTT 5: rumqttc's encoder takes reason codes per packet type, and the
/// form is the same for all four (MQTT 5.0 §3.4.2, §3.5.2, §3.6.2, §3.7.2).
pub fn encode_ack(
    version: ProtocolVersion,
    ack: Ack,
    pkid: u16,
    reason: ReasonCode,
    out: &mut BytesMut,
) {
    match version {
        ProtocolVersion::V311 => {
            let packet = match ack {
                Ack::Puback => v4::Packet::PubAck(v4::PubAck::new(pkid)),
                Ack::Pubrec => v4::Packet::PubRec(v4::PubRec::new(pkid)),
                Ack::Pubrel => v4::Packet::PubRel(v4::PubRel::new(pkid)),
                Ack::Pubcomp => v4::Packet::PubComp(v4::PubComp::new(pkid)),
            };
            let _ = packet.write(out, usize::MAX);
        }
        ProtocolVersion::V5 => {
            let first_byte = match ack {
                Ack::Puback => 0x40,
                Ack::Pubrec => 0x50,
                Ack::Pubrel => 0x62,
                Ack::Pubcomp => 0x70,
            };
            let [hi, lo] = pkid.to_be_bytes();
            if reason == ReasonCode::Success {
                // The short form: success and no properties (§3.4.2.1).
                out.extend_from_slice(&[first_byte, 2, hi, lo]);
            } else {
                out.extend_from_slice(&[first_byte, 3, hi, lo, reason.value()]);
            }
        }
    }
}

/// Encode a SUBACK: per filter the granted QoS, or a refusal reason code.
pub fn encode_suback(
    version: ProtocolVersion,
    pkid: u16,
    results: &[Result<Qos, ReasonCode>],
    out: &mut BytesMut,
) {
    match version {
        ProtocolVersion::V311 => {
            let codes = results
                .iter()
                .map(|r| match r {
                    Ok(qos) => v4::SubscribeReasonCode::Success(to_qos4(*qos)),
                    Err(_) => v4::SubscribeReasonCode::Failure,
                })
                .collect();
            let _ = v4::Packet::SubAck(v4::SubAck::new(pkid, codes)).write(out, usize::MAX);
        }
        ProtocolVersion::V5 => {
            use v5::SubscribeReasonCode as R;
            let codes = results
                .iter()
                .map(|r| match r {
                    Ok(qos) => R::Success(to_qos5(*qos)),
                    Err(ReasonCode::NotAuthorized) => R::NotAuthorized,
                    Err(ReasonCode::TopicFilterInvalid) => R::TopicFilterInvalid,
                    Err(ReasonCode::QuotaExceeded) => R::QuotaExceeded,
                    Err(ReasonCode::SharedSubscriptionsNotSupported) => {
                        R::SharedSubscriptionsNotSupported
                    }
                    Err(_) => R::Unspecified,
                })
                .collect();
            let suback = v5::SubAck {
                pkid,
                return_codes: codes,
                properties: None,
            };
            let _ = v5::Packet::SubAck(suback).write(out, None);
        }
    }
}

/// Encode an UNSUBACK; `existed` per filter (MQTT 5 reports "no subscription existed").
pub fn encode_unsuback(version: ProtocolVersion, pkid: u16, existed: &[bool], out: &mut BytesMut) {
    match version {
        ProtocolVersion::V311 => {
            let _ = v4::Packet::UnsubAck(v4::UnsubAck::new(pkid)).write(out, usize::MAX);
        }
        ProtocolVersion::V5 => {
            let reasons = existed
                .iter()
                .map(|&e| {
                    if e {
                        v5::UnsubAckReason::Success
                    } else {
                        v5::UnsubAckReason::NoSubscriptionExisted
                    }
                })
                .collect();
            let unsuback = v5::UnsubAck {
                pkid,
                reasons,
                properties: None,
            };
            let _ = v5::Packet::UnsubAck(unsuback).write(out, None);
        }
    }
}

pub fn encode_pingresp(version: ProtocolVersion, out: &mut BytesMut) {
    match version {
        ProtocolVersion::V311 => {
            let _ = v4::Packet::PingResp.write(out, usize::MAX);
        }
        ProtocolVersion::V5 => {
            let _ = v5::Packet::PingResp(v5::PingResp).write(out, None);
        }
    }
}

/// Encode an MQTT 5 DISCONNECT with `reason_code` (3.1.1 has no server DISCONNECT: nothing).
///
/// Written by hand: rumqttc 0.25's `Disconnect::write` with a reason code and no properties
/// declares a remaining length of 1 but writes a property-length byte too (malformed), and its
/// decoder rejects the 1-byte form. Reason code plus an explicit empty property list is valid
/// (MQTT 5.0 §3.14.2) and every decoder accepts it, rumqttc-based clients included.
pub fn encode_disconnect(version: ProtocolVersion, reason: ReasonCode, out: &mut BytesMut) {
    if version == ProtocolVersion::V311 {
        return;
    }
    out.extend_from_slice(&[0xE0, 0x02, reason.value(), 0x00]);
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
