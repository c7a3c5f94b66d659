//! Tests of `protocol.rs`.
use super::*;

#[test]
fn disconnect_is_well_formed() {
    let mut out = BytesMut::new();
    encode_disconnect(ProtocolVersion::V5, ReasonCode::TopicAliasInvalid, &mut out);
    assert_eq!(&out[..], &[0xE0, 0x02, 0x94, 0x00]);
    let decoded = v5::Packet::read(&mut out, None).expect("decodes");
    assert!(matches!(
        decoded,
        v5::Packet::Disconnect(d) if d.reason_code == v5::DisconnectReasonCode::TopicAliasInvalid
    ));
    assert!(out.is_empty(), "no stray bytes");
    let mut none = BytesMut::new();
    encode_disconnect(
        ProtocolVersion::V311,
        ReasonCode::TopicAliasInvalid,
        &mut none,
    );
    assert!(none.is_empty());
}

#[test]
fn acknowledgements_carry_their_reason() {
    let mut out = BytesMut::new();
    encode_ack(
        ProtocolVersion::V5,
        Ack::Puback,
        7,
        ReasonCode::NotAuthorized,
        &mut out,
    );
    encode_ack(
        ProtocolVersion::V5,
        Ack::Pubrel,
        8,
        ReasonCode::Success,
        &mut out,
    );
    encode_ack(
        ProtocolVersion::V311,
        Ack::Pubrec,
        9,
        ReasonCode::NotAuthorized,
        &mut out,
    );
    assert_eq!(
        &out[..],
        &[0x40, 3, 0, 7, 0x87, 0x62, 2, 0, 8, 0x50, 2, 0, 9],
        "MQTT 5 with the code, short form for success, 3.1.1 without"
    );
    let decoded = v5::Packet::read(&mut out, None).expect("rumqttc reads it");
    assert!(
        matches!(decoded, v5::Packet::PubAck(ack) if ack.reason == v5::PubAckReason::NotAuthorized)
    );
}

#[test]
fn connack_codes_in_both_versions() {
    let mut out = BytesMut::new();
    let refused = ConnAckInfo {
        reason: ReasonCode::BadUserNameOrPassword,
        session_present: true,
        ..ConnAckInfo::default()
    };
    encode_connack(ProtocolVersion::V311, &refused, &mut out);
    assert_eq!(
        &out[..],
        &[0x20, 2, 0, 4],
        "no session present on a refusal"
    );
}
