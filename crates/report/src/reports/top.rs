//! Top lists: the most expensive calls, the longest calls and the callers
//! who spent most, each ranked in its own table.

use super::build::{self, TypeTallies, columns, count, department_order, text};
use super::calls::{by_time, call_cells, call_columns, sum};
use super::department::owner_location;
use super::input::{CallLine, OwnerTotals, ReportContext, Tally};
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// The lists, already cut to the wanted length by the caller; the builder
/// only orders them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopInput {
    pub most_expensive: Vec<CallLine>,
    pub longest: Vec<CallLine>,
    /// One row per department × user × extension, as for the department summary.
    pub top_callers: Vec<OwnerTotals>,
}

/// Three ranked tables. Calls rank by cost (or duration), highest first,
/// ties by start time and id; callers by cost, then department, user and
/// extension. The report has no grand totals: the lists are cut, so their
/// sums would say nothing about the period.
pub fn top(ctx: &ReportContext, input: &TopInput) -> Result<Report, ReportError> {
    sum("most expensive call", &input.most_expensive)?;
    sum("longest call", &input.longest)?;
    let mut expensive: Vec<&CallLine> = input.most_expensive.iter().collect();
    expensive.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| by_time(a, b)));
    let mut longest: Vec<&CallLine> = input.longest.iter().collect();
    longest.sort_by(|a, b| b.duration_s.cmp(&a.duration_s).then_with(|| by_time(a, b)));

    build::checked(Report {
        title: Label::new("Top calls and callers", "通话与用户排行"),
        header: build::header(ctx),
        totals: vec![],
        sections: vec![
            call_table(ctx, Label::new("Most expensive calls", "话费最高的通话"), &expensive)?,
            call_table(ctx, Label::new("Longest calls", "时长最长的通话"), &longest)?,
            callers_table(ctx, &input.top_callers)?,
        ],
    })
}

fn rank_column() -> Column {
    Column::new("rank", "Rank", "排名", Kind::Integer)
}

fn call_table(ctx: &ReportContext, name: Label, calls: &[&CallLine]) -> Result<Table, ReportError> {
    let mut columns = vec![rank_column()];
    columns.extend(call_columns(ctx));
    let rows = calls
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let mut cells = vec![count(index as u64 + 1)?];
            cells.extend(call_cells(call)?);
            Ok(Row::normal(cells))
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    Ok(Table { name, columns, rows })
}

fn callers_table(ctx: &ReportContext, callers: &[OwnerTotals]) -> Result<Table, ReportError> {
    let mut lines = callers
        .iter()
        .enumerate()
        .map(|(index, owner)| {
            let located = |error: ReportError| {
                error.at(&format!("top caller {}", owner_location(index, owner)))
            };
            let tally = TypeTallies::from_by_type(&owner.by_type)
                .and_then(|types| types.total())
                .map_err(located)?;
            Ok((owner, tally))
        })
        .collect::<Result<Vec<(&OwnerTotals, Tally)>, ReportError>>()?;
    lines.sort_by(|(a, a_tally), (b, b_tally)| {
        b_tally
            .cost
            .cmp(&a_tally.cost)
            .then_with(|| department_order(&a.department, &b.department))
            .then_with(|| a.user.cmp(&b.user))
            .then_with(|| a.extension.cmp(&b.extension))
    });
    let rows = lines
        .iter()
        .enumerate()
        .map(|(index, (owner, tally))| {
            let mut cells = vec![
                count(index as u64 + 1)?,
                text(&owner.department),
                text(&owner.user),
                text(&owner.extension),
                count(tally.calls)?,
                Cell::Duration(tally.duration_s),
            ];
            cells.extend(build::money_trio(tally)?);
            Ok(Row::normal(cells))
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    Ok(Table {
        name: Label::new("Top callers", "话费最高的用户"),
        columns: vec![
            rank_column(),
            columns::department(),
            columns::user(),
            columns::extension(),
            columns::calls(),
            columns::duration(),
            columns::cost(ctx),
            columns::reference(ctx),
            columns::savings(ctx),
        ],
        rows,
    })
}
