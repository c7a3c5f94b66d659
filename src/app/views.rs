//! The whole-window views besides the explorer (Log, Retained, Monitor), and the pieces of the
//! explorer's tree panel that act on a session (the payload search, the export's source).

use super::export_ui::{ExportSource, TopicSelection};
use super::monitor_ui::MonitorAction;
use super::session::Session;
use super::sparkplug_ui::SparkplugAction;
use super::{CanopyApp, View, log_ui, monitor_ui, repaint, topic_tree_ui};
use crate::mqtt::sparkplug as sp;
use crate::net::ClearRequest;
use std::time::{Instant, SystemTime};

impl CanopyApp {
    pub(super) fn log_view(&mut self, ui: &mut egui::Ui, now: SystemTime) {
        let action = egui::CentralPanel::default()
            .show(ui, |ui| match self.active_session_mut() {
                Some(session) => log_ui::log_ui(ui, &mut session.log_view, &session.model, now),
                None => {
                    ui.weak("Connect to a broker to see its messages as they arrive.");
                    None
                }
            })
            .inner;
        if let Some(log_ui::LogAction::Show(id, seq)) = action
            && let Some(session) = self.active_session_mut()
        {
            session.tree_view.reveal(&session.model.tree, id);
            session.message_view.pin(id, seq);
            self.view = View::Explorer;
        }
    }

    pub(super) fn retained_view(&mut self, ui: &mut egui::Ui, now: SystemTime) {
        let action = egui::CentralPanel::default()
            .show(ui, |ui| match self.active_session_mut() {
                Some(session) => super::retained_ui::retained_ui(
                    ui,
                    &mut session.retained_view,
                    &session.model.tree,
                    now,
                ),
                None => {
                    ui.weak("Connect to a broker to review its retained messages.");
                    None
                }
            })
            .inner;
        match action {
            Some(super::retained_ui::RetainedAction::Clear(topics)) => {
                self.confirm_clear = Some(ClearRequest {
                    scope: "selected in the retained list".to_owned(),
                    topics,
                });
            }
            Some(super::retained_ui::RetainedAction::Reveal(id)) => {
                if let Some(session) = self.active_session_mut() {
                    session.tree_view.reveal(&session.model.tree, id);
                    self.view = View::Explorer;
                }
            }
            None => {}
        }
        self.confirm_clear_ui(ui);
    }

    pub(super) fn home_view(&mut self, ui: &mut egui::Ui, now: SystemTime) {
        let action = egui::CentralPanel::default()
            .show(ui, |ui| match self.active_session_mut() {
                Some(session) => super::home_ui::home_ui(
                    ui,
                    &mut session.home_view,
                    (&session.model.home, &session.model.zigbee),
                    &session.model.tree,
                    now,
                ),
                None => {
                    ui.weak("Connect to a broker to see its Home Assistant devices.");
                    None
                }
            })
            .inner;
        match action {
            Some(super::home_ui::HomeAction::Clear(topics)) => {
                self.confirm_clear = Some(ClearRequest {
                    scope: "flagged in the Home view".to_owned(),
                    topics,
                });
            }
            Some(super::home_ui::HomeAction::Reveal(topic)) if self.select_topic(&topic) => {
                self.view = View::Explorer;
            }
            Some(super::home_ui::HomeAction::Command {
                entity,
                topic,
                payload,
            }) => self.confirm_command = Some((entity, topic, payload)),
            Some(super::home_ui::HomeAction::Reveal(_)) | None => {}
        }
        self.confirm_clear_ui(ui);
        self.confirm_command_ui(ui);
    }

    /// Ask before a quick command from the Home view goes out; it goes through the publish
    /// panel's path (its outcome shows there and in the tab's notices).
    fn confirm_command_ui(&mut self, ui: &egui::Ui) {
        let Some((entity, topic, payload)) = &self.confirm_command else {
            return;
        };
        let decision =
            super::cells::confirm_modal(ui, "confirm_command", "Send a command", "Send", |ui| {
                ui.label(format!("Publish \"{payload}\" to {topic} ({entity})?"));
            });
        match decision {
            Some(true) => {
                if let Some((entity, topic, payload)) = self.confirm_command.take() {
                    let sent = self.publish(crate::net::OutgoingMessage {
                        qos: crate::mqtt::Qos::AtLeastOnce,
                        ..crate::net::OutgoingMessage::new(topic.clone(), payload.clone())
                    });
                    if let Some(session) = self.active_session_mut() {
                        session.notice(if sent {
                            format!("Sent \"{payload}\" to {topic} ({entity}).")
                        } else {
                            format!("Not connected: \"{payload}\" was not sent to {topic}.")
                        });
                    }
                }
            }
            Some(false) => self.confirm_command = None,
            None => {}
        }
    }

    pub(super) fn sparkplug_view(&mut self, ui: &mut egui::Ui, now: SystemTime) {
        let action = match self.active_session_mut() {
            Some(session) => super::sparkplug_ui::sparkplug_ui(
                ui,
                &mut session.sparkplug_view,
                &session.model.sparkplug,
                now,
            ),
            None => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.weak("Connect to a broker to see its Sparkplug B edge nodes.");
                });
                None
            }
        };
        match action {
            Some(SparkplugAction::Rebirth { group, node }) => {
                self.confirm_rebirth = Some((group, node));
            }
            Some(SparkplugAction::Plot { topic, name }) => {
                let path = crate::payload::Path(
                    ["metrics", name.as_str(), "value"]
                        .into_iter()
                        .map(|key| crate::payload::PathSegment::Key(key.to_owned()))
                        .collect(),
                );
                self.plot(&topic, path, crate::payload::PayloadView::Sparkplug);
                // The chart is drawn under the explorer: show it there, beside the topic.
                if self.select_topic(&topic) {
                    self.view = View::Explorer;
                }
            }
            Some(SparkplugAction::Show { topic, seq }) => {
                if let Some(session) = self.active_session_mut()
                    && let Some(id) = session.model.tree.find(&topic)
                {
                    session.tree_view.reveal(&session.model.tree, id);
                    session.message_view.pin(id, seq);
                    self.view = View::Explorer;
                }
            }
            None => {}
        }
        self.confirm_rebirth_ui(ui);
    }

    /// Ask before a Rebirth goes out: it makes the edge node publish all its births again.
    fn confirm_rebirth_ui(&mut self, ui: &egui::Ui) {
        let Some((group, node)) = &self.confirm_rebirth else {
            return;
        };
        let topic = sp::topic(group, sp::MessageType::NCmd, node, None);
        let decision = super::cells::confirm_modal(
            ui,
            "confirm_rebirth",
            "Request a rebirth",
            "Send Rebirth",
            |ui| {
                ui.label(format!(
                    "Ask edge node {node} (group {group}) to publish its births again?"
                ));
                ui.weak(format!("Publishes NCMD {} = true to {topic}.", sp::REBIRTH));
            },
        );
        match decision {
            Some(true) => {
                if let Some((group, node)) = self.confirm_rebirth.take() {
                    let millis = now_millis();
                    let payload = sp::Payload::rebirth_command(millis).to_bytes();
                    // Sparkplug sends commands at QoS 0, not retained.
                    let sent = self.publish(crate::net::OutgoingMessage::new(topic, payload));
                    if let Some(session) = self.active_session_mut() {
                        session.notice(if sent {
                            format!("Sent Rebirth to {group}/{node}.")
                        } else {
                            format!("Not connected: the Rebirth for {group}/{node} was not sent.")
                        });
                    }
                }
            }
            Some(false) => self.confirm_rebirth = None,
            None => {}
        }
    }

    pub(super) fn monitor_view(&mut self, ui: &mut egui::Ui) {
        let monitor_action = egui::CentralPanel::default()
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| match self.active_session_mut() {
                        Some(session) => monitor_ui::monitor_ui(
                            ui,
                            &mut session.monitor_view,
                            &session.model,
                            &session.probe,
                            session.tree_view.selected,
                            Instant::now(),
                        ),
                        None => {
                            ui.weak("Connect to a broker to monitor it.");
                            None
                        }
                    })
                    .inner
            })
            .inner;
        match monitor_action {
            Some(MonitorAction::Reveal(node)) => {
                if let Some(session) = self.active_session_mut() {
                    session.tree_view.reveal(&session.model.tree, node);
                }
                self.view = View::Explorer;
            }
            Some(MonitorAction::SetProbe(enabled)) => self.set_probe(enabled),
            None => {}
        }
        // Rates and rankings move with time, not only with data.
        ui.ctx()
            .request_repaint_after(repaint::TIMER_REPAINT_INTERVAL);
    }
}

/// What an export of `session` reads: a recording's file (every message of `topics` in it), or
/// the messages a connection keeps.
pub(super) fn export_source(
    session: &Session,
    topics: TopicSelection,
    kept: impl FnOnce() -> Vec<crate::model::Incoming>,
) -> ExportSource {
    match &session.playback {
        Some(playback) => ExportSource::File {
            path: playback.path().to_owned(),
            topics,
            total: playback.total(),
            start: playback
                .opened
                .as_ref()
                .and_then(|o| o.time_range)
                .map(|(start, _)| start),
        },
        None => ExportSource::Kept(kept()),
    }
}

/// The payload search field, and its hits while a search is shown, under the tree's filter.
pub(super) struct PayloadSearchPanel<'a> {
    pub(super) query: &'a mut String,
    pub(super) search: &'a mut Option<crate::model::PayloadSearch>,
    pub(super) message_view: &'a mut super::message_ui::MessageView,
    pub(super) model: &'a crate::model::Model,
}

impl PayloadSearchPanel<'_> {
    /// Draw, and carry out what the field and the hits ask.
    pub(super) fn ui(self, ui: &mut egui::Ui, view: &mut topic_tree_ui::TopicTreeView) {
        use super::payload_search_ui::{self as search_ui, SearchAction};
        let mut action = ui
            .horizontal(|ui| search_ui::search_field_ui(ui, self.query))
            .inner;
        if let Some(search) = self.search.as_mut() {
            search_ui::step(search, self.model, ui.ctx());
            if let Some(asked) = search_ui::hits_ui(ui, search, &self.model.tree) {
                action = Some(asked);
            }
        }
        match action {
            Some(SearchAction::Search(text)) => {
                *self.search = crate::model::PayloadSearch::new(&text);
            }
            Some(SearchAction::Close) => *self.search = None,
            Some(SearchAction::Show(id, seq)) => {
                view.reveal(&self.model.tree, id);
                self.message_view.pin(id, seq);
            }
            None => {}
        }
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
