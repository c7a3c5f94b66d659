//! Exporting messages from the window to CSV or JSON Lines: a dialog for the time range and the
//! format, then the export on a worker thread with its progress in the status bar. A live
//! connection exports what it keeps in memory; a recording's tab exports from the file, so
//! every recorded message in the range is written, not only those the tab holds.

use super::cells::labelled_field;
use super::format;
use super::recording_tab::parse_jump_time;
use crate::model::Incoming;
use crate::mqtt::TopicFilter;
use crate::record::{ExportFormat, Exported, Reader, RecordError};
use rustc_hash::FxHashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

/// Which topics of a recording file are exported.
#[derive(Clone, Debug)]
pub enum TopicSelection {
    /// Every topic.
    All,
    /// A topic and every topic below it.
    Under(TopicFilter),
    /// Exactly these topics (those matching the tree's filter).
    Exact(FxHashSet<String>),
}

impl TopicSelection {
    fn matches(&self, topic: &str) -> bool {
        match self {
            TopicSelection::All => true,
            TopicSelection::Under(filter) => filter.matches(topic),
            TopicSelection::Exact(topics) => topics.contains(topic),
        }
    }
}

/// Where the exported messages come from.
pub enum ExportSource {
    /// The messages a connection keeps in memory, oldest first.
    Kept(Vec<Incoming>),
    /// A recording file: every message of these topics in it.
    File {
        path: PathBuf,
        topics: TopicSelection,
        /// Messages in the file, for the progress bar.
        total: u64,
        /// The recording's first receive time, for times typed as `+SECS`.
        start: Option<SystemTime>,
    },
}

impl ExportSource {
    fn start(&self) -> SystemTime {
        match self {
            ExportSource::Kept(messages) => messages.iter().map(|m| m.received_at).min(),
            ExportSource::File { start, .. } => *start,
        }
        .unwrap_or(std::time::UNIX_EPOCH)
    }
}

/// The Export dialog.
pub struct ExportDialog {
    /// What is exported, in words ("plant/line1 and below").
    pub scope: String,
    source: ExportSource,
    /// Only messages between `from` and `to`.
    pub limit_time: bool,
    pub from: String,
    pub to: String,
    pub format: ExportFormat,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

/// What the dialog asks for.
pub enum ExportAction {
    /// Pick a file and export.
    Export(ExportPlan),
    /// Close the dialog.
    Cancel,
}

/// An export, ready to run.
pub struct ExportPlan {
    pub scope: String,
    pub format: ExportFormat,
    source: ExportSource,
    from: Option<SystemTime>,
    to: Option<SystemTime>,
}

impl ExportDialog {
    /// A dialog for exporting `source`.
    pub fn new(scope: String, source: ExportSource) -> Self {
        Self {
            scope,
            source,
            limit_time: false,
            from: String::new(),
            to: String::new(),
            format: ExportFormat::Csv,
            error: None,
        }
    }

    /// The time range typed, checked.
    fn range(&self) -> Result<(Option<SystemTime>, Option<SystemTime>), String> {
        let start = self.source.start();
        let time = |text: &str| -> Result<Option<SystemTime>, String> {
            if !self.limit_time || text.trim().is_empty() {
                Ok(None)
            } else {
                parse_jump_time(text, start).map(Some)
            }
        };
        let (from, to) = (time(&self.from)?, time(&self.to)?);
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            return Err("The end of the range is not after its start.".to_owned());
        }
        Ok((from, to))
    }
}

/// Draw the dialog; `Some` when the user exports or cancels. A refused range stays in the
/// dialog with its reason.
pub fn export_dialog_ui(
    ctx: &egui::Context,
    slot: &mut Option<ExportDialog>,
) -> Option<ExportAction> {
    let dialog = slot.as_mut()?;
    let mut asked = None;
    let mut open = true;
    egui::Window::new("Export messages")
        .open(&mut open)
        .resizable(false)
        .collapsible(false)
        .show(ctx, |ui| asked = dialog_body_ui(ui, dialog));
    if !open {
        asked = Some(false);
    }
    match asked {
        Some(true) => match dialog.range() {
            Ok((from, to)) => {
                let dialog = slot.take()?;
                Some(ExportAction::Export(ExportPlan {
                    scope: dialog.scope,
                    format: dialog.format,
                    source: dialog.source,
                    from,
                    to,
                }))
            }
            Err(error) => {
                dialog.error = Some(error);
                None
            }
        },
        Some(false) => {
            *slot = None;
            Some(ExportAction::Cancel)
        }
        None => None,
    }
}

/// The dialog's fields; `Some(true)` to export, `Some(false)` to cancel.
fn dialog_body_ui(ui: &mut egui::Ui, dialog: &mut ExportDialog) -> Option<bool> {
    ui.label(format!("Topics: {}", dialog.scope));
    ui.label(match &dialog.source {
        ExportSource::Kept(messages) => format!(
            "From memory: the {} this connection keeps.",
            format::count(messages.len() as u64, "message", "messages")
        ),
        ExportSource::File { path, total, .. } => format!(
            "From the recording {} ({} in all, not only those shown).",
            path.display(),
            format::count(*total, "message", "messages")
        ),
    });
    ui.checkbox(&mut dialog.limit_time, "Only messages received between");
    ui.add_enabled_ui(dialog.limit_time, |ui| {
        ui.horizontal(|ui| {
            labelled_field(
                ui,
                "From",
                &mut dialog.from,
                "start; or 14:03:07, +90",
                170.0,
            );
            labelled_field(ui, "to", &mut dialog.to, "end; or 14:05", 170.0);
        });
    });
    ui.horizontal(|ui| {
        ui.label("Format");
        ui.radio_value(&mut dialog.format, ExportFormat::Csv, "CSV");
        ui.radio_value(&mut dialog.format, ExportFormat::JsonLines, "JSON Lines");
    });
    if let Some(error) = &dialog.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    ui.horizontal(|ui| {
        if ui.button("Export to a file…").clicked() {
            return Some(true);
        }
        ui.button("Cancel").clicked().then_some(false)
    })
    .inner
}

/// An export running on the worker: how far it got, and a way to stop it.
pub struct ExportProgress {
    /// The file being written.
    pub path: PathBuf,
    /// Messages gone through (read from the file, or taken from memory).
    pub scanned: Arc<AtomicU64>,
    /// Messages to go through in all.
    pub total: u64,
    /// Set to stop early.
    pub stop: Arc<AtomicBool>,
}

/// Why an export did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The recording could not be read.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The file could not be written.
    #[error("cannot write {}: {reason}", path.display())]
    Write {
        path: PathBuf,
        reason: std::io::Error,
    },
}

impl ExportPlan {
    /// The messages to go through, for the progress bar.
    pub fn total(&self) -> u64 {
        match &self.source {
            ExportSource::Kept(messages) => messages.len() as u64,
            ExportSource::File { total, .. } => *total,
        }
    }

    /// Write the export to `path` (on the worker), counting into `scanned`, stopping early when
    /// `stop` is set.
    pub fn run(
        self,
        path: &Path,
        scanned: &AtomicU64,
        stop: &AtomicBool,
    ) -> Result<Exported, ExportError> {
        let (from, to) = (self.from, self.to);
        let in_range = move |m: &Incoming| {
            from.is_none_or(|from| m.received_at >= from) && to.is_none_or(|to| m.received_at < to)
        };
        let count = |m: Incoming| {
            scanned.fetch_add(1, Ordering::Relaxed);
            m
        };
        let until_stopped = |_: &Incoming| !stop.load(Ordering::Relaxed);
        let write_error = |reason| ExportError::Write {
            path: path.to_owned(),
            reason,
        };
        let file = std::fs::File::create(path).map_err(write_error)?;
        let mut out = std::io::BufWriter::new(file);
        match self.source {
            ExportSource::Kept(messages) => {
                let messages = messages
                    .into_iter()
                    .map(count)
                    .take_while(until_stopped)
                    .filter(in_range);
                crate::record::export(messages, self.format, &mut out, &mut |_| {})
            }
            ExportSource::File {
                path: input,
                topics,
                ..
            } => {
                let mut reader = Reader::open(&input)?;
                let messages = std::iter::from_fn(|| reader.next_message())
                    .map(count)
                    .take_while(until_stopped)
                    .filter(in_range)
                    .filter(|m| topics.matches(&m.topic));
                crate::record::export(messages, self.format, &mut out, &mut |_| {})
            }
        }
        .map_err(write_error)
    }
}
