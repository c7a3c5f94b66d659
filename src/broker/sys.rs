//! `$SYS` topics in mosquitto's layout, so tools that read mosquitto's read ours.

use super::meters::MeterSnapshot;
use super::session::BrokerMessage;
use super::state::BrokerState;
use crate::mqtt::Qos;
use bytes::Bytes;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Exponentially decaying per-minute rates over 1, 5 and 15 minutes, as mosquitto computes them.
#[derive(Debug, Default, Clone)]
pub struct LoadAverages {
    last: Option<(Instant, MeterSnapshot)>,
    /// Per counter (messages received, messages sent, bytes received, bytes sent, connections):
    /// averages over 1, 5, 15 min.
    averages: [[f64; 3]; 5],
}

const WINDOWS_SECS: [f64; 3] = [60.0, 300.0, 900.0];
const COUNTERS: [&str; 5] = [
    "messages/received",
    "messages/sent",
    "bytes/received",
    "bytes/sent",
    "connections",
];

impl LoadAverages {
    /// Fold in the counters at `now`.
    pub fn update(&mut self, now: Instant, meters: MeterSnapshot) {
        if let Some((then, previous)) = self.last {
            let elapsed = now.duration_since(then).as_secs_f64();
            if elapsed > 0.0 {
                let deltas = [
                    meters.messages_received - previous.messages_received,
                    meters.messages_sent - previous.messages_sent,
                    meters.bytes_received - previous.bytes_received,
                    meters.bytes_sent - previous.bytes_sent,
                    meters.connections_total - previous.connections_total,
                ];
                for (averages, delta) in self.averages.iter_mut().zip(deltas) {
                    let per_minute = delta as f64 / elapsed * 60.0;
                    for (average, window) in averages.iter_mut().zip(WINDOWS_SECS) {
                        let decay = (-elapsed / window).exp();
                        *average = *average * decay + per_minute * (1.0 - decay);
                    }
                }
            }
        }
        self.last = Some((now, meters));
    }
}

/// The `$SYS` values right now, as (topic, value) pairs.
pub fn sys_values(
    state: &BrokerState,
    meters: MeterSnapshot,
    loads: &LoadAverages,
    uptime: Duration,
) -> Vec<(String, String)> {
    let connected = state.connected_count();
    let total = state.session_count();
    let mut values = vec![
        (
            "version".to_owned(),
            format!("canopy {}", env!("CARGO_PKG_VERSION")),
        ),
        ("uptime".to_owned(), format!("{} seconds", uptime.as_secs())),
        ("clients/connected".to_owned(), connected.to_string()),
        ("clients/total".to_owned(), total.to_string()),
        (
            "clients/maximum".to_owned(),
            meters.clients_maximum.to_string(),
        ),
        (
            "clients/disconnected".to_owned(),
            total.saturating_sub(connected).to_string(),
        ),
        (
            "messages/received".to_owned(),
            meters.messages_received.to_string(),
        ),
        ("messages/sent".to_owned(), meters.messages_sent.to_string()),
        (
            "publish/messages/received".to_owned(),
            meters.messages_received.to_string(),
        ),
        (
            "publish/messages/sent".to_owned(),
            meters.messages_sent.to_string(),
        ),
        (
            "publish/messages/dropped".to_owned(),
            meters.publish_dropped.to_string(),
        ),
        (
            "publish/messages/refused".to_owned(),
            meters.publish_refused.to_string(),
        ),
        (
            "bytes/received".to_owned(),
            meters.bytes_received.to_string(),
        ),
        ("bytes/sent".to_owned(), meters.bytes_sent.to_string()),
        (
            "subscriptions/count".to_owned(),
            state.subscription_count().to_string(),
        ),
        (
            "retained messages/count".to_owned(),
            state.retained_count().to_string(),
        ),
    ];
    for (counter, averages) in COUNTERS.iter().zip(loads.averages) {
        for (window, average) in ["1min", "5min", "15min"].iter().zip(averages) {
            values.push((format!("load/{counter}/{window}"), format!("{average:.2}")));
        }
    }
    values
        .into_iter()
        .map(|(topic, value)| (format!("$SYS/broker/{topic}"), value))
        .collect()
}

/// Publish every `$SYS` value, retained, as the broker (no publisher).
pub fn publish_sys(state: &mut BrokerState, values: Vec<(String, String)>, now: Instant) {
    for (topic, value) in values {
        let message = Arc::new(BrokerMessage {
            topic,
            payload: Bytes::from(value),
            qos: Qos::AtMostOnce,
            retain: true,
            properties: None,
            expires_at: None,
            publisher: None,
        });
        state.publish(message, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_average_approaches_a_steady_rate() {
        let mut loads = LoadAverages::default();
        let start = Instant::now();
        let mut meters = MeterSnapshot::default();
        for second in 0..=600u64 {
            meters.messages_received = second * 10; // 600 per minute
            loads.update(start + Duration::from_secs(second), meters);
        }
        let one_minute = loads.averages[0][0];
        assert!((one_minute - 600.0).abs() < 1.0, "{one_minute}");
        let fifteen = loads.averages[0][2];
        assert!(fifteen > 200.0 && fifteen < 600.0, "{fifteen}");
    }
}
