//! The department summary (the seed's 部门综合统计): per department, its
//! users and extensions with cost, savings, calls, duration and cost per call
//! type; a subtotal row per department and a grand total row.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::build::{self, TypeTallies, columns, count, department_order, text, totals};
use super::input::{OwnerTotals, ReportContext, Tally};
use crate::error::ReportError;
use crate::json::PeriodView;
use crate::model::{Cell, Column, Label, Report, Row, Table};
use crate::value;

/// Builds the department summary from one row per department × user × extension.
///
/// Rows are sorted by department path (component by component), user and
/// extension; rows sharing all three stay separate, in input order. Each
/// department's rows are followed by a bold subtotal row carrying the
/// department's sums, also in the `department_cost` column (the seed's
/// 部门累计); the last row is the grand total.
pub fn department(ctx: &ReportContext, rows: &[OwnerTotals]) -> Result<Report, ReportError> {
    let summary = Summary::new(rows)?;
    let mut table_rows = Vec::with_capacity(rows.len() + summary.departments.len() + 1);
    for group in &summary.departments {
        for line in &group.owners {
            let owner = line.owner;
            let identity = [text(&owner.department), text(&owner.user), text(&owner.extension)];
            table_rows.push(Row::normal(cells(identity, &line.tally, Cell::Empty, &line.types)?));
        }
        let identity = [text(group.name), Cell::Empty, Cell::Empty];
        let department_cost = Cell::Money(group.tally.cost);
        table_rows.push(Row::subtotal(cells(
            identity,
            &group.tally,
            department_cost,
            &group.types,
        )?));
    }
    let identity = [Cell::Empty, Cell::Empty, Cell::Empty];
    let all_cost = Cell::Money(summary.tally.cost);
    table_rows.push(Row::total(cells(identity, &summary.tally, all_cost, &summary.types)?));

    let tally = &summary.tally;
    build::checked(Report {
        title: Label::new("Department summary", "部门综合统计"),
        header: build::header(ctx),
        totals: vec![
            totals::calls(tally.calls)?,
            totals::cost(ctx, tally),
            totals::savings(ctx, tally)?,
            totals::duration(tally.duration_s),
        ],
        sections: vec![Table {
            name: Label::new("Departments", "部门统计"),
            columns: table_columns(ctx),
            rows: table_rows,
        }],
    })
}

/// The department summary as a JSON document for programs:
///
/// ```text
/// {"period": {"from", "to", "time_zone"}, "generated_at", "currency",
///  "totals": {"calls", "cost", "savings", "duration_s"},
///  "rows": [{"department", "user", "extension", "calls", "duration_s",
///            "cost", "savings", "by_type": {CALL_TYPE: cost}}],
///  "departments": [{"department", "calls", "cost", "savings"}]}
/// ```
///
/// Rows and departments come in the table's order. Money is the exact
/// decimal string (see [`value::money_exact`]), so the rows sum to the
/// totals exactly. `by_type` lists only the types with calls (or, should
/// the input have one, a non-zero cost without calls, so it still sums to
/// `cost`).
pub fn department_json(ctx: &ReportContext, rows: &[OwnerTotals]) -> Result<Value, ReportError> {
    let summary = Summary::new(rows)?;
    let mut json_rows = Vec::with_capacity(rows.len());
    let mut departments = Vec::with_capacity(summary.departments.len());
    for group in &summary.departments {
        for line in &group.owners {
            let mut by_type = Map::new();
            for (call_type, tally) in line.types.iter() {
                if tally.calls > 0 || !tally.cost.is_zero() {
                    by_type.insert(call_type.to_owned(), money(tally.cost));
                }
            }
            json_rows.push(json!({
                "department": line.owner.department,
                "user": line.owner.user,
                "extension": line.owner.extension,
                "calls": line.tally.calls,
                "duration_s": line.tally.duration_s,
                "cost": money(line.tally.cost),
                "savings": money(line.tally.savings()?),
                "by_type": by_type,
            }));
        }
        departments.push(json!({
            "department": group.name,
            "calls": group.tally.calls,
            "cost": money(group.tally.cost),
            "savings": money(group.tally.savings()?),
        }));
    }
    let tally = &summary.tally;
    Ok(json!({
        "period": serde_json::to_value(PeriodView::new(&ctx.period))?,
        "generated_at": value::datetime_rfc3339(&ctx.generated_at),
        "currency": ctx.currency,
        "totals": {
            "calls": tally.calls,
            "cost": money(tally.cost),
            "savings": money(tally.savings()?),
            "duration_s": tally.duration_s,
        },
        "rows": json_rows,
        "departments": departments,
    }))
}

fn money(amount: Decimal) -> Value {
    Value::String(value::money_exact(amount))
}

fn table_columns(ctx: &ReportContext) -> Vec<Column> {
    let mut table = vec![
        columns::department(),
        columns::user(),
        columns::extension(),
        columns::cost(ctx),
        columns::savings(ctx),
        columns::calls(),
        columns::duration(),
        Column::new("department_cost", "Department total", "部门累计", build::money(ctx)),
    ];
    table.extend(build::type_columns(ctx));
    table
}

fn cells(
    identity: [Cell; 3],
    tally: &Tally,
    department_cost: Cell,
    types: &TypeTallies,
) -> Result<Vec<Cell>, ReportError> {
    let mut cells = Vec::from(identity);
    cells.extend([
        Cell::Money(tally.cost),
        Cell::Money(tally.savings()?),
        count(tally.calls)?,
        Cell::Duration(tally.duration_s),
        department_cost,
    ]);
    cells.extend(types.cost_cells());
    Ok(cells)
}

/// The input checked, summed and grouped, shared by the table and the JSON.
struct Summary<'a> {
    departments: Vec<Department<'a>>,
    types: TypeTallies,
    tally: Tally,
}

struct Department<'a> {
    name: &'a str,
    owners: Vec<OwnerLine<'a>>,
    types: TypeTallies,
    tally: Tally,
}

struct OwnerLine<'a> {
    owner: &'a OwnerTotals,
    types: TypeTallies,
    tally: Tally,
}

impl<'a> Summary<'a> {
    fn new(rows: &'a [OwnerTotals]) -> Result<Self, ReportError> {
        let mut lines = rows
            .iter()
            .enumerate()
            .map(|(index, owner)| {
                let located = |error: ReportError| error.at(&owner_location(index, owner));
                let types = TypeTallies::from_by_type(&owner.by_type).map_err(located)?;
                let tally = types.total().map_err(located)?;
                Ok(OwnerLine { owner, types, tally })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        lines.sort_by(|a, b| {
            department_order(&a.owner.department, &b.owner.department)
                .then_with(|| a.owner.user.cmp(&b.owner.user))
                .then_with(|| a.owner.extension.cmp(&b.owner.extension))
        });

        let mut departments: Vec<Department> = Vec::new();
        for line in lines {
            let name = line.owner.department.as_str();
            match departments.last_mut() {
                Some(group) if group.name == name => group.owners.push(line),
                _ => departments.push(Department {
                    name,
                    owners: vec![line],
                    types: TypeTallies::default(),
                    tally: Tally::default(),
                }),
            }
        }
        let mut summary =
            Summary { departments, types: TypeTallies::default(), tally: Tally::default() };
        for group in &mut summary.departments {
            let located = |error: ReportError| error.at(&format!("department {:?}", group.name));
            for line in &group.owners {
                group.types.add(&line.types).map_err(located)?;
            }
            group.tally = group.types.total().map_err(located)?;
            summary.types.add(&group.types)?;
        }
        summary.tally = summary.types.total()?;
        Ok(summary)
    }
}

pub(crate) fn owner_location(index: usize, owner: &OwnerTotals) -> String {
    format!("row {} ({} / {} / {})", index + 1, owner.department, owner.user, owner.extension)
}
