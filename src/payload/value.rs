//! A decoded structured payload (JSON, MessagePack, CBOR, Sparkplug B), as one tree type.
//!
//! Numbers keep the spelling they arrived with (`0.90` stays `0.90`) and object keys keep their
//! order, so what is shown is what was sent. Paths address values for plots, diffs and copying.

use super::error::{Format, PayloadError};
use std::fmt::{self, Write as _};

/// A decoded value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// JSON `null`, MessagePack nil, CBOR null/undefined.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, spelled as it arrived (JSON) or as Rust prints it (binary formats).
    Number(String),
    /// A text string.
    String(String),
    /// A byte string (MessagePack bin, CBOR bytes, Sparkplug bytes).
    Bytes(Vec<u8>),
    /// An ordered list.
    Array(Vec<Value>),
    /// Key/value pairs in their original order (duplicates kept).
    Object(Vec<(String, Value)>),
}

/// One step of a [`Path`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Where a value sits inside a document; empty means the whole document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<PathSegment>);

impl Path {
    /// The path one step further down.
    pub fn child(&self, segment: PathSegment) -> Path {
        let mut segments = self.0.clone();
        segments.push(segment);
        Path(segments)
    }

    /// True for the whole document.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Path {
    /// JSONPath spelling: `$.sensor.temp`, `$.values[2]`, `$["odd key"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('$')?;
        for segment in &self.0 {
            match segment {
                PathSegment::Index(i) => write!(f, "[{i}]")?,
                PathSegment::Key(key) if is_plain_key(key) => write!(f, ".{key}")?,
                PathSegment::Key(key) => write!(f, "[{}]", json_string(key))?,
            }
        }
        Ok(())
    }
}

fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

impl Value {
    /// The value at `path`, if there is one (the first match where keys repeat).
    pub fn get(&self, path: &Path) -> Option<&Value> {
        let mut current = self;
        for segment in &path.0 {
            current = match (current, segment) {
                (Value::Object(entries), PathSegment::Key(key)) => {
                    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)?
                }
                (Value::Array(items), PathSegment::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The value as a plot sample: numbers, booleans (0/1) and numeric strings.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(raw) => raw.parse::<f64>().ok(),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
            _ => None,
        }
        .filter(|v| v.is_finite())
    }

    /// True for arrays and objects.
    pub fn is_container(&self) -> bool {
        matches!(self, Value::Array(_) | Value::Object(_))
    }

    /// How many values this one holds, itself included.
    pub fn node_count(&self) -> usize {
        match self {
            Value::Array(items) => 1 + items.iter().map(Value::node_count).sum::<usize>(),
            Value::Object(entries) => {
                1 + entries.iter().map(|(_, v)| v.node_count()).sum::<usize>()
            }
            _ => 1,
        }
    }

    /// A one-line rendering for a leaf, or a summary (`{3 keys}`, `[12 items]`) for a container.
    pub fn summary(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Number(raw) => raw.clone(),
            Value::String(s) => json_string(s),
            Value::Bytes(bytes) => {
                let mut out = format!("<{} bytes>", bytes.len());
                for byte in bytes.iter().take(16) {
                    let _ = write!(out, " {byte:02x}");
                }
                if bytes.len() > 16 {
                    out.push_str(" …");
                }
                out
            }
            Value::Array(items) => plural(items.len(), "item", "items", '[', ']'),
            Value::Object(entries) => plural(entries.len(), "key", "keys", '{', '}'),
        }
    }

    /// Indented JSON text (bytes become a base64 string), for copying and text fallbacks.
    pub fn to_json_pretty(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out, 0);
        out
    }

    fn write_json(&self, out: &mut String, depth: usize) {
        let indent = |out: &mut String, depth: usize| {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        };
        match self {
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    item.write_json(out, depth + 1);
                }
                indent(out, depth);
                out.push(']');
            }
            Value::Object(entries) if !entries.is_empty() => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    out.push_str(&json_string(key));
                    out.push_str(": ");
                    value.write_json(out, depth + 1);
                }
                indent(out, depth);
                out.push('}');
            }
            Value::Array(_) => out.push_str("[]"),
            Value::Object(_) => out.push_str("{}"),
            Value::Bytes(bytes) => {
                use base64::Engine as _;
                out.push_str(&json_string(
                    &base64::engine::general_purpose::STANDARD.encode(bytes),
                ));
            }
            leaf => out.push_str(&leaf.summary()),
        }
    }

    /// Every leaf (and every empty container) with its path, in document order.
    pub fn leaves(&self) -> Vec<(Path, &Value)> {
        let mut out = Vec::new();
        self.collect_leaves(Path::default(), &mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, path: Path, out: &mut Vec<(Path, &'a Value)>) {
        match self {
            Value::Array(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    item.collect_leaves(path.child(PathSegment::Index(i)), out);
                }
            }
            Value::Object(entries) if !entries.is_empty() => {
                for (key, value) in entries {
                    value.collect_leaves(path.child(PathSegment::Key(key.clone())), out);
                }
            }
            leaf => out.push((path, leaf)),
        }
    }
}

fn plural(count: usize, one: &str, many: &str, open: char, close: char) -> String {
    format!(
        "{open}{count} {}{close}",
        if count == 1 { one } else { many }
    )
}

/// A string quoted and escaped as JSON.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parse JSON into a [`Value`], keeping key order and number spelling.
///
/// The text is first validated by serde_json, so the hand-written walk below only has to split
/// valid JSON. It refuses nesting deeper than [`MAX_JSON_DEPTH`] (serde_json skips ignored
/// values without a depth bound, so the bound is ours), which keeps the recursion shallow.
pub fn parse_json(text: &str) -> Result<Value, PayloadError> {
    let depth = max_depth(text.as_bytes());
    if depth > MAX_JSON_DEPTH {
        return Err(PayloadError::JsonTooDeep {
            depth,
            max: MAX_JSON_DEPTH,
        });
    }
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|e| PayloadError::invalid(Format::Json, e))?;
    let mut parser = JsonParser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    parser
        .value()
        .ok_or_else(|| PayloadError::invalid(Format::Json, "unexpected input"))
}

/// Deepest JSON nesting decoded into a tree.
pub const MAX_JSON_DEPTH: usize = 128;

/// The deepest nesting of brackets outside strings.
fn max_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

struct JsonParser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl JsonParser<'_> {
    fn skip_whitespace(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_whitespace();
        match *self.bytes.get(self.pos)? {
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    self.skip_whitespace();
                    match *self.bytes.get(self.pos)? {
                        b'}' => {
                            self.pos += 1;
                            return Some(Value::Object(entries));
                        }
                        b',' => self.pos += 1,
                        _ => {
                            let key = self.string()?;
                            self.skip_whitespace();
                            if self.bytes.get(self.pos) != Some(&b':') {
                                return None;
                            }
                            self.pos += 1;
                            entries.push((key, self.value()?));
                        }
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_whitespace();
                    match *self.bytes.get(self.pos)? {
                        b']' => {
                            self.pos += 1;
                            return Some(Value::Array(items));
                        }
                        b',' => self.pos += 1,
                        _ => items.push(self.value()?),
                    }
                }
            }
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            _ => {
                let start = self.pos;
                while self.bytes.get(self.pos).is_some_and(|b| {
                    b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                }) {
                    self.pos += 1;
                }
                (self.pos > start).then(|| Value::Number(self.text[start..self.pos].to_owned()))
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        self.text[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
            value
        })
    }

    /// A string starting at the current quote; escapes decoded by serde_json.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return serde_json::from_str(&self.text[start..self.pos]).ok();
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> PathSegment {
        PathSegment::Key(k.to_owned())
    }

    #[test]
    fn parse_keeps_order_and_spelling() {
        let value = parse_json(r#"{"z": 0.90, "a": [1, -2e3, "x\"y"], "n": null, "t": true}"#)
            .expect("valid");
        let Value::Object(entries) = &value else {
            panic!("object expected");
        };
        let keys: Vec<_> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "n", "t"]);
        assert_eq!(entries[0].1, Value::Number("0.90".into()));
        let array = value.get(&Path(vec![key("a")])).expect("a");
        assert_eq!(
            array,
            &Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-2e3".into()),
                Value::String("x\"y".into())
            ])
        );
    }

    #[test]
    fn parse_rejects_invalid_json_without_panicking() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "01", "{}}"] {
            assert!(parse_json(bad).is_err(), "{bad:?} should be refused");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            parse_json(&deep).is_err(),
            "too deep is refused, not a stack overflow"
        );
    }

    #[test]
    fn paths_display_as_json_path() {
        let path = Path(vec![key("sensor"), PathSegment::Index(2), key("odd key")]);
        assert_eq!(path.to_string(), r#"$.sensor[2]["odd key"]"#);
        assert_eq!(Path::default().to_string(), "$");
    }

    #[test]
    fn numbers_for_plots() {
        let value = parse_json(r#"{"t": 21.5, "on": true, "s": " 7 ", "w": "warm", "o": {}}"#)
            .expect("valid");
        let at = |k: &str| value.get(&Path(vec![key(k)])).and_then(Value::as_f64);
        assert_eq!(at("t"), Some(21.5));
        assert_eq!(at("on"), Some(1.0));
        assert_eq!(at("s"), Some(7.0));
        assert_eq!(at("w"), None);
        assert_eq!(at("o"), None);
        assert_eq!(at("missing"), None);
    }

    #[test]
    fn pretty_json_round_trips() {
        let text = r#"{"a": [1, {"b": "c"}], "e": {}, "f": []}"#;
        let value = parse_json(text).expect("valid");
        let pretty = value.to_json_pretty();
        assert_eq!(parse_json(&pretty).expect("still valid"), value);
        assert!(pretty.contains("\n  \"a\": ["), "{pretty}");
    }

    #[test]
    fn leaves_in_document_order() {
        let value = parse_json(r#"{"a": {"b": 1, "c": [true]}, "d": []}"#).expect("valid");
        let paths: Vec<String> = value.leaves().iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["$.a.b", "$.a.c[0]", "$.d"]);
    }
}
