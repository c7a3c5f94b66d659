//! The Schemas window: the shown connection's folder of `.proto` files (compiled inside Canopy,
//! errors with file and line), its message types, and the bindings of topic filters to message
//! types (the most specific filter wins; a topic can be tried to see which).

use super::schemas::SessionSchemas;
use crate::settings::StoredBinding;
use egui::{Color32, RichText};

const GREEN: Color32 = Color32::from_rgb(80, 200, 120);
const RED: Color32 = Color32::from_rgb(230, 90, 80);
const AMBER: Color32 = Color32::from_rgb(230, 160, 60);

/// What the window asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemasAction {
    /// Read and compile this folder.
    Load(String),
    /// Read and compile the folder again.
    Reload,
    /// Use these bindings.
    SetBindings(Vec<StoredBinding>),
}

/// The window's state.
#[derive(Default)]
pub struct SchemasWindow {
    /// Whether it is open.
    pub open: bool,
    /// The folder field (filled from the connection when the window opens on it).
    pub folder: String,
    /// The new binding's filter.
    pub filter: String,
    /// The new binding's message type.
    pub message: String,
    /// A topic to try the bindings on.
    pub try_topic: String,
    /// Why the last Add was refused.
    error: Option<String>,
    /// Whether the folder field was filled for the shown connection.
    filled: bool,
}

impl SchemasWindow {
    /// Open the window on the shown connection.
    pub fn show(&mut self) {
        self.open = true;
        self.filled = false;
    }
}

/// What the window asked: an action, and whether to open the folder dialog.
#[derive(Default)]
pub struct SchemasRequests {
    /// Carry this out.
    pub action: Option<SchemasAction>,
    /// Open the folder dialog.
    pub choose_folder: bool,
}

/// Draw the window for the shown connection's `schemas` (`None`: no connection).
pub fn schemas_window(
    ctx: &egui::Context,
    window: &mut SchemasWindow,
    schemas: Option<&SessionSchemas>,
    saved_note: Option<&str>,
) -> SchemasRequests {
    let mut requests = SchemasRequests::default();
    let mut open = window.open;
    egui::Window::new("Protobuf schemas")
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            let Some(schemas) = schemas else {
                ui.weak("Connect to a broker first: schemas and bindings belong to a connection.");
                return;
            };
            if !window.filled {
                window.folder = schemas.folder.clone().unwrap_or_default();
                window.filled = true;
            }
            folder_ui(ui, window, schemas, &mut requests);
            ui.separator();
            if let Some(action) = bindings_ui(ui, window, schemas) {
                requests.action = Some(action);
            }
            ui.separator();
            try_topic_ui(ui, window, schemas);
            if let Some(note) = saved_note {
                ui.weak(note);
            }
        });
    window.open = open;
    requests
}

fn folder_ui(
    ui: &mut egui::Ui,
    window: &mut SchemasWindow,
    schemas: &SessionSchemas,
    requests: &mut SchemasRequests,
) {
    ui.label(
        "A folder of .proto files, with the files they import (google/protobuf/… are built in).",
    );
    ui.horizontal(|ui| {
        let label = ui.label("Folder");
        ui.add(
            egui::TextEdit::singleline(&mut window.folder)
                .desired_width(300.0)
                .hint_text("/home/me/proto"),
        )
        .labelled_by(label.id);
        if ui.button("Choose…").clicked() {
            requests.choose_folder = true;
        }
        if ui.button("Load").clicked() {
            requests.action = Some(SchemasAction::Load(window.folder.trim().to_owned()));
        }
        if schemas.folder.is_some() && ui.button("Reload").clicked() {
            requests.action = Some(SchemasAction::Reload);
        }
    });
    if let (Some((name, _)), None) = (schemas.builtin, &schemas.folder) {
        ui.weak(format!(
            "Using the example schema built into Canopy ({name}) for the demo fleet's telemetry; load a folder to use yours."
        ));
    }
    if let Some(problem) = &schemas.problem {
        ui.label(RichText::new(problem).color(super::colors::adapt(RED, ui.visuals())));
    }
    if let Some(compiled) = &schemas.compiled {
        let names = compiled.message_names();
        ui.label(
            RichText::new(format!(
                "Compiled {} and {}.",
                super::format::count(compiled.files.len() as u64, "file", "files"),
                super::format::count(names.len() as u64, "message type", "message types")
            ))
            .color(super::colors::adapt(GREEN, ui.visuals())),
        );
        egui::CollapsingHeader::new(format!("Message types ({})", names.len()))
            .id_salt("schema_types")
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("schema_types_scroll")
                    .max_height(160.0)
                    .show(ui, |ui| {
                        for name in &names {
                            ui.label(name);
                        }
                    });
            });
    }
}

fn bindings_ui(
    ui: &mut egui::Ui,
    window: &mut SchemasWindow,
    schemas: &SessionSchemas,
) -> Option<SchemasAction> {
    let mut action = None;
    ui.strong("Bindings");
    ui.weak("Topics matching a filter decode as its message type; the most specific filter wins.");
    let known = |name: &str| {
        schemas
            .compiled
            .as_ref()
            .is_some_and(|c| c.message(name).is_some())
    };
    egui::Grid::new("schema_bindings")
        .striped(true)
        .show(ui, |ui| {
            for (index, binding) in schemas.bindings.iter().enumerate() {
                ui.monospace(&binding.filter);
                ui.label(&binding.message);
                if known(&binding.message) {
                    ui.label(RichText::new("ok").color(super::colors::adapt(GREEN, ui.visuals())));
                } else {
                    ui.label(
                        RichText::new("not in the loaded schemas")
                            .color(super::colors::adapt(AMBER, ui.visuals())),
                    );
                }
                if ui.small_button("Remove").clicked() {
                    let mut bindings = schemas.bindings.clone();
                    bindings.remove(index);
                    action = Some(SchemasAction::SetBindings(bindings));
                }
                ui.end_row();
            }
        });
    ui.horizontal(|ui| {
        let label = ui.label("Topic filter");
        ui.add(
            egui::TextEdit::singleline(&mut window.filter)
                .desired_width(180.0)
                .hint_text("factory/+/telemetry"),
        )
        .labelled_by(label.id);
        let label = ui.label("Message type");
        let names = schemas
            .compiled
            .as_ref()
            .map(crate::payload::protobuf::Schemas::message_names)
            .unwrap_or_default();
        egui::ComboBox::from_id_salt("schema_binding_type")
            .selected_text(if window.message.is_empty() {
                "choose…"
            } else {
                window.message.as_str()
            })
            .width(200.0)
            .show_ui(ui, |ui| {
                for name in names {
                    ui.selectable_value(&mut window.message, name.clone(), name);
                }
            })
            .response
            .labelled_by(label.id);
        if ui.button("Add binding").clicked() {
            match new_binding(window, schemas) {
                Ok(bindings) => {
                    window.filter.clear();
                    window.error = None;
                    action = Some(SchemasAction::SetBindings(bindings));
                }
                Err(error) => window.error = Some(error),
            }
        }
    });
    if let Some(error) = &window.error {
        ui.label(RichText::new(error).color(super::colors::adapt(RED, ui.visuals())));
    }
    action
}

/// The bindings with the form's new one (replacing one with the same filter), or why not.
fn new_binding(
    window: &SchemasWindow,
    schemas: &SessionSchemas,
) -> Result<Vec<StoredBinding>, String> {
    let filter = window.filter.trim();
    crate::mqtt::TopicFilter::new(filter).map_err(|e| format!("Filter: {e}"))?;
    if window.message.is_empty() {
        return Err("Message type: choose one (load a schema folder first)".to_owned());
    }
    let mut bindings: Vec<StoredBinding> = schemas
        .bindings
        .iter()
        .filter(|b| b.filter != filter)
        .cloned()
        .collect();
    bindings.push(StoredBinding {
        filter: filter.to_owned(),
        message: window.message.clone(),
    });
    Ok(bindings)
}

fn try_topic_ui(ui: &mut egui::Ui, window: &mut SchemasWindow, schemas: &SessionSchemas) {
    ui.horizontal(|ui| {
        let label = ui.label("Try a topic");
        ui.add(
            egui::TextEdit::singleline(&mut window.try_topic)
                .desired_width(220.0)
                .hint_text("factory/line1/telemetry"),
        )
        .labelled_by(label.id);
        let topic = window.try_topic.trim();
        if topic.is_empty() {
            return;
        }
        let resolved = schemas.resolved();
        match resolved.binding_for(topic) {
            Some(binding) => {
                ui.label(format!(
                    "decodes as {} (binding {})",
                    binding.type_name, binding.filter
                ));
            }
            None => {
                ui.weak("no binding matches");
            }
        }
    });
}
