//! Turns rumqttc's errors into sentences a user can act on.

use std::io;

/// What went wrong with a connection attempt or a live connection, worded for the status bar.
pub(super) struct Failure {
    /// Plain-words explanation.
    pub(super) message: String,
    /// Retrying cannot help (bad credentials, not authorized, banned…).
    pub(super) permanent: bool,
}

impl Failure {
    fn retry(message: String) -> Self {
        Self {
            message,
            permanent: false,
        }
    }

    fn permanent(message: String) -> Self {
        Self {
            message,
            permanent: true,
        }
    }
}

/// An I/O error on the way to `address` in plain words (for the TLS origin task).
pub(super) fn io_message(error: &io::Error, host: &str, address: &str) -> String {
    io_failure(error, host, address, false).message
}

/// Explain an I/O error on the way to `address` (`host:port`), knowing whether a client
/// certificate was offered (TLS alerts after the handshake arrive as I/O errors).
fn io_failure(error: &io::Error, host: &str, address: &str, client_cert: bool) -> Failure {
    if let Some(message) =
        super::tls::rustls_error(error).and_then(|e| super::tls::describe(e, host, client_cert))
    {
        return Failure::permanent(format!("{address}: {message}"));
    }
    let text = error.to_string();
    let message = match error.kind() {
        io::ErrorKind::ConnectionRefused => {
            format!("connection refused by {address}: is an MQTT broker listening there?")
        }
        io::ErrorKind::TimedOut => format!("{address} did not answer in time"),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => {
            format!("the connection to {address} was closed by the broker")
        }
        io::ErrorKind::UnexpectedEof => format!("the broker at {address} closed the connection"),
        io::ErrorKind::AddrNotAvailable | io::ErrorKind::InvalidInput => {
            format!("cannot connect to {address}: {text}")
        }
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            format!("{address} is unreachable from this machine ({text})")
        }
        _ if text.contains("lookup")
            || text.contains("resolve")
            || text.contains("Name or service") =>
        {
            format!("cannot resolve host '{host}': check the broker's name")
        }
        _ => format!("network error talking to {address}: {text}"),
    };
    Failure::retry(message)
}

/// Explain a CONNACK refusal given as rumqttc's return-code name (e.g. `BadUserNamePassword`).
pub(super) fn refusal_failure(code: &str, address: &str) -> Failure {
    let (reason, permanent) = match code {
        "BadUserNamePassword" => ("bad user name or password", true),
        "NotAuthorized" => ("not authorized", true),
        "BadClientId" | "ClientIdentifierNotValid" => ("client id rejected", true),
        "RefusedProtocolVersion" | "UnsupportedProtocolVersion" => (
            "protocol version not supported: try the other MQTT version",
            true,
        ),
        "Banned" => ("this client is banned", true),
        "BadAuthenticationMethod" => ("authentication method not supported", true),
        "ServiceUnavailable" | "ServerUnavailable" => ("server unavailable", false),
        "ServerBusy" => ("server busy", false),
        "ConnectionRateExceeded" => ("connecting too often", false),
        "QuotaExceeded" => ("quota exceeded", false),
        "UseAnotherServer" | "ServerMoved" => ("the broker asks to use another server", true),
        _ => ("", false),
    };
    let reason = if reason.is_empty() {
        code.to_owned()
    } else {
        reason.to_owned()
    };
    let message = format!("{address} refused the connection: {reason}");
    if permanent {
        Failure::permanent(message)
    } else {
        Failure::retry(message)
    }
}

/// Explain a TLS setup or handshake error.
fn tls_failure(error: &rumqttc::TlsError, host: &str, address: &str, client_cert: bool) -> Failure {
    use rumqttc::TlsError as E;
    let described = match error {
        E::TLS(e) => super::tls::describe(e, host, client_cert),
        E::Io(io) => return io_failure(io, host, address, client_cert),
        E::DNSName(_) => Some(format!(
            "'{host}' is not a name a certificate can be checked against: set the server name"
        )),
        _ => None,
    };
    Failure::permanent(format!(
        "{address}: {}",
        described.unwrap_or_else(|| format!("TLS failed: {error}"))
    ))
}

/// Explain a rumqttc v4 (MQTT 3.1.1) connection error.
pub(super) fn v311_failure(
    error: &rumqttc::ConnectionError,
    options: &super::ConnectOptions,
    address: &str,
) -> Failure {
    use rumqttc::ConnectionError as E;
    let (host, timeout_secs) = (options.host.as_str(), options.connect_timeout_secs);
    let client_cert = options.tls.client_cert.is_some();
    match error {
        E::Io(io) => io_failure(io, host, address, client_cert),
        E::Tls(tls) => tls_failure(tls, host, address, client_cert),
        E::ConnectionRefused(code) => refusal_failure(&format!("{code:?}"), address),
        E::NetworkTimeout => {
            Failure::retry(format!("{address} did not answer within {timeout_secs} s"))
        }
        E::FlushTimeout => Failure::retry(format!("{address} stopped reading from us")),
        E::MqttState(state) => state_failure(&state.to_string(), address, client_cert),
        E::NotConnAck(packet) => {
            Failure::retry(format!("{address} answered CONNECT with {packet:?}"))
        }
        other => Failure::retry(format!("{address}: {other}")),
    }
}

/// Explain a rumqttc v5 connection error.
pub(super) fn v5_failure(
    error: &rumqttc::v5::ConnectionError,
    options: &super::ConnectOptions,
    address: &str,
) -> Failure {
    use rumqttc::v5::ConnectionError as E;
    let (host, timeout_secs) = (options.host.as_str(), options.connect_timeout_secs);
    let client_cert = options.tls.client_cert.is_some();
    match error {
        E::Io(io) => io_failure(io, host, address, client_cert),
        E::Tls(tls) => tls_failure(tls, host, address, client_cert),
        E::ConnectionRefused(code) => refusal_failure(&format!("{code:?}"), address),
        E::Timeout(_) => {
            Failure::retry(format!("{address} did not answer within {timeout_secs} s"))
        }
        E::MqttState(state) => state_failure(&state.to_string(), address, client_cert),
        E::NotConnAck(packet) => {
            Failure::retry(format!("{address} answered CONNECT with {packet:?}"))
        }
        other => Failure::retry(format!("{address}: {other}")),
    }
}

/// A TLS alert that reached us as text inside a protocol error (rumqttc turns I/O errors on the
/// MQTT stream into strings): with TLS 1.3 a refused client certificate arrives this way.
fn alert_in_text(text: &str, client_cert: bool) -> Option<&'static str> {
    let alert = text.split("fatal alert: ").nth(1)?;
    let name = alert.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    Some(match name {
        "CertificateRequired" | "HandshakeFailure" if !client_cert => {
            "the broker requires a client certificate: give one and its key"
        }
        "CertificateRequired"
        | "HandshakeFailure"
        | "BadCertificate"
        | "UnknownCA"
        | "CertificateUnknown"
        | "AccessDenied"
        | "CertificateRevoked"
        | "CertificateExpired" => "the broker refused our client certificate",
        _ => return None,
    })
}

fn state_failure(text: &str, address: &str, client_cert: bool) -> Failure {
    if let Some(message) = alert_in_text(text, client_cert) {
        return Failure::permanent(format!("{address}: {message}"));
    }
    if let Some(io_text) = text.strip_prefix("Io error: ") {
        return Failure::retry(format!("the connection to {address} broke: {io_text}"));
    }
    Failure::retry(format!("protocol error with {address}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connection_says_what_to_check() {
        let error = io::Error::from(io::ErrorKind::ConnectionRefused);
        let failure = io_failure(&error, "127.0.0.1", "127.0.0.1:1", false);
        assert!(
            failure.message.contains("refused by 127.0.0.1:1"),
            "{}",
            failure.message
        );
        assert!(!failure.permanent);
    }

    #[test]
    fn dns_failure_names_the_host() {
        let error =
            io::Error::other("failed to lookup address information: Name or service not known");
        let failure = io_failure(&error, "no.such.host", "no.such.host:1883", false);
        assert_eq!(
            failure.message,
            "cannot resolve host 'no.such.host': check the broker's name"
        );
    }

    #[test]
    fn tls_alerts_in_protocol_errors_are_explained() {
        let text = "Mqtt serialization/deserialization error: IO: received fatal alert: CertificateRequired";
        let without = state_failure(text, "h:1", false);
        assert!(without.permanent);
        assert_eq!(
            without.message,
            "h:1: the broker requires a client certificate: give one and its key"
        );
        let with = state_failure(text, "h:1", true);
        assert_eq!(
            with.message,
            "h:1: the broker refused our client certificate"
        );
        assert!(!state_failure("Io error: reset", "h:1", false).permanent);
    }

    #[test]
    fn bad_credentials_are_permanent() {
        let failure = refusal_failure("BadUserNamePassword", "h:1");
        assert!(failure.permanent);
        assert_eq!(
            failure.message,
            "h:1 refused the connection: bad user name or password"
        );
        assert!(!refusal_failure("ServerBusy", "h:1").permanent);
    }
}
