#!/usr/bin/env bash
# `canopy sub` as a real process under a paced flood from mosquitto on loopback: RATE msg/s
# (default 50,000) of 50-byte QoS 0 messages over TOPICS topics (default 100,000, shaped like
# site3/floor42/sensor17/value) for DURATION seconds (default 600). Its resident memory is read
# from /proc every second; prints a sample a minute, the peak (the kernel's high-water mark) and
# canopy's closing line.
# Usage: benches/memory_sub.sh [path/to/canopy]   (default: target/release/canopy)
# Environment: RATE, TOPICS, DURATION, CANOPY_SUB_ARGS (extra `canopy sub` flags).
set -euo pipefail
cd "$(dirname "$0")/.."
canopy="${1:-target/release/canopy}"
rate="${RATE:-50000}"
topics="${TOPICS:-100000}"
duration="${DURATION:-600}"
total=$((rate * duration))
[ -x "$canopy" ] || { echo "build first: cargo build --release" >&2; exit 1; }
# shellcheck source=benches/loopback_mosquitto.sh
. benches/loopback_mosquitto.sh
needs_tools mosquitto python3
start_loopback_mosquitto

# shellcheck disable=SC2086 # CANOPY_SUB_ARGS is split on purpose
"$canopy" sub "mqtt://127.0.0.1:$port" -t '#' --count "$total" --timeout $((duration + 120)) ${CANOPY_SUB_ARGS:-} > "$work/out" 2> "$work/progress" &
sub=$!
sleep 1

# The publisher: raw MQTT 3.1.1, paced in 10 ms steps so the rate holds over the whole run.
python3 - "$port" "$rate" "$topics" "$duration" <<'PY' &
import socket, sys, time
sys.path.insert(0, "benches")
from mqtt_raw import connect, publish_head
port, rate, topics, duration = (int(a) for a in sys.argv[1:5])
payload = b"x" * 50
heads = []
for i in range(topics):
    topic = b"site%d/floor%d/sensor%d/value" % (i % 10, (i // 10) % 100, i // 1000)
    heads.append(publish_head(topic, len(payload)))
s = socket.create_connection(("127.0.0.1", port))
s.sendall(connect(b"memtest"))
s.recv(4)
total, step = rate * duration, max(1, rate // 100)
start, sent = time.monotonic(), 0
while sent < total:
    n = min(step, total - sent)
    s.sendall(b"".join(heads[(sent + k) % topics] + payload for k in range(n)))
    sent += n
    delay = start + sent / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
s.sendall(b"\xe0\x00")
s.shutdown(socket.SHUT_WR)
s.recv(16)
PY

status_kib() { awk -v key="$1" '$1 == key { print $2 }' "/proc/$sub/status" 2>/dev/null || true; }
peak=0
second=0
while kill -0 "$sub" 2>/dev/null; do
  rss=$(status_kib VmRSS:); hwm=$(status_kib VmHWM:)
  [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
  if [ -n "$rss" ] && [ $((second % ${EVERY:-60})) -eq 0 ]; then
    echo "[$(printf '%4d' "$second") s] $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') MiB resident; $(tail -n 1 "$work/progress")"
  fi
  sleep 1
  second=$((second + 1))
done
wait "$sub" || true
echo "canopy sub: $(cat "$work/out") $(grep -v '^\[' "$work/progress" | tail -n 2 | tr '\n' ' ')"
awk -v k="$peak" 'BEGIN { printf "peak resident (VmHWM): %.1f MiB = %.1f MB\n", k / 1024, k * 1024 / 1e6 }'
