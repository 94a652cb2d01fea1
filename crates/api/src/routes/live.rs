//! `GET /live`: the calls being stored, as server-sent events, in the
//! caller's scope and filters. Each event sums what was stored since the
//! previous one and carries the newest calls; at most a few events a
//! second, whatever the traffic (see `crate::live`).

use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::live::{LiveBatch, Tally};
use crate::roles::Scope;
use crate::routes::calls::CallView;
use crate::state::ApiState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Amount, CallRecord, StoredCall};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(live))
}

/// Newest calls per event at most.
const SHOWN: usize = 50;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct LiveFilter {
    /// Only calls billed to this extension number.
    pub extension: Option<String>,
    /// Only calls of this department and the ones below it (id).
    pub department: Option<i64>,
    /// Only calls of this type (`mobile`, `international`, …).
    pub call_type: Option<String>,
    /// Milliseconds between events (default 1000, at least 250).
    pub interval_ms: Option<u64>,
}

/// One event (`event: calls`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveEvent {
    /// Calls stored since the previous event (in scope, matching the filters).
    pub calls: u64,
    /// Their cost.
    pub cost: String,
    /// Calls a second over the interval.
    pub per_second: u64,
    /// The newest of them, newest first (at most 50).
    pub newest: Vec<CallView>,
    /// More calls went by than are shown.
    pub sampled: bool,
    /// Batches this page fell too far behind to count (0 normally).
    pub missed_batches: u64,
}

/// The filters, resolved once per connection.
struct Watch {
    scope: Scope,
    departments: Option<HashSet<i64>>,
    extensions: Option<HashSet<i64>>,
    call_type: Option<u8>,
    names: reporting::Names,
}

impl Watch {
    fn keeps(&self, department: i64, extension: i64, call_type: Option<u8>) -> bool {
        let in_scope = self.scope.keeps(department, extension);
        in_scope
            && self.departments.as_ref().is_none_or(|d| d.contains(&department))
            && self.extensions.as_ref().is_none_or(|e| e.contains(&extension))
            && self.call_type.is_none_or(|t| call_type == Some(t))
    }

    fn keeps_tally(&self, t: &Tally) -> bool {
        self.keeps(t.department_id, t.extension_id, Some(t.call_type))
    }

    fn keeps_call(&self, r: &CallRecord) -> bool {
        let call_type = r.charge.as_ref().map(|c| c.call_type);
        self.keeps(r.department_id.unwrap_or(0), r.extension_id.unwrap_or(0), call_type)
    }

    fn view(&self, r: &CallRecord) -> CallView {
        let name = |s: &str| (!s.is_empty()).then(|| s.to_string());
        CallView::of(&StoredCall {
            pbx: self.names.pbx(r.pbx_id).to_string(),
            department: r.department_id.and_then(|d| name(self.names.department(d))),
            user: name(self.names.user(r.user_id)),
            source: None,
            record: r.clone(),
            // Published as stored: correlation bills a call's legs later.
            leg: None,
        })
    }
}

fn resolve(store: &store::Store, scope: Scope, f: &LiveFilter) -> ApiResult<Watch> {
    let departments = match f.department {
        Some(d) => Some(store.department_subtrees(&[d])?.into_iter().collect()),
        None => None,
    };
    let extensions = match f.extension.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(number) => Some(store.extension_ids_of_number(number)?.into_iter().collect()),
    };
    let call_type = match f.call_type.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(name) => Some(crate::routes::calls::call_type_code(name)?),
    };
    let names = reporting::Names::load(store).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Watch { scope, departments, extensions, call_type, names })
}

/// What has gone by since the last event.
#[derive(Default)]
struct Pending {
    calls: u64,
    cost: Amount,
    newest: Vec<CallRecord>,
    missed: u64,
}

impl Pending {
    fn add(&mut self, watch: &Watch, batch: &LiveBatch) {
        for t in batch.tallies.iter().filter(|t| watch.keeps_tally(t)) {
            self.calls += 1;
            self.cost = self.cost + t.cost;
        }
        self.newest.extend(batch.sample.iter().filter(|r| watch.keeps_call(r)).cloned());
        let extra = self.newest.len().saturating_sub(SHOWN);
        self.newest.drain(..extra);
    }

    fn event(&mut self, watch: &Watch, elapsed: Duration) -> Event {
        let pending = std::mem::take(self);
        let shown = pending.newest.len() as u64;
        let body = LiveEvent {
            calls: pending.calls,
            cost: pending.cost.to_string(),
            per_second: (pending.calls as f64 / elapsed.as_secs_f64().max(0.001)).round() as u64,
            newest: pending.newest.iter().rev().map(|r| watch.view(r)).collect(),
            sampled: pending.calls > shown,
            missed_batches: pending.missed,
        };
        Event::default().event("calls").json_data(body).expect("an event serialises")
    }
}

/// The calls being stored, as server-sent events (`event: calls`, data a
/// `LiveEvent`), one per interval.
#[utoipa::path(get, path = "/live", tag = "calls", params(LiveFilter),
    responses((status = 200, description = "text/event-stream of `LiveEvent`s", body = LiveEvent,
        content_type = "text/event-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn live(
    State(state): State<ApiState>,
    caller: Allowed<need::CallsRead>,
    Query(f): Query<LiveFilter>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let interval = Duration::from_millis(f.interval_ms.unwrap_or(1000).max(250));
    let watch = state
        .db
        .run(move |s| {
            let scope = caller.scope(s)?;
            resolve(s, scope, &f)
        })
        .await?;
    let receiver = state.live.subscribe();
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = (receiver, ticks, Arc::new(watch), Pending::default(), Instant::now());
    let stream = futures_util::stream::unfold(
        start,
        |(mut rx, mut ticks, watch, mut pending, mut since)| async move {
            loop {
                tokio::select! {
                    batch = rx.recv() => match batch {
                        Ok(batch) => pending.add(&watch, &batch),
                        Err(RecvError::Lagged(n)) => pending.missed += n,
                        Err(RecvError::Closed) => return None,
                    },
                    _ = ticks.tick() => {
                        let event = pending.event(&watch, since.elapsed());
                        since = Instant::now();
                        return Some((Ok(event), (rx, ticks, watch, pending, since)));
                    }
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
