//! Decoder throughput: how long rendering one payload takes in each view, and the chart's
//! per-message sample extraction. Run with `cargo bench --bench decoders`.

use canopy::payload::{self, Hint, Path, PathSegment, PayloadView};

fn main() {
    divan::main();
}

/// A typical JSON sensor reading (about 150 bytes).
fn json_reading() -> Vec<u8> {
    br#"{"temperature":21.37,"humidity":44.1,"setpoint":21.0,"battery":97,"mode":"auto","ts":1763780000123,"flags":[true,false,true]}"#.to_vec()
}

/// A 64 KiB JSON document: an array of readings.
fn json_large() -> Vec<u8> {
    let reading = String::from_utf8(json_reading()).unwrap_or_default();
    let mut out = String::from("[");
    while out.len() < 64 * 1024 {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&reading);
    }
    out.push(']');
    out.into_bytes()
}

/// The same reading as MessagePack.
fn msgpack_reading() -> Vec<u8> {
    let value = rmpv::Value::Map(vec![
        ("temperature".into(), 21.37.into()),
        ("humidity".into(), 44.1.into()),
        ("battery".into(), 97.into()),
        ("mode".into(), "auto".into()),
    ]);
    let mut out = Vec::new();
    let _ = rmpv::encode::write_value(&mut out, &value);
    out
}

/// The same reading as CBOR.
fn cbor_reading() -> Vec<u8> {
    let value = ciborium::Value::Map(vec![
        ("temperature".into(), 21.37.into()),
        ("humidity".into(), 44.1.into()),
        ("battery".into(), 97.into()),
        ("mode".into(), "auto".into()),
    ]);
    let mut out = Vec::new();
    let _ = ciborium::ser::into_writer(&value, &mut out);
    out
}

/// A Sparkplug B DDATA payload with ten metrics, as the demo fleet sends.
fn sparkplug_reading() -> Vec<u8> {
    use canopy::mqtt::sparkplug::{Metric, MetricValue, Payload, datatype};
    let metrics: Vec<Metric> = (0..10)
        .map(|i| {
            let mut metric = Metric::named(
                &format!("Line/Motor{i}/RPM"),
                datatype::DOUBLE,
                MetricValue::Double(1450.0 + f64::from(i)),
            );
            metric.timestamp = Some(1_763_780_000_123);
            metric
        })
        .collect();
    Payload {
        timestamp: Some(1_763_780_000_123),
        seq: Some(42),
        metrics,
        ..Payload::default()
    }
    .to_bytes()
}

fn binary_4k() -> Vec<u8> {
    (0..4096u32).map(|i| (i * 7 % 251) as u8).collect()
}

const HINT: Hint<'static> = Hint {
    topic: "bench/topic",
    content_type: None,
    aliases: None,
    message_type: None,
};

#[divan::bench]
fn render_json_reading(bencher: divan::Bencher) {
    let payload = json_reading();
    bencher.bench(|| payload::render(divan::black_box(&payload), PayloadView::Json, &HINT));
}

#[divan::bench]
fn render_json_64k(bencher: divan::Bencher) {
    let payload = json_large();
    bencher
        .counter(divan::counter::BytesCount::new(payload.len()))
        .bench(|| payload::render(divan::black_box(&payload), PayloadView::Json, &HINT));
}

#[divan::bench]
fn render_msgpack(bencher: divan::Bencher) {
    let payload = msgpack_reading();
    bencher.bench(|| payload::render(divan::black_box(&payload), PayloadView::MessagePack, &HINT));
}

#[divan::bench]
fn render_cbor(bencher: divan::Bencher) {
    let payload = cbor_reading();
    bencher.bench(|| payload::render(divan::black_box(&payload), PayloadView::Cbor, &HINT));
}

#[divan::bench]
fn render_sparkplug(bencher: divan::Bencher) {
    let payload = sparkplug_reading();
    bencher.bench(|| payload::render(divan::black_box(&payload), PayloadView::Sparkplug, &HINT));
}

#[divan::bench]
fn render_hex_4k(bencher: divan::Bencher) {
    let payload = binary_4k();
    bencher
        .counter(divan::counter::BytesCount::new(payload.len()))
        .bench(|| payload::render(divan::black_box(&payload), PayloadView::Hex, &HINT));
}

#[divan::bench]
fn auto_view_json(bencher: divan::Bencher) {
    let payload = json_reading();
    bencher.bench(|| payload::auto_view(divan::black_box(&payload), &HINT));
}

#[divan::bench]
fn preview_json(bencher: divan::Bencher) {
    let payload = json_reading();
    bencher.bench(|| payload::preview(divan::black_box(&payload), 120));
}

#[divan::bench]
fn chart_sample_json_field(bencher: divan::Bencher) {
    let payload = json_reading();
    let path = Path(vec![PathSegment::Key("humidity".into())]);
    bencher.bench(|| payload::sample(divan::black_box(&payload), PayloadView::Json, &path, &HINT));
}

#[divan::bench]
fn diff_json_readings(bencher: divan::Bencher) {
    let old = json_reading();
    let new = String::from_utf8(json_reading())
        .unwrap_or_default()
        .replace("21.37", "21.41")
        .into_bytes();
    bencher.bench(|| {
        payload::diff(
            (divan::black_box(&old), &HINT),
            (divan::black_box(&new), &HINT),
            PayloadView::Json,
        )
    });
}

/// An edge node's NBIRTH naming 100 metrics (aliases 0–99) and an NDATA carrying all of them by
/// alias only, as plants publish them.
fn sparkplug_aliased_100() -> (Vec<u8>, Vec<u8>) {
    use canopy::mqtt::sparkplug::{Metric, MetricValue, Payload, datatype};
    let named = (0..100u64)
        .map(|i| {
            let mut metric = Metric::named(
                &format!("Line/Motor{i}/RPM"),
                datatype::DOUBLE,
                MetricValue::Double(0.0),
            );
            metric.alias = Some(i);
            metric
        })
        .collect();
    let birth = Payload {
        timestamp: Some(1_763_780_000_000),
        seq: Some(0),
        metrics: named,
        ..Payload::default()
    };
    let data = Payload {
        timestamp: Some(1_763_780_000_123),
        seq: Some(1),
        metrics: (0..100u64)
            .map(|i| Metric::aliased(i, MetricValue::Double(1450.0 + i as f64)))
            .collect(),
        ..Payload::default()
    };
    (birth.to_bytes(), data.to_bytes())
}

/// The message panel showing an aliased NDATA with its names resolved.
#[divan::bench]
fn render_sparkplug_ndata_aliased_100(bencher: divan::Bencher) {
    let (_, data) = sparkplug_aliased_100();
    let names: canopy::mqtt::sparkplug::AliasNames = (0..100u64)
        .map(|i| (i, format!("Line/Motor{i}/RPM")))
        .collect();
    let hint = Hint {
        topic: "spBv1.0/plant/NDATA/edge1",
        content_type: None,
        aliases: Some(&names),
        message_type: None,
    };
    bencher
        .counter(divan::counter::BytesCount::new(data.len()))
        .bench(|| payload::render(divan::black_box(&data), PayloadView::Sparkplug, &hint));
}

/// The session model taking an aliased NDATA (what every Sparkplug message costs on arrival).
#[divan::bench]
fn session_observe_ndata_aliased_100(bencher: divan::Bencher) {
    let (birth, data) = sparkplug_aliased_100();
    let mut sessions = canopy::model::sparkplug::Sessions::default();
    let at = std::time::SystemTime::now();
    sessions.observe("spBv1.0/plant/NBIRTH/edge1", &birth, at, 0);
    let mut message = 1;
    bencher
        .counter(divan::counter::BytesCount::new(data.len()))
        .bench_local(|| {
            message += 1;
            sessions.observe(
                "spBv1.0/plant/NDATA/edge1",
                divan::black_box(&data),
                at,
                message,
            )
        });
}

/// A 10 KB protobuf telemetry message (a device and 400 readings) and its type, compiled from a
/// `.proto` as the Schemas window compiles it.
fn protobuf_10k() -> (Vec<u8>, prost_reflect::MessageDescriptor) {
    use std::collections::BTreeMap;
    let schema = r#"syntax = "proto3";
package plant;
import "google/protobuf/timestamp.proto";
message Reading { string sensor = 1; double value = 2; int64 at_ms = 3; }
message Telemetry {
  string device = 1;
  google.protobuf.Timestamp at = 2;
  repeated Reading readings = 3;
}
"#;
    let schemas = payload::protobuf::compile(BTreeMap::from([(
        "plant.proto".to_owned(),
        schema.to_owned(),
    )]))
    .unwrap_or_else(|e| panic!("the bench schema compiles: {e}"));
    let message = schemas
        .message("plant.Telemetry")
        .unwrap_or_else(|| panic!("plant.Telemetry"));
    let readings: Vec<String> = (0..400)
        .map(|i| {
            format!(
                r#"{{"sensor": "s{i}", "value": {}.25, "at_ms": {}}}"#,
                i,
                1_764_000_000_000_u64 + i
            )
        })
        .collect();
    let json = format!(
        r#"{{"device": "press-7", "at": "2026-12-01T08:00:00Z", "readings": [{}]}}"#,
        readings.join(",")
    );
    let bytes = payload::protobuf::encode_json(&json, &message)
        .unwrap_or_else(|e| panic!("the bench message encodes: {e}"));
    (bytes, message)
}

/// The message panel showing a 10 KB protobuf payload decoded by its bound type.
#[divan::bench]
fn render_protobuf_schema_10k(bencher: divan::Bencher) {
    let (bytes, message) = protobuf_10k();
    let hint = Hint {
        topic: "factory/line1/telemetry",
        content_type: None,
        aliases: None,
        message_type: Some(&message),
    };
    bencher
        .counter(divan::counter::BytesCount::new(bytes.len()))
        .bench(|| payload::render(divan::black_box(&bytes), PayloadView::Protobuf, &hint));
}

/// Plotting one field of a 10 KB bound protobuf payload (what each arriving message costs a
/// plotted series).
#[divan::bench]
fn chart_sample_protobuf_10k(bencher: divan::Bencher) {
    let (bytes, message) = protobuf_10k();
    let hint = Hint {
        topic: "factory/line1/telemetry",
        content_type: None,
        aliases: None,
        message_type: Some(&message),
    };
    let path = Path(vec![
        PathSegment::Key("readings".into()),
        PathSegment::Index(399),
        PathSegment::Key("value".into()),
    ]);
    bencher.bench(|| {
        payload::sample(
            divan::black_box(&bytes),
            PayloadView::Protobuf,
            &path,
            &hint,
        )
    });
}

/// A tree row's preview of an aliased NDATA with 100 metrics (names through the aliases).
#[divan::bench]
fn preview_sparkplug_ndata_aliased_100(bencher: divan::Bencher) {
    let (_, data) = sparkplug_aliased_100();
    let names: canopy::mqtt::sparkplug::AliasNames = (0..100u64)
        .map(|i| (i, format!("Line/Motor{i}/RPM")))
        .collect();
    let hint = Hint {
        topic: "spBv1.0/plant/NDATA/edge1",
        content_type: None,
        aliases: Some(&names),
        message_type: None,
    };
    bencher.bench(|| payload::preview_decoded(divan::black_box(&data), 120, &hint));
}
