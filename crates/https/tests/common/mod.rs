//! Shared pieces of the integration tests: a small router, a server on a
//! loopback port, certificates made with rcgen, and a TLS client speaking
//! HTTP/1.1 or HTTP/2 by ALPN.

#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::{Extension, Router};
use http_body_util::{BodyExt, Empty};
use https::ClientCertificate;
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

/// `/peer`: the `ConnectInfo` peer; `/whoami`: the client certificate's CN
/// and fingerprint, or `anonymous`; `/slow`: answers after `release` is
/// notified, telling `started` first; `/hang`: never answers.
pub fn router(started: Arc<Notify>, release: Arc<Notify>) -> Router {
    Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/whoami",
            get(|certificate: Option<Extension<ClientCertificate>>| async move {
                match certificate {
                    Some(Extension(c)) => format!(
                        "cn={} subject={} sha256={}",
                        c.subject_cn.as_deref().unwrap_or("-"),
                        c.subject,
                        c.fingerprint_sha256
                    ),
                    None => "anonymous".to_owned(),
                }
            }),
        )
        .route(
            "/slow",
            get(move || async move {
                started.notify_one();
                release.notified().await;
                "done"
            }),
        )
        .route("/hang", get(std::future::pending::<&'static str>))
}

pub struct Server {
    pub addr: SocketAddr,
    pub started: Arc<Notify>,
    pub release: Arc<Notify>,
    shutdown: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<io::Result<()>>,
}

impl Server {
    pub async fn start(config: Arc<ServerConfig>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Arc::new(Notify::new());
        let release = Arc::new(Notify::new());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(https::serve(
            listener,
            config,
            router(started.clone(), release.clone()),
            async move {
                let _ = rx.await;
            },
        ));
        Server { addr, started, release, shutdown: Some(tx), handle }
    }

    pub fn shut_down(&mut self) {
        self.shutdown.take().expect("shut down once").send(()).unwrap();
    }
}

/// A certificate and its key, DER.
pub struct Pair {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
    pub key_pem: String,
}

pub struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pub cert: CertificateDer<'static>,
    pub cert_pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Ca { cert_pem: cert.pem(), cert: cert.der().clone(), params, key }
    }

    /// A client certificate with this CN and organisation, signed by the CA.
    pub fn client(&self, cn: &str, organisation: &str) -> Pair {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.distinguished_name.push(DnType::OrganizationName, organisation);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        pair(cert, key)
    }
}

/// A self-signed server certificate for `localhost`, not a CA.
pub fn server_pair() -> Pair {
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    pair(cert, key)
}

fn pair(cert: rcgen::Certificate, key: KeyPair) -> Pair {
    Pair {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert: cert.der().clone(),
        key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    }
}

/// A client trusting `root`, offering `identity` if given.
pub fn client_config(
    root: &CertificateDer<'static>,
    identity: Option<&Pair>,
    alpn: &[&[u8]],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let mut config = match identity {
        Some(pair) => {
            builder.with_client_auth_cert(vec![pair.cert.clone()], pair.key.clone_key()).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

pub struct Reply {
    pub status: StatusCode,
    pub body: String,
    /// The ALPN protocol the server chose.
    pub alpn: Option<Vec<u8>>,
    /// The client's end of the connection, as the server should see it.
    pub local: SocketAddr,
}

/// One GET over a new TLS connection to `addr`, checking the certificate
/// for `server_name`.
pub async fn fetch(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    server_name: &str,
    path: &str,
) -> Result<Reply, String> {
    let (mut client, alpn, local) = connect(addr, config, server_name).await?;
    let (status, body) = client.get(path).await?;
    Ok(Reply { status, body, alpn, local })
}

/// A kept-alive HTTP client on one TLS connection.
pub enum Client {
    Http1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

pub async fn connect(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    server_name: &str,
) -> Result<(Client, Option<Vec<u8>>, SocketAddr), String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let local = tcp.local_addr().unwrap();
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
    let tls = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    let io = TokioIo::new(tls);
    let client = if alpn.as_deref() == Some(b"h2") {
        let (sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(|e| format!("h2 handshake: {e}"))?;
        tokio::spawn(connection);
        Client::Http2(sender)
    } else {
        let (sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| format!("http/1.1 handshake: {e}"))?;
        tokio::spawn(connection);
        Client::Http1(sender)
    };
    Ok((client, alpn, local))
}

impl Client {
    pub async fn get(&mut self, path: &str) -> Result<(StatusCode, String), String> {
        let request = Request::get(format!("https://localhost{path}"))
            .header(hyper::header::HOST, "localhost")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = match self {
            Client::Http1(sender) => sender.send_request(request).await,
            Client::Http2(sender) => sender.send_request(request).await,
        }
        .map_err(|e| format!("request: {e}"))?;
        let status = response.status();
        let body =
            response.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
        Ok((status, String::from_utf8(body.to_vec()).unwrap()))
    }
}
