//! Encoding Sparkplug B payloads (the `spBv1.0` protobuf) for the demo fleet's PLCs.
//! Only what the simulator sends: a timestamp, a sequence number and scalar metrics.

#[derive(Clone, Debug, PartialEq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub enum MetricValue {
    /// Sparkplug Int64 (datatype 4).
    Long(i64),
    /// Sparkplug Double (datatype 10).
    Double(f64),
    /// Sparkplug Boolean (datatype 11).
    Boolean(bool),
    /// Sparkplug String (datatype 12).
    Text(String),
}

/// One named metric.
#[derive(Clone, Debug, PartialEq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Metric {
    /// Metric name, e.g. `Motor/RPM`.
    pub name: String,
    pub value: MetricValue,
}

/// Encode a Sparkplug B payload.
pub fn encode_payload(timestamp_ms: u64, seq: u64, metrics: &[Metric]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + metrics.len() * 32);
    put_key(&mut out, 1, 0);
    put_varint(&mut out, timestamp_ms);
    for metric in metrics {
        let encoded = encode_metric(metric, timestamp_ms);
        put_key(&mut out, 2, 2);
        put_varint(&mut out, encoded.len() as u64);
        out.extend_from_slice(&encoded);
    }
    put_key(&mut out, 3, 0);
    put_varint(&mut out, seq);
    out
}

fn encode_metric(metric: &Metric, timestamp_ms: u64) -> Vec<u8> {
    let mut out = Vec::new();
    put_key(&mut out, 1, 2);
    put_varint(&mut out, metric.name.len() as u64);
    out.extend_from_slice(metric.name.as_bytes());
    put_key(&mut out, 3, 0);
    put_varint(&mut out, timestamp_ms);
    let datatype = match metric.value {
        MetricValue::Long(_) => 4,
        MetricValue::Double(_) => 10,
        MetricValue::Boolean(_) => 11,
        MetricValue::Text(_) => 12,
    };
    put_key(&mut out, 4, 0);
    put_varint(&mut out, datatype);
    match &metric.value {
        MetricValue::Long(v) => {
            put_key(&mut out, 11, 0);
            put_varint(&mut out, *v as u64);
        }
        MetricValue::Double(v) => {
            put_key(&mut out, 13, 1);
            out.extend_from_slice(&v.to_le_bytes());
        }
        MetricValue::Boolean(v) => {
            put_key(&mut out, 14, 0);
            put_varint(&mut out, u64::from(*v));
        }
        MetricValue::Text(v) => {
            put_key(&mut out, 15, 2);
            put_varint(&mut out, v.len() as u64);
            out.extend_from_slice(v.as_bytes());
        }
    }
    out
}

fn put_key(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_protobuf_wire_format() {
        let payload = encode_payload(
            300,
            1,
            &[Metric {
                name: "A".into(),
                value: MetricValue::Boolean(true),
            }],
        );
        // timestamp=300 (0x08 0xAC 0x02), metric (0x12 len …), seq=1 (0x18 0x01)
        let metric = [0x0A, 0x01, b'A', 0x18, 0xAC, 0x02, 0x20, 0x0B, 0x70, 0x01];
        let mut expected = vec![0x08, 0xAC, 0x02, 0x12, metric.len() as u8];
        expected.extend_from_slice(&metric);
        expected.extend_from_slice(&[0x18, 0x01]);
        assert_eq!(payload, expected);
    }

    #[test]
    fn doubles_are_little_endian_fixed64() {
        let metric = encode_metric(
            &Metric {
                name: String::new(),
                value: MetricValue::Double(1.5),
            },
            0,
        );
        assert!(metric.ends_with(&[0x69, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F]));
    }
}
