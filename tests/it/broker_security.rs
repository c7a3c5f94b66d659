//! The bundled broker's TLS and WebSocket listeners, users and ACL, with certificates made by
//! rcgen in the test and real clients (mosquitto_sub/pub, mosquitto_passwd, rumqttc).

use crate::common::require_tool;
use crate::common::start_quiet_broker;
use bytes::BytesMut;
use canopy::broker::{
    Acl, Broker, BrokerConfig, ListenerKind, TlsIdentity, TlsListenerConfig, Users,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn listener_port(broker: &Broker, kind: ListenerKind) -> u16 {
    broker
        .listeners()
        .iter()
        .find(|l| l.kind == kind)
        .map(|l| l.address.port())
        .expect("listener present")
}

/// A CA and a server certificate for localhost / 127.0.0.1 signed by it, written as PEM files.
fn write_ca_and_server_cert(dir: &Path) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Canopy test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server cert");
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), server_cert.pem()).expect("write");
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).expect("write");
}

#[test]
fn tls_with_a_ca_signed_certificate_serves_mosquitto_clients() {
    if !require_tool(
        "mosquitto_sub",
        "tls_with_a_ca_signed_certificate_serves_mosquitto_clients",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    write_ca_and_server_cert(dir.path());
    let broker = start_quiet_broker(BrokerConfig {
        tls: Some(TlsListenerConfig {
            port: 0,
            identity: TlsIdentity::PemFiles {
                cert: dir.path().join("server.pem"),
                key: dir.path().join("server.key"),
            },
        }),
        ..BrokerConfig::default()
    });
    let port = listener_port(&broker, ListenerKind::Tls).to_string();
    let ca = dir.path().join("ca.pem");
    let ca = ca.to_str().expect("utf-8 path");
    let sub = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--cafile",
            ca,
            "-t",
            "secure/#",
            "-C",
            "1",
            "-W",
            "10",
            "-v",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mosquitto_sub");
    crate::common::wait_until(
        || "the TLS subscriber's subscription".to_owned(),
        Duration::from_secs(10),
        || broker.subscription_count() > 0,
    );
    let status = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--cafile",
            ca,
            "-t",
            "secure/x",
            "-m",
            "over tls",
        ])
        .status()
        .expect("mosquitto_pub");
    assert!(status.success());
    let output = sub.wait_with_output().expect("wait");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "secure/x over tls"
    );

    // A client that does not trust the CA is refused by its own TLS check.
    let untrusted = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--cafile",
            "/etc/ssl/certs/ca-certificates.crt",
            "-t",
            "x",
            "-m",
            "y",
        ])
        .output()
        .expect("mosquitto_pub");
    assert!(!untrusted.status.success());
}

fn rustls_client_trusting(pem: &str) -> Arc<rustls::ClientConfig> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.expect("PEM")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Connect a rumqttc 3.1.1 client with `transport`, subscribe, publish, and get the message back.
async fn round_trip(host: &str, port: u16, transport: rumqttc::Transport) -> String {
    let mut options = rumqttc::MqttOptions::new("round-trip", host, port);
    options.set_transport(transport);
    let (client, mut event_loop) = rumqttc::AsyncClient::new(options, 10);
    client
        .subscribe("echo", rumqttc::QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, event_loop.poll())
            .await
            .expect("timed out")
            .expect("connection works");
        match event {
            rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) => {
                client
                    .publish("echo", rumqttc::QoS::AtLeastOnce, false, "hello")
                    .await
                    .expect("publish");
            }
            rumqttc::Event::Incoming(rumqttc::Packet::Publish(publish)) => {
                return String::from_utf8_lossy(&publish.payload).into_owned();
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn self_signed_tls_works_for_a_client_that_trusts_it() {
    let broker = start_quiet_broker(BrokerConfig {
        tls: Some(TlsListenerConfig {
            port: 0,
            identity: TlsIdentity::SelfSigned,
        }),
        ..BrokerConfig::default()
    });
    let pem = broker
        .generated_cert_pem()
        .expect("generated certificate")
        .to_owned();
    let port = listener_port(&broker, ListenerKind::Tls);
    let transport = rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(
        rustls_client_trusting(&pem),
    ));
    assert_eq!(round_trip("localhost", port, transport).await, "hello");
}

#[tokio::test]
async fn websocket_listener_speaks_mqtt() {
    let broker = start_quiet_broker(BrokerConfig {
        websocket_port: Some(0),
        ..BrokerConfig::default()
    });
    let port = listener_port(&broker, ListenerKind::WebSocket);
    let url = format!("ws://127.0.0.1:{port}/mqtt");
    assert_eq!(
        round_trip(&url, port, rumqttc::Transport::Ws).await,
        "hello"
    );
}

#[test]
fn users_from_a_mosquitto_password_file() {
    if !require_tool("mosquitto_passwd", "users_from_a_mosquitto_password_file") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("passwords");
    let made = Command::new("mosquitto_passwd")
        .args(["-c", "-b", file.to_str().expect("utf-8"), "alice", "s3cret"])
        .status()
        .expect("mosquitto_passwd");
    assert!(made.success());
    let broker = start_quiet_broker(BrokerConfig {
        users: Some(Users::load(&file).expect("loads")),
        allow_anonymous: false,
        ..BrokerConfig::default()
    });
    let port = broker.local_addr().port().to_string();
    let publish = |extra: &[&str]| {
        Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &port, "-t", "t", "-m", "m"])
            .args(extra)
            .output()
            .expect("mosquitto_pub")
    };
    assert!(publish(&["-u", "alice", "-P", "s3cret"]).status.success());
    for wrong in [
        &["-u", "alice", "-P", "nope"][..],
        &["-u", "mallory", "-P", "s3cret"][..],
        &[][..],
    ] {
        let output = publish(wrong);
        assert!(!output.status.success(), "{wrong:?} must be refused");
    }
    // MQTT 5 clients are told why.
    let refused = publish(&["-V", "mqttv5", "-u", "alice", "-P", "nope"]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.to_lowercase().contains("bad user name or password"),
        "{stderr}"
    );
}

/// A raw 3.1.1 client that logs in as `user` and publishes to each topic (QoS 0).
fn publish_as(broker: &Broker, user: &str, topics: &[&str]) {
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    let mut connect = rumqttc::mqttbytes::v4::Connect::new(format!("{user}-publisher"));
    connect.set_login(user, "");
    let mut out = BytesMut::new();
    connect.write(&mut out).expect("encode");
    for topic in topics {
        let publish = rumqttc::mqttbytes::v4::Publish::new(
            *topic,
            rumqttc::mqttbytes::QoS::AtMostOnce,
            topic.as_bytes().to_vec(),
        );
        rumqttc::mqttbytes::v4::Packet::Publish(publish)
            .write(&mut out, usize::MAX)
            .expect("encode");
    }
    out.extend_from_slice(&[0xE0, 0x00]); // DISCONNECT
    stream.write_all(&out).expect("send");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
}

/// A raw 3.1.1 client: CONNECT (with a user), SUBSCRIBE one filter, return the SUBACK code.
fn suback_code_v311(broker: &Broker, user: &str, filter: &str) -> u8 {
    let mut stream = TcpStream::connect(broker.local_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut connect = rumqttc::mqttbytes::v4::Connect::new("acl-raw");
    connect.set_login(user, "");
    let mut out = BytesMut::new();
    connect.write(&mut out).expect("encode");
    let mut subscribe =
        rumqttc::mqttbytes::v4::Subscribe::new(filter, rumqttc::mqttbytes::QoS::AtLeastOnce);
    subscribe.pkid = 1;
    subscribe.write(&mut out).expect("encode");
    stream.write_all(&out).expect("send");
    let mut reply = [0u8; 9]; // CONNACK (4) + SUBACK (5)
    stream.read_exact(&mut reply).expect("CONNACK and SUBACK");
    assert_eq!(&reply[..4], &[0x20, 0x02, 0x00, 0x00], "connected");
    assert_eq!(reply[4], 0x90, "SUBACK");
    reply[8]
}

#[tokio::test]
async fn acl_refuses_subscriptions_with_the_right_codes_and_filters_delivery() {
    let acl = Acl::parse(
        "user alice\n\
         topic readwrite home/#\n\
         topic deny home/secret\n\
         user bob\n\
         topic write home/#\n",
    )
    .expect("ACL");
    let broker = start_quiet_broker(BrokerConfig {
        acl: Some(acl),
        ..BrokerConfig::default()
    });
    // MQTT 3.1.1: 0x80 for a refused filter, the QoS for a granted one.
    assert_eq!(suback_code_v311(&broker, "alice", "office/#"), 0x80);
    assert_eq!(suback_code_v311(&broker, "alice", "home/+"), 0x01);

    // MQTT 5: "not authorized" (0x87).
    let mut options =
        rumqttc::v5::MqttOptions::new("alice-5", "127.0.0.1", broker.local_addr().port());
    options.set_credentials("alice", "");
    let (client, mut event_loop) = rumqttc::v5::AsyncClient::new(options, 10);
    client
        .subscribe("office/#", rumqttc::v5::mqttbytes::QoS::AtMostOnce)
        .await
        .expect("queue");
    client
        .subscribe("home/+", rumqttc::v5::mqttbytes::QoS::AtMostOnce)
        .await
        .expect("queue");
    let mut codes = Vec::new();
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.is_empty() {
        let event = tokio::time::timeout_at(deadline, event_loop.poll())
            .await
            .expect("timed out")
            .expect("connection works");
        match event {
            rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::SubAck(ack)) => {
                codes.push(ack.return_codes[0]);
                if codes.len() == 2 {
                    // Bob may write both; alice's deny rule holds at delivery even though her
                    // home/+ subscription covers home/secret. Same connection, so in order.
                    publish_as(&broker, "bob", &["home/secret", "home/lamp"]);
                }
            }
            rumqttc::v5::Event::Incoming(rumqttc::v5::mqttbytes::v5::Packet::Publish(publish)) => {
                got.push(publish.topic);
            }
            _ => {}
        }
    }
    assert_eq!(
        codes,
        vec![
            rumqttc::v5::mqttbytes::v5::SubscribeReasonCode::NotAuthorized,
            rumqttc::v5::mqttbytes::v5::SubscribeReasonCode::Success(
                rumqttc::v5::mqttbytes::QoS::AtMostOnce
            ),
        ]
    );
    assert_eq!(got, vec![bytes::Bytes::from_static(b"home/lamp")]);
}
