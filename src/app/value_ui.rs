//! A decoded document as a collapsible, syntax-coloured tree. Clicking a value selects it, for
//! plotting or copying its path.

use crate::payload::{Path, PathSegment, Value};
use egui::text::LayoutJob;
use egui::{Color32, FontId, TextFormat};

/// Children drawn per container before a "… more" line: the Text view shows the rest.
const MAX_CHILDREN_SHOWN: usize = 1_000;

/// Documents this small open fully; bigger ones open their first two levels.
const OPEN_ALL_BELOW_VALUES: usize = 300;

/// Colours of the tree, chosen for the current theme.
struct Palette {
    key: Color32,
    string: Color32,
    number: Color32,
    literal: Color32,
    summary: Color32,
}

impl Palette {
    fn for_ui(ui: &egui::Ui) -> Self {
        if ui.visuals().dark_mode {
            Self {
                key: Color32::from_rgb(156, 200, 255),
                string: Color32::from_rgb(152, 215, 130),
                number: Color32::from_rgb(240, 180, 110),
                literal: Color32::from_rgb(200, 150, 240),
                summary: Color32::GRAY,
            }
        } else {
            Self {
                key: Color32::from_rgb(20, 80, 170),
                string: Color32::from_rgb(30, 120, 30),
                number: Color32::from_rgb(170, 80, 0),
                literal: Color32::from_rgb(120, 40, 170),
                summary: Color32::DARK_GRAY,
            }
        }
    }

    fn for_value(&self, value: &Value) -> Color32 {
        match value {
            Value::String(_) => self.string,
            Value::Number(_) => self.number,
            Value::Bool(_) | Value::Null | Value::Bytes(_) => self.literal,
            Value::Array(_) | Value::Object(_) => self.summary,
        }
    }
}

/// Draw `value` as a tree; `selected` is the highlighted path, replaced when the user clicks a
/// value. `id_salt` keeps open/closed state apart per topic.
pub fn value_tree_ui(ui: &mut egui::Ui, value: &Value, selected: &mut Option<Path>, id_salt: &str) {
    let palette = Palette::for_ui(ui);
    let open_all = value.node_count() <= OPEN_ALL_BELOW_VALUES;
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let mut context = TreeContext {
        palette,
        font,
        open_all,
        selected,
        base_id: egui::Id::unique("value_tree").with(id_salt),
    };
    ui.spacing_mut().item_spacing.y = 1.0;
    context.node_ui(ui, None, value, &Path::default());
}

struct TreeContext<'a> {
    palette: Palette,
    font: FontId,
    open_all: bool,
    selected: &'a mut Option<Path>,
    base_id: egui::Id,
}

impl TreeContext<'_> {
    fn row_text(&self, key: Option<&PathSegment>, value: &Value) -> LayoutJob {
        let mut job = LayoutJob::default();
        let format = |color| TextFormat::simple(self.font.clone(), color);
        match key {
            Some(PathSegment::Key(name)) => {
                job.append(name, 0.0, format(self.palette.key));
                job.append(": ", 0.0, format(self.palette.summary));
            }
            Some(PathSegment::Index(index)) => {
                job.append(&index.to_string(), 0.0, format(self.palette.summary));
                job.append(": ", 0.0, format(self.palette.summary));
            }
            None => {}
        }
        job.append(&value.summary(), 0.0, format(self.palette.for_value(value)));
        job
    }

    fn node_ui(
        &mut self,
        ui: &mut egui::Ui,
        key: Option<&PathSegment>,
        value: &Value,
        path: &Path,
    ) {
        let children: Vec<(PathSegment, &Value)> = match value {
            Value::Object(entries) => entries
                .iter()
                .map(|(k, v)| (PathSegment::Key(k.clone()), v))
                .collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (PathSegment::Index(i), v))
                .collect(),
            _ => Vec::new(),
        };
        if children.is_empty() {
            let is_selected = self.selected.as_ref() == Some(path);
            let response = ui.selectable_label(is_selected, self.row_text(key, value));
            if response.clicked() {
                *self.selected = Some(path.clone());
            }
            return;
        }
        let depth = path.0.len();
        let id = self.base_id.with(path);
        let default_open = self.open_all || depth < 2;
        egui::collapsing_header::CollapsingState::load_with_default_open(
            ui.ctx(),
            id,
            default_open,
        )
        .show_header(ui, |ui| {
            ui.label(self.row_text(key, value));
        })
        .body(|ui| {
            for (segment, child) in children.iter().take(MAX_CHILDREN_SHOWN) {
                let child_path = path.child(segment.clone());
                self.node_ui(ui, Some(segment), child, &child_path);
            }
            if children.len() > MAX_CHILDREN_SHOWN {
                ui.weak(format!(
                    "… and {} more (the Text view shows everything)",
                    children.len() - MAX_CHILDREN_SHOWN
                ));
            }
        });
    }
}
