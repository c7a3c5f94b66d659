//! The publish panel: compose a message, check it, send it, and send it again from history.

use super::FieldError;
use crate::model::{MessageProperties, NodeId, TopicTree};
use crate::mqtt::Qos;
use crate::net::OutgoingMessage;
use crate::payload::{self, PayloadFormat};
use crate::settings::{NamedMessage, StoredMessage};
use bytes::Bytes;
use egui::{Color32, RichText};
use std::collections::VecDeque;

/// Messages kept in the publish history.
pub const HISTORY_LIMIT: usize = 50;

/// Completions shown under the topic field.
const COMPLETIONS: usize = 8;

/// What the publish form holds, as typed.
#[derive(Clone, Debug, Default)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct PublishForm {
    pub topic: String,
    pub payload: String,
    /// How the payload is written.
    pub format: PayloadFormat,
    /// Encode the payload (JSON) as this protobuf message type.
    pub protobuf_type: Option<prost_reflect::MessageDescriptor>,
    /// The topic the protobuf type was last chosen for (a new topic picks its bound type).
    protobuf_topic: String,
    pub qos: Qos,
    pub retain: bool,
    /// MQTT 5 content type.
    pub content_type: String,
    /// MQTT 5 response topic.
    pub response_topic: String,
    /// MQTT 5 correlation data, as text.
    pub correlation_data: String,
    /// MQTT 5 message expiry in seconds; empty for none.
    pub message_expiry: String,
    /// MQTT 5 payload format indicator: UTF-8.
    pub utf8: bool,
    /// MQTT 5 user properties, one `KEY=VALUE` per line.
    pub user_properties: String,
    /// Why the last attempt was not sent, or how the last publish ended.
    pub outcome: Option<Result<String, String>>,
    /// The ticket of the publish in flight.
    pub pending: Option<(u64, String)>,
    /// Sent messages, newest first.
    pub history: VecDeque<OutgoingMessage>,
    /// Messages saved under a name.
    pub saved: Vec<NamedMessage>,
    /// Name typed for saving the current message.
    pub save_name: String,
    /// A file whose bytes are the payload (instead of the typed text): name and contents.
    pub file: Option<(String, Bytes)>,
    /// History or saved messages changed and should be written to the settings file.
    pub dirty: bool,
    last_selected: Option<NodeId>,
    /// Where the completions row was drawn, so it stays while the pointer is on it.
    completions_rect: Option<egui::Rect>,
}

impl PublishForm {
    /// The message to send, or which field is wrong and why.
    pub fn to_message(&self) -> Result<OutgoingMessage, FieldError> {
        let topic = self.topic.trim();
        crate::mqtt::TopicName::new(topic).map_err(|e| FieldError::new("Topic", e))?;
        let bytes = match &self.file {
            Some((_, contents)) => contents.to_vec(),
            None => match &self.protobuf_type {
                Some(message) => payload::protobuf::encode_json(&self.payload, message),
                None => payload::encode(&self.payload, self.format),
            }
            .map_err(|e| FieldError::new("Payload", e))?,
        };
        let mut user_properties = Vec::new();
        for line in self
            .user_properties
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let (key, value) = line.split_once('=').ok_or_else(|| {
                FieldError::new("User properties", format!("{line:?} is not KEY=VALUE"))
            })?;
            user_properties.push((key.trim().to_owned(), value.trim().to_owned()));
        }
        let expiry = if self.message_expiry.trim().is_empty() {
            None
        } else {
            Some(self.message_expiry.trim().parse::<u32>().map_err(|_| {
                FieldError::new(
                    "Expiry",
                    format!(
                        "'{}' is not a number of seconds",
                        self.message_expiry.trim()
                    ),
                )
            })?)
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let properties = MessageProperties {
            payload_format_indicator: self.utf8.then_some(1),
            message_expiry_interval_secs: expiry,
            content_type: text(&self.content_type),
            response_topic: text(&self.response_topic),
            correlation_data: text(&self.correlation_data).map(Into::into),
            user_properties,
            subscription_identifiers: Vec::new(),
        };
        Ok(OutgoingMessage {
            topic: topic.to_owned(),
            payload: bytes.into(),
            qos: self.qos,
            retain: self.retain,
            properties: (!properties.is_empty()).then_some(properties),
        })
    }

    /// Remember a sent message (newest first, at most [`HISTORY_LIMIT`]).
    pub fn remember(&mut self, message: OutgoingMessage) {
        self.history.retain(|m| m != &message);
        self.history.push_front(message);
        self.history.truncate(HISTORY_LIMIT);
        self.dirty = true;
    }

    /// Put a stored message into the form, its payload as text when it is UTF-8, else as hex.
    pub fn load(&mut self, message: &OutgoingMessage) {
        self.topic.clone_from(&message.topic);
        self.qos = message.qos;
        self.retain = message.retain;
        self.file = None;
        match std::str::from_utf8(&message.payload) {
            Ok(text) => {
                self.payload = text.to_owned();
                self.format = if payload::detect(&message.payload) == payload::PayloadKind::Json {
                    PayloadFormat::Json
                } else {
                    PayloadFormat::Text
                };
            }
            Err(_) => {
                self.payload = message
                    .payload
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                self.format = PayloadFormat::Hex;
            }
        }
        let p = message.properties.clone().unwrap_or_default();
        self.content_type = p.content_type.unwrap_or_default();
        self.response_topic = p.response_topic.unwrap_or_default();
        self.correlation_data = p
            .correlation_data
            .map(|d| String::from_utf8_lossy(&d).into_owned())
            .unwrap_or_default();
        self.message_expiry = p
            .message_expiry_interval_secs
            .map(|s| s.to_string())
            .unwrap_or_default();
        self.utf8 = p.payload_format_indicator == Some(1);
        self.user_properties = p
            .user_properties
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n");
    }
}

/// The stored form of a message.
pub fn to_stored(message: &OutgoingMessage) -> StoredMessage {
    let p = message.properties.clone().unwrap_or_default();
    StoredMessage {
        topic: message.topic.clone(),
        payload: message.payload.to_vec(),
        qos: message.qos.level(),
        retain: message.retain,
        content_type: p.content_type,
        response_topic: p.response_topic,
        correlation_data: p.correlation_data.map(|d| d.to_vec()),
        user_properties: p.user_properties,
        message_expiry_secs: p.message_expiry_interval_secs,
        payload_format_indicator: p.payload_format_indicator,
    }
}

/// A message from its stored form.
pub fn from_stored(stored: &StoredMessage) -> OutgoingMessage {
    let properties = MessageProperties {
        payload_format_indicator: stored.payload_format_indicator,
        message_expiry_interval_secs: stored.message_expiry_secs,
        content_type: stored.content_type.clone(),
        response_topic: stored.response_topic.clone(),
        correlation_data: stored.correlation_data.clone().map(Into::into),
        user_properties: stored.user_properties.clone(),
        subscription_identifiers: Vec::new(),
    };
    OutgoingMessage {
        topic: stored.topic.clone(),
        payload: Bytes::from(stored.payload.clone()),
        qos: Qos::from_level(stored.qos).unwrap_or_default(),
        retain: stored.retain,
        properties: (!properties.is_empty()).then_some(properties),
    }
}

/// What the publish panel asks of the app besides sending.
#[derive(Debug, Default)]
pub struct PublishRequests {
    /// A message to publish.
    pub send: Option<OutgoingMessage>,
    /// The user wants to pick a file for the payload.
    pub pick_file: bool,
}

impl PublishForm {}

/// Topics in the tree that complete what is typed: the children of the typed parent level
/// whose names start with the last, partial level.
pub fn completions(tree: &TopicTree, typed: &str, limit: usize) -> Vec<String> {
    let (parent, partial) = typed.rsplit_once('/').map_or(("", typed), |(p, s)| (p, s));
    let parent_id = if typed.contains('/') {
        tree.find(parent)
    } else {
        Some(NodeId::ROOT)
    };
    let Some(node) = parent_id.and_then(|id| tree.node(id)) else {
        return Vec::new();
    };
    node.children()
        .iter()
        .filter(|&&child| tree.segment(child).starts_with(partial))
        .map(|&child| tree.topic_name(child))
        .filter(|name| name != typed)
        .take(limit)
        .collect()
}

/// Draw the panel. Returns a message to publish when the user asked to and it is valid.
pub fn publish_ui(
    ui: &mut egui::Ui,
    form: &mut PublishForm,
    session: Option<&super::session::Session>,
    selected: Option<NodeId>,
    mqtt5: bool,
) -> PublishRequests {
    let tree = session.map(|s| &s.model.tree);
    // Pre-fill the selected topic when the selection changes.
    if selected != form.last_selected {
        form.last_selected = selected;
        if let (Some(tree), Some(id)) = (tree, selected) {
            form.topic = tree.topic_name(id);
        }
    }
    let top = ui.horizontal(|ui| top_row_ui(ui, form)).inner;
    completions_ui(ui, form, tree, top.topic_focused);
    if let Some(session) = session
        && let Some(schemas) = &session.schemas.compiled
    {
        ui.horizontal(|ui| protobuf_row_ui(ui, form, schemas, &session.model.protobuf));
    }
    let pick_file = ui.horizontal(|ui| file_and_save_row_ui(ui, form)).inner;
    let payload_focused = payload_ui(ui, form);
    // Ctrl+Enter anywhere in the panel's fields publishes.
    let send = top.send
        || ((payload_focused || top.topic_focused)
            && ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::Enter)));
    properties_ui(ui, form, mqtt5);

    let mut to_send = top.resend;
    if send {
        match form.to_message() {
            Ok(mut message) => {
                if !mqtt5 {
                    message.properties = None;
                }
                form.outcome = None;
                to_send = Some(message);
            }
            Err(error) => form.outcome = Some(Err(error.to_string())),
        }
    }
    outcome_ui(ui, form);
    PublishRequests {
        pick_file,
        send: to_send,
    }
}

/// The protobuf type the JSON payload is encoded as: the topic's bound type when the topic
/// changes, or the user's choice.
fn protobuf_row_ui(
    ui: &mut egui::Ui,
    form: &mut PublishForm,
    schemas: &payload::protobuf::Schemas,
    bindings: &crate::model::protobuf_bindings::ProtobufBindings,
) {
    if form.protobuf_topic != form.topic {
        form.protobuf_topic.clone_from(&form.topic);
        form.protobuf_type = bindings.message_for(form.topic.trim()).cloned();
    }
    let label = ui.label("As protobuf");
    let shown = form
        .protobuf_type
        .as_ref()
        .map_or("no (send as the format says)", |m| m.full_name())
        .to_owned();
    egui::ComboBox::from_id_salt("publish_protobuf_type")
        .selected_text(shown)
        .width(240.0)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(form.protobuf_type.is_none(), "no")
                .clicked()
            {
                form.protobuf_type = None;
            }
            for name in schemas.message_names() {
                let chosen = form
                    .protobuf_type
                    .as_ref()
                    .is_some_and(|m| m.full_name() == name);
                if ui.selectable_label(chosen, &name).clicked() {
                    form.protobuf_type = schemas.message(&name);
                }
            }
        })
        .response
        .labelled_by(label.id);
    if form.protobuf_type.is_some() {
        ui.weak("write the message as JSON; it is encoded on Publish");
    }
}

/// What the top row asked for.
struct TopRow {
    send: bool,
    topic_focused: bool,
    resend: Option<OutgoingMessage>,
}

/// Topic, QoS, retain, format, Publish, and the saved and history menus.
fn top_row_ui(ui: &mut egui::Ui, form: &mut PublishForm) -> TopRow {
    ui.strong("Publish");
    let label = ui.label("Topic");
    let topic = ui
        .add(
            egui::TextEdit::singleline(&mut form.topic)
                .desired_width(280.0)
                .hint_text("home/kitchen/lamp/set"),
        )
        .labelled_by(label.id);
    // Enter ends editing a single-line field, so count the frame it lost focus too.
    let topic_focused = topic.has_focus() || topic.lost_focus();
    let label = ui.label("QoS");
    egui::ComboBox::from_id_salt("publish_qos")
        .selected_text(form.qos.level().to_string())
        .width(40.0)
        .show_ui(ui, |ui| {
            for qos in [Qos::AtMostOnce, Qos::AtLeastOnce, Qos::ExactlyOnce] {
                ui.selectable_value(&mut form.qos, qos, qos.level().to_string());
            }
        })
        .response
        .labelled_by(label.id);
    ui.checkbox(&mut form.retain, "Retain");
    let label = ui.label("Format");
    egui::ComboBox::from_id_salt("publish_format")
        .selected_text(form.format.label())
        .width(70.0)
        .show_ui(ui, |ui| {
            for format in PayloadFormat::ALL {
                ui.selectable_value(&mut form.format, format, format.label());
            }
        })
        .response
        .labelled_by(label.id);
    if form.format == PayloadFormat::Json {
        for (name, pretty) in [("Pretty", true), ("Compact", false)] {
            if ui.small_button(name).clicked() {
                match payload::reformat_json(&form.payload, pretty) {
                    Ok(text) => form.payload = text,
                    Err(error) => form.outcome = Some(Err(format!("Payload: {error}"))),
                }
            }
        }
    }
    let send = ui.button("Publish").on_hover_text("Ctrl+Enter").clicked();
    saved_menu_ui(ui, form);
    let resend = history_menu_ui(ui, form);
    TopRow {
        send,
        topic_focused,
        resend,
    }
}

/// The saved messages: load one into the form, or delete it.
fn saved_menu_ui(ui: &mut egui::Ui, form: &mut PublishForm) {
    if form.saved.is_empty() {
        return;
    }
    ui.menu_button(format!("Saved ({})", form.saved.len()), |ui| {
        let mut load = None;
        let mut delete = None;
        for (index, named) in form.saved.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui.button(format!("Load: {}", named.name)).clicked() {
                    load = Some(from_stored(&named.message));
                    ui.close();
                }
                if ui.small_button(format!("Delete {}", named.name)).clicked() {
                    delete = Some(index);
                }
            });
        }
        if let Some(message) = load {
            form.load(&message);
        }
        if let Some(index) = delete {
            form.saved.remove(index);
            form.dirty = true;
        }
    });
}

/// Recently sent messages; returns the one to send again.
fn history_menu_ui(ui: &mut egui::Ui, form: &PublishForm) -> Option<OutgoingMessage> {
    let mut resend = None;
    if form.history.is_empty() {
        return resend;
    }
    ui.menu_button(format!("History ({})", form.history.len()), |ui| {
        for message in &form.history {
            let entry = format!(
                "Send again: {} · QoS {}{} · {}",
                message.topic,
                message.qos.level(),
                if message.retain { " retained" } else { "" },
                payload::preview(&message.payload, 40)
            );
            if ui.button(entry).clicked() {
                resend = Some(message.clone());
                ui.close();
            }
        }
    });
    resend
}

/// Completions from the tree, while the topic field has focus or the pointer is on them.
fn completions_ui(
    ui: &mut egui::Ui,
    form: &mut PublishForm,
    tree: Option<&TopicTree>,
    topic_focused: bool,
) {
    let hovering = form
        .completions_rect
        .is_some_and(|rect| ui.input(|i| i.pointer.hover_pos().is_some_and(|p| rect.contains(p))));
    form.completions_rect = None;
    let Some(tree) = tree.filter(|_| topic_focused || hovering) else {
        return;
    };
    let options = completions(tree, form.topic.trim(), COMPLETIONS);
    if options.is_empty() {
        return;
    }
    let row = ui.horizontal_wrapped(|ui| {
        ui.weak("Topics:");
        for option in options {
            if ui.small_button(&option).clicked() {
                form.topic = option;
            }
        }
    });
    form.completions_rect = Some(row.response.rect);
}

/// Load a file as the payload, and save the form under a name. Returns whether a file was asked for.
fn file_and_save_row_ui(ui: &mut egui::Ui, form: &mut PublishForm) -> bool {
    let pick_file = ui.small_button("Load file…").clicked();
    if let Some((name, contents)) = &form.file {
        ui.label(format!(
            "Payload: the file {name} ({} bytes)",
            contents.len()
        ));
        if ui.small_button("Use typed text").clicked() {
            form.file = None;
        }
    }
    ui.separator();
    let label = ui.label("Save as");
    ui.add(
        egui::TextEdit::singleline(&mut form.save_name)
            .desired_width(120.0)
            .hint_text("name"),
    )
    .labelled_by(label.id);
    if ui.small_button("Save").clicked() {
        match (form.save_name.trim(), form.to_message()) {
            ("", _) => form.outcome = Some(Err("Save as: give the message a name".to_owned())),
            (_, Err(error)) => form.outcome = Some(Err(error.to_string())),
            (name, Ok(message)) => {
                let name = name.to_owned();
                form.saved.retain(|n| n.name != name);
                form.saved.push(NamedMessage {
                    name: name.clone(),
                    message: to_stored(&message),
                });
                form.saved.sort_by(|a, b| a.name.cmp(&b.name));
                form.dirty = true;
                form.outcome = Some(Ok(format!("Saved as {name:?}")));
            }
        }
    }
    pick_file
}

/// The payload editor, with a warning while JSON does not parse. Returns whether it has focus.
fn payload_ui(ui: &mut egui::Ui, form: &mut PublishForm) -> bool {
    let label = ui.label("Publish payload");
    let payload = ui
        .add(
            egui::TextEdit::multiline(&mut form.payload)
                .font(egui::TextStyle::Monospace)
                .desired_rows(3)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    if form.format == PayloadFormat::Json
        && !form.payload.trim().is_empty()
        && let Err(error) = payload::encode(&form.payload, PayloadFormat::Json)
    {
        ui.label(
            RichText::new(error.to_string())
                .small()
                .color(super::colors::adapt(
                    Color32::from_rgb(230, 160, 60),
                    ui.visuals(),
                )),
        );
    }
    payload.has_focus()
}

/// MQTT 5 message properties (disabled on 3.1.1 connections).
fn properties_ui(ui: &mut egui::Ui, form: &mut PublishForm, mqtt5: bool) {
    egui::CollapsingHeader::new(if mqtt5 {
        "MQTT 5 properties"
    } else {
        "MQTT 5 properties (not on MQTT 3.1.1)"
    })
    .id_salt("publish_properties")
    .show(ui, |ui| {
        ui.add_enabled_ui(mqtt5, |ui| {
            egui::Grid::new("publish_properties_grid")
                .num_columns(4)
                .show(ui, |ui| {
                    for (name, value) in [
                        ("Content type", &mut form.content_type),
                        ("Response topic", &mut form.response_topic),
                    ] {
                        let label = ui.label(name);
                        ui.add(egui::TextEdit::singleline(value).desired_width(180.0))
                            .labelled_by(label.id);
                    }
                    ui.end_row();
                    for (name, value) in [
                        ("Correlation data", &mut form.correlation_data),
                        ("Expiry (s)", &mut form.message_expiry),
                    ] {
                        let label = ui.label(name);
                        ui.add(egui::TextEdit::singleline(value).desired_width(180.0))
                            .labelled_by(label.id);
                    }
                    ui.end_row();
                });
            ui.checkbox(&mut form.utf8, "Payload is UTF-8 text (format indicator 1)");
            let label = ui.label("User properties (KEY=VALUE per line)");
            ui.add(
                egui::TextEdit::multiline(&mut form.user_properties)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
    });
}

/// The last outcome: published, saved, or what is wrong.
fn outcome_ui(ui: &mut egui::Ui, form: &PublishForm) {
    match &form.outcome {
        Some(Ok(text)) => {
            ui.label(RichText::new(text).color(super::colors::adapt(
                Color32::from_rgb(80, 200, 120),
                ui.visuals(),
            )));
        }
        Some(Err(text)) => {
            ui.label(RichText::new(text).color(super::colors::adapt(
                Color32::from_rgb(230, 90, 80),
                ui.visuals(),
            )));
        }
        None if form.pending.is_some() => {
            ui.weak("Publishing…");
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Incoming;

    #[test]
    fn bad_fields_are_named_and_good_ones_make_a_message() {
        let mut form = PublishForm {
            topic: "a/+".into(),
            payload: "x".into(),
            ..PublishForm::default()
        };
        assert!(form.to_message().err().is_some_and(|e| e.field == "Topic"));
        form.topic = "a/b".into();
        form.format = PayloadFormat::Hex;
        form.payload = "abc".into();
        assert!(
            form.to_message()
                .err()
                .is_some_and(|e| e.problem.contains("odd number of digits"))
        );
        form.payload = "0a0b".into();
        form.user_properties = "k=v\nbroken".into();
        assert!(
            form.to_message()
                .err()
                .is_some_and(|e| e.field == "User properties")
        );
        form.user_properties = "k = v\n\n".into();
        form.message_expiry = "soon".into();
        assert!(form.to_message().err().is_some_and(|e| e.field == "Expiry"));
        form.message_expiry = "30".into();
        let message = form.to_message().expect("valid");
        assert_eq!(&message.payload[..], &[0x0a, 0x0b]);
        let properties = message.properties.expect("properties");
        assert_eq!(properties.user_properties, vec![("k".into(), "v".into())]);
        assert_eq!(properties.message_expiry_interval_secs, Some(30));
    }

    #[test]
    fn history_keeps_the_newest_fifty_without_repeats() {
        let mut form = PublishForm::default();
        for i in 0..60 {
            form.remember(OutgoingMessage::new(format!("t/{i}"), "x"));
        }
        form.remember(OutgoingMessage::new("t/59", "x"));
        assert_eq!(form.history.len(), HISTORY_LIMIT);
        assert_eq!(form.history[0].topic, "t/59");
        assert_eq!(form.history[1].topic, "t/58");
    }

    #[test]
    fn completions_follow_the_tree() {
        let mut tree = TopicTree::default();
        tree.apply(vec![
            Incoming::new("home/kitchen/temp", "1"),
            Incoming::new("home/kitchen/lamp", "1"),
            Incoming::new("home/hall/door", "1"),
            Incoming::new("factory/x", "1"),
        ]);
        assert_eq!(completions(&tree, "ho", 8), vec!["home"]);
        assert_eq!(
            completions(&tree, "home/", 8),
            vec!["home/hall", "home/kitchen"]
        );
        assert_eq!(
            completions(&tree, "home/kitchen/l", 8),
            vec!["home/kitchen/lamp"]
        );
        assert!(completions(&tree, "nowhere/x", 8).is_empty());
    }
}
