//! Local days and months of the reporting zone, which rollups file calls
//! under.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use store::days::{date_of_day, day_number, month_number};

#[derive(Debug, Clone)]
pub struct Calendar {
    zone: TimeZone,
}

impl Calendar {
    pub fn new(zone: TimeZone) -> Calendar {
        Calendar { zone }
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// (day number, month number) of the local date at `start_s`.
    pub fn day_and_month(&self, start_s: i64) -> (i64, i64) {
        let date = Timestamp::from_second(start_s)
            .map(|t| self.zone.to_datetime(t).date())
            .unwrap_or(jiff::civil::date(1970, 1, 1));
        (day_number(date), month_number(date))
    }

    /// The UTC second where local day `day` begins.
    pub fn day_start(&self, day: i64) -> i64 {
        let date = date_of_day(day);
        date.to_zoned(self.zone.clone()).map(|z| z.timestamp().as_second()).unwrap_or(day * 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_the_zone() {
        let paris = Calendar::new(TimeZone::get("Europe/Paris").unwrap());
        // 2025-03-31T22:30Z is 00:30 on 1 April in Paris (UTC+2).
        let (day, month) = paris.day_and_month(1_743_460_200);
        assert_eq!(date_of_day(day), jiff::civil::date(2025, 4, 1));
        assert_eq!(month, 2025 * 12 + 3);
        assert_eq!(paris.day_start(day), 1_743_458_400);
        let utc = Calendar::new(TimeZone::UTC);
        assert_eq!(utc.day_and_month(1_743_460_200).0, day - 1);
        assert_eq!(store::utc_month_of_day(day - 1), 2025 * 12 + 2);
    }
}
