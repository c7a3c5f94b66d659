//! A sliding-window rate meter.

use std::time::{Duration, Instant};

/// Counts events in fixed time buckets and reports a rate over the whole window.
#[derive(Debug, Clone)]
pub struct RateMeter {
    bucket: Duration,
    counts: Vec<u64>,
    /// Index into `counts` of the bucket that holds `bucket_start`.
    current: usize,
    bucket_start: Option<Instant>,
}

impl RateMeter {
    /// A meter over the last second, in ten 100 ms buckets.
    pub fn per_second() -> Self {
        Self::new(Duration::from_millis(100), 10)
    }

    /// A meter over `bucket * buckets`.
    pub fn new(bucket: Duration, buckets: usize) -> Self {
        Self {
            bucket,
            counts: vec![0; buckets.max(1)],
            current: 0,
            bucket_start: None,
        }
    }

    /// Count `n` events that happened at `now`.
    pub fn record(&mut self, now: Instant, n: u64) {
        self.advance(now);
        self.counts[self.current] += n;
    }

    /// Events per second over the window ending at `now`.
    pub fn rate_per_sec(&mut self, now: Instant) -> f64 {
        self.advance(now);
        let total: u64 = self.counts.iter().sum();
        total as f64 / (self.bucket.as_secs_f64() * self.counts.len() as f64)
    }

    /// True when no event falls inside the window ending at `now`.
    pub fn is_idle(&mut self, now: Instant) -> bool {
        self.advance(now);
        self.counts.iter().all(|&c| c == 0)
    }

    fn advance(&mut self, now: Instant) {
        let Some(start) = self.bucket_start else {
            self.bucket_start = Some(now);
            return;
        };
        let elapsed = now.saturating_duration_since(start);
        let steps = (elapsed.as_nanos() / self.bucket.as_nanos().max(1)) as usize;
        if steps == 0 {
            return;
        }
        for _ in 0..steps.min(self.counts.len()) {
            self.current = (self.current + 1) % self.counts.len();
            self.counts[self.current] = 0;
        }
        self.bucket_start = Some(start + self.bucket * steps as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate_is_measured() {
        let start = Instant::now();
        let mut meter = RateMeter::per_second();
        for tick in 0..20 {
            meter.record(start + Duration::from_millis(tick * 100), 50);
        }
        let rate = meter.rate_per_sec(start + Duration::from_millis(1950));
        assert!((rate - 500.0).abs() < 1.0, "rate {rate}");
    }

    #[test]
    fn falls_to_zero_when_idle() {
        let start = Instant::now();
        let mut meter = RateMeter::per_second();
        meter.record(start, 1000);
        assert!(meter.rate_per_sec(start) > 0.0);
        assert!(!meter.is_idle(start));
        assert_eq!(meter.rate_per_sec(start + Duration::from_secs(5)), 0.0);
        assert!(meter.is_idle(start + Duration::from_secs(5)));
    }
}
