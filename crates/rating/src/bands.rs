//! Time bands: which named band (peak, offpeak, weekend, …) is in force at
//! a local civil time, from weekday × time-of-day ranges and holidays.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;

use crate::zone::{civil_from_days, days_from_civil, weekday_from_days};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Default)]
pub struct HolidayCalendar {
    name: Box<str>,
    dates: Vec<HolidayDate>,
    /// Fixed dates as `year * 512 + month * 32 + day`, sorted.
    fixed: Vec<i64>,
    /// Yearly dates as bits `month * 32 + day`.
    yearly: [u64; 7],
    /// One bit per day from 1970-01-01 for `BITMAP_DAYS` days, so pricing
    /// tests a date with one memory access; empty when there are no dates.
    bitmap: Box<[u64]>,
}

/// 1970-01-01 to 2099-12-31; other dates go through `fixed` and `yearly`.
const BITMAP_DAYS: i64 = 47_482;
const BITMAP_YEARS: std::ops::Range<i64> = 1970..2100;

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
                    // A date no month has is never matched.
                    if let Some(word) = self.yearly.get_mut((bit / 64) as usize) {
                        *word |= 1 << (bit % 64);
                    }
                }
            }
            self.dates.push(date);
        }
        self.fixed.sort_unstable();
        self.fixed.dedup();
        self.dates.sort_unstable();
        self.dates.dedup();
        self.bitmap = self.build_bitmap();
    }

    fn build_bitmap(&self) -> Box<[u64]> {
        if self.dates.is_empty() {
            return Box::default();
        }
        let mut bitmap = vec![0u64; (BITMAP_DAYS as usize).div_ceil(64)];
        let mut set = |days: i64| {
            if (0..BITMAP_DAYS).contains(&days) {
                bitmap[(days / 64) as usize] |= 1 << (days % 64);
            }
        };
        for date in &self.dates {
            match *date {
                HolidayDate::Fixed(d) => {
                    set(days_from_civil(i64::from(d.year()), d.month() as u32, d.day() as u32))
                }
                HolidayDate::Yearly { month, day } => {
                    for year in BITMAP_YEARS {
                        if Date::new(year as i16, month as i8, day as i8).is_ok() {
                            set(days_from_civil(year, u32::from(month), u32::from(day)));
                        }
                    }
                }
            }
        }
        bitmap.into()
    }

    /// Whether the civil date `days` since 1970-01-01 is a holiday.
    #[inline]
    pub fn contains_day(&self, days: i64) -> bool {
        match self.bitmap.get((days / 64) as usize) {
            Some(word) if (0..BITMAP_DAYS).contains(&days) => word & (1 << (days % 64)) != 0,
            _ => self.contains_day_by_dates(days),
        }
    }

    /// `contains_day` from the dates themselves, for days off the bitmap.
    fn contains_day_by_dates(&self, days: i64) -> bool {
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

impl fmt::Debug for HolidayCalendar {
    /// The name and dates; the lookup tables derived from them are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HolidayCalendar")
            .field("name", &self.name)
            .field("dates", &self.dates)
            .finish_non_exhaustive()
    }
}

fn pack_ymd(year: i64, month: u32, day: u32) -> i64 {
    year * 512 + i64::from(month * 32 + day)
}

/// Index of a band within its tariff version.
pub(crate) type BandIndex = u8;

/// The compiled band rules of one tariff version; versions with the same
/// bands, rules and holidays share one (see the loader), so with many
/// carriers the schedules in use stay in cache.
#[derive(Debug)]
pub(crate) struct BandSchedule {
    /// In declared order; the first range that contains the time wins.
    rules: Vec<(BandIndex, TimeRange)>,
    default_band: BandIndex,
    holiday_band: Option<BandIndex>,
    holidays: HolidayCalendar,
    /// The bands' names by index.
    names: Box<[Box<str>]>,
    /// The rules worked out for each kind of day (Monday … Sunday, then a
    /// holiday): its runs of one band as `end << 3 | band`, `end` the
    /// second of the day where the run stops, the last ending at 86400.
    /// Kind `k`'s runs are `runs[kind_starts[k]..kind_starts[k + 1]]`.
    runs: Box<[u32]>,
    kind_starts: [u16; DAY_KINDS + 1],
}

/// Monday … Sunday, then a holiday.
const DAY_KINDS: usize = 8;
const HOLIDAY: usize = 7;
/// A run packs its band in the low 3 bits (band indexes are < MAX_BANDS).
const BAND_BITS: u32 = 3;
const BAND_MASK: u32 = (1 << BAND_BITS) - 1;
const _: () = assert!(crate::model::MAX_BANDS <= 1 << BAND_BITS);

impl BandSchedule {
    pub(crate) fn new(
        rules: Vec<(BandIndex, TimeRange)>,
        default_band: BandIndex,
        holiday_band: Option<BandIndex>,
        holidays: HolidayCalendar,
        names: Box<[Box<str>]>,
    ) -> BandSchedule {
        let mut schedule = BandSchedule {
            rules,
            default_band,
            holiday_band,
            holidays,
            names,
            runs: Box::default(),
            kind_starts: [0; DAY_KINDS + 1],
        };
        // Within a day, which rule contains a time can only change where
        // some range starts or ends.
        let mut boundaries: Vec<u32> = schedule
            .rules
            .iter()
            .flat_map(|(_, range)| [range.from, range.to])
            .filter(|&s| s > 0 && s < SECONDS_PER_DAY)
            .chain([SECONDS_PER_DAY])
            .collect();
        boundaries.sort_unstable();
        boundaries.dedup();
        let mut runs: Vec<u32> = Vec::new();
        for kind in 0..DAY_KINDS {
            let first = runs.len();
            schedule.kind_starts[kind] = first as u16;
            let mut from = 0;
            for &end in &boundaries {
                let band = u32::from(match (kind, schedule.holiday_band) {
                    (HOLIDAY, Some(band)) => band,
                    _ => schedule.rule_band(kind as u32 % 7, from),
                });
                let extends = runs.len() > first;
                match runs.last_mut() {
                    // The same band goes on: extend its run.
                    Some(last) if extends && *last & BAND_MASK == band => {
                        *last = end << BAND_BITS | band;
                    }
                    _ => runs.push(end << BAND_BITS | band),
                }
                from = end;
            }
        }
        schedule.kind_starts[DAY_KINDS] = runs.len() as u16;
        schedule.runs = runs.into();
        schedule
    }

    /// The band of the declared rules at a weekday (Monday = 0) and second
    /// of the day, holidays aside.
    fn rule_band(&self, weekday: u32, second_of_day: u32) -> BandIndex {
        self.rules
            .iter()
            .find(|(_, range)| range.contains(weekday, second_of_day))
            .map_or(self.default_band, |(band, _)| *band)
    }

    /// The band in force at a local civil time (seconds since 1970-01-01
    /// local), with the site's holidays added to the tariff's, and the
    /// local seconds (> 0) until it may change: the end of its run, at
    /// most midnight.
    #[inline]
    pub(crate) fn band_span(
        &self,
        local_seconds: i64,
        site: Option<&HolidayCalendar>,
    ) -> (BandIndex, i64) {
        let days = local_seconds.div_euclid(i64::from(SECONDS_PER_DAY));
        let second_of_day = local_seconds.rem_euclid(i64::from(SECONDS_PER_DAY)) as u32;
        let holiday = self.holiday_band.is_some()
            && (self.holidays.contains_day(days) || site.is_some_and(|c| c.contains_day(days)));
        let kind = if holiday { HOLIDAY } else { weekday_from_days(days) as usize };
        let from = usize::from(self.kind_starts[kind]);
        let to = usize::from(self.kind_starts[kind + 1]);
        let runs = self.runs.get(from..to).unwrap_or_default();
        // Counted rather than searched: no branch on where the time falls.
        let ended = runs.iter().filter(|&&run| run >> BAND_BITS <= second_of_day).count();
        match runs.get(ended) {
            Some(run) => {
                ((run & BAND_MASK) as BandIndex, i64::from((run >> BAND_BITS) - second_of_day))
            }
            // Unreachable: every kind's last run ends at midnight.
            None => (self.default_band, i64::from(SECONDS_PER_DAY - second_of_day)),
        }
    }

    /// The name of band `index` ("" if there is none).
    #[inline]
    pub(crate) fn name(&self, index: BandIndex) -> &str {
        self.names.get(usize::from(index)).map_or("", |name| name)
    }

    /// The band by scanning the rules and the holiday dates, without the
    /// runs: the definition `band_span` is checked against.
    #[cfg(test)]
    pub(crate) fn band_by_rules(
        &self,
        local_seconds: i64,
        site: Option<&HolidayCalendar>,
    ) -> BandIndex {
        let days = local_seconds.div_euclid(i64::from(SECONDS_PER_DAY));
        if let Some(holiday_band) = self.holiday_band
            && (self.holidays.contains_day_by_dates(days)
                || site.is_some_and(|c| c.contains_day_by_dates(days)))
        {
            return holiday_band;
        }
        let second_of_day = local_seconds.rem_euclid(i64::from(SECONDS_PER_DAY)) as u32;
        self.rule_band(weekday_from_days(days), second_of_day)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

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

    fn schedule_strategy() -> impl Strategy<Value = BandSchedule> {
        // Times on a 15-minute grid plus odd seconds, ranges that wrap.
        let time = prop_oneof![(0u32..=96).prop_map(|q| q * 900), 0u32..=SECONDS_PER_DAY];
        let range = (1u8..0x80, time.clone(), time).prop_filter_map("empty", |(days, f, t)| {
            (f != t && f < SECONDS_PER_DAY).then_some(TimeRange {
                days: Weekdays(days),
                from: f,
                to: t,
            })
        });
        let date = prop_oneof![
            (1u8..=12, 1u8..=31).prop_map(|(month, day)| HolidayDate::Yearly { month, day }),
            (1960i16..2110, 1i8..=12, 1i8..=28)
                .prop_map(|(y, m, d)| HolidayDate::Fixed(Date::constant(y, m, d))),
        ];
        (
            proptest::collection::vec((0u8..4, range), 0..6),
            0u8..4,
            proptest::option::of(0u8..4),
            proptest::collection::vec(date, 0..6),
        )
            .prop_map(|(rules, default_band, holiday_band, dates)| {
                let names = ["a", "b", "c", "d"].map(Box::<str>::from).into();
                let holidays = HolidayCalendar::new("h", dates);
                BandSchedule::new(rules, default_band, holiday_band, holidays, names)
            })
    }

    proptest! {
        /// The runs give the band the rules give, and it holds for the
        /// whole span they report.
        #[test]
        fn runs_agree_with_rules(
            schedule in schedule_strategy(),
            // 1960 … 2110 local, both sides of the holiday bitmap.
            locals in proptest::collection::vec(-315_619_200i64..4_449_398_400, 1..40),
            site_dates in proptest::collection::vec((1u8..=12, 1u8..=31), 0..3),
        ) {
            let site = HolidayCalendar::new(
                "site",
                site_dates.into_iter().map(|(month, day)| HolidayDate::Yearly { month, day }),
            );
            for local in locals {
                for site in [None, Some(&site)] {
                    let (band, span) = schedule.band_span(local, site);
                    prop_assert_eq!(band, schedule.band_by_rules(local, site));
                    prop_assert!(span >= 1);
                    let midnight = (local.div_euclid(86_400) + 1) * 86_400;
                    prop_assert!(local + span <= midnight);
                    for inside in [local + span / 2, local + span - 1] {
                        prop_assert_eq!(schedule.band_by_rules(inside, site), band);
                    }
                }
            }
        }

        #[test]
        fn bitmap_agrees_with_dates(
            dates in proptest::collection::vec(
                prop_oneof![
                    (1u8..=12, 1u8..=31).prop_map(|(month, day)| HolidayDate::Yearly { month, day }),
                    (1960i16..2110, 1i8..=12, 1i8..=28)
                        .prop_map(|(y, m, d)| HolidayDate::Fixed(Date::constant(y, m, d))),
                ],
                0..8,
            ),
            days in proptest::collection::vec(-4_000i64..52_000, 1..200),
        ) {
            let calendar = HolidayCalendar::new("h", dates);
            for day in days {
                prop_assert_eq!(calendar.contains_day(day), calendar.contains_day_by_dates(day));
            }
        }
    }

    #[test]
    fn leap_day_only_in_leap_years() {
        let calendar = HolidayCalendar::new("h", ["02-29".parse().unwrap()]);
        assert!(calendar.contains(Date::constant(2024, 2, 29)));
        assert!(!calendar.contains(Date::constant(2025, 3, 1)));
        assert!(!calendar.contains(Date::constant(2100, 3, 1)));
        // Not a date of any month: never a holiday, and no panic.
        let odd = HolidayCalendar::new("odd", [HolidayDate::Yearly { month: 13, day: 31 }]);
        assert!(!odd.contains(Date::constant(2025, 1, 31)));
    }
}
