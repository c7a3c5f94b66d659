"""Write an MQTT recording with the Python `mcap` library, following docs/recordings.md: the
messages come as JSON lines on standard input (topic, qos, retain, log_time, payload in base64,
optional properties)."""

import base64
import json
import sys

from mcap.writer import Writer


def main(path):
    channels = {}
    properties_channels = {}
    with open(path, "wb") as f:
        writer = Writer(f)
        writer.start(profile="mqtt", library="python mcap (canopy interop test)")
        for sequence, line in enumerate(sys.stdin):
            m = json.loads(line)
            payload = base64.b64decode(m["payload"])
            key = (m["topic"], m["qos"], m["retain"])
            if key not in channels:
                channels[key] = writer.register_channel(
                    schema_id=0,
                    topic=m["topic"],
                    message_encoding="",
                    metadata={"mqtt.qos": str(m["qos"]), "mqtt.retain": "true" if m["retain"] else "false"},
                )
            writer.add_message(channels[key], log_time=m["log_time"], data=payload,
                               publish_time=m["log_time"], sequence=sequence)
            if "properties" in m:
                topic = m["topic"]
                if topic not in properties_channels:
                    properties_channels[topic] = writer.register_channel(
                        schema_id=0, topic=topic, message_encoding="json", metadata={"mqtt.properties": "true"})
                writer.add_message(properties_channels[topic], log_time=m["log_time"],
                                   data=json.dumps(m["properties"]).encode(),
                                   publish_time=m["log_time"], sequence=sequence)
        writer.finish()


if __name__ == "__main__":
    main(sys.argv[1])
