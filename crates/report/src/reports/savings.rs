//! What the organisation saved against the reference tariff, per department
//! and carrier.

use super::build::{self, columns, count, department_order, fraction, text, totals};
use super::input::{ReportContext, Tally};
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// The calls of one department on one carrier.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SavingsRow {
    /// Department path, components joined by `\`.
    pub department: String,
    pub carrier: String,
    pub tally: Tally,
}

/// Rows sorted by department path and carrier, a subtotal row after each
/// department and a grand total. The savings share is `savings / reference`,
/// empty where the reference cost is zero.
pub fn savings(ctx: &ReportContext, rows: &[SavingsRow]) -> Result<Report, ReportError> {
    let mut sorted: Vec<(usize, &SavingsRow)> = rows.iter().enumerate().collect();
    sorted.sort_by(|(_, a), (_, b)| {
        department_order(&a.department, &b.department).then_with(|| a.carrier.cmp(&b.carrier))
    });

    let mut table_rows = Vec::with_capacity(sorted.len() * 2 + 1);
    let mut all = Tally::default();
    let mut department: Option<(&str, Tally)> = None;
    for (index, row) in sorted {
        let location = format!("row {} ({} / {})", index + 1, row.department, row.carrier);
        match &mut department {
            Some((name, sum)) if *name == row.department => {
                sum.add(&row.tally).map_err(|error| error.at(&location))?;
            }
            _ => {
                if let Some((name, sum)) = department.take() {
                    table_rows.push(Row::subtotal(cells([text(name), Cell::Empty], &sum)?));
                }
                department = Some((&row.department, row.tally));
            }
        }
        all.add(&row.tally).map_err(|error| error.at(&location))?;
        table_rows
            .push(Row::normal(cells([text(&row.department), text(&row.carrier)], &row.tally)?));
    }
    if let Some((name, sum)) = department {
        table_rows.push(Row::subtotal(cells([text(name), Cell::Empty], &sum)?));
    }
    table_rows.push(Row::total(cells([Cell::Empty, Cell::Empty], &all)?));

    let mut report_totals = totals::all(ctx, &all)?;
    report_totals.push(build::total(
        "savings_share",
        "Savings share",
        "节省比例",
        Kind::Percent,
        share(&all)?,
    ));
    build::checked(Report {
        title: Label::new("Savings", "话费节省统计"),
        header: build::header(ctx),
        totals: report_totals,
        sections: vec![Table {
            name: Label::new("Departments and carriers", "部门与运营商"),
            columns: vec![
                columns::department(),
                Column::new("carrier", "Carrier", "运营商", Kind::Text),
                columns::calls(),
                columns::duration(),
                columns::cost(ctx),
                columns::reference(ctx),
                columns::savings(ctx),
                Column::new("savings_share", "Savings %", "节省比例", Kind::Percent),
            ],
            rows: table_rows,
        }],
    })
}

fn share(tally: &Tally) -> Result<Cell, ReportError> {
    fraction(tally.savings()?, tally.reference)
}

fn cells(identity: [Cell; 2], tally: &Tally) -> Result<Vec<Cell>, ReportError> {
    let mut cells = Vec::from(identity);
    cells.extend([count(tally.calls)?, Cell::Duration(tally.duration_s)]);
    cells.extend(build::money_trio(tally)?);
    cells.push(share(tally)?);
    Ok(cells)
}
