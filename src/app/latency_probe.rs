//! The opt-in latency probe: a small message to a private topic every few seconds, timed from
//! publish to its return through the broker. Probe messages are kept out of the tree.

use crate::model::Series;
use crate::net::OutgoingMessage;
use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Time between probes.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// A probe not back after this long counts as lost.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Round-trip measurements for one connection.
#[derive(Debug)]
pub struct LatencyProbe {
    /// Whether the user turned the probe on.
    pub enabled: bool,
    topic: String,
    next_seq: u64,
    next_at: Option<Instant>,
    /// Probes awaited: sequence number, when it was due (for the timeout) and the wall-clock
    /// time it was handed to the network.
    pending: VecDeque<(u64, Instant, SystemTime)>,
    /// Round-trip times in milliseconds, against Unix seconds.
    pub series: Series,
    /// Probes sent.
    pub sent: u64,
    /// Probes that did not come back within [`PROBE_TIMEOUT`].
    pub lost: u64,
}

impl LatencyProbe {
    /// A probe (off) for the connection whose client id is `client_id`.
    pub fn new(client_id: &str) -> Self {
        let safe: String = client_id
            .chars()
            .map(|c| if matches!(c, '+' | '#' | '/') { '_' } else { c })
            .collect();
        Self {
            enabled: false,
            topic: format!("canopy/latency-probe/{safe}"),
            next_seq: 0,
            next_at: None,
            pending: VecDeque::new(),
            series: Series::default(),
            sent: 0,
            lost: 0,
        }
    }

    /// The private topic the probe publishes to and listens on.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Turn the probe on or off; turning it on sends the first probe at once.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.next_at = None;
        if !enabled {
            self.pending.clear();
        }
    }

    /// The probe to publish now, if one is due.
    pub fn due(&mut self, now: Instant) -> Option<OutgoingMessage> {
        if !self.enabled {
            return None;
        }
        while self
            .pending
            .front()
            .is_some_and(|(_, sent, _)| now.duration_since(*sent) > PROBE_TIMEOUT)
        {
            self.pending.pop_front();
            self.lost += 1;
        }
        if self.next_at.is_some_and(|at| now < at) {
            return None;
        }
        self.next_at = Some(now + PROBE_INTERVAL);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.push_back((seq, now, SystemTime::now()));
        self.sent += 1;
        Some(OutgoingMessage::new(self.topic.clone(), seq.to_string()))
    }

    /// When the next probe is due, for scheduling a repaint.
    pub fn next_at(&self) -> Option<Instant> {
        self.next_at.filter(|_| self.enabled)
    }

    /// Take a received message: true if it was a probe (whether or not still awaited), which
    /// then stays out of the tree. `at` is when the network layer received it, so the round
    /// trip does not include the time the window took to draw its next frame.
    pub fn on_message(&mut self, topic: &str, payload: &[u8], at: SystemTime) -> bool {
        if topic != self.topic {
            return false;
        }
        let seq = std::str::from_utf8(payload)
            .ok()
            .and_then(|text| text.parse::<u64>().ok());
        let index = seq.and_then(|seq| self.pending.iter().position(|(s, ..)| *s == seq));
        if let Some((_, _, sent_at)) = index.and_then(|index| self.pending.remove(index)) {
            let millis = at.duration_since(sent_at).unwrap_or_default().as_secs_f64() * 1000.0;
            let x = at
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            self.series.push(x, millis);
        }
        true
    }

    /// (last, minimum, mean, maximum) round trip in milliseconds over the samples kept.
    pub fn summary(&self) -> Option<(f64, f64, f64, f64)> {
        let points = self.series.points();
        let last = points.last()?[1];
        let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
        for [_, y] in points {
            min = min.min(*y);
            max = max.max(*y);
            sum += y;
        }
        Some((last, min, sum / points.len() as f64, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_timed_and_lost_ones_counted() {
        let mut probe = LatencyProbe::new("canopy-explorer/a+b");
        assert_eq!(probe.topic(), "canopy/latency-probe/canopy-explorer_a_b");
        let start = Instant::now();
        assert!(probe.due(start).is_none(), "off by default");
        probe.set_enabled(true);
        let first = probe.due(start).expect("the first probe goes at once");
        assert_eq!(first.topic, probe.topic());
        assert!(probe.due(start + Duration::from_millis(500)).is_none());
        let second = probe
            .due(start + PROBE_INTERVAL)
            .expect("the next one after the interval");
        let back = SystemTime::now() + Duration::from_millis(12);
        assert!(probe.on_message(&second.topic, &second.payload, back));
        let (last, ..) = probe.summary().expect("one sample");
        assert!((12.0..100.0).contains(&last), "{last}");
        // The first never came back.
        let _ = probe.due(start + PROBE_TIMEOUT + Duration::from_secs(1));
        assert_eq!(probe.lost, 1);
        // A duplicate or a stranger's message on our topic stays out of the tree all the same.
        assert!(probe.on_message(&second.topic, b"junk", back));
        assert!(!probe.on_message("other/topic", b"1", back));
    }
}
