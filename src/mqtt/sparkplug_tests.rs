//! Topics, numbers by data type, the Rebirth command, hostile nesting.

use super::*;

#[test]
fn topics_split_into_their_parts() {
    use MessageType::*;
    let edge = |group, kind, node, device| {
        Some(SparkplugTopic::Edge {
            group,
            kind,
            node,
            device,
        })
    };
    let cases = [
        (
            "spBv1.0/plant/NBIRTH/edge1",
            edge("plant", NBirth, "edge1", None),
        ),
        (
            "spBv1.0/plant/DDATA/edge1/plc",
            edge("plant", DData, "edge1", Some("plc")),
        ),
        (
            "spBv1.0/plant/NCMD/edge1",
            edge("plant", NCmd, "edge1", None),
        ),
        (
            "spBv1.0/STATE/scada",
            Some(SparkplugTopic::State {
                host: "scada",
                legacy: false,
            }),
        ),
        (
            "STATE/scada",
            Some(SparkplugTopic::State {
                host: "scada",
                legacy: true,
            }),
        ),
        ("spBv1.0/plant/NDATA/edge1/plc", None),
        ("spBv1.0/plant/DDATA/edge1", None),
        ("spBv1.0/plant/XDATA/edge1", None),
        ("spBv1.0/plant/NDATA/edge1/a/b", None),
        ("spBv1.0//NDATA/edge1", None),
        ("spBv1.0", None),
        ("home/spBv1.0/plant/NDATA/x", None),
    ];
    for (topic, expected) in cases {
        assert_eq!(parse_topic(topic), expected, "{topic}");
    }
    assert_eq!(
        topic("plant", DBirth, "edge1", Some("plc")),
        "spBv1.0/plant/DBIRTH/edge1/plc"
    );
}

#[test]
fn numbers_follow_the_data_type() {
    let int = |raw, datatype| Metric::aliased(1, MetricValue::Int(raw)).number(datatype);
    assert_eq!(int(0xFF, 1), Some(-1.0));
    assert_eq!(int(0xFFFF, 2), Some(-1.0));
    assert_eq!(int(u32::MAX, 3), Some(-1.0));
    assert_eq!(int(u32::MAX, 7), Some(f64::from(u32::MAX)));
    let long = Metric::aliased(1, MetricValue::Long(-5_i64 as u64));
    assert_eq!(long.number(4), Some(-5.0));
    assert_eq!(long.value_text(4), "-5");
    let nan = Metric::aliased(1, MetricValue::Double(f64::NAN));
    assert_eq!(nan.number(10), None);
    let mut null = Metric::aliased(1, MetricValue::Double(1.0));
    null.is_null = Some(true);
    assert_eq!(
        (null.number(10), null.value_text(10).as_str()),
        (None, "null")
    );
}

#[test]
fn the_rebirth_command_round_trips() {
    let bytes = Payload::rebirth_command(5).to_bytes();
    let back = Payload::decode(&bytes).expect("decodes");
    assert_eq!(back.metrics[0].name.as_deref(), Some(REBIRTH));
    assert_eq!(back.metrics[0].value, Some(MetricValue::Boolean(true)));
    assert_eq!(back.timestamp, Some(5));
}

#[test]
fn deep_templates_are_refused_not_overflowed() {
    // A metric holding a template holding a metric… 10,000 levels deep.
    let mut bytes: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        let mut template = vec![0x12]; // Template.metrics
        put_len(&mut template, bytes.len());
        template.extend_from_slice(&bytes);
        let mut metric = vec![0x92, 0x01]; // Metric.template_value (18, LEN)
        put_len(&mut metric, template.len());
        metric.extend_from_slice(&template);
        bytes = metric;
    }
    let mut payload = vec![0x12];
    put_len(&mut payload, bytes.len());
    payload.extend_from_slice(&bytes);
    assert!(Payload::decode(&payload).is_err());
}

fn put_len(out: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}
