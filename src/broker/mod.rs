//! The bundled broker: Canopy's own MQTT 3.1.1 and 5.0 engine on tokio, over rumqttc's
//! `mqttbytes` packet codecs. It runs on its own thread and runtime, so stopping it ends every
//! task, connection and port it had.

mod auth;
mod config;
mod connection;
mod decode;
pub mod fuzzing;
mod handshake;
mod meters;
mod outbound;
mod protocol;
mod session;
mod state;
mod sys;
mod tls;
mod trace;
mod trie;
mod wire;

pub use auth::{Acl, AuthFileError, LineError, NoRandomness, Users};
pub use config::{BrokerConfig, TlsListenerConfig};
pub use meters::{MeterSnapshot, Meters};
pub use tls::{TlsError, TlsIdentity};
pub use trace::{Direction, TraceEntry, TracedFilter, TracedPacket, TracedWill};

use crate::mqtt::ProtocolVersion;
use rustc_hash::FxHashMap;
use state::BrokerState;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The address could not be bound (port taken, no permission, address not local).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The runtime or its thread could not be created.
    #[error("cannot start the broker: {0}")]
    Start(#[from] std::io::Error),
}

/// How a listener's connections speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListenerKind {
    /// MQTT over TCP.
    Tcp,
    /// MQTT over TLS.
    Tls,
    /// MQTT over WebSocket.
    WebSocket,
}

impl ListenerKind {
    /// The URL scheme clients use for it.
    pub fn scheme(self) -> &'static str {
        match self {
            ListenerKind::Tcp => "mqtt",
            ListenerKind::Tls => "mqtts",
            ListenerKind::WebSocket => "ws",
        }
    }
}

/// One open listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerInfo {
    /// Its protocol.
    pub kind: ListenerKind,
    /// Where it listens.
    pub address: SocketAddr,
}

#[derive(Clone)]
enum Transport {
    Tcp,
    Tls(tokio_rustls::TlsAcceptor),
    WebSocket,
}

impl BrokerError {
    /// True when the port is already in use (the UI offers a free one).
    pub fn is_port_taken(&self) -> bool {
        matches!(self, BrokerError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse)
    }
}

/// What every connection task shares.
pub(crate) struct Shared {
    config: Arc<BrokerConfig>,
    state: Mutex<BrokerState>,
    meters: Arc<Meters>,
    next_connection_id: AtomicU64,
    /// Bytes buffered by connections that have not finished CONNECT.
    stranger_bytes: std::sync::atomic::AtomicUsize,
    clients: Mutex<FxHashMap<u64, Arc<LiveClient>>>,
    trace: trace::PacketTrace,
    /// Load averages, folded in once a second by housekeeping whether or not `$SYS` is on.
    loads: Mutex<sys::LoadAverages>,
}

impl Shared {
    fn new(config: BrokerConfig) -> Arc<Self> {
        let config = Arc::new(config);
        let meters = Arc::new(Meters::default());
        Arc::new(Shared {
            state: Mutex::new(BrokerState::new(Arc::clone(&config), Arc::clone(&meters))),
            config,
            meters,
            next_connection_id: AtomicU64::new(1),
            stranger_bytes: std::sync::atomic::AtomicUsize::new(0),
            clients: Mutex::new(FxHashMap::default()),
            trace: trace::PacketTrace::new(TRACE_CAPACITY),
            loads: Mutex::new(sys::LoadAverages::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BrokerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn clients_lock(&self) -> MutexGuard<'_, FxHashMap<u64, Arc<LiveClient>>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A connected client, as the Broker panel lists it.
pub(crate) struct LiveClient {
    client_id: Arc<str>,
    address: SocketAddr,
    version: ProtocolVersion,
    keep_alive_secs: u16,
    connected_at: SystemTime,
    user: Option<Arc<str>>,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    admin_close: tokio::sync::Notify,
}

/// One connected client at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct ClientSummary {
    pub client_id: String,
    /// Remote address.
    pub address: SocketAddr,
    /// The protocol version it connected with.
    pub protocol: ProtocolVersion,
    /// Keep alive in force, in seconds.
    pub keep_alive_secs: u16,
    /// When it connected.
    pub connected_at: SystemTime,
    /// User name it logged in with.
    pub user: Option<String>,
    /// Its subscriptions, sorted.
    pub subscriptions: Vec<String>,
    /// PUBLISH packets it sent.
    pub messages_in: u64,
    /// PUBLISH packets sent to it.
    pub messages_out: u64,
}

/// Packets kept by the packet trace.
const TRACE_CAPACITY: usize = 20_000;

/// A running broker. Dropping it stops it.
pub struct Broker {
    address: SocketAddr,
    listeners: Vec<ListenerInfo>,
    generated_cert_pem: Option<String>,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    started_at: Instant,
}

impl Broker {
    /// Bind the listeners and start serving on a thread of its own.
    pub fn start(config: BrokerConfig) -> Result<Self, BrokerError> {
        let bind = |port: u16| -> Result<std::net::TcpListener, BrokerError> {
            let address = SocketAddr::new(config.bind, port);
            let listener = std::net::TcpListener::bind(address)
                .map_err(|source| BrokerError::Bind { address, source })?;
            listener.set_nonblocking(true)?;
            Ok(listener)
        };
        let mut bound = vec![(ListenerKind::Tcp, Transport::Tcp, bind(config.port)?)];
        let mut generated_cert_pem = None;
        if let Some(tls) = &config.tls {
            let loaded = tls::load(&tls.identity)?;
            generated_cert_pem = loaded.generated_cert_pem;
            let acceptor = tokio_rustls::TlsAcceptor::from(loaded.config);
            bound.push((ListenerKind::Tls, Transport::Tls(acceptor), bind(tls.port)?));
        }
        if let Some(port) = config.websocket_port {
            bound.push((ListenerKind::WebSocket, Transport::WebSocket, bind(port)?));
        }
        let mut listeners = Vec::new();
        for (kind, _, listener) in &bound {
            listeners.push(ListenerInfo {
                kind: *kind,
                address: listener.local_addr()?,
            });
        }
        let address = listeners[0].address;

        let shared = Shared::new(config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("canopy-broker")
            .enable_all()
            .build()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let started_at = Instant::now();
        let task_shared = Arc::clone(&shared);
        let transports = bound
            .into_iter()
            .map(|(_, transport, listener)| (transport, listener))
            .collect();
        let thread = std::thread::Builder::new()
            .name("canopy-broker-main".into())
            .spawn(move || {
                runtime.block_on(run(transports, task_shared, shutdown_rx, started_at));
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        for listener in &listeners {
            tracing::info!(
                "broker listening on {}://{}",
                listener.kind.scheme(),
                listener.address
            );
        }
        Ok(Self {
            address,
            listeners,
            generated_cert_pem,
            shared,
            shutdown,
            thread: Some(thread),
            started_at,
        })
    }

    /// Every listener with its real address.
    pub fn listeners(&self) -> &[ListenerInfo] {
        &self.listeners
    }

    /// The self-signed certificate (PEM) when one was generated, for clients to trust.
    pub fn generated_cert_pem(&self) -> Option<&str> {
        self.generated_cert_pem.as_deref()
    }

    /// The address it listens on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Traffic counters since start.
    pub fn meters(&self) -> MeterSnapshot {
        self.shared.meters.snapshot()
    }

    /// How long it has been running.
    pub fn uptime(&self) -> Duration {
        self.started_at.elapsed()
    }

    /// The broker's `$SYS` values right now, as (topic, value) pairs in mosquitto's layout: what
    /// it publishes every `sys_interval`, read directly (also when `$SYS` publishing is off).
    pub fn sys_values(&self) -> Vec<(String, String)> {
        let loads = self
            .shared
            .loads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let meters = self.shared.meters.snapshot();
        let state = self.shared.lock();
        sys::sys_values(&state, meters, &loads, self.started_at.elapsed())
    }

    /// Clients connected right now.
    pub fn connected_clients(&self) -> usize {
        self.shared.lock().connected_count()
    }

    /// Retained messages stored.
    pub fn retained_count(&self) -> usize {
        self.shared.lock().retained_count()
    }

    /// Connected clients, sorted by client id.
    pub fn clients(&self) -> Vec<ClientSummary> {
        let live: Vec<Arc<LiveClient>> = self.shared.clients_lock().values().cloned().collect();
        let state = self.shared.lock();
        let mut clients: Vec<ClientSummary> = live
            .iter()
            .map(|c| ClientSummary {
                client_id: c.client_id.to_string(),
                address: c.address,
                protocol: c.version,
                keep_alive_secs: c.keep_alive_secs,
                connected_at: c.connected_at,
                user: c.user.as_deref().map(str::to_owned),
                subscriptions: state.subscriptions_of(&c.client_id),
                messages_in: c.messages_in.load(std::sync::atomic::Ordering::Relaxed),
                messages_out: c.messages_out.load(std::sync::atomic::Ordering::Relaxed),
            })
            .collect();
        clients.sort_by(|a, b| {
            a.client_id
                .cmp(&b.client_id)
                .then(a.connected_at.cmp(&b.connected_at))
        });
        clients
    }

    /// Close a client's connection (MQTT 5 clients are told "administrative action"); its will
    /// is published. Returns false if no such client is connected.
    pub fn disconnect_client(&self, client_id: &str) -> bool {
        let clients = self.shared.clients_lock();
        let found = clients.values().find(|c| &*c.client_id == client_id);
        if let Some(client) = found {
            client.admin_close.notify_one();
        }
        found.is_some()
    }

    /// Start or stop recording the packet trace.
    pub fn set_trace_enabled(&self, enabled: bool) {
        self.shared.trace.set_enabled(enabled);
    }

    /// Whether the packet trace records.
    pub fn trace_enabled(&self) -> bool {
        self.shared.trace.is_enabled()
    }

    /// Traced packets that pass `keep`, oldest first.
    pub fn trace(&self, keep: impl FnMut(&TraceEntry) -> bool) -> Vec<TraceEntry> {
        self.shared.trace.entries(keep)
    }

    /// Packets traced since start.
    pub fn trace_recorded(&self) -> u64 {
        self.shared.trace.recorded()
    }

    /// Forget the traced packets.
    pub fn clear_trace(&self) {
        self.shared.trace.clear();
    }

    /// Subscriptions held, over all sessions.
    pub fn subscription_count(&self) -> usize {
        self.shared.lock().subscription_count()
    }

    /// Sessions held, connected or not.
    pub fn session_count(&self) -> usize {
        self.shared.lock().session_count()
    }

    /// Close every connection (MQTT 5 clients get DISCONNECT "server shutting down"), stop
    /// listening and end the broker's threads.
    pub fn stop(mut self) {
        self.shutdown_and_join();
    }

    fn shutdown_and_join(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
            tracing::info!("broker on {} stopped", self.address);
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.shutdown_and_join();
    }
}

async fn run(
    listeners: Vec<(Transport, std::net::TcpListener)>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    started_at: Instant,
) {
    let mut housekeeping = tokio::spawn(housekeeping(
        Arc::clone(&shared),
        shutdown.clone(),
        started_at,
    ));
    let mut accept_loops = JoinSet::new();
    for (transport, listener) in listeners {
        match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => {
                accept_loops.spawn(accept_loop(
                    listener,
                    transport,
                    Arc::clone(&shared),
                    shutdown.clone(),
                ));
            }
            Err(e) => tracing::error!("broker listener failed: {e}"),
        }
    }
    while accept_loops.join_next().await.is_some() {}
    housekeeping.abort();
    let _ = (&mut housekeeping).await;
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    transport: Transport,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(open(stream, peer, transport.clone(), Arc::clone(&shared), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    // Give connections a moment to send DISCONNECT and close; then the runtime ends them.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

/// Complete the transport's handshake (TLS, WebSocket) within the connect timeout, then serve.
async fn open(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    transport: Transport,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    // TLS and WebSocket connections are boxed: a future is as large as its largest branch, and
    // every plain TCP connection would otherwise carry a TLS session's worth of space (about
    // 3 KiB each; measured with massif on 2,000 idle clients).
    match transport {
        Transport::Tcp => connection::serve(stream, peer, shared, shutdown).await,
        Transport::Tls(acceptor) => {
            Box::pin(open_tls(stream, peer, acceptor, shared, shutdown)).await
        }
        Transport::WebSocket => Box::pin(open_websocket(stream, peer, shared, shutdown)).await,
    }
}

async fn open_tls(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    match tokio::time::timeout(shared.config.connect_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => connection::serve(tls, peer, shared, shutdown).await,
        Ok(Err(e)) => tracing::info!(%peer, "TLS handshake failed: {e}"),
        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
    }
}

async fn open_websocket(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
) {
    let handshake = async_tungstenite::tokio::accept_hdr_async(stream, select_mqtt_subprotocol);
    match tokio::time::timeout(shared.config.connect_timeout, handshake).await {
        Ok(Ok(websocket)) => {
            let stream = ws_stream_tungstenite::WsStream::new(websocket);
            connection::serve(stream, peer, shared, shutdown).await;
        }
        Ok(Err(e)) => tracing::info!(%peer, "WebSocket handshake failed: {e}"),
        Err(_) => tracing::info!(%peer, "WebSocket handshake timed out"),
    }
}

type WsRequest = async_tungstenite::tungstenite::handshake::server::Request;
type WsResponse = async_tungstenite::tungstenite::handshake::server::Response;
type WsErrorResponse = async_tungstenite::tungstenite::handshake::server::ErrorResponse;

/// Answer the `mqtt` subprotocol when the client offers it (MQTT 5.0 §6).
#[expect(
    clippy::result_large_err,
    reason = "the signature is tungstenite's handshake callback"
)]
fn select_mqtt_subprotocol(
    request: &WsRequest,
    mut response: WsResponse,
) -> Result<WsResponse, WsErrorResponse> {
    let offers_mqtt = request
        .headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|protocol| protocol.trim().eq_ignore_ascii_case("mqtt"));
    if offers_mqtt {
        response.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            async_tungstenite::tungstenite::http::HeaderValue::from_static("mqtt"),
        );
    }
    Ok(response)
}

/// Once a second: delayed wills and session expiry. Every `sys_interval`: `$SYS`.
async fn housekeeping(
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    started_at: Instant,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let sys_interval = shared.config.sys_interval;
    let mut next_sys = Instant::now();
    let mut dropped_reported = 0;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let meters = shared.meters.snapshot();
        if meters.publish_dropped > dropped_reported {
            tracing::warn!(
                "dropped {} messages in the last second: client queues full or packets over a client's maximum size ({} in all)",
                meters.publish_dropped - dropped_reported,
                meters.publish_dropped
            );
            dropped_reported = meters.publish_dropped;
        }
        let loads = {
            let mut loads = shared.loads.lock().unwrap_or_else(PoisonError::into_inner);
            loads.update(now, meters);
            loads.clone()
        };
        let mut state = shared.lock();
        state.tick(now);
        if !sys_interval.is_zero() && now >= next_sys {
            let values = sys::sys_values(&state, meters, &loads, now.duration_since(started_at));
            sys::publish_sys(&mut state, values, now);
            next_sys = now + sys_interval;
        }
    }
}
