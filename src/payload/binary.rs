//! Binary payload formats: MessagePack, CBOR and inline images, decoded without trusting the input.

use super::error::{Format, PayloadError};
use super::value::Value;

/// Deepest nesting accepted in binary documents (the same bound serde_json uses for JSON).
const MAX_DEPTH: usize = 128;

/// Largest image side decoded for display, in pixels.
const MAX_IMAGE_SIDE: u32 = 8192;

/// Most memory an image decode may take.
const MAX_IMAGE_ALLOC_BYTES: u64 = 256 * 1024 * 1024;

/// Decode a MessagePack document that fills the whole payload.
pub fn msgpack(payload: &[u8]) -> Result<Value, PayloadError> {
    let mut reader = payload;
    let decoded = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH).map_err(|e| {
        use rmpv::decode::Error;
        match e {
            Error::InvalidMarkerRead(io) | Error::InvalidDataRead(io)
                if io.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                PayloadError::Truncated {
                    format: Format::MessagePack,
                }
            }
            Error::DepthLimitExceeded => PayloadError::TooDeep {
                format: Format::MessagePack,
                max: MAX_DEPTH,
            },
            other => PayloadError::invalid(Format::MessagePack, other),
        }
    })?;
    if !reader.is_empty() {
        return Err(PayloadError::TrailingBytes {
            format: Format::MessagePack,
            left: reader.len(),
        });
    }
    Ok(from_msgpack(decoded))
}

fn from_msgpack(value: rmpv::Value) -> Value {
    match value {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => Value::Bool(b),
        rmpv::Value::Integer(i) => Value::Number(i.to_string()),
        rmpv::Value::F32(f) => Value::Number(f.to_string()),
        rmpv::Value::F64(f) => Value::Number(f.to_string()),
        rmpv::Value::String(s) => match s.into_str() {
            Some(text) => Value::String(text),
            None => Value::String("<invalid UTF-8 string>".to_owned()),
        },
        rmpv::Value::Binary(bytes) => Value::Bytes(bytes),
        rmpv::Value::Array(items) => Value::Array(items.into_iter().map(from_msgpack).collect()),
        rmpv::Value::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (map_key(from_msgpack(k)), from_msgpack(v)))
                .collect(),
        ),
        rmpv::Value::Ext(kind, data) => Value::Object(vec![
            ("ext type".to_owned(), Value::Number(kind.to_string())),
            ("data".to_owned(), Value::Bytes(data)),
        ]),
    }
}

/// Decode a CBOR document that fills the whole payload.
pub fn cbor(payload: &[u8]) -> Result<Value, PayloadError> {
    let mut reader = payload;
    let decoded: ciborium::Value = ciborium::de::from_reader_with_recursion_limit(
        &mut reader,
        MAX_DEPTH,
    )
    .map_err(|e| match e {
        ciborium::de::Error::Io(_) => PayloadError::Truncated {
            format: Format::Cbor,
        },
        ciborium::de::Error::Syntax(offset) => {
            PayloadError::invalid(Format::Cbor, format!("bad syntax at byte {offset}"))
        }
        ciborium::de::Error::Semantic(_, message) => PayloadError::invalid(Format::Cbor, message),
        ciborium::de::Error::RecursionLimitExceeded => PayloadError::TooDeep {
            format: Format::Cbor,
            max: MAX_DEPTH,
        },
    })?;
    if !reader.is_empty() {
        return Err(PayloadError::TrailingBytes {
            format: Format::Cbor,
            left: reader.len(),
        });
    }
    Ok(from_cbor(decoded))
}

fn from_cbor(value: ciborium::Value) -> Value {
    match value {
        ciborium::Value::Null => Value::Null,
        ciborium::Value::Bool(b) => Value::Bool(b),
        ciborium::Value::Integer(i) => Value::Number(i128::from(i).to_string()),
        ciborium::Value::Float(f) => Value::Number(f.to_string()),
        ciborium::Value::Text(s) => Value::String(s),
        ciborium::Value::Bytes(bytes) => Value::Bytes(bytes),
        ciborium::Value::Array(items) => Value::Array(items.into_iter().map(from_cbor).collect()),
        ciborium::Value::Map(entries) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (map_key(from_cbor(k)), from_cbor(v)))
                .collect(),
        ),
        ciborium::Value::Tag(tag, inner) => Value::Object(vec![
            ("tag".to_owned(), Value::Number(tag.to_string())),
            ("value".to_owned(), from_cbor(*inner)),
        ]),
        // ciborium's Value is non-exhaustive.
        _ => Value::String("<unsupported CBOR item>".to_owned()),
    }
}

/// Binary formats allow any key type; show non-string keys as their JSON spelling.
fn map_key(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.summary(),
    }
}

/// An image file format Canopy shows inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub enum ImageFormat {
    /// Portable Network Graphics.
    Png,
    Jpeg,
}

impl ImageFormat {
    /// The format's usual name.
    pub fn label(self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
        }
    }
}

/// The image format announced by the payload's first bytes, if any.
pub fn image_format(payload: &[u8]) -> Option<ImageFormat> {
    if payload.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if payload.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else {
        None
    }
}

/// A decoded image: 8-bit RGBA pixels, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedImage {
    /// The file format it came in.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for DecodedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DecodedImage({} {}x{})",
            self.format.label(),
            self.width,
            self.height
        )
    }
}

/// Decode a PNG or JPEG payload, within size limits.
pub fn image(payload: &[u8]) -> Result<DecodedImage, PayloadError> {
    let format = image_format(payload).ok_or(PayloadError::NotAnImage)?;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(payload));
    reader.set_format(match format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
    });
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC_BYTES);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| PayloadError::Image {
        format: format.label(),
        reason: e.to_string(),
    })?;
    let rgba = decoded.to_rgba8();
    Ok(DecodedImage {
        format,
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_map_with_mixed_values() {
        // {"t": 21.5, "ok": true, "n": [1, -2], 7: nil, "b": bin[1,2]}
        let payload = [
            0x85, 0xA1, b't', 0xCB, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0, 0xA2, b'o', b'k', 0xC3, 0xA1,
            b'n', 0x92, 0x01, 0xFE, 0x07, 0xC0, 0xA1, b'b', 0xC4, 0x02, 0x01, 0x02,
        ];
        let value = msgpack(&payload).expect("valid");
        assert_eq!(
            value,
            Value::Object(vec![
                ("t".into(), Value::Number("21.5".into())),
                ("ok".into(), Value::Bool(true)),
                (
                    "n".into(),
                    Value::Array(vec![Value::Number("1".into()), Value::Number("-2".into())])
                ),
                ("7".into(), Value::Null),
                ("b".into(), Value::Bytes(vec![1, 2])),
            ])
        );
    }

    #[test]
    fn cbor_map_with_tag() {
        // {"a": 1, "b": [true, null], 1("x")}  -> map(2), then tag 1 around "x" would be a third
        let payload = [
            0xA3, 0x61, b'a', 0x01, 0x61, b'b', 0x82, 0xF5, 0xF6, 0x61, b'c', 0xC1, 0x61, b'x',
        ];
        let value = cbor(&payload).expect("valid");
        assert_eq!(
            value,
            Value::Object(vec![
                ("a".into(), Value::Number("1".into())),
                (
                    "b".into(),
                    Value::Array(vec![Value::Bool(true), Value::Null])
                ),
                (
                    "c".into(),
                    Value::Object(vec![
                        ("tag".into(), Value::Number("1".into())),
                        ("value".into(), Value::String("x".into())),
                    ])
                ),
            ])
        );
    }

    #[test]
    fn malformed_binary_documents_are_refused() {
        let huge_array_header = [0xDD, 0xFF, 0xFF, 0xFF, 0xFF];
        let huge_cbor_array = [0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        let deep_msgpack = vec![0x91; 100_000];
        let deep_cbor = vec![0x81; 100_000];
        for bad in [
            &b""[..],
            &[0xD9, 0x05, b'a'],
            &[0x92, 0x01],
            &huge_array_header,
            &[0x01, 0x02],
            &deep_msgpack,
        ] {
            assert!(
                msgpack(bad).is_err(),
                "msgpack {:?}",
                &bad[..bad.len().min(8)]
            );
        }
        for bad in [
            &b""[..],
            &[0xFF],
            &[0x82, 0x01],
            &huge_cbor_array,
            &[0x01, 0x02],
            &deep_cbor,
        ] {
            assert!(cbor(bad).is_err(), "cbor {:?}", &bad[..bad.len().min(8)]);
        }
    }

    #[test]
    fn images_decode_and_broken_ones_are_refused() {
        let mut png = Vec::new();
        image::RgbaImage::from_pixel(3, 2, image::Rgba([255, 0, 0, 255]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");
        let decoded = image(&png).expect("decodes");
        assert_eq!(
            (decoded.width, decoded.height, decoded.rgba.len()),
            (3, 2, 24)
        );
        assert_eq!(decoded.format, ImageFormat::Png);
        assert!(image(&png[..png.len() / 2]).is_err(), "truncated PNG");
        assert!(image(b"\x89PNG\r\n\x1a\nrubbish").is_err());
        assert!(image(&[0xFF, 0xD8, 0xFF, 0x00]).is_err(), "broken JPEG");
        assert!(image(b"plain text").is_err());
    }
}
