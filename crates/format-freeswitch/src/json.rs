//! mod_json_cdr documents: `{"core-uuid", "switchname", "channel_data",
//! "variables", "app_log", "callflow"…}`, one per call leg, as POSTed to a
//! URL or written to `json_cdr/<uuid>.cdr.json`. A POST with mod_json_cdr's
//! `encode` option (form- or base64-encoded body) is unwrapped by the
//! receiving connector before it reaches this parser.
//!
//! What is kept: every variable (URL-decoded, since `encode-values` is on by
//! default), top-level scalars (`core-uuid`, `switchname`) and
//! `channel_data` scalars as `channel_data.<name>`, and the scalars of the
//! current caller profile (`callflow[0].caller_profile`) as
//! `caller_profile.<name>` (except `caller_id_number`, `destination_number`
//! and `uuid` when they repeat a variable or stand in for one). Extras are
//! in key order within each group. The app log, dialplan extensions, originator /
//! originatee profiles and media statistics are not kept.
//!
//! When the variables lack them, the current caller profile gives
//! `caller_id_number`, `destination_number` and `uuid`, and its `times`
//! give start, answer and end (`created_time`, `answered_time`,
//! `hangup_time`, UTC microseconds).

use crate::urlencoding;
use crate::variables::{Var, to_cdr};
use cdr::{Framing, ParseError, Parsed, ParserContext, RecordParser, Text};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Parses one mod_json_cdr document.
pub struct FreeswitchJsonParser {
    ctx: ParserContext,
}

impl FreeswitchJsonParser {
    /// `ctx.time_zone` is used only when a document has `*_stamp` times but
    /// no epoch times.
    pub fn new(ctx: ParserContext) -> Self {
        FreeswitchJsonParser { ctx }
    }
}

/// Caller-profile fields that stand in for missing variables.
const PROFILE_FALLBACKS: [&str; 3] = ["caller_id_number", "destination_number", "uuid"];

/// `callflow.times` fields that stand in for missing start/answer/end
/// variables: (time field, variable it stands for, the event's variables).
const TIME_FALLBACKS: [(&str, &str, &str); 3] = [
    ("created_time", "start_uepoch", "start_"),
    ("answered_time", "answer_uepoch", "answer_"),
    ("hangup_time", "end_uepoch", "end_"),
];

impl RecordParser for FreeswitchJsonParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        if cdr::text::trim(raw).is_empty() {
            return Ok(Parsed::NotARecord);
        }
        let doc: Value = serde_json::from_slice(raw)
            .map_err(|e| ParseError::record(format!("not a JSON document: {e}")))?;
        let Value::Object(doc) = doc else {
            return Err(ParseError::record(format!("expected a JSON object, got {}", kind(&doc))));
        };
        let Some(Value::Object(variables)) = doc.get("variables") else {
            return Err(ParseError::record("no \"variables\" object"));
        };

        let mut extras = Vec::new();
        for (name, value) in &doc {
            if let Some(v) = scalar(value) {
                push_extra(&mut extras, name, &v);
            }
        }
        if let Some(Value::Object(channel_data)) = doc.get("channel_data") {
            for (name, value) in channel_data {
                if let Some(v) = scalar(value) {
                    push_extra(&mut extras, &format!("channel_data.{name}"), &v);
                }
            }
        }

        let mut vars: Vec<Var<'_>> = variables
            .iter()
            .filter_map(|(name, value)| scalar(value).map(|v| Var::new(name, decode_owned(v))))
            .collect();

        let callflow = current_callflow(&doc);
        let profile = callflow.and_then(|c| c.get("caller_profile")).and_then(Value::as_object);
        // Profile fields that stand in for a variable, or merely repeat
        // one, are not kept again as extras.
        let mut covered: Vec<&str> = Vec::new();
        if let Some(profile) = profile {
            for field in PROFILE_FALLBACKS {
                let Some(Value::String(s)) = profile.get(field) else { continue };
                match vars.iter().find(|v| v.name == field && !v.value.trim().is_empty()) {
                    Some(variable) if variable.value.trim() == s.trim() => covered.push(field),
                    Some(_) => {}
                    None => {
                        vars.push(Var {
                            name: field,
                            field: profile_field(field),
                            value: Cow::Borrowed(s),
                        });
                        covered.push(field);
                    }
                }
            }
        }
        if let Some(times) = callflow.and_then(|c| c.get("times")).and_then(Value::as_object) {
            for (time, variable, prefix) in TIME_FALLBACKS {
                let has_event = vars.iter().any(|v| {
                    v.name
                        .strip_prefix(prefix)
                        .is_some_and(|rest| matches!(rest, "stamp" | "epoch" | "uepoch"))
                });
                if let (false, Some(Value::String(s))) = (has_event, times.get(time)) {
                    vars.push(Var {
                        name: variable,
                        field: times_field(time),
                        value: Cow::Borrowed(s),
                    });
                }
            }
        }

        let mut cdr = to_cdr(&vars, extras, &self.ctx, raw)?;
        if let Some(profile) = profile {
            for (name, value) in profile {
                if covered.contains(&name.as_str()) {
                    continue;
                }
                if let Some(v) = scalar(value) {
                    push_extra(&mut cdr.extras, &format!("caller_profile.{name}"), &v);
                }
            }
        }
        Ok(Parsed::Cdr(Box::new(cdr)))
    }

    fn framing(&self) -> Framing {
        Framing::Document
    }
}

/// The current caller profile's callflow: the first element of the
/// `callflow` array (FreeSWITCH lists the newest profile first), or the
/// object itself in releases that wrote a single `callflow` object.
fn current_callflow(doc: &Map<String, Value>) -> Option<&Map<String, Value>> {
    match doc.get("callflow")? {
        Value::Array(flows) => flows.first()?.as_object(),
        Value::Object(flow) => Some(flow),
        _ => None,
    }
}

fn profile_field(field: &str) -> &'static str {
    match field {
        "caller_id_number" => "callflow.caller_profile.caller_id_number",
        "destination_number" => "callflow.caller_profile.destination_number",
        _ => "callflow.caller_profile.uuid",
    }
}

fn times_field(time: &str) -> &'static str {
    match time {
        "created_time" => "callflow.times.created_time",
        "answered_time" => "callflow.times.answered_time",
        _ => "callflow.times.hangup_time",
    }
}

/// A string, number or boolean as text; `None` for objects, arrays, null.
fn scalar(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

fn decode_owned(value: Cow<'_, str>) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(s) => urlencoding::decode(s),
        Cow::Owned(s) => Cow::Owned(urlencoding::decode(&s).into_owned()),
    }
}

fn push_extra(extras: &mut Vec<(Text, Text)>, name: &str, value: &str) {
    let value = value.trim();
    if !value.is_empty() {
        extras.push((Text::from(name), Text::from(value)));
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
