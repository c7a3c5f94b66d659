//! The remembered layout: the window's size and place, the split between tree and messages,
//! the view and the publish panel, and, per saved connection profile, which branches of the tree
//! were open. Read from the settings at start; saved (atomically, with the other settings) a
//! second after it last changed, so dragging a window's edge does not write the file each frame.

use super::{CanopyApp, View};
use crate::settings::{Layout, WindowGeometry};
use std::time::{Duration, Instant};

/// How long the layout must stay put before it is saved.
const SETTLE: Duration = Duration::from_secs(1);

fn view_name(view: View) -> &'static str {
    match view {
        View::Explorer => "Explorer",
        View::Log => "Log",
        View::Retained => "Retained",
        View::Home => "Home",
        View::Sparkplug => "Sparkplug",
        View::Monitor => "Monitor",
        View::Broker => "Broker",
    }
}

fn view_named(name: &str) -> Option<View> {
    [
        View::Explorer,
        View::Log,
        View::Retained,
        View::Home,
        View::Sparkplug,
        View::Monitor,
        View::Broker,
    ]
    .into_iter()
    .find(|&view| view_name(view) == name)
}

/// The window geometry a start should open with, read from the settings file beside the
/// profiles (before the window exists).
pub fn saved_window() -> Option<WindowGeometry> {
    let store = crate::settings::SettingsStore::default_location()?;
    match store.load() {
        crate::settings::Loaded::Read(settings) => settings.layout.window,
        _ => None,
    }
}

impl CanopyApp {
    /// Take up a layout read from the settings.
    pub(super) fn use_layout(&mut self, layout: Layout) {
        if let Some(view) = layout.view.as_deref().and_then(view_named) {
            self.view = view;
        }
        if let Some(open) = layout.publish_open {
            self.publish_open = open;
        }
        self.layout = layout;
    }

    /// The tree panel's width to start with.
    pub(super) fn tree_width(&self) -> f32 {
        self.layout.tree_width.map_or(520.0, |w| w as f32)
    }

    /// The topics to open once they appear, for a tab opened from profile `name`.
    pub(super) fn expanded_for(&self, name: &str) -> Vec<String> {
        self.layout.expanded.get(name).cloned().unwrap_or_default()
    }

    /// Compare the layout with the remembered one; save a changed layout once it has settled.
    pub(super) fn keep_layout(&mut self, ctx: &egui::Context, tree_width: Option<f32>) {
        let mut changed = false;
        let viewport = ctx.input(|i| (i.viewport().outer_rect, i.viewport().inner_rect));
        let window = match viewport {
            (Some(outer), Some(inner)) => Some(WindowGeometry {
                x: outer.min.x.round() as i32,
                y: outer.min.y.round() as i32,
                width: inner.width().round().max(1.0) as u32,
                height: inner.height().round().max(1.0) as u32,
            }),
            _ => None,
        };
        if window.is_some() && self.layout.window != window {
            self.layout.window = window;
            changed = true;
        }
        let tree_width = tree_width.map(|w| w.round().max(1.0) as u32);
        if tree_width.is_some() && self.layout.tree_width != tree_width {
            self.layout.tree_width = tree_width;
            changed = true;
        }
        let view = view_name(self.view);
        if self.layout.view.as_deref() != Some(view) {
            self.layout.view = Some(view.to_owned());
            changed = true;
        }
        if self.layout.publish_open != Some(self.publish_open) {
            self.layout.publish_open = Some(self.publish_open);
            changed = true;
        }
        if let Some(chart_open) = self.sessions.get(self.active).map(|s| s.chart.open)
            && self.layout.chart_open != Some(chart_open)
        {
            self.layout.chart_open = Some(chart_open);
            changed = true;
        }
        changed |= self.keep_open_branches();
        if changed {
            self.layout_changed_at = Some(Instant::now());
        }
        if let Some(at) = self.layout_changed_at {
            if at.elapsed() >= SETTLE {
                self.layout_changed_at = None;
                self.settings_dirty = true;
            } else {
                ctx.request_repaint_after(SETTLE);
            }
        }
    }

    /// Note the open branches of tabs opened from saved profiles whose expansion changed;
    /// true when any did.
    fn keep_open_branches(&mut self) -> bool {
        let mut changed = false;
        for session in &mut self.sessions {
            let version = session.tree_view.expansion_version();
            if session.expansion_saved == Some(version) {
                continue;
            }
            session.expansion_saved = Some(version);
            let Some(name) = session.name.as_deref() else {
                continue;
            };
            if !self.profiles.profiles.iter().any(|p| p.name == name) {
                continue;
            }
            let tree = &session.model.tree;
            let mut open: Vec<String> = session
                .tree_view
                .expanded()
                .map(|id| tree.topic_name(id))
                .collect();
            open.sort();
            if self.layout.expanded.get(name) != Some(&open) {
                self.layout.expanded.insert(name.to_owned(), open);
                changed = true;
            }
        }
        changed
    }
}
