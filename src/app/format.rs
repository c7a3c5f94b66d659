//! Number, size and time formatting for the UI.

use std::time::{Duration, SystemTime};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 topic`, `2 topics`, `1,000 topics`.
pub fn count(n: u64, singular: &str, plural: &str) -> String {
    format!(
        "{} {}",
        thousands(n),
        if n == 1 { singular } else { plural }
    )
}

/// A byte count in B, KiB, MiB or GiB.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A rate such as `12,345 msg/s` or `0.5 msg/s`.
pub fn rate(per_sec: f64) -> String {
    if per_sec > 0.0 && per_sec < 10.0 {
        format!("{per_sec:.1} msg/s")
    } else {
        format!("{} msg/s", thousands(per_sec.round() as u64))
    }
}

/// Local wall-clock time with milliseconds, e.g. `14:03:07.512`.
pub fn clock(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(time)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// Local date and time, e.g. `2026-11-22 14:03:07.512`.
pub fn date_time(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(time)
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// How long ago `time` was, roughly: `just now`, `42 s ago`, `3 min ago`, `2 h ago`, `5 d ago`.
pub fn age(time: SystemTime, now: SystemTime) -> String {
    let elapsed = now.duration_since(time).unwrap_or(Duration::ZERO).as_secs();
    match elapsed {
        0 => "just now".to_owned(),
        1..=59 => format!("{elapsed} s ago"),
        60..=3599 => format!("{} min ago", elapsed / 60),
        3600..=86_399 => format!("{} h ago", elapsed / 3600),
        _ => format!("{} d ago", elapsed / 86_400),
    }
}

/// A short duration: `800 ms`, `4 s`, `2 min 5 s`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        format!("{} ms", d.as_millis())
    } else if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count(1, "topic", "topics"), "1 topic");
        assert_eq!(count(1200, "topic", "topics"), "1,200 topics");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(2048), "2.0 KiB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(rate(0.0), "0 msg/s");
        assert_eq!(rate(2.5), "2.5 msg/s");
        assert_eq!(rate(41_234.4), "41,234 msg/s");
    }

    #[test]
    fn ages_and_durations() {
        let now = SystemTime::now();
        assert_eq!(age(now, now), "just now");
        assert_eq!(age(now - Duration::from_secs(42), now), "42 s ago");
        assert_eq!(age(now - Duration::from_secs(180), now), "3 min ago");
        assert_eq!(age(now + Duration::from_secs(5), now), "just now");
        assert_eq!(duration(Duration::from_millis(800)), "800 ms");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
    }
}
