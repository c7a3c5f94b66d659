//! One MQTT connection: the rumqttc client and event loop for either protocol version, and the
//! task that polls the event loop, batches messages, reconnects and re-subscribes.

use super::batcher::Batcher;
use super::client::{Client, EventLoop};
use super::coalesce::Coalescer;
use super::describe::{self, Failure};
use super::error::NetError;
use super::events::{ConnectionState, EventSender};
use super::options::{ConnectOptions, Subscription};
use super::polled::{Polled, polled_v5, polled_v311};
use super::tls_origin::TlsOrigin;
use super::{ConnectionId, OutgoingMessage};
use crate::mqtt::{Qos, ReasonCode};

use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Longest wait between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15);

impl EventLoop {
    async fn poll(&mut self, options: &ConnectOptions, address: &str) -> Result<Polled, Failure> {
        match self {
            EventLoop::V311(event_loop) => match event_loop.poll().await {
                Ok(event) => Ok(polled_v311(event)),
                Err(e) => Err(describe::v311_failure(&e, options, address)),
            },
            EventLoop::V5(event_loop) => match event_loop.poll().await {
                Ok(event) => Ok(polled_v5(event)),
                Err(e) => Err(describe::v5_failure(&e, options, address)),
            },
        }
    }
}

/// The subscriptions of one connection, and which SUBSCRIBE packet carried which filters so a
/// refusal in a SUBACK can name its filter.
#[derive(Default)]
pub(super) struct RequestBook {
    subscriptions: Vec<Subscription>,
    connected: bool,
    /// Publishes queued in rumqttc but not yet written, in order: (ticket, QoS 0?).
    publishes_queued: VecDeque<(u64, bool)>,
    /// Written QoS 1/2 publishes awaiting PUBACK/PUBCOMP, by packet id.
    publishes_in_flight: FxHashMap<u16, u64>,
    /// Filters of each SUBSCRIBE queued but not yet given a packet id, in send order.
    queued: VecDeque<Vec<String>>,
    by_pkid: FxHashMap<u16, Vec<String>>,
}

impl RequestBook {
    pub(super) fn new(subscriptions: Vec<Subscription>) -> Self {
        Self {
            subscriptions,
            ..Self::default()
        }
    }

    fn send(&mut self, client: &Client, subscriptions: Vec<Subscription>) -> Result<(), NetError> {
        client.try_subscribe(&subscriptions)?;
        self.queued
            .push_back(subscriptions.into_iter().map(|s| s.filter).collect());
        Ok(())
    }

    /// Queue a publish; its outcome is reported under `ticket`.
    pub(super) fn publish(
        &mut self,
        client: &Client,
        message: &OutgoingMessage,
        ticket: u64,
    ) -> Result<(), NetError> {
        client.try_publish(message)?;
        self.publishes_queued
            .push_back((ticket, message.qos == Qos::AtMostOnce));
        Ok(())
    }

    /// A PUBLISH was written: QoS 0 is done; QoS 1/2 wait for their acknowledgement.
    fn publish_sent(&mut self, pkid: u16) -> Option<u64> {
        let (ticket, qos0) = self.publishes_queued.pop_front()?;
        if qos0 {
            return Some(ticket);
        }
        self.publishes_in_flight.insert(pkid, ticket);
        None
    }

    fn publish_acked(&mut self, pkid: u16) -> Option<u64> {
        self.publishes_in_flight.remove(&pkid)
    }

    /// Every publish still waiting, when the connection is lost.
    fn publishes_lost(&mut self) -> Vec<u64> {
        let mut lost: Vec<u64> = self
            .publishes_queued
            .drain(..)
            .map(|(ticket, _)| ticket)
            .collect();
        lost.extend(self.publishes_in_flight.drain().map(|(_, ticket)| ticket));
        lost.sort_unstable();
        lost
    }

    /// Remember a subscription and send it now if connected (else on the next CONNACK).
    pub(super) fn subscribe(
        &mut self,
        client: &Client,
        subscription: Subscription,
    ) -> Result<(), NetError> {
        self.subscriptions
            .retain(|s| s.filter != subscription.filter);
        self.subscriptions.push(subscription.clone());
        if self.connected {
            self.send(client, vec![subscription])
        } else {
            Ok(())
        }
    }

    /// Forget a subscription and unsubscribe now if connected.
    pub(super) fn unsubscribe(&mut self, client: &Client, filter: &str) -> Result<(), NetError> {
        self.subscriptions.retain(|s| s.filter != filter);
        if self.connected {
            client.try_unsubscribe(filter)
        } else {
            Ok(())
        }
    }

    fn connected(&mut self, client: &Client) -> Result<(), NetError> {
        self.connected = true;
        self.queued.clear();
        self.by_pkid.clear();
        let all = self.subscriptions.clone();
        self.send(client, all)
    }

    fn sent(&mut self, pkid: u16) {
        if let Some(filters) = self.queued.pop_front() {
            self.by_pkid.insert(pkid, filters);
        }
    }

    /// Match a SUBACK to its filters: (granted filters, refusal messages).
    fn acked(
        &mut self,
        pkid: u16,
        refusals: Vec<Option<ReasonCode>>,
    ) -> (Vec<String>, Vec<NetError>) {
        let filters = self.by_pkid.remove(&pkid).unwrap_or_default();
        let mut granted = Vec::new();
        let mut refused = Vec::new();
        for (i, refusal) in refusals.into_iter().enumerate() {
            let filter = filters.get(i).map_or("a topic filter", String::as_str);
            match refusal {
                None => granted.push(filter.to_owned()),
                Some(code) => refused.push(NetError::SubscriptionRefused {
                    filter: filter.to_owned(),
                    code,
                }),
            }
        }
        (granted, refused)
    }
}

/// Wait before reconnect attempt `attempt` (1-based): 0.5 s, 1 s, 2 s… up to [`MAX_BACKOFF`].
pub(super) fn backoff(attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    (Duration::from_millis(500) * 2u32.pow(exponent)).min(MAX_BACKOFF)
}

/// Everything the polling task needs.
pub(super) struct Connection {
    pub(super) id: ConnectionId,
    pub(super) options: ConnectOptions,
    pub(super) client: Client,
    pub(super) book: Arc<Mutex<RequestBook>>,
    pub(super) batcher: Arc<Batcher>,
    pub(super) events: EventSender,
    /// Set by the manager when the user disconnects: errors after that are expected.
    pub(super) closing: Arc<AtomicBool>,
    /// The TLS origin task, when Canopy opens the TLS itself (an SNI override); it stops when
    /// the connection's task ends.
    pub(super) origin: Option<TlsOrigin>,
}

impl Connection {
    /// Poll the event loop until the connection is closed for good. Runs in its own task
    /// because `EventLoop::poll` is not cancel-safe.
    pub(super) async fn run(self, mut event_loop: EventLoop) {
        let address = self.options.address();
        let mut attempt = 0u32;
        let mut ever_connected = false;
        let mut broker_said: Option<String> = None;
        self.events.state(self.id, ConnectionState::Connecting);
        let mut coalescer = Coalescer::default();
        loop {
            let polled = coalescer
                .run(event_loop.poll(&self.options, &address))
                .await;
            let failure = match polled {
                Ok(Polled::ConnAck { session_present }) => {
                    attempt = 0;
                    ever_connected = true;
                    broker_said = None;
                    self.connected(session_present);
                    continue;
                }
                Ok(Polled::BrokerDisconnect(reason)) => {
                    broker_said = Some(reason);
                    continue;
                }
                Ok(polled) => {
                    self.handle(polled);
                    continue;
                }
                Err(failure) => failure,
            };
            let Some(reason) = self.lost(failure, broker_said.take(), ever_connected) else {
                return;
            };
            attempt += 1;
            let retry_in = backoff(attempt);
            self.events.state(
                self.id,
                ConnectionState::Reconnecting {
                    attempt,
                    retry_in,
                    reason,
                },
            );
            tokio::time::sleep(retry_in).await;
        }
    }

    /// CONNACK: say so, and subscribe again (rumqttc does not re-subscribe after a reconnect).
    fn connected(&self, session_present: bool) {
        self.events
            .state(self.id, ConnectionState::Connected { session_present });
        let result = self.book().connected(&self.client);
        if let Err(error) = result {
            self.events.error(self.id, error);
        }
    }

    /// Messages to the batcher; acknowledgements to the publishes and subscriptions they end.
    fn handle(&self, polled: Polled) {
        match polled {
            Polled::Publish(incoming) => self.batcher.push(incoming),
            Polled::SentSubscribe(pkid) => self.book().sent(pkid),
            Polled::SentPublish(pkid) => {
                let done = self.book().publish_sent(pkid);
                if let Some(ticket) = done {
                    self.events.published(self.id, ticket, Ok(()));
                }
            }
            Polled::PublishAcked { pkid, refused } => {
                let done = self.book().publish_acked(pkid);
                if let Some(ticket) = done {
                    let result = refused.map_or(Ok(()), |code| Err(NetError::PublishRefused(code)));
                    self.events.published(self.id, ticket, result);
                }
            }
            Polled::PublishRefused { pkid, code } => {
                let done = self.book().publish_acked(pkid);
                if let Some(ticket) = done {
                    self.events
                        .published(self.id, ticket, Err(NetError::PublishRefused(code)));
                }
            }
            Polled::SubAck { pkid, refusals } => {
                let (granted, refused) = self.book().acked(pkid, refusals);
                self.events.subscribed(self.id, granted);
                for error in refused {
                    self.events.error(self.id, error);
                }
            }
            Polled::ConnAck { .. } | Polled::BrokerDisconnect(_) | Polled::Other => {}
        }
    }

    /// The connection broke: fail what waited on it, and return why when it should be
    /// retried; `None` (after reporting) when it is closed for good.
    fn lost(
        &self,
        failure: Failure,
        broker_said: Option<String>,
        ever_connected: bool,
    ) -> Option<String> {
        self.batcher.flush();
        self.book().connected = false;
        let lost = self.book().publishes_lost();
        for ticket in lost {
            self.events
                .published(self.id, ticket, Err(NetError::LostBeforeAck));
        }
        if self.closing.load(Ordering::Acquire) {
            return None;
        }
        // With a TLS origin, rumqttc only sees its local socket close: the origin knows why.
        let failure = match self.origin.as_ref().and_then(TlsOrigin::take_failure) {
            Some((message, permanent)) => Failure { message, permanent },
            None => failure,
        };
        let reason = match broker_said {
            Some(said) => format!("the broker closed the connection: {said}"),
            None => failure.message,
        };
        if failure.permanent || (!ever_connected && !self.options.retry_first_connect) {
            self.events.state(
                self.id,
                ConnectionState::Disconnected {
                    reason: Some(reason),
                },
            );
            return None;
        }
        Some(reason)
    }

    fn book(&self) -> std::sync::MutexGuard<'_, RequestBook> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(4), Duration::from_secs(4));
        assert_eq!(backoff(10), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn suback_refusals_name_their_filter() {
        let mut book = RequestBook::new(vec![]);
        book.queued.push_back(vec!["a/#".into(), "secret/#".into()]);
        book.sent(7);
        let (granted, refused) = book.acked(7, vec![None, Some(ReasonCode::NotAuthorized)]);
        assert_eq!(granted, vec!["a/#"]);
        assert_eq!(
            refused,
            vec![NetError::SubscriptionRefused {
                filter: "secret/#".into(),
                code: ReasonCode::NotAuthorized
            }]
        );
        assert_eq!(
            refused[0].to_string(),
            "subscription to 'secret/#' refused by the broker (0x87 Not authorized)"
        );
    }
}
