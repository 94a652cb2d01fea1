//! Dates and times as PBXs write them, to UTC instants: strftime-style
//! patterns (jiff's `strptime`), separate date and time fields, dates
//! without a year, 12-hour clocks marked by a suffix, epoch seconds.

use cdr::{ParseError, Timestamp};
use jiff::civil::{DateTime, Time};
use jiff::fmt::strtime::{self, BrokenDownTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, ToSpan};

/// A compiled time format.
#[derive(Debug, Clone)]
pub(crate) enum TimeFormat {
    /// Seconds since 1970-01-01 UTC.
    Epoch,
    /// Milliseconds since 1970-01-01 UTC.
    EpochMillis,
    /// A `strptime` pattern such as `%Y/%m/%d %H:%M:%S`, with a fast
    /// reader when it is made only of fixed-width numbers and literals.
    Pattern(String, Option<Fixed>),
}

/// A pattern of fixed-width numeric directives and literal bytes, read
/// without `strptime`; anything it cannot read goes to `strptime`, so the
/// results and errors are the same, only faster for well-formed values.
#[derive(Debug, Clone)]
pub(crate) struct Fixed {
    pieces: Vec<Piece>,
    width: usize,
}

#[derive(Debug, Clone, Copy)]
enum Piece {
    Literal(u8),
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

impl Piece {
    fn width(self) -> usize {
        match self {
            Piece::Literal(_) => 1,
            Piece::Year => 4,
            _ => 2,
        }
    }
}

/// Date and time fields read by the fast path (`None` = not in pattern).
#[derive(Debug, Default)]
struct Parts {
    year: Option<i16>,
    month: Option<i8>,
    day: Option<i8>,
    hour: Option<i8>,
    minute: Option<i8>,
    second: Option<i8>,
}

impl Fixed {
    fn compile(pattern: &str) -> Option<Fixed> {
        let mut pieces = Vec::new();
        let mut bytes = pattern.bytes();
        while let Some(b) = bytes.next() {
            let piece = match b {
                b'%' => match bytes.next()? {
                    b'Y' => Piece::Year,
                    b'm' => Piece::Month,
                    b'd' => Piece::Day,
                    b'H' => Piece::Hour,
                    b'M' => Piece::Minute,
                    b'S' => Piece::Second,
                    _ => return None,
                },
                other => Piece::Literal(other),
            };
            pieces.push(piece);
        }
        let width = pieces.iter().map(|p| p.width()).sum();
        Some(Fixed { pieces, width })
    }

    fn read(&self, text: &str) -> Option<Parts> {
        let bytes = text.as_bytes();
        if bytes.len() != self.width {
            return None;
        }
        let mut parts = Parts::default();
        let mut at = 0;
        for piece in &self.pieces {
            let width = piece.width();
            let chunk = bytes.get(at..at + width)?;
            at += width;
            if let Piece::Literal(l) = piece {
                if chunk != [*l] {
                    return None;
                }
                continue;
            }
            let mut value: i16 = 0;
            for b in chunk {
                if !b.is_ascii_digit() {
                    return None;
                }
                value = value * 10 + i16::from(b - b'0');
            }
            let small = i8::try_from(value).ok();
            match piece {
                Piece::Year => parts.year = Some(value),
                Piece::Month => parts.month = small,
                Piece::Day => parts.day = small,
                Piece::Hour => parts.hour = small,
                Piece::Minute => parts.minute = small,
                Piece::Second => parts.second = small,
                Piece::Literal(_) => {}
            }
        }
        Some(parts)
    }
}

impl TimeFormat {
    /// Checks the pattern once, at definition load, by formatting a
    /// sample instant with it: unknown directives are refused here.
    pub(crate) fn compile(text: &str) -> Result<TimeFormat, String> {
        match text {
            "epoch" => return Ok(TimeFormat::Epoch),
            "epoch_ms" => return Ok(TimeFormat::EpochMillis),
            _ => {}
        }
        if !text.contains('%') {
            return Err(format!("time format {text:?} has no % directive"));
        }
        let sample = Timestamp::UNIX_EPOCH.to_zoned(TimeZone::UTC);
        strtime::format(text, &sample).map_err(|e| format!("bad time format {text:?}: {e}"))?;
        Ok(TimeFormat::Pattern(text.to_string(), Fixed::compile(text)))
    }

    pub(crate) fn describe(&self) -> &str {
        match self {
            TimeFormat::Epoch => "epoch",
            TimeFormat::EpochMillis => "epoch_ms",
            TimeFormat::Pattern(p, _) => p,
        }
    }
}

/// Where local times are and when the records were received.
pub(crate) struct Clock<'a> {
    /// `None` when the times are UTC already.
    pub zone: Option<&'a TimeZone>,
    pub received: Timestamp,
}

/// One field's text and format, named for errors.
pub(crate) struct TimeText<'a> {
    pub field: &'a str,
    pub text: &'a str,
    pub format: &'a TimeFormat,
}

/// Reads a date-time from one field, or from a date field and a time
/// field; `pm_suffix` marks afternoon on a 12-hour clock (`03:10P`).
pub(crate) fn read(
    date: TimeText<'_>,
    time: Option<TimeText<'_>>,
    pm_suffix: Option<&str>,
    clock: &Clock<'_>,
) -> Result<Timestamp, ParseError> {
    match time {
        None => {
            let (text, pm) = split_pm(date.text, pm_suffix);
            let parsed = match date.format {
                TimeFormat::Epoch => return epoch(date.field, text, 1),
                TimeFormat::EpochMillis => return epoch(date.field, text, 1000),
                TimeFormat::Pattern(p, fixed) => parse_pattern(date.field, p, fixed, text)?,
            };
            if parsed.timestamp().is_some() || parsed.offset().is_some() {
                return parsed.to_timestamp().map_err(|_| not_a_time(&date));
            }
            let time_of_day = parsed.to_time().map_err(|_| not_a_time(&date))?;
            finish(&date, parsed, afternoon(time_of_day, pm), clock)
        }
        Some(time) => {
            let (text, pm) = split_pm(time.text, pm_suffix);
            let parsed_date = match date.format {
                TimeFormat::Pattern(p, fixed) => parse_pattern(date.field, p, fixed, date.text)?,
                _ => return Err(not_a_time(&date)),
            };
            let time_of_day = match time.format {
                TimeFormat::Pattern(p, fixed) => parse_pattern(time.field, p, fixed, text)?
                    .to_time()
                    .map_err(|_| not_a_time(&time))?,
                _ => return Err(not_a_time(&time)),
            };
            finish(&date, parsed_date, afternoon(time_of_day, pm), clock)
        }
    }
}

fn split_pm<'a>(text: &'a str, pm_suffix: Option<&str>) -> (&'a str, bool) {
    match pm_suffix.and_then(|suffix| text.strip_suffix(suffix)) {
        Some(rest) => (rest.trim_end(), true),
        None => (text, false),
    }
}

fn afternoon(time: Time, pm: bool) -> Time {
    if pm && time.hour() < 12 {
        time.with().hour(time.hour() + 12).build().unwrap_or(time)
    } else {
        time
    }
}

fn parse_pattern(
    field: &str,
    pattern: &str,
    fixed: &Option<Fixed>,
    text: &str,
) -> Result<BrokenDownTime, ParseError> {
    if let Some(parts) = fixed.as_ref().and_then(|f| f.read(text))
        && let Some(broken) = to_broken_down(&parts)
    {
        return Ok(broken);
    }
    BrokenDownTime::parse(pattern, text)
        .map_err(|_| ParseError::field(field, format!("not a time ({pattern}): {text:?}")))
}

/// The fast path's result in `strptime`'s form; `None` when a value is
/// out of range, so that `strptime` reports it.
fn to_broken_down(parts: &Parts) -> Option<BrokenDownTime> {
    let mut broken = BrokenDownTime::default();
    broken.set_year(parts.year).ok()?;
    broken.set_month(parts.month).ok()?;
    broken.set_day(parts.day).ok()?;
    broken.set_hour(parts.hour).ok()?;
    broken.set_minute(parts.minute).ok()?;
    broken.set_second(parts.second).ok()?;
    Some(broken)
}

fn not_a_time(t: &TimeText<'_>) -> ParseError {
    ParseError::field(t.field, format!("not a time ({}): {:?}", t.format.describe(), t.text))
}

fn epoch(field: &str, text: &str, per_second: i64) -> Result<Timestamp, ParseError> {
    let value = cdr::text::i64_field(field, text)?;
    let result = if per_second == 1 {
        Timestamp::from_second(value)
    } else {
        Timestamp::from_millisecond(value)
    };
    result.map_err(|_| ParseError::field(field, format!("time out of range: {text:?}")))
}

/// Joins the date part of `parsed` with `time`, inferring a missing year,
/// and converts from the PBX's zone.
fn finish(
    date: &TimeText<'_>,
    mut parsed: BrokenDownTime,
    time: Time,
    clock: &Clock<'_>,
) -> Result<Timestamp, ParseError> {
    if parsed.year().is_some() {
        let day = parsed.to_date().map_err(|_| not_a_time(date))?;
        return to_utc(day.to_datetime(time), clock);
    }
    // No year written: the latest year that does not put the call more
    // than a day after the records were received.
    let latest =
        clock.received.checked_add(SignedDuration::from_hours(24)).unwrap_or(clock.received);
    let received_year = match clock.zone {
        Some(zone) => clock.received.to_zoned(zone.clone()).year(),
        None => clock.received.to_zoned(TimeZone::UTC).year(),
    };
    for year in (received_year.saturating_sub(8)..=received_year).rev() {
        if parsed.set_year(Some(year)).is_err() {
            continue;
        }
        let Ok(day) = parsed.to_date() else { continue };
        let instant = to_utc(day.to_datetime(time), clock)?;
        if instant <= latest {
            return Ok(instant);
        }
    }
    Err(not_a_time(date))
}

fn to_utc(datetime: DateTime, clock: &Clock<'_>) -> Result<Timestamp, ParseError> {
    match clock.zone {
        Some(zone) => cdr::text::local_to_utc(zone, datetime),
        None => datetime
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| ParseError::record(format!("time {datetime} out of range: {e}"))),
    }
}

/// `base` moved by `seconds` (negative goes back); errors past year 9999.
pub(crate) fn shift(base: Timestamp, seconds: i64) -> Result<Timestamp, ParseError> {
    base.checked_add(seconds.seconds()).map_err(|_| {
        ParseError::record(format!("time {base} moved by {seconds} s is out of range"))
    })
}
