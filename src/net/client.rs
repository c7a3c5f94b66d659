//! The one place Canopy builds rumqttc clients: the window's connections, the command line and
//! the demo fleet all get theirs here, so settings such as the in-flight window and the packet
//! size limit cannot be forgotten in one of them.

use super::MAX_PACKET_SIZE_BYTES;
use super::OutgoingMessage;
use super::error::{NetError, TlsError};
use super::options::{ConnectOptions, Subscription, Transport};
use super::tls_origin::TlsOrigin;
use crate::mqtt::{ProtocolVersion, Qos};
use std::time::Duration;

/// Requests rumqttc may hold before `try_*` calls fail; large enough for a burst of clicks
/// and a full re-subscribe.
const REQUEST_CHANNEL_CAPACITY: usize = 1024;

/// Our QoS 1 and 2 publishes awaiting their acknowledgement, at most, per connection (rumqttc's
/// default for MQTT 3.1.1). For MQTT 5 rumqttc otherwise takes 65,535 and allocates a slot for
/// each up front: 14 MiB per connection.
const OUTGOING_INFLIGHT: u16 = 100;

/// rumqttc's client handle for either protocol version.
#[derive(Clone)]
pub(crate) enum Client {
    V311(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// rumqttc's event loop for either protocol version.
pub(crate) enum EventLoop {
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

fn route(options: &ConnectOptions) -> Result<Route, NetError> {
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
            .map_err(|_| TlsError::BadServerName(name.to_owned()))?;
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
pub(crate) fn build(
    options: &ConnectOptions,
) -> Result<(Client, EventLoop, Option<TlsOrigin>), NetError> {
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
    pub(crate) fn try_subscribe(&self, subscriptions: &[Subscription]) -> Result<(), NetError> {
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
        result.map_err(|reason| {
            let filters: Vec<_> = subscriptions.iter().map(|s| s.filter.as_str()).collect();
            NetError::Subscribe {
                filters: filters.join(", "),
                reason,
            }
        })
    }

    pub(super) fn try_unsubscribe(&self, filter: &str) -> Result<(), NetError> {
        match self {
            Client::V311(client) => client.try_unsubscribe(filter).map_err(|e| e.to_string()),
            Client::V5(client) => client.try_unsubscribe(filter).map_err(|e| e.to_string()),
        }
        .map_err(|reason| NetError::Unsubscribe {
            filter: filter.to_owned(),
            reason,
        })
    }

    /// Queue a PUBLISH.
    pub(super) fn try_publish(&self, message: &OutgoingMessage) -> Result<(), NetError> {
        let OutgoingMessage {
            topic,
            payload,
            qos,
            retain,
            properties,
        } = message;
        match self {
            Client::V311(_) if properties.as_ref().is_some_and(|p| !p.is_empty()) => {
                return Err(NetError::PropertiesNeedV5 {
                    topic: topic.clone(),
                });
            }
            Client::V311(client) => client
                .try_publish(topic, rumqttc_qos(*qos), *retain, payload.to_vec())
                .map_err(|e| e.to_string()),
            Client::V5(client) => match properties {
                Some(p) => client
                    .try_publish_with_properties(
                        topic.as_str(),
                        v5_qos(*qos),
                        *retain,
                        payload.clone(),
                        v5_properties(p),
                    )
                    .map_err(|e| e.to_string()),
                None => client
                    .try_publish(topic.as_str(), v5_qos(*qos), *retain, payload.clone())
                    .map_err(|e| e.to_string()),
            },
        }
        .map_err(|reason| NetError::Publish {
            topic: topic.clone(),
            reason,
        })
    }

    /// True for an MQTT 5 client.
    pub(crate) fn is_v5(&self) -> bool {
        matches!(self, Client::V5(_))
    }

    /// Publish, waiting while rumqttc's request queue is full (the demo fleet's pace). Fails
    /// only when the event loop is gone.
    pub(crate) async fn publish(&self, message: OutgoingMessage) -> Result<(), NetError> {
        let OutgoingMessage {
            topic,
            payload,
            qos,
            retain,
            properties,
        } = message;
        match self {
            Client::V311(client) => client
                .publish(topic, rumqttc_qos(qos), retain, payload.to_vec())
                .await
                .map_err(|e| NetError::Stopped(e.to_string())),
            Client::V5(client) => {
                let properties = properties.as_ref().map(v5_properties).unwrap_or_default();
                client
                    .publish_with_properties(topic, v5_qos(qos), retain, payload, properties)
                    .await
                    .map_err(|e| NetError::Stopped(e.to_string()))
            }
        }
    }

    /// Send a DISCONNECT, waiting for room in the request queue.
    pub(crate) async fn disconnect(&self) {
        // If the request channel is gone the event loop is gone too: nothing to disconnect.
        let _ = match self {
            Client::V311(client) => client.disconnect().await.is_ok(),
            Client::V5(client) => client.disconnect().await.is_ok(),
        };
    }

    /// Queue a DISCONNECT.
    pub(crate) fn try_disconnect(&self) {
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

fn v5_properties(
    p: &crate::model::MessageProperties,
) -> rumqttc::v5::mqttbytes::v5::PublishProperties {
    rumqttc::v5::mqttbytes::v5::PublishProperties {
        payload_format_indicator: p.payload_format_indicator,
        message_expiry_interval: p.message_expiry_interval_secs,
        topic_alias: None,
        response_topic: p.response_topic.clone(),
        correlation_data: p.correlation_data.clone(),
        user_properties: p.user_properties.clone(),
        subscription_identifiers: Vec::new(),
        content_type: p.content_type.clone(),
    }
}

impl EventLoop {
    /// Drive the connection one step, for clients that publish and listen to little (the demo
    /// fleet): whether the step was the broker's CONNACK or a message, and its topic.
    pub(crate) async fn step(&mut self) -> Result<Step, NetError> {
        match self {
            EventLoop::V311(event_loop) => event_loop
                .poll()
                .await
                .map(|event| match event {
                    rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_)) => Step::Connected,
                    rumqttc::Event::Incoming(rumqttc::Packet::Publish(publish)) => {
                        Step::Message(publish.topic)
                    }
                    _ => Step::Other,
                })
                .map_err(|e| NetError::Connection(e.to_string())),
            EventLoop::V5(event_loop) => event_loop
                .poll()
                .await
                .map(|event| {
                    use rumqttc::v5::mqttbytes::v5::Packet;
                    match event {
                        rumqttc::v5::Event::Incoming(Packet::ConnAck(_)) => Step::Connected,
                        rumqttc::v5::Event::Incoming(Packet::Publish(publish)) => {
                            Step::Message(String::from_utf8_lossy(&publish.topic).into_owned())
                        }
                        _ => Step::Other,
                    }
                })
                .map_err(|e| NetError::Connection(e.to_string())),
        }
    }
}

/// What one step of an [`EventLoop`] was.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// The broker accepted the connection.
    Connected,
    /// A message arrived on this topic.
    Message(String),
    /// Anything else.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every client Canopy opens gets the same bounded in-flight window and packet size: the
    /// MQTT 5 default of 65,535 in-flight slots cost 14 MiB per connection.
    #[test]
    fn one_builder_bounds_every_client() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            for protocol in ProtocolVersion::ALL {
                let mut options = ConnectOptions::new("127.0.0.1", 1883);
                options.protocol = protocol;
                options.client_id = "builder-test".into();
                let (client, event_loop, origin) = build(&options).expect("plain TCP builds");
                assert!(origin.is_none());
                match (client, event_loop) {
                    (Client::V311(_), EventLoop::V311(event_loop)) => {
                        assert_eq!(protocol, ProtocolVersion::V311);
                        assert_eq!(event_loop.mqtt_options.inflight(), OUTGOING_INFLIGHT);
                        assert_eq!(
                            event_loop.mqtt_options.max_packet_size(),
                            MAX_PACKET_SIZE_BYTES
                        );
                    }
                    (Client::V5(_), EventLoop::V5(event_loop)) => {
                        assert_eq!(protocol, ProtocolVersion::V5);
                        assert_eq!(
                            event_loop.options.get_outgoing_inflight_upper_limit(),
                            Some(OUTGOING_INFLIGHT)
                        );
                        assert_eq!(
                            event_loop.options.max_packet_size(),
                            Some(MAX_PACKET_SIZE_BYTES as u32)
                        );
                    }
                    _ => panic!("client and event loop of different versions"),
                }
            }
        });
    }
}
