//! Shared test helpers: free ports, a real mosquitto per test, waiting on events.

pub mod pki;
pub mod raw;
pub mod ui;

use canopy::net::{ConnectionId, ConnectionManager, ConnectionState, Event, EventKind};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that nothing listened on a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// True when running in CI, where a missing tool is a failure rather than a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether `tool` is on PATH. Outside CI a missing tool prints a loud SKIPPED line; in CI it fails.
pub fn require_tool(tool: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            !in_ci(),
            "{tool} is required in CI (test {test}); .ci/run installs it"
        );
        eprintln!(
            "\n*** SKIPPED {test}: {tool} is not installed (scripts/test.sh installs it) ***\n"
        );
    }
    found
}

/// A mosquitto broker started for one test, on its own port and config, killed on drop.
pub struct Mosquitto {
    child: Option<Child>,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    /// Start mosquitto on a free port; `None` (after a loud skip message) if it is not installed.
    pub fn start(test: &str) -> Option<Self> {
        Self::start_with(test, "")
    }

    /// Start mosquitto with extra configuration lines.
    pub fn start_with(test: &str, extra_config: &str) -> Option<Self> {
        if !require_tool("mosquitto", test) {
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let config = dir.path().join("mosquitto.conf");
        let mut file = std::fs::File::create(&config).expect("write config");
        writeln!(
            file,
            "listener {port} 127.0.0.1\nallow_anonymous true\n{extra_config}"
        )
        .expect("write config");
        let mut broker = Self {
            child: None,
            port,
            config,
            _dir: dir,
        };
        broker.spawn();
        Some(broker)
    }

    fn spawn(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mosquitto did not start listening on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kill the broker abruptly (SIGKILL), as a crash or a pulled cable would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Publish with the real mosquitto_pub client; extra args as given.
    pub fn publish(&self, args: &[&str]) {
        let status = Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .status()
            .expect("run mosquitto_pub");
        assert!(status.success(), "mosquitto_pub {args:?} failed");
    }

    /// Publish each line of `lines` as one message to `topic` (mosquitto_pub -l).
    pub fn publish_lines(&self, topic: &str, lines: &str) {
        let mut child = Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-t",
                topic,
                "-l",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .expect("run mosquitto_pub -l");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(lines.as_bytes())
            .expect("feed mosquitto_pub");
        assert!(child.wait().expect("wait").success());
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A manager whose events the test reads directly.
pub fn manager() -> ConnectionManager {
    ConnectionManager::start(Arc::new(|| {})).expect("start the connection manager")
}

/// Read events for `id` until `done` says so; panics with everything seen after `timeout`.
pub fn wait_for<T>(
    manager: &ConnectionManager,
    id: ConnectionId,
    timeout: Duration,
    mut done: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out; events seen: {seen:#?}");
        let Some(event) = manager
            .events()
            .recv_timeout(left.min(Duration::from_millis(100)))
        else {
            continue;
        };
        if event.connection != id {
            continue;
        }
        if let Some(result) = done(&event) {
            return result;
        }
        seen.push(match &event.kind {
            EventKind::Batch(batch) => format!("batch of {}", batch.len()),
            other => format!("{other:?}"),
        });
    }
}

/// Wait until the connection reports Connected.
pub fn wait_connected(manager: &ConnectionManager, id: ConnectionId) {
    wait_for(manager, id, Duration::from_secs(15), |event| {
        matches!(
            event.kind,
            EventKind::State(ConnectionState::Connected { .. })
        )
        .then_some(())
    });
}

/// Wait until the connection is up and the broker acknowledged its subscriptions.
pub fn wait_subscribed(manager: &ConnectionManager, id: ConnectionId) {
    wait_for(manager, id, Duration::from_secs(15), |event| {
        matches!(event.kind, EventKind::Subscribed(_)).then_some(())
    });
}

/// Poll `condition` until it holds; panics naming `what` after `timeout`. `what` may say
/// where things stood (it is built when the wait fails).
pub fn wait_until(
    what: impl Fn() -> String,
    timeout: Duration,
    mut condition: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting: {}", what());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The `canopy` binary under test.
pub fn canopy() -> Command {
    Command::new(env!("CARGO_BIN_EXE_canopy"))
}

/// The bundled broker on a free loopback port without its $SYS publisher, so a test sees
/// only its own traffic.
pub fn start_quiet_broker(config: canopy::broker::BrokerConfig) -> canopy::broker::Broker {
    start_broker(canopy::broker::BrokerConfig {
        sys_interval: Duration::ZERO,
        ..config
    })
}

/// The bundled broker on a free loopback port, with `config`'s other settings.
pub fn start_broker(config: canopy::broker::BrokerConfig) -> canopy::broker::Broker {
    canopy::broker::Broker::start(canopy::broker::BrokerConfig { port: 0, ..config })
        .expect("start the bundled broker")
}

/// A connection subscribed to `filter` at QoS 2 (so messages keep their publisher's QoS) on the
/// broker at `port`, once the broker acknowledged the subscription.
pub fn listen(port: u16, filter: &str) -> (ConnectionManager, ConnectionId) {
    let mut manager = manager();
    let mut options = canopy::net::ConnectOptions::new("127.0.0.1", port);
    options.subscriptions = vec![canopy::net::Subscription {
        filter: filter.to_owned(),
        qos: canopy::mqtt::Qos::ExactlyOnce,
    }];
    let (id, _) = manager.connect(options);
    wait_subscribed(&manager, id);
    (manager, id)
}

/// The next `count` messages on `id`, in arrival order.
pub fn messages(
    manager: &ConnectionManager,
    id: ConnectionId,
    count: usize,
) -> Vec<canopy::model::Incoming> {
    let mut received = Vec::new();
    while received.len() < count {
        let batch = wait_for(manager, id, Duration::from_secs(10), |event| {
            match &event.kind {
                EventKind::Batch(batch) => Some(batch.clone()),
                _ => None,
            }
        });
        received.extend(batch);
    }
    received
}

/// The first message of the next batch on `id`.
pub fn next_message(manager: &ConnectionManager, id: ConnectionId) -> canopy::model::Incoming {
    wait_for(manager, id, Duration::from_secs(10), |event| {
        match &event.kind {
            EventKind::Batch(batch) => batch.first().cloned(),
            _ => None,
        }
    })
}
