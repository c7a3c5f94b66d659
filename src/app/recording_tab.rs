//! A recording opened as a tab: its messages are read on a thread of their own and applied to
//! the tab's model in batches, like a connection's, so the tree, history, payload views, diffs
//! and charts work on it as if it were live. The tab is read-only (it has no connection).

use super::{CanopyApp, EVENT_BUDGET, Session, View, format};
use crate::model::Incoming;
use crate::net::ConnectOptions;
use crate::record::{Reader, RecordError, Summary};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Instant;

/// Messages handed to the window at a time.
const BATCH: usize = 4096;

/// Batches waiting for the window, at most: the reader waits for the window, never the
/// other way round, and memory stays bounded whatever the file's size.
const QUEUED_BATCHES: usize = 8;

/// What the reading thread sends.
pub enum Loaded {
    /// Messages in file order.
    Batch(Vec<Incoming>),
    /// The end of the file (or of what could be read), with what the reader found.
    Done(Summary),
    /// The file could not be opened.
    Failed(RecordError),
}

/// A recording being read into a tab.
pub struct RecordingLoad {
    /// The file.
    pub path: PathBuf,
    /// Messages applied so far.
    pub applied: u64,
    received: Receiver<Loaded>,
}

impl RecordingLoad {
    /// Start reading `path`; `wake` is called whenever something is ready.
    pub fn start(path: &Path, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (sender, received) = sync_channel(QUEUED_BATCHES);
        let thread_path = path.to_owned();
        std::thread::Builder::new()
            .name("canopy-recording-read".to_owned())
            .spawn(move || read(&thread_path, &sender, &wake))?;
        Ok(Self {
            path: path.to_owned(),
            applied: 0,
            received,
        })
    }

    /// The next thing the reader sent, if any is waiting.
    pub fn take(&mut self) -> Option<Loaded> {
        self.received.try_recv().ok()
    }
}

fn read(path: &Path, sender: &SyncSender<Loaded>, wake: &dyn Fn()) {
    let send = |loaded: Loaded| {
        let mut loaded = loaded;
        loop {
            match sender.try_send(loaded) {
                Ok(()) => {
                    wake();
                    return true;
                }
                Err(TrySendError::Full(back)) => {
                    // The window is busy applying: wake it and wait for room.
                    wake();
                    loaded = back;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
    };
    let mut reader = match Reader::open(path) {
        Ok(reader) => reader,
        Err(error) => {
            send(Loaded::Failed(error));
            return;
        }
    };
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(message) = reader.next_message() {
        batch.push(message);
        if batch.len() == BATCH && !send(Loaded::Batch(std::mem::take(&mut batch))) {
            return;
        }
    }
    if !batch.is_empty() && !send(Loaded::Batch(batch)) {
        return;
    }
    send(Loaded::Done(reader.summary().clone()));
}

impl CanopyApp {
    /// Open a recording in a new read-only tab; its messages are read on a thread and applied
    /// as they come.
    pub fn open_recording(&mut self, path: &std::path::Path, ctx: &egui::Context) {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut session = Session::detached(ConnectOptions::new(name.clone(), 0));
        session.name = Some(name);
        session.source = Some(path.to_owned());
        session
            .model
            .tree
            .set_history_budget(self.history_budget_bytes());
        let wake = ctx.clone();
        match RecordingLoad::start(path, move || wake.request_repaint()) {
            Ok(load) => session.recording_load = Some(load),
            Err(error) => session.notice(format!("Cannot read {}: {error}", path.display())),
        }
        self.sessions.push(session);
        self.active = self.sessions.len() - 1;
        self.view = View::Explorer;
    }

    /// Apply what the recordings being opened have read, within the frame's event budget.
    pub(super) fn load_recordings(&mut self, ctx: &egui::Context) {
        let deadline = Instant::now() + EVENT_BUDGET;
        for session in &mut self.sessions {
            while let Some(load) = &mut session.recording_load {
                if Instant::now() >= deadline {
                    ctx.request_repaint();
                    return;
                }
                let Some(loaded) = load.take() else {
                    break;
                };
                let text = match loaded {
                    Loaded::Batch(batch) => {
                        load.applied += batch.len() as u64;
                        session.apply(batch);
                        continue;
                    }
                    Loaded::Done(summary) => {
                        let mut text = format!(
                            "Opened {}: {}.",
                            load.path.display(),
                            format::count(summary.messages, "message", "messages")
                        );
                        if let Some(damage) = summary.damage {
                            text.push_str(&format!(" Note: {damage}."));
                        }
                        text
                    }
                    Loaded::Failed(error) => format!("Not opened: {error}"),
                };
                session.recording_load = None;
                session.notice(text);
            }
        }
    }
}
