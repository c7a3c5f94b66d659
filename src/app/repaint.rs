//! When the window draws. Input is answered at once (egui does that itself); news from the
//! network asks for a frame at most [`DATA_REPAINT_INTERVAL`] apart; timers on screen (ages,
//! rates, countdowns) at most once a second; and with nothing new nothing is drawn at all. On a
//! machine without a GPU every frame costs real CPU, so a frame nobody needs is a cost.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shortest time between two frames asked for by data: 20 a second keeps the tree live.
pub const DATA_REPAINT_INTERVAL: Duration = Duration::from_millis(50);

/// How often labels that change with the clock alone ("5 s ago", rates, uptime) are redrawn.
pub const TIMER_REPAINT_INTERVAL: Duration = Duration::from_secs(1);

/// How often a fading highlight is redrawn while it fades.
pub const FADE_REPAINT_INTERVAL: Duration = Duration::from_millis(200);

/// What the network thread should ask of the window when data arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataRepaint {
    /// Draw now.
    Now,
    /// A frame is due within this time anyway; ask for it then.
    After(Duration),
}

/// Caps repaints asked for by data: the first arrival after a quiet spell draws at once, later
/// ones within [`DATA_REPAINT_INTERVAL`] share one frame at the end of the interval.
#[derive(Debug, Default)]
pub struct DataRepaintGate {
    last_frame_asked: Mutex<Option<Instant>>,
}

impl DataRepaintGate {
    /// Data arrived at `now`: what to ask for.
    pub fn on_data(&self, now: Instant) -> DataRepaint {
        let mut last = self
            .last_frame_asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *last {
            Some(at) if now.saturating_duration_since(at) < DATA_REPAINT_INTERVAL => {
                DataRepaint::After(DATA_REPAINT_INTERVAL - now.saturating_duration_since(at))
            }
            _ => {
                *last = Some(now);
                DataRepaint::Now
            }
        }
    }
}

/// Of several "draw again after" wishes made while building a frame, the earliest; `None`
/// when nothing on screen changes by itself.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NextFrame(Option<Duration>);

impl NextFrame {
    /// Nothing asked for yet.
    pub fn none() -> Self {
        Self(None)
    }

    /// Something on screen changes after `delay`.
    pub fn within(&mut self, delay: Duration) {
        self.0 = Some(self.0.map_or(delay, |d| d.min(delay)));
    }

    /// The frame to ask for, if any.
    pub fn delay(self) -> Option<Duration> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_repaints_are_capped_at_twenty_a_second() {
        let gate = DataRepaintGate::default();
        let start = Instant::now();
        assert_eq!(
            gate.on_data(start),
            DataRepaint::Now,
            "the first news draws at once"
        );
        assert_eq!(
            gate.on_data(start + Duration::from_millis(10)),
            DataRepaint::After(Duration::from_millis(40))
        );
        assert_eq!(
            gate.on_data(start + Duration::from_millis(49)),
            DataRepaint::After(Duration::from_millis(1))
        );
        assert_eq!(
            gate.on_data(start + Duration::from_millis(50)),
            DataRepaint::Now
        );
        // A flood of batches every millisecond for a second: at most 20 frames drawn at once,
        // every other batch folded into a frame already due.
        let gate = DataRepaintGate::default();
        let now_frames = (0..1000)
            .filter(|ms| gate.on_data(start + Duration::from_millis(*ms)) == DataRepaint::Now)
            .count();
        assert_eq!(now_frames, 20);
    }

    #[test]
    fn a_quiet_frame_asks_for_nothing_and_the_earliest_wish_wins() {
        assert_eq!(NextFrame::none().delay(), None, "nothing changes: no frame");
        let mut next = NextFrame::none();
        next.within(TIMER_REPAINT_INTERVAL);
        next.within(FADE_REPAINT_INTERVAL);
        next.within(TIMER_REPAINT_INTERVAL);
        assert_eq!(next.delay(), Some(FADE_REPAINT_INTERVAL));
    }
}
