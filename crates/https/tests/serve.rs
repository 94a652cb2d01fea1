//! Real TLS over loopback: requests, peers, client certificates, failed
//! handshakes and shutdown.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Ca, Server, client_config, connect, fetch};
use https::{ClientCertificates, HANDSHAKE_TIMEOUT, SHUTDOWN_GRACE, TlsSettings};
use hyper::StatusCode;
use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const H2: &[u8] = b"h2";
const HTTP1: &[u8] = b"http/1.1";

/// A self-signed server configuration in a fresh data directory, and the
/// certificate a client should trust for it.
fn self_signed(dir: &TempDir) -> (Arc<ServerConfig>, CertificateDer<'static>) {
    let settings = TlsSettings { self_signed: true, ..TlsSettings::default() };
    let config = https::server_config(&settings, dir.path()).unwrap();
    (config, generated_certificate(dir.path()))
}

fn generated_certificate(data_dir: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(https::self_signed::certificate_path(data_dir)).unwrap()
}

/// A server certificate from files plus client verification against `ca`.
fn with_client_ca(
    dir: &TempDir,
    ca: &Ca,
    mode: Option<ClientCertificates>,
) -> (Arc<ServerConfig>, CertificateDer<'static>) {
    let server = common::server_pair();
    let cert = dir.path().join("server.crt");
    let key = dir.path().join("server.key");
    let client_ca = dir.path().join("ca.pem");
    std::fs::write(&cert, &server.cert_pem).unwrap();
    std::fs::write(&key, &server.key_pem).unwrap();
    std::fs::write(&client_ca, &ca.cert_pem).unwrap();
    let settings = TlsSettings {
        cert: Some(cert),
        key: Some(key),
        client_ca: Some(client_ca),
        client_certificates: mode,
        ..TlsSettings::default()
    };
    (https::server_config(&settings, dir.path()).unwrap(), server.cert)
}

#[tokio::test]
async fn serves_http1_and_h2_with_the_peer_address() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    let server = Server::start(config).await;

    for alpn in [&[HTTP1][..], &[H2], &[H2, HTTP1]] {
        let reply = fetch(server.addr, client_config(&root, None, alpn), "localhost", "/peer")
            .await
            .unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.body, reply.local.to_string(), "ConnectInfo is the peer");
        assert_eq!(reply.alpn.as_deref(), Some(alpn[0]));
    }
    // A client offering no ALPN at all gets HTTP/1.1.
    let reply =
        fetch(server.addr, client_config(&root, None, &[]), "localhost", "/peer").await.unwrap();
    assert_eq!(reply.alpn, None);
    assert_eq!(reply.body, reply.local.to_string());
}

#[tokio::test]
async fn self_signed_certificate_is_valid_for_the_loopback_address() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    let server = Server::start(config).await;
    let reply = fetch(server.addr, client_config(&root, None, &[HTTP1]), "127.0.0.1", "/peer")
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    // A name the certificate is not for is refused by the client.
    let wrong =
        fetch(server.addr, client_config(&root, None, &[HTTP1]), "example.com", "/peer").await;
    assert!(wrong.is_err(), "{:?}", wrong.map(|r| r.body));
}

#[tokio::test]
async fn optional_client_certificates() {
    let dir = TempDir::new().unwrap();
    let ca = Ca::new("bluewhale test CA");
    let (config, root) = with_client_ca(&dir, &ca, None);
    let server = Server::start(config).await;

    let anonymous =
        fetch(server.addr, client_config(&root, None, &[HTTP1]), "localhost", "/whoami")
            .await
            .unwrap();
    assert_eq!(anonymous.body, "anonymous");

    let alice = ca.client("alice", "Accounts");
    for alpn in [HTTP1, H2] {
        let reply =
            fetch(server.addr, client_config(&root, Some(&alice), &[alpn]), "localhost", "/whoami")
                .await
                .unwrap();
        assert_eq!(
            reply.body,
            format!(
                "cn=alice subject=CN=alice, O=Accounts sha256={}",
                https::sha256_fingerprint(&alice.cert)
            )
        );
    }

    // Optional is not "anything goes": a certificate from another CA fails.
    let before = https::failed_handshakes();
    let mallory = Ca::new("another CA").client("mallory", "Elsewhere");
    let refused =
        fetch(server.addr, client_config(&root, Some(&mallory), &[HTTP1]), "localhost", "/whoami")
            .await;
    assert!(refused.is_err(), "{:?}", refused.map(|r| r.body));
    assert!(https::failed_handshakes() > before);
}

#[tokio::test]
async fn required_client_certificates() {
    let dir = TempDir::new().unwrap();
    let ca = Ca::new("bluewhale test CA");
    let (config, root) = with_client_ca(&dir, &ca, Some(ClientCertificates::Required));
    let server = Server::start(config).await;

    let before = https::failed_handshakes();
    let anonymous =
        fetch(server.addr, client_config(&root, None, &[HTTP1]), "localhost", "/whoami").await;
    assert!(anonymous.is_err(), "{:?}", anonymous.map(|r| r.body));

    let mallory = Ca::new("another CA").client("mallory", "Elsewhere");
    let refused =
        fetch(server.addr, client_config(&root, Some(&mallory), &[HTTP1]), "localhost", "/whoami")
            .await;
    assert!(refused.is_err(), "{:?}", refused.map(|r| r.body));
    assert!(https::failed_handshakes() >= before + 2);

    let bob = ca.client("bob", "Billing");
    let reply =
        fetch(server.addr, client_config(&root, Some(&bob), &[HTTP1]), "localhost", "/whoami")
            .await
            .unwrap();
    assert!(reply.body.starts_with("cn=bob subject=CN=bob, O=Billing"), "{}", reply.body);
}

#[tokio::test]
async fn plain_http_on_the_tls_port_does_not_stop_the_server() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    let server = Server::start(config).await;
    let before = https::failed_handshakes();

    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain.write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    // The server answers with a TLS alert at most, then closes.
    tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .ok();
    assert!(!answer.starts_with(b"HTTP/"), "no plain HTTP answer");
    assert!(https::failed_handshakes() > before);

    let reply = fetch(server.addr, client_config(&root, None, &[HTTP1]), "localhost", "/peer")
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_handshake_timeout() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    let server = Server::start(config).await;

    let started = Instant::now();
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // Others are served meanwhile.
    let reply = fetch(server.addr, client_config(&root, None, &[HTTP1]), "localhost", "/peer")
        .await
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);

    let mut buffer = [0u8; 16];
    let read =
        tokio::time::timeout(HANDSHAKE_TIMEOUT + Duration::from_secs(5), silent.read(&mut buffer))
            .await
            .expect("the server closes a silent connection");
    assert!(matches!(read, Ok(0) | Err(_)), "closed, not answered: {read:?}");
    let waited = started.elapsed();
    assert!(waited >= HANDSHAKE_TIMEOUT - Duration::from_millis(100), "{waited:?}");
}

#[tokio::test]
async fn shutdown_returns_and_stops_accepting() {
    let dir = TempDir::new().unwrap();
    let (config, _) = self_signed(&dir);
    let mut server = Server::start(config).await;
    let addr = server.addr;

    server.shut_down();
    let result = tokio::time::timeout(Duration::from_secs(2), &mut server.handle)
        .await
        .expect("serve returns promptly with nothing in flight");
    result.unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "listener closed");
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    for alpn in [HTTP1, H2] {
        let mut server = Server::start(config.clone()).await;
        let (mut client, _, _) =
            connect(server.addr, client_config(&root, None, &[alpn]), "localhost").await.unwrap();
        let request = tokio::spawn(async move { client.get("/slow").await });
        server.started.notified().await;

        server.shut_down();
        // Shutdown waits for the request rather than cutting it off.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!server.handle.is_finished());
        server.release.notify_one();

        let (status, body) = request.await.unwrap().unwrap();
        assert_eq!((status, body.as_str()), (StatusCode::OK, "done"));
        tokio::time::timeout(Duration::from_secs(2), &mut server.handle)
            .await
            .expect("serve returns once the request is answered")
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn shutdown_does_not_wait_for_idle_keep_alive_connections() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    for alpn in [HTTP1, H2] {
        let mut server = Server::start(config.clone()).await;
        let (mut client, _, _) =
            connect(server.addr, client_config(&root, None, &[alpn]), "localhost").await.unwrap();
        assert_eq!(client.get("/peer").await.unwrap().0, StatusCode::OK);

        let started = Instant::now();
        server.shut_down();
        tokio::time::timeout(Duration::from_secs(2), &mut server.handle)
            .await
            .expect("an idle connection is closed at once")
            .unwrap()
            .unwrap();
        assert!(started.elapsed() < SHUTDOWN_GRACE);
        drop(client);
    }
}

#[tokio::test]
async fn shutdown_gives_up_on_a_request_that_never_ends() {
    let dir = TempDir::new().unwrap();
    let (config, root) = self_signed(&dir);
    let mut server = Server::start(config).await;
    let (mut client, _, _) =
        connect(server.addr, client_config(&root, None, &[HTTP1]), "localhost").await.unwrap();
    let request = tokio::spawn(async move { client.get("/hang").await });
    // Let the request reach the handler.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    server.shut_down();
    tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_secs(3), &mut server.handle)
        .await
        .expect("serve returns after the grace period")
        .unwrap()
        .unwrap();
    let waited = started.elapsed();
    assert!(waited >= SHUTDOWN_GRACE - Duration::from_millis(100), "{waited:?}");
    // The hanging request is cut off, not answered.
    assert!(request.await.unwrap().is_err());
}
