//! Keyboard shortcuts that work anywhere in the window, and the window that lists every
//! shortcut (F1, or the **Keys** button).

use super::{CanopyApp, View};

/// The tree filter's widget id, so a shortcut can put the cursor in it.
pub const TREE_FILTER_ID: &str = "tree_filter";
/// The payload search field's widget id.
pub const PAYLOAD_SEARCH_ID: &str = "payload_search";

/// Every shortcut, as (keys, what they do), for the list.
pub const SHORTCUTS: [(&str, &str); 13] = [
    ("Ctrl+F", "put the cursor in the tree's filter"),
    ("Ctrl+Shift+F", "put the cursor in the payload search"),
    (
        "Ctrl+1 … Ctrl+7",
        "Explorer, Log, Retained, Home, Sparkplug, Monitor, Broker",
    ),
    (
        "Ctrl + / Ctrl − / Ctrl 0",
        "larger text / smaller text / the default size",
    ),
    ("F1", "this list"),
    ("Escape", "close this list"),
    ("↑ / ↓ (in the tree)", "select the previous / next row"),
    ("→ (in the tree)", "expand the selected node"),
    ("← (in the tree)", "collapse it, or go to its parent"),
    ("Enter (in Host or Port)", "connect"),
    ("Enter (in the payload search)", "search"),
    ("Enter (in the timeline's jump fields)", "jump"),
    ("Ctrl+Enter (in the publish panel)", "publish"),
];

impl CanopyApp {
    /// Act on the window-wide shortcuts pressed this frame.
    pub(super) fn window_shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let pressed = |modifiers, key| {
            ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(modifiers, key)))
        };
        let focus = |id: &str| ctx.memory_mut(|m| m.request_focus(egui::Id::unique(id)));
        // The longer combination first: Ctrl+Shift+F also matches Ctrl+F's keys.
        if pressed(Modifiers::COMMAND | Modifiers::SHIFT, Key::F) {
            self.view = View::Explorer;
            focus(PAYLOAD_SEARCH_ID);
        } else if pressed(Modifiers::COMMAND, Key::F) {
            self.view = View::Explorer;
            focus(TREE_FILTER_ID);
        }
        for (key, view) in [
            (Key::Num1, View::Explorer),
            (Key::Num2, View::Log),
            (Key::Num3, View::Retained),
            (Key::Num4, View::Home),
            (Key::Num5, View::Sparkplug),
            (Key::Num6, View::Monitor),
            (Key::Num7, View::Broker),
        ] {
            if pressed(Modifiers::COMMAND, key) {
                self.view = view;
            }
        }
        if pressed(Modifiers::NONE, Key::F1) {
            self.shortcuts_open = !self.shortcuts_open;
        }
        if self.shortcuts_open && pressed(Modifiers::NONE, Key::Escape) {
            self.shortcuts_open = false;
        }
    }

    /// The list of shortcuts, while open.
    pub(super) fn shortcuts_window(&mut self, ctx: &egui::Context) {
        egui::Window::new("Keyboard shortcuts")
            .open(&mut self.shortcuts_open)
            .resizable(false)
            .collapsible(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (keys, what) in SHORTCUTS {
                            ui.monospace(keys);
                            ui.label(what);
                            ui.end_row();
                        }
                    });
            });
    }
}
