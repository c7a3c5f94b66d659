//! The Sparkplug view of a connection: groups, edge nodes and devices with their online state,
//! last seen and `seq` health; the selected node's or device's metrics (from its latest birth,
//! aliases resolved) with value, type, timestamp and stale flag, sortable and filterable; data
//! sets as tables and templates as trees; plotting a metric by name; Rebirth; the primary hosts'
//! `STATE`; and the problems found, each with the message that revealed it.

use super::format;
use crate::model::sparkplug::{EdgeNode, Event, MetricState, Metrics, Presence, Sessions};
use crate::mqtt::sparkplug::{self as sp, MessageType, MetricValue, Template};
use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Template members deeper than this are summarised, not drawn.
const MAX_TEMPLATE_DEPTH: usize = 8;
/// Problems listed, newest first.
const EVENTS_SHOWN: usize = 200;

const GREEN: Color32 = Color32::from_rgb(80, 200, 120);
const RED: Color32 = Color32::from_rgb(230, 90, 80);
const AMBER: Color32 = Color32::from_rgb(230, 160, 60);

/// Which node or device is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub group: String,
    pub node: String,
    /// A device of the node, or the node itself.
    pub device: Option<String>,
}

/// How the metrics table is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    /// By metric name.
    #[default]
    Name,
    /// By value (numbers numerically, then text).
    Value,
    /// By data type.
    Type,
    /// By when the value last changed, newest first.
    Updated,
}

/// The view's state for one connection.
#[derive(Default)]
pub struct SparkplugView {
    /// The node or device whose metrics are listed.
    pub selected: Option<Selection>,
    /// Only metrics whose name contains this (any case).
    pub filter: String,
    pub sort: SortBy,
    /// The metric whose data set, template or properties are shown below the table.
    pub detail: Option<String>,
}

/// What the view asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum SparkplugAction {
    /// Confirm, then send `Node Control/Rebirth` to this edge node.
    Rebirth { group: String, node: String },
    /// Plot the metric `name` of the data messages on `topic`.
    Plot {
        /// The NDATA or DDATA topic.
        topic: String,
        /// The metric's name.
        name: String,
    },
    /// Show message `seq` of `topic` in the explorer.
    Show { topic: String, seq: u64 },
}

/// Draw the view of `sessions`.
pub fn sparkplug_ui(
    ui: &mut egui::Ui,
    view: &mut SparkplugView,
    sessions: &Sessions,
    now: SystemTime,
) -> Option<SparkplugAction> {
    if sessions.is_empty() {
        ui.weak(
            "No Sparkplug B traffic seen (topics spBv1.0/<group>/<type>/<edge node>[/<device>] \
             and spBv1.0/STATE/<host>).",
        );
        return None;
    }
    if view.selected.is_none()
        && let Some((group, nodes)) = sessions.groups().iter().next()
        && let Some(node) = nodes.keys().next()
    {
        view.selected = Some(Selection {
            group: group.clone(),
            node: node.clone(),
            device: None,
        });
    }
    let mut action = None;
    egui::Panel::left("sparkplug_nodes")
        .resizable(true)
        .default_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("sparkplug_tree")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    hosts_ui(ui, sessions, now);
                    nodes_ui(ui, view, sessions, now);
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        let problems_height = (ui.available_height() * 0.25).clamp(60.0, 220.0);
        egui::Panel::bottom("sparkplug_problems")
            .resizable(true)
            .default_size(problems_height)
            .show(ui, |ui| {
                if let Some(asked) = events_ui(ui, sessions) {
                    action = Some(asked);
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(asked) = selected_ui(ui, view, sessions, now) {
                action = Some(asked);
            }
        });
    });
    action
}

fn presence_color(presence: Presence) -> Color32 {
    match presence {
        Presence::Online => GREEN,
        Presence::Offline => RED,
        Presence::NoBirth => AMBER,
    }
}

/// A coloured dot and a word: online, offline, no birth seen, unknown.
fn status_ui(ui: &mut egui::Ui, color: Color32, word: &str) {
    let color = super::colors::adapt(color, ui.visuals());
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.6, size), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), size * 0.25, color);
    ui.label(RichText::new(word).color(color));
}

fn hosts_ui(ui: &mut egui::Ui, sessions: &Sessions, now: SystemTime) {
    if sessions.hosts().is_empty() {
        return;
    }
    ui.strong("Primary hosts (STATE)");
    for (host, state) in sessions.hosts() {
        ui.horizontal_wrapped(|ui| {
            let (word, color) = match state.online {
                Some(true) => ("online", GREEN),
                Some(false) => ("offline", RED),
                None => ("unknown", AMBER),
            };
            status_ui(ui, color, word);
            ui.label(host);
            let version = if state.legacy { "before 3.0" } else { "3.0" };
            ui.weak(format!(
                "{version}, {}",
                format::age(state.received_at, now)
            ));
            if let Some(problem) = &state.problem {
                ui.label(RichText::new(problem).color(super::colors::adapt(AMBER, ui.visuals())));
            }
        });
    }
    ui.separator();
}

/// Seq health in a few words: gaps counted, storms flagged.
fn health(node: &EdgeNode, now: SystemTime) -> String {
    let mut words = Vec::new();
    if node.seq_gaps > 0 {
        words.push(format::count(node.seq_gaps, "seq gap", "seq gaps"));
    }
    if node.in_storm(now) {
        words.push("rebirth storm".to_owned());
    }
    words.join(", ")
}

fn nodes_ui(ui: &mut egui::Ui, view: &mut SparkplugView, sessions: &Sessions, now: SystemTime) {
    for (group, nodes) in sessions.groups() {
        egui::CollapsingHeader::new(RichText::new(format!("{group} ({})", nodes.len())).strong())
            .id_salt(("sparkplug_group", group))
            .default_open(true)
            .show(ui, |ui| {
                for (node_id, node) in nodes {
                    let selection = Selection {
                        group: group.clone(),
                        node: node_id.clone(),
                        device: None,
                    };
                    node_row_ui(
                        ui,
                        view,
                        selection,
                        (node.presence, node.last_seen),
                        now,
                        &health(node, now),
                    );
                    ui.indent(("sparkplug_devices", group, node_id), |ui| {
                        for (device_id, device) in &node.devices {
                            let selection = Selection {
                                group: group.clone(),
                                node: node_id.clone(),
                                device: Some(device_id.clone()),
                            };
                            node_row_ui(
                                ui,
                                view,
                                selection,
                                (device.presence, device.last_seen),
                                now,
                                "",
                            );
                        }
                    });
                }
            });
    }
}

fn node_row_ui(
    ui: &mut egui::Ui,
    view: &mut SparkplugView,
    selection: Selection,
    (presence, last_seen): (Presence, SystemTime),
    now: SystemTime,
    health: &str,
) {
    let name = selection
        .device
        .clone()
        .unwrap_or_else(|| selection.node.clone());
    ui.horizontal(|ui| {
        status_ui(ui, presence_color(presence), presence.label());
        let selected = view.selected.as_ref() == Some(&selection);
        if ui.selectable_label(selected, &name).clicked() {
            view.selected = Some(selection);
            view.detail = None;
        }
        ui.weak(format::age(last_seen, now));
        if !health.is_empty() {
            ui.label(RichText::new(health).color(super::colors::adapt(AMBER, ui.visuals())));
        }
    });
}

fn device_header_ui(
    ui: &mut egui::Ui,
    selection: &Selection,
    device: &crate::model::sparkplug::Device,
    now: SystemTime,
) {
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!(
            "{} / {} / {}",
            selection.group,
            selection.node,
            selection.device.as_deref().unwrap_or_default()
        ));
        status_ui(ui, presence_color(device.presence), device.presence.label());
    });
    ui.label(format!(
        "{}, {}, last seen {}",
        format::count(device.births, "birth", "births"),
        format::count(device.messages, "message", "messages"),
        format::age(device.last_seen, now)
    ));
}

/// An edge node's name, state, facts and its Rebirth button.
fn node_header_ui(
    ui: &mut egui::Ui,
    selection: &Selection,
    node: &EdgeNode,
    now: SystemTime,
) -> Option<SparkplugAction> {
    let mut action = None;
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("{} / {}", selection.group, selection.node));
        status_ui(ui, presence_color(node.presence), node.presence.label());
        if ui
            .button("Rebirth…")
            .on_hover_text(
                "Send NCMD Node Control/Rebirth = true: the edge node publishes its births again",
            )
            .clicked()
        {
            action = Some(SparkplugAction::Rebirth {
                group: selection.group.clone(),
                node: selection.node.clone(),
            });
        }
    });
    node_facts_ui(ui, node, now);
    action
}

/// The selected node's or device's header, metrics and detail.
fn selected_ui(
    ui: &mut egui::Ui,
    view: &mut SparkplugView,
    sessions: &Sessions,
    now: SystemTime,
) -> Option<SparkplugAction> {
    let Some(selection) = view.selected.clone() else {
        ui.weak("Select an edge node or a device to see its metrics.");
        return None;
    };
    let Some(node) = sessions.node(&selection.group, &selection.node) else {
        ui.weak("That edge node is no longer known.");
        return None;
    };
    let mut action = None;
    let (metrics, data_topic, presence) = match &selection.device {
        Some(device_id) => {
            let Some(device) = node.devices.get(device_id) else {
                ui.weak("That device is no longer known.");
                return None;
            };
            device_header_ui(ui, &selection, device, now);
            (
                &device.metrics,
                sp::topic(
                    &selection.group,
                    MessageType::DData,
                    &selection.node,
                    Some(device_id),
                ),
                device.presence,
            )
        }
        None => {
            action = node_header_ui(ui, &selection, node, now);
            (
                &node.metrics,
                sp::topic(&selection.group, MessageType::NData, &selection.node, None),
                node.presence,
            )
        }
    };
    if presence == Presence::NoBirth {
        ui.label(
            RichText::new("No birth seen — request a rebirth: metrics show by alias until then.")
                .color(super::colors::adapt(AMBER, ui.visuals())),
        );
    }
    ui.separator();
    if let Some(asked) = metrics_ui(ui, view, metrics, &data_topic, now) {
        action = Some(asked);
    }
    action
}

fn node_facts_ui(ui: &mut egui::Ui, node: &EdgeNode, now: SystemTime) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "bdSeq {} · seq {} · {} · {} · {} · last seen {}",
            node.bd_seq
                .map_or_else(|| "—".to_owned(), |v| v.to_string()),
            node.last_seq
                .map_or_else(|| "—".to_owned(), |v| v.to_string()),
            format::count(node.births, "birth", "births"),
            format::count(node.deaths, "death", "deaths"),
            format::count(node.messages, "message", "messages"),
            format::age(node.last_seen, now)
        ));
        let health = health(node, now);
        if health.is_empty() {
            ui.label(RichText::new("seq healthy").color(super::colors::adapt(GREEN, ui.visuals())));
        } else {
            ui.label(RichText::new(health).color(super::colors::adapt(AMBER, ui.visuals())));
        }
    });
    if let Some((at, words)) = &node.last_command {
        ui.weak(format!("Last command: {words} ({})", format::age(*at, now)));
    }
}

/// A metric's timestamp (milliseconds since the epoch) as a clock time.
fn metric_time(metric: &MetricState) -> String {
    metric
        .latest
        .timestamp
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .map_or_else(|| "—".to_owned(), format::clock)
}

fn sorted<'a>(metrics: &'a Metrics, filter: &str, sort: SortBy) -> Vec<&'a MetricState> {
    let needle = filter.trim().to_lowercase();
    let mut rows: Vec<&MetricState> = metrics
        .iter()
        .filter(|m| needle.is_empty() || m.name.to_lowercase().contains(&needle))
        .collect();
    match sort {
        SortBy::Name => {}
        SortBy::Value => {
            // Each value worked out once, not per comparison: numbers first, then text.
            let mut keyed: Vec<(Option<f64>, String, &MetricState)> = rows
                .into_iter()
                .map(|m| match m.number() {
                    Some(number) => (Some(number), String::new(), m),
                    None => (None, m.value_text(), m),
                })
                .collect();
            keyed.sort_by(|a, b| match (a.0, b.0) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.1.cmp(&b.1),
            });
            rows = keyed.into_iter().map(|(_, _, m)| m).collect();
        }
        SortBy::Type => rows.sort_by_key(|m| sp::datatype_name(m.datatype)),
        SortBy::Updated => rows.sort_by_key(|m| std::cmp::Reverse(m.updated_at)),
    }
    rows
}

/// Long: one table, its header with the sort buttons and its eight columns.
fn metrics_ui(
    ui: &mut egui::Ui,
    view: &mut SparkplugView,
    metrics: &Metrics,
    data_topic: &str,
    now: SystemTime,
) -> Option<SparkplugAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        let label = ui.label("Filter metrics");
        ui.add(
            egui::TextEdit::singleline(&mut view.filter)
                .hint_text("metric name")
                .desired_width(180.0),
        )
        .labelled_by(label.id);
        ui.label("Sort by");
        for (sort, label) in [
            (SortBy::Name, "Name"),
            (SortBy::Value, "Value"),
            (SortBy::Type, "Type"),
            (SortBy::Updated, "Updated"),
        ] {
            ui.selectable_value(&mut view.sort, sort, label);
        }
    });
    let rows = sorted(metrics, &view.filter, view.sort);
    ui.weak(format!(
        "{} of {}",
        format::count(rows.len() as u64, "metric", "metrics"),
        metrics.len()
    ));
    let detail_height = if view.detail.is_some() {
        ui.available_height() * 0.4
    } else {
        0.0
    };
    let row_height = ui.spacing().interact_size.y;
    ui.push_id("sparkplug_metrics", |ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let table_height = (ui.available_height() - detail_height).max(80.0);
        TableBuilder::new(ui)
            .striped(true)
            .max_scroll_height(table_height)
            .column(
                Column::initial(200.0)
                    .at_least(80.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(
                Column::initial(160.0)
                    .at_least(60.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(Column::exact(80.0))
            .column(Column::exact(50.0))
            .column(Column::exact(90.0))
            .column(Column::exact(80.0))
            .column(Column::exact(50.0))
            .column(Column::remainder())
            .header(row_height, |mut header| {
                for title in [
                    "Metric",
                    "Value",
                    "Type",
                    "Alias",
                    "Timestamp",
                    "Updated",
                    "",
                    "",
                ] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let Some(metric) = rows.get(row.index()) else {
                        return;
                    };
                    row.col(|ui| {
                        let structured = matches!(
                            metric.latest.value,
                            Some(MetricValue::DataSet(_) | MetricValue::Template(_))
                        ) || metric.latest.properties.is_some();
                        let chosen = view.detail.as_deref() == Some(metric.name.as_str());
                        let response = ui.selectable_label(chosen, &metric.name);
                        let response = if structured {
                            response.on_hover_text("Click to see its table, members or properties")
                        } else {
                            response
                        };
                        if response.clicked() {
                            view.detail = (!chosen).then(|| metric.name.clone());
                        }
                    });
                    row.col(|ui| {
                        let text = RichText::new(match metric.unit() {
                            Some(unit) => format!("{} {unit}", metric.value_text()),
                            None => metric.value_text(),
                        });
                        ui.label(if metric.stale {
                            text.weak().italics()
                        } else {
                            text
                        });
                    });
                    row.col(|ui| {
                        ui.label(sp::datatype_name(metric.datatype));
                    });
                    row.col(|ui| {
                        ui.label(metric.alias.map_or_else(String::new, |a| a.to_string()));
                    });
                    row.col(|ui| {
                        ui.label(metric_time(metric));
                    });
                    row.col(|ui| {
                        ui.weak(format::age(metric.updated_at, now));
                    });
                    row.col(|ui| {
                        if metric.stale {
                            ui.label(
                                RichText::new("stale")
                                    .color(super::colors::adapt(RED, ui.visuals())),
                            )
                            .on_hover_text("Its node or device died after this value");
                        }
                    });
                    row.col(|ui| {
                        if metric.number().is_some()
                            && ui
                                .small_button("Plot")
                                .on_hover_text(format!("Plot {} from {data_topic}", metric.name))
                                .clicked()
                        {
                            action = Some(SparkplugAction::Plot {
                                topic: data_topic.to_owned(),
                                name: metric.name.clone(),
                            });
                        }
                    });
                });
            });
    });
    if let Some(metric) = view.detail.as_deref().and_then(|name| metrics.get(name)) {
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("sparkplug_detail")
            .auto_shrink([false, false])
            .show(ui, |ui| metric_detail_ui(ui, metric));
    }
    action
}

/// A metric's properties, and its data set as a table or its template as a tree.
fn metric_detail_ui(ui: &mut egui::Ui, metric: &MetricState) {
    ui.strong(&metric.name);
    if let Some(properties) = &metric.latest.properties {
        egui::Grid::new("sparkplug_properties")
            .striped(true)
            .show(ui, |ui| {
                for (key, value) in properties.keys.iter().zip(&properties.values) {
                    ui.label(key);
                    ui.label(sp::property_text(value));
                    ui.end_row();
                }
            });
    }
    match &metric.latest.value {
        Some(MetricValue::DataSet(data_set)) => {
            egui::Grid::new("sparkplug_dataset")
                .striped(true)
                .show(ui, |ui| {
                    for (index, column) in data_set.columns.iter().enumerate() {
                        let kind = data_set
                            .types
                            .get(index)
                            .map_or("", |t| sp::datatype_name(*t));
                        ui.strong(column).on_hover_text(kind);
                    }
                    ui.end_row();
                    for row in &data_set.rows {
                        for cell in &row.elements {
                            ui.label(sp::scalar_text(cell.value.as_ref()));
                        }
                        ui.end_row();
                    }
                });
        }
        Some(MetricValue::Template(template)) => template_ui(ui, template, 0),
        _ => {
            ui.label(metric.value_text());
        }
    }
}

fn template_ui(ui: &mut egui::Ui, template: &Template, depth: usize) {
    if let Some(reference) = &template.template_ref {
        ui.weak(format!(
            "instance of {reference}{}",
            template
                .version
                .as_ref()
                .map_or_else(String::new, |v| format!(" (version {v})"))
        ));
    } else if template.is_definition == Some(true) {
        ui.weak("template definition");
    }
    for parameter in &template.parameters {
        ui.label(format!(
            "parameter {} = {}",
            parameter.name.as_deref().unwrap_or("(unnamed)"),
            sp::scalar_text(
                parameter
                    .value
                    .as_ref()
                    .map(sp::ParameterValue::to_scalar)
                    .as_ref()
            )
        ));
    }
    for (index, member) in template.metrics.iter().enumerate() {
        let datatype = member.datatype.unwrap_or(0);
        let name = member.name.as_deref().unwrap_or("(unnamed)");
        match &member.value {
            Some(MetricValue::Template(inner)) if depth < MAX_TEMPLATE_DEPTH => {
                egui::CollapsingHeader::new(name)
                    .id_salt(("sparkplug_member", depth, index))
                    .default_open(depth < 2)
                    .show(ui, |ui| template_ui(ui, inner, depth + 1));
            }
            _ => {
                ui.label(format!(
                    "{name} = {} ({})",
                    member.value_text(datatype),
                    sp::datatype_name(datatype)
                ));
            }
        }
    }
}

/// The problems found, newest first, each a link to the message that revealed it.
fn events_ui(ui: &mut egui::Ui, sessions: &Sessions) -> Option<SparkplugAction> {
    let events = sessions.events();
    let mut action = None;
    ui.horizontal(|ui| {
        ui.strong(format!("Problems ({})", events.len()));
        if sessions.events_dropped > 0 {
            ui.weak(format!("{} older ones dropped", sessions.events_dropped));
        }
        if sessions.untracked > 0 {
            ui.weak(format!(
                "{} messages of nodes, devices or hosts past the limits not followed",
                sessions.untracked
            ));
        }
        if sessions.metrics_dropped > 0 {
            ui.weak(format!(
                "{} metrics dropped (over {} per node or device)",
                sessions.metrics_dropped,
                crate::model::sparkplug::MAX_METRICS
            ));
        }
    });
    if events.is_empty() {
        ui.weak("None: every seq in order, every death matching its birth.");
        return None;
    }
    egui::ScrollArea::vertical()
        .id_salt("sparkplug_events")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for event in events.iter().rev().take(EVENTS_SHOWN) {
                if let Some(asked) = event_row_ui(ui, event) {
                    action = Some(asked);
                }
            }
        });
    action
}

fn event_row_ui(ui: &mut egui::Ui, event: &Event) -> Option<SparkplugAction> {
    ui.horizontal(|ui| {
        ui.weak(format::clock(event.at));
        ui.label(format!("{}/{}", event.group, event.node));
        ui.label(
            RichText::new(event.kind.describe()).color(super::colors::adapt(AMBER, ui.visuals())),
        );
        ui.link("message")
            .on_hover_text(format!("Show {} in the explorer", event.topic))
            .clicked()
            .then(|| SparkplugAction::Show {
                topic: event.topic.clone(),
                seq: event.message_seq,
            })
    })
    .inner
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::sparkplug::{Metric, Payload, datatype};

    #[test]
    fn metrics_sort_by_value_numbers_first_then_text_and_filter_by_name() {
        let birth = Payload {
            seq: Some(0),
            metrics: vec![
                Metric::named("b", datatype::DOUBLE, MetricValue::Double(10.0)),
                Metric::named("a", datatype::STRING, MetricValue::String("zeta".into())),
                Metric::named("c", datatype::INT64, MetricValue::Long(-3_i64 as u64)),
                Metric::named(
                    "Speed x",
                    datatype::STRING,
                    MetricValue::String("alpha".into()),
                ),
            ],
            ..Payload::default()
        }
        .to_bytes();
        let mut sessions = Sessions::default();
        sessions.observe("spBv1.0/g/NBIRTH/n", &birth, SystemTime::now(), 0);
        let Some(node) = sessions.node("g", "n") else {
            panic!("the node is known");
        };
        let names = |sort, filter| {
            sorted(&node.metrics, filter, sort)
                .iter()
                .map(|m| m.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(SortBy::Value, ""), ["c", "b", "Speed x", "a"]);
        assert_eq!(names(SortBy::Name, ""), ["Speed x", "a", "b", "c"]);
        assert_eq!(
            names(SortBy::Type, ""),
            ["b", "c", "Speed x", "a"],
            "Double, Int64, String; by name within a type"
        );
        assert_eq!(names(SortBy::Name, "SPEED"), ["Speed x"]);
    }
}
