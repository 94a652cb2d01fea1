//! Time bands: which named band (peak, offpeak, weekend, …) is in force at
//! a local civil time, from weekday × time-of-day ranges and holidays.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::zone::{civil_from_days, weekday_from_days};

const SECONDS_PER_DAY: u32 = 86_400;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A set of weekdays, bit 0 = Monday.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0x7F);

    pub fn contains(self, weekday_monday_zero: u32) -> bool {
        self.0 & (1 << weekday_monday_zero) != 0
    }
}

impl FromStr for Weekdays {
    type Err = String;

    /// `all`, or comma-separated days and runs: `mon-fri`, `sat,sun`,
    /// `fri-mon` (a run may wrap past Sunday).
    fn from_str(text: &str) -> Result<Weekdays, String> {
        if text.trim() == "all" {
            return Ok(Weekdays::ALL);
        }
        let day = |name: &str| {
            DAY_NAMES
                .iter()
                .position(|d| *d == name.trim())
                .ok_or_else(|| format!("not a weekday: {:?} (use mon … sun)", name.trim()))
        };
        let mut bits = 0u8;
        for part in text.split(',') {
            match part.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (day(first)?, day(last)?);
                    let mut current = first;
                    loop {
                        bits |= 1 << current;
                        if current == last {
                            break;
                        }
                        current = (current + 1) % 7;
                    }
                }
                None => bits |= 1 << day(part)?,
            }
        }
        Ok(Weekdays(bits))
    }
}

impl fmt::Display for Weekdays {
    /// Canonical form: `all`, or runs such as `mon-fri,sun`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Weekdays::ALL {
            return f.write_str("all");
        }
        let mut parts = Vec::new();
        let mut day = 0;
        while day < 7 {
            if self.contains(day) {
                let start = day;
                while day + 1 < 7 && self.contains(day + 1) {
                    day += 1;
                }
                parts.push(if start == day {
                    DAY_NAMES[start as usize].to_string()
                } else {
                    format!("{}-{}", DAY_NAMES[start as usize], DAY_NAMES[day as usize])
                });
            }
            day += 1;
        }
        f.write_str(&parts.join(","))
    }
}

impl fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Weekdays({self})")
    }
}

/// Weekdays × a time-of-day range `[from, to)`, in seconds of the day.
/// When `from > to` the range wraps midnight and belongs to the day it
/// starts on: `fri 22:00–06:00` covers Saturday 02:00.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub days: Weekdays,
    pub from: u32,
    pub to: u32,
}

impl TimeRange {
    /// `from` in `00:00`–`23:59:59`, `to` in `00:00:01`–`24:00`, not equal.
    pub fn parse(days: &str, from: &str, to: &str) -> Result<TimeRange, String> {
        let days = days.parse()?;
        let from = parse_time_of_day(from)?;
        let to = parse_time_of_day(to)?;
        if from == SECONDS_PER_DAY {
            return Err("from cannot be 24:00".into());
        }
        if from == to {
            return Err(format!("empty range {}–{}", format_time(from), format_time(to)));
        }
        Ok(TimeRange { days, from, to })
    }

    fn contains(&self, weekday: u32, second_of_day: u32) -> bool {
        if self.from < self.to {
            self.days.contains(weekday) && (self.from..self.to).contains(&second_of_day)
        } else {
            let yesterday = (weekday + 6) % 7;
            (self.days.contains(weekday) && second_of_day >= self.from)
                || (self.days.contains(yesterday) && second_of_day < self.to)
        }
    }
}

fn parse_time_of_day(text: &str) -> Result<u32, String> {
    let bad = || format!("not a time of day: {text:?} (use HH:MM or HH:MM:SS)");
    let mut parts = text.split(':');
    let mut field = |max: u32| -> Result<u32, String> {
        let part = parts.next().ok_or_else(bad)?;
        if part.len() != 2 {
            return Err(bad());
        }
        let value: u32 = part.parse().map_err(|_| bad())?;
        if value > max {
            return Err(bad());
        }
        Ok(value)
    };
    let hours = field(24)?;
    let minutes = field(59)?;
    let seconds = match text.len() {
        5 => 0,
        8 => field(59)?,
        _ => return Err(bad()),
    };
    let total = hours * 3600 + minutes * 60 + seconds;
    if total > SECONDS_PER_DAY {
        return Err(bad());
    }
    Ok(total)
}

/// `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
pub(crate) fn format_time(second_of_day: u32) -> String {
    let (h, m, s) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    if s == 0 { format!("{h:02}:{m:02}") } else { format!("{h:02}:{m:02}:{s:02}") }
}

/// One holiday: a date (`2025-12-25`) or a date every year (`12-25`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HolidayDate {
    Fixed(Date),
    Yearly { month: u8, day: u8 },
}

impl FromStr for HolidayDate {
    type Err = String;

    fn from_str(text: &str) -> Result<HolidayDate, String> {
        let bad = || format!("not a holiday date: {text:?} (use YYYY-MM-DD or MM-DD)");
        match text.len() {
            10 => text.parse::<Date>().map(HolidayDate::Fixed).map_err(|_| bad()),
            5 => {
                let (month, day) = text.split_once('-').ok_or_else(bad)?;
                let (month, day): (u8, u8) =
                    (month.parse().map_err(|_| bad())?, day.parse().map_err(|_| bad())?);
                // 2024 is a leap year, so 02-29 is accepted.
                Date::new(2024, month as i8, day as i8).map_err(|_| bad())?;
                Ok(HolidayDate::Yearly { month, day })
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for HolidayDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HolidayDate::Fixed(date) => write!(f, "{date}"),
            HolidayDate::Yearly { month, day } => write!(f, "{month:02}-{day:02}"),
        }
    }
}

/// A named set of holidays (a carrier's or a site's).
#[derive(Clone, Debug, Default)]
pub struct HolidayCalendar {
    name: Box<str>,
    dates: Vec<HolidayDate>,
    /// Fixed dates as `year * 512 + month * 32 + day`, sorted.
    fixed: Vec<i64>,
    /// Yearly dates as bits `month * 32 + day`.
    yearly: [u64; 7],
}

impl HolidayCalendar {
    pub fn new(name: &str, dates: impl IntoIterator<Item = HolidayDate>) -> HolidayCalendar {
        let mut calendar = HolidayCalendar { name: name.into(), ..HolidayCalendar::default() };
        calendar.extend(dates);
        calendar
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dates as declared (sorted, without repeats).
    pub fn dates(&self) -> &[HolidayDate] {
        &self.dates
    }

    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    pub(crate) fn extend(&mut self, dates: impl IntoIterator<Item = HolidayDate>) {
        for date in dates {
            match date {
                HolidayDate::Fixed(d) => {
                    self.fixed.push(pack_ymd(i64::from(d.year()), d.month() as u32, d.day() as u32))
                }
                HolidayDate::Yearly { month, day } => {
                    let bit = u32::from(month) * 32 + u32::from(day);
                    self.yearly[(bit / 64) as usize] |= 1 << (bit % 64);
                }
            }
            self.dates.push(date);
        }
        self.fixed.sort_unstable();
        self.fixed.dedup();
        self.dates.sort_unstable();
        self.dates.dedup();
    }

    /// Whether the civil date `days` since 1970-01-01 is a holiday.
    pub fn contains_day(&self, days: i64) -> bool {
        if self.dates.is_empty() {
            return false;
        }
        let (year, month, day) = civil_from_days(days);
        let bit = month * 32 + day;
        self.yearly[(bit / 64) as usize] & (1 << (bit % 64)) != 0
            || self.fixed.binary_search(&pack_ymd(year, month, day)).is_ok()
    }

    /// Whether `date` is a holiday.
    pub fn contains(&self, date: Date) -> bool {
        let days = date.since(Date::constant(1970, 1, 1)).map(|span| span.get_days()).unwrap_or(0);
        self.contains_day(i64::from(days))
    }
}

fn pack_ymd(year: i64, month: u32, day: u32) -> i64 {
    year * 512 + i64::from(month * 32 + day)
}

/// Index of a band within its tariff version.
pub(crate) type BandIndex = u8;

/// The compiled band rules of one tariff version.
#[derive(Debug)]
pub(crate) struct BandSchedule {
    /// In declared order; the first range that contains the time wins.
    rules: Vec<(BandIndex, TimeRange)>,
    default_band: BandIndex,
    holiday_band: Option<BandIndex>,
    holidays: HolidayCalendar,
    /// Seconds of the day where the band may change, sorted, ending with
    /// 86400 (midnight: the weekday and holidays change).
    boundaries: Box<[u32]>,
}

impl BandSchedule {
    pub(crate) fn new(
        rules: Vec<(BandIndex, TimeRange)>,
        default_band: BandIndex,
        holiday_band: Option<BandIndex>,
        holidays: HolidayCalendar,
    ) -> BandSchedule {
        let mut boundaries: Vec<u32> = rules
            .iter()
            .flat_map(|(_, range)| [range.from, range.to])
            .filter(|&s| s > 0 && s < SECONDS_PER_DAY)
            .chain([SECONDS_PER_DAY])
            .collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        BandSchedule { rules, default_band, holiday_band, holidays, boundaries: boundaries.into() }
    }

    /// The band in force at a local civil time (seconds since 1970-01-01
    /// local), with the site's holidays added to the tariff's.
    #[inline]
    pub(crate) fn band_at(&self, local_seconds: i64, site: Option<&HolidayCalendar>) -> BandIndex {
        let days = local_seconds.div_euclid(i64::from(SECONDS_PER_DAY));
        if let Some(holiday_band) = self.holiday_band {
            if self.holidays.contains_day(days) || site.is_some_and(|c| c.contains_day(days)) {
                return holiday_band;
            }
        }
        let second_of_day = local_seconds.rem_euclid(i64::from(SECONDS_PER_DAY)) as u32;
        let weekday = weekday_from_days(days);
        self.rules
            .iter()
            .find(|(_, range)| range.contains(weekday, second_of_day))
            .map_or(self.default_band, |(band, _)| *band)
    }

    /// Local seconds from `local_seconds` to the next time of day where the
    /// band may change (always > 0).
    #[inline]
    pub(crate) fn seconds_to_next_boundary(&self, local_seconds: i64) -> i64 {
        let second_of_day = local_seconds.rem_euclid(i64::from(SECONDS_PER_DAY)) as u32;
        let next =
            self.boundaries.iter().copied().find(|&b| b > second_of_day).unwrap_or(SECONDS_PER_DAY);
        i64::from(next - second_of_day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_parse_and_print() {
        for (text, canonical) in [
            ("mon-fri", "mon-fri"),
            ("sat,sun", "sat-sun"),
            ("fri-mon", "mon,fri-sun"),
            ("all", "all"),
            ("mon-sun", "all"),
            ("wed", "wed"),
        ] {
            assert_eq!(text.parse::<Weekdays>().unwrap().to_string(), canonical, "{text}");
        }
        assert_eq!(
            "mon-fry".parse::<Weekdays>().unwrap_err(),
            r#"not a weekday: "fry" (use mon … sun)"#
        );
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("08:00"), Ok(28_800));
        assert_eq!(parse_time_of_day("24:00"), Ok(86_400));
        assert_eq!(parse_time_of_day("07:59:30"), Ok(28_770));
        assert!(parse_time_of_day("24:01").is_err());
        assert!(parse_time_of_day("8:00").is_err());
        assert!(TimeRange::parse("all", "24:00", "08:00").is_err());
        assert!(TimeRange::parse("all", "08:00", "08:00").is_err());
    }

    #[test]
    fn wrapping_range_belongs_to_its_start_day() {
        let night = TimeRange::parse("fri", "22:00", "06:00").unwrap();
        assert!(night.contains(4, 23 * 3600)); // Friday 23:00
        assert!(night.contains(5, 2 * 3600)); // Saturday 02:00
        assert!(!night.contains(5, 23 * 3600)); // Saturday 23:00
        assert!(!night.contains(4, 2 * 3600)); // Friday 02:00 (Thursday's night)
    }

    #[test]
    fn holidays_fixed_and_yearly() {
        let calendar = HolidayCalendar::new(
            "FR",
            ["2025-04-21".parse().unwrap(), "12-25".parse().unwrap(), "02-29".parse().unwrap()],
        );
        assert!(calendar.contains(Date::constant(2025, 4, 21)));
        assert!(!calendar.contains(Date::constant(2026, 4, 21)));
        assert!(calendar.contains(Date::constant(1999, 12, 25)));
        assert!(calendar.contains(Date::constant(2028, 2, 29)));
        assert!(!calendar.contains(Date::constant(2025, 12, 24)));
        assert!("13-01".parse::<HolidayDate>().is_err());
    }
}
