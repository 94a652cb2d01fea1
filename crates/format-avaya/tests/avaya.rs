//! Customized CDR lines, checked field by field.
//!
//! The fixture lines are written to Avaya's customized-record rules (fixed
//! widths from the `system-parameters cdr` form, text left-adjusted and
//! blank-padded, `sec-dur` zero-filled, CR LF at the end). Expected values
//! were worked out by hand from the condition code table and the layout.

use cdr::{Parsed, ParserContext, RecordParser};
use expect_test::{Expect, expect};
use format_avaya::{AvayaParser, DateOrder, Layout};
use jiff::tz::TimeZone;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn context(zone: &str, received: &str) -> ParserContext {
    ParserContext { time_zone: TimeZone::get(zone).unwrap(), received: received.parse().unwrap() }
}

/// Cuts input the way `Framing::Lines` does and renders every outcome.
fn render_all(parser: &mut AvayaParser, input: &str) -> String {
    let mut out = String::new();
    for line in input.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        out.push_str(&render(parser.parse(line.as_bytes())));
        out.push('\n');
    }
    out
}

fn render(result: Result<Parsed, cdr::ParseError>) -> String {
    let cdr = match result {
        Ok(Parsed::Cdr(cdr)) => cdr,
        Ok(other) => return format!("{other:?}"),
        Err(e) => return format!("error: {e}"),
    };
    let mut s = format!(
        "{} {} {} {}..{} answer={} talk={}s ring={:?}",
        cdr.kind.as_str(),
        cdr.direction.as_str(),
        cdr.disposition.as_str(),
        cdr.start,
        cdr.end,
        cdr.answer.map_or("-".to_string(), |a| a.to_string()),
        cdr.duration_s,
        cdr.ring_s,
    );
    for (name, value) in [
        ("calling", &cdr.calling),
        ("dialled", &cdr.dialled),
        ("auth", &cdr.auth_code),
        ("account", &cdr.account_code),
        ("in", &cdr.trunk_in),
        ("out", &cdr.trunk_out),
        ("cond", &cdr.cause_orig),
    ] {
        if !value.is_empty() {
            s.push_str(&format!(" {name}={value}"));
        }
    }
    for (k, v) in &cdr.extras {
        s.push_str(&format!(" [{k}={v}]"));
    }
    assert!(cdr.check_consistency().is_ok(), "{s}");
    s
}

fn check(parser: &mut AvayaParser, input: &str, expect: Expect) {
    expect.assert_eq(&render_all(parser, input));
}

fn preset_parser(order: DateOrder) -> AvayaParser {
    let layout = Layout::preset("avaya-97").unwrap();
    AvayaParser::new(layout, order, context("America/New_York", "2025-03-20T12:00:00Z"))
}

#[test]
fn preset_97_lines() {
    // New York: EDT (UTC−4) from 9 March 2025 02:00 local.
    check(
        &mut preset_parser(DateOrder::MonthDay),
        &fixture("avaya-97.txt"),
        expect![[r#"
            call outgoing answered 2025-03-15T17:59:55Z..2025-03-15T18:02:00Z answer=2025-03-15T17:59:55Z talk=125s ring=None calling=4711 dialled=900441234567890 auth=12345 out=101/003 cond=7 [code-dial=9]
            call incoming answered 2025-03-15T13:09:18Z..2025-03-15T13:15:00Z answer=2025-03-15T13:09:18Z talk=342s ring=None calling=02079460000 dialled=4711 in=102/017 cond=9
            call internal answered 2025-03-15T14:28:59Z..2025-03-15T14:30:00Z answer=2025-03-15T14:28:59Z talk=61s ring=None calling=4711 dialled=4712 cond=0
            leg outgoing answered 2025-03-15T14:50:00Z..2025-03-15T15:00:00Z answer=2025-03-15T14:50:00Z talk=600s ring=None calling=4711 dialled=0049301234567 out=101/005 cond=C [code-dial=9]
            call incoming busy 2025-03-15T16:01:00Z..2025-03-15T16:01:00Z answer=- talk=0s ring=Some(0) calling=0612345678 dialled=4713 in=102/018 cond=I
            call incoming no_answer 2025-03-15T16:02:42Z..2025-03-15T16:03:00Z answer=- talk=0s ring=Some(18) calling=0612345678 dialled=4714 in=102/019 cond=H
            leg incoming answered 2025-03-15T13:15:48Z..2025-03-15T13:16:00Z answer=2025-03-15T13:16:00Z talk=0s ring=Some(12) calling=02079460000 dialled=4711 in=102/017 cond=G
            intermediate outgoing answered 2025-03-15T16:05:06Z..2025-03-16T02:05:00Z answer=2025-03-15T16:05:06Z talk=35994s ring=None calling=4711 dialled=9001555123456 out=101/002 cond=4 [code-dial=9]
            call outgoing answered 2025-03-09T06:40:00Z..2025-03-09T07:10:00Z answer=2025-03-09T06:40:00Z talk=1800s ring=None calling=4715 dialled=900331234567 out=101/004 cond=A [code-dial=9]
        "#]],
    );
}

#[test]
fn day_month_dates() {
    check(
        &mut preset_parser(DateOrder::DayMonth),
        &fixture("avaya-97-day-month.txt"),
        expect![[r#"
            call outgoing answered 2025-03-15T17:59:55Z..2025-03-15T18:02:00Z answer=2025-03-15T17:59:55Z talk=125s ring=None calling=4711 dialled=900441234567890 out=101/003 cond=7 [code-dial=9]
        "#]],
    );
}

#[test]
fn custom_layout_with_hmmt_duration_and_year_inference() {
    // date 4 (mmdd): the year is the latest that does not put the call
    // more than a day after reception (1 January 2025, 06:00 UTC).
    let layout = Layout::parse(
        "date 4, space, time 4, space, duration 4, space, calling-num 10, space, \
         dialed-num 18, space, acct-code 6, space, code-used 4, space, cond-code 1, space, \
         vdn 5, return, line-feed",
    )
    .unwrap();
    assert_eq!(layout.record_len(), 66);
    let mut parser =
        AvayaParser::new(layout, DateOrder::MonthDay, context("UTC", "2025-01-01T06:00:00Z"));
    check(
        &mut parser,
        &fixture("custom-hmmt.txt"),
        expect![[r#"
            call outgoing answered 2024-12-31T23:56:48Z..2024-12-31T23:58:00Z answer=2024-12-31T23:56:48Z talk=72s ring=None calling=4711 dialled=9001555123456 account=774411 out=101 cond=7
            call incoming answered 2024-12-31T22:57:48Z..2025-01-01T00:03:00Z answer=2024-12-31T22:57:48Z talk=3912s ring=None calling=0612345678 dialled=4720 cond=9 [vdn=52000]
        "#]],
    );
}

/// The first fixture line with `text` written over `range`.
fn first_line_with(range: std::ops::Range<usize>, text: &str) -> String {
    let mut line =
        fixture("avaya-97.txt").lines().next().unwrap().trim_end_matches('\r').to_string();
    line.replace_range(range, text);
    render(preset_parser(DateOrder::MonthDay).parse(line.as_bytes()))
}

#[test]
fn errors_name_the_avaya_item() {
    let mut parser = preset_parser(DateOrder::MonthDay);
    // Lengths count the CR LF the framer removed, as Avaya's record length does.
    expect!["error: expected 97 characters, got 12"]
        .assert_eq(&render(parser.parse(b"0315251402")));
    expect![[r#"error: field sec-dur: not a number: "12a45""#]]
        .assert_eq(&first_line_with(12..17, "12a45"));
    expect![[r#"error: field sec-dur: duration unknown (clock changed during the call): "99999""#]]
        .assert_eq(&first_line_with(12..17, "99999"));
    expect![[r#"error: field date: not a date: "133125""#]]
        .assert_eq(&first_line_with(0..6, "133125"));
    expect![[r#"error: field time: not a time: "2500""#]]
        .assert_eq(&first_line_with(7..11, "2500"));
    expect![[r#"error: field cond-code: unknown condition code: "Z""#]]
        .assert_eq(&first_line_with(93..94, "Z"));
    expect![[r#"error: field cond-code: unknown condition code: " ""#]]
        .assert_eq(&first_line_with(93..94, " "));
    expect!["NotARecord"].assert_eq(&render(parser.parse(b"")));
    expect!["NotARecord"].assert_eq(&render(parser.parse(b"   \r")));
}

#[test]
fn a_line_that_kept_its_cr_parses_like_one_without() {
    let input = fixture("avaya-97.txt");
    let line = input.split('\n').next().unwrap();
    assert!(line.ends_with('\r'));
    let with_cr = render(preset_parser(DateOrder::MonthDay).parse(line.as_bytes()));
    let without =
        render(preset_parser(DateOrder::MonthDay).parse(line.trim_end_matches('\r').as_bytes()));
    assert_eq!(with_cr, without);
    assert!(with_cr.starts_with("call outgoing answered"), "{with_cr}");
}

#[test]
fn identity_is_the_whole_trimmed_line() {
    let mut parser = preset_parser(DateOrder::MonthDay);
    let line = fixture("avaya-97.txt").lines().next().unwrap().trim_end_matches('\r').to_string();
    let Ok(Parsed::Cdr(cdr)) = parser.parse(line.as_bytes()) else { panic!() };
    assert_eq!(cdr.identity, cdr::whole_record("avaya", line.trim_end().as_bytes()));
}
