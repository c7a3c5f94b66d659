use super::*;
use std::time::{Duration, UNIX_EPOCH};

/// A config topic's expected parts: component, node id, object id.
type Parts<'a> = Option<(&'a str, Option<&'a str>, &'a str)>;

#[test]
fn config_topics_with_and_without_a_node_id() {
    let cases: [(&str, Parts<'_>); 8] = [
        (
            "homeassistant/sensor/kitchen_temp/config",
            Some(("sensor", None, "kitchen_temp")),
        ),
        (
            "homeassistant/light/0x00158d0001/light/config",
            Some(("light", Some("0x00158d0001"), "light")),
        ),
        (
            "homeassistant/device/node-1/config",
            Some(("device", None, "node-1")),
        ),
        ("homeassistant/sensor/kitchen_temp/state", None),
        ("homeassistant/sensor/config", None),
        ("homeassistant/a/b/c/d/config", None),
        ("other/sensor/x/config", None),
        ("homeassistant/sensor/bad id/config", None),
    ];
    for (topic, expected) in cases {
        let parsed = parse_config_topic(DEFAULT_PREFIX, topic);
        let expected = expected.map(|(component, node, object)| ConfigTopic {
            component: component.to_owned(),
            node_id: node.map(str::to_owned),
            object_id: object.to_owned(),
        });
        assert_eq!(parsed, expected, "{topic}");
    }
}

fn one(topic: &str, payload: &str) -> Entity {
    let parsed = parse_config_topic(DEFAULT_PREFIX, topic).expect("a config topic");
    let mut entities = parse_config(topic, &parsed, payload.as_bytes(), true).expect("parsed");
    assert_eq!(entities.len(), 1);
    entities.remove(0)
}

#[test]
fn abbreviations_the_base_topic_and_the_device_block() {
    let entity = one(
        "homeassistant/light/0x1234/light/config",
        r#"{"~":"zigbee2mqtt/Lamp","name":"Lamp","stat_t":"~/state","cmd_t":"~/set",
            "uniq_id":"0x1234_light","pl_on":"ON","pl_off":"OFF",
            "dev":{"ids":["zigbee2mqtt_0x1234"],"mf":"IKEA","mdl":"LED1623G12","name":"Lamp",
                   "sw":"1.2","via_device":"zigbee2mqtt_bridge"},
            "avty":[{"t":"zigbee2mqtt/bridge/state"},
                    {"t":"~/availability","pl_avail":"up","pl_not_avail":"down"}],
            "avty_mode":"all"}"#,
    );
    assert_eq!(entity.component, "light");
    assert_eq!(entity.unique_id.as_deref(), Some("0x1234_light"));
    assert_eq!(
        entity.state_topic.as_deref(),
        Some("zigbee2mqtt/Lamp/state")
    );
    assert_eq!(
        entity.command_topic.as_deref(),
        Some("zigbee2mqtt/Lamp/set")
    );
    assert_eq!(
        (entity.payload_on.as_deref(), entity.payload_off.as_deref()),
        (Some("ON"), Some("OFF"))
    );
    assert_eq!(entity.availability_mode, AvailabilityMode::All);
    let topics: Vec<(&str, &str, &str)> = entity
        .availability
        .iter()
        .map(|a| {
            (
                a.topic.as_str(),
                a.payload_available.as_str(),
                a.payload_not_available.as_str(),
            )
        })
        .collect();
    assert_eq!(
        topics,
        [
            ("zigbee2mqtt/bridge/state", "online", "offline"),
            ("zigbee2mqtt/Lamp/availability", "up", "down")
        ]
    );
    let device = entity.device.as_ref().expect("a device");
    assert_eq!(device.key().as_deref(), Some("zigbee2mqtt_0x1234"));
    assert_eq!(
        (device.manufacturer.as_deref(), device.model.as_deref()),
        (Some("IKEA"), Some("LED1623G12"))
    );
    assert_eq!(device.via_device.as_deref(), Some("zigbee2mqtt_bridge"));
    assert!(entity.problems.is_empty(), "{:?}", entity.problems);
    // A base at the end of a topic, and a single availability topic with its own payloads.
    let entity = one(
        "homeassistant/switch/plug/config",
        r#"{"~":"plug","cmd_t":"cmnd/~","avty_t":"~/tele/LWT","pl_avail":"Online",
            "pl_not_avail":"Offline","dev":{"cns":[["mac","02:5b:26:a8:dc:12"]]}}"#,
    );
    assert_eq!(entity.command_topic.as_deref(), Some("cmnd/plug"));
    assert_eq!(entity.availability[0].topic, "plug/tele/LWT");
    assert_eq!(entity.availability[0].payload_available, "Online");
    assert_eq!(
        entity.device.and_then(|d| d.key()).as_deref(),
        Some("mac:02:5b:26:a8:dc:12")
    );
}

#[test]
fn device_based_discovery_gives_one_entity_per_component() {
    let topic = "homeassistant/device/heatpump/config";
    let parsed = parse_config_topic(DEFAULT_PREFIX, topic).expect("topic");
    let payload = r#"{"dev":{"ids":"hp1","name":"Heat pump"},"o":{"name":"fw"},
        "avty_t":"heatpump/status","~":"heatpump",
        "cmps":{"temp":{"p":"sensor","stat_t":"~/temp","uniq_id":"hp1_temp"},
                "power":{"p":"switch","cmd_t":"~/power/set","stat_t":"~/power","uniq_id":"hp1_pw"}}}"#;
    let entities = parse_config(topic, &parsed, payload.as_bytes(), true).expect("parsed");
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = entities
        .iter()
        .map(|e| {
            (
                e.component.as_str(),
                e.state_topic.as_deref(),
                e.availability.first().map(|a| a.topic.as_str()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("switch", Some("heatpump/power"), Some("heatpump/status")),
            ("sensor", Some("heatpump/temp"), Some("heatpump/status")),
        ]
    );
    assert!(
        entities
            .iter()
            .all(|e| e.device.as_ref().and_then(DeviceInfo::key).as_deref() == Some("hp1"))
    );
}

#[test]
fn problems_are_named() {
    let topic = "homeassistant/sensor/broken/config";
    let parsed = parse_config_topic(DEFAULT_PREFIX, topic).expect("topic");
    assert!(matches!(
        parse_config(topic, &parsed, b"{\"stat_t\": ", true),
        Err(ConfigProblem::InvalidJson(_))
    ));
    assert!(matches!(
        parse_config(topic, &parsed, b"[1, 2]", true),
        Err(ConfigProblem::InvalidJson(reason)) if reason == "not a JSON object"
    ));
    let entities = parse_config(topic, &parsed, br#"{"name":"x"}"#, false).expect("parsed");
    assert_eq!(
        entities[0].problems,
        [
            ConfigProblem::MissingKeys(vec!["state_topic".to_owned()]),
            ConfigProblem::NotRetained
        ]
    );
    assert_eq!(
        ConfigProblem::NotRetained.to_string(),
        "the config is not retained: the entity disappears when Home Assistant restarts"
    );
}

#[test]
fn the_registry_follows_configs_and_flags_duplicates() {
    let mut discovery = Discovery::new("homeassistant/");
    let config = |id: &str| {
        format!(r#"{{"stat_t":"s/{id}","uniq_id":"same","dev":{{"ids":["d1"],"name":"Hall"}}}}"#)
    };
    discovery.observe(
        "homeassistant/sensor/a/config",
        config("a").as_bytes(),
        true,
        UNIX_EPOCH,
    );
    discovery.observe(
        "homeassistant/sensor/b/config",
        config("b").as_bytes(),
        true,
        UNIX_EPOCH,
    );
    discovery.observe(
        "homeassistant/sensor/c/config",
        b"not json",
        true,
        UNIX_EPOCH,
    );
    discovery.observe("home/kitchen/temp", b"21", false, UNIX_EPOCH);
    let entities = discovery.entities();
    assert_eq!(entities.len(), 2);
    assert!(entities[0].problems.is_empty());
    assert_eq!(
        entities[1].problems,
        [ConfigProblem::DuplicateUniqueId(
            "homeassistant/sensor/a/config".to_owned()
        )]
    );
    assert_eq!(discovery.broken().len(), 1);
    let devices = discovery.devices();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices["d1"].1.len(), 2);
    // An empty retained payload removes a config, as it removes the entity in Home Assistant.
    discovery.observe("homeassistant/sensor/b/config", b"", true, UNIX_EPOCH);
    assert_eq!(discovery.entities().len(), 1);
}

#[test]
fn availability_by_mode() {
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    let mut entity = one(
        "homeassistant/sensor/x/config",
        r#"{"stat_t":"x","avty":[{"t":"a"},{"t":"b"}]}"#,
    );
    let said = |a: &'static str, b: &'static str| {
        move |topic: &str| match topic {
            "a" if !a.is_empty() => Some((a.as_bytes().to_vec(), at(10))),
            "b" if !b.is_empty() => Some((b.as_bytes().to_vec(), at(20))),
            _ => None,
        }
    };
    // Latest: b spoke last.
    assert_eq!(
        availability_of(&entity, said("online", "offline")),
        Availability::Unavailable(Some(at(20)))
    );
    assert_eq!(
        availability_of(&entity, said("offline", "online")),
        Availability::Available
    );
    entity.availability_mode = AvailabilityMode::Any;
    assert_eq!(
        availability_of(&entity, said("online", "offline")),
        Availability::Available
    );
    entity.availability_mode = AvailabilityMode::All;
    assert_eq!(
        availability_of(&entity, said("online", "offline")),
        Availability::Unavailable(Some(at(20)))
    );
    assert_eq!(
        availability_of(&entity, said("online", "")),
        Availability::Unavailable(None),
        "b silent"
    );
    assert_eq!(
        availability_of(&entity, said("", "")),
        Availability::Unknown
    );
    entity.availability.clear();
    assert_eq!(
        availability_of(&entity, said("", "")),
        Availability::NotReported
    );
}

#[test]
fn simple_value_templates_are_applied() {
    let payload = br#"{"temperature":21.5,"nested":{"state":"ON"},"list":[1,2,3]}"#;
    let cases: [(&str, Option<&str>); 8] = [
        ("{{ value_json.temperature }}", Some("21.5")),
        ("{{value_json.nested.state}}", Some("ON")),
        ("{{ value_json.list[1] }}", Some("2")),
        ("{{ value_json.missing }}", None),
        ("{{ value_json.temperature | round(0) }}", None),
        (
            "{{ value }}",
            Some(r#"{"temperature":21.5,"nested":{"state":"ON"},"list":[1,2,3]}"#),
        ),
        ("value_json.temperature", None),
        ("{{ value_jsonx }}", None),
    ];
    for (template, expected) in cases {
        assert_eq!(
            apply_value_template(template, payload).as_deref(),
            expected,
            "{template}"
        );
    }
    assert_eq!(
        apply_value_template("{{ value_json.a }}", b"not json"),
        None
    );
}

#[test]
fn ghosts_and_long_offline_entities_are_told_apart() {
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    let entity = one(
        "homeassistant/sensor/cellar/config",
        r#"{"stat_t":"cellar/temp","avty_t":"cellar/status"}"#,
    );
    let silent = |_: &str| None;
    // Silent topics, but the broker was live for less than GHOST_AFTER after the config: wait.
    assert_eq!(
        staleness(&entity, at(100), Some(at(130)), at(130), silent),
        None
    );
    // Live for a minute after it: a ghost.
    assert_eq!(
        staleness(&entity, at(100), Some(at(160)), at(160), silent),
        Some(Staleness::Ghost)
    );
    // No other message since: the broker (or the connection) is quiet, not the device.
    assert_eq!(
        staleness(&entity, at(100), Some(at(90)), at(1000), silent),
        None
    );
    // Its availability says offline: for two hours, flagged; for a minute, not.
    let offline = |since: u64| {
        move |topic: &str| (topic == "cellar/status").then(|| (b"offline".to_vec(), at(since)))
    };
    assert_eq!(
        staleness(&entity, at(100), Some(at(8000)), at(7300), offline(100)),
        Some(Staleness::OfflineFor(Duration::from_secs(7200)))
    );
    assert_eq!(
        staleness(&entity, at(100), Some(at(200)), at(200), offline(140)),
        None
    );
    assert!(Staleness::Ghost.to_string().contains("ghost config"));
}

#[test]
fn availability_templates_pick_the_word_out_of_json() {
    let entity = one(
        "homeassistant/light/0x01/light/config",
        r#"{"~":"z2m/lamp","cmd_t":"~/set","avty_t":"~/availability","avty_tpl":"{{ value_json.state }}"}"#,
    );
    let at = UNIX_EPOCH + Duration::from_secs(5);
    let said = |word: &'static str| {
        move |topic: &str| {
            (topic == "z2m/lamp/availability")
                .then(|| (format!(r#"{{"state":"{word}"}}"#).into_bytes(), at))
        }
    };
    assert_eq!(
        availability_of(&entity, said("online")),
        Availability::Available
    );
    assert_eq!(
        availability_of(&entity, said("offline")),
        Availability::Unavailable(Some(at))
    );
}
