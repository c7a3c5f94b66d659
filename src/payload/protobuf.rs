//! Protobuf by schema: `.proto` sources compiled inside Canopy (protox, no `protoc`), payloads
//! decoded by a bound message type into the same value tree as JSON (field names as in the
//! `.proto`, enums by name, nested messages, repeated fields, maps, well-known types such as
//! `Timestamp` in their JSON form), and JSON typed by the user encoded for publishing.
//!
//! Pure: the sources come in as text (the caller reads the folder), descriptors go out.

use super::error::{Format, PayloadError};
use super::value::{self, Value};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use std::collections::BTreeMap;

/// A compiled set of `.proto` files.
#[derive(Clone, Debug)]
pub struct Schemas {
    pool: DescriptorPool,
    /// The files compiled (relative names, as imports name them), sorted.
    pub files: Vec<String>,
}

/// Why `.proto` sources do not compile: the file and line when protox knows them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(file.as_deref(), *line, *column))]
pub struct SchemaError {
    /// The file, as imports name it.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based.
    pub column: Option<usize>,
    /// protox's words.
    pub message: String,
}

fn location(file: Option<&str>, line: Option<usize>, column: Option<usize>) -> String {
    match (file, line, column) {
        (Some(file), Some(line), Some(column)) => format!("{file}:{line}:{column}: "),
        (Some(file), Some(line), None) => format!("{file}:{line}: "),
        (Some(file), None, _) => format!("{file}: "),
        (None, ..) => String::new(),
    }
}

/// The user's sources, by name, then the well-known types protox ships.
struct Sources(BTreeMap<String, String>);

impl protox::file::FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match self.0.get(name) {
            Some(source) => protox::file::File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Compile `sources` (relative name → text); every file is compiled, imports resolved among
/// them and the well-known types (`google/protobuf/timestamp.proto`…).
pub fn compile(sources: BTreeMap<String, String>) -> Result<Schemas, SchemaError> {
    use protox::file::{ChainFileResolver, GoogleFileResolver};
    let files: Vec<String> = sources.keys().cloned().collect();
    let texts = sources.clone();
    let mut resolver = ChainFileResolver::new();
    resolver.add(Sources(sources));
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true);
    for file in &files {
        compiler
            .open_file(file)
            .map_err(|error| schema_error(&error, &texts))?;
    }
    Ok(Schemas {
        pool: compiler.descriptor_pool(),
        files,
    })
}

/// protox's error with its first label turned into a line and column of its file.
fn schema_error(error: &protox::Error, texts: &BTreeMap<String, String>) -> SchemaError {
    use miette::Diagnostic as _;
    let file = error.file().map(str::to_owned);
    let offset = error
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    let (line, column) = match (offset, file.as_ref().and_then(|f| texts.get(f))) {
        (Some(offset), Some(text)) => {
            let before = &text.as_bytes()[..offset.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            (Some(line), Some(column))
        }
        _ => (None, None),
    };
    SchemaError {
        file,
        line,
        column,
        message: error.to_string(),
    }
}

impl Schemas {
    /// Every message type's full name (`package.Message`, nested ones `package.Outer.Inner`),
    /// sorted, without the well-known types' and the entries protoc makes for maps.
    pub fn message_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .pool
            .all_messages()
            .filter(|m| !m.full_name().starts_with("google.protobuf.") && !m.is_map_entry())
            .map(|m| m.full_name().to_owned())
            .collect();
        names.sort();
        names
    }

    /// The message type named `full_name`.
    pub fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        self.pool
            .get_message_by_name(full_name.trim_start_matches('.'))
    }
}

/// Decode `payload` as `message`, into the value tree the JSON view shows. 64-bit integers stay
/// numbers (so they can be plotted), fields keep their `.proto` names, defaults are shown.
pub fn decode(payload: &[u8], message: &MessageDescriptor) -> Result<Value, PayloadError> {
    let decoded = DynamicMessage::decode(message.clone(), payload).map_err(|e| {
        PayloadError::invalid(
            Format::Protobuf,
            format!("{e} (as {})", message.full_name()),
        )
    })?;
    let options = SerializeOptions::new()
        .stringify_64_bit_integers(false)
        .use_proto_field_name(true)
        .skip_default_fields(false);
    let mut json = Vec::new();
    decoded
        .serialize_with_options(&mut serde_json::Serializer::new(&mut json), &options)
        .map_err(|e| PayloadError::invalid(Format::Protobuf, e))?;
    value::parse_json(&String::from_utf8_lossy(&json))
}

/// The number at `path` of `payload` decoded as `message`, for plots: the decoded message is
/// walked directly (fields by their `.proto` names, list indexes, map keys), without building the
/// value tree. `None` when the path holds no number. Paths through well-known types (whose JSON
/// form differs from their fields) take the value tree's way, so both agree.
pub fn sample(payload: &[u8], message: &MessageDescriptor, path: &super::Path) -> Option<f64> {
    let decoded = DynamicMessage::decode(message.clone(), payload).ok()?;
    match walk(decoded, path) {
        Walked::Number(number) => number.filter(|n| n.is_finite()),
        Walked::WellKnown => decode(payload, message).ok()?.get(path)?.as_f64(),
    }
}

/// Where a walk along a path ended.
enum Walked {
    /// A number (booleans as 0/1), or nothing to plot.
    Number(Option<f64>),
    /// A well-known type on the way: its JSON form decides.
    WellKnown,
}

fn walk(decoded: DynamicMessage, path: &super::Path) -> Walked {
    use super::PathSegment;
    use prost_reflect::{MapKey, ReflectMessage as _, Value as Field};
    let mut at = Field::Message(decoded);
    for segment in &path.0 {
        at = match (at, segment) {
            (Field::Message(m), _)
                if m.descriptor().full_name().starts_with("google.protobuf.") =>
            {
                return Walked::WellKnown;
            }
            (Field::Message(mut m), PathSegment::Key(name)) => {
                match m.take_field_by_name(name) {
                    Some(field) => field,
                    // Unset: its default, as the value tree shows it.
                    None => match m.get_field_by_name(name) {
                        Some(default) => default.into_owned(),
                        None => return Walked::Number(None),
                    },
                }
            }
            (Field::List(items), PathSegment::Index(index)) => {
                match items.into_iter().nth(*index) {
                    Some(item) => item,
                    None => return Walked::Number(None),
                }
            }
            (Field::Map(entries), PathSegment::Key(key)) => {
                let found = entries.into_iter().find(|(k, _)| match k {
                    MapKey::String(s) => s == key,
                    MapKey::Bool(b) => b.to_string() == *key,
                    MapKey::I32(n) => n.to_string() == *key,
                    MapKey::I64(n) => n.to_string() == *key,
                    MapKey::U32(n) => n.to_string() == *key,
                    MapKey::U64(n) => n.to_string() == *key,
                });
                match found {
                    Some((_, value)) => value,
                    None => return Walked::Number(None),
                }
            }
            _ => return Walked::Number(None),
        };
    }
    Walked::Number(match at {
        Field::F64(v) => Some(v),
        Field::F32(v) => Some(f64::from(v)),
        Field::I32(v) => Some(f64::from(v)),
        Field::U32(v) => Some(f64::from(v)),
        Field::I64(v) => Some(v as f64),
        Field::U64(v) => Some(v as f64),
        Field::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
        Field::String(s) => s.trim().parse::<f64>().ok(),
        Field::Message(m) if m.descriptor().full_name().starts_with("google.protobuf.") => {
            return Walked::WellKnown;
        }
        _ => None,
    })
}

/// Encode `json` (the protobuf JSON mapping: field names in either spelling, enums by name or
/// number, Timestamps as RFC 3339) as `message`. Unknown fields are refused.
pub fn encode_json(json: &str, message: &MessageDescriptor) -> Result<Vec<u8>, PayloadError> {
    use prost::Message as _;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let options = prost_reflect::DeserializeOptions::new().deny_unknown_fields(true);
    let decoded =
        DynamicMessage::deserialize_with_options(message.clone(), &mut deserializer, &options)
            .and_then(|m| deserializer.end().map(|()| m))
            .map_err(|e| {
                PayloadError::invalid(
                    Format::Protobuf,
                    format!("{e} (for {})", message.full_name()),
                )
            })?;
    Ok(decoded.encode_to_vec())
}

#[cfg(test)]
#[path = "protobuf_tests.rs"]
pub(crate) mod tests;
