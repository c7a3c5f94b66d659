//! Writing a recording: MQTT messages into an MCAP file, one channel per topic and delivery.

use super::RecordError;
use super::format::{PROFILE, PROPERTIES_KEY, QOS_KEY, RETAIN_KEY, StoredProperties};
use crate::model::Incoming;
use crate::payload::{self, PayloadKind};
use mcap::records::MessageHeader;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Target uncompressed size of a chunk. A chunk is the unit that survives a crash: a recording
/// cut short reads up to its last complete chunk.
const CHUNK_BYTES: u64 = 1024 * 1024;

/// A message record's size besides its payload (framing and header), and a little for the
/// properties that may follow it.
const RECORD_OVERHEAD: u64 = 40;

/// A channel per (QoS, retain, JSON or not) of one topic: 3 × 2 × 2.
const VARIANTS: usize = 12;

/// Channels a recording opens before further topics share one channel per delivery kind. MCAP
/// numbers channels with 16 bits; this leaves room below that.
pub(super) const MAX_CHANNELS: usize = 60_000;

/// The topic of the shared channels, whose messages name their topic in the properties message.
pub(super) const SHARED_TOPIC: &str = "#";

/// An open recording. Call [`McapWriter::finish`] to write its index and footer; a file that is
/// never finished still reads up to its last flushed chunk.
pub struct McapWriter {
    path: PathBuf,
    writer: mcap::Writer<BufWriter<File>>,
    channels: FxHashMap<String, [u16; VARIANTS]>,
    properties_channels: FxHashMap<String, u16>,
    /// Channels opened so far (payload and properties).
    channel_count: usize,
    /// [`MAX_CHANNELS`], lowered by tests.
    channel_limit: usize,
    sequence: u32,
    /// Bytes written into the open chunk (before compression), about.
    chunk_bytes: u64,
}

/// Nanoseconds since the Unix epoch (0 before it).
pub(super) fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl McapWriter {
    /// Create (or replace) the file at `path` and write the MCAP header.
    pub fn create(path: &Path) -> Result<Self, RecordError> {
        let file = File::create(path).map_err(|e| RecordError::io("create", path, e))?;
        let options = mcap::WriteOptions::new()
            .profile(PROFILE)
            .library(format!("canopy {}", env!("CARGO_PKG_VERSION")))
            .compression(Some(mcap::Compression::Zstd))
            .chunk_size(None);
        let writer = options
            .create(BufWriter::with_capacity(256 * 1024, file))
            .map_err(|e| RecordError::mcap(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            channels: FxHashMap::default(),
            properties_channels: FxHashMap::default(),
            channel_count: 0,
            channel_limit: MAX_CHANNELS,
            sequence: 0,
            chunk_bytes: 0,
        })
    }

    #[cfg(test)]
    pub(super) fn with_channel_limit(mut self, limit: usize) -> Self {
        self.channel_limit = limit;
        self
    }

    /// Append one message (and its MQTT 5 properties, when it has any).
    pub fn write(&mut self, message: &Incoming) -> Result<(), RecordError> {
        let json = payload::detect(&message.payload) == PayloadKind::Json;
        let (channel, shared) =
            self.channel(&message.topic, message.qos.level(), message.retain, json)?;
        let time = unix_nanos(message.received_at);
        let header = MessageHeader {
            channel_id: channel,
            sequence: self.sequence,
            log_time: time,
            publish_time: time,
        };
        self.writer
            .write_to_known_channel(&header, &message.payload)
            .map_err(|e| RecordError::mcap(&self.path, e))?;
        let properties = message.properties.as_deref().filter(|p| !p.is_empty());
        if properties.is_some() || shared {
            let mut stored = properties.map(StoredProperties::from).unwrap_or_default();
            if shared {
                stored.topic = Some(message.topic.clone());
            }
            let data = serde_json::to_vec(&stored).map_err(|e| RecordError::mcap(&self.path, e))?;
            let side_topic = if shared {
                SHARED_TOPIC
            } else {
                message.topic.as_str()
            };
            let header = MessageHeader {
                channel_id: self.properties_channel(side_topic)?,
                ..header
            };
            self.writer
                .write_to_known_channel(&header, &data)
                .map_err(|e| RecordError::mcap(&self.path, e))?;
        }
        self.sequence = self.sequence.wrapping_add(1);
        // Chunks end here, never between a message and its properties: a reader that opens
        // one chunk finds each message whole.
        self.chunk_bytes += message.payload.len() as u64 + RECORD_OVERHEAD;
        if self.chunk_bytes >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// Close the current chunk and hand it to the file, so a crash from here on loses nothing
    /// written so far.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.chunk_bytes = 0;
        self.writer
            .flush()
            .map_err(|e| RecordError::mcap(&self.path, e))
    }

    /// Write the index, statistics and footer, and close the file.
    pub fn finish(mut self) -> Result<(), RecordError> {
        self.writer
            .finish()
            .map_err(|e| RecordError::mcap(&self.path, e))?;
        let file = self.writer.into_inner();
        file.into_inner()
            .map_err(|e| RecordError::io("write", &self.path, e.into_error()))?
            .sync_all()
            .map_err(|e| RecordError::io("write", &self.path, e))
    }

    /// The channel for this topic and delivery, and whether it is a shared one (the channel
    /// limit was reached, so the topic travels in the properties message).
    fn channel(
        &mut self,
        topic: &str,
        qos: u8,
        retain: bool,
        json: bool,
    ) -> Result<(u16, bool), RecordError> {
        let variant = usize::from(qos.min(2)) * 4 + usize::from(retain) * 2 + usize::from(json);
        if let Some(&id) = self.channels.get(topic).and_then(|ids| ids.get(variant))
            && id != u16::MAX
        {
            return Ok((id, false));
        }
        let full = self.channel_count >= self.channel_limit;
        let channel_topic = if full { SHARED_TOPIC } else { topic };
        if full
            && let Some(&id) = self
                .channels
                .get(SHARED_TOPIC)
                .and_then(|ids| ids.get(variant))
            && id != u16::MAX
        {
            return Ok((id, true));
        }
        let metadata = BTreeMap::from([
            (QOS_KEY.to_owned(), qos.to_string()),
            (RETAIN_KEY.to_owned(), retain.to_string()),
        ]);
        let encoding = if json { "json" } else { "" };
        let id = self
            .writer
            .add_channel(0, channel_topic, encoding, &metadata)
            .map_err(|e| RecordError::mcap(&self.path, e))?;
        self.channel_count += 1;
        self.channels
            .entry(channel_topic.to_owned())
            .or_insert([u16::MAX; VARIANTS])[variant] = id;
        Ok((id, full))
    }

    fn properties_channel(&mut self, topic: &str) -> Result<u16, RecordError> {
        if let Some(&id) = self.properties_channels.get(topic) {
            return Ok(id);
        }
        let metadata = BTreeMap::from([(PROPERTIES_KEY.to_owned(), "true".to_owned())]);
        // Past the limit, the shared properties channel carries every topic's properties.
        let topic = if self.channel_count >= self.channel_limit {
            SHARED_TOPIC
        } else {
            topic
        };
        if let Some(&id) = self.properties_channels.get(topic) {
            return Ok(id);
        }
        let id = self
            .writer
            .add_channel(0, topic, "json", &metadata)
            .map_err(|e| RecordError::mcap(&self.path, e))?;
        self.channel_count += 1;
        self.properties_channels.insert(topic.to_owned(), id);
        Ok(id)
    }
}
