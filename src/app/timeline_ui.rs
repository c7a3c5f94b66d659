//! The timeline under a recording's tab: play and pause, speed, the playhead, and jumps to a
//! time or a message. It reads the playback and returns what the user asked for.

use super::cells::labelled_field_entered;
use super::format;
use super::recording_tab::{Playback, Speed, TimelineAction, parse_jump_time};

/// Draw the timeline.
pub fn timeline_ui(ui: &mut egui::Ui, playback: &mut Playback) -> Option<TimelineAction> {
    let mut action = None;
    let total = playback.total();
    ui.horizontal(|ui| {
        let ready = playback.opened.is_some();
        let (label, asked) = if playback.playing {
            ("Pause", TimelineAction::Pause)
        } else {
            ("Play", TimelineAction::Play)
        };
        if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
            action = Some(asked);
        }
        for speed in [Speed::One, Speed::Ten, Speed::Max] {
            let chosen = playback.speed == speed;
            if ui
                .add_enabled(ready, egui::Button::selectable(chosen, speed.label()))
                .on_hover_text(match speed {
                    Speed::One => "Play as recorded",
                    Speed::Ten => "Play ten times as fast as recorded",
                    Speed::Max => "Play as fast as possible",
                })
                .clicked()
            {
                action = Some(TimelineAction::Speed(speed));
            }
        }
        if ui
            .add_enabled(ready, egui::Button::new("Replay…"))
            .on_hover_text("Publish this recording into a broker")
            .clicked()
        {
            action = Some(TimelineAction::Replay);
        }
        ui.separator();
        ui.spacing_mut().slider_width = (ui.available_width() - 12.0).max(120.0);
        let slider = egui::Slider::new(&mut playback.slider, 0..=total.max(1)).show_value(false);
        let response = ui
            .add_enabled(ready, slider)
            .on_hover_text("The playhead: drag to move it");
        playback.dragging = response.dragged();
        if response.changed() {
            action = Some(TimelineAction::Seek(playback.slider));
        }
    });
    ui.horizontal(|ui| {
        let mut place = format!(
            "Message {} of {}",
            format::thousands(playback.position),
            format::thousands(total)
        );
        if let Some(time) = playback.time {
            place.push_str(&format!(" · {}", format::date_time(time)));
        }
        if playback.seeking {
            place.push_str(" · moving…");
        }
        ui.label(place);
        ui.separator();
        if let Some(jump) = jump_ui(ui, playback) {
            action = Some(jump);
        }
    });
    action
}

/// The two jump fields; Enter or Go jumps.
fn jump_ui(ui: &mut egui::Ui, playback: &mut Playback) -> Option<TimelineAction> {
    let mut action = None;
    let entered = labelled_field_entered(
        ui,
        "Jump to time",
        &mut playback.jump_time,
        "14:03:07 or +90",
        170.0,
    );
    if ui.button("Go to time").clicked() || entered {
        let start = playback
            .opened
            .as_ref()
            .and_then(|o| o.time_range)
            .map_or(std::time::UNIX_EPOCH, |(start, _)| start);
        match parse_jump_time(&playback.jump_time, start) {
            Ok(time) => {
                playback.jump_error = None;
                action = Some(TimelineAction::SeekTime(time));
            }
            Err(error) => playback.jump_error = Some(error),
        }
    }
    ui.separator();
    let entered = labelled_field_entered(
        ui,
        "Jump to message",
        &mut playback.jump_message,
        "number",
        90.0,
    );
    if ui.button("Go to message").clicked() || entered {
        match playback
            .jump_message
            .trim()
            .replace([',', '_', ' '], "")
            .parse::<u64>()
        {
            // Message numbers are shown from 1: the playhead after message n.
            Ok(n) if n >= 1 && n <= playback.total() => {
                playback.jump_error = None;
                action = Some(TimelineAction::Seek(n));
            }
            _ => {
                playback.jump_error = Some(format!(
                    "'{}' is not a message number from 1 to {}",
                    playback.jump_message.trim(),
                    format::thousands(playback.total())
                ));
            }
        }
    }
    if let Some(error) = &playback.jump_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    action
}
