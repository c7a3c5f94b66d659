//! Inspecting messages in the window: payload views, diffs, the chart and its CSV export.

use crate::common;
use crate::common::ui::{exists, harness};
use canopy::app::CanopyApp;
use canopy::model::{Incoming, MessageProperties};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

fn app_with(batch: Vec<Incoming>) -> CanopyApp {
    let mut app = CanopyApp::new(Ok(common::manager()), None);
    app.inject(batch);
    app
}

fn open(harness: &mut Harness<'_, CanopyApp>, topic: &str) {
    assert!(
        harness.state_mut().select_topic(topic),
        "{topic} is in the tree"
    );
    harness.run_steps(3);
}

fn click_button(harness: &mut Harness<'_, CanopyApp>, label: &str) {
    harness.get_by_role_and_label(Role::Button, label).click();
    harness.run_steps(3);
}

fn payload_text(harness: &Harness<'_, CanopyApp>) -> String {
    harness
        .get_by_role_and_label(Role::MultilineTextInput, "Payload")
        .value()
        .unwrap_or_default()
}

#[test]
fn json_tree_diff_and_a_view_chosen_per_topic() {
    let mut harness = harness(app_with(vec![
        Incoming::new(
            "plant/boiler",
            r#"{"temp": 71.5, "state": "on", "alarms": []}"#,
        ),
        Incoming::new(
            "plant/boiler",
            r#"{"temp": 72.25, "state": "on", "pump": 3}"#,
        ),
        Incoming::new("plant/other", r#"{"x": 1}"#),
    ]));
    harness.run_steps(2);
    open(&mut harness, "plant/boiler");

    // The newest message as a coloured tree, in the publisher's order.
    for row in ["temp: 72.25", "state: \"on\"", "pump: 3"] {
        assert!(exists(&harness, row), "row {row}");
    }
    harness.get_by_label("Shown as JSON");
    // Its diff against the previous message, by path.
    harness.get_by_label("~ $.temp: 71.5 -> 72.25");
    harness.get_by_label("- $.alarms: [0 items]");
    harness.get_by_label("+ $.pump: 3");

    // The raw text is one click away, and the choice sticks to this topic only.
    click_button(&mut harness, "Text");
    assert_eq!(
        payload_text(&harness),
        r#"{"temp": 72.25, "state": "on", "pump": 3}"#
    );
    // The text diff marks the changed line.
    harness.get_by_label(r#"+ {"temp": 72.25, "state": "on", "pump": 3}"#);
    harness.get_by_label(r#"- {"temp": 71.5, "state": "on", "alarms": []}"#);
    open(&mut harness, "plant/other");
    assert!(
        exists(&harness, "x: 1"),
        "the other topic still decodes as JSON"
    );
    open(&mut harness, "plant/boiler");
    assert_eq!(
        payload_text(&harness).len(),
        41,
        "Text is remembered for plant/boiler"
    );

    // Copy the path of a value picked in the tree.
    click_button(&mut harness, "JSON");
    click_button(&mut harness, "temp: 72.25");
    harness.get_by_label("$.temp = 72.25");
    harness
        .get_by_role_and_label(Role::Button, "Copy path")
        .click();
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, egui::OutputCommand::CopyText(text) if text == "$.temp"));
    assert!(copied, "the path went to the clipboard");
}

#[test]
fn binary_formats_are_decoded_and_bad_ones_shown_as_bytes() {
    let msgpack = Arc::new(MessageProperties {
        content_type: Some("application/msgpack".into()),
        ..MessageProperties::default()
    });
    let mut packed = Incoming::new("dev/packed", vec![0x81, 0xA1, b'v', 0x2A]);
    packed.properties = Some(msgpack);
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(4, 3, image::Rgba([10, 200, 30, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode png");
    let sparkplug = {
        use canopy::mqtt::sparkplug::{Metric, MetricValue, Payload, datatype};
        Payload {
            timestamp: Some(1_700_000_000_000),
            seq: Some(5),
            metrics: vec![Metric::named(
                "Motor/RPM",
                datatype::INT64,
                MetricValue::Long(1450),
            )],
            ..Payload::default()
        }
        .to_bytes()
    };
    let mut harness = harness(app_with(vec![
        packed,
        Incoming::new("cam/snapshot", png),
        Incoming::new("spBv1.0/plant/DDATA/edge1/plc1", sparkplug),
        Incoming::new("dev/cbor", vec![0xA1, 0x61, b'k', 0xF5]),
    ]));
    harness.run_steps(2);

    open(&mut harness, "dev/packed");
    harness.get_by_label("Shown as MessagePack");
    assert!(exists(&harness, "v: 42"));

    open(&mut harness, "cam/snapshot");
    harness.get_by_label("PNG image, 4x3 pixels");

    open(&mut harness, "spBv1.0/plant/DDATA/edge1/plc1");
    harness.get_by_label("Shown as Sparkplug B");
    assert!(exists(&harness, "value: 1450"), "the metric's value");
    assert!(exists(&harness, "seq: 5"));

    // CBOR is never guessed from bytes alone, but the user can ask for it.
    open(&mut harness, "dev/cbor");
    harness.get_by_label("Shown as Hex");
    click_button(&mut harness, "CBOR");
    assert!(exists(&harness, "k: true"));

    // Asking for a format the payload is not: a note, and the bytes.
    click_button(&mut harness, "MessagePack");
    harness.get_by_label_contains("shown as bytes");
    assert!(payload_text(&harness).starts_with("00000000  a1 61 6b f5"));
}

/// A file picker that saves to a fixed path, so no dialog opens.
struct SaveTo(std::path::PathBuf);

impl canopy::app::FilePicker for SaveTo {
    fn pick_file(&mut self, _title: &str) -> Option<std::path::PathBuf> {
        None
    }

    fn save_file(&mut self, _title: &str, _suggested: &str) -> Option<std::path::PathBuf> {
        Some(self.0.clone())
    }
}

#[test]
fn two_fields_from_two_topics_on_one_chart_and_exported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv_path = dir.path().join("chart.csv");
    let mut app = app_with(vec![
        Incoming::new("home/kitchen/climate", r#"{"t": 21.5, "rh": 40}"#),
        Incoming::new("home/garage/power", "230.5"),
    ]);
    app.set_file_picker(Box::new(SaveTo(csv_path.clone())));
    let mut harness = harness(app);
    harness.run_steps(2);

    // A field picked in the JSON tree.
    open(&mut harness, "home/kitchen/climate");
    click_button(&mut harness, "t: 21.5");
    click_button(&mut harness, "Plot field");
    // A plain numeric topic.
    open(&mut harness, "home/garage/power");
    click_button(&mut harness, "Plot value");

    harness.get_by_role_and_label(Role::Button, "Chart (2)");
    // Each series is listed above the plot (and named again in its legend).
    assert!(exists(&harness, "home/kitchen/climate $.t"));
    assert!(exists(&harness, "home/garage/power"));

    // New messages feed the chart.
    harness.state_mut().inject(vec![
        Incoming::new("home/kitchen/climate", r#"{"t": 22, "rh": 41}"#),
        Incoming::new("home/garage/power", "231"),
    ]);
    harness.run_steps(3);
    let chart = &harness.state().active_session().expect("session").chart;
    let ys: Vec<Vec<f64>> = chart
        .series
        .iter()
        .map(|s| s.series.points().iter().map(|p| p[1]).collect())
        .collect();
    assert_eq!(ys, [vec![21.5, 22.0], vec![230.5, 231.0]]);

    // Time windows and pause are plain buttons.
    click_button(&mut harness, "1 min");
    click_button(&mut harness, "Pause");
    assert!(
        harness
            .state()
            .active_session()
            .expect("session")
            .chart
            .paused_at
            .is_some()
    );
    click_button(&mut harness, "Follow");

    click_button(&mut harness, "Export CSV…");
    let csv = std::fs::read_to_string(&csv_path).expect("the CSV was written");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time_utc,unix_ms,series,topic,field,value");
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[1].ends_with(",home/kitchen/climate $.t,home/kitchen/climate,$.t,21.5"));
    assert!(lines[4].ends_with(",home/garage/power,home/garage/power,$,231"));
    harness.get_by_label_contains("Exported 4 samples");
}

#[test]
fn any_protobuf_is_shown_raw_by_field_number() {
    let mut payload = vec![0x08, 0x96, 0x01, 0x12, 0x07];
    payload.extend_from_slice(b"testing");
    payload.extend_from_slice(&[0x1a, 0x02, 0x08, 0x2a]);
    let mut harness = harness(app_with(vec![
        Incoming::new("pb/reading", payload),
        Incoming::new("pb/text", r#"{"a": 1}"#),
    ]));
    harness.run_steps(2);
    open(&mut harness, "pb/reading");
    // Auto shows bytes (protobuf cannot be recognised without a schema); the raw view decodes.
    click_button(&mut harness, "Protobuf (raw)");
    for row in ["1: 150", "2: \"testing\"", "1: 42"] {
        assert!(exists(&harness, row), "row {row}");
    }
    // JSON is not protobuf (its `{` reads as a group): the view says so and shows the bytes.
    open(&mut harness, "pb/text");
    click_button(&mut harness, "Protobuf (raw)");
    assert!(
        harness
            .query_all_by_label_contains("not protobuf:")
            .next()
            .is_some()
    );
}
