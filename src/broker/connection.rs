//! One client connection: the CONNECT handshake, then packets in and messages out until the
//! connection ends. Generic over the stream so TCP, TLS and WebSockets share it.

use super::Shared;
use super::outbound::{Client, fill_outgoing};
use super::protocol::{self, Ack, ConnAckInfo, Inbound, ProtocolError, PublishRequest};
use super::session::{BrokerMessage, PublishProperties, SubscriptionOptions};
use super::trace::{Direction, TracedPacket, traced_inbound};
use crate::mqtt::{ProtocolVersion, Qos, ReasonCode, TopicFilter, TopicLimits, TopicName};
use bytes::BytesMut;
use rustc_hash::FxHashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

/// Longest the last bytes of a closing connection (its DISCONNECT) may take to write.
const CLOSING_WRITE_LIMIT: Duration = Duration::from_secs(5);

/// What an idle connection offers a read (and so about what it keeps buffered while it waits):
/// a PINGREQ or a small PUBLISH fits; a read that fills it makes the next one four times larger.
const SMALL_READ: usize = 64;

/// What a busy connection reads at a time.
const BULK_READ: usize = 64 * 1024;

/// Longest a publisher waits for one congested subscriber that is still draining. A subscriber
/// that stops draining releases publishers after `STUCK_AFTER` anyway; this only bounds the
/// wait for one that drains very slowly.
const BACKPRESSURE_LIMIT: Duration = Duration::from_secs(10);

/// Hold a publisher until the subscribers it congested have drained (or are found stuck), so a
/// flood reaches a slow but live subscriber whole instead of overflowing its queue.
async fn wait_for_space(shared: &Shared, congested: &mut Vec<Arc<str>>) {
    for client_id in congested.drain(..) {
        let deadline = tokio::time::Instant::now() + BACKPRESSURE_LIMIT;
        loop {
            let Some(space) = shared.lock().backpressure_wait(&client_id, Instant::now()) else {
                break;
            };
            // Waking is level-checked above; a short timeout covers a wake-up that raced it.
            let wait = tokio::time::timeout(Duration::from_millis(20), space.notified());
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            let _ = wait.await;
        }
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum Close {
    /// DISCONNECT from the client.
    Normal {
        publish_will: bool,
        session_expiry_secs: Option<u32>,
    },
    /// The socket closed or failed without DISCONNECT.
    Lost(String),
    /// Nothing received for 1.5 × keep alive.
    KeepAliveTimeout,
    /// The client broke the protocol.
    Protocol(ProtocolError),
    /// Another connection took over the session.
    TakenOver,
    /// The broker is stopping.
    Shutdown,
    /// Someone disconnected the client from the Broker panel.
    Administrative,
    /// Messages were dropped because the client's queue was full (MQTT 5 only).
    QuotaExceeded(u64),
}

/// What one connection keeps between packets besides its client, handed to the packet
/// handlers as one value.
struct ConnectionContext {
    /// Session expiry the client asked for at CONNECT (DISCONNECT may not raise it from zero).
    connect_expiry_secs: u32,
    /// Topic aliases the client has set (MQTT 5).
    aliases: FxHashMap<u16, String>,
    /// Bytes waiting to be written.
    out: BytesMut,
    /// Subscribers whose queues asked this publisher to wait before it reads more.
    congested: Vec<Arc<str>>,
}

/// Serve one connection until it ends.
pub async fn serve<S>(
    stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut inbuf = BytesMut::new();
    let Some((client, mut context)) =
        open(&shared, peer, &mut reader, &mut writer, &mut inbuf).await
    else {
        return;
    };
    let mut io = Io {
        reader,
        writer,
        inbuf,
    };
    let close = run(&shared, &client, &mut context, &mut io, &mut shutdown).await;
    finish(&shared, &client, peer, close, context, io).await;
}

/// The connection's two halves and its unparsed input.
struct Io<R, W> {
    reader: R,
    writer: W,
    inbuf: BytesMut,
}

/// Read CONNECT and accept or refuse it (answering a refusal, then closing).
async fn open<R, W>(
    shared: &Shared,
    peer: SocketAddr,
    reader: &mut R,
    writer: &mut W,
    inbuf: &mut BytesMut,
) -> Option<(Client, ConnectionContext)>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let first = tokio::time::timeout(
        shared.config.connect_timeout,
        super::handshake::read_connect(reader, inbuf, shared),
    )
    .await;
    let (version, request) = match first {
        Ok(Ok(connect)) => connect,
        Ok(Err((version, error))) => {
            tracing::info!(%peer, "refused before CONNECT completed: {}", error.message);
            if let Some(version) = version {
                let mut out = BytesMut::new();
                let info = ConnAckInfo {
                    reason: error.reason,
                    reason_string: version.is_v5().then(|| error.message.clone()),
                    ..ConnAckInfo::default()
                };
                protocol::encode_connack(version, &info, &mut out);
                let _ = writer.write_all(&out).await;
            }
            let _ = writer.shutdown().await;
            linger(reader).await;
            return None;
        }
        Err(_) => {
            tracing::info!(%peer, "closed: no CONNECT within {:?}", shared.config.connect_timeout);
            return None;
        }
    };
    let mut out = BytesMut::new();
    let Some(client) = super::handshake::accept(shared, version, &request, peer, &mut out) else {
        let _ = writer.write_all(&out).await;
        let _ = writer.shutdown().await;
        return None;
    };
    tracing::info!(
        %peer,
        client_id = %client.id,
        "connected ({version}, keep alive {} s)",
        client.keep_alive_secs
    );
    let context = ConnectionContext {
        connect_expiry_secs: request.session_expiry_secs,
        aliases: FxHashMap::default(),
        out,
        congested: Vec::new(),
    };
    Some((client, context))
}

/// Handle packets and deliver messages until the connection ends; returns why it ended.
async fn run<R, W>(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    io: &mut Io<R, W>,
    shutdown: &mut watch::Receiver<bool>,
) -> Close
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let keep_alive = Duration::from_secs(u64::from(client.keep_alive_secs));
    let grace = keep_alive + keep_alive / 2;
    let mut deadline = tokio::time::Instant::now() + grace;
    let mut pacer = ReadPacer::default();
    // Packets already buffered and not yet handled: pipelined behind CONNECT in the same read,
    // or left when input paused for a congested subscriber. Handled before reading more.
    let mut input_pending = !io.inbuf.is_empty();
    loop {
        if std::mem::take(&mut input_pending)
            && let Some(close) = handle_input(shared, client, context, &mut io.inbuf)
        {
            return close;
        }
        let more = match write_out(shared, client, context, &mut io.writer).await {
            Ok(more) => more,
            Err(close) => return close,
        };
        if !context.congested.is_empty() {
            wait_for_space(shared, &mut context.congested).await;
            input_pending = true;
            continue;
        }
        if more {
            tokio::task::yield_now().await;
            continue;
        }
        let offered = pacer.prepare(&mut io.inbuf, &mut context.out);
        tokio::select! {
            biased;
            _ = shutdown.changed() => return Close::Shutdown,
            _ = client.kick.notified() => return Close::TakenOver,
            _ = client.live.admin_close.notified() => return Close::Administrative,
            read = io.reader.read_buf(&mut io.inbuf) => match read {
                Ok(0) => return Close::Lost("connection closed by the client without DISCONNECT".to_owned()),
                Err(e) => return Close::Lost(format!("read failed: {e}")),
                Ok(n) => {
                    shared.meters.note_bytes_received(n as u64);
                    pacer.after_read(n, offered);
                    deadline = tokio::time::Instant::now() + grace;
                    if let Some(close) = handle_input(shared, client, context, &mut io.inbuf) {
                        return close;
                    }
                }
            },
            _ = client.wake.notified() => {}
            _ = tokio::time::sleep_until(deadline), if !keep_alive.is_zero() => return Close::KeepAliveTimeout,
        }
    }
}

/// Queue what the client's session holds and write it. `Ok(true)` when more is waiting; a
/// dropped message ends an MQTT 5 connection (it can be told why).
async fn write_out<W: AsyncWrite + Unpin>(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    writer: &mut W,
) -> Result<bool, Close> {
    let filled = fill_outgoing(shared, client, &mut context.out);
    if filled.dropped > 0 {
        tracing::warn!(
            client_id = %client.id,
            "fell behind: {} messages dropped because its queue was full",
            filled.dropped
        );
        if client.version.is_v5() {
            // MQTT 5 can say so: DISCONNECT 0x97 (3.1.1 cannot; the drop is counted).
            return Err(Close::QuotaExceeded(filled.dropped));
        }
    }
    if !context.out.is_empty() {
        if let Err(e) = writer.write_all(&context.out).await {
            return Err(Close::Lost(format!("write failed: {e}")));
        }
        shared.meters.note_bytes_sent(context.out.len() as u64);
        context.out.clear();
    }
    Ok(filled.more)
}

/// How much a read offers. An idle connection holds small buffers; a busy one (its last read
/// filled all that was offered) reads in large chunks, so a flood is parsed many packets per
/// wake-up.
struct ReadPacer {
    size: usize,
}

impl Default for ReadPacer {
    fn default() -> Self {
        Self { size: SMALL_READ }
    }
}

impl ReadPacer {
    /// Make room for the next read (shrinking idle buffers first); returns the room offered.
    fn prepare(&self, inbuf: &mut BytesMut, out: &mut BytesMut) -> usize {
        if self.size == SMALL_READ {
            if inbuf.is_empty() && inbuf.capacity() > 4 * SMALL_READ {
                *inbuf = BytesMut::new();
            }
            if out.capacity() > 64 * SMALL_READ {
                *out = BytesMut::new();
            }
        }
        inbuf.reserve(self.size);
        inbuf.capacity() - inbuf.len()
    }

    fn after_read(&mut self, read: usize, offered: usize) {
        self.size = if read >= offered {
            (self.size * 4).min(BULK_READ)
        } else if read < SMALL_READ {
            SMALL_READ
        } else {
            self.size
        };
    }
}

/// Say why the connection ends (MQTT 5), close it, and settle the session and its will.
async fn finish<R, W>(
    shared: &Shared,
    client: &Client,
    peer: SocketAddr,
    close: Close,
    mut context: ConnectionContext,
    mut io: Io<R, W>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (reason, publish_will, expiry_override) = match &close {
        Close::Normal {
            publish_will,
            session_expiry_secs,
        } => (None, *publish_will, *session_expiry_secs),
        Close::Lost(_) => (None, true, None),
        Close::KeepAliveTimeout => (Some(ReasonCode::KeepAliveTimeout), true, None),
        Close::Protocol(error) => (Some(error.reason), true, None),
        Close::TakenOver => (Some(ReasonCode::SessionTakenOver), false, None),
        Close::Shutdown => (Some(ReasonCode::ServerShuttingDown), false, None),
        Close::Administrative => (Some(ReasonCode::AdministrativeAction), true, None),
        Close::QuotaExceeded(_) => (Some(ReasonCode::QuotaExceeded), true, None),
    };
    shared.clients_lock().remove(&client.connection_id);
    tracing::info!(%peer, client_id = %client.id, "disconnected: {}", describe(&close));
    if let Some(code) = reason
        && client.version == ProtocolVersion::V5
    {
        protocol::encode_disconnect(client.version, code, &mut context.out);
        shared
            .trace
            .record(&client.id, Direction::Out, || TracedPacket::Disconnect {
                reason_code: code,
            });
    }
    if !context.out.is_empty() {
        // A client that stopped reading must not keep this task (and its session's link) alive.
        let _ = tokio::time::timeout(CLOSING_WRITE_LIMIT, io.writer.write_all(&context.out)).await;
    }
    let _ = tokio::time::timeout(CLOSING_WRITE_LIMIT, io.writer.shutdown()).await;
    if matches!(
        close,
        Close::Protocol(_) | Close::Administrative | Close::QuotaExceeded(_)
    ) {
        linger(&mut io.reader).await;
    }
    if !matches!(close, Close::TakenOver | Close::Shutdown) {
        shared.lock().disconnect(
            &client.id,
            client.connection_id,
            publish_will,
            expiry_override,
            Instant::now(),
        );
    }
}

/// After the broker ends a connection whose client is still sending: read and discard its
/// input for a moment. Closing a socket with unread input makes the kernel send a reset, and a
/// client that is still writing then loses the DISCONNECT or CONNACK that says why it was
/// closed. Bounded in time and memory.
async fn linger<R: AsyncRead + Unpin>(reader: &mut R) {
    // On the heap: a buffer in the future would cost every connection its size.
    let mut sink = vec![0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while matches!(reader.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}

fn describe(close: &Close) -> String {
    match close {
        Close::Normal {
            publish_will: false,
            ..
        } => "DISCONNECT".to_owned(),
        Close::Normal {
            publish_will: true, ..
        } => "DISCONNECT with will".to_owned(),
        Close::Lost(reason) => reason.clone(),
        Close::KeepAliveTimeout => "keep alive timeout".to_owned(),
        Close::Protocol(error) => format!("protocol error: {}", error.message),
        Close::TakenOver => "session taken over by a new connection".to_owned(),
        Close::Shutdown => "broker stopping".to_owned(),
        Close::Administrative => "disconnected from the Broker panel".to_owned(),
        Close::QuotaExceeded(dropped) => {
            format!("quota exceeded: {dropped} messages dropped because its queue was full")
        }
    }
}

/// Handle every whole packet in `inbuf`. Returns how the connection must close, if it must.
fn handle_input(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    inbuf: &mut BytesMut,
) -> Option<Close> {
    loop {
        let packet =
            match super::decode::decode(client.version, inbuf, shared.config.max_packet_size) {
                Ok(Some(packet)) => packet,
                Ok(None) => return None,
                Err(error) => return Some(Close::Protocol(error)),
            };
        shared
            .trace
            .record(&client.id, Direction::In, || traced_inbound(&packet));
        if let Some(close) = handle_packet(shared, client, context, packet) {
            return Some(close);
        }
        if !context.congested.is_empty() {
            // Pause here: the rest stays buffered until the congested subscribers drain.
            return None;
        }
    }
}

fn handle_packet(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    packet: Inbound,
) -> Option<Close> {
    let out = &mut context.out;
    match packet {
        Inbound::Publish(publish) => {
            return handle_publish(shared, client, context, publish);
        }
        Inbound::PubAck(pkid) => {
            if let Some(session) = shared.lock().session_mut(&client.id, client.connection_id) {
                session.puback(pkid);
            }
        }
        Inbound::PubRec(pkid) => {
            if let Some(session) = shared.lock().session_mut(&client.id, client.connection_id) {
                session.pubrec(pkid);
            }
            client.send_ack(shared, Ack::Pubrel, pkid, out);
        }
        Inbound::PubRel(pkid) => {
            if let Some(session) = shared.lock().session_mut(&client.id, client.connection_id) {
                session.incoming_qos2.remove(&pkid);
            }
            client.send_ack(shared, Ack::Pubcomp, pkid, out);
        }
        Inbound::PubComp(pkid) => {
            if let Some(session) = shared.lock().session_mut(&client.id, client.connection_id) {
                session.pubcomp(pkid);
            }
        }
        Inbound::Subscribe {
            pkid,
            filters,
            subscription_id,
        } => return handle_subscribe(shared, client, context, pkid, filters, subscription_id),
        Inbound::Unsubscribe { pkid, filters } => {
            let mut state = shared.lock();
            let existed: Vec<bool> = filters
                .iter()
                .map(|f| state.unsubscribe(&client.id, f))
                .collect();
            drop(state);
            client.send_unsuback(shared, pkid, &existed, out);
        }
        Inbound::PingReq => client.send_pingresp(shared, out),
        Inbound::Disconnect {
            reason,
            session_expiry_secs,
        } => {
            if context.connect_expiry_secs == 0 && session_expiry_secs.is_some_and(|s| s > 0) {
                // MQTT 5 §3.14.2.2.2: a session that was to end cannot be revived at DISCONNECT.
                return Some(Close::Protocol(ProtocolError::protocol(
                    "session expiry set at DISCONNECT after connecting with zero",
                )));
            }
            return Some(Close::Normal {
                publish_will: reason == ReasonCode::DisconnectWithWill,
                session_expiry_secs,
            });
        }
    }
    None
}

/// Subscribe to each filter the ACL allows, and answer with SUBACK (one code per filter).
fn handle_subscribe(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    pkid: u16,
    filters: Vec<protocol::FilterRequest>,
    subscription_id: Option<usize>,
) -> Option<Close> {
    let now = Instant::now();
    let mut results = Vec::with_capacity(filters.len());
    let mut state = shared.lock();
    for filter in filters {
        let shared_subscription = filter.filter.starts_with("$share/");
        if shared_subscription && filter.no_local && client.version == ProtocolVersion::V5 {
            return Some(Close::Protocol(ProtocolError::protocol(
                "no local on a shared subscription",
            )));
        }
        if let Some(acl) = &shared.config.acl {
            let inner = TopicFilter::validate(&filter.filter, &TopicLimits::PROTOCOL)
                .map_or(filter.filter.as_str(), |start| &filter.filter[start..]);
            if !acl.can_subscribe(client.user.as_deref(), &client.id, inner) {
                tracing::info!(client_id = %client.id, "subscription to {:?} not authorized", filter.filter);
                results.push(Err(shared.config.acl_suback_code));
                continue;
            }
        }
        let options = SubscriptionOptions {
            filter: Arc::from(""),
            qos: filter.qos,
            no_local: filter.no_local,
            retain_as_published: filter.retain_as_published,
            retain_handling: filter.retain_handling,
            subscription_id,
            share_group: None,
        };
        let result = state
            .subscribe(&client.id, &filter.filter, options, now)
            .map_err(|e| {
                tracing::info!(client_id = %client.id, "subscription to {:?} refused: {e}", filter.filter);
                ReasonCode::TopicFilterInvalid
            });
        results.push(result);
    }
    drop(state);
    client.send_suback(shared, pkid, &results, &mut context.out);
    None
}

fn handle_publish(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    publish: PublishRequest,
) -> Option<Close> {
    let PublishRequest {
        topic,
        payload,
        qos,
        retain,
        pkid,
        properties,
        expiry_secs,
        topic_alias,
    } = publish;
    let topic = match resolve_alias(shared, &mut context.aliases, topic, topic_alias) {
        Ok(topic) => topic,
        Err(close) => return Some(close),
    };
    if let Err(error) = TopicName::validate(&topic, &shared.config.topic_limits) {
        return Some(Close::Protocol(ProtocolError {
            reason: ReasonCode::TopicNameInvalid,
            message: format!("invalid topic name {topic:?}: {error}"),
        }));
    }
    shared.meters.note_message_received();
    client.live.messages_in.fetch_add(1, Ordering::Relaxed);
    if let Some(why) = publish_refusal(shared, client, &topic) {
        // Not routed, as mosquitto does. MQTT 5 says so in the acknowledgement (0x87); 3.1.1
        // has no way to, and gets a plain one.
        tracing::info!(client_id = %client.id, "publish to {topic:?} refused: {why}");
        shared.meters.note_refused();
        let ack = match qos {
            Qos::AtMostOnce => return None,
            Qos::AtLeastOnce => Ack::Puback,
            Qos::ExactlyOnce => Ack::Pubrec,
        };
        let code = ReasonCode::NotAuthorized;
        client.send_ack_with_reason(shared, ack, pkid, code, &mut context.out);
        return None;
    }
    let now = Instant::now();
    let message = Arc::new(BrokerMessage {
        topic,
        payload,
        qos,
        retain,
        properties: properties
            .map(Box::new)
            .filter(|p| **p != PublishProperties::default()),
        expires_at: expiry_secs.map(|s| now + Duration::from_secs(u64::from(s))),
        publisher: Some(Arc::clone(&client.id)),
    });
    route(shared, client, context, message, pkid, now)
}

/// The topic a PUBLISH names: its own (setting the alias, if it carries one) or the alias's.
fn resolve_alias(
    shared: &Shared,
    aliases: &mut FxHashMap<u16, String>,
    topic: String,
    alias: Option<u16>,
) -> Result<String, Close> {
    let Some(alias) = alias else {
        return Ok(topic);
    };
    if alias == 0 || alias > shared.config.topic_alias_maximum {
        return Err(Close::Protocol(ProtocolError {
            reason: ReasonCode::TopicAliasInvalid,
            message: format!(
                "topic alias {alias} is outside 1..={}",
                shared.config.topic_alias_maximum
            ),
        }));
    }
    if !topic.is_empty() {
        aliases.insert(alias, topic.clone());
        return Ok(topic);
    }
    aliases.get(&alias).cloned().ok_or_else(|| {
        Close::Protocol(ProtocolError::protocol(format!(
            "topic alias {alias} used before it was set"
        )))
    })
}

/// Why this client may not publish to `topic`, if it may not.
fn publish_refusal(shared: &Shared, client: &Client, topic: &str) -> Option<&'static str> {
    if topic == "$SYS" || topic.starts_with("$SYS/") {
        Some("the $SYS topics belong to the broker")
    } else if let Some(acl) = &shared.config.acl
        && !acl.can_publish(client.user.as_deref(), &client.id, topic)
    {
        Some("not allowed by the ACL")
    } else {
        None
    }
}

/// Hand the message to the subscribers and acknowledge it as its QoS asks (QoS 2 once per
/// packet id until PUBREL).
fn route(
    shared: &Shared,
    client: &Client,
    context: &mut ConnectionContext,
    message: Arc<BrokerMessage>,
    pkid: u16,
    now: Instant,
) -> Option<Close> {
    let ConnectionContext { out, congested, .. } = context;
    let mut state = shared.lock();
    match message.qos {
        Qos::AtMostOnce => {
            state.publish_noting_congestion(message, now, congested);
        }
        Qos::AtLeastOnce => {
            state.publish_noting_congestion(message, now, congested);
            drop(state);
            client.send_ack(shared, Ack::Puback, pkid, out);
        }
        Qos::ExactlyOnce => {
            let receive_maximum = usize::from(shared.config.receive_maximum);
            let Some(session) = state.session_mut(&client.id, client.connection_id) else {
                return Some(Close::TakenOver);
            };
            // A repeated packet id before PUBREL is a redelivery: acknowledge, do not route again.
            if !session.incoming_qos2.contains(&pkid) {
                if session.incoming_qos2.len() >= receive_maximum {
                    return Some(Close::Protocol(ProtocolError {
                        reason: ReasonCode::ReceiveMaximumExceeded,
                        message: format!("more than {receive_maximum} unreleased QoS 2 messages"),
                    }));
                }
                session.incoming_qos2.insert(pkid);
                state.publish_noting_congestion(message, now, congested);
            }
            drop(state);
            client.send_ack(shared, Ack::Pubrec, pkid, out);
        }
    }
    None
}
