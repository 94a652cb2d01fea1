//! Reports read from the period's calls: extension (itemised), trunk,
//! site, destination, top, traffic, inbound, unknown extensions.
//!
//! A call that is a leg of a logical call is read as the rollups count it:
//! it belongs to its payer (so a report of an owner lists the legs billed
//! to it, and shows them under the payer's name), and it counts as a call
//! only if its logical call is counted by it; its duration and money count
//! wherever it is listed. So a conference counts once, and a call-reading
//! report's totals are the rollups' for the same calls.

use crate::owners::{carriers_of, owner_aggs, owner_totals, tally};
use crate::{Built, ReportingError, Result, Scope, currency_of, money};
use cdr::{Direction, Disposition};
use jiff::Timestamp;
use report::reports::{
    CallLine, GroupKind, GroupRow, InboundRow, ReportContext, ReportName, Tally, TopInput,
    UnknownRow, WeekHours,
};
use std::collections::{BTreeMap, BTreeSet};
use store::{Agg, CallRecord, CdrQuery, Charge, StoredCall, Sums};

/// Seconds between two progress reports: a day of the period.
const PROGRESS_STEP_S: i64 = 86_400;

/// Each call of the period that the request's filters keep (the calls
/// billed to the owners they name), in start order; the share of the
/// period read is told as each day is passed.
fn each_call(scope: &Scope<'_>, mut f: impl FnMut(&StoredCall) -> Result<()>) -> Result<()> {
    let filter = scope.filter;
    if filter.keeps_none() {
        scope.read(1.0);
        return Ok(());
    }
    let length = (scope.to_s - scope.from_s).max(1);
    let mut next_step = scope.from_s + PROGRESS_STEP_S;
    let query = CdrQuery {
        from_s: scope.from_s,
        to_s: scope.to_s,
        department_ids: filter.departments.as_ref().map(|d| d.iter().copied().collect()),
        extension_ids: filter.extensions.as_ref().map(|e| e.iter().copied().collect()),
        ..CdrQuery::default()
    };
    let mut failure = None;
    scope
        .store
        .query_cdrs(&query, |call| {
            let start = call.record.start_s;
            if start >= next_step {
                let passed = start - scope.from_s;
                scope.read(passed as f64 / length as f64);
                next_step = scope.from_s + (passed / PROGRESS_STEP_S + 1) * PROGRESS_STEP_S;
            }
            if let Err(e) = f(&call) {
                failure = Some(e);
                return Err(store::Error::Invalid("stopped".into()));
            }
            Ok(())
        })
        .or_else(|e| if failure.is_some() { Ok(()) } else { Err(e) })?;
    failure.map_or(Ok(()), Err)?;
    scope.read(1.0);
    Ok(())
}

fn charge_of(record: &CallRecord) -> Charge {
    record.charge.clone().unwrap_or(Charge { call_type: store::UNCLASSIFIED, ..Charge::default() })
}

/// What the call adds to a total: a leg its logical call is not counted by
/// adds no call (as `Batch::bill_leg` files it in the rollups).
fn sums_of(call: &StoredCall, charge: &Charge) -> Sums {
    let sums = charge.sums(call.record.duration_s);
    if call.counted() { sums } else { Sums { calls: 0, unrated: 0, ..sums } }
}

/// Who the call is billed to, as reports name owners: (department path,
/// user, extension number). A leg's payer (all empty when nobody pays);
/// otherwise the call's own owner, its number even when the directory does
/// not know it.
fn owner_names(scope: &Scope<'_>, call: &StoredCall) -> (String, String, String) {
    let record = &call.record;
    let department = |id: Option<i64>| id.map_or("", |d| scope.names.department(d)).to_string();
    match &call.leg {
        None => (
            department(record.department_id),
            scope.names.user(record.user_id).to_string(),
            record.extension.to_string(),
        ),
        Some(leg) => match leg.payer {
            Some((extension, payer_department)) => {
                let (number, user) = scope.names.extension(extension);
                (department(payer_department), user.to_string(), number.to_string())
            }
            None => Default::default(),
        },
    }
}

/// A stored second as a time in the reporting zone.
fn local_time(scope: &Scope<'_>, second: i64) -> Result<jiff::Zoned> {
    Timestamp::from_second(second)
        .map(|t| t.to_zoned(scope.zone.clone()))
        .map_err(|e| ReportingError::Invalid(e.to_string()))
}

fn call_line(scope: &Scope<'_>, call: &StoredCall) -> Result<CallLine> {
    let record = &call.record;
    let charge = charge_of(record);
    let (department, user, extension) = owner_names(scope, call);
    let start = local_time(scope, record.start_s)?;
    let direction = match record.direction {
        Direction::Tandem => Direction::Unknown,
        d => d,
    };
    let number =
        if record.direction == Direction::Incoming { &record.calling } else { &record.dialled };
    Ok(CallLine {
        id: record.id(),
        start,
        extension,
        user,
        department,
        direction: direction.as_str().to_string(),
        number: number.to_string(),
        e164: charge.e164.to_string(),
        destination: charge
            .price
            .as_ref()
            .map_or(charge.destination.as_str(), |p| p.destination.as_str())
            .to_string(),
        call_type: charging::call_type_of(charge.call_type).as_str().to_string(),
        duration_s: u64::from(record.duration_s),
        cost: money(charge.cost),
        reference: money(charge.reference),
        carrier: scope.names.carrier(charge.carrier_id).to_string(),
        trunk: scope.names.trunk(record.trunk_out_id.or(record.trunk_in_id)).to_string(),
        disposition: record.disposition.as_str().to_string(),
        leg: call.leg.as_ref().map_or_else(String::new, |leg| leg.part.to_string()),
        counted: call.counted(),
    })
}

/// Adds a call into a per-name group.
fn group(groups: &mut BTreeMap<(String, String), Agg>, key: (String, String), call: &StoredCall) {
    let charge = charge_of(&call.record);
    groups.entry(key).or_default().add(charge.bucket(), &sums_of(call, &charge));
}

fn group_rows(groups: BTreeMap<(String, String), Agg>) -> Result<Vec<GroupRow>> {
    groups
        .into_iter()
        .map(|((name, detail), agg)| {
            let mut by_type: BTreeMap<String, Tally> = BTreeMap::new();
            for (bucket, sums) in agg.entries() {
                let name = charging::call_type_of(bucket.call_type).as_str().to_string();
                let t = tally(sums)?;
                by_type.entry(name).or_default().add(&t)?;
            }
            Ok(GroupRow { name, detail, by_type })
        })
        .collect()
}

pub(crate) fn build(scope: &Scope<'_>, ctx: &mut ReportContext) -> Result<Built> {
    let name = scope.request.name;
    let mut carriers = BTreeSet::new();
    let mut lines = Vec::new();
    let mut groups: BTreeMap<(String, String), Agg> = BTreeMap::new();
    let mut week: WeekHours = Default::default();
    let mut inbound: BTreeMap<(String, String, String), InboundRow> = BTreeMap::new();
    let mut unknown: BTreeMap<(String, String), UnknownRow> = BTreeMap::new();
    each_call(scope, |call| {
        let record = &call.record;
        let counted = call.counted();
        let charge = charge_of(record);
        carriers.insert(charge.carrier_id);
        match name {
            ReportName::Extension | ReportName::Top => lines.push(call_line(scope, call)?),
            ReportName::Trunk => {
                let trunk = scope.names.trunk(record.trunk_out_id.or(record.trunk_in_id));
                let trunk = if trunk.is_empty() {
                    let code = if record.trunk_out.is_empty() {
                        &record.trunk_in
                    } else {
                        &record.trunk_out
                    };
                    if code.is_empty() { "(none)".to_string() } else { code.to_string() }
                } else {
                    trunk.to_string()
                };
                group(&mut groups, (trunk, scope.names.pbx(record.pbx_id).to_string()), call);
            }
            ReportName::Site => {
                let site = match scope.names.site(record.site_id) {
                    "" => "(none)",
                    s => s,
                };
                group(&mut groups, (site.to_string(), String::new()), call);
            }
            ReportName::Destination => {
                let destination = match charge.destination.as_str() {
                    "" => "(unknown)".to_string(),
                    d => d.to_string(),
                };
                group(&mut groups, (destination, String::new()), call);
            }
            ReportName::Traffic => {
                let start = local_time(scope, record.answer_s.unwrap_or(record.start_s))?;
                let weekday = usize::from(start.weekday().to_monday_zero_offset() as u8);
                let hour = usize::try_from(start.hour()).unwrap_or(0);
                let t = tally(&sums_of(call, &charge))?;
                week[weekday.min(6)][hour.min(23)].add(&t)?;
            }
            ReportName::Inbound if record.direction == Direction::Incoming => {
                let key = owner_names(scope, call);
                let row = inbound.entry(key.clone()).or_insert_with(|| InboundRow {
                    department: key.0,
                    user: key.1,
                    extension: key.2,
                    calls: 0,
                    answered: 0,
                    unanswered: 0,
                    duration_s: 0,
                    ring_s_total: 0,
                    cost: rust_decimal::Decimal::ZERO,
                });
                // A logical call is answered or not, and rang, once: as
                // its counted leg did.
                if counted {
                    row.calls += 1;
                    if record.disposition == Disposition::Answered {
                        row.answered += 1;
                    } else {
                        row.unanswered += 1;
                    }
                    row.ring_s_total += u64::from(record.ring_s.unwrap_or(0));
                }
                row.duration_s += u64::from(record.duration_s);
                row.cost += money(charge.cost);
            }
            // A leg billed to a directory extension is that extension's.
            ReportName::UnknownExtensions
                if record.extension_id.is_none()
                    && !record.extension.is_empty()
                    && call.billed_to().1.is_none() =>
            {
                let start = local_time(scope, record.start_s)?;
                let pbx = scope.names.pbx(record.pbx_id).to_string();
                let row = unknown
                    .entry((pbx.clone(), record.extension.to_string()))
                    .or_insert_with(|| UnknownRow {
                        pbx,
                        number: record.extension.to_string(),
                        calls: 0,
                        duration_s: 0,
                        cost: rust_decimal::Decimal::ZERO,
                        first_seen: start.clone(),
                        last_seen: start.clone(),
                    });
                row.calls += u64::from(counted);
                row.duration_s += u64::from(record.duration_s);
                row.cost += money(charge.cost);
                row.last_seen = start;
            }
            _ => {}
        }
        Ok(())
    })?;
    ctx.currency = currency_of(scope.names, carriers.iter().copied())?;
    let report = match name {
        ReportName::Extension => {
            let subject = scope.request.extension.clone().unwrap_or_else(|| "all".into());
            report::reports::extension(ctx, &subject, &lines)?
        }
        ReportName::Top => {
            let limit = scope.request.top.max(1);
            let mut most_expensive = lines.clone();
            most_expensive.sort_by(|a, b| b.cost.cmp(&a.cost).then(a.start.cmp(&b.start)));
            most_expensive.truncate(limit);
            let mut longest = lines;
            longest.sort_by(|a, b| b.duration_s.cmp(&a.duration_s).then(a.start.cmp(&b.start)));
            longest.truncate(limit);
            let owners = owner_aggs(scope)?;
            ctx.currency = currency_of(
                scope.names,
                carriers.iter().copied().chain(carriers_of(owners.values())),
            )?;
            let mut top_callers = owner_totals(scope, &owners)?;
            let cost = |o: &report::reports::OwnerTotals| -> rust_decimal::Decimal {
                o.by_type.values().map(|t| t.cost).sum()
            };
            top_callers.sort_by_key(|o| std::cmp::Reverse(cost(o)));
            top_callers.truncate(limit);
            report::reports::top(ctx, &TopInput { most_expensive, longest, top_callers })?
        }
        ReportName::Traffic => report::reports::traffic(ctx, &week)?,
        ReportName::Inbound => {
            let rows: Vec<InboundRow> = inbound.into_values().collect();
            report::reports::inbound(ctx, &rows)?
        }
        ReportName::UnknownExtensions => {
            let rows: Vec<UnknownRow> = unknown.into_values().collect();
            report::reports::unknown_extensions(ctx, &rows)?
        }
        other => {
            let kind = other.group_kind().unwrap_or(GroupKind::Destination);
            report::reports::grouped(ctx, kind, &group_rows(groups)?)?
        }
    };
    Ok(Built { report: Some(report), json: None })
}
