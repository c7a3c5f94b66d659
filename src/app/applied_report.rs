//! For the window benchmark (`benches/window.sh`): with `CANOPY_REPORT_APPLIED=N` set, the window
//! prints one line on stdout once its model holds N messages (counted across connections), with
//! how long that took from the first message applied and what was dropped. Unset, it is `None`
//! and costs one branch per batch.

use super::session::Session;
use std::time::Instant;

/// The target and when the first message was applied.
#[derive(Debug)]
pub struct AppliedReport {
    target: u64,
    first_applied: Option<Instant>,
}

impl AppliedReport {
    /// From the environment; `None` when the variable is unset or not a number.
    pub fn from_env() -> Option<Self> {
        let target = std::env::var("CANOPY_REPORT_APPLIED")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Some(Self {
            target,
            first_applied: None,
        })
    }

    /// After a batch was applied: prints the line and returns true once the target is reached.
    pub fn check(&mut self, sessions: &[Session]) -> bool {
        let applied: u64 = sessions
            .iter()
            .map(|s| s.model.tree.root().subtree_message_count)
            .sum();
        if applied == 0 {
            return false;
        }
        let first = *self.first_applied.get_or_insert_with(Instant::now);
        if applied < self.target {
            return false;
        }
        let seconds = first.elapsed().as_secs_f64();
        let topics: usize = sessions.iter().map(|s| s.model.tree.topic_count()).sum();
        let dropped: u64 = sessions.iter().map(|s| s.stats.dropped_messages()).sum();
        println!(
            "applied {applied} messages on {topics} topics in {seconds:.3} s ({:.0} msg/s), {dropped} dropped",
            applied as f64 / seconds.max(1e-9)
        );
        true
    }
}
