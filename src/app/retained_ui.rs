//! The retained-message manager: every topic with a retained message seen on the connection,
//! with its age, size and a preview; sorted by topic, age or size; filtered like the tree;
//! selected one by one, all matching, or "older than…"; cleared (after a confirmation) through
//! the retained-clear engine, whose progress and acknowledgements show in the status bar.

use super::cells::labelled_field;
use super::format;
use super::topic_search::TopicMatcher;
use crate::model::{NodeId, TopicTree};
use rustc_hash::FxHashSet;
use std::time::{Duration, Instant, SystemTime};

/// How often the list is rebuilt from the tree while shown.
const REFRESH: Duration = Duration::from_millis(500);

/// The column the list is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Topic name.
    #[default]
    Topic,
    /// Oldest first.
    Age,
    /// Largest first.
    Size,
}

/// One retained topic.
#[derive(Clone, Debug)]
struct Row {
    node: NodeId,
    topic: String,
    retained_at: Option<SystemTime>,
    /// The retained payload's size and preview, when it is still in history.
    size: Option<usize>,
    preview: String,
}

/// The manager's state for one connection.
#[derive(Default)]
pub struct RetainedView {
    /// Which topics are listed (as the tree's filter).
    pub filter: String,
    /// The column the list is sorted by.
    pub sort: SortBy,
    /// The topics ticked.
    pub selected: FxHashSet<String>,
    /// Minutes for "older than".
    pub older_than_minutes: u32,
    rows: Vec<Row>,
    built: Option<(Instant, u64, String, SortBy)>,
}

/// What the manager asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum RetainedAction {
    /// Confirm, then clear these topics' retained messages.
    Clear(Vec<String>),
    /// Show the topic in the explorer.
    Reveal(NodeId),
}

impl RetainedView {
    /// Forget the list (the tree was replaced); filter, sort and selection stay.
    pub fn forget_rows(&mut self) {
        self.rows.clear();
        self.built = None;
    }

    fn refresh(&mut self, tree: &TopicTree) -> Result<(), String> {
        let fresh = self
            .built
            .as_ref()
            .is_some_and(|(at, version, filter, sort)| {
                at.elapsed() < REFRESH
                    && *version == tree.total_messages()
                    && *filter == self.filter
                    && *sort == self.sort
            });
        if fresh {
            return Ok(());
        }
        let matcher = TopicMatcher::new(&self.filter, false)?;
        self.rows = (0..tree.node_count())
            .filter_map(NodeId::from_index)
            .filter_map(|id| tree.node(id).map(|node| (id, node)))
            .filter(|(_, node)| node.retained)
            .filter_map(|(id, node)| {
                let topic = tree.topic_name(id);
                let keep = matcher.as_ref().is_none_or(|m| {
                    m.matches(&if m.lowercase() {
                        topic.to_lowercase()
                    } else {
                        topic.clone()
                    })
                });
                let retained = node.history().iter().rev().find(|m| m.retain);
                keep.then(|| Row {
                    node: id,
                    topic,
                    retained_at: node.retained_at,
                    size: retained.map(|m| m.payload.len()),
                    preview: retained.map_or_else(
                        || "(not in history any more)".to_owned(),
                        |m| crate::payload::preview(&m.payload, 100),
                    ),
                })
            })
            .collect();
        match self.sort {
            SortBy::Topic => self
                .rows
                .sort_by(|a, b| crate::model::natural_cmp(&a.topic, &b.topic)),
            SortBy::Age => self.rows.sort_by_key(|r| r.retained_at),
            SortBy::Size => self.rows.sort_by_key(|r| std::cmp::Reverse(r.size)),
        }
        // A selection holds listed topics only (a cleared topic leaves the list).
        let listed: FxHashSet<&str> = self.rows.iter().map(|r| r.topic.as_str()).collect();
        self.selected
            .retain(|topic| listed.contains(topic.as_str()));
        self.built = Some((
            Instant::now(),
            tree.total_messages(),
            self.filter.clone(),
            self.sort,
        ));
        Ok(())
    }
}

/// Draw the manager.
pub fn retained_ui(
    ui: &mut egui::Ui,
    view: &mut RetainedView,
    tree: &TopicTree,
    now: SystemTime,
) -> Option<RetainedAction> {
    if let Err(error) = view.refresh(tree) {
        filter_ui(ui, view);
        ui.colored_label(ui.visuals().error_fg_color, error);
        return None;
    }
    let mut action = controls_ui(ui, view, now);
    ui.separator();
    ui.horizontal(|ui| {
        super::cells::cell(ui, 24.0, egui::Label::new(""));
        for (title, sort, width) in [
            ("Topic", SortBy::Topic, 360.0),
            ("Age", SortBy::Age, 90.0),
            ("Size", SortBy::Size, 80.0),
        ] {
            let label = if view.sort == sort {
                format!("{title} (sorted)")
            } else {
                title.to_owned()
            };
            if super::cells::cell(ui, width, egui::Button::new(label).frame(false))
                .on_hover_text(format!("Sort by {}", title.to_lowercase()))
                .clicked()
            {
                view.sort = sort;
            }
        }
        ui.strong("Retained payload");
    });
    let row_height = ui.spacing().interact_size.y;
    egui::ScrollArea::vertical()
        .id_salt("retained_rows")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, view.rows.len(), |ui, range| {
            for row in &view.rows[range] {
                ui.horizontal(|ui| {
                    let mut ticked = view.selected.contains(&row.topic);
                    if ui.checkbox(&mut ticked, "").changed() {
                        if ticked {
                            view.selected.insert(row.topic.clone());
                        } else {
                            view.selected.remove(&row.topic);
                        }
                    }
                    let topic = egui::Label::new(egui::RichText::new(&row.topic).monospace())
                        .truncate()
                        .sense(egui::Sense::click());
                    if super::cells::cell(ui, 360.0, topic)
                        .on_hover_text("Show in the explorer")
                        .clicked()
                    {
                        action = Some(RetainedAction::Reveal(row.node));
                    }
                    let age = row
                        .retained_at
                        .map_or_else(|| "?".to_owned(), |at| format::age(at, now));
                    super::cells::cell(ui, 90.0, egui::Label::new(age));
                    let size = row
                        .size
                        .map_or_else(|| "?".to_owned(), |s| format::bytes(s as u64));
                    super::cells::cell(ui, 80.0, egui::Label::new(size));
                    ui.add(
                        egui::Label::new(egui::RichText::new(&row.preview).monospace()).truncate(),
                    );
                });
            }
        });
    action
}

fn filter_ui(ui: &mut egui::Ui, view: &mut RetainedView) {
    ui.horizontal(|ui| {
        let hint = "all; or text, homeassistant/#";
        labelled_field(ui, "Topics", &mut view.filter, hint, 220.0);
    });
}

/// The filter, the selection buttons and Clear.
fn controls_ui(
    ui: &mut egui::Ui,
    view: &mut RetainedView,
    now: SystemTime,
) -> Option<RetainedAction> {
    filter_ui(ui, view);
    let mut action = None;
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} listed, {} selected",
            format::count(view.rows.len() as u64, "retained topic", "retained topics"),
            view.selected.len()
        ));
        if ui.button("Select all listed").clicked() {
            view.selected
                .extend(view.rows.iter().map(|r| r.topic.clone()));
        }
        if ui.button("Select none").clicked() {
            view.selected.clear();
        }
        ui.separator();
        let older = ui.button("Select older than");
        ui.add(
            egui::DragValue::new(&mut view.older_than_minutes)
                .range(0..=525_600)
                .suffix(" min"),
        );
        if older.clicked() {
            let limit = now - Duration::from_secs(u64::from(view.older_than_minutes) * 60);
            view.selected.extend(
                view.rows
                    .iter()
                    .filter(|r| r.retained_at.is_some_and(|at| at < limit))
                    .map(|r| r.topic.clone()),
            );
        }
        ui.separator();
        let count = view.selected.len();
        if ui
            .add_enabled(
                count > 0,
                egui::Button::new(format!("Clear {count} selected…")),
            )
            .on_hover_text("Publish an empty retained message to each (after a confirmation)")
            .clicked()
        {
            let mut topics: Vec<String> = view.selected.iter().cloned().collect();
            topics.sort();
            action = Some(RetainedAction::Clear(topics));
        }
    });
    action
}
