//! The Connections window's form: every setting of a profile as typed, so a bad field can be
//! named instead of lost, and turned into a profile (or the first field that is wrong).

use super::FieldError;
use crate::settings::{PasswordStorage, Profile, StoredSubscription, StoredWill};

/// The form: numbers and lists as typed, so a bad field can be named instead of lost.
#[derive(Clone, Debug)]
pub(super) struct Draft {
    pub(super) profile: Profile,
    pub(super) port: String,
    pub(super) keep_alive: String,
    pub(super) session_expiry: String,
    pub(super) discovery_prefix: String,
    pub(super) subscriptions: String,
    pub(super) alpn: String,
    pub(super) ca_file: String,
    pub(super) client_cert: String,
    pub(super) client_key: String,
    pub(super) password: String,
    pub(super) remember_password: bool,
    pub(super) will_enabled: bool,
}

impl Default for Draft {
    fn default() -> Self {
        Self::from_profile(&Profile::new("", "localhost", 1883))
    }
}

fn path_text(path: Option<&std::path::PathBuf>) -> String {
    path.map(|p| p.display().to_string()).unwrap_or_default()
}

fn optional_path(text: &str) -> Option<std::path::PathBuf> {
    Some(text.trim()).filter(|t| !t.is_empty()).map(Into::into)
}

/// "FILTER [QOS]" per line (QoS 0 when left out), each filter checked.
fn parse_subscriptions(text: &str) -> Result<Vec<StoredSubscription>, FieldError> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (filter, qos) = match line.rsplit_once(' ') {
                Some((filter, qos)) if qos.len() == 1 => (filter.trim(), qos),
                _ => (line, "0"),
            };
            let qos = qos.parse::<u8>().ok().filter(|q| *q <= 2).ok_or_else(|| {
                FieldError::new(
                    "Subscriptions",
                    format!("'{line}' has a QoS that is not 0, 1 or 2"),
                )
            })?;
            crate::mqtt::TopicFilter::new(filter)
                .map_err(|e| FieldError::new("Subscriptions", format!("'{filter}': {e}")))?;
            Ok(StoredSubscription {
                filter: filter.to_owned(),
                qos,
            })
        })
        .collect()
}

impl Draft {
    pub(super) fn from_profile(profile: &Profile) -> Self {
        Self {
            port: profile.port.to_string(),
            keep_alive: profile.keep_alive_secs.to_string(),
            session_expiry: profile
                .session_expiry_secs
                .map(|s| s.to_string())
                .unwrap_or_default(),
            discovery_prefix: profile.discovery_prefix.clone().unwrap_or_default(),
            subscriptions: profile
                .subscriptions
                .iter()
                .map(|s| format!("{} {}", s.filter, s.qos))
                .collect::<Vec<_>>()
                .join("\n"),
            alpn: profile.tls.alpn.join(", "),
            ca_file: path_text(profile.tls.ca_file.as_ref()),
            client_cert: path_text(profile.tls.client_cert.as_ref()),
            client_key: path_text(profile.tls.client_key.as_ref()),
            password: match &profile.password {
                PasswordStorage::PlainText(password) => password.clone(),
                _ => String::new(),
            },
            remember_password: matches!(
                profile.password,
                PasswordStorage::PlainText(_) | PasswordStorage::Keyring
            ),
            will_enabled: profile.last_will.is_some(),
            profile: Profile {
                last_will: Some(profile.last_will.clone().unwrap_or_default()),
                ..profile.clone()
            },
        }
    }

    /// The profile the form describes, or the first field that is wrong. `keyring` says
    /// whether a remembered password goes to the system keyring or (with consent) the file.
    pub(super) fn to_profile(&self, keyring: bool) -> Result<Profile, FieldError> {
        let mut profile = self.profile.clone();
        profile.name = profile.name.trim().to_owned();
        if profile.name.is_empty() {
            return Err(FieldError::new("Name", "give the profile a name"));
        }
        profile.host = profile.host.trim().to_owned();
        if profile.host.is_empty() {
            return Err(FieldError::new(
                "Host",
                "enter the broker's host name or address",
            ));
        }
        profile.port = match self.port.trim().parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                return Err(FieldError::new(
                    "Port",
                    format!("'{}' is not a port number (1-65535)", self.port.trim()),
                ));
            }
        };
        profile.keep_alive_secs = self.keep_alive.trim().parse().map_err(|_| {
            FieldError::new(
                "Keep alive",
                format!("'{}' is not a number of seconds", self.keep_alive.trim()),
            )
        })?;
        profile.session_expiry_secs = match self.session_expiry.trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| {
                FieldError::new(
                    "Session expiry",
                    format!("'{text}' is not a number of seconds"),
                )
            })?),
        };
        profile.discovery_prefix = match self.discovery_prefix.trim().trim_end_matches('/') {
            "" => None,
            prefix => {
                crate::mqtt::TopicName::new(prefix)
                    .map_err(|e| FieldError::new("Discovery prefix", format!("'{prefix}' {e}")))?;
                Some(prefix.to_owned())
            }
        };
        profile.subscriptions = parse_subscriptions(&self.subscriptions)?;
        profile.tls.alpn = self
            .alpn
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        profile.tls.ca_file = optional_path(&self.ca_file);
        profile.tls.client_cert = optional_path(&self.client_cert);
        profile.tls.client_key = optional_path(&self.client_key);
        if profile.tls.client_cert.is_some() != profile.tls.client_key.is_some() {
            return Err(FieldError::new(
                "TLS",
                "a client certificate and its key go together",
            ));
        }
        profile.last_will = self.will()?;
        profile.password = if profile.username.trim().is_empty() {
            PasswordStorage::None
        } else if self.remember_password && keyring {
            PasswordStorage::Keyring
        } else if self.remember_password {
            PasswordStorage::PlainText(self.password.clone())
        } else if self.password.is_empty() && profile.password == PasswordStorage::None {
            PasswordStorage::None
        } else {
            PasswordStorage::AskEachTime
        };
        Ok(profile)
    }

    /// The will, when enabled, with its topic checked.
    fn will(&self) -> Result<Option<StoredWill>, FieldError> {
        Ok(match &self.profile.last_will {
            Some(will) if self.will_enabled => {
                if will.topic.trim().is_empty() {
                    return Err(FieldError::new("Last will", "enter its topic"));
                }
                crate::mqtt::TopicName::new(will.topic.trim()).map_err(|e| {
                    FieldError::new("Last will", format!("topic {:?}: {e}", will.topic.trim()))
                })?;
                Some(StoredWill {
                    topic: will.topic.trim().to_owned(),
                    ..will.clone()
                })
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_names_the_wrong_field() {
        let mut draft = Draft::default();
        assert!(draft.to_profile(false).expect_err("no name").field == "Name");
        draft.profile.name = "x".into();
        draft.port = "99999".into();
        assert!(draft.to_profile(false).expect_err("port").field == "Port");
        draft.port = "1883".into();
        draft.subscriptions = "home/# 3".into();
        assert!(draft.to_profile(false).expect_err("qos").field == "Subscriptions");
        draft.subscriptions = "home/#/x 1".into();
        assert!(
            draft
                .to_profile(false)
                .expect_err("filter")
                .problem
                .contains("home/#/x")
        );
        draft.subscriptions = "home/# 1\n$SYS/#".into();
        let profile = draft.to_profile(false).expect("valid");
        assert_eq!(profile.subscriptions.len(), 2);
        assert_eq!(profile.subscriptions[1].qos, 0);
    }

    #[test]
    fn passwords_are_written_only_on_consent() {
        let mut draft = Draft::default();
        draft.profile.name = "p".into();
        draft.profile.username = "u".into();
        draft.password = "secret".into();
        assert_eq!(
            draft.to_profile(false).expect("valid").password,
            PasswordStorage::AskEachTime
        );
        draft.remember_password = true;
        assert_eq!(
            draft.to_profile(false).expect("valid").password,
            PasswordStorage::PlainText("secret".into())
        );
        // With a system keyring the password goes there, and the file only says so.
        assert_eq!(
            draft.to_profile(true).expect("valid").password,
            PasswordStorage::Keyring
        );
    }
}
