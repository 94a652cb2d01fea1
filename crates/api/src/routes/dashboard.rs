//! The dashboard: today's and this month's calls, cost and savings; cost
//! by day and by call type; top departments and callers; the busy hours.
//! Figures come from the rollups (a month of tens of millions of calls
//! answers at once) and, for the busy hours, from call start times alone;
//! all narrowed to the caller's scope. Both count a logical call once and
//! file a leg's cost under whoever pays for it, as correlation decided.

use crate::caller::{Allowed, need};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::roles::Scope;
use crate::state::ApiState;
use axum::Json;
use axum::extract::State;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use store::days::{date_of_day, day_number, first_day_of_month, month_of_day};
use store::{Agg, Amount, CdrQuery, Store, Sums};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(dashboard))
}

/// Days in the cost-by-day chart, today included.
const DAYS_SHOWN: i64 = 30;
/// Rows of the top lists.
const TOP: usize = 10;

#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    pub calls: i64,
    pub cost: String,
    pub savings: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DayCost {
    /// Local day of the reporting zone, `YYYY-MM-DD`.
    pub day: String,
    pub calls: i64,
    pub cost: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeCost {
    pub call_type: String,
    pub calls: i64,
    pub cost: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentCost {
    pub department: String,
    pub calls: i64,
    pub cost: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallerCost {
    pub extension: String,
    pub user: Option<String>,
    pub calls: i64,
    pub cost: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    /// The organisation's currency (of the first carrier with one); costs
    /// in other currencies are added as they are.
    pub currency: Option<String>,
    /// The reporting zone the days are counted in.
    pub time_zone: String,
    pub today: Totals,
    pub month: Totals,
    /// The last 30 days, oldest first.
    pub cost_by_day: Vec<DayCost>,
    /// This month.
    pub cost_by_type: Vec<TypeCost>,
    pub top_departments: Vec<DepartmentCost>,
    pub top_callers: Vec<CallerCost>,
    /// Calls started per weekday (Monday first) and hour over the last 7 days.
    pub busy_hours: Vec<Vec<u64>>,
}

fn totals(s: &Sums) -> Totals {
    Totals {
        calls: s.calls,
        cost: s.cost.to_string(),
        savings: Amount(s.reference.0 - s.cost.0).to_string(),
    }
}

/// Each owner's sums over the local days `first..=last`, in scope.
fn owners(
    store: &Store,
    scope: &Scope,
    first: i64,
    last: i64,
) -> store::Result<HashMap<(i64, i64), Agg>> {
    let mut owners: HashMap<(i64, i64), Agg> = HashMap::new();
    store.rollups(first, last, |d, e, agg| {
        if scope.keeps(d, e) {
            owners.entry((d, e)).or_default().merge(&agg);
        }
        Ok(())
    })?;
    Ok(owners)
}

fn total(owners: &HashMap<(i64, i64), Agg>) -> Sums {
    let mut sums = Sums::default();
    for agg in owners.values() {
        sums.add(&agg.total());
    }
    sums
}

fn build(store: &Store, scope: &Scope, at: jiff::Timestamp) -> ApiResult<Dashboard> {
    let zone = store.reporting_zone()?;
    let now = at.to_zoned(zone.clone());
    let today = day_number(now.date());
    let month_start = first_day_of_month(month_of_day(today));
    let month = owners(store, scope, month_start, today)?;

    let mut cost_by_day = Vec::new();
    for day in today - DAYS_SHOWN + 1..=today {
        let sums = total(&owners(store, scope, day, day)?);
        cost_by_day.push(DayCost {
            day: date_of_day(day).to_string(),
            calls: sums.calls,
            cost: sums.cost.to_string(),
        });
    }
    let today_sums = total(&owners(store, scope, today, today)?);

    let mut by_type: HashMap<u8, Sums> = HashMap::new();
    let mut by_department: HashMap<i64, Sums> = HashMap::new();
    let mut by_extension: Vec<(i64, Sums)> = Vec::new();
    for (&(d, e), agg) in &month {
        for (bucket, sums) in agg.entries() {
            by_type.entry(bucket.call_type).or_default().add(sums);
        }
        let t = agg.total();
        by_department.entry(d).or_default().add(&t);
        if e != 0 {
            by_extension.push((e, t));
        }
    }
    let names = reporting::Names::load(store).map_err(|e| ApiError::internal(e.to_string()))?;
    let mut cost_by_type: Vec<TypeCost> = by_type
        .iter()
        // A type (a department below) may have cost without calls: legs
        // billed to it that their logical call is not counted by.
        .filter(|(_, s)| **s != Sums::default())
        .map(|(code, s)| TypeCost {
            call_type: charging::call_type_of(*code).as_str().to_string(),
            calls: s.calls,
            cost: s.cost.to_string(),
        })
        .collect();
    cost_by_type.sort_by(|a, b| a.call_type.cmp(&b.call_type));
    let mut departments: Vec<(i64, Sums)> =
        by_department.into_iter().filter(|(_, s)| *s != Sums::default()).collect();
    departments.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then(b.1.calls.cmp(&a.1.calls)));
    let top_departments = departments
        .iter()
        .take(TOP)
        .map(|(d, s)| DepartmentCost {
            department: match names.department(*d) {
                "" => "(none)".to_string(),
                path => path.to_string(),
            },
            calls: s.calls,
            cost: s.cost.to_string(),
        })
        .collect();
    by_extension.sort_by(|a, b| b.1.cost.cmp(&a.1.cost).then(b.1.calls.cmp(&a.1.calls)));
    let top_callers = by_extension
        .iter()
        .take(TOP)
        .map(|(e, s)| {
            let (number, user) = names.extension(*e);
            CallerCost {
                extension: number.to_string(),
                user: (!user.is_empty()).then(|| user.to_string()),
                calls: s.calls,
                cost: s.cost.to_string(),
            }
        })
        .collect();
    let currency = store.carrier_currencies()?.into_values().find(|c| !c.is_empty());
    Ok(Dashboard {
        currency,
        time_zone: zone.iana_name().unwrap_or("UTC").to_string(),
        today: totals(&today_sums),
        month: totals(&total(&month)),
        cost_by_day,
        cost_by_type,
        top_departments,
        top_callers,
        busy_hours: busy_hours(store, scope, &now)?,
    })
}

/// Calls per local weekday and hour over the 7 days ending with the
/// current hour's day, a logical call once (by its counted leg). Every
/// local hour is counted between its UTC bounds, so DST changes are
/// handled by the zone.
fn busy_hours(store: &Store, scope: &Scope, now: &jiff::Zoned) -> ApiResult<Vec<Vec<u64>>> {
    let mut grid = vec![vec![0u64; 24]; 7];
    let midnight = now.start_of_day().map_err(|e| ApiError::internal(e.to_string()))?;
    let first = midnight.checked_sub(6.days()).map_err(|e| ApiError::internal(e.to_string()))?;
    let end = midnight.checked_add(1.day()).map_err(|e| ApiError::internal(e.to_string()))?;
    // Scoped callers: their calls' start times from their owners' rows.
    let starts = match scope {
        Scope::All => None,
        Scope::Departments(ids) => Some(store.owner_call_starts(&CdrQuery {
            from_s: first.timestamp().as_second(),
            to_s: end.timestamp().as_second(),
            department_ids: Some(ids.clone()),
            ..CdrQuery::default()
        })?),
        Scope::Extensions(ids) => Some(store.owner_call_starts(&CdrQuery {
            from_s: first.timestamp().as_second(),
            to_s: end.timestamp().as_second(),
            extension_ids: Some(ids.clone()),
            ..CdrQuery::default()
        })?),
    };
    let mut hour = first;
    while hour < end {
        let next = hour.checked_add(1.hour()).map_err(|e| ApiError::internal(e.to_string()))?;
        let (from, to) = (hour.timestamp().as_second(), next.timestamp().as_second());
        let count = match &starts {
            None => store.count_counted_calls_between(from, to)?,
            Some(starts) => {
                (starts.partition_point(|&s| s < to) - starts.partition_point(|&s| s < from)) as u64
            }
        };
        let weekday = hour.weekday().to_monday_zero_offset() as usize;
        grid[weekday][hour.hour() as usize] += count;
        hour = next;
    }
    Ok(grid)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AsOf {
    /// RFC 3339: the dashboard as of this time (default: now).
    pub at: Option<String>,
}

/// The dashboard's figures, in the caller's scope.
#[utoipa::path(get, path = "/dashboard", tag = "calls", params(AsOf),
    responses((status = 200, body = Dashboard), (status = 401, body = ErrorBody)))]
async fn dashboard(
    State(state): State<ApiState>,
    caller: Allowed<need::CallsRead>,
    Query(q): Query<AsOf>,
) -> ApiResult<Json<Dashboard>> {
    let at = crate::routes::audit_log::parse_time("at", &q.at)?
        .map(jiff::Timestamp::from_second)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("at: {e}")))?
        .unwrap_or_else(jiff::Timestamp::now);
    let dashboard = state.db.run(move |s| build(s, &caller.scope(s)?, at)).await?;
    Ok(Json(dashboard))
}
