//! Numbers that made calls but are in no directory: extensions someone
//! forgot to add, or a PBX reporting something unexpected.

use jiff::Zoned;
use rust_decimal::Decimal;

use super::build::{self, columns, count, totals};
use super::input::{ReportContext, Tally};
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// One unknown calling number on one PBX.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownRow {
    pub pbx: String,
    pub number: String,
    pub calls: u64,
    pub duration_s: u64,
    pub cost: Decimal,
    /// Start of its first and last call in the period, in the zone to show.
    pub first_seen: Zoned,
    pub last_seen: Zoned,
}

/// Rows sorted by calls, most first, then PBX and number. The total row
/// sums calls, duration and cost and spans the earliest first and the latest
/// last sighting.
pub fn unknown_extensions(ctx: &ReportContext, rows: &[UnknownRow]) -> Result<Report, ReportError> {
    let mut all = Tally::default();
    let mut first: Option<&Zoned> = None;
    let mut last: Option<&Zoned> = None;
    for (index, row) in rows.iter().enumerate() {
        let location = format!("row {} ({} / {})", index + 1, row.pbx, row.number);
        if row.first_seen.timestamp() > row.last_seen.timestamp() {
            return Err(ReportError::input(format!(
                "first seen {} is after last seen {}",
                row.first_seen, row.last_seen
            ))
            .at(&location));
        }
        let tally = Tally {
            calls: row.calls,
            duration_s: row.duration_s,
            cost: row.cost,
            ..Tally::default()
        };
        all.add(&tally).map_err(|error| error.at(&location))?;
        if first.is_none_or(|first| row.first_seen.timestamp() < first.timestamp()) {
            first = Some(&row.first_seen);
        }
        if last.is_none_or(|last| row.last_seen.timestamp() > last.timestamp()) {
            last = Some(&row.last_seen);
        }
    }
    let mut sorted: Vec<&UnknownRow> = rows.iter().collect();
    sorted.sort_by(|a, b| {
        b.calls.cmp(&a.calls).then_with(|| a.pbx.cmp(&b.pbx)).then_with(|| a.number.cmp(&b.number))
    });

    let mut table_rows = Vec::with_capacity(sorted.len() + 1);
    for row in sorted {
        table_rows.push(Row::normal(vec![
            Cell::text(&row.pbx),
            Cell::text(&row.number),
            count(row.calls)?,
            Cell::Duration(row.duration_s),
            Cell::Money(row.cost),
            Cell::DateTime(row.first_seen.clone()),
            Cell::DateTime(row.last_seen.clone()),
        ]));
    }
    let seen = |at: Option<&Zoned>| at.map_or(Cell::Empty, |at| Cell::DateTime(at.clone()));
    table_rows.push(Row::total(vec![
        Cell::Empty,
        Cell::Empty,
        count(all.calls)?,
        Cell::Duration(all.duration_s),
        Cell::Money(all.cost),
        seen(first),
        seen(last),
    ]));

    build::checked(Report {
        title: Label::new("Unknown extensions", "未知分机"),
        header: build::header(ctx),
        totals: vec![
            build::total(
                "numbers",
                "Unknown numbers",
                "未知号码数",
                Kind::Integer,
                count(rows.len() as u64)?,
            ),
            totals::calls(all.calls)?,
            totals::duration(all.duration_s),
            totals::cost(ctx, &all),
        ],
        sections: vec![Table {
            name: Label::new("Numbers", "号码"),
            columns: vec![
                Column::new("pbx", "PBX", "交换机", Kind::Text),
                Column::new("number", "Number", "号码", Kind::Text),
                columns::calls(),
                columns::duration(),
                columns::cost(ctx),
                Column::new("first_seen", "First seen", "首次出现", Kind::DateTime),
                Column::new("last_seen", "Last seen", "最近出现", Kind::DateTime),
            ],
            rows: table_rows,
        }],
    })
}
