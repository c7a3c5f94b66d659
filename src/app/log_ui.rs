//! The message log: every message in arrival order across topics (time, topic, QoS, retain,
//! size, a payload preview), filtered by topic (text, MQTT filter or regex, as in the tree) and
//! by payload text, paused and resumed. It reads the tree's arrival log and history: it keeps
//! only the sequence numbers of the rows it shows, never a payload. Only messages still kept in
//! history are listed (the latest [`crate::model::LOG_ENTRIES`] at most).

use super::cells::labelled_field;
use super::format;
use super::topic_search::TopicMatcher;
use crate::model::{NodeId, TopicTree};
use std::time::SystemTime;

/// Characters of payload shown in a row.
const PREVIEW_CHARS: usize = 120;

/// The log's state for one connection.
#[derive(Default)]
pub struct LogView {
    /// Topics shown: as the tree's filter (empty: all).
    pub topic_filter: String,
    /// Only payloads containing this (any case).
    pub text: String,
    /// Set while paused: the end of the log when the user paused.
    pub paused_at: Option<u64>,
    /// Sequence numbers of the matching messages, oldest first.
    rows: Vec<u64>,
    /// The next sequence number to look at.
    scanned_to: u64,
    /// The filters `rows` were made with.
    key: (String, String),
    /// Why the topic filter matches nothing.
    pub filter_error: Option<String>,
    /// The rows were rebuilt: start the scrolling afresh.
    rebuilt: bool,
}

/// What the log asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum LogAction {
    /// Show this message in the explorer.
    Show(NodeId, u64),
}

impl LogView {
    /// Forget the rows (the tree was replaced); the filters stay.
    pub fn forget_rows(&mut self) {
        self.rows.clear();
        self.scanned_to = 0;
        self.key = (String::new(), String::new());
        self.rebuilt = true;
    }

    /// Bring the rows up to date with the tree: drop what the log forgot, add what arrived
    /// (until the pause, when paused).
    fn refresh(&mut self, tree: &TopicTree) {
        let key = (self.topic_filter.clone(), self.text.clone());
        let range = tree.log_range();
        if key != self.key {
            self.key = key;
            self.rows.clear();
            self.scanned_to = range.start;
            self.rebuilt = true;
        }
        let matcher = match TopicMatcher::new(&self.topic_filter, false) {
            Ok(matcher) => {
                self.filter_error = None;
                matcher
            }
            Err(error) => {
                self.filter_error = Some(error);
                self.rows.clear();
                return;
            }
        };
        let text = self.text.trim();
        let pattern = (!text.is_empty())
            .then(|| {
                regex::bytes::RegexBuilder::new(&regex::escape(text))
                    .case_insensitive(true)
                    .build()
                    .ok()
            })
            .flatten();
        let forgotten = self.rows.partition_point(|&seq| seq < range.start);
        self.rows.drain(..forgotten);
        let end = self.paused_at.unwrap_or(range.end).min(range.end);
        for seq in self.scanned_to.max(range.start)..end {
            let Some((id, message)) = tree.logged(seq) else {
                continue;
            };
            let topic_ok = matcher.as_ref().is_none_or(|m| {
                let name = tree.topic_name(id);
                m.matches(&if m.lowercase() {
                    name.to_lowercase()
                } else {
                    name
                })
            });
            if topic_ok
                && pattern
                    .as_ref()
                    .is_none_or(|p| p.is_match(&message.payload))
            {
                self.rows.push(seq);
            }
        }
        self.scanned_to = self.scanned_to.max(end);
    }
}

/// Draw the log of `tree`.
pub fn log_ui(
    ui: &mut egui::Ui,
    view: &mut LogView,
    model: &crate::model::Model,
    _now: SystemTime,
) -> Option<LogAction> {
    let tree = &model.tree;
    view.refresh(tree);
    let mut action = None;
    controls_ui(ui, view, tree);
    if let Some(error) = &view.filter_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
        return None;
    }
    let row_height = ui.spacing().interact_size.y;
    let following = view.paused_at.is_none();
    let mut area = egui::ScrollArea::vertical()
        .id_salt("message_log")
        .auto_shrink([false, false])
        .stick_to_bottom(following);
    if std::mem::take(&mut view.rebuilt) {
        area = area.vertical_scroll_offset(0.0);
    }
    area.show_rows(ui, row_height, view.rows.len(), |ui, range| {
        for &seq in &view.rows[range] {
            if let Some((id, message)) = tree.logged(seq)
                && row_ui(ui, model, &tree.topic_name(id), message)
            {
                action = Some(LogAction::Show(id, seq));
            }
        }
    });
    action
}

fn controls_ui(ui: &mut egui::Ui, view: &mut LogView, tree: &TopicTree) {
    ui.horizontal(|ui| {
        labelled_field(
            ui,
            "Topics",
            &mut view.topic_filter,
            "all; or text, home/+/temp",
            200.0,
        );
        labelled_field(ui, "Payload contains", &mut view.text, "any text", 160.0);
        ui.separator();
        let end = tree.log_range().end;
        match view.paused_at {
            Some(paused_at) => {
                if ui.button("Resume").clicked() {
                    view.paused_at = None;
                }
                ui.label(format!(
                    "Paused: {} arrived since (kept in history)",
                    format::count(end.saturating_sub(paused_at), "message", "messages")
                ));
            }
            None => {
                if ui
                    .button("Pause")
                    .on_hover_text("Stop the list here; messages still arrive and are kept")
                    .clicked()
                {
                    view.paused_at = Some(end);
                }
            }
        }
        ui.separator();
        ui.label(format::count(view.rows.len() as u64, "message", "messages"));
    });
    ui.horizontal(|ui| {
        for (title, width) in [
            ("Time", 96.0),
            ("Topic", 280.0),
            ("QoS", 32.0),
            ("Ret", 32.0),
            ("Size", 64.0),
        ] {
            super::cells::cell(
                ui,
                width,
                egui::Label::new(egui::RichText::new(title).strong()),
            );
        }
        ui.label(egui::RichText::new("Payload").strong());
    });
    ui.separator();
}

/// One message as a row; true when clicked (on any of its cells).
fn row_ui(
    ui: &mut egui::Ui,
    model: &crate::model::Model,
    topic: &str,
    message: &crate::model::Message,
) -> bool {
    let preview =
        super::payload_ui::row_preview(model, || topic.to_owned(), message, PREVIEW_CHARS);
    ui.horizontal(|ui| {
        let cell = |text: String| {
            egui::Label::new(egui::RichText::new(text).monospace())
                .truncate()
                .sense(egui::Sense::click())
        };
        let cells = [
            (format::clock(message.received_at), 96.0),
            (topic.to_owned(), 280.0),
            (message.qos.level().to_string(), 32.0),
            ((if message.retain { "R" } else { "" }).to_owned(), 32.0),
            (format::bytes(message.payload.len() as u64), 64.0),
        ];
        let mut clicked = false;
        for (text, width) in cells {
            clicked |= super::cells::cell(ui, width, cell(text)).clicked();
        }
        clicked |= ui
            .add(cell(preview))
            .on_hover_text("Show this message in the explorer")
            .clicked();
        clicked
    })
    .inner
}
