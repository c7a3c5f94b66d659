//! The demo device fleet: simulated home and factory devices publishing to a broker, each on its
//! own MQTT connection, so a new user sees a living tree at once and benchmarks have a load.

mod devices;
mod household;
pub mod sparkplug;
pub mod telemetry;

pub use devices::{DeviceKind, DeviceSpec, catalogue};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// What to simulate and where.
#[derive(Clone, Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct SimOptions {
    pub host: String,
    pub port: u16,
    pub devices: usize,
    /// Telemetry messages per second per device.
    pub rate_hz: f64,
    /// Let some devices drop off without DISCONNECT (their wills fire) and come back.
    pub dropouts: bool,
    /// Seed for the simulated values.
    pub seed: u64,
}

impl SimOptions {
    /// About 50 devices at 1 Hz each against `host:port`, with drop-outs.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            devices: 50,
            rate_hz: 1.0,
            dropouts: true,
            seed: 7,
        }
    }
}

/// Counters of a running fleet.
#[derive(Debug, Default)]
pub struct FleetStats {
    published: AtomicU64,
    connected: AtomicUsize,
}

impl FleetStats {
    /// Messages published so far.
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Devices connected right now.
    pub fn connected(&self) -> usize {
        self.connected.load(Ordering::Relaxed)
    }
}

/// A running fleet. Dropping it disconnects every device.
pub struct Fleet {
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<FleetStats>,
    devices: usize,
}

impl Fleet {
    /// Start the fleet on a thread of its own.
    pub fn start(options: SimOptions) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stop_rx) = watch::channel(false);
        let stats = Arc::new(FleetStats::default());
        let specs = catalogue(options.devices);
        let devices = specs.len();
        let task_stats = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("canopy-sim".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut tasks = tokio::task::JoinSet::new();
                    for (index, spec) in specs.into_iter().enumerate() {
                        let device = devices::Device::new(spec, &options, index as u64);
                        tasks.spawn(device.run(Arc::clone(&task_stats), stop_rx.clone()));
                    }
                    while tasks.join_next().await.is_some() {}
                });
            })?;
        Ok(Self {
            stop,
            thread: Some(thread),
            stats,
            devices,
        })
    }

    /// How many devices are online and how much they published.
    pub fn stats(&self) -> &FleetStats {
        &self.stats
    }

    /// Number of simulated devices.
    pub fn device_count(&self) -> usize {
        self.devices
    }

    /// Disconnect every device cleanly and end the fleet's thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// How long a device that drops out stays away.
const DROPOUT_ABSENCE: Duration = Duration::from_secs(8);
