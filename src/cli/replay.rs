//! `canopy replay`: the replay engine (in `record`) with its progress on stderr.

use super::CliError;
pub use crate::record::{Pace, ReplayReport};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// What `canopy replay` was asked to do, as typed.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// The recording to read.
    pub input: PathBuf,
    /// Where and how to connect.
    pub connect: crate::net::ConnectOptions,
    /// How fast.
    pub pace: Pace,
    /// Start again at the end, until stopped.
    pub repeat: bool,
    /// Only messages on topics matching one of these (all when empty).
    pub filters: Vec<String>,
    /// Put every topic under this prefix.
    pub prefix: Option<String>,
}

/// Replay until the file ends (or, with `repeat`, until `stop` is set), writing a progress
/// line about once a second.
pub fn run(
    options: &ReplayOptions,
    stop: Arc<AtomicBool>,
    progress: &mut dyn Write,
) -> Result<ReplayReport, CliError> {
    let engine = crate::record::ReplayOptions {
        input: options.input.clone(),
        connect: options.connect.clone(),
        pace: options.pace,
        repeat: options.repeat,
        filters: super::connect::topic_filters(&options.filters)?,
        prefix: options.prefix.clone(),
    };
    let mut report = |report: &ReplayReport| {
        let _ = writeln!(progress, "{}", report.final_line());
    };
    Ok(crate::record::replay(&engine, &stop, &mut report)?)
}
