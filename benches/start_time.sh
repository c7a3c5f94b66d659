#!/usr/bin/env bash
# Time from process start to the first drawn frame, for the release build, under Xvfb.
# Runs the default start (a first run: bundled broker + demo fleet) RUNS times in an empty
# config directory and prints each time the window reports, plus the wall-clock time of the
# whole run (start, first frame, close). Needs xvfb-run (scripts/run.sh installs the rest).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
cargo build --release --quiet
for run in $(seq 1 "$RUNS"); do
    config="$(mktemp -d)"
    begin=$(date +%s%N)
    line=$(XDG_CONFIG_HOME="$config" HOME="$config" CANOPY_EXIT_AFTER_FIRST_FRAME=1 \
        xvfb-run -a -s "-screen 0 1400x900x24" target/release/canopy 2>/dev/null | grep "first frame" || true)
    end=$(date +%s%N)
    echo "run $run: ${line:-no frame reported}; whole run $(( (end - begin) / 1000000 )) ms"
    rm -rf "$config"
done
