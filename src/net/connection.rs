//! One MQTT connection: the rumqttc client and event loop for either protocol version, and the
//! task that polls the event loop, batches messages, reconnects and re-subscribes.

use super::MAX_PACKET_SIZE_BYTES;
use super::batcher::Batcher;
use super::coalesce::Coalescer;
use super::describe::{self, Failure};
use super::events::{ConnectionState, EventSender};
use super::options::{ConnectOptions, ProtocolVersion, Subscription, Transport};
use super::polled::{Polled, polled_v5, polled_v311};
use super::tls_origin::TlsOrigin;
use super::{ConnectionId, OutgoingMessage};
use crate::model::Qos;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Requests rumqttc may hold before `try_*` calls fail; large enough for a burst of clicks
/// and a full re-subscribe.
const REQUEST_CHANNEL_CAPACITY: usize = 1024;

/// Our QoS 1 and 2 publishes awaiting their acknowledgement, at most, per connection (rumqttc's
/// default for MQTT 3.1.1). For MQTT 5 rumqttc otherwise takes 65,535 and allocates a slot for
/// each up front: 14 MiB per connection.
const OUTGOING_INFLIGHT: u16 = 100;

/// Longest wait between reconnect attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15);

/// rumqttc's client handle for either protocol version.
#[derive(Clone)]
pub(super) enum Client {
    V311(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// rumqttc's event loop for either protocol version.
pub(super) enum EventLoop {
    V311(Box<rumqttc::EventLoop>),
    V5(Box<rumqttc::v5::EventLoop>),
}

fn rumqttc_qos(qos: Qos) -> rumqttc::QoS {
    match qos {
        Qos::AtMostOnce => rumqttc::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
        Qos::ExactlyOnce => rumqttc::QoS::ExactlyOnce,
    }
}

fn v5_qos(qos: Qos) -> rumqttc::v5::mqttbytes::QoS {
    use rumqttc::v5::mqttbytes::QoS;
    match qos {
        Qos::AtMostOnce => QoS::AtMostOnce,
        Qos::AtLeastOnce => QoS::AtLeastOnce,
        Qos::ExactlyOnce => QoS::ExactlyOnce,
    }
}

/// How rumqttc reaches the broker: its transport, the address it connects to (a full URL for
/// WebSockets), the port, and the TLS origin task when Canopy opens the TLS itself.
struct Route {
    transport: rumqttc::Transport,
    broker_addr: String,
    port: u16,
    origin: Option<TlsOrigin>,
    /// The Host header WebSockets must send when rumqttc connects to the origin's local port.
    ws_host: Option<String>,
}

fn route(options: &ConnectOptions) -> Result<Route, String> {
    let direct = |transport, broker_addr| Route {
        transport,
        broker_addr,
        port: options.port,
        origin: None,
        ws_host: None,
    };
    let tls = || super::tls::client_config(&options.tls);
    let server_name = options
        .tls
        .server_name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    if options.transport.uses_tls()
        && let Some(name) = server_name
    {
        // rumqttc sends the host as SNI; a different name needs Canopy to open the TLS itself.
        let server_name = rustls::pki_types::ServerName::try_from(name.to_owned())
            .map_err(|_| format!("'{name}' is not a valid certificate name"))?;
        let origin = TlsOrigin::start(
            options.host.clone(),
            options.port,
            server_name,
            tls()?,
            options.tls.client_cert.is_some(),
            Duration::from_secs(options.connect_timeout_secs.max(1)),
        )?;
        let local_port = origin.local_port;
        return Ok(match options.transport {
            Transport::Wss => Route {
                transport: rumqttc::Transport::Ws,
                broker_addr: format!("ws://127.0.0.1:{local_port}{}", ws_path(options)),
                port: local_port,
                origin: Some(origin),
                ws_host: Some(options.address()),
            },
            _ => Route {
                transport: rumqttc::Transport::Tcp,
                broker_addr: "127.0.0.1".to_owned(),
                port: local_port,
                origin: Some(origin),
                ws_host: None,
            },
        });
    }
    let tls_config = || tls().map(rumqttc::TlsConfiguration::Rustls);
    Ok(match options.transport {
        Transport::Tcp => direct(rumqttc::Transport::Tcp, options.host.clone()),
        Transport::Tls => direct(
            rumqttc::Transport::tls_with_config(tls_config()?),
            options.host.clone(),
        ),
        Transport::Ws => direct(rumqttc::Transport::Ws, options.ws_url()),
        Transport::Wss => direct(
            rumqttc::Transport::wss_with_config(tls_config()?),
            options.ws_url(),
        ),
    })
}

fn ws_path(options: &ConnectOptions) -> String {
    let url = options.ws_url();
    let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or_else(|| "/".to_owned(), |i| after_scheme[i..].to_owned())
}

/// Build the rumqttc client and event loop for `options` (and the TLS origin task, when one
/// is needed), or say what is wrong with them (a TLS file that cannot be read, say). Must be
/// called inside the manager's runtime.
pub(super) fn build(
    options: &ConnectOptions,
) -> Result<(Client, EventLoop, Option<TlsOrigin>), String> {
    // rumqttc asserts on these, so clamp instead of letting user input panic it.
    let keep_alive = Duration::from_secs(u64::from(options.keep_alive_secs.max(5)));
    let clean_start = options.clean_start || options.client_id.is_empty();
    let Route {
        transport,
        broker_addr,
        port,
        origin,
        ws_host,
    } = route(options)?;
    let last_will = options.last_will.as_ref();
    let (client, event_loop) = match options.protocol {
        ProtocolVersion::V311 => {
            let mut mqtt = rumqttc::MqttOptions::new(&options.client_id, &broker_addr, port);
            mqtt.set_transport(transport);
            if let Some(host) = ws_host.clone() {
                mqtt.set_request_modifier(move |request| with_host(request, host.clone()));
            }
            if let Some(will) = last_will {
                mqtt.set_last_will(rumqttc::LastWill::new(
                    &will.topic,
                    will.payload.clone(),
                    rumqttc_qos(will.qos),
                    will.retain,
                ));
            }
            mqtt.set_keep_alive(keep_alive)
                .set_clean_session(clean_start)
                .set_inflight(OUTGOING_INFLIGHT)
                .set_max_packet_size(MAX_PACKET_SIZE_BYTES, MAX_PACKET_SIZE_BYTES);
            if let Some((user, password)) = &options.credentials {
                mqtt.set_credentials(user, password);
            }
            let (client, mut event_loop) =
                rumqttc::AsyncClient::new(mqtt, REQUEST_CHANNEL_CAPACITY);
            let mut network = rumqttc::NetworkOptions::new();
            network.set_connection_timeout(options.connect_timeout_secs);
            event_loop.set_network_options(network);
            (Client::V311(client), EventLoop::V311(Box::new(event_loop)))
        }
        ProtocolVersion::V5 => {
            let mut mqtt = rumqttc::v5::MqttOptions::new(&options.client_id, &broker_addr, port);
            mqtt.set_transport(transport);
            if let Some(host) = ws_host {
                mqtt.set_request_modifier(move |request| with_host(request, host.clone()));
            }
            if let Some(will) = last_will {
                mqtt.set_last_will(rumqttc::v5::mqttbytes::v5::LastWill::new(
                    &will.topic,
                    will.payload.clone(),
                    v5_qos(will.qos),
                    will.retain,
                    None,
                ));
            }
            if let Some(secs) = options.session_expiry_secs {
                let mut properties = rumqttc::v5::mqttbytes::v5::ConnectProperties::new();
                properties.session_expiry_interval = Some(secs);
                mqtt.set_connect_properties(properties);
            }
            mqtt.set_keep_alive(keep_alive)
                .set_clean_start(clean_start)
                .set_connection_timeout(options.connect_timeout_secs)
                .set_max_packet_size(Some(MAX_PACKET_SIZE_BYTES as u32))
                .set_outgoing_inflight_upper_limit(OUTGOING_INFLIGHT)
                .set_request_channel_capacity(REQUEST_CHANNEL_CAPACITY);
            if let Some((user, password)) = &options.credentials {
                mqtt.set_credentials(user, password);
            }
            let (client, event_loop) =
                rumqttc::v5::AsyncClient::new(mqtt, REQUEST_CHANNEL_CAPACITY);
            (Client::V5(client), EventLoop::V5(Box::new(event_loop)))
        }
    };
    Ok((client, event_loop, origin))
}

/// The WebSocket upgrade request with the broker's own Host header (it goes to the TLS
/// origin's local port, but is meant for the broker).
async fn with_host(
    mut request: async_tungstenite::tungstenite::http::Request<()>,
    host: String,
) -> async_tungstenite::tungstenite::http::Request<()> {
    if let Ok(value) = async_tungstenite::tungstenite::http::HeaderValue::from_str(&host) {
        request.headers_mut().insert("Host", value);
    }
    request
}

impl Client {
    /// Send one SUBSCRIBE for all `subscriptions`.
    fn try_subscribe(&self, subscriptions: &[Subscription]) -> Result<(), String> {
        if subscriptions.is_empty() {
            return Ok(());
        }
        let result = match self {
            Client::V311(client) => {
                client
                    .try_subscribe_many(subscriptions.iter().map(|s| {
                        rumqttc::SubscribeFilter::new(s.filter.clone(), rumqttc_qos(s.qos))
                    }))
                    .map_err(|e| e.to_string())
            }
            Client::V5(client) => client
                .try_subscribe_many(subscriptions.iter().map(|s| {
                    let mut filter =
                        rumqttc::v5::mqttbytes::v5::Filter::new(s.filter.clone(), v5_qos(s.qos));
                    // Show the retain flag as the publisher set it, not as the broker rewrote it.
                    filter.preserve_retain = true;
                    filter
                }))
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| {
            let filters: Vec<_> = subscriptions.iter().map(|s| s.filter.as_str()).collect();
            format!("could not subscribe to {}: {e}", filters.join(", "))
        })
    }

    fn try_unsubscribe(&self, filter: &str) -> Result<(), String> {
        match self {
            Client::V311(client) => client.try_unsubscribe(filter).map_err(|e| e.to_string()),
            Client::V5(client) => client.try_unsubscribe(filter).map_err(|e| e.to_string()),
        }
        .map_err(|e| format!("could not unsubscribe from {filter}: {e}"))
    }

    /// Queue a PUBLISH.
    fn try_publish(&self, message: &OutgoingMessage) -> Result<(), String> {
        let OutgoingMessage {
            topic,
            payload,
            qos,
            retain,
            properties,
        } = message;
        match self {
            Client::V311(_) if properties.as_ref().is_some_and(|p| !p.is_empty()) => Err(
                "MQTT 3.1.1 has no message properties: connect with MQTT 5 to send them".to_owned(),
            ),
            Client::V311(client) => client
                .try_publish(topic, rumqttc_qos(*qos), *retain, payload.to_vec())
                .map_err(|e| e.to_string()),
            Client::V5(client) => match properties {
                Some(p) => {
                    let properties = rumqttc::v5::mqttbytes::v5::PublishProperties {
                        payload_format_indicator: p.payload_format_indicator,
                        message_expiry_interval: p.message_expiry_interval_secs,
                        topic_alias: None,
                        response_topic: p.response_topic.clone(),
                        correlation_data: p.correlation_data.clone(),
                        user_properties: p.user_properties.clone(),
                        subscription_identifiers: Vec::new(),
                        content_type: p.content_type.clone(),
                    };
                    client
                        .try_publish_with_properties(
                            topic.as_str(),
                            v5_qos(*qos),
                            *retain,
                            payload.clone(),
                            properties,
                        )
                        .map_err(|e| e.to_string())
                }
                None => client
                    .try_publish(topic.as_str(), v5_qos(*qos), *retain, payload.clone())
                    .map_err(|e| e.to_string()),
            },
        }
        .map_err(|e| format!("could not publish to {topic}: {e}"))
    }

    /// Queue a DISCONNECT.
    pub(super) fn try_disconnect(&self) {
        // If the request channel is gone the event loop is gone too: nothing to disconnect.
        match self {
            Client::V311(client) => {
                let _ = client.try_disconnect();
            }
            Client::V5(client) => {
                let _ = client.try_disconnect();
            }
        }
    }
}

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

    fn send(&mut self, client: &Client, subscriptions: Vec<Subscription>) -> Result<(), String> {
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
    ) -> Result<(), String> {
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
    ) -> Result<(), String> {
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
    pub(super) fn unsubscribe(&mut self, client: &Client, filter: &str) -> Result<(), String> {
        self.subscriptions.retain(|s| s.filter != filter);
        if self.connected {
            client.try_unsubscribe(filter)
        } else {
            Ok(())
        }
    }

    fn connected(&mut self, client: &Client) -> Result<(), String> {
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
    fn acked(&mut self, pkid: u16, refusals: Vec<Option<String>>) -> (Vec<String>, Vec<String>) {
        let filters = self.by_pkid.remove(&pkid).unwrap_or_default();
        let mut granted = Vec::new();
        let mut refused = Vec::new();
        for (i, refusal) in refusals.into_iter().enumerate() {
            let filter = filters.get(i).map_or("a topic filter", String::as_str);
            match refusal {
                None => granted.push(filter.to_owned()),
                Some(reason) => refused.push(format!("subscription to '{filter}' {reason}")),
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
            match polled {
                Ok(Polled::Publish(incoming)) => self.batcher.push(incoming),
                Ok(Polled::ConnAck { session_present }) => {
                    attempt = 0;
                    ever_connected = true;
                    broker_said = None;
                    self.events
                        .state(self.id, ConnectionState::Connected { session_present });
                    // rumqttc does not re-subscribe after a reconnect; we do, every time.
                    let result = self.book().connected(&self.client);
                    if let Err(message) = result {
                        self.events.error(self.id, message);
                    }
                }
                Ok(Polled::SentSubscribe(pkid)) => self.book().sent(pkid),
                Ok(Polled::SentPublish(pkid)) => {
                    let done = self.book().publish_sent(pkid);
                    if let Some(ticket) = done {
                        self.events.published(self.id, ticket, Ok(()));
                    }
                }
                Ok(Polled::PublishAcked { pkid, refused }) => {
                    let done = self.book().publish_acked(pkid);
                    if let Some(ticket) = done {
                        self.events
                            .published(self.id, ticket, refused.map_or(Ok(()), Err));
                    }
                }
                Ok(Polled::PublishRefused { pkid, reason }) => {
                    let done = self.book().publish_acked(pkid);
                    if let Some(ticket) = done {
                        self.events.published(self.id, ticket, Err(reason));
                    }
                }
                Ok(Polled::SubAck { pkid, refusals }) => {
                    let (granted, refused) = self.book().acked(pkid, refusals);
                    self.events.subscribed(self.id, granted);
                    for message in refused {
                        self.events.error(self.id, message);
                    }
                }
                Ok(Polled::BrokerDisconnect(reason)) => broker_said = Some(reason),
                Ok(Polled::Other) => {}
                Err(failure) => {
                    self.batcher.flush();
                    self.book().connected = false;
                    let lost = self.book().publishes_lost();
                    for ticket in lost {
                        self.events.published(
                            self.id,
                            ticket,
                            Err("the connection was lost before the broker acknowledged it"
                                .to_owned()),
                        );
                    }
                    if self.closing.load(Ordering::Acquire) {
                        return;
                    }
                    // With a TLS origin, rumqttc only sees its local socket close: the origin
                    // knows why.
                    let failure = match self.origin.as_ref().and_then(TlsOrigin::take_failure) {
                        Some((message, permanent)) => {
                            super::describe::Failure { message, permanent }
                        }
                        None => failure,
                    };
                    let reason = match broker_said.take() {
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
                        return;
                    }
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
        }
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
        let (granted, refused) =
            book.acked(7, vec![None, Some("refused by the broker (0x80)".into())]);
        assert_eq!(granted, vec!["a/#"]);
        assert_eq!(
            refused,
            vec!["subscription to 'secret/#' refused by the broker (0x80)"]
        );
    }
}
