//! Drawing one payload (text, tree or image) and its diff against the previous message.

use super::format;
use super::value_ui;
use crate::payload::{Body, Change, DiffLine, Path, PayloadDiff, Rendered, Value};
use egui::{Color32, RichText};

/// Characters of a text payload drawn before the user asks for the rest.
const INLINE_CHARS: usize = 64 * 1024;

/// Diff rows drawn; the rest are counted.
const MAX_DIFF_ROWS: usize = 400;

/// Smallest side an image is drawn at, in points.
const MIN_IMAGE_SIDE: f32 = 128.0;

const ADDED: Color32 = Color32::from_rgb(110, 200, 110);
const REMOVED: Color32 = Color32::from_rgb(235, 110, 100);
const CHANGED: Color32 = Color32::from_rgb(240, 190, 90);

/// What the user did in the payload body.
#[derive(Default)]
pub struct BodyResponse {
    /// Asked to see a long text payload in full.
    pub show_all: bool,
}

/// Draw a rendered payload. `label` names the text field for assistive tools (and tests);
/// `texture` holds the uploaded image for `seq`; `selected` is the tree selection.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are unrelated state"
)]
pub fn body_ui(
    ui: &mut egui::Ui,
    rendered: &Rendered,
    payload_len: usize,
    show_all: bool,
    label: egui::Id,
    texture: &mut Option<(u64, egui::TextureHandle)>,
    seq: u64,
    selected: &mut Option<Path>,
    topic: &str,
) -> BodyResponse {
    let mut response = BodyResponse::default();
    match &rendered.body {
        Body::Text(body) => {
            let cut = (!show_all && body.len() > INLINE_CHARS)
                .then(|| floor_char_boundary(body, INLINE_CHARS));
            if let Some(cut) = cut {
                ui.horizontal(|ui| {
                    ui.label(format!(
                        "Showing the first {} of {} ({} payload).",
                        format::bytes(cut as u64),
                        format::bytes(body.len() as u64),
                        format::bytes(payload_len as u64)
                    ));
                    response.show_all = ui.small_button("Show all").clicked();
                });
            }
            // A read-only text field: selectable and copyable, with a role and name of its own.
            let mut shown = cut.map_or(body.as_str(), |cut| &body[..cut]);
            ui.add(
                egui::TextEdit::multiline(&mut shown)
                    .font(egui::TextStyle::Monospace)
                    .desired_width(f32::INFINITY)
                    .desired_rows(1),
            )
            .labelled_by(label);
        }
        Body::Tree(value) => value_ui::value_tree_ui(ui, value, selected, topic),
        Body::Image(image) => {
            let fresh = texture.as_ref().is_some_and(|(s, _)| *s == seq);
            if !fresh {
                let pixels = egui::ColorImage::from_rgba_unmultiplied(
                    [image.width as usize, image.height as usize],
                    &image.rgba,
                );
                *texture = Some((
                    seq,
                    // Nearest-neighbour keeps upscaled small images crisp; photos are smoothed.
                    ui.ctx().load_texture(
                        "payload_image",
                        pixels,
                        if (image.width.min(image.height) as f32) < MIN_IMAGE_SIDE {
                            egui::TextureOptions::NEAREST
                        } else {
                            egui::TextureOptions::LINEAR
                        },
                    ),
                ));
            }
            ui.label(format!(
                "{} image, {}x{} pixels",
                image.format.label(),
                image.width,
                image.height
            ));
            if let Some((_, handle)) = texture {
                // Small images (sensor thumbnails, icons) are scaled up by whole steps so they
                // can be seen; large ones are fitted to the panel's width.
                let (width, height) = (image.width.max(1) as f32, image.height.max(1) as f32);
                let step = (MIN_IMAGE_SIDE / width.min(height)).ceil().max(1.0);
                let scale = (step).min(ui.available_width().max(1.0) / width);
                ui.add(
                    egui::Image::new(&*handle)
                        .fit_to_exact_size(egui::vec2(width * scale, height * scale)),
                );
            }
        }
    }
    response
}

/// The selected value's toolbar: its path and value, with Plot and Copy buttons. Returns true
/// when the user asked to plot it.
pub fn selection_ui(ui: &mut egui::Ui, document: &Value, selected: &Path) -> bool {
    let Some(value) = document.get(selected) else {
        return false;
    };
    let mut plot = false;
    ui.horizontal_wrapped(|ui| {
        ui.weak("Selected");
        ui.label(RichText::new(format!("{selected} = {}", value.summary())).monospace());
        let numeric = value.as_f64().is_some();
        plot = ui
            .add_enabled(numeric, egui::Button::new("Plot field"))
            .on_disabled_hover_text("Only numbers and booleans can be plotted")
            .clicked();
        if ui.small_button("Copy path").clicked() {
            ui.ctx().copy_text(selected.to_string());
        }
        if ui.small_button("Copy value").clicked() {
            ui.ctx().copy_text(match value {
                Value::String(text) => text.clone(),
                other => other.to_json_pretty(),
            });
        }
    });
    plot
}

/// Draw what changed from the previous message.
pub fn diff_ui(ui: &mut egui::Ui, diff: &PayloadDiff) {
    let visuals = ui.visuals().clone();
    let monospace = |text: String, color: Color32| {
        RichText::new(text)
            .monospace()
            .color(super::colors::adapt(color, &visuals))
    };
    match diff {
        PayloadDiff::Identical => {
            ui.weak("Same payload as the previous message.");
        }
        PayloadDiff::Structural(changes) => {
            ui.weak(format::count(changes.len() as u64, "change", "changes"));
            for change in changes.iter().take(MAX_DIFF_ROWS) {
                ui.label(match change {
                    Change::Added { path, value } => monospace(format!("+ {path}: {value}"), ADDED),
                    Change::Removed { path, value } => {
                        monospace(format!("- {path}: {value}"), REMOVED)
                    }
                    Change::Changed { path, old, new } => {
                        monospace(format!("~ {path}: {old} -> {new}"), CHANGED)
                    }
                });
            }
            if changes.len() > MAX_DIFF_ROWS {
                ui.weak(format!("… and {} more", changes.len() - MAX_DIFF_ROWS));
            }
        }
        PayloadDiff::Lines(lines) => {
            let changed = lines
                .iter()
                .filter(|l| !matches!(l, DiffLine::Same(_)))
                .count();
            ui.weak(format::count(
                changed as u64,
                "changed line",
                "changed lines",
            ));
            for line in lines.iter().take(MAX_DIFF_ROWS) {
                ui.label(match line {
                    DiffLine::Same(text) => RichText::new(format!("  {text}")).monospace().weak(),
                    DiffLine::Added(text) => monospace(format!("+ {text}"), ADDED),
                    DiffLine::Removed(text) => monospace(format!("- {text}"), REMOVED),
                });
            }
            if lines.len() > MAX_DIFF_ROWS {
                ui.weak(format!("… and {} more lines", lines.len() - MAX_DIFF_ROWS));
            }
        }
    }
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A message's one-line preview for tree rows, the history table and the log: Sparkplug B
/// metrics by name and bound protobuf fields decoded (the topic's name is looked up only on a
/// connection with Sparkplug traffic or protobuf bindings).
pub fn row_preview(
    model: &crate::model::Model,
    topic: impl FnOnce() -> String,
    message: &crate::model::Message,
    max_chars: usize,
) -> String {
    if model.sparkplug.is_empty() && model.protobuf.is_empty() {
        return crate::payload::preview(&message.payload, max_chars);
    }
    let topic = topic();
    let hint = crate::payload::Hint {
        topic: &topic,
        content_type: None,
        aliases: model.sparkplug.aliases_at(&topic, message.seq),
        message_type: model.protobuf.message_for(&topic),
    };
    crate::payload::preview_decoded(&message.payload, max_chars, &hint)
}
