//! Day and month numbers of rollups: a local civil date as days since
//! 1970-01-01, a month as year × 12 + month − 1.

use jiff::civil::Date;

const EPOCH: Date = jiff::civil::date(1970, 1, 1);

pub fn day_number(date: Date) -> i64 {
    i64::from((date - EPOCH).get_days())
}

pub fn date_of_day(day: i64) -> Date {
    EPOCH.checked_add(jiff::Span::new().days(day.clamp(-7_000_000, 7_000_000))).unwrap_or(EPOCH)
}

pub fn month_number(date: Date) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month()) - 1
}

/// The month number of day number `day`.
pub fn month_of_day(day: i64) -> i64 {
    month_number(date_of_day(day))
}

/// The first day number of month number `month`.
pub fn first_day_of_month(month: i64) -> i64 {
    let year = i16::try_from(month.div_euclid(12)).unwrap_or(1970);
    let m = (month.rem_euclid(12) + 1) as i8;
    Date::new(year, m, 1).map(day_number).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        let d = jiff::civil::date(2025, 3, 31);
        assert_eq!(date_of_day(day_number(d)), d);
        assert_eq!(month_of_day(day_number(d)), 2025 * 12 + 2);
        assert_eq!(first_day_of_month(2025 * 12 + 3), day_number(jiff::civil::date(2025, 4, 1)));
        assert_eq!(day_number(EPOCH), 0);
    }
}
