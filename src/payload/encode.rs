//! Turning typed text into payload bytes for publishing.

use super::error::{Format, PayloadError};

/// How a typed payload is turned into bytes for publishing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PayloadFormat {
    /// The text as UTF-8.
    #[default]
    Text,
    /// JSON, checked to be valid, sent as typed.
    Json,
    /// Hex digits (spaces, newlines and a `0x` prefix allowed).
    Hex,
    /// Standard base64.
    Base64,
}

impl PayloadFormat {
    /// Every format, in menu order.
    pub const ALL: [PayloadFormat; 4] = [
        PayloadFormat::Text,
        PayloadFormat::Json,
        PayloadFormat::Hex,
        PayloadFormat::Base64,
    ];

    /// The name shown in menus and accepted on the command line.
    pub fn label(self) -> &'static str {
        match self {
            PayloadFormat::Text => "text",
            PayloadFormat::Json => "json",
            PayloadFormat::Hex => "hex",
            PayloadFormat::Base64 => "base64",
        }
    }
}

/// The bytes to publish for `text` typed in `format`, or what is wrong with it.
pub fn encode(text: &str, format: PayloadFormat) -> Result<Vec<u8>, PayloadError> {
    match format {
        PayloadFormat::Text => Ok(text.as_bytes().to_vec()),
        PayloadFormat::Json => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| PayloadError::invalid(Format::Json, e))?;
            Ok(text.as_bytes().to_vec())
        }
        PayloadFormat::Hex => {
            let digits: Vec<u8> = text
                .trim()
                .trim_start_matches("0x")
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            if let Some(bad) = digits.iter().position(|b| !b.is_ascii_hexdigit()) {
                return Err(PayloadError::BadHexDigit {
                    digit: digits[bad] as char,
                    position: bad + 1,
                });
            }
            if !digits.len().is_multiple_of(2) {
                return Err(PayloadError::OddHexDigits(digits.len()));
            }
            Ok(digits
                .chunks(2)
                .map(|pair| {
                    let high = (pair[0] as char).to_digit(16).unwrap_or(0);
                    let low = (pair[1] as char).to_digit(16).unwrap_or(0);
                    (high * 16 + low) as u8
                })
                .collect())
        }
        PayloadFormat::Base64 => {
            use base64::Engine as _;
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| PayloadError::invalid(Format::Base64, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_table() {
        let ok: &[(&str, PayloadFormat, &[u8])] = &[
            ("hi", PayloadFormat::Text, b"hi"),
            (r#"{"a": 1}"#, PayloadFormat::Json, br#"{"a": 1}"#),
            (
                "de ad\nBE EF",
                PayloadFormat::Hex,
                &[0xde, 0xad, 0xbe, 0xef],
            ),
            ("0x0102", PayloadFormat::Hex, &[1, 2]),
            ("aGVs bG8=", PayloadFormat::Base64, b"hello"),
            ("", PayloadFormat::Hex, b""),
        ];
        for (text, format, bytes) in ok {
            assert_eq!(
                encode(text, *format).as_deref(),
                Ok(*bytes),
                "{text:?} as {format:?}"
            );
        }
        let bad: &[(&str, PayloadFormat, &str)] = &[
            ("{a:", PayloadFormat::Json, "not valid JSON"),
            ("abc", PayloadFormat::Hex, "odd number of digits (3)"),
            ("zz", PayloadFormat::Hex, "'z' at digit 1"),
            ("###", PayloadFormat::Base64, "not base64"),
        ];
        for (text, format, message) in bad {
            let error = encode(text, *format).expect_err("refused");
            assert!(error.to_string().contains(message), "{text:?}: {error}");
        }
    }
}
