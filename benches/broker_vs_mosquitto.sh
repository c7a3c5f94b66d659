#!/usr/bin/env bash
# The bundled broker against mosquitto on the same loopback flood: 4 mosquitto_pub -l publishers
# of 50,000 QoS 0 messages each (about 50 bytes) into one mosquitto_sub, 3 runs per broker.
# Prints each run, the median msgs/s per broker, the ratio canopy/mosquitto, and any loss.
# Usage: benches/broker_vs_mosquitto.sh [path/to/canopy]   (default: target/release/canopy)
set -euo pipefail
cd "$(dirname "$0")/.."
canopy="${1:-target/release/canopy}"
runs="${RUNS:-3}"
per_publisher="${PER_PUBLISHER:-50000}"
publishers=4
total=$((publishers * per_publisher))
[ -x "$canopy" ] || { echo "build first: cargo build --release" >&2; exit 1; }
for tool in mosquitto mosquitto_pub mosquitto_sub; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install mosquitto mosquitto-clients)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# 50-byte payloads: a sequence number padded with x.
for p in $(seq 1 $publishers); do
  seq 1 "$per_publisher" | awk -v p="$p" '{ printf "%s-%08d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", p, $1 }' > "$work/lines$p"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.02; done; return 1; }

run_once() { # $1 = canopy|mosquitto; prints "msgs_per_sec received"
  local port; port=$(free_port)
  if [ "$1" = canopy ]; then
    "$canopy" broker --port "$port" --sys-interval 0 > "$work/broker.log" 2>&1 &
  else
    printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/mosquitto.conf"
    mosquitto -c "$work/mosquitto.conf" > "$work/broker.log" 2>&1 &
  fi
  local broker_pid=$!
  wait_port "$port"
  mosquitto_sub -h 127.0.0.1 -p "$port" -t 'bench/#' -C "$total" -W 120 > "$work/received" &
  local sub_pid=$!
  sleep 0.3 # let the subscription land
  local start; start=$(date +%s.%N)
  for p in $(seq 1 $publishers); do
    mosquitto_pub -h 127.0.0.1 -p "$port" -t "bench/$p" -l < "$work/lines$p" &
  done
  wait "$sub_pid" || true
  local end; end=$(date +%s.%N)
  local received; received=$(wc -l < "$work/received")
  kill "$broker_pid" 2>/dev/null; wait "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  awk -v s="$start" -v e="$end" -v n="$received" 'BEGIN { printf "%.0f %d\n", n / (e - s), n }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A rates
for broker in mosquitto canopy; do
  : > "$work/$broker.rates"
  for run in $(seq 1 "$runs"); do
    read -r rate received < <(run_once "$broker")
    lost=$((total - received))
    echo "$broker run $run: $rate msgs/s, $received of $total received, $lost lost"
    echo "$rate" >> "$work/$broker.rates"
  done
  rates[$broker]=$(median < "$work/$broker.rates")
done
echo "median mosquitto: ${rates[mosquitto]} msgs/s"
echo "median canopy:    ${rates[canopy]} msgs/s"
awk -v c="${rates[canopy]}" -v m="${rates[mosquitto]}" 'BEGIN { printf "ratio canopy/mosquitto: %.2f\n", c / m }'
