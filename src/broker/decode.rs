//! Strict decoding of what clients send, to the letter of MQTT 3.1.1 (chapters 2–3) and MQTT 5.0
//! (chapters 2–3, properties per §2.2.2). Canopy's own decoder, not rumqttc's: that one accepts
//! reserved bits, repeated properties, NUL in strings, zero packet identifiers and trailing
//! bytes, and a broker that devices are tested against must say what was wrong instead.
//!
//! Every failure carries the MQTT 5 reason code to close with: 0x81 Malformed Packet when the
//! bytes cannot be what the specification describes, 0x82 Protocol Error when they can but
//! break a rule, or a more specific code (0x94 Topic Alias invalid, 0x95 Packet too large…).
//! An MQTT 3.1.1 connection is simply closed. Nothing here recurses or trusts a length it has
//! not checked against the bytes present.

use super::protocol::{
    ConnectRequest, FilterRequest, Inbound, ProtocolError, PublishRequest, WillRequest,
};
use super::wire::{Properties, Reader, id, malformed, protocol_error};
use crate::mqtt::{ProtocolVersion, Qos, ReasonCode};
use bytes::{Buf, Bytes, BytesMut};

/// Largest remaining length the four-byte variable integer can carry.
const MAX_REMAINING_LENGTH: usize = 268_435_455;

/// The fixed header of a packet whose first bytes are buffered.
struct FixedHeader {
    first_byte: u8,
    header_len: usize,
    remaining_len: usize,
}

impl FixedHeader {
    fn total_len(&self) -> usize {
        self.header_len + self.remaining_len
    }
}

/// Read the fixed header at the start of `buf`; `Ok(None)` while it is incomplete.
fn fixed_header(buf: &[u8]) -> Result<Option<FixedHeader>, ProtocolError> {
    let Some(&first_byte) = buf.first() else {
        return Ok(None);
    };
    let mut value = 0usize;
    for index in 0..4 {
        let Some(&byte) = buf.get(1 + index) else {
            return Ok(None);
        };
        value |= usize::from(byte & 0x7F) << (7 * index);
        if byte & 0x80 == 0 {
            // [MQTT-1.5.5-1]: the fewest bytes possible; a last byte of zero after others is not.
            if index > 0 && byte == 0 {
                return Err(malformed("the remaining length is not minimally encoded"));
            }
            return Ok(Some(FixedHeader {
                first_byte,
                header_len: 2 + index,
                remaining_len: value,
            }));
        }
    }
    Err(malformed("the remaining length is longer than four bytes"))
}

/// Split the next whole packet off `buf`: its first byte and its body. `Ok(None)` while more
/// bytes are needed. The declared size is checked against `max_packet_size` before the body is
/// waited for, so an oversized packet is never buffered.
pub fn next_packet(
    buf: &mut BytesMut,
    max_packet_size: u32,
) -> Result<Option<(u8, Bytes)>, ProtocolError> {
    let Some(header) = fixed_header(buf)? else {
        return Ok(None);
    };
    let total = header.total_len();
    if header.remaining_len > MAX_REMAINING_LENGTH || total > max_packet_size as usize {
        return Err(ProtocolError {
            reason: ReasonCode::PacketTooLarge,
            message: format!("packet of {total} bytes is over the {max_packet_size}-byte maximum"),
        });
    }
    if buf.len() < total {
        return Ok(None);
    }
    let mut packet = buf.split_to(total).freeze();
    packet.advance(header.header_len);
    Ok(Some((header.first_byte, packet)))
}

/// Decode the next packet of an established connection; `Ok(None)` while more bytes are needed.
pub fn decode(
    version: ProtocolVersion,
    buf: &mut BytesMut,
    max_packet_size: u32,
) -> Result<Option<Inbound>, ProtocolError> {
    let Some((first_byte, body)) = next_packet(buf, max_packet_size)? else {
        return Ok(None);
    };
    decode_body(version, first_byte, body).map(Some)
}

/// Why a CONNECT could not be taken, and which version to answer in (if any answer is due).
pub type ConnectFailure = (Option<ProtocolVersion>, ProtocolError);

/// Decode a whole CONNECT packet (first byte and body, from [`next_packet`]).
pub fn decode_connect(
    first_byte: u8,
    body: Bytes,
) -> Result<(ProtocolVersion, Box<ConnectRequest>), ConnectFailure> {
    if first_byte >> 4 != 1 {
        return Err((None, protocol_error("the first packet was not CONNECT")));
    }
    if first_byte & 0x0F != 0 {
        return Err((None, malformed("CONNECT has reserved flag bits set")));
    }
    let mut r = Reader::new(body);
    let name = r.string("protocol name").map_err(|e| (None, e))?;
    let level = r.u8("protocol level").map_err(|e| (None, e))?;
    let version = match (name.as_str(), ProtocolVersion::from_level(level)) {
        ("MQTT", Some(version)) => version,
        // MQTT 3.1's "MQIsdp" and unknown levels: answered with "unacceptable protocol
        // version" in 3.1.1's form, which every version's client can read.
        _ => {
            return Err((
                Some(ProtocolVersion::V311),
                ProtocolError {
                    reason: ReasonCode::UnsupportedProtocolVersion,
                    message: format!("unsupported protocol {name:?} level {level}"),
                },
            ));
        }
    };
    connect_body(version, &mut r)
        .map(|request| (version, Box::new(request)))
        // MQTT 5 may be told why in a CONNACK (§4.13.1); 3.1.1 is simply closed.
        .map_err(|e| (version.is_v5().then_some(version), e))
}

fn connect_body(version: ProtocolVersion, r: &mut Reader) -> Result<ConnectRequest, ProtocolError> {
    let flags = r.u8("connect flags")?;
    if flags & 0x01 != 0 {
        return Err(malformed("the reserved connect flag is set")); // [MQTT-3.1.2-3]
    }
    let clean_start = flags & 0x02 != 0;
    let will_flag = flags & 0x04 != 0;
    let will_qos = (flags >> 3) & 0x03;
    let will_retain = flags & 0x20 != 0;
    let password_flag = flags & 0x40 != 0;
    let username_flag = flags & 0x80 != 0;
    if will_qos == 3 {
        return Err(malformed("will QoS 3")); // [MQTT-3.1.2-14]
    }
    if !will_flag && (will_qos != 0 || will_retain) {
        return Err(malformed("will QoS or retain set without a will")); // [MQTT-3.1.2-11/13/15]
    }
    if version == ProtocolVersion::V311 && password_flag && !username_flag {
        return Err(malformed("a password without a user name")); // [MQTT-3.1.2-22]
    }
    let keep_alive = r.u16("keep alive")?;
    let props = if version.is_v5() {
        r.properties(CONNECT_PROPERTIES, "CONNECT")?
    } else {
        Properties::default()
    };
    if props.authentication_data.is_some() && props.authentication_method.is_none() {
        return Err(protocol_error("authentication data without a method"));
    }
    let client_id = r.string("client identifier")?;
    let will = if will_flag {
        let will_props = if version.is_v5() {
            r.properties(WILL_PROPERTIES, "the will")?
        } else {
            Properties::default()
        };
        let topic = r.string("will topic")?;
        let payload = r.binary("will payload")?;
        Some(WillRequest {
            topic,
            payload,
            qos: Qos::from_level(will_qos).unwrap_or_default(),
            retain: will_retain,
            delay_secs: will_props.will_delay_secs.unwrap_or(0),
            expiry_secs: will_props.message_expiry_secs,
            properties: will_props.into_publish_properties(),
        })
    } else {
        None
    };
    let username = username_flag.then(|| r.string("user name")).transpose()?;
    let password = password_flag.then(|| r.binary("password")).transpose()?;
    r.finish("CONNECT")?;
    Ok(ConnectRequest {
        client_id,
        clean_start,
        keep_alive,
        session_expiry_secs: match version {
            ProtocolVersion::V311 if clean_start => 0,
            ProtocolVersion::V311 => u32::MAX,
            ProtocolVersion::V5 => props.session_expiry_secs.unwrap_or(0),
        },
        receive_maximum: props.receive_maximum,
        max_packet_size: props.maximum_packet_size,
        topic_alias_maximum: props.topic_alias_maximum.unwrap_or(0),
        will,
        username,
        // Passwords are binary data; a non-UTF-8 one can only fail to match a password file.
        password: password.map(|p| String::from_utf8_lossy(&p).into_owned()),
        authentication_method: props.authentication_method,
    })
}

/// The packet after its fixed header. Long: one arm per packet type, each a few lines.
fn decode_body(
    version: ProtocolVersion,
    first_byte: u8,
    body: Bytes,
) -> Result<Inbound, ProtocolError> {
    let flags = first_byte & 0x0F;
    let kind = first_byte >> 4;
    let expect_flags = |expected: u8, name: &str| {
        if flags == expected {
            Ok(())
        } else {
            // [MQTT-2.2.2-1/2]: flags marked reserved must be exactly as listed.
            Err(malformed(format!(
                "{name} has flags {flags:#06b}, not {expected:#06b}"
            )))
        }
    };
    let mut r = Reader::new(body);
    let packet = match kind {
        1 => {
            expect_flags(0, "CONNECT")?;
            return Err(protocol_error("a second CONNECT")); // [MQTT-3.1.0-2]
        }
        3 => return publish(version, flags, r),
        4 => {
            expect_flags(0, "PUBACK")?;
            Inbound::PubAck(acknowledgement(
                version,
                &mut r,
                "PUBACK",
                PUBLISH_ACK_CODES,
            )?)
        }
        5 => {
            expect_flags(0, "PUBREC")?;
            Inbound::PubRec(acknowledgement(
                version,
                &mut r,
                "PUBREC",
                PUBLISH_ACK_CODES,
            )?)
        }
        6 => {
            expect_flags(0b0010, "PUBREL")?;
            Inbound::PubRel(acknowledgement(version, &mut r, "PUBREL", RELEASE_CODES)?)
        }
        7 => {
            expect_flags(0, "PUBCOMP")?;
            Inbound::PubComp(acknowledgement(version, &mut r, "PUBCOMP", RELEASE_CODES)?)
        }
        8 => {
            expect_flags(0b0010, "SUBSCRIBE")?;
            subscribe(version, &mut r)?
        }
        10 => {
            expect_flags(0b0010, "UNSUBSCRIBE")?;
            unsubscribe(version, &mut r)?
        }
        12 => {
            expect_flags(0, "PINGREQ")?;
            Inbound::PingReq
        }
        14 => {
            expect_flags(0, "DISCONNECT")?;
            disconnect(version, &mut r)?
        }
        15 if version.is_v5() => {
            expect_flags(0, "AUTH")?;
            // AUTH only follows a CONNECT with an authentication method, which is refused.
            return Err(protocol_error("AUTH without enhanced authentication"));
        }
        2 | 9 | 11 | 13 => {
            let name = [
                "", "", "CONNACK", "", "", "", "", "", "", "SUBACK", "", "UNSUBACK", "", "PINGRESP",
            ];
            return Err(protocol_error(format!(
                "a client may not send {}",
                name[usize::from(kind)]
            )));
        }
        _ => return Err(malformed(format!("reserved packet type {kind}"))),
    };
    r.finish(packet_name(&packet))?;
    Ok(packet)
}

fn packet_name(packet: &Inbound) -> &'static str {
    match packet {
        Inbound::Publish(_) => "PUBLISH",
        Inbound::PubAck(_) => "PUBACK",
        Inbound::PubRec(_) => "PUBREC",
        Inbound::PubRel(_) => "PUBREL",
        Inbound::PubComp(_) => "PUBCOMP",
        Inbound::Subscribe { .. } => "SUBSCRIBE",
        Inbound::Unsubscribe { .. } => "UNSUBSCRIBE",
        Inbound::PingReq => "PINGREQ",
        Inbound::Disconnect { .. } => "DISCONNECT",
    }
}

fn publish(version: ProtocolVersion, flags: u8, mut r: Reader) -> Result<Inbound, ProtocolError> {
    let dup = flags & 0x08 != 0;
    let retain = flags & 0x01 != 0;
    let qos =
        Qos::from_level((flags >> 1) & 0x03).ok_or_else(|| malformed("PUBLISH with QoS 3"))?; // [MQTT-3.3.1-4]
    if dup && qos == Qos::AtMostOnce {
        return Err(malformed("DUP set on a QoS 0 PUBLISH")); // [MQTT-3.3.1-2]
    }
    let topic = r.string("topic name")?;
    let pkid = if qos == Qos::AtMostOnce {
        0
    } else {
        r.packet_id("PUBLISH")?
    };
    let props = if version.is_v5() {
        r.properties(PUBLISH_PROPERTIES, "PUBLISH")?
    } else {
        Properties::default()
    };
    if topic.is_empty() && props.topic_alias.is_none() {
        // [MQTT-4.7.3-1]; in MQTT 5 an empty name needs a topic alias (§3.3.2.1).
        return Err(ProtocolError {
            reason: ReasonCode::TopicNameInvalid,
            message: "PUBLISH with an empty topic name".to_owned(),
        });
    }
    if topic.contains(['+', '#']) {
        // [MQTT-3.3.2-2]
        return Err(ProtocolError {
            reason: ReasonCode::TopicNameInvalid,
            message: format!("PUBLISH to {topic:?}: a topic name cannot contain wildcards"),
        });
    }
    let payload = r.rest();
    Ok(Inbound::Publish(PublishRequest {
        topic,
        payload,
        qos,
        retain,
        pkid,
        expiry_secs: props.message_expiry_secs,
        topic_alias: props.topic_alias,
        properties: props.into_publish_properties(),
    }))
}

/// Reason codes a client may put in PUBACK and PUBREC (MQTT 5.0 §3.4.2.1).
const PUBLISH_ACK_CODES: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
/// Reason codes of PUBREL and PUBCOMP (§3.6.2.1).
const RELEASE_CODES: &[u8] = &[0x00, 0x92];
/// Reason codes a client may put in DISCONNECT (§3.14.2.1).
const CLIENT_DISCONNECT_CODES: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
];

/// PUBACK, PUBREC, PUBREL or PUBCOMP: the packet id, and in MQTT 5 an optional reason code and
/// properties (§3.4.2.1: both may be left out when the reason is success).
fn acknowledgement(
    version: ProtocolVersion,
    r: &mut Reader,
    name: &str,
    codes: &[u8],
) -> Result<u16, ProtocolError> {
    let pkid = r.packet_id(name)?;
    if version.is_v5() && !r.is_empty() {
        let code = r.u8("reason code")?;
        if !codes.contains(&code) {
            return Err(malformed(format!("{name} with reason code {code:#04x}")));
        }
        if !r.is_empty() {
            r.properties(ACK_PROPERTIES, name)?;
        }
    }
    Ok(pkid)
}

fn subscribe(version: ProtocolVersion, r: &mut Reader) -> Result<Inbound, ProtocolError> {
    let pkid = r.packet_id("SUBSCRIBE")?;
    let props = if version.is_v5() {
        r.properties(SUBSCRIBE_PROPERTIES, "SUBSCRIBE")?
    } else {
        Properties::default()
    };
    let mut filters = Vec::new();
    while !r.is_empty() {
        let filter = r.string("topic filter")?;
        let options = r.u8("subscription options")?;
        let reserved = if version.is_v5() { 0xC0 } else { 0xFC };
        if options & reserved != 0 {
            // [MQTT-3.8.3-4] (3.1.1), [MQTT-3.8.3-5] (5.0)
            return Err(malformed(
                "reserved bits of the subscription options are set",
            ));
        }
        let qos = Qos::from_level(options & 0x03)
            .ok_or_else(|| malformed("a subscription with QoS 3"))?;
        let retain_handling = (options >> 4) & 0x03;
        if retain_handling == 3 {
            return Err(malformed("retain handling 3"));
        }
        filters.push(FilterRequest {
            filter,
            qos,
            no_local: options & 0x04 != 0,
            retain_as_published: options & 0x08 != 0,
            retain_handling,
        });
    }
    if filters.is_empty() {
        return Err(protocol_error("SUBSCRIBE without a topic filter")); // [MQTT-3.8.3-3]
    }
    Ok(Inbound::Subscribe {
        pkid,
        filters,
        subscription_id: props.subscription_identifier,
    })
}

fn unsubscribe(version: ProtocolVersion, r: &mut Reader) -> Result<Inbound, ProtocolError> {
    let pkid = r.packet_id("UNSUBSCRIBE")?;
    if version.is_v5() {
        r.properties(USER_PROPERTY_ONLY, "UNSUBSCRIBE")?;
    }
    let mut filters = Vec::new();
    while !r.is_empty() {
        filters.push(r.string("topic filter")?);
    }
    if filters.is_empty() {
        return Err(protocol_error("UNSUBSCRIBE without a topic filter")); // [MQTT-3.10.3-2]
    }
    Ok(Inbound::Unsubscribe { pkid, filters })
}

fn disconnect(version: ProtocolVersion, r: &mut Reader) -> Result<Inbound, ProtocolError> {
    let mut reason = ReasonCode::Success;
    let mut session_expiry_secs = None;
    if version.is_v5() && !r.is_empty() {
        let code = r.u8("reason code")?;
        reason = ReasonCode::from_u8(code)
            .filter(|_| CLIENT_DISCONNECT_CODES.contains(&code))
            .ok_or_else(|| malformed(format!("DISCONNECT with reason code {code:#04x}")))?;
        if !r.is_empty() {
            session_expiry_secs = r
                .properties(DISCONNECT_PROPERTIES, "DISCONNECT")?
                .session_expiry_secs;
        }
    }
    Ok(Inbound::Disconnect {
        reason,
        session_expiry_secs,
    })
}

const CONNECT_PROPERTIES: &[u8] = &[
    id::SESSION_EXPIRY,
    id::RECEIVE_MAXIMUM,
    id::MAXIMUM_PACKET_SIZE,
    id::TOPIC_ALIAS_MAXIMUM,
    id::REQUEST_RESPONSE_INFORMATION,
    id::REQUEST_PROBLEM_INFORMATION,
    id::USER_PROPERTY,
    id::AUTHENTICATION_METHOD,
    id::AUTHENTICATION_DATA,
];
const WILL_PROPERTIES: &[u8] = &[
    id::WILL_DELAY,
    id::PAYLOAD_FORMAT,
    id::MESSAGE_EXPIRY,
    id::CONTENT_TYPE,
    id::RESPONSE_TOPIC,
    id::CORRELATION_DATA,
    id::USER_PROPERTY,
];
/// A client's PUBLISH: no subscription identifier ([MQTT-3.3.4-6]).
const PUBLISH_PROPERTIES: &[u8] = &[
    id::PAYLOAD_FORMAT,
    id::MESSAGE_EXPIRY,
    id::TOPIC_ALIAS,
    id::RESPONSE_TOPIC,
    id::CORRELATION_DATA,
    id::USER_PROPERTY,
    id::CONTENT_TYPE,
];
const ACK_PROPERTIES: &[u8] = &[id::REASON_STRING, id::USER_PROPERTY];
const SUBSCRIBE_PROPERTIES: &[u8] = &[id::SUBSCRIPTION_IDENTIFIER, id::USER_PROPERTY];
const USER_PROPERTY_ONLY: &[u8] = &[id::USER_PROPERTY];
/// A client's DISCONNECT: no server reference (§3.14.2.2.5).
const DISCONNECT_PROPERTIES: &[u8] = &[id::SESSION_EXPIRY, id::REASON_STRING, id::USER_PROPERTY];

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
