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
for tool in mosquitto python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done

# shellcheck disable=SC2086 # CANOPY_SUB_ARGS is split on purpose
"$canopy" sub "mqtt://127.0.0.1:$port" -t '#' --count "$total" --timeout $((duration + 120)) ${CANOPY_SUB_ARGS:-} > "$work/out" 2> "$work/progress" &
sub=$!
sleep 1

# The publisher: raw MQTT 3.1.1, paced in 10 ms steps so the rate holds over the whole run.
python3 - "$port" "$rate" "$topics" "$duration" <<'PY' &
import socket, struct, sys, time
port, rate, topics, duration = (int(a) for a in sys.argv[1:5])
def varint(n):
    out = bytearray()
    while True:
        b = n % 128; n //= 128
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)
def packet(kind, body): return bytes([kind]) + varint(len(body)) + body
payload = b"x" * 50
heads = []
for i in range(topics):
    topic = b"site%d/floor%d/sensor%d/value" % (i % 10, (i // 10) % 100, i // 1000)
    heads.append(bytes([0x30]) + varint(2 + len(topic) + len(payload)) + struct.pack(">H", len(topic)) + topic)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(packet(0x10, b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", 7) + b"memtest"))
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
