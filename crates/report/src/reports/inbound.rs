//! Inbound calls per extension: how many, how many answered, how long they
//! rang, and what the organisation paid for them (400/800 numbers).

use rust_decimal::Decimal;

use super::build::{self, columns, count, department_order, fraction, text, totals};
use super::input::ReportContext;
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// Inbound calls of one extension.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InboundRow {
    pub department: String,
    pub user: String,
    pub extension: String,
    pub calls: u64,
    pub answered: u64,
    /// Calls that rang out or were abandoned. Calls that were neither
    /// answered nor unanswered (busy, failed) count only in `calls`.
    pub unanswered: u64,
    /// Talk time of the answered calls, whole seconds.
    pub duration_s: u64,
    /// Ringing time of all the calls, whole seconds.
    pub ring_s_total: u64,
    /// What the organisation paid for them (toll-free and shared-cost numbers).
    pub cost: Decimal,
}

/// Rows sorted by department path, user and extension, then a total row.
/// The average ring time is `ring_s_total / calls`, rounded half up to whole
/// seconds (empty without calls); the answer rate is `answered / calls`.
pub fn inbound(ctx: &ReportContext, rows: &[InboundRow]) -> Result<Report, ReportError> {
    let mut all = InboundRow::default();
    for (index, row) in rows.iter().enumerate() {
        let location =
            format!("row {} ({} / {} / {})", index + 1, row.department, row.user, row.extension);
        check(row).map_err(|error| error.at(&location))?;
        all = add(&all, row).map_err(|error| error.at(&location))?;
    }
    let mut sorted: Vec<&InboundRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        department_order(&a.department, &b.department)
            .then_with(|| a.user.cmp(&b.user))
            .then_with(|| a.extension.cmp(&b.extension))
    });
    let mut table_rows = Vec::with_capacity(sorted.len() + 1);
    for row in sorted {
        let identity = [text(&row.department), text(&row.user), text(&row.extension)];
        table_rows.push(Row::normal(cells(identity, row)?));
    }
    table_rows.push(Row::total(cells([Cell::Empty, Cell::Empty, Cell::Empty], &all)?));

    let money = build::money(ctx);
    build::checked(Report {
        title: Label::new("Inbound calls", "呼入统计"),
        header: build::header(ctx),
        totals: vec![
            totals::calls(all.calls)?,
            build::total("answered", "Answered", "已接听", Kind::Integer, count(all.answered)?),
            build::total(
                "unanswered",
                "Unanswered",
                "未接听",
                Kind::Integer,
                count(all.unanswered)?,
            ),
            totals::duration(all.duration_s),
            build::total(
                "ring_avg_s",
                "Average ring time",
                "平均振铃时长",
                Kind::Duration,
                average_ring(&all),
            ),
            build::total("cost", "Total cost", "话费总计", money.clone(), Cell::Money(all.cost)),
        ],
        sections: vec![Table {
            name: Label::new("Extensions", "分机"),
            columns: vec![
                columns::department(),
                columns::user(),
                columns::extension(),
                columns::calls(),
                Column::new("answered", "Answered", "已接听", Kind::Integer),
                Column::new("unanswered", "Unanswered", "未接听", Kind::Integer),
                Column::new("answer_rate", "Answer rate", "接听率", Kind::Percent),
                columns::duration(),
                Column::new("ring_avg_s", "Average ring", "平均振铃", Kind::Duration),
                Column::new("cost", "Cost", "话费", money),
            ],
            rows: table_rows,
        }],
    })
}

fn check(row: &InboundRow) -> Result<(), ReportError> {
    let outcomes = row.answered.checked_add(row.unanswered);
    if outcomes.is_none_or(|outcomes| outcomes > row.calls) {
        return Err(ReportError::input(format!(
            "{} answered + {} unanswered is more than {} calls",
            row.answered, row.unanswered, row.calls
        )));
    }
    Ok(())
}

fn add(sum: &InboundRow, row: &InboundRow) -> Result<InboundRow, ReportError> {
    let plus = |a: u64, b: u64, what: &str| {
        a.checked_add(b).ok_or_else(|| ReportError::input(format!("{what} overflows: {a} + {b}")))
    };
    Ok(InboundRow {
        department: String::new(),
        user: String::new(),
        extension: String::new(),
        calls: plus(sum.calls, row.calls, "call count")?,
        answered: plus(sum.answered, row.answered, "answered count")?,
        unanswered: plus(sum.unanswered, row.unanswered, "unanswered count")?,
        duration_s: plus(sum.duration_s, row.duration_s, "duration")?,
        ring_s_total: plus(sum.ring_s_total, row.ring_s_total, "ring time")?,
        cost: sum.cost.checked_add(row.cost).ok_or_else(|| {
            ReportError::input(format!("cost overflows: {} + {}", sum.cost, row.cost))
        })?,
    })
}

fn cells(identity: [Cell; 3], row: &InboundRow) -> Result<Vec<Cell>, ReportError> {
    let mut cells = Vec::from(identity);
    cells.extend([
        count(row.calls)?,
        count(row.answered)?,
        count(row.unanswered)?,
        fraction(Decimal::from(row.answered), Decimal::from(row.calls))?,
        Cell::Duration(row.duration_s),
        average_ring(row),
        Cell::Money(row.cost),
    ]);
    Ok(cells)
}

/// Half up to whole seconds, in integers so nothing is lost on the way.
fn average_ring(row: &InboundRow) -> Cell {
    if row.calls == 0 {
        return Cell::Empty;
    }
    let whole = row.ring_s_total / row.calls;
    let rest = row.ring_s_total % row.calls;
    // rest ≥ calls / 2, written without overflow.
    let round_up = rest >= row.calls - rest;
    Cell::Duration(whole + u64::from(round_up))
}
