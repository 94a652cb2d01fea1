//! The quarantine: records that could not be stored, kept with their
//! bytes, place and reason; and retrying them (after a format or the
//! directory was fixed) through `ingest::retry`, as `bluewhale quarantine
//! retry` does.

use crate::audit::entry;
use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::routes::directory::{record_audit, with_own_store};
use crate::state::ApiState;
use crate::views::{audit_json, time};
use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ingest::{Context, Item, Origin};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use store::{QuarantineEntry, Store};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(retry_one))
        .routes(routes!(retry_many))
}

/// Records listed per page by default, and at most.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;
/// Records one retry request takes at most (oldest first).
const MAX_RETRY: usize = 10_000;

/// A quarantined record.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineView {
    pub id: i64,
    /// RFC 3339 (UTC).
    pub received_at: String,
    pub pbx: String,
    pub format: String,
    /// Where it was read: `file:line`, or `source@offset`.
    pub place: String,
    /// Why it could not be stored (as of its last reading).
    pub reason: String,
    /// Its bytes as text, invalid UTF-8 replaced by U+FFFD.
    pub raw_text: String,
    /// Its bytes exactly, base64.
    pub raw_base64: String,
    /// The header line that gives it its columns (CUCM), as text.
    pub header_text: Option<String>,
    /// Whether a retry stored it (or found it stored).
    pub released: bool,
    /// RFC 3339 (UTC), when released.
    pub released_at: Option<String>,
}

impl From<&QuarantineEntry> for QuarantineView {
    fn from(e: &QuarantineEntry) -> QuarantineView {
        let q = &e.item;
        QuarantineView {
            id: e.id,
            received_at: time(e.received_at),
            pbx: q.pbx.clone(),
            format: q.format.clone(),
            place: q.location.to_string(),
            reason: q.reason.clone(),
            raw_text: String::from_utf8_lossy(&q.raw).into_owned(),
            raw_base64: STANDARD.encode(&q.raw),
            header_text: q.header.as_deref().map(|h| String::from_utf8_lossy(h).into_owned()),
            released: e.released_at.is_some(),
            released_at: e.released_at.map(time),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct QuarantineFilter {
    /// Include records already released by a retry (default false).
    pub all: Option<bool>,
    /// Only records of this PBX (by name).
    pub pbx: Option<String>,
    /// Records after this id (the previous page's `next`).
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinePage {
    /// Oldest first.
    pub records: Vec<QuarantineView>,
    /// Records held (not released) in all, whatever the filter.
    pub held: u64,
    /// Pass as `after` for the next page; null on the last.
    pub next: Option<i64>,
}

/// Ids of the records `all`/`pbx` select after `after`, oldest first.
fn ids(
    store: &Store,
    all: bool,
    pbx: Option<&str>,
    after: i64,
    limit: usize,
) -> ApiResult<Vec<i64>> {
    let mut stmt = store
        .connection()
        .prepare_cached(
            "SELECT id FROM quarantine WHERE (?1 OR released_at IS NULL)
             AND (?2 IS NULL OR pbx = ?2) AND id > ?3 ORDER BY id LIMIT ?4",
        )
        .map_err(store::Error::from)?;
    let rows = stmt
        .query_map((all, pbx, after, limit as i64), |r| r.get(0))
        .map_err(store::Error::from)?;
    Ok(rows.collect::<Result<_, _>>().map_err(store::Error::from)?)
}

fn entries(store: &Store, ids: &[i64]) -> ApiResult<Vec<QuarantineEntry>> {
    Ok(ids
        .iter()
        .map(|&id| store.quarantine_get(id))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Quarantined records, oldest first, a page at a time: those held (or
/// all with `all=true`), of one PBX with `pbx`.
#[utoipa::path(get, path = "/quarantine", tag = "quarantine", params(QuarantineFilter),
    responses((status = 200, body = QuarantinePage), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<ApiState>,
    _: Allowed<need::QuarantineRead>,
    Query(f): Query<QuarantineFilter>,
) -> ApiResult<Json<QuarantinePage>> {
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let page = state
        .db
        .run(move |s| {
            let pbx = f.pbx.as_deref().map(str::trim).filter(|p| !p.is_empty());
            let mut found = ids(s, f.all.unwrap_or(false), pbx, f.after.unwrap_or(0), limit + 1)?;
            let next = (found.len() > limit).then(|| found[limit - 1]);
            found.truncate(limit);
            let records = entries(s, &found)?.iter().map(QuarantineView::from).collect();
            Ok(QuarantinePage { records, held: s.quarantine_count()?, next })
        })
        .await?;
    Ok(Json(page))
}

/// One quarantined record with its bytes.
#[utoipa::path(get, path = "/quarantine/{id}", tag = "quarantine",
    params(("id" = i64, Path, description = "Quarantined record id")),
    responses((status = 200, body = QuarantineView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn one(
    State(state): State<ApiState>,
    _: Allowed<need::QuarantineRead>,
    Path(id): Path<i64>,
) -> ApiResult<Json<QuarantineView>> {
    let entry = state
        .db
        .run(move |s| {
            s.quarantine_get(id)?
                .ok_or_else(|| ApiError::not_found(format!("no quarantined record {id}")))
        })
        .await?;
    Ok(Json(QuarantineView::from(&entry)))
}

/// What became of one retried record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetriedRecord {
    pub id: i64,
    /// `stored`, `duplicate` (the same call was stored already; released
    /// too) or `still_bad`.
    pub outcome: String,
    /// `still_bad`: why, as of this retry.
    pub reason: Option<String>,
}

/// What a retry did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetryResult {
    /// Counts from the retry itself.
    pub stored: u64,
    pub duplicates: u64,
    pub still_bad: u64,
    /// Each record retried, oldest first.
    pub records: Vec<RetriedRecord>,
    /// Records still held after this retry (all PBXs).
    pub held: u64,
}

/// What a held record becomes if parsed now: a call (its key), a quality
/// record (its key), or still bad (why).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Reading {
    Call(i64, i64),
    Quality(String, String, i64),
    Bad(String),
    /// Its format name no longer resolves (a definition file gone…).
    /// `ingest::retry` fails as a whole on such a record, so it is left
    /// out of the retry and stays held.
    NoFormat(String),
}

/// Reads each record as `ingest::retry` will (same context, format,
/// header, PBX and `Origin::item`), storing nothing: the retry itself
/// reports counts only, and these readings say which record each count
/// is and why a record stays bad.
fn readings(store: &Store, entries: &[QuarantineEntry]) -> ApiResult<Vec<Reading>> {
    let context = Context::load(store).map_err(ApiError::internal)?;
    let mut formats: HashMap<String, Result<parsers::Format, String>> = HashMap::new();
    let now = jiff::Timestamp::now();
    Ok(entries
        .iter()
        .map(|entry| {
            let q = &entry.item;
            let format = match formats
                .entry(q.format.clone())
                .or_insert_with(|| parsers::Format::by_name(&q.format))
            {
                Ok(format) => format,
                Err(why) => return Reading::NoFormat(why.clone()),
            };
            let pbx = context.index.pbx(&q.pbx);
            let ctx = cdr::ParserContext {
                time_zone: pbx.map_or(jiff::tz::TimeZone::UTC, |p| p.time_zone.clone()),
                received: jiff::Timestamp::from_second(entry.received_at).unwrap_or(now),
            };
            let mut parser = format.parser(&ctx);
            if let Some(header) = &q.header {
                let _ = parser.parse(header);
            }
            let format_name = format.name();
            let origin = Origin::new(&q.pbx, pbx, &format_name, 0, &context);
            let (raw, header) = (&q.raw, q.header.as_deref());
            match origin.item(parser.parse(raw), raw, q.location.clone(), header, &mut Vec::new()) {
                Some(Item::Call(row)) => Reading::Call(row.start_s, row.dedup),
                Some(Item::Quality { record, .. }) => Reading::Quality(
                    record.global_call_id.to_string(),
                    record.leg_id.to_string(),
                    record.identity as i64,
                ),
                Some(Item::Bad(bad)) => Reading::Bad(bad.reason),
                None => Reading::Bad("the bytes hold no record".into()),
            }
        })
        .collect())
}

/// Whether what `reading` would store is stored already.
fn stored_already(store: &Store, reading: &Reading) -> ApiResult<bool> {
    let conn = store.connection();
    let found = match reading {
        Reading::Call(start, dedup) => conn
            .prepare_cached("SELECT 1 FROM cdr WHERE start_s = ?1 AND dedup = ?2")
            .and_then(|mut s| s.exists((start, dedup))),
        Reading::Quality(call, leg, identity) => conn
            .prepare_cached(
                "SELECT 1 FROM quality WHERE global_call_id = ?1 AND leg_id = ?2 AND identity = ?3",
            )
            .and_then(|mut s| s.exists((call, leg, identity))),
        Reading::Bad(_) | Reading::NoFormat(_) => Ok(false),
    };
    Ok(found.map_err(store::Error::from)?)
}

/// Retries `entries` (held records) and says what became of each.
fn retry(store: &mut Store, entries: Vec<QuarantineEntry>) -> ApiResult<RetryResult> {
    let readings = readings(store, &entries)?;
    // A record whose call is stored already, or comes earlier in this
    // retry, will be a duplicate.
    let mut seen = HashSet::new();
    let mut duplicate = Vec::with_capacity(entries.len());
    for reading in &readings {
        let stores = matches!(reading, Reading::Call(..) | Reading::Quality(..));
        duplicate.push(stores && (stored_already(store, reading)? || !seen.insert(reading)));
    }
    let retried: Vec<i64> = entries
        .iter()
        .zip(&readings)
        .filter(|(_, r)| !matches!(r, Reading::NoFormat(_)))
        .map(|(e, _)| e.id)
        .collect();
    let outcome = if retried.is_empty() {
        ingest::RetryOutcome::default()
    } else {
        ingest::retry(store, Some(&retried), None).map_err(ApiError::internal)?
    };
    let mut records = Vec::with_capacity(entries.len());
    let mut unreadable = 0;
    for ((entry, reading), duplicate) in entries.iter().zip(&readings).zip(duplicate) {
        let released = store.quarantine_get(entry.id)?.is_some_and(|e| e.released_at.is_some());
        let (outcome, reason) = match (released, reading) {
            (true, _) if duplicate => ("duplicate", None),
            (true, _) => ("stored", None),
            (false, Reading::NoFormat(why)) => {
                unreadable += 1;
                ("still_bad", Some(why.clone()))
            }
            (false, Reading::Bad(why)) => ("still_bad", Some(why.clone())),
            (false, _) => ("still_bad", Some("not stored by the retry".to_string())),
        };
        records.push(RetriedRecord { id: entry.id, outcome: outcome.into(), reason });
    }
    Ok(RetryResult {
        stored: outcome.stored,
        duplicates: outcome.duplicates,
        still_bad: outcome.still_held + unreadable,
        records,
        held: store.quarantine_count()?,
    })
}

/// Parses one held record again and stores it if it now passes (its PBX
/// was added to the directory, its format fixed…): `stored`, `duplicate`
/// (released: the same call was stored already) or `still_bad` with the
/// reason as of now. A record already released is a 409. Audited (the
/// result as `after`).
#[utoipa::path(post, path = "/quarantine/{id}/retry", tag = "quarantine",
    params(("id" = i64, Path, description = "Quarantined record id")),
    responses((status = 200, body = RetryResult), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retry_one(
    State(state): State<ApiState>,
    caller: Allowed<need::QuarantineRetry>,
    Path(id): Path<i64>,
) -> ApiResult<Json<RetryResult>> {
    let mut audit = entry(&caller, "quarantine.retry", "quarantine", Some(id.to_string()));
    let result = with_own_store(&state.db, move |s| {
        let entry = s
            .quarantine_get(id)?
            .ok_or_else(|| ApiError::not_found(format!("no quarantined record {id}")))?;
        if let Some(at) = entry.released_at {
            return Err(ApiError::conflict(format!(
                "quarantined record {id} was released at {}",
                time(at)
            )));
        }
        audit.before = audit_json(&QuarantineView::from(&entry));
        let result = retry(s, vec![entry])?;
        audit.after = audit_json(&result);
        record_audit(s, audit)?;
        Ok(result)
    })
    .await?;
    Ok(Json(result))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct RetryFilter {
    /// Only records of this PBX (by name).
    pub pbx: Option<String>,
    /// At most this many, oldest first (default and most: 10000); repeat
    /// while `held` is not 0 to go through more.
    pub limit: Option<usize>,
}

/// Parses held records again — all, or one PBX's — and stores those that
/// now pass; says what became of each. Audited (the filter and counts as
/// `after`).
#[utoipa::path(post, path = "/quarantine/retry", tag = "quarantine", params(RetryFilter),
    responses((status = 200, body = RetryResult), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn retry_many(
    State(state): State<ApiState>,
    caller: Allowed<need::QuarantineRetry>,
    Query(f): Query<RetryFilter>,
) -> ApiResult<Json<RetryResult>> {
    let limit = f.limit.unwrap_or(MAX_RETRY).clamp(1, MAX_RETRY);
    let pbx = f.pbx.map(|p| p.trim().to_string()).filter(|p| !p.is_empty());
    let mut audit = entry(&caller, "quarantine.retry", "quarantine", None);
    let result = with_own_store(&state.db, move |s| {
        let found = ids(s, false, pbx.as_deref(), 0, limit)?;
        let held = entries(s, &found)?;
        let result = retry(s, held)?;
        if result.records.is_empty() {
            // Nothing was held: nothing changed, nothing to audit.
            return Ok(result);
        }
        #[derive(Serialize)]
        struct Retried<'r> {
            pbx: Option<&'r str>,
            stored: u64,
            duplicates: u64,
            still_bad: u64,
        }
        audit.after = audit_json(&Retried {
            pbx: pbx.as_deref(),
            stored: result.stored,
            duplicates: result.duplicates,
            still_bad: result.still_bad,
        });
        record_audit(s, audit)?;
        Ok(result)
    })
    .await?;
    Ok(Json(result))
}
