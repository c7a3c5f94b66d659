//! Sparkplug B (Eclipse Sparkplug 3.0, namespace `spBv1.0`): the topic namespace and the payload
//! schema, written out as prost types from the specification's `sparkplug_b.proto`.
//!
//! Vocabulary shared by the payload decoder (one message shown on its own), the session model
//! (births, aliases, sequence numbers across messages), the demo fleet and the Sparkplug view's
//! Rebirth command, so it lives here with the rest of MQTT's words.

/// The topic namespace of Sparkplug B, without the trailing `/`.
pub const NAMESPACE: &str = "spBv1.0";

/// The metric an edge node's NBIRTH and NDEATH carry to tie a death to its birth.
pub const BD_SEQ: &str = "bdSeq";

/// The NCMD metric that asks an edge node to publish its births again.
pub const REBIRTH: &str = "Node Control/Rebirth";

/// What births say about the metrics of one edge node and its devices (aliases are unique per
/// edge node): alias → name and data type, and name → data type. Data messages usually carry
/// neither name nor type, and a signed value cannot be read without its type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AliasNames {
    by_alias: std::collections::HashMap<u64, (String, u32)>,
    by_name: std::collections::HashMap<String, u32>,
}

impl AliasNames {
    /// Take what a birth's metric says.
    pub fn learn(&mut self, metric: &Metric) {
        let datatype = metric.datatype.unwrap_or(0);
        if let Some(name) = &metric.name {
            self.by_name.insert(name.clone(), datatype);
            if let Some(alias) = metric.alias {
                self.by_alias.insert(alias, (name.clone(), datatype));
            }
        }
    }

    /// The name a birth gave `alias`.
    pub fn get(&self, alias: &u64) -> Option<&String> {
        self.by_alias.get(alias).map(|(name, _)| name)
    }

    /// The metric's data type: its own, else its birth's (by alias, then by name), else 0.
    pub fn datatype(&self, metric: &Metric) -> u32 {
        metric
            .datatype
            .or_else(|| {
                metric
                    .alias
                    .and_then(|a| self.by_alias.get(&a).map(|(_, t)| *t))
            })
            .or_else(|| {
                metric
                    .name
                    .as_ref()
                    .and_then(|n| self.by_name.get(n).copied())
            })
            .unwrap_or(0)
    }

    /// Metrics known by name.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    #[expect(missing_docs, reason = "the name says it")]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// A metric's name: its own, else the one `births` gave its alias, else `alias N`.
pub fn metric_name(metric: &Metric, births: Option<&AliasNames>) -> String {
    match (&metric.name, metric.alias) {
        (Some(name), _) => name.clone(),
        (None, Some(alias)) => match births.and_then(|names| names.get(&alias)) {
            Some(name) => name.clone(),
            None => format!("alias {alias}"),
        },
        (None, None) => "(unnamed)".to_owned(),
    }
}

/// A metric's data type: its own, else its birth's (see [`AliasNames::datatype`]), else 0.
pub fn metric_datatype(metric: &Metric, births: Option<&AliasNames>) -> u32 {
    match births {
        Some(births) => births.datatype(metric),
        None => metric.datatype.unwrap_or(0),
    }
}

/// Names without types (tests, benchmarks).
impl FromIterator<(u64, String)> for AliasNames {
    fn from_iter<I: IntoIterator<Item = (u64, String)>>(pairs: I) -> Self {
        let mut names = Self::default();
        for (alias, name) in pairs {
            names.by_name.insert(name.clone(), 0);
            names.by_alias.insert(alias, (name, 0));
        }
        names
    }
}

impl<const N: usize> From<[(u64, String); N]> for AliasNames {
    fn from(pairs: [(u64, String); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// The eight message types of an edge node and its devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[expect(missing_docs, reason = "the specification's names")]
pub enum MessageType {
    NBirth,
    NDeath,
    DBirth,
    DDeath,
    NData,
    DData,
    NCmd,
    DCmd,
}

impl MessageType {
    /// The type named by a topic's third level (`NBIRTH`, `DDATA`…).
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "NBIRTH" => Self::NBirth,
            "NDEATH" => Self::NDeath,
            "DBIRTH" => Self::DBirth,
            "DDEATH" => Self::DDeath,
            "NDATA" => Self::NData,
            "DDATA" => Self::DData,
            "NCMD" => Self::NCmd,
            "DCMD" => Self::DCmd,
            _ => return None,
        })
    }

    /// The word used in topics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NBirth => "NBIRTH",
            Self::NDeath => "NDEATH",
            Self::DBirth => "DBIRTH",
            Self::DDeath => "DDEATH",
            Self::NData => "NDATA",
            Self::DData => "DDATA",
            Self::NCmd => "NCMD",
            Self::DCmd => "DCMD",
        }
    }

    /// True for the types a device (not the edge node itself) publishes or receives.
    pub fn is_device(self) -> bool {
        matches!(self, Self::DBirth | Self::DDeath | Self::DData | Self::DCmd)
    }

    /// True for the messages the edge node numbers with `seq` (every one it publishes except
    /// NDEATH, which the broker sends as its will).
    pub fn carries_seq(self) -> bool {
        matches!(
            self,
            Self::NBirth | Self::DBirth | Self::DDeath | Self::NData | Self::DData
        )
    }
}

/// A topic in the Sparkplug B namespace, split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SparkplugTopic<'a> {
    /// `spBv1.0/<group>/<type>/<edge node>[/<device>]`.
    Edge {
        /// The group id.
        group: &'a str,
        /// The message type.
        kind: MessageType,
        /// The edge node id.
        node: &'a str,
        /// The device id, for the `D…` types.
        device: Option<&'a str>,
    },
    /// A primary host application's state: `spBv1.0/STATE/<host>` (3.0, JSON payload) or
    /// `STATE/<host>` (before 3.0, `ONLINE`/`OFFLINE`).
    State {
        /// The host application id.
        host: &'a str,
        /// True for the pre-3.0 form.
        legacy: bool,
    },
}

/// Split a Sparkplug B topic; `None` for anything else (including malformed ones).
pub fn parse_topic(topic: &str) -> Option<SparkplugTopic<'_>> {
    if let Some(host) = topic.strip_prefix("STATE/") {
        return (!host.is_empty() && !host.contains('/'))
            .then_some(SparkplugTopic::State { host, legacy: true });
    }
    let rest = topic.strip_prefix(NAMESPACE)?.strip_prefix('/')?;
    let mut levels = rest.split('/');
    let group = levels.next()?;
    if group == "STATE" {
        let host = levels.next()?;
        return (levels.next().is_none() && !host.is_empty()).then_some(SparkplugTopic::State {
            host,
            legacy: false,
        });
    }
    let kind = MessageType::parse(levels.next()?)?;
    let node = levels.next()?;
    let device = levels.next();
    if group.is_empty() || node.is_empty() || levels.next().is_some() {
        return None;
    }
    match (kind.is_device(), device) {
        (true, Some(device)) if !device.is_empty() => Some(SparkplugTopic::Edge {
            group,
            kind,
            node,
            device: Some(device),
        }),
        (false, None) => Some(SparkplugTopic::Edge {
            group,
            kind,
            node,
            device: None,
        }),
        _ => None,
    }
}

/// The topic of an edge node's (or one of its devices') message of type `kind`.
pub fn topic(group: &str, kind: MessageType, node: &str, device: Option<&str>) -> String {
    match device {
        Some(device) => format!("{NAMESPACE}/{group}/{}/{node}/{device}", kind.as_str()),
        None => format!("{NAMESPACE}/{group}/{}/{node}", kind.as_str()),
    }
}

/// Sparkplug B data type names, by their numbers in the specification.
pub fn datatype_name(datatype: u32) -> &'static str {
    match datatype {
        1 => "Int8",
        2 => "Int16",
        3 => "Int32",
        4 => "Int64",
        5 => "UInt8",
        6 => "UInt16",
        7 => "UInt32",
        8 => "UInt64",
        9 => "Float",
        10 => "Double",
        11 => "Boolean",
        12 => "String",
        13 => "DateTime",
        14 => "Text",
        15 => "UUID",
        16 => "DataSet",
        17 => "Bytes",
        18 => "File",
        19 => "Template",
        20 => "PropertySet",
        21 => "PropertySetList",
        _ => "Unknown",
    }
}

/// Data type numbers the demo fleet, the tests and the Rebirth command use.
#[expect(missing_docs, reason = "the specification's names")]
pub mod datatype {
    pub const INT32: u32 = 3;
    pub const INT64: u32 = 4;
    pub const UINT64: u32 = 8;
    pub const FLOAT: u32 = 9;
    pub const DOUBLE: u32 = 10;
    pub const BOOLEAN: u32 = 11;
    pub const STRING: u32 = 12;
    pub const DATETIME: u32 = 13;
    pub const DATASET: u32 = 16;
    pub const TEMPLATE: u32 = 19;
}

/// A whole Sparkplug B payload.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    /// Milliseconds since the Unix epoch when the message was sent.
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    #[prost(message, repeated, tag = "2")]
    #[expect(missing_docs, reason = "the specification's names")]
    pub metrics: Vec<Metric>,
    /// 0–255, per edge node, wrapping.
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
    #[prost(string, optional, tag = "4")]
    #[expect(missing_docs, reason = "the specification's names")]
    pub uuid: Option<String>,
    #[prost(bytes = "vec", optional, tag = "5")]
    #[expect(missing_docs, reason = "the specification's names")]
    pub body: Option<Vec<u8>>,
}

/// One metric: named in births, usually only aliased afterwards.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct Metric {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    /// Milliseconds since the Unix epoch when the value was acquired.
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    #[prost(bool, optional, tag = "5")]
    pub is_historical: Option<bool>,
    #[prost(bool, optional, tag = "6")]
    pub is_transient: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    #[prost(message, optional, tag = "8")]
    pub metadata: Option<MetaData>,
    #[prost(message, optional, tag = "9")]
    pub properties: Option<PropertySet>,
    #[prost(oneof = "MetricValue", tags = "10, 11, 12, 13, 14, 15, 16, 17, 18, 19")]
    pub value: Option<MetricValue>,
}

/// A metric's value. Signed types travel in the unsigned fields (see [`Metric::number`]).
#[derive(Clone, PartialEq, prost::Oneof)]
#[expect(missing_docs, reason = "the specification's names")]
pub enum MetricValue {
    #[prost(uint32, tag = "10")]
    Int(u32),
    #[prost(uint64, tag = "11")]
    Long(u64),
    #[prost(float, tag = "12")]
    Float(f32),
    #[prost(double, tag = "13")]
    Double(f64),
    #[prost(bool, tag = "14")]
    Boolean(bool),
    #[prost(string, tag = "15")]
    String(String),
    #[prost(bytes = "vec", tag = "16")]
    Bytes(Vec<u8>),
    #[prost(message, tag = "17")]
    DataSet(DataSet),
    #[prost(message, tag = "18")]
    Template(Template),
    #[prost(message, tag = "19")]
    Extension(Extension),
}

/// A vendor extension's value: its content is not part of the specification.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Extension {}

/// Metadata of Bytes and File metrics.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct MetaData {
    #[prost(bool, optional, tag = "1")]
    pub is_multi_part: Option<bool>,
    #[prost(string, optional, tag = "2")]
    pub content_type: Option<String>,
    #[prost(uint64, optional, tag = "3")]
    pub size: Option<u64>,
    #[prost(uint64, optional, tag = "4")]
    pub seq: Option<u64>,
    #[prost(string, optional, tag = "5")]
    pub file_name: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub file_type: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub md5: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub description: Option<String>,
}

/// A table: named, typed columns and rows of values.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct DataSet {
    #[prost(uint64, optional, tag = "1")]
    pub num_of_columns: Option<u64>,
    #[prost(string, repeated, tag = "2")]
    pub columns: Vec<String>,
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub types: Vec<u32>,
    #[prost(message, repeated, tag = "4")]
    pub rows: Vec<Row>,
}

/// One row of a [`DataSet`].
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct Row {
    #[prost(message, repeated, tag = "1")]
    pub elements: Vec<DataSetValue>,
}

/// One cell of a [`DataSet`].
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct DataSetValue {
    #[prost(oneof = "ScalarValue", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<ScalarValue>,
}

/// A data set cell's value.
#[derive(Clone, PartialEq, prost::Oneof)]
#[expect(missing_docs, reason = "the specification's names")]
pub enum ScalarValue {
    #[prost(uint32, tag = "1")]
    Int(u32),
    #[prost(uint64, tag = "2")]
    Long(u64),
    #[prost(float, tag = "3")]
    Float(f32),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(bool, tag = "5")]
    Boolean(bool),
    #[prost(string, tag = "6")]
    String(String),
    #[prost(message, tag = "7")]
    Extension(Extension),
}

/// A user-defined type (a definition in a birth) or an instance of one.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct Template {
    #[prost(string, optional, tag = "1")]
    pub version: Option<String>,
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    #[prost(message, repeated, tag = "3")]
    pub parameters: Vec<Parameter>,
    #[prost(string, optional, tag = "4")]
    pub template_ref: Option<String>,
    #[prost(bool, optional, tag = "5")]
    pub is_definition: Option<bool>,
}

/// A template parameter.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct Parameter {
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    #[prost(uint32, optional, tag = "2")]
    pub r#type: Option<u32>,
    #[prost(oneof = "ParameterValue", tags = "3, 4, 5, 6, 7, 8, 9")]
    pub value: Option<ParameterValue>,
}

/// A template parameter's value (the same kinds as a data set cell, numbered from 3).
#[derive(Clone, PartialEq, prost::Oneof)]
#[expect(missing_docs, reason = "the specification's names")]
pub enum ParameterValue {
    #[prost(uint32, tag = "3")]
    Int(u32),
    #[prost(uint64, tag = "4")]
    Long(u64),
    #[prost(float, tag = "5")]
    Float(f32),
    #[prost(double, tag = "6")]
    Double(f64),
    #[prost(bool, tag = "7")]
    Boolean(bool),
    #[prost(string, tag = "8")]
    String(String),
    #[prost(message, tag = "9")]
    Extension(Extension),
}

/// Properties of a metric (engineering units, quality…), as parallel keys and values.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct PropertySet {
    #[prost(string, repeated, tag = "1")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<PropertyValue>,
}

/// A list of property sets.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct PropertySetList {
    #[prost(message, repeated, tag = "1")]
    pub propertyset: Vec<PropertySet>,
}

/// One property's value.
#[derive(Clone, PartialEq, prost::Message)]
#[expect(missing_docs, reason = "the specification's names")]
pub struct PropertyValue {
    #[prost(uint32, optional, tag = "1")]
    pub r#type: Option<u32>,
    #[prost(bool, optional, tag = "2")]
    pub is_null: Option<bool>,
    #[prost(oneof = "PropertyValueKind", tags = "3, 4, 5, 6, 7, 8, 9, 10, 11")]
    pub value: Option<PropertyValueKind>,
}

/// A property's value.
#[derive(Clone, PartialEq, prost::Oneof)]
#[expect(missing_docs, reason = "the specification's names")]
pub enum PropertyValueKind {
    #[prost(uint32, tag = "3")]
    Int(u32),
    #[prost(uint64, tag = "4")]
    Long(u64),
    #[prost(float, tag = "5")]
    Float(f32),
    #[prost(double, tag = "6")]
    Double(f64),
    #[prost(bool, tag = "7")]
    Boolean(bool),
    #[prost(string, tag = "8")]
    String(String),
    #[prost(message, tag = "9")]
    PropertySet(PropertySet),
    #[prost(message, tag = "10")]
    PropertySetList(PropertySetList),
    #[prost(message, tag = "11")]
    Extension(Extension),
}

/// Why bytes are not a Sparkplug B payload.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(#[from] prost::DecodeError);

impl Payload {
    /// Parse a payload. prost bounds nesting (templates in templates) at 100 levels.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(<Self as prost::Message>::decode(bytes)?)
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Vec<u8> {
        prost::Message::encode_to_vec(self)
    }

    /// The `bdSeq` metric's value, in an NBIRTH or NDEATH.
    pub fn bd_seq(&self) -> Option<u64> {
        self.metrics
            .iter()
            .find(|m| m.name.as_deref() == Some(BD_SEQ))
            .and_then(|m| match m.value {
                Some(MetricValue::Long(v)) => Some(v),
                Some(MetricValue::Int(v)) => Some(u64::from(v)),
                _ => None,
            })
    }

    /// The NCMD payload that asks an edge node to rebirth.
    pub fn rebirth_command(timestamp_ms: u64) -> Self {
        Self {
            timestamp: Some(timestamp_ms),
            metrics: vec![Metric::named(
                REBIRTH,
                datatype::BOOLEAN,
                MetricValue::Boolean(true),
            )],
            ..Self::default()
        }
    }
}

impl Metric {
    /// A metric with a name, a data type and a value.
    pub fn named(name: &str, datatype: u32, value: MetricValue) -> Self {
        Self {
            name: Some(name.to_owned()),
            datatype: Some(datatype),
            value: Some(value),
            ..Self::default()
        }
    }

    /// A metric with only an alias and a value, as data messages carry them.
    pub fn aliased(alias: u64, value: MetricValue) -> Self {
        Self {
            alias: Some(alias),
            value: Some(value),
            ..Self::default()
        }
    }

    /// True when the metric says its value is null.
    pub fn null(&self) -> bool {
        self.is_null == Some(true)
    }

    /// The value as a number, for plots: signed types reinterpreted by width from the unsigned
    /// fields they travel in; booleans as 0/1.
    pub fn number(&self, datatype: u32) -> Option<f64> {
        if self.null() {
            return None;
        }
        let number = match self.value.as_ref()? {
            MetricValue::Int(raw) => signed_int(*raw, datatype) as f64,
            MetricValue::Long(raw) if datatype == 4 => *raw as i64 as f64,
            MetricValue::Long(raw) => *raw as f64,
            MetricValue::Float(f) => f64::from(*f),
            MetricValue::Double(f) => *f,
            MetricValue::Boolean(b) => f64::from(u8::from(*b)),
            _ => return None,
        };
        number.is_finite().then_some(number)
    }

    /// The value in words, as a table cell shows it.
    pub fn value_text(&self, datatype: u32) -> String {
        if self.null() {
            return "null".to_owned();
        }
        match &self.value {
            None => "—".to_owned(),
            Some(MetricValue::Int(raw)) => signed_int(*raw, datatype).to_string(),
            Some(MetricValue::Long(raw)) if datatype == 4 => (*raw as i64).to_string(),
            Some(MetricValue::Long(raw)) => raw.to_string(),
            Some(MetricValue::Float(f)) => f.to_string(),
            Some(MetricValue::Double(f)) => f.to_string(),
            Some(MetricValue::Boolean(b)) => b.to_string(),
            Some(MetricValue::String(s)) => s.clone(),
            Some(MetricValue::Bytes(b)) => format!("{} bytes", b.len()),
            Some(MetricValue::DataSet(d)) => {
                format!("table: {} columns, {} rows", d.columns.len(), d.rows.len())
            }
            Some(MetricValue::Template(t)) => match &t.template_ref {
                Some(r) => format!("{r}: {} members", t.metrics.len()),
                None => format!("template: {} members", t.metrics.len()),
            },
            Some(MetricValue::Extension(_)) => "extension".to_owned(),
        }
    }
}

/// Int8/Int16/Int32 travel as uint32; others as they are.
fn signed_int(raw: u32, datatype: u32) -> i64 {
    match datatype {
        1 => i64::from(raw as u8 as i8),
        2 => i64::from(raw as u16 as i16),
        3 => i64::from(raw as i32),
        _ => i64::from(raw),
    }
}

/// A data set cell or template parameter in words.
pub fn scalar_text(value: Option<&ScalarValue>) -> String {
    match value {
        None => "null".to_owned(),
        Some(ScalarValue::Int(v)) => v.to_string(),
        Some(ScalarValue::Long(v)) => v.to_string(),
        Some(ScalarValue::Float(v)) => v.to_string(),
        Some(ScalarValue::Double(v)) => v.to_string(),
        Some(ScalarValue::Boolean(v)) => v.to_string(),
        Some(ScalarValue::String(v)) => v.clone(),
        Some(ScalarValue::Extension(_)) => "extension".to_owned(),
    }
}

impl ParameterValue {
    /// The same value as a data set cell holds it (the two share their kinds).
    pub fn to_scalar(&self) -> ScalarValue {
        match self {
            ParameterValue::Int(v) => ScalarValue::Int(*v),
            ParameterValue::Long(v) => ScalarValue::Long(*v),
            ParameterValue::Float(v) => ScalarValue::Float(*v),
            ParameterValue::Double(v) => ScalarValue::Double(*v),
            ParameterValue::Boolean(v) => ScalarValue::Boolean(*v),
            ParameterValue::String(v) => ScalarValue::String(v.clone()),
            ParameterValue::Extension(e) => ScalarValue::Extension(e.clone()),
        }
    }
}

/// A property's value in words (nested sets as `{key: value, …}`, bounded by prost's depth).
pub fn property_text(value: &PropertyValue) -> String {
    if value.is_null == Some(true) {
        return "null".to_owned();
    }
    match &value.value {
        None => "null".to_owned(),
        Some(PropertyValueKind::Int(v)) => v.to_string(),
        Some(PropertyValueKind::Long(v)) => v.to_string(),
        Some(PropertyValueKind::Float(v)) => v.to_string(),
        Some(PropertyValueKind::Double(v)) => v.to_string(),
        Some(PropertyValueKind::Boolean(v)) => v.to_string(),
        Some(PropertyValueKind::String(v)) => v.clone(),
        Some(PropertyValueKind::PropertySet(set)) => format!("{{{} properties}}", set.keys.len()),
        Some(PropertyValueKind::PropertySetList(list)) => {
            format!("[{} property sets]", list.propertyset.len())
        }
        Some(PropertyValueKind::Extension(_)) => "extension".to_owned(),
    }
}

#[cfg(test)]
#[path = "sparkplug_tests.rs"]
mod tests;
