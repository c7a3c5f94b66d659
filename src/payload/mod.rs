//! Payload detection and rendering. Pure functions: bytes in, text out.
//!
//! Detection is cheap (done for previews of visible rows); full rendering is done only for the
//! message on screen.

use std::fmt::Write as _;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PayloadView {
    /// Pick from the payload's kind.
    #[default]
    Auto,
    /// UTF-8 text, invalid bytes escaped.
    Text,
    /// Pretty-printed JSON.
    Json,
    /// Offset / hex / ASCII dump.
    Hex,
}

impl PayloadView {
    /// Every view, in menu order.
    pub const ALL: [PayloadView; 4] = [
        PayloadView::Auto,
        PayloadView::Text,
        PayloadView::Json,
        PayloadView::Hex,
    ];

    /// The name shown in the view menu.
    pub fn label(self) -> &'static str {
        match self {
            PayloadView::Auto => "Auto",
            PayloadView::Text => "Text",
            PayloadView::Json => "JSON",
            PayloadView::Hex => "Hex",
        }
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

/// The payload as indented JSON, or why it is not JSON.
///
/// The document is validated by serde_json and then re-indented from its own text, so keys keep
/// the publisher's order and numbers keep their exact spelling (`0.90` stays `0.90`).
pub fn pretty_json(payload: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(payload).map_err(|e| format!("not valid JSON: {e}"))?;
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| format!("not valid JSON: {e}"))?;
    Ok(reindent_json(text))
}

/// Re-indent valid JSON text with two spaces, leaving strings and numbers untouched.
fn reindent_json(text: &str) -> String {
    const INDENT: &str = "  ";
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(INDENT);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    // Keep empty containers on one line: {} and [].
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// A classic hex dump, 16 bytes a line: offset, hex bytes, printable ASCII.
pub fn hex_dump(payload: &[u8]) -> String {
    let mut out = String::with_capacity(payload.len() * 4 + 16);
    for (line, chunk) in payload.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(byte) => {
                    let _ = write!(out, "{byte:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

/// The payload rendered for `view`, with a note when the requested view did not fit.
pub fn render(payload: &[u8], view: PayloadView) -> Rendered {
    let resolved = match view {
        PayloadView::Auto => match detect(payload) {
            PayloadKind::Json => PayloadView::Json,
            PayloadKind::Text | PayloadKind::Empty => PayloadView::Text,
            PayloadKind::Binary => PayloadView::Hex,
        },
        other => other,
    };
    match resolved {
        PayloadView::Json => match pretty_json(payload) {
            Ok(body) => Rendered {
                view: PayloadView::Json,
                body,
                note: None,
            },
            Err(reason) => Rendered {
                view: PayloadView::Hex,
                body: hex_dump(payload),
                note: Some(format!("{reason}; shown as bytes")),
            },
        },
        PayloadView::Hex => Rendered {
            view: PayloadView::Hex,
            body: hex_dump(payload),
            note: None,
        },
        PayloadView::Text | PayloadView::Auto => {
            let note = std::str::from_utf8(payload)
                .is_err()
                .then(|| "not valid UTF-8: invalid bytes shown as \\xNN".to_owned());
            Rendered {
                view: PayloadView::Text,
                body: text(payload),
                note,
            }
        }
    }
}

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
pub fn encode(text: &str, format: PayloadFormat) -> Result<Vec<u8>, String> {
    match format {
        PayloadFormat::Text => Ok(text.as_bytes().to_vec()),
        PayloadFormat::Json => {
            serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map_err(|e| format!("not valid JSON: {e}"))?;
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
                return Err(format!(
                    "not hex: '{}' at digit {}",
                    digits[bad] as char,
                    bad + 1
                ));
            }
            if !digits.len().is_multiple_of(2) {
                return Err(format!(
                    "not hex: an odd number of digits ({})",
                    digits.len()
                ));
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
                .map_err(|e| format!("not base64: {e}"))
        }
    }
}

/// JSON re-indented for reading (keys and numbers as typed), or compacted onto one line.
pub fn reformat_json(text: &str, pretty: bool) -> Result<String, String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| format!("not valid JSON: {e}"))?;
    if pretty {
        return Ok(reindent_json(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    Ok(out)
}

/// A payload rendered for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The view actually used (JSON falls back to hex for invalid JSON).
    pub view: PayloadView,
    /// The text to show.
    pub body: String,
    /// A note for the user when the payload did not fit the view asked for.
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn invalid_utf8_is_escaped_not_lost() {
        assert_eq!(text(b"ok\xffok"), "ok\\xFFok");
        let rendered = render(b"ok\xffok", PayloadView::Text);
        assert!(rendered.note.is_some());
    }

    #[test]
    fn json_view_of_malformed_json_falls_back_to_bytes_with_a_note() {
        let rendered = render(b"{\"a\":", PayloadView::Json);
        assert_eq!(rendered.view, PayloadView::Hex);
        assert!(
            rendered
                .note
                .as_deref()
                .is_some_and(|n| n.contains("not valid JSON"))
        );
        assert!(rendered.body.starts_with("00000000  7b 22 61 22 3a"));
    }

    #[test]
    fn auto_view_picks_by_kind() {
        assert_eq!(
            render(b"{\"a\":1}", PayloadView::Auto).body,
            "{\n  \"a\": 1\n}"
        );
        assert_eq!(render(b"hello", PayloadView::Auto).view, PayloadView::Text);
        assert_eq!(
            render(b"\x00\x01", PayloadView::Auto).view,
            PayloadView::Hex
        );
    }

    #[test]
    fn pretty_json_keeps_order_and_number_spelling() {
        let cases: &[(&str, &str)] = &[
            (r#"{"z":1,"a":0.90}"#, "{\n  \"z\": 1,\n  \"a\": 0.90\n}"),
            (
                r#"[1, [], {}, "a,b:{c}"]"#,
                "[\n  1,\n  [],\n  {},\n  \"a,b:{c}\"\n]",
            ),
            (
                r#"{"esc":"quote \" and \\"}"#,
                "{\n  \"esc\": \"quote \\\" and \\\\\"\n}",
            ),
            (
                r#"{"n":{"deep":[true,null]}}"#,
                "{\n  \"n\": {\n    \"deep\": [\n      true,\n      null\n    ]\n  }\n}",
            ),
            ("42", "42"),
            (r#""text""#, r#""text""#),
            ("  { }  ", "{}"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                pretty_json(input.as_bytes()).as_deref(),
                Ok(*expected),
                "input {input}"
            );
        }
        assert!(pretty_json(b"{\"a\":}").is_err());
        assert!(pretty_json(b"\xff").is_err());
    }

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
            assert!(error.contains(message), "{text:?}: {error}");
        }
    }

    #[test]
    fn json_can_be_compacted_and_prettied_as_typed() {
        let typed = "{ \"b\" : [1, 2.50],\n \"a\": \"x y\" }";
        assert_eq!(
            reformat_json(typed, false).as_deref(),
            Ok(r#"{"b":[1,2.50],"a":"x y"}"#)
        );
        assert_eq!(
            reformat_json(typed, true).as_deref(),
            Ok("{\n  \"b\": [\n    1,\n    2.50\n  ],\n  \"a\": \"x y\"\n}")
        );
        assert!(reformat_json("{", true).is_err());
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
}
