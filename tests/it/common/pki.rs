//! Certificates made for a test with rcgen: a CA, a server and a client certificate.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// PEM files for a test: a CA, a server certificate for localhost/127.0.0.1, an expired one, and
/// a client certificate signed by it; an unrelated CA, and a client certificate it signed.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// Make and write them.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let ca = |name: &str| {
            let key = KeyPair::generate().expect("CA key");
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.self_signed(&key).expect("CA cert");
            (cert, Issuer::new(params, key))
        };
        let (ca_cert, issuer) = ca("Canopy test CA");
        let (other_cert, other_issuer) = ca("Somebody else's CA");
        let server_key = KeyPair::generate().expect("key");
        let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("params")
            .signed_by(&server_key, &issuer)
            .expect("server cert");
        let client_key = KeyPair::generate().expect("key");
        let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        client_params
            .distinguished_name
            .push(DnType::CommonName, "canopy-client");
        let client = client_params
            .signed_by(&client_key, &issuer)
            .expect("client cert");
        // The same server, but its certificate ran out in 2021.
        let expired_key = KeyPair::generate().expect("key");
        let mut expired_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("params");
        expired_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        expired_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let expired = expired_params
            .signed_by(&expired_key, &issuer)
            .expect("expired cert");
        // A client certificate from a CA the broker does not trust.
        let stranger_key = KeyPair::generate().expect("key");
        let mut stranger_params = CertificateParams::new(Vec::<String>::new()).expect("params");
        stranger_params
            .distinguished_name
            .push(DnType::CommonName, "stranger");
        let stranger = stranger_params
            .signed_by(&stranger_key, &other_issuer)
            .expect("stranger cert");
        let write = |name: &str, text: String| {
            std::fs::write(dir.path().join(name), text).expect("write PEM");
        };
        write("ca.pem", ca_cert.pem());
        write("other-ca.pem", other_cert.pem());
        write("server.pem", server.pem());
        write("server.key", server_key.serialize_pem());
        write("client.pem", client.pem());
        write("client.key", client_key.serialize_pem());
        write("expired.pem", expired.pem());
        write("expired.key", expired_key.serialize_pem());
        write("stranger.pem", stranger.pem());
        write("stranger.key", stranger_key.serialize_pem());
        Self { dir }
    }

    /// The path of one of the files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// mosquitto lines for a TLS listener on `port`.
    pub fn listener(&self, port: u16, require_client_cert: bool) -> String {
        format!(
            "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate {require_client_cert}\n",
            self.path("ca.pem").display(),
            self.path("server.pem").display(),
            self.path("server.key").display(),
        )
    }
}

/// Wait until something listens on 127.0.0.1:`port`.
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A mosquitto for `test` with, besides its plain listener, a TLS listener that requires a
/// client certificate signed by the test CA, and a WebSocket listener. Returns the files, the
/// broker, and the TLS and WebSocket ports; `None` when mosquitto is missing (outside CI).
pub fn mosquitto_with_tls_and_websockets(test: &str) -> Option<(Pki, super::Mosquitto, u16, u16)> {
    let pki = Pki::new();
    let (tls_port, ws_port) = (super::free_port(), super::free_port());
    let broker = super::Mosquitto::start_with(
        test,
        &format!(
            "{}listener {ws_port} 127.0.0.1\nprotocol websockets\n",
            pki.listener(tls_port, true)
        ),
    )?;
    wait_listening(tls_port);
    wait_listening(ws_port);
    Some((pki, broker, tls_port, ws_port))
}
