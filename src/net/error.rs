//! What goes wrong in the network layer, typed until the window or the command line puts it
//! into words (each variant's `Display` is those words).

use crate::mqtt::ReasonCode;
use crate::pem::PemError;
use std::path::PathBuf;

/// A TLS setting that cannot be turned into a client configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum TlsError {
    /// rustls refused its own defaults (should not happen with the ring provider).
    #[error("TLS setup failed: {0}")]
    Setup(String),
    #[error("'{0}' is not a valid certificate name")]
    BadServerName(String),
    #[error("client certificate {path}: {reason}")]
    ClientCertificate { path: PathBuf, reason: PemError },
    #[error("client key {path}: {reason}")]
    ClientKey { path: PathBuf, reason: PemError },
    #[error("client certificate and key do not work together: {0}")]
    CertificateKeyMismatch(String),
    #[error("a client certificate needs its key file too")]
    CertificateWithoutKey,
    #[error("a client key needs its certificate file too")]
    KeyWithoutCertificate,
    #[error("CA file {path}: {reason}")]
    CaFile { path: PathBuf, reason: String },
    #[error("no trusted CA certificates found on this system: give the broker's CA file")]
    NoSystemRoots,
}

/// Why a connection could not be opened, or a request on it did not reach the broker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum NetError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot open a local port for TLS: {0}")]
    LocalPort(String),
    /// rumqttc's request queue refused the request (full, or its event loop is gone).
    #[error("could not subscribe to {filters}: {reason}")]
    Subscribe { filters: String, reason: String },
    #[error("could not unsubscribe from {filter}: {reason}")]
    Unsubscribe { filter: String, reason: String },
    #[error("could not publish to {topic}: {reason}")]
    Publish { topic: String, reason: String },
    #[error(
        "could not publish to {topic}: MQTT 3.1.1 has no message properties: connect with MQTT 5 to send them"
    )]
    PropertiesNeedV5 { topic: String },
    #[error("not connected: nothing was published to {topic}")]
    NotConnected { topic: String },
    #[error("the connection was lost before the broker acknowledged it")]
    LostBeforeAck,
    /// An MQTT 5 PUBACK or PUBREC with a failure code.
    #[error("refused by the broker ({0})")]
    PublishRefused(ReasonCode),
    #[error("subscription to '{filter}' refused by the broker ({code})")]
    SubscriptionRefused { filter: String, code: ReasonCode },
    /// rumqttc's event loop failed (refused, unreachable, closed); its words.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The connection failed or closed; the network layer's description of why.
    #[error("{0}")]
    Disconnected(String),
    #[error("no answer from {0} in time")]
    NoAnswer(String),
    #[error("could not start the network thread: {0}")]
    NetworkThread(String),
    #[error("the broker did not acknowledge the message in time")]
    NotAcknowledged,
    /// The connection's event loop ended while a client still waited on it.
    #[error("the connection has stopped: {0}")]
    Stopped(String),
}
