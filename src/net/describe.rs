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

/// Explain an I/O error on the way to `address` (`host:port`).
pub(super) fn io_failure(error: &io::Error, host: &str, address: &str) -> Failure {
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

/// Explain a rumqttc v4 (MQTT 3.1.1) connection error.
pub(super) fn v311_failure(
    error: &rumqttc::ConnectionError,
    host: &str,
    address: &str,
    timeout_secs: u64,
) -> Failure {
    use rumqttc::ConnectionError as E;
    match error {
        E::Io(io) => io_failure(io, host, address),
        E::ConnectionRefused(code) => refusal_failure(&format!("{code:?}"), address),
        E::NetworkTimeout => {
            Failure::retry(format!("{address} did not answer within {timeout_secs} s"))
        }
        E::FlushTimeout => Failure::retry(format!("{address} stopped reading from us")),
        E::MqttState(state) => state_failure(&state.to_string(), address),
        E::NotConnAck(packet) => {
            Failure::retry(format!("{address} answered CONNECT with {packet:?}"))
        }
        other => Failure::retry(format!("{address}: {other}")),
    }
}

/// Explain a rumqttc v5 connection error.
pub(super) fn v5_failure(
    error: &rumqttc::v5::ConnectionError,
    host: &str,
    address: &str,
    timeout_secs: u64,
) -> Failure {
    use rumqttc::v5::ConnectionError as E;
    match error {
        E::Io(io) => io_failure(io, host, address),
        E::ConnectionRefused(code) => refusal_failure(&format!("{code:?}"), address),
        E::Timeout(_) => {
            Failure::retry(format!("{address} did not answer within {timeout_secs} s"))
        }
        E::MqttState(state) => state_failure(&state.to_string(), address),
        E::NotConnAck(packet) => {
            Failure::retry(format!("{address} answered CONNECT with {packet:?}"))
        }
        other => Failure::retry(format!("{address}: {other}")),
    }
}

fn state_failure(text: &str, address: &str) -> Failure {
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
        let failure = io_failure(&error, "127.0.0.1", "127.0.0.1:1");
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
        let failure = io_failure(&error, "no.such.host", "no.such.host:1883");
        assert_eq!(
            failure.message,
            "cannot resolve host 'no.such.host': check the broker's name"
        );
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
