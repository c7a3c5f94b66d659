//! Recordings on real traffic: `canopy record` against mosquitto, read back by Canopy and by
//! the Python `mcap` library, exported, replayed into mosquitto and the bundled broker and
//! checked by a real subscriber; a recording killed mid-way; files that are not recordings.

use crate::common::{self, Mosquitto};
use canopy::broker::BrokerConfig;
use canopy::model::Incoming;
use canopy::mqtt::Qos;
use canopy::record::{Reader, RecordError};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Start `canopy record` on `url` and wait until its subscription is acknowledged.
fn start_recording(url: &str, output: &Path, extra: &[&str]) -> Child {
    let mut child = common::canopy()
        .args(["record", url, "-o"])
        .arg(output)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run canopy record");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        assert!(Instant::now() < deadline, "canopy record never subscribed");
        let line = lines.next().expect("stderr open").expect("utf-8");
        if line.starts_with("subscribed to") {
            break;
        }
    }
    // Keep draining progress so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    child
}

pub(crate) fn read_all(path: &Path) -> (Vec<Incoming>, canopy::record::Summary) {
    let mut reader = Reader::open(path).expect("open the recording");
    let messages: Vec<Incoming> = std::iter::from_fn(|| reader.next_message()).collect();
    (messages, reader.summary().clone())
}

/// The traffic every round trip sends: text, JSON, binary with every byte value, an empty
/// retained message's neighbour, QoS 1 and 2, and MQTT 5 properties.
fn publish_sample(broker: &Mosquitto) {
    broker.publish(&[
        "-t",
        "rt/text",
        "-m",
        "plain, \"quoted\"\nsecond line",
        "-q",
        "1",
    ]);
    broker.publish(&[
        "-t",
        "rt/json",
        "-m",
        r#"{"t": 21.50, "ok": true}"#,
        "-q",
        "2",
    ]);
    broker.publish(&["-t", "rt/state", "-m", "on", "-r", "-q", "1"]);
    broker.publish(&[
        "-V",
        "5",
        "-t",
        "rt/props",
        "-m",
        "42",
        "-D",
        "publish",
        "content-type",
        "text/plain",
        "-D",
        "publish",
        "user-property",
        "unit",
        "celsius",
        "-D",
        "publish",
        "user-property",
        "unit",
        "kelvin",
        "-D",
        "publish",
        "correlation-data",
        "req-7",
        "-D",
        "publish",
        "response-topic",
        "replies/7",
        "-D",
        "publish",
        "message-expiry-interval",
        "3600",
    ]);
}

fn binary_payload() -> Vec<u8> {
    (0..=255u8).collect()
}

fn check_sample(messages: &[Incoming]) {
    let find = |topic: &str| {
        messages
            .iter()
            .find(|m| m.topic == topic)
            .unwrap_or_else(|| panic!("{topic} recorded"))
    };
    let text = find("rt/text");
    assert_eq!(&text.payload[..], b"plain, \"quoted\"\nsecond line");
    assert_eq!(text.qos, Qos::AtLeastOnce);
    assert_eq!(find("rt/json").qos, Qos::ExactlyOnce);
    assert_eq!(&find("rt/json").payload[..], br#"{"t": 21.50, "ok": true}"#);
    let binary = find("rt/binary");
    assert_eq!(&binary.payload[..], &binary_payload()[..]);
    let props = find("rt/props")
        .properties
        .clone()
        .expect("MQTT 5 properties recorded");
    assert_eq!(props.content_type.as_deref(), Some("text/plain"));
    assert_eq!(
        props.user_properties,
        vec![
            ("unit".to_owned(), "celsius".to_owned()),
            ("unit".to_owned(), "kelvin".to_owned())
        ]
    );
    assert_eq!(props.correlation_data.as_deref(), Some(&b"req-7"[..]));
    assert_eq!(props.response_topic.as_deref(), Some("replies/7"));
    assert!(
        props
            .message_expiry_interval_secs
            .is_some_and(|s| (3590..=3600).contains(&s))
    );
}

#[test]
fn record_then_open_export_and_read_with_python() {
    let Some(broker) = Mosquitto::start("record_then_open_export_and_read_with_python") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("traffic.mcap");
    let binary = dir.path().join("binary.bin");
    std::fs::write(&binary, binary_payload()).expect("write");
    let recording = start_recording(&broker.url(), &file, &["-t", "rt/#", "--count", "5"]);
    publish_sample(&broker);
    broker.publish(&["-t", "rt/binary", "-f", &binary.display().to_string()]);
    let output = recording.wait_with_output().expect("wait");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("recorded 5 messages to "), "{stdout}");
    assert!(stdout.trim_end().ends_with(", 0 dropped"), "{stdout}");

    let (messages, summary) = read_all(&file);
    assert_eq!(messages.len(), 5);
    assert!(summary.complete && summary.damage.is_none(), "{summary:?}");
    check_sample(&messages);
    let state = messages
        .iter()
        .find(|m| m.topic == "rt/state")
        .expect("state");
    assert!(
        state.retain,
        "MQTT 5 subscriptions keep the retain flag as published"
    );

    // CSV: one row per message, whatever the payload holds.
    let csv_path = dir.path().join("traffic.csv");
    let status = common::canopy()
        .args(["export"])
        .arg(&file)
        .arg("-o")
        .arg(&csv_path)
        .status()
        .expect("export");
    assert!(status.success());
    let mut rows = csv::Reader::from_path(&csv_path).expect("csv");
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 5);
    let text_row = records
        .iter()
        .find(|r| &r[2] == "rt/text")
        .expect("text row");
    assert_eq!(&text_row[6], "text");
    assert_eq!(&text_row[7], "plain, \"quoted\"\nsecond line");
    let binary_row = records
        .iter()
        .find(|r| &r[2] == "rt/binary")
        .expect("binary row");
    assert_eq!(&binary_row[6], "base64");
    assert_eq!(&binary_row[5], "256");
    let json_row = records
        .iter()
        .find(|r| &r[2] == "rt/json")
        .expect("json row");
    assert_eq!(
        &json_row[7], r#"{"t": 21.50, "ok": true}"#,
        "numbers stay as sent"
    );

    // JSON Lines carries the properties.
    let jsonl = common::canopy()
        .args(["export"])
        .arg(&file)
        .args(["-o", "-", "-t", "rt/props"])
        .output()
        .expect("export");
    let line: serde_json::Value =
        serde_json::from_slice(jsonl.stdout.split(|&b| b == b'\n').next().expect("a line"))
            .expect("json");
    assert_eq!(line["payload"], "42");
    assert_eq!(line["properties"]["content_type"], "text/plain");
    assert_eq!(line["properties"]["correlation_data"], "cmVxLTc=");

    // The Python `mcap` reader sees the same messages.
    let Some(python) = python_with_mcap("record_then_open_export_and_read_with_python") else {
        return;
    };
    let out = std::process::Command::new(&python)
        .arg(script("read_recording.py"))
        .arg(&file)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(seen.len(), messages.len());
    for (python_view, ours) in seen.iter().zip(&messages) {
        use base64::Engine as _;
        assert_eq!(python_view["topic"], ours.topic.as_str());
        assert_eq!(python_view["qos"], u64::from(ours.qos.level()));
        let payload = base64::engine::general_purpose::STANDARD
            .decode(python_view["payload"].as_str().expect("payload"))
            .expect("base64");
        assert_eq!(payload, ours.payload.to_vec());
    }
    let props = seen
        .iter()
        .find(|m| m["topic"] == "rt/props")
        .expect("props");
    assert_eq!(props["properties"]["user_properties"][1][1], "kelvin");
    let json = seen.iter().find(|m| m["topic"] == "rt/json").expect("json");
    assert_eq!(
        json["encoding"], "json",
        "general viewers are told the payload is JSON"
    );
}

#[test]
fn a_recording_written_by_python_opens_in_canopy() {
    let Some(python) = python_with_mcap("a_recording_written_by_python_opens_in_canopy") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("python.mcap");
    let input = concat!(
        r#"{"topic": "py/a", "qos": 1, "retain": true, "log_time": 1700000000000000000, "payload": "aGVsbG8="}"#,
        "\n",
        r#"{"topic": "py/b", "qos": 0, "retain": false, "log_time": 1700000000500000000, "payload": "AAEC", "properties": {"content_type": "application/octet-stream", "user_properties": [["k", "v"]]}}"#,
        "\n",
    );
    let mut child = std::process::Command::new(&python)
        .arg(script("write_recording.py"))
        .arg(&file)
        .stdin(Stdio::piped())
        .spawn()
        .expect("python");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("feed");
    assert!(child.wait().expect("wait").success());
    let (messages, summary) = read_all(&file);
    assert!(summary.complete, "{summary:?}");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].topic, "py/a");
    assert_eq!(&messages[0].payload[..], b"hello");
    assert_eq!(messages[0].qos, Qos::AtLeastOnce);
    assert!(messages[0].retain);
    assert_eq!(
        messages[0].received_at,
        std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    );
    assert_eq!(&messages[1].payload[..], &[0, 1, 2]);
    let props = messages[1].properties.clone().expect("properties");
    assert_eq!(
        props.user_properties,
        vec![("k".to_owned(), "v".to_owned())]
    );
}

#[test]
fn replay_reaches_mosquitto_and_the_bundled_broker_as_recorded() {
    let Some(source) =
        Mosquitto::start("replay_reaches_mosquitto_and_the_bundled_broker_as_recorded")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("traffic.mcap");
    let binary = dir.path().join("binary.bin");
    std::fs::write(&binary, binary_payload()).expect("write");
    let recording = start_recording(&source.url(), &file, &["-t", "rt/#", "--count", "25"]);
    publish_sample(&source);
    broker_publish_sequence(&source);
    source.publish(&["-t", "rt/binary", "-f", &binary.display().to_string()]);
    assert!(recording.wait_with_output().expect("wait").status.success());

    let bundled = common::start_broker(BrokerConfig::default());
    let mosquitto = Mosquitto::start("replay target").expect("mosquitto");
    for (port, name) in [
        (bundled.local_addr().port(), "bundled"),
        (mosquitto.port, "mosquitto"),
    ] {
        let (manager, id) = common::listen(port, "again/#");
        let status = common::canopy()
            .arg("replay")
            .arg(&file)
            .arg(format!("mqtt://127.0.0.1:{port}"))
            .args(["--max", "--prefix", "again/"])
            .status()
            .expect("replay");
        assert!(status.success(), "replay into {name}");
        let mut received = common::messages(&manager, id, 25);
        for message in &mut received {
            message.topic = message.topic.trim_start_matches("again/").to_owned();
        }
        check_sample(&received);
        let sequence: Vec<String> = received
            .iter()
            .filter(|m| m.topic == "rt/seq")
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
            .collect();
        let expected: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        assert_eq!(sequence, expected, "order per topic kept ({name})");
        drop(manager);
    }
    // The retained message is retained on the target too.
    let (manager, id) = common::listen(mosquitto.port, "again/rt/state");
    let retained = common::next_message(&manager, id);
    assert!(retained.retain && &retained.payload[..] == b"on");
}

fn broker_publish_sequence(broker: &Mosquitto) {
    let lines: String = (0..20).map(|i| format!("{i}\n")).collect();
    broker.publish_lines("rt/seq", &lines);
}

#[test]
fn a_killed_recording_opens_up_to_its_last_chunk_and_says_so() {
    let Some(broker) =
        Mosquitto::start("a_killed_recording_opens_up_to_its_last_chunk_and_says_so")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("cut.mcap");
    let mut recording = start_recording(&broker.url(), &file, &["-t", "cut/#"]);
    let lines: String = (0..2000).map(|i| format!("{i}\n")).collect();
    broker.publish_lines("cut/a", &lines);
    // The writer closes a chunk every second; give it two, then kill it without warning.
    std::thread::sleep(Duration::from_millis(2500));
    recording.kill().expect("kill");
    recording.wait().expect("reap");
    let (messages, summary) = read_all(&file);
    assert!(!summary.complete);
    let damage = summary.damage.expect("a note saying it was cut short");
    assert!(damage.contains("not closed properly"), "{damage}");
    assert_eq!(
        messages.len(),
        2000,
        "everything flushed before the kill is there"
    );
    for (i, message) in messages.iter().enumerate() {
        assert_eq!(message.payload, i.to_string().as_bytes());
    }
}

#[test]
fn files_that_are_not_recordings_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = dir.path().join("notes.mcap");
    std::fs::write(&text, "just some text").expect("write");
    let error = Reader::open(&text).err().expect("refused");
    assert!(matches!(error, RecordError::NotMcap { .. }), "{error}");
    assert!(
        error.to_string().contains("notes.mcap is not an MCAP file"),
        "{error}"
    );

    let other = dir.path().join("robot.mcap");
    let mut writer = mcap::WriteOptions::new()
        .profile("ros2")
        .create(std::io::BufWriter::new(
            std::fs::File::create(&other).expect("create"),
        ))
        .expect("writer");
    writer.finish().expect("finish");
    drop(writer);
    let error = Reader::open(&other).err().expect("refused");
    assert!(error.to_string().contains("profile \"ros2\""), "{error}");

    let missing = common::canopy()
        .args(["export", "/nonexistent/x.mcap", "-o", "-"])
        .output()
        .expect("run");
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("cannot open /nonexistent/x.mcap"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn export_takes_a_time_range_and_writes_json_lines() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("timed.mcap");
    let start = std::time::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
    let mut writer = canopy::record::McapWriter::create(&file).expect("create");
    for i in 0..10u64 {
        let mut message = Incoming::new("clock/tick", i.to_string());
        message.received_at = start + Duration::from_secs(i);
        writer.write(&message).expect("write");
    }
    writer.finish().expect("finish");
    let from_ms = 1_764_000_000_000u64 + 2_000;
    let output = common::canopy()
        .arg("export")
        .arg(&file)
        .args(["-o", "-", "--from", &from_ms.to_string(), "--to"])
        .arg("2025-11-24T16:00:05Z")
        .output()
        .expect("export");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let payloads: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).expect("json");
            assert_eq!(row["time_utc"].as_str().map(|t| t.len()), Some(24));
            row["payload"].as_str().expect("payload").to_owned()
        })
        .collect();
    assert_eq!(payloads, ["2", "3", "4"]);
    let bad = common::canopy()
        .arg("export")
        .arg(&file)
        .args(["-o", "-", "--from", "yesterday"])
        .output()
        .expect("export");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'yesterday' is not a time"));
}

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// A Python that has the `mcap` package; outside CI a loud skip when there is none.
fn python_with_mcap(test: &str) -> Option<String> {
    let python = std::env::var("CANOPY_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import mcap"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !common::in_ci(),
            "{python} with the mcap package is required in CI (test {test}); .ci/run installs it"
        );
        eprintln!("\n*** SKIPPED {test}: {python} has no `mcap` package (pip install mcap) ***\n");
        return None;
    }
    Some(python)
}
