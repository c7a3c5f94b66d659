//! Clearing many retained messages: a queue of empty retained publishes sent a window at a
//! time, with progress and a report of what failed. The one engine behind the window's clear
//! buttons and `canopy clear-retained`.

use super::error::NetError;
use super::{ConnectionId, ConnectionManager, OutgoingMessage};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// Clears in flight at once: well inside rumqttc's request queue (1,024) and the broker's
/// receive maximum, so neither ever refuses one.
pub const CLEAR_WINDOW: usize = 256;

/// A clear the user asked for but has not confirmed yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClearRequest {
    /// What is cleared, for the confirmation: "under home/kitchen", "matching 'lamp'".
    pub scope: String,
    /// The topics whose retained messages go.
    pub topics: Vec<String>,
}

/// A clear under way.
#[derive(Debug)]
pub struct RetainedClear {
    /// What is being cleared.
    pub scope: String,
    queue: VecDeque<String>,
    in_flight: FxHashMap<u64, String>,
    /// Topics to clear in all.
    pub total: usize,
    /// Cleared so far.
    pub cleared: usize,
    /// Topics that could not be cleared, with the reason.
    pub failed: Vec<(String, NetError)>,
}

impl RetainedClear {
    /// Start clearing `request`'s topics.
    pub fn new(request: ClearRequest) -> Self {
        Self {
            scope: request.scope,
            total: request.topics.len(),
            queue: request.topics.into(),
            in_flight: FxHashMap::default(),
            cleared: 0,
            failed: Vec::new(),
        }
    }

    /// Send more clears while fewer than the window are unacknowledged; returns the tickets
    /// of the publishes sent, for routing their outcomes back here.
    pub fn top_up(&mut self, manager: &mut ConnectionManager, id: ConnectionId) -> Vec<u64> {
        let mut tickets = Vec::new();
        while self.in_flight.len() < CLEAR_WINDOW {
            let Some(topic) = self.queue.pop_front() else {
                break;
            };
            let ticket = manager.publish(id, OutgoingMessage::clear_retained(topic.clone()));
            self.in_flight.insert(ticket, topic);
            tickets.push(ticket);
        }
        tickets
    }

    /// Take the outcome of a publish; returns the topic when it was one of ours and succeeded.
    /// `None` with `handled` false means the ticket belongs to someone else.
    pub fn on_published(
        &mut self,
        ticket: u64,
        result: &Result<(), NetError>,
    ) -> (bool, Option<String>) {
        let Some(topic) = self.in_flight.remove(&ticket) else {
            return (false, None);
        };
        match result {
            Ok(()) => {
                self.cleared += 1;
                (true, Some(topic))
            }
            Err(reason) => {
                self.failed.push((topic, reason.clone()));
                (true, None)
            }
        }
    }

    /// Every clear was answered.
    pub fn is_done(&self) -> bool {
        self.queue.is_empty() && self.in_flight.is_empty()
    }

    /// A line for the status bar while running, or the outcome when done.
    pub fn summary(&self) -> String {
        if !self.is_done() {
            return format!(
                "Clearing retained messages {}: {} of {}",
                self.scope, self.cleared, self.total
            );
        }
        match self.failed.as_slice() {
            [] => format!("Cleared {} retained messages {}", self.cleared, self.scope),
            [(topic, reason), ..] => format!(
                "Cleared {} of {} retained messages {}; {} failed, e.g. {topic}: {reason}",
                self.cleared,
                self.total,
                self.scope,
                self.failed.len()
            ),
        }
    }
}
