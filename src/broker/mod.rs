//! The bundled broker: Canopy's own MQTT 3.1.1 and 5.0 engine on tokio, over rumqttc's
//! `mqttbytes` packet codecs. It runs on its own thread and runtime, so stopping it ends every
//! task, connection and port it had.

mod config;
mod connection;
mod meters;
mod protocol;
mod session;
mod state;
mod sys;
mod topic;
mod trie;

pub use config::BrokerConfig;
pub use meters::{MeterSnapshot, Meters};
pub use topic::{TopicError, matches as topic_matches, validate_filter, validate_name};

use state::BrokerState;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
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
    /// The runtime or its thread could not be created.
    #[error("cannot start the broker: {0}")]
    Start(#[from] std::io::Error),
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
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, BrokerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running broker. Dropping it stops it.
pub struct Broker {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    started_at: Instant,
}

impl Broker {
    /// Bind the listener and start serving on a thread of its own.
    pub fn start(config: BrokerConfig) -> Result<Self, BrokerError> {
        let address = SocketAddr::new(config.bind, config.port);
        let listener = std::net::TcpListener::bind(address)
            .map_err(|source| BrokerError::Bind { address, source })?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let config = Arc::new(config);
        let meters = Arc::new(Meters::default());
        let shared = Arc::new(Shared {
            state: Mutex::new(BrokerState::new(Arc::clone(&config), Arc::clone(&meters))),
            config,
            meters,
            next_connection_id: AtomicU64::new(1),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("canopy-broker")
            .enable_all()
            .build()?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let started_at = Instant::now();
        let task_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("canopy-broker-main".into())
            .spawn(move || {
                runtime.block_on(run(listener, task_shared, shutdown_rx, started_at));
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        tracing::info!("broker listening on {address}");
        Ok(Self {
            address,
            shared,
            shutdown,
            thread: Some(thread),
            started_at,
        })
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

    /// Clients connected right now.
    pub fn connected_clients(&self) -> usize {
        self.shared.lock().connected_count()
    }

    /// Retained messages stored.
    pub fn retained_count(&self) -> usize {
        self.shared.lock().retained_count()
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
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
    started_at: Instant,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("broker listener failed: {e}");
            return;
        }
    };
    let mut housekeeping = tokio::spawn(housekeeping(
        Arc::clone(&shared),
        shutdown.clone(),
        started_at,
    ));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection::serve(stream, peer, Arc::clone(&shared), shutdown.clone()));
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
    housekeeping.abort();
    let _ = (&mut housekeeping).await;
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
    let mut loads = sys::LoadAverages::default();
    let mut next_sys = Instant::now();
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let meters = shared.meters.snapshot();
        let mut state = shared.lock();
        state.tick(now);
        if !sys_interval.is_zero() && now >= next_sys {
            loads.update(now, meters);
            let values = sys::sys_values(&state, meters, &loads, now.duration_since(started_at));
            sys::publish_sys(&mut state, values, now);
            next_sys = now + sys_interval;
        }
    }
}
