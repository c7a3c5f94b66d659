#!/usr/bin/env python3
"""Seed corpora from real clients' packets.

Runs mosquitto_pub, mosquitto_sub and canopy's own pub/sub (rumqttc) through a recording proxy
in front of a running broker, and writes what each client sent:
  corpus/decode/<name>    the client's bytes, as sent
  corpus/sessions/<name>  the same bytes as a session script (client 0 writes them in chunks),
                          plus scripts that interleave a subscriber and a publisher
and a few filter/topic line files for corpus/topic_match.

  fuzz/capture_seeds.py BROKER_PORT [CANOPY]
"""
import os, socket, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
port = int(sys.argv[1])
canopy = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "target", "debug", "canopy")


def proxy_once(name, command, wait=1.0):
    """Run `command` (with {port} for the proxy's port) and record what it sends upstream."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    proxy_port = listener.getsockname()[1]
    recorded = bytearray()

    def serve():
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", port))

        def pump(src, dst, record):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    if record:
                        recorded.extend(data)
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threads = [threading.Thread(target=pump, args=(client, upstream, True)),
                   threading.Thread(target=pump, args=(upstream, client, False))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    argv = [a.replace("{port}", str(proxy_port)) for a in command]
    try:
        subprocess.run(argv, timeout=10, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pass
    server.join(wait)
    listener.close()
    return bytes(recorded)


def script(chunks_by_client):
    """A session script: ops writing each client's bytes in chunks of up to 255."""
    out = bytearray()
    for client, data in chunks_by_client:
        for i in range(0, len(data), 255):
            chunk = data[i:i + 255]
            out += bytes([client & 3, len(chunk)]) + chunk
        out += bytes([0x0F])  # let the broker run
    return bytes(out)


def write(folder, name, data):
    path = os.path.join(HERE, "corpus", folder)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(data)


H = ["-h", "127.0.0.1", "-p", "{port}"]
clients = {
    "mosquitto_pub_311_qos0": ["mosquitto_pub", *H, "-t", "home/kitchen/temp", "-m", "21.5"],
    "mosquitto_pub_311_qos1_retain": ["mosquitto_pub", *H, "-t", "home/door", "-m", "open", "-q", "1", "-r"],
    "mosquitto_pub_311_qos2_will": ["mosquitto_pub", *H, "-t", "a/b", "-m", "x", "-q", "2", "--will-topic", "w/t", "--will-payload", "gone", "--will-qos", "1"],
    "mosquitto_pub_311_auth": ["mosquitto_pub", *H, "-t", "a", "-m", "y", "-u", "user", "-P", "secret", "-i", "dev-1"],
    "mosquitto_pub_5_props": ["mosquitto_pub", *H, "-V", "5", "-t", "plant/line1/temp", "-m", "{\"t\":1}", "-q", "1",
                              "-D", "publish", "content-type", "application/json", "-D", "publish", "user-property", "unit", "C",
                              "-D", "publish", "message-expiry-interval", "30", "-D", "publish", "response-topic", "r/t",
                              "-D", "publish", "correlation-data", "42", "-D", "connect", "session-expiry-interval", "60",
                              "-D", "connect", "receive-maximum", "10"],
    "mosquitto_pub_5_qos2_retain": ["mosquitto_pub", *H, "-V", "5", "-t", "r/x", "-m", "v", "-q", "2", "-r"],
    "mosquitto_pub_5_will": ["mosquitto_pub", *H, "-V", "5", "-t", "a", "-m", "z", "--will-topic", "dev/status", "--will-payload", "offline", "--will-retain",
                             "-D", "will", "will-delay-interval", "5"],
    "mosquitto_sub_311": ["mosquitto_sub", *H, "-t", "#", "-t", "$SYS/#", "-q", "1", "-C", "1", "-W", "1"],
    "mosquitto_sub_5_options": ["mosquitto_sub", *H, "-V", "5", "-t", "a/+/c", "-q", "2",
                                "-D", "subscribe", "subscription-identifier", "7", "-D", "connect", "topic-alias-maximum", "4",
                                "--remove-retained", "-C", "1", "-W", "1"],
    "mosquitto_sub_5_shared": ["mosquitto_sub", *H, "-V", "5", "-t", "$share/group/jobs/#", "-C", "1", "-W", "1"],
    "mosquitto_sub_unsubscribe": ["mosquitto_sub", *H, "-t", "x/#", "-U", "x/#", "-C", "1", "-W", "1"],
    "canopy_pub_5": [canopy, "pub", "mqtt://127.0.0.1:{port}", "-t", "c/d", "-m", "{\"a\":1}", "--format", "json", "-q", "1",
                     "--content-type", "application/json", "--user-property", "k=v"],
    "canopy_pub_311": [canopy, "pub", "mqtt://127.0.0.1:{port}", "-t", "c/e", "-m", "3", "-q", "2", "-r", "--mqtt-version", "3.1.1"],
    "canopy_sub_5": [canopy, "sub", "mqtt://127.0.0.1:{port}", "-t", "c/#", "--count", "1", "--timeout", "1"],
}
captured = {}
for name, command in clients.items():
    data = proxy_once(name, command)
    if data:
        captured[name] = data
        write("decode", name, data)
        write("sessions", name, script([(0, data)]))
        print(f"{name}: {len(data)} bytes")
    else:
        print(f"{name}: nothing captured", file=sys.stderr)

# A subscriber and a publisher on one broker, then the subscriber vanishing (its will).
pairs = [("mosquitto_sub_311", "mosquitto_pub_311_qos1_retain"),
         ("mosquitto_sub_5_options", "mosquitto_pub_5_props"),
         ("canopy_sub_5", "canopy_pub_5")]
for sub, pub in pairs:
    if sub in captured and pub in captured:
        data = script([(0, captured[sub]), (1, captured[pub])]) + bytes([0x04, 0x1A, 0xFB])
        write("sessions", f"pair_{sub}_{pub}", data)

topic_lines = {
    "spec_examples": "sport/tennis/player1/#\nsport/tennis/+\nsport/+\n+/+\n/+\n#\n$SYS/#\n+/monitor/Clients\n"
                     "sport/tennis/player1\nsport/tennis/player1/ranking\nsport\nsport/\n/finance\n$SYS/monitor/Clients\n"
                     "-sport/+\nsport/\n",
    "empty_levels": "a//b\na/+/b\n+/a\n/a\na/\na/+\n-a/+\na/\n",
    "shared": "$share/g/a/#\na/b/c\n-$share/g/a/#\na/b/c\n",
}
for name, text in topic_lines.items():
    write("topic_match", name, text.encode())
