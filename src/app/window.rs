//! Drawing the whole window: the top bar with views and connection tabs, the banner, the
//! status bar and the view shown; then carrying out what the panels asked for.

use super::charts::AddError;
use super::connection_ui::{self, ConnectAction};
use super::export_ui::{ExportDialog, TopicSelection};
use super::message_ui::{self, MessageAction};
use super::plot_ui::{self, ChartAction};
use super::profiles_ui;
use super::publish_ui::{self, PublishRequests};
use super::topic_tree_ui::{self, TreeAction};
use super::views::{PayloadSearchPanel, export_source};
use super::worker::Worker;
use super::{CanopyApp, View, broker_ui, format, repaint, status_bar_ui, timeline_ui};
use crate::model::NodeId;
use crate::net::ClearRequest;
use egui::{Color32, RichText};
use std::time::{Duration, Instant, SystemTime};

/// What the top bar's tab strip asks for.
enum TabAction {
    Switch(usize),
    Close(usize),
    New,
    /// Start or stop recording the shown connection.
    Record,
    /// Open a recording in a new tab.
    OpenRecording,
    /// Show the About box.
    About,
    /// Show the keyboard shortcuts.
    Shortcuts,
}

impl CanopyApp {
    /// Draw the whole window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let now = SystemTime::now();
        self.keep_appearance(ui.ctx());
        self.window_shortcuts(ui.ctx());
        self.run_probes(ui.ctx());
        let (action, tab_action) = egui::Panel::top("connect_bar")
            .show(ui, |ui| {
                // Wrapped, so a narrow window shows every button on a second line.
                let tab_action = ui.horizontal_wrapped(|ui| self.top_bar_ui(ui)).inner;
                let action = ui
                    .horizontal(|ui| {
                        connection_ui::connect_bar_ui(
                            ui,
                            &mut self.form,
                            self.sessions.get(self.active),
                        )
                    })
                    .inner;
                (action, tab_action)
            })
            .inner;
        match tab_action {
            Some(TabAction::Switch(index)) => self.switch_to(index),
            Some(TabAction::Close(index)) => self.close_tab(index),
            Some(TabAction::New) => self.profiles.open = true,
            Some(TabAction::Record) => self.toggle_recording(ui.ctx()),
            Some(TabAction::About) => self.about_open = true,
            Some(TabAction::Shortcuts) => self.shortcuts_open = true,
            Some(TabAction::OpenRecording) => {
                if let Some(path) = self.file_picker.pick_file("Open a recording (.mcap)") {
                    self.open_recording(&path, ui.ctx());
                }
            }
            None => {}
        }
        self.banner_panel(ui);
        if self.shortcuts_open {
            self.shortcuts_window(ui.ctx());
        }
        if self.about_open {
            let files = super::about_ui::AboutFiles {
                settings: self
                    .store
                    .as_ref()
                    .map(crate::settings::SettingsStore::path),
                profiles: self.profiles.store_path(),
            };
            super::about_ui::about_ui(ui.ctx(), &mut self.about_open, &files);
        }
        self.status_bar(ui);
        self.export_progress_panel(ui);
        self.profiles_window(ui);
        self.schemas_window_ui(ui.ctx());
        match self.view {
            View::Broker => self.broker_view(ui),
            View::Monitor => self.monitor_view(ui),
            View::Log => self.log_view(ui, now),
            View::Retained => self.retained_view(ui, now),
            View::Home => self.home_view(ui, now),
            View::Sparkplug => self.sparkplug_view(ui, now),
            View::Explorer => self.explorer_view(ui, now),
        }
        match action {
            Some(ConnectAction::Connect(options)) => self.connect(*options),
            Some(ConnectAction::Disconnect) => self.disconnect(),
            None => {}
        }
        if let Some(super::export_ui::ExportAction::Export(plan)) =
            super::export_ui::export_dialog_ui(ui.ctx(), &mut self.export_dialog)
        {
            self.start_export(plan, ui.ctx());
        }
        self.keep_layout(ui.ctx(), self.tree_panel_width);
        self.save_settings(ui.ctx());
        self.recordings_closed();
        self.exports_done();
        self.schedule_repaint(ui.ctx(), now);
    }

    /// The views, the panel toggles and the connection tabs.
    fn top_bar_ui(&mut self, ui: &mut egui::Ui) -> Option<TabAction> {
        ui.selectable_value(&mut self.view, View::Explorer, "Explorer");
        ui.selectable_value(&mut self.view, View::Log, "Log")
            .on_hover_text("Every message in arrival order, across topics");
        ui.selectable_value(&mut self.view, View::Retained, "Retained")
            .on_hover_text("Every retained message seen: review and clear them");
        ui.selectable_value(&mut self.view, View::Home, "Home")
            .on_hover_text("Home Assistant discovery: devices, entities and problems");
        ui.selectable_value(&mut self.view, View::Sparkplug, "Sparkplug")
            .on_hover_text(
                "Sparkplug B: edge nodes, devices, metrics by name, seq and birth problems",
            );
        ui.selectable_value(&mut self.view, View::Monitor, "Monitor");
        ui.selectable_value(&mut self.view, View::Broker, "Broker");
        ui.separator();
        if ui
            .button("Schemas…")
            .on_hover_text("Protobuf schemas (.proto folder) and which topics they decode")
            .clicked()
        {
            self.schemas_window.show();
        }
        ui.toggle_value(&mut self.publish_open, "Publish panel")
            .on_hover_text("Show or hide the publish panel");
        if let Some(session) = self.active_session_mut() {
            let count = session.chart.series.len();
            let label = if count == 0 {
                "Chart".to_owned()
            } else {
                format!("Chart ({count})")
            };
            ui.toggle_value(&mut session.chart.open, label)
                .on_hover_text("Show or hide the chart panel");
        }
        let record = self
            .active_session()
            .filter(|s| s.id.is_some())
            .map(|s| s.recording.is_some());
        let record_clicked = match record {
            Some(false) => ui
                .button("Record")
                .on_hover_text("Write this connection's traffic to an MCAP file")
                .clicked(),
            Some(true) => ui
                .button(RichText::new("Stop recording").color(super::colors::adapt(
                    Color32::from_rgb(230, 90, 80),
                    ui.visuals(),
                )))
                .clicked(),
            None => false,
        };
        ui.separator();
        let tab = self.tabs_ui(ui);
        self.appearance_menu_ui(ui);
        if record_clicked {
            Some(TabAction::Record)
        } else {
            tab
        }
    }

    fn banner_panel(&mut self, ui: &mut egui::Ui) {
        let Some(banner) = &self.banner else {
            return;
        };
        let dismissed = egui::Panel::top("banner")
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(banner).color(super::colors::adapt(
                        Color32::from_rgb(120, 190, 250),
                        ui.visuals(),
                    )));
                    ui.button("Dismiss").clicked()
                })
                .inner
            })
            .inner;
        if dismissed {
            self.banner = None;
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        let resident_bytes = self.resident_bytes();
        let manager_error = self
            .manager
            .as_ref()
            .err()
            .map(|e| format!("Could not start the network thread: {e}"));
        let budget_changed = egui::Panel::bottom("status_bar")
            .show(ui, |ui| {
                status_bar_ui::status_bar_ui(
                    ui,
                    self.sessions.get_mut(self.active),
                    manager_error.as_deref(),
                    self.clearing.as_ref(),
                    status_bar_ui::MemoryInfo {
                        resident_bytes,
                        budget_mib: &mut self.history_budget_mib,
                    },
                )
            })
            .inner;
        if budget_changed {
            self.apply_history_budget();
        }
    }

    /// The running export's progress bar and Stop button, above the status bar.
    fn export_progress_panel(&mut self, ui: &mut egui::Ui) {
        let Some(progress) = self.export_progress.front() else {
            return;
        };
        egui::Panel::bottom("export_progress").show(ui, |ui| {
            ui.horizontal(|ui| {
                let scanned = progress.scanned.load(std::sync::atomic::Ordering::Relaxed);
                ui.label(format!("Exporting to {}", progress.path.display()));
                ui.add(
                    egui::ProgressBar::new(scanned as f32 / progress.total.max(1) as f32)
                        .desired_width(240.0)
                        .show_percentage(),
                );
                ui.label(format!(
                    "{} of {} gone through",
                    format::thousands(scanned),
                    format::thousands(progress.total)
                ));
                if ui.button("Stop export").clicked() {
                    progress
                        .stop
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
        });
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(200));
    }

    /// One button per connection (a dot in its state's colour, its name) with a close button,
    /// and a button for the connections window.
    fn tabs_ui(&self, ui: &mut egui::Ui) -> Option<TabAction> {
        let mut action = None;
        for (index, session) in self.sessions.iter().enumerate() {
            let (_, color) = connection_ui::state_text(session, Instant::now());
            let (dot, _) = ui.allocate_exact_size(egui::vec2(8.0, 8.0), egui::Sense::hover());
            ui.painter().circle_filled(
                dot.center(),
                4.0,
                super::colors::adapt(color, ui.visuals()),
            );
            let mut title = session.title();
            if let Some(recording) = &session.recording {
                title.push_str(&format!(
                    " · REC {}",
                    format::duration(recording.stats().elapsed)
                ));
            }
            if ui
                .selectable_label(index == self.active, &title)
                .on_hover_text(session.options.url())
                .clicked()
            {
                action = Some(TabAction::Switch(index));
            }
            if ui
                .small_button("x")
                .on_hover_text(format!("Close {title}"))
                .clicked()
            {
                action = Some(TabAction::Close(index));
            }
        }
        if ui
            .button("Connections…")
            .on_hover_text("Saved profiles: open several brokers at once")
            .clicked()
        {
            action = Some(TabAction::New);
        }
        if ui
            .add_enabled(
                self.file_picker.available(),
                egui::Button::new("Open recording…"),
            )
            .on_hover_text("Open an MCAP recording in a new tab")
            .on_disabled_hover_text(
                "No file dialog on this system: open one with `canopy FILE.mcap` instead",
            )
            .clicked()
        {
            action = Some(TabAction::OpenRecording);
        }
        ui.menu_button("Help", |ui| {
            if ui.button("Keyboard shortcuts (F1)").clicked() {
                action = Some(TabAction::Shortcuts);
                ui.close();
            }
            if ui
                .button("About Canopy")
                .on_hover_text("Version, license, documentation and where settings are kept")
                .clicked()
            {
                action = Some(TabAction::About);
                ui.close();
            }
        });
        action
    }

    fn profiles_window(&mut self, ui: &mut egui::Ui) {
        if let Some((options, name)) = self.profiles.poll() {
            self.open_tab(options, Some(name));
            self.profiles.open = false;
            self.view = View::Explorer;
        }
        if !self.profiles.open {
            return;
        }
        let picker = &mut *self.file_picker;
        let mut open = true;
        let action = egui::Window::new("Connections")
            .open(&mut open)
            .default_width(620.0)
            .collapsible(false)
            .show(ui.ctx(), |ui| {
                profiles_ui::profiles_ui(ui, &mut self.profiles, picker)
            })
            .and_then(|response| response.inner)
            .flatten();
        if !open {
            self.profiles.open = false;
        }
        if let Some(action) = action {
            self.profiles.perform(action, ui.ctx());
        }
    }

    fn broker_view(&mut self, ui: &mut egui::Ui) {
        let actions = egui::CentralPanel::default()
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| broker_ui::broker_ui(ui, &mut self.local))
                    .inner
            })
            .inner;
        for action in actions {
            self.broker_action(action);
        }
        if self.local.is_running() {
            // Rates, uptime and the client list move with time.
            ui.ctx()
                .request_repaint_after(repaint::TIMER_REPAINT_INTERVAL);
        }
    }

    fn explorer_view(&mut self, ui: &mut egui::Ui, now: SystemTime) {
        // A recording's views measure ages and place charts against the playhead's time.
        let now = self
            .active_session()
            .and_then(|s| s.playback.as_ref())
            .map_or(now, |p| p.clock().unwrap_or(now));
        self.timeline_panel(ui);
        let chart_action = self.chart_panel(ui, now);
        let tree_action = self.tree_panel(ui, now);
        let to_publish = self.publish_panel(ui);
        let message_action = self.message_panel(ui, now);
        self.confirm_clear_ui(ui);
        self.publish_requests(to_publish, ui.ctx());
        if let Some(action) = tree_action {
            self.tree_action(action);
        }
        match message_action {
            Some(MessageAction::DeleteRetained(topic)) => {
                self.start_clear(ClearRequest {
                    scope: format!("on {topic}"),
                    topics: vec![topic],
                });
            }
            Some(MessageAction::Plot { topic, path, view }) => self.plot(&topic, path, view),
            None => {}
        }
        match chart_action {
            Some(ChartAction::ExportCsv) => self.export_chart(),
            Some(ChartAction::Reveal(topic)) => {
                self.select_topic(&topic);
            }
            None => {}
        }
    }

    fn timeline_panel(&mut self, ui: &mut egui::Ui) {
        let Some(playback) = self.active_session_mut().and_then(|s| s.playback.as_mut()) else {
            return;
        };
        let action = egui::Panel::bottom("timeline")
            .show(ui, |ui| timeline_ui::timeline_ui(ui, playback))
            .inner;
        if let Some(action) = action {
            self.timeline_action(action);
        }
        self.replay_dialog(ui.ctx());
    }

    fn chart_panel(&mut self, ui: &mut egui::Ui, now: SystemTime) -> Option<ChartAction> {
        let action = match self.active_session_mut() {
            Some(session) if session.chart.open => {
                egui::Panel::bottom("chart")
                    .resizable(true)
                    .default_size(280.0)
                    .min_size(160.0)
                    .show(ui, |ui| plot_ui::chart_ui(ui, &mut session.chart, now))
                    .inner
            }
            _ => None,
        };
        if self.active_session().is_some_and(|s| {
            s.chart.open && !s.chart.series.is_empty() && s.chart.paused_at.is_none()
        }) {
            // A following chart's time axis moves on its own; new data repaints it anyway.
            ui.ctx()
                .request_repaint_after(repaint::TIMER_REPAINT_INTERVAL);
        }

        action
    }

    fn tree_panel(&mut self, ui: &mut egui::Ui, now: SystemTime) -> Option<TreeAction> {
        let panel = egui::Panel::left("topic_tree")
            .resizable(true)
            .default_size(self.tree_width())
            .min_size(200.0)
            .show(ui, |ui| {
                // Keep the panel's width even while its content is narrow (no topics yet).
                ui.set_min_width(ui.available_width());
                match self.active_session_mut() {
                    Some(session) => {
                        let search = PayloadSearchPanel {
                            query: &mut session.payload_query,
                            search: &mut session.payload_search,
                            message_view: &mut session.message_view,
                            model: &session.model,
                        };
                        topic_tree_ui::topic_tree_ui(
                            ui,
                            &mut session.tree_view,
                            &session.model,
                            now,
                            |ui, view| search.ui(ui, view),
                        )
                    }
                    None => {
                        ui.weak("Connect to a broker to see its topics.");
                        None
                    }
                }
            });
        self.tree_panel_width = Some(panel.response.rect.width());
        panel.inner
    }

    fn publish_panel(&mut self, ui: &mut egui::Ui) -> PublishRequests {
        if self.publish_open {
            let session = self.sessions.get(self.active);
            let mqtt5 =
                session.is_none_or(|s| s.options.protocol == crate::mqtt::ProtocolVersion::V5);
            egui::Panel::bottom("publish")
                .resizable(true)
                .default_size(170.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| {
                            publish_ui::publish_ui(
                                ui,
                                &mut self.publish,
                                session,
                                session.and_then(|s| s.tree_view.selected),
                                mqtt5,
                            )
                        })
                        .inner
                })
                .inner
        } else {
            PublishRequests::default()
        }
    }

    fn message_panel(&mut self, ui: &mut egui::Ui, now: SystemTime) -> Option<MessageAction> {
        egui::CentralPanel::default()
            .show(ui, |ui| match self.active_session_mut() {
                Some(session) => message_ui::message_ui(
                    ui,
                    &mut session.message_view,
                    &session.model,
                    session.tree_view.selected,
                    now,
                ),
                None => {
                    ui.weak("Messages of the selected topic appear here.");
                    None
                }
            })
            .inner
    }

    /// Ask to confirm clearing the retained messages the tree pointed at, or export its kept
    /// messages.
    fn tree_action(&mut self, action: TreeAction) {
        match action {
            TreeAction::ExportUnder(id) => {
                if let Some(session) = self.active_session() {
                    let tree = &session.model.tree;
                    let topic = tree.topic_name(id);
                    let (scope, topics) = if id == crate::model::NodeId::ROOT {
                        ("every topic".to_owned(), TopicSelection::All)
                    } else {
                        let under = crate::mqtt::TopicFilter::new(format!("{topic}/#"))
                            .map_or(TopicSelection::All, TopicSelection::Under);
                        (format!("{topic} and below"), under)
                    };
                    let source = export_source(session, topics, || tree.kept_messages(&[id], true));
                    self.export_dialog = Some(ExportDialog::new(scope, source));
                }
            }
            TreeAction::ExportMatching => {
                if let Some(session) = self.active_session_mut() {
                    let tree = &session.model.tree;
                    let matches = session.tree_view.matches(tree).to_vec();
                    let scope = format!("matching '{}'", session.tree_view.filter.trim());
                    let topics = TopicSelection::Exact(
                        matches.iter().map(|&id| tree.topic_name(id)).collect(),
                    );
                    let source =
                        export_source(session, topics, || tree.kept_messages(&matches, false));
                    self.export_dialog = Some(ExportDialog::new(scope, source));
                }
            }
            TreeAction::ClearRetainedUnder(id) => {
                if let Some(session) = self.active_session() {
                    let tree = &session.model.tree;
                    self.confirm_clear = Some(ClearRequest {
                        scope: format!("under {}", tree.topic_name(id)),
                        topics: tree.retained_topics_under(id),
                    });
                }
            }
            TreeAction::ClearRetainedMatching => {
                if let Some(session) = self.active_session_mut() {
                    let tree = &session.model.tree;
                    let topics = session
                        .tree_view
                        .matches(tree)
                        .iter()
                        .filter(|&&id| tree.node(id).is_some_and(|n| n.retained))
                        .map(|&id| tree.topic_name(id))
                        .collect();
                    self.confirm_clear = Some(ClearRequest {
                        scope: format!("matching '{}'", session.tree_view.filter.trim()),
                        topics,
                    });
                }
            }
        }
    }

    /// A file to load into the publish form (read off the window's thread), and a message to send.
    fn publish_requests(&mut self, requests: PublishRequests, ctx: &egui::Context) {
        if requests.pick_file && !self.file_picker.available() {
            self.publish.outcome = Some(Err(
                "No file dialog on this system (install zenity or an xdg-desktop-portal)"
                    .to_owned(),
            ));
        } else if requests.pick_file
            && let Some(path) = self.file_picker.pick_file("Payload from a file")
        {
            self.publish.outcome = Some(Ok(format!("Reading {}…", path.display())));
            self.file_reads
                .get_or_insert_with(|| Worker::new("canopy-file-read"))
                .run(ctx, move || {
                    let contents = std::fs::read(&path);
                    (path, contents)
                });
        }
        while let Some((path, contents)) = self.file_reads.as_mut().and_then(Worker::take) {
            match contents {
                Ok(contents) => {
                    let name = path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    self.publish.file = Some((name, contents.into()));
                    self.publish.outcome = None;
                }
                Err(error) => {
                    self.publish.outcome =
                        Some(Err(format!("Cannot read {}: {error}", path.display())));
                }
            }
        }
        if let Some(message) = requests.send {
            self.publish(message);
        }
    }

    /// Ask before clearing more than one retained message, saying how many.
    pub(super) fn confirm_clear_ui(&mut self, ui: &egui::Ui) {
        let Some(request) = &self.confirm_clear else {
            return;
        };
        let confirm = format!("Clear {}", request.topics.len());
        let decision = super::cells::confirm_modal(
            ui,
            "confirm_clear_retained",
            "Clear retained messages",
            &confirm,
            |ui| {
                ui.label(format!(
                    "Delete {} {}? The broker will no longer hand them to new subscribers.",
                    format::count(
                        request.topics.len() as u64,
                        "retained message",
                        "retained messages"
                    ),
                    request.scope
                ));
                // What will be cleared, topic by topic.
                egui::ScrollArea::vertical()
                    .id_salt("clear_list")
                    .max_height(200.0)
                    .show(ui, |ui| {
                        for topic in &request.topics {
                            ui.monospace(topic);
                        }
                    });
            },
        );
        match decision {
            Some(true) => {
                if let Some(request) = self.confirm_clear.take() {
                    self.start_clear(request);
                }
            }
            Some(false) => self.confirm_clear = None,
            None => {}
        }
    }

    /// Plot `path` of `topic`'s payloads on the shown connection's chart.
    pub fn plot(
        &mut self,
        topic: &str,
        path: crate::payload::Path,
        view: crate::payload::PayloadView,
    ) {
        let Some(session) = self.active_session_mut() else {
            return;
        };
        let tree = &session.model.tree;
        let empty = std::collections::VecDeque::new();
        let history = tree
            .find(topic)
            .and_then(|id| tree.node(id))
            .map_or(&empty, |node| node.history());
        if session
            .chart
            .add(topic, path, view, (history, &session.model))
            == Err(AddError::AlreadyPlotted)
        {
            session.notice(format!("{topic} is already on the chart."));
        }
    }

    /// Repaint only while something on screen changes by itself; never while idle.
    fn schedule_repaint(&mut self, ctx: &egui::Context, now: SystemTime) {
        let Some(session) = self.active_session_mut() else {
            return;
        };
        if matches!(
            session.state,
            crate::net::ConnectionState::Reconnecting { .. }
        ) {
            // The reconnect countdown, in whole seconds.
            ctx.request_repaint_after(repaint::TIMER_REPAINT_INTERVAL);
        }
        let recently_changed = session
            .model
            .tree
            .root()
            .subtree_last_received
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age < topic_tree_ui::HIGHLIGHT + Duration::from_millis(100));
        if recently_changed {
            // The fade keeps to the data-driven pace when drawing is expensive.
            ctx.request_repaint_after(
                repaint::FADE_REPAINT_INTERVAL.max(self.repaint_gate.interval()),
            );
        } else if !session.model.message_rate.is_idle(Instant::now()) {
            // The rate shown falls to zero a second after the last message.
            ctx.request_repaint_after(repaint::TIMER_REPAINT_INTERVAL);
        }
    }

    /// The node selected in the shown connection's tree.
    pub fn selected_node(&self) -> Option<NodeId> {
        self.active_session()?.tree_view.selected
    }
}
