//! Payload detection, decoding and rendering. Pure functions: bytes in, values and text out.
//!
//! Detection is cheap (done for previews of visible rows); full decoding is done only for the
//! message on screen, and the caller caches it. Every decoder refuses bad input with a reason and
//! the payload is then shown as bytes: nothing from the network can make this module panic.

pub mod binary;
pub mod diff;
mod encode;
mod error;
mod json;
pub mod protobuf;
pub mod protobuf_raw;
mod sparkplug;
pub mod value;

pub use binary::DecodedImage;
pub use diff::{Change, DiffLine};
pub use encode::{PayloadFormat, encode};
pub use error::{Format, PayloadError};
pub use json::{pretty_json, reformat_json};
pub use value::{Path, PathSegment, Value};

use std::fmt::Write as _;

/// Largest JSON document shown as a collapsible tree; bigger ones are shown as indented text.
const MAX_TREE_VALUES: usize = 20_000;

/// Bytes of each payload compared by a text or hex diff.
const MAX_DIFF_BYTES: usize = 64 * 1024;

/// What a payload looks like, from a cheap look at its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadKind {
    /// Zero bytes.
    Empty,
    /// A JSON document (object, array, string, number, bool or null).
    Json,
    /// UTF-8 text that is not JSON.
    Text,
    /// Anything else: shown as bytes.
    Binary,
}

/// How the user asked to see a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PayloadView {
    /// Pick from the topic, the declared content type and the payload's first bytes.
    #[default]
    Auto,
    /// UTF-8 text, invalid bytes escaped.
    Text,
    /// JSON as a collapsible, coloured tree.
    Json,
    /// Offset / hex / ASCII dump.
    Hex,
    /// The bytes encoded as base64, for copying binary payloads.
    Base64,
    /// MessagePack, decoded to a tree.
    MessagePack,
    /// CBOR, decoded to a tree.
    Cbor,
    /// Sparkplug B protobuf, decoded to a tree of metrics.
    Sparkplug,
    /// Protobuf decoded by the message type bound to the topic.
    Protobuf,
    /// Any protobuf without its schema: field numbers and wire types, like
    /// `protoc --decode_raw`.
    ProtobufRaw,
    /// A PNG or JPEG image drawn inline.
    Image,
}

impl PayloadView {
    /// Every view, in menu order.
    pub const ALL: [PayloadView; 11] = [
        PayloadView::Auto,
        PayloadView::Text,
        PayloadView::Json,
        PayloadView::Hex,
        PayloadView::Base64,
        PayloadView::MessagePack,
        PayloadView::Cbor,
        PayloadView::Sparkplug,
        PayloadView::Protobuf,
        PayloadView::ProtobufRaw,
        PayloadView::Image,
    ];

    /// The name shown in the view menu.
    pub fn label(self) -> &'static str {
        match self {
            PayloadView::Auto => "Auto",
            PayloadView::Text => "Text",
            PayloadView::Json => "JSON",
            PayloadView::Hex => "Hex",
            PayloadView::Base64 => "Base64",
            PayloadView::MessagePack => "MessagePack",
            PayloadView::Cbor => "CBOR",
            PayloadView::Sparkplug => "Sparkplug B",
            PayloadView::Protobuf => "Protobuf (schema)",
            PayloadView::ProtobufRaw => "Protobuf (raw)",
            PayloadView::Image => "Image",
        }
    }

    /// True for views that decode to a [`Value`] tree.
    pub fn is_structured(self) -> bool {
        matches!(
            self,
            PayloadView::Json
                | PayloadView::MessagePack
                | PayloadView::Cbor
                | PayloadView::Sparkplug
                | PayloadView::Protobuf
                | PayloadView::ProtobufRaw
        )
    }
}

/// What is known about a payload besides its bytes, for picking a view.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hint<'a> {
    /// The topic it arrived on (`spBv1.0/...` means Sparkplug B).
    pub topic: &'a str,
    /// The MQTT 5 content type its publisher declared.
    pub content_type: Option<&'a str>,
    /// Sparkplug B aliases in effect when it arrived (from the session model), so metrics that
    /// carry only an alias show their names.
    pub aliases: Option<&'a crate::mqtt::sparkplug::AliasNames>,
    /// The protobuf message type the topic is bound to.
    pub message_type: Option<&'a prost_reflect::MessageDescriptor>,
}

/// The view `Auto` stands for: by namespace, then declared content type, then magic bytes, then
/// a cheap look at the text. MessagePack and CBOR are never guessed from bytes alone (nearly any
/// bytes are valid MessagePack): they need a content type, CBOR's self-describe tag, or the user.
pub fn auto_view(payload: &[u8], hint: &Hint<'_>) -> PayloadView {
    // A binding is the user's word, above any guess.
    if hint.message_type.is_some() {
        return PayloadView::Protobuf;
    }
    if sparkplug::is_sparkplug_topic(hint.topic) {
        return PayloadView::Sparkplug;
    }
    if let Some(content_type) = hint.content_type {
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let declared = match mime.as_str() {
            "application/json" | "text/json" => Some(PayloadView::Json),
            m if m.ends_with("+json") => Some(PayloadView::Json),
            "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack" => {
                Some(PayloadView::MessagePack)
            }
            "application/cbor" => Some(PayloadView::Cbor),
            m if m.ends_with("+cbor") => Some(PayloadView::Cbor),
            "image/png" | "image/jpeg" => Some(PayloadView::Image),
            _ => None,
        };
        if let Some(view) = declared {
            return view;
        }
    }
    if binary::image_format(payload).is_some() {
        return PayloadView::Image;
    }
    if payload.starts_with(&[0xD9, 0xD9, 0xF7]) {
        return PayloadView::Cbor;
    }
    match detect(payload) {
        PayloadKind::Json => PayloadView::Json,
        PayloadKind::Text | PayloadKind::Empty => PayloadView::Text,
        PayloadKind::Binary => PayloadView::Hex,
    }
}

/// Classify a payload.
pub fn detect(payload: &[u8]) -> PayloadKind {
    if payload.is_empty() {
        return PayloadKind::Empty;
    }
    let Ok(text) = std::str::from_utf8(payload) else {
        return PayloadKind::Binary;
    };
    let trimmed = text.trim();
    let looks_like_json = matches!(trimmed.as_bytes().first(), Some(b'{' | b'[' | b'"'));
    if looks_like_json && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok() {
        return PayloadKind::Json;
    }
    if text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return PayloadKind::Binary;
    }
    PayloadKind::Text
}

/// Like [`preview`], but a Sparkplug B payload (metrics by name, through the hint's aliases) or a
/// payload bound to a protobuf type shows its decoded values: `Motor/RPM=1509.08 Output/Count=83`.
/// Other payloads, and those that do not decode, are previewed as bytes or text.
pub fn preview_decoded(payload: &[u8], max_chars: usize, hint: &Hint<'_>) -> String {
    let mut line = Line::new(max_chars);
    if let Some(message) = hint.message_type {
        // Top-level fields only (nested ones summed up): a row costs the same for any size.
        match protobuf::decode(payload, message) {
            Ok(Value::Object(fields)) => {
                for (key, field) in &fields {
                    if !line.push(key, &field.summary()) {
                        break;
                    }
                }
            }
            Ok(other) => {
                line.push("", &other.summary());
            }
            Err(_) => return preview(payload, max_chars),
        }
    } else if sparkplug::is_sparkplug_topic(hint.topic) {
        // Straight from the decoded payload, stopping when the line is full.
        let Ok(decoded) = crate::mqtt::sparkplug::Payload::decode(payload) else {
            return preview(payload, max_chars);
        };
        for metric in &decoded.metrics {
            let datatype = crate::mqtt::sparkplug::metric_datatype(metric, hint.aliases);
            let name = crate::mqtt::sparkplug::metric_name(metric, hint.aliases);
            if !line.push(&name, &metric.value_text(datatype)) {
                break;
            }
        }
    } else {
        return preview(payload, max_chars);
    }
    line.finish()
}

/// `key=value` pairs on one line of at most `max` characters.
struct Line {
    out: String,
    chars: usize,
    max: usize,
}

impl Line {
    fn new(max: usize) -> Self {
        Self {
            out: String::new(),
            chars: 0,
            max,
        }
    }

    /// Add a pair; false once the line is full.
    fn push(&mut self, key: &str, value: &str) -> bool {
        if self.chars >= self.max {
            return false;
        }
        let before = self.out.len();
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        if !key.is_empty() {
            self.out.push_str(key);
            self.out.push('=');
        }
        self.out.push_str(value);
        self.chars += self.out[before..].chars().count();
        true
    }

    fn finish(self) -> String {
        if self.chars <= self.max {
            return self.out;
        }
        let mut cut: String = self.out.chars().take(self.max).collect();
        cut.push('…');
        cut
    }
}

/// One line of at most `max_chars` characters summing up a payload, for tree rows and tables.
pub fn preview(payload: &[u8], max_chars: usize) -> String {
    let mut out = String::new();
    match std::str::from_utf8(payload) {
        Ok(text) if !text.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            for (count, c) in text.chars().enumerate() {
                if count >= max_chars {
                    out.push('…');
                    break;
                }
                out.push(if c.is_whitespace() { ' ' } else { c });
            }
        }
        _ => {
            let shown = payload.len().min(max_chars / 3);
            for byte in &payload[..shown] {
                let _ = write!(out, "{byte:02x} ");
            }
            out.truncate(out.trim_end().len());
            if shown < payload.len() {
                out.push('…');
            }
        }
    }
    out
}

/// The payload as text: valid UTF-8 unchanged, invalid bytes shown as `\xNN`.
pub fn text(payload: &[u8]) -> String {
    let mut out = String::with_capacity(payload.len());
    for chunk in payload.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
    out
}

/// A classic hex dump, 16 bytes a line: offset, hex bytes, printable ASCII.
pub fn hex_dump(payload: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Built as bytes (all ASCII) and converted once: formatting machinery per byte was the cost.
    let mut out = Vec::with_capacity(payload.len().div_ceil(16) * 78);
    for (line, chunk) in payload.chunks(16).enumerate() {
        let offset = line * 16;
        for shift in (0..8).rev() {
            out.push(DIGITS[(offset >> (shift * 4)) & 0xF]);
        }
        out.extend_from_slice(b"  ");
        for i in 0..16 {
            match chunk.get(i) {
                Some(&byte) => {
                    out.push(DIGITS[usize::from(byte >> 4)]);
                    out.push(DIGITS[usize::from(byte & 0xF)]);
                    out.push(b' ');
                }
                None => out.extend_from_slice(b"   "),
            }
            if i == 7 {
                out.push(b' ');
            }
        }
        out.push(b' ');
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b
            } else {
                b'.'
            }
        }));
        out.push(b'\n');
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Decode a payload in a structured view into a value tree, or say why it does not fit.
pub fn decode(payload: &[u8], view: PayloadView, hint: &Hint<'_>) -> Result<Value, PayloadError> {
    match view {
        PayloadView::Json => {
            let text =
                std::str::from_utf8(payload).map_err(|e| PayloadError::invalid(Format::Json, e))?;
            value::parse_json(text)
        }
        PayloadView::MessagePack => binary::msgpack(payload),
        PayloadView::Cbor => binary::cbor(payload),
        PayloadView::Sparkplug => sparkplug::decode(payload, hint.aliases),
        PayloadView::Protobuf => match hint.message_type {
            Some(message) => protobuf::decode(payload, message),
            None => Err(PayloadError::NoSchema),
        },
        PayloadView::ProtobufRaw => protobuf_raw::decode_raw(payload),
        other => Err(PayloadError::NotStructured(other.label())),
    }
}

/// The payload rendered for `view`, with a note when the requested view did not fit.
pub fn render(payload: &[u8], view: PayloadView, hint: &Hint<'_>) -> Rendered {
    let resolved = match view {
        PayloadView::Auto => auto_view(payload, hint),
        other => other,
    };
    let as_bytes = |reason: PayloadError| Rendered {
        view: PayloadView::Hex,
        body: Body::Text(hex_dump(payload)),
        note: Some(format!("{reason}; shown as bytes")),
    };
    match resolved {
        PayloadView::Json
        | PayloadView::MessagePack
        | PayloadView::Cbor
        | PayloadView::Sparkplug
        | PayloadView::Protobuf
        | PayloadView::ProtobufRaw => match decode(payload, resolved, hint) {
            Ok(value) if value.node_count() > MAX_TREE_VALUES => Rendered {
                view: resolved,
                note: Some(format!(
                    "{} values: shown as indented text rather than a tree",
                    value.node_count()
                )),
                body: Body::Text(match resolved {
                    PayloadView::Json => {
                        pretty_json(payload).unwrap_or_else(|_| value.to_json_pretty())
                    }
                    _ => value.to_json_pretty(),
                }),
            },
            Ok(value) => Rendered {
                view: resolved,
                body: Body::Tree(value),
                note: None,
            },
            Err(reason) => as_bytes(reason),
        },
        PayloadView::Image => match binary::image(payload) {
            Ok(image) => Rendered {
                view: PayloadView::Image,
                note: None,
                body: Body::Image(image),
            },
            Err(reason) => as_bytes(reason),
        },
        PayloadView::Hex => Rendered {
            view: PayloadView::Hex,
            body: Body::Text(hex_dump(payload)),
            note: None,
        },
        PayloadView::Base64 => {
            use base64::Engine as _;
            Rendered {
                view: PayloadView::Base64,
                body: Body::Text(base64::engine::general_purpose::STANDARD.encode(payload)),
                note: None,
            }
        }
        PayloadView::Text | PayloadView::Auto => {
            let note = std::str::from_utf8(payload)
                .is_err()
                .then(|| "not valid UTF-8: invalid bytes shown as \\xNN".to_owned());
            Rendered {
                view: PayloadView::Text,
                body: Body::Text(text(payload)),
                note,
            }
        }
    }
}

/// A payload rendered for display.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// The view actually used (a decoder that refuses the payload falls back to hex).
    pub view: PayloadView,
    /// What to show.
    pub body: Body,
    /// A note for the user when the payload did not fit the view asked for.
    pub note: Option<String>,
}

/// The shown form of a payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Text to show as is (text, hex dump, base64, indented JSON of a huge document).
    Text(String),
    /// A decoded document, drawn as a collapsible tree.
    Tree(Value),
    /// A decoded image.
    Image(DecodedImage),
}

impl Body {
    /// The body as text, for copying (a tree as indented JSON, an image as its size).
    pub fn to_text(&self) -> String {
        match self {
            Body::Text(text) => text.clone(),
            Body::Tree(value) => value.to_json_pretty(),
            Body::Image(image) => format!(
                "{} image, {}x{} pixels",
                image.format.label(),
                image.width,
                image.height
            ),
        }
    }
}

/// A plot sample from a payload: the number at `path` in a structured view, or the whole text
/// read as a number (`21.5`, ` 7 `) when the path is the root.
pub fn sample(payload: &[u8], view: PayloadView, path: &Path, hint: &Hint<'_>) -> Option<f64> {
    if let (PayloadView::Protobuf, Some(message)) = (view, hint.message_type) {
        return protobuf::sample(payload, message, path);
    }
    if view.is_structured() {
        return decode(payload, view, hint).ok()?.get(path)?.as_f64();
    }
    if !path.is_root() {
        return None;
    }
    std::str::from_utf8(payload)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// What changed from one payload to the next.
#[derive(Clone, Debug, PartialEq)]
pub enum PayloadDiff {
    /// Same bytes (or, for structured views, the same document).
    Identical,
    /// Changes by path.
    Structural(Vec<Change>),
    /// Changes by line: of the text, or of the hex dump for binary payloads.
    Lines(Vec<DiffLine>),
}

/// Compare two payloads shown in `view` (already resolved from `Auto`). Text and hex diffs look
/// at the first 64 KiB of each payload. Each payload comes with its own hint (a Sparkplug rebirth
/// between them changes the aliases).
pub fn diff(old: (&[u8], &Hint<'_>), new: (&[u8], &Hint<'_>), view: PayloadView) -> PayloadDiff {
    let ((old, old_hint), (new, new_hint)) = (old, new);
    if old == new {
        return PayloadDiff::Identical;
    }
    if view.is_structured()
        && let (Ok(before), Ok(after)) = (decode(old, view, old_hint), decode(new, view, new_hint))
    {
        let changes = diff::structural(&before, &after);
        return if changes.is_empty() {
            PayloadDiff::Identical
        } else {
            PayloadDiff::Structural(changes)
        };
    }
    let old = &old[..old.len().min(MAX_DIFF_BYTES)];
    let new = &new[..new.len().min(MAX_DIFF_BYTES)];
    let textual = matches!(view, PayloadView::Text | PayloadView::Json)
        && std::str::from_utf8(old).is_ok()
        && std::str::from_utf8(new).is_ok();
    PayloadDiff::Lines(if textual {
        diff::lines(&text(old), &text(new))
    } else {
        diff::lines(&hex_dump(old), &hex_dump(new))
    })
}

#[cfg(test)]
mod tests;
