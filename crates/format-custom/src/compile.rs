//! Validates a definition and pre-computes everything a parser needs
//! (column ranges, patterns, source lookups), so that parsing a record
//! does no work that could have been done once.

use crate::definition::{
    DurationFormat, OneOrMany, RawCsv, RawDefinition, RawFixed, RawRegex, RawSpec, RecordKindName,
    SourceRef,
};
use crate::derive::{self, TimeExpr, TimeTarget};
use crate::error::DefinitionError;
use crate::time::TimeFormat;
use cdr::{Cdr, Direction, Disposition, RecordKind, Text};
use jiff::tz::TimeZone;
use regex::bytes::{Regex, RegexSet};
use std::ops::Range;
use toml::Spanned;

/// Index into [`Format::sources`]: a source field some mapping reads.
pub(crate) type Slot = usize;

/// How records are cut into fields.
#[derive(Debug)]
pub(crate) enum Layout {
    Csv { delimiter: u8, quote: Option<u8>, header: bool, min_columns: Option<usize> },
    Fixed { ranges: Vec<(usize, usize)>, length: Option<usize>, min_length: Option<usize> },
    Regex { pattern: Regex },
}

/// A compiled, validated format definition.
#[derive(Debug)]
pub(crate) struct Format {
    pub name: String,
    pub layout: Layout,
    /// Column names known from the definition (fixed fields, regex groups,
    /// csv `columns`); empty for csv with a header line.
    pub columns: Vec<Text>,
    pub skip: Option<RegexSet>,
    /// `Some(None)` for UTC, `Some(zone)` for a zone of the definition,
    /// `None` to take the parser context's zone.
    pub zone: Option<Option<TimeZone>>,
    /// Source fields referenced by the mapping, identity and ignore lists.
    pub sources: Vec<SourceRef>,
    /// Slots whose columns are mapped (not extras).
    pub consumed: Vec<Slot>,
    pub ignored: Vec<Slot>,
    /// `None`: the whole record is the identity.
    pub identity: Option<Vec<Slot>>,
    pub map: Mapping,
}

/// Where one time comes from.
#[derive(Debug)]
pub(crate) enum TimeSource {
    Field(TimeSpec),
    Derived(TimeExpr<Slot>),
}

#[derive(Debug)]
pub(crate) struct TimeSpec {
    pub date: Slot,
    pub date_format: TimeFormat,
    pub time: Option<(Slot, TimeFormat)>,
    pub pm_suffix: Option<String>,
    pub null_values: Vec<String>,
}

#[derive(Debug)]
pub(crate) enum SecondsSource {
    Field { slot: Slot, format: DurationFormat, null_values: Vec<String> },
    Derived(TimeTarget, TimeTarget),
    Constant(u32),
}

/// A value picked from a table, from rules on other fields, or constant.
#[derive(Debug)]
pub(crate) struct Choice<T> {
    pub constant: Option<T>,
    pub source: Option<Slot>,
    pub when: Vec<WhenRule<T>>,
    /// Empty: the source value itself names the value (`incoming`).
    pub table: Vec<(String, T)>,
    pub default: Option<T>,
    pub null_values: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct WhenRule<T> {
    pub slot: Slot,
    pub test: Test,
    pub value: T,
}

/// What a `when` rule checks a field's (trimmed) value for.
#[derive(Debug)]
pub(crate) enum Test {
    Equals(Vec<String>),
    StartsWith(Vec<String>),
}

impl Test {
    pub(crate) fn matches(&self, value: &str) -> bool {
        match self {
            Test::Equals(options) => options.iter().any(|o| o == value),
            Test::StartsWith(options) => options.iter().any(|o| value.starts_with(o.as_str())),
        }
    }
}

/// A disposition, or "answered when there was talk time".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DispositionRule {
    Fixed(Disposition),
    ByDuration,
}

#[derive(Debug)]
pub(crate) struct TextSpec {
    pub setter: fn(&mut Cdr) -> &mut Text,
    pub value: Choice<Text>,
    pub number: bool,
    pub strip_prefix: Vec<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Mapping {
    pub start: Option<TimeSource>,
    pub answer: Option<TimeSource>,
    pub end: Option<TimeSource>,
    /// Derived times in an order where each one's anchor is known first.
    pub derive_order: Vec<TimeTarget>,
    pub duration: Option<SecondsSource>,
    pub ring: Option<SecondsSource>,
    pub direction: Option<Choice<Direction>>,
    pub disposition: Option<Choice<DispositionRule>>,
    pub kind: Option<Choice<RecordKind>>,
    pub texts: Vec<TextSpec>,
}

type Setter = fn(&mut Cdr) -> &mut Text;

/// Text targets of the model, by the names a definition uses.
const TEXT_TARGETS: &[(&str, Setter)] = &[
    ("calling", |c| &mut c.calling),
    ("dialled", |c| &mut c.dialled),
    ("original_called", |c| &mut c.original_called),
    ("final_called", |c| &mut c.final_called),
    ("last_redirecting", |c| &mut c.last_redirecting),
    ("account_code", |c| &mut c.account_code),
    ("auth_code", |c| &mut c.auth_code),
    ("client_matter", |c| &mut c.client_matter),
    ("trunk_in", |c| &mut c.trunk_in),
    ("trunk_out", |c| &mut c.trunk_out),
    ("device_orig", |c| &mut c.device_orig),
    ("device_dest", |c| &mut c.device_dest),
    ("cause_orig", |c| &mut c.cause_orig),
    ("cause_dest", |c| &mut c.cause_dest),
    ("global_call_id", |c| &mut c.correlation.global_call_id),
    ("orig_leg_id", |c| &mut c.correlation.orig_leg_id),
    ("dest_leg_id", |c| &mut c.correlation.dest_leg_id),
    ("orig_conversation_id", |c| &mut c.correlation.orig_conversation_id),
    ("dest_conversation_id", |c| &mut c.correlation.dest_conversation_id),
];

const OTHER_TARGETS: &[&str] =
    &["start", "answer", "end", "duration_s", "ring_s", "direction", "disposition", "kind"];

fn target_list() -> String {
    OTHER_TARGETS
        .iter()
        .copied()
        .chain(TEXT_TARGETS.iter().map(|(n, _)| *n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compiles a definition; the text is kept only for error positions.
pub(crate) fn compile(text: &str) -> Result<Format, DefinitionError> {
    let raw: RawDefinition =
        toml::from_str(text).map_err(|e| DefinitionError::from_toml(text, &e))?;
    Compiler { text, sources: Vec::new(), columns: Vec::new(), header: false }.run(raw)
}

struct Compiler<'t> {
    text: &'t str,
    sources: Vec<SourceRef>,
    columns: Vec<Text>,
    /// Columns are named by a header line at parse time.
    header: bool,
}

impl Compiler<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> DefinitionError {
        if span.is_empty() && span.start == 0 {
            DefinitionError::new(message)
        } else {
            DefinitionError::at(self.text, span, message)
        }
    }

    fn run(mut self, raw: RawDefinition) -> Result<Format, DefinitionError> {
        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.err(raw.name.span(), "name is empty"));
        }
        let kind = *raw.kind.get_ref();
        self.check_sections(&raw, kind)?;
        let layout = match kind {
            RecordKindName::Csv => self.csv_layout(raw.csv.as_ref())?,
            RecordKindName::Fixed => self.fixed_layout(raw.fixed.as_ref(), raw.kind.span())?,
            RecordKindName::Regex => self.regex_layout(raw.regex.as_ref(), raw.kind.span())?,
        };
        let skip = self.skip_set(&raw.skip)?;
        let zone = self.zone(&raw)?;

        let mut consumed = Vec::new();
        let map = self.mapping(&raw.map, &mut consumed)?;
        let ignored = raw.ignore.iter().map(|s| self.slot(s)).collect::<Result<Vec<_>, _>>()?;
        let identity = match &raw.identity {
            None => None,
            Some(list) if list.is_empty() => {
                return Err(DefinitionError::new(
                    "identity is empty: leave it out to use the whole record",
                ));
            }
            Some(list) => Some(list.iter().map(|s| self.slot(s)).collect::<Result<Vec<_>, _>>()?),
        };
        Ok(Format {
            name,
            layout,
            columns: self.columns,
            skip,
            zone,
            sources: self.sources,
            consumed,
            ignored,
            identity,
            map,
        })
    }

    fn check_sections(
        &self,
        raw: &RawDefinition,
        kind: RecordKindName,
    ) -> Result<(), DefinitionError> {
        let sections = [
            (RecordKindName::Csv, "csv", raw.csv.as_ref().map(|s| s.span())),
            (RecordKindName::Fixed, "fixed", raw.fixed.as_ref().map(|s| s.span())),
            (RecordKindName::Regex, "regex", raw.regex.as_ref().map(|s| s.span())),
        ];
        for (section_kind, section, span) in sections {
            if let Some(span) = span
                && section_kind != kind
            {
                return Err(self.err(
                    span,
                    format!("section [{section}] does not apply to kind {:?}", kind_name(kind)),
                ));
            }
        }
        Ok(())
    }

    fn csv_layout(&mut self, csv: Option<&Spanned<RawCsv>>) -> Result<Layout, DefinitionError> {
        let default = RawCsv {
            delimiter: Spanned::new(0..0, ",".into()),
            quote: Spanned::new(0..0, "\"".into()),
            header: false,
            columns: Vec::new(),
            min_columns: None,
        };
        let csv = csv.map_or(&default, |s| s.get_ref());
        let delimiter = match csv.delimiter.get_ref().as_bytes() {
            [b] if *b != b'\n' && *b != b'\r' => *b,
            _ => {
                return Err(self.err(csv.delimiter.span(), "delimiter must be one ASCII character"));
            }
        };
        let quote = match csv.quote.get_ref().as_bytes() {
            [] => None,
            [b] if *b != delimiter => Some(*b),
            _ => {
                return Err(self.err(
                    csv.quote.span(),
                    "quote must be one ASCII character other than the delimiter, or \"\" for none",
                ));
            }
        };
        if csv.header && !csv.columns.is_empty() {
            return Err(self.err(
                csv.columns.first().map_or(0..0, |c| c.span()),
                "columns are named by the header line; give either header = true or columns",
            ));
        }
        self.header = csv.header;
        for column in &csv.columns {
            let name = column.get_ref().trim();
            if self.columns.iter().any(|c| c == name) {
                return Err(self.err(column.span(), format!("column {name:?} is named twice")));
            }
            self.columns.push(Text::from(name));
        }
        Ok(Layout::Csv { delimiter, quote, header: csv.header, min_columns: csv.min_columns })
    }

    fn fixed_layout(
        &mut self,
        fixed: Option<&Spanned<RawFixed>>,
        kind_span: Range<usize>,
    ) -> Result<Layout, DefinitionError> {
        let Some(fixed) = fixed else {
            return Err(self.err(kind_span, "kind \"fixed\" needs a [fixed] section with fields"));
        };
        let fixed = fixed.get_ref();
        if fixed.fields.is_empty() {
            return Err(DefinitionError::new("[fixed] has no fields"));
        }
        let mut ranges = Vec::with_capacity(fixed.fields.len());
        for field in &fixed.fields {
            let f = field.get_ref();
            let name = f.name.trim();
            if f.start == 0 || f.length == 0 {
                return Err(self
                    .err(field.span(), format!("field {name:?}: start and length count from 1")));
            }
            if self.columns.iter().any(|c| c == name) {
                return Err(self.err(field.span(), format!("field {name:?} is defined twice")));
            }
            let Some(end) = (f.start - 1).checked_add(f.length) else {
                return Err(self.err(field.span(), format!("field {name:?} is too long")));
            };
            self.columns.push(Text::from(name));
            ranges.push((f.start - 1, end));
        }
        Ok(Layout::Fixed { ranges, length: fixed.length, min_length: fixed.min_length })
    }

    fn regex_layout(
        &mut self,
        regex: Option<&Spanned<RawRegex>>,
        kind_span: Range<usize>,
    ) -> Result<Layout, DefinitionError> {
        let Some(regex) = regex else {
            return Err(
                self.err(kind_span, "kind \"regex\" needs a [regex] section with a pattern")
            );
        };
        let pattern = &regex.get_ref().pattern;
        let compiled = Regex::new(pattern.get_ref()).map_err(|e| {
            self.err(pattern.span(), format!("bad pattern: {}", one_line(&e.to_string())))
        })?;
        for (group, name) in compiled.capture_names().enumerate().skip(1) {
            let name = name.map_or_else(|| format!("group {group}"), str::to_string);
            self.columns.push(Text::from(name));
        }
        if self.columns.is_empty() {
            return Err(self.err(pattern.span(), "pattern has no capture groups"));
        }
        Ok(Layout::Regex { pattern: compiled })
    }

    fn skip_set(&self, skip: &[Spanned<String>]) -> Result<Option<RegexSet>, DefinitionError> {
        if skip.is_empty() {
            return Ok(None);
        }
        for pattern in skip {
            Regex::new(pattern.get_ref()).map_err(|e| {
                self.err(pattern.span(), format!("bad skip pattern: {}", one_line(&e.to_string())))
            })?;
        }
        RegexSet::new(skip.iter().map(|s| s.get_ref())).map(Some).map_err(|e| {
            DefinitionError::new(format!("bad skip patterns: {}", one_line(&e.to_string())))
        })
    }

    fn zone(&self, raw: &RawDefinition) -> Result<Option<Option<TimeZone>>, DefinitionError> {
        match (&raw.time_zone, raw.utc) {
            (Some(zone), true) => {
                Err(self.err(zone.span(), "give either time_zone or utc = true, not both"))
            }
            (Some(zone), false) => {
                TimeZone::get(zone.get_ref()).map(|z| Some(Some(z))).map_err(|_| {
                    self.err(zone.span(), format!("unknown time zone {:?}", zone.get_ref()))
                })
            }
            (None, true) => Ok(Some(None)),
            (None, false) => Ok(None),
        }
    }

    /// The slot of a source field, checked against the known columns.
    fn slot(&mut self, source: &Spanned<SourceRef>) -> Result<Slot, DefinitionError> {
        self.slot_of(source.get_ref().clone(), source.span())
    }

    fn slot_of(&mut self, source: SourceRef, span: Range<usize>) -> Result<Slot, DefinitionError> {
        match &source {
            SourceRef::Index(i) if *i < 1 => {
                return Err(self.err(span, format!("column numbers start at 1, got {i}")));
            }
            SourceRef::Index(i) if !self.columns.is_empty() && *i as usize > self.columns.len() => {
                return Err(self.err(
                    span,
                    format!("column {i} does not exist: there are {} fields", self.columns.len()),
                ));
            }
            SourceRef::Name(name) if !self.header && !self.columns.iter().any(|c| c == name) => {
                let message = if self.columns.is_empty() {
                    format!(
                        "unknown source field {name:?}: name the columns (columns = [...] or header = true) or use 1-based numbers"
                    )
                } else {
                    format!(
                        "unknown source field {name:?}; fields are: {}",
                        self.columns.join(", ")
                    )
                };
                return Err(self.err(span, message));
            }
            _ => {}
        }
        if let Some(existing) = self.sources.iter().position(|s| *s == source) {
            return Ok(existing);
        }
        self.sources.push(source);
        Ok(self.sources.len() - 1)
    }

    fn mapping(
        &mut self,
        map: &Spanned<std::collections::BTreeMap<Spanned<String>, Spanned<RawSpec>>>,
        consumed: &mut Vec<Slot>,
    ) -> Result<Mapping, DefinitionError> {
        let mut out = Mapping::default();
        for (target, spec) in map.get_ref() {
            let name = target.get_ref().as_str();
            let at = target.span();
            let spec_ref = spec.get_ref();
            match name {
                "start" => out.start = Some(self.time_source(name, spec, consumed)?),
                "answer" => out.answer = Some(self.time_source(name, spec, consumed)?),
                "end" => out.end = Some(self.time_source(name, spec, consumed)?),
                "duration_s" | "ring_s" => {
                    let source = self.seconds_source(name, spec, consumed)?;
                    if name == "duration_s" {
                        out.duration = Some(source);
                    } else {
                        out.ring = Some(source);
                    }
                }
                "direction" => {
                    out.direction = Some(self.choice(name, spec, consumed, parse_direction)?)
                }
                "disposition" => {
                    out.disposition = Some(self.choice(name, spec, consumed, parse_disposition)?)
                }
                "kind" => out.kind = Some(self.choice(name, spec, consumed, parse_kind)?),
                _ => {
                    let Some((_, setter)) = TEXT_TARGETS.iter().find(|(n, _)| *n == name) else {
                        return Err(self.err(
                            at,
                            format!("unknown target {name:?}; targets are: {}", target_list()),
                        ));
                    };
                    let value = self.choice(name, spec, consumed, |s| Ok(Text::from(s)))?;
                    out.texts.push(TextSpec {
                        setter: *setter,
                        value,
                        number: spec_ref.number,
                        strip_prefix: spec_ref.strip_prefix.clone(),
                    });
                }
            }
        }
        let map_span = map.span();
        if out.start.is_none() {
            return Err(self
                .err(map_span.clone(), "map.start is missing: map it from a field or derive it"));
        }
        if out.end.is_none() {
            return Err(self.err(map_span, "map.end is missing: map it from a field or derive it"));
        }
        out.derive_order = self.derive_order(&out, map)?;
        Ok(out)
    }

    /// Rejects options that make no sense for `target`.
    fn only(
        &self,
        target: &str,
        spec: &Spanned<RawSpec>,
        allowed: &[&str],
    ) -> Result<(), DefinitionError> {
        let s = spec.get_ref();
        let present = [
            ("field", s.field.is_some()),
            ("format", s.format.is_some()),
            ("time_field", s.time_field.is_some()),
            ("time_format", s.time_format.is_some()),
            ("pm_suffix", s.pm_suffix.is_some()),
            ("duration", s.duration.is_some()),
            ("number", s.number),
            ("strip_prefix", !s.strip_prefix.is_empty()),
            ("null_values", !s.null_values.is_empty()),
            ("values", s.values.is_some()),
            ("default", s.default.is_some()),
            ("when", !s.when.is_empty()),
            ("value", s.value.is_some()),
            ("derive", s.derive.is_some()),
        ];
        for (option, is_present) in present {
            if is_present && !allowed.contains(&option) {
                return Err(
                    self.err(spec.span(), format!("map.{target}: {option} does not apply here"))
                );
            }
        }
        Ok(())
    }

    fn time_source(
        &mut self,
        target: &str,
        spec: &Spanned<RawSpec>,
        consumed: &mut Vec<Slot>,
    ) -> Result<TimeSource, DefinitionError> {
        let s = spec.get_ref();
        if let Some(expr) = &s.derive {
            self.only(target, spec, &["derive"])?;
            let parsed = derive::parse_time_expr(expr.get_ref())
                .map_err(|e| self.err(expr.span(), format!("map.{target}: {e}")))?;
            if parsed.anchor.name() == target {
                return Err(self.err(
                    expr.span(),
                    format!("map.{target}: cannot derive {target} from itself"),
                ));
            }
            let span = expr.span();
            let parsed = parsed.map_fields(|name| {
                let source = match name.parse::<i64>() {
                    Ok(i) => SourceRef::Index(i),
                    Err(_) => SourceRef::Name(name),
                };
                self.slot_of(source, span.clone())
            })?;
            return Ok(TimeSource::Derived(parsed));
        }
        self.only(
            target,
            spec,
            &["field", "format", "time_field", "time_format", "pm_suffix", "null_values"],
        )?;
        let (Some(field), Some(format)) = (&s.field, &s.format) else {
            return Err(
                self.err(spec.span(), format!("map.{target}: give field and format, or derive"))
            );
        };
        let date = self.slot(field)?;
        consumed.push(date);
        let date_format = TimeFormat::compile(format.get_ref())
            .map_err(|e| self.err(format.span(), format!("map.{target}: {e}")))?;
        let time = match (&s.time_field, &s.time_format) {
            (None, None) => None,
            (Some(field), Some(format)) => {
                let slot = self.slot(field)?;
                consumed.push(slot);
                let tf = TimeFormat::compile(format.get_ref())
                    .map_err(|e| self.err(format.span(), format!("map.{target}: {e}")))?;
                if !matches!(tf, TimeFormat::Pattern(..))
                    || !matches!(date_format, TimeFormat::Pattern(..))
                {
                    return Err(self
                        .err(format.span(), format!("map.{target}: epoch times cannot be split")));
                }
                Some((slot, tf))
            }
            _ => {
                return Err(self.err(
                    spec.span(),
                    format!("map.{target}: time_field and time_format go together"),
                ));
            }
        };
        Ok(TimeSource::Field(TimeSpec {
            date,
            date_format,
            time,
            pm_suffix: s.pm_suffix.clone().filter(|p| !p.is_empty()),
            null_values: s.null_values.clone(),
        }))
    }

    fn seconds_source(
        &mut self,
        target: &str,
        spec: &Spanned<RawSpec>,
        consumed: &mut Vec<Slot>,
    ) -> Result<SecondsSource, DefinitionError> {
        let s = spec.get_ref();
        if let Some(expr) = &s.derive {
            self.only(target, spec, &["derive"])?;
            let (a, b) = derive::parse_span_expr(expr.get_ref())
                .map_err(|e| self.err(expr.span(), format!("map.{target}: {e}")))?;
            return Ok(SecondsSource::Derived(a, b));
        }
        if let Some(value) = &s.value {
            self.only(target, spec, &["value"])?;
            let v = value.get_ref().trim().parse::<u32>().map_err(|_| {
                self.err(value.span(), format!("map.{target}: value must be whole seconds"))
            })?;
            return Ok(SecondsSource::Constant(v));
        }
        self.only(target, spec, &["field", "duration", "null_values"])?;
        let (Some(field), Some(format)) = (&s.field, &s.duration) else {
            return Err(self.err(
                spec.span(),
                format!("map.{target}: give field and duration (its format), derive, or value"),
            ));
        };
        let slot = self.slot(field)?;
        consumed.push(slot);
        Ok(SecondsSource::Field {
            slot,
            format: *format.get_ref(),
            null_values: s.null_values.clone(),
        })
    }

    fn choice<T: Clone>(
        &mut self,
        target: &str,
        spec: &Spanned<RawSpec>,
        consumed: &mut Vec<Slot>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Choice<T>, DefinitionError> {
        let s = spec.get_ref();
        let span = spec.span();
        let is_text = TEXT_TARGETS.iter().any(|(n, _)| *n == target);
        let mut allowed = vec!["field", "values", "default", "when", "value", "null_values"];
        if is_text {
            allowed.extend(["number", "strip_prefix"]);
        }
        self.only(target, spec, &allowed)?;
        let value_of = |text: &str| {
            parse(text).map_err(|e| self.err(span.clone(), format!("map.{target}: {e}")))
        };
        if let Some(constant) = &s.value {
            if s.field.is_some() || s.values.is_some() || !s.when.is_empty() || s.default.is_some()
            {
                return Err(self.err(
                    span,
                    format!("map.{target}: value is a constant; it takes no field, values, when or default"),
                ));
            }
            return Ok(Choice {
                constant: Some(value_of(constant.get_ref())?),
                source: None,
                when: Vec::new(),
                table: Vec::new(),
                default: None,
                null_values: Vec::new(),
            });
        }
        let mut table = Vec::new();
        for (key, value) in s.values.iter().flatten() {
            table.push((key.clone(), value_of(value)?));
        }
        let default = s.default.as_deref().map(value_of).transpose()?;
        let mut rule_values = Vec::new();
        for rule in &s.when {
            rule_values.push(value_of(&rule.value)?);
        }
        let mut when = Vec::new();
        for (rule, value) in s.when.iter().zip(rule_values) {
            let slot = self.slot_of(rule.field.clone(), span.clone())?;
            let list = |o: &OneOrMany| match o {
                OneOrMany::One(v) => vec![v.clone()],
                OneOrMany::Many(v) => v.clone(),
            };
            let test = match (&rule.equals, &rule.starts_with) {
                (Some(e), None) => Test::Equals(list(e)),
                (None, Some(p)) => Test::StartsWith(list(p)),
                _ => {
                    return Err(self.err(
                        span,
                        format!(
                            "map.{target}: each when rule needs equals or starts_with (one of them)"
                        ),
                    ));
                }
            };
            when.push(WhenRule { slot, test, value });
        }
        let source = match &s.field {
            Some(field) => {
                let slot = self.slot(field)?;
                consumed.push(slot);
                Some(slot)
            }
            None if when.is_empty() && default.is_none() => {
                return Err(
                    self.err(span, format!("map.{target}: give field, value, or when rules"))
                );
            }
            None => None,
        };
        if source.is_none() && !table.is_empty() {
            return Err(self.err(span, format!("map.{target}: values need a field to look up")));
        }
        Ok(Choice {
            constant: None,
            source,
            when,
            table,
            default,
            null_values: s.null_values.clone(),
        })
    }

    /// Orders derived times so each anchor is known before it is used, and
    /// refuses cycles and references to times that are never set.
    fn derive_order(
        &self,
        map: &Mapping,
        spans: &Spanned<std::collections::BTreeMap<Spanned<String>, Spanned<RawSpec>>>,
    ) -> Result<Vec<TimeTarget>, DefinitionError> {
        let source = |t: TimeTarget| match t {
            TimeTarget::Start => map.start.as_ref(),
            TimeTarget::Answer => map.answer.as_ref(),
            TimeTarget::End => map.end.as_ref(),
        };
        let span_of = |t: TimeTarget| {
            spans
                .get_ref()
                .iter()
                .find(|(k, _)| k.get_ref() == t.name())
                .map_or(spans.span(), |(_, v)| v.span())
        };
        let mut known: Vec<TimeTarget> = [TimeTarget::Start, TimeTarget::Answer, TimeTarget::End]
            .into_iter()
            .filter(|t| matches!(source(*t), Some(TimeSource::Field(_))))
            .collect();
        let mut order = Vec::new();
        let derived: Vec<(TimeTarget, TimeTarget)> =
            [TimeTarget::Start, TimeTarget::Answer, TimeTarget::End]
                .into_iter()
                .filter_map(|t| match source(t) {
                    Some(TimeSource::Derived(e)) => Some((t, e.anchor)),
                    _ => None,
                })
                .collect();
        for &(target, anchor) in &derived {
            if source(anchor).is_none() {
                return Err(self.err(
                    span_of(target),
                    format!(
                        "map.{}: derived from {}, which is not mapped",
                        target.name(),
                        anchor.name()
                    ),
                ));
            }
        }
        while order.len() < derived.len() {
            let ready = derived
                .iter()
                .find(|(t, anchor)| !order.contains(t) && known.contains(anchor))
                .map(|(t, _)| *t);
            let Some(target) = ready else {
                let (first, _) = derived
                    .iter()
                    .find(|(t, _)| !order.contains(t))
                    .copied()
                    .unwrap_or((TimeTarget::Start, TimeTarget::Start));
                return Err(
                    self.err(span_of(first), "derived times depend on each other in a circle")
                );
            };
            order.push(target);
            known.push(target);
        }
        for (target, seconds) in [("duration_s", &map.duration), ("ring_s", &map.ring)] {
            if let Some(SecondsSource::Derived(a, b)) = seconds {
                for t in [*a, *b] {
                    if !matches!(source(t), Some(TimeSource::Field(_))) {
                        let span = spans
                            .get_ref()
                            .iter()
                            .find(|(k, _)| k.get_ref() == target)
                            .map_or(spans.span(), |(_, v)| v.span());
                        return Err(self.err(
                            span,
                            format!("map.{target}: {} must be read from a field to derive a duration from it", t.name()),
                        ));
                    }
                }
            }
        }
        Ok(order)
    }
}

fn kind_name(kind: RecordKindName) -> &'static str {
    match kind {
        RecordKindName::Csv => "csv",
        RecordKindName::Fixed => "fixed",
        RecordKindName::Regex => "regex",
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    Direction::ALL.into_iter().find(|d| d.as_str() == s).ok_or_else(|| {
        format!(
            "unknown direction {s:?}; directions are incoming, outgoing, internal, tandem, unknown"
        )
    })
}

fn parse_disposition(s: &str) -> Result<DispositionRule, String> {
    if s == "by_duration" {
        return Ok(DispositionRule::ByDuration);
    }
    Disposition::ALL
        .into_iter()
        .find(|d| d.as_str() == s)
        .map(DispositionRule::Fixed)
        .ok_or_else(|| format!("unknown disposition {s:?}; dispositions are answered, no_answer, busy, failed, by_duration"))
}

fn parse_kind(s: &str) -> Result<RecordKind, String> {
    [RecordKind::Call, RecordKind::Intermediate, RecordKind::Leg]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown record kind {s:?}; kinds are call, intermediate, leg"))
}

/// Parses one looked-up value for a typed target at parse time.
pub(crate) trait NamedValue: Sized + Clone {
    fn from_name(s: &str) -> Result<Self, String>;
}

impl NamedValue for Direction {
    fn from_name(s: &str) -> Result<Self, String> {
        parse_direction(s)
    }
}

impl NamedValue for DispositionRule {
    fn from_name(s: &str) -> Result<Self, String> {
        parse_disposition(s)
    }
}

impl NamedValue for RecordKind {
    fn from_name(s: &str) -> Result<Self, String> {
        parse_kind(s)
    }
}

impl NamedValue for Text {
    fn from_name(s: &str) -> Result<Self, String> {
        Ok(Text::from(s))
    }
}
