#!/usr/bin/env bash
# The real window opening a large recording under Xvfb (software rendering, no GPU):
#  1. `canopy FILE.mcap`: the window's resident memory a few seconds after it opened (the tab
#     opens at the end of the recording) and a screenshot (the notice says how long indexing
#     took);
#  2. Play at Max from the start (clicked with xdotool): every message of the file streams through
#     the tab for PLAY_SECS; the peak resident memory shows whether the tab stays within its
#     history budget whatever the file's size.
# Usage: benches/open_recording.sh [path/to/canopy] [FILE.mcap]
#   default binary target/release/canopy; default file the 1 GB recording written by
#   `cargo bench --bench recording -- open_large` (target/bench-data/large-1024mb.mcap).
# Environment: PLAY_SECS (default 30), SHOT (screenshot path, default target/open-recording.png).
set -euo pipefail
cd "$(dirname "$0")/.."
canopy="$(realpath "${1:-target/release/canopy}")"
file="$(realpath "${2:-target/bench-data/large-1024mb.mcap}")"
play_secs="${PLAY_SECS:-30}"
shot="${SHOT:-target/open-recording.png}"
[ -x "$canopy" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -f "$file" ] || { echo "no $file: run cargo bench --bench recording -- open_large" >&2; exit 1; }
for tool in Xvfb xdotool import python3; do
  command -v "$tool" > /dev/null || { echo "needs $tool" >&2; exit 1; }
done
work="$(mktemp -d)"
display=":$((50 + RANDOM % 200))"
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp > "$work/xvfb.log" 2>&1 &
xvfb=$!
export DISPLAY="$display"
export HOME="$work/home"
mkdir -p "$HOME"
trap 'kill "$pid" "$xvfb" 2> /dev/null || true; rm -rf "$work"' EXIT
sleep 1
status() { awk -v key="$2" '$1 == key { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

echo "file: $file ($(du -h "$file" | cut -f1))"
RUST_LOG=canopy=info "$canopy" "$file" > "$work/canopy.log" 2>&1 &
pid=$!
sleep 5
echo "opened (at the end), after 5 s: $(status "$pid" VmRSS:) MiB resident (peak $(status "$pid" VmHWM:) MiB)"
import -window root "$shot"
echo "screenshot: $shot"

# The timeline's Max button, where the window (1280x800 at the top left) draws it; check it on
# the screenshot if the layout moved.
clicked="$(date -u +%s.%N)"
xdotool mousemove "${MAX_X:-160}" "${MAX_Y:-740}" click 1
python3 - "$pid" "$play_secs" "$work/canopy.log" "$clicked" <<'PY'
import datetime, os, re, sys, time
pid, secs, log, clicked = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
def status(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
c0, t0 = cpu(), time.time()
peak = 0
while time.time() - t0 < secs:
    time.sleep(1)
    peak = max(peak, status("VmRSS:"))
print(f"playing at Max for {secs:.0f} s: {status('VmRSS:'):.0f} MiB resident at the end, "
      f"highest sampled {peak:.0f} MiB (VmHWM {status('VmHWM:'):.0f} MiB), "
      f"{100 * (cpu() - c0) / tick / (time.time() - t0):.0f} % of one core")
for line in open(log):
    if "played to the end" in line:
        stamp = re.match(r"\S+", re.sub(r"\x1b\[[0-9;]*m", "", line)).group(0)
        ended = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        print(f"played the whole file at Max in {ended - clicked:.1f} s (click to the last message)")
PY
import -window root "${shot%.png}-playing.png"
echo "screenshot while playing: ${shot%.png}-playing.png"
