//! Preferences kept between runs: RON in the platform's config directory, written atomically,
//! with a schema version. A file that cannot be read is moved aside and reported, never
//! overwritten.

mod profiles;
pub mod schema_folder;
pub mod secrets;

pub use profiles::{
    PROFILES_SCHEMA_VERSION, PasswordStorage, Profile, ProfileStore, StoredBinding,
    StoredSubscription, StoredTls, StoredTransport, StoredWill,
};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped when the file's shape changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// A message as the publish panel stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct StoredMessage {
    pub topic: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
    /// QoS 0, 1 or 2.
    pub qos: u8,
    pub retain: bool,
    /// MQTT 5 content type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// MQTT 5 response topic.
    #[serde(default)]
    pub response_topic: Option<String>,
    /// MQTT 5 correlation data.
    #[serde(default)]
    pub correlation_data: Option<Vec<u8>>,
    /// MQTT 5 user properties.
    #[serde(default)]
    pub user_properties: Vec<(String, String)>,
    /// MQTT 5 message expiry in seconds.
    #[serde(default)]
    pub message_expiry_secs: Option<u32>,
    /// MQTT 5 payload format indicator.
    #[serde(default)]
    pub payload_format_indicator: Option<u8>,
}

/// A message the user saved under a name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct NamedMessage {
    /// The name shown in the menu.
    pub name: String,
    pub message: StoredMessage,
}

/// Everything Canopy remembers between runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The file's schema version.
    pub schema_version: u32,
    /// Recently published messages, newest first.
    #[serde(default)]
    pub publish_history: Vec<StoredMessage>,
    /// Messages saved under a name.
    #[serde(default)]
    pub saved_messages: Vec<NamedMessage>,
    /// Most memory, in MiB, each connection's message history may take.
    #[serde(default = "default_history_budget_mib")]
    pub history_budget_mib: u32,
    /// Light, dark, or as the system says.
    #[serde(default)]
    pub theme: ThemeChoice,
    /// The text size, in percent of the default (Ctrl + and Ctrl − change it).
    #[serde(default = "default_text_scale_percent")]
    pub text_scale_percent: u16,
    /// The window's size and place, the panels and views, the tree's open branches.
    #[serde(default)]
    pub layout: Layout,
}

/// What the window looked like when it was last used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    /// The window's outer position and inner size, in points.
    pub window: Option<WindowGeometry>,
    /// The topic tree panel's width, in points (the split between tree and messages).
    pub tree_width: Option<u32>,
    /// The view shown: `Explorer`, `Log`, `Retained`, `Monitor` or `Broker`.
    pub view: Option<String>,
    /// The publish panel is open.
    pub publish_open: Option<bool>,
    /// The chart panel is open (in the tab shown; new tabs open with it so).
    pub chart_open: Option<bool>,
    /// Per saved connection profile (by name): the topics whose branches were open.
    pub expanded: std::collections::BTreeMap<String, Vec<String>>,
}

/// A window's place and size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are, in points")]
pub struct WindowGeometry {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// The window's colours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the system's light or dark preference.
    #[default]
    System,
    /// Dark text on a light background.
    Light,
    /// Light text on a dark background.
    Dark,
}

/// The text size when the user has not changed it.
pub const DEFAULT_TEXT_SCALE_PERCENT: u16 = 100;

fn default_text_scale_percent() -> u16 {
    DEFAULT_TEXT_SCALE_PERCENT
}

/// The history budget when the user has not set one, in MiB: the model's default (a test in
/// `app`, which sees both, keeps the two equal).
pub const DEFAULT_HISTORY_BUDGET_MIB: u32 = 48;

fn default_history_budget_mib() -> u32 {
    DEFAULT_HISTORY_BUDGET_MIB
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            publish_history: Vec::new(),
            saved_messages: Vec::new(),
            history_budget_mib: DEFAULT_HISTORY_BUDGET_MIB,
            theme: ThemeChoice::System,
            text_scale_percent: DEFAULT_TEXT_SCALE_PERCENT,
            layout: Layout::default(),
        }
    }
}

/// What loading found.
#[derive(Debug)]
pub enum Loaded<T = Settings> {
    /// The file was read.
    Read(T),
    /// There was no file yet (first run).
    Missing,
    /// The file could not be read; it was moved to `kept_at` and defaults are used.
    Corrupt {
        /// Why it could not be read.
        reason: String,
        /// Where the unreadable file now is (nothing was lost).
        kept_at: PathBuf,
    },
}

/// Where settings live, and how they are read and written.
#[derive(Clone, Debug)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// `settings.ron` in the platform's config directory for Canopy.
    pub fn default_location() -> Option<Self> {
        let dirs = directories::ProjectDirs::from("", "", "canopy")?;
        Some(Self::at(dirs.config_dir().join("settings.ron")))
    }

    /// A store at `path` (tests use a temporary directory).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the settings. An unreadable file is moved aside (never overwritten) and reported.
    pub fn load(&self) -> Loaded {
        load_ron(
            &self.path,
            |settings: &Settings| settings.schema_version,
            SCHEMA_VERSION,
        )
    }

    /// Write the settings atomically: a temporary file beside the real one, then a rename.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let text = ron::ser::to_string_pretty(settings, ron::ser::PrettyConfig::default())
            .map_err(|source| SettingsError::Encode {
                what: "settings",
                source,
            })?;
        write_atomically(&self.path, text.as_bytes())
    }
}

/// Why settings, profiles or a password could not be saved, found or used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Encoding to RON failed (a value RON cannot represent).
    #[error("cannot encode {what}: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// RON's reason.
        source: ron::Error,
    },
    /// A file or folder could not be written.
    #[error("cannot {action} {}: {source}", path.display())]
    Write {
        /// "create", "write" or "replace".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A profile has a field that makes no sense.
    #[error("profile '{profile}': {problem}")]
    BadProfile {
        /// The profile's name.
        profile: String,
        /// Which field, and what is wrong with it.
        problem: String,
    },
    /// `--profile NAME` names no saved profile.
    #[error("no profile called '{name}'{}", match saved.as_slice() {
        [] => ": no profiles are saved yet".to_owned(),
        names => format!("; saved: {}", names.join(", ")),
    })]
    NoSuchProfile {
        /// The name asked for.
        name: String,
        /// The names saved.
        saved: Vec<String>,
    },
    /// The profiles file could not be read, and was moved aside.
    #[error("the profiles file could not be read ({reason}); it was kept at {}", kept_at.display())]
    Unreadable {
        /// Why.
        reason: String,
        /// Where it is now.
        kept_at: PathBuf,
    },
    /// The system keyring could not be used.
    #[error("the system keyring is not available: {0}")]
    KeyringUnavailable(keyring::Error),
    /// The keyring has no password for the profile.
    #[error("no password for '{0}' in the keyring")]
    NoPassword(String),
    /// The keyring refused to store or give a password.
    #[error("the keyring did not {action} the password: {source}")]
    Keyring {
        /// "take" or "give".
        action: &'static str,
        /// The keyring's reason.
        source: keyring::Error,
    },
}

/// Why a settings or profiles file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// There is no such file.
    #[error("it does not exist")]
    Missing,
    /// The file is there but could not be read.
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    /// The text is not what Canopy writes.
    #[error("it is not valid: {0}")]
    Invalid(#[from] ron::error::SpannedError),
    /// A newer Canopy wrote it, in a shape this one does not know.
    #[error("it was written by a newer Canopy (schema {found} > {supported})")]
    Newer {
        /// The file's schema version.
        found: u32,
        /// The newest this Canopy reads.
        supported: u32,
    },
}

/// Read a RON file with a schema version, touching nothing.
pub(crate) fn read_ron<T: serde::de::DeserializeOwned>(
    path: &Path,
    schema_of: impl Fn(&T) -> u32,
    supported: u32,
) -> Result<T, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        _ => ReadError::Io(e),
    })?;
    let value = ron::from_str::<T>(&text)?;
    match schema_of(&value) {
        found if found <= supported => Ok(value),
        found => Err(ReadError::Newer { found, supported }),
    }
}

/// Read Canopy's own RON file with a schema version. A file that cannot be read, does not
/// parse, or was written by a newer Canopy is moved aside (never overwritten) and reported.
pub(crate) fn load_ron<T: serde::de::DeserializeOwned>(
    path: &Path,
    schema_of: impl Fn(&T) -> u32,
    supported: u32,
) -> Loaded<T> {
    match read_ron(path, schema_of, supported) {
        Ok(value) => Loaded::Read(value),
        Err(ReadError::Missing) => Loaded::Missing,
        Err(error) => keep_aside(path, error.to_string()),
    }
}

fn keep_aside<T>(path: &Path, reason: String) -> Loaded<T> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut kept_at = path.as_os_str().to_owned();
    kept_at.push(format!(".unreadable-{stamp}"));
    let kept_at = PathBuf::from(kept_at);
    match std::fs::rename(path, &kept_at) {
        Ok(()) => Loaded::Corrupt { reason, kept_at },
        // Could not move it: leave it where it is; saving will refuse to overwrite it.
        Err(e) => Loaded::Corrupt {
            reason: format!("{reason} (and it could not be moved aside: {e})"),
            kept_at: path.to_owned(),
        },
    }
}

/// Write a file atomically: a temporary file beside it, then a rename, so a crash never leaves
/// half a file. Creates the parent directory if needed.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), SettingsError> {
    fn failed(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SettingsError {
        let path = path.to_owned();
        move |source| SettingsError::Write {
            action,
            path,
            source,
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed("create", dir))?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, contents).map_err(failed("write", &temporary))?;
    std::fs::rename(&temporary, path).map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        failed("replace", path)(source)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Settings {
        Settings {
            publish_history: vec![StoredMessage {
                topic: "a/b".into(),
                payload: vec![0, 255, b'x'],
                qos: 1,
                retain: true,
                user_properties: vec![("k".into(), "v".into())],
                ..StoredMessage::default()
            }],
            saved_messages: vec![NamedMessage {
                name: "lamp on".into(),
                message: StoredMessage {
                    topic: "home/lamp/set".into(),
                    payload: b"on".to_vec(),
                    ..StoredMessage::default()
                },
            }],
            ..Settings::default()
        }
    }

    #[test]
    fn round_trips_through_ron_atomically() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SettingsStore::at(dir.path().join("nested").join("settings.ron"));
        assert!(matches!(store.load(), Loaded::Missing));
        store.save(&sample()).expect("saved");
        assert!(
            !dir.path().join("nested").join("settings.ron.tmp").exists(),
            "no temporary left"
        );
        match store.load() {
            Loaded::Read(settings) => assert_eq!(settings, sample()),
            other => panic!("expected settings, got {other:?}"),
        }
    }

    #[test]
    fn a_corrupt_file_is_kept_aside_not_overwritten() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("settings.ron");
        std::fs::write(&path, "(schema_version: 1, publish_history: [oops").expect("write");
        let store = SettingsStore::at(&path);
        let Loaded::Corrupt { reason, kept_at } = store.load() else {
            panic!("corruption not reported");
        };
        assert!(reason.contains("not valid"), "{reason}");
        assert_eq!(
            std::fs::read_to_string(&kept_at).expect("kept"),
            "(schema_version: 1, publish_history: [oops"
        );
        assert!(!path.exists(), "moved, so a later save cannot overwrite it");
        store.save(&Settings::default()).expect("fresh file");
        assert!(kept_at.exists(), "the unreadable copy survives a save");
    }

    #[test]
    fn a_newer_schema_is_not_misread() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("settings.ron");
        std::fs::write(&path, "(schema_version: 99)").expect("write");
        assert!(matches!(
            SettingsStore::at(&path).load(),
            Loaded::Corrupt { .. }
        ));
    }
}
