//! Where a headless command connects: a broker URL or a saved profile, adjusted by flags
//! (`-u`, `-P`, `--cafile`, `--cert`, `--key`, `--insecure`, ...).

use super::CliError;
use crate::mqtt::ProtocolVersion;
use crate::net::{BrokerUrl, ConnectOptions};
use crate::profile_options::ProfileOptions;
use crate::settings::ProfileStore;
use std::path::PathBuf;

/// Connection flags shared by `sub`, `pub` and `clear-retained`.
#[derive(Clone, Debug, Default)]
#[expect(missing_docs, reason = "the names say what these are")]
pub struct ConnectFlags {
    /// A saved profile to start from.
    pub profile: Option<String>,
    /// User name.
    pub username: Option<String>,
    pub password: Option<String>,
    /// CA file to trust instead of the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Client certificate.
    pub cert: Option<PathBuf>,
    /// Client key.
    pub key: Option<PathBuf>,
    /// Accept any broker certificate.
    pub insecure: bool,
    /// Name to check the broker's certificate against.
    pub cert_name: Option<String>,
    /// ALPN protocols to offer.
    pub alpn: Vec<String>,
    /// Protocol version (the URL's or profile's default otherwise: MQTT 5).
    pub protocol: Option<ProtocolVersion>,
    pub client_id: Option<String>,
}

impl ConnectFlags {
    fn has_tls_flags(&self) -> bool {
        self.ca_file.is_some()
            || self.cert.is_some()
            || self.key.is_some()
            || self.insecure
            || self.cert_name.is_some()
            || !self.alpn.is_empty()
    }
}

/// The options for a URL or `--profile`, with the flags applied. `profiles` is where
/// `--profile` looks (the platform's config directory when `None`).
pub fn connect_options(
    url: Option<&str>,
    flags: &ConnectFlags,
    profiles: Option<&ProfileStore>,
) -> Result<ConnectOptions, CliError> {
    let mut options = match (url, &flags.profile) {
        (Some(_), Some(_)) => return Err(CliError::UrlAndProfile),
        (None, None) => return Err(CliError::NoBroker),
        (Some(url), None) => BrokerUrl::parse(url)?.connect_options(),
        (None, Some(name)) => {
            let default_store = ProfileStore::default_location();
            let store = profiles
                .or(default_store.as_ref())
                .ok_or(CliError::NoConfigDirectory)?;
            let profile = store.find(name)?;
            if profile.needs_password() && flags.password.is_none() {
                return Err(CliError::PasswordNeeded(name.clone()));
            }
            let password = profile.resolve_password(flags.password.as_deref())?;
            profile.to_options(password.as_deref())?
        }
    };
    if let Some(user) = &flags.username {
        let password = flags
            .password
            .clone()
            .or_else(|| options.credentials.as_ref().map(|(_, p)| p.clone()))
            .unwrap_or_default();
        options.credentials = Some((user.clone(), password));
    } else if let Some(password) = &flags.password {
        match &mut options.credentials {
            Some((_, stored)) => *stored = password.clone(),
            None => return Err(CliError::PasswordWithoutUser),
        }
    }
    if flags.has_tls_flags() && !options.transport.uses_tls() {
        return Err(CliError::TlsFlagsWithoutTls(options.transport.scheme()));
    }
    if let Some(path) = &flags.ca_file {
        options.tls.ca_file = Some(path.clone());
    }
    match (&flags.cert, &flags.key) {
        (Some(cert), Some(key)) => {
            options.tls.client_cert = Some(cert.clone());
            options.tls.client_key = Some(key.clone());
        }
        (None, None) => {}
        _ => return Err(CliError::CertWithoutKey),
    }
    if flags.insecure {
        options.tls.insecure_skip_verify = true;
    }
    if let Some(name) = &flags.cert_name {
        options.tls.server_name = Some(name.clone());
    }
    if !flags.alpn.is_empty() {
        options.tls.alpn = flags.alpn.clone();
    }
    if let Some(protocol) = flags.protocol {
        options.protocol = protocol;
    }
    if let Some(id) = &flags.client_id {
        options.client_id = id.clone();
    }
    Ok(options)
}

/// The filters as typed, checked; the first bad one is named.
pub fn topic_filters(filters: &[String]) -> Result<Vec<crate::mqtt::TopicFilter>, CliError> {
    filters
        .iter()
        .map(|f| {
            crate::mqtt::TopicFilter::new(f.as_str()).map_err(|reason| CliError::Filter {
                filter: f.clone(),
                reason,
            })
        })
        .collect()
}

/// `connect` for a command that listens: no retry of a first connection that fails, and a
/// subscription to each filter (`#` when there is none) at `qos`.
pub fn listening(
    connect: &ConnectOptions,
    filters: &[String],
    qos: crate::mqtt::Qos,
) -> ConnectOptions {
    let mut connect = connect.clone();
    connect.retry_first_connect = false;
    let all = ["#".to_owned()];
    let filters = if filters.is_empty() {
        &all[..]
    } else {
        filters
    };
    connect.subscriptions = filters
        .iter()
        .map(|filter| crate::net::Subscription {
            filter: filter.clone(),
            qos,
        })
        .collect();
    connect
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{PasswordStorage, Profile, StoredTransport};

    #[test]
    fn urls_and_flags() {
        let flags = ConnectFlags {
            username: Some("alice".into()),
            password: Some("pw".into()),
            ca_file: Some("/tmp/ca.pem".into()),
            insecure: true,
            ..ConnectFlags::default()
        };
        let options = connect_options(Some("mqtts://b:8883"), &flags, None).expect("valid");
        assert_eq!(options.credentials, Some(("alice".into(), "pw".into())));
        assert!(options.tls.insecure_skip_verify);
        assert_eq!(options.tls.ca_file, Some("/tmp/ca.pem".into()));

        let error = connect_options(Some("mqtt://b"), &flags, None).expect_err("tls on tcp");
        assert!(
            matches!(error, CliError::TlsFlagsWithoutTls("mqtt")),
            "{error}"
        );
        let only_cert = ConnectFlags {
            cert: Some("c.pem".into()),
            ..ConnectFlags::default()
        };
        assert!(connect_options(Some("mqtts://b"), &only_cert, None).is_err());
        assert!(connect_options(None, &ConnectFlags::default(), None).is_err());
    }

    #[test]
    fn profiles_by_name() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = ProfileStore::at(dir.path().join("profiles.ron"));
        let mut secure = Profile::new("secure", "h", 8883);
        secure.transport = StoredTransport::Mqtts;
        secure.username = "bob".into();
        secure.password = PasswordStorage::AskEachTime;
        store.save(&[secure]).expect("saved");
        let by_name = |password: Option<&str>| ConnectFlags {
            profile: Some("secure".into()),
            password: password.map(str::to_owned),
            ..ConnectFlags::default()
        };
        let error = connect_options(None, &by_name(None), Some(&store)).expect_err("asks");
        assert!(error.to_string().contains("give it with -P"), "{error}");
        let options = connect_options(None, &by_name(Some("x")), Some(&store)).expect("valid");
        assert_eq!(options.url(), "mqtts://h:8883");
        assert_eq!(options.credentials, Some(("bob".into(), "x".into())));
        let missing = ConnectFlags {
            profile: Some("nope".into()),
            ..ConnectFlags::default()
        };
        let error = connect_options(None, &missing, Some(&store)).expect_err("unknown");
        assert!(error.to_string().contains("saved: secure"), "{error}");
    }
}
