//! Accounts (administrators only) and API tokens (one's own).

use crate::audit::entry;
use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json as JsonBody, Path};
use crate::secret::{check_new_password, digest, generate_password, hash_password, new_token};
use crate::state::ApiState;
use crate::views::{AccountView, audit_json, time};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use store::Store;
use store::accounts::{AccountFields, Role};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
        .routes(routes!(reset_password))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(delete_token))
}

/// An account to create, or the new state of one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccountInput {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    /// `admin`, `operator`, `finance`, `manager` or `user`.
    pub role: String,
    #[serde(default)]
    pub department_ids: Vec<i64>,
    pub person_id: Option<i64>,
    #[serde(default)]
    pub disabled: bool,
    pub cert_subject: Option<String>,
    /// On creation only: the password; one is generated when absent.
    pub password: Option<String>,
}

impl AccountInput {
    fn fields(&self) -> ApiResult<AccountFields> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown role {:?}: admin, operator, finance, manager or user",
                self.role
            ))
        })?;
        Ok(AccountFields {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: Some(role),
            person_id: self.person_id,
            department_ids: self.department_ids.clone(),
            disabled: self.disabled,
            cert_subject: self.cert_subject.clone().filter(|s| !s.trim().is_empty()),
        })
    }
}

/// An account with the password it was given, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountWithPassword {
    pub account: AccountView,
    /// Present when the server generated it.
    pub password: Option<String>,
}

fn missing(id: i64) -> ApiError {
    ApiError::not_found(format!("no account {id}"))
}

/// Whether an enabled administrator would be left once `id` becomes `next`.
fn keeps_an_admin(store: &Store, id: i64, next: Option<&AccountFields>) -> ApiResult<bool> {
    let stays_admin = next.is_some_and(|f| f.role == Some(Role::Admin) && !f.disabled);
    Ok(stays_admin
        || store.accounts()?.iter().any(|a| a.id != id && a.role == Role::Admin && !a.disabled))
}

/// Every account.
#[utoipa::path(get, path = "/accounts", tag = "accounts",
    responses((status = 200, body = Vec<AccountView>), (status = 403, body = ErrorBody)))]
async fn list_accounts(
    State(state): State<ApiState>,
    _: Allowed<need::AccountsManage>,
) -> ApiResult<Json<Vec<AccountView>>> {
    let accounts = state.db.run(|s| Ok(s.accounts()?)).await?;
    Ok(Json(accounts.iter().map(AccountView::from).collect()))
}

/// Creates an account. Without a password, one is generated and returned once.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = AccountInput,
    responses(
        (status = 201, body = AccountWithPassword),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    ))]
async fn create_account(
    State(state): State<ApiState>,
    caller: Allowed<need::AccountsManage>,
    JsonBody(input): JsonBody<AccountInput>,
) -> ApiResult<(StatusCode, Json<AccountWithPassword>)> {
    let fields = input.fields()?;
    let (password, generated) = match &input.password {
        Some(p) => (p.clone(), false),
        None => (generate_password(), true),
    };
    check_new_password(&password, &fields.username).map_err(ApiError::bad_request)?;
    let audit = entry(&caller, "account.create", "account", None);
    let account = state
        .db
        .run(move |s| {
            let hash = hash_password(&password);
            let now = jiff::Timestamp::now().as_second();
            let id = s.audited(audit, |w, _, e| {
                let id = w.create(&fields, &hash, now)?;
                e.entity_id = Some(id.to_string());
                e.after = after(s, id)?;
                Ok(id)
            })?;
            let account = s.account(id)?.ok_or_else(|| missing(id))?;
            Ok((account, generated.then_some(password)))
        })
        .await?;
    let body = AccountWithPassword { account: AccountView::from(&account.0), password: account.1 };
    Ok((StatusCode::CREATED, Json(body)))
}

/// An account's state for the audit log, read inside the change's
/// transaction.
fn after(store: &Store, id: i64) -> store::Result<Option<String>> {
    Ok(store.account(id)?.as_ref().map(AccountView::from).as_ref().and_then(audit_json))
}

/// One account.
#[utoipa::path(get, path = "/accounts/{id}", tag = "accounts",
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_account(
    State(state): State<ApiState>,
    _: Allowed<need::AccountsManage>,
    Path(id): Path<i64>,
) -> ApiResult<Json<AccountView>> {
    let account = state.db.run(move |s| s.account(id)?.ok_or_else(|| missing(id))).await?;
    Ok(Json(AccountView::from(&account)))
}

/// Replaces an account's fields (not its password). The last enabled
/// administrator cannot be demoted or disabled.
#[utoipa::path(put, path = "/accounts/{id}", tag = "accounts", request_body = AccountInput,
    responses(
        (status = 200, body = AccountView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ))]
async fn update_account(
    State(state): State<ApiState>,
    caller: Allowed<need::AccountsManage>,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<AccountInput>,
) -> ApiResult<Json<AccountView>> {
    let fields = input.fields()?;
    let mut audit = entry(&caller, "account.update", "account", Some(id.to_string()));
    let account = state
        .db
        .run(move |s| {
            let before = s.account(id)?.ok_or_else(|| missing(id))?;
            if !keeps_an_admin(s, id, Some(&fields))? {
                return Err(ApiError::conflict("this would leave no enabled administrator"));
            }
            audit.before = audit_json(&AccountView::from(&before));
            s.audited(audit, |w, _, e| {
                w.update(id, &fields)?;
                e.after = after(s, id)?;
                Ok(())
            })?;
            s.account(id)?.ok_or_else(|| missing(id))
        })
        .await?;
    Ok(Json(AccountView::from(&account)))
}

/// Deletes an account with its sessions and tokens. The last enabled
/// administrator cannot be deleted.
#[utoipa::path(delete, path = "/accounts/{id}", tag = "accounts",
    responses(
        (status = 204, description = "Deleted"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ))]
async fn delete_account(
    State(state): State<ApiState>,
    caller: Allowed<need::AccountsManage>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let mut audit = entry(&caller, "account.delete", "account", Some(id.to_string()));
    state
        .db
        .run(move |s| {
            let before = s.account(id)?.ok_or_else(|| missing(id))?;
            if !keeps_an_admin(s, id, None)? {
                return Err(ApiError::conflict("this would leave no enabled administrator"));
            }
            audit.before = audit_json(&AccountView::from(&before));
            s.audited(audit, |w, _, _| w.delete(id))?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PasswordReset {
    /// The new password; one is generated when absent.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewPassword {
    /// Present when the server generated it.
    pub password: Option<String>,
}

/// Sets an account's password (and unlocks it); its sessions end.
#[utoipa::path(post, path = "/accounts/{id}/password", tag = "accounts", request_body = PasswordReset,
    responses(
        (status = 200, body = NewPassword), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn reset_password(
    State(state): State<ApiState>,
    caller: Allowed<need::AccountsManage>,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PasswordReset>,
) -> ApiResult<Json<NewPassword>> {
    let (password, generated) = match req.password {
        Some(p) => (p, false),
        None => (generate_password(), true),
    };
    let audit = entry(&caller, "account.password_reset", "account", Some(id.to_string()));
    let shown = generated.then(|| password.clone());
    state
        .db
        .run(move |s| {
            let account = s.account(id)?.ok_or_else(|| missing(id))?;
            check_new_password(&password, &account.username).map_err(ApiError::bad_request)?;
            let hash = hash_password(&password);
            let now = jiff::Timestamp::now().as_second();
            s.audited(audit, |w, _, _| w.set_password(id, &hash, now, None))?;
            Ok(())
        })
        .await?;
    Ok(Json(NewPassword { password: shown }))
}

/// An API token as listed (the token itself is shown only at creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenInput {
    pub name: String,
    /// Days until it expires; never when absent.
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    pub token: TokenView,
    /// Send as `Authorization: Bearer …`. Shown this once.
    pub secret: String,
}

/// One's own API tokens.
#[utoipa::path(get, path = "/tokens", tag = "accounts",
    responses((status = 200, body = Vec<TokenView>), (status = 401, body = ErrorBody)))]
async fn list_tokens(
    State(state): State<ApiState>,
    caller: Allowed<need::Own>,
) -> ApiResult<Json<Vec<TokenView>>> {
    let id = caller.account.id;
    let tokens = state.db.run(move |s| Ok(s.tokens(Some(id))?)).await?;
    Ok(Json(
        tokens
            .iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name.clone(),
                prefix: t.prefix.clone(),
                created_at: time(t.created_at),
                expires_at: t.expires_at.map(time),
                last_used_at: t.last_used_at.map(time),
            })
            .collect(),
    ))
}

/// Creates an API token acting as oneself (with one's role and scope).
#[utoipa::path(post, path = "/tokens", tag = "accounts", request_body = TokenInput,
    responses((status = 201, body = NewToken), (status = 400, body = ErrorBody)))]
async fn create_token(
    State(state): State<ApiState>,
    caller: Allowed<need::Own>,
    JsonBody(input): JsonBody<TokenInput>,
) -> ApiResult<(StatusCode, Json<NewToken>)> {
    let (secret, prefix) = new_token();
    let now = jiff::Timestamp::now().as_second();
    let expires = input.expires_in_days.map(|d| now + i64::from(d) * 86_400);
    let audit = entry(&caller, "token.create", "token", None);
    let (account, hash, name, kept_prefix) =
        (caller.account.id, digest(&secret), input.name.clone(), prefix.clone());
    let id = state
        .db
        .run(move |s| {
            Ok(s.audited(audit, |w, _, e| {
                let id = w.create_token(account, &name, &hash, &kept_prefix, now, expires)?;
                e.entity_id = Some(id.to_string());
                Ok(id)
            })?)
        })
        .await?;
    let token = TokenView {
        id,
        name: input.name.trim().to_string(),
        prefix,
        created_at: time(now),
        expires_at: expires.map(time),
        last_used_at: None,
    };
    Ok((StatusCode::CREATED, Json(NewToken { token, secret })))
}

/// Revokes one of one's own tokens (an administrator: anyone's).
#[utoipa::path(delete, path = "/tokens/{id}", tag = "accounts",
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody)))]
async fn delete_token(
    State(state): State<ApiState>,
    caller: Allowed<need::Own>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let owner =
        (!crate::roles::allowed(caller.account.role, crate::roles::Permission::AccountsManage))
            .then_some(caller.account.id);
    let audit = entry(&caller, "token.delete", "token", Some(id.to_string()));
    state
        .db
        .run(move |s| {
            if !s.tokens(owner)?.iter().any(|t| t.id == id) {
                return Err(ApiError::not_found(format!("no token {id} of yours")));
            }
            s.audited(audit, |w, _, _| w.delete_token(id, owner))?;
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
