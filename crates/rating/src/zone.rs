//! Local civil time of an instant in a tariff's IANA zone, fast.
//!
//! A call is priced per UTC instant converted to the tariff's local time,
//! so the spring-forward gap (no local time exists) and the fall-back
//! repeated hour (a local time happens twice) need no special case: an
//! instant always has exactly one local time. For speed the zone's offset
//! transitions from 1900 to 2200 are expanded once at load into a sorted
//! table, shared by every version in that zone; instants outside it ask
//! `jiff` directly.

use jiff::{Timestamp, tz::TimeZone};

/// 1900-01-01T00:00:00Z and 2200-01-01T00:00:00Z.
const TABLE_START: i64 = -2_208_988_800;
const TABLE_END: i64 = 7_258_118_400;

#[derive(Debug)]
pub(crate) struct ZoneTable {
    name: Box<str>,
    time_zone: TimeZone,
    /// UTC second from which `offsets[i]` is in force; `starts[0]` is
    /// `TABLE_START`.
    starts: Box<[i64]>,
    offsets: Box<[i32]>,
    /// For each 2^25-second slice (~388 days) from `TABLE_START`, the index
    /// of the transition in force at the slice's start: a lookup scans one
    /// or two entries instead of binary-searching the whole table, which
    /// matters when the table is not in cache.
    slices: Box<[u32]>,
}

const SLICE_SHIFT: u32 = 25;

/// An instant's local time and when the zone's offset next changes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LocalInstant {
    /// Seconds since 1970-01-01T00:00:00 local civil time.
    pub(crate) local_seconds: i64,
    /// The next UTC second at which the offset may change, if any.
    pub(crate) next_transition: Option<i64>,
}

impl ZoneTable {
    pub(crate) fn new(name: &str, time_zone: TimeZone) -> ZoneTable {
        let mut starts = vec![TABLE_START];
        let mut offsets = vec![offset_seconds(&time_zone, TABLE_START)];
        if let Ok(from) = Timestamp::from_second(TABLE_START) {
            for transition in time_zone.following(from) {
                let at = transition.timestamp().as_second();
                if at >= TABLE_END {
                    break;
                }
                starts.push(at);
                offsets.push(transition.offset().seconds());
            }
        }
        let slice_count = ((TABLE_END - TABLE_START) >> SLICE_SHIFT) as usize + 1;
        let slices = (0..slice_count)
            .map(|slice| {
                let at = TABLE_START + ((slice as i64) << SLICE_SHIFT);
                starts.partition_point(|&start| start <= at).saturating_sub(1) as u32
            })
            .collect();
        ZoneTable {
            name: name.into(),
            time_zone,
            starts: starts.into(),
            offsets: offsets.into(),
            slices,
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    #[inline]
    pub(crate) fn local(&self, utc_second: i64) -> LocalInstant {
        if !(TABLE_START..TABLE_END).contains(&utc_second) {
            return self.local_from_jiff(utc_second);
        }
        let slice = ((utc_second - TABLE_START) >> SLICE_SHIFT) as usize;
        let mut index = self.slices.get(slice).copied().unwrap_or(0) as usize;
        while self.starts.get(index + 1).is_some_and(|&next| next <= utc_second) {
            index += 1;
        }
        let offset = self.offsets.get(index).copied().unwrap_or(0);
        // Past the last listed transition the table ends; its end is a safe
        // place to look again.
        let next = self.starts.get(index + 1).copied().unwrap_or(TABLE_END);
        LocalInstant { local_seconds: utc_second + i64::from(offset), next_transition: Some(next) }
    }

    #[cold]
    fn local_from_jiff(&self, utc_second: i64) -> LocalInstant {
        let offset = offset_seconds(&self.time_zone, utc_second);
        let next_transition = Timestamp::from_second(utc_second)
            .ok()
            .and_then(|t| self.time_zone.following(t).next())
            .map(|transition| transition.timestamp().as_second());
        LocalInstant { local_seconds: utc_second + i64::from(offset), next_transition }
    }
}

fn offset_seconds(time_zone: &TimeZone, utc_second: i64) -> i32 {
    Timestamp::from_second(utc_second).map(|t| time_zone.to_offset(t).seconds()).unwrap_or(0)
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) in the proleptic Gregorian calendar → days since
/// 1970-01-01 (H. Hinnant's `days_from_civil`), for a valid date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Days since 1970-01-01 → weekday, Monday = 0.
pub(crate) fn weekday_from_days(days: i64) -> u32 {
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Date;

    #[test]
    fn civil_dates_agree_with_jiff() {
        let epoch = Date::constant(1970, 1, 1);
        for days in (-800_000..800_000).step_by(997) {
            let date = epoch.checked_add(jiff::Span::new().days(days)).unwrap();
            let (y, m, d) = civil_from_days(days);
            assert_eq!((y, m, d), (i64::from(date.year()), date.month() as u32, date.day() as u32));
            assert_eq!(days_from_civil(y, m, d), days);
            assert_eq!(weekday_from_days(days), date.weekday().to_monday_zero_offset() as u32);
        }
    }

    #[test]
    fn table_agrees_with_jiff() {
        let tz = TimeZone::get("Europe/Paris").unwrap();
        let table = ZoneTable::new("Europe/Paris", tz.clone());
        for second in
            (TABLE_START - 86_400 * 400..TABLE_END + 86_400 * 400).step_by(86_399 * 3 + 17)
        {
            let expected = offset_seconds(&tz, second);
            assert_eq!(table.local(second).local_seconds, second + i64::from(expected), "{second}");
        }
    }
}
