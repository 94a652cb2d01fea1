//! The PBX's local times: `yyyymmddhhmmss` and three digits of milliseconds.

use cdr::ParseError;
use jiff::civil::{Date, DateTime};

/// Reads one 17-character time; `field` names it in errors.
pub(crate) fn local_time(field: &str, written: &[u8]) -> Result<DateTime, ParseError> {
    let bad =
        || ParseError::field(field, format!("not a time: {:?}", String::from_utf8_lossy(written)));
    if written.len() != 17 || !written.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let n = |from: usize, to: usize| {
        written[from..to].iter().fold(0i32, |n, d| n * 10 + i32::from(d - b'0'))
    };
    let (year, month, day) = (n(0, 4), n(4, 6), n(6, 8));
    let (hour, minute, second, milli) = (n(8, 10), n(10, 12), n(12, 14), n(14, 17));
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(bad());
    }
    let day = Date::new(year as i16, month as i8, day as i8).map_err(|_| bad())?;
    Ok(day.at(hour as i8, minute as i8, second as i8, milli * 1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_milliseconds_and_refuses_nonsense() {
        assert_eq!(
            local_time("Call Start Time", b"20190908215741398").unwrap().to_string(),
            "2019-09-08T21:57:41.398"
        );
        assert_eq!(
            local_time("Call End Time", b"20190231215741398").unwrap_err().to_string(),
            "field Call End Time: not a time: \"20190231215741398\""
        );
        assert!(local_time("x", b"2019090821574139").is_err());
        assert!(local_time("x", b"2019090825574139x").is_err());
    }
}
