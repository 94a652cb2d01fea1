//! Traffic by hour of day and weekday, and the busy hour.

use super::build::{self, columns, count, totals};
use super::input::{ReportContext, Tally};
use crate::error::ReportError;
use crate::model::{Cell, Column, Kind, Label, Report, Row, Table};

/// Calls by weekday (Monday = 0) and hour of the local day (0–23).
pub type WeekHours = [[Tally; 24]; 7];

const WEEKDAYS: [(&str, &str, &str); 7] = [
    ("mon", "Mon", "周一"),
    ("tue", "Tue", "周二"),
    ("wed", "Wed", "周三"),
    ("thu", "Thu", "周四"),
    ("fri", "Fri", "周五"),
    ("sat", "Sat", "周六"),
    ("sun", "Sun", "周日"),
];

/// The busy hour: the hour of day with the most calls over the whole week,
/// the earliest on a tie; `None` when there are no calls at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyHour {
    /// Start of the hour, 0–23.
    pub hour: u8,
    /// Calls in that hour, all weekdays together.
    pub calls: u64,
}

impl BusyHour {
    /// `09:00-10:00`.
    pub fn span(self) -> String {
        hour_span(usize::from(self.hour))
    }
}

/// Finds the busy hour of `week` (see [`BusyHour`]).
pub fn busy_hour(week: &WeekHours) -> Result<Option<BusyHour>, ReportError> {
    let hours = hour_tallies(week)?;
    let mut busiest: Option<BusyHour> = None;
    for (hour, tally) in (0u8..).zip(&hours) {
        let busier = busiest.is_none_or(|best| tally.calls > best.calls);
        if tally.calls > 0 && busier {
            busiest = Some(BusyHour { hour, calls: tally.calls });
        }
    }
    Ok(busiest)
}

/// Rows are the 24 hours, columns the calls on each weekday, then all calls,
/// duration and cost of the hour; a total row per column. The totals name
/// the busy hour (`busy_hour`, text `09:00-10:00`, empty without calls) and
/// its calls (`busy_hour_calls`).
pub fn traffic(ctx: &ReportContext, week: &WeekHours) -> Result<Report, ReportError> {
    let hours = hour_tallies(week)?;
    let mut days = [Tally::default(); 7];
    for (day, hours_of_day) in days.iter_mut().zip(week) {
        for tally in hours_of_day {
            day.add(tally)?;
        }
    }
    let mut all = Tally::default();
    for day in &days {
        all.add(day)?;
    }

    let mut rows = Vec::with_capacity(25);
    for (hour, tally) in hours.iter().enumerate() {
        let mut cells = vec![Cell::text(hour_span(hour))];
        for hours_of_day in week {
            cells.push(count(hours_of_day[hour].calls)?);
        }
        cells.extend(sums(tally)?);
        rows.push(Row::normal(cells));
    }
    let mut cells = vec![Cell::Empty];
    for day in &days {
        cells.push(count(day.calls)?);
    }
    cells.extend(sums(&all)?);
    rows.push(Row::total(cells));

    let busy = busy_hour(week)?;
    let mut report_totals =
        vec![totals::calls(all.calls)?, totals::duration(all.duration_s), totals::cost(ctx, &all)];
    report_totals.push(build::total(
        "busy_hour",
        "Busy hour",
        "忙时",
        Kind::Text,
        busy.map_or(Cell::Empty, |busy| Cell::text(busy.span())),
    ));
    report_totals.push(build::total(
        "busy_hour_calls",
        "Calls in the busy hour",
        "忙时呼叫数",
        Kind::Integer,
        count(busy.map_or(0, |busy| busy.calls))?,
    ));

    let mut table_columns = vec![Column::new("hour", "Hour", "时段", Kind::Text)];
    table_columns
        .extend(WEEKDAYS.iter().map(|(key, en, zh)| Column::new(*key, *en, *zh, Kind::Integer)));
    table_columns.extend([columns::calls(), columns::duration(), columns::cost(ctx)]);
    build::checked(Report {
        title: Label::new("Traffic by hour", "话务时段分布"),
        header: build::header(ctx),
        totals: report_totals,
        sections: vec![Table { name: Label::new("Hours", "时段"), columns: table_columns, rows }],
    })
}

/// Each hour of day summed over the weekdays.
fn hour_tallies(week: &WeekHours) -> Result<[Tally; 24], ReportError> {
    let mut hours = [Tally::default(); 24];
    for hours_of_day in week {
        for (hour, tally) in hours.iter_mut().zip(hours_of_day) {
            hour.add(tally)?;
        }
    }
    Ok(hours)
}

fn sums(tally: &Tally) -> Result<[Cell; 3], ReportError> {
    Ok([count(tally.calls)?, Cell::Duration(tally.duration_s), Cell::Money(tally.cost)])
}

fn hour_span(hour: usize) -> String {
    format!("{hour:02}:00-{:02}:00", hour + 1)
}
