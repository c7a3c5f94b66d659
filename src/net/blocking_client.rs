//! A connection driven step by step from one thread, for headless commands and background
//! jobs (`canopy pub`, clear-retained, replay): connect, wait until the broker accepted us,
//! read our events. It has a connection manager of its own.

use super::{
    ConnectOptions, ConnectionId, ConnectionManager, ConnectionState, EventKind, NetError,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One connection driven step by step.
pub struct BlockingClient {
    manager: ConnectionManager,
    id: ConnectionId,
}

impl BlockingClient {
    /// Connect and wait for CONNACK; the error says why it failed.
    pub fn connect(mut options: ConnectOptions, timeout: Duration) -> Result<Self, NetError> {
        options.retry_first_connect = false;
        let address = options.address();
        let mut manager = ConnectionManager::start(Arc::new(|| {}))
            .map_err(|e| NetError::NetworkThread(e.to_string()))?;
        let (id, _) = manager.connect(options);
        let client = Self { manager, id };
        let deadline = Instant::now() + timeout;
        loop {
            match client.next_event(deadline) {
                Some(EventKind::State(ConnectionState::Connected { .. })) => return Ok(client),
                Some(EventKind::State(ConnectionState::Disconnected { reason })) => {
                    return Err(NetError::Disconnected(
                        reason.unwrap_or_else(|| "disconnected".to_owned()),
                    ));
                }
                Some(_) => {}
                None => return Err(NetError::NoAnswer(address)),
            }
        }
    }

    /// The next event of this connection before `deadline`.
    pub fn next_event(&self, deadline: Instant) -> Option<EventKind> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let event = self.manager.events().recv_timeout(left)?;
            if event.connection == self.id {
                return Some(event.kind);
            }
        }
    }

    /// The manager, to send commands.
    pub fn manager(&mut self) -> &mut ConnectionManager {
        &mut self.manager
    }

    /// The connection's id.
    pub fn id(&self) -> ConnectionId {
        self.id
    }

    /// Send DISCONNECT and wait (briefly) until it is done.
    pub fn disconnect(self) {
        self.manager
            .send(crate::net::Command::Disconnect { id: self.id });
        let deadline = Instant::now() + Duration::from_secs(2);
        while let Some(kind) = self.next_event(deadline) {
            if matches!(kind, EventKind::State(ConnectionState::Disconnected { .. })) {
                return;
            }
        }
    }
}
