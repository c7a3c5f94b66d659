//! Reading a recording back, message by message, without holding the file in memory. A file
//! cut short (a killed recorder, a power loss) reads up to its last complete chunk, and says so.

use super::RecordError;
use super::format::{PROFILE, PROPERTIES_KEY, QOS_KEY, RETAIN_KEY, StoredProperties};
use super::writer::SHARED_TOPIC;
use crate::model::Incoming;
use crate::mqtt::Qos;
use mcap::records::{Record, op};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// Largest record read (a chunk, compressed or not, or any other record): hostile lengths are
/// refused instead of allocated.
pub(super) const RECORD_LIMIT: u64 = 256 * 1024 * 1024;

/// Why reading stopped at a cut: what a killed recorder or a power loss leaves.
pub(super) const CUT_SHORT: &str = "the recording was not closed properly (the recorder was stopped or the \
                         machine lost power): read up to its last complete chunk";

/// What a channel of the file stands for.
#[derive(Clone, Debug)]
pub(super) struct ChannelInfo {
    pub(super) topic: String,
    pub(super) qos: Qos,
    pub(super) retain: bool,
    /// Carries the MQTT 5 properties of the message before it.
    pub(super) properties: bool,
}

/// What the reader found besides the messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Messages read so far.
    pub messages: u64,
    /// The file ended properly (its footer was read).
    pub complete: bool,
    /// Why reading stopped early, when it did: the file was cut short or is damaged there.
    pub damage: Option<String>,
}

/// Reads an MQTT recording's messages in file order.
pub struct Reader {
    path: PathBuf,
    file: BufReader<Box<dyn Read + Send>>,
    /// Records of the chunk being read, not yet handed out.
    chunk_records: VecDeque<(u8, Vec<u8>)>,
    channels: FxHashMap<u16, ChannelInfo>,
    /// A message read but not yet returned: its properties message may follow.
    pending: Option<(u32, Incoming)>,
    summary: Summary,
    done: bool,
}

impl Reader {
    /// Open `path`, refusing files that are not MCAP or not MQTT recordings.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        let file = File::open(path).map_err(|e| RecordError::io("open", path, e))?;
        Self::read_from(path, Box::new(file))
    }

    /// Read a recording from `source`; `path` names it in messages.
    pub fn read_from(path: &Path, mut file: Box<dyn Read + Send>) -> Result<Self, RecordError> {
        let mut magic = [0u8; 8];
        let read =
            read_fully(&mut file, &mut magic).map_err(|e| RecordError::io("read", path, e))?;
        if read < magic.len() || magic != mcap::MAGIC {
            return Err(RecordError::NotMcap {
                path: path.to_owned(),
            });
        }
        let mut reader = Self {
            path: path.to_owned(),
            file: BufReader::with_capacity(256 * 1024, file),
            chunk_records: VecDeque::new(),
            channels: FxHashMap::default(),
            pending: None,
            summary: Summary::default(),
            done: false,
        };
        reader.check_header()?;
        Ok(reader)
    }

    /// The next message, or `None` at the end (or where the file is damaged: see
    /// [`Reader::summary`]).
    pub fn next_message(&mut self) -> Option<Incoming> {
        loop {
            let record = match self.next_record() {
                Some(record) => record,
                None => {
                    let (_, last) = self.pending.take()?;
                    self.summary.messages += 1;
                    return Some(last);
                }
            };
            let Some((sequence, channel, message)) = record else {
                continue;
            };
            if channel.properties {
                if let Some((pending_sequence, pending)) = &mut self.pending
                    && *pending_sequence == sequence
                {
                    apply_properties(pending, &message.payload);
                }
                continue;
            }
            if let Some((_, previous)) = self.pending.replace((sequence, message)) {
                self.summary.messages += 1;
                return Some(previous);
            }
        }
    }

    /// What was read so far, and whether the file ended properly.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Read records until the header; refuse another profile.
    fn check_header(&mut self) -> Result<(), RecordError> {
        loop {
            match self.read_event() {
                Some(Ok((op, data))) => match parse(op, &data) {
                    Ok(Record::Header(header)) if header.profile == PROFILE => return Ok(()),
                    Ok(Record::Header(header)) => {
                        return Err(RecordError::UnknownProfile {
                            path: self.path.clone(),
                            profile: header.profile,
                        });
                    }
                    Ok(_) => {}
                    Err(e) => return Err(RecordError::mcap(&self.path, e)),
                },
                Some(Err(reason)) => {
                    return Err(RecordError::Mcap {
                        path: self.path.clone(),
                        reason,
                    });
                }
                None => {
                    return Err(RecordError::Mcap {
                        path: self.path.clone(),
                        reason: "the file ends before its header".to_owned(),
                    });
                }
            }
        }
    }

    /// The next record that matters: `Some(Some(message))` for a message, `Some(None)` for
    /// anything else, `None` at the end.
    fn next_record(&mut self) -> Option<Option<(u32, ChannelInfo, Incoming)>> {
        let (op, data) = match self.read_event()? {
            Ok(event) => event,
            Err(reason) => {
                self.stop(reason);
                return None;
            }
        };
        match parse(op, &data) {
            Ok(Record::Channel(channel)) => {
                self.channels.insert(channel.id, channel_info(&channel));
                Some(None)
            }
            Ok(Record::Message { header, data }) => {
                let Some(channel) = self.channels.get(&header.channel_id).cloned() else {
                    self.stop(format!(
                        "a message refers to channel {} before it is defined",
                        header.channel_id
                    ));
                    return None;
                };
                let message = Incoming {
                    topic: channel.topic.clone(),
                    payload: bytes::Bytes::copy_from_slice(&data),
                    qos: channel.qos,
                    retain: channel.retain,
                    received_at: UNIX_EPOCH + Duration::from_nanos(header.log_time),
                    properties: None,
                };
                Some(Some((header.sequence, channel, message)))
            }
            Ok(Record::DataEnd(_) | Record::Footer(_)) => {
                self.summary.complete = true;
                Some(None)
            }
            Ok(_) => Some(None),
            Err(e) => {
                self.stop(format!("a damaged record: {e}"));
                None
            }
        }
    }

    fn stop(&mut self, reason: String) {
        self.done = true;
        if !self.summary.complete {
            self.summary.damage = Some(reason);
        }
    }

    /// The next raw record (opcode, body): the file's records in order, a chunk's records in
    /// place of the chunk. The framing is MCAP's (opcode, 8-byte length, body), read here so
    /// every length is checked before anything is allocated for it.
    fn read_event(&mut self) -> Option<Result<(u8, Vec<u8>), String>> {
        if let Some(record) = self.chunk_records.pop_front() {
            return Some(Ok(record));
        }
        if self.done {
            return None;
        }
        let result = self.read_record();
        match result {
            Ok(Some((op::CHUNK, body))) => match open_chunk(&body) {
                Ok(records) => {
                    self.chunk_records = records;
                    self.read_event()
                }
                Err(reason) => {
                    self.done = true;
                    Some(Err(format!("the file is damaged here: {reason}")))
                }
            },
            Ok(Some((op::DATA_END, _))) => {
                // The summary section after it only repeats what was read.
                self.summary.complete = true;
                self.done = true;
                None
            }
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(reason) => {
                self.done = true;
                Some(Err(reason))
            }
        }
    }

    /// One record of the data section; `None` at a clean end of file.
    fn read_record(&mut self) -> Result<Option<(u8, Vec<u8>)>, String> {
        let mut head = [0u8; 9];
        let read = read_fully(&mut self.file, &mut head)
            .map_err(|e| format!("cannot read the file: {e}"))?;
        if read == 0 {
            return if self.summary.complete {
                Ok(None)
            } else {
                Err(CUT_SHORT.to_owned())
            };
        }
        if read < head.len() {
            return Err(CUT_SHORT.to_owned());
        }
        let opcode = head[0];
        let mut length = [0u8; 8];
        length.copy_from_slice(&head[1..]);
        let length = u64::from_le_bytes(length);
        if length > RECORD_LIMIT {
            return Err(format!(
                "the file is damaged here: a record claims {length} bytes (at most {RECORD_LIMIT} are read)"
            ));
        }
        let mut body = Vec::new();
        (&mut self.file)
            .take(length)
            .read_to_end(&mut body)
            .map_err(|e| format!("cannot read the file: {e}"))?;
        if body.len() as u64 != length {
            return Err(CUT_SHORT.to_owned());
        }
        Ok(Some((opcode, body)))
    }
}

/// The records inside a chunk, decompressed within the chunk's declared size and checked
/// against its CRC.
pub(super) fn open_chunk(body: &[u8]) -> Result<VecDeque<(u8, Vec<u8>)>, String> {
    let Record::Chunk { header, data } = parse(op::CHUNK, body).map_err(|e| e.to_string())? else {
        return Err("a chunk that is not one".to_owned());
    };
    if header.uncompressed_size > RECORD_LIMIT {
        return Err(format!(
            "a chunk claims {} bytes uncompressed (at most {RECORD_LIMIT} are read)",
            header.uncompressed_size
        ));
    }
    let size = usize::try_from(header.uncompressed_size).map_err(|e| e.to_string())?;
    let records = match header.compression.as_str() {
        "" => data.to_vec(),
        "zstd" => zstd::bulk::decompress(&data, size).map_err(|e| format!("zstd: {e}"))?,
        "lz4" => {
            let mut out = Vec::new();
            lz4::Decoder::new(&data[..])
                .map_err(|e| format!("lz4: {e}"))?
                .take(header.uncompressed_size)
                .read_to_end(&mut out)
                .map_err(|e| format!("lz4: {e}"))?;
            out
        }
        other => {
            return Err(format!(
                "chunks compressed with {other:?} are not supported"
            ));
        }
    };
    if records.len() != size {
        return Err(format!(
            "a chunk holds {} bytes, not the {size} it declares",
            records.len()
        ));
    }
    if header.uncompressed_crc != 0 && crc32fast::hash(&records) != header.uncompressed_crc {
        return Err("a chunk's checksum does not match its contents".to_owned());
    }
    let mut parsed = VecDeque::new();
    let mut rest = &records[..];
    while !rest.is_empty() {
        if rest.len() < 9 {
            return Err("a chunk ends inside a record".to_owned());
        }
        let opcode = rest[0];
        let mut length = [0u8; 8];
        length.copy_from_slice(&rest[1..9]);
        let length = usize::try_from(u64::from_le_bytes(length)).unwrap_or(usize::MAX);
        let Some(body) = rest.get(9..9usize.saturating_add(length)) else {
            return Err("a chunk ends inside a record".to_owned());
        };
        parsed.push_back((opcode, body.to_vec()));
        rest = &rest[9 + length..];
    }
    Ok(parsed)
}

/// Parse the records a reader needs (header, channels, messages, chunks, the data's end);
/// others come back as `Unknown` without being parsed. Every length-prefixed string and map is
/// checked against the record's size first: the MCAP parser reserves what a length claims
/// before reading it, so a damaged length must not reach it.
pub(super) fn parse(opcode: u8, body: &[u8]) -> Result<Record<'_>, String> {
    let mut fields = Fields { body, at: 0 };
    let fits = match opcode {
        op::HEADER => fields.string() && fields.string(),
        op::FOOTER => fields.skip(20),
        op::CHANNEL => fields.skip(4) && fields.string() && fields.string() && fields.map(),
        op::CHUNK => fields.skip(28) && fields.string(),
        op::MESSAGE | op::DATA_END => true,
        _ => {
            return Ok(Record::Unknown {
                opcode,
                data: std::borrow::Cow::Borrowed(&[]),
            });
        }
    };
    if !fits {
        return Err(format!(
            "a record (type 0x{opcode:02X}) declares lengths larger than itself"
        ));
    }
    mcap::parse_record(opcode, body).map_err(|e| e.to_string())
}

/// Walks a record's fields, checking that each declared length fits what is left.
struct Fields<'a> {
    body: &'a [u8],
    at: usize,
}

impl Fields<'_> {
    fn skip(&mut self, n: usize) -> bool {
        match self.at.checked_add(n) {
            Some(end) if end <= self.body.len() => {
                self.at = end;
                true
            }
            _ => false,
        }
    }

    fn length(&mut self) -> Option<usize> {
        let bytes: [u8; 4] = self
            .body
            .get(self.at..self.at.checked_add(4)?)?
            .try_into()
            .ok()?;
        self.at += 4;
        usize::try_from(u32::from_le_bytes(bytes)).ok()
    }

    /// A u32 length, then that many bytes.
    fn string(&mut self) -> bool {
        self.length().is_some_and(|n| self.skip(n))
    }

    /// A u32 byte length, then key/value strings filling exactly that many bytes.
    fn map(&mut self) -> bool {
        let Some(n) = self.length() else {
            return false;
        };
        let Some(end) = self.at.checked_add(n).filter(|&end| end <= self.body.len()) else {
            return false;
        };
        let mut inner = Fields {
            body: &self.body[..end],
            at: self.at,
        };
        while inner.at < end {
            if !(inner.string() && inner.string()) {
                return false;
            }
        }
        self.at = end;
        true
    }
}

pub(super) fn read_fully(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

pub(super) fn channel_info(channel: &mcap::records::Channel) -> ChannelInfo {
    let meta = |key: &str| channel.metadata.get(key).map(String::as_str);
    ChannelInfo {
        topic: channel.topic.clone(),
        qos: meta(QOS_KEY)
            .and_then(|q| q.parse().ok())
            .and_then(Qos::from_level)
            .unwrap_or_default(),
        retain: meta(RETAIN_KEY) == Some("true"),
        properties: meta(PROPERTIES_KEY) == Some("true"),
    }
}

/// Attach a properties message to the message it follows; a topic in it names a message of a
/// shared channel. Properties that do not parse are left off (the payload is kept).
pub(super) fn apply_properties(message: &mut Incoming, data: &[u8]) {
    let Ok(stored) = serde_json::from_slice::<StoredProperties>(data) else {
        return;
    };
    if let Some(topic) = &stored.topic
        && message.topic == SHARED_TOPIC
    {
        message.topic = topic.clone();
    }
    let properties = stored.to_properties();
    if !properties.is_empty() {
        message.properties = Some(Arc::new(properties));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzzer: a chunk whose compression name claims 3 GB. The MCAP parser would
    /// reserve that before reading; the reader refuses the record instead.
    #[test]
    fn lengths_larger_than_their_record_never_reach_the_parser() {
        let mut chunk = vec![0u8; 28];
        chunk.extend_from_slice(&0xCA00_0000u32.to_le_bytes());
        chunk.extend_from_slice(b"zstd");
        assert!(parse(op::CHUNK, &chunk).is_err());
        let mut channel = vec![1, 0, 0, 0];
        channel.extend_from_slice(&2u32.to_le_bytes());
        channel.extend_from_slice(b"a/");
        channel.extend_from_slice(&0u32.to_le_bytes());
        channel.extend_from_slice(&20u32.to_le_bytes()); // a map of 20 bytes, but none follow
        assert!(parse(op::CHANNEL, &channel).is_err());
        channel.truncate(channel.len() - 4);
        channel.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(parse(op::CHANNEL, &channel), Ok(Record::Channel(c)) if c.topic == "a/"));
    }
}
