//! Pieces the report builders share: the header, column and cell makers,
//! per-type tallies and the sort order of department paths.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::input::{ByType, CALL_TYPES, ReportContext, Tally, call_type_label};
use crate::error::ReportError;
use crate::model::{Cell, Column, Header, Kind, Label, Total};

pub(crate) fn header(ctx: &ReportContext) -> Header {
    Header {
        period: Some(ctx.period.clone()),
        generated_at: ctx.generated_at.clone(),
        created_by: ctx.created_by.clone(),
        filters: ctx.filters.clone(),
    }
}

pub(crate) fn money(ctx: &ReportContext) -> Kind {
    Kind::money(ctx.currency.clone())
}

pub(crate) fn total(key: &str, en: &str, zh: &str, kind: Kind, value: Cell) -> Total {
    Total { key: key.to_owned(), label: Label::new(en, zh), kind, value }
}

/// A count as an integer cell; counts past `i64::MAX` cannot be shown.
pub(crate) fn count(n: u64) -> Result<Cell, ReportError> {
    i64::try_from(n)
        .map(Cell::Integer)
        .map_err(|_| ReportError::input(format!("count {n} is too large to show")))
}

pub(crate) fn text(value: &str) -> Cell {
    Cell::text(value)
}

/// Department paths compare component by component, so a department's
/// sub-departments follow it directly (`Sales`, `Sales\EMEA`, `Sales Ops`).
pub(crate) fn department_order(a: &str, b: &str) -> Ordering {
    a.split('\\').cmp(b.split('\\'))
}

/// `fraction = part / whole` as a percent cell, empty when `whole` is zero.
pub(crate) fn fraction(part: Decimal, whole: Decimal) -> Result<Cell, ReportError> {
    if whole.is_zero() {
        return Ok(Cell::Empty);
    }
    part.checked_div(whole)
        .map(Cell::Percent)
        .ok_or_else(|| ReportError::input(format!("{part} / {whole} is out of range")))
}

/// Tallies indexed by the position of their call type in [`CALL_TYPES`];
/// the checked form of a [`ByType`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TypeTallies([Tally; CALL_TYPES.len()]);

impl TypeTallies {
    /// Checks every key against [`CALL_TYPES`].
    pub(crate) fn from_by_type(by_type: &ByType) -> Result<Self, ReportError> {
        let mut tallies = TypeTallies::default();
        for (call_type, tally) in by_type {
            let index = type_index(call_type)?;
            tallies.0[index].add(tally)?;
        }
        Ok(tallies)
    }

    pub(crate) fn add(&mut self, other: &TypeTallies) -> Result<(), ReportError> {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            mine.add(theirs)?;
        }
        Ok(())
    }

    pub(crate) fn total(&self) -> Result<Tally, ReportError> {
        let mut total = Tally::default();
        for tally in &self.0 {
            total.add(tally)?;
        }
        Ok(total)
    }

    /// `(call type, tally)` in column order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'static str, &Tally)> {
        CALL_TYPES.into_iter().zip(&self.0)
    }

    /// Cost per call type, one cell per column of [`type_columns`].
    pub(crate) fn cost_cells(&self) -> Vec<Cell> {
        self.0.iter().map(|tally| Cell::Money(tally.cost)).collect()
    }
}

/// Position of `call_type` in [`CALL_TYPES`], or an error naming the valid ones.
pub(crate) fn type_index(call_type: &str) -> Result<usize, ReportError> {
    CALL_TYPES.iter().position(|known| *known == call_type).ok_or_else(|| {
        ReportError::input(format!(
            "unknown call type {call_type:?} (expected one of {})",
            CALL_TYPES.join(", ")
        ))
    })
}

/// One cost column per call type, keyed by the call type.
pub(crate) fn type_columns(ctx: &ReportContext) -> Vec<Column> {
    CALL_TYPES
        .iter()
        .map(|call_type| Column {
            key: (*call_type).to_owned(),
            header: call_type_label(call_type).unwrap_or_else(|| Label::same(*call_type)),
            kind: money(ctx),
        })
        .collect()
}

/// Cells of the standard money trio: cost, reference, savings.
pub(crate) fn money_trio(tally: &Tally) -> Result<[Cell; 3], ReportError> {
    Ok([Cell::Money(tally.cost), Cell::Money(tally.reference), Cell::Money(tally.savings()?)])
}

/// The columns most reports share, with one wording everywhere.
pub(crate) mod columns {
    use super::{ReportContext, money};
    use crate::model::{Column, Kind};

    pub(crate) fn department() -> Column {
        Column::new("department", "Department", "部门", Kind::Text)
    }

    pub(crate) fn user() -> Column {
        Column::new("user", "User", "用户", Kind::Text)
    }

    pub(crate) fn extension() -> Column {
        Column::new("extension", "Extension", "分机", Kind::Text)
    }

    pub(crate) fn calls() -> Column {
        Column::new("calls", "Calls", "通话数", Kind::Integer)
    }

    pub(crate) fn duration() -> Column {
        Column::new("duration_s", "Duration", "累计时长", Kind::Duration)
    }

    pub(crate) fn cost(ctx: &ReportContext) -> Column {
        Column::new("cost", "Cost", "实际话费", money(ctx))
    }

    pub(crate) fn reference(ctx: &ReportContext) -> Column {
        Column::new("reference", "Reference cost", "参考话费", money(ctx))
    }

    pub(crate) fn savings(ctx: &ReportContext) -> Column {
        Column::new("savings", "Savings", "节省话费", money(ctx))
    }
}

/// The grand totals most reports share, with one wording everywhere.
pub(crate) mod totals {
    use super::{ReportContext, count, money, total};
    use crate::error::ReportError;
    use crate::model::{Cell, Kind, Total};
    use crate::reports::input::Tally;

    pub(crate) fn calls(n: u64) -> Result<Total, ReportError> {
        Ok(total("calls", "Total calls", "呼叫总计", Kind::Integer, count(n)?))
    }

    pub(crate) fn duration(seconds: u64) -> Total {
        total("duration_s", "Total duration", "时长总计", Kind::Duration, Cell::Duration(seconds))
    }

    pub(crate) fn cost(ctx: &ReportContext, tally: &Tally) -> Total {
        total("cost", "Total cost", "话费总计", money(ctx), Cell::Money(tally.cost))
    }

    pub(crate) fn reference(ctx: &ReportContext, tally: &Tally) -> Total {
        let value = Cell::Money(tally.reference);
        total("reference", "Total reference cost", "参考话费总计", money(ctx), value)
    }

    pub(crate) fn savings(ctx: &ReportContext, tally: &Tally) -> Result<Total, ReportError> {
        let value = Cell::Money(tally.savings()?);
        Ok(total("savings", "Total savings", "总计节省", money(ctx), value))
    }

    /// Calls, duration, cost, reference cost and savings, in that order.
    pub(crate) fn all(ctx: &ReportContext, tally: &Tally) -> Result<Vec<Total>, ReportError> {
        Ok(vec![
            calls(tally.calls)?,
            duration(tally.duration_s),
            cost(ctx, tally),
            reference(ctx, tally),
            savings(ctx, tally)?,
        ])
    }
}

/// Every builder hands back a report the writers will accept, so a caller
/// learns of a bad report (say, a currency that is no ISO code) when building.
pub(crate) fn checked(report: crate::model::Report) -> Result<crate::model::Report, ReportError> {
    report.validate()?;
    Ok(report)
}
