#!/usr/bin/env bash
# `canopy sub` against `mosquitto_sub` draining the same flood from mosquitto on loopback:
# 200,000 QoS 0 messages of 50 bytes over 1,000 topics, written by a raw-socket publisher.
# Each subscriber is timed from the publisher's first write to its last message; 3 runs each,
# alternating; prints each run, the medians and the ratio canopy/mosquitto_sub.
# Usage: benches/ingest_vs_mosquitto_sub.sh [path/to/canopy]   (default: target/release/canopy)
# Environment: RUNS (default 3), TOTAL (default 200000), CANOPY_SUB_ARGS (extra `canopy sub` flags),
# MODE=record: time `canopy record` instead of `canopy sub` (until its file is closed), and check
# that the recording holds every message.
set -euo pipefail
cd "$(dirname "$0")/.."
canopy="${1:-target/release/canopy}"
runs="${RUNS:-3}"
total="${TOTAL:-200000}"
[ -x "$canopy" ] || { echo "build first: cargo build --release" >&2; exit 1; }
# shellcheck source=benches/loopback_mosquitto.sh
. benches/loopback_mosquitto.sh
needs_tools mosquitto mosquitto_sub python3
start_loopback_mosquitto

# The flood as raw MQTT 3.1.1 bytes: CONNECT, then PUBLISH QoS 0 to flood/<i % 1000> with
# 50-byte payloads, then DISCONNECT. Built once, replayed per run.
python3 - "$work/flood.bin" "$total" <<'PY'
import sys
sys.path.insert(0, "benches")
from mqtt_raw import connect, publish_head
path, total = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(connect(b"flood"))
    for i in range(total):
        topic = b"flood/%d" % (i % 1000)
        payload = (b"%08d" % i).ljust(50, b"x")
        f.write(publish_head(topic, len(payload)) + payload)
    f.write(b"\xe0\x00")
PY

publish() { publish_flood "$work/flood.bin" "$port"; }

run_once() { # $1 = canopy|mosquitto_sub; prints msgs/s
  if [ "$1" = canopy ] && [ "${MODE:-sub}" = record ]; then
    "$canopy" record "mqtt://127.0.0.1:$port" -t 'flood/#' --count "$total" -q 0 -o "$work/flood.mcap" > "$work/out" 2> "$work/err" &
  elif [ "$1" = canopy ]; then
    # shellcheck disable=SC2086 # CANOPY_SUB_ARGS is split on purpose, e.g. "--mqtt-version 3.1.1"
    "$canopy" sub "mqtt://127.0.0.1:$port" -t 'flood/#' --count "$total" --timeout 120 ${CANOPY_SUB_ARGS:-} > "$work/out" 2> "$work/err" &
  else
    mosquitto_sub -h 127.0.0.1 -p "$port" -t 'flood/#' -C "$total" -W 120 > /dev/null 2> "$work/err" &
  fi
  local sub=$!
  sleep 0.5 # let the subscription land
  local start; start=$(publish)
  wait "$sub" || { echo "$1 failed: $(cat "$work/err")" >&2; echo 0; return; }
  local end; end=$(date +%s.%N)
  if [ "$1" = canopy ]; then echo "  canopy: $(cat "$work/out")" >&2; fi
  if [ "$1" = canopy ] && [ "${MODE:-sub}" = record ]; then
    local kept; kept=$("$canopy" export "$work/flood.mcap" -o - 2> /dev/null | wc -l)
    echo "  the recording holds $kept of $total messages ($(stat -c %s "$work/flood.mcap") bytes)" >&2
  fi
  awk -v s="$start" -v e="$end" -v n="$total" 'BEGIN { printf "%.0f\n", n / (e - s) }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: > "$work/canopy.rates"; : > "$work/mosquitto_sub.rates"
for run in $(seq 1 "$runs"); do
  for who in mosquitto_sub canopy; do
    rate=$(run_once "$who")
    echo "$who run $run: $rate msgs/s"
    echo "$rate" >> "$work/$who.rates"
  done
done
m=$(median < "$work/mosquitto_sub.rates"); c=$(median < "$work/canopy.rates")
echo "median mosquitto_sub: $m msgs/s"
echo "median canopy ${MODE:-sub}:    $c msgs/s"
awk -v c="$c" -v m="$m" 'BEGIN { printf "ratio canopy/mosquitto_sub: %.2f\n", c / m }'
