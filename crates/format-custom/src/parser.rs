//! The record parser built from a compiled format.

use crate::compile::{
    Choice, DispositionRule, Format, Layout, NamedValue, SecondsSource, Slot, TimeSource, TimeSpec,
};
use crate::derive::{Term, TimeExpr, TimeTarget};
use crate::resolve::Resolution;
use crate::split::Fields;
use crate::time::{self, Clock, TimeText};
use cdr::{
    Cdr, Direction, Disposition, Framing, IdentityHasher, ParseError, Parsed, ParserContext,
    RecordKind, RecordParser, Text, Timestamp,
};
use jiff::tz::TimeZone;
use std::sync::Arc;

/// Parses records of one administrator-defined format, for one input.
pub struct CustomParser {
    format: Arc<Format>,
    /// `None` when the format's times are UTC.
    zone: Option<TimeZone>,
    received: Timestamp,
    fields: Fields,
    captures: Option<regex::bytes::CaptureLocations>,
    /// Known at creation, or once the CSV header line has been read.
    resolution: Option<Resolution>,
    header_line: Vec<u8>,
}

impl CustomParser {
    pub(crate) fn new(format: Arc<Format>, ctx: &ParserContext) -> CustomParser {
        let zone = match &format.zone {
            Some(zone) => zone.clone(),
            None => Some(ctx.time_zone.clone()),
        };
        let captures = match &format.layout {
            Layout::Regex { pattern } => Some(pattern.capture_locations()),
            _ => None,
        };
        let needs_header = matches!(format.layout, Layout::Csv { header: true, .. });
        // Without a header line, names are those of the definition; the
        // compiler has checked every reference against them already.
        let resolution = if needs_header {
            None
        } else {
            Resolution::new(&format, format.columns.clone(), false).ok()
        };
        CustomParser {
            format,
            zone,
            received: ctx.received,
            fields: Fields::default(),
            captures,
            resolution,
            header_line: Vec::new(),
        }
    }

    /// Cuts the record into fields; `Ok(false)` when it was the header.
    fn split(&mut self, raw: &[u8]) -> Result<bool, ParseError> {
        match &self.format.layout {
            Layout::Csv { delimiter, quote, header, min_columns } => {
                self.fields.split_csv(raw, *delimiter, *quote)?;
                if *header {
                    if self.resolution.is_none() {
                        let names = (0..self.fields.count())
                            .map(|i| cdr::text::lossy(self.fields.get(raw, i)))
                            .collect();
                        let resolution = Resolution::new(&self.format, names, true)
                            .map_err(ParseError::record)?;
                        self.resolution = Some(resolution);
                        self.header_line = raw.to_vec();
                        return Ok(false);
                    }
                    if raw == self.header_line.as_slice() {
                        return Ok(false); // the header repeated (files joined)
                    }
                }
                if let Some(min) = min_columns
                    && self.fields.count() < *min
                {
                    return Err(ParseError::record(format!(
                        "expected at least {min} columns, got {}",
                        self.fields.count()
                    )));
                }
            }
            Layout::Fixed { ranges, length, min_length } => {
                let len = raw.len();
                if let Some(expected) = length.filter(|n| *n != len) {
                    return Err(ParseError::record(format!(
                        "expected {expected} characters, got {len}"
                    )));
                }
                if let Some(min) = min_length.filter(|n| len < *n) {
                    return Err(ParseError::record(format!(
                        "expected at least {min} characters, got {len}"
                    )));
                }
                self.fields.split_fixed(raw, ranges);
            }
            Layout::Regex { pattern } => {
                let Some(captures) = self.captures.as_mut() else {
                    return Err(ParseError::record("pattern state missing"));
                };
                if pattern.captures_read(captures, raw).is_none() {
                    return Err(ParseError::record("record does not match the pattern"));
                }
                self.fields.split_captures(captures);
            }
        }
        Ok(true)
    }
}

impl RecordParser for CustomParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if cdr::text::trim(raw).is_empty() {
            return Ok(Parsed::NotARecord);
        }
        if self.format.skip.as_ref().is_some_and(|set| set.is_match(raw)) {
            return Ok(Parsed::NotARecord);
        }
        if !self.split(raw)? {
            return Ok(Parsed::NotARecord);
        }
        let Some(resolution) = &self.resolution else {
            return Err(ParseError::record("no header line before the first record"));
        };
        let record = Record { raw, fields: &self.fields, resolution };
        let clock = Clock { zone: self.zone.as_ref(), received: self.received };
        let cdr = build(&self.format, &record, &clock)?;
        Ok(Parsed::Cdr(Box::new(cdr)))
    }

    fn framing(&self) -> Framing {
        match self.format.layout {
            Layout::Csv { quote: Some(b'"'), .. } => Framing::QuotedLines,
            _ => Framing::Lines,
        }
    }
}

/// One split record with its column lookup.
struct Record<'a> {
    raw: &'a [u8],
    fields: &'a Fields,
    resolution: &'a Resolution,
}

impl<'a> Record<'a> {
    fn bytes(&self, slot: Slot) -> &'a [u8] {
        self.fields.get(self.raw, self.resolution.column(slot))
    }

    fn name(&self, slot: Slot) -> &'a str {
        self.resolution.slot_name(slot)
    }

    fn text(&self, slot: Slot) -> Result<&'a str, ParseError> {
        cdr::text::utf8(self.name(slot), self.bytes(slot))
    }

    /// The field's text, or `None` when empty or one of `nulls`.
    fn present(&self, slot: Slot, nulls: &[String]) -> Result<Option<&'a str>, ParseError> {
        let text = self.text(slot)?;
        Ok((!text.is_empty() && !nulls.iter().any(|n| n == text)).then_some(text))
    }
}

fn build(format: &Format, record: &Record<'_>, clock: &Clock<'_>) -> Result<Cdr, ParseError> {
    let map = &format.map;
    let mut cdr = Cdr::default();

    let read = |source: &Option<TimeSource>| match source {
        Some(TimeSource::Field(spec)) => read_time(record, spec, clock),
        _ => Ok(None),
    };
    let mut start = read(&map.start)?;
    let mut answer = read(&map.answer)?;
    let mut end = read(&map.end)?;
    let answer_was_read = answer.is_some();
    // A required time read from a field must be there before anything is
    // derived from it, so the error names the field.
    if start.is_none() && matches!(map.start, Some(TimeSource::Field(_))) {
        return Err(missing(record, &map.start, "start"));
    }
    if end.is_none() && matches!(map.end, Some(TimeSource::Field(_))) {
        return Err(missing(record, &map.end, "end"));
    }

    let mut duration = seconds(record, map.duration.as_ref(), (start, answer, end))?;
    let mut ring = seconds(record, map.ring.as_ref(), (start, answer, end))?;

    let rule = match &map.disposition {
        Some(choice) => pick(record, choice)?.unwrap_or(DispositionRule::ByDuration),
        None => DispositionRule::ByDuration,
    };
    let disposition = match rule {
        DispositionRule::Fixed(d) => d,
        DispositionRule::ByDuration if duration.unwrap_or(0) > 0 || answer_was_read => {
            Disposition::Answered
        }
        DispositionRule::ByDuration => Disposition::NoAnswer,
    };

    for target in &map.derive_order {
        let source = match target {
            TimeTarget::Start => &map.start,
            TimeTarget::Answer => &map.answer,
            TimeTarget::End => &map.end,
        };
        let Some(TimeSource::Derived(expr)) = source else { continue };
        if *target == TimeTarget::Answer && disposition != Disposition::Answered {
            continue; // never answered: no answer time to derive
        }
        let anchor = match expr.anchor {
            TimeTarget::Start => start,
            TimeTarget::Answer => answer,
            TimeTarget::End => end,
        };
        let value = match anchor {
            Some(anchor) => Some(apply(record, expr, anchor, duration, ring)?),
            None if *target == TimeTarget::Answer => None,
            None => {
                return Err(ParseError::record(format!(
                    "cannot derive {}: {} is unknown",
                    target.name(),
                    expr.anchor.name()
                )));
            }
        };
        match target {
            TimeTarget::Start => start = value,
            TimeTarget::Answer => answer = value,
            TimeTarget::End => end = value,
        }
    }

    cdr.start = start.ok_or_else(|| missing(record, &map.start, "start"))?;
    cdr.end = end.ok_or_else(|| missing(record, &map.end, "end"))?;
    cdr.answer = answer;
    if duration.is_none() && map.duration.is_none() {
        // Not mapped: talk time is answer → end when both are known.
        duration = match answer {
            Some(a) => Some(span_seconds(a, cdr.end, "end", "answer")?),
            None => Some(0),
        };
    }
    if ring.is_none()
        && map.ring.is_none()
        && let (Some(a), Some(s)) = (answer, start)
    {
        ring = Some(span_seconds(s, a, "answer", "start")?);
    }
    if map.answer.is_none() && disposition == Disposition::Answered {
        // Not mapped: an answered call was answered its talk time before
        // it ended.
        let talk = i64::from(duration.unwrap_or(0));
        answer = Some(time::shift(cdr.end, -talk)?);
        cdr.answer = answer;
    }
    cdr.duration_s = duration.unwrap_or(0);
    cdr.ring_s = ring;
    cdr.disposition = disposition;
    if let Some(choice) = &map.direction {
        cdr.direction = pick::<Direction>(record, choice)?.unwrap_or(Direction::Unknown);
    }
    if let Some(choice) = &map.kind {
        cdr.kind = pick::<RecordKind>(record, choice)?.unwrap_or(RecordKind::Call);
    }
    for spec in &map.texts {
        let value = text_value(record, spec)?;
        *(spec.setter)(&mut cdr) = value;
    }
    cdr.identity = identity(format, record);
    extras(record, &mut cdr.extras);
    Ok(cdr)
}

fn read_time(
    record: &Record<'_>,
    spec: &TimeSpec,
    clock: &Clock<'_>,
) -> Result<Option<Timestamp>, ParseError> {
    let Some(date) = record.present(spec.date, &spec.null_values)? else { return Ok(None) };
    let date = TimeText { field: record.name(spec.date), text: date, format: &spec.date_format };
    let time = match &spec.time {
        None => None,
        Some((slot, format)) => match record.present(*slot, &spec.null_values)? {
            Some(text) => Some(TimeText { field: record.name(*slot), text, format }),
            None => {
                return Err(ParseError::field(record.name(*slot), "empty, but its date is given"));
            }
        },
    };
    time::read(date, time, spec.pm_suffix.as_deref(), clock).map(Some)
}

fn missing(record: &Record<'_>, source: &Option<TimeSource>, target: &str) -> ParseError {
    match source {
        Some(TimeSource::Field(spec)) => ParseError::field(record.name(spec.date), "empty"),
        _ => ParseError::record(format!("no {target} time")),
    }
}

fn seconds(
    record: &Record<'_>,
    source: Option<&SecondsSource>,
    (start, answer, end): (Option<Timestamp>, Option<Timestamp>, Option<Timestamp>),
) -> Result<Option<u32>, ParseError> {
    match source {
        None => Ok(None),
        Some(SecondsSource::Constant(v)) => Ok(Some(*v)),
        Some(SecondsSource::Field { slot, format, null_values }) => {
            match record.present(*slot, null_values)? {
                Some(text) => crate::duration::parse(record.name(*slot), *format, text).map(Some),
                None => Ok(None),
            }
        }
        Some(SecondsSource::Derived(later, earlier)) => {
            let get = |t: &TimeTarget| match t {
                TimeTarget::Start => start,
                TimeTarget::Answer => answer,
                TimeTarget::End => end,
            };
            match (get(later), get(earlier)) {
                (Some(l), Some(e)) => span_seconds(e, l, later.name(), earlier.name()).map(Some),
                _ => Ok(None),
            }
        }
    }
}

/// Whole seconds from `earlier` to `later`; an error when reversed.
fn span_seconds(
    earlier: Timestamp,
    later: Timestamp,
    later_name: &str,
    earlier_name: &str,
) -> Result<u32, ParseError> {
    let seconds = later.as_second() - earlier.as_second();
    u32::try_from(seconds).map_err(|_| {
        ParseError::record(format!("{later_name} {later} is before {earlier_name} {earlier}"))
    })
}

fn apply(
    record: &Record<'_>,
    expr: &TimeExpr<Slot>,
    anchor: Timestamp,
    duration: Option<u32>,
    ring: Option<u32>,
) -> Result<Timestamp, ParseError> {
    let mut total: i64 = 0;
    for (sign, term) in &expr.terms {
        let seconds = match term {
            Term::Duration => i64::from(duration.unwrap_or(0)),
            Term::Ring => i64::from(ring.unwrap_or(0)),
            Term::Field(slot) => match record.present(*slot, &[])? {
                Some(text) => i64::from(cdr::text::u32_field(record.name(*slot), text)?),
                None => 0,
            },
        };
        total += sign * seconds;
    }
    time::shift(anchor, total)
}

/// The value a choice picks for this record; `None` when it has nothing
/// to say (empty source, no default).
fn pick<T: NamedValue>(record: &Record<'_>, choice: &Choice<T>) -> Result<Option<T>, ParseError> {
    if let Some(constant) = &choice.constant {
        return Ok(Some(constant.clone()));
    }
    for rule in &choice.when {
        let value = record.text(rule.slot)?;
        if rule.test.matches(value) {
            return Ok(Some(rule.value.clone()));
        }
    }
    let Some(slot) = choice.source else { return Ok(choice.default.clone()) };
    let Some(value) = record.present(slot, &choice.null_values)? else {
        return Ok(choice.default.clone());
    };
    if choice.table.is_empty() {
        return T::from_name(value).map(Some).map_err(|e| ParseError::field(record.name(slot), e));
    }
    if let Some((_, v)) = choice.table.iter().find(|(k, _)| k == value) {
        return Ok(Some(v.clone()));
    }
    match &choice.default {
        Some(d) => Ok(Some(d.clone())),
        None => Err(ParseError::field(record.name(slot), format!("unknown value: {value:?}"))),
    }
}

fn text_value(record: &Record<'_>, spec: &crate::compile::TextSpec) -> Result<Text, ParseError> {
    let choice = &spec.value;
    let raw_source = choice.constant.is_none() && choice.table.is_empty() && choice.when.is_empty();
    let mut value = match choice.source {
        // Plain copy: keep any bytes (names come in many code pages).
        Some(slot) if raw_source => {
            let bytes = record.bytes(slot);
            let null = choice.null_values.iter().any(|n| n.as_bytes() == bytes);
            match (null, spec.number) {
                (true, _) => Text::default(),
                (false, true) => cdr::text::number(bytes),
                (false, false) => cdr::text::lossy(bytes),
            }
        }
        _ => {
            let picked = pick::<Text>(record, choice)?.unwrap_or_default();
            if spec.number { cdr::text::number(picked.as_bytes()) } else { picked }
        }
    };
    if let Some(prefix) = spec.strip_prefix.iter().find(|p| value.starts_with(p.as_str()))
        && value.len() > prefix.len()
    {
        value = Text::from(value.get(prefix.len()..).unwrap_or_default());
    }
    Ok(value)
}

fn identity(format: &Format, record: &Record<'_>) -> u64 {
    match &format.identity {
        None => cdr::whole_record(&format.name, record.raw),
        Some(slots) => slots
            .iter()
            .fold(IdentityHasher::new(&format.name), |h, slot| h.field(record.bytes(*slot)))
            .finish(),
    }
}

fn extras(record: &Record<'_>, extras: &mut Vec<(Text, Text)>) {
    for column in 0..record.fields.count() {
        if !record.resolution.is_extra(column) {
            continue;
        }
        let value = record.fields.get(record.raw, column);
        if !value.is_empty() {
            extras.push((record.resolution.column_name(column), cdr::text::lossy(value)));
        }
    }
}
