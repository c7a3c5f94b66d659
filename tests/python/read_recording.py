"""Print every MQTT message of a Canopy recording as one JSON object per line, read with the
Python `mcap` library, so the Rust test can compare it message for message with what it sent."""

import base64
import json
import sys

from mcap.reader import make_reader


def main(path):
    with open(path, "rb") as f:
        reader = make_reader(f)
        header = reader.get_header()
        assert header.profile == "mqtt", header.profile
        last = None
        for _schema, channel, message in reader.iter_messages(log_time_order=False):
            if channel.metadata.get("mqtt.properties") == "true":
                assert last is not None and last["sequence"] == message.sequence
                last["properties"] = json.loads(message.data)
                continue
            if last is not None:
                print(json.dumps(last))
            last = {
                "topic": channel.topic,
                "encoding": channel.message_encoding,
                "qos": int(channel.metadata["mqtt.qos"]),
                "retain": channel.metadata["mqtt.retain"] == "true",
                "log_time": message.log_time,
                "sequence": message.sequence,
                "payload": base64.b64encode(message.data).decode(),
            }
        if last is not None:
            print(json.dumps(last))


if __name__ == "__main__":
    main(sys.argv[1])
