//! Appearance: light, dark or the system's theme, and the text size (egui's zoom, which Ctrl +,
//! Ctrl − and Ctrl 0 also change), both remembered in the settings file.

use super::CanopyApp;
use crate::settings::ThemeChoice;

/// The smallest text size offered, in percent.
pub const MIN_TEXT_SCALE_PERCENT: u16 = 50;
/// The largest text size offered, in percent.
pub const MAX_TEXT_SCALE_PERCENT: u16 = 300;

/// A step of the text size buttons, in percent (egui's keyboard zoom steps by 10 %).
const STEP_PERCENT: u16 = 10;

fn preference(theme: ThemeChoice) -> egui::ThemePreference {
    match theme {
        ThemeChoice::System => egui::ThemePreference::System,
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    }
}

impl CanopyApp {
    /// Give the context the remembered theme and text size once, then follow the text size
    /// the keyboard sets (Ctrl + / − / 0), marking the settings for saving when it changes.
    pub(super) fn keep_appearance(&mut self, ctx: &egui::Context) {
        if !self.appearance_applied {
            ctx.set_theme(preference(self.theme));
            ctx.set_zoom_factor(f32::from(self.text_scale_percent) / 100.0);
            self.appearance_applied = true;
            return;
        }
        let percent = (ctx.zoom_factor() * 100.0).round();
        let percent = percent.clamp(
            f32::from(MIN_TEXT_SCALE_PERCENT),
            f32::from(MAX_TEXT_SCALE_PERCENT),
        ) as u16;
        if percent != self.text_scale_percent {
            self.text_scale_percent = percent;
            self.settings_dirty = true;
        }
    }

    /// The Appearance menu in the top bar.
    pub(super) fn appearance_menu_ui(&mut self, ui: &mut egui::Ui) {
        ui.menu_button("Appearance", |ui| {
            ui.label("Theme");
            let before = self.theme;
            ui.radio_value(&mut self.theme, ThemeChoice::System, "Follow the system");
            ui.radio_value(&mut self.theme, ThemeChoice::Light, "Light");
            ui.radio_value(&mut self.theme, ThemeChoice::Dark, "Dark");
            if self.theme != before {
                ui.ctx().set_theme(preference(self.theme));
                self.settings_dirty = true;
            }
            ui.separator();
            ui.label(format!("Text size: {} %", self.text_scale_percent));
            let mut percent = self.text_scale_percent;
            ui.horizontal(|ui| {
                if ui.button("Smaller").on_hover_text("Ctrl −").clicked() {
                    percent = percent.saturating_sub(STEP_PERCENT);
                }
                if ui.button("Larger").on_hover_text("Ctrl +").clicked() {
                    percent = percent.saturating_add(STEP_PERCENT);
                }
                if ui.button("Reset").on_hover_text("Ctrl 0").clicked() {
                    percent = crate::settings::DEFAULT_TEXT_SCALE_PERCENT;
                }
            });
            let percent = percent.clamp(MIN_TEXT_SCALE_PERCENT, MAX_TEXT_SCALE_PERCENT);
            if percent != self.text_scale_percent {
                self.text_scale_percent = percent;
                ui.ctx().set_zoom_factor(f32::from(percent) / 100.0);
                self.settings_dirty = true;
            }
        });
    }
}
