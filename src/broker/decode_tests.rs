//! Tests of `decode.rs`: what real clients send decodes; every class of malformed packet is
//! refused with the reason the specification gives.

use super::*;
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::v5;

const V311: ProtocolVersion = ProtocolVersion::V311;
const V5: ProtocolVersion = ProtocolVersion::V5;

/// A packet from its first byte and body, with the remaining length encoded minimally.
fn packet(first_byte: u8, body: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    out.extend_from_slice(&[first_byte]);
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.extend_from_slice(&[byte]);
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

fn string(text: &str) -> Vec<u8> {
    let mut out = (text.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn decode_one(version: ProtocolVersion, bytes: &[u8]) -> Result<Option<Inbound>, ProtocolError> {
    let mut buf = BytesMut::from(bytes);
    decode(version, &mut buf, 1 << 20)
}

fn connect_of(bytes: &[u8]) -> Result<(ProtocolVersion, Box<ConnectRequest>), ConnectFailure> {
    let mut buf = BytesMut::from(bytes);
    match next_packet(&mut buf, 1 << 20) {
        Ok(Some((first, body))) => decode_connect(first, body),
        Ok(None) => panic!("incomplete test packet"),
        Err(e) => Err((None, e)),
    }
}

/// A CONNECT body for `level` with `flags`, keep alive 30, properties (MQTT 5) and payload.
fn connect_body(level: u8, flags: u8, properties: Option<&[u8]>, payload: &[u8]) -> Vec<u8> {
    let mut body = cat(&[&string("MQTT"), &[level, flags, 0, 30]]);
    if let Some(properties) = properties {
        body.push(properties.len() as u8);
        body.extend_from_slice(properties);
    }
    body.extend_from_slice(payload);
    body
}

/// Packets as mosquitto_pub, rumqttc and paho write them. Long: one table row per packet.
#[test]
fn what_real_clients_send_decodes() {
    // rumqttc's encoders stand in for real clients of both versions.
    let mut buf = BytesMut::new();
    let mut connect = v4::Connect::new("dev-1");
    connect.keep_alive = 15;
    connect.last_will = Some(v4::LastWill::new(
        "dev-1/status",
        "gone",
        rumqttc::QoS::AtLeastOnce,
        true,
    ));
    connect.set_login("user", "secret");
    connect.write(&mut buf).expect("encode");
    let (version, request) = connect_of(&buf).expect("a 3.1.1 CONNECT");
    assert_eq!(version, V311);
    assert_eq!(request.client_id, "dev-1");
    assert_eq!(request.keep_alive, 15);
    let will = request.will.as_ref().expect("will");
    assert_eq!(
        (will.topic.as_str(), will.qos, will.retain),
        ("dev-1/status", Qos::AtLeastOnce, true)
    );
    assert_eq!(request.username.as_deref(), Some("user"));
    assert_eq!(request.password.as_deref(), Some("secret"));

    let mut buf = BytesMut::new();
    let properties = v5::ConnectProperties {
        session_expiry_interval: Some(60),
        receive_maximum: Some(10),
        max_packet_size: Some(4096),
        user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
        ..v5::ConnectProperties::new()
    };
    v5::Connect {
        keep_alive: 10,
        client_id: "dev-5".into(),
        clean_start: false,
        properties: Some(properties),
    }
    .write(&None, &None, &mut buf)
    .expect("encode");
    let (version, request) = connect_of(&buf).expect("a 5.0 CONNECT");
    assert_eq!(version, V5);
    assert_eq!(request.session_expiry_secs, 60);
    assert_eq!(request.receive_maximum, Some(10));
    assert_eq!(request.max_packet_size, Some(4096));

    let mut buf = BytesMut::new();
    let publish_properties = v5::PublishProperties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(30),
        topic_alias: Some(3),
        response_topic: Some("reply/here".into()),
        correlation_data: Some(bytes::Bytes::from_static(b"42")),
        user_properties: vec![("unit".into(), "C".into())],
        content_type: Some("application/json".into()),
        ..Default::default()
    };
    let mut publish = v5::Publish::new(
        "a/b",
        rumqttc::v5::mqttbytes::QoS::ExactlyOnce,
        "{}",
        Some(publish_properties),
    );
    publish.pkid = 9;
    publish.retain = true;
    publish.write(&mut buf).expect("encode");
    let Ok(Some(Inbound::Publish(p))) = decode(V5, &mut buf, 1 << 20) else {
        panic!("a 5.0 PUBLISH");
    };
    assert_eq!(
        (p.topic.as_str(), p.qos, p.retain, p.pkid),
        ("a/b", Qos::ExactlyOnce, true, 9)
    );
    assert_eq!((p.topic_alias, p.expiry_secs), (Some(3), Some(30)));
    let props = p.properties.expect("properties");
    assert_eq!(props.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        props.user_properties,
        vec![("unit".to_owned(), "C".to_owned())]
    );

    let mut buf = BytesMut::new();
    let mut subscribe = v5::Subscribe::new(
        v5::Filter::new("x/#", rumqttc::v5::mqttbytes::QoS::AtLeastOnce),
        None,
    );
    subscribe.pkid = 4;
    subscribe.filters[0].nolocal = true;
    subscribe.filters[0].retain_forward_rule = v5::RetainForwardRule::Never;
    subscribe.write(&mut buf).expect("encode");
    let Ok(Some(Inbound::Subscribe { pkid, filters, .. })) = decode(V5, &mut buf, 1 << 20) else {
        panic!("a 5.0 SUBSCRIBE");
    };
    assert_eq!(
        (
            pkid,
            filters[0].filter.as_str(),
            filters[0].no_local,
            filters[0].retain_handling
        ),
        (4, "x/#", true, 2)
    );

    // A DISCONNECT in every form MQTT 5 allows, and with will.
    for (bytes, reason) in [
        (&[0xE0u8, 0][..], ReasonCode::Success),
        (&[0xE0, 1, 0x04][..], ReasonCode::DisconnectWithWill),
        (&[0xE0, 2, 0x00, 0][..], ReasonCode::Success),
    ] {
        assert!(
            matches!(decode_one(V5, bytes), Ok(Some(Inbound::Disconnect { reason: r, .. })) if r == reason),
            "{bytes:?}"
        );
    }
    // Acknowledgements: short and long MQTT 5 forms.
    assert!(matches!(
        decode_one(V5, &[0x40, 2, 0, 7]),
        Ok(Some(Inbound::PubAck(7)))
    ));
    assert!(matches!(
        decode_one(V5, &[0x40, 4, 0, 7, 0x10, 0]),
        Ok(Some(Inbound::PubAck(7)))
    ));
    assert!(matches!(
        decode_one(V311, &[0x62, 2, 0, 7]),
        Ok(Some(Inbound::PubRel(7)))
    ));
}

/// Every malformed class, for the version(s) it applies to, with the reason code MQTT 5 gives.
/// Long: one table row per rule of docs/conformance.md, kept in one place to read against it.
#[test]
fn malformed_packets_are_refused_with_their_reason() {
    use ReasonCode::{
        MalformedPacket as M, ProtocolError as P, TopicAliasInvalid, TopicNameInvalid,
    };
    let topic_a = string("a");
    let cases: Vec<(&str, ProtocolVersion, BytesMut, ReasonCode)> = vec![
        ("reserved type 0", V311, packet(0x00, &[]), M),
        ("reserved type 15 in 3.1.1", V311, packet(0xF0, &[]), M),
        (
            "AUTH without enhanced authentication",
            V5,
            packet(0xF0, &[0x18, 0]),
            P,
        ),
        ("CONNACK from a client", V5, packet(0x20, &[0, 0]), P),
        (
            "a second CONNECT",
            V311,
            packet(0x10, &connect_body(4, 2, None, &string("x"))),
            P,
        ),
        (
            "PUBLISH QoS 3",
            V311,
            packet(0x36, &cat(&[&topic_a, &[0, 1]])),
            M,
        ),
        ("DUP on QoS 0", V311, packet(0x38, &topic_a), M),
        (
            "PUBLISH wildcard topic",
            V311,
            packet(0x30, &string("a/+")),
            TopicNameInvalid,
        ),
        (
            "PUBLISH empty topic 3.1.1",
            V311,
            packet(0x30, &string("")),
            TopicNameInvalid,
        ),
        (
            "PUBLISH empty topic without alias",
            V5,
            packet(0x30, &cat(&[&string(""), &[0]])),
            TopicNameInvalid,
        ),
        (
            "PUBLISH packet id 0",
            V311,
            packet(0x32, &cat(&[&topic_a, &[0, 0]])),
            P,
        ),
        (
            "PUBLISH NUL in topic",
            V311,
            packet(0x30, &string("a\0b")),
            M,
        ),
        (
            "PUBLISH invalid UTF-8",
            V311,
            packet(0x30, &[0, 2, 0xC3, 0x28]),
            M,
        ),
        (
            "PUBLISH topic length past the end",
            V311,
            packet(0x30, &[0, 9, b'a']),
            M,
        ),
        (
            "PUBLISH topic alias 0",
            V5,
            packet(0x30, &cat(&[&topic_a, &[3, 0x23, 0, 0]])),
            TopicAliasInvalid,
        ),
        (
            "PUBLISH subscription identifier",
            V5,
            packet(0x30, &cat(&[&topic_a, &[2, 0x0B, 1]])),
            P,
        ),
        (
            "PUBLISH repeated content type",
            V5,
            packet(
                0x30,
                &cat(&[&topic_a, &[8, 0x03, 0, 1, b'x', 0x03, 0, 1, b'y']]),
            ),
            P,
        ),
        (
            "PUBLISH payload format 2",
            V5,
            packet(0x30, &cat(&[&topic_a, &[2, 0x01, 2]])),
            P,
        ),
        (
            "PUBLISH unknown property",
            V5,
            packet(0x30, &cat(&[&topic_a, &[2, 0x7F, 0]])),
            M,
        ),
        (
            "PUBLISH properties past the end",
            V5,
            packet(0x30, &cat(&[&topic_a, &[9, 0x01]])),
            M,
        ),
        (
            "PUBLISH wildcard response topic",
            V5,
            packet(0x30, &cat(&[&topic_a, &[4, 0x08, 0, 1, b'#']])),
            P,
        ),
        ("PUBACK with flags", V311, packet(0x41, &[0, 1]), M),
        ("PUBACK packet id 0", V311, packet(0x40, &[0, 0]), P),
        (
            "PUBACK trailing bytes 3.1.1",
            V311,
            packet(0x40, &[0, 1, 0]),
            M,
        ),
        (
            "PUBACK reason not for PUBACK",
            V5,
            packet(0x40, &[0, 1, 0x92]),
            M,
        ),
        (
            "PUBREL without its fixed flags",
            V311,
            packet(0x60, &[0, 1]),
            M,
        ),
        (
            "PUBCOMP reason not for PUBCOMP",
            V5,
            packet(0x70, &[0, 1, 0x10]),
            M,
        ),
        (
            "SUBSCRIBE without its fixed flags",
            V311,
            packet(0x80, &cat(&[&[0, 1], &topic_a, &[0]])),
            M,
        ),
        ("SUBSCRIBE without filters", V311, packet(0x82, &[0, 1]), P),
        (
            "SUBSCRIBE without filters 5",
            V5,
            packet(0x82, &[0, 1, 0]),
            P,
        ),
        (
            "SUBSCRIBE packet id 0",
            V311,
            packet(0x82, &cat(&[&[0, 0], &topic_a, &[0]])),
            P,
        ),
        (
            "SUBSCRIBE reserved option bits 3.1.1",
            V311,
            packet(0x82, &cat(&[&[0, 1], &topic_a, &[0x04]])),
            M,
        ),
        (
            "SUBSCRIBE reserved option bits 5",
            V5,
            packet(0x82, &cat(&[&[0, 1, 0], &topic_a, &[0x40]])),
            M,
        ),
        (
            "SUBSCRIBE QoS 3",
            V311,
            packet(0x82, &cat(&[&[0, 1], &topic_a, &[3]])),
            M,
        ),
        (
            "SUBSCRIBE retain handling 3",
            V5,
            packet(0x82, &cat(&[&[0, 1, 0], &topic_a, &[0x30]])),
            M,
        ),
        (
            "SUBSCRIBE options missing",
            V311,
            packet(0x82, &cat(&[&[0, 1], &topic_a])),
            M,
        ),
        (
            "SUBSCRIBE subscription identifier 0",
            V5,
            packet(0x82, &cat(&[&[0, 1, 2, 0x0B, 0], &topic_a, &[0]])),
            P,
        ),
        (
            "SUBSCRIBE property not allowed",
            V5,
            packet(0x82, &cat(&[&[0, 1, 2, 0x01, 1], &topic_a, &[0]])),
            P,
        ),
        (
            "UNSUBSCRIBE without filters",
            V311,
            packet(0xA2, &[0, 1]),
            P,
        ),
        (
            "UNSUBSCRIBE without its fixed flags",
            V311,
            packet(0xA0, &cat(&[&[0, 1], &topic_a])),
            M,
        ),
        ("PINGREQ with a body", V311, packet(0xC0, &[0]), M),
        ("PINGREQ with flags", V311, packet(0xC1, &[]), M),
        ("DISCONNECT with a body 3.1.1", V311, packet(0xE0, &[0]), M),
        ("DISCONNECT with flags", V5, packet(0xE1, &[]), M),
        (
            "DISCONNECT reason only a server sends",
            V5,
            packet(0xE0, &[0x8E]),
            M,
        ),
        (
            "DISCONNECT server reference",
            V5,
            packet(0xE0, &[0, 4, 0x1C, 0, 1, b'x']),
            P,
        ),
        (
            "remaining length not minimal",
            V311,
            BytesMut::from(&[0xC0u8, 0x80, 0x00][..]),
            M,
        ),
        (
            "remaining length of five bytes",
            V311,
            BytesMut::from(&[0x30u8, 0xFF, 0xFF, 0xFF, 0xFF, 0x01][..]),
            M,
        ),
        (
            "property length not minimal",
            V5,
            packet(0x30, &cat(&[&topic_a, &[0x80, 0x00]])),
            M,
        ),
    ];
    for (name, version, bytes, reason) in cases {
        match decode_one(version, &bytes) {
            Err(error) => assert_eq!(error.reason, reason, "{name}: {}", error.message),
            Ok(packet) => panic!("{name}: accepted as {packet:?}"),
        }
    }
}

/// Every way a CONNECT can be wrong. Long: one table row per rule.
#[test]
fn malformed_connects_are_refused() {
    let payload = string("id");
    let cases: Vec<(&str, Vec<u8>, ReasonCode, Option<ProtocolVersion>)> = vec![
        (
            "reserved flag",
            connect_body(4, 0x03, None, &payload),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "will QoS 3",
            connect_body(4, 0x1E, None, &cat(&[&payload, &string("w"), &string("x")])),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "will QoS without will",
            connect_body(4, 0x0A, None, &payload),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "will retain without will",
            connect_body(4, 0x22, None, &payload),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "password without user in 3.1.1",
            connect_body(4, 0x42, None, &cat(&[&payload, &string("pw")])),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "user flag without user",
            connect_body(4, 0x82, None, &payload),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "trailing bytes",
            connect_body(4, 0x02, None, &cat(&[&payload, &[1]])),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "NUL in client id",
            connect_body(4, 0x02, None, &string("a\0")),
            ReasonCode::MalformedPacket,
            None,
        ),
        (
            "receive maximum 0",
            connect_body(5, 0x02, Some(&[0x21, 0, 0]), &payload),
            ReasonCode::ProtocolError,
            Some(V5),
        ),
        (
            "maximum packet size 0",
            connect_body(5, 0x02, Some(&[0x27, 0, 0, 0, 0]), &payload),
            ReasonCode::ProtocolError,
            Some(V5),
        ),
        (
            "session expiry twice",
            connect_body(
                5,
                0x02,
                Some(&[0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 1]),
                &payload,
            ),
            ReasonCode::ProtocolError,
            Some(V5),
        ),
        (
            "request problem information 2",
            connect_body(5, 0x02, Some(&[0x17, 2]), &payload),
            ReasonCode::ProtocolError,
            Some(V5),
        ),
        (
            "authentication data without a method",
            connect_body(5, 0x02, Some(&[0x16, 0, 1, 9]), &payload),
            ReasonCode::ProtocolError,
            Some(V5),
        ),
        (
            "a PUBLISH-only property",
            connect_body(5, 0x02, Some(&[0x23, 0, 1]), &payload),
            ReasonCode::ProtocolError,
            Some(V5),
        ),
        (
            "unknown level",
            connect_body(6, 0x02, None, &payload),
            ReasonCode::UnsupportedProtocolVersion,
            Some(V311),
        ),
    ];
    for (name, body, reason, answer_in) in cases {
        match connect_of(&packet(0x10, &body)) {
            Err((answer, error)) => {
                assert_eq!(error.reason, reason, "{name}: {}", error.message);
                assert_eq!(answer, answer_in, "{name}: answered in the wrong version");
            }
            Ok(request) => panic!("{name}: accepted as {request:?}"),
        }
    }
    let flagged = packet(0x11, &connect_body(4, 0x02, None, &payload));
    assert!(
        connect_of(&flagged).is_err(),
        "CONNECT with reserved header flags"
    );
}

#[test]
fn sizes_are_checked_before_buffering_and_partial_packets_wait() {
    // A PUBLISH declaring 200 MB: only the fixed header is here.
    for version in [V311, V5] {
        let mut buf = BytesMut::from(&[0x30u8, 0x80, 0x80, 0x80, 0x60][..]);
        let error = decode(version, &mut buf, 1024).expect_err("too large");
        assert_eq!(error.reason, ReasonCode::PacketTooLarge);
    }
    let whole = packet(0x30, &cat(&[&string("a/b"), b"payload"]));
    for cut in 0..whole.len() {
        let mut partial = BytesMut::from(&whole[..cut]);
        assert!(
            matches!(decode(V311, &mut partial, 1024), Ok(None)),
            "cut at {cut}"
        );
        assert_eq!(partial.len(), cut, "nothing consumed while incomplete");
    }
    let mut two = whole.clone();
    two.extend_from_slice(&whole);
    assert!(matches!(
        decode(V311, &mut two, 1024),
        Ok(Some(Inbound::Publish(_)))
    ));
    assert_eq!(two.len(), whole.len(), "exactly one packet taken");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic generator: every prefix of a few thousand random packets.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5_000 {
        let len = (next() % 40) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        for version in [V311, V5] {
            let mut buf = BytesMut::from(&bytes[..]);
            while let Ok(Some(_)) = decode(version, &mut buf, 1 << 16) {}
        }
        let mut buf = BytesMut::from(&bytes[..]);
        if let Ok(Some((first, body))) = next_packet(&mut buf, 1 << 16) {
            let _ = decode_connect(first, body);
        }
    }
}
