//! Integration tests: one binary (one link) with a module per area. Every test talks to real
//! things: mosquitto on a free loopback port, the canopy binary, the egui UI through kittest.

#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test with a message when their setup fails"
)]

mod broker;
mod broker_app;
mod broker_hostile;
mod broker_security;
mod broker_v5;
mod common;
mod connections;
mod inspect_ui;
mod monitor;
mod net;
mod packaging;
mod profiles_ui;
mod publish;
mod publish_ui;
mod record;
mod record_ui;
mod schemas_ui;
mod sparkplug_ui;
mod sub_cli;
mod ui;
