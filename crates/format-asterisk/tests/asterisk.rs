//! Asterisk cdr_csv parsing, checked against the vendor sample and fixture
//! lines written to cdr_csv's layout (cdr/cdr_csv.c, build_csv_record:
//! strings quoted with `"` doubled, times quoted or bare-empty when never
//! set, duration/billsec/sequence bare integers; the optional columns follow
//! `amaflags` in the order uniqueid, userfield, peeraccount, linkedid,
//! sequence).

use cdr::{Parsed, ParserContext, RecordParser};
use expect_test::{Expect, expect};
use format_asterisk::{AsteriskParser, CsvLayout};
use jiff::tz::TimeZone;
use std::fmt::Write;

const SAMPLE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/asterisk/Master.csv"));
const LAYOUTS: &str = include_str!("fixtures/layouts.csv");
const ERRORS: &str = include_str!("fixtures/errors.csv");

fn context(zone: &str) -> ParserContext {
    ParserContext { time_zone: TimeZone::get(zone).unwrap(), ..ParserContext::default() }
}

fn render(parsed: &Parsed) -> String {
    let Parsed::Cdr(c) = parsed else { return format!("{parsed:?}\n") };
    let mut out = String::new();
    let answer = c.answer.map_or("-".to_string(), |a| a.to_string());
    writeln!(out, "start={} answer={answer} end={}", c.start, c.end).unwrap();
    writeln!(
        out,
        "duration_s={} ring_s={:?} {} {}",
        c.duration_s,
        c.ring_s,
        c.direction.as_str(),
        c.disposition.as_str()
    )
    .unwrap();
    writeln!(out, "calling={:?} dialled={:?} account={:?}", c.calling, c.dialled, c.account_code)
        .unwrap();
    writeln!(out, "device_orig={:?} device_dest={:?}", c.device_orig, c.device_dest).unwrap();
    let k = &c.correlation;
    writeln!(out, "global={:?} orig_leg={:?}", k.global_call_id, k.orig_leg_id).unwrap();
    for (name, value) in &c.extras {
        writeln!(out, "  {name}={value:?}").unwrap();
    }
    c.check_consistency().unwrap();
    out
}

fn check_lines(mut parser: AsteriskParser, input: &str, expect: Expect) {
    let mut out = String::new();
    for line in input.lines() {
        match parser.parse(line.as_bytes()) {
            Ok(p) => out.push_str(&render(&p)),
            Err(e) => writeln!(out, "error: {e}").unwrap(),
        }
        out.push('\n');
    }
    expect.assert_eq(&out);
}

#[test]
fn vendor_sample_line() {
    // Hand-checked: 18 columns (loguniqueid + loguserfield), a console call
    // to extension 1 answered at once, 7 s billed, uniqueid 1270167992.0
    // (= the start time as epoch seconds, so the sample was written in UTC).
    check_lines(
        AsteriskParser::new(context("UTC"), true),
        SAMPLE,
        expect![[r#"
            start=2010-04-02T00:26:32Z answer=2010-04-02T00:26:32Z end=2010-04-02T00:26:39Z
            duration_s=7 ring_s=Some(0) unknown answered
            calling="" dialled="1" account=""
            device_orig="Console/dsp" device_dest=""
            global="1270167992.0" orig_leg="1270167992.0"
              dcontext="default"
              lastapp="Hangup"
              amaflags="DOCUMENTATION"

        "#]],
    );
}

#[test]
fn every_column_count_in_berlin_local_time() {
    // Line 1 starts before and ends after the spring-forward gap of
    // 2024-03-31 (02:00 CET → 03:00 CEST): 75 s in total.
    check_lines(
        AsteriskParser::new(context("Europe/Berlin"), false),
        LAYOUTS,
        expect![[r#"
            start=2024-03-31T00:59:50Z answer=2024-03-31T01:00:05Z end=2024-03-31T01:01:05Z
            duration_s=60 ring_s=Some(15) unknown answered
            calling="1001" dialled="2000" account=""
            device_orig="SIP/1001-00000001" device_dest="SIP/2000-00000002"
            global="" orig_leg=""
              dcontext="from-internal"
              clid="\"Alice\" <1001>"
              lastapp="Dial"
              lastdata="SIP/2000,30"
              amaflags="DOCUMENTATION"

            start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
            duration_s=300 ring_s=Some(12) unknown answered
            calling="+4930123456" dialled="0891234567" account="4711"
            device_orig="DAHDI/1-1" device_dest="SIP/200-0000000a"
            global="1721026800.17" orig_leg="1721026800.17"
              dcontext="from-trunk"
              clid="\"Bob, Jr.\" <+4930123456>"
              lastapp="Dial"
              lastdata="SIP/200,20,tT"
              amaflags="BILL"

            start=2024-07-15T08:00:00Z answer=- end=2024-07-15T08:00:20Z
            duration_s=0 ring_s=Some(20) unknown no_answer
            calling="1002" dialled="2001" account=""
            device_orig="SIP/1002-00000003" device_dest="SIP/2001-00000004"
            global="1721030400.21" orig_leg="1721030400.21"
              dcontext="from-internal"
              clid="\"Carol\" <1002>"
              lastapp="Dial"
              lastdata="SIP/2001,20"
              amaflags="DOCUMENTATION"
              userfield="project-7"

            start=2024-07-15T09:00:00Z answer=- end=2024-07-15T09:00:03Z
            duration_s=0 ring_s=Some(3) unknown busy
            calling="1003" dialled="2002" account=""
            device_orig="PJSIP/1003-00000005" device_dest="PJSIP/2002-00000006"
            global="1721034000.30" orig_leg=""
              dcontext="from-internal"
              clid="\"Dave\" <1003>"
              lastapp="Dial"
              lastdata="PJSIP/2002"
              amaflags="DOCUMENTATION"
              sequence="0"

            start=2024-07-15T10:00:00Z answer=- end=2024-07-15T10:00:01Z
            duration_s=0 ring_s=Some(1) unknown failed
            calling="1004" dialled="00442071234567" account=""
            device_orig="PJSIP/1004-00000007" device_dest=""
            global="1721037600.40" orig_leg="1721037600.40"
              dcontext="from-internal"
              clid="\"Eve\" <1004>"
              lastapp="Dial"
              lastdata="PJSIP/00442071234567@trunk"
              amaflags="DOCUMENTATION"
              sequence="12"

            start=2024-07-15T11:00:00Z answer=- end=2024-07-15T11:00:02Z
            duration_s=0 ring_s=Some(2) unknown failed
            calling="1005" dialled="5551234" account="sales"
            device_orig="PJSIP/1005-00000009" device_dest="PJSIP/trunk-0000000a"
            global="1721041200.49" orig_leg="1721041200.50"
              dcontext="from-internal"
              clid="\"Frank\" <1005>"
              lastapp="Dial"
              lastdata="PJSIP/5551234@trunk"
              amaflags="BILL"
              userfield="vip"
              peeraccount="acct-peer"
              sequence="3"

        "#]],
    );
}

#[test]
fn usegmtime_reads_times_as_utc() {
    let line = LAYOUTS.lines().nth(1).unwrap();
    check_lines(
        AsteriskParser::new(context("Europe/Berlin"), true),
        line,
        expect![[r#"
            start=2024-07-15T09:00:00Z answer=2024-07-15T09:00:12Z end=2024-07-15T09:05:12Z
            duration_s=300 ring_s=Some(12) unknown answered
            calling="+4930123456" dialled="0891234567" account="4711"
            device_orig="DAHDI/1-1" device_dest="SIP/200-0000000a"
            global="1721026800.17" orig_leg="1721026800.17"
              dcontext="from-trunk"
              clid="\"Bob, Jr.\" <+4930123456>"
              lastapp="Dial"
              lastdata="SIP/200,20,tT"
              amaflags="BILL"

        "#]],
    );
}

#[test]
fn userfield_without_uniqueid_needs_the_layout() {
    let line = LAYOUTS.lines().nth(1).unwrap().replace("\"1721026800.17\"", "\"cost-centre-9\"");
    let layout = CsvLayout { loguserfield: true, ..CsvLayout::default() };
    check_lines(
        AsteriskParser::new(context("UTC"), true).with_layout(layout),
        &line,
        expect![[r#"
            start=2024-07-15T09:00:00Z answer=2024-07-15T09:00:12Z end=2024-07-15T09:05:12Z
            duration_s=300 ring_s=Some(12) unknown answered
            calling="+4930123456" dialled="0891234567" account="4711"
            device_orig="DAHDI/1-1" device_dest="SIP/200-0000000a"
            global="" orig_leg=""
              dcontext="from-trunk"
              clid="\"Bob, Jr.\" <+4930123456>"
              lastapp="Dial"
              lastdata="SIP/200,20,tT"
              amaflags="BILL"
              userfield="cost-centre-9"

        "#]],
    );
}

#[test]
fn fixed_layout_rejects_other_column_counts() {
    let layout = CsvLayout { loguniqueid: true, loguserfield: true, newcdrcolumns: false };
    let mut parser = AsteriskParser::new(context("UTC"), true).with_layout(layout);
    let line = LAYOUTS.lines().nth(1).unwrap();
    let e = parser.parse(line.as_bytes()).unwrap_err();
    assert_eq!(e.to_string(), "expected 18 columns, got 17");
}

#[test]
fn errors_name_the_column_and_quote_the_value() {
    check_lines(
        AsteriskParser::new(context("UTC"), false),
        ERRORS,
        expect![[r#"
        error: expected 16, 17, 18, 19, 20 or 21 columns, got 15

        error: expected 16, 17, 18, 19, 20 or 21 columns, got 22

        error: field start: not a time: "2024-02-30 09:00:00"

        error: field answer: not a time: "2024-07-15T09:00:05"

        error: field end: not a time: ""

        error: field duration: not a number: "6x"

        error: field billsec: not a number: "-1"

        error: field disposition: unknown disposition: "MAYBE"

        error: field answer: empty, but disposition is "ANSWERED"

    "#]],
    );
}

#[test]
fn blank_lines_are_not_records() {
    let mut parser = AsteriskParser::new(context("UTC"), false);
    assert_eq!(parser.parse(b"").unwrap(), Parsed::NotARecord);
    assert_eq!(parser.parse(b"  \r").unwrap(), Parsed::NotARecord);
}

#[test]
fn identity_is_uniqueid_start_dst_and_dstchannel() {
    let mut parser = AsteriskParser::new(context("UTC"), true);
    let identity = |parser: &mut AsteriskParser, line: &str| match parser.parse(line.as_bytes()) {
        Ok(Parsed::Cdr(c)) => c.identity,
        other => panic!("{other:?}"),
    };
    let line = LAYOUTS.lines().nth(1).unwrap();
    let same_call = identity(&mut parser, line);
    // Another userfield-free copy with a different lastapp is the same record…
    assert_eq!(identity(&mut parser, &line.replace("\"Dial\"", "\"Hangup\"")), same_call);
    // …but a different destination channel is another CDR of the call.
    assert_ne!(
        identity(&mut parser, &line.replace("SIP/200-0000000a", "SIP/201-0000000b")),
        same_call
    );
    // Without uniqueid the whole line is the identity.
    let no_id = LAYOUTS.lines().next().unwrap();
    assert_ne!(
        identity(&mut parser, no_id),
        identity(&mut parser, &no_id.replace("\"Dial\"", "\"Hangup\""))
    );
}
