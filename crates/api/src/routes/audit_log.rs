//! Reading the audit log.

use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::state::ApiState;
use crate::views::time;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use store::accounts::AuditQuery;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditFilter {
    /// RFC 3339: entries at or after.
    pub from: Option<String>,
    /// RFC 3339: entries before.
    pub to: Option<String>,
    /// Only this account's changes.
    pub actor: Option<String>,
    /// Only changes to this kind of entity (`account`, `token`, …).
    pub entity: Option<String>,
    /// Entries older than this id (the previous page's last).
    pub before: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    /// The entity before the change, when it existed.
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub peer: Option<String>,
}

pub fn parse_time(name: &str, value: &Option<String>) -> ApiResult<Option<i64>> {
    value
        .as_deref()
        .map(|v| {
            v.parse::<jiff::Timestamp>().map(|t| t.as_second()).map_err(|e| {
                ApiError::bad_request(format!("{name}: not an RFC 3339 time: {v:?} ({e})"))
            })
        })
        .transpose()
}

/// Changes made through the console and the API, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditFilter),
    responses((status = 200, body = Vec<AuditView>), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<ApiState>,
    _: Allowed<need::AuditRead>,
    Query(f): Query<AuditFilter>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let q = AuditQuery {
        from: parse_time("from", &f.from)?,
        to: parse_time("to", &f.to)?,
        actor: f.actor,
        entity: f.entity,
        before_id: f.before,
        limit: f.limit.unwrap_or(100).min(1000),
    };
    let entries = state.db.run(move |s| Ok(s.audit_entries(&q)?)).await?;
    let json = |s: &Option<String>| s.as_deref().and_then(|t| serde_json::from_str(t).ok());
    Ok(Json(
        entries
            .iter()
            .map(|e| AuditView {
                id: e.id,
                at: time(e.at),
                actor: e.actor.clone(),
                action: e.action.clone(),
                entity: e.entity.clone(),
                entity_id: e.entity_id.clone(),
                before: json(&e.before),
                after: json(&e.after),
                peer: e.peer.clone(),
            })
            .collect(),
    ))
}
