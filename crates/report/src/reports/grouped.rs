//! Reports of calls grouped by one thing: trunk, carrier, site or
//! destination. One row per group with counts, money and cost per call type.

use std::fmt;

use super::build::{self, TypeTallies, columns, count, text, totals};
use super::input::{ByType, ReportContext, Tally};
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// What a grouped report groups by; decides its title and first columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    Trunk,
    Carrier,
    Site,
    Destination,
}

impl GroupKind {
    pub const ALL: [GroupKind; 4] =
        [GroupKind::Trunk, GroupKind::Carrier, GroupKind::Site, GroupKind::Destination];

    /// Machine name, also the key of the first column.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::Trunk => "trunk",
            GroupKind::Carrier => "carrier",
            GroupKind::Site => "site",
            GroupKind::Destination => "destination",
        }
    }

    pub fn title(self) -> Label {
        match self {
            GroupKind::Trunk => Label::new("Trunk report", "中继统计"),
            GroupKind::Carrier => Label::new("Carrier report", "运营商统计"),
            GroupKind::Site => Label::new("Site report", "站点统计"),
            GroupKind::Destination => Label::new("Destination report", "目的地统计"),
        }
    }

    /// Header of the name column.
    pub fn name_header(self) -> Label {
        match self {
            GroupKind::Trunk => Label::new("Trunk", "中继"),
            GroupKind::Carrier => Label::new("Carrier", "运营商"),
            GroupKind::Site => Label::new("Site", "站点"),
            GroupKind::Destination => Label::new("Destination", "目的地"),
        }
    }

    /// Header of the detail column: what [`GroupRow::detail`] holds.
    pub fn detail_header(self) -> Label {
        match self {
            GroupKind::Trunk => Label::new("PBX", "交换机"),
            GroupKind::Destination => Label::new("Country code", "国家代码"),
            GroupKind::Carrier | GroupKind::Site => Label::new("Details", "说明"),
        }
    }

    fn table_name(self) -> Label {
        match self {
            GroupKind::Trunk => Label::new("Trunks", "中继"),
            GroupKind::Carrier => Label::new("Carriers", "运营商"),
            GroupKind::Site => Label::new("Sites", "站点"),
            GroupKind::Destination => Label::new("Destinations", "目的地"),
        }
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One group's calls.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupRow {
    /// The trunk, carrier, site or destination name.
    pub name: String,
    /// What tells equal names apart or places the group: a trunk's PBX, a
    /// destination's country code; may be empty.
    pub detail: String,
    pub by_type: ByType,
}

/// Builds a trunk, carrier, site or destination report: rows sorted by cost,
/// highest first, then by name and detail; a total row at the end.
pub fn grouped(
    ctx: &ReportContext,
    kind: GroupKind,
    rows: &[GroupRow],
) -> Result<Report, ReportError> {
    let mut lines = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let located = |error: ReportError| {
                error.at(&format!("{kind} row {} ({} / {})", index + 1, row.name, row.detail))
            };
            let types = TypeTallies::from_by_type(&row.by_type).map_err(located)?;
            let tally = types.total().map_err(located)?;
            Ok((row, types, tally))
        })
        .collect::<Result<Vec<_>, ReportError>>()?;
    lines.sort_by(|(a, _, a_tally), (b, _, b_tally)| {
        b_tally
            .cost
            .cmp(&a_tally.cost)
            .then_with(|| a.name.cmp(&b.name))
            .then(a.detail.cmp(&b.detail))
    });

    let mut all = TypeTallies::default();
    let mut table_rows = Vec::with_capacity(lines.len() + 1);
    for (row, types, tally) in &lines {
        all.add(types)?;
        table_rows.push(Row::normal(cells([text(&row.name), text(&row.detail)], tally, types)?));
    }
    let tally = all.total()?;
    table_rows.push(Row::total(cells([Cell::Empty, Cell::Empty], &tally, &all)?));

    let mut table_columns = vec![
        Column { key: kind.as_str().to_owned(), header: kind.name_header(), kind: Kind::Text },
        Column { key: "detail".to_owned(), header: kind.detail_header(), kind: Kind::Text },
        columns::calls(),
        columns::duration(),
        columns::cost(ctx),
        columns::reference(ctx),
        columns::savings(ctx),
    ];
    table_columns.extend(build::type_columns(ctx));
    build::checked(Report {
        title: kind.title(),
        header: build::header(ctx),
        totals: totals::all(ctx, &tally)?,
        sections: vec![Table { name: kind.table_name(), columns: table_columns, rows: table_rows }],
    })
}

fn cells(
    identity: [Cell; 2],
    tally: &Tally,
    types: &TypeTallies,
) -> Result<Vec<Cell>, ReportError> {
    let mut cells = Vec::from(identity);
    cells.extend([count(tally.calls)?, Cell::Duration(tally.duration_s)]);
    cells.extend(build::money_trio(tally)?);
    cells.extend(types.cost_cells());
    Ok(cells)
}
