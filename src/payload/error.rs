//! Why a payload does not decode, or why typed text does not encode.

use std::fmt;

/// A payload format, as named in the reasons below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum Format {
    Json,
    MessagePack,
    Cbor,
    SparkplugB,
    Protobuf,
    Hex,
    Base64,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "valid JSON",
            Format::MessagePack => "MessagePack",
            Format::Cbor => "CBOR",
            Format::SparkplugB => "Sparkplug B",
            Format::Protobuf => "protobuf",
            Format::Hex => "hex",
            Format::Base64 => "base64",
        })
    }
}

/// Why bytes are not the format asked for (decoding), or text is not (encoding). The message is
/// the sentence the window shows beside the bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[expect(
    missing_docs,
    reason = "each variant's #[error] text says what it means"
)]
pub enum PayloadError {
    /// The format's own parser refused it; `reason` is that parser's words.
    #[error("not {format}: {reason}")]
    Invalid { format: Format, reason: String },
    #[error("not {format}: the document ends too early")]
    Truncated { format: Format },
    #[error("not {format}: {left} bytes left after the first value")]
    TrailingBytes { format: Format, left: usize },
    #[error("not {format}: nested more than {max} levels deep")]
    TooDeep { format: Format, max: usize },
    /// Valid JSON, but deeper than the tree view walks.
    #[error("not shown as JSON: nested {depth} levels deep (at most {max})")]
    JsonTooDeep { depth: usize, max: usize },
    #[error("not hex: '{digit}' at digit {position}")]
    BadHexDigit { digit: char, position: usize },
    #[error("not hex: an odd number of digits ({0})")]
    OddHexDigits(usize),
    #[error("not a PNG or JPEG image")]
    NotAnImage,
    #[error("not a readable {format} image: {reason}")]
    Image {
        format: &'static str,
        reason: String,
    },
    #[error("no protobuf message type is bound to this topic (Schemas… binds one)")]
    NoSchema,
    #[error("{0} is not a structured view")]
    NotStructured(&'static str),
}

impl PayloadError {
    pub(crate) fn invalid(format: Format, reason: impl fmt::Display) -> Self {
        PayloadError::Invalid {
            format,
            reason: reason.to_string(),
        }
    }
}
