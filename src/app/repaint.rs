//! When the window draws. Input is answered at once (egui does that itself); news from the
//! network asks for a frame at most [`DATA_REPAINT_INTERVAL`] apart (longer while drawing is
//! expensive, see [`CpuGovernor`]); timers on screen (ages, rates, countdowns) at most once a
//! second; and with nothing new nothing is drawn at all. On a machine without a GPU every frame
//! costs real CPU, so a frame nobody needs is a cost.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shortest time between two frames asked for by data: 20 a second keeps the tree live.
pub const DATA_REPAINT_INTERVAL: Duration = Duration::from_millis(50);

/// Longest time between two frames asked for by data, however expensive drawing is.
pub const SLOWEST_DATA_REPAINT_INTERVAL: Duration = Duration::from_millis(400);

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
#[derive(Debug)]
pub struct DataRepaintGate {
    last_frame_asked: Mutex<Option<Instant>>,
    interval_ms: AtomicU64,
}

impl Default for DataRepaintGate {
    fn default() -> Self {
        Self {
            last_frame_asked: Mutex::new(None),
            interval_ms: AtomicU64::new(DATA_REPAINT_INTERVAL.as_millis() as u64),
        }
    }
}

impl DataRepaintGate {
    /// The time between data-driven frames now in force.
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms.load(Ordering::Relaxed))
    }

    /// Set by the window's [`CpuGovernor`].
    pub fn set_interval(&self, interval: Duration) {
        let clamped = interval.clamp(DATA_REPAINT_INTERVAL, SLOWEST_DATA_REPAINT_INTERVAL);
        self.interval_ms
            .store(clamped.as_millis() as u64, Ordering::Relaxed);
    }

    /// Data arrived at `now`: what to ask for.
    pub fn on_data(&self, now: Instant) -> DataRepaint {
        let interval = self.interval();
        let mut last = self
            .last_frame_asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *last {
            Some(at) if now.saturating_duration_since(at) < interval => {
                DataRepaint::After(interval - now.saturating_duration_since(at))
            }
            _ => {
                *last = Some(now);
                DataRepaint::Now
            }
        }
    }
}

/// Share of one core the window may spend before data-driven frames are spaced out.
const CPU_SHARE_HIGH: f64 = 0.25;

/// Share of one core below which data-driven frames come closer again.
const CPU_SHARE_LOW: f64 = 0.10;

/// How long the governor watches before it changes the interval.
const GOVERNOR_PERIOD: Duration = Duration::from_secs(2);

/// Keeps the window's CPU in check when drawing is expensive (software rendering: VMs, remote
/// desktops, CI): it watches the whole process's CPU time and, past [`CPU_SHARE_HIGH`] of a
/// core, spaces data-driven frames out (up to [`SLOWEST_DATA_REPAINT_INTERVAL`]); below
/// [`CPU_SHARE_LOW`] it brings them back towards [`DATA_REPAINT_INTERVAL`]. With a GPU, frames
/// are cheap and the interval stays at its shortest.
#[derive(Debug)]
pub struct CpuGovernor {
    since: Option<(Instant, Duration)>,
    interval: Duration,
}

impl Default for CpuGovernor {
    fn default() -> Self {
        Self {
            since: None,
            interval: DATA_REPAINT_INTERVAL,
        }
    }
}

impl CpuGovernor {
    /// Called every frame; reads the process's CPU time (`cpu`) only once a period has
    /// passed, and returns a new interval when it should change.
    pub fn observe(
        &mut self,
        now: Instant,
        cpu: impl FnOnce() -> Option<Duration>,
    ) -> Option<Duration> {
        if let Some((start, _)) = self.since
            && now.saturating_duration_since(start) < GOVERNOR_PERIOD
        {
            return None;
        }
        let cpu = cpu()?;
        // The first sample only starts the clock.
        let (start, start_cpu) = self.since.replace((now, cpu))?;
        let wall = now.saturating_duration_since(start);
        let share = cpu.saturating_sub(start_cpu).as_secs_f64() / wall.as_secs_f64();
        let next = if share > CPU_SHARE_HIGH {
            self.interval
                .mul_f64(1.5)
                .min(SLOWEST_DATA_REPAINT_INTERVAL)
        } else if share < CPU_SHARE_LOW {
            self.interval.div_f64(1.5).max(DATA_REPAINT_INTERVAL)
        } else {
            self.interval
        };
        (next != self.interval).then(|| {
            self.interval = next;
            next
        })
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
    fn the_governor_spaces_frames_out_while_drawing_is_expensive() {
        let mut governor = CpuGovernor::default();
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(governor.observe(at(0), || Some(Duration::ZERO)), None);
        assert_eq!(
            governor.observe(at(1), || Some(Duration::from_millis(900))),
            None,
            "too soon to judge"
        );
        // 60 % of a core: slower, step by step, never past the slowest.
        let mut cpu = Duration::ZERO;
        let mut intervals = Vec::new();
        for step in 1..=8 {
            cpu += Duration::from_millis(1200);
            intervals.extend(governor.observe(at(2 * step), || Some(cpu)));
        }
        assert_eq!(intervals.first(), Some(&Duration::from_millis(75)));
        assert_eq!(intervals.last(), Some(&SLOWEST_DATA_REPAINT_INTERVAL));
        assert!(intervals.windows(2).all(|w| w[0] < w[1]));
        // Idle: back to the fastest.
        let mut last = None;
        for step in 9..=20 {
            last = governor.observe(at(2 * step), || Some(cpu)).or(last);
        }
        assert_eq!(last, Some(DATA_REPAINT_INTERVAL));
        // In between: left alone.
        cpu += Duration::from_millis(300);
        assert_eq!(governor.observe(at(42), || Some(cpu)), None);
        let gate = DataRepaintGate::default();
        gate.set_interval(Duration::from_secs(9));
        assert_eq!(gate.interval(), SLOWEST_DATA_REPAINT_INTERVAL, "clamped");
    }
}
