//! HTTPS for bluewhale's web console, REST API and `/metrics`: the same
//! axum `Router` that `serve` runs over plain HTTP, served over TLS.
//!
//! Three parts:
//! - [`TlsSettings`], the `[server.tls]` table of the server's TOML
//!   configuration:
//!   ```toml
//!   [server.tls]
//!   cert = "/path/fullchain.pem"     # PEM certificate chain, server's own first; with key
//!   key = "/path/key.pem"            # PEM private key (PKCS#8, PKCS#1 or SEC1)
//!   self_signed = true               # instead of cert/key: generate one on first run
//!   client_ca = "/path/ca.pem"       # optional: verify client certificates against these CAs
//!   client_certificates = "optional" # "optional" (default with client_ca) or "required"
//!   ```
//!   Either `cert` and `key`, or `self_signed = true` alone.
//! - [`server_config`] / [`server_tls`] turn the settings into a rustls
//!   `ServerConfig`, loading the files or, with `self_signed`, generating a
//!   certificate into `DATA_DIR/tls/` once and reusing it (see
//!   [`self_signed`]). [`server_tls`] also gives the certificate's SHA-256
//!   fingerprint, for the server to print at start so a person can check
//!   what their browser shows.
//! - [`serve`], the accept loop: TLS handshake, then HTTP/1.1 or HTTP/2
//!   (by ALPN) with hyper, every request carrying
//!   `ConnectInfo<SocketAddr>` as `axum::serve` gives it and, when the
//!   client presented an accepted certificate, a [`ClientCertificate`].
//!
//! Why these choices:
//! - rustls with the *ring* provider, named explicitly rather than taken
//!   from the process default: ring builds with a C compiler alone, where
//!   aws-lc-rs needs cmake, and an explicit provider cannot clash with
//!   another crate in the binary enabling a second one.
//! - The handshake has a 10 s limit ([`HANDSHAKE_TIMEOUT`]): a client that
//!   opens a connection and says nothing would otherwise hold a task and a
//!   socket forever. Once the handshake is done, hyper's own header read
//!   timeout guards the request.
//! - Shutdown stops accepting, lets every connection finish the request it
//!   is serving (HTTP/1.1 closes after it, HTTP/2 sends GOAWAY), and waits
//!   at most 5 s ([`SHUTDOWN_GRACE`]) before dropping what is left, so one
//!   slow download cannot hold up a restart.
//! - A failed handshake (plain HTTP sent to the TLS port, a rejected client
//!   certificate, a scanner) is logged with `tracing` and counted
//!   ([`failed_handshakes`]); it never stops the accept loop.

mod client_cert;
mod config;
mod fingerprint;
mod keys;
mod pem;
pub mod self_signed;
mod serve;
mod settings;

pub use client_cert::ClientCertificate;
pub use config::{ServerTls, server_config, server_tls};
pub use fingerprint::sha256_fingerprint;
pub use serve::{HANDSHAKE_TIMEOUT, SHUTDOWN_GRACE, failed_handshakes, serve};
pub use settings::{ClientCertificates, TlsSettings};
