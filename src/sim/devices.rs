//! The simulated devices: what each one is, what it publishes, and its connection's life.

use super::sparkplug::{self, EdgeNode};
use super::{DROPOUT_ABSENCE, FleetStats, SimOptions};
use crate::model::MessageProperties;
use crate::mqtt::{ProtocolVersion, Qos};
use crate::net::client::Step;
use crate::net::client::{self, Client};
use crate::net::{ConnectOptions, LastWill, OutgoingMessage, Subscription};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// What a simulated device is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// JSON temperature/humidity/setpoint.
    Thermostat,
    /// Retained on/off state plus a numeric brightness.
    Light,
    /// "0"/"1".
    Motion,
    /// Plain numeric watts.
    PowerMeter,
    /// Retained "open"/"closed".
    Door,
    /// Binary PNG snapshots, now and then.
    Camera,
    /// JSON motor telemetry.
    Motor,
    /// Plain numeric belt speed.
    Conveyor,
    /// Plain increasing piece counter.
    Counter,
    /// JSON alarms with MQTT 5 expiry and user properties.
    Alarm,
    /// Sparkplug B edge node with one PLC device.
    Plc,
    /// A Sparkplug primary host application: only its `STATE`.
    SparkplugHost,
}

/// One device of the fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct DeviceSpec {
    /// Client id and name, e.g. `thermostat-kitchen`.
    pub id: String,
    pub kind: DeviceKind,
    /// Where it publishes, e.g. `home/kitchen/thermostat`.
    pub base_topic: String,
    /// The protocol it speaks: every fifth device MQTT 3.1.1, the rest MQTT 5.
    pub protocol: ProtocolVersion,
    /// It drops off now and then (its will fires) and comes back.
    pub drops_out: bool,
}

/// The first `count` devices of the fleet: home and factory interleaved, then generic lab sensors.
/// Long: it is the fleet's data, one entry per named device.
pub fn catalogue(count: usize) -> Vec<DeviceSpec> {
    let rooms = [
        "kitchen",
        "livingroom",
        "bedroom",
        "office",
        "bathroom",
        "garage",
        "hall",
    ];
    let mut home = Vec::new();
    for room in rooms {
        for (kind, name) in [
            (DeviceKind::Thermostat, "thermostat"),
            (DeviceKind::Light, "light"),
            (DeviceKind::Motion, "motion"),
            (DeviceKind::PowerMeter, "power"),
        ] {
            home.push((
                kind,
                format!("{name}-{room}"),
                format!("home/{room}/{name}"),
            ));
        }
    }
    home.push((
        DeviceKind::Door,
        "door-hall".into(),
        "home/hall/door".into(),
    ));
    home.push((
        DeviceKind::Camera,
        "camera-garage".into(),
        "home/garage/camera".into(),
    ));
    home.push((
        DeviceKind::Camera,
        "camera-livingroom".into(),
        "home/livingroom/camera".into(),
    ));
    let mut factory = Vec::new();
    for line in 1..=3 {
        for motor in 1..=2 {
            factory.push((
                DeviceKind::Motor,
                format!("motor-l{line}-m{motor}"),
                format!("factory/line{line}/motor{motor}"),
            ));
        }
        factory.push((
            DeviceKind::Conveyor,
            format!("conveyor-l{line}"),
            format!("factory/line{line}/conveyor"),
        ));
        factory.push((
            DeviceKind::Counter,
            format!("counter-l{line}"),
            format!("factory/line{line}/output"),
        ));
        factory.push((
            DeviceKind::Alarm,
            format!("alarms-l{line}"),
            format!("factory/line{line}/alarms"),
        ));
        factory.push((
            DeviceKind::Plc,
            format!("line{line}-edge"),
            format!("spBv1.0/factory/+/line{line}-edge"),
        ));
    }
    factory.push((
        DeviceKind::SparkplugHost,
        sparkplug::HOST.to_owned(),
        format!("spBv1.0/STATE/{}", sparkplug::HOST),
    ));
    let mut interleaved = Vec::new();
    let (mut h, mut f) = (home.into_iter(), factory.into_iter());
    loop {
        match (h.next(), f.next()) {
            (None, None) => break,
            (a, b) => interleaved.extend(a.into_iter().chain(b)),
        }
    }
    let mut specs: Vec<DeviceSpec> = interleaved
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, (kind, id, base_topic))| DeviceSpec {
            id,
            kind,
            base_topic,
            protocol: if i % 5 == 4 {
                ProtocolVersion::V311
            } else {
                ProtocolVersion::V5
            },
            drops_out: i % 10 == 3,
        })
        .collect();
    for extra in specs.len()..count {
        specs.push(DeviceSpec {
            id: format!("lab-node{extra}"),
            kind: DeviceKind::Thermostat,
            base_topic: format!("lab/sensors/node{extra}"),
            protocol: if extra % 5 == 4 {
                ProtocolVersion::V311
            } else {
                ProtocolVersion::V5
            },
            drops_out: false,
        });
    }
    specs
}

/// A small deterministic random source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A value drifting around `center` within ±`spread`.
    fn drift(&mut self, value: &mut f64, center: f64, spread: f64) {
        *value += (self.unit() - 0.5) * spread * 0.2 + (center - *value) * 0.05;
        *value = value.clamp(center - spread, center + spread);
    }
}

/// Properties a simulated publish may carry (MQTT 5 devices only).
#[derive(Default)]
struct Props {
    content_type: Option<&'static str>,
    user: Vec<(&'static str, String)>,
    expiry_secs: Option<u32>,
}

/// A device's connection, built by the same builder as every other client of Canopy.
struct SimClient(Client);

impl SimClient {
    async fn publish(
        &self,
        topic: &str,
        qos: u8,
        retain: bool,
        payload: Bytes,
        props: Props,
    ) -> bool {
        let properties = MessageProperties {
            content_type: props.content_type.map(str::to_owned),
            user_properties: props
                .user
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            message_expiry_interval_secs: props.expiry_secs,
            ..MessageProperties::default()
        };
        let message = OutgoingMessage {
            topic: topic.to_owned(),
            payload,
            qos: Qos::from_level(qos).unwrap_or(Qos::AtLeastOnce),
            retain,
            // 3.1.1 devices have no properties to send.
            properties: (self.0.is_v5() && !properties.is_empty()).then_some(properties),
        };
        self.0.publish(message).await.is_ok()
    }

    async fn disconnect(&self) {
        self.0.disconnect().await;
    }
}

/// One simulated device and its state.
pub(super) struct Device {
    spec: DeviceSpec,
    host: String,
    port: u16,
    period: Duration,
    dropouts: bool,
    rng: Rng,
    value: f64,
    counter: u64,
    on: bool,
    /// The Sparkplug side of a PLC.
    edge: Option<EdgeNode>,
    /// Set when an NCMD asked the edge node to rebirth.
    rebirth: Arc<AtomicBool>,
}

impl Device {
    pub(super) fn new(spec: DeviceSpec, options: &SimOptions, index: u64) -> Self {
        let rate = if options.rate_hz.is_finite() && options.rate_hz > 0.0 {
            options.rate_hz
        } else {
            1.0
        };
        let mut rng = Rng::new(options.seed ^ (index + 1).wrapping_mul(0x1000_0001));
        let value = rng.unit();
        Self {
            host: options.host.clone(),
            port: options.port,
            period: Duration::from_secs_f64(1.0 / rate),
            dropouts: options.dropouts,
            rng,
            value,
            counter: 0,
            on: index.is_multiple_of(2),
            edge: (spec.kind == DeviceKind::Plc)
                .then(|| EdgeNode::new(spec.base_topic.rsplit('/').next().unwrap_or_default())),
            rebirth: Arc::new(AtomicBool::new(false)),
            spec,
        }
    }

    fn status_topic(&self) -> String {
        format!("devices/{}/status", self.spec.id)
    }

    /// Connect, publish until stopped; a device that drops out vanishes (no DISCONNECT, so its
    /// will fires) and comes back after a while.
    pub(super) async fn run(mut self, stats: Arc<FleetStats>, mut stop: watch::Receiver<bool>) {
        loop {
            let (client, poll_task, presence) = match self.connect(&stats) {
                Ok(connected) => connected,
                Err(error) => {
                    tracing::warn!("simulated device {} cannot connect: {error}", self.spec.id);
                    return;
                }
            };
            self.announce(&client, &stats).await;
            let lifetime = if self.dropouts && self.spec.drops_out {
                Some(Duration::from_secs(20 + self.rng.next_u64() % 40))
            } else {
                None
            };
            let started = tokio::time::Instant::now();
            // Spread the fleet's messages over the period instead of bursting together.
            let offset = self.period.mul_f64(self.rng.unit());
            let mut ticks = tokio::time::interval_at(started + offset, self.period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let ended_by_stop = loop {
                tokio::select! {
                    _ = stop.changed() => break true,
                    _ = ticks.tick() => {
                        if lifetime.is_some_and(|life| started.elapsed() >= life) {
                            break false;
                        }
                        if self.rebirth.swap(false, Ordering::Relaxed) {
                            self.publish_births(&client, &stats).await;
                        } else {
                            self.publish_reading(&client, &stats).await;
                        }
                    }
                }
            };
            if ended_by_stop {
                client.disconnect().await;
                // Give the DISCONNECT a moment to go out before the socket closes.
                let _ = tokio::time::timeout(Duration::from_millis(300), poll_task).await;
                presence.down();
                return;
            }
            // Vanish: drop the socket without DISCONNECT.
            poll_task.abort();
            presence.down();
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(DROPOUT_ABSENCE) => {}
            }
        }
    }

    fn connect(
        &mut self,
        stats: &Arc<FleetStats>,
    ) -> Result<(SimClient, tokio::task::JoinHandle<()>, Arc<Presence>), crate::net::NetError> {
        let status = self.status_topic();
        let presence = Arc::new(Presence {
            online: std::sync::atomic::AtomicBool::new(false),
            stats: Arc::clone(stats),
        });
        let task_presence = Arc::clone(&presence);
        let mut options = ConnectOptions::new(self.host.clone(), self.port);
        options.protocol = self.spec.protocol;
        options.client_id = self.spec.id.clone();
        options.keep_alive_secs = 15;
        options.subscriptions = Vec::new();
        options.last_will = Some(match (&mut self.edge, self.spec.kind) {
            (Some(edge), _) => {
                let (topic, payload, _) = edge.next_session();
                LastWill {
                    topic,
                    payload: Bytes::from(payload),
                    qos: Qos::AtLeastOnce,
                    retain: false,
                }
            }
            (None, DeviceKind::SparkplugHost) => {
                let (topic, payload, _) = sparkplug::host_state(false);
                LastWill {
                    topic,
                    payload: Bytes::from(payload),
                    qos: Qos::AtLeastOnce,
                    retain: true,
                }
            }
            (None, _) => LastWill {
                topic: status,
                payload: Bytes::from_static(b"offline"),
                qos: Qos::AtLeastOnce,
                retain: true,
            },
        });
        let (client, mut event_loop, _no_tls_origin) = client::build(&options)?;
        if let Some(edge) = &self.edge {
            client.try_subscribe(&[Subscription {
                filter: edge.command_topic(),
                qos: Qos::AtLeastOnce,
            }])?;
        }
        let rebirth = Arc::clone(&self.rebirth);
        let task = tokio::spawn(async move {
            loop {
                match event_loop.step().await {
                    Ok(Step::Connected) => task_presence.up(),
                    // Only an edge node subscribes, to its commands: the one it obeys is Rebirth.
                    Ok(Step::Message(_)) => rebirth.store(true, Ordering::Relaxed),
                    Ok(Step::Other) => {}
                    Err(_) => {
                        task_presence.down();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok((SimClient(client), task, presence))
    }

    /// Birth: retained "online" status and config; Sparkplug birth certificates for PLCs.
    async fn announce(&mut self, client: &SimClient, stats: &FleetStats) {
        let mut sent = 0;
        match self.spec.kind {
            // Their births and STATE say whether they are online.
            DeviceKind::Plc => {}
            DeviceKind::SparkplugHost => {
                let (topic, payload, qos) = sparkplug::host_state(true);
                sent += u64::from(
                    client
                        .publish(&topic, qos, true, Bytes::from(payload), Props::default())
                        .await,
                );
            }
            _ => {
                sent += u64::from(
                    client
                        .publish(
                            &self.status_topic(),
                            1,
                            true,
                            Bytes::from_static(b"online"),
                            Props::default(),
                        )
                        .await,
                );
            }
        }
        let config = match self.spec.kind {
            DeviceKind::Plc | DeviceKind::SparkplugHost => None,
            kind => Some(format!(
                r#"{{"device":"{}","kind":"{kind:?}","firmware":"2.{}.{}","interval_ms":{}}}"#,
                self.spec.id,
                self.rng.next_u64() % 5,
                self.rng.next_u64() % 20,
                self.period.as_millis()
            )),
        };
        if let Some(config) = config {
            let topic = format!("{}/config", self.spec.base_topic);
            let props = Props {
                content_type: Some("application/json"),
                ..Props::default()
            };
            sent += u64::from(
                client
                    .publish(&topic, 1, true, Bytes::from(config), props)
                    .await,
            );
        }
        for (topic, config, retain) in super::household::discovery_configs(&self.spec) {
            sent += u64::from(
                client
                    .publish(&topic, 1, retain, Bytes::from(config), Props::default())
                    .await,
            );
        }
        stats.published.fetch_add(sent, Ordering::Relaxed);
        self.publish_births(client, stats).await;
    }

    /// A PLC's NBIRTH and DBIRTH (on connecting, and when asked to rebirth).
    async fn publish_births(&mut self, client: &SimClient, stats: &FleetStats) {
        self.rng.drift(&mut self.value, 0.5, 0.5);
        // Two decimals, as a PLC reports its speed.
        let rpm = ((1450.0 + self.value * 100.0) * 100.0).round() / 100.0;
        let Some(edge) = &mut self.edge else {
            return;
        };
        for (topic, payload, qos) in edge.births(rpm, self.counter) {
            if client
                .publish(&topic, qos, false, Bytes::from(payload), Props::default())
                .await
            {
                stats.published.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    async fn publish_reading(&mut self, client: &SimClient, stats: &FleetStats) {
        let Some(Reading(topic, qos, retain, payload, props)) = self.next_reading() else {
            return;
        };
        self.counter += 1;
        if client.publish(&topic, qos, retain, payload, props).await {
            stats.published.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// What the device publishes next, as its kind would (a primary host publishes only its
    /// `STATE`, when it connects).
    fn next_reading(&mut self) -> Option<Reading> {
        let base = self.spec.base_topic.clone();
        let plain = |topic: String, payload: String| {
            Reading(topic, 0, false, Bytes::from(payload), Props::default())
        };
        Some(match self.spec.kind {
            DeviceKind::Thermostat => self.thermostat(base),
            DeviceKind::Light => self.light(&base),
            DeviceKind::Motion => plain(base, u8::from(self.rng.unit() < 0.2).to_string()),
            DeviceKind::PowerMeter => {
                self.rng.drift(&mut self.value, 0.5, 0.5);
                plain(base, format!("{:.1}", 80.0 + self.value * 900.0))
            }
            DeviceKind::Door => {
                if self.rng.unit() < 0.15 {
                    self.on = !self.on;
                }
                let state = if self.on { "open" } else { "closed" };
                Reading(base, 1, true, Bytes::from(state), Props::default())
            }
            DeviceKind::Camera => {
                let props = Props {
                    content_type: Some("image/png"),
                    ..Props::default()
                };
                let png = Bytes::from(png_snapshot(&mut self.rng));
                Reading(format!("{base}/snapshot"), 0, false, png, props)
            }
            DeviceKind::Motor => self.motor(&base),
            DeviceKind::Conveyor => {
                self.rng.drift(&mut self.value, 0.5, 0.5);
                let speed = 0.8 + self.value * 0.6;
                // Every other reading, the line's protobuf telemetry (the built-in example schema).
                match base.strip_suffix("/conveyor") {
                    Some(line_topic) if self.counter % 2 == 1 => {
                        let line = line_topic.rsplit('/').next().unwrap_or_default();
                        let payload =
                            super::telemetry::encode(line, speed, self.counter, SystemTime::now());
                        let props = Props {
                            content_type: Some("application/x-protobuf"),
                            ..Props::default()
                        };
                        Reading(
                            format!("{line_topic}/telemetry"),
                            0,
                            false,
                            Bytes::from(payload),
                            props,
                        )
                    }
                    _ => plain(format!("{base}/speed"), format!("{speed:.2}")),
                }
            }
            DeviceKind::Counter => {
                self.counter += 1 + self.rng.next_u64() % 3;
                plain(format!("{base}/count"), self.counter.to_string())
            }
            DeviceKind::Alarm => self.alarm(base),
            DeviceKind::Plc => {
                self.counter += 1;
                self.rng.drift(&mut self.value, 0.5, 0.5);
                // Two decimals, as a PLC reports its speed.
                let rpm = ((1450.0 + self.value * 100.0) * 100.0).round() / 100.0;
                let (topic, payload, qos) = self.edge.as_mut()?.data(rpm, self.counter);
                Reading(topic, qos, false, Bytes::from(payload), Props::default())
            }
            DeviceKind::SparkplugHost => return None,
        })
    }

    fn thermostat(&mut self, base: String) -> Reading {
        self.rng.drift(&mut self.value, 0.5, 0.5);
        let temperature = 19.0 + self.value * 4.0;
        let payload = format!(
            r#"{{"temperature":{temperature:.2},"humidity":{:.1},"setpoint":21.0,"battery":{}}}"#,
            38.0 + self.rng.unit() * 8.0,
            100 - (self.counter / 60).min(60)
        );
        let props = Props {
            content_type: Some("application/json"),
            user: vec![("unit", "celsius".to_owned())],
            ..Props::default()
        };
        Reading(base, 0, false, Bytes::from(payload), props)
    }

    /// Now and then switched (a retained state), otherwise its brightness.
    fn light(&mut self, base: &str) -> Reading {
        if self.rng.unit() < 0.1 {
            self.on = !self.on;
            let state = if self.on { "on" } else { "off" };
            return Reading(
                format!("{base}/state"),
                1,
                true,
                Bytes::from(state),
                Props::default(),
            );
        }
        let level = if self.on {
            20 + self.rng.next_u64() % 80
        } else {
            0
        };
        Reading(
            format!("{base}/brightness"),
            0,
            false,
            Bytes::from(level.to_string()),
            Props::default(),
        )
    }

    fn motor(&mut self, base: &str) -> Reading {
        self.rng.drift(&mut self.value, 0.5, 0.5);
        let payload = format!(
            r#"{{"rpm":{},"current_a":{:.2},"temp_c":{:.1},"vibration_mm_s":{:.2},"status":"running"}}"#,
            1400 + (self.value * 150.0) as u32,
            10.0 + self.value * 5.0,
            55.0 + self.value * 12.0,
            1.2 + self.rng.unit() * 1.5
        );
        let props = Props {
            content_type: Some("application/json"),
            ..Props::default()
        };
        Reading(
            format!("{base}/telemetry"),
            0,
            false,
            Bytes::from(payload),
            props,
        )
    }

    /// A JSON alarm with MQTT 5 user properties and a one-minute expiry.
    fn alarm(&mut self, base: String) -> Reading {
        let severity = ["info", "warning", "critical"][(self.rng.next_u64() % 3) as usize];
        let payload = format!(
            r#"{{"code":"E{:03}","severity":"{severity}","message":"simulated {severity} on {}"}}"#,
            self.rng.next_u64() % 200,
            self.spec.id
        );
        let props = Props {
            content_type: Some("application/json"),
            user: vec![
                ("severity", severity.to_owned()),
                ("source", self.spec.id.clone()),
            ],
            expiry_secs: Some(60),
        };
        Reading(base, 1, false, Bytes::from(payload), props)
    }
}

/// One publish of a device: topic, QoS, retain, payload and MQTT 5 properties.
struct Reading(String, u8, bool, Bytes, Props);

/// Keeps the fleet's connected count right whether the connection ends by error or by abort.
struct Presence {
    online: std::sync::atomic::AtomicBool,
    stats: Arc<FleetStats>,
}

impl Presence {
    fn up(&self) {
        if !self.online.swap(true, Ordering::Relaxed) {
            self.stats.connected.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn down(&self) {
        if self.online.swap(false, Ordering::Relaxed) {
            self.stats.connected.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A tiny valid PNG (a 4×4 grey image whose shade changes), so image viewers have something real.
fn png_snapshot(rng: &mut Rng) -> Vec<u8> {
    // Pre-encoded 4x4 8-bit greyscale PNG with an uncompressed (stored) zlib stream; the shade byte
    // sits inside the IDAT data, and the CRC/Adler checksums are recomputed below.
    let shade = (rng.next_u64() % 256) as u8;
    let mut raw = Vec::new();
    for _ in 0..4 {
        raw.push(0); // filter: none
        raw.extend_from_slice(&[shade; 4]);
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    zlib.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&4u32.to_be_bytes());
    ihdr.extend_from_slice(&4u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&data);
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    png
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_mixes_home_and_factory_and_is_stable() {
        let fleet = catalogue(50);
        assert_eq!(fleet.len(), 50);
        assert_eq!(fleet, catalogue(50));
        assert!(fleet.iter().any(|d| d.base_topic.starts_with("home/")));
        assert!(fleet.iter().any(|d| d.base_topic.starts_with("factory/")));
        assert!(fleet.iter().any(|d| d.kind == DeviceKind::Plc));
        assert!(
            ProtocolVersion::ALL
                .iter()
                .all(|v| fleet.iter().any(|d| d.protocol == *v))
        );
        assert!(fleet.iter().any(|d| d.drops_out));
        let mut ids: Vec<_> = fleet.iter().map(|d| d.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 50, "client ids are unique");
        assert_eq!(catalogue(3).len(), 3);
        assert_eq!(catalogue(80).len(), 80);
    }

    #[test]
    fn snapshots_are_valid_pngs() {
        let png = png_snapshot(&mut Rng::new(1));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(crc32(b"IEND"), 0xAE42_6082, "the well-known IEND CRC");
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }
}
