//! Why a headless command failed: one enum for `sub`, `pub`, `clear-retained` and the connection
//! they share. `main` prints its `Display`, so each variant's text is what the user reads.

use super::sub::SubReport;
use crate::mqtt::TopicError;
use crate::net::{NetError, UrlError};
use crate::settings::SettingsError;

/// A headless command's failure.
#[derive(Debug, thiserror::Error)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum CliError {
    #[error("give a broker URL or --profile, not both")]
    UrlAndProfile,
    #[error("give a broker URL (mqtt://HOST:PORT) or --profile NAME")]
    NoBroker,
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("this system has no configuration directory for profiles")]
    NoConfigDirectory,
    #[error(transparent)]
    Profile(#[from] SettingsError),
    #[error("profile '{0}' does not keep its password: give it with -P")]
    PasswordNeeded(String),
    #[error("-P needs a user name: add -u USER")]
    PasswordWithoutUser,
    #[error("TLS options need a TLS connection: use mqtts:// or wss:// (not {0}://)")]
    TlsFlagsWithoutTls(&'static str),
    #[error("--cert and --key go together")]
    CertWithoutKey,
    #[error("--user-property {0:?}: expected KEY=VALUE")]
    UserProperty(String),
    #[error("MQTT 3.1.1 has no message properties: use --mqtt-version 5")]
    PropertiesNeedV5,
    #[error("topic {topic:?}: {reason}")]
    Topic { topic: String, reason: TopicError },
    #[error("filter {filter:?}: {reason}")]
    Filter { filter: String, reason: TopicError },
    #[error("could not start the network thread: {0}")]
    NetworkThread(#[from] std::io::Error),
    /// The connection failed or closed; the network layer's description of why.
    #[error("{0}")]
    Disconnected(String),
    #[error(transparent)]
    Net(#[from] NetError),
    #[error(transparent)]
    Replay(#[from] crate::record::ReplayError),
    #[error("the broker did not acknowledge the message in time")]
    PublishNotAcknowledged,
    #[error("the broker did not acknowledge the subscription")]
    SubscriptionNotAcknowledged,
    #[error("the broker stopped acknowledging: {cleared} of {total} cleared")]
    ClearStalled { cleared: usize, total: usize },
    #[error(transparent)]
    Record(#[from] crate::record::RecordError),
    #[error("cannot tell the export format from {0:?}: name it .csv or .jsonl, or give --format")]
    ExportFormat(String),
    #[error("cannot {action} {path}: {reason}")]
    Io {
        action: &'static str,
        path: String,
        reason: std::io::Error,
    },
    /// `--timeout` passed before `--count` messages arrived.
    #[error("timed out: {report}", report = .0.final_line())]
    TimedOut(SubReport),
}
