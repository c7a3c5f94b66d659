//! What a connection needs to know: broker address, protocol, identity, subscriptions.

use super::tls::TlsOptions;
use crate::mqtt::{ProtocolVersion, Qos};
use bytes::Bytes;

/// How the bytes travel to the broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Transport {
    /// Plain TCP (`mqtt://`, usually port 1883).
    #[default]
    Tcp,
    /// TLS over TCP (`mqtts://`, usually port 8883).
    Tls,
    /// WebSockets (`ws://`), with a path.
    Ws,
    /// WebSockets over TLS (`wss://`), with a path.
    Wss,
}

impl Transport {
    /// Every transport, in menu order.
    pub const ALL: [Transport; 4] = [
        Transport::Tcp,
        Transport::Tls,
        Transport::Ws,
        Transport::Wss,
    ];

    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            Transport::Tcp => "mqtt",
            Transport::Tls => "mqtts",
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }

    /// The usual port.
    pub fn default_port(self) -> u16 {
        match self {
            Transport::Tcp => 1883,
            Transport::Tls => 8883,
            Transport::Ws => 80,
            Transport::Wss => 443,
        }
    }

    /// True for the transports that use TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, Transport::Tls | Transport::Wss)
    }

    /// True for the WebSocket transports.
    pub fn is_websocket(self) -> bool {
        matches!(self, Transport::Ws | Transport::Wss)
    }
}

/// The message the broker publishes for us if we vanish without a DISCONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct LastWill {
    pub topic: String,
    pub payload: Bytes,
    pub qos: Qos,
    /// Retain flag of the will.
    pub retain: bool,
}

/// A topic filter to subscribe to, with the QoS asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Subscription {
    /// Topic filter, wildcards allowed.
    pub filter: String,
    pub qos: Qos,
}

impl Subscription {
    /// A subscription to `filter` at QoS 0.
    pub fn new(filter: impl Into<String>) -> Self {
        Self {
            filter: filter.into(),
            qos: Qos::AtMostOnce,
        }
    }

    /// What an explorer subscribes to by default: every topic and the broker's `$SYS` tree
    /// (`#` does not match topics that start with `$`), at QoS 2 so that each message arrives
    /// with the QoS its publisher used (delivery QoS is the lower of the two).
    pub fn explorer_defaults() -> Vec<Subscription> {
        crate::mqtt::EVERY_TOPIC
            .into_iter()
            .map(|filter| Subscription {
                filter: filter.to_owned(),
                qos: Qos::ExactlyOnce,
            })
            .collect()
    }
}

/// Everything needed to open one connection.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct ConnectOptions {
    /// Broker host name or IP address.
    pub host: String,
    pub port: u16,
    pub protocol: ProtocolVersion,
    /// Client identifier sent in CONNECT.
    pub client_id: String,
    /// Keep-alive interval in seconds.
    pub keep_alive_secs: u16,
    /// Start with a clean session.
    pub clean_start: bool,
    /// Optional user name and password.
    pub credentials: Option<(String, String)>,
    /// Subscriptions made on every (re)connect.
    pub subscriptions: Vec<Subscription>,
    /// Keep retrying when the very first attempt fails (the GUI does; scripts want an error).
    pub retry_first_connect: bool,
    /// Seconds to wait for TCP connect and CONNACK.
    pub connect_timeout_secs: u64,
    /// TCP, TLS, WebSockets or secure WebSockets.
    pub transport: Transport,
    /// The HTTP path for WebSockets (`/mqtt` by default).
    pub ws_path: String,
    /// TLS settings, used by `mqtts` and `wss`.
    pub tls: TlsOptions,
    /// The last will, if any.
    pub last_will: Option<LastWill>,
    /// MQTT 5 session expiry interval in seconds (`None`: the session ends with the connection).
    pub session_expiry_secs: Option<u32>,
}

impl ConnectOptions {
    /// Options for `host:port` with explorer defaults: MQTT 5, `#` and `$SYS/#`, a random client id.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            protocol: ProtocolVersion::V5,
            client_id: random_client_id(),
            keep_alive_secs: 30,
            clean_start: true,
            credentials: None,
            subscriptions: Subscription::explorer_defaults(),
            retry_first_connect: true,
            connect_timeout_secs: 5,
            transport: Transport::Tcp,
            ws_path: "/mqtt".to_owned(),
            tls: TlsOptions::default(),
            last_will: None,
            session_expiry_secs: None,
        }
    }

    /// The broker as a URL (`mqtts://host:8883`, `ws://host:8080/mqtt`), without credentials.
    pub fn url(&self) -> String {
        let path = if self.transport.is_websocket() {
            normalized_path(&self.ws_path)
        } else {
            String::new()
        };
        format!("{}://{}{path}", self.transport.scheme(), self.address())
    }

    /// The WebSocket URL rumqttc connects to.
    pub(super) fn ws_url(&self) -> String {
        let scheme = if self.transport == Transport::Wss {
            "wss"
        } else {
            "ws"
        };
        format!(
            "{scheme}://{}{}",
            self.address(),
            normalized_path(&self.ws_path)
        )
    }

    /// `host:port` as shown to users.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn normalized_path(path: &str) -> String {
    let path = path.trim();
    if path.is_empty() {
        "/".to_owned()
    } else if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// A client id unlikely to collide with another Canopy instance on the same broker.
pub fn random_client_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("canopy-{:08x}", hasher.finish() as u32)
}

/// A broker address given as a URL, such as `mqtt://localhost:1883`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerUrl {
    /// Host name or IP address.
    pub host: String,
    /// Port (1883 when the URL has none).
    pub port: u16,
    /// User name from the URL, if any.
    pub username: Option<String>,
    /// Password from the URL, if any.
    pub password: Option<String>,
    /// From the scheme: `mqtt`/`tcp`, `mqtts`/`ssl`/`tls`, `ws` or `wss`.
    pub transport: Transport,
    /// The path, for WebSockets (`/mqtt` when the URL has none).
    pub ws_path: String,
}

/// Why a broker URL was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub enum UrlError {
    /// The text is not a URL at all.
    #[error(
        "'{url}' is not a broker URL ({reason}); expected something like mqtt://localhost:1883"
    )]
    Malformed {
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// A scheme that is not MQTT's.
    #[error("'{scheme}://' is not an MQTT scheme; use mqtt://, mqtts://, ws:// or wss://")]
    UnsupportedScheme { scheme: String },
    /// No host in the URL.
    #[error("'{url}' names no host; expected something like mqtt://localhost:1883")]
    MissingHost { url: String },
}

impl BrokerUrl {
    /// Parse `SCHEME://[user[:password]@]host[:port][/path]` (schemes `mqtt`, `tcp`, `mqtts`,
    /// `ssl`, `tls`, `ws`, `wss`), also accepting a bare `host[:port]`.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let text = text.trim();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("mqtt://{text}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| UrlError::Malformed {
            url: text.to_owned(),
            reason: e.to_string(),
        })?;
        let transport = match url.scheme() {
            "mqtt" | "tcp" => Transport::Tcp,
            "mqtts" | "ssl" | "tls" | "mqtt+ssl" => Transport::Tls,
            "ws" => Transport::Ws,
            "wss" => Transport::Wss,
            other => {
                return Err(UrlError::UnsupportedScheme {
                    scheme: other.to_owned(),
                });
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| UrlError::MissingHost {
                url: text.to_owned(),
            })?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let username = Some(url.username().to_owned()).filter(|u| !u.is_empty());
        let ws_path = match url.path() {
            "" | "/" => "/mqtt".to_owned(),
            path => path.to_owned(),
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(transport.default_port()),
            username,
            password: url.password().map(str::to_owned),
            transport,
            ws_path,
        })
    }

    /// Connection options for this URL with explorer defaults.
    pub fn connect_options(&self) -> ConnectOptions {
        let mut options = ConnectOptions::new(self.host.clone(), self.port);
        options.transport = self.transport;
        options.ws_path = self.ws_path.clone();
        if let Some(user) = &self.username {
            options.credentials = Some((user.clone(), self.password.clone().unwrap_or_default()));
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_broker_urls() {
        let url = BrokerUrl::parse("mqtt://broker.local:1884").expect("valid");
        assert_eq!((url.host.as_str(), url.port), ("broker.local", 1884));
        let url = BrokerUrl::parse("127.0.0.1").expect("bare host");
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 1883));
        let url = BrokerUrl::parse("mqtt://alice:secret@h:1").expect("credentials");
        assert_eq!(url.username.as_deref(), Some("alice"));
        assert_eq!(url.password.as_deref(), Some("secret"));
        let url = BrokerUrl::parse("mqtt://[::1]:1883").expect("ipv6");
        assert_eq!(url.host, "::1");
        assert_eq!(url.connect_options().address(), "[::1]:1883");
    }

    #[test]
    fn rejects_bad_urls_with_a_reason() {
        assert!(matches!(
            BrokerUrl::parse("mqtt://host:99999"),
            Err(UrlError::Malformed { .. })
        ));
        assert!(matches!(
            BrokerUrl::parse("http://host"),
            Err(UrlError::UnsupportedScheme { .. })
        ));
        assert!(
            BrokerUrl::parse("http://host")
                .expect_err("refused")
                .to_string()
                .contains("mqtts://")
        );
        let message = BrokerUrl::parse("mqtt://host:port")
            .expect_err("bad port")
            .to_string();
        assert!(message.contains("mqtt://host:port"), "{message}");
    }

    #[test]
    fn schemes_pick_the_transport_and_default_port() {
        let cases = [
            (
                "mqtts://b.example",
                Transport::Tls,
                8883,
                "mqtts://b.example:8883",
            ),
            ("ssl://b:1", Transport::Tls, 1, "mqtts://b:1"),
            ("ws://b:8080", Transport::Ws, 8080, "ws://b:8080/mqtt"),
            ("wss://b/ws", Transport::Wss, 443, "wss://b:443/ws"),
            ("tcp://b", Transport::Tcp, 1883, "mqtt://b:1883"),
        ];
        for (text, transport, port, round_trip) in cases {
            let url = BrokerUrl::parse(text).expect(text);
            assert_eq!((url.transport, url.port), (transport, port), "{text}");
            assert_eq!(url.connect_options().url(), round_trip);
        }
    }

    #[test]
    fn client_ids_differ() {
        assert_ne!(random_client_id(), random_client_id());
        assert!(random_client_id().starts_with("canopy-"));
    }
}
