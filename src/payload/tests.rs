//! Detection, rendering, samples, diffs and previews across the payload views.

use super::*;

#[test]
fn detection_table() {
    let cases: &[(&[u8], PayloadKind)] = &[
        (b"", PayloadKind::Empty),
        (b"21.5", PayloadKind::Text),
        (b"{\"t\":21.5}", PayloadKind::Json),
        (b"  [1, 2, 3]\n", PayloadKind::Json),
        (b"\"quoted\"", PayloadKind::Json),
        (b"{not json", PayloadKind::Text),
        (b"online", PayloadKind::Text),
        (b"\xff\xfe\x00\x01", PayloadKind::Binary),
        (b"a\x00b", PayloadKind::Binary),
        (b"line one\nline two", PayloadKind::Text),
    ];
    for (payload, expected) in cases {
        assert_eq!(detect(payload), *expected, "payload {payload:?}");
    }
}

#[test]
fn preview_table() {
    let cases: &[(&[u8], usize, &str)] = &[
        (b"21.5", 10, "21.5"),
        (b"a\nb", 10, "a b"),
        (b"abcdefghij", 4, "abcd…"),
        (b"\x01\x02\xff", 30, "01 02 ff"),
        (b"\x01\x02\xff\x00", 6, "01 02…"),
        (b"", 10, ""),
    ];
    for (payload, max, expected) in cases {
        assert_eq!(preview(payload, *max), *expected, "payload {payload:?}");
    }
}

fn hint(topic: &str) -> Hint<'_> {
    Hint {
        topic,
        content_type: None,
        aliases: None,
        message_type: None,
    }
}

fn png() -> Vec<u8> {
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 128, 255, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode");
    png
}

#[test]
fn invalid_utf8_is_escaped_not_lost() {
    assert_eq!(text(b"ok\xffok"), "ok\\xFFok");
    let rendered = render(b"ok\xffok", PayloadView::Text, &hint("t"));
    assert!(rendered.note.is_some());
    assert_eq!(rendered.body, Body::Text("ok\\xFFok".into()));
}

#[test]
fn auto_view_table() {
    let png = png();
    let declared = |content_type| Hint {
        topic: "t",
        content_type: Some(content_type),
        aliases: None,
        message_type: None,
    };
    let cases: Vec<(&[u8], Hint<'_>, PayloadView)> = vec![
        (b"{\"a\":1}", hint("t"), PayloadView::Json),
        (b"hello", hint("t"), PayloadView::Text),
        (b"", hint("t"), PayloadView::Text),
        (b"\x00\x01", hint("t"), PayloadView::Hex),
        (b"\x82\x01\x02", hint("t"), PayloadView::Hex),
        (&png, hint("cam/1"), PayloadView::Image),
        (
            b"\x08\x01",
            hint("spBv1.0/g/NDATA/n"),
            PayloadView::Sparkplug,
        ),
        (
            b"{\"online\":true}",
            hint("spBv1.0/STATE/h"),
            PayloadView::Json,
        ),
        (
            b"\x81\x01",
            declared("application/msgpack"),
            PayloadView::MessagePack,
        ),
        (
            b"\x81\x01",
            declared("application/cbor; x=1"),
            PayloadView::Cbor,
        ),
        (
            b"[1]",
            declared("application/vnd.api+json"),
            PayloadView::Json,
        ),
        (b"\xD9\xD9\xF7\x01", hint("t"), PayloadView::Cbor),
    ];
    for (payload, hint, expected) in cases {
        assert_eq!(auto_view(payload, &hint), expected, "{payload:?} {hint:?}");
    }
}

/// Every view on good input, and every decoder on malformed input: the latter falls back to
/// a hex dump with a note naming the problem.
#[test]
fn decoder_table_good_and_malformed() {
    let png = png();
    let good: Vec<(&[u8], PayloadView, &str)> = vec![
        (b"{\"a\": 0.90}", PayloadView::Json, "\"a\": 0.90"),
        (b"\x81\xA1a\x01", PayloadView::MessagePack, "\"a\": 1"),
        (b"\xA1\x61a\xF5", PayloadView::Cbor, "\"a\": true"),
        (b"\x08\x2A\x18\x03", PayloadView::Sparkplug, "\"seq\": 3"),
        (&png, PayloadView::Image, "PNG image, 2x2 pixels"),
        (b"hi", PayloadView::Base64, "aGk="),
        (b"hi", PayloadView::Hex, "68 69"),
        (b"hi", PayloadView::Text, "hi"),
    ];
    for (payload, view, expected) in good {
        let rendered = render(payload, view, &hint("t"));
        assert_eq!(rendered.view, view, "{view:?}");
        assert_eq!(rendered.note, None, "{view:?}");
        let shown = rendered.body.to_text();
        assert!(shown.contains(expected), "{view:?}: {shown}");
    }
    let truncated_png = &png[..png.len() - 10];
    let malformed: Vec<(&[u8], PayloadView, &str)> = vec![
        (b"{\"a\":", PayloadView::Json, "not valid JSON"),
        (b"\xff\xfe", PayloadView::Json, "not valid JSON"),
        (b"\xD9\x05a", PayloadView::MessagePack, "ends too early"),
        (b"\x92\x01", PayloadView::MessagePack, "not MessagePack"),
        (b"\xFF", PayloadView::Cbor, "not CBOR"),
        (b"[[[[", PayloadView::Json, "not valid JSON"),
        (b"\x82\x01", PayloadView::Cbor, "not CBOR"),
        (b"\x12\x10\x0A", PayloadView::Sparkplug, "not Sparkplug B"),
        (b"plain", PayloadView::Image, "not a PNG or JPEG"),
        (truncated_png, PayloadView::Image, "not a readable PNG"),
    ];
    for (payload, view, reason) in malformed {
        let rendered = render(payload, view, &hint("t"));
        assert_eq!(rendered.view, PayloadView::Hex, "{view:?}");
        let note = rendered.note.unwrap_or_default();
        assert!(
            note.contains(reason) && note.ends_with("shown as bytes"),
            "{view:?}: {note}"
        );
        assert_eq!(rendered.body, Body::Text(hex_dump(payload)), "{view:?}");
    }
}

#[test]
fn random_bytes_never_panic_any_decoder() {
    // A small deterministic generator: every view over many odd inputs.
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    for round in 0..2_000 {
        let len = round % 97;
        let payload: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        for view in PayloadView::ALL {
            let _ = render(&payload, view, &hint("spBv1.0/g/DDATA/n/d"));
        }
    }
}

#[test]
fn huge_documents_render_as_text() {
    let big = format!("[{}]", vec!["1"; MAX_TREE_VALUES + 5].join(","));
    let rendered = render(big.as_bytes(), PayloadView::Auto, &hint("t"));
    assert_eq!(rendered.view, PayloadView::Json);
    assert!(matches!(rendered.body, Body::Text(_)));
    assert!(rendered.note.is_some_and(|n| n.contains("indented text")));
}

#[test]
fn samples_for_plots() {
    let path = |keys: &[&str]| {
        Path(
            keys.iter()
                .map(|k| PathSegment::Key((*k).to_owned()))
                .collect(),
        )
    };
    let root = Path::default();
    assert_eq!(
        sample(b" 21.5\n", PayloadView::Text, &root, &Hint::default()),
        Some(21.5)
    );
    assert_eq!(
        sample(b"on", PayloadView::Text, &root, &Hint::default()),
        None
    );
    assert_eq!(
        sample(b"nan", PayloadView::Text, &root, &Hint::default()),
        None
    );
    assert_eq!(
        sample(
            br#"{"s":{"t":3}}"#,
            PayloadView::Json,
            &path(&["s", "t"]),
            &Hint::default()
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            br#"{"s":1}"#,
            PayloadView::Json,
            &path(&["x"]),
            &Hint::default()
        ),
        None
    );
    assert_eq!(
        sample(b"{bad", PayloadView::Json, &path(&["x"]), &Hint::default()),
        None
    );
    assert_eq!(
        sample(
            b"\x81\xA1t\x07",
            PayloadView::MessagePack,
            &path(&["t"]),
            &Hint::default()
        ),
        Some(7.0)
    );
}

#[test]
fn payload_diffs() {
    assert_eq!(
        diff(
            (b"a", &Hint::default()),
            (b"a", &Hint::default()),
            PayloadView::Text
        ),
        PayloadDiff::Identical
    );
    assert_eq!(
        diff(
            (br#"{"a":1}"#, &Hint::default()),
            (br#"{ "a": 1 }"#, &Hint::default()),
            PayloadView::Json
        ),
        PayloadDiff::Identical
    );
    let PayloadDiff::Structural(changes) = diff(
        (br#"{"a":1}"#, &Hint::default()),
        (br#"{"a":2}"#, &Hint::default()),
        PayloadView::Json,
    ) else {
        panic!("structural diff expected");
    };
    assert_eq!(changes.len(), 1);
    // Invalid JSON on one side: compared as text lines.
    assert!(matches!(
        diff(
            (br#"{"a":1}"#, &Hint::default()),
            (b"{broken", &Hint::default()),
            PayloadView::Json
        ),
        PayloadDiff::Lines(_)
    ));
    let PayloadDiff::Lines(lines) = diff(
        (b"\x00\x01", &Hint::default()),
        (b"\x00\x02", &Hint::default()),
        PayloadView::Hex,
    ) else {
        panic!("hex diff expected");
    };
    assert!(
        lines
            .iter()
            .any(|l| matches!(l, DiffLine::Added(t) if t.contains("00 02")))
    );
}

#[test]
fn hex_dump_layout() {
    let dump = hex_dump(b"0123456789abcdefXYZ");
    let lines: Vec<_> = dump.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef"
    );
    assert!(lines[1].starts_with("00000010  58 59 5a "));
    assert!(lines[1].ends_with("XYZ"));
}

/// The payload fuzzer's corpus, every file in every view, once in the normal suite.
#[test]
fn the_fuzz_corpus_renders_in_every_view_without_panicking() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/payload");
    // As the fuzz target renders them: also with Sparkplug aliases and a bound protobuf type.
    let schemas = protobuf::compile(protobuf::tests::sources()).expect("compiles");
    let message = schemas.message("plant.Telemetry");
    let names: crate::mqtt::sparkplug::AliasNames = (0..8)
        .map(|alias| (alias, format!("metric/{alias}")))
        .collect();
    let rich = Hint {
        topic: "spBv1.0/plant/DDATA/edge/device",
        content_type: None,
        aliases: Some(&names),
        message_type: message.as_ref(),
    };
    let mut files = 0;
    for path in std::fs::read_dir(folder)
        .expect("the corpus")
        .flatten()
        .map(|e| e.path())
    {
        let bytes = std::fs::read(&path).expect("read");
        for view in PayloadView::ALL {
            let _ = render(&bytes, view, &Hint::default());
            let _ = render(&bytes, view, &rich);
        }
        files += 1;
    }
    assert!(files > 100, "{files} files");
}

#[test]
fn decoded_previews_name_sparkplug_metrics_and_bound_fields() {
    use crate::mqtt::sparkplug::{Metric, MetricValue, Payload};
    let data = Payload {
        seq: Some(3),
        metrics: vec![
            Metric::aliased(2, MetricValue::Double(1509.08)),
            Metric::aliased(7, MetricValue::Long(83)),
        ],
        ..Payload::default()
    }
    .to_bytes();
    let names = crate::mqtt::sparkplug::AliasNames::from([(2, "Motor/RPM".to_owned())]);
    let hint = Hint {
        topic: "spBv1.0/f/DDATA/e/plc",
        aliases: Some(&names),
        ..Hint::default()
    };
    assert_eq!(
        preview_decoded(&data, 80, &hint),
        "Motor/RPM=1509.08 alias 7=83"
    );
    assert_eq!(preview_decoded(&data, 10, &hint), "Motor/RPM=…");
    // Not Sparkplug, not bound: as before.
    assert_eq!(preview_decoded(b"21.5", 80, &Hint::default()), "21.5");
    let schemas = protobuf::compile(protobuf::tests::sources()).expect("compiles");
    let reading = schemas.message("plant.common.Reading");
    let bytes = protobuf::encode_json(
        r#"{"value": 2.5, "unit": "BAR"}"#,
        reading.as_ref().expect("type"),
    )
    .expect("encodes");
    let bound = Hint {
        topic: "x",
        message_type: reading.as_ref(),
        ..Hint::default()
    };
    assert_eq!(
        preview_decoded(&bytes, 80, &bound),
        r#"value=2.5 unit="BAR""#
    );
    assert_eq!(preview_decoded(&[0xFF], 80, &bound), "ff");
}

#[test]
fn a_diff_across_a_rebirth_compares_metrics_by_name() {
    use crate::mqtt::sparkplug::{AliasNames, Metric, MetricValue, Payload};
    let data = |alias, value| {
        Payload {
            metrics: vec![Metric::aliased(alias, MetricValue::Double(value))],
            ..Payload::default()
        }
        .to_bytes()
    };
    // Before the rebirth Speed was alias 2; after it, alias 5.
    let before = AliasNames::from([(2, "Speed".to_owned())]);
    let after = AliasNames::from([(5, "Speed".to_owned())]);
    let hint = |names| Hint {
        topic: "spBv1.0/g/NDATA/n",
        aliases: Some(names),
        ..Hint::default()
    };
    let PayloadDiff::Structural(changes) = diff(
        (&data(2, 1.0), &hint(&before)),
        (&data(5, 1.5), &hint(&after)),
        PayloadView::Sparkplug,
    ) else {
        panic!("a structural diff");
    };
    let changed: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Change::Changed { path, old, new } => format!("{path}: {old} -> {new}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        changed,
        [
            "$.metrics.Speed.value: 1 -> 1.5",
            "$.metrics.Speed.alias: 2 -> 5"
        ]
    );
}
