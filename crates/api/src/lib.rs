//! The REST API under `/api/v1`, which the console uses and integrations
//! call: JSON in and out, HTTP semantics (status codes, methods), errors
//! as `{"error": {"code", "message"}}` with stable codes, and an OpenAPI
//! document generated from the handlers at `/api/v1/openapi.json`.
//!
//! Who is calling ([`caller`]): a console session (cookie plus CSRF header
//! on changes) or an API token. What they may do ([`roles`]): each
//! endpoint requires one permission, and calls are narrowed to a
//! manager's departments or a user's extensions. Every change is written
//! with its audit entry in one transaction.

pub mod audit;
pub mod bootstrap;
pub mod caller;
pub mod db;
pub mod error;
pub mod extract;
pub mod limiter;
pub mod live;
pub mod roles;
pub mod routes;
pub mod secret;
pub mod state;
pub mod views;

pub use db::Db;
pub use routes::session::ClientIdentity;
pub use state::{ApiState, AuthSettings, ConnectorStates};

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Where the API lives.
pub const BASE: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "bluewhale",
        description = "Call accounting: calls, directory, tariffs, reports, connectors, accounts. \
            Sign in with `POST /session` (console: a cookie, plus the returned CSRF token in \
            `X-CSRF-Token` on every change) or send an API token as `Authorization: Bearer bw_…`."
    ),
    servers((url = "/api/v1")),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "accounts", description = "Accounts and API tokens"),
        (name = "calls", description = "Stored, priced calls"),
        (name = "connectors", description = "PBX connectors"),
        (name = "audit", description = "The audit log of changes"),
        (name = "reports", description = "Reports: the catalogue, runs, their files and previews"),
        (name = "directory", description = "Sites, PBXs, trunks, departments, users and extensions"),
        (name = "tariffs", description = "Carriers, the tariff book and pricing a call"),
        (name = "quarantine", description = "Records that could not be stored, and retrying them"),
    )
)]
struct Doc;

/// The endpoints with their OpenAPI description, paths relative to [`BASE`].
fn api() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .merge(routes::session::routes())
        .merge(routes::accounts::routes())
        .merge(routes::calls::routes())
        .merge(routes::connectors::routes())
        .merge(routes::dashboard::routes())
        .merge(routes::live::routes())
        .merge(routes::audit_log::routes())
        .merge(routes::reports::routes())
        .merge(routes::directory::routes())
        .merge(routes::tariffs::routes())
        .merge(routes::quarantine::routes())
}

/// The OpenAPI document (paths relative to `/api/v1`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// The API, mounted at `/api/v1`, with its OpenAPI document.
pub fn router(state: ApiState) -> Router {
    let (routes, doc) = api().split_for_parts();
    let doc = std::sync::Arc::new(doc);
    let routes =
        routes.route("/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }));
    Router::new().nest(BASE, routes.fallback(not_found).with_state(state))
}

async fn not_found() -> error::ApiError {
    error::ApiError::not_found("no such endpoint")
}
