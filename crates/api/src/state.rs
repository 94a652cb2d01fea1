//! What every handler shares.

use crate::db::Db;
use crate::limiter::LoginLimiter;
use std::sync::Arc;
use std::time::Duration;

/// The connectors' states as JSON (the server owns them).
pub type ConnectorStates = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

#[derive(Clone)]
pub struct ApiState {
    pub db: Db,
    pub limiter: Arc<LoginLimiter>,
    pub connectors: ConnectorStates,
    pub settings: Arc<AuthSettings>,
    /// Calls as they are stored, for `GET /live`.
    pub live: crate::live::LiveFeed,
    /// Report runs and the worker that builds them (`/reports/runs`).
    pub reports: crate::routes::reports::ReportRuns,
}

/// How sign-in behaves.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Cookies get `Secure` (the console is served over HTTPS).
    pub secure_cookies: bool,
    pub session_lifetime: Duration,
    /// Failed sign-ins in a row that lock an account, and for how long.
    pub lock_after: i64,
    pub lock_for: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            secure_cookies: false,
            session_lifetime: Duration::from_secs(12 * 3600),
            lock_after: 5,
            lock_for: Duration::from_secs(15 * 60),
        }
    }
}

impl ApiState {
    pub fn new(db: Db, connectors: ConnectorStates, settings: AuthSettings) -> ApiState {
        let reports = crate::routes::reports::ReportRuns::new(
            db.data_dir().join("reports"),
            crate::routes::reports::Limits::default(),
        );
        ApiState {
            db,
            // Ten attempts a minute per address: enough for typos, far too
            // few to guess.
            limiter: Arc::new(LoginLimiter::new(10, Duration::from_secs(60))),
            connectors,
            settings: Arc::new(settings),
            live: crate::live::LiveFeed::default(),
            reports,
        }
    }
}
