//! The demo fleet's home automation: Home Assistant discovery configs for the home devices (one
//! of them a ghost, one not retained) and a small zigbee2mqtt bridge, announced with each
//! device's birth so the Home view has a household to show on a first run.

use super::devices::{DeviceKind, DeviceSpec};

/// Home Assistant discovery configs for the home devices (retained, with the device's
/// status topic as availability), so the Home view has a household to show. The kitchen
/// thermostat also publishes two problems: a config left behind by a device that is gone
/// (a ghost) and one that is not retained.
pub(super) fn discovery_configs(spec: &DeviceSpec) -> Vec<(String, String, bool)> {
    let id = &spec.id;
    let base = &spec.base_topic;
    let object = id.replace('-', "_");
    let room = base.split('/').nth(1).unwrap_or("home");
    let device = format!(
        r#""dev":{{"ids":["canopy_demo_{object}"],"name":"{id}","mf":"Canopy demo","mdl":"{:?}","sa":"{room}"}},"avty_t":"devices/{id}/status""#,
        spec.kind
    );
    let config = |component: &str, body: String| {
        (
            format!("homeassistant/{component}/{object}/config"),
            format!(r#"{{{body},"uniq_id":"canopy_demo_{object}",{device}}}"#),
            true,
        )
    };
    let mut configs = match spec.kind {
        DeviceKind::Thermostat => vec![config(
            "sensor",
            format!(
                r#""name":"{room} temperature","stat_t":"{base}","val_tpl":"{{{{ value_json.temperature }}}}","unit_of_meas":"°C","dev_cla":"temperature""#
            ),
        )],
        DeviceKind::Light => vec![config(
            "light",
            format!(
                r#""name":"{room} light","~":"{base}","stat_t":"~/state","cmd_t":"~/set","pl_on":"on","pl_off":"off""#
            ),
        )],
        DeviceKind::Motion => vec![config(
            "binary_sensor",
            format!(
                r#""name":"{room} motion","stat_t":"{base}","pl_on":"1","pl_off":"0","dev_cla":"motion""#
            ),
        )],
        DeviceKind::PowerMeter => vec![config(
            "sensor",
            format!(
                r#""name":"{room} power","stat_t":"{base}","unit_of_meas":"W","dev_cla":"power""#
            ),
        )],
        DeviceKind::Door => vec![config(
            "binary_sensor",
            format!(r#""name":"{room} door","stat_t":"{base}","pl_on":"open","pl_off":"closed""#),
        )],
        _ => Vec::new(),
    };
    if id == "thermostat-kitchen" {
        configs.push((
            "homeassistant/sensor/old_cellar_sensor/config".to_owned(),
            r#"{"name":"cellar temperature","stat_t":"home/cellar/old-sensor/temp","avty_t":"devices/old-cellar-sensor/status","uniq_id":"canopy_demo_old_cellar","dev":{"ids":["canopy_demo_old_cellar"],"name":"old-cellar-sensor","mf":"Canopy demo"}}"#.to_owned(),
            true,
        ));
        configs.push((
            "homeassistant/sensor/kitchen_humidity/config".to_owned(),
            format!(
                r#"{{"name":"kitchen humidity","stat_t":"{base}","val_tpl":"{{{{ value_json.humidity }}}}","uniq_id":"canopy_demo_kitchen_humidity",{device}}}"#
            ),
            false,
        ));
        configs.extend(zigbee_bridge());
    }
    configs
}

/// A small zigbee2mqtt bridge (retained, as zigbee2mqtt publishes them): its state, info and
/// device list, a state and availability per device, and Home Assistant discovery for one of
/// the two devices (the other is not in Home Assistant).
fn zigbee_bridge() -> Vec<(String, String, bool)> {
    let retained =
        |topic: &str, payload: &str| (format!("zigbee2mqtt/{topic}"), payload.to_owned(), true);
    vec![
        retained("bridge/state", r#"{"state":"online"}"#),
        retained(
            "bridge/info",
            r#"{"version":"1.40.2","coordinator":{"type":"zStack3x0","ieee_address":"0x00124b0001"}}"#,
        ),
        retained(
            "bridge/devices",
            r#"[{"ieee_address":"0x00124b0001","type":"Coordinator","friendly_name":"Coordinator"},
{"ieee_address":"0x0017880104a1b2c3","type":"Router","friendly_name":"hall/ceiling","power_source":"Mains (single phase)","definition":{"vendor":"Philips","model":"9290022166","description":"Hue white bulb"}},
{"ieee_address":"0x00158d0002d4e5f6","type":"EndDevice","friendly_name":"garden/door","power_source":"Battery","definition":{"vendor":"Aqara","model":"MCCGQ11LM","description":"Door sensor"}}]"#,
        ),
        retained(
            "hall/ceiling",
            r#"{"state":"ON","brightness":180,"linkquality":132,"last_seen":"2026-12-01T06:00:00Z"}"#,
        ),
        retained("hall/ceiling/availability", r#"{"state":"online"}"#),
        retained(
            "garden/door",
            r#"{"contact":true,"battery":87,"linkquality":54,"last_seen":"2026-12-01T05:58:12Z"}"#,
        ),
        retained("garden/door/availability", r#"{"state":"offline"}"#),
        (
            "homeassistant/light/0x0017880104a1b2c3/light/config".to_owned(),
            r#"{"name":"hall ceiling","~":"zigbee2mqtt/hall/ceiling","stat_t":"~","cmd_t":"~/set","schema":"json","uniq_id":"0x0017880104a1b2c3_light","avty_t":"~/availability","avty_tpl":"{{ value_json.state }}","dev":{"ids":["zigbee2mqtt_0x0017880104a1b2c3"],"name":"hall/ceiling","mf":"Philips","mdl":"Hue white bulb","via_device":"zigbee2mqtt_bridge_0x00124b0001"}}"#.to_owned(),
            true,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::devices::catalogue;

    #[test]
    fn the_household_announces_discovery_configs_home_assistant_accepts() {
        use crate::model::ha_discovery::{ConfigProblem, Discovery};
        let mut discovery = Discovery::new("homeassistant");
        let mut zigbee = crate::model::zigbee2mqtt::Zigbee2Mqtt::new("zigbee2mqtt");
        for spec in catalogue(50) {
            for (topic, config, retain) in discovery_configs(&spec) {
                discovery.observe(&topic, config.as_bytes(), retain, std::time::UNIX_EPOCH);
                zigbee.observe(&topic, config.as_bytes(), std::time::UNIX_EPOCH);
            }
        }
        assert_eq!(zigbee.bridge_state.as_deref(), Some("online"));
        let zigbee_devices: Vec<_> = zigbee.devices().collect();
        assert_eq!(zigbee_devices.len(), 3, "the coordinator and two devices");
        assert!(zigbee_devices.iter().any(|d| d.link_quality == Some(54)
            && d.availability.as_deref() == Some("offline")));
        assert!(discovery.broken().is_empty(), "{:?}", discovery.broken());
        let entities = discovery.entities();
        assert!(entities.len() >= 20, "{} entities", entities.len());
        assert!(discovery.devices().len() >= 20);
        let flagged: Vec<(&str, &ConfigProblem)> = entities
            .iter()
            .flat_map(|e| e.problems.iter().map(move |p| (e.config_topic.as_str(), p)))
            .collect();
        assert_eq!(
            flagged,
            [(
                "homeassistant/sensor/kitchen_humidity/config",
                &ConfigProblem::NotRetained
            )],
            "one config is not retained on purpose"
        );
        let light = entities
            .iter()
            .find(|e| {
                e.component == "light"
                    && e.state_topic
                        .as_deref()
                        .is_some_and(|t| t.starts_with("home/"))
            })
            .expect("a light");
        let state = light.state_topic.as_deref().expect("state topic");
        assert!(
            state.starts_with("home/") && state.ends_with("/state"),
            "{state}"
        );
        assert!(
            light
                .command_topic
                .as_deref()
                .is_some_and(|t| t.ends_with("/set"))
        );
    }
}
