//! The Home view: Home Assistant discovery as devices and entities (state and its age,
//! availability from the availability topics, command topic), the configs with problems, and
//! clearing flagged configs (after a confirmation, through the retained-clear engine).

use super::format;
use crate::model::TopicTree;
use crate::model::ha_discovery::{Availability, Discovery, Entity, availability_of, staleness};
use crate::model::zigbee2mqtt::{DEFAULT_BASE, Zigbee2Mqtt};
use rustc_hash::FxHashSet;
use std::time::SystemTime;

/// The view's state for one connection.
#[derive(Default)]
pub struct HomeView {
    /// Config topics ticked for clearing.
    pub selected: FxHashSet<String>,
    /// Clearing also clears the retained state topics of those configs' entities.
    pub with_states: bool,
    /// What is typed in each entity's command field, by config topic and component key.
    pub command_values: rustc_hash::FxHashMap<String, String>,
    /// Topics that look like device states with no config pointing at them, and when that
    /// list was made (it is remade every few seconds while shown).
    undiscovered: Option<(std::time::Instant, Vec<String>)>,
}

/// How often the undiscovered topics are looked for while the view is shown.
const UNDISCOVERED_REFRESH: std::time::Duration = std::time::Duration::from_secs(3);

/// Topics named `state` (the convention of most devices) that carry messages while no
/// discovery config uses them as a state topic: devices Home Assistant does not know.
fn undiscovered(tree: &TopicTree, entities: &[Entity]) -> Vec<String> {
    let known: FxHashSet<&str> = entities
        .iter()
        .filter_map(|e| e.state_topic.as_deref())
        .collect();
    let mut topics: Vec<String> = (0..tree.node_count())
        .filter_map(crate::model::NodeId::from_index)
        .filter(|&id| tree.segment(id) == "state")
        .filter(|&id| tree.node(id).is_some_and(crate::model::Node::is_topic))
        .map(|id| tree.topic_name(id))
        // Bridges (zigbee2mqtt's bridge/state) are not devices.
        .filter(|topic| {
            !known.contains(topic.as_str())
                && !topic.starts_with("$SYS/")
                && !topic.contains("/bridge/")
        })
        .collect();
    topics.sort();
    topics
}

/// The undiscovered topics, as links.
fn undiscovered_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    tree: &TopicTree,
    entities: &[Entity],
) -> Option<HomeAction> {
    let stale = view
        .undiscovered
        .as_ref()
        .is_none_or(|(at, _)| at.elapsed() >= UNDISCOVERED_REFRESH);
    if stale {
        view.undiscovered = Some((std::time::Instant::now(), undiscovered(tree, entities)));
        ui.ctx().request_repaint_after(UNDISCOVERED_REFRESH);
    }
    let topics = view
        .undiscovered
        .as_ref()
        .map(|(_, t)| t.as_slice())
        .unwrap_or_default();
    if topics.is_empty() {
        return None;
    }
    let mut action = None;
    egui::CollapsingHeader::new(format!("Undiscovered ({})", topics.len()))
        .id_salt("home_undiscovered")
        .default_open(false)
        .show(ui, |ui| {
            ui.weak("Topics named state that carry messages while no discovery config points at them: devices Home Assistant does not know.");
            for topic in topics {
                if ui.link(topic).clicked() {
                    action = Some(HomeAction::Reveal(topic.clone()));
                }
            }
        });
    action
}

/// What the view asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum HomeAction {
    /// Show this topic in the explorer.
    Reveal(String),
    /// Confirm, then clear these config topics' retained messages.
    Clear(Vec<String>),
    /// Confirm, then publish `payload` to the entity's command topic.
    Command {
        /// The entity, for the confirmation.
        entity: String,
        /// The command topic.
        topic: String,
        /// What to send.
        payload: String,
    },
}

/// Draw the Home view of `discovery`, reading states and availability from `tree`.
pub fn home_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    home: (&Discovery, &Zigbee2Mqtt),
    tree: &TopicTree,
    now: SystemTime,
) -> Option<HomeAction> {
    let (discovery, zigbee) = home;
    let entities = discovery.entities();
    let devices = discovery.devices();
    if discovery.config_count() == 0 && !zigbee.seen() {
        ui.weak(
            "No Home Assistant discovery configs seen (topics homeassistant/<component>/…/config), \
             and no zigbee2mqtt bridge.",
        );
        return None;
    }
    let mut action = None;
    ui.label(format!(
        "{}, {}",
        format::count(devices.len() as u64, "device", "devices"),
        format::count(entities.len() as u64, "entity", "entities")
    ));
    egui::ScrollArea::vertical()
        .id_salt("home_view")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if let Some(asked) = problems_ui(ui, view, discovery, &entities, tree, now) {
                action = Some(asked);
            }
            if let Some(asked) = clear_ui(ui, view, &entities, tree) {
                action = Some(asked);
            }
            if let Some(asked) = undiscovered_ui(ui, view, tree, &entities) {
                action = Some(asked);
            }
            if zigbee.seen()
                && let Some(asked) = zigbee_ui(ui, zigbee, &devices, now)
            {
                action = Some(asked);
            }
            for (key, (device, members)) in &devices {
                if let Some(asked) = device_ui(ui, view, key, device, members, tree, now) {
                    action = Some(asked);
                }
            }
            let loose: Vec<&Entity> = entities.iter().filter(|e| e.device.is_none()).collect();
            if !loose.is_empty() {
                egui::CollapsingHeader::new("Entities without a device")
                    .default_open(true)
                    .show(ui, |ui| {
                        for entity in loose {
                            if let Some(asked) = entity_ui(ui, view, entity, tree, now) {
                                action = Some(asked);
                            }
                        }
                    });
            }
        });
    action
}

/// A device (its name, maker and model, what it connects through) with its entities.
fn device_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    key: &str,
    device: &crate::model::ha_discovery::DeviceInfo,
    members: &[Entity],
    tree: &TopicTree,
    now: SystemTime,
) -> Option<HomeAction> {
    let mut title = device.name.clone().unwrap_or_else(|| key.to_owned());
    let made: Vec<&str> = [device.manufacturer.as_deref(), device.model.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !made.is_empty() {
        title.push_str(&format!(" ({})", made.join(" ")));
    }
    let mut action = None;
    egui::CollapsingHeader::new(title)
        .id_salt(("home_device", key))
        .default_open(true)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                if let Some(via) = &device.via_device {
                    ui.weak(format!("via {via}"));
                }
                if ui
                    .small_button("Select its configs")
                    .on_hover_text("Tick this device's discovery configs for clearing")
                    .clicked()
                {
                    view.selected
                        .extend(members.iter().map(|e| e.config_topic.clone()));
                }
            });
            for entity in members {
                if let Some(asked) = entity_ui(ui, view, entity, tree, now) {
                    action = Some(asked);
                }
            }
        });
    action
}

/// One entity: component, name, state and its age, availability, command topic.
fn entity_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    entity: &Entity,
    tree: &TopicTree,
    now: SystemTime,
) -> Option<HomeAction> {
    let last = |topic: &str| {
        let node = tree.node(tree.find(topic)?)?;
        let message = node.last_message()?;
        Some((message.payload.to_vec(), message.received_at))
    };
    let mut action = None;
    ui.horizontal(|ui| {
        ui.monospace(&entity.component);
        let name = entity
            .name
            .clone()
            .or_else(|| entity.unique_id.clone())
            .unwrap_or_else(|| entity.config_topic.clone());
        let reveal = entity
            .state_topic
            .clone()
            .unwrap_or(entity.config_topic.clone());
        if ui
            .link(name)
            .on_hover_text(format!("Show {reveal} in the explorer"))
            .clicked()
        {
            action = Some(HomeAction::Reveal(reveal));
        }
        match entity.state_topic.as_deref().and_then(last) {
            Some((payload, at)) => {
                let shown = entity
                    .value_template
                    .as_deref()
                    .and_then(|t| crate::model::ha_discovery::apply_value_template(t, &payload))
                    .unwrap_or_else(|| crate::payload::preview(&payload, 40));
                ui.monospace(shown);
                ui.weak(format::age(at, now));
            }
            None if entity.state_topic.is_some() => {
                ui.weak("no state seen");
            }
            None => {}
        }
        let (text, color) = match availability_of(entity, last) {
            Availability::NotReported => (String::new(), ui.visuals().weak_text_color()),
            Availability::Available => (
                "available".to_owned(),
                super::colors::adapt(egui::Color32::from_rgb(80, 200, 120), ui.visuals()),
            ),
            Availability::Unavailable(since) => (
                match since {
                    Some(at) => format!("unavailable ({})", format::age(at, now)),
                    None => "unavailable".to_owned(),
                },
                super::colors::adapt(egui::Color32::from_rgb(230, 90, 80), ui.visuals()),
            ),
            Availability::Unknown => (
                "availability unknown".to_owned(),
                ui.visuals().weak_text_color(),
            ),
        };
        if !text.is_empty() {
            ui.colored_label(color, text);
        }
        if let Some(command) = &entity.command_topic
            && let Some(asked) = command_ui(ui, view, entity, command)
        {
            action = Some(asked);
        }
    });
    action
}

/// A quick command: On and Off for switches and lights, Press for buttons, a value otherwise.
fn command_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    entity: &Entity,
    topic: &str,
) -> Option<HomeAction> {
    let name = entity.name.clone().unwrap_or_else(|| topic.to_owned());
    let command = |payload: String| HomeAction::Command {
        entity: name.clone(),
        topic: topic.to_owned(),
        payload,
    };
    let mut action = None;
    match entity.component.as_str() {
        "switch" | "light" | "fan" | "siren" => {
            let on = entity.payload_on.clone().unwrap_or_else(|| "ON".to_owned());
            let off = entity
                .payload_off
                .clone()
                .unwrap_or_else(|| "OFF".to_owned());
            if ui
                .small_button("On")
                .on_hover_text(format!("Send {on} to {topic}"))
                .clicked()
            {
                action = Some(command(on));
            }
            if ui
                .small_button("Off")
                .on_hover_text(format!("Send {off} to {topic}"))
                .clicked()
            {
                action = Some(command(off));
            }
        }
        "button" => {
            if ui
                .small_button("Press")
                .on_hover_text(format!("Send PRESS to {topic}"))
                .clicked()
            {
                action = Some(command("PRESS".to_owned()));
            }
        }
        _ => {
            let key = format!(
                "{}#{}",
                entity.config_topic,
                entity.component_key.as_deref().unwrap_or("")
            );
            let value = view.command_values.entry(key).or_default();
            ui.add(
                egui::TextEdit::singleline(value)
                    .hint_text("value")
                    .desired_width(80.0),
            );
            if ui
                .add_enabled(!value.is_empty(), egui::Button::new("Send").small())
                .on_hover_text(format!("Send this to {topic}"))
                .clicked()
            {
                action = Some(command(value.clone()));
            }
        }
    }
    ui.weak(topic);
    action
}

/// What the tree last carried on `topic`.
fn last_in(tree: &TopicTree, topic: &str) -> Option<(Vec<u8>, SystemTime)> {
    let message = tree.node(tree.find(topic)?)?.last_message()?;
    Some((message.payload.to_vec(), message.received_at))
}

/// Every flagged config: its topic and what is wrong (broken configs, entities' problems,
/// ghosts and long-offline entities).
fn flagged(
    discovery: &Discovery,
    entities: &[Entity],
    tree: &TopicTree,
    now: SystemTime,
) -> Vec<(String, String)> {
    let mut flagged: Vec<(String, String)> = discovery
        .broken()
        .into_iter()
        .map(|(topic, problem)| (topic.to_owned(), problem.to_string()))
        .collect();
    let range = tree.log_range();
    let newest = range
        .end
        .checked_sub(1)
        .and_then(|seq| tree.logged(seq))
        .map(|(_, m)| m.received_at);
    for entity in entities {
        for problem in &entity.problems {
            flagged.push((entity.config_topic.clone(), problem.to_string()));
        }
        let seen_at = discovery.seen_at(&entity.config_topic).unwrap_or(now);
        let last = |topic: &str| last_in(tree, topic);
        if let Some(stale) = staleness(entity, seen_at, newest, now, last) {
            flagged.push((entity.config_topic.clone(), stale.to_string()));
        }
    }
    flagged
}

/// The topics a clear of the selected configs covers: the configs, and with `with_states`
/// their entities' state topics that hold a retained message.
fn clear_topics(view: &HomeView, entities: &[Entity], tree: &TopicTree) -> Vec<String> {
    let mut topics: Vec<String> = view.selected.iter().cloned().collect();
    if view.with_states {
        for entity in entities
            .iter()
            .filter(|e| view.selected.contains(&e.config_topic))
        {
            if let Some(state) = &entity.state_topic
                && tree
                    .find(state)
                    .and_then(|id| tree.node(id))
                    .is_some_and(|n| n.retained)
            {
                topics.push(state.clone());
            }
        }
    }
    topics.sort();
    topics.dedup();
    topics
}

/// The configs with problems, ticked for clearing.
fn problems_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    discovery: &Discovery,
    entities: &[Entity],
    tree: &TopicTree,
    now: SystemTime,
) -> Option<HomeAction> {
    let flagged = flagged(discovery, entities, tree, now);
    if flagged.is_empty() {
        return None;
    }
    let mut action = None;
    egui::CollapsingHeader::new(format!("Problems ({})", flagged.len()))
        .default_open(true)
        .show(ui, |ui| {
            for (topic, problem) in &flagged {
                ui.horizontal(|ui| {
                    let mut ticked = view.selected.contains(topic);
                    if ui.checkbox(&mut ticked, "").changed() {
                        if ticked {
                            view.selected.insert(topic.clone());
                        } else {
                            view.selected.remove(topic);
                        }
                    }
                    if ui.link(topic).clicked() {
                        action = Some(HomeAction::Reveal(topic.clone()));
                    }
                    ui.label(problem);
                });
            }
            if ui.button("Select all flagged").clicked() {
                view.selected.extend(flagged.iter().map(|(t, _)| t.clone()));
            }
        });
    action
}

/// Clearing the ticked configs (flagged ones, or a device's).
fn clear_ui(
    ui: &mut egui::Ui,
    view: &mut HomeView,
    entities: &[Entity],
    tree: &TopicTree,
) -> Option<HomeAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let count = view.selected.len();
        ui.label(format!("{count} configs selected"));
        ui.checkbox(&mut view.with_states, "and their retained states");
        if ui
            .add_enabled(
                count > 0,
                egui::Button::new(format!("Clear {count} configs…")),
            )
            .on_hover_text("Publish an empty retained message to each (after a confirmation)")
            .clicked()
        {
            let topics = clear_topics(view, entities, tree);
            view.selected.clear();
            action = Some(HomeAction::Clear(topics));
        }
        if count > 0 && ui.small_button("Select none").clicked() {
            view.selected.clear();
        }
    });
    ui.separator();
    action
}

/// The zigbee2mqtt bridge and its devices: model, power source, last seen, link quality,
/// availability, and whether Home Assistant discovery knows them.
fn zigbee_ui(
    ui: &mut egui::Ui,
    zigbee: &Zigbee2Mqtt,
    discovered: &std::collections::BTreeMap<
        String,
        (crate::model::ha_discovery::DeviceInfo, Vec<Entity>),
    >,
    now: SystemTime,
) -> Option<HomeAction> {
    let mut title = format!(
        "zigbee2mqtt: bridge {}",
        zigbee.bridge_state.as_deref().unwrap_or("state unknown")
    );
    if let Some(version) = &zigbee.version {
        title.push_str(&format!(", version {version}"));
    }
    if let Some(coordinator) = &zigbee.coordinator {
        title.push_str(&format!(" ({coordinator})"));
    }
    let known = |ieee: &str| {
        !ieee.is_empty()
            && discovered
                .values()
                .any(|(device, _)| device.identifiers.iter().any(|id| id.contains(ieee)))
    };
    let mut action = None;
    egui::CollapsingHeader::new(title)
        .id_salt("zigbee2mqtt")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("zigbee_devices")
                .striped(true)
                .show(ui, |ui| {
                    for heading in [
                        "Device",
                        "Model",
                        "Power",
                        "Last seen",
                        "Link",
                        "Availability",
                        "",
                    ] {
                        ui.strong(heading);
                    }
                    ui.end_row();
                    for device in zigbee.devices().filter(|d| d.kind != "Coordinator") {
                        if zigbee_row_ui(ui, device, known(&device.ieee_address), now) {
                            action = Some(HomeAction::Reveal(format!(
                                "{DEFAULT_BASE}/{}",
                                device.friendly_name
                            )));
                        }
                        ui.end_row();
                    }
                });
        });
    ui.separator();
    action
}

/// One zigbee device as a grid row; true when its name is clicked.
fn zigbee_row_ui(
    ui: &mut egui::Ui,
    device: &crate::model::zigbee2mqtt::ZigbeeDevice,
    in_home_assistant: bool,
    now: SystemTime,
) -> bool {
    let clicked = ui.link(&device.friendly_name).clicked();
    let model: Vec<&str> = [device.vendor.as_deref(), device.model.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    ui.label(model.join(" "));
    ui.label(device.power_source.as_deref().unwrap_or(""));
    ui.label(match (&device.last_seen, device.state_at) {
        (Some(seen), _) => seen.clone(),
        (None, Some(at)) => format::age(at, now),
        (None, None) => "not seen".to_owned(),
    });
    ui.label(
        device
            .link_quality
            .map_or_else(String::new, |q| q.to_string()),
    );
    ui.label(device.availability.as_deref().unwrap_or(""));
    ui.weak(if in_home_assistant {
        "in Home Assistant"
    } else {
        ""
    });
    clicked
}
