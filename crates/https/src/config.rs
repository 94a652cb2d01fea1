//! From [`TlsSettings`] to a rustls `ServerConfig`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{RootCertStore, ServerConfig};

use crate::fingerprint::sha256_fingerprint;
use crate::pem::read_certificates;
use crate::settings::{ClientAuth, ClientCertificates, Identity, TlsSettings};
use crate::{keys, self_signed};

/// A ready server configuration and what the server may want to say about
/// its certificate at start.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the server's certificate, as [`crate::sha256_fingerprint`]
    /// gives it.
    pub fingerprint_sha256: String,
    /// The file the certificate was read from (the generated one with
    /// `self_signed`).
    pub certificate: PathBuf,
    /// Whether the certificate is the generated self-signed one.
    pub self_signed: bool,
}

/// The rustls configuration for `settings`; see [`server_tls`].
pub fn server_config(settings: &TlsSettings, data_dir: &Path) -> Result<Arc<ServerConfig>, String> {
    server_tls(settings, data_dir).map(|tls| tls.config)
}

/// Checks `settings`, loads the certificate and key (or, with
/// `self_signed`, generates them under `data_dir/tls/` or reuses the ones
/// there) and the client CAs, and builds the rustls configuration:
/// TLS 1.2 and 1.3 with the ring provider, ALPN `h2` and `http/1.1`.
/// Errors name the file and what is wrong with it.
pub fn server_tls(settings: &TlsSettings, data_dir: &Path) -> Result<ServerTls, String> {
    let identity = settings.identity()?;
    let client_auth = settings.client_auth()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let (certified, certificate) = match identity {
        Identity::Files { cert, key } => {
            let certified = keys::load(cert, key, &provider)?;
            warn_if_expired(&certified, cert);
            (certified, cert.to_path_buf())
        }
        Identity::SelfSigned => {
            (self_signed::ensure(data_dir, &provider)?, self_signed::certificate_path(data_dir))
        }
    };
    let fingerprint_sha256 = sha256_fingerprint(
        certified.end_entity_cert().map_err(|e| format!("{}: {e}", certificate.display()))?,
    );

    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS protocol versions: {e}"))?;
    let builder = match client_auth {
        None => builder.with_no_client_auth(),
        Some(auth) => builder.with_client_cert_verifier(client_verifier(auth, provider)?),
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    // hyper-util's auto builder serves both; h2 first so clients prefer it.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];

    Ok(ServerTls {
        config: Arc::new(config),
        fingerprint_sha256,
        certificate,
        self_signed: matches!(identity, Identity::SelfSigned),
    })
}

fn client_verifier(
    auth: ClientAuth<'_>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let shown = auth.ca.display();
    let mut roots = RootCertStore::empty();
    for (n, ca) in read_certificates(auth.ca, "client CA file")?.into_iter().enumerate() {
        roots.add(ca).map_err(|e| {
            format!("client CA file {shown}: certificate {} cannot be used as a CA: {e}", n + 1)
        })?;
    }
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let builder = match auth.mode {
        ClientCertificates::Optional => builder.allow_unauthenticated(),
        ClientCertificates::Required => builder,
    };
    builder.build().map_err(|e| format!("client CA file {shown}: {e}"))
}

/// A given certificate that has expired still loads (renewal may be on
/// its way), but clients will refuse it, so say so at start.
fn warn_if_expired(certified: &CertifiedKey, cert: &Path) {
    let Ok(der) = certified.end_entity_cert() else {
        return;
    };
    match keys::expired(der) {
        Ok(true) => tracing::warn!(
            certificate = %cert.display(),
            "the TLS certificate has expired: clients will refuse it"
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(certificate = %cert.display(), "{e}"),
    }
}
