//! Shared helpers: parse fixture lines and render results compactly so
//! snapshots show every value the parser produced.

#![allow(dead_code)]

use cdr::{Parsed, ParserContext, RecordParser, Timestamp};
use format_custom::CustomFormat;
use jiff::tz::TimeZone;
use std::fmt::Write;

pub fn ctx(zone: &str, received: &str) -> ParserContext {
    ParserContext {
        time_zone: TimeZone::get(zone).unwrap(),
        received: received.parse::<Timestamp>().unwrap(),
    }
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

/// Parses every line of `text` except `#` comments; renders each result.
pub fn run(format: &CustomFormat, ctx: &ParserContext, text: &str) -> String {
    let mut parser = format.parser(ctx);
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        match parser.parse(line.as_bytes()) {
            Ok(parsed) => out.push_str(&render(&parsed)),
            Err(e) => writeln!(out, "error: {e}").unwrap(),
        }
    }
    out
}

pub fn parse_one(format: &CustomFormat, ctx: &ParserContext, line: &str) -> String {
    run(format, ctx, line)
}

pub fn render(parsed: &Parsed) -> String {
    let cdr = match parsed {
        Parsed::NotARecord => return "not a record\n".to_string(),
        Parsed::Quality(_) => return "quality\n".to_string(),
        Parsed::Cdr(cdr) => cdr,
    };
    let mut out = String::new();
    let answer = cdr.answer.map_or("-".to_string(), |a| a.to_string());
    let ring = cdr.ring_s.map_or("-".to_string(), |r| r.to_string());
    writeln!(
        out,
        "{} .. {} answer {} | talk {} ring {} | {} {} {}",
        cdr.start,
        cdr.end,
        answer,
        cdr.duration_s,
        ring,
        cdr.direction.as_str(),
        cdr.disposition.as_str(),
        cdr.kind.as_str()
    )
    .unwrap();
    let texts = [
        ("calling", &cdr.calling),
        ("dialled", &cdr.dialled),
        ("original_called", &cdr.original_called),
        ("final_called", &cdr.final_called),
        ("last_redirecting", &cdr.last_redirecting),
        ("account_code", &cdr.account_code),
        ("auth_code", &cdr.auth_code),
        ("client_matter", &cdr.client_matter),
        ("trunk_in", &cdr.trunk_in),
        ("trunk_out", &cdr.trunk_out),
        ("device_orig", &cdr.device_orig),
        ("device_dest", &cdr.device_dest),
        ("cause_orig", &cdr.cause_orig),
        ("cause_dest", &cdr.cause_dest),
        ("global_call_id", &cdr.correlation.global_call_id),
        ("orig_leg_id", &cdr.correlation.orig_leg_id),
        ("dest_leg_id", &cdr.correlation.dest_leg_id),
    ];
    let set: Vec<String> =
        texts.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={v}")).collect();
    if !set.is_empty() {
        writeln!(out, "  {}", set.join(" ")).unwrap();
    }
    if !cdr.extras.is_empty() {
        let extras: Vec<String> = cdr.extras.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "  extras: {}", extras.join("; ")).unwrap();
    }
    if let Err(e) = cdr.check_consistency() {
        writeln!(out, "  INCONSISTENT: {e}").unwrap();
    }
    out
}
