"""Raw MQTT 3.1.1 packets for the benchmark publishers (no client library: they only write)."""
import struct


def varint(n):
    """MQTT's variable-length integer (the remaining length)."""
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(kind, body):
    """A packet: its first byte, the remaining length, the body."""
    return bytes([kind]) + varint(len(body)) + body


def connect(client_id):
    """CONNECT, MQTT 3.1.1, clean session, 60 s keep-alive."""
    return packet(0x10, b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(client_id)) + client_id)


def publish_head(topic, payload_len):
    """A QoS 0 PUBLISH up to its payload, so the payload can be appended."""
    return bytes([0x30]) + varint(2 + len(topic) + payload_len) + struct.pack(">H", len(topic)) + topic
