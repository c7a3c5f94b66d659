#!/usr/bin/env bash
# Runs Canopy's whole test suite: unit tests, integration tests against a real mosquitto that the
# tests start on free loopback ports, CLI tests and egui_kittest UI tests (headless, no GPU).
# Installs the system packages the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt-ensure.sh build-essential mosquitto mosquitto-clients
# The recordings interop test reads and writes MCAP with the Python `mcap` package.
if python=$(scripts/python-mcap.sh); then
  export CANOPY_PYTHON="$python"
else
  echo "*** could not set up Python with the mcap package: its interop tests will say so ***" >&2
fi
cargo test --workspace "$@"
