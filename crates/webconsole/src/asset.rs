//! The embedded files, their content types and ETags.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::{Embed, EmbeddedFile};
use std::fmt::Write;

/// Everything under `assets/`, compiled into the binary.
#[derive(Embed)]
#[folder = "assets/"]
pub struct Assets;

/// One embedded file, ready to be served.
pub struct Asset {
    file: EmbeddedFile,
}

impl Asset {
    /// The file at `path` (relative to `assets/`, `/`-separated), if any.
    pub fn find(path: &str) -> Option<Asset> {
        Assets::get(path).map(|file| Asset { file })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.file.data
    }

    /// The `Content-Type`, from the file's extension; text in UTF-8.
    pub fn content_type(&self) -> String {
        let mime = self.file.metadata.mimetype();
        let text = mime.starts_with("text/")
            || mime == "application/javascript"
            || mime == "application/json"
            || mime == "image/svg+xml";
        if text { format!("{mime}; charset=utf-8") } else { mime.to_owned() }
    }

    /// A strong ETag: the start of the content's SHA-256, computed when the
    /// file was embedded.
    pub fn etag(&self) -> String {
        let mut tag = String::with_capacity(34);
        tag.push('"');
        for byte in &self.file.metadata.sha256_hash()[..16] {
            let _ = write!(tag, "{byte:02x}");
        }
        tag.push('"');
        tag
    }

    /// The file, or `304 Not Modified` when the request's `If-None-Match`
    /// already names its ETag.
    ///
    /// `no-cache` everywhere: module URLs carry no version, so a browser
    /// must ask again after an upgrade; the ETag keeps that to a 304.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let etag = self.etag();
        let cache = [(CACHE_CONTROL, HeaderValue::from_static("no-cache"))];
        let etag_header = HeaderValue::from_str(&etag).expect("hex is a valid header value");
        if none_match(request, &etag) {
            return (StatusCode::NOT_MODIFIED, cache, [(ETAG, etag_header)]).into_response();
        }
        let kind = HeaderValue::from_str(&self.content_type())
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        (cache, [(ETAG, etag_header), (CONTENT_TYPE, kind)], self.file.data.clone()).into_response()
    }
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as RFC 9110
/// asks for this header: a `W/` prefix is ignored; `*` matches any file).
fn none_match(request: &HeaderMap, etag: &str) -> bool {
    request.get_all(IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|list| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_compares_each_listed_tag_weakly() {
        let tag = "\"abc\"";
        assert!(none_match(&request("\"abc\""), tag));
        assert!(none_match(&request("\"x\", W/\"abc\""), tag));
        assert!(none_match(&request("*"), tag));
        assert!(!none_match(&request("\"abcd\""), tag));
        assert!(!none_match(&request("abc"), tag));
        assert!(!none_match(&HeaderMap::new(), tag));
    }
}
