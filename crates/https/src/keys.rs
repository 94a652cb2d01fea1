//! A certificate chain and its private key, loaded from PEM files and
//! checked to belong together.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls::{Error, InconsistentKeys};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::pem::{read_certificates, read_private_key};

/// Loads `cert` (chain, server's own first) and `key`, and checks that the
/// key is the one the first certificate was issued for.
pub(crate) fn load(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, String> {
    let chain = read_certificates(cert, "certificate file")?;
    let key_der = read_private_key(key)?;
    let signing_key = provider.key_provider.load_private_key(key_der).map_err(|e| {
        format!("private key file {} holds a key that cannot be used: {e}", key.display())
    })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // Some key types cannot report their public key; then there is
        // nothing to compare, and a wrong key shows at the first handshake.
        Ok(()) | Err(Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(certified),
        Err(Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => Err(format!(
            "the private key in {} does not match the certificate in {} \
             (the server's own certificate must come first in the file)",
            key.display(),
            cert.display()
        )),
        Err(e) => Err(format!("the first certificate in {} cannot be read: {e}", cert.display())),
    }
}

/// Whether a DER certificate's validity ended before now.
pub(crate) fn expired(der: &[u8]) -> Result<bool, String> {
    let (_, certificate) =
        X509Certificate::from_der(der).map_err(|e| format!("certificate cannot be parsed: {e}"))?;
    let not_after = certificate.validity().not_after.timestamp();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Ok(not_after <= now)
}
