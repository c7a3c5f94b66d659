//! Reading PEM certificates and keys (rustls-pki-types), shared by the broker's listeners and
//! the explorer's TLS connections. Errors say what is wrong with the file, for the caller to name it.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// What is wrong with a PEM file (the caller names the file and its role).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PemError {
    /// The file could not be read or is not PEM; the reader's words.
    #[error("{0}")]
    Unreadable(String),
    /// Readable, but without a `CERTIFICATE` block.
    #[error("no PEM certificate in the file")]
    NoCertificate,
}
/// Every certificate in a PEM file; an error if it cannot be read or holds none.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in a PEM file.
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    PrivateKeyDer::from_pem_file(path).map_err(unreadable)
}

fn unreadable(error: rustls_pki_types::pem::Error) -> PemError {
    PemError::Unreadable(error.to_string())
}
