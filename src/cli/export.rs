//! `canopy export`: a recording's messages (or those matching filters) to CSV or JSON Lines.

use super::CliError;
use crate::record::{ExportFormat, Exported, Reader, Summary};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What `canopy export` was asked to do.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The recording to read.
    pub input: PathBuf,
    /// The file to write; `-` for standard output.
    pub output: PathBuf,
    /// CSV or JSON Lines (from the output's extension when not given).
    pub format: Option<ExportFormat>,
    /// Only messages on topics matching one of these (all when empty).
    pub filters: Vec<String>,
    /// Only messages received at or after this time.
    pub from: Option<SystemTime>,
    /// Only messages received before this time.
    pub to: Option<SystemTime>,
}

/// A time as given on the command line: RFC 3339 (`2026-12-01T10:00:00Z`) or Unix
/// milliseconds.
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    if let Ok(millis) = text.trim().parse::<u64>() {
        return Ok(UNIX_EPOCH + Duration::from_millis(millis));
    }
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(SystemTime::from)
        .map_err(|e| {
            format!("'{text}' is not a time: give RFC 3339 (2026-12-01T10:00:00Z) or Unix ms ({e})")
        })
}

/// Export the recording; returns what was written and what the reader found at the end.
pub fn run(
    options: &ExportOptions,
    progress: &mut dyn Write,
) -> Result<(Exported, Summary), CliError> {
    let filters = super::connect::topic_filters(&options.filters)?;
    let to_stdout = options.output.as_os_str() == "-";
    let format = match options.format {
        Some(format) => format,
        None if to_stdout => ExportFormat::JsonLines,
        None => ExportFormat::from_path(&options.output)
            .ok_or_else(|| CliError::ExportFormat(options.output.display().to_string()))?,
    };
    let mut reader = Reader::open(&options.input)?;
    let messages = std::iter::from_fn(|| reader.next_message())
        .filter(|m| options.from.is_none_or(|from| m.received_at >= from))
        .filter(|m| options.to.is_none_or(|to| m.received_at < to))
        .filter(|m| filters.is_empty() || filters.iter().any(|f| f.matches(&m.topic)));
    let mut report = |count: u64| {
        let _ = writeln!(progress, "{count} messages exported");
    };
    let io_error = |reason| CliError::Io {
        action: "write",
        path: options.output.display().to_string(),
        reason,
    };
    let exported = if to_stdout {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        match crate::record::export(messages, format, &mut out, &mut report) {
            Ok(exported) => exported,
            // The reader went away (`| head`): that is the end, not a failure.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                crate::record::Exported::default()
            }
            Err(e) => return Err(io_error(e)),
        }
    } else {
        let file = std::fs::File::create(&options.output).map_err(|reason| CliError::Io {
            action: "create",
            path: options.output.display().to_string(),
            reason,
        })?;
        let mut out = std::io::BufWriter::new(file);
        crate::record::export(messages, format, &mut out, &mut report).map_err(io_error)?
    };
    Ok((exported, reader.summary().clone()))
}
