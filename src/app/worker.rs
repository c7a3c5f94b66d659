//! Work the window hands off so a frame never waits on a disk or the keyring: jobs run one
//! after another on a thread of their own, and each result wakes the window when it is ready.

use std::sync::mpsc;

type Job<T> = Box<dyn FnOnce() -> T + Send>;

/// A queue of jobs for one thread, in order; results are taken each frame.
pub struct Worker<T> {
    jobs: Option<mpsc::Sender<Job<T>>>,
    /// Joined on drop, so queued work (a settings save) is done before the window goes.
    thread: Option<std::thread::JoinHandle<()>>,
    results: mpsc::Receiver<T>,
    results_tx: mpsc::Sender<T>,
    pending: usize,
}

impl<T: Send + 'static> Worker<T> {
    /// A worker whose thread is called `name` (seen in debuggers and `top -H`).
    pub fn new(name: &str) -> Self {
        let (results_tx, results) = mpsc::channel();
        let (jobs_tx, jobs) = mpsc::channel::<Job<T>>();
        let done = results_tx.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for job in jobs {
                    if done.send(job()).is_err() {
                        break;
                    }
                }
            });
        if let Err(error) = &spawned {
            tracing::warn!("no {name} thread ({error}); its work runs in the window's thread");
        }
        let thread = spawned.ok();
        Self {
            jobs: thread.as_ref().map(|_| jobs_tx),
            thread,
            results,
            results_tx,
            pending: 0,
        }
    }

    /// Queue `job`; `ctx` is asked to repaint when its result is ready.
    pub fn run(&mut self, ctx: &egui::Context, job: impl FnOnce() -> T + Send + 'static) {
        self.pending += 1;
        let ctx = ctx.clone();
        let job: Job<T> = Box::new(move || {
            let result = job();
            ctx.request_repaint();
            result
        });
        let refused = match &self.jobs {
            Some(jobs) => jobs.send(job).err().map(|mpsc::SendError(job)| job),
            None => Some(job),
        };
        if let Some(job) = refused {
            // No thread: do it here rather than lose it.
            let _ = self.results_tx.send(job());
        }
    }

    /// The next finished result, if any.
    pub fn take(&mut self) -> Option<T> {
        let result = self.results.try_recv().ok()?;
        self.pending = self.pending.saturating_sub(1);
        Some(result)
    }

    /// Jobs queued or running.
    pub fn is_busy(&self) -> bool {
        self.pending > 0
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
