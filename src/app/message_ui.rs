//! The message panel: the selected topic's message, its payload, and its history.

use super::format;
use super::payload_ui;
use crate::model::{Message, Node, NodeId};
use crate::payload::{self, Body, Hint, Path, PayloadDiff, PayloadView, Rendered};
use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};
use std::collections::HashMap;
use std::time::SystemTime;

/// Characters of a payload shown in a history row.
const HISTORY_PREVIEW_CHARS: usize = 120;

/// What the message panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub enum MessageAction {
    /// Delete this topic's retained message (publish an empty retained message).
    DeleteRetained(String),
    /// Plot a field of this topic's payloads (the root for a plain number).
    Plot {
        topic: String,
        path: Path,
        /// How its payloads are decoded.
        view: PayloadView,
    },
}

/// A payload's rendering and what is derived from it, made once per message and view.
struct CachedRender {
    seq: u64,
    /// The view asked for (the rendering says which view was used).
    view: PayloadView,
    rendered: Rendered,
    /// The payload is a plain number that can be plotted.
    plain_number: bool,
}

/// What the message panel remembers between frames.
#[derive(Default)]
pub struct MessageView {
    /// Views the user chose per topic; topics not listed use `Auto`.
    overrides: HashMap<String, PayloadView>,
    /// A history entry the user picked, as (topic node, sequence number); `None` follows the newest.
    pinned: Option<(NodeId, u64)>,
    /// The user asked to see a long payload in full.
    show_all: bool,
    /// The last rendering, keyed by what it was made from: decoding is done once, not per frame.
    rendered: Option<CachedRender>,
    /// The last diff, keyed by (previous seq, shown seq, view).
    diff: Option<(u64, u64, PayloadView, PayloadDiff)>,
    /// The uploaded image of the shown message.
    texture: Option<(u64, egui::TextureHandle)>,
    /// The value picked in a tree view, and the topic it belongs to.
    selected_path: Option<(NodeId, Path)>,
}

impl MessageView {
    /// Show message `seq` of topic `id` (kept pinned while it is in history).
    pub fn pin(&mut self, id: NodeId, seq: u64) {
        self.pinned = Some((id, seq));
    }

    /// Forget the picked message and cached rendering (a new connection starts a new tree).
    pub fn reset(&mut self) {
        let overrides = std::mem::take(&mut self.overrides);
        *self = Self {
            overrides,
            ..Self::default()
        };
    }

    /// The view used for `topic`: the user's choice, or `Auto`.
    pub fn view_for(&self, topic: &str) -> PayloadView {
        self.overrides.get(topic).copied().unwrap_or_default()
    }

    fn set_view(&mut self, topic: &str, view: PayloadView) {
        if view == PayloadView::Auto {
            self.overrides.remove(topic);
        } else {
            self.overrides.insert(topic.to_owned(), view);
        }
    }

    /// The rendering of `message` in `view`, taken out of the cache (made if it is not there);
    /// the caller puts it back with [`MessageView::keep`] once the frame is drawn.
    fn take_rendered(
        &mut self,
        message: &Message,
        view: PayloadView,
        hint: &Hint<'_>,
    ) -> CachedRender {
        match self.rendered.take() {
            Some(cached) if cached.seq == message.seq && cached.view == view => cached,
            _ => {
                let rendered = payload::render(&message.payload, view, hint);
                let plain_number = !rendered.view.is_structured()
                    && payload::sample(&message.payload, rendered.view, &Path::default(), hint)
                        .is_some();
                CachedRender {
                    seq: message.seq,
                    view,
                    rendered,
                    plain_number,
                }
            }
        }
    }

    fn keep(&mut self, cached: CachedRender) {
        self.rendered = Some(cached);
    }

    fn diff(
        &mut self,
        previous: &Message,
        message: &Message,
        view: PayloadView,
        hints: [&Hint<'_>; 2],
    ) -> &PayloadDiff {
        let fresh = matches!(&self.diff, Some((old, new, cached, _))
            if *old == previous.seq && *new == message.seq && *cached == view);
        if !fresh {
            self.diff = None;
        }
        &self
            .diff
            .get_or_insert_with(|| {
                (
                    previous.seq,
                    message.seq,
                    view,
                    payload::diff(
                        (&previous.payload, hints[0]),
                        (&message.payload, hints[1]),
                        view,
                    ),
                )
            })
            .3
    }
}

/// Draw the panel for the selected node.
pub fn message_ui(
    ui: &mut egui::Ui,
    view: &mut MessageView,
    model: &crate::model::Model,
    selected: Option<NodeId>,
    now: SystemTime,
) -> Option<MessageAction> {
    let tree = &model.tree;
    let Some((id, node)) = selected.and_then(|id| tree.node(id).map(|node| (id, node))) else {
        ui.weak("Select a topic in the tree to see its messages.");
        return None;
    };
    let topic = tree.topic_name(id);
    let mut action = ui.horizontal(|ui| header_ui(ui, node, &topic)).inner;

    let Some(newest) = node.last_message() else {
        ui.label(format!(
            "No messages on this level itself: {} and {} below it.",
            format::count(u64::from(node.subtree_topic_count), "topic", "topics"),
            format::count(node.subtree_message_count, "message", "messages")
        ));
        return action;
    };
    let (message, pinned) = shown_message(view, id, node, newest);

    ui.separator();
    message_details_ui(ui, message, node.message_count, now);
    if pinned && message.seq != newest.seq {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("Showing an older message.").color(super::colors::adapt(
                    Color32::from_rgb(230, 160, 60),
                    ui.visuals(),
                )),
            );
            if ui.small_button("Show latest").clicked() {
                view.pinned = None;
            }
        });
    }
    let content_type = message
        .properties
        .as_ref()
        .and_then(|p| p.content_type.as_deref());
    let hint = Hint {
        topic: &topic,
        content_type,
        aliases: model.sparkplug.aliases_at(&topic, message.seq),
        message_type: model.protobuf.message_for(&topic),
    };
    let (chosen, payload_label) = view_picker_ui(ui, view, &topic);
    let selected_path = view.selected_path.as_ref().map(|(_, path)| path.clone());
    let cached = view.take_rendered(message, chosen, &hint);
    let rendered = &cached.rendered;
    action = ui
        .horizontal_wrapped(|ui| payload_toolbar_ui(ui, &cached, chosen, message, &hint))
        .inner
        .or(action);
    if let (Body::Tree(document), Some(path)) = (&rendered.body, &selected_path)
        && payload_ui::selection_ui(ui, document, path)
    {
        action = Some(MessageAction::Plot {
            topic: topic.clone(),
            path: path.clone(),
            view: rendered.view,
        });
    }

    let body = PayloadBody {
        rendered,
        message,
        payload_label,
        topic: &topic,
    };
    body_ui(ui, view, id, selected_path, &body);
    changes_ui(ui, view, (node, &topic, model), message, rendered.view);
    history_ui(ui, view, (model, &topic), id, message.seq);
    view.keep(cached);
    action
}

/// What the payload body shows, and for which message.
struct PayloadBody<'a> {
    rendered: &'a Rendered,
    message: &'a Message,
    payload_label: egui::Id,
    topic: &'a str,
}

/// The payload, scrollable; a value picked in its tree is kept as the selection for this topic.
fn body_ui(
    ui: &mut egui::Ui,
    view: &mut MessageView,
    id: NodeId,
    selected_path: Option<Path>,
    body: &PayloadBody<'_>,
) {
    let payload_height = (ui.available_height() * 0.45).max(80.0);
    let show_all = view.show_all;
    let mut tree_selection = selected_path;
    let body_response = egui::ScrollArea::both()
        .id_salt("payload_scroll")
        .max_height(payload_height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            payload_ui::body_ui(
                ui,
                body.rendered,
                body.message.payload.len(),
                show_all,
                body.payload_label,
                &mut view.texture,
                body.message.seq,
                &mut tree_selection,
                body.topic,
            )
        })
        .inner;
    if body_response.show_all {
        view.show_all = true;
    }
    view.selected_path = tree_selection.map(|path| (id, path));
}

/// The topic, and what can be done with it.
fn header_ui(ui: &mut egui::Ui, node: &Node, topic: &str) -> Option<MessageAction> {
    ui.add(egui::Label::new(RichText::new(topic).monospace().strong().size(15.0)).truncate());
    if ui.small_button("Copy topic").clicked() {
        ui.ctx().copy_text(topic.to_owned());
    }
    (node.retained && ui.small_button("Delete retained message").clicked())
        .then(|| MessageAction::DeleteRetained(topic.to_owned()))
}

/// The message to show (the pinned one while it is kept, else the newest), and whether it was
/// pinned. Forgets a pin or a payload selection made on another topic.
fn shown_message<'a>(
    view: &mut MessageView,
    id: NodeId,
    node: &'a Node,
    newest: &'a Message,
) -> (&'a Message, bool) {
    if view.pinned.is_some_and(|(pinned_id, _)| pinned_id != id) {
        view.pinned = None;
        view.show_all = false;
    }
    if view
        .selected_path
        .as_ref()
        .is_some_and(|(node_id, _)| *node_id != id)
    {
        view.selected_path = None;
    }
    let pinned = view.pinned.and_then(|(_, seq)| node.message_by_seq(seq));
    if view.pinned.is_some() && pinned.is_none() {
        // The picked message left the bounded history; follow the newest again.
        view.pinned = None;
    }
    (pinned.unwrap_or(newest), pinned.is_some())
}

/// The payload view buttons; returns the view chosen and the "Payload" label's id.
fn view_picker_ui(
    ui: &mut egui::Ui,
    view: &mut MessageView,
    topic: &str,
) -> (PayloadView, egui::Id) {
    let requested = view.view_for(topic);
    let mut chosen = requested;
    let payload_label = ui
        .horizontal_wrapped(|ui| {
            let label = ui.strong("Payload");
            for option in PayloadView::ALL {
                ui.selectable_value(&mut chosen, option, option.label());
            }
            label.id
        })
        .inner;
    if chosen != requested {
        view.set_view(topic, chosen);
    }
    (chosen, payload_label)
}

/// What the payload is shown as, why, and Copy / Plot.
fn payload_toolbar_ui(
    ui: &mut egui::Ui,
    cached: &CachedRender,
    chosen: PayloadView,
    message: &Message,
    hint: &Hint<'_>,
) -> Option<MessageAction> {
    let rendered = &cached.rendered;
    match (rendered.view, hint.message_type) {
        (PayloadView::Protobuf, Some(message)) => {
            ui.weak(format!(
                "Shown as {} (protobuf, bound)",
                message.full_name()
            ));
        }
        _ if chosen == PayloadView::Auto => {
            ui.weak(format!("Shown as {}", rendered.view.label()));
        }
        _ => {}
    }
    if let Some(note) = &rendered.note {
        ui.label(RichText::new(note).color(super::colors::adapt(
            Color32::from_rgb(230, 160, 60),
            ui.visuals(),
        )));
    }
    if ui.small_button("Copy payload").clicked() {
        ui.ctx().copy_text(match (rendered.view, &rendered.body) {
            (PayloadView::Text | PayloadView::Json, _) => payload::text(&message.payload),
            (_, Body::Image(_)) => payload::render(&message.payload, PayloadView::Base64, hint)
                .body
                .to_text(),
            (_, body) => body.to_text(),
        });
    }
    (cached.plain_number && ui.button("Plot value").clicked()).then(|| MessageAction::Plot {
        topic: hint.topic.to_owned(),
        path: Path::default(),
        view: rendered.view,
    })
}

/// The diff against the message before the one shown.
fn changes_ui(
    ui: &mut egui::Ui,
    view: &mut MessageView,
    (node, topic, model): (&Node, &str, &crate::model::Model),
    message: &Message,
    shown_as: PayloadView,
) {
    let history = node.history();
    let hint = |seq| Hint {
        topic,
        content_type: None,
        aliases: model.sparkplug.aliases_at(topic, seq),
        message_type: model.protobuf.message_for(topic),
    };
    let previous = history
        .iter()
        .position(|m| m.seq == message.seq)
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| history.get(i));
    egui::CollapsingHeader::new("Changes from the previous message")
        .default_open(true)
        .show(ui, |ui| match previous {
            Some(previous) => {
                let (old, new) = (hint(previous.seq), hint(message.seq));
                let diff = view.diff(previous, message, shown_as, [&old, &new]);
                egui::ScrollArea::vertical()
                    .id_salt("diff_scroll")
                    .max_height((ui.available_height() * 0.4).max(60.0))
                    .auto_shrink([false, true])
                    .show(ui, |ui| payload_ui::diff_ui(ui, diff));
            }
            None => {
                ui.weak("No earlier message is kept for this topic: nothing to compare.");
            }
        });
}

/// The kept history; clicking a row pins that message.
fn history_ui(
    ui: &mut egui::Ui,
    view: &mut MessageView,
    (model, topic): (&crate::model::Model, &str),
    id: NodeId,
    shown: u64,
) {
    let tree = &model.tree;
    let Some(node) = tree.node(id) else {
        return;
    };
    ui.separator();
    ui.label(
        RichText::new(format!(
            "History: {} of {} kept, newest first",
            node.history().len(),
            tree.history_limit()
        ))
        .strong(),
    );
    if let Some(seq) = history_table_ui(ui, (model, topic), node.history(), shown) {
        let newest = node.last_message().map(|m| m.seq);
        view.pinned = (Some(seq) != newest).then_some((id, seq));
        view.show_all = false;
    }
}

fn message_details_ui(ui: &mut egui::Ui, message: &Message, message_count: u64, now: SystemTime) {
    egui::Grid::new("message_details")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            ui.weak("Received");
            ui.label(format!(
                "{} ({})",
                format::date_time(message.received_at),
                format::age(message.received_at, now)
            ));
            ui.end_row();
            ui.weak("QoS");
            ui.label(message.qos.level().to_string());
            ui.end_row();
            ui.weak("Retained");
            ui.label(if message.retain { "yes" } else { "no" });
            ui.end_row();
            ui.weak("Size");
            ui.label(format::bytes(message.payload.len() as u64));
            ui.end_row();
            ui.weak("Messages");
            ui.label(format::thousands(message_count));
            ui.end_row();
            if let Some(properties) = &message.properties {
                if let Some(content_type) = &properties.content_type {
                    ui.weak("Content type");
                    ui.label(content_type);
                    ui.end_row();
                }
                if let Some(indicator) = properties.payload_format_indicator {
                    ui.weak("Payload format");
                    ui.label(if indicator == 1 {
                        "UTF-8 text (1)"
                    } else {
                        "bytes (0)"
                    });
                    ui.end_row();
                }
                if let Some(topic) = &properties.response_topic {
                    ui.weak("Response topic");
                    ui.label(RichText::new(topic).monospace());
                    ui.end_row();
                }
                if let Some(data) = &properties.correlation_data {
                    ui.weak("Correlation data");
                    ui.label(RichText::new(payload::preview(data, 64)).monospace());
                    ui.end_row();
                }
                if let Some(expiry) = properties.message_expiry_interval_secs {
                    ui.weak("Expiry");
                    ui.label(format!("{expiry} s"));
                    ui.end_row();
                }
                for (key, value) in &properties.user_properties {
                    ui.weak("User property");
                    ui.label(RichText::new(format!("{key} = {value}")).monospace());
                    ui.end_row();
                }
            }
        });
}

/// Draw the history, newest first, only the visible rows. Returns the sequence number clicked.
fn history_table_ui(
    ui: &mut egui::Ui,
    (model, topic): (&crate::model::Model, &str),
    history: &std::collections::VecDeque<Message>,
    shown_seq: u64,
) -> Option<u64> {
    let mut clicked = None;
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    // Selectable text would swallow clicks meant for the row.
    ui.style_mut().interaction.selectable_labels = false;
    TableBuilder::new(ui)
        .id_salt("history_table")
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(30.0))
        .column(Column::auto().at_least(30.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::remainder().clip(true))
        .header(row_height, |mut header| {
            for title in ["Time", "QoS", "Ret", "Size", "Payload"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, history.len(), |mut row| {
                let Some(message) = history
                    .len()
                    .checked_sub(row.index() + 1)
                    .and_then(|i| history.get(i))
                else {
                    return;
                };
                row.set_selected(message.seq == shown_seq);
                row.col(|ui| {
                    ui.label(RichText::new(format::clock(message.received_at)).monospace());
                });
                row.col(|ui| {
                    ui.label(message.qos.level().to_string());
                });
                row.col(|ui| {
                    ui.label(if message.retain { "R" } else { "" });
                });
                row.col(|ui| {
                    ui.label(format::bytes(message.payload.len() as u64));
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(
                            RichText::new(super::payload_ui::row_preview(
                                model,
                                || topic.to_owned(),
                                message,
                                HISTORY_PREVIEW_CHARS,
                            ))
                            .monospace(),
                        )
                        .truncate(),
                    );
                });
                if row.response().clicked() {
                    clicked = Some(message.seq);
                }
            });
        });
    clicked
}
