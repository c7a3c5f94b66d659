//! The window. Panels read the model and return what the user asked for; this module turns
//! that into commands for the connection manager. No panel does I/O itself.

mod broker_ui;
mod charts;
mod connection_ui;
mod format;
mod latency_probe;
mod local_broker;
mod message_ui;
mod monitor_ui;
mod payload_ui;
mod plot_ui;
mod publish_ui;
mod retained_clear;
mod session;
mod status_bar_ui;
mod topic_tree_ui;
mod value_ui;

pub use broker_ui::BrokerAction;
pub use charts::{AddError, Chart, ChartSeries, TimeWindow};
pub use connection_ui::{ConnectAction, ConnectForm};
pub use local_broker::{BrokerForm, LocalBroker};
pub use message_ui::MessageAction;
pub use message_ui::MessageView;
pub use monitor_ui::{MonitorAction, MonitorView, TrafficWindow};
pub use plot_ui::ChartAction;
pub use publish_ui::{PublishForm, PublishRequests, from_stored, to_stored};
pub use retained_clear::{ClearRequest, RetainedClear};
pub use session::{Notice, Session};
pub use topic_tree_ui::TopicTreeView;
pub use topic_tree_ui::TreeAction;

use crate::model::{Incoming, NodeId};
use crate::net::{Command, ConnectOptions, ConnectionManager, EventKind, OutgoingMessage};
use crate::settings::{Loaded, Settings, SettingsStore};
use egui::RichText;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The app id: the Wayland app id / X11 WM_CLASS, matching packaging/linux's .desktop file.
pub const APP_ID: &str = "canopy";

/// Longest time per frame spent applying incoming batches, so the UI stays responsive.
const EVENT_BUDGET: Duration = Duration::from_millis(8);

/// What the window shows in its main area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum View {
    /// The topic tree and messages.
    #[default]
    Explorer,
    /// The connection's broker dashboard, traffic and latency.
    Monitor,
    /// The bundled broker.
    Broker,
}

/// How the window starts.
#[derive(Clone, Debug)]
pub enum Startup {
    /// Connect to this broker.
    Connect(Box<ConnectOptions>),
    /// Start the bundled broker and the demo fleet, and explore them (the first-run default).
    Demo,
    /// Start idle, the connect bar showing localhost.
    Idle,
}

/// Canopy's window state.
pub struct CanopyApp {
    manager: Result<ConnectionManager, String>,
    form: ConnectForm,
    session: Option<Session>,
    tree_view: TopicTreeView,
    message_view: MessageView,
    local: LocalBroker,
    view: View,
    banner: Option<String>,
    publish: PublishForm,
    confirm_clear: Option<ClearRequest>,
    clearing: Option<RetainedClear>,
    store: Option<SettingsStore>,
    file_picker: Box<dyn FilePicker>,
    /// Whether the publish panel is shown.
    publish_open: bool,
    monitor_view: MonitorView,
}

/// Picks a file for the user. A seam: the window uses the system dialog (rfd), tests answer
/// without one.
pub trait FilePicker {
    /// The chosen file, or `None` if the user cancelled.
    fn pick_file(&mut self) -> Option<std::path::PathBuf>;

    /// Where to save a new file (`suggested_name` pre-filled), or `None` if the user cancelled.
    fn save_file(&mut self, title: &str, suggested_name: &str) -> Option<std::path::PathBuf>;
}

/// The system's file dialog.
pub struct SystemFilePicker;

impl FilePicker for SystemFilePicker {
    fn pick_file(&mut self) -> Option<std::path::PathBuf> {
        rfd::FileDialog::new()
            .set_title("Payload from a file")
            .pick_file()
    }

    fn save_file(&mut self, title: &str, suggested_name: &str) -> Option<std::path::PathBuf> {
        rfd::FileDialog::new()
            .set_title(title)
            .set_file_name(suggested_name)
            .save_file()
    }
}

impl CanopyApp {
    /// An app driving `manager`, connecting at once to `connect_to` if given.
    pub fn new(
        manager: Result<ConnectionManager, String>,
        connect_to: Option<ConnectOptions>,
    ) -> Self {
        let shown = connect_to
            .clone()
            .unwrap_or_else(|| ConnectOptions::new("localhost", 1883));
        let mut app = Self {
            manager,
            form: ConnectForm::from_options(&shown),
            session: None,
            tree_view: TopicTreeView::default(),
            message_view: MessageView::default(),
            local: LocalBroker::default(),
            view: View::Explorer,
            banner: None,
            publish: PublishForm::default(),
            confirm_clear: None,
            clearing: None,
            store: None,
            file_picker: Box::new(SystemFilePicker),
            publish_open: true,
            monitor_view: MonitorView::default(),
        };
        if let Some(options) = connect_to {
            app.connect(options);
        }
        app
    }

    /// An app whose network thread repaints `ctx` whenever data arrives.
    pub fn with_context(ctx: &egui::Context, startup: Startup) -> Self {
        Self::with_context_and_settings(ctx, startup, SettingsStore::default_location())
    }

    /// [`CanopyApp::with_context`] with settings kept in `store` (tests use a temporary one).
    pub fn with_context_and_settings(
        ctx: &egui::Context,
        startup: Startup,
        store: Option<SettingsStore>,
    ) -> Self {
        let ctx = ctx.clone();
        let manager = ConnectionManager::start(Arc::new(move || ctx.request_repaint()))
            .map_err(|e| format!("Could not start the network thread: {e}"));
        let connect_to = match &startup {
            Startup::Connect(options) => Some((**options).clone()),
            Startup::Demo | Startup::Idle => None,
        };
        let mut app = Self::new(manager, connect_to);
        if let Some(store) = store {
            app.use_settings(store);
        }
        if matches!(startup, Startup::Demo) {
            app.start_demo();
        }
        app
    }

    /// Read settings from `store` (publish history and saved messages) and keep them there.
    /// An unreadable file is moved aside, reported in the banner, and defaults are used.
    pub fn use_settings(&mut self, store: SettingsStore) {
        match store.load() {
            Loaded::Read(settings) => {
                self.publish.history = settings
                    .publish_history
                    .iter()
                    .map(publish_ui::from_stored)
                    .collect();
                self.publish.saved = settings.saved_messages;
            }
            Loaded::Missing => {}
            Loaded::Corrupt { reason, kept_at } => {
                self.banner = Some(format!(
                    "Your settings file could not be read ({reason}). It was kept at {} and Canopy started with defaults.",
                    kept_at.display()
                ));
            }
        }
        self.store = Some(store);
    }

    /// Replace the file dialog (tests answer without one).
    pub fn set_file_picker(&mut self, picker: Box<dyn FilePicker>) {
        self.file_picker = picker;
    }

    /// Write the publish history and saved messages if they changed.
    fn save_settings(&mut self) {
        if !std::mem::take(&mut self.publish.dirty) {
            return;
        }
        let Some(store) = &self.store else {
            return;
        };
        let settings = Settings {
            publish_history: self
                .publish
                .history
                .iter()
                .map(publish_ui::to_stored)
                .collect(),
            saved_messages: self.publish.saved.clone(),
            ..Settings::default()
        };
        if let Err(error) = store.save(&settings)
            && let Some(session) = &mut self.session
        {
            session.notice(format!("Settings not saved: {error}"));
        }
    }

    /// The first-run default: the bundled broker (on 1883, or a free port if that is taken),
    /// the demo fleet, and the explorer connected to them, with a banner saying so.
    pub fn start_demo(&mut self) {
        let port_taken = !self.local.start()
            && self
                .local
                .failure
                .as_ref()
                .is_some_and(|f| f.free_port.is_some());
        if port_taken {
            self.local.form.port = "0".into();
            self.local.start();
        }
        let Some(address) = self.local.address() else {
            let why = self
                .local
                .failure
                .as_ref()
                .map_or_else(String::new, |f| f.message.clone());
            self.banner = Some(format!(
                "The bundled broker did not start: {why} Enter a broker above to explore it."
            ));
            return;
        };
        self.local.form.port = address.port().to_string();
        let mut options = ConnectOptions::new("127.0.0.1", address.port());
        options.client_id = "canopy-explorer".into();
        self.connect(options);
        let fleet = match self.local.start_fleet() {
            Ok(()) => "and a demo fleet of simulated devices".to_owned(),
            Err(error) => format!("(the demo fleet did not start: {error})"),
        };
        self.banner = Some(format!(
            "Canopy started its own broker on {address} {fleet}. To explore another broker, enter its address above and press Connect."
        ));
    }

    /// The bundled broker and fleet.
    pub fn local_broker(&self) -> &LocalBroker {
        &self.local
    }

    /// The bundled broker and fleet, to change.
    pub fn local_broker_mut(&mut self) -> &mut LocalBroker {
        &mut self.local
    }

    /// The one-line banner, if one is showing.
    pub fn banner(&self) -> Option<&str> {
        self.banner.as_deref()
    }

    /// Which view is showing.
    pub fn view(&self) -> View {
        self.view
    }

    /// Show a view.
    pub fn set_view(&mut self, view: View) {
        self.view = view;
    }

    /// The current connection's session, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The connect bar's contents.
    pub fn form_mut(&mut self) -> &mut ConnectForm {
        &mut self.form
    }

    /// The full topic of the selected node.
    pub fn selected_topic(&self) -> Option<String> {
        let session = self.session.as_ref()?;
        Some(session.model.tree.topic_name(self.tree_view.selected?))
    }

    /// Select a topic by name and reveal it in the tree.
    pub fn select_topic(&mut self, topic: &str) -> bool {
        let Some(session) = &self.session else {
            return false;
        };
        let Some(id) = session.model.tree.find(topic) else {
            return false;
        };
        self.tree_view.reveal(&session.model.tree, id);
        true
    }

    /// Apply a batch as if it had arrived on the current connection (a detached session is made
    /// when there is none): for tests and demos.
    pub fn inject(&mut self, batch: Vec<Incoming>) {
        let form = &self.form;
        let session = self.session.get_or_insert_with(|| {
            Session::detached(
                form.to_options()
                    .unwrap_or_else(|_| ConnectOptions::new("localhost", 1883)),
            )
        });
        session.apply(batch);
    }

    /// Open a connection, replacing the current one.
    pub fn connect(&mut self, options: ConnectOptions) {
        self.disconnect();
        let Ok(manager) = &mut self.manager else {
            return;
        };
        self.form = ConnectForm::from_options(&options);
        let (id, stats) = manager.connect(options.clone());
        self.session = Some(Session::new(id, options, stats));
        self.tree_view.reset();
        self.message_view.reset();
        self.monitor_view.reset();
    }

    /// Close the current connection; its tree stays on screen.
    pub fn disconnect(&mut self) {
        if let (Ok(manager), Some(session)) = (&self.manager, &self.session)
            && let Some(id) = session.id
            && !session.state.is_closed()
        {
            manager.send(Command::Disconnect { id });
        }
    }

    /// Apply what the network reported, for at most a few milliseconds.
    pub fn pump_events(&mut self, ctx: &egui::Context) {
        if self.view == View::Broker {
            self.local.refresh_if_due(Instant::now(), false);
        }
        let Ok(manager) = &mut self.manager else {
            return;
        };
        let deadline = Instant::now() + EVENT_BUDGET;
        while Instant::now() < deadline {
            let Some(event) = manager.events().try_recv() else {
                return;
            };
            let Some(session) = self
                .session
                .as_mut()
                .filter(|s| s.id == Some(event.connection))
            else {
                continue; // from a connection already replaced
            };
            match event.kind {
                EventKind::State(state) => session.set_state(state),
                EventKind::Batch(batch) => session.apply(batch),
                EventKind::Subscribed(filters) => session.subscribed(filters),
                EventKind::Error(message) => session.notice(message),
                EventKind::Published { ticket, result } => {
                    let mut handled = false;
                    if let Some(job) = &mut self.clearing {
                        let (ours, cleared) = job.on_published(ticket, &result);
                        handled = ours;
                        if let Some(topic) = cleared {
                            session.model.tree.forget_retained(&topic);
                        }
                        if ours {
                            if let Some(id) = session.id {
                                job.top_up(manager, id);
                            }
                            if job.is_done() {
                                session.notice(job.summary());
                            }
                        }
                    }
                    if !handled
                        && self
                            .publish
                            .pending
                            .as_ref()
                            .is_some_and(|(t, _)| *t == ticket)
                    {
                        let description = self
                            .publish
                            .pending
                            .take()
                            .map(|(_, d)| d)
                            .unwrap_or_default();
                        self.publish.outcome = Some(result.map(|()| description));
                    } else if !handled && let Err(reason) = result {
                        session.notice(reason);
                    }
                }
            }
        }
        // Out of time with events left: come back next frame.
        ctx.request_repaint();
    }

    /// Draw the whole window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let now = SystemTime::now();
        self.run_probe(ui.ctx());
        let action = egui::Panel::top("connect_bar")
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.view, View::Explorer, "Explorer");
                    ui.selectable_value(&mut self.view, View::Monitor, "Monitor");
                    ui.selectable_value(&mut self.view, View::Broker, "Broker");
                    ui.separator();
                    ui.toggle_value(&mut self.publish_open, "Publish panel")
                        .on_hover_text("Show or hide the publish panel");
                    if let Some(session) = &mut self.session {
                        let count = session.chart.series.len();
                        let label = if count == 0 {
                            "Chart".to_owned()
                        } else {
                            format!("Chart ({count})")
                        };
                        ui.toggle_value(&mut session.chart.open, label)
                            .on_hover_text("Show or hide the chart panel");
                    }
                    ui.separator();
                    connection_ui::connect_bar_ui(ui, &mut self.form, self.session.as_ref())
                })
                .inner
            })
            .inner;
        if let Some(banner) = &self.banner {
            let dismissed = egui::Panel::top("banner")
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(
                            RichText::new(banner).color(egui::Color32::from_rgb(120, 190, 250)),
                        );
                        ui.button("Dismiss").clicked()
                    })
                    .inner
                })
                .inner;
            if dismissed {
                self.banner = None;
            }
        }

        let manager_error = self.manager.as_ref().err().map(String::as_str);
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            status_bar_ui::status_bar_ui(
                ui,
                self.session.as_mut(),
                manager_error,
                self.clearing.as_ref(),
            );
        });

        if self.view == View::Broker {
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
                ui.ctx().request_repaint_after(Duration::from_millis(500));
            }
            self.finish_frame(ui, action, now);
            return;
        }

        if self.view == View::Monitor {
            let selected = self.tree_view.selected;
            let monitor_action = egui::CentralPanel::default()
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| match &self.session {
                            Some(session) => monitor_ui::monitor_ui(
                                ui,
                                &mut self.monitor_view,
                                &session.model,
                                &session.probe,
                                selected,
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
                    if let Some(session) = &self.session {
                        self.tree_view.reveal(&session.model.tree, node);
                    }
                    self.view = View::Explorer;
                }
                Some(MonitorAction::SetProbe(enabled)) => self.set_probe(enabled),
                None => {}
            }
            // Rates and rankings move with time, not only with data.
            ui.ctx().request_repaint_after(Duration::from_millis(500));
            self.finish_frame(ui, action, now);
            return;
        }

        let now_for_chart = now;
        let chart_action = match &mut self.session {
            Some(session) if session.chart.open => {
                egui::Panel::bottom("chart")
                    .resizable(true)
                    .default_size(280.0)
                    .min_size(160.0)
                    .show(ui, |ui| {
                        plot_ui::chart_ui(ui, &mut session.chart, now_for_chart)
                    })
                    .inner
            }
            _ => None,
        };
        if self.session.as_ref().is_some_and(|s| {
            s.chart.open && !s.chart.series.is_empty() && s.chart.paused_at.is_none()
        }) {
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        }

        let tree_action = egui::Panel::left("topic_tree")
            .resizable(true)
            .default_size(520.0)
            .min_size(200.0)
            .show(ui, |ui| {
                // Keep the panel's width even while its content is narrow (no topics yet).
                ui.set_min_width(ui.available_width());
                match &self.session {
                    Some(session) => topic_tree_ui::topic_tree_ui(
                        ui,
                        &mut self.tree_view,
                        &session.model.tree,
                        now,
                    ),
                    None => {
                        ui.weak("Connect to a broker to see its topics.");
                        None
                    }
                }
            })
            .inner;

        let mqtt5 = self
            .session
            .as_ref()
            .is_none_or(|s| s.options.protocol == crate::net::ProtocolVersion::V5);
        let to_publish = if self.publish_open {
            egui::Panel::bottom("publish")
                .resizable(true)
                .default_size(170.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .show(ui, |ui| {
                            publish_ui::publish_ui(
                                ui,
                                &mut self.publish,
                                self.session.as_ref().map(|s| &s.model.tree),
                                self.tree_view.selected,
                                mqtt5,
                            )
                        })
                        .inner
                })
                .inner
        } else {
            PublishRequests::default()
        };

        let message_action = egui::CentralPanel::default()
            .show(ui, |ui| match &self.session {
                Some(session) => message_ui::message_ui(
                    ui,
                    &mut self.message_view,
                    &session.model.tree,
                    self.tree_view.selected,
                    now,
                ),
                None => {
                    ui.weak("Messages of the selected topic appear here.");
                    None
                }
            })
            .inner;

        self.confirm_clear_ui(ui);
        if to_publish.pick_file
            && let Some(path) = self.file_picker.pick_file()
        {
            match std::fs::read(&path) {
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
        if let Some(message) = to_publish.send {
            self.publish(message);
        }
        self.save_settings();
        match tree_action {
            Some(TreeAction::ClearRetainedUnder(id)) => {
                if let Some(session) = &self.session {
                    let tree = &session.model.tree;
                    self.confirm_clear = Some(ClearRequest {
                        scope: format!("under {}", tree.topic_name(id)),
                        topics: tree.retained_topics_under(id),
                    });
                }
            }
            Some(TreeAction::ClearRetainedMatching) => {
                if let Some(session) = &self.session {
                    let tree = &session.model.tree;
                    let topics = self
                        .tree_view
                        .matches(tree)
                        .iter()
                        .filter(|&&id| tree.node(id).is_some_and(|n| n.retained))
                        .map(|&id| tree.topic_name(id))
                        .collect();
                    self.confirm_clear = Some(ClearRequest {
                        scope: format!("matching '{}'", self.tree_view.filter.trim()),
                        topics,
                    });
                }
            }
            None => {}
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

        self.finish_frame(ui, action, now);
    }

    /// Turn the current connection's latency probe on or off, subscribing to its topic when
    /// the connection's filters do not already cover it.
    pub fn set_probe(&mut self, enabled: bool) {
        let Some(session) = &mut self.session else {
            return;
        };
        session.probe.set_enabled(enabled);
        let covered = session
            .options
            .subscriptions
            .iter()
            .any(|s| s.filter == "#" || s.filter == "canopy/#");
        if enabled
            && !covered
            && let (Ok(manager), Some(id)) = (&self.manager, session.id)
        {
            manager.send(Command::Subscribe {
                id,
                subscription: crate::net::Subscription::new(session.probe.topic()),
            });
        }
    }

    /// Publish the latency probe when one is due, and come back for the next.
    fn run_probe(&mut self, ctx: &egui::Context) {
        let (Ok(manager), Some(session)) = (&mut self.manager, &mut self.session) else {
            return;
        };
        let Some(id) = session.id.filter(|_| session.state.is_connected()) else {
            return;
        };
        let now = Instant::now();
        if let Some(message) = session.probe.due(now) {
            manager.publish(id, message);
        }
        if let Some(next) = session.probe.next_at() {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
    }

    /// Plot `path` of `topic`'s payloads on the current connection's chart.
    pub fn plot(
        &mut self,
        topic: &str,
        path: crate::payload::Path,
        view: crate::payload::PayloadView,
    ) {
        let Some(session) = &mut self.session else {
            return;
        };
        let tree = &session.model.tree;
        let empty = std::collections::VecDeque::new();
        let history = tree
            .find(topic)
            .and_then(|id| tree.node(id))
            .map_or(&empty, |node| node.history());
        if session.chart.add(topic, path, view, history) == Err(AddError::AlreadyPlotted) {
            session.notice(format!("{topic} is already on the chart."));
        }
    }

    /// Ask where to save the chart's data, and write it as CSV.
    pub fn export_chart(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        let suggested = format!(
            "canopy-chart-{}.csv",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let Some(path) = self
            .file_picker
            .save_file("Export chart data as CSV", &suggested)
        else {
            return;
        };
        let csv = session.chart.to_csv();
        let rows = csv.lines().count().saturating_sub(1);
        session.notice(
            match crate::settings::write_atomically(&path, csv.as_bytes()) {
                Ok(()) => format!("Exported {rows} samples to {}.", path.display()),
                Err(error) => format!("Cannot write {}: {error}", path.display()),
            },
        );
    }

    /// Ask before clearing more than one retained message, saying how many.
    fn confirm_clear_ui(&mut self, ui: &egui::Ui) {
        let Some(request) = &self.confirm_clear else {
            return;
        };
        let mut decision = None;
        let modal =
            egui::Modal::new(ui.scope_id().with("confirm_clear_retained")).show(ui.ctx(), |ui| {
                ui.heading("Clear retained messages");
                ui.label(format!(
                    "Delete {} {}? The broker will no longer hand them to new subscribers.",
                    format::count(
                        request.topics.len() as u64,
                        "retained message",
                        "retained messages"
                    ),
                    request.scope
                ));
                ui.horizontal(|ui| {
                    if ui
                        .button(format!("Clear {}", request.topics.len()))
                        .clicked()
                    {
                        decision = Some(true);
                    }
                    if ui.button("Cancel").clicked() {
                        decision = Some(false);
                    }
                });
            });
        if modal.should_close() && decision.is_none() {
            decision = Some(false);
        }
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

    /// Begin clearing retained messages on the current connection.
    pub fn start_clear(&mut self, request: ClearRequest) {
        let (Ok(manager), Some(session)) = (&mut self.manager, &mut self.session) else {
            return;
        };
        let Some(id) = session.id.filter(|_| session.state.is_connected()) else {
            session.notice("Not connected: nothing was cleared".to_owned());
            return;
        };
        if request.topics.is_empty() {
            return;
        }
        let mut job = RetainedClear::new(request);
        job.top_up(manager, id);
        self.clearing = Some(job);
    }

    /// The clear under way or last finished.
    pub fn retained_clear(&self) -> Option<&RetainedClear> {
        self.clearing.as_ref()
    }

    /// The clear waiting for confirmation.
    pub fn pending_clear(&self) -> Option<&ClearRequest> {
        self.confirm_clear.as_ref()
    }

    /// Publish from the publish panel.
    pub fn publish(&mut self, message: OutgoingMessage) {
        let target = match (&mut self.manager, &self.session) {
            (Ok(manager), Some(session)) if session.state.is_connected() => {
                session.id.map(|id| (manager, id))
            }
            _ => None,
        };
        let Some((manager, id)) = target else {
            self.publish.outcome = Some(Err("Not connected: connect to a broker first".to_owned()));
            return;
        };
        let description = format!(
            "Published {} to {} (QoS {}{})",
            format::bytes(message.payload.len() as u64),
            message.topic,
            message.qos.level(),
            if message.retain { ", retained" } else { "" }
        );
        let ticket = manager.publish(id, message.clone());
        self.publish.pending = Some((ticket, description));
        self.publish.outcome = None;
        self.publish.remember(message);
    }

    /// The publish panel's state.
    pub fn publish_form_mut(&mut self) -> &mut PublishForm {
        &mut self.publish
    }

    fn finish_frame(&mut self, ui: &egui::Ui, action: Option<ConnectAction>, now: SystemTime) {
        match action {
            Some(ConnectAction::Connect(options)) => self.connect(*options),
            Some(ConnectAction::Disconnect) => self.disconnect(),
            None => {}
        }
        self.schedule_repaint(ui.ctx(), now);
    }

    /// Carry out what the Broker panel asked for.
    pub fn broker_action(&mut self, action: BrokerAction) {
        match action {
            BrokerAction::Start => {
                self.local.start();
            }
            BrokerAction::Stop => self.local.stop(),
            BrokerAction::UsePort(port) => {
                self.local.form.port = port.to_string();
                self.local.start();
            }
            BrokerAction::StartFleet => {
                if let Err(error) = self.local.start_fleet() {
                    self.local.failure = Some(local_broker::StartFailure {
                        message: error,
                        free_port: None,
                    });
                }
            }
            BrokerAction::StopFleet => self.local.stop_fleet(),
            BrokerAction::Disconnect(client_id) => self.local.disconnect_client(&client_id),
            BrokerAction::Trace(enabled) => self.local.set_trace_enabled(enabled),
            BrokerAction::ClearTrace => self.local.clear_trace(),
            BrokerAction::Refilter => self.local.refresh_if_due(Instant::now(), true),
            BrokerAction::Explore => {
                if let Some(address) = self.local.address() {
                    self.connect(ConnectOptions::new("127.0.0.1", address.port()));
                    self.view = View::Explorer;
                }
            }
        }
    }

    /// Repaint only while something on screen changes by itself; never while idle.
    fn schedule_repaint(&mut self, ctx: &egui::Context, now: SystemTime) {
        let Some(session) = &mut self.session else {
            return;
        };
        if matches!(
            session.state,
            crate::net::ConnectionState::Reconnecting { .. }
        ) {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        let recently_changed = session
            .model
            .tree
            .root()
            .subtree_last_received
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age < topic_tree_ui::HIGHLIGHT + Duration::from_millis(100));
        if recently_changed {
            ctx.request_repaint_after(Duration::from_millis(100));
        } else if !session.model.message_rate.is_idle(Instant::now()) {
            ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    /// The node selected in the tree.
    pub fn selected_node(&self) -> Option<NodeId> {
        self.tree_view.selected
    }
}

impl eframe::App for CanopyApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.pump_events(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

/// Open the window and run until it is closed.
pub fn run(startup: Startup) -> eframe::Result {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Canopy")
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([640.0, 400.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon-256.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(error) => tracing::warn!("window icon not loaded: {error}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "Canopy",
        options,
        Box::new(move |cc| Ok(Box::new(CanopyApp::with_context(&cc.egui_ctx, startup)))),
    )
}

#[cfg(test)]
mod tests {
    use super::APP_ID;

    #[test]
    fn desktop_entry_matches_the_app_id() {
        let entry = include_str!("../../packaging/linux/canopy.desktop");
        assert!(
            entry
                .lines()
                .any(|l| l == format!("StartupWMClass={APP_ID}"))
        );
        assert!(entry.lines().any(|l| l == format!("Icon={APP_ID}")));
    }
}
