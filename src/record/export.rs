//! Export to CSV (one row per message, RFC 4180 quoting) and JSON Lines (one object per line).
//! Payloads stay exactly as sent: as text when they are UTF-8 text, otherwise base64, with a
//! column saying which.

use super::format::StoredProperties;
use crate::model::Incoming;
use base64::Engine as _;
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The file formats exports are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl ExportFormat {
    /// The format a file name asks for: `.csv`, or `.jsonl` / `.ndjson`.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "jsonl" | "ndjson" => Some(ExportFormat::JsonLines),
            _ => None,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Exported {
    /// Messages written.
    pub messages: u64,
    /// Of them, payloads written as base64 (not UTF-8 text).
    pub base64_payloads: u64,
}

/// One exported message, as both formats write it.
#[derive(Serialize)]
struct Row<'a> {
    time_utc: String,
    unix_ms: u64,
    topic: &'a str,
    qos: u8,
    retain: bool,
    size: usize,
    payload_encoding: &'static str,
    payload: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<StoredProperties>,
}

impl<'a> Row<'a> {
    fn new(message: &'a Incoming) -> Self {
        let since_epoch = message
            .received_at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let time: chrono::DateTime<chrono::Utc> = message.received_at.into();
        let (payload_encoding, payload) = match as_text(&message.payload) {
            Some(text) => ("text", text.to_owned()),
            None => (
                "base64",
                base64::engine::general_purpose::STANDARD.encode(&message.payload),
            ),
        };
        Row {
            time_utc: time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            unix_ms: u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX),
            topic: &message.topic,
            qos: message.qos.level(),
            retain: message.retain,
            size: message.payload.len(),
            payload_encoding,
            payload,
            properties: message.properties.as_deref().map(StoredProperties::from),
        }
    }
}

/// The payload as text when it is UTF-8 without control characters other than tab and line
/// breaks (which CSV quoting and JSON escaping carry intact).
fn as_text(payload: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(payload).ok()?;
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .then_some(text)
}

/// Write `messages` to `out` in `format`; `progress` hears the count every 10,000 messages.
pub fn export(
    messages: impl Iterator<Item = Incoming>,
    format: ExportFormat,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> std::io::Result<Exported> {
    let mut exported = Exported::default();
    let mut count = |row: &Row<'_>| {
        if row.payload_encoding == "base64" {
            exported.base64_payloads += 1;
        }
        exported.messages += 1;
        if exported.messages.is_multiple_of(10_000) {
            progress(exported.messages);
        }
    };
    match format {
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record([
                "time_utc",
                "unix_ms",
                "topic",
                "qos",
                "retain",
                "size",
                "payload_encoding",
                "payload",
            ])?;
            for message in messages {
                let row = Row::new(&message);
                csv.write_record([
                    row.time_utc.as_str(),
                    &row.unix_ms.to_string(),
                    row.topic,
                    &row.qos.to_string(),
                    if row.retain { "true" } else { "false" },
                    &row.size.to_string(),
                    row.payload_encoding,
                    &row.payload,
                ])?;
                count(&row);
            }
            csv.flush()?;
        }
        ExportFormat::JsonLines => {
            for message in messages {
                let row = Row::new(&message);
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
                count(&row);
            }
            out.flush()?;
        }
    }
    Ok(exported)
}
