//! Protobuf without a schema, as `protoc --decode_raw` shows it: every field by its number, in
//! wire order (a repeated field appears once per value), varints and fixed-width numbers as
//! numbers, length-delimited fields as text when they are printable UTF-8, else as a nested
//! message when they parse as one, else as bytes.

use super::error::{Format, PayloadError};
use super::value::Value;

/// Nested messages followed at most.
const MAX_DEPTH: usize = 32;

/// Decode `payload` as a protobuf message with no schema.
pub fn decode_raw(payload: &[u8]) -> Result<Value, PayloadError> {
    if payload.is_empty() {
        return Err(PayloadError::invalid(Format::Protobuf, "an empty payload"));
    }
    message(payload, 0)
}

fn message(bytes: &[u8], depth: usize) -> Result<Value, PayloadError> {
    if depth > MAX_DEPTH {
        return Err(PayloadError::TooDeep {
            format: Format::Protobuf,
            max: MAX_DEPTH,
        });
    }
    let mut fields = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let tag = varint(&mut rest)?;
        let number = tag >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(PayloadError::invalid(
                Format::Protobuf,
                format!("field number {number} is out of range"),
            ));
        }
        let value = match tag & 7 {
            0 => Value::Number(varint(&mut rest)?.to_string()),
            1 => Value::Number(u64::from_le_bytes(fixed::<8>(&mut rest)?).to_string()),
            5 => Value::Number(u32::from_le_bytes(fixed::<4>(&mut rest)?).to_string()),
            2 => {
                let length = usize::try_from(varint(&mut rest)?).unwrap_or(usize::MAX);
                let Some(field) = rest.get(..length) else {
                    return Err(PayloadError::Truncated {
                        format: Format::Protobuf,
                    });
                };
                rest = &rest[length..];
                length_delimited(field, depth)
            }
            3 | 4 => {
                return Err(PayloadError::invalid(
                    Format::Protobuf,
                    "groups (wire types 3 and 4) are not supported",
                ));
            }
            other => {
                return Err(PayloadError::invalid(
                    Format::Protobuf,
                    format!("wire type {other} does not exist"),
                ));
            }
        };
        fields.push((number.to_string(), value));
    }
    Ok(Value::Object(fields))
}

/// Text when printable, a message when it parses as one, else bytes.
fn length_delimited(field: &[u8], depth: usize) -> Value {
    if let Ok(text) = std::str::from_utf8(field)
        && text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t')
    {
        return Value::String(text.to_owned());
    }
    match message(field, depth + 1) {
        Ok(nested) if !field.is_empty() => nested,
        _ => Value::Bytes(field.to_vec()),
    }
}

fn varint(rest: &mut &[u8]) -> Result<u64, PayloadError> {
    let mut value = 0u64;
    for shift in 0..10 {
        let Some((&byte, tail)) = rest.split_first() else {
            return Err(PayloadError::Truncated {
                format: Format::Protobuf,
            });
        };
        *rest = tail;
        value |= u64::from(byte & 0x7f) << (7 * shift);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(PayloadError::invalid(
        Format::Protobuf,
        "a varint longer than 10 bytes",
    ))
}

fn fixed<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], PayloadError> {
    let Some(bytes) = rest.get(..N) else {
        return Err(PayloadError::Truncated {
            format: Format::Protobuf,
        });
    };
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    *rest = &rest[N..];
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(fields: &[(&str, Value)]) -> Value {
        Value::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    fn number(n: u64) -> Value {
        Value::Number(n.to_string())
    }

    #[test]
    fn wire_types_nesting_and_repeats() {
        let cases: [(&[u8], Value); 6] = [
            // The protobuf documentation's examples: 150 as field 1, "testing" as field 2.
            (&[0x08, 0x96, 0x01], object(&[("1", number(150))])),
            (
                b"\x12\x07testing",
                object(&[("2", Value::String("testing".into()))]),
            ),
            // A nested message in field 3.
            (
                &[0x1a, 0x03, 0x08, 0x96, 0x01],
                object(&[("3", object(&[("1", number(150))]))]),
            ),
            // fixed32 and fixed64.
            (
                &[0x25, 1, 0, 0, 0, 0x29, 2, 0, 0, 0, 0, 0, 0, 0],
                object(&[("4", number(1)), ("5", number(2))]),
            ),
            // A repeated field appears once per value, in order.
            (
                &[0x08, 0x01, 0x08, 0x02],
                object(&[("1", number(1)), ("1", number(2))]),
            ),
            // Length-delimited bytes that are neither text nor a message.
            (
                &[0x0a, 0x02, 0xff, 0xff],
                object(&[("1", Value::Bytes(vec![0xff, 0xff]))]),
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(decode_raw(bytes), Ok(expected), "{bytes:02x?}");
        }
    }

    #[test]
    fn what_is_not_protobuf_is_refused_in_words() {
        let cases: [(&[u8], &str); 6] = [
            (&[], "not protobuf: an empty payload"),
            (&[0x08], "not protobuf: the document ends too early"),
            (
                &[0x12, 0x05, b'a'],
                "not protobuf: the document ends too early",
            ),
            (
                &[0x0b],
                "not protobuf: groups (wire types 3 and 4) are not supported",
            ),
            (&[0x0e], "not protobuf: wire type 6 does not exist"),
            (
                &[0x00, 0x01],
                "not protobuf: field number 0 is out of range",
            ),
        ];
        for (bytes, expected) in cases {
            let error = decode_raw(bytes).expect_err("refused");
            assert_eq!(error.to_string(), expected, "{bytes:02x?}");
        }
        let deep: Vec<u8> = (0..40).fold(vec![0x08, 0x01], |inner, _| {
            let mut outer = vec![0x0a, inner.len() as u8];
            outer.extend(inner);
            outer
        });
        // Deeper than followed: the innermost levels show as bytes, nothing panics.
        assert!(decode_raw(&deep).is_ok());
    }

    /// Random bytes never panic; whatever decodes has one field per wire record.
    #[test]
    fn random_bytes_decode_or_are_refused_without_panicking() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut decoded = 0;
        for round in 0..20_000 {
            let length = round % 80;
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            if decode_raw(&bytes).is_ok() {
                decoded += 1;
            }
        }
        assert!(decoded > 0, "some random bytes are valid protobuf");
    }
}
