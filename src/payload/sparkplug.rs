//! Sparkplug B payloads (Eclipse Tahu `sparkplug_b.proto`), decoded with prost.
//!
//! Chosen by the topic namespace `spBv1.0/`, never by guessing at bytes. Metrics are shown as an
//! object keyed by metric name (or `alias N` when a birth certificate gave only an alias), so a
//! metric keeps its path in plots even when the publisher reorders them.

use super::error::{Format, PayloadError};
use super::value::Value;

use crate::mqtt::sparkplug::{
    self as sp, AliasNames, DataSet, Metric, MetricValue, Payload, ScalarValue, Template,
};

/// The topic namespace of Sparkplug B.
pub const NAMESPACE: &str = "spBv1.0/";

/// True for topics in the Sparkplug B namespace that carry protobuf payloads.
/// (`spBv1.0/STATE/...` host application messages are JSON or text.)
pub fn is_sparkplug_topic(topic: &str) -> bool {
    topic.starts_with(NAMESPACE) && !topic[NAMESPACE.len()..].starts_with("STATE/")
}

/// Decode a Sparkplug B payload into a value tree; `aliases` (from the birth in effect when it
/// arrived) names the metrics that carry only an alias.
pub fn decode(payload: &[u8], aliases: Option<&AliasNames>) -> Result<Value, PayloadError> {
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
    entries.push((
        "metrics".to_owned(),
        metrics_value(&decoded.metrics, aliases),
    ));
    if let Some(body) = decoded.body {
        entries.push(("body".to_owned(), Value::Bytes(body)));
    }
    Ok(Value::Object(entries))
}

/// Metrics as an object keyed by name. Recursion (templates hold metrics) is bounded by prost's
/// nesting limit of 100 messages.
fn metrics_value(metrics: &[Metric], aliases: Option<&AliasNames>) -> Value {
    Value::Object(
        metrics
            .iter()
            .map(|metric| {
                (
                    sp::metric_name(metric, aliases),
                    metric_value(metric, aliases),
                )
            })
            .collect(),
    )
}

fn metric_value(metric: &Metric, aliases: Option<&AliasNames>) -> Value {
    // Data messages rarely repeat the type: the birth's says how to read signed values.
    let datatype = sp::metric_datatype(metric, aliases);
    let value = match &metric.value {
        _ if metric.null() => Value::Null,
        Some(MetricValue::Float(_) | MetricValue::Double(_)) => match metric.number(datatype) {
            Some(number) => Value::Number(number.to_string()),
            None => Value::String(metric.value_text(datatype)),
        },
        Some(MetricValue::Int(_) | MetricValue::Long(_)) => {
            Value::Number(metric.value_text(datatype))
        }
        Some(MetricValue::Boolean(b)) => Value::Bool(*b),
        Some(MetricValue::String(s)) => Value::String(s.clone()),
        Some(MetricValue::Bytes(b)) => Value::Bytes(b.clone()),
        Some(MetricValue::DataSet(data_set)) => data_set_value(data_set),
        Some(MetricValue::Template(template)) => template_value(template, aliases),
        Some(MetricValue::Extension(_)) => Value::String("(extension)".to_owned()),
        None => Value::Null,
    };
    let mut entries = vec![
        ("value".to_owned(), value),
        (
            "type".to_owned(),
            Value::String(sp::datatype_name(datatype).to_owned()),
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
    if let Some(properties) = &metric.properties {
        let properties = properties
            .keys
            .iter()
            .zip(&properties.values)
            .map(|(key, value)| (key.clone(), Value::String(sp::property_text(value))))
            .collect();
        entries.push(("properties".to_owned(), Value::Object(properties)));
    }
    Value::Object(entries)
}

/// A data set as an array of rows, each an object keyed by column name.
fn data_set_value(data_set: &DataSet) -> Value {
    let rows = data_set
        .rows
        .iter()
        .map(|row| {
            Value::Object(
                row.elements
                    .iter()
                    .enumerate()
                    .map(|(index, cell)| {
                        let column = data_set
                            .columns
                            .get(index)
                            .cloned()
                            .unwrap_or_else(|| format!("column {index}"));
                        (column, scalar(cell.value.as_ref()))
                    })
                    .collect(),
            )
        })
        .collect();
    Value::Array(rows)
}

fn scalar(value: Option<&ScalarValue>) -> Value {
    match value {
        None => Value::Null,
        Some(ScalarValue::Int(v)) => Value::Number(v.to_string()),
        Some(ScalarValue::Long(v)) => Value::Number(v.to_string()),
        Some(ScalarValue::Float(v)) if v.is_finite() => Value::Number(v.to_string()),
        Some(ScalarValue::Double(v)) if v.is_finite() => Value::Number(v.to_string()),
        Some(ScalarValue::Boolean(v)) => Value::Bool(*v),
        Some(other) => Value::String(sp::scalar_text(Some(other))),
    }
}

fn template_value(template: &Template, aliases: Option<&AliasNames>) -> Value {
    let mut entries = Vec::new();
    if let Some(reference) = &template.template_ref {
        entries.push(("template".to_owned(), Value::String(reference.clone())));
    }
    if let Some(version) = &template.version {
        entries.push(("version".to_owned(), Value::String(version.clone())));
    }
    if template.is_definition == Some(true) {
        entries.push(("definition".to_owned(), Value::Bool(true)));
    }
    if !template.parameters.is_empty() {
        let parameters = template
            .parameters
            .iter()
            .map(|p| {
                let value = p.value.as_ref().map(sp::ParameterValue::to_scalar);
                (p.name.clone().unwrap_or_default(), scalar(value.as_ref()))
            })
            .collect();
        entries.push(("parameters".to_owned(), Value::Object(parameters)));
    }
    entries.push((
        "metrics".to_owned(),
        metrics_value(&template.metrics, aliases),
    ));
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
        let value = decode(&payload, None).expect("decodes");
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

    fn key(path: &[&str]) -> Path {
        Path(path.iter().map(|k| PathSegment::Key((*k).into())).collect())
    }

    #[test]
    fn aliases_are_named_by_the_birth_in_effect() {
        let data = Payload {
            metrics: vec![
                Metric::aliased(2, MetricValue::Double(3.5)),
                Metric::aliased(9, MetricValue::Boolean(true)),
            ],
            ..Payload::default()
        }
        .encode_to_vec();
        let names = AliasNames::from([(2, "Line/Speed".to_owned())]);
        let value = decode(&data, Some(&names)).expect("decodes");
        let speed = value.get(&key(&["metrics", "Line/Speed", "value"]));
        assert_eq!(speed.and_then(Value::as_f64), Some(3.5));
        assert_eq!(
            value.get(&key(&["metrics", "Line/Speed", "alias"])),
            Some(&Value::Number("2".into()))
        );
        assert!(
            value.get(&key(&["metrics", "alias 9", "value"])).is_some(),
            "unknown alias"
        );
        let bare = decode(&data, None).expect("decodes");
        assert!(bare.get(&key(&["metrics", "alias 2", "value"])).is_some());
    }

    #[test]
    fn signed_values_in_data_messages_are_read_with_the_births_type() {
        use crate::mqtt::sparkplug::datatype;
        let mut births = AliasNames::default();
        let mut temp = Metric::named("Temp", datatype::INT32, MetricValue::Int(20));
        temp.alias = Some(10);
        births.learn(&temp);
        births.learn(&Metric::named(
            "Delta",
            datatype::INT64,
            MetricValue::Long(0),
        ));
        let data = Payload {
            metrics: vec![
                Metric::aliased(10, MetricValue::Int(-3_i32 as u32)),
                Metric {
                    name: Some("Delta".into()),
                    value: Some(MetricValue::Long(-7_i64 as u64)),
                    ..Metric::default()
                },
            ],
            ..Payload::default()
        }
        .encode_to_vec();
        let value = decode(&data, Some(&births)).expect("decodes");
        let at = |path: &[&str]| value.get(&key(path)).cloned();
        assert_eq!(
            at(&["metrics", "Temp", "value"]),
            Some(Value::Number("-3".into()))
        );
        assert_eq!(
            at(&["metrics", "Temp", "type"]),
            Some(Value::String("Int32".into()))
        );
        assert_eq!(
            at(&["metrics", "Delta", "value"]),
            Some(Value::Number("-7".into()))
        );
        let hint = crate::payload::Hint {
            topic: "spBv1.0/g/DDATA/n/d",
            aliases: Some(&births),
            ..crate::payload::Hint::default()
        };
        assert_eq!(
            crate::payload::preview_decoded(&data, 80, &hint),
            "Temp=-3 Delta=-7"
        );
    }

    /// Long: one payload with a data set, a template and a metric with properties, then a
    /// check of each.
    #[test]
    fn data_sets_templates_and_properties() {
        use crate::mqtt::sparkplug::{
            DataSetValue, Parameter, ParameterValue, PropertySet, PropertyValue, PropertyValueKind,
            Row, datatype,
        };
        let cell = |v| DataSetValue { value: Some(v) };
        let table = DataSet {
            num_of_columns: Some(2),
            columns: vec!["step".into(), "ok".into()],
            types: vec![7, 11],
            rows: vec![
                Row {
                    elements: vec![cell(ScalarValue::Int(1)), cell(ScalarValue::Boolean(true))],
                },
                Row {
                    elements: vec![cell(ScalarValue::Int(2))],
                },
            ],
        };
        let template = Template {
            template_ref: Some("Motor".into()),
            parameters: vec![Parameter {
                name: Some("rated".into()),
                r#type: Some(datatype::DOUBLE),
                value: Some(ParameterValue::Double(7.5)),
            }],
            metrics: vec![Metric::named(
                "RPM",
                datatype::INT32,
                MetricValue::Int(1450),
            )],
            ..Template::default()
        };
        let mut with_units = Metric::named("Temp", datatype::DOUBLE, MetricValue::Double(20.0));
        with_units.properties = Some(PropertySet {
            keys: vec!["engUnit".into()],
            values: vec![PropertyValue {
                r#type: Some(datatype::STRING),
                is_null: None,
                value: Some(PropertyValueKind::String("°C".into())),
            }],
        });
        let payload = Payload {
            metrics: vec![
                Metric::named("Recipe", datatype::DATASET, MetricValue::DataSet(table)),
                Metric::named(
                    "Motor1",
                    datatype::TEMPLATE,
                    MetricValue::Template(template),
                ),
                with_units,
            ],
            ..Payload::default()
        }
        .encode_to_vec();
        let value = decode(&payload, None).expect("decodes");
        let at = |path: &[&str]| value.get(&key(path)).cloned();
        let Some(Value::Array(rows)) = at(&["metrics", "Recipe", "value"]) else {
            panic!("a data set is an array of rows: {value:?}");
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            Value::Object(vec![
                ("step".into(), Value::Number("1".into())),
                ("ok".into(), Value::Bool(true)),
            ])
        );
        assert_eq!(
            at(&["metrics", "Motor1", "value", "metrics", "RPM", "value"]),
            Some(Value::Number("1450".into()))
        );
        assert_eq!(
            at(&["metrics", "Motor1", "value", "parameters", "rated"]),
            Some(Value::Number("7.5".into()))
        );
        assert_eq!(
            at(&["metrics", "Temp", "properties", "engUnit"]),
            Some(Value::String("°C".into()))
        );
    }

    #[test]
    fn malformed_protobuf_is_refused() {
        for bad in [&[0x12, 0x10, 0x0A][..], &[0xFF; 12], &[0x0A], &[0x08]] {
            assert!(decode(bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn namespace_detection() {
        assert!(is_sparkplug_topic("spBv1.0/plant/DDATA/edge1/plc1"));
        assert!(!is_sparkplug_topic("spBv1.0/STATE/host"));
        assert!(!is_sparkplug_topic("home/spBv1.0/x"));
    }
}
