//! The packet trace: what each client sent and what the broker answered, in a bounded ring.
//! Off until someone looks (the Broker panel turns it on), so a headless broker pays nothing.

use super::protocol::{ConnectRequest, Inbound};
use super::session::PublishProperties;
use crate::mqtt::{ProtocolVersion, Qos, ReasonCode};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// Bytes of a payload kept in a trace entry.
const PAYLOAD_PREVIEW_BYTES: usize = 64;

/// Which way a packet went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to broker.
    In,
    /// Broker to client.
    Out,
}

/// A will as announced in CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the fields are CONNECT's will fields")]
pub struct TracedWill {
    pub topic: String,
    pub qos: Qos,
    pub retain: bool,
    /// MQTT 5 will delay.
    pub delay_secs: u32,
}

/// One subscription request as traced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct TracedFilter {
    pub filter: String,
    pub qos: Qos,
    pub no_local: bool,
    pub retain_as_published: bool,
    pub retain_handling: u8,
}

/// The parts of a packet worth showing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    missing_docs,
    reason = "packets and fields are named as in the specification"
)]
pub enum TracedPacket {
    Connect {
        /// The protocol version asked for.
        version: ProtocolVersion,
        /// Clean session / clean start.
        clean_start: bool,
        /// Keep alive asked for.
        keep_alive: u16,
        /// Session expiry asked for.
        session_expiry_secs: u32,
        /// User name, if any (never the password).
        username: Option<String>,
        /// Will, if any.
        will: Option<TracedWill>,
        /// Receive maximum (MQTT 5).
        receive_maximum: Option<u16>,
        /// Maximum packet size (MQTT 5).
        max_packet_size: Option<u32>,
    },
    ConnAck {
        session_present: bool,
        /// The MQTT 5 code; a 3.1.1 client got its return code for it.
        reason_code: ReasonCode,
        /// Client id the broker assigned.
        assigned_client_id: Option<String>,
    },
    Publish {
        topic: String,
        qos: Qos,
        retain: bool,
        dup: bool,
        /// Packet id (0 for QoS 0).
        pkid: u16,
        /// Payload size.
        payload_len: usize,
        /// The first bytes of the payload.
        payload_preview: Bytes,
        /// MQTT 5 properties, as `name=value` strings.
        properties: Vec<String>,
    },
    PubAck(u16),
    PubRec(u16),
    PubRel(u16),
    PubComp(u16),
    Subscribe {
        pkid: u16,
        /// Filters with options.
        filters: Vec<TracedFilter>,
        subscription_id: Option<usize>,
    },
    SubAck {
        pkid: u16,
        /// Granted QoS, or the refusal, per filter (0x80 for any refusal in MQTT 3.1.1).
        codes: Vec<ReasonCode>,
    },
    Unsubscribe {
        pkid: u16,
        filters: Vec<String>,
    },
    UnsubAck(u16),
    PingReq,
    PingResp,
    Disconnect {
        reason_code: ReasonCode,
    },
}

impl TracedPacket {
    /// The packet type's name.
    pub fn kind(&self) -> &'static str {
        match self {
            TracedPacket::Connect { .. } => "CONNECT",
            TracedPacket::ConnAck { .. } => "CONNACK",
            TracedPacket::Publish { .. } => "PUBLISH",
            TracedPacket::PubAck(_) => "PUBACK",
            TracedPacket::PubRec(_) => "PUBREC",
            TracedPacket::PubRel(_) => "PUBREL",
            TracedPacket::PubComp(_) => "PUBCOMP",
            TracedPacket::Subscribe { .. } => "SUBSCRIBE",
            TracedPacket::SubAck { .. } => "SUBACK",
            TracedPacket::Unsubscribe { .. } => "UNSUBSCRIBE",
            TracedPacket::UnsubAck(_) => "UNSUBACK",
            TracedPacket::PingReq => "PINGREQ",
            TracedPacket::PingResp => "PINGRESP",
            TracedPacket::Disconnect { .. } => "DISCONNECT",
        }
    }

    /// Every packet type name, for filters.
    pub const KINDS: [&'static str; 14] = [
        "CONNECT",
        "CONNACK",
        "PUBLISH",
        "PUBACK",
        "PUBREC",
        "PUBREL",
        "PUBCOMP",
        "SUBSCRIBE",
        "SUBACK",
        "UNSUBSCRIBE",
        "UNSUBACK",
        "PINGREQ",
        "PINGRESP",
        "DISCONNECT",
    ];

    /// One line with the packet's fields (its [`Display`](std::fmt::Display)).
    pub fn summary(&self) -> String {
        self.to_string()
    }

    /// A PUBLISH entry with a payload preview.
    pub fn publish(
        topic: &str,
        qos: Qos,
        retain: bool,
        dup: bool,
        pkid: u16,
        payload: &Bytes,
        properties: Vec<String>,
    ) -> Self {
        TracedPacket::Publish {
            topic: topic.to_owned(),
            qos,
            retain,
            dup,
            pkid,
            payload_len: payload.len(),
            payload_preview: payload.slice(..payload.len().min(PAYLOAD_PREVIEW_BYTES)),
            properties,
        }
    }
}

/// One traced packet.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct TraceEntry {
    /// When it was read or written.
    pub at: SystemTime,
    /// Whose connection.
    pub client_id: Arc<str>,
    /// Which way.
    pub direction: Direction,
    pub packet: TracedPacket,
}

/// The trace ring, shared by every connection.
#[derive(Debug)]
pub struct PacketTrace {
    enabled: AtomicBool,
    capacity: usize,
    entries: Mutex<VecDeque<TraceEntry>>,
    recorded: AtomicU64,
}

impl PacketTrace {
    /// A disabled trace keeping the last `capacity` packets once enabled.
    pub fn new(capacity: usize) -> Self {
        Self {
            enabled: AtomicBool::new(false),
            capacity: capacity.max(1),
            entries: Mutex::new(VecDeque::new()),
            recorded: AtomicU64::new(0),
        }
    }

    /// Start or stop recording.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// Whether packets are recorded.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Record a packet if tracing is on; `packet` is only built then.
    pub fn record(
        &self,
        client_id: &Arc<str>,
        direction: Direction,
        packet: impl FnOnce() -> TracedPacket,
    ) {
        if !self.is_enabled() {
            return;
        }
        let entry = TraceEntry {
            at: SystemTime::now(),
            client_id: Arc::clone(client_id),
            direction,
            packet: packet(),
        };
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
        self.recorded.fetch_add(1, Ordering::Relaxed);
    }

    /// Packets recorded since start (including those the ring has let go).
    pub fn recorded(&self) -> u64 {
        self.recorded.load(Ordering::Relaxed)
    }

    /// The kept entries, oldest first, that pass `keep`.
    pub fn entries(&self, mut keep: impl FnMut(&TraceEntry) -> bool) -> Vec<TraceEntry> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.iter().filter(|e| keep(e)).cloned().collect()
    }

    /// Forget everything recorded.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

// What is traced of the packets a connection reads.

/// What is traced of a packet a client sent after CONNECT.
pub(super) fn traced_inbound(packet: &Inbound) -> TracedPacket {
    match packet {
        Inbound::Publish(publish) => TracedPacket::publish(
            &publish.topic,
            publish.qos,
            publish.retain,
            false,
            publish.pkid,
            &publish.payload,
            traced_properties(
                publish.properties.as_ref(),
                publish.expiry_secs,
                publish.topic_alias,
            ),
        ),
        Inbound::PubAck(pkid) => TracedPacket::PubAck(*pkid),
        Inbound::PubRec(pkid) => TracedPacket::PubRec(*pkid),
        Inbound::PubRel(pkid) => TracedPacket::PubRel(*pkid),
        Inbound::PubComp(pkid) => TracedPacket::PubComp(*pkid),
        Inbound::Subscribe {
            pkid,
            filters,
            subscription_id,
        } => TracedPacket::Subscribe {
            pkid: *pkid,
            filters: filters
                .iter()
                .map(|f| TracedFilter {
                    filter: f.filter.clone(),
                    qos: f.qos,
                    no_local: f.no_local,
                    retain_as_published: f.retain_as_published,
                    retain_handling: f.retain_handling,
                })
                .collect(),
            subscription_id: *subscription_id,
        },
        Inbound::Unsubscribe { pkid, filters } => TracedPacket::Unsubscribe {
            pkid: *pkid,
            filters: filters.clone(),
        },
        Inbound::PingReq => TracedPacket::PingReq,
        Inbound::Disconnect { reason, .. } => TracedPacket::Disconnect {
            reason_code: *reason,
        },
    }
}

pub(super) fn traced_connect(request: &ConnectRequest, version: ProtocolVersion) -> TracedPacket {
    TracedPacket::Connect {
        version,
        clean_start: request.clean_start,
        keep_alive: request.keep_alive,
        session_expiry_secs: if request.session_expiry_secs == u32::MAX
            && version == ProtocolVersion::V311
        {
            0
        } else {
            request.session_expiry_secs
        },
        username: request.username.clone(),
        will: request.will.as_ref().map(|will| TracedWill {
            topic: will.topic.clone(),
            qos: will.qos,
            retain: will.retain,
            delay_secs: will.delay_secs,
        }),
        receive_maximum: request.receive_maximum,
        max_packet_size: request.max_packet_size,
    }
}

/// MQTT 5 properties of a PUBLISH as `name=value` strings.
pub(super) fn traced_properties(
    properties: Option<&PublishProperties>,
    expiry_secs: Option<u32>,
    alias: Option<u16>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(alias) = alias {
        out.push(format!("topic-alias={alias}"));
    }
    if let Some(expiry) = expiry_secs {
        out.push(format!("message-expiry={expiry}s"));
    }
    if let Some(p) = properties {
        if let Some(v) = p.payload_format_indicator {
            out.push(format!("payload-format={v}"));
        }
        if let Some(v) = &p.content_type {
            out.push(format!("content-type={v}"));
        }
        if let Some(v) = &p.response_topic {
            out.push(format!("response-topic={v}"));
        }
        if let Some(v) = &p.correlation_data {
            out.push(format!("correlation-data={} B", v.len()));
        }
        for (key, value) in &p.user_properties {
            out.push(format!("{key}={value}"));
        }
    }
    out
}

/// One line with the packet's fields, as the Broker panel's trace shows them.
impl std::fmt::Display for TracedPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TracedPacket::Connect { .. } => self.fmt_connect(f),
            TracedPacket::ConnAck {
                session_present,
                reason_code,
                assigned_client_id,
            } => {
                write!(f, "reason {reason_code}, session present {session_present}")?;
                if let Some(id) = assigned_client_id {
                    write!(f, ", assigned id {id:?}")?;
                }
                Ok(())
            }
            TracedPacket::Publish { .. } => self.fmt_publish(f),
            TracedPacket::PubAck(pkid)
            | TracedPacket::PubRec(pkid)
            | TracedPacket::PubRel(pkid)
            | TracedPacket::PubComp(pkid)
            | TracedPacket::UnsubAck(pkid) => write!(f, "id {pkid}"),
            TracedPacket::Subscribe { .. } => self.fmt_subscribe(f),
            TracedPacket::SubAck { pkid, codes } => {
                write!(f, "id {pkid}, codes")?;
                codes.iter().try_for_each(|c| write!(f, " {c}"))
            }
            TracedPacket::Unsubscribe { pkid, filters } => {
                write!(f, "id {pkid}; {}", filters.join(", "))
            }
            TracedPacket::PingReq | TracedPacket::PingResp => Ok(()),
            TracedPacket::Disconnect { reason_code } => write!(f, "reason {reason_code}"),
        }
    }
}

impl TracedPacket {
    fn fmt_connect(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let TracedPacket::Connect {
            version,
            clean_start,
            keep_alive,
            session_expiry_secs,
            username,
            will,
            receive_maximum,
            max_packet_size,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "{version}, clean start {clean_start}, keep alive {keep_alive} s"
        )?;
        if *session_expiry_secs != 0 {
            write!(f, ", session expiry {session_expiry_secs} s")?;
        }
        if let Some(user) = username {
            write!(f, ", user {user:?}")?;
        }
        if let Some(max) = receive_maximum {
            write!(f, ", receive max {max}")?;
        }
        if let Some(max) = max_packet_size {
            write!(f, ", max packet {max} B")?;
        }
        if let Some(will) = will {
            write!(f, ", will {:?} QoS {}", will.topic, will.qos.level())?;
            if will.retain {
                f.write_str(" retained")?;
            }
            if will.delay_secs > 0 {
                write!(f, " delay {} s", will.delay_secs)?;
            }
        }
        Ok(())
    }

    fn fmt_publish(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let TracedPacket::Publish {
            topic,
            qos,
            retain,
            dup,
            pkid,
            payload_len,
            properties,
            ..
        } = self
        else {
            return Ok(());
        };
        write!(f, "{topic} QoS {}", qos.level())?;
        if *pkid != 0 {
            write!(f, " id {pkid}")?;
        }
        if *retain {
            f.write_str(" retain")?;
        }
        if *dup {
            f.write_str(" dup")?;
        }
        write!(f, ", {payload_len} B")?;
        if !properties.is_empty() {
            write!(f, ", {}", properties.join(", "))?;
        }
        Ok(())
    }

    fn fmt_subscribe(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let TracedPacket::Subscribe {
            pkid,
            filters,
            subscription_id,
        } = self
        else {
            return Ok(());
        };
        write!(f, "id {pkid}")?;
        if let Some(id) = subscription_id {
            write!(f, ", subscription id {id}")?;
        }
        for filter in filters {
            write!(f, "; {} QoS {}", filter.filter, filter.qos.level())?;
            if filter.no_local {
                f.write_str(" no-local")?;
            }
            if filter.retain_as_published {
                f.write_str(" retain-as-published")?;
            }
            if filter.retain_handling != 0 {
                write!(f, " retain-handling {}", filter.retain_handling)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_when_enabled_and_stays_bounded() {
        let trace = PacketTrace::new(3);
        let id: Arc<str> = Arc::from("c");
        trace.record(&id, Direction::In, || TracedPacket::PingReq);
        assert!(trace.entries(|_| true).is_empty());
        trace.set_enabled(true);
        for pkid in 1..=5 {
            trace.record(&id, Direction::Out, || TracedPacket::PubAck(pkid));
        }
        let kept: Vec<_> = trace
            .entries(|_| true)
            .into_iter()
            .map(|e| e.packet)
            .collect();
        assert_eq!(
            kept,
            vec![
                TracedPacket::PubAck(3),
                TracedPacket::PubAck(4),
                TracedPacket::PubAck(5)
            ]
        );
        assert_eq!(trace.recorded(), 5);
    }

    #[test]
    fn summaries_read_well() {
        let publish = TracedPacket::publish(
            "a/b",
            Qos::AtLeastOnce,
            true,
            false,
            7,
            &Bytes::from_static(b"hello"),
            vec!["content-type=text/plain".into()],
        );
        assert_eq!(
            publish.summary(),
            "a/b QoS 1 id 7 retain, 5 B, content-type=text/plain"
        );
        let subscribe = TracedPacket::Subscribe {
            pkid: 2,
            filters: vec![TracedFilter {
                filter: "x/#".into(),
                qos: Qos::ExactlyOnce,
                no_local: true,
                retain_as_published: false,
                retain_handling: 2,
            }],
            subscription_id: Some(9),
        };
        assert_eq!(
            subscribe.summary(),
            "id 2, subscription id 9; x/# QoS 2 no-local retain-handling 2"
        );
        assert_eq!(
            TracedPacket::Disconnect {
                reason_code: ReasonCode::SessionTakenOver
            }
            .summary(),
            "reason 0x8E Session taken over"
        );
    }
}
