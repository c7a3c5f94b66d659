#!/usr/bin/env bash
# Runs the Eclipse Paho interoperability suite (paho.mqtt.testing, interoperability/
# client_test.py and client_test5.py; Python standard library only) against `canopy broker`.
#
#   benches/paho_interop.sh PATH/TO/paho.mqtt.testing [target/release/canopy]
#
# The suite is not part of Canopy: bring a checkout of it. The broker runs with the documented
# configuration the suite needs: an ACL that refuses `test/nosubscribe`, Server Keep Alive 60
# (--max-keep-alive 60) and SUBACK 0x80 for refused MQTT 5 subscriptions (the suite's client
# accepts no other failure code; Canopy's default is 0x87, as mosquitto's).
set -euo pipefail
suite="${1:?usage: $0 PATH/TO/paho.mqtt.testing [CANOPY]}"
canopy="$(realpath "${2:-target/release/canopy}")"
work="$(mktemp -d)"
trap 'kill "$broker" 2>/dev/null || true; rm -rf "$work"' EXIT
printf 'topic readwrite #\ntopic deny test/nosubscribe\n' > "$work/acl"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$canopy" broker --port "$port" --acl "$work/acl" --max-keep-alive 60 --acl-suback-code 0x80 \
  > "$work/broker.log" 2>&1 &
broker=$!
sleep 1
cd "$suite/interoperability"
status=0
echo "== MQTT 5.0 (client_test5.py)"
python3 client_test5.py -p "$port" 2>&1 | grep -E '^(Ran|OK|FAILED|FAIL:|ERROR:)' || status=1
echo "== MQTT 3.1.1 (client_test.py)"
# client_test.py hands its own arguments to unittest: give unittest none.
python3 - "$port" <<'PY' 2>&1 | grep -E '^(Ran|OK|FAILED|FAIL:|ERROR:)' || status=1
import functools, runpy, sys, unittest
sys.path.insert(0, ".")
port = sys.argv[1]
sys.argv = ["client_test.py", "-p", port]
unittest.main = functools.partial(unittest.main, argv=["client_test.py"])
runpy.run_path("client_test.py", run_name="__main__")
PY
exit $status
