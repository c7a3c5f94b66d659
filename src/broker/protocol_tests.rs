//! Tests of `protocol.rs`.
use super::*;

#[test]
fn disconnect_is_well_formed() {
    let mut out = BytesMut::new();
    encode_disconnect(ProtocolVersion::V5, 0x94, &mut out);
    assert_eq!(&out[..], &[0xE0, 0x02, 0x94, 0x00]);
    let decoded = v5::Packet::read(&mut out, None).expect("decodes");
    assert!(matches!(
        decoded,
        v5::Packet::Disconnect(d) if d.reason_code == v5::DisconnectReasonCode::TopicAliasInvalid
    ));
    assert!(out.is_empty(), "no stray bytes");
    let mut none = BytesMut::new();
    encode_disconnect(ProtocolVersion::V311, 0x94, &mut none);
    assert!(none.is_empty());
}

#[test]
fn detects_the_version_of_a_connect() {
    let mut v4_connect = BytesMut::new();
    v4::Connect::new("id")
        .write(&mut v4_connect)
        .expect("encode");
    assert_eq!(connect_version(&v4_connect), Ok(ProtocolVersion::V311));
    let mut v5_connect = BytesMut::new();
    v5::Connect {
        keep_alive: 10,
        client_id: "id".into(),
        clean_start: true,
        properties: None,
    }
    .write(&None, &None, &mut v5_connect)
    .expect("encode");
    assert_eq!(connect_version(&v5_connect), Ok(ProtocolVersion::V5));
    assert_eq!(
        connect_version(&[0x30, 0x00]).map_err(|e| e.reason_code),
        Err(0x82)
    );
    let mut level3 = v4_connect.to_vec();
    level3[8] = 3;
    assert_eq!(
        connect_version(&level3).map_err(|e| e.reason_code),
        Err(0x84)
    );
}

#[test]
fn oversized_declared_length_is_refused_before_the_body_arrives() {
    // PUBLISH declaring 200 MB: only the fixed header is here.
    let mut buf = BytesMut::from(&[0x30u8, 0x80, 0x80, 0x80, 0x60][..]);
    let error = decode(ProtocolVersion::V311, &mut buf, 1024).expect_err("too large");
    assert_eq!(error.reason_code, 0x95);
    let mut buf = BytesMut::from(&[0x30u8, 0x80, 0x80, 0x80, 0x60][..]);
    assert_eq!(
        decode(ProtocolVersion::V5, &mut buf, 1024)
            .map_err(|e| e.reason_code)
            .err(),
        Some(0x95)
    );
}

#[test]
fn truncated_packets_wait_and_garbage_is_malformed() {
    let mut partial = BytesMut::from(&[0x30u8, 0x0A, 0x00][..]);
    assert!(matches!(
        decode(ProtocolVersion::V311, &mut partial, 1024),
        Ok(None)
    ));
    let mut bad_length = BytesMut::from(&[0x30u8, 0xFF, 0xFF, 0xFF, 0xFF, 0x01][..]);
    assert!(decode(ProtocolVersion::V311, &mut bad_length, u32::MAX).is_err());
    let mut v5_short_disconnect = BytesMut::from(&[0xE0u8, 0x00][..]);
    assert!(matches!(
        decode(ProtocolVersion::V5, &mut v5_short_disconnect, 1024),
        Ok(Some(Inbound::Disconnect { reason_code: 0, .. }))
    ));
}
