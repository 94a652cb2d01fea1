//! FreeSWITCH parsing, checked against the vendor sample and fixtures.
//!
//! CSV fixtures follow the templates of FreeSWITCH's stock
//! conf/vanilla/autoload_configs/cdr_csv.conf.xml (and mod_cdr_csv's
//! compiled-in `default`), with values substituted unescaped as
//! mod_cdr_csv does. JSON fixtures follow the document switch_ivr.c's
//! switch_ivr_generate_json_cdr writes (core-uuid, switchname,
//! channel_data, variables, app_log, callflow with caller_profile and
//! times); `unanswered_encoded.json` has `encode-values` on (the default).

use cdr::{Parsed, ParserContext, RecordParser};
use expect_test::{Expect, expect};
use format_freeswitch::{CsvTemplate, FreeswitchCsvParser, FreeswitchJsonParser};
use jiff::tz::TimeZone;
use std::fmt::Write;

const SAMPLE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/freeswitch/Master.csv"));

fn context(zone: &str) -> ParserContext {
    ParserContext { time_zone: TimeZone::get(zone).unwrap(), ..ParserContext::default() }
}

fn render(result: Result<Parsed, cdr::ParseError>) -> String {
    let c = match result {
        Ok(Parsed::Cdr(c)) => c,
        Ok(other) => return format!("{other:?}\n"),
        Err(e) => return format!("error: {e}\n"),
    };
    let mut out = String::new();
    let answer = c.answer.map_or("-".to_string(), |a| a.to_string());
    writeln!(out, "start={} answer={answer} end={}", c.start, c.end).unwrap();
    writeln!(
        out,
        "duration_s={} ring_s={:?} {} {} cause={:?}",
        c.duration_s,
        c.ring_s,
        c.direction.as_str(),
        c.disposition.as_str(),
        c.cause_dest
    )
    .unwrap();
    writeln!(out, "calling={:?} dialled={:?} account={:?}", c.calling, c.dialled, c.account_code)
        .unwrap();
    writeln!(out, "device_orig={:?} device_dest={:?}", c.device_orig, c.device_dest).unwrap();
    let k = &c.correlation;
    writeln!(
        out,
        "global={:?} orig_leg={:?} dest_leg={:?}",
        k.global_call_id, k.orig_leg_id, k.dest_leg_id
    )
    .unwrap();
    for (name, value) in &c.extras {
        writeln!(out, "  {name}={value:?}").unwrap();
    }
    c.check_consistency().unwrap();
    out
}

fn check_csv(template: CsvTemplate, zone: &str, input: &str, expect: Expect) {
    let mut parser = FreeswitchCsvParser::new(template, context(zone));
    let mut out = String::new();
    for line in input.lines() {
        out.push_str(&render(parser.parse(line.as_bytes())));
        out.push('\n');
    }
    expect.assert_eq(&out);
}

fn check_json(document: &str, expect: Expect) {
    let mut parser = FreeswitchJsonParser::new(context("Europe/Berlin"));
    expect.assert_eq(&render(parser.parse(document.as_bytes())));
}

fn preset(name: &str) -> CsvTemplate {
    CsvTemplate::preset(name).unwrap()
}

#[test]
fn vendor_sample_is_an_unanswered_call() {
    // "example" template; answer_stamp empty, NORMAL_CLEARING, 0 s. The
    // switch's zone is not known; read as UTC.
    check_csv(
        preset("example"),
        "UTC",
        SAMPLE,
        expect![[r#"
        start=2014-05-29T16:59:50Z answer=- end=2014-05-29T16:59:50Z
        duration_s=0 ring_s=Some(0) unknown no_answer cause="NORMAL_CLEARING"
        calling="9007" dialled="0034688886392" account=""
        device_orig="" device_dest=""
        global="a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d" orig_leg="a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d" dest_leg=""
          caller_id_name="9007"
          context="public"

    "#]],
    );
}

#[test]
fn preset_default() {
    check_csv(
        preset("default"),
        "Europe/Berlin",
        include_str!("fixtures/csv/default.csv"),
        expect![[r#"
        start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
        duration_s=300 ring_s=Some(12) unknown answered cause="NORMAL_CLEARING"
        calling="1001" dialled="004930123456" account="4711"
        device_orig="" device_dest=""
        global="6a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b" orig_leg="6a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b" dest_leg="6a1b2c3d-0002-4e5f-8a9b-0c1d2e3f4a5b"
          caller_id_name="Alice Example"
          context="default"

        start=2024-07-15T07:10:00Z answer=- end=2024-07-15T07:10:02Z
        duration_s=0 ring_s=Some(2) unknown busy cause="USER_BUSY"
        calling="1001" dialled="1002" account=""
        device_orig="" device_dest=""
        global="6a1b2c3d-0003-4e5f-8a9b-0c1d2e3f4a5b" orig_leg="6a1b2c3d-0003-4e5f-8a9b-0c1d2e3f4a5b" dest_leg=""
          caller_id_name="Alice Example"
          context="default"

    "#]],
    );
}

#[test]
fn preset_example_across_the_spring_forward_gap() {
    // Line 1: 01:59:50 CET to 03:01:05 CEST is 75 s on 2024-03-31.
    check_csv(
        preset("example"),
        "Europe/Berlin",
        include_str!("fixtures/csv/example.csv"),
        expect![[r#"
        start=2024-03-31T00:59:50Z answer=2024-03-31T01:00:05Z end=2024-03-31T01:01:05Z
        duration_s=60 ring_s=Some(15) unknown answered cause="NORMAL_CLEARING"
        calling="+4930123456" dialled="1002" account=""
        device_orig="" device_dest=""
        global="7b2c3d4e-0001-4f60-9bac-1d2e3f4a5b6c" orig_leg="7b2c3d4e-0001-4f60-9bac-1d2e3f4a5b6c" dest_leg="7b2c3d4e-0002-4f60-9bac-1d2e3f4a5b6c"
          caller_id_name="Smith, John"
          context="public"
          read_codec="PCMA"
          write_codec="PCMA"

        start=2024-07-15T08:00:00Z answer=- end=2024-07-15T08:00:01Z
        duration_s=0 ring_s=Some(1) unknown failed cause="NO_ROUTE_DESTINATION"
        calling="1003" dialled="0099999" account=""
        device_orig="" device_dest=""
        global="7b2c3d4e-0003-4f60-9bac-1d2e3f4a5b6c" orig_leg="7b2c3d4e-0003-4f60-9bac-1d2e3f4a5b6c" dest_leg=""
          context="default"

        start=2024-07-15T09:00:00Z answer=- end=2024-07-15T09:00:09Z
        duration_s=0 ring_s=Some(9) unknown no_answer cause="ORIGINATOR_CANCEL"
        calling="1004" dialled="1001" account=""
        device_orig="" device_dest=""
        global="7b2c3d4e-0004-4f60-9bac-1d2e3f4a5b6c" orig_leg="7b2c3d4e-0004-4f60-9bac-1d2e3f4a5b6c" dest_leg=""
          caller_id_name="Bob"
          context="default"
          read_codec="PCMU"
          write_codec="PCMU"

    "#]],
    );
}

#[test]
fn preset_sql() {
    check_csv(
        preset("sql"),
        "Europe/Berlin",
        include_str!("fixtures/csv/sql.csv"),
        expect![[r#"
        start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
        duration_s=300 ring_s=Some(12) unknown answered cause="NORMAL_CLEARING"
        calling="1001" dialled="004930123456" account="4711"
        device_orig="" device_dest=""
        global="8c3d4e5f-0001-4071-acbd-2e3f4a5b6c7d" orig_leg="8c3d4e5f-0001-4071-acbd-2e3f4a5b6c7d" dest_leg="8c3d4e5f-0002-4071-acbd-2e3f4a5b6c7d"
          caller_id_name="Alice Example"
          context="default"

    "#]],
    );
}

#[test]
fn preset_snom() {
    check_csv(
        preset("snom"),
        "Europe/Berlin",
        include_str!("fixtures/csv/snom.csv"),
        expect![[r#"
        start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
        duration_s=300 ring_s=Some(12) unknown answered cause="NORMAL_CLEARING"
        calling="1001" dialled="004930123456" account="4711"
        device_orig="" device_dest=""
        global="9d4e5f60-0001-4182-bdce-3f4a5b6c7d8e" orig_leg="9d4e5f60-0001-4182-bdce-3f4a5b6c7d8e" dest_leg="9d4e5f60-0002-4182-bdce-3f4a5b6c7d8e"
          caller_id_name="Alice Example"
          context="default"
          read_codec="G722"
          write_codec="G722"
          sip_user_agent="snom D785/10.1.54.13"
          call_clientcode="77"
          sofia_record_file="/var/lib/freeswitch/recordings/9d4e5f60-0001.wav"

    "#]],
    );
}

#[test]
fn preset_linksys() {
    check_csv(
        preset("linksys"),
        "Europe/Berlin",
        include_str!("fixtures/csv/linksys.csv"),
        expect![[r#"
        start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
        duration_s=300 ring_s=Some(12) unknown answered cause="NORMAL_CLEARING"
        calling="1001" dialled="004930123456" account="4711"
        device_orig="" device_dest=""
        global="ae5f6071-0001-4293-cedf-4a5b6c7d8e9f" orig_leg="ae5f6071-0001-4293-cedf-4a5b6c7d8e9f" dest_leg="ae5f6071-0002-4293-cedf-4a5b6c7d8e9f"
          caller_id_name="Alice Example"
          context="default"
          read_codec="PCMU"
          write_codec="PCMU"
          sip_user_agent="Linksys/SPA942-6.1.5(a)"
          sip_p_rtp_stat="PS=15000,OS=2400000,PR=14990,OR=2398400,PL=0,JI=3,LA=0,DU=300"

    "#]],
    );
}

#[test]
fn preset_asterisk_with_unescaped_quotes_in_caller_id() {
    check_csv(
        preset("asterisk"),
        "Europe/Berlin",
        include_str!("fixtures/csv/asterisk.csv"),
        expect![[r#"
        start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
        duration_s=300 ring_s=Some(12) unknown answered cause="NORMAL_CLEARING"
        calling="1001" dialled="004930123456" account="4711"
        device_orig="sofia/internal/1001@pbx.example.com" device_dest="sofia/gateway/carrier/004930123456"
        global="bf607182-0001-43a4-8f01-5b6c7d8e9fa0" orig_leg="bf607182-0001-43a4-8f01-5b6c7d8e9fa0" dest_leg=""
          context="default"
          caller_id="\"Alice Example\" <1001>"
          last_app="bridge"
          last_arg="sofia/gateway/carrier/004930123456"

    "#]],
    );
}

#[test]
fn preset_opencdrrate_has_no_start_time() {
    check_csv(
        preset("opencdrrate"),
        "Europe/Berlin",
        include_str!("fixtures/csv/opencdrrate.csv"),
        expect![[r#"
            start=2024-07-15T07:00:12Z answer=2024-07-15T07:00:12Z end=2024-07-15T07:05:12Z
            duration_s=300 ring_s=None unknown answered cause=""
            calling="1001" dialled="004930123456" account="4711"
            device_orig="" device_dest=""
            global="c0718293-0001-44b5-9012-6c7d8e9fa0b1" orig_leg="c0718293-0001-44b5-9012-6c7d8e9fa0b1" dest_leg="c0718293-0002-44b5-9012-6c7d8e9fa0b1"
              direction="inbound"
              network_addr="192.0.2.10"
              regex('${original_caller_id_name}'|^.)="A"
              sip_gateway_name="carrier"

            start=2024-07-15T07:10:02Z answer=- end=2024-07-15T07:10:02Z
            duration_s=0 ring_s=None unknown no_answer cause=""
            calling="1001" dialled="1002" account=""
            device_orig="" device_dest=""
            global="c0718293-0003-44b5-9012-6c7d8e9fa0b1" orig_leg="c0718293-0003-44b5-9012-6c7d8e9fa0b1" dest_leg=""
              direction="inbound"
              network_addr="192.0.2.10"
              regex('${original_caller_id_name}'|^.)="A"

        "#]],
    );
}

#[test]
fn custom_template_with_epochs() {
    let template = CsvTemplate::parse(
        "${uuid}|${caller_id_number}|${destination_number}|${start_uepoch}|${answer_epoch}|${end_epoch}|${billsec}|${hangup_cause}|${call_direction}\n",
    )
    .unwrap();
    let lines = "\
u-1|1001|1002|1721026800500000|1721026805|1721026865|60|NORMAL_CLEARING|local
u-2|1001|1002|1721026800500000|0|1721026865|0|CALL_REJECTED|sideways";
    check_csv(
        template,
        "UTC",
        lines,
        expect![[r#"
        start=2024-07-15T07:00:00.5Z answer=2024-07-15T07:00:05Z end=2024-07-15T07:01:05Z
        duration_s=60 ring_s=Some(5) internal answered cause="NORMAL_CLEARING"
        calling="1001" dialled="1002" account=""
        device_orig="" device_dest=""
        global="u-1" orig_leg="u-1" dest_leg=""

        start=2024-07-15T07:00:00.5Z answer=- end=2024-07-15T07:01:05Z
        duration_s=0 ring_s=Some(65) unknown failed cause="CALL_REJECTED"
        calling="1001" dialled="1002" account=""
        device_orig="" device_dest=""
        global="u-2" orig_leg="u-2" dest_leg=""
          call_direction="sideways"

    "#]],
    );
}

#[test]
fn answer_is_end_minus_billsec_when_the_template_has_no_answer_time() {
    let template = CsvTemplate::parse("${start_epoch},${end_epoch},${billsec}").unwrap();
    let lines = "1721026800,1721026865,60\n-377705000000,-377705000000,4294967295";
    check_csv(
        template,
        "UTC",
        lines,
        expect![[r#"
        start=2024-07-15T07:00:00Z answer=2024-07-15T07:00:05Z end=2024-07-15T07:01:05Z
        duration_s=60 ring_s=Some(5) unknown answered cause=""
        calling="" dialled="" account=""
        device_orig="" device_dest=""
        global="" orig_leg="" dest_leg=""

        error: field billsec: 4294967295 s of talk time ends before time began

    "#]],
    );
}

#[test]
fn csv_errors_say_what_is_wrong() {
    let lines = r#"
"Alice","1001","1002","default","2024-07-15 09:00:00"
Alice","1001"
"a","1001","1002","default","2024-07-15 09:00:00","","2024-07-15 09:00:20","20","0","NO_ANSWER","u","","","","","extra"
"a","1001","1002","default","2024-07-15 09:00:00","","2024-07-15 09:00:20","20","0","NO_ANSWER","u","","","",""x
"a","1001","1002","default","2024-07-15 9:00:00","","2024-07-15 09:00:20","20","0","NO_ANSWER","u","","","",""
"a","1001","1002","default","2024-07-15 09:00:00","","","20","0","NO_ANSWER","u","","","",""
"a","1001","1002","default","2024-07-15 09:00:00","","2024-07-15 09:00:20","2O","0","NO_ANSWER","u","","","",""
"a","1001","1002","default","2024-07-15 09:00:00","","2024-07-15 09:00:20","20","5","NO_ANSWER","u","","","",""
"a","1001","1002","default","2024-07-15 09:00:00","","2024-07-15 09:00:20","20","0","no answer","u","","","",""
"#;
    check_csv(
        preset("example"),
        "UTC",
        lines,
        expect![[r#"
        NotARecord

        error: expected 15 columns, got 5

        error: expected the record to start with "\""

        error: expected 15 columns, got 16

        error: expected the record to end with "\""

        error: field start_stamp: not a time: "2024-07-15 9:00:00"

        error: field end_stamp: not a time: ""

        error: field duration: not a number: "2O"

        error: field billsec: 5 s of talk time, but answer_stamp says the call was never answered

        error: field hangup_cause: not a hangup cause: "no answer"

    "#]],
    );
}

#[test]
fn json_answered_call() {
    // No caller_id_number / destination_number variables (FreeSWITCH keeps
    // them in the caller profile): they come from callflow[0].
    check_json(
        include_str!("fixtures/json/answered.json"),
        expect![[r#"
        start=2024-07-15T07:00:00.123456Z answer=2024-07-15T07:00:12.654321Z end=2024-07-15T07:05:12.7Z
        duration_s=300 ring_s=Some(12) outgoing answered cause="NORMAL_CLEARING"
        calling="1001" dialled="004930123456" account="4711"
        device_orig="sofia/internal/1001@pbx.example.com" device_dest="sofia/gateway/carrier/004930123456"
        global="d1e2f3a4-0001-4b5c-8d9e-0f1a2b3c4d5e" orig_leg="d1e2f3a4-0001-4b5c-8d9e-0f1a2b3c4d5e" dest_leg="d1e2f3a4-0002-4b5c-8d9e-0f1a2b3c4d5e"
          core-uuid="2f1e0d9c-8b7a-4655-9443-3b2a1f0e9d8c"
          switchname="pbx1"
          channel_data.caps="1=1;2=1;3=1;4=1;5=1;6=1"
          channel_data.direction="inbound"
          channel_data.flags="0=1;1=1;3=1;20=1;37=1;38=1;40=1;43=1;48=1;53=1"
          channel_data.state="CS_REPORTING"
          channel_data.state_number="11"
          answersec="12"
          billmsec="300046"
          bridge_uuid="d1e2f3a4-0002-4b5c-8d9e-0f1a2b3c4d5e"
          caller_id="\"Alice Example\" <1001>"
          current_application="bridge"
          current_application_data="sofia/gateway/carrier/004930123456"
          direction="inbound"
          endpoint_disposition="ANSWER"
          hangup_cause_q850="16"
          last_app="bridge"
          last_arg="sofia/gateway/carrier/004930123456"
          mduration="312577"
          originate_disposition="SUCCESS"
          progresssec="1"
          read_codec="PCMA"
          session_id="42"
          signal_bond="d1e2f3a4-0002-4b5c-8d9e-0f1a2b3c4d5e"
          sip_from_host="pbx.example.com"
          sip_from_user="1001"
          sip_hangup_phrase="OK"
          sip_req_user="004930123456"
          sip_user_agent="Yealink SIP-T46S 66.86.0.15"
          waitsec="12"
          write_codec="PCMA"
          caller_profile.ani="1001"
          caller_profile.caller_id_name="Alice Example"
          caller_profile.chan_name="sofia/internal/1001@pbx.example.com"
          caller_profile.context="default"
          caller_profile.dialplan="XML"
          caller_profile.network_addr="192.0.2.21"
          caller_profile.source="mod_sofia"
          caller_profile.username="1001"
    "#]],
    );
}

#[test]
fn json_unanswered_call_with_url_encoded_values() {
    check_json(
        include_str!("fixtures/json/unanswered_encoded.json"),
        expect![[r#"
        start=2024-07-15T08:00:00.25Z answer=- end=2024-07-15T08:00:20.3Z
        duration_s=0 ring_s=Some(20) incoming no_answer cause="NO_ANSWER"
        calling="+4930123456" dialled="1002" account=""
        device_orig="sofia/external/+4930123456@carrier.example.net" device_dest=""
        global="e2f3a4b5-0001-4c6d-9e0f-1a2b3c4d5e6f" orig_leg="e2f3a4b5-0001-4c6d-9e0f-1a2b3c4d5e6f" dest_leg=""
          core-uuid="2f1e0d9c-8b7a-4655-9443-3b2a1f0e9d8c"
          switchname="pbx1"
          channel_data.direction="inbound"
          channel_data.state="CS_REPORTING"
          channel_data.state_number="11"
          direction="inbound"
          effective_caller_id_name="Müller, Anna"
          hangup_cause_q850="19"
          sip_hangup_phrase="Request Terminated"
          caller_profile.caller_id_name="Müller, Anna"
          caller_profile.context="public"
          caller_profile.network_addr="198.51.100.7"
    "#]],
    );
}

#[test]
fn json_single_callflow_object_and_local_stamps() {
    // Variables give local stamps only (Berlin, across the DST gap); uuid
    // and the numbers come from the caller profile; the answer from
    // callflow.times (0: never).
    check_json(
        include_str!("fixtures/json/legacy_busy.json"),
        expect![[r#"
        start=2024-03-31T00:59:58Z answer=- end=2024-03-31T01:00:03Z
        duration_s=0 ring_s=Some(5) unknown busy cause="USER_BUSY"
        calling="1000" dialled="1005" account=""
        device_orig="" device_dest=""
        global="f3a4b5c6-0001-4d7e-8f10-2b3c4d5e6f70" orig_leg="f3a4b5c6-0001-4d7e-8f10-2b3c4d5e6f70" dest_leg=""
          core-uuid="2f1e0d9c-8b7a-4655-9443-3b2a1f0e9d8c"
          channel_data.direction="inbound"
          channel_data.state="CS_HANGUP"
          caller_profile.caller_id_name="Reception"
          caller_profile.context="default"
    "#]],
    );
}

#[test]
fn json_errors_say_what_is_wrong() {
    let cases = [
        "{\"variables\": ",
        "[1, 2]",
        "{\"core-uuid\": \"x\"}",
        r#"{"variables": {"uuid": "u", "start_epoch": "1721026800"}}"#,
        r#"{"variables": {"uuid": "u", "start_uepoch": "17210268x0", "end_epoch": "1721026900"}}"#,
        r#"{"variables": {"uuid": "u", "start_epoch": "1721026800", "end_epoch": "1721026900", "hangup_cause": "Bye%20now"}}"#,
        r#"{"variables": {"start_epoch": "0", "end_epoch": "1721026900"}}"#,
        r#"{"variables": {"uuid": "u", "start_epoch": "1721026800", "end_epoch": "1721026900"}, "callflow": [{"times": {"hangup_time": "x"}}]}"#,
    ];
    let mut parser = FreeswitchJsonParser::new(context("UTC"));
    let out: String = cases.iter().map(|c| render(parser.parse(c.as_bytes()))).collect();
    expect![[r#"
        error: not a JSON document: EOF while parsing a value at line 1 column 14
        error: expected a JSON object, got an array
        error: no "variables" object
        error: no end time (end_stamp, end_epoch or end_uepoch)
        error: field start_uepoch: not a number: "17210268x0"
        error: field hangup_cause: not a hangup cause: "Bye now"
        error: field start_epoch: not a time: "0"
        start=2024-07-15T07:00:00Z answer=- end=2024-07-15T07:01:40Z
        duration_s=0 ring_s=Some(100) unknown no_answer cause=""
        calling="" dialled="" account=""
        device_orig="" device_dest=""
        global="u" orig_leg="u" dest_leg=""
    "#]]
    .assert_eq(&out);
}

#[test]
fn blank_input_is_not_a_record() {
    let mut json = FreeswitchJsonParser::new(context("UTC"));
    assert_eq!(json.parse(b" \n").unwrap(), Parsed::NotARecord);
    let mut csv = FreeswitchCsvParser::new(preset("example"), context("UTC"));
    assert_eq!(csv.parse(b"\r").unwrap(), Parsed::NotARecord);
}

#[test]
fn csv_and_json_reports_of_one_leg_share_an_identity() {
    let identity = |p: Result<Parsed, cdr::ParseError>| match p {
        Ok(Parsed::Cdr(c)) => c.identity,
        other => panic!("{other:?}"),
    };
    let mut json = FreeswitchJsonParser::new(context("Europe/Berlin"));
    let from_json = identity(json.parse(include_bytes!("fixtures/json/answered.json")));
    let line = r#""Alice Example","1001","004930123456","default","2024-07-15 09:00:00","2024-07-15 09:00:12","2024-07-15 09:05:12","312","300","NORMAL_CLEARING","d1e2f3a4-0001-4b5c-8d9e-0f1a2b3c4d5e","","4711","PCMA","PCMA""#;
    let mut csv = FreeswitchCsvParser::new(preset("example"), context("Europe/Berlin"));
    assert_eq!(identity(csv.parse(line.as_bytes())), from_json);
    // Without a uuid the whole record is the identity.
    let a = identity(
        csv.parse(SAMPLE.trim_end().replace("a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d", "").as_bytes()),
    );
    let b = identity(
        csv.parse(
            SAMPLE
                .trim_end()
                .replace("a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d", "")
                .replace("9007", "9008")
                .as_bytes(),
        ),
    );
    assert_ne!(a, b);
}
