//! Schemas written as users write them (tests/fixtures/proto, also used by the window's tests):
//! a package importing another file and a well-known type, nested messages, enums, repeated
//! fields and maps.

use super::*;
use crate::payload::value::{Path, PathSegment};

pub(crate) const UNITS: &str = include_str!("../../tests/fixtures/proto/common/units.proto");

pub(crate) const TELEMETRY: &str = include_str!("../../tests/fixtures/proto/telemetry.proto");

pub(crate) fn sources() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("common/units.proto".to_owned(), UNITS.to_owned()),
        ("telemetry.proto".to_owned(), TELEMETRY.to_owned()),
    ])
}

fn at(value: &Value, path: &[&str]) -> Option<Value> {
    let path = Path(
        path.iter()
            .map(|p| match p.parse::<usize>() {
                Ok(index) => PathSegment::Index(index),
                Err(_) => PathSegment::Key((*p).to_owned()),
            })
            .collect(),
    );
    value.get(&path).cloned()
}

#[test]
fn compiled_files_list_their_message_types() {
    let schemas = compile(sources()).expect("compiles");
    assert_eq!(schemas.files, ["common/units.proto", "telemetry.proto"]);
    assert_eq!(
        schemas.message_names(),
        [
            "plant.Telemetry",
            "plant.Telemetry.Status",
            "plant.common.Reading"
        ]
    );
    assert!(schemas.message(".plant.Telemetry").is_some());
    assert!(schemas.message("plant.Nope").is_none());
}

#[test]
fn json_round_trips_through_protobuf_into_the_tree() {
    let schemas = compile(sources()).expect("compiles");
    let telemetry = schemas.message("plant.Telemetry").expect("type");
    let json = r#"{
        "device": "press-7",
        "at": "2026-12-01T08:00:00Z",
        "readings": [{"value": 21.5, "unit": "CELSIUS"}, {"value": 3.2, "unit": "BAR"}],
        "counters": {"strokes": 9000000000},
        "status": {"ok": true, "uptimeS": 3600},
        "state": "RUNNING"
    }"#;
    let bytes = encode_json(json, &telemetry).expect("encodes");
    let value = decode(&bytes, &telemetry).expect("decodes");
    let number = |v: Option<Value>| v.and_then(|v| v.as_f64());
    assert_eq!(
        at(&value, &["device"]),
        Some(Value::String("press-7".into()))
    );
    assert_eq!(
        at(&value, &["at"]),
        Some(Value::String("2026-12-01T08:00:00Z".into())),
        "a Timestamp in its JSON form"
    );
    assert_eq!(number(at(&value, &["readings", "1", "value"])), Some(3.2));
    assert_eq!(
        at(&value, &["readings", "0", "unit"]),
        Some(Value::String("CELSIUS".into())),
        "enums by name"
    );
    assert_eq!(
        number(at(&value, &["counters", "strokes"])),
        Some(9e9),
        "64-bit integers stay numbers"
    );
    assert_eq!(
        number(at(&value, &["status", "uptime_s"])),
        Some(3600.0),
        "fields keep their .proto names"
    );
    assert_eq!(
        at(&value, &["state"]),
        Some(Value::String("RUNNING".into()))
    );
}

#[test]
fn defaults_are_shown_not_skipped() {
    let schemas = compile(sources()).expect("compiles");
    let reading = schemas.message("plant.common.Reading").expect("type");
    let value = decode(&[], &reading).expect("an empty message is valid");
    assert_eq!(at(&value, &["value"]).and_then(|v| v.as_f64()), Some(0.0));
    assert_eq!(
        at(&value, &["unit"]),
        Some(Value::String("UNIT_UNSPECIFIED".into()))
    );
}

#[test]
fn bad_sources_name_the_file_and_line() {
    let mut broken = sources();
    broken.insert(
        "broken.proto".to_owned(),
        "syntax = \"proto3\";\n\nmessage Broken {\n  string name = ;\n}\n".to_owned(),
    );
    let error = compile(broken).expect_err("a syntax error");
    assert_eq!(error.file.as_deref(), Some("broken.proto"));
    assert_eq!(error.line, Some(4));
    assert!(error.to_string().starts_with("broken.proto:4:"), "{error}");

    let mut missing = BTreeMap::new();
    missing.insert("telemetry.proto".to_owned(), TELEMETRY.to_owned());
    let error = compile(missing).expect_err("an import is missing");
    assert_eq!(error.file.as_deref(), Some("telemetry.proto"));
    assert_eq!(error.line, Some(4), "{error}");
    assert!(error.message.contains("common/units.proto"), "{error}");

    let mut unknown_type = BTreeMap::new();
    unknown_type.insert(
        "a.proto".to_owned(),
        "syntax = \"proto3\";\nmessage A {\n  Missing m = 1;\n}\n".to_owned(),
    );
    let error = compile(unknown_type).expect_err("an unknown type");
    assert_eq!(
        (error.file.as_deref(), error.line),
        (Some("a.proto"), Some(3)),
        "{error}"
    );
}

#[test]
fn payloads_that_are_not_the_type_and_bad_json_are_refused_in_words() {
    let schemas = compile(sources()).expect("compiles");
    let telemetry = schemas.message("plant.Telemetry").expect("type");
    let error = decode(&[0xFF, 0xFF, 0xFF], &telemetry).expect_err("garbage");
    assert!(error.to_string().contains("plant.Telemetry"), "{error}");
    // A field of the wrong wire type.
    let error = decode(&[0x0A, 0x05, 0x01], &telemetry).expect_err("truncated");
    assert!(error.to_string().starts_with("not protobuf"), "{error}");
    let error = encode_json(r#"{"devise": "x"}"#, &telemetry).expect_err("unknown field");
    assert!(error.to_string().contains("devise"), "{error}");
    assert!(encode_json(r#"{"state": "FLYING"}"#, &telemetry).is_err());
    assert!(encode_json("{} trailing", &telemetry).is_err());
}

#[test]
fn random_bytes_never_panic() {
    let schemas = compile(sources()).expect("compiles");
    let telemetry = schemas.message("plant.Telemetry").expect("type");
    let mut state = 0x1234_5678_u64;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let _ = decode(&bytes, &telemetry);
    }
}

#[test]
fn plot_samples_agree_with_the_value_tree() {
    let schemas = compile(sources()).expect("compiles");
    let telemetry = schemas.message("plant.Telemetry").expect("type");
    let bytes = encode_json(
        r#"{"device": "7", "at": "2026-12-01T08:00:00Z",
            "readings": [{"value": 21.5, "unit": "CELSIUS"}, {"value": -3}],
            "counters": {"strokes": 9000000000}, "status": {"ok": true}, "state": "RUNNING"}"#,
        &telemetry,
    )
    .expect("encodes");
    let tree = decode(&bytes, &telemetry).expect("decodes");
    let paths: [&[&str]; 11] = [
        &["readings", "0", "value"],
        &["readings", "1", "value"],
        &["readings", "1", "unit"],
        &["readings", "5", "value"],
        &["counters", "strokes"],
        &["counters", "nope"],
        &["status", "ok"],
        &["status", "uptime_s"],
        &["device"],
        &["state"],
        &["at", "seconds"],
    ];
    for path in paths {
        let segments = Path(
            path.iter()
                .map(|p| match p.parse::<usize>() {
                    Ok(index) => PathSegment::Index(index),
                    Err(_) => PathSegment::Key((*p).to_owned()),
                })
                .collect(),
        );
        assert_eq!(
            sample(&bytes, &telemetry, &segments),
            tree.get(&segments).and_then(Value::as_f64),
            "{path:?}"
        );
    }
}
