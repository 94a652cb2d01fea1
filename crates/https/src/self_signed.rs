//! The self-signed certificate of `self_signed = true`: generated once into
//! `DATA_DIR/tls/`, reused while it is valid, so browsers that were told to
//! trust it keep trusting it across restarts.
//!
//! It is an ECDSA P-256 certificate for `localhost`, `127.0.0.1`, `::1` and
//! the machine's hostname, valid [`VALIDITY_DAYS`] days. A new one replaces
//! it when either file is missing, when it has expired, or when the pair
//! cannot be used (unreadable, or a key that is not the certificate's).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use time::{Duration, OffsetDateTime};

use crate::keys;

/// How long a generated certificate is valid: the longest validity Apple
/// platforms accept for a TLS server certificate.
pub const VALIDITY_DAYS: i64 = 825;

/// Where the generated certificate is kept.
pub fn certificate_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("self-signed.crt")
}

/// Where the generated certificate's private key is kept (mode 0600).
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("self-signed.key")
}

/// The self-signed certificate and key under `data_dir`, generated first
/// if there is no usable one.
pub(crate) fn ensure(data_dir: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let cert = certificate_path(data_dir);
    let key = key_path(data_dir);
    if exists(&cert)? && exists(&key)? {
        match usable(&cert, &key, provider) {
            Ok(certified) => return Ok(certified),
            Err(why) => tracing::warn!(
                certificate = %cert.display(),
                "replacing the self-signed certificate: {why}"
            ),
        }
    } else {
        tracing::info!(certificate = %cert.display(), "generating a self-signed certificate");
    }
    generate(&cert, &key)?;
    keys::load(&cert, &key, provider)
}

fn usable(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let certified = keys::load(cert, key, provider)?;
    let der = certified.end_entity_cert().map_err(|e| e.to_string())?;
    if keys::expired(der)? {
        return Err("it has expired".into());
    }
    Ok(certified)
}

fn exists(path: &Path) -> Result<bool, String> {
    path.try_exists().map_err(|e| format!("cannot look for {}: {e}", path.display()))
}

fn generate(cert: &Path, key: &Path) -> Result<(), String> {
    let dir = cert.parent().expect("the certificate path has the tls directory as parent");
    create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let key_pair =
        KeyPair::generate().map_err(|e| format!("cannot generate a private key: {e}"))?;
    let host = hostname();
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    names.extend(host.clone().filter(|h| h != "localhost"));
    let mut params = CertificateParams::new(names)
        .map_err(|e| format!("cannot describe the self-signed certificate: {e}"))?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, host.unwrap_or_else(|| "localhost".into()));
    subject.push(DnType::OrganizationName, "bluewhale (self-signed)");
    params.distinguished_name = subject;
    // An hour back, for clients whose clocks run a little behind ours.
    params.not_before = OffsetDateTime::now_utc() - Duration::hours(1);
    params.not_after = params.not_before + Duration::days(VALIDITY_DAYS);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let certificate = params
        .self_signed(&key_pair)
        .map_err(|e| format!("cannot sign the self-signed certificate: {e}"))?;

    // The key first: a crash between the two leaves a new key with the old
    // certificate, which does not match and is replaced on the next start.
    write_replacing(key, key_pair.serialize_pem().as_bytes(), 0o600)
        .map_err(|e| format!("cannot write {}: {e}", key.display()))?;
    write_replacing(cert, certificate.pem().as_bytes(), 0o644)
        .map_err(|e| format!("cannot write {}: {e}", cert.display()))?;
    Ok(())
}

/// The machine's hostname if it is usable as a DNS name in a certificate.
fn hostname() -> Option<String> {
    let name = gethostname::gethostname().into_string().ok()?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (!name.is_empty() && name.len() <= 253 && name.split('.').all(valid_label)).then_some(name)
}

/// Writes a file whole or not at all: into a temporary file in the same
/// directory, synced, then renamed over `path`. The mode is set when the
/// temporary file is created, so the key is never readable by others.
fn write_replacing(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    let _ = fs::remove_file(&temporary);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&temporary)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temporary, path)?;
    // Makes the rename itself durable.
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
