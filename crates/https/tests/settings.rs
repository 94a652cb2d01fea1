//! `[server.tls]` parsing, which keys go together, and what is said about
//! files that cannot be used.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use https::{ClientCertificates, TlsSettings};
use tempfile::TempDir;

fn parse(text: &str) -> Result<TlsSettings, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn files(cert: &Path, key: &Path) -> TlsSettings {
    TlsSettings { cert: Some(cert.to_owned()), key: Some(key.to_owned()), ..TlsSettings::default() }
}

/// `server_tls`'s error, which must exist.
fn error(settings: &TlsSettings, data_dir: &Path) -> String {
    https::server_tls(settings, data_dir).expect_err("settings must be refused")
}

#[test]
fn parses_the_whole_table() {
    let settings = parse(
        r#"
        cert = "/etc/bluewhale/fullchain.pem"
        key = "/etc/bluewhale/key.pem"
        client_ca = "/etc/bluewhale/ca.pem"
        client_certificates = "required"
        "#,
    )
    .unwrap();
    assert_eq!(
        settings,
        TlsSettings {
            cert: Some("/etc/bluewhale/fullchain.pem".into()),
            key: Some("/etc/bluewhale/key.pem".into()),
            self_signed: false,
            client_ca: Some("/etc/bluewhale/ca.pem".into()),
            client_certificates: Some(ClientCertificates::Required),
        }
    );
    settings.validate().unwrap();

    let self_signed =
        parse("self_signed = true\nclient_certificates = \"optional\"\nclient_ca = \"ca.pem\"")
            .unwrap();
    assert!(self_signed.self_signed);
    assert_eq!(self_signed.client_certificates, Some(ClientCertificates::Optional));
    self_signed.validate().unwrap();
}

#[test]
fn refuses_unknown_keys_and_values() {
    let unknown = parse("certificate = \"/x.pem\"").unwrap_err();
    assert!(unknown.contains("unknown field `certificate`"), "{unknown}");
    let value =
        parse("self_signed = true\nclient_ca = \"ca.pem\"\nclient_certificates = \"sometimes\"")
            .unwrap_err();
    assert!(value.contains("sometimes") && value.contains("optional"), "{value}");
}

#[test]
fn says_which_keys_do_not_go_together() {
    let cases = [
        ("cert = \"c.pem\"", "`cert` is set but `key` is not"),
        ("key = \"k.pem\"", "`key` is set but `cert` is not"),
        (
            "cert = \"c.pem\"\nkey = \"k.pem\"\nself_signed = true",
            "`self_signed = true` cannot be combined with `cert` and `key`",
        ),
        (
            "cert = \"c.pem\"\nself_signed = true",
            "`self_signed = true` cannot be combined with `cert`",
        ),
        (
            "key = \"k.pem\"\nself_signed = true",
            "`self_signed = true` cannot be combined with `key`",
        ),
        ("", "no certificate: give `cert` and `key`, or set `self_signed = true`"),
        ("self_signed = false", "no certificate"),
        (
            "self_signed = true\nclient_certificates = \"required\"",
            "`client_certificates` is set but `client_ca` is not",
        ),
    ];
    let dir = TempDir::new().unwrap();
    for (text, expected) in cases {
        let settings = parse(text).unwrap();
        let message = settings.validate().unwrap_err();
        assert!(message.contains(expected), "{text:?}: {message}");
        // server_tls checks the same before touching any file.
        assert_eq!(error(&settings, dir.path()), message);
    }
    assert!(!dir.path().join("tls").exists(), "nothing generated for refused settings");
}

#[test]
fn loads_a_certificate_and_key_from_files() {
    let dir = TempDir::new().unwrap();
    let pair = common::server_pair();
    let cert = dir.path().join("fullchain.pem");
    let key = dir.path().join("key.pem");
    fs::write(&cert, &pair.cert_pem).unwrap();
    fs::write(&key, &pair.key_pem).unwrap();

    let tls = https::server_tls(&files(&cert, &key), dir.path()).unwrap();
    assert!(!tls.self_signed);
    assert_eq!(tls.certificate, cert);
    assert_eq!(tls.fingerprint_sha256, https::sha256_fingerprint(&pair.cert));
    assert_eq!(tls.config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert!(!dir.path().join("tls").exists(), "no self-signed certificate made");
}

#[test]
fn loads_pkcs1_and_sec1_keys() {
    let dir = TempDir::new().unwrap();
    for name in ["rsa-pkcs1", "ec-sec1"] {
        let settings = files(&fixture(&format!("{name}.crt")), &fixture(&format!("{name}.key")));
        https::server_tls(&settings, dir.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn names_a_missing_file() {
    let dir = TempDir::new().unwrap();
    let pair = common::server_pair();
    let present = dir.path().join("present.pem");
    fs::write(&present, &pair.cert_pem).unwrap();
    let missing = dir.path().join("missing.pem");

    let message = error(&files(&missing, &present), dir.path());
    assert_eq!(message, format!("certificate file {} does not exist", missing.display()));
    let message = error(&files(&present, &missing), dir.path());
    assert_eq!(message, format!("private key file {} does not exist", missing.display()));

    let key = dir.path().join("key.pem");
    fs::write(&key, &pair.key_pem).unwrap();
    let settings = TlsSettings { client_ca: Some(missing.clone()), ..files(&present, &key) };
    assert_eq!(
        error(&settings, dir.path()),
        format!("client CA file {} does not exist", missing.display())
    );
}

#[test]
fn says_what_is_wrong_with_a_file() {
    let dir = TempDir::new().unwrap();
    let pair = common::server_pair();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    fs::write(&cert, &pair.cert_pem).unwrap();
    fs::write(&key, &pair.key_pem).unwrap();

    // A DER certificate where PEM is expected.
    let der = dir.path().join("cert.der");
    fs::write(&der, pair.cert.as_ref()).unwrap();
    let message = error(&files(&der, &key), dir.path());
    assert!(
        message.starts_with(&format!("certificate file {} is not PEM", der.display())),
        "{message}"
    );

    // PEM, but a key where certificates are expected and the other way round.
    let message = error(&files(&key, &key), dir.path());
    assert!(message.contains("holds no certificate"), "{message}");
    let message = error(&files(&cert, &cert), dir.path());
    assert!(
        message.starts_with(&format!("private key file {} holds no private key", cert.display())),
        "{message}"
    );

    // A section that never ends.
    let truncated = dir.path().join("truncated.pem");
    fs::write(&truncated, &pair.cert_pem[..pair.cert_pem.len() / 2]).unwrap();
    let message = error(&files(&truncated, &key), dir.path());
    assert!(message.contains("is not valid PEM"), "{message}");

    let message = error(&files(&cert, &fixture("encrypted-pkcs8.key")), dir.path());
    assert!(message.contains("holds an encrypted key"), "{message}");
}

#[test]
fn says_when_the_key_is_not_the_certificates() {
    let dir = TempDir::new().unwrap();
    let one = common::server_pair();
    let other = common::server_pair();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    fs::write(&cert, &one.cert_pem).unwrap();
    fs::write(&key, &other.key_pem).unwrap();
    assert_eq!(
        error(&files(&cert, &key), dir.path()),
        format!(
            "the private key in {} does not match the certificate in {} \
             (the server's own certificate must come first in the file)",
            key.display(),
            cert.display()
        )
    );
}

#[test]
fn refuses_a_client_ca_that_is_not_a_certificate() {
    let dir = TempDir::new().unwrap();
    let pair = common::server_pair();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    fs::write(&cert, &pair.cert_pem).unwrap();
    fs::write(&key, &pair.key_pem).unwrap();
    let settings = TlsSettings { client_ca: Some(key.clone()), ..files(&cert, &key) };
    let message = error(&settings, dir.path());
    assert_eq!(
        message,
        format!(
            "client CA file {} holds no certificate (no -----BEGIN CERTIFICATE----- section)",
            key.display()
        )
    );
}
