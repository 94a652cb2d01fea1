//! Signing in and out of the console, and one's own password.

use crate::caller::{Allowed, SESSION_COOKIE, Via, need, peer};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json as JsonBody;
use crate::secret::{check_new_password, digest, hash_password, random, verify_password};
use crate::state::ApiState;
use crate::views::AccountView;
use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use store::accounts::AuditEntry;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, current, sign_out))
        .routes(routes!(change_password))
        .routes(routes!(sign_in_with_certificate))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// The signed-in account, and for a console session the token to send in
/// `X-CSRF-Token` with every change.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub account: AccountView,
    pub csrf: Option<String>,
}

/// The subject of a verified client certificate, put on the request by
/// the TLS layer.
#[derive(Debug, Clone)]
pub struct ClientIdentity {
    pub subject_cn: String,
}

/// A hash to verify against when the username is unknown, so that the
/// answer takes as long as for a known one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never matched"))
}

fn client_ip(parts: &Parts) -> std::net::IpAddr {
    peer(parts).and_then(|p| p.parse().ok()).unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
}

fn cookie_header(state: &ApiState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text).expect("a cookie of URL-safe characters")
}

/// Opens a session for `account`: the cookie, and the body with the CSRF token.
async fn open_session(
    state: &ApiState,
    account: store::accounts::Account,
    peer: Option<String>,
    how: &'static str,
) -> ApiResult<Response> {
    let (cookie, csrf) = (random(32), random(32));
    let now = jiff::Timestamp::now().as_second();
    let lifetime = state.settings.session_lifetime.as_secs();
    let (hash, csrf_kept, id) = (digest(&cookie), csrf.clone(), account.id);
    let entry = AuditEntry {
        at: now,
        actor: account.username.clone(),
        action: format!("session.{how}"),
        entity: "session".into(),
        entity_id: Some(id.to_string()),
        peer: peer.clone(),
        ..Default::default()
    };
    state
        .db
        .run(move |s| {
            s.record_successful_login(id)?;
            s.create_session(&hash, id, &csrf_kept, now, now + lifetime as i64, peer.as_deref())?;
            Ok(s.audited(entry, |_, _, _| Ok(()))?)
        })
        .await?;
    let body = SessionView { account: AccountView::from(&account), csrf: Some(csrf) };
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie_header(state, &cookie, lifetime));
    Ok(response)
}

/// Signs in with a username and password.
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionView),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 423, description = "Locked after failed sign-ins", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    ))]
async fn sign_in(
    State(state): State<ApiState>,
    parts: Parts,
    JsonBody(req): JsonBody<SignIn>,
) -> ApiResult<Response> {
    if let Err(wait) = state.limiter.attempt(client_ip(&parts)) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("too many sign-in attempts from this address: try again in {wait} s"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let now = jiff::Timestamp::now().as_second();
    let settings = state.settings.clone();
    let username = req.username.clone();
    let peer = peer(&parts);
    let checked = state
        .db
        .run(move |s| {
            let found = s.account_by_username(&username)?;
            let hash = match &found {
                Some(a) => s.password_hash(a.id)?.unwrap_or_default(),
                None => decoy_hash().to_string(),
            };
            let matches = verify_password(&req.password, &hash);
            let Some(account) = found else { return Ok(Err(bad_credentials())) };
            if let Some(until) = account.locked_until.filter(|&t| t > now) {
                return Ok(Err(locked(until, now)));
            }
            if !matches {
                let lock = s.record_failed_login(
                    account.id,
                    now,
                    settings.lock_after,
                    settings.lock_for.as_secs() as i64,
                )?;
                return Ok(Err(match lock {
                    Some(until) => locked(until, now),
                    None => bad_credentials(),
                }));
            }
            if account.disabled {
                return Ok(Err(ApiError::forbidden("this account is disabled")));
            }
            Ok(Ok(account))
        })
        .await?;
    open_session(&state, checked?, peer, "sign_in").await
}

fn bad_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "wrong username or password")
}

fn locked(until: i64, now: i64) -> ApiError {
    let minutes = (until - now + 59) / 60;
    let mut e = ApiError::new(
        StatusCode::LOCKED,
        "account_locked",
        format!("this account is locked after failed sign-ins: try again in {minutes} min"),
    );
    e.retry_after = Some((until - now).max(1) as u64);
    e
}

/// Signs in with the client certificate the TLS connection presented;
/// its subject CN must be an account's `cert_subject`.
#[utoipa::path(post, path = "/session/certificate", tag = "session",
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionView),
        (status = 401, description = "No certificate, or none of an account", body = ErrorBody),
    ))]
async fn sign_in_with_certificate(
    State(state): State<ApiState>,
    parts: Parts,
) -> ApiResult<Response> {
    let Some(identity) = parts.extensions.get::<ClientIdentity>().cloned() else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "no verified client certificate on this connection",
        ));
    };
    let subject = identity.subject_cn.clone();
    let account = state.db.run(move |s| Ok(s.account_by_cert_subject(&subject)?)).await?;
    let Some(account) = account.filter(|a| !a.disabled) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            format!("no enabled account for certificate subject {:?}", identity.subject_cn),
        ));
    };
    open_session(&state, account, peer(&parts), "sign_in_certificate").await
}

/// The signed-in account.
#[utoipa::path(get, path = "/session", tag = "session",
    responses(
        (status = 200, description = "Signed in", body = SessionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn current(caller: Allowed<need::Own>) -> ApiResult<Json<SessionView>> {
    let csrf = match &caller.via {
        Via::Session { csrf, .. } => Some(csrf.clone()),
        Via::Token { .. } => None,
    };
    Ok(Json(SessionView { account: AccountView::from(&caller.account), csrf }))
}

/// Signs out: the session ends and the cookie is cleared.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204, description = "Signed out")))]
async fn sign_out(
    State(state): State<ApiState>,
    caller: Allowed<need::Own>,
) -> ApiResult<Response> {
    if let Via::Session { token_hash, .. } = caller.0.via {
        state.db.run(move |s| Ok(s.delete_session(&token_hash)?)).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie_header(&state, "", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Changes one's own password; one's other sessions end.
#[utoipa::path(put, path = "/session/password", tag = "session", request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "The new password is too weak", body = ErrorBody),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
    ))]
async fn change_password(
    State(state): State<ApiState>,
    caller: Allowed<need::Own>,
    JsonBody(req): JsonBody<PasswordChange>,
) -> ApiResult<StatusCode> {
    check_new_password(&req.new, caller.name()).map_err(ApiError::bad_request)?;
    let keep = match &caller.via {
        Via::Session { token_hash, .. } => Some(token_hash.clone()),
        Via::Token { .. } => None,
    };
    let now = jiff::Timestamp::now().as_second();
    let entry = AuditEntry {
        at: now,
        actor: caller.name().to_string(),
        action: "account.password".into(),
        entity: "account".into(),
        entity_id: Some(caller.account.id.to_string()),
        peer: caller.peer.clone(),
        ..Default::default()
    };
    let id = caller.account.id;
    state
        .db
        .run(move |s| {
            let hash = s.password_hash(id)?.unwrap_or_default();
            if !verify_password(&req.current, &hash) {
                return Err(ApiError::forbidden("the current password is wrong"));
            }
            let new_hash = hash_password(&req.new);
            s.audited(entry, |w, _, _| w.set_password(id, &new_hash, now, keep.as_deref()))?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
