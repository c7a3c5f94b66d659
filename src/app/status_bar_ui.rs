//! The status bar: state, message rate, topic and message counts, and anything dropped.

use super::connection_ui::{short_state_text, state_text};
use super::format;
use super::session::Session;
use egui::{Color32, RichText};
use std::time::{Instant, SystemTime};

/// What the process holds, for the memory readout.
pub struct MemoryInfo<'a> {
    /// Resident memory of the whole process, if known.
    pub resident_bytes: Option<u64>,
    /// The history budget per connection, in MiB, which the user may change here.
    pub budget_mib: &'a mut u32,
}

/// Draw the status bar. Returns true when the user changed the history budget.
pub fn status_bar_ui(
    ui: &mut egui::Ui,
    session: Option<&mut Session>,
    manager_error: Option<&str>,
    clearing: Option<&crate::net::RetainedClear>,
    memory: MemoryInfo<'_>,
) -> bool {
    let mut budget_changed = false;
    ui.horizontal(|ui| {
        budget_changed = memory_ui(ui, session.as_deref(), memory);
        ui.separator();
        if let Some(error) = manager_error {
            ui.label(RichText::new(error).color(super::colors::adapt(
                Color32::from_rgb(230, 90, 80),
                ui.visuals(),
            )));
            return;
        }
        let Some(session) = session else {
            ui.weak("Not connected. Enter a broker above and press Connect.");
            return;
        };
        let now = Instant::now();
        let (state, color) = state_text(session, now);
        ui.label(
            RichText::new(short_state_text(session))
                .color(super::colors::adapt(color, ui.visuals())),
        )
        .on_hover_text(state);
        ui.separator();
        let rate = session.model.message_rate.rate_per_sec(now);
        ui.label(format::rate(rate));
        ui.separator();
        let tree = &session.model.tree;
        ui.label(format::count(tree.topic_count() as u64, "topic", "topics"));
        ui.separator();
        ui.label(format!(
            "{} ({})",
            format::count(tree.total_messages(), "message", "messages"),
            format::bytes(tree.total_payload_bytes())
        ));
        dropped_ui(ui, session);
        if let Some(playback) = session.playback.as_ref().filter(|p| p.opened.is_none()) {
            ui.separator();
            ui.label(format!("Indexing {}…", playback.path().display()));
        }
        if let Some(recording) = &session.recording {
            ui.separator();
            recording_ui(ui, &recording.stats());
        }
        if let Some(job) = clearing.filter(|job| !job.is_done()) {
            ui.separator();
            ui.add(
                egui::ProgressBar::new(job.cleared as f32 / job.total.max(1) as f32)
                    .desired_width(120.0),
            );
            ui.label(job.summary());
        }
        notice_ui(ui, session);
    });
    budget_changed
}

/// The latest notice (all of them on hover).
fn notice_ui(ui: &mut egui::Ui, session: &Session) {
    if let Some(last) = session.notices.back() {
        ui.separator();
        let all: Vec<String> = session
            .notices
            .iter()
            .rev()
            .map(|n| format!("{}  {}", format::clock(n.at), n.text))
            .collect();
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "{} ({})",
                    last.text,
                    format::age(last.at, SystemTime::now())
                ))
                .color(super::colors::adapt(
                    Color32::from_rgb(230, 160, 60),
                    ui.visuals(),
                )),
            )
            .truncate(),
        )
        .on_hover_text(all.join("\n"));
    }
}

/// "Memory 84 MB" with a menu: the history's share and its budget.
fn memory_ui(ui: &mut egui::Ui, session: Option<&Session>, memory: MemoryInfo<'_>) -> bool {
    let mut changed = false;
    let label = match memory.resident_bytes {
        Some(bytes) => format!("Memory {}", format::bytes(bytes)),
        None => "Memory".to_owned(),
    };
    ui.menu_button(label, |ui| {
        ui.weak(
            "Resident memory of the whole Canopy process: window, renderer, connections, and the \
             bundled broker and demo fleet when they run.",
        );
        if let Some(session) = session {
            let tree = &session.model.tree;
            ui.label(format!(
                "History of this connection: {} in {}, of {} allowed",
                format::bytes(tree.history_bytes() as u64),
                format::count(tree.history_messages() as u64, "message", "messages"),
                format::bytes(tree.history_budget() as u64)
            ));
        }
        ui.horizontal(|ui| {
            let label = ui.label("History budget per connection (MiB)");
            changed = ui
                .add(egui::DragValue::new(memory.budget_mib).range(1..=65_536))
                .labelled_by(label.id)
                .changed();
        });
        ui.weak(
            "Past the budget the oldest messages go first; each topic keeps its newest message.",
        );
    });
    changed
}

/// The running recording: time, messages, bytes and the file; anything not written in red.
fn recording_ui(ui: &mut egui::Ui, stats: &crate::record::RecordStats) {
    let name = stats.path.file_name().map_or_else(
        || stats.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ui.label(
        RichText::new(format!(
            "Recording {} · {} · {} to {name}",
            format::duration(stats.elapsed),
            format::count(stats.messages, "message", "messages"),
            format::bytes(stats.file_bytes)
        ))
        .color(super::colors::adapt(
            Color32::from_rgb(230, 90, 80),
            ui.visuals(),
        )),
    )
    .on_hover_text(stats.path.display().to_string());
    if stats.dropped > 0 || stats.error.is_some() {
        let why = stats
            .error
            .as_deref()
            .unwrap_or("the disk is not keeping up");
        ui.label(
            RichText::new(format!(
                "{} not written: {why}",
                format::thousands(stats.dropped)
            ))
            .strong()
            .color(super::colors::adapt(
                Color32::from_rgb(230, 90, 80),
                ui.visuals(),
            )),
        );
    }
}

/// Messages the window could not keep up with, if any.
fn dropped_ui(ui: &mut egui::Ui, session: &Session) {
    let dropped = session.stats.dropped_messages();
    if dropped > 0 {
        ui.separator();
        ui.label(
            RichText::new(format!("{} dropped", format::thousands(dropped))).color(
                super::colors::adapt(Color32::from_rgb(230, 90, 80), ui.visuals()),
            ),
        )
        .on_hover_text(
            "The window fell behind the network: these messages were received and counted \
             but not added to the tree.",
        );
    }
}
