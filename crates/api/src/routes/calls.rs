//! Stored calls: search with filters, sorting and paging; one call; a
//! streamed export. Every query is narrowed to the caller's scope.

use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::roles::Scope;
use crate::state::ApiState;
use crate::views::time;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use store::{Amount, CdrQuery, ChargeStatus, LegDetail, Store, StoredCall};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(search)).routes(routes!(export)).routes(routes!(one_call))
}

/// Results per page by default, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;
/// Calls sorted by cost or duration are sorted in memory: at most this many.
const MAX_SORTED: usize = 100_000;
/// The first window searched backwards for newest-first results; it grows
/// while too few calls are found.
const FIRST_WINDOW_S: i64 = 900;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct CallFilter {
    /// Start of the period: RFC 3339, or a UTC day `YYYY-MM-DD`. Default: today (UTC) 00:00.
    pub from: Option<String>,
    /// End of the period, exclusive: RFC 3339, or a UTC day `YYYY-MM-DD` (included). Default: now.
    pub to: Option<String>,
    /// Calls billed to this extension number (a leg of a logical call is
    /// billed to its payer).
    pub extension: Option<String>,
    /// Calls billed to this department and the ones below it (id).
    pub department: Option<i64>,
    /// Calling or dialled number contains this.
    pub number: Option<String>,
    /// `internal`, `onnet`, `local`, `national`, `mobile`, `international`, `free`, `inbound`, `unknown`.
    pub call_type: Option<String>,
    /// Carrier id.
    pub carrier: Option<i64>,
    /// Cost at least (decimal).
    pub cost_min: Option<String>,
    /// Cost at most (decimal).
    pub cost_max: Option<String>,
    /// `start`, `-start` (default), `cost`, `-cost`, `duration` or `-duration`.
    pub sort: Option<String>,
    /// Results per page (default 50, at most 1000).
    pub limit: Option<usize>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// Export only: `csv` (default) or `json` (one object per line).
    pub format: Option<String>,
}

/// A call as the API shows it. Money is a decimal string.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallView {
    pub id: String,
    pub start: String,
    pub answer: Option<String>,
    pub end: String,
    pub duration_s: u32,
    pub ring_s: Option<u32>,
    pub direction: String,
    pub disposition: String,
    pub calling: String,
    pub dialled: String,
    pub extension: String,
    pub user: Option<String>,
    pub department: Option<String>,
    pub pbx: String,
    pub call_type: Option<String>,
    pub destination: Option<String>,
    pub e164: Option<String>,
    pub carrier: Option<String>,
    pub cost: Option<String>,
    pub reference: Option<String>,
    pub savings: Option<String>,
    pub currency: Option<String>,
    /// `rated`, `free` or `unrated`; absent before rating.
    pub status: Option<String>,
    pub reason: Option<String>,
    pub trunk_in: String,
    pub trunk_out: String,
    pub account_code: String,
}

/// A call with every stored field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallDetail {
    #[serde(flatten)]
    pub call: CallView,
    pub original_called: String,
    pub final_called: String,
    pub last_redirecting: String,
    pub auth_code: String,
    pub client_matter: String,
    pub device_orig: String,
    pub device_dest: String,
    pub cause_orig: String,
    pub cause_dest: String,
    pub global_call_id: String,
    pub orig_leg_id: String,
    pub dest_leg_id: String,
    pub source: Option<String>,
    pub source_position: i64,
    /// Vendor fields kept as they came.
    pub extras: std::collections::BTreeMap<String, String>,
    /// How it was priced: tariff version, prefix, bands, units.
    pub price: Option<PriceView>,
    /// When the call is a leg of a logical call (a transfer's, a
    /// conference's…): the logical call's id (that of its first leg).
    pub logical_call: Option<String>,
    /// What correlation recognised in the logical call (`transfer`,
    /// `conference`, …).
    pub features: Vec<String>,
    /// The legs of the logical call the caller may see, this one included,
    /// in start order: who pays for each and which one the call is counted
    /// by. Empty for a call of its own.
    pub legs: Vec<LegView>,
}

/// One leg of a logical call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LegView {
    /// The leg's call id.
    pub id: String,
    pub start: String,
    pub calling: String,
    pub dialled: String,
    /// Its part: `ordinary`, `before_transfer`, `transferred`,
    /// `before_conference`, `conference_leg`, `forwarded`, `diverted`,
    /// `parked`, `retrieved`, `picked_up`, `rang_elsewhere`, `other_side`,
    /// `barge`, `recording` or `monitoring`.
    pub part: String,
    /// Who pays for it; null: nobody (a recording or monitoring leg, or a
    /// payer the directory does not know).
    pub payer: Option<PayerView>,
    /// Whether the logical call is counted by this leg (exactly one leg
    /// of a call is, unless all are recording or monitoring legs).
    pub counted: bool,
    /// Why it is billed so, in words.
    pub reason: String,
    /// Whether this is the call the detail is of.
    pub this_call: bool,
}

/// The extension that pays for a leg, as it was when the leg started.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayerView {
    pub extension_id: i64,
    /// The extension's number; null if the directory no longer has it.
    pub extension: Option<String>,
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceView {
    pub carrier: String,
    pub version: String,
    pub prefix: String,
    pub destination: String,
    pub billed_s: u32,
    pub units: u32,
    pub discount: String,
    /// Bands used: name, seconds, units.
    pub bands: Vec<(String, u32, u32)>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallPage {
    pub calls: Vec<CallView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next: Option<String>,
}

fn text(t: &cdr::Text) -> String {
    t.to_string()
}

fn opt(t: &str) -> Option<String> {
    (!t.is_empty()).then(|| t.to_string())
}

impl CallView {
    pub fn of(c: &StoredCall) -> CallView {
        let r = &c.record;
        let ch = r.charge.as_ref();
        CallView {
            id: r.id(),
            start: time(r.start_s),
            answer: r.answer_s.map(time),
            end: time(r.end_s),
            duration_s: r.duration_s,
            ring_s: r.ring_s,
            direction: r.direction.as_str().to_string(),
            disposition: r.disposition.as_str().to_string(),
            calling: text(&r.calling),
            dialled: text(&r.dialled),
            extension: text(&r.extension),
            user: c.user.clone(),
            department: c.department.clone(),
            pbx: c.pbx.clone(),
            call_type: ch.map(|c| charging::call_type_of(c.call_type).as_str().to_string()),
            destination: ch.and_then(|c| opt(&c.destination)),
            e164: ch.and_then(|c| opt(&c.e164)),
            carrier: ch.and_then(|c| c.price.as_ref()).and_then(|p| opt(&p.carrier)),
            cost: ch.map(|c| c.cost.to_string()),
            reference: ch.map(|c| c.reference.to_string()),
            savings: ch.map(|c| c.savings().to_string()),
            currency: ch.and_then(|c| opt(&c.currency)),
            status: ch.map(|c| c.status.as_str().to_string()),
            reason: ch.and_then(|c| opt(&c.reason)),
            trunk_in: text(&r.trunk_in),
            trunk_out: text(&r.trunk_out),
            account_code: text(&r.account_code),
        }
    }
}

impl LegView {
    fn of(leg: &LegDetail, this_call: (i64, i64)) -> LegView {
        let b = &leg.billing;
        LegView {
            id: store::call_id(b.start_s, b.dedup),
            start: time(b.start_s),
            calling: leg.calling.clone(),
            dialled: leg.dialled.clone(),
            part: b.part.to_string(),
            payer: b.payer.map(|(extension_id, department_id)| PayerView {
                extension_id,
                extension: leg.payer_number.clone(),
                department_id,
            }),
            counted: b.counted,
            reason: correlate::Reason::describe_stored(&b.reason).to_string(),
            this_call: (b.start_s, b.dedup) == this_call,
        }
    }
}

impl CallDetail {
    /// The call with its logical call's legs that `scope` lets one see (a
    /// leg belongs to its payer).
    fn with_legs(c: &StoredCall, store: &Store, scope: &Scope) -> ApiResult<CallDetail> {
        let mut detail = CallDetail::of(c);
        let Some(leg) = &c.leg else { return Ok(detail) };
        let key = (c.record.start_s, c.record.dedup);
        let visible = |l: &LegDetail| {
            let b = &l.billing;
            let (department, extension) = b.payer.map_or((0, 0), |(e, d)| (d.unwrap_or(0), e));
            (b.start_s, b.dedup) == key || scope.keeps(department, extension)
        };
        detail.logical_call = Some(store::call_id(leg.call.0, leg.call.1));
        detail.features =
            leg.features.split(',').filter(|f| !f.is_empty()).map(String::from).collect();
        detail.legs = store
            .leg_details(leg.call)?
            .iter()
            .filter(|l| visible(l))
            .map(|l| LegView::of(l, key))
            .collect();
        Ok(detail)
    }

    fn of(c: &StoredCall) -> CallDetail {
        let r = &c.record;
        CallDetail {
            call: CallView::of(c),
            original_called: text(&r.original_called),
            final_called: text(&r.final_called),
            last_redirecting: text(&r.last_redirecting),
            auth_code: text(&r.auth_code),
            client_matter: text(&r.client_matter),
            device_orig: text(&r.device_orig),
            device_dest: text(&r.device_dest),
            cause_orig: text(&r.cause_orig),
            cause_dest: text(&r.cause_dest),
            global_call_id: text(&r.global_call_id),
            orig_leg_id: text(&r.orig_leg_id),
            dest_leg_id: text(&r.dest_leg_id),
            source: c.source.clone(),
            source_position: r.source_pos,
            extras: r.extras.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            price: r.charge.as_ref().and_then(|c| c.price.as_ref()).map(|p| PriceView {
                carrier: text(&p.carrier),
                version: text(&p.version),
                prefix: text(&p.prefix),
                destination: text(&p.destination),
                billed_s: p.billed_s,
                units: p.units,
                discount: p.discount.to_string(),
                bands: p.bands.iter().map(|(n, s, u)| (n.to_string(), *s, *u)).collect(),
            }),
            logical_call: None,
            features: Vec::new(),
            legs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Start,
    StartDesc,
    Cost,
    CostDesc,
    Duration,
    DurationDesc,
}

impl Sort {
    fn parse(s: Option<&str>) -> ApiResult<Sort> {
        Ok(match s.unwrap_or("-start") {
            "start" => Sort::Start,
            "-start" => Sort::StartDesc,
            "cost" => Sort::Cost,
            "-cost" => Sort::CostDesc,
            "duration" => Sort::Duration,
            "-duration" => Sort::DurationDesc,
            other => {
                return Err(ApiError::bad_request(format!(
                    "sort {other:?}: start, -start, cost, -cost, duration or -duration"
                )));
            }
        })
    }
}

/// Where a page starts: after a call (by key), or at an offset of a sorted list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    After(i64, i64),
    Offset(usize),
}

impl Cursor {
    fn encode(self) -> String {
        let plain = match self {
            Cursor::After(s, d) => format!("k{s}:{d}"),
            Cursor::Offset(n) => format!("o{n}"),
        };
        URL_SAFE_NO_PAD.encode(plain)
    }

    fn decode(s: &str) -> ApiResult<Cursor> {
        let bad = || ApiError::bad_request("cursor: not one this API gave");
        let plain =
            String::from_utf8(URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?).map_err(|_| bad())?;
        if let Some(key) = plain.strip_prefix('k') {
            let (s, d) = key.split_once(':').ok_or_else(bad)?;
            return Ok(Cursor::After(s.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?));
        }
        let n = plain.strip_prefix('o').ok_or_else(bad)?;
        Ok(Cursor::Offset(n.parse().map_err(|_| bad())?))
    }
}

/// The filters, checked and resolved against the store and the caller's scope.
#[derive(Debug, Clone)]
struct Search {
    query: CdrQuery,
    number: Option<String>,
    call_type: Option<u8>,
    carrier: Option<i64>,
    cost_min: Option<Amount>,
    cost_max: Option<Amount>,
    /// The scope leaves nothing to see.
    empty: bool,
}

fn period_bound(name: &str, value: Option<&str>, end: bool) -> ApiResult<Option<i64>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Ok(Some(t.as_second()));
    }
    if let Ok(d) = v.parse::<jiff::civil::Date>() {
        let day = d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let s = day.timestamp().as_second();
        return Ok(Some(if end { s + 86_400 } else { s }));
    }
    Err(ApiError::bad_request(format!("{name}: not an RFC 3339 time or a YYYY-MM-DD day: {v:?}")))
}

fn amount(name: &str, v: &Option<String>) -> ApiResult<Option<Amount>> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            rust_decimal::Decimal::from_str(v)
                .map_err(|_| ApiError::bad_request(format!("{name}: not a decimal number: {v:?}")))
                .and_then(|d| Amount::from_decimal(d).map_err(ApiError::bad_request))
        })
        .transpose()
}

impl Search {
    fn new(f: &CallFilter, scope: &Scope, store: &Store) -> ApiResult<Search> {
        let now = jiff::Timestamp::now().as_second();
        let from =
            period_bound("from", f.from.as_deref(), false)?.unwrap_or(now - now.rem_euclid(86_400));
        let to = period_bound("to", f.to.as_deref(), true)?.unwrap_or(now + 1);
        if to <= from {
            return Err(ApiError::bad_request("to must be after from"));
        }
        let call_type = match f.call_type.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(name) => {
                let t = call_type_code(name)?;
                Some(t)
            }
        };
        let mut query = CdrQuery { from_s: from, to_s: to, ..CdrQuery::default() };
        query.extension_number = f.extension.clone().filter(|e| !e.trim().is_empty());
        let mut empty = false;
        let requested = match f.department {
            Some(d) => Some(store.department_subtrees(&[d])?),
            None => None,
        };
        match scope {
            Scope::All => query.department_ids = requested,
            Scope::Departments(mine) => {
                let allowed: Vec<i64> = match requested {
                    Some(r) => r.into_iter().filter(|d| mine.contains(d)).collect(),
                    None => mine.clone(),
                };
                empty = allowed.is_empty();
                query.department_ids = Some(allowed);
            }
            Scope::Extensions(mine) => {
                empty = mine.is_empty();
                query.extension_ids = Some(mine.clone());
                if let Some(r) = requested {
                    query.department_ids = Some(r);
                }
            }
        }
        if let Some(number) = &query.extension_number {
            // Through the owners' rows, not a scan of the period: the
            // directory's extensions with that number, or, for a number it
            // does not know, the calls filed under no extension.
            let mut ids = store.extension_ids_of_number(number)?;
            if ids.is_empty() {
                ids.push(0);
            }
            if let Some(mine) = &query.extension_ids {
                ids.retain(|id| mine.contains(id));
                empty |= ids.is_empty();
            }
            query.extension_ids = Some(ids);
        }
        Ok(Search {
            query,
            number: f.number.clone().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
            call_type,
            carrier: f.carrier,
            cost_min: amount("cost_min", &f.cost_min)?,
            cost_max: amount("cost_max", &f.cost_max)?,
            empty,
        })
    }

    /// The filters the store does not apply.
    fn matches(&self, c: &StoredCall) -> bool {
        let r = &c.record;
        // The number's calls: those filed under it, and the legs billed to
        // its extensions (found through the owners' rows, whatever
        // extension their record names).
        if let Some(n) = &self.query.extension_number
            && r.extension != n.as_str()
            && c.billed_to().1.is_none()
        {
            return false;
        }
        if let Some(n) = &self.number
            && !r.calling.contains(n.as_str())
            && !r.dialled.contains(n.as_str())
        {
            return false;
        }
        let charge = r.charge.as_ref();
        if let Some(t) = self.call_type
            && charge.map(|c| c.call_type) != Some(t)
        {
            return false;
        }
        if let Some(id) = self.carrier
            && charge.map(|c| c.carrier_id) != Some(id)
        {
            return false;
        }
        let cost = charge.filter(|c| c.status != ChargeStatus::Unrated).map(|c| c.cost);
        if let Some(min) = self.cost_min
            && cost.is_none_or(|c| c < min)
        {
            return false;
        }
        if let Some(max) = self.cost_max
            && cost.is_none_or(|c| c > max)
        {
            return false;
        }
        true
    }

    /// Matching calls with start in [from, to), in key order, while `each`
    /// returns true.
    fn each(
        &self,
        store: &Store,
        from: i64,
        to: i64,
        each: &mut dyn FnMut(StoredCall) -> bool,
    ) -> ApiResult<()> {
        if self.empty || to <= from {
            return Ok(());
        }
        let q = CdrQuery { from_s: from, to_s: to, limit: None, ..self.query.clone() };
        store.walk_cdrs(&q, |call| Ok(!self.matches(&call) || each(call)))?;
        Ok(())
    }

    /// One page in `sort` order from `cursor`: up to `limit` calls and the next cursor.
    fn page(
        &self,
        store: &Store,
        sort: Sort,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> ApiResult<(Vec<StoredCall>, Option<Cursor>)> {
        let (from, to) = (self.query.from_s, self.query.to_s);
        let mut calls = Vec::new();
        match sort {
            Sort::Start => {
                let after = match cursor {
                    Some(Cursor::After(s, d)) => Some((s, d)),
                    None => None,
                    Some(Cursor::Offset(_)) => return Err(wrong_cursor()),
                };
                if self.owner_filtered() {
                    self.by_keys(store, false, after, limit, &mut calls)?;
                    return Ok(page_of(calls, limit));
                }
                let start = after.map_or(from, |(s, _)| s.max(from));
                self.each(store, start, to, &mut |c| {
                    let key = (c.record.start_s, c.record.dedup);
                    if after.is_none_or(|a| key > a) {
                        calls.push(c);
                    }
                    calls.len() <= limit
                })?;
            }
            Sort::StartDesc => {
                let before = match cursor {
                    Some(Cursor::After(s, d)) => Some((s, d)),
                    None => None,
                    Some(Cursor::Offset(_)) => return Err(wrong_cursor()),
                };
                if self.owner_filtered() {
                    self.by_keys(store, true, before, limit, &mut calls)?;
                    return Ok(page_of(calls, limit));
                }
                // Windows walked backwards from the end, widening while
                // they hold too few calls; over a stretch with no call at
                // all, straight to the latest call before it.
                let mut end = before.map_or(to, |(s, _)| (s + 1).min(to));
                let mut width = FIRST_WINDOW_S;
                while end > from && calls.len() <= limit {
                    let start = (end - width).max(from);
                    let mut window = Vec::new();
                    self.each(store, start, end, &mut |c| {
                        let key = (c.record.start_s, c.record.dedup);
                        if before.is_none_or(|b| key < b) {
                            window.push(c);
                        }
                        true
                    })?;
                    let found = !window.is_empty();
                    calls.extend(window.into_iter().rev());
                    end = start;
                    if !found && !self.empty {
                        match store.latest_start_before(start)? {
                            Some(latest) => end = (latest + 1).min(end),
                            None => break,
                        }
                        width = FIRST_WINDOW_S;
                    } else if calls.len() <= limit {
                        width = width.saturating_mul(4);
                    }
                }
            }
            Sort::Cost | Sort::CostDesc | Sort::Duration | Sort::DurationDesc => {
                let offset = match cursor {
                    Some(Cursor::Offset(n)) => n,
                    None => 0,
                    Some(Cursor::After(..)) => return Err(wrong_cursor()),
                };
                let mut too_many = false;
                self.each(store, from, to, &mut |c| {
                    calls.push(c);
                    too_many = calls.len() > MAX_SORTED;
                    !too_many
                })?;
                if too_many {
                    return Err(ApiError::bad_request(format!(
                        "more than {MAX_SORTED} calls match: narrow the period or the filters to sort by cost or duration"
                    )));
                }
                let cost = |c: &StoredCall| c.record.charge.as_ref().map(|ch| ch.cost);
                match sort {
                    Sort::Cost => calls.sort_by_key(|c| cost(c)),
                    Sort::CostDesc => calls.sort_by_key(|c| std::cmp::Reverse(cost(c))),
                    Sort::Duration => calls.sort_by_key(|c| c.record.duration_s),
                    _ => calls.sort_by_key(|c| std::cmp::Reverse(c.record.duration_s)),
                }
                let total = calls.len();
                calls.drain(..offset.min(total));
                calls.truncate(limit + 1);
                let next = (calls.len() > limit).then_some(Cursor::Offset(offset + limit));
                calls.truncate(limit);
                return Ok((calls, next));
            }
        }
        Ok(page_of(calls, limit))
    }

    /// Whether the store finds the calls through their owners' rows.
    fn owner_filtered(&self) -> bool {
        self.query.extension_ids.is_some() || self.query.department_ids.is_some()
    }

    /// Up to `limit + 1` matching calls of the owners, in key order (or
    /// reversed) from `cursor`: the keys come from the owners' rows, and
    /// only the calls a page needs are read.
    fn by_keys(
        &self,
        store: &Store,
        descending: bool,
        cursor: Option<(i64, i64)>,
        limit: usize,
        calls: &mut Vec<StoredCall>,
    ) -> ApiResult<()> {
        if self.empty {
            return Ok(());
        }
        let keys = store.owner_call_keys(&self.query)?;
        let take = |c: StoredCall| {
            if self.matches(&c) {
                calls.push(c);
            }
            Ok(calls.len() <= limit)
        };
        if descending {
            let end = cursor.map_or(keys.len(), |k| keys.partition_point(|x| *x < k));
            store.calls_by_keys(keys[..end].iter().rev().copied(), take)?;
        } else {
            let start = cursor.map_or(0, |k| keys.partition_point(|x| *x <= k));
            store.calls_by_keys(keys[start..].iter().copied(), take)?;
        }
        Ok(())
    }
}

/// A page of `limit` calls, with the cursor after its last when more follow.
fn page_of(mut calls: Vec<StoredCall>, limit: usize) -> (Vec<StoredCall>, Option<Cursor>) {
    let next = (calls.len() > limit).then(|| {
        let last = &calls[limit - 1].record;
        Cursor::After(last.start_s, last.dedup)
    });
    calls.truncate(limit);
    (calls, next)
}

fn wrong_cursor() -> ApiError {
    ApiError::bad_request("cursor: it belongs to another sort order")
}

/// The stored code of a call type named in a request.
pub fn call_type_code(name: &str) -> ApiResult<u8> {
    classify_call_type(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "call_type {name:?}: internal, onnet, local, national, mobile, international, free, inbound or unknown"
        ))
    })
}

fn classify_call_type(name: &str) -> Option<u8> {
    classify::CallType::parse(name).map(charging::call_type_code)
}

/// Calls in the period matching the filters, a page at a time.
#[utoipa::path(get, path = "/calls", tag = "calls", params(CallFilter),
    responses((status = 200, body = CallPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn search(
    State(state): State<ApiState>,
    caller: Allowed<need::CallsRead>,
    Query(f): Query<CallFilter>,
) -> ApiResult<Json<CallPage>> {
    let sort = Sort::parse(f.sort.as_deref())?;
    let cursor = f.cursor.as_deref().filter(|c| !c.is_empty()).map(Cursor::decode).transpose()?;
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let page = state
        .db
        .run(move |s| {
            let search = Search::new(&f, &caller.scope(s)?, s)?;
            search.page(s, sort, cursor, limit)
        })
        .await?;
    Ok(Json(CallPage {
        calls: page.0.iter().map(CallView::of).collect(),
        next: page.1.map(Cursor::encode),
    }))
}

/// One call with every field, if the caller may see it (a leg of a logical
/// call is seen by whoever may see its payer's calls); with the legs of its
/// logical call the caller may see.
#[utoipa::path(get, path = "/calls/{id}", tag = "calls",
    params(("id" = String, Path, description = "The call's id (`start-dedup`)")),
    responses((status = 200, body = CallDetail), (status = 404, body = ErrorBody)))]
async fn one_call(
    State(state): State<ApiState>,
    caller: Allowed<need::CallsRead>,
    Path(id): Path<String>,
) -> ApiResult<Json<CallDetail>> {
    let missing = || ApiError::not_found(format!("no call {id}"));
    let (start, dedup) = store::parse_call_id(&id).ok_or_else(missing)?;
    let found = state
        .db
        .run(move |s| {
            let f = CallFilter::default();
            let scope = caller.scope(s)?;
            let mut search = Search::new(&f, &scope, s)?;
            (search.query.from_s, search.query.to_s) = (start, start + 1);
            let mut found = None;
            search.each(s, start, start + 1, &mut |c| {
                if c.record.dedup == dedup {
                    found = Some(c);
                }
                found.is_none()
            })?;
            found.map(|c| CallDetail::with_legs(&c, s, &scope)).transpose()
        })
        .await?;
    Ok(Json(found.ok_or_else(missing)?))
}

/// Calls exported per chunk while the query runs: memory stays small
/// whatever the period.
const EXPORT_CHUNK: usize = 2000;

/// Every call matching the filters, oldest first, streamed as CSV (or JSON
/// lines with `format=json`).
#[utoipa::path(get, path = "/calls/export", tag = "calls", params(CallFilter),
    responses((status = 200, description = "CSV or JSON lines", content_type = "text/csv"),
        (status = 400, body = ErrorBody)))]
async fn export(
    State(state): State<ApiState>,
    caller: Allowed<need::CallsRead>,
    Query(f): Query<CallFilter>,
) -> ApiResult<Response> {
    let json = match f.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "json" => true,
        other => return Err(ApiError::bad_request(format!("format {other:?}: csv or json"))),
    };
    // Resolved before answering, so a bad filter is a 400, not a broken download.
    let search = state.db.run(move |s| Search::new(&f, &caller.scope(s)?, s)).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let db = state.db.clone();
    tokio::spawn(async move {
        let failed = tx.clone();
        let result = db
            .run(move |s| {
                let mut out = Encoder::new(json);
                let mut open = true;
                search.each(s, search.query.from_s, search.query.to_s, &mut |c| {
                    out.push(&CallView::of(&c));
                    if out.rows >= EXPORT_CHUNK {
                        open = tx.blocking_send(Ok(out.take())).is_ok();
                    }
                    open
                })?;
                if open {
                    let _ = tx.blocking_send(Ok(out.take()));
                }
                Ok(())
            })
            .await;
        if let Err(e) = result {
            // The status is sent already: the download ends short, with an error.
            let _ = failed.send(Err(std::io::Error::other(e.message))).await;
        }
    });
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|item| (item, rx)) },
        );
    let (content_type, name) = if json {
        ("application/x-ndjson", "calls.jsonl")
    } else {
        ("text/csv; charset=utf-8", "calls.csv")
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Rows of an export, encoded a chunk at a time.
struct Encoder {
    json: bool,
    /// The chunk being written (JSON lines).
    lines: Vec<u8>,
    /// The chunk being written (CSV); the header goes with the first only.
    csv: Option<csv::Writer<Vec<u8>>>,
    header_written: bool,
    rows: usize,
}

impl Encoder {
    fn new(json: bool) -> Encoder {
        Encoder { json, lines: Vec::new(), csv: None, header_written: false, rows: 0 }
    }

    fn push(&mut self, call: &CallView) {
        self.rows += 1;
        if self.json {
            serde_json::to_writer(&mut self.lines, call).expect("a call serialises");
            self.lines.push(b'\n');
            return;
        }
        let header = !self.header_written;
        self.header_written = true;
        let writer = self.csv.get_or_insert_with(|| {
            csv::WriterBuilder::new().has_headers(header).from_writer(Vec::new())
        });
        writer.serialize(call).expect("a call serialises to CSV");
    }

    fn take(&mut self) -> Bytes {
        self.rows = 0;
        if self.json {
            return Bytes::from(std::mem::take(&mut self.lines));
        }
        let chunk = self.csv.take().map(|w| w.into_inner().unwrap_or_default());
        Bytes::from(chunk.unwrap_or_default())
    }
}
