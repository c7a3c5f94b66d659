//! The topic tree: lazily expanded, drawn one visible row at a time.

use super::format;
use super::topic_search::{FilterPass, TopicMatcher};
use crate::model::{Node, NodeId, TopicTree};
use egui::{Color32, RichText};
use rustc_hash::FxHashSet;
use std::time::{Duration, SystemTime};

/// How long a node stays highlighted after a message arrived in its subtree.
pub const HIGHLIGHT: Duration = Duration::from_secs(1);

/// Characters of the last value shown in a row.
const PREVIEW_CHARS: usize = 80;

/// Expansion, selection and the cached list of visible rows.
#[derive(Default)]
pub struct TopicTreeView {
    /// The node whose messages the message panel shows.
    pub selected: Option<NodeId>,
    expanded: FxHashSet<NodeId>,
    /// Visible rows in display order; rebuilt only when the tree's shape or expansion changes.
    rows: Vec<NodeId>,
    rows_key: Option<(u64, u64)>,
    expansion_version: u64,
    scroll_to_selected: bool,
    scroll_offset: f32,
    /// Show only matching topics, with their ancestors: a part of the topic, an MQTT filter,
    /// or (with `regex`) a regular expression.
    pub filter: String,
    /// The filter is a regular expression.
    pub regex: bool,
    /// Why the filter matches nothing: it does not parse.
    pub filter_error: Option<String>,
    filter_key: (String, bool),
    /// Topics matching the filter (not their ancestors), in tree order.
    matches: Vec<NodeId>,
    /// A filter pass under way.
    pass: Option<FilterPass>,
    /// Topics to open once they appear (the branches open when the profile was last used).
    pending_expansion: Vec<String>,
}

/// What the tree asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeAction {
    /// Clear the retained messages at or below this node.
    ClearRetainedUnder(NodeId),
    /// Clear the retained messages of the topics matching the filter.
    ClearRetainedMatching,
    /// Export the kept messages at or below this node.
    ExportUnder(NodeId),
    /// Export the kept messages of the topics matching the filter.
    ExportMatching,
}

impl TopicTreeView {
    /// Forget expansion and selection (a new connection starts a new tree).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Whether `id` shows its children.
    pub fn is_expanded(&self, id: NodeId) -> bool {
        self.expanded.contains(&id)
    }

    /// Open these topics' branches once they appear in the tree.
    pub fn expand_when_seen(&mut self, topics: Vec<String>) {
        self.pending_expansion = topics;
    }

    /// Changes whenever a branch opens or closes.
    pub fn expansion_version(&self) -> u64 {
        self.expansion_version
    }

    /// The nodes showing their children.
    pub fn expanded(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.expanded.iter().copied()
    }

    /// Show or hide the children of `id`.
    pub fn set_expanded(&mut self, id: NodeId, expanded: bool) {
        let changed = if expanded {
            self.expanded.insert(id)
        } else {
            self.expanded.remove(&id)
        };
        if changed {
            self.expansion_version += 1;
        }
    }

    /// Select `id`, expanding its ancestors so it is visible, and scroll to it.
    pub fn reveal(&mut self, tree: &TopicTree, id: NodeId) {
        for ancestor in tree.path_to(id) {
            if ancestor != id {
                self.set_expanded(ancestor, true);
            }
        }
        self.selected = Some(id);
        self.scroll_to_selected = true;
    }

    /// The rows currently visible when scrolled through, in order.
    pub fn visible_rows(&mut self, tree: &TopicTree) -> &[NodeId] {
        self.refresh_rows(tree);
        &self.rows
    }

    /// Topics matching the filter, in tree order (empty when there is no filter). A filter
    /// pass under way is finished first.
    pub fn matches(&mut self, tree: &TopicTree) -> &[NodeId] {
        self.refresh_rows(tree);
        self.advance_filter(tree, None);
        &self.matches
    }

    /// Whether a filter pass is under way (the rows shown are the previous filter's), and how
    /// many nodes it has been through.
    pub fn filtering(&self) -> Option<usize> {
        self.pass.as_ref().map(|pass| pass.visited)
    }

    /// Go on with a filter pass under way until `deadline` (to its end without one); its rows
    /// replace the shown ones when it is complete.
    pub fn advance_filter(&mut self, tree: &TopicTree, deadline: Option<std::time::Instant>) {
        let Some(pass) = &mut self.pass else {
            return;
        };
        if pass.step(tree, deadline)
            && let Some(pass) = self.pass.take()
        {
            (self.rows, self.matches) = pass.finish();
        }
    }

    fn refresh_rows(&mut self, tree: &TopicTree) {
        if !self.pending_expansion.is_empty()
            && self
                .rows_key
                .is_none_or(|(v, _)| v != tree.structure_version())
        {
            let pending = std::mem::take(&mut self.pending_expansion);
            for topic in pending {
                match tree.find(&topic) {
                    Some(id) => self.set_expanded(id, true),
                    None => self.pending_expansion.push(topic),
                }
            }
        }
        let key = (tree.structure_version(), self.expansion_version);
        let same_filter = self.filter_key.0 == self.filter && self.filter_key.1 == self.regex;
        // A pass under way finishes before the next begins (new topics arrive all the time);
        // the key it started with differs by then, so the next refresh starts another.
        if same_filter && (self.rows_key == Some(key) || self.pass.is_some()) {
            return;
        }
        self.filter_key = (self.filter.clone(), self.regex);
        self.filter_error = None;
        self.rows_key = Some(key);
        match TopicMatcher::new(&self.filter, self.regex) {
            Ok(Some(matcher)) => {
                // The shown rows stay until the pass is through.
                self.pass = Some(FilterPass::new(tree, matcher));
                return;
            }
            Ok(None) => self.pass = None,
            Err(error) => {
                self.pass = None;
                self.rows.clear();
                self.matches.clear();
                self.filter_error = Some(error);
                return;
            }
        }
        self.rows.clear();
        self.matches.clear();
        let mut stack: Vec<NodeId> = tree.root().children().iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            self.rows.push(id);
            if self.expanded.contains(&id)
                && let Some(node) = tree.node(id)
            {
                stack.extend(node.children().iter().rev().copied());
            }
        }
        self.rows_key = Some(key);
    }

    fn handle_keys(&mut self, ui: &egui::Ui, tree: &TopicTree) {
        let typing = ui.ctx().memory(|m| m.focused().is_some());
        if typing || self.rows.is_empty() {
            return;
        }
        let (down, up, right, left) = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowDown),
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::ArrowRight),
                i.key_pressed(egui::Key::ArrowLeft),
            )
        });
        if !(down || up || right || left) {
            return;
        }
        let position = self
            .selected
            .and_then(|s| self.rows.iter().position(|&r| r == s));
        let Some(position) = position else {
            self.selected = self.rows.first().copied();
            self.scroll_to_selected = true;
            return;
        };
        let current = self.rows[position];
        let has_children = tree.node(current).is_some_and(|n| !n.children().is_empty());
        if down && position + 1 < self.rows.len() {
            self.selected = Some(self.rows[position + 1]);
        } else if up && position > 0 {
            self.selected = Some(self.rows[position - 1]);
        } else if right && has_children {
            self.set_expanded(current, true);
        } else if left {
            if self.is_expanded(current) {
                self.set_expanded(current, false);
            } else if let Some(parent) = tree.node(current).and_then(|n| n.parent())
                && parent != NodeId::ROOT
            {
                self.selected = Some(parent);
            }
        }
        self.scroll_to_selected = true;
    }
}

/// Time a frame gives a filter pass; a bigger tree is filtered across frames.
const FILTER_BUDGET: std::time::Duration = std::time::Duration::from_millis(6);

/// Draw the tree. Only the rows inside the viewport are laid out.
pub fn topic_tree_ui(
    ui: &mut egui::Ui,
    view: &mut TopicTreeView,
    model: &crate::model::Model,
    now: SystemTime,
    below_filter: impl FnOnce(&mut egui::Ui, &mut TopicTreeView),
) -> Option<TreeAction> {
    let tree = &model.tree;
    let mut action = ui.horizontal(|ui| filter_bar_ui(ui, view, tree)).inner;
    below_filter(ui, view);
    view.refresh_rows(tree);
    view.handle_keys(ui, tree);
    // The filter bar above already gave the pass this frame's time.
    if let Some(visited) = view.filtering() {
        ui.weak(format!(
            "Filtering… {} of {} nodes",
            format::thousands(visited as u64),
            format::thousands(tree.node_count() as u64)
        ));
        ui.ctx().request_repaint();
    }

    if view.rows.is_empty() {
        if view.filtering().is_some() {
            return action;
        }
        if view.filter.is_empty() {
            ui.weak("No messages yet. Topics appear here as they arrive.");
        } else {
            ui.weak("No topic matches the filter.");
        }
        return action;
    }
    let filtering = !view.filter.trim().is_empty();
    let row_height = ui.spacing().interact_size.y;
    let scroll = scroll_area(ui, view, row_height);
    let mut clicked: Option<NodeId> = None;
    let mut toggled: Option<NodeId> = None;
    let output = scroll.show_rows(ui, row_height, view.rows.len(), |ui, range| {
        for &id in &view.rows[range] {
            let expanded = filtering || view.expanded.contains(&id);
            let selected = view.selected == Some(id);
            match row_ui(ui, (model, id), expanded, selected, row_height, now) {
                RowAction::None => {}
                RowAction::Select => clicked = Some(id),
                RowAction::Toggle => toggled = Some(id),
                RowAction::ClearRetained => action = Some(TreeAction::ClearRetainedUnder(id)),
                RowAction::Export => action = Some(TreeAction::ExportUnder(id)),
            }
        }
    });
    view.scroll_offset = output.state.clamped_offset().y;
    if let Some(id) = toggled {
        let expanded = view.is_expanded(id);
        view.set_expanded(id, !expanded);
    }
    if let Some(id) = clicked {
        view.click(tree, id);
    }
    action
}

/// The filter field, how many topics match, and clearing their retained messages.
fn filter_bar_ui(
    ui: &mut egui::Ui,
    view: &mut TopicTreeView,
    tree: &TopicTree,
) -> Option<TreeAction> {
    let label = ui.label("Filter");
    ui.add(
        egui::TextEdit::singleline(&mut view.filter)
            .id(egui::Id::unique(super::shortcuts_ui::TREE_FILTER_ID))
            .hint_text(if view.regex {
                "regular expression"
            } else {
                "text, or a filter: home/+/temp"
            })
            .desired_width(180.0),
    )
    .labelled_by(label.id)
    .on_hover_text(
        "A part of a topic (any case); an MQTT filter when it has + or # (home/+/temp, \
         zigbee2mqtt/#); or a regular expression with Regex",
    );
    ui.checkbox(&mut view.regex, "Regex")
        .on_hover_text("Match topics with a regular expression");
    if let Some(error) = &view.filter_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
        return None;
    }
    if view.filter.is_empty() {
        let export_all = tree.topic_count() > 0
            && ui
                .small_button("Export all…")
                .on_hover_text("Write every topic's messages to CSV or JSON Lines")
                .clicked();
        return export_all.then_some(TreeAction::ExportUnder(NodeId::ROOT));
    }
    if ui.small_button("Clear filter").clicked() {
        view.filter.clear();
    }
    view.refresh_rows(tree);
    view.advance_filter(tree, Some(std::time::Instant::now() + FILTER_BUDGET));
    let retained = view
        .matches
        .iter()
        .filter(|&&id| tree.node(id).is_some_and(|n| n.retained))
        .count();
    ui.weak(format!(
        "{} matching",
        format::count(view.matches.len() as u64, "topic", "topics")
    ));
    if !view.matches.is_empty()
        && ui
            .small_button("Export…")
            .on_hover_text("Write the messages of the matching topics to CSV or JSON Lines")
            .clicked()
    {
        return Some(TreeAction::ExportMatching);
    }
    (retained > 0
        && ui
            .small_button(format!("Clear {retained} retained"))
            .clicked())
    .then_some(TreeAction::ClearRetainedMatching)
}

/// The rows' scroll area, scrolled to the selection when it was moved off screen.
fn scroll_area(ui: &egui::Ui, view: &mut TopicTreeView, row_height: f32) -> egui::ScrollArea {
    let spacing = ui.spacing().item_spacing.y;
    let mut scroll = egui::ScrollArea::vertical()
        .auto_shrink(false)
        .id_salt("topic_tree_scroll");
    if std::mem::take(&mut view.scroll_to_selected)
        && let Some(position) = view
            .selected
            .and_then(|s| view.rows.iter().position(|&r| r == s))
    {
        let target = position as f32 * (row_height + spacing);
        let viewport = ui.available_height();
        let current = view.scroll_offset;
        if target < current || target + row_height > current + viewport {
            scroll = scroll.vertical_scroll_offset((target - viewport / 2.0).max(0.0));
        }
    }
    scroll
}

impl TopicTreeView {
    /// First click selects (and opens); a click on the selected node opens or closes it.
    fn click(&mut self, tree: &TopicTree, id: NodeId) {
        let has_children = tree.node(id).is_some_and(|n| !n.children().is_empty());
        if self.selected == Some(id) {
            if has_children {
                let expanded = self.is_expanded(id);
                self.set_expanded(id, !expanded);
            }
        } else {
            self.selected = Some(id);
            if has_children {
                self.set_expanded(id, true);
            }
        }
    }
}

enum RowAction {
    None,
    Select,
    Toggle,
    ClearRetained,
    Export,
}

fn row_ui(
    ui: &mut egui::Ui,
    (model, id): (&crate::model::Model, NodeId),
    expanded: bool,
    selected: bool,
    row_height: f32,
    now: SystemTime,
) -> RowAction {
    let tree = &model.tree;
    let Some(node) = tree.node(id) else {
        return RowAction::None;
    };
    highlight_ui(ui, node, row_height, now);
    ui.horizontal(|ui| {
        ui.set_height(row_height);
        ui.add_space(f32::from(node.depth().saturating_sub(1)) * 16.0);
        let name = tree.segment(id);
        let toggled = if node.children().is_empty() {
            ui.add_space(16.0);
            false
        } else {
            arrow_ui(ui, name, expanded, row_height)
        };
        let action = name_ui(ui, tree, id, name, selected);
        badges_ui(ui, node, now);
        if let Some(last) = node.last_message() {
            let preview =
                super::payload_ui::row_preview(model, || tree.topic_name(id), last, PREVIEW_CHARS);
            ui.add(egui::Label::new(RichText::new(format!("= {preview}")).monospace()).truncate());
        }
        if toggled { RowAction::Toggle } else { action }
    })
    .inner
}

/// Fade the highlight of recently changed subtrees out over HIGHLIGHT.
fn highlight_ui(ui: &egui::Ui, node: &Node, row_height: f32, now: SystemTime) {
    if let Some(age) = node
        .subtree_last_received
        .and_then(|t| now.duration_since(t).ok())
        && age < HIGHLIGHT
    {
        let strength = 1.0 - age.as_secs_f32() / HIGHLIGHT.as_secs_f32();
        let rect = egui::Rect::from_min_size(
            ui.cursor().min,
            egui::vec2(ui.available_width(), row_height),
        );
        let color = ui
            .visuals()
            .selection
            .bg_fill
            .gamma_multiply(0.45 * strength);
        ui.painter().rect_filled(rect, 2.0, color);
    }
}

/// The expand/collapse arrow (a button named for screen readers); true when clicked.
fn arrow_ui(ui: &mut egui::Ui, name: &str, expanded: bool, row_height: f32) -> bool {
    let (rect, arrow) = ui.allocate_exact_size(egui::vec2(16.0, row_height), egui::Sense::click());
    let verb = if expanded { "collapse" } else { "expand" };
    arrow.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Button, true, format!("{verb} {name}"))
    });
    if ui.is_rect_visible(rect) {
        let icon = egui::Response {
            rect: egui::Rect::from_center_size(rect.center(), egui::vec2(10.0, 10.0)),
            ..arrow.clone()
        };
        egui::collapsing_header::paint_default_icon(ui, if expanded { 1.0 } else { 0.0 }, &icon);
    }
    arrow.clicked()
}

/// The level's name: click selects, double click toggles, right click offers clear and copy.
fn name_ui(
    ui: &mut egui::Ui,
    tree: &TopicTree,
    id: NodeId,
    name: &str,
    selected: bool,
) -> RowAction {
    let mut action = RowAction::None;
    let label = if name.is_empty() {
        RichText::new("(empty)").italics()
    } else {
        RichText::new(name)
    };
    let response = ui.add(egui::Button::selectable(selected, label));
    if response.clicked() {
        action = RowAction::Select;
    }
    if response.double_clicked() {
        action = RowAction::Toggle;
    }
    response.context_menu(|ui| {
        let retained = tree.retained_topics_under(id).len();
        let clear = ui.add_enabled(
            retained > 0,
            egui::Button::new(format!("Clear {retained} retained here and below")),
        );
        if clear.clicked() {
            action = RowAction::ClearRetained;
            ui.close();
        }
        if ui.button("Export messages here and below…").clicked() {
            action = RowAction::Export;
            ui.close();
        }
        if ui.button("Copy topic").clicked() {
            ui.ctx().copy_text(tree.topic_name(id));
            ui.close();
        }
    });
    action
}

/// Retained flag and age, and counts below.
fn badges_ui(ui: &mut egui::Ui, node: &Node, now: SystemTime) {
    if node.retained {
        let age = node
            .retained_at
            .map(|at| format::age(at, now))
            .unwrap_or_default();
        ui.label(
            RichText::new("R")
                .small()
                .strong()
                .color(super::colors::adapt(
                    Color32::from_rgb(200, 160, 60),
                    ui.visuals(),
                )),
        )
        .on_hover_text(format!(
            "A retained message is stored on the broker for this topic (received {age})"
        ));
        ui.label(RichText::new(age).small().weak());
    }
    if !node.children().is_empty() {
        ui.weak(format!(
            "({}, {})",
            format::count(u64::from(node.subtree_topic_count), "topic", "topics"),
            format::count(node.subtree_message_count, "msg", "msgs")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_expansion() {
        let tree = TopicTree::example();
        let mut view = TopicTreeView::default();
        let names = |view: &mut TopicTreeView| -> Vec<String> {
            view.visible_rows(&tree)
                .iter()
                .map(|&id| tree.topic_name(id))
                .collect()
        };
        assert_eq!(names(&mut view), vec!["factory", "home", "$SYS"]);
        let home = tree.find("home").expect("home");
        view.set_expanded(home, true);
        assert_eq!(
            names(&mut view),
            vec!["factory", "home", "home/kitchen", "home/livingroom", "$SYS"]
        );
        let temp = tree.find("home/kitchen/temp").expect("temp");
        view.reveal(&tree, temp);
        assert!(names(&mut view).contains(&"home/kitchen/temp".to_owned()));
        assert_eq!(view.selected, Some(temp));
        view.set_expanded(home, false);
        assert_eq!(names(&mut view), vec!["factory", "home", "$SYS"]);
    }
}
