//! What the window does when asked: publish, clear retained messages, export a chart, run the
//! latency probe, and carry out the Broker panel's requests.

use super::export_ui::{ExportPlan, ExportProgress};
use super::{
    BrokerAction, CanopyApp, PublishForm, PublishTicket, View, fallback_folder, format,
    local_broker,
};
use crate::net::{ClearRequest, RetainedClear};
use crate::net::{Command, ConnectOptions, OutgoingMessage};
use std::sync::Arc;
use std::time::Instant;

impl CanopyApp {
    /// Turn the current connection's latency probe on or off, subscribing to its topic when
    /// the connection's filters do not already cover it.
    pub fn set_probe(&mut self, enabled: bool) {
        let Some(session) = self.sessions.get_mut(self.active) else {
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

    /// Publish each connection's latency probe when one is due, and come back for the next.
    pub(super) fn run_probes(&mut self, ctx: &egui::Context) {
        let Ok(manager) = &mut self.manager else {
            return;
        };
        let now = Instant::now();
        for session in &mut self.sessions {
            let Some(id) = session.id.filter(|_| session.state.is_connected()) else {
                continue;
            };
            if let Some(message) = session.probe.due(now) {
                manager.publish(id, message);
            }
            if let Some(next) = session.probe.next_at() {
                ctx.request_repaint_after(next.saturating_duration_since(now));
            }
        }
    }

    /// Ask where to save the chart's data, and write it as CSV.
    pub fn export_chart(&mut self) {
        let Some(session) = self.sessions.get_mut(self.active) else {
            return;
        };
        let suggested = format!(
            "canopy-chart-{}.csv",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let fallback = !self.file_picker.available();
        let path = if fallback {
            fallback_folder().join(&suggested)
        } else {
            let Some(path) = self
                .file_picker
                .save_file("Export chart data as CSV", &suggested)
            else {
                return;
            };
            path
        };
        let csv = session.chart.to_csv();
        let rows = csv.lines().count().saturating_sub(1);
        session.notice(
            match crate::settings::write_atomically(&path, csv.as_bytes()) {
                Ok(()) if fallback => format!(
                    "No file dialog on this system: exported {rows} samples to {}.",
                    path.display()
                ),
                Ok(()) => format!("Exported {rows} samples to {}.", path.display()),
                Err(error) => format!("Cannot write {}: {error}", path.display()),
            },
        );
    }

    /// Begin clearing retained messages on the current connection.
    pub fn start_clear(&mut self, request: ClearRequest) {
        let (Ok(manager), Some(session)) = (&mut self.manager, self.sessions.get_mut(self.active))
        else {
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
        for ticket in job.top_up(manager, id) {
            self.publish_tickets
                .insert(ticket, PublishTicket::RetainedClear);
        }
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
    pub fn publish(&mut self, message: OutgoingMessage) -> bool {
        let target = match (&mut self.manager, self.sessions.get(self.active)) {
            (Ok(manager), Some(session)) if session.state.is_connected() => {
                session.id.map(|id| (manager, id))
            }
            _ => None,
        };
        let Some((manager, id)) = target else {
            self.publish.outcome = Some(Err("Not connected: connect to a broker first".to_owned()));
            return false;
        };
        let description = format!(
            "Published {} to {} (QoS {}{})",
            format::bytes(message.payload.len() as u64),
            message.topic,
            message.qos.level(),
            if message.retain { ", retained" } else { "" }
        );
        let ticket = manager.publish(id, message.clone());
        self.publish_tickets.insert(ticket, PublishTicket::Form);
        self.publish.pending = Some((ticket, description));
        self.publish.outcome = None;
        self.publish.remember(message);
        true
    }

    /// The publish panel's state.
    pub fn publish_form_mut(&mut self) -> &mut PublishForm {
        &mut self.publish
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
                        message: error.to_string(),
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

    /// Start recording the shown connection to a file the user picks (the default folder when
    /// there is no file dialog), or stop the running recording (closed on a worker thread).
    pub(super) fn toggle_recording(&mut self, ctx: &egui::Context) {
        let Some(session) = self.sessions.get_mut(self.active) else {
            return;
        };
        let session_id = session.id;
        let tap_on = |manager: &crate::net::ConnectionManager, tap| {
            if let Some(id) = session_id {
                manager.send(crate::net::Command::SetTap { id, tap });
            }
        };
        if let Some(recording) = session.recording.take() {
            let key = session.key;
            if let Ok(manager) = &self.manager {
                tap_on(manager, None);
            }
            self.recording_stops
                .get_or_insert_with(|| super::worker::Worker::new("canopy-recording-stop"))
                .run(ctx, move || (key, recording.stop()));
            return;
        }
        let host: String = session
            .options
            .host
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let suggested = format!(
            "canopy-{host}-{}.mcap",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let path = if self.file_picker.available() {
            let Some(path) = self.file_picker.save_file("Record traffic to", &suggested) else {
                return;
            };
            path
        } else {
            fallback_folder().join(&suggested)
        };
        self.start_recording(&path);
    }

    /// Record the shown connection to `path`, fed on the network thread (before anything
    /// could be dropped for a window that fell behind).
    pub fn start_recording(&mut self, path: &std::path::Path) {
        let Some(session) = self.sessions.get_mut(self.active) else {
            return;
        };
        match crate::record::Recorder::start(path, Vec::new()) {
            Ok(recording) => {
                let feeder = recording.feeder();
                let tap = crate::net::Tap(std::sync::Arc::new(move |batch| feeder.record(batch)));
                if let (Ok(manager), Some(id)) = (&self.manager, session.id) {
                    manager.send(crate::net::Command::SetTap { id, tap: Some(tap) });
                }
                session.notice(format!("Recording to {}.", path.display()));
                session.recording = Some(recording);
            }
            Err(error) => session.notice(format!("Not recording: {error}")),
        }
    }

    /// Say how each recording that was stopped ended.
    pub(super) fn recordings_closed(&mut self) {
        while let Some((key, result)) = self
            .recording_stops
            .as_mut()
            .and_then(super::worker::Worker::take)
        {
            let text = match result {
                Ok(stats) => format!(
                    "Recorded {} to {} ({}{}).",
                    super::format::count(stats.messages, "message", "messages"),
                    stats.path.display(),
                    super::format::bytes(stats.file_bytes),
                    if stats.dropped > 0 {
                        format!(", {} not written: the disk fell behind", stats.dropped)
                    } else {
                        String::new()
                    }
                ),
                Err(error) => format!("The recording failed: {error}"),
            };
            match self.sessions.iter_mut().find(|s| s.key == key) {
                Some(session) => session.notice(text),
                None => tracing::info!("{text}"),
            }
        }
    }

    /// Ask where to write `plan`, then export on a worker thread; its progress shows in the
    /// status bar and the outcome comes back as a notice.
    pub(super) fn start_export(&mut self, mut plan: ExportPlan, ctx: &egui::Context) {
        let Some(session) = self.sessions.get_mut(self.active) else {
            return;
        };
        if plan.total() == 0 {
            session.notice(format!("Nothing to export for {}.", plan.scope));
            return;
        }
        let extension = match plan.format {
            crate::record::ExportFormat::Csv => "csv",
            crate::record::ExportFormat::JsonLines => "jsonl",
        };
        let suggested = format!(
            "canopy-export-{}.{extension}",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let path = if self.file_picker.available() {
            let Some(path) = self.file_picker.save_file("Export messages", &suggested) else {
                return;
            };
            path
        } else {
            fallback_folder().join(&suggested)
        };
        // A name ending in .csv or .jsonl says which format the user wants.
        plan.format = crate::record::ExportFormat::from_path(&path).unwrap_or(plan.format);
        session.notice(format!("Exporting {} to {}…", plan.scope, path.display()));
        let progress = ExportProgress {
            path: path.clone(),
            scanned: Arc::default(),
            total: plan.total(),
            stop: Arc::default(),
        };
        let (scanned, stop) = (progress.scanned.clone(), progress.stop.clone());
        self.export_progress.push_back(progress);
        let key = session.key;
        self.exports
            .get_or_insert_with(|| super::worker::Worker::new("canopy-export"))
            .run(ctx, move || {
                let text = match plan.run(&path, &scanned, &stop) {
                    Ok(done) if stop.load(std::sync::atomic::Ordering::Relaxed) => format!(
                        "Export stopped: {} written to {}.",
                        super::format::count(done.messages, "message", "messages"),
                        path.display()
                    ),
                    Ok(done) => format!(
                        "Exported {} to {}.",
                        super::format::count(done.messages, "message", "messages"),
                        path.display()
                    ),
                    Err(error) => format!("Not exported: {error}"),
                };
                (key, text)
            });
    }

    /// Say how each export ended.
    pub(super) fn exports_done(&mut self) {
        while let Some((key, text)) = self.exports.as_mut().and_then(super::worker::Worker::take) {
            // Exports finish in the order they started.
            self.export_progress.pop_front();
            if let Some(session) = self.sessions.iter_mut().find(|s| s.key == key) {
                session.notice(text);
            }
        }
    }
}
