//! TLS for the broker's listeners: a certificate and key from PEM files, or a self-signed
//! certificate made on request (for trying TLS locally).

use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a TLS listener gets its identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsIdentity {
    /// Certificate chain and private key, PEM-encoded.
    PemFiles {
        /// Certificate chain (leaf first).
        cert: PathBuf,
        /// Private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A certificate for `localhost` and 127.0.0.1 generated at start; clients must skip
    /// verification or trust the PEM the broker exposes.
    SelfSigned,
}

/// A TLS setup that could not be loaded, naming the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[expect(missing_docs, reason = "the fields are what the #[error] texts name")]
pub enum TlsError {
    /// The certificate file could not be read or holds no certificate.
    #[error("TLS certificate {path}: {reason}")]
    Certificate {
        path: PathBuf,
        reason: crate::pem::PemError,
    },
    /// The key file could not be read or holds no private key.
    #[error("TLS private key {path}: {reason}")]
    Key {
        path: PathBuf,
        reason: crate::pem::PemError,
    },
    /// rustls refused the pair (for example a key that does not match the certificate).
    #[error("TLS certificate and key do not work together: {0}")]
    Config(String),
    /// Generating a self-signed certificate failed.
    #[error("could not generate a self-signed certificate: {0}")]
    SelfSigned(String),
}

/// A loaded TLS server configuration, plus the certificate in PEM form when it was generated.
pub struct LoadedTls {
    /// For the acceptor.
    pub config: Arc<ServerConfig>,
    /// The generated certificate (PEM), so clients can be told to trust it.
    pub generated_cert_pem: Option<String>,
}

/// Build the rustls server configuration for `identity`.
pub fn load(identity: &TlsIdentity) -> Result<LoadedTls, TlsError> {
    let (certs, key, generated_cert_pem) = match identity {
        TlsIdentity::PemFiles { cert, key } => (read_certs(cert)?, read_key(key)?, None),
        TlsIdentity::SelfSigned => {
            let names = vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ];
            let generated = rcgen::generate_simple_self_signed(names)
                .map_err(|e| TlsError::SelfSigned(e.to_string()))?;
            let pem = generated.cert.pem();
            let key = PrivateKeyDer::try_from(generated.signing_key.serialize_der())
                .map_err(|e| TlsError::SelfSigned(e.to_string()))?;
            (vec![generated.cert.der().clone()], key, Some(pem))
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(LoadedTls {
        config: Arc::new(config),
        generated_cert_pem,
    })
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    crate::pem::certificates(path).map_err(|reason| TlsError::Certificate {
        path: path.to_owned(),
        reason,
    })
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    crate::pem::private_key(path).map_err(|reason| TlsError::Key {
        path: path.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_loads_and_exposes_its_certificate() {
        let loaded = load(&TlsIdentity::SelfSigned).expect("generated");
        assert!(
            loaded
                .generated_cert_pem
                .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE"))
        );
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, "not a certificate").expect("write");
        std::fs::write(&key, "not a key").expect("write");
        let identity = TlsIdentity::PemFiles {
            cert: cert.clone(),
            key: key.clone(),
        };
        let error = load(&identity).err().expect("refused").to_string();
        assert!(
            error.contains("cert.pem") && error.contains("no PEM certificate"),
            "{error}"
        );

        let generated =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
        std::fs::write(&cert, generated.cert.pem()).expect("write");
        let error = load(&identity).err().expect("refused").to_string();
        assert!(error.contains("key.pem"), "{error}");

        let missing = TlsIdentity::PemFiles {
            cert: dir.path().join("missing.pem"),
            key,
        };
        let error = load(&missing).err().expect("refused").to_string();
        assert!(error.contains("missing.pem"), "{error}");
    }
}
