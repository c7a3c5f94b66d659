# Sourced by the benchmark scripts: checks the tools they need, makes a scratch folder ($work,
# removed on exit with every background job), and starts mosquitto on a free loopback port
# ($port), waiting until it accepts connections. MOSQUITTO_EXTRA adds lines to its config.
# Usage: needs_tools mosquitto python3 ...; start_loopback_mosquitto

needs_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
  done
}

start_loopback_mosquitto() {
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\n%b\n' "$port" "${MOSQUITTO_EXTRA:-}" > "$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 &
  for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
}
