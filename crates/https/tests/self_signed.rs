//! The generated self-signed certificate: where it goes, what it is for,
//! and when it is reused or replaced.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use https::TlsSettings;
use https::self_signed::{VALIDITY_DAYS, certificate_path, key_path};
use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tempfile::TempDir;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

fn settings() -> TlsSettings {
    TlsSettings { self_signed: true, ..TlsSettings::default() }
}

fn certificate_der(data_dir: &Path) -> Vec<u8> {
    CertificateDer::from_pem_file(certificate_path(data_dir)).unwrap().to_vec()
}

#[test]
fn generates_a_certificate_and_a_private_key() {
    let dir = TempDir::new().unwrap();
    let tls = https::server_tls(&settings(), dir.path()).unwrap();

    assert!(tls.self_signed);
    assert_eq!(tls.certificate, dir.path().join("tls/self-signed.crt"));
    let key = dir.path().join("tls/self-signed.key");
    assert_eq!(key_path(dir.path()), key);
    assert_eq!(fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(fs::read_to_string(&key).unwrap().contains("-----BEGIN PRIVATE KEY-----"));

    let der = certificate_der(dir.path());
    assert_eq!(tls.fingerprint_sha256, https::sha256_fingerprint(&der));
    assert_eq!(tls.fingerprint_sha256.len(), 32 * 3 - 1);

    let (_, certificate) = X509Certificate::from_der(&der).unwrap();
    let names = certificate
        .subject_alternative_name()
        .unwrap()
        .expect("the certificate has subject alternative names")
        .value
        .general_names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(dns) => dns.to_string(),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*bytes).unwrap()).to_string(),
                _ => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*bytes).unwrap()).to_string(),
            },
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>();
    assert_eq!(names[..3], ["localhost", "127.0.0.1", "::1"]);
    let host = gethostname::gethostname().into_string().unwrap().to_ascii_lowercase();
    if host != "localhost" && !host.is_empty() {
        assert!(names.contains(&host), "hostname {host} in {names:?}");
    }

    let validity = certificate.validity();
    let days = (validity.not_after.timestamp() - validity.not_before.timestamp()) / 86_400;
    assert_eq!(days, VALIDITY_DAYS);
    assert!(validity.is_valid(), "valid now");
    assert!(!certificate.is_ca());
}

#[test]
fn reuses_the_certificate_on_the_next_start() {
    let dir = TempDir::new().unwrap();
    let first = https::server_tls(&settings(), dir.path()).unwrap();
    let key_before = fs::read(key_path(dir.path())).unwrap();
    let second = https::server_tls(&settings(), dir.path()).unwrap();
    assert_eq!(first.fingerprint_sha256, second.fingerprint_sha256);
    assert_eq!(fs::read(key_path(dir.path())).unwrap(), key_before);
}

#[test]
fn regenerates_when_a_file_is_deleted() {
    let dir = TempDir::new().unwrap();
    let first = https::server_tls(&settings(), dir.path()).unwrap();

    fs::remove_file(key_path(dir.path())).unwrap();
    let second = https::server_tls(&settings(), dir.path()).unwrap();
    assert_ne!(first.fingerprint_sha256, second.fingerprint_sha256);
    assert!(key_path(dir.path()).exists());

    fs::remove_file(certificate_path(dir.path())).unwrap();
    let third = https::server_tls(&settings(), dir.path()).unwrap();
    assert_ne!(second.fingerprint_sha256, third.fingerprint_sha256);
    assert_eq!(third.fingerprint_sha256, https::sha256_fingerprint(&certificate_der(dir.path())));
}

#[test]
fn regenerates_an_expired_certificate() {
    let dir = TempDir::new().unwrap();
    https::server_tls(&settings(), dir.path()).unwrap();

    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let expired = params.self_signed(&key).unwrap();
    fs::write(certificate_path(dir.path()), expired.pem()).unwrap();
    fs::write(key_path(dir.path()), key.serialize_pem()).unwrap();

    let tls = https::server_tls(&settings(), dir.path()).unwrap();
    assert_ne!(tls.fingerprint_sha256, https::sha256_fingerprint(expired.der()));
    let der = certificate_der(dir.path());
    assert!(X509Certificate::from_der(&der).unwrap().1.validity().is_valid());
}

#[test]
fn regenerates_a_pair_whose_key_does_not_match() {
    let dir = TempDir::new().unwrap();
    let first = https::server_tls(&settings(), dir.path()).unwrap();
    let stranger = KeyPair::generate().unwrap();
    fs::write(key_path(dir.path()), stranger.serialize_pem()).unwrap();

    let second = https::server_tls(&settings(), dir.path()).unwrap();
    assert_ne!(first.fingerprint_sha256, second.fingerprint_sha256);
    assert_ne!(fs::read_to_string(key_path(dir.path())).unwrap(), stranger.serialize_pem());
    // And the new pair is reused from then on.
    let third = https::server_tls(&settings(), dir.path()).unwrap();
    assert_eq!(second.fingerprint_sha256, third.fingerprint_sha256);
}
