//! Replaying an open recording into a broker from the window: a dialog to choose where (any
//! open connection's broker, or the bundled broker), how fast, which topics and under which
//! prefix; the replay runs on a thread of its own over a connection of its own and reports
//! what the broker acknowledged.

use super::cells::labelled_field;
use super::format;
use crate::mqtt::TopicFilter;
use crate::net::ConnectOptions;
use crate::record::{Pace, ReplayOptions, ReplayReport};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// A broker a recording can be replayed into.
#[derive(Clone, Debug)]
pub struct ReplayTarget {
    /// What the list shows: the tab's name and address.
    pub name: String,
    /// How to reach it.
    pub connect: ConnectOptions,
}

/// The pace offered in the dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplayPace {
    /// As recorded.
    #[default]
    Recorded,
    /// Ten times as fast.
    Ten,
    /// As fast as the broker takes them.
    Max,
}

/// The dialog's fields and the replay it started.
#[derive(Default)]
pub struct ReplayDialog {
    /// Whether the dialog is shown.
    pub open: bool,
    /// The chosen target's name.
    pub target: Option<String>,
    /// How fast.
    pub pace: ReplayPace,
    /// Topic filters, separated by spaces or commas; empty for all.
    pub filters: String,
    /// Put every topic under this.
    pub prefix: String,
    /// Start again at the end, until stopped.
    pub repeat: bool,
    /// Why the last start was refused.
    pub error: Option<String>,
    /// The replay running or last run.
    pub job: Option<ReplayJob>,
}

/// A replay running on its own thread.
pub struct ReplayJob {
    /// Where to.
    pub target: String,
    /// Messages in the recording.
    pub total: u64,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Progress>>,
}

#[derive(Default)]
struct Progress {
    report: ReplayReport,
    /// The replay ended: `Ok` with its last report, or why it stopped.
    outcome: Option<Result<(), String>>,
}

impl ReplayJob {
    /// Start replaying on a thread; `wake` is called with each progress report.
    pub fn start(
        options: ReplayOptions,
        target: String,
        total: u64,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Mutex::new(Progress::default()));
        let (thread_stop, thread_shared) = (stop.clone(), shared.clone());
        std::thread::Builder::new()
            .name("canopy-replay".to_owned())
            .spawn(move || {
                let lock = || thread_shared.lock().unwrap_or_else(PoisonError::into_inner);
                let mut progress = |report: &ReplayReport| {
                    lock().report = report.clone();
                    wake();
                };
                let result = crate::record::replay(&options, &thread_stop, &mut progress);
                let mut shared = lock();
                match result {
                    Ok(report) => {
                        shared.report = report;
                        shared.outcome = Some(Ok(()));
                    }
                    Err(error) => shared.outcome = Some(Err(error.to_string())),
                }
                drop(shared);
                wake();
            })?;
        Ok(Self {
            target,
            total,
            stop,
            shared,
        })
    }

    /// Ask the replay to stop; it ends after the messages already sent are acknowledged.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The latest report, and the outcome once the replay ended.
    pub fn progress(&self) -> (ReplayReport, Option<Result<(), String>>) {
        let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        (shared.report.clone(), shared.outcome.clone())
    }

    /// Whether it still runs.
    pub fn is_running(&self) -> bool {
        self.progress().1.is_none()
    }
}

impl Drop for ReplayJob {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the dialog asks for.
#[derive(Debug)]
pub enum ReplayAction {
    /// Start replaying with these options into the named target.
    Start(Box<ReplayOptions>, String),
    /// Stop the running replay.
    Stop,
    /// Start the bundled broker, to replay into it.
    StartBroker,
}

/// Draw the dialog (when open).
pub fn replay_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut ReplayDialog,
    targets: &[ReplayTarget],
    file: &std::path::Path,
    broker_running: bool,
) -> Option<ReplayAction> {
    let mut open = dialog.open;
    let mut action = None;
    egui::Window::new("Replay into a broker")
        .open(&mut open)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| {
            action = dialog_body_ui(ui, dialog, targets, file, broker_running);
        });
    dialog.open = open;
    action
}

fn dialog_body_ui(
    ui: &mut egui::Ui,
    dialog: &mut ReplayDialog,
    targets: &[ReplayTarget],
    file: &std::path::Path,
    broker_running: bool,
) -> Option<ReplayAction> {
    if let Some(job) = &dialog.job
        && job.is_running()
    {
        return running_ui(ui, job);
    }
    if dialog
        .target
        .as_ref()
        .is_none_or(|name| !targets.iter().any(|t| &t.name == name))
    {
        dialog.target = targets.first().map(|t| t.name.clone());
    }
    let mut action = None;
    form_ui(ui, dialog, targets);
    ui.checkbox(&mut dialog.repeat, "Loop until stopped");
    if targets.is_empty() {
        ui.weak("No broker is open: connect to one, or start the bundled broker.");
    }
    ui.horizontal(|ui| {
        if !broker_running
            && ui
                .button("Start the bundled broker")
                .on_hover_text("Start Canopy's own broker (Broker view) to replay into it")
                .clicked()
        {
            action = Some(ReplayAction::StartBroker);
        }
        let ready = dialog.target.is_some();
        if ui
            .add_enabled(ready, egui::Button::new("Start replay"))
            .clicked()
        {
            match options(dialog, targets, file) {
                Ok((options, name)) => {
                    dialog.error = None;
                    action = Some(ReplayAction::Start(Box::new(options), name));
                }
                Err(error) => dialog.error = Some(error),
            }
        }
    });
    if let Some(error) = &dialog.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if let Some(job) = &dialog.job {
        ui.separator();
        finished_ui(ui, job);
    }
    action
}

/// Where to, how fast, which topics, under which prefix.
fn form_ui(ui: &mut egui::Ui, dialog: &mut ReplayDialog, targets: &[ReplayTarget]) {
    egui::Grid::new("replay_form")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Into");
            egui::ComboBox::from_id_salt("replay_target")
                .selected_text(dialog.target.as_deref().unwrap_or("no broker open"))
                .width(320.0)
                .show_ui(ui, |ui| {
                    for target in targets {
                        ui.selectable_value(
                            &mut dialog.target,
                            Some(target.name.clone()),
                            &target.name,
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            ui.label("Pace");
            ui.horizontal(|ui| {
                ui.radio_value(&mut dialog.pace, ReplayPace::Recorded, "As recorded");
                ui.radio_value(&mut dialog.pace, ReplayPace::Ten, "10×");
                ui.radio_value(
                    &mut dialog.pace,
                    ReplayPace::Max,
                    "As fast as the broker takes them",
                );
            });
            ui.end_row();
            let hint = "all; or filters such as home/# plant/+/temp";
            labelled_field(ui, "Topics", &mut dialog.filters, hint, 320.0);
            ui.end_row();
            let hint = "none; or replay/ to publish under replay/…";
            labelled_field(ui, "Prefix", &mut dialog.prefix, hint, 320.0);
            ui.end_row();
        });
}

fn running_ui(ui: &mut egui::Ui, job: &ReplayJob) -> Option<ReplayAction> {
    let (report, _) = job.progress();
    ui.label(format!("Replaying into {}", job.target));
    ui.add(
        egui::ProgressBar::new(report.published as f32 / job.total.max(1) as f32)
            .show_percentage()
            .desired_width(360.0),
    );
    ui.label(progress_line(&report, job.total));
    ui.ctx().request_repaint_after(Duration::from_millis(250));
    ui.button("Stop replay")
        .clicked()
        .then_some(ReplayAction::Stop)
}

fn finished_ui(ui: &mut egui::Ui, job: &ReplayJob) {
    let (report, outcome) = job.progress();
    match outcome {
        Some(Ok(())) => {
            ui.label(format!(
                "Replay into {} finished: {}",
                job.target,
                progress_line(&report, job.total)
            ));
        }
        Some(Err(error)) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Replay into {} stopped: {error}", job.target),
            );
            ui.label(progress_line(&report, job.total));
        }
        None => {}
    }
}

/// "1,234 of 10,000 published: 1,230 acknowledged, 0 failed".
pub fn progress_line(report: &ReplayReport, total: u64) -> String {
    let mut line = format!(
        "{} of {} published: {} acknowledged, {} failed",
        format::thousands(report.published),
        format::thousands(total),
        format::thousands(report.acknowledged),
        format::thousands(report.failed)
    );
    if let Some(reason) = &report.first_failure {
        line.push_str(&format!(" (first: {reason})"));
    }
    if report.properties_dropped > 0 {
        line.push_str(&format!(
            "; MQTT 5 properties of {} left off (MQTT 3.1.1 connection)",
            format::count(report.properties_dropped, "message", "messages")
        ));
    }
    line
}

/// The engine's options from the dialog's fields; a bad filter is named.
fn options(
    dialog: &ReplayDialog,
    targets: &[ReplayTarget],
    file: &std::path::Path,
) -> Result<(ReplayOptions, String), String> {
    let target = dialog
        .target
        .as_ref()
        .and_then(|name| targets.iter().find(|t| &t.name == name))
        .ok_or_else(|| "Choose a broker to replay into.".to_owned())?;
    let filters = dialog
        .filters
        .split([' ', ','])
        .filter(|f| !f.is_empty())
        .map(|f| TopicFilter::new(f).map_err(|e| format!("Topics: '{f}' {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let prefix = dialog.prefix.trim();
    if prefix.contains(['+', '#']) {
        return Err(format!(
            "Prefix: '{prefix}' contains a wildcard; topics cannot"
        ));
    }
    let options = ReplayOptions {
        input: PathBuf::from(file),
        connect: target.connect.clone(),
        pace: match dialog.pace {
            ReplayPace::Recorded => Pace::Speed(1.0),
            ReplayPace::Ten => Pace::Speed(10.0),
            ReplayPace::Max => Pace::Max,
        },
        repeat: dialog.repeat,
        filters,
        prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
    };
    Ok((options, target.name.clone()))
}
