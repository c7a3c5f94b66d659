//! The chart of one connection: which topics and fields are plotted, their samples, and the
//! view settings. Fed from each batch before it reaches the tree; drawn by `plot_ui`.

use crate::model::{Incoming, Message, Model, Series};
use crate::payload::{self, Path, PayloadView, Value};
use rustc_hash::FxHashSet;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Line colours, in the order series are added (distinct on dark and light backgrounds).
const PALETTE: [egui::Color32; 8] = [
    egui::Color32::from_rgb(86, 180, 233),
    egui::Color32::from_rgb(230, 159, 0),
    egui::Color32::from_rgb(0, 158, 115),
    egui::Color32::from_rgb(204, 121, 167),
    egui::Color32::from_rgb(240, 228, 66),
    egui::Color32::from_rgb(213, 94, 0),
    egui::Color32::from_rgb(0, 114, 178),
    egui::Color32::from_rgb(170, 170, 170),
];

/// One plotted quantity: a topic, and a field inside its payload (the root for plain numbers).
#[derive(Debug)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct ChartSeries {
    pub topic: String,
    /// The field inside the payload; the root means the payload itself is the number.
    pub path: Path,
    /// How payloads on this topic are decoded (resolved when the series was added).
    pub view: PayloadView,
    pub series: Series,
    /// Line colour.
    pub color: egui::Color32,
}

impl ChartSeries {
    /// The name in the legend and the CSV: the topic, and the field when there is one.
    pub fn label(&self) -> String {
        if self.path.is_root() {
            self.topic.clone()
        } else {
            format!("{} {}", self.topic, self.path)
        }
    }
}

/// How much time the chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeWindow {
    /// The last minute.
    Minute,
    /// The last ten minutes.
    #[default]
    TenMinutes,
    /// The last hour.
    Hour,
    /// Everything kept.
    All,
}

impl TimeWindow {
    /// Every window, in toolbar order.
    pub const ALL: [TimeWindow; 4] = [
        TimeWindow::Minute,
        TimeWindow::TenMinutes,
        TimeWindow::Hour,
        TimeWindow::All,
    ];

    /// The toolbar label.
    pub fn label(self) -> &'static str {
        match self {
            TimeWindow::Minute => "1 min",
            TimeWindow::TenMinutes => "10 min",
            TimeWindow::Hour => "1 h",
            TimeWindow::All => "All",
        }
    }

    /// The window's length in seconds; `None` for everything.
    pub fn secs(self) -> Option<f64> {
        match self {
            TimeWindow::Minute => Some(60.0),
            TimeWindow::TenMinutes => Some(600.0),
            TimeWindow::Hour => Some(3600.0),
            TimeWindow::All => None,
        }
    }
}

/// A chart: several series from different topics on one time axis.
#[derive(Debug, Default)]
pub struct Chart {
    /// The series, in the order they were added.
    pub series: Vec<ChartSeries>,
    /// How much time is shown.
    pub window: TimeWindow,
    /// When the user paused, in Unix seconds; `None` follows new data.
    pub paused_at: Option<f64>,
    /// Whether the chart panel is open.
    pub open: bool,
    /// One plot per series (sharing the time axis) instead of all on one.
    pub stacked: bool,
    /// Topics with at least one series, so a batch costs one lookup per message.
    topics: FxHashSet<String>,
    next_color: usize,
}

/// The hint the `seq`-th message, on `topic`, is decoded with when plotted: the Sparkplug
/// aliases in effect when it arrived, the protobuf type bound to its topic.
fn hint<'a>(topic: &'a str, seq: u64, model: &'a Model) -> payload::Hint<'a> {
    payload::Hint {
        topic,
        content_type: None,
        aliases: model.sparkplug.aliases_at(topic, seq),
        message_type: model.protobuf.message_for(topic),
    }
}

/// Why a series could not be added.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    /// The same topic and field is already plotted.
    AlreadyPlotted,
}

impl Chart {
    /// Plot `path` of `topic`'s payloads (decoded as `view`), starting from the messages already
    /// kept in `history` (oldest first). Opens the chart panel.
    pub fn add(
        &mut self,
        topic: &str,
        path: Path,
        view: PayloadView,
        (history, model): (&VecDeque<Message>, &Model),
    ) -> Result<(), AddError> {
        self.open = true;
        if self
            .series
            .iter()
            .any(|s| s.topic == topic && s.path == path)
        {
            return Err(AddError::AlreadyPlotted);
        }
        let mut series = Series::default();
        for message in history {
            let hint = hint(topic, message.seq, model);
            if let Some(y) = payload::sample(&message.payload, view, &path, &hint) {
                series.push(unix_secs(message.received_at), y);
            }
        }
        self.series.push(ChartSeries {
            topic: topic.to_owned(),
            path,
            view,
            series,
            color: PALETTE[self.next_color % PALETTE.len()],
        });
        self.next_color += 1;
        self.topics.insert(topic.to_owned());
        Ok(())
    }

    /// Refill every series from the history kept in `tree` (the tree was replaced).
    pub fn refill(&mut self, model: &Model) {
        let tree = &model.tree;
        for chart_series in &mut self.series {
            chart_series.series = Series::default();
            let Some(node) = tree.find(&chart_series.topic).and_then(|id| tree.node(id)) else {
                continue;
            };
            for message in node.history() {
                let hint = hint(&chart_series.topic, message.seq, model);
                if let Some(y) = payload::sample(
                    &message.payload,
                    chart_series.view,
                    &chart_series.path,
                    &hint,
                ) {
                    chart_series.series.push(unix_secs(message.received_at), y);
                }
            }
        }
    }

    /// Stop plotting series `index`.
    pub fn remove(&mut self, index: usize) {
        if index < self.series.len() {
            self.series.remove(index);
            self.topics = self.series.iter().map(|s| s.topic.clone()).collect();
        }
    }

    /// Take samples from a batch whose first message the tree numbers `first_seq`. Each payload
    /// is decoded at most once, however many fields of it are plotted; messages on other topics
    /// cost one hash lookup.
    pub fn ingest(&mut self, batch: &[Incoming], first_seq: u64, model: &Model) {
        if self.topics.is_empty() {
            return;
        }
        for (index, incoming) in batch.iter().enumerate() {
            if !self.topics.contains(&incoming.topic) {
                continue;
            }
            let hint = hint(&incoming.topic, first_seq + index as u64, model);
            let x = unix_secs(incoming.received_at);
            let mut decoded: Option<(PayloadView, Option<Value>)> = None;
            for chart_series in self.series.iter_mut().filter(|s| s.topic == incoming.topic) {
                let y = if chart_series.view.is_structured() {
                    if decoded
                        .as_ref()
                        .is_none_or(|(view, _)| *view != chart_series.view)
                    {
                        decoded = Some((
                            chart_series.view,
                            payload::decode(&incoming.payload, chart_series.view, &hint).ok(),
                        ));
                    }
                    decoded
                        .as_ref()
                        .and_then(|(_, value)| value.as_ref())
                        .and_then(|value| value.get(&chart_series.path))
                        .and_then(Value::as_f64)
                } else {
                    payload::sample(
                        &incoming.payload,
                        chart_series.view,
                        &chart_series.path,
                        &hint,
                    )
                };
                if let Some(y) = y {
                    chart_series.series.push(x, y);
                }
            }
        }
    }

    /// Every sample of every series as CSV (`time_utc,unix_ms,series,topic,field,value`), in
    /// series order then time order.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("time_utc,unix_ms,series,topic,field,value\n");
        for chart_series in &self.series {
            let label = csv_field(&chart_series.label());
            let topic = csv_field(&chart_series.topic);
            let field = csv_field(&chart_series.path.to_string());
            for [x, y] in chart_series.series.points() {
                let millis = (x * 1000.0).round() as i64;
                let time = chrono::DateTime::from_timestamp_millis(millis)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
                    .unwrap_or_default();
                let _ = writeln!(out, "{time},{millis},{label},{topic},{field},{y}");
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Seconds since the Unix epoch, as plotted on the x axis.
pub fn unix_secs(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::PathSegment;
    use std::time::Duration;

    fn at(topic: &str, payload: &str, secs: u64) -> Incoming {
        let mut incoming = Incoming::new(topic, payload.to_owned());
        incoming.received_at = UNIX_EPOCH + Duration::from_secs(secs);
        incoming
    }

    fn field(name: &str) -> Path {
        Path(vec![PathSegment::Key(name.to_owned())])
    }

    #[test]
    fn two_fields_of_one_topic_and_a_plain_number() {
        let mut chart = Chart::default();
        let history = VecDeque::from([Message::from_incoming(
            at("s/1", r#"{"t":1,"h":50}"#, 10),
            1,
        )]);
        chart
            .add(
                "s/1",
                field("t"),
                PayloadView::Json,
                (&history, &Model::default()),
            )
            .expect("added");
        chart
            .add(
                "s/1",
                field("h"),
                PayloadView::Json,
                (&history, &Model::default()),
            )
            .expect("added");
        chart
            .add(
                "p/2",
                Path::default(),
                PayloadView::Text,
                (&VecDeque::new(), &Model::default()),
            )
            .expect("added");
        assert_eq!(
            chart.add(
                "s/1",
                field("t"),
                PayloadView::Json,
                (&history, &Model::default())
            ),
            Err(AddError::AlreadyPlotted)
        );
        chart.ingest(
            &[
                at("s/1", r#"{"t":2,"h":51}"#, 11),
                at("p/2", "7.5", 11),
                at("other", "1", 11),
                at("s/1", "broken", 12),
                at("p/2", "offline", 12),
            ],
            0,
            &Model::default(),
        );
        let points: Vec<_> = chart
            .series
            .iter()
            .map(|s| s.series.points().to_vec())
            .collect();
        assert_eq!(points[0], [[10.0, 1.0], [11.0, 2.0]]);
        assert_eq!(points[1], [[10.0, 50.0], [11.0, 51.0]]);
        assert_eq!(points[2], [[11.0, 7.5]]);

        chart.remove(2);
        chart.ingest(&[at("p/2", "8", 13)], 0, &Model::default());
        assert_eq!(chart.series.len(), 2);
    }

    #[test]
    fn csv_export_quotes_and_orders() {
        let mut chart = Chart::default();
        chart
            .add(
                "a,b",
                field("x"),
                PayloadView::Json,
                (&VecDeque::new(), &Model::default()),
            )
            .expect("added");
        chart.ingest(
            &[
                at("a,b", r#"{"x":1.5}"#, 1_700_000_000),
                at("a,b", r#"{"x":-2}"#, 1_700_000_001),
            ],
            0,
            &Model::default(),
        );
        let csv = chart.to_csv();
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines[0], "time_utc,unix_ms,series,topic,field,value");
        assert_eq!(
            lines[1],
            "2023-11-14T22:13:20.000Z,1700000000000,\"a,b $.x\",\"a,b\",$.x,1.5"
        );
        assert_eq!(lines.len(), 3);
    }
}
