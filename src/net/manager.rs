//! The manager thread: owns a tokio runtime, executes commands, never blocks an event loop.

use super::batcher::Batcher;
use super::client::Client;
use super::connection::{Connection, RequestBook};
use super::error::NetError;
use super::events::{ConnectionState, ConnectionStats, EventReceiver, EventSender, event_channel};
use super::options::{ConnectOptions, Subscription};
use super::{ConnectionId, OutgoingMessage};
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle as TaskHandle;

/// Called after each event is queued, from the manager thread (the GUI asks for a repaint).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Most received messages allowed to wait for the consumer before batches are dropped (and
/// counted): about one second of a heavy flood.
const QUEUED_MESSAGES_LIMIT: usize = 256 * 1024;

/// How long a DISCONNECT may take before the connection's tasks are simply stopped.
const DISCONNECT_GRACE: Duration = Duration::from_millis(500);

/// Sees every batch of a connection's messages on the network thread, before the window or
/// command is handed it (and before anything is dropped for a consumer that fell behind): a
/// recording's feed. It must return at once.
#[derive(Clone)]
pub struct Tap(pub Arc<TapFn>);

/// What a [`Tap`] calls with each batch.
pub type TapFn = dyn Fn(&[crate::model::Incoming]) + Send + Sync;

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tap")
    }
}

/// What the UI or CLI asks the manager to do.
#[derive(Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub enum Command {
    /// Open a connection (replacing one with the same id).
    Connect {
        /// Id chosen by [`ConnectionManager::connect`].
        id: ConnectionId,
        /// Where and how to connect.
        options: ConnectOptions,
        /// Counters the caller reads.
        stats: Arc<ConnectionStats>,
    },
    /// Close a connection for good.
    Disconnect { id: ConnectionId },
    /// Add a subscription, kept across reconnects.
    Subscribe {
        id: ConnectionId,
        subscription: Subscription,
    },
    /// Remove a subscription.
    Unsubscribe {
        id: ConnectionId,
        /// The filter as subscribed.
        filter: String,
    },
    /// Hand every batch of this connection to `tap` too (or stop, with `None`).
    SetTap { id: ConnectionId, tap: Option<Tap> },
    /// Publish a message; the outcome comes back as [`crate::net::EventKind::Published`].
    Publish {
        id: ConnectionId,
        message: OutgoingMessage,
        /// Identifies the outcome event.
        ticket: u64,
    },
}

enum Request {
    Command(Box<Command>),
    Shutdown,
}

/// The handle the UI or CLI holds: send commands, drain events.
pub struct ConnectionManager {
    requests: mpsc::UnboundedSender<Request>,
    events: EventReceiver,
    next_id: u64,
    next_ticket: u64,
    thread: Option<JoinHandle<()>>,
}

impl ConnectionManager {
    /// Start the manager thread. `waker` runs after every queued event.
    pub fn start(waker: Waker) -> std::io::Result<Self> {
        let (events_tx, events) = event_channel(QUEUED_MESSAGES_LIMIT, waker);
        let (requests, requests_rx) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("canopy-net".into())
            .spawn(move || runtime.block_on(serve(requests_rx, events_tx)))?;
        Ok(Self {
            requests,
            events,
            next_id: 1,
            next_ticket: 1,
            thread: Some(thread),
        })
    }

    /// Open a new connection; returns its id and the counters it will keep.
    pub fn connect(&mut self, options: ConnectOptions) -> (ConnectionId, Arc<ConnectionStats>) {
        let id = ConnectionId(self.next_id);
        self.next_id += 1;
        let stats = Arc::new(ConnectionStats::default());
        self.send(Command::Connect {
            id,
            options,
            stats: Arc::clone(&stats),
        });
        (id, stats)
    }

    /// Publish on connection `id`; returns the ticket its [`crate::net::EventKind::Published`]
    /// event will carry.
    pub fn publish(&mut self, id: ConnectionId, message: OutgoingMessage) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.send(Command::Publish {
            id,
            message,
            ticket,
        });
        ticket
    }

    /// Queue a command; it runs on the manager thread.
    pub fn send(&self, command: Command) {
        // Only fails once the manager thread has ended, which happens only in `drop`.
        let _ = self.requests.send(Request::Command(Box::new(command)));
    }

    /// The events the manager reports.
    pub fn events(&self) -> &EventReceiver {
        &self.events
    }
}

impl Drop for ConnectionManager {
    fn drop(&mut self) {
        let _ = self.requests.send(Request::Shutdown);
        if let Some(thread) = self.thread.take() {
            // A panic on the manager thread has already been reported by the panic hook.
            let _ = thread.join();
        }
    }
}

/// A connection the manager is running.
struct Live {
    client: Client,
    book: Arc<Mutex<RequestBook>>,
    closing: Arc<AtomicBool>,
    batcher: Arc<Batcher>,
    poll_task: TaskHandle<()>,
    timer_task: TaskHandle<()>,
}

async fn serve(mut requests: mpsc::UnboundedReceiver<Request>, events: EventSender) {
    let mut live: FxHashMap<ConnectionId, Live> = FxHashMap::default();
    while let Some(request) = requests.recv().await {
        let command = match request {
            Request::Command(command) => *command,
            Request::Shutdown => break,
        };
        match command {
            Command::Connect { id, options, stats } => {
                if let Some(old) = live.remove(&id) {
                    close(id, old, &events);
                }
                match open(id, options, stats, &events) {
                    Ok(connection) => {
                        live.insert(id, connection);
                    }
                    Err(error) => events.state(
                        id,
                        ConnectionState::Disconnected {
                            reason: Some(error.to_string()),
                        },
                    ),
                }
            }
            Command::Disconnect { id } => {
                if let Some(connection) = live.remove(&id) {
                    close(id, connection, &events);
                }
            }
            Command::Subscribe { id, subscription } => {
                if let Some(connection) = live.get(&id) {
                    let result = lock(&connection.book).subscribe(&connection.client, subscription);
                    report(&events, id, result);
                }
            }
            Command::Unsubscribe { id, filter } => {
                if let Some(connection) = live.get(&id) {
                    let result = lock(&connection.book).unsubscribe(&connection.client, &filter);
                    report(&events, id, result);
                }
            }
            Command::SetTap { id, tap } => {
                if let Some(connection) = live.get(&id) {
                    connection.batcher.set_tap(tap);
                }
            }
            Command::Publish {
                id,
                message,
                ticket,
            } => match live.get(&id) {
                Some(connection) => {
                    let result =
                        lock(&connection.book).publish(&connection.client, &message, ticket);
                    if let Err(reason) = result {
                        events.published(id, ticket, Err(reason));
                    }
                }
                None => events.published(
                    id,
                    ticket,
                    Err(NetError::NotConnected {
                        topic: message.topic,
                    }),
                ),
            },
        }
    }
    for (id, connection) in live.drain() {
        connection.client.try_disconnect();
        connection.poll_task.abort();
        connection.timer_task.abort();
        events.state(id, ConnectionState::Disconnected { reason: None });
    }
}

fn open(
    id: ConnectionId,
    options: ConnectOptions,
    stats: Arc<ConnectionStats>,
    events: &EventSender,
) -> Result<Live, NetError> {
    let (client, event_loop, origin) = super::client::build(&options)?;
    let book = Arc::new(Mutex::new(RequestBook::new(options.subscriptions.clone())));
    let closing = Arc::new(AtomicBool::new(false));
    let batcher = Batcher::new(id, events.clone(), stats);
    let timer_task = tokio::spawn(Arc::clone(&batcher).run_timer());
    let connection = Connection {
        id,
        options,
        client: client.clone(),
        book: Arc::clone(&book),
        batcher: Arc::clone(&batcher),
        events: events.clone(),
        closing: Arc::clone(&closing),
        origin,
    };
    let poll_task = tokio::spawn(connection.run(event_loop));
    Ok(Live {
        client,
        book,
        closing,
        batcher,
        poll_task,
        timer_task,
    })
}

/// Send DISCONNECT, give it a moment to go out, then stop the tasks and report.
fn close(id: ConnectionId, connection: Live, events: &EventSender) {
    connection.closing.store(true, Ordering::Release);
    connection.client.try_disconnect();
    let events = events.clone();
    tokio::spawn(async move {
        let Live {
            mut poll_task,
            timer_task,
            batcher,
            ..
        } = connection;
        if tokio::time::timeout(DISCONNECT_GRACE, &mut poll_task)
            .await
            .is_err()
        {
            poll_task.abort();
        }
        timer_task.abort();
        batcher.flush();
        events.state(id, ConnectionState::Disconnected { reason: None });
    });
}

fn report(events: &EventSender, id: ConnectionId, result: Result<(), NetError>) {
    if let Err(message) = result {
        events.error(id, message);
    }
}

fn lock(book: &Mutex<RequestBook>) -> std::sync::MutexGuard<'_, RequestBook> {
    book.lock().unwrap_or_else(PoisonError::into_inner)
}
