//! The explorer's own connections against a real mosquitto configured by each test: TLS with a
//! CA made here (rcgen), client certificates, a wrong CA, skip-verify, WebSockets, passwords and
//! the last will; and the same options from `canopy sub` / `canopy pub`.

use crate::common::pki::{Pki, wait_listening};
use crate::common::{self, Mosquitto, free_port, wait_for};
use canopy::mqtt::Qos;
use canopy::net::{
    ConnectOptions, ConnectionManager, ConnectionState, EventKind, LastWill, Subscription,
    Transport,
};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn tls_options(port: u16, pki: &Pki) -> ConnectOptions {
    let mut options = ConnectOptions::new("127.0.0.1", port);
    options.transport = Transport::Tls;
    options.tls.ca_file = Some(pki.path("ca.pem"));
    options.retry_first_connect = false;
    options.subscriptions = vec![Subscription::new("secure/#")];
    options
}

/// Connect and return the first state that is not Connecting: Ok on CONNACK, Err(reason) if
/// the connection failed.
fn outcome(manager: &mut ConnectionManager, options: ConnectOptions) -> Result<(), String> {
    let (id, _) = manager.connect(options);
    wait_for(manager, id, Duration::from_secs(15), |event| {
        match &event.kind {
            EventKind::State(ConnectionState::Connected { .. }) => Some(Ok(())),
            EventKind::State(ConnectionState::Disconnected {
                reason: Some(reason),
            }) => Some(Err(reason.clone())),
            EventKind::State(ConnectionState::Reconnecting { reason, .. }) => {
                Some(Err(reason.clone()))
            }
            _ => None,
        }
    })
}

#[test]
fn tls_with_a_ca_file_connects_and_a_wrong_ca_is_explained() {
    let pki = Pki::new();
    let tls_port = free_port();
    let Some(broker) = Mosquitto::start_with(
        "tls_with_a_ca_file_connects_and_a_wrong_ca_is_explained",
        &pki.listener(tls_port, false),
    ) else {
        return;
    };
    wait_listening(tls_port);
    let mut manager = common::manager();

    // Verified against our CA: connects, and messages flow.
    let (id, _) = manager.connect(tls_options(tls_port, &pki));
    common::wait_subscribed(&manager, id);
    broker.publish(&["-t", "secure/a", "-m", "over TLS"]);
    let message = common::next_message(&manager, id);
    assert_eq!(&message.payload[..], b"over TLS");

    // Another CA: refused, in plain words.
    let mut wrong = tls_options(tls_port, &pki);
    wrong.tls.ca_file = Some(pki.path("other-ca.pem"));
    let reason = outcome(&mut manager, wrong).expect_err("refused");
    assert!(reason.contains("signed by an unknown CA"), "{reason}");

    // The certificate is for 127.0.0.1 and localhost, not this name.
    let mut misnamed = tls_options(tls_port, &pki);
    misnamed.tls.server_name = Some("broker.example.com".into());
    let reason = outcome(&mut manager, misnamed).expect_err("refused");
    assert!(reason.contains("not valid for"), "{reason}");

    // Reached by IP, checked and greeted (SNI) as localhost: connects, through Canopy's own TLS.
    let mut by_name = tls_options(tls_port, &pki);
    by_name.tls.server_name = Some("localhost".into());
    let (id, _) = manager.connect(by_name);
    common::wait_subscribed(&manager, id);
    broker.publish(&["-t", "secure/b", "-m", "by name"]);
    assert_eq!(&common::next_message(&manager, id).payload[..], b"by name");

    // Skip verification: connects whatever the CA.
    let mut insecure = tls_options(tls_port, &pki);
    insecure.tls.ca_file = Some(pki.path("other-ca.pem"));
    insecure.tls.insecure_skip_verify = true;
    assert_eq!(outcome(&mut manager, insecure), Ok(()));

    // A plain connection to the TLS port says what is wrong.
    let mut plain_to_tls = ConnectOptions::new("127.0.0.1", tls_port);
    plain_to_tls.retry_first_connect = false;
    plain_to_tls.connect_timeout_secs = 3;
    assert!(outcome(&mut manager, plain_to_tls).is_err());
}

/// A TLS server that reports the server name (SNI) of the first ClientHello it gets.
fn sni_recorder(pki: &Pki) -> (u16, std::sync::mpsc::Receiver<Option<String>>) {
    let chain = canopy::pem::certificates(&pki.path("server.pem")).expect("chain");
    let key = canopy::pem::private_key(&pki.path("server.key")).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut connection =
            rustls::ServerConnection::new(Arc::new(config)).expect("server connection");
        while connection.is_handshaking() {
            if connection.read_tls(&mut stream).unwrap_or(0) == 0
                || connection.process_new_packets().is_err()
            {
                break;
            }
            if connection.server_name().is_some() {
                break;
            }
        }
        let _ = tx.send(connection.server_name().map(str::to_owned));
    });
    (port, rx)
}

#[test]
fn a_certificate_name_is_sent_as_sni() {
    let pki = Pki::new();
    let (port, sni) = sni_recorder(&pki);
    let mut manager = common::manager();
    let mut options = tls_options(port, &pki);
    options.tls.server_name = Some("localhost".into());
    options.connect_timeout_secs = 3;
    let (_id, _) = manager.connect(options);
    let seen = sni
        .recv_timeout(Duration::from_secs(10))
        .expect("a ClientHello");
    assert_eq!(
        seen.as_deref(),
        Some("localhost"),
        "the override went out as SNI"
    );
}

#[test]
fn client_certificates_are_required_and_accepted() {
    let pki = Pki::new();
    let tls_port = free_port();
    let Some(_broker) = Mosquitto::start_with(
        "client_certificates_are_required_and_accepted",
        &pki.listener(tls_port, true),
    ) else {
        return;
    };
    wait_listening(tls_port);
    let mut manager = common::manager();

    let mut with_cert = tls_options(tls_port, &pki);
    with_cert.tls.client_cert = Some(pki.path("client.pem"));
    with_cert.tls.client_key = Some(pki.path("client.key"));
    assert_eq!(outcome(&mut manager, with_cert), Ok(()));

    let reason = outcome(&mut manager, tls_options(tls_port, &pki)).expect_err("refused");
    assert!(reason.contains("requires a client certificate"), "{reason}");

    // A certificate from a CA the broker does not trust.
    let mut stranger = tls_options(tls_port, &pki);
    stranger.tls.client_cert = Some(pki.path("stranger.pem"));
    stranger.tls.client_key = Some(pki.path("stranger.key"));
    let reason = outcome(&mut manager, stranger).expect_err("refused");
    assert!(
        reason.contains("refused our client certificate"),
        "{reason}"
    );

    // A key file that is not a key is named before anything is sent.
    let mut bad_key = tls_options(tls_port, &pki);
    bad_key.tls.client_cert = Some(pki.path("client.pem"));
    bad_key.tls.client_key = Some(pki.path("ca.pem"));
    let reason = outcome(&mut manager, bad_key).expect_err("refused");
    assert!(
        reason.contains("client key") && reason.contains("ca.pem"),
        "{reason}"
    );
}

#[test]
fn an_expired_broker_certificate_is_explained() {
    let pki = Pki::new();
    let broker = common::start_broker(canopy::broker::BrokerConfig {
        tls: Some(canopy::broker::TlsListenerConfig {
            port: 0,
            identity: canopy::broker::TlsIdentity::PemFiles {
                cert: pki.path("expired.pem"),
                key: pki.path("expired.key"),
            },
        }),
        ..canopy::broker::BrokerConfig::default()
    });
    let tls_port = broker
        .listeners()
        .iter()
        .find(|l| l.kind == canopy::broker::ListenerKind::Tls)
        .map(|l| l.address.port())
        .expect("TLS listener");
    let mut manager = common::manager();
    let reason = outcome(&mut manager, tls_options(tls_port, &pki)).expect_err("refused");
    assert!(reason.contains("certificate has expired"), "{reason}");
}

#[test]
fn secure_websockets_directly_and_with_a_certificate_name() {
    let pki = Pki::new();
    let wss_port = free_port();
    let Some(broker) = Mosquitto::start_with(
        "secure_websockets_directly_and_with_a_certificate_name",
        &format!(
            "listener {wss_port} 127.0.0.1\nprotocol websockets\ncafile {}\ncertfile {}\nkeyfile {}\n",
            pki.path("ca.pem").display(),
            pki.path("server.pem").display(),
            pki.path("server.key").display()
        ),
    ) else {
        return;
    };
    wait_listening(wss_port);
    let mut manager = common::manager();
    for server_name in [None, Some("localhost")] {
        let mut options = tls_options(wss_port, &pki);
        options.transport = Transport::Wss;
        options.tls.server_name = server_name.map(str::to_owned);
        options.subscriptions = vec![Subscription::new("wss/#")];
        let (id, _) = manager.connect(options);
        common::wait_subscribed(&manager, id);
        broker.publish(&["-t", "wss/x", "-m", "secure socket"]);
        let message = common::next_message(&manager, id);
        assert_eq!(&message.payload[..], b"secure socket", "{server_name:?}");
        manager.send(canopy::net::Command::Disconnect { id });
    }
}

#[test]
fn websockets_through_mosquittos_listener() {
    let ws_port = free_port();
    let Some(broker) = Mosquitto::start_with(
        "websockets_through_mosquittos_listener",
        &format!("listener {ws_port} 127.0.0.1\nprotocol websockets\n"),
    ) else {
        return;
    };
    wait_listening(ws_port);
    let manager = common::manager();
    let mut options = ConnectOptions::new("127.0.0.1", ws_port);
    options.transport = Transport::Ws;
    options.subscriptions = vec![Subscription::new("web/#")];
    let mut manager = manager;
    let (id, _) = manager.connect(options);
    common::wait_subscribed(&manager, id);
    broker.publish(&["-t", "web/socket", "-m", "hello over ws"]);
    let message = common::next_message(&manager, id);
    assert_eq!(message.topic, "web/socket");
    assert_eq!(&message.payload[..], b"hello over ws");
}

#[test]
fn user_names_and_passwords_are_accepted_and_refused() {
    if !common::require_tool(
        "mosquitto_passwd",
        "user_names_and_passwords_are_accepted_and_refused",
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let passwords = dir.path().join("passwd");
    let status = Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&passwords)
        .args(["alice", "wonderland"])
        .status()
        .expect("mosquitto_passwd");
    assert!(status.success());
    let Some(broker) = Mosquitto::start_with(
        "user_names_and_passwords_are_accepted_and_refused",
        &format!(
            "allow_anonymous false\npassword_file {}\n",
            passwords.display()
        ),
    ) else {
        return;
    };
    let mut manager = common::manager();
    let with = |user: Option<(&str, &str)>| {
        let mut options = ConnectOptions::new("127.0.0.1", broker.port);
        options.retry_first_connect = false;
        options.credentials = user.map(|(u, p)| (u.to_owned(), p.to_owned()));
        options
    };
    assert_eq!(
        outcome(&mut manager, with(Some(("alice", "wonderland")))),
        Ok(())
    );
    let reason = outcome(&mut manager, with(Some(("alice", "wrong")))).expect_err("refused");
    assert!(
        reason.contains("bad user name or password") || reason.contains("not authorized"),
        "{reason}"
    );
    let reason = outcome(&mut manager, with(None)).expect_err("refused");
    assert!(reason.contains("refused the connection"), "{reason}");
}

/// Forwards one TCP connection to `target` until `cut` is set, then drops both sides
/// without a word: a pulled cable.
fn cuttable_proxy(target: u16) -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    let cut = Arc::new(AtomicBool::new(false));
    let cut_flag = Arc::clone(&cut);
    std::thread::spawn(move || {
        let Ok((client, _)) = listener.accept() else {
            return;
        };
        let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
            return;
        };
        let pipe = |mut from: TcpStream, mut to: TcpStream, cut: Arc<AtomicBool>| {
            std::thread::spawn(move || {
                let _ = from.set_read_timeout(Some(Duration::from_millis(50)));
                let mut buffer = [0u8; 16 * 1024];
                while !cut.load(Ordering::Relaxed) {
                    match from.read(&mut buffer) {
                        Ok(0) => break,
                        Ok(n) => {
                            if to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(_) => break,
                    }
                }
                let _ = from.shutdown(std::net::Shutdown::Both);
                let _ = to.shutdown(std::net::Shutdown::Both);
            })
        };
        let upstream = pipe(
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
            Arc::clone(&cut_flag),
        );
        let downstream = pipe(server, client, cut_flag);
        let _ = upstream.join();
        let _ = downstream.join();
    });
    (port, cut)
}

#[test]
fn the_last_will_is_delivered_when_the_connection_is_cut() {
    let Some(broker) = Mosquitto::start("the_last_will_is_delivered_when_the_connection_is_cut")
    else {
        return;
    };
    let (watcher, watcher_id) = common::listen(broker.port, "wills/#");
    let (proxy_port, cut) = cuttable_proxy(broker.port);
    let mut manager = common::manager();
    let mut options = ConnectOptions::new("127.0.0.1", proxy_port);
    options.retry_first_connect = false;
    options.subscriptions.clear();
    options.last_will = Some(LastWill {
        topic: "wills/canopy".into(),
        payload: "canopy vanished".into(),
        qos: Qos::AtLeastOnce,
        retain: false,
    });
    assert_eq!(outcome(&mut manager, options), Ok(()));
    cut.store(true, Ordering::Relaxed);
    let will = common::next_message(&watcher, watcher_id);
    assert_eq!(will.topic, "wills/canopy");
    assert_eq!(&will.payload[..], b"canopy vanished");
    assert_eq!(will.qos, Qos::AtLeastOnce);
}

#[test]
fn sub_and_pub_take_tls_and_websocket_urls_and_flags() {
    let Some((pki, broker, tls_port, ws_port)) = common::pki::mosquitto_with_tls_and_websockets(
        "sub_and_pub_take_tls_and_websocket_urls_and_flags",
    ) else {
        return;
    };
    let ca = pki.path("ca.pem");
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let path = |p: &Path| p.display().to_string();

    // `canopy sub` over TLS with a client certificate waits for one message...
    let mut sub = common::canopy()
        .args([
            "sub",
            &format!("mqtts://127.0.0.1:{tls_port}"),
            "-t",
            "cli/#",
            "-n",
            "1",
        ])
        .args([
            "--timeout",
            "20",
            "--cafile",
            &path(&ca),
            "--cert",
            &path(&cert),
        ])
        .args(["--key", &path(&key)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("canopy sub");
    // ...which `canopy pub` sends over WebSockets once the subscriber is in.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let published = common::canopy()
            .args([
                "pub",
                &format!("ws://127.0.0.1:{ws_port}/mqtt"),
                "-t",
                "cli/x",
                "-m",
                "hi",
            ])
            .output()
            .expect("canopy pub");
        assert!(published.status.success(), "{published:?}");
        std::thread::sleep(Duration::from_millis(300));
        if Instant::now() > deadline || sub.try_wait().expect("poll sub").is_some() {
            break;
        }
    }
    let output = sub.wait_with_output().expect("sub ends");
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("received 1 message "),
        "{output:?}"
    );

    // The wrong CA from the command line: one line saying so, exit 1.
    let refused = common::canopy()
        .args([
            "sub",
            &format!("mqtts://127.0.0.1:{tls_port}"),
            "--timeout",
            "10",
        ])
        .args(["--cafile", &path(&pki.path("other-ca.pem"))])
        .output()
        .expect("canopy sub");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("unknown CA"), "{stderr}");

    // TLS flags on a plain URL are refused up front.
    let misused = common::canopy()
        .args(["pub", &broker.url(), "-t", "a", "-m", "b", "--insecure"])
        .output()
        .expect("canopy pub");
    assert!(!misused.status.success());
    assert!(String::from_utf8_lossy(&misused.stderr).contains("mqtts://"));
}
