//! Between the wire and the engine: decode client packets of either protocol version with
//! rumqttc's mqttbytes codecs into one set of types, and encode the broker's answers.

use super::session::{Delivery, PublishProperties};
use crate::mqtt::{ProtocolVersion, Qos};
use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

/// A decode failure, with the MQTT 5 reason code to close the connection with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProtocolError {
    /// Reason code for an MQTT 5 DISCONNECT (0x81 malformed, 0x82 protocol error, 0x95 too large…).
    pub reason_code: u8,
    /// What was wrong, for the log.
    pub message: String,
}

impl ProtocolError {
    /// A protocol error (0x82).
    pub fn protocol(message: impl Into<String>) -> Self {
        Self {
            reason_code: 0x82,
            message: message.into(),
        }
    }

    fn malformed(message: impl Into<String>) -> Self {
        Self {
            reason_code: 0x81,
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
    /// Will, if any.
    pub will: Option<WillRequest>,
    /// User name.
    pub username: Option<String>,
    /// Password.
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
    /// Payload.
    pub payload: Bytes,
    /// QoS.
    pub qos: Qos,
    /// Retain flag.
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
    /// No local.
    pub no_local: bool,
    /// Retain as published.
    pub retain_as_published: bool,
    /// Retain handling 0, 1 or 2.
    pub retain_handling: u8,
}

/// Every packet a client may send, in one form.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// CONNECT.
    Connect(Box<ConnectRequest>),
    /// PUBLISH.
    Publish(PublishRequest),
    /// PUBACK.
    PubAck(u16),
    /// PUBREC.
    PubRec(u16),
    /// PUBREL.
    PubRel(u16),
    /// PUBCOMP.
    PubComp(u16),
    /// SUBSCRIBE.
    Subscribe {
        /// Packet id.
        pkid: u16,
        /// Filters in order.
        filters: Vec<FilterRequest>,
        /// MQTT 5 subscription identifier.
        subscription_id: Option<usize>,
    },
    /// UNSUBSCRIBE.
    Unsubscribe {
        /// Packet id.
        pkid: u16,
        /// Filters in order.
        filters: Vec<String>,
    },
    /// PINGREQ.
    PingReq,
    /// DISCONNECT.
    Disconnect {
        /// Reason code (0 normal, 4 disconnect with will).
        reason_code: u8,
        /// MQTT 5 session expiry override.
        session_expiry_secs: Option<u32>,
    },
}

/// Read the protocol level of the CONNECT at the start of `buf` (a whole packet is there).
pub fn connect_version(buf: &[u8]) -> Result<ProtocolVersion, ProtocolError> {
    if buf.first().map(|b| b >> 4) != Some(1) {
        return Err(ProtocolError::protocol("the first packet was not CONNECT"));
    }
    // Skip the remaining-length varint.
    let mut index = 1;
    while buf.get(index).is_some_and(|b| b & 0x80 != 0) {
        index += 1;
    }
    index += 1;
    let name_len = match (buf.get(index), buf.get(index + 1)) {
        (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
        _ => return Err(ProtocolError::malformed("CONNECT too short")),
    };
    let name = buf.get(index + 2..index + 2 + name_len);
    let level = buf.get(index + 2 + name_len);
    match (name, level) {
        (Some(b"MQTT"), Some(4)) => Ok(ProtocolVersion::V311),
        (Some(b"MQTT"), Some(5)) => Ok(ProtocolVersion::V5),
        (Some(b"MQTT"), Some(level)) => Err(ProtocolError {
            reason_code: 0x84,
            message: format!("unsupported protocol level {level}"),
        }),
        _ => Err(ProtocolError {
            reason_code: 0x84,
            message: "unsupported protocol name".to_owned(),
        }),
    }
}

/// Decode the next packet from `buf`; `Ok(None)` when more bytes are needed. The declared
/// length is checked against `max_packet_size` before the body is waited for.
pub fn decode(
    version: ProtocolVersion,
    buf: &mut BytesMut,
    max_packet_size: u32,
) -> Result<Option<Inbound>, ProtocolError> {
    match version {
        ProtocolVersion::V311 => match v4::Packet::read(buf, max_packet_size as usize) {
            Ok(packet) => from_v4(packet).map(Some),
            Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
            Err(rumqttc::mqttbytes::Error::PayloadSizeLimitExceeded(size)) => Err(ProtocolError {
                reason_code: 0x95,
                message: format!(
                    "packet of {size} bytes is over the {max_packet_size}-byte maximum"
                ),
            }),
            Err(e) => Err(ProtocolError::malformed(e.to_string())),
        },
        ProtocolVersion::V5 => {
            // A DISCONNECT with no reason code is valid in 5.0 but the codec wants a body.
            if buf.len() >= 2 && buf[0] == 0xE0 && buf[1] == 0 {
                let _ = buf.split_to(2);
                return Ok(Some(Inbound::Disconnect {
                    reason_code: 0,
                    session_expiry_secs: None,
                }));
            }
            match v5::Packet::read(buf, Some(max_packet_size)) {
                Ok(packet) => from_v5(packet).map(Some),
                Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
                Err(rumqttc::v5::mqttbytes::Error::PayloadSizeLimitExceeded { pkt_size, max }) => {
                    Err(ProtocolError {
                        reason_code: 0x95,
                        message: format!(
                            "packet of {pkt_size} bytes is over the {max}-byte maximum"
                        ),
                    })
                }
                Err(e) => Err(ProtocolError::malformed(e.to_string())),
            }
        }
    }
}

fn qos4(qos: rumqttc::mqttbytes::QoS) -> Qos {
    match qos {
        rumqttc::mqttbytes::QoS::AtMostOnce => Qos::AtMostOnce,
        rumqttc::mqttbytes::QoS::AtLeastOnce => Qos::AtLeastOnce,
        rumqttc::mqttbytes::QoS::ExactlyOnce => Qos::ExactlyOnce,
    }
}

fn to_qos4(qos: Qos) -> rumqttc::mqttbytes::QoS {
    match qos {
        Qos::AtMostOnce => rumqttc::mqttbytes::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::mqttbytes::QoS::AtLeastOnce,
        Qos::ExactlyOnce => rumqttc::mqttbytes::QoS::ExactlyOnce,
    }
}

fn qos5(qos: rumqttc::v5::mqttbytes::QoS) -> Qos {
    match qos {
        rumqttc::v5::mqttbytes::QoS::AtMostOnce => Qos::AtMostOnce,
        rumqttc::v5::mqttbytes::QoS::AtLeastOnce => Qos::AtLeastOnce,
        rumqttc::v5::mqttbytes::QoS::ExactlyOnce => Qos::ExactlyOnce,
    }
}

fn to_qos5(qos: Qos) -> rumqttc::v5::mqttbytes::QoS {
    match qos {
        Qos::AtMostOnce => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
        Qos::ExactlyOnce => rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
    }
}

fn from_v4(packet: v4::Packet) -> Result<Inbound, ProtocolError> {
    Ok(match packet {
        v4::Packet::Connect(connect) => Inbound::Connect(Box::new(ConnectRequest {
            client_id: connect.client_id,
            clean_start: connect.clean_session,
            keep_alive: connect.keep_alive,
            session_expiry_secs: if connect.clean_session { 0 } else { u32::MAX },
            receive_maximum: None,
            max_packet_size: None,
            will: connect.last_will.map(|will| WillRequest {
                topic: will.topic,
                payload: will.message,
                qos: qos4(will.qos),
                retain: will.retain,
                properties: None,
                delay_secs: 0,
                expiry_secs: None,
            }),
            username: connect.login.as_ref().map(|l| l.username.clone()),
            password: connect.login.map(|l| l.password),
            authentication_method: None,
        })),
        v4::Packet::Publish(publish) => Inbound::Publish(PublishRequest {
            topic: publish.topic,
            payload: publish.payload,
            qos: qos4(publish.qos),
            retain: publish.retain,
            pkid: publish.pkid,
            properties: None,
            expiry_secs: None,
            topic_alias: None,
        }),
        v4::Packet::PubAck(ack) => Inbound::PubAck(ack.pkid),
        v4::Packet::PubRec(ack) => Inbound::PubRec(ack.pkid),
        v4::Packet::PubRel(ack) => Inbound::PubRel(ack.pkid),
        v4::Packet::PubComp(ack) => Inbound::PubComp(ack.pkid),
        v4::Packet::Subscribe(subscribe) => Inbound::Subscribe {
            pkid: subscribe.pkid,
            filters: subscribe
                .filters
                .into_iter()
                .map(|f| FilterRequest {
                    filter: f.path,
                    qos: qos4(f.qos),
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: 0,
                })
                .collect(),
            subscription_id: None,
        },
        v4::Packet::Unsubscribe(unsubscribe) => Inbound::Unsubscribe {
            pkid: unsubscribe.pkid,
            filters: unsubscribe.topics,
        },
        v4::Packet::PingReq => Inbound::PingReq,
        v4::Packet::Disconnect => Inbound::Disconnect {
            reason_code: 0,
            session_expiry_secs: None,
        },
        other => {
            return Err(ProtocolError::protocol(format!(
                "a client may not send {other:?}"
            )));
        }
    })
}

fn properties_from_v5(
    payload_format_indicator: Option<u8>,
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<Bytes>,
    user_properties: Vec<(String, String)>,
) -> Option<PublishProperties> {
    let properties = PublishProperties {
        payload_format_indicator,
        content_type,
        response_topic,
        correlation_data,
        user_properties,
    };
    (properties != PublishProperties::default()).then_some(properties)
}

fn from_v5(packet: v5::Packet) -> Result<Inbound, ProtocolError> {
    Ok(match packet {
        v5::Packet::Connect(connect, will, login) => {
            let props = connect.properties.unwrap_or_default();
            Inbound::Connect(Box::new(ConnectRequest {
                client_id: connect.client_id,
                clean_start: connect.clean_start,
                keep_alive: connect.keep_alive,
                session_expiry_secs: props.session_expiry_interval.unwrap_or(0),
                receive_maximum: props.receive_maximum,
                max_packet_size: props.max_packet_size,
                will: will.map(|will| {
                    let (properties, delay_secs, expiry_secs) = match will.properties {
                        Some(wp) => (
                            properties_from_v5(
                                wp.payload_format_indicator,
                                wp.content_type,
                                wp.response_topic,
                                wp.correlation_data,
                                wp.user_properties,
                            ),
                            wp.delay_interval.unwrap_or(0),
                            wp.message_expiry_interval,
                        ),
                        None => (None, 0, None),
                    };
                    WillRequest {
                        topic: String::from_utf8_lossy(&will.topic).into_owned(),
                        payload: will.message,
                        qos: qos5(will.qos),
                        retain: will.retain,
                        properties,
                        delay_secs,
                        expiry_secs,
                    }
                }),
                username: login.as_ref().map(|l| l.username.clone()),
                password: login.map(|l| l.password),
                authentication_method: props.authentication_method,
            }))
        }
        v5::Packet::Publish(publish) => {
            let topic = String::from_utf8(publish.topic.to_vec())
                .map_err(|_| ProtocolError::malformed("topic name is not UTF-8"))?;
            let (properties, expiry_secs, topic_alias) = match publish.properties {
                Some(p) => (
                    properties_from_v5(
                        p.payload_format_indicator,
                        p.content_type,
                        p.response_topic,
                        p.correlation_data,
                        p.user_properties,
                    ),
                    p.message_expiry_interval,
                    p.topic_alias,
                ),
                None => (None, None, None),
            };
            Inbound::Publish(PublishRequest {
                topic,
                payload: publish.payload,
                qos: qos5(publish.qos),
                retain: publish.retain,
                pkid: publish.pkid,
                properties,
                expiry_secs,
                topic_alias,
            })
        }
        v5::Packet::PubAck(ack) => Inbound::PubAck(ack.pkid),
        v5::Packet::PubRec(ack) => Inbound::PubRec(ack.pkid),
        v5::Packet::PubRel(ack) => Inbound::PubRel(ack.pkid),
        v5::Packet::PubComp(ack) => Inbound::PubComp(ack.pkid),
        v5::Packet::Subscribe(subscribe) => Inbound::Subscribe {
            pkid: subscribe.pkid,
            subscription_id: subscribe.properties.and_then(|p| p.id),
            filters: subscribe
                .filters
                .into_iter()
                .map(|f| FilterRequest {
                    filter: f.path,
                    qos: qos5(f.qos),
                    no_local: f.nolocal,
                    retain_as_published: f.preserve_retain,
                    retain_handling: match f.retain_forward_rule {
                        v5::RetainForwardRule::OnEverySubscribe => 0,
                        v5::RetainForwardRule::OnNewSubscribe => 1,
                        v5::RetainForwardRule::Never => 2,
                    },
                })
                .collect(),
        },
        v5::Packet::Unsubscribe(unsubscribe) => Inbound::Unsubscribe {
            pkid: unsubscribe.pkid,
            filters: unsubscribe.filters,
        },
        v5::Packet::PingReq(_) => Inbound::PingReq,
        v5::Packet::Disconnect(disconnect) => Inbound::Disconnect {
            reason_code: disconnect.reason_code as u8,
            session_expiry_secs: disconnect
                .properties
                .and_then(|p| p.session_expiry_interval),
        },
        other => {
            return Err(ProtocolError::protocol(format!(
                "a client may not send {other:?}"
            )));
        }
    })
}

/// What the broker tells a client in CONNACK.
#[derive(Debug, Clone, Default)]
pub struct ConnAckInfo {
    /// Whether a session was resumed.
    pub session_present: bool,
    /// 0 for success, else an MQTT 5 reason code (mapped to 3.1.1's return codes).
    pub reason_code: u8,
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

/// Encode a CONNACK.
pub fn encode_connack(version: ProtocolVersion, info: &ConnAckInfo, out: &mut BytesMut) {
    match version {
        ProtocolVersion::V311 => {
            let code = match info.reason_code {
                0 => v4::ConnectReturnCode::Success,
                0x84 => v4::ConnectReturnCode::RefusedProtocolVersion,
                0x85 => v4::ConnectReturnCode::BadClientId,
                0x86 => v4::ConnectReturnCode::BadUserNamePassword,
                0x87 => v4::ConnectReturnCode::NotAuthorized,
                _ => v4::ConnectReturnCode::ServiceUnavailable,
            };
            let _ = v4::ConnAck::new(code, info.session_present).write(out);
        }
        ProtocolVersion::V5 => {
            use v5::ConnectReturnCode as C;
            let code = match info.reason_code {
                0 => C::Success,
                0x84 => C::UnsupportedProtocolVersion,
                0x85 => C::ClientIdentifierNotValid,
                0x86 => C::BadUserNamePassword,
                0x87 => C::NotAuthorized,
                0x8C => C::BadAuthenticationMethod,
                0x82 => C::ProtocolError,
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

/// Encode a PUBLISH for `delivery`. Returns `false` (writing nothing) when the packet would
/// exceed the client's maximum packet size: the message is then dropped for that client.
pub fn encode_publish(
    version: ProtocolVersion,
    delivery: &Delivery,
    pkid: u16,
    dup: bool,
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
                || !delivery.subscription_ids.is_empty();
            let properties = has_properties.then(|| v5::PublishProperties {
                payload_format_indicator: passthrough.payload_format_indicator,
                message_expiry_interval: expiry,
                topic_alias: None,
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
                topic: Bytes::copy_from_slice(message.topic.as_bytes()),
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
    /// PUBACK.
    Puback,
    /// PUBREC.
    Pubrec,
    /// PUBREL.
    Pubrel,
    /// PUBCOMP.
    Pubcomp,
}

/// Encode an acknowledgement with reason "success".
pub fn encode_ack(version: ProtocolVersion, ack: Ack, pkid: u16, out: &mut BytesMut) {
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
            let packet = match ack {
                Ack::Puback => v5::Packet::PubAck(v5::PubAck::new(pkid, None)),
                Ack::Pubrec => v5::Packet::PubRec(v5::PubRec::new(pkid, None)),
                Ack::Pubrel => v5::Packet::PubRel(v5::PubRel::new(pkid, None)),
                Ack::Pubcomp => v5::Packet::PubComp(v5::PubComp::new(pkid, None)),
            };
            let _ = packet.write(out, None);
        }
    }
}

/// Encode a SUBACK: per filter the granted QoS, or a refusal reason code.
pub fn encode_suback(
    version: ProtocolVersion,
    pkid: u16,
    results: &[Result<Qos, u8>],
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
                    Err(0x87) => R::NotAuthorized,
                    Err(0x8F) => R::TopicFilterInvalid,
                    Err(0x97) => R::QuotaExceeded,
                    Err(0x9E) => R::SharedSubscriptionsNotSupported,
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

/// Encode a PINGRESP.
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
pub fn encode_disconnect(version: ProtocolVersion, reason_code: u8, out: &mut BytesMut) {
    if version == ProtocolVersion::V311 {
        return;
    }
    out.extend_from_slice(&[0xE0, 0x02, reason_code, 0x00]);
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
