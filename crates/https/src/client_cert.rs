//! What a handler learns about a client that presented a certificate.

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::fingerprint::sha256_fingerprint;

/// The certificate a client presented and the verifier accepted, added to
/// each request of that connection as an extension (absent when the client
/// presented none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The subject's first common name (CN), if it has one.
    pub subject_cn: Option<String>,
    /// The whole subject, attributes in certificate order: `CN=…, O=…`.
    pub subject: String,
    /// SHA-256 of the certificate, as [`crate::sha256_fingerprint`] gives it.
    pub fingerprint_sha256: String,
}

impl ClientCertificate {
    /// Describes a DER certificate. Fails only when the subject cannot be
    /// read, which for a certificate the verifier accepted means the
    /// subject uses encodings this parser does not know.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, certificate) = X509Certificate::from_der(der)
            .map_err(|e| format!("client certificate cannot be parsed: {e}"))?;
        let subject = certificate.subject();
        let subject_cn = match subject.iter_common_name().next() {
            Some(cn) => Some(
                cn.as_str()
                    .map_err(|e| format!("client certificate's CN cannot be read: {e}"))?
                    .to_owned(),
            ),
            None => None,
        };
        let subject = subject
            .to_string_with_registry(x509_parser::objects::oid_registry())
            .map_err(|e| format!("client certificate's subject cannot be read: {e}"))?;
        Ok(ClientCertificate { subject_cn, subject, fingerprint_sha256: sha256_fingerprint(der) })
    }
}
