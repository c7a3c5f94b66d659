//! Saved connection profiles: `profiles.ron` beside `settings.ron`, with a schema version,
//! atomic writes, and an unreadable file moved aside and reported, never overwritten.
//!
//! Passwords are not written unless the user asks: by default a profile only notes that it has
//! one, and the window asks for it when connecting.

use super::{Loaded, SettingsError, load_ron, write_atomically};
use crate::mqtt::{ProtocolVersion, Qos};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Bumped when the file's shape changes incompatibly.
pub const PROFILES_SCHEMA_VERSION: u32 = 1;

/// How a profile keeps its password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordStorage {
    /// No password.
    #[default]
    None,
    /// The profile has a password, asked for on every connect and never written.
    AskEachTime,
    /// Kept in the operating system's keyring under the profile's name.
    Keyring,
    /// Written in the profiles file in plain text: only on the user's explicit consent.
    PlainText(String),
}

/// A subscription as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct StoredSubscription {
    pub filter: String,
    /// QoS 0, 1 or 2.
    pub qos: u8,
}

/// A protobuf binding as stored: topics matching `filter` decode as `message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBinding {
    /// An MQTT topic filter.
    pub filter: String,
    /// A message type's full name, `package.Message`.
    pub message: String,
}

/// A last will as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct StoredWill {
    pub topic: String,
    pub payload: String,
    /// QoS 0, 1 or 2.
    pub qos: u8,
    pub retain: bool,
}

/// TLS settings as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct StoredTls {
    /// CA file; the system's roots when `None`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Client certificate file.
    #[serde(default)]
    pub client_cert: Option<PathBuf>,
    #[serde(default)]
    pub client_key: Option<PathBuf>,
    /// Name to check the broker's certificate against instead of the host.
    #[serde(default)]
    pub server_name: String,
    #[serde(default)]
    pub alpn: Vec<String>,
    /// Accept any certificate (shown with a red warning).
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// One saved broker connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct Profile {
    /// The name shown in the list, unique among profiles.
    pub name: String,
    /// Host name or address.
    pub host: String,
    pub port: u16,
    /// `mqtt`, `mqtts`, `ws` or `wss`.
    pub transport: StoredTransport,
    /// HTTP path for WebSockets.
    #[serde(default = "default_ws_path")]
    pub ws_path: String,
    /// Written as "5.0" or "3.1.1". Files from before it was a version say `mqtt_311: true`
    /// or `false`, which still reads.
    #[serde(
        default,
        alias = "mqtt_311",
        deserialize_with = "version_or_legacy_flag"
    )]
    pub mqtt_version: ProtocolVersion,
    /// Client id (a random one when empty).
    #[serde(default)]
    pub client_id: String,
    /// Append a random suffix to the client id on each connect.
    #[serde(default)]
    pub random_suffix: bool,
    /// User name (none when empty).
    #[serde(default)]
    pub username: String,
    /// How the password is kept.
    #[serde(default)]
    pub password: PasswordStorage,
    /// Clean start / clean session.
    #[serde(default = "default_true")]
    pub clean_start: bool,
    /// MQTT 5 session expiry in seconds.
    #[serde(default)]
    pub session_expiry_secs: Option<u32>,
    /// Home Assistant's discovery prefix on this broker (`homeassistant` when `None`).
    #[serde(default)]
    pub discovery_prefix: Option<String>,
    /// Keep-alive in seconds.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_secs: u16,
    #[serde(default)]
    pub last_will: Option<StoredWill>,
    /// Subscriptions made on every connect.
    #[serde(default = "default_subscriptions")]
    pub subscriptions: Vec<StoredSubscription>,
    /// TLS settings (used by `mqtts` and `wss`).
    #[serde(default)]
    pub tls: StoredTls,
    /// A folder of `.proto` files (and their imports) for decoding protobuf payloads.
    #[serde(default)]
    pub schema_folder: Option<String>,
    /// Topic filters bound to protobuf message types.
    #[serde(default)]
    pub protobuf_bindings: Vec<StoredBinding>,
}

/// The transport, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredTransport {
    /// Plain TCP.
    #[default]
    Mqtt,
    /// TLS.
    Mqtts,
    /// WebSockets.
    Ws,
    /// WebSockets over TLS.
    Wss,
}

fn default_ws_path() -> String {
    "/mqtt".to_owned()
}

fn default_true() -> bool {
    true
}

fn default_keep_alive() -> u16 {
    30
}

fn default_subscriptions() -> Vec<StoredSubscription> {
    crate::mqtt::EVERY_TOPIC
        .into_iter()
        .map(|filter| StoredSubscription {
            filter: filter.to_owned(),
            qos: Qos::ExactlyOnce.level(),
        })
        .collect()
}

impl Profile {
    /// A profile for `host:port` with the explorer's defaults.
    pub fn new(name: impl Into<String>, host: impl Into<String>, port: u16) -> Self {
        Self {
            name: name.into(),
            host: host.into(),
            port,
            transport: StoredTransport::Mqtt,
            ws_path: default_ws_path(),
            mqtt_version: ProtocolVersion::V5,
            client_id: String::new(),
            random_suffix: false,
            username: String::new(),
            password: PasswordStorage::None,
            clean_start: true,
            session_expiry_secs: None,
            discovery_prefix: None,
            keep_alive_secs: default_keep_alive(),
            last_will: None,
            subscriptions: default_subscriptions(),
            tls: StoredTls::default(),
            schema_folder: None,
            protobuf_bindings: Vec::new(),
        }
    }

    /// Three profiles for tests: plain, TLS with a will and a client certificate, WebSockets
    /// with MQTT 3.1.1 and a random client-id suffix.
    #[cfg(test)]
    pub(crate) fn examples() -> Vec<Profile> {
        let plain = Profile::new("home", "192.168.1.10", 1883);
        let mut tls = Profile::new("cloud", "broker.example.com", 8883);
        tls.transport = StoredTransport::Mqtts;
        tls.username = "device-7".into();
        tls.password = PasswordStorage::AskEachTime;
        tls.tls = StoredTls {
            ca_file: Some("/etc/canopy/ca.pem".into()),
            client_cert: Some("/etc/canopy/client.pem".into()),
            client_key: Some("/etc/canopy/client.key".into()),
            server_name: "broker.internal".into(),
            alpn: vec!["mqtt".into()],
            insecure_skip_verify: false,
        };
        tls.last_will = Some(StoredWill {
            topic: "clients/canopy/state".into(),
            payload: "gone".into(),
            qos: 1,
            retain: true,
        });
        let mut ws = Profile::new("lab", "lab.local", 8080);
        ws.transport = StoredTransport::Ws;
        ws.ws_path = "/ws".into();
        ws.mqtt_version = ProtocolVersion::V311;
        ws.client_id = "bench".into();
        ws.random_suffix = true;
        ws.subscriptions = vec![StoredSubscription {
            filter: "lab/#".into(),
            qos: 1,
        }];
        vec![plain, tls, ws]
    }

    /// True when connecting needs a password the profile does not hold.
    pub fn needs_password(&self) -> bool {
        self.password == PasswordStorage::AskEachTime
    }

    /// The password to connect with: the one given, else the stored one (from the file or
    /// the keyring). `None` when the profile has none.
    pub fn resolve_password(&self, given: Option<&str>) -> Result<Option<String>, SettingsError> {
        if let Some(given) = given.filter(|g| !g.is_empty()) {
            return Ok(Some(given.to_owned()));
        }
        match &self.password {
            PasswordStorage::None => Ok(None),
            PasswordStorage::PlainText(stored) => Ok(Some(stored.clone())),
            PasswordStorage::Keyring => super::secrets::load_password(&self.name).map(Some),
            PasswordStorage::AskEachTime => Err(SettingsError::BadProfile {
                profile: self.name.clone(),
                problem: "it does not keep its password: enter it".to_owned(),
            }),
        }
    }
}

/// A version as written ("5.0", "3.1.1"), or the flag older files kept (`true`: 3.1.1).
fn version_or_legacy_flag<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ProtocolVersion, D::Error> {
    struct VersionVisitor;
    impl serde::de::Visitor<'_> for VersionVisitor {
        type Value = ProtocolVersion;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an MQTT version such as \"5.0\" or \"3.1.1\"")
        }

        fn visit_bool<E: serde::de::Error>(self, mqtt_311: bool) -> Result<Self::Value, E> {
            Ok(if mqtt_311 {
                ProtocolVersion::V311
            } else {
                ProtocolVersion::V5
            })
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            text.parse().map_err(E::custom)
        }
    }
    deserializer.deserialize_any(VersionVisitor)
}

/// The file as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ProfilesFile {
    schema_version: u32,
    #[serde(default)]
    profiles: Vec<Profile>,
}

/// Where profiles live, and how they are read and written.
#[derive(Clone, Debug)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// `profiles.ron` in the platform's config directory for Canopy.
    pub fn default_location() -> Option<Self> {
        let dirs = directories::ProjectDirs::from("", "", "canopy")?;
        Some(Self::at(dirs.config_dir().join("profiles.ron")))
    }

    /// A store at `path` (tests use a temporary directory).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read the profiles. An unreadable file is moved aside (never overwritten) and reported.
    pub fn load(&self) -> Loaded<Vec<Profile>> {
        match load_ron(
            &self.path,
            |file: &ProfilesFile| file.schema_version,
            PROFILES_SCHEMA_VERSION,
        ) {
            Loaded::Read(file) => Loaded::Read(file.profiles),
            Loaded::Missing => Loaded::Missing,
            Loaded::Corrupt { reason, kept_at } => Loaded::Corrupt { reason, kept_at },
        }
    }

    /// Read profiles another file holds (an export), moving nothing: a file the user picked
    /// to import stays where and as it is, whatever is wrong with it.
    pub fn read_import(path: &Path) -> Result<Vec<Profile>, super::ReadError> {
        super::read_ron(
            path,
            |file: &ProfilesFile| file.schema_version,
            PROFILES_SCHEMA_VERSION,
        )
        .map(|file| file.profiles)
    }

    /// Write the profiles atomically.
    pub fn save(&self, profiles: &[Profile]) -> Result<(), SettingsError> {
        let file = ProfilesFile {
            schema_version: PROFILES_SCHEMA_VERSION,
            profiles: profiles.to_vec(),
        };
        let text = ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default()).map_err(
            |source| SettingsError::Encode {
                what: "profiles",
                source,
            },
        )?;
        write_atomically(&self.path, text.as_bytes())
    }

    /// The profile called `name`, for `--profile NAME`.
    pub fn find(&self, name: &str) -> Result<Profile, SettingsError> {
        let profiles = match self.load() {
            Loaded::Read(profiles) => profiles,
            Loaded::Missing => Vec::new(),
            Loaded::Corrupt { reason, kept_at } => {
                return Err(SettingsError::Unreadable { reason, kept_at });
            }
        };
        profiles
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .ok_or_else(|| SettingsError::NoSuchProfile {
                name: name.to_owned(),
                saved: profiles.iter().map(|p| p.name.clone()).collect(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn importing_a_bad_file_leaves_it_where_it_is() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("from-a-colleague.ron");
        std::fs::write(&path, "(schema_version: 1, profiles: [ (name: ").expect("write");
        let error = ProfileStore::read_import(&path).expect_err("not valid");
        assert!(error.to_string().contains("not valid"), "{error}");
        assert_eq!(
            std::fs::read_to_string(&path).expect("still there"),
            "(schema_version: 1, profiles: [ (name: "
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "nothing moved aside"
        );
        assert!(matches!(
            ProfileStore::read_import(&dir.path().join("none.ron")),
            Err(crate::settings::ReadError::Missing)
        ));
    }

    #[test]
    fn files_with_the_old_version_flag_still_read() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ProfileStore::at(dir.path().join("profiles.ron"));
        let old = r#"(schema_version: 1, profiles: [
            (name: "old311", host: "h", port: 1883, transport: Mqtt, mqtt_311: true),
            (name: "old5", host: "h", port: 1883, transport: Mqtt, mqtt_311: false),
            (name: "new", host: "h", port: 1883, transport: Mqtt, mqtt_version: "3.1.1"),
            (name: "default", host: "h", port: 1883, transport: Mqtt),
        ])"#;
        std::fs::write(store.path(), old).expect("write");
        let Loaded::Read(profiles) = store.load() else {
            panic!("old files must read");
        };
        let versions: Vec<_> = profiles.iter().map(|p| p.mqtt_version).collect();
        use ProtocolVersion::{V5, V311};
        assert_eq!(versions, [V311, V5, V311, V5]);
        store.save(&profiles).expect("save");
        let text = std::fs::read_to_string(store.path()).expect("read");
        assert!(
            text.contains(r#"mqtt_version: "3.1.1""#) && !text.contains("mqtt_311"),
            "{text}"
        );
    }

    #[test]
    fn profiles_round_trip_through_ron() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ProfileStore::at(dir.path().join("nested").join("profiles.ron"));
        assert!(matches!(store.load(), Loaded::Missing));
        store.save(&Profile::examples()).expect("saved");
        let Loaded::Read(read) = store.load() else {
            panic!("read back");
        };
        assert_eq!(read, Profile::examples());
        let text = std::fs::read_to_string(store.path()).expect("file");
        assert!(text.contains("schema_version: 1"), "{text}");
        assert!(
            !text.contains("PlainText"),
            "no password is written unless asked"
        );
    }

    #[test]
    fn a_corrupt_profiles_file_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ProfileStore::at(dir.path().join("profiles.ron"));
        std::fs::write(store.path(), "(schema_version: 1, profiles: [ (name: ").expect("write");
        let Loaded::Corrupt { reason, kept_at } = store.load() else {
            panic!("corrupt expected");
        };
        assert!(reason.contains("not valid"), "{reason}");
        assert_eq!(
            std::fs::read_to_string(&kept_at).expect("kept"),
            "(schema_version: 1, profiles: [ (name: "
        );
        assert!(
            !store.path().exists(),
            "moved aside, not left to be overwritten"
        );
        assert!(
            store
                .find("home")
                .expect_err("none")
                .to_string()
                .contains("no profile called 'home'")
        );

        std::fs::write(store.path(), "(schema_version: 99, profiles: [])").expect("write");
        let Loaded::Corrupt { reason, .. } = store.load() else {
            panic!("newer schema expected");
        };
        assert!(reason.contains("newer Canopy"), "{reason}");
    }
}
