//! Reading PEM certificate and key files, with errors that name the file
//! and say what is wrong with it.

use std::io;
use std::path::Path;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Every certificate in a PEM file, in file order. `what` names the file's
/// role in messages ("certificate file", "client CA file").
pub(crate) fn read_certificates(
    path: &Path,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(path, what)?;
    let shown = path.display();
    if !looks_like_pem(&bytes) {
        return Err(format!(
            "{what} {shown} is not PEM: expected a -----BEGIN CERTIFICATE----- section"
        ));
    }
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} {shown} is not valid PEM: {}", describe(&e)))?;
    if certificates.is_empty() {
        return Err(format!(
            "{what} {shown} holds no certificate (no -----BEGIN CERTIFICATE----- section)"
        ));
    }
    Ok(certificates)
}

/// The first private key in a PEM file: PKCS#8, PKCS#1 or SEC1.
pub(crate) fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let what = "private key file";
    let bytes = read(path, what)?;
    let shown = path.display();
    if !looks_like_pem(&bytes) {
        return Err(format!(
            "{what} {shown} is not PEM: expected a -----BEGIN PRIVATE KEY----- section"
        ));
    }
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) if contains(&bytes, b"ENCRYPTED PRIVATE KEY") => {
            Err(format!(
                "{what} {shown} holds an encrypted key: give the key unencrypted \
             (e.g. `openssl pkey -in KEY -out KEY.plain`)"
            ))
        }
        Err(pem::Error::NoItemsFound) => Err(format!(
            "{what} {shown} holds no private key: expected a PKCS#8, PKCS#1 or SEC1 section \
             (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)"
        )),
        Err(e) => Err(format!("{what} {shown} is not valid PEM: {}", describe(&e))),
    }
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => format!("{what} {} does not exist", path.display()),
        _ => format!("cannot read {what} {}: {e}", path.display()),
    })
}

/// PEM is text with `-----BEGIN ` markers; a DER file or anything else
/// has none, and deserves a plainer message than a parse error.
fn looks_like_pem(bytes: &[u8]) -> bool {
    contains(bytes, b"-----BEGIN ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn describe(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { end_marker } => {
            format!("a section has no end line ({})", String::from_utf8_lossy(end_marker))
        }
        pem::Error::IllegalSectionStart { line } => {
            format!("malformed section start line {:?}", String::from_utf8_lossy(line))
        }
        pem::Error::Base64Decode(detail) => format!("bad base64 in a section: {detail}"),
        other => other.to_string(),
    }
}
