//! Reports read from the rollups: department, savings, carrier (and the
//! top callers of `top`).

use crate::{Built, ReportingError, Result, Scope, currency_of, money};
use report::reports::{
    ByType, GroupKind, GroupRow, OwnerTotals, ReportContext, ReportName, SavingsRow, Tally,
};
use std::collections::{BTreeMap, HashMap};
use store::{Agg, Sums};

/// Each owner's (department, extension) sums over the period.
pub(crate) fn owner_aggs(scope: &Scope<'_>) -> Result<HashMap<(i64, i64), Agg>> {
    let mut owners: HashMap<(i64, i64), Agg> = HashMap::new();
    scope.store.rollups(scope.request.first_day, scope.request.last_day, |dept, ext, agg| {
        if scope.filter.keeps(dept, ext) {
            owners.entry((dept, ext)).or_default().merge(&agg);
        }
        Ok(())
    })?;
    scope.read(1.0);
    Ok(owners)
}

pub(crate) fn tally(sums: &Sums) -> Result<Tally> {
    let count = |n: i64| {
        u64::try_from(n).map_err(|_| ReportingError::Invalid(format!("negative rollup sum {n}")))
    };
    Ok(Tally {
        calls: count(sums.calls)?,
        duration_s: count(sums.seconds)?,
        cost: money(sums.cost),
        reference: money(sums.reference),
    })
}

fn type_name(code: u8) -> String {
    charging::call_type_of(code).as_str().to_string()
}

fn by_type(agg: &Agg) -> Result<ByType> {
    let mut per_type: BTreeMap<u8, Sums> = BTreeMap::new();
    for (bucket, sums) in agg.entries() {
        per_type.entry(bucket.call_type).or_default().add(sums);
    }
    per_type.iter().map(|(code, sums)| Ok((type_name(*code), tally(sums)?))).collect()
}

/// Department × user × extension rows, as the department report and the
/// top callers list show them.
pub(crate) fn owner_totals(
    scope: &Scope<'_>,
    owners: &HashMap<(i64, i64), Agg>,
) -> Result<Vec<OwnerTotals>> {
    // In the order the report lists them (department path component by
    // component, user, extension), so its own stable sort finds the rows in
    // place. Departments are ranked once, so rows compare by integer first.
    let mut paths: Vec<(i64, &str)> =
        owners.keys().map(|(d, _)| (*d, scope.names.department(*d))).collect();
    paths.sort_unstable_by(|a, b| a.1.split('\\').cmp(b.1.split('\\')).then(a.0.cmp(&b.0)));
    paths.dedup();
    let rank: HashMap<i64, usize> = paths.iter().enumerate().map(|(i, (d, _))| (*d, i)).collect();
    let mut users: Vec<&str> = owners.keys().map(|(_, e)| scope.names.extension(*e).1).collect();
    users.sort_unstable();
    users.dedup();
    let user_rank: HashMap<&str, usize> = users.iter().enumerate().map(|(i, u)| (*u, i)).collect();
    // Sort keys inline (no pointer to follow per comparison: with 100,000
    // owners, chasing each row's strings made the sort the slowest step).
    let mut keys: Vec<(usize, usize, [u8; 24], usize)> = Vec::with_capacity(owners.len());
    let mut rows: Vec<Option<OwnerTotals>> = Vec::with_capacity(owners.len());
    for ((dept, ext), agg) in owners {
        // Owners with nothing at all; one billed only for legs its calls
        // are not counted by has no call but still pays for them.
        if agg.total() == Sums::default() {
            continue;
        }
        let (number, user) = scope.names.extension(*ext);
        let mut inline = [0u8; 24];
        let len = number.len().min(inline.len());
        inline[..len].copy_from_slice(&number.as_bytes()[..len]);
        keys.push((
            rank.get(dept).copied().unwrap_or(usize::MAX),
            user_rank.get(user).copied().unwrap_or(usize::MAX),
            inline,
            rows.len(),
        ));
        rows.push(Some(OwnerTotals {
            department: scope.names.department(*dept).to_string(),
            user: user.to_string(),
            extension: number.to_string(),
            by_type: by_type(agg)?,
        }));
    }
    keys.sort_unstable();
    Ok(keys.into_iter().filter_map(|(_, _, _, i)| rows.get_mut(i).and_then(Option::take)).collect())
}

pub(crate) fn carriers_of<'a>(aggs: impl Iterator<Item = &'a Agg>) -> Vec<i64> {
    let mut ids: Vec<i64> =
        aggs.flat_map(|a| a.entries().iter().map(|(b, _)| b.carrier_id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub(crate) fn build(scope: &Scope<'_>, ctx: &mut ReportContext) -> Result<Built> {
    let owners = owner_aggs(scope)?;
    ctx.currency = currency_of(scope.names, carriers_of(owners.values()))?;
    match scope.request.name {
        ReportName::Department => {
            let rows = owner_totals(scope, &owners)?;
            if scope.request.json {
                let json = report::reports::department_json(ctx, &rows)?;
                return Ok(Built { report: None, json: Some(json) });
            }
            Ok(Built { report: Some(report::reports::department(ctx, &rows)?), json: None })
        }
        ReportName::Savings => {
            let mut per: BTreeMap<(String, String), Sums> = BTreeMap::new();
            for ((dept, _), agg) in &owners {
                for (bucket, sums) in agg.entries() {
                    let key = (
                        scope.names.department(*dept).to_string(),
                        scope.names.carrier(bucket.carrier_id).to_string(),
                    );
                    per.entry(key).or_default().add(sums);
                }
            }
            let rows = per
                .into_iter()
                .filter(|(_, s)| *s != Sums::default())
                .map(|((department, carrier), sums)| {
                    Ok(SavingsRow { department, carrier, tally: tally(&sums)? })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Built { report: Some(report::reports::savings(ctx, &rows)?), json: None })
        }
        _ => {
            let mut per: BTreeMap<i64, Agg> = BTreeMap::new();
            for agg in owners.values() {
                for (bucket, sums) in agg.entries() {
                    per.entry(bucket.carrier_id).or_default().add(*bucket, sums);
                }
            }
            let rows = per
                .iter()
                .filter(|(_, agg)| agg.total() != Sums::default())
                .map(|(id, agg)| {
                    Ok(GroupRow {
                        name: match scope.names.carrier(*id) {
                            "" => "(none)".to_string(),
                            name => name.to_string(),
                        },
                        detail: scope.names.carrier_currency(*id).unwrap_or("").to_string(),
                        by_type: by_type(agg)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let report = report::reports::grouped(ctx, GroupKind::Carrier, &rows)?;
            Ok(Built { report: Some(report), json: None })
        }
    }
}
