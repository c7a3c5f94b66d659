//! zigbee2mqtt, understood: the bridge's `bridge/state`, `bridge/info` and `bridge/devices`
//! topics, each device's state messages (link quality, last seen) and its
//! `<friendly_name>/availability`. Pure: fed messages, asked questions.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// zigbee2mqtt's base topic when not configured otherwise.
pub const DEFAULT_BASE: &str = "zigbee2mqtt";

/// One device the bridge knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[expect(missing_docs, reason = "zigbee2mqtt's names")]
pub struct ZigbeeDevice {
    pub ieee_address: String,
    pub friendly_name: String,
    /// `Router`, `EndDevice`, `Coordinator`.
    pub kind: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub description: Option<String>,
    /// `Mains (single phase)`, `Battery`, …
    pub power_source: Option<String>,
    /// From its latest state message.
    pub link_quality: Option<i64>,
    /// From its latest state message (`last_seen`, when zigbee2mqtt publishes it), else when
    /// that message arrived.
    pub last_seen: Option<String>,
    /// When its latest state message arrived.
    pub state_at: Option<SystemTime>,
    /// What `<friendly_name>/availability` last said: `online` or `offline`.
    pub availability: Option<String>,
}

/// What the bridge says about itself and its devices.
#[derive(Debug, Default)]
pub struct Zigbee2Mqtt {
    base: String,
    /// `online` or `offline` (plain in old versions, `{"state": …}` in new ones).
    pub bridge_state: Option<String>,
    /// The bridge's version and coordinator, from `bridge/info`.
    pub version: Option<String>,
    #[expect(missing_docs, reason = "see version")]
    pub coordinator: Option<String>,
    devices: BTreeMap<String, ZigbeeDevice>,
}

/// `online`/`offline` from a plain or a JSON (`{"state": "online"}`) payload.
fn state_word(payload: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(payload).ok()?.trim();
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(text) {
        return object.get("state")?.as_str().map(str::to_owned);
    }
    (!text.is_empty()).then(|| text.to_owned())
}

impl Zigbee2Mqtt {
    /// Follow the bridge under `base` (`zigbee2mqtt` by default).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            ..Self::default()
        }
    }

    /// Whether the bridge has spoken (its state, info or device list).
    pub fn seen(&self) -> bool {
        self.bridge_state.is_some() || self.version.is_some() || !self.devices.is_empty()
    }

    /// The devices by friendly name.
    pub fn devices(&self) -> impl Iterator<Item = &ZigbeeDevice> {
        self.devices.values()
    }

    /// Take a message under the base topic (others are ignored).
    pub fn observe(&mut self, topic: &str, payload: &[u8], at: SystemTime) {
        let Some(rest) = topic
            .strip_prefix(self.base.as_str())
            .and_then(|r| r.strip_prefix('/'))
        else {
            return;
        };
        match rest {
            "bridge/state" => self.bridge_state = state_word(payload),
            "bridge/info" => self.info(payload),
            "bridge/devices" => self.device_list(payload),
            _ if rest.starts_with("bridge/") => {}
            _ => {
                if let Some(name) = rest.strip_suffix("/availability") {
                    if let Some(device) = self.devices.get_mut(name) {
                        device.availability = state_word(payload);
                    }
                } else if let Some(device) = self.devices.get_mut(rest) {
                    device_state(device, payload, at);
                }
            }
        }
    }

    fn info(&mut self, payload: &[u8]) {
        let Ok(info) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return;
        };
        self.version = info
            .get("version")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        self.coordinator = info
            .get("coordinator")
            .and_then(|c| c.get("type"))
            .and_then(|t| t.as_str())
            .map(str::to_owned);
    }

    /// The device list replaces the known devices, keeping what their state messages said.
    fn device_list(&mut self, payload: &[u8]) {
        let Ok(serde_json::Value::Array(list)) = serde_json::from_slice(payload) else {
            return;
        };
        let mut devices = BTreeMap::new();
        for item in list {
            let text = |key: &str| item.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            let Some(name) = text("friendly_name") else {
                continue;
            };
            let definition = |key: &str| {
                item.get("definition")
                    .and_then(|d| d.get(key))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            let mut device = self.devices.remove(&name).unwrap_or_default();
            device.ieee_address = text("ieee_address").unwrap_or_default();
            device.friendly_name = name.clone();
            device.kind = text("type").unwrap_or_default();
            device.vendor = definition("vendor");
            device.model = definition("model").or_else(|| text("model_id"));
            device.description = definition("description");
            device.power_source = text("power_source");
            devices.insert(name, device);
        }
        self.devices = devices;
    }
}

/// A device's state message: link quality and last seen, when it carries them.
fn device_state(device: &mut ZigbeeDevice, payload: &[u8], at: SystemTime) {
    device.state_at = Some(at);
    let Ok(state) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return;
    };
    if let Some(quality) = state.get("linkquality").and_then(serde_json::Value::as_i64) {
        device.link_quality = Some(quality);
    }
    match state.get("last_seen") {
        Some(serde_json::Value::String(seen)) => device.last_seen = Some(seen.clone()),
        Some(serde_json::Value::Number(ms)) => device.last_seen = Some(ms.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const DEVICES: &str = r#"[
        {"ieee_address":"0x00124b0001","type":"Coordinator","friendly_name":"Coordinator"},
        {"ieee_address":"0x0017880104","type":"Router","friendly_name":"hall/lamp",
         "power_source":"Mains (single phase)",
         "definition":{"vendor":"Philips","model":"9290022166","description":"Hue white bulb"}},
        {"ieee_address":"0x00158d0002","type":"EndDevice","friendly_name":"door sensor",
         "power_source":"Battery","model_id":"lumi.sensor_magnet"}
    ]"#;

    #[test]
    fn the_bridge_its_devices_and_their_states() {
        let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut z = Zigbee2Mqtt::new(DEFAULT_BASE);
        assert!(!z.seen());
        z.observe("zigbee2mqtt/bridge/state", br#"{"state":"online"}"#, at);
        z.observe(
            "zigbee2mqtt/bridge/info",
            br#"{"version":"1.40.2","coordinator":{"type":"zStack3x0"}}"#,
            at,
        );
        z.observe("zigbee2mqtt/bridge/devices", DEVICES.as_bytes(), at);
        z.observe(
            "zigbee2mqtt/hall/lamp",
            br#"{"state":"ON","brightness":200,"linkquality":87,"last_seen":"2026-12-01T10:00:00Z"}"#,
            at,
        );
        z.observe("zigbee2mqtt/hall/lamp/availability", b"online", at);
        z.observe(
            "zigbee2mqtt/door sensor/availability",
            br#"{"state":"offline"}"#,
            at,
        );
        z.observe("zigbee2mqtt/unknown/device", b"{}", at);
        z.observe("other/bridge/state", b"offline", at);
        assert!(z.seen());
        assert_eq!(z.bridge_state.as_deref(), Some("online"));
        assert_eq!(
            (z.version.as_deref(), z.coordinator.as_deref()),
            (Some("1.40.2"), Some("zStack3x0"))
        );
        let devices: Vec<&ZigbeeDevice> = z.devices().collect();
        assert_eq!(devices.len(), 3);
        let lamp = devices
            .iter()
            .find(|d| d.friendly_name == "hall/lamp")
            .expect("lamp");
        assert_eq!(lamp.vendor.as_deref(), Some("Philips"));
        assert_eq!(lamp.link_quality, Some(87));
        assert_eq!(lamp.last_seen.as_deref(), Some("2026-12-01T10:00:00Z"));
        assert_eq!(lamp.availability.as_deref(), Some("online"));
        let door = devices
            .iter()
            .find(|d| d.friendly_name == "door sensor")
            .expect("door");
        assert_eq!(door.model.as_deref(), Some("lumi.sensor_magnet"));
        assert_eq!(door.power_source.as_deref(), Some("Battery"));
        assert_eq!(door.availability.as_deref(), Some("offline"));
        // A new device list keeps what the devices' own messages said.
        z.observe("zigbee2mqtt/bridge/devices", DEVICES.as_bytes(), at);
        assert_eq!(
            z.devices()
                .find(|d| d.friendly_name == "hall/lamp")
                .and_then(|d| d.link_quality),
            Some(87)
        );
        // Old versions say the bridge state in plain text; junk is ignored.
        z.observe("zigbee2mqtt/bridge/state", b"offline", at);
        assert_eq!(z.bridge_state.as_deref(), Some("offline"));
        z.observe("zigbee2mqtt/bridge/devices", b"not json", at);
        assert_eq!(z.devices().count(), 3);
    }
}
