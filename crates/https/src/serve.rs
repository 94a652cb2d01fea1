//! The HTTPS accept loop: one task per connection doing the TLS handshake
//! and then serving the router with hyper.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::client_cert::ClientCertificate;

/// How long a client has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long shutdown waits for connections to finish their requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

static FAILED_HANDSHAKES: AtomicU64 = AtomicU64::new(0);

/// TLS handshakes that failed or timed out since the process started,
/// across every [`serve`] in it.
pub fn failed_handshakes() -> u64 {
    FAILED_HANDSHAKES.load(Ordering::Relaxed)
}

/// Serves `router` over TLS on `listener` until `shutdown` completes.
///
/// Each request carries `ConnectInfo<SocketAddr>` (the peer) and, if the
/// client presented a certificate the verifier accepted, a
/// [`ClientCertificate`]. Once `shutdown` completes, no connection is
/// accepted any more; open ones finish the request they are serving, and
/// after [`SHUTDOWN_GRACE`] whatever is left is dropped.
///
/// Accept errors are logged and retried, as `axum::serve` does, so this
/// returns only at shutdown.
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let mut http = auto::Builder::new(TokioExecutor::new());
    // Without a timer hyper cannot apply its header read timeout, and a
    // client could hold a connection open by sending headers slowly.
    http.http1().timer(TokioTimer::new());
    http.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    connections.spawn(connection(
                        tcp,
                        peer,
                        acceptor.clone(),
                        http.clone(),
                        router.clone(),
                        graceful.watcher(),
                    ));
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    // Mostly running out of file descriptors: waiting lets
                    // open connections finish instead of spinning.
                    tracing::error!(error = %e, "accepting an HTTPS connection failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            },
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = done
                    && e.is_panic()
                {
                    tracing::error!(error = %e, "an HTTPS connection task panicked");
                }
            }
        }
    }

    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "HTTPS connections still open after the shutdown grace period; closing them"
        );
    }
    connections.shutdown().await;
    Ok(())
}

async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    http: auto::Builder<TokioExecutor>,
    router: Router,
    watcher: Watcher,
) {
    // TLS sends each handshake flight and response as whole records, so
    // Nagle's algorithm only adds delay.
    let _ = tcp.set_nodelay(true);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            FAILED_HANDSHAKES.fetch_add(1, Ordering::Relaxed);
            log_failed_handshake(peer, &e);
            return;
        }
        Err(_) => {
            FAILED_HANDSHAKES.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };

    let client_certificate = match tls.get_ref().1.peer_certificates() {
        Some([end_entity, ..]) => match ClientCertificate::from_der(end_entity) {
            Ok(certificate) => Some(certificate),
            Err(e) => {
                // Verified, yet unreadable here: refusing is safer than
                // letting it through as if no certificate had been given.
                tracing::warn!(%peer, "closing the connection: {e}");
                return;
            }
        },
        _ => None,
    };

    let service = router.map_request(move |mut request: Request<Incoming>| {
        let extensions = request.extensions_mut();
        extensions.insert(ConnectInfo(peer));
        if let Some(certificate) = &client_certificate {
            extensions.insert(certificate.clone());
        }
        request
    });
    let connection =
        http.serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(service));
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %e, "HTTPS connection ended with an error");
    }
}

/// A rejected client certificate is worth a warning; anything else (plain
/// HTTP on this port, scanners, clients giving up) only a debug line.
fn log_failed_handshake(peer: SocketAddr, e: &io::Error) {
    let rustls_error = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) => {
            tracing::warn!(%peer, error = %e, "TLS handshake failed: client certificate rejected");
        }
        _ => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
    }
}

/// Errors about one connection that went away while being accepted: the
/// next accept is fine.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
