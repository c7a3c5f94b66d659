#!/usr/bin/env bash
# The real window (not the headless pipeline) under Xvfb with software rendering, no GPU:
#  (a) idle: connected to a mosquitto that publishes nothing ($SYS off);
#  (b) with the demo fleet (`canopy sim`, 50 devices) publishing to that mosquitto;
#  (c) a flood of 200,000 QoS 0 messages on 1,000 topics: how fast the window applies them
#      against mosquitto_sub draining the same flood in the same run, what it dropped, and its
#      memory at the end;
#  (d) 100,000 distinct topics: all in the tree, and the window's peak memory;
#  (e) the first run as a new user gets it: no saved profile, so the bundled broker, the demo
#      fleet and the window in one process.
# Memory is the window process's resident set (VmRSS; peak: VmHWM), CPU its user+system time.
#
# Usage: benches/window.sh [path/to/canopy]      (default: target/release/canopy)
# Environment: CANOPY_RENDERER=wgpu|glow (default: Canopy's), SAMPLE_SECS (default 30),
#              WARM_SECS (default 30: the issue's "after 30 seconds"), RECORD=1: in (c) the
#              window also records its connection (CANOPY_RECORD_TO) and the script counts the
#              flood's messages in the file. VIEW=Log (or Retained…): in (c) the window shows that
#              view (written to its settings as the remembered view) while the flood arrives.
# The window reports (c) and (d) itself through CANOPY_REPORT_APPLIED (see src/app/applied_report.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
canopy="$(realpath "${1:-target/release/canopy}")"
sample_secs="${SAMPLE_SECS:-30}"
warm_secs="${WARM_SECS:-30}"
[ -x "$canopy" ] || { echo "build first: cargo build --release" >&2; exit 1; }
# shellcheck source=benches/loopback_mosquitto.sh
. benches/loopback_mosquitto.sh
needs_tools mosquitto mosquitto_sub python3 Xvfb
MOSQUITTO_EXTRA="sys_interval 0" start_loopback_mosquitto
first_port=$port

display=":$((50 + RANDOM % 200))"
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp > "$work/xvfb.log" 2>&1 &
export DISPLAY="$display"
sleep 1
unset XDG_CONFIG_HOME XDG_DATA_HOME
export HOME="$work/home"   # no saved profiles or settings: every window starts as on a first run
mkdir -p "$HOME"

# "RSS_MiB CPU_%" of process $1 over $2 seconds.
sample() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
pid, secs = int(sys.argv[1]), float(sys.argv[2])
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
def status(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
c0, t0 = cpu(), time.time()
time.sleep(secs)
c1, t1 = cpu(), time.time()
print(f"{status('VmRSS:'):.0f} MiB resident (peak {status('VmHWM:'):.0f} MiB), {100 * (c1 - c0) / tick / (t1 - t0):.1f} % of one core")
PY
}

peak_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# Start a window on $1 (a URL, or "" for the first-run default) with CANOPY_REPORT_APPLIED=$2.
window() {
  local args=()
  [ -n "$1" ] && args=(--connect "$1")
  CANOPY_REPORT_APPLIED="$2" "$canopy" "${args[@]}" > "$work/window.out" 2> "$work/window.err" &
  win=$!
}

fresh_mosquitto() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nsys_interval 0\n' "$port" > "$work/m$port.conf"
  mosquitto -c "$work/m$port.conf" > /dev/null 2>&1 &
  for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
}

# Writes a flood file: $1 messages, topic of message i given by the Python expression $2.
make_flood() {
  python3 - "$work/flood.bin" "$1" "$2" <<'PY'
import sys
sys.path.insert(0, "benches")
from mqtt_raw import connect, publish_head
path, total, expression = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "wb") as f:
    f.write(connect(b"window-flood"))
    for i in range(total):
        topic = eval(expression).encode()
        payload = (b"%08d" % i).ljust(50, b"x")
        f.write(publish_head(topic, len(payload)) + payload)
    f.write(b"\xe0\x00")
PY
}

publish() { publish_flood "$work/flood.bin" "$port"; }

# Waits for the window's "applied" line; prints the time it appeared.
wait_applied() {
  for _ in $(seq 1 1200); do
    if grep -q '^applied' "$work/window.out" 2>/dev/null; then date +%s.%N; return; fi
    sleep 0.05
  done
  echo "the window never reported: $(tail -3 "$work/window.err")" >&2; exit 1
}

echo "renderer: ${CANOPY_RENDERER:-default}"

echo "(a) idle on a silent broker (after ${warm_secs} s):"
window "mqtt://127.0.0.1:$first_port" 0
sleep "$warm_secs"
echo "    $(sample "$win" "$sample_secs")"

echo "(b) with the 50-device demo fleet (after ${warm_secs} s):"
"$canopy" sim "mqtt://127.0.0.1:$first_port" > /dev/null 2>&1 &
sim=$!
sleep "$warm_secs"
echo "    $(sample "$win" "$sample_secs")"
kill "$sim" "$win"; wait "$sim" "$win" 2>/dev/null || true

echo "(c) 200,000 messages on 1,000 topics, against mosquitto_sub in the same run:"
fresh_mosquitto
make_flood 200000 '"flood/%d" % (i % 1000)'
if [ "${RECORD:-0}" = 1 ]; then export CANOPY_RECORD_TO="$work/window.mcap"; fi
if [ -n "${VIEW:-}" ]; then
  mkdir -p "$HOME/.config/canopy"
  printf '(schema_version: 1, layout: (view: Some("%s")))\n' "$VIEW" > "$HOME/.config/canopy/settings.ron"
  echo "    (the window shows the $VIEW view)"
fi
window "mqtt://127.0.0.1:$port" 200000
unset CANOPY_RECORD_TO
sleep 3
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'flood/#' -C 200000 -W 120 > /dev/null &
msub=$!
sleep 0.5
start=$(publish)
wait "$msub"
msub_end=$(date +%s.%N)
win_end=$(wait_applied)
echo "    window: $(cat "$work/window.out")"
awk -v s="$start" -v w="$win_end" -v m="$msub_end" 'BEGIN {
  printf "    from the first write: window %.0f msg/s, mosquitto_sub %.0f msg/s, ratio %.2f\n",
    200000 / (w - s), 200000 / (m - s), (m - s) / (w - s) }'
echo "    window at the end: $(sample "$win" 1)"
if [ "${RECORD:-0}" = 1 ]; then
  sleep 2 # the recorder closes a chunk every second; the window is then killed, not closed
  kill "$win"; wait "$win" 2>/dev/null || true
  kept=$("$canopy" export "$work/window.mcap" -o - -t 'flood/#' 2> "$work/export.err" | wc -l)
  echo "    the window's recording holds $kept of 200000 flood messages ($(stat -c %s "$work/window.mcap") bytes; $(grep -o 'note: .*' "$work/export.err" | head -1))"
else
  kill "$win"; wait "$win" 2>/dev/null || true
fi

echo "(d) 100,000 distinct topics:"
fresh_mosquitto
make_flood 100000 '"fleet/%d/%d/value" % (i // 1000, i)'
window "mqtt://127.0.0.1:$port" 100000
sleep 3
publish > /dev/null
wait_applied > /dev/null
sleep 2
echo "    window: $(cat "$work/window.out")"
echo "    peak resident: $(peak_mib "$win") MiB; now: $(sample "$win" 1)"
kill "$win"; wait "$win" 2>/dev/null || true

echo "(e) the first run: bundled broker + demo fleet + window (after ${warm_secs} s):"
mv "$HOME" "$work/home-used"; mkdir -p "$HOME"
window "" 0
sleep "$warm_secs"
echo "    $(sample "$win" "$sample_secs")"
kill "$win"; wait "$win" 2>/dev/null || true
