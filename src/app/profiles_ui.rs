//! The Connections window: saved profiles on the left, the selected one's every setting on the
//! right; Save, Connect (in a new tab, so several brokers are open at once), Delete, and import
//! and export through the file dialog.

use super::FilePicker;
use super::profile_draft::Draft;
use super::worker::Worker;
use crate::mqtt::ProtocolVersion;
use crate::net::ConnectOptions;
use crate::profile_options::ProfileOptions;
use crate::settings::{Loaded, PasswordStorage, Profile, ProfileStore, StoredTransport};
use egui::{Color32, RichText};
use std::path::PathBuf;

const RED: Color32 = Color32::from_rgb(235, 90, 80);
const GREEN: Color32 = Color32::from_rgb(80, 200, 120);

/// Said when a file dialog cannot be shown.
const NO_DIALOG: &str = "No file dialog on this system (install zenity or an xdg-desktop-portal); type the path instead";

/// The window's state and the saved profiles.
#[derive(Default)]
pub struct ProfilesState {
    /// Whether the window is open.
    pub open: bool,
    /// The saved profiles, in list order.
    pub profiles: Vec<Profile>,
    store: Option<ProfileStore>,
    /// The profile being edited (index into `profiles`), `None` for a new one.
    selected: Option<usize>,
    draft: Draft,
    /// The outcome of the last action: (success, words).
    message: Option<(bool, String)>,
    /// Whether the system has a keyring to keep passwords in.
    keyring: bool,
    /// Saves, deletes, imports and exports, off the window's thread.
    worker: Option<Worker<ProfilesDone>>,
}

/// What the Connections window asks for; [`ProfilesState::perform`] does it off the window's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfilesAction {
    /// Save the form as a profile.
    Save,
    /// Save the form, then open it in a new tab.
    Connect,
    /// Delete the selected profile.
    Delete,
    /// Add the profiles in this file to the saved ones.
    Import(PathBuf),
    /// Write the saved profiles (without their passwords) to this file.
    Export(PathBuf),
}

/// A finished profiles job: the list now on disk (when it changed), which profile the form
/// shows, the sentence for the window, and a connection to open.
pub struct ProfilesDone {
    profiles: Option<Vec<Profile>>,
    select: Option<Option<usize>>,
    message: (bool, String),
    connect: Option<(ConnectOptions, String)>,
}

impl ProfilesDone {
    fn failed(message: String) -> Self {
        Self {
            profiles: None,
            select: None,
            message: (false, message),
            connect: None,
        }
    }

    fn done(profiles: Option<Vec<Profile>>, message: String) -> Self {
        Self {
            profiles,
            select: None,
            message: (true, message),
            connect: None,
        }
    }
}

fn not_saved(error: &crate::settings::SettingsError) -> String {
    format!("Profiles not saved: {error}")
}

impl ProfilesState {
    /// The profiles file, when profiles are kept.
    pub fn store_path(&self) -> Option<&std::path::Path> {
        self.store.as_ref().map(ProfileStore::path)
    }

    /// Read profiles from `store` and keep them there. Returns a sentence for the banner when
    /// the file could not be read (it was moved aside).
    pub fn use_store(&mut self, store: ProfileStore) -> Option<String> {
        let problem = match store.load() {
            Loaded::Read(profiles) => {
                self.profiles = profiles;
                None
            }
            Loaded::Missing => None,
            Loaded::Corrupt { reason, kept_at } => Some(format!(
                "Your connection profiles could not be read ({reason}). The file was kept at {} and no profile was loaded.",
                kept_at.display()
            )),
        };
        self.store = Some(store);
        self.keyring = crate::settings::secrets::keyring_available();
        problem
    }

    /// Change saved profile `name`'s schema folder and protobuf bindings and write the list
    /// (off the window's thread). False when there is no such profile.
    pub fn set_schemas(
        &mut self,
        name: &str,
        (folder, bindings): (Option<String>, Vec<crate::settings::StoredBinding>),
        ctx: &egui::Context,
    ) -> bool {
        let Some(index) = self.profiles.iter().position(|p| p.name == name) else {
            return false;
        };
        let profile = &mut self.profiles[index];
        profile.schema_folder = folder;
        profile.protobuf_bindings = bindings;
        // The form edits a copy: keep it in step, or saving the form would undo this.
        if self.selected == Some(index) {
            self.draft.profile.schema_folder = profile.schema_folder.clone();
            self.draft.profile.protobuf_bindings = profile.protobuf_bindings.clone();
        }
        let Some(store) = self.store.clone() else {
            return true;
        };
        let profiles = self.profiles.clone();
        let job: Box<dyn FnOnce() -> ProfilesDone + Send> =
            Box::new(move || match store.save(&profiles) {
                Ok(()) => {
                    ProfilesDone::done(None, "Saved the protobuf schemas and bindings.".to_owned())
                }
                Err(error) => ProfilesDone::failed(format!("Could not save the bindings: {error}")),
            });
        self.worker
            .get_or_insert_with(|| Worker::new("canopy-profiles"))
            .run(ctx, job);
        true
    }

    /// Select profile `index` for editing.
    pub fn select(&mut self, index: usize) {
        if let Some(profile) = self.profiles.get(index) {
            self.selected = Some(index);
            self.draft = Draft::from_profile(profile);
            self.message = None;
        }
    }

    /// A save, delete, import or export is under way (the buttons wait for it).
    pub fn is_busy(&self) -> bool {
        self.worker.as_ref().is_some_and(Worker::is_busy)
    }

    /// Start `action`: checks happen now, disk and keyring work on the worker thread, and its
    /// outcome arrives through [`ProfilesState::poll`].
    pub fn perform(&mut self, action: ProfilesAction, ctx: &egui::Context) {
        let job: Box<dyn FnOnce() -> ProfilesDone + Send> = match action {
            ProfilesAction::Save => match self.save_job(false) {
                Ok(job) => job,
                Err(error) => return self.message = Some((false, error)),
            },
            ProfilesAction::Connect => match self.save_job(true) {
                Ok(job) => job,
                Err(error) => return self.message = Some((false, error)),
            },
            ProfilesAction::Delete => match self.delete_job() {
                Some(job) => job,
                None => return,
            },
            ProfilesAction::Import(path) => self.import_job(path),
            ProfilesAction::Export(path) => self.export_job(path),
        };
        self.message = Some((true, "Working…".to_owned()));
        self.worker
            .get_or_insert_with(|| Worker::new("canopy-profiles"))
            .run(ctx, job);
    }

    /// Take finished jobs: keep what they wrote, show what they said. Returns a connection to
    /// open (from Connect).
    pub fn poll(&mut self) -> Option<(ConnectOptions, String)> {
        let mut connect = None;
        while let Some(done) = self.worker.as_mut().and_then(Worker::take) {
            if let Some(profiles) = done.profiles {
                self.profiles = profiles;
            }
            match done.select {
                Some(Some(index)) => self.selected = Some(index),
                Some(None) => {
                    self.selected = None;
                    self.draft = Draft::default();
                }
                None => {}
            }
            self.message = Some(done.message);
            connect = done.connect.or(connect);
        }
        if connect.is_some() {
            self.message = None;
        }
        connect
    }

    /// The form saved as a profile (keyring first, then the file); with `connect`, the options
    /// to open it with.
    fn save_job(&self, connect: bool) -> Result<Box<dyn FnOnce() -> ProfilesDone + Send>, String> {
        let profile = self
            .draft
            .to_profile(self.keyring)
            .map_err(|e| e.to_string())?;
        let clash = self
            .profiles
            .iter()
            .enumerate()
            .any(|(i, p)| p.name == profile.name && Some(i) != self.selected);
        if clash {
            return Err(format!(
                "Name: a profile called '{}' exists already",
                profile.name
            ));
        }
        if connect && profile.needs_password() && self.draft.password.is_empty() {
            return Err(format!(
                "Password: enter the password for {}",
                profile.username
            ));
        }
        let mut profiles = self.profiles.clone();
        let index = match self.selected {
            Some(index) if index < profiles.len() => {
                profiles[index] = profile.clone();
                index
            }
            _ => {
                profiles.push(profile.clone());
                profiles.len() - 1
            }
        };
        let keep_password = (profile.password == PasswordStorage::Keyring
            && !self.draft.password.is_empty())
        .then(|| self.draft.password.clone());
        let forget = self
            .selected
            .and_then(|i| self.profiles.get(i))
            .filter(|previous| {
                previous.password == PasswordStorage::Keyring
                    && (previous.name != profile.name
                        || profile.password != PasswordStorage::Keyring)
            })
            .map(|previous| previous.name.clone());
        let connect_password = connect.then(|| self.draft.password.clone());
        let store = self.store.clone();
        Ok(Box::new(move || {
            use crate::settings::secrets;
            if let Some(password) = keep_password
                && let Err(error) = secrets::store_password(&profile.name, &password)
            {
                return ProfilesDone::failed(format!(
                    "Password: {error}; untick 'Remember' to be asked each time instead"
                ));
            }
            if let Some(previous) = forget {
                secrets::forget_password(&previous);
            }
            if let Some(Err(error)) = store.as_ref().map(|store| store.save(&profiles)) {
                return ProfilesDone::failed(not_saved(&error));
            }
            let mut done = ProfilesDone::done(Some(profiles), format!("Saved '{}'.", profile.name));
            done.select = Some(Some(index));
            if let Some(password) = connect_password {
                match profile.to_options(Some(&password)) {
                    Ok(options) => done.connect = Some((options, profile.name.clone())),
                    Err(error) => done.message = (false, error.to_string()),
                }
            }
            done
        }))
    }

    fn delete_job(&self) -> Option<Box<dyn FnOnce() -> ProfilesDone + Send>> {
        let index = self.selected.filter(|i| *i < self.profiles.len())?;
        let mut profiles = self.profiles.clone();
        let removed = profiles.remove(index);
        let store = self.store.clone();
        Some(Box::new(move || {
            if let Some(Err(error)) = store.as_ref().map(|store| store.save(&profiles)) {
                return ProfilesDone::failed(not_saved(&error));
            }
            if removed.password == PasswordStorage::Keyring {
                crate::settings::secrets::forget_password(&removed.name);
            }
            let mut done =
                ProfilesDone::done(Some(profiles), format!("Deleted '{}'.", removed.name));
            done.select = Some(None);
            done
        }))
    }

    /// Read `path` (never moving it, whatever it holds) and add its profiles, renaming clashes.
    fn import_job(&self, path: PathBuf) -> Box<dyn FnOnce() -> ProfilesDone + Send> {
        let mut profiles = self.profiles.clone();
        let store = self.store.clone();
        Box::new(move || {
            let imported = match ProfileStore::read_import(&path) {
                Ok(imported) => imported,
                Err(crate::settings::ReadError::Missing) => {
                    return ProfilesDone::failed(format!("{} does not exist", path.display()));
                }
                Err(error) => {
                    return ProfilesDone::failed(format!(
                        "{} is not a Canopy profiles file: {error}",
                        path.display()
                    ));
                }
            };
            let count = imported.len();
            for mut profile in imported {
                while profiles.iter().any(|p| p.name == profile.name) {
                    profile.name.push_str(" (imported)");
                }
                profiles.push(profile);
            }
            if let Some(Err(error)) = store.as_ref().map(|store| store.save(&profiles)) {
                return ProfilesDone::failed(not_saved(&error));
            }
            ProfilesDone::done(
                Some(profiles),
                format!("Imported {count} profiles from {}.", path.display()),
            )
        })
    }

    fn export_job(&self, path: PathBuf) -> Box<dyn FnOnce() -> ProfilesDone + Send> {
        // Stored passwords stay on this machine: exported profiles ask for them.
        let profiles: Vec<Profile> = self
            .profiles
            .iter()
            .cloned()
            .map(|mut p| {
                if matches!(p.password, PasswordStorage::PlainText(_)) {
                    p.password = PasswordStorage::AskEachTime;
                }
                p
            })
            .collect();
        Box::new(move || match ProfileStore::at(&path).save(&profiles) {
            Ok(()) => ProfilesDone::done(
                None,
                format!(
                    "Exported {} profiles to {}.",
                    profiles.len(),
                    path.display()
                ),
            ),
            Err(error) => ProfilesDone::failed(error.to_string()),
        })
    }
}

/// Draw the window's contents; what the user asked for is returned for the app to perform.
pub fn profiles_ui(
    ui: &mut egui::Ui,
    state: &mut ProfilesState,
    picker: &mut dyn FilePicker,
) -> Option<ProfilesAction> {
    let keyring = state.keyring;
    let idle = !state.is_busy();
    let mut action = None;
    ui.horizontal_top(|ui| {
        if let Some(picked) = ui
            .vertical(|ui| profile_list_ui(ui, state, picker, idle))
            .inner
        {
            action = Some(picked);
        }
        ui.separator();
        ui.vertical(|ui| {
            form_ui(ui, &mut state.draft, picker, keyring);
            ui.separator();
            ui.horizontal(|ui| {
                if ui.add_enabled(idle, egui::Button::new("Save")).clicked() {
                    action = Some(ProfilesAction::Save);
                }
                if ui
                    .add_enabled(idle, egui::Button::new("Connect"))
                    .on_hover_text("Save, and open it in a new tab")
                    .clicked()
                {
                    action = Some(ProfilesAction::Connect);
                }
                if state.selected.is_some()
                    && ui.add_enabled(idle, egui::Button::new("Delete")).clicked()
                {
                    action = Some(ProfilesAction::Delete);
                }
            });
            if let Some((ok, text)) = &state.message {
                ui.label(RichText::new(text).color(super::colors::adapt(
                    if *ok { GREEN } else { RED },
                    ui.visuals(),
                )));
            }
        });
    });
    action
}

/// The saved profiles (click to edit), New, Import and Export.
fn profile_list_ui(
    ui: &mut egui::Ui,
    state: &mut ProfilesState,
    picker: &mut dyn FilePicker,
    idle: bool,
) -> Option<ProfilesAction> {
    let mut action = None;
    ui.set_width(170.0);
    ui.strong("Saved profiles");
    if state.profiles.is_empty() {
        ui.weak("None yet.");
    }
    let mut clicked = None;
    for (index, profile) in state.profiles.iter().enumerate() {
        if ui
            .selectable_label(state.selected == Some(index), &profile.name)
            .on_hover_text(profile.url())
            .clicked()
        {
            clicked = Some(index);
        }
    }
    if let Some(index) = clicked {
        state.select(index);
    }
    ui.separator();
    if ui.button("New profile").clicked() {
        state.selected = None;
        state.draft = Draft::default();
        state.message = None;
    }
    let dialogs = picker.available();
    if ui.add_enabled(idle, egui::Button::new("Import…")).clicked() {
        if !dialogs {
            state.message = Some((false, NO_DIALOG.to_owned()));
        } else if let Some(path) = picker.pick_file("Import profiles") {
            action = Some(ProfilesAction::Import(path));
        }
    }
    let export = ui
        .add_enabled(
            idle && !state.profiles.is_empty(),
            egui::Button::new("Export…"),
        )
        .on_hover_text("Saved passwords are not exported")
        .clicked();
    if export {
        let name = "canopy-profiles.ron";
        let path = if dialogs {
            picker.save_file("Export connection profiles", name)
        } else {
            Some(super::fallback_folder().join(name))
        };
        action = path.map(ProfilesAction::Export);
    }
    action
}

fn field(ui: &mut egui::Ui, label: &str, text: &mut String, width: f32) -> egui::Response {
    let hint = match label {
        "Name" => "e.g. Home server",
        "Host" => "broker.example.com or 192.168.1.10",
        "Client ID" => "random when empty",
        "Session expiry (s)" => "none",
        "Discovery prefix" => "homeassistant",
        _ => "",
    };
    super::cells::labelled_field(ui, label, text, hint, width)
}

fn file_field(ui: &mut egui::Ui, label: &str, text: &mut String, picker: &mut dyn FilePicker) {
    ui.horizontal(|ui| {
        field(ui, label, text, 260.0);
        if ui
            .add_enabled(picker.available(), egui::Button::new("Browse…").small())
            .on_hover_text(format!("Choose the {} file", label.to_lowercase()))
            .on_disabled_hover_text(NO_DIALOG)
            .clicked()
            && let Some(path) = picker.pick_file(&format!("The {} file", label.to_lowercase()))
        {
            *text = path.display().to_string();
        }
    });
}

fn form_ui(ui: &mut egui::Ui, draft: &mut Draft, picker: &mut dyn FilePicker, keyring: bool) {
    connection_fields_ui(ui, draft, keyring);
    subscriptions_ui(ui, draft);
    will_ui(ui, draft);
    tls_ui(ui, draft, picker);
}

/// Where and as whom to connect. Long: one grid, a row per field, top to bottom as shown.
fn connection_fields_ui(ui: &mut egui::Ui, draft: &mut Draft, keyring: bool) {
    let kept_in_keyring = draft.profile.password == PasswordStorage::Keyring;
    let profile = &mut draft.profile;
    egui::Grid::new("profile_form")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            field(ui, "Name", &mut profile.name, 220.0);
            ui.end_row();
            field(ui, "Host", &mut profile.host, 220.0);
            ui.end_row();
            field(ui, "Port", &mut draft.port, 70.0);
            ui.end_row();
            ui.label("Transport");
            ui.horizontal(|ui| {
                for (value, text) in [
                    (StoredTransport::Mqtt, "mqtt"),
                    (StoredTransport::Mqtts, "mqtts (TLS)"),
                    (StoredTransport::Ws, "ws"),
                    (StoredTransport::Wss, "wss"),
                ] {
                    ui.selectable_value(&mut profile.transport, value, text);
                }
            });
            ui.end_row();
            if matches!(
                profile.transport,
                StoredTransport::Ws | StoredTransport::Wss
            ) {
                field(ui, "WebSocket path", &mut profile.ws_path, 160.0);
                ui.end_row();
            }
            ui.label("MQTT version");
            ui.horizontal(|ui| {
                for version in ProtocolVersion::ALL {
                    ui.selectable_value(&mut profile.mqtt_version, version, version.number());
                }
            });
            ui.end_row();
            field(ui, "Client ID", &mut profile.client_id, 180.0);
            ui.end_row();
            ui.label("");
            ui.checkbox(
                &mut profile.random_suffix,
                "Add a random suffix to the client ID",
            );
            ui.end_row();
            field(ui, "User name", &mut profile.username, 180.0);
            ui.end_row();
            let label = ui.label("Password");
            ui.add(
                egui::TextEdit::singleline(&mut draft.password)
                    .password(true)
                    .desired_width(180.0)
                    .hint_text(if kept_in_keyring {
                        "kept in the keyring"
                    } else {
                        ""
                    }),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label("");
            if keyring {
                ui.checkbox(
                    &mut draft.remember_password,
                    "Remember the password in the system keyring",
                )
            } else {
                ui.checkbox(
                    &mut draft.remember_password,
                    "Remember the password in the profiles file (plain text)",
                )
                .on_hover_text(
                    "This system has no keyring. Unticked, Canopy asks for the password each time it connects",
                )
            };
            ui.end_row();
            ui.label("");
            ui.checkbox(&mut profile.clean_start, "Clean start");
            ui.end_row();
            field(ui, "Session expiry (s)", &mut draft.session_expiry, 70.0);
            ui.end_row();
            field(ui, "Keep alive (s)", &mut draft.keep_alive, 70.0);
            ui.end_row();
            field(ui, "Discovery prefix", &mut draft.discovery_prefix, 160.0)
                .on_hover_text("Home Assistant's MQTT discovery prefix (homeassistant when empty)");
            ui.end_row();
        });
}

fn subscriptions_ui(ui: &mut egui::Ui, draft: &mut Draft) {
    egui::CollapsingHeader::new("Subscriptions")
        .default_open(false)
        .show(ui, |ui| {
            ui.weak("One filter per line, optionally followed by its QoS: home/# 1");
            let label = ui.label("Filters");
            ui.add(
                egui::TextEdit::multiline(&mut draft.subscriptions)
                    .desired_rows(3)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id);
        });
}

fn will_ui(ui: &mut egui::Ui, draft: &mut Draft) {
    egui::CollapsingHeader::new("Last will")
        .default_open(false)
        .show(ui, |ui| {
            ui.checkbox(&mut draft.will_enabled, "Send a last will");
            if let Some(will) = &mut draft.profile.last_will {
                ui.add_enabled_ui(draft.will_enabled, |ui| {
                    field(ui, "Will topic", &mut will.topic, 240.0);
                    field(ui, "Will payload", &mut will.payload, 240.0);
                    ui.horizontal(|ui| {
                        ui.label("Will QoS");
                        for qos in 0..=2u8 {
                            ui.selectable_value(&mut will.qos, qos, qos.to_string());
                        }
                        ui.checkbox(&mut will.retain, "Retain");
                    });
                });
            }
        });
}

fn tls_ui(ui: &mut egui::Ui, draft: &mut Draft, picker: &mut dyn FilePicker) {
    let tls = matches!(
        draft.profile.transport,
        StoredTransport::Mqtts | StoredTransport::Wss
    );
    egui::CollapsingHeader::new("TLS")
        .default_open(tls)
        .show(ui, |ui| {
            if !tls {
                ui.weak("Used with the mqtts and wss transports.");
            }
            file_field(ui, "CA file", &mut draft.ca_file, picker);
            ui.weak("Empty: the system's trusted CAs.");
            file_field(ui, "Client certificate", &mut draft.client_cert, picker);
            file_field(ui, "Client key", &mut draft.client_key, picker);
            field(ui, "Server name (SNI)", &mut draft.profile.tls.server_name, 200.0)
                .on_hover_text(
                    "Sent as SNI and checked against the broker's certificate instead of the host",
                );
            field(ui, "ALPN", &mut draft.alpn, 200.0)
                .on_hover_text("Protocols to offer, separated by commas (e.g. mqtt)");
            ui.checkbox(
                &mut draft.profile.tls.insecure_skip_verify,
                "Skip certificate verification",
            );
            if draft.profile.tls.insecure_skip_verify {
                ui.label(
                    RichText::new(
                        "Anyone between you and the broker can read and change everything, passwords included. Use only for testing.",
                    )
                    .color(super::colors::adapt(RED, ui.visuals())),
                );
            }
        });
}
