//! The console's HTTP side: `/`, every embedded asset with its content
//! type, revalidation with ETags, 404s, and the security headers on every
//! response.

use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use std::path::Path;
use tower::ServiceExt;
use webconsole::{Assets, headers::CONTENT_SECURITY_POLICY_VALUE, router};

async fn send(method: Method, uri: &str, if_none_match: Option<&str>) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    router().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
}

async fn get(uri: &str) -> Response {
    send(Method::GET, uri, None).await
}

async fn body(response: Response) -> Vec<u8> {
    to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.headers().get(name).unwrap_or_else(|| panic!("no {name} header")).to_str().unwrap()
}

fn assert_secured(response: &Response) {
    assert_eq!(
        header(response, "content-security-policy"),
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         connect-src 'self'; frame-ancestors 'none'"
    );
    assert_eq!(header(response, "content-security-policy"), CONTENT_SECURITY_POLICY_VALUE);
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "referrer-policy"), "no-referrer");
}

/// What each kind of file must be served as.
fn expected_type(path: &str) -> &'static str {
    match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        other => panic!("{path}: no expected content type for {other:?}; add one here"),
    }
}

fn assets_on_disk() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_str().unwrap().replace('\\', "/"));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn root_serves_index_html_uncached_with_the_security_headers() {
    let response = get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_secured(&response);
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert!(header(&response, "etag").starts_with('"'));
    let html = String::from_utf8(body(response).await).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains(r#"<script type="module" src="/assets/js/main.js"></script>"#));
}

#[tokio::test]
async fn every_asset_is_served_as_its_type_with_its_exact_bytes() {
    let embedded: Vec<String> = {
        let mut names: Vec<String> = Assets::iter().map(|p| p.into_owned()).collect();
        names.sort();
        names
    };
    assert_eq!(embedded, assets_on_disk(), "the binary embeds exactly the files of assets/");
    assert!(embedded.len() > 20, "only {} assets", embedded.len());
    for path in embedded {
        let response = get(&format!("/assets/{path}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_secured(&response);
        assert_eq!(header(&response, "content-type"), expected_type(&path), "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        let etag = header(&response, "etag").to_owned();
        assert_eq!(etag.len(), 34, "{path}: {etag}");
        let on_disk =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(&path))
                .unwrap();
        assert_eq!(body(response).await, on_disk, "{path}");
    }
}

#[tokio::test]
async fn different_files_have_different_etags_and_the_same_file_the_same() {
    let a = header(&get("/assets/js/main.js").await, "etag").to_owned();
    let b = header(&get("/assets/js/api.js").await, "etag").to_owned();
    let again = header(&get("/assets/js/main.js").await, "etag").to_owned();
    assert_ne!(a, b);
    assert_eq!(a, again);
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_without_a_body() {
    for uri in ["/", "/assets/css/base.css", "/assets/img/icon.png"] {
        let etag = header(&get(uri).await, "etag").to_owned();
        for tag in [etag.clone(), format!("W/{etag}"), format!("\"other\", {etag}"), "*".to_owned()]
        {
            let response = send(Method::GET, uri, Some(&tag)).await;
            assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{uri} with {tag}");
            assert_secured(&response);
            assert_eq!(header(&response, "etag"), etag);
            assert_eq!(header(&response, "cache-control"), "no-cache");
            assert!(body(response).await.is_empty());
        }
        let stale = send(Method::GET, uri, Some("\"0123456789abcdef0123456789abcdef\"")).await;
        assert_eq!(stale.status(), StatusCode::OK, "{uri} with a stale tag");
        assert!(!body(stale).await.is_empty());
    }
}

#[tokio::test]
async fn unknown_assets_are_404_with_the_security_headers() {
    for uri in [
        "/assets/nope.js",
        "/assets/js/nope.js",
        "/assets/js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/src/lib.rs",
        "/assets//etc/passwd",
    ] {
        let response = get(uri).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_secured(&response);
    }
}

#[tokio::test]
async fn other_methods_are_refused_with_the_security_headers() {
    let response = send(Method::POST, "/", None).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_secured(&response);
}

#[tokio::test]
async fn head_answers_like_get() {
    let response = send(Method::HEAD, "/assets/js/main.js", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_secured(&response);
    assert_eq!(header(&response, "content-type"), "text/javascript; charset=utf-8");
}
