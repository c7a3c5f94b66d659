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

# Writes the file $1 to 127.0.0.1:$2 as fast as the socket takes it; prints the time of the first
# write (after the interpreter started and connected, so its start-up is not timed).
publish_flood() { python3 -c '
import socket, sys, time
data = open(sys.argv[1], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
print("%.6f" % time.time(), flush=True)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
s.recv(16)' "$1" "$2"; }
