//! Sparkplug B payloads (Eclipse Tahu `sparkplug_b.proto`), decoded with prost.
//!
//! Chosen by the topic namespace `spBv1.0/`, never by guessing at bytes. Metrics are shown as an
//! object keyed by metric name (or `alias N` when a birth certificate gave only an alias), so a
//! metric keeps its path in plots even when the publisher reorders them.

use super::error::{Format, PayloadError};
use super::value::Value;

/// The topic namespace of Sparkplug B.
pub const NAMESPACE: &str = "spBv1.0/";

/// True for topics in the Sparkplug B namespace that carry protobuf payloads.
/// (`spBv1.0/STATE/...` host application messages are JSON or text.)
pub fn is_sparkplug_topic(topic: &str) -> bool {
    topic.starts_with(NAMESPACE) && !topic[NAMESPACE.len()..].starts_with("STATE/")
}

#[derive(Clone, PartialEq, prost::Message)]
struct Payload {
    #[prost(uint64, optional, tag = "1")]
    timestamp: Option<u64>,
    #[prost(message, repeated, tag = "2")]
    metrics: Vec<Metric>,
    #[prost(uint64, optional, tag = "3")]
    seq: Option<u64>,
    #[prost(string, optional, tag = "4")]
    uuid: Option<String>,
    #[prost(bytes = "vec", optional, tag = "5")]
    body: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Metric {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(uint64, optional, tag = "2")]
    alias: Option<u64>,
    #[prost(uint64, optional, tag = "3")]
    timestamp: Option<u64>,
    #[prost(uint32, optional, tag = "4")]
    datatype: Option<u32>,
    #[prost(bool, optional, tag = "5")]
    is_historical: Option<bool>,
    #[prost(bool, optional, tag = "6")]
    is_transient: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    is_null: Option<bool>,
    #[prost(oneof = "MetricValue", tags = "10, 11, 12, 13, 14, 15, 16")]
    value: Option<MetricValue>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum MetricValue {
    #[prost(uint32, tag = "10")]
    Int(u32),
    #[prost(uint64, tag = "11")]
    Long(u64),
    #[prost(float, tag = "12")]
    Float(f32),
    #[prost(double, tag = "13")]
    Double(f64),
    #[prost(bool, tag = "14")]
    Boolean(bool),
    #[prost(string, tag = "15")]
    String(String),
    #[prost(bytes = "vec", tag = "16")]
    Bytes(Vec<u8>),
}

/// Sparkplug B data type names, by their numbers in the specification.
fn datatype_name(datatype: u32) -> &'static str {
    match datatype {
        1 => "Int8",
        2 => "Int16",
        3 => "Int32",
        4 => "Int64",
        5 => "UInt8",
        6 => "UInt16",
        7 => "UInt32",
        8 => "UInt64",
        9 => "Float",
        10 => "Double",
        11 => "Boolean",
        12 => "String",
        13 => "DateTime",
        14 => "Text",
        15 => "UUID",
        16 => "DataSet",
        17 => "Bytes",
        18 => "File",
        19 => "Template",
        _ => "Unknown",
    }
}

/// Decode a Sparkplug B payload into a value tree.
pub fn decode(payload: &[u8]) -> Result<Value, PayloadError> {
    use prost::Message as _;
    let decoded =
        Payload::decode(payload).map_err(|e| PayloadError::invalid(Format::SparkplugB, e))?;
    let mut entries = Vec::new();
    if let Some(timestamp) = decoded.timestamp {
        entries.push(("timestamp".to_owned(), Value::Number(timestamp.to_string())));
    }
    if let Some(seq) = decoded.seq {
        entries.push(("seq".to_owned(), Value::Number(seq.to_string())));
    }
    if let Some(uuid) = decoded.uuid {
        entries.push(("uuid".to_owned(), Value::String(uuid)));
    }
    let metrics = decoded
        .metrics
        .into_iter()
        .map(|metric| {
            let key = match (&metric.name, metric.alias) {
                (Some(name), _) => name.clone(),
                (None, Some(alias)) => format!("alias {alias}"),
                (None, None) => "(unnamed)".to_owned(),
            };
            (key, metric_value(metric))
        })
        .collect();
    entries.push(("metrics".to_owned(), Value::Object(metrics)));
    if let Some(body) = decoded.body {
        entries.push(("body".to_owned(), Value::Bytes(body)));
    }
    Ok(Value::Object(entries))
}

fn metric_value(metric: Metric) -> Value {
    let datatype = metric.datatype.unwrap_or(0);
    let value = if metric.is_null == Some(true) {
        Value::Null
    } else {
        match metric.value {
            // Sparkplug packs signed types into the unsigned fields: reinterpret by width.
            Some(MetricValue::Int(raw)) => Value::Number(match datatype {
                1 => (raw as u8 as i8).to_string(),
                2 => (raw as u16 as i16).to_string(),
                3 => (raw as i32).to_string(),
                _ => raw.to_string(),
            }),
            Some(MetricValue::Long(raw)) => Value::Number(match datatype {
                4 => (raw as i64).to_string(),
                _ => raw.to_string(),
            }),
            Some(MetricValue::Float(f)) => Value::Number(f.to_string()),
            Some(MetricValue::Double(f)) => Value::Number(f.to_string()),
            Some(MetricValue::Boolean(b)) => Value::Bool(b),
            Some(MetricValue::String(s)) => Value::String(s),
            Some(MetricValue::Bytes(b)) => Value::Bytes(b),
            None if matches!(datatype, 16 | 19) => {
                Value::String(format!("<{} not decoded>", datatype_name(datatype)))
            }
            None => Value::Null,
        }
    };
    let mut entries = vec![
        ("value".to_owned(), value),
        (
            "type".to_owned(),
            Value::String(datatype_name(datatype).to_owned()),
        ),
    ];
    if let Some(alias) = metric.alias {
        entries.push(("alias".to_owned(), Value::Number(alias.to_string())));
    }
    if let Some(timestamp) = metric.timestamp {
        entries.push(("timestamp".to_owned(), Value::Number(timestamp.to_string())));
    }
    if metric.is_historical == Some(true) {
        entries.push(("historical".to_owned(), Value::Bool(true)));
    }
    if metric.is_transient == Some(true) {
        entries.push(("transient".to_owned(), Value::Bool(true)));
    }
    Value::Object(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::value::{Path, PathSegment};
    use prost::Message as _;

    fn metric(name: &str, datatype: u32, value: MetricValue) -> Metric {
        Metric {
            name: Some(name.to_owned()),
            datatype: Some(datatype),
            value: Some(value),
            ..Metric::default()
        }
    }

    #[test]
    fn decodes_typed_metrics() {
        let payload = Payload {
            timestamp: Some(1_700_000_000_000),
            seq: Some(7),
            metrics: vec![
                metric("Motor/RPM", 4, MetricValue::Long(-5_i64 as u64)),
                metric("Temp", 10, MetricValue::Double(21.5)),
                metric("Small", 1, MetricValue::Int(0xFF)),
                metric("Run", 11, MetricValue::Boolean(true)),
                Metric {
                    alias: Some(3),
                    datatype: Some(12),
                    value: Some(MetricValue::String("ok".into())),
                    ..Metric::default()
                },
            ],
            ..Payload::default()
        }
        .encode_to_vec();
        let value = decode(&payload).expect("decodes");
        let at = |metric: &str| {
            value
                .get(&Path(vec![
                    PathSegment::Key("metrics".into()),
                    PathSegment::Key(metric.into()),
                    PathSegment::Key("value".into()),
                ]))
                .cloned()
        };
        assert_eq!(at("Motor/RPM"), Some(Value::Number("-5".into())));
        assert_eq!(at("Temp"), Some(Value::Number("21.5".into())));
        assert_eq!(at("Small"), Some(Value::Number("-1".into())));
        assert_eq!(at("Run"), Some(Value::Bool(true)));
        assert_eq!(at("alias 3"), Some(Value::String("ok".into())));
        assert_eq!(
            value.get(&Path(vec![PathSegment::Key("seq".into())])),
            Some(&Value::Number("7".into()))
        );
    }

    #[test]
    fn the_demo_fleet_encoder_agrees() {
        use crate::sim::sparkplug::{Metric as SimMetric, MetricValue as SimValue, encode_payload};
        let bytes = encode_payload(
            42,
            3,
            &[SimMetric {
                name: "Line/Speed".into(),
                value: SimValue::Double(1.25),
            }],
        );
        let value = decode(&bytes).expect("decodes");
        let speed = value.get(&Path(vec![
            PathSegment::Key("metrics".into()),
            PathSegment::Key("Line/Speed".into()),
            PathSegment::Key("value".into()),
        ]));
        assert_eq!(speed.and_then(Value::as_f64), Some(1.25));
    }

    #[test]
    fn malformed_protobuf_is_refused() {
        for bad in [&[0x12, 0x10, 0x0A][..], &[0xFF; 12], &[0x0A], &[0x08]] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn namespace_detection() {
        assert!(is_sparkplug_topic("spBv1.0/plant/DDATA/edge1/plc1"));
        assert!(!is_sparkplug_topic("spBv1.0/STATE/host"));
        assert!(!is_sparkplug_topic("home/spBv1.0/x"));
    }
}
