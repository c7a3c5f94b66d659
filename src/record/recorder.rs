//! Recording off the hot path: the network or GUI thread hands batches over and returns; a
//! thread of the recorder's own writes them. If the disk cannot keep up, what could not be
//! queued is counted and said, never held without bound.

use super::{McapWriter, RecordError};
use crate::model::Incoming;
use crate::mqtt::TopicFilter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Most messages waiting for the writer thread before further ones are dropped (and counted).
const QUEUE_MESSAGES: usize = 512 * 1024;

/// Most payload bytes waiting for the writer thread.
const QUEUE_BYTES: usize = 256 * 1024 * 1024;

/// How often the writer closes its chunk, so a crash loses at most this much.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What the writer thread is sent.
enum Job {
    Batch(Vec<Incoming>),
    /// Finish the file (feeders may still hold senders).
    Finish,
}

/// Counters the recorder thread keeps and anyone may read.
#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    file_bytes: AtomicU64,
    dropped: AtomicU64,
    queued_messages: AtomicUsize,
    queued_bytes: AtomicUsize,
    error: Mutex<Option<String>>,
    /// Set when the recording stops: later batches are not taken.
    closed: std::sync::atomic::AtomicBool,
}

/// Where a recording stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordStats {
    /// The file being written.
    pub path: PathBuf,
    /// Since recording started.
    pub elapsed: Duration,
    /// Messages written to the file.
    pub messages: u64,
    /// Size of the file so far (updated as chunks are written).
    pub file_bytes: u64,
    /// Messages that could not be written: the disk fell behind, or writing failed.
    pub dropped: u64,
    /// Why writing stopped, if it failed.
    pub error: Option<String>,
}

/// A recording under way.
pub struct Recorder {
    path: PathBuf,
    started: Instant,
    feeder: RecordFeeder,
    thread: Option<JoinHandle<Result<(), RecordError>>>,
}

/// Hands batches to a recording from any thread (the network thread, through a tap); cheap to
/// clone. Never blocks.
#[derive(Clone)]
pub struct RecordFeeder {
    filters: Arc<Vec<TopicFilter>>,
    jobs: Sender<Job>,
    counters: Arc<Counters>,
}

impl Recorder {
    /// Create the file and start the writer thread. Only messages matching one of `filters`
    /// are kept (all of them when there are none).
    pub fn start(path: &Path, filters: Vec<TopicFilter>) -> Result<Self, RecordError> {
        let writer = McapWriter::create(path)?;
        let counters = Arc::new(Counters::default());
        let (jobs, received) = channel();
        let thread_counters = Arc::clone(&counters);
        let thread_path = path.to_owned();
        let thread = std::thread::Builder::new()
            .name("canopy-recorder".to_owned())
            .spawn(move || write_batches(writer, &received, &thread_counters, &thread_path))
            .map_err(|e| RecordError::io("start the recorder for", path, e))?;
        Ok(Self {
            path: path.to_owned(),
            started: Instant::now(),
            feeder: RecordFeeder {
                filters: Arc::new(filters),
                jobs,
                counters,
            },
            thread: Some(thread),
        })
    }

    /// A handle that feeds this recording from another thread.
    pub fn feeder(&self) -> RecordFeeder {
        self.feeder.clone()
    }

    /// Hand over the messages of `batch` that match the filters (see [`RecordFeeder::record`]).
    pub fn record(&self, batch: &[Incoming]) {
        self.feeder.record(batch);
    }

    /// Where the recording stands.
    pub fn stats(&self) -> RecordStats {
        let counters = &self.feeder.counters;
        RecordStats {
            path: self.path.clone(),
            elapsed: self.started.elapsed(),
            messages: counters.written.load(Ordering::Relaxed),
            file_bytes: counters.file_bytes.load(Ordering::Relaxed),
            dropped: counters.dropped.load(Ordering::Relaxed),
            error: counters
                .error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }

    /// Write what is queued, close the file (index and footer), and return the final figures.
    pub fn stop(mut self) -> Result<RecordStats, RecordError> {
        self.finish_writing();
        let result = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(RecordError::Stopped("the writer thread failed".to_owned())),
            None => Ok(()),
        };
        let mut stats = self.stats();
        if let Ok(metadata) = std::fs::metadata(&self.path) {
            stats.file_bytes = metadata.len();
        }
        result.map(|()| stats)
    }
}

impl Recorder {
    /// Take no more batches and tell the writer to finish the file.
    fn finish_writing(&self) {
        self.feeder.counters.closed.store(true, Ordering::Release);
        let _ = self.feeder.jobs.send(Job::Finish);
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish_writing();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl RecordFeeder {
    /// Hand over the messages of `batch` that match the filters. Never blocks: if the writer
    /// is behind by more than the queue allows, the batch is counted as dropped.
    pub fn record(&self, batch: &[Incoming]) {
        let kept: Vec<Incoming> = if self.filters.is_empty() {
            batch.to_vec()
        } else {
            batch
                .iter()
                .filter(|m| self.filters.iter().any(|f| f.matches(&m.topic)))
                .cloned()
                .collect()
        };
        if kept.is_empty() {
            return;
        }
        let bytes: usize = kept.iter().map(|m| m.payload.len()).sum();
        let counters = &self.counters;
        let full = counters.queued_messages.load(Ordering::Relaxed) + kept.len() > QUEUE_MESSAGES
            || counters.queued_bytes.load(Ordering::Relaxed) + bytes > QUEUE_BYTES;
        let count = kept.len();
        let sent = !full && !counters.closed.load(Ordering::Acquire) && {
            counters.queued_messages.fetch_add(count, Ordering::Relaxed);
            counters.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
            self.jobs.send(Job::Batch(kept)).is_ok()
        };
        if !sent {
            counters.dropped.fetch_add(count as u64, Ordering::Relaxed);
        }
    }
}

/// The writer thread: write batches as they come, close a chunk every second, finish at the end.
fn write_batches(
    mut writer: McapWriter,
    batches: &Receiver<Job>,
    counters: &Counters,
    path: &Path,
) -> Result<(), RecordError> {
    let mut last_flush = Instant::now();
    let mut failed = false;
    loop {
        let batch = match batches.recv_timeout(FLUSH_EVERY) {
            Ok(Job::Batch(batch)) => Some(batch),
            Ok(Job::Finish) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
        };
        if let Some(batch) = batch {
            let bytes: usize = batch.iter().map(|m| m.payload.len()).sum();
            counters
                .queued_messages
                .fetch_sub(batch.len(), Ordering::Relaxed);
            counters.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            if failed {
                counters
                    .dropped
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                continue;
            }
            for (index, message) in batch.iter().enumerate() {
                if let Err(error) = writer.write(message) {
                    fail(counters, &error);
                    failed = true;
                    let lost = (batch.len() - index) as u64;
                    counters.dropped.fetch_add(lost, Ordering::Relaxed);
                    break;
                }
                counters.written.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !failed && last_flush.elapsed() >= FLUSH_EVERY {
            last_flush = Instant::now();
            if let Err(error) = writer.flush() {
                fail(counters, &error);
                failed = true;
            }
            if let Ok(metadata) = std::fs::metadata(path) {
                counters.file_bytes.store(metadata.len(), Ordering::Relaxed);
            }
        }
    }
    if failed {
        // What was flushed is readable; the footer could not be written.
        return Err(RecordError::Stopped(
            counters
                .error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or_default(),
        ));
    }
    writer.finish()
}

fn fail(counters: &Counters, error: &RecordError) {
    tracing::warn!("recording stopped: {error}");
    *counters
        .error
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
}
