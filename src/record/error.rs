//! What can go wrong with a recording, naming the file.

use std::path::PathBuf;

/// A recording that could not be written, opened or read.
#[derive(Debug, thiserror::Error)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum RecordError {
    #[error("cannot {action} {}: {reason}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("{} is not an MCAP file (it does not start with the MCAP magic bytes)", path.display())]
    NotMcap { path: PathBuf },
    #[error(
        "{} is an MCAP file of profile {profile:?}, not an MQTT recording (profile \"mqtt\")",
        path.display()
    )]
    UnknownProfile { path: PathBuf, profile: String },
    /// The MCAP library refused a record; its words.
    #[error("{}: {reason}", path.display())]
    Mcap { path: PathBuf, reason: String },
    #[error("the recorder stopped: {0}")]
    Stopped(String),
}

impl RecordError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        RecordError::Io {
            action,
            path: path.to_owned(),
            reason: source,
        }
    }

    pub(crate) fn mcap(path: &std::path::Path, error: impl std::fmt::Display) -> Self {
        RecordError::Mcap {
            path: path.to_owned(),
            reason: error.to_string(),
        }
    }
}
