//! A recording's index: where its messages lie in the file, so any part of it can be read
//! without reading what comes before. A properly closed file is indexed from its summary
//! (the footer points to it; the chunk indexes say where each chunk is, its time range, and,
//! through the sizes of its message indexes, how many messages of each channel it holds): a
//! 1 GB file is indexed by reading a few megabytes. A file that was not closed properly is
//! indexed by reading it once, up to its last complete chunk.

use super::RecordError;
use super::reader::{
    CUT_SHORT, ChannelInfo, RECORD_LIMIT, apply_properties, channel_info, open_chunk, parse,
    read_fully,
};
use crate::model::Incoming;
use mcap::records::{Record, op};
use rustc_hash::{FxHashMap, FxHashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Top-level messages (a file written without chunks) are grouped into segments of about
/// this size.
const LOOSE_SEGMENT_BYTES: u64 = 1024 * 1024;

/// A message index record's size besides its entries: opcode, length, channel, array length.
const MESSAGE_INDEX_OVERHEAD: u64 = 1 + 8 + 2 + 4;

/// One part of the file that is read as a whole: a chunk, or a run of top-level records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Where its first record starts.
    pub offset: u64,
    /// Its length in the file.
    pub length: u64,
    /// Its messages' earliest and latest receive times (ns since the Unix epoch).
    pub start_ns: u64,
    #[expect(missing_docs, reason = "see start_ns")]
    pub end_ns: u64,
    /// The number of its first message in the recording (messages counted from 0).
    pub first: u64,
    /// How many messages it holds (MQTT messages: properties records are not counted).
    pub messages: u64,
    /// The channels of its messages.
    channels: Vec<u16>,
}

/// Where every message of a recording lies, and the file to read them from.
pub struct RecordingIndex {
    path: PathBuf,
    file: File,
    segments: Vec<Segment>,
    channels: FxHashMap<u16, ChannelInfo>,
    messages: u64,
    /// The file was indexed from its summary (not by reading it through).
    from_summary: bool,
    /// Why the file could not be read to its end, when it could not.
    damage: Option<String>,
}

impl RecordingIndex {
    /// Index the recording at `path`: from its summary when it has one, otherwise by reading it.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        let mut file = File::open(path).map_err(|e| RecordError::io("open", path, e))?;
        check_start(path, &mut file)?;
        let mut index = Self {
            path: path.to_owned(),
            file,
            segments: Vec::new(),
            channels: FxHashMap::default(),
            messages: 0,
            from_summary: false,
            damage: None,
        };
        match index.summary_start()? {
            Some((start, end)) => {
                index.from_summary = true;
                index.read_summary(start, end)?;
            }
            None => index.scan()?,
        }
        index.number_segments();
        Ok(index)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Messages in the recording.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// The parts of the file, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the index came from the file's summary (fast) rather than from reading it.
    pub fn from_summary(&self) -> bool {
        self.from_summary
    }

    /// Why the file could not be read to its end, when it could not.
    pub fn damage(&self) -> Option<&str> {
        self.damage.as_deref()
    }

    /// The first and last receive times.
    pub fn time_range(&self) -> Option<(SystemTime, SystemTime)> {
        let start = self.segments.iter().map(|s| s.start_ns).min()?;
        let end = self.segments.iter().map(|s| s.end_ns).max()?;
        Some((time_of(start), time_of(end)))
    }

    /// The segment holding message `number`.
    pub fn segment_of(&self, number: u64) -> Option<usize> {
        let at = self
            .segments
            .partition_point(|s| s.first + s.messages <= number);
        (at < self.segments.len()).then_some(at)
    }

    /// The number of the first message received at or after `time` (the number of messages
    /// when none was).
    pub fn message_at(&mut self, time: SystemTime) -> Result<u64, RecordError> {
        let ns = super::writer::unix_nanos(time);
        let Some(at) = self
            .segments
            .iter()
            .position(|s| s.messages > 0 && s.end_ns >= ns)
        else {
            return Ok(self.messages);
        };
        let first = self.segments[at].first;
        let messages = self.read_segment(at)?;
        let within = messages
            .iter()
            .position(|m| m.received_at >= time)
            .unwrap_or(messages.len());
        Ok(first + within as u64)
    }

    /// The messages of segment `at`, in file order, each whole (with its MQTT 5 properties).
    pub fn read_segment(&mut self, at: usize) -> Result<Vec<Incoming>, RecordError> {
        Ok(self
            .read_segment_channels(at)?
            .into_iter()
            .map(|(_, message)| message)
            .collect())
    }

    /// The messages of segment `at` with their channels.
    pub(super) fn read_segment_channels(
        &mut self,
        at: usize,
    ) -> Result<Vec<(u16, Incoming)>, RecordError> {
        let Some(segment) = self.segments.get(at) else {
            return Ok(Vec::new());
        };
        let capacity = usize::try_from(segment.messages).unwrap_or(0);
        self.read_messages(segment.offset, segment.length, capacity)
    }

    fn read_messages(
        &mut self,
        offset: u64,
        length: u64,
        capacity: usize,
    ) -> Result<Vec<(u16, Incoming)>, RecordError> {
        let bytes = self.read_range(offset, length)?;
        let mut messages: Vec<(u16, Incoming)> = Vec::with_capacity(capacity);
        let mut pending: Option<u32> = None;
        let channels = &mut self.channels;
        let result = for_each_record(&bytes, |opcode, body| {
            match parse(opcode, body)? {
                Record::Channel(channel) => {
                    channels
                        .entry(channel.id)
                        .or_insert_with(|| channel_info(&channel));
                }
                Record::Message { header, data } => {
                    let Some(channel) = channels.get(&header.channel_id) else {
                        return Err(format!(
                            "a message refers to channel {} before it is defined",
                            header.channel_id
                        ));
                    };
                    if channel.properties {
                        if let Some((_, last)) = messages.last_mut()
                            && pending == Some(header.sequence)
                        {
                            apply_properties(last, &data);
                        }
                    } else {
                        let message = message_of(channel, header.log_time, &data);
                        messages.push((header.channel_id, message));
                        pending = Some(header.sequence);
                    }
                }
                _ => {}
            }
            Ok(())
        });
        result.map_err(|reason| RecordError::Mcap {
            path: self.path.clone(),
            reason,
        })?;
        Ok(messages)
    }

    /// The channels of segment `at` that carry messages (not properties).
    pub(super) fn message_channels(&self, at: usize) -> impl Iterator<Item = u16> + '_ {
        self.segments
            .get(at)
            .into_iter()
            .flat_map(|s| s.channels.iter().copied())
            .filter(|id| self.channels.get(id).is_some_and(|c| !c.properties))
    }

    /// Channels that carry messages, in the whole file.
    pub(super) fn message_channel_count(&self) -> usize {
        self.channels.values().filter(|c| !c.properties).count()
    }

    fn read_range(&mut self, offset: u64, length: u64) -> Result<Vec<u8>, RecordError> {
        let size = self
            .file
            .metadata()
            .map_err(|e| RecordError::io("read", &self.path, e))?
            .len();
        if offset.checked_add(length).is_none_or(|end| end > size) {
            return Err(RecordError::Mcap {
                path: self.path.clone(),
                reason: "the file is shorter than its index says".to_owned(),
            });
        }
        if length > RECORD_LIMIT + 64 {
            return Err(RecordError::Mcap {
                path: self.path.clone(),
                reason: format!("a part of {length} bytes is too large to read"),
            });
        }
        let io = |e| RecordError::io("read", &self.path, e);
        self.file.seek(SeekFrom::Start(offset)).map_err(io)?;
        let mut bytes = vec![0; usize::try_from(length).unwrap_or(0)];
        let read = read_fully(&mut self.file, &mut bytes)
            .map_err(|e| RecordError::io("read", &self.path, e))?;
        if read < bytes.len() {
            return Err(RecordError::Mcap {
                path: self.path.clone(),
                reason: "the file is shorter than its index says".to_owned(),
            });
        }
        Ok(bytes)
    }

    /// Where the summary section is, from the footer; `None` when the file has no summary or
    /// no footer (it was cut short).
    fn summary_start(&mut self) -> Result<Option<(u64, u64)>, RecordError> {
        let size = self
            .file
            .metadata()
            .map_err(|e| RecordError::io("read", &self.path, e))?
            .len();
        // The footer record (opcode, length 20, two offsets and a CRC), then the magic.
        let tail_length = 9 + 20 + 8;
        if size < 8 + tail_length {
            return Ok(None);
        }
        let footer_at = size - tail_length;
        let tail = self.read_range(footer_at, tail_length)?;
        if tail[29..] != mcap::MAGIC[..]
            || tail[0] != op::FOOTER
            || tail[1..9] != 20u64.to_le_bytes()
        {
            return Ok(None);
        }
        let summary_start = u64_at(&tail, 9);
        if summary_start == 0 || summary_start >= footer_at {
            return Ok(None);
        }
        Ok(Some((summary_start, footer_at)))
    }

    fn read_summary(&mut self, start: u64, end: u64) -> Result<(), RecordError> {
        let bytes = self.read_range(start, end - start)?;
        let mut chunks = Vec::new();
        let result = for_each_record(&bytes, |opcode, body| {
            match opcode {
                op::CHANNEL => {
                    if let Record::Channel(channel) = parse(opcode, body)? {
                        self.channels.insert(channel.id, channel_info(&channel));
                    }
                }
                op::CHUNK_INDEX => chunks.push(ChunkIndex::parse(body)?),
                _ => {}
            }
            Ok(())
        });
        result.map_err(|reason| RecordError::Mcap {
            path: self.path.clone(),
            reason: format!("its summary is damaged: {reason}"),
        })?;
        chunks.sort_by_key(|c| c.offset);
        for chunk in chunks {
            let segment = match self.counted_from_indexes(&chunk) {
                Some(segment) => segment,
                // No message indexes (or odd ones): count by reading the chunk.
                None => self.counted_by_reading(chunk.offset, chunk.length)?,
            };
            self.segments.push(segment);
        }
        Ok(())
    }

    /// A chunk's segment, its messages counted from the sizes of its message index records.
    fn counted_from_indexes(&self, chunk: &ChunkIndex) -> Option<Segment> {
        if chunk.message_indexes.is_empty() {
            return None;
        }
        let mut starts: Vec<(u64, u16)> = chunk
            .message_indexes
            .iter()
            .map(|&(id, at)| (at, id))
            .collect();
        starts.sort_unstable();
        let end = chunk
            .offset
            .checked_add(chunk.length)?
            .checked_add(chunk.message_index_length)?;
        let mut messages = 0;
        let mut channels = Vec::with_capacity(starts.len());
        for (i, &(at, id)) in starts.iter().enumerate() {
            let next = starts.get(i + 1).map_or(end, |&(next, _)| next);
            let length = next.checked_sub(at)?.checked_sub(MESSAGE_INDEX_OVERHEAD)?;
            if length % 16 != 0 {
                return None;
            }
            let info = self.channels.get(&id)?;
            if !info.properties && length > 0 {
                messages += length / 16;
                channels.push(id);
            }
        }
        Some(Segment {
            offset: chunk.offset,
            length: chunk.length,
            start_ns: chunk.start_ns,
            end_ns: chunk.end_ns,
            first: 0,
            messages,
            channels,
        })
    }

    /// A segment counted by reading it.
    fn counted_by_reading(&mut self, offset: u64, length: u64) -> Result<Segment, RecordError> {
        let mut segment = Segment {
            offset,
            length,
            start_ns: u64::MAX,
            end_ns: 0,
            first: 0,
            messages: 0,
            channels: Vec::new(),
        };
        let mut channels = FxHashSet::default();
        for (channel, message) in &self.read_messages(offset, length, 0)? {
            let ns = super::writer::unix_nanos(message.received_at);
            segment.start_ns = segment.start_ns.min(ns);
            segment.end_ns = segment.end_ns.max(ns);
            segment.messages += 1;
            channels.insert(*channel);
        }
        segment.channels = channels.into_iter().collect();
        Ok(segment)
    }

    /// Index a file without a summary by reading its records once. Stops at the first damage
    /// (what a cut-short file ends with) and says so.
    fn scan(&mut self) -> Result<(), RecordError> {
        let mut at = 8u64;
        let size = self
            .file
            .metadata()
            .map_err(|e| RecordError::io("read", &self.path, e))?
            .len();
        let mut loose: Option<(u64, u64)> = None;
        let mut complete = false;
        while at < size {
            let Some((opcode, length)) = self.record_head(at, size)? else {
                break;
            };
            let record_length = 9 + length;
            match opcode {
                op::CHUNK => {
                    self.close_loose(&mut loose)?;
                    match self.counted_by_reading(at, record_length) {
                        Ok(segment) => self.segments.push(segment),
                        Err(error) => {
                            self.damage = Some(format!("the file is damaged here: {error}"));
                            return Ok(());
                        }
                    }
                }
                op::DATA_END | op::FOOTER => {
                    complete = true;
                    break;
                }
                op::CHANNEL | op::MESSAGE => {
                    let (start, _) = *loose.get_or_insert((at, 0));
                    loose = Some((start, at + record_length - start));
                    if at + record_length - start >= LOOSE_SEGMENT_BYTES {
                        self.close_loose(&mut loose)?;
                    }
                }
                _ => {}
            }
            at += record_length;
        }
        self.close_loose(&mut loose)?;
        if !complete && self.damage.is_none() {
            self.damage = Some(CUT_SHORT.to_owned());
        }
        Ok(())
    }

    fn close_loose(&mut self, loose: &mut Option<(u64, u64)>) -> Result<(), RecordError> {
        if let Some((offset, length)) = loose.take() {
            let segment = self.counted_by_reading(offset, length)?;
            if segment.messages > 0 {
                self.segments.push(segment);
            }
        }
        Ok(())
    }

    /// The opcode and body length of the record at `at`; `None` where the file is cut short.
    fn record_head(&mut self, at: u64, size: u64) -> Result<Option<(u8, u64)>, RecordError> {
        if at + 9 > size {
            return Ok(None);
        }
        let head = self.read_range(at, 9)?;
        let length = u64_at(&head, 1);
        if length > RECORD_LIMIT || at + 9 + length > size {
            return Ok(None);
        }
        Ok(Some((head[0], length)))
    }

    fn number_segments(&mut self) {
        let mut first = 0;
        for segment in &mut self.segments {
            segment.first = first;
            first += segment.messages;
        }
        self.messages = first;
    }
}

/// The magic bytes and an MQTT header.
fn check_start(path: &Path, file: &mut File) -> Result<(), RecordError> {
    let mut start = [0u8; 8 + 9];
    let read = read_fully(file, &mut start).map_err(|e| RecordError::io("read", path, e))?;
    if read < 8 || start[..8] != mcap::MAGIC[..] {
        return Err(RecordError::NotMcap {
            path: path.to_owned(),
        });
    }
    if read < start.len() || start[8] != op::HEADER {
        return Err(RecordError::mcap(path, "the file ends before its header"));
    }
    let length = u64_at(&start, 9);
    if length > RECORD_LIMIT {
        return Err(RecordError::mcap(path, "its header is damaged"));
    }
    let mut body = Vec::new();
    (&mut *file)
        .take(length)
        .read_to_end(&mut body)
        .map_err(|e| RecordError::io("read", path, e))?;
    match parse(op::HEADER, &body) {
        Ok(Record::Header(header)) if header.profile == super::PROFILE => Ok(()),
        Ok(Record::Header(header)) => Err(RecordError::UnknownProfile {
            path: path.to_owned(),
            profile: header.profile,
        }),
        Ok(_) => Err(RecordError::mcap(path, "its header is damaged")),
        Err(reason) => Err(RecordError::mcap(path, reason)),
    }
}

/// Call `each` with every record in `bytes` (the records of a chunk in place of the chunk).
fn for_each_record(
    bytes: &[u8],
    mut each: impl FnMut(u8, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 9 {
            return Err("a record is cut short".to_owned());
        }
        let length = usize::try_from(u64_at(rest, 1)).unwrap_or(usize::MAX);
        let Some(body) = rest.get(9..9usize.saturating_add(length)) else {
            return Err("a record is cut short".to_owned());
        };
        if rest[0] == op::CHUNK {
            for (opcode, inner) in open_chunk(body)? {
                each(opcode, &inner)?;
            }
        } else {
            each(rest[0], body)?;
        }
        rest = &rest[9 + length..];
    }
    Ok(())
}

fn message_of(channel: &ChannelInfo, log_time: u64, data: &[u8]) -> Incoming {
    Incoming {
        topic: channel.topic.clone(),
        payload: bytes::Bytes::copy_from_slice(data),
        qos: channel.qos,
        retain: channel.retain,
        received_at: time_of(log_time),
        properties: None,
    }
}

fn time_of(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(slice) = bytes.get(at..at + 8) {
        word.copy_from_slice(slice);
    }
    u64::from_le_bytes(word)
}

/// What a chunk index record says, parsed with every length checked.
struct ChunkIndex {
    start_ns: u64,
    end_ns: u64,
    offset: u64,
    length: u64,
    /// (channel, offset of its message index record).
    message_indexes: Vec<(u16, u64)>,
    message_index_length: u64,
}

impl ChunkIndex {
    fn parse(body: &[u8]) -> Result<Self, String> {
        let damaged = || "a chunk index is damaged".to_owned();
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let slice = body.get(at..at.checked_add(n).ok_or_else(damaged)?);
            at += n;
            slice.ok_or_else(damaged)
        };
        let word = |bytes: &[u8]| u64_at(bytes, 0);
        let start_ns = word(take(8)?);
        let end_ns = word(take(8)?);
        let offset = word(take(8)?);
        let length = word(take(8)?);
        let mut map_length = [0u8; 4];
        map_length.copy_from_slice(take(4)?);
        let map = take(usize::try_from(u32::from_le_bytes(map_length)).map_err(|_| damaged())?)?;
        if map.len() % 10 != 0 {
            return Err(damaged());
        }
        let message_indexes = map
            .chunks_exact(10)
            .map(|entry| (u16::from_le_bytes([entry[0], entry[1]]), u64_at(entry, 2)))
            .collect();
        let message_index_length = word(take(8)?);
        Ok(Self {
            start_ns,
            end_ns,
            offset,
            length,
            message_indexes,
            message_index_length,
        })
    }
}
