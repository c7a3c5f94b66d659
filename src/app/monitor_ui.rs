//! The Monitor view of a connection: the broker's `$SYS` dashboard, traffic as Canopy sees it
//! (with top talkers), and the opt-in latency probe.

use super::format;
use super::latency_probe::{LatencyProbe, PROBE_INTERVAL};
use super::plot_ui::axis_clock;
use crate::model::{
    Counter, LOAD_COUNTERS, LOAD_WINDOWS, Model, NodeId, RankBy, SysDashboard, SysKey, Talker,
};
use egui::RichText;
use egui_plot::{Legend, Line, Plot, PlotPoints};
use std::time::{Duration, Instant};

/// Talkers listed per table.
const TALKERS_SHOWN: usize = 10;

/// How often the rankings are recomputed (they cost a pass over the window's buckets).
const RANKING_EVERY: Duration = Duration::from_millis(500);

/// What the monitor asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorAction {
    /// Show this node in the explorer's tree.
    Reveal(NodeId),
    /// Turn the latency probe on or off.
    SetProbe(bool),
}

/// The window of the traffic statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TrafficWindow {
    /// The last 10 seconds.
    #[default]
    TenSeconds,
    /// The last minute.
    Minute,
}

impl TrafficWindow {
    fn duration(self) -> Duration {
        match self {
            TrafficWindow::TenSeconds => Duration::from_secs(10),
            TrafficWindow::Minute => Duration::from_secs(60),
        }
    }
}

/// Top talkers as last computed: when, for which window and ranking, topics and subtrees.
type Rankings = (Instant, TrafficWindow, RankBy, Vec<Talker>, Vec<Talker>);

/// What the monitor remembers between frames.
#[derive(Default)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct MonitorView {
    pub window: TrafficWindow,
    /// How talkers are ranked.
    pub rank_by: RankBy,
    rankings: Option<Rankings>,
}

impl MonitorView {
    /// Forget cached rankings (a new connection has new node ids).
    pub fn reset(&mut self) {
        self.rankings = None;
    }
}

/// Draw the monitor for one connection.
pub fn monitor_ui(
    ui: &mut egui::Ui,
    view: &mut MonitorView,
    model: &Model,
    probe: &LatencyProbe,
    selected: Option<NodeId>,
    now: Instant,
) -> Option<MonitorAction> {
    let mut action = None;
    ui.heading("Broker ($SYS)");
    sys_dashboard_ui(ui, &model.sys, "monitor");
    ui.add_space(8.0);
    ui.separator();
    ui.heading("Traffic seen by Canopy");
    if let Some(reveal) = traffic_ui(ui, view, model, selected, now) {
        action = Some(MonitorAction::Reveal(reveal));
    }
    ui.add_space(8.0);
    ui.separator();
    ui.heading("Latency");
    let mut enabled = probe.enabled;
    if ui
        .checkbox(
            &mut enabled,
            format!(
                "Measure the round trip: publish to {} every {} s and time its return",
                probe.topic(),
                PROBE_INTERVAL.as_secs()
            ),
        )
        .changed()
    {
        action = Some(MonitorAction::SetProbe(enabled));
    }
    if probe.enabled || probe.sent > 0 {
        match probe.summary() {
            Some((last, min, mean, max)) => {
                ui.label(format!(
                    "Round trip: last {last:.1} ms, min {min:.1} ms, mean {mean:.1} ms, max {max:.1} ms ({} sent, {} lost)",
                    probe.sent, probe.lost
                ));
            }
            None => {
                ui.weak(format!(
                    "Waiting for the first probe to return ({} sent).",
                    probe.sent
                ));
            }
        }
        time_plot(
            ui,
            "latency_plot",
            160.0,
            vec![("round trip (ms)", probe.series.points().to_vec())],
        );
    }
    action
}

/// The `$SYS` dashboard: known values, load averages, rates over time and every other value.
pub fn sys_dashboard_ui(ui: &mut egui::Ui, sys: &SysDashboard, id_salt: &str) {
    if sys.is_empty() {
        ui.weak(
            "No $SYS values yet. Brokers like mosquitto publish them every few seconds to \
             subscribers of $SYS/#; some brokers publish none (the traffic below works on any).",
        );
        return;
    }
    sys_summary_ui(ui, sys, id_salt);
    sys_loads_ui(ui, sys, id_salt);
    sys_rates_ui(ui, sys, id_salt);
    sys_all_ui(ui, sys, id_salt);
}

/// The values every broker's `$SYS` tree has, with rates beside the counters.
fn sys_summary_ui(ui: &mut egui::Ui, sys: &SysDashboard, id_salt: &str) {
    let rows = sys_summary(sys);
    egui::Grid::new(("sys_grid", id_salt))
        .num_columns(4)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for pairs in rows.chunks(2) {
                for (name, value) in pairs {
                    ui.weak(*name);
                    ui.label(RichText::new(value).strong());
                }
                ui.end_row();
            }
        });
}

/// The summary's (name, value) pairs, two to a row.
fn sys_summary(sys: &SysDashboard) -> [(&'static str, String); 10] {
    let text = |key| sys.text(key).unwrap_or("-").to_owned();
    let count = |key| {
        sys.number(key)
            .map_or_else(|| "-".to_owned(), |n| format::thousands(n as u64))
    };
    let counter_line = |counter: Counter, key: SysKey, bytes: bool| {
        let show = |n: f64| {
            if bytes {
                format::bytes(n as u64)
            } else {
                format::thousands(n as u64)
            }
        };
        let total = sys.number(key).map_or_else(|| "-".to_owned(), show);
        match sys.rate_per_sec(counter) {
            Some(rate) if bytes => format!("{total} ({}/s)", format::bytes(rate as u64)),
            Some(rate) => format!("{total} ({})", format::rate(rate)),
            None => total,
        }
    };
    let uptime = sys.number(SysKey::Uptime).map_or_else(
        || text(SysKey::Uptime),
        |secs| format::duration(Duration::from_secs(secs as u64)),
    );
    let clients = format!(
        "{} (of {}, most {})",
        count(SysKey::ClientsConnected),
        count(SysKey::ClientsTotal),
        count(SysKey::ClientsMaximum)
    );
    let heap = match (
        sys.number(SysKey::HeapCurrent),
        sys.number(SysKey::HeapMaximum),
    ) {
        (Some(current), Some(max)) => format!(
            "{} (most {})",
            format::bytes(current as u64),
            format::bytes(max as u64)
        ),
        (Some(current), None) => format::bytes(current as u64),
        _ => "not published".to_owned(),
    };
    [
        ("Version", text(SysKey::Version)),
        ("Uptime", uptime),
        ("Clients connected", clients),
        ("Subscriptions", count(SysKey::Subscriptions)),
        (
            "Messages received",
            counter_line(Counter::MessagesReceived, SysKey::MessagesReceived, false),
        ),
        (
            "Messages sent",
            counter_line(Counter::MessagesSent, SysKey::MessagesSent, false),
        ),
        (
            "Bytes received",
            counter_line(Counter::BytesReceived, SysKey::BytesReceived, true),
        ),
        (
            "Bytes sent",
            counter_line(Counter::BytesSent, SysKey::BytesSent, true),
        ),
        ("Retained messages", count(SysKey::Retained)),
        ("Heap", heap),
    ]
}

/// mosquitto's load averages, when published.
fn sys_loads_ui(ui: &mut egui::Ui, sys: &SysDashboard, id_salt: &str) {
    let has_loads = LOAD_COUNTERS
        .iter()
        .any(|c| LOAD_WINDOWS.iter().any(|w| sys.load(c, w).is_some()));
    if has_loads {
        ui.add_space(4.0);
        ui.strong("Load (per minute, averaged over 1, 5 and 15 minutes)");
        egui::Grid::new(("load_grid", id_salt))
            .num_columns(4)
            .spacing([16.0, 2.0])
            .show(ui, |ui| {
                ui.weak("");
                for window in ["1 min", "5 min", "15 min"] {
                    ui.weak(window);
                }
                ui.end_row();
                for counter in LOAD_COUNTERS {
                    ui.label(counter.replace('/', " "));
                    for window in LOAD_WINDOWS {
                        ui.label(
                            sys.load(counter, window)
                                .map_or_else(|| "-".to_owned(), |v| format!("{v:.1}")),
                        );
                    }
                    ui.end_row();
                }
            });
    }
}

/// Message and byte rates over time, from the counters.
fn sys_rates_ui(ui: &mut egui::Ui, sys: &SysDashboard, id_salt: &str) {
    let messages: Vec<(&str, Vec<[f64; 2]>)> = [Counter::MessagesReceived, Counter::MessagesSent]
        .into_iter()
        .map(|c| (c.label(), sys.rate_series(c).points().to_vec()))
        .filter(|(_, points)| !points.is_empty())
        .collect();
    let bytes: Vec<(&str, Vec<[f64; 2]>)> = [Counter::BytesReceived, Counter::BytesSent]
        .into_iter()
        .map(|c| (c.label(), sys.rate_series(c).points().to_vec()))
        .filter(|(_, points)| !points.is_empty())
        .collect();
    if !messages.is_empty() || !bytes.is_empty() {
        ui.add_space(4.0);
        ui.strong("Rates since connecting (per second, from the counters)");
        ui.columns(2, |columns| {
            time_plot(&mut columns[0], ("sys_messages", id_salt), 150.0, messages);
            time_plot(&mut columns[1], ("sys_bytes", id_salt), 150.0, bytes);
        });
    }
}

/// Every `$SYS` value, as published.
fn sys_all_ui(ui: &mut egui::Ui, sys: &SysDashboard, id_salt: &str) {
    egui::CollapsingHeader::new(format!("All $SYS values ({})", sys.all().len()))
        .id_salt(("sys_all", id_salt))
        .show(ui, |ui| {
            egui::Grid::new(("sys_all_grid", id_salt))
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (topic, value) in sys.all() {
                        ui.label(RichText::new(topic).monospace());
                        ui.label(RichText::new(value).monospace());
                        ui.end_row();
                    }
                });
        });
}

fn traffic_ui(
    ui: &mut egui::Ui,
    view: &mut MonitorView,
    model: &Model,
    selected: Option<NodeId>,
    now: Instant,
) -> Option<NodeId> {
    let tree = &model.tree;
    let window = view.window.duration();
    let totals = model.traffic.rates(window, now);
    ui.horizontal_wrapped(|ui| traffic_bar_ui(ui, view, totals));
    if let Some(node) = selected.filter(|id| *id != NodeId::ROOT) {
        let rates = model.traffic.subtree_rates(tree, node, window, now);
        ui.label(format!(
            "Selected, {} and below: {} and {}/s",
            tree.topic_name(node),
            format::rate(rates.messages_per_sec),
            format::bytes(rates.bytes_per_sec as u64)
        ));
    }
    let fresh = view.rankings.as_ref().is_some_and(|(at, w, by, ..)| {
        now.duration_since(*at) < RANKING_EVERY && *w == view.window && *by == view.rank_by
    });
    if !fresh {
        let topics = model
            .traffic
            .top_topics(window, now, view.rank_by, TALKERS_SHOWN);
        let subtrees = model
            .traffic
            .top_subtrees(tree, window, now, view.rank_by, TALKERS_SHOWN);
        view.rankings = Some((now, view.window, view.rank_by, topics, subtrees));
    }
    let mut reveal = None;
    if let Some((_, _, _, topics, subtrees)) = &view.rankings {
        ui.columns(2, |columns| {
            let tables = [
                ("Top topics", topics, "top_topics"),
                ("Top subtrees", subtrees, "top_subtrees"),
            ];
            for (ui, (title, talkers, salt)) in columns.iter_mut().zip(tables) {
                ui.strong(title);
                if talkers.is_empty() {
                    ui.weak("No messages in this window.");
                    continue;
                }
                let ranking = Ranking {
                    tree,
                    rank_by: view.rank_by,
                    totals,
                };
                reveal = ranking.table_ui(ui, talkers, salt).or(reveal);
            }
        });
    }
    reveal
}

/// The total rates, the window they are over, and what the rankings rank by.
fn traffic_bar_ui(ui: &mut egui::Ui, view: &mut MonitorView, (messages, bytes): (f64, f64)) {
    ui.label(
        RichText::new(format!(
            "{} and {}/s",
            format::rate(messages),
            format::bytes(bytes as u64)
        ))
        .strong(),
    );
    ui.weak("over the last");
    ui.selectable_value(&mut view.window, TrafficWindow::TenSeconds, "10 s");
    ui.selectable_value(&mut view.window, TrafficWindow::Minute, "1 min");
    ui.separator();
    ui.weak("Rank by");
    ui.selectable_value(&mut view.rank_by, RankBy::Messages, "messages");
    ui.selectable_value(&mut view.rank_by, RankBy::Bytes, "bytes");
}

/// How a ranking table shows its talkers: their names, rates and share of the total.
struct Ranking<'a> {
    tree: &'a crate::model::TopicTree,
    rank_by: RankBy,
    /// Messages and bytes per second, all topics.
    totals: (f64, f64),
}

impl Ranking<'_> {
    /// The table; returns the node whose name was clicked.
    fn table_ui(&self, ui: &mut egui::Ui, talkers: &[Talker], salt: &str) -> Option<NodeId> {
        let mut reveal = None;
        let (messages_per_sec, bytes_per_sec) = self.totals;
        egui::Grid::new(salt)
            .num_columns(4)
            .striped(true)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                for title in ["Topic", "msg/s", "bytes/s", "share"] {
                    ui.weak(title);
                }
                ui.end_row();
                for talker in talkers {
                    let name = self.tree.topic_name(talker.node);
                    if ui
                        .link(RichText::new(&name).monospace())
                        .on_hover_text("Show in the tree")
                        .clicked()
                    {
                        reveal = Some(talker.node);
                    }
                    ui.label(format!("{:.1}", talker.messages_per_sec));
                    ui.label(format::bytes(talker.bytes_per_sec as u64));
                    let share = match self.rank_by {
                        RankBy::Messages if messages_per_sec > 0.0 => {
                            talker.messages_per_sec / messages_per_sec
                        }
                        RankBy::Bytes if bytes_per_sec > 0.0 => {
                            talker.bytes_per_sec / bytes_per_sec
                        }
                        _ => 0.0,
                    };
                    ui.label(format!("{:.0}%", share * 100.0));
                    ui.end_row();
                }
            });
        reveal
    }
}

/// Lines against wall-clock time, with a legend and values on hover.
fn time_plot(
    ui: &mut egui::Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    height: f32,
    lines: Vec<(&str, Vec<[f64; 2]>)>,
) {
    Plot::new(egui::Id::unique(id_salt))
        .height(height)
        .legend(Legend::default())
        .x_axis_formatter(|mark, _range| axis_clock(mark.value))
        .label_formatter(|position| match position {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}\n{}\n{:.2}",
                axis_clock(position.x),
                position.y
            )),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            for (name, points) in lines {
                plot_ui.line(Line::new(name, PlotPoints::new(points)).width(1.5));
            }
        });
}
