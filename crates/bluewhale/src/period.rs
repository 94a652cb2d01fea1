//! Reading `--from` / `--to` arguments.

use anyhow::{Context, Result, bail};
use jiff::{Timestamp, civil::Date, tz::TimeZone};

/// A date as written on the command line: `YYYY-MM-DD`, or `today`,
/// `yesterday`, `tomorrow` (this machine's calendar).
fn date(text: &str) -> Result<Date> {
    let today = || jiff::Zoned::now().date();
    let date = match text {
        "today" => today(),
        "yesterday" => today().yesterday()?,
        "tomorrow" => today().tomorrow()?,
        _ => text.parse().with_context(|| {
            format!("not a date (YYYY-MM-DD, today, yesterday, tomorrow): {text:?}")
        })?,
    };
    Ok(date)
}

/// A period bound: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
/// `end_of_day` moves a plain date to the next midnight, so `--to
/// 2025-04-30` includes that whole day.
pub fn bound(text: &str, end_of_day: bool) -> Result<i64> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t.as_second());
    }
    let date = date(text).with_context(|| format!("nor a time (RFC 3339): {text:?}"))?;
    let date = if end_of_day { date.tomorrow().context("date out of range")? } else { date };
    Ok(date.to_zoned(TimeZone::UTC)?.timestamp().as_second())
}

/// The local days `from..=to` (day numbers since 1970-01-01), for
/// commands that work in the reporting zone's days.
pub fn local_days(from: &str, to: &str) -> Result<std::ops::RangeInclusive<i64>> {
    let (f, t) = (date(from)?, date(to)?);
    if t < f {
        bail!("--to {to} is before --from {from}");
    }
    Ok(charging::day_number(f)..=charging::day_number(t))
}

/// The period `[from, to)` in UTC seconds.
pub fn period(from: &str, to: &str) -> Result<(i64, i64)> {
    let (f, t) = (bound(from, false)?, bound(to, true)?);
    if t <= f {
        bail!("--to {to} is not after --from {from}");
    }
    Ok((f, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_whole_days() {
        assert_eq!(period("2025-04-18", "2025-04-18").unwrap(), (1744934400, 1745020800));
        assert_eq!(bound("2025-04-18T16:32:10Z", true).unwrap(), 1744993930);
        assert!(period("2025-04-19", "2025-04-18").is_err());
        assert!(bound("18/04/2025", false).is_err());
        let today = jiff::Zoned::now().date();
        let days = local_days("yesterday", "tomorrow").unwrap();
        assert_eq!(days.end() - days.start(), 2);
        assert_eq!(*days.start() + 1, charging::day_number(today));
    }
}
