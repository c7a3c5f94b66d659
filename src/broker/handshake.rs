//! The CONNECT handshake: read one whole CONNECT within the packet size limit, check it,
//! authenticate, attach the session and queue the CONNACK.

use super::decode::{self, ConnectFailure};
use super::outbound::{Client, OutgoingAliases, encode_outgoing};
use super::protocol::{self, ConnAckInfo, ConnectRequest, ProtocolError};
use super::session::{BrokerMessage, ConnectionLink, Outgoing, Will};
use super::state::SessionRequest;
use super::trace::{Direction, TracedPacket, traced_connect};
use super::{BrokerConfig, LiveClient, Shared};
use crate::mqtt::{ProtocolVersion, ReasonCode, TopicName};
use bytes::BytesMut;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::Notify;

/// What each connection may buffer before CONNECT without drawing on the shared budget: a
/// usual CONNECT is a few dozen bytes, so devices get in even while strangers hold the budget.
const FREE_BYTES_PER_STRANGER: usize = 1024;

/// Bytes buffered by connections that have not sent a whole CONNECT yet, against the budget
/// they share: a thousand half-open sockets cannot hold more than the budget between them
/// (and their first KiB each).
pub(super) struct StrangerBytes<'a> {
    in_use: &'a AtomicUsize,
    budget: usize,
    held: usize,
}

impl<'a> StrangerBytes<'a> {
    pub(super) fn new(in_use: &'a AtomicUsize, budget: usize) -> Self {
        Self {
            in_use,
            budget,
            held: 0,
        }
    }

    /// Account for a buffer grown to `buffered` bytes; false when the budget is spent.
    fn cover(&mut self, buffered: usize) -> bool {
        let needed = buffered.saturating_sub(FREE_BYTES_PER_STRANGER);
        if needed <= self.held {
            return true;
        }
        let n = needed - self.held;
        let taken = self
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + n <= self.budget).then_some(used + n)
            })
            .is_ok();
        if taken {
            self.held += n;
        }
        taken
    }
}

impl Drop for StrangerBytes<'_> {
    fn drop(&mut self) {
        self.in_use.fetch_sub(self.held, Ordering::AcqRel);
    }
}

/// Read until one whole CONNECT is buffered. Its declared size is checked against the CONNECT
/// size limit before its body is waited for, and every byte read counts against the budget
/// for connections not yet accepted.
pub(super) async fn read_connect<R: AsyncRead + Unpin>(
    reader: &mut R,
    inbuf: &mut BytesMut,
    shared: &Shared,
) -> Result<(ProtocolVersion, Box<ConnectRequest>), ConnectFailure> {
    let config = &shared.config;
    let limit = config.max_connect_size.min(config.max_packet_size);
    let mut budget = StrangerBytes::new(&shared.stranger_bytes, config.stranger_budget_bytes);
    loop {
        if let Some((first_byte, body)) =
            decode::next_packet(inbuf, limit).map_err(|e| (None, e))?
        {
            return decode::decode_connect(first_byte, body);
        }
        if inbuf.first().is_some_and(|b| b >> 4 != 1) {
            return Err((
                None,
                ProtocolError::protocol("the first packet was not CONNECT"),
            ));
        }
        // Read into the buffer itself: a chunk array here would live in every connection's future.
        inbuf.reserve(1024);
        let n = match reader.read_buf(inbuf).await {
            Ok(0) => return Err((None, ProtocolError::protocol("closed before CONNECT"))),
            Ok(n) => n,
            Err(e) => return Err((None, ProtocolError::protocol(format!("read failed: {e}")))),
        };
        shared.meters.note_bytes_received(n as u64);
        if !budget.cover(inbuf.len()) {
            shared.meters.note_stranger_refused();
            return Err((
                None,
                ProtocolError {
                    reason: ReasonCode::ServerBusy,
                    message: format!(
                        "connections that have not finished CONNECT already hold the {}-byte budget",
                        config.stranger_budget_bytes
                    ),
                },
            ));
        }
    }
}

/// Validate a CONNECT, attach the session and queue the CONNACK. `None` when refused (the
/// refusing CONNACK is in `out`).
pub(super) fn accept(
    shared: &Shared,
    version: ProtocolVersion,
    request: &ConnectRequest,
    peer: SocketAddr,
    out: &mut BytesMut,
) -> Option<Client> {
    let config = &shared.config;
    let mut info = ConnAckInfo {
        receive_maximum: config.receive_maximum,
        topic_alias_maximum: config.topic_alias_maximum,
        max_packet_size: config.max_packet_size,
        ..ConnAckInfo::default()
    };
    let traced_id: Arc<str> = Arc::from(if request.client_id.is_empty() {
        "(no id)"
    } else {
        request.client_id.as_str()
    });
    shared.trace.record(&traced_id, Direction::In, || {
        traced_connect(request, version)
    });
    if let Err((code, why)) = admissible(config, version, request) {
        tracing::info!(%peer, client_id = %request.client_id, "refused: {why}");
        shared
            .trace
            .record(&traced_id, Direction::Out, || TracedPacket::ConnAck {
                session_present: false,
                reason_code: code,
                assigned_client_id: None,
            });
        info.reason = code;
        info.reason_string = (version == ProtocolVersion::V5).then_some(why);
        protocol::encode_connack(version, &info, out);
        return None;
    }
    let client_id: Arc<str> = if request.client_id.is_empty() {
        let assigned = format!(
            "auto-{:016x}",
            shared.next_connection_id.load(Ordering::Relaxed) ^ random_salt()
        );
        if version == ProtocolVersion::V5 {
            info.assigned_client_id = Some(assigned.clone());
        }
        Arc::from(assigned)
    } else {
        Arc::from(request.client_id.as_str())
    };
    let keep_alive_secs = keep_alive_for(config.max_keep_alive_secs, version, request, &mut info);
    let client = attach(shared, version, request, peer, client_id, keep_alive_secs);
    info.session_present = client.session_present;
    protocol::encode_connack(version, &info, out);
    shared.trace.record(&client.client.id, Direction::Out, || {
        TracedPacket::ConnAck {
            session_present: info.session_present,
            reason_code: ReasonCode::Success,
            assigned_client_id: info.assigned_client_id.clone(),
        }
    });
    encode_outgoing(shared, &client.client, client.resend, out);
    Some(client.client)
}

/// Whether the broker takes this CONNECT: authentication, the will, the client id. The
/// refusal's code and words otherwise.
fn admissible(
    config: &BrokerConfig,
    version: ProtocolVersion,
    request: &ConnectRequest,
) -> Result<(), (ReasonCode, String)> {
    let refuse = |code, why: &str| Err((code, why.to_owned()));
    if request.authentication_method.is_some() {
        return refuse(
            ReasonCode::BadAuthenticationMethod,
            "enhanced authentication is not supported",
        );
    }
    match (&request.username, &config.users) {
        (None, _) if !config.allow_anonymous => {
            return refuse(
                ReasonCode::NotAuthorized,
                "anonymous clients are not allowed",
            );
        }
        (Some(user), Some(users))
            if !users.verify(user, request.password.as_deref().unwrap_or("")) =>
        {
            return refuse(
                ReasonCode::BadUserNameOrPassword,
                "bad user name or password",
            );
        }
        _ => {}
    }
    if let Some(will) = &request.will {
        if let Err(error) = TopicName::validate(&will.topic, &config.topic_limits) {
            let why = format!("the will topic {:?} is not valid: {error}", will.topic);
            return refuse(ReasonCode::TopicNameInvalid, &why);
        }
        if will.topic == "$SYS" || will.topic.starts_with("$SYS/") {
            return refuse(
                ReasonCode::NotAuthorized,
                "a will cannot be published to $SYS, which belongs to the broker",
            );
        }
    }
    if request.client_id.is_empty() && version == ProtocolVersion::V311 && !request.clean_start {
        return refuse(
            ReasonCode::ClientIdentifierNotValid,
            "an empty client id needs a clean session",
        );
    }
    Ok(())
}

/// The keep alive the connection runs with: what the client asked, unless an MQTT 5 client
/// asked for more than the broker's maximum (or none), which CONNACK then announces.
fn keep_alive_for(
    max: u16,
    version: ProtocolVersion,
    request: &ConnectRequest,
    info: &mut ConnAckInfo,
) -> u16 {
    if version == ProtocolVersion::V5
        && max > 0
        && (request.keep_alive == 0 || request.keep_alive > max)
    {
        info.server_keep_alive = Some(max);
        max
    } else {
        request.keep_alive
    }
}

/// An accepted client, and what its session held.
struct Attached {
    client: Client,
    session_present: bool,
    resend: Vec<Outgoing>,
}

/// Attach the session (taking it over from an older connection), register the client for the
/// Broker panel, and build the connection's handle.
fn attach(
    shared: &Shared,
    version: ProtocolVersion,
    request: &ConnectRequest,
    peer: SocketAddr,
    client_id: Arc<str>,
    keep_alive_secs: u16,
) -> Attached {
    let config = &shared.config;
    let now = Instant::now();
    let will = will_of(request, &client_id, now);
    let connection_id = shared.next_connection_id.fetch_add(1, Ordering::Relaxed);
    let wake = Arc::new(Notify::new());
    let kick = Arc::new(Notify::new());
    let receive_maximum = match version {
        ProtocolVersion::V5 => request.receive_maximum.unwrap_or(u16::MAX),
        ProtocolVersion::V311 => config.max_inflight_v311,
    };
    let link = ConnectionLink {
        connection_id,
        wake: Arc::clone(&wake),
        kick: Arc::clone(&kick),
        receive_maximum,
    };
    let user: Option<Arc<str>> = request.username.as_deref().map(Arc::from);
    let session = SessionRequest {
        client_id: Arc::clone(&client_id),
        user: user.clone(),
        clean_start: request.clean_start,
        expiry_interval_secs: request.session_expiry_secs,
        will,
    };
    let connected = shared.lock().connect(session, link, now);
    if let Some(replaced) = connected.replaced {
        replaced.kick.notify_one();
    }
    let live = Arc::new(LiveClient {
        client_id: Arc::clone(&client_id),
        address: peer,
        version,
        keep_alive_secs,
        connected_at: std::time::SystemTime::now(),
        user: user.clone(),
        messages_in: AtomicU64::new(0),
        messages_out: AtomicU64::new(0),
        admin_close: Notify::new(),
    });
    shared
        .clients_lock()
        .insert(connection_id, Arc::clone(&live));
    let client = Client {
        live,
        id: client_id,
        keep_alive_secs,
        user,
        version,
        connection_id,
        max_packet_size: request.max_packet_size,
        wake,
        kick,
        aliases: std::sync::Mutex::new(OutgoingAliases::new(if version.is_v5() {
            request.topic_alias_maximum.min(config.topic_alias_maximum)
        } else {
            0
        })),
    };
    Attached {
        client,
        session_present: connected.session_present,
        resend: connected.resend,
    }
}

/// The will CONNECT announced, as the message the broker will publish.
fn will_of(request: &ConnectRequest, client_id: &Arc<str>, now: Instant) -> Option<Will> {
    request.will.as_ref().map(|will| Will {
        message: Arc::new(BrokerMessage {
            topic: will.topic.clone(),
            payload: will.payload.clone(),
            qos: will.qos,
            retain: will.retain,
            properties: will.properties.clone().map(Box::new),
            expires_at: will
                .expiry_secs
                .map(|s| now + Duration::from_secs(u64::from(s))),
            publisher: Some(Arc::clone(client_id)),
        }),
        delay: Duration::from_secs(u64::from(will.delay_secs)),
    })
}

fn random_salt() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}
