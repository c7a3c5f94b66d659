//! Playing a recording: a thread of its own indexes the file, builds the model as it stood at
//! any message (the playhead), and streams the messages that follow it a few batches ahead of
//! the window. Moving the playhead never reads the file from its start: the state at message
//! `n` is the last message of every channel seen before the recent window, then the recent
//! window itself (at most [`WINDOW_MESSAGES`]), so a seek costs a few chunks whatever the
//! file's size, and memory stays within the model's history budget.

use super::RecordError;
use super::index::RecordingIndex;
use crate::model::{Incoming, Model};
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvError, Sender, TryRecvError, channel};
use std::time::{Duration, Instant, SystemTime};

/// Messages handed over at a time.
pub const BATCH: usize = 4096;

/// Batches streamed ahead of what the window has taken.
const AHEAD: u64 = 4;

/// Recent messages applied in full when the playhead moves; older topics contribute their last
/// message only.
pub const WINDOW_MESSAGES: u64 = 50_000;

/// What to build the model with.
#[derive(Clone, Copy, Debug)]
pub struct ModelShape {
    /// Messages kept per topic.
    pub history_limit: usize,
    /// Bytes of history kept in all.
    pub history_budget_bytes: usize,
}

impl ModelShape {
    fn model(self) -> Model {
        let mut model = Model::new(self.history_limit);
        model.tree.set_history_budget(self.history_budget_bytes);
        model
    }
}

/// Where to put the playhead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Before message `n` (counted from 0): messages `0..n` are applied.
    Message(u64),
    /// Before the first message received at or after this time.
    Time(SystemTime),
}

/// What the file's index says, once it is read.
#[derive(Clone, Debug)]
pub struct Opened {
    /// Messages in the recording.
    pub messages: u64,
    /// The first and last receive times.
    pub time_range: Option<(SystemTime, SystemTime)>,
    /// The index came from the file's summary (a properly closed file).
    pub from_summary: bool,
    /// Why the file could not be read to its end, when it could not.
    pub damage: Option<String>,
    /// How long indexing took.
    pub took: Duration,
}

/// What the player's thread reports. Events of an older seek than the latest carry its
/// generation, so they can be told apart and dropped.
pub enum PlayerEvent {
    /// The index is read.
    Opened(Opened),
    /// The file cannot be played.
    Failed(RecordError),
    /// The state with messages `0..position` applied.
    Positioned {
        #[expect(missing_docs, reason = "see the enum")]
        generation: u64,
        #[expect(missing_docs, reason = "see the variant")]
        position: u64,
        /// The model at the playhead.
        model: Box<Model>,
    },
    /// Messages following the playhead, numbered from `first`.
    Batch {
        #[expect(missing_docs, reason = "see the enum")]
        generation: u64,
        #[expect(missing_docs, reason = "see the variant")]
        first: u64,
        #[expect(missing_docs, reason = "see the variant")]
        messages: Vec<Incoming>,
    },
    /// No more messages follow (the end of the file, or a part that could not be read).
    End {
        #[expect(missing_docs, reason = "see the enum")]
        generation: u64,
        /// Why the stream ended early, when it did.
        error: Option<RecordError>,
    },
}

enum Request {
    Seek {
        generation: u64,
        target: Target,
    },
    /// The window took a batch: stream one more.
    More,
}

/// A recording being played; dropping it stops its thread.
pub struct Player {
    path: PathBuf,
    requests: Sender<Request>,
    events: Receiver<PlayerEvent>,
    generation: u64,
}

impl Player {
    /// Index `path` on a thread of its own; `wake` is called whenever an event is ready.
    pub fn open(
        path: &Path,
        shape: ModelShape,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (requests, requested) = channel();
        let (sender, events) = channel();
        let thread_path = path.to_owned();
        std::thread::Builder::new()
            .name("canopy-playback".to_owned())
            .spawn(move || {
                let mut thread = PlayerThread {
                    requested,
                    sender,
                    wake: Box::new(wake),
                    shape,
                };
                thread.run(&thread_path);
            })?;
        Ok(Self {
            path: path.to_owned(),
            requests,
            events,
            generation: 0,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Move the playhead; returns the generation its events will carry.
    pub fn seek(&mut self, target: Target) -> u64 {
        self.generation += 1;
        let _ = self.requests.send(Request::Seek {
            generation: self.generation,
            target,
        });
        self.generation
    }

    /// The generation of the latest seek: events of other generations are stale.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Tell the thread a batch was taken, so it streams another.
    pub fn took_batch(&self) {
        let _ = self.requests.send(Request::More);
    }

    /// The next event, if one is waiting.
    pub fn poll(&self) -> Option<PlayerEvent> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting for it up to `timeout` (for tests and headless use).
    pub fn wait(&self, timeout: Duration) -> Option<PlayerEvent> {
        self.events.recv_timeout(timeout).ok()
    }
}

struct PlayerThread {
    requested: Receiver<Request>,
    sender: Sender<PlayerEvent>,
    wake: Box<dyn Fn() + Send>,
    shape: ModelShape,
}

/// Why streaming stopped.
enum Interrupted {
    /// A newer seek arrived.
    Seek(u64, Target),
    /// The player was dropped.
    Closed,
}

impl PlayerThread {
    fn send(&self, event: PlayerEvent) -> Result<(), Interrupted> {
        self.sender.send(event).map_err(|_| Interrupted::Closed)?;
        (self.wake)();
        Ok(())
    }

    fn run(&mut self, path: &Path) {
        let started = Instant::now();
        let mut index = match RecordingIndex::open(path) {
            Ok(index) => index,
            Err(error) => {
                let _ = self.send(PlayerEvent::Failed(error));
                return;
            }
        };
        let opened = Opened {
            messages: index.messages(),
            time_range: index.time_range(),
            from_summary: index.from_summary(),
            damage: index.damage().map(str::to_owned),
            took: started.elapsed(),
        };
        if self.send(PlayerEvent::Opened(opened)).is_err() {
            return;
        }
        let mut next = self.next_seek();
        while let Some((generation, target)) = next {
            next = match self.play(&mut index, generation, target) {
                Ok(()) => self.next_seek(),
                Err(Interrupted::Seek(generation, target)) => Some((generation, target)),
                Err(Interrupted::Closed) => None,
            };
        }
    }

    /// Wait for the next seek (the latest, when several are waiting).
    fn next_seek(&self) -> Option<(u64, Target)> {
        loop {
            match self.requested.recv() {
                Ok(Request::Seek { generation, target }) => {
                    return Some(self.latest(generation, target));
                }
                Ok(Request::More) => {}
                Err(RecvError) => return None,
            }
        }
    }

    /// The latest seek among those waiting, starting from one already taken.
    fn latest(&self, mut generation: u64, mut target: Target) -> (u64, Target) {
        while let Ok(request) = self.requested.try_recv() {
            if let Request::Seek {
                generation: g,
                target: t,
            } = request
            {
                (generation, target) = (g, t);
            }
        }
        (generation, target)
    }

    /// Put the playhead at `target`, then stream what follows, a few batches ahead.
    fn play(
        &mut self,
        index: &mut RecordingIndex,
        generation: u64,
        target: Target,
    ) -> Result<(), Interrupted> {
        let position = match target {
            Target::Message(n) => n.min(index.messages()),
            Target::Time(time) => match index.message_at(time) {
                Ok(n) => n,
                Err(error) => return self.end(generation, Some(error)),
            },
        };
        let model = match state_at(index, position, self.shape) {
            Ok(model) => model,
            Err(error) => return self.end(generation, Some(error)),
        };
        self.send(PlayerEvent::Positioned {
            generation,
            position,
            model: Box::new(model),
        })?;
        self.stream(index, generation, position)
    }

    fn stream(
        &mut self,
        index: &mut RecordingIndex,
        generation: u64,
        position: u64,
    ) -> Result<(), Interrupted> {
        let mut credit = AHEAD;
        let Some(start) = index.segment_of(position) else {
            return self.end(generation, None);
        };
        for at in start..index.segments().len() {
            let first = index.segments()[at].first;
            let messages = match index.read_segment(at) {
                Ok(messages) => messages,
                Err(error) => return self.end(generation, Some(error)),
            };
            let skip = usize::try_from(position.saturating_sub(first)).unwrap_or(usize::MAX);
            let mut number = first + skip as u64;
            let mut messages = messages.into_iter().skip(skip).peekable();
            while messages.peek().is_some() {
                while credit == 0 {
                    credit += self.wait_for_credit()?;
                }
                let batch: Vec<Incoming> = messages.by_ref().take(BATCH).collect();
                let count = batch.len() as u64;
                self.send(PlayerEvent::Batch {
                    generation,
                    first: number,
                    messages: batch,
                })?;
                number += count;
                credit -= 1;
            }
        }
        self.end(generation, None)
    }

    /// Wait until the window takes a batch (or a newer seek arrives).
    fn wait_for_credit(&self) -> Result<u64, Interrupted> {
        match self.requested.recv() {
            Ok(Request::More) => Ok(1),
            Ok(Request::Seek { generation, target }) => {
                let (generation, target) = self.latest(generation, target);
                Err(Interrupted::Seek(generation, target))
            }
            Err(RecvError) => Err(Interrupted::Closed),
        }
    }

    fn end(&self, generation: u64, error: Option<RecordError>) -> Result<(), Interrupted> {
        self.send(PlayerEvent::End { generation, error })?;
        // A seek that arrived meanwhile is taken by the caller's next wait.
        match self.requested.try_recv() {
            Ok(Request::Seek { generation, target }) => {
                let (generation, target) = self.latest(generation, target);
                Err(Interrupted::Seek(generation, target))
            }
            Ok(Request::More) | Err(TryRecvError::Empty) => Ok(()),
            Err(TryRecvError::Disconnected) => Err(Interrupted::Closed),
        }
    }
}

/// The model as it stood before message `position`: the last message of every channel that
/// is quiet in the recent window, then the recent window (up to [`WINDOW_MESSAGES`] messages)
/// in full.
pub fn state_at(
    index: &mut RecordingIndex,
    position: u64,
    shape: ModelShape,
) -> Result<Model, RecordError> {
    let mut model = shape.model();
    if position == 0 {
        return Ok(model);
    }
    let Some(last) = index.segment_of(position - 1) else {
        return Ok(model);
    };
    let mut first = last;
    let window_start = position.saturating_sub(WINDOW_MESSAGES);
    while first > 0 && index.segments()[first - 1].first >= window_start {
        first -= 1;
    }
    let mut seen: FxHashSet<u16> = (first..=last)
        .flat_map(|at| index.message_channels(at).collect::<Vec<_>>())
        .collect();
    let backfill = backfill(index, first, &mut seen)?;
    apply(&mut model, backfill);
    for at in first..=last {
        let segment_first = index.segments()[at].first;
        let mut messages = index.read_segment(at)?;
        messages.truncate(usize::try_from(position - segment_first).unwrap_or(usize::MAX));
        apply(&mut model, messages);
    }
    Ok(model)
}

/// The last message of each channel not in `seen`, from the segments before `before`, in
/// receive order.
fn backfill(
    index: &mut RecordingIndex,
    before: usize,
    seen: &mut FxHashSet<u16>,
) -> Result<Vec<Incoming>, RecordError> {
    let channels = index.message_channel_count();
    let mut found: FxHashMap<u16, Incoming> = FxHashMap::default();
    for at in (0..before).rev() {
        if seen.len() >= channels {
            break;
        }
        let wanted: FxHashSet<u16> = index
            .message_channels(at)
            .filter(|id| !seen.contains(id))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        for (channel, message) in index.read_segment_channels(at)? {
            if wanted.contains(&channel) {
                found.insert(channel, message);
            }
        }
        seen.extend(wanted);
    }
    let mut messages: Vec<Incoming> = found.into_values().collect();
    messages.sort_by_key(|m| m.received_at);
    Ok(messages)
}

fn apply(model: &mut Model, messages: Vec<Incoming>) {
    let now = Instant::now();
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        model.apply(messages.by_ref().take(BATCH).collect(), now);
    }
}
