//! Who is calling: an API token (`Authorization: Bearer bw_…`) or a console
//! session cookie. A request made with the cookie that changes anything
//! must also carry the session's CSRF token in `X-CSRF-Token`: another site
//! can make a browser send the cookie, but cannot read the token.

use crate::error::{ApiError, ApiResult};
use crate::roles::{Permission, Scope, allowed};
use crate::secret::digest;
use crate::state::ApiState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use store::accounts::Account;

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "bw_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A console session: the cookie's digest, and its CSRF token.
    Session {
        token_hash: Vec<u8>,
        csrf: String,
    },
    Token {
        id: i64,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
    pub via: Via,
    /// The client's address, for the audit log.
    pub peer: Option<String>,
}

impl Caller {
    /// Err(403) unless the caller's role has `p`.
    pub fn require(&self, p: Permission) -> ApiResult<()> {
        if allowed(self.account.role, p) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the {} role may not do this",
                self.account.role.as_str()
            )))
        }
    }

    /// Which calls the caller sees.
    pub fn scope(&self, store: &store::Store) -> ApiResult<Scope> {
        Ok(Scope::of(&self.account, store)?)
    }

    pub fn name(&self) -> &str {
        &self.account.username
    }
}

/// The value of cookie `name` in the request.
pub fn cookie<'p>(parts: &'p Parts, name: &str) -> Option<&'p str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Equal without telling, by its time, how much of it matched.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn peer(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

fn changes_something(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> ApiResult<Caller> {
        let now = jiff::Timestamp::now().as_second();
        let peer = peer(parts);
        if let Some(token) = bearer(parts) {
            let hash = digest(token);
            let found = state
                .db
                .run(move |s| {
                    let Some((id, account)) = s.use_token(&hash, now)? else { return Ok(None) };
                    Ok(s.account(account)?.map(|a| (id, a)))
                })
                .await?;
            let Some((id, account)) = found else {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "unknown or expired API token",
                ));
            };
            return usable(Caller { account, via: Via::Token { id }, peer });
        }
        let Some(cookie) = cookie(parts, SESSION_COOKIE) else {
            return Err(ApiError::unauthenticated());
        };
        let hash = digest(cookie);
        let lookup = hash.clone();
        let found = state
            .db
            .run(move |s| {
                let Some(session) = s.session(&lookup, now)? else { return Ok(None) };
                Ok(s.account(session.account_id)?.map(|a| (session, a)))
            })
            .await?;
        let Some((session, account)) = found else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the session has ended: sign in again",
            ));
        };
        if changes_something(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
            if !same(sent, session.csrf.as_bytes()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "missing or wrong X-CSRF-Token header",
                ));
            }
        }
        let via = Via::Session { token_hash: hash, csrf: session.csrf };
        usable(Caller { account, via, peer })
    }
}

fn usable(caller: Caller) -> ApiResult<Caller> {
    if caller.account.disabled {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this account is disabled"));
    }
    Ok(caller)
}

/// A caller whose role has the permission `N` names: checked while the
/// request is taken apart, before its body is read, so a refused caller
/// learns nothing about what it sent.
pub struct Allowed<N>(pub Caller, std::marker::PhantomData<N>);

impl<N> std::ops::Deref for Allowed<N> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

/// A permission as a type, for [`Allowed`].
pub trait Needs {
    const PERMISSION: Permission;
}

/// One type per [`Permission`].
pub mod need {
    use super::{Needs, Permission};

    macro_rules! needs {
        ($($name:ident),* $(,)?) => {$(
            pub struct $name;
            impl Needs for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    needs!(
        CallsRead,
        ReportsRun,
        DirectoryRead,
        DirectoryWrite,
        TariffsRead,
        TariffsWrite,
        ConnectorsRead,
        QuarantineRead,
        QuarantineRetry,
        AccountsManage,
        AuditRead,
        Own,
    );
}

impl<N: Needs> FromRequestParts<ApiState> for Allowed<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> ApiResult<Allowed<N>> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(N::PERMISSION)?;
        Ok(Allowed(caller, std::marker::PhantomData))
    }
}
