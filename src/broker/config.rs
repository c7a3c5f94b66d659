//! How the bundled broker is set up.

use super::auth::{Acl, Users};
use super::tls::TlsIdentity;
use crate::mqtt::{ReasonCode, TopicLimits};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// A TLS listener: port and identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsListenerConfig {
    /// Port (0 picks a free one).
    pub port: u16,
    /// Certificate and key.
    pub identity: TlsIdentity,
}

/// Settings of one broker instance.
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Address to listen on; 127.0.0.1 unless the user chose another.
    pub bind: IpAddr,
    /// TCP port (0 picks a free one).
    pub port: u16,
    /// Largest packet accepted, checked from the fixed header before the body is buffered.
    pub max_packet_size: u32,
    /// Time a new connection has to send CONNECT.
    pub connect_timeout: Duration,
    /// Largest CONNECT accepted: a stranger is not trusted with a full packet's worth.
    pub max_connect_size: u32,
    /// Bytes all connections that have not finished CONNECT may buffer between them.
    pub stranger_budget_bytes: usize,
    /// Most messages queued per client.
    pub max_queued_messages: usize,
    /// Most bytes queued per client.
    pub max_queued_bytes: usize,
    /// Unacknowledged QoS 1/2 messages allowed to an MQTT 3.1.1 client (MQTT 5 clients say theirs).
    pub max_inflight_v311: u16,
    /// Receive Maximum announced to MQTT 5 clients: their unreleased QoS 2 messages to us.
    pub receive_maximum: u16,
    /// Topic Alias Maximum announced to MQTT 5 clients.
    pub topic_alias_maximum: u16,
    /// Deepest and longest topic names and filters accepted (200 levels, as mosquitto).
    pub topic_limits: TopicLimits,
    /// Longest keep alive granted to MQTT 5 clients, in seconds: one asking for more, or for
    /// none, is told this value as Server Keep Alive.
    pub max_keep_alive_secs: u16,
    /// Seconds between `$SYS` updates; 0 turns `$SYS` off.
    pub sys_interval: Duration,
    /// Accept clients that send no user name.
    pub allow_anonymous: bool,
    /// Users and password hashes; when set, a user name must come with the right password.
    pub users: Option<Users>,
    /// Topic permissions; when set, anything not granted is refused.
    pub acl: Option<Acl>,
    /// What an MQTT 5 SUBACK says for a subscription the ACL refuses (3.1.1 can only say 0x80).
    pub acl_suback_code: ReasonCode,
    /// An MQTT-over-TLS listener on the same address.
    pub tls: Option<TlsListenerConfig>,
    /// An MQTT-over-WebSocket listener (subprotocol `mqtt`, any path) on the same address.
    pub websocket_port: Option<u16>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 1883,
            max_packet_size: 16 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
            max_connect_size: 64 * 1024,
            stranger_budget_bytes: 16 * 1024 * 1024,
            max_queued_messages: 10_000,
            max_queued_bytes: 64 * 1024 * 1024,
            max_inflight_v311: 20,
            receive_maximum: 1024,
            max_keep_alive_secs: 3600,
            topic_alias_maximum: 64,
            topic_limits: TopicLimits::default(),
            sys_interval: Duration::from_secs(5),
            allow_anonymous: true,
            users: None,
            acl: None,
            acl_suback_code: ReasonCode::NotAuthorized,
            tls: None,
            websocket_port: None,
        }
    }
}
