#!/usr/bin/env bash
# Runs Canopy's whole test suite: unit tests, integration tests against a real mosquitto that the
# tests start on free loopback ports, CLI tests and egui_kittest UI tests (headless, no GPU).
# Installs the system packages the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt-ensure.sh build-essential mosquitto mosquitto-clients
cargo test --workspace "$@"
