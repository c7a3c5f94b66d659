//! The message panel: the selected topic's message, its payload, and its history.

use super::format;
use crate::model::{Message, NodeId, TopicTree};
use crate::payload::{self, PayloadView, Rendered};
use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};
use std::time::SystemTime;

/// Characters of a payload drawn before the user asks for the rest.
const INLINE_CHARS: usize = 64 * 1024;

/// Characters of a payload shown in a history row.
const HISTORY_PREVIEW_CHARS: usize = 120;

/// What the message panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageAction {
    /// Delete this topic's retained message (publish an empty retained message).
    DeleteRetained(String),
}

/// What the message panel remembers between frames.
#[derive(Default)]
pub struct MessageView {
    /// How payloads are shown.
    pub payload_view: PayloadView,
    /// A history entry the user picked, as (topic node, sequence number); `None` follows the newest.
    pinned: Option<(NodeId, u64)>,
    /// The user asked to see a long payload in full.
    show_all: bool,
    /// The last rendering, keyed by what it was made from: decoding is done once, not per frame.
    rendered: Option<(u64, PayloadView, Rendered)>,
}

impl MessageView {
    /// Forget the picked message and cached rendering (a new connection starts a new tree).
    pub fn reset(&mut self) {
        let payload_view = self.payload_view;
        *self = Self {
            payload_view,
            ..Self::default()
        };
    }

    fn rendered(&mut self, message: &Message) -> &Rendered {
        let view = self.payload_view;
        let fresh = matches!(&self.rendered, Some((seq, cached, _)) if *seq == message.seq && *cached == view);
        if !fresh {
            self.rendered = None;
        }
        &self
            .rendered
            .get_or_insert_with(|| (message.seq, view, payload::render(&message.payload, view)))
            .2
    }
}

/// Draw the panel for the selected node.
pub fn message_ui(
    ui: &mut egui::Ui,
    view: &mut MessageView,
    tree: &TopicTree,
    selected: Option<NodeId>,
    now: SystemTime,
) -> Option<MessageAction> {
    let Some((id, node)) = selected.and_then(|id| tree.node(id).map(|node| (id, node))) else {
        ui.weak("Select a topic in the tree to see its messages.");
        return None;
    };
    let topic = tree.topic_name(id);
    let mut action = None;
    ui.horizontal(|ui| {
        ui.add(egui::Label::new(RichText::new(&topic).monospace().strong().size(15.0)).truncate());
        if ui.small_button("Copy topic").clicked() {
            ui.ctx().copy_text(topic.clone());
        }
        if node.retained && ui.small_button("Delete retained message").clicked() {
            action = Some(MessageAction::DeleteRetained(topic.clone()));
        }
    });

    let Some(newest) = node.last_message() else {
        ui.label(format!(
            "No messages on this level itself: {} and {} below it.",
            format::count(u64::from(node.subtree_topic_count), "topic", "topics"),
            format::count(node.subtree_message_count, "message", "messages")
        ));
        return action;
    };

    if view.pinned.is_some_and(|(pinned_id, _)| pinned_id != id) {
        view.pinned = None;
        view.show_all = false;
    }
    let pinned = view.pinned.and_then(|(_, seq)| node.message_by_seq(seq));
    if view.pinned.is_some() && pinned.is_none() {
        // The picked message left the bounded history; follow the newest again.
        view.pinned = None;
    }
    let message = pinned.unwrap_or(newest);

    ui.separator();
    message_details_ui(ui, message, node.message_count, now);
    if pinned.is_some() && message.seq != newest.seq {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("Showing an older message.").color(Color32::from_rgb(230, 160, 60)),
            );
            if ui.small_button("Show latest").clicked() {
                view.pinned = None;
            }
        });
    }

    let payload_label = ui
        .horizontal(|ui| {
            let label = ui.strong("Payload");
            for option in PayloadView::ALL {
                ui.selectable_value(&mut view.payload_view, option, option.label());
            }
            ui.separator();
            if ui.small_button("Copy payload").clicked() {
                ui.ctx().copy_text(payload::text(&message.payload));
            }
            label.id
        })
        .inner;

    let show_all = view.show_all;
    let rendered = view.rendered(message);
    if let Some(note) = &rendered.note {
        ui.label(RichText::new(note).color(Color32::from_rgb(230, 160, 60)));
    }
    let body = rendered.body.as_str();
    let cut =
        (!show_all && body.len() > INLINE_CHARS).then(|| floor_char_boundary(body, INLINE_CHARS));
    let mut clicked_show_all = false;
    if let Some(cut) = cut {
        ui.horizontal(|ui| {
            ui.label(format!(
                "Showing the first {} of {} ({} payload).",
                format::bytes(cut as u64),
                format::bytes(body.len() as u64),
                format::bytes(message.payload.len() as u64)
            ));
            clicked_show_all = ui.small_button("Show all").clicked();
        });
    }
    let payload_height = (ui.available_height() * 0.5).max(80.0);
    egui::ScrollArea::both()
        .id_salt("payload_scroll")
        .max_height(payload_height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            // A read-only text field: selectable and copyable, with a role and name of its own.
            let mut shown = cut.map_or(body, |cut| &body[..cut]);
            ui.add(
                egui::TextEdit::multiline(&mut shown)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(f32::INFINITY)
                    .desired_rows(1),
            )
            .labelled_by(payload_label);
        });
    if clicked_show_all {
        view.show_all = true;
    }

    ui.separator();
    ui.label(
        RichText::new(format!(
            "History: {} of {} kept, newest first",
            node.history().len(),
            tree.history_limit()
        ))
        .strong(),
    );
    if let Some(seq) = history_table_ui(ui, node.history(), message.seq) {
        view.pinned = (seq != newest.seq).then_some((id, seq));
        view.show_all = false;
    }
    action
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
                            RichText::new(payload::preview(
                                &message.payload,
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

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}
