//! The PBX connectors' state.

use crate::caller::{Allowed, need};
use crate::error::{ApiResult, ErrorBody};
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(connectors))
}

/// Every connector's state: connections, records, bytes, errors, the last
/// record's time (unix s), the last peer and error, and whether it has
/// been silent longer than its `silent_after`.
#[utoipa::path(get, path = "/connectors", tag = "connectors",
    responses((status = 200, description = "`{\"connectors\": [...]}`", body = Object),
        (status = 403, body = ErrorBody)))]
async fn connectors(
    State(state): State<ApiState>,
    _: Allowed<need::ConnectorsRead>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json((state.connectors)()))
}
