//! The bundled broker and demo fleet as the window runs them: the Broker panel's form, the
//! running instances, and a twice-a-second snapshot of their status for drawing.

use super::FieldError;
use crate::broker::{
    Acl, Broker, BrokerConfig, BrokerError, ClientSummary, ListenerInfo, MeterSnapshot,
    TlsIdentity, TlsListenerConfig, TraceEntry, Users,
};
use crate::model::SysDashboard;
use crate::sim::{Fleet, SimOptions};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// How often the status snapshot is refreshed.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(500);

/// Most trace entries drawn (the ring keeps more).
const TRACE_SHOWN: usize = 2_000;

/// What the Broker panel's form holds, as typed.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct BrokerForm {
    pub bind: String,
    pub port: String,
    /// Also listen with TLS.
    pub tls: bool,
    pub tls_port: String,
    /// PEM certificate path; empty means a self-signed certificate.
    pub tls_cert: String,
    /// PEM key path.
    pub tls_key: String,
    /// Also listen for WebSockets.
    pub websocket: bool,
    /// WebSocket port.
    pub websocket_port: String,
    /// Largest packet, in KiB.
    pub max_packet_kib: String,
    /// Users and their passwords (kept only in memory, hashed when the broker starts).
    pub users: Vec<(String, String)>,
    /// Accept clients without a user name even when users are set.
    pub allow_anonymous: bool,
    /// ACL in mosquitto's format; empty means everything is allowed.
    pub acl: String,
}

impl Default for BrokerForm {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1".into(),
            port: "1883".into(),
            tls: false,
            tls_port: "8883".into(),
            tls_cert: String::new(),
            tls_key: String::new(),
            websocket: false,
            websocket_port: "9001".into(),
            max_packet_kib: "16384".into(),
            users: Vec::new(),
            allow_anonymous: true,
            acl: String::new(),
        }
    }
}

fn port(field: &'static str, text: &str) -> Result<u16, FieldError> {
    text.trim().parse::<u16>().map_err(|_| {
        FieldError::new(
            field,
            format!("'{}' is not a port number (0–65535)", text.trim()),
        )
    })
}

impl BrokerForm {
    /// The broker configuration, or which field is wrong and why.
    pub fn to_config(&self) -> Result<BrokerConfig, FieldError> {
        let bind: IpAddr = self.bind.trim().parse().map_err(|_| {
            FieldError::new(
                "Bind address",
                format!("'{}' is not an IP address", self.bind.trim()),
            )
        })?;
        let max_packet_kib: u32 = self
            .max_packet_kib
            .trim()
            .parse()
            .ok()
            .filter(|&k| (1..=262_144).contains(&k))
            .ok_or_else(|| {
                FieldError::new(
                    "Max packet size",
                    format!(
                        "'{}' is not a size from 1 to 262144 KiB",
                        self.max_packet_kib.trim()
                    ),
                )
            })?;
        let mut users = Users::default();
        for (name, password) in &self.users {
            if name.trim().is_empty() {
                return Err(FieldError::new("Users", "a user has no name"));
            }
            users
                .set(name.trim(), password)
                .map_err(|e| FieldError::new("Users", e))?;
        }
        let has_users = !self.users.is_empty();
        let acl = if self.acl.trim().is_empty() {
            None
        } else {
            Some(Acl::parse(&self.acl).map_err(|e| FieldError::new("ACL", e))?)
        };
        let tls = if self.tls {
            let identity = if self.tls_cert.trim().is_empty() {
                TlsIdentity::SelfSigned
            } else {
                if self.tls_key.trim().is_empty() {
                    return Err(FieldError::new(
                        "TLS key",
                        "a certificate needs its private key file",
                    ));
                }
                TlsIdentity::PemFiles {
                    cert: PathBuf::from(self.tls_cert.trim()),
                    key: PathBuf::from(self.tls_key.trim()),
                }
            };
            Some(TlsListenerConfig {
                port: port("TLS port", &self.tls_port)?,
                identity,
            })
        } else {
            None
        };
        Ok(BrokerConfig {
            bind,
            port: port("Port", &self.port)?,
            max_packet_size: max_packet_kib * 1024,
            allow_anonymous: !has_users || self.allow_anonymous,
            users: has_users.then_some(users),
            acl,
            tls,
            websocket_port: if self.websocket {
                Some(port("WebSocket port", &self.websocket_port)?)
            } else {
                None
            },
            ..BrokerConfig::default()
        })
    }

    /// True when the broker would be reachable from other machines without a password.
    pub fn exposed_without_auth(&self) -> bool {
        let loopback = self
            .bind
            .trim()
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
        !loopback && (self.users.is_empty() || self.allow_anonymous)
    }
}

/// Why the demo fleet did not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The fleet publishes to the bundled broker, which is not running.
    #[error("start the broker first")]
    NoBroker,
    /// The fleet's runtime or threads could not start.
    #[error("demo fleet: {0}")]
    Start(std::io::Error),
}

/// Why the broker did not start, and a free port to offer when the port was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartFailure {
    /// What went wrong, in plain words.
    pub message: String,
    /// A port that was free a moment ago, when the asked-for one was taken.
    pub free_port: Option<u16>,
}

/// The broker's status at the last snapshot.
#[derive(Clone, Debug, Default)]
pub struct BrokerStatus {
    /// Listeners with their real addresses.
    pub listeners: Vec<ListenerInfo>,
    pub uptime: Duration,
    pub meters: MeterSnapshot,
    /// Messages received per second over the last snapshot interval.
    pub received_per_sec: f64,
    /// Messages sent per second.
    pub sent_per_sec: f64,
    /// Bytes received per second.
    pub bytes_in_per_sec: f64,
    /// Bytes sent per second.
    pub bytes_out_per_sec: f64,
    /// Retained messages stored.
    pub retained: usize,
    pub clients: Vec<ClientSummary>,
    /// The self-signed certificate, when one was generated.
    pub generated_cert_pem: Option<String>,
}

/// What the packet trace shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceFilter {
    /// Only this client's packets.
    pub client: Option<String>,
    /// Only this packet type.
    pub kind: Option<&'static str>,
}

/// The bundled broker and the demo fleet, as the window drives them.
#[derive(Default)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct LocalBroker {
    pub form: BrokerForm,
    /// Why the last start failed.
    pub failure: Option<StartFailure>,
    /// Which packets the trace shows.
    pub trace_filter: TraceFilter,
    broker: Option<Broker>,
    fleet: Option<Fleet>,
    status: BrokerStatus,
    trace: Vec<TraceEntry>,
    last_snapshot: Option<(Instant, MeterSnapshot)>,
    dashboard: SysDashboard,
}

impl LocalBroker {
    /// Start the broker from the form; on failure the reason is kept in `failure`.
    pub fn start(&mut self) -> bool {
        self.stop();
        let config = match self.form.to_config() {
            Ok(config) => config,
            Err(error) => {
                self.failure = Some(StartFailure {
                    message: error.to_string(),
                    free_port: None,
                });
                return false;
            }
        };
        let bind = config.bind;
        match Broker::start(config) {
            Ok(broker) => {
                broker.set_trace_enabled(true);
                self.broker = Some(broker);
                self.failure = None;
                self.last_snapshot = None;
                self.dashboard = SysDashboard::default();
                self.refresh(Instant::now());
                true
            }
            Err(error) => {
                let free_port = error
                    .is_port_taken()
                    .then(|| {
                        std::net::TcpListener::bind((bind, 0))
                            .ok()?
                            .local_addr()
                            .ok()
                            .map(|a| a.port())
                    })
                    .flatten();
                let message = match &error {
                    BrokerError::Bind { address, .. } if error.is_port_taken() => {
                        format!(
                            "Port {} is already in use by another program.",
                            address.port()
                        )
                    }
                    other => other.to_string(),
                };
                self.failure = Some(StartFailure { message, free_port });
                false
            }
        }
    }

    /// Stop the fleet and the broker.
    pub fn stop(&mut self) {
        if let Some(fleet) = self.fleet.take() {
            fleet.stop();
        }
        if let Some(broker) = self.broker.take() {
            broker.stop();
        }
        self.status = BrokerStatus::default();
        self.trace.clear();
    }

    /// Whether the broker runs.
    pub fn is_running(&self) -> bool {
        self.broker.is_some()
    }

    /// The plain MQTT listener's address, while running.
    pub fn address(&self) -> Option<SocketAddr> {
        self.broker.as_ref().map(Broker::local_addr)
    }

    /// Start the demo fleet against the running broker.
    pub fn start_fleet(&mut self) -> Result<(), FleetError> {
        let Some(address) = self.address() else {
            return Err(FleetError::NoBroker);
        };
        let host = if address.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            address.ip().to_string()
        };
        let fleet =
            Fleet::start(SimOptions::new(host, address.port())).map_err(FleetError::Start)?;
        self.fleet = Some(fleet);
        Ok(())
    }

    /// Stop the demo fleet.
    pub fn stop_fleet(&mut self) {
        if let Some(fleet) = self.fleet.take() {
            fleet.stop();
        }
    }

    /// The running fleet, if any.
    pub fn fleet(&self) -> Option<&Fleet> {
        self.fleet.as_ref()
    }

    #[expect(missing_docs, reason = "the names say what these are")]
    pub fn disconnect_client(&self, client_id: &str) {
        if let Some(broker) = &self.broker {
            broker.disconnect_client(client_id);
        }
    }

    /// Record packets or not.
    pub fn set_trace_enabled(&self, enabled: bool) {
        if let Some(broker) = &self.broker {
            broker.set_trace_enabled(enabled);
        }
    }

    /// Whether packets are recorded.
    pub fn trace_enabled(&self) -> bool {
        self.broker.as_ref().is_some_and(Broker::trace_enabled)
    }

    /// Forget the recorded packets.
    pub fn clear_trace(&mut self) {
        if let Some(broker) = &self.broker {
            broker.clear_trace();
        }
        self.trace.clear();
    }

    /// The broker's own `$SYS` values and rates, read from its meters at each refresh.
    pub fn dashboard(&self) -> &SysDashboard {
        &self.dashboard
    }

    /// Status at the last snapshot.
    pub fn status(&self) -> &BrokerStatus {
        &self.status
    }

    /// Trace entries passing the filter, oldest first, at the last snapshot.
    pub fn trace(&self) -> &[TraceEntry] {
        &self.trace
    }

    /// Refresh the snapshot if it is older than half a second (or `force`d by a filter change).
    pub fn refresh_if_due(&mut self, now: Instant, force: bool) {
        let due = self
            .last_snapshot
            .is_none_or(|(at, _)| now.duration_since(at) >= SNAPSHOT_EVERY);
        if due || force {
            self.refresh(now);
        }
    }

    fn refresh(&mut self, now: Instant) {
        let Some(broker) = &self.broker else {
            return;
        };
        let meters = broker.meters();
        let read_at = SystemTime::now();
        for (topic, value) in broker.sys_values() {
            self.dashboard.ingest(&topic, value.as_bytes(), read_at);
        }
        if let Some((at, previous)) = self.last_snapshot {
            let secs = now.duration_since(at).as_secs_f64().max(1e-3);
            let per_sec = |now: u64, then: u64| now.saturating_sub(then) as f64 / secs;
            self.status.received_per_sec =
                per_sec(meters.messages_received, previous.messages_received);
            self.status.sent_per_sec = per_sec(meters.messages_sent, previous.messages_sent);
            self.status.bytes_in_per_sec = per_sec(meters.bytes_received, previous.bytes_received);
            self.status.bytes_out_per_sec = per_sec(meters.bytes_sent, previous.bytes_sent);
        }
        self.last_snapshot = Some((now, meters));
        self.status.meters = meters;
        self.status.listeners = broker.listeners().to_vec();
        self.status.uptime = broker.uptime();
        self.status.retained = broker.retained_count();
        self.status.clients = broker.clients();
        self.status.generated_cert_pem = broker.generated_cert_pem().map(str::to_owned);
        let filter = &self.trace_filter;
        let mut trace = broker.trace(|entry| {
            filter
                .client
                .as_deref()
                .is_none_or(|c| &*entry.client_id == c)
                && filter.kind.is_none_or(|k| entry.packet.kind() == k)
        });
        if trace.len() > TRACE_SHOWN {
            trace.drain(..trace.len() - TRACE_SHOWN);
        }
        self.trace = trace;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_validated_by_name() {
        let mut form = BrokerForm::default();
        assert!(form.to_config().is_ok());
        form.port = "70000".into();
        assert_eq!(
            form.to_config().err().map(|e| e.to_string()).as_deref(),
            Some("Port: '70000' is not a port number (0–65535)")
        );
        form.port = "1883".into();
        form.bind = "my laptop".into();
        assert!(
            form.to_config()
                .err()
                .is_some_and(|e| e.field == "Bind address")
        );
        form.bind = "127.0.0.1".into();
        form.acl = "topic read a/#\nbogus".into();
        assert!(
            form.to_config()
                .err()
                .is_some_and(|e| e.to_string().starts_with("ACL: line 2:"))
        );
        form.acl.clear();
        form.tls = true;
        form.tls_cert = "/tmp/cert.pem".into();
        assert!(form.to_config().err().is_some_and(|e| e.field == "TLS key"));
    }

    #[test]
    fn exposure_warning_follows_bind_address_and_users() {
        let mut form = BrokerForm::default();
        assert!(!form.exposed_without_auth());
        form.bind = "0.0.0.0".into();
        assert!(form.exposed_without_auth());
        form.users.push(("alice".into(), "pw".into()));
        form.allow_anonymous = false;
        assert!(!form.exposed_without_auth());
    }
}
