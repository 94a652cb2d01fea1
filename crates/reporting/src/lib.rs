//! Reports from the store. The department, savings, carrier and top-caller
//! figures come from the rollups (whole months from the month rollup, the
//! other days from the day rows), so they answer at once on large stores;
//! the reports that need each call (itemised, trunk, site, destination,
//! traffic, inbound, most expensive / longest calls, unknown extensions)
//! read the period's calls. Either way, totals are sums of the stored
//! charges, exactly.
//!
//! [`build_with`] also narrows a report to the owners a reader may see
//! ([`Within`]) and tells how far it has read.

mod calls;
pub mod catalogue;
pub mod departments;
mod names;
mod owners;

use jiff::Zoned;
use report::reports::{ReportContext, ReportName};
use report::{Filter, Label, Period, Report};
use std::cell::RefCell;
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

/// The owners a report may cover whatever its request asks: what a
/// reader is allowed to see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Within {
    #[default]
    All,
    /// Calls of these departments (subtrees already expanded).
    Departments(BTreeSet<i64>),
    /// Calls of these directory extensions.
    Extensions(BTreeSet<i64>),
}

/// Which owners a request keeps.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnerFilter {
    departments: Option<BTreeSet<i64>>,
    extensions: Option<BTreeSet<i64>>,
}

/// The requested ids that are allowed; all allowed ones when none were requested.
fn narrowed(requested: Option<BTreeSet<i64>>, allowed: &BTreeSet<i64>) -> Option<BTreeSet<i64>> {
    Some(match requested {
        Some(r) => r.intersection(allowed).copied().collect(),
        None => allowed.clone(),
    })
}

impl OwnerFilter {
    pub(crate) fn keeps(&self, department: i64, extension: i64) -> bool {
        self.departments.as_ref().is_none_or(|d| d.contains(&department))
            && self.extensions.as_ref().is_none_or(|e| e.contains(&extension))
    }

    /// Whether no owner at all can pass.
    pub(crate) fn keeps_none(&self) -> bool {
        self.departments.as_ref().is_some_and(BTreeSet::is_empty)
            || self.extensions.as_ref().is_some_and(BTreeSet::is_empty)
    }
}

/// Builds the report `request` asks for over every owner.
pub fn build(store: &Store, request: &Request) -> Result<Built> {
    build_with(store, request, &Within::All, &mut |_| {})
}

/// Builds the report `request` asks for, over the owners `within` allows
/// only (intersected with the request's department and extension).
///
/// `progress` is told the share of the period read so far (0 to 1): the
/// reports from the calls read them in start order and tell it as each day
/// of the period is passed; the reports from the rollups read them at once
/// and tell it when done. Laying out the report afterwards is not counted.
pub fn build_with(
    store: &Store,
    request: &Request,
    within: &Within,
    progress: &mut dyn FnMut(f64),
) -> Result<Built> {
    let zone = store.reporting_zone()?;
    let names = Names::load(store)?;
    let mut filters = Vec::new();
    let mut requested = OwnerFilter::default();
    if let Some(path) = &request.department {
        let ids = store.department_subtree(path)?;
        if ids.is_empty() {
            return Err(ReportingError::Invalid(format!("no department {path:?}")));
        }
        requested.departments = Some(ids.into_iter().collect());
        filters.push(Filter { name: Label::new("Department", "部门"), value: path.clone() });
    }
    if let Some(number) = &request.extension {
        let ids = store.extension_ids(number)?;
        requested.extensions = Some(ids.into_iter().collect());
        filters.push(Filter { name: Label::new("Extension", "分机"), value: number.clone() });
    }
    let owner_filter = match within {
        Within::All => requested,
        Within::Departments(allowed) => {
            if request.department.is_none() {
                let value = departments::roots(&names, allowed).join(", ");
                filters.push(Filter { name: Label::new("Departments", "部门范围"), value });
            }
            OwnerFilter {
                departments: narrowed(requested.departments, allowed),
                extensions: requested.extensions,
            }
        }
        Within::Extensions(allowed) => {
            if request.extension.is_none() {
                let mut numbers: Vec<&str> =
                    allowed.iter().map(|e| names.extension(*e).0).collect();
                numbers.sort_unstable();
                numbers.dedup();
                let value = numbers.join(", ");
                filters.push(Filter { name: Label::new("Extensions", "分机范围"), value });
            }
            OwnerFilter {
                departments: requested.departments,
                extensions: narrowed(requested.extensions, allowed),
            }
        }
    };
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
        progress: RefCell::new(progress),
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
    /// Told the share of the period read (see [`build_with`]).
    pub progress: RefCell<&'a mut dyn FnMut(f64)>,
}

impl Scope<'_> {
    pub(crate) fn read(&self, share: f64) {
        (self.progress.borrow_mut())(share.clamp(0.0, 1.0));
    }
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
