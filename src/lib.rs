//! Canopy: a fast native desktop MQTT explorer and broker monitor.
//!
//! `model`, `payload` and `net` know nothing of the window, so `canopy sub`, the tests and the
//! benchmarks run the same pipeline the GUI does.

/// The version and the commit it was built from: `0.1.0 (commit 1a2b3c4d5e6f)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CANOPY_COMMIT"),
    ")"
);

#[cfg(feature = "gui")]
pub mod app;
pub mod broker;
pub mod cli;
pub mod model;
pub mod mqtt;
pub mod net;
pub mod payload;
pub mod pem;
pub mod process;
pub mod profile_options;
pub mod record;
pub mod settings;
pub mod sim;
