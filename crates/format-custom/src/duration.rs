//! Lengths of time as PBXs write them, to whole seconds.

use crate::definition::DurationFormat;
use cdr::ParseError;

/// Reads `s` (already trimmed) in `format`; the error names `field`.
pub(crate) fn parse(field: &str, format: DurationFormat, s: &str) -> Result<u32, ParseError> {
    let bad = || ParseError::field(field, format!("not a duration: {s:?}"));
    let seconds: Option<u64> = match format {
        DurationFormat::Seconds => digits(s),
        DurationFormat::HoursMinutesSeconds => {
            let mut parts = s.split([':', '\'']);
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(h), Some(m), Some(sec), None) => sum(&[(h, 3600), (m, 60), (sec, 1)]),
                _ => None,
            }
        }
        DurationFormat::MinutesSeconds => {
            let mut parts = s.split([':', '\'']);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(m), Some(sec), None) => sum(&[(m, 60), (sec, 1)]),
                _ => None,
            }
        }
        DurationFormat::TenthsWithPoint => match s.split_once('.') {
            Some((minutes, tenth)) if tenth.len() == 1 => sum(&[(minutes, 60), (tenth, 6)]),
            _ => None,
        },
        DurationFormat::Tenths => {
            match s.len().checked_sub(1).and_then(|i| s.split_at_checked(i)) {
                Some((minutes, tenth)) if !minutes.is_empty() => sum(&[(minutes, 60), (tenth, 6)]),
                _ => None,
            }
        }
    };
    let seconds = seconds.ok_or_else(bad)?;
    u32::try_from(seconds)
        .map_err(|_| ParseError::field(field, format!("duration out of range: {s:?}")))
}

/// A run of ASCII digits as a number; anything else (or nothing) is `None`.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn sum(parts: &[(&str, u64)]) -> Option<u64> {
    parts
        .iter()
        .try_fold(0u64, |total, (text, unit)| total.checked_add(digits(text)?.checked_mul(*unit)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DurationFormat::*;

    fn ok(format: DurationFormat, s: &str) -> u32 {
        parse("d", format, s).unwrap()
    }

    #[test]
    fn every_format_reads_its_examples() {
        assert_eq!(ok(Seconds, "0042"), 42);
        assert_eq!(ok(HoursMinutesSeconds, "01:02:03"), 3723);
        assert_eq!(ok(HoursMinutesSeconds, "00:00'05"), 5);
        assert_eq!(ok(HoursMinutesSeconds, "1234:00:00"), 1234 * 3600);
        assert_eq!(ok(MinutesSeconds, "02:03"), 123);
        assert_eq!(ok(MinutesSeconds, "0'05"), 5);
        assert_eq!(ok(TenthsWithPoint, "002.3"), 138);
        assert_eq!(ok(Tenths, "0023"), 138);
        assert_eq!(ok(Tenths, "10"), 60);
    }

    #[test]
    fn malformed_durations_are_named_errors() {
        let e = parse("duration", HoursMinutesSeconds, "1x:00").unwrap_err();
        assert_eq!(e.to_string(), r#"field duration: not a duration: "1x:00""#);
        for (format, s) in [
            (Seconds, ""),
            (Seconds, "-1"),
            (HoursMinutesSeconds, "01:02"),
            (HoursMinutesSeconds, "1:2:3:4"),
            (MinutesSeconds, "1:2:3"),
            (TenthsWithPoint, "2.33"),
            (TenthsWithPoint, "23"),
            (Tenths, ""),
            (Tenths, "5"),
        ] {
            assert!(parse("d", format, s).is_err(), "{s:?} accepted as {format:?}");
        }
        let e = parse("d", Seconds, "99999999999").unwrap_err();
        assert_eq!(e.to_string(), r#"field d: duration out of range: "99999999999""#);
    }
}
