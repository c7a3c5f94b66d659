//! Home Assistant MQTT discovery, understood: config topics
//! (`<prefix>/<component>/[<node_id>/]<object_id>/config`) parsed into entities and devices
//! following Home Assistant's rules (abbreviated keys, the `~` base topic, device blocks,
//! `availability` lists with `availability_mode`, device-based discovery with `cmps`), and the
//! problems a config can have (invalid JSON, required keys missing, not retained, duplicate
//! unique ids). Pure: fed messages, asked questions.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// The discovery prefix when a profile does not set another.
pub const DEFAULT_PREFIX: &str = "homeassistant";

/// Abbreviations Home Assistant accepts in discovery payloads, and what they stand for (the
/// ones its integrations use; unknown keys are kept as written).
const ABBREVIATIONS: [(&str, &str); 58] = [
    ("act_t", "action_topic"),
    ("atype", "automation_type"),
    ("avty", "availability"),
    ("avty_mode", "availability_mode"),
    ("avty_t", "availability_topic"),
    ("avty_tpl", "availability_template"),
    ("bri_cmd_t", "brightness_command_topic"),
    ("bri_stat_t", "brightness_state_topic"),
    ("cmd_t", "command_topic"),
    ("cmd_tpl", "command_template"),
    ("cmps", "components"),
    ("curr_temp_t", "current_temperature_topic"),
    ("dev", "device"),
    ("dev_cla", "device_class"),
    ("ent_cat", "entity_category"),
    ("exp_aft", "expire_after"),
    ("frc_upd", "force_update"),
    ("ic", "icon"),
    ("json_attr_t", "json_attributes_topic"),
    ("json_attr_tpl", "json_attributes_template"),
    ("mode_cmd_t", "mode_command_topic"),
    ("mode_stat_t", "mode_state_topic"),
    ("o", "origin"),
    ("obj_id", "object_id"),
    ("opt", "optimistic"),
    ("p", "platform"),
    ("pct_cmd_t", "percentage_command_topic"),
    ("pct_stat_t", "percentage_state_topic"),
    ("pl_arm_away", "payload_arm_away"),
    ("pl_avail", "payload_available"),
    ("pl_cls", "payload_close"),
    ("pl_lock", "payload_lock"),
    ("pl_not_avail", "payload_not_available"),
    ("pl_off", "payload_off"),
    ("pl_on", "payload_on"),
    ("pl_open", "payload_open"),
    ("pl_prs", "payload_press"),
    ("pl_stop", "payload_stop"),
    ("pl_unlk", "payload_unlock"),
    ("pos_t", "position_topic"),
    ("ret", "retain"),
    ("rgb_cmd_t", "rgb_command_topic"),
    ("rgb_stat_t", "rgb_state_topic"),
    ("set_pos_t", "set_position_topic"),
    ("stat_cla", "state_class"),
    ("stat_off", "state_off"),
    ("stat_on", "state_on"),
    ("stat_t", "state_topic"),
    ("stat_tpl", "state_template"),
    ("stat_val_tpl", "state_value_template"),
    ("t", "topic"),
    ("temp_cmd_t", "temperature_command_topic"),
    ("temp_stat_t", "temperature_state_topic"),
    ("uniq_id", "unique_id"),
    ("unit_of_meas", "unit_of_measurement"),
    ("val_tpl", "value_template"),
    ("pl_trig", "payload_trigger"),
    ("sug_dsp_prc", "suggested_display_precision"),
];

/// Abbreviations inside a device block.
const DEVICE_ABBREVIATIONS: [(&str, &str); 10] = [
    ("cns", "connections"),
    ("ids", "identifiers"),
    ("name", "name"),
    ("mf", "manufacturer"),
    ("mdl", "model"),
    ("mdl_id", "model_id"),
    ("hw", "hw_version"),
    ("sw", "sw_version"),
    ("sa", "suggested_area"),
    ("cu", "configuration_url"),
];

/// Keys an entity of a component cannot work without (for the components people use most).
fn required_keys(component: &str) -> &'static [&'static str] {
    match component {
        "sensor" | "binary_sensor" => &["state_topic"],
        "switch" | "light" | "fan" | "lock" | "button" | "number" | "select" | "text" | "siren" => {
            &["command_topic"]
        }
        "device_trigger" => &["topic", "automation_type", "type", "subtype"],
        _ => &[],
    }
}

/// A config topic's parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigTopic {
    /// `sensor`, `light`, … (or `device` for device-based discovery).
    pub component: String,
    /// The optional grouping level.
    pub node_id: Option<String>,
    #[expect(missing_docs, reason = "the name says")]
    pub object_id: String,
}

/// The parts of `topic` when it is a discovery config topic under `prefix`.
pub fn parse_config_topic(prefix: &str, topic: &str) -> Option<ConfigTopic> {
    let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
    let levels: Vec<&str> = rest.split('/').collect();
    let (component, node_id, object_id) = match levels.as_slice() {
        [component, object_id, "config"] => (*component, None, *object_id),
        [component, node_id, object_id, "config"] => (*component, Some(*node_id), *object_id),
        _ => return None,
    };
    let valid = |level: &str| {
        !level.is_empty()
            && level
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if !valid(component) || !valid(object_id) || !node_id.is_none_or(valid) {
        return None;
    }
    Some(ConfigTopic {
        component: component.to_owned(),
        node_id: node_id.map(str::to_owned),
        object_id: object_id.to_owned(),
    })
}

/// How the availability topics combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AvailabilityMode {
    /// Available when every topic says so.
    All,
    /// Available when any topic says so.
    Any,
    /// The topic that spoke last decides (Home Assistant's default).
    #[default]
    Latest,
}

/// One availability topic and the payloads that mean available and not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityTopic {
    #[expect(missing_docs, reason = "the name says")]
    pub topic: String,
    /// Default `online`.
    pub payload_available: String,
    /// Default `offline`.
    pub payload_not_available: String,
    /// A template extracts the value first (shown, not evaluated).
    pub value_template: Option<String>,
}

/// The device an entity belongs to, as its config describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[expect(missing_docs, reason = "Home Assistant's names")]
pub struct DeviceInfo {
    pub identifiers: Vec<String>,
    /// (type, value) pairs such as (`mac`, `02:5b:…`).
    pub connections: Vec<(String, String)>,
    pub name: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub sw_version: Option<String>,
    pub via_device: Option<String>,
}

impl DeviceInfo {
    /// What identifies the device across configs: its first identifier, else its first
    /// connection.
    pub fn key(&self) -> Option<String> {
        self.identifiers.first().cloned().or_else(|| {
            self.connections
                .first()
                .map(|(kind, value)| format!("{kind}:{value}"))
        })
    }
}

/// What is wrong with a config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigProblem {
    /// The payload is not a JSON object; the parser's words.
    InvalidJson(String),
    /// Keys the component needs are missing.
    MissingKeys(Vec<String>),
    /// The config was not retained: the entity disappears when Home Assistant restarts.
    NotRetained,
    /// Another config has the same `unique_id`.
    DuplicateUniqueId(String),
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigProblem::InvalidJson(reason) => {
                write!(f, "the config is not valid JSON ({reason})")
            }
            ConfigProblem::MissingKeys(keys) => {
                write!(f, "the config misses required keys: {}", keys.join(", "))
            }
            ConfigProblem::NotRetained => write!(
                f,
                "the config is not retained: the entity disappears when Home Assistant restarts"
            ),
            ConfigProblem::DuplicateUniqueId(other) => {
                write!(f, "its unique_id is also used by {other}")
            }
        }
    }
}

/// One entity from a config (a device-based config gives several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// The config topic it came from.
    pub config_topic: String,
    /// Its component (`sensor`, `switch`, …).
    pub component: String,
    /// Inside a device-based config: its key in `components`.
    pub component_key: Option<String>,
    #[expect(missing_docs, reason = "Home Assistant's names")]
    pub name: Option<String>,
    #[expect(missing_docs, reason = "Home Assistant's names")]
    pub unique_id: Option<String>,
    /// Where it publishes its state, `~` expanded.
    pub state_topic: Option<String>,
    /// Where it takes commands, `~` expanded.
    pub command_topic: Option<String>,
    /// How Home Assistant reads the state (a Jinja template; the simple
    /// `{{ value_json.key }}` forms are applied by [`apply_value_template`]).
    pub value_template: Option<String>,
    /// `payload_on` / `payload_off` for switches and lights, when given.
    pub payload_on: Option<String>,
    #[expect(missing_docs, reason = "see payload_on")]
    pub payload_off: Option<String>,
    #[expect(missing_docs, reason = "Home Assistant's names")]
    pub availability: Vec<AvailabilityTopic>,
    #[expect(missing_docs, reason = "Home Assistant's names")]
    pub availability_mode: AvailabilityMode,
    #[expect(missing_docs, reason = "Home Assistant's names")]
    pub device: Option<DeviceInfo>,
    /// Problems of this entity's config.
    pub problems: Vec<ConfigProblem>,
}

/// Parse one config message into its entities. A payload that is not a JSON object gives no
/// entity: the error says why.
pub fn parse_config(
    config_topic: &str,
    parsed_topic: &ConfigTopic,
    payload: &[u8],
    retained: bool,
) -> Result<Vec<Entity>, ConfigProblem> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| ConfigProblem::InvalidJson(e.to_string()))?;
    let serde_json::Value::Object(object) = value else {
        return Err(ConfigProblem::InvalidJson("not a JSON object".to_owned()));
    };
    let config = expand(object, &ABBREVIATIONS);
    let mut entities = Vec::new();
    if parsed_topic.component == "device" {
        // Device-based discovery: shared keys (device, origin, availability, ~) and components.
        let components = match config.get("components") {
            Some(serde_json::Value::Object(components)) => components.clone(),
            _ => serde_json::Map::new(),
        };
        for (key, component) in components {
            let serde_json::Value::Object(component) = component else {
                continue;
            };
            // The shared keys, then the component's; `~` applies to both.
            let mut merged = config.clone();
            merged.remove("components");
            merged.extend(component);
            let merged = expand(merged, &ABBREVIATIONS);
            let platform = merged
                .get("platform")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            entities.push(entity(config_topic, &platform, Some(key), &merged));
        }
    } else {
        entities.push(entity(config_topic, &parsed_topic.component, None, &config));
    }
    if !retained {
        for entity in &mut entities {
            entity.problems.push(ConfigProblem::NotRetained);
        }
    }
    Ok(entities)
}

type Object = serde_json::Map<String, serde_json::Value>;

/// Keys spelled out, then `~` expanded in every `…_topic` value.
fn expand(object: Object, table: &[(&str, &str)]) -> Object {
    let full = |key: &str| {
        table
            .iter()
            .find(|(short, _)| *short == key)
            .map_or(key, |(_, long)| long)
            .to_owned()
    };
    let mut out: Object = object.into_iter().map(|(k, v)| (full(&k), v)).collect();
    // Availability entries have abbreviations of their own (`t` for `topic`).
    if let Some(serde_json::Value::Array(list)) = out.get_mut("availability") {
        for item in list.iter_mut() {
            if let serde_json::Value::Object(entry) = item {
                *entry = std::mem::take(entry)
                    .into_iter()
                    .map(|(k, v)| (full(&k), v))
                    .collect();
            }
        }
    }
    let base = out
        .get("~")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    if let Some(base) = base {
        for (key, value) in &mut out {
            if (key.ends_with("_topic") || key == "topic")
                && let serde_json::Value::String(text) = value
            {
                *text = with_base(text, &base);
            }
        }
        if let Some(serde_json::Value::Array(list)) = out.get_mut("availability") {
            for item in list {
                if let Some(serde_json::Value::String(topic)) = item.get_mut("topic") {
                    *topic = with_base(topic, &base);
                }
            }
        }
    }
    out
}

/// `~` at the start or the end of a topic stands for the base topic.
fn with_base(topic: &str, base: &str) -> String {
    if let Some(rest) = topic.strip_prefix('~') {
        format!("{base}{rest}")
    } else if let Some(rest) = topic.strip_suffix('~') {
        format!("{rest}{base}")
    } else {
        topic.to_owned()
    }
}

fn text(config: &Object, key: &str) -> Option<String> {
    match config.get(key)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn entity(config_topic: &str, component: &str, key: Option<String>, config: &Object) -> Entity {
    let missing: Vec<String> = required_keys(component)
        .iter()
        .filter(|k| !config.contains_key(**k))
        .map(|k| (*k).to_owned())
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(ConfigProblem::MissingKeys(missing));
    }
    Entity {
        config_topic: config_topic.to_owned(),
        component: component.to_owned(),
        component_key: key,
        name: text(config, "name"),
        unique_id: text(config, "unique_id"),
        state_topic: text(config, "state_topic"),
        command_topic: text(config, "command_topic"),
        value_template: text(config, "value_template"),
        payload_on: text(config, "payload_on"),
        payload_off: text(config, "payload_off"),
        availability: availability(config),
        availability_mode: match text(config, "availability_mode").as_deref() {
            Some("all") => AvailabilityMode::All,
            Some("any") => AvailabilityMode::Any,
            _ => AvailabilityMode::Latest,
        },
        device: device(config),
        problems,
    }
}

fn availability(config: &Object) -> Vec<AvailabilityTopic> {
    let default_on = text(config, "payload_available").unwrap_or_else(|| "online".to_owned());
    let default_off = text(config, "payload_not_available").unwrap_or_else(|| "offline".to_owned());
    let mut topics = Vec::new();
    if let Some(topic) = text(config, "availability_topic") {
        topics.push(AvailabilityTopic {
            topic,
            payload_available: default_on.clone(),
            payload_not_available: default_off.clone(),
            value_template: text(config, "availability_template"),
        });
    }
    if let Some(serde_json::Value::Array(list)) = config.get("availability") {
        for item in list {
            let serde_json::Value::Object(item) = item else {
                continue;
            };
            let item = expand(item.clone(), &ABBREVIATIONS);
            if let Some(topic) = text(&item, "topic") {
                topics.push(AvailabilityTopic {
                    topic,
                    payload_available: text(&item, "payload_available")
                        .unwrap_or_else(|| default_on.clone()),
                    payload_not_available: text(&item, "payload_not_available")
                        .unwrap_or_else(|| default_off.clone()),
                    value_template: text(&item, "value_template"),
                });
            }
        }
    }
    topics
}

fn device(config: &Object) -> Option<DeviceInfo> {
    let serde_json::Value::Object(block) = config.get("device")? else {
        return None;
    };
    let block = expand(block.clone(), &DEVICE_ABBREVIATIONS);
    let list = |key: &str| -> Vec<String> {
        match block.get(key) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|i| match i {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let connections = match block.get("connections") {
        Some(serde_json::Value::Array(pairs)) => pairs
            .iter()
            .filter_map(|pair| {
                let pair = pair.as_array()?;
                Some((
                    pair.first()?.as_str()?.to_owned(),
                    pair.get(1)?.as_str()?.to_owned(),
                ))
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(DeviceInfo {
        identifiers: list("identifiers"),
        connections,
        name: text(&block, "name"),
        manufacturer: text(&block, "manufacturer"),
        model: text(&block, "model"),
        sw_version: text(&block, "sw_version"),
        via_device: text(&block, "via_device"),
    })
}

/// The state as Home Assistant would show it, for the templates most configs use:
/// `{{ value }}` and `{{ value_json.a.b }}` (keys and list indexes). Anything else (filters,
/// expressions) gives `None`: the payload is shown as it is.
pub fn apply_value_template(template: &str, payload: &[u8]) -> Option<String> {
    let inner = template
        .trim()
        .strip_prefix("{{")?
        .strip_suffix("}}")?
        .trim();
    if inner == "value" {
        return std::str::from_utf8(payload).ok().map(str::to_owned);
    }
    let path = inner.strip_prefix("value_json")?;
    let mut value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    for part in path.split('.').skip(1) {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
            None => (part, None),
        };
        if key.is_empty() || !key.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        value = value.get(key)?.clone();
        if let Some(index) = index {
            value = value.get(index)?.clone();
        }
    }
    if !path.is_empty() && !path.starts_with('.') {
        return None;
    }
    Some(match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Whether an entity is available, from what its availability topics last said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// It has no availability topics: always available.
    NotReported,
    #[expect(missing_docs, reason = "the name says")]
    Available,
    /// Since when, as far as the messages tell.
    Unavailable(Option<SystemTime>),
    /// Its availability topics have not spoken since connecting.
    Unknown,
}

/// Combine what `entity`'s availability topics last said (`last` gives a topic's last payload
/// and its time) by its availability mode.
pub fn availability_of(
    entity: &Entity,
    last: impl Fn(&str) -> Option<(Vec<u8>, SystemTime)>,
) -> Availability {
    if entity.availability.is_empty() {
        return Availability::NotReported;
    }
    let states: Vec<(bool, SystemTime)> = entity
        .availability
        .iter()
        .filter_map(|a| {
            let (payload, at) = last(&a.topic)?;
            // A simple template (`{{ value_json.state }}`) picks the word out first.
            let payload = match &a.value_template {
                Some(template) => apply_value_template(template, &payload)?.into_bytes(),
                None => payload,
            };
            if payload == a.payload_available.as_bytes() {
                Some((true, at))
            } else if payload == a.payload_not_available.as_bytes() {
                Some((false, at))
            } else {
                None
            }
        })
        .collect();
    if states.is_empty() {
        return Availability::Unknown;
    }
    let down_since = || states.iter().filter(|(up, _)| !up).map(|(_, at)| *at).max();
    let available = match entity.availability_mode {
        AvailabilityMode::All => {
            states.len() == entity.availability.len() && states.iter().all(|(up, _)| *up)
        }
        AvailabilityMode::Any => states.iter().any(|(up, _)| *up),
        AvailabilityMode::Latest => states
            .iter()
            .max_by_key(|(_, at)| *at)
            .is_some_and(|(up, _)| *up),
    };
    if available {
        Availability::Available
    } else {
        Availability::Unavailable(down_since())
    }
}

/// How long the broker must have been live after a config arrived, its entity's topics silent
/// all along, before the entity is called a ghost.
pub const GHOST_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// How long an entity must have been unavailable to be flagged.
pub const OFFLINE_LONG: std::time::Duration = std::time::Duration::from_secs(3600);

/// Why an entity looks stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// Its state and availability topics have not spoken since its config arrived, while the
    /// broker carried other messages for [`GHOST_AFTER`] after it: the device is gone.
    Ghost,
    /// Its availability has said offline for this long (at least [`OFFLINE_LONG`]).
    OfflineFor(std::time::Duration),
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staleness::Ghost => write!(
                f,
                "nothing on its state or availability topics since its config arrived, while \
                 the broker is live: the device looks gone (a ghost config)"
            ),
            Staleness::OfflineFor(d) => {
                write!(f, "unavailable for {} h", d.as_secs() / 3600)
            }
        }
    }
}

/// Whether `entity` (its config received at `seen_at`) looks stale at `now`, given the newest
/// message the connection received and what its topics last said.
pub fn staleness(
    entity: &Entity,
    seen_at: SystemTime,
    newest_message: Option<SystemTime>,
    now: SystemTime,
    last: impl Fn(&str) -> Option<(Vec<u8>, SystemTime)>,
) -> Option<Staleness> {
    let topics: Vec<&str> = entity
        .state_topic
        .iter()
        .map(String::as_str)
        .chain(entity.availability.iter().map(|a| a.topic.as_str()))
        .collect();
    if topics.is_empty() {
        return None;
    }
    let silent = topics.iter().all(|t| last(t).is_none());
    let live_after = newest_message
        .and_then(|newest| newest.duration_since(seen_at).ok())
        .is_some_and(|d| d >= GHOST_AFTER);
    if silent && live_after {
        return Some(Staleness::Ghost);
    }
    if let Availability::Unavailable(Some(since)) = availability_of(entity, &last) {
        let down = now.duration_since(since).unwrap_or_default();
        if down >= OFFLINE_LONG {
            return Some(Staleness::OfflineFor(down));
        }
    }
    None
}

/// Every discovery config seen on a connection, kept up to date message by message.
#[derive(Debug, Default)]
pub struct Discovery {
    prefix: String,
    /// By config topic: its entities (or why it gave none), and when it was received.
    configs: BTreeMap<String, (Result<Vec<Entity>, ConfigProblem>, SystemTime)>,
}

impl Discovery {
    /// Follow the configs under `prefix` (`homeassistant` by default).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.trim_end_matches('/').to_owned(),
            configs: BTreeMap::new(),
        }
    }

    /// Whether `topic` is under the discovery prefix (a cheap test before [`Self::observe`]).
    pub fn is_config_topic(&self, topic: &str) -> bool {
        topic.len() > self.prefix.len()
            && topic.starts_with(self.prefix.as_str())
            && topic.as_bytes()[self.prefix.len()] == b'/'
            && topic.ends_with("/config")
    }

    /// How many configs are known (any shape).
    pub fn config_count(&self) -> usize {
        self.configs.len()
    }

    /// Take a message received at `at`: a config is added or replaced; an empty payload
    /// removes it.
    pub fn observe(&mut self, topic: &str, payload: &[u8], retained: bool, at: SystemTime) {
        let Some(parsed) = parse_config_topic(&self.prefix, topic) else {
            return;
        };
        if payload.is_empty() {
            self.configs.remove(topic);
            return;
        }
        self.configs.insert(
            topic.to_owned(),
            (parse_config(topic, &parsed, payload, retained), at),
        );
    }

    /// Every entity, with duplicate unique ids flagged, in config-topic order.
    pub fn entities(&self) -> Vec<Entity> {
        let mut entities: Vec<Entity> = self
            .configs
            .values()
            .filter_map(|(c, _)| c.as_ref().ok())
            .flatten()
            .cloned()
            .collect();
        let mut first_with: BTreeMap<String, String> = BTreeMap::new();
        for entity in &mut entities {
            let Some(id) = entity.unique_id.clone() else {
                continue;
            };
            match first_with.get(&id) {
                Some(other) => entity
                    .problems
                    .push(ConfigProblem::DuplicateUniqueId(other.clone())),
                None => {
                    first_with.insert(id, entity.config_topic.clone());
                }
            }
        }
        entities
    }

    /// When the config at `topic` was last received.
    pub fn seen_at(&self, topic: &str) -> Option<SystemTime> {
        self.configs.get(topic).map(|(_, at)| *at)
    }

    /// Config topics whose payload gave no entity, and why.
    pub fn broken(&self) -> Vec<(&str, &ConfigProblem)> {
        self.configs
            .iter()
            .filter_map(|(topic, (c, _))| c.as_ref().err().map(|e| (topic.as_str(), e)))
            .collect()
    }

    /// Devices by their key, each with its entities (entities without a device block are left
    /// out; see [`Self::entities`]).
    pub fn devices(&self) -> BTreeMap<String, (DeviceInfo, Vec<Entity>)> {
        let mut devices: BTreeMap<String, (DeviceInfo, Vec<Entity>)> = BTreeMap::new();
        for entity in self.entities() {
            let Some(device) = &entity.device else {
                continue;
            };
            let Some(key) = device.key() else {
                continue;
            };
            let slot = devices
                .entry(key)
                .or_insert_with(|| (device.clone(), Vec::new()));
            // Later configs often carry only the identifiers: keep the fullest description.
            if slot.0.name.is_none() && device.name.is_some() {
                slot.0 = device.clone();
            }
            slot.1.push(entity);
        }
        devices
    }
}

#[cfg(test)]
#[path = "ha_discovery_tests.rs"]
mod tests;
