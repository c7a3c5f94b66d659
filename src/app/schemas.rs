//! A connection's protobuf schemas: the folder of `.proto` files, compiled, and the bindings of
//! topic filters to message types, kept with the connection's profile. The folder is read and
//! compiled here (not in a `*_ui` function); it is watched so a folder that disappears is
//! reported while the last compiled schemas and the bindings stay in use.

use super::CanopyApp;
use super::schemas_ui::SchemasAction;
use crate::model::protobuf_bindings::{Binding, ProtobufBindings};
use crate::payload::protobuf::{self, Schemas};
use crate::settings::StoredBinding;
use std::path::Path;
use std::time::{Duration, Instant};

/// How often a loaded folder is checked for still being there.
const WATCH_EVERY: Duration = Duration::from_secs(3);

/// One connection's schemas.
#[derive(Default)]
pub struct SessionSchemas {
    /// The folder, as the user gave it.
    pub folder: Option<String>,
    /// The last schemas that compiled (kept when the folder later fails).
    pub compiled: Option<Schemas>,
    /// What went wrong with the folder or its files, in words (file:line for compile errors).
    pub problem: Option<String>,
    /// The bindings, as stored.
    pub bindings: Vec<StoredBinding>,
    /// A schema built into Canopy (file name, text), used while no folder is given: the demo's.
    pub builtin: Option<(&'static str, &'static str)>,
    checked_at: Option<Instant>,
}

impl SessionSchemas {
    /// Schemas from `folder` (read and compiled now) with `bindings`.
    pub fn load(folder: Option<String>, bindings: Vec<StoredBinding>) -> Self {
        let mut schemas = Self {
            folder,
            bindings,
            ..Self::default()
        };
        schemas.reload();
        schemas
    }

    /// The demo's: the example schema built into Canopy, its telemetry topics bound to it.
    pub fn demo() -> Self {
        use crate::sim::telemetry;
        let mut schemas = Self {
            builtin: Some(telemetry::SCHEMA),
            bindings: vec![StoredBinding {
                filter: telemetry::FILTER.to_owned(),
                message: telemetry::MESSAGE.to_owned(),
            }],
            ..Self::default()
        };
        schemas.reload();
        schemas
    }

    /// Read and compile the folder again (the built-in schema when there is none). On failure
    /// the previous schemas stay in use.
    pub fn reload(&mut self) {
        self.checked_at = Some(Instant::now());
        let Some(folder) = self
            .folder
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        else {
            self.problem = None;
            self.compiled = self.builtin.and_then(|(name, text)| {
                let sources =
                    std::collections::BTreeMap::from([(name.to_owned(), text.to_owned())]);
                match protobuf::compile(sources) {
                    Ok(schemas) => Some(schemas),
                    Err(error) => {
                        self.problem = Some(error.to_string());
                        None
                    }
                }
            });
            return;
        };
        match crate::settings::schema_folder::read(Path::new(folder))
            .map_err(|e| e.to_string())
            .and_then(|sources| protobuf::compile(sources).map_err(|e| e.to_string()))
        {
            Ok(schemas) => {
                self.compiled = Some(schemas);
                self.problem = None;
            }
            Err(problem) => {
                self.problem = Some(match self.compiled {
                    Some(_) => format!("{problem} (still using the schemas loaded before)"),
                    None => problem,
                });
            }
        }
    }

    /// Report a folder that disappeared (checked every few seconds).
    fn watch(&mut self) {
        let due = self.checked_at.is_none_or(|at| at.elapsed() >= WATCH_EVERY);
        let Some(folder) = self
            .folder
            .as_deref()
            .filter(|f| due && !f.trim().is_empty())
        else {
            return;
        };
        self.checked_at = Some(Instant::now());
        let gone = !Path::new(folder.trim()).is_dir();
        let reported = self
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("is not there"));
        if gone && !reported {
            self.reload();
        } else if !gone && reported {
            // It came back.
            self.reload();
        }
    }

    /// The bindings with their types looked up in the compiled schemas, for the model.
    pub fn resolved(&self) -> ProtobufBindings {
        ProtobufBindings::new(
            self.bindings
                .iter()
                .map(|b| Binding {
                    filter: b.filter.clone(),
                    type_name: b.message.clone(),
                    message: self.compiled.as_ref().and_then(|s| s.message(&b.message)),
                })
                .collect(),
        )
    }
}

impl CanopyApp {
    /// Carry out what the Schemas window asked, on the shown connection; save it with the
    /// connection's profile when it has one.
    pub(super) fn schemas_action(&mut self, action: SchemasAction, ctx: &egui::Context) {
        let Some(session) = self.active_session_mut() else {
            return;
        };
        match action {
            SchemasAction::Load(folder) => {
                session.schemas.folder = Some(folder).filter(|f| !f.trim().is_empty());
                session.schemas.reload();
            }
            SchemasAction::Reload => session.schemas.reload(),
            SchemasAction::SetBindings(bindings) => session.schemas.bindings = bindings,
        }
        session.model.protobuf = session.schemas.resolved();
        // Decoded renderings and plots were made with the old bindings.
        session.message_view.reset();
        let stored = (
            session.schemas.folder.clone(),
            session.schemas.bindings.clone(),
        );
        let name = session.name.clone();
        self.schemas_saved = match name {
            Some(name) if self.profiles.set_schemas(&name, stored, ctx) => {
                Some(format!("Kept with the profile {name}."))
            }
            _ => Some(
                "This connection has no saved profile: the schemas and bindings last until it closes."
                    .to_owned(),
            ),
        };
    }

    /// The Schemas window, and what it asked.
    pub(super) fn schemas_window_ui(&mut self, ctx: &egui::Context) {
        self.watch_schemas();
        if !self.schemas_window.open {
            return;
        }
        let schemas = self.sessions.get(self.active).map(|s| &s.schemas);
        let requests = super::schemas_ui::schemas_window(
            ctx,
            &mut self.schemas_window,
            schemas,
            self.schemas_saved.as_deref(),
        );
        let mut action = requests.action;
        if requests.choose_folder
            && let Some(folder) = self
                .file_picker
                .pick_folder("Choose the folder of .proto files")
        {
            let folder = folder.display().to_string();
            self.schemas_window.folder.clone_from(&folder);
            action = Some(SchemasAction::Load(folder));
        }
        if let Some(action) = action {
            self.schemas_action(action, ctx);
        }
    }

    /// Check the shown connection's schema folder is still there.
    fn watch_schemas(&mut self) {
        if let Some(session) = self.active_session_mut() {
            let had = session.schemas.problem.is_some();
            session.schemas.watch();
            if had != session.schemas.problem.is_some() {
                session.model.protobuf = session.schemas.resolved();
            }
        }
    }
}
