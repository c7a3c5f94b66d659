//! `canopy sub`, run as a user or a script runs it.

use crate::common::{self, Mosquitto, free_port};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn sub_counts_messages_and_exits_once_count_arrived() {
    let Some(broker) = Mosquitto::start("sub_counts_messages_and_exits_once_count_arrived") else {
        return;
    };
    let mut child = common::canopy()
        .args([
            "sub",
            &broker.url(),
            "-t",
            "fleet/#",
            "--count",
            "3000",
            "--timeout",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run canopy sub");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        assert!(
            Instant::now() < deadline,
            "canopy sub never reported its subscription"
        );
        let line = lines.next().expect("stderr open").expect("utf-8");
        if line.starts_with("subscribed to fleet/#") {
            break;
        }
    }
    // Drain the progress lines in the background so the child never blocks on a full pipe.
    let progress = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());

    for device in 0..3 {
        let lines: String = (0..1000).map(|i| format!("{{\"seq\":{i}}}\n")).collect();
        broker.publish_lines(&format!("fleet/dev{device}/telemetry"), &lines);
    }
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "exit status {:?}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("received 3000 messages on 3 topics in "),
        "closing line: {last}"
    );
    assert!(last.ends_with(", 0 dropped"), "closing line: {last}");
    drop(progress.join());
}

#[test]
fn sub_against_a_closed_port_fails_with_the_reason() {
    let port = free_port();
    let output = common::canopy()
        .args([
            "sub",
            &format!("mqtt://127.0.0.1:{port}"),
            "--timeout",
            "10",
        ])
        .output()
        .expect("run canopy sub");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("connection refused by 127.0.0.1:{port}")),
        "stderr: {stderr}"
    );
}

#[test]
fn sub_times_out_when_too_few_messages_arrive() {
    let Some(broker) = Mosquitto::start("sub_times_out_when_too_few_messages_arrive") else {
        return;
    };
    let output = common::canopy()
        .args(["sub", &broker.url(), "--count", "10", "--timeout", "1.5"])
        .output()
        .expect("run canopy sub");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("timed out: received 0 messages"),
        "stderr: {stderr}"
    );
}

#[test]
fn bad_url_is_explained() {
    let output = common::canopy()
        .args(["sub", "mqtt://host:notaport"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a broker URL"), "stderr: {stderr}");
}
