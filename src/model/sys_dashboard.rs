//! What a broker says about itself on `$SYS`: mosquitto's layout (which the bundled broker also
//! uses) understood value by value, rates derived from its counters, and every other `$SYS`
//! value kept as text so brokers with other layouts still show everything they publish.

use super::series::Series;
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// A value of mosquitto's `$SYS/broker/...` layout that the dashboard understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SysKey {
    /// `version`.
    Version,
    /// `uptime` ("1234 seconds").
    Uptime,
    /// `clients/connected` (`clients/active` on old brokers).
    ClientsConnected,
    /// `clients/total`.
    ClientsTotal,
    /// `clients/maximum`.
    ClientsMaximum,
    /// `clients/disconnected`.
    ClientsDisconnected,
    /// `messages/received`.
    MessagesReceived,
    /// `messages/sent`.
    MessagesSent,
    /// `bytes/received`.
    BytesReceived,
    /// `bytes/sent`.
    BytesSent,
    /// `subscriptions/count`.
    Subscriptions,
    /// `retained messages/count`.
    Retained,
    /// `heap/current`.
    HeapCurrent,
    /// `heap/maximum`.
    HeapMaximum,
}

impl SysKey {
    /// The key for a topic under `$SYS/broker/`, if it is one the dashboard understands.
    fn from_suffix(suffix: &str) -> Option<SysKey> {
        Some(match suffix {
            "version" => SysKey::Version,
            "uptime" => SysKey::Uptime,
            "clients/connected" | "clients/active" => SysKey::ClientsConnected,
            "clients/total" => SysKey::ClientsTotal,
            "clients/maximum" => SysKey::ClientsMaximum,
            "clients/disconnected" | "clients/inactive" => SysKey::ClientsDisconnected,
            "messages/received" => SysKey::MessagesReceived,
            "messages/sent" => SysKey::MessagesSent,
            "bytes/received" => SysKey::BytesReceived,
            "bytes/sent" => SysKey::BytesSent,
            "subscriptions/count" => SysKey::Subscriptions,
            "retained messages/count" => SysKey::Retained,
            "heap/current" | "heap/current size" => SysKey::HeapCurrent,
            "heap/maximum" | "heap/maximum size" => SysKey::HeapMaximum,
            _ => return None,
        })
    }
}

/// The four traffic counters a rate is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// Messages received by the broker.
    MessagesReceived,
    /// Messages sent by the broker.
    MessagesSent,
    /// Bytes received by the broker.
    BytesReceived,
    /// Bytes sent by the broker.
    BytesSent,
}

impl Counter {
    /// All counters, in display order.
    pub const ALL: [Counter; 4] = [
        Counter::MessagesReceived,
        Counter::MessagesSent,
        Counter::BytesReceived,
        Counter::BytesSent,
    ];

    /// The counter's name in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Counter::MessagesReceived => "messages received",
            Counter::MessagesSent => "messages sent",
            Counter::BytesReceived => "bytes received",
            Counter::BytesSent => "bytes sent",
        }
    }

    fn key(self) -> SysKey {
        match self {
            Counter::MessagesReceived => SysKey::MessagesReceived,
            Counter::MessagesSent => SysKey::MessagesSent,
            Counter::BytesReceived => SysKey::BytesReceived,
            Counter::BytesSent => SysKey::BytesSent,
        }
    }
}

/// The load averages mosquitto publishes, as (counter, window) pairs.
pub const LOAD_COUNTERS: [&str; 5] = [
    "messages/received",
    "messages/sent",
    "bytes/received",
    "bytes/sent",
    "connections",
];

/// The windows of mosquitto's load averages.
pub const LOAD_WINDOWS: [&str; 3] = ["1min", "5min", "15min"];

/// A counter's previous reading and the rates derived from it.
#[derive(Debug, Default)]
struct RateTrack {
    last: Option<(f64, f64)>,
    rate_per_sec: Option<f64>,
    series: Series,
}

/// Everything a broker has said on `$SYS` since the connection opened.
#[derive(Debug, Default)]
pub struct SysDashboard {
    known: BTreeMap<SysKey, String>,
    /// Every `$SYS` topic with its latest value, sorted by topic.
    all: BTreeMap<String, String>,
    rates: [RateTrack; 4],
}

impl SysDashboard {
    /// Take in one `$SYS` message (others are ignored). Payloads are kept as text (invalid
    /// UTF-8 replaced); counters update their rate, plotted against `at`.
    pub fn ingest(&mut self, topic: &str, payload: &[u8], at: SystemTime) {
        if !topic.starts_with("$SYS/") {
            return;
        }
        let text = String::from_utf8_lossy(payload).trim().to_owned();
        if let Some(key) = topic
            .strip_prefix("$SYS/broker/")
            .and_then(SysKey::from_suffix)
        {
            if let Some(index) = Counter::ALL.iter().position(|c| c.key() == key)
                && let Some(value) = leading_number(&text)
            {
                let x = at
                    .duration_since(UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                let track = &mut self.rates[index];
                if let Some((last_x, last_value)) = track.last
                    && x > last_x
                {
                    // A counter that goes down means the broker restarted: no rate for that step.
                    if value >= last_value {
                        let rate = (value - last_value) / (x - last_x);
                        track.rate_per_sec = Some(rate);
                        track.series.push(x, rate);
                    }
                }
                if track.last.is_none_or(|(last_x, _)| x > last_x) {
                    track.last = Some((x, value));
                }
            }
            self.known.insert(key, text.clone());
        }
        self.all.insert(topic.to_owned(), text);
    }

    /// True until the first `$SYS` message.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// A known value as published.
    pub fn text(&self, key: SysKey) -> Option<&str> {
        self.known.get(&key).map(String::as_str)
    }

    /// A known value as a number (the leading number of its text: "1234 seconds" is 1234).
    pub fn number(&self, key: SysKey) -> Option<f64> {
        self.text(key).and_then(leading_number)
    }

    /// A load average (`counter` from [`LOAD_COUNTERS`], `window` from [`LOAD_WINDOWS`]), per
    /// minute as mosquitto publishes it.
    pub fn load(&self, counter: &str, window: &str) -> Option<f64> {
        self.all
            .get(&format!("$SYS/broker/load/{counter}/{window}"))
            .and_then(|text| leading_number(text))
    }

    /// The latest rate of a counter, per second, from its last two readings.
    pub fn rate_per_sec(&self, counter: Counter) -> Option<f64> {
        self.rates[Counter::ALL.iter().position(|c| *c == counter)?].rate_per_sec
    }

    /// Every rate of a counter since the connection opened, for plotting.
    pub fn rate_series(&self, counter: Counter) -> &Series {
        let index = Counter::ALL
            .iter()
            .position(|c| *c == counter)
            .unwrap_or_default();
        &self.rates[index].series
    }

    /// Every `$SYS` value, by topic.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.all
    }
}

/// The number a value starts with: `"1234 seconds"` is 1234, `"12.5"` is 12.5.
fn leading_number(text: &str) -> Option<f64> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    text[..end].parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    #[test]
    fn mosquitto_layout_is_understood() {
        let mut sys = SysDashboard::default();
        for (topic, value) in [
            ("$SYS/broker/version", "mosquitto version 2.0.11"),
            ("$SYS/broker/uptime", "3600 seconds"),
            ("$SYS/broker/clients/connected", "3"),
            ("$SYS/broker/clients/total", "5"),
            ("$SYS/broker/clients/maximum", "7"),
            ("$SYS/broker/subscriptions/count", "12"),
            ("$SYS/broker/retained messages/count", "40"),
            ("$SYS/broker/heap/current", "52344"),
            ("$SYS/broker/load/messages/received/5min", "120.50"),
            ("$SYS/broker/store/messages/count", "9"),
            ("home/not/sys", "1"),
        ] {
            sys.ingest(topic, value.as_bytes(), at(0));
        }
        assert_eq!(sys.text(SysKey::Version), Some("mosquitto version 2.0.11"));
        assert_eq!(sys.number(SysKey::Uptime), Some(3600.0));
        assert_eq!(sys.number(SysKey::ClientsConnected), Some(3.0));
        assert_eq!(sys.number(SysKey::ClientsMaximum), Some(7.0));
        assert_eq!(sys.number(SysKey::Retained), Some(40.0));
        assert_eq!(sys.number(SysKey::HeapCurrent), Some(52344.0));
        assert_eq!(sys.load("messages/received", "5min"), Some(120.5));
        assert_eq!(
            sys.all()
                .get("$SYS/broker/store/messages/count")
                .map(String::as_str),
            Some("9"),
            "values the dashboard does not know are kept too"
        );
        assert!(!sys.all().contains_key("home/not/sys"));
    }

    #[test]
    fn rates_come_from_counter_deltas() {
        let mut sys = SysDashboard::default();
        sys.ingest("$SYS/broker/messages/received", b"100", at(0));
        assert_eq!(sys.rate_per_sec(Counter::MessagesReceived), None);
        sys.ingest("$SYS/broker/messages/received", b"150", at(10));
        assert_eq!(sys.rate_per_sec(Counter::MessagesReceived), Some(5.0));
        sys.ingest("$SYS/broker/messages/received", b"450", at(20));
        assert_eq!(sys.rate_per_sec(Counter::MessagesReceived), Some(30.0));
        // A restart resets the counter: no negative rate.
        sys.ingest("$SYS/broker/messages/received", b"10", at(30));
        assert_eq!(sys.rate_per_sec(Counter::MessagesReceived), Some(30.0));
        sys.ingest("$SYS/broker/messages/received", b"30", at(40));
        assert_eq!(sys.rate_per_sec(Counter::MessagesReceived), Some(2.0));
        let ys: Vec<f64> = sys
            .rate_series(Counter::MessagesReceived)
            .points()
            .iter()
            .map(|p| p[1])
            .collect();
        assert_eq!(ys, [5.0, 30.0, 2.0]);
        assert_eq!(sys.rate_per_sec(Counter::BytesSent), None);
    }

    #[test]
    fn odd_values_do_not_break_anything() {
        let mut sys = SysDashboard::default();
        sys.ingest("$SYS/broker/uptime", b"\xff\xfe", at(0));
        sys.ingest("$SYS/broker/messages/sent", b"lots", at(0));
        sys.ingest("$SYS/broker/messages/sent", b"", at(1));
        assert_eq!(sys.number(SysKey::Uptime), None);
        assert_eq!(sys.rate_per_sec(Counter::MessagesSent), None);
        assert_eq!(leading_number("12 seconds"), Some(12.0));
        assert_eq!(leading_number("-"), None);
    }
}
