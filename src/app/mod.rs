//! The window. Panels read the model and return what the user asked for; this module turns
//! that into commands for the connection manager. No panel does I/O itself.

mod about_ui;
mod actions;
mod appearance_ui;
mod applied_report;
mod broker_ui;
mod cells;
mod charts;
mod colors;
mod connection_ui;
mod export_ui;
mod file_picker;
mod form_error;
mod format;
mod home_ui;
mod latency_probe;
mod layout;
mod local_broker;
mod log_ui;
mod message_ui;
mod monitor_ui;
mod native;
mod payload_search_ui;
mod payload_ui;
mod plot_ui;
mod profile_draft;
mod profiles_ui;
mod publish_ui;
mod recording_tab;
pub mod repaint;
mod replay_ui;
mod retained_ui;
mod schemas;
mod schemas_ui;
mod session;
mod shortcuts_ui;
mod sparkplug_ui;
mod status_bar_ui;
mod tabs;
mod timeline_ui;
mod topic_search;
mod topic_tree_ui;
mod value_ui;
mod views;
mod window;
mod worker;

pub use broker_ui::BrokerAction;
pub use charts::{AddError, Chart, ChartSeries, TimeWindow};
pub use connection_ui::{ConnectAction, ConnectForm};
pub use file_picker::{FilePicker, SystemFilePicker, fallback_folder};
pub use form_error::FieldError;
pub use local_broker::{BrokerForm, LocalBroker};
pub use message_ui::MessageAction;
pub use message_ui::MessageView;
pub use monitor_ui::{MonitorAction, MonitorView, TrafficWindow};
pub use native::run;
pub use plot_ui::ChartAction;
pub use publish_ui::{PublishForm, PublishRequests, from_stored, to_stored};
pub use session::{Notice, Session};
pub use topic_tree_ui::TopicTreeView;
pub use topic_tree_ui::TreeAction;

use crate::model::Incoming;
use crate::net::{ConnectOptions, ConnectionManager, EventKind};
use crate::settings::{Loaded, Settings, SettingsStore};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The app id: the Wayland app id / X11 WM_CLASS, the name of packaging/linux's .desktop file,
/// icon and AppStream component.
pub const APP_ID: &str = "io.github.canopymqtt.Canopy";

/// Longest time per frame spent applying incoming batches, so the UI stays responsive.
const EVENT_BUDGET: Duration = Duration::from_millis(8);

/// What the window shows in its main area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum View {
    /// The topic tree and messages.
    #[default]
    Explorer,
    /// Every message in arrival order across topics.
    Log,
    /// The retained messages seen, to review and clear.
    Retained,
    /// Home Assistant discovery: devices, entities, problems.
    Home,
    /// Sparkplug B: groups, edge nodes, devices, metrics, problems.
    Sparkplug,
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
    /// The default without `--connect`: with no saved profile (a first run), start the bundled
    /// broker and the demo fleet and explore them; with saved profiles, open the Connections
    /// window to pick from them.
    Demo,
    /// Start idle, the connect bar showing localhost.
    Idle,
    /// Open this recording in a tab.
    Open(std::path::PathBuf),
}

/// Canopy's window state.
pub struct CanopyApp {
    manager: std::io::Result<ConnectionManager>,
    form: ConnectForm,
    /// Open connections, one tab each.
    sessions: Vec<Session>,
    /// The tab shown.
    active: usize,
    local: LocalBroker,
    view: View,
    banner: Option<String>,
    publish: PublishForm,
    confirm_clear: Option<crate::net::ClearRequest>,
    clearing: Option<crate::net::RetainedClear>,
    store: Option<SettingsStore>,
    file_picker: Box<dyn FilePicker>,
    /// Whether the publish panel is shown.
    publish_open: bool,
    /// The connections window and the saved profiles.
    profiles: profiles_ui::ProfilesState,
    /// Most memory each connection's history may take, in MiB (a setting).
    history_budget_mib: u32,
    /// Light, dark or the system's; applied to the context when it changes.
    theme: crate::settings::ThemeChoice,
    /// The text size in percent (egui's zoom factor × 100).
    text_scale_percent: u16,
    /// The theme and text size were given to the context.
    appearance_applied: bool,
    /// A setting other than the publish panel's changed and should be written.
    settings_dirty: bool,
    /// The process's resident memory, read at most once a second.
    resident: Option<(Instant, Option<u64>)>,
    /// When the process started, until the first frame has been drawn (and timed).
    first_frame_pending: Option<Instant>,
    /// Spaces data-driven frames; shared with the network thread's waker.
    repaint_gate: Arc<repaint::DataRepaintGate>,
    /// Watches the process's CPU and tunes `repaint_gate`.
    cpu_governor: repaint::CpuGovernor,
    /// Who sent each publish still unanswered.
    publish_tickets: rustc_hash::FxHashMap<u64, PublishTicket>,
    /// `CANOPY_REPORT_APPLIED`, for the window benchmark.
    applied_report: Option<applied_report::AppliedReport>,
    /// Settings writes, in order, off the window's thread.
    settings_writes: Option<worker::Worker<Result<(), crate::settings::SettingsError>>>,
    /// Recordings being closed (their queues written, their index and footer added).
    recording_stops: Option<worker::Worker<RecordingClosed>>,
    /// Exports, written off the window's thread.
    exports: Option<worker::Worker<(u64, String)>>,
    /// The About box is shown.
    about_open: bool,
    /// The list of keyboard shortcuts is shown.
    shortcuts_open: bool,
    /// A Home view command waiting for confirmation: (entity, topic, payload).
    confirm_command: Option<(String, String, String)>,
    /// A Rebirth asked for in the Sparkplug view, waiting for confirmation: (group, edge node).
    confirm_rebirth: Option<(String, String)>,
    schemas_window: schemas_ui::SchemasWindow,
    /// Where the last schema change was kept, for the Schemas window.
    schemas_saved: Option<String>,
    /// The layout as last seen (saved with the settings).
    layout: crate::settings::Layout,
    /// When the layout last changed, while that change waits to be saved.
    layout_changed_at: Option<Instant>,
    /// The tree panel's width in the last frame that drew it.
    tree_panel_width: Option<f32>,
    /// The Export dialog, while open.
    export_dialog: Option<export_ui::ExportDialog>,
    /// The exports running or waiting, oldest first.
    export_progress: std::collections::VecDeque<export_ui::ExportProgress>,
    /// Files picked for the publish form, read off the window's thread.
    file_reads: Option<worker::Worker<(std::path::PathBuf, std::io::Result<Vec<u8>>)>>,
}

/// A stopped recording's tab (its key), and how closing its file went.
type RecordingClosed = (
    u64,
    Result<crate::record::RecordStats, crate::record::RecordError>,
);

impl CanopyApp {
    /// An app driving `manager`, connecting at once to `connect_to` if given.
    pub fn new(
        manager: std::io::Result<ConnectionManager>,
        connect_to: Option<ConnectOptions>,
    ) -> Self {
        let shown = connect_to
            .clone()
            .unwrap_or_else(|| ConnectOptions::new("localhost", 1883));
        let mut app = Self {
            manager,
            form: ConnectForm::from_options(&shown),
            sessions: Vec::new(),
            active: 0,
            local: LocalBroker::default(),
            view: View::Explorer,
            banner: None,
            publish: PublishForm::default(),
            confirm_clear: None,
            clearing: None,
            store: None,
            file_picker: Box::new(SystemFilePicker),
            publish_open: true,
            profiles: profiles_ui::ProfilesState::default(),
            history_budget_mib: crate::settings::DEFAULT_HISTORY_BUDGET_MIB,
            theme: crate::settings::ThemeChoice::System,
            text_scale_percent: crate::settings::DEFAULT_TEXT_SCALE_PERCENT,
            appearance_applied: false,
            settings_dirty: false,
            resident: None,
            first_frame_pending: None,
            repaint_gate: Arc::default(),
            cpu_governor: repaint::CpuGovernor::default(),
            publish_tickets: rustc_hash::FxHashMap::default(),
            applied_report: applied_report::AppliedReport::from_env(),
            file_reads: None,
            exports: None,
            about_open: false,
            shortcuts_open: false,
            confirm_command: None,
            confirm_rebirth: None,
            schemas_window: schemas_ui::SchemasWindow::default(),
            schemas_saved: None,
            layout: crate::settings::Layout::default(),
            layout_changed_at: None,
            tree_panel_width: None,
            export_dialog: None,
            export_progress: std::collections::VecDeque::new(),
            recording_stops: None,
            settings_writes: None,
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
        let ctx_for_open = ctx.clone();
        let ctx = ctx.clone();
        let gate = Arc::new(repaint::DataRepaintGate::default());
        let network_gate = Arc::clone(&gate);
        let on_data = move || match network_gate.on_data(Instant::now()) {
            repaint::DataRepaint::Now => ctx.request_repaint(),
            repaint::DataRepaint::After(delay) => ctx.request_repaint_after(delay),
        };
        let manager = ConnectionManager::start(Arc::new(on_data));
        let connect_to = match &startup {
            Startup::Connect(options) => Some((**options).clone()),
            Startup::Demo | Startup::Idle | Startup::Open(_) => None,
        };
        let mut app = Self::new(manager, connect_to);
        app.repaint_gate = gate;
        if let Some(store) = store {
            let profiles =
                crate::settings::ProfileStore::at(store.path().with_file_name("profiles.ron"));
            app.use_settings(store);
            app.use_profiles(profiles);
        }
        if let Startup::Open(path) = &startup {
            app.open_recording(path, &ctx_for_open);
        }
        // For the window benchmark: record the startup connection from the first moment.
        if let Some(path) = std::env::var_os("CANOPY_RECORD_TO")
            && matches!(startup, Startup::Connect(_))
        {
            app.start_recording(std::path::Path::new(&path));
        }
        if matches!(startup, Startup::Demo) {
            if app.profiles.profiles.is_empty() {
                app.start_demo();
            } else {
                app.profiles.open = true;
                app.profiles.select(0);
            }
        }
        app
    }

    /// Read connection profiles from `store` and keep them there. An unreadable file is moved
    /// aside and reported in the banner.
    pub fn use_profiles(&mut self, store: crate::settings::ProfileStore) {
        if let Some(problem) = self.profiles.use_store(store) {
            self.banner = Some(match self.banner.take() {
                Some(earlier) => format!("{earlier} {problem}"),
                None => problem,
            });
        }
    }

    /// The saved connection profiles.
    pub fn profiles(&self) -> &[crate::settings::Profile] {
        &self.profiles.profiles
    }

    /// Open or close the Connections window.
    pub fn set_profiles_window(&mut self, open: bool) {
        self.profiles.open = open;
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
                self.history_budget_mib = settings.history_budget_mib.max(1);
                self.apply_history_budget();
                self.theme = settings.theme;
                self.text_scale_percent = settings.text_scale_percent.clamp(
                    appearance_ui::MIN_TEXT_SCALE_PERCENT,
                    appearance_ui::MAX_TEXT_SCALE_PERCENT,
                );
                self.appearance_applied = false;
                self.use_layout(settings.layout);
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
    /// Write the settings when they changed, off the window's thread; report a failed write.
    fn save_settings(&mut self, ctx: &egui::Context) {
        while let Some(result) = self.settings_writes.as_mut().and_then(worker::Worker::take) {
            if let Err(error) = result
                && let Some(session) = self.active_session_mut()
            {
                session.notice(format!("Settings not saved: {error}"));
            }
        }
        let publish_changed = std::mem::take(&mut self.publish.dirty);
        if !publish_changed && !std::mem::take(&mut self.settings_dirty) {
            return;
        }
        let Some(store) = self.store.clone() else {
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
            history_budget_mib: self.history_budget_mib,
            theme: self.theme,
            text_scale_percent: self.text_scale_percent,
            layout: self.layout.clone(),
            ..Settings::default()
        };
        self.settings_writes
            .get_or_insert_with(|| worker::Worker::new("canopy-settings"))
            .run(ctx, move || store.save(&settings));
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
        if let Some(session) = self.active_session_mut() {
            session.name = Some("Demo (bundled broker)".to_owned());
            // The demo's production lines publish protobuf telemetry of a built-in schema.
            session.schemas = schemas::SessionSchemas::demo();
            session.model.protobuf = session.schemas.resolved();
        }
        let fleet = match self.local.start_fleet() {
            Ok(()) => "and a demo fleet of simulated devices".to_owned(),
            Err(error) => format!("(the demo fleet did not start: {error})"),
        };
        self.banner = Some(format!(
            "Canopy started its own broker on {address} {fleet}. To explore another broker, enter its address above and press Connect, or save profiles under Connections…"
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

    /// The shown connection's session, if any.
    pub fn active_session(&self) -> Option<&Session> {
        self.sessions.get(self.active)
    }

    /// The connection shown, to change.
    pub fn active_session_mut(&mut self) -> Option<&mut Session> {
        self.sessions.get_mut(self.active)
    }

    /// Every open connection, in tab order.
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }

    /// Show connection tab `index`.
    pub fn switch_to(&mut self, index: usize) {
        if let Some(session) = self.sessions.get(index) {
            self.active = index;
            self.form = ConnectForm::from_options(&session.options);
        }
    }

    /// The connect bar's contents.
    pub fn form_mut(&mut self) -> &mut ConnectForm {
        &mut self.form
    }

    /// The full topic of the selected node.
    pub fn selected_topic(&self) -> Option<String> {
        let session = self.active_session()?;
        Some(session.model.tree.topic_name(session.tree_view.selected?))
    }

    /// Select a topic by name and reveal it in the tree.
    pub fn select_topic(&mut self, topic: &str) -> bool {
        let Some(session) = self.active_session_mut() else {
            return false;
        };
        let Some(id) = session.model.tree.find(topic) else {
            return false;
        };
        session.tree_view.reveal(&session.model.tree, id);
        true
    }

    /// Apply a batch as if it had arrived on the current connection (a detached session is made
    /// when there is none): for tests and demos.
    pub fn inject(&mut self, batch: Vec<Incoming>) {
        if self.sessions.is_empty() {
            let options = self
                .form
                .to_options()
                .unwrap_or_else(|_| ConnectOptions::new("localhost", 1883));
            let mut session = Session::detached(options);
            session
                .model
                .tree
                .set_history_budget(self.history_budget_bytes());
            self.sessions.push(session);
            self.active = 0;
        }
        if let Some(session) = self.active_session_mut() {
            session.apply(batch);
        }
    }

    fn history_budget_bytes(&self) -> usize {
        self.history_budget_mib as usize * 1024 * 1024
    }

    /// Give every connection the history budget now set, and remember it.
    fn apply_history_budget(&mut self) {
        let bytes = self.history_budget_bytes();
        for session in &mut self.sessions {
            session.model.tree.set_history_budget(bytes);
        }
        self.settings_dirty = true;
    }

    /// Set the history budget per connection, in MiB (at least 1).
    pub fn set_history_budget_mib(&mut self, mib: u32) {
        self.history_budget_mib = mib.max(1);
        self.apply_history_budget();
    }

    /// The process's resident memory, re-read at most once a second.
    fn resident_bytes(&mut self) -> Option<u64> {
        let now = Instant::now();
        match self.resident {
            Some((at, bytes)) if now.duration_since(at) < Duration::from_secs(1) => bytes,
            _ => {
                let bytes = crate::process::resident_bytes();
                self.resident = Some((now, bytes));
                bytes
            }
        }
    }

    /// Apply what the network reported, for at most a few milliseconds.
    pub fn pump_events(&mut self, ctx: &egui::Context) {
        if self.view == View::Broker {
            self.local.refresh_if_due(Instant::now(), false);
        }
        self.play_recordings(ctx);
        let Ok(manager) = &mut self.manager else {
            return;
        };
        let deadline = Instant::now() + EVENT_BUDGET;
        let mut published = Vec::new();
        while Instant::now() < deadline {
            let Some(event) = manager.events().try_recv() else {
                break;
            };
            let Some(session) = self
                .sessions
                .iter_mut()
                .find(|s| s.id == Some(event.connection))
            else {
                continue; // from a connection already closed or replaced
            };
            match event.kind {
                EventKind::State(state) => session.set_state(state),
                EventKind::Batch(batch) => {
                    session.apply(batch);
                    if let Some(report) = &mut self.applied_report
                        && report.check(&self.sessions)
                    {
                        self.applied_report = None;
                    }
                }
                EventKind::Subscribed(filters) => session.subscribed(filters),
                EventKind::Error(error) => session.notice(error.to_string()),
                EventKind::Published { ticket, result } => {
                    published.push((event.connection, ticket, result));
                }
            }
        }
        for (connection, ticket, result) in published {
            self.route_published(connection, ticket, result);
        }
        if deadline <= Instant::now() {
            // Out of time with events left: come back next frame.
            ctx.request_repaint();
        }
    }

    /// Hand the outcome of a publish to whoever sent it: the publish form, the retained-clear
    /// job, or (anything else that failed) the connection's notices.
    fn route_published(
        &mut self,
        connection: crate::net::ConnectionId,
        ticket: u64,
        result: Result<(), crate::net::NetError>,
    ) {
        let Some(index) = self.sessions.iter().position(|s| s.id == Some(connection)) else {
            return;
        };
        match self.publish_tickets.remove(&ticket) {
            Some(PublishTicket::Form) => {
                let description = self
                    .publish
                    .pending
                    .take_if(|(pending, _)| *pending == ticket)
                    .map(|(_, description)| description)
                    .unwrap_or_default();
                self.publish.outcome =
                    Some(result.map(|()| description).map_err(|e| e.to_string()));
            }
            Some(PublishTicket::RetainedClear) => {
                let (Some(job), Ok(manager)) = (&mut self.clearing, &mut self.manager) else {
                    return;
                };
                let session = &mut self.sessions[index];
                let (_, cleared) = job.on_published(ticket, &result);
                if let Some(topic) = cleared {
                    session.model.tree.forget_retained(&topic);
                }
                if let Some(id) = session.id {
                    for next in job.top_up(manager, id) {
                        self.publish_tickets
                            .insert(next, PublishTicket::RetainedClear);
                    }
                }
                if job.is_done() {
                    session.notice(job.summary());
                }
            }
            None => {
                if let Err(error) = result {
                    self.sessions[index].notice(error.to_string());
                }
            }
        }
    }
}

/// Who sent a publish, so its outcome goes back there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PublishTicket {
    /// The publish form.
    Form,
    /// The retained-clear job.
    RetainedClear,
}

impl eframe::App for CanopyApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.pump_events(ctx);
        if let Some(interval) = self
            .cpu_governor
            .observe(Instant::now(), crate::process::cpu_time)
        {
            tracing::debug!("data-driven frames now {} ms apart", interval.as_millis());
            self.repaint_gate.set_interval(interval);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
        if let Some(started) = self.first_frame_pending.take() {
            let elapsed = started.elapsed();
            tracing::info!(
                "first frame drawn {:.0} ms after start",
                elapsed.as_secs_f64() * 1000.0
            );
            // For the start-time benchmark: report and close after the first frame.
            if std::env::var_os("CANOPY_EXIT_AFTER_FIRST_FRAME").is_some() {
                println!(
                    "first frame {:.1} ms after process start",
                    elapsed.as_secs_f64() * 1000.0
                );
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::APP_ID;

    #[test]
    fn desktop_entry_matches_the_app_id() {
        let entry = include_str!("../../packaging/linux/io.github.canopymqtt.Canopy.desktop");
        let metainfo =
            include_str!("../../packaging/linux/io.github.canopymqtt.Canopy.metainfo.xml");
        assert!(metainfo.contains(&format!("<id>{APP_ID}</id>")));
        assert!(metainfo.contains(&format!(
            "<launchable type=\"desktop-id\">{APP_ID}.desktop</launchable>"
        )));
        assert!(metainfo.contains(&format!(
            "<release version=\"{}\"",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(
            entry
                .lines()
                .any(|l| l == format!("StartupWMClass={APP_ID}"))
        );
        assert!(entry.lines().any(|l| l == format!("Icon={APP_ID}")));
    }

    #[test]
    fn the_settings_default_budget_is_the_models() {
        assert_eq!(
            crate::settings::DEFAULT_HISTORY_BUDGET_MIB as usize * 1024 * 1024,
            crate::model::DEFAULT_HISTORY_BUDGET_BYTES
        );
    }
}
