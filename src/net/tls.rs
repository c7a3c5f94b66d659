//! TLS for the explorer's connections: rustls (ring) with the system's roots or a CA file, an
//! optional client certificate, ALPN, a certificate-name override and, behind a warning in the
//! UI, no verification at all. Certificate problems are explained in plain words.

use super::error::TlsError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::path::PathBuf;
use std::sync::Arc;

/// How a TLS connection is set up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file with the CA certificate(s) to trust; the system's roots when `None`.
    pub ca_file: Option<PathBuf>,
    /// A PEM client certificate (chain) for brokers that ask for one.
    pub client_cert: Option<PathBuf>,
    /// The client certificate's PEM private key.
    pub client_key: Option<PathBuf>,
    /// Send this name as SNI and check the broker's certificate against it instead of the
    /// host (brokers reached by IP address, through a tunnel, or behind an SNI router).
    pub server_name: Option<String>,
    /// ALPN protocols to offer (e.g. `mqtt` for AWS IoT on port 443).
    pub alpn: Vec<String>,
    /// Accept any certificate. Only for testing: anyone in the middle can read everything.
    pub insecure_skip_verify: bool,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Build the rustls client configuration, or say which file or setting is wrong.
pub fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure_skip_verify {
        Arc::new(AcceptAnyCertificate(provider()))
    } else {
        let roots = Arc::new(roots(options)?);
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider())
            .build()
            .map_err(|e| TlsError::Setup(e.to_string()))?;
        match options
            .server_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(name) => Arc::new(NameOverride {
                name: ServerName::try_from(name.to_owned())
                    .map_err(|_| TlsError::BadServerName(name.to_owned()))?,
                inner: webpki,
            }),
            None => webpki,
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match (&options.client_cert, &options.client_key) {
        (Some(cert), Some(key)) => {
            let chain =
                crate::pem::certificates(cert).map_err(|reason| TlsError::ClientCertificate {
                    path: cert.clone(),
                    reason,
                })?;
            let key_der = crate::pem::private_key(key).map_err(|reason| TlsError::ClientKey {
                path: key.clone(),
                reason,
            })?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| TlsError::CertificateKeyMismatch(e.to_string()))?
        }
        (Some(_), None) => return Err(TlsError::CertificateWithoutKey),
        (None, Some(_)) => return Err(TlsError::KeyWithoutCertificate),
        (None, None) => builder.with_no_client_auth(),
    };
    config.alpn_protocols = options
        .alpn
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| p.as_bytes().to_vec())
        .collect();
    Ok(Arc::new(config))
}

fn roots(options: &TlsOptions) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match &options.ca_file {
        Some(path) => {
            let ca_file = |reason: String| TlsError::CaFile {
                path: path.clone(),
                reason,
            };
            let certs = crate::pem::certificates(path).map_err(|e| ca_file(e.to_string()))?;
            for cert in certs {
                roots.add(cert).map_err(|e| ca_file(e.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(TlsError::NoSystemRoots);
            }
        }
    }
    Ok(roots)
}

/// Verifies the broker's certificate against a configured name rather than the host.
#[derive(Debug)]
struct NameOverride {
    name: ServerName<'static>,
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts every certificate but still checks handshake signatures (so the session is at least
/// bound to the certificate presented).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A rustls error in plain words, or `None` if it is not about certificates.
pub(super) fn describe(error: &rustls::Error, host: &str, has_client_cert: bool) -> Option<String> {
    use rustls::AlertDescription as Alert;
    Some(match error {
        rustls::Error::InvalidCertificate(problem) => match problem {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the broker's certificate has expired".to_owned()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the broker's certificate is not valid yet (check this machine's clock)".to_owned()
            }
            CertificateError::UnknownIssuer => "the broker's certificate is signed by an unknown CA: give the broker's CA file (or, only for testing, skip verification)".to_owned(),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("the broker's certificate is not valid for '{host}': connect by the name on the certificate, or set the server name")
            }
            CertificateError::Revoked => "the broker's certificate has been revoked".to_owned(),
            CertificateError::BadSignature | CertificateError::BadEncoding => {
                "the broker's certificate is damaged or badly signed".to_owned()
            }
            other => format!("the broker's certificate was refused: {other:?}"),
        },
        rustls::Error::AlertReceived(
            Alert::CertificateRequired | Alert::BadCertificate | Alert::UnknownCA
            | Alert::CertificateUnknown | Alert::HandshakeFailure | Alert::AccessDenied,
        ) if has_client_cert => "the broker refused our client certificate".to_owned(),
        rustls::Error::AlertReceived(Alert::CertificateRequired | Alert::HandshakeFailure) => {
            "the broker requires a client certificate: give one and its key".to_owned()
        }
        rustls::Error::AlertReceived(Alert::NoApplicationProtocol) => {
            "the broker accepts none of the ALPN protocols offered".to_owned()
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the broker did not answer with TLS: is this a plain (non-TLS) port?".to_owned()
        }
        _ => return None,
    })
}

/// Find a rustls error inside an I/O error (tokio-rustls wraps them).
pub(super) fn rustls_error(error: &std::io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}
