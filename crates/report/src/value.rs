//! How single values are spelled, in the human style (TXT, HTML, display
//! CSV) and the machine style (JSON, default CSV).
//!
//! Money shown to people is rounded here and only here: half away from zero
//! to two decimals, the commercial rule, so every human format shows the same
//! amounts. Machine spellings keep the exact amount (`12.345`, `12.30`), so a
//! program summing a column gets exactly the report's total.

use jiff::Zoned;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::Cell;

/// Decimals shown for money in every format.
pub const MONEY_DECIMALS: u32 = 2;

/// `0D 08:18:45`: whole days, then hours, minutes and seconds of the rest.
/// The day count is never padded and grows as needed (`123D 00:00:00`).
pub fn duration(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    format!("{days}D {:02}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60)
}

/// The amount as shown and exported: two decimals, half away from zero.
pub fn round_money(amount: Decimal) -> Decimal {
    let mut rounded =
        amount.round_dp_with_strategy(MONEY_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(MONEY_DECIMALS);
    rounded
}

/// `87972.78`: no grouping separators, as the seed report prints amounts.
pub fn money(amount: Decimal) -> String {
    round_money(amount).to_string()
}

/// The exact amount for machines: trailing zeros dropped, but at least two
/// decimals (`12.3400` → `12.34`, `12.345` → `12.345`, `7` → `7.00`, `-0` → `0.00`).
/// Padding is done on the text, so no amount is ever rounded to fit a scale.
pub fn money_exact(amount: Decimal) -> String {
    let mut text = amount.normalize().to_string();
    let decimals = text.find('.').map_or(0, |dot| text.len() - dot - 1);
    if decimals == 0 {
        text.push('.');
    }
    for _ in decimals..MONEY_DECIMALS as usize {
        text.push('0');
    }
    text
}

/// `25.00%` for the fraction 0.25.
pub fn percent(fraction: Decimal) -> String {
    let mut hundredths = (fraction * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    hundredths.rescale(2);
    format!("{hundredths}%")
}

/// `2012-11-09 15:49:31 UTC+0800`, the seed's spelling: the wall time in the
/// value's own zone with its offset, so no reader has to guess the zone.
pub fn datetime(at: &Zoned) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC%z").to_string()
}

/// RFC 3339 with the offset of the value's zone: `2012-11-09T15:49:31+08:00`.
pub fn datetime_rfc3339(at: &Zoned) -> String {
    at.timestamp().display_with_offset(at.offset()).to_string()
}

/// The human spelling of a cell; `Empty` is the empty string.
pub fn human(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => text.clone(),
        Cell::Integer(n) => n.to_string(),
        Cell::Money(amount) => money(*amount),
        Cell::Duration(seconds) => duration(*seconds),
        Cell::Percent(fraction) => percent(*fraction),
        Cell::DateTime(at) => datetime(at),
    }
}

/// The machine spelling of a cell for text-only formats (CSV): exact money,
/// durations in seconds, percentages as fractions, times as RFC 3339.
pub fn machine(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => text.clone(),
        Cell::Integer(n) => n.to_string(),
        Cell::Money(amount) => money_exact(*amount),
        Cell::Duration(seconds) => seconds.to_string(),
        Cell::Percent(fraction) => fraction.normalize().to_string(),
        Cell::DateTime(at) => datetime_rfc3339(at),
    }
}
