//! CGRateS field values: Go durations, decimal numbers, times of day,
//! weekdays and activation times.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use rust_decimal::Decimal;

/// A Go duration (`60s`, `1m`, `1m30s`, `0.5h`, `0`) in whole seconds.
/// An empty field or `0` is 0. A bare non-zero integer is refused: CGRateS
/// reads it as nanoseconds, which voice rating cannot bill.
pub(crate) fn duration_seconds(text: &str) -> Result<u32, String> {
    let bad = || format!("not a duration: {text:?} (e.g. \"60s\", \"1m\")");
    if text.is_empty() || text == "0" {
        return Ok(0);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "duration {text:?} has no unit, which CGRateS reads as nanoseconds; \
             voice rates need whole seconds (e.g. \"{text}s\")"
        ));
    }
    let mut nanos = Decimal::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        if number_len == 0 {
            return Err(bad());
        }
        let number: Decimal = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale: i64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        nanos = nanos
            .checked_add(number.checked_mul(Decimal::from(scale)).ok_or_else(bad)?)
            .ok_or_else(bad)?;
    }
    let seconds = nanos / Decimal::from(1_000_000_000);
    if !seconds.fract().is_zero() {
        return Err(format!("duration {text:?} is not a whole number of seconds"));
    }
    u32::try_from(seconds).map_err(|_| bad())
}

/// A non-negative decimal; empty is 0 (CGRateS leaves such fields empty).
pub(crate) fn amount(name: &str, text: &str) -> Result<Decimal, String> {
    if text.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let value = Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| format!("{name} is not a number: {text:?}"))?;
    if value < Decimal::ZERO {
        return Err(format!("{name} is negative: {text:?}"));
    }
    Ok(value)
}

/// `HH:MM:SS` (or `*any` / empty: midnight) → seconds of the day.
pub(crate) fn time_of_day(text: &str) -> Result<u32, String> {
    if text.is_empty() || text == "*any" {
        return Ok(0);
    }
    let bad = || format!("Time is not HH:MM:SS: {text:?}");
    let parts: Vec<&str> = text.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return Err(bad());
    };
    let field = |p: &str, max: u32| -> Result<u32, String> {
        let v: u32 = p.parse().map_err(|_| bad())?;
        if v > max { Err(bad()) } else { Ok(v) }
    };
    Ok(field(h, 23)? * 3600 + field(m, 59)? * 60 + field(s, 59)?)
}

/// CGRateS weekdays (`1;2;3;4;5`, Sunday 0 or 7, `*any`) → bits,
/// Monday = bit 0.
pub(crate) fn weekdays(text: &str) -> Result<u8, String> {
    if text.is_empty() || text == "*any" {
        return Ok(0x7F);
    }
    let mut bits = 0u8;
    for part in text.split(';') {
        let day: u32 = part
            .trim()
            .parse()
            .ok()
            .filter(|d| *d <= 7)
            .ok_or_else(|| format!("WeekDays: not a weekday number 0–7: {part:?}"))?;
        // CGRateS: day % 7 with Sunday = 0; here Monday = 0.
        bits |= 1 << ((day % 7 + 6) % 7);
    }
    Ok(bits)
}

/// An ActivationTime: RFC 3339 (`2014-01-14T00:00:00Z`), `YYYY-MM-DD
/// HH:MM:SS` in `zone`, or Unix seconds.
pub(crate) fn activation_time(text: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && let Some(t) = text.parse::<i64>().ok().and_then(|s| Timestamp::from_second(s).ok())
    {
        return Ok(t);
    }
    text.parse::<DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(zone.clone()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            format!("ActivationTime is not a date-time: {text:?} (e.g. 2014-01-14T00:00:00Z)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(duration_seconds("60s"), Ok(60));
        assert_eq!(duration_seconds("1m"), Ok(60));
        assert_eq!(duration_seconds("1m30s"), Ok(90));
        assert_eq!(duration_seconds("0.5h"), Ok(1800));
        assert_eq!(duration_seconds("0s"), Ok(0));
        assert_eq!(duration_seconds(""), Ok(0));
        assert!(duration_seconds("60").unwrap_err().contains("nanoseconds"));
        assert!(duration_seconds("500ms").unwrap_err().contains("whole number"));
        assert!(duration_seconds("1x").is_err());
        assert!(duration_seconds("s").is_err());
    }

    #[test]
    fn weekday_numbers() {
        assert_eq!(weekdays("1;2;3;4;5"), Ok(0b001_1111));
        assert_eq!(weekdays("6;7"), Ok(0b110_0000));
        assert_eq!(weekdays("0"), Ok(0b100_0000));
        assert!(weekdays("8").is_err());
    }
}
