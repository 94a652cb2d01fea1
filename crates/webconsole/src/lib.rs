//! The web console: a single-page app (plain HTML, CSS and ES modules under
//! `assets/`) embedded in the binary at compile time and served next to the
//! REST API.
//!
//! [`router`] answers `GET /` with `index.html` and `GET /assets/{*path}`
//! with the embedded files. Client-side routes live in the URL's hash
//! (`#/calls`), so no other path needs serving. Every response carries the
//! security headers of [`headers`]; every file an ETag from its content hash,
//! so a browser revalidates cheaply (`304 Not Modified`).

mod asset;
pub mod headers;

pub use asset::{Asset, Assets};

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The console's routes: `/` and `/assets/{*path}`. No fallback, so the
/// server can merge it with its own router.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .layer(axum::middleware::map_response(headers::secure))
}

async fn index(request: HeaderMap) -> Response {
    serve("index.html", &request)
}

async fn asset(Path(path): Path<String>, request: HeaderMap) -> Response {
    serve(&path, &request)
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    match Asset::find(path) {
        Some(asset) => asset.respond(request),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
