//! The demo fleet's protobuf telemetry (`factory/<line>/telemetry`, `demo.plant.LineTelemetry`
//! of the built-in example schema), encoded with prost types written from that schema; a test
//! checks them against it.

/// The example schema, as a file of that name.
pub const SCHEMA: (&str, &str) = ("demo/plant.proto", include_str!("demo_plant.proto"));
/// The message type the demo's telemetry topics are bound to.
pub const MESSAGE: &str = "demo.plant.LineTelemetry";
/// The topics it is published on.
pub const FILTER: &str = "factory/+/telemetry";

#[derive(Clone, PartialEq, prost::Message)]
struct LineTelemetry {
    #[prost(string, tag = "1")]
    line: String,
    #[prost(message, optional, tag = "2")]
    at: Option<Timestamp>,
    #[prost(int32, tag = "3")]
    state: i32,
    #[prost(double, tag = "4")]
    belt_speed_m_s: f64,
    #[prost(message, repeated, tag = "5")]
    motors: Vec<Motor>,
    #[prost(btree_map = "string, uint64", tag = "6")]
    counters: std::collections::BTreeMap<String, u64>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Motor {
    #[prost(uint32, tag = "1")]
    id: u32,
    #[prost(double, tag = "2")]
    current_a: f64,
    #[prost(double, tag = "3")]
    temperature_c: f64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Timestamp {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// One telemetry message of production line `line`: belt speed, two motors, a piece counter.
pub(super) fn encode(
    line: &str,
    speed_m_s: f64,
    pieces: u64,
    now: std::time::SystemTime,
) -> Vec<u8> {
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let message = LineTelemetry {
        line: line.to_owned(),
        at: Some(Timestamp {
            seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nanos: i32::try_from(since.subsec_millis() * 1_000_000).unwrap_or(0),
        }),
        state: if speed_m_s > 0.0 { 1 } else { 2 },
        belt_speed_m_s: round(speed_m_s),
        motors: (1..=2)
            .map(|id| Motor {
                id,
                current_a: round(speed_m_s * 6.0 + f64::from(id) * 0.4),
                temperature_c: round(38.0 + speed_m_s * 5.0 + f64::from(id)),
            })
            .collect(),
        counters: std::collections::BTreeMap::from([("pieces".to_owned(), pieces)]),
    };
    prost::Message::encode_to_vec(&message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{Path, PathSegment, Value, protobuf};

    #[test]
    fn the_encoder_agrees_with_the_example_schema() {
        let schemas = protobuf::compile([(SCHEMA.0.to_owned(), SCHEMA.1.to_owned())].into())
            .expect("the example schema compiles");
        let message = schemas.message(MESSAGE).expect("the bound type");
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_764_576_000_250);
        let value = protobuf::decode(&encode("line2", 1.234, 77, at), &message).expect("decodes");
        let get = |path: &[&str]| {
            value
                .get(&Path(
                    path.iter()
                        .map(|p| match p.parse() {
                            Ok(index) => PathSegment::Index(index),
                            Err(_) => PathSegment::Key((*p).to_owned()),
                        })
                        .collect(),
                ))
                .cloned()
        };
        assert_eq!(get(&["line"]), Some(Value::String("line2".into())));
        assert_eq!(get(&["state"]), Some(Value::String("RUNNING".into())));
        assert_eq!(
            get(&["at"]),
            Some(Value::String("2025-12-01T08:00:00.250Z".into()))
        );
        assert_eq!(
            get(&["belt_speed_m_s"]).and_then(|v| v.as_f64()),
            Some(1.23)
        );
        assert_eq!(
            get(&["motors", "1", "id"]).and_then(|v| v.as_f64()),
            Some(2.0)
        );
        assert_eq!(
            get(&["counters", "pieces"]).and_then(|v| v.as_f64()),
            Some(77.0)
        );
        assert!(crate::mqtt::matches(FILTER, "factory/line2/telemetry"));
    }
}
