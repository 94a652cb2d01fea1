//! Reports from the store. The department, savings, carrier and top-caller
//! figures come from the rollups (whole months from the month rollup, the
//! other days from the day rows), so they answer at once on large stores;
//! the reports that need each call (itemised, trunk, site, destination,
//! traffic, inbound, most expensive / longest calls, unknown extensions)
//! read the period's calls. Either way, totals are sums of the stored
//! charges, exactly.

mod calls;
mod names;
mod owners;

use jiff::Zoned;
use report::reports::{ReportContext, ReportName};
use report::{Filter, Label, Period, Report};
use std::collections::BTreeSet;
use store::{Amount, Store};

pub use names::Names;

#[derive(Debug, thiserror::Error)]
pub enum ReportingError {
    #[error("{0}")]
    Store(#[from] store::Error),
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Report(#[from] report::ReportError),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = ReportingError> = std::result::Result<T, E>;

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    pub name: ReportName,
    /// Local days (see `store::days`) of the reporting zone, inclusive.
    pub first_day: i64,
    pub last_day: i64,
    /// Only this department and the ones below it.
    pub department: Option<String>,
    /// Only this extension number (for `extension`: whose calls).
    pub extension: Option<String>,
    pub created_by: String,
    /// Rows of the `top` lists.
    pub top: usize,
    /// Whether the report is wanted as JSON: the department report then
    /// builds only its JSON document.
    pub json: bool,
}

/// A built report, or for `department` in JSON its dedicated document.
pub struct Built {
    pub report: Option<Report>,
    pub json: Option<serde_json::Value>,
}

/// Which owners a request keeps.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnerFilter {
    departments: Option<BTreeSet<i64>>,
    extensions: Option<BTreeSet<i64>>,
}

impl OwnerFilter {
    pub(crate) fn keeps(&self, department: i64, extension: i64) -> bool {
        self.departments.as_ref().is_none_or(|d| d.contains(&department))
            && self.extensions.as_ref().is_none_or(|e| e.contains(&extension))
    }
}

pub fn build(store: &Store, request: &Request) -> Result<Built> {
    let zone = store.reporting_zone()?;
    let names = Names::load(store)?;
    let mut filters = Vec::new();
    let mut owner_filter = OwnerFilter::default();
    if let Some(path) = &request.department {
        let ids = store.department_subtree(path)?;
        if ids.is_empty() {
            return Err(ReportingError::Invalid(format!("no department {path:?}")));
        }
        owner_filter.departments = Some(ids.into_iter().collect());
        filters.push(Filter { name: Label::new("Department", "部门"), value: path.clone() });
    }
    if let Some(number) = &request.extension {
        let ids = store.extension_ids(number)?;
        owner_filter.extensions = Some(ids.into_iter().collect());
        filters.push(Filter { name: Label::new("Extension", "分机"), value: number.clone() });
    }
    let from = day_start(&zone, request.first_day)?;
    let to = day_start(&zone, request.last_day + 1)?;
    let last_second = to
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .map_err(|e| ReportingError::Invalid(e.to_string()))?;
    let mut ctx = ReportContext {
        period: Period { from: from.clone(), to: last_second },
        generated_at: Zoned::now().with_time_zone(zone.clone()),
        created_by: request.created_by.clone(),
        filters,
        currency: String::new(),
    };
    let scope = Scope {
        store,
        names: &names,
        request,
        filter: &owner_filter,
        zone: &zone,
        from_s: from.timestamp().as_second(),
        to_s: to.timestamp().as_second(),
    };
    let built = match request.name {
        ReportName::Department | ReportName::Savings | ReportName::Carrier => {
            owners::build(&scope, &mut ctx)?
        }
        _ => calls::build(&scope, &mut ctx)?,
    };
    Ok(built)
}

/// Everything a report builder reads.
pub(crate) struct Scope<'a> {
    pub store: &'a Store,
    pub names: &'a Names,
    pub request: &'a Request,
    pub filter: &'a OwnerFilter,
    pub zone: &'a jiff::tz::TimeZone,
    pub from_s: i64,
    pub to_s: i64,
}

fn day_start(zone: &jiff::tz::TimeZone, day: i64) -> Result<Zoned> {
    store::days::date_of_day(day)
        .to_zoned(zone.clone())
        .map_err(|e| ReportingError::Invalid(e.to_string()))
}

/// The one currency of the carriers whose costs a report adds.
pub(crate) fn currency_of(
    names: &Names,
    carriers: impl IntoIterator<Item = i64>,
) -> Result<String> {
    let used: BTreeSet<&str> = carriers
        .into_iter()
        .filter_map(|id| names.carrier_currency(id))
        .filter(|c| !c.is_empty())
        .collect();
    match used.len() {
        0 => Ok("XXX".into()),
        1 => Ok(used.into_iter().next().unwrap_or("XXX").to_string()),
        _ => Err(ReportingError::Invalid(format!(
            "the period's costs are in several currencies ({}); a report adds one",
            used.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

pub(crate) fn money(amount: Amount) -> rust_decimal::Decimal {
    amount.to_decimal()
}
