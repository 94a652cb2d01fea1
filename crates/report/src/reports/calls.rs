//! Itemised calls: the call listing of one extension or user, and the
//! columns and checks every listing of [`CallLine`]s shares.

use std::cmp::Ordering;

use super::build::{self, columns, count, text, totals, type_index};
use super::input::{CallLine, DIRECTIONS, ReportContext, Tally};
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// Lists the calls of one extension or user in time order (then by id),
/// with a total row. `subject` names whose calls they are, as the title
/// should show it (`2001 Alice Wang`). Each line says how many calls it
/// counts for (0 for a leg its logical call is not counted by), so the
/// call total counts a logical call once.
pub fn extension(
    ctx: &ReportContext,
    subject: &str,
    calls: &[CallLine],
) -> Result<Report, ReportError> {
    let mut sorted: Vec<&CallLine> = calls.iter().collect();
    sorted.sort_by(|a, b| by_time(a, b));
    let tally = sum("call", calls)?;
    let mut rows = Vec::with_capacity(sorted.len() + 1);
    for call in &sorted {
        rows.push(Row::normal(call_cells(call)?));
    }
    let columns = call_columns(ctx);
    rows.push(Row::total(total_cells(&columns, &tally)?));

    build::checked(Report {
        title: Label::new(format!("Calls of {subject}"), format!("{subject} 通话明细")),
        header: build::header(ctx),
        totals: totals::all(ctx, &tally)?,
        sections: vec![Table { name: Label::new("Calls", "通话明细"), columns, rows }],
    })
}

/// Checks every call and sums them (a call counts only if
/// [`CallLine::counted`]); `what` names the list in errors.
pub(crate) fn sum(what: &str, calls: &[CallLine]) -> Result<Tally, ReportError> {
    let mut tally = Tally::default();
    for (index, call) in calls.iter().enumerate() {
        let located =
            |error: ReportError| error.at(&format!("{what} {} (id {:?})", index + 1, call.id));
        check(call).map_err(located)?;
        let one = Tally {
            calls: u64::from(call.counted),
            duration_s: call.duration_s,
            cost: call.cost,
            reference: call.reference,
        };
        tally.add(&one).map_err(located)?;
    }
    Ok(tally)
}

fn check(call: &CallLine) -> Result<(), ReportError> {
    type_index(&call.call_type)?;
    if !DIRECTIONS.contains(&call.direction.as_str()) {
        return Err(ReportError::input(format!(
            "unknown direction {:?} (expected one of {})",
            call.direction,
            DIRECTIONS.join(", ")
        )));
    }
    Ok(())
}

/// Start time, then id, so equal times still list the same way every time.
pub(crate) fn by_time(a: &CallLine, b: &CallLine) -> Ordering {
    a.start.timestamp().cmp(&b.start.timestamp()).then_with(|| a.id.cmp(&b.id))
}

/// The total row of a call listing: sums under calls, duration and money,
/// the rest empty (the first cell then reads "Total").
fn total_cells(columns: &[Column], tally: &Tally) -> Result<Vec<Cell>, ReportError> {
    let savings = tally.savings()?;
    let calls = count(tally.calls)?;
    Ok(columns
        .iter()
        .map(|column| match column.key.as_str() {
            "calls" => calls.clone(),
            "duration_s" => Cell::Duration(tally.duration_s),
            "cost" => Cell::Money(tally.cost),
            "reference" => Cell::Money(tally.reference),
            "savings" => Cell::Money(savings),
            _ => Cell::Empty,
        })
        .collect())
}

/// Who, when, where to, what type, how long, how much, by which route.
pub(crate) fn call_columns(ctx: &ReportContext) -> Vec<Column> {
    vec![
        columns::department(),
        columns::user(),
        columns::extension(),
        Column::new("start", "Start", "开始时间", Kind::DateTime),
        Column::new("direction", "Direction", "方向", Kind::Text),
        Column::new("number", "Number", "对方号码", Kind::Text),
        Column::new("e164", "E.164", "E.164 号码", Kind::Text),
        Column::new("destination", "Destination", "目的地", Kind::Text),
        Column::new("call_type", "Call type", "通话类型", Kind::Text),
        columns::calls(),
        Column::new("duration_s", "Duration", "时长", Kind::Duration),
        columns::cost(ctx),
        columns::reference(ctx),
        columns::savings(ctx),
        Column::new("carrier", "Carrier", "运营商", Kind::Text),
        Column::new("trunk", "Trunk", "中继", Kind::Text),
        Column::new("disposition", "Disposition", "通话结果", Kind::Text),
        Column::new("leg", "Leg", "通话段", Kind::Text),
        Column::new("id", "Call ID", "话单编号", Kind::Text),
    ]
}

pub(crate) fn call_cells(call: &CallLine) -> Result<Vec<Cell>, ReportError> {
    let savings = call.reference.checked_sub(call.cost).ok_or_else(|| {
        ReportError::input(format!(
            "call {:?}: savings overflow: {} − {}",
            call.id, call.reference, call.cost
        ))
    })?;
    Ok(vec![
        text(&call.department),
        text(&call.user),
        text(&call.extension),
        Cell::DateTime(call.start.clone()),
        text(&call.direction),
        text(&call.number),
        text(&call.e164),
        text(&call.destination),
        text(&call.call_type),
        Cell::Integer(i64::from(call.counted)),
        Cell::Duration(call.duration_s),
        Cell::Money(call.cost),
        Cell::Money(call.reference),
        Cell::Money(savings),
        text(&call.carrier),
        text(&call.trunk),
        text(&call.disposition),
        text(&call.leg),
        text(&call.id),
    ])
}
