//! The `[server.tls]` settings and the rules on which keys go together.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The `[server.tls]` table. Paths are used as given (relative ones from
/// the server's working directory).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM certificate chain, the server's own certificate first.
    pub cert: Option<PathBuf>,
    /// PEM private key for `cert`: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    pub key: Option<PathBuf>,
    /// Generate a self-signed certificate under `DATA_DIR/tls/` (and reuse
    /// it later) instead of `cert` and `key`.
    #[serde(default)]
    pub self_signed: bool,
    /// PEM file of the CAs that client certificates are verified against.
    pub client_ca: Option<PathBuf>,
    /// Whether a client must present a certificate; needs `client_ca`, and
    /// is [`ClientCertificates::Optional`] when `client_ca` is set alone.
    pub client_certificates: Option<ClientCertificates>,
}

/// Whether clients must present a certificate signed by `client_ca`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientCertificates {
    /// A client may present one; without one the request goes on, without
    /// a [`crate::ClientCertificate`]. A presented certificate that does
    /// not verify still fails the handshake.
    Optional,
    /// The handshake fails unless the client presents a certificate that
    /// verifies.
    Required,
}

/// Where the server's certificate comes from, once the settings are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity<'a> {
    Files { cert: &'a Path, key: &'a Path },
    SelfSigned,
}

/// Client certificate verification, once the settings are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAuth<'a> {
    pub ca: &'a Path,
    pub mode: ClientCertificates,
}

impl TlsSettings {
    /// Checks which keys go together, without reading any file: either
    /// `cert` and `key`, or `self_signed = true` alone; `client_certificates`
    /// only with `client_ca`.
    pub fn validate(&self) -> Result<(), String> {
        self.identity()?;
        self.client_auth()?;
        Ok(())
    }

    pub(crate) fn identity(&self) -> Result<Identity<'_>, String> {
        match (&self.cert, &self.key, self.self_signed) {
            (Some(cert), Some(key), false) => Ok(Identity::Files { cert, key }),
            (None, None, true) => Ok(Identity::SelfSigned),
            (Some(_), Some(_), true) => {
                Err("`self_signed = true` cannot be combined with `cert` and `key`: \
                 remove `self_signed` to use the given certificate, or remove `cert` and `key`"
                    .into())
            }
            (Some(_), None, true) | (None, Some(_), true) => Err(format!(
                "`self_signed = true` cannot be combined with `{}`: \
                 a self-signed certificate is generated with its own key",
                if self.cert.is_some() { "cert" } else { "key" }
            )),
            (Some(_), None, false) => {
                Err("`cert` is set but `key` is not: give both `cert` and `key`".into())
            }
            (None, Some(_), false) => {
                Err("`key` is set but `cert` is not: give both `cert` and `key`".into())
            }
            (None, None, false) => {
                Err("no certificate: give `cert` and `key`, or set `self_signed = true`".into())
            }
        }
    }

    pub(crate) fn client_auth(&self) -> Result<Option<ClientAuth<'_>>, String> {
        match (&self.client_ca, self.client_certificates) {
            (Some(ca), mode) => {
                Ok(Some(ClientAuth { ca, mode: mode.unwrap_or(ClientCertificates::Optional) }))
            }
            (None, None) => Ok(None),
            (None, Some(_)) => Err("`client_certificates` is set but `client_ca` is not: \
                 client certificates are verified against the CAs in `client_ca`"
                .into()),
        }
    }
}
