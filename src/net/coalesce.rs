//! Reading a busy connection in bulk.
//!
//! Under a flood the broker writes a few messages at a time, and a reader that waits on the
//! socket again as soon as it is empty is woken for every few messages: tens of thousands of
//! wake-ups a second, each paid for by the broker's side too (on one machine, the two fight
//! over the socket). So once a burst of events has drained the socket, the network thread
//! pauses for [`PAUSE`] before it waits again: the next read then takes a millisecond of
//! traffic at once. Sparse traffic never pauses, so a lone message is not delayed; a dense
//! stream is delayed by at most [`PAUSE`], well inside the ~16 ms the batcher waits anyway.
//!
//! The pause blocks the whole (single-threaded) network runtime, on purpose: it is the only
//! way to stop being woken. With several dense connections each pauses in turn, which only
//! makes every read larger.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

/// Events in one burst (from a wake-up to the moment the event loop has nothing more) from
/// which the traffic counts as dense.
pub(super) const DENSE_BURST: usize = 8;

/// How long a dense stream is left to accumulate in the socket.
pub(super) const PAUSE: Duration = Duration::from_millis(1);

/// Counts the events of the current burst.
#[derive(Debug, Default)]
pub(super) struct Coalescer {
    burst: usize,
}

impl Coalescer {
    /// The event loop produced an event.
    fn on_event(&mut self) {
        self.burst = self.burst.saturating_add(1);
    }

    /// The event loop has nothing more for now: how long to pause before waiting, if at all.
    fn on_idle(&mut self) -> Option<Duration> {
        let dense = self.burst >= DENSE_BURST;
        self.burst = 0;
        dense.then_some(PAUSE)
    }

    /// Drive `future` (one poll of the event loop) to its end, pausing first whenever it is
    /// about to wait after a dense burst. The future is never dropped early, so this is safe
    /// for rumqttc's `poll`, which is not cancel-safe.
    pub(super) async fn run<F: Future>(&mut self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
            Poll::Ready(output) => {
                self.on_event();
                Poll::Ready(output)
            }
            Poll::Pending => {
                if let Some(pause) = self.on_idle() {
                    std::thread::sleep(pause);
                }
                Poll::Pending
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dense_burst_pauses() {
        let mut coalescer = Coalescer::default();
        assert_eq!(coalescer.on_idle(), None, "nothing happened");
        for _ in 0..DENSE_BURST - 1 {
            coalescer.on_event();
        }
        assert_eq!(coalescer.on_idle(), None, "a sparse burst");
        for _ in 0..DENSE_BURST {
            coalescer.on_event();
        }
        assert_eq!(coalescer.on_idle(), Some(PAUSE), "a dense burst");
        assert_eq!(coalescer.on_idle(), None, "each burst counts afresh");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_future_runs_to_its_end_across_waits() {
        let mut coalescer = Coalescer::default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = tx.send(7);
        });
        for _ in 0..DENSE_BURST {
            assert_eq!(coalescer.run(async { 1 }).await, 1);
        }
        // Pending first (after a dense burst: a pause), then the value.
        let started = std::time::Instant::now();
        assert_eq!(coalescer.run(rx).await, Ok(7));
        assert!(started.elapsed() >= Duration::from_millis(1));
    }
}
