//! A saved profile as connection options: the bridge between what `settings` keeps and what
//! `net` connects with, so neither depends on the other. The window and the command line both
//! cross it here.

use crate::mqtt::Qos;
use crate::net::{ConnectOptions, LastWill, Subscription, TlsOptions, Transport};
use crate::settings::{PasswordStorage, Profile, SettingsError, StoredTransport};

/// Connection options from a saved profile.
pub trait ProfileOptions {
    /// The broker as a URL, for lists and logs.
    fn url(&self) -> String;

    /// Connection options for this profile; `password` is the one asked for when the profile
    /// does not keep it. Fields that make no sense are named.
    fn to_options(&self, password: Option<&str>) -> Result<ConnectOptions, SettingsError>;
}

impl ProfileOptions for Profile {
    fn url(&self) -> String {
        self.to_options(None).map_or_else(
            |_| format!("{}:{}", self.host, self.port),
            |options| options.url(),
        )
    }

    fn to_options(&self, password: Option<&str>) -> Result<ConnectOptions, SettingsError> {
        let bad = |problem: String| SettingsError::BadProfile {
            profile: self.name.clone(),
            problem,
        };
        let host = self.host.trim();
        if host.is_empty() {
            return Err(bad("the host is empty".to_owned()));
        }
        if self.port == 0 {
            return Err(bad("port 0 is not a broker port".to_owned()));
        }
        let mut options = ConnectOptions::new(host, self.port);
        options.transport = self.transport.into();
        options.ws_path = self.ws_path.clone();
        options.protocol = self.mqtt_version;
        let base = self.client_id.trim();
        if !base.is_empty() {
            options.client_id = if self.random_suffix {
                format!(
                    "{base}-{}",
                    crate::net::random_client_id().trim_start_matches("canopy-")
                )
            } else {
                base.to_owned()
            };
        }
        if !self.username.is_empty() {
            let password = match &self.password {
                PasswordStorage::PlainText(stored) => stored.clone(),
                _ => password.unwrap_or_default().to_owned(),
            };
            options.credentials = Some((self.username.clone(), password));
        }
        options.clean_start = self.clean_start;
        options.session_expiry_secs = self.session_expiry_secs;
        options.keep_alive_secs = self.keep_alive_secs;
        options.last_will = match &self.last_will {
            Some(will) if !will.topic.trim().is_empty() => Some(LastWill {
                topic: will.topic.trim().to_owned(),
                payload: will.payload.clone().into(),
                qos: Qos::from_level(will.qos)
                    .ok_or_else(|| bad(format!("will QoS {} is not 0, 1 or 2", will.qos)))?,
                retain: will.retain,
            }),
            _ => None,
        };
        options.subscriptions = self
            .subscriptions
            .iter()
            .filter(|s| !s.filter.trim().is_empty())
            .map(|s| {
                Ok(Subscription {
                    filter: s.filter.trim().to_owned(),
                    qos: Qos::from_level(s.qos).ok_or_else(|| {
                        bad(format!("subscription {} has QoS {}", s.filter, s.qos))
                    })?,
                })
            })
            .collect::<Result<_, SettingsError>>()?;
        options.tls = TlsOptions {
            ca_file: self.tls.ca_file.clone(),
            client_cert: self.tls.client_cert.clone(),
            client_key: self.tls.client_key.clone(),
            server_name: Some(self.tls.server_name.trim().to_owned()).filter(|n| !n.is_empty()),
            alpn: self.tls.alpn.clone(),
            insecure_skip_verify: self.tls.insecure_skip_verify,
        };
        Ok(options)
    }
}

impl From<StoredTransport> for Transport {
    fn from(stored: StoredTransport) -> Self {
        match stored {
            StoredTransport::Mqtt => Transport::Tcp,
            StoredTransport::Mqtts => Transport::Tls,
            StoredTransport::Ws => Transport::Ws,
            StoredTransport::Wss => Transport::Wss,
        }
    }
}

impl From<Transport> for StoredTransport {
    fn from(transport: Transport) -> Self {
        match transport {
            Transport::Tcp => StoredTransport::Mqtt,
            Transport::Tls => StoredTransport::Mqtts,
            Transport::Ws => StoredTransport::Ws,
            Transport::Wss => StoredTransport::Wss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::ProtocolVersion;

    #[test]
    fn profiles_become_connection_options() {
        let profiles = Profile::examples();
        let cloud = profiles[1].to_options(Some("s3cret")).expect("valid");
        assert_eq!(cloud.url(), "mqtts://broker.example.com:8883");
        assert_eq!(
            cloud.credentials,
            Some(("device-7".into(), "s3cret".into()))
        );
        assert_eq!(cloud.tls.server_name.as_deref(), Some("broker.internal"));
        assert_eq!(
            cloud.last_will.as_ref().map(|w| w.qos),
            Some(Qos::AtLeastOnce)
        );
        let lab = profiles[2].to_options(None).expect("valid");
        assert_eq!(lab.url(), "ws://lab.local:8080/ws");
        assert_eq!(lab.protocol, ProtocolVersion::V311);
        assert!(lab.client_id.starts_with("bench-") && lab.client_id.len() > 6);
        assert_eq!(lab.subscriptions.len(), 1);

        let mut bad = Profile::new("broken", " ", 1883);
        assert!(
            bad.to_options(None)
                .expect_err("no host")
                .to_string()
                .contains("'broken': the host is empty")
        );
        bad.host = "h".into();
        bad.subscriptions[0].qos = 7;
        assert!(
            bad.to_options(None)
                .expect_err("bad qos")
                .to_string()
                .contains("QoS 7")
        );
    }
}
