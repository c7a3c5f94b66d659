#!/usr/bin/env python3
"""Many idle clients on one broker: memory per connection, and every client gets its message.

  benches/broker_connections.py [--clients N] BROKER_COMMAND...

BROKER_COMMAND is started with {port} replaced by a free port, e.g.
  benches/broker_connections.py --clients 10000 target/release/canopy broker --port {port} --sys-interval 0
  benches/broker_connections.py --clients 10000 mosquitto -c {config}      ({config}: a listener on {port})

Each client connects (MQTT 3.1.1), subscribes to its own topic at QoS 0 and waits. The broker's
resident memory (VmRSS from /proc) is read before the first client and once all are subscribed;
the difference over N is the memory per idle connection. Then one publisher sends one message to
every client's topic and the script checks that each client received its own.
"""
import os, resource, socket, subprocess, sys, tempfile, time

args = sys.argv[1:]
clients = 10000
if args[:1] == ["--clients"]:
    clients = int(args[1])
    args = args[2:]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = clients * 2 + 1000
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
except (ValueError, OSError):
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
config = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
config.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n")
config.close()
command = [a.replace("{port}", str(port)).replace("{config}", config.name) for a in args]
broker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def rss_kib():
    with open(f"/proc/{broker.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def packet(first, body):
    out = bytearray([first]); n = len(body)
    while True:
        b = n % 128; n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + body


def string(t):
    b = t.encode(); return len(b).to_bytes(2, "big") + b


def connect(client_id):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(packet(0x10, string("MQTT") + bytes([4, 2, 0, 0]) + string(client_id)))
    return sock


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port)).close(); break
    except OSError:
        time.sleep(0.05)
time.sleep(0.5)
before = rss_kib()
started = time.monotonic()
socks = []
for i in range(clients):
    sock = connect(f"idle-{i}")
    sock.sendall(packet(0x82, (1).to_bytes(2, "big") + string(f"load/{i}") + bytes([0])))
    socks.append(sock)
for sock in socks:
    sock.settimeout(30)
    assert read_exact(sock, 4)[0] == 0x20, "CONNACK"
    assert read_exact(sock, 5)[0] == 0x90, "SUBACK"
connected = time.monotonic() - started
time.sleep(2)
after = rss_kib()
publisher = connect("load-publisher"); read_exact(publisher, 4)
publisher.sendall(b"".join(packet(0x30, string(f"load/{i}") + b"hi") for i in range(clients)))
received = 0
for i, sock in enumerate(socks):
    expected = packet(0x30, string(f"load/{i}") + b"hi")
    if read_exact(sock, len(expected)) == expected:
        received += 1
peak = 0
with open(f"/proc/{broker.pid}/status") as f:
    for line in f:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1])
print(f"{clients} clients connected and subscribed in {connected:.1f} s; "
      f"broker RSS {before} KiB idle -> {after} KiB with all connected "
      f"({(after - before) * 1024 / clients / 1000:.1f} kB per connection), peak {peak} KiB; "
      f"{received} of {clients} received their message")
for sock in socks:
    sock.close()
broker.terminate(); broker.wait()
os.unlink(config.name)
sys.exit(0 if received == clients else 1)
